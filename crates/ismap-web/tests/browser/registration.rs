//! Browser journey: registration (issue 13). Acts as a person: types,
//! chooses and presses what the page renders; never builds a URL beyond the
//! start page.
//!
//! The audit and its report are set up through the store (the auditors'
//! journey covers them). The provider signs in through the header, goes to
//! the service by links, presses 登録申請, fills in the form and uploads the
//! letter, sees 確認, goes back (everything kept), confirms and files it
//! (完了); IPA finds it in its list, checks it and asks a question; the
//! provider answers by the form; IPA refers it to the committee (the
//! dialog states the consequence); the committee registers it (the dialog
//! states the list and the validity); the secretariat sees it; a visitor
//! finds the service on the public list by typing its name; the committee
//! suspends the registration (cancelling the dialog first). A short run in
//! English checks the labels of 入力 → 確認 → 完了.

use std::time::Instant;

use ismap_domain::ServiceModel;
use ismap_web::testing::TestServer;

use super::driver::*;
use super::steps::*;

const JOURNEY: &str = "registration";
const JOURNEY_EN: &str = "registration-en";

const QUESTION: &str = "暗号鍵の消去手順を示してください。";
const ANSWER: &str = "暗号鍵を破棄する暗号化消去を行います。";

/// The demo SaaS with an audit whose every control conforms and whose
/// report is issued (set up through the store, as the auditors' journey
/// leaves it); returns (service id, engagement id).
async fn reported_audit(server: &TestServer) -> (i64, i64) {
    use ismap_domain::audit::Scope;
    use ismap_domain::audit_work::{AuditResult, EngagementScope};
    use ismap_formats::audit_report::{RecordedResult, ReportInput, snapshot};
    use ismap_store::{Actor, engagements, orgs, statements, users};

    let db = &server.db;
    let actor = Actor::system("browser test setup");
    let services = ismap_store::services::list(db, None).await.unwrap();
    let saas = services
        .iter()
        .find(|s| s.model == ServiceModel::SaaS)
        .expect("the demo SaaS");
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
    let auditor = users::find_for_sign_in(db, "auditor")
        .await
        .unwrap()
        .unwrap()
        .0;
    let engagement = engagements::assign_auditor(db, &actor, &engagement, auditor.id)
        .await
        .unwrap();
    let catalog = &ismap_formats::bundled::bundled_catalogs()[0];
    for control in catalog.controls() {
        engagements::record_result(
            db,
            &actor,
            &engagement,
            engagements::NewResult {
                control_id: &control.id.to_string(),
                performed: "inspection",
                result: AuditResult::Conforming,
                finding: "",
                samples: "",
            },
        )
        .await
        .unwrap();
    }
    let revision = statements::revision_at(db, engagement.statement_id, engagement.revision)
        .await
        .unwrap();
    let parsed = ismap_formats::statement_file::parse_statement("s", &revision.content)
        .unwrap()
        .statement;
    let controls = EngagementScope::new(Scope::Full, 1)
        .unwrap()
        .controls(catalog);
    let report = snapshot(
        &ReportInput {
            engagement: engagement.id,
            service: &engagement.service_name,
            provider: &engagement.csp_name,
            audit_organization: &engagement.audit_organization_name,
            auditors: vec!["監査人".into()],
            catalog,
            statement: &parsed,
            statement_id: engagement.statement_id,
            revision: engagement.revision,
            period: ("2025-04-01".into(), "2026-03-31".into()),
            scope: "full",
            cycle: (1, 1),
            controls: &controls,
        },
        |_| {
            Some(RecordedResult {
                performed: "inspection",
                result: AuditResult::Conforming,
                finding: "",
                samples: "",
            })
        },
    );
    engagements::issue_report(
        db,
        &actor,
        &engagement,
        &serde_json::to_value(&report).unwrap(),
        "",
    )
    .await
    .unwrap();
    (saas.id, engagement.id)
}

/// From the navigation, the ISMAP list: types the service's name, presses
/// Enter and opens the entry `number`.
async fn open_on_public_list(browser: &Browser, number: &str, step: &str) {
    follow_nav(browser, "/lists/ismap").await;
    let search = browser.find("form[role='search'] input[name='q']").await;
    browser
        .send_keys(&search, &format!("サンプル文書{ENTER}"))
        .await;
    browser.wait_until_gone(&search).await;
    let link = browser
        .wait_for_css(&format!("#list a[href$='/{number}']"))
        .await;
    browser.step(JOURNEY, step).await;
    browser.click_and_wait_for_next_page(&link).await;
    browser.wait_for_css("main h1").await;
}

/// The provider: header sign-in, the service by links, 登録申請, the form.
async fn open_the_form(browser: &Browser, server: &TestServer, service: i64) {
    sign_in_from_header(browser, server, "saas-admin").await;
    follow_nav(browser, "/services").await;
    let link = browser
        .find(&format!("main a[href='/services/{service}']"))
        .await;
    browser.click_and_wait_for_next_page(&link).await;
    let apply = browser
        .find(&format!("main a[href='/services/{service}/apply']"))
        .await;
    browser.click_and_wait_for_next_page(&apply).await;
    browser.wait_for_css("#application-form").await;
}

/// The whole journey in Japanese.
pub(crate) async fn journey(browser: Browser, server: TestServer) {
    let t = Instant::now();
    let (service, engagement) = reported_audit(&server).await;
    let letter = Letter::new("ja");
    let db = &server.db;

    browser.goto(&server.url("/")).await;
    browser.step(JOURNEY, "01-home").await;
    open_the_form(&browser, &server, service).await;
    let steps = browser.text(&browser.find("ol.app-steps").await).await;
    assert!(
        steps.contains("入力") && steps.contains("確認") && steps.contains("完了"),
        "{steps}"
    );
    let current = browser
        .text(&browser.find("ol.app-steps [aria-current='step']").await)
        .await;
    assert!(current.contains("入力"), "{current}");
    assert!(
        browser
            .text(&browser.find("main").await)
            .await
            .contains("必須"),
        "required fields are marked"
    );
    fill_application(&browser, "ismap", engagement, &letter).await;
    browser.step(JOURNEY, "02-form-filled").await;

    // 確認: everything entered, the file with its size.
    to_confirmation(&browser).await;
    let summary = browser
        .text(&browser.find("#application-summary").await)
        .await;
    for shown in [
        "サンプル文書管理SaaS",
        "ISMAPクラウドサービスリスト",
        "サンプル監査法人",
        "ISMAP（全管理策）",
        "2025年4月1日",
        "実施結果報告書 第1版",
        ADDRESS,
        REPRESENTATIVE,
        "東京、大阪",
        LETTER,
        " B)",
    ] {
        assert!(summary.contains(shown), "{shown:?} on 確認: {summary}");
    }
    let current = browser
        .text(&browser.find("ol.app-steps [aria-current='step']").await)
        .await;
    assert!(current.contains("確認"), "{current}");
    assert!(
        ismap_store::applications::list(db, None)
            .await
            .unwrap()
            .is_empty(),
        "nothing is filed before 申請する"
    );
    browser.step(JOURNEY, "03-confirm").await;

    // 戻る: the form as typed, the letter held.
    browser
        .click_and_wait_for_next_page(&browser.find("#application-back button").await)
        .await;
    browser.wait_for_css("#application-form").await;
    assert_eq!(
        value_of(&browser, "#application-form [name='provider_address']").await,
        ADDRESS
    );
    assert_eq!(
        value_of(&browser, "#application-form [name='regions']").await,
        "東京、大阪"
    );
    assert_eq!(
        value_of(&browser, "#application-form select[name='engagement']").await,
        engagement.to_string()
    );
    let held = browser
        .text(&browser.find("#held-management_letter").await)
        .await;
    assert!(held.contains(LETTER), "{held}");
    browser.step(JOURNEY, "04-back-kept").await;

    // Forward again without choosing the letter again; 申請する; 完了.
    to_confirmation(&browser).await;
    assert!(
        browser
            .text(&browser.find("#application-summary").await)
            .await
            .contains(LETTER)
    );
    browser
        .click_and_wait_for_next_page(&browser.find("#file-application").await)
        .await;
    let number = browser
        .text(&browser.wait_for_css("#application-number").await)
        .await;
    let application: i64 = number.trim().parse().expect("the application number");
    let done = browser.text(&browser.find("main").await).await;
    assert!(done.contains("申請を受け付けました"), "{done}");
    assert!(done.contains("この後の流れ"), "{done}");
    let current = browser
        .text(&browser.find("ol.app-steps [aria-current='step']").await)
        .await;
    assert!(current.contains("完了"), "{current}");
    let filed = ismap_store::applications::list(db, None).await.unwrap();
    assert_eq!(filed.len(), 1);
    assert_eq!(filed[0].id, application);
    browser.step(JOURNEY, "05-done").await;
    eprintln!("registration: filed {application} ({:.1?})", t.elapsed());

    // IPA: the list, the application, its audit and statement; a question.
    sign_in_from_header(&browser, &server, "reviewer").await;
    open_application(&browser, application).await;
    let scope = browser.text(&browser.find("#audit-scope").await).await;
    assert_eq!(scope, "ISMAP（全管理策）");
    let statement = browser
        .dom_property(&browser.find("#statement-view").await, "href")
        .await;
    assert!(
        statement.ends_with(&format!("/statements/{}", filed[0].statement_id)),
        "{statement}"
    );
    browser.step(JOURNEY, "06-reviewer-application").await;
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
    type_into(
        &browser,
        "#do-request_information textarea[name='questions']",
        QUESTION,
    )
    .await;
    type_into(
        &browser,
        "#do-request_information input[name='reason']",
        "8.1.2.7.PB の確認",
    )
    .await;
    browser.step(JOURNEY, "07-question-typed").await;
    browser
        .click_and_wait_for_next_page(
            &browser
                .find("#do-request_information button[type='submit']")
                .await,
        )
        .await;
    wait_for_state(&browser, "追加情報の依頼中").await;
    assert!(browser.body_text().await.contains(QUESTION));
    browser.step(JOURNEY, "08-question-asked").await;

    // The provider answers by the form.
    sign_in_from_header(&browser, &server, "saas-editor").await;
    open_application(&browser, application).await;
    type_into(&browser, ".question textarea[name='answer']", ANSWER).await;
    browser.step(JOURNEY, "09-answer-typed").await;
    browser
        .click(&browser.find(".question button[type='submit']").await)
        .await;
    wait_for_state(&browser, "技術的審査中").await;
    assert!(browser.body_text().await.contains(ANSWER));
    browser.step(JOURNEY, "10-answered").await;

    // IPA refers it to the committee: the dialog says what follows.
    sign_in_from_header(&browser, &server, "reviewer").await;
    open_application(&browser, application).await;
    type_into(
        &browser,
        "#do-refer_to_committee input[name='reason']",
        "基本言明要件を満たす",
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
    browser.step(JOURNEY, "11-refer-dialog").await;
    let said = browser.confirm_dialog().await;
    assert!(said.contains("運営委員会に付議します"), "{said}");
    wait_for_state(&browser, "運営委員会に付議").await;
    browser.step(JOURNEY, "12-referred").await;

    // The committee registers it: register and reject look different, and
    // the dialog states the list and the validity.
    sign_in_from_header(&browser, &server, "committee").await;
    open_application(&browser, application).await;
    let reject = browser.find("#do-reject button[type='submit']").await;
    assert!(
        browser
            .dom_property(&reject, "className")
            .await
            .contains("button-danger"),
        "reject is styled as destructive"
    );
    let register = browser.find("#do-register button[type='submit']").await;
    assert!(
        !browser
            .dom_property(&register, "className")
            .await
            .contains("button-danger")
    );
    type_into(
        &browser,
        "#do-register input[name='reason']",
        "第42回運営委員会",
    )
    .await;
    browser.click(&register).await;
    browser.wait_for_css("dialog.confirm-dialog[open]").await;
    browser.step(JOURNEY, "13-register-dialog").await;
    let said = browser.confirm_dialog().await;
    assert!(
        said.contains(
            "ISMAPクラウドサービスリストに有効期間 2026年4月1日〜2027年7月31日 で公開されます"
        ),
        "{said}"
    );
    wait_for_state(&browser, "登録").await;
    let registration = browser
        .text(&browser.wait_for_css("#registration-number").await)
        .await;
    assert!(
        registration.contains("2026年4月1日 – 2027年7月31日"),
        "{registration}"
    );
    let number = registration
        .split_whitespace()
        .next()
        .expect("the number")
        .to_owned();
    browser.step(JOURNEY, "14-registered").await;

    // The secretariat sees it, registered.
    sign_in_from_header(&browser, &server, "secretariat").await;
    follow_nav(&browser, "/applications").await;
    let row = browser
        .find(&format!(
            "main tr:has(a[href='/applications/{application}'])"
        ))
        .await;
    let row = browser.text(&row).await;
    assert!(
        row.contains("サンプル文書管理SaaS") && row.contains("登録"),
        "{row}"
    );
    browser.step(JOURNEY, "15-secretariat").await;

    // A visitor finds it on the public list by typing.
    sign_out(&browser).await;
    open_on_public_list(&browser, &number, "16-public-list").await;
    let entry = browser.text(&browser.find("main").await).await;
    assert!(entry.contains(ADDRESS), "{entry}");
    assert!(entry.contains("2027年7月31日"), "{entry}");
    browser.step(JOURNEY, "17-public-entry").await;

    // The committee suspends it: the dialog states the consequence;
    // cancelling changes nothing, confirming suspends.
    sign_in_from_header(&browser, &server, "committee").await;
    open_on_public_list(&browser, &number, "18-committee-list").await;
    type_into(
        &browser,
        "#registration-suspension input[name='reason']",
        "重大なインシデントの調査中",
    )
    .await;
    let suspend = browser
        .find("#registration-suspension button[type='submit']")
        .await;
    browser.click(&suspend).await;
    browser.wait_for_css("dialog.confirm-dialog[open]").await;
    browser.step(JOURNEY, "19-suspend-dialog").await;
    let said = browser.cancel_dialog().await;
    assert!(said.contains("一時停止"), "{said}");
    let registration = ismap_store::registrations::by_number(db, &number)
        .await
        .unwrap();
    assert!(
        registration.suspended_at.is_none(),
        "cancelled: nothing changed"
    );
    browser.click(&suspend).await;
    let said = browser.confirm_dialog().await;
    assert!(
        said.contains("公開リストに「一時停止」と表示され"),
        "{said}"
    );
    wait_for_text(&browser, "重大なインシデントの調査中").await;
    let registration = ismap_store::registrations::by_number(db, &number)
        .await
        .unwrap();
    assert!(registration.suspended_at.is_some());
    browser.step(JOURNEY, "20-suspended").await;
    eprintln!("registration: journey done ({:.1?})", t.elapsed());
}

/// The form's three steps in English, after pressing the English link.
pub(crate) async fn journey_in_english(browser: Browser, server: TestServer) {
    let (service, engagement) = reported_audit(&server).await;
    let letter = Letter::new("en");

    browser.goto(&server.url("/")).await;
    browser
        .click(&browser.find(".lang-switch a[lang='en']").await)
        .await;
    browser.wait_for_lang("en").await;
    open_the_form(&browser, &server, service).await;
    let steps = browser.text(&browser.find("ol.app-steps").await).await;
    assert!(
        steps.contains("Enter") && steps.contains("Confirm") && steps.contains("Done"),
        "{steps}"
    );
    let main = browser.text(&browser.find("main").await).await;
    assert!(main.contains("Required"), "{main}");
    assert!(main.contains("audit report issue 1"), "{main}");
    fill_application(&browser, "ismap", engagement, &letter).await;
    browser.step(JOURNEY_EN, "01-form").await;
    to_confirmation(&browser).await;
    let main = browser.text(&browser.find("main").await).await;
    for shown in [
        "Confirm your application",
        "ISMAP cloud service list",
        "Back",
        "Submit application",
        LETTER,
    ] {
        assert!(main.contains(shown), "{shown:?} in {main}");
    }
    browser.step(JOURNEY_EN, "02-confirm").await;
    browser
        .click_and_wait_for_next_page(&browser.find("#file-application").await)
        .await;
    browser.wait_for_css("#application-number").await;
    let main = browser.text(&browser.find("main").await).await;
    for shown in [
        "Application received",
        "Application number",
        "What happens next",
    ] {
        assert!(main.contains(shown), "{shown:?} in {main}");
    }
    assert!(!main.contains("申請"), "no Japanese left: {main}");
    browser.step(JOURNEY_EN, "03-done").await;
}
