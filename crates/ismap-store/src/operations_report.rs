//! The rows the secretariat's operations report (運用状況の報告) is counted
//! from: one read of every table it covers, on either backend. The
//! counting itself is `ismap_domain::operations_report::assemble`.
//!
//! Timestamps are stored in UTC (`crate::now`); the report counts days in
//! Japan, so each is turned into its day in Japan here.

use chrono::{DateTime, NaiveDate, Utc};
use ismap_domain::operations_report::{
    RawApplication, RawInterim, RawQuestion, RawRegistration, RawReport, RawStateRow, fy_start,
};
use ismap_domain::registration::ListKind;
use ismap_domain::review::ApplicationState;
use ismap_domain::validity::japan_date;
use sqlx::Row;

use crate::{Db, Result, StoreError};

/// The day in Japan of a stored timestamp (RFC 3339) or date (YYYY-MM-DD).
pub fn day_of(text: &str) -> Result<NaiveDate> {
    if let Ok(day) = text.parse::<NaiveDate>() {
        return Ok(day);
    }
    DateTime::parse_from_rfc3339(text)
        .map(|t| japan_date(t.with_timezone(&Utc)))
        .map_err(|_| StoreError::Corrupt(format!("{text:?} is neither a day nor a time")))
}

fn day_opt(text: Option<String>) -> Result<Option<NaiveDate>> {
    text.as_deref().map(day_of).transpose()
}

fn list_of(text: &str) -> Result<ListKind> {
    ListKind::from_key(text).ok_or_else(|| StoreError::Corrupt(format!("list {text:?}")))
}

/// Every row the report of fiscal year `fy` needs. Registrations,
/// applications and interim measures are read whole (the report looks at
/// their state on past days and draws the trend over every year); the
/// other tables from the day before the year's first day on (a UTC
/// timestamp of 1 April in Japan may still read 31 March).
pub async fn gather(db: &Db, fy: i32) -> Result<RawReport> {
    let from = fy_start(fy)
        .pred_opt()
        .expect("a day before 1 April")
        .to_string();
    let mut raw = RawReport::default();

    for row in sqlx::query(
        "SELECT id, list, model, registered_on, valid_until, renewal_of, suspended_at \
         FROM registrations ORDER BY id",
    )
    .fetch_all(&db.pool)
    .await?
    {
        let list: String = row.try_get("list")?;
        let registered_on: String = row.try_get("registered_on")?;
        let valid_until: String = row.try_get("valid_until")?;
        raw.registrations.push(RawRegistration {
            id: row.try_get("id")?,
            list: list_of(&list)?,
            model: row.try_get("model")?,
            registered_on: day_of(&registered_on)?,
            valid_until: day_of(&valid_until)?,
            renewal_of: row.try_get("renewal_of")?,
            suspended_on: day_opt(row.try_get("suspended_at")?)?,
        });
    }

    // The first move of each application to a final state.
    let mut ended: std::collections::HashMap<i64, (ApplicationState, NaiveDate)> =
        std::collections::HashMap::new();
    for row in sqlx::query(
        "SELECT application_id, to_state, at FROM application_transitions \
         WHERE to_state IN ('registered', 'rejected', 'withdrawn') ORDER BY id",
    )
    .fetch_all(&db.pool)
    .await?
    {
        let id: i64 = row.try_get("application_id")?;
        let to: String = row.try_get("to_state")?;
        let at: String = row.try_get("at")?;
        let state = ApplicationState::from_key(&to)
            .ok_or_else(|| StoreError::Corrupt(format!("application state {to:?}")))?;
        ended.entry(id).or_insert((state, day_of(&at)?));
    }
    for row in sqlx::query(
        "SELECT id, list, state, submitted_at, renewal_of FROM applications ORDER BY id",
    )
    .fetch_all(&db.pool)
    .await?
    {
        let id: i64 = row.try_get("id")?;
        let list: String = row.try_get("list")?;
        let state: String = row.try_get("state")?;
        let submitted: String = row.try_get("submitted_at")?;
        raw.applications.push(RawApplication {
            id,
            list: list_of(&list)?,
            state: ApplicationState::from_key(&state)
                .ok_or_else(|| StoreError::Corrupt(format!("application state {state:?}")))?,
            submitted_on: day_of(&submitted)?,
            renewal_of: row.try_get("renewal_of")?,
            ended: ended.get(&id).copied(),
        });
    }

    for row in sqlx::query(
        "SELECT asked_at, due_date, answered_at FROM review_questions \
         WHERE asked_at >= $1 ORDER BY id",
    )
    .bind(&from)
    .fetch_all(&db.pool)
    .await?
    {
        let asked: String = row.try_get("asked_at")?;
        let due: String = row.try_get("due_date")?;
        raw.questions.push(RawQuestion {
            asked_on: day_of(&asked)?,
            due: day_of(&due)?,
            answered_on: day_opt(row.try_get("answered_at")?)?,
        });
    }

    for row in sqlx::query(
        "SELECT created_at, deadline, state, closed_at FROM interim_measures ORDER BY id",
    )
    .fetch_all(&db.pool)
    .await?
    {
        let created: String = row.try_get("created_at")?;
        let deadline: String = row.try_get("deadline")?;
        raw.interim.push(RawInterim {
            created_on: day_of(&created)?,
            deadline: day_of(&deadline)?,
            state: row.try_get("state")?,
            closed_on: day_opt(row.try_get("closed_at")?)?,
        });
    }

    raw.pre_applications = state_rows(db, "pre_applications", "submitted_at", &from).await?;
    raw.assessments = state_rows(db, "impact_assessments", "requested_at", &from).await?;
    for row in sqlx::query(
        "SELECT approved_at FROM impact_assessments \
         WHERE approved_at IS NOT NULL AND approved_at >= $1 ORDER BY id",
    )
    .bind(&from)
    .fetch_all(&db.pool)
    .await?
    {
        let at: String = row.try_get("approved_at")?;
        raw.assessments_approved.push(day_of(&at)?);
    }
    raw.doubts = Some(doubts(db, &from).await?);
    raw.inquiries = Some(inquiries(db, &from).await?);
    Ok(raw)
}

/// Doubts (疑義, migration 0017 `doubts`) shared from `from` on.
pub async fn doubts(db: &Db, from: &str) -> Result<Vec<RawStateRow>> {
    state_rows(db, "doubts", "created_at", from).await
}

/// Inquiries (調査, migration 0017 `inquiries`) opened from `from` on.
pub async fn inquiries(db: &Db, from: &str) -> Result<Vec<RawStateRow>> {
    state_rows(db, "inquiries", "created_at", from).await
}

/// (day, state) of the rows of `table` whose `column` is on or after
/// `from`. `table` and `column` are this module's constants, never input.
async fn state_rows(
    db: &Db,
    table: &'static str,
    column: &'static str,
    from: &str,
) -> Result<Vec<RawStateRow>> {
    let rows = sqlx::query(&format!(
        "SELECT {column} AS at, state FROM {table} WHERE {column} >= $1 ORDER BY id"
    ))
    .bind(from)
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|row| {
            let at: String = row.try_get("at")?;
            Ok(RawStateRow {
                on: day_of(&at)?,
                state: row.try_get("state")?,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{BACKENDS, fresh};

    #[test]
    fn stored_times_are_days_in_japan() {
        assert_eq!(
            day_of("2026-03-31T15:00:00.000Z").unwrap(),
            "2026-04-01".parse::<NaiveDate>().unwrap(),
            "midnight in Japan is 15:00 UTC the day before"
        );
        assert_eq!(
            day_of("2026-03-31T14:59:59.999Z").unwrap(),
            "2026-03-31".parse::<NaiveDate>().unwrap()
        );
        assert_eq!(
            day_of("2026-04-01").unwrap(),
            "2026-04-01".parse::<NaiveDate>().unwrap()
        );
        assert!(day_of("yesterday").is_err());
    }

    #[tokio::test]
    async fn an_empty_portal_gathers_nothing_on_both_backends() {
        for backend in BACKENDS {
            let dir = tempfile::tempdir().unwrap();
            let db = fresh(backend, dir.path()).await;
            let raw = gather(&db, 2026).await.unwrap();
            assert!(raw.registrations.is_empty(), "{backend:?}");
            assert!(raw.applications.is_empty());
            assert_eq!(raw.doubts, Some(Vec::new()));
            assert_eq!(raw.inquiries, Some(Vec::new()));
        }
    }
}
