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
    /// An improvement plan has measures not completed (spec §4).
    pub open_plan: bool,
}

pub struct EventRow {
    pub at: String,
    pub actor: String,
    pub action: String,
    pub object: String,
}

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
    is_agency: bool,
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
    open_improvements: usize,
    /// The provider's registrations, soonest expiry first, with the 90/30-day warning.
    renewals: Vec<RenewalRow>,
    /// Applications this person acts on: IPA's queue (oldest first), the
    /// committee's agenda, the provider's own.
    applications: Vec<crate::pages::applications::ApplicationRow>,
    /// The secretariat's overview: (label, count).
    overview: Vec<(String, usize)>,
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
    scope: Option<i64>,
) -> Result<Vec<ServiceRow>, PageError> {
    let mut rows = Vec::new();
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
        rows.push(ServiceRow {
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
    Ok(events::list(&state.db, scope, limit)
        .await?
        .into_iter()
        .map(|e| EventRow {
            at: e.at,
            actor: e.actor,
            action: e.action,
            object: format!("{} {}", e.object_type, e.object_id),
        })
        .collect())
}

pub async fn home(State(state): State<AppState>, ctx: Ctx) -> Result<Response, PageError> {
    let frame = Frame::new(&ctx);
    let catalog = state.default_catalog();
    let p = ctx.principal.as_ref();
    let has = |role| p.is_some_and(|p| p.has(role));
    let services = match service_scope(p) {
        Some(scope) => services_for(&state, scope).await?,
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
    let mut overview = Vec::new();
    if let Some(p) = p {
        if p.organization.kind == ismap_domain::OrgKind::Csp {
            renewals = ismap_store::registrations::current(&state.db, Some(p.organization.id))
                .await?
                .iter()
                .map(|r| RenewalRow {
                    href: format!("/lists/{}/{}", r.list.key(), r.number),
                    number: r.number.clone(),
                    name: r.name.clone(),
                    valid_until: r.valid_until.to_string(),
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
        if has(Role::SecretariatOfficer) {
            for state_key in ismap_domain::review::ApplicationState::ALL {
                let n = mine.iter().filter(|a| a.state == state_key).count();
                overview.push((frame.t(&format!("web-app-state-{}", state_key.key())), n));
            }
            let current = ismap_store::registrations::current(&state.db, None).await?;
            overview.push((
                frame.t("web-card-registrations"),
                current
                    .iter()
                    .filter(|r| r.status(today).is_listed())
                    .count(),
            ));
            overview.push((
                frame.t("web-expiry-warning"),
                current
                    .iter()
                    .filter(|r| {
                        ismap_domain::registration::expiry_warning(r.valid_until, today).is_some()
                    })
                    .count(),
            ));
        }
    }
    let page = HomePage {
        renewals,
        applications,
        overview,
        is_audit_org: has(Role::Auditor) || has(Role::AuditManager),
        engagements,
        expiring,
        open_improvements,
        role_names: p
            .map(|p| {
                p.roles
                    .iter()
                    .map(|r| frame.t(&format!("role-{}", r.key())))
                    .collect()
            })
            .unwrap_or_default(),
        signed_in: p.is_some(),
        is_csp: has(Role::CspAdmin) || has(Role::CspEditor),
        is_reviewer: has(Role::Reviewer),
        is_committee: has(Role::CommitteeMember),
        is_secretariat,
        is_agency: has(Role::AgencyOfficer),
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
