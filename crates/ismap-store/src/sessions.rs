//! Server-side sessions, API tokens and failed sign-in attempts. Only hashes
//! of session ids and tokens are stored, so a copy of the database cannot be
//! used to sign in.

use serde_json::json;
use sqlx::Row;

use crate::events::{self, Actor, NewEvent};
use crate::{Db, Result, now};

/// Stores a session for `user_id`, valid until `expires_at` (RFC 3339).
pub async fn create(db: &Db, id_hash: &str, user_id: i64, expires_at: &str) -> Result<()> {
    sqlx::query(
        "INSERT INTO sessions (id_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(id_hash)
    .bind(user_id)
    .bind(now())
    .bind(expires_at)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// The user of a live session.
pub async fn user_of(db: &Db, id_hash: &str) -> Result<Option<i64>> {
    let row = sqlx::query(
        "SELECT s.user_id FROM sessions s JOIN users u ON u.id = s.user_id \
         WHERE s.id_hash = $1 AND s.expires_at > $2 AND u.active = 1",
    )
    .bind(id_hash)
    .bind(now())
    .fetch_optional(&db.pool)
    .await?;
    Ok(row.map(|r| r.try_get("user_id")).transpose()?)
}

pub async fn delete(db: &Db, id_hash: &str) -> Result<()> {
    sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
        .bind(id_hash)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// Removes expired sessions and old failure records.
pub async fn purge_expired(db: &Db, failures_before: &str) -> Result<()> {
    sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
        .bind(now())
        .execute(&db.pool)
        .await?;
    sqlx::query("DELETE FROM sign_in_failures WHERE at < $1")
        .bind(failures_before)
        .execute(&db.pool)
        .await?;
    Ok(())
}

pub async fn record_failure(db: &Db, username: &str, client: &str) -> Result<()> {
    sqlx::query("INSERT INTO sign_in_failures (username, client, at) VALUES ($1, $2, $3)")
        .bind(username)
        .bind(client)
        .bind(now())
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// Failed attempts for `username` since `since` (RFC 3339), from any client:
/// counting per account stops password guessing spread over many addresses.
pub async fn failures_since(db: &Db, username: &str, since: &str) -> Result<i64> {
    let row =
        sqlx::query("SELECT COUNT(*) AS n FROM sign_in_failures WHERE username = $1 AND at > $2")
            .bind(username)
            .bind(since)
            .fetch_one(&db.pool)
            .await?;
    Ok(row.try_get("n")?)
}

pub async fn clear_failures(db: &Db, username: &str) -> Result<()> {
    sqlx::query("DELETE FROM sign_in_failures WHERE username = $1")
        .bind(username)
        .execute(&db.pool)
        .await?;
    Ok(())
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiToken {
    pub id: i64,
    pub name: String,
    pub created_at: String,
    pub revoked: bool,
}

pub async fn create_token(
    db: &Db,
    actor: &Actor,
    user_id: i64,
    name: &str,
    token_hash: &str,
) -> Result<i64> {
    let mut tx = db.begin().await?;
    let row = sqlx::query(
        "INSERT INTO api_tokens (user_id, name, token_hash, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(user_id)
    .bind(name)
    .bind(token_hash)
    .bind(now())
    .fetch_one(&mut *tx)
    .await?;
    let id: i64 = row.try_get("id")?;
    events::record(
        &mut tx,
        NewEvent {
            actor,
            action: "api_token.create",
            object_type: "api_token",
            object_id: id.to_string(),
            organization_id: None,
            before: None,
            after: Some(json!({ "user_id": user_id, "name": name })),
            reason: "",
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// The user of a live (not revoked) API token.
pub async fn user_of_token(db: &Db, token_hash: &str) -> Result<Option<i64>> {
    let row = sqlx::query(
        "SELECT t.user_id FROM api_tokens t JOIN users u ON u.id = t.user_id \
         WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND u.active = 1",
    )
    .bind(token_hash)
    .fetch_optional(&db.pool)
    .await?;
    Ok(row.map(|r| r.try_get("user_id")).transpose()?)
}

pub async fn tokens_of(db: &Db, user_id: i64) -> Result<Vec<ApiToken>> {
    let rows = sqlx::query(
        "SELECT id, name, created_at, revoked_at FROM api_tokens WHERE user_id = $1 ORDER BY id",
    )
    .bind(user_id)
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            let revoked: Option<String> = r.try_get("revoked_at")?;
            Ok(ApiToken {
                id: r.try_get("id")?,
                name: r.try_get("name")?,
                created_at: r.try_get("created_at")?,
                revoked: revoked.is_some(),
            })
        })
        .collect()
}

pub async fn revoke_token(db: &Db, actor: &Actor, user_id: i64, token_id: i64) -> Result<bool> {
    let mut tx = db.begin().await?;
    let done = sqlx::query(
        "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL",
    )
    .bind(now())
    .bind(token_id)
    .bind(user_id)
    .execute(&mut *tx)
    .await?
    .rows_affected()
        > 0;
    if done {
        events::record(
            &mut tx,
            NewEvent {
                actor,
                action: "api_token.revoke",
                object_type: "api_token",
                object_id: token_id.to_string(),
                organization_id: None,
                before: None,
                after: None,
                reason: "",
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(done)
}

/// Remembers an OpenID Connect sign-in started with `state_hash`.
pub async fn start_oidc_login(
    db: &Db,
    state_hash: &str,
    verifier: &str,
    nonce: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO oidc_logins (state_hash, verifier, nonce, created_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(state_hash)
    .bind(verifier)
    .bind(nonce)
    .bind(now())
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// Takes (and deletes) the sign-in started with `state_hash` after `since`:
/// `(verifier, nonce)`. A state is good for one answer only.
pub async fn take_oidc_login(
    db: &Db,
    state_hash: &str,
    since: &str,
) -> Result<Option<(String, String)>> {
    let mut tx = db.begin().await?;
    let row =
        sqlx::query("SELECT verifier, nonce, created_at FROM oidc_logins WHERE state_hash = $1")
            .bind(state_hash)
            .fetch_optional(&mut *tx)
            .await?;
    sqlx::query("DELETE FROM oidc_logins WHERE state_hash = $1 OR created_at < $2")
        .bind(state_hash)
        .bind(since)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let created: String = row.try_get("created_at")?;
    if created.as_str() < since {
        return Ok(None);
    }
    Ok(Some((row.try_get("verifier")?, row.try_get("nonce")?)))
}
