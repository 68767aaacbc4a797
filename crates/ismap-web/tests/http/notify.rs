//! Issue 15, item 9: the notification list, marking read, e-mail choices,
//! the daily checks (once a day, once across processes) and e-mail over a
//! real SMTP conversation and into the demo's Maildir.

use std::sync::{Arc, Mutex};

use base64::Engine;
use ismap_store::notifications::{self, Notice, notify_users};
use ismap_store::{Backend, Db};
use ismap_web::notify_mail::{MailTransport, Mailer, deliver_pending};
use ismap_web::scheduler::{JOBS, run_daily};
use ismap_web::testing::TestServer;
use ismap_web::{AppState, Config};
use sqlx::Row;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use crate::helpers::{BACKENDS, Client, page_csrf, server};

async fn user_id(db: &Db, username: &str) -> i64 {
    ismap_store::users::find_for_sign_in(db, username)
        .await
        .unwrap()
        .unwrap()
        .0
        .id
}

async fn notify(db: &Db, user: i64, kind: &str, days: &str, key: &str) -> i64 {
    let mut conn = db.pool.acquire().await.unwrap();
    let written = notify_users(
        &mut conn,
        &[user],
        &Notice {
            kind,
            message_id: "notify-interim-deadline",
            args: &[
                ("service", "テストSaaS".into()),
                ("days", days.into()),
                ("date", "2027-05-31".into()),
            ],
            link: "/interim-measures/1",
            dedupe_key: Some(key),
        },
    )
    .await
    .unwrap();
    assert_eq!(written, 1);
    notifications::list(db, user, 1).await.unwrap()[0].id
}

async fn set_email(db: &Db, user: i64, email: &str) {
    sqlx::query("UPDATE users SET email = $1 WHERE id = $2")
        .bind(email)
        .bind(user)
        .execute(&db.pool)
        .await
        .unwrap();
}

#[tokio::test]
async fn the_list_shows_notifications_in_japanese_and_only_their_owner_reads_them() {
    for backend in BACKENDS {
        let server = server(backend).await;
        let officer = user_id(&server.db, "agency-a").await;
        let client = Client::new(&server);
        client.sign_in("agency-a").await;
        // The demo world may hold some for them already (pages that bring
        // interim measures up to date notify too): counted after a visit.
        client.get("/").await;
        let before = notifications::unread(&server.db, officer).await.unwrap();
        let first = notify(&server.db, officer, "interim.deadline_90", "90", "t:1").await;
        let second = notify(&server.db, officer, "interim.deadline_30", "30", "t:2").await;

        // The count in the navigation.
        let home = client.get("/").await.text().await.unwrap();
        assert!(
            home.contains(&format!("通知 ({})", before + 2)),
            "{backend:?}: nav count"
        );

        let page = client.get("/notifications").await;
        assert_eq!(page.status(), 200);
        let html = page.text().await.unwrap();
        assert!(
            html.contains("テストSaaSの暫定措置の申請期限（2027年5月31日）まで30日です"),
            "{backend:?}: {html}"
        );
        assert!(html.contains("すべて既読にする"));
        assert!(html.contains("未読"));
        // Newest first.
        let (a, b) = (
            html.find(&format!("notification-{second}")).unwrap(),
            html.find(&format!("notification-{first}")).unwrap(),
        );
        assert!(a < b, "newest first");
        let english = client
            .get("/notifications?lang=en")
            .await
            .text()
            .await
            .unwrap();
        assert!(english.contains("30 days left until the application deadline"));
        client.get("/lang/ja").await;

        // Someone else's notification is answered like a missing one.
        let other = Client::new(&server);
        other.sign_in("agency-b").await;
        let theirs = other
            .post_form(&format!("/notifications/{first}/read"), &[])
            .await;
        assert_eq!(theirs.status(), 404, "{backend:?}");
        let missing = other.post_form("/notifications/987654/read", &[]).await;
        assert_eq!(missing.status(), 404);
        assert_eq!(
            notifications::unread(&server.db, officer).await.unwrap(),
            before + 2
        );
        // agency-b's own list does not show it.
        let listed = other.get("/notifications").await.text().await.unwrap();
        assert!(!listed.contains("テストSaaS"));

        // Clicking one marks it read and leads to its link.
        let csrf = page_csrf(&html).expect("csrf on the page");
        let opened = client
            .http
            .post(server.url(&format!("/notifications/{first}/read")))
            .form(&[("csrf", csrf.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(opened.status(), 303);
        assert_eq!(
            opened.headers()["location"].to_str().unwrap(),
            "/interim-measures/1"
        );
        assert_eq!(
            notifications::unread(&server.db, officer).await.unwrap(),
            before + 1
        );
        let home = client.get("/").await.text().await.unwrap();
        assert!(home.contains(&format!("通知 ({})", before + 1)));

        // All read.
        let all = client
            .http
            .post(server.url("/notifications/read"))
            .form(&[("csrf", csrf.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(all.status(), 303);
        assert_eq!(notifications::unread(&server.db, officer).await.unwrap(), 0);
        let html = client.get("/notifications").await.text().await.unwrap();
        assert!(!html.contains("すべて既読にする"));
        assert!(!html.contains("通知 ("));
        // Anonymous: sign in first.
        let anonymous = Client::new(&server);
        let response = anonymous.get("/notifications").await;
        assert!(response.status().is_redirection() || response.status() == 401);
    }
}

#[tokio::test]
async fn people_choose_which_kinds_of_email_they_get() {
    for backend in BACKENDS {
        let server = server(backend).await;
        let admin = user_id(&server.db, "saas-admin").await;
        let client = Client::new(&server);
        client.sign_in("saas-admin").await;
        let html = client.get("/account").await.text().await.unwrap();
        assert!(html.contains("メール通知"), "{backend:?}");
        assert!(html.contains(r#"name="kind" value="registration" checked"#));
        let csrf = page_csrf(&html).unwrap();
        // Everything but registration expiry.
        let mut form: Vec<(&str, &str)> = vec![("csrf", &csrf)];
        for kind in ismap_domain::schedule::EMAIL_KINDS {
            if kind != "registration" {
                form.push(("kind", kind));
            }
        }
        let saved = client
            .http
            .post(server.url("/account/notifications"))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(saved.status(), 303);
        let prefs = notifications::email_prefs(&server.db, admin).await.unwrap();
        assert!(prefs.contains(&("registration", false)));
        assert!(prefs.contains(&("interim", true)));
        let html = client.get("/account").await.text().await.unwrap();
        assert!(html.contains(r#"name="kind" value="registration">"#));
        let events: i64 = sqlx::query(
            "SELECT COUNT(*) AS n FROM events WHERE action = 'user.email_preferences' AND object_id = $1",
        )
        .bind(admin.to_string())
        .fetch_one(&server.db.pool)
        .await
        .unwrap()
        .try_get("n")
        .unwrap();
        assert_eq!(events, 1);
        // A kind that does not exist is refused.
        let refused = client
            .http
            .post(server.url("/account/notifications"))
            .form(&[("csrf", csrf.as_str()), ("kind", "everything")])
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), 422);
    }
}

/// Moves the server's clock so that the demo's first expiring registration
/// has 60 days left: inside the 90-day window.
async fn near_a_registration_expiry(server: &TestServer) -> (i64, String) {
    let row = sqlx::query(
        "SELECT id, organization_id, valid_until FROM registrations WHERE superseded = 0 ORDER BY valid_until, id LIMIT 1",
    )
    .fetch_one(&server.db.pool)
    .await
    .unwrap();
    let until: String = row.try_get("valid_until").unwrap();
    let until: chrono::NaiveDate = until.parse().unwrap();
    let target = until - chrono::Duration::days(60);
    server
        .clock
        .advance_days((target - server.clock.today()).num_days());
    (row.try_get("id").unwrap(), until.to_string())
}

async fn count(db: &Db, sql: &str) -> i64 {
    sqlx::query(sql)
        .fetch_one(&db.pool)
        .await
        .unwrap()
        .try_get("n")
        .unwrap()
}

#[tokio::test]
async fn the_daily_checks_run_once_a_day_and_never_notify_twice() {
    for backend in BACKENDS {
        let server = server(backend).await;
        let (registration, _) = near_a_registration_expiry(&server).await;
        let first = run_daily(&server.state).await.unwrap();
        assert_eq!(first.ran, JOBS.to_vec(), "{backend:?}: {first:?}");
        assert!(first.failed.is_empty(), "{first:?}");
        assert!(first.notices > 0, "{backend:?}: {first:?}");
        let key = format!("registration:{registration}:expiry_90");
        let sql = format!("SELECT COUNT(*) AS n FROM notifications WHERE dedupe_key = '{key}'");
        let told = count(&server.db, &sql).await;
        assert!(
            told >= 1,
            "{backend:?}: the provider's administrators are told"
        );
        let total = count(&server.db, "SELECT COUNT(*) AS n FROM notifications").await;

        // Again the same day: every job is already claimed.
        let again = run_daily(&server.state).await.unwrap();
        assert!(again.ran.is_empty(), "{again:?}");
        assert_eq!(again.skipped, JOBS.to_vec());
        assert_eq!(
            count(&server.db, "SELECT COUNT(*) AS n FROM notifications").await,
            total
        );
        // The next day the jobs run again, and the dedupe keys keep the
        // 90-day reminder single.
        server.clock.advance_days(1);
        let next = run_daily(&server.state).await.unwrap();
        assert_eq!(next.ran, JOBS.to_vec());
        assert_eq!(count(&server.db, &sql).await, told);
        // 31 days later: the 30-day reminder, once.
        server.clock.advance_days(30);
        run_daily(&server.state).await.unwrap();
        let thirty = format!(
            "SELECT COUNT(*) AS n FROM notifications WHERE dedupe_key = 'registration:{registration}:expiry_30'"
        );
        assert_eq!(count(&server.db, &thirty).await, told);
        // The list shows it to the provider's administrator.
        let username: String = sqlx::query(&format!(
            "SELECT u.username FROM notifications n JOIN users u ON u.id = n.user_id \
             WHERE n.dedupe_key = '{key}' ORDER BY u.id LIMIT 1"
        ))
        .fetch_one(&server.db.pool)
        .await
        .unwrap()
        .try_get("username")
        .unwrap();
        let client = Client::new(&server);
        client.sign_in(&username).await;
        let html = client.get("/notifications").await.text().await.unwrap();
        assert!(
            html.contains("の登録の有効期限"),
            "{backend:?} {username}: {html}"
        );
    }
}

/// Two portals (two AppStates, two connection pools, as two processes) on
/// one PostgreSQL database, and several calls at once on each backend:
/// every job is claimed once and every notice written once.
#[tokio::test]
async fn concurrent_daily_checks_run_each_job_once() {
    for backend in BACKENDS {
        let server = server(backend).await;
        near_a_registration_expiry(&server).await;
        let other_db = match backend {
            Backend::Postgres => {
                // A second pool to the same database: another process.
                let url = database_url(&server.db).await;
                Db::connect(&url).await.unwrap()
            }
            Backend::Sqlite => server.db.clone(),
        };
        let other = AppState::load(other_db, Config::default()).await.unwrap();
        other.clock.advance_days(server.clock.offset_days());
        assert_eq!(other.clock.today(), server.clock.today());
        let (a, b, c, d) = tokio::join!(
            run_daily(&server.state),
            run_daily(&other),
            run_daily(&server.state),
            run_daily(&other)
        );
        let reports = [a.unwrap(), b.unwrap(), c.unwrap(), d.unwrap()];
        let mut ran: Vec<&str> = reports.iter().flat_map(|r| r.ran.clone()).collect();
        ran.sort_unstable();
        let mut expected = JOBS.to_vec();
        expected.sort_unstable();
        assert_eq!(ran, expected, "{backend:?}: each job once: {reports:?}");
        let runs = ismap_store::schedule::runs_of(&server.db, server.clock.today())
            .await
            .unwrap();
        assert_eq!(runs.len(), JOBS.len());
        assert!(
            runs.iter().all(|r| r.state == "done" && r.attempts == 1),
            "{runs:?}"
        );
        let duplicates = count(
            &server.db,
            "SELECT COUNT(*) AS n FROM (SELECT user_id, dedupe_key FROM notifications \
             WHERE dedupe_key IS NOT NULL GROUP BY user_id, dedupe_key HAVING COUNT(*) > 1) d",
        )
        .await;
        assert_eq!(duplicates, 0);
        let notices: usize = reports.iter().map(|r| r.notices).sum();
        assert!(notices > 0);
    }
}

/// The URL of the server's PostgreSQL database (its name, on the test server).
async fn database_url(db: &Db) -> String {
    let name: String = sqlx::query("SELECT CAST(current_database() AS TEXT) AS n")
        .fetch_one(&db.pool)
        .await
        .unwrap()
        .try_get("n")
        .unwrap();
    let admin = ismap_store::testing::postgres_admin_url();
    let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
    format!("{base}/{name}")
}

/// What a test's SMTP receiver got: (MAIL FROM, RCPT TO…, DATA).
type Received = Arc<Mutex<Vec<(String, Vec<String>, String)>>>;

/// A small SMTP receiver speaking the real protocol (EHLO, MAIL, RCPT,
/// DATA, QUIT) on a random port.
async fn smtp_receiver() -> (u16, Received) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let received: Received = Arc::default();
    let store = received.clone();
    tokio::spawn(async move {
        loop {
            let Ok((socket, _)) = listener.accept().await else {
                return;
            };
            let store = store.clone();
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut lines = BufReader::new(read);
                write
                    .write_all(b"220 test.invalid ESMTP\r\n")
                    .await
                    .unwrap();
                let (mut from, mut to) = (String::new(), Vec::new());
                let mut line = String::new();
                loop {
                    line.clear();
                    if lines.read_line(&mut line).await.unwrap_or(0) == 0 {
                        return;
                    }
                    let command = line.trim_end().to_owned();
                    let upper = command.to_ascii_uppercase();
                    if upper.starts_with("EHLO") || upper.starts_with("HELO") {
                        write
                            .write_all(b"250-test.invalid\r\n250 8BITMIME\r\n")
                            .await
                            .unwrap();
                    } else if upper.starts_with("MAIL FROM:") {
                        from = command[10..].trim().to_owned();
                        to.clear();
                        write.write_all(b"250 OK\r\n").await.unwrap();
                    } else if upper.starts_with("RCPT TO:") {
                        to.push(command[8..].trim().to_owned());
                        write.write_all(b"250 OK\r\n").await.unwrap();
                    } else if upper == "DATA" {
                        write.write_all(b"354 go ahead\r\n").await.unwrap();
                        let mut data = String::new();
                        loop {
                            line.clear();
                            if lines.read_line(&mut line).await.unwrap_or(0) == 0 {
                                return;
                            }
                            if line == ".\r\n" {
                                break;
                            }
                            data.push_str(&line);
                        }
                        store.lock().unwrap().push((from.clone(), to.clone(), data));
                        write.write_all(b"250 queued\r\n").await.unwrap();
                    } else if upper == "QUIT" {
                        write.write_all(b"221 bye\r\n").await.unwrap();
                        return;
                    } else {
                        write.write_all(b"250 OK\r\n").await.unwrap();
                    }
                }
            });
        }
    });
    (port, received)
}

/// The decoded subject and body of a message as lettre writes it (subject
/// in RFC 2047 encoded words, body in base64).
fn decode(data: &str) -> (String, String) {
    let b64 = base64::engine::general_purpose::STANDARD;
    let (head, body) = data.split_once("\r\n\r\n").unwrap();
    // Unfold the header lines.
    let head = head.replace("\r\n ", " ").replace("\r\n\t", " ");
    let subject_line = head
        .lines()
        .find_map(|l| l.strip_prefix("Subject: "))
        .unwrap();
    let mut subject = String::new();
    for word in subject_line.split_whitespace() {
        match word
            .strip_prefix("=?utf-8?b?")
            .or_else(|| word.strip_prefix("=?UTF-8?B?"))
            .and_then(|w| w.strip_suffix("?="))
        {
            Some(encoded) => {
                subject.push_str(&String::from_utf8(b64.decode(encoded).unwrap()).unwrap())
            }
            None => {
                if !subject.is_empty() {
                    subject.push(' ');
                }
                subject.push_str(word);
            }
        }
    }
    let body: String = body.split_whitespace().collect();
    let body = String::from_utf8(b64.decode(body).unwrap()).unwrap();
    (subject, body)
}

#[tokio::test]
async fn email_goes_over_smtp_in_both_languages_to_those_who_want_it() {
    for backend in BACKENDS {
        let server = server(backend).await;
        let (port, received) = smtp_receiver().await;
        let officer = user_id(&server.db, "agency-a").await;
        let admin = user_id(&server.db, "saas-admin").await;
        set_email(&server.db, officer, "officer@agency-a.example.jp").await;
        set_email(&server.db, admin, "admin@saas.example.jp").await;
        // Nothing else waits in the queue: only this test's notices count.
        sqlx::query("UPDATE notifications SET emailed_at = $1")
            .bind(ismap_store::now())
            .execute(&server.db.pool)
            .await
            .unwrap();
        let wanted = notify(&server.db, officer, "interim.deadline_30", "30", "m:1").await;
        let unwanted = notify(&server.db, admin, "interim.deadline_7", "7", "m:2").await;
        // The administrator turned interim e-mail off on the account page.
        let client = Client::new(&server);
        client.sign_in("saas-admin").await;
        let kinds: Vec<(&str, &str)> = ismap_domain::schedule::EMAIL_KINDS
            .iter()
            .filter(|k| **k != "interim")
            .map(|k| ("kind", *k))
            .collect();
        assert_eq!(
            client
                .post_form("/account/notifications", &kinds)
                .await
                .status(),
            303
        );

        let mailer = Mailer::new(&MailTransport::Smtp(format!("smtp://127.0.0.1:{port}"))).unwrap();
        // Two senders at once: each mail leaves once.
        let (a, b) = tokio::join!(
            deliver_pending(&server.state, &mailer, "ISMAP <ismap@example.jp>", 100),
            deliver_pending(&server.state, &mailer, "ISMAP <ismap@example.jp>", 100)
        );
        let (a, b) = (a.unwrap(), b.unwrap());
        assert_eq!(a.sent + b.sent, 1, "{backend:?}: {a:?} {b:?}");
        assert_eq!(a.skipped + b.skipped, 1);
        let got = received.lock().unwrap().clone();
        assert_eq!(got.len(), 1, "{backend:?}");
        let (from, to, data) = &got[0];
        assert_eq!(from, "<ismap@example.jp>");
        assert_eq!(to, &vec!["<officer@agency-a.example.jp>".to_owned()]);
        let (subject, body) = decode(data);
        assert_eq!(
            subject,
            "【ISMAPポータル】暫定措置の期限 / [ISMAP portal] Interim measure deadlines"
        );
        let ja = body
            .find("テストSaaSの暫定措置の申請期限（2027年5月31日）まで30日です")
            .expect(&body);
        let en = body
            .find(
                "30 days left until the application deadline of the interim measure for テストSaaS",
            )
            .expect(&body);
        assert!(ja < en, "Japanese first");
        assert!(body.contains(&format!("{}/interim-measures/1", server.base)));
        let (sent_at, outcome, _, _) = notifications::email_state(&server.db, wanted)
            .await
            .unwrap();
        assert!(sent_at.is_some());
        assert_eq!(outcome.as_deref(), Some("sent"));
        let (_, outcome, _, _) = notifications::email_state(&server.db, unwanted)
            .await
            .unwrap();
        assert_eq!(outcome.as_deref(), Some("off"));
        // Nothing is sent twice.
        let again = deliver_pending(&server.state, &mailer, "ISMAP <ismap@example.jp>", 100)
            .await
            .unwrap();
        assert_eq!(again.sent, 0);
        assert_eq!(received.lock().unwrap().len(), 1);

        // A server that does not answer: the failure is kept and retried later.
        let failing = notify(&server.db, officer, "interim.deadline_7", "7", "m:3").await;
        let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let dead_port = closed.local_addr().unwrap().port();
        drop(closed);
        let dead = Mailer::new(&MailTransport::Smtp(format!(
            "smtp://127.0.0.1:{dead_port}"
        )))
        .unwrap();
        let failed = deliver_pending(&server.state, &dead, "ISMAP <ismap@example.jp>", 100)
            .await
            .unwrap();
        assert_eq!(failed.failed, 1);
        let (sent_at, _, attempts, error) = notifications::email_state(&server.db, failing)
            .await
            .unwrap();
        assert_eq!((sent_at, attempts), (None, 1));
        assert!(error.is_some());
        // Waiting for its back-off: not tried again at once.
        let soon = deliver_pending(&server.state, &mailer, "ISMAP <ismap@example.jp>", 100)
            .await
            .unwrap();
        assert_eq!(soon.sent + soon.failed, 0);
        // Once the back-off has passed, it goes.
        sqlx::query(
            "UPDATE notifications SET email_retry_at = '2000-01-01T00:00:00.000Z' WHERE id = $1",
        )
        .bind(failing)
        .execute(&server.db.pool)
        .await
        .unwrap();
        let later = deliver_pending(&server.state, &mailer, "ISMAP <ismap@example.jp>", 100)
            .await
            .unwrap();
        assert_eq!(later.sent, 1);
        assert_eq!(received.lock().unwrap().len(), 2);
    }
}

#[tokio::test]
async fn the_demo_maildir_receives_the_mail() {
    let server = server(Backend::Sqlite).await;
    let dir = tempfile::tempdir().unwrap();
    let maildir = dir.path().join("maildir");
    let mailer = Mailer::new(&MailTransport::Maildir(maildir.clone())).unwrap();
    for sub in ["new", "cur", "tmp"] {
        assert!(maildir.join(sub).is_dir());
    }
    let officer = user_id(&server.db, "agency-a").await;
    set_email(&server.db, officer, "officer@agency-a.example.jp").await;
    notify(&server.db, officer, "interim.deadline_30", "30", "d:1").await;
    let report = deliver_pending(&server.state, &mailer, "ISMAP <ismap@localhost>", 100)
        .await
        .unwrap();
    assert!(report.sent >= 1, "{report:?}");
    let files: Vec<_> = std::fs::read_dir(maildir.join("new"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), report.sent);
    let mut found = false;
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        assert!(text.contains("Subject: "));
        if text.contains("officer@agency-a.example.jp") {
            let (subject, body) = decode(&text.replace("\r\n", "\n").replace('\n', "\r\n"));
            if body.contains("テストSaaS") {
                assert!(subject.contains("暫定措置の期限"), "{subject}");
                found = true;
            }
        }
    }
    assert!(found);
    assert!(
        std::fs::read_dir(maildir.join("tmp"))
            .unwrap()
            .next()
            .is_none()
    );
}
