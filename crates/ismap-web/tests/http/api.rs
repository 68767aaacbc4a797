//! The JSON API: tokens, problem documents naming the field, statements with
//! revisions that never overwrite each other.

use serde_json::Value;

use crate::helpers::{BACKENDS, Client, EXAMPLE_STATEMENT, saas_ids, server};

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
            EXAMPLE_STATEMENT.replace("catalog: \"ismap-2022-excerpt\"", "catalog: \"ismap-2099\""),
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
        let created = client
            .post_body(
                &format!("/api/v1/services/{service}/statements"),
                "application/yaml",
                EXAMPLE_STATEMENT.into(),
            )
            .await;
        assert_eq!(created.status(), 201);
        let created: Value = created.json().await.unwrap();
        assert_eq!(created["report"]["errors"], 0);
        assert_eq!(
            created["report"]["warnings"], 1,
            "S7 cannot check registrations without a registry"
        );
        let id = created["statement"]["id"].as_i64().unwrap();

        let changed = EXAMPLE_STATEMENT.replace(
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

        let second_text = EXAMPLE_STATEMENT.replace("date: 2026-04-01", "date: 2026-05-01");
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

        let stale = client
            .post_body(
                &format!("/api/v1/statements/{id}/revisions?based_on=1"),
                "application/yaml",
                EXAMPLE_STATEMENT.into(),
            )
            .await;
        assert_eq!(stale.status(), 409);

        let first: Value = client
            .get(&format!("/api/v1/statements/{id}/revisions/1"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(first["content"], EXAMPLE_STATEMENT);
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
