//! Server-side sessions, API tokens and failed sign-in attempts. Only hashes
//! of session ids and tokens are stored, so a copy of the database cannot be
//! used to sign in.

use serde_json::json;
use sqlx::Row;

use crate::events::{self, Actor, NewEvent};
use crate::{Db, Result, StoreError, now};

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
    // Address and account windows end with the lockout window; a pair's
    // back-off is remembered for a day after its last attempt.
    let day_ago = (chrono::Utc::now() - chrono::Duration::hours(24))
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    sqlx::query(
        "DELETE FROM sign_in_throttle WHERE blocked_until <= $1 AND \
         ((key LIKE 'pair:%' AND updated_at < $2) OR (key NOT LIKE 'pair:%' AND updated_at < $3))",
    )
    .bind(now())
    .bind(day_ago)
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
    pub scope: TokenScope,
    pub expires_at: String,
    pub last_used_at: Option<String>,
}

/// What an API token may do: read only (GET and HEAD), or read and write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenScope {
    ReadOnly,
    ReadWrite,
}

impl TokenScope {
    pub fn key(self) -> &'static str {
        match self {
            TokenScope::ReadOnly => "read_only",
            TokenScope::ReadWrite => "read_write",
        }
    }

    pub fn from_key(key: &str) -> Option<TokenScope> {
        match key {
            "read_only" => Some(TokenScope::ReadOnly),
            "read_write" => Some(TokenScope::ReadWrite),
            _ => None,
        }
    }
}

/// Days an API token lasts unless its creator chooses otherwise.
pub const DEFAULT_TOKEN_DAYS: i64 = 90;

pub struct NewToken<'a> {
    pub user_id: i64,
    /// The owner's organization: its administrators see the token's events.
    pub organization_id: Option<i64>,
    pub name: &'a str,
    pub token_hash: &'a str,
    pub scope: TokenScope,
    /// RFC 3339.
    pub expires_at: &'a str,
}

/// A live API token, as the authentication middleware needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenUse {
    pub token_id: i64,
    pub user_id: i64,
    pub scope: TokenScope,
    last_used_at: Option<String>,
    use_logged_on: Option<String>,
}

/// A read-write token lasting [`DEFAULT_TOKEN_DAYS`] (see [`create_scoped_token`]).
pub async fn create_token(
    db: &Db,
    actor: &Actor,
    user_id: i64,
    name: &str,
    token_hash: &str,
) -> Result<i64> {
    let expires = (chrono::Utc::now() + chrono::Duration::days(DEFAULT_TOKEN_DAYS))
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    create_scoped_token(
        db,
        actor,
        NewToken {
            user_id,
            organization_id: None,
            name,
            token_hash,
            scope: TokenScope::ReadWrite,
            expires_at: &expires,
        },
    )
    .await
}

/// Stores a token (its hash only) and records its creation as an event of
/// the owner's organization.
pub async fn create_scoped_token(db: &Db, actor: &Actor, new: NewToken<'_>) -> Result<i64> {
    let mut tx = db.begin().await?;
    let row = sqlx::query(
        "INSERT INTO api_tokens (user_id, name, token_hash, created_at, scope, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(new.user_id)
    .bind(new.name)
    .bind(new.token_hash)
    .bind(now())
    .bind(new.scope.key())
    .bind(new.expires_at)
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
            organization_id: new.organization_id,
            before: None,
            after: Some(json!({
                "user_id": new.user_id,
                "name": new.name,
                "scope": new.scope.key(),
                "expires_at": new.expires_at,
            })),
            reason: "",
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// The user of a live API token: not revoked, not expired, its user active.
pub async fn user_of_token(db: &Db, token_hash: &str) -> Result<Option<i64>> {
    Ok(live_token(db, token_hash).await?.map(|t| t.user_id))
}

/// A live API token: not revoked, not expired, its user active.
pub async fn live_token(db: &Db, token_hash: &str) -> Result<Option<TokenUse>> {
    let row = sqlx::query(
        "SELECT t.id, t.user_id, t.scope, t.last_used_at, t.use_logged_on FROM api_tokens t \
         JOIN users u ON u.id = t.user_id \
         WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND t.expires_at > $2 AND u.active = 1",
    )
    .bind(token_hash)
    .bind(now())
    .fetch_optional(&db.pool)
    .await?;
    let Some(r) = row else {
        return Ok(None);
    };
    let scope: String = r.try_get("scope")?;
    Ok(Some(TokenUse {
        token_id: r.try_get("id")?,
        user_id: r.try_get("user_id")?,
        scope: TokenScope::from_key(&scope)
            .ok_or_else(|| StoreError::Corrupt(format!("token scope {scope:?}")))?,
        last_used_at: r.try_get("last_used_at")?,
        use_logged_on: r.try_get("use_logged_on")?,
    }))
}

/// Notes that a token was used. Recording every request would flood the
/// log, so the token keeps its last use (written at most once a minute) and
/// its first use each day (UTC) is an event of the owner's organization.
pub async fn note_token_use(
    db: &Db,
    actor: &Actor,
    token: &TokenUse,
    organization_id: Option<i64>,
) -> Result<()> {
    let at = now();
    let today = &at[..10];
    let minute_ago = (chrono::Utc::now() - chrono::Duration::minutes(1))
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let logged_today = token.use_logged_on.as_deref() == Some(today);
    let fresh = token
        .last_used_at
        .as_deref()
        .is_some_and(|last| last > minute_ago.as_str());
    if logged_today && fresh {
        return Ok(());
    }
    let mut tx = db.begin().await?;
    let first_today = sqlx::query(
        "UPDATE api_tokens SET last_used_at = $1, use_logged_on = $2 \
         WHERE id = $3 AND (use_logged_on IS NULL OR use_logged_on <> $2)",
    )
    .bind(&at)
    .bind(today)
    .bind(token.token_id)
    .execute(&mut *tx)
    .await?
    .rows_affected()
        > 0;
    if first_today {
        events::record(
            &mut tx,
            NewEvent {
                actor,
                action: "api_token.use",
                object_type: "api_token",
                object_id: token.token_id.to_string(),
                organization_id,
                before: None,
                after: Some(json!({ "user_id": token.user_id, "day": today })),
                reason: "",
            },
        )
        .await?;
    } else {
        sqlx::query(
            "UPDATE api_tokens SET last_used_at = $1 WHERE id = $2 \
             AND (last_used_at IS NULL OR last_used_at < $3)",
        )
        .bind(&at)
        .bind(token.token_id)
        .bind(&minute_ago)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

pub async fn tokens_of(db: &Db, user_id: i64) -> Result<Vec<ApiToken>> {
    let rows = sqlx::query(
        "SELECT id, name, created_at, revoked_at, scope, expires_at, last_used_at \
         FROM api_tokens WHERE user_id = $1 ORDER BY id",
    )
    .bind(user_id)
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            let revoked: Option<String> = r.try_get("revoked_at")?;
            let scope: String = r.try_get("scope")?;
            Ok(ApiToken {
                id: r.try_get("id")?,
                name: r.try_get("name")?,
                created_at: r.try_get("created_at")?,
                revoked: revoked.is_some(),
                scope: TokenScope::from_key(&scope)
                    .ok_or_else(|| StoreError::Corrupt(format!("token scope {scope:?}")))?,
                expires_at: r.try_get("expires_at")?,
                last_used_at: r.try_get("last_used_at")?,
            })
        })
        .collect()
}

/// Ends every session of `user_id` except `keep` (a session id hash) and
/// revokes every API token of theirs, in the caller's transaction: after a
/// password change or reset, or when the account is disabled.
pub(crate) async fn end_all(
    conn: &mut sqlx::AnyConnection,
    user_id: i64,
    keep: Option<&str>,
) -> Result<(u64, u64)> {
    let sessions = sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id_hash <> $2")
        .bind(user_id)
        .bind(keep.unwrap_or(""))
        .execute(&mut *conn)
        .await?
        .rows_affected();
    let tokens = sqlx::query(
        "UPDATE api_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL",
    )
    .bind(now())
    .bind(user_id)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok((sessions, tokens))
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

/// Sign-in throttling (OWASP ASVS 5.0 V6.3): limits per (account, address)
/// pair with exponential back-off, per address and per account.
#[derive(Clone, Debug)]
pub struct ThrottleLimits {
    /// Attempts a pair gets before its first back-off.
    pub per_pair: i64,
    /// Failed attempts from one address, over all accounts, per window.
    pub per_address: i64,
    /// Failed attempts at one account, from all addresses, per window. Much
    /// higher than `per_pair`, so that a stranger guessing from a few
    /// addresses does not lock the real user out.
    pub per_account: i64,
    pub window: chrono::Duration,
    /// The first back-off of a pair; each further failure doubles it.
    pub backoff: chrono::Duration,
    pub max_backoff: chrono::Duration,
}

fn throttle_keys(account: &str, address: &str) -> [String; 3] {
    [
        format!("pair:{account}|{address}"),
        format!("address:{address}"),
        format!("account:{account}"),
    ]
}

fn stamp(at: chrono::DateTime<chrono::Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// The back-off after the `n`th failure beyond a pair's free attempts
/// (`n` ≥ 1): `base`, then doubling, at most `max`.
pub fn backoff(n: i64, base: chrono::Duration, max: chrono::Duration) -> chrono::Duration {
    let shift = u32::try_from(n.saturating_sub(1)).unwrap_or(0).min(30);
    base.checked_mul(1 << shift).map_or(max, |d| d.min(max))
}

/// Reserves one sign-in attempt for `account` from `address` before the
/// password is checked: `false` when a limit is reached (answer 429). Each
/// key is counted by one conditional UPDATE checked by its row count, inside
/// one transaction (row locks on PostgreSQL, the write lock on SQLite), so
/// parallel guesses cannot all pass.
pub async fn reserve_sign_in(
    db: &Db,
    account: &str,
    address: &str,
    limits: &ThrottleLimits,
) -> Result<bool> {
    let at = chrono::Utc::now();
    let now = stamp(at);
    let cutoff = stamp(at - limits.window);
    let [pair, by_address, by_account] = throttle_keys(account, address);
    let mut tx = db.begin().await?;
    for key in [&pair, &by_address, &by_account] {
        sqlx::query(
            "INSERT INTO sign_in_throttle (key, attempts, allowed, failures, window_start, blocked_until, updated_at) \
             VALUES ($1, 0, $2, 0, $3, '', $3) ON CONFLICT (key) DO NOTHING",
        )
        .bind(key)
        .bind(limits.per_pair)
        .bind(&now)
        .execute(&mut *tx)
        .await?;
    }
    let pair_ok = sqlx::query(
        "UPDATE sign_in_throttle SET attempts = attempts + 1, updated_at = $1 \
         WHERE key = $2 AND attempts < allowed AND blocked_until <= $1",
    )
    .bind(&now)
    .bind(&pair)
    .execute(&mut *tx)
    .await?
    .rows_affected()
        == 1;
    let mut ok = pair_ok;
    for (key, limit) in [
        (&by_address, limits.per_address),
        (&by_account, limits.per_account),
    ] {
        if !ok {
            break;
        }
        ok = sqlx::query(
            "UPDATE sign_in_throttle SET \
               attempts = CASE WHEN window_start <= $1 THEN 1 ELSE attempts + 1 END, \
               window_start = CASE WHEN window_start <= $1 THEN $2 ELSE window_start END, \
               updated_at = $2 \
             WHERE key = $3 AND (window_start <= $1 OR attempts < $4)",
        )
        .bind(&cutoff)
        .bind(&now)
        .bind(key)
        .bind(limit)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
    }
    if ok {
        tx.commit().await?;
    } else {
        tx.rollback().await?;
    }
    Ok(ok)
}

/// A reserved attempt failed: logs it and, once the pair has used its
/// allowed attempts, blocks the pair for the next back-off and allows one
/// more attempt after it.
pub async fn sign_in_failed(
    db: &Db,
    account: &str,
    address: &str,
    limits: &ThrottleLimits,
) -> Result<()> {
    let at = chrono::Utc::now();
    let [pair, _, _] = throttle_keys(account, address);
    let mut tx = db.begin().await?;
    sqlx::query("INSERT INTO sign_in_failures (username, client, at) VALUES ($1, $2, $3)")
        .bind(account)
        .bind(address)
        .bind(stamp(at))
        .execute(&mut *tx)
        .await?;
    let row = sqlx::query(
        "UPDATE sign_in_throttle SET failures = failures + 1, updated_at = $1 WHERE key = $2 \
         RETURNING failures, allowed",
    )
    .bind(stamp(at))
    .bind(&pair)
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(row) = row {
        let failures: i64 = row.try_get("failures")?;
        let allowed: i64 = row.try_get("allowed")?;
        if failures >= allowed {
            let wait = backoff(
                failures - limits.per_pair + 1,
                limits.backoff,
                limits.max_backoff,
            );
            sqlx::query(
                "UPDATE sign_in_throttle SET blocked_until = $1, allowed = allowed + 1 \
                 WHERE key = $2 AND failures = $3",
            )
            .bind(stamp(at + wait))
            .bind(&pair)
            .bind(failures)
            .execute(&mut *tx)
            .await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

/// A reserved attempt succeeded: the pair starts afresh, and the attempt
/// does not count against the address or the account.
pub async fn sign_in_succeeded(db: &Db, account: &str, address: &str) -> Result<()> {
    let [pair, by_address, by_account] = throttle_keys(account, address);
    let mut tx = db.begin().await?;
    sqlx::query("DELETE FROM sign_in_throttle WHERE key = $1")
        .bind(&pair)
        .execute(&mut *tx)
        .await?;
    // One key at a time, in the order reservations lock them (no deadlock).
    for key in [&by_address, &by_account] {
        sqlx::query(
            "UPDATE sign_in_throttle SET attempts = attempts - 1 WHERE key = $1 AND attempts > 0",
        )
        .bind(key)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The server secret called `name`, created from `candidate` on first use:
/// every process serving the same database shares it.
pub async fn server_key(db: &Db, name: &str, candidate: &str) -> Result<String> {
    sqlx::query(
        "INSERT INTO server_keys (name, secret, created_at) VALUES ($1, $2, $3) \
         ON CONFLICT (name) DO NOTHING",
    )
    .bind(name)
    .bind(candidate)
    .bind(now())
    .execute(&db.pool)
    .await?;
    let row = sqlx::query("SELECT secret FROM server_keys WHERE name = $1")
        .bind(name)
        .fetch_one(&db.pool)
        .await?;
    Ok(row.try_get("secret")?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_maximum() {
        let base = chrono::Duration::seconds(60);
        let max = chrono::Duration::hours(1);
        assert_eq!(backoff(1, base, max), base);
        assert_eq!(backoff(2, base, max), chrono::Duration::seconds(120));
        assert_eq!(backoff(4, base, max), chrono::Duration::seconds(480));
        assert_eq!(backoff(7, base, max), max);
        assert_eq!(backoff(1_000, base, max), max);
    }
}
