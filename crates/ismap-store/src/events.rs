//! The append-only event log: who did what, when, to which object, with the
//! state before and after and the reason given.

use serde_json::Value;
use sqlx::{AnyConnection, Row};

use crate::{Db, Result, now};

/// Who caused a change: a user, or the system itself (migrations, seeding).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    pub user_id: Option<i64>,
    pub label: String,
}

impl Actor {
    pub fn system(label: &str) -> Actor {
        Actor {
            user_id: None,
            label: label.to_owned(),
        }
    }

    pub fn user(id: i64, username: &str) -> Actor {
        Actor {
            user_id: Some(id),
            label: username.to_owned(),
        }
    }
}

pub struct NewEvent<'a> {
    pub actor: &'a Actor,
    pub action: &'a str,
    pub object_type: &'a str,
    pub object_id: String,
    /// The organization the object belongs to, for scoping who may read it.
    pub organization_id: Option<i64>,
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub reason: &'a str,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    pub id: i64,
    pub at: String,
    pub actor_id: Option<i64>,
    pub actor: String,
    pub action: String,
    pub object_type: String,
    pub object_id: String,
    pub organization_id: Option<i64>,
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub reason: String,
}

/// Appends an event; call inside the transaction that makes the change.
pub async fn record(conn: &mut AnyConnection, event: NewEvent<'_>) -> Result<()> {
    sqlx::query(
        "INSERT INTO events (at, actor_id, actor, action, object_type, object_id, organization_id, before, after, reason) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(now())
    .bind(event.actor.user_id)
    .bind(&event.actor.label)
    .bind(event.action)
    .bind(event.object_type)
    .bind(&event.object_id)
    .bind(event.organization_id)
    .bind(event.before.map(|v| v.to_string()))
    .bind(event.after.map(|v| v.to_string()))
    .bind(event.reason)
    .execute(conn)
    .await?;
    Ok(())
}

fn parse_json(text: Option<String>) -> Option<Value> {
    text.and_then(|t| serde_json::from_str(&t).ok())
}

/// Events, newest first; `organization_id` limits them to one organization's
/// objects, `None` returns every event.
pub async fn list(db: &Db, organization_id: Option<i64>, limit: i64) -> Result<Vec<Event>> {
    let rows = match organization_id {
        Some(org) => {
            sqlx::query(
                "SELECT id, at, actor_id, actor, action, object_type, object_id, organization_id, before, after, reason \
                 FROM events WHERE organization_id = $1 ORDER BY id DESC LIMIT $2",
            )
            .bind(org)
            .bind(limit)
            .fetch_all(&db.pool)
            .await?
        }
        None => {
            sqlx::query(
                "SELECT id, at, actor_id, actor, action, object_type, object_id, organization_id, before, after, reason \
                 FROM events ORDER BY id DESC LIMIT $1",
            )
            .bind(limit)
            .fetch_all(&db.pool)
            .await?
        }
    };
    rows.into_iter()
        .map(|r| {
            Ok(Event {
                id: r.try_get("id")?,
                at: r.try_get("at")?,
                actor_id: r.try_get("actor_id")?,
                actor: r.try_get("actor")?,
                action: r.try_get("action")?,
                object_type: r.try_get("object_type")?,
                object_id: r.try_get("object_id")?,
                organization_id: r.try_get("organization_id")?,
                before: parse_json(r.try_get("before")?),
                after: parse_json(r.try_get("after")?),
                reason: r.try_get("reason")?,
            })
        })
        .collect()
}
