//! The public crosswalk page and its JSON: no sign-in, an ISO/IEC 27001
//! certificate or an uploaded FedRAMP baseline / SSP, nothing stored.

use std::path::PathBuf;

use ismap_store::Backend;
use serde_json::Value;

use crate::helpers::{Client, server};

/// A file under ../shared/data; CI must have it, elsewhere the test skips.
fn shared(path: &str) -> Option<Vec<u8>> {
    let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data"));
    if !dir.is_dir() {
        assert!(
            std::env::var_os("CI").is_none(),
            "{} is missing; CI must provide the shared reference data",
            dir.display()
        );
        eprintln!("skipped: {} is missing", dir.display());
        return None;
    }
    Some(std::fs::read(dir.join(path)).unwrap())
}

fn file_form(name: &str, bytes: Vec<u8>) -> reqwest::multipart::Form {
    let part = reqwest::multipart::Part::bytes(bytes)
        .file_name(name.to_owned())
        .mime_str("application/octet-stream")
        .unwrap();
    reqwest::multipart::Form::new().part("file", part)
}

#[tokio::test]
async fn anyone_sees_the_iso_certificate_table_and_its_json() {
    // The page reads no stored data: one backend is enough.
    let server = server(Backend::Sqlite).await;
    let client = Client::new(&server);
    let page = client.get("/crosswalk").await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains(r#"href="/crosswalk""#), "the nav links to it");
    assert!(html.contains(r#"name="file""#));
    assert!(!html.contains("data-status="), "no table before a choice");

    let html = client
        .get("/crosswalk?source=iso27001&lang=en")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(html.matches(r#"data-status="covered""#).count(), 114);
    assert_eq!(html.matches(r#"data-status="not-covered""#).count(), 7);
    assert!(html.contains("Annex A"), "{html}");
    assert!(html.contains(r#"data-objective="9.5.1.P" data-status="not-covered""#));

    let json: Value = client
        .get("/api/v1/crosswalk?iso27001=true")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(json["source"]["kind"], "iso27001");
    assert_eq!(json["summary"]["covered"], 114);
    assert_eq!(json["summary"]["not_covered"], 7);
    assert_eq!(json["objectives"].as_array().unwrap().len(), 121);
    let refused = client.get("/api/v1/crosswalk").await;
    assert!(refused.status().is_client_error(), "{}", refused.status());
    assert!(
        client
            .get("/crosswalk?source=soc2")
            .await
            .status()
            .is_client_error()
    );
}

#[tokio::test]
async fn an_uploaded_fedramp_moderate_xml_baseline_gives_the_table_per_chapter() {
    let Some(xml) = shared(
        "fedramp-automation/dist/content/rev5/baselines/xml/FedRAMP_rev5_MODERATE-baseline-resolved-profile_catalog.xml",
    ) else {
        return;
    };
    let server = server(Backend::Sqlite).await;
    let client = Client::new(&server);
    let response = client
        .post_multipart("/crosswalk", file_form("moderate.xml", xml))
        .await;
    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
    assert!(html.contains("FedRAMP Rev 5 Moderate Baseline"));
    // As `ismap crosswalk --fedramp-baseline` (crates/ismap-cli/tests/crosswalk.rs).
    assert_eq!(html.matches(r#"data-status="covered""#).count(), 80);
    assert_eq!(html.matches(r#"data-status="partly""#).count(), 32);
    assert_eq!(html.matches(r#"data-status="not-covered""#).count(), 9);
    assert!(html.contains("<h3>17 "), "one table per chapter");
}

#[tokio::test]
async fn unusable_uploads_are_named_on_the_page() {
    let server = server(Backend::Sqlite).await;
    let client = Client::new(&server);
    let cases: [(&str, Vec<u8>, &str); 3] = [
        (
            "profile.json",
            br#"{"profile": {"uuid": "u", "metadata": {"title": "p"}, "imports": []}}"#.to_vec(),
            "lists no controls held",
        ),
        ("notes.pdf", b"%PDF-1.7\n".to_vec(), "not an OSCAL document"),
        (
            "huge.json",
            vec![b' '; 8 * 1024 * 1024 + 1],
            "larger than the limit",
        ),
    ];
    for (name, bytes, expected) in cases {
        let response = client
            .post_multipart("/crosswalk", file_form(name, bytes))
            .await;
        // htmx swaps only successful responses, so the page says it there.
        assert_eq!(response.status(), 200, "{name}");
        let html = response.text().await.unwrap();
        assert!(html.contains(r#"class="alert alert-error""#), "{name}");
        assert!(html.contains(expected), "{name}: {html}");
        assert!(!html.contains("data-status="), "{name}");
    }
    // Without htmx the status says it too.
    let csrf = client.csrf().await;
    let response = client
        .http
        .post(server.url("/crosswalk"))
        .header("x-csrf-token", csrf)
        .multipart(file_form("notes.pdf", b"%PDF-1.7\n".to_vec()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422);
}
