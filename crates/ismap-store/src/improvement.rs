//! Improvement plans (改善計画書, spec §4): the provider's measure and due
//! date for each deficiency of an issued report, with a status. A service
//! with any measure not completed shows "improvement plan" on the list.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use ismap_domain::audit_work::ImprovementStatus;
use serde_json::json;
use sqlx::{Row, any::AnyRow};

use crate::engagements::Engagement;
use crate::events::{self, Actor, NewEvent};
use crate::{Db, Result, StoreError, now};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImprovementItem {
    pub id: i64,
    pub engagement_id: i64,
    pub report_id: i64,
    pub control_id: String,
    pub measure: String,
    pub due_date: NaiveDate,
    pub status: ImprovementStatus,
    pub created_at: String,
    pub updated_at: String,
}

pub struct NewItem<'a> {
    pub report_id: i64,
    pub control_id: &'a str,
    pub measure: &'a str,
    pub due_date: NaiveDate,
}

fn from_row(row: &AnyRow) -> Result<ImprovementItem> {
    let status: String = row.try_get("status")?;
    let due: String = row.try_get("due_date")?;
    Ok(ImprovementItem {
        id: row.try_get("id")?,
        engagement_id: row.try_get("engagement_id")?,
        report_id: row.try_get("report_id")?,
        control_id: row.try_get("control_id")?,
        measure: row.try_get("measure")?,
        due_date: due
            .parse()
            .map_err(|_| StoreError::Corrupt(format!("due date {due:?}")))?,
        status: ImprovementStatus::from_key(&status)
            .ok_or_else(|| StoreError::Corrupt(format!("improvement status {status:?}")))?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

pub async fn items(db: &Db, engagement_id: i64) -> Result<Vec<ImprovementItem>> {
    let rows = sqlx::query("SELECT * FROM improvement_items WHERE engagement_id = $1 ORDER BY id")
        .bind(engagement_id)
        .fetch_all(&db.pool)
        .await?;
    rows.iter().map(from_row).collect()
}

pub async fn get(db: &Db, id: i64) -> Result<ImprovementItem> {
    let row = sqlx::query("SELECT * FROM improvement_items WHERE id = $1")
        .bind(id)
        .fetch_optional(&db.pool)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("improvement measure {id}")))?;
    from_row(&row)
}

/// Adds a measure; the caller has checked it against the issued report
/// (`ismap_domain::audit_work::check_improvement`).
pub async fn add(
    db: &Db,
    actor: &Actor,
    engagement: &Engagement,
    new: NewItem<'_>,
) -> Result<ImprovementItem> {
    let mut tx = db.begin().await?;
    let at = now();
    let row = sqlx::query(
        "INSERT INTO improvement_items (engagement_id, report_id, control_id, measure, due_date, status, created_at, created_by, updated_at) \
         VALUES ($1, $2, $3, $4, $5, 'open', $6, $7, $6) RETURNING id",
    )
    .bind(engagement.id)
    .bind(new.report_id)
    .bind(new.control_id)
    .bind(new.measure)
    .bind(new.due_date.to_string())
    .bind(&at)
    .bind(actor.user_id)
    .fetch_one(&mut *tx)
    .await?;
    let id: i64 = row.try_get("id")?;
    for organization in [
        engagement.csp_organization_id,
        engagement.audit_organization_id,
    ] {
        events::record(
            &mut tx,
            NewEvent {
                actor,
                action: "improvement.add",
                object_type: "improvement_item",
                object_id: id.to_string(),
                organization_id: Some(organization),
                before: None,
                after: Some(json!({
                    "engagement": engagement.id,
                    "control": new.control_id,
                    "measure": new.measure,
                    "due_date": new.due_date.to_string(),
                    "status": "open",
                })),
                reason: "",
            },
        )
        .await?;
    }
    tx.commit().await?;
    get(db, id).await
}

/// Moves a measure to `status`, recording the previous one and why.
pub async fn set_status(
    db: &Db,
    actor: &Actor,
    engagement: &Engagement,
    item: &ImprovementItem,
    status: ImprovementStatus,
    reason: &str,
) -> Result<ImprovementItem> {
    if item.status == status {
        return Err(StoreError::Conflict(format!(
            "the measure is already {}",
            status.key()
        )));
    }
    let mut tx = db.begin().await?;
    // Conditional on the status the caller saw: of two moves made at the
    // same moment, the second changes nothing and is told so.
    let moved = sqlx::query(
        "UPDATE improvement_items SET status = $1, updated_at = $2 WHERE id = $3 AND status = $4",
    )
    .bind(status.key())
    .bind(now())
    .bind(item.id)
    .bind(item.status.key())
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if moved != 1 {
        return Err(StoreError::Conflict(format!(
            "the measure is no longer {}; someone changed it meanwhile; reload",
            item.status.key()
        )));
    }
    events::record(
        &mut tx,
        NewEvent {
            actor,
            action: "improvement.status",
            object_type: "improvement_item",
            object_id: item.id.to_string(),
            organization_id: Some(engagement.csp_organization_id),
            before: Some(json!({ "status": item.status.key() })),
            after: Some(json!({ "status": status.key() })),
            reason,
        },
    )
    .await?;
    tx.commit().await?;
    get(db, item.id).await
}

/// Services with at least one measure not completed.
pub async fn services_with_open_plans(db: &Db) -> Result<BTreeSet<i64>> {
    let rows = sqlx::query(
        "SELECT DISTINCT st.service_id FROM improvement_items i \
         JOIN engagements e ON e.id = i.engagement_id \
         JOIN statements st ON st.id = e.statement_id \
         WHERE i.status <> 'completed'",
    )
    .fetch_all(&db.pool)
    .await?;
    rows.iter().map(|r| Ok(r.try_get("service_id")?)).collect()
}
