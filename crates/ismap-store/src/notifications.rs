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
}
