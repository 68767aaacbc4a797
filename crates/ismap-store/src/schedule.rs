//! The daily checks' storage (issue 15, item 9): a claim row per job and
//! day in `scheduled_runs`, so that a job runs once a day however many
//! processes serve one database, and the queries the checks read. The
//! decisions are `ismap_domain::schedule`; the scheduler is
//! `ismap_web::scheduler`.

use chrono::NaiveDate;
use sqlx::Row;

use crate::{Db, Result, StoreError, now};

fn date(text: &str, what: &str) -> Result<NaiveDate> {
    text.parse()
        .map_err(|_| StoreError::Corrupt(format!("{what} {text:?}")))
}

/// Claims `job` for `day` for `claimed_by`: true when this caller is to run
/// it. The first caller inserts the row (the UNIQUE (job, day) index lets
/// one INSERT through, the others do nothing); a run that failed, or one
/// still "running" since before `stale_before` (its process died), is
/// taken over by a conditional UPDATE that likewise only one caller wins.
pub async fn claim(
    db: &Db,
    job: &str,
    day: NaiveDate,
    claimed_by: &str,
    stale_before: &str,
) -> Result<bool> {
    let day = day.to_string();
    let at = now();
    let inserted = sqlx::query(
        "INSERT INTO scheduled_runs (job, day, state, claimed_by, started_at) \
         VALUES ($1, $2, 'running', $3, $4) ON CONFLICT DO NOTHING",
    )
    .bind(job)
    .bind(&day)
    .bind(claimed_by)
    .bind(&at)
    .execute(&db.pool)
    .await?
    .rows_affected();
    if inserted == 1 {
        return Ok(true);
    }
    let taken = sqlx::query(
        "UPDATE scheduled_runs SET state = 'running', claimed_by = $1, started_at = $2, \
         attempts = attempts + 1, error = NULL, finished_at = NULL \
         WHERE job = $3 AND day = $4 \
         AND (state = 'failed' OR (state = 'running' AND started_at < $5))",
    )
    .bind(claimed_by)
    .bind(&at)
    .bind(job)
    .bind(&day)
    .bind(stale_before)
    .execute(&db.pool)
    .await?
    .rows_affected();
    Ok(taken == 1)
}

/// Marks a claimed run done with the number of notices it wrote.
pub async fn finish(
    db: &Db,
    job: &str,
    day: NaiveDate,
    claimed_by: &str,
    notices: usize,
) -> Result<()> {
    sqlx::query(
        "UPDATE scheduled_runs SET state = 'done', finished_at = $1, notices = $2 \
         WHERE job = $3 AND day = $4 AND claimed_by = $5 AND state = 'running'",
    )
    .bind(now())
    .bind(i64::try_from(notices).unwrap_or(i64::MAX))
    .bind(job)
    .bind(day.to_string())
    .bind(claimed_by)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// Marks a claimed run failed: the next call of the scheduler takes it over.
pub async fn fail(db: &Db, job: &str, day: NaiveDate, claimed_by: &str, error: &str) -> Result<()> {
    let error: String = error.chars().take(2000).collect();
    sqlx::query(
        "UPDATE scheduled_runs SET state = 'failed', finished_at = $1, error = $2 \
         WHERE job = $3 AND day = $4 AND claimed_by = $5 AND state = 'running'",
    )
    .bind(now())
    .bind(&error)
    .bind(job)
    .bind(day.to_string())
    .bind(claimed_by)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// One row of the scheduler's history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Run {
    pub job: String,
    pub day: NaiveDate,
    pub state: String,
    pub claimed_by: String,
    pub attempts: i64,
    pub notices: i64,
    pub error: Option<String>,
}

/// The runs of `day`, by job.
pub async fn runs_of(db: &Db, day: NaiveDate) -> Result<Vec<Run>> {
    let rows = sqlx::query("SELECT * FROM scheduled_runs WHERE day = $1 ORDER BY job")
        .bind(day.to_string())
        .fetch_all(&db.pool)
        .await?;
    rows.iter()
        .map(|r| {
            let day: String = r.try_get("day")?;
            Ok(Run {
                job: r.try_get("job")?,
                day: date(&day, "scheduled run day")?,
                state: r.try_get("state")?,
                claimed_by: r.try_get("claimed_by")?,
                attempts: r.try_get("attempts")?,
                notices: r.try_get("notices")?,
                error: r.try_get("error")?,
            })
        })
        .collect()
}

/// An interim measure waiting for its application, as the deadline check
/// reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InterimDue {
    pub id: i64,
    pub agency_id: i64,
    pub agency_name: String,
    pub deadline: NaiveDate,
    pub service_name: String,
}

/// Open and applied interim measures whose deadline is on or before `until`.
pub async fn interim_due(db: &Db, until: NaiveDate) -> Result<Vec<InterimDue>> {
    let rows = sqlx::query(
        "SELECT m.id, m.agency_id, m.deadline, e.service_name, o.name AS agency_name \
         FROM interim_measures m JOIN cloud_usage_entries e ON e.id = m.entry_id \
         JOIN organizations o ON o.id = m.agency_id \
         WHERE m.state IN ('open', 'applied') AND m.deadline <= $1 ORDER BY m.id",
    )
    .bind(until.to_string())
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            let deadline: String = r.try_get("deadline")?;
            Ok(InterimDue {
                id: r.try_get("id")?,
                agency_id: r.try_get("agency_id")?,
                agency_name: r.try_get("agency_name")?,
                deadline: date(&deadline, "interim deadline")?,
                service_name: r.try_get("service_name")?,
            })
        })
        .collect()
}

/// An unanswered review question, as the due-date check reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QuestionDue {
    pub id: i64,
    pub application_id: i64,
    pub organization_id: i64,
    pub due_date: NaiveDate,
    pub service_name: String,
}

/// Unanswered questions of applications still under review, due on or
/// before `until`.
pub async fn questions_due(db: &Db, until: NaiveDate) -> Result<Vec<QuestionDue>> {
    let rows = sqlx::query(
        "SELECT q.id, q.application_id, q.due_date, a.organization_id, s.name AS service_name \
         FROM review_questions q JOIN applications a ON a.id = q.application_id \
         JOIN services s ON s.id = a.service_id \
         WHERE q.answer IS NULL AND q.due_date <= $1 \
         AND a.state NOT IN ('registered', 'rejected', 'withdrawn') ORDER BY q.id",
    )
    .bind(until.to_string())
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            let due: String = r.try_get("due_date")?;
            Ok(QuestionDue {
                id: r.try_get("id")?,
                application_id: r.try_get("application_id")?,
                organization_id: r.try_get("organization_id")?,
                due_date: date(&due, "question due date")?,
                service_name: r.try_get("service_name")?,
            })
        })
        .collect()
}

/// A current registration, as the expiry check reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegistrationDue {
    pub id: i64,
    pub organization_id: i64,
    pub list: String,
    pub number: String,
    pub name: String,
    pub valid_until: NaiveDate,
}

/// Current (not superseded) registrations valid until a day between
/// `from` and `until`.
pub async fn registrations_expiring(
    db: &Db,
    from: NaiveDate,
    until: NaiveDate,
) -> Result<Vec<RegistrationDue>> {
    let rows = sqlx::query(
        "SELECT id, organization_id, list, number, name, valid_until FROM registrations \
         WHERE superseded = 0 AND valid_until >= $1 AND valid_until <= $2 ORDER BY id",
    )
    .bind(from.to_string())
    .bind(until.to_string())
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            let until: String = r.try_get("valid_until")?;
            Ok(RegistrationDue {
                id: r.try_get("id")?,
                organization_id: r.try_get("organization_id")?,
                list: r.try_get("list")?,
                number: r.try_get("number")?,
                name: r.try_get("name")?,
                valid_until: date(&until, "registration end")?,
            })
        })
        .collect()
}

/// A service with internal audit records: (service, its organization, name).
pub async fn services_with_internal_audits(db: &Db) -> Result<Vec<(i64, i64, String)>> {
    let rows = sqlx::query(
        "SELECT DISTINCT s.id, s.organization_id, s.name FROM internal_audits i \
         JOIN services s ON s.id = i.service_id ORDER BY s.id",
    )
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get("id")?,
                r.try_get("organization_id")?,
                r.try_get("name")?,
            ))
        })
        .collect()
}

/// Organizations holding evidence that expires on or before `until`.
pub async fn evidence_organizations(db: &Db, until: NaiveDate) -> Result<Vec<i64>> {
    let rows = sqlx::query(
        "SELECT DISTINCT organization_id FROM evidence_items \
         WHERE expires_on IS NOT NULL AND expires_on <= $1 ORDER BY organization_id",
    )
    .bind(until.to_string())
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| Ok(r.try_get("organization_id")?))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Backend;
    use crate::testing::fresh;

    #[tokio::test]
    async fn a_job_is_claimed_once_a_day_and_a_failed_run_is_taken_over() {
        for backend in [Backend::Sqlite, Backend::Postgres] {
            let dir = tempfile::tempdir().unwrap();
            let db = fresh(backend, dir.path()).await;
            let day: NaiveDate = "2027-01-04".parse().unwrap();
            let long_ago = "2000-01-01T00:00:00.000Z";
            assert!(claim(&db, "evidence", day, "a", long_ago).await.unwrap());
            assert!(!claim(&db, "evidence", day, "b", long_ago).await.unwrap());
            // Another job, another day: their own claims.
            assert!(claim(&db, "interim", day, "b", long_ago).await.unwrap());
            assert!(
                claim(&db, "evidence", day.succ_opt().unwrap(), "b", long_ago)
                    .await
                    .unwrap()
            );
            fail(&db, "interim", day, "b", "smtp down").await.unwrap();
            assert!(claim(&db, "interim", day, "a", long_ago).await.unwrap());
            assert!(!claim(&db, "interim", day, "b", long_ago).await.unwrap());
            finish(&db, "interim", day, "a", 3).await.unwrap();
            finish(&db, "evidence", day, "a", 0).await.unwrap();
            // A run "running" since before the stale mark is taken over.
            assert!(claim(&db, "questions", day, "a", long_ago).await.unwrap());
            assert!(
                claim(&db, "questions", day, "b", "2999-01-01T00:00:00.000Z")
                    .await
                    .unwrap()
            );
            let runs = runs_of(&db, day).await.unwrap();
            let interim = runs.iter().find(|r| r.job == "interim").unwrap();
            assert_eq!(
                (interim.state.as_str(), interim.attempts, interim.notices),
                ("done", 2, 3),
                "{backend:?}"
            );
            assert_eq!(runs.len(), 3, "{backend:?}");
        }
    }
}
