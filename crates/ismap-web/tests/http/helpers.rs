//! A client that acts like a browser: keeps cookies, sends the CSRF token
//! with forms, does not follow redirects (tests look at them).

use std::sync::Arc;

use ismap_store::Backend;
use ismap_web::testing::{TestServer, spawn};
use reqwest::cookie::{CookieStore, Jar};
use reqwest::{Response, Url, redirect};

pub use ismap_store::testing::BACKENDS;

pub struct Client<'a> {
    pub server: &'a TestServer,
    pub http: reqwest::Client,
    jar: Arc<Jar>,
    /// The last CSRF token read and the cookies it was read with.
    csrf_cache: std::sync::Mutex<Option<(String, String)>>,
}

impl<'a> Client<'a> {
    pub fn new(server: &'a TestServer) -> Client<'a> {
        let jar = Arc::new(Jar::default());
        let http = reqwest::Client::builder()
            .cookie_provider(jar.clone())
            .redirect(redirect::Policy::none())
            .build()
            .expect("client builds");
        Client {
            server,
            http,
            jar,
            csrf_cache: std::sync::Mutex::default(),
        }
    }

    /// A client whose connections come from `address` (a loopback address
    /// such as 127.0.0.2): the server sees another source address.
    pub fn from_address(server: &'a TestServer, address: std::net::IpAddr) -> Client<'a> {
        let jar = Arc::new(Jar::default());
        let http = reqwest::Client::builder()
            .cookie_provider(jar.clone())
            .redirect(redirect::Policy::none())
            .local_address(address)
            .build()
            .expect("client builds");
        Client {
            server,
            http,
            jar,
            csrf_cache: std::sync::Mutex::default(),
        }
    }

    pub fn cookie(&self, name: &str) -> Option<String> {
        let url: Url = self.server.base.parse().unwrap();
        let header = self.jar.cookies(&url)?;
        header
            .to_str()
            .ok()?
            .split("; ")
            .filter_map(|pair| pair.split_once('='))
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_owned())
    }

    /// The CSRF token as a page shows it (the server makes it; it is bound
    /// to the session, or before sign-in to the pre-session cookie): read
    /// from the sign-in page, or the account page once signed in.
    pub async fn csrf(&self) -> String {
        let url: Url = self.server.base.parse().unwrap();
        let cookies = |jar: &Jar| {
            jar.cookies(&url)
                .and_then(|h| h.to_str().ok().map(str::to_owned))
                .unwrap_or_default()
        };
        if let Some((seen, token)) = self.csrf_cache.lock().unwrap().as_ref()
            && *seen == cookies(&self.jar)
        {
            return token.clone();
        }
        for path in ["/signin", "/account"] {
            let response = self.get(path).await;
            if response.status() != 200 {
                continue;
            }
            let html = response.text().await.expect("page");
            let token = page_csrf(&html).expect("the page carries a CSRF token");
            *self.csrf_cache.lock().unwrap() = Some((cookies(&self.jar), token.clone()));
            return token;
        }
        panic!("neither /signin nor /account shows a CSRF token");
    }

    pub async fn get(&self, path: &str) -> Response {
        self.http
            .get(self.server.url(path))
            .send()
            .await
            .expect("request")
    }

    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> Response {
        let csrf = self.csrf().await;
        let mut all: Vec<(&str, &str)> = fields.to_vec();
        all.push(("csrf", &csrf));
        self.http
            .post(self.server.url(path))
            .form(&all)
            .send()
            .await
            .expect("request")
    }

    /// A request with the session cookie and the CSRF header, as htmx sends.
    pub async fn post_body(&self, path: &str, content_type: &str, body: String) -> Response {
        let csrf = self.csrf().await;
        self.http
            .post(self.server.url(path))
            .header("content-type", content_type)
            .header("x-csrf-token", csrf)
            .body(body)
            .send()
            .await
            .expect("request")
    }

    pub async fn sign_in(&self, username: &str) -> Response {
        let password = self.server.password(username).to_owned();
        let response = self
            .post_form(
                "/signin",
                &[("username", username), ("password", &password)],
            )
            .await;
        assert_eq!(response.status(), 303, "{username} signs in");
        response
    }
}

/// The CSRF token in a page's htmx headers.
pub fn page_csrf(html: &str) -> Option<String> {
    let start = html.find(r#""X-CSRF-Token": ""#)? + r#""X-CSRF-Token": ""#.len();
    let token = &html[start..start + html[start..].find('"')?];
    (!token.is_empty()).then(|| token.to_owned())
}

pub async fn server(backend: Backend) -> TestServer {
    spawn(backend).await
}

/// The demo SaaS provider's service and statement ids.
pub async fn saas_ids(server: &TestServer) -> (i64, i64) {
    let services = ismap_store::services::list(&server.db, None).await.unwrap();
    let saas = services
        .iter()
        .find(|s| s.model == ismap_domain::ServiceModel::SaaS)
        .expect("demo SaaS");
    let statement = ismap_store::statements::of_service(&server.db, saas.id)
        .await
        .unwrap()[0]
        .id;
    (saas.id, statement)
}

/// The repository's valid example statement, dated today as the demo dates
/// it: the IaaS it inherits from is registered relative to today, and rule
/// S7 checks that registration on the statement's date.
pub fn example_statement() -> String {
    ismap_web::demo::example_statement_dated(ismap_web::today())
}

/// The example's date line.
pub fn example_date_line() -> String {
    format!("date: {}", ismap_web::today())
}

impl Client<'_> {
    /// A multipart form as htmx sends it: the CSRF token in the header.
    pub async fn post_multipart(&self, path: &str, form: reqwest::multipart::Form) -> Response {
        let csrf = self.csrf().await;
        self.http
            .post(self.server.url(path))
            .header("x-csrf-token", csrf)
            .header("hx-request", "true")
            .multipart(form)
            .send()
            .await
            .expect("request")
    }
}

/// An evidence upload: a small PDF for `control`.
pub fn evidence_form(control: &str, name: &str, bytes: Vec<u8>) -> reqwest::multipart::Form {
    reqwest::multipart::Form::new()
        .text("control", control.to_owned())
        .text("note", "sampled access review")
        .part(
            "file",
            reqwest::multipart::Part::bytes(bytes)
                .file_name(name.to_owned())
                .mime_str("application/pdf")
                .unwrap(),
        )
}

pub const PDF: &[u8] =
    b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n";

/// Ids of the audit objects the demo provider and auditor made.
pub struct AuditIds {
    pub engagement: i64,
    pub audit_org: i64,
    pub saas_org: i64,
}

/// The SaaS provider freezes its statement (when still a draft) and asks
/// the demo audit organization for an audit of `scope` (`full`,
/// `multi_year`, `liu`), year `cycle.0` of `cycle.1`, over `period` (start,
/// end); nobody is assigned yet. Everything over HTTP; returns the
/// engagement.
pub async fn requested_engagement(
    server: &TestServer,
    scope: &str,
    cycle: (u8, u8),
    period: (&str, &str),
) -> i64 {
    let (_, statement) = saas_ids(server).await;
    let admin = Client::new(server);
    admin.sign_in("saas-admin").await;
    let stored = ismap_store::statements::get(&server.db, statement)
        .await
        .unwrap();
    if stored.status != "frozen" {
        let frozen = admin
            .post_body(
                &format!(
                    "/api/v1/statements/{statement}/freeze?based_on={}",
                    stored.latest_revision
                ),
                "application/json",
                String::new(),
            )
            .await;
        assert_eq!(frozen.status(), 200, "{}", frozen.text().await.unwrap());
    }
    let audit_org = ismap_store::orgs::list(&server.db)
        .await
        .unwrap()
        .iter()
        .find(|o| o.kind == ismap_domain::OrgKind::AuditOrg)
        .unwrap()
        .id;
    let created = admin
        .post_form(
            "/engagements",
            &[
                ("statement_id", &statement.to_string()),
                ("audit_organization_id", &audit_org.to_string()),
                ("period_start", period.0),
                ("period_end", period.1),
                ("scope", scope),
                ("cycle_year", &cycle.0.to_string()),
                ("cycle_years", &cycle.1.to_string()),
            ],
        )
        .await;
    assert_eq!(created.status(), 303, "{}", created.text().await.unwrap());
    let location = created.headers()["location"].to_str().unwrap().to_owned();
    location.rsplit('/').next().unwrap().parse().unwrap()
}

/// [`requested_engagement`], then the manager assigns the auditor.
pub async fn assigned_engagement(
    server: &TestServer,
    scope: &str,
    cycle: (u8, u8),
    period: (&str, &str),
) -> i64 {
    let engagement = requested_engagement(server, scope, cycle, period).await;
    let manager = Client::new(server);
    manager.sign_in("audit-manager").await;
    let auditor_id = ismap_store::users::find_for_sign_in(&server.db, "auditor")
        .await
        .unwrap()
        .unwrap()
        .0
        .id;
    let assigned = manager
        .post_form(
            &format!("/engagements/{engagement}/auditors"),
            &[("user_id", &auditor_id.to_string())],
        )
        .await;
    assert_eq!(assigned.status(), 303);
    engagement
}

/// A full-scope engagement of the demo SaaS over 2025-04-01..2026-03-31,
/// the auditor assigned (see [`assigned_engagement`]).
pub async fn engaged(server: &TestServer) -> AuditIds {
    let engagement =
        assigned_engagement(server, "full", (1, 1), ("2025-04-01", "2026-03-31")).await;
    let (_, statement) = saas_ids(server).await;
    let audit_org = ismap_store::orgs::list(&server.db)
        .await
        .unwrap()
        .iter()
        .find(|o| o.kind == ismap_domain::OrgKind::AuditOrg)
        .unwrap()
        .id;
    let saas_org = ismap_store::statements::get(&server.db, statement)
        .await
        .unwrap()
        .organization_id;
    AuditIds {
        engagement,
        audit_org,
        saas_org,
    }
}

/// An issued implementation result report for the demo SaaS (issue 14):
/// an engagement as [`assigned_engagement`] makes it, whose auditor marks
/// every control in the year's scope conforming (the bulk form) and issues
/// the report. Everything over HTTP; returns the engagement.
pub async fn issued_report(
    server: &TestServer,
    scope: &str,
    cycle: (u8, u8),
    period: (&str, &str),
) -> i64 {
    let engagement = assigned_engagement(server, scope, cycle, period).await;
    let auditor = Client::new(server);
    auditor.sign_in("auditor").await;
    let detail: serde_json::Value = auditor
        .get(&format!("/api/v1/engagements/{engagement}"))
        .await
        .json()
        .await
        .unwrap();
    let controls: Vec<String> = detail["controls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| format!("{}@0", c["id"].as_str().unwrap()))
        .collect();
    for chunk in controls.chunks(50) {
        let mut fields: Vec<(&str, &str)> = chunk.iter().map(|c| ("control", c.as_str())).collect();
        fields.push(("performed", "inspection"));
        let saved = auditor
            .post_form(&format!("/engagements/{engagement}/results"), &fields)
            .await;
        assert_eq!(saved.status(), 303, "{}", saved.text().await.unwrap());
    }
    let issued = auditor
        .post_form(&format!("/engagements/{engagement}/reports"), &[])
        .await;
    assert_eq!(issued.status(), 303);
    engagement
}
