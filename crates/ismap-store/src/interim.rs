//! Interim measures (暫定措置, issue 15 items 4–5, seed 000 「2 暫定措置に
//! ついて」): declared on a register entry, with the deadline by which the
//! service must be applied for; the agency's records while it runs
//! (acknowledgements, requests to the provider, hearings), its report to
//! the secretariat and its plan afterwards (migration 0016, append-only).
//!
//! Every move is a conditional update on the expected state (or, for the
//! declaration, on the entry's version) with its event in the same
//! transaction; the measure follows the portal by itself through
//! [`refresh`] (pure decision: `ismap_domain::interim::progress`).

use chrono::NaiveDate;
use ismap_domain::Role;
use ismap_domain::interim::{
    Facts, InterimStart, InterimState, PlanKind, ReportReason, Step, is_overdue, progress,
};
use ismap_domain::registration::{ListKind, RegistrationStatus};
use ismap_domain::review::ApplicationState;
use ismap_domain::special_measures::same_name;
use serde_json::{Value, json};
use sqlx::{AnyConnection, Row, any::AnyRow};

use crate::events::{self, Actor, NewEvent};
use crate::notifications::{Notice, notify_org, notify_role};
use crate::{Db, Result, StoreError, now};

/// One measure with its register entry and agency.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Measure {
    pub id: i64,
    pub entry_id: i64,
    pub agency_id: i64,
    pub agency_name: String,
    pub agency_name_en: String,
    pub system_name: String,
    pub service_id: Option<i64>,
    pub service_name: String,
    pub provider_name: String,
    pub entry_status: String,
    pub start_of_use: NaiveDate,
    /// `programme_start` or `start_of_use`.
    pub origin: String,
    pub origin_date: NaiveDate,
    pub deadline: NaiveDate,
    pub current_status: String,
    pub state: InterimState,
    pub closed_reason: Option<String>,
    pub closed_at: Option<String>,
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
}

impl Measure {
    pub fn is_overdue(&self, today: NaiveDate) -> bool {
        is_overdue(self.state, self.deadline, today)
    }
}

/// What a register entry holds that a declaration needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntryFacts {
    pub id: i64,
    pub agency_id: i64,
    pub service_id: Option<i64>,
    pub service_name: String,
    pub provider_name: String,
    pub start_of_use: NaiveDate,
    /// `planned`, `in_use`, `ended`.
    pub status: String,
    /// `undecided`, `registered`, `ciso_confirmed`, `interim`.
    pub path: String,
    pub version: i64,
}

const SELECT: &str = "SELECT m.id, m.entry_id, m.agency_id, o.name AS agency_name, o.name_en AS agency_name_en, \
    e.system_name, e.service_id, e.service_name, e.provider_name, e.status AS entry_status, e.start_of_use, \
    m.origin, m.origin_date, m.deadline, m.current_status, m.state, m.closed_reason, m.closed_at, m.version, \
    m.created_at, m.updated_at \
    FROM interim_measures m JOIN cloud_usage_entries e ON e.id = m.entry_id \
    JOIN organizations o ON o.id = m.agency_id";

fn date(row: &AnyRow, column: &str) -> Result<NaiveDate> {
    let text: String = row.try_get(column)?;
    text.parse()
        .map_err(|_| StoreError::Corrupt(format!("{column} {text:?} is not a date")))
}

/// An INTEGER column (INT4 on PostgreSQL, 64-bit on SQLite).
fn int(row: &AnyRow, column: &str) -> Result<i64> {
    match row.try_get::<i64, _>(column) {
        Ok(v) => Ok(v),
        Err(_) => Ok(i64::from(row.try_get::<i32, _>(column)?)),
    }
}

fn from_row(row: &AnyRow) -> Result<Measure> {
    let state: String = row.try_get("state")?;
    Ok(Measure {
        id: row.try_get("id")?,
        entry_id: row.try_get("entry_id")?,
        agency_id: row.try_get("agency_id")?,
        agency_name: row.try_get("agency_name")?,
        agency_name_en: row.try_get("agency_name_en")?,
        system_name: row.try_get("system_name")?,
        service_id: row.try_get("service_id")?,
        service_name: row.try_get("service_name")?,
        provider_name: row.try_get("provider_name")?,
        entry_status: row.try_get("entry_status")?,
        start_of_use: date(row, "start_of_use")?,
        origin: row.try_get("origin")?,
        origin_date: date(row, "origin_date")?,
        deadline: date(row, "deadline")?,
        current_status: row.try_get("current_status")?,
        state: InterimState::from_key(&state)
            .ok_or_else(|| StoreError::Corrupt(format!("interim state {state:?}")))?,
        closed_reason: row.try_get("closed_reason")?,
        closed_at: row.try_get("closed_at")?,
        version: int(row, "version")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

pub async fn get(db: &Db, id: i64) -> Result<Measure> {
    let row = sqlx::query(&format!("{SELECT} WHERE m.id = $1"))
        .bind(id)
        .fetch_optional(&db.pool)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("interim measure {id}")))?;
    from_row(&row)
}

/// The measure declared on a register entry, if any.
pub async fn of_entry(db: &Db, entry_id: i64) -> Result<Option<Measure>> {
    let row = sqlx::query(&format!("{SELECT} WHERE m.entry_id = $1"))
        .bind(entry_id)
        .fetch_optional(&db.pool)
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// Measures of one agency (`Some`) or of all (`None`), soonest deadline first.
pub async fn list(db: &Db, agency_id: Option<i64>) -> Result<Vec<Measure>> {
    let rows = match agency_id {
        Some(agency) => {
            sqlx::query(&format!(
                "{SELECT} WHERE m.agency_id = $1 ORDER BY m.deadline, m.id"
            ))
            .bind(agency)
            .fetch_all(&db.pool)
            .await?
        }
        None => {
            sqlx::query(&format!("{SELECT} ORDER BY m.deadline, m.id"))
                .fetch_all(&db.pool)
                .await?
        }
    };
    rows.iter().map(from_row).collect()
}

/// A register entry as a declaration needs it.
pub async fn entry(db: &Db, entry_id: i64) -> Result<EntryFacts> {
    let row = sqlx::query(
        "SELECT id, agency_id, service_id, service_name, provider_name, start_of_use, status, path, version \
         FROM cloud_usage_entries WHERE id = $1",
    )
    .bind(entry_id)
    .fetch_optional(&db.pool)
    .await?
    .ok_or_else(|| StoreError::NotFound(format!("register entry {entry_id}")))?;
    let version = int(&row, "version")?;
    Ok(EntryFacts {
        id: row.try_get("id")?,
        agency_id: row.try_get("agency_id")?,
        service_id: row.try_get("service_id")?,
        service_name: row.try_get("service_name")?,
        provider_name: row.try_get("provider_name")?,
        start_of_use: date(&row, "start_of_use")?,
        status: row.try_get("status")?,
        path: row.try_get("path")?,
        version,
    })
}

/// A declaration (暫定措置の届出).
pub struct NewMeasure<'a> {
    pub entry_id: i64,
    /// The entry's version the declaring person saw.
    pub entry_version: i64,
    pub start: InterimStart,
    pub deadline: NaiveDate,
    /// What the agency tells the secretariat about the service's status.
    pub current_status: &'a str,
}

/// Declares an interim measure on an undecided entry of `agency_id`: the
/// entry's path becomes `interim` (conditional on its version: of two
/// concurrent declarations one wins, the other is a conflict), the measure
/// is written, both with their events, and the secretariat is notified.
pub async fn declare(
    db: &Db,
    actor: &Actor,
    agency_id: i64,
    new: &NewMeasure<'_>,
) -> Result<Measure> {
    let mut tx = db.begin().await?;
    let at = now();
    let changed = sqlx::query(
        "UPDATE cloud_usage_entries SET path = 'interim', version = version + 1, updated_at = $1, updated_by = $2 \
         WHERE id = $3 AND agency_id = $4 AND version = $5 AND path = 'undecided' AND status <> 'ended'",
    )
    .bind(&at)
    .bind(actor.user_id)
    .bind(new.entry_id)
    .bind(agency_id)
    .bind(new.entry_version)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if changed != 1 {
        return Err(StoreError::Conflict(format!(
            "register entry {} changed meanwhile or already has its path",
            new.entry_id
        )));
    }
    let row = sqlx::query(
        "INSERT INTO interim_measures (entry_id, agency_id, origin, origin_date, deadline, current_status, \
         state, created_at, created_by, updated_at) VALUES ($1, $2, $3, $4, $5, $6, 'open', $7, $8, $7) RETURNING id",
    )
    .bind(new.entry_id)
    .bind(agency_id)
    .bind(new.start.key())
    .bind(new.start.origin().to_string())
    .bind(new.deadline.to_string())
    .bind(new.current_status)
    .bind(&at)
    .bind(actor.user_id)
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| {
        crate::orgs::conflict_on_unique(
            e,
            format!("register entry {} already has an interim measure", new.entry_id),
        )
    })?;
    let id: i64 = row.try_get("id")?;
    let after = json!({
        "entry_id": new.entry_id,
        "origin": new.start.key(),
        "origin_date": new.start.origin().to_string(),
        "deadline": new.deadline.to_string(),
        "current_status": new.current_status,
        "state": "open",
    });
    events::record(
        &mut tx,
        NewEvent {
            actor,
            action: "interim_measure.declare",
            object_type: "interim_measure",
            object_id: id.to_string(),
            organization_id: Some(agency_id),
            before: None,
            after: Some(after),
            reason: "",
        },
    )
    .await?;
    events::record(
        &mut tx,
        NewEvent {
            actor,
            // The register's own kind of event for a path change: it
            // shows in the entry's history.
            action: "register.path",
            object_type: crate::register::OBJECT,
            object_id: new.entry_id.to_string(),
            organization_id: Some(agency_id),
            before: Some(json!({ "path": "undecided" })),
            after: Some(json!({ "path": "interim", "interim_measure": id })),
            reason: "",
        },
    )
    .await?;
    let (service, agency) = names(&mut tx, id).await?;
    notify_role(
        &mut tx,
        Role::SecretariatOfficer,
        &Notice {
            kind: "interim.declared",
            message_id: "interim-notice-declared",
            args: &[
                ("agency", agency),
                ("service", service),
                ("due", new.deadline.to_string()),
            ],
            link: &format!("/interim-measures/{id}"),
            dedupe_key: Some(&format!("interim:{id}:declared")),
        },
    )
    .await?;
    tx.commit().await?;
    get(db, id).await
}

/// The service's and the agency's names of a measure (for notices).
async fn names(conn: &mut AnyConnection, id: i64) -> Result<(String, String)> {
    let row = sqlx::query(
        "SELECT e.service_name, o.name FROM interim_measures m JOIN cloud_usage_entries e ON e.id = m.entry_id \
         JOIN organizations o ON o.id = m.agency_id WHERE m.id = $1",
    )
    .bind(id)
    .fetch_one(&mut *conn)
    .await?;
    Ok((row.try_get("service_name")?, row.try_get("name")?))
}

/// Marks the measure touched if it is in one of `states` (the guard of
/// every record written to it), else a conflict naming what stands.
async fn touch(conn: &mut AnyConnection, id: i64, states: &[InterimState], at: &str) -> Result<()> {
    let list: Vec<String> = states.iter().map(|s| format!("'{}'", s.key())).collect();
    let changed = sqlx::query(&format!(
        "UPDATE interim_measures SET updated_at = $1 WHERE id = $2 AND state IN ({})",
        list.join(", ")
    ))
    .bind(at)
    .bind(id)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if changed == 1 {
        Ok(())
    } else {
        Err(StoreError::Conflict(format!(
            "interim measure {id} is not in a state that takes this record"
        )))
    }
}

const RUNNING: [InterimState; 3] = [
    InterimState::Open,
    InterimState::Applied,
    InterimState::Reported,
];

/// The append-only lists the agency keeps on a measure (migration 0016,
/// one table each). Every one is written the same way — guard on the
/// measure's state, one row, one event, one transaction — so [`append`]
/// writes them all and this kind names what differs: table, columns,
/// guard, event. The report is not one of them: it moves the measure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum RecordKind {
    Acknowledgement,
    ProviderRequest,
    Hearing,
    Plan,
    Progress,
}

impl RecordKind {
    fn table(self) -> &'static str {
        match self {
            RecordKind::Acknowledgement => "interim_acknowledgements",
            RecordKind::ProviderRequest => "interim_provider_requests",
            RecordKind::Hearing => "interim_hearings",
            RecordKind::Plan => "interim_plans",
            RecordKind::Progress => "interim_progress",
        }
    }

    /// The TEXT columns after `measure_id`, in the order of the values.
    fn columns(self) -> &'static [&'static str] {
        match self {
            RecordKind::Acknowledgement => &["statement"],
            RecordKind::ProviderRequest => &["requested_on", "method", "note"],
            RecordKind::Hearing => &["heard_on", "summary"],
            RecordKind::Plan => &["kind", "description", "planned_start", "planned_completion"],
            RecordKind::Progress => &["progress_on", "body"],
        }
    }

    /// When and by whom: an acknowledgement's own names (the moment is
    /// what it is about), `created_*` for the others.
    fn stamp(self) -> (&'static str, &'static str) {
        match self {
            RecordKind::Acknowledgement => ("acknowledged_at", "acknowledged_by"),
            _ => ("created_at", "created_by"),
        }
    }

    /// While the measure runs; plans and their progress only after the
    /// report.
    fn states(self) -> &'static [InterimState] {
        match self {
            RecordKind::Plan | RecordKind::Progress => &[InterimState::Reported],
            _ => &RUNNING,
        }
    }

    fn action(self) -> &'static str {
        match self {
            RecordKind::Acknowledgement => "interim_measure.acknowledge",
            RecordKind::ProviderRequest => "interim_measure.provider_request",
            RecordKind::Hearing => "interim_measure.hearing",
            RecordKind::Plan => "interim_measure.plan",
            RecordKind::Progress => "interim_measure.progress",
        }
    }
}

/// Writes one record of `kind` (`values` for its [`RecordKind::columns`])
/// with its event (`after`), if the measure is in a state that takes it;
/// progress also needs a plan. Else a conflict, and nothing is written.
async fn append(
    db: &Db,
    actor: &Actor,
    id: i64,
    kind: RecordKind,
    values: &[&str],
    after: Value,
) -> Result<()> {
    let columns = kind.columns();
    debug_assert_eq!(values.len(), columns.len(), "{kind:?}");
    let measure = get(db, id).await?;
    let mut tx = db.begin().await?;
    let at = now();
    touch(&mut tx, id, kind.states(), &at).await?;
    if kind == RecordKind::Progress {
        let plans: i64 =
            sqlx::query("SELECT COUNT(*) AS n FROM interim_plans WHERE measure_id = $1")
                .bind(id)
                .fetch_one(&mut *tx)
                .await?
                .try_get("n")?;
        if plans == 0 {
            return Err(StoreError::Conflict(format!(
                "interim measure {id} has no plan yet"
            )));
        }
    }
    // Table and column names are the constants above; values are bound.
    let (at_column, by_column) = kind.stamp();
    let params: Vec<String> = (1..=columns.len() + 3).map(|i| format!("${i}")).collect();
    let sql = format!(
        "INSERT INTO {} (measure_id, {}, {at_column}, {by_column}) VALUES ({})",
        kind.table(),
        columns.join(", "),
        params.join(", ")
    );
    let mut insert = sqlx::query(&sql).bind(id);
    for value in values {
        insert = insert.bind(*value);
    }
    insert
        .bind(&at)
        .bind(actor.user_id)
        .execute(&mut *tx)
        .await?;
    events::record(
        &mut tx,
        NewEvent {
            actor,
            action: kind.action(),
            object_type: "interim_measure",
            object_id: measure.id.to_string(),
            organization_id: Some(measure.agency_id),
            before: None,
            after: Some(after),
            reason: "",
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The agency acknowledges that it keeps using the service on its own
/// responsibility (各政府機関等の責任において利用を継続する).
pub async fn acknowledge(db: &Db, actor: &Actor, id: i64, statement: &str) -> Result<()> {
    append(
        db,
        actor,
        id,
        RecordKind::Acknowledgement,
        &[statement],
        json!({ "statement": statement }),
    )
    .await
}

/// The agency asked the provider to apply: when and how.
pub async fn request_provider(
    db: &Db,
    actor: &Actor,
    id: i64,
    requested_on: NaiveDate,
    method: &str,
    note: &str,
) -> Result<()> {
    let on = requested_on.to_string();
    append(
        db,
        actor,
        id,
        RecordKind::ProviderRequest,
        &[&on, method, note],
        json!({ "requested_on": on, "method": method }),
    )
    .await
}

/// A hearing (聴取) of the provider's conformance status.
pub async fn hear(
    db: &Db,
    actor: &Actor,
    id: i64,
    heard_on: NaiveDate,
    summary: &str,
) -> Result<()> {
    let on = heard_on.to_string();
    append(
        db,
        actor,
        id,
        RecordKind::Hearing,
        &[&on, summary],
        json!({ "heard_on": on }),
    )
    .await
}

/// The report (報告) to the secretariat: the measure moves open → reported
/// (one conditional update: two concurrent reports, one wins), the report
/// is written and the secretariat notified. The caller checks the reason
/// with `ismap_domain::interim::may_report` first.
pub async fn report(
    db: &Db,
    actor: &Actor,
    id: i64,
    reason: ReportReason,
    body: &str,
    reported_on: NaiveDate,
) -> Result<Measure> {
    let measure = get(db, id).await?;
    let mut tx = db.begin().await?;
    let at = now();
    let changed = sqlx::query(
        "UPDATE interim_measures SET state = 'reported', version = version + 1, updated_at = $1 \
         WHERE id = $2 AND state = 'open'",
    )
    .bind(&at)
    .bind(id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if changed != 1 {
        return Err(StoreError::Conflict(format!(
            "interim measure {id} is no longer waiting for a report"
        )));
    }
    sqlx::query(
        "INSERT INTO interim_reports (measure_id, reason, body, reported_on, created_at, created_by) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(id)
    .bind(reason.key())
    .bind(body)
    .bind(reported_on.to_string())
    .bind(&at)
    .bind(actor.user_id)
    .execute(&mut *tx)
    .await
    .map_err(|e| crate::orgs::conflict_on_unique(e, format!("interim measure {id} is reported")))?;
    events::record(
        &mut tx,
        NewEvent {
            actor,
            action: "interim_measure.report",
            object_type: "interim_measure",
            object_id: id.to_string(),
            organization_id: Some(measure.agency_id),
            before: Some(json!({ "state": "open" })),
            after: Some(json!({
                "state": "reported",
                "reason": reason.key(),
                "reported_on": reported_on.to_string(),
            })),
            reason: body,
        },
    )
    .await?;
    notify_role(
        &mut tx,
        Role::SecretariatOfficer,
        &Notice {
            kind: "interim.reported",
            message_id: "interim-notice-reported",
            args: &[
                ("agency", measure.agency_name.clone()),
                ("service", measure.service_name.clone()),
            ],
            link: &format!("/interim-measures/{id}"),
            dedupe_key: Some(&format!("interim:{id}:reported")),
        },
    )
    .await?;
    tx.commit().await?;
    get(db, id).await
}

/// The plan after the report (移行 or 予算要求, with dates); a newer plan
/// revises the one before (both kept).
pub async fn plan(
    db: &Db,
    actor: &Actor,
    id: i64,
    kind: PlanKind,
    description: &str,
    planned_start: NaiveDate,
    planned_completion: NaiveDate,
) -> Result<()> {
    let (start, completion) = (planned_start.to_string(), planned_completion.to_string());
    append(
        db,
        actor,
        id,
        RecordKind::Plan,
        &[kind.key(), description, &start, &completion],
        json!({
            "kind": kind.key(),
            "planned_start": start,
            "planned_completion": completion,
        }),
    )
    .await
}

/// A progress entry on the plan (only once there is a plan).
pub async fn add_progress(
    db: &Db,
    actor: &Actor,
    id: i64,
    progress_on: NaiveDate,
    body: &str,
) -> Result<()> {
    let on = progress_on.to_string();
    append(
        db,
        actor,
        id,
        RecordKind::Progress,
        &[&on, body],
        json!({ "progress_on": on }),
    )
    .await
}

/// One record of a measure's lists, with who wrote it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    pub id: i64,
    /// The day it is about (requested, heard, reported, progress); for an
    /// acknowledgement the moment it was given.
    pub on: String,
    pub text: String,
    /// The request's method; the report's reason; the plan's kind.
    pub kind: String,
    pub note: String,
    /// A plan's planned start and completion.
    pub start: Option<NaiveDate>,
    pub end: Option<NaiveDate>,
    pub at: String,
    pub by: Option<String>,
}

/// Everything the agency recorded on a measure, oldest first.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Records {
    pub acknowledgements: Vec<Record>,
    pub requests: Vec<Record>,
    pub hearings: Vec<Record>,
    pub report: Option<Record>,
    /// Oldest first: the last is the plan in force.
    pub plans: Vec<Record>,
    pub progress: Vec<Record>,
}

async fn fetch(db: &Db, sql: &str, id: i64) -> Result<Vec<Record>> {
    let rows = sqlx::query(sql).bind(id).fetch_all(&db.pool).await?;
    rows.iter()
        .map(|r| {
            let opt_date = |c: &str| -> Result<Option<NaiveDate>> {
                let t: Option<String> = r.try_get(c)?;
                Ok(t.and_then(|t| t.parse().ok()))
            };
            Ok(Record {
                id: r.try_get("id")?,
                on: r.try_get("on_day")?,
                text: r.try_get("body")?,
                kind: r.try_get("kind")?,
                note: r.try_get("note")?,
                start: opt_date("start_day")?,
                end: opt_date("end_day")?,
                at: r.try_get("at")?,
                by: r.try_get("by_name")?,
            })
        })
        .collect()
}

pub async fn records(db: &Db, id: i64) -> Result<Records> {
    let who = |alias: &str, column: &str| {
        format!("(SELECT u.display_name FROM users u WHERE u.id = {alias}.{column}) AS by_name")
    };
    let acknowledgements = fetch(
        db,
        &format!(
            "SELECT a.id, a.acknowledged_at AS on_day, a.statement AS body, '' AS kind, '' AS note, \
             CAST(NULL AS TEXT) AS start_day, CAST(NULL AS TEXT) AS end_day, a.acknowledged_at AS at, {} \
             FROM interim_acknowledgements a WHERE a.measure_id = $1 ORDER BY a.id",
            who("a", "acknowledged_by")
        ),
        id,
    )
    .await?;
    let requests = fetch(
        db,
        &format!(
            "SELECT r.id, r.requested_on AS on_day, r.method AS body, r.method AS kind, r.note, \
             CAST(NULL AS TEXT) AS start_day, CAST(NULL AS TEXT) AS end_day, r.created_at AS at, {} \
             FROM interim_provider_requests r WHERE r.measure_id = $1 ORDER BY r.requested_on, r.id",
            who("r", "created_by")
        ),
        id,
    )
    .await?;
    let hearings = fetch(
        db,
        &format!(
            "SELECT h.id, h.heard_on AS on_day, h.summary AS body, '' AS kind, '' AS note, \
             CAST(NULL AS TEXT) AS start_day, CAST(NULL AS TEXT) AS end_day, h.created_at AS at, {} \
             FROM interim_hearings h WHERE h.measure_id = $1 ORDER BY h.heard_on, h.id",
            who("h", "created_by")
        ),
        id,
    )
    .await?;
    let report = fetch(
        db,
        &format!(
            "SELECT r.id, r.reported_on AS on_day, r.body, r.reason AS kind, '' AS note, \
             CAST(NULL AS TEXT) AS start_day, CAST(NULL AS TEXT) AS end_day, r.created_at AS at, {} \
             FROM interim_reports r WHERE r.measure_id = $1",
            who("r", "created_by")
        ),
        id,
    )
    .await?
    .into_iter()
    .next();
    let plans = fetch(
        db,
        &format!(
            "SELECT p.id, p.created_at AS on_day, p.description AS body, p.kind, '' AS note, \
             p.planned_start AS start_day, p.planned_completion AS end_day, p.created_at AS at, {} \
             FROM interim_plans p WHERE p.measure_id = $1 ORDER BY p.id",
            who("p", "created_by")
        ),
        id,
    )
    .await?;
    let progress = fetch(
        db,
        &format!(
            "SELECT p.id, p.progress_on AS on_day, p.body, '' AS kind, '' AS note, \
             CAST(NULL AS TEXT) AS start_day, CAST(NULL AS TEXT) AS end_day, p.created_at AS at, {} \
             FROM interim_progress p WHERE p.measure_id = $1 ORDER BY p.progress_on, p.id",
            who("p", "created_by")
        ),
        id,
    )
    .await?;
    Ok(Records {
        acknowledgements,
        requests,
        hearings,
        report,
        plans,
        progress,
    })
}

/// The events of a measure, oldest first, for the history table.
pub async fn history(db: &Db, measure: &Measure) -> Result<Vec<events::Event>> {
    events::of_object(db, "interim_measure", measure.id).await
}

/// The provider's application for a service the measure shows: the newest
/// one (any state), its id, state and when it was submitted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApplicationProgress {
    pub id: i64,
    pub state: ApplicationState,
    pub submitted_at: String,
}

pub async fn application_of(db: &Db, service_id: i64) -> Result<Option<ApplicationProgress>> {
    // The newest live application; else the newest of any state.
    let rows = sqlx::query(
        "SELECT id, state, submitted_at FROM applications WHERE service_id = $1 ORDER BY id DESC",
    )
    .bind(service_id)
    .fetch_all(&db.pool)
    .await?;
    let mut all = Vec::new();
    for r in &rows {
        let state: String = r.try_get("state")?;
        all.push(ApplicationProgress {
            id: r.try_get("id")?,
            state: ApplicationState::from_key(&state)
                .ok_or_else(|| StoreError::Corrupt(format!("application state {state:?}")))?,
            submitted_at: r.try_get("submitted_at")?,
        });
    }
    let live = all.iter().position(|a| {
        !matches!(
            a.state,
            ApplicationState::Rejected | ApplicationState::Withdrawn
        )
    });
    Ok(match live {
        Some(i) => Some(all.swap_remove(i)),
        None => all.into_iter().next(),
    })
}

/// Whether the service has a current registration valid on `today` on
/// either list.
pub async fn is_registered(db: &Db, service_id: i64, today: NaiveDate) -> Result<bool> {
    for list in ListKind::ALL {
        if let Some(r) = crate::registrations::current_on_list(db, service_id, list).await?
            && r.status(today) == RegistrationStatus::Valid
        {
            return Ok(true);
        }
    }
    Ok(false)
}

/// The portal's service a measure is about: the entry's own, else the one
/// service whose name and provider match the names the agency typed
/// [this system: an unregistered service is named in words; when its
/// provider comes to the portal and applies, the measure follows the
/// application by name — folded as `special_measures::same_name` folds
/// them — and only when exactly one service matches].
pub async fn portal_service(db: &Db, measure: &Measure) -> Result<Option<i64>> {
    if measure.service_id.is_some() {
        return Ok(measure.service_id);
    }
    let rows = sqlx::query(
        "SELECT s.id, s.name, o.name AS provider, o.name_en AS provider_en \
         FROM services s JOIN organizations o ON o.id = s.organization_id ORDER BY s.id",
    )
    .fetch_all(&db.pool)
    .await?;
    let mut found = Vec::new();
    for r in &rows {
        let name: String = r.try_get("name")?;
        let provider: String = r.try_get("provider")?;
        let provider_en: String = r.try_get("provider_en")?;
        if same_name(&name, &measure.service_name)
            && (same_name(&provider, &measure.provider_name)
                || same_name(&provider_en, &measure.provider_name))
        {
            found.push(r.try_get::<i64, _>("id")?);
        }
    }
    Ok((found.len() == 1).then(|| found[0]))
}

/// What the portal knows today about a measure's service.
pub async fn facts(db: &Db, measure: &Measure, today: NaiveDate) -> Result<Facts> {
    let (application, registered) = match portal_service(db, measure).await? {
        Some(service) => (
            application_of(db, service).await?.map(|a| a.state),
            is_registered(db, service, today).await?,
        ),
        None => (None, false),
    };
    Ok(Facts {
        application,
        registered,
        entry_ended: measure.entry_status == "ended",
    })
}

/// Brings one measure up to date with the portal (`progress`): applied when
/// the provider's application appears, open again when it is withdrawn or
/// rejected, closed by itself when the service is registered or the entry
/// ended. Each move is one conditional update on the state it starts from,
/// with its event; running it twice moves once (and a concurrent run that
/// lost does nothing). An overdue measure is flagged to the agency and the
/// secretariat once (notification with a dedupe key). Returns the move made.
pub async fn refresh(db: &Db, measure_id: i64, today: NaiveDate) -> Result<Option<Step>> {
    let measure = get(db, measure_id).await?;
    let facts = facts(db, &measure, today).await?;
    let step = progress(measure.state, facts);
    let overdue = step.is_none() && measure.is_overdue(today);
    if step.is_none() && !overdue {
        return Ok(None);
    }
    let mut tx = db.begin().await?;
    let mut moved = None;
    if let Some(step) = step {
        let at = now();
        let to = step.to();
        let reason = match step {
            Step::Close(reason) => Some(reason.key()),
            _ => None,
        };
        let changed = sqlx::query(
            "UPDATE interim_measures SET state = $1, closed_reason = $2, closed_at = $3, version = version + 1, \
             updated_at = $4 WHERE id = $5 AND state = $6",
        )
        .bind(to.key())
        .bind(reason)
        .bind(reason.map(|_| at.clone()))
        .bind(&at)
        .bind(measure.id)
        .bind(measure.state.key())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed != 1 {
            // Another run moved it meanwhile: nothing to do here.
            return Ok(None);
        }
        let action = match step {
            Step::Applied => "interim_measure.applied",
            Step::Reopened => "interim_measure.reopen",
            Step::Close(_) => "interim_measure.close",
        };
        let system = Actor::system("interim");
        events::record(
            &mut tx,
            NewEvent {
                actor: &system,
                action,
                object_type: "interim_measure",
                object_id: measure.id.to_string(),
                organization_id: Some(measure.agency_id),
                before: Some(json!({ "state": measure.state.key() })),
                after: Some(json!({
                    "state": to.key(),
                    "closed_reason": reason,
                    "application": facts.application.map(|a| a.key()),
                })),
                reason: "",
            },
        )
        .await?;
        if step == Step::Close(ismap_domain::interim::CloseReason::Registered) {
            let entry_moved = sqlx::query(
                "UPDATE cloud_usage_entries SET path = 'registered', version = version + 1, updated_at = $1 \
                 WHERE id = $2 AND path = 'interim'",
            )
            .bind(&at)
            .bind(measure.entry_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if entry_moved == 1 {
                events::record(
                    &mut tx,
                    NewEvent {
                        actor: &system,
                        action: "register.path",
                        object_type: crate::register::OBJECT,
                        object_id: measure.entry_id.to_string(),
                        organization_id: Some(measure.agency_id),
                        before: Some(json!({ "path": "interim" })),
                        after: Some(json!({ "path": "registered", "interim_measure": measure.id })),
                        reason: "",
                    },
                )
                .await?;
            }
            notify_org(
                &mut tx,
                measure.agency_id,
                &[Role::AgencyOfficer, Role::AgencyCiso],
                &Notice {
                    kind: "interim.closed",
                    message_id: "interim-notice-closed",
                    args: &[("service", measure.service_name.clone())],
                    link: &format!("/interim-measures/{}", measure.id),
                    dedupe_key: Some(&format!("interim:{}:closed", measure.id)),
                },
            )
            .await?;
        }
        moved = Some(step);
    }
    if overdue {
        let notice = Notice {
            kind: "interim.overdue",
            message_id: "interim-notice-overdue",
            args: &[
                ("agency", measure.agency_name.clone()),
                ("service", measure.service_name.clone()),
                ("due", measure.deadline.to_string()),
            ],
            link: &format!("/interim-measures/{}", measure.id),
            dedupe_key: Some(&format!("interim:{}:overdue", measure.id)),
        };
        notify_org(
            &mut tx,
            measure.agency_id,
            &[Role::AgencyOfficer, Role::AgencyCiso],
            &notice,
        )
        .await?;
        notify_role(&mut tx, Role::SecretariatOfficer, &notice).await?;
    }
    tx.commit().await?;
    Ok(moved)
}

/// Brings every measure that is not closed up to date ([`refresh`]), and
/// flags overdue ones once. Idempotent: the scheduler (issue 15, item 9)
/// calls it daily, and the measure pages call [`refresh`] when shown.
/// Returns how many measures moved.
pub async fn refresh_all(db: &Db, today: NaiveDate) -> Result<usize> {
    let rows = sqlx::query("SELECT id FROM interim_measures WHERE state <> 'closed' ORDER BY id")
        .fetch_all(&db.pool)
        .await?;
    let mut moved = 0;
    for row in rows {
        let id: i64 = row.try_get("id")?;
        if refresh(db, id, today).await?.is_some() {
            moved += 1;
        }
    }
    Ok(moved)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing;
    use ismap_domain::OrgKind;
    use ismap_domain::interim::{CloseReason, deadline};

    async fn world(db: &Db) -> (i64, i64, i64) {
        let actor = Actor::system("test");
        let agency = crate::orgs::create(db, &actor, "テスト省", "Test Ministry", OrgKind::Agency)
            .await
            .unwrap();
        let csp = crate::orgs::create(db, &actor, "テストクラウド", "Test Cloud", OrgKind::Csp)
            .await
            .unwrap();
        for (name, org, role) in [
            ("officer", &agency, Role::AgencyOfficer),
            ("ciso", &agency, Role::AgencyCiso),
        ] {
            crate::users::create(
                db,
                &actor,
                crate::users::NewUser {
                    username: name,
                    display_name: name,
                    email: "",
                    password_hash: None,
                },
                org,
                role,
            )
            .await
            .unwrap();
        }
        let service = crate::services::create(
            db,
            &actor,
            crate::services::NewService {
                organization_id: csp.id,
                name: "テストSaaS",
                model: ismap_domain::ServiceModel::SaaS,
                description: "",
                url: "",
                registration_number: None,
            },
        )
        .await
        .unwrap();
        let row = sqlx::query(
            "INSERT INTO cloud_usage_entries (agency_id, system_name, service_id, service_name, provider_name, \
             confidentiality, start_of_use, status, created_at, updated_at) \
             VALUES ($1, '人事システム', $2, 'テストSaaS', 'テストクラウド', 2, '2026-04-15', 'planned', $3, $3) RETURNING id",
        )
        .bind(agency.id)
        .bind(service.id)
        .bind(now())
        .fetch_one(&db.pool)
        .await
        .unwrap();
        (agency.id, csp.id, row.try_get("id").unwrap())
    }

    #[tokio::test]
    async fn two_concurrent_declarations_one_wins_and_refresh_is_idempotent() {
        let dir = tempfile::tempdir().unwrap();
        for backend in testing::BACKENDS {
            let db = testing::fresh(backend, dir.path()).await;
            let (agency, csp, entry_id) = world(&db).await;
            let actor = Actor::system("test");
            let facts = entry(&db, entry_id).await.unwrap();
            let start = InterimStart::StartOfUse(facts.start_of_use);
            let due = deadline(start).unwrap();
            assert_eq!(due.to_string(), "2027-04-15");
            let new = NewMeasure {
                entry_id,
                entry_version: facts.version,
                start,
                deadline: due,
                current_status: "提供事業者は申請を準備中",
            };
            let (a, b) = tokio::join!(
                declare(&db, &actor, agency, &new),
                declare(&db, &actor, agency, &new)
            );
            let won = [&a, &b].iter().filter(|r| r.is_ok()).count();
            assert_eq!(won, 1, "{backend:?}: {a:?} {b:?}");
            let lost = if a.is_ok() { &b } else { &a };
            assert!(matches!(lost, Err(StoreError::Conflict(_))), "{lost:?}");
            let measure = a.or(b).unwrap();
            assert_eq!(measure.state, InterimState::Open);
            assert_eq!(entry(&db, entry_id).await.unwrap().path, "interim");
            let declared: i64 = sqlx::query(
                "SELECT COUNT(*) AS n FROM events WHERE action = 'interim_measure.declare'",
            )
            .fetch_one(&db.pool)
            .await
            .unwrap()
            .try_get("n")
            .unwrap();
            assert_eq!(declared, 1);

            // Nothing known yet: refresh moves nothing, twice.
            let today: NaiveDate = "2026-05-01".parse().unwrap();
            assert_eq!(refresh(&db, measure.id, today).await.unwrap(), None);
            assert_eq!(refresh_all(&db, today).await.unwrap(), 0);

            // Overdue: flagged once, however often refreshed.
            let late: NaiveDate = "2027-04-16".parse().unwrap();
            for _ in 0..2 {
                assert_eq!(refresh_all(&db, late).await.unwrap(), 0);
            }
            let flagged: i64 = sqlx::query(
                "SELECT COUNT(*) AS n FROM notifications WHERE kind = 'interim.overdue'",
            )
            .fetch_one(&db.pool)
            .await
            .unwrap()
            .try_get("n")
            .unwrap();
            assert_eq!(flagged, 2, "{backend:?}: the officer and the CISO, once");

            // Registered: closed by itself, once, even when two runs race.
            let number: ismap_domain::registry::RegistrationNumber = "C26-0001-1".parse().unwrap();
            crate::registrations::record_existing(
                &db,
                &actor,
                crate::registrations::ExistingRegistration {
                    service_id: measure.service_id.unwrap(),
                    organization_id: csp,
                    list: ListKind::Ismap,
                    number: &number,
                    details: crate::registrations::NewRegistration {
                        valid_from: "2026-06-01".parse().unwrap(),
                        valid_until: "2028-05-31".parse().unwrap(),
                        registered_on: "2026-05-20".parse().unwrap(),
                        improvement_plan: false,
                        name: "テストSaaS",
                        name_en: "Test SaaS",
                        provider: "テストクラウド",
                        provider_en: "Test Cloud",
                        model: "SaaS",
                        public: &json!({}),
                    },
                },
            )
            .await
            .unwrap();
            let on: NaiveDate = "2026-07-01".parse().unwrap();
            let (x, y) = tokio::join!(refresh(&db, measure.id, on), refresh(&db, measure.id, on));
            let moves: Vec<_> = [x.unwrap(), y.unwrap()].into_iter().flatten().collect();
            assert_eq!(moves, [Step::Close(CloseReason::Registered)], "{backend:?}");
            assert_eq!(refresh(&db, measure.id, on).await.unwrap(), None);
            let closed = get(&db, measure.id).await.unwrap();
            assert_eq!(closed.state, InterimState::Closed);
            assert_eq!(closed.closed_reason.as_deref(), Some("registered"));
            assert_eq!(entry(&db, entry_id).await.unwrap().path, "registered");
            let actions: Vec<String> = history(&db, &closed)
                .await
                .unwrap()
                .into_iter()
                .map(|e| e.action)
                .collect();
            assert_eq!(
                actions,
                ["interim_measure.declare", "interim_measure.close"],
                "{backend:?}"
            );
            // Closed: no more records.
            let refused = hear(&db, &actor, measure.id, on, "聴取").await;
            assert!(
                matches!(refused, Err(StoreError::Conflict(_))),
                "{refused:?}"
            );
        }
    }

    #[tokio::test]
    async fn records_are_append_only_and_a_report_moves_once() {
        let dir = tempfile::tempdir().unwrap();
        for backend in testing::BACKENDS {
            let db = testing::fresh(backend, dir.path()).await;
            let (agency, _, entry_id) = world(&db).await;
            let actor = Actor::system("test");
            let facts = entry(&db, entry_id).await.unwrap();
            let start = InterimStart::StartOfUse(facts.start_of_use);
            let measure = declare(
                &db,
                &actor,
                agency,
                &NewMeasure {
                    entry_id,
                    entry_version: facts.version,
                    start,
                    deadline: deadline(start).unwrap(),
                    current_status: "未申請",
                },
            )
            .await
            .unwrap();
            let on: NaiveDate = "2026-05-01".parse().unwrap();
            acknowledge(&db, &actor, measure.id, "自らの責任で利用を継続します")
                .await
                .unwrap();
            request_provider(&db, &actor, measure.id, on, "書面", "")
                .await
                .unwrap();
            hear(&db, &actor, measure.id, on, "管理基準の8割に適合")
                .await
                .unwrap();
            // No plan before the report.
            let early = plan(&db, &actor, measure.id, PlanKind::Migration, "移行", on, on).await;
            assert!(matches!(early, Err(StoreError::Conflict(_))), "{early:?}");
            let (a, b) = tokio::join!(
                report(
                    &db,
                    &actor,
                    measure.id,
                    ReportReason::NoApplicationExpected,
                    "見込みなし",
                    on
                ),
                report(
                    &db,
                    &actor,
                    measure.id,
                    ReportReason::NoApplicationExpected,
                    "見込みなし",
                    on
                )
            );
            assert_eq!(
                [&a, &b].iter().filter(|r| r.is_ok()).count(),
                1,
                "{backend:?}"
            );
            let progress_first = add_progress(&db, &actor, measure.id, on, "着手").await;
            assert!(matches!(progress_first, Err(StoreError::Conflict(_))));
            plan(
                &db,
                &actor,
                measure.id,
                PlanKind::BudgetRequest,
                "令和9年度予算で要求",
                on,
                "2027-03-31".parse().unwrap(),
            )
            .await
            .unwrap();
            add_progress(&db, &actor, measure.id, on, "概算要求に計上")
                .await
                .unwrap();
            let r = records(&db, measure.id).await.unwrap();
            assert_eq!(r.acknowledgements.len(), 1);
            assert_eq!(r.requests[0].kind, "書面");
            assert_eq!(r.hearings[0].text, "管理基準の8割に適合");
            assert_eq!(r.report.as_ref().unwrap().kind, "no_application_expected");
            assert_eq!(r.plans[0].kind, "budget_request");
            assert_eq!(r.progress.len(), 1);
            let notified: i64 = sqlx::query(
                "SELECT COUNT(*) AS n FROM notifications WHERE kind = 'interim.reported'",
            )
            .fetch_one(&db.pool)
            .await
            .unwrap()
            .try_get("n")
            .unwrap();
            // The test world has no secretariat: nobody to notify.
            assert_eq!(notified, 0);
            for table in ["interim_hearings", "interim_reports", "interim_plans"] {
                let deleted = sqlx::query(&format!("DELETE FROM {table}"))
                    .execute(&db.pool)
                    .await;
                assert!(deleted.is_err(), "{backend:?}: {table} refuses deletes");
            }
        }
    }
}
