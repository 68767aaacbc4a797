//! The read-only statement view for the bodies that decide on an
//! application (issue 13): IPA's reviewers and the steering committee read
//! the statement as it was submitted — the catalog tree by criteria and
//! chapter, each control's decision, the individual controls, the findings
//! of the statement rules and the auditor's result per control from the
//! report filed with the application. Nothing on it changes anything.
//!
//! Who may read: [`Action::ReadSubmittedStatement`] (the role) *and* the
//! statement is part of an application (the link); anyone else who may not
//! see the statement gets the same 404 as for a missing one
//! ([`crate::policy::hidden`]).
//!
//! A statement has up to 1,159 controls: the page carries the tree's
//! chapters closed (`<details>`), each chapter's controls are loaded when it
//! is opened (htmx), and `/statements/{id}/chapters/{chapter}` is also a
//! page of its own without JavaScript.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use ismap_domain::control_id::ControlNumber;
use ismap_domain::{Catalog, ControlId, Criteria, Level, Severity};
use ismap_formats::audit_report::{ReportRow, ReportSnapshot};
use ismap_formats::report::check_statement;
use ismap_formats::statement_file::{ParsedStatement, parse_statement};
use ismap_i18n::Messages;
use ismap_store::applications::{self, Application};
use ismap_store::{engagements, statements};

use crate::AppState;
use crate::auth::Ctx;
use crate::error::{Failure, PageError};
use crate::pages::engagements::is_htmx;
use crate::pages::render;
use crate::policy::{Action, Principal, allows, hidden, signed_in};
use crate::text::Frame;

/// The newest application the statement was submitted in, if any.
pub async fn application_of(
    state: &AppState,
    statement_id: i64,
) -> Result<Option<Application>, Failure> {
    Ok(applications::list(&state.db, None)
        .await?
        .into_iter()
        .find(|a| a.statement_id == statement_id))
}

/// Whether `p` reads statement `statement_id` through this view: the role
/// and the application link. `None`: not through this view.
pub async fn readable(
    state: &AppState,
    p: &Principal,
    statement_id: i64,
) -> Result<Option<Application>, Failure> {
    if !allows(Some(p), Action::ReadSubmittedStatement, None) {
        return Ok(None);
    }
    application_of(state, statement_id).await
}

/// The statement as submitted, its findings and the audit report filed.
struct Submitted {
    application: Application,
    engagement: engagements::Engagement,
    parsed: ParsedStatement,
    report: ReportSnapshot,
    /// Findings of the statement rules: (rule, severity label, message) by control.
    findings: Vec<FindingView>,
    errors: usize,
    warnings: usize,
}

pub struct FindingView {
    pub control: Option<ControlNumber>,
    pub control_id: String,
    /// The rule's number (S4), or the label of reading problems.
    pub rule: String,
    pub severity: String,
    pub is_error: bool,
    pub message: String,
}

async fn load(
    state: &AppState,
    frame: &Frame,
    application: Application,
) -> Result<Submitted, Failure> {
    let revision = statements::revision_at(
        &state.db,
        application.statement_id,
        application.statement_revision,
    )
    .await?;
    let parsed = parse_statement(
        &format!(
            "statement {} revision {}",
            application.statement_id, application.statement_revision
        ),
        &revision.content,
    )
    .map_err(|e| Failure::Internal(e.to_string()))?;
    let registry = crate::registry_cache::current(state).await?;
    let catalogs: Vec<&Catalog> = state.catalogs.iter().collect();
    let checked = check_statement(&parsed, &catalogs, Some(&registry));
    let messages = Messages::get();
    let findings = checked
        .findings
        .iter()
        .map(|l| {
            let is_error = l.finding.severity == Severity::Error;
            FindingView {
                control: l.finding.control.map(|c| c.number()),
                control_id: l.finding.control.map(|c| c.to_string()).unwrap_or_default(),
                rule: match l.finding.rule {
                    ismap_domain::RuleId::Input => frame.label("rule", "input"),
                    rule => rule.as_str().to_owned(),
                },
                severity: frame.t(if is_error {
                    "review-severity-error"
                } else {
                    "review-severity-warning"
                }),
                is_error,
                message: messages.finding(frame.lang, &l.finding),
            }
        })
        .collect();
    let (errors, warnings) = (checked.errors(), checked.warnings());
    let engagement = engagements::get(&state.db, application.engagement_id).await?;
    let report = engagements::report(
        &state.db,
        application.engagement_id,
        application.report_issue,
    )
    .await?;
    let report = crate::pages::engagements::snapshot_of(&report)?;
    Ok(Submitted {
        application,
        engagement,
        parsed,
        report,
        findings,
        errors,
        warnings,
    })
}

/// One control as the view shows it: everything already in words.
pub struct ControlView {
    pub id: String,
    /// `rc-8-1-2-7-PB`: the element id.
    pub anchor: String,
    pub title: String,
    pub objective: bool,
    pub decision: String,
    /// `implemented`, … or `undecided`, for the badge's style.
    pub decision_key: &'static str,
    pub individual_control: Option<String>,
    pub reason: Option<String>,
    pub from: Option<String>,
    pub confirmation: Option<String>,
    /// The auditor's result, when the control was in the audit's scope.
    pub audit: Option<AuditView>,
    pub findings: Vec<(String, String, bool)>,
}

pub struct AuditView {
    pub result: String,
    /// `conforming`, `deficiency`, `not_tested` or `none`.
    pub key: String,
    pub performed: String,
    pub finding: String,
}

pub fn anchor(id: &str) -> String {
    format!("rc-{}", id.replace('.', "-"))
}

fn control_view(
    frame: &Frame,
    control: &ismap_domain::Control,
    submitted: &Submitted,
    rows: &HashMap<ControlNumber, &ReportRow>,
) -> ControlView {
    let number = control.id.number();
    let entry = submitted.parsed.statement.controls.get(&number);
    let decision = entry.and_then(|e| e.decision);
    let decision_key = decision.map_or("undecided", |d| d.key());
    let audit = rows.get(&number).map(|row| {
        let key = if row.result.is_empty() {
            "none".to_owned()
        } else {
            row.result.clone()
        };
        AuditView {
            result: frame.label("result", &key),
            performed: row.performed.clone(),
            finding: row.finding.clone(),
            key,
        }
    });
    let id = control.id.to_string();
    ControlView {
        anchor: anchor(&id),
        title: frame.pick(&control.title.ja, &control.title.en).to_owned(),
        objective: control.id.level() == Level::Objective,
        decision: frame.label("decision", decision_key),
        decision_key,
        individual_control: entry.and_then(|e| e.individual_control.clone()),
        reason: entry.and_then(|e| e.reason.clone()),
        from: entry.and_then(|e| e.from.clone()),
        confirmation: entry.and_then(|e| e.confirmation.clone()),
        audit,
        findings: submitted
            .findings
            .iter()
            .filter(|f| f.control == Some(number))
            .map(|f| (f.rule.clone(), f.message.clone(), f.is_error))
            .collect(),
        id,
    }
}

fn report_rows(report: &ReportSnapshot) -> HashMap<ControlNumber, &ReportRow> {
    report
        .rows
        .iter()
        .filter_map(|r| {
            r.control
                .parse::<ControlId>()
                .ok()
                .map(|id| (id.number(), r))
        })
        .collect()
}

/// A chapter in the tree, closed until opened.
pub struct ChapterView {
    pub number: u16,
    pub title: String,
    pub objectives: usize,
    pub detailed: usize,
    pub deficiencies: usize,
    pub findings: usize,
}

pub struct CriteriaView {
    pub key: &'static str,
    pub title: String,
    pub chapters: Vec<ChapterView>,
}

/// The application and audit the view reads from, in words.
pub struct Source {
    pub application: i64,
    pub revision: i64,
    pub service_id: i64,
    pub service_name: String,
    pub provider: String,
    pub catalog_id: String,
    pub catalog_title: String,
    pub application_state: String,
    pub audit_organization: String,
    pub report_href: String,
    pub report_issue: i64,
    pub period: String,
    pub conforming: usize,
    pub deficiency: usize,
    pub not_tested: usize,
}

fn source(frame: &Frame, s: &Submitted, catalog: &Catalog) -> Source {
    let a = &s.application;
    let title = &catalog.info().title;
    Source {
        application: a.id,
        revision: a.statement_revision,
        service_id: a.service_id,
        service_name: a.service_name.clone(),
        provider: a.organization_name.clone(),
        catalog_id: s.engagement.catalog_id.clone(),
        catalog_title: frame.pick(&title.ja, &title.en).to_owned(),
        application_state: frame.label("application-state", a.state.key()),
        audit_organization: s.engagement.audit_organization_name.clone(),
        report_href: format!("/applications/{}/report", a.id),
        report_issue: a.report_issue,
        period: format!(
            "{} – {}",
            frame.day(&s.engagement.period_start),
            frame.day(&s.engagement.period_end)
        ),
        conforming: s.report.conforming,
        deficiency: s.report.deficiency,
        not_tested: s.report.not_tested,
    }
}

fn catalog_of<'a>(state: &'a AppState, id: &str) -> Result<&'a Catalog, Failure> {
    state
        .catalog(id)
        .ok_or_else(|| Failure::Internal(format!("catalog {id} is not loaded")))
}

#[derive(Template)]
#[template(path = "statement_view.html")]
struct ViewPage {
    frame: Frame,
    statement_id: i64,
    intro: String,
    source: Source,
    errors: usize,
    warnings: usize,
    findings: Vec<FindingView>,
    criteria: Vec<CriteriaView>,
}

/// `/statements/{id}` for a reader of submitted statements (the caller has
/// checked [`readable`]).
pub async fn page(
    state: &AppState,
    ctx: &Ctx,
    statement_id: i64,
    application: Application,
) -> Result<Response, PageError> {
    let frame = Frame::new(ctx);
    let submitted = load(state, &frame, application).await?;
    let catalog = catalog_of(state, &submitted.engagement.catalog_id)?;
    let rows = report_rows(&submitted.report);
    let mut criteria: Vec<CriteriaView> = Vec::new();
    for chapter in catalog.chapters() {
        let in_chapter = catalog
            .controls()
            .iter()
            .filter(|c| c.id.chapter() == chapter.number);
        let (mut objectives, mut detailed, mut deficiencies) = (0, 0, 0);
        for c in in_chapter {
            match c.id.level() {
                Level::Objective => objectives += 1,
                Level::Detailed => detailed += 1,
            }
            if rows
                .get(&c.id.number())
                .is_some_and(|r| r.result == "deficiency")
            {
                deficiencies += 1;
            }
        }
        if objectives + detailed == 0 {
            continue;
        }
        let findings = submitted
            .findings
            .iter()
            .filter(|f| {
                f.control
                    .is_some_and(|n| n.numbers().first() == Some(&chapter.number))
            })
            .count();
        let view = ChapterView {
            number: chapter.number,
            title: frame.pick(&chapter.title.ja, &chapter.title.en).to_owned(),
            objectives,
            detailed,
            deficiencies,
            findings,
        };
        let which = Criteria::of_chapter(chapter.number);
        match criteria.iter_mut().find(|c| c.key == which.key()) {
            Some(c) => c.chapters.push(view),
            None => criteria.push(CriteriaView {
                key: which.key(),
                title: frame.t(&format!("web-criteria-{}", which.key().replace('_', "-"))),
                chapters: vec![view],
            }),
        }
    }
    let source = source(&frame, &submitted, catalog);
    render(&ViewPage {
        statement_id,
        intro: frame.tr(
            "review-view-intro",
            &[
                ("application", source.application.to_string()),
                ("revision", source.revision.to_string()),
            ],
        ),
        source,
        errors: submitted.errors,
        warnings: submitted.warnings,
        findings: submitted.findings,
        criteria,
        frame,
    })
}

#[derive(Template)]
#[template(path = "statement_chapter.html")]
struct ChapterFragment {
    frame: Frame,
    controls: Vec<ControlView>,
}

#[derive(Template)]
#[template(path = "statement_chapter_page.html")]
struct ChapterPage {
    frame: Frame,
    statement_id: i64,
    source: Source,
    chapter: u16,
    chapter_title: String,
    controls: Vec<ControlView>,
}

/// `/statements/{id}/chapters/{chapter}`: one chapter's controls, as a
/// fragment for the view's `<details>` or as a page without JavaScript.
pub async fn chapter(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path((id, chapter)): Path<(i64, String)>,
) -> Result<Response, PageError> {
    let p = signed_in(ctx.principal.as_ref())?;
    let record = statements::get(&state.db, id).await?;
    let Some(application) = readable(&state, p, id).await? else {
        // The provider sees its statement (and edits it in the editor);
        // this view is the reviewing bodies'.
        return Err(PageError(
            if allows(Some(p), Action::ViewStatement, Some(record.organization_id)) {
                Failure::Forbidden
            } else {
                hidden("statement", id)
            },
        ));
    };
    let frame = Frame::new(&ctx);
    let submitted = load(&state, &frame, application).await?;
    let catalog = catalog_of(&state, &submitted.engagement.catalog_id)?;
    let Some(found) = chapter.parse::<u16>().ok().and_then(|n| catalog.chapter(n)) else {
        return Err(PageError(Failure::NotFound(format!("chapter {chapter}"))));
    };
    let rows = report_rows(&submitted.report);
    let controls = catalog
        .controls()
        .iter()
        .filter(|c| c.id.chapter() == found.number)
        .map(|c| control_view(&frame, c, &submitted, &rows))
        .collect();
    if is_htmx(&headers) {
        return render(&ChapterFragment { frame, controls });
    }
    render(&ChapterPage {
        statement_id: id,
        source: source(&frame, &submitted, catalog),
        chapter: found.number,
        chapter_title: frame.pick(&found.title.ja, &found.title.en).to_owned(),
        controls,
        frame,
    })
}
