//! The WebDriver client and the helpers every journey shares.

use std::io::Read;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use ismap_store::Backend;
use ismap_web::testing::{TestServer, spawn};
use reqwest::Method;
use serde_json::{Value, json};

pub(crate) const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
pub(crate) const CHROMIUM: &str = "/usr/bin/chromium";
pub(crate) const INSTALL_HINT: &str = "run `bash scripts/install-ci-deps.sh` (as root) to install the Debian packages chromium and chromium-driver";

/// How long to wait for a page to change after a click.
pub(crate) const PAGE_WAIT: Duration = Duration::from_secs(20);
/// How long to wait for the editor to save a control and show the outcome.
pub(crate) const EDIT_WAIT: Duration = Duration::from_secs(5);

pub(crate) const CONTROL: &str = "8.1.2.7.PB";
pub(crate) const CONTROL_PATH: &str = "/catalogs/ismap-2022-excerpt/controls/8.1.2.7.PB";
pub(crate) const CONTROL_TEXT: &str = "暗号鍵を管理し消去する機能";
pub(crate) const SIGNIN_FAILED: &str = "ユーザー名またはパスワードが正しくありません";
/// saas-editor's display name and organization in the demo world.
pub(crate) const EDITOR_NAME: &str = "SaaS 言明書担当";
pub(crate) const EDITOR_ORG: &str = "株式会社サンプルクラウド";
/// The editor's row and decision select for [`CONTROL`].
pub(crate) const CONTROL_ROW: &str = "row-8-1-2-7-PB";
pub(crate) const CONTROL_DECISION: &str = "d-8-1-2-7-PB";

/// Starts chromedriver, a chromium session and the portal (fresh database,
/// demo world), runs `scenario`, then closes the browser; `label` prefixes
/// the progress lines.
pub(crate) async fn in_browser<F, Fut>(label: &str, scenario: F)
where
    F: FnOnce(Browser, TestServer) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    in_browser_at(label, DESKTOP, scenario).await;
}

/// The desktop window the journeys use (the issue's 1366×900).
pub(crate) const DESKTOP: (u32, u32) = (1366, 900);
/// A phone-sized window (390×844).
pub(crate) const PHONE: (u32, u32) = (390, 844);

/// As [`in_browser`], in a window of `size` (width, height) CSS pixels.
pub(crate) async fn in_browser_at<F, Fut>(label: &str, size: (u32, u32), scenario: F)
where
    F: FnOnce(Browser, TestServer) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let started = Instant::now();
    for binary in [CHROMEDRIVER, CHROMIUM] {
        assert!(
            Path::new(binary).exists(),
            "{binary} is missing: the browser test needs it; {INSTALL_HINT}"
        );
    }
    let scratch = tempfile::tempdir().expect("temporary directory");
    let driver = Chromedriver::start(scratch.path()).await;
    let browser = driver
        .new_session(&scratch.path().join("profile"), size)
        .await;
    if size.0 < 500 {
        // Headless Chromium keeps a window at least 500 px wide.
        browser.emulate_viewport(size).await;
    }
    eprintln!(
        "{label}: chromedriver and chromium up in {:.1?}",
        started.elapsed()
    );

    let server = spawn(Backend::Sqlite).await;
    eprintln!(
        "{label}: portal up at {} after {:.1?}",
        server.base,
        started.elapsed()
    );

    // The scenario runs in its own task so that a failed assertion still lets
    // the browser session be closed before the panic is passed on.
    let outcome = tokio::spawn(scenario(browser.clone(), server)).await;
    browser.quit().await;
    drop(driver);
    if let Err(error) = outcome {
        std::panic::resume_unwind(error.into_panic());
    }
    eprintln!("{label}: passed in {:.1?}", started.elapsed());
}

pub(crate) async fn sign_in(browser: &Browser, username: &str, password: &str) {
    for (field, value) in [("username", username), ("password", password)] {
        let input = browser
            .find(&format!("form[action='/signin'] input[name='{field}']"))
            .await;
        browser.clear(&input).await;
        browser.send_keys(&input, value).await;
    }
    browser
        .click(
            &browser
                .find("form[action='/signin'] button[type='submit']")
                .await,
        )
        .await;
}

/// chromedriver on a free port; killed when dropped, also on panic.
pub(crate) struct Chromedriver {
    child: Child,
    base: String,
    log: PathBuf,
}

impl Chromedriver {
    pub(crate) async fn start(dir: &Path) -> Chromedriver {
        let port = {
            let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
            listener.local_addr().expect("bound").port()
        };
        let log = dir.join("chromedriver.log");
        let out = std::fs::File::create(&log).expect("chromedriver log file");
        let err = out.try_clone().expect("chromedriver log file");
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {CHROMEDRIVER}: {e}; {INSTALL_HINT}"));
        let mut driver = Chromedriver {
            child,
            base: format!("http://127.0.0.1:{port}"),
            log,
        };
        let http = http_client();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = driver.child.try_wait().expect("chromedriver status") {
                panic!(
                    "chromedriver exited at start ({status}); {INSTALL_HINT}\n{}",
                    driver.log_text()
                );
            }
            let ready = match http.get(format!("{}/status", driver.base)).send().await {
                Ok(response) => response
                    .json::<Value>()
                    .await
                    .is_ok_and(|v| v["value"]["ready"] == json!(true)),
                Err(_) => false,
            };
            if ready {
                return driver;
            }
            if Instant::now() > deadline {
                panic!(
                    "chromedriver did not answer on {} within 20 s\n{}",
                    driver.base,
                    driver.log_text()
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub(crate) fn log_text(&self) -> String {
        let mut text = String::new();
        if let Ok(mut file) = std::fs::File::open(&self.log) {
            let _ = file.read_to_string(&mut text);
        }
        format!("chromedriver log:\n{text}")
    }

    pub(crate) async fn new_session(&self, profile: &Path, size: (u32, u32)) -> Browser {
        let args = [
            "--headless=new".to_owned(),
            "--no-sandbox".to_owned(),
            "--disable-gpu".to_owned(),
            "--disable-dev-shm-usage".to_owned(),
            "--disable-quic".to_owned(),
            "--no-first-run".to_owned(),
            "--disable-background-networking".to_owned(),
            "--disable-component-update".to_owned(),
            "--disable-sync".to_owned(),
            format!("--window-size={},{}", size.0, size.1),
            format!("--user-data-dir={}", profile.display()),
        ];
        let capabilities = json!({
            "capabilities": {
                "alwaysMatch": {
                    "browserName": "chrome",
                    "goog:chromeOptions": { "binary": CHROMIUM, "args": args },
                }
            }
        });
        let http = http_client();
        let response = http
            .post(format!("{}/session", self.base))
            .json(&capabilities)
            .send()
            .await
            .unwrap_or_else(|e| panic!("chromedriver at {} does not answer: {e}", self.base));
        let answer: Value = response.json().await.expect("chromedriver answers JSON");
        let Some(id) = answer["value"]["sessionId"].as_str() else {
            panic!(
                "chromedriver could not start chromium ({CHROMIUM}): {}; {INSTALL_HINT}\n{}",
                answer["value"],
                self.log_text()
            );
        };
        Browser {
            http,
            session: format!("{}/session/{id}", self.base),
        }
    }
}

impl Drop for Chromedriver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .expect("HTTP client")
}

/// A WebDriver session: the few W3C WebDriver commands this test needs.
#[derive(Clone)]
pub(crate) struct Browser {
    http: reqwest::Client,
    /// `http://127.0.0.1:PORT/session/ID`
    session: String,
}

/// The W3C WebDriver key of an element reference.
pub(crate) const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

impl Browser {
    /// Sends a command; `Err` carries WebDriver's error code and message.
    pub(crate) async fn try_command(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, String> {
        let mut request = self
            .http
            .request(method.clone(), format!("{}{path}", self.session));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request
            .send()
            .await
            .map_err(|e| format!("{method} {path}: no answer from chromedriver: {e}"))?;
        let status = response.status();
        let answer: Value = response
            .json()
            .await
            .map_err(|e| format!("{method} {path}: not JSON ({status}): {e}"))?;
        if status.is_success() {
            Ok(answer["value"].clone())
        } else {
            Err(format!(
                "{method} {path}: {} ({status}): {}",
                answer["value"]["error"], answer["value"]["message"]
            ))
        }
    }

    pub(crate) async fn command(&self, method: Method, path: &str, body: Option<Value>) -> Value {
        self.try_command(method, path, body)
            .await
            .unwrap_or_else(|e| panic!("WebDriver command failed: {e}"))
    }

    pub(crate) async fn goto(&self, url: &str) {
        self.command(Method::POST, "/url", Some(json!({ "url": url })))
            .await;
    }

    /// The current URL's path and query.
    pub(crate) async fn path(&self) -> String {
        let url = self.command(Method::GET, "/url", None).await;
        let url = url.as_str().expect("URL string");
        let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
        rest.find('/').map_or("/", |i| &rest[i..]).to_owned()
    }

    pub(crate) async fn title(&self) -> String {
        let title = self.command(Method::GET, "/title", None).await;
        title.as_str().expect("title string").to_owned()
    }

    pub(crate) async fn try_find(&self, css: &str) -> Option<String> {
        let body = json!({ "using": "css selector", "value": css });
        let found = self
            .try_command(Method::POST, "/element", Some(body))
            .await
            .ok()?;
        found[ELEMENT_KEY].as_str().map(str::to_owned)
    }

    pub(crate) async fn find(&self, css: &str) -> String {
        let body = json!({ "using": "css selector", "value": css });
        match self.try_command(Method::POST, "/element", Some(body)).await {
            Ok(found) => found[ELEMENT_KEY]
                .as_str()
                .unwrap_or_else(|| panic!("no element reference in {found}"))
                .to_owned(),
            Err(error) => panic!(
                "no element {css:?} on {} ({error}); the page is:\n{}",
                self.path().await,
                self.source().await
            ),
        }
    }

    /// All elements matching `css`, maybe none.
    pub(crate) async fn find_all(&self, css: &str) -> Vec<String> {
        let body = json!({ "using": "css selector", "value": css });
        let found = self.command(Method::POST, "/elements", Some(body)).await;
        found
            .as_array()
            .expect("a list of elements")
            .iter()
            .map(|e| {
                e[ELEMENT_KEY]
                    .as_str()
                    .expect("element reference")
                    .to_owned()
            })
            .collect()
    }

    pub(crate) async fn source(&self) -> String {
        let source = self.command(Method::GET, "/source", None).await;
        source.as_str().expect("source string").to_owned()
    }

    pub(crate) async fn wait_for_css(&self, css: &str) -> String {
        let deadline = Instant::now() + PAGE_WAIT;
        loop {
            if let Some(element) = self.try_find(css).await {
                return element;
            }
            if Instant::now() > deadline {
                return self.find(css).await;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until the browser is at `path` (after a click that navigates).
    pub(crate) async fn wait_for_path(&self, path: &str) {
        let deadline = Instant::now() + PAGE_WAIT;
        while self.path().await != path {
            self.check_deadline(deadline, &format!("the page {path}"))
                .await;
        }
    }

    /// Waits until `<html lang>` is `lang` (after switching language).
    pub(crate) async fn wait_for_lang(&self, lang: &str) {
        let deadline = Instant::now() + PAGE_WAIT;
        while self.html_lang().await != lang {
            self.check_deadline(deadline, &format!("a page with lang={lang}"))
                .await;
        }
    }

    /// Fails past `deadline`, or sleeps a little before the next look.
    pub(crate) async fn check_deadline(&self, deadline: Instant, what: &str) {
        if Instant::now() > deadline {
            panic!(
                "timed out waiting for {what}; at {} the page says:\n{}",
                self.path().await,
                self.body_text().await
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    pub(crate) async fn text(&self, element: &str) -> String {
        let text = self
            .command(Method::GET, &format!("/element/{element}/text"), None)
            .await;
        text.as_str().expect("text string").to_owned()
    }

    /// The rendered text of the page.
    pub(crate) async fn body_text(&self) -> String {
        match self.try_find("body").await {
            Some(body) => self.text(&body).await,
            None => String::from("(no body)"),
        }
    }

    /// The `lang` attribute of `<html>`, "" when absent.
    pub(crate) async fn html_lang(&self) -> String {
        let Some(html) = self.try_find("html").await else {
            return String::new();
        };
        self.try_command(
            Method::GET,
            &format!("/element/{html}/attribute/lang"),
            None,
        )
        .await
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
    }

    pub(crate) async fn click(&self, element: &str) {
        self.command(
            Method::POST,
            &format!("/element/{element}/click"),
            Some(json!({})),
        )
        .await;
    }

    /// Clicks `element` (a form's button) and waits until its page is gone.
    /// The form's answer may lead back to the same path, so the path alone
    /// cannot tell that the next page has loaded; the old page's elements
    /// going stale can.
    pub(crate) async fn click_and_wait_for_next_page(&self, element: &str) {
        self.click(element).await;
        let deadline = Instant::now() + PAGE_WAIT;
        while self
            .try_command(Method::GET, &format!("/element/{element}/name"), None)
            .await
            .is_ok()
        {
            self.check_deadline(deadline, "the next page").await;
        }
    }

    pub(crate) async fn clear(&self, element: &str) {
        self.command(
            Method::POST,
            &format!("/element/{element}/clear"),
            Some(json!({})),
        )
        .await;
    }

    pub(crate) async fn send_keys(&self, element: &str, text: &str) {
        let body = json!({ "text": text });
        self.command(
            Method::POST,
            &format!("/element/{element}/value"),
            Some(body),
        )
        .await;
    }

    /// Runs `script` (a function body; `arguments` are `args`) in the page.
    pub(crate) async fn execute(&self, script: &str, args: Value) -> Value {
        let body = json!({ "script": script, "args": args });
        self.command(Method::POST, "/execute/sync", Some(body))
            .await
    }

    /// Picks `value` in the select `#select_id` by clicking its option, as a
    /// user would; the browser fires `change`, which makes htmx save the
    /// control. Starts recording htmx's events for [`Browser::wait_for_save`].
    pub(crate) async fn choose(&self, select_id: &str, value: &str) {
        self.execute(HTMX_RECORDER, json!([])).await;
        let option = self
            .find(&format!("#{select_id} option[value='{value}']"))
            .await;
        self.click(&option).await;
    }

    /// Waits until htmx has sent one save, swapped in the answer and
    /// processed the new row, and the row and summary satisfy `done`.
    pub(crate) async fn wait_for_save(
        &self,
        what: &str,
        done: impl Fn(&EditorRow) -> bool,
    ) -> EditorRow {
        let deadline = Instant::now() + EDIT_WAIT;
        loop {
            let value = self.execute(EDITOR_ROW, json!([CONTROL_ROW])).await;
            let row: EditorRow = serde_json::from_value(value.clone())
                .unwrap_or_else(|e| panic!("unexpected editor state {value}: {e}"));
            if !row.errors.is_empty() {
                panic!("htmx reports an error saving {CONTROL}: {:?}", row.errors);
            }
            if row.requests.len() > 1 {
                panic!(
                    "one change sent {} requests: {:?}",
                    row.requests.len(),
                    row.requests
                );
            }
            let swapped = row.requests.len() == 1 && row.loaded.iter().any(|id| id == CONTROL_ROW);
            if swapped && done(&row) {
                return row;
            }
            if Instant::now() > deadline {
                let why = if row.requests.is_empty() {
                    "the change never reached htmx: no request was sent"
                } else if !swapped {
                    "htmx sent the save but the row was not swapped in"
                } else {
                    "the row and summary show something else"
                };
                panic!(
                    "timed out after {EDIT_WAIT:?} waiting for {what} ({why}); the row says:\n{}\nthe editor's state: {row:#?}",
                    row.row_text
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Saves a PNG of the viewport to the cargo target tmpdir.
    pub(crate) async fn save_screenshot(&self, name: &str) -> PathBuf {
        let data = self.command(Method::GET, "/screenshot", None).await;
        let png = base64::engine::general_purpose::STANDARD
            .decode(data.as_str().expect("screenshot string"))
            .expect("screenshot is base64");
        let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
        std::fs::write(&path, png)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
        path
    }

    /// Ends the session, which closes chromium.
    pub(crate) async fn quit(&self) {
        if let Err(error) = self.try_command(Method::DELETE, "", None).await {
            eprintln!("browser: closing the session: {error}");
        }
    }
}

/// Records, in `window.__ismapTest`, the requests htmx sends, the elements
/// it loads (swaps in and processes) and its errors; clears the record.
pub(crate) const HTMX_RECORDER: &str = r#"
const record = window.__ismapTest ??= (() => {
  const record = { requests: [], loaded: [], errors: [], missing: [] };
  document.addEventListener('htmx:beforeRequest', (e) =>
    record.requests.push(e.detail.pathInfo?.requestPath ?? e.detail.requestConfig?.path ?? '?'));
  document.addEventListener('htmx:load', (e) => record.loaded.push(e.target.id ?? ''));
  for (const name of ['htmx:responseError', 'htmx:sendError', 'htmx:swapError']) {
    document.addEventListener(name, (e) => record.errors.push(
      `${name} ${e.detail.xhr?.status ?? ''} ${(e.detail.xhr?.responseText ?? '').slice(0, 300)}`));
  }
  document.addEventListener('htmx:oobErrorNoTarget', (e) => record.missing.push(e.detail.content?.id ?? '?'));
  return record;
})();
record.requests.length = 0;
record.loaded.length = 0;
record.errors.length = 0;
record.missing.length = 0;
"#;

/// Reads the editor row `arguments[0]` and the summary in one go (htmx
/// replaces them, so WebDriver element references go stale).
pub(crate) const EDITOR_ROW: &str = r#"
const row = document.getElementById(arguments[0]);
const record = window.__ismapTest ?? { requests: [], loaded: [], errors: [], missing: [] };
return {
  decision: row?.querySelector('select[name=decision]')?.value ?? '',
  findings: row ? [...row.querySelectorAll('.row-findings li strong')].map((s) => s.textContent.trim()) : [],
  row_text: row?.innerText ?? '(no row)',
  summary: document.getElementById('summary')?.innerText ?? '(no summary)',
  requests: record.requests,
  loaded: record.loaded,
  errors: record.errors,
  missing: record.missing,
};
"#;

/// The editor's state for one control, as [`EDITOR_ROW`] reads it.
#[derive(Debug, serde::Deserialize)]
pub(crate) struct EditorRow {
    pub(crate) decision: String,
    /// The rules of the row's findings, e.g. "S4".
    pub(crate) findings: Vec<String>,
    pub(crate) row_text: String,
    pub(crate) summary: String,
    /// Paths htmx posted to since [`Browser::choose`].
    pub(crate) requests: Vec<String>,
    /// Ids of the elements htmx swapped in and processed.
    pub(crate) loaded: Vec<String>,
    pub(crate) errors: Vec<String>,
    /// Ids of out-of-band swaps that found nothing to replace on the page.
    pub(crate) missing: Vec<String>,
}

impl EditorRow {
    pub(crate) fn has_finding(&self, rule: &str) -> bool {
        self.findings.iter().any(|f| f == rule)
    }

    pub(crate) fn errors(&self) -> Option<usize> {
        summary_errors(&self.summary)
    }
}

/// N in the summary's “エラー N / 警告 M”.
pub(crate) fn summary_errors(summary: &str) -> Option<usize> {
    let rest = summary.split_once("エラー ")?.1;
    rest.split_once(" /")?.0.trim().parse().ok()
}

/// Clicks the header's sign-out button and waits until the page shows the
/// sign-in link again.
pub(crate) async fn sign_out(browser: &Browser) {
    if let Some(button) = browser.try_find("form[action='/signout'] button").await {
        browser.click(&button).await;
        browser.wait_for_css(".user-menu a[href='/signin']").await;
    }
}

impl Browser {
    /// Saves a screenshot of the current step as
    /// `target/tmp/journeys/<journey>/<step>.png`, for people to review.
    pub(crate) async fn step(&self, journey: &str, step: &str) -> PathBuf {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join("journeys")
            .join(journey);
        std::fs::create_dir_all(&dir)
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
        let name = format!("journeys/{journey}/{step}.png");
        self.save_screenshot(&name).await
    }

    /// Presses the confirm button of the open confirmation dialog
    /// (`dialog.confirm-dialog[open]`, drawn by assets/ismap.js) and returns
    /// the dialog's text, so a journey can check the consequence it states.
    pub(crate) async fn confirm_dialog(&self) -> String {
        let dialog = self.wait_for_css("dialog.confirm-dialog[open]").await;
        let text = self.text(&dialog).await;
        self.click(&self.find("dialog.confirm-dialog[open] .confirm-ok").await)
            .await;
        text
    }

    /// Presses the cancel button of the open confirmation dialog.
    pub(crate) async fn cancel_dialog(&self) -> String {
        let dialog = self.wait_for_css("dialog.confirm-dialog[open]").await;
        let text = self.text(&dialog).await;
        self.click(
            &self
                .find("dialog.confirm-dialog[open] .confirm-cancel")
                .await,
        )
        .await;
        text
    }
}

/// The WebDriver key code of Enter (W3C WebDriver, "Keyboard actions").
pub(crate) const ENTER: &str = "\u{E007}";

impl Browser {
    /// Picks `value` in the plain form select `select_css` by clicking its
    /// option, as a person would (no htmx involved).
    pub(crate) async fn select_option(&self, select_css: &str, value: &str) {
        let option = self
            .find(&format!("{select_css} option[value='{value}']"))
            .await;
        self.click(&option).await;
    }

    /// A DOM property of `element` ("" when it has none): `href` gives the
    /// absolute URL a link leads to.
    pub(crate) async fn dom_property(&self, element: &str, name: &str) -> String {
        let value = self
            .command(
                Method::GET,
                &format!("/element/{element}/property/{name}"),
                None,
            )
            .await;
        match value {
            Value::String(s) => s,
            Value::Null => String::new(),
            other => other.to_string(),
        }
    }

    /// Waits until `element` is gone (its page replaced by the next one),
    /// after a key press that submits a form.
    pub(crate) async fn wait_until_gone(&self, element: &str) {
        let deadline = Instant::now() + PAGE_WAIT;
        while self
            .try_command(Method::GET, &format!("/element/{element}/name"), None)
            .await
            .is_ok()
        {
            self.check_deadline(deadline, "the next page").await;
        }
    }
}

/// Helpers of the chrome journeys (issue 13).
impl Browser {
    /// An attribute of `element`, `None` when absent.
    pub(crate) async fn attribute(&self, element: &str, name: &str) -> Option<String> {
        self.try_command(
            Method::GET,
            &format!("/element/{element}/attribute/{name}"),
            None,
        )
        .await
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
    }

    /// Whether `element` is shown (WebDriver's "is displayed").
    pub(crate) async fn is_displayed(&self, element: &str) -> bool {
        self.command(Method::GET, &format!("/element/{element}/displayed"), None)
            .await
            .as_bool()
            .unwrap_or(false)
    }

    /// The viewport's width in CSS pixels.
    pub(crate) async fn viewport_width(&self) -> u64 {
        self.execute("return window.innerWidth;", json!([]))
            .await
            .as_u64()
            .expect("a width")
    }

    /// Whether the page is wider than the window (a horizontal scroll bar
    /// for the whole page): read, not acted on.
    pub(crate) async fn page_overflows(&self) -> bool {
        self.execute(
            "return document.documentElement.scrollWidth > window.innerWidth;",
            json!([]),
        )
        .await
        .as_bool()
        .unwrap_or(true)
    }
}

impl Browser {
    /// Makes the page's viewport exactly `width`×`height` CSS pixels, as on
    /// a phone (Chrome DevTools' Emulation.setDeviceMetricsOverride, through
    /// chromedriver): a desktop window cannot be narrower than about 500 px,
    /// so `--window-size=390,…` alone gives a 500 px page. Stays for every
    /// page of the session; returns `window.innerWidth` afterwards.
    pub(crate) async fn emulate_viewport(&self, (width, height): (u32, u32)) -> i64 {
        self.command(
            Method::POST,
            "/goog/cdp/execute",
            Some(json!({
                "cmd": "Emulation.setDeviceMetricsOverride",
                "params": {
                    "width": width,
                    "height": height,
                    "deviceScaleFactor": 1,
                    "mobile": true,
                },
            })),
        )
        .await;
        self.execute("return window.innerWidth;", json!([]))
            .await
            .as_i64()
            .unwrap_or(0)
    }
}

/// Signs out if someone is signed in, presses the header's サインイン link
/// and signs in as `username`, as a person switching accounts does.
pub(crate) async fn sign_in_from_header(browser: &Browser, server: &TestServer, username: &str) {
    sign_out(browser).await;
    let link = browser.wait_for_css(".user-menu a[href^='/signin']").await;
    browser.click(&link).await;
    browser
        .wait_for_css("form[action='/signin'] input[name='password']")
        .await;
    sign_in(browser, username, server.password(username)).await;
    browser
        .wait_for_css(".user-menu form[action='/signout'] button")
        .await;
}

/// The current value of the form field `css`.
pub(crate) async fn value_of(browser: &Browser, css: &str) -> String {
    browser
        .dom_property(&browser.find(css).await, "value")
        .await
}
