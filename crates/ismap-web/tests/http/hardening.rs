//! The portal under requests meant to break it (issue 12): a handler that
//! panics, redirects that try to leave the site, HSTS over HTTPS.

use axum::routing::get;
use ismap_store::Backend;
use ismap_web::Config;
use ismap_web::testing::{spawn_with, spawn_with_routes};

use crate::helpers::Client;

async fn boom() -> &'static str {
    panic!("a bug in a handler")
}

#[tokio::test]
async fn a_panicking_handler_answers_500_and_the_server_goes_on() {
    let extra = axum::Router::new().route("/test/panic", get(boom));
    let server = spawn_with_routes(Backend::Sqlite, Config::default(), extra).await;
    let client = Client::new(&server);
    for _ in 0..3 {
        let response = client.get("/test/panic").await;
        assert_eq!(response.status(), 500);
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json"
        );
        assert!(response.headers().contains_key("x-request-id"));
        assert_eq!(response.headers()["x-content-type-options"], "nosniff");
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["status"], 500);
        assert!(
            !body.to_string().contains("a bug in a handler"),
            "the panic message stays in the log: {body}"
        );
    }
    assert_eq!(client.get("/healthz").await.status(), 200);
    assert_eq!(client.get("/catalog").await.status(), 200);
}

#[tokio::test]
async fn the_language_switch_only_returns_to_pages_of_this_site() {
    let server = spawn_with(Backend::Sqlite, Config::default()).await;
    let client = Client::new(&server);
    let location = |response: reqwest::Response| {
        assert_eq!(response.status(), 303);
        response.headers()["location"].to_str().unwrap().to_owned()
    };
    for bypass in [
        "//evil.example",
        "/%5Cevil.example",
        "/%5C%5Cevil.example",
        "%5C%5Cevil.example",
        "/%09/evil.example",
        "/%0A/evil.example",
        "/%0D%0A/evil.example",
        "/\\evil.example",
        "https://evil.example/",
        "https:evil.example",
        "javascript:alert(1)",
        "/%E3%80%80/evil.example",
        "",
    ] {
        let target = location(client.get(&format!("/lang/en?next={bypass}")).await);
        assert_eq!(target, "/", "next={bypass}");
    }
    let target = location(client.get("/lang/en?next=/lists/ismap").await);
    assert_eq!(target, "/lists/ismap");
    let target = location(
        client
            .get("/lang/ja?next=/lists/ismap%3Fq%3D%E6%9D%B1%E4%BA%AC")
            .await,
    );
    assert_eq!(target, "/lists/ismap?q=%E6%9D%B1%E4%BA%AC");
}

#[tokio::test]
async fn hsts_only_when_served_over_https() {
    let plain = spawn_with(Backend::Sqlite, Config::default()).await;
    let response = Client::new(&plain).get("/catalog").await;
    assert!(!response.headers().contains_key("strict-transport-security"));

    let secure = spawn_with(
        Backend::Sqlite,
        Config {
            secure_cookies: true,
            ..Config::default()
        },
    )
    .await;
    let response = Client::new(&secure).get("/catalog").await;
    assert_eq!(
        response.headers()["strict-transport-security"],
        "max-age=31536000; includeSubDomains"
    );
}

#[tokio::test]
async fn a_query_that_does_not_parse_is_a_422_naming_the_field() {
    let server = spawn_with(Backend::Sqlite, Config::default()).await;
    let client = Client::new(&server);
    // The API answers with a problem document naming the field.
    let response = client.get("/api/v1/crosswalk?iso27001=maybe").await;
    assert_eq!(response.status(), 422);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["errors"][0]["field"], "iso27001", "{body}");
    // A page answers with its form again, the field named by its label in
    // the user's language.
    let response = client.get("/lists/ismap?expiring=maybe").await;
    assert_eq!(response.status(), 422);
    let page = response.text().await.unwrap();
    assert!(
        page.contains("有効期限まで（日以内）: 「maybe」は数ではありません"),
        "{page}"
    );
    assert_eq!(client.get("/healthz").await.status(), 200);
}
