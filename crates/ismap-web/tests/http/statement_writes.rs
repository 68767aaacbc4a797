//! Writes of a statement (issue 12 items 2 and 17): a frozen statement
//! refuses every write, whichever door it comes through; a revision has a
//! size limit; each user's writes are rate-limited.

use serde_json::Value;

use ismap_web::testing::TestServer;

use crate::helpers::{BACKENDS, Client, example_statement, saas_ids, server};

async fn revision_count(client: &Client<'_>, statement: i64) -> usize {
    let list: Value = client
        .get(&format!("/api/v1/statements/{statement}/revisions"))
        .await
        .json()
        .await
        .unwrap();
    list.as_array().expect("a list of revisions").len()
}

async fn post_revision(
    client: &Client<'_>,
    statement: i64,
    based_on: i64,
    text: String,
) -> reqwest::Response {
    client
        .post_body(
            &format!("/api/v1/statements/{statement}/revisions?based_on={based_on}"),
            "application/yaml",
            text,
        )
        .await
}

/// The example with every decision removed: a statement with rule errors.
fn statement_with_errors() -> String {
    let text = example_statement();
    let mut broken = ismap_formats::statement_file::parse_statement("example", &text)
        .unwrap()
        .statement;
    for entry in broken.controls.values_mut() {
        entry.decision = None;
    }
    ismap_formats::statement_write::to_yaml(&broken)
}

#[tokio::test]
async fn a_frozen_statement_refuses_every_write() {
    for backend in BACKENDS {
        let server = server(backend).await;
        let (service, statement) = saas_ids(&server).await;
        let admin = Client::new(&server);
        admin.sign_in("saas-admin").await;

        // Frozen through the page.
        let frozen = admin
            .post_form(
                &format!("/statements/{statement}/freeze"),
                &[("based_on", "1")],
            )
            .await;
        assert_eq!(frozen.status(), 303);
        for text in [example_statement(), statement_with_errors()] {
            let refused = post_revision(&admin, statement, 1, text).await;
            assert_eq!(refused.status(), 409, "{backend:?}");
            let problem: Value = refused.json().await.unwrap();
            assert!(
                problem["detail"].as_str().unwrap().contains("frozen"),
                "{problem}"
            );
        }
        let api_control = admin
            .post_body(
                &format!("/api/v1/statements/{statement}/controls/8.1.2.7.PB?based_on=1"),
                "application/json",
                r#"{"decision": "implemented"}"#.into(),
            )
            .await;
        assert_eq!(api_control.status(), 409);
        let page_control = admin
            .post_form(
                &format!("/statements/{statement}/controls/8.1.2.7.PB"),
                &[("based_on", "1"), ("decision", "implemented")],
            )
            .await;
        assert_eq!(page_control.status(), 409);
        assert_eq!(
            revision_count(&admin, statement).await,
            1,
            "{backend:?}: nothing stored"
        );

        // Frozen through the API: a statement created through the API.
        let created = admin
            .post_body(
                &format!("/api/v1/services/{service}/statements"),
                "application/yaml",
                example_statement(),
            )
            .await;
        assert_eq!(created.status(), 201);
        let created: Value = created.json().await.unwrap();
        let second = created["statement"]["id"].as_i64().unwrap();
        let frozen = admin
            .post_body(
                &format!("/api/v1/statements/{second}/freeze?based_on=1"),
                "application/json",
                String::new(),
            )
            .await;
        assert_eq!(frozen.status(), 200);
        let refused = post_revision(&admin, second, 1, statement_with_errors()).await;
        assert_eq!(refused.status(), 409);
        assert_eq!(revision_count(&admin, second).await, 1);

        // An engagement audits the frozen revision, the only one.
        let audit_org = ismap_store::orgs::list(&server.db)
            .await
            .unwrap()
            .iter()
            .find(|o| o.kind == ismap_domain::OrgKind::AuditOrg)
            .unwrap()
            .id;
        let engaged = admin
            .post_form(
                "/engagements",
                &[
                    ("statement_id", &second.to_string()),
                    ("audit_organization_id", &audit_org.to_string()),
                    ("period_start", "2025-04-01"),
                    ("period_end", "2026-03-31"),
                    ("scope", "full"),
                ],
            )
            .await;
        assert_eq!(engaged.status(), 303);
        let location = engaged.headers()["location"].to_str().unwrap().to_owned();
        let engagement: i64 = location.rsplit('/').next().unwrap().parse().unwrap();
        let engagement = ismap_store::engagements::get(&server.db, engagement)
            .await
            .unwrap();
        assert_eq!(engagement.revision, 1);
        let audited = ismap_store::statements::revision_at(&server.db, second, 1)
            .await
            .unwrap();
        assert_eq!(audited.errors, 0, "the audited revision has no rule errors");
    }
}

/// More than the 2 MiB a revision may have, as YAML (a comment).
fn oversized() -> String {
    let mut text = example_statement();
    text.push_str("\n# ");
    text.push_str(&"x".repeat(2 * 1024 * 1024));
    text.push('\n');
    text
}

#[tokio::test]
async fn a_statement_revision_has_a_size_limit() {
    for backend in BACKENDS {
        let server = server(backend).await;
        let (service, statement) = saas_ids(&server).await;
        let admin = Client::new(&server);
        admin.sign_in("saas-admin").await;

        let api = post_revision(&admin, statement, 1, oversized()).await;
        assert_eq!(api.status(), 422, "{backend:?}");
        let problem: Value = api.json().await.unwrap();
        let detail = problem["detail"].as_str().unwrap();
        assert!(detail.contains("2097152"), "names the limit: {detail}");
        assert!(
            detail.contains("バイトまで") && detail.contains("at most"),
            "{detail}"
        );
        assert_eq!(problem["errors"][0]["field"], "statement");
        let new_statement = admin
            .post_body(
                &format!("/api/v1/services/{service}/statements"),
                "application/yaml",
                oversized(),
            )
            .await;
        assert_eq!(new_statement.status(), 422);

        // The editor: a control whose text makes the statement too large
        // (sent as htmx sends it, the CSRF token in a header).
        let csrf = admin.csrf().await;
        let page = admin
            .http
            .post(server.url(&format!("/statements/{statement}/controls/8.1.2.7.PB")))
            .header("x-csrf-token", csrf)
            .header("hx-request", "true")
            .form(&[
                ("based_on", "1"),
                ("decision", "implemented"),
                ("individual_control", &"x".repeat(2 * 1024 * 1024 + 1)),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), 422);
        assert!(page.text().await.unwrap().contains("2097152"));
        assert_eq!(revision_count(&admin, statement).await, 1, "nothing stored");
        assert_eq!(
            ismap_store::statements::of_service(&server.db, service)
                .await
                .unwrap()
                .len(),
            1
        );

        // Under the limit, saves go on.
        let fine = post_revision(&admin, statement, 1, example_statement()).await;
        assert_eq!(fine.status(), 201);
    }
}

async fn limited(backend: ismap_store::Backend) -> TestServer {
    ismap_web::testing::spawn_with(
        backend,
        ismap_web::Config {
            statement_writes_per_minute: 1,
            statement_write_burst: 3,
            ..ismap_web::Config::default()
        },
    )
    .await
}

#[tokio::test]
async fn statement_writes_are_rate_limited_per_user() {
    for backend in BACKENDS {
        let server = limited(backend).await;
        let (_, statement) = saas_ids(&server).await;
        let admin = Client::new(&server);
        admin.sign_in("saas-admin").await;
        for based_on in 1..=3 {
            let saved = post_revision(&admin, statement, based_on, example_statement()).await;
            assert_eq!(
                saved.status(),
                201,
                "{backend:?}: write {based_on} of the burst"
            );
        }
        let refused = post_revision(&admin, statement, 4, example_statement()).await;
        assert_eq!(refused.status(), 429, "{backend:?}");
        let retry: u64 = refused.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=60).contains(&retry), "{retry}");
        let problem: Value = refused.json().await.unwrap();
        assert!(
            problem["type"]
                .as_str()
                .unwrap()
                .ends_with("/too-many-writes"),
            "{problem}"
        );
        let detail = problem["detail"].as_str().unwrap();
        assert!(
            detail.contains("1 分に 1 回") && detail.contains("1 times a minute"),
            "{detail}"
        );
        // The editor page says so too, in the page's language (Japanese).
        let page = admin
            .post_form(
                &format!("/statements/{statement}/controls/8.1.2.7.PB"),
                &[("based_on", "4"), ("decision", "implemented")],
            )
            .await;
        assert_eq!(page.status(), 429);
        let html = page.text().await.unwrap();
        assert!(html.contains("保存の回数が多すぎます"), "{html}");
        assert_eq!(
            revision_count(&admin, statement).await,
            4,
            "nothing more stored"
        );

        // Another user of the same provider has a budget of their own.
        let editor = Client::new(&server);
        editor.sign_in("saas-editor").await;
        let saved = post_revision(&editor, statement, 4, example_statement()).await;
        assert_eq!(saved.status(), 201);
    }
}
