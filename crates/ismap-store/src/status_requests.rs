//! Status requests (申請状況の問合せ, seed 000 section 3: 「各政府機関等の調達に
//! 係るクラウドサービスの本制度における申請状況等について、各政府機関等の問合せに
//! 対して可能な限り状況を開示する」): an agency asks for the application status
//! of a service; the secretariat answers with what it chooses to disclose
//! (the web form is prefilled from the portal's records).
//!
//! For the operations report: [`count_between`], [`count_open`].

use chrono::NaiveDate;
use ismap_domain::Role;
use ismap_domain::channel::StatusRequestState;
use serde_json::json;
use sqlx::{Row, any::AnyRow};

use crate::channel::{self, Tell};
use crate::events::{Actor, NewEvent};
use crate::{Db, Result, StoreError, now};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusRequest {
    pub id: i64,
    pub agency_id: i64,
    pub agency_name: String,
    pub agency_name_en: String,
    pub service_id: Option<i64>,
    pub service_name: String,
    pub question: String,
    pub state: StatusRequestState,
    pub answer: Option<String>,
    pub answered_at: Option<String>,
    pub version: i64,
    pub created_at: String,
}

const SELECT: &str = "SELECT r.id, r.agency_id, o.name AS agency_name, o.name_en AS agency_name_en, \
    r.service_id, r.service_name, r.question, r.state, r.answer, r.answered_at, r.version, r.created_at \
    FROM status_requests r JOIN organizations o ON o.id = r.agency_id";

fn from_row(row: &AnyRow) -> Result<StatusRequest> {
    let state: String = row.try_get("state")?;
    Ok(StatusRequest {
        id: row.try_get("id")?,
        agency_id: row.try_get("agency_id")?,
        agency_name: row.try_get("agency_name")?,
        agency_name_en: row.try_get("agency_name_en")?,
        service_id: row.try_get("service_id")?,
        service_name: row.try_get("service_name")?,
        question: row.try_get("question")?,
        state: StatusRequestState::from_key(&state)
            .ok_or_else(|| StoreError::Corrupt(format!("status request state {state:?}")))?,
        answer: row.try_get("answer")?,
        answered_at: row.try_get("answered_at")?,
        version: row.try_get("version")?,
        created_at: row.try_get("created_at")?,
    })
}

pub async fn get(db: &Db, id: i64) -> Result<StatusRequest> {
    from_row(&channel::one(db, SELECT, "r", "status request", id).await?)
}

/// Requests, newest first: one agency's or (`None`) all.
pub async fn list(db: &Db, agency_id: Option<i64>) -> Result<Vec<StatusRequest>> {
    let rows = channel::of_agency(db, SELECT, "r", agency_id).await?;
    rows.iter().map(from_row).collect()
}

/// The agency asks; the secretariat is told.
pub async fn submit(
    db: &Db,
    actor: &Actor,
    agency_id: i64,
    service_id: Option<i64>,
    service_name: &str,
    question: &str,
) -> Result<StatusRequest> {
    let mut tx = db.begin().await?;
    let row = sqlx::query(
        "INSERT INTO status_requests (agency_id, service_id, service_name, question, state, created_at, created_by) \
         VALUES ($1, $2, $3, $4, 'open', $5, $6) RETURNING id",
    )
    .bind(agency_id)
    .bind(service_id)
    .bind(service_name)
    .bind(question)
    .bind(now())
    .bind(actor.user_id)
    .fetch_one(&mut *tx)
    .await?;
    let id: i64 = row.try_get("id")?;
    channel::record_tell_commit(
        tx,
        NewEvent {
            actor,
            action: "status_request.submit",
            object_type: "status_request",
            object_id: id.to_string(),
            organization_id: Some(agency_id),
            before: None,
            after: Some(json!({
                "service_id": service_id,
                "service_name": service_name,
                "question": question,
            })),
            reason: "",
        },
        Tell::Role(Role::SecretariatOfficer),
        "status_request.submitted",
        "channel-notify-status-submitted",
        &[("service", service_name.to_owned())],
        &format!("/status-requests/{id}"),
    )
    .await?;
    get(db, id).await
}

/// The secretariat answers with what it discloses, once; the agency is told.
pub async fn answer(
    db: &Db,
    actor: &Actor,
    request: &StatusRequest,
    text: &str,
) -> Result<StatusRequest> {
    let mut tx = db.begin().await?;
    let at = now();
    let done = sqlx::query(
        "UPDATE status_requests SET state = 'answered', answer = $1, answered_at = $2, answered_by = $3, \
         version = version + 1 WHERE id = $4 AND version = $5 AND state = 'open'",
    )
    .bind(text)
    .bind(&at)
    .bind(actor.user_id)
    .bind(request.id)
    .bind(request.version)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if done == 0 {
        return Err(StoreError::Conflict(format!(
            "status request {} was answered meanwhile; reload",
            request.id
        )));
    }
    channel::record_tell_commit(
        tx,
        NewEvent {
            actor,
            action: "status_request.answer",
            object_type: "status_request",
            object_id: request.id.to_string(),
            organization_id: Some(request.agency_id),
            before: Some(json!({ "state": "open" })),
            after: Some(json!({ "state": "answered", "answer": text })),
            reason: "",
        },
        Tell::Agency(request.agency_id),
        "status_request.answered",
        "channel-notify-status-answered",
        &[("service", request.service_name.clone())],
        &format!("/status-requests/{}", request.id),
    )
    .await?;
    get(db, request.id).await
}

/// Requests made in `[from, to)` (for the operations report).
pub async fn count_between(db: &Db, from: NaiveDate, to: NaiveDate) -> Result<i64> {
    let (f, t) = channel::period(from, to);
    channel::count(
        db,
        "SELECT COUNT(*) AS n FROM status_requests WHERE created_at >= $1 AND created_at < $2",
        &[&f, &t],
    )
    .await
}

/// Requests waiting for the secretariat's answer now.
pub async fn count_open(db: &Db) -> Result<i64> {
    channel::count(
        db,
        "SELECT COUNT(*) AS n FROM status_requests WHERE state = 'open'",
        &[],
    )
    .await
}
