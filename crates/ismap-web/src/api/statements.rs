//! The statements part of the JSON API: statements (言明書), their revisions and edits.

use crate::error::Query;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use ismap_domain::ControlId;
use ismap_formats::report::check_statement;
use ismap_formats::statement_file::parse_statement;
use ismap_store::statements;
use ismap_store::statements::NewRevision;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::{IntoParams, ToSchema};

use super::{Problem, actor, require, signed_in};
use crate::AppState;
use crate::auth::Ctx;
use crate::error::parse_control;
use crate::error::{ApiError, Failure};
use crate::policy::{Action, Principal, allows};

use super::services::visible_service;

#[derive(Serialize, ToSchema)]
pub struct StatementOut {
    id: i64,
    service_id: i64,
    catalog: String,
    status: String,
    created_at: String,
    latest_revision: i64,
}

impl From<statements::StatementRecord> for StatementOut {
    fn from(s: statements::StatementRecord) -> StatementOut {
        StatementOut {
            id: s.id,
            service_id: s.service_id,
            catalog: s.catalog_id,
            status: s.status,
            created_at: s.created_at,
            latest_revision: s.latest_revision,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct RevisionOut {
    statement_id: i64,
    number: i64,
    comment: String,
    errors: i64,
    warnings: i64,
    created_at: String,
}

impl From<statements::Revision> for RevisionOut {
    fn from(r: statements::Revision) -> RevisionOut {
        RevisionOut {
            statement_id: r.statement_id,
            number: r.number,
            comment: r.comment,
            errors: r.errors,
            warnings: r.warnings,
            created_at: r.created_at,
        }
    }
}

#[utoipa::path(get, path = "/api/v1/services/{id}/statements", tag = "statements",
    params(("id" = i64, Path)),
    responses((status = 200, body = [StatementOut]), (status = 403, body = Problem)))]
pub async fn list_statements(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> Result<Json<Vec<StatementOut>>, ApiError> {
    let service = visible_service(&state, &ctx, id).await?;
    require(&ctx, Action::ViewStatement, Some(service.organization_id))?;
    Ok(Json(
        statements::of_service(&state.db, id)
            .await?
            .into_iter()
            .map(StatementOut::from)
            .collect(),
    ))
}

/// Reads and validates a statement file sent as the request body. The text
/// is kept as sent: nothing the provider wrote is dropped.
pub(crate) async fn check_body(
    state: &AppState,
    lang: ismap_i18n::Lang,
    text: &str,
) -> Result<(String, Value, i64, i64), Failure> {
    let parsed = parse_statement("request body", text).map_err(|e| {
        let first = e.problems.first();
        Failure::Invalid {
            field: first
                .map(|p| {
                    if p.field.is_empty() {
                        format!("line {}", p.line)
                    } else {
                        p.field.clone()
                    }
                })
                .unwrap_or_else(|| "body".into()),
            message: e.to_string(),
        }
    })?;
    crate::links::check_statement(lang, &parsed.statement)?;
    let catalogs: Vec<_> = state.catalogs.iter().collect();
    let registry = crate::registry_cache::current(state).await?;
    let report = check_statement(&parsed, &catalogs, Some(&registry));
    let Some(catalog) = report.catalog else {
        return Err(Failure::Invalid {
            field: "catalog".into(),
            message: format!(
                "catalog {:?} is not known here; known: {}",
                parsed.statement.catalog,
                catalogs
                    .iter()
                    .map(|c| c.id())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        });
    };
    Ok((
        catalog.id().to_owned(),
        report.to_json(),
        report.errors() as i64,
        report.warnings() as i64,
    ))
}

#[utoipa::path(post, path = "/api/v1/services/{id}/statements", tag = "statements",
    params(("id" = i64, Path)),
    request_body(content = Object, description = "A statement file (JSON or YAML), as in README.md", content_type = "application/json"),
    responses((status = 201, description = "The statement and the validation report of its first revision", body = Object),
              (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create_statement(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    body: String,
) -> Result<Response, ApiError> {
    let service = visible_service(&state, &ctx, id).await?;
    let p = require(&ctx, Action::EditStatement, Some(service.organization_id))?;
    crate::statement_ops::guard_write(&state, p, &body)?;
    let (catalog_id, report, errors, warnings) = check_body(&state, ctx.lang, &body).await?;
    let record = statements::create(
        &state.db,
        &actor(p),
        service.id,
        service.organization_id,
        &catalog_id,
        NewRevision {
            content: &body,
            comment: "",
            errors,
            warnings,
        },
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "statement": StatementOut::from(record), "report": report })),
    )
        .into_response())
}

pub(crate) async fn visible_statement(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
) -> Result<statements::StatementRecord, Failure> {
    signed_in(ctx)?;
    let record = statements::get(&state.db, id).await?;
    crate::policy::require_visible(
        ctx.principal.as_ref(),
        |p| allows(Some(p), Action::ViewStatement, Some(record.organization_id)),
        "statement",
        id,
    )?;
    Ok(record)
}

pub(crate) async fn revision_json(
    state: &AppState,
    revision: &statements::Revision,
) -> Result<Value, Failure> {
    let parsed = parse_statement("stored revision", &revision.content)
        .map_err(|e| Failure::Internal(e.to_string()))?;
    let catalogs: Vec<_> = state.catalogs.iter().collect();
    let registry = crate::registry_cache::current(state).await?;
    let report = check_statement(&parsed, &catalogs, Some(&registry));
    Ok(json!({
        "revision": RevisionOut::from(revision.clone()),
        "content": revision.content,
        "report": report.to_json(),
    }))
}

#[utoipa::path(get, path = "/api/v1/statements/{id}", tag = "statements",
    params(("id" = i64, Path)),
    responses((status = 200, description = "The statement, its latest revision's text and validation report", body = Object),
              (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn get_statement(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> Result<Json<Value>, ApiError> {
    let record = visible_statement(&state, &ctx, id).await?;
    let latest = statements::revision_at(&state.db, id, record.latest_revision).await?;
    let mut value = revision_json(&state, &latest).await?;
    value["statement"] = json!(StatementOut::from(record));
    Ok(Json(value))
}

#[utoipa::path(get, path = "/api/v1/statements/{id}/revisions", tag = "statements",
    params(("id" = i64, Path)),
    responses((status = 200, body = [RevisionOut]), (status = 403, body = Problem)))]
pub async fn list_revisions(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> Result<Json<Vec<RevisionOut>>, ApiError> {
    visible_statement(&state, &ctx, id).await?;
    Ok(Json(
        statements::revisions(&state.db, id)
            .await?
            .into_iter()
            .map(RevisionOut::from)
            .collect(),
    ))
}

#[utoipa::path(get, path = "/api/v1/statements/{id}/revisions/{number}", tag = "statements",
    params(("id" = i64, Path), ("number" = i64, Path)),
    responses((status = 200, body = Object), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn get_revision(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, number)): Path<(i64, i64)>,
) -> Result<Json<Value>, ApiError> {
    visible_statement(&state, &ctx, id).await?;
    let revision = statements::revision_at(&state.db, id, number).await?;
    Ok(Json(revision_json(&state, &revision).await?))
}

#[derive(Deserialize, IntoParams)]
pub struct RevisionParams {
    /// The revision this one is based on; a newer revision saved meanwhile
    /// makes the request fail with 409 instead of overwriting it.
    based_on: i64,
    /// Why the statement changed (recorded in the event log).
    #[serde(default)]
    comment: String,
}

#[utoipa::path(post, path = "/api/v1/statements/{id}/revisions", tag = "statements",
    params(("id" = i64, Path), RevisionParams),
    request_body(content = Object, description = "The whole statement file (JSON or YAML)", content_type = "application/json"),
    responses((status = 201, body = Object), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn add_revision(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(params): Query<RevisionParams>,
    body: String,
) -> Result<Response, ApiError> {
    let record = visible_statement(&state, &ctx, id).await?;
    let p = require(&ctx, Action::EditStatement, Some(record.organization_id))?;
    crate::statement_ops::guard_write(&state, p, &body)?;
    let (catalog_id, _, errors, warnings) = check_body(&state, ctx.lang, &body).await?;
    if catalog_id != record.catalog_id {
        return Err(Failure::Invalid {
            field: "catalog".into(),
            message: format!(
                "this statement targets {}; a statement moves to another catalog version only by upgrading it",
                record.catalog_id
            ),
        }
        .into());
    }
    let revision = statements::add_revision(
        &state.db,
        &actor(p),
        &record,
        params.based_on,
        NewRevision {
            content: &body,
            comment: params.comment.trim(),
            errors,
            warnings,
        },
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(revision_json(&state, &revision).await?),
    )
        .into_response())
}

#[derive(Deserialize, IntoParams)]
pub struct BasedOn {
    /// The revision the change is based on (409 if another was saved since).
    based_on: i64,
}

#[derive(Deserialize, ToSchema)]
pub struct ControlIn {
    /// selected, excluded, implemented, inherited, not_selected, or "" for undecided.
    decision: String,
    individual_control: Option<String>,
    reason: Option<String>,
    from: Option<String>,
    confirmation: Option<String>,
}

pub(crate) async fn editable(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
) -> Result<(crate::statement_ops::Loaded, Principal), Failure> {
    let record = visible_statement(state, ctx, id).await?;
    let p = require(ctx, Action::EditStatement, Some(record.organization_id))?.clone();
    Ok((crate::statement_ops::load(state, record).await?, p))
}

#[utoipa::path(post, path = "/api/v1/statements/{id}/controls/{control}", tag = "statements",
    params(("id" = i64, Path), ("control" = String, Path), BasedOn), request_body = ControlIn,
    responses((status = 201, description = "The new revision and its validation report", body = Object),
              (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn save_control(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, control)): Path<(i64, String)>,
    Query(query): Query<BasedOn>,
    body: Result<Json<ControlIn>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, ApiError> {
    let (loaded, p) = editable(&state, &ctx, id).await?;
    let Json(input) = body.map_err(|e| Failure::Invalid {
        field: "body".into(),
        message: e.body_text(),
    })?;
    let control_id: ControlId = parse_control(&control, "control")?;
    let mut statement = loaded.parsed.statement.clone();
    crate::statement_ops::apply(
        &mut statement,
        loaded.catalog(&state)?,
        control_id,
        crate::statement_ops::ControlEdit {
            decision: input.decision,
            individual_control: input.individual_control,
            reason: input.reason,
            from: input.from,
            confirmation: input.confirmation,
        },
    )?;
    let saved = crate::statement_ops::save(
        &state,
        &p,
        &loaded.record,
        query.based_on,
        &statement,
        &control_id.to_string(),
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(revision_json(&state, &saved.revision).await?),
    )
        .into_response())
}

#[utoipa::path(post, path = "/api/v1/statements/{id}/freeze", tag = "statements",
    params(("id" = i64, Path), BasedOn),
    responses((status = 200, body = StatementOut), (status = 409, body = Problem), (status = 422, description = "The statement has errors", body = Problem)))]
pub async fn freeze_statement(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(query): Query<BasedOn>,
) -> Result<Json<StatementOut>, ApiError> {
    let (loaded, p) = editable(&state, &ctx, id).await?;
    crate::pages::editor::freeze_loaded(&state, &p, &loaded, query.based_on).await?;
    Ok(Json(statements::get(&state.db, id).await?.into()))
}

#[derive(Deserialize, IntoParams)]
pub struct DiffParams {
    from: i64,
    to: i64,
}

#[utoipa::path(get, path = "/api/v1/statements/{id}/diff", tag = "statements",
    params(("id" = i64, Path), DiffParams),
    responses((status = 200, description = "Statement fields and controls that changed", body = Object), (status = 404, body = Problem)))]
pub async fn diff_statement(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(query): Query<DiffParams>,
) -> Result<Json<Value>, ApiError> {
    visible_statement(&state, &ctx, id).await?;
    let read = |revision: statements::Revision| {
        parse_statement("revision", &revision.content)
            .map(|p| p.statement)
            .map_err(|e| Failure::Internal(e.to_string()))
    };
    let before = read(statements::revision_at(&state.db, id, query.from).await?)?;
    let after = read(statements::revision_at(&state.db, id, query.to).await?)?;
    let diff = ismap_domain::diff::diff(&before, &after);
    let describe = |entry: &Option<ismap_domain::ControlDecision>| {
        entry.as_ref().map(|e| {
            json!({
                "decision": e.decision.map(|d| d.key()),
                "individual_control": e.individual_control,
                "reason": e.reason,
                "from": e.from,
                "confirmation": e.confirmation,
            })
        })
    };
    Ok(Json(json!({
        "from": query.from,
        "to": query.to,
        "fields": diff.fields.iter().map(|f| json!({"field": f.field, "before": f.before, "after": f.after})).collect::<Vec<_>>(),
        "controls": diff.controls.iter().map(|c| json!({
            "control": c.id.to_string(),
            "fields": c.fields,
            "before": describe(&c.before),
            "after": describe(&c.after),
        })).collect::<Vec<_>>(),
    })))
}

#[derive(Deserialize, IntoParams)]
pub struct ExportParams {
    /// yaml (default) or json
    #[serde(default)]
    format: String,
}

#[utoipa::path(get, path = "/api/v1/statements/{id}/export", tag = "statements",
    params(("id" = i64, Path), ExportParams),
    responses((status = 200, description = "The latest revision as a statement file", content_type = "application/yaml", body = String)))]
pub async fn export_statement(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(query): Query<ExportParams>,
) -> Result<Response, ApiError> {
    let record = visible_statement(&state, &ctx, id).await?;
    let loaded = crate::statement_ops::load(&state, record).await?;
    let statement = &loaded.parsed.statement;
    Ok(match query.format.as_str() {
        "json" => Json(ismap_formats::statement_write::to_json(statement)).into_response(),
        _ => (
            [(
                axum::http::header::CONTENT_TYPE,
                "application/yaml; charset=utf-8",
            )],
            ismap_formats::statement_write::to_yaml(statement),
        )
            .into_response(),
    })
}

#[derive(Deserialize, IntoParams)]
pub struct UpgradeParams {
    /// The catalog version to move to.
    to: String,
}

#[utoipa::path(post, path = "/api/v1/statements/{id}/upgrade", tag = "statements",
    params(("id" = i64, Path), UpgradeParams),
    responses((status = 201, description = "The new draft and the controls to look at", body = Object), (status = 422, body = Problem)))]
pub async fn upgrade_statement(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(query): Query<UpgradeParams>,
) -> Result<Response, ApiError> {
    let (loaded, p) = editable(&state, &ctx, id).await?;
    let (record, report) =
        crate::statement_ops::upgrade(&state, &p, &loaded, query.to.trim()).await?;
    let ids = |v: &[ControlId]| v.iter().map(|c| c.to_string()).collect::<Vec<_>>();
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "statement": StatementOut::from(record),
            "added": ids(&report.added),
            "changed": ids(&report.changed),
            "removed": ids(&report.removed),
            "carried": ids(&report.carried),
        })),
    )
        .into_response())
}

#[derive(Deserialize, ToSchema)]
pub struct BulkIn {
    /// select_all or exclude
    action: String,
    /// Required to exclude: why the objective cannot apply to the service.
    #[serde(default)]
    reason: String,
}

#[utoipa::path(post, path = "/api/v1/statements/{id}/objectives/{objective}/bulk", tag = "statements",
    params(("id" = i64, Path), ("objective" = String, Path), BasedOn), request_body = BulkIn,
    responses((status = 201, body = Object), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn bulk_objective(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, objective)): Path<(i64, String)>,
    Query(query): Query<BasedOn>,
    body: Result<Json<BulkIn>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, ApiError> {
    let (loaded, p) = editable(&state, &ctx, id).await?;
    let Json(input) = body.map_err(|e| Failure::Invalid {
        field: "body".into(),
        message: e.body_text(),
    })?;
    let action = match input.action.as_str() {
        "select_all" => crate::statement_ops::Bulk::SelectAll,
        "exclude" => crate::statement_ops::Bulk::Exclude,
        other => {
            return Err(Failure::Invalid {
                field: "action".into(),
                message: format!("{other:?} is not select_all or exclude"),
            }
            .into());
        }
    };
    let objective: ControlId = parse_control(&objective, "objective")?;
    let mut statement = loaded.parsed.statement.clone();
    crate::statement_ops::apply_bulk(
        &mut statement,
        loaded.catalog(&state)?,
        objective,
        action,
        &input.reason,
    )?;
    let saved = crate::statement_ops::save(
        &state,
        &p,
        &loaded.record,
        query.based_on,
        &statement,
        &format!("{objective}: bulk"),
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(revision_json(&state, &saved.revision).await?),
    )
        .into_response())
}

#[derive(Deserialize, ToSchema)]
pub struct RiskIn {
    title: String,
    #[serde(default)]
    identification: String,
    #[serde(default)]
    analysis: String,
    /// high, medium or low
    evaluation: Option<String>,
    treatment: Option<String>,
    #[serde(default)]
    controls: Vec<String>,
}

#[utoipa::path(post, path = "/api/v1/statements/{id}/risks", tag = "statements",
    params(("id" = i64, Path), BasedOn), request_body = RiskIn,
    responses((status = 201, description = "The new revision; the risk gets the next free id (R1, R2, …)", body = Object),
              (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn add_risk(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(query): Query<BasedOn>,
    body: Result<Json<RiskIn>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, ApiError> {
    let (loaded, p) = editable(&state, &ctx, id).await?;
    let Json(input) = body.map_err(|e| Failure::Invalid {
        field: "body".into(),
        message: e.body_text(),
    })?;
    let mut statement = loaded.parsed.statement.clone();
    let next = crate::statement_ops::add_risk(
        &mut statement,
        loaded.catalog(&state)?,
        crate::statement_ops::NewRisk {
            title: input.title,
            identification: input.identification,
            analysis: input.analysis,
            evaluation: input.evaluation.unwrap_or_default(),
            treatment: input.treatment.unwrap_or_default(),
            controls: input.controls,
        },
    )?;
    let saved = crate::statement_ops::save(
        &state,
        &p,
        &loaded.record,
        query.based_on,
        &statement,
        &format!("risk {next}"),
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(revision_json(&state, &saved.revision).await?),
    )
        .into_response())
}
