//! Audit engagements as pages: the provider asks a registered audit
//! organization to audit a frozen statement, the organization's manager
//! assigns auditors, the auditors record results and evidence per control
//! and issue the implementation result report, and the provider files its
//! improvement plan.

use std::collections::BTreeMap;

use askama::Template;
use axum::Form;
use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use ismap_domain::audit::AuditPeriod;
use ismap_domain::audit_work::{
    AuditResult, EngagementScope, EngagementStatus, ImprovementStatus, check_improvement,
};
use ismap_domain::{OrgKind, Role};
use ismap_formats::audit_report::{ReportSnapshot, to_xlsx};
use ismap_store::engagements::{self, Engagement, NewEngagement, ResultRecord};
use ismap_store::files::NewFile;
use ismap_store::{audit_orgs, improvement, services, statements, users};
use serde::Deserialize;

use crate::AppState;
use crate::audit_ops::parse_scope;
use crate::audit_ops::{self, Audited, ResultInput, actor, audited, load, parties};
use crate::auth::Ctx;
use crate::error::parse_date;
use crate::error::{Failure, PageError};
use crate::pages::render;
use crate::policy::{
    Action, EngagementAction, FileUse, Principal, allows, allows_engagement, allows_file,
};
use crate::text::Frame;
use crate::today;
use crate::uploads;

pub struct EngagementRow {
    pub id: i64,
    pub service: String,
    pub provider: String,
    pub audit_organization: String,
    pub period: String,
    pub status: String,
    pub scope: String,
}

pub fn row(frame: &Frame, e: &Engagement) -> EngagementRow {
    EngagementRow {
        id: e.id,
        service: e.service_name.clone(),
        provider: e.csp_name.clone(),
        audit_organization: e.audit_organization_name.clone(),
        period: format!("{} – {}", e.period_start, e.period_end),
        status: frame.t(&format!("web-engagement-{}", e.status.key())),
        scope: scope_label(frame, e),
    }
}

fn scope_label(frame: &Frame, e: &Engagement) -> String {
    let name = frame.t(&format!("web-scope-{}", e.scope));
    if e.scope == "full" {
        name
    } else {
        format!("{name} ({}/{})", e.cycle_year, e.cycle_years)
    }
}

/// The engagements a person can see: the provider's, the audit
/// organization's for its manager, the assigned ones for an auditor.
pub async fn visible(state: &AppState, p: &Principal) -> Result<Vec<Engagement>, Failure> {
    if !matches!(p.organization.kind, OrgKind::Csp | OrgKind::AuditOrg) {
        return Ok(Vec::new());
    }
    Ok(
        engagements::list_for_organization(&state.db, p.organization.id)
            .await?
            .into_iter()
            .filter(|e| allows_engagement(Some(p), EngagementAction::View, parties(e, Some(p))))
            .collect(),
    )
}

#[derive(Template)]
#[template(path = "engagements.html")]
struct EngagementsPage {
    frame: Frame,
    engagements: Vec<EngagementRow>,
    can_create: bool,
}

pub async fn list(State(state): State<AppState>, ctx: Ctx) -> Result<Response, PageError> {
    let p = ctx.principal.as_ref().ok_or(Failure::NotSignedIn)?;
    if !matches!(p.organization.kind, OrgKind::Csp | OrgKind::AuditOrg) {
        return Err(Failure::Forbidden.into());
    }
    let frame = Frame::new(&ctx);
    let rows = visible(&state, p)
        .await?
        .iter()
        .map(|e| row(&frame, e))
        .collect();
    render(&EngagementsPage {
        engagements: rows,
        can_create: allows(Some(p), Action::RequestEngagement, Some(p.organization.id)),
        frame,
    })
}

#[derive(Template)]
#[template(path = "engagement_new.html")]
struct NewEngagementPage {
    frame: Frame,
    /// (statement id, "service — statement n (revision r)") of frozen statements.
    statements: Vec<(i64, String)>,
    /// (organization id, name, term) of organizations registered today.
    audit_orgs: Vec<(i64, String, String)>,
    error: Option<String>,
}

fn own_csp_admin(ctx: &Ctx) -> Result<&Principal, Failure> {
    let own = ctx.principal.as_ref().map(|p| p.organization.id);
    ctx.require(Action::RequestEngagement, own)
}

async fn new_page(
    state: &AppState,
    ctx: &Ctx,
    p: &Principal,
    error: Option<String>,
) -> Result<Response, PageError> {
    let frame = Frame::new(ctx);
    let mut frozen = Vec::new();
    for service in services::list(&state.db, Some(p.organization.id)).await? {
        for s in statements::of_service(&state.db, service.id).await? {
            if s.status == "frozen" {
                frozen.push((
                    s.id,
                    format!(
                        "{} — #{} (rev. {}, {})",
                        service.name, s.id, s.latest_revision, s.catalog_id
                    ),
                ));
            }
        }
    }
    let today = today();
    let audit_orgs = audit_orgs::list(&state.db)
        .await?
        .into_iter()
        .filter(|e| e.is_valid_on(today))
        .map(|e| {
            (
                e.organization_id,
                frame.pick(&e.name, &e.name_en).to_owned(),
                format!("{} – {}", e.valid_from, e.valid_until),
            )
        })
        .collect();
    let mut response = render(&NewEngagementPage {
        frame,
        statements: frozen,
        audit_orgs,
        error: error.clone(),
    })?;
    if error.is_some() {
        *response.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(response)
}

pub async fn new_form(State(state): State<AppState>, ctx: Ctx) -> Result<Response, PageError> {
    let p = own_csp_admin(&ctx)?;
    new_page(&state, &ctx, p, None).await
}

#[derive(Deserialize)]
pub struct NewEngagementForm {
    statement_id: i64,
    audit_organization_id: i64,
    period_start: String,
    period_end: String,
    scope: String,
    #[serde(default)]
    cycle_years: Option<u8>,
    #[serde(default)]
    cycle_year: Option<u8>,
}

pub async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(form): Form<NewEngagementForm>,
) -> Result<Response, PageError> {
    let p = own_csp_admin(&ctx)?;
    match create_engagement(&state, p, &form).await {
        Ok(engagement) => {
            Ok(Redirect::to(&format!("/engagements/{}", engagement.id)).into_response())
        }
        Err(Failure::Invalid { message, .. } | Failure::Conflict(message)) => {
            new_page(&state, &ctx, p, Some(message)).await
        }
        Err(other) => Err(other.into()),
    }
}

async fn create_engagement(
    state: &AppState,
    p: &Principal,
    form: &NewEngagementForm,
) -> Result<Engagement, Failure> {
    let statement = statements::get(&state.db, form.statement_id).await?;
    // Another provider's statement: as if there were none (policy::hidden).
    crate::policy::require_visible(
        Some(p),
        |p| {
            allows(
                Some(p),
                Action::ViewStatement,
                Some(statement.organization_id),
            )
        },
        "statement",
        form.statement_id,
    )?;
    if statement.status != "frozen" {
        return Err(Failure::Conflict(format!(
            "statement {} is a draft; freeze it before it is audited",
            statement.id
        )));
    }
    let registered = audit_orgs::latest(&state.db, form.audit_organization_id)
        .await?
        .filter(|e| e.is_valid_on(today()))
        .ok_or_else(|| Failure::Invalid {
            field: "audit_organization_id".into(),
            message: "choose an audit organization whose registration is valid today".into(),
        })?;
    let period = AuditPeriod::new(
        parse_date(&form.period_start, "period_start")?,
        parse_date(&form.period_end, "period_end")?,
    )
    .map_err(|e| Failure::Invalid {
        field: "period_end".into(),
        message: e.to_string(),
    })?;
    let years = form.cycle_years.unwrap_or(1);
    let scope = EngagementScope::new(
        parse_scope(&form.scope, years)?,
        form.cycle_year.unwrap_or(1),
    )
    .map_err(|e| Failure::Invalid {
        field: "cycle_year".into(),
        message: e.to_string(),
    })?;
    let (cycle_years, cycle_year) = if form.scope == "full" {
        (1, 1)
    } else {
        (i64::from(years), i64::from(scope.year))
    };
    Ok(engagements::create(
        &state.db,
        &actor(Some(p))?,
        NewEngagement {
            statement_id: statement.id,
            revision: statement.latest_revision,
            csp_organization_id: p.organization.id,
            audit_organization_id: registered.organization_id,
            period_start: period.start(),
            period_end: period.end(),
            scope: &form.scope,
            cycle_years,
            cycle_year,
        },
    )
    .await?)
}

pub struct AuditRow {
    pub control: String,
    pub anchor: String,
    pub title: String,
    pub decision: String,
    pub result: Option<ResultView>,
}

pub struct ResultView {
    pub key: String,
    pub label: String,
    pub class: &'static str,
    pub performed: String,
    pub finding: String,
    pub samples: String,
    pub recorded: String,
}

fn result_view(frame: &Frame, r: &ResultRecord) -> ResultView {
    ResultView {
        key: r.result.key().to_owned(),
        label: frame.t(&format!("web-result-{}", r.result.key())),
        class: match r.result {
            AuditResult::Conforming => "badge badge-ok",
            AuditResult::Deficiency => "badge badge-error",
            AuditResult::NotTested => "badge badge-warning",
        },
        performed: r.performed.clone(),
        finding: r.finding.clone(),
        samples: r.samples.clone(),
        recorded: format!("{} {}", r.recorded_by, r.recorded_at),
    }
}

pub struct EvidenceView {
    pub control: String,
    pub note: String,
    pub file_id: i64,
    pub file_name: String,
    pub size: i64,
    pub sha256: String,
    pub erased: bool,
}

pub struct ReportLink {
    pub issue: i64,
    pub issued_at: String,
    pub reason: String,
}

pub struct DeficiencyView {
    pub control: String,
    pub title: String,
    pub finding: String,
}

pub struct ImprovementView {
    pub id: i64,
    pub control: String,
    pub measure: String,
    pub due_date: String,
    pub status: String,
    pub status_key: String,
}

#[derive(Template)]
#[template(path = "engagement.html")]
pub struct EngagementPage {
    pub frame: Frame,
    pub e: EngagementRow,
    pub engagement_id: i64,
    pub statement_id: i64,
    pub revision: i64,
    pub auditors: Vec<String>,
    pub candidates: Vec<(i64, String)>,
    pub can_assign: bool,
    pub can_audit: bool,
    pub can_improve: bool,
    pub sees_evidence: bool,
    pub rows: Vec<AuditRow>,
    pub recorded: usize,
    pub evidence: Vec<EvidenceView>,
    pub reports: Vec<ReportLink>,
    pub deficiencies: Vec<DeficiencyView>,
    pub improvements: Vec<ImprovementView>,
    pub latest_report: Option<i64>,
    pub today: String,
}

impl AuditRow {
    pub fn has_result(&self, key: &str) -> bool {
        self.result.as_ref().is_some_and(|r| r.key == key)
    }
}

/// What a row of the audit table needs from its page (the engagement page
/// has the same fields, so the row template serves both).
struct RowPage {
    frame: Frame,
    engagement_id: i64,
    can_audit: bool,
}

/// A row of the audit table on its own, as htmx swaps it after a save.
#[derive(Template)]
#[template(path = "audit_row.html")]
struct AuditRowFragment {
    page: RowPage,
    row: AuditRow,
}

/// One control's row: title, the statement's decision, the current result.
fn audit_row(
    frame: &Frame,
    audited: &Audited<'_>,
    id: &ismap_domain::ControlId,
    result: Option<&ResultRecord>,
) -> AuditRow {
    let control = audited.catalog.get(id.number());
    let text = id.to_string();
    AuditRow {
        anchor: format!("c-{}", text.replace('.', "-")),
        title: control
            .map(|c| frame.pick(&c.title.ja, &c.title.en).to_owned())
            .unwrap_or_default(),
        decision: audited
            .statement
            .controls
            .get(&id.number())
            .and_then(|d| d.decision)
            .map(|d| frame.t(&format!("web-decision-{}", d.key().replace('_', "-"))))
            .unwrap_or_default(),
        result: result.map(|r| result_view(frame, r)),
        control: text,
    }
}

async fn engagement_page(
    state: &AppState,
    ctx: &Ctx,
    engagement: &Engagement,
) -> Result<EngagementPage, Failure> {
    let p = ctx.principal.as_ref();
    let frame = Frame::new(ctx);
    let parties = parties(engagement, p);
    let audited = audited(state, engagement).await?;
    let results = engagements::current_results(&state.db, engagement.id).await?;
    let rows: Vec<AuditRow> = audited
        .controls
        .iter()
        .map(|id| audit_row(&frame, &audited, id, results.get(&id.to_string())))
        .collect();
    let recorded = rows.iter().filter(|r| r.result.is_some()).count();
    let can_assign = allows_engagement(p, EngagementAction::AssignAuditors, parties);
    let sees_evidence = p.is_some_and(|p| {
        allows_file(
            Some(p),
            engagement.audit_organization_id,
            FileUse::AuditEvidence(parties),
        )
    });
    let evidence = if sees_evidence {
        engagements::evidence(&state.db, engagement.id)
            .await?
            .into_iter()
            .map(|l| EvidenceView {
                control: l.control_id,
                note: l.note,
                file_id: l.file.id,
                file_name: l.file.file_name,
                size: l.file.size,
                sha256: l.file.sha256,
                erased: l.file.erased,
            })
            .collect()
    } else {
        Vec::new()
    };
    let candidates = if can_assign {
        users::with_role(&state.db, engagement.audit_organization_id, Role::Auditor)
            .await?
            .into_iter()
            .filter(|u| !engagement.is_assigned(u.id))
            .map(|u| (u.id, u.display_name))
            .collect()
    } else {
        Vec::new()
    };
    let reports = engagements::reports(&state.db, engagement.id).await?;
    let latest = reports.last();
    let deficiencies = match latest {
        Some(report) => snapshot_of(report)?
            .rows
            .into_iter()
            .filter(|r| r.result() == Some(AuditResult::Deficiency))
            .map(|r| DeficiencyView {
                title: frame.pick(&r.title_ja, &r.title_en).to_owned(),
                control: r.control,
                finding: r.finding,
            })
            .collect(),
        None => Vec::new(),
    };
    let improvements = improvement::items(&state.db, engagement.id)
        .await?
        .into_iter()
        .map(|i| ImprovementView {
            id: i.id,
            control: i.control_id,
            measure: i.measure,
            due_date: i.due_date.to_string(),
            status: frame.t(&format!("web-improvement-{}", i.status.key())),
            status_key: i.status.key().to_owned(),
        })
        .collect();
    Ok(EngagementPage {
        e: row(&frame, engagement),
        engagement_id: engagement.id,
        statement_id: engagement.statement_id,
        revision: engagement.revision,
        auditors: engagement.auditors.iter().map(|(_, n)| n.clone()).collect(),
        candidates,
        can_assign,
        can_audit: allows_engagement(p, EngagementAction::Audit, parties),
        can_improve: allows_engagement(p, EngagementAction::Improve, parties),
        sees_evidence,
        rows,
        recorded,
        evidence,
        latest_report: latest.map(|r| r.issue),
        reports: reports
            .iter()
            .map(|r| ReportLink {
                issue: r.issue,
                issued_at: r.issued_at.clone(),
                reason: r.reason.clone(),
            })
            .collect(),
        deficiencies,
        improvements,
        today: today().to_string(),
        frame,
    })
}

pub fn snapshot_of(report: &engagements::Report) -> Result<ReportSnapshot, Failure> {
    serde_json::from_value(report.content.clone())
        .map_err(|e| Failure::Internal(format!("report {}: {e}", report.id)))
}

pub async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let engagement = load(&state, ctx.principal.as_ref(), id, EngagementAction::View).await?;
    render(&engagement_page(&state, &ctx, &engagement).await?)
}

#[derive(Deserialize)]
pub struct AssignForm {
    user_id: i64,
}

pub async fn assign(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(form): Form<AssignForm>,
) -> Result<Response, PageError> {
    let p = ctx.principal.as_ref();
    let engagement = load(&state, p, id, EngagementAction::AssignAuditors).await?;
    let auditors =
        users::with_role(&state.db, engagement.audit_organization_id, Role::Auditor).await?;
    if !auditors.iter().any(|u| u.id == form.user_id) {
        return Err(Failure::Invalid {
            field: "user_id".into(),
            message: "choose an auditor of this audit organization".into(),
        }
        .into());
    }
    engagements::assign_auditor(&state.db, &actor(p)?, &engagement, form.user_id).await?;
    Ok(Redirect::to(&format!("/engagements/{id}")).into_response())
}

pub fn is_htmx(headers: &HeaderMap) -> bool {
    headers.contains_key("hx-request")
}

pub async fn record_result(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path((id, control)): Path<(i64, String)>,
    Form(input): Form<ResultInput>,
) -> Result<Response, PageError> {
    let p = ctx.principal.as_ref();
    let engagement = load(&state, p, id, EngagementAction::Audit).await?;
    let audited = audited(&state, &engagement).await?;
    let saved =
        audit_ops::record(&state, &actor(p)?, &engagement, &audited, &control, &input).await?;
    if !is_htmx(&headers) {
        let anchor = saved.control_id.replace('.', "-");
        return Ok(Redirect::to(&format!("/engagements/{id}#c-{anchor}")).into_response());
    }
    // Only the saved row goes back: the rest of the page has not changed.
    let id = audited
        .controls
        .iter()
        .find(|c| c.to_string() == saved.control_id)
        .ok_or_else(|| Failure::Internal("the saved control left the scope".into()))?;
    let frame = Frame::new(&ctx);
    let row = audit_row(&frame, &audited, id, Some(&saved));
    render(&AuditRowFragment {
        page: RowPage {
            frame,
            engagement_id: engagement.id,
            // The save itself was allowed only to an assigned auditor.
            can_audit: true,
        },
        row,
    })
}

pub async fn add_evidence(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(id): Path<i64>,
    multipart: Multipart,
) -> Result<Response, PageError> {
    let p = ctx.principal.as_ref();
    let engagement = load(&state, p, id, EngagementAction::Audit).await?;
    let master = uploads::master_key(&state)?;
    let upload = uploads::read(multipart, state.config.max_upload_bytes).await?;
    let audited = audited(&state, &engagement).await?;
    let control = crate::error::parse_control(upload.text("control"), "control")?;
    if !audited
        .controls
        .iter()
        .any(|c| c.number() == control.number())
    {
        return Err(Failure::Invalid {
            field: "control".into(),
            message: format!("{control} is not in the scope of this engagement"),
        }
        .into());
    }
    let (file_name, declared, bytes) = upload.file().ok_or_else(|| Failure::Invalid {
        field: "file".into(),
        message: "choose a file".into(),
    })?;
    let content_type = uploads::check(
        "file",
        file_name,
        declared,
        bytes,
        state.config.max_upload_bytes,
    )?;
    engagements::add_evidence(
        &state.db,
        master,
        &actor(p)?,
        &engagement,
        &control.to_string(),
        upload.text("note").trim(),
        NewFile {
            organization_id: engagement.audit_organization_id,
            file_name,
            content_type: &content_type,
            bytes,
        },
    )
    .await?;
    Ok(see_other(&headers, &format!("/engagements/{id}#evidence")))
}

/// After a form: htmx follows `HX-Redirect`, a plain form a 303.
pub fn see_other(headers: &HeaderMap, to: &str) -> Response {
    if is_htmx(headers) {
        ([("hx-redirect", to.to_owned())], "").into_response()
    } else {
        Redirect::to(to).into_response()
    }
}

#[derive(Deserialize)]
pub struct IssueForm {
    #[serde(default)]
    reason: String,
}

pub async fn issue_report(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(form): Form<IssueForm>,
) -> Result<Response, PageError> {
    let p = ctx.principal.as_ref();
    let engagement = load(&state, p, id, EngagementAction::IssueReport).await?;
    let audited = audited(&state, &engagement).await?;
    let results = engagements::current_results(&state.db, engagement.id).await?;
    let snapshot = audit_ops::snapshot(&engagement, &audited, &results)?;
    let content = serde_json::to_value(&snapshot).map_err(|e| Failure::Internal(e.to_string()))?;
    let report = engagements::issue_report(
        &state.db,
        &actor(p)?,
        &engagement,
        &content,
        form.reason.trim(),
    )
    .await?;
    Ok(Redirect::to(&format!("/engagements/{id}/reports/{}", report.issue)).into_response())
}

#[derive(Template)]
#[template(path = "report.html")]
struct ReportPage {
    frame: Frame,
    engagement_id: i64,
    issue: i64,
    issued_at: String,
    reason: String,
    report: ReportSnapshot,
    scope: String,
    later_issue: Option<i64>,
}

impl ReportPage {
    fn result_label(&self, key: &str) -> String {
        if key.is_empty() {
            String::new()
        } else {
            self.frame.t(&format!("web-result-{key}"))
        }
    }
}

async fn issued(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    issue: i64,
) -> Result<(Engagement, engagements::Report, ReportSnapshot), Failure> {
    let engagement = load(state, ctx.principal.as_ref(), id, EngagementAction::View).await?;
    let report = engagements::report(&state.db, id, issue).await?;
    let snapshot = snapshot_of(&report)?;
    Ok((engagement, report, snapshot))
}

pub async fn show_report(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, issue)): Path<(i64, i64)>,
) -> Result<Response, PageError> {
    let (engagement, report, snapshot) = issued(&state, &ctx, id, issue).await?;
    let later = engagements::reports(&state.db, id)
        .await?
        .last()
        .map(|r| r.issue)
        .filter(|&latest| latest > issue);
    let frame = Frame::new(&ctx);
    render(&ReportPage {
        scope: scope_label(&frame, &engagement),
        engagement_id: id,
        issue,
        issued_at: report.issued_at,
        reason: report.reason,
        report: snapshot,
        later_issue: later,
        frame,
    })
}

pub async fn report_xlsx(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, issue)): Path<(i64, i64)>,
) -> Result<Response, PageError> {
    let (_, report, snapshot) = issued(&state, &ctx, id, issue).await?;
    let bytes = to_xlsx(&snapshot, issue, &report.issued_at)
        .map_err(|e| Failure::Internal(format!("report workbook: {e}")))?;
    Ok(xlsx_download(
        bytes,
        &format!("ismap-report-{id}-{issue}.xlsx"),
    ))
}

/// A workbook as a download.
pub fn xlsx_download(bytes: Vec<u8>, file_name: &str) -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_owned(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file_name}\""),
            ),
        ],
        bytes,
    )
        .into_response()
}

fn json_download(value: &serde_json::Value, file_name: &str) -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/json".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file_name}\""),
            ),
        ],
        value.to_string(),
    )
        .into_response()
}

/// The issued report as OSCAL assessment-results.
pub async fn report_oscal(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, issue)): Path<(i64, i64)>,
) -> Result<Response, PageError> {
    let (_, report, snapshot) = issued(&state, &ctx, id, issue).await?;
    let document = ismap_formats::oscal_assessment::report_to_assessment_results(
        &snapshot,
        issue,
        &report.issued_at,
    );
    Ok(json_download(
        &document,
        &format!("ismap-assessment-results-{id}-{issue}.json"),
    ))
}

/// The improvement plan as an OSCAL POA&M, against the latest issued report.
pub async fn improvements_oscal(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    load(&state, ctx.principal.as_ref(), id, EngagementAction::View).await?;
    let reports = engagements::reports(&state.db, id).await?;
    let report = reports
        .last()
        .ok_or_else(|| Failure::Conflict("no report has been issued yet".into()))?;
    let items = improvement::items(&state.db, id).await?;
    if items.is_empty() {
        return Err(Failure::Conflict("the improvement plan has no measure yet".into()).into());
    }
    let due: Vec<String> = items.iter().map(|i| i.due_date.to_string()).collect();
    let plan: Vec<ismap_formats::oscal_assessment::PlanItem<'_>> = items
        .iter()
        .zip(&due)
        .map(|(i, due)| ismap_formats::oscal_assessment::PlanItem {
            id: i.id,
            control: &i.control_id,
            measure: &i.measure,
            due_date: due,
            status: i.status.key(),
        })
        .collect();
    let last_modified = items
        .iter()
        .map(|i| i.updated_at.as_str())
        .max()
        .unwrap_or(&report.issued_at);
    let document =
        ismap_formats::oscal_assessment::plan_to_poam(&snapshot_of(report)?, &plan, last_modified);
    Ok(json_download(&document, &format!("ismap-poam-{id}.json")))
}

#[derive(Deserialize)]
pub struct ImprovementForm {
    control: String,
    measure: String,
    due_date: String,
}

pub async fn add_improvement(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(form): Form<ImprovementForm>,
) -> Result<Response, PageError> {
    let p = ctx.principal.as_ref();
    let engagement = load(&state, p, id, EngagementAction::Improve).await?;
    let reports = engagements::reports(&state.db, id).await?;
    let report = reports.last().ok_or_else(|| {
        Failure::Conflict("an improvement plan answers an issued report; none is issued yet".into())
    })?;
    let snapshot = snapshot_of(report)?;
    let control = crate::error::parse_control(&form.control, "control")?;
    let row = snapshot.rows.iter().find(|r| {
        r.control
            .parse::<ismap_domain::ControlId>()
            .is_ok_and(|c| c.number() == control.number())
    });
    let due = parse_date(&form.due_date, "due_date")?;
    let issued_on = parse_date(report.issued_at.get(..10).unwrap_or(""), "issued_at")?;
    check_improvement(
        control,
        row.and_then(|r| r.result()),
        &form.measure,
        due,
        issued_on,
    )
    .map_err(|e| Failure::Invalid {
        field: "measure".into(),
        message: e.to_string(),
    })?;
    improvement::add(
        &state.db,
        &actor(p)?,
        &engagement,
        improvement::NewItem {
            report_id: report.id,
            control_id: &row.map_or(control.to_string(), |r| r.control.clone()),
            measure: form.measure.trim(),
            due_date: due,
        },
    )
    .await?;
    Ok(Redirect::to(&format!("/engagements/{id}#improvement")).into_response())
}

#[derive(Deserialize)]
pub struct StatusForm {
    status: String,
    #[serde(default)]
    reason: String,
}

pub async fn improvement_status(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(item_id): Path<i64>,
    Form(form): Form<StatusForm>,
) -> Result<Response, PageError> {
    let p = Some(crate::policy::signed_in(ctx.principal.as_ref())?);
    let item = improvement::get(&state.db, item_id).await?;
    // Not a party to its engagement: as if the measure did not exist.
    let engagement = load(&state, p, item.engagement_id, EngagementAction::Improve)
        .await
        .map_err(|e| match e {
            Failure::NotFound(_) => crate::policy::hidden("improvement measure", item_id),
            other => other,
        })?;
    let status = ImprovementStatus::from_key(&form.status).ok_or_else(|| Failure::Invalid {
        field: "status".into(),
        message: format!("{:?}: choose open, in_progress or completed", form.status),
    })?;
    improvement::set_status(
        &state.db,
        &actor(p)?,
        &engagement,
        &item,
        status,
        form.reason.trim(),
    )
    .await?;
    Ok(Redirect::to(&format!("/engagements/{}#improvement", engagement.id)).into_response())
}

/// Engagement counts for a dashboard: (waiting for auditors, in progress, reported).
pub fn status_counts(engagements: &[Engagement]) -> BTreeMap<&'static str, usize> {
    let mut counts = BTreeMap::new();
    for status in EngagementStatus::ALL {
        counts.insert(
            status.key(),
            engagements.iter().filter(|e| e.status == status).count(),
        );
    }
    counts
}
