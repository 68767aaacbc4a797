//! Internal audits of ISMAP-LIU services (内部監査報告書, spec §7.4): what
//! the provider's internal audit covered, its results and its report file
//! (encrypted with the provider's key, [`crate::files`]), and IPA's record
//! that it checked the reports of an application.
//!
//! Records are append-only (the migration's triggers refuse rewrites): a
//! correction is a new record that amends the one it corrects, with the
//! reason; the corrected record is marked superseded, once, so of two
//! corrections of the same record made at the same moment one wins and the
//! other is a conflict. Every change is an event in the same transaction.

use chrono::NaiveDate;
use serde_json::json;
use sqlx::{AnyConnection, Row, any::AnyRow};

use crate::events::{self, Actor, NewEvent};
use crate::files::{self, NewFile, StoredFile};
use crate::vault::MasterKey;
use crate::{Db, Result, StoreError, now};

/// One internal audit as recorded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InternalAudit {
    pub id: i64,
    pub service_id: i64,
    pub organization_id: i64,
    pub audit_date: NaiveDate,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub auditor_name: String,
    pub auditor_department: String,
    pub results: String,
    pub findings: String,
    pub file: StoredFile,
    /// The control objectives it covered, in text order of their ids.
    pub objectives: Vec<String>,
    /// The record this one corrects, and why.
    pub amends: Option<i64>,
    pub amendment_reason: String,
    /// The record that corrects this one: this one no longer counts.
    pub superseded_by: Option<i64>,
    pub recorded_at: String,
    pub recorded_by: Option<i64>,
    /// The recording person's display name.
    pub recorded_by_name: Option<String>,
}

impl InternalAudit {
    /// Whether the record stands (no correction replaced it).
    pub fn is_current(&self) -> bool {
        self.superseded_by.is_none()
    }
}

/// What an internal audit record says (the file comes separately).
pub struct NewInternalAudit<'a> {
    pub service_id: i64,
    pub organization_id: i64,
    pub audit_date: NaiveDate,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub auditor_name: &'a str,
    pub auditor_department: &'a str,
    pub results: &'a str,
    pub findings: &'a str,
    /// Objective ids, checked against the catalog by the caller.
    pub objectives: &'a [String],
}

/// IPA's record that it checked an application's internal audit reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Check {
    pub id: i64,
    pub application_id: i64,
    /// The newest internal audit record of the service when it was checked.
    pub latest_audit_id: Option<i64>,
    pub note: String,
    pub checked_at: String,
    pub checked_by: Option<i64>,
    pub checker: String,
    pub checker_name: Option<String>,
}

const SELECT: &str = "SELECT a.id, a.service_id, a.organization_id, a.audit_date, a.period_start, \
    a.period_end, a.auditor_name, a.auditor_department, a.results, a.findings, a.file_id, a.amends, \
    a.amendment_reason, a.superseded_by, a.recorded_at, a.recorded_by, u.display_name AS recorded_by_name \
    FROM internal_audits a LEFT JOIN users u ON u.id = a.recorded_by";

fn date(row: &AnyRow, column: &str) -> Result<NaiveDate> {
    let text: String = row.try_get(column)?;
    text.parse()
        .map_err(|_| StoreError::Corrupt(format!("internal audit {column} {text:?}")))
}

async fn from_row(db: &Db, row: &AnyRow) -> Result<InternalAudit> {
    let id: i64 = row.try_get("id")?;
    let objectives = sqlx::query(
        "SELECT objective FROM internal_audit_objectives WHERE audit_id = $1 ORDER BY objective",
    )
    .bind(id)
    .fetch_all(&db.pool)
    .await?
    .iter()
    .map(|r| r.try_get("objective"))
    .collect::<std::result::Result<Vec<String>, _>>()?;
    Ok(InternalAudit {
        id,
        service_id: row.try_get("service_id")?,
        organization_id: row.try_get("organization_id")?,
        audit_date: date(row, "audit_date")?,
        period_start: date(row, "period_start")?,
        period_end: date(row, "period_end")?,
        auditor_name: row.try_get("auditor_name")?,
        auditor_department: row.try_get("auditor_department")?,
        results: row.try_get("results")?,
        findings: row.try_get("findings")?,
        file: files::get(db, row.try_get("file_id")?).await?,
        objectives,
        amends: row.try_get("amends")?,
        amendment_reason: row.try_get("amendment_reason")?,
        superseded_by: row.try_get("superseded_by")?,
        recorded_at: row.try_get("recorded_at")?,
        recorded_by: row.try_get("recorded_by")?,
        recorded_by_name: row.try_get("recorded_by_name")?,
    })
}

pub async fn get(db: &Db, id: i64) -> Result<InternalAudit> {
    let row = sqlx::query(&format!("{SELECT} WHERE a.id = $1"))
        .bind(id)
        .fetch_optional(&db.pool)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("internal audit {id}")))?;
    from_row(db, &row).await
}

/// Every record of a service, corrected ones included, newest first.
pub async fn of_service(db: &Db, service_id: i64) -> Result<Vec<InternalAudit>> {
    let rows = sqlx::query(&format!(
        "{SELECT} WHERE a.service_id = $1 ORDER BY a.id DESC"
    ))
    .bind(service_id)
    .fetch_all(&db.pool)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in &rows {
        out.push(from_row(db, row).await?);
    }
    Ok(out)
}

/// The services of an organization with at least one internal audit record.
pub async fn services_with_audits(db: &Db, organization_id: i64) -> Result<Vec<i64>> {
    sqlx::query(
        "SELECT DISTINCT service_id FROM internal_audits WHERE organization_id = $1 ORDER BY service_id",
    )
    .bind(organization_id)
    .fetch_all(&db.pool)
    .await?
    .iter()
    .map(|r| r.try_get("service_id").map_err(StoreError::from))
    .collect()
}

/// The newest record of a service (corrections included), if any.
pub async fn latest_id(db: &Db, service_id: i64) -> Result<Option<i64>> {
    latest_id_in(&mut *db.pool.acquire().await?, service_id).await
}

async fn latest_id_in(conn: &mut AnyConnection, service_id: i64) -> Result<Option<i64>> {
    let row = sqlx::query("SELECT MAX(id) AS latest FROM internal_audits WHERE service_id = $1")
        .bind(service_id)
        .fetch_one(&mut *conn)
        .await?;
    Ok(row.try_get("latest")?)
}

/// Inserts a record and its objectives; returns its id.
async fn insert(
    conn: &mut AnyConnection,
    actor: &Actor,
    new: &NewInternalAudit<'_>,
    file_id: i64,
    amends: Option<(i64, &str)>,
) -> Result<i64> {
    let row = sqlx::query(
        "INSERT INTO internal_audits (service_id, organization_id, audit_date, period_start, period_end, \
         auditor_name, auditor_department, results, findings, file_id, amends, amendment_reason, \
         recorded_at, recorded_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id",
    )
    .bind(new.service_id)
    .bind(new.organization_id)
    .bind(new.audit_date.to_string())
    .bind(new.period_start.to_string())
    .bind(new.period_end.to_string())
    .bind(new.auditor_name)
    .bind(new.auditor_department)
    .bind(new.results)
    .bind(new.findings)
    .bind(file_id)
    .bind(amends.map(|(id, _)| id))
    .bind(amends.map_or("", |(_, reason)| reason))
    .bind(now())
    .bind(actor.user_id)
    .fetch_one(&mut *conn)
    .await?;
    let id: i64 = row.try_get("id")?;
    let mut objectives: Vec<&String> = new.objectives.iter().collect();
    objectives.sort();
    objectives.dedup();
    for objective in objectives {
        sqlx::query("INSERT INTO internal_audit_objectives (audit_id, objective) VALUES ($1, $2)")
            .bind(id)
            .bind(objective.as_str())
            .execute(&mut *conn)
            .await?;
    }
    Ok(id)
}

fn described(new: &NewInternalAudit<'_>, file: &StoredFile) -> serde_json::Value {
    json!({
        "service_id": new.service_id,
        "audit_date": new.audit_date.to_string(),
        "period": [new.period_start.to_string(), new.period_end.to_string()],
        "auditor": { "name": new.auditor_name, "department": new.auditor_department },
        "objectives": new.objectives.len(),
        "file": { "id": file.id, "name": file.file_name, "sha256": file.sha256 },
    })
}

/// Records an internal audit with its report file, in one transaction.
pub async fn record(
    db: &Db,
    master: &MasterKey,
    actor: &Actor,
    new: NewInternalAudit<'_>,
    file: NewFile<'_>,
) -> Result<InternalAudit> {
    let mut tx = db.begin().await?;
    let stored = files::store_in(&mut tx, master, actor, file).await?;
    let id = insert(&mut tx, actor, &new, stored.id, None).await?;
    events::record(
        &mut tx,
        NewEvent {
            actor,
            action: "internal_audit.record",
            object_type: "internal_audit",
            object_id: id.to_string(),
            organization_id: Some(new.organization_id),
            before: None,
            after: Some(described(&new, &stored)),
            reason: "",
        },
    )
    .await?;
    tx.commit().await?;
    get(db, id).await
}

/// Corrects record `amends` with a new record (and a new report file, or
/// the corrected record's), giving the reason. The corrected record must
/// still stand: a correction made meanwhile by someone else is a
/// [`StoreError::Conflict`].
pub async fn amend(
    db: &Db,
    master: &MasterKey,
    actor: &Actor,
    amends: i64,
    new: NewInternalAudit<'_>,
    file: Option<NewFile<'_>>,
    reason: &str,
) -> Result<InternalAudit> {
    if reason.trim().is_empty() {
        return Err(StoreError::Conflict(
            "a correction of an internal audit needs its reason".into(),
        ));
    }
    let mut tx = db.begin().await?;
    // Takes the corrected row (its lock on PostgreSQL; SQLite holds the
    // write lock already) and finds whether it still stands: of two
    // corrections at the same moment the second finds it superseded.
    let standing = sqlx::query(
        "UPDATE internal_audits SET superseded_by = NULL \
         WHERE id = $1 AND service_id = $2 AND superseded_by IS NULL",
    )
    .bind(amends)
    .bind(new.service_id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if standing == 0 {
        return Err(StoreError::Conflict(format!(
            "internal audit {amends} was corrected meanwhile"
        )));
    }
    let stored = match file {
        Some(file) => files::store_in(&mut tx, master, actor, file).await?,
        None => {
            let row = sqlx::query("SELECT file_id FROM internal_audits WHERE id = $1")
                .bind(amends)
                .fetch_one(&mut *tx)
                .await?;
            files::get(db, row.try_get("file_id")?).await?
        }
    };
    let id = insert(
        &mut tx,
        actor,
        &new,
        stored.id,
        Some((amends, reason.trim())),
    )
    .await?;
    let superseded = sqlx::query(
        "UPDATE internal_audits SET superseded_by = $1 WHERE id = $2 AND superseded_by IS NULL",
    )
    .bind(id)
    .bind(amends)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if superseded == 0 {
        return Err(StoreError::Conflict(format!(
            "internal audit {amends} was corrected meanwhile"
        )));
    }
    events::record(
        &mut tx,
        NewEvent {
            actor,
            action: "internal_audit.amend",
            object_type: "internal_audit",
            object_id: id.to_string(),
            organization_id: Some(new.organization_id),
            before: Some(json!({ "id": amends })),
            after: Some(described(&new, &stored)),
            reason: reason.trim(),
        },
    )
    .await?;
    tx.commit().await?;
    get(db, id).await
}

const CHECK_SELECT: &str = "SELECT c.id, c.application_id, c.latest_audit_id, c.note, c.checked_at, \
    c.checked_by, c.checker, u.display_name AS checker_name \
    FROM internal_audit_checks c LEFT JOIN users u ON u.id = c.checked_by";

fn check_from_row(row: &AnyRow) -> Result<Check> {
    Ok(Check {
        id: row.try_get("id")?,
        application_id: row.try_get("application_id")?,
        latest_audit_id: row.try_get("latest_audit_id")?,
        note: row.try_get("note")?,
        checked_at: row.try_get("checked_at")?,
        checked_by: row.try_get("checked_by")?,
        checker: row.try_get("checker")?,
        checker_name: row.try_get("checker_name")?,
    })
}

/// IPA's checks of an application's internal audit reports, oldest first.
pub async fn checks(db: &Db, application_id: i64) -> Result<Vec<Check>> {
    sqlx::query(&format!(
        "{CHECK_SELECT} WHERE c.application_id = $1 ORDER BY c.id"
    ))
    .bind(application_id)
    .fetch_all(&db.pool)
    .await?
    .iter()
    .map(check_from_row)
    .collect()
}

/// The application an IPA check is recorded for.
pub struct Checked<'a> {
    pub application_id: i64,
    pub service_id: i64,
    pub organization_id: i64,
    /// The newest record the checker was shown; a newer one recorded
    /// meanwhile is a [`StoreError::Conflict`] (it was not checked).
    pub seen_latest: Option<i64>,
    pub note: &'a str,
}

/// Records that IPA checked the internal audit reports of an application.
pub async fn record_check(db: &Db, actor: &Actor, checked: Checked<'_>) -> Result<Check> {
    let mut tx = db.begin().await?;
    let latest = latest_id_in(&mut tx, checked.service_id).await?;
    if latest != checked.seen_latest {
        return Err(StoreError::Conflict(format!(
            "the internal audits of service {} changed since the page was shown",
            checked.service_id
        )));
    }
    let row = sqlx::query(
        "INSERT INTO internal_audit_checks (application_id, latest_audit_id, note, checked_at, checked_by, checker) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(checked.application_id)
    .bind(latest)
    .bind(checked.note)
    .bind(now())
    .bind(actor.user_id)
    .bind(&actor.label)
    .fetch_one(&mut *tx)
    .await?;
    let id: i64 = row.try_get("id")?;
    events::record(
        &mut tx,
        NewEvent {
            actor,
            action: "internal_audit.check",
            object_type: "application",
            object_id: checked.application_id.to_string(),
            organization_id: Some(checked.organization_id),
            before: None,
            after: Some(json!({ "check": id, "latest_internal_audit": latest })),
            reason: checked.note,
        },
    )
    .await?;
    tx.commit().await?;
    let row = sqlx::query(&format!("{CHECK_SELECT} WHERE c.id = $1"))
        .bind(id)
        .fetch_one(&db.pool)
        .await?;
    check_from_row(&row)
}
