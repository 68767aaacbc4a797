//! Internal audits of ISMAP-LIU services (内部監査報告書, spec §7.4, seed
//! 001): the provider records each internal audit (date, period, internal
//! auditor, the control objectives it covered, results, findings and the
//! report file, encrypted with the provider's key); the coverage view shows
//! which objectives of chapters 5–18 an internal audit covered within the
//! three years up to today; an ISMAP-LIU application is refused while that
//! coverage is incomplete ([`require_coverage`]); IPA records that it
//! checked the reports as a step of the review, and referral to the
//! committee waits for that check ([`require_check`]); the provider's
//! dashboard warns before an objective's last audit leaves the window
//! ([`dashboard`]).
//!
//! The coverage rule itself is `ismap_domain::liu`; this module only reads
//! the records and shows what the rule says.

use std::collections::{BTreeSet, HashMap};

use askama::Template;
use axum::Form;
use axum::extract::{FromRequest, Multipart, Path, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::NaiveDate;
use ismap_domain::liu::{self, COVERAGE_WARNING_DAYS, Coverage, ObjectiveError};
use ismap_domain::registration::ListKind;
use ismap_domain::{Catalog, ControlId, ServiceModel};
use ismap_i18n::{Lang, Messages};
use ismap_store::StoreError;
use ismap_store::applications::{self, Application};
use ismap_store::files::{self, NewFile};
use ismap_store::internal_audits::{self, InternalAudit, NewInternalAudit};
use ismap_store::{registrations, services, statements};
use serde::Deserialize;

use crate::AppState;
use crate::audit_ops::{self, actor};
use crate::auth::Ctx;
use crate::error::{Failure, PageError};
use crate::pages::engagements::{is_htmx, see_other};
use crate::pages::render;
use crate::policy::{Action, InternalAuditAction, Principal, allows, allows_internal_audits};
use crate::text::Frame;
use crate::today;
use crate::uploads;

/// The longest auditor name or department, in characters.
const MAX_NAME_CHARS: usize = 200;
/// The longest results, findings or pasted list of ids, in characters.
const MAX_TEXT_CHARS: usize = 20_000;
/// The longest reason for a correction or note of IPA's check.
const MAX_NOTE_CHARS: usize = 2_000;
/// How many uncovered objectives a dashboard line names before "and n more".
const DASHBOARD_NAMES: usize = 12;

fn msg(lang: Lang, id: &str, args: &[(&str, String)]) -> String {
    Messages::get().text(lang, id, args)
}

/// A day for a message without a page frame: 2026年12月1日 / 1 Dec 2026.
fn day(lang: Lang, date: NaiveDate) -> String {
    match lang {
        Lang::Ja => date.format("%Y年%-m月%-d日").to_string(),
        Lang::En => date.format("%-d %b %Y").to_string(),
    }
}

fn invalid(field: &str, message: String) -> Failure {
    Failure::Invalid {
        field: field.into(),
        message,
    }
}

// ---------------------------------------------------------------------
// Who sees what

/// Whether the service has an ISMAP-LIU application (in any state): its
/// internal audit reports were then submitted for review.
async fn liu_applied(state: &AppState, service: &services::Service) -> Result<bool, Failure> {
    Ok(applications::list(&state.db, Some(service.organization_id))
        .await?
        .iter()
        .any(|a| a.service_id == service.id && a.list == ListKind::Liu))
}

/// The service when the person may see its internal audits; as if missing
/// otherwise (policy::hidden).
async fn visible_service(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
) -> Result<(services::Service, bool), Failure> {
    crate::policy::signed_in(ctx.principal.as_ref())?;
    let service = services::get(&state.db, id).await?;
    let liu = liu_applied(state, &service).await?;
    crate::policy::require_visible(
        ctx.principal.as_ref(),
        |p| {
            allows_internal_audits(
                Some(p),
                InternalAuditAction::View,
                service.organization_id,
                liu,
            )
        },
        "service",
        id,
    )?;
    Ok((service, liu))
}

/// A record with its service, when the person may see it.
async fn visible_record(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
) -> Result<(InternalAudit, services::Service), Failure> {
    crate::policy::signed_in(ctx.principal.as_ref())?;
    let record = internal_audits::get(&state.db, id).await?;
    let service = services::get(&state.db, record.service_id).await?;
    let liu = liu_applied(state, &service).await?;
    crate::policy::require_visible(
        ctx.principal.as_ref(),
        |p| {
            allows_internal_audits(
                Some(p),
                InternalAuditAction::View,
                service.organization_id,
                liu,
            )
        },
        "internal audit",
        id,
    )?;
    Ok((record, service))
}

fn may_record(p: Option<&Principal>, service: &services::Service) -> bool {
    allows_internal_audits(
        p,
        InternalAuditAction::Record,
        service.organization_id,
        false,
    )
}

// ---------------------------------------------------------------------
// Coverage

/// The catalog a service's internal audits are read against: its latest
/// statement's, or the portal's default.
fn catalog_for<'a>(state: &'a AppState, statements: &[statements::StatementRecord]) -> &'a Catalog {
    statements
        .last()
        .and_then(|s| state.catalog(&s.catalog_id))
        .unwrap_or_else(|| state.default_catalog())
}

async fn service_catalog(state: &AppState, service_id: i64) -> Result<&Catalog, Failure> {
    let statements = statements::of_service(&state.db, service_id).await?;
    Ok(catalog_for(state, &statements))
}

/// The standing records as the coverage rule reads them.
fn as_audits(records: &[InternalAudit]) -> Vec<liu::InternalAudit> {
    records
        .iter()
        .filter(|r| r.is_current())
        .map(|r| liu::InternalAudit {
            date: r.audit_date,
            // Stored ids were checked against a catalog when recorded.
            objectives: r.objectives.iter().filter_map(|o| o.parse().ok()).collect(),
        })
        .collect()
}

/// A service's internal audit coverage on `as_of`.
pub async fn coverage_on(
    state: &AppState,
    service_id: i64,
    as_of: NaiveDate,
) -> Result<Coverage, Failure> {
    let catalog = service_catalog(state, service_id).await?;
    let records = internal_audits::of_service(&state.db, service_id).await?;
    Ok(liu::coverage(catalog, &as_audits(&records), as_of))
}

/// An objective with its title in the page's language.
pub struct ObjectiveRow {
    pub id: String,
    pub title: String,
}

pub struct CoveredRow {
    pub id: String,
    pub title: String,
    pub last_audit: String,
    pub last_day: String,
    /// Leaves the window within the warning days.
    pub leaving: bool,
}

/// What the coverage view shows.
pub struct CoverageView {
    pub complete: bool,
    /// 「直近3年間（2023年12月2日〜2026年12月1日）」
    pub window: String,
    /// 「121 件中 100 件」
    pub counts: String,
    pub covered: Vec<CoveredRow>,
    pub uncovered: Vec<ObjectiveRow>,
}

fn title(frame: &Frame, catalog: &Catalog, id: ControlId) -> String {
    catalog
        .get(id.number())
        .map(|c| frame.pick(&c.title.ja, &c.title.en).to_owned())
        .unwrap_or_default()
}

fn coverage_view(frame: &Frame, catalog: &Catalog, coverage: &Coverage) -> CoverageView {
    let leaving: BTreeSet<ControlId> = coverage
        .leaving_within(COVERAGE_WARNING_DAYS)
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    CoverageView {
        complete: coverage.complete(),
        window: frame.tr(
            "internal-audit-window",
            &[
                ("from", frame.day(&coverage.window_start)),
                ("until", frame.day(&coverage.as_of)),
            ],
        ),
        counts: frame.tr(
            "internal-audit-counts",
            &[
                ("covered", coverage.covered.len().to_string()),
                (
                    "total",
                    (coverage.covered.len() + coverage.uncovered.len()).to_string(),
                ),
            ],
        ),
        covered: coverage
            .covered
            .iter()
            .map(|(id, date)| CoveredRow {
                id: id.to_string(),
                title: title(frame, catalog, *id),
                last_audit: frame.day(date),
                last_day: frame.day(&liu::last_day_counted(*date)),
                leaving: leaving.contains(id),
            })
            .collect(),
        uncovered: coverage
            .uncovered
            .iter()
            .map(|id| ObjectiveRow {
                id: id.to_string(),
                title: title(frame, catalog, *id),
            })
            .collect(),
    }
}

/// The ids of `objectives`, joined for a sentence.
fn joined(objectives: &[ControlId]) -> String {
    objectives
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

// ---------------------------------------------------------------------
// The form

/// A chapter's objectives as checkboxes.
pub struct ChapterChoice {
    pub number: u16,
    /// 「第5章 情報セキュリティのための方針群」
    pub title: String,
    /// 「第5章の統制目標をすべて選択」
    pub select_label: String,
    /// "Select the whole chapter" was ticked.
    pub all: bool,
    pub objectives: Vec<(String, String, bool)>,
}

/// The record form: a new record, or a correction of `amends`.
pub struct FormView {
    pub service_id: i64,
    pub amends: Option<i64>,
    pub typed: HashMap<String, String>,
    pub chapters: Vec<ChapterChoice>,
    pub error: Option<String>,
    pub max_upload_mib: usize,
    /// The file of the corrected record, kept unless another is chosen.
    pub kept_file: Option<String>,
}

impl FormView {
    pub fn typed(&self, field: &str) -> &str {
        self.typed.get(field).map_or("", String::as_str)
    }
}

fn form_view(
    state: &AppState,
    frame: &Frame,
    catalog: &Catalog,
    service_id: i64,
    amends: Option<i64>,
    typed: HashMap<String, String>,
    error: Option<String>,
) -> FormView {
    let objectives = liu::internal_audit_objectives(catalog);
    let chapters = catalog
        .chapters()
        .iter()
        .filter_map(|chapter| {
            let mine: Vec<(String, String, bool)> = objectives
                .iter()
                .filter(|o| o.chapter() == chapter.number)
                .map(|o| {
                    (
                        o.to_string(),
                        title(frame, catalog, *o),
                        typed.contains_key(&format!("o-{o}")),
                    )
                })
                .collect();
            let number = ("number", chapter.number.to_string());
            (!mine.is_empty()).then(|| ChapterChoice {
                number: chapter.number,
                title: frame.tr(
                    "internal-audit-chapter",
                    &[
                        number.clone(),
                        (
                            "title",
                            frame.pick(&chapter.title.ja, &chapter.title.en).to_owned(),
                        ),
                    ],
                ),
                select_label: frame.tr("internal-audit-select-chapter", &[number]),
                all: typed.contains_key(&format!("chapter-{}", chapter.number)),
                objectives: mine,
            })
        })
        .collect();
    FormView {
        service_id,
        amends,
        typed,
        chapters,
        error,
        max_upload_mib: (state.config.max_upload_bytes / (1024 * 1024)).max(1),
        kept_file: None,
    }
}

/// A refused objective id, said in `lang` with the reason.
fn objective_refusal(lang: Lang, error: &ObjectiveError) -> String {
    let (id, text) = match error {
        ObjectiveError::Malformed(text) => ("internal-audit-objective-malformed", text),
        ObjectiveError::NotAnObjective(text) => ("internal-audit-objective-not-objective", text),
        ObjectiveError::Unknown(text) => ("internal-audit-objective-unknown", text),
    };
    msg(lang, id, &[("objective", text.clone())])
}

/// The objectives the form names: ticked, whole chapters, pasted ids. A
/// pasted id that is no objective of the catalog refuses the form, naming
/// every such id.
fn chosen_objectives(
    lang: Lang,
    catalog: &Catalog,
    upload: &uploads::Upload,
) -> Result<Vec<ControlId>, Failure> {
    let pasted = upload.text("objective_ids");
    if pasted.chars().count() > MAX_TEXT_CHARS {
        return Err(invalid(
            "objective_ids",
            msg(
                lang,
                "internal-audit-too-long",
                &[
                    (
                        "field",
                        msg(lang, "internal-audit-field-objective_ids", &[]),
                    ),
                    ("limit", MAX_TEXT_CHARS.to_string()),
                ],
            ),
        ));
    }
    let mut chosen = BTreeSet::new();
    let mut refused = Vec::new();
    let tokens = pasted
        .split(|c: char| c.is_whitespace() || matches!(c, ',' | '、' | '，' | ';' | '；'))
        .filter(|t| !t.is_empty());
    // Ticked boxes are ids the page rendered; a forged one is refused alike.
    let boxes = upload
        .fields
        .keys()
        .filter_map(|k| k.strip_prefix("o-"))
        .map(str::to_owned)
        .collect::<Vec<_>>();
    for text in tokens.map(str::to_owned).chain(boxes) {
        match liu::parse_objective(catalog, &text) {
            Ok(id) => {
                chosen.insert(id);
            }
            Err(e) => refused.push(objective_refusal(lang, &e)),
        }
    }
    if !refused.is_empty() {
        refused.dedup();
        return Err(invalid(
            "objective_ids",
            msg(
                lang,
                "internal-audit-refused-objectives",
                &[("problems", refused.join(" "))],
            ),
        ));
    }
    for objective in liu::internal_audit_objectives(catalog) {
        if upload
            .fields
            .contains_key(&format!("chapter-{}", objective.chapter()))
        {
            chosen.insert(objective);
        }
    }
    if chosen.is_empty() {
        return Err(invalid(
            "objective_ids",
            msg(lang, "internal-audit-refused-no-objective", &[]),
        ));
    }
    // In catalog order, as the coverage lists them.
    Ok(liu::internal_audit_objectives(catalog)
        .into_iter()
        .filter(|o| chosen.contains(o))
        .collect())
}

/// A checked form, ready to record.
struct Checked {
    audit_date: NaiveDate,
    period_start: NaiveDate,
    period_end: NaiveDate,
    auditor_name: String,
    auditor_department: String,
    results: String,
    findings: String,
    objectives: Vec<String>,
}

fn required_text(lang: Lang, upload: &uploads::Upload, field: &str) -> Result<String, Failure> {
    let value = upload.text(field).trim();
    if value.is_empty() {
        return Err(invalid(
            field,
            msg(
                lang,
                "internal-audit-required",
                &[(
                    "field",
                    msg(lang, &format!("internal-audit-field-{field}"), &[]),
                )],
            ),
        ));
    }
    bounded(lang, upload, field)
}

fn bounded(lang: Lang, upload: &uploads::Upload, field: &str) -> Result<String, Failure> {
    let value = upload.text(field).trim();
    let limit = if matches!(field, "auditor_name" | "auditor_department") {
        MAX_NAME_CHARS
    } else {
        MAX_TEXT_CHARS
    };
    if value.chars().count() > limit {
        return Err(invalid(
            field,
            msg(
                lang,
                "internal-audit-too-long",
                &[
                    (
                        "field",
                        msg(lang, &format!("internal-audit-field-{field}"), &[]),
                    ),
                    ("limit", limit.to_string()),
                ],
            ),
        ));
    }
    Ok(value.to_owned())
}

fn date_field(lang: Lang, upload: &uploads::Upload, field: &str) -> Result<NaiveDate, Failure> {
    let label = msg(lang, &format!("internal-audit-field-{field}"), &[]);
    let text = upload.text(field).trim();
    if text.is_empty() {
        return Err(invalid(
            field,
            msg(lang, "internal-audit-required", &[("field", label)]),
        ));
    }
    text.parse().map_err(|_| {
        invalid(
            field,
            msg(
                lang,
                "internal-audit-date-invalid",
                &[("field", label), ("value", text.to_owned())],
            ),
        )
    })
}

fn check_form(lang: Lang, catalog: &Catalog, upload: &uploads::Upload) -> Result<Checked, Failure> {
    let audit_date = date_field(lang, upload, "audit_date")?;
    if audit_date > today() {
        return Err(invalid(
            "audit_date",
            msg(lang, "internal-audit-date-future", &[]),
        ));
    }
    let period_start = date_field(lang, upload, "period_start")?;
    let period_end = date_field(lang, upload, "period_end")?;
    if period_start > period_end {
        return Err(invalid(
            "period_end",
            msg(lang, "internal-audit-period-reversed", &[]),
        ));
    }
    let auditor_name = required_text(lang, upload, "auditor_name")?;
    let auditor_department = bounded(lang, upload, "auditor_department")?;
    let objectives = chosen_objectives(lang, catalog, upload)?;
    let results = required_text(lang, upload, "results")?;
    let findings = bounded(lang, upload, "findings")?;
    Ok(Checked {
        audit_date,
        period_start,
        period_end,
        auditor_name,
        auditor_department,
        results,
        findings,
        objectives: objectives.iter().map(ToString::to_string).collect(),
    })
}

// ---------------------------------------------------------------------
// GET /services/{id}/internal-audits

pub struct RecordRow {
    pub id: i64,
    pub audit_date: String,
    pub period: String,
    pub auditor: String,
    pub objectives: usize,
    pub file_name: String,
    pub file_size: String,
    /// 「訂正済み（#5）」, 「#3 の訂正」 or empty.
    pub status: String,
    pub current: bool,
}

fn auditor(record: &InternalAudit) -> String {
    if record.auditor_department.is_empty() {
        record.auditor_name.clone()
    } else {
        format!("{}（{}）", record.auditor_name, record.auditor_department)
    }
}

fn size(bytes: i64) -> String {
    let bytes = bytes.max(0) as f64;
    if bytes < 1024.0 {
        format!("{bytes} B")
    } else if bytes < 1024.0 * 1024.0 {
        format!("{:.1} KB", bytes / 1024.0)
    } else {
        format!("{:.1} MB", bytes / (1024.0 * 1024.0))
    }
}

fn record_row(frame: &Frame, record: &InternalAudit) -> RecordRow {
    let status = match (record.superseded_by, record.amends) {
        (Some(by), _) => frame.tr("internal-audit-superseded", &[("id", by.to_string())]),
        (None, Some(of)) => frame.tr("internal-audit-amends", &[("id", of.to_string())]),
        (None, None) => String::new(),
    };
    RecordRow {
        id: record.id,
        audit_date: frame.day(&record.audit_date),
        period: format!(
            "{} – {}",
            frame.day(&record.period_start),
            frame.day(&record.period_end)
        ),
        auditor: auditor(record),
        objectives: record.objectives.len(),
        file_name: record.file.file_name.clone(),
        file_size: size(record.file.size),
        status,
        current: record.is_current(),
    }
}

#[derive(Template)]
#[template(path = "internal_audits.html")]
struct ListPage {
    frame: Frame,
    service_id: i64,
    service_name: String,
    is_saas: bool,
    /// Which rules are this system's assumptions, and the catalog read.
    assumptions: String,
    coverage: CoverageView,
    records: Vec<RecordRow>,
    /// The form, for the provider's people.
    form: Option<FormView>,
}

async fn list_page(
    state: &AppState,
    ctx: &Ctx,
    service_id: i64,
    typed: Option<HashMap<String, String>>,
    error: Option<(StatusCode, String)>,
) -> Result<Response, PageError> {
    let (service, _) = visible_service(state, ctx, service_id).await?;
    let frame = Frame::new(ctx);
    let catalog = service_catalog(state, service.id).await?;
    let records = internal_audits::of_service(&state.db, service.id).await?;
    let coverage = liu::coverage(catalog, &as_audits(&records), today());
    let status = error.as_ref().map(|(s, _)| *s);
    let is_saas = service.model == ServiceModel::SaaS;
    let form = (is_saas && may_record(ctx.principal.as_ref(), &service)).then(|| {
        form_view(
            state,
            &frame,
            catalog,
            service.id,
            None,
            typed.unwrap_or_default(),
            error.map(|(_, m)| m),
        )
    });
    let mut response = render(&ListPage {
        service_id: service.id,
        service_name: service.name.clone(),
        is_saas,
        assumptions: frame.tr(
            "internal-audit-assumptions",
            &[
                ("days", COVERAGE_WARNING_DAYS.to_string()),
                (
                    "catalog",
                    frame
                        .pick(&catalog.info().title.ja, &catalog.info().title.en)
                        .to_owned(),
                ),
            ],
        ),
        coverage: coverage_view(&frame, catalog, &coverage),
        records: records.iter().map(|r| record_row(&frame, r)).collect(),
        form,
        frame,
    })?;
    if let Some(status) = status {
        *response.status_mut() = status;
    }
    Ok(response)
}

pub async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    list_page(&state, &ctx, id, None, None).await
}

// ---------------------------------------------------------------------
// POST /services/{id}/internal-audits

/// Records an internal audit, or (with `amends` and `reason`) a correction
/// of one. The form is multipart, with the report file as `report`.
pub async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(service_id): Path<i64>,
    request: Request,
) -> Result<Response, PageError> {
    let (service, _) = visible_service(&state, &ctx, service_id).await?;
    let p = ctx.principal.as_ref().ok_or(Failure::NotSignedIn)?;
    if !may_record(Some(p), &service) {
        return Err(Failure::Forbidden.into());
    }
    let lang = ctx.lang;
    // The body is read once the person may record here.
    let multipart = Multipart::from_request(request, &state)
        .await
        .map_err(|_| invalid("form", msg(lang, "internal-audit-refused-form", &[])))?;
    let max = state.config.max_upload_bytes;
    let upload = uploads::read(multipart, max)
        .await
        .map_err(|e| audit_ops::upload_failure(lang, e, max))?;
    let amends = match upload.text("amends").trim() {
        "" => None,
        text => Some(
            text.parse::<i64>()
                .map_err(|_| invalid("amends", msg(lang, "internal-audit-refused-form", &[])))?,
        ),
    };
    match record(&state, p, &service, &upload, amends, lang).await {
        Ok(id) => Ok(see_other(&headers, &format!("/internal-audits/{id}"))),
        Err(failure @ (Failure::Invalid { .. } | Failure::Conflict(_) | Failure::Refused(_)))
            if !is_htmx(&headers) =>
        {
            // Without scripts the form comes back as typed, with why.
            let status = failure.status();
            let message = match failure {
                Failure::Invalid { message, .. }
                | Failure::Conflict(message)
                | Failure::Refused(message) => message,
                _ => String::new(),
            };
            let mut typed = upload.fields.clone();
            typed.remove("csrf");
            match amends {
                Some(record) => {
                    record_page(&state, &ctx, record, Some(typed), Some((status, message))).await
                }
                None => {
                    list_page(
                        &state,
                        &ctx,
                        service_id,
                        Some(typed),
                        Some((status, message)),
                    )
                    .await
                }
            }
        }
        Err(other) => Err(other.into()),
    }
}

async fn record(
    state: &AppState,
    p: &Principal,
    service: &services::Service,
    upload: &uploads::Upload,
    amends: Option<i64>,
    lang: Lang,
) -> Result<i64, Failure> {
    if service.model != ServiceModel::SaaS {
        return Err(Failure::Conflict(msg(
            lang,
            "internal-audit-refused-not-saas",
            &[],
        )));
    }
    let catalog = service_catalog(state, service.id).await?;
    let checked = check_form(lang, catalog, upload)?;
    let reason = upload.text("reason").trim().to_owned();
    if amends.is_some() {
        if reason.is_empty() {
            return Err(invalid(
                "reason",
                msg(lang, "internal-audit-refused-reason", &[]),
            ));
        }
        if reason.chars().count() > MAX_NOTE_CHARS {
            return Err(invalid(
                "reason",
                msg(
                    lang,
                    "internal-audit-too-long",
                    &[
                        ("field", msg(lang, "internal-audit-field-reason", &[])),
                        ("limit", MAX_NOTE_CHARS.to_string()),
                    ],
                ),
            ));
        }
    }
    let file = match upload.files.get("report") {
        Some((name, declared, bytes)) => Some((
            name.as_str(),
            audit_ops::check_upload(
                lang,
                "report",
                name,
                declared,
                bytes,
                state.config.max_upload_bytes,
            )?,
            bytes.as_slice(),
        )),
        None if amends.is_none() => {
            return Err(invalid(
                "report",
                msg(lang, "internal-audit-refused-no-report", &[]),
            ));
        }
        None => None,
    };
    let master = uploads::master_key(state)?;
    let actor = actor(Some(p))?;
    let new = NewInternalAudit {
        service_id: service.id,
        organization_id: service.organization_id,
        audit_date: checked.audit_date,
        period_start: checked.period_start,
        period_end: checked.period_end,
        auditor_name: &checked.auditor_name,
        auditor_department: &checked.auditor_department,
        results: &checked.results,
        findings: &checked.findings,
        objectives: &checked.objectives,
    };
    let new_file = file.as_ref().map(|(name, content_type, bytes)| NewFile {
        organization_id: service.organization_id,
        file_name: name,
        content_type,
        bytes,
    });
    let recorded = match amends {
        None => {
            let Some(file) = new_file else {
                return Err(Failure::Internal("report file checked above".into()));
            };
            internal_audits::record(&state.db, master, &actor, new, file).await?
        }
        Some(of) => {
            // Only a record of this service can be corrected here.
            let corrected = internal_audits::get(&state.db, of).await;
            if !corrected.is_ok_and(|c| c.service_id == service.id) {
                return Err(invalid(
                    "amends",
                    msg(lang, "internal-audit-refused-form", &[]),
                ));
            }
            internal_audits::amend(&state.db, master, &actor, of, new, new_file, &reason)
                .await
                .map_err(|e| match e {
                    StoreError::Conflict(_) => Failure::Conflict(msg(
                        lang,
                        "internal-audit-refused-corrected",
                        &[("id", of.to_string())],
                    )),
                    other => other.into(),
                })?
        }
    };
    Ok(recorded.id)
}

// ---------------------------------------------------------------------
// GET /internal-audits/{id}

#[derive(Template)]
#[template(path = "internal_audit.html")]
struct RecordPage {
    frame: Frame,
    r: RecordRow,
    service_id: i64,
    service_name: String,
    results: String,
    findings: String,
    amendment_reason: String,
    amends: Option<i64>,
    superseded_by: Option<i64>,
    recorded: String,
    objectives: Vec<ObjectiveRow>,
    /// The correction form, for the provider's people, on a standing record.
    form: Option<FormView>,
}

async fn record_page(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    typed: Option<HashMap<String, String>>,
    error: Option<(StatusCode, String)>,
) -> Result<Response, PageError> {
    let (record, service) = visible_record(state, ctx, id).await?;
    let frame = Frame::new(ctx);
    let catalog = service_catalog(state, service.id).await?;
    let status = error.as_ref().map(|(s, _)| *s);
    let form = (record.is_current()
        && service.model == ServiceModel::SaaS
        && may_record(ctx.principal.as_ref(), &service))
    .then(|| {
        // The correction starts from what the record says.
        let typed = typed.unwrap_or_else(|| {
            let mut typed: HashMap<String, String> = [
                ("audit_date", record.audit_date.to_string()),
                ("period_start", record.period_start.to_string()),
                ("period_end", record.period_end.to_string()),
                ("auditor_name", record.auditor_name.clone()),
                ("auditor_department", record.auditor_department.clone()),
                ("results", record.results.clone()),
                ("findings", record.findings.clone()),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect();
            for objective in &record.objectives {
                typed.insert(format!("o-{objective}"), "1".to_owned());
            }
            typed
        });
        let mut form = form_view(
            state,
            &frame,
            catalog,
            service.id,
            Some(record.id),
            typed,
            error.map(|(_, m)| m),
        );
        form.kept_file = Some(record.file.file_name.clone());
        form
    });
    let objectives = record
        .objectives
        .iter()
        .map(|o| ObjectiveRow {
            id: o.clone(),
            title: o
                .parse()
                .map(|id| title(&frame, catalog, id))
                .unwrap_or_default(),
        })
        .collect();
    let recorded = match &record.recorded_by_name {
        Some(name) => format!("{} — {name}", frame.when_text(&record.recorded_at)),
        None => frame.when_text(&record.recorded_at),
    };
    let mut response = render(&RecordPage {
        r: record_row(&frame, &record),
        service_id: service.id,
        service_name: service.name.clone(),
        results: record.results.clone(),
        findings: record.findings.clone(),
        amendment_reason: record.amendment_reason.clone(),
        amends: record.amends,
        superseded_by: record.superseded_by,
        recorded,
        objectives,
        form,
        frame,
    })?;
    if let Some(status) = status {
        *response.status_mut() = status;
    }
    Ok(response)
}

pub async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    record_page(&state, &ctx, id, None, None).await
}

// ---------------------------------------------------------------------
// GET /internal-audits/{id}/report

/// The report file, decrypted, for those who see the record.
pub async fn report(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let (record, _) = visible_record(&state, &ctx, id).await?;
    let master = uploads::master_key(&state)?;
    let (file, bytes) = files::read(&state.db, master, record.file.id).await?;
    Ok(uploads::attachment(&file, bytes))
}

// ---------------------------------------------------------------------
// The gate of an ISMAP-LIU application

/// Refuses (409) an ISMAP-LIU application of `service` while its internal
/// audits do not cover every control objective of chapters 5–18 within the
/// three years up to today (the submission day), naming those not covered.
pub async fn require_coverage(
    state: &AppState,
    service: &services::Service,
    lang: Lang,
) -> Result<(), Failure> {
    let coverage = coverage_on(state, service.id, today()).await?;
    if coverage.complete() {
        return Ok(());
    }
    Err(Failure::Refused(msg(
        lang,
        "internal-audit-refused-incomplete",
        &[
            ("count", coverage.uncovered.len().to_string()),
            (
                "total",
                (coverage.covered.len() + coverage.uncovered.len()).to_string(),
            ),
            ("from", day(lang, coverage.window_start)),
            ("until", day(lang, coverage.as_of)),
            ("objectives", joined(&coverage.uncovered)),
        ],
    )))
}

// ---------------------------------------------------------------------
// IPA's check, on the application page

pub struct CheckRow {
    pub at: String,
    pub by: String,
    pub note: String,
    /// Internal audits were recorded or corrected after this check.
    pub outdated: bool,
}

/// The internal audit section of an ISMAP-LIU application's page.
pub struct ApplicationSection {
    pub application_id: i64,
    pub service_id: i64,
    /// Coverage on the day the application was submitted.
    pub submitted: CoverageView,
    pub records: Vec<RecordRow>,
    pub checks: Vec<CheckRow>,
    /// IPA may record its check now.
    pub can_check: bool,
    /// The newest record shown ("" for none), sent back with the check.
    pub seen_latest: String,
    pub note: String,
    pub error: Option<String>,
    /// Referral waits for a (current) check.
    pub check_needed: bool,
}

/// Whether the latest check saw the service's newest internal audit record.
fn check_is_current(checks: &[internal_audits::Check], latest: Option<i64>) -> bool {
    checks.last().is_some_and(|c| c.latest_audit_id == latest)
}

/// The section for `application`, when it is an ISMAP-LIU application and
/// the person may see its internal audits; `None` otherwise.
pub async fn application_section(
    state: &AppState,
    frame: &Frame,
    p: &Principal,
    application: &Application,
    typed_note: Option<String>,
    error: Option<String>,
) -> Result<Option<ApplicationSection>, Failure> {
    if application.list != ListKind::Liu
        || !allows_internal_audits(
            Some(p),
            InternalAuditAction::View,
            application.organization_id,
            true,
        )
    {
        return Ok(None);
    }
    let catalog = service_catalog(state, application.service_id).await?;
    let records = internal_audits::of_service(&state.db, application.service_id).await?;
    let submitted_on = crate::text::japan_day(&application.submitted_at).unwrap_or_else(today);
    let coverage = liu::coverage(catalog, &as_audits(&records), submitted_on);
    let checks = internal_audits::checks(&state.db, application.id).await?;
    let latest = records.iter().map(|r| r.id).max();
    let check_needed = !check_is_current(&checks, latest);
    Ok(Some(ApplicationSection {
        application_id: application.id,
        service_id: application.service_id,
        submitted: coverage_view(frame, catalog, &coverage),
        records: records.iter().map(|r| record_row(frame, r)).collect(),
        checks: checks
            .iter()
            .map(|c| CheckRow {
                at: frame.when_text(&c.checked_at),
                by: c.checker_name.clone().unwrap_or_else(|| c.checker.clone()),
                note: c.note.clone(),
                outdated: c.latest_audit_id != latest,
            })
            .collect(),
        can_check: allows_internal_audits(
            Some(p),
            InternalAuditAction::Check,
            application.organization_id,
            true,
        ) && application.state.is_with_reviewer(),
        seen_latest: latest.map(|l| l.to_string()).unwrap_or_default(),
        note: typed_note.unwrap_or_default(),
        error,
        check_needed,
    }))
}

/// Refuses (409) the referral of an ISMAP-LIU application to the committee
/// until IPA has recorded its check of the internal audit reports, and
/// again when internal audits were recorded or corrected after the check.
pub async fn require_check(
    state: &AppState,
    lang: Lang,
    application: &Application,
) -> Result<(), Failure> {
    if application.list != ListKind::Liu {
        return Ok(());
    }
    let checks = internal_audits::checks(&state.db, application.id).await?;
    if checks.is_empty() {
        return Err(Failure::Refused(msg(
            lang,
            "internal-audit-refused-refer-unchecked",
            &[],
        )));
    }
    let latest = internal_audits::latest_id(&state.db, application.service_id).await?;
    if !check_is_current(&checks, latest) {
        return Err(Failure::Conflict(msg(
            lang,
            "internal-audit-refused-refer-outdated",
            &[],
        )));
    }
    Ok(())
}

#[derive(Template)]
#[template(path = "internal_audit_check.html")]
struct CheckPage {
    frame: Frame,
    application_id: i64,
    service_name: String,
    ia: ApplicationSection,
}

#[derive(Deserialize)]
pub struct CheckForm {
    #[serde(default)]
    note: String,
    /// The newest record the page showed ("" for none).
    #[serde(default)]
    seen: String,
}

/// `POST /applications/{id}/internal-audit-check`: IPA records that it
/// checked the application's internal audit reports.
pub async fn check(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(form): Form<CheckForm>,
) -> Result<Response, PageError> {
    crate::policy::signed_in(ctx.principal.as_ref())?;
    let application = applications::get(&state.db, id).await?;
    let p = crate::policy::require_visible(
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
    if !allows_internal_audits(
        Some(p),
        InternalAuditAction::Check,
        application.organization_id,
        true,
    ) {
        return Err(Failure::Forbidden.into());
    }
    match record_check(&state, p, &application, &form, ctx.lang).await {
        // A query the page ignores makes the address differ from the page
        // the form was on: a redirect differing only by its fragment would
        // just scroll, leaving the old page (and the note typed) in view.
        Ok(()) => Ok(see_other(
            &headers,
            &format!(
                "/applications/{id}?checked={}#internal-audits",
                chrono::Utc::now().timestamp_millis()
            ),
        )),
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
            let frame = Frame::new(&ctx);
            let Some(ia) = application_section(
                &state,
                &frame,
                p,
                &application,
                Some(form.note.clone()),
                Some(message.clone()),
            )
            .await?
            else {
                return Err(Failure::Conflict(message).into());
            };
            let mut response = render(&CheckPage {
                application_id: id,
                service_name: application.service_name.clone(),
                ia,
                frame,
            })?;
            *response.status_mut() = status;
            Ok(response)
        }
        Err(other) => Err(other.into()),
    }
}

async fn record_check(
    state: &AppState,
    p: &Principal,
    application: &Application,
    form: &CheckForm,
    lang: Lang,
) -> Result<(), Failure> {
    if application.list != ListKind::Liu {
        return Err(Failure::Refused(msg(
            lang,
            "internal-audit-refused-check-not-liu",
            &[],
        )));
    }
    if !application.state.is_with_reviewer() {
        return Err(Failure::Conflict(msg(
            lang,
            "internal-audit-refused-check-state",
            &[(
                "state",
                msg(
                    lang,
                    &format!("web-app-state-{}", application.state.key()),
                    &[],
                ),
            )],
        )));
    }
    let note = form.note.trim();
    if note.is_empty() {
        return Err(invalid(
            "note",
            msg(lang, "internal-audit-refused-note", &[]),
        ));
    }
    if note.chars().count() > MAX_NOTE_CHARS {
        return Err(invalid(
            "note",
            msg(
                lang,
                "internal-audit-too-long",
                &[
                    ("field", msg(lang, "internal-audit-field-note", &[])),
                    ("limit", MAX_NOTE_CHARS.to_string()),
                ],
            ),
        ));
    }
    let seen = match form.seen.trim() {
        "" => None,
        text => Some(
            text.parse::<i64>()
                .map_err(|_| invalid("seen", msg(lang, "internal-audit-refused-form", &[])))?,
        ),
    };
    internal_audits::record_check(
        &state.db,
        &actor(Some(p))?,
        internal_audits::Checked {
            application_id: application.id,
            service_id: application.service_id,
            organization_id: application.organization_id,
            seen_latest: seen,
            note,
        },
    )
    .await
    .map_err(|e| match e {
        StoreError::Conflict(_) => {
            Failure::Conflict(msg(lang, "internal-audit-refused-check-changed", &[]))
        }
        other => other.into(),
    })?;
    Ok(())
}

// ---------------------------------------------------------------------
// The provider's dashboard

/// One service's internal audit coverage on the provider's dashboard.
pub struct DashboardRow {
    pub service_id: i64,
    pub service: String,
    pub complete: bool,
    /// 「統制目標 121 件中 12 件が未網羅です: 5.1.1, …」
    pub incomplete: Option<String>,
    /// (last day counted, the objectives whose coverage ends that day).
    pub leaving: Vec<(String, String)>,
}

/// The provider's services with ISMAP-LIU intent (internal audits recorded,
/// an ISMAP-LIU application or registration) whose coverage is incomplete
/// today or leaves the window within [`COVERAGE_WARNING_DAYS`] days.
pub async fn dashboard(
    state: &AppState,
    frame: &Frame,
    p: Option<&Principal>,
) -> Result<Vec<DashboardRow>, Failure> {
    let Some(p) = p else {
        return Ok(Vec::new());
    };
    let org = p.organization.id;
    if !allows_internal_audits(Some(p), InternalAuditAction::View, org, false) {
        return Ok(Vec::new());
    }
    let mut intent: BTreeSet<i64> = internal_audits::services_with_audits(&state.db, org)
        .await?
        .into_iter()
        .collect();
    intent.extend(
        applications::list(&state.db, Some(org))
            .await?
            .iter()
            .filter(|a| a.list == ListKind::Liu)
            .map(|a| a.service_id),
    );
    intent.extend(
        registrations::current(&state.db, Some(org))
            .await?
            .iter()
            .filter(|r| r.list == ListKind::Liu)
            .map(|r| r.service_id),
    );
    let mut rows = Vec::new();
    for service_id in intent {
        let service = services::get(&state.db, service_id).await?;
        let coverage = coverage_on(state, service_id, today()).await?;
        let leaving = coverage.leaving_within(COVERAGE_WARNING_DAYS);
        if coverage.complete() && leaving.is_empty() {
            continue;
        }
        let mut by_day: Vec<(NaiveDate, Vec<ControlId>)> = Vec::new();
        for (id, day) in leaving {
            match by_day.last_mut() {
                Some((d, ids)) if *d == day => ids.push(id),
                _ => by_day.push((day, vec![id])),
            }
        }
        let incomplete = (!coverage.complete()).then(|| {
            let named = &coverage.uncovered[..coverage.uncovered.len().min(DASHBOARD_NAMES)];
            let rest = coverage.uncovered.len() - named.len();
            frame.tr(
                "internal-audit-dash-incomplete",
                &[
                    ("count", coverage.uncovered.len().to_string()),
                    (
                        "total",
                        (coverage.covered.len() + coverage.uncovered.len()).to_string(),
                    ),
                    ("objectives", joined(named)),
                    (
                        "more",
                        if rest > 0 {
                            frame.tr("internal-audit-more", &[("rest", rest.to_string())])
                        } else {
                            String::new()
                        },
                    ),
                ],
            )
        });
        rows.push(DashboardRow {
            service_id,
            service: service.name,
            complete: coverage.complete(),
            incomplete,
            leaving: by_day
                .into_iter()
                .map(|(day, ids)| {
                    (
                        frame.tr(
                            "internal-audit-dash-leaving",
                            &[("day", frame.day(&day)), ("count", ids.len().to_string())],
                        ),
                        joined(&ids),
                    )
                })
                .collect(),
        });
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ismap_domain::{OrgKind, Role};
    use ismap_store::orgs::Organization;
    use ismap_store::users::User;

    fn principal(kind: OrgKind, org: i64, role: Role) -> Principal {
        Principal {
            user: User {
                id: 1,
                username: "u".into(),
                display_name: "u".into(),
                email: String::new(),
                active: true,
            },
            organization: Organization {
                id: org,
                name: "o".into(),
                name_en: "o".into(),
                kind,
            },
            roles: vec![role],
        }
    }

    #[test]
    fn internal_audits_stay_with_the_provider_until_an_liu_application() {
        use InternalAuditAction::{Check, Record, View};
        let editor = principal(OrgKind::Csp, 7, Role::CspEditor);
        let stranger = principal(OrgKind::Csp, 8, Role::CspAdmin);
        let reviewer = principal(OrgKind::Ipa, 3, Role::Reviewer);
        let committee = principal(OrgKind::Committee, 4, Role::CommitteeMember);
        let secretariat = principal(OrgKind::Secretariat, 5, Role::SecretariatOfficer);
        let agency = principal(OrgKind::Agency, 9, Role::AgencyOfficer);
        for liu in [false, true] {
            assert!(allows_internal_audits(Some(&editor), View, 7, liu));
            assert!(allows_internal_audits(Some(&editor), Record, 7, liu));
            assert!(!allows_internal_audits(Some(&editor), Check, 7, liu));
            assert!(!allows_internal_audits(Some(&stranger), View, 7, liu));
            assert!(!allows_internal_audits(Some(&secretariat), View, 7, liu));
            assert!(!allows_internal_audits(Some(&agency), View, 7, liu));
            assert!(!allows_internal_audits(None, View, 7, liu));
            assert_eq!(allows_internal_audits(Some(&reviewer), View, 7, liu), liu);
            assert_eq!(allows_internal_audits(Some(&committee), View, 7, liu), liu);
            assert!(!allows_internal_audits(Some(&reviewer), Record, 7, liu));
            assert!(!allows_internal_audits(Some(&committee), Check, 7, liu));
        }
        assert!(allows_internal_audits(Some(&reviewer), Check, 7, true));
    }

    #[test]
    fn a_check_is_current_only_when_it_saw_the_newest_record() {
        let check = |latest| internal_audits::Check {
            id: 1,
            application_id: 1,
            latest_audit_id: latest,
            note: String::new(),
            checked_at: String::new(),
            checked_by: None,
            checker: String::new(),
            checker_name: None,
        };
        assert!(!check_is_current(&[], None));
        assert!(check_is_current(&[check(Some(3))], Some(3)));
        assert!(!check_is_current(&[check(Some(3))], Some(4)));
        assert!(check_is_current(&[check(Some(3)), check(Some(4))], Some(4)));
        assert!(check_is_current(&[check(None)], None));
    }
}
