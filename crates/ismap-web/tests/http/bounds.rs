//! Issue 12, item 1: 5,000 nested `<group>` elements (75 KB of XML) posted
//! to the public crosswalk without signing in overflowed the stack and
//! aborted the whole portal. Input past a reader's limits is refused with
//! 422 naming the limit, and the portal goes on answering.

use ismap_store::Backend;

use crate::helpers::{BACKENDS, Client, saas_ids, server};

fn deep_xml(groups: usize) -> Vec<u8> {
    let mut xml = String::from(
        "<?xml version=\"1.0\"?>\n<catalog xmlns=\"http://csrc.nist.gov/ns/oscal/1.0\" uuid=\"u\">\n",
    );
    for i in 0..groups {
        xml.push_str(&format!("<group id=\"g{i}\">"));
    }
    xml.push_str(&"</group>".repeat(groups));
    xml.push_str("\n</catalog>\n");
    xml.into_bytes()
}

fn file_form(name: &str, bytes: Vec<u8>) -> reqwest::multipart::Form {
    let part = reqwest::multipart::Part::bytes(bytes)
        .file_name(name.to_owned())
        .mime_str("application/octet-stream")
        .unwrap();
    reqwest::multipart::Form::new().part("file", part)
}

#[tokio::test]
async fn deeply_nested_uploads_to_the_public_crosswalk_get_422_and_the_portal_goes_on() {
    for backend in BACKENDS {
        let server = server(backend).await;
        // Anonymous, with the CSRF token the page gives, as a browser posts.
        let client = Client::new(&server);
        let xml = deep_xml(5000);
        assert!(xml.len() > 70_000, "{} bytes", xml.len());
        let json = format!(
            "{{\"catalog\": {}{}}}",
            "[".repeat(100_000),
            "]".repeat(100_000)
        )
        .into_bytes();
        for (name, bytes, limit) in [
            ("deep.xml", xml, "depth 64"),
            ("deep.json", json, "depth 128"),
        ] {
            let csrf = client.csrf().await;
            let response = client
                .http
                .post(server.url("/crosswalk"))
                .header("x-csrf-token", csrf)
                .multipart(file_form(name, bytes))
                .send()
                .await
                .expect("the portal answers");
            assert_eq!(response.status(), 422, "{backend:?} {name}");
            let html = response.text().await.unwrap();
            assert!(html.contains(r#"class="alert alert-error""#), "{name}");
            assert!(html.contains(limit), "{name} names the limit: {html}");
            assert!(html.contains("nested too deeply"), "{name}: {html}");
            assert!(!html.contains("data-status="), "{name}");
        }
        // Still up: the page and the health check answer.
        assert_eq!(client.get("/healthz").await.status(), 200, "{backend:?}");
        assert_eq!(client.get("/crosswalk").await.status(), 200, "{backend:?}");
    }
}

#[tokio::test]
async fn a_statement_import_nested_past_the_limit_gets_422_naming_it() {
    let server = server(Backend::Sqlite).await;
    let client = Client::new(&server);
    client.sign_in("saas-editor").await;
    let (_, statement) = saas_ids(&server).await;
    let deep = format!(
        "{{\"service\": {}{}}}",
        "[".repeat(20_000),
        "]".repeat(20_000)
    );
    let response = client
        .post_form(
            &format!("/statements/{statement}/import"),
            &[("based_on", "1"), ("content", &deep)],
        )
        .await;
    assert_eq!(response.status(), 422);
    let page = response.text().await.unwrap();
    // Said in the page's language (Japanese) only (issue 13).
    assert!(page.contains("深さ 128"), "{page}");
    assert_eq!(
        ismap_store::statements::revisions(&server.db, statement)
            .await
            .unwrap()
            .len(),
        1,
        "nothing stored"
    );
    assert_eq!(client.get("/healthz").await.status(), 200);
}
