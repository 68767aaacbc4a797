//! What the channel between agencies and the secretariat shares (issue 15,
//! items 5–7; migration 0017): attachments of inquiries, doubts and notices
//! (encrypted [`crate::files`], linked in `channel_files`), and the history
//! of each object read back from the event log. The objects themselves live
//! in [`crate::inquiries`], [`crate::doubts`], [`crate::status_requests`]
//! and [`crate::notices`].

use ismap_domain::Role;
use serde_json::Value;
use sqlx::any::AnyRow;
use sqlx::{Any, AnyConnection, Row, Transaction};

use crate::events::{self, Actor, NewEvent};
use crate::files::{self, NewFile, StoredFile};
use crate::notifications::{Notice, notify_org, notify_role, notify_users, people_in_role};
use crate::vault::MasterKey;
use crate::{Db, Result, StoreError, now};

/// The agency's people told of what the secretariat does about its
/// inquiries, doubts and status requests: its officers and CISO.
const AGENCY_PEOPLE: &[Role] = &[Role::AgencyOfficer, Role::AgencyCiso];

/// The one row of `select` (the object's table aliased `alias`) with id
/// `id`; none is `NotFound("<what> <id>")`. Inquiries, doubts, status
/// requests and notices are all read this way.
pub(crate) async fn one(db: &Db, select: &str, alias: &str, what: &str, id: i64) -> Result<AnyRow> {
    sqlx::query(&format!("{select} WHERE {alias}.id = $1"))
        .bind(id)
        .fetch_optional(&db.pool)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("{what} {id}")))
}

/// The rows of `select` (the object's table aliased `alias`) that `filter`
/// keeps (a `WHERE …` with at most the one parameter `$1` = `bind`, or
/// nothing), newest first.
pub(crate) async fn newest_first(
    db: &Db,
    select: &str,
    alias: &str,
    filter: &str,
    bind: Option<i64>,
) -> Result<Vec<AnyRow>> {
    let sql = format!("{select} {filter} ORDER BY {alias}.id DESC");
    let mut q = sqlx::query(&sql);
    if let Some(b) = bind {
        q = q.bind(b);
    }
    Ok(q.fetch_all(&db.pool).await?)
}

/// [`newest_first`] of one agency (`Some`) or of every agency (`None`).
pub(crate) async fn of_agency(
    db: &Db,
    select: &str,
    alias: &str,
    agency_id: Option<i64>,
) -> Result<Vec<AnyRow>> {
    let filter = match agency_id {
        Some(_) => format!("WHERE {alias}.agency_id = $1"),
        None => String::new(),
    };
    newest_first(db, select, alias, &filter, agency_id).await
}

/// A conditional UPDATE that moved no row: another change of `what` `id`
/// came first since it was read.
pub(crate) fn moved(rows_affected: u64, what: &str, id: i64) -> Result<()> {
    if rows_affected == 0 {
        return Err(StoreError::Conflict(format!(
            "{what} {id} changed meanwhile; reload"
        )));
    }
    Ok(())
}

/// Who hears of a change of a channel object.
pub(crate) enum Tell {
    /// The agency's officers and CISO.
    Agency(i64),
    /// Everyone holding the role (the secretariat, IPA, the committee).
    Role(Role),
    /// Every active agency person (officers and CISOs of every agency).
    EveryAgency,
    /// Nobody (the change is recorded only).
    Nobody,
}

/// Every active agency person (officers and CISOs of agencies).
async fn agency_people(conn: &mut AnyConnection) -> Result<Vec<i64>> {
    let mut people = people_in_role(conn, Role::AgencyOfficer).await?;
    for p in people_in_role(conn, Role::AgencyCiso).await? {
        if !people.contains(&p) {
            people.push(p);
        }
    }
    Ok(people)
}

/// The end every change of a channel object shares: its event, the
/// notice (`kind`, catalog `message_id` with `args`, leading to `link`) to
/// those `tell` names, and the commit — all in the one transaction, so a
/// change is never without its event or its notice.
pub(crate) async fn record_tell_commit(
    mut tx: Transaction<'static, Any>,
    event: NewEvent<'_>,
    tell: Tell,
    kind: &str,
    message_id: &str,
    args: &[(&str, String)],
    link: &str,
) -> Result<()> {
    events::record(&mut tx, event).await?;
    let notice = Notice {
        kind,
        message_id,
        args,
        link,
        dedupe_key: None,
    };
    match tell {
        Tell::Agency(a) => notify_org(&mut tx, a, AGENCY_PEOPLE, &notice).await?,
        Tell::Role(r) => notify_role(&mut tx, r, &notice).await?,
        Tell::EveryAgency => {
            let people = agency_people(&mut tx).await?;
            notify_users(&mut tx, &people, &notice).await?
        }
        Tell::Nobody => 0,
    };
    tx.commit().await?;
    Ok(())
}

/// A file attached to a channel object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attachment {
    /// The inquiry question it answers, if any.
    pub question_id: Option<i64>,
    pub file: StoredFile,
}

/// Encrypts `file` and links it to `object_type` `object_id` inside the
/// caller's transaction.
pub(crate) async fn attach_in(
    conn: &mut AnyConnection,
    master: &MasterKey,
    actor: &Actor,
    object_type: &str,
    object_id: i64,
    question_id: Option<i64>,
    file: NewFile<'_>,
) -> Result<StoredFile> {
    let stored = files::store_in(conn, master, actor, file).await?;
    sqlx::query(
        "INSERT INTO channel_files (object_type, object_id, question_id, file_id, added_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(object_type)
    .bind(object_id)
    .bind(question_id)
    .bind(stored.id)
    .bind(now())
    .execute(&mut *conn)
    .await?;
    Ok(stored)
}

/// The files of one object, oldest first.
pub async fn attachments(db: &Db, object_type: &str, object_id: i64) -> Result<Vec<Attachment>> {
    let rows = sqlx::query(
        "SELECT file_id, question_id FROM channel_files \
         WHERE object_type = $1 AND object_id = $2 ORDER BY id",
    )
    .bind(object_type)
    .bind(object_id)
    .fetch_all(&db.pool)
    .await?;
    let mut out = Vec::new();
    for r in rows {
        let id: i64 = r.try_get("file_id")?;
        out.push(Attachment {
            question_id: r.try_get("question_id")?,
            file: files::get(db, id).await?,
        });
    }
    Ok(out)
}

/// The object `file_id` is attached to, when it is of `object_type`.
pub async fn object_of_file(db: &Db, object_type: &str, file_id: i64) -> Result<Option<i64>> {
    let row =
        sqlx::query("SELECT object_id FROM channel_files WHERE object_type = $1 AND file_id = $2")
            .bind(object_type)
            .bind(file_id)
            .fetch_optional(&db.pool)
            .await?;
    Ok(match row {
        Some(r) => Some(r.try_get("object_id")?),
        None => None,
    })
}

/// One step of an object's history.
#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    pub action: String,
    pub at: String,
    pub actor: String,
    /// The person's display name, when a user acted.
    pub actor_name: Option<String>,
    pub after: Option<Value>,
    pub reason: String,
}

/// Every event of `object_type` `object_id`, oldest first: the history
/// shown on the object's page.
pub async fn history(db: &Db, object_type: &str, object_id: i64) -> Result<Vec<Step>> {
    let rows = sqlx::query(
        "SELECT e.action, e.at, e.actor, e.after, e.reason, u.display_name \
         FROM events e LEFT JOIN users u ON u.id = e.actor_id \
         WHERE e.object_type = $1 AND e.object_id = $2 ORDER BY e.id",
    )
    .bind(object_type)
    .bind(object_id.to_string())
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            let after: Option<String> = r.try_get("after")?;
            Ok(Step {
                action: r.try_get("action")?,
                at: r.try_get("at")?,
                actor: r.try_get("actor")?,
                actor_name: r.try_get("display_name")?,
                after: after.and_then(|t| serde_json::from_str(&t).ok()),
                reason: r.try_get("reason")?,
            })
        })
        .collect()
}

/// `SELECT COUNT(*)` with the given binds, as an i64.
pub(crate) async fn count(db: &Db, sql: &str, binds: &[&str]) -> Result<i64> {
    let mut q = sqlx::query(sql);
    for b in binds {
        q = q.bind(b.to_string());
    }
    Ok(q.fetch_one(&db.pool).await?.try_get("n")?)
}

/// The bounds of a period `[from, to)` as timestamps comparable with the
/// stored `created_at` texts (RFC 3339, UTC).
pub(crate) fn period(from: chrono::NaiveDate, to: chrono::NaiveDate) -> (String, String) {
    (from.to_string(), to.to_string())
}

#[cfg(test)]
mod tests {
    use crate::testing::{BACKENDS, fresh};
    use crate::vault::MasterKey;
    use crate::{Actor, Db, StoreError, doubts, inquiries, notices, orgs, status_requests, users};
    use ismap_domain::channel::{DoubtState, DoubtTransition, InquiryState};
    use ismap_domain::{OrgKind, Role};

    struct World {
        db: Db,
        agency: i64,
        other: i64,
        officer: Actor,
        secretary: Actor,
        reviewer: Actor,
        officer_id: i64,
        other_id: i64,
        secretary_id: i64,
        reviewer_id: i64,
    }

    async fn person(db: &Db, org: &orgs::Organization, name: &str, role: Role) -> i64 {
        users::create(
            db,
            &Actor::system("test"),
            users::NewUser {
                username: name,
                display_name: name,
                email: "",
                password_hash: None,
            },
            org,
            role,
        )
        .await
        .unwrap()
        .id
    }

    async fn world(db: Db) -> World {
        let sys = Actor::system("test");
        let agency = orgs::create(&db, &sys, "テスト省", "Test Ministry", OrgKind::Agency)
            .await
            .unwrap();
        let other = orgs::create(&db, &sys, "別の庁", "Other Agency", OrgKind::Agency)
            .await
            .unwrap();
        let sec = orgs::create(&db, &sys, "事務局", "Secretariat", OrgKind::Secretariat)
            .await
            .unwrap();
        let ipa = orgs::create(&db, &sys, "IPA", "IPA", OrgKind::Ipa)
            .await
            .unwrap();
        let officer_id = person(&db, &agency, "officer", Role::AgencyOfficer).await;
        let other_id = person(&db, &other, "other", Role::AgencyOfficer).await;
        let secretary_id = person(&db, &sec, "secretary", Role::SecretariatOfficer).await;
        let reviewer_id = person(&db, &ipa, "ipa", Role::Reviewer).await;
        World {
            agency: agency.id,
            other: other.id,
            officer: Actor::user(officer_id, "officer"),
            secretary: Actor::user(secretary_id, "secretary"),
            reviewer: Actor::user(reviewer_id, "ipa"),
            officer_id,
            other_id,
            secretary_id,
            reviewer_id,
            db,
        }
    }

    fn day(s: &str) -> chrono::NaiveDate {
        s.parse().unwrap()
    }

    #[tokio::test]
    async fn an_inquiry_is_answered_reopened_and_closed_once_on_both_backends() {
        for backend in BACKENDS {
            let dir = tempfile::tempdir().unwrap();
            let w = world(fresh(backend, dir.path()).await).await;
            let master = MasterKey::generate();
            let inquiry = inquiries::open(
                &w.db,
                &w.secretary,
                inquiries::NewInquiry {
                    agency_id: w.agency,
                    interim_measure_id: None,
                    subject: "暫定措置の状況",
                    body: "",
                    questions: &[
                        ("申請の見込みは？".into(), day("2099-01-10")),
                        ("移行計画は？".into(), day("2099-01-20")),
                    ],
                },
            )
            .await
            .unwrap();
            assert_eq!(inquiry.state, InquiryState::Open);
            let unread = crate::notifications::unread(&w.db, w.officer_id)
                .await
                .unwrap();
            assert_eq!(unread, 1, "{backend:?}: the agency's officer is told");
            assert_eq!(
                crate::notifications::unread(&w.db, w.other_id)
                    .await
                    .unwrap(),
                0
            );
            let qs = inquiries::questions(&w.db, inquiry.id).await.unwrap();
            inquiries::answer(
                &w.db,
                &master,
                &w.officer,
                &inquiry,
                qs[0].id,
                "来年度に申請予定",
                Some(crate::files::NewFile {
                    organization_id: w.agency,
                    file_name: "plan.pdf",
                    content_type: "application/pdf",
                    bytes: b"%PDF-1.7",
                }),
            )
            .await
            .unwrap();
            // Answering twice is refused.
            let again =
                inquiries::answer(&w.db, &master, &w.officer, &inquiry, qs[0].id, "x", None).await;
            assert!(matches!(again, Err(StoreError::Conflict(_))));
            let fresh_one = inquiries::get(&w.db, inquiry.id).await.unwrap();
            assert_eq!(fresh_one.state, InquiryState::Open);
            inquiries::answer(
                &w.db,
                &master,
                &w.officer,
                &fresh_one,
                qs[1].id,
                "作成中",
                None,
            )
            .await
            .unwrap();
            let answered = inquiries::get(&w.db, inquiry.id).await.unwrap();
            assert_eq!(answered.state, InquiryState::Answered, "{backend:?}");
            assert_eq!(
                crate::notifications::unread(&w.db, w.secretary_id)
                    .await
                    .unwrap(),
                2
            );
            let files = super::attachments(&w.db, "inquiry", inquiry.id)
                .await
                .unwrap();
            assert_eq!(files.len(), 1);
            assert_eq!(files[0].question_id, Some(qs[0].id));
            // A follow-up reopens it.
            let reopened = inquiries::ask(
                &w.db,
                &w.secretary,
                &answered,
                &[("予算要求の時期は？".into(), day("2099-02-01"))],
            )
            .await
            .unwrap();
            assert_eq!(reopened.state, InquiryState::Open);
            // Two closes of the same inquiry at once: one wins, one conflicts.
            let (a, b) = tokio::join!(
                inquiries::close(&w.db, &w.secretary, &reopened, "確認を終えた"),
                inquiries::close(&w.db, &w.secretary, &reopened, "確認を終えた（重複）"),
            );
            let wins = [&a, &b].iter().filter(|r| r.is_ok()).count();
            assert_eq!(wins, 1, "{backend:?}: {a:?} {b:?}");
            assert!(
                [a, b]
                    .into_iter()
                    .any(|r| matches!(r, Err(StoreError::Conflict(_))))
            );
            let closed = inquiries::get(&w.db, inquiry.id).await.unwrap();
            assert_eq!(closed.state, InquiryState::Closed);
            let history = super::history(&w.db, "inquiry", inquiry.id).await.unwrap();
            let actions: Vec<&str> = history.iter().map(|s| s.action.as_str()).collect();
            assert_eq!(
                actions,
                [
                    "inquiry.open",
                    "inquiry.answer",
                    "inquiry.answer",
                    "inquiry.ask",
                    "inquiry.close"
                ]
            );
            assert_eq!(
                inquiries::list(&w.db, Some(w.other)).await.unwrap().len(),
                0
            );
            let today = chrono::Utc::now().date_naive();
            assert_eq!(
                inquiries::count_opened_between(&w.db, today, today.succ_opt().unwrap())
                    .await
                    .unwrap(),
                1
            );
            assert_eq!(
                inquiries::count_questions_between(&w.db, today, today.succ_opt().unwrap())
                    .await
                    .unwrap(),
                3
            );
        }
    }

    #[tokio::test]
    async fn a_doubt_is_referred_noted_answered_and_closed_on_both_backends() {
        for backend in BACKENDS {
            let dir = tempfile::tempdir().unwrap();
            let w = world(fresh(backend, dir.path()).await).await;
            let master = MasterKey::generate();
            let doubt = doubts::submit(
                &w.db,
                &master,
                &w.officer,
                doubts::NewDoubt {
                    agency_id: w.agency,
                    service_id: None,
                    service_name: "未登録クラウド",
                    description: "データの保存場所が説明と異なる",
                    files: vec![],
                },
            )
            .await
            .unwrap();
            assert_eq!(doubt.state, DoubtState::Submitted);
            assert_eq!(
                crate::notifications::unread(&w.db, w.secretary_id)
                    .await
                    .unwrap(),
                1
            );
            assert!(matches!(
                doubts::transition(&w.db, &w.secretary, &doubt, DoubtTransition::Close, "x").await,
                Err(StoreError::Conflict(_))
            ));
            let referred = doubts::transition(
                &w.db,
                &w.secretary,
                &doubt,
                DoubtTransition::ReferIpa,
                "技術的な確認を依頼",
            )
            .await
            .unwrap();
            assert!(referred.referred_ipa && !referred.referred_committee);
            assert_eq!(
                crate::notifications::unread(&w.db, w.reviewer_id)
                    .await
                    .unwrap(),
                1
            );
            assert_eq!(
                doubts::list(&w.db, doubts::Scope::ReferredToIpa)
                    .await
                    .unwrap()
                    .len(),
                1
            );
            assert!(
                doubts::list(&w.db, doubts::Scope::ReferredToCommittee)
                    .await
                    .unwrap()
                    .is_empty()
            );
            doubts::add_note(
                &w.db,
                &w.reviewer,
                &referred,
                doubts::NoteBy::Ipa,
                "監査報告書と照合済み",
            )
            .await
            .unwrap();
            // A stale copy conflicts.
            assert!(matches!(
                doubts::transition(&w.db, &w.secretary, &doubt, DoubtTransition::Answer, "a").await,
                Err(StoreError::Conflict(_))
            ));
            let answered = doubts::transition(
                &w.db,
                &w.secretary,
                &referred,
                DoubtTransition::Answer,
                "問題は確認されなかった",
            )
            .await
            .unwrap();
            let closed = doubts::transition(
                &w.db,
                &w.secretary,
                &answered,
                DoubtTransition::Close,
                "対応不要",
            )
            .await
            .unwrap();
            assert_eq!(closed.state, DoubtState::Closed);
            assert_eq!(closed.outcome.as_deref(), Some("対応不要"));
            assert!(closed.referred_ipa, "IPA keeps seeing it");
            let notes = doubts::notes(&w.db, doubt.id).await.unwrap();
            assert_eq!(notes.len(), 2);
            let today = chrono::Utc::now().date_naive();
            let tomorrow = today.succ_opt().unwrap();
            assert_eq!(
                doubts::count_between(&w.db, today, tomorrow).await.unwrap(),
                1
            );
            assert_eq!(
                doubts::count_between(&w.db, tomorrow, tomorrow.succ_opt().unwrap())
                    .await
                    .unwrap(),
                0
            );
            assert_eq!(
                doubts::count_closed_between(&w.db, today, tomorrow)
                    .await
                    .unwrap(),
                1
            );
            assert_eq!(doubts::count_referred(&w.db).await.unwrap(), (1, 0));
            let by_state = doubts::count_by_state(&w.db).await.unwrap();
            assert!(by_state.contains(&(DoubtState::Closed, 1)));
            assert_eq!(
                doubts::list(&w.db, doubts::Scope::Agency(w.other))
                    .await
                    .unwrap()
                    .len(),
                0
            );
        }
    }

    #[tokio::test]
    async fn status_requests_and_notice_receipts_on_both_backends() {
        for backend in BACKENDS {
            let dir = tempfile::tempdir().unwrap();
            let w = world(fresh(backend, dir.path()).await).await;
            let master = MasterKey::generate();
            let request = status_requests::submit(
                &w.db,
                &w.officer,
                w.agency,
                None,
                "某SaaS",
                "申請予定は？",
            )
            .await
            .unwrap();
            assert_eq!(status_requests::count_open(&w.db).await.unwrap(), 1);
            let (a, b) = tokio::join!(
                status_requests::answer(&w.db, &w.secretary, &request, "申請受付済み"),
                status_requests::answer(&w.db, &w.secretary, &request, "二重"),
            );
            assert_eq!(
                [a.is_ok(), b.is_ok()].iter().filter(|x| **x).count(),
                1,
                "{backend:?}"
            );
            assert_eq!(status_requests::count_open(&w.db).await.unwrap(), 0);

            let notice = notices::publish(
                &w.db,
                &master,
                &w.secretary,
                "管理基準の改定",
                "改定の概要",
                None,
            )
            .await
            .unwrap();
            assert_eq!(
                crate::notifications::unread(&w.db, w.other_id)
                    .await
                    .unwrap(),
                1
            );
            assert_eq!(notices::unread(&w.db, w.officer_id).await.unwrap(), 1);
            assert!(
                notices::record_read(&w.db, &w.officer, notice.id, w.officer_id, w.agency)
                    .await
                    .unwrap()
            );
            assert!(
                !notices::record_read(&w.db, &w.officer, notice.id, w.officer_id, w.agency)
                    .await
                    .unwrap()
            );
            assert_eq!(notices::unread(&w.db, w.officer_id).await.unwrap(), 0);
            assert_eq!(notices::read_count(&w.db, notice.id).await.unwrap(), 1);
            let readers = notices::readers(&w.db, notice.id).await.unwrap();
            assert_eq!(readers.len(), 2);
            assert!(
                readers
                    .iter()
                    .any(|r| r.user_id == w.officer_id && r.read_at.is_some())
            );
            assert!(
                readers
                    .iter()
                    .any(|r| r.user_id == w.other_id && r.read_at.is_none())
            );
        }
    }
}
