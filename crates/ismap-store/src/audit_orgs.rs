//! The audit organization list (ISMAP監査機関リスト, spec §4): each
//! registration lasts 2 years; a renewal is a new term that starts the day
//! after the previous one ends. Terms are never changed or removed.

use chrono::NaiveDate;
use ismap_domain::OrgKind;
use ismap_domain::audit::audit_organization_term;
use ismap_domain::audit_work::renewal_start;
use serde_json::json;
use sqlx::{Row, any::AnyRow};

use crate::events::{self, Actor, NewEvent};
use crate::{Db, Result, StoreError, now, orgs};

/// One organization on the list with its latest term.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditOrgEntry {
    pub registration_id: i64,
    pub organization_id: i64,
    pub name: String,
    pub name_en: String,
    pub valid_from: NaiveDate,
    pub valid_until: NaiveDate,
    /// How many terms came before this one.
    pub renewals: i64,
}

impl AuditOrgEntry {
    pub fn is_valid_on(&self, day: NaiveDate) -> bool {
        ismap_domain::audit_work::term_covers(self.valid_from, self.valid_until, day)
    }
}

fn date(row: &AnyRow, column: &str) -> Result<NaiveDate> {
    let text: String = row.try_get(column)?;
    text.parse()
        .map_err(|_| StoreError::Corrupt(format!("{column} {text:?} is not a date")))
}

fn from_row(row: &AnyRow) -> Result<AuditOrgEntry> {
    Ok(AuditOrgEntry {
        registration_id: row.try_get("id")?,
        organization_id: row.try_get("organization_id")?,
        name: row.try_get("name")?,
        name_en: row.try_get("name_en")?,
        valid_from: date(row, "valid_from")?,
        valid_until: date(row, "valid_until")?,
        renewals: row.try_get("renewals")?,
    })
}

const SELECT_LATEST: &str = "SELECT r.id, r.organization_id, o.name, o.name_en, r.valid_from, r.valid_until, \
    (SELECT COUNT(*) FROM audit_org_registrations p WHERE p.organization_id = r.organization_id AND p.id < r.id) AS renewals \
    FROM audit_org_registrations r JOIN organizations o ON o.id = r.organization_id \
    WHERE r.id = (SELECT MAX(l.id) FROM audit_org_registrations l WHERE l.organization_id = r.organization_id)";

/// Every organization on the list, by name, with its latest term.
pub async fn list(db: &Db) -> Result<Vec<AuditOrgEntry>> {
    let rows = sqlx::query(&format!("{SELECT_LATEST} ORDER BY o.name"))
        .fetch_all(&db.pool)
        .await?;
    rows.iter().map(from_row).collect()
}

pub async fn latest(db: &Db, organization_id: i64) -> Result<Option<AuditOrgEntry>> {
    let row = sqlx::query(&format!("{SELECT_LATEST} AND r.organization_id = $1"))
        .bind(organization_id)
        .fetch_optional(&db.pool)
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// Registers an audit organization for a first term starting on `valid_from`.
pub async fn register(
    db: &Db,
    actor: &Actor,
    organization_id: i64,
    valid_from: NaiveDate,
) -> Result<AuditOrgEntry> {
    let organization = orgs::get(db, organization_id).await?;
    if organization.kind != OrgKind::AuditOrg {
        return Err(StoreError::Conflict(format!(
            "{} is not an audit organization",
            organization.name
        )));
    }
    if let Some(existing) = latest(db, organization_id).await? {
        return Err(StoreError::Conflict(format!(
            "{} is already on the list (term {} to {}); renew it instead",
            organization.name, existing.valid_from, existing.valid_until
        )));
    }
    insert_term(db, actor, organization_id, valid_from, None).await
}

/// Renews the latest term: the new term starts the day after it ends.
pub async fn renew(db: &Db, actor: &Actor, organization_id: i64) -> Result<AuditOrgEntry> {
    let Some(current) = latest(db, organization_id).await? else {
        return Err(StoreError::NotFound(format!(
            "a registration of organization {organization_id} to renew"
        )));
    };
    let start = renewal_start(current.valid_until)
        .ok_or_else(|| StoreError::Conflict("the term cannot be extended further".into()))?;
    insert_term(
        db,
        actor,
        organization_id,
        start,
        Some(current.registration_id),
    )
    .await
}

async fn insert_term(
    db: &Db,
    actor: &Actor,
    organization_id: i64,
    valid_from: NaiveDate,
    renewal_of: Option<i64>,
) -> Result<AuditOrgEntry> {
    let (from, until) = audit_organization_term(valid_from)
        .ok_or_else(|| StoreError::Conflict(format!("no term can start on {valid_from}")))?;
    let mut tx = db.begin().await?;
    // The organization's row first (its lock on PostgreSQL, the write lock on
    // SQLite), then the latest term as of now: a term added meanwhile makes
    // this one stale, so two registrations or renewals at one moment add
    // one term.
    let locked = sqlx::query("UPDATE organizations SET name = name WHERE id = $1")
        .bind(organization_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if locked != 1 {
        return Err(StoreError::NotFound(format!(
            "organization {organization_id}"
        )));
    }
    let latest_term: Option<i64> =
        sqlx::query("SELECT MAX(id) AS id FROM audit_org_registrations WHERE organization_id = $1")
            .bind(organization_id)
            .fetch_one(&mut *tx)
            .await?
            .try_get("id")?;
    if latest_term != renewal_of {
        return Err(StoreError::Conflict(
            "the audit organization's term changed meanwhile (registered or renewed); reload"
                .into(),
        ));
    }
    let row = sqlx::query(
        "INSERT INTO audit_org_registrations (organization_id, valid_from, valid_until, renewal_of, created_at, created_by) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(organization_id)
    .bind(from.to_string())
    .bind(until.to_string())
    .bind(renewal_of)
    .bind(now())
    .bind(actor.user_id)
    .fetch_one(&mut *tx)
    .await?;
    let id: i64 = row.try_get("id")?;
    events::record(
        &mut tx,
        NewEvent {
            actor,
            action: if renewal_of.is_some() {
                "audit_org.renew"
            } else {
                "audit_org.register"
            },
            object_type: "audit_org_registration",
            object_id: id.to_string(),
            organization_id: Some(organization_id),
            before: renewal_of.map(|r| json!({ "registration": r })),
            after: Some(
                json!({ "valid_from": from.to_string(), "valid_until": until.to_string() }),
            ),
            reason: "",
        },
    )
    .await?;
    tx.commit().await?;
    latest(db, organization_id)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("registration {id}")))
}
