//! Persistence for ismap: one repository layer over SQLite (the embedded
//! default) and PostgreSQL, through sqlx's `Any` driver. Queries are written
//! once in the SQL both accept; migrations are kept per backend.
//!
//! Every state change is written in the same transaction as its entry in the
//! append-only event log ([`events`]); the database itself refuses updates and
//! deletes of events and statement revisions (triggers in the migrations).

pub mod applications;
pub mod audit_orgs;
pub mod catalogs;
pub mod channel;
pub mod delegations;
pub mod doubts;
pub mod engagements;
pub mod events;
pub mod evidence_library;
pub mod files;
pub mod impact_assessments;
pub mod improvement;
pub mod inquiries;
pub mod interim;
pub mod internal_audits;
pub mod notices;
pub mod notifications;
pub mod operations_report;
pub mod orgs;
pub mod pre_applications;
pub mod private;
pub mod register;
pub mod registrations;
pub mod schedule;
pub mod services;
pub mod sessions;
pub mod special_measures;
pub mod statements;
pub mod status_requests;
pub mod testing;
pub mod users;
pub mod vault;

use std::path::Path;

use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::migrate::Migrator;
use sqlx::{Any, AnyPool, Transaction};

pub use events::{Actor, NewEvent};

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/postgres");

/// The database behind a [`Db`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    // No #[source]: the message already carries the cause, and error chains
    // would print it twice.
    #[error("database error: {0}")]
    Database(sqlx::Error),
    #[error("migration failed: {0}")]
    Migration(sqlx::migrate::MigrateError),
    #[error("{0} not found")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("unsupported database URL {0:?}; use sqlite://PATH or postgres://…")]
    UnsupportedUrl(String),
    #[error("cannot create the data directory {path}: {source}")]
    DataDir {
        path: String,
        source: std::io::Error,
    },
    /// The object existed but its content is gone for good (crypto-erasure).
    #[error("{0}")]
    Gone(String),
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
}

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> StoreError {
        StoreError::Database(error)
    }
}

impl From<sqlx::migrate::MigrateError> for StoreError {
    fn from(error: sqlx::migrate::MigrateError) -> StoreError {
        StoreError::Migration(error)
    }
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// A connection pool and the backend it talks to.
#[derive(Clone, Debug)]
pub struct Db {
    pub pool: AnyPool,
    pub backend: Backend,
}

impl Db {
    /// Connects to `url`: `sqlite://PATH` (the file and its folder are
    /// created on first start) or `postgres://…`.
    pub async fn connect(url: &str) -> Result<Db> {
        install_default_drivers();
        let (backend, url) = if let Some(path) = url.strip_prefix("sqlite://") {
            let file = path.split('?').next().unwrap_or(path);
            if file != ":memory:" && !file.is_empty() {
                if let Some(parent) = Path::new(file).parent()
                    && !parent.as_os_str().is_empty()
                {
                    private::create_dir(parent).map_err(|source| StoreError::DataDir {
                        path: parent.display().to_string(),
                        source,
                    })?;
                }
                // SQLite gives its -wal and -shm files the database file's
                // mode, so creating that one owner-only is enough.
                private::create_or_restrict_file(Path::new(file)).map_err(|source| {
                    StoreError::DataDir {
                        path: file.to_owned(),
                        source,
                    }
                })?;
            }
            let url = if path.contains('?') {
                url.to_owned()
            } else {
                format!("{url}?mode=rwc")
            };
            (Backend::Sqlite, url)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            (Backend::Postgres, url.to_owned())
        } else {
            return Err(StoreError::UnsupportedUrl(url.to_owned()));
        };
        let options = AnyPoolOptions::new().max_connections(match backend {
            // One writer at a time is SQLite's model; a few readers help pages.
            Backend::Sqlite => 4,
            Backend::Postgres => 16,
        });
        let pool = match backend {
            Backend::Sqlite => {
                options
                    .after_connect(|conn, _| {
                        Box::pin(async move {
                            // WAL lets readers proceed while one writer commits.
                            sqlx::query("PRAGMA journal_mode = WAL")
                                .execute(&mut *conn)
                                .await?;
                            sqlx::query("PRAGMA foreign_keys = ON")
                                .execute(&mut *conn)
                                .await?;
                            sqlx::query("PRAGMA busy_timeout = 5000")
                                .execute(&mut *conn)
                                .await?;
                            Ok(())
                        })
                    })
                    .connect(&url)
                    .await?
            }
            Backend::Postgres => options.connect(&url).await?,
        };
        Ok(Db { pool, backend })
    }

    /// Brings the schema up to date. Safe to run from several processes.
    pub async fn migrate(&self) -> Result<()> {
        match self.backend {
            Backend::Sqlite => {
                // Rebuilding a table others refer to (a CHECK change) needs
                // foreign keys off, which SQLite ignores inside the
                // transaction sqlx wraps each migration in; so they are off
                // for the run on this connection and checked afterwards.
                let mut conn = self.pool.acquire().await?;
                sqlx::query("PRAGMA foreign_keys = OFF")
                    .execute(&mut *conn)
                    .await?;
                let ran = SQLITE_MIGRATIONS.run(&mut *conn).await;
                sqlx::query("PRAGMA foreign_keys = ON")
                    .execute(&mut *conn)
                    .await?;
                ran?;
                let broken = sqlx::query("PRAGMA foreign_key_check")
                    .fetch_all(&mut *conn)
                    .await?;
                if !broken.is_empty() {
                    return Err(StoreError::Corrupt(format!(
                        "{} rows refer to rows that do not exist after migrating",
                        broken.len()
                    )));
                }
            }
            Backend::Postgres => POSTGRES_MIGRATIONS.run(&self.pool).await?,
        }
        // The folded search text of rows from before migration 0008.
        registrations::fill_search_text(self).await?;
        Ok(())
    }

    /// Checks that the database answers.
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// A write transaction. On SQLite it takes the write lock at BEGIN
    /// (`BEGIN IMMEDIATE`): a deferred transaction that reads and then writes
    /// fails at once with "database is locked" when another writer committed
    /// meanwhile, whereas an immediate one waits (busy_timeout) and then
    /// reads the state the other writer left, so concurrent conflicting
    /// moves end in one success and conflicts, never in errors.
    pub async fn begin(&self) -> Result<Transaction<'static, Any>> {
        Ok(match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        })
    }

    /// An online copy of an SQLite database (`VACUUM INTO`), consistent even
    /// while the server writes. PostgreSQL is backed up with pg_dump.
    pub async fn backup_sqlite(&self, to: &Path) -> Result<()> {
        if self.backend != Backend::Sqlite {
            return Err(StoreError::Conflict(
                "ismap backup copies SQLite databases; back up PostgreSQL with pg_dump (see docs/operations.md)".into(),
            ));
        }
        // VACUUM INTO fills an empty file: create it owner-only first, and
        // never overwrite an existing one.
        if let Err(error) = private::create_new_file(to) {
            return Err(if error.kind() == std::io::ErrorKind::AlreadyExists {
                StoreError::Conflict(format!(
                    "{} already exists; choose a new file name",
                    to.display()
                ))
            } else {
                StoreError::DataDir {
                    path: to.display().to_string(),
                    source: error,
                }
            });
        }
        sqlx::query("VACUUM INTO $1")
            .bind(to.display().to_string())
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

/// The current time as stored: UTC, RFC 3339 with milliseconds, so that text
/// order is time order on both backends.
pub fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// `flag` as stored (0/1 on both backends).
pub(crate) fn flag(value: bool) -> i64 {
    i64::from(value)
}

/// Reads a 0/1 column (computed flags are cast to BIGINT on both backends).
pub(crate) fn read_flag(row: &sqlx::any::AnyRow, column: &str) -> Result<bool> {
    use sqlx::Row;
    Ok(row.try_get::<i64, _>(column)? != 0)
}
