//! `/`: a welcome for visitors, a dashboard for each role.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use ismap_domain::Role;
use ismap_store::{events, orgs, services, statements, users};

use crate::AppState;
use crate::auth::Ctx;
use crate::error::PageError;
use crate::pages::render;
use crate::policy::{event_scope, service_scope};
use crate::text::Frame;

pub struct ServiceRow {
    pub id: i64,
    pub name: String,
    pub organization: String,
    pub model: &'static str,
    pub statements: usize,
    /// Errors and warnings of the latest revision of the latest statement.
    pub latest: Option<(i64, i64, i64)>,
    /// Where that statement can be opened by the person looking, if anywhere
    /// (the provider: always; IPA and the committee: once submitted).
    pub latest_href: Option<String>,
    /// An improvement plan has measures not completed (spec §4).
    pub open_plan: bool,
}

/// An activity-feed entry; `event_table.html` shows it as a sentence
/// (`frame.event`) with its time (`frame.when`).
pub type EventRow = events::NamedEvent;

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    frame: Frame,
    signed_in: bool,
    role_names: Vec<String>,
    /// Which dashboard cards to show.
    is_csp: bool,
    is_reviewer: bool,
    is_committee: bool,
    is_secretariat: bool,
    services: Vec<ServiceRow>,
    events: Vec<EventRow>,
    organization_count: usize,
    user_count: i64,
    catalog_title: String,
    catalog_controls: usize,
    is_audit_org: bool,
    engagements: Vec<crate::pages::engagements::EngagementRow>,
    /// The provider's evidence expiring within the warning window or expired.
    expiring: Vec<crate::pages::evidence::ItemView>,
    /// The provider's ISMAP-LIU services whose internal audit coverage is
    /// incomplete or leaves the window soon (pages/internal_audits.rs).
    internal_audit_warnings: Vec<crate::pages::internal_audits::DashboardRow>,
    /// ISMAP-LIU assessments and pre-applications waiting for the person.
    liu_cards: Vec<crate::pages::impact_assessments::DashCard>,
    /// Government viewers: the entries in force on the special measures
    /// service list (pages/special_measures.rs); `None` for anyone else.
    special_measures_card: Option<usize>,
    /// Agencies' people and the secretariat: interim measures (pages/interim.rs).
    interim_card: Option<crate::pages::interim::Card>,
    /// The secretariat: the operations report card (pages/operations_report.rs).
    opsreport_card: Option<crate::pages::operations_report::Card>,
    /// Agencies' people and the secretariat: the channel (pages/channel.rs).
    channel_card: Option<crate::pages::channel::ChannelCard>,
    /// Agencies' people: their cloud usage register by status and path
    /// (pages/register.rs).
    register_card: Option<crate::pages::register::Card>,
    open_improvements: usize,
    /// The provider's registrations, soonest expiry first, with the 90/30-day warning.
    renewals: Vec<RenewalRow>,
    /// Applications this person acts on: IPA's queue (oldest first), the
    /// committee's agenda, the provider's own.
    applications: Vec<crate::pages::applications::ApplicationRow>,
    /// The committee's agenda: applications referred to it awaiting its decision.
    agenda: usize,
    /// IPA's queue: applications waiting for its review.
    queue: usize,
    /// The provider's open questions from IPA, soonest due first.
    tasks: Vec<TaskRow>,
    /// The secretariat's pipeline: applications by state.
    pipeline: Vec<CountLink>,
    /// The secretariat's view of the public lists: what each shows.
    listed: Vec<CountLink>,
}

/// A count on a dashboard and the list it counts.
pub struct CountLink {
    /// The element id of the count (`pipeline-technical_review`).
    pub id: String,
    pub label: String,
    pub count: usize,
    pub href: String,
}

/// Something the provider has to do: answer a question from IPA.
pub struct TaskRow {
    pub href: String,
    /// 「申請 #3（サービス名）の質問に回答する」
    pub label: String,
    pub application: i64,
    pub service: String,
    pub question: String,
    pub due: String,
    pub due_sort: chrono::NaiveDate,
    pub overdue: bool,
}

/// The application states the secretariat's pipeline counts, in order.
const PIPELINE: [ismap_domain::review::ApplicationState; 9] =
    ismap_domain::review::ApplicationState::ALL;

/// The days of the lists' expiry filter the secretariat's dashboard counts
/// (the first expiry warning, spec §6).
pub const EXPIRING_DAYS: i64 = 90;

/// How many entries the public list `list` shows today, all or those
/// expiring within `expiring` days: the very query the list page runs.
async fn listed_count(
    state: &AppState,
    list: ismap_domain::registration::ListKind,
    expiring: Option<i64>,
    today: chrono::NaiveDate,
) -> Result<usize, PageError> {
    let query = ismap_store::registrations::ListQuery {
        list,
        text: None,
        model: None,
        status: None,
        expiring_within: expiring,
        sort: ismap_store::registrations::Sort::Number,
        descending: false,
        page: 1,
        per_page: 1,
    };
    let (total, _) = ismap_store::registrations::public_list(&state.db, &query, today).await?;
    Ok(usize::try_from(total).unwrap_or(0))
}

pub struct RenewalRow {
    pub number: String,
    pub href: String,
    pub name: String,
    pub valid_until: String,
    pub warning: Option<i64>,
    pub renewal_pending: bool,
}

pub async fn services_for(
    state: &AppState,
    p: Option<&crate::policy::Principal>,
    scope: Option<i64>,
) -> Result<Vec<ServiceRow>, PageError> {
    let mut rows = Vec::new();
    // Statements the overseeing bodies may open: those submitted in an
    // application, for those who read submitted statements.
    let submitted: std::collections::HashSet<i64> = if scope.is_none()
        && crate::policy::allows(p, crate::policy::Action::ReadSubmittedStatement, None)
    {
        ismap_store::applications::list(&state.db, None)
            .await?
            .iter()
            .map(|a| a.statement_id)
            .collect()
    } else {
        std::collections::HashSet::new()
    };
    let open_plans = ismap_store::improvement::services_with_open_plans(&state.db).await?;
    for service in services::list(&state.db, scope).await? {
        let statements = statements::of_service(&state.db, service.id).await?;
        let latest = match statements.last() {
            Some(s) => {
                let revision = statements::revision_at(&state.db, s.id, s.latest_revision).await?;
                Some((s.id, revision.errors, revision.warnings))
            }
            None => None,
        };
        let latest_href = latest
            .filter(|(id, _, _)| {
                crate::policy::allows(
                    p,
                    crate::policy::Action::ViewStatement,
                    Some(service.organization_id),
                ) || submitted.contains(id)
            })
            .map(|(id, _, _)| format!("/statements/{id}"));
        rows.push(ServiceRow {
            latest_href,
            id: service.id,
            name: service.name,
            organization: service.organization_name,
            model: service.model.key(),
            statements: statements.len(),
            latest,
            open_plan: open_plans.contains(&service.id),
        });
    }
    Ok(rows)
}

pub async fn recent_events(
    state: &AppState,
    scope: Option<i64>,
    limit: i64,
) -> Result<Vec<EventRow>, PageError> {
    Ok(events::list_named(&state.db, scope, limit).await?)
}

pub async fn home(State(state): State<AppState>, ctx: Ctx) -> Result<Response, PageError> {
    let frame = Frame::new(&ctx);
    let catalog = state.default_catalog();
    let p = ctx.principal.as_ref();
    let has = |role| p.is_some_and(|p| p.has(role));
    let services = match service_scope(p) {
        Some(scope) => services_for(&state, p, scope).await?,
        None => Vec::new(),
    };
    let events = match event_scope(p) {
        Some(scope) => recent_events(&state, scope, 10).await?,
        None => Vec::new(),
    };
    let is_secretariat = has(Role::SecretariatOfficer);
    let (organization_count, user_count) = if is_secretariat {
        (
            orgs::list(&state.db).await?.len(),
            users::count(&state.db).await?,
        )
    } else {
        (0, 0)
    };
    let mut engagements = Vec::new();
    let mut expiring = Vec::new();
    let mut open_improvements = 0;
    if let Some(p) = p {
        for e in crate::pages::engagements::visible(&state, p).await? {
            open_improvements += ismap_store::improvement::items(&state.db, e.id)
                .await?
                .iter()
                .filter(|i| i.status.is_open())
                .count();
            engagements.push(crate::pages::engagements::row(&frame, &e));
        }
        if crate::policy::allows(
            Some(p),
            crate::policy::Action::ManageEvidenceLibrary,
            Some(p.organization.id),
        ) {
            let until = crate::today()
                + chrono::Duration::days(ismap_domain::audit_work::EVIDENCE_WARNING_DAYS);
            expiring = ismap_store::evidence_library::expiring(&state.db, p.organization.id, until)
                .await?
                .iter()
                .map(|i| crate::pages::evidence::item_view(&frame, i))
                .collect();
        }
    }
    let today = crate::today();
    let mut renewals = Vec::new();
    let mut applications = Vec::new();
    let mut pipeline = Vec::new();
    let mut listed = Vec::new();
    let mut tasks = Vec::new();
    let mut agenda = 0;
    let mut queue = 0;
    if let Some(p) = p {
        if p.organization.kind == ismap_domain::OrgKind::Csp {
            renewals = ismap_store::registrations::current(&state.db, Some(p.organization.id))
                .await?
                .iter()
                .map(|r| RenewalRow {
                    href: format!("/lists/{}/{}", r.list.key(), r.number),
                    number: r.number.clone(),
                    name: r.name.clone(),
                    valid_until: frame.day(&r.valid_until),
                    warning: ismap_domain::registration::expiry_warning(r.valid_until, today),
                    renewal_pending: r.renewal_pending,
                })
                .collect();
        }
        let mine = crate::pages::applications::visible(&state, p).await?;
        let wanted = |a: &ismap_store::applications::Application| {
            if has(Role::Reviewer) {
                a.state.is_with_reviewer()
            } else if has(Role::CommitteeMember) {
                a.state == ismap_domain::review::ApplicationState::ReferredToCommittee
            } else {
                !a.state.is_final()
            }
        };
        applications = mine
            .iter()
            .filter(|a| wanted(a))
            .map(|a| crate::pages::applications::application_row(&frame, a))
            .collect();
        applications.sort_by_key(|a| -a.age_days);
        agenda = mine
            .iter()
            .filter(|a| a.state == ismap_domain::review::ApplicationState::ReferredToCommittee)
            .count();
        queue = mine.iter().filter(|a| a.state.is_with_reviewer()).count();
        if p.organization.kind == ismap_domain::OrgKind::Csp {
            for a in mine.iter().filter(|a| !a.state.is_final()) {
                for q in ismap_store::applications::questions(&state.db, a.id).await? {
                    if q.answer.is_none() {
                        tasks.push(TaskRow {
                            href: format!("/applications/{}#q-{}", a.id, q.id),
                            label: frame.tr(
                                "review-dash-task-answer",
                                &[
                                    ("application", a.id.to_string()),
                                    ("service", a.service_name.clone()),
                                ],
                            ),
                            application: a.id,
                            service: a.service_name.clone(),
                            question: q.question.clone(),
                            due: frame.day(&q.due_date),
                            due_sort: q.due_date,
                            overdue: q.due_date < today,
                        });
                    }
                }
            }
            tasks.sort_by_key(|t| t.due_sort);
        }
        if has(Role::SecretariatOfficer) {
            for state_key in PIPELINE {
                pipeline.push(CountLink {
                    id: format!("pipeline-{}", state_key.key()),
                    label: frame.t(&format!("web-app-state-{}", state_key.key())),
                    count: mine.iter().filter(|a| a.state == state_key).count(),
                    href: format!("/applications?state={}", state_key.key()),
                });
            }
            for list in ismap_domain::registration::ListKind::ALL {
                listed.push(CountLink {
                    id: format!("listed-{}", list.key()),
                    label: frame.t(&format!("web-list-{}", list.key())),
                    count: listed_count(&state, list, None, today).await?,
                    href: format!("/lists/{}", list.key()),
                });
                listed.push(CountLink {
                    id: format!("expiring-{}", list.key()),
                    label: frame.tr(
                        "review-dash-expiring",
                        &[
                            ("list", frame.t(&format!("web-list-{}", list.key()))),
                            ("days", EXPIRING_DAYS.to_string()),
                        ],
                    ),
                    count: listed_count(&state, list, Some(EXPIRING_DAYS), today).await?,
                    href: format!("/lists/{}?expiring={EXPIRING_DAYS}", list.key()),
                });
            }
        }
    }
    let internal_audit_warnings =
        crate::pages::internal_audits::dashboard(&state, &frame, p).await?;
    let liu_cards = crate::pages::impact_assessments::dashboard_cards(&state, &frame, p).await?;
    let special_measures_card = crate::pages::special_measures::dashboard_count(&state, p).await?;
    let interim_card = crate::pages::interim::dashboard_card(&state, &frame, p).await?;
    let channel_card = crate::pages::channel::dashboard_card(&state, &frame, p).await?;
    let register_card = crate::pages::register::dashboard_card(&state, &frame, p).await?;
    let opsreport_card =
        crate::pages::operations_report::dashboard_card(&state, p, frame.lang).await?;
    let page = HomePage {
        opsreport_card,
        channel_card,
        register_card,
        special_measures_card,
        interim_card,
        liu_cards,
        internal_audit_warnings,
        renewals,
        applications,
        agenda,
        queue,
        tasks,
        pipeline,
        listed,
        is_audit_org: has(Role::Auditor) || has(Role::AuditManager),
        engagements,
        expiring,
        open_improvements,
        role_names: p
            .map(|p| {
                p.roles
                    .iter()
                    .map(|r| frame.label("role", r.key()))
                    .collect()
            })
            .unwrap_or_default(),
        signed_in: p.is_some(),
        is_csp: has(Role::CspAdmin) || has(Role::CspEditor),
        is_reviewer: has(Role::Reviewer),
        is_committee: has(Role::CommitteeMember),
        is_secretariat,
        services,
        events,
        organization_count,
        user_count,
        catalog_title: frame
            .pick(&catalog.info().title.ja, &catalog.info().title.en)
            .to_owned(),
        catalog_controls: catalog.controls().len(),
        frame,
    };
    render(&page)
}
