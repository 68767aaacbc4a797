//! `ismap serve`, `db migrate`, `admin` and `backup` as an operator runs them.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn ismap() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ismap"));
    command
        .env_remove("ISMAP_DATABASE_URL")
        .env("ISMAP_LOG", "warn");
    command
}

#[tokio::test]
async fn serve_demo_prints_accounts_answers_and_stops_gracefully() {
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
    let mut accounts = Vec::new();
    let address = loop {
        let line = lines
            .next()
            .expect("the server prints its address")
            .unwrap();
        if let Some(rest) = line.strip_prefix("ismap is listening on ") {
            break rest.split_whitespace().next().unwrap().to_owned();
        }
        accounts.push(line);
    };
    assert!(
        accounts
            .iter()
            .any(|l| l.contains("saas-editor") && l.contains("demo-")),
        "{accounts:?}"
    );
    assert!(
        dir.path().join("data/ismap.db").exists(),
        "the data directory is created"
    );

    let health = reqwest::get(format!("{address}healthz")).await.unwrap();
    assert_eq!(health.status(), 200);
    let page = reqwest::get(format!("{address}catalog"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("8.1.2.7.PB"));

    // SIGTERM: finish and exit cleanly.
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let started = Instant::now();
    let exit = loop {
        if let Some(exit) = child.try_wait().unwrap() {
            break exit;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the server stops within 10 s"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(exit.success(), "{exit:?}");

    // A second demo start on the same database gives fresh passwords.
    let again = ismap()
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
    let mut child = again;
    let first = BufReader::new(child.stdout.take().unwrap())
        .lines()
        .nth(3)
        .unwrap()
        .unwrap();
    assert!(first.contains("demo-"), "{first}");
    assert!(
        !accounts.contains(&first),
        "passwords are new at every start"
    );
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn admin_creates_organizations_and_users_and_backup_copies_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/ismap.db", dir.path().display());
    let migrate = ismap()
        .args(["db", "migrate", "--database-url", &url])
        .output()
        .unwrap();
    assert!(
        migrate.status.success(),
        "{}",
        String::from_utf8_lossy(&migrate.stderr)
    );

    let org = ismap()
        .args([
            "admin",
            "create-org",
            "--database-url",
            &url,
            "--name",
            "株式会社テスト",
            "--name-en",
            "Test Inc.",
            "--kind",
            "csp",
        ])
        .output()
        .unwrap();
    assert!(
        org.status.success(),
        "{}",
        String::from_utf8_lossy(&org.stderr)
    );

    let mut child = ismap()
        .args([
            "admin",
            "create-user",
            "--database-url",
            &url,
            "--org",
            "Test Inc.",
            "--role",
            "csp_admin",
            "--username",
            "tanaka",
            "--password-stdin",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"a long enough password\n")
        .unwrap();
    let user = child.wait_with_output().unwrap();
    assert!(user.status.success());
    assert!(String::from_utf8_lossy(&user.stdout).contains("created user tanaka"));

    let wrong_role = ismap()
        .args([
            "admin",
            "create-user",
            "--database-url",
            &url,
            "--org",
            "Test Inc.",
            "--role",
            "reviewer",
            "--username",
            "x",
        ])
        .output()
        .unwrap();
    assert_eq!(wrong_role.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&wrong_role.stderr).contains("role reviewer belongs to ipa"));

    let copy = dir.path().join("backup.db");
    let backup = ismap()
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
    assert!(copy.metadata().unwrap().len() > 0);
    let again = ismap()
        .args([
            "backup",
            "--database-url",
            &url,
            "--to",
            copy.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));

    // The copy is a working database: the user is there.
    let restored = format!("sqlite://{}", copy.display());
    let duplicate = ismap()
        .args([
            "admin",
            "create-user",
            "--database-url",
            &restored,
            "--org",
            "Test Inc.",
            "--role",
            "csp_editor",
            "--username",
            "tanaka",
        ])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&duplicate.stderr).contains("taken"));
}

#[tokio::test]
async fn migrate_works_on_postgresql() {
    let url = ismap_store::testing::create_postgres_database().await;
    let migrate = ismap()
        .args(["db", "migrate", "--database-url", &url])
        .output()
        .unwrap();
    assert!(
        migrate.status.success(),
        "{}",
        String::from_utf8_lossy(&migrate.stderr)
    );
    let backup = ismap()
        .args(["backup", "--database-url", &url, "--to", "/tmp/never.db"])
        .output()
        .unwrap();
    assert_eq!(backup.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&backup.stderr).contains("pg_dump"));
}

#[tokio::test]
async fn admin_seeds_benchmark_registrations_once() {
    let help = ismap()
        .args(["admin", "seed-registrations", "--help"])
        .output()
        .unwrap();
    assert!(help.status.success());
    assert!(
        String::from_utf8_lossy(&help.stdout).contains("For load tests only"),
        "{}",
        String::from_utf8_lossy(&help.stdout)
    );

    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/ismap.db", dir.path().display());
    let seed = ismap()
        .args([
            "admin",
            "seed-registrations",
            "--database-url",
            &url,
            "--count",
            "50",
        ])
        .output()
        .unwrap();
    assert!(
        seed.status.success(),
        "{}",
        String::from_utf8_lossy(&seed.stderr)
    );
    assert!(String::from_utf8_lossy(&seed.stdout).contains("seeded 50"));

    let db = ismap_store::Db::connect(&url).await.unwrap();
    assert_eq!(
        ismap_store::registrations::benchmark_seeded(&db)
            .await
            .unwrap(),
        50
    );
    // All of them are on the public lists: four in five on ISMAP.
    let today = ismap_domain::validity::today_in_japan();
    let mut listed = 0;
    for (list, expected) in [
        (ismap_domain::registration::ListKind::Ismap, 40),
        (ismap_domain::registration::ListKind::Liu, 10),
    ] {
        let query = ismap_store::registrations::ListQuery {
            list,
            text: None,
            model: None,
            status: None,
            expiring_within: None,
            sort: ismap_store::registrations::Sort::Number,
            descending: false,
            page: 1,
            per_page: 1000,
        };
        let (total, rows) = ismap_store::registrations::public_list(&db, &query, today)
            .await
            .unwrap();
        assert_eq!(total, expected);
        assert_eq!(rows.len() as i64, expected);
        listed += total;
    }
    assert_eq!(listed, 50);
    drop(db);

    // A second seed on the same database is refused and adds nothing.
    let again = ismap()
        .args([
            "admin",
            "seed-registrations",
            "--database-url",
            &url,
            "--count",
            "10",
        ])
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(
        stderr.contains("already holds 50 benchmark registrations"),
        "{stderr}"
    );
    let db = ismap_store::Db::connect(&url).await.unwrap();
    assert_eq!(
        ismap_store::registrations::benchmark_seeded(&db)
            .await
            .unwrap(),
        50
    );
}
