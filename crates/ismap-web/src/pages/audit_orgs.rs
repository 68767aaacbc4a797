//! The audit organization list (ISMAP監査機関リスト): public as a page,
//! CSV and JSON; the secretariat registers and renews terms. And the
//! public audit-cycle planner over a catalog.

use crate::error::Query;
use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use ismap_domain::audit::plan_cycle;
use ismap_domain::{Criteria, OrgKind};
use ismap_formats::cells::csv_safe;
use ismap_store::audit_orgs::{self, AuditOrgEntry};
use ismap_store::orgs;
use serde::Deserialize;

use crate::AppState;
use crate::audit_ops::parse_scope;
use crate::auth::Ctx;
use crate::error::parse_date;
use crate::error::{Failure, PageError};
use crate::pages::render;
use crate::policy::{Action, allows};
use crate::text::Frame;
use crate::today;

pub struct EntryRow {
    pub organization_id: i64,
    pub name: String,
    pub valid_from: String,
    pub valid_until: String,
    pub renewals: i64,
    pub valid: bool,
    /// The term's last day as stored, sent back by the renew form.
    pub until_key: String,
    pub renew_confirm: String,
}

fn rows(frame: &Frame, entries: &[AuditOrgEntry], today: NaiveDate) -> Vec<EntryRow> {
    entries
        .iter()
        .map(|e| EntryRow {
            organization_id: e.organization_id,
            name: frame.pick(&e.name, &e.name_en).to_owned(),
            valid_from: frame.day(&e.valid_from),
            valid_until: frame.day(&e.valid_until),
            until_key: e.valid_until.to_string(),
            renew_confirm: frame.tr(
                "audit-orgs-renew-confirm",
                &[
                    ("name", frame.pick(&e.name, &e.name_en).to_owned()),
                    ("until", frame.day(&e.valid_until)),
                ],
            ),
            renewals: e.renewals,
            valid: e.is_valid_on(today),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "audit_orgs.html")]
struct AuditOrgsPage {
    frame: Frame,
    entries: Vec<EntryRow>,
    can_manage: bool,
    /// Audit organizations not on the list yet (for the secretariat's form).
    unlisted: Vec<(i64, String)>,
    today: String,
}

pub async fn list(State(state): State<AppState>, ctx: Ctx) -> Result<Response, PageError> {
    let frame = Frame::new(&ctx);
    let entries = audit_orgs::list(&state.db).await?;
    let can_manage = allows(ctx.principal.as_ref(), Action::ManageAuditOrgList, None);
    let mut unlisted = Vec::new();
    if can_manage {
        for org in orgs::list(&state.db).await? {
            if org.kind == OrgKind::AuditOrg && !entries.iter().any(|e| e.organization_id == org.id)
            {
                unlisted.push((org.id, frame.pick(&org.name, &org.name_en).to_owned()));
            }
        }
    }
    render(&AuditOrgsPage {
        entries: rows(&frame, &entries, today()),
        can_manage,
        unlisted,
        today: today().to_string(),
        frame,
    })
}

/// The list as CSV (UTF-8 with BOM, so Excel opens the Japanese names);
/// names a spreadsheet could read as formulas get a leading `'`. Headers
/// and the yes/no column in the reader's language (the page's link carries
/// `?lang=`, so the address alone decides); the JSON keeps machine names.
pub async fn csv(State(state): State<AppState>, ctx: Ctx) -> Result<Response, PageError> {
    let entries = audit_orgs::list(&state.db).await?;
    let t = |id: &str| crate::text::t(ctx.lang, id);
    let mut writer = csv_writer();
    writer
        .write_record(
            [
                "audit-orgs-csv-organization",
                "audit-orgs-csv-organization-en",
                "audit-orgs-csv-valid-from",
                "audit-orgs-csv-valid-until",
                "audit-orgs-csv-renewals",
                "audit-orgs-csv-valid-today",
            ]
            .map(t),
        )
        .map_err(internal)?;
    let today = today();
    let (yes, no) = (t("audit-orgs-csv-yes"), t("audit-orgs-csv-no"));
    for e in &entries {
        writer
            .write_record([
                csv_safe(&e.name).as_ref(),
                csv_safe(&e.name_en).as_ref(),
                &e.valid_from.to_string(),
                &e.valid_until.to_string(),
                &e.renewals.to_string(),
                if e.is_valid_on(today) { &yes } else { &no },
            ])
            .map_err(internal)?;
    }
    let mut body = "\u{feff}".as_bytes().to_vec();
    body.extend(writer.into_inner().map_err(|e| internal(e.error()))?);
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"ismap-audit-organizations.csv\"",
            ),
        ],
        body,
    )
        .into_response())
}

fn csv_writer() -> csv::Writer<Vec<u8>> {
    csv::Writer::from_writer(Vec::new())
}

fn internal(e: impl std::fmt::Display) -> Failure {
    Failure::Internal(e.to_string())
}

/// The list as JSON, for programs.
pub fn entries_json(entries: &[AuditOrgEntry], today: NaiveDate) -> serde_json::Value {
    serde_json::Value::Array(
        entries
            .iter()
            .map(|e| {
                serde_json::json!({
                    "organization_id": e.organization_id,
                    "name": e.name,
                    "name_en": e.name_en,
                    "valid_from": e.valid_from.to_string(),
                    "valid_until": e.valid_until.to_string(),
                    "renewals": e.renewals,
                    "valid_today": e.is_valid_on(today),
                })
            })
            .collect(),
    )
}

#[derive(Deserialize)]
pub struct RegisterForm {
    organization_id: i64,
    valid_from: String,
}

fn require_manager(ctx: &Ctx) -> Result<ismap_store::Actor, Failure> {
    let p = ctx.require(Action::ManageAuditOrgList, None)?;
    Ok(ismap_store::Actor::user(p.user.id, &p.user.username))
}

pub async fn register(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(form): Form<RegisterForm>,
) -> Result<Response, PageError> {
    let actor = require_manager(&ctx)?;
    let from = parse_date(&form.valid_from, "valid_from")?;
    audit_orgs::register(&state.db, &actor, form.organization_id, from).await?;
    Ok(Redirect::to("/audit-organizations").into_response())
}

#[derive(Deserialize)]
pub struct RenewForm {
    /// The last day of the term the page showed; a term renewed meanwhile
    /// is not renewed twice.
    #[serde(default)]
    valid_until: Option<String>,
}

pub async fn renew(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(organization_id): Path<i64>,
    Form(form): Form<RenewForm>,
) -> Result<Response, PageError> {
    let actor = require_manager(&ctx)?;
    if let Some(seen) = form.valid_until.as_deref().map(str::trim)
        && let Some(current) = audit_orgs::latest(&state.db, organization_id).await?
        && current.valid_until.to_string() != seen
    {
        let frame = Frame::new(&ctx);
        return Err(Failure::Conflict(frame.tr(
            "audit-orgs-renew-stale",
            &[(
                "name",
                frame.pick(&current.name, &current.name_en).to_owned(),
            )],
        ))
        .into());
    }
    audit_orgs::renew(&state.db, &actor, organization_id).await?;
    Ok(Redirect::to("/audit-organizations").into_response())
}

#[derive(Deserialize)]
pub struct PlanQuery {
    #[serde(default)]
    scope: Option<String>,
    /// Text: an empty or unreadable field means the default (3 years).
    #[serde(default)]
    years: Option<String>,
}

pub struct PlanYear {
    pub number: usize,
    pub governance: usize,
    pub management: usize,
    pub measures: usize,
    pub objectives: Vec<String>,
}

#[derive(Template)]
#[template(path = "audit_plan.html")]
struct AuditPlanPage {
    frame: Frame,
    catalog_id: String,
    catalog_title: String,
    scope: String,
    years_count: u8,
    years: Vec<PlanYear>,
    uncovered: Vec<String>,
    /// ISMAP-LIU: what the external audit covers and what it leaves to the
    /// internal audit (issue 14).
    liu: Option<crate::pages::catalog::LiuPlanView>,
}

/// `/catalogs/{id}/audit-plan`: which controls each year of a cycle audits.
pub async fn plan(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(query): Query<PlanQuery>,
) -> Result<Response, PageError> {
    let catalog = state
        .catalog(&id)
        .ok_or_else(|| Failure::NotFound(format!("catalog {id}")))?;
    let years_count = query
        .years
        .as_deref()
        .and_then(|y| y.trim().parse::<u8>().ok())
        .unwrap_or(3)
        .clamp(1, 5);
    let scope_key = query
        .scope
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| "liu".into());
    let scope = parse_scope(ctx.lang, &scope_key, years_count)?;
    let plan = plan_cycle(catalog, scope);
    let frame = Frame::new(&ctx);
    let years = plan
        .years
        .iter()
        .enumerate()
        .map(|(i, year)| {
            let count = |criteria: Criteria| {
                year.iter()
                    .filter(|c| {
                        catalog
                            .get(c.number())
                            .is_some_and(|control| control.criteria() == criteria)
                    })
                    .count()
            };
            PlanYear {
                number: i + 1,
                governance: count(Criteria::Governance),
                management: count(Criteria::Management),
                measures: count(Criteria::ControlMeasures),
                objectives: year
                    .iter()
                    .filter(|c| {
                        c.level() == ismap_domain::Level::Objective
                            && catalog.get(c.number()).is_some_and(|control| {
                                control.criteria() == Criteria::ControlMeasures
                            })
                    })
                    .map(|c| c.to_string())
                    .collect(),
            }
        })
        .collect();
    render(&AuditPlanPage {
        catalog_id: id.clone(),
        catalog_title: frame
            .pick(&catalog.info().title.ja, &catalog.info().title.en)
            .to_owned(),
        scope: scope_key,
        years_count,
        years,
        uncovered: plan
            .uncovered(catalog)
            .iter()
            .map(|c| c.to_string())
            .collect(),
        liu: crate::pages::catalog::liu_plan_view(&frame, catalog, &plan),
        frame,
    })
}
