//! Browser journey: provider (issue 13). Acts as a person: types, chooses and presses
//! what the page renders; never builds a URL beyond the start page.
//!
//! The provider's statement editor, in Japanese: sign in through the header,
//! find the service and its statement by their links, open the editor and a
//! chapter, change a decision (saved, progress updated), meet a conflict
//! with another editor who saved first (refused in place, the choice kept,
//! the current version loaded on request), and freeze after confirming.

use std::time::{Duration, Instant};

use ismap_domain::ServiceModel;
use ismap_formats::statement_file::parse_statement;
use ismap_formats::statement_write::to_yaml;
use ismap_store::statements::{self, Based, NewRevision};
use ismap_store::{Actor, users};
use ismap_web::testing::TestServer;
use serde_json::{Value, json};

#[allow(unused_imports)]
use super::driver::*;
use super::steps::{AuditRequest, request_audit};

const JOURNEY: &str = "provider";
/// The control the conflict is about (a detailed control decided in the
/// demo statement); the saves before it use the driver's `CONTROL`
/// (8.1.2.7.PB, a baseline requirement).
const ROW: &str = "row-8-1-2-1";
const SELECT: &str = "d-8-1-2-1";
/// What the other editor writes meanwhile.
const OTHER_TEXT: &str = "別の担当者が更新した個別管理策（BYOK の鍵を四半期ごとに更新する）";

/// The row `id`, the summary and the chapter's progress, read in one go
/// (htmx replaces them, so element references go stale).
const READ_ROW: &str = r#"
const row = document.getElementById(arguments[0]);
return {
  exists: !!row,
  fresh: !!row && row.dataset.before !== '1',
  value: row?.querySelector('select[name=decision]')?.value ?? '',
  saved: !!row?.querySelector('.saved-marker'),
  error: row?.querySelector('.htmx-error .alert')?.innerText ?? '',
  reload: !!row?.querySelector('.htmx-error .reload-current'),
  text: row?.innerText ?? '',
  summary: document.getElementById('summary')?.innerText ?? '',
  progress: document.getElementById('progress-8')?.innerText ?? '',
  global: document.getElementById('htmx-errors')?.innerText ?? '',
  based_on: document.getElementById('based-on')?.value ?? '',
};
"#;

#[derive(Debug, serde::Deserialize)]
#[allow(dead_code)] // read through Debug when a wait times out
struct RowState {
    exists: bool,
    fresh: bool,
    value: String,
    saved: bool,
    error: String,
    reload: bool,
    text: String,
    summary: String,
    progress: String,
    /// The page's global message region (failures with no slot of their own).
    global: String,
    based_on: String,
}

async fn read_row(browser: &Browser, row: &str) -> RowState {
    let value: Value = browser.execute(READ_ROW, json!([row])).await;
    serde_json::from_value(value.clone())
        .unwrap_or_else(|e| panic!("unexpected editor state {value}: {e}"))
}

/// Picks `value` in the select `#select` by clicking its option, as a
/// person does (the browser fires `change`, htmx saves).
async fn choose_option(browser: &Browser, select: &str, value: &str) {
    let option = browser
        .find(&format!("#{select} option[value='{value}']"))
        .await;
    browser.click(&option).await;
}

/// Waits until the row `row` satisfies `done`.
async fn wait_for_row(
    browser: &Browser,
    row: &str,
    what: &str,
    done: impl Fn(&RowState) -> bool,
) -> RowState {
    let deadline = Instant::now() + PAGE_WAIT;
    loop {
        let state = read_row(browser, row).await;
        if done(&state) {
            return state;
        }
        if Instant::now() > deadline {
            panic!("timed out waiting for {what}; the row is {state:#?}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Opens chapter 8 by pressing its 「この章の管理策を表示」 and waits for its rows.
async fn open_chapter_8(browser: &Browser) {
    let summary = browser
        .wait_for_css("#chapter-8 details.chapter-rows > summary")
        .await;
    browser.click(&summary).await;
    browser.wait_for_css(&format!("#{CONTROL_ROW}")).await;
}

async fn latest(server: &TestServer, statement: i64) -> statements::Revision {
    let record = statements::get(&server.db, statement)
        .await
        .expect("statement");
    statements::revision_at(&server.db, statement, record.latest_revision)
        .await
        .expect("the latest revision")
}

pub(crate) async fn provider_journey(browser: Browser, server: TestServer) {
    let t = Instant::now();
    let services = ismap_store::services::list(&server.db, None)
        .await
        .expect("services");
    let saas = services
        .iter()
        .find(|s| s.model == ServiceModel::SaaS)
        .expect("the demo world has a SaaS service")
        .clone();
    let statement = statements::of_service(&server.db, saas.id)
        .await
        .expect("statements")
        .first()
        .expect("the demo SaaS service has a statement")
        .id;

    // 1. Sign in through the header's link.
    browser.goto(&server.url("/")).await;
    let link = browser.wait_for_css(".user-menu a[href^='/signin']").await;
    browser.click_and_wait_for_next_page(&link).await;
    sign_in(&browser, "saas-editor", server.password("saas-editor")).await;
    browser.wait_for_css("form[action='/signout']").await;
    browser.step(JOURNEY, "01-signed-in").await;

    // 2. The service and its statement, by their links.
    let nav = browser.find("nav.main-nav a[href='/services']").await;
    browser.click_and_wait_for_next_page(&nav).await;
    let service = browser
        .wait_for_css(&format!("a[href='/services/{}']", saas.id))
        .await;
    assert_eq!(browser.text(&service).await, saas.name);
    browser.step(JOURNEY, "02-services").await;
    browser.click_and_wait_for_next_page(&service).await;
    let open = browser
        .wait_for_css(&format!("a[href='/statements/{statement}']"))
        .await;
    browser.step(JOURNEY, "03-service").await;
    browser.click_and_wait_for_next_page(&open).await;
    let editor = browser
        .wait_for_css(&format!("a[href='/statements/{statement}/edit']"))
        .await;
    browser.step(JOURNEY, "04-statement").await;
    browser.click_and_wait_for_next_page(&editor).await;

    // 3. The editor: chapters with their progress; no rows until opened.
    let summary = browser.text(&browser.wait_for_css("#summary").await).await;
    assert!(
        summary.contains("決定済み 290 / 290") && summary.contains("エラー 0"),
        "the demo statement is complete: {summary:?}"
    );
    assert!(
        browser.try_find(&format!("#{CONTROL_ROW}")).await.is_none(),
        "rows load with their chapter"
    );
    let heading = browser.text(&browser.find("#chapter-8-title").await).await;
    assert!(heading.starts_with("8 "), "chapter heading {heading:?}");
    browser.step(JOURNEY, "05-editor").await;
    open_chapter_8(&browser).await;
    browser.step(JOURNEY, "06-chapter-8").await;
    eprintln!("{JOURNEY}: editor and chapter 8 open ({:.1?})", t.elapsed());

    // 4. A decision changed: saved in place, the progress follows.
    browser.choose(CONTROL_DECISION, "").await;
    let saved = browser
        .wait_for_save("未決定 saved and 決定済み 289 / 290", |row| {
            row.decision.is_empty() && row.summary.contains("決定済み 289 / 290")
        })
        .await;
    assert_eq!(
        saved.errors(),
        Some(0),
        "an undecided control is progress, not an error: {saved:#?}"
    );
    assert!(!saved.has_finding("S4"), "{saved:#?}");
    assert!(
        saved.missing.is_empty(),
        "every row in the answer has its place on the page: {saved:#?}"
    );
    let row = read_row(&browser, CONTROL_ROW).await;
    assert!(
        row.saved && row.progress.starts_with("決定済み 19 /"),
        "the row says saved, the chapter counts: {row:#?}"
    );
    browser.step(JOURNEY, "07-undecided-saved").await;
    browser.choose(CONTROL_DECISION, "implemented").await;
    browser
        .wait_for_save("実施 saved and 決定済み 290 / 290", |row| {
            row.decision == "implemented" && row.summary.contains("決定済み 290 / 290")
        })
        .await;
    let row = read_row(&browser, CONTROL_ROW).await;
    assert!(row.text.contains("保存しました"), "{row:#?}");
    browser.step(JOURNEY, "08-decided-saved").await;
    let mine = latest(&server, statement).await;
    assert_eq!(
        (mine.number, mine.edits),
        (2, 2),
        "one person's burst of changes is one revision"
    );
    eprintln!(
        "{JOURNEY}: two changes saved as one revision ({:.1?})",
        t.elapsed()
    );

    // 5. Another editor saves first (saas-admin, through the store).
    let admin = users::find_for_sign_in(&server.db, "saas-admin")
        .await
        .expect("user")
        .expect("saas-admin in the demo world")
        .0;
    let record = statements::get(&server.db, statement)
        .await
        .expect("statement");
    let mut other = parse_statement("latest", &mine.content)
        .expect("the stored statement reads")
        .statement;
    let control: ismap_domain::ControlId = "8.1.2.1".parse().unwrap();
    other
        .controls
        .get_mut(&control.number())
        .expect("8.1.2.1 decided")
        .individual_control = Some(OTHER_TEXT.into());
    let content = to_yaml(&other);
    statements::save_edit(
        &server.db,
        &Actor::user(admin.id, &admin.username),
        &record,
        Based {
            revision: mine.number,
            edits: Some(mine.edits),
        },
        NewRevision {
            content: &content,
            comment: "8.1.2.1",
            errors: 0,
            warnings: 0,
        },
        true,
    )
    .await
    .expect("the other editor's change is saved");

    // The provider's change is refused in place; the choice stays.
    choose_option(&browser, SELECT, "not_selected").await;
    let row = wait_for_row(&browser, ROW, "the conflict message", |r| {
        !r.error.is_empty() && r.reload
    })
    .await;
    assert!(
        row.error.contains("他の変更と競合しました")
            && row.error.contains("8.1.2.1 の変更は保存されていません"),
        "the conflict is said in Japanese: {row:#?}"
    );
    assert_eq!(row.value, "not_selected", "what was chosen is kept");
    assert!(!row.saved, "a refused change never looks saved");
    browser.step(JOURNEY, "09-conflict").await;
    let stored = latest(&server, statement).await;
    assert_eq!(
        (stored.number, stored.content.contains(OTHER_TEXT)),
        (3, true),
        "the other editor's revision stands"
    );

    // 「最新の内容を読み込む」: the current version, with the other change.
    let reload = browser
        .find(&format!("#{ROW} .htmx-error .reload-current"))
        .await;
    assert_eq!(browser.text(&reload).await, "最新の内容を読み込む");
    browser.click_and_wait_for_next_page(&reload).await;
    open_chapter_8(&browser).await;
    let row = read_row(&browser, ROW).await;
    assert!(
        row.value == "implemented" && row.error.is_empty(),
        "the current version is shown: {row:#?}"
    );
    let text = browser
        .execute(
            "return document.querySelector('#i-8-1-2-1')?.value ?? '';",
            json!([]),
        )
        .await;
    assert_eq!(text.as_str(), Some(OTHER_TEXT), "the other editor's text");
    browser.step(JOURNEY, "10-reloaded").await;
    eprintln!(
        "{JOURNEY}: conflict shown and reloaded ({:.1?})",
        t.elapsed()
    );

    // 6. Freeze, after the dialog stating the consequence.
    browser.execute("window.scrollTo(0, 0)", json!([])).await;
    let freeze = browser.find("form.freeze-form button[type='submit']").await;
    browser.click(&freeze).await;
    browser.wait_for_css("dialog.confirm-dialog[open]").await;
    browser.step(JOURNEY, "11-freeze-dialog").await;
    let said = browser.confirm_dialog().await;
    assert!(
        said.contains("これ以上編集できません") && said.contains("監査はこの版（改訂 3）"),
        "the dialog states the consequence: {said:?}"
    );
    let note = browser.wait_for_css("p.notice").await;
    assert!(browser.text(&note).await.contains("凍結済み"));
    browser.step(JOURNEY, "12-frozen").await;
    let record = statements::get(&server.db, statement)
        .await
        .expect("statement");
    assert_eq!(record.status, "frozen");
    eprintln!("{JOURNEY}: frozen ({:.1?})", t.elapsed());

    // 7. The provider's administrator requests the audit of the frozen
    // statement: 監査 → 新しい監査を依頼, the form as rendered.
    sign_in_from_header(&browser, &server, "saas-admin").await;
    let id = request_audit(
        &browser,
        AuditRequest {
            statement,
            period: ("2025-04-01", "2026-03-31"),
            scope: "full",
            step: (JOURNEY, "13-audit-request"),
        },
    )
    .await;
    browser.step(JOURNEY, "14-audit-requested").await;
    let engagement = ismap_store::engagements::get(&server.db, id)
        .await
        .expect("the requested engagement");
    assert_eq!(
        (engagement.statement_id, engagement.period_start.to_string()),
        (statement, "2025-04-01".to_owned()),
        "the audit of the frozen statement, for the period typed"
    );
    eprintln!("{JOURNEY}: audit requested ({:.1?})", t.elapsed());
}
