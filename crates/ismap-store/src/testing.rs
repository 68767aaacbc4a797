//! Fresh databases for tests: a new SQLite file, or a new PostgreSQL
//! database on the server named by `ISMAP_TEST_POSTGRES` (default
//! `postgres://postgres@127.0.0.1:5432/test`). Tests fail, never skip, when
//! PostgreSQL cannot be reached.

use std::sync::Once;
use std::sync::atomic::{AtomicU32, Ordering};

use sqlx::{Connection, Row};

use crate::{Backend, Db};

const DEFAULT_POSTGRES: &str = "postgres://postgres@127.0.0.1:5432/test";
const PREFIX: &str = "ismap_t_";

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// The admin URL used to create test databases.
pub fn postgres_admin_url() -> String {
    std::env::var("ISMAP_TEST_POSTGRES").unwrap_or_else(|_| DEFAULT_POSTGRES.to_owned())
}

fn unique_name() -> String {
    format!(
        "{PREFIX}{}_{}_{:08x}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst),
        rand_u32()
    )
}

fn rand_u32() -> u32 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    nanos ^ (COUNTER.load(Ordering::SeqCst).wrapping_mul(2654435761))
}

/// A migrated database of the given backend, private to the caller. The
/// SQLite file lives in `dir`.
pub async fn fresh(backend: Backend, dir: &std::path::Path) -> Db {
    let url = match backend {
        Backend::Sqlite => format!("sqlite://{}/{}.db", dir.display(), unique_name()),
        Backend::Postgres => create_postgres_database().await,
    };
    let db = Db::connect(&url)
        .await
        .unwrap_or_else(|e| panic!("cannot connect to the test database {url}: {e}"));
    db.migrate().await.expect("migrations run");
    db
}

/// The URL of a new, empty PostgreSQL database.
pub async fn create_postgres_database() -> String {
    sqlx::any::install_default_drivers();
    let admin = postgres_admin_url();
    let mut conn = sqlx::AnyConnection::connect(&admin).await.unwrap_or_else(|e| {
        panic!(
            "PostgreSQL tests need a server at {admin} (set ISMAP_TEST_POSTGRES to change it): {e}"
        )
    });
    static CLEANUP: Once = Once::new();
    let mut first = false;
    CLEANUP.call_once(|| first = true);
    if first {
        drop_leftovers(&mut conn).await;
    }
    let name = unique_name();
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
        .unwrap_or_else(|e| panic!("cannot create test database {name}: {e}"));
    let base = admin
        .rsplit_once('/')
        .map_or(admin.as_str(), |(base, _)| base);
    format!("{base}/{name}")
}

/// Drops test databases left by processes that are no longer running.
async fn drop_leftovers(conn: &mut sqlx::AnyConnection) {
    let Ok(rows) = sqlx::query("SELECT datname FROM pg_database WHERE datname LIKE 'ismap_t_%'")
        .fetch_all(&mut *conn)
        .await
    else {
        return;
    };
    for row in rows {
        let Ok(name) = row.try_get::<String, _>("datname") else {
            continue;
        };
        let pid = name[PREFIX.len()..].split('_').next().unwrap_or("");
        if !std::path::Path::new(&format!("/proc/{pid}")).exists() {
            let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut *conn)
                .await;
        }
    }
}

/// Both backends, for tests that must pass on each.
pub const BACKENDS: [Backend; 2] = [Backend::Sqlite, Backend::Postgres];
