//! Every route of the portal, registered through [`Table`] so that the list
//! of routes is known: the authorization test walks it and fails on any
//! route its matrix does not cover.

use axum::Router;
use axum::handler::Handler;
use axum::routing::{get, patch, post};

use crate::{AppState, api, assets, oidc, pages, signin};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Method {
    Get,
    Post,
    Patch,
}

pub struct Table {
    pub router: Router<AppState>,
    /// (method, path pattern) of every route, in registration order.
    pub routes: Vec<(Method, &'static str)>,
}

impl Table {
    fn get<H, T>(mut self, path: &'static str, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.routes.push((Method::Get, path));
        self.router = self.router.route(path, get(handler));
        self
    }

    fn post<H, T>(mut self, path: &'static str, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.routes.push((Method::Post, path));
        self.router = self.router.route(path, post(handler));
        self
    }
}

impl Table {
    fn patch<H, T>(mut self, path: &'static str, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.routes.push((Method::Patch, path));
        self.router = self.router.route(path, patch(handler));
        self
    }
}

pub fn table() -> Table {
    Table {
        router: Router::new(),
        routes: Vec::new(),
    }
    // Operations and assets.
    .get("/healthz", pages::healthz)
    .get("/assets/{file}", assets::asset)
    .get("/lang/{code}", pages::switch_language)
    // The footer pages.
    .get("/contact", pages::about::contact)
    .get("/accessibility", pages::about::accessibility)
    .get("/privacy", pages::about::privacy)
    .get("/terms", pages::about::terms)
    // Sign-in.
    .get("/signin", signin::form)
    .post("/signin", signin::submit)
    .post("/signout", signin::sign_out)
    .get("/auth/oidc/start", oidc::start)
    .get("/auth/oidc/callback", oidc::callback)
    // Pages.
    .get("/", pages::home::home)
    .get("/catalog", pages::catalog::default_catalog)
    .get("/catalogs/{id}", pages::catalog::show_catalog)
    .get("/catalogs/{id}/search", pages::catalog::search)
    .get(
        "/catalogs/{id}/controls/{control}",
        pages::catalog::show_control,
    )
    .get("/services", pages::services::list)
    .get("/services/new", pages::services::new_form)
    .post("/services", pages::services::create)
    .get("/services/{id}", pages::services::show)
    .get("/statements/{id}", pages::services::statement)
    .get(
        "/statements/{id}/chapters/{chapter}",
        pages::statement_view::chapter,
    )
    .get("/statements/{id}/edit", pages::editor::edit)
    .post(
        "/statements/{id}/controls/{control}",
        pages::editor::save_control,
    )
    .post("/statements/{id}/freeze", pages::editor::freeze)
    .post("/statements/{id}/details", pages::editor::save_details)
    .post(
        "/statements/{id}/controls/{control}/evidence",
        pages::editor::add_evidence,
    )
    .post("/statements/{id}/upgrade", pages::editor::upgrade)
    .post("/statements/{id}/risks", pages::editor::add_risk)
    .post(
        "/statements/{id}/risks/{risk}/delete",
        pages::editor::remove_risk,
    )
    .post(
        "/statements/{id}/objectives/{objective}/bulk",
        pages::editor::bulk,
    )
    .post("/services/{id}/statements", pages::editor::create)
    .get("/statements/{id}/export", pages::editor::export)
    .get("/statements/{id}/diff", pages::editor::diff)
    .post("/statements/{id}/import", pages::editor::import)
    .get("/events", pages::services::events)
    // Audits (spec §4).
    .get("/audit-organizations", pages::audit_orgs::list)
    .get("/audit-organizations.csv", pages::audit_orgs::csv)
    .post("/audit-organizations", pages::audit_orgs::register)
    .post("/audit-organizations/{id}/renew", pages::audit_orgs::renew)
    .get("/catalogs/{id}/audit-plan", pages::audit_orgs::plan)
    .get("/engagements", pages::engagements::list)
    .get("/engagements/new", pages::engagements::new_form)
    .post("/engagements", pages::engagements::create)
    .get("/engagements/{id}", pages::engagements::show)
    .post("/engagements/{id}/auditors", pages::engagements::assign)
    .post("/engagements/{id}/results", pages::engagements::record_bulk)
    .post(
        "/engagements/{id}/results/{control}",
        pages::engagements::record_result,
    )
    .post(
        "/engagements/{id}/evidence",
        pages::engagements::add_evidence,
    )
    .post(
        "/engagements/{id}/reports",
        pages::engagements::issue_report,
    )
    .get(
        "/engagements/{id}/reports/{issue}",
        pages::engagements::show_report,
    )
    .get(
        "/engagements/{id}/reports/{issue}/xlsx",
        pages::engagements::report_xlsx,
    )
    .get(
        "/engagements/{id}/reports/{issue}/oscal",
        pages::engagements::report_oscal,
    )
    .post(
        "/engagements/{id}/improvements",
        pages::engagements::add_improvement,
    )
    .get(
        "/engagements/{id}/improvements/oscal",
        pages::engagements::improvements_oscal,
    )
    .post(
        "/improvements/{id}/status",
        pages::engagements::improvement_status,
    )
    // Applications, review, registration and the public lists (spec §5, §6).
    .get("/applications", pages::applications::list)
    .get("/services/{id}/apply", pages::applications::new_form)
    .post("/services/{id}/applications", pages::applications::submit)
    .get("/applications/{id}", pages::applications::show)
    .post(
        "/applications/{id}/transitions",
        pages::applications::move_application,
    )
    .post(
        "/applications/{id}/questions/{question}",
        pages::applications::answer,
    )
    .get(
        "/applications/{id}/statement",
        pages::applications::statement_file,
    )
    .get("/applications/{id}/report", pages::applications::report)
    .post(
        "/registrations/{id}/suspension",
        pages::applications::suspension,
    )
    // Internal audits of ISMAP-LIU services (spec §7.4).
    .get(
        "/services/{id}/internal-audits",
        pages::internal_audits::list,
    )
    .post(
        "/services/{id}/internal-audits",
        pages::internal_audits::create,
    )
    .get("/internal-audits/{id}", pages::internal_audits::show)
    .get(
        "/internal-audits/{id}/report",
        pages::internal_audits::report,
    )
    .post(
        "/applications/{id}/internal-audit-check",
        pages::internal_audits::check,
    )
    // ISMAP-LIU impact assessments and pre-applications (issue 14, items 5–6).
    .get("/impact-assessments", pages::impact_assessments::list)
    .get(
        "/services/{id}/impact-assessments",
        pages::impact_assessments::service_page,
    )
    .post(
        "/services/{id}/impact-assessments",
        pages::impact_assessments::request,
    )
    .get("/impact-assessments/{id}", pages::impact_assessments::show)
    .post("/impact-assessments/{id}", pages::impact_assessments::fill)
    .post(
        "/impact-assessments/{id}/decision",
        pages::impact_assessments::decide,
    )
    .post(
        "/impact-assessments/{id}/reuse",
        pages::impact_assessments::reuse,
    )
    .get(
        "/agency/delegations",
        pages::impact_assessments::delegations_list,
    )
    .post(
        "/agency/delegations",
        pages::impact_assessments::delegations_change,
    )
    .get("/pre-applications", pages::pre_applications::list)
    .get(
        "/services/{id}/pre-applications/new",
        pages::pre_applications::new_form,
    )
    .post(
        "/services/{id}/pre-applications",
        pages::pre_applications::submit,
    )
    .get("/pre-applications/{id}", pages::pre_applications::show)
    .post(
        "/pre-applications/{id}/transitions",
        pages::pre_applications::transition,
    )
    .get(
        "/pre-applications/{id}/files/{file}",
        pages::pre_applications::download,
    )
    // The crosswalk ISMAP ↔ ISO/IEC 27001 ↔ SP 800-53 (issue 6), public.
    .get("/crosswalk", pages::crosswalk::page)
    .post("/crosswalk", pages::crosswalk::upload)
    .get("/api/v1/crosswalk", api::crosswalk_iso27001)
    .get("/lists/changes.atom", pages::lists::feed)
    .get("/lists/{list}", pages::lists::page)
    .get("/lists/{list}/export", pages::lists::export)
    .get("/lists/{list}/{number}", pages::lists::entry)
    .get("/api/v1/lists/{list}", api::list_page)
    // The special measures service list (spec §7.5): government bodies only.
    .get("/special-measures", pages::special_measures::list)
    .post("/special-measures", pages::special_measures::add)
    .get("/special-measures.csv", pages::special_measures::export)
    .post(
        "/special-measures/import",
        pages::special_measures::import_file,
    )
    .get("/special-measures/{id}", pages::special_measures::show)
    .post("/special-measures/{id}/end", pages::special_measures::end)
    // Issue 15 (register): the cloud usage register, procurement checks
    // and CISO confirmations (pages/register.rs), and the check's API.
    .get("/agency/register", pages::register::list)
    .post("/agency/register", pages::register::create)
    .get("/agency/register/new", pages::register::new_form)
    .get("/agency/register/export.csv", pages::register::export_csv)
    .get("/agency/register/export.xlsx", pages::register::export_xlsx)
    .post("/agency/register/import", pages::register::import)
    .get("/agency/register/{id}", pages::register::show)
    .post("/agency/register/{id}", pages::register::update)
    .post("/agency/register/{id}/checks", pages::register::check)
    .post("/agency/register/{id}/ciso", pages::register::ciso)
    .get(
        "/agency/register/{id}/files/{file}",
        pages::register::download,
    )
    .get("/api/v1/procurement-check", api::procurement_check)
    // Issue 15 (interim): interim measures (暫定措置), their records, the
    // report and the plan. Agencies' own people write; the secretariat reads.
    .post("/agency/register/{id}/interim", pages::interim::declare)
    .get("/interim-measures", pages::interim::list)
    .get("/interim-measures/{id}", pages::interim::show)
    .post(
        "/interim-measures/{id}/acknowledgements",
        pages::interim::acknowledge,
    )
    .post(
        "/interim-measures/{id}/provider-requests",
        pages::interim::provider_request,
    )
    .post("/interim-measures/{id}/hearings", pages::interim::hearing)
    .post("/interim-measures/{id}/report", pages::interim::report)
    .post("/interim-measures/{id}/plans", pages::interim::plan)
    .post("/interim-measures/{id}/progress", pages::interim::progress)
    // Issue 15 (channel): inquiries (調査), doubts (疑義), status requests
    // (申請状況の問合せ) and programme notices (お知らせ) between agencies
    // and the secretariat (pages/channel.rs).
    .get("/inquiries", pages::channel::inquiries::list)
    .get("/inquiries/new", pages::channel::inquiries::new_form)
    .post("/inquiries", pages::channel::inquiries::create)
    .get("/inquiries/{id}", pages::channel::inquiries::show)
    .post("/inquiries/{id}/questions", pages::channel::inquiries::ask)
    .post(
        "/inquiries/{id}/questions/{question}",
        pages::channel::inquiries::answer,
    )
    .post("/inquiries/{id}/close", pages::channel::inquiries::close)
    .get(
        "/inquiries/{id}/files/{file}",
        pages::channel::inquiries::download,
    )
    .get("/doubts", pages::channel::doubts::list)
    .get("/doubts/new", pages::channel::doubts::new_form)
    .post("/doubts", pages::channel::doubts::create)
    .get("/doubts/{id}", pages::channel::doubts::show)
    .post(
        "/doubts/{id}/transitions",
        pages::channel::doubts::transition,
    )
    .post("/doubts/{id}/notes", pages::channel::doubts::add_note)
    .get(
        "/doubts/{id}/files/{file}",
        pages::channel::doubts::download,
    )
    .get("/status-requests", pages::channel::status::list)
    .post("/status-requests", pages::channel::status::create)
    .get("/status-requests/{id}", pages::channel::status::show)
    .post(
        "/status-requests/{id}/answer",
        pages::channel::status::answer,
    )
    .get("/notices", pages::channel::notices::list)
    .post("/notices", pages::channel::notices::publish)
    .get("/notices/{id}", pages::channel::notices::show)
    .get(
        "/notices/{id}/files/{file}",
        pages::channel::notices::download,
    )
    .get("/evidence", pages::evidence::list)
    .post("/evidence", pages::evidence::create)
    .get("/files/{id}", pages::evidence::download)
    .post(
        "/organizations/{id}/destroy-key",
        pages::evidence::destroy_key,
    )
    .get("/account", pages::account::show)
    .post("/account/tokens", pages::account::create_token)
    .post("/account/tokens/{id}/revoke", pages::account::revoke_token)
    .post("/account/password", pages::account::change_password)
    .get("/account/users", pages::account::users)
    .post("/account/users/{id}/active", pages::account::set_active)
    // Issue 15 (notify): each person's notifications and e-mail choices.
    .get("/notifications", pages::notify::list)
    .post("/notifications/read", pages::notify::read_all)
    .post("/notifications/{id}/read", pages::notify::read_one)
    .post("/account/notifications", pages::notify::save_prefs)
    // JSON API.
    .get("/api/openapi.json", api::openapi)
    .get("/api/v1/catalog", api::default_catalog)
    .get("/api/v1/catalogs", api::list_catalogs)
    .get("/api/v1/catalogs/{id}", api::get_catalog)
    .get("/api/v1/catalogs/{id}/controls/{control}", api::get_control)
    .get("/api/v1/catalogs/{id}/search", api::search_catalog)
    .get("/api/v1/services", api::list_services)
    .post("/api/v1/services", api::create_service)
    .get("/api/v1/services/{id}", api::get_service)
    .patch("/api/v1/services/{id}", api::update_service)
    .get("/api/v1/services/{id}/statements", api::list_statements)
    .post("/api/v1/services/{id}/statements", api::create_statement)
    .get("/api/v1/statements/{id}", api::get_statement)
    .get("/api/v1/statements/{id}/revisions", api::list_revisions)
    .post("/api/v1/statements/{id}/revisions", api::add_revision)
    .get(
        "/api/v1/statements/{id}/revisions/{number}",
        api::get_revision,
    )
    .post(
        "/api/v1/statements/{id}/controls/{control}",
        api::save_control,
    )
    .post("/api/v1/statements/{id}/freeze", api::freeze_statement)
    .get("/api/v1/statements/{id}/diff", api::diff_statement)
    .get("/api/v1/statements/{id}/export", api::export_statement)
    .post("/api/v1/statements/{id}/upgrade", api::upgrade_statement)
    .post(
        "/api/v1/statements/{id}/objectives/{objective}/bulk",
        api::bulk_objective,
    )
    .post("/api/v1/statements/{id}/risks", api::add_risk)
    .get("/api/v1/audit-organizations", api::list_audit_orgs)
    .get("/api/v1/engagements/{id}", api::get_engagement)
    .post(
        "/api/v1/engagements/{id}/results/{control}",
        api::record_result,
    )
    .get("/api/v1/engagements/{id}/reports/{issue}", api::get_report)
    // Issue 15, opsreport: the secretariat's operations report (運用状況の報告).
    .get("/operations-report", pages::operations_report::page)
    .get("/operations-report.xlsx", pages::operations_report::xlsx)
    .get(
        "/api/v1/operations-report",
        api::operations_report::get_operations_report,
    )
}
