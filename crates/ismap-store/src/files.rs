//! Uploaded files (audit evidence, the provider's evidence library),
//! encrypted at rest with their organization's key ([`crate::vault`]).
//! Only the ciphertext, its nonce and the SHA-256 of the plaintext are stored.

use serde_json::json;
use sha2::{Digest, Sha256};
use sqlx::{AnyConnection, Row, any::AnyRow};

use crate::events::{self, Actor, NewEvent};
use crate::vault::{self, DataKey, MasterKey};
use crate::{Db, Result, StoreError, now};

/// A stored file's description (never its content).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredFile {
    pub id: i64,
    pub organization_id: i64,
    pub file_name: String,
    pub content_type: String,
    pub size: i64,
    /// SHA-256 of the plaintext, hex.
    pub sha256: String,
    pub uploaded_at: String,
    pub uploaded_by: Option<i64>,
    /// The organization's key was destroyed: the content is gone for good.
    pub erased: bool,
}

pub struct NewFile<'a> {
    pub organization_id: i64,
    pub file_name: &'a str,
    pub content_type: &'a str,
    pub bytes: &'a [u8],
}

const SELECT: &str = "SELECT f.id, f.organization_id, f.file_name, f.content_type, f.size, f.sha256, \
    f.uploaded_at, f.uploaded_by, CAST(CASE WHEN k.wrapped_key IS NULL THEN 1 ELSE 0 END AS BIGINT) AS erased \
    FROM stored_files f JOIN organization_keys k ON k.id = f.key_id";

fn from_row(row: &AnyRow) -> Result<StoredFile> {
    Ok(StoredFile {
        id: row.try_get("id")?,
        organization_id: row.try_get("organization_id")?,
        file_name: row.try_get("file_name")?,
        content_type: row.try_get("content_type")?,
        size: row.try_get("size")?,
        sha256: row.try_get("sha256")?,
        uploaded_at: row.try_get("uploaded_at")?,
        uploaded_by: row.try_get("uploaded_by")?,
        erased: crate::read_flag(row, "erased")?,
    })
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// What the ciphertext is bound to: a file copied to another organization's
/// row, or with a different digest, does not decrypt.
fn context(organization_id: i64, sha256: &str) -> String {
    format!("ismap-file:{organization_id}:{sha256}")
}

/// The organization's live key, created (and wrapped) on its first file.
async fn active_key(
    conn: &mut AnyConnection,
    master: &MasterKey,
    actor: &Actor,
    organization_id: i64,
) -> Result<(i64, DataKey)> {
    // Locks the live keys (PostgreSQL) before reading them: a destruction
    // under way finishes first, and this file then gets a new key instead of
    // one destroyed a moment later (SQLite holds the write lock already).
    sqlx::query(
        "UPDATE organization_keys SET created_at = created_at \
         WHERE organization_id = $1 AND wrapped_key IS NOT NULL",
    )
    .bind(organization_id)
    .execute(&mut *conn)
    .await?;
    let row = sqlx::query(
        "SELECT id, wrapped_key FROM organization_keys \
         WHERE organization_id = $1 AND wrapped_key IS NOT NULL ORDER BY id DESC LIMIT 1",
    )
    .bind(organization_id)
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(row) = row {
        let wrapped: Vec<u8> = row.try_get("wrapped_key")?;
        let key = vault::unwrap(master, organization_id, &wrapped)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        return Ok((row.try_get("id")?, key));
    }
    let key = DataKey::generate();
    let row = sqlx::query(
        "INSERT INTO organization_keys (organization_id, wrapped_key, created_at) \
         VALUES ($1, $2, $3) RETURNING id",
    )
    .bind(organization_id)
    .bind(vault::wrap(master, organization_id, &key))
    .bind(now())
    .fetch_one(&mut *conn)
    .await?;
    let id: i64 = row.try_get("id")?;
    events::record(
        conn,
        NewEvent {
            actor,
            action: "organization_key.create",
            object_type: "organization_key",
            object_id: id.to_string(),
            organization_id: Some(organization_id),
            before: None,
            after: Some(json!({ "organization_id": organization_id })),
            reason: "first file of the organization",
        },
    )
    .await?;
    Ok((id, key))
}

/// Encrypts and stores a file inside the caller's transaction (the caller
/// links it to what it belongs to in the same transaction).
pub async fn store_in(
    conn: &mut AnyConnection,
    master: &MasterKey,
    actor: &Actor,
    new: NewFile<'_>,
) -> Result<StoredFile> {
    let (key_id, key) = active_key(conn, master, actor, new.organization_id).await?;
    let sha256 = sha256_hex(new.bytes);
    let (nonce, ciphertext) = vault::seal(&key, &context(new.organization_id, &sha256), new.bytes);
    let at = now();
    let row = sqlx::query(
        "INSERT INTO stored_files (organization_id, key_id, file_name, content_type, size, sha256, \
         nonce, ciphertext, uploaded_at, uploaded_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
    )
    .bind(new.organization_id)
    .bind(key_id)
    .bind(new.file_name)
    .bind(new.content_type)
    .bind(new.bytes.len() as i64)
    .bind(&sha256)
    .bind(nonce)
    .bind(ciphertext)
    .bind(&at)
    .bind(actor.user_id)
    .fetch_one(&mut *conn)
    .await?;
    let id: i64 = row.try_get("id")?;
    events::record(
        conn,
        NewEvent {
            actor,
            action: "file.upload",
            object_type: "file",
            object_id: id.to_string(),
            organization_id: Some(new.organization_id),
            before: None,
            after: Some(json!({
                "file_name": new.file_name,
                "content_type": new.content_type,
                "size": new.bytes.len(),
                "sha256": sha256,
            })),
            reason: "",
        },
    )
    .await?;
    Ok(StoredFile {
        id,
        organization_id: new.organization_id,
        file_name: new.file_name.to_owned(),
        content_type: new.content_type.to_owned(),
        size: new.bytes.len() as i64,
        sha256,
        uploaded_at: at,
        uploaded_by: actor.user_id,
        erased: false,
    })
}

pub async fn get(db: &Db, id: i64) -> Result<StoredFile> {
    let row = sqlx::query(&format!("{SELECT} WHERE f.id = $1"))
        .bind(id)
        .fetch_optional(&db.pool)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("file {id}")))?;
    from_row(&row)
}

/// Decrypts a file. A file whose key was destroyed is [`StoreError::Gone`].
pub async fn read(db: &Db, master: &MasterKey, id: i64) -> Result<(StoredFile, Vec<u8>)> {
    let file = get(db, id).await?;
    if file.erased {
        return Err(StoreError::Gone(format!(
            "file {id} was erased when its organization's key was destroyed"
        )));
    }
    let row = sqlx::query(
        "SELECT f.nonce, f.ciphertext, k.wrapped_key FROM stored_files f \
         JOIN organization_keys k ON k.id = f.key_id WHERE f.id = $1",
    )
    .bind(id)
    .fetch_one(&db.pool)
    .await?;
    let wrapped: Option<Vec<u8>> = row.try_get("wrapped_key")?;
    let wrapped = wrapped.ok_or_else(|| StoreError::Gone(format!("file {id} was erased")))?;
    let key = vault::unwrap(master, file.organization_id, &wrapped)
        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let nonce: Vec<u8> = row.try_get("nonce")?;
    let ciphertext: Vec<u8> = row.try_get("ciphertext")?;
    let bytes = vault::open(
        &key,
        &context(file.organization_id, &file.sha256),
        &nonce,
        &ciphertext,
    )
    .map_err(|e| StoreError::Corrupt(format!("file {id}: {e}")))?;
    if sha256_hex(&bytes) != file.sha256 {
        return Err(StoreError::Corrupt(format!(
            "file {id}: content does not match its SHA-256"
        )));
    }
    Ok((file, bytes))
}

/// Destroys every live key of an organization: all its files become
/// unreadable (crypto-erasure). Returns how many files were erased. New
/// uploads afterwards get a new key.
pub async fn destroy_keys(
    db: &Db,
    actor: &Actor,
    organization_id: i64,
    reason: &str,
) -> Result<i64> {
    if reason.trim().is_empty() {
        return Err(StoreError::Conflict(
            "destroying a key erases files for good: give the reason".into(),
        ));
    }
    let mut tx = db.begin().await?;
    // The keys first: the update takes their rows' locks (PostgreSQL) or the
    // write lock (SQLite), so the files counted below are the ones erased,
    // and of two destructions at the same moment the second finds no key.
    let at = now();
    let keys = sqlx::query(
        "UPDATE organization_keys SET wrapped_key = NULL, destroyed_at = $1, destroyed_by = $2 \
         WHERE organization_id = $3 AND wrapped_key IS NOT NULL",
    )
    .bind(&at)
    .bind(actor.user_id)
    .bind(organization_id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if keys == 0 {
        return Err(StoreError::Conflict(format!(
            "organization {organization_id} has no live key to destroy (none yet, or destroyed meanwhile)"
        )));
    }
    let row = sqlx::query(
        "SELECT COUNT(*) AS n FROM stored_files f JOIN organization_keys k ON k.id = f.key_id \
         WHERE k.organization_id = $1 AND k.destroyed_at = $2",
    )
    .bind(organization_id)
    .bind(&at)
    .fetch_one(&mut *tx)
    .await?;
    let files: i64 = row.try_get("n")?;
    events::record(
        &mut tx,
        NewEvent {
            actor,
            action: "organization_key.destroy",
            object_type: "organization",
            object_id: organization_id.to_string(),
            organization_id: Some(organization_id),
            before: Some(json!({ "live_keys": keys, "readable_files": files })),
            after: Some(json!({ "live_keys": 0, "readable_files": 0 })),
            reason,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(files)
}
