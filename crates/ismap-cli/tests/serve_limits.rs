//! `ismap serve` against hostile clients and careless hosts: half-sent
//! requests, idle connections at shutdown, and the modes of the files it
//! creates (issue 12, items 5 and 15).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::os::unix::fs::PermissionsExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Server {
    child: Child,
    address: String,
    _dir: tempfile::TempDir,
    data: std::path::PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(extra: &[&str]) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let url = format!("sqlite://{}/ismap.db", data.display());
    let mut child = Command::new(env!("CARGO_BIN_EXE_ismap"))
        .env_remove("ISMAP_DATABASE_URL")
        .env("ISMAP_LOG", "warn")
        .args(["serve", "--listen", "127.0.0.1:0", "--database-url", &url])
        .args(extra)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let address = loop {
        let line = lines
            .next()
            .expect("the server prints its address")
            .unwrap();
        if let Some(rest) = line.strip_prefix("ismap is listening on http://") {
            break rest
                .split_whitespace()
                .next()
                .unwrap()
                .trim_end_matches('/')
                .to_owned();
        }
    };
    // Keep reading stdout so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    Server {
        child,
        address,
        _dir: dir,
        data,
    }
}

/// A raw GET of /healthz on a new connection: the status line.
fn healthz(address: &str) -> String {
    let mut stream = TcpStream::connect(address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer.lines().next().unwrap_or_default().to_owned()
}

/// Connections that sent half a request header and then nothing.
fn half_open(address: &str, count: usize) -> Vec<TcpStream> {
    (0..count)
        .map(|_| {
            let mut stream = TcpStream::connect(address).unwrap();
            stream
                .write_all(b"GET /lists/ismap HTTP/1.1\r\nHost: x\r\nX-Slow: ")
                .unwrap();
            stream
        })
        .collect()
}

fn wait_for_exit(child: &mut Child, within: Duration) -> Option<std::process::ExitStatus> {
    let started = Instant::now();
    while started.elapsed() < within {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    None
}

#[test]
fn a_thousand_half_sent_requests_do_not_stop_the_portal_nor_its_shutdown() {
    let mut server = start(&[]);
    let slow = half_open(&server.address, 1000);
    assert_eq!(healthz(&server.address), "HTTP/1.1 200 OK");
    // Idle keep-alive connections too, one of them after a full request.
    let mut idle = TcpStream::connect(&server.address).unwrap();
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let mut first = [0u8; 15];
    idle.read_exact(&mut first).unwrap();
    assert_eq!(&first, b"HTTP/1.1 200 OK");
    let _quiet = TcpStream::connect(&server.address).unwrap();

    let status = Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = wait_for_exit(&mut server.child, Duration::from_secs(10))
        .expect("SIGTERM ends the portal within 10 s with idle and half-open connections");
    assert!(exit.success(), "{exit:?}");
    drop(slow);
}

#[test]
fn a_client_that_never_finishes_its_header_is_cut_off() {
    let server = start(&["--header-timeout-secs", "1", "--idle-timeout-secs", "2"]);
    let mut slow = half_open(&server.address, 1).pop().unwrap();
    slow.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut rest = Vec::new();
    // The server closes the connection (with or without a 408 first) long
    // before our read gives up.
    let read = slow.read_to_end(&mut rest);
    assert!(
        read.is_ok(),
        "closed by the server, not by our timeout: {read:?}"
    );

    // An idle keep-alive connection is closed as well.
    let mut idle = TcpStream::connect(&server.address).unwrap();
    idle.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let read = idle.read_to_end(&mut rest);
    assert!(
        read.is_ok(),
        "idle connection closed by the server: {read:?}"
    );
    assert_eq!(healthz(&server.address), "HTTP/1.1 200 OK");
}

#[test]
fn the_connection_cap_holds_and_frees_slots_as_clients_leave() {
    let server = start(&["--max-connections", "3", "--header-timeout-secs", "1"]);
    let slow = half_open(&server.address, 3);
    // The fourth client waits in the backlog until a slot frees: here when
    // the half-sent requests time out.
    assert_eq!(healthz(&server.address), "HTTP/1.1 200 OK");
    drop(slow);
}

#[test]
fn data_files_are_readable_by_their_owner_only() {
    let server = start(&[]);
    // A request writes (the CSRF cookie's page), so the WAL exists.
    assert_eq!(healthz(&server.address), "HTTP/1.1 200 OK");
    let mode = |path: &std::path::Path| {
        std::fs::metadata(path)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(mode(&server.data), 0o700, "data folder");
    assert_eq!(mode(&server.data.join("ismap.db")), 0o600, "database");
    assert_eq!(mode(&server.data.join("master.key")), 0o600, "master key");
    for companion in ["ismap.db-wal", "ismap.db-shm"] {
        let path = server.data.join(companion);
        if path.exists() {
            assert_eq!(mode(&path), 0o600, "{companion}");
        }
    }

    let url = format!("sqlite://{}/ismap.db", server.data.display());
    let copy = server.data.join("copy.db");
    let backup = Command::new(env!("CARGO_BIN_EXE_ismap"))
        .env_remove("ISMAP_DATABASE_URL")
        .args([
            "backup",
            "--database-url",
            &url,
            "--to",
            copy.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        backup.status.success(),
        "{}",
        String::from_utf8_lossy(&backup.stderr)
    );
    assert_eq!(mode(&copy), 0o600, "backup");
    assert!(std::fs::metadata(&copy).unwrap().len() > 0);
}

#[test]
fn an_existing_world_readable_database_is_restricted_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("old.db");
    let url = format!("sqlite://{}", db.display());
    let migrate = Command::new(env!("CARGO_BIN_EXE_ismap"))
        .env_remove("ISMAP_DATABASE_URL")
        .args(["db", "migrate", "--database-url", &url])
        .output()
        .unwrap();
    assert!(migrate.status.success());
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
    let again = Command::new(env!("CARGO_BIN_EXE_ismap"))
        .env_remove("ISMAP_DATABASE_URL")
        .args(["db", "migrate", "--database-url", &url])
        .output()
        .unwrap();
    assert!(again.status.success());
    assert_eq!(
        std::fs::metadata(&db).unwrap().permissions().mode() & 0o777,
        0o600
    );
}
