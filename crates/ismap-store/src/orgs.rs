//! Organizations taking part in the programme.

use ismap_domain::OrgKind;
use serde_json::json;
use sqlx::{Row, any::AnyRow};

use crate::events::{self, Actor, NewEvent};
use crate::{Db, Result, StoreError, now};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Organization {
    pub id: i64,
    pub name: String,
    pub name_en: String,
    pub kind: OrgKind,
}

fn from_row(row: &AnyRow) -> Result<Organization> {
    let kind: String = row.try_get("kind")?;
    Ok(Organization {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        name_en: row.try_get("name_en")?,
        kind: OrgKind::from_key(&kind)
            .ok_or_else(|| StoreError::Corrupt(format!("organization kind {kind:?}")))?,
    })
}

pub async fn create(
    db: &Db,
    actor: &Actor,
    name: &str,
    name_en: &str,
    kind: OrgKind,
) -> Result<Organization> {
    let mut tx = db.begin().await?;
    let row = sqlx::query(
        "INSERT INTO organizations (name, name_en, kind, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(name)
    .bind(name_en)
    .bind(kind.key())
    .bind(now())
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| conflict_on_unique(e, format!("an organization named {name:?} exists")))?;
    let id: i64 = row.try_get("id")?;
    events::record(
        &mut tx,
        NewEvent {
            actor,
            action: "organization.create",
            object_type: "organization",
            object_id: id.to_string(),
            organization_id: Some(id),
            before: None,
            after: Some(json!({ "name": name, "name_en": name_en, "kind": kind.key() })),
            reason: "",
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Organization {
        id,
        name: name.to_owned(),
        name_en: name_en.to_owned(),
        kind,
    })
}

pub async fn get(db: &Db, id: i64) -> Result<Organization> {
    let row = sqlx::query("SELECT id, name, name_en, kind FROM organizations WHERE id = $1")
        .bind(id)
        .fetch_optional(&db.pool)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("organization {id}")))?;
    from_row(&row)
}

pub async fn find_by_name(db: &Db, name: &str) -> Result<Option<Organization>> {
    let row = sqlx::query(
        "SELECT id, name, name_en, kind FROM organizations WHERE name = $1 OR name_en = $1",
    )
    .bind(name)
    .fetch_optional(&db.pool)
    .await?;
    row.as_ref().map(from_row).transpose()
}

pub async fn list(db: &Db) -> Result<Vec<Organization>> {
    let rows = sqlx::query("SELECT id, name, name_en, kind FROM organizations ORDER BY id")
        .fetch_all(&db.pool)
        .await?;
    rows.iter().map(from_row).collect()
}

/// Turns a unique-constraint violation into a readable conflict.
pub(crate) fn conflict_on_unique(error: sqlx::Error, message: String) -> StoreError {
    match &error {
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict(message),
        _ => StoreError::Database(error),
    }
}
