//! Browser journey: chrome (issue 13). Acts as a person: types, chooses and presses
//! what the page renders; never builds a URL beyond the start page (and the
//! one deliberate mistyped address of the 404 check).

use std::time::Instant;

#[allow(unused_imports)]
use super::driver::*;
use ismap_web::testing::TestServer;

const JOURNEY: &str = "chrome-visitor";
const PHONE_JOURNEY: &str = "chrome-phone";

/// A visitor reads a control by following links, switches to English,
/// opens a page that needs sign-in, signs in (wrong password, then the
/// right one) and lands on that page; back in Japanese, a mistyped address
/// shows the portal's 404 page, whose way back leads home.
pub(crate) async fn visitor_signs_in_and_returns(browser: Browser, server: TestServer) {
    let t = Instant::now();

    // The home page, in Japanese.
    browser.goto(&server.url("/")).await;
    assert_eq!(
        browser.html_lang().await,
        "ja",
        "the portal starts in Japanese"
    );
    browser.step(JOURNEY, "01-home").await;

    // The catalog from the header navigation.
    browser
        .click_and_wait_for_next_page(&browser.find("nav.main-nav a[href='/catalog']").await)
        .await;
    browser.wait_for_path("/catalog").await;
    let notice = browser.text(&browser.find("p.notice").await).await;
    assert!(notice.contains("抜粋"), "the excerpt notice: {notice}");
    for developer_word in ["quoted", "liu_important", "perimeter_wording", ".yaml"] {
        assert!(
            !notice.contains(developer_word),
            "no developer wording in the notice: {notice}"
        );
    }
    browser.step(JOURNEY, "02-catalog").await;

    // Chapter, then category, then the control: each opened by a click.
    let link = format!("a[href='{CONTROL_PATH}']");
    browser
        .click(
            &browser
                .find(&format!(".tree > details:has({link}) > summary"))
                .await,
        )
        .await;
    browser
        .click(
            &browser
                .find(&format!(".tree details details:has({link}) > summary"))
                .await,
        )
        .await;
    browser.step(JOURNEY, "03-category-open").await;
    browser
        .click_and_wait_for_next_page(&browser.find(&format!(".tree {link}")).await)
        .await;
    browser.wait_for_path(CONTROL_PATH).await;
    let h1 = browser.text(&browser.find("h1").await).await;
    assert!(h1.contains(CONTROL), "the control page: {h1:?}");
    assert!(browser.body_text().await.contains(CONTROL_TEXT));
    let title_ja = browser.title().await;
    browser.step(JOURNEY, "04-control-ja").await;
    eprintln!("{JOURNEY}: control reached by links ({:.1?})", t.elapsed());

    // The language link: the same page in English.
    browser
        .click(&browser.find(".lang-switch a[lang='en']").await)
        .await;
    browser.wait_for_lang("en").await;
    assert_eq!(browser.path().await, CONTROL_PATH, "the same page");
    let title_en = browser.title().await;
    assert!(title_en.contains(CONTROL), "{title_en:?}");
    assert_ne!(title_en, title_ja, "the title follows the language");
    browser.step(JOURNEY, "05-control-en").await;

    // Back to the catalog by the breadcrumb, then a page that needs sign-in.
    browser
        .click_and_wait_for_next_page(&browser.find("ol.breadcrumbs a").await)
        .await;
    browser
        .click_and_wait_for_next_page(&browser.find(".catalog-uses a[href='/services']").await)
        .await;
    assert!(
        browser.path().await.starts_with("/signin?next="),
        "sent to sign in, remembering the page: {}",
        browser.path().await
    );
    let note = browser.text(&browser.find("p.notice").await).await;
    assert!(note.contains("return to the page"), "{note}");
    browser.step(JOURNEY, "06-sent-to-sign-in").await;

    // A wrong password: refused, in English, still on the sign-in page.
    sign_in(&browser, "saas-editor", "not-the-password").await;
    browser.wait_for_css(".alert-error").await;
    let body = browser.body_text().await;
    assert!(
        body.contains("The username or password is not correct."),
        "the refusal in English: {body}"
    );
    assert!(
        !body.contains(SIGNIN_FAILED),
        "no Japanese refusal on the English page: {body}"
    );
    assert!(browser.path().await.starts_with("/signin"));
    browser.step(JOURNEY, "07-wrong-password").await;

    // The right one: back on the page asked for, signed in.
    sign_in(&browser, "saas-editor", server.password("saas-editor")).await;
    browser.wait_for_path("/services").await;
    let menu = browser.text(&browser.find(".user-menu").await).await;
    assert!(
        menu.contains(EDITOR_NAME) && menu.contains("Sample Cloud Inc."),
        "signed in, the organization in English: {menu:?}"
    );
    browser.step(JOURNEY, "08-back-on-the-page").await;
    eprintln!("{JOURNEY}: signed in and returned ({:.1?})", t.elapsed());

    // Japanese again.
    browser
        .click(&browser.find(".lang-switch a[lang='ja']").await)
        .await;
    browser.wait_for_lang("ja").await;
    assert_eq!(browser.path().await, "/services");
    let menu = browser.text(&browser.find(".user-menu").await).await;
    assert!(menu.contains(EDITOR_ORG), "{menu:?}");

    // A mistyped address (the one deliberate goto beyond the start page):
    // the portal's own page, with the header, in Japanese, and a way back.
    browser.goto(&server.url("/servises")).await;
    browser.wait_for_css("header.site-header").await;
    assert_eq!(browser.html_lang().await, "ja");
    let h1 = browser.text(&browser.find("main h1").await).await;
    assert_eq!(h1, "ページが見つかりません");
    let menu = browser.text(&browser.find(".user-menu").await).await;
    assert!(menu.contains(EDITOR_NAME), "still signed in: {menu:?}");
    browser.step(JOURNEY, "09-not-found").await;
    let back = browser.find(".error-links a[href='/']").await;
    assert_eq!(browser.text(&back).await, "ホームへ戻る");
    browser.click_and_wait_for_next_page(&back).await;
    browser.wait_for_path("/").await;
    assert!(browser.body_text().await.contains("ダッシュボード"));
    browser.step(JOURNEY, "10-home-again").await;

    // The footer's pages, as on any government service.
    browser
        .click_and_wait_for_next_page(&browser.find("footer a[href='/privacy']").await)
        .await;
    browser.wait_for_path("/privacy").await;
    let h1 = browser.text(&browser.find("main h1").await).await;
    assert_eq!(h1, "プライバシーポリシー");
    let disclaimer = browser.text(&browser.find("main p.notice").await).await;
    assert!(
        disclaimer.contains("公式な発表ではありません"),
        "{disclaimer}"
    );
    browser.step(JOURNEY, "11-privacy").await;
    eprintln!("{JOURNEY}: done ({:.1?})", t.elapsed());
}

/// At 390 px the header navigation folds into a menu button; the pages fit
/// the screen; the menu leads to the lists and to the catalog.
pub(crate) async fn phone_menu_navigates(browser: Browser, server: TestServer) {
    let t = Instant::now();
    browser.emulate_viewport(PHONE).await;
    browser.goto(&server.url("/")).await;
    assert_eq!(browser.viewport_width().await, u64::from(PHONE.0));
    let button = browser.wait_for_css("button.menu-toggle").await;
    let nav = browser.find("nav.main-nav").await;
    assert!(browser.is_displayed(&button).await, "the menu button shows");
    assert!(
        !browser.is_displayed(&nav).await,
        "the navigation is folded"
    );
    assert_eq!(
        browser.attribute(&button, "aria-expanded").await.as_deref(),
        Some("false")
    );
    assert!(!browser.page_overflows().await, "the home page fits");
    browser.step(PHONE_JOURNEY, "01-home-folded").await;

    // Open the menu and go to the cloud service list.
    browser.click(&button).await;
    assert_eq!(
        browser.attribute(&button, "aria-expanded").await.as_deref(),
        Some("true")
    );
    assert!(browser.is_displayed(&nav).await, "the navigation opens");
    browser.step(PHONE_JOURNEY, "02-menu-open").await;
    browser
        .click_and_wait_for_next_page(&browser.find("nav.main-nav a[href='/lists/ismap']").await)
        .await;
    browser.wait_for_path("/lists/ismap").await;
    assert!(!browser.page_overflows().await, "the list fits the screen");
    browser.step(PHONE_JOURNEY, "03-list").await;

    // Again through the menu: the audit organizations (a table) and the catalog.
    browser
        .click(&browser.find("button.menu-toggle").await)
        .await;
    browser
        .click_and_wait_for_next_page(
            &browser
                .find("nav.main-nav a[href='/audit-organizations']")
                .await,
        )
        .await;
    browser.wait_for_path("/audit-organizations").await;
    assert!(
        !browser.page_overflows().await,
        "tables scroll in their box"
    );
    browser.step(PHONE_JOURNEY, "04-table-page").await;

    browser
        .click(&browser.find("button.menu-toggle").await)
        .await;
    browser
        .click_and_wait_for_next_page(&browser.find("nav.main-nav a[href='/catalog']").await)
        .await;
    browser.wait_for_path("/catalog").await;
    assert!(!browser.page_overflows().await, "the catalog fits");
    browser.step(PHONE_JOURNEY, "05-catalog").await;

    // The sign-in form fits too.
    browser
        .click_and_wait_for_next_page(&browser.find(".user-menu a[href^='/signin']").await)
        .await;
    browser.wait_for_css("form[action='/signin']").await;
    assert!(!browser.page_overflows().await, "the sign-in form fits");
    browser.step(PHONE_JOURNEY, "06-sign-in").await;
    eprintln!("{PHONE_JOURNEY}: done ({:.1?})", t.elapsed());
}
