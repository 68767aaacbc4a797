//! Issue 15 (notify): `ismap serve --demo` keeps notification e-mail in a
//! Maildir beside the database, says where at start, and refuses an SMTP
//! URL that would send mail unencrypted across a network.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn ismap() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ismap"));
    command
        .env_remove("ISMAP_DATABASE_URL")
        .env_remove("ISMAP_SMTP_URL")
        .env("ISMAP_LOG", "warn");
    command
}

#[test]
fn the_demo_keeps_its_mail_in_a_maildir_beside_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/data/ismap.db", dir.path().display());
    let mut child = ismap()
        .args([
            "serve",
            "--demo",
            "--listen",
            "127.0.0.1:0",
            "--database-url",
            &url,
        ])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut said = Vec::new();
    loop {
        let line = lines.next().expect("the server starts").unwrap();
        if line.starts_with("ismap is listening on ") {
            break;
        }
        said.push(line);
    }
    let maildir = dir.path().join("data/maildir");
    assert!(
        said.iter()
            .any(|l| l.contains("Maildir") && l.contains(&maildir.display().to_string())),
        "{said:?}"
    );
    // The demo world's notifications arrive as files in new/.
    let started = Instant::now();
    let count = loop {
        let count = std::fs::read_dir(maildir.join("new"))
            .map(|d| d.count())
            .unwrap_or(0);
        if count > 0 || started.elapsed() > Duration::from_secs(20) {
            break count;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    child.wait().unwrap();
    assert!(count > 0, "mail in {}", maildir.display());
    let first = std::fs::read_dir(maildir.join("new"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let text = std::fs::read_to_string(first).unwrap();
    assert!(text.contains("@example.jp"), "{text}");
    assert!(text.contains("[ISMAP portal]"), "{text}");
}

#[test]
fn unencrypted_smtp_across_a_network_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/ismap.db", dir.path().display());
    let output = ismap()
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--database-url",
            &url,
            "--smtp-url",
            "smtp://mail.example.jp:25",
        ])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("smtps://"), "{stderr}");
}
