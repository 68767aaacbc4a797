//! Browser journey: ISMAP-LIU end to end (issue 14). Acts as a person:
//! types, chooses and presses what the page renders; never builds a URL
//! beyond the start page. The store is only read (ids, to find the link or
//! option a person would recognise by its text, and checks afterwards).
//!
//! 1. A visitor and the SaaS provider see no link to the special measures
//!    service list (特別措置サービスリスト), on the navigation or the lists.
//! 2. The provider (saas-admin) asks サンプル省 for an impact assessment
//!    (業務・情報の影響度評価) of a named use of its SaaS; the ministry's
//!    officer (agency-a) fills it in (an example business, the information,
//!    機密性2, the impact, the reasoning, 低位) and submits it; the CISO
//!    (agency-a-ciso) approves it after the dialog.
//! 3. The provider files the pre-application (事前申請) with the approved
//!    assessment, the confidentiality-2 declaration and a document; IPA
//!    (reviewer) accepts it after the dialog.
//! 4. The provider freezes its statement and records a first internal audit
//!    (内部監査報告書) covering chapters 5–11 only: coverage incomplete.
//! 5. The LIU-scope audit: the provider requests it (監査範囲 ISMAP-LIU), the
//!    audit manager assigns the auditor, the auditor finds only governance,
//!    management and the year's important controls in the workspace (not
//!    every control measure), records them chapter by chapter with the bulk
//!    適合, and issues the report.
//! 6. Refusals on the application form, shown in Japanese with what was
//!    typed kept: an ISMAP-list application resting on the LIU audit; the
//!    LIU application while the internal audits leave objectives uncovered
//!    (listed). A second internal audit (chapters 12–18) completes coverage.
//! 7. The LIU application goes through; IPA accepts it, records that it
//!    checked the internal audit reports, refers it to the committee; the
//!    committee registers it; a visitor finds the service on the ISMAP-LIU
//!    list with an L-number and not on the ISMAP list.
//! 8. A renewal resting on the same audit is refused on the form.
//! 9. The ministry's officer sees the special measures list beside the
//!    public lists and opens it.
//!
//! The order differs from the issue's wording in one place: the refusal
//! for incomplete coverage comes after the LIU audit, because the form
//! cannot be sent without choosing an issued audit report.

use std::time::Instant;

use chrono::{Days, Months, NaiveDate};
use ismap_domain::ServiceModel;
use ismap_domain::audit::Scope;
use ismap_domain::audit_work::EngagementScope;
use ismap_store::{orgs, statements, users};
use ismap_web::testing::TestServer;
use reqwest::Method;

use super::driver::*;
use super::steps::*;

const JOURNEY: &str = "liu";
const SPECIAL: &str = "特別措置サービスリスト";
const USE_NAME: &str = "職員の勤務・会議スケジュール管理";
const USE_NOTE: &str = "本省の職員約300名が、会議日程と勤務予定の調整に使用する予定です。";
const INFORMATION: &str = "職員の氏名・所属・会議の日時と件名（公表前の政策情報は含まない）";
const IMPACT: &str = "漏えいした場合も、職員の予定が知られる程度で、行政事務への影響は限定的です。";
const REASONING: &str = "例示の業務(10)（スケジュール管理）に該当し、扱う情報は機密性2のうち影響の小さいものに限られるため。";
const PRE_NOTE: &str = "サンプル省の影響度評価（承認済み）を添付します。";
const AUDIT_PROCEDURE: &str = "規程と運用記録を閲覧し、担当者に質問した";
const CHECK_NOTE: &str = "内部監査報告書2件を確認し、第5章から第18章までの統制目標が直近3年間に網羅されていることを確かめた。";

/// What the journey reads from the demo world (never used to build a URL).
struct World {
    service: i64,
    service_name: String,
    statement: i64,
    ministry: i64,
    auditor: i64,
}

async fn world(server: &TestServer) -> World {
    let db = &server.db;
    let services = ismap_store::services::list(db, None).await.unwrap();
    let saas = services
        .iter()
        .find(|s| s.model == ServiceModel::SaaS)
        .expect("the demo SaaS");
    let statement = statements::of_service(db, saas.id).await.unwrap()[0].id;
    let ministry = orgs::find_by_name(db, "サンプル省")
        .await
        .unwrap()
        .expect("サンプル省")
        .id;
    let auditor = users::find_for_sign_in(db, "auditor")
        .await
        .unwrap()
        .unwrap()
        .0
        .id;
    World {
        service: saas.id,
        service_name: saas.name.clone(),
        statement,
        ministry,
        auditor,
    }
}

fn day(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

/// Checks that nothing on the page leads to the special measures list.
async fn no_special_link(browser: &Browser, who: &str) {
    let links = browser.find_all("a[href^='/special-measures']").await;
    assert!(
        links.is_empty(),
        "{who} sees a link to the special measures list on {}",
        browser.path().await
    );
    let text = browser.body_text().await;
    assert!(
        !text.contains(SPECIAL),
        "{who} reads {SPECIAL} on {}: {text}",
        browser.path().await
    );
}

/// From the navigation, the ISMAP list, then the ISMAP-LIU list by the
/// link the ISMAP list shows.
async fn open_liu_list(browser: &Browser) {
    follow_nav(browser, "/lists/ismap").await;
    browser
        .click_and_wait_for_next_page(&browser.find("main a[href='/lists/liu']").await)
        .await;
    browser.wait_for_path("/lists/liu").await;
}

/// The ISMAP-LIU list, searched by the service's name, then entry `number`.
async fn open_liu_entry(browser: &Browser, number: &str) {
    open_liu_list(browser).await;
    search_list(browser).await;
    let link = browser
        .wait_for_css(&format!("#list a[href$='/{number}']"))
        .await;
    browser.click_and_wait_for_next_page(&link).await;
    browser.wait_for_css("main h1").await;
}

/// Types the service's name into the list's search and presses Enter.
async fn search_list(browser: &Browser) {
    let search = browser.find("form[role='search'] input[name='q']").await;
    browser
        .send_keys(&search, &format!("サンプル文書{ENTER}"))
        .await;
    browser.wait_until_gone(&search).await;
}

/// The provider: the service by the navigation and its link.
async fn open_service(browser: &Browser, service: i64) {
    follow_nav(browser, "/services").await;
    let link = browser
        .find(&format!("main a[href='/services/{service}']"))
        .await;
    browser.click_and_wait_for_next_page(&link).await;
    browser.wait_for_css("main h1").await;
}

/// Presses `button`; confirms the dialog if the page asks (a screenshot of
/// it as `step`) and returns its text; `None` when the page went on without
/// asking.
async fn press_confirming(browser: &Browser, button: &str, step: &str) -> Option<String> {
    browser.click(button).await;
    let deadline = Instant::now() + PAGE_WAIT;
    loop {
        if browser
            .try_find("dialog.confirm-dialog[open]")
            .await
            .is_some()
        {
            browser.step(JOURNEY, step).await;
            return Some(browser.confirm_dialog().await);
        }
        if browser
            .try_command(Method::GET, &format!("/element/{button}/name"), None)
            .await
            .is_err()
        {
            return None;
        }
        browser
            .check_deadline(deadline, "a confirmation dialog or the next page")
            .await;
    }
}

/// Scrolls `css` into the middle of the window (for the step's screenshot).
async fn show(browser: &Browser, css: &str) {
    let element = browser.find(css).await;
    browser
        .execute(
            "arguments[0].scrollIntoView({block: 'center'});",
            serde_json::json!([{ ELEMENT_KEY: element }]),
        )
        .await;
}

/// The number after the last `/` of the current path.
async fn id_in_path(browser: &Browser) -> i64 {
    let path = browser.path().await;
    let tail = path.rsplit('/').next().unwrap_or_default();
    let tail = tail.split(['?', '#']).next().unwrap_or_default();
    tail.parse()
        .unwrap_or_else(|_| panic!("no id at the end of {path}"))
}

/// One internal audit, as the provider types it.
struct InternalAudit<'a> {
    audit_date: NaiveDate,
    period: (NaiveDate, NaiveDate),
    chapters: std::ops::RangeInclusive<u16>,
    results: &'a str,
    file: &'a Letter,
}

/// On the service's internal audit page: fills in the form (the chapters'
/// 「すべて選択」) and presses 記録する; waits for the record's page, then
/// goes back to the list by the breadcrumbs.
async fn record_internal_audit(
    browser: &Browser,
    service: i64,
    audit: InternalAudit<'_>,
    step: &str,
) {
    let form = "#internal-audit-form";
    for (field, date) in [
        ("audit_date", audit.audit_date),
        ("period_start", audit.period.0),
        ("period_end", audit.period.1),
    ] {
        let input = browser.find(&format!("{form} input[name='{field}']")).await;
        type_date(browser, &input, &day(date)).await;
    }
    type_into(
        browser,
        &format!("{form} input[name='auditor_name']"),
        "監査 花子",
    )
    .await;
    type_into(
        browser,
        &format!("{form} input[name='auditor_department']"),
        "内部監査室",
    )
    .await;
    for chapter in audit.chapters {
        let details = format!("#ia-chapter-{chapter}");
        let open = browser
            .dom_property(&browser.find(&details).await, "open")
            .await;
        if open != "true" {
            browser
                .click(&browser.find(&format!("{details} > summary")).await)
                .await;
        }
        browser
            .click(
                &browser
                    .find(&format!("{details} input[name='chapter-{chapter}']"))
                    .await,
            )
            .await;
    }
    type_into(
        browser,
        &format!("{form} textarea[name='results']"),
        audit.results,
    )
    .await;
    let upload = browser.find(&format!("{form} input[name='report']")).await;
    browser.send_keys(&upload, audit.file.path()).await;
    browser.step(JOURNEY, step).await;
    browser
        .click(&browser.find("#internal-audit-submit").await)
        .await;
    browser.wait_for_css("#ia-objectives").await;
    browser
        .click_and_wait_for_next_page(
            &browser
                .find(&format!(
                    "nav ol.breadcrumbs a[href='/services/{service}/internal-audits']"
                ))
                .await,
        )
        .await;
    browser.wait_for_css("#ia-coverage").await;
}

/// The service's page, then its internal audit page.
async fn open_internal_audits(browser: &Browser, service: i64) {
    open_service(browser, service).await;
    browser
        .click_and_wait_for_next_page(&browser.find("#internal-audits-link").await)
        .await;
    browser.wait_for_css("#ia-coverage").await;
}

/// The service's page, then 登録申請 (the application form).
async fn open_application_form(browser: &Browser, service: i64) {
    open_service(browser, service).await;
    browser
        .click_and_wait_for_next_page(
            &browser
                .find(&format!("main a[href='/services/{service}/apply']"))
                .await,
        )
        .await;
    browser.wait_for_css("#application-form").await;
}

/// The auditor records every control the workspace shows, chapter by
/// chapter (the chapters' links), with the bulk 適合; returns the controls
/// of chapters 5–18 the workspace showed.
async fn record_every_shown_control(browser: &Browser) -> Vec<String> {
    let mut shown = Vec::new();
    let counts = browser.find_all("[id^='chapter-count-']").await;
    let mut chapters = Vec::new();
    for count in counts {
        let id = browser.attribute(&count, "id").await.unwrap_or_default();
        let chapter: u16 = id["chapter-count-".len()..].parse().expect("a chapter");
        let text = browser.text(&count).await;
        let total: usize = text
            .rsplit('/')
            .next()
            .and_then(|t| t.trim().parse().ok())
            .unwrap_or_else(|| panic!("a count: {text:?}"));
        if total > 0 {
            chapters.push((chapter, total));
        }
    }
    assert!(!chapters.is_empty(), "the workspace lists chapters");
    for (chapter, total) in chapters {
        let link = browser
            .find(&format!(
                "nav.audit-chapters li:has(#chapter-count-{chapter}) a"
            ))
            .await;
        browser.click_and_wait_for_next_page(&link).await;
        browser.wait_for_css("#bulk-form").await;
        let boxes = browser
            .find_all(".audit-item .audit-select input[type='checkbox']")
            .await;
        assert_eq!(
            boxes.len(),
            total,
            "chapter {chapter}: every control of the scope has a row"
        );
        if chapter >= 5 {
            // Read in one go (reading only; the clicks below are a person's).
            let ids = browser
                .execute(
                    "return [...document.querySelectorAll('.audit-item .control-id')].map((e) => e.textContent.trim());",
                    serde_json::json!([]),
                )
                .await;
            shown.extend(
                ids.as_array()
                    .expect("a list of ids")
                    .iter()
                    .map(|v| v.as_str().unwrap_or_default().to_owned()),
            );
        }
        let clicking = Instant::now();
        tick_all(browser, &boxes).await;
        type_into(
            browser,
            "#bulk-form textarea[name='performed']",
            AUDIT_PROCEDURE,
        )
        .await;
        if chapter == 9 {
            browser.step(JOURNEY, "21-auditor-chapter-9").await;
        }
        let clicked = clicking.elapsed();
        browser.click(&browser.find("#bulk-conforming").await).await;
        wait_for_text_in(
            browser,
            "#bulk-status",
            &format!("{total} 件の管理策を「適合」として記録しました"),
        )
        .await;
        wait_for_text_in(
            browser,
            &format!("#chapter-count-{chapter}"),
            &format!("{total} / {total}"),
        )
        .await;
        eprintln!(
            "{JOURNEY}: chapter {chapter}: {total} rows ticked in {clicked:.1?}, recorded in {:.1?}",
            clicking.elapsed()
        );
    }
    shown
}

/// After 事前申請を提出する: the pre-application's page.
async fn see_the_pre_application(browser: &Browser) {
    browser.wait_for_css("#pre-state").await;
}

/// After 確認を記録する: the check shows on the application's page.
async fn see_the_check(browser: &Browser) {
    wait_for_text_in(browser, "#ia-checks", CHECK_NOTE).await;
}

/// The whole ISMAP-LIU track in Japanese.
pub(crate) async fn journey(browser: Browser, server: TestServer) {
    let t = Instant::now();
    let w = world(&server).await;
    let db = &server.db;
    let today = ismap_web::today();
    let before = |days: u64| today.checked_sub_days(Days::new(days)).expect("a date");
    let pre_document = Letter::named("liu-pre", "jizen-shinsei.pdf");
    let first_report = Letter::named("liu-ia1", "naibu-kansa-2026-1.pdf");
    let second_report = Letter::named("liu-ia2", "naibu-kansa-2026-2.pdf");
    let letter = Letter::new("liu");

    // 1. A visitor: no link to the special measures list anywhere.
    browser.goto(&server.url("/")).await;
    no_special_link(&browser, "a visitor").await;
    browser.step(JOURNEY, "01-visitor-home").await;
    open_liu_list(&browser).await;
    no_special_link(&browser, "a visitor").await;
    browser.step(JOURNEY, "02-visitor-liu-list").await;

    // 2. The provider asks サンプル省 for an impact assessment.
    sign_in_from_header(&browser, &server, "saas-admin").await;
    follow_nav(&browser, "/").await;
    no_special_link(&browser, "the provider").await;
    open_liu_list(&browser).await;
    no_special_link(&browser, "the provider").await;
    open_service(&browser, w.service).await;
    browser
        .click_and_wait_for_next_page(&browser.find("#service-impact-assessments").await)
        .await;
    browser.wait_for_css("#ia-request-form").await;
    browser
        .select_option(
            "#ia-request-form select[name='agency']",
            &w.ministry.to_string(),
        )
        .await;
    type_into(
        &browser,
        "#ia-request-form input[name='use_name']",
        USE_NAME,
    )
    .await;
    type_into(&browser, "#ia-request-form textarea[name='note']", USE_NOTE).await;
    browser.step(JOURNEY, "03-ia-request").await;
    browser
        .click_and_wait_for_next_page(&browser.find("#ia-request").await)
        .await;
    wait_for_text_in(&browser, "#ia-state", "依頼中").await;
    let assessment = id_in_path(&browser).await;
    browser.step(JOURNEY, "04-ia-requested").await;
    eprintln!(
        "{JOURNEY}: assessment {assessment} requested ({:.1?})",
        t.elapsed()
    );

    // The ministry's officer fills it in from the dashboard's card.
    sign_in_from_header(&browser, &server, "agency-a").await;
    follow_nav(&browser, "/").await;
    browser
        .click_and_wait_for_next_page(
            &browser
                .find("a.card-link[href='/impact-assessments#inbox']")
                .await,
        )
        .await;
    browser
        .click_and_wait_for_next_page(
            &browser
                .wait_for_css(&format!("table a[href='/impact-assessments/{assessment}']"))
                .await,
        )
        .await;
    browser.wait_for_css("#ia-fill-form").await;
    let fill = "#ia-fill-form";
    browser
        .click(
            &browser
                .find(&format!("{fill} input[name='business'][value='b10']"))
                .await,
        )
        .await;
    type_into(
        &browser,
        &format!("{fill} textarea[name='information']"),
        INFORMATION,
    )
    .await;
    browser
        .select_option(&format!("{fill} select[name='confidentiality']"), "c2")
        .await;
    type_into(&browser, &format!("{fill} textarea[name='impact']"), IMPACT).await;
    type_into(
        &browser,
        &format!("{fill} textarea[name='reasoning']"),
        REASONING,
    )
    .await;
    browser
        .click(
            &browser
                .find(&format!("{fill} input[name='result'][value='low']"))
                .await,
        )
        .await;
    browser.step(JOURNEY, "05-ia-filled").await;
    let asked = press_confirming(
        &browser,
        &browser.find("#ia-submit").await,
        "06-ia-submit-dialog",
    )
    .await;
    eprintln!("{JOURNEY}: 承認を申請する asked first: {asked:?}");
    wait_for_text_in(&browser, "#ia-state", "承認待ち").await;
    browser.step(JOURNEY, "07-ia-submitted").await;

    // The ministry's CISO approves it after the dialog.
    sign_in_from_header(&browser, &server, "agency-a-ciso").await;
    follow_nav(&browser, "/").await;
    browser
        .click_and_wait_for_next_page(
            &browser
                .find("a.card-link[href='/impact-assessments#approvals']")
                .await,
        )
        .await;
    browser
        .click_and_wait_for_next_page(
            &browser
                .wait_for_css(&format!("table a[href='/impact-assessments/{assessment}']"))
                .await,
        )
        .await;
    let content = wait_for_text_in(&browser, "#ia-content", "機密性2").await;
    assert!(
        content.contains("低位") && content.contains(INFORMATION),
        "{content}"
    );
    browser.click(&browser.find("#ia-approve").await).await;
    browser.wait_for_css("dialog.confirm-dialog[open]").await;
    browser.step(JOURNEY, "08-ia-approve-dialog").await;
    let said = browser.confirm_dialog().await;
    assert!(said.contains(USE_NAME) && said.contains("承認"), "{said}");
    wait_for_text_in(&browser, "#ia-state", "承認済み").await;
    browser.step(JOURNEY, "09-ia-approved").await;
    eprintln!("{JOURNEY}: assessment approved ({:.1?})", t.elapsed());

    // 3. The provider files the pre-application; IPA accepts it.
    sign_in_from_header(&browser, &server, "saas-admin").await;
    open_service(&browser, w.service).await;
    browser
        .click_and_wait_for_next_page(&browser.find("#service-pre-application").await)
        .await;
    let pre = "#pre-application-form";
    browser.wait_for_css(pre).await;
    browser
        .click(
            &browser
                .find(&format!("{pre} input[name='assessment-{assessment}']"))
                .await,
        )
        .await;
    browser
        .click(
            &browser
                .find(&format!("{pre} input[name='confidentiality2']"))
                .await,
        )
        .await;
    type_into(&browser, &format!("{pre} textarea[name='note']"), PRE_NOTE).await;
    browser
        .send_keys(
            &browser.find(&format!("{pre} input[name='file']")).await,
            pre_document.path(),
        )
        .await;
    browser.step(JOURNEY, "10-pre-application").await;
    let asked = press_confirming(
        &browser,
        &browser.find("#pre-submit").await,
        "11-pre-dialog",
    )
    .await;
    eprintln!("{JOURNEY}: 事前申請 asked first: {asked:?}");
    see_the_pre_application(&browser).await;
    wait_for_text_in(&browser, "#pre-state", "提出済み").await;
    let pre_application = id_in_path(&browser).await;
    let documents = browser.text(&browser.find("#pre-documents").await).await;
    assert!(documents.contains("jizen-shinsei.pdf"), "{documents}");
    browser.step(JOURNEY, "12-pre-submitted").await;

    sign_in_from_header(&browser, &server, "reviewer").await;
    follow_nav(&browser, "/").await;
    browser
        .click_and_wait_for_next_page(&browser.find("a.card-link[href='/pre-applications']").await)
        .await;
    browser
        .click_and_wait_for_next_page(
            &browser
                .wait_for_css(&format!(
                    "#pre-applications a[href='/pre-applications/{pre_application}']"
                ))
                .await,
        )
        .await;
    let shown = browser
        .text(&browser.find(&format!("#assessment-{assessment}")).await)
        .await;
    assert!(
        shown.contains(USE_NAME) && shown.contains("機密性2"),
        "{shown}"
    );
    browser
        .click(&browser.find("#do-accept button[type='submit']").await)
        .await;
    browser.wait_for_css("dialog.confirm-dialog[open]").await;
    browser.step(JOURNEY, "13-pre-accept-dialog").await;
    let said = browser.confirm_dialog().await;
    assert!(said.contains("受理"), "{said}");
    wait_for_text_in(&browser, "#pre-state", "受理").await;
    browser.step(JOURNEY, "14-pre-accepted").await;
    eprintln!("{JOURNEY}: pre-application accepted ({:.1?})", t.elapsed());

    // 4. The provider freezes its statement and records a first internal
    // audit: chapters 5–11 only.
    sign_in_from_header(&browser, &server, "saas-admin").await;
    open_service(&browser, w.service).await;
    browser
        .click_and_wait_for_next_page(
            &browser
                .find(&format!("main a[href='/statements/{}']", w.statement))
                .await,
        )
        .await;
    browser
        .click_and_wait_for_next_page(
            &browser
                .wait_for_css(&format!("a[href='/statements/{}/edit']", w.statement))
                .await,
        )
        .await;
    browser
        .click(
            &browser
                .wait_for_css("form.freeze-form button[type='submit']")
                .await,
        )
        .await;
    let said = browser.confirm_dialog().await;
    assert!(said.contains("これ以上編集できません"), "{said}");
    wait_for_text_in(&browser, "p.notice", "凍結済み").await;

    open_internal_audits(&browser, w.service).await;
    assert!(browser.try_find("#ia-incomplete").await.is_some());
    record_internal_audit(
        &browser,
        w.service,
        InternalAudit {
            audit_date: before(120),
            period: (before(480), before(130)),
            chapters: 5..=11,
            results: "第5章から第11章までの統制目標について、規程と記録を確認した。重大な不備はなかった。",
            file: &first_report,
        },
        "15-internal-audit-1",
    )
    .await;
    let coverage = browser.text(&browser.find("#ia-coverage").await).await;
    assert!(
        browser.try_find("#ia-incomplete").await.is_some(),
        "{coverage}"
    );
    let uncovered = browser.text(&browser.find("#ia-uncovered").await).await;
    assert!(
        uncovered.contains("12.1.1") && !uncovered.contains("9.1.1"),
        "{uncovered}"
    );
    show(&browser, "#ia-coverage").await;
    browser.step(JOURNEY, "16-coverage-incomplete").await;
    eprintln!("{JOURNEY}: first internal audit ({:.1?})", t.elapsed());

    // 5. The LIU-scope audit: requested, assigned, recorded, reported.
    let period_end = before(30);
    let period_start = period_end
        .checked_sub_months(Months::new(12))
        .and_then(|d| d.checked_add_days(Days::new(1)))
        .expect("a date");
    let engagement = request_audit(
        &browser,
        AuditRequest {
            statement: w.statement,
            period: (&day(period_start), &day(period_end)),
            scope: "liu",
            step: (JOURNEY, "17-liu-audit-request"),
        },
    )
    .await;
    let scope = browser.text(&browser.find("#liu-plan-scope").await).await;
    assert!(scope.contains("ISMAP-LIUの範囲"), "{scope}");
    let notice = browser
        .text(&browser.find("#liu-important-notice").await)
        .await;
    assert!(
        notice.contains("本システムの仮定"),
        "the assumed set says so: {notice}"
    );
    browser.step(JOURNEY, "18-liu-audit-requested").await;

    sign_in_from_header(&browser, &server, "audit-manager").await;
    open_engagement(&browser, engagement).await;
    assign_auditor(&browser, w.auditor).await;
    browser.step(JOURNEY, "19-auditor-assigned").await;

    let catalog = &ismap_formats::bundled::bundled_catalogs()[0];
    let planned: Vec<String> = EngagementScope::new(Scope::Liu { years: 3 }, 1)
        .expect("an LIU scope")
        .controls(catalog)
        .iter()
        .map(|c| c.to_string())
        .collect();
    let important: Vec<String> = catalog
        .controls()
        .iter()
        .filter(|c| c.liu_important)
        .map(|c| c.id.to_string())
        .collect();
    sign_in_from_header(&browser, &server, "auditor").await;
    open_engagement(&browser, engagement).await;
    let progress = wait_for_text_in(
        &browser,
        "#audit-progress",
        &format!("記録済み 0 / {}", planned.len()),
    )
    .await;
    assert!(planned.len() < catalog.controls().len(), "{progress}");
    browser.step(JOURNEY, "20-auditor-workspace").await;
    let shown = record_every_shown_control(&browser).await;
    // Of the control measures, only the important controls (with their
    // objectives) were to be audited: no other control measure.
    for control in &shown {
        let objective = control.split('.').count() == 3;
        assert!(
            objective || important.contains(control),
            "{control} is neither an important control nor an objective"
        );
        assert!(
            planned.contains(control),
            "{control} is not in this year's plan"
        );
    }
    assert!(
        shown.iter().any(|c| important.contains(c)),
        "this year audits some important controls: {shown:?}"
    );
    wait_for_text_in(
        &browser,
        "#audit-progress",
        &format!("記録済み {0} / {0}", planned.len()),
    )
    .await;
    browser.step(JOURNEY, "23-auditor-recorded").await;
    issue_report(&browser, engagement, (JOURNEY, "24-issue-dialog")).await;
    browser.step(JOURNEY, "25-report-issued").await;
    eprintln!(
        "{JOURNEY}: LIU audit of {} controls reported ({:.1?})",
        planned.len(),
        t.elapsed()
    );

    // 6. Refusals on the form: the LIU audit for the ISMAP list; the LIU
    // list while coverage is incomplete.
    sign_in_from_header(&browser, &server, "saas-admin").await;
    open_application_form(&browser, w.service).await;
    fill_application(&browser, "ismap", engagement, &letter).await;
    let refused = to_confirmation_refused(&browser, "ISMAP-LIUの監査").await;
    assert!(
        refused.contains("ISMAPクラウドサービスリストに申請できません"),
        "{refused}"
    );
    assert_eq!(
        value_of(&browser, "#application-form [name='provider_address']").await,
        ADDRESS,
        "what was typed stays"
    );
    show(&browser, "#application-form .htmx-error").await;
    browser
        .step(JOURNEY, "26-ismap-with-liu-audit-refused")
        .await;

    browser
        .select_option("#application-form select[name='list']", "liu")
        .await;
    let refused = to_confirmation_refused(&browser, "内部監査の網羅が不足").await;
    assert!(
        refused.contains("12.1.1"),
        "the uncovered objectives are listed: {refused}"
    );
    assert!(!refused.contains("9.1.1"), "{refused}");
    assert_eq!(
        value_of(&browser, "#application-form [name='representative']").await,
        REPRESENTATIVE,
        "what was typed stays"
    );
    show(&browser, "#application-form .htmx-error").await;
    browser.step(JOURNEY, "27-liu-coverage-refused").await;
    assert!(
        ismap_store::applications::list(db, None)
            .await
            .unwrap()
            .is_empty(),
        "nothing filed"
    );

    // The second internal audit: chapters 12–18; coverage complete.
    open_internal_audits(&browser, w.service).await;
    record_internal_audit(
        &browser,
        w.service,
        InternalAudit {
            audit_date: before(10),
            period: (before(100), before(15)),
            chapters: 12..=18,
            results: "第12章から第18章までの統制目標について、運用記録の抜取りと質問で確認した。",
            file: &second_report,
        },
        "28-internal-audit-2",
    )
    .await;
    wait_for_text_in(&browser, "#ia-complete", "すべて網羅").await;
    assert!(browser.try_find("#ia-uncovered").await.is_none());
    show(&browser, "#ia-coverage").await;
    browser.step(JOURNEY, "29-coverage-complete").await;
    eprintln!("{JOURNEY}: coverage complete ({:.1?})", t.elapsed());

    // 7. The LIU application goes through.
    open_application_form(&browser, w.service).await;
    fill_application(&browser, "liu", engagement, &letter).await;
    to_confirmation(&browser).await;
    let summary = browser
        .text(&browser.find("#application-summary").await)
        .await;
    assert!(summary.contains("ISMAP-LIU"), "{summary}");
    browser.step(JOURNEY, "30-liu-confirm").await;
    browser
        .click_and_wait_for_next_page(&browser.find("#file-application").await)
        .await;
    let number = browser
        .text(&browser.wait_for_css("#application-number").await)
        .await;
    let application: i64 = number.trim().parse().expect("the application number");
    browser.step(JOURNEY, "31-liu-filed").await;

    // IPA: the scope, the internal audits, the check, the committee.
    sign_in_from_header(&browser, &server, "reviewer").await;
    open_application(&browser, application).await;
    let scope = browser.text(&browser.find("#audit-scope").await).await;
    assert!(scope.contains("ISMAP-LIU"), "{scope}");
    for step in ["start_acceptance", "accept"] {
        browser
            .click_and_wait_for_next_page(
                &browser
                    .find(&format!("#do-{step} button[type='submit']"))
                    .await,
            )
            .await;
        browser.wait_for_css("#application-state").await;
    }
    wait_for_state(&browser, "技術的審査中").await;
    let section = browser.text(&browser.find("#internal-audits").await).await;
    assert!(section.contains("すべて網羅"), "{section}");
    type_into(
        &browser,
        "#internal-audit-check textarea[name='note']",
        CHECK_NOTE,
    )
    .await;
    show(&browser, "#internal-audit-check").await;
    browser.step(JOURNEY, "32-internal-audit-check").await;
    browser
        .click(
            &browser
                .find("#internal-audit-check button[type='submit']")
                .await,
        )
        .await;
    see_the_check(&browser).await;
    type_into(
        &browser,
        "#do-refer_to_committee input[name='reason']",
        "ISMAP-LIUの要件を満たす（内部監査報告書確認済み）",
    )
    .await;
    browser
        .click(
            &browser
                .find("#do-refer_to_committee button[type='submit']")
                .await,
        )
        .await;
    browser.wait_for_css("dialog.confirm-dialog[open]").await;
    browser.step(JOURNEY, "33-refer-dialog").await;
    let said = browser.confirm_dialog().await;
    assert!(said.contains("運営委員会に付議します"), "{said}");
    wait_for_state(&browser, "運営委員会に付議").await;
    browser.step(JOURNEY, "34-referred").await;

    // The committee registers it on the ISMAP-LIU list.
    sign_in_from_header(&browser, &server, "committee").await;
    open_application(&browser, application).await;
    type_into(
        &browser,
        "#do-register input[name='reason']",
        "第43回運営委員会",
    )
    .await;
    browser
        .click(&browser.find("#do-register button[type='submit']").await)
        .await;
    browser.wait_for_css("dialog.confirm-dialog[open]").await;
    browser.step(JOURNEY, "35-register-dialog").await;
    let said = browser.confirm_dialog().await;
    assert!(said.contains("ISMAP-LIUクラウドサービスリスト"), "{said}");
    wait_for_state(&browser, "登録").await;
    let registration = browser
        .text(&browser.wait_for_css("#registration-number").await)
        .await;
    let number = registration
        .split_whitespace()
        .next()
        .expect("the number")
        .to_owned();
    assert!(
        number.starts_with('L'),
        "the ISMAP-LIU list's letter: {number}"
    );
    browser.step(JOURNEY, "36-registered").await;
    eprintln!("{JOURNEY}: registered as {number} ({:.1?})", t.elapsed());

    // A visitor: not on the ISMAP list, on the ISMAP-LIU list.
    sign_out(&browser).await;
    follow_nav(&browser, "/lists/ismap").await;
    search_list(&browser).await;
    assert!(
        browser
            .try_find(&format!("#list a[href$='/{number}']"))
            .await
            .is_none(),
        "{number} is not on the ISMAP list"
    );
    let text = browser.body_text().await;
    assert!(!text.contains(&w.service_name), "{text}");
    browser.step(JOURNEY, "37-not-on-ismap-list").await;
    browser
        .click_and_wait_for_next_page(&browser.find("main a[href='/lists/liu']").await)
        .await;
    search_list(&browser).await;
    let link = browser
        .wait_for_css(&format!("#list a[href$='/{number}']"))
        .await;
    browser.step(JOURNEY, "38-on-liu-list").await;
    browser.click_and_wait_for_next_page(&link).await;
    let entry = browser.text(&browser.wait_for_css("main").await).await;
    assert!(
        entry.contains(&number) && entry.contains(ADDRESS),
        "{entry}"
    );
    no_special_link(&browser, "a visitor").await;
    browser.step(JOURNEY, "39-liu-entry").await;

    // 8. The provider: no special measures list beside its own entry
    // either; a renewal resting on the same audit is refused on the form.
    sign_in_from_header(&browser, &server, "saas-admin").await;
    open_liu_entry(&browser, &number).await;
    no_special_link(&browser, "the provider").await;
    open_application_form(&browser, w.service).await;
    fill_application(&browser, "liu", engagement, &letter).await;
    let refused = to_confirmation_refused(&browser, "より後に終わる監査期間").await;
    assert!(refused.contains(&number), "{refused}");
    assert_eq!(
        value_of(&browser, "#application-form [name='provider_address']").await,
        ADDRESS,
        "what was typed stays"
    );
    show(&browser, "#application-form .htmx-error").await;
    browser.step(JOURNEY, "40-renewal-refused").await;
    assert_eq!(
        ismap_store::applications::list(db, None)
            .await
            .unwrap()
            .len(),
        1,
        "nothing more filed"
    );

    // 9. The ministry's officer sees the special measures list beside the
    // public lists and opens it.
    sign_in_from_header(&browser, &server, "agency-a").await;
    browser
        .find("nav.main-nav a[href='/special-measures']")
        .await;
    follow_nav(&browser, "/lists/ismap").await;
    browser
        .find(".special-measures-link a[href='/special-measures']")
        .await;
    browser.step(JOURNEY, "41-agency-lists").await;
    open_liu_entry(&browser, &number).await;
    let beside = browser
        .text(&browser.find("section.special-measures-beside").await)
        .await;
    assert!(beside.contains(SPECIAL), "{beside}");
    browser
        .execute(
            "document.querySelector('section.special-measures-beside').scrollIntoView();",
            serde_json::json!([]),
        )
        .await;
    browser.step(JOURNEY, "42-agency-entry-beside").await;
    browser
        .click_and_wait_for_next_page(
            &browser
                .find("section.special-measures-beside a[href='/special-measures']")
                .await,
        )
        .await;
    browser.wait_for_path("/special-measures").await;
    let heading = browser.text(&browser.find("main h1").await).await;
    assert!(heading.contains(SPECIAL), "{heading}");
    browser.step(JOURNEY, "43-agency-special-measures").await;
    eprintln!("{JOURNEY}: journey done ({:.1?})", t.elapsed());
}
