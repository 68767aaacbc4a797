//! Impact assessments (業務・情報の影響度評価, spec §7.2, issue 14 item 5):
//! the provider asks a procuring agency about a named use of its SaaS; the
//! agency's officer fills the assessment in and submits it; the agency's
//! CISO (or an officer the CISO delegated approval to) approves or returns
//! it. An approved assessment is immutable; other agencies see it and may
//! reuse it for the same use (a new assessment of theirs, approved by their
//! own CISO like a fresh one: an assumption of this system).

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use ismap_domain::impact::{
    self, AssessmentDecision, AssessmentInput, AssessmentState, EXAMPLE_BUSINESSES, FieldProblem,
    OTHER_BUSINESS,
};
use ismap_domain::{OrgKind, Role, ServiceModel};
use ismap_store::StoreError;
use ismap_store::impact_assessments::{self as store, ImpactAssessment, NewRequest, Scope};
use ismap_store::{delegations, orgs, services};
use serde::Deserialize;

use crate::AppState;
use crate::audit_ops::actor;
use crate::auth::Ctx;
use crate::error::{Failure, PageError};
use crate::pages::render;
use crate::policy::{
    AssessmentAction, AssessmentParties, Principal, allows_assessment, allows_assessment_list,
    allows_delegations, allows_request_assessment, allows_service_assessments, require_visible,
    signed_in,
};
use crate::text::Frame;

/// Limit on the provider's note to the agency (assumption of this system).
const MAX_NOTE: usize = 2000;

/// A field problem in the page's language.
pub fn problem_text(frame: &Frame, field: &str, problem: &FieldProblem) -> String {
    let label = frame.t(&format!("ia-field-{}", field.replace('_', "-")));
    match problem {
        FieldProblem::Missing => frame.tr("ia-refused-required", &[("field", label)]),
        FieldProblem::TooLong { max } => frame.tr(
            "ia-refused-too-long",
            &[("field", label), ("max", max.to_string())],
        ),
        FieldProblem::Unknown => frame.tr("ia-refused-unknown", &[("field", label)]),
    }
}

/// One example business as the form shows it.
pub struct BusinessOption {
    pub key: &'static str,
    pub number: u8,
    pub name: &'static str,
    pub services: &'static str,
}

pub fn business_options(frame: &Frame) -> Vec<BusinessOption> {
    EXAMPLE_BUSINESSES
        .iter()
        .map(|b| BusinessOption {
            key: b.key,
            number: b.number,
            name: frame.pick(b.name_ja, b.name_en),
            services: frame.pick(b.services_ja, b.services_en),
        })
        .collect()
}

/// The business of an assessment in the page's language.
pub fn business_text(frame: &Frame, content: &AssessmentInput) -> String {
    match impact::example_business(&content.business) {
        Some(b) => format!("({}) {}", b.number, frame.pick(b.name_ja, b.name_en)),
        None if content.business == OTHER_BUSINESS => {
            format!(
                "{}: {}",
                frame.t("ia-business-other"),
                content.business_other
            )
        }
        None => "—".into(),
    }
}

/// A value's label, or a dash when empty.
fn labelled(frame: &Frame, prefix: &str, key: &str) -> String {
    if key.is_empty() {
        "—".into()
    } else {
        frame.t(&format!("{prefix}-{}", key.replace('_', "-")))
    }
}

pub struct Row {
    pub id: i64,
    pub service: String,
    pub provider: String,
    pub agency: String,
    pub use_name: String,
    pub state_key: &'static str,
    pub state: String,
    pub result: String,
    pub reused_from: Option<i64>,
}

pub fn row(frame: &Frame, a: &ImpactAssessment) -> Row {
    Row {
        id: a.id,
        service: a.service_name.clone(),
        provider: frame.pick(&a.provider_name, &a.provider_name_en).to_owned(),
        agency: frame.pick(&a.agency_name, &a.agency_name_en).to_owned(),
        use_name: a.use_name.clone(),
        state_key: a.state.key(),
        state: frame.t(&format!("ia-state-{}", a.state.key())),
        result: if a.state == AssessmentState::Approved {
            labelled(frame, "ia-result", &a.content.result)
        } else {
            "—".into()
        },
        reused_from: a.reused_from,
    }
}

async fn parties(
    state: &AppState,
    p: Option<&Principal>,
    a: &ImpactAssessment,
) -> Result<AssessmentParties, Failure> {
    let delegate = match p {
        Some(p) if p.is_member_of(a.agency_id) && p.has(Role::AgencyOfficer) => {
            delegations::is_delegate(&state.db, a.agency_id, p.user.id).await?
        }
        _ => false,
    };
    Ok(AssessmentParties {
        provider: a.provider_id,
        agency: a.agency_id,
        approved: a.state == AssessmentState::Approved,
        delegate,
    })
}

/// The assessment if the caller may see it; otherwise "not found".
async fn load(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
) -> Result<(ImpactAssessment, AssessmentParties), Failure> {
    signed_in(ctx.principal.as_ref())?;
    let a = store::get(&state.db, id).await?;
    let parties = parties(state, ctx.principal.as_ref(), &a).await?;
    require_visible(
        ctx.principal.as_ref(),
        |p| allows_assessment(Some(p), AssessmentAction::View, parties),
        "impact assessment",
        id,
    )?;
    Ok((a, parties))
}

// ------------------------------------------------------------------ list

#[derive(Template)]
#[template(path = "impact_assessments.html")]
struct ListPage {
    frame: Frame,
    is_provider: bool,
    /// Waiting for this officer: requested or returned.
    inbox: Vec<Row>,
    /// Waiting for this person's approval.
    approvals: Vec<Row>,
    /// Everything else the caller sees.
    others: Vec<Row>,
    can_delegate: bool,
}

/// Counts for the dashboard: (to fill, to approve).
pub async fn waiting(state: &AppState, p: &Principal) -> Result<(usize, usize), Failure> {
    if p.organization.kind != OrgKind::Agency {
        return Ok((0, 0));
    }
    let mine = store::list(&state.db, Scope::Agency(p.organization.id)).await?;
    let delegate = p.has(Role::AgencyOfficer)
        && delegations::is_delegate(&state.db, p.organization.id, p.user.id).await?;
    let decides = p.has(Role::AgencyCiso) || delegate;
    let mut fill = 0;
    let mut approve = 0;
    for a in mine.iter().filter(|a| a.agency_id == p.organization.id) {
        if a.state.is_editable() && p.has(Role::AgencyOfficer) {
            fill += 1;
        }
        if a.state == AssessmentState::Submitted && decides {
            approve += 1;
        }
    }
    Ok((fill, approve))
}

pub async fn list(State(state): State<AppState>, ctx: Ctx) -> Result<Response, PageError> {
    let p = signed_in(ctx.principal.as_ref())?;
    if !allows_assessment_list(Some(p)) {
        return Err(Failure::Forbidden.into());
    }
    let frame = Frame::new(&ctx);
    let is_provider = p.organization.kind == OrgKind::Csp;
    let all = if is_provider {
        store::list(&state.db, Scope::Provider(p.organization.id)).await?
    } else {
        store::list(&state.db, Scope::Agency(p.organization.id)).await?
    };
    let delegate = p.has(Role::AgencyOfficer)
        && delegations::is_delegate(&state.db, p.organization.id, p.user.id).await?;
    let decides = p.has(Role::AgencyCiso) || delegate;
    let (mut inbox, mut approvals, mut others) = (Vec::new(), Vec::new(), Vec::new());
    for a in &all {
        let own = !is_provider && a.agency_id == p.organization.id;
        if own && a.state.is_editable() && p.has(Role::AgencyOfficer) {
            inbox.push(row(&frame, a));
        } else if own && a.state == AssessmentState::Submitted && decides {
            approvals.push(row(&frame, a));
        } else {
            others.push(row(&frame, a));
        }
    }
    render(&ListPage {
        is_provider,
        inbox,
        approvals,
        others,
        can_delegate: allows_delegations(Some(p)),
        frame,
    })
}

// ------------------------------------------------- the provider asks

#[derive(Template)]
#[template(path = "impact_assessment_request.html")]
struct RequestPage {
    frame: Frame,
    service: services::Service,
    rows: Vec<Row>,
    agencies: Vec<(i64, String)>,
    can_request: bool,
    is_saas: bool,
    typed: HashMap<String, String>,
    errors: HashMap<String, String>,
}

impl RequestPage {
    fn typed(&self, field: &str) -> &str {
        self.typed.get(field).map_or("", |v| v.as_str())
    }

    fn error(&self, field: &str) -> Option<&str> {
        self.errors.get(field).map(|v| v.as_str())
    }

    fn chosen(&self, field: &str, value: &i64) -> bool {
        self.typed(field) == value.to_string()
    }
}

async fn provider_service(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
) -> Result<services::Service, Failure> {
    signed_in(ctx.principal.as_ref())?;
    let service = services::get(&state.db, id).await?;
    require_visible(
        ctx.principal.as_ref(),
        |p| {
            crate::policy::allows(
                Some(p),
                crate::policy::Action::ViewService,
                Some(service.organization_id),
            )
        },
        "service",
        id,
    )?;
    if !allows_service_assessments(ctx.principal.as_ref(), service.organization_id) {
        return Err(Failure::Forbidden);
    }
    Ok(service)
}

async fn request_page(
    state: &AppState,
    ctx: &Ctx,
    service: services::Service,
    typed: HashMap<String, String>,
    errors: HashMap<String, String>,
) -> Result<Response, PageError> {
    let frame = Frame::new(ctx);
    let rows = store::list(&state.db, Scope::Service(service.id))
        .await?
        .iter()
        .map(|a| row(&frame, a))
        .collect();
    let agencies = orgs::list(&state.db)
        .await?
        .into_iter()
        .filter(|o| o.kind == OrgKind::Agency)
        .map(|o| (o.id, frame.pick(&o.name, &o.name_en).to_owned()))
        .collect();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = RequestPage {
        can_request: allows_request_assessment(ctx.principal.as_ref(), service.organization_id),
        is_saas: service.model == ServiceModel::SaaS,
        service,
        rows,
        agencies,
        typed,
        errors,
        frame,
    };
    Ok((status, render(&page)?).into_response())
}

pub async fn service_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let service = provider_service(&state, &ctx, id).await?;
    request_page(&state, &ctx, service, HashMap::new(), HashMap::new()).await
}

#[derive(Deserialize)]
pub struct RequestForm {
    #[serde(default)]
    agency: String,
    #[serde(default)]
    use_name: String,
    #[serde(default)]
    note: String,
}

pub async fn request(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(form): Form<RequestForm>,
) -> Result<Response, PageError> {
    let service = provider_service(&state, &ctx, id).await?;
    if !allows_request_assessment(ctx.principal.as_ref(), service.organization_id) {
        return Err(Failure::Forbidden.into());
    }
    let frame = Frame::new(&ctx);
    let mut errors = HashMap::new();
    if service.model != ServiceModel::SaaS {
        errors.insert("use_name".to_owned(), frame.t("ia-refused-not-saas"));
    }
    let agency = match form.agency.parse::<i64>() {
        Ok(agency) => match orgs::get(&state.db, agency).await {
            Ok(o) if o.kind == OrgKind::Agency => Some(o),
            Ok(_) | Err(StoreError::NotFound(_)) => None,
            Err(e) => return Err(e.into()),
        },
        Err(_) => None,
    };
    if agency.is_none() {
        errors.insert(
            "agency".to_owned(),
            problem_text(&frame, "agency", &FieldProblem::Missing),
        );
    }
    let use_name = match impact::check_use(&form.use_name) {
        Ok(u) => Some(u),
        Err(problem) => {
            errors
                .entry("use_name".to_owned())
                .or_insert_with(|| problem_text(&frame, "use_name", &problem));
            None
        }
    };
    if form.note.chars().count() > MAX_NOTE {
        errors.insert(
            "note".to_owned(),
            problem_text(&frame, "note", &FieldProblem::TooLong { max: MAX_NOTE }),
        );
    }
    let (Some(agency), Some(use_name), true) = (agency, use_name, errors.is_empty()) else {
        let typed = HashMap::from([
            ("agency".to_owned(), form.agency),
            ("use_name".to_owned(), form.use_name),
            ("note".to_owned(), form.note),
        ]);
        return request_page(&state, &ctx, service, typed, errors).await;
    };
    let created = store::request(
        &state.db,
        &actor(ctx.principal.as_ref())?,
        NewRequest {
            service_id: service.id,
            provider_id: service.organization_id,
            agency_id: agency.id,
            use_name: &use_name,
            note: form.note.trim(),
        },
    )
    .await?;
    Ok(Redirect::to(&format!("/impact-assessments/{}", created.id)).into_response())
}

// ----------------------------------------------------- one assessment

pub struct StepView {
    pub what: String,
    pub who: String,
    pub when: crate::text::When,
    pub reason: String,
}

#[derive(Template)]
#[template(path = "impact_assessment.html")]
struct AssessmentPage {
    frame: Frame,
    a: ImpactAssessment,
    state_label: String,
    business: String,
    confidentiality: String,
    result: String,
    businesses: Vec<BusinessOption>,
    can_fill: bool,
    can_decide: bool,
    can_reuse: bool,
    steps: Vec<StepView>,
    typed: AssessmentInput,
    errors: HashMap<String, String>,
    /// A refusal of the whole form (a conflict), and which form it belongs to.
    problem: Option<(String, String)>,
    reason_typed: String,
    approve_confirm: String,
    return_confirm: String,
    /// Shown to the provider: which pages use it.
    is_provider: bool,
}

impl AssessmentPage {
    fn error(&self, field: &str) -> Option<&str> {
        self.errors.get(field).map(|v| v.as_str())
    }
}

struct Shown {
    typed: Option<AssessmentInput>,
    errors: HashMap<String, String>,
    problem: Option<(String, String)>,
    reason: String,
    status: StatusCode,
}

impl Shown {
    fn clean() -> Shown {
        Shown {
            typed: None,
            errors: HashMap::new(),
            problem: None,
            reason: String::new(),
            status: StatusCode::OK,
        }
    }
}

async fn show_page(
    state: &AppState,
    ctx: &Ctx,
    a: ImpactAssessment,
    parties: AssessmentParties,
    shown: Shown,
) -> Result<Response, PageError> {
    let frame = Frame::new(ctx);
    let p = ctx.principal.as_ref();
    let can_fill = a.state.is_editable() && allows_assessment(p, AssessmentAction::Fill, parties);
    let can_decide = a.state == AssessmentState::Submitted
        && allows_assessment(p, AssessmentAction::Decide, parties);
    let can_reuse = allows_assessment(p, AssessmentAction::Reuse, parties)
        && p.is_some_and(|p| !p.is_member_of(a.agency_id));
    let steps = store::steps(&state.db, a.id)
        .await?
        .into_iter()
        .map(|s| StepView {
            what: frame.t(&format!("ia-step-{}", s.step)),
            who: s.actor_name.unwrap_or(s.actor),
            when: frame.when(&s.at),
            reason: s.reason,
        })
        .collect();
    let page = AssessmentPage {
        state_label: frame.t(&format!("ia-state-{}", a.state.key())),
        business: business_text(&frame, &a.content),
        confidentiality: labelled(&frame, "ia-conf", &a.content.confidentiality),
        result: labelled(&frame, "ia-result", &a.content.result),
        businesses: business_options(&frame),
        can_fill,
        can_decide,
        can_reuse,
        steps,
        typed: shown.typed.unwrap_or_else(|| a.content.clone()),
        errors: shown.errors,
        problem: shown.problem,
        reason_typed: shown.reason,
        approve_confirm: frame.tr("ia-approve-confirm", &[("use", a.use_name.clone())]),
        return_confirm: frame.t("ia-return-confirm"),
        is_provider: p.is_some_and(|p| p.is_member_of(a.provider_id)),
        a,
        frame,
    };
    Ok((shown.status, render(&page)?).into_response())
}

pub async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let (a, parties) = load(&state, &ctx, id).await?;
    show_page(&state, &ctx, a, parties, Shown::clean()).await
}

#[derive(Deserialize, Default)]
pub struct FillForm {
    #[serde(default)]
    action: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    business: String,
    #[serde(default)]
    business_other: String,
    #[serde(default)]
    information: String,
    #[serde(default)]
    confidentiality: String,
    #[serde(default)]
    impact: String,
    #[serde(default)]
    reasoning: String,
    #[serde(default)]
    result: String,
}

fn conflict_text(frame: &Frame) -> String {
    frame.t("ia-refused-moved")
}

/// The officer saves (action=save) or submits (action=submit) the content.
pub async fn fill(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(form): Form<FillForm>,
) -> Result<Response, PageError> {
    let (a, parties) = load(&state, &ctx, id).await?;
    if !allows_assessment(ctx.principal.as_ref(), AssessmentAction::Fill, parties) {
        return Err(Failure::Forbidden.into());
    }
    let frame = Frame::new(&ctx);
    let input = AssessmentInput {
        business: form.business,
        business_other: form.business_other,
        information: form.information,
        confidentiality: form.confidentiality,
        impact: form.impact,
        reasoning: form.reasoning,
        result: form.result,
    };
    let submit = form.action == "submit";
    let refuse = |errors: HashMap<String, String>, problem, status| Shown {
        typed: Some(input.clone()),
        errors,
        problem,
        reason: String::new(),
        status,
    };
    // The page showed another state: someone moved it meanwhile.
    if (!form.from.is_empty() && form.from != a.state.key()) || !a.state.is_editable() {
        let shown = refuse(
            HashMap::new(),
            Some(("fill".into(), conflict_text(&frame))),
            StatusCode::CONFLICT,
        );
        return show_page(&state, &ctx, a, parties, shown).await;
    }
    let problems = if submit {
        impact::validate(&input).err().unwrap_or_default()
    } else {
        impact::check_lengths(&input)
    };
    if !problems.is_empty() {
        let errors = problems
            .iter()
            .map(|e| {
                (
                    e.field.to_owned(),
                    problem_text(&frame, e.field, &e.problem),
                )
            })
            .collect();
        let shown = refuse(errors, None, StatusCode::UNPROCESSABLE_ENTITY);
        return show_page(&state, &ctx, a, parties, shown).await;
    }
    match store::save(
        &state.db,
        &actor(ctx.principal.as_ref())?,
        &a,
        &input,
        submit,
    )
    .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/impact-assessments/{id}")).into_response()),
        Err(StoreError::Conflict(_)) => {
            let fresh = store::get(&state.db, id).await?;
            let shown = refuse(
                HashMap::new(),
                Some(("fill".into(), conflict_text(&frame))),
                StatusCode::CONFLICT,
            );
            show_page(&state, &ctx, fresh, parties, shown).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct DecisionForm {
    #[serde(default)]
    decision: String,
    #[serde(default)]
    reason: String,
}

/// The CISO or a delegate approves or returns a submitted assessment.
pub async fn decide(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(form): Form<DecisionForm>,
) -> Result<Response, PageError> {
    let (a, parties) = load(&state, &ctx, id).await?;
    if !allows_assessment(ctx.principal.as_ref(), AssessmentAction::Decide, parties) {
        return Err(Failure::Forbidden.into());
    }
    let frame = Frame::new(&ctx);
    let refuse = |message: String, status| Shown {
        typed: None,
        errors: HashMap::new(),
        problem: Some(("decision".into(), message)),
        reason: form.reason.clone(),
        status,
    };
    let Some(decision) = AssessmentDecision::from_key(&form.decision) else {
        let shown = refuse(
            frame.t("ia-refused-decision"),
            StatusCode::UNPROCESSABLE_ENTITY,
        );
        return show_page(&state, &ctx, a, parties, shown).await;
    };
    if decision == AssessmentDecision::Return && form.reason.trim().is_empty() {
        let shown = refuse(
            frame.t("ia-refused-reason"),
            StatusCode::UNPROCESSABLE_ENTITY,
        );
        return show_page(&state, &ctx, a, parties, shown).await;
    }
    if form.reason.chars().count() > impact::MAX_REASON {
        let shown = refuse(
            problem_text(
                &frame,
                "reason",
                &FieldProblem::TooLong {
                    max: impact::MAX_REASON,
                },
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
        );
        return show_page(&state, &ctx, a, parties, shown).await;
    }
    if a.state != AssessmentState::Submitted {
        let shown = refuse(conflict_text(&frame), StatusCode::CONFLICT);
        return show_page(&state, &ctx, a, parties, shown).await;
    }
    // Four eyes: an officer the CISO delegated approval to does not approve
    // what they sent for approval themselves (the project's choice).
    let me = ctx.principal.as_ref().map(|p| p.user.id);
    if me.is_some() && store::submitter(&state.db, a.id).await? == me {
        let shown = refuse(frame.t("ia-refused-own-submission"), StatusCode::FORBIDDEN);
        return show_page(&state, &ctx, a, parties, shown).await;
    }
    match store::decide(
        &state.db,
        &actor(ctx.principal.as_ref())?,
        &a,
        decision,
        form.reason.trim(),
    )
    .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/impact-assessments/{id}")).into_response()),
        Err(StoreError::Conflict(_)) => {
            let fresh = store::get(&state.db, id).await?;
            let parties = self::parties(&state, ctx.principal.as_ref(), &fresh).await?;
            let shown = refuse(conflict_text(&frame), StatusCode::CONFLICT);
            show_page(&state, &ctx, fresh, parties, shown).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct ReuseForm {
    #[serde(default)]
    reason: String,
}

/// Another agency's officer reuses an approved assessment for the same use.
pub async fn reuse(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(form): Form<ReuseForm>,
) -> Result<Response, PageError> {
    let (a, parties) = load(&state, &ctx, id).await?;
    let p = signed_in(ctx.principal.as_ref())?;
    if !allows_assessment(Some(p), AssessmentAction::Reuse, parties) {
        return Err(Failure::Forbidden.into());
    }
    let frame = Frame::new(&ctx);
    let refuse = |message: String, status| Shown {
        typed: None,
        errors: HashMap::new(),
        problem: Some(("reuse".into(), message)),
        reason: form.reason.clone(),
        status,
    };
    if p.is_member_of(a.agency_id) {
        let shown = refuse(
            frame.t("ia-refused-reuse-own"),
            StatusCode::UNPROCESSABLE_ENTITY,
        );
        return show_page(&state, &ctx, a, parties, shown).await;
    }
    if form.reason.chars().count() > impact::MAX_REASON {
        let shown = refuse(
            problem_text(
                &frame,
                "reason",
                &FieldProblem::TooLong {
                    max: impact::MAX_REASON,
                },
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
        );
        return show_page(&state, &ctx, a, parties, shown).await;
    }
    let already = store::list(&state.db, Scope::Agency(p.organization.id))
        .await?
        .into_iter()
        .find(|x| x.agency_id == p.organization.id && x.reused_from == Some(a.id));
    if let Some(existing) = already {
        let shown = refuse(
            frame.tr("ia-refused-reused", &[("id", existing.id.to_string())]),
            StatusCode::CONFLICT,
        );
        return show_page(&state, &ctx, a, parties, shown).await;
    }
    let created = store::reuse(
        &state.db,
        &actor(Some(p))?,
        &a,
        p.organization.id,
        form.reason.trim(),
    )
    .await?;
    Ok(Redirect::to(&format!("/impact-assessments/{}", created.id)).into_response())
}

// ------------------------------------------------------- delegations

pub struct DelegationView {
    pub id: i64,
    pub name: String,
    pub reason: String,
    pub granted: crate::text::When,
    pub revoked: Option<crate::text::When>,
    pub revoke_reason: String,
}

#[derive(Template)]
#[template(path = "agency_delegations.html")]
struct DelegationsPage {
    frame: Frame,
    officers: Vec<(i64, String)>,
    delegations: Vec<DelegationView>,
    error: Option<(String, String)>,
    typed_reason: String,
}

async fn delegations_page(
    state: &AppState,
    ctx: &Ctx,
    error: Option<(String, String)>,
    typed_reason: String,
    status: StatusCode,
) -> Result<Response, PageError> {
    let p = signed_in(ctx.principal.as_ref())?;
    let frame = Frame::new(ctx);
    let officers = ismap_store::users::with_role(&state.db, p.organization.id, Role::AgencyOfficer)
        .await?
        .into_iter()
        .map(|u| (u.id, u.display_name))
        .collect();
    let delegations = delegations::list(&state.db, p.organization.id)
        .await?
        .into_iter()
        .map(|d| DelegationView {
            id: d.id,
            name: d.delegate_name,
            reason: d.reason,
            granted: frame.when(&d.granted_at),
            revoked: d.revoked_at.as_deref().map(|r| frame.when(r)),
            revoke_reason: d.revoke_reason,
        })
        .collect();
    let page = DelegationsPage {
        frame,
        officers,
        delegations,
        error,
        typed_reason,
    };
    Ok((status, render(&page)?).into_response())
}

pub async fn delegations_list(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Response, PageError> {
    signed_in(ctx.principal.as_ref())?;
    if !allows_delegations(ctx.principal.as_ref()) {
        return Err(Failure::Forbidden.into());
    }
    delegations_page(&state, &ctx, None, String::new(), StatusCode::OK).await
}

#[derive(Deserialize)]
pub struct DelegationForm {
    #[serde(default)]
    action: String,
    #[serde(default)]
    officer: String,
    #[serde(default)]
    delegation: String,
    #[serde(default)]
    reason: String,
}

/// The CISO grants (action=grant, officer) or revokes (action=revoke,
/// delegation) an approval delegation; both are events.
pub async fn delegations_change(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(form): Form<DelegationForm>,
) -> Result<Response, PageError> {
    let p = signed_in(ctx.principal.as_ref())?;
    if !allows_delegations(Some(p)) {
        return Err(Failure::Forbidden.into());
    }
    let frame = Frame::new(&ctx);
    let agency = p.organization.id;
    let fail = |field: &str, message: String, status| (field.to_owned(), message, status);
    let outcome: Result<(), (String, String, StatusCode)> =
        if form.reason.chars().count() > impact::MAX_REASON {
            Err(fail(
                "reason",
                problem_text(
                    &frame,
                    "reason",
                    &FieldProblem::TooLong {
                        max: impact::MAX_REASON,
                    },
                ),
                StatusCode::UNPROCESSABLE_ENTITY,
            ))
        } else if form.action == "grant" {
            let officers =
                ismap_store::users::with_role(&state.db, agency, Role::AgencyOfficer).await?;
            match form
                .officer
                .parse::<i64>()
                .ok()
                .filter(|id| officers.iter().any(|u| u.id == *id))
            {
                None => Err(fail(
                    "officer",
                    problem_text(&frame, "officer", &FieldProblem::Missing),
                    StatusCode::UNPROCESSABLE_ENTITY,
                )),
                Some(officer) => match delegations::grant(
                    &state.db,
                    &actor(Some(p))?,
                    agency,
                    officer,
                    form.reason.trim(),
                )
                .await
                {
                    Ok(_) => Ok(()),
                    Err(StoreError::Conflict(_)) => Err(fail(
                        "officer",
                        frame.t("ia-refused-already-delegated"),
                        StatusCode::CONFLICT,
                    )),
                    Err(e) => return Err(e.into()),
                },
            }
        } else if form.action == "revoke" {
            match form.delegation.parse::<i64>() {
                Err(_) => Err(fail(
                    "delegation",
                    frame.t("ia-refused-delegation"),
                    StatusCode::UNPROCESSABLE_ENTITY,
                )),
                Ok(id) => match delegations::revoke(
                    &state.db,
                    &actor(Some(p))?,
                    agency,
                    id,
                    form.reason.trim(),
                )
                .await
                {
                    Ok(()) => Ok(()),
                    Err(StoreError::Conflict(_)) => Err(fail(
                        "delegation",
                        frame.t("ia-refused-delegation"),
                        StatusCode::CONFLICT,
                    )),
                    Err(e) => return Err(e.into()),
                },
            }
        } else {
            Err(fail(
                "action",
                frame.t("ia-refused-decision"),
                StatusCode::UNPROCESSABLE_ENTITY,
            ))
        };
    match outcome {
        Ok(()) => Ok(Redirect::to("/agency/delegations").into_response()),
        Err((field, message, status)) => {
            delegations_page(&state, &ctx, Some((field, message)), form.reason, status).await
        }
    }
}

// ------------------------------------------------------- dashboards

/// A dashboard card: what waits for the person, counted, with its list.
pub struct DashCard {
    pub id: &'static str,
    pub title: String,
    pub count: usize,
    pub href: &'static str,
}

/// The ISMAP-LIU cards of the dashboard (home.rs): the agency officer's
/// assessments to fill in, the CISO's (or delegate's) to approve, IPA's
/// pre-applications to review, the provider's returned pre-applications.
pub async fn dashboard_cards(
    state: &AppState,
    frame: &Frame,
    p: Option<&Principal>,
) -> Result<Vec<DashCard>, Failure> {
    let Some(p) = p else {
        return Ok(Vec::new());
    };
    let mut cards = Vec::new();
    if p.organization.kind == OrgKind::Agency {
        let (fill, approve) = waiting(state, p).await?;
        if p.has(Role::AgencyOfficer) {
            cards.push(DashCard {
                id: "stat-ia-fill",
                title: frame.t("ia-dash-fill"),
                count: fill,
                href: "/impact-assessments#inbox",
            });
        }
        if p.has(Role::AgencyCiso) || approve > 0 {
            cards.push(DashCard {
                id: "stat-ia-approve",
                title: frame.t("ia-dash-approve"),
                count: approve,
                href: "/impact-assessments#approvals",
            });
        }
    }
    if p.has(Role::Reviewer) {
        cards.push(DashCard {
            id: "stat-pre-queue",
            title: frame.t("pre-dash-queue"),
            count: crate::pages::pre_applications::waiting(state, p).await?,
            href: "/pre-applications",
        });
    }
    if p.organization.kind == OrgKind::Csp && p.has(Role::CspAdmin) {
        cards.push(DashCard {
            id: "stat-pre-returned",
            title: frame.t("pre-dash-returned"),
            count: crate::pages::pre_applications::waiting(state, p).await?,
            href: "/pre-applications",
        });
    }
    Ok(cards)
}
