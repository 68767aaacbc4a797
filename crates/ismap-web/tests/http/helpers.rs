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
}

impl<'a> Client<'a> {
    pub fn new(server: &'a TestServer) -> Client<'a> {
        let jar = Arc::new(Jar::default());
        let http = reqwest::Client::builder()
            .cookie_provider(jar.clone())
            .redirect(redirect::Policy::none())
            .build()
            .expect("client builds");
        Client { server, http, jar }
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

    /// The CSRF token, fetching a page first if no cookie is set yet.
    pub async fn csrf(&self) -> String {
        if let Some(token) = self.cookie("ismap_csrf") {
            return token;
        }
        self.get("/signin").await;
        self.cookie("ismap_csrf")
            .expect("the portal sets a CSRF cookie")
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

pub const EXAMPLE_STATEMENT: &str = include_str!("../../../../examples/saas-valid.yaml");
