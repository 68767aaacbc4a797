//! Applications for registration (spec §5): the provider files the package,
//! IPA checks and reviews it with questions, the committee decides, and a
//! decision to register puts the service on its list (spec §6).

use askama::Template;
use axum::Form;
use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use ismap_domain::audit_work::AuditResult;
use ismap_domain::registration::ListKind;
use ismap_domain::review::{ApplicationState, Transition, available, check_transition};
use ismap_domain::validity::validity_period;
use ismap_domain::{Decision, Level, ServiceModel, Statement};
use ismap_formats::report::check_statement;
use ismap_formats::statement_file::parse_statement;
use ismap_store::applications::{self, Application, NewApplication};
use ismap_store::files::NewFile;
use ismap_store::registrations::{self, NewRegistration};
use ismap_store::{engagements, improvement, orgs, services, statements};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::AppState;
use crate::audit_ops::actor;
use crate::auth::Ctx;
use crate::error::parse_date;
use crate::error::{Failure, PageError};
use crate::pages::engagements::{is_htmx, see_other, snapshot_of, xlsx_download};
use crate::pages::render;
use crate::policy::{Action, Principal, allows};
use crate::text::Frame;
use crate::today;
use crate::uploads;

/// The application form's own data (登録申請書), kept with the application
/// and, for the public fields, copied to the registration.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ApplicationForm {
    pub service_name_en: String,
    pub provider_address: String,
    pub representative: String,
    pub contact: String,
    pub service_url: String,
    /// 後発事象: events after the audit period that matter to procurers.
    pub subsequent_events: String,
    pub capital_and_officers: String,
    pub foreign_law_exposure: String,
    pub governing_law: String,
    pub third_party_tests: String,
    pub regions: String,
}

impl ApplicationForm {
    const FIELDS: [&'static str; 11] = [
        "service_name_en",
        "provider_address",
        "representative",
        "contact",
        "service_url",
        "subsequent_events",
        "capital_and_officers",
        "foreign_law_exposure",
        "governing_law",
        "third_party_tests",
        "regions",
    ];
    /// Required on every application; the rest may say "none".
    const REQUIRED: [&'static str; 4] = [
        "provider_address",
        "representative",
        "contact",
        "service_url",
    ];

    fn from_upload(
        upload: &uploads::Upload,
        lang: ismap_i18n::Lang,
    ) -> Result<ApplicationForm, Failure> {
        for field in ApplicationForm::REQUIRED {
            if upload.text(field).trim().is_empty() {
                return Err(Failure::Invalid {
                    field: field.into(),
                    message: format!("{field} is required"),
                });
            }
        }
        crate::links::check_web_url(upload.text("service_url").trim())
            .map_err(|p| crate::links::field_error(lang, "service_url", &p, false))?;
        let mut map = serde_json::Map::new();
        for field in ApplicationForm::FIELDS {
            map.insert(field.into(), json!(upload.text(field).trim()));
        }
        serde_json::from_value(Value::Object(map)).map_err(|e| Failure::Internal(e.to_string()))
    }
}

pub struct ApplicationRow {
    pub id: i64,
    pub service: String,
    pub provider: String,
    pub list: String,
    pub state: String,
    /// The state's key: a move's form sends it back as the state it was made from.
    pub state_key: String,
    pub submitted: String,
    /// Days since the last move, for the review queue.
    pub age_days: i64,
    pub with_reviewer: bool,
}

fn age_days(since: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(since)
        .map(|t| (chrono::Utc::now() - t.with_timezone(&chrono::Utc)).num_days())
        .unwrap_or(0)
}

pub fn application_row(frame: &Frame, a: &Application) -> ApplicationRow {
    ApplicationRow {
        id: a.id,
        service: a.service_name.clone(),
        provider: a.organization_name.clone(),
        list: frame.t(&format!("web-list-{}", a.list.key())),
        state: frame.t(&format!("web-app-state-{}", a.state.key())),
        state_key: a.state.key().to_owned(),
        submitted: a.submitted_at.get(..10).unwrap_or("").to_owned(),
        age_days: age_days(&a.updated_at),
        with_reviewer: a.state.is_with_reviewer(),
    }
}

/// The applications a person may see: the provider's own, all for the
/// reviewing bodies.
pub async fn visible(state: &AppState, p: &Principal) -> Result<Vec<Application>, Failure> {
    if !allows(Some(p), Action::ListApplications, None) {
        return Ok(Vec::new());
    }
    let scope = (p.organization.kind == ismap_domain::OrgKind::Csp).then_some(p.organization.id);
    Ok(applications::list(&state.db, scope).await?)
}

#[derive(Template)]
#[template(path = "applications.html")]
struct ApplicationsPage {
    frame: Frame,
    applications: Vec<ApplicationRow>,
}

pub async fn list(State(state): State<AppState>, ctx: Ctx) -> Result<Response, PageError> {
    let p = ctx.require(Action::ListApplications, None)?;
    let frame = Frame::new(&ctx);
    let mut rows: Vec<ApplicationRow> = visible(&state, p)
        .await?
        .iter()
        .map(|a| application_row(&frame, a))
        .collect();
    // IPA works oldest first.
    if p.has(ismap_domain::Role::Reviewer) {
        rows.sort_by_key(|r| (!r.with_reviewer, -r.age_days));
    }
    render(&ApplicationsPage {
        applications: rows,
        frame,
    })
}

/// What can be applied with: an engagement of the service with an issued report.
pub struct ReportChoice {
    pub engagement: i64,
    pub label: String,
}

#[derive(Template)]
#[template(path = "application_new.html")]
struct NewApplicationPage {
    frame: Frame,
    service_id: i64,
    service_name: String,
    is_saas: bool,
    renewal_of: Option<String>,
    reports: Vec<ReportChoice>,
    error: Option<String>,
    /// What was typed into the form, shown again with a refusal.
    typed: std::collections::HashMap<String, String>,
}

impl NewApplicationPage {
    fn typed(&self, field: &str) -> &str {
        self.typed.get(field).map_or("", String::as_str)
    }
}

async fn new_page(
    state: &AppState,
    ctx: &Ctx,
    service_id: i64,
    error: Option<String>,
    typed: Option<&uploads::Upload>,
) -> Result<Response, PageError> {
    let service = visible_service(state, ctx, service_id).await?;
    ctx.require(Action::SubmitApplication, Some(service.organization_id))?;
    let frame = Frame::new(ctx);
    let mut reports = Vec::new();
    for e in engagements::list_for_organization(&state.db, service.organization_id).await? {
        if e.service_id != service.id {
            continue;
        }
        if let Some(report) = engagements::reports(&state.db, e.id).await?.last() {
            reports.push(ReportChoice {
                engagement: e.id,
                label: format!(
                    "#{} — {} {} (rev. {}), {} {}: {} – {}",
                    e.id,
                    frame.t("web-statement"),
                    e.statement_id,
                    e.revision,
                    frame.t("web-report-issue"),
                    report.issue,
                    e.period_start,
                    e.period_end
                ),
            });
        }
    }
    let renewal_of = registrations::of_service(&state.db, service.id)
        .await?
        .into_iter()
        .rfind(|r| !r.superseded)
        .map(|r| r.number);
    let mut response = render(&NewApplicationPage {
        frame,
        service_id,
        is_saas: service.model == ServiceModel::SaaS,
        service_name: service.name,
        renewal_of,
        reports,
        error: error.clone(),
        typed: typed.map(|u| u.fields.clone()).unwrap_or_default(),
    })?;
    if error.is_some() {
        *response.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(response)
}

pub async fn new_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(service_id): Path<i64>,
) -> Result<Response, PageError> {
    new_page(&state, &ctx, service_id, None, None).await
}

/// The statement as submitted, parsed.
async fn submitted_statement(
    state: &AppState,
    statement_id: i64,
    revision: i64,
) -> Result<ismap_formats::statement_file::ParsedStatement, Failure> {
    let stored = statements::revision_at(&state.db, statement_id, revision).await?;
    parse_statement(
        &format!("statement {statement_id} revision {revision}"),
        &stored.content,
    )
    .map_err(|e| Failure::Internal(e.to_string()))
}

pub async fn submit(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(service_id): Path<i64>,
    multipart: Multipart,
) -> Result<Response, PageError> {
    let service = visible_service(&state, &ctx, service_id).await?;
    let p = ctx.require(Action::SubmitApplication, Some(service.organization_id))?;
    let upload = uploads::read(multipart, state.config.max_upload_bytes).await?;
    match submit_package(&state, p, &service, &upload, ctx.lang).await {
        Ok(application) => Ok(see_other(
            &headers,
            &format!("/applications/{}", application.id),
        )),
        Err(Failure::Invalid { message, .. } | Failure::Conflict(message))
            if !is_htmx(&headers) =>
        {
            new_page(&state, &ctx, service_id, Some(message), Some(&upload)).await
        }
        Err(other) => Err(other.into()),
    }
}

async fn submit_package(
    state: &AppState,
    p: &Principal,
    service: &services::Service,
    upload: &uploads::Upload,
    lang: ismap_i18n::Lang,
) -> Result<Application, Failure> {
    let list = ListKind::from_key(upload.text("list")).ok_or_else(|| Failure::Invalid {
        field: "list".into(),
        message: "choose the ISMAP list or the ISMAP-LIU list".into(),
    })?;
    if list == ListKind::Liu && service.model != ServiceModel::SaaS {
        return Err(Failure::Invalid {
            field: "list".into(),
            message: "ISMAP-LIU is for SaaS only (spec §7)".into(),
        });
    }
    let engagement_id: i64 = upload
        .text("engagement")
        .parse()
        .map_err(|_| Failure::Invalid {
            field: "engagement".into(),
            message: "choose the audit whose report you apply with".into(),
        })?;
    let engagement = engagements::get(&state.db, engagement_id).await?;
    crate::policy::require_visible(
        Some(p),
        |p| {
            crate::policy::allows_engagement(
                Some(p),
                crate::policy::EngagementAction::View,
                crate::audit_ops::parties(&engagement, Some(p)),
            )
        },
        "engagement",
        engagement_id,
    )?;
    if engagement.service_id != service.id {
        return Err(Failure::Invalid {
            field: "engagement".into(),
            message: format!("engagement {engagement_id} audited another service"),
        });
    }
    let report = engagements::reports(&state.db, engagement.id)
        .await?
        .pop()
        .ok_or_else(|| Failure::Conflict("the audit has no issued report yet".into()))?;
    let form = ApplicationForm::from_upload(upload, lang)?;
    // The statement as audited must still pass every rule (spec §5: the
    // review checks what the audit does not).
    let parsed = submitted_statement(state, engagement.statement_id, engagement.revision).await?;
    let catalogs: Vec<_> = state.catalogs.iter().collect();
    let registry = crate::registry_cache::current(state).await?;
    let check = check_statement(&parsed, &catalogs, Some(&registry));
    if check.errors() > 0 {
        let rules: Vec<String> = check
            .findings
            .iter()
            .filter(|f| f.finding.severity == ismap_domain::Severity::Error)
            .take(5)
            .map(|f| {
                format!(
                    "{} {}",
                    f.finding.rule.as_str(),
                    f.finding.control.map(|c| c.to_string()).unwrap_or_default()
                )
            })
            .collect();
        return Err(Failure::Conflict(format!(
            "the statement has {} errors ({}); correct it, have it audited and apply again",
            check.errors(),
            rules.join(", ")
        )));
    }
    let snapshot = snapshot_of(&report)?;
    let planned: Vec<String> = improvement::items(&state.db, engagement.id)
        .await?
        .into_iter()
        .map(|i| i.control_id)
        .collect();
    let unplanned: Vec<&str> = snapshot
        .rows
        .iter()
        .filter(|r| r.result() == Some(AuditResult::Deficiency))
        .map(|r| r.control.as_str())
        .filter(|c| !planned.iter().any(|p| p == c))
        .collect();
    if !unplanned.is_empty() {
        return Err(Failure::Conflict(format!(
            "deficiencies without an improvement measure: {}; file the improvement plan first",
            unplanned.join(", ")
        )));
    }
    if applications::list(&state.db, Some(service.organization_id))
        .await?
        .iter()
        .any(|a| a.service_id == service.id && !a.state.is_final())
    {
        return Err(Failure::Conflict(
            "this service already has an application under review".into(),
        ));
    }
    if !upload.files.contains_key("management_letter") {
        return Err(Failure::Invalid {
            field: "management_letter".into(),
            message: "attach the management representation letter (経営者確認書)".into(),
        });
    }
    let master = uploads::master_key(state)?;
    let mut checked = Vec::new();
    for (field, kind) in [
        ("management_letter", "management_letter"),
        ("annex", "annex"),
    ] {
        if let Some((name, declared, bytes)) = upload.files.get(field) {
            let content_type =
                uploads::check(field, name, declared, bytes, state.config.max_upload_bytes)?;
            checked.push((kind, name.as_str(), content_type, bytes.as_slice()));
        }
    }
    let renewal_of = registrations::of_service(&state.db, service.id)
        .await?
        .into_iter()
        .rfind(|r| !r.superseded)
        .map(|r| r.id);
    let form = serde_json::to_value(&form).map_err(|e| Failure::Internal(e.to_string()))?;
    Ok(applications::submit(
        &state.db,
        master,
        &actor(Some(p))?,
        NewApplication {
            service_id: service.id,
            organization_id: service.organization_id,
            list,
            statement_id: engagement.statement_id,
            statement_revision: engagement.revision,
            engagement_id: engagement.id,
            report_issue: report.issue,
            renewal_of,
            form: &form,
        },
        checked
            .iter()
            .map(|(kind, name, content_type, bytes)| {
                (
                    *kind,
                    NewFile {
                        organization_id: service.organization_id,
                        file_name: name,
                        content_type,
                        bytes,
                    },
                )
            })
            .collect(),
    )
    .await?)
}

pub struct QuestionView {
    pub id: i64,
    pub question: String,
    pub due_date: String,
    pub overdue: bool,
    pub answer: Option<String>,
    pub answered_at: String,
    pub attachments: Vec<(i64, String)>,
}

pub struct TransitionView {
    pub at: String,
    pub actor: String,
    pub transition: String,
    pub to: String,
    pub reason: String,
}

pub struct ButtonView {
    pub key: &'static str,
    pub label: String,
    pub needs_reason: bool,
    pub asks_questions: bool,
}

#[derive(Template)]
#[template(path = "application.html")]
struct ApplicationPage {
    frame: Frame,
    a: ApplicationRow,
    application: Application,
    form: ApplicationForm,
    engagement_period: String,
    audit_organization: String,
    findings: String,
    documents: Vec<(String, i64, String)>,
    questions: Vec<QuestionView>,
    history: Vec<TransitionView>,
    buttons: Vec<ButtonView>,
    can_answer: bool,
    registration: Option<(String, String, String)>,
    today: String,
}

/// The service, when the person may see it; as if missing otherwise.
async fn visible_service(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
) -> Result<services::Service, Failure> {
    crate::policy::signed_in(ctx.principal.as_ref())?;
    let service = services::get(&state.db, id).await?;
    crate::policy::require_visible(
        ctx.principal.as_ref(),
        |p| allows(Some(p), Action::ViewService, Some(service.organization_id)),
        "service",
        id,
    )?;
    Ok(service)
}

async fn load(state: &AppState, ctx: &Ctx, id: i64) -> Result<Application, Failure> {
    crate::policy::signed_in(ctx.principal.as_ref())?;
    let application = applications::get(&state.db, id).await?;
    crate::policy::require_visible(
        ctx.principal.as_ref(),
        |p| {
            allows(
                Some(p),
                Action::ViewApplication,
                Some(application.organization_id),
            )
        },
        "application",
        id,
    )?;
    Ok(application)
}

pub async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let application = load(&state, &ctx, id).await?;
    let p = ctx.principal.as_ref().ok_or(Failure::NotSignedIn)?;
    let frame = Frame::new(&ctx);
    let engagement = engagements::get(&state.db, application.engagement_id).await?;
    let parsed = submitted_statement(
        &state,
        application.statement_id,
        application.statement_revision,
    )
    .await?;
    let catalogs: Vec<_> = state.catalogs.iter().collect();
    let registry = crate::registry_cache::current(&state).await?;
    let check = check_statement(&parsed, &catalogs, Some(&registry));
    let documents = applications::documents(&state.db, id).await?;
    let questions = applications::questions(&state.db, id)
        .await?
        .into_iter()
        .map(|q| QuestionView {
            overdue: q.answer.is_none() && q.due_date < today(),
            attachments: documents
                .iter()
                .filter(|d| d.question_id == Some(q.id))
                .map(|d| (d.file.id, d.file.file_name.clone()))
                .collect(),
            id: q.id,
            question: q.question,
            due_date: q.due_date.to_string(),
            answer: q.answer,
            answered_at: q.answered_at.unwrap_or_default(),
        })
        .collect();
    let buttons = available(application.state, &p.roles)
        .into_iter()
        // Answering is done by answering the questions, not by a button.
        .filter(|t| may_move(p, &application, *t) && *t != Transition::Answer)
        .map(|t| ButtonView {
            key: t.key(),
            label: frame.t(&format!("web-app-do-{}", t.key())),
            needs_reason: t.needs_reason(),
            asks_questions: t == Transition::RequestInformation,
        })
        .collect();
    let registration = registrations::of_service(&state.db, application.service_id)
        .await?
        .into_iter()
        .find(|r| r.application_id == Some(application.id))
        .map(|r| {
            (
                r.number,
                r.valid_from.to_string(),
                r.valid_until.to_string(),
            )
        });
    let form: ApplicationForm =
        serde_json::from_value(application.form.clone()).unwrap_or_default();
    render(&ApplicationPage {
        a: application_row(&frame, &application),
        engagement_period: format!("{} – {}", engagement.period_start, engagement.period_end),
        audit_organization: engagement.audit_organization_name.clone(),
        findings: format!(
            "{} {} / {} {}",
            frame.t("web-errors"),
            check.errors(),
            frame.t("web-warnings"),
            check.warnings()
        ),
        documents: documents
            .iter()
            .filter(|d| d.question_id.is_none())
            .map(|d| {
                (
                    frame.t(&format!("web-doc-{}", d.kind)),
                    d.file.id,
                    d.file.file_name.clone(),
                )
            })
            .collect(),
        questions,
        history: applications::history(&state.db, id)
            .await?
            .into_iter()
            .map(|h| TransitionView {
                transition: frame.t(&format!("web-app-do-{}", h.transition)),
                to: frame.t(&format!("web-app-state-{}", h.to_state)),
                at: h.at,
                actor: h.actor,
                reason: h.reason,
            })
            .collect(),
        buttons,
        can_answer: application.state == ApplicationState::InformationRequested
            && may_move(p, &application, Transition::Answer),
        registration,
        today: today().to_string(),
        form,
        application,
        frame,
    })
}

/// Whether `p` holds a role for the move and, for the provider's own moves,
/// belongs to the applicant.
fn may_move(p: &Principal, application: &Application, transition: Transition) -> bool {
    transition.roles().iter().any(|r| p.has(*r))
        && (!transition.is_providers() || p.is_member_of(application.organization_id))
}

#[derive(Deserialize)]
pub struct TransitionForm {
    transition: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    questions: String,
    #[serde(default)]
    due_date: String,
    /// The state the page showed; another one now means someone else moved
    /// the application meanwhile (409, not "not possible from here").
    #[serde(default)]
    from: String,
}

pub async fn move_application(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(form): Form<TransitionForm>,
) -> Result<Response, PageError> {
    let application = load(&state, &ctx, id).await?;
    let p = ctx.principal.as_ref().ok_or(Failure::NotSignedIn)?;
    let transition = Transition::from_key(&form.transition).ok_or_else(|| Failure::Invalid {
        field: "transition".into(),
        message: format!("{:?} is not a step of the review", form.transition),
    })?;
    // Who may make the move is answered before whether it fits the state,
    // so that someone without the role learns nothing about the application.
    if !may_move(p, &application, transition) {
        return Err(Failure::Forbidden.into());
    }
    if !form.from.is_empty() && form.from != application.state.key() {
        return Err(Failure::Conflict(format!(
            "the application is now {}, not {}; someone else moved it meanwhile; reload",
            application.state.key(),
            form.from
        ))
        .into());
    }
    let open = applications::questions(&state.db, id)
        .await?
        .iter()
        .filter(|q| q.answer.is_none())
        .count();
    let to = check_transition(application.state, transition, &p.roles, &form.reason, open)
        .map_err(|e| match e {
            ismap_domain::review::ReviewError::Role { .. } => Failure::Forbidden,
            other => Failure::Invalid {
                field: "transition".into(),
                message: other.to_string(),
            },
        })?;
    let actor = actor(Some(p))?;
    match transition {
        Transition::RequestInformation => {
            let due = parse_date(&form.due_date, "due_date")?;
            let questions: Vec<(String, chrono::NaiveDate)> = form
                .questions
                .lines()
                .map(str::trim)
                .filter(|q| !q.is_empty())
                .map(|q| (q.to_owned(), due))
                .collect();
            if questions.is_empty() {
                return Err(Failure::Invalid {
                    field: "questions".into(),
                    message: "write at least one question".into(),
                }
                .into());
            }
            applications::request_information(
                &state.db,
                &actor,
                &application,
                &questions,
                &form.reason,
            )
            .await?;
        }
        Transition::Register => {
            register(&state, &actor, &application, &form.reason).await?;
        }
        Transition::ProvideAudit => {
            let latest = engagements::reports(&state.db, application.engagement_id)
                .await?
                .last()
                .map_or(0, |r| r.issue);
            if latest <= application.report_issue {
                return Err(Failure::Conflict(
                    "the audit organization has not issued a new report since the request".into(),
                )
                .into());
            }
            applications::transition(
                &state.db,
                &actor,
                &application,
                transition,
                to,
                &form.reason,
                Some(latest),
            )
            .await?;
        }
        _ => {
            applications::transition(
                &state.db,
                &actor,
                &application,
                transition,
                to,
                &form.reason,
                None,
            )
            .await?;
        }
    }
    Ok(Redirect::to(&format!("/applications/{id}")).into_response())
}

/// The control objectives a statement implements (selected, implemented or
/// inherited), as the list's attachment shows them.
fn implemented_objectives(statement: &Statement, catalog: &ismap_domain::Catalog) -> Vec<Value> {
    statement
        .controls
        .values()
        .filter(|d| d.id.level() == Level::Objective)
        .filter(|d| {
            matches!(
                d.decision,
                Some(Decision::Selected | Decision::Implemented | Decision::Inherited)
            )
        })
        .filter_map(|d| catalog.get(d.id.number()))
        .map(|c| json!({ "id": c.id.to_string(), "title": c.title.ja, "title_en": c.title.en }))
        .collect()
}

/// The committee registers: validity from the audit period's end, the
/// public record from the form, the statement and the audit.
async fn register(
    state: &AppState,
    actor: &ismap_store::Actor,
    application: &Application,
    reason: &str,
) -> Result<(), Failure> {
    let engagement = engagements::get(&state.db, application.engagement_id).await?;
    let (valid_from, valid_until) = validity_period(engagement.period_end).ok_or_else(|| {
        Failure::Internal(format!(
            "no validity for a period ending {}",
            engagement.period_end
        ))
    })?;
    let parsed = submitted_statement(
        state,
        application.statement_id,
        application.statement_revision,
    )
    .await?;
    let catalog = state
        .catalog(&engagement.catalog_id)
        .ok_or_else(|| Failure::Internal("catalog not loaded".into()))?;
    let form: ApplicationForm = serde_json::from_value(application.form.clone())
        .map_err(|e| Failure::Internal(e.to_string()))?;
    let service = services::get(&state.db, application.service_id).await?;
    let provider = orgs::get(&state.db, application.organization_id).await?;
    let open_plan = improvement::items(&state.db, engagement.id)
        .await?
        .iter()
        .any(|i| i.status.is_open());
    let public = json!({
        "service_url": form.service_url,
        "provider_address": form.provider_address,
        "scope": parsed.statement.service.scope,
        "implemented_objectives": implemented_objectives(&parsed.statement, catalog),
        "audit_period": { "start": engagement.period_start.to_string(), "end": engagement.period_end.to_string() },
        "subsequent_events": form.subsequent_events,
        "procurer_risk_information": {
            "capital_and_officers": form.capital_and_officers,
            "foreign_law_exposure": form.foreign_law_exposure,
            "governing_law": form.governing_law,
            "third_party_tests": form.third_party_tests,
            "regions": form.regions,
        },
    });
    applications::register(
        &state.db,
        actor,
        application,
        reason,
        NewRegistration {
            valid_from,
            valid_until,
            registered_on: today(),
            improvement_plan: open_plan,
            name: &service.name,
            name_en: &form.service_name_en,
            provider: &provider.name,
            provider_en: &provider.name_en,
            model: service.model.key(),
            public: &public,
        },
    )
    .await?;
    Ok(())
}

pub async fn answer(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path((id, question)): Path<(i64, i64)>,
    multipart: Multipart,
) -> Result<Response, PageError> {
    let application = load(&state, &ctx, id).await?;
    let p = ctx.principal.as_ref().ok_or(Failure::NotSignedIn)?;
    if !may_move(p, &application, Transition::Answer) {
        return Err(Failure::Forbidden.into());
    }
    if application.state != ApplicationState::InformationRequested {
        return Err(Failure::Conflict("no question is waiting for an answer".into()).into());
    }
    let upload = uploads::read(multipart, state.config.max_upload_bytes).await?;
    let text = upload.text("answer").trim().to_owned();
    if text.is_empty() {
        return Err(Failure::Invalid {
            field: "answer".into(),
            message: "write the answer".into(),
        }
        .into());
    }
    let attachment = match upload.files.get("attachment") {
        Some((name, declared, bytes)) => Some((
            name.as_str(),
            uploads::check(
                "attachment",
                name,
                declared,
                bytes,
                state.config.max_upload_bytes,
            )?,
            bytes.as_slice(),
        )),
        None => None,
    };
    let master = uploads::master_key(&state)?;
    let actor = actor(Some(p))?;
    applications::answer(
        &state.db,
        master,
        &actor,
        &application,
        question,
        &text,
        attachment
            .as_ref()
            .map(|(name, content_type, bytes)| NewFile {
                organization_id: application.organization_id,
                file_name: name,
                content_type,
                bytes,
            }),
    )
    .await?;
    // The store sends the application back to technical review with the
    // last answer, in the answer's transaction.
    Ok(see_other(&headers, &format!("/applications/{id}")))
}

/// The submitted statement, for the reviewers (as YAML).
pub async fn statement_file(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let application = load(&state, &ctx, id).await?;
    let parsed = submitted_statement(
        &state,
        application.statement_id,
        application.statement_revision,
    )
    .await?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/yaml; charset=utf-8".to_owned(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"application-{id}-statement.yaml\""),
            ),
        ],
        ismap_formats::statement_write::to_yaml(&parsed.statement),
    )
        .into_response())
}

/// The audit report the application was filed with, for the reviewers.
pub async fn report(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let application = load(&state, &ctx, id).await?;
    let report = engagements::report(
        &state.db,
        application.engagement_id,
        application.report_issue,
    )
    .await?;
    let snapshot = snapshot_of(&report)?;
    let bytes = ismap_formats::audit_report::to_xlsx(&snapshot, report.issue, &report.issued_at)
        .map_err(|e| Failure::Internal(format!("report workbook: {e}")))?;
    Ok(xlsx_download(
        bytes,
        &format!("application-{id}-report-{}.xlsx", report.issue),
    ))
}

#[derive(Deserialize)]
pub struct SuspensionForm {
    #[serde(default)]
    suspend: String,
    #[serde(default)]
    reason: String,
}

pub async fn suspension(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(form): Form<SuspensionForm>,
) -> Result<Response, PageError> {
    let p = ctx.require(Action::SuspendRegistration, None)?;
    let registration = registrations::get(&state.db, id).await?;
    registrations::set_suspended(
        &state.db,
        &actor(Some(p))?,
        &registration,
        form.suspend == "true",
        form.reason.trim(),
    )
    .await?;
    Ok(Redirect::to(&format!(
        "/lists/{}/{}",
        registration.list.key(),
        registration.number
    ))
    .into_response())
}
