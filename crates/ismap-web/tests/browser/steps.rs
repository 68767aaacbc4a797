//! Steps several journeys take the same way: following the navigation,
//! waiting for a page's text, typing dates, requesting an audit, assigning
//! the auditor, issuing the report, filling in the application form. Each
//! acts as a person does (types, chooses and presses what the page renders).

use std::path::PathBuf;
use std::time::Instant;

use super::driver::*;

/// The name of the letter (経営者確認書) the application journeys attach.
pub(crate) const LETTER: &str = "keieisha-kakuninsho.pdf";

/// Presses the navigation link to `href`.
pub(crate) async fn follow_nav(browser: &Browser, href: &str) {
    let link = browser
        .find(&format!("nav.main-nav a[href='{href}']"))
        .await;
    browser.click_and_wait_for_next_page(&link).await;
    browser.wait_for_path(href).await;
}

/// From the application list (the navigation), opens application `id`.
pub(crate) async fn open_application(browser: &Browser, id: i64) {
    follow_nav(browser, "/applications").await;
    let link = browser
        .find(&format!("main a[href='/applications/{id}']"))
        .await;
    browser.click_and_wait_for_next_page(&link).await;
    browser.wait_for_css("#application-state").await;
}

/// The application's state as its page shows it, once it reads `expected`.
pub(crate) async fn wait_for_state(browser: &Browser, expected: &str) {
    wait_for_text_in(browser, "#application-state", expected).await;
}

/// Waits until the page's text contains `expected`; a page being replaced
/// meanwhile is looked at again.
pub(crate) async fn wait_for_text(browser: &Browser, expected: &str) {
    wait_for_text_in(browser, "body", expected).await;
}

/// Waits until the text of `css` contains `expected` (the element may be
/// swapped out between finding and reading); returns the text.
pub(crate) async fn wait_for_text_in(browser: &Browser, css: &str, expected: &str) -> String {
    let deadline = Instant::now() + PAGE_WAIT;
    loop {
        if let Some(element) = browser.try_find(css).await
            && let Ok(text) = browser
                .try_command(
                    reqwest::Method::GET,
                    &format!("/element/{element}/text"),
                    None,
                )
                .await
            && let Some(text) = text.as_str()
            && text.contains(expected)
        {
            return text.to_owned();
        }
        browser
            .check_deadline(deadline, &format!("{expected:?} in {css}"))
            .await;
    }
}

/// Types `text` into the field `css`.
pub(crate) async fn type_into(browser: &Browser, css: &str, text: &str) {
    let field = browser.find(css).await;
    browser.send_keys(&field, text).await;
}

/// A small PDF to attach, removed when dropped.
pub(crate) struct Letter(pub(crate) PathBuf);

impl Letter {
    /// The letter [`LETTER`].
    pub(crate) fn new(tag: &str) -> Letter {
        Letter::named(tag, LETTER)
    }

    /// A PDF called `name`, in a directory of its own for `tag`.
    pub(crate) fn named(tag: &str, name: &str) -> Letter {
        let dir = std::env::temp_dir().join(format!("ismap-letter-{tag}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::write(
            &path,
            b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n",
        )
        .unwrap();
        Letter(path)
    }

    /// The path to give a file input.
    pub(crate) fn path(&self) -> &str {
        self.0.to_str().expect("a UTF-8 path")
    }
}

impl Drop for Letter {
    fn drop(&mut self) {
        if let Some(dir) = self.0.parent() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// Types `date` (YYYY-MM-DD) into a date input as a person does with the
/// keyboard: the digits in the order the browser's locale shows the fields
/// (Chromium here shows mm/dd/yyyy), then checks the value the form will send.
pub(crate) async fn type_date(browser: &Browser, input: &str, date: &str) {
    let (year, rest) = date.split_once('-').expect("YYYY-MM-DD");
    let (month, day) = rest.split_once('-').expect("YYYY-MM-DD");
    browser.click(input).await;
    browser
        .send_keys(input, &format!("{month}{day}{year}"))
        .await;
    assert_eq!(
        browser.dom_property(input, "value").await,
        date,
        "the date input holds what was typed"
    );
}

/// What the provider's administrator asks for on 新しい監査を依頼.
pub(crate) struct AuditRequest<'a> {
    pub(crate) statement: i64,
    pub(crate) period: (&'a str, &'a str),
    /// `full`, `multi_year` or `liu`.
    pub(crate) scope: &'a str,
    /// (journey, step) of the screenshot of the filled-in form.
    pub(crate) step: (&'a str, &'a str),
}

/// The provider's administrator (signed in) requests an audit: 監査 →
/// 新しい監査を依頼, the form as rendered; returns the engagement's id, read
/// from the page the request opens.
pub(crate) async fn request_audit(browser: &Browser, request: AuditRequest<'_>) -> i64 {
    browser
        .click_and_wait_for_next_page(&browser.find(".main-nav a[href='/engagements']").await)
        .await;
    browser
        .click_and_wait_for_next_page(&browser.find("a[href='/engagements/new']").await)
        .await;
    browser
        .select_option(
            "select[name='statement_id']",
            &request.statement.to_string(),
        )
        .await;
    for (field, date) in [
        ("period_start", request.period.0),
        ("period_end", request.period.1),
    ] {
        let input = browser.find(&format!("input[name='{field}']")).await;
        type_date(browser, &input, date).await;
    }
    browser
        .select_option("select[name='scope']", request.scope)
        .await;
    let cycle = browser
        .is_displayed(&browser.find(".cycle-years").await)
        .await;
    assert_eq!(
        cycle,
        request.scope != "full",
        "the cycle years are asked for a multi-year or ISMAP-LIU audit only"
    );
    browser.step(request.step.0, request.step.1).await;
    browser
        .click_and_wait_for_next_page(
            &browser
                .find("form.engagement-new button[type='submit']")
                .await,
        )
        .await;
    let path = browser.path().await;
    assert!(
        path.starts_with("/engagements/"),
        "the request opens the engagement; the browser is at {path}: {}",
        browser.body_text().await
    );
    path["/engagements/".len()..]
        .parse()
        .unwrap_or_else(|_| panic!("an engagement's page: {path}"))
}

/// From any page: the header's 監査 link, then the engagement's link in the list.
pub(crate) async fn open_engagement(browser: &Browser, id: i64) {
    browser
        .click_and_wait_for_next_page(&browser.find(".main-nav a[href='/engagements']").await)
        .await;
    browser
        .click_and_wait_for_next_page(
            &browser
                .find(&format!("main a[href='/engagements/{id}']"))
                .await,
        )
        .await;
    browser.wait_for_css("#workspace").await;
}

/// The audit manager, on the engagement's page, chooses the auditor and
/// presses 割当て; waits until the engagement reads 監査中.
pub(crate) async fn assign_auditor(browser: &Browser, auditor: i64) {
    browser
        .select_option("#assign-user", &auditor.to_string())
        .await;
    browser
        .click_and_wait_for_next_page(&browser.find("#assign-form button[type='submit']").await)
        .await;
    wait_for_text_in(browser, ".report-meta", "監査中").await;
}

/// The auditor presses 実施結果報告書を発行, the dialog asks first (a
/// screenshot of it as `step`), the auditor confirms; waits for the issued
/// report's page and returns what the dialog said.
pub(crate) async fn issue_report(
    browser: &Browser,
    engagement: i64,
    (journey, step): (&str, &str),
) -> String {
    browser.click(&browser.find("#issue-report").await).await;
    let dialog = browser.wait_for_css("dialog.confirm-dialog[open]").await;
    let said = browser.text(&dialog).await;
    assert!(said.contains("変更できません"), "{said}");
    browser.step(journey, step).await;
    browser.confirm_dialog().await;
    browser
        .wait_for_path(&format!("/engagements/{engagement}/reports/1"))
        .await;
    said
}

/// The applicant's address, representative and regions the application
/// journeys type.
pub(crate) const ADDRESS: &str = "東京都港区サンプル二丁目2番2号";
pub(crate) const REPRESENTATIVE: &str = "代表取締役 見本 太郎";

/// Fills in the application form: chooses the list (`ismap`, `liu`) and the
/// audit, types the fields, attaches the letter.
pub(crate) async fn fill_application(
    browser: &Browser,
    list: &str,
    engagement: i64,
    letter: &Letter,
) {
    browser
        .select_option("#application-form select[name='list']", list)
        .await;
    browser
        .select_option(
            "#application-form select[name='engagement']",
            &engagement.to_string(),
        )
        .await;
    for (field, value) in [
        ("service_name_en", "Example Document SaaS"),
        ("provider_address", ADDRESS),
        ("representative", REPRESENTATIVE),
        ("contact", "security@saas.example.jp"),
        ("service_url", "https://saas.example.jp"),
        ("regions", "東京、大阪"),
    ] {
        let css = format!("#application-form [name='{field}']");
        // The form may come back with what was typed: type afresh.
        browser.clear(&browser.find(&css).await).await;
        type_into(browser, &css, value).await;
    }
    let upload = browser
        .find("#application-form input[name='management_letter']")
        .await;
    browser.send_keys(&upload, letter.path()).await;
}

/// Presses 確認画面へ進む (the form goes by htmx) and waits for 確認.
pub(crate) async fn to_confirmation(browser: &Browser) {
    browser
        .click(&browser.find("#submit-application").await)
        .await;
    browser.wait_for_css("#application-summary").await;
}

/// Presses 確認画面へ進む and waits for the refusal in the form's error slot
/// (the form stays as typed); returns the refusal's text.
pub(crate) async fn to_confirmation_refused(browser: &Browser, expected: &str) -> String {
    browser
        .click(&browser.find("#submit-application").await)
        .await;
    wait_for_text_in(browser, "#application-form .htmx-error", expected).await
}

/// Ticks every checkbox of `boxes` with the mouse, as a person does, in one
/// WebDriver "perform actions" request (a wheel scroll brings each box into
/// view, the pointer clicks it) rather than one request per box: a bulk
/// selection of a hundred rows then costs one round trip. Boxes that are
/// still unticked afterwards (say, covered by something) are clicked one by
/// one, so the outcome is the same as clicking each.
pub(crate) async fn tick_all(browser: &Browser, boxes: &[String]) {
    use serde_json::json;
    let mut wheel = Vec::new();
    let mut mouse = Vec::new();
    for element in boxes {
        let origin = json!({ ELEMENT_KEY: element });
        wheel.push(json!({
            "type": "scroll", "origin": origin, "x": 0, "y": 0,
            "deltaX": 0, "deltaY": 0, "duration": 0,
        }));
        mouse.push(json!({ "type": "pause", "duration": 0 }));
        wheel.push(json!({ "type": "pause", "duration": 0 }));
        mouse.push(json!({
            "type": "pointerMove", "origin": origin, "x": 0, "y": 0, "duration": 0,
        }));
        for kind in ["pointerDown", "pointerUp"] {
            wheel.push(json!({ "type": "pause", "duration": 0 }));
            mouse.push(json!({ "type": kind, "button": 0 }));
        }
    }
    let actions = json!({ "actions": [
        { "type": "wheel", "id": "wheel", "actions": wheel },
        { "type": "pointer", "id": "mouse", "parameters": { "pointerType": "mouse" }, "actions": mouse },
    ]});
    if let Err(error) = browser
        .try_command(reqwest::Method::POST, "/actions", Some(actions))
        .await
    {
        eprintln!("tick_all: the batched clicks failed ({error}); clicking one by one");
    }
    let _ = browser
        .try_command(reqwest::Method::DELETE, "/actions", None)
        .await;
    // Read in one go which boxes are still unticked (reading only).
    let args: Vec<serde_json::Value> = boxes.iter().map(|e| json!({ ELEMENT_KEY: e })).collect();
    let unticked = browser
        .execute(
            "return arguments[0].map((box, i) => box.checked ? -1 : i).filter((i) => i >= 0);",
            json!([args]),
        )
        .await;
    for index in unticked.as_array().into_iter().flatten() {
        let index = index.as_u64().expect("an index") as usize;
        browser.click(&boxes[index]).await;
    }
}

/// Lets the browser save what a download link sends into `dir`, as a
/// person's browser saves into its downloads folder (Chrome DevTools'
/// Browser.setDownloadBehavior, through chromedriver).
pub(crate) async fn save_downloads_in(browser: &Browser, dir: &std::path::Path) {
    browser
        .command(
            reqwest::Method::POST,
            "/goog/cdp/execute",
            Some(serde_json::json!({
                "cmd": "Browser.setDownloadBehavior",
                "params": { "behavior": "allow", "downloadPath": dir.to_str().expect("a UTF-8 path") },
            })),
        )
        .await;
}

/// Waits until the browser has finished saving a file whose name ends with
/// `suffix` in `dir` (Chromium writes `*.crdownload` until it is complete);
/// returns its path.
pub(crate) async fn wait_for_download(
    browser: &Browser,
    dir: &std::path::Path,
    suffix: &str,
) -> PathBuf {
    let deadline = Instant::now() + PAGE_WAIT;
    loop {
        let saved = std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|entry| entry.path())
            .find(|path| {
                path.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.ends_with(suffix))
            });
        if let Some(path) = saved
            && std::fs::metadata(&path).is_ok_and(|m| m.len() > 0)
        {
            return path;
        }
        browser
            .check_deadline(
                deadline,
                &format!("a downloaded *{suffix} in {}", dir.display()),
            )
            .await;
    }
}

/// Presses the browser's reload button (WebDriver "Refresh"): the page is
/// asked for again, as a person does after time has passed.
pub(crate) async fn reload(browser: &Browser) {
    browser
        .command(
            reqwest::Method::POST,
            "/refresh",
            Some(serde_json::json!({})),
        )
        .await;
}
