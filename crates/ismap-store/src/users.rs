//! People and the roles they hold in organizations.

use ismap_domain::{OrgKind, Role};
use serde_json::json;
use sqlx::{Row, any::AnyRow};

use crate::events::{self, Actor, NewEvent};
use crate::orgs::{Organization, conflict_on_unique};
use crate::{Db, Result, StoreError, flag, now};

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
    let mut tx = db.begin().await?;
    let row = sqlx::query(
        "INSERT INTO users (username, display_name, email, password_hash, active, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(new.username)
    .bind(new.display_name)
    .bind(new.email)
    .bind(new.password_hash)
    .bind(flag(true))
    .bind(now())
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| conflict_on_unique(e, format!("the username {:?} is taken", new.username)))?;
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
                "username": new.username,
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
        username: new.username.to_owned(),
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

/// The user and their stored password hash, for sign-in.
pub async fn find_for_sign_in(db: &Db, username: &str) -> Result<Option<(User, Option<String>)>> {
    let row = sqlx::query(
        "SELECT id, username, display_name, email, active, password_hash FROM users WHERE username = $1",
    )
    .bind(username)
    .fetch_optional(&db.pool)
    .await?;
    row.map(|r| Ok((user_from_row(&r)?, r.try_get("password_hash")?)))
        .transpose()
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

/// Replaces a user's password hash (the hash itself is not logged).
pub async fn set_password(
    db: &Db,
    actor: &Actor,
    user: &User,
    password_hash: &str,
    reason: &str,
) -> Result<()> {
    let mut tx = db.begin().await?;
    sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
        .bind(password_hash)
        .bind(user.id)
        .execute(&mut *tx)
        .await?;
    events::record(
        &mut tx,
        NewEvent {
            actor,
            action: "user.set_password",
            object_type: "user",
            object_id: user.id.to_string(),
            organization_id: None,
            before: None,
            after: None,
            reason,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
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
