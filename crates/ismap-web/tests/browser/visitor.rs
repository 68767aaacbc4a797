//! Browser journey: visitor (issue 13). Acts as a person: types, chooses and presses
//! what the page renders; never builds a URL beyond the start page.
//!
//! A visitor without an account opens the portal, follows the link to the
//! ISMAP cloud service list, searches by typing and pressing Enter, filters
//! with 有効期限まで and 表示, opens an entry and downloads the CSV; then the
//! same on the ISMAP-LIU list. A second journey searches on a phone-sized
//! window and checks that nothing is wider than the screen.

use chrono::NaiveDate;
use ismap_domain::registration::ListKind;
use ismap_store::registrations::{self, ExistingRegistration, NewRegistration};
use ismap_web::testing::TestServer;
use serde_json::json;

use super::driver::*;

const JOURNEY: &str = "visitor";
const PHONE_JOURNEY: &str = "visitor-phone";

/// The demo IaaS on the ISMAP list.
const IAAS: &str = "サンプルIaaS (Example IaaS)";
const IAAS_NUMBER: &str = "C21-0008-2";
/// Registered in the test: an ISMAP PaaS whose validity ends in 20 days
/// (its name in half-width katakana), and an ISMAP-LIU SaaS.
const PAAS: &str = "ｻﾝﾌﾟﾙ分析PaaS";
const LIU_SAAS: &str = "テスト低リスク文書SaaS";

/// The search form's parts.
const SEARCH: &str = "form[role='search'] input[name='q']";
const EXPIRING: &str = "form[role='search'] input[name='expiring']";
const MODEL: &str = "form[role='search'] select[name='model']";
const SHOW: &str = "form[role='search'] button[type='submit']";
const ROWS: &str = "#list tbody tr";

/// Puts a registration on `list` (set up through the store: the journeys
/// are about what a visitor does with the lists).
async fn register(
    server: &TestServer,
    list: ListKind,
    serial: u16,
    names: [&str; 4],
    model: ismap_domain::ServiceModel,
    valid: (NaiveDate, NaiveDate),
) -> String {
    let actor = ismap_store::Actor::system("test");
    let org = ismap_store::orgs::create(
        &server.db,
        &actor,
        names[2],
        names[3],
        ismap_domain::OrgKind::Csp,
    )
    .await
    .expect("provider");
    let service = ismap_store::services::create(
        &server.db,
        &actor,
        ismap_store::services::NewService {
            organization_id: org.id,
            name: names[0],
            model,
            description: "",
            url: "https://service.example.jp",
            registration_number: None,
        },
    )
    .await
    .expect("service");
    let number = ismap_domain::RegistrationNumber::first(list.letter(), valid.0, serial);
    let public = json!({
        "service_url": "https://service.example.jp",
        "provider_address": "東京都千代田区霞が関一丁目1番1号",
        "scope": "分析基盤",
        "audit_period": { "start": valid.0.to_string(), "end": valid.0.to_string() },
    });
    registrations::record_existing(
        &server.db,
        &actor,
        ExistingRegistration {
            service_id: service.id,
            organization_id: org.id,
            list,
            number: &number,
            details: NewRegistration {
                valid_from: valid.0,
                valid_until: valid.1,
                registered_on: valid.0,
                improvement_plan: false,
                name: names[0],
                name_en: names[1],
                provider: names[2],
                provider_en: names[3],
                model: model.key(),
                public: &public,
            },
        },
    )
    .await
    .expect("registration");
    number.to_string()
}

/// The two registrations the journeys look for besides the demo IaaS.
async fn set_up(server: &TestServer) -> (String, String) {
    let today = ismap_web::today();
    let paas = register(
        server,
        ListKind::Ismap,
        31,
        [
            PAAS,
            "Sample Analytics PaaS",
            "株式会社サンプル分析",
            "Sample Analytics Inc.",
        ],
        ismap_domain::ServiceModel::PaaS,
        (
            today - chrono::Duration::days(460),
            today + chrono::Duration::days(20),
        ),
    )
    .await;
    let liu = register(
        server,
        ListKind::Liu,
        7,
        [
            LIU_SAAS,
            "Test low-risk document SaaS",
            "テスト文書株式会社",
            "Test Documents K.K.",
        ],
        ismap_domain::ServiceModel::SaaS,
        (
            today - chrono::Duration::days(30),
            today + chrono::Duration::days(400),
        ),
    )
    .await;
    (paas, liu)
}

/// The texts of the list's rows.
async fn rows(browser: &Browser) -> Vec<String> {
    let mut texts = Vec::new();
    for row in browser.find_all(ROWS).await {
        texts.push(browser.text(&row).await);
    }
    texts
}

/// Types `text` into the search field (emptied first) and presses Enter.
async fn search_with_enter(browser: &Browser, text: &str) {
    let field = browser.find(SEARCH).await;
    browser.clear(&field).await;
    browser.send_keys(&field, &format!("{text}{ENTER}")).await;
    browser.wait_until_gone(&field).await;
    browser.wait_for_css(SEARCH).await;
}

/// Presses the download link of `format` and checks, by fetching the same
/// link, that it is that file in Japanese; the page stays where it was.
async fn download(browser: &Browser, format: &str, expect_row: &str) {
    let path = browser.path().await;
    let link = browser
        .find(&format!("main a[href*='export?format={format}']"))
        .await;
    let href = browser.dom_property(&link, "href").await;
    browser.click(&link).await;
    assert_eq!(
        browser.path().await,
        path,
        "a download leaves the page as it is"
    );
    let response = http_client().get(&href).send().await.expect("the download");
    assert_eq!(response.status(), 200, "{href}");
    assert_eq!(
        response.headers()["content-type"],
        "text/csv; charset=utf-8",
        "{href}"
    );
    assert!(
        response.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment; filename="),
        "{href}"
    );
    let body = response.text().await.expect("CSV text");
    let body = body.trim_start_matches('\u{feff}');
    assert!(
        body.starts_with("登録番号,サービス名,"),
        "Japanese headers: {body}"
    );
    assert!(body.contains(expect_row), "{body}");
    assert!(body.contains(",有効,"), "the status as a label: {body}");
}

/// Whether `text` has a date written 2026-12-01 (for machines, not people).
fn has_iso_date(text: &str) -> bool {
    let chars: Vec<char> = text.chars().collect();
    chars.windows(10).any(|w| {
        w.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == '-',
            _ => c.is_ascii_digit(),
        })
    })
}

/// The desktop journey, in Japanese.
pub(crate) async fn journey(browser: Browser, server: TestServer) {
    let (paas, liu) = set_up(&server).await;

    // The home page links to the lists.
    browser.goto(&server.url("/")).await;
    browser.step(JOURNEY, "01-home").await;
    browser
        .click(&browser.find("#lists-card a[href='/lists/ismap']").await)
        .await;
    browser.wait_for_path("/lists/ismap").await;
    assert_eq!(
        browser.text(&browser.find("main h1").await).await,
        "ISMAPクラウドサービスリスト"
    );
    assert_eq!(rows(&browser).await.len(), 2);
    browser.step(JOURNEY, "02-ismap-list").await;

    // Search by typing a service name and pressing Enter.
    search_with_enter(&browser, "サンプルIaaS").await;
    let found = rows(&browser).await;
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].contains(IAAS_NUMBER) && found[0].contains(IAAS),
        "{found:?}"
    );
    assert!(
        found[0].contains("年") && found[0].contains("有効"),
        "{found:?}"
    );
    browser.step(JOURNEY, "03-searched").await;

    // Width does not matter: the PaaS is stored in half-width katakana.
    search_with_enter(&browser, "サンプル分析").await;
    let found = rows(&browser).await;
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].contains(&paas), "{found:?}");
    browser.step(JOURNEY, "04-searched-width").await;

    // Filter: the search emptied, 有効期限まで 30 days, 表示.
    browser.clear(&browser.find(SEARCH).await).await;
    let expiring = browser.find(EXPIRING).await;
    browser.send_keys(&expiring, "30").await;
    browser.step(JOURNEY, "05-filter-typed").await;
    browser
        .click_and_wait_for_next_page(&browser.find(SHOW).await)
        .await;
    let found = rows(&browser).await;
    assert_eq!(
        found.len(),
        1,
        "only the PaaS ends within 30 days: {found:?}"
    );
    assert!(found[0].contains(PAAS), "{found:?}");
    assert!(found[0].contains("≤"), "the expiry warning: {found:?}");
    assert!(!browser.body_text().await.contains("Failed to deserialize"));
    browser.step(JOURNEY, "06-filtered").await;

    // Emptying the field again means no filter.
    browser.clear(&browser.find(EXPIRING).await).await;
    browser
        .click_and_wait_for_next_page(&browser.find(SHOW).await)
        .await;
    assert_eq!(rows(&browser).await.len(), 2);

    // Open an entry from the table.
    browser
        .click(&browser.find(&format!("#list a[href$='/{paas}']")).await)
        .await;
    browser.wait_for_path(&format!("/lists/ismap/{paas}")).await;
    assert_eq!(browser.text(&browser.find("main h1").await).await, PAAS);
    let entry = browser.text(&browser.find("main").await).await;
    assert!(entry.contains("株式会社サンプル分析"), "{entry}");
    assert!(
        entry.contains("年") && entry.contains("月"),
        "dates for people: {entry}"
    );
    assert!(!has_iso_date(&entry), "no ISO dates: {entry}");
    browser.step(JOURNEY, "07-entry").await;

    // Back to the list through the breadcrumbs; download the CSV.
    browser
        .click(&browser.find("nav.breadcrumbs a[href='/lists/ismap']").await)
        .await;
    browser.wait_for_path("/lists/ismap").await;
    download(&browser, "csv", &format!("{paas},{PAAS},")).await;
    browser.step(JOURNEY, "08-ismap-downloaded").await;

    // The same on the ISMAP-LIU list, reached from the ISMAP list's page.
    browser
        .click(&browser.find("main a[href='/lists/liu']").await)
        .await;
    browser.wait_for_path("/lists/liu").await;
    assert_eq!(
        browser.text(&browser.find("main h1").await).await,
        "ISMAP-LIUクラウドサービスリスト"
    );
    browser.step(JOURNEY, "09-liu-list").await;
    // Half-width katakana finds the full-width name.
    search_with_enter(&browser, "ﾃｽﾄ低リスク").await;
    let found = rows(&browser).await;
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].contains(&liu) && found[0].contains(LIU_SAAS),
        "{found:?}"
    );
    browser.step(JOURNEY, "10-liu-searched").await;
    // Filter by service model with 表示 (the search stays as typed).
    browser.select_option(MODEL, "IaaS").await;
    browser
        .click_and_wait_for_next_page(&browser.find(SHOW).await)
        .await;
    assert!(rows(&browser).await.is_empty());
    assert!(browser.try_find("main p.empty").await.is_some());
    browser.step(JOURNEY, "11-liu-filter-none").await;
    browser.select_option(MODEL, "SaaS").await;
    browser
        .click_and_wait_for_next_page(&browser.find(SHOW).await)
        .await;
    let found = rows(&browser).await;
    assert_eq!(found.len(), 1, "{found:?}");
    browser.step(JOURNEY, "12-liu-filtered").await;
    browser
        .click(&browser.find(&format!("#list a[href$='/{liu}']")).await)
        .await;
    browser.wait_for_path(&format!("/lists/liu/{liu}")).await;
    assert_eq!(browser.text(&browser.find("main h1").await).await, LIU_SAAS);
    browser.step(JOURNEY, "13-liu-entry").await;
    browser
        .click(&browser.find("nav.breadcrumbs a[href='/lists/liu']").await)
        .await;
    browser.wait_for_path("/lists/liu").await;
    download(&browser, "csv", &format!("{liu},{LIU_SAAS},")).await;
    browser.step(JOURNEY, "14-liu-downloaded").await;
}

/// What sticks out of the window: the page's scroll width against the
/// window's, and the first elements whose right edge is beyond it (except
/// inside a table's scrolling box).
const OVERFLOW: &str = r#"
const width = window.innerWidth;
const wide = [...document.querySelectorAll('body *')]
  .filter((e) => !e.closest('.table-wrap') && e.getBoundingClientRect().right > width + 0.5)
  .slice(0, 10)
  .map((e) => `${e.tagName.toLowerCase()}.${e.className} ${Math.round(e.getBoundingClientRect().right)}`);
const wraps = [...document.querySelectorAll('.table-wrap')].map((w) => ({
  right: w.getBoundingClientRect().right,
  scrolls: w.scrollWidth > w.clientWidth,
}));
return { scroll: document.documentElement.scrollWidth, inner: width, wide, wraps };
"#;

/// Fails when anything on the page is wider than the window.
async fn assert_fits(browser: &Browser, what: &str) -> serde_json::Value {
    let fit = browser.execute(OVERFLOW, json!([])).await;
    let scroll = fit["scroll"].as_i64().expect("scrollWidth");
    let inner = fit["inner"].as_i64().expect("innerWidth");
    assert!(
        scroll <= inner,
        "{what}: the page is {scroll} px wide in a {inner} px window; too wide: {}",
        fit["wide"]
    );
    assert!(
        fit["wide"].as_array().is_some_and(Vec::is_empty),
        "{what}: {}",
        fit["wide"]
    );
    for wrap in fit["wraps"].as_array().expect("table boxes") {
        assert!(
            wrap["right"].as_f64().unwrap_or(0.0) <= inner as f64 + 0.5,
            "{what}: a table box sticks out: {wrap}"
        );
    }
    fit
}

/// The phone journey (390×844), in Japanese: search, results and an entry
/// fit the screen; the table scrolls inside its box.
pub(crate) async fn on_a_phone(browser: Browser, server: TestServer) {
    let (paas, _) = set_up(&server).await;
    browser.goto(&server.url("/")).await;
    // A desktop window stops at about 500 px: make the viewport a phone's.
    assert_eq!(browser.emulate_viewport(PHONE).await, 390);
    browser.goto(&server.url("/")).await;
    let fit = assert_fits(&browser, "the home page").await;
    assert_eq!(fit["inner"], 390, "a 390 px viewport: {fit}");
    browser.step(PHONE_JOURNEY, "01-home").await;
    browser
        .click(&browser.find("#lists-card a[href='/lists/ismap']").await)
        .await;
    browser.wait_for_path("/lists/ismap").await;
    assert_fits(&browser, "the ISMAP list").await;
    browser.step(PHONE_JOURNEY, "02-ismap-list").await;

    // ＳＡＭＰＬＥ in full width finds the English names too.
    search_with_enter(&browser, "ｓａｍｐｌｅ").await;
    let found = rows(&browser).await;
    assert_eq!(found.len(), 2, "{found:?}");
    let fit = assert_fits(&browser, "the search results").await;
    assert!(
        fit["wraps"].as_array().is_some_and(|w| w.len() == 1),
        "the results are in one table box: {fit}"
    );
    browser.step(PHONE_JOURNEY, "03-searched").await;

    // The table box scrolls sideways, the page does not: the visitor
    // reaches the link in the first column and opens the entry.
    browser
        .click(&browser.find(&format!("#list a[href$='/{paas}']")).await)
        .await;
    browser.wait_for_path(&format!("/lists/ismap/{paas}")).await;
    assert_fits(&browser, "the entry page").await;
    browser.step(PHONE_JOURNEY, "04-entry").await;
}
