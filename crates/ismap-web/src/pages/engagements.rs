//! Audit engagements as pages: the provider asks a registered audit
//! organization to audit a frozen statement, the organization's manager
//! assigns auditors, the auditors record results and evidence per control
//! and issue the implementation result report, and the provider files its
//! improvement plan.

use std::collections::BTreeMap;

use askama::Template;
use axum::Form;
use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use ismap_domain::audit::{AuditPeriod, AuditPeriodError};
use ismap_domain::audit_work::{
    AuditResult, EngagementScope, EngagementStatus, ImprovementError, ImprovementStatus,
    ScopeError, check_improvement,
};
use ismap_domain::control_id::Level;
use ismap_domain::{Criteria, OrgKind, Role};
use ismap_formats::audit_report::{ReportSnapshot, to_xlsx};
use ismap_store::engagements::{self, Engagement, NewEngagement, ResultRecord};
use ismap_store::files::NewFile;
use ismap_store::{audit_orgs, improvement, services, statements, users};
use serde::Deserialize;

use crate::AppState;
use crate::audit_ops::parse_scope;
use crate::audit_ops::{self, Audited, ResultInput, actor, audited, load, parties};
use crate::auth::Ctx;
use crate::error::Query;
use crate::error::parse_date;
use crate::error::{Failure, PageError};
use crate::pages::render;
use crate::policy::{
    Action, EngagementAction, FileUse, Principal, allows, allows_engagement, allows_file,
};
use crate::text::{Frame, When};
use crate::today;
use crate::uploads;

pub struct EngagementRow {
    pub id: i64,
    pub service: String,
    pub provider: String,
    pub audit_organization: String,
    pub period: String,
    pub status: String,
    pub scope: String,
}

pub fn row(frame: &Frame, e: &Engagement) -> EngagementRow {
    EngagementRow {
        id: e.id,
        service: e.service_name.clone(),
        provider: e.csp_name.clone(),
        audit_organization: e.audit_organization_name.clone(),
        period: format!(
            "{} – {}",
            frame.day(&e.period_start),
            frame.day(&e.period_end)
        ),
        status: frame.t(&format!("web-engagement-{}", e.status.key())),
        scope: scope_label(frame, e),
    }
}

fn scope_label(frame: &Frame, e: &Engagement) -> String {
    let name = frame.t(&format!("web-scope-{}", e.scope));
    if e.scope == "full" {
        name
    } else {
        format!("{name} ({}/{})", e.cycle_year, e.cycle_years)
    }
}

/// The engagements a person can see: the provider's, the audit
/// organization's for its manager, the assigned ones for an auditor.
pub async fn visible(state: &AppState, p: &Principal) -> Result<Vec<Engagement>, Failure> {
    if !matches!(p.organization.kind, OrgKind::Csp | OrgKind::AuditOrg) {
        return Ok(Vec::new());
    }
    Ok(
        engagements::list_for_organization(&state.db, p.organization.id)
            .await?
            .into_iter()
            .filter(|e| allows_engagement(Some(p), EngagementAction::View, parties(e, Some(p))))
            .collect(),
    )
}

#[derive(Template)]
#[template(path = "engagements.html")]
struct EngagementsPage {
    frame: Frame,
    engagements: Vec<EngagementRow>,
    can_create: bool,
    /// The audit manager destroys the organization's file key here (its
    /// evidence files live with its engagements).
    can_destroy: bool,
    organization_id: i64,
    destroy_label: String,
}

pub async fn list(State(state): State<AppState>, ctx: Ctx) -> Result<Response, PageError> {
    let p = ctx.principal.as_ref().ok_or(Failure::NotSignedIn)?;
    if !matches!(p.organization.kind, OrgKind::Csp | OrgKind::AuditOrg) {
        return Err(Failure::Forbidden.into());
    }
    let frame = Frame::new(&ctx);
    let rows = visible(&state, p)
        .await?
        .iter()
        .map(|e| row(&frame, e))
        .collect();
    render(&EngagementsPage {
        engagements: rows,
        can_create: allows(Some(p), Action::RequestEngagement, Some(p.organization.id)),
        can_destroy: p.organization.kind == OrgKind::AuditOrg
            && allows(
                Some(p),
                Action::DestroyOrganizationKey,
                Some(p.organization.id),
            ),
        organization_id: p.organization.id,
        destroy_label: crate::pages::evidence::destroy_label(&frame),
        frame,
    })
}

#[derive(Template)]
#[template(path = "engagement_new.html")]
struct NewEngagementPage {
    frame: Frame,
    /// (statement id, "service — statement n (revision r)") of frozen statements.
    statements: Vec<(i64, String)>,
    /// (organization id, name, term) of organizations registered today.
    audit_orgs: Vec<(i64, String, String)>,
    error: Option<String>,
    /// What was sent, shown again after a refusal.
    form: NewEngagementForm,
}

impl NewEngagementPage {
    fn chose_statement(&self, id: &i64) -> bool {
        self.form.statement_id.trim() == id.to_string()
    }

    fn chose_org(&self, id: &i64) -> bool {
        self.form.audit_organization_id.trim() == id.to_string()
    }
}

fn own_csp_admin(ctx: &Ctx) -> Result<&Principal, Failure> {
    let own = ctx.principal.as_ref().map(|p| p.organization.id);
    ctx.require(Action::RequestEngagement, own)
}

async fn new_page(
    state: &AppState,
    ctx: &Ctx,
    p: &Principal,
    error: Option<String>,
    form: NewEngagementForm,
) -> Result<Response, PageError> {
    let frame = Frame::new(ctx);
    let mut frozen = Vec::new();
    for service in services::list(&state.db, Some(p.organization.id)).await? {
        for s in statements::of_service(&state.db, service.id).await? {
            if s.status == "frozen" {
                frozen.push((
                    s.id,
                    frame.tr(
                        "audit-new-statement-option",
                        &[
                            ("service", service.name.clone()),
                            ("statement", s.id.to_string()),
                            ("revision", s.latest_revision.to_string()),
                            ("catalog", s.catalog_id.clone()),
                        ],
                    ),
                ));
            }
        }
    }
    let today = today();
    let audit_orgs = audit_orgs::list(&state.db)
        .await?
        .into_iter()
        .filter(|e| e.is_valid_on(today))
        .map(|e| {
            (
                e.organization_id,
                frame.pick(&e.name, &e.name_en).to_owned(),
                format!(
                    "{} – {}",
                    frame.day(&e.valid_from),
                    frame.day(&e.valid_until)
                ),
            )
        })
        .collect();
    let mut response = render(&NewEngagementPage {
        frame,
        statements: frozen,
        audit_orgs,
        error: error.clone(),
        form,
    })?;
    if error.is_some() {
        *response.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(response)
}

pub async fn new_form(State(state): State<AppState>, ctx: Ctx) -> Result<Response, PageError> {
    let p = own_csp_admin(&ctx)?;
    let form = NewEngagementForm {
        scope: "full".into(),
        cycle_years: "3".into(),
        cycle_year: "1".into(),
        ..NewEngagementForm::default()
    };
    new_page(&state, &ctx, p, None, form).await
}

/// The request form as sent: text, so that whatever was typed can be
/// shown again with the message.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct NewEngagementForm {
    #[serde(default)]
    statement_id: String,
    #[serde(default)]
    audit_organization_id: String,
    #[serde(default)]
    period_start: String,
    #[serde(default)]
    period_end: String,
    #[serde(default)]
    scope: String,
    #[serde(default)]
    cycle_years: String,
    #[serde(default)]
    cycle_year: String,
}

pub async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(form): Form<NewEngagementForm>,
) -> Result<Response, PageError> {
    let p = own_csp_admin(&ctx)?;
    match create_engagement(&state, &ctx, p, &form).await {
        Ok(engagement) => {
            Ok(Redirect::to(&format!("/engagements/{}", engagement.id)).into_response())
        }
        Err(Failure::Invalid { message, .. } | Failure::Conflict(message)) => {
            new_page(&state, &ctx, p, Some(message), form).await
        }
        Err(other) => Err(other.into()),
    }
}

async fn create_engagement(
    state: &AppState,
    ctx: &Ctx,
    p: &Principal,
    form: &NewEngagementForm,
) -> Result<Engagement, Failure> {
    let messages = ismap_i18n::Messages::get();
    let lang = ctx.lang;
    let say = |id: &str, args: &[(&str, String)]| messages.text(lang, id, args);
    let invalid = |field: &str, message: String| Failure::Invalid {
        field: field.into(),
        message,
    };
    let statement_id = form
        .statement_id
        .trim()
        .parse::<i64>()
        .map_err(|_| invalid("statement_id", say("audit-new-choose-statement", &[])))?;
    let statement = statements::get(&state.db, statement_id).await?;
    // Another provider's statement: as if there were none (policy::hidden).
    crate::policy::require_visible(
        Some(p),
        |p| {
            allows(
                Some(p),
                Action::ViewStatement,
                Some(statement.organization_id),
            )
        },
        "statement",
        statement_id,
    )?;
    if statement.status != "frozen" {
        return Err(Failure::Conflict(say(
            "audit-new-statement-draft",
            &[("statement", statement.id.to_string())],
        )));
    }
    let org_id = form.audit_organization_id.trim().parse::<i64>().ok();
    let registered = match org_id {
        Some(id) => audit_orgs::latest(&state.db, id)
            .await?
            .filter(|e| e.is_valid_on(today())),
        None => None,
    }
    .ok_or_else(|| invalid("audit_organization_id", say("audit-new-choose-org", &[])))?;
    let date = |text: &str, field: &str| {
        parse_date(text, field).map_err(|_| {
            invalid(
                field,
                say(
                    if text.trim().is_empty() {
                        "audit-new-date-missing"
                    } else {
                        "audit-new-date-invalid"
                    },
                    &[(
                        "field",
                        say(&format!("web-{}", field.replace('_', "-")), &[]),
                    )],
                ),
            )
        })
    };
    let period = AuditPeriod::new(
        date(&form.period_start, "period_start")?,
        date(&form.period_end, "period_end")?,
    )
    .map_err(|e| {
        let message = match e {
            AuditPeriodError::EndsBeforeStart { start, end } => say(
                "audit-period-ends-before-start",
                &[("start", start.to_string()), ("end", end.to_string())],
            ),
            AuditPeriodError::LongerThanAYear { start, end, latest } => say(
                "audit-period-longer-than-a-year",
                &[
                    ("start", start.to_string()),
                    ("end", end.to_string()),
                    ("latest", latest.to_string()),
                ],
            ),
        };
        invalid("period_end", message)
    })?;
    let full = form.scope.trim() == "full";
    let number = |text: &str, field: &str| -> Result<u8, Failure> {
        match text.trim() {
            "" => Ok(1),
            t => t
                .parse::<u8>()
                .map_err(|_| invalid(field, say("audit-new-cycle-number", &[]))),
        }
    };
    let (years, year) = if full {
        (1, 1)
    } else {
        (
            number(&form.cycle_years, "cycle_years")?,
            number(&form.cycle_year, "cycle_year")?,
        )
    };
    let scope =
        EngagementScope::new(parse_scope(lang, form.scope.trim(), years)?, year).map_err(|e| {
            match e {
                ScopeError::CycleLength(n) => invalid(
                    "cycle_years",
                    say("audit-new-cycle-length", &[("years", n.to_string())]),
                ),
                ScopeError::YearOutsideCycle { year, years } => invalid(
                    "cycle_year",
                    say(
                        "audit-new-cycle-year",
                        &[("year", year.to_string()), ("years", years.to_string())],
                    ),
                ),
            }
        })?;
    let (cycle_years, cycle_year) = if full {
        (1, 1)
    } else {
        (i64::from(years), i64::from(scope.year))
    };
    engagements::create(
        &state.db,
        &actor(Some(p))?,
        NewEngagement {
            statement_id: statement.id,
            revision: statement.latest_revision,
            csp_organization_id: p.organization.id,
            audit_organization_id: registered.organization_id,
            period_start: period.start(),
            period_end: period.end(),
            scope: form.scope.trim(),
            cycle_years,
            cycle_year,
        },
    )
    .await
    .map_err(|e| match e {
        ismap_store::StoreError::Conflict(_) => Failure::Conflict(say(
            "audit-new-statement-changed",
            &[("statement", statement.id.to_string())],
        )),
        other => other.into(),
    })
}

/// One control of the auditor's workspace: the catalog's words, what the
/// provider's statement decided and wrote, and the current result.
pub struct AuditRow {
    pub control: String,
    pub anchor: String,
    pub chapter: u16,
    pub objective: bool,
    pub title: String,
    /// The control's requirement, from the catalog.
    pub text: String,
    /// The statement's decision as a label ("" when undecided).
    pub decision: String,
    /// What the statement says about it: (label, text) — the individual
    /// control (個別管理策), the reason, the underlying service.
    pub notes: Vec<(String, String)>,
    pub result: Option<ResultView>,
    /// The id of the latest recording, 0 for none: what the forms send back
    /// so that a save over someone else's newer result is refused.
    pub seen: i64,
    /// Rendered as an out-of-band swap (after a bulk save).
    pub oob: bool,
    /// The bulk checkbox's label for screen readers.
    pub select_label: String,
}

pub struct ResultView {
    pub key: String,
    pub label: String,
    pub class: &'static str,
    pub performed: String,
    pub finding: String,
    pub samples: String,
    /// "Recorded by 監査人" (the moment follows, in `recorded_at`).
    pub recorded_line: String,
    pub recorded_at: When,
}

fn result_view(frame: &Frame, r: &ResultRecord) -> ResultView {
    ResultView {
        key: r.result.key().to_owned(),
        label: frame.label("result", r.result.key()),
        class: match r.result {
            AuditResult::Conforming => "badge badge-ok",
            AuditResult::Deficiency => "badge badge-error",
            AuditResult::NotTested => "badge badge-warning",
        },
        performed: r.performed.clone(),
        finding: r.finding.clone(),
        samples: r.samples.clone(),
        recorded_line: frame.tr("audit-recorded-by", &[("name", r.recorded_by.clone())]),
        recorded_at: frame.when(&r.recorded_at),
    }
}

pub struct EvidenceView {
    pub control: String,
    pub note: String,
    pub file_id: i64,
    pub file_name: String,
    pub size: i64,
    pub sha256: String,
    pub erased: bool,
}

pub struct ReportLink {
    pub issue: i64,
    pub issued_at: When,
    pub reason: String,
}

pub struct DeficiencyView {
    pub control: String,
    pub title: String,
    pub finding: String,
}

pub struct ImprovementView {
    pub id: i64,
    pub control: String,
    pub measure: String,
    pub due_date: String,
    pub status: String,
    pub status_key: String,
}

/// Which controls the workspace lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Show {
    Unrecorded,
    Deficiency,
    NotTested,
    All,
}

impl Show {
    pub const ALL: [Show; 4] = [
        Show::Unrecorded,
        Show::Deficiency,
        Show::NotTested,
        Show::All,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Show::Unrecorded => "unrecorded",
            Show::Deficiency => "deficiency",
            Show::NotTested => "not_tested",
            Show::All => "all",
        }
    }

    /// An unknown or empty choice shows everything.
    fn parse(key: &str) -> Show {
        Show::ALL
            .into_iter()
            .find(|s| s.key() == key.trim())
            .unwrap_or(Show::All)
    }

    fn keeps(self, row: &AuditRow) -> bool {
        let result = row.result.as_ref().map(|r| r.key.as_str());
        match self {
            Show::Unrecorded => result.is_none(),
            Show::Deficiency => result == Some("deficiency"),
            Show::NotTested => result == Some("not_tested"),
            Show::All => true,
        }
    }
}

/// The workspace's choice of chapter and controls, from the page's links
/// and its 表示 form; empty or unknown values mean the defaults.
#[derive(Debug, Default, Deserialize)]
pub struct ViewQuery {
    #[serde(default)]
    chapter: String,
    #[serde(default)]
    show: String,
}

pub struct ChapterLink {
    pub number: u16,
    pub label: String,
    pub href: String,
    pub recorded: usize,
    pub total: usize,
    pub current: bool,
}

/// The chapters of one criteria (ガバナンス / マネジメント / 管理策).
pub struct ChapterGroup {
    pub label: String,
    pub chapters: Vec<ChapterLink>,
}

pub struct FilterLink {
    pub key: &'static str,
    pub label: String,
    pub href: String,
    pub count: usize,
    pub current: bool,
}

/// The rows under one control objective (統制目標), the objective first.
pub struct ObjectiveGroup {
    pub anchor: String,
    pub heading: String,
    pub rows: Vec<AuditRow>,
}

pub struct Workspace {
    pub chapters: Vec<ChapterGroup>,
    pub chapter: u16,
    pub chapter_title: String,
    pub show: &'static str,
    pub filters: Vec<FilterLink>,
    pub groups: Vec<ObjectiveGroup>,
}

#[derive(Template)]
#[template(path = "engagement.html")]
pub struct EngagementPage {
    pub frame: Frame,
    pub e: EngagementRow,
    pub engagement_id: i64,
    pub statement_id: i64,
    pub revision: i64,
    pub auditors: Vec<String>,
    pub candidates: Vec<(i64, String)>,
    pub can_assign: bool,
    pub can_audit: bool,
    pub can_issue: bool,
    pub can_improve: bool,
    pub sees_evidence: bool,
    pub recorded: usize,
    pub total: usize,
    pub work: Workspace,
    pub evidence: Vec<EvidenceView>,
    pub reports: Vec<ReportLink>,
    pub deficiencies: Vec<DeficiencyView>,
    pub improvements: Vec<ImprovementView>,
    pub latest_report: Option<i64>,
    pub next_issue: i64,
    pub today: String,
    /// An ISMAP-LIU engagement: this year's work list and what is left to
    /// the provider's internal audit (issue 14).
    pub liu: Option<crate::pages::catalog::LiuPlanView>,
    pub liu_year: String,
}

impl EngagementPage {
    fn progress(&self) -> String {
        progress_text(&self.frame, self.recorded, self.total)
    }

    fn issue_confirm(&self) -> String {
        self.frame.tr(
            "audit-issue-confirm",
            &[("issue", self.next_issue.to_string())],
        )
    }
}

fn progress_text(frame: &Frame, recorded: usize, total: usize) -> String {
    frame.tr(
        "audit-progress-count",
        &[
            ("recorded", recorded.to_string()),
            ("total", total.to_string()),
        ],
    )
}

impl AuditRow {
    pub fn has_result(&self, key: &str) -> bool {
        self.result.as_ref().is_some_and(|r| r.key == key)
    }
}

/// What a row of the workspace needs from its page (the engagement page
/// has the same fields, so the row template serves both).
struct RowPage {
    frame: Frame,
    engagement_id: i64,
    can_audit: bool,
}

/// Rows on their own, as htmx swaps them after a save, with the progress
/// counters out of band.
#[derive(Template)]
#[template(
    ext = "html",
    source = r##"{% for row in rows %}{% include "audit_row.html" %}{% endfor %}
<strong id="audit-progress" hx-swap-oob="true">{{ progress }}</strong>
<a href="#workspace" id="audit-progress-summary" hx-swap-oob="true">{{ progress }}</a>
{% for (n, count) in chapter_counts %}<span id="chapter-count-{{ n }}" class="muted" hx-swap-oob="true">{{ count }}</span>
{% endfor %}{% if let Some(status) = status %}<p id="bulk-status" role="status" hx-swap-oob="true">{{ status }}</p>{% endif %}"##
)]
struct AuditRowsFragment {
    page: RowPage,
    rows: Vec<AuditRow>,
    progress: String,
    /// (chapter, "recorded / total") of the chapters the saved rows are in.
    chapter_counts: Vec<(u16, String)>,
    /// A sentence for the bulk form's status line, if any.
    status: Option<String>,
}

/// One control's row: title, the statement's decision and text, the result.
fn audit_row(
    frame: &Frame,
    audited: &Audited<'_>,
    id: &ismap_domain::ControlId,
    result: Option<&ResultRecord>,
) -> AuditRow {
    let control = audited.catalog.get(id.number());
    let text = id.to_string();
    let decided = audited.statement.controls.get(&id.number());
    let mut notes = Vec::new();
    if let Some(d) = decided {
        for (label, value) in [
            ("web-individual-control", &d.individual_control),
            ("audit-statement-reason", &d.reason),
            ("audit-statement-from", &d.from),
            ("audit-statement-confirmation", &d.confirmation),
        ] {
            if let Some(value) = value.as_deref().filter(|v| !v.trim().is_empty()) {
                notes.push((frame.t(label), value.to_owned()));
            }
        }
    }
    AuditRow {
        anchor: format!("c-{}", text.replace('.', "-")),
        chapter: id.chapter(),
        objective: id.level() == Level::Objective,
        title: control
            .map(|c| frame.pick(&c.title.ja, &c.title.en).to_owned())
            .unwrap_or_default(),
        text: control
            .map(|c| frame.pick(&c.text.ja, &c.text.en).to_owned())
            .unwrap_or_default(),
        decision: match decided.and_then(|d| d.decision) {
            Some(d) => frame.label("decision", d.key()),
            None => frame.label("decision", "undecided"),
        },
        notes,
        seen: result.map_or(0, |r| r.id),
        result: result.map(|r| result_view(frame, r)),
        select_label: frame.tr("audit-select-control", &[("control", text.clone())]),
        control: text,
        oob: false,
    }
}

fn workspace_href(engagement: i64, chapter: u16, show: Show) -> String {
    format!(
        "/engagements/{engagement}?chapter={chapter}&show={}#workspace",
        show.key()
    )
}

/// Splits the rows into the chapters' navigation, the filters, and the
/// chosen chapter's rows under their objectives.
fn workspace(frame: &Frame, engagement: i64, rows: Vec<AuditRow>, view: &ViewQuery) -> Workspace {
    let show = Show::parse(&view.show);
    let mut numbers: Vec<u16> = rows.iter().map(|r| r.chapter).collect();
    numbers.dedup();
    let chapter = view
        .chapter
        .trim()
        .parse::<u16>()
        .ok()
        .filter(|n| numbers.contains(n))
        .or_else(|| numbers.first().copied())
        .unwrap_or(0);
    let mut groups: Vec<ChapterGroup> = Vec::new();
    for criteria in [
        Criteria::Governance,
        Criteria::Management,
        Criteria::ControlMeasures,
    ] {
        let chapters: Vec<ChapterLink> = numbers
            .iter()
            .filter(|n| Criteria::of_chapter(**n) == criteria)
            .map(|&n| {
                let in_chapter = rows.iter().filter(|r| r.chapter == n);
                ChapterLink {
                    number: n,
                    label: String::new(),
                    href: workspace_href(engagement, n, show),
                    recorded: in_chapter.clone().filter(|r| r.result.is_some()).count(),
                    total: in_chapter.count(),
                    current: n == chapter,
                }
            })
            .collect();
        if !chapters.is_empty() {
            groups.push(ChapterGroup {
                label: frame.t(&format!(
                    "web-criteria-{}",
                    criteria.key().replace('_', "-")
                )),
                chapters,
            });
        }
    }
    let in_chapter: Vec<AuditRow> = rows.into_iter().filter(|r| r.chapter == chapter).collect();
    let filters = Show::ALL
        .into_iter()
        .map(|s| FilterLink {
            key: s.key(),
            label: frame.t(&format!("audit-show-{}", s.key().replace('_', "-"))),
            href: workspace_href(engagement, chapter, s),
            count: in_chapter.iter().filter(|r| s.keeps(r)).count(),
            current: s == show,
        })
        .collect();
    let mut objectives: Vec<ObjectiveGroup> = Vec::new();
    for row in in_chapter.into_iter().filter(|r| show.keeps(r)) {
        let objective = objective_of(&row.control);
        let anchor = format!("o-{}", objective.replace('.', "-"));
        match objectives.last_mut() {
            Some(group) if group.anchor == anchor => group.rows.push(row),
            _ => objectives.push(ObjectiveGroup {
                heading: String::new(),
                anchor,
                rows: vec![row],
            }),
        }
    }
    Workspace {
        chapters: groups,
        chapter,
        chapter_title: String::new(),
        show: show.key(),
        filters,
        groups: objectives,
    }
}

/// "8.1.2" of "8.1.2.7.PB" (an objective is its own objective).
fn objective_of(control: &str) -> String {
    control.split('.').take(3).collect::<Vec<_>>().join(".")
}

/// Fills in the chapter and objective headings from the catalog.
fn name_workspace(frame: &Frame, audited: &Audited<'_>, work: &mut Workspace) {
    let chapter_name = |n: u16| {
        audited
            .catalog
            .chapter(n)
            .map(|c| format!("{n}. {}", frame.pick(&c.title.ja, &c.title.en)))
            .unwrap_or_else(|| n.to_string())
    };
    for group in &mut work.chapters {
        for c in &mut group.chapters {
            c.label = chapter_name(c.number);
        }
    }
    work.chapter_title = chapter_name(work.chapter);
    for group in &mut work.groups {
        let id = objective_of(&group.rows[0].control);
        let title = id
            .parse::<ismap_domain::ControlId>()
            .ok()
            .and_then(|c| audited.catalog.get(c.number()))
            .map(|c| frame.pick(&c.title.ja, &c.title.en).to_owned())
            .unwrap_or_default();
        group.heading = format!("{id} {title}");
    }
}

async fn engagement_page(
    state: &AppState,
    ctx: &Ctx,
    engagement: &Engagement,
    view: &ViewQuery,
) -> Result<EngagementPage, Failure> {
    let p = ctx.principal.as_ref();
    let frame = Frame::new(ctx);
    let parties = parties(engagement, p);
    let audited = audited(state, engagement).await?;
    let results = engagements::current_results(&state.db, engagement.id).await?;
    let rows: Vec<AuditRow> = audited
        .controls
        .iter()
        .map(|id| audit_row(&frame, &audited, id, results.get(&id.to_string())))
        .collect();
    let recorded = rows.iter().filter(|r| r.result.is_some()).count();
    let total = rows.len();
    let mut work = workspace(&frame, engagement.id, rows, view);
    name_workspace(&frame, &audited, &mut work);
    let can_assign = allows_engagement(p, EngagementAction::AssignAuditors, parties);
    let sees_evidence = p.is_some_and(|p| {
        allows_file(
            Some(p),
            engagement.audit_organization_id,
            FileUse::AuditEvidence(parties),
        )
    });
    let evidence = if sees_evidence {
        engagements::evidence(&state.db, engagement.id)
            .await?
            .into_iter()
            .map(|l| EvidenceView {
                control: l.control_id,
                note: l.note,
                file_id: l.file.id,
                file_name: l.file.file_name,
                size: l.file.size,
                sha256: l.file.sha256,
                erased: l.file.erased,
            })
            .collect()
    } else {
        Vec::new()
    };
    let candidates = if can_assign {
        users::with_role(&state.db, engagement.audit_organization_id, Role::Auditor)
            .await?
            .into_iter()
            .filter(|u| !engagement.is_assigned(u.id))
            .map(|u| (u.id, u.display_name))
            .collect()
    } else {
        Vec::new()
    };
    let reports = engagements::reports(&state.db, engagement.id).await?;
    let latest = reports.last();
    let deficiencies = match latest {
        Some(report) => snapshot_of(report)?
            .rows
            .into_iter()
            .filter(|r| r.result() == Some(AuditResult::Deficiency))
            .map(|r| DeficiencyView {
                title: frame.pick(&r.title_ja, &r.title_en).to_owned(),
                control: r.control,
                finding: r.finding,
            })
            .collect(),
        None => Vec::new(),
    };
    let improvements = improvement::items(&state.db, engagement.id)
        .await?
        .into_iter()
        .map(|i| ImprovementView {
            id: i.id,
            control: i.control_id,
            measure: i.measure,
            due_date: frame.day(&i.due_date),
            status: frame.label("improvement-status", i.status.key()),
            status_key: i.status.key().to_owned(),
        })
        .collect();
    let liu = crate::pages::catalog::liu_plan_view(
        &frame,
        audited.catalog,
        &ismap_domain::audit::plan_cycle(audited.catalog, audited.scope.scope),
    );
    let liu_year = frame.tr(
        "liu-plan-engagement-year",
        &[
            ("year", engagement.cycle_year.to_string()),
            ("years", engagement.cycle_years.to_string()),
        ],
    );
    Ok(EngagementPage {
        liu,
        liu_year,
        e: row(&frame, engagement),
        engagement_id: engagement.id,
        statement_id: engagement.statement_id,
        revision: engagement.revision,
        auditors: engagement.auditors.iter().map(|(_, n)| n.clone()).collect(),
        candidates,
        can_assign,
        can_audit: allows_engagement(p, EngagementAction::Audit, parties),
        can_issue: allows_engagement(p, EngagementAction::IssueReport, parties),
        can_improve: allows_engagement(p, EngagementAction::Improve, parties),
        sees_evidence,
        recorded,
        total,
        work,
        evidence,
        latest_report: latest.map(|r| r.issue),
        next_issue: latest.map_or(1, |r| r.issue + 1),
        reports: reports
            .iter()
            .map(|r| ReportLink {
                issue: r.issue,
                issued_at: frame.when(&r.issued_at),
                reason: r.reason.clone(),
            })
            .collect(),
        deficiencies,
        improvements,
        today: today().to_string(),
        frame,
    })
}

pub fn snapshot_of(report: &engagements::Report) -> Result<ReportSnapshot, Failure> {
    serde_json::from_value(report.content.clone())
        .map_err(|e| Failure::Internal(format!("report {}: {e}", report.id)))
}

pub async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(view): Query<ViewQuery>,
) -> Result<Response, PageError> {
    let engagement = load(&state, ctx.principal.as_ref(), id, EngagementAction::View).await?;
    render(&engagement_page(&state, &ctx, &engagement, &view).await?)
}

#[derive(Deserialize)]
pub struct AssignForm {
    #[serde(default)]
    user_id: String,
}

pub async fn assign(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(form): Form<AssignForm>,
) -> Result<Response, PageError> {
    let p = ctx.principal.as_ref();
    let engagement = load(&state, p, id, EngagementAction::AssignAuditors).await?;
    let auditors =
        users::with_role(&state.db, engagement.audit_organization_id, Role::Auditor).await?;
    let chosen = form.user_id.trim().parse::<i64>().ok();
    let Some(user) = auditors.iter().find(|u| Some(u.id) == chosen) else {
        return Err(Failure::Invalid {
            field: "user_id".into(),
            message: ismap_i18n::Messages::get().text(ctx.lang, "audit-assign-choose", &[]),
        }
        .into());
    };
    if engagement.is_assigned(user.id) {
        return Err(Failure::Conflict(ismap_i18n::Messages::get().text(
            ctx.lang,
            "audit-assign-already",
            &[("name", user.display_name.clone())],
        ))
        .into());
    }
    engagements::assign_auditor(&state.db, &actor(p)?, &engagement, user.id)
        .await
        .map_err(|e| match e {
            ismap_store::StoreError::Conflict(_) => {
                Failure::Conflict(ismap_i18n::Messages::get().text(
                    ctx.lang,
                    "audit-assign-already",
                    &[("name", user.display_name.clone())],
                ))
            }
            other => other.into(),
        })?;
    Ok(see_other(&headers, &format!("/engagements/{id}")))
}

pub fn is_htmx(headers: &HeaderMap) -> bool {
    headers.contains_key("hx-request")
}

/// A row's form: the result, and the recording it was seen with.
#[derive(Debug, Default, Deserialize)]
pub struct RowForm {
    #[serde(default)]
    result: String,
    #[serde(default)]
    performed: String,
    #[serde(default)]
    finding: String,
    #[serde(default)]
    samples: String,
    /// The id of the latest recording when the row was shown ("0": none);
    /// absent, the save does not look (a form of an older page).
    #[serde(default)]
    seen: Option<String>,
}

/// The expected latest recording of a control, from a form's "seen".
fn parse_seen(text: &str) -> Result<Option<i64>, Failure> {
    match text.trim().parse::<i64>() {
        Ok(0) => Ok(None),
        Ok(id) if id > 0 => Ok(Some(id)),
        _ => Err(Failure::Invalid {
            field: "seen".into(),
            message: format!("{text:?}"),
        }),
    }
}

/// The rows of `saved`, freshly rendered, with the progress counters (the
/// answer to a save through htmx).
async fn saved_rows(
    state: &AppState,
    ctx: &Ctx,
    engagement: &Engagement,
    audited: &Audited<'_>,
    saved: &[ResultRecord],
    oob: bool,
    status: Option<String>,
) -> Result<Response, PageError> {
    let frame = Frame::new(ctx);
    let results = engagements::current_results(&state.db, engagement.id).await?;
    let mut rows = Vec::new();
    let mut chapters: Vec<u16> = Vec::new();
    for record in saved {
        let id = audited
            .controls
            .iter()
            .find(|c| c.to_string() == record.control_id)
            .ok_or_else(|| Failure::Internal("the saved control left the scope".into()))?;
        let mut row = audit_row(&frame, audited, id, results.get(&record.control_id));
        row.oob = oob;
        if !chapters.contains(&row.chapter) {
            chapters.push(row.chapter);
        }
        rows.push(row);
    }
    let chapter_counts = chapters
        .into_iter()
        .map(|n| {
            let in_chapter = audited.controls.iter().filter(|c| c.chapter() == n);
            let total = in_chapter.clone().count();
            let recorded = in_chapter
                .filter(|c| results.contains_key(&c.to_string()))
                .count();
            (n, format!("{recorded} / {total}"))
        })
        .collect();
    let recorded = audited
        .controls
        .iter()
        .filter(|c| results.contains_key(&c.to_string()))
        .count();
    render(&AuditRowsFragment {
        progress: progress_text(&frame, recorded, audited.controls.len()),
        page: RowPage {
            frame,
            engagement_id: engagement.id,
            // The save itself was allowed only to an assigned auditor.
            can_audit: true,
        },
        rows,
        chapter_counts,
        status,
    })
}

pub async fn record_result(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path((id, control)): Path<(i64, String)>,
    Form(form): Form<RowForm>,
) -> Result<Response, PageError> {
    let p = ctx.principal.as_ref();
    let engagement = load(&state, p, id, EngagementAction::Audit).await?;
    let audited = audited(&state, &engagement).await?;
    let input = ResultInput {
        result: form.result,
        performed: form.performed,
        finding: form.finding,
        samples: form.samples,
    };
    let checked = audit_ops::check(ctx.lang, &audited, &control, &input)?;
    let seen = match form.seen.as_deref() {
        Some(text) => parse_seen(text)?,
        // No expectation sent: the save follows whatever is there now.
        None => engagements::current_results(&state.db, engagement.id)
            .await?
            .get(&checked.control.to_string())
            .map(|r| r.id),
    };
    let saved = audit_ops::record_seen(
        &state,
        ctx.lang,
        &actor(p)?,
        &engagement,
        &[(checked.control, seen)],
        &input,
        checked.result,
    )
    .await?;
    if !is_htmx(&headers) {
        let anchor = checked.control.to_string().replace('.', "-");
        return Ok(Redirect::to(&format!(
            "/engagements/{id}?chapter={}#c-{anchor}",
            checked.control.chapter()
        ))
        .into_response());
    }
    saved_rows(&state, &ctx, &engagement, &audited, &saved, false, None).await
}

/// Marks the chosen controls conforming with one procedure text, all or
/// none: each checkbox sends "control@seen".
pub async fn record_bulk(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let p = ctx.principal.as_ref();
    let engagement = load(&state, p, id, EngagementAction::Audit).await?;
    let audited = audited(&state, &engagement).await?;
    let field = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let messages = ismap_i18n::Messages::get();
    let mut chosen: Vec<(ismap_domain::ControlId, Option<i64>)> = Vec::new();
    for (_, value) in fields.iter().filter(|(k, _)| k == "control") {
        let (control, seen) = value.rsplit_once('@').unwrap_or((value.as_str(), ""));
        let control = audit_ops::in_scope(ctx.lang, &audited, control)?;
        let seen = parse_seen(seen)?;
        if !chosen.iter().any(|(c, _)| c.number() == control.number()) {
            chosen.push((control, seen));
        }
    }
    if chosen.is_empty() {
        return Err(Failure::Invalid {
            field: "control".into(),
            message: messages.text(ctx.lang, "audit-bulk-none", &[]),
        }
        .into());
    }
    let input = ResultInput {
        result: AuditResult::Conforming.key().into(),
        performed: field("performed"),
        finding: String::new(),
        samples: String::new(),
    };
    // The same rules as one row's save, checked for every control first.
    for (control, _) in &chosen {
        audit_ops::check(ctx.lang, &audited, &control.to_string(), &input)?;
    }
    let saved = audit_ops::record_seen(
        &state,
        ctx.lang,
        &actor(p)?,
        &engagement,
        &chosen,
        &input,
        AuditResult::Conforming,
    )
    .await?;
    if !is_htmx(&headers) {
        let chapter = field("chapter")
            .trim()
            .parse::<u16>()
            .unwrap_or_else(|_| chosen[0].0.chapter());
        return Ok(
            Redirect::to(&workspace_href(id, chapter, Show::parse(&field("show")))).into_response(),
        );
    }
    let status = messages.text(
        ctx.lang,
        "audit-bulk-done",
        &[("count", saved.len().to_string())],
    );
    saved_rows(
        &state,
        &ctx,
        &engagement,
        &audited,
        &saved,
        true,
        Some(status),
    )
    .await
}

pub async fn add_evidence(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(id): Path<i64>,
    multipart: Multipart,
) -> Result<Response, PageError> {
    let p = ctx.principal.as_ref();
    let engagement = load(&state, p, id, EngagementAction::Audit).await?;
    let master = uploads::master_key(&state)?;
    let max = state.config.max_upload_bytes;
    let messages = ismap_i18n::Messages::get();
    let upload = uploads::read(multipart, max)
        .await
        .map_err(|e| audit_ops::upload_failure(ctx.lang, e, max))?;
    let audited = audited(&state, &engagement).await?;
    let control = audit_ops::in_scope(ctx.lang, &audited, upload.text("control"))?;
    let (file_name, declared, bytes) = upload.file().ok_or_else(|| Failure::Invalid {
        field: "file".into(),
        message: messages.text(ctx.lang, "audit-upload-choose", &[]),
    })?;
    let content_type = audit_ops::check_upload(ctx.lang, "file", file_name, declared, bytes, max)?;
    engagements::add_evidence(
        &state.db,
        master,
        &actor(p)?,
        &engagement,
        &control.to_string(),
        upload.text("note").trim(),
        NewFile {
            organization_id: engagement.audit_organization_id,
            file_name,
            content_type: &content_type,
            bytes,
        },
    )
    .await?;
    Ok(see_other(&headers, &format!("/engagements/{id}#evidence")))
}

/// After a form: htmx follows `HX-Redirect`, a plain form a 303.
pub fn see_other(headers: &HeaderMap, to: &str) -> Response {
    if is_htmx(headers) {
        ([("hx-redirect", to.to_owned())], "").into_response()
    } else {
        Redirect::to(to).into_response()
    }
}

#[derive(Deserialize)]
pub struct IssueForm {
    #[serde(default)]
    reason: String,
}

pub async fn issue_report(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(form): Form<IssueForm>,
) -> Result<Response, PageError> {
    let p = ctx.principal.as_ref();
    let engagement = load(&state, p, id, EngagementAction::IssueReport).await?;
    let messages = ismap_i18n::Messages::get();
    let issued = engagements::reports(&state.db, id).await?;
    if let Some(last) = issued.last()
        && form.reason.trim().is_empty()
    {
        // A state the page may not have shown (issued a moment ago): 409.
        return Err(Failure::Conflict(messages.text(
            ctx.lang,
            "audit-reissue-reason-required",
            &[("issue", last.issue.to_string())],
        ))
        .into());
    }
    let audited = audited(&state, &engagement).await?;
    let results = engagements::current_results(&state.db, engagement.id).await?;
    let snapshot = audit_ops::snapshot_in(ctx.lang, &engagement, &audited, &results)?;
    let content = serde_json::to_value(&snapshot).map_err(|e| Failure::Internal(e.to_string()))?;
    let report = engagements::issue_report(
        &state.db,
        &actor(p)?,
        &engagement,
        &content,
        form.reason.trim(),
    )
    .await
    .map_err(|e| match e {
        ismap_store::StoreError::Conflict(_) => {
            Failure::Conflict(messages.text(ctx.lang, "audit-issue-conflict", &[]))
        }
        other => other.into(),
    })?;
    Ok(see_other(
        &headers,
        &format!("/engagements/{id}/reports/{}", report.issue),
    ))
}

#[derive(Template)]
#[template(path = "report.html")]
struct ReportPage {
    frame: Frame,
    engagement_id: i64,
    issue: i64,
    issued_at: When,
    reason: String,
    report: ReportSnapshot,
    period: String,
    scope: String,
    later_issue: Option<i64>,
}

impl ReportPage {
    fn result_label(&self, key: &str) -> String {
        if key.is_empty() {
            String::new()
        } else {
            self.frame.t(&format!("web-result-{key}"))
        }
    }
}

async fn issued(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    issue: i64,
) -> Result<(Engagement, engagements::Report, ReportSnapshot), Failure> {
    let engagement = load(state, ctx.principal.as_ref(), id, EngagementAction::View).await?;
    let report = engagements::report(&state.db, id, issue).await?;
    let snapshot = snapshot_of(&report)?;
    Ok((engagement, report, snapshot))
}

pub async fn show_report(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, issue)): Path<(i64, i64)>,
) -> Result<Response, PageError> {
    let (engagement, report, snapshot) = issued(&state, &ctx, id, issue).await?;
    let later = engagements::reports(&state.db, id)
        .await?
        .last()
        .map(|r| r.issue)
        .filter(|&latest| latest > issue);
    let frame = Frame::new(&ctx);
    render(&ReportPage {
        scope: scope_label(&frame, &engagement),
        engagement_id: id,
        issue,
        issued_at: frame.when(&report.issued_at),
        period: format!(
            "{} – {}",
            frame.day(&snapshot.period_start),
            frame.day(&snapshot.period_end)
        ),
        reason: report.reason,
        report: snapshot,
        later_issue: later,
        frame,
    })
}

pub async fn report_xlsx(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, issue)): Path<(i64, i64)>,
) -> Result<Response, PageError> {
    let (_, report, snapshot) = issued(&state, &ctx, id, issue).await?;
    let bytes = to_xlsx(&snapshot, issue, &report.issued_at)
        .map_err(|e| Failure::Internal(format!("report workbook: {e}")))?;
    Ok(xlsx_download(
        bytes,
        &format!("ismap-report-{id}-{issue}.xlsx"),
    ))
}

/// A workbook as a download.
pub fn xlsx_download(bytes: Vec<u8>, file_name: &str) -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_owned(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file_name}\""),
            ),
        ],
        bytes,
    )
        .into_response()
}

fn json_download(value: &serde_json::Value, file_name: &str) -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/json".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file_name}\""),
            ),
        ],
        value.to_string(),
    )
        .into_response()
}

/// The issued report as OSCAL assessment-results.
pub async fn report_oscal(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, issue)): Path<(i64, i64)>,
) -> Result<Response, PageError> {
    let (_, report, snapshot) = issued(&state, &ctx, id, issue).await?;
    let document = ismap_formats::oscal_assessment::report_to_assessment_results(
        &snapshot,
        issue,
        &report.issued_at,
    );
    Ok(json_download(
        &document,
        &format!("ismap-assessment-results-{id}-{issue}.json"),
    ))
}

/// The improvement plan as an OSCAL POA&M, against the latest issued report.
pub async fn improvements_oscal(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    load(&state, ctx.principal.as_ref(), id, EngagementAction::View).await?;
    let reports = engagements::reports(&state.db, id).await?;
    let say = |id: &str| ismap_i18n::Messages::get().text(ctx.lang, id, &[]);
    let report = reports
        .last()
        .ok_or_else(|| Failure::Conflict(say("audit-improvement-no-report")))?;
    let items = improvement::items(&state.db, id).await?;
    if items.is_empty() {
        return Err(Failure::Conflict(say("audit-improvement-empty")).into());
    }
    let due: Vec<String> = items.iter().map(|i| i.due_date.to_string()).collect();
    let plan: Vec<ismap_formats::oscal_assessment::PlanItem<'_>> = items
        .iter()
        .zip(&due)
        .map(|(i, due)| ismap_formats::oscal_assessment::PlanItem {
            id: i.id,
            control: &i.control_id,
            measure: &i.measure,
            due_date: due,
            status: i.status.key(),
        })
        .collect();
    let last_modified = items
        .iter()
        .map(|i| i.updated_at.as_str())
        .max()
        .unwrap_or(&report.issued_at);
    let document =
        ismap_formats::oscal_assessment::plan_to_poam(&snapshot_of(report)?, &plan, last_modified);
    Ok(json_download(&document, &format!("ismap-poam-{id}.json")))
}

#[derive(Deserialize)]
pub struct ImprovementForm {
    control: String,
    measure: String,
    due_date: String,
}

pub async fn add_improvement(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(form): Form<ImprovementForm>,
) -> Result<Response, PageError> {
    let p = ctx.principal.as_ref();
    let engagement = load(&state, p, id, EngagementAction::Improve).await?;
    let messages = ismap_i18n::Messages::get();
    let say = |id: &str, args: &[(&str, String)]| messages.text(ctx.lang, id, args);
    let reports = engagements::reports(&state.db, id).await?;
    let report = reports
        .last()
        .ok_or_else(|| Failure::Conflict(say("audit-improvement-no-report", &[])))?;
    let snapshot = snapshot_of(report)?;
    let control =
        crate::error::parse_control(&form.control, "control").map_err(|_| Failure::Invalid {
            field: "control".into(),
            message: say(
                "audit-control-unreadable",
                &[("text", form.control.trim().to_owned())],
            ),
        })?;
    let row = snapshot.rows.iter().find(|r| {
        r.control
            .parse::<ismap_domain::ControlId>()
            .is_ok_and(|c| c.number() == control.number())
    });
    let due = parse_date(&form.due_date, "due_date").map_err(|_| Failure::Invalid {
        field: "due_date".into(),
        message: say("audit-improvement-due-invalid", &[]),
    })?;
    // The report's day in Japan, as its page shows it.
    let issued_on = crate::text::japan_day(&report.issued_at)
        .ok_or_else(|| Failure::Internal(format!("report issued at {:?}", report.issued_at)))?;
    check_improvement(
        control,
        row.and_then(|r| r.result()),
        &form.measure,
        due,
        issued_on,
    )
    .map_err(|e| {
        let (field, message) = match e {
            ImprovementError::NotADeficiency(c) => (
                "control",
                say(
                    "audit-improvement-not-deficiency",
                    &[("control", c.to_string())],
                ),
            ),
            ImprovementError::EmptyMeasure(c) => (
                "measure",
                say(
                    "audit-improvement-empty-measure",
                    &[("control", c.to_string())],
                ),
            ),
            ImprovementError::DueBeforeReport { due, issued } => (
                "due_date",
                say(
                    "audit-improvement-due-before-report",
                    &[("due", due.to_string()), ("issued", issued.to_string())],
                ),
            ),
        };
        Failure::Invalid {
            field: field.into(),
            message,
        }
    })?;
    improvement::add(
        &state.db,
        &actor(p)?,
        &engagement,
        improvement::NewItem {
            report_id: report.id,
            control_id: &row.map_or(control.to_string(), |r| r.control.clone()),
            measure: form.measure.trim(),
            due_date: due,
        },
    )
    .await?;
    Ok(see_other(
        &headers,
        &format!("/engagements/{id}#improvement"),
    ))
}

#[derive(Deserialize)]
pub struct StatusForm {
    status: String,
    #[serde(default)]
    reason: String,
}

pub async fn improvement_status(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(item_id): Path<i64>,
    Form(form): Form<StatusForm>,
) -> Result<Response, PageError> {
    let p = Some(crate::policy::signed_in(ctx.principal.as_ref())?);
    let item = improvement::get(&state.db, item_id).await?;
    // Not a party to its engagement: as if the measure did not exist.
    let engagement = load(&state, p, item.engagement_id, EngagementAction::Improve)
        .await
        .map_err(|e| match e {
            Failure::NotFound(_) => crate::policy::hidden("improvement measure", item_id),
            other => other,
        })?;
    let status = ImprovementStatus::from_key(&form.status).ok_or_else(|| Failure::Invalid {
        field: "status".into(),
        message: ismap_i18n::Messages::get().text(
            ctx.lang,
            "audit-improvement-status-unknown",
            &[],
        ),
    })?;
    improvement::set_status(
        &state.db,
        &actor(p)?,
        &engagement,
        &item,
        status,
        form.reason.trim(),
    )
    .await?;
    Ok(see_other(
        &headers,
        &format!("/engagements/{}#improvement", engagement.id),
    ))
}

/// Engagement counts for a dashboard: (waiting for auditors, in progress, reported).
pub fn status_counts(engagements: &[Engagement]) -> BTreeMap<&'static str, usize> {
    let mut counts = BTreeMap::new();
    for status in EngagementStatus::ALL {
        counts.insert(
            status.key(),
            engagements.iter().filter(|e| e.status == status).count(),
        );
    }
    counts
}
