//! Doubts (疑義, seed 000 section 3: 「各政府機関等は、自身の利用しているクラウド
//! サービスに制度上あるいはセキュリティ上の疑義を認知した場合には、ISMAP 運営委員会
//! 事務局に情報共有を行うよう努める。」): an agency shares a doubt about a
//! service it uses; the secretariat may refer it to IPA or the committee
//! (who then see it and add notes), answers it and closes it with an
//! outcome the agency sees. The state machine is
//! `ismap_domain::channel::doubt_next`.
//!
//! For the operations report: [`count_between`] (doubts shared in a period)
//! and [`count_by_state`] (how many are in each state now).

use chrono::NaiveDate;
use ismap_domain::Role;
use ismap_domain::channel::{DoubtState, DoubtTransition, doubt_next};
use serde_json::json;
use sqlx::{Row, any::AnyRow};

use crate::channel::{self, Tell};
use crate::events::{Actor, NewEvent};
use crate::files::NewFile;
use crate::vault::MasterKey;
use crate::{Db, Result, StoreError, now};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Doubt {
    pub id: i64,
    pub agency_id: i64,
    pub agency_name: String,
    pub agency_name_en: String,
    /// The portal's service, when the agency picked one.
    pub service_id: Option<i64>,
    pub service_name: String,
    pub description: String,
    pub state: DoubtState,
    /// Referred to IPA / the committee at some point: that body sees it.
    pub referred_ipa: bool,
    pub referred_committee: bool,
    pub answer: Option<String>,
    pub outcome: Option<String>,
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
    pub closed_at: Option<String>,
}

/// Who writes a note on a doubt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoteBy {
    Secretariat,
    Ipa,
    Committee,
}

impl NoteBy {
    pub fn key(self) -> &'static str {
        match self {
            NoteBy::Secretariat => "secretariat",
            NoteBy::Ipa => "ipa",
            NoteBy::Committee => "committee",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    pub id: i64,
    pub by: String,
    pub note: String,
    pub created_at: String,
    pub author: Option<String>,
}

pub struct NewDoubt<'a> {
    pub agency_id: i64,
    pub service_id: Option<i64>,
    pub service_name: &'a str,
    pub description: &'a str,
    pub files: Vec<NewFile<'a>>,
}

/// Which doubts a listing shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// The secretariat: all.
    All,
    /// An agency: its own.
    Agency(i64),
    /// IPA or the committee: those referred to it.
    ReferredToIpa,
    ReferredToCommittee,
}

const SELECT: &str = "SELECT d.id, d.agency_id, o.name AS agency_name, o.name_en AS agency_name_en, \
    d.service_id, d.service_name, d.description, d.state, d.referred_ipa_at, d.referred_committee_at, \
    d.answer, d.outcome, d.version, d.created_at, d.updated_at, d.closed_at \
    FROM doubts d JOIN organizations o ON o.id = d.agency_id";

fn from_row(row: &AnyRow) -> Result<Doubt> {
    let state: String = row.try_get("state")?;
    let ipa: Option<String> = row.try_get("referred_ipa_at")?;
    let committee: Option<String> = row.try_get("referred_committee_at")?;
    Ok(Doubt {
        id: row.try_get("id")?,
        agency_id: row.try_get("agency_id")?,
        agency_name: row.try_get("agency_name")?,
        agency_name_en: row.try_get("agency_name_en")?,
        service_id: row.try_get("service_id")?,
        service_name: row.try_get("service_name")?,
        description: row.try_get("description")?,
        state: DoubtState::from_key(&state)
            .ok_or_else(|| StoreError::Corrupt(format!("doubt state {state:?}")))?,
        referred_ipa: ipa.is_some(),
        referred_committee: committee.is_some(),
        answer: row.try_get("answer")?,
        outcome: row.try_get("outcome")?,
        version: row.try_get("version")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        closed_at: row.try_get("closed_at")?,
    })
}

pub async fn get(db: &Db, id: i64) -> Result<Doubt> {
    from_row(&channel::one(db, SELECT, "d", "doubt", id).await?)
}

/// Doubts in `scope`, newest first.
pub async fn list(db: &Db, scope: Scope) -> Result<Vec<Doubt>> {
    let rows = match scope {
        Scope::All => channel::of_agency(db, SELECT, "d", None).await?,
        Scope::Agency(a) => channel::of_agency(db, SELECT, "d", Some(a)).await?,
        Scope::ReferredToIpa => {
            let filter = "WHERE d.referred_ipa_at IS NOT NULL";
            channel::newest_first(db, SELECT, "d", filter, None).await?
        }
        Scope::ReferredToCommittee => {
            let filter = "WHERE d.referred_committee_at IS NOT NULL";
            channel::newest_first(db, SELECT, "d", filter, None).await?
        }
    };
    rows.iter().map(from_row).collect()
}

/// The agency shares a doubt; the secretariat is told.
pub async fn submit(
    db: &Db,
    master: &MasterKey,
    actor: &Actor,
    new: NewDoubt<'_>,
) -> Result<Doubt> {
    let mut tx = db.begin().await?;
    let at = now();
    let row = sqlx::query(
        "INSERT INTO doubts (agency_id, service_id, service_name, description, state, created_at, created_by, updated_at) \
         VALUES ($1, $2, $3, $4, 'submitted', $5, $6, $5) RETURNING id",
    )
    .bind(new.agency_id)
    .bind(new.service_id)
    .bind(new.service_name)
    .bind(new.description)
    .bind(&at)
    .bind(actor.user_id)
    .fetch_one(&mut *tx)
    .await?;
    let id: i64 = row.try_get("id")?;
    let mut names = Vec::new();
    for f in new.files {
        names.push(
            channel::attach_in(&mut tx, master, actor, "doubt", id, None, f)
                .await?
                .file_name,
        );
    }
    channel::record_tell_commit(
        tx,
        NewEvent {
            actor,
            action: "doubt.submit",
            object_type: "doubt",
            object_id: id.to_string(),
            organization_id: Some(new.agency_id),
            before: None,
            after: Some(json!({
                "service_id": new.service_id,
                "service_name": new.service_name,
                "description": new.description,
                "files": names,
            })),
            reason: "",
        },
        Tell::Role(Role::SecretariatOfficer),
        "doubt.submitted",
        "channel-notify-doubt-submitted",
        &[("service", new.service_name.to_owned())],
        &format!("/doubts/{id}"),
    )
    .await?;
    get(db, id).await
}

/// The secretariat moves a doubt: refers it (`text`: why, kept as the
/// secretariat's note), answers it (`text`: the answer) or closes it
/// (`text`: the outcome). Conditional on the version read.
pub async fn transition(
    db: &Db,
    actor: &Actor,
    doubt: &Doubt,
    t: DoubtTransition,
    text: &str,
) -> Result<Doubt> {
    let to = doubt_next(doubt.state, t).ok_or_else(|| {
        StoreError::Conflict(format!(
            "doubt {} is {}: {} is not possible",
            doubt.id,
            doubt.state.key(),
            t.key()
        ))
    })?;
    let text = text.trim();
    if matches!(t, DoubtTransition::Answer | DoubtTransition::Close) && text.is_empty() {
        return Err(StoreError::Conflict(format!("{} needs a text", t.key())));
    }
    let set = match t {
        DoubtTransition::ReferIpa => "referred_ipa_at = COALESCE(referred_ipa_at, $1)",
        DoubtTransition::ReferCommittee => {
            "referred_committee_at = COALESCE(referred_committee_at, $1)"
        }
        DoubtTransition::Answer => "answer = $5",
        DoubtTransition::Close => "outcome = $5, closed_at = $1",
    };
    let sql = format!(
        "UPDATE doubts SET state = $2, version = version + 1, updated_at = $1, {set} \
         WHERE id = $3 AND version = $4"
    );
    let mut tx = db.begin().await?;
    let at = now();
    let mut q = sqlx::query(&sql)
        .bind(&at)
        .bind(to.key())
        .bind(doubt.id)
        .bind(doubt.version);
    if matches!(t, DoubtTransition::Answer | DoubtTransition::Close) {
        q = q.bind(text);
    }
    channel::moved(
        q.execute(&mut *tx).await?.rows_affected(),
        "doubt",
        doubt.id,
    )?;
    if matches!(
        t,
        DoubtTransition::ReferIpa | DoubtTransition::ReferCommittee
    ) && !text.is_empty()
    {
        insert_note(&mut tx, actor, doubt.id, NoteBy::Secretariat, text).await?;
    }
    // Referrals tell the body referred to; an answer or the outcome, the
    // agency.
    let (tell, kind, message_id) = match t {
        DoubtTransition::ReferIpa => (
            Tell::Role(Role::Reviewer),
            "doubt.referred",
            "channel-notify-doubt-referred",
        ),
        DoubtTransition::ReferCommittee => (
            Tell::Role(Role::CommitteeMember),
            "doubt.referred",
            "channel-notify-doubt-referred",
        ),
        DoubtTransition::Answer => (
            Tell::Agency(doubt.agency_id),
            "doubt.answered",
            "channel-notify-doubt-answered",
        ),
        DoubtTransition::Close => (
            Tell::Agency(doubt.agency_id),
            "doubt.closed",
            "channel-notify-doubt-closed",
        ),
    };
    channel::record_tell_commit(
        tx,
        NewEvent {
            actor,
            action: t.action(),
            object_type: "doubt",
            object_id: doubt.id.to_string(),
            organization_id: Some(doubt.agency_id),
            before: Some(json!({ "state": doubt.state.key() })),
            after: Some(json!({ "state": to.key(), "text": text })),
            reason: text,
        },
        tell,
        kind,
        message_id,
        &[("service", doubt.service_name.clone())],
        &format!("/doubts/{}", doubt.id),
    )
    .await?;
    get(db, doubt.id).await
}

async fn insert_note(
    conn: &mut sqlx::AnyConnection,
    actor: &Actor,
    doubt_id: i64,
    by: NoteBy,
    note: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO doubt_notes (doubt_id, body_kind, note, created_at, created_by) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(doubt_id)
    .bind(by.key())
    .bind(note)
    .bind(now())
    .bind(actor.user_id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A note of the secretariat or of a body the doubt was referred to; the
/// secretariat is told of a referred body's note.
pub async fn add_note(db: &Db, actor: &Actor, doubt: &Doubt, by: NoteBy, note: &str) -> Result<()> {
    let mut tx = db.begin().await?;
    insert_note(&mut tx, actor, doubt.id, by, note).await?;
    // The secretariat is told of a referred body's note, not of its own.
    let tell = if by == NoteBy::Secretariat {
        Tell::Nobody
    } else {
        Tell::Role(Role::SecretariatOfficer)
    };
    channel::record_tell_commit(
        tx,
        NewEvent {
            actor,
            action: "doubt.note",
            object_type: "doubt",
            object_id: doubt.id.to_string(),
            organization_id: Some(doubt.agency_id),
            before: None,
            after: Some(json!({ "by": by.key(), "note": note })),
            reason: "",
        },
        tell,
        "doubt.note",
        "channel-notify-doubt-note",
        &[("service", doubt.service_name.clone())],
        &format!("/doubts/{}", doubt.id),
    )
    .await
}

/// A doubt's notes, oldest first.
pub async fn notes(db: &Db, doubt_id: i64) -> Result<Vec<Note>> {
    let rows = sqlx::query(
        "SELECT n.id, n.body_kind, n.note, n.created_at, u.display_name FROM doubt_notes n \
         LEFT JOIN users u ON u.id = n.created_by WHERE n.doubt_id = $1 ORDER BY n.id",
    )
    .bind(doubt_id)
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Note {
                id: r.try_get("id")?,
                by: r.try_get("body_kind")?,
                note: r.try_get("note")?,
                created_at: r.try_get("created_at")?,
                author: r.try_get("display_name")?,
            })
        })
        .collect()
}

/// Doubts shared in `[from, to)` (days, UTC; for the operations report).
pub async fn count_between(db: &Db, from: NaiveDate, to: NaiveDate) -> Result<i64> {
    let (f, t) = channel::period(from, to);
    channel::count(
        db,
        "SELECT COUNT(*) AS n FROM doubts WHERE created_at >= $1 AND created_at < $2",
        &[&f, &t],
    )
    .await
}

/// Doubts closed in `[from, to)` (for the operations report).
pub async fn count_closed_between(db: &Db, from: NaiveDate, to: NaiveDate) -> Result<i64> {
    let (f, t) = channel::period(from, to);
    channel::count(
        db,
        "SELECT COUNT(*) AS n FROM doubts WHERE closed_at >= $1 AND closed_at < $2",
        &[&f, &t],
    )
    .await
}

/// Doubts referred to IPA and to the committee, ever: (ipa, committee).
pub async fn count_referred(db: &Db) -> Result<(i64, i64)> {
    Ok((
        channel::count(
            db,
            "SELECT COUNT(*) AS n FROM doubts WHERE referred_ipa_at IS NOT NULL",
            &[],
        )
        .await?,
        channel::count(
            db,
            "SELECT COUNT(*) AS n FROM doubts WHERE referred_committee_at IS NOT NULL",
            &[],
        )
        .await?,
    ))
}

/// How many doubts are in each state now (every state listed).
pub async fn count_by_state(db: &Db) -> Result<Vec<(DoubtState, i64)>> {
    let mut out = Vec::new();
    for s in DoubtState::ALL {
        let n = channel::count(
            db,
            "SELECT COUNT(*) AS n FROM doubts WHERE state = $1",
            &[s.key()],
        )
        .await?;
        out.push((s, n));
    }
    Ok(out)
}
