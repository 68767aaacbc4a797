//! The audit part of the JSON API: the public audit organization list, an
//! engagement with its current results, recording a result, and issued
//! reports. The same checks as the pages (crate::audit_ops).

use axum::Json;
use axum::extract::{Path, State};
use ismap_store::{audit_orgs, engagements};
use serde_json::{Value, json};

use crate::AppState;
use crate::audit_ops::{self, ResultInput, actor, audited, load};
use crate::auth::Ctx;
use crate::error::ApiError;
use crate::pages::audit_orgs::entries_json;
use crate::policy::EngagementAction;
use crate::today;

#[utoipa::path(get, path = "/api/v1/audit-organizations", tag = "audits",
    responses((status = 200, description = "The audit organization list: each organization with its latest term", body = Object)))]
pub async fn list_audit_orgs(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let entries = audit_orgs::list(&state.db).await?;
    Ok(Json(entries_json(&entries, today())))
}

#[utoipa::path(get, path = "/api/v1/engagements/{id}", tag = "audits",
    params(("id" = i64, Path)),
    responses((status = 200, description = "The engagement, its scope and current results", body = Object), (status = 403, body = crate::api::Problem)))]
pub async fn get_engagement(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> Result<Json<Value>, ApiError> {
    let engagement = load(&state, ctx.principal.as_ref(), id, EngagementAction::View).await?;
    let audited = audited(&state, &engagement).await?;
    let results = engagements::current_results(&state.db, id).await?;
    let reports = engagements::reports(&state.db, id).await?;
    Ok(Json(json!({
        "id": engagement.id,
        "statement": engagement.statement_id,
        "revision": engagement.revision,
        "service": engagement.service_name,
        "provider": engagement.csp_name,
        "audit_organization": engagement.audit_organization_name,
        "period": { "start": engagement.period_start.to_string(), "end": engagement.period_end.to_string() },
        "scope": { "kind": engagement.scope, "year": engagement.cycle_year, "years": engagement.cycle_years },
        "status": engagement.status.key(),
        "auditors": engagement.auditors.iter().map(|(_, n)| n).collect::<Vec<_>>(),
        "controls": audited.controls.iter().map(|c| {
            let text = c.to_string();
            let r = results.get(&text);
            json!({
                "id": text,
                "result": r.map(|r| r.result.key()),
                "performed": r.map(|r| r.performed.as_str()),
                "finding": r.map(|r| r.finding.as_str()),
                "samples": r.map(|r| r.samples.as_str()),
            })
        }).collect::<Vec<_>>(),
        "reports": reports.iter().map(|r| json!({ "issue": r.issue, "issued_at": r.issued_at, "reason": r.reason })).collect::<Vec<_>>(),
    })))
}

#[utoipa::path(post, path = "/api/v1/engagements/{id}/results/{control}", tag = "audits",
    params(("id" = i64, Path), ("control" = String, Path)),
    request_body = ResultInput,
    responses((status = 200, description = "The recorded result", body = Object), (status = 422, body = crate::api::Problem)))]
pub async fn record_result(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, control)): Path<(i64, String)>,
    Json(input): Json<ResultInput>,
) -> Result<Json<Value>, ApiError> {
    let p = ctx.principal.as_ref();
    let engagement = load(&state, p, id, EngagementAction::Audit).await?;
    let audited = audited(&state, &engagement).await?;
    let saved =
        audit_ops::record(&state, &actor(p)?, &engagement, &audited, &control, &input).await?;
    Ok(Json(json!({
        "control": saved.control_id,
        "result": saved.result.key(),
        "performed": saved.performed,
        "finding": saved.finding,
        "samples": saved.samples,
        "recorded_at": saved.recorded_at,
    })))
}

#[utoipa::path(get, path = "/api/v1/engagements/{id}/reports/{issue}", tag = "audits",
    params(("id" = i64, Path), ("issue" = i64, Path)),
    responses((status = 200, description = "An issued implementation result report (実施結果報告書), as issued", body = Object), (status = 404, body = crate::api::Problem)))]
pub async fn get_report(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, issue)): Path<(i64, i64)>,
) -> Result<Json<Value>, ApiError> {
    load(&state, ctx.principal.as_ref(), id, EngagementAction::View).await?;
    let report = engagements::report(&state.db, id, issue).await?;
    Ok(Json(json!({
        "engagement": id,
        "issue": report.issue,
        "issued_at": report.issued_at,
        "reason": report.reason,
        "report": report.content,
    })))
}
