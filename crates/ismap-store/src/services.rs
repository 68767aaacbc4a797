//! A provider's cloud services.

use ismap_domain::ServiceModel;
use serde_json::json;
use sqlx::{Row, any::AnyRow};

use crate::events::{self, Actor, NewEvent};
use crate::orgs::conflict_on_unique;
use crate::{Db, Result, StoreError, now};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Service {
    pub id: i64,
    pub organization_id: i64,
    pub organization_name: String,
    pub name: String,
    pub model: ServiceModel,
    pub description: String,
    pub url: String,
    /// Set once the service is on the ISMAP cloud service list.
    pub registration_number: Option<String>,
    pub created_at: String,
}

pub struct NewService<'a> {
    pub organization_id: i64,
    pub name: &'a str,
    pub model: ServiceModel,
    pub description: &'a str,
    pub url: &'a str,
    pub registration_number: Option<&'a str>,
}

const SELECT: &str = "SELECT s.id, s.organization_id, o.name AS organization_name, s.name, s.model, \
    s.description, s.url, s.registration_number, s.created_at \
    FROM services s JOIN organizations o ON o.id = s.organization_id";

fn from_row(row: &AnyRow) -> Result<Service> {
    let model: String = row.try_get("model")?;
    Ok(Service {
        id: row.try_get("id")?,
        organization_id: row.try_get("organization_id")?,
        organization_name: row.try_get("organization_name")?,
        name: row.try_get("name")?,
        model: ServiceModel::from_key(&model)
            .ok_or_else(|| StoreError::Corrupt(format!("service model {model:?}")))?,
        description: row.try_get("description")?,
        url: row.try_get("url")?,
        registration_number: row.try_get("registration_number")?,
        created_at: row.try_get("created_at")?,
    })
}

pub async fn create(db: &Db, actor: &Actor, new: NewService<'_>) -> Result<Service> {
    let mut tx = db.begin().await?;
    let row = sqlx::query(
        "INSERT INTO services (organization_id, name, model, description, url, registration_number, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(new.organization_id)
    .bind(new.name)
    .bind(new.model.key())
    .bind(new.description)
    .bind(new.url)
    .bind(new.registration_number)
    .bind(now())
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| conflict_on_unique(e, format!("the organization already has a service named {:?}", new.name)))?;
    let id: i64 = row.try_get("id")?;
    events::record(
        &mut tx,
        NewEvent {
            actor,
            action: "service.create",
            object_type: "service",
            object_id: id.to_string(),
            organization_id: Some(new.organization_id),
            before: None,
            after: Some(json!({
                "name": new.name,
                "model": new.model.key(),
                "description": new.description,
                "url": new.url,
                "registration_number": new.registration_number,
            })),
            reason: "",
        },
    )
    .await?;
    tx.commit().await?;
    get(db, id).await
}

pub async fn get(db: &Db, id: i64) -> Result<Service> {
    let row = sqlx::query(&format!("{SELECT} WHERE s.id = $1"))
        .bind(id)
        .fetch_optional(&db.pool)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("service {id}")))?;
    from_row(&row)
}

/// Services of one organization, or of all when `organization_id` is `None`.
pub async fn list(db: &Db, organization_id: Option<i64>) -> Result<Vec<Service>> {
    let rows = match organization_id {
        Some(org) => {
            sqlx::query(&format!(
                "{SELECT} WHERE s.organization_id = $1 ORDER BY s.id"
            ))
            .bind(org)
            .fetch_all(&db.pool)
            .await?
        }
        None => {
            sqlx::query(&format!("{SELECT} ORDER BY s.id"))
                .fetch_all(&db.pool)
                .await?
        }
    };
    rows.iter().map(from_row).collect()
}

/// Changes a service's description and URL, recording before and after.
pub async fn update(
    db: &Db,
    actor: &Actor,
    id: i64,
    description: &str,
    url: &str,
    reason: &str,
) -> Result<Service> {
    let before = get(db, id).await?;
    let mut tx = db.begin().await?;
    sqlx::query("UPDATE services SET description = $1, url = $2 WHERE id = $3")
        .bind(description)
        .bind(url)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    events::record(
        &mut tx,
        NewEvent {
            actor,
            action: "service.update",
            object_type: "service",
            object_id: id.to_string(),
            organization_id: Some(before.organization_id),
            before: Some(json!({ "description": before.description, "url": before.url })),
            after: Some(json!({ "description": description, "url": url })),
            reason,
        },
    )
    .await?;
    tx.commit().await?;
    get(db, id).await
}
