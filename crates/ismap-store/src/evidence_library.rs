//! The provider's evidence library: documents that support its controls,
//! with an owner and an expiry date, so that stale evidence shows before an
//! audit finds it. An item's file is encrypted with the provider's key.

use chrono::NaiveDate;
use serde_json::json;
use sqlx::{Row, any::AnyRow};

use crate::events::{self, Actor, NewEvent};
use crate::files::{self, NewFile, StoredFile};
use crate::vault::MasterKey;
use crate::{Db, Result, StoreError, now};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EvidenceItem {
    pub id: i64,
    pub organization_id: i64,
    pub title: String,
    pub description: String,
    pub owner: String,
    pub expires_on: Option<NaiveDate>,
    pub controls: Vec<String>,
    pub file: Option<StoredFile>,
    pub created_at: String,
}

pub struct NewItem<'a> {
    pub organization_id: i64,
    pub title: &'a str,
    pub description: &'a str,
    pub owner: &'a str,
    pub expires_on: Option<NaiveDate>,
    /// Control ids as written (checked against the catalog by the caller).
    pub controls: &'a [String],
}

async fn from_row(db: &Db, row: &AnyRow) -> Result<EvidenceItem> {
    let id: i64 = row.try_get("id")?;
    let expires: Option<String> = row.try_get("expires_on")?;
    let file_id: Option<i64> = row.try_get("file_id")?;
    let controls = sqlx::query(
        "SELECT control_id FROM evidence_item_controls WHERE item_id = $1 ORDER BY control_id",
    )
    .bind(id)
    .fetch_all(&db.pool)
    .await?
    .iter()
    .map(|r| r.try_get("control_id"))
    .collect::<std::result::Result<Vec<String>, _>>()?;
    Ok(EvidenceItem {
        id,
        organization_id: row.try_get("organization_id")?,
        title: row.try_get("title")?,
        description: row.try_get("description")?,
        owner: row.try_get("owner")?,
        expires_on: expires
            .map(|e| {
                e.parse()
                    .map_err(|_| StoreError::Corrupt(format!("expiry date {e:?}")))
            })
            .transpose()?,
        controls,
        file: match file_id {
            Some(f) => Some(files::get(db, f).await?),
            None => None,
        },
        created_at: row.try_get("created_at")?,
    })
}

/// An organization's items, soonest expiry first (no expiry last).
pub async fn list(db: &Db, organization_id: i64) -> Result<Vec<EvidenceItem>> {
    let rows = sqlx::query(
        "SELECT * FROM evidence_items WHERE organization_id = $1 \
         ORDER BY CASE WHEN expires_on IS NULL THEN 1 ELSE 0 END, expires_on, id",
    )
    .bind(organization_id)
    .fetch_all(&db.pool)
    .await?;
    let mut out = Vec::new();
    for row in &rows {
        out.push(from_row(db, row).await?);
    }
    Ok(out)
}

/// Items that expire on or before `until` (including already expired ones).
pub async fn expiring(
    db: &Db,
    organization_id: i64,
    until: NaiveDate,
) -> Result<Vec<EvidenceItem>> {
    Ok(list(db, organization_id)
        .await?
        .into_iter()
        .filter(|i| i.expires_on.is_some_and(|e| e <= until))
        .collect())
}

pub async fn get(db: &Db, id: i64) -> Result<EvidenceItem> {
    let row = sqlx::query("SELECT * FROM evidence_items WHERE id = $1")
        .bind(id)
        .fetch_optional(&db.pool)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("evidence item {id}")))?;
    from_row(db, &row).await
}

/// The library item a file belongs to, if any.
pub async fn item_of_file(db: &Db, file_id: i64) -> Result<Option<i64>> {
    let row = sqlx::query("SELECT id FROM evidence_items WHERE file_id = $1")
        .bind(file_id)
        .fetch_optional(&db.pool)
        .await?;
    Ok(row.map(|r| r.try_get("id")).transpose()?)
}

/// Adds an item, with its file if one was uploaded, in one transaction.
pub async fn create(
    db: &Db,
    actor: &Actor,
    new: NewItem<'_>,
    file: Option<(&MasterKey, NewFile<'_>)>,
) -> Result<EvidenceItem> {
    let mut tx = db.begin().await?;
    let stored = match file {
        Some((master, file)) => Some(files::store_in(&mut tx, master, actor, file).await?),
        None => None,
    };
    let row = sqlx::query(
        "INSERT INTO evidence_items (organization_id, title, description, owner, expires_on, file_id, created_at, created_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(new.organization_id)
    .bind(new.title)
    .bind(new.description)
    .bind(new.owner)
    .bind(new.expires_on.map(|d| d.to_string()))
    .bind(stored.as_ref().map(|f| f.id))
    .bind(now())
    .bind(actor.user_id)
    .fetch_one(&mut *tx)
    .await?;
    let id: i64 = row.try_get("id")?;
    let mut controls: Vec<&String> = new.controls.iter().collect();
    controls.sort();
    controls.dedup();
    for control in &controls {
        sqlx::query("INSERT INTO evidence_item_controls (item_id, control_id) VALUES ($1, $2)")
            .bind(id)
            .bind(control.as_str())
            .execute(&mut *tx)
            .await?;
    }
    events::record(
        &mut tx,
        NewEvent {
            actor,
            action: "evidence.create",
            object_type: "evidence_item",
            object_id: id.to_string(),
            organization_id: Some(new.organization_id),
            before: None,
            after: Some(json!({
                "title": new.title,
                "owner": new.owner,
                "expires_on": new.expires_on.map(|d| d.to_string()),
                "controls": controls,
                "file": stored.as_ref().map(|f| json!({ "id": f.id, "sha256": f.sha256 })),
            })),
            reason: "",
        },
    )
    .await?;
    tx.commit().await?;
    get(db, id).await
}
