//! Statements (言明書) and their revisions. A save never changes what was
//! saved before: it adds revision n+1 (the database refuses deletes of
//! revisions, and updates but one). The one update: consecutive editor
//! changes by the same person within [`BURST_MINUTES`] form one revision
//! (an editing burst), so the history stays readable; each change is still
//! an event of its own, and the update is conditional on the revision
//! number, its edit count and its author (see [`save_edit`]).

use serde_json::json;
use sqlx::{Row, any::AnyRow};

use crate::events::{self, Actor, NewEvent};
use crate::{Db, Result, StoreError, now};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatementRecord {
    pub id: i64,
    pub service_id: i64,
    pub organization_id: i64,
    pub catalog_id: String,
    pub status: String,
    pub created_at: String,
    pub latest_revision: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Revision {
    pub statement_id: i64,
    pub number: i64,
    /// The statement file (JSON form of the contract).
    pub content: String,
    pub comment: String,
    pub errors: i64,
    pub warnings: i64,
    pub created_at: String,
    pub created_by: Option<i64>,
    /// How many changes this revision holds (1, more for an editing burst).
    pub edits: i64,
    /// When its last change was saved (`created_at` for a single change).
    pub updated_at: String,
    /// Whether a later change by the same person may join it.
    pub extendable: bool,
}

/// How long an editing burst stays open after its last change (minutes):
/// a project choice (issue 13), documented in docs/benchmarks.md (editor).
pub const BURST_MINUTES: i64 = 5;

/// The version a change was based on: the revision number and, when the
/// writer knows it, the revision's edit count (a burst changes the revision
/// in place, so the number alone does not tell that it changed).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Based {
    pub revision: i64,
    pub edits: Option<i64>,
}

impl Based {
    pub fn revision(revision: i64) -> Based {
        Based {
            revision,
            edits: None,
        }
    }
}

/// A revision to save, with the validation counts it had when saved.
pub struct NewRevision<'a> {
    pub content: &'a str,
    pub comment: &'a str,
    pub errors: i64,
    pub warnings: i64,
}

const SELECT: &str = "SELECT st.id, st.service_id, sv.organization_id, st.catalog_id, st.status, st.created_at, \
    (SELECT MAX(r.number) FROM statement_revisions r WHERE r.statement_id = st.id) AS latest \
    FROM statements st JOIN services sv ON sv.id = st.service_id";

fn from_row(row: &AnyRow) -> Result<StatementRecord> {
    Ok(StatementRecord {
        id: row.try_get("id")?,
        service_id: row.try_get("service_id")?,
        organization_id: row.try_get("organization_id")?,
        catalog_id: row.try_get("catalog_id")?,
        status: row.try_get("status")?,
        created_at: row.try_get("created_at")?,
        latest_revision: row.try_get::<Option<i64>, _>("latest")?.unwrap_or(0),
    })
}

fn revision_from_row(row: &AnyRow) -> Result<Revision> {
    Ok(Revision {
        statement_id: row.try_get("statement_id")?,
        number: row.try_get("number")?,
        content: row.try_get("content")?,
        comment: row.try_get("comment")?,
        errors: row.try_get("errors")?,
        warnings: row.try_get("warnings")?,
        created_at: row.try_get("created_at")?,
        created_by: row.try_get("created_by")?,
        edits: row.try_get("edits")?,
        updated_at: row.try_get("updated_at")?,
        extendable: row.try_get::<i64, _>("extendable")? != 0,
    })
}

const REVISION_COLUMNS: &str = "statement_id, number, content, comment, errors, warnings, created_at, created_by, \
    edits, COALESCE(updated_at, created_at) AS updated_at, extendable";

/// Creates a statement for a service with its first revision.
pub async fn create(
    db: &Db,
    actor: &Actor,
    service_id: i64,
    organization_id: i64,
    catalog_id: &str,
    first: NewRevision<'_>,
) -> Result<StatementRecord> {
    let mut tx = db.begin().await?;
    let row = sqlx::query(
        "INSERT INTO statements (service_id, catalog_id, status, created_at, created_by) \
         VALUES ($1, $2, 'draft', $3, $4) RETURNING id",
    )
    .bind(service_id)
    .bind(catalog_id)
    .bind(now())
    .bind(actor.user_id)
    .fetch_one(&mut *tx)
    .await?;
    let id: i64 = row.try_get("id")?;
    events::record(
        &mut tx,
        NewEvent {
            actor,
            action: "statement.create",
            object_type: "statement",
            object_id: id.to_string(),
            organization_id: Some(organization_id),
            before: None,
            after: Some(json!({ "service_id": service_id, "catalog": catalog_id })),
            reason: "",
        },
    )
    .await?;
    insert_revision(
        &mut tx,
        actor,
        id,
        organization_id,
        1,
        &first,
        (&now(), false),
    )
    .await?;
    tx.commit().await?;
    get(db, id).await
}

async fn insert_revision(
    conn: &mut sqlx::AnyConnection,
    actor: &Actor,
    statement_id: i64,
    organization_id: i64,
    number: i64,
    revision: &NewRevision<'_>,
    (at, extendable): (&str, bool),
) -> Result<()> {
    sqlx::query(
        "INSERT INTO statement_revisions (statement_id, number, content, comment, errors, warnings, created_at, created_by, extendable) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(statement_id)
    .bind(number)
    .bind(revision.content)
    .bind(revision.comment)
    .bind(revision.errors)
    .bind(revision.warnings)
    .bind(at)
    .bind(actor.user_id)
    .bind(i64::from(extendable))
    .execute(&mut *conn)
    .await
    .map_err(|e| match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => StoreError::Conflict(format!(
            "revision {number} of statement {statement_id} was saved by someone else meanwhile; reload and save again"
        )),
        _ => StoreError::Database(e),
    })?;
    events::record(
        conn,
        NewEvent {
            actor,
            action: "statement.revise",
            object_type: "statement",
            object_id: statement_id.to_string(),
            organization_id: Some(organization_id),
            before: None,
            after: Some(json!({ "revision": number, "errors": revision.errors, "warnings": revision.warnings })),
            reason: revision.comment,
        },
    )
    .await
}

/// The one check every write of a statement goes through: only a draft
/// changes. Written as an update of the statement's row, so that it takes
/// the row's lock (PostgreSQL) inside the caller's transaction: a freeze
/// committed meanwhile is seen, and a freeze under way waits for this
/// transaction to end.
async fn lock_draft(conn: &mut sqlx::AnyConnection, statement_id: i64) -> Result<()> {
    let changed =
        sqlx::query("UPDATE statements SET status = status WHERE id = $1 AND status = 'draft'")
            .bind(statement_id)
            .execute(&mut *conn)
            .await?
            .rows_affected();
    if changed == 1 {
        return Ok(());
    }
    let row = sqlx::query("SELECT status FROM statements WHERE id = $1")
        .bind(statement_id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("statement {statement_id}")))?;
    let status: String = row.try_get("status")?;
    Err(StoreError::Conflict(frozen_message(statement_id, &status)))
}

/// Why a statement that is not a draft refuses a change.
pub fn frozen_message(statement_id: i64, status: &str) -> String {
    format!(
        "statement {statement_id} is {status}: only a draft changes; start a new statement (upgrade) to change it"
    )
}

async fn latest_number(conn: &mut sqlx::AnyConnection, statement_id: i64) -> Result<i64> {
    let latest: Option<i64> =
        sqlx::query("SELECT MAX(number) AS n FROM statement_revisions WHERE statement_id = $1")
            .bind(statement_id)
            .fetch_one(&mut *conn)
            .await?
            .try_get("n")?;
    Ok(latest.unwrap_or(0))
}

/// Saves revision `based_on + 1` of a draft. Fails with a conflict if the
/// statement is frozen, or if someone saved another revision after
/// `based_on`, so no save silently overwrites another. Every path that
/// writes a statement (API, editor, import, bulk, risks, details) ends here.
pub async fn add_revision(
    db: &Db,
    actor: &Actor,
    statement: &StatementRecord,
    based_on: i64,
    revision: NewRevision<'_>,
) -> Result<Revision> {
    let mut tx = db.begin().await?;
    lock_draft(&mut tx, statement.id).await?;
    let latest = latest_number(&mut tx, statement.id).await?;
    if latest != based_on {
        return Err(StoreError::Conflict(format!(
            "the statement is at revision {latest}, not {based_on}; reload and save again"
        )));
    }
    let number = based_on + 1;
    insert_revision(
        &mut tx,
        actor,
        statement.id,
        statement.organization_id,
        number,
        &revision,
        (&now(), false),
    )
    .await?;
    tx.commit().await?;
    revision_at(db, statement.id, number).await
}

/// The latest revision's facts a burst depends on.
struct Latest {
    number: i64,
    edits: i64,
    created_by: Option<i64>,
    last_at: String,
    extendable: bool,
    comment: String,
}

async fn latest_revision(conn: &mut sqlx::AnyConnection, statement_id: i64) -> Result<Latest> {
    let row = sqlx::query(
        "SELECT number, edits, created_by, COALESCE(updated_at, created_at) AS last_at, extendable, comment \
         FROM statement_revisions WHERE statement_id = $1 ORDER BY number DESC LIMIT 1",
    )
    .bind(statement_id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(|| StoreError::NotFound(format!("revisions of statement {statement_id}")))?;
    Ok(Latest {
        number: row.try_get("number")?,
        edits: row.try_get("edits")?,
        created_by: row.try_get("created_by")?,
        last_at: row.try_get("last_at")?,
        extendable: row.try_get::<i64, _>("extendable")? != 0,
        comment: row.try_get("comment")?,
    })
}

/// Whether a change by `user` at `at` joins the burst of `latest`.
fn joins_burst(latest: &Latest, user: Option<i64>, at: chrono::DateTime<chrono::Utc>) -> bool {
    let Some(user) = user else { return false };
    if !latest.extendable || latest.created_by != Some(user) {
        return false;
    }
    chrono::DateTime::parse_from_rfc3339(&latest.last_at).is_ok_and(|last| {
        let elapsed = at.signed_duration_since(last.with_timezone(&chrono::Utc));
        elapsed >= chrono::TimeDelta::zero() && elapsed <= chrono::TimeDelta::minutes(BURST_MINUTES)
    })
}

/// The comment of a burst: the changes' comments, each once, kept short.
fn burst_comment(before: &str, added: &str) -> String {
    let mut parts: Vec<&str> = before.split(", ").filter(|p| !p.is_empty()).collect();
    if !added.is_empty() && !parts.contains(&added) {
        parts.push(added);
    }
    let joined = parts.join(", ");
    if joined.chars().count() <= 500 {
        joined
    } else {
        let mut short: String = joined.chars().take(499).collect();
        short.push('…');
        short
    }
}

/// Saves a change of a draft made in the editor: the same person's
/// changes within [`BURST_MINUTES`] of each other update the latest
/// revision (when it is open to that: see [`Revision::extendable`]);
/// otherwise the change is revision `based_on + 1`. `burst` says whether
/// this change may start or join a burst (an import does not). Fails with
/// a conflict if the statement is frozen or if its latest revision is not
/// `based` (another save came first), so no save silently overwrites
/// another. Every change is recorded as an event.
pub async fn save_edit(
    db: &Db,
    actor: &Actor,
    statement: &StatementRecord,
    based: Based,
    revision: NewRevision<'_>,
    burst: bool,
) -> Result<Revision> {
    save_edit_at(
        db,
        actor,
        statement,
        based,
        revision,
        burst,
        chrono::Utc::now(),
    )
    .await
}

/// [`save_edit`] as if made at `at` (tests move time past the window).
pub async fn save_edit_at(
    db: &Db,
    actor: &Actor,
    statement: &StatementRecord,
    based: Based,
    revision: NewRevision<'_>,
    burst: bool,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<Revision> {
    let stamp = at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let mut tx = db.begin().await?;
    lock_draft(&mut tx, statement.id).await?;
    let latest = latest_revision(&mut tx, statement.id).await?;
    if latest.number != based.revision || based.edits.is_some_and(|e| e != latest.edits) {
        return Err(StoreError::Conflict(stale_message(
            latest.number,
            latest.edits,
            based,
        )));
    }
    if burst && joins_burst(&latest, actor.user_id, at) {
        let comment = burst_comment(&latest.comment, revision.comment);
        // Conditional on what was read: the number is still the latest,
        // the edit count and the author unchanged (the trigger checks the
        // same, so nothing else can change a revision).
        let changed = sqlx::query(
            "UPDATE statement_revisions SET content = $1, comment = $2, errors = $3, warnings = $4, \
             edits = edits + 1, updated_at = $5 \
             WHERE statement_id = $6 AND number = $7 AND edits = $8 AND created_by = $9 AND extendable = 1 \
             AND NOT EXISTS (SELECT 1 FROM statement_revisions later \
                             WHERE later.statement_id = $6 AND later.number > $7)",
        )
        .bind(revision.content)
        .bind(&comment)
        .bind(revision.errors)
        .bind(revision.warnings)
        .bind(&stamp)
        .bind(statement.id)
        .bind(latest.number)
        .bind(latest.edits)
        .bind(actor.user_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed != 1 {
            return Err(StoreError::Conflict(stale_message(
                latest.number,
                latest.edits,
                based,
            )));
        }
        events::record(
            &mut tx,
            NewEvent {
                actor,
                action: "statement.revise",
                object_type: "statement",
                object_id: statement.id.to_string(),
                organization_id: Some(statement.organization_id),
                before: None,
                after: Some(json!({
                    "revision": latest.number,
                    "edit": latest.edits + 1,
                    "errors": revision.errors,
                    "warnings": revision.warnings,
                })),
                reason: revision.comment,
            },
        )
        .await?;
        tx.commit().await?;
        return revision_at(db, statement.id, latest.number).await;
    }
    let number = latest.number + 1;
    insert_revision(
        &mut tx,
        actor,
        statement.id,
        statement.organization_id,
        number,
        &revision,
        (&stamp, burst),
    )
    .await?;
    tx.commit().await?;
    revision_at(db, statement.id, number).await
}

/// Why a change based on `based` is refused: the statement moved on.
fn stale_message(latest: i64, edits: i64, based: Based) -> String {
    if latest == based.revision {
        format!(
            "revision {latest} of the statement was changed meanwhile ({edits} changes, not {}); reload and save again",
            based.edits.unwrap_or(edits)
        )
    } else {
        format!(
            "the statement is at revision {latest}, not {}; reload and save again",
            based.revision
        )
    }
}

/// Moves a statement to `status` (draft → frozen when ready for audit),
/// recording who, when and why.
pub async fn set_status(
    db: &Db,
    actor: &Actor,
    statement: &StatementRecord,
    status: &str,
    reason: &str,
) -> Result<StatementRecord> {
    set_status_at(db, actor, statement, None, status, reason).await
}

/// As [`set_status`], for the latest revision as it was with `edits`
/// changes (the editor's freeze: a change that joined the burst meanwhile
/// makes the decision stale).
pub async fn set_status_at(
    db: &Db,
    actor: &Actor,
    statement: &StatementRecord,
    edits: Option<i64>,
    status: &str,
    reason: &str,
) -> Result<StatementRecord> {
    if status == statement.status {
        return Err(StoreError::Conflict(format!(
            "statement {} is already {status}",
            statement.id
        )));
    }
    let mut tx = db.begin().await?;
    let changed = sqlx::query("UPDATE statements SET status = $1 WHERE id = $2 AND status = $3")
        .bind(status)
        .bind(statement.id)
        .bind(&statement.status)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if changed == 0 {
        return Err(StoreError::Conflict(format!(
            "statement {} is no longer {}; reload it",
            statement.id, statement.status
        )));
    }
    // The status is decided for the revision the caller checked: a revision
    // saved meanwhile (its transaction held the row) makes this one stale.
    let latest = latest_revision(&mut tx, statement.id).await?;
    if latest.number != statement.latest_revision || edits.is_some_and(|e| e != latest.edits) {
        return Err(StoreError::Conflict(stale_message(
            latest.number,
            latest.edits,
            Based {
                revision: statement.latest_revision,
                edits,
            },
        )));
    }
    events::record(
        &mut tx,
        NewEvent {
            actor,
            action: "statement.status",
            object_type: "statement",
            object_id: statement.id.to_string(),
            organization_id: Some(statement.organization_id),
            before: Some(json!({ "status": statement.status })),
            after: Some(json!({ "status": status, "revision": statement.latest_revision })),
            reason,
        },
    )
    .await?;
    tx.commit().await?;
    get(db, statement.id).await
}

pub async fn get(db: &Db, id: i64) -> Result<StatementRecord> {
    let row = sqlx::query(&format!("{SELECT} WHERE st.id = $1"))
        .bind(id)
        .fetch_optional(&db.pool)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("statement {id}")))?;
    from_row(&row)
}

pub async fn of_service(db: &Db, service_id: i64) -> Result<Vec<StatementRecord>> {
    let rows = sqlx::query(&format!("{SELECT} WHERE st.service_id = $1 ORDER BY st.id"))
        .bind(service_id)
        .fetch_all(&db.pool)
        .await?;
    rows.iter().map(from_row).collect()
}

pub async fn revision_at(db: &Db, statement_id: i64, number: i64) -> Result<Revision> {
    let row = sqlx::query(&format!(
        "SELECT {REVISION_COLUMNS} FROM statement_revisions WHERE statement_id = $1 AND number = $2"
    ))
    .bind(statement_id)
    .bind(number)
    .fetch_optional(&db.pool)
    .await?
    .ok_or_else(|| {
        StoreError::NotFound(format!("revision {number} of statement {statement_id}"))
    })?;
    revision_from_row(&row)
}

/// Revisions without their content, newest first.
pub async fn revisions(db: &Db, statement_id: i64) -> Result<Vec<Revision>> {
    let rows = sqlx::query(
        "SELECT statement_id, number, '' AS content, comment, errors, warnings, created_at, created_by, \
         edits, COALESCE(updated_at, created_at) AS updated_at, extendable \
         FROM statement_revisions WHERE statement_id = $1 ORDER BY number DESC",
    )
    .bind(statement_id)
    .fetch_all(&db.pool)
    .await?;
    rows.iter().map(revision_from_row).collect()
}

#[cfg(test)]
mod tests {
    //! Editing bursts on both backends: one revision per burst of one
    //! person's changes, a new one for another person, after the window or
    //! after an import; a stale change (by revision or by edit count) is a
    //! conflict; of changes racing on one version exactly one is stored.

    use super::*;
    use crate::testing::{BACKENDS, fresh};
    use crate::users::{self, NewUser};
    use crate::{catalogs, orgs, services};
    use ismap_domain::{OrgKind, Role, ServiceModel};

    fn revision(content: &str) -> NewRevision<'_> {
        NewRevision {
            content,
            comment: content,
            errors: 0,
            warnings: 0,
        }
    }

    struct World {
        db: Db,
        statement: StatementRecord,
        alice: Actor,
        bob: Actor,
    }

    async fn world(db: Db) -> World {
        let system = Actor::system("test");
        let pack = include_str!("../../../catalogs/ismap-2022-excerpt.yaml");
        catalogs::store(&db, &system, "bundled", pack)
            .await
            .unwrap();
        let org = orgs::create(&db, &system, "SaaS社", "SaaS Inc.", OrgKind::Csp)
            .await
            .unwrap();
        let mut people = Vec::new();
        for name in ["alice", "bob"] {
            let user = users::create(
                &db,
                &system,
                NewUser {
                    username: name,
                    display_name: name,
                    email: "",
                    password_hash: None,
                },
                &org,
                Role::CspEditor,
            )
            .await
            .unwrap();
            people.push(Actor::user(user.id, name));
        }
        let service = services::create(
            &db,
            &system,
            services::NewService {
                organization_id: org.id,
                name: "Example SaaS",
                model: ServiceModel::SaaS,
                description: "",
                url: "",
                registration_number: None,
            },
        )
        .await
        .unwrap();
        let statement = create(
            &db,
            &people[0],
            service.id,
            org.id,
            "ismap-2022-excerpt",
            revision("v1"),
        )
        .await
        .unwrap();
        let bob = people.pop().unwrap();
        let alice = people.pop().unwrap();
        World {
            db,
            statement,
            alice,
            bob,
        }
    }

    fn at(minutes: i64) -> chrono::DateTime<chrono::Utc> {
        chrono::DateTime::parse_from_rfc3339("2026-12-01T10:00:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc)
            + chrono::TimeDelta::minutes(minutes)
    }

    fn based(r: &Revision) -> Based {
        Based {
            revision: r.number,
            edits: Some(r.edits),
        }
    }

    async fn revise_events(db: &Db, statement: i64) -> usize {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n FROM events WHERE object_type = 'statement' AND object_id = $1 \
             AND action = 'statement.revise'",
        )
        .bind(statement.to_string())
        .fetch_one(&db.pool)
        .await
        .unwrap();
        row.try_get::<i64, _>("n").unwrap() as usize
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn one_revision_per_burst_and_a_new_one_for_another_person_or_later() {
        let dir = tempfile::tempdir().unwrap();
        for backend in BACKENDS {
            let w = world(fresh(backend, dir.path()).await).await;
            let (db, st) = (&w.db, &w.statement);
            let first = revision_at(db, st.id, 1).await.unwrap();
            // The first revision (the new statement) takes no burst.
            let r2 = save_edit_at(db, &w.alice, st, based(&first), revision("a"), true, at(0))
                .await
                .unwrap();
            assert_eq!((r2.number, r2.edits), (2, 1), "{backend:?}");
            // Alice again within the window: the same revision, one edit more.
            let r2b = save_edit_at(db, &w.alice, st, based(&r2), revision("b"), true, at(3))
                .await
                .unwrap();
            assert_eq!((r2b.number, r2b.edits), (2, 2), "{backend:?}");
            assert_eq!(r2b.content, "b");
            assert_eq!(r2b.comment, "a, b");
            // The window counts from the last change: 3 + 5 minutes is in.
            let r2c = save_edit_at(db, &w.alice, st, based(&r2b), revision("c"), true, at(8))
                .await
                .unwrap();
            assert_eq!((r2c.number, r2c.edits), (2, 3), "{backend:?}");
            // A stale version (the edit count before the last change) is refused.
            let stale =
                save_edit_at(db, &w.alice, st, based(&r2b), revision("x"), true, at(9)).await;
            assert!(
                matches!(stale, Err(StoreError::Conflict(_))),
                "{backend:?}: {stale:?}"
            );
            // Bob: a new revision, even within the window.
            let r3 = save_edit_at(db, &w.bob, st, based(&r2c), revision("d"), true, at(9))
                .await
                .unwrap();
            assert_eq!((r3.number, r3.edits), (3, 1), "{backend:?}");
            // Alice after Bob: a new revision.
            let r4 = save_edit_at(db, &w.alice, st, based(&r3), revision("e"), true, at(10))
                .await
                .unwrap();
            assert_eq!(r4.number, 4, "{backend:?}");
            // Alice after the window: a new revision.
            let r5 = save_edit_at(db, &w.alice, st, based(&r4), revision("f"), true, at(16))
                .await
                .unwrap();
            assert_eq!(r5.number, 5, "{backend:?}");
            // An import starts a revision of its own, and closes the burst.
            let r6 = save_edit_at(
                db,
                &w.alice,
                st,
                based(&r5),
                revision("import"),
                false,
                at(17),
            )
            .await
            .unwrap();
            assert_eq!((r6.number, r6.extendable), (6, false), "{backend:?}");
            let r7 = save_edit_at(db, &w.alice, st, based(&r6), revision("g"), true, at(18))
                .await
                .unwrap();
            assert_eq!(r7.number, 7, "{backend:?}");
            // Every change is an event: 8 saves, 7 revisions.
            assert_eq!(revisions(db, st.id).await.unwrap().len(), 7);
            assert_eq!(
                revise_events(db, st.id).await,
                9,
                "{backend:?}: 8 saves and the first revision"
            );
            // Old revisions stay as they were: the database refuses changes.
            let refused = sqlx::query(
                "UPDATE statement_revisions SET content = 'z', edits = edits + 1 \
                 WHERE statement_id = $1 AND number = 2",
            )
            .bind(st.id)
            .execute(&db.pool)
            .await;
            assert!(refused.is_err(), "{backend:?}: an old revision was changed");
            let deleted = sqlx::query("DELETE FROM statement_revisions WHERE statement_id = $1")
                .bind(st.id)
                .execute(&db.pool)
                .await;
            assert!(deleted.is_err(), "{backend:?}: revisions were deleted");
            // After a freeze (at the version as it is), nothing changes.
            let record = get(db, st.id).await.unwrap();
            let stale_freeze =
                set_status_at(db, &w.alice, &record, Some(r7.edits + 1), "frozen", "t").await;
            assert!(
                matches!(stale_freeze, Err(StoreError::Conflict(_))),
                "{backend:?}"
            );
            set_status_at(db, &w.alice, &record, Some(r7.edits), "frozen", "t")
                .await
                .unwrap();
            let after =
                save_edit_at(db, &w.alice, st, based(&r7), revision("h"), true, at(19)).await;
            assert!(matches!(after, Err(StoreError::Conflict(_))), "{backend:?}");
            let frozen_update = sqlx::query(
                "UPDATE statement_revisions SET content = 'z', edits = edits + 1 \
                 WHERE statement_id = $1 AND number = 7",
            )
            .bind(st.id)
            .execute(&db.pool)
            .await;
            assert!(
                frozen_update.is_err(),
                "{backend:?}: a frozen revision was changed"
            );
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn of_changes_racing_on_one_version_one_is_stored() {
        const N: usize = 10;
        let dir = tempfile::tempdir().unwrap();
        for backend in BACKENDS {
            let w = world(fresh(backend, dir.path()).await).await;
            let first = revision_at(&w.db, w.statement.id, 1).await.unwrap();
            let open = save_edit(
                &w.db,
                &w.alice,
                &w.statement,
                based(&first),
                revision("a"),
                true,
            )
            .await
            .unwrap();
            // Half the racers are Alice (joining her burst), half Bob (a new
            // revision): all based on the same version.
            let tasks: Vec<_> = (0..N)
                .map(|i| {
                    let db = w.db.clone();
                    let st = w.statement.clone();
                    let actor = if i % 2 == 0 {
                        w.alice.clone()
                    } else {
                        w.bob.clone()
                    };
                    let version = based(&open);
                    tokio::spawn(async move {
                        let content = format!("race {i}");
                        match save_edit(&db, &actor, &st, version, revision(&content), true).await {
                            Ok(_) => true,
                            Err(StoreError::Conflict(_)) => false,
                            Err(other) => panic!("a conflict or a success, not {other}"),
                        }
                    })
                })
                .collect();
            let mut won = 0;
            for task in tasks {
                won += usize::from(task.await.unwrap());
            }
            assert_eq!(won, 1, "{backend:?}: exactly one change on one version");
            let all = revisions(&w.db, w.statement.id).await.unwrap();
            let latest = &all[0];
            assert!(
                (latest.number == 2 && latest.edits == 2)
                    || (latest.number == 3 && latest.edits == 1),
                "{backend:?}: {latest:?}"
            );
            assert_eq!(revise_events(&w.db, w.statement.id).await, 3, "{backend:?}");
        }
    }
}
