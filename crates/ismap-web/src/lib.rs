//! The ismap portal: pages for people, a JSON API for programs, one policy
//! for both. `ismap serve` builds [`AppState`] and calls [`serve`].

pub mod api;
pub mod assets;
pub mod audit_ops;
pub mod auth;
pub mod clock;
pub mod demo;
pub mod demo_agency;
pub mod error;
pub mod links;
pub mod list_cache;
pub mod notify_mail;
pub mod oidc;
pub mod pages;
pub mod password;
pub mod policy;
pub mod registry_cache;
pub mod routes;
pub mod scheduler;
pub mod server;
pub mod signin;
pub mod statement_ops;
pub mod testing;
mod text;
pub mod uploads;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderName, HeaderValue, Request, header};
use ismap_domain::Catalog;
use ismap_formats::bundled::bundled_catalogs;
use ismap_store::{Actor, Db, catalogs};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::RequestBodyTimeoutLayer;
use tower_http::trace::TraceLayer;

/// Deployment settings (flags and `ISMAP_*` variables of `ismap serve`).
#[derive(Clone, Debug)]
pub struct Config {
    /// Mark cookies Secure (set when the portal is served over HTTPS).
    pub secure_cookies: bool,
    /// How long a sign-in lasts.
    pub session_hours: i64,
    /// Sign-in attempts an (account, source address) pair gets before its
    /// exponential back-off starts (`signin_backoff_seconds`).
    pub max_failures: i64,
    /// The window of the per-address and per-account caps.
    pub lockout_minutes: i64,
    /// Failed sign-ins from one address (all accounts) per `lockout_minutes`.
    pub max_failures_per_address: i64,
    /// Failed sign-ins at one account (all addresses) per `lockout_minutes`.
    pub max_failures_per_account: i64,
    /// First back-off of an (account, address) pair after `max_failures`;
    /// it doubles with each further failure, up to an hour.
    pub signin_backoff_seconds: i64,
    /// Reverse proxies whose `X-Forwarded-For` is believed: sign-in
    /// throttling counts the address they report instead of theirs.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Largest request body accepted.
    pub max_body_bytes: usize,
    /// The address people use to reach the portal, e.g.
    /// `https://ismap.example.jp` (OpenID Connect redirects come back there).
    pub public_url: String,
    /// OpenID Connect sign-in (e.g. GビズID), when configured.
    pub oidc: Option<oidc::OidcConfig>,
    /// More catalog packs (file name, text) to store at start, besides the
    /// bundled ones; a stored version is never replaced.
    pub packs: Vec<(String, String)>,
    /// Wraps every organization's file key. Without it, uploads are refused.
    pub master_key: Option<ismap_store::vault::MasterKey>,
    /// Largest evidence file accepted.
    pub max_upload_bytes: usize,
    /// Largest statement revision stored (its text as saved), default 2 MiB.
    pub max_statement_bytes: usize,
    /// Statement writes (saves, imports, new statements) one user may make
    /// a minute on average, default 120; 0 turns the limit off.
    pub statement_writes_per_minute: u32,
    /// Statement writes one user may make in a row before the average
    /// applies, default 400.
    pub statement_write_burst: u32,
    /// Connection cap and timeouts for slow or idle clients.
    pub connections: server::ConnectionLimits,
    /// The programme's start, from which the interim measure of a service
    /// already in use then is counted (issue 15; the project's reading of
    /// the seeds' "June 2020", `ismap serve --programme-start`).
    pub programme_start: chrono::NaiveDate,
    /// Run the daily checks ([`scheduler`]) inside the server (issue 15).
    /// `ismap serve` turns it on; tests call `scheduler::run_daily` instead.
    pub run_scheduler: bool,
    /// E-mail of notifications (SMTP, or the demo's Maildir); none: no mail.
    pub mail: Option<notify_mail::MailConfig>,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            secure_cookies: false,
            session_hours: 12,
            max_failures: 5,
            lockout_minutes: 15,
            max_failures_per_address: 30,
            max_failures_per_account: 100,
            signin_backoff_seconds: 60,
            trusted_proxies: Vec::new(),
            max_body_bytes: 8 * 1024 * 1024,
            public_url: "http://127.0.0.1:8080".into(),
            oidc: None,
            packs: Vec::new(),
            master_key: None,
            max_upload_bytes: 20 * 1024 * 1024,
            max_statement_bytes: 2 * 1024 * 1024,
            statement_writes_per_minute: 120,
            statement_write_burst: 400,
            connections: server::ConnectionLimits::default(),
            programme_start: ismap_domain::interim::DEFAULT_PROGRAMME_START,
            run_scheduler: false,
            mail: None,
        }
    }
}

/// The portal's date for validity, terms and expiry warnings: Japan's.
pub fn today() -> chrono::NaiveDate {
    ismap_domain::validity::today_in_japan()
}

/// What every request handler shares.
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub catalogs: Arc<Vec<Catalog>>,
    pub config: Arc<Config>,
    pub oidc: Arc<oidc::OidcState>,
    /// Each catalog's JSON export, serialized once: catalogs never change
    /// while the process runs, and the API serves them often.
    pub catalog_json: Arc<std::collections::HashMap<String, axum::body::Bytes>>,
    /// Answers of the public lists, kept while the data does not change.
    pub lists: Arc<list_cache::ListCache>,
    /// The registry statement rule S7 checks against, kept likewise.
    pub registry: Arc<registry_cache::RegistryCache>,
    /// Signs CSRF tokens (stored in the database, shared by all processes).
    pub form_key: auth::FormKey,
    /// Each user's budget of statement writes (see `Config`).
    pub statement_writes: Arc<statement_ops::WriteLimiter>,
    /// Today and now for deadlines (tests move it forward).
    pub clock: clock::Clock,
}

impl AppState {
    /// Stores the bundled catalogs on first start, then loads every stored
    /// catalog (all processes build the same ones from the database).
    pub async fn load(db: Db, config: Config) -> Result<AppState, ismap_store::StoreError> {
        let system = Actor::system("ismap serve");
        for (file, pack) in ismap_formats::bundled::bundled_packs() {
            catalogs::store(&db, &system, file, pack).await?;
        }
        for (file, pack) in &config.packs {
            catalogs::store(&db, &system, file, pack).await?;
        }
        debug_assert!(!bundled_catalogs().is_empty());
        let catalogs = catalogs::all(&db).await?;
        let form_key = auth::FormKey::load(&db).await?;
        let catalog_json = catalogs
            .iter()
            .map(|c| {
                let json = ismap_formats::catalog_export::to_json(c).to_string();
                (c.id().to_owned(), axum::body::Bytes::from(json))
            })
            .collect();
        Ok(AppState {
            db,
            catalog_json: Arc::new(catalog_json),
            catalogs: Arc::new(catalogs),
            config: Arc::new(config),
            oidc: Arc::default(),
            lists: Arc::default(),
            registry: Arc::default(),
            form_key,
            statement_writes: Arc::default(),
            clock: clock::Clock::default(),
        })
    }

    pub fn catalog(&self, id: &str) -> Option<&Catalog> {
        self.catalogs.iter().find(|c| c.id() == id)
    }

    /// The catalog shown when none is named: the bundled default.
    pub fn default_catalog(&self) -> &Catalog {
        self.catalog(ismap_formats::bundled::ISMAP_2022_EXCERPT)
            .or_else(|| self.catalogs.first())
            .expect("at least the bundled catalog is stored")
    }
}

/// The whole application: every route, the authentication middleware, and
/// the layers for request ids, logs, body limits and security headers.
pub fn app(state: AppState) -> Router {
    app_with(state, Router::new())
}

/// [`app`] with `extra` routes behind the same layers (tests add a handler
/// that panics, to show the catch-panic layer keeps the server up).
pub fn app_with(state: AppState, extra: Router<AppState>) -> Router {
    let hsts = state.config.secure_cookies || state.config.public_url.starts_with("https://");
    let body_timeout = state.config.connections.request_body_timeout;
    let request_id = HeaderName::from_static("x-request-id");
    // Uploads may be larger than forms; their own limit is checked per file.
    let limit = state
        .config
        .max_body_bytes
        .max(state.config.max_upload_bytes + 64 * 1024);
    // Failures are presented (error page, htmx fragment, sign-in redirect)
    // inside the authentication middleware, knowing who asks and in which
    // language, and again outside it for its own refusals.
    let router = routes::table()
        .router
        .merge(extra)
        .fallback(error::not_found)
        .layer(axum::middleware::from_fn(error::present_failures))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::authenticate,
        ))
        .layer(axum::middleware::from_fn(error::present_failures))
        .with_state(state)
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(axum::extract::DefaultBodyLimit::max(limit))
        .layer(RequestBodyLimitLayer::new(limit))
        .layer(RequestBodyTimeoutLayer::new(body_timeout));
    // Browsers remember HSTS for the host: only when the portal is
    // really served over HTTPS.
    let router = if hsts {
        router.layer(SetResponseHeaderLayer::if_not_present(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        ))
    } else {
        router
    };
    router
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'",
            ),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(
            TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
                let id = request
                    .headers()
                    .get("x-request-id")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("-");
                tracing::info_span!("request", method = %request.method(), path = %request.uri().path(), request_id = %id)
            }),
        )
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
}

/// A handler that panicked answers 500 with a problem document; the
/// process and every other request go on.
fn panic_response(panic: Box<dyn std::any::Any + Send + 'static>) -> axum::response::Response {
    let message = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("(no message)");
    axum::response::IntoResponse::into_response(error::ApiError(error::Failure::Internal(format!(
        "handler panicked: {message}"
    ))))
}

/// Serves `app` on `listener` until Ctrl-C or SIGTERM, then finishes the
/// requests under way (graceful shutdown, bounded by the grace period).
pub async fn serve(listener: tokio::net::TcpListener, state: AppState) -> std::io::Result<()> {
    serve_with(listener, state, Router::new()).await
}

/// [`serve`] with extra routes (see [`app_with`]).
pub async fn serve_with(
    listener: tokio::net::TcpListener,
    state: AppState,
    extra: Router<AppState>,
) -> std::io::Result<()> {
    let purge_db = state.db.clone();
    let lockout = state.config.lockout_minutes;
    tokio::spawn(async move {
        loop {
            let before = (chrono::Utc::now() - chrono::Duration::minutes(lockout))
                .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
            if let Err(error) = ismap_store::sessions::purge_expired(&purge_db, &before).await {
                tracing::warn!(%error, "purging expired sessions failed");
            }
            tokio::time::sleep(Duration::from_secs(600)).await;
        }
    });
    // Issue 15 (notify): the daily checks and the e-mail queue.
    if state.config.run_scheduler {
        tokio::spawn(scheduler::run(state.clone()));
    }
    if let Some(mail) = state.config.mail.clone() {
        tokio::spawn(notify_mail::run(state.clone(), mail));
    }
    let limits = state.config.connections;
    server::run(listener, app_with(state, extra), limits, shutdown_signal()).await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut signal) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            signal.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
