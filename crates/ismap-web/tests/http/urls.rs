//! Issue 12 item 8: links people type are http(s) URLs only, on every way
//! in (service page form, API create and patch, statement details,
//! evidence references in the editor and in statement files, the
//! application form), and a stored non-web value is shown as text, never as
//! a link.

use serde_json::Value;

use crate::helpers::{BACKENDS, Client, example_statement, saas_ids, server};

/// What an attacker tries: script and data schemes, in the spellings a
/// browser still runs.
const HOSTILE: &[&str] = &[
    "javascript:alert(document.cookie)",
    " JavaScript:alert(1)",
    "java\tscript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
];

const WIKI: &str = "https://wiki.example.jp/sre/iac-tag-policy";

async fn service_count(server: &ismap_web::testing::TestServer) -> usize {
    ismap_store::services::list(&server.db, None)
        .await
        .unwrap()
        .len()
}

async fn patch(client: &Client<'_>, service: i64, url: &str) -> reqwest::Response {
    client
        .http
        .patch(client.server.url(&format!("/api/v1/services/{service}")))
        .header("x-csrf-token", client.csrf().await)
        .json(&serde_json::json!({"description": "d", "url": url, "reason": "link check"}))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn service_urls_are_http_or_https_on_the_page_and_the_api() {
    for backend in BACKENDS {
        let server = server(backend).await;
        let admin = Client::new(&server);
        admin.sign_in("saas-admin").await;
        let before = service_count(&server).await;
        for url in HOSTILE {
            // The page form: 422, the message names the field, what was typed stays.
            let page = admin
                .post_form(
                    "/services",
                    &[
                        ("name", "リンク検査サービス"),
                        ("model", "SaaS"),
                        ("description", "説明はそのまま"),
                        ("url", url),
                    ],
                )
                .await;
            assert_eq!(page.status(), 422, "{backend:?} {url:?}");
            let html = page.text().await.unwrap();
            assert!(html.contains("url: "), "{backend:?}: names the field");
            assert!(html.contains("http:// または https://"), "{html}");
            assert!(html.contains("リンク検査サービス") && html.contains("説明はそのまま"));
            assert!(!html.contains("href=\"javascript") && !html.contains("href=\"data"));

            // The API: a problem document naming the field.
            let body = serde_json::json!({"name": "api link check", "model": "SaaS", "url": url});
            let api = admin
                .post_body("/api/v1/services", "application/json", body.to_string())
                .await;
            assert_eq!(api.status(), 422, "{backend:?} {url:?}");
            let problem: Value = api.json().await.unwrap();
            assert_eq!(problem["errors"][0]["field"], "url", "{problem}");
        }
        // English readers get English.
        let english = admin
            .post_body(
                "/api/v1/services?lang=en",
                "application/json",
                r#"{"name": "x", "model": "SaaS", "url": "javascript:alert(1)"}"#.into(),
            )
            .await;
        assert_eq!(english.status(), 422);
        let problem: Value = english.json().await.unwrap();
        let message = problem["errors"][0]["message"].as_str().unwrap();
        assert!(
            message.contains("javascript") && message.contains("http"),
            "{message}"
        );
        assert_eq!(
            service_count(&server).await,
            before,
            "{backend:?}: nothing stored"
        );

        // http(s) is fine, and an empty URL too.
        let created = admin
            .post_form(
                "/services",
                &[
                    ("name", "ok"),
                    ("model", "SaaS"),
                    ("url", "https://ok.example.jp/"),
                ],
            )
            .await;
        assert_eq!(created.status(), 303, "{backend:?}");
        let (service, _) = saas_ids(&server).await;
        let refused = patch(&admin, service, "data:text/html,<script>alert(1)</script>").await;
        assert_eq!(refused.status(), 422, "{backend:?}");
        let problem: Value = refused.json().await.unwrap();
        assert_eq!(problem["errors"][0]["field"], "url");
        let stored = ismap_store::services::get(&server.db, service)
            .await
            .unwrap();
        assert!(stored.url.starts_with("https://"), "{backend:?}: unchanged");
        assert_eq!(
            patch(&admin, service, "").await.status(),
            200,
            "{backend:?}"
        );
        assert_eq!(
            patch(&admin, service, "http://saas.example.jp")
                .await
                .status(),
            200
        );
    }
}

#[tokio::test]
async fn evidence_references_and_statement_urls_are_checked_on_every_way_in() {
    for backend in BACKENDS {
        let server = server(backend).await;
        let (_, statement) = saas_ids(&server).await;
        let editor = Client::new(&server);
        editor.sign_in("saas-editor").await;
        let latest = || async {
            ismap_store::statements::get(&server.db, statement)
                .await
                .unwrap()
                .latest_revision
        };
        let before = latest().await;

        // The editor's evidence form: a document reference is fine, a script is not.
        for reference in HOSTILE {
            let refused = editor
                .post_form(
                    &format!("/statements/{statement}/controls/8.1.2.7.PB/evidence"),
                    &[
                        ("based_on", &before.to_string()),
                        ("title", "t"),
                        ("reference", reference),
                    ],
                )
                .await;
            assert_eq!(refused.status(), 422, "{backend:?} {reference:?}");
            let html = refused.text().await.unwrap();
            assert!(html.contains("reference: "), "{html}");
        }
        // The statement details form.
        let details = editor
            .post_form(
                &format!("/statements/{statement}/details"),
                &[
                    ("based_on", &before.to_string()),
                    ("name", "Example SaaS"),
                    ("model", "SaaS"),
                    ("url", "javascript:alert(1)"),
                ],
            )
            .await;
        assert_eq!(details.status(), 422, "{backend:?}");
        // A statement file, imported in the editor or sent to the API.
        let hostile_file = example_statement().replace(WIKI, "javascript:alert(1)");
        let imported = editor
            .post_form(
                &format!("/statements/{statement}/import"),
                &[
                    ("based_on", &before.to_string()),
                    ("content", &hostile_file),
                ],
            )
            .await;
        assert_eq!(imported.status(), 422, "{backend:?}");
        let html = imported.text().await.unwrap();
        assert!(
            html.contains("controls.8.1.2.1.evidence[1].reference"),
            "{html}"
        );
        let api = editor
            .post_body(
                &format!("/api/v1/statements/{statement}/revisions?based_on={before}"),
                "application/yaml",
                hostile_file,
            )
            .await;
        assert_eq!(api.status(), 422, "{backend:?}");
        let problem: Value = api.json().await.unwrap();
        assert_eq!(
            problem["errors"][0]["field"],
            "controls.8.1.2.1.evidence[1].reference"
        );
        let bad_service_url = example_statement().replace(
            "url: \"https://saas.example.jp\"",
            "url: \"data:text/html,x\"",
        );
        let api = editor
            .post_body(
                &format!("/api/v1/statements/{statement}/revisions?based_on={before}"),
                "application/yaml",
                bad_service_url,
            )
            .await;
        assert_eq!(api.status(), 422, "{backend:?}");
        let problem: Value = api.json().await.unwrap();
        assert_eq!(problem["errors"][0]["field"], "service.url");
        assert_eq!(latest().await, before, "{backend:?}: nothing saved");

        // What is allowed still works: a web link and a document reference.
        for (n, reference) in [WIKI, "規程集 第3.2条"].iter().enumerate() {
            let added = editor
                .post_form(
                    &format!("/statements/{statement}/controls/8.1.2.7.PB/evidence"),
                    &[
                        ("based_on", &(before + n as i64).to_string()),
                        ("title", "t"),
                        ("reference", reference),
                    ],
                )
                .await;
            assert_eq!(added.status(), 303, "{backend:?} {reference}");
        }
    }
}

#[tokio::test]
async fn the_application_forms_url_is_http_or_https() {
    for backend in BACKENDS {
        let server = server(backend).await;
        let engagement = crate::registration::reported(&server).await;
        let (service, _) = saas_ids(&server).await;
        let admin = Client::new(&server);
        admin.sign_in("saas-admin").await;
        // The form with its URL replaced (reqwest forms cannot be edited: rebuild).
        let form = crate::registration::application_form(engagement, true)
            .text("service_url", "javascript:alert(1)");
        let refused = admin
            .post_multipart(&format!("/services/{service}/applications"), form)
            .await;
        assert_eq!(refused.status(), 422, "{backend:?}");
        let html = refused.text().await.unwrap();
        assert!(html.contains("service_url: "), "{html}");
        // Without htmx the form comes back with what was typed.
        let form = crate::registration::application_form(engagement, true)
            .text("service_url", "javascript:alert(1)");
        let plain = admin
            .http
            .post(server.url(&format!("/services/{service}/applications")))
            .header("x-csrf-token", admin.csrf().await)
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(plain.status(), 422, "{backend:?}");
        let html = plain.text().await.unwrap();
        assert!(html.contains("service_url: "), "{html}");
        assert!(
            html.contains("value=\"東京都港区サンプル二丁目2番2号\""),
            "{html}"
        );
        assert!(html.contains(">年1回の侵入テスト</textarea>"), "{html}");
        assert!(!html.contains("href=\"javascript"));
        assert!(
            ismap_store::applications::list(&server.db, None)
                .await
                .unwrap()
                .is_empty(),
            "{backend:?}: nothing filed"
        );
    }
}

/// Data stored before the rule (or written around it) is shown as text.
#[tokio::test]
async fn stored_script_links_render_as_text_not_links() {
    for backend in BACKENDS {
        let server = server(backend).await;
        let (_, statement) = saas_ids(&server).await;
        let record = ismap_store::statements::get(&server.db, statement)
            .await
            .unwrap();
        let actor = ismap_store::Actor::system("old data");
        let old = ismap_store::services::create(
            &server.db,
            &actor,
            ismap_store::services::NewService {
                organization_id: record.organization_id,
                name: "古いサービス",
                model: ismap_domain::ServiceModel::SaaS,
                description: "",
                url: "javascript:alert(document.cookie)",
                registration_number: None,
            },
        )
        .await
        .unwrap();
        let content = example_statement().replace(WIKI, "javascript:alert(2)");
        ismap_store::statements::add_revision(
            &server.db,
            &actor,
            &record,
            record.latest_revision,
            ismap_store::statements::NewRevision {
                content: &content,
                comment: "old data",
                errors: 0,
                warnings: 0,
            },
        )
        .await
        .unwrap();

        for role in ["saas-admin", "reviewer", "committee", "secretariat"] {
            let client = Client::new(&server);
            client.sign_in(role).await;
            let page = client.get(&format!("/services/{}", old.id)).await;
            assert_eq!(page.status(), 200, "{backend:?} {role}");
            let html = page.text().await.unwrap();
            assert!(
                html.contains("javascript:alert(document.cookie)"),
                "shown as text"
            );
            assert!(
                !html.contains("href=\"javascript"),
                "{backend:?} {role}: {html}"
            );
        }
        let editor = Client::new(&server);
        editor.sign_in("saas-editor").await;
        // The evidence sits on control 8.1.2.7.PB: its chapter's rows.
        let html = editor
            .get(&format!("/statements/{statement}/edit?chapter=8"))
            .await
            .text()
            .await
            .unwrap();
        assert!(html.contains("javascript:alert(2)"), "shown as text");
        assert!(!html.contains("href=\"javascript"), "{backend:?}");
        assert!(
            html.contains("href=\"https://wiki.example.jp/") || !html.contains("wiki.example.jp"),
            "web links stay links"
        );
    }
}
