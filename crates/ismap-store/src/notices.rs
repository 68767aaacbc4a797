//! Programme notices (お知らせ, seed 000 section 3: 「国際規格の改定に伴う管理基準の
//! 大幅な改定など、重要な制度変更の場合は…各政府機関等への説明を行うなど、緊密な
//! 連携に努める」): the secretariat publishes a notice to every agency; each
//! agency person who opens it leaves a read receipt (once), and the
//! secretariat sees who has read it and who has not.
//!
//! For the operations report: [`count_published_between`].

use chrono::NaiveDate;
use ismap_domain::{OrgKind, Role};
use serde_json::json;
use sqlx::{Row, any::AnyRow};

use crate::channel::{self, Tell};
use crate::events::{self, Actor, NewEvent};
use crate::files::NewFile;
use crate::vault::MasterKey;
use crate::{Db, Result, now};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProgrammeNotice {
    pub id: i64,
    pub title: String,
    pub body: String,
    pub published_at: String,
    pub published_by: Option<String>,
}

/// One agency person and whether they read a notice.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reader {
    pub user_id: i64,
    pub display_name: String,
    pub agency_id: i64,
    pub agency_name: String,
    pub agency_name_en: String,
    pub read_at: Option<String>,
}

const SELECT: &str = "SELECT n.id, n.title, n.body, n.published_at, u.display_name AS published_by \
    FROM programme_notices n LEFT JOIN users u ON u.id = n.published_by";

fn from_row(row: &AnyRow) -> Result<ProgrammeNotice> {
    Ok(ProgrammeNotice {
        id: row.try_get("id")?,
        title: row.try_get("title")?,
        body: row.try_get("body")?,
        published_at: row.try_get("published_at")?,
        published_by: row.try_get("published_by")?,
    })
}

pub async fn get(db: &Db, id: i64) -> Result<ProgrammeNotice> {
    from_row(&channel::one(db, SELECT, "n", "notice", id).await?)
}

/// Every notice, newest first, with when `reader` read it.
pub async fn list(db: &Db, reader: i64) -> Result<Vec<(ProgrammeNotice, Option<String>)>> {
    let rows = sqlx::query(
        "SELECT n.id, n.title, n.body, n.published_at, u.display_name AS published_by, r.read_at \
         FROM programme_notices n LEFT JOIN users u ON u.id = n.published_by \
         LEFT JOIN notice_receipts r ON r.notice_id = n.id AND r.user_id = $1 ORDER BY n.id DESC",
    )
    .bind(reader)
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| Ok((from_row(r)?, r.try_get("read_at")?)))
        .collect()
}

/// How many notices `user_id` has not read.
pub async fn unread(db: &Db, user_id: i64) -> Result<i64> {
    Ok(sqlx::query(
        "SELECT COUNT(*) AS n FROM programme_notices n WHERE NOT EXISTS \
         (SELECT 1 FROM notice_receipts r WHERE r.notice_id = n.id AND r.user_id = $1)",
    )
    .bind(user_id)
    .fetch_one(&db.pool)
    .await?
    .try_get("n")?)
}

/// Publishes a notice (the attachment encrypted with the publisher's
/// organization's key) and tells every agency person.
pub async fn publish(
    db: &Db,
    master: &MasterKey,
    actor: &Actor,
    title: &str,
    body: &str,
    attachment: Option<NewFile<'_>>,
) -> Result<ProgrammeNotice> {
    let mut tx = db.begin().await?;
    let row = sqlx::query(
        "INSERT INTO programme_notices (title, body, published_at, published_by) \
         VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(title)
    .bind(body)
    .bind(now())
    .bind(actor.user_id)
    .fetch_one(&mut *tx)
    .await?;
    let id: i64 = row.try_get("id")?;
    let file = match attachment {
        Some(f) => Some(
            channel::attach_in(&mut tx, master, actor, "notice", id, None, f)
                .await?
                .file_name,
        ),
        None => None,
    };
    channel::record_tell_commit(
        tx,
        NewEvent {
            actor,
            action: "notice.publish",
            object_type: "notice",
            object_id: id.to_string(),
            organization_id: None,
            before: None,
            after: Some(json!({ "title": title, "file": file })),
            reason: "",
        },
        Tell::EveryAgency,
        "notice.published",
        "channel-notify-notice-published",
        &[("title", title.to_owned())],
        &format!("/notices/{id}"),
    )
    .await?;
    get(db, id).await
}

/// Records that `user_id` (of `organization_id`) read the notice; only
/// the first reading is recorded. Returns whether this one was the first.
pub async fn record_read(
    db: &Db,
    actor: &Actor,
    notice_id: i64,
    user_id: i64,
    organization_id: i64,
) -> Result<bool> {
    let mut tx = db.begin().await?;
    let written = sqlx::query(
        "INSERT INTO notice_receipts (notice_id, user_id, organization_id, read_at) \
         VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
    )
    .bind(notice_id)
    .bind(user_id)
    .bind(organization_id)
    .bind(now())
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if written > 0 {
        events::record(
            &mut tx,
            NewEvent {
                actor,
                action: "notice.read",
                object_type: "notice",
                object_id: notice_id.to_string(),
                organization_id: Some(organization_id),
                before: None,
                after: None,
                reason: "",
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(written > 0)
}

/// Every active agency person with when they read the notice (`None`: not
/// yet), by agency then name.
pub async fn readers(db: &Db, notice_id: i64) -> Result<Vec<Reader>> {
    let rows = sqlx::query(
        "SELECT DISTINCT u.id, u.display_name, o.id AS agency_id, o.name, o.name_en, r.read_at \
         FROM users u JOIN memberships m ON m.user_id = u.id \
         JOIN organizations o ON o.id = m.organization_id \
         LEFT JOIN notice_receipts r ON r.notice_id = $1 AND r.user_id = u.id \
         WHERE o.kind = $2 AND m.role IN ($3, $4) AND u.active = 1 \
         ORDER BY o.id, u.display_name, u.id",
    )
    .bind(notice_id)
    .bind(OrgKind::Agency.key())
    .bind(Role::AgencyOfficer.key())
    .bind(Role::AgencyCiso.key())
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Reader {
                user_id: r.try_get("id")?,
                display_name: r.try_get("display_name")?,
                agency_id: r.try_get("agency_id")?,
                agency_name: r.try_get("name")?,
                agency_name_en: r.try_get("name_en")?,
                read_at: r.try_get("read_at")?,
            })
        })
        .collect()
}

/// How many people read the notice.
pub async fn read_count(db: &Db, notice_id: i64) -> Result<i64> {
    Ok(
        sqlx::query("SELECT COUNT(*) AS n FROM notice_receipts WHERE notice_id = $1")
            .bind(notice_id)
            .fetch_one(&db.pool)
            .await?
            .try_get("n")?,
    )
}

/// Notices published in `[from, to)` (for the operations report).
pub async fn count_published_between(db: &Db, from: NaiveDate, to: NaiveDate) -> Result<i64> {
    let (f, t) = channel::period(from, to);
    channel::count(
        db,
        "SELECT COUNT(*) AS n FROM programme_notices WHERE published_at >= $1 AND published_at < $2",
        &[&f, &t],
    )
    .await
}
