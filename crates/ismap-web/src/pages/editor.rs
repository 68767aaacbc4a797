//! The statement editor: every control of the catalog in its tree, decided
//! in place. Each change is saved as a new revision and validated by the same
//! engine as the CLI; htmx swaps the control's row and the summary.

use std::collections::HashMap;

use crate::error::Query;
use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Redirect, Response};
use ismap_domain::{Catalog, ControlId, Decision, Level, RuleId, Severity};
use ismap_formats::report::Report;
use ismap_i18n::Messages;
use ismap_store::statements;
use serde::Deserialize;

use crate::AppState;
use crate::auth::Ctx;
use crate::error::parse_control;
use crate::error::{Failure, PageError};
use crate::pages::catalog::{Badge, badges};
use crate::pages::render;
use crate::policy::{Action, Principal, allows};
use crate::statement_ops::{self, ControlEdit, DRAFT, Loaded};
use crate::text::Frame;

pub struct FindingView {
    pub rule: &'static str,
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
}

fn dom_id(id: &ControlId) -> String {
    id.to_string().replace('.', "-")
}

fn decision_label(frame: &Frame, key: &str) -> String {
    frame.t(&format!("web-decision-{}", key.replace('_', "-")))
}

/// Findings of a report by control number, rendered in the page language.
fn findings_by_control(
    frame: &Frame,
    report: &Report<'_>,
) -> HashMap<Option<ismap_domain::control_id::ControlNumber>, Vec<FindingView>> {
    let messages = Messages::get();
    let mut map: HashMap<_, Vec<FindingView>> = HashMap::new();
    for located in &report.findings {
        let f = &located.finding;
        map.entry(f.control.map(|c| c.number()))
            .or_default()
            .push(FindingView {
                rule: f.rule.as_str(),
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
    findings: &mut HashMap<Option<ismap_domain::control_id::ControlNumber>, Vec<FindingView>>,
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
        badges: badges(frame, control),
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
    }
}

fn summary(frame: &Frame, report: &Report<'_>, revision: i64) -> Summary {
    let messages = Messages::get();
    let rules = RuleId::ALL
        .into_iter()
        .filter_map(|rule| {
            let count = report
                .findings
                .iter()
                .filter(|f| f.finding.rule == rule)
                .count();
            (count > 0).then(|| RuleCount {
                rule: rule.as_str(),
                title: messages.rule_title(frame.lang, rule),
                count,
                warning: report
                    .findings
                    .iter()
                    .filter(|f| f.finding.rule == rule)
                    .all(|f| f.finding.severity == Severity::Warning),
            })
        })
        .collect();
    Summary {
        errors: report.errors(),
        warnings: report.warnings(),
        rules,
        revision,
    }
}

#[derive(Deserialize, Default)]
pub struct EditorQuery {
    /// all | undecided | findings | baseline | cloud
    #[serde(default)]
    filter: String,
}

pub struct RiskView {
    pub id: String,
    pub title: String,
    pub identification: String,
    pub analysis: String,
    pub evaluation: String,
    pub treatment: String,
    pub controls: String,
}

#[derive(Template)]
#[template(path = "editor.html")]
struct EditorPage {
    frame: Frame,
    /// Other catalog versions the statement could move to: (id, title).
    upgrades: Vec<(String, String)>,
    risks: Vec<RiskView>,
    levels: Vec<(&'static str, String)>,
    details: ismap_domain::statement::Service,
    date: String,
    models: Vec<(&'static str, bool)>,
    statement_id: i64,
    catalog_id: String,
    service_id: i64,
    service_name: String,
    status: String,
    editable: bool,
    can_freeze: bool,
    filter: String,
    filters: Vec<(&'static str, String)>,
    summary: Summary,
    general: Vec<FindingView>,
    chapters: Vec<ChapterRows>,
    underlying: Vec<(String, String)>,
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

pub async fn edit(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(query): Query<EditorQuery>,
) -> Result<Response, PageError> {
    let (loaded, principal) = editable_statement(&state, &ctx, id, Action::ViewStatement).await?;
    let frame = Frame::new(&ctx);
    let catalog = loaded.catalog(&state)?;
    let report = loaded.report(&state);
    let mut findings = findings_by_control(&frame, &report);
    let filter = query.filter.as_str();
    let mut chapters = Vec::new();
    for chapter in catalog.chapters() {
        let positions: Vec<usize> = (0..catalog.controls().len())
            .filter(|&p| catalog.controls()[p].id.chapter() == chapter.number)
            .collect();
        let decided = positions
            .iter()
            .filter(|&&p| is_decided(&loaded, catalog, p))
            .count();
        let mut rows = Vec::new();
        for &p in &positions {
            let control = &catalog.controls()[p];
            let has_findings = findings.contains_key(&Some(control.id.number()));
            if shown(filter, &loaded, catalog, p, has_findings) {
                rows.push(row(&frame, catalog, &loaded, p, &mut findings));
            }
        }
        if rows.is_empty() {
            continue;
        }
        chapters.push(ChapterRows {
            number: chapter.number,
            title: frame.pick(&chapter.title.ja, &chapter.title.en).to_owned(),
            decided,
            total: positions.len(),
            open: !filter.is_empty() && filter != "all",
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
    let details = loaded.parsed.statement.service.clone();
    let risks = loaded
        .parsed
        .statement
        .risks
        .iter()
        .map(|r| RiskView {
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
    let page = EditorPage {
        upgrades,
        risks,
        levels: ismap_domain::statement::RiskLevel::ALL
            .iter()
            .map(|l| (l.key(), frame.t(&format!("web-risk-{}", l.key()))))
            .collect(),
        models: ismap_domain::ServiceModel::ALL
            .iter()
            .map(|m| (m.key(), details.model == Some(*m)))
            .collect(),
        date: loaded
            .parsed
            .statement
            .date
            .map(|d| d.to_string())
            .unwrap_or_default(),
        details,
        statement_id: id,
        catalog_id: catalog.id().to_owned(),
        service_id: service.id,
        service_name: service.name,
        status: loaded.record.status.clone(),
        editable,
        can_freeze: editable && report.errors() == 0,
        filter: filter.to_owned(),
        filters: ["all", "undecided", "findings", "baseline", "cloud"]
            .into_iter()
            .map(|f| (f, frame.t(&format!("web-filter-{f}"))))
            .collect(),
        summary: summary(&frame, &report, loaded.revision.number),
        general: findings.remove(&None).unwrap_or_default(),
        chapters,
        underlying: underlying_choices(&state, &loaded).await?,
        frame,
    };
    render(&page)
}

#[derive(Template)]
#[template(path = "editor_saved.html")]
struct SavedFragment {
    frame: Frame,
    statement_id: i64,
    catalog_id: String,
    editable: bool,
    rows: Vec<Row>,
    summary: Summary,
    progress: Vec<(u16, usize, usize)>,
    underlying: Vec<(String, String)>,
}

#[derive(Deserialize)]
pub struct SaveForm {
    based_on: i64,
    /// The editor's filter: rows it hides are not sent back.
    #[serde(default)]
    filter: String,
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
    let saved = statement_ops::save(
        &state,
        &principal,
        &loaded.record,
        form.based_on,
        &statement,
        &comment,
    )
    .await?;
    if !headers.contains_key("hx-request") {
        return Ok(Redirect::to(&format!(
            "/statements/{id}/edit#row-{}",
            dom_id(&control_id)
        ))
        .into_response());
    }
    let frame = Frame::new(&ctx);
    let report = saved.report(&state);
    let mut findings = findings_by_control(&frame, &report);
    // The saved control, its objective and the objective's detailed
    // controls: the rules that look across them (S2, S5, A3) may change.
    let rows = on_page
        .into_iter()
        .map(|p| row(&frame, catalog, &saved, p, &mut findings))
        .collect();
    let chapter = control_id.chapter();
    let chapter_positions: Vec<usize> = (0..catalog.controls().len())
        .filter(|&p| catalog.controls()[p].id.chapter() == chapter)
        .collect();
    let decided = chapter_positions
        .iter()
        .filter(|&&p| is_decided(&saved, catalog, p))
        .count();
    let fragment = SavedFragment {
        statement_id: id,
        catalog_id: catalog.id().to_owned(),
        editable: true,
        rows,
        summary: summary(&frame, &report, saved.revision.number),
        progress: vec![(chapter, decided, chapter_positions.len())],
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

pub struct ChangeView {
    pub id: String,
    pub fields: String,
    pub before: String,
    pub after: String,
}

#[derive(Template)]
#[template(path = "diff.html")]
struct DiffPage {
    frame: Frame,
    statement_id: i64,
    from: i64,
    to: i64,
    latest: i64,
    fields: Vec<ismap_domain::diff::FieldChange>,
    changes: Vec<ChangeView>,
}

#[derive(Deserialize)]
pub struct DiffQuery {
    from: Option<i64>,
    to: Option<i64>,
}

fn describe(entry: &Option<ismap_domain::ControlDecision>) -> String {
    match entry {
        None => "—".into(),
        Some(e) => {
            let mut parts = vec![e.decision.map_or("~", |d| d.key()).to_owned()];
            for value in [&e.individual_control, &e.reason, &e.from, &e.confirmation]
                .into_iter()
                .flatten()
            {
                parts.push(value.clone());
            }
            parts.join(" / ")
        }
    }
}

/// Which controls changed decision or text between two revisions.
pub async fn diff(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(query): Query<DiffQuery>,
) -> Result<Response, PageError> {
    let (loaded, _) = editable_statement(&state, &ctx, id, Action::ViewStatement).await?;
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
    let changes = difference
        .controls
        .iter()
        .map(|c| ChangeView {
            id: c.id.to_string(),
            fields: c.fields.join(", "),
            before: describe(&c.before),
            after: describe(&c.after),
        })
        .collect();
    render(&DiffPage {
        statement_id: id,
        from,
        to,
        latest,
        fields: difference.fields,
        changes,
        frame: Frame::new(&ctx),
    })
}

#[derive(Deserialize)]
pub struct ImportForm {
    based_on: i64,
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
            statement_ops::import(&state, &principal, &loaded, form.based_on, &form.content).await?
        }
    };
    match outcome {
        Ok(_) => Ok(Redirect::to(&format!("/statements/{id}/edit")).into_response()),
        Err(problems) => {
            let mut response = render(&ImportProblems {
                statement_id: id,
                problems,
                frame: Frame::new(&ctx),
            })?;
            *response.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
            Ok(response)
        }
    }
}

#[derive(Deserialize)]
pub struct BulkForm {
    based_on: i64,
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
    statement_ops::save(
        &state,
        &principal,
        &loaded.record,
        form.based_on,
        &statement,
        &format!("{objective}: bulk"),
    )
    .await?;
    Ok(Redirect::to(&format!("/statements/{id}/edit#row-{}", dom_id(&objective))).into_response())
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
    based_on: i64,
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
    statement_ops::save(
        &state,
        &principal,
        &loaded.record,
        form.based_on,
        &statement,
        &format!("risk {next}"),
    )
    .await?;
    Ok(Redirect::to(&format!("/statements/{id}/edit#risks")).into_response())
}

#[derive(Deserialize)]
pub struct EvidenceForm {
    based_on: i64,
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
    statement_ops::save(
        &state,
        &principal,
        &loaded.record,
        form.based_on,
        &statement,
        &format!("{control_id}: evidence"),
    )
    .await?;
    Ok(Redirect::to(&format!("/statements/{id}/edit#row-{}", dom_id(&known.id))).into_response())
}

#[derive(Deserialize)]
pub struct RemoveRiskForm {
    based_on: i64,
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
    statement_ops::save(
        &state,
        &principal,
        &loaded.record,
        form.based_on,
        &statement,
        &format!("risk {risk} removed"),
    )
    .await?;
    Ok(Redirect::to(&format!("/statements/{id}/edit#risks")).into_response())
}

#[derive(Deserialize)]
pub struct DetailsForm {
    based_on: i64,
    name: String,
    model: String,
    #[serde(default)]
    scope: String,
    #[serde(default)]
    deployment: String,
    #[serde(default)]
    url: String,
    /// Registration numbers separated by commas or spaces.
    #[serde(default)]
    underlying: String,
    #[serde(default)]
    date: String,
    zero_trust: Option<String>,
}

/// The statement's service details (scope 言明対象範囲, underlying services,
/// date), saved as a new revision like any other change.
pub async fn save_details(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(form): Form<DetailsForm>,
) -> Result<Response, PageError> {
    let (loaded, principal) = editable_statement(&state, &ctx, id, Action::EditStatement).await?;
    let mut statement = loaded.parsed.statement.clone();
    let date = match form.date.trim() {
        "" => None,
        text => Some(
            chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| Failure::Invalid {
                field: "date".into(),
                message: format!("{text:?} is not a date; write YYYY-MM-DD"),
            })?,
        ),
    };
    crate::links::optional_url(ctx.lang, "url", &form.url)?;
    let optional = |text: String| Some(text.trim().to_owned()).filter(|t| !t.is_empty());
    let service = &mut statement.service;
    service.name = form.name.trim().to_owned();
    service.model = ismap_domain::ServiceModel::from_key(&form.model);
    service.scope = form.scope.trim().to_owned();
    service.deployment = optional(form.deployment);
    service.url = optional(form.url);
    service.underlying = statement_ops::split_list(&form.underlying);
    service.zero_trust = form.zero_trust.is_some();
    statement.date = date;
    statement_ops::save(
        &state,
        &principal,
        &loaded.record,
        form.based_on,
        &statement,
        "service details",
    )
    .await?;
    Ok(Redirect::to(&format!("/statements/{id}/edit")).into_response())
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
    based_on: i64,
}

/// Draft → frozen (ready for audit): only with no errors.
pub async fn freeze(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(form): Form<FreezeForm>,
) -> Result<Response, PageError> {
    let (loaded, principal) = editable_statement(&state, &ctx, id, Action::EditStatement).await?;
    freeze_loaded(&state, &principal, &loaded, form.based_on).await?;
    Ok(Redirect::to(&format!("/statements/{id}/edit")).into_response())
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
