//! Browser journeys: agencies and the secretariat (issue 15, "Done when").
//! Acts as a person: types, chooses and presses what the page renders;
//! never builds a URL beyond the start page. The store is only read (ids,
//! to find the option or row a person would recognise by its text, and
//! checks afterwards); the portal's clock is moved forward in-process to
//! let a deadline pass.
//!
//! Journey 1, サンプル省 (agency-a, the officer; agency-a-ciso, the CISO):
//! 1. The officer records a registered service (the demo IaaS) in the
//!    cloud usage register (クラウド利用台帳) and runs the procurement check
//!    (調達前確認): the snapshot is stored with its day, 有効.
//! 2. The officer records a PLANNED unregistered service, named with its
//!    provider, starting in three weeks (機密性2, a purpose), declares an
//!    interim measure (暫定措置) from the entry's page and reads its
//!    deadline (the Civil Code year from the start of use), then records a
//!    hearing (聴取) of the provider's conformance status.
//! 3. The deadline passes (the test clock): the measure reads 期限超過 on
//!    its page and on the agency's dashboard; the CISO reports to the
//!    secretariat (事務局への報告).
//! 4. The secretariat finds the reported measure from its dashboard and
//!    opens an inquiry (調査) with a question and a due date from the
//!    measure's page; the officer answers it and records the plan (移行,
//!    with dates).
//!
//! Journey 2, the secretariat: the overdue measures on the dashboard (as
//! many as the database holds), then the operations report (運用状況の報告)
//! for the fiscal year, its XLSX downloaded by the link and read back.

use std::time::Instant;

use calamine::{Data, Reader, Xlsx, open_workbook};
use chrono::{Days, NaiveDate};
use ismap_domain::interim::{InterimStart, InterimState, deadline};
use ismap_domain::operations_report::fiscal_year;
use ismap_domain::validity::japan_date;
use ismap_store::{inquiries, interim, orgs, register, registrations, services};
use ismap_web::demo_agency::{IAAS_NAME, OVERDUE_SERVICE};
use ismap_web::testing::TestServer;

use super::driver::*;
use super::steps::*;

const JOURNEY: &str = "agency";
const JOURNEY_2: &str = "agency-secretariat";

const IAAS_SYSTEM: &str = "行政文書管理基盤";
const IAAS_PURPOSE: &str = "行政文書管理システムの基盤（仮想サーバとストレージ）として利用する。";
const SYSTEM: &str = "オンライン研修受付システム";
const SERVICE: &str = "サンプルeラーニング配信クラウド";
const PROVIDER: &str = "株式会社サンプルラーニング";
const PURPOSE: &str = "職員向けオンライン研修の受付と受講記録の管理に利用する予定です。";
const CURRENT_STATUS: &str =
    "事業者はISMAPへの登録申請を準備中と説明しています。利用開始前に申請するよう依頼しました。";
const HEARING: &str =
    "事業者から、外部監査機関との契約を締結済みで、言明書の作成に着手したと聴取した。";
const REPORT: &str = "申請期限を過ぎましたが、事業者から登録申請がありません。当面は当省の責任において利用を継続し、移行先を検討します。";
const INQUIRY_SUBJECT: &str = "サンプルeラーニング配信クラウドの暫定措置に関する調査";
const QUESTION: &str =
    "事業者が申請していない理由と、今後の対応方針（移行又は予算要求）を示してください。";
const ANSWER: &str = "事業者は監査費用の確保ができず今年度の申請を見送るとのことです。ISMAP登録済みの研修サービスへ移行します。";
const PLAN: &str = "ISMAP登録済みの研修管理サービスへ移行する。移行期間中は受講記録のみを扱う。";

/// The Japanese way the pages write a day: 2026年12月1日.
fn ja(day: NaiveDate) -> String {
    day.format("%Y年%-m月%-d日").to_string()
}

fn iso(day: NaiveDate) -> String {
    day.format("%Y-%m-%d").to_string()
}

fn lap(journey: &str, t: Instant, what: &str) {
    eprintln!("{journey}: {what} at {:.1?}", t.elapsed());
}

/// Presses `css` (a link or a form's button) and waits for the next page.
async fn press(browser: &Browser, css: &str) {
    browser
        .click_and_wait_for_next_page(&browser.find(css).await)
        .await;
}

/// Chooses the radio button `name`=`value` in `form`.
async fn choose_radio(browser: &Browser, form: &str, name: &str, value: &str) {
    let radio = browser
        .find(&format!("{form} input[name='{name}'][value='{value}']"))
        .await;
    browser.click(&radio).await;
    assert_eq!(
        browser.dom_property(&radio, "checked").await,
        "true",
        "{name}={value} is chosen in {form}"
    );
}

/// The number after the last `/` of the current path.
async fn id_in_path(browser: &Browser) -> i64 {
    let path = browser.path().await;
    let tail = path.rsplit('/').next().unwrap_or_default();
    let tail = tail.split(['?', '#']).next().unwrap_or_default();
    tail.parse()
        .unwrap_or_else(|_| panic!("no id at the end of {path}"))
}

/// The leading number of a dashboard figure ("2 期限超過" → 2).
fn leading_number(text: &str) -> usize {
    text.split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("a number in {text:?}"))
}

/// From the navigation: 暫定措置, the filter `filter`, then measure `id`.
async fn open_measure(browser: &Browser, id: i64, filter: &str) {
    follow_nav(browser, "/interim-measures").await;
    press(browser, &format!("#filter-{filter}")).await;
    press(browser, &format!("#measure-{id} a")).await;
    browser.wait_for_css("#interim-state").await;
}

/// From the navigation: クラウド利用台帳 → 新しい利用を登録.
async fn open_new_entry_form(browser: &Browser) {
    follow_nav(browser, "/agency/register").await;
    press(browser, "#register-new-link").await;
    browser.wait_for_css("#register-new").await;
}

/// What the officer types for one register entry.
struct NewEntry<'a> {
    system: &'a str,
    /// A registered service chosen from the list, by the store's id.
    service: Option<i64>,
    /// An unregistered service: its name and provider.
    named: Option<(&'a str, &'a str)>,
    purpose: &'a str,
    start: NaiveDate,
    status: &'a str,
}

/// Fills in 「クラウド利用の登録」 and presses 登録する; returns the entry's id
/// from the page it opens.
async fn record_entry(browser: &Browser, entry: NewEntry<'_>, step: &str) -> i64 {
    let form = "#register-new";
    type_into(browser, "#rg-system-name", entry.system).await;
    if let Some(service) = entry.service {
        browser
            .select_option("#rg-service", &service.to_string())
            .await;
    }
    if let Some((service, provider)) = entry.named {
        type_into(browser, "#rg-service-name", service).await;
        type_into(browser, "#rg-provider-name", provider).await;
    }
    type_into(browser, "#rg-purpose", entry.purpose).await;
    choose_radio(browser, form, "confidentiality", "2").await;
    let start = browser.find("#rg-start").await;
    type_date(browser, &start, &iso(entry.start)).await;
    choose_radio(browser, form, "status", entry.status).await;
    browser.step(JOURNEY, step).await;
    press(browser, &format!("{form} button[type='submit']")).await;
    browser.wait_for_css("#register-entry").await;
    id_in_path(browser).await
}

/// サンプル省's journey through the register, the interim measure, the
/// report, the secretariat's inquiry and the plan.
pub(crate) async fn journey(browser: Browser, server: TestServer) {
    let t = Instant::now();
    let db = &server.db;
    let today = server.clock.today();
    let iaas = services::list(db, None)
        .await
        .unwrap()
        .into_iter()
        .find(|s| s.name == IAAS_NAME)
        .expect("the demo IaaS")
        .id;
    let ministry = orgs::find_by_name(db, "サンプル省")
        .await
        .unwrap()
        .expect("サンプル省")
        .id;

    // The officer signs in from the start page.
    browser.goto(&server.url("/")).await;
    sign_in_from_header(&browser, &server, "agency-a").await;
    lap(JOURNEY, t, "agency-a signed in");

    // 1. A registered service and its procurement check (調達前確認).
    open_new_entry_form(&browser).await;
    let listed = record_entry(
        &browser,
        NewEntry {
            system: IAAS_SYSTEM,
            service: Some(iaas),
            named: None,
            purpose: IAAS_PURPOSE,
            start: today + Days::new(30),
            status: "planned",
        },
        "01-registered-service",
    )
    .await;
    wait_for_text_in(&browser, "#register-entry", IAAS_NAME).await;
    assert_eq!(
        value_of(&browser, "#register-check input[name='day']").await,
        iso(today),
        "the check is proposed for today"
    );
    press(&browser, "#register-check button[type='submit']").await;
    let snapshot = wait_for_text_in(&browser, ".register-check-snapshot", "有効").await;
    assert!(
        snapshot.contains(&format!("{} についての確認", ja(today))),
        "the snapshot names its day: {snapshot}"
    );
    let numbers = registrations::of_service(db, iaas).await.unwrap();
    assert!(
        snapshot.contains("ISMAPクラウドサービスリスト")
            && numbers.iter().any(|r| snapshot.contains(&r.number)),
        "the list and the registration number: {snapshot}"
    );
    assert!(
        snapshot.contains("リストから調達できます"),
        "the verdict: {snapshot}"
    );
    wait_for_text_in(&browser, "#register-path", "登録済み").await;
    browser.step(JOURNEY, "02-procurement-check").await;
    let checks = register::checks(db, listed).await.unwrap();
    assert_eq!(checks.len(), 1, "one snapshot stored");
    assert_eq!(checks[0].checked_for_day, today);
    assert_eq!(checks[0].verdict, "procure_from_list");
    assert!(
        checks[0].result.to_string().contains("\"valid\""),
        "the snapshot holds the validity of the day: {}",
        checks[0].result
    );
    lap(JOURNEY, t, "procurement check stored");

    // 2. A planned unregistered service, then its interim measure.
    let start = today + Days::new(21);
    let due = deadline(InterimStart::StartOfUse(start)).expect("a deadline");
    browser
        .click_and_wait_for_next_page(
            &browser
                .find("nav.breadcrumbs a[href='/agency/register']")
                .await,
        )
        .await;
    press(&browser, "#register-new-link").await;
    browser.wait_for_css("#register-new").await;
    let entry = record_entry(
        &browser,
        NewEntry {
            system: SYSTEM,
            service: None,
            named: Some((SERVICE, PROVIDER)),
            purpose: PURPOSE,
            start,
            status: "planned",
        },
        "03-planned-unregistered",
    )
    .await;
    wait_for_text_in(&browser, "#register-path", "未対応").await;
    let choice = wait_for_text_in(&browser, "#interim-declare", "利用予定").await;
    assert!(
        choice.contains(&format!("申請期限 {}", ja(due))),
        "the form shows the deadline each origin gives: {choice}"
    );
    choose_radio(&browser, "#interim-declare", "origin", "start_of_use").await;
    type_into(&browser, "#interim-current-status", CURRENT_STATUS).await;
    browser.step(JOURNEY, "04-declare").await;
    press(&browser, "#interim-declare button[type='submit']").await;
    let shown = wait_for_text_in(&browser, "#interim-deadline", &ja(due)).await;
    assert_eq!(shown.trim(), ja(due), "the deadline as the page writes it");
    let measure = id_in_path(&browser).await;
    let days_left = (due - today).num_days();
    wait_for_text_in(&browser, "#interim-days", &format!("あと{days_left}日")).await;
    let stored = interim::get(db, measure).await.unwrap();
    assert_eq!(stored.entry_id, entry);
    assert_eq!(stored.deadline, due);
    assert_eq!(stored.state, InterimState::Open);
    browser.step(JOURNEY, "05-measure").await;
    lap(JOURNEY, t, "interim measure declared");

    // The hearing (聴取) of the provider's conformance status, today.
    assert_eq!(
        value_of(&browser, "#interim-heard_on").await,
        iso(today),
        "the hearing's day is today unless changed"
    );
    type_into(&browser, "#interim-summary", HEARING).await;
    press(&browser, "#interim-hearing button[type='submit']").await;
    wait_for_text_in(&browser, "#interim-hearing-list", HEARING).await;
    let records = interim::records(db, measure).await.unwrap();
    assert_eq!(records.hearings.len(), 1);
    assert_eq!(records.hearings[0].on, iso(today));
    browser.step(JOURNEY, "06-hearing").await;
    lap(JOURNEY, t, "hearing recorded");

    // 3. The deadline passes without an application.
    let days = (due - today).num_days() + 1;
    server.clock.advance_days(days);
    let later = server.clock.today();
    assert!(later > due);
    reload(&browser).await;
    wait_for_text_in(&browser, "#interim-overdue", "申請期限を過ぎました").await;
    wait_for_text_in(&browser, ".report-meta .interim-overdue-badge", "期限超過").await;
    browser.step(JOURNEY, "07-overdue").await;
    // The agency's dashboard counts it among the overdue measures.
    follow_nav(&browser, "/").await;
    let overdue_here = interim::list(db, Some(ministry))
        .await
        .unwrap()
        .iter()
        .filter(|m| m.is_overdue(later))
        .count();
    assert!(overdue_here >= 1);
    let figure = wait_for_text_in(&browser, "#stat-interim-overdue", "期限超過").await;
    assert_eq!(
        leading_number(&figure),
        overdue_here,
        "the dashboard's overdue measures are the agency's in the database"
    );
    browser.step(JOURNEY, "08-agency-dashboard").await;
    press(&browser, "#interim-card a.card-link").await;
    let row = wait_for_text_in(&browser, &format!("#measure-{measure}"), SERVICE).await;
    assert!(row.contains("期限超過"), "{row}");
    lap(JOURNEY, t, "overdue on the dashboard");

    // The CISO reports to the secretariat.
    sign_in_from_header(&browser, &server, "agency-a-ciso").await;
    open_measure(&browser, measure, "overdue").await;
    let reason = browser
        .find("#interim-report input[name='reason'][value='deadline_passed']")
        .await;
    assert_eq!(
        browser.dom_property(&reason, "checked").await,
        "true",
        "an overdue measure proposes 申請期限を過ぎても申請がない"
    );
    type_into(&browser, "#interim-body", REPORT).await;
    browser.step(JOURNEY, "09-report").await;
    let report_button = browser.find("#interim-report button[type='submit']").await;
    browser.click(&report_button).await;
    let said = browser.confirm_dialog().await;
    assert!(said.contains("事務局に報告します"), "{said}");
    wait_for_text_in(&browser, "#interim-report-filed", REPORT).await;
    wait_for_text_in(&browser, "#interim-state", "報告済み").await;
    let records = interim::records(db, measure).await.unwrap();
    let filed = records.report.expect("the report is stored");
    assert_eq!(filed.kind, "deadline_passed");
    assert_eq!(filed.on, iso(later));
    lap(JOURNEY, t, "reported by the CISO");

    // 4. The secretariat: the reported measure from its dashboard, then an
    // inquiry from the measure's page.
    sign_in_from_header(&browser, &server, "secretariat").await;
    follow_nav(&browser, "/").await;
    let all = interim::list(db, None).await.unwrap();
    let reported = all
        .iter()
        .filter(|m| m.state == InterimState::Reported)
        .count();
    let overdue_all = all.iter().filter(|m| m.is_overdue(later)).count();
    let figure = browser
        .text(&browser.find("#stat-interim-reported").await)
        .await;
    assert_eq!(
        leading_number(&figure),
        reported,
        "reported measures: {figure}"
    );
    let figure = browser
        .text(&browser.find("#stat-interim-overdue").await)
        .await;
    assert_eq!(
        leading_number(&figure),
        overdue_all,
        "overdue measures: {figure}"
    );
    browser.step(JOURNEY, "10-secretariat-dashboard").await;
    press(&browser, "#interim-card a.card-link").await;
    press(&browser, "#filter-reported").await;
    let row = wait_for_text_in(&browser, &format!("#measure-{measure}"), SERVICE).await;
    assert!(row.contains("サンプル省"), "{row}");
    press(&browser, &format!("#measure-{measure} a")).await;
    wait_for_text_in(&browser, "#interim-report-filed", REPORT).await;
    press(&browser, "#interim-inquiry").await;
    browser.wait_for_css("#inquiry-form").await;
    assert_eq!(
        value_of(&browser, "#inquiry-form select[name='agency_id']").await,
        ministry.to_string(),
        "the inquiry is addressed to the measure's agency"
    );
    wait_for_text_in(&browser, "#about-interim", &format!("#{measure}")).await;
    // The subject comes prefilled from the measure; the secretariat writes its own.
    let subject = browser.find("#inquiry-form input[name='subject']").await;
    browser.clear(&subject).await;
    browser.send_keys(&subject, INQUIRY_SUBJECT).await;
    type_into(
        &browser,
        "#inquiry-form textarea[name='questions']",
        QUESTION,
    )
    .await;
    let answer_due = later + Days::new(14);
    let due_field = browser.find("#inquiry-form input[name='due_date']").await;
    type_date(&browser, &due_field, &iso(answer_due)).await;
    browser.step(JOURNEY, "11-inquiry").await;
    press(&browser, "#inquiry-form button[type='submit']").await;
    browser.wait_for_css("#inquiry-state").await;
    let inquiry = id_in_path(&browser).await;
    wait_for_text_in(&browser, "#inquiry-interim", &format!("#{measure}")).await;
    wait_for_text_in(&browser, ".channel-question", QUESTION).await;
    let stored = inquiries::get(db, inquiry).await.unwrap();
    assert_eq!(stored.subject, INQUIRY_SUBJECT);
    assert_eq!(stored.interim_measure_id, Some(measure));
    assert_eq!(stored.agency_id, ministry);
    let questions = inquiries::questions(db, inquiry).await.unwrap();
    assert_eq!(questions.len(), 1);
    assert_eq!(questions[0].due_date, answer_due);
    lap(JOURNEY, t, "inquiry opened");

    // The officer answers the question.
    sign_in_from_header(&browser, &server, "agency-a").await;
    follow_nav(&browser, "/inquiries").await;
    press(&browser, &format!("tr[data-inquiry='{inquiry}'] td a")).await;
    wait_for_text_in(&browser, ".channel-question", QUESTION).await;
    type_into(
        &browser,
        "form[id^='answer-'] textarea[name='answer']",
        ANSWER,
    )
    .await;
    browser.step(JOURNEY, "12-answer").await;
    browser
        .click(
            &browser
                .find("form[id^='answer-'] button[type='submit']")
                .await,
        )
        .await;
    wait_for_text_in(&browser, ".channel-question", ANSWER).await;
    let questions = inquiries::questions(db, inquiry).await.unwrap();
    assert_eq!(questions[0].answer.as_deref(), Some(ANSWER));
    lap(JOURNEY, t, "question answered");

    // The officer goes from the inquiry to its measure and records the plan
    // (移行, with dates).
    press(&browser, "#inquiry-interim a").await;
    browser.wait_for_css("#interim-plan-form").await;
    choose_radio(&browser, "#interim-plan-form", "kind", "migration").await;
    type_into(&browser, "#interim-description", PLAN).await;
    let (plan_start, plan_end) = (later + Days::new(30), later + Days::new(180));
    let field = browser.find("#interim-planned_start").await;
    type_date(&browser, &field, &iso(plan_start)).await;
    let field = browser.find("#interim-planned_completion").await;
    type_date(&browser, &field, &iso(plan_end)).await;
    browser.step(JOURNEY, "13-plan").await;
    press(&browser, "#interim-plan-form button[type='submit']").await;
    let plans = wait_for_text_in(&browser, "#interim-plan-list", PLAN).await;
    assert!(plans.contains("移行"), "{plans}");
    assert!(
        plans.contains(&ja(plan_start)) && plans.contains(&ja(plan_end)),
        "the plan's dates: {plans}"
    );
    let records = interim::records(db, measure).await.unwrap();
    assert_eq!(records.plans.len(), 1);
    assert_eq!(records.plans[0].kind, "migration");
    assert_eq!(records.plans[0].start, Some(plan_start));
    assert_eq!(records.plans[0].end, Some(plan_end));
    browser.step(JOURNEY, "14-plan-recorded").await;
    lap(JOURNEY, t, "plan recorded");
}

/// The secretariat: the overdue measures on the dashboard, then the
/// operations report, its XLSX downloaded and read back.
pub(crate) async fn secretariat_journey(browser: Browser, server: TestServer) {
    let t = Instant::now();
    let db = &server.db;
    let today = server.clock.today();
    let downloads = tempfile::tempdir().expect("a downloads folder");

    browser.goto(&server.url("/")).await;
    sign_in_from_header(&browser, &server, "secretariat").await;
    follow_nav(&browser, "/").await;
    lap(JOURNEY_2, t, "secretariat signed in");

    // The overdue measures: as many as the database holds, the demo's
    // unreported one among them.
    let all = interim::list(db, None).await.unwrap();
    let overdue: Vec<_> = all.iter().filter(|m| m.is_overdue(today)).collect();
    assert!(
        overdue.iter().any(|m| m.service_name == OVERDUE_SERVICE),
        "the demo world has an overdue measure"
    );
    let figure = wait_for_text_in(&browser, "#stat-interim-overdue", "期限超過").await;
    assert_eq!(leading_number(&figure), overdue.len(), "{figure}");
    browser.step(JOURNEY_2, "01-dashboard").await;
    press(&browser, "#interim-card a.card-link").await;
    let rows = browser.find_all("#interim-measures tbody tr").await;
    assert_eq!(
        rows.len(),
        overdue.len(),
        "the overdue filter lists them all"
    );
    for m in &overdue {
        let row = wait_for_text_in(&browser, &format!("#measure-{}", m.id), &m.service_name).await;
        assert!(row.contains("期限超過"), "{row}");
    }
    browser.step(JOURNEY_2, "02-overdue-measures").await;
    lap(JOURNEY_2, t, "overdue measures seen");

    // The operations report from the dashboard, for this fiscal year.
    follow_nav(&browser, "/").await;
    press(&browser, "#opsreport-card a.card-link").await;
    browser.wait_for_css("#opsreport-fy").await;
    let fy = fiscal_year(today);
    browser
        .select_option("#opsreport-fy", &fy.to_string())
        .await;
    press(&browser, "form.opsreport-chooser button[type='submit']").await;
    browser
        .wait_for_path(&format!("/operations-report?fy={fy}"))
        .await;
    let cell = |row: &str| format!("#opsreport-interim-{row}-count");
    let mut shown = Vec::new();
    for row in ["notified", "open", "overdue", "reported", "closed"] {
        let text = browser.text(&browser.find(&cell(row)).await).await;
        let n: i64 = text
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{row}: a number, not {text:?}"));
        shown.push((row, n));
    }
    let figure = |key: &str| shown.iter().find(|(k, _)| *k == key).unwrap().1;
    let overdue_by_rule = all
        .iter()
        .filter(|m| {
            matches!(m.state, InterimState::Open | InterimState::Applied)
                && m.closed_at.is_none()
                && m.deadline < today
        })
        .count() as i64;
    assert_eq!(
        figure("overdue"),
        overdue_by_rule,
        "overdue, as in the database"
    );
    // 届出: created within the fiscal year (the Japanese day of creation).
    let notified = all
        .iter()
        .filter(|m| {
            let created = chrono::DateTime::parse_from_rfc3339(&m.created_at)
                .map(|at| japan_date(at.with_timezone(&chrono::Utc)))
                .unwrap_or_else(|_| panic!("a moment: {:?}", m.created_at));
            fiscal_year(created) == fy
        })
        .count() as i64;
    assert_eq!(figure("notified"), notified, "notified this fiscal year");
    let running = all.iter().filter(|m| m.closed_at.is_none());
    assert_eq!(
        figure("open"),
        running.clone().count() as i64,
        "still running"
    );
    assert_eq!(
        figure("reported"),
        running
            .filter(|m| m.state == InterimState::Reported)
            .count() as i64,
        "reported and running"
    );
    browser.step(JOURNEY_2, "03-operations-report").await;
    lap(JOURNEY_2, t, "operations report shown");

    // The XLSX, by its link, saved by the browser and read back.
    save_downloads_in(&browser, downloads.path()).await;
    let path = browser.path().await;
    browser.click(&browser.find("#opsreport-xlsx").await).await;
    let saved = wait_for_download(&browser, downloads.path(), ".xlsx").await;
    assert_eq!(
        browser.path().await,
        path,
        "a download leaves the page as it is"
    );
    assert!(
        saved
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.contains(&format!("fy{fy}"))),
        "{}",
        saved.display()
    );
    let mut book: Xlsx<_> = open_workbook(&saved).expect("an XLSX workbook");
    let names = book.sheet_names();
    assert!(names.iter().any(|n| n == "概要"), "{names:?}");
    let sheet = book.worksheet_range("暫定措置").expect("the interim sheet");
    let read = |label: &str| -> i64 {
        let row = sheet
            .rows()
            .find(|r| matches!(r.first(), Some(Data::String(s)) if s == label))
            .unwrap_or_else(|| panic!("a row {label:?} in the interim sheet"));
        match row.get(1) {
            Some(Data::Float(v)) => *v as i64,
            Some(Data::Int(v)) => *v,
            other => panic!("{label}: a number, not {other:?}"),
        }
    };
    for (key, label) in [
        ("notified", "届出"),
        ("open", "継続中"),
        ("overdue", "うち期限超過"),
        ("reported", "うち事務局へ報告済み"),
        ("closed", "終了"),
    ] {
        assert_eq!(
            read(label),
            figure(key),
            "{label}: the workbook and the page"
        );
    }
    lap(JOURNEY_2, t, "XLSX read back");
}
