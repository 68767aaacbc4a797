//! Accounts (issue 12): sessions and tokens end with a password change or a
//! disabled account; token scope, expiry and events; CSRF tokens bound to
//! the session; sign-in throttling per account and address; password and
//! username rules. Both backends.

use std::net::{IpAddr, Ipv4Addr};

use ismap_store::{events, sessions, users};
use ismap_web::testing::TestServer;

use crate::helpers::{BACKENDS, Client, page_csrf, server};

const OTHER_ADDRESS: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));

async fn user_id(server: &TestServer, username: &str) -> i64 {
    users::find_for_sign_in(&server.db, username)
        .await
        .unwrap()
        .unwrap()
        .0
        .id
}

/// Creates an API token on the account page and returns it.
async fn new_token(client: &Client<'_>, name: &str, scope: &str, days: &str) -> String {
    let response = client
        .post_form(
            "/account/tokens",
            &[("name", name), ("scope", scope), ("days", days)],
        )
        .await;
    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
    let start = html.find("<code>ismap_").expect("the new token is shown") + "<code>".len();
    html[start..start + html[start..].find('<').unwrap()].to_owned()
}

async fn bearer_get(server: &TestServer, token: &str, path: &str) -> reqwest::Response {
    reqwest::Client::new()
        .get(server.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

async fn bearer_post_service(server: &TestServer, token: &str, name: &str) -> reqwest::Response {
    reqwest::Client::new()
        .post(server.url("/api/v1/services"))
        .bearer_auth(token)
        .json(&serde_json::json!({"name": name, "model": "SaaS"}))
        .send()
        .await
        .unwrap()
}

/// Whether `client`'s session is still good: `/account` answers 200.
async fn signed_in(client: &Client<'_>) -> bool {
    client.get("/account").await.status() == 200
}

#[tokio::test]
async fn a_password_change_ends_other_sessions_and_tokens() {
    for backend in BACKENDS {
        let server = server(backend).await;
        let old_password = server.password("saas-admin").to_owned();
        let here = Client::new(&server);
        here.sign_in("saas-admin").await;
        let elsewhere = Client::new(&server);
        elsewhere.sign_in("saas-admin").await;
        let token = new_token(&here, "ci", "read_write", "").await;
        assert_eq!(
            bearer_get(&server, &token, "/api/v1/services")
                .await
                .status(),
            200
        );

        // The rules apply, the current password is checked.
        for (new, message) in [
            ("            ", "空白だけのパスワードは使えません"),
            ("short pass", "12文字以上"),
            ("Password1234", "よく使われるパスワード"),
            ("saas-admin", "12文字以上"),
        ] {
            let refused = here
                .post_form(
                    "/account/password",
                    &[("current_password", &old_password), ("new_password", new)],
                )
                .await;
            assert_eq!(refused.status(), 422, "{backend:?} {new:?}");
            assert!(refused.text().await.unwrap().contains(message), "{new:?}");
        }
        let wrong_current = here
            .post_form(
                "/account/password",
                &[
                    ("current_password", "not the password"),
                    ("new_password", "a brand new passphrase"),
                ],
            )
            .await;
        assert_eq!(wrong_current.status(), 422);
        assert!(
            wrong_current
                .text()
                .await
                .unwrap()
                .contains("現在のパスワードが正しくありません")
        );
        assert!(signed_in(&elsewhere).await, "nothing changed yet");

        let new_password = "新しい合言葉は桜と富士山";
        let changed = here
            .post_form(
                "/account/password",
                &[
                    ("current_password", &old_password),
                    ("new_password", new_password),
                ],
            )
            .await;
        assert_eq!(changed.status(), 200);
        assert!(
            changed
                .text()
                .await
                .unwrap()
                .contains("パスワードを変更しました")
        );
        assert!(signed_in(&here).await, "the session that changed it stays");
        assert!(
            !signed_in(&elsewhere).await,
            "{backend:?}: the other session ended"
        );
        assert_eq!(
            bearer_get(&server, &token, "/api/v1/services")
                .await
                .status(),
            401,
            "{backend:?}: the token was revoked"
        );
        let by_old = Client::new(&server)
            .post_form(
                "/signin",
                &[("username", "saas-admin"), ("password", &old_password)],
            )
            .await;
        assert_eq!(by_old.status(), 401);
        let by_new = Client::new(&server)
            .post_form(
                "/signin",
                &[("username", "saas-admin"), ("password", new_password)],
            )
            .await;
        assert_eq!(by_new.status(), 303);

        // The change is an event of the organization.
        let admin = user_id(&server, "saas-admin").await;
        let org = users::organization_of(&server.db, admin).await.unwrap();
        let log = events::list(&server.db, org, 50).await.unwrap();
        let change = log
            .iter()
            .find(|e| e.action == "user.set_password")
            .expect("password change recorded");
        assert_eq!(change.after.as_ref().unwrap()["tokens_revoked"], 1);
        assert_eq!(change.after.as_ref().unwrap()["sessions_ended"], 1);
    }
}

#[tokio::test]
async fn tokens_have_a_scope_an_expiry_and_leave_events() {
    for backend in BACKENDS {
        let server = server(backend).await;
        let client = Client::new(&server);
        client.sign_in("saas-admin").await;
        let reader = new_token(&client, "dashboard", "read_only", "").await;
        let writer = new_token(&client, "pipeline", "read_write", "7").await;

        let page = client.get("/account").await.text().await.unwrap();
        let in_90_days = (chrono::Utc::now() + chrono::Duration::days(90))
            .format("%Y-%m-%d")
            .to_string();
        let in_7_days = (chrono::Utc::now() + chrono::Duration::days(7))
            .format("%Y-%m-%d")
            .to_string();
        assert!(page.contains(&in_90_days), "default expiry shown: {page}");
        assert!(page.contains(&in_7_days));
        assert!(page.contains("読み取り専用") && page.contains("読み書き"));

        // A read-only token reads, and is refused any change (403 problem).
        for _ in 0..3 {
            assert_eq!(
                bearer_get(&server, &reader, "/api/v1/services")
                    .await
                    .status(),
                200
            );
        }
        let refused = bearer_post_service(&server, &reader, "by a reader").await;
        assert_eq!(refused.status(), 403, "{backend:?}");
        assert_eq!(
            refused.headers()["content-type"],
            "application/problem+json"
        );
        let written = bearer_post_service(&server, &writer, "by a writer").await;
        assert!(written.status().is_success(), "{}", written.status());

        // A token cannot make tokens: that needs a signed-in browser.
        let minted = reqwest::Client::new()
            .post(server.url("/account/tokens"))
            .bearer_auth(&writer)
            .form(&[("name", "child"), ("scope", "read_write")])
            .send()
            .await
            .unwrap();
        assert_eq!(minted.status(), 403, "{backend:?}");

        // Bad scope and lifetimes are refused, naming the field.
        for (scope, days) in [("admin", "90"), ("read_only", "0"), ("read_only", "366")] {
            let bad = client
                .post_form(
                    "/account/tokens",
                    &[("name", "bad"), ("scope", scope), ("days", days)],
                )
                .await;
            assert_eq!(bad.status(), 422, "{scope} {days}");
        }

        // Creation and (once a day) use are events the organization's admin sees.
        let admin = user_id(&server, "saas-admin").await;
        let org = users::organization_of(&server.db, admin).await.unwrap();
        let log = events::list(&server.db, org, 100).await.unwrap();
        let count = |action: &str| log.iter().filter(|e| e.action == action).count();
        assert_eq!(count("api_token.create"), 2, "{backend:?}");
        assert_eq!(
            count("api_token.use"),
            2,
            "one per token per day, {backend:?}"
        );
        let events_page = client.get("/events").await.text().await.unwrap();
        // Said as a sentence (issue 13), not as the event code.
        assert!(
            events_page.contains("」</a>を使用しました"),
            "{events_page}"
        );
        assert!(!events_page.contains("api_token.use"));
        let tokens = sessions::tokens_of(&server.db, admin).await.unwrap();
        assert!(tokens.iter().all(|t| t.last_used_at.is_some()));

        // An expired token is refused.
        sqlx::query("UPDATE api_tokens SET expires_at = '2000-01-01T00:00:00.000Z'")
            .execute(&server.db.pool)
            .await
            .unwrap();
        assert_eq!(
            bearer_get(&server, &reader, "/api/v1/services")
                .await
                .status(),
            401
        );
        let page = client.get("/account").await.text().await.unwrap();
        assert!(page.contains("期限切れ"));
    }
}

#[tokio::test]
async fn administrators_disable_accounts_and_sessions_and_tokens_stop_at_once() {
    for backend in BACKENDS {
        let server = server(backend).await;
        let editor = Client::new(&server);
        editor.sign_in("saas-editor").await;
        let token = new_token(&editor, "editor tool", "read_write", "").await;
        let editor_id = user_id(&server, "saas-editor").await;

        let admin = Client::new(&server);
        admin.sign_in("saas-admin").await;
        let list = admin.get("/account/users").await;
        assert_eq!(list.status(), 200);
        let html = list.text().await.unwrap();
        assert!(html.contains("saas-editor"), "{html}");
        assert!(!html.contains("iaas-admin"), "only the own organization");

        // Others may not, and an account of another organization is missing.
        assert_eq!(editor.get("/account/users").await.status(), 403);
        let stranger = Client::new(&server);
        stranger.sign_in("iaas-admin").await;
        let across = stranger
            .post_form(
                &format!("/account/users/{editor_id}/active"),
                &[("active", "false")],
            )
            .await;
        assert_eq!(across.status(), 404, "{backend:?}");
        assert!(signed_in(&editor).await);

        let disabled = admin
            .post_form(
                &format!("/account/users/{editor_id}/active"),
                &[("active", "false"), ("reason", "left the company")],
            )
            .await;
        assert_eq!(disabled.status(), 303, "{backend:?}");
        assert!(
            !signed_in(&editor).await,
            "{backend:?}: the session stopped"
        );
        assert_eq!(
            bearer_get(&server, &token, "/api/v1/services")
                .await
                .status(),
            401
        );
        let password = server.password("saas-editor").to_owned();
        let again = Client::new(&server)
            .post_form(
                "/signin",
                &[("username", "saas-editor"), ("password", &password)],
            )
            .await;
        assert_eq!(again.status(), 401, "a disabled account cannot sign in");
        let twice = admin
            .post_form(
                &format!("/account/users/{editor_id}/active"),
                &[("active", "false")],
            )
            .await;
        assert_eq!(twice.status(), 409);
        let admin_id = user_id(&server, "saas-admin").await;
        let own = admin
            .post_form(
                &format!("/account/users/{admin_id}/active"),
                &[("active", "false")],
            )
            .await;
        assert_eq!(own.status(), 409, "nobody disables themselves");

        // The secretariat manages anyone's account; enabling lets them back in.
        let secretariat = Client::new(&server);
        secretariat.sign_in("secretariat").await;
        let everyone = secretariat
            .get("/account/users")
            .await
            .text()
            .await
            .unwrap();
        assert!(everyone.contains("saas-editor") && everyone.contains("iaas-admin"));
        let enabled = secretariat
            .post_form(
                &format!("/account/users/{editor_id}/active"),
                &[("active", "true")],
            )
            .await;
        assert_eq!(enabled.status(), 303);
        Client::new(&server).sign_in("saas-editor").await;
        assert_eq!(
            bearer_get(&server, &token, "/api/v1/services")
                .await
                .status(),
            401,
            "tokens revoked by disabling stay revoked"
        );
        let org = users::organization_of(&server.db, editor_id).await.unwrap();
        let log = events::list(&server.db, org, 100).await.unwrap();
        let disable = log.iter().find(|e| e.action == "user.disable").unwrap();
        assert_eq!(disable.reason, "left the company");
        assert!(log.iter().any(|e| e.action == "user.enable"));
    }
}

#[tokio::test]
async fn csrf_tokens_are_the_servers_and_bound_to_the_session() {
    for backend in BACKENDS {
        let server = server(backend).await;
        let password = server.password("saas-admin").to_owned();
        let raw = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();

        // A cookie and field the client made up are refused, in either form.
        let made_up = "a".repeat(43);
        let forged_pair = format!("{}.{}", "b".repeat(43), "c".repeat(43));
        for (cookie, field) in [
            (made_up.as_str(), made_up.as_str()),
            (&forged_pair, &forged_pair),
        ] {
            let forged = raw
                .post(server.url("/signin"))
                .header("cookie", format!("ismap_csrf={cookie}"))
                .form(&[
                    ("username", "saas-admin"),
                    ("password", &password),
                    ("csrf", field),
                ])
                .send()
                .await
                .unwrap();
            assert_eq!(forged.status(), 403, "{backend:?} {cookie}");
        }

        // The token changes at sign-in, and the old one stops working.
        let a = Client::new(&server);
        let before = a.csrf().await;
        a.sign_in("saas-admin").await;
        let after = a.csrf().await;
        assert_ne!(before, after, "{backend:?}: rotated at sign-in");
        let stale = a
            .http
            .post(server.url("/services"))
            .form(&[("name", "stale"), ("model", "SaaS"), ("csrf", &before)])
            .send()
            .await
            .unwrap();
        assert_eq!(stale.status(), 403);

        // Session A's token does not work for session B of the same person.
        let b = Client::new(&server);
        b.sign_in("saas-admin").await;
        assert_ne!(b.csrf().await, after);
        let crossed = b
            .http
            .post(server.url("/services"))
            .form(&[("name", "crossed"), ("model", "SaaS"), ("csrf", &after)])
            .send()
            .await
            .unwrap();
        assert_eq!(crossed.status(), 403, "{backend:?}");
        let own = b
            .post_form("/services", &[("name", "本物"), ("model", "SaaS")])
            .await;
        assert_eq!(own.status(), 303);

        // htmx's header carries the same token.
        let page = b.get("/account").await.text().await.unwrap();
        assert_eq!(page_csrf(&page), Some(b.csrf().await));

        // A publicly cacheable page sets no cookie; the sign-in page does.
        let public = raw.get(server.url("/lists/ismap")).send().await.unwrap();
        assert_eq!(public.status(), 200);
        assert!(
            public.headers()["cache-control"]
                .to_str()
                .unwrap()
                .contains("public"),
            "the list page is public"
        );
        assert!(
            public.headers().get("set-cookie").is_none(),
            "{backend:?}: {:?}",
            public.headers().get("set-cookie")
        );
        let signin = raw.get(server.url("/signin")).send().await.unwrap();
        assert!(
            signin.headers()["set-cookie"]
                .to_str()
                .unwrap()
                .starts_with("ismap_csrf=")
        );
    }
}

#[tokio::test]
async fn parallel_guesses_get_five_checks_and_the_real_user_still_signs_in() {
    for backend in BACKENDS {
        let server = server(backend).await;
        let attacker = Client::new(&server);
        let csrf = attacker.csrf().await;
        let mut guesses = tokio::task::JoinSet::new();
        for n in 0..40 {
            let http = attacker.http.clone();
            let url = server.url("/signin");
            let csrf = csrf.clone();
            guesses.spawn(async move {
                let guess = format!("wrong guess number {n}");
                http.post(url)
                    .form(&[
                        ("username", "reviewer"),
                        ("password", &guess),
                        ("csrf", &csrf),
                    ])
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            });
        }
        let statuses = guesses.join_all().await;
        let checked = statuses.iter().filter(|s| **s == 401).count();
        let throttled = statuses.iter().filter(|s| **s == 429).count();
        assert_eq!(checked + throttled, 40, "{backend:?}: {statuses:?}");
        assert!((1..=5).contains(&checked), "{backend:?}: {checked} checks");
        let recorded = sessions::failures_since(&server.db, "reviewer", "2000-01-01")
            .await
            .unwrap();
        assert_eq!(
            recorded, checked as i64,
            "{backend:?}: every check is recorded"
        );

        // The attacker's address stays blocked for this account, even with
        // the right password.
        let password = server.password("reviewer").to_owned();
        let blocked = attacker
            .post_form(
                "/signin",
                &[("username", "reviewer"), ("password", &password)],
            )
            .await;
        assert_eq!(blocked.status(), 429);

        // The real user, from another address, signs in.
        let real = Client::from_address(&server, OTHER_ADDRESS);
        real.sign_in("reviewer").await;
        assert!(signed_in(&real).await);
        // Other accounts from the attacker's address are not locked.
        Client::new(&server).sign_in("committee").await;
    }
}

#[tokio::test]
async fn a_success_clears_the_pair_and_an_address_has_a_global_cap() {
    for backend in BACKENDS {
        let server = server(backend).await;
        let client = Client::from_address(&server, OTHER_ADDRESS);
        let wrong = |name: &'static str| {
            let client = &client;
            async move {
                client
                    .post_form(
                        "/signin",
                        &[("username", name), ("password", "not the password")],
                    )
                    .await
                    .status()
                    .as_u16()
            }
        };
        for _ in 0..4 {
            assert_eq!(wrong("auditor").await, 401);
        }
        client.sign_in("auditor").await;
        client.post_form("/signout", &[]).await;
        // After the success the pair has its five attempts again.
        for _ in 0..5 {
            assert_eq!(wrong("auditor").await, 401, "{backend:?}");
        }
        assert_eq!(wrong("auditor").await, 429);
        // One address guessing at many accounts meets the address cap (30).
        let names = [
            "iaas-admin",
            "saas-admin",
            "saas-editor",
            "audit-manager",
            "reviewer",
            "committee",
            "secretariat",
        ];
        let mut refused = 0;
        for name in names {
            for _ in 0..5 {
                if wrong(name).await == 429 {
                    refused += 1;
                }
            }
        }
        // The address has 9 failures (4 + 5; the success did not count):
        // 21 more are allowed, the other 14 refused.
        assert_eq!(refused, 14, "{backend:?}");
        // From the test's usual address, the accounts are not locked.
        Client::new(&server).sign_in("secretariat").await;
    }
}

#[tokio::test]
async fn usernames_are_normalized_and_markup_is_refused() {
    for backend in BACKENDS {
        let server = server(backend).await;
        // Width and case do not make another name.
        let client = Client::new(&server);
        let password = server.password("saas-admin").to_owned();
        let signed = client
            .post_form(
                "/signin",
                &[("username", "ＳＡＡＳ-Ａｄｍｉｎ"), ("password", &password)],
            )
            .await;
        assert_eq!(signed.status(), 303, "{backend:?}");

        let org = ismap_store::orgs::find_by_name(&server.db, "サンプル監査法人")
            .await
            .unwrap()
            .unwrap();
        let system = ismap_store::Actor::system("test");
        let create = |name: &'static str| {
            let (db, org, system) = (&server.db, &org, &system);
            async move {
                users::create(
                    db,
                    system,
                    users::NewUser {
                        username: name,
                        display_name: "x",
                        email: "",
                        password_hash: None,
                    },
                    org,
                    ismap_domain::Role::Auditor,
                )
                .await
            }
        };
        let made = create(" Yamada.Taro ").await.unwrap();
        assert_eq!(made.username, "yamada.taro");
        for same in [
            "YAMADA.TARO",
            "ｙａｍａｄａ．ｔａｒｏ",
            "auditor",
            "AUDITOR",
        ] {
            let taken = create(same).await;
            assert!(
                matches!(&taken, Err(ismap_store::StoreError::Conflict(m)) if m.contains("taken")),
                "{backend:?} {same}: {taken:?}"
            );
        }
        for bad in [
            "<script>",
            "a\"b",
            "o'neil",
            "a&b",
            "a\nb",
            "admin\u{202E}txt",
            "two words",
            "",
        ] {
            let refused = create(bad).await;
            assert!(
                matches!(&refused, Err(ismap_store::StoreError::Conflict(_))),
                "{bad:?}: {refused:?}"
            );
        }
        let japanese = create("山田太郎").await.unwrap();
        assert_eq!(japanese.username, "山田太郎");
    }
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_forwarded_address_is_throttled() {
    for backend in BACKENDS {
        let config = ismap_web::Config {
            trusted_proxies: vec![IpAddr::V4(Ipv4Addr::LOCALHOST)],
            ..ismap_web::Config::default()
        };
        let server = ismap_web::testing::spawn_with(backend, config).await;
        let password = server.password("reviewer").to_owned();
        let client = Client::new(&server);
        let csrf = client.csrf().await;
        // As the proxy forwards them: what the client sent, then its address.
        let attempt = |forwarded: &'static str, password: String| {
            let (client, csrf) = (&client, csrf.clone());
            async move {
                client
                    .http
                    .post(client.server.url("/signin"))
                    .header("x-forwarded-for", forwarded)
                    .form(&[
                        ("username", "reviewer"),
                        ("password", password.as_str()),
                        ("csrf", csrf.as_str()),
                    ])
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            }
        };
        for _ in 0..5 {
            assert_eq!(attempt("203.0.113.9", "wrong guess".into()).await, 401);
        }
        assert_eq!(attempt("203.0.113.9", "wrong guess".into()).await, 429);
        // Writing another address in front does not help the attacker.
        assert_eq!(
            attempt("198.51.100.7, 203.0.113.9", password.clone()).await,
            429,
            "{backend:?}"
        );
        // The real user, behind the same proxy, signs in.
        assert_eq!(attempt("198.51.100.7", password).await, 303, "{backend:?}");
    }
}
