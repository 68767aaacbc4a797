//! An agency CISO's delegation of impact-assessment approval to one of the
//! agency's officers (spec §8: the CISO may delegate the work). Granting and
//! revoking are events; a revoked delegation stays in the history.

use serde_json::json;
use sqlx::Row;

use crate::events::{self, Actor, NewEvent};
use crate::{Db, Result, StoreError, now};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delegation {
    pub id: i64,
    pub agency_id: i64,
    pub delegate_id: i64,
    pub delegate_name: String,
    pub reason: String,
    pub granted_at: String,
    pub revoked_at: Option<String>,
    pub revoke_reason: String,
}

pub async fn list(db: &Db, agency_id: i64) -> Result<Vec<Delegation>> {
    let rows = sqlx::query(
        "SELECT d.id, d.agency_id, d.delegate_id, u.display_name, d.reason, d.granted_at, d.revoked_at, d.revoke_reason \
         FROM approval_delegations d JOIN users u ON u.id = d.delegate_id WHERE d.agency_id = $1 ORDER BY d.id DESC",
    )
    .bind(agency_id)
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Delegation {
                id: r.try_get("id")?,
                agency_id: r.try_get("agency_id")?,
                delegate_id: r.try_get("delegate_id")?,
                delegate_name: r.try_get("display_name")?,
                reason: r.try_get("reason")?,
                granted_at: r.try_get("granted_at")?,
                revoked_at: r.try_get("revoked_at")?,
                revoke_reason: r.try_get("revoke_reason")?,
            })
        })
        .collect()
}

/// Whether `user_id` holds a live delegation of `agency_id`.
pub async fn is_delegate(db: &Db, agency_id: i64, user_id: i64) -> Result<bool> {
    let n: i64 = sqlx::query(
        "SELECT COUNT(*) AS n FROM approval_delegations WHERE agency_id = $1 AND delegate_id = $2 AND revoked_at IS NULL",
    )
    .bind(agency_id)
    .bind(user_id)
    .fetch_one(&db.pool)
    .await?
    .try_get("n")?;
    Ok(n > 0)
}

/// Grants a delegation, unless the officer already holds a live one.
pub async fn grant(
    db: &Db,
    actor: &Actor,
    agency_id: i64,
    delegate_id: i64,
    reason: &str,
) -> Result<i64> {
    let mut tx = db.begin().await?;
    let live: i64 = sqlx::query(
        "SELECT COUNT(*) AS n FROM approval_delegations WHERE agency_id = $1 AND delegate_id = $2 AND revoked_at IS NULL",
    )
    .bind(agency_id)
    .bind(delegate_id)
    .fetch_one(&mut *tx)
    .await?
    .try_get("n")?;
    if live > 0 {
        return Err(StoreError::Conflict("already delegated".into()));
    }
    let id: i64 = sqlx::query(
        "INSERT INTO approval_delegations (agency_id, delegate_id, reason, granted_by, granted_at) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(agency_id)
    .bind(delegate_id)
    .bind(reason)
    .bind(actor.user_id)
    .bind(now())
    .fetch_one(&mut *tx)
    .await?
    .try_get("id")?;
    events::record(
        &mut tx,
        NewEvent {
            actor,
            action: "approval_delegation.grant",
            object_type: "approval_delegation",
            object_id: id.to_string(),
            organization_id: Some(agency_id),
            before: None,
            after: Some(json!({ "delegate": delegate_id })),
            reason,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Revokes a live delegation (a conditional update: revoking twice conflicts).
pub async fn revoke(db: &Db, actor: &Actor, agency_id: i64, id: i64, reason: &str) -> Result<()> {
    let mut tx = db.begin().await?;
    let changed = sqlx::query(
        "UPDATE approval_delegations SET revoked_at = $1, revoked_by = $2, revoke_reason = $3 \
         WHERE id = $4 AND agency_id = $5 AND revoked_at IS NULL",
    )
    .bind(now())
    .bind(actor.user_id)
    .bind(reason)
    .bind(id)
    .bind(agency_id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if changed != 1 {
        return Err(StoreError::Conflict(format!(
            "delegation {id} is not live; reload"
        )));
    }
    events::record(
        &mut tx,
        NewEvent {
            actor,
            action: "approval_delegation.revoke",
            object_type: "approval_delegation",
            object_id: id.to_string(),
            organization_id: Some(agency_id),
            before: Some(json!({ "revoked": false })),
            after: Some(json!({ "revoked": true })),
            reason,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
