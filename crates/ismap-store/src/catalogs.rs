//! Catalog versions. The pack text is stored as loaded, so every process
//! builds the same catalog from the database; controls are also stored one
//! per row so that search runs in SQL on either backend.

use ismap_domain::Catalog;
use ismap_formats::catalog_pack::load_pack;
use serde_json::json;
use sqlx::Row;

use crate::events::{self, Actor, NewEvent};
use crate::{Db, Result, StoreError, flag, now};

/// Stores a catalog version from its pack text, unless one with the same id
/// is stored already (versions are never replaced). Returns whether it was
/// stored now.
pub async fn store(db: &Db, actor: &Actor, file: &str, pack: &str) -> Result<bool> {
    let catalog = load_pack(file, pack).map_err(|e| StoreError::Conflict(e.to_string()))?;
    let info = catalog.info();
    let exists = sqlx::query("SELECT id FROM catalog_versions WHERE id = $1")
        .bind(&info.id)
        .fetch_optional(&db.pool)
        .await?
        .is_some();
    if exists {
        return Ok(false);
    }
    let mut tx = db.begin().await?;
    sqlx::query(
        "INSERT INTO catalog_versions (id, version, title_ja, title_en, excerpt, pack, loaded_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&info.id)
    .bind(&info.version)
    .bind(&info.title.ja)
    .bind(&info.title.en)
    .bind(flag(info.excerpt))
    .bind(pack)
    .bind(now())
    .execute(&mut *tx)
    .await?;
    for (position, control) in catalog.controls().iter().enumerate() {
        sqlx::query(
            "INSERT INTO catalog_controls (catalog_id, control_id, position, title_ja, title_en, text_ja, text_en) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&info.id)
        .bind(control.id.to_string())
        .bind(position as i64)
        .bind(&control.title.ja)
        .bind(&control.title.en)
        .bind(&control.text.ja)
        .bind(&control.text.en)
        .execute(&mut *tx)
        .await?;
    }
    events::record(
        &mut tx,
        NewEvent {
            actor,
            action: "catalog.load",
            object_type: "catalog",
            object_id: info.id.clone(),
            organization_id: None,
            before: None,
            after: Some(json!({ "version": info.version, "controls": catalog.controls().len(), "source": file })),
            reason: "",
        },
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// Every stored catalog, built from its pack.
pub async fn all(db: &Db) -> Result<Vec<Catalog>> {
    let rows = sqlx::query("SELECT id, pack FROM catalog_versions ORDER BY id")
        .fetch_all(&db.pool)
        .await?;
    rows.iter()
        .map(|r| {
            let id: String = r.try_get("id")?;
            let pack: String = r.try_get("pack")?;
            load_pack(&format!("catalog {id}"), &pack)
                .map_err(|e| StoreError::Corrupt(e.to_string()))
        })
        .collect()
}

/// Ids of controls of `catalog_id` whose id, title or text contains `query`,
/// in catalog order. Substring search serves Japanese, which has no word
/// breaks (暗号 finds 暗号鍵); Latin letters match regardless of case.
pub async fn search(db: &Db, catalog_id: &str, query: &str, limit: i64) -> Result<Vec<String>> {
    let needle = query.trim().to_lowercase();
    if needle.is_empty() {
        return Ok(Vec::new());
    }
    let pattern = format!("%{}%", escape_like(&needle));
    let prefix = format!("{}%", escape_like(&needle));
    let rows = sqlx::query(
        "SELECT control_id FROM catalog_controls WHERE catalog_id = $1 AND ( \
           LOWER(control_id) LIKE $2 ESCAPE '\\' OR title_ja LIKE $3 ESCAPE '\\' OR text_ja LIKE $3 ESCAPE '\\' \
           OR LOWER(title_en) LIKE $3 ESCAPE '\\' OR LOWER(text_en) LIKE $3 ESCAPE '\\') \
         ORDER BY position LIMIT $4",
    )
    .bind(catalog_id)
    .bind(prefix)
    .bind(pattern)
    .bind(limit)
    .fetch_all(&db.pool)
    .await?;
    rows.iter().map(|r| Ok(r.try_get("control_id")?)).collect()
}

/// `%`, `_` and `\` are literal in a search.
fn escape_like(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}
