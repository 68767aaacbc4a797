//! Statements (言明書) and their revisions. A save never changes what was
//! saved before: it adds revision n+1 (the database refuses updates and
//! deletes of revisions).

use serde_json::json;
use sqlx::{Row, any::AnyRow};

use crate::events::{self, Actor, NewEvent};
use crate::{Db, Result, StoreError, now};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatementRecord {
    pub id: i64,
    pub service_id: i64,
    pub organization_id: i64,
    pub catalog_id: String,
    pub status: String,
    pub created_at: String,
    pub latest_revision: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Revision {
    pub statement_id: i64,
    pub number: i64,
    /// The statement file (JSON form of the contract).
    pub content: String,
    pub comment: String,
    pub errors: i64,
    pub warnings: i64,
    pub created_at: String,
    pub created_by: Option<i64>,
}

/// A revision to save, with the validation counts it had when saved.
pub struct NewRevision<'a> {
    pub content: &'a str,
    pub comment: &'a str,
    pub errors: i64,
    pub warnings: i64,
}

const SELECT: &str = "SELECT st.id, st.service_id, sv.organization_id, st.catalog_id, st.status, st.created_at, \
    (SELECT MAX(r.number) FROM statement_revisions r WHERE r.statement_id = st.id) AS latest \
    FROM statements st JOIN services sv ON sv.id = st.service_id";

fn from_row(row: &AnyRow) -> Result<StatementRecord> {
    Ok(StatementRecord {
        id: row.try_get("id")?,
        service_id: row.try_get("service_id")?,
        organization_id: row.try_get("organization_id")?,
        catalog_id: row.try_get("catalog_id")?,
        status: row.try_get("status")?,
        created_at: row.try_get("created_at")?,
        latest_revision: row.try_get::<Option<i64>, _>("latest")?.unwrap_or(0),
    })
}

fn revision_from_row(row: &AnyRow) -> Result<Revision> {
    Ok(Revision {
        statement_id: row.try_get("statement_id")?,
        number: row.try_get("number")?,
        content: row.try_get("content")?,
        comment: row.try_get("comment")?,
        errors: row.try_get("errors")?,
        warnings: row.try_get("warnings")?,
        created_at: row.try_get("created_at")?,
        created_by: row.try_get("created_by")?,
    })
}

/// Creates a statement for a service with its first revision.
pub async fn create(
    db: &Db,
    actor: &Actor,
    service_id: i64,
    organization_id: i64,
    catalog_id: &str,
    first: NewRevision<'_>,
) -> Result<StatementRecord> {
    let mut tx = db.begin().await?;
    let row = sqlx::query(
        "INSERT INTO statements (service_id, catalog_id, status, created_at, created_by) \
         VALUES ($1, $2, 'draft', $3, $4) RETURNING id",
    )
    .bind(service_id)
    .bind(catalog_id)
    .bind(now())
    .bind(actor.user_id)
    .fetch_one(&mut *tx)
    .await?;
    let id: i64 = row.try_get("id")?;
    events::record(
        &mut tx,
        NewEvent {
            actor,
            action: "statement.create",
            object_type: "statement",
            object_id: id.to_string(),
            organization_id: Some(organization_id),
            before: None,
            after: Some(json!({ "service_id": service_id, "catalog": catalog_id })),
            reason: "",
        },
    )
    .await?;
    insert_revision(&mut tx, actor, id, organization_id, 1, &first).await?;
    tx.commit().await?;
    get(db, id).await
}

async fn insert_revision(
    conn: &mut sqlx::AnyConnection,
    actor: &Actor,
    statement_id: i64,
    organization_id: i64,
    number: i64,
    revision: &NewRevision<'_>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO statement_revisions (statement_id, number, content, comment, errors, warnings, created_at, created_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(statement_id)
    .bind(number)
    .bind(revision.content)
    .bind(revision.comment)
    .bind(revision.errors)
    .bind(revision.warnings)
    .bind(now())
    .bind(actor.user_id)
    .execute(&mut *conn)
    .await
    .map_err(|e| match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => StoreError::Conflict(format!(
            "revision {number} of statement {statement_id} was saved by someone else meanwhile; reload and save again"
        )),
        _ => StoreError::Database(e),
    })?;
    events::record(
        conn,
        NewEvent {
            actor,
            action: "statement.revise",
            object_type: "statement",
            object_id: statement_id.to_string(),
            organization_id: Some(organization_id),
            before: None,
            after: Some(json!({ "revision": number, "errors": revision.errors, "warnings": revision.warnings })),
            reason: revision.comment,
        },
    )
    .await
}

/// The one check every write of a statement goes through: only a draft
/// changes. Written as an update of the statement's row, so that it takes
/// the row's lock (PostgreSQL) inside the caller's transaction: a freeze
/// committed meanwhile is seen, and a freeze under way waits for this
/// transaction to end.
async fn lock_draft(conn: &mut sqlx::AnyConnection, statement_id: i64) -> Result<()> {
    let changed =
        sqlx::query("UPDATE statements SET status = status WHERE id = $1 AND status = 'draft'")
            .bind(statement_id)
            .execute(&mut *conn)
            .await?
            .rows_affected();
    if changed == 1 {
        return Ok(());
    }
    let row = sqlx::query("SELECT status FROM statements WHERE id = $1")
        .bind(statement_id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("statement {statement_id}")))?;
    let status: String = row.try_get("status")?;
    Err(StoreError::Conflict(frozen_message(statement_id, &status)))
}

/// Why a statement that is not a draft refuses a change.
pub fn frozen_message(statement_id: i64, status: &str) -> String {
    format!(
        "statement {statement_id} is {status}: only a draft changes; start a new statement (upgrade) to change it"
    )
}

async fn latest_number(conn: &mut sqlx::AnyConnection, statement_id: i64) -> Result<i64> {
    let latest: Option<i64> =
        sqlx::query("SELECT MAX(number) AS n FROM statement_revisions WHERE statement_id = $1")
            .bind(statement_id)
            .fetch_one(&mut *conn)
            .await?
            .try_get("n")?;
    Ok(latest.unwrap_or(0))
}

/// Saves revision `based_on + 1` of a draft. Fails with a conflict if the
/// statement is frozen, or if someone saved another revision after
/// `based_on`, so no save silently overwrites another. Every path that
/// writes a statement (API, editor, import, bulk, risks, details) ends here.
pub async fn add_revision(
    db: &Db,
    actor: &Actor,
    statement: &StatementRecord,
    based_on: i64,
    revision: NewRevision<'_>,
) -> Result<Revision> {
    let mut tx = db.begin().await?;
    lock_draft(&mut tx, statement.id).await?;
    let latest = latest_number(&mut tx, statement.id).await?;
    if latest != based_on {
        return Err(StoreError::Conflict(format!(
            "the statement is at revision {latest}, not {based_on}; reload and save again"
        )));
    }
    let number = based_on + 1;
    insert_revision(
        &mut tx,
        actor,
        statement.id,
        statement.organization_id,
        number,
        &revision,
    )
    .await?;
    tx.commit().await?;
    revision_at(db, statement.id, number).await
}

/// Moves a statement to `status` (draft → frozen when ready for audit),
/// recording who, when and why.
pub async fn set_status(
    db: &Db,
    actor: &Actor,
    statement: &StatementRecord,
    status: &str,
    reason: &str,
) -> Result<StatementRecord> {
    if status == statement.status {
        return Err(StoreError::Conflict(format!(
            "statement {} is already {status}",
            statement.id
        )));
    }
    let mut tx = db.begin().await?;
    let changed = sqlx::query("UPDATE statements SET status = $1 WHERE id = $2 AND status = $3")
        .bind(status)
        .bind(statement.id)
        .bind(&statement.status)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if changed == 0 {
        return Err(StoreError::Conflict(format!(
            "statement {} is no longer {}; reload it",
            statement.id, statement.status
        )));
    }
    // The status is decided for the revision the caller checked: a revision
    // saved meanwhile (its transaction held the row) makes this one stale.
    let latest = latest_number(&mut tx, statement.id).await?;
    if latest != statement.latest_revision {
        return Err(StoreError::Conflict(format!(
            "the statement is at revision {latest}, not {}; reload it",
            statement.latest_revision
        )));
    }
    events::record(
        &mut tx,
        NewEvent {
            actor,
            action: "statement.status",
            object_type: "statement",
            object_id: statement.id.to_string(),
            organization_id: Some(statement.organization_id),
            before: Some(json!({ "status": statement.status })),
            after: Some(json!({ "status": status, "revision": statement.latest_revision })),
            reason,
        },
    )
    .await?;
    tx.commit().await?;
    get(db, statement.id).await
}

pub async fn get(db: &Db, id: i64) -> Result<StatementRecord> {
    let row = sqlx::query(&format!("{SELECT} WHERE st.id = $1"))
        .bind(id)
        .fetch_optional(&db.pool)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("statement {id}")))?;
    from_row(&row)
}

pub async fn of_service(db: &Db, service_id: i64) -> Result<Vec<StatementRecord>> {
    let rows = sqlx::query(&format!("{SELECT} WHERE st.service_id = $1 ORDER BY st.id"))
        .bind(service_id)
        .fetch_all(&db.pool)
        .await?;
    rows.iter().map(from_row).collect()
}

pub async fn revision_at(db: &Db, statement_id: i64, number: i64) -> Result<Revision> {
    let row = sqlx::query(
        "SELECT statement_id, number, content, comment, errors, warnings, created_at, created_by \
         FROM statement_revisions WHERE statement_id = $1 AND number = $2",
    )
    .bind(statement_id)
    .bind(number)
    .fetch_optional(&db.pool)
    .await?
    .ok_or_else(|| {
        StoreError::NotFound(format!("revision {number} of statement {statement_id}"))
    })?;
    revision_from_row(&row)
}

/// Revisions without their content, newest first.
pub async fn revisions(db: &Db, statement_id: i64) -> Result<Vec<Revision>> {
    let rows = sqlx::query(
        "SELECT statement_id, number, '' AS content, comment, errors, warnings, created_at, created_by \
         FROM statement_revisions WHERE statement_id = $1 ORDER BY number DESC",
    )
    .bind(statement_id)
    .fetch_all(&db.pool)
    .await?;
    rows.iter().map(revision_from_row).collect()
}
