//! In-portal notifications (issue 15, item 9): one row per person, a message
//! catalog id with its arguments so that each reader sees it in their own
//! language. Features call [`notify_users`] / [`notify_role`] inside the
//! transaction that makes the change; scheduled checks pass a `dedupe_key`
//! so that running a check twice notifies once.

use serde_json::{Map, Value};
use sqlx::{AnyConnection, Row, any::AnyRow};

use ismap_domain::Role;

use crate::{Db, Result, now};

/// What to tell.
#[derive(Clone, Debug)]
pub struct Notice<'a> {
    /// What it is about (`interim.deadline_30`, `inquiry.opened`…): people
    /// choose which kinds reach them by e-mail.
    pub kind: &'a str,
    /// Message catalog id; the catalogs hold it in Japanese and English.
    pub message_id: &'a str,
    /// The message's arguments (strings).
    pub args: &'a [(&'a str, String)],
    /// Where the notification leads (a path in the portal).
    pub link: &'a str,
    /// Scheduled checks: the same key for the same person is written once.
    pub dedupe_key: Option<&'a str>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notification {
    pub id: i64,
    pub user_id: i64,
    pub kind: String,
    pub message_id: String,
    pub args: Vec<(String, String)>,
    pub link: String,
    pub created_at: String,
    pub read_at: Option<String>,
    pub emailed_at: Option<String>,
}

fn args_json(args: &[(&str, String)]) -> String {
    let map: Map<String, Value> = args
        .iter()
        .map(|(k, v)| ((*k).to_owned(), Value::String(v.clone())))
        .collect();
    Value::Object(map).to_string()
}

fn from_row(row: &AnyRow) -> Result<Notification> {
    let args: String = row.try_get("args")?;
    let args = match serde_json::from_str::<Value>(&args) {
        Ok(Value::Object(map)) => map
            .into_iter()
            .map(|(k, v)| (k, v.as_str().map(str::to_owned).unwrap_or_default()))
            .collect(),
        _ => Vec::new(),
    };
    Ok(Notification {
        id: row.try_get("id")?,
        user_id: row.try_get("user_id")?,
        kind: row.try_get("kind")?,
        message_id: row.try_get("message_id")?,
        args,
        link: row.try_get("link")?,
        created_at: row.try_get("created_at")?,
        read_at: row.try_get("read_at")?,
        emailed_at: row.try_get("emailed_at")?,
    })
}

/// Notifies each of `users`; returns how many rows were written (a person
/// who already has `dedupe_key` is skipped).
pub async fn notify_users(
    conn: &mut AnyConnection,
    users: &[i64],
    notice: &Notice<'_>,
) -> Result<usize> {
    let args = args_json(notice.args);
    let mut written = 0;
    for user in users {
        if let Some(key) = notice.dedupe_key {
            let seen: i64 = sqlx::query(
                "SELECT COUNT(*) AS n FROM notifications WHERE user_id = $1 AND dedupe_key = $2",
            )
            .bind(user)
            .bind(key)
            .fetch_one(&mut *conn)
            .await?
            .try_get("n")?;
            if seen > 0 {
                continue;
            }
        }
        // The unique index settles a race between two processes: the loser
        // writes nothing.
        let done = sqlx::query(
            "INSERT INTO notifications (user_id, kind, message_id, args, link, dedupe_key, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
        )
        .bind(user)
        .bind(notice.kind)
        .bind(notice.message_id)
        .bind(&args)
        .bind(notice.link)
        .bind(notice.dedupe_key)
        .bind(now())
        .execute(&mut *conn)
        .await?;
        written += usize::try_from(done.rows_affected()).unwrap_or(0);
    }
    Ok(written)
}

/// The active people of `organization_id` holding one of `roles`.
pub async fn people_with_roles(
    conn: &mut AnyConnection,
    organization_id: i64,
    roles: &[Role],
) -> Result<Vec<i64>> {
    let mut out = Vec::new();
    for role in roles {
        let rows = sqlx::query(
            "SELECT u.id FROM users u JOIN memberships m ON m.user_id = u.id \
             WHERE m.organization_id = $1 AND m.role = $2 AND u.active = 1 ORDER BY u.id",
        )
        .bind(organization_id)
        .bind(role.key())
        .fetch_all(&mut *conn)
        .await?;
        for r in rows {
            let id: i64 = r.try_get("id")?;
            if !out.contains(&id) {
                out.push(id);
            }
        }
    }
    Ok(out)
}

/// The active people holding `role` in any organization (the secretariat,
/// IPA, the committee: each is one organization today, but need not be).
pub async fn people_in_role(conn: &mut AnyConnection, role: Role) -> Result<Vec<i64>> {
    let rows = sqlx::query(
        "SELECT DISTINCT u.id FROM users u JOIN memberships m ON m.user_id = u.id \
         WHERE m.role = $1 AND u.active = 1 ORDER BY u.id",
    )
    .bind(role.key())
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(|r| Ok(r.try_get("id")?)).collect()
}

/// Notifies everyone in `organization_id` holding one of `roles`.
pub async fn notify_org(
    conn: &mut AnyConnection,
    organization_id: i64,
    roles: &[Role],
    notice: &Notice<'_>,
) -> Result<usize> {
    let users = people_with_roles(conn, organization_id, roles).await?;
    notify_users(conn, &users, notice).await
}

/// Notifies everyone holding `role`, wherever they are.
pub async fn notify_role(
    conn: &mut AnyConnection,
    role: Role,
    notice: &Notice<'_>,
) -> Result<usize> {
    let users = people_in_role(conn, role).await?;
    notify_users(conn, &users, notice).await
}

/// A person's notifications, newest first.
pub async fn list(db: &Db, user_id: i64, limit: i64) -> Result<Vec<Notification>> {
    let rows =
        sqlx::query("SELECT * FROM notifications WHERE user_id = $1 ORDER BY id DESC LIMIT $2")
            .bind(user_id)
            .bind(limit)
            .fetch_all(&db.pool)
            .await?;
    rows.iter().map(from_row).collect()
}

/// How many of a person's notifications are unread.
pub async fn unread(db: &Db, user_id: i64) -> Result<i64> {
    Ok(sqlx::query(
        "SELECT COUNT(*) AS n FROM notifications WHERE user_id = $1 AND read_at IS NULL",
    )
    .bind(user_id)
    .fetch_one(&db.pool)
    .await?
    .try_get("n")?)
}

/// Marks one of a person's notifications read; returns its link, or
/// `None` when `user_id` has no notification `id` (someone else's is
/// answered exactly like a missing one). Reading it again keeps the first
/// time it was read.
pub async fn mark_read(db: &Db, user_id: i64, id: i64) -> Result<Option<String>> {
    sqlx::query(
        "UPDATE notifications SET read_at = $1 WHERE id = $2 AND user_id = $3 AND read_at IS NULL",
    )
    .bind(now())
    .bind(id)
    .bind(user_id)
    .execute(&db.pool)
    .await?;
    let row = sqlx::query("SELECT link FROM notifications WHERE id = $1 AND user_id = $2")
        .bind(id)
        .bind(user_id)
        .fetch_optional(&db.pool)
        .await?;
    Ok(row.map(|r| r.try_get("link")).transpose()?)
}

/// Marks all of a person's notifications read; returns how many were unread.
pub async fn mark_all_read(db: &Db, user_id: i64) -> Result<u64> {
    Ok(
        sqlx::query("UPDATE notifications SET read_at = $1 WHERE user_id = $2 AND read_at IS NULL")
            .bind(now())
            .bind(user_id)
            .execute(&db.pool)
            .await?
            .rows_affected(),
    )
}

/// A person's choice for each e-mail kind (`ismap_domain::schedule::
/// EMAIL_KINDS`, in that order); a kind never chosen is on.
pub async fn email_prefs(db: &Db, user_id: i64) -> Result<Vec<(&'static str, bool)>> {
    let rows = sqlx::query("SELECT kind, enabled FROM notification_email_prefs WHERE user_id = $1")
        .bind(user_id)
        .fetch_all(&db.pool)
        .await?;
    let mut stored = Vec::new();
    for r in &rows {
        let kind: String = r.try_get("kind")?;
        let enabled: i64 = r.try_get("enabled")?;
        stored.push((kind, enabled != 0));
    }
    Ok(ismap_domain::schedule::EMAIL_KINDS
        .iter()
        .map(|kind| {
            let on = stored
                .iter()
                .find(|(k, _)| k == kind)
                .is_none_or(|(_, on)| *on);
            (*kind, on)
        })
        .collect())
}

/// Whether `user_id` gets e-mail of `email_kind` (on unless turned off).
pub async fn wants_email(db: &Db, user_id: i64, email_kind: &str) -> Result<bool> {
    let row = sqlx::query(
        "SELECT enabled FROM notification_email_prefs WHERE user_id = $1 AND kind = $2",
    )
    .bind(user_id)
    .bind(email_kind)
    .fetch_optional(&db.pool)
    .await?;
    Ok(match row {
        Some(r) => r.try_get::<i64, _>("enabled")? != 0,
        None => true,
    })
}

/// Stores a person's e-mail choices (kinds not in `EMAIL_KINDS` are
/// ignored), with its event, in one transaction.
pub async fn set_email_prefs(
    db: &Db,
    actor: &crate::Actor,
    user_id: i64,
    organization_id: Option<i64>,
    choices: &[(&str, bool)],
) -> Result<()> {
    let before = email_prefs(db, user_id).await?;
    let mut tx = db.begin().await?;
    let at = now();
    for (kind, on) in choices {
        if !ismap_domain::schedule::EMAIL_KINDS.contains(kind) {
            continue;
        }
        sqlx::query(
            "INSERT INTO notification_email_prefs (user_id, kind, enabled, updated_at) \
             VALUES ($1, $2, $3, $4) \
             ON CONFLICT (user_id, kind) DO UPDATE SET enabled = excluded.enabled, updated_at = excluded.updated_at",
        )
        .bind(user_id)
        .bind(*kind)
        .bind(crate::flag(*on))
        .bind(&at)
        .execute(&mut *tx)
        .await?;
    }
    let as_json = |prefs: &[(&str, bool)]| {
        Value::Object(
            prefs
                .iter()
                .map(|(k, on)| ((*k).to_owned(), Value::Bool(*on)))
                .collect(),
        )
    };
    crate::events::record(
        &mut tx,
        crate::NewEvent {
            actor,
            action: "user.email_preferences",
            object_type: "user",
            object_id: user_id.to_string(),
            organization_id,
            before: Some(as_json(&before)),
            after: Some(as_json(choices)),
            reason: "",
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A notification waiting for its e-mail, with its reader.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outgoing {
    pub notification: Notification,
    pub email: String,
    pub display_name: String,
    pub active: bool,
    /// Failed attempts so far.
    pub attempts: i64,
}

/// Notifications whose e-mail is due at `at`: not sent nor settled, not
/// waiting for a retry, not held by a fresh claim (one claimed before
/// `stale_before` was abandoned). Oldest first.
pub async fn pending_email(db: &Db, at: &str, stale_before: &str, limit: i64) -> Result<Vec<i64>> {
    let rows = sqlx::query(
        "SELECT id FROM notifications WHERE emailed_at IS NULL \
         AND (email_retry_at IS NULL OR email_retry_at <= $1) \
         AND (email_claim IS NULL OR email_claimed_at < $2) ORDER BY id LIMIT $3",
    )
    .bind(at)
    .bind(stale_before)
    .bind(limit)
    .fetch_all(&db.pool)
    .await?;
    rows.iter().map(|r| Ok(r.try_get("id")?)).collect()
}

/// Claims notification `id`'s e-mail for `claim` (a conditional UPDATE: of
/// two senders, one gets it); `None` when someone else has it or it is no
/// longer due.
pub async fn claim_email(
    db: &Db,
    id: i64,
    claim: &str,
    at: &str,
    stale_before: &str,
) -> Result<Option<Outgoing>> {
    let claimed = sqlx::query(
        "UPDATE notifications SET email_claim = $1, email_claimed_at = $2 \
         WHERE id = $3 AND emailed_at IS NULL \
         AND (email_retry_at IS NULL OR email_retry_at <= $2) \
         AND (email_claim IS NULL OR email_claimed_at < $4)",
    )
    .bind(claim)
    .bind(at)
    .bind(id)
    .bind(stale_before)
    .execute(&db.pool)
    .await?
    .rows_affected();
    if claimed != 1 {
        return Ok(None);
    }
    let row = sqlx::query(
        "SELECT n.*, u.email AS reader_email, u.display_name AS reader_name, u.active AS reader_active \
         FROM notifications n JOIN users u ON u.id = n.user_id WHERE n.id = $1",
    )
    .bind(id)
    .fetch_one(&db.pool)
    .await?;
    let active: i64 = row.try_get("reader_active")?;
    Ok(Some(Outgoing {
        notification: from_row(&row)?,
        email: row.try_get("reader_email")?,
        display_name: row.try_get("reader_name")?,
        active: active != 0,
        attempts: row.try_get("email_attempts")?,
    }))
}

/// Settles a claimed e-mail: `outcome` is `sent`, `off` (the reader chose
/// not to get this kind) or `no_address`. False if the claim was lost.
pub async fn email_settled(db: &Db, id: i64, claim: &str, outcome: &str) -> Result<bool> {
    Ok(sqlx::query(
        "UPDATE notifications SET emailed_at = $1, email_outcome = $2, email_claim = NULL, \
         email_claimed_at = NULL, email_error = NULL WHERE id = $3 AND email_claim = $4",
    )
    .bind(now())
    .bind(outcome)
    .bind(id)
    .bind(claim)
    .execute(&db.pool)
    .await?
    .rows_affected()
        == 1)
}

/// Records a failed attempt: the claim is released and the e-mail waits
/// until `retry_at`.
pub async fn email_failed(
    db: &Db,
    id: i64,
    claim: &str,
    error: &str,
    retry_at: &str,
) -> Result<bool> {
    let error: String = error.chars().take(2000).collect();
    Ok(sqlx::query(
        "UPDATE notifications SET email_attempts = email_attempts + 1, email_retry_at = $1, \
         email_error = $2, email_claim = NULL, email_claimed_at = NULL \
         WHERE id = $3 AND email_claim = $4",
    )
    .bind(retry_at)
    .bind(&error)
    .bind(id)
    .bind(claim)
    .execute(&db.pool)
    .await?
    .rows_affected()
        == 1)
}

/// How a notification's e-mail stands: (emailed_at, outcome, attempts, error).
pub async fn email_state(
    db: &Db,
    id: i64,
) -> Result<(Option<String>, Option<String>, i64, Option<String>)> {
    let r = sqlx::query(
        "SELECT emailed_at, email_outcome, email_attempts, email_error FROM notifications WHERE id = $1",
    )
    .bind(id)
    .fetch_one(&db.pool)
    .await?;
    Ok((
        r.try_get("emailed_at")?,
        r.try_get("email_outcome")?,
        r.try_get("email_attempts")?,
        r.try_get("email_error")?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::fresh;
    use crate::{Actor, Backend, orgs, users};
    use ismap_domain::OrgKind;

    #[tokio::test]
    async fn a_dedupe_key_notifies_each_person_once_on_both_backends() {
        for backend in [Backend::Sqlite, Backend::Postgres] {
            let dir = tempfile::tempdir().unwrap();
            let db = fresh(backend, dir.path()).await;
            let actor = Actor::system("test");
            let org = orgs::create(&db, &actor, "テスト省", "Test Ministry", OrgKind::Agency)
                .await
                .unwrap();
            let user = users::create(
                &db,
                &actor,
                users::NewUser {
                    username: "officer",
                    display_name: "担当",
                    email: "",
                    password_hash: None,
                },
                &org,
                Role::AgencyOfficer,
            )
            .await
            .unwrap();
            let notice = Notice {
                kind: "interim.deadline_30",
                message_id: "notify-interim-deadline",
                args: &[("days", "30".into())],
                link: "/agency/register/1",
                dedupe_key: Some("interim:1:30"),
            };
            for _ in 0..2 {
                let mut conn = db.pool.acquire().await.unwrap();
                notify_org(&mut conn, org.id, &[Role::AgencyOfficer], &notice)
                    .await
                    .unwrap();
            }
            let listed = list(&db, user.id, 10).await.unwrap();
            assert_eq!(listed.len(), 1, "{backend:?}");
            assert_eq!(listed[0].args, vec![("days".to_owned(), "30".to_owned())]);
            assert_eq!(unread(&db, user.id).await.unwrap(), 1);
        }
    }
    #[tokio::test]
    async fn reading_choices_and_the_email_claim_on_both_backends() {
        for backend in [Backend::Sqlite, Backend::Postgres] {
            let dir = tempfile::tempdir().unwrap();
            let db = fresh(backend, dir.path()).await;
            let actor = Actor::system("test");
            let org = orgs::create(&db, &actor, "テスト省", "Test Ministry", OrgKind::Agency)
                .await
                .unwrap();
            let mut people = Vec::new();
            for name in ["one", "two"] {
                let user = users::create(
                    &db,
                    &actor,
                    users::NewUser {
                        username: name,
                        display_name: name,
                        email: "x@example.jp",
                        password_hash: None,
                    },
                    &org,
                    Role::AgencyOfficer,
                )
                .await
                .unwrap();
                people.push(user.id);
            }
            let notice = Notice {
                kind: "interim.deadline_7",
                message_id: "notify-interim-deadline",
                args: &[],
                link: "/x",
                dedupe_key: None,
            };
            let mut conn = db.pool.acquire().await.unwrap();
            notify_users(&mut conn, &people, &notice).await.unwrap();
            drop(conn);
            let mine = list(&db, people[0], 10).await.unwrap()[0].id;
            // Only the owner reads it.
            assert_eq!(mark_read(&db, people[1], mine).await.unwrap(), None);
            assert_eq!(unread(&db, people[0]).await.unwrap(), 1);
            assert_eq!(
                mark_read(&db, people[0], mine).await.unwrap().as_deref(),
                Some("/x")
            );
            assert_eq!(unread(&db, people[0]).await.unwrap(), 0);
            assert_eq!(mark_all_read(&db, people[1]).await.unwrap(), 1);
            // Choices: on unless turned off.
            assert!(wants_email(&db, people[0], "interim").await.unwrap());
            set_email_prefs(&db, &actor, people[0], Some(org.id), &[("interim", false)])
                .await
                .unwrap();
            assert!(!wants_email(&db, people[0], "interim").await.unwrap());
            set_email_prefs(&db, &actor, people[0], Some(org.id), &[("interim", true)])
                .await
                .unwrap();
            assert!(wants_email(&db, people[0], "interim").await.unwrap());
            // One claim wins; a settled mail is no longer pending.
            let at = now();
            let stale = "2000-01-01T00:00:00.000Z";
            let pending = pending_email(&db, &at, stale, 10).await.unwrap();
            assert_eq!(pending.len(), 2, "{backend:?}");
            let first = claim_email(&db, pending[0], "a", &at, stale).await.unwrap();
            assert!(first.is_some());
            assert!(
                claim_email(&db, pending[0], "b", &at, stale)
                    .await
                    .unwrap()
                    .is_none()
            );
            assert!(!email_settled(&db, pending[0], "b", "sent").await.unwrap());
            assert!(email_settled(&db, pending[0], "a", "sent").await.unwrap());
            assert_eq!(pending_email(&db, &at, stale, 10).await.unwrap().len(), 1);
        }
    }
}
