//! Sign-in, sessions, CSRF, rate limiting, language, security headers.

use crate::helpers::{BACKENDS, Client, server};

#[tokio::test]
async fn sign_in_sessions_and_sign_out() {
    for backend in BACKENDS {
        let server = server(backend).await;
        let client = Client::new(&server);
        let response = client.sign_in("saas-admin").await;
        let set_cookie: Vec<String> = response
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect();
        let session = set_cookie
            .iter()
            .find(|c| c.starts_with("ismap_session="))
            .expect("session cookie");
        assert!(
            session.contains("HttpOnly") && session.contains("SameSite=Lax"),
            "{session}"
        );
        assert!(!session.contains("Secure"), "plain HTTP in tests");

        let home = client.get("/").await.text().await.unwrap();
        assert!(home.contains("ダッシュボード"), "{home}");
        assert!(home.contains("SaaS 管理者"));

        // The session id is stored only as a hash.
        let raw = client.cookie("ismap_session").unwrap();
        let stored = ismap_store::sessions::user_of(&server.db, &raw)
            .await
            .unwrap();
        assert_eq!(
            stored, None,
            "the raw session id is not a key in the database"
        );

        let out = client.post_form("/signout", &[]).await;
        assert_eq!(out.status(), 303);
        let after = client.get("/account").await;
        assert_eq!(
            after.headers()["location"],
            "/signin?next=%2Faccount",
            "signed out"
        );
    }
}

#[tokio::test]
async fn wrong_passwords_are_refused_and_then_rate_limited() {
    let server = server(ismap_store::Backend::Sqlite).await;
    let client = Client::new(&server);
    for _ in 0..5 {
        let response = client
            .post_form(
                "/signin",
                &[("username", "reviewer"), ("password", "not the password")],
            )
            .await;
        assert_eq!(response.status(), 401);
        assert!(
            response
                .text()
                .await
                .unwrap()
                .contains("ユーザー名またはパスワードが正しくありません")
        );
    }
    // Even the right password is refused while the account is locked.
    let password = server.password("reviewer").to_owned();
    let locked = client
        .post_form(
            "/signin",
            &[("username", "reviewer"), ("password", &password)],
        )
        .await;
    assert_eq!(locked.status(), 429);
    // Other accounts are not affected.
    Client::new(&server).sign_in("committee").await;
}

#[tokio::test]
async fn state_changes_without_the_csrf_token_are_refused() {
    for backend in BACKENDS {
        let server = server(backend).await;
        let client = Client::new(&server);
        client.sign_in("saas-admin").await;
        let forged = client
            .http
            .post(server.url("/services"))
            .form(&[("name", "forged"), ("model", "SaaS")])
            .send()
            .await
            .unwrap();
        assert_eq!(forged.status(), 403);
        let forged_api = client
            .http
            .post(server.url("/api/v1/services"))
            .json(&serde_json::json!({"name": "forged", "model": "SaaS"}))
            .send()
            .await
            .unwrap();
        assert_eq!(forged_api.status(), 403);
        assert_eq!(
            forged_api.headers()["content-type"],
            "application/problem+json"
        );
        let services = ismap_store::services::list(&server.db, None).await.unwrap();
        assert!(
            services.iter().all(|s| s.name != "forged"),
            "nothing was created"
        );

        let created = client
            .post_form(
                "/services",
                &[("name", "本物のサービス"), ("model", "PaaS")],
            )
            .await;
        assert_eq!(created.status(), 303);
    }
}

#[tokio::test]
async fn pages_switch_language_and_carry_security_headers() {
    let server = server(ismap_store::Backend::Sqlite).await;
    let client = Client::new(&server);
    let page = client
        .get("/catalogs/ismap-2022-excerpt/controls/8.1.2.7.PB")
        .await;
    for header in [
        "x-request-id",
        "content-security-policy",
        "x-frame-options",
        "x-content-type-options",
    ] {
        assert!(page.headers().contains_key(header), "{header}");
    }
    let html = page.text().await.unwrap();
    assert!(html.contains("<html lang=\"ja\">"));
    assert!(html.contains("暗号鍵を管理し消去する機能"));
    assert!(html.contains("抜粋"), "the excerpt notice is shown");

    let switch = client.get("/lang/en?next=/catalog").await;
    assert_eq!(switch.status(), 303);
    assert_eq!(switch.headers()["location"], "/catalog");
    let english = client.get("/catalog").await.text().await.unwrap();
    assert!(english.contains("<html lang=\"en\">"));
    assert!(english.contains("EXCERPT"));
    // Never redirect to another site.
    let offsite = client.get("/lang/ja?next=//evil.example").await;
    assert_eq!(offsite.headers()["location"], "/");

    let search = client
        .get("/catalogs/ismap-2022-excerpt/search?q=%E6%9A%97%E5%8F%B7")
        .await;
    let results = search.text().await.unwrap();
    assert!(results.contains("8.1.2.7.PB") && results.contains("10.1.2.20.PB"));
    assert_eq!(client.get("/healthz").await.text().await.unwrap(), "ok\n");
}

#[tokio::test]
async fn each_role_sees_its_own_dashboard() {
    let server = server(ismap_store::Backend::Sqlite).await;
    let expectations = [
        (
            "saas-editor",
            "自社のクラウドサービス",
            "サンプル文書管理SaaS",
        ),
        ("iaas-admin", "自社のクラウドサービス", "サンプルIaaS"),
        (
            "reviewer",
            "IPAの審査を待っている登録申請の数です",
            "ダッシュボード",
        ),
        (
            "secretariat",
            "登録申請の状況",
            "クラウドサービスリストの掲載状況",
        ),
        ("agency-a", "ダッシュボード", "クラウドサービスリスト"),
        ("auditor", "担当する監査", "ダッシュボード"),
        ("committee", "審議予定", "ダッシュボード"),
    ];
    for (user, card, content) in expectations {
        let client = Client::new(&server);
        client.sign_in(user).await;
        let home = client.get("/").await.text().await.unwrap();
        assert!(home.contains(card), "{user}: {card}");
        assert!(home.contains(content), "{user}: {content}");
        // Interim measures (issue 15): the agency and the secretariat have
        // the card; nobody else is shown it. No event codes in the feed.
        let interim = matches!(user, "agency-a" | "secretariat");
        assert_eq!(
            home.contains("id=\"interim-card\""),
            interim,
            "{user}: the interim measures card"
        );
        assert!(!home.contains("statement.revise"), "{user}: an event code");
    }
    // The IaaS provider does not see the SaaS provider's service.
    let client = Client::new(&server);
    client.sign_in("iaas-admin").await;
    let home = client.get("/").await.text().await.unwrap();
    assert!(!home.contains("サンプル文書管理SaaS"));
}
