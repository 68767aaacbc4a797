//! The daily checks inside `ismap serve` (issue 15, item 9). [`run_daily`]
//! runs each job at most once per (Japan) day however many processes serve
//! one database: before a job runs, its claim row (job, day) is inserted
//! and only the process whose INSERT succeeds runs it
//! (`ismap_store::schedule::claim`). Every notice carries a dedupe key, so
//! a job run again (after a failure) never notifies twice. The decisions
//! are `ismap_domain::schedule`; "today" is the portal clock's.

use std::time::Duration;

use chrono::NaiveDate;
use ismap_domain::Role;
use ismap_domain::schedule::{self, Mark};
use ismap_store::notifications::{Notice, notify_org, notify_role};
use ismap_store::{StoreError, schedule as store};

use crate::AppState;

/// The jobs, in the order they run. `interim_refresh` first: it moves
/// interim measures (applied, closed) before their deadlines are read.
pub const JOBS: [&str; 6] = [
    "interim_refresh",
    "interim_deadlines",
    "question_due",
    "registration_expiry",
    "liu_coverage",
    "evidence_expiry",
];

/// A run still "running" after this long is taken to be abandoned.
const STALE_RUN_MINUTES: i64 = 60;

/// What one call of [`run_daily`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    pub day: Option<NaiveDate>,
    /// Jobs this call claimed and finished.
    pub ran: Vec<&'static str>,
    /// Jobs another call (or process) had already claimed today.
    pub skipped: Vec<&'static str>,
    /// Jobs that failed (retried by the next call).
    pub failed: Vec<(&'static str, String)>,
    /// Notifications written.
    pub notices: usize,
}

/// Who is told.
enum To {
    Org(i64, &'static [Role]),
    Role(Role),
}

/// A notice to write (owned: decided first, written in one transaction).
struct Planned {
    to: Vec<To>,
    kind: String,
    message_id: &'static str,
    args: Vec<(&'static str, String)>,
    link: String,
    dedupe: String,
}

const AGENCY: &[Role] = &[Role::AgencyOfficer, Role::AgencyCiso];
const CSP_ADMINS: &[Role] = &[Role::CspAdmin];
const CSP_PEOPLE: &[Role] = &[Role::CspAdmin, Role::CspEditor];

/// Writes the planned notices in one transaction; returns how many rows.
async fn write(state: &AppState, planned: Vec<Planned>) -> Result<usize, StoreError> {
    if planned.is_empty() {
        return Ok(0);
    }
    let mut tx = state.db.begin().await?;
    let mut written = 0;
    for p in &planned {
        let notice = Notice {
            kind: &p.kind,
            message_id: p.message_id,
            args: &p.args,
            link: &p.link,
            dedupe_key: Some(&p.dedupe),
        };
        for to in &p.to {
            written += match to {
                To::Org(org, roles) => notify_org(&mut tx, *org, roles, &notice).await?,
                To::Role(role) => notify_role(&mut tx, *role, &notice).await?,
            };
        }
    }
    tx.commit().await?;
    Ok(written)
}

fn days(mark: Mark) -> String {
    match mark {
        Mark::Before(d) => d.to_string(),
        Mark::Overdue => "0".to_owned(),
    }
}

/// Interim measures 90/30/7 days before the deadline (the agency's officers
/// and CISO) and overdue (also the secretariat).
async fn interim_deadlines(state: &AppState, today: NaiveDate) -> Result<usize, String> {
    let until = today + chrono::Duration::days(schedule::INTERIM_WARNINGS[0]);
    let due = store::interim_due(&state.db, until)
        .await
        .map_err(|e| e.to_string())?;
    let mut planned = Vec::new();
    for m in due {
        let Some(mark) = schedule::interim_notice(m.deadline, today) else {
            continue;
        };
        let link = format!("/interim-measures/{}", m.id);
        planned.push(match mark {
            // The same notice (message, key) `ismap_store::interim::refresh`
            // writes when it flags the measure: whichever comes first.
            Mark::Overdue => Planned {
                to: vec![
                    To::Org(m.agency_id, AGENCY),
                    To::Role(Role::SecretariatOfficer),
                ],
                kind: "interim.overdue".into(),
                message_id: "interim-notice-overdue",
                args: vec![
                    ("agency", m.agency_name.clone()),
                    ("service", m.service_name.clone()),
                    ("due", m.deadline.to_string()),
                ],
                link,
                dedupe: format!("interim:{}:overdue", m.id),
            },
            Mark::Before(n) => Planned {
                to: vec![To::Org(m.agency_id, AGENCY)],
                kind: format!("interim.deadline_{n}"),
                message_id: "notify-interim-deadline",
                args: vec![
                    ("service", m.service_name.clone()),
                    ("days", n.to_string()),
                    ("date", m.deadline.to_string()),
                ],
                link,
                dedupe: format!("interim:{}:deadline_{n}:{}", m.id, m.deadline),
            },
        });
        debug_assert_eq!(
            schedule::interim_notice_to_secretariat(mark),
            mark == Mark::Overdue
        );
    }
    write(state, planned).await.map_err(|e| e.to_string())
}

/// Unanswered review questions 7 days and 1 day before their due date, and
/// overdue: the provider's administrators.
async fn question_due(state: &AppState, today: NaiveDate) -> Result<usize, String> {
    let until = today + chrono::Duration::days(schedule::QUESTION_WARNINGS[0]);
    let due = store::questions_due(&state.db, until)
        .await
        .map_err(|e| e.to_string())?;
    let mut planned = Vec::new();
    for q in due {
        let Some(mark) = schedule::question_notice(q.due_date, today) else {
            continue;
        };
        let (kind, message_id) = match mark {
            Mark::Overdue => ("question.overdue".to_owned(), "notify-question-overdue"),
            Mark::Before(n) => (format!("question.due_{n}"), "notify-question-due"),
        };
        planned.push(Planned {
            to: vec![To::Org(q.organization_id, CSP_ADMINS)],
            kind,
            message_id,
            args: vec![
                ("service", q.service_name.clone()),
                ("application", q.application_id.to_string()),
                ("days", days(mark)),
                ("date", q.due_date.to_string()),
            ],
            link: format!("/applications/{}", q.application_id),
            dedupe: format!("question:{}:{}:{}", q.id, mark.key(), q.due_date),
        });
    }
    write(state, planned).await.map_err(|e| e.to_string())
}

/// Current registrations 90 and 30 days before they end: the provider's
/// administrators.
async fn registration_expiry(state: &AppState, today: NaiveDate) -> Result<usize, String> {
    let until = today + chrono::Duration::days(ismap_domain::registration::EXPIRY_WARNINGS[0]);
    let due = store::registrations_expiring(&state.db, today, until)
        .await
        .map_err(|e| e.to_string())?;
    let mut planned = Vec::new();
    for r in due {
        let Some(mark) = schedule::registration_notice(r.valid_until, today) else {
            continue;
        };
        planned.push(Planned {
            to: vec![To::Org(r.organization_id, CSP_ADMINS)],
            kind: format!("registration.expiry_{}", mark.key()),
            message_id: "notify-registration-expiry",
            args: vec![
                ("service", r.name.clone()),
                ("number", r.number.clone()),
                ("days", days(mark)),
                ("date", r.valid_until.to_string()),
            ],
            link: format!(
                "/lists/{}/{}",
                r.list,
                url::form_urlencoded::byte_serialize(r.number.as_bytes()).collect::<String>()
            ),
            dedupe: format!("registration:{}:expiry_{}", r.id, mark.key()),
        });
    }
    write(state, planned).await.map_err(|e| e.to_string())
}

/// ISMAP-LIU internal audit coverage: objectives whose last audit leaves
/// the window within `liu::COVERAGE_WARNING_DAYS` (the provider's
/// administrators), as the internal audit pages compute it.
async fn liu_coverage(state: &AppState, today: NaiveDate) -> Result<usize, String> {
    let services = store::services_with_internal_audits(&state.db)
        .await
        .map_err(|e| e.to_string())?;
    let mut planned = Vec::new();
    for (service, organization, name) in services {
        let coverage = crate::pages::internal_audits::coverage_on(state, service, today)
            .await
            .map_err(|e| format!("{e:?}"))?;
        let leaving = coverage.leaving_within(ismap_domain::liu::COVERAGE_WARNING_DAYS);
        let Some((count, first)) = schedule::coverage_notice(&leaving) else {
            continue;
        };
        planned.push(Planned {
            to: vec![To::Org(organization, CSP_ADMINS)],
            kind: "liu.coverage_leaving".into(),
            message_id: "notify-liu-coverage",
            args: vec![
                ("service", name.clone()),
                ("count", count.to_string()),
                ("date", first.to_string()),
            ],
            link: format!("/services/{service}/internal-audits"),
            dedupe: format!("liu-coverage:{service}:{first}"),
        });
    }
    write(state, planned).await.map_err(|e| e.to_string())
}

/// Evidence in the library within its warning days of expiry, and expired:
/// the provider's people who keep the library.
async fn evidence_expiry(state: &AppState, today: NaiveDate) -> Result<usize, String> {
    let until = today + chrono::Duration::days(ismap_domain::audit_work::EVIDENCE_WARNING_DAYS);
    let organizations = store::evidence_organizations(&state.db, until)
        .await
        .map_err(|e| e.to_string())?;
    let mut planned = Vec::new();
    for organization in organizations {
        let items = ismap_store::evidence_library::expiring(&state.db, organization, until)
            .await
            .map_err(|e| e.to_string())?;
        for item in items {
            let Some(expires) = item.expires_on else {
                continue;
            };
            let Some(mark) = schedule::evidence_notice(expires, today) else {
                continue;
            };
            let (kind, message_id) = match mark {
                Mark::Overdue => ("evidence.expired", "notify-evidence-expired"),
                Mark::Before(_) => ("evidence.expiring", "notify-evidence-expiring"),
            };
            planned.push(Planned {
                to: vec![To::Org(organization, CSP_PEOPLE)],
                kind: kind.into(),
                message_id,
                args: vec![("title", item.title.clone()), ("date", expires.to_string())],
                link: "/evidence".into(),
                dedupe: format!("evidence:{}:{}:{expires}", item.id, mark.key()),
            });
        }
    }
    write(state, planned).await.map_err(|e| e.to_string())
}

/// Other features' daily work, run as the first job: interim measures move
/// (applied, closed, overdue) as the portal's records change.
/// INTEGRATOR HOOK: add further daily refreshes here.
/// Returns 0: what these write is their own business (their notices carry
/// their own dedupe keys), not counted as the checks' notices.
async fn refresh_hooks(state: &AppState, today: NaiveDate) -> Result<usize, String> {
    let moved = ismap_store::interim::refresh_all(&state.db, today)
        .await
        .map_err(|e| e.to_string())?;
    if moved > 0 {
        tracing::info!(moved, "interim measures brought up to date");
    }
    Ok(0)
}

async fn run_job(state: &AppState, job: &str, today: NaiveDate) -> Result<usize, String> {
    match job {
        "interim_refresh" => refresh_hooks(state, today).await,
        "interim_deadlines" => interim_deadlines(state, today).await,
        "question_due" => question_due(state, today).await,
        "registration_expiry" => registration_expiry(state, today).await,
        "liu_coverage" => liu_coverage(state, today).await,
        "evidence_expiry" => evidence_expiry(state, today).await,
        other => Err(format!("unknown job {other}")),
    }
}

/// Runs today's checks that no one has run yet (see the module comment).
/// Callable directly (tests; an operator's one-off); the loop calls it.
pub async fn run_daily(state: &AppState) -> Result<Report, StoreError> {
    let today = state.clock.today();
    let claimant = format!(
        "{}:{}",
        std::process::id(),
        &crate::auth::random_token()[..12]
    );
    let stale = (chrono::Utc::now() - chrono::Duration::minutes(STALE_RUN_MINUTES))
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let mut report = Report {
        day: Some(today),
        ..Report::default()
    };
    for job in JOBS {
        if !store::claim(&state.db, job, today, &claimant, &stale).await? {
            report.skipped.push(job);
            continue;
        }
        match run_job(state, job, today).await {
            Ok(notices) => {
                store::finish(&state.db, job, today, &claimant, notices).await?;
                report.notices += notices;
                report.ran.push(job);
            }
            Err(error) => {
                tracing::warn!(job, %error, "a daily check failed; the next run retries it");
                store::fail(&state.db, job, today, &claimant, &error).await?;
                report.failed.push((job, error));
            }
        }
    }
    Ok(report)
}

/// The loop `ismap serve` runs: at start and every hour (the day's claims
/// make the extra calls no-ops; a new day, or a failed job, runs).
pub async fn run(state: AppState) {
    loop {
        match run_daily(&state).await {
            Ok(report) if !report.ran.is_empty() || !report.failed.is_empty() => {
                tracing::info!(
                    ran = ?report.ran,
                    failed = report.failed.len(),
                    notices = report.notices,
                    "daily checks"
                );
            }
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "the daily checks could not run"),
        }
        tokio::time::sleep(Duration::from_secs(3600)).await;
    }
}
