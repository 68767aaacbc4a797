//! The portal in a real browser: headless Chromium driven through
//! chromedriver (W3C WebDriver), against a portal with the demo world.
//!
//! Needs the Debian packages `chromium` and `chromium-driver`
//! (`bash scripts/install-ci-deps.sh` installs them). The tests fail, never
//! skip, when they are missing.
//!
//! Screenshots of the control page and of the statement editor are left in
//! the cargo target tmpdir (`target/tmp/`) for humans to look at.

mod agency;
mod audit;
mod chrome;
mod driver;
mod liu;
mod provider;
mod registration;
mod review;
mod steps;
mod visitor;

use driver::in_browser;

/// A visitor searches both public lists (typing and Enter), filters,
/// opens an entry and downloads the CSV (issue 13).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn visitor_searches_filters_opens_and_downloads_both_lists() {
    in_browser("visitor", visitor::journey).await;
}

/// The same search on a 390 px phone: nothing is wider than the screen.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn visitor_searches_the_list_on_a_phone() {
    driver::in_browser_at("visitor phone", driver::PHONE, visitor::on_a_phone).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn visitor_follows_links_signs_in_and_returns_to_the_page() {
    in_browser("chrome visitor", chrome::visitor_signs_in_and_returns).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn phone_menu_folds_and_navigates() {
    driver::in_browser_at("chrome phone", driver::PHONE, chrome::phone_menu_navigates).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn provider_edits_meets_a_conflict_and_freezes() {
    in_browser("provider", provider::provider_journey).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_manager_assigns_and_the_auditor_records_filters_bulk_and_issues() {
    in_browser("browser audit", audit::audit_journey).await;
}

/// The application from the provider's form (入力 → 確認 → 完了) through
/// IPA's question and the committee's decision to the public list (issue 13).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn application_goes_from_the_form_to_the_public_list() {
    in_browser("registration", registration::journey).await;
}

/// The form's three steps in English.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn application_form_in_english() {
    in_browser("registration en", registration::journey_in_english).await;
}

/// IPA reads the submitted statement from its dashboard; the committee's
/// 審議予定 counts its agenda; an agency's dashboard makes no false promise
/// (issue 13).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reviewer_reads_the_statement_and_dashboards_tell_the_truth() {
    in_browser("review", review::journey).await;
}

/// ISMAP-LIU end to end (issue 14): impact assessment, pre-application,
/// internal audits, the LIU-scope audit, the application through IPA and
/// the committee to the ISMAP-LIU list; the refusals on the form; the
/// special measures list seen by an agency only.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn liu_track_from_the_impact_assessment_to_the_liu_list() {
    in_browser("liu", liu::journey).await;
}

/// Issue 15 as サンプル省: the register, the procurement check stored with
/// its snapshot, a planned unregistered service under an interim measure
/// through its deadline (a test clock), the report, the secretariat's
/// inquiry, the answer and the plan.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agency_register_interim_measure_report_inquiry_and_plan() {
    in_browser("agency", agency::journey).await;
}

/// Issue 15 as the secretariat: the overdue measures on the dashboard, the
/// operations report (運用状況の報告) downloaded as XLSX and read back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agency_secretariat_sees_overdue_measures_and_downloads_the_operations_report() {
    in_browser("agency secretariat", agency::secretariat_journey).await;
}
