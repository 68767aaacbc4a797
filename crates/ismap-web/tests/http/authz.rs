//! Every route × every role: allowed or denied as the policy says (spec §1).
//! A route missing from the matrix fails the test, so no route escapes it.

use std::collections::HashMap;

use ismap_web::routes::{Method, table};

use crate::helpers::{
    BACKENDS, Client, PDF, engaged, evidence_form, example_statement, saas_ids, server,
};

const ANONYMOUS: &str = "anonymous";
const ROLES: &[&str] = &[
    ANONYMOUS,
    "iaas-admin",
    "saas-admin",
    "saas-editor",
    "auditor",
    "audit-manager",
    "reviewer",
    "committee",
    "secretariat",
    "agency-a",
    "agency-b",
    "agency-a-ciso",
    "digital-agency",
];

const EVERYONE: &[&str] = ROLES;
const SIGNED_IN: &[&str] = &[
    "iaas-admin",
    "saas-admin",
    "saas-editor",
    "auditor",
    "audit-manager",
    "reviewer",
    "committee",
    "secretariat",
    "agency-a",
    "agency-b",
    "agency-a-ciso",
    "digital-agency",
];
const SERVICE_LISTERS: &[&str] = &[
    "iaas-admin",
    "saas-admin",
    "saas-editor",
    "reviewer",
    "committee",
    "secretariat",
];
const CSP_ADMINS: &[&str] = &["iaas-admin", "saas-admin"];
/// Who may see the demo SaaS service (its provider and the overseeing bodies).
const SAAS_SERVICE_VIEWERS: &[&str] = &[
    "saas-admin",
    "saas-editor",
    "reviewer",
    "committee",
    "secretariat",
];
/// Who may see and edit the demo SaaS statement: its provider only.
const SAAS_PROVIDER: &[&str] = &["saas-admin", "saas-editor"];
const SAAS_ADMIN: &[&str] = &["saas-admin"];
const EVENT_READERS: &[&str] = &["iaas-admin", "saas-admin", "audit-manager", "secretariat"];
const CSP_PEOPLE: &[&str] = &["iaas-admin", "saas-admin", "saas-editor"];
/// Who takes part in audits: providers and the audit organization.
const AUDIT_PARTICIPANTS: &[&str] = &[
    "iaas-admin",
    "saas-admin",
    "saas-editor",
    "auditor",
    "audit-manager",
];
/// The two parties of the demo engagement: the SaaS provider, the audit
/// organization's manager and the assigned auditor.
const ENGAGEMENT_PARTIES: &[&str] = &["saas-admin", "saas-editor", "auditor", "audit-manager"];
const ASSIGNED_AUDITOR: &[&str] = &["auditor"];
const AUDIT_MANAGER: &[&str] = &["audit-manager"];
const AUDIT_ORG_PEOPLE: &[&str] = &["auditor", "audit-manager"];
const SECRETARIAT: &[&str] = &["secretariat"];
/// Who manages accounts: an organization's administrator, the secretariat.
const USER_ADMINS: &[&str] = &["iaas-admin", "saas-admin", "audit-manager", "secretariat"];
/// Providers see their applications; the reviewing bodies see them all.
const APPLICATION_LISTERS: &[&str] = &[
    "iaas-admin",
    "saas-admin",
    "saas-editor",
    "reviewer",
    "committee",
    "secretariat",
];
const REVIEWER: &[&str] = &["reviewer"];
/// Who reads the demo SaaS statement: its provider, and (read-only, as it is
/// part of the fixture's application) IPA and the committee (issue 13).
const SAAS_STATEMENT_READERS: &[&str] = &["saas-admin", "saas-editor", "reviewer", "committee"];
/// Who reads a submitted statement's chapters: the bodies deciding on it.
const SUBMITTED_STATEMENT_READERS: &[&str] = &["reviewer", "committee"];
const COMMITTEE: &[&str] = &["committee"];
/// Issue 14: providers' people and agencies' people have assessment lists.
const ASSESSMENT_LISTERS: &[&str] = &[
    "iaas-admin",
    "saas-admin",
    "saas-editor",
    "agency-a",
    "agency-b",
    "agency-a-ciso",
];
/// The fixture's approved assessment: its provider and every agency's people.
const ASSESSMENT_VIEWERS: &[&str] = &[
    "saas-admin",
    "saas-editor",
    "agency-a",
    "agency-b",
    "agency-a-ciso",
];
const PRE_APPLICATION_LISTERS: &[&str] = &["iaas-admin", "saas-admin", "saas-editor", "reviewer"];
/// The fixture's pre-application: its provider's people and IPA.
const PRE_APPLICATION_VIEWERS: &[&str] = &["saas-admin", "saas-editor", "reviewer"];
/// The government bodies that see the special measures service list
/// (spec §7.5); to anyone else its routes answer 404, even anonymously.
const GOVERNMENT: &[&str] = &[
    "reviewer",
    "committee",
    "secretariat",
    "agency-a",
    "agency-b",
    "agency-a-ciso",
    "digital-agency",
];
const DIGITAL_AGENCY: &[&str] = &["digital-agency"];
/// Issue 15 (interim): agencies' people and the secretariat list interim
/// measures; the fixture's measure (agency-a's) is seen by agency-a's people
/// and the secretariat, written by agency-a's people only.
const INTERIM_LISTERS: &[&str] = &["secretariat", "agency-a", "agency-b", "agency-a-ciso"];
const INTERIM_VIEWERS: &[&str] = &["secretariat", "agency-a", "agency-a-ciso"];
const INTERIM_WRITERS: &[&str] = &["agency-a", "agency-a-ciso"];
/// Issue 15 (register): agencies' people and the secretariat read registers
/// (each agency its own); agencies' people keep their own. The fixture's
/// entry is agency-a's: seen by its people and the secretariat.
const REGISTER_READERS: &[&str] = &["secretariat", "agency-a", "agency-b", "agency-a-ciso"];
const REGISTER_KEEPERS: &[&str] = &["agency-a", "agency-b", "agency-a-ciso"];
const REGISTER_VIEWERS: &[&str] = &["secretariat", "agency-a", "agency-a-ciso"];
const REGISTER_WRITERS: &[&str] = &["agency-a", "agency-a-ciso"];

// Issue 15 (channel): who uses the channel between agencies and the
// secretariat. The fixture's objects belong to サンプル省 (agency-a); its
// doubt is referred to IPA.
const CHANNEL_LISTERS: &[&str] = &["secretariat", "agency-a", "agency-b", "agency-a-ciso"];
const DOUBT_LISTERS: &[&str] = &[
    "reviewer",
    "committee",
    "secretariat",
    "agency-a",
    "agency-b",
    "agency-a-ciso",
];
const AGENCY_PEOPLE: &[&str] = &["agency-a", "agency-b", "agency-a-ciso"];
const AGENCY_A: &[&str] = &["agency-a", "agency-a-ciso"];
const CHANNEL_A: &[&str] = &["secretariat", "agency-a", "agency-a-ciso"];
const DOUBT_A_VIEWERS: &[&str] = &["reviewer", "secretariat", "agency-a", "agency-a-ciso"];

fn matrix() -> HashMap<(Method, &'static str), &'static [&'static str]> {
    use Method::{Get, Patch, Post};
    HashMap::from([
        ((Get, "/healthz"), EVERYONE),
        ((Get, "/assets/{file}"), EVERYONE),
        ((Get, "/lang/{code}"), EVERYONE),
        // The footer pages (chrome, issue 13).
        ((Get, "/contact"), EVERYONE),
        ((Get, "/accessibility"), EVERYONE),
        ((Get, "/privacy"), EVERYONE),
        ((Get, "/terms"), EVERYONE),
        ((Get, "/signin"), EVERYONE),
        ((Post, "/signin"), EVERYONE),
        // Signing out ends only the caller's own session, if any.
        ((Post, "/signout"), EVERYONE),
        // OpenID Connect: anyone may start a sign-in (404 where not configured).
        ((Get, "/auth/oidc/start"), EVERYONE),
        ((Get, "/auth/oidc/callback"), EVERYONE),
        ((Get, "/"), EVERYONE),
        ((Get, "/catalog"), EVERYONE),
        ((Get, "/catalogs/{id}"), EVERYONE),
        ((Get, "/catalogs/{id}/search"), EVERYONE),
        ((Get, "/catalogs/{id}/controls/{control}"), EVERYONE),
        ((Get, "/services"), SERVICE_LISTERS),
        ((Get, "/services/new"), CSP_ADMINS),
        ((Post, "/services"), CSP_ADMINS),
        ((Get, "/services/{id}"), SAAS_SERVICE_VIEWERS),
        ((Get, "/statements/{id}"), SAAS_STATEMENT_READERS),
        (
            (Get, "/statements/{id}/chapters/{chapter}"),
            SUBMITTED_STATEMENT_READERS,
        ),
        ((Get, "/statements/{id}/edit"), SAAS_PROVIDER),
        ((Post, "/statements/{id}/controls/{control}"), SAAS_PROVIDER),
        ((Post, "/statements/{id}/freeze"), SAAS_PROVIDER),
        ((Post, "/statements/{id}/details"), SAAS_PROVIDER),
        ((Post, "/statements/{id}/upgrade"), SAAS_PROVIDER),
        (
            (Post, "/statements/{id}/controls/{control}/evidence"),
            SAAS_PROVIDER,
        ),
        (
            (Post, "/api/v1/statements/{id}/controls/{control}"),
            SAAS_PROVIDER,
        ),
        ((Post, "/api/v1/statements/{id}/freeze"), SAAS_PROVIDER),
        ((Get, "/api/v1/statements/{id}/diff"), SAAS_PROVIDER),
        ((Get, "/api/v1/statements/{id}/export"), SAAS_PROVIDER),
        ((Post, "/api/v1/statements/{id}/upgrade"), SAAS_PROVIDER),
        (
            (Post, "/api/v1/statements/{id}/objectives/{objective}/bulk"),
            SAAS_PROVIDER,
        ),
        ((Post, "/api/v1/statements/{id}/risks"), SAAS_PROVIDER),
        ((Post, "/statements/{id}/risks"), SAAS_PROVIDER),
        (
            (Post, "/statements/{id}/risks/{risk}/delete"),
            SAAS_PROVIDER,
        ),
        (
            (Post, "/statements/{id}/objectives/{objective}/bulk"),
            SAAS_PROVIDER,
        ),
        ((Post, "/services/{id}/statements"), SAAS_PROVIDER),
        ((Get, "/statements/{id}/export"), SAAS_PROVIDER),
        ((Get, "/statements/{id}/diff"), SAAS_PROVIDER),
        ((Post, "/statements/{id}/import"), SAAS_PROVIDER),
        ((Get, "/events"), EVENT_READERS),
        ((Get, "/audit-organizations"), EVERYONE),
        ((Get, "/audit-organizations.csv"), EVERYONE),
        ((Post, "/audit-organizations"), SECRETARIAT),
        ((Post, "/audit-organizations/{id}/renew"), SECRETARIAT),
        ((Get, "/catalogs/{id}/audit-plan"), EVERYONE),
        ((Get, "/engagements"), AUDIT_PARTICIPANTS),
        ((Get, "/engagements/new"), CSP_ADMINS),
        ((Post, "/engagements"), SAAS_ADMIN),
        ((Get, "/engagements/{id}"), ENGAGEMENT_PARTIES),
        ((Post, "/engagements/{id}/auditors"), AUDIT_MANAGER),
        (
            (Post, "/engagements/{id}/results/{control}"),
            ASSIGNED_AUDITOR,
        ),
        ((Post, "/engagements/{id}/evidence"), ASSIGNED_AUDITOR),
        ((Post, "/engagements/{id}/results"), ASSIGNED_AUDITOR),
        ((Post, "/engagements/{id}/reports"), ASSIGNED_AUDITOR),
        (
            (Get, "/engagements/{id}/reports/{issue}"),
            ENGAGEMENT_PARTIES,
        ),
        (
            (Get, "/engagements/{id}/reports/{issue}/xlsx"),
            ENGAGEMENT_PARTIES,
        ),
        ((Post, "/engagements/{id}/improvements"), SAAS_PROVIDER),
        (
            (Get, "/engagements/{id}/reports/{issue}/oscal"),
            ENGAGEMENT_PARTIES,
        ),
        (
            (Get, "/engagements/{id}/improvements/oscal"),
            ENGAGEMENT_PARTIES,
        ),
        ((Post, "/improvements/{id}/status"), SAAS_PROVIDER),
        ((Get, "/evidence"), CSP_PEOPLE),
        ((Post, "/evidence"), CSP_PEOPLE),
        // The fixture's file is the audit organization's working paper.
        ((Get, "/files/{id}"), AUDIT_ORG_PEOPLE),
        // Pointed at the SaaS provider: only its admin may erase its files.
        ((Post, "/organizations/{id}/destroy-key"), SAAS_ADMIN),
        ((Get, "/api/v1/audit-organizations"), EVERYONE),
        ((Get, "/applications"), APPLICATION_LISTERS),
        ((Get, "/services/{id}/apply"), SAAS_ADMIN),
        ((Post, "/services/{id}/applications"), SAAS_ADMIN),
        // The SaaS provider's application: its people and the reviewing bodies.
        ((Get, "/applications/{id}"), SAAS_SERVICE_VIEWERS),
        // Starting the acceptance check is IPA's move.
        ((Post, "/applications/{id}/transitions"), REVIEWER),
        (
            (Post, "/applications/{id}/questions/{question}"),
            SAAS_PROVIDER,
        ),
        ((Get, "/applications/{id}/statement"), SAAS_SERVICE_VIEWERS),
        ((Get, "/applications/{id}/report"), SAAS_SERVICE_VIEWERS),
        ((Post, "/registrations/{id}/suspension"), COMMITTEE),
        // Internal audits (issue 14 item 7): the provider's people; IPA and
        // the committee only for a service with an ISMAP-LIU application
        // (the fixture's application is for the ISMAP list). Recording the
        // check is IPA's (409 for the fixture's ISMAP application).
        ((Get, "/services/{id}/internal-audits"), SAAS_PROVIDER),
        ((Post, "/services/{id}/internal-audits"), SAAS_PROVIDER),
        ((Get, "/internal-audits/{id}"), SAAS_PROVIDER),
        ((Get, "/internal-audits/{id}/report"), SAAS_PROVIDER),
        ((Post, "/applications/{id}/internal-audit-check"), REVIEWER),
        // ISMAP-LIU impact assessments and pre-applications (issue 14). The
        // fixture's assessment is approved (so every agency's people see it).
        ((Get, "/impact-assessments"), ASSESSMENT_LISTERS),
        ((Get, "/services/{id}/impact-assessments"), SAAS_PROVIDER),
        ((Post, "/services/{id}/impact-assessments"), SAAS_ADMIN),
        ((Get, "/impact-assessments/{id}"), ASSESSMENT_VIEWERS),
        ((Post, "/impact-assessments/{id}"), &["agency-a"]),
        (
            (Post, "/impact-assessments/{id}/decision"),
            &["agency-a-ciso"],
        ),
        (
            (Post, "/impact-assessments/{id}/reuse"),
            &["agency-a", "agency-b"],
        ),
        ((Get, "/agency/delegations"), &["agency-a-ciso"]),
        ((Post, "/agency/delegations"), &["agency-a-ciso"]),
        ((Get, "/pre-applications"), PRE_APPLICATION_LISTERS),
        ((Get, "/services/{id}/pre-applications/new"), SAAS_ADMIN),
        ((Post, "/services/{id}/pre-applications"), SAAS_ADMIN),
        ((Get, "/pre-applications/{id}"), PRE_APPLICATION_VIEWERS),
        (
            (Post, "/pre-applications/{id}/transitions"),
            &["saas-admin", "reviewer"],
        ),
        (
            (Get, "/pre-applications/{id}/files/{file}"),
            PRE_APPLICATION_VIEWERS,
        ),
        // The crosswalk is public; an upload is read, never stored.
        ((Get, "/crosswalk"), EVERYONE),
        ((Post, "/crosswalk"), EVERYONE),
        ((Get, "/api/v1/crosswalk"), EVERYONE),
        ((Get, "/lists/changes.atom"), EVERYONE),
        ((Get, "/lists/{list}"), EVERYONE),
        ((Get, "/lists/{list}/export"), EVERYONE),
        ((Get, "/lists/{list}/{number}"), EVERYONE),
        ((Get, "/api/v1/lists/{list}"), EVERYONE),
        ((Get, "/api/v1/engagements/{id}"), ENGAGEMENT_PARTIES),
        (
            (Post, "/api/v1/engagements/{id}/results/{control}"),
            ASSIGNED_AUDITOR,
        ),
        (
            (Get, "/api/v1/engagements/{id}/reports/{issue}"),
            ENGAGEMENT_PARTIES,
        ),
        // The special measures service list: government bodies only.
        ((Get, "/special-measures"), GOVERNMENT),
        ((Post, "/special-measures"), DIGITAL_AGENCY),
        ((Get, "/special-measures.csv"), GOVERNMENT),
        ((Post, "/special-measures/import"), DIGITAL_AGENCY),
        ((Get, "/special-measures/{id}"), GOVERNMENT),
        ((Post, "/special-measures/{id}/end"), DIGITAL_AGENCY),
        // Issue 15 (channel): inquiries, doubts, status requests, notices.
        ((Get, "/inquiries"), CHANNEL_LISTERS),
        ((Get, "/inquiries/new"), SECRETARIAT),
        ((Post, "/inquiries"), SECRETARIAT),
        ((Get, "/inquiries/{id}"), CHANNEL_A),
        ((Post, "/inquiries/{id}/questions"), SECRETARIAT),
        ((Post, "/inquiries/{id}/questions/{question}"), AGENCY_A),
        ((Post, "/inquiries/{id}/close"), SECRETARIAT),
        ((Get, "/inquiries/{id}/files/{file}"), CHANNEL_A),
        ((Get, "/doubts"), DOUBT_LISTERS),
        ((Get, "/doubts/new"), AGENCY_PEOPLE),
        ((Post, "/doubts"), AGENCY_PEOPLE),
        ((Get, "/doubts/{id}"), DOUBT_A_VIEWERS),
        ((Post, "/doubts/{id}/transitions"), SECRETARIAT),
        ((Post, "/doubts/{id}/notes"), &["reviewer", "secretariat"]),
        ((Get, "/doubts/{id}/files/{file}"), DOUBT_A_VIEWERS),
        ((Get, "/status-requests"), CHANNEL_LISTERS),
        ((Post, "/status-requests"), AGENCY_PEOPLE),
        ((Get, "/status-requests/{id}"), CHANNEL_A),
        ((Post, "/status-requests/{id}/answer"), SECRETARIAT),
        ((Get, "/notices"), CHANNEL_LISTERS),
        ((Post, "/notices"), SECRETARIAT),
        ((Get, "/notices/{id}"), CHANNEL_LISTERS),
        ((Get, "/notices/{id}/files/{file}"), CHANNEL_LISTERS),
        // Issue 15 (register): the cloud usage register and the check's API.
        ((Get, "/agency/register"), REGISTER_READERS),
        ((Post, "/agency/register"), REGISTER_KEEPERS),
        ((Get, "/agency/register/new"), REGISTER_KEEPERS),
        ((Get, "/agency/register/export.csv"), REGISTER_READERS),
        ((Get, "/agency/register/export.xlsx"), REGISTER_READERS),
        ((Post, "/agency/register/import"), REGISTER_KEEPERS),
        ((Get, "/agency/register/{id}"), REGISTER_VIEWERS),
        ((Post, "/agency/register/{id}"), REGISTER_WRITERS),
        ((Post, "/agency/register/{id}/checks"), REGISTER_WRITERS),
        ((Post, "/agency/register/{id}/ciso"), REGISTER_WRITERS),
        (
            (Get, "/agency/register/{id}/files/{file}"),
            REGISTER_VIEWERS,
        ),
        ((Get, "/api/v1/procurement-check"), REGISTER_READERS),
        // Issue 15 (interim): interim measures.
        ((Post, "/agency/register/{id}/interim"), INTERIM_WRITERS),
        ((Get, "/interim-measures"), INTERIM_LISTERS),
        ((Get, "/interim-measures/{id}"), INTERIM_VIEWERS),
        (
            (Post, "/interim-measures/{id}/acknowledgements"),
            INTERIM_WRITERS,
        ),
        (
            (Post, "/interim-measures/{id}/provider-requests"),
            INTERIM_WRITERS,
        ),
        ((Post, "/interim-measures/{id}/hearings"), INTERIM_WRITERS),
        ((Post, "/interim-measures/{id}/report"), INTERIM_WRITERS),
        ((Post, "/interim-measures/{id}/plans"), INTERIM_WRITERS),
        ((Post, "/interim-measures/{id}/progress"), INTERIM_WRITERS),
        // Issue 15, opsreport: the operations report, the secretariat only.
        ((Get, "/operations-report"), SECRETARIAT),
        ((Get, "/operations-report.xlsx"), SECRETARIAT),
        ((Get, "/api/v1/operations-report"), SECRETARIAT),
        ((Get, "/account"), SIGNED_IN),
        ((Post, "/account/tokens"), SIGNED_IN),
        ((Post, "/account/tokens/{id}/revoke"), SIGNED_IN),
        ((Post, "/account/password"), SIGNED_IN),
        ((Get, "/account/users"), USER_ADMINS),
        ((Post, "/account/users/{id}/active"), USER_ADMINS),
        // Issue 15 (notify): everyone's own notifications and e-mail choices
        // (someone else's notification id answers 404 like a missing one).
        ((Get, "/notifications"), SIGNED_IN),
        ((Post, "/notifications/read"), SIGNED_IN),
        ((Post, "/notifications/{id}/read"), SIGNED_IN),
        ((Post, "/account/notifications"), SIGNED_IN),
        ((Get, "/api/openapi.json"), EVERYONE),
        ((Get, "/api/v1/catalog"), EVERYONE),
        ((Get, "/api/v1/catalogs"), EVERYONE),
        ((Get, "/api/v1/catalogs/{id}"), EVERYONE),
        ((Get, "/api/v1/catalogs/{id}/controls/{control}"), EVERYONE),
        ((Get, "/api/v1/catalogs/{id}/search"), EVERYONE),
        ((Get, "/api/v1/services"), SERVICE_LISTERS),
        ((Post, "/api/v1/services"), CSP_ADMINS),
        ((Get, "/api/v1/services/{id}"), SAAS_SERVICE_VIEWERS),
        ((Patch, "/api/v1/services/{id}"), SAAS_ADMIN),
        ((Get, "/api/v1/services/{id}/statements"), SAAS_PROVIDER),
        ((Post, "/api/v1/services/{id}/statements"), SAAS_PROVIDER),
        ((Get, "/api/v1/statements/{id}"), SAAS_PROVIDER),
        ((Get, "/api/v1/statements/{id}/revisions"), SAAS_PROVIDER),
        ((Post, "/api/v1/statements/{id}/revisions"), SAAS_PROVIDER),
        (
            (Get, "/api/v1/statements/{id}/revisions/{number}"),
            SAAS_PROVIDER,
        ),
    ])
}

/// The objects the matrix points routes at.
struct Ids {
    service: i64,
    statement: i64,
    engagement: i64,
    improvement: i64,
    file: i64,
    saas_org: i64,
    audit_org: i64,
    application: i64,
    registration: i64,
    internal_audit: i64,
    impact_assessment: i64,
    pre_application: i64,
    pre_application_file: i64,
    /// Issue 15 (interim): an undecided register entry of agency-a, and an
    /// open interim measure of agency-a (on another entry).
    interim_entry: i64,
    interim_measure: i64,
    /// Issue 15 (channel): its objects (tests/http/channel.rs).
    channel: crate::channel::AuthzIds,
}

/// A concrete path for a route pattern, pointing at the demo SaaS objects.
fn concrete(pattern: &str, ids: &Ids) -> String {
    // Issue 15 (channel): its objects and their files.
    if let Some(path) = crate::channel::authz_path(pattern, &ids.channel) {
        return path;
    }
    let (service, statement) = (ids.service, ids.statement);
    // A list entry is named by its registration number: the demo IaaS's.
    let pattern_here = if pattern.starts_with("/lists/") {
        pattern.replace("{number}", "C21-0008-2")
    } else {
        pattern.to_owned()
    };
    let mut path = pattern_here
        .replace("{issue}", "1")
        .replace("{list}", "ismap")
        .replace("{question}", "1")
        .replace("{file}", "ismap.css")
        .replace("{code}", "en")
        .replace("{chapter}", "8")
        .replace("{control}", "8.1.2.7.PB")
        .replace("{number}", "1")
        .replace("{objective}", "12.3.1")
        .replace("{risk}", "R9");
    if pattern == "/agency/register/{id}/interim" {
        return format!("/agency/register/{}/interim", ids.interim_entry);
    }
    if pattern.starts_with("/interim-measures/{id}") {
        return pattern.replace("{id}", &ids.interim_measure.to_string());
    }
    // Issue 15 (register): agency-a's undecided entry (the interim fixture's).
    if pattern.starts_with("/agency/register/{id}") {
        return path.replace("{id}", &ids.interim_entry.to_string());
    }
    if pattern == "/api/v1/procurement-check" {
        return format!("{path}?number=C21-0008-2");
    }
    if pattern == "/pre-applications/{id}/files/{file}" {
        return format!(
            "/pre-applications/{}/files/{}",
            ids.pre_application, ids.pre_application_file
        );
    }
    let object = if pattern.starts_with("/impact-assessments/") {
        Some(ids.impact_assessment)
    } else if pattern.starts_with("/pre-applications/") {
        Some(ids.pre_application)
    } else if pattern.starts_with("/internal-audits/") {
        Some(ids.internal_audit)
    } else if pattern.contains("/applications/") {
        Some(ids.application)
    } else if pattern.contains("/registrations/") {
        Some(ids.registration)
    } else if pattern.contains("/audit-organizations/") {
        Some(ids.audit_org)
    } else if pattern.contains("/engagements/") {
        Some(ids.engagement)
    } else if pattern.contains("/improvements/") {
        Some(ids.improvement)
    } else if pattern.contains("/files/") {
        Some(ids.file)
    } else if pattern.contains("/organizations/") {
        Some(ids.saas_org)
    } else {
        None
    };
    if let Some(id) = object {
        path = path.replace("{id}", &id.to_string());
    } else if pattern.starts_with("/catalogs/") || pattern.starts_with("/api/v1/catalogs/") {
        path = path.replace("{id}", "ismap-2022-excerpt");
    } else if pattern.contains("/services/") {
        path = path.replace("{id}", &service.to_string());
    } else if pattern.contains("/statements/") {
        path = path.replace("{id}", &statement.to_string());
    } else {
        path = path.replace("{id}", "999999");
    }
    if pattern.ends_with("/search") {
        path.push_str("?q=%E6%9A%97%E5%8F%B7");
    }
    match pattern {
        "/api/v1/statements/{id}/revisions"
        | "/api/v1/statements/{id}/controls/{control}"
        | "/api/v1/statements/{id}/freeze"
        | "/api/v1/statements/{id}/objectives/{objective}/bulk"
        | "/api/v1/statements/{id}/risks" => path.push_str("?based_on=1"),
        "/api/v1/statements/{id}/diff" => path.push_str("?from=1&to=1"),
        "/api/v1/crosswalk" => path.push_str("?iso27001=true"),
        "/api/v1/statements/{id}/upgrade" => path.push_str("?to=ismap-2022-excerpt"),
        _ => {}
    }
    path
}

/// Who may *see* the object a route points at (issue 12, item 18): anyone
/// else is answered 404, exactly as for a missing object; those who see it
/// but may not do this get 403. `None`: the route points at no hidden object
/// (role-level actions, public objects), a refusal is 403.
fn viewers(method: Method, pattern: &str) -> Option<&'static [&'static str]> {
    let p = pattern;
    if p.starts_with("/services/{id}/internal-audits") || p.starts_with("/internal-audits/{id}") {
        Some(SAAS_PROVIDER)
    } else if p.starts_with("/services/{id}") || p.starts_with("/api/v1/services/{id}") {
        Some(SAAS_SERVICE_VIEWERS)
    } else if p == "/statements/{id}" || p == "/statements/{id}/chapters/{chapter}" {
        Some(SAAS_STATEMENT_READERS)
    } else if p.starts_with("/statements/{id}") || p.starts_with("/api/v1/statements/{id}") {
        Some(SAAS_PROVIDER)
    } else if p.starts_with("/engagements/{id}")
        || p.starts_with("/api/v1/engagements/{id}")
        || p.starts_with("/improvements/{id}")
    {
        Some(ENGAGEMENT_PARTIES)
    } else if p.starts_with("/applications/{id}") {
        Some(SAAS_SERVICE_VIEWERS)
    } else if p.starts_with("/impact-assessments/{id}") {
        Some(ASSESSMENT_VIEWERS)
    } else if p.starts_with("/pre-applications/{id}") {
        Some(PRE_APPLICATION_VIEWERS)
    } else if p.starts_with("/files/{id}") {
        Some(AUDIT_ORG_PEOPLE)
    } else if p.starts_with("/organizations/{id}") {
        Some(SAAS_PROVIDER)
    } else if p.starts_with("/interim-measures/{id}") || p == "/agency/register/{id}/interim" {
        Some(INTERIM_VIEWERS)
    } else if p.starts_with("/agency/register/{id}") {
        Some(REGISTER_VIEWERS)
    } else if p.starts_with("/special-measures") {
        Some(GOVERNMENT)
    } else if p.starts_with("/inquiries/{id}") || p.starts_with("/status-requests/{id}") {
        // Issue 15 (channel): agency-a's objects.
        Some(CHANNEL_A)
    } else if p.starts_with("/doubts/{id}") {
        Some(DOUBT_A_VIEWERS)
    } else if p.starts_with("/notices/{id}") {
        Some(CHANNEL_LISTERS)
    } else if (method, p) == (Method::Post, "/engagements") {
        // The form names the SaaS provider's statement: hidden from the
        // other provider's admin, the only other role allowed to ask.
        Some(&[
            "saas-admin",
            "saas-editor",
            "auditor",
            "audit-manager",
            "reviewer",
            "committee",
            "secretariat",
            "agency-a",
            "agency-b",
            "agency-a-ciso",
            "digital-agency",
        ])
    } else {
        None
    }
}

/// Denied: 403; 401 (the API, or a page refusing an anonymous form post:
/// there is nothing to return to after a POST); or a redirect to the
/// sign-in page. The sign-in form's own 401 (a wrong password) is its
/// answer, not a refusal of the route.
fn denied(path: &str, response: &reqwest::Response) -> bool {
    let status = response.status().as_u16();
    let to_signin = response
        .headers()
        .get("location")
        .is_some_and(|l| l.to_str().unwrap_or("").starts_with("/signin"));
    status == 403
        || (status == 401 && path != "/signin")
        || ((300..400).contains(&status) && to_signin)
}

async fn request(
    client: &Client<'_>,
    role: &str,
    method: Method,
    pattern: &str,
    path: &str,
) -> reqwest::Response {
    match (method, pattern) {
        (Method::Get, _) => client.get(path).await,
        (Method::Post, "/signin") => {
            let password = if role == ANONYMOUS {
                "wrong password"
            } else {
                client.server.password(role)
            };
            let username = if role == ANONYMOUS { "nobody" } else { role };
            client
                .post_form(path, &[("username", username), ("password", password)])
                .await
        }
        (Method::Post, "/services") => {
            client
                .post_form(
                    path,
                    &[("name", &format!("matrix {role}")), ("model", "SaaS")],
                )
                .await
        }
        (Method::Post, "/crosswalk") => {
            let catalog = r#"{"catalog": {"uuid": "u", "metadata": {"title": "matrix"},
                "controls": [{"id": "ac-2"}, {"id": "cp-2"}]}}"#;
            let file = reqwest::multipart::Part::bytes(catalog.as_bytes().to_vec())
                .file_name("matrix.json")
                .mime_str("application/json")
                .unwrap();
            client
                .post_multipart(path, reqwest::multipart::Form::new().part("file", file))
                .await
        }
        (Method::Post, "/account/tokens") => client.post_form(path, &[("name", "matrix")]).await,
        (Method::Post, "/audit-organizations") => {
            client
                .post_form(
                    path,
                    &[("organization_id", "1"), ("valid_from", "2026-01-01")],
                )
                .await
        }
        (Method::Post, "/engagements") => {
            client
                .post_form(
                    path,
                    &[
                        ("statement_id", "1"),
                        ("audit_organization_id", "3"),
                        ("period_start", "2025-04-01"),
                        ("period_end", "2026-03-31"),
                        ("scope", "full"),
                    ],
                )
                .await
        }
        (Method::Post, "/engagements/{id}/auditors") => {
            client.post_form(path, &[("user_id", "1")]).await
        }
        (Method::Post, "/engagements/{id}/results/{control}") => {
            client
                .post_form(path, &[("result", "conforming"), ("performed", "matrix")])
                .await
        }
        (Method::Post, "/api/v1/engagements/{id}/results/{control}") => {
            client
                .post_body(
                    path,
                    "application/json",
                    r#"{"result": "conforming", "performed": "matrix"}"#.into(),
                )
                .await
        }
        (Method::Post, "/engagements/{id}/evidence") => {
            client
                .post_multipart(path, evidence_form("5.1.1", "matrix.pdf", PDF.to_vec()))
                .await
        }
        (Method::Post, "/evidence") => {
            let form = reqwest::multipart::Form::new()
                .text("title", format!("matrix {role}"))
                .text("owner", "matrix");
            client.post_multipart(path, form).await
        }
        (Method::Post, "/engagements/{id}/improvements") => {
            client
                .post_form(
                    path,
                    &[
                        ("control", "5.1.1"),
                        ("measure", "m"),
                        ("due_date", "2099-01-01"),
                    ],
                )
                .await
        }
        (Method::Post, "/improvements/{id}/status") => {
            client
                .post_form(path, &[("status", "in_progress"), ("reason", "matrix")])
                .await
        }
        (Method::Post, "/services/{id}/applications") => {
            client
                .post_multipart(path, crate::registration::application_form(1, true))
                .await
        }
        (Method::Post, "/applications/{id}/transitions") => {
            client
                .post_form(path, &[("transition", "start_acceptance")])
                .await
        }
        (Method::Post, "/applications/{id}/questions/{question}") => {
            let form = reqwest::multipart::Form::new().text("answer", "matrix");
            client.post_multipart(path, form).await
        }
        (Method::Post, "/registrations/{id}/suspension") => {
            client
                .post_form(path, &[("suspend", "true"), ("reason", "matrix")])
                .await
        }
        (Method::Post, "/organizations/{id}/destroy-key") => {
            // Unconfirmed: the allowed role gets "invalid", nothing is erased.
            client.post_form(path, &[("reason", "matrix")]).await
        }
        (Method::Post, "/api/v1/services") => {
            let body = format!("{{\"name\": \"api matrix {role}\", \"model\": \"PaaS\"}}");
            client.post_body(path, "application/json", body).await
        }
        (Method::Post, "/statements/{id}/controls/{control}") => {
            client
                .post_form(path, &[("based_on", "1"), ("decision", "implemented")])
                .await
        }
        (Method::Post, "/statements/{id}/freeze") => {
            client.post_form(path, &[("based_on", "1")]).await
        }
        (Method::Post, "/statements/{id}/import") => {
            client
                .post_form(
                    path,
                    &[("based_on", "1"), ("content", &example_statement())],
                )
                .await
        }
        (Method::Post, "/statements/{id}/details") => {
            client
                .post_form(
                    path,
                    &[
                        ("based_on", "1"),
                        ("name", "Example SaaS"),
                        ("model", "SaaS"),
                    ],
                )
                .await
        }
        (Method::Post, "/services/{id}/statements") => client.post_form(path, &[]).await,
        (Method::Post, "/statements/{id}/controls/{control}/evidence") => {
            client
                .post_form(
                    path,
                    &[("based_on", "1"), ("title", "t"), ("reference", "r")],
                )
                .await
        }
        (Method::Post, "/statements/{id}/upgrade") => {
            client
                .post_form(path, &[("to", "ismap-2022-excerpt")])
                .await
        }
        (Method::Post, "/api/v1/statements/{id}/objectives/{objective}/bulk") => {
            client
                .post_body(
                    path,
                    "application/json",
                    r#"{"action": "select_all"}"#.into(),
                )
                .await
        }
        (Method::Post, "/api/v1/statements/{id}/risks") => {
            client
                .post_body(path, "application/json", r#"{"title": "matrix"}"#.into())
                .await
        }
        (Method::Post, "/api/v1/statements/{id}/controls/{control}") => {
            client
                .post_body(
                    path,
                    "application/json",
                    r#"{"decision": "implemented"}"#.into(),
                )
                .await
        }
        (Method::Post, "/statements/{id}/risks") => {
            client
                .post_form(path, &[("based_on", "1"), ("title", "matrix risk")])
                .await
        }
        (Method::Post, "/statements/{id}/risks/{risk}/delete") => {
            client.post_form(path, &[("based_on", "1")]).await
        }
        (Method::Post, "/statements/{id}/objectives/{objective}/bulk") => {
            client
                .post_form(path, &[("based_on", "1"), ("action", "select_all")])
                .await
        }
        (Method::Post, p) if p.contains("statements") => {
            client
                .post_body(path, "application/yaml", example_statement())
                .await
        }
        (Method::Post, _) => client.post_form(path, &[]).await,
        (Method::Patch, _) => {
            let csrf = client.csrf().await;
            client
                .http
                .patch(client.server.url(path))
                .header("x-csrf-token", csrf)
                .json(&serde_json::json!({"description": format!("edited by {role}"), "url": "", "reason": "matrix"}))
                .send()
                .await
                .unwrap()
        }
    }
}

#[tokio::test]
async fn every_route_allows_exactly_the_roles_of_the_matrix() {
    let matrix = matrix();
    let routes = table().routes;
    for route in &routes {
        assert!(
            matrix.contains_key(route),
            "route {route:?} is missing from the authorization matrix"
        );
    }
    assert_eq!(
        routes.len(),
        matrix.len(),
        "the matrix lists routes that do not exist"
    );

    for backend in BACKENDS {
        let server = server(backend).await;
        let ids = audit_fixture(&server).await;
        let mut failures = Vec::new();
        for role in ROLES {
            let client = Client::new(&server);
            if *role != ANONYMOUS {
                client.sign_in(role).await;
            }
            // Signing out ends the session: do it last.
            let mut ordered = routes.clone();
            ordered.sort_by_key(|(_, p)| *p == "/signout");
            for (method, pattern) in ordered {
                let path = concrete(pattern, &ids);
                let response = request(&client, role, method, pattern, &path).await;
                let allowed = matrix[&(method, pattern)].contains(role);
                // The special measures list is hidden from visitors too (404,
                // not a sign-in page: it must not be known to exist).
                let hidden = !allowed
                    && (*role != ANONYMOUS || pattern.starts_with("/special-measures"))
                    && viewers(method, pattern).is_some_and(|v| !v.contains(role));
                let status = response.status().as_u16();
                let as_expected = if allowed {
                    !denied(&path, &response)
                } else if hidden {
                    status == 404
                } else {
                    denied(&path, &response)
                };
                if !as_expected || response.status().is_server_error() {
                    failures.push(format!(
                        "{backend:?} {role} {method:?} {path}: status {status}, expected {}",
                        if allowed {
                            "allowed"
                        } else if hidden {
                            "404 (hidden)"
                        } else {
                            "denied (403/401/sign-in)"
                        }
                    ));
                }
            }
        }
        assert!(
            failures.is_empty(),
            "authorization mismatches:\n{}",
            failures.join("\n")
        );
    }
}

/// Issue 12, item 18: to a principal who may not see it, an existing object
/// answers exactly as a missing one: same status, same headers, same body
/// (the id it echoes aside), on both backends, for the API and the pages.
#[tokio::test]
async fn hidden_objects_are_indistinguishable_from_missing_ones() {
    const MISSING: i64 = 987_654;
    for backend in BACKENDS {
        let server = server(backend).await;
        let ids = audit_fixture(&server).await;
        let routes: Vec<(Method, &str, i64)> = vec![
            (Method::Get, "/services/{id}", ids.service),
            (Method::Get, "/api/v1/services/{id}", ids.service),
            (Method::Patch, "/api/v1/services/{id}", ids.service),
            (Method::Get, "/statements/{id}", ids.statement),
            (Method::Get, "/statements/{id}/edit", ids.statement),
            (Method::Get, "/statements/{id}/chapters/8", ids.statement),
            (Method::Get, "/api/v1/statements/{id}", ids.statement),
            (
                Method::Get,
                "/api/v1/statements/{id}/revisions",
                ids.statement,
            ),
            (Method::Get, "/engagements/{id}", ids.engagement),
            (Method::Get, "/api/v1/engagements/{id}", ids.engagement),
            (Method::Post, "/improvements/{id}/status", ids.improvement),
            (Method::Get, "/applications/{id}", ids.application),
            (Method::Get, "/internal-audits/{id}", ids.internal_audit),
            (
                Method::Get,
                "/internal-audits/{id}/report",
                ids.internal_audit,
            ),
            (Method::Get, "/services/{id}/internal-audits", ids.service),
            (Method::Get, "/pre-applications/{id}", ids.pre_application),
            (Method::Get, "/files/{id}", ids.file),
            (
                Method::Post,
                "/organizations/{id}/destroy-key",
                ids.saas_org,
            ),
        ];
        for role in [ANONYMOUS, "iaas-admin", "agency-a"] {
            let client = Client::new(&server);
            if role != ANONYMOUS {
                client.sign_in(role).await;
            }
            client.csrf().await;
            for (method, pattern, id) in &routes {
                let mut answers = Vec::new();
                for object in [*id, MISSING] {
                    let path = pattern.replace("{id}", &object.to_string());
                    let response = request(&client, role, *method, pattern, &path).await;
                    let status = response.status().as_u16();
                    let mut headers: Vec<(String, String)> = response
                        .headers()
                        .iter()
                        .filter(|(name, _)| {
                            !matches!(name.as_str(), "date" | "x-request-id" | "content-length")
                        })
                        .map(|(n, v)| {
                            let value = v.to_str().unwrap_or("");
                            // A cookie's value is random; which cookie is set is compared.
                            let value = if n == "set-cookie" {
                                value.split('=').next().unwrap_or("").to_owned()
                            } else if n == "location" {
                                // The sign-in page returns to the page asked for.
                                without_number(&value.replace("%2F", "/"), object)
                            } else {
                                value.to_owned()
                            };
                            (n.to_string(), value)
                        })
                        .collect();
                    headers.sort();
                    let body = without_number(&response.text().await.unwrap(), object);
                    answers.push((status, headers, body));
                }
                let what = format!("{backend:?} {role} {method:?} {pattern}");
                assert_eq!(answers[0], answers[1], "{what}: existing vs missing");
                let expected: &[u16] = if role == ANONYMOUS {
                    &[401, 303]
                } else {
                    &[404]
                };
                assert!(expected.contains(&answers[0].0), "{what}: {}", answers[0].0);
            }
        }
    }
}

/// `text` with every whole number equal to `id` that follows a space or a
/// slash (as in "statement 1", "/statements/1") replaced by `{id}`.
fn without_number(text: &str, id: i64) -> String {
    let id = id.to_string();
    let mut out = String::with_capacity(text.len());
    let mut digits = String::new();
    let mut before = '\0';
    for c in text.chars().chain(std::iter::once('\0')) {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let echoed = digits == id && matches!(before, ' ' | '/');
        out.push_str(if echoed { "{id}" } else { &digits });
        digits.clear();
        if c != '\0' {
            out.push(c);
        }
        before = c;
    }
    out
}

/// An engagement with an issued report, an improvement measure and an
/// evidence file of the audit organization, for the matrix to point at.
async fn audit_fixture(server: &ismap_web::testing::TestServer) -> Ids {
    let (service, statement) = saas_ids(server).await;
    let engaged = engaged(server).await;
    let auditor = Client::new(server);
    auditor.sign_in("auditor").await;
    let uploaded = auditor
        .post_multipart(
            &format!("/engagements/{}/evidence", engaged.engagement),
            evidence_form("5.1.1", "fixture.pdf", PDF.to_vec()),
        )
        .await;
    assert_eq!(uploaded.status(), 200);
    let db = &server.db;
    let file = ismap_store::engagements::evidence(db, engaged.engagement)
        .await
        .unwrap()[0]
        .file
        .id;
    // The report and the plan are set up in the store: the matrix checks
    // who may reach them, the audit tests check how they are made.
    let actor = ismap_store::Actor::system("authorization matrix");
    let engagement = ismap_store::engagements::get(db, engaged.engagement)
        .await
        .unwrap();
    let report = ismap_store::engagements::issue_report(
        db,
        &actor,
        &engagement,
        &serde_json::to_value(ismap_formats::audit_report::ReportSnapshot {
            engagement: engagement.id,
            service: engagement.service_name.clone(),
            provider: engagement.csp_name.clone(),
            audit_organization: engagement.audit_organization_name.clone(),
            auditors: vec![],
            catalog: engagement.catalog_id.clone(),
            statement: engagement.statement_id,
            revision: engagement.revision,
            period_start: engagement.period_start.to_string(),
            period_end: engagement.period_end.to_string(),
            scope: engagement.scope.clone(),
            cycle_year: 1,
            cycle_years: 1,
            conforming: 0,
            deficiency: 0,
            not_tested: 0,
            rows: vec![],
        })
        .unwrap(),
        "",
    )
    .await
    .unwrap();
    let improvement = ismap_store::improvement::add(
        db,
        &actor,
        &engagement,
        ismap_store::improvement::NewItem {
            report_id: report.id,
            control_id: "8.1.2.7.PB",
            measure: "fixture",
            due_date: "2099-01-01".parse().unwrap(),
        },
    )
    .await
    .unwrap();
    // An application filed with the fixture's report, for the review routes.
    let provider = Client::new(server);
    provider.sign_in("saas-admin").await;
    let submitted = provider
        .post_multipart(
            &format!("/services/{service}/applications"),
            crate::registration::application_form(engaged.engagement, true),
        )
        .await;
    assert_eq!(
        submitted.status(),
        200,
        "{}",
        submitted.text().await.unwrap()
    );
    let application = ismap_store::applications::list(db, None).await.unwrap()[0].id;
    let (impact_assessment, pre_application, pre_application_file) =
        crate::liu_assessments::authz_fixture(server, service).await;
    let internal_audit = crate::internal_audits::authz_fixture(server, service).await;
    let channel = crate::channel::authz_fixture(server).await;
    let registration = ismap_store::registrations::by_number(db, "C21-0008-2")
        .await
        .unwrap()
        .id;
    let (interim_entry, interim_measure) = interim_fixture(server).await;
    Ids {
        channel,
        interim_entry,
        interim_measure,
        internal_audit,
        impact_assessment,
        pre_application,
        pre_application_file,
        application,
        registration,
        service,
        statement,
        engagement: engaged.engagement,
        improvement: improvement.id,
        file,
        saas_org: engaged.saas_org,
        audit_org: engaged.audit_org,
    }
}

/// Issue 15 (interim): two register entries of agency-a, one undecided (the
/// declare route's), one with an open interim measure.
async fn interim_fixture(server: &ismap_web::testing::TestServer) -> (i64, i64) {
    use sqlx::Row;
    let db = &server.db;
    let agency: i64 = sqlx::query(
        "SELECT m.organization_id FROM memberships m JOIN users u ON u.id = m.user_id \
         WHERE u.username = 'agency-a'",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap()
    .try_get("organization_id")
    .unwrap();
    let mut entries = Vec::new();
    for name in ["matrix SaaS A", "matrix SaaS B"] {
        let row = sqlx::query(
            "INSERT INTO cloud_usage_entries (agency_id, system_name, service_name, provider_name, \
             confidentiality, start_of_use, status, created_at, updated_at) \
             VALUES ($1, 'matrix system', $2, 'matrix provider', 2, '2026-04-15', 'planned', $3, $3) RETURNING id",
        )
        .bind(agency)
        .bind(name)
        .bind(ismap_store::now())
        .fetch_one(&db.pool)
        .await
        .unwrap();
        entries.push(row.try_get::<i64, _>("id").unwrap());
    }
    let start = ismap_domain::interim::InterimStart::StartOfUse("2026-04-15".parse().unwrap());
    let measure = ismap_store::interim::declare(
        db,
        &ismap_store::Actor::system("authorization matrix"),
        agency,
        &ismap_store::interim::NewMeasure {
            entry_id: entries[1],
            entry_version: 1,
            start,
            deadline: ismap_domain::interim::deadline(start).unwrap(),
            current_status: "matrix",
        },
    )
    .await
    .unwrap();
    (entries[0], measure.id)
}
