//! A real portal for tests: a fresh database (SQLite file or PostgreSQL
//! database), the demo world seeded, the server on a random port.

use ismap_store::testing::fresh;
use ismap_store::{Backend, Db};

use crate::demo::{self, DemoUser};
use crate::{AppState, Config};

pub struct TestServer {
    /// `http://127.0.0.1:PORT`
    pub base: String,
    pub db: Db,
    pub accounts: Vec<DemoUser>,
    /// The server's clock: `server.clock.advance_days(n)` moves its today.
    pub clock: crate::clock::Clock,
    /// The server's state (issue 15: tests call `scheduler::run_daily` and
    /// `notify_mail::deliver_pending` with it).
    pub state: AppState,
    /// Keeps the SQLite file alive for the test's duration.
    _dir: tempfile::TempDir,
}

impl TestServer {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn password(&self, username: &str) -> &str {
        &self
            .accounts
            .iter()
            .find(|a| a.username == username)
            .unwrap_or_else(|| panic!("no demo account {username}"))
            .password
    }
}

/// Starts the portal with the demo world on `backend`.
pub async fn spawn(backend: Backend) -> TestServer {
    spawn_with(backend, Config::default()).await
}

/// Like [`spawn`] with settings; `public_url` is set to the server's address.
pub async fn spawn_with(backend: Backend, config: Config) -> TestServer {
    spawn_with_routes(backend, config, axum::Router::new()).await
}

/// Like [`spawn_with`], with `extra` routes behind the portal's layers.
pub async fn spawn_with_routes(
    backend: Backend,
    mut config: Config,
    extra: axum::Router<AppState>,
) -> TestServer {
    let dir = tempfile::tempdir().expect("temporary directory");
    let db = fresh(backend, dir.path()).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a free port");
    let base = format!("http://{}", listener.local_addr().expect("bound"));
    config.public_url = base.clone();
    if config.master_key.is_none() {
        config.master_key = Some(ismap_store::vault::MasterKey::generate());
    }
    let state = AppState::load(db.clone(), config)
        .await
        .expect("catalogs load");
    let accounts = demo::prepare(&db, state.config.programme_start)
        .await
        .expect("demo seeds");
    let clock = state.clock.clone();
    let shared = state.clone();
    tokio::spawn(async move {
        crate::serve_with(listener, state, extra)
            .await
            .expect("server runs");
    });
    TestServer {
        base,
        db,
        accounts,
        clock,
        state: shared,
        _dir: dir,
    }
}
