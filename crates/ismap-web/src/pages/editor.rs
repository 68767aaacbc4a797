//! The statement editor: the catalog's chapters with their progress, each
//! chapter's controls loaded when it is opened (htmx), decided in place.
//! A change is saved on top of the version the page was based on (a stale
//! one is refused with 409 and shown in the row, what was chosen kept); the
//! same person's changes within a few minutes form one revision (see
//! `ismap_store::statements::save_edit`). Undecided controls are progress,
//! not errors, until the provider asks to check or freezes.

use std::collections::HashMap;

use crate::error::Query;
use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use ismap_domain::control_id::ControlNumber;
use ismap_domain::{Catalog, ControlId, Decision, FindingKind, Level, RuleId, Severity};
use ismap_formats::report::Report;
use ismap_i18n::Messages;
use ismap_store::statements::{self, Based};
use serde::Deserialize;

use crate::AppState;
use crate::auth::Ctx;
use crate::error::parse_control;
use crate::error::{Failure, PageError};
use crate::pages::catalog::{Badge, badges_in};
use crate::pages::render;
use crate::policy::{Action, Principal, allows};
use crate::statement_ops::{self, ControlEdit, DRAFT, Loaded};
use crate::text::Frame;

pub struct FindingView {
    /// The rule's code (S1–S8, A1–A4), or 入力 for unreadable input.
    pub rule: String,
    pub warning: bool,
    pub message: String,
}

pub struct Choice {
    pub value: &'static str,
    pub label: String,
    pub selected: bool,
}

pub struct Row {
    pub id: String,
    pub dom_id: String,
    pub title: String,
    pub detailed: bool,
    pub badges: Vec<Badge>,
    pub options: Vec<Choice>,
    pub individual_control: String,
    pub reason: String,
    pub from: String,
    pub confirmation: String,
    pub show_individual: bool,
    pub show_reason: bool,
    pub show_inherit: bool,
    /// An objective with detailed controls: bulk actions apply.
    pub bulk: bool,
    /// Risks that justify this control: (id, title).
    pub risks: Vec<(String, String)>,
    /// Evidence references: (title, reference, is a link).
    pub evidence: Vec<(String, String, bool)>,
    pub show_evidence: bool,
    pub findings: Vec<FindingView>,
    /// The control this answer saved: the row says so (in its message slot,
    /// which a later failure replaces).
    pub saved: bool,
}

impl Row {
    pub fn has_error(&self) -> bool {
        self.findings.iter().any(|f| !f.warning)
    }
}

pub struct ChapterRows {
    pub number: u16,
    pub title: String,
    pub decided: usize,
    pub total: usize,
    /// Controls the filter shows in this chapter.
    pub shown: usize,
    /// 決定済み n / total and 表示 n 件, in the page language.
    pub progress: String,
    pub shown_text: String,
    /// Rendered with the page (the chapter asked for, or a page without
    /// the chapter list's on-demand loading); otherwise loaded when opened.
    pub rows: Vec<Row>,
    pub open: bool,
}

pub struct RuleCount {
    pub rule: &'static str,
    pub title: String,
    pub count: usize,
    pub warning: bool,
}

/// What the editor shows around the rows.
pub struct Summary {
    pub errors: usize,
    pub warnings: usize,
    pub rules: Vec<RuleCount>,
    pub revision: i64,
    /// Controls decided, of all the catalog's controls.
    pub decided: usize,
    pub total: usize,
    /// Undecided controls count as errors (the provider asked to check).
    pub check: bool,
    /// 決定済み n / total, in the page language.
    pub progress: String,
}

fn progress_text(frame: &Frame, decided: usize, total: usize) -> String {
    frame.tr(
        "editor-progress",
        &[
            ("decided", decided.to_string()),
            ("total", total.to_string()),
        ],
    )
}

/// The version a page is based on, as its forms send it back: the
/// revision number and its edit count (`7.3`).
pub fn version_token(loaded: &Loaded) -> String {
    format!("{}.{}", loaded.revision.number, loaded.revision.edits)
}

/// Reads a version sent by a form: `7.3`, or `7` (any edit count).
pub fn parse_version(text: &str) -> Result<Based, Failure> {
    let invalid = || Failure::Invalid {
        field: "based_on".into(),
        message: format!("{text:?} is not a version of the statement; reload the page"),
    };
    let text = text.trim();
    match text.split_once('.') {
        None => Ok(Based::revision(text.parse().map_err(|_| invalid())?)),
        Some((revision, edits)) => Ok(Based {
            revision: revision.parse().map_err(|_| invalid())?,
            edits: Some(edits.parse().map_err(|_| invalid())?),
        }),
    }
}

fn dom_id(id: &ControlId) -> String {
    id.to_string().replace('.', "-")
}

fn decision_label(frame: &Frame, key: &str) -> String {
    frame.t(&format!("web-decision-{}", key.replace('_', "-")))
}

/// Whether the editor counts a finding: undecided controls are progress
/// until the provider asks to check.
fn counts(finding: &ismap_domain::Finding, check: bool) -> bool {
    check || finding.kind != FindingKind::Undecided
}

/// Findings of a report by control number, rendered in the page language.
fn findings_by_control(
    frame: &Frame,
    report: &Report<'_>,
    check: bool,
) -> HashMap<Option<ControlNumber>, Vec<FindingView>> {
    let messages = Messages::get();
    let mut map: HashMap<_, Vec<FindingView>> = HashMap::new();
    for located in &report.findings {
        let f = &located.finding;
        if !counts(f, check) {
            continue;
        }
        map.entry(f.control.map(|c| c.number()))
            .or_default()
            .push(FindingView {
                rule: if f.rule == RuleId::Input {
                    frame.t("editor-rule-input")
                } else {
                    f.rule.as_str().to_owned()
                },
                warning: f.severity == Severity::Warning,
                message: messages.finding(frame.lang, f),
            });
    }
    map
}

fn row(
    frame: &Frame,
    catalog: &Catalog,
    loaded: &Loaded,
    position: usize,
    findings: &mut HashMap<Option<ControlNumber>, Vec<FindingView>>,
) -> Row {
    let control = &catalog.controls()[position];
    let entry = loaded.parsed.statement.controls.get(&control.id.number());
    let decision = entry.and_then(|e| e.decision);
    let level = control.id.level();
    let mut keys: Vec<&'static str> = vec![""];
    keys.extend(
        Decision::ALL
            .iter()
            .filter(|d| d.fits(level))
            .map(|d| d.key()),
    );
    let options = keys
        .into_iter()
        .map(|key| {
            let label = if key.is_empty() {
                frame.t("web-decision-undecided")
            } else {
                decision_label(frame, key)
            };
            Choice {
                value: key,
                label,
                selected: decision.map_or(key.is_empty(), |d| d.key() == key),
            }
        })
        .collect();
    let leaf = catalog.children_of(position).is_empty();
    let get = |f: fn(&ismap_domain::ControlDecision) -> &Option<String>| {
        entry.and_then(|e| f(e).clone()).unwrap_or_default()
    };
    Row {
        id: control.id.to_string(),
        dom_id: dom_id(&control.id),
        title: frame.pick(&control.title.ja, &control.title.en).to_owned(),
        detailed: level == Level::Detailed,
        badges: badges_in(frame, catalog, control),
        options,
        individual_control: get(|e| &e.individual_control),
        reason: get(|e| &e.reason),
        from: get(|e| &e.from),
        confirmation: get(|e| &e.confirmation),
        show_individual: matches!(decision, Some(Decision::Implemented))
            || (decision == Some(Decision::Selected) && leaf),
        show_reason: matches!(decision, Some(Decision::NotSelected | Decision::Excluded)),
        show_inherit: decision == Some(Decision::Inherited),
        bulk: level == Level::Objective && !leaf,
        evidence: entry
            .map(|e| {
                e.evidence
                    .iter()
                    .map(|x| {
                        // Only a web URL is a link; anything else (old data too) is text.
                        let link = crate::links::is_web_url(x.reference.trim());
                        (x.title.clone(), x.reference.clone(), link)
                    })
                    .collect()
            })
            .unwrap_or_default(),
        show_evidence: matches!(decision, Some(Decision::Implemented | Decision::Inherited))
            || (decision == Some(Decision::Selected) && leaf),
        risks: loaded
            .parsed
            .statement
            .risks_of(control.id.number())
            .map(|r| (r.id.clone(), r.title.clone()))
            .collect(),
        findings: findings
            .remove(&Some(control.id.number()))
            .unwrap_or_default(),
        saved: false,
    }
}

fn summary(
    frame: &Frame,
    report: &Report<'_>,
    loaded: &Loaded,
    catalog: &Catalog,
    check: bool,
) -> Summary {
    let messages = Messages::get();
    let counted: Vec<&ismap_domain::Finding> = report
        .findings
        .iter()
        .map(|f| &f.finding)
        .filter(|f| counts(f, check))
        .collect();
    let rules = RuleId::ALL
        .into_iter()
        .filter_map(|rule| {
            let of_rule: Vec<_> = counted.iter().filter(|f| f.rule == rule).collect();
            (!of_rule.is_empty()).then(|| RuleCount {
                rule: rule.as_str(),
                title: messages.rule_title(frame.lang, rule),
                count: of_rule.len(),
                warning: of_rule.iter().all(|f| f.severity == Severity::Warning),
            })
        })
        .collect();
    let total = catalog.controls().len();
    let decided = (0..total)
        .filter(|&p| is_decided(loaded, catalog, p))
        .count();
    Summary {
        progress: progress_text(frame, decided, total),
        errors: counted
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .count(),
        warnings: counted
            .iter()
            .filter(|f| f.severity == Severity::Warning)
            .count(),
        rules,
        revision: loaded.revision.number,
        decided,
        total,
        check,
    }
}

#[derive(Deserialize, Default)]
pub struct EditorQuery {
    /// all | undecided | findings | baseline | cloud
    #[serde(default)]
    filter: String,
    /// Non-empty: undecided controls count as errors (the チェック button).
    #[serde(default)]
    check: String,
    /// A chapter to show open, its controls in the page (for browsers
    /// without scripts, and links to a chapter).
    #[serde(default)]
    chapter: String,
}

impl EditorQuery {
    fn check(&self) -> bool {
        !self.check.trim().is_empty()
    }

    fn chapter(&self) -> Option<u16> {
        self.chapter.trim().parse().ok()
    }
}

pub struct RiskView {
    pub id: String,
    pub title: String,
    pub identification: String,
    pub analysis: String,
    pub evaluation: String,
    pub treatment: String,
    pub controls: String,
    /// The removal's confirmation: what goes, and that earlier revisions keep it.
    pub remove_confirm: String,
}

/// The service details form, as stored or as the user typed it.
pub struct DetailsView {
    pub name: String,
    pub model: String,
    pub scope: String,
    pub underlying: String,
    pub date: String,
    pub zero_trust: bool,
}

#[derive(Template)]
#[template(path = "editor.html")]
struct EditorPage {
    frame: Frame,
    /// Other catalog versions the statement could move to: (id, title).
    upgrades: Vec<(String, String)>,
    risks: Vec<RiskView>,
    levels: Vec<(&'static str, String)>,
    details: DetailsView,
    /// The details form's refusal, shown above it (it is open then).
    details_error: Option<String>,
    /// A refusal of the whole page's action (freeze), shown at the top.
    notice: Option<String>,
    /// Service models: (key, label, selected).
    models: Vec<(&'static str, String, bool)>,
    statement_id: i64,
    catalog_id: String,
    service_id: i64,
    service_name: String,
    status: String,
    editable: bool,
    version: String,
    filter: String,
    check: bool,
    filters: Vec<(&'static str, String)>,
    summary: Summary,
    general: Vec<FindingView>,
    chapters: Vec<ChapterRows>,
    underlying: Vec<(String, String)>,
    freeze_confirm: String,
}

async fn editable_statement(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    action: Action,
) -> Result<(Loaded, Principal), Failure> {
    let principal = ctx.principal.clone().ok_or(Failure::NotSignedIn)?;
    let record = statements::get(&state.db, id).await?;
    let owner = Some(record.organization_id);
    crate::policy::require_visible(
        Some(&principal),
        |p| allows(Some(p), Action::ViewStatement, owner),
        "statement",
        id,
    )?;
    if !allows(Some(&principal), action, owner) {
        return Err(Failure::Forbidden);
    }
    Ok((statement_ops::load(state, record).await?, principal))
}

fn is_decided(loaded: &Loaded, catalog: &Catalog, position: usize) -> bool {
    let control = &catalog.controls()[position];
    if loaded
        .parsed
        .statement
        .controls
        .get(&control.id.number())
        .is_some_and(|e| e.decision.is_some())
    {
        return true;
    }
    // Detailed controls of an excluded objective need no decision.
    control.id.level() == Level::Detailed
        && catalog.objective_position_of(position).is_some_and(|o| {
            loaded
                .parsed
                .statement
                .controls
                .get(&catalog.controls()[o].id.number())
                .is_some_and(|e| e.decision == Some(Decision::Excluded))
        })
}

/// Whether the editor shows the control at `position` under `filter`.
fn shown(
    filter: &str,
    loaded: &Loaded,
    catalog: &Catalog,
    position: usize,
    has_findings: bool,
) -> bool {
    let control = &catalog.controls()[position];
    match filter {
        "undecided" => !is_decided(loaded, catalog, position),
        "findings" => has_findings,
        "baseline" => control.id.suffix().is_baseline(),
        "cloud" => control.id.suffix().is_cloud_specific(),
        _ => true,
    }
}

/// The catalog's positions, chapter by chapter, in catalog order.
fn chapter_positions(catalog: &Catalog, chapter: u16) -> Vec<usize> {
    (0..catalog.controls().len())
        .filter(|&p| catalog.controls()[p].id.chapter() == chapter)
        .collect()
}

/// The editor page's extras when it answers a refused form.
#[derive(Default)]
struct Refusal {
    notice: Option<String>,
    details_error: Option<String>,
    details: Option<DetailsView>,
    status: Option<StatusCode>,
}

/// The editor page; asked by htmx for one chapter (`?chapter=N`, when the
/// chapter is opened), that chapter's rows only.
pub async fn edit(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Query(query): Query<EditorQuery>,
) -> Result<Response, PageError> {
    if headers.contains_key("hx-request")
        && let Some(number) = query.chapter()
    {
        let mut response = chapter(&state, &ctx, id, number, &query).await?;
        response.headers_mut().insert(
            axum::http::header::VARY,
            axum::http::HeaderValue::from_static("HX-Request"),
        );
        return Ok(response);
    }
    let mut response = editor_page(&state, &ctx, id, &query, Refusal::default()).await?;
    response.headers_mut().insert(
        axum::http::header::VARY,
        axum::http::HeaderValue::from_static("HX-Request"),
    );
    Ok(response)
}

async fn editor_page(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    query: &EditorQuery,
    refusal: Refusal,
) -> Result<Response, PageError> {
    let (loaded, principal) = editable_statement(state, ctx, id, Action::ViewStatement).await?;
    let frame = Frame::new(ctx);
    let catalog = loaded.catalog(state)?;
    let report = loaded.report(state);
    let check = query.check();
    let mut findings = findings_by_control(&frame, &report, check);
    let filter = query.filter.as_str();
    let open_chapter = query.chapter();
    let mut chapters = Vec::new();
    for chapter in catalog.chapters() {
        let positions = chapter_positions(catalog, chapter.number);
        let decided = positions
            .iter()
            .filter(|&&p| is_decided(&loaded, catalog, p))
            .count();
        let visible: Vec<usize> = positions
            .iter()
            .copied()
            .filter(|&p| {
                let number = catalog.controls()[p].id.number();
                shown(
                    filter,
                    &loaded,
                    catalog,
                    p,
                    findings.contains_key(&Some(number)),
                )
            })
            .collect();
        if visible.is_empty() {
            continue;
        }
        let open = open_chapter == Some(chapter.number);
        let rows = if open {
            visible
                .iter()
                .map(|&p| row(&frame, catalog, &loaded, p, &mut findings))
                .collect()
        } else {
            Vec::new()
        };
        chapters.push(ChapterRows {
            number: chapter.number,
            title: frame.pick(&chapter.title.ja, &chapter.title.en).to_owned(),
            decided,
            total: positions.len(),
            shown: visible.len(),
            progress: progress_text(&frame, decided, positions.len()),
            shown_text: frame.tr(
                "editor-chapter-shown",
                &[("count", visible.len().to_string())],
            ),
            open,
            rows,
        });
    }
    let service = ismap_store::services::get(&state.db, loaded.record.service_id).await?;
    let editable = loaded.record.status == DRAFT
        && allows(
            Some(&principal),
            Action::EditStatement,
            Some(loaded.record.organization_id),
        );
    let stored = &loaded.parsed.statement;
    let details = refusal.details.unwrap_or_else(|| DetailsView {
        name: stored.service.name.clone(),
        model: stored
            .service
            .model
            .map(|m| m.key().to_owned())
            .unwrap_or_default(),
        scope: stored.service.scope.clone(),
        underlying: stored.service.underlying.join(", "),
        date: stored.date.map(|d| d.to_string()).unwrap_or_default(),
        zero_trust: stored.service.zero_trust,
    });
    let risks = stored
        .risks
        .iter()
        .map(|r| RiskView {
            remove_confirm: frame.tr(
                "editor-risk-remove-confirm",
                &[("id", r.id.clone()), ("title", r.title.clone())],
            ),
            id: r.id.clone(),
            title: r.title.clone(),
            identification: r.identification.clone(),
            analysis: r.analysis.clone(),
            evaluation: r
                .evaluation
                .map(|l| frame.t(&format!("web-risk-{}", l.key())))
                .unwrap_or_default(),
            treatment: r.treatment.clone().unwrap_or_default(),
            controls: r
                .controls
                .iter()
                .map(|c| c.to_string())
                .collect::<Vec<_>>()
                .join(", "),
        })
        .collect();
    let upgrades = state
        .catalogs
        .iter()
        .filter(|c| c.id() != catalog.id())
        .map(|c| {
            (
                c.id().to_owned(),
                frame
                    .pick(&c.info().title.ja, &c.info().title.en)
                    .to_owned(),
            )
        })
        .collect();
    let models = ismap_domain::ServiceModel::ALL
        .iter()
        .map(|m| {
            (
                m.key(),
                frame.label("service-model", m.key()),
                details.model == m.key(),
            )
        })
        .collect();
    let page = EditorPage {
        upgrades,
        risks,
        levels: ismap_domain::statement::RiskLevel::ALL
            .iter()
            .map(|l| (l.key(), frame.t(&format!("web-risk-{}", l.key()))))
            .collect(),
        models,
        details,
        details_error: refusal.details_error,
        notice: refusal.notice,
        statement_id: id,
        catalog_id: catalog.id().to_owned(),
        service_id: service.id,
        service_name: service.name,
        status: loaded.record.status.clone(),
        editable,
        version: version_token(&loaded),
        filter: filter.to_owned(),
        check,
        filters: ["all", "undecided", "findings", "baseline", "cloud"]
            .into_iter()
            .map(|f| (f, frame.t(&format!("web-filter-{f}"))))
            .collect(),
        summary: summary(&frame, &report, &loaded, catalog, check),
        general: findings.remove(&None).unwrap_or_default(),
        chapters,
        underlying: underlying_choices(state, &loaded).await?,
        freeze_confirm: frame.tr(
            "editor-freeze-confirm",
            &[("revision", loaded.revision.number.to_string())],
        ),
        frame,
    };
    let mut response = render(&page)?;
    if let Some(status) = refusal.status {
        *response.status_mut() = status;
    }
    Ok(response)
}

#[derive(Template)]
#[template(path = "editor_chapter.html")]
struct ChapterFragment {
    frame: Frame,
    statement_id: i64,
    catalog_id: String,
    editable: bool,
    version: String,
    chapter: ChapterRows,
    underlying: Vec<(String, String)>,
}

/// One chapter's rows (the editor loads them when the chapter is opened),
/// under the page's filter and check mode.
async fn chapter(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    number: u16,
    query: &EditorQuery,
) -> Result<Response, PageError> {
    let (loaded, principal) = editable_statement(state, ctx, id, Action::ViewStatement).await?;
    let frame = Frame::new(ctx);
    let catalog = loaded.catalog(state)?;
    let info = catalog
        .chapters()
        .iter()
        .find(|c| c.number == number)
        .ok_or_else(|| Failure::NotFound(format!("chapter {number}")))?;
    let report = loaded.report(state);
    let mut findings = findings_by_control(&frame, &report, query.check());
    let positions = chapter_positions(catalog, number);
    let visible: Vec<usize> = positions
        .iter()
        .copied()
        .filter(|&p| {
            let number = catalog.controls()[p].id.number();
            shown(
                &query.filter,
                &loaded,
                catalog,
                p,
                findings.contains_key(&Some(number)),
            )
        })
        .collect();
    let rows: Vec<Row> = visible
        .iter()
        .map(|&p| row(&frame, catalog, &loaded, p, &mut findings))
        .collect();
    let editable = loaded.record.status == DRAFT
        && allows(
            Some(&principal),
            Action::EditStatement,
            Some(loaded.record.organization_id),
        );
    let decided = positions
        .iter()
        .filter(|&&p| is_decided(&loaded, catalog, p))
        .count();
    let fragment = ChapterFragment {
        statement_id: id,
        catalog_id: catalog.id().to_owned(),
        editable,
        version: version_token(&loaded),
        chapter: ChapterRows {
            number,
            title: frame.pick(&info.title.ja, &info.title.en).to_owned(),
            decided,
            total: positions.len(),
            shown: rows.len(),
            progress: progress_text(&frame, decided, positions.len()),
            shown_text: frame.tr("editor-chapter-shown", &[("count", rows.len().to_string())]),
            open: true,
            rows,
        },
        underlying: underlying_choices(state, &loaded).await?,
        frame,
    };
    let html = fragment
        .render()
        .map_err(|e| Failure::Internal(e.to_string()))?;
    Ok(Html(html).into_response())
}

#[derive(Template)]
#[template(path = "editor_saved.html")]
struct SavedFragment {
    frame: Frame,
    statement_id: i64,
    catalog_id: String,
    editable: bool,
    version: String,
    rows: Vec<Row>,
    summary: Summary,
    /// Chapter progress to update: (chapter, 決定済み n / total).
    progress: Vec<(u16, String)>,
    underlying: Vec<(String, String)>,
}

#[derive(Deserialize)]
pub struct SaveForm {
    /// The version the page was based on (`7.3`).
    based_on: String,
    /// The editor's filter: rows it hides are not sent back.
    #[serde(default)]
    filter: String,
    /// The editor's check mode: undecided controls count as errors.
    #[serde(default)]
    check: String,
    #[serde(flatten)]
    edit: ControlEdit,
}

/// Saves one control. htmx gets the control's row, its objective's rows
/// and the summary; a browser without scripts is sent back to the editor.
pub async fn save_control(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path((id, control)): Path<(i64, String)>,
    Form(form): Form<SaveForm>,
) -> Result<Response, PageError> {
    let (loaded, principal) = editable_statement(&state, &ctx, id, Action::EditStatement).await?;
    let based = parse_version(&form.based_on)?;
    let check = !form.check.trim().is_empty();
    let catalog = loaded.catalog(&state)?;
    let control_id: ControlId = parse_control(&control, "control")?;
    // Which of the rows a save may change are on the page (as it was
    // filtered before the save): only those are sent back.
    let position = catalog
        .position(control_id.number())
        .ok_or_else(|| Failure::NotFound(control_id.to_string()))?;
    let objective = catalog.objective_position_of(position).unwrap_or(position);
    // Only the "findings" filter depends on the findings before the save.
    let had_findings: std::collections::HashSet<_> = if form.filter == "findings" {
        loaded
            .report(&state)
            .findings
            .iter()
            .filter(|f| counts(&f.finding, check))
            .filter_map(|f| f.finding.control.map(|c| c.number()))
            .collect()
    } else {
        std::collections::HashSet::new()
    };
    let on_page: Vec<usize> = std::iter::once(objective)
        .chain(catalog.children_of(objective))
        .filter(|&p| {
            p == position
                || shown(
                    &form.filter,
                    &loaded,
                    catalog,
                    p,
                    had_findings.contains(&catalog.controls()[p].id.number()),
                )
        })
        .collect();
    let mut statement = loaded.parsed.statement.clone();
    statement_ops::apply(&mut statement, catalog, control_id, form.edit)?;
    let comment = format!("{control_id}");
    let saved = statement_ops::save_version(
        &state,
        &principal,
        &loaded.record,
        based,
        &statement,
        &comment,
        true,
    )
    .await
    .map_err(|failure| match failure {
        // Said in the page's language: the row keeps what was chosen.
        Failure::Conflict(_) => Failure::Conflict(Frame::new(&ctx).tr(
            "editor-conflict-not-saved",
            &[("control", control_id.to_string())],
        )),
        other => other,
    })?;
    if !headers.contains_key("hx-request") {
        return Ok(Redirect::to(&format!(
            "/statements/{id}/edit?chapter={}#row-{}",
            control_id.chapter(),
            dom_id(&control_id)
        ))
        .into_response());
    }
    let frame = Frame::new(&ctx);
    let report = saved.report(&state);
    let mut findings = findings_by_control(&frame, &report, check);
    // The saved control, its objective and the objective's detailed
    // controls: the rules that look across them (S2, S5, A3) may change.
    let rows = on_page
        .into_iter()
        .map(|p| {
            let mut r = row(&frame, catalog, &saved, p, &mut findings);
            r.saved = p == position;
            r
        })
        .collect();
    let chapter = control_id.chapter();
    let chapter_positions = chapter_positions(catalog, chapter);
    let decided = chapter_positions
        .iter()
        .filter(|&&p| is_decided(&saved, catalog, p))
        .count();
    let fragment = SavedFragment {
        statement_id: id,
        catalog_id: catalog.id().to_owned(),
        editable: true,
        version: version_token(&saved),
        rows,
        summary: summary(&frame, &report, &saved, catalog, check),
        progress: vec![(
            chapter,
            progress_text(&frame, decided, chapter_positions.len()),
        )],
        underlying: underlying_choices(&state, &saved).await?,
        frame,
    };
    let html = fragment
        .render()
        .map_err(|e| Failure::Internal(e.to_string()))?;
    Ok(Html(html).into_response())
}

/// Services an inherited control can name: the registered services the
/// portal knows, plus any the statement lists as underlying.
async fn underlying_choices(
    state: &AppState,
    loaded: &Loaded,
) -> Result<Vec<(String, String)>, Failure> {
    let mut choices = statement_ops::registered_services(state).await?;
    for number in &loaded.parsed.statement.service.underlying {
        if !choices.iter().any(|(n, _)| n == number) {
            choices.push((number.clone(), String::new()));
        }
    }
    Ok(choices)
}

#[derive(Deserialize)]
pub struct ExportQuery {
    #[serde(default)]
    format: String,
}

/// The latest revision as a statement file (YAML or JSON) to download.
pub async fn export(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(query): Query<ExportQuery>,
) -> Result<Response, PageError> {
    let (loaded, _) = editable_statement(&state, &ctx, id, Action::ViewStatement).await?;
    let statement = &loaded.parsed.statement;
    let (body, content_type, extension) = match query.format.as_str() {
        "json" => (
            serde_json::to_string_pretty(&ismap_formats::statement_write::to_json(statement))
                .map_err(|e| Failure::Internal(e.to_string()))?,
            "application/json",
            "json",
        ),
        _ => (
            ismap_formats::statement_write::to_yaml(statement),
            "application/yaml",
            "yaml",
        ),
    };
    let file = format!("statement-{id}-r{}.{extension}", loaded.revision.number);
    Ok((
        [
            (
                axum::http::header::CONTENT_TYPE,
                format!("{content_type}; charset=utf-8"),
            ),
            (
                axum::http::header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file}\""),
            ),
        ],
        body,
    )
        .into_response())
}

/// One field of a control or of the statement in the diff: its label, the
/// values before and after, and whether it changed (highlighted).
pub struct FieldView {
    pub label: String,
    pub before: String,
    pub after: String,
    pub changed: bool,
}

pub struct ChangeView {
    pub id: String,
    pub title: String,
    pub fields: Vec<FieldView>,
}

#[derive(Template)]
#[template(path = "diff.html")]
struct DiffPage {
    frame: Frame,
    statement_id: i64,
    from: i64,
    to: i64,
    latest: i64,
    fields: Vec<FieldView>,
    changes: Vec<ChangeView>,
    burst_note: String,
}

#[derive(Deserialize)]
pub struct DiffQuery {
    from: Option<i64>,
    to: Option<i64>,
}

/// A control's entry, field by field, labelled for people: (field id,
/// value shown). An absent entry is undecided with nothing written.
fn entry_fields(
    frame: &Frame,
    entry: Option<&ismap_domain::ControlDecision>,
) -> Vec<(&'static str, String)> {
    let text = |f: fn(&ismap_domain::ControlDecision) -> &Option<String>| {
        entry.and_then(|e| f(e).clone()).unwrap_or_default()
    };
    let decision = entry.and_then(|e| e.decision);
    vec![
        (
            "decision",
            decision.map_or_else(
                || frame.t("web-decision-undecided"),
                |d| decision_label(frame, d.key()),
            ),
        ),
        ("individual_control", text(|e| &e.individual_control)),
        ("reason", text(|e| &e.reason)),
        ("from", text(|e| &e.from)),
        ("confirmation", text(|e| &e.confirmation)),
        (
            "evidence",
            entry
                .map(|e| {
                    e.evidence
                        .iter()
                        .map(|x| format!("{} ({})", x.title, x.reference))
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .unwrap_or_default(),
        ),
        ("id", entry.map(|e| e.id.to_string()).unwrap_or_default()),
    ]
}

/// A statement field's value as people read it (labels for enum values).
fn field_value(frame: &Frame, field: &str, value: &str) -> String {
    match field {
        "service.model" => frame.label("service-model", value),
        "service.zero_trust" => match value {
            "true" => frame.t("editor-yes"),
            "false" => frame.t("editor-no"),
            other => other.to_owned(),
        },
        _ => value.to_owned(),
    }
}

/// Which controls changed decision or text between two revisions: each
/// changed control with its fields labelled, the changed ones highlighted.
pub async fn diff(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(query): Query<DiffQuery>,
) -> Result<Response, PageError> {
    let (loaded, _) = editable_statement(&state, &ctx, id, Action::ViewStatement).await?;
    let frame = Frame::new(&ctx);
    let latest = loaded.revision.number;
    let to = query.to.unwrap_or(latest);
    let from = query.from.unwrap_or((to - 1).max(1));
    let read = |revision: statements::Revision| {
        ismap_formats::statement_file::parse_statement("revision", &revision.content)
            .map(|p| p.statement)
            .map_err(|e| Failure::Internal(e.to_string()))
    };
    let before = read(statements::revision_at(&state.db, id, from).await?)?;
    let after = read(statements::revision_at(&state.db, id, to).await?)?;
    let difference = ismap_domain::diff::diff(&before, &after);
    let catalog = loaded.catalog(&state).ok();
    let changes = difference
        .controls
        .iter()
        .map(|c| {
            let was = entry_fields(&frame, c.before.as_ref());
            let now = entry_fields(&frame, c.after.as_ref());
            let fields = was
                .into_iter()
                .zip(now)
                .filter(|((name, a), (_, b))| {
                    c.fields.contains(name) || !a.is_empty() || !b.is_empty()
                })
                .filter(|((name, _), _)| *name != "id" || c.fields.contains(&"id"))
                .map(|((name, a), (_, b))| FieldView {
                    label: frame.label("field", name),
                    changed: c.fields.contains(&name),
                    before: a,
                    after: b,
                })
                .collect();
            ChangeView {
                id: c.id.to_string(),
                title: catalog
                    .and_then(|k| k.get(c.id.number()))
                    .map(|k| frame.pick(&k.title.ja, &k.title.en).to_owned())
                    .unwrap_or_default(),
                fields,
            }
        })
        .collect();
    let fields = difference
        .fields
        .iter()
        .map(|f| FieldView {
            label: frame.label("field", f.field),
            before: field_value(&frame, f.field, &f.before),
            after: field_value(&frame, f.field, &f.after),
            changed: true,
        })
        .collect();
    render(&DiffPage {
        statement_id: id,
        from,
        to,
        latest,
        fields,
        changes,
        burst_note: frame.tr(
            "editor-diff-burst",
            &[("minutes", statements::BURST_MINUTES.to_string())],
        ),
        frame,
    })
}

#[derive(Deserialize)]
pub struct ImportForm {
    based_on: String,
    content: String,
}

#[derive(Template)]
#[template(path = "import_result.html")]
struct ImportProblems {
    frame: Frame,
    statement_id: i64,
    problems: Vec<String>,
}

/// Replaces the draft with an uploaded statement file, as a new revision.
/// The file is checked first; if it cannot be read faithfully (syntax,
/// unknown fields, unreadable values, another catalog) nothing changes and
/// every problem is listed with its line and field.
pub async fn import(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(form): Form<ImportForm>,
) -> Result<Response, PageError> {
    let (loaded, principal) = editable_statement(&state, &ctx, id, Action::EditStatement).await?;
    // Links are checked before anything is stored (a file that does not
    // parse is the importer's to describe).
    let links = match ismap_formats::statement_file::parse_statement("imported file", &form.content)
    {
        Ok(parsed) => crate::links::check_statement(ctx.lang, &parsed.statement).err(),
        Err(_) => None,
    };
    let outcome = match links {
        Some(Failure::Invalid { message, .. }) => Err(vec![message]),
        Some(other) => return Err(other.into()),
        None => {
            statement_ops::import(
                &state,
                &principal,
                &loaded,
                parse_version(&form.based_on)?,
                &form.content,
            )
            .await?
        }
    };
    match outcome {
        Ok(_) => Ok(Redirect::to(&format!("/statements/{id}/edit")).into_response()),
        Err(problems) => {
            let messages = ismap_i18n::Messages::get();
            let mut response = render(&ImportProblems {
                statement_id: id,
                problems: problems
                    .iter()
                    .map(|p| messages.resolve(ctx.lang, p))
                    .collect(),
                frame: Frame::new(&ctx),
            })?;
            *response.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
            Ok(response)
        }
    }
}

#[derive(Deserialize)]
pub struct BulkForm {
    based_on: String,
    action: statement_ops::Bulk,
    #[serde(default)]
    reason: String,
}

/// Bulk actions on one objective: select all its detailed controls, or
/// exclude it (and them) with one reason.
pub async fn bulk(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, objective)): Path<(i64, String)>,
    Form(form): Form<BulkForm>,
) -> Result<Response, PageError> {
    let (loaded, principal) = editable_statement(&state, &ctx, id, Action::EditStatement).await?;
    let catalog = loaded.catalog(&state)?;
    let objective: ControlId = parse_control(&objective, "objective")?;
    let mut statement = loaded.parsed.statement.clone();
    statement_ops::apply_bulk(
        &mut statement,
        catalog,
        objective,
        form.action,
        &form.reason,
    )?;
    statement_ops::save_version(
        &state,
        &principal,
        &loaded.record,
        parse_version(&form.based_on)?,
        &statement,
        &format!("{objective}: bulk"),
        true,
    )
    .await?;
    // Back to the objective, its chapter open.
    Ok(Redirect::to(&format!(
        "/statements/{id}/edit?chapter={}#row-{}",
        objective.chapter(),
        dom_id(&objective)
    ))
    .into_response())
}

#[derive(Deserialize)]
pub struct UpgradeForm {
    to: String,
}

pub struct UpgradeList {
    pub title: String,
    pub ids: Vec<String>,
}

#[derive(Template)]
#[template(path = "upgrade.html")]
struct UpgradePage {
    frame: Frame,
    old_id: i64,
    new_id: i64,
    to: String,
    lists: Vec<UpgradeList>,
}

/// Moves the statement to a newer catalog version: a new draft with the
/// decisions carried over, and the list of controls to look at.
pub async fn upgrade(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(form): Form<UpgradeForm>,
) -> Result<Response, PageError> {
    let (loaded, principal) = editable_statement(&state, &ctx, id, Action::EditStatement).await?;
    let (record, report) =
        statement_ops::upgrade(&state, &principal, &loaded, form.to.trim()).await?;
    let frame = Frame::new(&ctx);
    let ids = |v: &[ControlId]| v.iter().map(|c| c.to_string()).collect::<Vec<_>>();
    let lists = vec![
        UpgradeList {
            title: frame.t("web-upgrade-added"),
            ids: ids(&report.added),
        },
        UpgradeList {
            title: frame.t("web-upgrade-changed"),
            ids: ids(&report.changed),
        },
        UpgradeList {
            title: frame.t("web-upgrade-removed"),
            ids: ids(&report.removed),
        },
        UpgradeList {
            title: frame.t("web-upgrade-carried"),
            ids: ids(&report.carried),
        },
    ];
    render(&UpgradePage {
        old_id: id,
        new_id: record.id,
        to: record.catalog_id,
        lists,
        frame,
    })
}

#[derive(Deserialize)]
pub struct RiskForm {
    based_on: String,
    title: String,
    #[serde(default)]
    identification: String,
    #[serde(default)]
    analysis: String,
    #[serde(default)]
    evaluation: String,
    #[serde(default)]
    treatment: String,
    /// Control ids separated by commas or spaces.
    #[serde(default)]
    controls: String,
}

/// Records a risk (identification, analysis, evaluation) and the controls
/// whose selection it justifies.
pub async fn add_risk(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(form): Form<RiskForm>,
) -> Result<Response, PageError> {
    let (loaded, principal) = editable_statement(&state, &ctx, id, Action::EditStatement).await?;
    let catalog = loaded.catalog(&state)?;
    let mut statement = loaded.parsed.statement.clone();
    let next = statement_ops::add_risk(
        &mut statement,
        catalog,
        statement_ops::NewRisk {
            title: form.title,
            identification: form.identification,
            analysis: form.analysis,
            evaluation: form.evaluation,
            treatment: form.treatment,
            controls: statement_ops::split_list(&form.controls),
        },
    )?;
    statement_ops::save_version(
        &state,
        &principal,
        &loaded.record,
        parse_version(&form.based_on)?,
        &statement,
        &format!("risk {next}"),
        true,
    )
    .await?;
    Ok(Redirect::to(&format!("/statements/{id}/edit#risks")).into_response())
}

#[derive(Deserialize)]
pub struct EvidenceForm {
    based_on: String,
    title: String,
    reference: String,
}

/// Adds an evidence reference (title and link or file reference) to a control.
pub async fn add_evidence(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, control)): Path<(i64, String)>,
    Form(form): Form<EvidenceForm>,
) -> Result<Response, PageError> {
    let (loaded, principal) = editable_statement(&state, &ctx, id, Action::EditStatement).await?;
    let catalog = loaded.catalog(&state)?;
    let control_id: ControlId = parse_control(&control, "control")?;
    let (title, reference) = (form.title.trim(), form.reference.trim());
    if title.is_empty() || reference.is_empty() {
        return Err(PageError(Failure::Invalid {
            field: if title.is_empty() {
                "title"
            } else {
                "reference"
            }
            .into(),
            message: "evidence needs a title and a link or file reference".into(),
        }));
    }
    crate::links::check_reference(reference)
        .map_err(|p| crate::links::field_error(ctx.lang, "reference", &p, true))?;
    let known = catalog
        .get(control_id.number())
        .ok_or_else(|| Failure::NotFound(format!("control {control_id}")))?;
    let mut statement = loaded.parsed.statement.clone();
    let entry = statement
        .controls
        .entry(known.id.number())
        .or_insert_with(|| ismap_domain::ControlDecision::new(known.id, None));
    entry.evidence.push(ismap_domain::statement::Evidence {
        title: title.to_owned(),
        reference: reference.to_owned(),
    });
    statement_ops::save_version(
        &state,
        &principal,
        &loaded.record,
        parse_version(&form.based_on)?,
        &statement,
        &format!("{control_id}: evidence"),
        true,
    )
    .await?;
    Ok(Redirect::to(&format!(
        "/statements/{id}/edit?chapter={}#row-{}",
        known.id.chapter(),
        dom_id(&known.id)
    ))
    .into_response())
}

#[derive(Deserialize)]
pub struct RemoveRiskForm {
    based_on: String,
}

/// Removes a risk from the statement (earlier revisions keep it).
pub async fn remove_risk(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, risk)): Path<(i64, String)>,
    Form(form): Form<RemoveRiskForm>,
) -> Result<Response, PageError> {
    let (loaded, principal) = editable_statement(&state, &ctx, id, Action::EditStatement).await?;
    let mut statement = loaded.parsed.statement.clone();
    let before = statement.risks.len();
    statement.risks.retain(|r| r.id != risk);
    if statement.risks.len() == before {
        return Err(PageError(Failure::NotFound(format!("risk {risk}"))));
    }
    statement_ops::save_version(
        &state,
        &principal,
        &loaded.record,
        parse_version(&form.based_on)?,
        &statement,
        &format!("risk {risk} removed"),
        true,
    )
    .await?;
    Ok(Redirect::to(&format!("/statements/{id}/edit#risks")).into_response())
}

#[derive(Deserialize)]
pub struct DetailsForm {
    based_on: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    model: String,
    #[serde(default)]
    scope: String,
    /// Not on the editor's form: kept as stored when not sent.
    deployment: Option<String>,
    /// Not on the editor's form: kept as stored when not sent.
    url: Option<String>,
    /// Registration numbers separated by commas or spaces.
    #[serde(default)]
    underlying: String,
    #[serde(default)]
    date: String,
    zero_trust: Option<String>,
}

/// The statement's service details (scope 言明対象範囲, underlying services,
/// date), saved like any other change. A refusal shows the editor again
/// with the message above the form and what was typed in it (422).
pub async fn save_details(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(form): Form<DetailsForm>,
) -> Result<Response, PageError> {
    let (loaded, principal) = editable_statement(&state, &ctx, id, Action::EditStatement).await?;
    let frame = Frame::new(&ctx);
    let typed = DetailsView {
        name: form.name.clone(),
        model: form.model.clone(),
        scope: form.scope.clone(),
        underlying: form.underlying.clone(),
        date: form.date.clone(),
        zero_trust: form.zero_trust.is_some(),
    };
    let refuse = |message: String, status: StatusCode| Refusal {
        details_error: Some(message),
        details: Some(DetailsView {
            name: typed.name.clone(),
            model: typed.model.clone(),
            scope: typed.scope.clone(),
            underlying: typed.underlying.clone(),
            date: typed.date.clone(),
            zero_trust: typed.zero_trust,
        }),
        status: Some(status),
        notice: None,
    };
    let query = EditorQuery::default();
    if form.name.trim().is_empty() {
        let refusal = refuse(
            frame.t("editor-details-name-required"),
            StatusCode::UNPROCESSABLE_ENTITY,
        );
        return editor_page(&state, &ctx, id, &query, refusal).await;
    }
    let date = match form.date.trim() {
        "" => None,
        text => match chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d") {
            Ok(date) => Some(date),
            Err(_) => {
                let message = frame.tr("editor-details-date-invalid", &[("text", text.to_owned())]);
                let refusal = refuse(message, StatusCode::UNPROCESSABLE_ENTITY);
                return editor_page(&state, &ctx, id, &query, refusal).await;
            }
        },
    };
    if let Some(url) = &form.url
        && let Err(Failure::Invalid { message, .. }) =
            crate::links::optional_url(ctx.lang, "url", url)
    {
        let refusal = refuse(message, StatusCode::UNPROCESSABLE_ENTITY);
        return editor_page(&state, &ctx, id, &query, refusal).await;
    }
    let mut statement = loaded.parsed.statement.clone();
    let optional = |text: String| Some(text.trim().to_owned()).filter(|t| !t.is_empty());
    let service = &mut statement.service;
    service.name = form.name.trim().to_owned();
    service.model = ismap_domain::ServiceModel::from_key(&form.model);
    service.scope = form.scope.trim().to_owned();
    if let Some(deployment) = form.deployment {
        service.deployment = optional(deployment);
    }
    if let Some(url) = form.url {
        service.url = optional(url);
    }
    service.underlying = statement_ops::split_list(&form.underlying);
    service.zero_trust = form.zero_trust.is_some();
    statement.date = date;
    let saved = statement_ops::save_version(
        &state,
        &principal,
        &loaded.record,
        parse_version(&form.based_on)?,
        &statement,
        "service details",
        true,
    )
    .await;
    match saved {
        Ok(_) => Ok(Redirect::to(&format!("/statements/{id}/edit")).into_response()),
        // Refusals keep what was typed: the page again with the message.
        Err(failure @ (Failure::Invalid { .. } | Failure::Conflict(_))) => {
            let status = failure.status();
            let message = match failure {
                Failure::Invalid { message, .. } => {
                    let message = ismap_i18n::Messages::get().resolve(frame.lang, &message);
                    format!("{} {message}", frame.t("editor-details-not-saved"))
                }
                _ => frame.t("editor-details-stale"),
            };
            editor_page(&state, &ctx, id, &query, refuse(message, status)).await
        }
        Err(other) => Err(other.into()),
    }
}

#[derive(Deserialize)]
pub struct NewStatementForm {
    #[serde(default)]
    catalog: String,
}

/// Starts a statement for a service: every control of the catalog listed,
/// undecided, the service's name and model filled in.
pub async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(service_id): Path<i64>,
    Form(form): Form<NewStatementForm>,
) -> Result<Response, PageError> {
    let principal = ctx.principal.clone().ok_or(Failure::NotSignedIn)?;
    let service = ismap_store::services::get(&state.db, service_id).await?;
    crate::policy::require_visible(
        Some(&principal),
        |p| allows(Some(p), Action::ViewService, Some(service.organization_id)),
        "service",
        service_id,
    )?;
    if !allows(
        Some(&principal),
        Action::EditStatement,
        Some(service.organization_id),
    ) {
        return Err(PageError(Failure::Forbidden));
    }
    let catalog = match form.catalog.trim() {
        "" => state.default_catalog(),
        id => state
            .catalog(id)
            .ok_or_else(|| Failure::NotFound(format!("catalog {id}")))?,
    };
    let statement = statement_ops::skeleton(catalog, &service);
    let record = statement_ops::create(
        &state,
        &principal,
        (service.id, service.organization_id),
        catalog.id(),
        &statement,
        "new statement",
    )
    .await?;
    Ok(Redirect::to(&format!("/statements/{}/edit", record.id)).into_response())
}

#[derive(Deserialize)]
pub struct FreezeForm {
    based_on: String,
}

/// Draft → frozen (ready for audit): only with no errors. A refusal shows
/// the editor again, checked (undecided controls count), with the errors
/// listed and the reason at the top.
pub async fn freeze(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(form): Form<FreezeForm>,
) -> Result<Response, PageError> {
    let (loaded, principal) = editable_statement(&state, &ctx, id, Action::EditStatement).await?;
    let based = parse_version(&form.based_on)?;
    let frame = Frame::new(&ctx);
    let stale = loaded.revision.number != based.revision
        || based.edits.is_some_and(|e| e != loaded.revision.edits);
    let errors = loaded.report(&state).errors();
    let refusal = if stale {
        Some((frame.t("editor-freeze-stale"), StatusCode::CONFLICT))
    } else if errors > 0 {
        Some((
            frame.tr("editor-freeze-refused", &[("errors", errors.to_string())]),
            StatusCode::UNPROCESSABLE_ENTITY,
        ))
    } else {
        None
    };
    if refusal.is_none() {
        match freeze_version(&state, &principal, &loaded, based).await {
            Ok(()) => return Ok(Redirect::to(&format!("/statements/{id}/edit")).into_response()),
            Err(Failure::Conflict(_)) => {}
            Err(other) => return Err(other.into()),
        }
    }
    let (notice, status) =
        refusal.unwrap_or_else(|| (frame.t("editor-freeze-stale"), StatusCode::CONFLICT));
    let query = EditorQuery {
        filter: if status == StatusCode::CONFLICT {
            String::new()
        } else {
            "findings".into()
        },
        check: if status == StatusCode::CONFLICT {
            String::new()
        } else {
            "1".into()
        },
        chapter: String::new(),
    };
    let refusal = Refusal {
        notice: Some(notice),
        status: Some(status),
        ..Refusal::default()
    };
    editor_page(&state, &ctx, id, &query, refusal).await
}

/// Freezes the statement at the version `based` (revision and edit count),
/// atomically: a change saved meanwhile makes it a conflict.
async fn freeze_version(
    state: &AppState,
    principal: &Principal,
    loaded: &Loaded,
    based: Based,
) -> Result<(), Failure> {
    let errors = loaded.report(state).errors();
    if errors > 0 {
        return Err(Failure::Invalid {
            field: "statement".into(),
            message: format!(
                "the statement has {errors} error(s); only a statement without errors can be frozen"
            ),
        });
    }
    let actor = ismap_store::Actor::user(principal.user.id, &principal.user.username);
    let mut record = loaded.record.clone();
    record.latest_revision = based.revision;
    statements::set_status_at(
        &state.db,
        &actor,
        &record,
        based.edits,
        statement_ops::FROZEN,
        &format!("ready for audit at revision {}", based.revision),
    )
    .await?;
    Ok(())
}

pub async fn freeze_loaded(
    state: &AppState,
    principal: &Principal,
    loaded: &Loaded,
    based_on: i64,
) -> Result<(), Failure> {
    if loaded.record.latest_revision != based_on {
        return Err(Failure::Conflict(format!(
            "the statement is at revision {}, not {based_on}; reload before freezing",
            loaded.record.latest_revision
        )));
    }
    let errors = loaded.report(state).errors();
    if errors > 0 {
        return Err(Failure::Invalid {
            field: "statement".into(),
            message: format!(
                "the statement has {errors} error(s); only a statement without errors can be frozen"
            ),
        });
    }
    let actor = ismap_store::Actor::user(principal.user.id, &principal.user.username);
    statements::set_status(
        &state.db,
        &actor,
        &loaded.record,
        statement_ops::FROZEN,
        &format!("ready for audit at revision {based_on}"),
    )
    .await?;
    Ok(())
}
