//! The special measures service list (特別措置サービスリスト, spec §7.5):
//! entries added one by one or imported in one transaction, ended with a
//! reason, never deleted (migration 0013 refuses deletes). Every change is
//! an event recorded in the same transaction, scoped to the Digital Agency's
//! organization (never to the provider's: the list is not the provider's
//! to read).

use chrono::NaiveDate;
use ismap_domain::special_measures::{Exemptions, NewEntry, QualifyingEvent};
use serde_json::{Value, json};
use sqlx::{Row, any::AnyRow};

use crate::events::{self, Actor, NewEvent};
use crate::registrations::fold_for_search;
use crate::{Backend, Db, Result, StoreError, now};

/// One entry as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub id: i64,
    pub service_name: String,
    pub provider: String,
    pub service_id: Option<i64>,
    pub event: QualifyingEvent,
    pub event_date: NaiveDate,
    pub exemptions: Exemptions,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub note: String,
    /// `form` or `import`.
    pub source: String,
    pub ended: bool,
    pub created_at: String,
    pub ended_at: Option<String>,
    pub end_reason: Option<String>,
}

/// Most search words used (more are ignored).
pub const SEARCH_MAX_WORDS: usize = 10;
/// Most entries a listing returns.
pub const LIST_LIMIT: i64 = 1000;

const COLUMNS: &str = "id, service_name, provider, service_id, qualifying_event, qualifying_date, \
    submissions_exemption, audit_exemption, period_start, period_end, note, source, status, \
    created_at, ended_at, end_reason";

fn date(row: &AnyRow, column: &str) -> Result<NaiveDate> {
    let text: String = row.try_get(column)?;
    text.parse()
        .map_err(|_| StoreError::Corrupt(format!("{column} {text:?} is not a date")))
}

fn from_row(row: &AnyRow) -> Result<Entry> {
    let event: String = row.try_get("qualifying_event")?;
    let status: String = row.try_get("status")?;
    Ok(Entry {
        id: row.try_get("id")?,
        service_name: row.try_get("service_name")?,
        provider: row.try_get("provider")?,
        service_id: row.try_get("service_id")?,
        event: QualifyingEvent::from_key(&event)
            .ok_or_else(|| StoreError::Corrupt(format!("qualifying event {event:?}")))?,
        event_date: date(row, "qualifying_date")?,
        exemptions: Exemptions {
            submissions: row.try_get("submissions_exemption")?,
            external_audit: row.try_get("audit_exemption")?,
        },
        period_start: date(row, "period_start")?,
        period_end: date(row, "period_end")?,
        note: row.try_get("note")?,
        source: row.try_get("source")?,
        ended: status == "ended",
        created_at: row.try_get("created_at")?,
        ended_at: row.try_get("ended_at")?,
        end_reason: row.try_get("end_reason")?,
    })
}

fn snapshot(entry: &NewEntry, service_id: Option<i64>) -> Value {
    json!({
        "service_name": entry.service_name,
        "provider": entry.provider,
        "service_id": service_id,
        "qualifying_event": entry.event.key(),
        "qualifying_date": entry.event_date.to_string(),
        "submissions_exemption": entry.exemptions.submissions,
        "audit_exemption": entry.exemptions.external_audit,
        "period_start": entry.period_start.to_string(),
        "period_end": entry.period_end.to_string(),
        "note": entry.note,
    })
}

/// Entries whose service or provider contains every word of `search`
/// (width and case folded, as the public lists search), newest first;
/// ended ones too when `include_ended`.
pub async fn list(db: &Db, search: Option<&str>, include_ended: bool) -> Result<Vec<Entry>> {
    let mut conditions = Vec::new();
    let mut binds: Vec<String> = Vec::new();
    if !include_ended {
        conditions.push("status = 'active'".to_owned());
    }
    if let Some(search) = search {
        let folded = fold_for_search(search);
        for word in folded.split_whitespace().take(SEARCH_MAX_WORDS) {
            binds.push(word.to_owned());
            let p = format!("${}", binds.len());
            conditions.push(match db.backend {
                Backend::Sqlite => format!("instr(search_text, {p}) > 0"),
                Backend::Postgres => format!("strpos(search_text, {p}) > 0"),
            });
        }
    }
    let filter = if conditions.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", conditions.join(" AND "))
    };
    let sql = format!(
        "SELECT {COLUMNS} FROM special_measures {filter} ORDER BY id DESC LIMIT {LIST_LIMIT}"
    );
    let mut query = sqlx::query(&sql);
    for b in &binds {
        query = query.bind(b.clone());
    }
    let rows = query.fetch_all(&db.pool).await?;
    rows.iter().map(from_row).collect()
}

pub async fn get(db: &Db, id: i64) -> Result<Entry> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM special_measures WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(&db.pool)
    .await?
    .ok_or_else(|| StoreError::NotFound(format!("special measures entry {id}")))?;
    from_row(&row)
}

/// The change history of an entry, oldest first.
pub async fn history(db: &Db, id: i64) -> Result<Vec<events::Event>> {
    events::of_object(db, "special_measure", id).await
}

async fn insert(
    conn: &mut sqlx::AnyConnection,
    actor: &Actor,
    keeper: i64,
    entry: &NewEntry,
    service_id: Option<i64>,
    source: &str,
    reason: &str,
) -> Result<i64> {
    let row = sqlx::query(
        "INSERT INTO special_measures (service_name, provider, service_id, qualifying_event, qualifying_date, \
         submissions_exemption, audit_exemption, period_start, period_end, note, source, search_text, created_at, created_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id",
    )
    .bind(&entry.service_name)
    .bind(&entry.provider)
    .bind(service_id)
    .bind(entry.event.key())
    .bind(entry.event_date.to_string())
    .bind(entry.exemptions.submissions.clone())
    .bind(entry.exemptions.external_audit.clone())
    .bind(entry.period_start.to_string())
    .bind(entry.period_end.to_string())
    .bind(&entry.note)
    .bind(source)
    .bind(fold_for_search(&format!(
        "{} {}",
        entry.service_name, entry.provider
    )))
    .bind(now())
    .bind(actor.user_id)
    .fetch_one(&mut *conn)
    .await?;
    let id: i64 = row.try_get("id")?;
    events::record(
        conn,
        NewEvent {
            actor,
            action: if source == "import" {
                "special_measure.import"
            } else {
                "special_measure.add"
            },
            object_type: "special_measure",
            object_id: id.to_string(),
            organization_id: Some(keeper),
            before: None,
            after: Some(snapshot(entry, service_id)),
            reason,
        },
    )
    .await?;
    Ok(id)
}

/// Adds an entry; `keeper` is the Digital Agency's organization (the
/// events' scope).
pub async fn add(
    db: &Db,
    actor: &Actor,
    keeper: i64,
    entry: &NewEntry,
    service_id: Option<i64>,
) -> Result<Entry> {
    let mut tx = db.begin().await?;
    let id = insert(&mut tx, actor, keeper, entry, service_id, "form", "").await?;
    tx.commit().await?;
    get(db, id).await
}

/// Imports entries all or nothing, in one transaction; `file` names the
/// file in each event's reason.
pub async fn import(
    db: &Db,
    actor: &Actor,
    keeper: i64,
    entries: &[NewEntry],
    file: &str,
) -> Result<usize> {
    let mut tx = db.begin().await?;
    for entry in entries {
        insert(&mut tx, actor, keeper, entry, None, "import", file).await?;
    }
    tx.commit().await?;
    Ok(entries.len())
}

/// Ends an active entry with a reason. One conditional update on the
/// expected state: of two concurrent ends, one wins and the other is a
/// conflict.
pub async fn end(db: &Db, actor: &Actor, keeper: i64, id: i64, reason: &str) -> Result<Entry> {
    let mut tx = db.begin().await?;
    let at = now();
    let changed = sqlx::query(
        "UPDATE special_measures SET status = 'ended', ended_at = $1, ended_by = $2, end_reason = $3 \
         WHERE id = $4 AND status = 'active'",
    )
    .bind(&at)
    .bind(actor.user_id)
    .bind(reason)
    .bind(id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if changed != 1 {
        drop(tx);
        // Missing, or ended meanwhile.
        let current = get(db, id).await?;
        return Err(StoreError::Conflict(format!(
            "special measures entry {} ({}) has already been ended",
            current.id, current.service_name
        )));
    }
    events::record(
        &mut tx,
        NewEvent {
            actor,
            action: "special_measure.end",
            object_type: "special_measure",
            object_id: id.to_string(),
            organization_id: Some(keeper),
            before: Some(json!({ "status": "active" })),
            after: Some(json!({ "status": "ended" })),
            reason,
        },
    )
    .await?;
    tx.commit().await?;
    get(db, id).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing;

    fn entry(name: &str) -> NewEntry {
        NewEntry {
            service_name: name.into(),
            provider: "株式会社サンプル".into(),
            event: QualifyingEvent::PreApplication,
            event_date: "2025-03-01".parse().unwrap(),
            exemptions: Exemptions {
                submissions: Some("内部監査報告書".into()),
                external_audit: None,
            },
            period_start: "2025-04-01".parse().unwrap(),
            period_end: "2026-03-31".parse().unwrap(),
            note: String::new(),
        }
    }

    #[tokio::test]
    async fn entries_are_ended_once_and_never_deleted() {
        let dir = tempfile::tempdir().unwrap();
        for backend in testing::BACKENDS {
            let db = testing::fresh(backend, dir.path()).await;
            let actor = Actor::system("test");
            let keeper = crate::orgs::create(
                &db,
                &actor,
                "デジタル庁",
                "Digital Agency",
                ismap_domain::OrgKind::DigitalAgency,
            )
            .await
            .unwrap()
            .id;
            let added = add(&db, &actor, keeper, &entry("ＳａａＳ勤怠"), None)
                .await
                .unwrap();
            assert_eq!(list(&db, Some("saas"), false).await.unwrap().len(), 1);
            assert!(list(&db, Some("会計"), false).await.unwrap().is_empty());
            let ended = end(&db, &actor, keeper, added.id, "登録済み")
                .await
                .unwrap();
            assert!(ended.ended);
            let again = end(&db, &actor, keeper, added.id, "again").await;
            assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");
            assert!(list(&db, None, false).await.unwrap().is_empty());
            assert_eq!(list(&db, None, true).await.unwrap().len(), 1);
            let history = history(&db, added.id).await.unwrap();
            let actions: Vec<&str> = history.iter().map(|e| e.action.as_str()).collect();
            assert_eq!(actions, ["special_measure.add", "special_measure.end"]);
            let deleted = sqlx::query("DELETE FROM special_measures WHERE id = $1")
                .bind(added.id)
                .execute(&db.pool)
                .await;
            assert!(deleted.is_err(), "{backend:?}: deletes are refused");
        }
    }
}
