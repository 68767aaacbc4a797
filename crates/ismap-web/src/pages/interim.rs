//! Interim measures (暫定措置, issue 15 items 4–5, seed 000 「2 暫定措置に
//! ついて」): an agency that cannot procure a registered service tells the
//! secretariat the service's name and status, keeps using it on its own
//! responsibility until the deadline (1 year, `ismap_domain::interim`),
//! asks the provider to apply and hears its conformance status; when the
//! deadline passes without an application, or none is expected, it reports
//! to the secretariat and then records its plan and progress.
//!
//! Who: the agency's own officers and CISO read and write; the secretariat
//! reads every agency's measures and writes none (403); an agency never
//! learns of another's (404, as a missing id); anyone else: 404 for a
//! measure, 403 for the list. Decided before any object is loaded
//! (`policy::sees_interim`, `allows_interim`).

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use chrono::NaiveDate;
use ismap_domain::input::TextProblem;
use ismap_domain::interim::{
    self as rules, InterimStart, InterimState, OriginRefusal, PlanKind, ReportReason, ReportRefusal,
};
use ismap_store::interim::{self as store, Measure};
use ismap_store::{Actor, StoreError};
use serde::Deserialize;

use crate::AppState;
use crate::auth::Ctx;
use crate::error::{Failure, PageError, Query};
use crate::pages::engagements::see_other;
use crate::pages::render;
use crate::policy::{InterimAction, Principal, allows_interim, hidden, sees_interim, signed_in};
use crate::text::Frame;

/// The words a missing measure is named by (the store's NotFound).
const KIND: &str = "interim measure";
/// The words a missing register entry is named by.
const ENTRY_KIND: &str = "register entry";
/// Longest free text (the status told, a hearing, a report, a plan).
pub const TEXT_MAX: usize = 4000;
/// Longest short text (how the provider was asked).
pub const SHORT_MAX: usize = 200;

// ---------------------------------------------------------------- access

/// Signed in and one who has interim measures at all; else the sign-in
/// failure, or the very 404 of a missing `kind` `id`.
fn gate<'c>(ctx: &'c Ctx, kind: &str, id: i64) -> Result<&'c Principal, Failure> {
    let p = signed_in(ctx.principal.as_ref())?;
    if sees_interim(Some(p)) {
        Ok(p)
    } else {
        Err(hidden(kind, id))
    }
}

fn path_id(ctx: &Ctx, text: &str) -> Result<i64, Failure> {
    text.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| Failure::NotFound(ctx.path.clone()))
}

/// The measure, if the person may see it; otherwise exactly the failure of
/// a missing id.
async fn load_visible(state: &AppState, ctx: &Ctx, id: i64) -> Result<Measure, Failure> {
    let p = gate(ctx, KIND, id)?;
    let measure = match store::get(&state.db, id).await {
        Ok(m) => m,
        Err(StoreError::NotFound(_)) => return Err(hidden(KIND, id)),
        Err(e) => return Err(e.into()),
    };
    if !allows_interim(Some(p), InterimAction::View, measure.agency_id) {
        return Err(hidden(KIND, id));
    }
    Ok(measure)
}

/// The acting person when they may write the agency's records (403 for
/// the secretariat, who reads).
fn writer(ctx: &Ctx, agency: i64) -> Result<Actor, Failure> {
    let p = signed_in(ctx.principal.as_ref())?;
    if allows_interim(Some(p), InterimAction::Record, agency) {
        Ok(Actor::user(p.user.id, &p.user.username))
    } else {
        Err(Failure::Forbidden)
    }
}

fn private(mut response: Response) -> Result<Response, PageError> {
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("private, no-store"),
    );
    Ok(response)
}

fn unprocessable(response: Response) -> Result<Response, PageError> {
    let mut response = private(response)?;
    *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    Ok(response)
}

// ------------------------------------------------------------- shown text

/// 「あと n 日」/「本日が期限」/「n 日超過」.
pub fn days_text(frame: &Frame, deadline: NaiveDate, today: NaiveDate) -> String {
    let n = rules::days_left(deadline, today);
    match n {
        n if n > 0 => frame.tr("interim-days-left", &[("days", n.to_string())]),
        0 => frame.t("interim-days-today"),
        n => frame.tr("interim-days-over", &[("days", (-n).to_string())]),
    }
}

fn state_label(frame: &Frame, state: InterimState) -> String {
    frame.t(&format!("interim-state-{}", state.key()))
}

fn origin_label(frame: &Frame, origin: &str) -> String {
    frame.t(&format!("interim-origin-{}", origin.replace('_', "-")))
}

/// One measure as lists and cards show it.
pub struct Row {
    pub id: i64,
    pub href: String,
    pub service_name: String,
    pub provider_name: String,
    pub system_name: String,
    pub agency: String,
    pub deadline: String,
    pub days: String,
    pub state_key: &'static str,
    pub state: String,
    pub overdue: bool,
}

fn row(frame: &Frame, m: &Measure, today: NaiveDate) -> Row {
    Row {
        id: m.id,
        href: format!("/interim-measures/{}", m.id),
        service_name: m.service_name.clone(),
        provider_name: m.provider_name.clone(),
        system_name: m.system_name.clone(),
        agency: frame.pick(&m.agency_name, &m.agency_name_en).to_owned(),
        deadline: frame.day(&m.deadline),
        days: if m.state == InterimState::Closed {
            String::new()
        } else {
            days_text(frame, m.deadline, today)
        },
        state_key: m.state.key(),
        state: state_label(frame, m.state),
        overdue: m.is_overdue(today),
    }
}

/// Brings measures up to date before they are shown (applied, closed by
/// registration, overdue flagged); a failed refresh does not stop the page.
async fn refresh_shown(state: &AppState, measures: &[Measure], today: NaiveDate) {
    for m in measures.iter().filter(|m| m.state != InterimState::Closed) {
        if let Err(error) = store::refresh(&state.db, m.id, today).await {
            tracing::warn!(measure = m.id, %error, "interim refresh failed");
        }
    }
}

// ------------------------------------------------------------------- list

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ListQuery {
    filter: Option<String>,
}

/// The list's filters, in order.
const FILTERS: [&str; 5] = ["all", "open", "overdue", "reported", "closed"];

pub struct FilterLink {
    pub key: &'static str,
    pub label: String,
    pub href: String,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "interim_measures.html")]
struct ListPage {
    frame: Frame,
    rows: Vec<Row>,
    filters: Vec<FilterLink>,
    secretariat: bool,
}

/// `GET /interim-measures`: the agency's own measures, or (the
/// secretariat) every agency's, overdue first; filter open / overdue /
/// reported / closed.
pub async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    query: Result<Query<ListQuery>, Response>,
) -> Result<Response, PageError> {
    let p = signed_in(ctx.principal.as_ref())?;
    if !sees_interim(Some(p)) {
        return Err(Failure::Forbidden.into());
    }
    let secretariat = p.has(ismap_domain::Role::SecretariatOfficer);
    let scope = if secretariat {
        None
    } else {
        Some(p.organization.id)
    };
    let today = state.clock.today();
    let before = store::list(&state.db, scope).await?;
    refresh_shown(&state, &before, today).await;
    let mut measures = store::list(&state.db, scope).await?;
    let filter = query
        .ok()
        .and_then(|Query(q)| q.filter)
        .filter(|f| FILTERS.contains(&f.as_str()))
        .unwrap_or_else(|| "all".to_owned());
    measures.retain(|m| match filter.as_str() {
        "open" => matches!(m.state, InterimState::Open | InterimState::Applied),
        "overdue" => m.is_overdue(today),
        "reported" => m.state == InterimState::Reported,
        "closed" => m.state == InterimState::Closed,
        _ => true,
    });
    // Overdue first, then the soonest deadline (the store's order).
    measures.sort_by_key(|m| !m.is_overdue(today));
    let frame = Frame::new(&ctx);
    let filters = FILTERS
        .iter()
        .map(|key| FilterLink {
            key,
            label: frame.t(&format!("interim-filter-{key}")),
            href: if *key == "all" {
                "/interim-measures".to_owned()
            } else {
                format!("/interim-measures?filter={key}")
            },
            current: *key == filter,
        })
        .collect();
    let page = ListPage {
        rows: measures.iter().map(|m| row(&frame, m, today)).collect(),
        filters,
        secretariat,
        frame,
    };
    private(render(&page)?)
}

// ----------------------------------------------------------------- detail

/// Every form of the detail page as typed (each POST fills its own part).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct RecordForm {
    pub statement: String,
    pub requested_on: String,
    pub method: String,
    pub note: String,
    pub heard_on: String,
    pub summary: String,
    pub reason: String,
    pub body: String,
    pub reported_on: String,
    pub kind: String,
    pub description: String,
    pub planned_start: String,
    pub planned_completion: String,
    pub progress_on: String,
    pub progress: String,
}

/// One recorded item as shown.
pub struct RecordRow {
    pub on: String,
    pub text: String,
    pub kind: String,
    pub note: String,
    pub period: String,
    pub at: crate::text::When,
    pub by: String,
}

pub struct HistoryRow {
    pub at: crate::text::When,
    pub what: String,
    pub who: String,
}

pub struct ApplicationRow {
    /// For those who may open applications (the secretariat); agencies see
    /// the state only.
    pub href: Option<String>,
    pub id: i64,
    pub state: String,
    pub submitted: String,
}

#[derive(Template)]
#[template(path = "interim_measure.html")]
struct DetailPage {
    frame: Frame,
    m: Row,
    origin: String,
    origin_date: String,
    current_status: String,
    start_of_use: String,
    entry_href: String,
    closed: Option<String>,
    application: Option<ApplicationRow>,
    acknowledgements: Vec<RecordRow>,
    requests: Vec<RecordRow>,
    hearings: Vec<RecordRow>,
    report: Option<RecordRow>,
    plans: Vec<RecordRow>,
    progress: Vec<RecordRow>,
    history: Vec<HistoryRow>,
    /// The agency's own people, while the measure runs.
    can_record: bool,
    can_report: bool,
    can_plan: bool,
    can_progress: bool,
    /// The secretariat, on a reported measure: the inquiry (調査) link.
    inquiry_href: Option<String>,
    today: String,
    form: RecordForm,
    errors: HashMap<String, String>,
}

impl DetailPage {
    fn error(&self, field: &str) -> Option<&String> {
        self.errors.get(field)
    }

    fn reason_chosen(&self, key: &str) -> bool {
        self.form.reason == key
    }

    fn kind_chosen(&self, key: &str) -> bool {
        self.form.kind == key
    }
}

fn record_row(frame: &Frame, r: &store::Record, kind: String) -> RecordRow {
    RecordRow {
        on: frame.day(&r.on),
        text: r.text.clone(),
        kind,
        note: r.note.clone(),
        period: match (r.start, r.end) {
            (Some(s), Some(e)) => format!("{} – {}", frame.day(&s), frame.day(&e)),
            _ => String::new(),
        },
        at: frame.when(&r.at),
        by: r.by.clone().unwrap_or_default(),
    }
}

async fn detail_page(
    state: &AppState,
    ctx: &Ctx,
    measure: Measure,
    form: RecordForm,
    errors: HashMap<String, String>,
) -> Result<DetailPage, Failure> {
    let p = signed_in(ctx.principal.as_ref())?;
    let frame = Frame::new(ctx);
    let today = state.clock.today();
    let records = store::records(&state.db, measure.id).await?;
    let mut history = Vec::new();
    for ev in store::history(&state.db, &measure).await? {
        let who = match ev.actor_id {
            Some(user) => ismap_store::users::get(&state.db, user)
                .await
                .map(|u| u.display_name)
                .unwrap_or(ev.actor.clone()),
            None => frame.t("event-actor-system"),
        };
        history.push(HistoryRow {
            at: frame.when(&ev.at),
            what: frame.t(&format!(
                "interim-history-{}",
                ev.action
                    .trim_start_matches("interim_measure.")
                    .replace('_', "-")
            )),
            who,
        });
    }
    let application = match store::portal_service(&state.db, &measure).await? {
        Some(service) => store::application_of(&state.db, service)
            .await?
            .map(|a| ApplicationRow {
                href: crate::policy::allows(Some(p), crate::policy::Action::ViewApplication, None)
                    .then(|| format!("/applications/{}", a.id)),
                id: a.id,
                state: frame.t(&format!("web-app-state-{}", a.state.key())),
                submitted: frame.when_text(&a.submitted_at),
            }),
        None => None,
    };
    let own = allows_interim(Some(p), InterimAction::Record, measure.agency_id);
    let running = measure.state != InterimState::Closed;
    let reported = measure.state == InterimState::Reported;
    let secretariat = p.has(ismap_domain::Role::SecretariatOfficer);
    let m = row(&frame, &measure, today);
    Ok(DetailPage {
        origin: origin_label(&frame, &measure.origin),
        origin_date: frame.day(&measure.origin_date),
        current_status: measure.current_status.clone(),
        start_of_use: frame.day(&measure.start_of_use),
        entry_href: format!("/agency/register/{}", measure.entry_id),
        closed: (measure.state == InterimState::Closed).then(|| {
            frame.tr(
                "interim-closed-because",
                &[
                    (
                        "reason",
                        frame.t(&format!(
                            "interim-closed-{}",
                            measure.closed_reason.as_deref().unwrap_or("registered")
                        )),
                    ),
                    (
                        "at",
                        measure
                            .closed_at
                            .as_deref()
                            .map(|a| frame.when_text(a))
                            .unwrap_or_default(),
                    ),
                ],
            )
        }),
        application,
        acknowledgements: records
            .acknowledgements
            .iter()
            .map(|r| record_row(&frame, r, String::new()))
            .collect(),
        requests: records
            .requests
            .iter()
            .map(|r| record_row(&frame, r, r.kind.clone()))
            .collect(),
        hearings: records
            .hearings
            .iter()
            .map(|r| record_row(&frame, r, String::new()))
            .collect(),
        report: records.report.as_ref().map(|r| {
            record_row(
                &frame,
                r,
                frame.t(&format!("interim-reason-{}", r.kind.replace('_', "-"))),
            )
        }),
        plans: records
            .plans
            .iter()
            .rev()
            .map(|r| {
                record_row(
                    &frame,
                    r,
                    frame.t(&format!("interim-plan-{}", r.kind.replace('_', "-"))),
                )
            })
            .collect(),
        progress: records
            .progress
            .iter()
            .map(|r| record_row(&frame, r, String::new()))
            .collect(),
        history,
        can_record: own && running,
        can_report: own && measure.state == InterimState::Open,
        can_plan: own && reported,
        can_progress: own && reported && !records.plans.is_empty(),
        inquiry_href: (secretariat && reported)
            .then(|| format!("/inquiries/new?interim_measure={}", measure.id)),
        today: today.to_string(),
        form,
        errors,
        m,
        frame,
    })
}

/// `GET /interim-measures/{id}`: the measure, brought up to date first.
pub async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    signed_in(ctx.principal.as_ref())?;
    let id = path_id(&ctx, &id)?;
    let measure = load_visible(&state, &ctx, id).await?;
    let today = state.clock.today();
    refresh_shown(&state, std::slice::from_ref(&measure), today).await;
    let measure = store::get(&state.db, measure.id).await?;
    let page = detail_page(&state, &ctx, measure, RecordForm::default(), HashMap::new()).await?;
    private(render(&page)?)
}

// --------------------------------------------------------------- validation

struct Check<'a> {
    frame: &'a Frame,
    errors: HashMap<String, String>,
    today: NaiveDate,
}

impl Check<'_> {
    fn text(&mut self, field: &str, value: &str, max: usize, required: bool) -> String {
        let value = value.trim();
        let message = match ismap_domain::input::text_problem(value, max, required, true) {
            Some(TextProblem::Required) => Some(self.frame.t("interim-error-required")),
            Some(TextProblem::TooLong { max }) => Some(
                self.frame
                    .tr("interim-error-too-long", &[("max", max.to_string())]),
            ),
            Some(TextProblem::ControlCharacter) => Some(self.frame.t("interim-error-control")),
            None => None,
        };
        if let Some(message) = message {
            self.errors.insert(field.to_owned(), message);
        }
        value.to_owned()
    }

    /// A day (YYYY-MM-DD); `past` refuses a day after today.
    fn day(&mut self, field: &str, value: &str, past: bool) -> Option<NaiveDate> {
        let value = value.trim();
        if value.is_empty() {
            self.errors
                .insert(field.to_owned(), self.frame.t("interim-error-required"));
            return None;
        }
        match value.parse::<NaiveDate>() {
            Ok(day) if past && day > self.today => {
                self.errors
                    .insert(field.to_owned(), self.frame.t("interim-error-future"));
                None
            }
            Ok(day) => Some(day),
            Err(_) => {
                self.errors.insert(
                    field.to_owned(),
                    self.frame
                        .tr("interim-error-date", &[("value", value.to_owned())]),
                );
                None
            }
        }
    }
}

/// Which record a POST writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Which {
    Acknowledge,
    ProviderRequest,
    Hearing,
    Report,
    Plan,
    Progress,
}

async fn record(
    state: AppState,
    ctx: Ctx,
    headers: HeaderMap,
    id: String,
    form: Result<Form<RecordForm>, FormRejection>,
    which: Which,
) -> Result<Response, PageError> {
    signed_in(ctx.principal.as_ref())?;
    let id = path_id(&ctx, &id)?;
    let measure = load_visible(&state, &ctx, id).await?;
    let actor = writer(&ctx, measure.agency_id)?;
    let form = form.map(|Form(f)| f).unwrap_or_default();
    let frame = Frame::new(&ctx);
    let today = state.clock.today();
    let mut check = Check {
        frame: &frame,
        errors: HashMap::new(),
        today,
    };
    let conflict = |id: &str| Failure::Conflict(frame.t(id));
    let db = &state.db;
    let done: Result<(), StoreError> = match which {
        Which::Acknowledge => {
            let statement = check.text("statement", &form.statement, TEXT_MAX, true);
            if !check.errors.is_empty() {
                Ok(())
            } else {
                store::acknowledge(db, &actor, id, &statement).await
            }
        }
        Which::ProviderRequest => {
            let on = check.day("requested_on", &form.requested_on, true);
            let method = check.text("method", &form.method, SHORT_MAX, true);
            let note = check.text("note", &form.note, TEXT_MAX, false);
            match on {
                Some(on) if check.errors.is_empty() => {
                    store::request_provider(db, &actor, id, on, &method, &note).await
                }
                _ => Ok(()),
            }
        }
        Which::Hearing => {
            let on = check.day("heard_on", &form.heard_on, true);
            let summary = check.text("summary", &form.summary, TEXT_MAX, true);
            match on {
                Some(on) if check.errors.is_empty() => {
                    store::hear(db, &actor, id, on, &summary).await
                }
                _ => Ok(()),
            }
        }
        Which::Report => {
            let reason = ReportReason::from_key(form.reason.trim());
            if reason.is_none() {
                check
                    .errors
                    .insert("reason".into(), frame.t("interim-error-reason"));
            }
            let body = check.text("body", &form.body, TEXT_MAX, true);
            let on = check.day("reported_on", &form.reported_on, true);
            if let Some(reason) = reason {
                match rules::may_report(measure.state, reason, measure.deadline, today) {
                    Ok(()) => {}
                    Err(ReportRefusal::NotOpen) => {
                        return Err(conflict("interim-error-not-open").into());
                    }
                    Err(ReportRefusal::DeadlineNotPassed) => {
                        check.errors.insert(
                            "reason".into(),
                            frame.tr(
                                "interim-error-deadline-not-passed",
                                &[("deadline", frame.day(&measure.deadline))],
                            ),
                        );
                    }
                }
            }
            match (reason, on) {
                (Some(reason), Some(on)) if check.errors.is_empty() => {
                    store::report(db, &actor, id, reason, &body, on)
                        .await
                        .map(|_| ())
                }
                _ => Ok(()),
            }
        }
        Which::Plan => {
            let kind = PlanKind::from_key(form.kind.trim());
            if kind.is_none() {
                check
                    .errors
                    .insert("kind".into(), frame.t("interim-error-plan-kind"));
            }
            let description = check.text("description", &form.description, TEXT_MAX, true);
            let start = check.day("planned_start", &form.planned_start, false);
            let end = check.day("planned_completion", &form.planned_completion, false);
            if let (Some(s), Some(e)) = (start, end)
                && e < s
            {
                check
                    .errors
                    .insert("planned_completion".into(), frame.t("interim-error-order"));
            }
            match (kind, start, end) {
                (Some(kind), Some(s), Some(e)) if check.errors.is_empty() => {
                    store::plan(db, &actor, id, kind, &description, s, e).await
                }
                _ => Ok(()),
            }
        }
        Which::Progress => {
            let on = check.day("progress_on", &form.progress_on, true);
            let text = check.text("progress", &form.progress, TEXT_MAX, true);
            match on {
                Some(on) if check.errors.is_empty() => {
                    store::add_progress(db, &actor, id, on, &text).await
                }
                _ => Ok(()),
            }
        }
    };
    let errors = check.errors;
    match done {
        Err(StoreError::Conflict(_)) => Err(conflict("interim-conflict").into()),
        Err(e) => Err(Failure::from(e).into()),
        Ok(()) if !errors.is_empty() => {
            let page = detail_page(&state, &ctx, measure, form, errors).await?;
            unprocessable(render(&page)?)
        }
        Ok(()) => {
            let anchor = match which {
                Which::Acknowledge => "acknowledgements",
                Which::ProviderRequest => "requests",
                Which::Hearing => "hearings",
                Which::Report => "report",
                Which::Plan => "plan",
                Which::Progress => "progress",
            };
            Ok(see_other(
                &headers,
                &format!("/interim-measures/{id}#{anchor}"),
            ))
        }
    }
}

/// The six record POSTs differ only in which form part they read, so one
/// handler ([`record`]) serves them all; this names each for the routes
/// (`routes.rs` keeps one handler per path).
macro_rules! record_handler {
    ($(#[$doc:meta])* $name:ident => $which:expr) => {
        $(#[$doc])*
        pub async fn $name(
            State(state): State<AppState>,
            ctx: Ctx,
            headers: HeaderMap,
            Path(id): Path<String>,
            form: Result<Form<RecordForm>, FormRejection>,
        ) -> Result<Response, PageError> {
            record(state, ctx, headers, id, form, $which).await
        }
    };
}

record_handler!(
    /// `POST /interim-measures/{id}/acknowledgements`: the agency keeps using
    /// the service on its own responsibility.
    acknowledge => Which::Acknowledge
);
record_handler!(
    /// `POST /interim-measures/{id}/provider-requests`: asked the provider to apply.
    provider_request => Which::ProviderRequest
);
record_handler!(
    /// `POST /interim-measures/{id}/hearings`: a hearing of the provider.
    hearing => Which::Hearing
);
record_handler!(
    /// `POST /interim-measures/{id}/report`: the report to the secretariat.
    report => Which::Report
);
record_handler!(
    /// `POST /interim-measures/{id}/plans`: the plan after the report.
    plan => Which::Plan
);
record_handler!(
    /// `POST /interim-measures/{id}/progress`: progress of the plan.
    progress => Which::Progress
);

// ---------------------------------------------------------------- declare

/// The declaration form as typed.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct DeclareForm {
    /// `programme_start` or `start_of_use`.
    pub origin: String,
    pub current_status: String,
    /// The entry's version the form was shown with.
    pub version: String,
}

/// The declare form (on the register entry's page, and alone when a
/// declaration is refused).
#[derive(Template)]
#[template(path = "interim_declare_form.html")]
struct DeclareFormView<'a> {
    frame: &'a Frame,
    entry_id: i64,
    version: i64,
    form: DeclareForm,
    errors: HashMap<String, String>,
    /// (origin key, label with its deadline)
    origins: Vec<(String, String)>,
}

impl DeclareFormView<'_> {
    fn error(&self, field: &str) -> Option<&String> {
        self.errors.get(field)
    }

    fn origin_chosen(&self, key: &str) -> bool {
        self.form.origin == key
    }
}

#[derive(Template)]
#[template(path = "interim_declare.html")]
struct DeclarePage {
    frame: Frame,
    service_name: String,
    entry_href: String,
    form_html: String,
}

fn origin_options(
    frame: &Frame,
    start_of_use: NaiveDate,
    programme_start: NaiveDate,
) -> Vec<(String, String)> {
    [true, false]
        .into_iter()
        .map(|in_use| {
            let key = if in_use {
                "programme_start"
            } else {
                "start_of_use"
            };
            let start = if in_use {
                InterimStart::InUseAtProgrammeStart { programme_start }
            } else {
                InterimStart::StartOfUse(start_of_use)
            };
            let deadline = rules::deadline(start)
                .map(|d| frame.day(&d))
                .unwrap_or_default();
            (
                key.to_owned(),
                frame.tr(
                    &format!("interim-origin-{}-choice", key.replace('_', "-")),
                    &[
                        ("origin", frame.day(&start.origin())),
                        ("deadline", deadline),
                    ],
                ),
            )
        })
        .collect()
}

fn declare_form_html(
    frame: &Frame,
    entry: &store::EntryFacts,
    programme_start: NaiveDate,
    form: DeclareForm,
    errors: HashMap<String, String>,
) -> Result<String, Failure> {
    let view = DeclareFormView {
        frame,
        entry_id: entry.id,
        version: entry.version,
        origins: origin_options(frame, entry.start_of_use, programme_start),
        form,
        errors,
    };
    view.render()
        .map_err(|e| Failure::Internal(format!("template: {e}")))
}

/// The origin that fits the entry (what the form proposes).
fn default_origin(start_of_use: NaiveDate, programme_start: NaiveDate) -> &'static str {
    if start_of_use <= programme_start {
        "programme_start"
    } else {
        "start_of_use"
    }
}

/// `POST /agency/register/{id}/interim`: declares an interim measure on an
/// undecided register entry (the agency's own people). Refused input comes
/// back (422) on the form's own page with everything typed; a concurrent
/// change of the entry is a conflict (409).
pub async fn declare(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(id): Path<String>,
    form: Result<Form<DeclareForm>, FormRejection>,
) -> Result<Response, PageError> {
    signed_in(ctx.principal.as_ref())?;
    let id = path_id(&ctx, &id)?;
    let p = gate(&ctx, ENTRY_KIND, id)?;
    let entry = match store::entry(&state.db, id).await {
        Ok(e) => e,
        Err(StoreError::NotFound(_)) => return Err(hidden(ENTRY_KIND, id).into()),
        Err(e) => return Err(Failure::from(e).into()),
    };
    if !allows_interim(Some(p), InterimAction::View, entry.agency_id) {
        return Err(hidden(ENTRY_KIND, id).into());
    }
    let actor = writer(&ctx, entry.agency_id)?;
    let form = form.map(|Form(f)| f).unwrap_or_default();
    let frame = Frame::new(&ctx);
    if entry.path != "undecided" || entry.status == "ended" {
        return Err(Failure::Refused(frame.t("interim-error-entry-decided")).into());
    }
    let programme_start = state.config.programme_start;
    let mut check = Check {
        frame: &frame,
        errors: HashMap::new(),
        today: state.clock.today(),
    };
    let current_status = check.text("current_status", &form.current_status, TEXT_MAX, true);
    let start = match form.origin.trim() {
        "programme_start" | "start_of_use" => {
            match rules::origin_for(
                form.origin.trim() == "programme_start",
                entry.start_of_use,
                programme_start,
            ) {
                Ok(start) => Some(start),
                Err(refusal) => {
                    let id = match refusal {
                        OriginRefusal::StartedAfterProgramme => "interim-error-origin-later",
                        OriginRefusal::InUseAtProgrammeStart => "interim-error-origin-earlier",
                    };
                    check.errors.insert(
                        "origin".into(),
                        frame.tr(id, &[("programme", frame.day(&programme_start))]),
                    );
                    None
                }
            }
        }
        _ => {
            check
                .errors
                .insert("origin".into(), frame.t("interim-error-origin"));
            None
        }
    };
    let version = form.version.trim().parse::<i64>().unwrap_or(entry.version);
    let deadline = start.and_then(rules::deadline);
    if start.is_some() && deadline.is_none() {
        check
            .errors
            .insert("origin".into(), frame.t("interim-error-origin"));
    }
    let errors = check.errors;
    match (start, deadline) {
        (Some(start), Some(deadline)) if errors.is_empty() => {
            let new = store::NewMeasure {
                entry_id: entry.id,
                entry_version: version,
                start,
                deadline,
                current_status: &current_status,
            };
            match store::declare(&state.db, &actor, entry.agency_id, &new).await {
                Ok(measure) => Ok(see_other(
                    &headers,
                    &format!("/interim-measures/{}", measure.id),
                )),
                Err(StoreError::Conflict(_)) => {
                    Err(Failure::Conflict(frame.t("interim-declare-conflict")).into())
                }
                Err(e) => Err(Failure::from(e).into()),
            }
        }
        _ => {
            let form_html = declare_form_html(&frame, &entry, programme_start, form, errors)?;
            let page = DeclarePage {
                service_name: entry.service_name.clone(),
                entry_href: format!("/agency/register/{}", entry.id),
                form_html,
                frame,
            };
            unprocessable(render(&page)?)
        }
    }
}

// ------------------------------------------------------- register entry

#[derive(Template)]
#[template(path = "interim_entry_section.html")]
struct EntrySection<'a> {
    frame: &'a Frame,
    measure: Option<Row>,
    form_html: String,
}

/// The interim measure section of a register entry's page
/// (`/agency/register/{id}`): the measure's summary with its link when one
/// was declared (brought up to date first), the declare form when the
/// entry is undecided and in use or planned — only for the agency's own
/// people (the secretariat reads the summary, and gets nothing where there
/// is no measure). The caller has already decided that the person sees
/// the entry.
pub async fn entry_section_for(
    state: &AppState,
    frame: &Frame,
    principal: Option<&Principal>,
    entry_id: i64,
    agency_id: i64,
) -> Result<String, PageError> {
    let may_declare = allows_interim(principal, InterimAction::Record, agency_id);
    section(state, frame, entry_id, agency_id, may_declare).await
}

async fn section(
    state: &AppState,
    frame: &Frame,
    entry_id: i64,
    agency_id: i64,
    may_declare: bool,
) -> Result<String, PageError> {
    let today = state.clock.today();
    let measure = match store::of_entry(&state.db, entry_id).await? {
        Some(m) if m.agency_id == agency_id => {
            refresh_shown(state, std::slice::from_ref(&m), today).await;
            Some(store::get(&state.db, m.id).await?)
        }
        Some(_) => None,
        None => None,
    };
    let form_html = if measure.is_none() {
        let entry = store::entry(&state.db, entry_id).await?;
        if !may_declare
            || entry.agency_id != agency_id
            || entry.path != "undecided"
            || entry.status == "ended"
        {
            return Ok(String::new());
        }
        let programme_start = state.config.programme_start;
        declare_form_html(
            frame,
            &entry,
            programme_start,
            DeclareForm {
                origin: default_origin(entry.start_of_use, programme_start).to_owned(),
                ..DeclareForm::default()
            },
            HashMap::new(),
        )?
    } else {
        String::new()
    };
    let section = EntrySection {
        measure: measure.as_ref().map(|m| row(frame, m, today)),
        form_html,
        frame,
    };
    section
        .render()
        .map_err(|e| Failure::Internal(format!("template: {e}")).into())
}

// -------------------------------------------------------------- dashboard

/// The dashboard card: the agency's own measures, or every agency's for
/// the secretariat.
pub struct Card {
    pub secretariat: bool,
    /// Waiting for an application, or applied.
    pub open: usize,
    pub overdue: usize,
    pub reported: usize,
    /// The agency: days to the nearest deadline of a measure still open.
    pub nearest: Option<String>,
}

/// The card for the person's dashboard (`None`: not one who has interim
/// measures). Brings the counted measures up to date first.
pub async fn dashboard_card(
    state: &AppState,
    frame: &Frame,
    principal: Option<&Principal>,
) -> Result<Option<Card>, Failure> {
    let Some(p) = principal.filter(|p| sees_interim(Some(p))) else {
        return Ok(None);
    };
    let secretariat = p.has(ismap_domain::Role::SecretariatOfficer);
    let scope = (!secretariat).then_some(p.organization.id);
    let today = state.clock.today();
    let before = store::list(&state.db, scope).await?;
    refresh_shown(state, &before, today).await;
    let measures = store::list(&state.db, scope).await?;
    let nearest = measures
        .iter()
        .filter(|m| m.state == InterimState::Open)
        .map(|m| m.deadline)
        .min()
        .map(|d| days_text(frame, d, today));
    Ok(Some(Card {
        secretariat,
        open: measures
            .iter()
            .filter(|m| matches!(m.state, InterimState::Open | InterimState::Applied))
            .count(),
        overdue: measures.iter().filter(|m| m.is_overdue(today)).count(),
        reported: measures
            .iter()
            .filter(|m| m.state == InterimState::Reported)
            .count(),
        nearest,
    }))
}
