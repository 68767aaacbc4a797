//! Audit engagements (spec §4): a provider engages a registered audit
//! organization to audit one frozen statement revision over one audit
//! period; the organization assigns auditors, who record a result per
//! control and issue the implementation result report (実施結果報告書).
//! Results are appended (the latest per control counts); issued reports are
//! immutable snapshots, and a correction is a new issue.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use ismap_domain::audit_work::{AuditResult, EngagementStatus};
use serde_json::{Value, json};
use sqlx::{Row, any::AnyRow};

use crate::events::{self, Actor, NewEvent};
use crate::files::{self, NewFile, StoredFile};
use crate::vault::MasterKey;
use crate::{Db, Result, StoreError, now};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Engagement {
    pub id: i64,
    pub statement_id: i64,
    /// The frozen revision audited.
    pub revision: i64,
    pub service_id: i64,
    pub service_name: String,
    pub catalog_id: String,
    pub csp_organization_id: i64,
    pub csp_name: String,
    pub audit_organization_id: i64,
    pub audit_organization_name: String,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    /// `full`, `multi_year` or `liu`.
    pub scope: String,
    pub cycle_years: i64,
    pub cycle_year: i64,
    pub status: EngagementStatus,
    pub created_at: String,
    /// (user id, display name) of the assigned auditors.
    pub auditors: Vec<(i64, String)>,
}

impl Engagement {
    pub fn is_assigned(&self, user_id: i64) -> bool {
        self.auditors.iter().any(|(id, _)| *id == user_id)
    }
}

pub struct NewEngagement<'a> {
    pub statement_id: i64,
    pub revision: i64,
    pub csp_organization_id: i64,
    pub audit_organization_id: i64,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub scope: &'a str,
    pub cycle_years: i64,
    pub cycle_year: i64,
}

/// The current result of one control (the latest recording).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResultRecord {
    pub id: i64,
    pub control_id: String,
    pub performed: String,
    pub result: AuditResult,
    pub finding: String,
    pub samples: String,
    pub recorded_at: String,
    pub recorded_by: String,
}

pub struct NewResult<'a> {
    pub control_id: &'a str,
    pub performed: &'a str,
    pub result: AuditResult,
    pub finding: &'a str,
    pub samples: &'a str,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EvidenceLink {
    pub control_id: String,
    pub note: String,
    pub file: StoredFile,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    pub id: i64,
    pub engagement_id: i64,
    pub issue: i64,
    /// The snapshot as issued (see ismap_formats::audit_report).
    pub content: Value,
    pub reason: String,
    pub issued_at: String,
    pub issued_by: Option<i64>,
}

const SELECT: &str = "SELECT e.id, e.statement_id, e.revision, st.service_id, sv.name AS service_name, \
    st.catalog_id, e.csp_organization_id, c.name AS csp_name, e.audit_organization_id, \
    a.name AS audit_name, e.period_start, e.period_end, e.scope, e.cycle_years, e.cycle_year, \
    e.status, e.created_at \
    FROM engagements e \
    JOIN statements st ON st.id = e.statement_id \
    JOIN services sv ON sv.id = st.service_id \
    JOIN organizations c ON c.id = e.csp_organization_id \
    JOIN organizations a ON a.id = e.audit_organization_id";

fn parse_date(text: &str, column: &str) -> Result<NaiveDate> {
    text.parse()
        .map_err(|_| StoreError::Corrupt(format!("{column} {text:?} is not a date")))
}

fn from_row(row: &AnyRow) -> Result<Engagement> {
    let status: String = row.try_get("status")?;
    let start: String = row.try_get("period_start")?;
    let end: String = row.try_get("period_end")?;
    Ok(Engagement {
        id: row.try_get("id")?,
        statement_id: row.try_get("statement_id")?,
        revision: row.try_get("revision")?,
        service_id: row.try_get("service_id")?,
        service_name: row.try_get("service_name")?,
        catalog_id: row.try_get("catalog_id")?,
        csp_organization_id: row.try_get("csp_organization_id")?,
        csp_name: row.try_get("csp_name")?,
        audit_organization_id: row.try_get("audit_organization_id")?,
        audit_organization_name: row.try_get("audit_name")?,
        period_start: parse_date(&start, "period_start")?,
        period_end: parse_date(&end, "period_end")?,
        scope: row.try_get("scope")?,
        cycle_years: row.try_get("cycle_years")?,
        cycle_year: row.try_get("cycle_year")?,
        status: EngagementStatus::from_key(&status)
            .ok_or_else(|| StoreError::Corrupt(format!("engagement status {status:?}")))?,
        created_at: row.try_get("created_at")?,
        auditors: Vec::new(),
    })
}

async fn with_auditors(db: &Db, mut engagement: Engagement) -> Result<Engagement> {
    let rows = sqlx::query(
        "SELECT u.id, u.display_name FROM engagement_auditors ea JOIN users u ON u.id = ea.user_id \
         WHERE ea.engagement_id = $1 ORDER BY u.display_name",
    )
    .bind(engagement.id)
    .fetch_all(&db.pool)
    .await?;
    engagement.auditors = rows
        .iter()
        .map(|r| Ok((r.try_get("id")?, r.try_get("display_name")?)))
        .collect::<Result<_>>()?;
    Ok(engagement)
}

pub async fn get(db: &Db, id: i64) -> Result<Engagement> {
    let row = sqlx::query(&format!("{SELECT} WHERE e.id = $1"))
        .bind(id)
        .fetch_optional(&db.pool)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("engagement {id}")))?;
    with_auditors(db, from_row(&row)?).await
}

/// Engagements an organization is party to, as provider or as auditor, newest first.
pub async fn list_for_organization(db: &Db, organization_id: i64) -> Result<Vec<Engagement>> {
    let rows = sqlx::query(&format!(
        "{SELECT} WHERE e.csp_organization_id = $1 OR e.audit_organization_id = $1 ORDER BY e.id DESC"
    ))
    .bind(organization_id)
    .fetch_all(&db.pool)
    .await?;
    let mut out = Vec::new();
    for row in &rows {
        out.push(with_auditors(db, from_row(row)?).await?);
    }
    Ok(out)
}

/// Opens an engagement on a frozen statement's latest revision: checked in
/// the transaction that writes it, so a statement read a moment ago as
/// frozen at that revision still is.
pub async fn create(db: &Db, actor: &Actor, new: NewEngagement<'_>) -> Result<Engagement> {
    let mut tx = db.begin().await?;
    let row = sqlx::query(
        "SELECT st.status, (SELECT MAX(r.number) FROM statement_revisions r WHERE r.statement_id = st.id) AS latest \
         FROM statements st WHERE st.id = $1",
    )
    .bind(new.statement_id)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| StoreError::NotFound(format!("statement {}", new.statement_id)))?;
    let status: String = row.try_get("status")?;
    let latest: Option<i64> = row.try_get("latest")?;
    if status != "frozen" || latest != Some(new.revision) {
        return Err(StoreError::Conflict(format!(
            "statement {} is {status} at revision {}; only a frozen statement's latest revision is audited",
            new.statement_id,
            latest.unwrap_or(0)
        )));
    }
    let row = sqlx::query(
        "INSERT INTO engagements (statement_id, revision, csp_organization_id, audit_organization_id, \
         period_start, period_end, scope, cycle_years, cycle_year, status, created_at, created_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'requested', $10, $11) RETURNING id",
    )
    .bind(new.statement_id)
    .bind(new.revision)
    .bind(new.csp_organization_id)
    .bind(new.audit_organization_id)
    .bind(new.period_start.to_string())
    .bind(new.period_end.to_string())
    .bind(new.scope)
    .bind(new.cycle_years)
    .bind(new.cycle_year)
    .bind(now())
    .bind(actor.user_id)
    .fetch_one(&mut *tx)
    .await?;
    let id: i64 = row.try_get("id")?;
    let after = json!({
        "statement_id": new.statement_id,
        "revision": new.revision,
        "audit_organization_id": new.audit_organization_id,
        "period": [new.period_start.to_string(), new.period_end.to_string()],
        "scope": new.scope,
        "cycle": [new.cycle_year, new.cycle_years],
    });
    // Both parties see the event in their own log.
    for organization in [new.csp_organization_id, new.audit_organization_id] {
        events::record(
            &mut tx,
            NewEvent {
                actor,
                action: "engagement.create",
                object_type: "engagement",
                object_id: id.to_string(),
                organization_id: Some(organization),
                before: None,
                after: Some(after.clone()),
                reason: "",
            },
        )
        .await?;
    }
    tx.commit().await?;
    get(db, id).await
}

/// Assigns an auditor; the first assignment starts the audit work.
pub async fn assign_auditor(
    db: &Db,
    actor: &Actor,
    engagement: &Engagement,
    user_id: i64,
) -> Result<Engagement> {
    if engagement.is_assigned(user_id) {
        return Err(StoreError::Conflict(format!(
            "user {user_id} is already assigned to engagement {}",
            engagement.id
        )));
    }
    let mut tx = db.begin().await?;
    sqlx::query(
        "INSERT INTO engagement_auditors (engagement_id, user_id, assigned_at, assigned_by) \
         VALUES ($1, $2, $3, $4)",
    )
    .bind(engagement.id)
    .bind(user_id)
    .bind(now())
    .bind(actor.user_id)
    .execute(&mut *tx)
    .await
    .map_err(|e| {
        crate::orgs::conflict_on_unique(
            e,
            format!(
                "user {user_id} is already assigned to engagement {}",
                engagement.id
            ),
        )
    })?;
    if engagement.status == EngagementStatus::Requested {
        // Conditional: a concurrent first assignment may have started it.
        sqlx::query(
            "UPDATE engagements SET status = 'in_progress' WHERE id = $1 AND status = 'requested'",
        )
        .bind(engagement.id)
        .execute(&mut *tx)
        .await?;
    }
    events::record(
        &mut tx,
        NewEvent {
            actor,
            action: "engagement.assign_auditor",
            object_type: "engagement",
            object_id: engagement.id.to_string(),
            organization_id: Some(engagement.audit_organization_id),
            before: Some(json!({ "status": engagement.status.key() })),
            after: Some(
                json!({ "auditor": user_id, "status": match engagement.status {
                EngagementStatus::Requested => "in_progress",
                other => other.key(),
            } }),
            ),
            reason: "",
        },
    )
    .await?;
    tx.commit().await?;
    get(db, engagement.id).await
}

const SELECT_RESULTS: &str = "SELECT r.id, r.control_id, r.performed, r.result, r.finding, r.samples, \
    r.recorded_at, COALESCE(u.display_name, '') AS recorded_by \
    FROM audit_results r LEFT JOIN users u ON u.id = r.recorded_by";

fn result_from_row(row: &AnyRow) -> Result<ResultRecord> {
    let result: String = row.try_get("result")?;
    Ok(ResultRecord {
        id: row.try_get("id")?,
        control_id: row.try_get("control_id")?,
        performed: row.try_get("performed")?,
        result: AuditResult::from_key(&result)
            .ok_or_else(|| StoreError::Corrupt(format!("audit result {result:?}")))?,
        finding: row.try_get("finding")?,
        samples: row.try_get("samples")?,
        recorded_at: row.try_get("recorded_at")?,
        recorded_by: row.try_get("recorded_by")?,
    })
}

/// Records a result: a new row, so the earlier ones stay as history.
pub async fn record_result(
    db: &Db,
    actor: &Actor,
    engagement: &Engagement,
    new: NewResult<'_>,
) -> Result<ResultRecord> {
    let before = result_history(db, engagement.id, new.control_id)
        .await?
        .pop();
    let mut tx = db.begin().await?;
    let row = sqlx::query(
        "INSERT INTO audit_results (engagement_id, control_id, performed, result, finding, samples, recorded_at, recorded_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(engagement.id)
    .bind(new.control_id)
    .bind(new.performed)
    .bind(new.result.key())
    .bind(new.finding)
    .bind(new.samples)
    .bind(now())
    .bind(actor.user_id)
    .fetch_one(&mut *tx)
    .await?;
    let id: i64 = row.try_get("id")?;
    events::record(
        &mut tx,
        NewEvent {
            actor,
            action: "audit_result.record",
            object_type: "engagement",
            object_id: engagement.id.to_string(),
            organization_id: Some(engagement.audit_organization_id),
            before: before
                .as_ref()
                .map(|b| json!({ "control": b.control_id, "result": b.result.key(), "finding": b.finding })),
            after: Some(json!({ "control": new.control_id, "result": new.result.key(), "finding": new.finding })),
            reason: "",
        },
    )
    .await?;
    tx.commit().await?;
    let row = sqlx::query(&format!("{SELECT_RESULTS} WHERE r.id = $1"))
        .bind(id)
        .fetch_one(&db.pool)
        .await?;
    result_from_row(&row)
}

/// One control of a recording and the result it was seen with: the id of
/// its latest recording when the auditor looked, `None` for none yet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeenControl<'a> {
    pub control_id: &'a str,
    pub latest: Option<i64>,
}

/// The result [`record_results`] gives every control.
#[derive(Clone, Copy, Debug)]
pub struct SameResult<'a> {
    pub result: AuditResult,
    pub performed: &'a str,
    pub finding: &'a str,
    pub samples: &'a str,
}

/// What a conditional recording came to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Recorded {
    /// Every control got the new result, in one transaction.
    Done(Vec<ResultRecord>),
    /// Someone recorded these controls since they were seen: nothing was
    /// recorded.
    Changed(Vec<String>),
}

/// Records the same result for several controls at once, all or none, and
/// only if none of them got a result since it was seen (a conditional
/// write: two auditors pressing at one moment cannot overwrite each other
/// unseen). Each control gets its own row and event, with who and when.
pub async fn record_results(
    db: &Db,
    actor: &Actor,
    engagement: &Engagement,
    controls: &[SeenControl<'_>],
    new: SameResult<'_>,
) -> Result<Recorded> {
    let SameResult {
        result,
        performed,
        finding,
        samples,
    } = new;
    let mut tx = db.begin().await?;
    // The engagement's row first: it serializes recordings of one
    // engagement (PostgreSQL row lock; SQLite's write lock is already held),
    // so what is read below stays true until the commit.
    let locked = sqlx::query("UPDATE engagements SET status = status WHERE id = $1")
        .bind(engagement.id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if locked != 1 {
        return Err(StoreError::NotFound(format!(
            "engagement {}",
            engagement.id
        )));
    }
    let mut before = Vec::with_capacity(controls.len());
    let mut changed = Vec::new();
    for seen in controls {
        let row = sqlx::query(
            "SELECT id, result, finding FROM audit_results \
             WHERE engagement_id = $1 AND control_id = $2 ORDER BY id DESC LIMIT 1",
        )
        .bind(engagement.id)
        .bind(seen.control_id)
        .fetch_optional(&mut *tx)
        .await?;
        let latest: Option<i64> = row.as_ref().map(|r| r.try_get("id")).transpose()?;
        if latest != seen.latest {
            changed.push(seen.control_id.to_owned());
        }
        before.push(match row {
            Some(r) => {
                let result: String = r.try_get("result")?;
                let finding: String = r.try_get("finding")?;
                Some(json!({ "control": seen.control_id, "result": result, "finding": finding }))
            }
            None => None,
        });
    }
    if !changed.is_empty() {
        tx.rollback().await?;
        return Ok(Recorded::Changed(changed));
    }
    let at = now();
    let mut ids = Vec::with_capacity(controls.len());
    for (seen, before) in controls.iter().zip(before) {
        let row = sqlx::query(
            "INSERT INTO audit_results (engagement_id, control_id, performed, result, finding, samples, recorded_at, recorded_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(engagement.id)
        .bind(seen.control_id)
        .bind(performed)
        .bind(result.key())
        .bind(finding)
        .bind(samples)
        .bind(&at)
        .bind(actor.user_id)
        .fetch_one(&mut *tx)
        .await?;
        ids.push(row.try_get::<i64, _>("id")?);
        events::record(
            &mut tx,
            NewEvent {
                actor,
                action: "audit_result.record",
                object_type: "engagement",
                object_id: engagement.id.to_string(),
                organization_id: Some(engagement.audit_organization_id),
                before,
                after: Some(
                    json!({ "control": seen.control_id, "result": result.key(), "finding": finding }),
                ),
                reason: "",
            },
        )
        .await?;
    }
    tx.commit().await?;
    let mut saved = Vec::with_capacity(ids.len());
    for id in ids {
        let row = sqlx::query(&format!("{SELECT_RESULTS} WHERE r.id = $1"))
            .bind(id)
            .fetch_one(&db.pool)
            .await?;
        saved.push(result_from_row(&row)?);
    }
    Ok(Recorded::Done(saved))
}

/// The current result of every control that has one, by control id text.
pub async fn current_results(
    db: &Db,
    engagement_id: i64,
) -> Result<BTreeMap<String, ResultRecord>> {
    let rows = sqlx::query(&format!(
        "{SELECT_RESULTS} WHERE r.engagement_id = $1 ORDER BY r.id"
    ))
    .bind(engagement_id)
    .fetch_all(&db.pool)
    .await?;
    let mut out = BTreeMap::new();
    for row in &rows {
        let record = result_from_row(row)?;
        // Later rows replace earlier ones: the latest recording counts.
        out.insert(record.control_id.clone(), record);
    }
    Ok(out)
}

/// Every recording of one control, oldest first.
pub async fn result_history(
    db: &Db,
    engagement_id: i64,
    control_id: &str,
) -> Result<Vec<ResultRecord>> {
    let rows = sqlx::query(&format!(
        "{SELECT_RESULTS} WHERE r.engagement_id = $1 AND r.control_id = $2 ORDER BY r.id"
    ))
    .bind(engagement_id)
    .bind(control_id)
    .fetch_all(&db.pool)
    .await?;
    rows.iter().map(result_from_row).collect()
}

/// Stores an evidence file of the audit organization (encrypted with its
/// key) and links it to a control of the engagement.
pub async fn add_evidence(
    db: &Db,
    master: &MasterKey,
    actor: &Actor,
    engagement: &Engagement,
    control_id: &str,
    note: &str,
    file: NewFile<'_>,
) -> Result<StoredFile> {
    let mut tx = db.begin().await?;
    let stored = files::store_in(&mut tx, master, actor, file).await?;
    sqlx::query(
        "INSERT INTO audit_evidence (engagement_id, control_id, file_id, note, added_at, added_by) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(engagement.id)
    .bind(control_id)
    .bind(stored.id)
    .bind(note)
    .bind(now())
    .bind(actor.user_id)
    .execute(&mut *tx)
    .await?;
    events::record(
        &mut tx,
        NewEvent {
            actor,
            action: "audit_evidence.add",
            object_type: "engagement",
            object_id: engagement.id.to_string(),
            organization_id: Some(stored.organization_id),
            before: None,
            after: Some(
                json!({ "control": control_id, "file": stored.id, "sha256": stored.sha256 }),
            ),
            reason: note,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(stored)
}

pub async fn evidence(db: &Db, engagement_id: i64) -> Result<Vec<EvidenceLink>> {
    let rows = sqlx::query(
        "SELECT control_id, note, file_id FROM audit_evidence WHERE engagement_id = $1 ORDER BY id",
    )
    .bind(engagement_id)
    .fetch_all(&db.pool)
    .await?;
    let mut out = Vec::new();
    for row in &rows {
        out.push(EvidenceLink {
            control_id: row.try_get("control_id")?,
            note: row.try_get("note")?,
            file: files::get(db, row.try_get("file_id")?).await?,
        });
    }
    Ok(out)
}

/// The engagement a file was attached to as audit evidence, if any.
pub async fn engagement_of_file(db: &Db, file_id: i64) -> Result<Option<i64>> {
    let row = sqlx::query("SELECT engagement_id FROM audit_evidence WHERE file_id = $1")
        .bind(file_id)
        .fetch_optional(&db.pool)
        .await?;
    Ok(row.map(|r| r.try_get("engagement_id")).transpose()?)
}

fn report_from_row(row: &AnyRow) -> Result<Report> {
    let content: String = row.try_get("content")?;
    Ok(Report {
        id: row.try_get("id")?,
        engagement_id: row.try_get("engagement_id")?,
        issue: row.try_get("issue")?,
        content: serde_json::from_str(&content)
            .map_err(|e| StoreError::Corrupt(format!("report content: {e}")))?,
        reason: row.try_get("reason")?,
        issued_at: row.try_get("issued_at")?,
        issued_by: row.try_get("issued_by")?,
    })
}

/// Issues the next issue of the report with `content` (the snapshot).
/// Reissues need a reason: a correction says what it corrects.
pub async fn issue_report(
    db: &Db,
    actor: &Actor,
    engagement: &Engagement,
    content: &Value,
    reason: &str,
) -> Result<Report> {
    let mut tx = db.begin().await?;
    // The engagement's row first: it serializes issues of one report
    // (PostgreSQL row lock, SQLite write lock), so the count below is the
    // one this issue follows and two issues at one moment cannot both be
    // "the first".
    let locked = sqlx::query("UPDATE engagements SET status = 'reported' WHERE id = $1")
        .bind(engagement.id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if locked != 1 {
        return Err(StoreError::NotFound(format!(
            "engagement {}",
            engagement.id
        )));
    }
    let issued: Option<i64> =
        sqlx::query("SELECT MAX(issue) AS n FROM audit_reports WHERE engagement_id = $1")
            .bind(engagement.id)
            .fetch_one(&mut *tx)
            .await?
            .try_get("n")?;
    let issue = issued.unwrap_or(0) + 1;
    if issue > 1 && reason.trim().is_empty() {
        return Err(StoreError::Conflict(format!(
            "issue {} of this report exists; a new issue corrects it and needs the reason",
            issue - 1
        )));
    }
    let row = sqlx::query(
        "INSERT INTO audit_reports (engagement_id, issue, content, reason, issued_at, issued_by) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(engagement.id)
    .bind(issue)
    .bind(content.to_string())
    .bind(reason)
    .bind(now())
    .bind(actor.user_id)
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| {
        crate::orgs::conflict_on_unique(
            e,
            "another issue of the report was issued at the same time; reload".into(),
        )
    })?;
    let id: i64 = row.try_get("id")?;
    for organization in [
        engagement.audit_organization_id,
        engagement.csp_organization_id,
    ] {
        events::record(
            &mut tx,
            NewEvent {
                actor,
                action: "audit_report.issue",
                object_type: "engagement",
                object_id: engagement.id.to_string(),
                organization_id: Some(organization),
                before: Some(json!({ "status": engagement.status.key(), "issues": issue - 1 })),
                after: Some(json!({ "status": "reported", "issue": issue, "report": id })),
                reason,
            },
        )
        .await?;
    }
    tx.commit().await?;
    report(db, engagement.id, issue).await
}

pub async fn reports(db: &Db, engagement_id: i64) -> Result<Vec<Report>> {
    let rows = sqlx::query("SELECT * FROM audit_reports WHERE engagement_id = $1 ORDER BY issue")
        .bind(engagement_id)
        .fetch_all(&db.pool)
        .await?;
    rows.iter().map(report_from_row).collect()
}

pub async fn report(db: &Db, engagement_id: i64, issue: i64) -> Result<Report> {
    let row = sqlx::query("SELECT * FROM audit_reports WHERE engagement_id = $1 AND issue = $2")
        .bind(engagement_id)
        .bind(issue)
        .fetch_optional(&db.pool)
        .await?
        .ok_or_else(|| {
            StoreError::NotFound(format!(
                "issue {issue} of the report of engagement {engagement_id}"
            ))
        })?;
    report_from_row(&row)
}
