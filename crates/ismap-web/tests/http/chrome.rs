//! The portal's shared chrome (issue 13): failures of htmx requests as
//! fragments in the user's language, error pages in the portal's layout,
//! unknown addresses, returning to the page asked for after signing in,
//! the footer pages and the portal's script.

use ismap_store::Backend;

use crate::helpers::{BACKENDS, Client, server};

const FRAGMENT: &str = r#"<div class="alert alert-error" role="alert">"#;

/// An htmx request (`HX-Request: true`) made from `page`.
async fn htmx_get(client: &Client<'_>, path: &str, page: &str) -> reqwest::Response {
    client
        .http
        .get(client.server.url(path))
        .header("hx-request", "true")
        .header("hx-current-url", client.server.url(page))
        .send()
        .await
        .expect("request")
}

fn content_type(response: &reqwest::Response) -> String {
    response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn htmx_failures_answer_a_fragment_in_the_users_language() {
    for backend in BACKENDS {
        let server = server(backend).await;
        let client = Client::new(&server);
        client.sign_in("saas-editor").await;

        // Not found: the fragment, not a page, with the real status.
        let missing = htmx_get(&client, "/services/999999", "/services").await;
        assert_eq!(missing.status(), 404, "{backend:?}");
        assert!(content_type(&missing).starts_with("text/html"));
        let body = missing.text().await.unwrap();
        assert!(body.starts_with(FRAGMENT), "{body}");
        assert!(body.contains("ページが見つかりません"), "{body}");
        assert!(
            !body.contains("<html") && !body.contains("Not found"),
            "{body}"
        );

        // A refusal of the authentication middleware itself (a form whose
        // token no longer matches, as after the session expired): 403,
        // in Japanese, as a fragment.
        let stale = client
            .http
            .post(server.url("/services"))
            .header("hx-request", "true")
            .header("x-csrf-token", "expired-token")
            .form(&[("name", "新しいサービス"), ("model", "SaaS")])
            .send()
            .await
            .expect("request");
        assert_eq!(stale.status(), 403, "{backend:?}");
        let body = stale.text().await.unwrap();
        assert!(body.starts_with(FRAGMENT), "{body}");
        assert!(body.contains("フォームの有効期限が切れました"), "{body}");

        // In English once the person chose English.
        assert_eq!(client.get("/lang/en?next=/").await.status(), 303);
        let missing = htmx_get(&client, "/services/999999", "/services").await;
        assert_eq!(missing.status(), 404);
        let body = missing.text().await.unwrap();
        assert!(
            body.starts_with(FRAGMENT) && body.contains("Page not found"),
            "{body}"
        );
        assert!(!body.contains("ページが見つかりません"), "{body}");
    }
}

#[tokio::test]
async fn an_htmx_request_without_sign_in_offers_to_sign_in_and_come_back() {
    let server = server(Backend::Sqlite).await;
    let client = Client::new(&server);
    let answer = htmx_get(&client, "/account", "/lists/ismap?q=%E6%9D%B1").await;
    assert_eq!(answer.status(), 401, "no redirect for htmx to follow");
    let body = answer.text().await.unwrap();
    assert!(body.starts_with(FRAGMENT), "{body}");
    assert!(body.contains("サインインが必要です"), "{body}");
    assert!(
        body.contains(r#"href="/signin?next=%2Flists%2Fismap%3Fq%3D%25E6%259D%25B1""#),
        "the sign-in link returns to the page the request came from: {body}"
    );
}

#[tokio::test]
async fn error_pages_use_the_portals_layout_with_a_way_back() {
    let server = server(Backend::Sqlite).await;
    let client = Client::new(&server);

    // An unknown address: the portal's 404 page, not the browser's.
    let unknown = client.get("/no/such/page").await;
    assert_eq!(unknown.status(), 404);
    assert!(content_type(&unknown).starts_with("text/html"));
    let html = unknown.text().await.unwrap();
    assert!(html.contains(r#"<html lang="ja">"#), "{html}");
    assert!(
        html.contains(r#"class="site-header""#),
        "the header: {html}"
    );
    assert!(html.contains(r#"id="main-nav""#), "the navigation: {html}");
    assert!(html.contains("ページが見つかりません"), "{html}");
    assert!(
        html.contains(r#"<a class="button" href="/">ホームへ戻る</a>"#),
        "{html}"
    );
    assert!(html.contains("/assets/ismap.js"), "{html}");

    // Under /api/ the answer stays a problem document.
    let api = client.get("/api/v1/no-such-thing").await;
    assert_eq!(api.status(), 404);
    assert_eq!(content_type(&api), "application/problem+json");
    let problem: serde_json::Value = api.json().await.unwrap();
    assert_eq!(problem["status"], 404);

    // A known page of a missing object: the same layout.
    client.sign_in("auditor").await;
    let missing = client.get("/services/999999").await;
    assert_eq!(missing.status(), 404);
    let html = missing.text().await.unwrap();
    assert!(html.contains(r#"class="site-header""#) && html.contains("ホームへ戻る"));
    assert!(
        html.contains("監査人"),
        "the header shows who is signed in: {html}"
    );

    // Forbidden: the layout, the reason and the way back.
    let forbidden = client.get("/account/users").await;
    assert_eq!(forbidden.status(), 403);
    let html = forbidden.text().await.unwrap();
    assert!(html.contains(r#"class="site-header""#), "{html}");
    assert!(html.contains("この操作の権限がありません"), "{html}");
    assert!(html.contains("ホームへ戻る"), "{html}");

    // In English.
    client.get("/lang/en?next=/").await;
    let html = client.get("/no/such/page").await.text().await.unwrap();
    assert!(html.contains(r#"<html lang="en">"#), "{html}");
    assert!(html.contains("Page not found") && html.contains("Back to the home page"));
    assert!(!html.contains("ページが見つかりません"), "{html}");
}

#[tokio::test]
async fn signing_in_returns_to_the_page_asked_for() {
    for backend in BACKENDS {
        let server = server(backend).await;
        let client = Client::new(&server);

        let asked = client.get("/services?q=%E6%9D%B1").await;
        assert_eq!(asked.status(), 303, "{backend:?}");
        let location = asked.headers()["location"].to_str().unwrap().to_owned();
        assert_eq!(location, "/signin?next=%2Fservices%3Fq%3D%25E6%259D%25B1");

        let form = client.get(&location).await.text().await.unwrap();
        assert!(
            form.contains(r#"<input type="hidden" name="next" value="/services?q=%E6%9D%B1">"#),
            "the form carries where to return: {form}"
        );

        let password = server.password("saas-editor").to_owned();
        let signed_in = client
            .post_form(
                "/signin",
                &[
                    ("username", "saas-editor"),
                    ("password", &password),
                    ("next", "/services?q=%E6%9D%B1"),
                ],
            )
            .await;
        assert_eq!(signed_in.status(), 303);
        assert_eq!(signed_in.headers()["location"], "/services?q=%E6%9D%B1");
        assert_eq!(client.get("/services").await.status(), 200);

        // Signed in already: /signin goes straight to the page.
        let again = client.get("/signin?next=%2Faccount").await;
        assert_eq!(again.headers()["location"], "/account");
    }
}

#[tokio::test]
async fn signing_in_never_returns_to_another_site() {
    let server = server(Backend::Sqlite).await;
    let password = server.password("reviewer").to_owned();
    for next in [
        "//evil.example/",
        "https://evil.example/",
        "/\\evil.example",
        "javascript:alert(1)",
        "/signin?next=/account",
    ] {
        let client = Client::new(&server);
        let form = client
            .get(&format!("/signin?next={}", url_encode(next)))
            .await
            .text()
            .await
            .unwrap();
        assert!(!form.contains(r#"name="next""#), "{next}: {form}");
        let signed_in = client
            .post_form(
                "/signin",
                &[
                    ("username", "reviewer"),
                    ("password", &password),
                    ("next", next),
                ],
            )
            .await;
        assert_eq!(signed_in.status(), 303, "{next}");
        assert_eq!(signed_in.headers()["location"], "/", "{next}");
    }
    // A wrong password keeps where to return.
    let client = Client::new(&server);
    let wrong = client
        .post_form(
            "/signin",
            &[
                ("username", "reviewer"),
                ("password", "wrong"),
                ("next", "/applications"),
            ],
        )
        .await;
    assert_eq!(wrong.status(), 401);
    let html = wrong.text().await.unwrap();
    assert!(
        html.contains(r#"name="next" value="/applications""#),
        "{html}"
    );
}

fn url_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn footer_pages_and_the_script_are_served() {
    let server = server(Backend::Sqlite).await;
    let client = Client::new(&server);
    let home = client.get("/").await.text().await.unwrap();
    for (href, label) in [
        ("/contact", "お問い合わせ"),
        ("/accessibility", "アクセシビリティ"),
        ("/privacy", "プライバシーポリシー"),
        ("/terms", "利用規約"),
        ("/lists/ismap", "ISMAPクラウドサービスリスト"),
        ("/lists/liu", "ISMAP-LIUクラウドサービスリスト"),
    ] {
        assert!(
            home.contains(&format!(r#"<a href="{href}">{label}</a>"#)),
            "footer link {href}: {home}"
        );
    }
    for path in ["/contact", "/accessibility", "/privacy", "/terms"] {
        let page = client.get(path).await;
        assert_eq!(page.status(), 200, "{path}");
        let html = page.text().await.unwrap();
        assert!(
            html.contains("政府やISMAP運営委員会の公式な発表ではありません"),
            "{path}"
        );
        assert!(html.contains(r#"class="site-header""#), "{path}");
    }
    client.get("/lang/en?next=/").await;
    let html = client.get("/privacy").await.text().await.unwrap();
    assert!(html.contains("Privacy policy") && html.contains("not an official statement"));

    let script = client.get("/assets/ismap.js").await;
    assert_eq!(script.status(), 200);
    assert_eq!(content_type(&script), "text/javascript; charset=utf-8");
    let text = script.text().await.unwrap();
    for part in [
        "confirm-dialog",
        "htmx:beforeSwap",
        "htmx:confirm",
        "reload-current",
    ] {
        assert!(text.contains(part), "{part}");
    }
    // The page loads it deferred and keeps no inline script (CSP script-src 'self').
    assert!(home.contains(r#"<script src="/assets/ismap.js" defer></script>"#));
    assert!(!home.contains("<script>") && !home.contains(" onclick="));
}

#[tokio::test]
async fn axums_own_refusals_reach_people_in_their_language() {
    let server = server(Backend::Sqlite).await;
    let client = Client::new(&server);
    // A form without its fields: axum's refusal is plain English text; the
    // person gets the portal's page in Japanese with the same status.
    let refused = client.post_form("/signin", &[]).await;
    let status = refused.status().as_u16();
    assert!((400..500).contains(&status), "{status}");
    let html = refused.text().await.unwrap();
    assert!(html.contains(r#"class="site-header""#), "{html}");
    assert!(html.contains("入力に誤りがあります"), "{html}");
    assert!(!html.contains("Failed to deserialize"), "{html}");

    // The same as htmx sends it: the fragment.
    let csrf = client.csrf().await;
    let refused = client
        .http
        .post(server.url("/signin"))
        .header("hx-request", "true")
        .header("x-csrf-token", csrf)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status().as_u16(), status);
    let body = refused.text().await.unwrap();
    assert!(
        body.starts_with(FRAGMENT) && body.contains("入力に誤りがあります"),
        "{body}"
    );

    // A page address with the wrong method: the 404 page's wording, status kept.
    let wrong_method = client.post_form("/catalog", &[]).await;
    assert_eq!(wrong_method.status(), 405);
    let html = wrong_method.text().await.unwrap();
    assert!(
        html.contains("ページが見つかりません") && html.contains("ホームへ戻る"),
        "{html}"
    );
}

/// The text of `html` without its tags.
fn text_of(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.trim().to_owned()
}

#[tokio::test]
async fn the_crosswalk_explains_itself_and_shows_no_empty_columns() {
    let server = server(Backend::Sqlite).await;
    let client = Client::new(&server);
    let html = client.get("/crosswalk").await.text().await.unwrap();
    for explanation in [
        "このページでできること",
        "ファイルをアップロードします",
        "章ごとの表で示します",
        "保存しません",
    ] {
        assert!(html.contains(explanation), "{explanation}: {html}");
    }
    assert!(!html.contains("docs/crosswalk.md"), "no repository paths");
    assert!(html.contains(r#"<span class="required">必須</span>"#));

    let html = client
        .get("/crosswalk?source=iso27001")
        .await
        .text()
        .await
        .unwrap();
    let mut tables = 0;
    for table in html.split("<table").skip(1) {
        let table = &table[..table.find("</table>").expect("table ends")];
        let head = &table[table.find("<thead>").unwrap()..table.find("</thead>").unwrap()];
        let columns = head.matches("<th>").count();
        let mut filled = vec![false; columns];
        for row in table.split("<tr data-objective").skip(1) {
            let cells: Vec<&str> = row.split("<td").skip(1).collect();
            assert_eq!(cells.len(), columns, "a cell per heading: {row}");
            for (i, cell) in cells.iter().enumerate() {
                let text = text_of(&format!("<td{cell}"));
                if !text.is_empty() && text != "対応する管理策なし" {
                    filled[i] = true;
                }
            }
        }
        assert!(
            filled.iter().all(|f| *f),
            "every column shown has something in it: {filled:?} {head}"
        );
        tables += 1;
    }
    assert!(tables > 10, "a table per chapter: {tables}");
}
