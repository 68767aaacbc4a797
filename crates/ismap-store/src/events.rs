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
fn event_from_row(r: &sqlx::any::AnyRow) -> Result<Event> {
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
}

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
    rows.iter().map(event_from_row).collect()
}

/// The history of one object (`object_type`, `object_id`), oldest first:
/// the query each object's history page runs (interim measures; register
/// entries and special measures run the same one).
pub async fn of_object(db: &Db, object_type: &str, object_id: i64) -> Result<Vec<Event>> {
    let rows = sqlx::query(
        "SELECT id, at, actor_id, actor, action, object_type, object_id, organization_id, before, after, reason \
         FROM events WHERE object_type = $1 AND object_id = $2 ORDER BY id",
    )
    .bind(object_type)
    .bind(object_id.to_string())
    .fetch_all(&db.pool)
    .await?;
    rows.iter().map(event_from_row).collect()
}

/// An event with the names people know things by, for activity feeds.
#[derive(Clone, Debug, PartialEq)]
pub struct NamedEvent {
    pub event: Event,
    /// The acting user's display name (`None` for the system).
    pub actor_name: Option<String>,
    /// The acting user's organization, in Japanese and English.
    pub actor_org: Option<String>,
    pub actor_org_en: Option<String>,
    /// What the object is called: a service's name (also for its statements,
    /// applications and audits), a user's display name, an organization's
    /// name, a registration number, an evidence title, an API token's name.
    pub object_name: Option<String>,
    /// The English name where it differs (organizations).
    pub object_name_en: Option<String>,
    /// A related id for links: the engagement of an improvement item, the
    /// list (`ismap`, `liu`) of a registration.
    pub object_parent: Option<String>,
}

const NAMED_SELECT: &str = "SELECT e.id, e.at, e.actor_id, e.actor, e.action, e.object_type, e.object_id, \
     e.organization_id, e.before, e.after, e.reason, \
     u.display_name AS actor_name, \
     (SELECT MIN(o.name) FROM memberships m JOIN organizations o ON o.id = m.organization_id WHERE m.user_id = e.actor_id) AS actor_org, \
     (SELECT MIN(o.name_en) FROM memberships m JOIN organizations o ON o.id = m.organization_id WHERE m.user_id = e.actor_id) AS actor_org_en, \
     CASE e.object_type \
       WHEN 'service' THEN (SELECT s.name FROM services s WHERE CAST(s.id AS TEXT) = e.object_id) \
       WHEN 'statement' THEN (SELECT s.name FROM statements t JOIN services s ON s.id = t.service_id WHERE CAST(t.id AS TEXT) = e.object_id) \
       WHEN 'application' THEN (SELECT s.name FROM applications a JOIN services s ON s.id = a.service_id WHERE CAST(a.id AS TEXT) = e.object_id) \
       WHEN 'engagement' THEN (SELECT s.name FROM engagements g JOIN statements t ON t.id = g.statement_id JOIN services s ON s.id = t.service_id WHERE CAST(g.id AS TEXT) = e.object_id) \
       WHEN 'registration' THEN (SELECT r.number FROM registrations r WHERE CAST(r.id AS TEXT) = e.object_id) \
       WHEN 'user' THEN (SELECT x.display_name FROM users x WHERE CAST(x.id AS TEXT) = e.object_id) \
       WHEN 'organization' THEN (SELECT o.name FROM organizations o WHERE CAST(o.id AS TEXT) = e.object_id) \
       WHEN 'audit_org_registration' THEN (SELECT o.name FROM audit_org_registrations a JOIN organizations o ON o.id = a.organization_id WHERE CAST(a.id AS TEXT) = e.object_id) \
       WHEN 'evidence_item' THEN (SELECT i.title FROM evidence_items i WHERE CAST(i.id AS TEXT) = e.object_id) \
       WHEN 'api_token' THEN (SELECT k.name FROM api_tokens k WHERE CAST(k.id AS TEXT) = e.object_id) \
       ELSE NULL END AS object_name, \
     CASE e.object_type \
       WHEN 'organization' THEN (SELECT o.name_en FROM organizations o WHERE CAST(o.id AS TEXT) = e.object_id) \
       WHEN 'audit_org_registration' THEN (SELECT o.name_en FROM audit_org_registrations a JOIN organizations o ON o.id = a.organization_id WHERE CAST(a.id AS TEXT) = e.object_id) \
       ELSE NULL END AS object_name_en, \
     CASE e.object_type \
       WHEN 'improvement_item' THEN (SELECT CAST(i.engagement_id AS TEXT) FROM improvement_items i WHERE CAST(i.id AS TEXT) = e.object_id) \
       WHEN 'registration' THEN (SELECT r.list FROM registrations r WHERE CAST(r.id AS TEXT) = e.object_id) \
       ELSE NULL END AS object_parent \
     FROM events e LEFT JOIN users u ON u.id = e.actor_id";

/// Events with names, newest first, scoped like [`list`].
pub async fn list_named(
    db: &Db,
    organization_id: Option<i64>,
    limit: i64,
) -> Result<Vec<NamedEvent>> {
    let rows = match organization_id {
        Some(org) => {
            sqlx::query(&format!(
                "{NAMED_SELECT} WHERE e.organization_id = $1 ORDER BY e.id DESC LIMIT $2"
            ))
            .bind(org)
            .bind(limit)
            .fetch_all(&db.pool)
            .await?
        }
        None => {
            sqlx::query(&format!("{NAMED_SELECT} ORDER BY e.id DESC LIMIT $1"))
                .bind(limit)
                .fetch_all(&db.pool)
                .await?
        }
    };
    rows.into_iter()
        .map(|r| {
            Ok(NamedEvent {
                event: Event {
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
                },
                actor_name: r.try_get("actor_name")?,
                actor_org: r.try_get("actor_org")?,
                actor_org_en: r.try_get("actor_org_en")?,
                object_name: r.try_get("object_name")?,
                object_name_en: r.try_get("object_name_en")?,
                object_parent: r.try_get("object_parent")?,
            })
        })
        .collect()
}
