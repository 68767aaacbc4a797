//! Applications for registration (spec §5): the provider files the package,
//! IPA checks and reviews it with questions, the committee decides, and a
//! decision to register puts the service on its list (spec §6).
//!
//! Filing follows 入力 → 確認 → 完了: the form is checked and held on the
//! server under a token (with its files, bounded in size and time), the
//! confirmation page shows everything that will be filed, and only pressing
//! 申請する there files it, in one transaction.

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};
use std::time::{Duration, Instant};

use askama::Template;
use axum::Form;
use axum::extract::{FromRequest, Multipart, Path, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use ismap_domain::application_rules::{
    AuditScope, Support, SupportError, covered_count, cycle_window_start, first_and_rest, in_cycle,
    renewal_period, support, uncovered_by,
};
use ismap_domain::audit_work::AuditResult;
use ismap_domain::registration::ListKind;
use ismap_domain::review::{
    ApplicationState, ReviewError, Transition, available, check_transition,
};
use ismap_domain::validity::validity_period;
use ismap_domain::{Decision, Level, Role, ServiceModel, Statement};
use ismap_formats::report::check_statement;
use ismap_formats::statement_file::parse_statement;
use ismap_i18n::{Lang, Messages};
use ismap_store::StoreError;
use ismap_store::applications::{self, Application, NewApplication};
use ismap_store::files::NewFile;
use ismap_store::registrations::{self, NewRegistration};
use ismap_store::{engagements, improvement, orgs, services, statements};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::AppState;
use crate::audit_ops::actor;
use crate::auth::Ctx;
use crate::error::{Failure, PageError, Query};
use crate::pages::engagements::{is_htmx, see_other, snapshot_of, xlsx_download};
use crate::pages::render;
use crate::policy::{Action, Principal, allows};
use crate::text::Frame;
use crate::today;
use crate::uploads;

/// A message from the catalogs.
fn msg(lang: Lang, id: &str, args: &[(&str, String)]) -> String {
    Messages::get().text(lang, id, args)
}

fn invalid(field: &str, message: String) -> Failure {
    Failure::Invalid {
        field: field.into(),
        message,
    }
}

/// A file size for people: 12 B, 3.4 KB, 1.2 MB.
fn size(bytes: usize) -> String {
    if bytes < 1024 {
        format!("{bytes} B")
    } else if bytes < 1024 * 1024 {
        format!("{:.1} KB", bytes as f64 / 1024.0)
    } else {
        format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0))
    }
}

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

/// The form's text fields with the catalog id of their label.
const FIELDS: [(&str, &str); 11] = [
    ("service_name_en", "web-service-name-en"),
    ("provider_address", "web-provider-address"),
    ("representative", "web-representative"),
    ("contact", "web-contact"),
    ("service_url", "web-service-url"),
    ("subsequent_events", "web-subsequent-events"),
    ("capital_and_officers", "web-risk-info-capital"),
    ("foreign_law_exposure", "web-risk-info-foreign-law"),
    ("governing_law", "web-risk-info-governing-law"),
    ("third_party_tests", "web-risk-info-tests"),
    ("regions", "web-risk-info-regions"),
];

/// The file fields, each the kind of document it is filed as.
const FILE_FIELDS: [&str; 2] = ["management_letter", "annex"];

impl ApplicationForm {
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
                let label = FIELDS
                    .iter()
                    .find(|(f, _)| *f == field)
                    .map_or(field.to_owned(), |(_, id)| msg(lang, id, &[]));
                return Err(invalid(
                    field,
                    msg(lang, "application-refused-required", &[("field", label)]),
                ));
            }
        }
        crate::links::check_web_url(upload.text("service_url").trim())
            .map_err(|p| crate::links::field_error(lang, "service_url", &p, false))?;
        let mut map = serde_json::Map::new();
        for (field, _) in FIELDS {
            map.insert(field.into(), json!(upload.text(field).trim()));
        }
        serde_json::from_value(Value::Object(map)).map_err(|e| Failure::Internal(e.to_string()))
    }
}

/// A file refused by [`uploads::check`], said in the page's language.
fn file_refusal(lang: Lang, field: &str, name: &str, bytes: &[u8], max: usize) -> Failure {
    let name = name.to_owned();
    let message = if bytes.is_empty() {
        msg(lang, "application-refused-file-empty", &[("file", name)])
    } else if bytes.len() > max {
        msg(
            lang,
            "application-refused-file-large",
            &[("file", name), ("limit", size(max))],
        )
    } else {
        msg(lang, "application-refused-file-kind", &[("file", name)])
    };
    invalid(field, message)
}

/// Checks a sent file: its content type, or the refusal in `lang`.
fn check_file(
    lang: Lang,
    field: &str,
    file: &uploads::SentFile,
    max: usize,
) -> Result<String, Failure> {
    let (name, declared, bytes) = file;
    uploads::check(field, name, declared, bytes, max)
        .map_err(|_| file_refusal(lang, field, name, bytes, max))
}

/// Reads a multipart form; a refusal (a file over the limit, a broken
/// form) in the page's language.
async fn read_upload(
    multipart: Multipart,
    max: usize,
    lang: Lang,
) -> Result<uploads::Upload, Failure> {
    uploads::read(multipart, max).await.map_err(|e| match e {
        Failure::Invalid { field, .. } if field == "file" => invalid(
            "file",
            msg(
                lang,
                "application-refused-upload-large",
                &[("limit", size(max))],
            ),
        ),
        Failure::Invalid { field, .. } => {
            invalid(&field, msg(lang, "application-refused-form", &[]))
        }
        other => other,
    })
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
        submitted: frame.day(&a.submitted_at),
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
    /// The state filter's choices (key, label) and the one chosen ("" = all).
    states: Vec<(String, String)>,
    state: String,
}

/// `/applications?state=…`: an empty or absent state means every state.
#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    state: String,
}

pub async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(query): Query<ListQuery>,
) -> Result<Response, PageError> {
    let p = ctx.require(Action::ListApplications, None)?;
    let frame = Frame::new(&ctx);
    let chosen = query.state.trim();
    let filter = if chosen.is_empty() {
        None
    } else {
        Some(
            ApplicationState::from_key(chosen).ok_or_else(|| Failure::Invalid {
                field: "state".into(),
                message: frame.tr(
                    "application-list-bad-state",
                    &[("value", chosen.to_owned())],
                ),
            })?,
        )
    };
    let mut rows: Vec<ApplicationRow> = visible(&state, p)
        .await?
        .iter()
        .filter(|a| filter.is_none_or(|f| a.state == f))
        .map(|a| application_row(&frame, a))
        .collect();
    // IPA works oldest first.
    if p.has(Role::Reviewer) {
        rows.sort_by_key(|r| (!r.with_reviewer, -r.age_days));
    }
    let states = ApplicationState::ALL
        .iter()
        .map(|s| {
            (
                s.key().to_owned(),
                frame.t(&format!("web-app-state-{}", s.key())),
            )
        })
        .collect();
    render(&ApplicationsPage {
        applications: rows,
        states,
        state: filter.map(|f| f.key().to_owned()).unwrap_or_default(),
        frame,
    })
}

// ---------------------------------------------------------------------
// Forms held between 入力 and 申請する.

/// How long a checked form waits for 申請する (or 戻る).
const DRAFT_LIFETIME: Duration = Duration::from_secs(2 * 60 * 60);
/// The most bytes of files held for all people together; the oldest forms
/// make room for new ones (their owners are asked to fill them in again).
const DRAFTS_MAX_BYTES: usize = 160 * 1024 * 1024;
/// The most forms one person has waiting.
const DRAFTS_PER_USER: usize = 5;

/// A checked form with its files, waiting on the confirmation page.
struct Draft {
    user_id: i64,
    service_id: i64,
    upload: uploads::Upload,
    held_at: Instant,
    /// The application filed from it: pressing 申請する again (or
    /// reloading) shows its 完了 page instead of filing twice.
    filed: Option<i64>,
}

impl Draft {
    fn bytes(&self) -> usize {
        self.upload.files.values().map(|(_, _, b)| b.len()).sum()
    }
}

static DRAFTS: LazyLock<Mutex<HashMap<String, Draft>>> = LazyLock::new(Default::default);

fn drafts() -> std::sync::MutexGuard<'static, HashMap<String, Draft>> {
    DRAFTS.lock().unwrap_or_else(|e| e.into_inner())
}

/// Holds `upload` for `user_id`'s application for `service_id`; returns its token.
fn hold(user_id: i64, service_id: i64, upload: uploads::Upload) -> String {
    let mut drafts = drafts();
    drafts.retain(|_, d| d.held_at.elapsed() < DRAFT_LIFETIME);
    let oldest = |drafts: &HashMap<String, Draft>, mine: bool| {
        drafts
            .iter()
            .filter(|(_, d)| !mine || d.user_id == user_id)
            .min_by_key(|(_, d)| d.held_at)
            .map(|(token, _)| token.clone())
    };
    while drafts.values().filter(|d| d.user_id == user_id).count() >= DRAFTS_PER_USER {
        let Some(token) = oldest(&drafts, true) else {
            break;
        };
        drafts.remove(&token);
    }
    let new = Draft {
        user_id,
        service_id,
        upload,
        held_at: Instant::now(),
        filed: None,
    };
    while drafts.values().map(Draft::bytes).sum::<usize>() + new.bytes() > DRAFTS_MAX_BYTES {
        let Some(token) = oldest(&drafts, false) else {
            break;
        };
        drafts.remove(&token);
    }
    let token = crate::auth::random_token();
    drafts.insert(token.clone(), new);
    token
}

/// What a token holds for this person and service, if still held.
enum Held {
    Waiting(uploads::Upload),
    Filed(i64),
}

fn held(token: &str, user_id: i64, service_id: i64) -> Option<Held> {
    let drafts = drafts();
    let d = drafts
        .get(token)
        .filter(|d| d.user_id == user_id && d.service_id == service_id)
        .filter(|d| d.held_at.elapsed() < DRAFT_LIFETIME)?;
    Some(match d.filed {
        Some(id) => Held::Filed(id),
        None => Held::Waiting(uploads::Upload {
            fields: d.upload.fields.clone(),
            files: d.upload.files.clone(),
        }),
    })
}

/// Takes the waiting form out to file it; a second press meanwhile finds
/// nothing waiting. `Err(Some(id))` when it was filed already.
fn take(token: &str, user_id: i64, service_id: i64) -> Result<Draft, Option<i64>> {
    let mut drafts = drafts();
    match drafts.get(token) {
        Some(d) if d.user_id == user_id && d.service_id == service_id => {
            if let Some(id) = d.filed {
                return Err(Some(id));
            }
        }
        _ => return Err(None),
    }
    drafts.remove(token).ok_or(None)
}

/// Puts a form back (filing was refused), or records what was filed from it.
fn put_back(token: &str, mut draft: Draft, filed: Option<i64>) {
    if filed.is_some() {
        // The files are stored with the application now.
        draft.upload.files.clear();
        draft.filed = filed;
    }
    drafts().insert(token.to_owned(), draft);
}

// ---------------------------------------------------------------------
// 入力

/// What can be applied with: an engagement of the service with an issued report.
pub struct ReportChoice {
    pub engagement: i64,
    pub label: String,
}

/// An audit for people: organization, period, scope and report issue.
fn report_label(frame: &Frame, e: &engagements::Engagement, issue: i64) -> String {
    frame.tr(
        "application-report-choice",
        &[
            ("organization", e.audit_organization_name.clone()),
            ("from", frame.day(&e.period_start)),
            ("until", frame.day(&e.period_end)),
            ("scope", scope_label(frame, e)),
            ("issue", issue.to_string()),
        ],
    )
}

/// The audit's scope: full, LIU, or the year of a multi-year cycle.
fn scope_label(frame: &Frame, e: &engagements::Engagement) -> String {
    let scope = frame.t(&format!("web-scope-{}", e.scope));
    if e.scope == "multi_year" {
        format!(
            "{scope} {}",
            frame.tr(
                "application-cycle-year",
                &[
                    ("year", e.cycle_year.to_string()),
                    ("years", e.cycle_years.to_string())
                ]
            )
        )
    } else {
        scope
    }
}

/// A file held with the form, as the form and the confirmation show it.
pub struct HeldFile {
    pub field: &'static str,
    pub label: String,
    pub name: String,
    pub size: String,
}

fn held_files(frame: &Frame, upload: &uploads::Upload) -> Vec<HeldFile> {
    FILE_FIELDS
        .iter()
        .filter_map(|field| {
            upload.files.get(*field).map(|(name, _, bytes)| HeldFile {
                field,
                label: frame.t(&format!("web-doc-{field}")),
                name: name.clone(),
                size: size(bytes.len()),
            })
        })
        .collect()
}

#[derive(Template)]
#[template(path = "application_new.html")]
struct NewApplicationPage {
    frame: Frame,
    step: u8,
    service_id: i64,
    service_name: String,
    is_saas: bool,
    /// Per list: a renewal of which registration, or a new one.
    renewals: Vec<String>,
    reports: Vec<ReportChoice>,
    error: Option<String>,
    /// What was typed into the form, shown again with a refusal or after 戻る.
    typed: HashMap<String, String>,
    /// The token of the files held from an earlier pass, if any.
    draft: Option<String>,
    held: Vec<HeldFile>,
    files_hint: String,
}

impl NewApplicationPage {
    fn typed(&self, field: &str) -> &str {
        self.typed.get(field).map_or("", String::as_str)
    }

    fn chosen(&self, field: &str, value: &str) -> bool {
        self.typed(field) == value
    }

    fn held(&self, field: &str) -> Option<&HeldFile> {
        self.held.iter().find(|h| h.field == field)
    }
}

/// The service's engagements with an issued report: (engagement, latest issue).
async fn reported(
    state: &AppState,
    service: &services::Service,
) -> Result<Vec<(engagements::Engagement, i64)>, Failure> {
    let mut out = Vec::new();
    for e in engagements::list_for_organization(&state.db, service.organization_id).await? {
        if e.service_id != service.id {
            continue;
        }
        if let Some(report) = engagements::reports(&state.db, e.id).await?.last() {
            let issue = report.issue;
            out.push((e, issue));
        }
    }
    Ok(out)
}

/// What an application for each list the service may apply for would be:
/// a renewal of its current registration there, or a new registration
/// with that list's own number. Said on the form, so that the provider
/// knows before filing that applying for the other list moves nothing.
async fn per_list_lines(
    state: &AppState,
    frame: &Frame,
    service: &services::Service,
) -> Result<Vec<String>, Failure> {
    let mut lines = Vec::new();
    for list in ListKind::ALL {
        if list == ListKind::Liu && service.model != ServiceModel::SaaS {
            continue;
        }
        lines.push(renewal_line(state, frame, service.id, list).await?);
    }
    Ok(lines)
}

/// "A renewal of C26-0009-1" or "a new registration on the list".
async fn renewal_line(
    state: &AppState,
    frame: &Frame,
    service_id: i64,
    list: ListKind,
) -> Result<String, Failure> {
    let list_name = frame.t(&format!("web-list-{}", list.key()));
    Ok(
        match registrations::current_on_list(&state.db, service_id, list).await? {
            Some(r) => frame.tr(
                "renewal-apply-renews",
                &[("list", list_name), ("number", r.number)],
            ),
            None => frame.tr("renewal-apply-new", &[("list", list_name)]),
        },
    )
}

async fn new_page(
    state: &AppState,
    ctx: &Ctx,
    service_id: i64,
    error: Option<(StatusCode, String)>,
    typed: Option<&uploads::Upload>,
    draft: Option<String>,
) -> Result<Response, PageError> {
    let service = visible_service(state, ctx, service_id).await?;
    ctx.require(Action::SubmitApplication, Some(service.organization_id))?;
    let frame = Frame::new(ctx);
    let reports = reported(state, &service)
        .await?
        .iter()
        .map(|(e, issue)| ReportChoice {
            engagement: e.id,
            label: report_label(&frame, e, *issue),
        })
        .collect();
    let renewals = per_list_lines(state, &frame, &service).await?;
    let held = typed.map(|u| held_files(&frame, u)).unwrap_or_default();
    let status = error.as_ref().map(|(status, _)| *status);
    let mut response = render(&NewApplicationPage {
        step: 1,
        service_id,
        is_saas: service.model == ServiceModel::SaaS,
        service_name: service.name,
        renewals,
        reports,
        error: error.map(|(_, message)| message),
        typed: typed.map(|u| u.fields.clone()).unwrap_or_default(),
        draft: draft.filter(|_| !held.is_empty()),
        held,
        files_hint: frame.tr(
            "application-files-hint",
            &[("limit", size(state.config.max_upload_bytes))],
        ),
        frame,
    })?;
    if let Some(status) = status {
        *response.status_mut() = status;
    }
    Ok(response)
}

#[derive(Deserialize)]
pub struct ApplyQuery {
    /// A held form: its confirmation page, or with `edit` the form again.
    draft: Option<String>,
    edit: Option<String>,
    /// The application just filed: its 完了 page.
    done: Option<i64>,
}

/// `/services/{id}/apply`: the form (入力), the confirmation of a held form
/// (確認, `?draft=`), the form again with it (戻る, `?draft=&edit=1`), or
/// the 完了 page of the application filed (`?done=`).
pub async fn new_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(service_id): Path<i64>,
    Query(query): Query<ApplyQuery>,
) -> Result<Response, PageError> {
    if let Some(id) = query.done {
        return done_page(&state, &ctx, service_id, id).await;
    }
    let Some(token) = query.draft.filter(|t| !t.is_empty()) else {
        return new_page(&state, &ctx, service_id, None, None, None).await;
    };
    let service = visible_service(&state, &ctx, service_id).await?;
    let p = ctx.require(Action::SubmitApplication, Some(service.organization_id))?;
    match held(&token, p.user.id, service_id) {
        None => {
            let expired = msg(ctx.lang, "application-draft-expired", &[]);
            new_page(
                &state,
                &ctx,
                service_id,
                Some((StatusCode::OK, expired)),
                None,
                None,
            )
            .await
        }
        Some(Held::Filed(id)) => Ok(Redirect::to(&done_url(service_id, id)).into_response()),
        Some(Held::Waiting(upload)) if query.edit.is_some() => {
            new_page(&state, &ctx, service_id, None, Some(&upload), Some(token)).await
        }
        Some(Held::Waiting(upload)) => {
            match prepare(&state, p, &service, &upload, ctx.lang).await {
                Ok(prepared) => {
                    confirm_page(&state, &ctx, &service, &token, &upload, &prepared, None).await
                }
                // Something changed since (a report, another application):
                // the form again, with why.
                Err(
                    Failure::Invalid { message, .. }
                    | Failure::Conflict(message)
                    | Failure::Refused(message),
                ) => {
                    new_page(
                        &state,
                        &ctx,
                        service_id,
                        Some((StatusCode::CONFLICT, message)),
                        Some(&upload),
                        Some(token),
                    )
                    .await
                }
                Err(other) => Err(other.into()),
            }
        }
    }
}

fn done_url(service_id: i64, application: i64) -> String {
    format!("/services/{service_id}/apply?done={application}")
}

// ---------------------------------------------------------------------
// 確認

#[derive(Template)]
#[template(path = "application_confirm.html")]
struct ConfirmPage {
    frame: Frame,
    step: u8,
    service_id: i64,
    service_name: String,
    token: String,
    list: String,
    report: String,
    /// A renewal of which registration, or a new one on the list.
    renewal: String,
    fields: Vec<(String, String)>,
    files: Vec<HeldFile>,
    error: Option<String>,
}

async fn confirm_page(
    state: &AppState,
    ctx: &Ctx,
    service: &services::Service,
    token: &str,
    upload: &uploads::Upload,
    prepared: &Prepared,
    error: Option<(StatusCode, String)>,
) -> Result<Response, PageError> {
    let frame = Frame::new(ctx);
    let renewal = renewal_line(state, &frame, service.id, prepared.list).await?;
    let status = error.as_ref().map(|(status, _)| *status);
    let mut response = render(&ConfirmPage {
        step: 2,
        service_id: service.id,
        service_name: service.name.clone(),
        token: token.to_owned(),
        list: frame.t(&format!("web-list-{}", prepared.list.key())),
        report: report_label(&frame, &prepared.engagement, prepared.report_issue),
        renewal,
        fields: FIELDS
            .iter()
            .map(|(field, label)| (frame.t(label), upload.text(field).trim().to_owned()))
            .collect(),
        files: held_files(&frame, upload),
        error: error.map(|(_, message)| message),
        frame,
    })?;
    if let Some(status) = status {
        *response.status_mut() = status;
    }
    Ok(response)
}

// ---------------------------------------------------------------------
// 完了

#[derive(Template)]
#[template(path = "application_done.html")]
struct DonePage {
    frame: Frame,
    step: u8,
    a: ApplicationRow,
    service_id: i64,
    done_text: String,
}

async fn done_page(
    state: &AppState,
    ctx: &Ctx,
    service_id: i64,
    id: i64,
) -> Result<Response, PageError> {
    let application = load(state, ctx, id).await?;
    if application.service_id != service_id {
        return Err(Failure::NotFound(format!("application {id}")).into());
    }
    let frame = Frame::new(ctx);
    let a = application_row(&frame, &application);
    render(&DonePage {
        step: 3,
        done_text: frame.tr(
            "application-done-text",
            &[("service", a.service.clone()), ("list", a.list.clone())],
        ),
        a,
        service_id,
        frame,
    })
}

// ---------------------------------------------------------------------
// Filing

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

#[derive(Deserialize)]
struct FileForm {
    #[serde(default)]
    draft: String,
}

/// `POST /services/{id}/applications`. The form (multipart, `step=confirm`)
/// is checked and held, and the confirmation shown; 申請する on the
/// confirmation (a form with the token) files what is held. A multipart
/// form without `step` is filed at once (for scripts, which have no
/// confirmation page; the portal's form always confirms).
pub async fn submit(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(service_id): Path<i64>,
    request: Request,
) -> Result<Response, PageError> {
    let service = visible_service(&state, &ctx, service_id).await?;
    let p = ctx.require(Action::SubmitApplication, Some(service.organization_id))?;
    let lang = ctx.lang;
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if is_form {
        let Form(form) = Form::<FileForm>::from_request(request, &state)
            .await
            .map_err(|_| invalid("draft", msg(lang, "application-refused-form", &[])))?;
        return file_held(&state, &ctx, &headers, &service, p, &form.draft).await;
    }
    let multipart = Multipart::from_request(request, &state)
        .await
        .map_err(|_| invalid("form", msg(lang, "application-refused-form", &[])))?;
    let mut upload = read_upload(multipart, state.config.max_upload_bytes, lang).await?;
    if upload.text("step") == "confirm" {
        return to_confirmation(&state, &ctx, &headers, &service, p, &mut upload).await;
    }
    let outcome = match prepare(&state, p, &service, &upload, lang).await {
        Ok(prepared) => file(&state, p, &service, &upload, &prepared, lang).await,
        Err(e) => Err(e),
    };
    match outcome {
        Ok(application) => Ok(see_other(
            &headers,
            &format!("/applications/{}", application.id),
        )),
        Err(Failure::Invalid { message, .. }) if !is_htmx(&headers) => {
            new_page(
                &state,
                &ctx,
                service_id,
                Some((StatusCode::UNPROCESSABLE_ENTITY, message)),
                Some(&upload),
                None,
            )
            .await
        }
        Err(Failure::Conflict(message) | Failure::Refused(message)) if !is_htmx(&headers) => {
            new_page(
                &state,
                &ctx,
                service_id,
                Some((StatusCode::CONFLICT, message)),
                Some(&upload),
                None,
            )
            .await
        }
        Err(other) => Err(other.into()),
    }
}

/// 入力 → 確認: checks the form as filing would, holds it with its files and
/// sends the browser to the confirmation. Files not chosen again after 戻る
/// are the ones held before.
async fn to_confirmation(
    state: &AppState,
    ctx: &Ctx,
    headers: &HeaderMap,
    service: &services::Service,
    p: &Principal,
    upload: &mut uploads::Upload,
) -> Result<Response, PageError> {
    let earlier = upload.text("draft").to_owned();
    if !earlier.is_empty()
        && let Some(Held::Waiting(before)) = held(&earlier, p.user.id, service.id)
    {
        for field in FILE_FIELDS {
            let removed = field == "annex" && upload.text("remove_annex") == "1";
            if !upload.files.contains_key(field)
                && !removed
                && let Some(file) = before.files.get(field)
            {
                upload.files.insert(field.to_owned(), file.clone());
            }
        }
    }
    for field in ["step", "draft", "remove_annex", "csrf"] {
        upload.fields.remove(field);
    }
    match prepare(state, p, service, upload, ctx.lang).await {
        Ok(_) => {
            if !earlier.is_empty() {
                drafts().remove(&earlier);
            }
            let token = hold(
                p.user.id,
                service.id,
                uploads::Upload {
                    fields: upload.fields.clone(),
                    files: upload.files.clone(),
                },
            );
            Ok(see_other(
                headers,
                &format!("/services/{}/apply?draft={token}", service.id),
            ))
        }
        Err(failure @ (Failure::Invalid { .. } | Failure::Conflict(_) | Failure::Refused(_))) => {
            let status = failure.status();
            let message = match &failure {
                Failure::Invalid { message, .. }
                | Failure::Conflict(message)
                | Failure::Refused(message) => message.clone(),
                _ => String::new(),
            };
            if is_htmx(headers) {
                // The form stays on the page as typed; the refusal goes
                // into its error slot.
                return Err(if status == StatusCode::CONFLICT {
                    failure
                } else {
                    invalid("form", message)
                }
                .into());
            }
            // Without scripts the form comes back, files held.
            let token = (!upload.files.is_empty()).then(|| {
                hold(
                    p.user.id,
                    service.id,
                    uploads::Upload {
                        fields: upload.fields.clone(),
                        files: upload.files.clone(),
                    },
                )
            });
            new_page(
                state,
                ctx,
                service.id,
                Some((status, message)),
                Some(upload),
                token,
            )
            .await
        }
        Err(other) => Err(other.into()),
    }
}

/// 確認 → 完了: files the held form, once.
async fn file_held(
    state: &AppState,
    ctx: &Ctx,
    headers: &HeaderMap,
    service: &services::Service,
    p: &Principal,
    token: &str,
) -> Result<Response, PageError> {
    let draft = match take(token, p.user.id, service.id) {
        Ok(draft) => draft,
        Err(Some(filed)) => return Ok(see_other(headers, &done_url(service.id, filed))),
        Err(None) => {
            let expired = msg(ctx.lang, "application-draft-expired", &[]);
            return new_page(
                state,
                ctx,
                service.id,
                Some((StatusCode::CONFLICT, expired)),
                None,
                None,
            )
            .await;
        }
    };
    let outcome = match prepare(state, p, service, &draft.upload, ctx.lang).await {
        Ok(prepared) => file(state, p, service, &draft.upload, &prepared, ctx.lang)
            .await
            .map_err(|e| (e, Some(prepared))),
        Err(e) => Err((e, None)),
    };
    match outcome {
        Ok(application) => {
            put_back(token, draft, Some(application.id));
            Ok(see_other(headers, &done_url(service.id, application.id)))
        }
        Err((
            failure @ (Failure::Invalid { .. } | Failure::Conflict(_) | Failure::Refused(_)),
            prepared,
        )) => {
            let status = failure.status();
            let message = match failure {
                Failure::Invalid { message, .. }
                | Failure::Conflict(message)
                | Failure::Refused(message) => message,
                _ => String::new(),
            };
            let upload = uploads::Upload {
                fields: draft.upload.fields.clone(),
                files: draft.upload.files.clone(),
            };
            put_back(token, draft, None);
            match prepared {
                Some(prepared) => {
                    confirm_page(
                        state,
                        ctx,
                        service,
                        token,
                        &upload,
                        &prepared,
                        Some((status, message)),
                    )
                    .await
                }
                None => {
                    new_page(
                        state,
                        ctx,
                        service.id,
                        Some((status, message)),
                        Some(&upload),
                        Some(token.to_owned()),
                    )
                    .await
                }
            }
        }
        Err((other, _)) => {
            put_back(token, draft, None);
            Err(other.into())
        }
    }
}

/// An application checked and ready to file.
struct Prepared {
    list: ListKind,
    engagement: engagements::Engagement,
    report_issue: i64,
    form: ApplicationForm,
    renewal_of: Option<i64>,
    /// (field, content type) of each file sent.
    files: Vec<(&'static str, String)>,
}

/// Everything filing checks, in the page's language, without filing.
async fn prepare(
    state: &AppState,
    p: &Principal,
    service: &services::Service,
    upload: &uploads::Upload,
    lang: Lang,
) -> Result<Prepared, Failure> {
    let list = chosen_list(service, upload, lang)?;
    // An ISMAP-LIU application needs an accepted pre-application and
    // internal audits covering every control objective of chapters 5-18
    // within the three years up to today (spec §7.2, §7.4).
    if list == ListKind::Liu {
        crate::pages::pre_applications::require_accepted_pre_application(state, service, lang)
            .await?;
        crate::pages::internal_audits::require_coverage(state, service, lang).await?;
    }
    let engagement = chosen_engagement(state, p, service, upload, lang).await?;
    // Each list keeps its own registrations: an application renews the
    // service's current registration on the same list, or is new there.
    let renews = registrations::current_on_list(&state.db, service.id, list).await?;
    let support = audit_supports_list(list, &engagement, renews.is_some(), lang)?;
    let report = latest_report(state, &engagement, lang).await?;
    if support == Support::WithItsCycle {
        cycle_covers_catalog(state, &engagement, &report, lang).await?;
    }
    if let Some(previous) = &renews {
        audit_newer_than_previous(state, previous, &engagement, lang).await?;
    }
    let form = ApplicationForm::from_upload(upload, lang)?;
    statement_passes_rules(state, &engagement, lang).await?;
    deficiencies_planned(state, &engagement, &report, lang).await?;
    no_application_under_review(state, service, lang).await?;
    let files = documents_attached(state, upload, lang)?;
    Ok(Prepared {
        list,
        engagement,
        report_issue: report.issue,
        form,
        renewal_of: renews.map(|r| r.id),
        files,
    })
}

/// The list applied for; ISMAP-LIU for a SaaS only (spec §7.1).
fn chosen_list(
    service: &services::Service,
    upload: &uploads::Upload,
    lang: Lang,
) -> Result<ListKind, Failure> {
    let list = ListKind::from_key(upload.text("list"))
        .ok_or_else(|| invalid("list", msg(lang, "application-refused-list", &[])))?;
    if list == ListKind::Liu && service.model != ServiceModel::SaaS {
        return Err(invalid(
            "list",
            msg(lang, "application-refused-liu-saas", &[]),
        ));
    }
    Ok(list)
}

/// The audit chosen: one the person may see, of this service.
async fn chosen_engagement(
    state: &AppState,
    p: &Principal,
    service: &services::Service,
    upload: &uploads::Upload,
    lang: Lang,
) -> Result<engagements::Engagement, Failure> {
    let engagement_id: i64 = upload
        .text("engagement")
        .parse()
        .map_err(|_| invalid("engagement", msg(lang, "application-refused-audit", &[])))?;
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
        return Err(invalid(
            "engagement",
            msg(lang, "application-refused-other-service", &[]),
        ));
    }
    Ok(engagement)
}

/// Whether the audit's scope can support an application for `list`
/// (`ismap_domain::application_rules::support`).
fn audit_supports_list(
    list: ListKind,
    engagement: &engagements::Engagement,
    renews: bool,
    lang: Lang,
) -> Result<Support, Failure> {
    let scope = AuditScope::from_keys(
        &engagement.scope,
        engagement.cycle_year,
        engagement.cycle_years,
    )
    .ok_or_else(|| Failure::Internal(format!("engagement scope {:?}", engagement.scope)))?;
    support(list, scope, renews).map_err(|e| {
        let id = match e {
            // Spec §7 (seed 001): an ISMAP-LIU audit's external scope is
            // reduced (the other control measures are the internal
            // audit's), so it supports an ISMAP-LIU application only.
            SupportError::LiuAuditForIsmap => "application-refused-liu-audit-for-ismap",
            // Spec §4: a multi-year cycle is for renewals.
            SupportError::MultiYearNotARenewal => "renewal-refused-multi-year-first",
            SupportError::MultiYearForLiu => "renewal-refused-multi-year-for-liu",
        };
        invalid("engagement", msg(lang, id, &[]))
    })
}

/// The engagement's latest issued report, which the application rests on.
async fn latest_report(
    state: &AppState,
    engagement: &engagements::Engagement,
    lang: Lang,
) -> Result<engagements::Report, Failure> {
    engagements::reports(&state.db, engagement.id)
        .await?
        .pop()
        .ok_or_else(|| Failure::Refused(msg(lang, "application-refused-no-report", &[])))
}

/// The controls a report audited: a result other than "not tested".
fn audited_in(report: &engagements::Report) -> Result<Vec<ismap_domain::ControlId>, Failure> {
    Ok(snapshot_of(report)?
        .rows
        .iter()
        .filter(|r| {
            matches!(
                r.result(),
                Some(AuditResult::Conforming | AuditResult::Deficiency)
            )
        })
        .filter_map(|r| r.control.parse().ok())
        .collect())
}

/// One audit as an application counts it: the engagement, the report issue
/// read and the controls that issue audited.
struct CountedAudit {
    engagement: engagements::Engagement,
    issue: i64,
    audited: Vec<ismap_domain::ControlId>,
}

/// The other audits of a multi-year engagement's cycle: the service's
/// full and multi-year engagements with an issued report whose periods end
/// within the cycle's years before this one's end (the project's reading,
/// `application_rules::in_cycle`), each with its latest issue.
async fn cycle_audits(
    state: &AppState,
    engagement: &engagements::Engagement,
) -> Result<Vec<CountedAudit>, Failure> {
    let years = u8::try_from(engagement.cycle_years).unwrap_or(1);
    let mut out = Vec::new();
    for other in
        engagements::list_for_organization(&state.db, engagement.csp_organization_id).await?
    {
        let counts = AuditScope::from_keys(&other.scope, other.cycle_year, other.cycle_years)
            .is_some_and(AuditScope::counts_for_ismap);
        if other.id == engagement.id
            || other.service_id != engagement.service_id
            || !counts
            || !in_cycle(engagement.period_end, years, other.period_end)
        {
            continue;
        }
        if let Some(report) = engagements::reports(&state.db, other.id).await?.pop() {
            out.push(CountedAudit {
                issue: report.issue,
                audited: audited_in(&report)?,
                engagement: other,
            });
        }
    }
    out.sort_by_key(|a| (a.engagement.period_end, a.engagement.id));
    Ok(out)
}

/// Spec §4 ("全項目", [003]): a multi-year year supports an ISMAP renewal
/// only when the audits of its cycle together cover every control of the
/// catalog. Refused naming the first controls left and how many.
async fn cycle_covers_catalog(
    state: &AppState,
    engagement: &engagements::Engagement,
    report: &engagements::Report,
    lang: Lang,
) -> Result<(), Failure> {
    let catalog = state.catalog(&engagement.catalog_id).ok_or_else(|| {
        Failure::Internal(format!("catalog {} not loaded", engagement.catalog_id))
    })?;
    let this = audited_in(report)?;
    let others = cycle_audits(state, engagement).await?;
    let mut audited: Vec<&[ismap_domain::ControlId]> = vec![&this];
    audited.extend(others.iter().map(|a| a.audited.as_slice()));
    let uncovered = uncovered_by(catalog, &audited);
    if uncovered.is_empty() {
        return Ok(());
    }
    let (first, rest) = first_and_rest(&uncovered, 10);
    let years = u8::try_from(engagement.cycle_years).unwrap_or(1);
    let day = |d: chrono::NaiveDate| {
        ismap_i18n::day(lang, &d.to_string()).unwrap_or_else(|| d.to_string())
    };
    let more = if rest > 0 {
        msg(lang, "renewal-more-controls", &[("rest", rest.to_string())])
    } else {
        String::new()
    };
    Err(invalid(
        "engagement",
        msg(
            lang,
            "renewal-refused-cycle-uncovered",
            &[
                ("count", uncovered.len().to_string()),
                ("total", catalog.controls().len().to_string()),
                ("controls", first.join(", ")),
                ("more", more),
                (
                    "from",
                    day(cycle_window_start(engagement.period_end, years)),
                ),
                ("until", day(engagement.period_end)),
            ],
        ),
    ))
}

/// A renewal rests on a newer audit than the registration it renews
/// (issue 14): the same report again, or an older period, is refused,
/// naming both period ends.
async fn audit_newer_than_previous(
    state: &AppState,
    previous: &registrations::Registration,
    engagement: &engagements::Engagement,
    lang: Lang,
) -> Result<(), Failure> {
    let previous_end = registrations::audit_period_end(&state.db, previous).await?;
    renewal_period(previous_end, engagement.period_end).map_err(|e| {
        let day = |d: chrono::NaiveDate| {
            ismap_i18n::day(lang, &d.to_string()).unwrap_or_else(|| d.to_string())
        };
        invalid(
            "engagement",
            msg(
                lang,
                "renewal-refused-not-newer",
                &[
                    ("number", previous.number.clone()),
                    ("previous", day(e.previous)),
                    ("this", day(e.this)),
                ],
            ),
        )
    })
}

/// The statement as audited must still pass every rule (spec §5: the
/// review checks what the audit does not).
async fn statement_passes_rules(
    state: &AppState,
    engagement: &engagements::Engagement,
    lang: Lang,
) -> Result<(), Failure> {
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
        return Err(Failure::Refused(msg(
            lang,
            "application-refused-statement-errors",
            &[
                ("count", check.errors().to_string()),
                ("rules", rules.join(", ")),
            ],
        )));
    }
    Ok(())
}

/// Every deficiency of the report has an improvement measure (spec §4).
async fn deficiencies_planned(
    state: &AppState,
    engagement: &engagements::Engagement,
    report: &engagements::Report,
    lang: Lang,
) -> Result<(), Failure> {
    let snapshot = snapshot_of(report)?;
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
        return Err(Failure::Refused(msg(
            lang,
            "application-refused-no-plan",
            &[("controls", unplanned.join(", "))],
        )));
    }
    Ok(())
}

/// One application under review per service (filing checks it again in
/// its transaction).
async fn no_application_under_review(
    state: &AppState,
    service: &services::Service,
    lang: Lang,
) -> Result<(), Failure> {
    if applications::list(&state.db, Some(service.organization_id))
        .await?
        .iter()
        .any(|a| a.service_id == service.id && !a.state.is_final())
    {
        return Err(Failure::Refused(msg(lang, "application-refused-open", &[])));
    }
    Ok(())
}

/// The management letter (required) and the annex: (field, content type).
fn documents_attached(
    state: &AppState,
    upload: &uploads::Upload,
    lang: Lang,
) -> Result<Vec<(&'static str, String)>, Failure> {
    if !upload.files.contains_key("management_letter") {
        return Err(invalid(
            "management_letter",
            msg(lang, "application-refused-letter", &[]),
        ));
    }
    let mut files = Vec::new();
    for field in FILE_FIELDS {
        if let Some(file) = upload.files.get(field) {
            files.push((
                field,
                check_file(lang, field, file, state.config.max_upload_bytes)?,
            ));
        }
    }
    Ok(files)
}

/// Files a prepared application with its documents, in one transaction
/// that also makes sure no other application of the service is under review.
async fn file(
    state: &AppState,
    p: &Principal,
    service: &services::Service,
    upload: &uploads::Upload,
    prepared: &Prepared,
    lang: Lang,
) -> Result<Application, Failure> {
    let master = uploads::master_key(state)?;
    let form =
        serde_json::to_value(&prepared.form).map_err(|e| Failure::Internal(e.to_string()))?;
    let mut documents = Vec::new();
    for (field, content_type) in &prepared.files {
        if let Some((name, _, bytes)) = upload.files.get(*field) {
            documents.push((
                *field,
                NewFile {
                    organization_id: service.organization_id,
                    file_name: name,
                    content_type,
                    bytes,
                },
            ));
        }
    }
    applications::submit(
        &state.db,
        master,
        &actor(Some(p))?,
        NewApplication {
            service_id: service.id,
            organization_id: service.organization_id,
            list: prepared.list,
            statement_id: prepared.engagement.statement_id,
            statement_revision: prepared.engagement.revision,
            engagement_id: prepared.engagement.id,
            report_issue: prepared.report_issue,
            renewal_of: prepared.renewal_of,
            form: &form,
        },
        documents,
    )
    .await
    .map_err(|e| match e {
        StoreError::Conflict(_) => Failure::Refused(msg(lang, "application-refused-open", &[])),
        other => other.into(),
    })
}

// ---------------------------------------------------------------------
// The application page and the review's moves

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

/// What the confirmation dialog of a move says (convention 1).
pub struct Confirm {
    pub title: String,
    pub text: String,
    pub ok: String,
}

pub struct ButtonView {
    pub key: &'static str,
    pub label: String,
    pub needs_reason: bool,
    pub asks_questions: bool,
    /// Destructive (reject, withdraw): styled as such.
    pub danger: bool,
    pub confirm: Option<Confirm>,
    /// A refusal of this form, shown beside it, and what was typed.
    pub error: Option<String>,
    pub reason: String,
    pub questions: String,
    pub due_date: String,
}

/// A refused move, shown in place on the page with what was typed.
struct Problem {
    /// The transition's key.
    form: String,
    message: String,
    typed: HashMap<String, String>,
    status: StatusCode,
}

#[derive(Template)]
#[template(path = "application.html")]
struct ApplicationPage {
    frame: Frame,
    a: ApplicationRow,
    form: ApplicationForm,
    engagement_period: String,
    statement_label: String,
    report_label: String,
    audit_scope: String,
    /// The audits the application rests on, and for a multi-year cycle
    /// what they cover together.
    audits: Vec<AuditView>,
    cycle_covered: Option<String>,
    /// A renewal of which registration (same list), if it is one.
    renews: Option<String>,
    /// The read-only statement view, for IPA and the committee.
    statement_view: Option<String>,
    findings: String,
    documents: Vec<(String, i64, String)>,
    questions: Vec<QuestionView>,
    history: Vec<TransitionView>,
    buttons: Vec<ButtonView>,
    /// A refusal that belongs to no form on the page.
    error: Option<String>,
    can_answer: bool,
    /// Registration number and validity.
    registration: Option<(String, String)>,
    today: String,
    /// ISMAP-LIU: the internal audit reports and IPA's check of them.
    internal_audits: Option<crate::pages::internal_audits::ApplicationSection>,
}

/// One audit an application rests on, as IPA and the committee read it.
pub struct AuditView {
    pub organization: String,
    /// Full, year k of a multi-year cycle of n, or ISMAP-LIU (reduced).
    pub scope: String,
    pub period: String,
    pub issue: i64,
    /// "288 / 290": the controls it audited out of the catalog's.
    pub covered: String,
}

/// An audit's scope as the application page says it.
fn audit_scope_text(frame: &Frame, e: &engagements::Engagement) -> String {
    frame.tr(
        &format!("renewal-scope-{}", e.scope),
        &[
            ("year", e.cycle_year.to_string()),
            ("years", e.cycle_years.to_string()),
        ],
    )
}

/// The audits an application rests on: its own and, for a multi-year
/// year, the other audits of its cycle (read now: the cycle's reports as
/// they stand), with what the cycle covers together.
async fn audit_views(
    state: &AppState,
    frame: &Frame,
    application: &Application,
    engagement: &engagements::Engagement,
) -> Result<(Vec<AuditView>, Option<String>), Failure> {
    let Some(catalog) = state.catalog(&engagement.catalog_id) else {
        return Ok((Vec::new(), None));
    };
    let total = catalog.controls().len();
    let report = engagements::report(&state.db, engagement.id, application.report_issue).await?;
    let mut audits = vec![CountedAudit {
        engagement: engagement.clone(),
        issue: report.issue,
        audited: audited_in(&report)?,
    }];
    let multi_year = engagement.scope == "multi_year";
    if multi_year {
        audits.extend(cycle_audits(state, engagement).await?);
    }
    let view = |a: &CountedAudit| AuditView {
        organization: a.engagement.audit_organization_name.clone(),
        scope: audit_scope_text(frame, &a.engagement),
        period: format!(
            "{} – {}",
            frame.day(&a.engagement.period_start),
            frame.day(&a.engagement.period_end)
        ),
        issue: a.issue,
        covered: frame.tr(
            "renewal-covered",
            &[
                ("covered", covered_count(catalog, &a.audited).to_string()),
                ("total", total.to_string()),
            ],
        ),
    };
    let cycle = multi_year.then(|| {
        let sets: Vec<&[ismap_domain::ControlId]> =
            audits.iter().map(|a| a.audited.as_slice()).collect();
        frame.tr(
            "renewal-cycle-covered",
            &[
                (
                    "covered",
                    (total - uncovered_by(catalog, &sets).len()).to_string(),
                ),
                ("total", total.to_string()),
            ],
        )
    });
    Ok((audits.iter().map(view).collect(), cycle))
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
    show_page(&state, &ctx, id, None).await
}

/// The confirmation a move asks for, stating its consequence.
fn confirm_for(
    frame: &Frame,
    transition: Transition,
    application: &Application,
    validity: Option<(chrono::NaiveDate, chrono::NaiveDate)>,
) -> Option<Confirm> {
    let service = application.service_name.clone();
    let list = frame.t(&format!("web-list-{}", application.list.key()));
    let text = match transition {
        Transition::Withdraw => frame.tr("application-confirm-withdraw", &[("service", service)]),
        Transition::ReferToCommittee => {
            frame.tr("application-confirm-refer", &[("service", service)])
        }
        Transition::Register => {
            let (from, until) = validity?;
            frame.tr(
                "application-confirm-register",
                &[
                    ("service", service),
                    ("list", list),
                    ("from", frame.day(&from)),
                    ("until", frame.day(&until)),
                ],
            )
        }
        Transition::Reject => frame.tr(
            "application-confirm-reject",
            &[("service", service), ("list", list)],
        ),
        _ => return None,
    };
    let label = frame.t(&format!("web-app-do-{}", transition.key()));
    Some(Confirm {
        title: frame.tr("application-confirm-title", &[("action", label.clone())]),
        text,
        ok: label,
    })
}

async fn show_page(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    problem: Option<Problem>,
) -> Result<Response, PageError> {
    let application = load(state, ctx, id).await?;
    let p = ctx.principal.as_ref().ok_or(Failure::NotSignedIn)?;
    let frame = Frame::new(ctx);
    let engagement = engagements::get(&state.db, application.engagement_id).await?;
    let parsed = submitted_statement(
        state,
        application.statement_id,
        application.statement_revision,
    )
    .await?;
    let catalogs: Vec<_> = state.catalogs.iter().collect();
    let registry = crate::registry_cache::current(state).await?;
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
            due_date: frame.day(&q.due_date),
            answer: q.answer,
            answered_at: q
                .answered_at
                .map(|at| frame.when_text(&at))
                .unwrap_or_default(),
        })
        .collect();
    let validity = validity_period(engagement.period_end);
    let (problem_form, problem_message, typed, status) = match problem {
        Some(Problem {
            form,
            message,
            typed,
            status,
        }) => (form, Some(message), typed, Some(status)),
        None => (String::new(), None, HashMap::new(), None),
    };
    let typed_value = |field: &str| typed.get(field).cloned().unwrap_or_default();
    let mut error = problem_message.clone();
    let buttons: Vec<ButtonView> = available(application.state, &p.roles)
        .into_iter()
        // Answering is done by answering the questions, not by a button.
        .filter(|t| may_move(p, &application, *t) && *t != Transition::Answer)
        .map(|t| {
            let mine = problem_form == t.key();
            if mine {
                error = None;
            }
            ButtonView {
                key: t.key(),
                label: frame.t(&format!("web-app-do-{}", t.key())),
                needs_reason: t.needs_reason(),
                asks_questions: t == Transition::RequestInformation,
                danger: matches!(t, Transition::Reject | Transition::Withdraw),
                confirm: confirm_for(&frame, t, &application, validity),
                error: if mine { problem_message.clone() } else { None },
                reason: if mine {
                    typed_value("reason")
                } else {
                    String::new()
                },
                questions: if mine {
                    typed_value("questions")
                } else {
                    String::new()
                },
                // Two weeks, as IPA usually gives; the reviewer may change it.
                due_date: if mine {
                    typed_value("due_date")
                } else {
                    (today() + chrono::Duration::days(14)).to_string()
                },
            }
        })
        .collect();
    let registration = registrations::of_service(&state.db, application.service_id)
        .await?
        .into_iter()
        .find(|r| r.application_id == Some(application.id))
        .map(|r| {
            (
                r.number,
                format!(
                    "{} – {}",
                    frame.day(&r.valid_from),
                    frame.day(&r.valid_until)
                ),
            )
        });
    let form: ApplicationForm =
        serde_json::from_value(application.form.clone()).unwrap_or_default();
    let (audits, cycle_covered) = audit_views(state, &frame, &application, &engagement).await?;
    let renews = match application.renewal_of {
        Some(previous) => Some(registrations::get(&state.db, previous).await?.number),
        None => None,
    };
    let reads_statements = p.has(Role::Reviewer) || p.has(Role::CommitteeMember);
    let internal_audits = crate::pages::internal_audits::application_section(
        state,
        &frame,
        p,
        &application,
        None,
        None,
    )
    .await?;
    let mut response = render(&ApplicationPage {
        internal_audits,
        a: application_row(&frame, &application),
        engagement_period: format!(
            "{} – {}",
            frame.day(&engagement.period_start),
            frame.day(&engagement.period_end)
        ),
        statement_label: frame.tr(
            "application-statement-revision",
            &[
                ("id", application.statement_id.to_string()),
                ("revision", application.statement_revision.to_string()),
            ],
        ),
        report_label: frame.tr(
            "application-report-issue",
            &[
                ("organization", engagement.audit_organization_name.clone()),
                ("issue", application.report_issue.to_string()),
            ],
        ),
        audit_scope: scope_label(&frame, &engagement),
        audits,
        cycle_covered,
        renews,
        statement_view: reads_statements
            .then(|| format!("/statements/{}", application.statement_id)),
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
                    format!(
                        "{} ({})",
                        d.file.file_name,
                        size(usize::try_from(d.file.size).unwrap_or(0))
                    ),
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
                at: frame.when_text(&h.at),
                actor: match (&h.actor_name, &h.actor_organization) {
                    (Some(name), Some((ja, en))) => {
                        let org = frame.pick(ja, en);
                        let org = if org.is_empty() { ja } else { org };
                        format!("{name}（{org}）")
                    }
                    (Some(name), None) => name.clone(),
                    _ => h.actor.clone(),
                },
                // Written by the store before its steps said it themselves.
                reason: if h.reason == "every question answered" {
                    String::new()
                } else {
                    h.reason
                },
            })
            .collect(),
        buttons,
        error,
        can_answer: application.state == ApplicationState::InformationRequested
            && may_move(p, &application, Transition::Answer),
        registration,
        today: today().to_string(),
        form,
        frame,
    })?;
    if let Some(status) = status {
        *response.status_mut() = status;
    }
    Ok(response)
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

/// A move refused by the review's rules, in the page's language.
fn review_refusal(frame: &Frame, error: ReviewError) -> Failure {
    match error {
        ReviewError::Role { .. } => Failure::Forbidden,
        ReviewError::NotFrom { from, transition } => invalid(
            "transition",
            frame.tr(
                "application-refused-not-from",
                &[
                    ("state", frame.t(&format!("web-app-state-{}", from.key()))),
                    ("action", frame.t(&format!("web-app-do-{transition}"))),
                ],
            ),
        ),
        ReviewError::NoReason { .. } => invalid("reason", frame.t("application-refused-reason")),
        ReviewError::OpenQuestions(n) => invalid(
            "transition",
            frame.tr(
                "application-refused-open-questions",
                &[("count", n.to_string())],
            ),
        ),
    }
}

/// A store's refusal of a move: someone else moved the application first.
fn moved_meanwhile(frame: &Frame, error: StoreError) -> Failure {
    match error {
        StoreError::Conflict(_) => Failure::Conflict(frame.t("application-refused-moved")),
        other => other.into(),
    }
}

pub async fn move_application(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(form): Form<TransitionForm>,
) -> Result<Response, PageError> {
    let application = load(&state, &ctx, id).await?;
    let frame = Frame::new(&ctx);
    match make_move(&state, &ctx, &frame, &application, &form).await {
        Ok(()) => Ok(Redirect::to(&format!("/applications/{id}")).into_response()),
        Err(failure @ (Failure::Invalid { .. } | Failure::Conflict(_) | Failure::Refused(_)))
            if !is_htmx(&headers) =>
        {
            let status = failure.status();
            let message = match failure {
                Failure::Invalid { message, .. }
                | Failure::Conflict(message)
                | Failure::Refused(message) => message,
                _ => String::new(),
            };
            let typed = HashMap::from([
                ("reason".to_owned(), form.reason.clone()),
                ("questions".to_owned(), form.questions.clone()),
                ("due_date".to_owned(), form.due_date.clone()),
            ]);
            show_page(
                &state,
                &ctx,
                id,
                Some(Problem {
                    form: form.transition.clone(),
                    message,
                    typed,
                    status,
                }),
            )
            .await
        }
        Err(other) => Err(other.into()),
    }
}

async fn make_move(
    state: &AppState,
    ctx: &Ctx,
    frame: &Frame,
    application: &Application,
    form: &TransitionForm,
) -> Result<(), Failure> {
    let id = application.id;
    let p = ctx.principal.as_ref().ok_or(Failure::NotSignedIn)?;
    let transition = Transition::from_key(&form.transition)
        .ok_or_else(|| invalid("transition", frame.t("application-refused-step")))?;
    // Who may make the move is answered before whether it fits the state,
    // so that someone without the role learns nothing about the application.
    if !may_move(p, application, transition) {
        return Err(Failure::Forbidden);
    }
    if !form.from.is_empty() && form.from != application.state.key() {
        return Err(Failure::Conflict(frame.tr(
            "application-refused-moved-to",
            &[(
                "state",
                frame.t(&format!("web-app-state-{}", application.state.key())),
            )],
        )));
    }
    let open = applications::questions(&state.db, id)
        .await?
        .iter()
        .filter(|q| q.answer.is_none())
        .count();
    let to = check_transition(application.state, transition, &p.roles, &form.reason, open)
        .map_err(|e| review_refusal(frame, e))?;
    // Issue 14 item 7: an ISMAP-LIU application goes to the committee once
    // IPA has recorded its check of the internal audit reports.
    if transition == Transition::ReferToCommittee {
        crate::pages::internal_audits::require_check(state, frame.lang, application).await?;
    }
    let actor = actor(Some(p))?;
    match transition {
        Transition::RequestInformation => {
            let questions: Vec<&str> = form
                .questions
                .lines()
                .map(str::trim)
                .filter(|q| !q.is_empty())
                .collect();
            if questions.is_empty() {
                return Err(invalid(
                    "questions",
                    frame.t("application-refused-questions"),
                ));
            }
            let due: chrono::NaiveDate = form
                .due_date
                .trim()
                .parse()
                .map_err(|_| invalid("due_date", frame.t("application-refused-due-date")))?;
            if due < today() {
                return Err(invalid(
                    "due_date",
                    frame.t("application-refused-due-date-past"),
                ));
            }
            let questions: Vec<(String, chrono::NaiveDate)> =
                questions.into_iter().map(|q| (q.to_owned(), due)).collect();
            applications::request_information(
                &state.db,
                &actor,
                application,
                &questions,
                &form.reason,
            )
            .await
            .map_err(|e| moved_meanwhile(frame, e))?;
        }
        Transition::Register => {
            register(state, &actor, application, &form.reason)
                .await
                .map_err(|e| match e {
                    Failure::Conflict(_) => Failure::Conflict(frame.t("application-refused-moved")),
                    other => other,
                })?;
        }
        Transition::ProvideAudit => {
            let latest = engagements::reports(&state.db, application.engagement_id)
                .await?
                .last()
                .map_or(0, |r| r.issue);
            if latest <= application.report_issue {
                return Err(Failure::Conflict(
                    frame.t("application-refused-no-new-report"),
                ));
            }
            applications::transition(
                &state.db,
                &actor,
                application,
                transition,
                to,
                &form.reason,
                Some(latest),
            )
            .await
            .map_err(|e| moved_meanwhile(frame, e))?;
        }
        _ => {
            applications::transition(
                &state.db,
                &actor,
                application,
                transition,
                to,
                &form.reason,
                None,
            )
            .await
            .map_err(|e| moved_meanwhile(frame, e))?;
        }
    }
    Ok(())
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

pub async fn answer(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path((id, question)): Path<(i64, i64)>,
    multipart: Multipart,
) -> Result<Response, PageError> {
    let application = load(&state, &ctx, id).await?;
    let p = ctx.principal.as_ref().ok_or(Failure::NotSignedIn)?;
    let lang = ctx.lang;
    if !may_move(p, &application, Transition::Answer) {
        return Err(Failure::Forbidden.into());
    }
    if application.state != ApplicationState::InformationRequested {
        return Err(Failure::Conflict(msg(lang, "application-refused-no-question", &[])).into());
    }
    let upload = read_upload(multipart, state.config.max_upload_bytes, lang).await?;
    let text = upload.text("answer").trim().to_owned();
    if text.is_empty() {
        return Err(invalid("answer", msg(lang, "application-refused-answer", &[])).into());
    }
    let attachment = match upload.files.get("attachment") {
        Some(file) => Some((
            file.0.as_str(),
            check_file(lang, "attachment", file, state.config.max_upload_bytes)?,
            file.2.as_slice(),
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
    .await
    .map_err(|e| match e {
        StoreError::Conflict(_) => {
            Failure::Conflict(msg(lang, "application-refused-answered", &[]))
        }
        other => other.into(),
    })?;
    // The store sends the application back to technical review with the
    // last answer, in the answer's transaction.
    Ok(see_other(&headers, &format!("/applications/{id}")))
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
    let lang = ctx.lang;
    let registration = registrations::get(&state.db, id).await?;
    let reason = form.reason.trim();
    if reason.is_empty() {
        return Err(invalid("reason", msg(lang, "application-refused-reason", &[])).into());
    }
    registrations::set_suspended(
        &state.db,
        &actor(Some(p))?,
        &registration,
        form.suspend == "true",
        reason,
    )
    .await
    .map_err(|e| match e {
        StoreError::Conflict(_) => {
            Failure::Conflict(msg(lang, "application-refused-suspension-moved", &[]))
        }
        other => other.into(),
    })?;
    Ok(Redirect::to(&format!(
        "/lists/{}/{}",
        registration.list.key(),
        registration.number
    ))
    .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn upload(bytes: usize) -> uploads::Upload {
        uploads::Upload {
            fields: HashMap::from([("contact".to_owned(), "a@example.jp".to_owned())]),
            files: HashMap::from([(
                "management_letter".to_owned(),
                ("letter.pdf".to_owned(), String::new(), vec![0; bytes]),
            )]),
        }
    }

    /// Held forms belong to one person and service, are bounded per person
    /// and are filed once.
    #[test]
    fn held_forms_are_bounded_and_filed_once() {
        // A user id no other test uses.
        let user = -4242;
        let tokens: Vec<String> = (0..DRAFTS_PER_USER + 2)
            .map(|_| hold(user, 7, upload(16)))
            .collect();
        assert!(held(&tokens[0], user, 7).is_none(), "the oldest made room");
        assert!(held(&tokens[1], user, 7).is_none());
        let last = tokens.last().unwrap();
        match held(last, user, 7) {
            Some(Held::Waiting(u)) => assert_eq!(u.text("contact"), "a@example.jp"),
            _ => panic!("the newest form is held"),
        }
        assert!(held(last, user + 1, 7).is_none(), "another person's");
        assert!(held(last, user, 8).is_none(), "another service's");
        let Ok(draft) = take(last, user, 7) else {
            panic!("the held form is taken")
        };
        assert!(matches!(take(last, user, 7), Err(None)), "taken once");
        put_back(last, draft, Some(99));
        assert!(matches!(held(last, user, 7), Some(Held::Filed(99))));
        assert!(matches!(take(last, user, 7), Err(Some(99))));
        assert_eq!(size(48), "48 B");
        assert_eq!(size(2048), "2.0 KB");
    }
}
