//! The services part of the JSON API: a provider's cloud services.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use ismap_domain::ServiceModel;
use ismap_store::services;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{Problem, actor, require, signed_in};
use crate::AppState;
use crate::auth::Ctx;
use crate::error::{ApiError, Failure};
use crate::policy::{Action, allows, service_scope};

#[derive(Deserialize, ToSchema)]
pub struct ServiceIn {
    name: String,
    /// IaaS, PaaS or SaaS.
    model: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    url: String,
}

#[derive(Serialize, ToSchema)]
pub struct ServiceOut {
    id: i64,
    organization_id: i64,
    organization: String,
    name: String,
    model: String,
    description: String,
    url: String,
    registration_number: Option<String>,
    created_at: String,
}

impl From<services::Service> for ServiceOut {
    fn from(s: services::Service) -> ServiceOut {
        ServiceOut {
            id: s.id,
            organization_id: s.organization_id,
            organization: s.organization_name,
            name: s.name,
            model: s.model.key().to_owned(),
            description: s.description,
            url: s.url,
            registration_number: s.registration_number,
            created_at: s.created_at,
        }
    }
}

#[utoipa::path(get, path = "/api/v1/services", tag = "services",
    responses((status = 200, body = [ServiceOut]), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn list_services(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Json<Vec<ServiceOut>>, ApiError> {
    signed_in(&ctx)?;
    let scope = service_scope(ctx.principal.as_ref()).ok_or(Failure::Forbidden)?;
    Ok(Json(
        services::list(&state.db, scope)
            .await?
            .into_iter()
            .map(ServiceOut::from)
            .collect(),
    ))
}

#[utoipa::path(post, path = "/api/v1/services", tag = "services", request_body = ServiceIn,
    responses((status = 201, body = ServiceOut), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn create_service(
    State(state): State<AppState>,
    ctx: Ctx,
    body: Result<Json<ServiceIn>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, ApiError> {
    let p = signed_in(&ctx)?;
    require(&ctx, Action::CreateService, Some(p.organization.id))?;
    let Json(input) = body.map_err(|e| Failure::Invalid {
        field: "body".into(),
        message: e.body_text(),
    })?;
    if input.name.trim().is_empty() {
        return Err(Failure::Invalid {
            field: "name".into(),
            message: "the service needs a name".into(),
        }
        .into());
    }
    let model = ServiceModel::from_key(&input.model).ok_or_else(|| Failure::Invalid {
        field: "model".into(),
        message: format!("{:?} is not IaaS, PaaS or SaaS", input.model),
    })?;
    crate::links::optional_url(ctx.lang, "url", &input.url)?;
    let service = services::create(
        &state.db,
        &actor(p),
        services::NewService {
            organization_id: p.organization.id,
            name: input.name.trim(),
            model,
            description: input.description.trim(),
            url: input.url.trim(),
            registration_number: None,
        },
    )
    .await?;
    Ok((StatusCode::CREATED, Json(ServiceOut::from(service))).into_response())
}

pub(crate) async fn visible_service(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
) -> Result<services::Service, Failure> {
    signed_in(ctx)?;
    let service = services::get(&state.db, id).await?;
    crate::policy::require_visible(
        ctx.principal.as_ref(),
        |p| allows(Some(p), Action::ViewService, Some(service.organization_id)),
        "service",
        id,
    )?;
    Ok(service)
}

#[utoipa::path(get, path = "/api/v1/services/{id}", tag = "services",
    params(("id" = i64, Path)),
    responses((status = 200, body = ServiceOut), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn get_service(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> Result<Json<ServiceOut>, ApiError> {
    Ok(Json(visible_service(&state, &ctx, id).await?.into()))
}

#[derive(Deserialize, ToSchema)]
pub struct ServiceUpdate {
    description: String,
    url: String,
    /// Why it changed (recorded in the event log with before and after).
    #[serde(default)]
    reason: String,
}

#[utoipa::path(patch, path = "/api/v1/services/{id}", tag = "services", request_body = ServiceUpdate,
    params(("id" = i64, Path)),
    responses((status = 200, body = ServiceOut), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn update_service(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    body: Result<Json<ServiceUpdate>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<ServiceOut>, ApiError> {
    let service = visible_service(&state, &ctx, id).await?;
    let p = require(&ctx, Action::EditService, Some(service.organization_id))?;
    let Json(input) = body.map_err(|e| Failure::Invalid {
        field: "body".into(),
        message: e.body_text(),
    })?;
    crate::links::optional_url(ctx.lang, "url", &input.url)?;
    let updated = services::update(
        &state.db,
        &actor(p),
        id,
        input.description.trim(),
        input.url.trim(),
        input.reason.trim(),
    )
    .await?;
    Ok(Json(updated.into()))
}
