//! A provider's services and statements; the event log.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use ismap_domain::ServiceModel;
use ismap_i18n::Messages;
use ismap_store::{Actor, services, statements};
use serde::Deserialize;

use crate::AppState;
use crate::auth::Ctx;
use crate::error::{Failure, PageError};
use crate::pages::home::{EventRow, ServiceRow, recent_events, services_for};
use crate::pages::render;
use crate::policy::{
    Action, Principal, allows, event_scope, require_visible, service_scope, signed_in,
};
use crate::text::Frame;

#[derive(Template)]
#[template(path = "services.html")]
struct ServicesPage {
    frame: Frame,
    services: Vec<ServiceRow>,
    can_create: bool,
}

fn require(ctx: &Ctx, action: Action, owner: Option<i64>) -> Result<(), Failure> {
    ctx.require(action, owner).map(|_| ())
}

pub async fn list(State(state): State<AppState>, ctx: Ctx) -> Result<Response, PageError> {
    require(&ctx, Action::ListServices, None)?;
    let scope = service_scope(ctx.principal.as_ref()).ok_or(Failure::Forbidden)?;
    let p = ctx.principal.as_ref();
    let page = ServicesPage {
        services: services_for(&state, p, scope).await?,
        can_create: p
            .is_some_and(|p| allows(Some(p), Action::CreateService, Some(p.organization.id))),
        frame: Frame::new(&ctx),
    };
    render(&page)
}

#[derive(Template)]
#[template(path = "service_new.html")]
struct NewServicePage {
    frame: Frame,
    name: String,
    model: String,
    description: String,
    url: String,
    error: Option<String>,
}

impl NewServicePage {
    fn selected(&self, model: &str) -> bool {
        self.model == model
    }
}

fn own_org(ctx: &Ctx) -> Result<&Principal, Failure> {
    ctx.principal.as_ref().ok_or(Failure::NotSignedIn)
}

pub async fn new_form(ctx: Ctx) -> Result<Response, PageError> {
    let org = own_org(&ctx)?.organization.id;
    require(&ctx, Action::CreateService, Some(org))?;
    render(&NewServicePage {
        frame: Frame::new(&ctx),
        name: String::new(),
        model: "SaaS".into(),
        description: String::new(),
        url: String::new(),
        error: None,
    })
}

#[derive(Deserialize)]
pub struct NewServiceForm {
    name: String,
    model: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    url: String,
}

pub async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(form): Form<NewServiceForm>,
) -> Result<Response, PageError> {
    let p = own_org(&ctx)?;
    require(&ctx, Action::CreateService, Some(p.organization.id))?;
    let actor = Actor::user(p.user.id, &p.user.username);
    let problem = if form.name.trim().is_empty() {
        Some(Frame::new(&ctx).t("web-service-name-required"))
    } else if ServiceModel::from_key(&form.model).is_none() {
        Some(Frame::new(&ctx).t("web-service-model-required"))
    } else if let Err(Failure::Invalid { message, .. }) =
        crate::links::optional_url(ctx.lang, "url", &form.url)
    {
        Some(message)
    } else {
        None
    };
    let result = match (&problem, ServiceModel::from_key(&form.model)) {
        (None, Some(model)) => Some(
            services::create(
                &state.db,
                &actor,
                services::NewService {
                    organization_id: p.organization.id,
                    name: form.name.trim(),
                    model,
                    description: form.description.trim(),
                    url: form.url.trim(),
                    registration_number: None,
                },
            )
            .await,
        ),
        _ => None,
    };
    match result {
        Some(Ok(service)) => Ok(Redirect::to(&format!("/services/{}", service.id)).into_response()),
        other => {
            let error = match other {
                Some(Err(ismap_store::StoreError::Conflict(message))) => Some(message),
                Some(Err(e)) => return Err(PageError(e.into())),
                _ => problem,
            };
            let mut response = render(&NewServicePage {
                frame: Frame::new(&ctx),
                name: form.name,
                model: form.model,
                description: form.description,
                url: form.url,
                error,
            })?;
            *response.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
            Ok(response)
        }
    }
}

pub struct StatementRow {
    pub id: i64,
    pub catalog: String,
    pub status: String,
    pub revision: i64,
    pub errors: i64,
    pub warnings: i64,
    pub created_at: String,
}

#[derive(Template)]
#[template(path = "service.html")]
struct ServicePage {
    frame: Frame,
    service: services::Service,
    statements: Vec<StatementRow>,
    can_view_statements: bool,
    can_edit_statements: bool,
    /// The service model's label.
    model: String,
}

impl ServicePage {
    /// The service's URL as a link target, only when it is a web URL: a
    /// value stored before URLs were checked is shown as text.
    fn url_href(&self) -> Option<&str> {
        Some(self.service.url.as_str()).filter(|u| crate::links::is_web_url(u))
    }
}

pub async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    signed_in(ctx.principal.as_ref())?;
    let service = services::get(&state.db, id).await?;
    require_visible(
        ctx.principal.as_ref(),
        |p| allows(Some(p), Action::ViewService, Some(service.organization_id)),
        "service",
        id,
    )?;
    let can_edit_statements = allows(
        ctx.principal.as_ref(),
        Action::ViewStatement,
        Some(service.organization_id),
    );
    // IPA and the committee see the statements submitted in applications
    // (read-only); drafts stay with the provider.
    let submitted: Vec<i64> = if !can_edit_statements
        && allows(ctx.principal.as_ref(), Action::ReadSubmittedStatement, None)
    {
        ismap_store::applications::list(&state.db, Some(service.organization_id))
            .await?
            .iter()
            .filter(|a| a.service_id == id)
            .map(|a| a.statement_id)
            .collect()
    } else {
        Vec::new()
    };
    let can_view_statements = can_edit_statements || !submitted.is_empty();
    let mut rows = Vec::new();
    if can_view_statements {
        for s in statements::of_service(&state.db, id).await? {
            if !can_edit_statements && !submitted.contains(&s.id) {
                continue;
            }
            let latest = statements::revision_at(&state.db, s.id, s.latest_revision).await?;
            rows.push(StatementRow {
                id: s.id,
                catalog: s.catalog_id,
                status: s.status,
                revision: s.latest_revision,
                errors: latest.errors,
                warnings: latest.warnings,
                created_at: s.created_at,
            });
        }
    }
    render(&ServicePage {
        frame: Frame::new(&ctx),
        can_edit_statements: allows(
            ctx.principal.as_ref(),
            Action::EditStatement,
            Some(service.organization_id),
        ),
        model: crate::text::label(ctx.lang, "service-model", service.model.key()),
        service,
        statements: rows,
        can_view_statements,
    })
}

pub struct FindingRow {
    pub rule: &'static str,
    pub severity: &'static str,
    pub control: String,
    pub message: String,
    pub line: u32,
}

#[derive(Template)]
#[template(path = "statement.html")]
struct StatementPage {
    frame: Frame,
    statement: statements::StatementRecord,
    service: services::Service,
    revisions: Vec<statements::Revision>,
    errors: usize,
    warnings: usize,
    findings: Vec<FindingRow>,
}

pub async fn statement(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let p = signed_in(ctx.principal.as_ref())?;
    let record = statements::get(&state.db, id).await?;
    if !allows(Some(p), Action::ViewStatement, Some(record.organization_id)) {
        // IPA and the committee read a statement submitted in an
        // application, read-only; to anyone else it stays hidden.
        return match crate::pages::statement_view::readable(&state, p, id).await? {
            Some(application) => {
                crate::pages::statement_view::page(&state, &ctx, id, application).await
            }
            None => Err(PageError(crate::policy::hidden("statement", id))),
        };
    }
    let service = services::get(&state.db, record.service_id).await?;
    let frame = Frame::new(&ctx);
    let loaded = crate::statement_ops::load(&state, record).await?;
    let report = loaded.report(&state);
    let messages = Messages::get();
    let findings = report
        .findings
        .iter()
        .map(|l| FindingRow {
            rule: l.finding.rule.as_str(),
            severity: l.finding.severity.as_str(),
            control: l.finding.control.map(|c| c.to_string()).unwrap_or_default(),
            message: messages.finding(frame.lang, &l.finding),
            line: l.place.line,
        })
        .collect();
    render(&StatementPage {
        errors: report.errors(),
        warnings: report.warnings(),
        findings,
        revisions: statements::revisions(&state.db, id).await?,
        statement: loaded.record,
        service,
        frame,
    })
}

#[derive(Template)]
#[template(path = "events.html")]
struct EventsPage {
    frame: Frame,
    events: Vec<EventRow>,
}

pub async fn events(State(state): State<AppState>, ctx: Ctx) -> Result<Response, PageError> {
    if ctx.principal.is_none() {
        return Err(PageError(Failure::NotSignedIn));
    }
    let scope = event_scope(ctx.principal.as_ref()).ok_or(Failure::Forbidden)?;
    render(&EventsPage {
        events: recent_events(&state, scope, 200).await?,
        frame: Frame::new(&ctx),
    })
}
