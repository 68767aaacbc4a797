//! The JSON API: tokens, problem documents naming the field, statements with
//! revisions that never overwrite each other.

use serde_json::Value;

use crate::helpers::{BACKENDS, Client, example_date_line, example_statement, saas_ids, server};

/// Creates an API token through the account page and returns it.
async fn token(client: &Client<'_>) -> String {
    let page = client
        .post_form("/account/tokens", &[("name", "tests")])
        .await
        .text()
        .await
        .unwrap();
    let start = page.find("ismap_").expect("the new token is shown once");
    page[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .collect()
}

#[tokio::test]
async fn bearer_tokens_work_until_revoked() {
    for backend in BACKENDS {
        let server = server(backend).await;
        let client = Client::new(&server);
        client.sign_in("saas-editor").await;
        let token = token(&client).await;
        let api = reqwest::Client::new();
        let services: Value = api
            .get(server.url("/api/v1/services"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let names: Vec<&str> = services
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["name"].as_str().unwrap())
            .collect();
        assert_eq!(
            names,
            ["サンプル文書管理SaaS (Example SaaS)"],
            "only its own organization's"
        );

        let tokens = ismap_store::sessions::tokens_of(&server.db, 3)
            .await
            .unwrap();
        let id = tokens.iter().find(|t| t.name == "tests").unwrap().id;
        let revoked = client
            .post_form(&format!("/account/tokens/{id}/revoke"), &[])
            .await;
        assert_eq!(revoked.status(), 303);
        let after = api
            .get(server.url("/api/v1/services"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(after.status(), 401);
        assert_eq!(after.headers()["content-type"], "application/problem+json");
        let wrong = api
            .get(server.url("/api/v1/services"))
            .bearer_auth("ismap_guess")
            .send()
            .await
            .unwrap();
        assert_eq!(wrong.status(), 401);
    }
}

#[tokio::test]
async fn invalid_input_gets_a_problem_document_naming_the_field() {
    let server = server(ismap_store::Backend::Sqlite).await;
    let client = Client::new(&server);
    client.sign_in("saas-admin").await;
    let response = client
        .post_body(
            "/api/v1/services",
            "application/json",
            r#"{"name": "New", "model": "FaaS"}"#.into(),
        )
        .await;
    assert_eq!(response.status(), 422);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let problem: Value = response.json().await.unwrap();
    assert_eq!(problem["status"], 422);
    assert_eq!(problem["errors"][0]["field"], "model");

    let (service, _) = saas_ids(&server).await;
    let broken = client
        .post_body(
            &format!("/api/v1/services/{service}/statements"),
            "application/yaml",
            "catalog: ismap-2022-excerpt\ncontrols:\n  \"8.1.2\": { decison: selected }\n".into(),
        )
        .await;
    assert_eq!(broken.status(), 422);
    let problem: Value = broken.json().await.unwrap();
    assert!(
        problem["detail"].as_str().unwrap().contains("line 3"),
        "{problem}"
    );

    let unknown = client
        .post_body(
            &format!("/api/v1/services/{service}/statements"),
            "application/yaml",
            example_statement()
                .replace("catalog: \"ismap-2022-excerpt\"", "catalog: \"ismap-2099\""),
        )
        .await;
    let problem: Value = unknown.json().await.unwrap();
    assert_eq!(problem["errors"][0]["field"], "catalog");
}

#[tokio::test]
async fn statements_are_revised_never_overwritten() {
    for backend in BACKENDS {
        let server = server(backend).await;
        let client = Client::new(&server);
        client.sign_in("saas-editor").await;
        let (service, _) = saas_ids(&server).await;
        let created = post_example(&client, service).await;
        assert_eq!(created["report"]["errors"], 0);
        assert_eq!(
            created["report"]["warnings"], 0,
            "S7 checks the inherited controls against the portal's registrations"
        );
        let id = created["statement"]["id"].as_i64().unwrap();

        let changed = example_statement().replace(
            r#""8.1.2.3": { decision: "implemented""#,
            r#""8.1.2.3": { decision: "not_selected", reason: "資産目録は基盤のリソース一覧で代替するため。" , x: "#,
        );
        // The replacement above is deliberately broken YAML: refused, nothing stored.
        let refused = client
            .post_body(
                &format!("/api/v1/statements/{id}/revisions?based_on=1"),
                "application/yaml",
                changed,
            )
            .await;
        assert_eq!(refused.status(), 422);

        let second_text = example_statement().replace(&example_date_line(), "date: 2020-05-01");
        let second = client
            .post_body(
                &format!("/api/v1/statements/{id}/revisions?based_on=1&comment=%E6%97%A5%E4%BB%98"),
                "application/yaml",
                second_text.clone(),
            )
            .await;
        assert_eq!(second.status(), 201);
        let second: Value = second.json().await.unwrap();
        assert_eq!(second["revision"]["number"], 2);
        assert_eq!(second["content"], second_text, "stored exactly as sent");
        // Dated before the IaaS's registration began: S7 finds it invalid
        // on that date, at each inherited control.
        let findings = second["report"]["findings"].as_array().unwrap();
        assert!(!findings.is_empty());
        for finding in findings {
            assert_eq!(finding["rule"], "S7", "{finding}");
            assert_eq!(finding["severity"], "error", "{finding}");
            assert!(
                finding["message"]["en"]
                    .as_str()
                    .unwrap()
                    .contains("C21-0008-2 is not valid on the statement's date 2020-05-01"),
                "{finding}"
            );
        }
        assert_eq!(second["report"]["errors"], findings.len());

        let stale = client
            .post_body(
                &format!("/api/v1/statements/{id}/revisions?based_on=1"),
                "application/yaml",
                example_statement(),
            )
            .await;
        assert_eq!(stale.status(), 409);

        let first: Value = client
            .get(&format!("/api/v1/statements/{id}/revisions/1"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(first["content"], example_statement());
        let list: Value = client
            .get(&format!("/api/v1/statements/{id}/revisions"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(list.as_array().unwrap().len(), 2);
        let log = ismap_store::events::list(&server.db, None, 5)
            .await
            .unwrap();
        assert_eq!(log[0].action, "statement.revise");
        assert_eq!(log[0].reason, "日付");
        assert_eq!(log[0].actor, "saas-editor");

        // The statement page shows the findings of the latest revision.
        let page = client
            .get(&format!("/statements/{id}"))
            .await
            .text()
            .await
            .unwrap();
        assert!(page.contains("S7"), "{page}");
    }
}

#[tokio::test]
async fn catalog_api_and_japanese_search_on_both_backends() {
    for backend in BACKENDS {
        let server = server(backend).await;
        let client = Client::new(&server);
        let catalog: Value = client.get("/api/v1/catalog").await.json().await.unwrap();
        assert_eq!(catalog["controls"].as_array().unwrap().len(), 290);
        assert_eq!(catalog["excerpt"], true);
        let found: Value = client
            .get("/api/v1/catalogs/ismap-2022-excerpt/search?q=%E6%9A%97%E5%8F%B7")
            .await
            .json()
            .await
            .unwrap();
        let ids: Vec<&str> = found["controls"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_str().unwrap())
            .collect();
        assert!(
            ids.contains(&"8.1.2.7.PB") && ids.contains(&"12.3.1.11"),
            "{backend:?}: {ids:?}"
        );
        let control: Value = client
            .get("/api/v1/catalogs/ismap-2022-excerpt/controls/8.1.2")
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(control["detailed_controls"].as_array().unwrap().len(), 7);
        let bad = client
            .get("/api/v1/catalogs/ismap-2022-excerpt/controls/8.1")
            .await;
        assert_eq!(bad.status(), 422);
        let openapi: Value = client.get("/api/openapi.json").await.json().await.unwrap();
        assert!(openapi["paths"]["/api/v1/statements/{id}/revisions"]["post"].is_object());
        assert!(openapi["components"]["schemas"]["Problem"].is_object());
    }
}

#[tokio::test]
async fn service_changes_keep_before_and_after() {
    for backend in BACKENDS {
        let server = server(backend).await;
        let client = Client::new(&server);
        client.sign_in("saas-admin").await;
        let (service, _) = saas_ids(&server).await;
        let csrf = client.csrf().await;
        let response = client
            .http
            .patch(server.url(&format!("/api/v1/services/{service}")))
            .header("x-csrf-token", csrf)
            .json(&serde_json::json!({"description": "新しい説明", "url": "https://new.example.jp", "reason": "URL変更"}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let updated: Value = response.json().await.unwrap();
        assert_eq!(updated["url"], "https://new.example.jp");
        let event = &ismap_store::events::list(&server.db, None, 1)
            .await
            .unwrap()[0];
        assert_eq!(event.action, "service.update");
        assert_eq!(event.reason, "URL変更");
        assert_eq!(
            event.before.as_ref().unwrap()["url"],
            "https://saas.example.jp"
        );
        assert_eq!(event.after.as_ref().unwrap()["description"], "新しい説明");
    }
}

/// The example statement posted as a new statement: the answer.
async fn post_example(client: &Client<'_>, service: i64) -> Value {
    let created = client
        .post_body(
            &format!("/api/v1/services/{service}/statements"),
            "application/yaml",
            example_statement(),
        )
        .await;
    assert_eq!(created.status(), 201);
    created.json().await.unwrap()
}

/// Rule S7 in the portal reads the registrations table: the committee's
/// suspension of the underlying IaaS turns each inherited control into an
/// error at the next check, and reinstatement clears them.
#[tokio::test]
async fn the_portal_checks_inherited_controls_against_its_registrations() {
    for backend in BACKENDS {
        let server = server(backend).await;
        let editor = Client::new(&server);
        editor.sign_in("saas-editor").await;
        let committee = Client::new(&server);
        committee.sign_in("committee").await;
        let (service, _) = saas_ids(&server).await;
        let iaas = ismap_store::registrations::by_number(&server.db, "C21-0008-2")
            .await
            .unwrap();
        let suspend = |suspend: &'static str, reason: &'static str| {
            let committee = &committee;
            let path = format!("/registrations/{}/suspension", iaas.id);
            async move {
                let response = committee
                    .post_form(&path, &[("suspend", suspend), ("reason", reason)])
                    .await;
                assert_eq!(response.status(), 303);
            }
        };

        let before = post_example(&editor, service).await["report"].clone();
        assert_eq!(
            (before["errors"].clone(), before["warnings"].clone()),
            (0.into(), 0.into())
        );

        suspend("true", "重大なインシデントの調査中").await;
        let during = post_example(&editor, service).await["report"].clone();
        let findings = during["findings"].as_array().unwrap();
        assert_eq!(during["errors"], findings.len());
        assert!(findings.len() >= 2, "{during}");
        for finding in findings {
            assert_eq!(finding["rule"], "S7", "{finding}");
            assert!(
                finding["message"]["en"]
                    .as_str()
                    .unwrap()
                    .contains("C21-0008-2 is suspended"),
                "{finding}"
            );
            assert!(
                finding["message"]["ja"]
                    .as_str()
                    .unwrap()
                    .contains("一時停止"),
                "{finding}"
            );
        }

        suspend("false", "調査完了").await;
        let after = post_example(&editor, service).await["report"].clone();
        assert_eq!(after["errors"], 0, "{after}");
    }
}
