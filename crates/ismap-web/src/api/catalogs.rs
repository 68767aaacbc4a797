//! The catalog part of the JSON API: the control standard (管理基準) as loaded.

use crate::error::Query;
use axum::Json;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use ismap_domain::ControlId;
use ismap_formats::catalog_export;
use ismap_store::catalogs;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::{IntoParams, ToSchema};

use super::Problem;
use crate::AppState;
use crate::error::parse_control;
use crate::error::{ApiError, Failure};

#[derive(Serialize, ToSchema)]
pub struct CatalogSummary {
    id: String,
    version: String,
    title_ja: String,
    title_en: String,
    excerpt: bool,
    controls: usize,
}

#[utoipa::path(get, path = "/api/v1/catalog", tag = "catalog",
    responses((status = 200, description = "The default catalog: info, chapters, categories, controls", body = Object)))]
pub async fn default_catalog(State(state): State<AppState>) -> Response {
    let id = state.default_catalog().id().to_owned();
    catalog_document(&state, &id).unwrap_or_else(|e| ApiError(e).into_response())
}

/// The catalog's export, serialized when the catalogs were loaded.
pub(crate) fn catalog_document(state: &AppState, id: &str) -> Result<Response, Failure> {
    let bytes = state
        .catalog_json
        .get(id)
        .cloned()
        .ok_or_else(|| Failure::NotFound(format!("catalog {id}")))?;
    Ok((
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        bytes,
    )
        .into_response())
}

#[utoipa::path(get, path = "/api/v1/catalogs", tag = "catalog",
    responses((status = 200, body = [CatalogSummary])))]
pub async fn list_catalogs(State(state): State<AppState>) -> Json<Vec<CatalogSummary>> {
    Json(
        state
            .catalogs
            .iter()
            .map(|c| CatalogSummary {
                id: c.id().to_owned(),
                version: c.info().version.clone(),
                title_ja: c.info().title.ja.clone(),
                title_en: c.info().title.en.clone(),
                excerpt: c.info().excerpt,
                controls: c.controls().len(),
            })
            .collect(),
    )
}

pub(crate) fn catalog<'a>(
    state: &'a AppState,
    id: &str,
) -> Result<&'a ismap_domain::Catalog, Failure> {
    state
        .catalog(id)
        .ok_or_else(|| Failure::NotFound(format!("catalog {id}")))
}

#[utoipa::path(get, path = "/api/v1/catalogs/{id}", tag = "catalog",
    params(("id" = String, Path, description = "Catalog id, e.g. ismap-2022-excerpt")),
    responses((status = 200, body = Object), (status = 404, body = Problem)))]
pub async fn get_catalog(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    Ok(catalog_document(&state, &id)?)
}

#[utoipa::path(get, path = "/api/v1/catalogs/{id}/controls/{control}", tag = "catalog",
    params(("id" = String, Path), ("control" = String, Path, description = "Control id, e.g. 8.1.2.7.PB")),
    responses((status = 200, body = Object), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn get_control(
    State(state): State<AppState>,
    Path((id, control)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let catalog = catalog(&state, &id)?;
    let control_id: ControlId = parse_control(&control, "control")?;
    let position = catalog
        .position(control_id.number())
        .ok_or_else(|| Failure::NotFound(format!("control {control_id} in {id}")))?;
    let mut value = catalog_export::control_json(&catalog.controls()[position]);
    value["detailed_controls"] = json!(
        catalog
            .children_of(position)
            .map(|c| catalog.controls()[c].id.to_string())
            .collect::<Vec<_>>()
    );
    Ok(Json(value))
}

#[derive(Deserialize, IntoParams)]
pub struct SearchParams {
    /// Text to find in ids, titles and texts (Japanese or English).
    q: String,
}

#[utoipa::path(get, path = "/api/v1/catalogs/{id}/search", tag = "catalog",
    params(("id" = String, Path), SearchParams),
    responses((status = 200, description = "Matching controls in catalog order", body = Object)))]
pub async fn search_catalog(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(params): Query<SearchParams>,
) -> Result<Json<Value>, ApiError> {
    let catalog = catalog(&state, &id)?;
    let ids = catalogs::search(&state.db, &id, &params.q, 500).await?;
    let controls: Vec<Value> = ids
        .iter()
        .filter_map(|i| i.parse::<ControlId>().ok())
        .filter_map(|i| catalog.get(i.number()))
        .map(catalog_export::control_json)
        .collect();
    Ok(Json(
        json!({ "query": params.q, "count": controls.len(), "controls": controls }),
    ))
}
