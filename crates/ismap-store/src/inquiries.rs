//! Inquiries (調査, seed 000 section 2 (2): 「ISMAP 運営委員会事務局が実施する
//! 調査に協力する」): the secretariat opens one to an agency, optionally about
//! an interim measure, with questions the agency answers (due dates,
//! attachments). open → answered (every question answered) → closed (by the
//! secretariat, with a conclusion); a follow-up question reopens it. The
//! state machine is `ismap_domain::channel::inquiry_next`; every move is a
//! conditional UPDATE with its event and notifications in one transaction.

use chrono::NaiveDate;
use ismap_domain::Role;
use ismap_domain::channel::{InquiryState, InquiryStep, inquiry_next};
use serde_json::json;
use sqlx::{Row, any::AnyRow};

use crate::channel::{self, Tell};
use crate::events::{Actor, NewEvent};
use crate::files::NewFile;
use crate::vault::MasterKey;
use crate::{Db, Result, StoreError, now};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Inquiry {
    pub id: i64,
    pub agency_id: i64,
    pub agency_name: String,
    pub agency_name_en: String,
    pub interim_measure_id: Option<i64>,
    pub subject: String,
    pub body: String,
    pub state: InquiryState,
    pub conclusion: Option<String>,
    pub closed_at: Option<String>,
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Question {
    pub id: i64,
    pub inquiry_id: i64,
    pub question: String,
    pub due_date: NaiveDate,
    pub asked_at: String,
    pub answer: Option<String>,
    pub answered_at: Option<String>,
    pub answered_by: Option<String>,
}

pub struct NewInquiry<'a> {
    pub agency_id: i64,
    pub interim_measure_id: Option<i64>,
    pub subject: &'a str,
    pub body: &'a str,
    /// At least one question, each with its due date.
    pub questions: &'a [(String, NaiveDate)],
}

const SELECT: &str = "SELECT i.id, i.agency_id, o.name AS agency_name, o.name_en AS agency_name_en, \
    i.interim_measure_id, i.subject, i.body, i.state, i.conclusion, i.closed_at, i.version, \
    i.created_at, i.updated_at FROM inquiries i JOIN organizations o ON o.id = i.agency_id";

fn from_row(row: &AnyRow) -> Result<Inquiry> {
    let state: String = row.try_get("state")?;
    Ok(Inquiry {
        id: row.try_get("id")?,
        agency_id: row.try_get("agency_id")?,
        agency_name: row.try_get("agency_name")?,
        agency_name_en: row.try_get("agency_name_en")?,
        interim_measure_id: row.try_get("interim_measure_id")?,
        subject: row.try_get("subject")?,
        body: row.try_get("body")?,
        state: InquiryState::from_key(&state)
            .ok_or_else(|| StoreError::Corrupt(format!("inquiry state {state:?}")))?,
        conclusion: row.try_get("conclusion")?,
        closed_at: row.try_get("closed_at")?,
        version: row.try_get("version")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

fn question_from_row(row: &AnyRow) -> Result<Question> {
    let due: String = row.try_get("due_date")?;
    Ok(Question {
        id: row.try_get("id")?,
        inquiry_id: row.try_get("inquiry_id")?,
        question: row.try_get("question")?,
        due_date: due
            .parse()
            .map_err(|_| StoreError::Corrupt(format!("due date {due:?}")))?,
        asked_at: row.try_get("asked_at")?,
        answer: row.try_get("answer")?,
        answered_at: row.try_get("answered_at")?,
        answered_by: row.try_get("answered_by_name")?,
    })
}

pub async fn get(db: &Db, id: i64) -> Result<Inquiry> {
    from_row(&channel::one(db, SELECT, "i", "inquiry", id).await?)
}

/// Inquiries, newest first: one agency's, or (`None`) every agency's.
pub async fn list(db: &Db, agency_id: Option<i64>) -> Result<Vec<Inquiry>> {
    let rows = channel::of_agency(db, SELECT, "i", agency_id).await?;
    rows.iter().map(from_row).collect()
}

/// An inquiry's questions, in the order asked.
pub async fn questions(db: &Db, inquiry_id: i64) -> Result<Vec<Question>> {
    let rows = sqlx::query(
        "SELECT q.*, u.display_name AS answered_by_name FROM inquiry_questions q \
         LEFT JOIN users u ON u.id = q.answered_by WHERE q.inquiry_id = $1 ORDER BY q.id",
    )
    .bind(inquiry_id)
    .fetch_all(&db.pool)
    .await?;
    rows.iter().map(question_from_row).collect()
}

/// The unanswered questions of an agency's inquiries (soonest due first),
/// each with its inquiry's id and subject: the agency's dashboard.
pub async fn open_questions(db: &Db, agency_id: i64) -> Result<Vec<(i64, String, Question)>> {
    let rows = sqlx::query(
        "SELECT q.*, NULL AS answered_by_name, i.subject FROM inquiry_questions q \
         JOIN inquiries i ON i.id = q.inquiry_id \
         WHERE i.agency_id = $1 AND i.state = 'open' AND q.answer IS NULL \
         ORDER BY q.due_date, q.id",
    )
    .bind(agency_id)
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            let q = question_from_row(r)?;
            Ok((q.inquiry_id, r.try_get("subject")?, q))
        })
        .collect()
}

/// The interim measure an inquiry may be about: its agency and the name of
/// its service (for the form's prefill), when it exists.
pub async fn interim_measure(db: &Db, id: i64) -> Result<Option<(i64, String)>> {
    let row = sqlx::query(
        "SELECT m.agency_id, e.service_name FROM interim_measures m \
         JOIN cloud_usage_entries e ON e.id = m.entry_id WHERE m.id = $1",
    )
    .bind(id)
    .fetch_optional(&db.pool)
    .await?;
    Ok(match row {
        Some(r) => Some((r.try_get("agency_id")?, r.try_get("service_name")?)),
        None => None,
    })
}

async fn insert_questions(
    conn: &mut sqlx::AnyConnection,
    actor: &Actor,
    inquiry_id: i64,
    questions: &[(String, NaiveDate)],
) -> Result<()> {
    for (question, due) in questions {
        sqlx::query(
            "INSERT INTO inquiry_questions (inquiry_id, question, due_date, asked_at, asked_by) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(inquiry_id)
        .bind(question)
        .bind(due.to_string())
        .bind(now())
        .bind(actor.user_id)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

fn questions_json(questions: &[(String, NaiveDate)]) -> serde_json::Value {
    json!(
        questions
            .iter()
            .map(|(q, d)| json!({ "question": q, "due_date": d.to_string() }))
            .collect::<Vec<_>>()
    )
}

/// Opens an inquiry with its first questions and tells the agency's officers
/// and CISO.
pub async fn open(db: &Db, actor: &Actor, new: NewInquiry<'_>) -> Result<Inquiry> {
    if new.questions.is_empty() {
        return Err(StoreError::Conflict("an inquiry needs a question".into()));
    }
    let mut tx = db.begin().await?;
    let at = now();
    let row = sqlx::query(
        "INSERT INTO inquiries (agency_id, interim_measure_id, subject, body, state, created_at, created_by, updated_at) \
         VALUES ($1, $2, $3, $4, 'open', $5, $6, $5) RETURNING id",
    )
    .bind(new.agency_id)
    .bind(new.interim_measure_id)
    .bind(new.subject)
    .bind(new.body)
    .bind(&at)
    .bind(actor.user_id)
    .fetch_one(&mut *tx)
    .await?;
    let id: i64 = row.try_get("id")?;
    insert_questions(&mut tx, actor, id, new.questions).await?;
    channel::record_tell_commit(
        tx,
        NewEvent {
            actor,
            action: "inquiry.open",
            object_type: "inquiry",
            object_id: id.to_string(),
            organization_id: Some(new.agency_id),
            before: None,
            after: Some(json!({
                "subject": new.subject,
                "interim_measure_id": new.interim_measure_id,
                "questions": questions_json(new.questions),
            })),
            reason: "",
        },
        Tell::Agency(new.agency_id),
        "inquiry.opened",
        "channel-notify-inquiry-opened",
        &[("subject", new.subject.to_owned())],
        &format!("/inquiries/{id}"),
    )
    .await?;
    get(db, id).await
}

/// Moves `inquiry` (as read, at its version) to `to`; another change since
/// it was read is a conflict.
async fn move_in(
    conn: &mut sqlx::AnyConnection,
    inquiry: &Inquiry,
    to: InquiryState,
) -> Result<()> {
    let moved = sqlx::query(
        "UPDATE inquiries SET state = $1, version = version + 1, updated_at = $2 \
         WHERE id = $3 AND version = $4",
    )
    .bind(to.key())
    .bind(now())
    .bind(inquiry.id)
    .bind(inquiry.version)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    channel::moved(moved, "inquiry", inquiry.id)
}

/// Asks follow-up questions: an answered inquiry is open again.
pub async fn ask(
    db: &Db,
    actor: &Actor,
    inquiry: &Inquiry,
    questions: &[(String, NaiveDate)],
) -> Result<Inquiry> {
    let to = inquiry_next(inquiry.state, InquiryStep::Ask)
        .ok_or_else(|| StoreError::Conflict(format!("inquiry {} is closed", inquiry.id)))?;
    if questions.is_empty() {
        return Err(StoreError::Conflict("no question to ask".into()));
    }
    let mut tx = db.begin().await?;
    move_in(&mut tx, inquiry, to).await?;
    insert_questions(&mut tx, actor, inquiry.id, questions).await?;
    channel::record_tell_commit(
        tx,
        NewEvent {
            actor,
            action: "inquiry.ask",
            object_type: "inquiry",
            object_id: inquiry.id.to_string(),
            organization_id: Some(inquiry.agency_id),
            before: Some(json!({ "state": inquiry.state.key() })),
            after: Some(json!({ "state": to.key(), "questions": questions_json(questions) })),
            reason: "",
        },
        Tell::Agency(inquiry.agency_id),
        "inquiry.asked",
        "channel-notify-inquiry-asked",
        &[("subject", inquiry.subject.clone())],
        &format!("/inquiries/{}", inquiry.id),
    )
    .await?;
    get(db, inquiry.id).await
}

/// The agency answers one open question, once, with an optional attachment
/// (encrypted with the agency's key). The last answer makes the inquiry
/// answered in the same transaction; the secretariat is told.
pub async fn answer(
    db: &Db,
    master: &MasterKey,
    actor: &Actor,
    inquiry: &Inquiry,
    question_id: i64,
    text: &str,
    attachment: Option<NewFile<'_>>,
) -> Result<Question> {
    if inquiry.state != InquiryState::Open {
        return Err(StoreError::Conflict(format!(
            "inquiry {} has no open question",
            inquiry.id
        )));
    }
    let mut tx = db.begin().await?;
    let updated = sqlx::query(
        "UPDATE inquiry_questions SET answer = $1, answered_at = $2, answered_by = $3 \
         WHERE id = $4 AND inquiry_id = $5 AND answer IS NULL \
         AND EXISTS (SELECT 1 FROM inquiries i WHERE i.id = $5 AND i.state = 'open')",
    )
    .bind(text)
    .bind(now())
    .bind(actor.user_id)
    .bind(question_id)
    .bind(inquiry.id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if updated == 0 {
        return Err(StoreError::Conflict(format!(
            "question {question_id} is not an open question of inquiry {}",
            inquiry.id
        )));
    }
    let file = match attachment {
        Some(f) => Some(
            channel::attach_in(
                &mut tx,
                master,
                actor,
                "inquiry",
                inquiry.id,
                Some(question_id),
                f,
            )
            .await?,
        ),
        None => None,
    };
    let open: i64 = sqlx::query(
        "SELECT COUNT(*) AS n FROM inquiry_questions WHERE inquiry_id = $1 AND answer IS NULL",
    )
    .bind(inquiry.id)
    .fetch_one(&mut *tx)
    .await?
    .try_get("n")?;
    let to = inquiry_next(InquiryState::Open, InquiryStep::Answer { last: open == 0 })
        .unwrap_or(InquiryState::Open);
    // Conditional on the state, not the version: two answers to two
    // questions at once both count; the last one moves the inquiry.
    sqlx::query(
        "UPDATE inquiries SET state = $1, version = version + 1, updated_at = $2 \
         WHERE id = $3 AND state = 'open'",
    )
    .bind(to.key())
    .bind(now())
    .bind(inquiry.id)
    .execute(&mut *tx)
    .await?;
    channel::record_tell_commit(
        tx,
        NewEvent {
            actor,
            action: "inquiry.answer",
            object_type: "inquiry",
            object_id: inquiry.id.to_string(),
            organization_id: Some(inquiry.agency_id),
            before: None,
            after: Some(json!({
                "question": question_id,
                "answer": text,
                "file": file.as_ref().map(|f| f.file_name.clone()),
                "state": to.key(),
            })),
            reason: "",
        },
        Tell::Role(Role::SecretariatOfficer),
        "inquiry.answered",
        "channel-notify-inquiry-answered",
        &[
            ("subject", inquiry.subject.clone()),
            ("agency", inquiry.agency_name.clone()),
        ],
        &format!("/inquiries/{}", inquiry.id),
    )
    .await?;
    let row = sqlx::query(
        "SELECT q.*, u.display_name AS answered_by_name FROM inquiry_questions q \
         LEFT JOIN users u ON u.id = q.answered_by WHERE q.id = $1",
    )
    .bind(question_id)
    .fetch_one(&db.pool)
    .await?;
    question_from_row(&row)
}

/// The secretariat closes the inquiry with its conclusion. Of two closes
/// at the same moment, one wins; the other is a conflict.
pub async fn close(db: &Db, actor: &Actor, inquiry: &Inquiry, conclusion: &str) -> Result<Inquiry> {
    let to = inquiry_next(inquiry.state, InquiryStep::Close)
        .ok_or_else(|| StoreError::Conflict(format!("inquiry {} is closed", inquiry.id)))?;
    if conclusion.trim().is_empty() {
        return Err(StoreError::Conflict("a conclusion is needed".into()));
    }
    let mut tx = db.begin().await?;
    let at = now();
    let moved = sqlx::query(
        "UPDATE inquiries SET state = $1, version = version + 1, updated_at = $2, \
         conclusion = $3, closed_at = $2, closed_by = $4 WHERE id = $5 AND version = $6",
    )
    .bind(to.key())
    .bind(&at)
    .bind(conclusion)
    .bind(actor.user_id)
    .bind(inquiry.id)
    .bind(inquiry.version)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    channel::moved(moved, "inquiry", inquiry.id)?;
    channel::record_tell_commit(
        tx,
        NewEvent {
            actor,
            action: "inquiry.close",
            object_type: "inquiry",
            object_id: inquiry.id.to_string(),
            organization_id: Some(inquiry.agency_id),
            before: Some(json!({ "state": inquiry.state.key() })),
            after: Some(json!({ "state": to.key(), "conclusion": conclusion })),
            reason: conclusion,
        },
        Tell::Agency(inquiry.agency_id),
        "inquiry.closed",
        "channel-notify-inquiry-closed",
        &[("subject", inquiry.subject.clone())],
        &format!("/inquiries/{}", inquiry.id),
    )
    .await?;
    get(db, inquiry.id).await
}

/// Inquiries opened in `[from, to)` (for the operations report).
pub async fn count_opened_between(db: &Db, from: NaiveDate, to: NaiveDate) -> Result<i64> {
    let (f, t) = channel::period(from, to);
    channel::count(
        db,
        "SELECT COUNT(*) AS n FROM inquiries WHERE created_at >= $1 AND created_at < $2",
        &[&f, &t],
    )
    .await
}

/// Questions asked in inquiries in `[from, to)` (for the operations report).
pub async fn count_questions_between(db: &Db, from: NaiveDate, to: NaiveDate) -> Result<i64> {
    let (f, t) = channel::period(from, to);
    channel::count(
        db,
        "SELECT COUNT(*) AS n FROM inquiry_questions WHERE asked_at >= $1 AND asked_at < $2",
        &[&f, &t],
    )
    .await
}

/// How many inquiries are in each state now (every state listed).
pub async fn count_by_state(db: &Db) -> Result<Vec<(InquiryState, i64)>> {
    let mut out = Vec::new();
    for s in InquiryState::ALL {
        let n = channel::count(
            db,
            "SELECT COUNT(*) AS n FROM inquiries WHERE state = $1",
            &[s.key()],
        )
        .await?;
        out.push((s, n));
    }
    Ok(out)
}
