//! The cloud usage register (クラウド利用台帳, issue 15): an agency's cloud
//! services in use or planned, the procurement check (調達前確認) stored as
//! dated snapshots, and the CISO's confirmation (CISO確認) of an
//! unregistered service. The agency's officers and CISO keep their own
//! agency's register; the secretariat reads every agency's (read-only).
//! Anyone else, and another agency's people asking for an entry, get the
//! 404 of a missing entry (`policy::allows_register`), decided before the
//! entry is loaded where it can be.
//!
//! For other areas: [`EntryView`] is what the entry page shows of an entry.

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::extract::multipart::MultipartRejection;
use axum::extract::rejection::FormRejection;
use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use ismap_domain::input::TextProblem;
use ismap_domain::procurement;
use ismap_domain::register::{self as rules, KnownService, RawEntry, Status};
use ismap_i18n::{Lang, Messages};
use ismap_store::register::{self as store, Entry};
use ismap_store::{Actor, StoreError};
use serde::Deserialize;
use serde_json::Value;

use crate::AppState;
use crate::auth::Ctx;
use crate::error::{Failure, PageError, Query};
use crate::pages::engagements::see_other;
use crate::pages::render;
use crate::policy::{Principal, RegisterAction, allows_register, hidden};
use crate::text::Frame;

/// The words a missing (or hidden) entry is named by: the store's.
const KIND: &str = "register entry";
/// Longest basis or evidence description of a CISO confirmation (this system).
pub const MAX_CISO_TEXT: usize = 4000;

fn signed_in(ctx: &Ctx) -> Result<&Principal, Failure> {
    ctx.principal.as_ref().ok_or(Failure::NotSignedIn)
}

/// Someone who may read some register (the list pages): 403 otherwise.
fn reader(ctx: &Ctx) -> Result<&Principal, Failure> {
    let p = signed_in(ctx)?;
    if allows_register(Some(p), RegisterAction::View, None) {
        Ok(p)
    } else {
        Err(Failure::Forbidden)
    }
}

/// An agency person who keeps their own agency's register: 403 otherwise.
fn keeper(ctx: &Ctx) -> Result<(&Principal, Actor), Failure> {
    let p = signed_in(ctx)?;
    if allows_register(Some(p), RegisterAction::Edit, Some(p.organization.id)) {
        Ok((p, Actor::user(p.user.id, &p.user.username)))
    } else {
        Err(Failure::Forbidden)
    }
}

/// The entry `id` when the principal may see it; the failure of a missing
/// entry otherwise (rules 1–2 of `policy::hidden`); 403 when seen but
/// `action` is not theirs.
async fn entry_for(
    state: &AppState,
    ctx: &Ctx,
    id: &str,
    action: RegisterAction,
) -> Result<(Principal, Entry), Failure> {
    let p = signed_in(ctx)?;
    let id = id.parse::<i64>().ok().filter(|id| *id > 0);
    let Some(id) = id else {
        return Err(hidden(KIND, 0));
    };
    if !allows_register(Some(p), RegisterAction::View, None) {
        return Err(hidden(KIND, id));
    }
    let entry = match store::get(&state.db, id).await {
        Ok(entry) => entry,
        Err(StoreError::NotFound(_)) => return Err(hidden(KIND, id)),
        Err(e) => return Err(e.into()),
    };
    if !allows_register(Some(p), RegisterAction::View, Some(entry.agency_id)) {
        return Err(hidden(KIND, id));
    }
    if !allows_register(Some(p), action, Some(entry.agency_id)) {
        return Err(Failure::Forbidden);
    }
    Ok((p.clone(), entry))
}

fn private(mut response: Response) -> Response {
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("private, no-store"),
    );
    response
}

fn with_status(response: Response, status: StatusCode) -> Response {
    let mut response = private(response);
    *response.status_mut() = status;
    response
}

fn status_label(frame: &Frame, status: Status) -> String {
    frame.t(&format!(
        "register-status-{}",
        status.key().replace('_', "-")
    ))
}

fn path_label(frame: &Frame, path: rules::Path) -> String {
    frame.t(&format!("register-path-{}", path.key().replace('_', "-")))
}

/// What the pages show of an entry.
pub struct EntryView {
    pub id: i64,
    pub href: String,
    pub agency: String,
    pub system_name: String,
    pub service_name: String,
    pub provider_name: String,
    pub service_href: Option<String>,
    pub purpose: String,
    pub confidentiality: String,
    pub start_of_use: String,
    pub status: String,
    pub status_key: &'static str,
    pub path: String,
    pub path_key: &'static str,
    /// The service's registrations valid today ("ISMAP C21-0008-2"), or
    /// 「未登録」.
    pub list_status: String,
    pub registered: bool,
    pub note: String,
    /// The ISMAP-LIU impact assessment named for this use, as a link.
    pub assessment: Option<(String, String)>,
    pub version: i64,
}

async fn list_status(
    state: &AppState,
    frame: &Frame,
    entry: &Entry,
    today: NaiveDate,
) -> Result<(String, bool, Option<String>), Failure> {
    let Some(service) = entry.service_id else {
        return Ok((frame.t("register-not-registered"), false, None));
    };
    let mut parts = Vec::new();
    let mut href = None;
    for r in ismap_store::registrations::of_service(&state.db, service).await? {
        if !r.superseded && r.status(today) == ismap_domain::registration::RegistrationStatus::Valid
        {
            parts.push(format!(
                "{} {}",
                frame.t(&format!("web-list-{}", r.list.key())),
                r.number
            ));
            href.get_or_insert_with(|| {
                format!(
                    "/lists/{}/{}",
                    r.list.key(),
                    url::form_urlencoded::byte_serialize(r.number.as_bytes()).collect::<String>()
                )
            });
        }
    }
    if parts.is_empty() {
        Ok((frame.t("register-not-registered"), false, None))
    } else {
        Ok((parts.join(" / "), true, href))
    }
}

/// An assessment as the form's options and the entry page name it: its
/// use, state and day (approved, else last changed).
fn assessment_label(
    frame: &Frame,
    a: &ismap_store::impact_assessments::ImpactAssessment,
) -> String {
    frame.tr(
        "register-assessment-option",
        &[
            ("id", a.id.to_string()),
            ("use", a.use_name.clone()),
            ("state", frame.t(&format!("ia-state-{}", a.state.key()))),
            (
                "day",
                frame.day(a.approved_at.as_deref().unwrap_or(&a.updated_at)),
            ),
        ],
    )
}

async fn view(state: &AppState, frame: &Frame, e: &Entry) -> Result<EntryView, Failure> {
    let (list_status, registered, service_href) =
        list_status(state, frame, e, state.clock.today()).await?;
    let assessment = match e.impact_assessment_id {
        Some(id) => {
            let a = ismap_store::impact_assessments::get(&state.db, id).await?;
            Some((
                format!("/impact-assessments/{id}"),
                assessment_label(frame, &a),
            ))
        }
        None => None,
    };
    Ok(EntryView {
        assessment,
        id: e.id,
        href: format!("/agency/register/{}", e.id),
        agency: frame.pick(&e.agency_name, &e.agency_name_en).to_owned(),
        system_name: e.system_name.clone(),
        service_name: e.service_name.clone(),
        provider_name: e.provider_name.clone(),
        service_href,
        purpose: e.purpose.clone(),
        confidentiality: frame.t(&format!("register-level-{}", e.confidentiality)),
        start_of_use: frame.day(&e.start_of_use),
        status: status_label(frame, e.status),
        status_key: e.status.key(),
        path: path_label(frame, e.path),
        path_key: e.path.key(),
        list_status,
        registered,
        note: e.note.clone(),
        version: e.version,
    })
}

/// The portal services an entry may name, as the form lists them.
fn service_options(known: &[KnownService]) -> Vec<(String, String)> {
    known
        .iter()
        .map(|k| (k.id.to_string(), format!("{}（{}）", k.name, k.provider)))
        .collect()
}

// ---------------------------------------------------------------- list

/// One problem of an import, as the page lists it.
pub struct ImportLine {
    pub line: String,
    pub column: String,
    pub message: String,
}

#[derive(Template)]
#[template(path = "register.html")]
struct ListPage {
    frame: Frame,
    entries: Vec<EntryView>,
    can_edit: bool,
    is_secretariat: bool,
    agencies: Vec<(String, String)>,
    agency_filter: String,
    export_query: String,
    import_hint: String,
    imported: Option<String>,
    import_errors: Vec<ImportLine>,
    import_more: String,
}

impl ListPage {
    fn agency_chosen(&self, id: &str) -> bool {
        self.agency_filter == id
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ListQuery {
    agency: Option<String>,
    imported: Option<String>,
}

/// Whose register a reader sees: an agency person their own; the
/// secretariat every agency's, or one chosen (`agency`).
fn scope(p: &Principal, agency: Option<&str>) -> Option<i64> {
    if allows_register(Some(p), RegisterAction::Edit, Some(p.organization.id)) {
        Some(p.organization.id)
    } else {
        agency.and_then(|a| a.trim().parse::<i64>().ok())
    }
}

async fn list_page(
    state: &AppState,
    ctx: &Ctx,
    query: ListQuery,
    import_errors: (Vec<ImportLine>, usize),
) -> Result<ListPage, Failure> {
    let p = reader(ctx)?;
    let frame = Frame::new(ctx);
    let can_edit = allows_register(Some(p), RegisterAction::Edit, Some(p.organization.id));
    let agency = scope(p, query.agency.as_deref());
    let mut entries = Vec::new();
    for e in store::list(&state.db, agency).await? {
        entries.push(view(state, &frame, &e).await?);
    }
    let agencies = if can_edit {
        Vec::new()
    } else {
        ismap_store::orgs::list(&state.db)
            .await?
            .into_iter()
            .filter(|o| o.kind == ismap_domain::OrgKind::Agency)
            .map(|o| (o.id.to_string(), frame.pick(&o.name, &o.name_en).to_owned()))
            .collect()
    };
    let agency_filter = if can_edit {
        String::new()
    } else {
        agency.map(|a| a.to_string()).unwrap_or_default()
    };
    let (import_errors, total) = import_errors;
    Ok(ListPage {
        entries,
        can_edit,
        is_secretariat: !can_edit,
        export_query: if agency_filter.is_empty() {
            String::new()
        } else {
            format!("?agency={agency_filter}")
        },
        agencies,
        agency_filter,
        import_hint: frame.tr(
            "register-import-hint",
            &[
                ("rows", ismap_formats::register::MAX_ROWS.to_string()),
                (
                    "kib",
                    (ismap_formats::register::MAX_BYTES / 1024).to_string(),
                ),
            ],
        ),
        imported: query
            .imported
            .and_then(|n| n.parse::<usize>().ok())
            .map(|n| frame.tr("register-imported", &[("count", n.to_string())])),
        import_more: if total > import_errors.len() {
            frame.tr(
                "register-import-more",
                &[("count", (total - import_errors.len()).to_string())],
            )
        } else {
            String::new()
        },
        import_errors,
        frame,
    })
}

/// `GET /agency/register`.
pub async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    query: Result<Query<ListQuery>, Response>,
) -> Result<Response, PageError> {
    reader(&ctx)?;
    let query = query.map(|Query(q)| q).unwrap_or_default();
    let page = list_page(&state, &ctx, query, (Vec::new(), 0)).await?;
    Ok(private(render(&page)?))
}

// ---------------------------------------------------------------- forms

/// The entry form as typed.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct EntryForm {
    pub system_name: String,
    pub service_id: String,
    pub service_name: String,
    pub provider_name: String,
    pub purpose: String,
    pub confidentiality: String,
    pub start_of_use: String,
    pub status: String,
    pub note: String,
    /// The agency's ISMAP-LIU impact assessment covering this use (the
    /// entry page only; empty: none).
    pub impact_assessment_id: String,
    pub version: String,
}

impl EntryForm {
    fn raw(&self) -> RawEntry {
        RawEntry {
            system_name: self.system_name.clone(),
            service_id: self.service_id.clone(),
            service_name: self.service_name.clone(),
            provider_name: self.provider_name.clone(),
            purpose: self.purpose.clone(),
            confidentiality: self.confidentiality.clone(),
            start_of_use: self.start_of_use.clone(),
            status: self.status.clone(),
            note: self.note.clone(),
        }
    }

    fn of(e: &Entry) -> EntryForm {
        EntryForm {
            system_name: e.system_name.clone(),
            service_id: e.service_id.map(|s| s.to_string()).unwrap_or_default(),
            service_name: if e.service_id.is_some() {
                String::new()
            } else {
                e.service_name.clone()
            },
            provider_name: if e.service_id.is_some() {
                String::new()
            } else {
                e.provider_name.clone()
            },
            purpose: e.purpose.clone(),
            confidentiality: e.confidentiality.to_string(),
            start_of_use: e.start_of_use.to_string(),
            status: e.status.key().to_owned(),
            note: e.note.clone(),
            impact_assessment_id: e
                .impact_assessment_id
                .map(|a| a.to_string())
                .unwrap_or_default(),
            version: e.version.to_string(),
        }
    }
}

/// The fields of the entry form, shared by the new and the entry pages.
pub struct FormView {
    pub form: EntryForm,
    pub errors: HashMap<String, String>,
    pub services: Vec<(String, String)>,
    pub levels: Vec<(String, String)>,
    pub statuses: Vec<(String, String)>,
    /// The ISMAP-LIU assessment choice, shown for a service on the
    /// ISMAP-LIU list (or when the entry names one): the agency's own
    /// assessments of the service (id, label).
    pub liu: Option<Vec<(String, String)>>,
    /// A refusal of the whole form (a conflict).
    pub message: Option<String>,
}

impl FormView {
    pub fn error(&self, field: &str) -> Option<&String> {
        self.errors.get(field)
    }
}

fn form_view(
    frame: &Frame,
    form: EntryForm,
    errors: HashMap<String, String>,
    known: &[KnownService],
    message: Option<String>,
) -> FormView {
    FormView {
        liu: None,
        form,
        errors,
        services: service_options(known),
        levels: (1..=3)
            .map(|l| (l.to_string(), frame.t(&format!("register-level-{l}"))))
            .collect(),
        statuses: Status::ALL
            .iter()
            .map(|s| (s.key().to_owned(), status_label(frame, *s)))
            .collect(),
        message,
    }
}

#[derive(Template)]
#[template(path = "register_new.html")]
struct NewPage {
    frame: Frame,
    f: FormView,
}

/// `GET /agency/register/new`.
pub async fn new_form(State(state): State<AppState>, ctx: Ctx) -> Result<Response, PageError> {
    keeper(&ctx)?;
    let frame = Frame::new(&ctx);
    let known = store::known_services(&state.db).await?;
    let form = EntryForm {
        confidentiality: "2".into(),
        status: "planned".into(),
        ..EntryForm::default()
    };
    let f = form_view(&frame, form, HashMap::new(), &known, None);
    Ok(private(render(&NewPage { frame, f })?))
}

fn field_errors(lang: Lang, errors: &[rules::FieldError]) -> HashMap<String, String> {
    let m = Messages::get();
    let mut map = HashMap::new();
    for e in errors {
        map.entry(e.field.key().to_owned())
            .or_insert_with(|| m.localized(lang, e));
    }
    map
}

/// `POST /agency/register`: records an entry; a refusal comes back with
/// everything typed and each error next to its field (422).
pub async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    form: Result<Form<EntryForm>, FormRejection>,
) -> Result<Response, PageError> {
    let (p, actor) = keeper(&ctx)?;
    let agency = p.organization.id;
    let form = form.map(|Form(f)| f).unwrap_or_default();
    let known = store::known_services(&state.db).await?;
    match rules::parse(&form.raw(), &known, state.clock.today()) {
        Ok(input) => {
            let entry = store::create(&state.db, &actor, agency, &input).await?;
            Ok(see_other(
                &headers,
                &format!("/agency/register/{}", entry.id),
            ))
        }
        Err(errors) => {
            let frame = Frame::new(&ctx);
            let f = form_view(&frame, form, field_errors(ctx.lang, &errors), &known, None);
            Ok(with_status(
                render(&NewPage { frame, f })?,
                StatusCode::UNPROCESSABLE_ENTITY,
            ))
        }
    }
}

// ---------------------------------------------------------------- entry

/// One stored procurement check as the page shows it (read from its
/// snapshot, so that it shows what was true then).
pub struct CheckView {
    pub heading: String,
    pub verdict: String,
    pub verdict_key: String,
    pub lists: Vec<CheckList>,
    pub liu: String,
    /// When no assessment is named: the agency's approved ones to choose
    /// from, and what to do.
    pub liu_candidates: Vec<String>,
    pub liu_hint: Option<String>,
    pub special: String,
    pub rules: Vec<(String, String)>,
}

pub struct CheckList {
    pub list: String,
    pub number: String,
    pub period: String,
    pub validity: String,
    pub valid: bool,
    pub improvement_plan: String,
    pub suspended: String,
}

fn text_of(v: &Value, key: &str) -> String {
    v[key].as_str().unwrap_or_default().to_owned()
}

fn check_view(frame: &Frame, c: &store::Check) -> CheckView {
    let r = &c.result;
    let yes_no = |b: bool| frame.t(if b { "web-yes" } else { "web-no" });
    let lists = r["lists"]
        .as_array()
        .map(|lists| {
            lists
                .iter()
                .map(|l| CheckList {
                    list: frame.t(&format!("web-list-{}", text_of(l, "list"))),
                    number: text_of(l, "number"),
                    period: format!(
                        "{} – {}",
                        frame.day(&text_of(l, "valid_from")),
                        frame.day(&text_of(l, "valid_until"))
                    ),
                    validity: frame.t(&format!(
                        "register-validity-{}",
                        text_of(l, "validity").replace('_', "-")
                    )),
                    valid: l["valid"].as_bool().unwrap_or(false),
                    improvement_plan: yes_no(l["improvement_plan"].as_bool().unwrap_or(false)),
                    suspended: yes_no(l["suspended"].as_bool().unwrap_or(false)),
                })
                .collect()
        })
        .unwrap_or_default();
    let a = &r["liu_assessment"];
    let id = a["id"].to_string();
    let mut liu_candidates = Vec::new();
    let mut liu_hint = None;
    let liu = match (a["state"].as_str(), a["use_name"].as_str()) {
        (Some("approved"), Some(use_name)) => frame.tr(
            "register-liu-approved-for-use",
            &[("id", id), ("use", use_name.to_owned())],
        ),
        // A snapshot from before the use was named (kept as it was).
        (Some("approved"), None) => frame.tr("register-liu-approved", &[("id", id)]),
        (Some("not_approved_yet"), _) => frame.tr(
            "register-liu-not-approved-yet",
            &[
                ("id", id),
                ("use", text_of(a, "use_name")),
                (
                    "state",
                    frame.t(&format!("ia-state-{}", text_of(a, "assessment_state"))),
                ),
            ],
        ),
        (Some("missing"), _) => match a["candidates"].as_array() {
            Some(candidates) => {
                liu_candidates = candidates
                    .iter()
                    .map(|c| {
                        frame.tr(
                            "register-liu-candidate",
                            &[
                                ("id", c["id"].to_string()),
                                ("use", text_of(c, "use_name")),
                                ("day", frame.day(&text_of(c, "approved_at"))),
                            ],
                        )
                    })
                    .collect();
                liu_hint = Some(frame.t(if liu_candidates.is_empty() {
                    "register-liu-no-candidates"
                } else {
                    "register-liu-candidates"
                }));
                frame.t("register-liu-none-named")
            }
            None => frame.t("register-liu-missing"),
        },
        _ => frame.t("register-liu-not-needed"),
    };
    let special = match r["special_measures"]["state"].as_str() {
        Some("listed") => frame.tr(
            "register-special-listed",
            &[
                (
                    "start",
                    frame.day(&text_of(&r["special_measures"], "period_start")),
                ),
                (
                    "end",
                    frame.day(&text_of(&r["special_measures"], "period_end")),
                ),
            ],
        ),
        Some("not_listed") => frame.t("register-special-not-listed"),
        _ => frame.t("register-special-not-applicable"),
    };
    let rules = r["rules"]
        .as_array()
        .map(|rules| {
            rules
                .iter()
                .map(|rule| {
                    let provenance = match rule["provenance"].as_str() {
                        Some("seed") => frame.t("register-provenance-seed"),
                        _ => frame.t("register-provenance-this-system"),
                    };
                    (
                        provenance,
                        frame.t(&format!("register-rule-{}", text_of(rule, "key"))),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let verdict_key = text_of(r, "verdict");
    CheckView {
        heading: frame.tr(
            "register-check-snapshot",
            &[
                ("day", frame.day(&c.checked_for_day)),
                ("at", frame.when_text(&c.checked_at)),
                ("who", c.checked_by_name.clone().unwrap_or_default()),
            ],
        ),
        verdict: frame.t(&format!(
            "register-verdict-{}",
            verdict_key.replace('_', "-")
        )),
        verdict_key,
        lists,
        liu,
        liu_candidates,
        liu_hint,
        special,
        rules,
    }
}

pub struct ConfirmationView {
    pub done: String,
    pub basis: String,
    pub evidence_note: String,
    pub file_href: Option<String>,
    pub prepared_by: Option<String>,
}

pub struct HistoryRow {
    pub at: crate::text::When,
    pub what: String,
    pub who: String,
}

/// The CISO confirmation form as typed.
#[derive(Clone, Debug, Default)]
pub struct CisoForm {
    pub basis: String,
    pub evidence_note: String,
    pub confirmed_on: String,
}

#[derive(Template)]
#[template(path = "register_entry.html")]
struct EntryPage {
    frame: Frame,
    e: EntryView,
    can_edit: bool,
    can_confirm: bool,
    f: FormView,
    check_day: String,
    checks: Vec<CheckView>,
    confirmations: Vec<ConfirmationView>,
    draft: Option<String>,
    draft_file: Option<String>,
    ciso: CisoForm,
    ciso_errors: HashMap<String, String>,
    ciso_message: Option<String>,
    history: Vec<HistoryRow>,
    interim_section: String,
    unlinked: bool,
}

impl EntryPage {
    fn ciso_error(&self, field: &str) -> Option<&String> {
        self.ciso_errors.get(field)
    }
}

/// What the entry page re-shows after a refused submission.
#[derive(Default)]
struct Kept {
    form: Option<EntryForm>,
    errors: HashMap<String, String>,
    message: Option<String>,
    ciso: Option<CisoForm>,
    ciso_errors: HashMap<String, String>,
    ciso_message: Option<String>,
}

async fn entry_page(
    state: &AppState,
    ctx: &Ctx,
    p: &Principal,
    entry: &Entry,
    kept: Kept,
) -> Result<EntryPage, Failure> {
    let frame = Frame::new(ctx);
    let can_edit = allows_register(Some(p), RegisterAction::Edit, Some(entry.agency_id));
    let can_confirm = allows_register(Some(p), RegisterAction::Confirm, Some(entry.agency_id));
    let known = store::known_services(&state.db).await?;
    let e = view(state, &frame, entry).await?;
    let form = kept.form.unwrap_or_else(|| EntryForm::of(entry));
    let liu = liu_options(state, &frame, entry, &form).await?;
    let mut f = form_view(&frame, form, kept.errors, &known, kept.message);
    f.liu = liu;
    let checks = store::checks(&state.db, entry.id)
        .await?
        .iter()
        .map(|c| check_view(&frame, c))
        .collect();
    let file_href = |file: i64| format!("/agency/register/{}/files/{file}", entry.id);
    let confirmations = store::confirmations(&state.db, entry.id)
        .await?
        .into_iter()
        .map(|c| ConfirmationView {
            done: frame.tr(
                "register-ciso-done",
                &[
                    ("day", frame.day(&c.confirmed_on)),
                    ("who", c.confirmed_by_name.clone().unwrap_or_default()),
                ],
            ),
            basis: c.basis,
            evidence_note: c.evidence_note,
            file_href: c.file_id.map(file_href),
            prepared_by: c
                .prepared_by_name
                .map(|who| frame.tr("register-ciso-prepared-by", &[("who", who)])),
        })
        .collect();
    let draft = store::draft(&state.db, entry.id).await?;
    let ciso = kept.ciso.unwrap_or_else(|| CisoForm {
        basis: draft.as_ref().map(|d| d.basis.clone()).unwrap_or_default(),
        evidence_note: draft
            .as_ref()
            .map(|d| d.evidence_note.clone())
            .unwrap_or_default(),
        confirmed_on: state.clock.today().to_string(),
    });
    let mut history = Vec::new();
    for ev in store::history(&state.db, entry.id).await? {
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
                "register-history-{}",
                ev.action.replace(['.', '_'], "-")
            )),
            who,
        });
    }
    let interim_section = crate::pages::interim::entry_section_for(
        state,
        &frame,
        ctx.principal.as_ref(),
        entry.id,
        entry.agency_id,
    )
    .await
    .map_err(|PageError(f)| f)?;
    Ok(EntryPage {
        can_edit,
        can_confirm,
        f,
        check_day: state.clock.today().to_string(),
        checks,
        confirmations,
        draft: draft.as_ref().map(|d| {
            frame.tr(
                "register-ciso-draft",
                &[
                    ("who", d.prepared_by_name.clone().unwrap_or_default()),
                    ("at", frame.when_text(&d.prepared_at)),
                ],
            )
        }),
        draft_file: draft.as_ref().and_then(|d| d.file_id).map(file_href),
        ciso,
        ciso_errors: kept.ciso_errors,
        ciso_message: kept.ciso_message,
        history,
        interim_section,
        unlinked: entry.service_id.is_none(),
        e,
        frame,
    })
}

/// The assessment choice of the entry form: shown when the service the
/// form names (else the entry's) has an ISMAP-LIU registration, or the
/// entry names an assessment; the options are the entry's agency's own
/// assessments of that service only.
async fn liu_options(
    state: &AppState,
    frame: &Frame,
    entry: &Entry,
    form: &EntryForm,
) -> Result<Option<Vec<(String, String)>>, Failure> {
    let Some(service) = form
        .service_id
        .trim()
        .parse::<i64>()
        .ok()
        .or(entry.service_id)
    else {
        return Ok(None);
    };
    let on_liu = ismap_store::registrations::of_service(&state.db, service)
        .await
        .map(|rs| {
            rs.iter()
                .any(|r| r.list == ismap_domain::registration::ListKind::Liu)
        })
        .unwrap_or(false);
    if !on_liu && entry.impact_assessment_id.is_none() {
        return Ok(None);
    }
    Ok(Some(
        store::assessments_for(&state.db, entry.agency_id, service)
            .await?
            .iter()
            .map(|a| (a.id.to_string(), assessment_label(frame, a)))
            .collect(),
    ))
}

/// `GET /agency/register/{id}`.
pub async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let (p, entry) = entry_for(&state, &ctx, &id, RegisterAction::View).await?;
    let page = entry_page(&state, &ctx, &p, &entry, Kept::default()).await?;
    Ok(private(render(&page)?))
}

/// `POST /agency/register/{id}`: changes the entry if it is still at the
/// version the form was read at (409 with the form kept otherwise).
pub async fn update(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(id): Path<String>,
    form: Result<Form<EntryForm>, FormRejection>,
) -> Result<Response, PageError> {
    let (p, entry) = entry_for(&state, &ctx, &id, RegisterAction::Edit).await?;
    let actor = Actor::user(p.user.id, &p.user.username);
    let form = form.map(|Form(f)| f).unwrap_or_default();
    let known = store::known_services(&state.db).await?;
    let version = form.version.trim().parse::<i64>().unwrap_or(entry.version);
    let refused = |kept: Kept, status: StatusCode| {
        let (state, ctx, p, entry) = (&state, &ctx, &p, &entry);
        async move {
            let page = entry_page(state, ctx, p, entry, kept).await?;
            Ok::<Response, PageError>(with_status(render(&page)?, status))
        }
    };
    let parsed = rules::parse(&form.raw(), &known, state.clock.today());
    // The use's assessment: one of the entry's agency's own assessments of
    // the service the form names; anything else (another agency's, another
    // service's, not a number) is refused on its field.
    let service = parsed.as_ref().ok().and_then(|input| input.service_id);
    let assessment = match form.impact_assessment_id.trim() {
        "" => Ok(None),
        text => {
            let own = match service {
                Some(service) => {
                    store::assessments_for(&state.db, entry.agency_id, service).await?
                }
                None => Vec::new(),
            };
            text.parse::<i64>()
                .ok()
                .filter(|id| own.iter().any(|a| a.id == *id))
                .map(Some)
                .ok_or_else(|| Messages::get().text(ctx.lang, "register-error-assessment", &[]))
        }
    };
    let parsed = match (parsed, assessment) {
        (Ok(input), Ok(assessment)) => Ok((input, assessment)),
        (parsed, assessment) => {
            let mut errors = match parsed {
                Err(errors) => field_errors(ctx.lang, &errors),
                Ok(_) => HashMap::new(),
            };
            if let Err(message) = assessment {
                errors.insert("impact_assessment_id".into(), message);
            }
            Err(errors)
        }
    };
    match parsed {
        Ok((input, assessment)) => {
            match store::update(&state.db, &actor, entry.id, version, &input, assessment).await {
                Ok(_) => Ok(see_other(
                    &headers,
                    &format!("/agency/register/{}", entry.id),
                )),
                Err(StoreError::Conflict(_)) => {
                    let message = Some(Messages::get().text(ctx.lang, "register-conflict", &[]));
                    refused(
                        Kept {
                            form: Some(form),
                            message,
                            ..Kept::default()
                        },
                        StatusCode::CONFLICT,
                    )
                    .await
                }
                Err(e) => Err(Failure::from(e).into()),
            }
        }
        Err(errors) => {
            refused(
                Kept {
                    form: Some(form),
                    errors,
                    ..Kept::default()
                },
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CheckForm {
    day: String,
}

/// The procurement check of `service` (none: an unregistered service named
/// in words) on `day` for `agency`, with the use's ISMAP-LIU assessment
/// `named` (the entry's, or the API's `assessment_id`).
pub async fn run_check(
    state: &AppState,
    service: Option<i64>,
    service_name: &str,
    agency: Option<i64>,
    named: Option<i64>,
    day: NaiveDate,
) -> Result<procurement::CheckResult, Failure> {
    let facts = match service {
        Some(service) => store::procurement_facts(&state.db, service, agency, named).await?,
        None => store::unregistered_facts(service_name),
    };
    Ok(procurement::check(&facts, day))
}

/// `POST /agency/register/{id}/checks`: runs the procurement check for a
/// day and stores it as a snapshot on the entry.
pub async fn check(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(id): Path<String>,
    form: Result<Form<CheckForm>, FormRejection>,
) -> Result<Response, PageError> {
    let (p, entry) = entry_for(&state, &ctx, &id, RegisterAction::Edit).await?;
    let actor = Actor::user(p.user.id, &p.user.username);
    let form = form.map(|Form(f)| f).unwrap_or_default();
    let day = match form.day.trim() {
        "" => state.clock.today(),
        text => NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| Failure::Invalid {
            field: "day".into(),
            message: Messages::get().text(
                ctx.lang,
                "register-error-not-a-date",
                &[("value", text.chars().take(40).collect())],
            ),
        })?,
    };
    let result = run_check(
        &state,
        entry.service_id,
        &entry.service_name,
        Some(entry.agency_id),
        entry.impact_assessment_id,
        day,
    )
    .await?;
    match store::record_check(&state.db, &actor, &entry, &result).await {
        Ok(_) => Ok(see_other(
            &headers,
            &format!("/agency/register/{}#checks", entry.id),
        )),
        Err(StoreError::Conflict(_)) => {
            Err(Failure::Conflict(Messages::get().text(ctx.lang, "register-conflict", &[])).into())
        }
        Err(e) => Err(Failure::from(e).into()),
    }
}

/// `POST /agency/register/{id}/ciso` (multipart): `action=prepare` saves
/// the draft (the agency's officers and CISO); `action=confirm` confirms
/// (the CISO only: an officer is refused with 403 and the draft kept).
pub async fn ciso(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(id): Path<String>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, PageError> {
    let (p, entry) = entry_for(&state, &ctx, &id, RegisterAction::Edit).await?;
    let actor = Actor::user(p.user.id, &p.user.username);
    let m = Messages::get();
    let lang = ctx.lang;
    let upload = match multipart {
        Ok(multipart) => crate::uploads::read(multipart, state.config.max_upload_bytes)
            .await
            .ok(),
        Err(_) => None,
    };
    let Some(upload) = upload else {
        return Err(Failure::Invalid {
            field: "form".into(),
            message: m.text(lang, "register-form-unreadable", &[]),
        }
        .into());
    };
    let confirm = upload.text("action") == "confirm";
    let form = CisoForm {
        basis: upload.text("basis").trim().to_owned(),
        evidence_note: upload.text("evidence_note").trim().to_owned(),
        confirmed_on: upload.text("confirmed_on").trim().to_owned(),
    };
    let version = upload
        .text("version")
        .trim()
        .parse::<i64>()
        .unwrap_or(entry.version);
    let refuse = |kept: Kept, status: StatusCode| {
        let (state, ctx, p, entry) = (&state, &ctx, &p, &entry);
        async move {
            let page = entry_page(state, ctx, p, entry, kept).await?;
            Ok::<Response, PageError>(with_status(render(&page)?, status))
        }
    };
    // The responsibility is the CISO's: an officer may prepare, not confirm.
    if confirm && !allows_register(Some(&p), RegisterAction::Confirm, Some(entry.agency_id)) {
        return refuse(
            Kept {
                ciso: Some(form),
                ciso_message: Some(m.text(lang, "register-ciso-refused", &[])),
                ..Kept::default()
            },
            StatusCode::FORBIDDEN,
        )
        .await;
    }
    let mut errors = HashMap::new();
    for (field, value, required) in [
        ("basis", &form.basis, true),
        ("evidence_note", &form.evidence_note, false),
    ] {
        let message = match ismap_domain::input::text_problem(value, MAX_CISO_TEXT, required, true)
        {
            Some(TextProblem::Required) => m.text(lang, "register-error-required", &[]),
            Some(TextProblem::TooLong { max }) => {
                m.text(lang, "register-error-too-long", &[("max", max.to_string())])
            }
            Some(TextProblem::ControlCharacter) => m.text(lang, "register-error-control", &[]),
            None => continue,
        };
        errors.insert(field.to_owned(), message);
    }
    let today = state.clock.today();
    let confirmed_on = if confirm {
        match NaiveDate::parse_from_str(&form.confirmed_on, "%Y-%m-%d") {
            Ok(day) if day <= today => Some(day),
            Ok(day) => {
                errors.insert(
                    "confirmed_on".into(),
                    m.text(
                        lang,
                        "register-error-future-start",
                        &[("date", day.to_string())],
                    ),
                );
                None
            }
            Err(_) => {
                errors.insert(
                    "confirmed_on".into(),
                    m.text(
                        lang,
                        "register-error-not-a-date",
                        &[("value", form.confirmed_on.chars().take(40).collect())],
                    ),
                );
                None
            }
        }
    } else {
        None
    };
    let mut kind = String::new();
    if let Some((name, declared, bytes)) = upload.file() {
        match crate::uploads::check("file", name, declared, bytes, state.config.max_upload_bytes) {
            Ok(k) => kind = k,
            Err(Failure::Invalid { message, .. }) => {
                errors.insert("file".into(), message);
            }
            Err(e) => return Err(e.into()),
        }
    }
    if !errors.is_empty() {
        return refuse(
            Kept {
                ciso: Some(form),
                ciso_errors: errors,
                ..Kept::default()
            },
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let master = if upload.file().is_some() {
        Some(crate::uploads::master_key(&state)?)
    } else {
        None
    };
    let evidence = match (upload.file(), master) {
        (Some((name, _, bytes)), Some(master)) => Some(store::Evidence {
            master,
            file_name: name,
            content_type: &kind,
            bytes,
        }),
        _ => None,
    };
    let entry_now = Entry {
        version,
        ..entry.clone()
    };
    let done = if let Some(day) = confirmed_on {
        store::confirm(
            &state.db,
            &actor,
            &entry_now,
            &form.basis,
            &form.evidence_note,
            day,
            evidence,
        )
        .await
        .map(|_| ())
    } else {
        store::save_draft(
            &state.db,
            &actor,
            &entry,
            &form.basis,
            &form.evidence_note,
            evidence,
        )
        .await
        .map(|_| ())
    };
    match done {
        Ok(()) => Ok(see_other(
            &headers,
            &format!("/agency/register/{}#ciso", entry.id),
        )),
        Err(StoreError::Conflict(_)) => {
            refuse(
                Kept {
                    ciso: Some(form),
                    ciso_message: Some(m.text(lang, "register-conflict", &[])),
                    ..Kept::default()
                },
                StatusCode::CONFLICT,
            )
            .await
        }
        Err(e) => Err(Failure::from(e).into()),
    }
}

/// `GET /agency/register/{id}/files/{file}`: a confirmation's evidence
/// file, for those who see the entry.
pub async fn download(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, file)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let (_, entry) = entry_for(&state, &ctx, &id, RegisterAction::View).await?;
    let file = file
        .parse::<i64>()
        .ok()
        .filter(|f| *f > 0)
        .ok_or_else(|| hidden("file", 0))?;
    if !store::is_evidence_of(&state.db, entry.id, file).await? {
        return Err(hidden("file", file).into());
    }
    let master = crate::uploads::master_key(&state)?;
    let (stored, bytes) = ismap_store::files::read(&state.db, master, file).await?;
    Ok(crate::uploads::attachment(&stored, bytes))
}

// ---------------------------------------------------------- import/export

async fn exported(
    state: &AppState,
    ctx: &Ctx,
    query: ListQuery,
) -> Result<Vec<ismap_domain::register::EntryInput>, Failure> {
    let p = reader(ctx)?;
    let agency = scope(p, query.agency.as_deref());
    Ok(store::list(&state.db, agency)
        .await?
        .iter()
        .map(Entry::input)
        .collect())
}

fn download_response(content_type: &'static str, name: &'static str, body: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CONTENT_DISPOSITION, name),
            (header::CACHE_CONTROL, "private, no-store"),
        ],
        body,
    )
        .into_response()
}

/// `GET /agency/register/export.csv`: the register as CSV, headers in the
/// reader's language.
pub async fn export_csv(
    State(state): State<AppState>,
    ctx: Ctx,
    query: Result<Query<ListQuery>, Response>,
) -> Result<Response, PageError> {
    reader(&ctx)?;
    let query = query.map(|Query(q)| q).unwrap_or_default();
    let entries = exported(&state, &ctx, query).await?;
    Ok(download_response(
        "text/csv; charset=utf-8",
        "attachment; filename=\"cloud-usage-register.csv\"",
        ismap_formats::register::to_csv(&entries, ctx.lang),
    ))
}

/// `GET /agency/register/export.xlsx`: the register as an Excel workbook.
pub async fn export_xlsx(
    State(state): State<AppState>,
    ctx: Ctx,
    query: Result<Query<ListQuery>, Response>,
) -> Result<Response, PageError> {
    reader(&ctx)?;
    let query = query.map(|Query(q)| q).unwrap_or_default();
    let entries = exported(&state, &ctx, query).await?;
    let body = ismap_formats::register::to_xlsx(&entries, ctx.lang)
        .map_err(|e| Failure::Internal(format!("register workbook: {e}")))?;
    Ok(download_response(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "attachment; filename=\"cloud-usage-register.xlsx\"",
        body,
    ))
}

/// `POST /agency/register/import` (multipart, field `file`): CSV or XLSX,
/// all or nothing. A refused file comes back on the register page with
/// every problem by line and column in the reader's language (422).
pub async fn import(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, PageError> {
    let (p, actor) = keeper(&ctx)?;
    let agency = p.organization.id;
    let m = Messages::get();
    let lang = ctx.lang;
    let whole = |message: String| {
        (
            vec![ismap_formats::register::Problem {
                line: 0,
                column: None,
                message,
            }],
            1usize,
        )
    };
    let known = store::known_services(&state.db).await?;
    let max = ismap_formats::register::MAX_BYTES;
    let read = match multipart {
        Ok(multipart) => match crate::uploads::read(multipart, max).await {
            Ok(upload) => match upload.file() {
                Some((name, _, bytes)) => {
                    ismap_formats::register::read(lang, name, bytes, &known, state.clock.today())
                        .map(|entries| (name.clone(), entries))
                }
                None => Err(whole(m.text(lang, "register-import-no-file", &[]))),
            },
            Err(_) => Err(whole(m.text(
                lang,
                "register-import-too-large",
                &[("max", (max / 1024).to_string())],
            ))),
        },
        Err(_) => Err(whole(m.text(lang, "register-import-no-file", &[]))),
    };
    match read {
        Ok((name, entries)) => {
            let ids = store::import(&state.db, &actor, agency, &entries, &name).await?;
            Ok(see_other(
                &headers,
                &format!("/agency/register?imported={}", ids.len()),
            ))
        }
        Err((problems, total)) => {
            let lines = problems
                .into_iter()
                .map(|p| ImportLine {
                    line: if p.line == 0 {
                        m.text(lang, "register-import-whole", &[])
                    } else {
                        p.line.to_string()
                    },
                    column: p.column.unwrap_or_default(),
                    message: p.message,
                })
                .collect();
            let page = list_page(&state, &ctx, ListQuery::default(), (lines, total)).await?;
            Ok(with_status(
                render(&page)?,
                StatusCode::UNPROCESSABLE_ENTITY,
            ))
        }
    }
}

// ---------------------------------------------------------------- dashboard

/// The dashboard card of an agency's people: their register's entries by
/// status and by path.
pub struct Card {
    pub total: usize,
    pub by_status: Vec<(String, String, usize)>,
    pub by_path: Vec<(String, String, usize)>,
}

pub async fn dashboard_card(
    state: &AppState,
    frame: &Frame,
    principal: Option<&Principal>,
) -> Result<Option<Card>, Failure> {
    let Some(p) = principal else {
        return Ok(None);
    };
    if !allows_register(Some(p), RegisterAction::Edit, Some(p.organization.id)) {
        return Ok(None);
    }
    let entries = store::list(&state.db, Some(p.organization.id)).await?;
    Ok(Some(Card {
        total: entries.len(),
        by_status: Status::ALL
            .iter()
            .map(|s| {
                (
                    s.key().to_owned(),
                    status_label(frame, *s),
                    entries.iter().filter(|e| e.status == *s).count(),
                )
            })
            .collect(),
        by_path: rules::Path::ALL
            .iter()
            .map(|path| {
                (
                    path.key().to_owned(),
                    path_label(frame, *path),
                    entries
                        .iter()
                        .filter(|e| e.path == *path && e.status != Status::Ended)
                        .count(),
                )
            })
            .collect(),
    }))
}
