//! Impact assessments (業務・情報の影響度評価, spec §7.2): asked for by a
//! provider, filled in by an agency's officer, approved or returned by the
//! agency's CISO or a delegate. Every step is a conditional update on the
//! expected state, with its step row and event in the same transaction; an
//! approved assessment is immutable (the database refuses changes too).

use ismap_domain::impact::{AssessmentDecision, AssessmentInput, AssessmentState, normalize_use};
use serde_json::json;
use sqlx::{AnyConnection, Row, any::AnyRow};

use crate::events::{self, Actor, NewEvent};
use crate::{Db, Result, StoreError, now};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImpactAssessment {
    pub id: i64,
    pub service_id: i64,
    pub service_name: String,
    pub service_model: String,
    pub provider_id: i64,
    pub provider_name: String,
    pub provider_name_en: String,
    pub agency_id: i64,
    pub agency_name: String,
    pub agency_name_en: String,
    pub use_name: String,
    pub note: String,
    pub state: AssessmentState,
    pub content: AssessmentInput,
    pub reused_from: Option<i64>,
    pub requested_at: String,
    pub updated_at: String,
    pub approved_at: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    pub step: String,
    pub from_state: String,
    pub to_state: String,
    pub reason: String,
    pub at: String,
    pub actor: String,
    pub actor_name: Option<String>,
}

const SELECT: &str = "SELECT a.id, a.service_id, s.name AS service_name, s.model AS service_model, \
    a.provider_id, p.name AS provider_name, p.name_en AS provider_name_en, \
    a.agency_id, g.name AS agency_name, g.name_en AS agency_name_en, a.use_name, a.note, a.state, \
    a.business, a.business_other, a.information, a.confidentiality, a.impact, a.reasoning, a.result, \
    a.reused_from, a.requested_at, a.updated_at, a.approved_at \
    FROM impact_assessments a JOIN services s ON s.id = a.service_id \
    JOIN organizations p ON p.id = a.provider_id JOIN organizations g ON g.id = a.agency_id";

fn from_row(row: &AnyRow) -> Result<ImpactAssessment> {
    let state: String = row.try_get("state")?;
    Ok(ImpactAssessment {
        id: row.try_get("id")?,
        service_id: row.try_get("service_id")?,
        service_name: row.try_get("service_name")?,
        service_model: row.try_get("service_model")?,
        provider_id: row.try_get("provider_id")?,
        provider_name: row.try_get("provider_name")?,
        provider_name_en: row.try_get("provider_name_en")?,
        agency_id: row.try_get("agency_id")?,
        agency_name: row.try_get("agency_name")?,
        agency_name_en: row.try_get("agency_name_en")?,
        use_name: row.try_get("use_name")?,
        note: row.try_get("note")?,
        state: AssessmentState::from_key(&state)
            .ok_or_else(|| StoreError::Corrupt(format!("assessment state {state:?}")))?,
        content: AssessmentInput {
            business: row.try_get("business")?,
            business_other: row.try_get("business_other")?,
            information: row.try_get("information")?,
            confidentiality: row.try_get("confidentiality")?,
            impact: row.try_get("impact")?,
            reasoning: row.try_get("reasoning")?,
            result: row.try_get("result")?,
        },
        reused_from: row.try_get("reused_from")?,
        requested_at: row.try_get("requested_at")?,
        updated_at: row.try_get("updated_at")?,
        approved_at: row.try_get("approved_at")?,
    })
}

pub async fn get(db: &Db, id: i64) -> Result<ImpactAssessment> {
    let row = sqlx::query(&format!("{SELECT} WHERE a.id = $1"))
        .bind(id)
        .fetch_optional(&db.pool)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("impact assessment {id}")))?;
    from_row(&row)
}

/// Who a listing is for.
#[derive(Clone, Copy, Debug)]
pub enum Scope {
    /// A provider's services' assessments.
    Provider(i64),
    /// Addressed to an agency, plus every approved one (for reuse).
    Agency(i64),
    /// Assessments of one service.
    Service(i64),
}

pub async fn list(db: &Db, scope: Scope) -> Result<Vec<ImpactAssessment>> {
    let (clause, id) = match scope {
        Scope::Provider(org) => ("a.provider_id = $1", org),
        Scope::Agency(org) => ("(a.agency_id = $1 OR a.state = 'approved')", org),
        Scope::Service(service) => ("a.service_id = $1", service),
    };
    let rows = sqlx::query(&format!("{SELECT} WHERE {clause} ORDER BY a.id DESC"))
        .bind(id)
        .fetch_all(&db.pool)
        .await?;
    rows.iter().map(from_row).collect()
}

pub async fn steps(db: &Db, id: i64) -> Result<Vec<Step>> {
    let rows = sqlx::query(
        "SELECT t.step, t.from_state, t.to_state, t.reason, t.at, t.actor, u.display_name AS actor_name \
         FROM impact_assessment_steps t LEFT JOIN users u ON u.id = t.actor_id \
         WHERE t.assessment_id = $1 ORDER BY t.id",
    )
    .bind(id)
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Step {
                step: r.try_get("step")?,
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

/// Who last sent the assessment for approval (filled and submitted it, or
/// recorded a reuse): the person who may not approve it.
pub async fn submitter(db: &Db, id: i64) -> Result<Option<i64>> {
    let row = sqlx::query(
        "SELECT actor_id FROM impact_assessment_steps WHERE assessment_id = $1 \
         AND step IN ('submit', 'reuse') ORDER BY id DESC LIMIT 1",
    )
    .bind(id)
    .fetch_optional(&db.pool)
    .await?;
    Ok(match row {
        Some(row) => row.try_get("actor_id")?,
        None => None,
    })
}

#[allow(clippy::too_many_arguments)]
async fn record_step(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: i64,
    organization_id: i64,
    step: &str,
    from: &str,
    to: &str,
    reason: &str,
    after: serde_json::Value,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO impact_assessment_steps (assessment_id, step, from_state, to_state, reason, at, actor_id, actor) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(id)
    .bind(step)
    .bind(from)
    .bind(to)
    .bind(reason)
    .bind(now())
    .bind(actor.user_id)
    .bind(&actor.label)
    .execute(&mut *conn)
    .await?;
    let action = format!("impact_assessment.{step}");
    events::record(
        conn,
        NewEvent {
            actor,
            action: &action,
            object_type: "impact_assessment",
            object_id: id.to_string(),
            organization_id: Some(organization_id),
            before: (!from.is_empty()).then(|| json!({ "state": from })),
            after: Some(after),
            reason,
        },
    )
    .await
}

pub struct NewRequest<'a> {
    pub service_id: i64,
    pub provider_id: i64,
    pub agency_id: i64,
    pub use_name: &'a str,
    pub note: &'a str,
}

/// The provider asks an agency for an assessment of a named use.
pub async fn request(db: &Db, actor: &Actor, new: NewRequest<'_>) -> Result<ImpactAssessment> {
    let mut tx = db.begin().await?;
    let at = now();
    let row = sqlx::query(
        "INSERT INTO impact_assessments (service_id, provider_id, agency_id, use_name, use_key, note, state, \
         requested_by, requested_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, 'requested', $7, $8, $8) RETURNING id",
    )
    .bind(new.service_id)
    .bind(new.provider_id)
    .bind(new.agency_id)
    .bind(new.use_name)
    .bind(normalize_use(new.use_name))
    .bind(new.note)
    .bind(actor.user_id)
    .bind(&at)
    .fetch_one(&mut *tx)
    .await?;
    let id: i64 = row.try_get("id")?;
    let after = json!({
        "state": "requested", "service": new.service_id, "agency": new.agency_id, "use": new.use_name,
    });
    record_step(
        &mut tx,
        actor,
        id,
        new.provider_id,
        "request",
        "",
        "requested",
        "",
        after.clone(),
    )
    .await?;
    // The agency's own log sees the request too.
    events::record(
        &mut tx,
        NewEvent {
            actor,
            action: "impact_assessment.received",
            object_type: "impact_assessment",
            object_id: id.to_string(),
            organization_id: Some(new.agency_id),
            before: None,
            after: Some(after),
            reason: "",
        },
    )
    .await?;
    tx.commit().await?;
    get(db, id).await
}

fn moved(id: i64, expected: AssessmentState) -> StoreError {
    StoreError::Conflict(format!(
        "impact assessment {id} is no longer {}; reload",
        expected.key()
    ))
}

/// The officer saves the content (`submit`: and submits it for approval).
/// Only from the state the page showed, and only while editable.
pub async fn save(
    db: &Db,
    actor: &Actor,
    assessment: &ImpactAssessment,
    content: &AssessmentInput,
    submit: bool,
) -> Result<ImpactAssessment> {
    let from = assessment.state;
    if !from.is_editable() {
        return Err(moved(assessment.id, from));
    }
    let to = if submit {
        AssessmentState::Submitted
    } else {
        from
    };
    let mut tx = db.begin().await?;
    let changed = sqlx::query(
        "UPDATE impact_assessments SET business = $1, business_other = $2, information = $3, confidentiality = $4, \
         impact = $5, reasoning = $6, result = $7, state = $8, updated_at = $9 WHERE id = $10 AND state = $11",
    )
    .bind(content.business.trim())
    .bind(content.business_other.trim())
    .bind(content.information.trim())
    .bind(content.confidentiality.trim())
    .bind(content.impact.trim())
    .bind(content.reasoning.trim())
    .bind(content.result.trim())
    .bind(to.key())
    .bind(now())
    .bind(assessment.id)
    .bind(from.key())
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if changed != 1 {
        return Err(moved(assessment.id, from));
    }
    let after = json!({
        "state": to.key(), "business": content.business, "confidentiality": content.confidentiality,
        "result": content.result,
    });
    let step = if submit { "submit" } else { "save" };
    record_step(
        &mut tx,
        actor,
        assessment.id,
        assessment.agency_id,
        step,
        from.key(),
        to.key(),
        "",
        after,
    )
    .await?;
    tx.commit().await?;
    get(db, assessment.id).await
}

/// The CISO (or a delegate) approves or returns a submitted assessment: one
/// conditional update, so of two decisions at once one wins and the other
/// gets a conflict.
pub async fn decide(
    db: &Db,
    actor: &Actor,
    assessment: &ImpactAssessment,
    decision: AssessmentDecision,
    reason: &str,
) -> Result<ImpactAssessment> {
    let from = AssessmentState::Submitted;
    let to = decision.to_state();
    let mut tx = db.begin().await?;
    let at = now();
    let changed = match decision {
        AssessmentDecision::Approve => sqlx::query(
            "UPDATE impact_assessments SET state = 'approved', approved_by = $1, approved_at = $2, updated_at = $2 \
             WHERE id = $3 AND state = 'submitted'",
        )
        .bind(actor.user_id)
        .bind(&at)
        .bind(assessment.id),
        AssessmentDecision::Return => sqlx::query(
            "UPDATE impact_assessments SET state = 'returned', updated_at = $1 WHERE id = $2 AND state = 'submitted'",
        )
        .bind(&at)
        .bind(assessment.id),
    }
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if changed != 1 {
        return Err(moved(assessment.id, from));
    }
    let after = json!({ "state": to.key(), "result": assessment.content.result });
    record_step(
        &mut tx,
        actor,
        assessment.id,
        assessment.agency_id,
        decision.key(),
        from.key(),
        to.key(),
        reason,
        after.clone(),
    )
    .await?;
    // The provider learns of the outcome in its own log.
    events::record(
        &mut tx,
        NewEvent {
            actor,
            action: &format!("impact_assessment.{}", decision.key()),
            object_type: "impact_assessment",
            object_id: assessment.id.to_string(),
            organization_id: Some(assessment.provider_id),
            before: Some(json!({ "state": from.key() })),
            after: Some(after),
            reason,
        },
    )
    .await?;
    tx.commit().await?;
    get(db, assessment.id).await
}

/// Another agency reuses an approved assessment for the same use: a new
/// assessment of that agency, with the content copied and `reused_from`
/// set, submitted at once for its own CISO's approval.
pub async fn reuse(
    db: &Db,
    actor: &Actor,
    source: &ImpactAssessment,
    agency_id: i64,
    reason: &str,
) -> Result<ImpactAssessment> {
    if source.state != AssessmentState::Approved {
        return Err(StoreError::Conflict(format!(
            "impact assessment {} is not approved",
            source.id
        )));
    }
    let mut tx = db.begin().await?;
    let at = now();
    let c = &source.content;
    let row = sqlx::query(
        "INSERT INTO impact_assessments (service_id, provider_id, agency_id, use_name, use_key, note, state, \
         business, business_other, information, confidentiality, impact, reasoning, result, reused_from, \
         requested_by, requested_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, '', 'submitted', $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15) RETURNING id",
    )
    .bind(source.service_id)
    .bind(source.provider_id)
    .bind(agency_id)
    .bind(&source.use_name)
    .bind(normalize_use(&source.use_name))
    .bind(&c.business)
    .bind(&c.business_other)
    .bind(&c.information)
    .bind(&c.confidentiality)
    .bind(&c.impact)
    .bind(&c.reasoning)
    .bind(&c.result)
    .bind(source.id)
    .bind(actor.user_id)
    .bind(&at)
    .fetch_one(&mut *tx)
    .await?;
    let id: i64 = row.try_get("id")?;
    let after = json!({ "state": "submitted", "reused_from": source.id, "use": source.use_name });
    record_step(
        &mut tx,
        actor,
        id,
        agency_id,
        "reuse",
        "",
        "submitted",
        reason,
        after.clone(),
    )
    .await?;
    // The source assessment's history records that it was reused.
    events::record(
        &mut tx,
        NewEvent {
            actor,
            action: "impact_assessment.reused",
            object_type: "impact_assessment",
            object_id: source.id.to_string(),
            organization_id: Some(source.provider_id),
            before: None,
            after: Some(json!({ "reused_by": id, "agency": agency_id })),
            reason,
        },
    )
    .await?;
    tx.commit().await?;
    get(db, id).await
}
