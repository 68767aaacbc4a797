//! Applications for registration and their review (spec §5). The state
//! machine is `ismap_domain::review`; here every move is written with its
//! transition row and event in one transaction, and nothing is deleted.

use chrono::NaiveDate;
use ismap_domain::registration::ListKind;
use ismap_domain::review::{ApplicationState, Transition, next_state};
use serde_json::{Value, json};
use sqlx::{AnyConnection, Row, any::AnyRow};

use crate::events::{self, Actor, NewEvent};
use crate::files::{self, NewFile, StoredFile};
use crate::vault::MasterKey;
use crate::{Db, Result, StoreError, now};

#[derive(Clone, Debug, PartialEq)]
pub struct Application {
    pub id: i64,
    pub service_id: i64,
    pub service_name: String,
    pub organization_id: i64,
    pub organization_name: String,
    pub list: ListKind,
    pub statement_id: i64,
    pub statement_revision: i64,
    pub engagement_id: i64,
    pub report_issue: i64,
    /// The registration this application renews, if any.
    pub renewal_of: Option<i64>,
    /// The application form's data (see `ApplicationForm` in the web crate).
    pub form: Value,
    pub state: ApplicationState,
    pub submitted_at: String,
    pub updated_at: String,
}

pub struct NewApplication<'a> {
    pub service_id: i64,
    pub organization_id: i64,
    pub list: ListKind,
    pub statement_id: i64,
    pub statement_revision: i64,
    pub engagement_id: i64,
    pub report_issue: i64,
    pub renewal_of: Option<i64>,
    pub form: &'a Value,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransitionRecord {
    pub transition: String,
    pub from_state: String,
    pub to_state: String,
    pub reason: String,
    pub at: String,
    pub actor: String,
    /// The person's display name and organization (Japanese, English),
    /// when the move was made by a user.
    pub actor_name: Option<String>,
    pub actor_organization: Option<(String, String)>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Question {
    pub id: i64,
    pub application_id: i64,
    pub question: String,
    pub due_date: NaiveDate,
    pub asked_at: String,
    pub answer: Option<String>,
    pub answered_at: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Document {
    pub kind: String,
    pub question_id: Option<i64>,
    pub file: StoredFile,
}

const SELECT: &str = "SELECT a.id, a.service_id, s.name AS service_name, a.organization_id, o.name AS organization_name, \
    a.list, a.statement_id, a.statement_revision, a.engagement_id, a.report_issue, a.renewal_of, a.form, a.state, \
    a.submitted_at, a.updated_at \
    FROM applications a JOIN services s ON s.id = a.service_id JOIN organizations o ON o.id = a.organization_id";

fn from_row(row: &AnyRow) -> Result<Application> {
    let list: String = row.try_get("list")?;
    let state: String = row.try_get("state")?;
    let form: String = row.try_get("form")?;
    Ok(Application {
        id: row.try_get("id")?,
        service_id: row.try_get("service_id")?,
        service_name: row.try_get("service_name")?,
        organization_id: row.try_get("organization_id")?,
        organization_name: row.try_get("organization_name")?,
        list: ListKind::from_key(&list)
            .ok_or_else(|| StoreError::Corrupt(format!("list {list:?}")))?,
        statement_id: row.try_get("statement_id")?,
        statement_revision: row.try_get("statement_revision")?,
        engagement_id: row.try_get("engagement_id")?,
        report_issue: row.try_get("report_issue")?,
        renewal_of: row.try_get("renewal_of")?,
        form: serde_json::from_str(&form)
            .map_err(|e| StoreError::Corrupt(format!("application form: {e}")))?,
        state: ApplicationState::from_key(&state)
            .ok_or_else(|| StoreError::Corrupt(format!("application state {state:?}")))?,
        submitted_at: row.try_get("submitted_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

pub async fn get(db: &Db, id: i64) -> Result<Application> {
    let row = sqlx::query(&format!("{SELECT} WHERE a.id = $1"))
        .bind(id)
        .fetch_optional(&db.pool)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("application {id}")))?;
    from_row(&row)
}

/// Applications, newest first: one provider's (`Some(org)`) or all.
pub async fn list(db: &Db, organization_id: Option<i64>) -> Result<Vec<Application>> {
    let rows = match organization_id {
        Some(org) => {
            sqlx::query(&format!(
                "{SELECT} WHERE a.organization_id = $1 ORDER BY a.id DESC"
            ))
            .bind(org)
            .fetch_all(&db.pool)
            .await?
        }
        None => {
            sqlx::query(&format!("{SELECT} ORDER BY a.id DESC"))
                .fetch_all(&db.pool)
                .await?
        }
    };
    rows.iter().map(from_row).collect()
}

async fn record_transition(
    conn: &mut AnyConnection,
    actor: &Actor,
    application: &Application,
    transition: &str,
    to: ApplicationState,
    reason: &str,
) -> Result<()> {
    let at = now();
    sqlx::query(
        "INSERT INTO application_transitions (application_id, transition, from_state, to_state, reason, at, actor_id, actor) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(application.id)
    .bind(transition)
    .bind(application.state.key())
    .bind(to.key())
    .bind(reason)
    .bind(&at)
    .bind(actor.user_id)
    .bind(&actor.label)
    .execute(&mut *conn)
    .await?;
    let moved = sqlx::query(
        "UPDATE applications SET state = $1, updated_at = $2 WHERE id = $3 AND state = $4",
    )
    .bind(to.key())
    .bind(&at)
    .bind(application.id)
    .bind(application.state.key())
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if moved != 1 {
        return Err(StoreError::Conflict(format!(
            "application {} is no longer {}; reload",
            application.id,
            application.state.key()
        )));
    }
    let action = format!("application.{transition}");
    events::record(
        conn,
        NewEvent {
            actor,
            action: &action,
            object_type: "application",
            object_id: application.id.to_string(),
            organization_id: Some(application.organization_id),
            before: Some(json!({ "state": application.state.key() })),
            after: Some(json!({ "state": to.key() })),
            reason,
        },
    )
    .await
}

/// The refusal of a second application while one is under review.
pub const OPEN_APPLICATION: &str = "this service already has an application under review";

/// Files an application (state submitted) with its documents, unless the
/// service already has one under review ([`OPEN_APPLICATION`]).
pub async fn submit(
    db: &Db,
    master: &MasterKey,
    actor: &Actor,
    new: NewApplication<'_>,
    documents: Vec<(&str, NewFile<'_>)>,
) -> Result<Application> {
    let mut tx = db.begin().await?;
    // One application under review per service: the service's row is
    // claimed first (a row lock on PostgreSQL, the write lock on SQLite), so
    // of two submissions at the same moment the second sees the first.
    sqlx::query("UPDATE services SET name = name WHERE id = $1")
        .bind(new.service_id)
        .execute(&mut *tx)
        .await?;
    let open: i64 = sqlx::query(
        "SELECT COUNT(*) AS n FROM applications WHERE service_id = $1 \
         AND state NOT IN ('registered', 'rejected', 'withdrawn')",
    )
    .bind(new.service_id)
    .fetch_one(&mut *tx)
    .await?
    .try_get("n")?;
    if open > 0 {
        return Err(StoreError::Conflict(OPEN_APPLICATION.into()));
    }
    let at = now();
    let row = sqlx::query(
        "INSERT INTO applications (service_id, organization_id, list, statement_id, statement_revision, engagement_id, \
         report_issue, renewal_of, form, state, submitted_at, submitted_by, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'submitted', $10, $11, $10) RETURNING id",
    )
    .bind(new.service_id)
    .bind(new.organization_id)
    .bind(new.list.key())
    .bind(new.statement_id)
    .bind(new.statement_revision)
    .bind(new.engagement_id)
    .bind(new.report_issue)
    .bind(new.renewal_of)
    .bind(new.form.to_string())
    .bind(&at)
    .bind(actor.user_id)
    .fetch_one(&mut *tx)
    .await?;
    let id: i64 = row.try_get("id")?;
    sqlx::query(
        "INSERT INTO application_transitions (application_id, transition, from_state, to_state, reason, at, actor_id, actor) \
         VALUES ($1, 'submit', '', 'submitted', '', $2, $3, $4)",
    )
    .bind(id)
    .bind(&at)
    .bind(actor.user_id)
    .bind(&actor.label)
    .execute(&mut *tx)
    .await?;
    for (kind, file) in documents {
        add_document_in(&mut tx, master, actor, id, kind, None, file).await?;
    }
    events::record(
        &mut tx,
        NewEvent {
            actor,
            action: "application.submit",
            object_type: "application",
            object_id: id.to_string(),
            organization_id: Some(new.organization_id),
            before: None,
            after: Some(json!({
                "service": new.service_id,
                "list": new.list.key(),
                "statement": [new.statement_id, new.statement_revision],
                "report": [new.engagement_id, new.report_issue],
                "renewal_of": new.renewal_of,
                "state": "submitted",
            })),
            reason: "",
        },
    )
    .await?;
    tx.commit().await?;
    get(db, id).await
}

async fn add_document_in(
    conn: &mut AnyConnection,
    master: &MasterKey,
    actor: &Actor,
    application_id: i64,
    kind: &str,
    question_id: Option<i64>,
    file: NewFile<'_>,
) -> Result<StoredFile> {
    let stored = files::store_in(conn, master, actor, file).await?;
    sqlx::query(
        "INSERT INTO application_documents (application_id, kind, file_id, question_id, added_at, added_by) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(application_id)
    .bind(kind)
    .bind(stored.id)
    .bind(question_id)
    .bind(now())
    .bind(actor.user_id)
    .execute(&mut *conn)
    .await?;
    Ok(stored)
}

pub async fn documents(db: &Db, application_id: i64) -> Result<Vec<Document>> {
    let rows = sqlx::query(
        "SELECT kind, question_id, file_id FROM application_documents WHERE application_id = $1 ORDER BY id",
    )
    .bind(application_id)
    .fetch_all(&db.pool)
    .await?;
    let mut out = Vec::new();
    for row in &rows {
        out.push(Document {
            kind: row.try_get("kind")?,
            question_id: row.try_get("question_id")?,
            file: files::get(db, row.try_get("file_id")?).await?,
        });
    }
    Ok(out)
}

/// The application a file was submitted with, if any.
pub async fn application_of_file(db: &Db, file_id: i64) -> Result<Option<i64>> {
    let row = sqlx::query("SELECT application_id FROM application_documents WHERE file_id = $1")
        .bind(file_id)
        .fetch_optional(&db.pool)
        .await?;
    Ok(row.map(|r| r.try_get("application_id")).transpose()?)
}

/// Moves the application (checked by the caller with
/// `ismap_domain::review::check_transition`); `new_report_issue` when the
/// provider files the report of an additional audit or re-audit.
pub async fn transition(
    db: &Db,
    actor: &Actor,
    application: &Application,
    transition: Transition,
    to: ApplicationState,
    reason: &str,
    new_report_issue: Option<i64>,
) -> Result<Application> {
    let mut tx = db.begin().await?;
    guard_state(&mut tx, application).await?;
    if let Some(issue) = new_report_issue {
        // An additional audit or re-audit ends in a new issue of the report.
        sqlx::query("UPDATE applications SET report_issue = $1 WHERE id = $2")
            .bind(issue)
            .bind(application.id)
            .execute(&mut *tx)
            .await?;
    }
    record_transition(&mut tx, actor, application, transition.key(), to, reason).await?;
    tx.commit().await?;
    get(db, application.id).await
}

/// Claims the application for a move from the state the caller saw: an
/// update conditional on that state, first in the transaction, so it takes
/// the row's lock (PostgreSQL) or the write lock (SQLite). Of two moves made
/// at the same moment, the second finds the state changed and writes nothing.
async fn guard_state(conn: &mut AnyConnection, application: &Application) -> Result<()> {
    let claimed =
        sqlx::query("UPDATE applications SET updated_at = $1 WHERE id = $2 AND state = $3")
            .bind(now())
            .bind(application.id)
            .bind(application.state.key())
            .execute(&mut *conn)
            .await?
            .rows_affected();
    if claimed == 1 {
        return Ok(());
    }
    let row = sqlx::query("SELECT state FROM applications WHERE id = $1")
        .bind(application.id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("application {}", application.id)))?;
    let state: String = row.try_get("state")?;
    Err(StoreError::Conflict(format!(
        "the application is now {state}, not {}; someone else moved it meanwhile; reload",
        application.state.key()
    )))
}

/// Asks questions (RFI) and moves to "information requested" in one step.
pub async fn request_information(
    db: &Db,
    actor: &Actor,
    application: &Application,
    questions: &[(String, NaiveDate)],
    reason: &str,
) -> Result<Application> {
    let mut tx = db.begin().await?;
    guard_state(&mut tx, application).await?;
    for (question, due) in questions {
        sqlx::query(
            "INSERT INTO review_questions (application_id, question, due_date, asked_at, asked_by) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(application.id)
        .bind(question)
        .bind(due.to_string())
        .bind(now())
        .bind(actor.user_id)
        .execute(&mut *tx)
        .await?;
    }
    record_transition(
        &mut tx,
        actor,
        application,
        Transition::RequestInformation.key(),
        ApplicationState::InformationRequested,
        reason,
    )
    .await?;
    tx.commit().await?;
    get(db, application.id).await
}

fn question_from_row(row: &AnyRow) -> Result<Question> {
    let due: String = row.try_get("due_date")?;
    Ok(Question {
        id: row.try_get("id")?,
        application_id: row.try_get("application_id")?,
        question: row.try_get("question")?,
        due_date: due
            .parse()
            .map_err(|_| StoreError::Corrupt(format!("due date {due:?}")))?,
        asked_at: row.try_get("asked_at")?,
        answer: row.try_get("answer")?,
        answered_at: row.try_get("answered_at")?,
    })
}

pub async fn questions(db: &Db, application_id: i64) -> Result<Vec<Question>> {
    let rows = sqlx::query("SELECT * FROM review_questions WHERE application_id = $1 ORDER BY id")
        .bind(application_id)
        .fetch_all(&db.pool)
        .await?;
    rows.iter().map(question_from_row).collect()
}

/// Answers a question once, with an optional attachment, while the
/// application waits for answers. The last answer sends it back to
/// technical review in the same transaction, so two answers sent at the same
/// moment move it once.
pub async fn answer(
    db: &Db,
    master: &MasterKey,
    actor: &Actor,
    application: &Application,
    question_id: i64,
    answer: &str,
    attachment: Option<NewFile<'_>>,
) -> Result<Question> {
    if application.state != ApplicationState::InformationRequested {
        return Err(StoreError::Conflict(
            "no question is waiting for an answer".into(),
        ));
    }
    let mut tx = db.begin().await?;
    guard_state(&mut tx, application).await?;
    let updated = sqlx::query(
        "UPDATE review_questions SET answer = $1, answered_at = $2, answered_by = $3 \
         WHERE id = $4 AND application_id = $5 AND answer IS NULL",
    )
    .bind(answer)
    .bind(now())
    .bind(actor.user_id)
    .bind(question_id)
    .bind(application.id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if updated == 0 {
        return Err(StoreError::Conflict(format!(
            "question {question_id} is not an open question of application {}",
            application.id
        )));
    }
    if let Some(file) = attachment {
        add_document_in(
            &mut tx,
            master,
            actor,
            application.id,
            "answer",
            Some(question_id),
            file,
        )
        .await?;
    }
    events::record(
        &mut tx,
        NewEvent {
            actor,
            action: "application.answer_question",
            object_type: "application",
            object_id: application.id.to_string(),
            organization_id: Some(application.organization_id),
            before: None,
            after: Some(json!({ "question": question_id, "answer": answer })),
            reason: "",
        },
    )
    .await?;
    let open: i64 = sqlx::query(
        "SELECT COUNT(*) AS n FROM review_questions WHERE application_id = $1 AND answer IS NULL",
    )
    .bind(application.id)
    .fetch_one(&mut *tx)
    .await?
    .try_get("n")?;
    if open == 0 {
        record_transition(
            &mut tx,
            actor,
            application,
            Transition::Answer.key(),
            next_state(application.state, Transition::Answer).ok_or_else(|| {
                StoreError::Conflict("no question is waiting for an answer".into())
            })?,
            // The step itself says it: every question is answered.
            "",
        )
        .await?;
    }
    tx.commit().await?;
    let row = sqlx::query("SELECT * FROM review_questions WHERE id = $1")
        .bind(question_id)
        .fetch_one(&db.pool)
        .await?;
    question_from_row(&row)
}

pub async fn history(db: &Db, application_id: i64) -> Result<Vec<TransitionRecord>> {
    let rows = sqlx::query(
        "SELECT t.transition, t.from_state, t.to_state, t.reason, t.at, t.actor, u.display_name, \
         (SELECT o.name FROM memberships m JOIN organizations o ON o.id = m.organization_id \
          WHERE m.user_id = t.actor_id ORDER BY m.organization_id LIMIT 1) AS org_name, \
         (SELECT o.name_en FROM memberships m JOIN organizations o ON o.id = m.organization_id \
          WHERE m.user_id = t.actor_id ORDER BY m.organization_id LIMIT 1) AS org_name_en \
         FROM application_transitions t LEFT JOIN users u ON u.id = t.actor_id \
         WHERE t.application_id = $1 ORDER BY t.id",
    )
    .bind(application_id)
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(TransitionRecord {
                transition: r.try_get("transition")?,
                from_state: r.try_get("from_state")?,
                to_state: r.try_get("to_state")?,
                reason: r.try_get("reason")?,
                at: r.try_get("at")?,
                actor: r.try_get("actor")?,
                actor_name: r.try_get("display_name")?,
                actor_organization: match (
                    r.try_get::<Option<String>, _>("org_name")?,
                    r.try_get::<Option<String>, _>("org_name_en")?,
                ) {
                    (Some(ja), en) => Some((ja, en.unwrap_or_default())),
                    _ => None,
                },
            })
        })
        .collect()
}

/// The committee's decision to register: the application is registered and
/// the registration created (or renewed) in one transaction.
pub async fn register(
    db: &Db,
    actor: &Actor,
    application: &Application,
    reason: &str,
    registration: crate::registrations::NewRegistration<'_>,
) -> Result<(Application, crate::registrations::Registration)> {
    let mut tx = db.begin().await?;
    guard_state(&mut tx, application).await?;
    record_transition(
        &mut tx,
        actor,
        application,
        Transition::Register.key(),
        ApplicationState::Registered,
        reason,
    )
    .await?;
    let id = crate::registrations::insert(&mut tx, actor, application, registration).await?;
    tx.commit().await?;
    Ok((
        get(db, application.id).await?,
        crate::registrations::get(db, id).await?,
    ))
}
