//! ISMAP-LIU pre-applications (事前申請, seed 001; issue 14 item 6): the
//! provider's administrator files, through the portal to IPA, the SaaS, the
//! uses with their approved impact assessments, the confidentiality-2
//! declaration and the documents; IPA accepts or returns it with reasons;
//! a returned one is amended and resubmitted. An ISMAP-LIU application
//! needs an accepted pre-application of the same service
//! ([`require_accepted_pre_application`]).

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::extract::{FromRequest, Multipart, Path, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use ismap_domain::impact::{
    self, ApprovedAssessment, AssessmentState, Confidentiality, ImpactResult, normalize_use,
};
use ismap_domain::pre_application::{
    PreApplicationError, PreApplicationState, PreTransition, available, next_state,
};
use ismap_domain::{Role, ServiceModel};
use ismap_i18n::{Lang, Messages};
use ismap_store::StoreError;
use ismap_store::files::{self, NewFile};
use ismap_store::impact_assessments::{self as assessments, ImpactAssessment, Scope};
use ismap_store::pre_applications::{self as store, PreApplication, Round};
use ismap_store::services;

use crate::AppState;
use crate::audit_ops::actor;
use crate::auth::Ctx;
use crate::error::{Failure, PageError};
use crate::pages::engagements::see_other;
use crate::pages::impact_assessments::business_text;
use crate::pages::render;
use crate::policy::{
    Action, PreApplicationAction, Principal, allows, allows_pre_application,
    allows_pre_application_list, require_visible, signed_in,
};
use crate::text::Frame;
use crate::uploads;

/// Limit on the provider's note and IPA's reasons (assumption of this system).
const MAX_TEXT: usize = 4000;
/// The document fields of the form (the upload reader knows them as files).
const DOCUMENT_FIELDS: [&str; 2] = ["file", "attachment"];

fn msg(lang: Lang, id: &str, args: &[(&str, String)]) -> String {
    Messages::get().text(lang, id, args)
}

/// The LIU gate of an application (called from `applications::prepare`):
/// refused, in the provider's language and pointing at the pre-application
/// page, unless the service has an accepted pre-application.
pub async fn require_accepted_pre_application(
    state: &AppState,
    service: &services::Service,
    lang: Lang,
) -> Result<(), Failure> {
    if store::has_accepted(&state.db, service.id).await? {
        Ok(())
    } else {
        Err(Failure::Invalid {
            field: "list".into(),
            message: msg(
                lang,
                "pre-refused-application-gate",
                &[(
                    "page",
                    format!("/services/{}/pre-applications/new", service.id),
                )],
            ),
        })
    }
}

/// Counts for the dashboard: IPA's queue (submitted) or the provider's
/// returned pre-applications.
pub async fn waiting(state: &AppState, p: &Principal) -> Result<usize, Failure> {
    if p.has(Role::Reviewer) {
        Ok(store::list(&state.db, None)
            .await?
            .iter()
            .filter(|x| x.state == PreApplicationState::Submitted)
            .count())
    } else if p.has(Role::CspAdmin) {
        Ok(store::list(&state.db, Some(p.organization.id))
            .await?
            .iter()
            .filter(|x| x.state == PreApplicationState::Returned)
            .count())
    } else {
        Ok(0)
    }
}

pub struct Row {
    pub id: i64,
    pub service: String,
    pub provider: String,
    pub state_key: &'static str,
    pub state: String,
    pub submitted: crate::text::When,
    pub updated: crate::text::When,
}

fn row(frame: &Frame, x: &PreApplication) -> Row {
    Row {
        id: x.id,
        service: x.service_name.clone(),
        provider: frame
            .pick(&x.organization_name, &x.organization_name_en)
            .to_owned(),
        state_key: x.state.key(),
        state: frame.t(&format!("pre-state-{}", x.state.key())),
        submitted: frame.when(&x.submitted_at),
        updated: frame.when(&x.updated_at),
    }
}

#[derive(Template)]
#[template(path = "pre_applications.html")]
struct ListPage {
    frame: Frame,
    rows: Vec<Row>,
    is_reviewer: bool,
}

pub async fn list(State(state): State<AppState>, ctx: Ctx) -> Result<Response, PageError> {
    let p = signed_in(ctx.principal.as_ref())?;
    if !allows_pre_application_list(Some(p)) {
        return Err(Failure::Forbidden.into());
    }
    let frame = Frame::new(&ctx);
    let is_reviewer = p.has(Role::Reviewer);
    let scope = if is_reviewer {
        None
    } else {
        Some(p.organization.id)
    };
    let rows = store::list(&state.db, scope)
        .await?
        .iter()
        .map(|x| row(&frame, x))
        .collect();
    render(&ListPage {
        frame,
        rows,
        is_reviewer,
    })
}

// ------------------------------------------------------------- the form

/// An approved assessment as the form and the page show it.
pub struct AssessmentView {
    pub id: i64,
    pub use_name: String,
    pub agency: String,
    pub business: String,
    pub information: String,
    pub confidentiality: String,
    pub impact: String,
    pub reasoning: String,
    pub result_key: String,
    pub result: String,
    pub approved: crate::text::When,
}

fn view(frame: &Frame, a: &ImpactAssessment) -> AssessmentView {
    let label = |prefix: &str, key: &str| {
        if key.is_empty() {
            "—".to_owned()
        } else {
            frame.t(&format!("{prefix}-{}", key.replace('_', "-")))
        }
    };
    AssessmentView {
        id: a.id,
        use_name: a.use_name.clone(),
        agency: frame.pick(&a.agency_name, &a.agency_name_en).to_owned(),
        business: business_text(frame, &a.content),
        information: a.content.information.clone(),
        confidentiality: label("ia-conf", &a.content.confidentiality),
        impact: a.content.impact.clone(),
        reasoning: a.content.reasoning.clone(),
        result_key: a.content.result.clone(),
        result: label("ia-result", &a.content.result),
        approved: frame.when(a.approved_at.as_deref().unwrap_or("")),
    }
}

async fn approved_of(state: &AppState, service_id: i64) -> Result<Vec<ImpactAssessment>, Failure> {
    Ok(assessments::list(&state.db, Scope::Service(service_id))
        .await?
        .into_iter()
        .filter(|a| a.state == AssessmentState::Approved)
        .collect())
}

#[derive(Template)]
#[template(path = "pre_application_new.html")]
struct NewPage {
    frame: Frame,
    service: services::Service,
    /// The form posts here (a new filing or a resubmission).
    action: String,
    resubmission: bool,
    approved: Vec<AssessmentView>,
    chosen: Vec<i64>,
    declared: bool,
    note: String,
    errors: HashMap<String, String>,
    /// Eligibility reasons, one per line.
    reasons: Vec<String>,
    max_upload: String,
}

impl NewPage {
    fn error(&self, field: &str) -> Option<&str> {
        self.errors.get(field).map(|v| v.as_str())
    }

    fn is_chosen(&self, id: &i64) -> bool {
        self.chosen.contains(id)
    }
}

async fn service_for_filing(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
) -> Result<(services::Service, &'static str), Failure> {
    signed_in(ctx.principal.as_ref())?;
    let service = services::get(&state.db, id).await?;
    require_visible(
        ctx.principal.as_ref(),
        |p| allows(Some(p), Action::ViewService, Some(service.organization_id)),
        "service",
        id,
    )?;
    if !allows_pre_application(
        ctx.principal.as_ref(),
        PreApplicationAction::File,
        service.organization_id,
    ) {
        return Err(Failure::Forbidden);
    }
    Ok((service, ""))
}

#[allow(clippy::too_many_arguments)]
async fn new_page(
    state: &AppState,
    ctx: &Ctx,
    service: services::Service,
    action: String,
    resubmission: bool,
    typed: Option<(&[i64], bool, &str)>,
    errors: HashMap<String, String>,
    reasons: Vec<String>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let frame = Frame::new(ctx);
    let approved: Vec<AssessmentView> = approved_of(state, service.id)
        .await?
        .iter()
        .map(|a| view(&frame, a))
        .collect();
    let (chosen, declared, note) = match typed {
        Some((chosen, declared, note)) => (chosen.to_vec(), declared, note.to_owned()),
        None => (Vec::new(), false, String::new()),
    };
    let mut errors = errors;
    if service.model != ServiceModel::SaaS {
        errors
            .entry("service".into())
            .or_insert_with(|| frame.t("ia-elig-not-saas"));
    }
    let page = NewPage {
        max_upload: format!("{} MB", state.config.max_upload_bytes / (1024 * 1024)),
        frame,
        service,
        action,
        resubmission,
        approved,
        chosen,
        declared,
        note,
        errors,
        reasons,
    };
    Ok((status, render(&page)?).into_response())
}

#[derive(serde::Deserialize)]
pub struct NewQuery {
    /// A returned pre-application to amend and resubmit.
    amend: Option<i64>,
}

/// `GET /services/{id}/pre-applications/new`: the filing form, or with
/// `?amend=ID` the amend form of a returned pre-application (it posts to
/// that pre-application's transitions as a resubmission).
pub async fn new_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    crate::error::Query(query): crate::error::Query<NewQuery>,
) -> Result<Response, PageError> {
    let (service, _) = service_for_filing(&state, &ctx, id).await?;
    if let Some(amend) = query.amend {
        let x = load(&state, &ctx, amend).await?;
        if x.service_id != service.id {
            return Err(crate::policy::hidden("pre-application", amend).into());
        }
        let chosen = store::assessment_ids(&state.db, x.id, x.round).await?;
        return new_page(
            &state,
            &ctx,
            service,
            format!("/pre-applications/{amend}/transitions"),
            true,
            Some((&chosen, x.confidentiality2_declared, &x.note)),
            HashMap::new(),
            Vec::new(),
            StatusCode::OK,
        )
        .await;
    }
    let action = format!("/services/{id}/pre-applications");
    new_page(
        &state,
        &ctx,
        service,
        action,
        false,
        None,
        HashMap::new(),
        Vec::new(),
        StatusCode::OK,
    )
    .await
}

/// What a filing form sent, checked.
struct Filing {
    chosen: Vec<i64>,
    declared: bool,
    note: String,
    /// (field, content type) of each document sent.
    documents: Vec<(&'static str, String)>,
}

/// Reads the form's choices; every problem next to its field, eligibility
/// reasons as a list (seed: the assessment is the test; see
/// `ismap_domain::impact::liu_eligibility`).
async fn check_filing(
    state: &AppState,
    frame: &Frame,
    service: &services::Service,
    upload: &uploads::Upload,
    documents_required: bool,
    all: &[ImpactAssessment],
) -> Result<Filing, (Filing, HashMap<String, String>, Vec<String>)> {
    let mut errors = HashMap::new();
    let chosen: Vec<i64> = upload
        .fields
        .iter()
        .filter(|(k, v)| k.starts_with("assessment-") && v.as_str() == "1")
        .filter_map(|(k, _)| k.trim_start_matches("assessment-").parse().ok())
        .collect();
    let declared = upload.text("confidentiality2") == "1";
    let note = upload.text("note").trim().to_owned();
    if note.chars().count() > MAX_TEXT {
        errors.insert(
            "note".to_owned(),
            frame.tr(
                "ia-refused-too-long",
                &[
                    ("field", frame.t("ia-field-note")),
                    ("max", MAX_TEXT.to_string()),
                ],
            ),
        );
    }
    let mut documents = Vec::new();
    for field in DOCUMENT_FIELDS {
        if let Some((name, declared_type, bytes)) = upload.files.get(field) {
            match uploads::check(
                field,
                name,
                declared_type,
                bytes,
                state.config.max_upload_bytes,
            ) {
                Ok(kind) => documents.push((field, kind)),
                Err(_) => {
                    errors.insert(
                        field.to_owned(),
                        frame.tr("pre-refused-file", &[("file", name.clone())]),
                    );
                }
            }
        }
    }
    if documents_required && !upload.files.contains_key("file") {
        errors.insert("file".to_owned(), frame.t("pre-refused-no-document"));
    }
    let mut reasons = Vec::new();
    if chosen.is_empty() {
        errors.insert(
            "assessments".to_owned(),
            frame.t("pre-refused-no-assessment"),
        );
    } else if chosen.iter().any(|id| !all.iter().any(|a| a.id == *id)) {
        // Only the service's approved assessments may be attached.
        errors.insert("assessments".to_owned(), frame.t("pre-refused-assessment"));
    }
    // Eligibility looks at every approved assessment of each listed use.
    let uses: Vec<String> = all
        .iter()
        .filter(|a| chosen.contains(&a.id))
        .map(|a| normalize_use(&a.use_name))
        .collect();
    let relevant: Vec<ApprovedAssessment> = all
        .iter()
        .filter(|a| uses.contains(&normalize_use(&a.use_name)))
        .filter_map(|a| {
            Some(ApprovedAssessment {
                id: a.id,
                use_name: a.use_name.clone(),
                confidentiality: Confidentiality::from_key(&a.content.confidentiality)?,
                result: ImpactResult::from_key(&a.content.result)?,
            })
        })
        .collect();
    if let Err(found) = impact::liu_eligibility(service.model, declared, &relevant) {
        for reason in found {
            match reason {
                impact::Reason::NotDeclared => {
                    errors.insert("confidentiality2".to_owned(), frame.refusal(&reason));
                }
                impact::Reason::NoLowAssessment if chosen.is_empty() => {}
                other => reasons.push(frame.refusal(&other)),
            }
        }
    }
    let filing = Filing {
        chosen,
        declared,
        note,
        documents,
    };
    if errors.is_empty() && reasons.is_empty() {
        Ok(filing)
    } else {
        Err((filing, errors, reasons))
    }
}

fn new_files<'a>(
    upload: &'a uploads::Upload,
    filing: &'a Filing,
    organization_id: i64,
) -> Vec<NewFile<'a>> {
    filing
        .documents
        .iter()
        .filter_map(|(field, kind)| {
            let (name, _, bytes) = upload.files.get(*field)?;
            Some(NewFile {
                organization_id,
                file_name: name,
                content_type: kind,
                bytes,
            })
        })
        .collect()
}

async fn read_multipart(
    state: &AppState,
    lang: Lang,
    request: Request,
) -> Result<uploads::Upload, Failure> {
    let refused = |field: &str| Failure::Invalid {
        field: field.into(),
        message: msg(lang, "pre-refused-form", &[]),
    };
    let multipart = Multipart::from_request(request, state)
        .await
        .map_err(|_| refused("form"))?;
    uploads::read(multipart, state.config.max_upload_bytes)
        .await
        .map_err(|e| match e {
            Failure::Invalid { field, .. } => Failure::Invalid {
                message: msg(
                    lang,
                    "pre-refused-upload-large",
                    &[(
                        "limit",
                        format!("{} MB", state.config.max_upload_bytes / (1024 * 1024)),
                    )],
                ),
                field,
            },
            other => other,
        })
}

/// `POST /services/{id}/pre-applications` (multipart).
pub async fn submit(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(id): Path<i64>,
    request: Request,
) -> Result<Response, PageError> {
    let (service, _) = service_for_filing(&state, &ctx, id).await?;
    let frame = Frame::new(&ctx);
    let upload = read_multipart(&state, ctx.lang, request).await?;
    let action = format!("/services/{id}/pre-applications");
    let filing = match check_filing(
        &state,
        &frame,
        &service,
        &upload,
        true,
        &approved_of(&state, service.id).await?,
    )
    .await
    {
        Ok(f) => f,
        Err((f, errors, reasons)) => {
            return new_page(
                &state,
                &ctx,
                service,
                action,
                false,
                Some((&f.chosen, f.declared, &f.note)),
                errors,
                reasons,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    let master = uploads::master_key(&state)?;
    let filed = store::submit(
        &state.db,
        master,
        &actor(ctx.principal.as_ref())?,
        service.id,
        service.organization_id,
        Round {
            confidentiality2_declared: filing.declared,
            note: &filing.note,
            assessments: &filing.chosen,
            documents: new_files(&upload, &filing, service.organization_id),
        },
    )
    .await;
    match filed {
        Ok(x) => Ok(see_other(&headers, &format!("/pre-applications/{}", x.id))),
        Err(StoreError::Conflict(_)) => {
            let errors = HashMap::from([("service".to_owned(), frame.t("pre-refused-open"))]);
            new_page(
                &state,
                &ctx,
                service,
                action,
                false,
                Some((&filing.chosen, filing.declared, &filing.note)),
                errors,
                Vec::new(),
                StatusCode::CONFLICT,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

// --------------------------------------------------------- one filing

pub struct HistoryView {
    pub what: String,
    pub who: String,
    pub when: crate::text::When,
    pub reason: String,
}

pub struct DocumentView {
    pub id: i64,
    pub name: String,
    pub size: i64,
    pub round: i64,
}

pub struct MoveView {
    pub key: &'static str,
    pub label: String,
    pub needs_reason: bool,
    pub danger: bool,
    pub confirm: String,
}

#[derive(Template)]
#[template(path = "pre_application.html")]
struct ShowPage {
    frame: Frame,
    x: PreApplication,
    state_label: String,
    assessments: Vec<AssessmentView>,
    documents: Vec<DocumentView>,
    history: Vec<HistoryView>,
    moves: Vec<MoveView>,
    can_resubmit: bool,
    problem: Option<String>,
    reason_typed: String,
}

async fn load(state: &AppState, ctx: &Ctx, id: i64) -> Result<PreApplication, Failure> {
    signed_in(ctx.principal.as_ref())?;
    let x = store::get(&state.db, id).await?;
    require_visible(
        ctx.principal.as_ref(),
        |p| allows_pre_application(Some(p), PreApplicationAction::View, x.organization_id),
        "pre-application",
        id,
    )?;
    Ok(x)
}

/// The moves this person may make here (role and organization).
fn moves_for(p: Option<&Principal>, x: &PreApplication) -> Vec<PreTransition> {
    let Some(p) = p else {
        return Vec::new();
    };
    available(x.state, &p.roles)
        .into_iter()
        .filter(|t| !t.is_providers() || p.is_member_of(x.organization_id))
        .collect()
}

async fn show_page(
    state: &AppState,
    ctx: &Ctx,
    x: PreApplication,
    problem: Option<String>,
    reason_typed: String,
    status: StatusCode,
) -> Result<Response, PageError> {
    let frame = Frame::new(ctx);
    let mut shown = Vec::new();
    for id in store::assessment_ids(&state.db, x.id, x.round).await? {
        shown.push(view(&frame, &assessments::get(&state.db, id).await?));
    }
    let documents = store::documents(&state.db, x.id)
        .await?
        .into_iter()
        .map(|d| DocumentView {
            id: d.file.id,
            name: d.file.file_name,
            size: d.file.size,
            round: d.round,
        })
        .collect();
    let history = store::transitions(&state.db, x.id)
        .await?
        .into_iter()
        .map(|t| HistoryView {
            what: frame.t(&format!("pre-do-{}", t.transition)),
            who: t.actor_name.unwrap_or(t.actor),
            when: frame.when(&t.at),
            reason: t.reason,
        })
        .collect();
    let all_moves = moves_for(ctx.principal.as_ref(), &x);
    let can_resubmit = all_moves.contains(&PreTransition::Resubmit);
    let moves = all_moves
        .into_iter()
        .filter(|t| *t != PreTransition::Resubmit)
        .map(|t| MoveView {
            key: t.key(),
            label: frame.t(&format!("pre-do-{}", t.key())),
            needs_reason: t.needs_reason(),
            danger: matches!(t, PreTransition::Return | PreTransition::Withdraw),
            confirm: frame.tr(
                &format!("pre-confirm-{}", t.key()),
                &[("service", x.service_name.clone())],
            ),
        })
        .collect();
    let page = ShowPage {
        state_label: frame.t(&format!("pre-state-{}", x.state.key())),
        assessments: shown,
        documents,
        history,
        moves,
        can_resubmit,
        problem,
        reason_typed,
        x,
        frame,
    };
    Ok((status, render(&page)?).into_response())
}

pub async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let x = load(&state, &ctx, id).await?;
    show_page(&state, &ctx, x, None, String::new(), StatusCode::OK).await
}

#[derive(serde::Deserialize)]
pub struct MoveForm {
    #[serde(default)]
    transition: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    from: String,
}

/// `POST /pre-applications/{id}/transitions`: accept, return, withdraw
/// (a plain form) or resubmit (multipart, with the amended content).
pub async fn transition(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(id): Path<i64>,
    request: Request,
) -> Result<Response, PageError> {
    let x = load(&state, &ctx, id).await?;
    let p = signed_in(ctx.principal.as_ref())?;
    let may_move = allows_pre_application(Some(p), PreApplicationAction::Review, x.organization_id)
        || allows_pre_application(Some(p), PreApplicationAction::File, x.organization_id);
    if !may_move {
        return Err(Failure::Forbidden.into());
    }
    let frame = Frame::new(&ctx);
    let multipart = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    if multipart {
        let upload = read_multipart(&state, ctx.lang, request).await?;
        return resubmit(&state, &ctx, &headers, &frame, p, x, upload).await;
    }
    let Form(form) = Form::<MoveForm>::from_request(request, &state)
        .await
        .map_err(|_| Failure::Invalid {
            field: "form".into(),
            message: frame.t("pre-refused-form"),
        })?;
    let refuse = |x, message: String, status| {
        show_page(&state, &ctx, x, Some(message), form.reason.clone(), status)
    };
    let Some(transition) = PreTransition::from_key(&form.transition) else {
        return refuse(
            x,
            frame.t("pre-refused-transition"),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    if transition == PreTransition::Resubmit {
        return refuse(
            x,
            frame.t("pre-refused-transition"),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    if transition.is_providers() && !p.is_member_of(x.organization_id) {
        return Err(Failure::Forbidden.into());
    }
    if form.reason.chars().count() > MAX_TEXT {
        return refuse(
            x,
            frame.tr(
                "ia-refused-too-long",
                &[
                    ("field", frame.t("ia-field-reason")),
                    ("max", MAX_TEXT.to_string()),
                ],
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    if !form.from.is_empty() && form.from != x.state.key() {
        return refuse(x, frame.t("pre-refused-moved"), StatusCode::CONFLICT).await;
    }
    let to = match next_state(x.state, transition, &p.roles, &form.reason) {
        Ok(to) => to,
        Err(PreApplicationError::Role { .. }) => return Err(Failure::Forbidden.into()),
        Err(PreApplicationError::NoReason { .. }) => {
            return refuse(
                x,
                frame.t("pre-refused-reason"),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
        Err(PreApplicationError::NotFrom { .. }) => {
            return refuse(x, frame.t("pre-refused-moved"), StatusCode::CONFLICT).await;
        }
    };
    match store::move_to(
        &state.db,
        &actor(Some(p))?,
        &x,
        transition,
        to,
        form.reason.trim(),
    )
    .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/pre-applications/{id}")).into_response()),
        Err(StoreError::Conflict(_)) => {
            let fresh = store::get(&state.db, id).await?;
            refuse(fresh, frame.t("pre-refused-moved"), StatusCode::CONFLICT).await
        }
        Err(e) => Err(e.into()),
    }
}

/// The provider files the amended pre-application again.
async fn resubmit(
    state: &AppState,
    ctx: &Ctx,
    headers: &HeaderMap,
    frame: &Frame,
    p: &Principal,
    x: PreApplication,
    upload: uploads::Upload,
) -> Result<Response, PageError> {
    if !allows_pre_application(Some(p), PreApplicationAction::File, x.organization_id) {
        return Err(Failure::Forbidden.into());
    }
    let service = services::get(&state.db, x.service_id).await?;
    let action = format!("/pre-applications/{}/transitions", x.id);
    if x.state != PreApplicationState::Returned {
        return show_page(
            state,
            ctx,
            x,
            Some(frame.t("pre-refused-moved")),
            String::new(),
            StatusCode::CONFLICT,
        )
        .await;
    }
    let filing = match check_filing(
        state,
        frame,
        &service,
        &upload,
        false,
        &approved_of(state, service.id).await?,
    )
    .await
    {
        Ok(f) => f,
        Err((f, errors, reasons)) => {
            return new_page(
                state,
                ctx,
                service,
                action,
                true,
                Some((&f.chosen, f.declared, &f.note)),
                errors,
                reasons,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    let master = uploads::master_key(state)?;
    match store::resubmit(
        &state.db,
        master,
        &actor(Some(p))?,
        &x,
        Round {
            confidentiality2_declared: filing.declared,
            note: &filing.note,
            assessments: &filing.chosen,
            documents: new_files(&upload, &filing, x.organization_id),
        },
    )
    .await
    {
        Ok(_) => Ok(see_other(headers, &format!("/pre-applications/{}", x.id))),
        Err(StoreError::Conflict(_)) => {
            let fresh = store::get(&state.db, x.id).await?;
            show_page(
                state,
                ctx,
                fresh,
                Some(frame.t("pre-refused-moved")),
                String::new(),
                StatusCode::CONFLICT,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

/// `GET /pre-applications/{id}/files/{file}`: a document, decrypted, for
/// the provider's people and IPA.
pub async fn download(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, file)): Path<(i64, i64)>,
) -> Result<Response, PageError> {
    let x = load(&state, &ctx, id).await?;
    if store::of_file(&state.db, file).await? != Some(x.id) {
        return Err(crate::policy::hidden("file", file).into());
    }
    let master = uploads::master_key(&state)?;
    let (stored, bytes) = files::read(&state.db, master, file).await?;
    Ok(uploads::attachment(&stored, bytes))
}
