//! The cloud usage register (クラウド利用台帳, issue 15; migrations 0014 and
//! 0015): each agency's entries, their procurement checks (dated
//! snapshots, never updated) and CISO confirmations. Rows are never
//! deleted; an entry ends. Every change is a conditional update on the
//! entry's version plus its event (object `register_entry`, scoped to the
//! agency) in the same transaction.
//!
//! For other areas: [`Entry`], [`get`] and [`list`] are the register as
//! stored (the interim measures hang off an entry's id).

use chrono::NaiveDate;
use ismap_domain::procurement::{
    self, AssessmentFacts, CheckResult, Facts, LiuAssessment, RegistrationFacts,
    SpecialMeasureFacts, SpecialMeasures,
};
use ismap_domain::register::{EntryInput, KnownService, Path, Status};
use serde_json::{Value, json};
use sqlx::{AnyConnection, Row, any::AnyRow};

use crate::events::{self, Actor, NewEvent};
use crate::files::{self, NewFile};
use crate::vault::MasterKey;
use crate::{Db, Result, StoreError, now};

/// The events' object type.
pub const OBJECT: &str = "register_entry";

/// One register entry as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub id: i64,
    pub agency_id: i64,
    pub agency_name: String,
    pub agency_name_en: String,
    pub system_name: String,
    pub service_id: Option<i64>,
    pub service_name: String,
    pub provider_name: String,
    pub purpose: String,
    pub confidentiality: u8,
    pub start_of_use: NaiveDate,
    pub status: Status,
    pub path: Path,
    pub note: String,
    /// The agency's ISMAP-LIU impact assessment that covers this use
    /// (migration 0019): what the procurement check reads.
    pub impact_assessment_id: Option<i64>,
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
}

impl Entry {
    /// The entry as a typed input (to compare with an import, or edit).
    pub fn input(&self) -> EntryInput {
        EntryInput {
            system_name: self.system_name.clone(),
            service_id: self.service_id,
            service_name: self.service_name.clone(),
            provider_name: self.provider_name.clone(),
            purpose: self.purpose.clone(),
            confidentiality: self.confidentiality,
            start_of_use: self.start_of_use,
            status: self.status,
            note: self.note.clone(),
        }
    }
}

const SELECT: &str = "SELECT e.id, e.agency_id, o.name AS agency_name, o.name_en AS agency_name_en, \
    e.system_name, e.service_id, e.service_name, e.provider_name, e.purpose, e.confidentiality, \
    e.start_of_use, e.status, e.path, e.note, e.impact_assessment_id, e.version, e.created_at, e.updated_at \
    FROM cloud_usage_entries e JOIN organizations o ON o.id = e.agency_id";

fn from_row(row: &AnyRow) -> Result<Entry> {
    let status: String = row.try_get("status")?;
    let path: String = row.try_get("path")?;
    let start: String = row.try_get("start_of_use")?;
    let confidentiality: i64 = row.try_get("confidentiality")?;
    Ok(Entry {
        id: row.try_get("id")?,
        agency_id: row.try_get("agency_id")?,
        agency_name: row.try_get("agency_name")?,
        agency_name_en: row.try_get("agency_name_en")?,
        system_name: row.try_get("system_name")?,
        service_id: row.try_get("service_id")?,
        service_name: row.try_get("service_name")?,
        provider_name: row.try_get("provider_name")?,
        purpose: row.try_get("purpose")?,
        confidentiality: u8::try_from(confidentiality)
            .map_err(|_| StoreError::Corrupt(format!("confidentiality {confidentiality}")))?,
        start_of_use: start
            .parse()
            .map_err(|_| StoreError::Corrupt(format!("start_of_use {start:?}")))?,
        status: Status::from_key(&status)
            .ok_or_else(|| StoreError::Corrupt(format!("register status {status:?}")))?,
        path: Path::from_key(&path)
            .ok_or_else(|| StoreError::Corrupt(format!("register path {path:?}")))?,
        note: row.try_get("note")?,
        impact_assessment_id: row.try_get("impact_assessment_id")?,
        version: row.try_get("version")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

fn snapshot(e: &EntryInput) -> Value {
    json!({
        "system_name": e.system_name,
        "service_id": e.service_id,
        "service_name": e.service_name,
        "provider_name": e.provider_name,
        "purpose": e.purpose,
        "confidentiality": e.confidentiality,
        "start_of_use": e.start_of_use.to_string(),
        "status": e.status.key(),
        "note": e.note,
    })
}

/// One entry; `register entry {id}` when missing (the words a hidden one
/// gets too).
pub async fn get(db: &Db, id: i64) -> Result<Entry> {
    let row = sqlx::query(&format!("{SELECT} WHERE e.id = $1"))
        .bind(id)
        .fetch_optional(&db.pool)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("register entry {id}")))?;
    from_row(&row)
}

/// The entries of one agency (`Some`) or of all (`None`), by id.
pub async fn list(db: &Db, agency: Option<i64>) -> Result<Vec<Entry>> {
    let rows = match agency {
        Some(agency) => {
            sqlx::query(&format!("{SELECT} WHERE e.agency_id = $1 ORDER BY e.id"))
                .bind(agency)
                .fetch_all(&db.pool)
                .await?
        }
        None => {
            sqlx::query(&format!("{SELECT} ORDER BY e.agency_id, e.id"))
                .fetch_all(&db.pool)
                .await?
        }
    };
    rows.iter().map(from_row).collect()
}

/// The services an entry may name: the portal's services with a
/// registration on a list (the public lists), newest names.
pub async fn known_services(db: &Db) -> Result<Vec<KnownService>> {
    let rows = sqlx::query(
        "SELECT s.id, s.name, o.name AS provider FROM services s JOIN organizations o ON o.id = s.organization_id \
         WHERE EXISTS (SELECT 1 FROM registrations r WHERE r.service_id = s.id) ORDER BY s.name, s.id",
    )
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(KnownService {
                id: r.try_get("id")?,
                name: r.try_get("name")?,
                provider: r.try_get("provider")?,
            })
        })
        .collect()
}

async fn insert(
    conn: &mut AnyConnection,
    actor: &Actor,
    agency: i64,
    e: &EntryInput,
    action: &str,
    reason: &str,
) -> Result<i64> {
    let at = now();
    let row = sqlx::query(
        "INSERT INTO cloud_usage_entries (agency_id, system_name, service_id, service_name, provider_name, \
         purpose, confidentiality, start_of_use, status, note, created_at, created_by, updated_at, updated_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id",
    )
    .bind(agency)
    .bind(&e.system_name)
    .bind(e.service_id)
    .bind(&e.service_name)
    .bind(&e.provider_name)
    .bind(&e.purpose)
    .bind(i64::from(e.confidentiality))
    .bind(e.start_of_use.to_string())
    .bind(e.status.key())
    .bind(&e.note)
    .bind(&at)
    .bind(actor.user_id)
    .bind(&at)
    .bind(actor.user_id)
    .fetch_one(&mut *conn)
    .await?;
    let id: i64 = row.try_get("id")?;
    events::record(
        conn,
        NewEvent {
            actor,
            action,
            object_type: OBJECT,
            object_id: id.to_string(),
            organization_id: Some(agency),
            before: None,
            after: Some(snapshot(e)),
            reason,
        },
    )
    .await?;
    Ok(id)
}

/// Records a new entry of `agency`.
pub async fn create(db: &Db, actor: &Actor, agency: i64, e: &EntryInput) -> Result<Entry> {
    let mut tx = db.begin().await?;
    let id = insert(&mut tx, actor, agency, e, "register.create", "").await?;
    tx.commit().await?;
    get(db, id).await
}

/// Imports entries all or nothing, in one transaction, an event each;
/// `file` names the file in each event's reason.
pub async fn import(
    db: &Db,
    actor: &Actor,
    agency: i64,
    entries: &[EntryInput],
    file: &str,
) -> Result<Vec<i64>> {
    let mut tx = db.begin().await?;
    let mut ids = Vec::with_capacity(entries.len());
    for e in entries {
        ids.push(insert(&mut tx, actor, agency, e, "register.import", file).await?);
    }
    tx.commit().await?;
    Ok(ids)
}

async fn conflict(db: &Db, id: i64, expected: i64) -> StoreError {
    match get(db, id).await {
        Ok(current) => StoreError::Conflict(format!(
            "register entry {id} was changed meanwhile (version {} now, {expected} expected)",
            current.version
        )),
        Err(e) => e,
    }
}

/// The impact assessments of `agency` for `service` (any state), newest
/// first: those an entry of the agency naming the service may name.
pub async fn assessments_for(
    db: &Db,
    agency: i64,
    service: i64,
) -> Result<Vec<crate::impact_assessments::ImpactAssessment>> {
    Ok(
        crate::impact_assessments::list(db, crate::impact_assessments::Scope::Service(service))
            .await?
            .into_iter()
            .filter(|a| a.agency_id == agency)
            .collect(),
    )
}

/// Whether assessment `id` is `agency`'s assessment of `service`, read in
/// the caller's transaction.
async fn assessment_fits(
    conn: &mut AnyConnection,
    id: i64,
    agency: i64,
    service: Option<i64>,
) -> Result<bool> {
    let Some(service) = service else {
        return Ok(false);
    };
    let row = sqlx::query(
        "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM impact_assessments WHERE id = $1 AND agency_id = $2 AND service_id = $3",
    )
    .bind(id)
    .bind(agency)
    .bind(service)
    .fetch_one(&mut *conn)
    .await?;
    let n: i64 = row.try_get("n")?;
    Ok(n == 1)
}

/// Changes an entry if it is still at `version`: of two changes from the
/// same version, one wins and the other is a conflict. `assessment`: the
/// agency's ISMAP-LIU impact assessment of the entry's service that covers
/// this use (refused as a conflict when it is not the agency's assessment
/// of that service: the form checks it first).
pub async fn update(
    db: &Db,
    actor: &Actor,
    id: i64,
    version: i64,
    e: &EntryInput,
    assessment: Option<i64>,
) -> Result<Entry> {
    let before = get(db, id).await?;
    let mut tx = db.begin().await?;
    if let Some(a) = assessment
        && !assessment_fits(&mut tx, a, before.agency_id, e.service_id).await?
    {
        return Err(StoreError::Conflict(format!(
            "impact assessment {a} is not this agency's assessment of the entry's service"
        )));
    }
    let changed = sqlx::query(
        "UPDATE cloud_usage_entries SET system_name = $1, service_id = $2, service_name = $3, provider_name = $4, \
         purpose = $5, confidentiality = $6, start_of_use = $7, status = $8, note = $9, version = version + 1, \
         updated_at = $10, updated_by = $11, impact_assessment_id = $14 WHERE id = $12 AND version = $13",
    )
    .bind(&e.system_name)
    .bind(e.service_id)
    .bind(&e.service_name)
    .bind(&e.provider_name)
    .bind(&e.purpose)
    .bind(i64::from(e.confidentiality))
    .bind(e.start_of_use.to_string())
    .bind(e.status.key())
    .bind(&e.note)
    .bind(now())
    .bind(actor.user_id)
    .bind(id)
    .bind(version)
    .bind(assessment)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if changed != 1 {
        drop(tx);
        return Err(conflict(db, id, version).await);
    }
    let with_assessment = |mut v: Value, a: Option<i64>| {
        v["impact_assessment_id"] = json!(a);
        v
    };
    events::record(
        &mut tx,
        NewEvent {
            actor,
            action: if e.status == Status::Ended && before.status != Status::Ended {
                "register.end"
            } else {
                "register.update"
            },
            object_type: OBJECT,
            object_id: id.to_string(),
            organization_id: Some(before.agency_id),
            before: Some(with_assessment(
                snapshot(&before.input()),
                before.impact_assessment_id,
            )),
            after: Some(with_assessment(snapshot(e), assessment)),
            reason: "",
        },
    )
    .await?;
    tx.commit().await?;
    get(db, id).await
}

/// Ends an entry (status `ended`, kept for good) if still at `version`.
pub async fn end(db: &Db, actor: &Actor, id: i64, version: i64) -> Result<Entry> {
    let entry = get(db, id).await?;
    let mut input = entry.input();
    input.status = Status::Ended;
    update(db, actor, id, version, &input, entry.impact_assessment_id).await
}

/// Sets the entry's path inside the caller's transaction, if still at
/// `version`.
async fn set_path(
    conn: &mut AnyConnection,
    actor: &Actor,
    entry: &Entry,
    path: Path,
    reason: &str,
) -> Result<bool> {
    let changed = sqlx::query(
        "UPDATE cloud_usage_entries SET path = $1, version = version + 1, updated_at = $2, updated_by = $3 \
         WHERE id = $4 AND version = $5",
    )
    .bind(path.key())
    .bind(now())
    .bind(actor.user_id)
    .bind(entry.id)
    .bind(entry.version)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if changed != 1 {
        return Ok(false);
    }
    events::record(
        conn,
        NewEvent {
            actor,
            action: "register.path",
            object_type: OBJECT,
            object_id: entry.id.to_string(),
            organization_id: Some(entry.agency_id),
            before: Some(json!({ "path": entry.path.key() })),
            after: Some(json!({ "path": path.key() })),
            reason,
        },
    )
    .await?;
    Ok(true)
}

/// The change history of an entry, oldest first.
pub async fn history(db: &Db, id: i64) -> Result<Vec<events::Event>> {
    events::of_object(db, OBJECT, id).await
}

// ---------------------------------------------------------------------
// Procurement checks (調達前確認).

fn assessment_facts(a: &crate::impact_assessments::ImpactAssessment) -> AssessmentFacts {
    AssessmentFacts {
        id: a.id,
        agency_id: a.agency_id,
        service_id: a.service_id,
        use_name: a.use_name.clone(),
        state: a.state,
        approved_at: a.approved_at.clone(),
    }
}

/// The facts the procurement check of `service_id` reads, for `agency`
/// (its ISMAP-LIU impact assessments of the service) and the use's
/// assessment `named` (the register entry's, or the API's `assessment_id`;
/// whether it is the agency's for the service is the check's to say).
pub async fn procurement_facts(
    db: &Db,
    service_id: i64,
    agency: Option<i64>,
    named: Option<i64>,
) -> Result<Facts> {
    let service = crate::services::get(db, service_id).await?;
    let registrations = crate::registrations::of_service(db, service_id)
        .await?
        .into_iter()
        .map(|r| RegistrationFacts {
            list: r.list,
            number: r.number.clone(),
            valid_from: r.valid_from,
            valid_until: r.valid_until,
            superseded: r.superseded,
            renewal_under_review: r.renewal_pending,
            improvement_plan: r.improvement_plan,
            suspended: r.suspended_at.is_some(),
            suspension_reason: r.suspension_reason.clone(),
        })
        .collect();
    let agency_assessments: Vec<AssessmentFacts> = match agency {
        Some(agency) => assessments_for(db, agency, service_id)
            .await?
            .iter()
            .map(assessment_facts)
            .collect(),
        None => Vec::new(),
    };
    let named_assessment = match named {
        Some(id) => Some(assessment_facts(
            &crate::impact_assessments::get(db, id).await?,
        )),
        None => None,
    };
    let special_measures = crate::special_measures::list(db, None, true)
        .await?
        .into_iter()
        .filter(|s| s.service_id == Some(service_id))
        .map(|s| SpecialMeasureFacts {
            id: s.id,
            period_start: s.period_start,
            period_end: s.period_end,
            ended: s.ended,
        })
        .collect();
    Ok(Facts {
        service_id: Some(service_id),
        service_name: service.name,
        model: Some(service.model.key().to_owned()),
        registrations,
        agency_id: agency,
        named_assessment,
        agency_assessments,
        special_measures,
    })
}

/// The facts for an entry naming no portal service: nothing registered.
pub fn unregistered_facts(service_name: &str) -> Facts {
    Facts {
        service_id: None,
        service_name: service_name.to_owned(),
        model: None,
        registrations: Vec::new(),
        agency_id: None,
        named_assessment: None,
        agency_assessments: Vec::new(),
        special_measures: Vec::new(),
    }
}

/// A check result as JSON (the stored snapshot and the API's answer).
pub fn result_json(r: &CheckResult) -> Value {
    json!({
        "day": r.day.to_string(),
        "service_id": r.service_id,
        "service_name": r.service_name,
        "model": r.model,
        "lists": r.lists.iter().map(|l| json!({
            "list": l.list,
            "number": l.number,
            "valid_from": l.valid_from.to_string(),
            "valid_until": l.valid_until.to_string(),
            "validity": l.validity.key(),
            "valid": l.validity.is_valid(),
            "renewal_under_review": l.renewal_under_review,
            "improvement_plan": l.improvement_plan,
            "suspended": l.suspended,
            "suspension_reason": l.suspension_reason,
        })).collect::<Vec<_>>(),
        "liu_assessment": match &r.liu_assessment {
            LiuAssessment::NotNeeded => json!({ "state": "not_needed" }),
            LiuAssessment::Approved { id, use_name } => {
                json!({ "state": "approved", "id": id, "use_name": use_name })
            }
            LiuAssessment::NotApprovedYet { id, use_name, state } => json!({
                "state": "not_approved_yet", "id": id, "use_name": use_name,
                "assessment_state": state.key(),
            }),
            LiuAssessment::Missing { candidates } => json!({
                "state": "missing",
                "candidates": candidates.iter().map(|c| json!({
                    "id": c.id, "use_name": c.use_name, "approved_at": c.approved_at,
                })).collect::<Vec<_>>(),
            }),
        },
        "special_measures": match &r.special_measures {
            SpecialMeasures::NotApplicable => json!({ "state": "not_applicable" }),
            SpecialMeasures::NotListed => json!({ "state": "not_listed" }),
            SpecialMeasures::Listed { id, period_start, period_end, in_period } => json!({
                "state": "listed", "id": id, "period_start": period_start.to_string(),
                "period_end": period_end.to_string(), "in_period": in_period,
            }),
        },
        "verdict": r.verdict.key(),
        "rules": r.rules.iter().map(|rule| json!({
            "key": rule.key,
            "provenance": match rule.provenance {
                procurement::Provenance::Seed => "seed",
                procurement::Provenance::ThisSystem => "this_system",
            },
            "source": rule.source,
        })).collect::<Vec<_>>(),
    })
}

/// A stored procurement check.
#[derive(Clone, Debug, PartialEq)]
pub struct Check {
    pub id: i64,
    pub entry_id: i64,
    pub checked_for_day: NaiveDate,
    pub checked_at: String,
    pub checked_by: Option<i64>,
    pub checked_by_name: Option<String>,
    pub verdict: String,
    pub result: Value,
}

/// Stores the check of `entry` on `day` as a snapshot (never updated);
/// when the agency may procure the service from a list (valid on it and,
/// for an ISMAP-LIU service, with the agency's own approved impact
/// assessment: the verdict `procure_from_list`), the entry's path becomes
/// `registered` if the entry is still as read (else a conflict, and
/// nothing is stored).
pub async fn record_check(
    db: &Db,
    actor: &Actor,
    entry: &Entry,
    result: &CheckResult,
) -> Result<Check> {
    let mut tx = db.begin().await?;
    let row = sqlx::query(
        "INSERT INTO procurement_checks (entry_id, agency_id, service_id, checked_for_day, checked_at, checked_by, verdict, result) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(entry.id)
    .bind(entry.agency_id)
    .bind(entry.service_id)
    .bind(result.day.to_string())
    .bind(now())
    .bind(actor.user_id)
    .bind(result.verdict.key())
    .bind(result_json(result).to_string())
    .fetch_one(&mut *tx)
    .await?;
    let id: i64 = row.try_get("id")?;
    events::record(
        &mut tx,
        NewEvent {
            actor,
            action: "register.check",
            object_type: OBJECT,
            object_id: entry.id.to_string(),
            organization_id: Some(entry.agency_id),
            before: None,
            after: Some(json!({
                "check": id,
                "day": result.day.to_string(),
                "verdict": result.verdict.key(),
            })),
            reason: "",
        },
    )
    .await?;
    // Not merely `valid_on_a_list()`: an ISMAP-LIU service the agency has
    // not assessed is not procurable from the list yet (spec §7).
    if result.verdict == ismap_domain::procurement::Verdict::ProcureFromList
        && entry.path != Path::Registered
        && !set_path(&mut tx, actor, entry, Path::Registered, "").await?
    {
        drop(tx);
        return Err(conflict(db, entry.id, entry.version).await);
    }
    tx.commit().await?;
    checks(db, entry.id)
        .await?
        .into_iter()
        .find(|c| c.id == id)
        .ok_or_else(|| StoreError::NotFound(format!("procurement check {id}")))
}

/// An entry's checks, newest first.
pub async fn checks(db: &Db, entry_id: i64) -> Result<Vec<Check>> {
    let rows = sqlx::query(
        "SELECT c.id, c.entry_id, c.checked_for_day, c.checked_at, c.checked_by, u.display_name, c.verdict, c.result \
         FROM procurement_checks c LEFT JOIN users u ON u.id = c.checked_by WHERE c.entry_id = $1 ORDER BY c.id DESC",
    )
    .bind(entry_id)
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            let day: String = r.try_get("checked_for_day")?;
            let result: String = r.try_get("result")?;
            Ok(Check {
                id: r.try_get("id")?,
                entry_id: r.try_get("entry_id")?,
                checked_for_day: day
                    .parse()
                    .map_err(|_| StoreError::Corrupt(format!("checked_for_day {day:?}")))?,
                checked_at: r.try_get("checked_at")?,
                checked_by: r.try_get("checked_by")?,
                checked_by_name: r.try_get("display_name")?,
                verdict: r.try_get("verdict")?,
                result: serde_json::from_str(&result)
                    .map_err(|e| StoreError::Corrupt(format!("procurement check result: {e}")))?,
            })
        })
        .collect()
}

// ---------------------------------------------------------------------
// CISO confirmation (CISO確認).

/// A file sent with a draft or a confirmation, stored encrypted with the
/// agency's key.
pub struct Evidence<'a> {
    pub master: &'a MasterKey,
    pub file_name: &'a str,
    pub content_type: &'a str,
    pub bytes: &'a [u8],
}

/// The draft an officer prepared.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Draft {
    pub entry_id: i64,
    pub basis: String,
    pub evidence_note: String,
    pub file_id: Option<i64>,
    pub prepared_by: i64,
    pub prepared_by_name: Option<String>,
    pub prepared_at: String,
}

/// A confirmation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Confirmation {
    pub id: i64,
    pub entry_id: i64,
    pub basis: String,
    pub evidence_note: String,
    pub file_id: Option<i64>,
    pub confirmed_on: NaiveDate,
    pub confirmed_by: i64,
    pub confirmed_by_name: Option<String>,
    pub prepared_by: Option<i64>,
    pub prepared_by_name: Option<String>,
    pub created_at: String,
}

async fn store_evidence(
    conn: &mut AnyConnection,
    actor: &Actor,
    agency: i64,
    evidence: Option<Evidence<'_>>,
) -> Result<Option<i64>> {
    match evidence {
        None => Ok(None),
        Some(e) => Ok(Some(
            files::store_in(
                conn,
                e.master,
                actor,
                NewFile {
                    organization_id: agency,
                    file_name: e.file_name,
                    content_type: e.content_type,
                    bytes: e.bytes,
                },
            )
            .await?
            .id,
        )),
    }
}

/// The entry's draft, if one was prepared.
pub async fn draft(db: &Db, entry_id: i64) -> Result<Option<Draft>> {
    let row = sqlx::query(
        "SELECT d.entry_id, d.basis, d.evidence_note, d.file_id, d.prepared_by, u.display_name, d.prepared_at \
         FROM ciso_confirmation_drafts d LEFT JOIN users u ON u.id = d.prepared_by WHERE d.entry_id = $1",
    )
    .bind(entry_id)
    .fetch_optional(&db.pool)
    .await?;
    row.map(|r| {
        Ok(Draft {
            entry_id: r.try_get("entry_id")?,
            basis: r.try_get("basis")?,
            evidence_note: r.try_get("evidence_note")?,
            file_id: r.try_get("file_id")?,
            prepared_by: r.try_get("prepared_by")?,
            prepared_by_name: r.try_get("display_name")?,
            prepared_at: r.try_get("prepared_at")?,
        })
    })
    .transpose()
}

/// Saves the draft of a confirmation (replacing the previous draft; a new
/// file replaces the draft's file, no file keeps it).
pub async fn save_draft(
    db: &Db,
    actor: &Actor,
    entry: &Entry,
    basis: &str,
    evidence_note: &str,
    evidence: Option<Evidence<'_>>,
) -> Result<Draft> {
    let user = actor
        .user_id
        .ok_or_else(|| StoreError::Conflict("a draft is prepared by a person".into()))?;
    let previous = draft(db, entry.id).await?;
    let mut tx = db.begin().await?;
    let file_id = match store_evidence(&mut tx, actor, entry.agency_id, evidence).await? {
        Some(id) => Some(id),
        None => previous.as_ref().and_then(|d| d.file_id),
    };
    let at = now();
    let sql = if previous.is_some() {
        "UPDATE ciso_confirmation_drafts SET basis = $2, evidence_note = $3, file_id = $4, prepared_by = $5, prepared_at = $6 \
         WHERE entry_id = $1"
    } else {
        "INSERT INTO ciso_confirmation_drafts (entry_id, basis, evidence_note, file_id, prepared_by, prepared_at) \
         VALUES ($1, $2, $3, $4, $5, $6)"
    };
    sqlx::query(sql)
        .bind(entry.id)
        .bind(basis)
        .bind(evidence_note)
        .bind(file_id)
        .bind(user)
        .bind(&at)
        .execute(&mut *tx)
        .await?;
    events::record(
        &mut tx,
        NewEvent {
            actor,
            action: "register.ciso_prepare",
            object_type: OBJECT,
            object_id: entry.id.to_string(),
            organization_id: Some(entry.agency_id),
            before: None,
            after: Some(
                json!({ "basis": basis, "evidence_note": evidence_note, "file_id": file_id }),
            ),
            reason: "",
        },
    )
    .await?;
    tx.commit().await?;
    draft(db, entry.id)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("draft of register entry {}", entry.id)))
}

/// The CISO confirms: the confirmation is recorded and the entry's path
/// becomes `ciso_confirmed`, if the entry is still at `entry.version`
/// (else a conflict, and nothing is recorded). The draft's file is kept
/// when no new file is sent; its preparer is recorded.
pub async fn confirm(
    db: &Db,
    actor: &Actor,
    entry: &Entry,
    basis: &str,
    evidence_note: &str,
    confirmed_on: NaiveDate,
    evidence: Option<Evidence<'_>>,
) -> Result<Confirmation> {
    let user = actor
        .user_id
        .ok_or_else(|| StoreError::Conflict("a confirmation is made by a person".into()))?;
    let prepared = draft(db, entry.id).await?;
    let mut tx = db.begin().await?;
    if !set_path(&mut tx, actor, entry, Path::CisoConfirmed, basis).await? {
        drop(tx);
        return Err(conflict(db, entry.id, entry.version).await);
    }
    let file_id = match store_evidence(&mut tx, actor, entry.agency_id, evidence).await? {
        Some(id) => Some(id),
        None => prepared.as_ref().and_then(|d| d.file_id),
    };
    let prepared_by = prepared
        .as_ref()
        .map(|d| d.prepared_by)
        .filter(|p| *p != user);
    let row = sqlx::query(
        "INSERT INTO ciso_confirmations (entry_id, agency_id, basis, evidence_note, file_id, confirmed_on, confirmed_by, prepared_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(entry.id)
    .bind(entry.agency_id)
    .bind(basis)
    .bind(evidence_note)
    .bind(file_id)
    .bind(confirmed_on.to_string())
    .bind(user)
    .bind(prepared_by)
    .bind(now())
    .fetch_one(&mut *tx)
    .await?;
    let id: i64 = row.try_get("id")?;
    events::record(
        &mut tx,
        NewEvent {
            actor,
            action: "register.ciso_confirm",
            object_type: OBJECT,
            object_id: entry.id.to_string(),
            organization_id: Some(entry.agency_id),
            before: None,
            after: Some(json!({
                "confirmation": id,
                "basis": basis,
                "evidence_note": evidence_note,
                "file_id": file_id,
                "confirmed_on": confirmed_on.to_string(),
                "prepared_by": prepared_by,
            })),
            reason: "",
        },
    )
    .await?;
    tx.commit().await?;
    confirmations(db, entry.id)
        .await?
        .into_iter()
        .find(|c| c.id == id)
        .ok_or_else(|| StoreError::NotFound(format!("confirmation {id}")))
}

/// An entry's confirmations, newest first.
pub async fn confirmations(db: &Db, entry_id: i64) -> Result<Vec<Confirmation>> {
    let rows = sqlx::query(
        "SELECT c.id, c.entry_id, c.basis, c.evidence_note, c.file_id, c.confirmed_on, c.confirmed_by, \
         u.display_name AS confirmed_by_name, c.prepared_by, p.display_name AS prepared_by_name, c.created_at \
         FROM ciso_confirmations c LEFT JOIN users u ON u.id = c.confirmed_by LEFT JOIN users p ON p.id = c.prepared_by \
         WHERE c.entry_id = $1 ORDER BY c.id DESC",
    )
    .bind(entry_id)
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            let day: String = r.try_get("confirmed_on")?;
            Ok(Confirmation {
                id: r.try_get("id")?,
                entry_id: r.try_get("entry_id")?,
                basis: r.try_get("basis")?,
                evidence_note: r.try_get("evidence_note")?,
                file_id: r.try_get("file_id")?,
                confirmed_on: day
                    .parse()
                    .map_err(|_| StoreError::Corrupt(format!("confirmed_on {day:?}")))?,
                confirmed_by: r.try_get("confirmed_by")?,
                confirmed_by_name: r.try_get("confirmed_by_name")?,
                prepared_by: r.try_get("prepared_by")?,
                prepared_by_name: r.try_get("prepared_by_name")?,
                created_at: r.try_get("created_at")?,
            })
        })
        .collect()
}

/// Whether `file_id` is evidence of `entry_id` (its draft or one of its
/// confirmations): what the download route serves.
pub async fn is_evidence_of(db: &Db, entry_id: i64, file_id: i64) -> Result<bool> {
    let row = sqlx::query(
        "SELECT CAST(CASE WHEN EXISTS (SELECT 1 FROM ciso_confirmations WHERE entry_id = $1 AND file_id = $2) \
         OR EXISTS (SELECT 1 FROM ciso_confirmation_drafts WHERE entry_id = $1 AND file_id = $2) THEN 1 ELSE 0 END AS BIGINT) AS found",
    )
    .bind(entry_id)
    .bind(file_id)
    .fetch_one(&db.pool)
    .await?;
    crate::read_flag(&row, "found")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing;
    use ismap_domain::OrgKind;

    fn input(name: &str) -> EntryInput {
        EntryInput {
            system_name: "文書管理システム".into(),
            service_id: None,
            service_name: name.into(),
            provider_name: "株式会社サンプル".into(),
            purpose: "保管".into(),
            confidentiality: 2,
            start_of_use: "2026-04-01".parse().unwrap(),
            status: Status::Planned,
            note: String::new(),
        }
    }

    #[tokio::test]
    async fn entries_change_once_per_version_with_events() {
        let dir = tempfile::tempdir().unwrap();
        for backend in testing::BACKENDS {
            let db = testing::fresh(backend, dir.path()).await;
            let actor = Actor::system("test");
            let org = crate::orgs::create(&db, &actor, "A省", "Ministry A", OrgKind::Agency)
                .await
                .unwrap();
            let a = org.id;
            let b = crate::orgs::create(&db, &actor, "B庁", "Agency B", OrgKind::Agency)
                .await
                .unwrap()
                .id;
            let entry = create(&db, &actor, a, &input("勤怠SaaS")).await.unwrap();
            assert_eq!(entry.version, 1);
            assert_eq!(entry.path, Path::Undecided);
            import(
                &db,
                &actor,
                b,
                &[input("会計SaaS"), input("人事SaaS")],
                "b.csv",
            )
            .await
            .unwrap();
            assert_eq!(list(&db, Some(a)).await.unwrap().len(), 1);
            assert_eq!(list(&db, Some(b)).await.unwrap().len(), 2);
            assert_eq!(list(&db, None).await.unwrap().len(), 3);
            // Two changes from version 1, at once: one wins.
            let mut first = input("勤怠SaaS");
            first.purpose = "一".into();
            let mut second = input("勤怠SaaS");
            second.purpose = "二".into();
            let (x, y) = tokio::join!(
                update(&db, &actor, entry.id, 1, &first, None),
                update(&db, &actor, entry.id, 1, &second, None)
            );
            let wins = [&x, &y].iter().filter(|r| r.is_ok()).count();
            assert_eq!(wins, 1, "{backend:?}: {x:?} {y:?}");
            assert!(
                [&x, &y]
                    .iter()
                    .any(|r| matches!(r, Err(StoreError::Conflict(_)))),
                "{backend:?}"
            );
            let now = get(&db, entry.id).await.unwrap();
            assert_eq!(now.version, 2);
            let mut ended = now.input();
            ended.status = Status::Ended;
            ended.start_of_use = "2026-01-01".parse().unwrap();
            update(&db, &actor, entry.id, 2, &ended, None)
                .await
                .unwrap();
            let actions: Vec<String> = history(&db, entry.id)
                .await
                .unwrap()
                .into_iter()
                .map(|e| e.action)
                .collect();
            assert_eq!(
                actions,
                ["register.create", "register.update", "register.end"]
            );
            assert!(matches!(
                get(&db, 999_999).await,
                Err(StoreError::NotFound(m)) if m == "register entry 999999"
            ));
        }
    }

    #[tokio::test]
    async fn a_check_is_a_snapshot_and_a_confirmation_sets_the_path() {
        let dir = tempfile::tempdir().unwrap();
        for backend in testing::BACKENDS {
            let db = testing::fresh(backend, dir.path()).await;
            let actor = Actor::system("test");
            let org = crate::orgs::create(&db, &actor, "A省", "Ministry A", OrgKind::Agency)
                .await
                .unwrap();
            let a = org.id;
            let entry = create(&db, &actor, a, &input("未登録SaaS")).await.unwrap();
            let result = procurement::check(
                &unregistered_facts("未登録SaaS"),
                "2026-06-01".parse().unwrap(),
            );
            let check = record_check(&db, &actor, &entry, &result).await.unwrap();
            assert_eq!(check.verdict, "needs_ciso_or_interim");
            assert_eq!(check.result["verdict"], "needs_ciso_or_interim");
            let entry = get(&db, entry.id).await.unwrap();
            assert_eq!(
                entry.path,
                Path::Undecided,
                "not registered: path unchanged"
            );
            let user = crate::users::create(
                &db,
                &actor,
                crate::users::NewUser {
                    username: "ciso",
                    display_name: "CISO",
                    email: "ciso@example.jp",
                    password_hash: None,
                },
                &org,
                ismap_domain::Role::AgencyCiso,
            )
            .await
            .unwrap();
            let ciso = Actor::user(user.id, "ciso");
            let stale = entry.clone();
            let confirmed = confirm(
                &db,
                &ciso,
                &entry,
                "根拠",
                "証跡",
                "2026-06-02".parse().unwrap(),
                None,
            )
            .await
            .unwrap();
            assert_eq!(confirmed.confirmed_by, user.id);
            assert_eq!(get(&db, entry.id).await.unwrap().path, Path::CisoConfirmed);
            let again = confirm(
                &db,
                &ciso,
                &stale,
                "根拠",
                "",
                "2026-06-02".parse().unwrap(),
                None,
            )
            .await;
            assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");
            assert_eq!(confirmations(&db, entry.id).await.unwrap().len(), 1);
        }
    }
}
