//! ISMAP-LIU pre-applications (事前申請, seed 001): filed by the provider to
//! IPA with approved impact assessments and documents; IPA accepts or
//! returns; a returned one is amended and resubmitted (a new round: the
//! earlier rounds' assessments and documents stay). The state machine is
//! `ismap_domain::pre_application`; every move is a conditional update with
//! its transition row and event in one transaction.

use ismap_domain::pre_application::{PreApplicationState, PreTransition};
use serde_json::json;
use sqlx::{AnyConnection, Row, any::AnyRow};

use crate::events::{self, Actor, NewEvent};
use crate::files::{self, NewFile, StoredFile};
use crate::vault::MasterKey;
use crate::{Db, Result, StoreError, now};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PreApplication {
    pub id: i64,
    pub service_id: i64,
    pub service_name: String,
    pub service_model: String,
    pub organization_id: i64,
    pub organization_name: String,
    pub organization_name_en: String,
    pub state: PreApplicationState,
    pub confidentiality2_declared: bool,
    pub note: String,
    pub submitted_at: String,
    pub updated_at: String,
    /// The current round (1, then +1 per resubmission).
    pub round: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransitionRecord {
    pub transition: String,
    pub from_state: String,
    pub to_state: String,
    pub reason: String,
    pub at: String,
    pub actor: String,
    pub actor_name: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Document {
    pub round: i64,
    pub file: StoredFile,
}

const SELECT: &str = "SELECT p.id, p.service_id, s.name AS service_name, s.model AS service_model, \
    p.organization_id, o.name AS organization_name, o.name_en AS organization_name_en, p.state, \
    p.confidentiality2_declared, p.note, p.submitted_at, p.updated_at, \
    (SELECT COALESCE(MAX(x.round), 1) FROM pre_application_assessments x WHERE x.pre_application_id = p.id) AS round \
    FROM pre_applications p JOIN services s ON s.id = p.service_id JOIN organizations o ON o.id = p.organization_id";

fn from_row(row: &AnyRow) -> Result<PreApplication> {
    let state: String = row.try_get("state")?;
    Ok(PreApplication {
        id: row.try_get("id")?,
        service_id: row.try_get("service_id")?,
        service_name: row.try_get("service_name")?,
        service_model: row.try_get("service_model")?,
        organization_id: row.try_get("organization_id")?,
        organization_name: row.try_get("organization_name")?,
        organization_name_en: row.try_get("organization_name_en")?,
        state: PreApplicationState::from_key(&state)
            .ok_or_else(|| StoreError::Corrupt(format!("pre-application state {state:?}")))?,
        confidentiality2_declared: crate::read_flag(row, "confidentiality2_declared")?,
        note: row.try_get("note")?,
        submitted_at: row.try_get("submitted_at")?,
        updated_at: row.try_get("updated_at")?,
        round: row.try_get("round")?,
    })
}

pub async fn get(db: &Db, id: i64) -> Result<PreApplication> {
    let row = sqlx::query(&format!("{SELECT} WHERE p.id = $1"))
        .bind(id)
        .fetch_optional(&db.pool)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("pre-application {id}")))?;
    from_row(&row)
}

/// Pre-applications, newest first: one provider's or all.
pub async fn list(db: &Db, organization_id: Option<i64>) -> Result<Vec<PreApplication>> {
    let rows = match organization_id {
        Some(org) => {
            sqlx::query(&format!(
                "{SELECT} WHERE p.organization_id = $1 ORDER BY p.id DESC"
            ))
            .bind(org)
            .fetch_all(&db.pool)
            .await?
        }
        None => {
            sqlx::query(&format!("{SELECT} ORDER BY p.id DESC"))
                .fetch_all(&db.pool)
                .await?
        }
    };
    rows.iter().map(from_row).collect()
}

/// Whether the service has an accepted pre-application (the LIU gate).
pub async fn has_accepted(db: &Db, service_id: i64) -> Result<bool> {
    let n: i64 = sqlx::query(
        "SELECT COUNT(*) AS n FROM pre_applications WHERE service_id = $1 AND state = 'accepted'",
    )
    .bind(service_id)
    .fetch_one(&db.pool)
    .await?
    .try_get("n")?;
    Ok(n > 0)
}

pub async fn transitions(db: &Db, id: i64) -> Result<Vec<TransitionRecord>> {
    let rows = sqlx::query(
        "SELECT t.transition, t.from_state, t.to_state, t.reason, t.at, t.actor, u.display_name AS actor_name \
         FROM pre_application_transitions t LEFT JOIN users u ON u.id = t.actor_id \
         WHERE t.pre_application_id = $1 ORDER BY t.id",
    )
    .bind(id)
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(TransitionRecord {
                transition: r.try_get("transition")?,
                from_state: r.try_get("from_state")?,
                to_state: r.try_get("to_state")?,
                reason: r.try_get("reason")?,
                at: r.try_get("at")?,
                actor: r.try_get("actor")?,
                actor_name: r.try_get("actor_name")?,
            })
        })
        .collect()
}

/// The assessment ids of a round.
pub async fn assessment_ids(db: &Db, id: i64, round: i64) -> Result<Vec<i64>> {
    let rows = sqlx::query(
        "SELECT assessment_id FROM pre_application_assessments WHERE pre_application_id = $1 AND round = $2 \
         ORDER BY assessment_id",
    )
    .bind(id)
    .bind(round)
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| Ok(r.try_get("assessment_id")?))
        .collect()
}

pub async fn documents(db: &Db, id: i64) -> Result<Vec<Document>> {
    let rows = sqlx::query(
        "SELECT round, file_id FROM pre_application_documents WHERE pre_application_id = $1 ORDER BY id",
    )
    .bind(id)
    .fetch_all(&db.pool)
    .await?;
    let mut out = Vec::new();
    for r in &rows {
        out.push(Document {
            round: r.try_get("round")?,
            file: files::get(db, r.try_get("file_id")?).await?,
        });
    }
    Ok(out)
}

/// The content of one round.
pub struct Round<'a> {
    pub confidentiality2_declared: bool,
    pub note: &'a str,
    pub assessments: &'a [i64],
    pub documents: Vec<NewFile<'a>>,
}

async fn add_round(
    conn: &mut AnyConnection,
    master: &MasterKey,
    actor: &Actor,
    id: i64,
    round: i64,
    content: Round<'_>,
) -> Result<()> {
    for assessment in content.assessments {
        sqlx::query(
            "INSERT INTO pre_application_assessments (pre_application_id, round, assessment_id) VALUES ($1, $2, $3)",
        )
        .bind(id)
        .bind(round)
        .bind(assessment)
        .execute(&mut *conn)
        .await?;
    }
    for file in content.documents {
        let stored = files::store_in(conn, master, actor, file).await?;
        sqlx::query(
            "INSERT INTO pre_application_documents (pre_application_id, round, file_id, added_at, added_by) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id)
        .bind(round)
        .bind(stored.id)
        .bind(now())
        .bind(actor.user_id)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn record(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: i64,
    organization_id: i64,
    transition: &str,
    from: &str,
    to: &str,
    reason: &str,
    after: serde_json::Value,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO pre_application_transitions (pre_application_id, transition, from_state, to_state, reason, at, actor_id, actor) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(id)
    .bind(transition)
    .bind(from)
    .bind(to)
    .bind(reason)
    .bind(now())
    .bind(actor.user_id)
    .bind(&actor.label)
    .execute(&mut *conn)
    .await?;
    let action = format!("pre_application.{transition}");
    events::record(
        conn,
        NewEvent {
            actor,
            action: &action,
            object_type: "pre_application",
            object_id: id.to_string(),
            organization_id: Some(organization_id),
            before: (!from.is_empty()).then(|| json!({ "state": from })),
            after: Some(after),
            reason,
        },
    )
    .await
}

/// The refusal of a second pre-application while one is open.
pub const OPEN_PRE_APPLICATION: &str = "this service already has an open pre-application";

/// Files a pre-application (submitted), unless one of the service is open.
pub async fn submit(
    db: &Db,
    master: &MasterKey,
    actor: &Actor,
    service_id: i64,
    organization_id: i64,
    content: Round<'_>,
) -> Result<PreApplication> {
    let mut tx = db.begin().await?;
    // Claim the service's row first, so of two filings at once the second
    // sees the first (as applications do).
    sqlx::query("UPDATE services SET name = name WHERE id = $1")
        .bind(service_id)
        .execute(&mut *tx)
        .await?;
    let open: i64 = sqlx::query(
        "SELECT COUNT(*) AS n FROM pre_applications WHERE service_id = $1 AND state IN ('submitted', 'returned')",
    )
    .bind(service_id)
    .fetch_one(&mut *tx)
    .await?
    .try_get("n")?;
    if open > 0 {
        return Err(StoreError::Conflict(OPEN_PRE_APPLICATION.into()));
    }
    let at = now();
    let id: i64 = sqlx::query(
        "INSERT INTO pre_applications (service_id, organization_id, state, confidentiality2_declared, note, \
         submitted_by, submitted_at, updated_at) VALUES ($1, $2, 'submitted', $3, $4, $5, $6, $6) RETURNING id",
    )
    .bind(service_id)
    .bind(organization_id)
    .bind(crate::flag(content.confidentiality2_declared))
    .bind(content.note)
    .bind(actor.user_id)
    .bind(&at)
    .fetch_one(&mut *tx)
    .await?
    .try_get("id")?;
    let after = json!({
        "state": "submitted", "service": service_id, "assessments": content.assessments,
        "confidentiality2_declared": content.confidentiality2_declared, "round": 1,
    });
    add_round(&mut tx, master, actor, id, 1, content).await?;
    record(
        &mut tx,
        actor,
        id,
        organization_id,
        "submit",
        "",
        "submitted",
        "",
        after,
    )
    .await?;
    tx.commit().await?;
    get(db, id).await
}

fn moved(pre: &PreApplication) -> StoreError {
    StoreError::Conflict(format!(
        "pre-application {} is no longer {}; reload",
        pre.id,
        pre.state.key()
    ))
}

/// A move without new content (accept, return, withdraw), from the state
/// the caller saw.
pub async fn move_to(
    db: &Db,
    actor: &Actor,
    pre: &PreApplication,
    transition: PreTransition,
    to: PreApplicationState,
    reason: &str,
) -> Result<PreApplication> {
    let mut tx = db.begin().await?;
    let changed = sqlx::query(
        "UPDATE pre_applications SET state = $1, updated_at = $2 WHERE id = $3 AND state = $4",
    )
    .bind(to.key())
    .bind(now())
    .bind(pre.id)
    .bind(pre.state.key())
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if changed != 1 {
        return Err(moved(pre));
    }
    record(
        &mut tx,
        actor,
        pre.id,
        pre.organization_id,
        transition.key(),
        pre.state.key(),
        to.key(),
        reason,
        json!({ "state": to.key() }),
    )
    .await?;
    tx.commit().await?;
    get(db, pre.id).await
}

/// Files an amended, returned pre-application again as a new round.
pub async fn resubmit(
    db: &Db,
    master: &MasterKey,
    actor: &Actor,
    pre: &PreApplication,
    content: Round<'_>,
) -> Result<PreApplication> {
    let mut tx = db.begin().await?;
    let changed = sqlx::query(
        "UPDATE pre_applications SET state = 'submitted', confidentiality2_declared = $1, note = $2, updated_at = $3 \
         WHERE id = $4 AND state = 'returned'",
    )
    .bind(crate::flag(content.confidentiality2_declared))
    .bind(content.note)
    .bind(now())
    .bind(pre.id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if changed != 1 {
        return Err(moved(pre));
    }
    let round = pre.round + 1;
    let after = json!({
        "state": "submitted", "assessments": content.assessments,
        "confidentiality2_declared": content.confidentiality2_declared, "round": round,
    });
    add_round(&mut tx, master, actor, pre.id, round, content).await?;
    record(
        &mut tx,
        actor,
        pre.id,
        pre.organization_id,
        "resubmit",
        "returned",
        "submitted",
        "",
        after,
    )
    .await?;
    tx.commit().await?;
    get(db, pre.id).await
}

/// The pre-application a stored file belongs to, if any.
pub async fn of_file(db: &Db, file_id: i64) -> Result<Option<i64>> {
    let row =
        sqlx::query("SELECT pre_application_id FROM pre_application_documents WHERE file_id = $1")
            .bind(file_id)
            .fetch_optional(&db.pool)
            .await?;
    Ok(match row {
        Some(r) => Some(r.try_get("pre_application_id")?),
        None => None,
    })
}
