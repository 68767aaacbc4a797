//! The JSON API under `/api/v1`, described at `/api/openapi.json`. Callers
//! authenticate with a bearer token (`Authorization: Bearer ismap_…`) or a
//! portal session plus the `X-CSRF-Token` header. Errors are RFC 9457
//! problem documents naming the field.

mod audits;
mod catalogs;
mod crosswalk;
mod lists;
pub mod operations_report;
mod procurement;
mod services;
mod statements;

pub use audits::*;
pub use catalogs::*;
pub use crosswalk::*;
pub use lists::*;
pub use procurement::*;
pub use services::*;
pub use statements::*;

use axum::Json;
use ismap_store::Actor;
use serde::Serialize;
use utoipa::{OpenApi, ToSchema};

use crate::auth::Ctx;
use crate::error::Failure;
use crate::policy::{Action, Principal};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "ismap API",
        description = "ISMAP catalog, services and statements (言明書). Authenticate with `Authorization: Bearer <token>` (create tokens at /account). Errors are RFC 9457 problem documents.",
        version = "1"
    ),
    paths(
        default_catalog, list_catalogs, get_catalog, get_control, search_catalog,
        list_services, create_service, get_service, update_service,
        list_statements, create_statement, get_statement, list_revisions, get_revision, add_revision,
        save_control, freeze_statement, diff_statement, export_statement, upgrade_statement,
        bulk_objective, add_risk,
        audits::list_audit_orgs, audits::get_engagement,
        audits::record_result, audits::get_report,
        operations_report::get_operations_report,
        procurement::procurement_check
    ),
    components(schemas(crate::audit_ops::ResultInput, CatalogSummary, ControlIn, BulkIn, RiskIn, ServiceIn, ServiceUpdate, ServiceOut, StatementOut, RevisionOut, Problem, ProblemField)),
    tags(
        (name = "catalog", description = "The control standard (管理基準)"),
        (name = "services", description = "A provider's cloud services"),
        (name = "statements", description = "Statements (言明書) and their revisions"),
        (name = "audits", description = "Audit organizations, engagements, results and reports (spec §4)"),
        (name = "operations-report", description = "The secretariat's operations report (運用状況の報告) per fiscal year"),
        (name = "procurement", description = "The procurement check (調達前確認) for agencies and the secretariat")
    )
)]
pub struct ApiDoc;

pub async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

/// RFC 9457 problem document.
#[derive(Serialize, ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: Option<String>,
    pub errors: Option<Vec<ProblemField>>,
}

#[derive(Serialize, ToSchema)]
pub struct ProblemField {
    pub field: String,
    pub message: String,
}

pub(crate) fn signed_in(ctx: &Ctx) -> Result<&Principal, Failure> {
    ctx.principal.as_ref().ok_or(Failure::NotSignedIn)
}

pub(crate) fn require(
    ctx: &Ctx,
    action: Action,
    owner: Option<i64>,
) -> Result<&Principal, Failure> {
    ctx.require(action, owner)
}

pub(crate) fn actor(p: &Principal) -> Actor {
    Actor::user(p.user.id, &p.user.username)
}
