//! Browser journey: audit (issue 13). Acts as a person: types, chooses and presses
//! what the page renders; never builds a URL beyond the start page.
//!
//! The audit manager assigns the auditor; the auditor narrows the workspace
//! to the unrecorded controls of a chapter, records a deficiency, is refused
//! (in place, keeping the typed procedure) when no result is chosen, marks
//! several rows conforming at once, looks at the deficiencies, and issues
//! the report after the confirmation dialog.

use std::time::Instant;

use ismap_domain::ServiceModel;
use ismap_domain::audit_work::AuditResult;
use ismap_store::engagements::{self, Engagement};
use ismap_store::{Actor, orgs, statements, users};
use ismap_web::testing::TestServer;
use reqwest::Method;

use super::driver::*;
use super::steps::{assign_auditor, issue_report, open_engagement};

const JOURNEY: &str = "audit";
/// Left without a result by the setup: the auditor records them.
const DEFICIENT: &str = "3.1.2.1";
const REFUSED: &str = "3.1.2.2";
const BULK: [&str; 3] = ["3.1.2.2", "3.1.2.3", "3.1.3.1"];
const PROCEDURE: &str = "情報セキュリティ方針の承認記録を閲覧した";
const FINDING: &str = "取締役会による方針の承認記録がなかった";
const BULK_PROCEDURE: &str = "規程と運用記録を閲覧し、担当者に質問した";

fn row(control: &str) -> String {
    format!("#c-{}", control.replace('.', "-"))
}

/// The demo provider's statement, frozen and engaged with the demo audit
/// organization (no auditor assigned yet), and a conforming result for
/// every control except [`DEFICIENT`] and [`BULK`] (set up in the store:
/// the journey is about what the people do next).
async fn engagement_waiting_for_an_auditor(server: &TestServer) -> Engagement {
    let db = &server.db;
    let actor = Actor::system("browser test setup");
    let services = ismap_store::services::list(db, None).await.unwrap();
    let saas = services
        .iter()
        .find(|s| s.model == ServiceModel::SaaS)
        .unwrap();
    let statement = statements::of_service(db, saas.id).await.unwrap()[0].clone();
    let statement = statements::set_status(db, &actor, &statement, "frozen", "browser test")
        .await
        .unwrap();
    let audit_org = orgs::find_by_name(db, "サンプル監査法人")
        .await
        .unwrap()
        .unwrap();
    let engagement = engagements::create(
        db,
        &actor,
        engagements::NewEngagement {
            statement_id: statement.id,
            revision: statement.latest_revision,
            csp_organization_id: statement.organization_id,
            audit_organization_id: audit_org.id,
            period_start: "2025-04-01".parse().unwrap(),
            period_end: "2026-03-31".parse().unwrap(),
            scope: "full",
            cycle_years: 1,
            cycle_year: 1,
        },
    )
    .await
    .unwrap();
    let catalog = &ismap_formats::bundled::bundled_catalogs()[0];
    for control in catalog.controls() {
        let id = control.id.to_string();
        if id == DEFICIENT || BULK.contains(&id.as_str()) {
            continue;
        }
        engagements::record_result(
            db,
            &actor,
            &engagement,
            engagements::NewResult {
                control_id: &id,
                performed: "閲覧",
                result: AuditResult::Conforming,
                finding: "",
                samples: "",
            },
        )
        .await
        .unwrap();
    }
    engagement
}

/// Scrolls `css` to the middle of the window (for the step's screenshot).
async fn show(browser: &Browser, css: &str) {
    let element = browser.find(css).await;
    browser
        .execute(
            "arguments[0].scrollIntoView({block: 'center'});",
            serde_json::json!([{ ELEMENT_KEY: element }]),
        )
        .await;
}

/// Picks the option `value` of the select `css` by clicking it.
async fn pick(browser: &Browser, css: &str, value: &str) {
    let option = browser
        .find(&format!("{css} option[value='{value}']"))
        .await;
    browser.click(&option).await;
}

/// Waits until the text of `css` contains `text`.
async fn wait_for_text(browser: &Browser, css: &str, text: &str) -> String {
    let deadline = Instant::now() + PAGE_WAIT;
    loop {
        if let Some(element) = browser.try_find(css).await {
            // The element may be swapped out between finding and reading.
            if let Ok(found) = browser
                .try_command(Method::GET, &format!("/element/{element}/text"), None)
                .await
            {
                let found = found.as_str().unwrap_or_default().to_owned();
                if found.contains(text) {
                    return found;
                }
            }
        }
        browser
            .check_deadline(deadline, &format!("{text:?} in {css}"))
            .await;
    }
}

pub(crate) async fn audit_journey(browser: Browser, server: TestServer) {
    let started = Instant::now();
    let db = &server.db;
    let engagement = engagement_waiting_for_an_auditor(&server).await;
    let auditor = users::find_for_sign_in(db, "auditor")
        .await
        .unwrap()
        .unwrap()
        .0;

    // The audit manager signs in through the header and opens the engagement.
    browser.goto(&server.url("/")).await;
    sign_in_from_header(&browser, &server, "audit-manager").await;
    browser.step(JOURNEY, "01-manager-signed-in").await;
    open_engagement(&browser, engagement.id).await;
    let text = browser.body_text().await;
    assert!(text.contains("監査人の割当て待ち"), "{text}");
    // The auditor's form is not the manager's: no result forms, no bulk.
    assert!(browser.try_find("#bulk-form").await.is_none());
    browser.step(JOURNEY, "02-manager-engagement").await;

    // The manager chooses the auditor and presses 割当て.
    assign_auditor(&browser, auditor.id).await;
    browser.step(JOURNEY, "03-auditor-assigned").await;
    let assigned = engagements::get(db, engagement.id).await.unwrap();
    assert!(assigned.is_assigned(auditor.id));

    // Destroying the organization's key asks first, in red, stating that it
    // cannot be undone; the manager cancels and nothing is destroyed.
    browser
        .click_and_wait_for_next_page(&browser.find(".main-nav a[href='/engagements']").await)
        .await;
    let form = "#destroy-key-form";
    browser
        .send_keys(
            &browser.find(&format!("{form} input[name='reason']")).await,
            "監査契約の終了",
        )
        .await;
    browser
        .send_keys(
            &browser.find(&format!("{form} input[name='confirm']")).await,
            "鍵を破棄",
        )
        .await;
    browser
        .click(&browser.find(&format!("{form} button.button-danger")).await)
        .await;
    browser
        .wait_for_css("dialog.confirm-dialog[open] .confirm-ok.button-danger")
        .await;
    browser.step(JOURNEY, "03b-destroy-key-confirmation").await;
    let said = browser.cancel_dialog().await;
    assert!(said.contains("取り消せません"), "{said}");
    let events = ismap_store::events::list(db, None, 1000).await.unwrap();
    assert!(
        !events
            .iter()
            .any(|e| e.action == "organization_key.destroy"),
        "cancelled: nothing destroyed"
    );

    // The auditor signs in and opens the engagement.
    sign_in_from_header(&browser, &server, "auditor").await;
    open_engagement(&browser, engagement.id).await;
    wait_for_text(&browser, "#audit-progress", "記録済み 286 / 290").await;
    browser.step(JOURNEY, "04-auditor-workspace").await;

    // Only the unrecorded controls of the governance chapter, through the form.
    pick(&browser, "#audit-chapter-select", "3").await;
    pick(&browser, "#audit-show-select", "unrecorded").await;
    browser
        .click_and_wait_for_next_page(&browser.find("#audit-filter button[type='submit']").await)
        .await;
    browser.wait_for_css(&row(DEFICIENT)).await;
    let shown = browser.find_all(".audit-item").await.len();
    assert_eq!(shown, 4, "the four unrecorded controls of chapter 3");
    // Beside each form: the statement's decision as a label, no result pre-set.
    let first = wait_for_text(&browser, &row(DEFICIENT), "言明書の判断").await;
    assert!(first.contains("実施"), "the decision's label: {first}");
    assert!(!first.contains("implemented"), "no enum value: {first}");
    assert_eq!(
        value_of(
            &browser,
            &format!("{} select[name='result']", row(DEFICIENT))
        )
        .await,
        "",
        "no default result"
    );
    show(&browser, &row(DEFICIENT)).await;
    browser.step(JOURNEY, "05-unrecorded-filter").await;

    // One result, chosen and typed: a deficiency with its finding.
    let deficient = row(DEFICIENT);
    pick(&browser, &format!("#r-{}", &deficient[1..]), "deficiency").await;
    for (field, text) in [("performed", PROCEDURE), ("finding", FINDING)] {
        let input = browser
            .find(&format!("{deficient} textarea[name='{field}']"))
            .await;
        browser.send_keys(&input, text).await;
    }
    browser
        .click(
            &browser
                .find(&format!("{deficient} button[type='submit']"))
                .await,
        )
        .await;
    wait_for_text(&browser, &format!("{deficient} .badge-error"), "不備").await;
    wait_for_text(&browser, "#audit-progress", "記録済み 287 / 290").await;
    wait_for_text(&browser, "#chapter-count-3", "21 / 24").await;
    show(&browser, &row(DEFICIENT)).await;
    browser.step(JOURNEY, "06-result-recorded").await;

    // Saving without a result: refused in place, the typed procedure kept.
    let refused = row(REFUSED);
    let procedure = browser
        .find(&format!("{refused} textarea[name='performed']"))
        .await;
    browser.send_keys(&procedure, "方針文書を閲覧した").await;
    browser
        .click(
            &browser
                .find(&format!("{refused} button[type='submit']"))
                .await,
        )
        .await;
    let message = wait_for_text(
        &browser,
        &format!("{refused} .htmx-error"),
        "結果を選択してください",
    )
    .await;
    assert!(message.contains(REFUSED), "{message}");
    assert_eq!(
        value_of(&browser, &format!("{refused} textarea[name='performed']")).await,
        "方針文書を閲覧した",
        "what was typed stays"
    );
    assert!(
        engagements::result_history(db, engagement.id, REFUSED)
            .await
            .unwrap()
            .is_empty(),
        "nothing recorded"
    );
    show(&browser, &row(REFUSED)).await;
    browser.step(JOURNEY, "07-empty-result-refused").await;

    // Several rows at once: tick them, one procedure, 適合.
    for control in BULK {
        browser
            .click(
                &browser
                    .find(&format!("{} input[type='checkbox']", row(control)))
                    .await,
            )
            .await;
    }
    let bulk_procedure = browser.find("#bulk-form textarea[name='performed']").await;
    browser.send_keys(&bulk_procedure, BULK_PROCEDURE).await;
    show(&browser, "#bulk-form").await;
    browser.step(JOURNEY, "08-bulk-selected").await;
    browser.click(&browser.find("#bulk-conforming").await).await;
    wait_for_text(
        &browser,
        "#bulk-status",
        "3 件の管理策を「適合」として記録しました",
    )
    .await;
    wait_for_text(&browser, "#audit-progress", "記録済み 290 / 290").await;
    for control in BULK {
        wait_for_text(&browser, &format!("{} .badge-ok", row(control)), "適合").await;
    }
    show(&browser, "#bulk-form").await;
    browser.step(JOURNEY, "09-bulk-recorded").await;
    let results = engagements::current_results(db, engagement.id)
        .await
        .unwrap();
    for control in BULK {
        let r = &results[control];
        assert_eq!(r.result, AuditResult::Conforming, "{control}");
        assert_eq!(r.performed, BULK_PROCEDURE, "{control}");
        assert_eq!(r.recorded_by, "監査人", "{control}: who");
    }
    assert_eq!(results[DEFICIENT].result, AuditResult::Deficiency);

    // The deficiencies only, through the links rendered on the page.
    browser
        .click_and_wait_for_next_page(
            &browser
                .find(".audit-filter-links a[href*='show=deficiency']")
                .await,
        )
        .await;
    browser.wait_for_css(&row(DEFICIENT)).await;
    assert_eq!(browser.find_all(".audit-item").await.len(), 1);
    assert_eq!(
        value_of(
            &browser,
            &format!("{} textarea[name='finding']", row(DEFICIENT))
        )
        .await,
        FINDING
    );
    show(&browser, &row(DEFICIENT)).await;
    browser.step(JOURNEY, "10-deficiency-filter").await;

    // Issuing the report asks first, stating that it can no longer be changed.
    issue_report(&browser, engagement.id, (JOURNEY, "11-issue-confirmation")).await;
    let text = browser.body_text().await;
    assert!(text.contains("実施結果報告書"), "{text}");
    assert!(text.contains(FINDING), "{text}");
    browser.step(JOURNEY, "12-report-issued").await;
    let reports = engagements::reports(db, engagement.id).await.unwrap();
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0].content["deficiency"], 1);
    // On a phone (390 px) the workspace's rows and forms fit the screen.
    assert_eq!(browser.emulate_viewport(PHONE).await, 390);
    browser
        .click_and_wait_for_next_page(
            &browser
                .find(&format!("main a[href='/engagements/{}']", engagement.id))
                .await,
        )
        .await;
    browser.wait_for_css(&row(DEFICIENT)).await;
    show(&browser, &row(DEFICIENT)).await;
    let overflow = browser
        .execute(
            "return document.documentElement.scrollWidth - window.innerWidth;",
            serde_json::json!([]),
        )
        .await;
    assert!(
        overflow.as_i64().is_some_and(|o| o <= 0),
        "the page scrolls sideways by {overflow} px at 390 px"
    );
    browser.step(JOURNEY, "13-phone-workspace").await;
    eprintln!("browser audit: journey done in {:.1?}", started.elapsed());
}
