//! The portal in a real browser: headless Chromium driven through
//! chromedriver (W3C WebDriver), against a portal with the demo world.
//!
//! Needs the Debian packages `chromium` and `chromium-driver`
//! (`bash scripts/install-ci-deps.sh` installs them). The tests fail, never
//! skip, when they are missing.
//!
//! Screenshots of the control page and of the statement editor are left in
//! the cargo target tmpdir (`target/tmp/`) for humans to look at.

use std::io::Read;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use ismap_domain::ServiceModel;
use ismap_store::Backend;
use ismap_web::testing::{TestServer, spawn};
use reqwest::Method;
use serde_json::{Value, json};

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";
const INSTALL_HINT: &str = "run `bash scripts/install-ci-deps.sh` (as root) to install the Debian packages chromium and chromium-driver";

/// How long to wait for a page to change after a click.
const PAGE_WAIT: Duration = Duration::from_secs(20);
/// How long to wait for the editor to save a control and show the outcome.
const EDIT_WAIT: Duration = Duration::from_secs(5);

const CONTROL: &str = "8.1.2.7.PB";
const CONTROL_PATH: &str = "/catalogs/ismap-2022-excerpt/controls/8.1.2.7.PB";
const CONTROL_TEXT: &str = "暗号鍵を管理し消去する機能";
const SIGNIN_FAILED: &str = "ユーザー名またはパスワードが正しくありません";
/// saas-editor's display name and organization in the demo world.
const EDITOR_NAME: &str = "SaaS 言明書担当";
const EDITOR_ORG: &str = "株式会社サンプルクラウド";
/// The editor's row and decision select for [`CONTROL`].
const CONTROL_ROW: &str = "row-8-1-2-7-PB";
const CONTROL_DECISION: &str = "d-8-1-2-7-PB";
/// The audit table's row for [`CONTROL`].
const CONTROL_ROW_AUDIT: &str = "c-8-1-2-7-PB";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_read_a_control_and_switch_to_english() {
    in_browser("browser", scenario).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statement_editor_saves_a_decision_and_shows_findings() {
    in_browser("browser editor", editor_scenario).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auditor_records_a_result_and_issues_the_report() {
    in_browser("browser audit", audit_scenario).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn application_goes_from_submission_to_the_public_list() {
    in_browser("browser registration", registration_scenario).await;
}

/// Starts chromedriver, a chromium session and the portal (fresh database,
/// demo world), runs `scenario`, then closes the browser; `label` prefixes
/// the progress lines.
async fn in_browser<F, Fut>(label: &str, scenario: F)
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
    let browser = driver.new_session(&scratch.path().join("profile")).await;
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

async fn scenario(browser: Browser, server: TestServer) {
    let t = Instant::now();

    // A wrong password: the sign-in page again, with the error.
    browser.goto(&server.url("/signin")).await;
    sign_in(&browser, "saas-editor", "not-the-password").await;
    browser.wait_for_css(".alert-error").await;
    let body = browser.body_text().await;
    assert!(
        body.contains(SIGNIN_FAILED),
        "a wrong password should show “{SIGNIN_FAILED}”; the page says:\n{body}"
    );
    assert!(
        browser.path().await.starts_with("/signin"),
        "a wrong password stays on /signin"
    );
    eprintln!("browser: wrong password refused ({:.1?})", t.elapsed());

    // The right one: the dashboard, with the user in the menu.
    sign_in(&browser, "saas-editor", server.password("saas-editor")).await;
    browser.wait_for_path("/").await;
    let body = browser.body_text().await;
    assert!(
        body.contains("ダッシュボード"),
        "the dashboard should show; the page says:\n{body}"
    );
    let menu = browser.text(&browser.find(".user-menu").await).await;
    assert!(
        menu.contains(EDITOR_NAME) && menu.contains(EDITOR_ORG),
        "the user menu should show {EDITOR_NAME}（{EDITOR_ORG}）; it says: {menu:?}"
    );
    eprintln!("browser: signed in, dashboard shown ({:.1?})", t.elapsed());

    // A control page, in Japanese.
    browser.goto(&server.url(CONTROL_PATH)).await;
    let h1 = browser.text(&browser.find("h1").await).await;
    assert!(
        h1.contains(CONTROL),
        "the control page's h1 should contain {CONTROL}; it is {h1:?}"
    );
    let body = browser.body_text().await;
    assert!(
        body.contains(CONTROL_TEXT),
        "the control page should contain “{CONTROL_TEXT}”; the page says:\n{body}"
    );
    let title_ja = browser.title().await;
    assert_eq!(
        browser.html_lang().await,
        "ja",
        "the portal starts in Japanese"
    );
    let shot = browser
        .save_screenshot("browser-control-8.1.2.7.PB.png")
        .await;
    eprintln!(
        "browser: control page shown, h1 {h1:?}, title {title_ja:?} ({:.1?})",
        t.elapsed()
    );
    eprintln!(
        "browser: screenshot of the control page: {}",
        shot.display()
    );

    // The language link: the same page in English.
    browser
        .click(&browser.find(".lang-switch a[lang='en']").await)
        .await;
    browser.wait_for_lang("en").await;
    assert_eq!(
        browser.path().await,
        CONTROL_PATH,
        "switching language stays on the page"
    );
    let title_en = browser.title().await;
    assert!(
        title_en.contains(CONTROL),
        "the English title should contain {CONTROL}; it is {title_en:?}"
    );
    assert_ne!(
        title_en, title_ja,
        "the title should change with the language"
    );
    let shot = browser
        .save_screenshot("browser-control-8.1.2.7.PB-en.png")
        .await;
    eprintln!(
        "browser: English page, title {title_en:?} ({:.1?})",
        t.elapsed()
    );
    eprintln!(
        "browser: screenshot of the English control page: {}",
        shot.display()
    );
}

/// The editor: a baseline control set to “not selected” gets an S4 error,
/// set back to “implemented” loses it; each change is a saved revision.
async fn editor_scenario(browser: Browser, server: TestServer) {
    let t = Instant::now();
    let services = ismap_store::services::list(&server.db, None)
        .await
        .expect("services");
    let saas = services
        .iter()
        .find(|s| s.model == ServiceModel::SaaS)
        .expect("the demo world has a SaaS service");
    let statements = ismap_store::statements::of_service(&server.db, saas.id)
        .await
        .expect("statements");
    let id = statements
        .first()
        .unwrap_or_else(|| panic!("the demo SaaS service {:?} has no statement", saas.name))
        .id;
    let revisions = revision_count(&server, id).await;
    assert_eq!(
        revisions, 1,
        "the demo statement {id} should start with one revision"
    );

    browser.goto(&server.url("/signin")).await;
    sign_in(&browser, "saas-editor", server.password("saas-editor")).await;
    browser.wait_for_path("/").await;
    let editor_path = format!("/statements/{id}/edit?filter=baseline");
    browser.goto(&server.url(&editor_path)).await;
    let summary = browser.text(&browser.wait_for_css("#summary").await).await;
    assert_eq!(
        summary_errors(&summary),
        Some(0),
        "the demo statement should have no errors; #summary says {summary:?}"
    );
    browser.find(&format!("#{CONTROL_DECISION}")).await;
    eprintln!(
        "browser editor: statement {id} open at {editor_path}, summary {:?} ({:.1?})",
        summary.lines().next().unwrap_or_default(),
        t.elapsed()
    );

    // Not selected: a baseline control must be implemented or inherited
    // (S4), and a detailed control left unselected needs a reason (S3): the
    // reason box only appears with the new row, so two errors.
    let edit = Instant::now();
    browser.choose(CONTROL_DECISION, "not_selected").await;
    let row = browser
        .wait_for_save(
            "S3 and S4 on the row and エラー 2 in the summary",
            |row| {
                row.decision == "not_selected"
                    && row.has_finding("S4")
                    && row.has_finding("S3")
                    && row.errors() == Some(2)
            },
        )
        .await;
    // The same through WebDriver, on elements found after the swap.
    let mut findings = Vec::new();
    for alert in browser
        .find_all(&format!("#{CONTROL_ROW} .row-findings .alert-error"))
        .await
    {
        findings.push(browser.text(&alert).await);
    }
    assert!(
        findings.iter().any(|f| f.starts_with("S4 ")),
        "the row should show an S4 error; it shows {findings:?}"
    );
    browser
        .find(&format!("#{CONTROL_ROW} textarea[name='reason']"))
        .await;
    let shot = browser.save_screenshot("browser-editor-s4.png").await;
    eprintln!(
        "browser editor: not_selected saved in {:.1?}: {findings:?}, summary {:?}",
        edit.elapsed(),
        row.summary.lines().next().unwrap_or_default()
    );
    eprintln!(
        "browser editor: screenshot of the S4 error: {}",
        shot.display()
    );
    if !row.missing.is_empty() {
        // The answer carries the objective's rows, which the baseline
        // filter does not show: htmx finds nothing to replace. Harmless.
        eprintln!(
            "browser editor: rows in the answer but not on the page: {:?}",
            row.missing
        );
    }

    // Implemented again: the error goes away.
    let edit = Instant::now();
    browser.choose(CONTROL_DECISION, "implemented").await;
    let row = browser
        .wait_for_save(
            "no findings on the row and エラー 0 in the summary",
            |row| {
                row.decision == "implemented" && row.findings.is_empty() && row.errors() == Some(0)
            },
        )
        .await;
    eprintln!(
        "browser editor: implemented saved in {:.1?}, summary {:?}",
        edit.elapsed(),
        row.summary.lines().next().unwrap_or_default()
    );

    let revisions = revision_count(&server, id).await;
    assert_eq!(
        revisions, 3,
        "two saved decisions should make three revisions of statement {id}"
    );
    browser.execute("window.scrollTo(0, 0)", json!([])).await;
    let shot = browser.save_screenshot("browser-editor.png").await;
    eprintln!(
        "browser editor: {revisions} revisions in the database ({:.1?})",
        t.elapsed()
    );
    eprintln!(
        "browser editor: screenshot of the editor: {}",
        shot.display()
    );
}

async fn revision_count(server: &TestServer, statement: i64) -> usize {
    ismap_store::statements::revisions(&server.db, statement)
        .await
        .expect("revisions")
        .len()
}

/// Fills in the sign-in form on the current page and submits it.
async fn sign_in(browser: &Browser, username: &str, password: &str) {
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
struct Chromedriver {
    child: Child,
    base: String,
    log: PathBuf,
}

impl Chromedriver {
    async fn start(dir: &Path) -> Chromedriver {
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

    fn log_text(&self) -> String {
        let mut text = String::new();
        if let Ok(mut file) = std::fs::File::open(&self.log) {
            let _ = file.read_to_string(&mut text);
        }
        format!("chromedriver log:\n{text}")
    }

    async fn new_session(&self, profile: &Path) -> Browser {
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
            "--window-size=1280,900".to_owned(),
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

fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .expect("HTTP client")
}

/// A WebDriver session: the few W3C WebDriver commands this test needs.
#[derive(Clone)]
struct Browser {
    http: reqwest::Client,
    /// `http://127.0.0.1:PORT/session/ID`
    session: String,
}

/// The W3C WebDriver key of an element reference.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

impl Browser {
    /// Sends a command; `Err` carries WebDriver's error code and message.
    async fn try_command(
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

    async fn command(&self, method: Method, path: &str, body: Option<Value>) -> Value {
        self.try_command(method, path, body)
            .await
            .unwrap_or_else(|e| panic!("WebDriver command failed: {e}"))
    }

    async fn goto(&self, url: &str) {
        self.command(Method::POST, "/url", Some(json!({ "url": url })))
            .await;
    }

    /// The current URL's path and query.
    async fn path(&self) -> String {
        let url = self.command(Method::GET, "/url", None).await;
        let url = url.as_str().expect("URL string");
        let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
        rest.find('/').map_or("/", |i| &rest[i..]).to_owned()
    }

    async fn title(&self) -> String {
        let title = self.command(Method::GET, "/title", None).await;
        title.as_str().expect("title string").to_owned()
    }

    async fn try_find(&self, css: &str) -> Option<String> {
        let body = json!({ "using": "css selector", "value": css });
        let found = self
            .try_command(Method::POST, "/element", Some(body))
            .await
            .ok()?;
        found[ELEMENT_KEY].as_str().map(str::to_owned)
    }

    async fn find(&self, css: &str) -> String {
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
    async fn find_all(&self, css: &str) -> Vec<String> {
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

    async fn source(&self) -> String {
        let source = self.command(Method::GET, "/source", None).await;
        source.as_str().expect("source string").to_owned()
    }

    async fn wait_for_css(&self, css: &str) -> String {
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
    async fn wait_for_path(&self, path: &str) {
        let deadline = Instant::now() + PAGE_WAIT;
        while self.path().await != path {
            self.check_deadline(deadline, &format!("the page {path}"))
                .await;
        }
    }

    /// Waits until `<html lang>` is `lang` (after switching language).
    async fn wait_for_lang(&self, lang: &str) {
        let deadline = Instant::now() + PAGE_WAIT;
        while self.html_lang().await != lang {
            self.check_deadline(deadline, &format!("a page with lang={lang}"))
                .await;
        }
    }

    /// Fails past `deadline`, or sleeps a little before the next look.
    async fn check_deadline(&self, deadline: Instant, what: &str) {
        if Instant::now() > deadline {
            panic!(
                "timed out waiting for {what}; at {} the page says:\n{}",
                self.path().await,
                self.body_text().await
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    async fn text(&self, element: &str) -> String {
        let text = self
            .command(Method::GET, &format!("/element/{element}/text"), None)
            .await;
        text.as_str().expect("text string").to_owned()
    }

    /// The rendered text of the page.
    async fn body_text(&self) -> String {
        match self.try_find("body").await {
            Some(body) => self.text(&body).await,
            None => String::from("(no body)"),
        }
    }

    /// The `lang` attribute of `<html>`, "" when absent.
    async fn html_lang(&self) -> String {
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

    async fn click(&self, element: &str) {
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
    async fn click_and_wait_for_next_page(&self, element: &str) {
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

    async fn clear(&self, element: &str) {
        self.command(
            Method::POST,
            &format!("/element/{element}/clear"),
            Some(json!({})),
        )
        .await;
    }

    async fn send_keys(&self, element: &str, text: &str) {
        let body = json!({ "text": text });
        self.command(
            Method::POST,
            &format!("/element/{element}/value"),
            Some(body),
        )
        .await;
    }

    /// Runs `script` (a function body; `arguments` are `args`) in the page.
    async fn execute(&self, script: &str, args: Value) -> Value {
        let body = json!({ "script": script, "args": args });
        self.command(Method::POST, "/execute/sync", Some(body))
            .await
    }

    /// Picks `value` in the select `#select_id` by clicking its option, as a
    /// user would; the browser fires `change`, which makes htmx save the
    /// control. Starts recording htmx's events for [`Browser::wait_for_save`].
    async fn choose(&self, select_id: &str, value: &str) {
        self.execute(HTMX_RECORDER, json!([])).await;
        let option = self
            .find(&format!("#{select_id} option[value='{value}']"))
            .await;
        self.click(&option).await;
    }

    /// Waits until htmx has sent one save, swapped in the answer and
    /// processed the new row, and the row and summary satisfy `done`.
    async fn wait_for_save(&self, what: &str, done: impl Fn(&EditorRow) -> bool) -> EditorRow {
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
    async fn save_screenshot(&self, name: &str) -> PathBuf {
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
    async fn quit(&self) {
        if let Err(error) = self.try_command(Method::DELETE, "", None).await {
            eprintln!("browser: closing the session: {error}");
        }
    }
}

/// Records, in `window.__ismapTest`, the requests htmx sends, the elements
/// it loads (swaps in and processes) and its errors; clears the record.
const HTMX_RECORDER: &str = r#"
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
const EDITOR_ROW: &str = r#"
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
struct EditorRow {
    decision: String,
    /// The rules of the row's findings, e.g. "S4".
    findings: Vec<String>,
    row_text: String,
    summary: String,
    /// Paths htmx posted to since [`Browser::choose`].
    requests: Vec<String>,
    /// Ids of the elements htmx swapped in and processed.
    loaded: Vec<String>,
    errors: Vec<String>,
    /// Ids of out-of-band swaps that found nothing to replace on the page.
    missing: Vec<String>,
}

impl EditorRow {
    fn has_finding(&self, rule: &str) -> bool {
        self.findings.iter().any(|f| f == rule)
    }

    fn errors(&self) -> Option<usize> {
        summary_errors(&self.summary)
    }
}

/// N in the summary's “エラー N / 警告 M”.
fn summary_errors(summary: &str) -> Option<usize> {
    let rest = summary.split_once("エラー ")?.1;
    rest.split_once(" /")?.0.trim().parse().ok()
}

/// The provider's frozen statement is engaged and every control but one has
/// a result (set up in the store); in the browser the auditor records the
/// last one, a deficiency, through the row's form, and issues the report.
/// The demo provider's statement, frozen and engaged with the demo audit
/// organization, the auditor assigned and a conforming result recorded for
/// every control except `except` (set up in the store: the browser tests
/// look at what comes after).
async fn engagement_with_results(
    server: &TestServer,
    except: Option<&str>,
) -> ismap_store::engagements::Engagement {
    use ismap_domain::audit_work::AuditResult;
    use ismap_store::{Actor, engagements, orgs, statements, users};

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
        if except == Some(control.id.to_string().as_str()) {
            continue;
        }
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

    engagement
}

async fn audit_scenario(browser: Browser, server: TestServer) {
    use ismap_store::engagements;

    let db = &server.db;
    let engagement = engagement_with_results(&server, Some(CONTROL)).await;
    browser.goto(&server.url("/signin")).await;
    sign_in(&browser, "auditor", server.password("auditor")).await;
    browser.wait_for_path("/").await;
    let page = format!("/engagements/{}", engagement.id);
    browser.goto(&server.url(&page)).await;
    let row = format!("#{CONTROL_ROW_AUDIT}");
    browser.wait_for_css(&row).await;
    let option = browser
        .find(&format!(
            "{row} select[name='result'] option[value='deficiency']"
        ))
        .await;
    browser.click(&option).await;
    for (field, text) in [
        ("performed", "鍵管理画面の設定を閲覧し、再実施した"),
        ("finding", "顧客管理鍵が2テナントに提供されていなかった"),
    ] {
        let input = browser
            .find(&format!("{row} textarea[name='{field}']"))
            .await;
        browser.send_keys(&input, text).await;
    }
    browser
        .click(&browser.find(&format!("{row} button[type='submit']")).await)
        .await;
    // htmx swaps the row: the result badge appears in place.
    let deadline = Instant::now() + PAGE_WAIT;
    loop {
        if let Some(badge) = browser.try_find(&format!("{row} .badge-error")).await
            && browser.text(&badge).await == "不備"
        {
            break;
        }
        browser
            .check_deadline(deadline, "the deficiency badge in the row")
            .await;
    }
    assert_eq!(browser.path().await, page, "the row was saved in place");

    browser.click(&browser.find("#issue-report").await).await;
    browser
        .wait_for_path(&format!("/engagements/{}/reports/1", engagement.id))
        .await;
    let text = browser.body_text().await;
    assert!(text.contains("実施結果報告書"), "{text}");
    assert!(text.contains("顧客管理鍵が2テナントに提供されていなかった"));
    let shot = browser.save_screenshot("browser-audit-report.png").await;
    eprintln!(
        "browser audit: report issued; screenshot {}",
        shot.display()
    );
    let reports = engagements::reports(db, engagement.id).await.unwrap();
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0].content["deficiency"], 1);
}

/// Signs out (the header's button) and signs in as `username`.
async fn switch_user(browser: &Browser, server: &TestServer, username: &str) {
    sign_out(browser).await;
    browser.goto(&server.url("/signin")).await;
    sign_in(browser, username, server.password(username)).await;
    browser.wait_for_path("/").await;
}

/// Clicks the header's sign-out button and waits until the page shows the
/// sign-in link again.
async fn sign_out(browser: &Browser) {
    if let Some(button) = browser.try_find("form[action='/signout'] button").await {
        browser.click(&button).await;
        browser.wait_for_css(".user-menu a[href='/signin']").await;
    }
}

/// Fills the form `#do-{transition}` on the application page and submits it.
async fn review_step(browser: &Browser, application: i64, transition: &str, reason: &str) {
    let form = format!("#do-{transition}");
    browser.wait_for_css(&form).await;
    if let Some(input) = browser
        .try_find(&format!("{form} input[name='reason']"))
        .await
    {
        browser.send_keys(&input, reason).await;
    }
    browser
        .click_and_wait_for_next_page(&browser.find(&format!("{form} button[type='submit']")).await)
        .await;
    browser
        .wait_for_path(&format!("/applications/{application}"))
        .await;
}

/// The whole path of issue 7 in the browser: the provider files the
/// application (form and upload), IPA checks it and asks a question, the
/// provider answers, IPA refers it, the committee registers it, and a
/// visitor finds the service on the public list with its validity.
async fn registration_scenario(browser: Browser, server: TestServer) {
    use ismap_domain::audit::Scope;
    use ismap_domain::audit_work::EngagementScope;
    use ismap_formats::audit_report::{RecordedResult, ReportInput, snapshot};
    use ismap_store::engagements;

    // An audit with every control conforming and an issued report.
    let db = &server.db;
    let engagement = engagement_with_results(&server, None).await;
    let catalog = &ismap_formats::bundled::bundled_catalogs()[0];
    let revision =
        ismap_store::statements::revision_at(db, engagement.statement_id, engagement.revision)
            .await
            .unwrap();
    let statement = ismap_formats::statement_file::parse_statement("s", &revision.content)
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
            statement: &statement,
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
                result: ismap_domain::audit_work::AuditResult::Conforming,
                finding: "",
                samples: "",
            })
        },
    );
    engagements::issue_report(
        db,
        &ismap_store::Actor::system("browser test setup"),
        &engagement,
        &serde_json::to_value(&report).unwrap(),
        "",
    )
    .await
    .unwrap();
    let letter =
        std::env::temp_dir().join(format!("keieisha-kakuninsho-{}.pdf", std::process::id()));
    std::fs::write(
        &letter,
        b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n",
    )
    .unwrap();

    // The provider fills in the application form and attaches the letter.
    browser.goto(&server.url("/signin")).await;
    sign_in(&browser, "saas-admin", server.password("saas-admin")).await;
    browser.wait_for_path("/").await;
    browser
        .goto(&server.url(&format!("/services/{}/apply", engagement.service_id)))
        .await;
    browser.wait_for_css("#application-form").await;
    for (field, value) in [
        ("service_name_en", "Example Document SaaS"),
        ("provider_address", "東京都港区サンプル二丁目2番2号"),
        ("representative", "代表取締役 見本 太郎"),
        ("contact", "security@saas.example.jp"),
        ("service_url", "https://saas.example.jp"),
        ("regions", "東京"),
    ] {
        let input = browser
            .find(&format!("#application-form [name='{field}']"))
            .await;
        browser.send_keys(&input, value).await;
    }
    let upload = browser
        .find("#application-form input[name='management_letter']")
        .await;
    browser.send_keys(&upload, letter.to_str().unwrap()).await;
    browser
        .click(&browser.find("#submit-application").await)
        .await;
    let deadline = Instant::now() + PAGE_WAIT;
    while !browser.path().await.starts_with("/applications/") {
        browser
            .check_deadline(deadline, "the application page")
            .await;
    }
    let application = ismap_store::applications::list(db, None).await.unwrap()[0].id;
    assert_eq!(browser.path().await, format!("/applications/{application}"));
    eprintln!("browser registration: application {application} submitted");

    // IPA: acceptance check, then a question.
    switch_user(&browser, &server, "reviewer").await;
    browser
        .goto(&server.url(&format!("/applications/{application}")))
        .await;
    review_step(&browser, application, "start_acceptance", "").await;
    review_step(&browser, application, "accept", "").await;
    browser.wait_for_css("#do-request_information").await;
    let questions = browser
        .find("#do-request_information textarea[name='questions']")
        .await;
    browser
        .send_keys(&questions, "鍵の消去手順を示してください。")
        .await;
    browser
        .execute(
            "document.querySelector(\"#do-request_information input[name='due_date']\").value = '2099-02-28';",
            json!([]),
        )
        .await;
    review_step(
        &browser,
        application,
        "request_information",
        "8.1.2.7.PB の確認",
    )
    .await;
    assert!(
        browser
            .body_text()
            .await
            .contains("鍵の消去手順を示してください。")
    );

    // The provider answers; the last answer sends it back to review.
    switch_user(&browser, &server, "saas-editor").await;
    browser
        .goto(&server.url(&format!("/applications/{application}")))
        .await;
    let answer = browser
        .wait_for_css(".question textarea[name='answer']")
        .await;
    browser
        .send_keys(&answer, "暗号鍵を破棄する暗号化消去を行います。")
        .await;
    browser
        .click(&browser.find(".question button[type='submit']").await)
        .await;
    let deadline = Instant::now() + PAGE_WAIT;
    while ismap_store::applications::get(db, application)
        .await
        .unwrap()
        .state
        != ismap_domain::review::ApplicationState::TechnicalReview
    {
        browser
            .check_deadline(deadline, "the answer to be saved")
            .await;
    }

    // IPA refers it; the committee registers it.
    switch_user(&browser, &server, "reviewer").await;
    browser
        .goto(&server.url(&format!("/applications/{application}")))
        .await;
    review_step(
        &browser,
        application,
        "refer_to_committee",
        "基本言明要件を満たす",
    )
    .await;
    switch_user(&browser, &server, "committee").await;
    browser
        .goto(&server.url(&format!("/applications/{application}")))
        .await;
    review_step(&browser, application, "register", "第42回運営委員会").await;
    let number = browser
        .text(&browser.wait_for_css("#registration-number").await)
        .await;
    assert!(number.contains("2026-04-01 – 2027-07-31"), "{number}");

    // A visitor finds it on the public list.
    sign_out(&browser).await;
    browser
        .goto(&server.url("/lists/ismap?q=Example+Document"))
        .await;
    let row = browser.wait_for_css("#list tbody tr a").await;
    browser.click(&row).await;
    let deadline = Instant::now() + PAGE_WAIT;
    while !browser.path().await.starts_with("/lists/ismap/C") {
        browser.check_deadline(deadline, "the list entry").await;
    }
    let text = browser.body_text().await;
    assert!(text.contains("2026-04-01 – 2027-07-31"), "{text}");
    assert!(text.contains("東京都港区サンプル二丁目2番2号"));
    let shot = browser.save_screenshot("browser-list-entry.png").await;
    eprintln!(
        "browser registration: on the public list; screenshot {}",
        shot.display()
    );
    let _ = std::fs::remove_file(&letter);
}
