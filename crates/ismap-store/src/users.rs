//! People and the roles they hold in organizations.

use ismap_domain::{OrgKind, Role};
use serde_json::json;
use sqlx::{Row, any::AnyRow};

use crate::events::{self, Actor, NewEvent};
use crate::orgs::{Organization, conflict_on_unique};
use crate::{Db, Result, StoreError, flag, now};

/// Longest username accepted, in characters.
pub const MAX_USERNAME_CHARS: usize = 64;

/// Why a username is refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UsernameError {
    Empty,
    TooLong,
    /// A control, format (e.g. bidirectional override) or space character,
    /// or one of the markup characters `<>"'&\``.
    Forbidden(char),
}

impl std::fmt::Display for UsernameError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            UsernameError::Empty => write!(f, "a username cannot be empty"),
            UsernameError::TooLong => {
                write!(f, "a username has at most {MAX_USERNAME_CHARS} characters")
            }
            UsernameError::Forbidden(c) => write!(
                f,
                "a username cannot contain {:?} (U+{:04X}): no spaces, control characters or markup",
                c, *c as u32
            ),
        }
    }
}

fn forbidden_in_username(c: char) -> bool {
    c.is_control()
        || c.is_whitespace()
        || matches!(c, '<' | '>' | '"' | '\'' | '&' | '`' | '\\')
        // Format characters that hide or reorder text: zero-width spaces and
        // joiners, bidirectional marks, embeddings, overrides and isolates,
        // the word joiner and the byte order mark.
        || matches!(c, '\u{00AD}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}

/// The form a username is stored and compared in: NFKC, then lower case
/// (then NFKC again, as lower-casing can denormalize), so that two accounts
/// cannot differ only by case or width ("Taro", "ｔａｒｏ" and "taro" are one
/// name). Surrounding spaces are dropped; spaces, control characters and
/// markup inside are refused.
pub fn normalize_username(raw: &str) -> std::result::Result<String, UsernameError> {
    use unicode_normalization::UnicodeNormalization;
    let folded: String = raw.trim().nfkc().collect::<String>().to_lowercase();
    let name: String = folded.nfkc().collect();
    if name.is_empty() {
        return Err(UsernameError::Empty);
    }
    if let Some(c) = name.chars().find(|c| forbidden_in_username(*c)) {
        return Err(UsernameError::Forbidden(c));
    }
    if name.chars().count() > MAX_USERNAME_CHARS {
        return Err(UsernameError::TooLong);
    }
    Ok(name)
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub email: String,
    pub active: bool,
}

/// One role in one organization.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Membership {
    pub organization: Organization,
    pub role: Role,
}

fn user_from_row(row: &AnyRow) -> Result<User> {
    let active: i64 = row.try_get("active")?;
    Ok(User {
        id: row.try_get("id")?,
        username: row.try_get("username")?,
        display_name: row.try_get("display_name")?,
        email: row.try_get("email")?,
        active: active != 0,
    })
}

pub struct NewUser<'a> {
    pub username: &'a str,
    pub display_name: &'a str,
    pub email: &'a str,
    /// An Argon2id PHC string; `None` for accounts that sign in only by OIDC.
    pub password_hash: Option<&'a str>,
}

/// Creates a user with one role in `organization`; the role must exist in
/// that kind of organization.
pub async fn create(
    db: &Db,
    actor: &Actor,
    new: NewUser<'_>,
    organization: &Organization,
    role: Role,
) -> Result<User> {
    if role.org_kind() != organization.kind {
        return Err(StoreError::Conflict(format!(
            "role {role} belongs to {} organizations, but {} is a {} organization",
            role.org_kind(),
            organization.name,
            organization.kind
        )));
    }
    let username =
        normalize_username(new.username).map_err(|e| StoreError::Conflict(e.to_string()))?;
    let mut tx = db.begin().await?;
    // Accounts stored before names were normalized may differ in case.
    let taken = sqlx::query("SELECT id FROM users WHERE LOWER(username) = $1")
        .bind(&username)
        .fetch_optional(&mut *tx)
        .await?;
    if taken.is_some() {
        return Err(StoreError::Conflict(format!(
            "the username {username:?} is taken"
        )));
    }
    let row = sqlx::query(
        "INSERT INTO users (username, display_name, email, password_hash, active, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(&username)
    .bind(new.display_name)
    .bind(new.email)
    .bind(new.password_hash)
    .bind(flag(true))
    .bind(now())
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| conflict_on_unique(e, format!("the username {username:?} is taken")))?;
    let id: i64 = row.try_get("id")?;
    sqlx::query(
        "INSERT INTO memberships (user_id, organization_id, role, created_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(id)
    .bind(organization.id)
    .bind(role.key())
    .bind(now())
    .execute(&mut *tx)
    .await?;
    events::record(
        &mut tx,
        NewEvent {
            actor,
            action: "user.create",
            object_type: "user",
            object_id: id.to_string(),
            organization_id: Some(organization.id),
            before: None,
            after: Some(json!({
                "username": username,
                "display_name": new.display_name,
                "organization": organization.name,
                "role": role.key(),
            })),
            reason: "",
        },
    )
    .await?;
    tx.commit().await?;
    Ok(User {
        id,
        username,
        display_name: new.display_name.to_owned(),
        email: new.email.to_owned(),
        active: true,
    })
}

pub async fn get(db: &Db, id: i64) -> Result<User> {
    let row =
        sqlx::query("SELECT id, username, display_name, email, active FROM users WHERE id = $1")
            .bind(id)
            .fetch_optional(&db.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("user {id}")))?;
    user_from_row(&row)
}

/// The user and their stored password hash, for sign-in: found by the name
/// exactly as typed (so that an account stored before names were normalized,
/// which may differ from another only in case, is still its own), else by
/// the normalized name.
pub async fn find_for_sign_in(db: &Db, username: &str) -> Result<Option<(User, Option<String>)>> {
    let mut names = vec![username.trim().to_owned()];
    if let Ok(normal) = normalize_username(username)
        && normal != names[0]
    {
        names.push(normal);
    }
    for name in names {
        let row = sqlx::query(
            "SELECT id, username, display_name, email, active, password_hash FROM users WHERE username = $1",
        )
        .bind(&name)
        .fetch_optional(&db.pool)
        .await?;
        if let Some(r) = row {
            return Ok(Some((user_from_row(&r)?, r.try_get("password_hash")?)));
        }
    }
    Ok(None)
}

/// The user linked to an OpenID Connect identity.
pub async fn find_by_oidc(db: &Db, issuer: &str, subject: &str) -> Result<Option<User>> {
    let row = sqlx::query(
        "SELECT id, username, display_name, email, active FROM users WHERE oidc_issuer = $1 AND oidc_subject = $2",
    )
    .bind(issuer)
    .bind(subject)
    .fetch_optional(&db.pool)
    .await?;
    row.as_ref().map(user_from_row).transpose()
}

/// Links a user to an OpenID Connect identity (an administrator's act).
pub async fn link_oidc(
    db: &Db,
    actor: &Actor,
    user: &User,
    issuer: &str,
    subject: &str,
) -> Result<()> {
    let mut tx = db.begin().await?;
    sqlx::query("UPDATE users SET oidc_issuer = $1, oidc_subject = $2 WHERE id = $3")
        .bind(issuer)
        .bind(subject)
        .bind(user.id)
        .execute(&mut *tx)
        .await
        .map_err(|e| conflict_on_unique(e, "that identity is linked to another user".into()))?;
    events::record(
        &mut tx,
        NewEvent {
            actor,
            action: "user.link_oidc",
            object_type: "user",
            object_id: user.id.to_string(),
            organization_id: None,
            before: None,
            after: Some(json!({ "issuer": issuer, "subject": subject })),
            reason: "",
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Replaces a user's password hash (the hash itself is not logged) and ends
/// all their sessions and API tokens: a reset by an administrator.
pub async fn set_password(
    db: &Db,
    actor: &Actor,
    user: &User,
    password_hash: &str,
    reason: &str,
) -> Result<()> {
    change_password(db, actor, user, password_hash, reason, None).await
}

/// Replaces a user's password hash and ends every other session of theirs
/// (all but `keep`, the id hash of the session that made the change) and
/// every API token: whoever knew the old password is out.
pub async fn change_password(
    db: &Db,
    actor: &Actor,
    user: &User,
    password_hash: &str,
    reason: &str,
    keep: Option<&str>,
) -> Result<()> {
    let mut tx = db.begin().await?;
    let found = sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
        .bind(password_hash)
        .bind(user.id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if found == 0 {
        return Err(StoreError::NotFound(format!("user {}", user.id)));
    }
    let (sessions, tokens) = crate::sessions::end_all(&mut tx, user.id, keep).await?;
    let organization_id = organization_of_in(&mut tx, user.id).await?;
    events::record(
        &mut tx,
        NewEvent {
            actor,
            action: "user.set_password",
            object_type: "user",
            object_id: user.id.to_string(),
            organization_id,
            before: None,
            after: Some(json!({ "sessions_ended": sessions, "tokens_revoked": tokens })),
            reason,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

async fn organization_of_in(conn: &mut sqlx::AnyConnection, user_id: i64) -> Result<Option<i64>> {
    let row = sqlx::query(
        "SELECT organization_id FROM memberships WHERE user_id = $1 ORDER BY organization_id LIMIT 1",
    )
    .bind(user_id)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.map(|r| r.try_get("organization_id")).transpose()?)
}

/// The organization a user belongs to (their first membership).
pub async fn organization_of(db: &Db, user_id: i64) -> Result<Option<i64>> {
    let mut conn = db.pool.acquire().await?;
    organization_of_in(&mut conn, user_id).await
}

/// Disables (`active` false) or enables a user. Disabling ends their
/// sessions and revokes their API tokens at once. The update is conditional
/// on the current state: `Ok(false)` when the user already was so.
pub async fn set_active(
    db: &Db,
    actor: &Actor,
    user_id: i64,
    active: bool,
    reason: &str,
) -> Result<bool> {
    let mut tx = db.begin().await?;
    let changed = sqlx::query("UPDATE users SET active = $1 WHERE id = $2 AND active = $3")
        .bind(flag(active))
        .bind(user_id)
        .bind(flag(!active))
        .execute(&mut *tx)
        .await?
        .rows_affected()
        > 0;
    if !changed {
        tx.rollback().await?;
        return Ok(false);
    }
    let ended = if active {
        None
    } else {
        Some(crate::sessions::end_all(&mut tx, user_id, None).await?)
    };
    let organization_id = organization_of_in(&mut tx, user_id).await?;
    events::record(
        &mut tx,
        NewEvent {
            actor,
            action: if active {
                "user.enable"
            } else {
                "user.disable"
            },
            object_type: "user",
            object_id: user_id.to_string(),
            organization_id,
            before: Some(json!({ "active": !active })),
            after: Some(match ended {
                Some((sessions, tokens)) => json!({
                    "active": active, "sessions_ended": sessions, "tokens_revoked": tokens,
                }),
                None => json!({ "active": active }),
            }),
            reason,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// A person as an administrator sees them: their organization and roles.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    pub user: User,
    pub organization: Organization,
    pub roles: Vec<Role>,
}

/// The people of one organization (`Some`), or of all (`None`, for the
/// secretariat), disabled ones included, by organization and username.
pub async fn members(db: &Db, organization_id: Option<i64>) -> Result<Vec<Member>> {
    let rows = sqlx::query(
        "SELECT u.id AS user_id, u.username, u.display_name, u.email, u.active, m.role, \
                o.id AS org_id, o.name, o.name_en, o.kind \
         FROM users u JOIN memberships m ON m.user_id = u.id \
         JOIN organizations o ON o.id = m.organization_id \
         WHERE ($1 = 0 OR o.id = $1) ORDER BY o.id, u.username, m.role",
    )
    .bind(organization_id.unwrap_or(0))
    .fetch_all(&db.pool)
    .await?;
    let mut out: Vec<Member> = Vec::new();
    for r in &rows {
        let role: String = r.try_get("role")?;
        let role =
            Role::from_key(&role).ok_or_else(|| StoreError::Corrupt(format!("role {role:?}")))?;
        let user_id: i64 = r.try_get("user_id")?;
        let org_id: i64 = r.try_get("org_id")?;
        if let Some(last) = out.last_mut()
            && last.user.id == user_id
            && last.organization.id == org_id
        {
            last.roles.push(role);
            continue;
        }
        let active: i64 = r.try_get("active")?;
        let kind: String = r.try_get("kind")?;
        out.push(Member {
            user: User {
                id: user_id,
                username: r.try_get("username")?,
                display_name: r.try_get("display_name")?,
                email: r.try_get("email")?,
                active: active != 0,
            },
            organization: Organization {
                id: org_id,
                name: r.try_get("name")?,
                name_en: r.try_get("name_en")?,
                kind: OrgKind::from_key(&kind)
                    .ok_or_else(|| StoreError::Corrupt(format!("organization kind {kind:?}")))?,
            },
            roles: vec![role],
        });
    }
    Ok(out)
}

pub async fn memberships(db: &Db, user_id: i64) -> Result<Vec<Membership>> {
    let rows = sqlx::query(
        "SELECT m.role, o.id, o.name, o.name_en, o.kind FROM memberships m \
         JOIN organizations o ON o.id = m.organization_id WHERE m.user_id = $1 ORDER BY o.id, m.role",
    )
    .bind(user_id)
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            let role: String = r.try_get("role")?;
            let kind: String = r.try_get("kind")?;
            Ok(Membership {
                role: Role::from_key(&role)
                    .ok_or_else(|| StoreError::Corrupt(format!("role {role:?}")))?,
                organization: Organization {
                    id: r.try_get("id")?,
                    name: r.try_get("name")?,
                    name_en: r.try_get("name_en")?,
                    kind: OrgKind::from_key(&kind).ok_or_else(|| {
                        StoreError::Corrupt(format!("organization kind {kind:?}"))
                    })?,
                },
            })
        })
        .collect()
}

pub async fn count(db: &Db) -> Result<i64> {
    let row = sqlx::query("SELECT COUNT(*) AS n FROM users")
        .fetch_one(&db.pool)
        .await?;
    Ok(row.try_get("n")?)
}

/// The user with this e-mail address not yet linked to any OpenID Connect
/// identity, for linking on first sign-in.
pub async fn find_unlinked_by_email(db: &Db, email: &str) -> Result<Option<User>> {
    let row = sqlx::query(
        "SELECT id, username, display_name, email, active FROM users \
         WHERE LOWER(email) = LOWER($1) AND email <> '' AND oidc_subject IS NULL",
    )
    .bind(email)
    .fetch_optional(&db.pool)
    .await?;
    row.as_ref().map(user_from_row).transpose()
}

/// Active people holding `role` in an organization, by name.
pub async fn with_role(db: &Db, organization_id: i64, role: Role) -> Result<Vec<User>> {
    let rows = sqlx::query(
        "SELECT u.id, u.username, u.display_name, u.email, u.active FROM users u \
         JOIN memberships m ON m.user_id = u.id \
         WHERE m.organization_id = $1 AND m.role = $2 AND u.active = 1 ORDER BY u.display_name",
    )
    .bind(organization_id)
    .bind(role.key())
    .fetch_all(&db.pool)
    .await?;
    rows.iter().map(user_from_row).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_fold_case_and_width_and_refuse_markup() {
        assert_eq!(normalize_username(" Taro ").unwrap(), "taro");
        assert_eq!(normalize_username("ＴＡＲＯ").unwrap(), "taro");
        assert_eq!(normalize_username("ﾔﾏﾀﾞ").unwrap(), "ヤマダ");
        assert_eq!(normalize_username("山田.太郎").unwrap(), "山田.太郎");
        assert_eq!(normalize_username("   "), Err(UsernameError::Empty));
        for (bad, c) in [
            ("a<b", '<'),
            ("a>b", '>'),
            ("a\"b", '"'),
            ("o'neil", '\''),
            ("a&b", '&'),
            ("a`b", '`'),
            ("a b", ' '),
            ("a\tb", '\t'),
            ("a\nb", '\n'),
            ("admin\u{202E}txt", '\u{202E}'),
            ("ad\u{200B}min", '\u{200B}'),
        ] {
            assert_eq!(
                normalize_username(bad),
                Err(UsernameError::Forbidden(c)),
                "{bad:?}"
            );
        }
        // The full-width "＜" becomes "<" under NFKC and is refused too.
        assert_eq!(
            normalize_username("a＜b"),
            Err(UsernameError::Forbidden('<'))
        );
        assert_eq!(
            normalize_username(&"x".repeat(65)),
            Err(UsernameError::TooLong)
        );
        assert!(normalize_username(&"x".repeat(64)).is_ok());
    }
}
