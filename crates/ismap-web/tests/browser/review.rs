//! Browser journey: review (issue 13). Acts as a person: types, chooses and presses
//! what the page renders; never builds a URL beyond the start page.
//!
//! IPA signs in from the header, opens the application waiting in its queue
//! from the dashboard, follows the link to the read-only statement view,
//! opens a chapter and reads a control's decision and audit result; the
//! committee's dashboard counts its agenda and leads to the application; an
//! agency's dashboard promises nothing the portal does not do.

use std::time::Instant;

#[allow(unused_imports)]
use super::driver::*;
use ismap_domain::review::{ApplicationState, Transition};
use ismap_store::applications::{self, Application};
use ismap_store::{Actor, engagements, orgs, statements, users};
use ismap_web::testing::TestServer;

const JOURNEY: &str = "review";
/// The control whose decision and audit result the reviewer reads.
const READ_CONTROL: &str = "rc-8-1-2-7-PB";
const DEFICIENCY_FINDING: &str = "顧客管理鍵が2テナントに提供されていなかった";

fn actor() -> Actor {
    Actor::system("browser review setup")
}

/// The demo SaaS statement frozen and audited (every control conforming but
/// [`CONTROL`], a deficiency), the report issued and an application filed
/// with it: set up in the store, as `engagement_with_results` in legacy.rs
/// does; the journey looks at what comes after.
async fn submitted_application(server: &TestServer) -> Application {
    use ismap_domain::audit::Scope;
    use ismap_domain::audit_work::{AuditResult, EngagementScope};
    use ismap_formats::audit_report::{RecordedResult, ReportInput, snapshot};

    let db = &server.db;
    let saas = ismap_store::services::list(db, None)
        .await
        .unwrap()
        .into_iter()
        .find(|s| s.model == ismap_domain::ServiceModel::SaaS)
        .unwrap();
    let statement = statements::of_service(db, saas.id).await.unwrap()[0].clone();
    let statement = statements::set_status(db, &actor(), &statement, "frozen", "browser review")
        .await
        .unwrap();
    let audit_org = orgs::find_by_name(db, "サンプル監査法人")
        .await
        .unwrap()
        .unwrap();
    let engagement = engagements::create(
        db,
        &actor(),
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
    let engagement = engagements::assign_auditor(db, &actor(), &engagement, auditor.id)
        .await
        .unwrap();
    let catalog = &ismap_formats::bundled::bundled_catalogs()[0];
    let revision = statements::revision_at(db, statement.id, statement.latest_revision)
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
            statement_id: statement.id,
            revision: statement.latest_revision,
            period: ("2025-04-01".into(), "2026-03-31".into()),
            scope: "full",
            cycle: (1, 1),
            controls: &controls,
        },
        |id| {
            Some(if id.to_string() == CONTROL {
                RecordedResult {
                    performed: "鍵管理画面の設定を閲覧し、再実施した",
                    result: AuditResult::Deficiency,
                    finding: DEFICIENCY_FINDING,
                    samples: "",
                }
            } else {
                RecordedResult {
                    performed: "inspection",
                    result: AuditResult::Conforming,
                    finding: "",
                    samples: "",
                }
            })
        },
    );
    let issued = engagements::issue_report(
        db,
        &actor(),
        &engagement,
        &serde_json::to_value(&report).unwrap(),
        "",
    )
    .await
    .unwrap();
    applications::submit(
        db,
        &ismap_store::vault::MasterKey::generate(),
        &actor(),
        applications::NewApplication {
            service_id: saas.id,
            organization_id: statement.organization_id,
            list: ismap_domain::registration::ListKind::Ismap,
            statement_id: statement.id,
            statement_revision: statement.latest_revision,
            engagement_id: engagement.id,
            report_issue: issued.issue,
            renewal_of: None,
            form: &serde_json::json!({
                "service_name_en": "Example Document SaaS",
                "provider_address": "東京都港区サンプル二丁目2番2号",
                "representative": "代表取締役 見本 太郎",
                "contact": "security@saas.example.jp",
                "service_url": "https://saas.example.jp",
                "subsequent_events": "該当なし",
                "capital_and_officers": "国内資本100%",
                "foreign_law_exposure": "データは国内のみに保存",
                "governing_law": "日本法、東京地方裁判所",
                "third_party_tests": "年1回の侵入テスト",
                "regions": "東京",
            }),
        },
        Vec::new(),
    )
    .await
    .unwrap()
}

/// The number a dashboard card shows.
async fn stat(browser: &Browser, id: &str) -> usize {
    let text = browser.text(&browser.find(&format!("#{id}")).await).await;
    text.trim()
        .parse()
        .unwrap_or_else(|_| panic!("#{id} shows {text:?}, not a number"))
}

pub(crate) async fn journey(browser: Browser, server: TestServer) {
    let t = Instant::now();
    let db = &server.db;
    let application = submitted_application(&server).await;
    let statement_path = format!("/statements/{}", application.statement_id);
    let application_path = format!("/applications/{}", application.id);

    // A visitor finds the cloud service lists on the home page.
    browser.goto(&server.url("/")).await;
    assert_eq!(browser.html_lang().await, "ja");
    browser.find("#lists-card a[href='/lists/ismap']").await;
    browser.find("#lists-card a[href='/lists/liu']").await;
    browser.step(JOURNEY, "01-home").await;

    // IPA signs in: its queue on the dashboard holds the application.
    sign_in_from_header(&browser, &server, "reviewer").await;
    let queue = applications::list(db, None)
        .await
        .unwrap()
        .iter()
        .filter(|a| a.state.is_with_reviewer())
        .count();
    assert_eq!(queue, 1);
    assert_eq!(stat(&browser, "stat-queue").await, queue, "IPA's queue");
    browser.step(JOURNEY, "02-reviewer-dashboard").await;
    browser
        .click_and_wait_for_next_page(
            &browser
                .find(&format!("main table a[href='{application_path}']"))
                .await,
        )
        .await;
    browser.wait_for_path(&application_path).await;
    browser.step(JOURNEY, "03-application").await;
    eprintln!(
        "{JOURNEY}: IPA opened the application ({:.1?})",
        t.elapsed()
    );

    // The link to the statement view: read-only, no edit controls.
    browser
        .click_and_wait_for_next_page(&browser.find("#statement-view").await)
        .await;
    browser.wait_for_path(&statement_path).await;
    let h1 = browser.text(&browser.find("main h1").await).await;
    assert!(
        h1.contains("言明書の閲覧") && h1.contains("閲覧のみ"),
        "{h1:?}"
    );
    for edit in [
        "main select",
        "main textarea",
        "main form",
        "main a[href$='/edit']",
    ] {
        assert!(
            browser.try_find(edit).await.is_none(),
            "the read-only view has an edit control ({edit})"
        );
    }
    let criteria: Vec<String> = {
        let mut names = Vec::new();
        for h in browser.find_all(".review-criteria h3").await {
            names.push(browser.text(&h).await);
        }
        names
    };
    assert_eq!(
        criteria,
        ["ガバナンス基準", "マネジメント基準", "管理策基準"],
        "the tree by criteria"
    );
    browser.step(JOURNEY, "04-statement-view").await;
    browser
        .execute(
            "document.getElementById('review-tree').scrollIntoView({block: 'start'});",
            serde_json::json!([]),
        )
        .await;
    browser.step(JOURNEY, "05-chapters-closed").await;

    // A chapter opens, its controls load; the control's decision and the
    // auditor's result read as labels.
    browser
        .click(&browser.find("#chapter-8 > summary").await)
        .await;
    let article = browser
        .wait_for_css(&format!("#chapter-8 #{READ_CONTROL}"))
        .await;
    browser
        .execute(
            "document.getElementById(arguments[0]).scrollIntoView({block: 'start'});",
            serde_json::json!([READ_CONTROL]),
        )
        .await;
    let decision = browser
        .text(&browser.find(&format!("#{READ_CONTROL} .decision")).await)
        .await;
    assert_eq!(decision, "実施", "the decision as a label");
    let result = browser
        .text(&browser.find(&format!("#{READ_CONTROL} .result")).await)
        .await;
    assert_eq!(result, "不備", "the auditor's result as a label");
    let text = browser.text(&article).await;
    for expected in [CONTROL, "個別管理策", "監査結果", DEFICIENCY_FINDING] {
        assert!(text.contains(expected), "{expected:?} missing in:\n{text}");
    }
    browser.step(JOURNEY, "06-chapter-open").await;
    eprintln!("{JOURNEY}: IPA read the chapter ({:.1?})", t.elapsed());

    // IPA refers the application (its own journey presses those buttons).
    applications::transition(
        db,
        &actor(),
        &application,
        Transition::ReferToCommittee,
        ApplicationState::ReferredToCommittee,
        "基本言明要件を満たす",
        None,
    )
    .await
    .unwrap();

    // The committee: its agenda counts the application and leads to it.
    sign_in_from_header(&browser, &server, "committee").await;
    let agenda = applications::list(db, None)
        .await
        .unwrap()
        .iter()
        .filter(|a| a.state == ApplicationState::ReferredToCommittee)
        .count();
    assert_eq!(agenda, 1);
    assert_eq!(stat(&browser, "stat-agenda").await, agenda, "審議予定");
    browser.step(JOURNEY, "07-committee-dashboard").await;
    browser
        .click(&browser.find(".card a[href='#agenda']").await)
        .await;
    browser
        .click_and_wait_for_next_page(
            &browser
                .find(&format!(
                    "#agenda + .table-wrap a[href='{application_path}']"
                ))
                .await,
        )
        .await;
    browser.wait_for_path(&application_path).await;
    browser.step(JOURNEY, "08-committee-application").await;
    eprintln!(
        "{JOURNEY}: the committee reached its agenda ({:.1?})",
        t.elapsed()
    );

    // An agency: its interim measures (issue 15) and the lists.
    sign_in_from_header(&browser, &server, "agency-a").await;
    let body = browser.body_text().await;
    assert!(body.contains("ダッシュボード"), "{body}");
    assert!(body.contains("暫定措置"), "the agency dashboard: {body}");
    browser
        .find("#interim-card a[href^='/interim-measures']")
        .await;
    browser.find("#lists-card a[href='/lists/ismap']").await;
    browser.step(JOURNEY, "09-agency-dashboard").await;
    eprintln!("{JOURNEY}: done ({:.1?})", t.elapsed());
}
