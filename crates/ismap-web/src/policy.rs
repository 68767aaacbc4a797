//! Authorization: one place decides every action from the person's roles and
//! organization (spec §1). Routes ask [`allows`]; nothing else decides.

use ismap_domain::{OrgKind, Role};
use ismap_store::orgs::Organization;
use ismap_store::users::User;

/// A signed-in person: one organization, one or more roles in it.
#[derive(Clone, Debug)]
pub struct Principal {
    pub user: User,
    pub organization: Organization,
    pub roles: Vec<Role>,
}

impl Principal {
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    pub fn is_member_of(&self, organization_id: i64) -> bool {
        self.organization.id == organization_id
    }

    fn is_csp_of(&self, owner: Option<i64>) -> bool {
        self.organization.kind == OrgKind::Csp && owner.is_some_and(|o| self.is_member_of(o))
    }

    fn is_audit_org_of(&self, owner: Option<i64>) -> bool {
        self.organization.kind == OrgKind::AuditOrg && owner.is_some_and(|o| self.is_member_of(o))
    }

    /// Reviewing bodies see every provider's services (spec §1, §5).
    fn oversees_services(&self) -> bool {
        self.has(Role::Reviewer)
            || self.has(Role::CommitteeMember)
            || self.has(Role::SecretariatOfficer)
    }
}

/// Everything a request can ask to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    /// The control standard is public.
    ViewCatalog,
    ViewDashboard,
    ManageOwnTokens,
    ListServices,
    ViewService,
    CreateService,
    EditService,
    ViewStatement,
    /// Read, without changing it, a statement submitted in an application
    /// for registration: the reviewing bodies that decide on it (IPA and the
    /// steering committee). A role-level permission: the handler also checks
    /// that the statement is part of an application, else it stays hidden.
    ReadSubmittedStatement,
    EditStatement,
    ViewEvents,
    /// Register or renew an organization on the audit organization list.
    ManageAuditOrgList,
    /// Ask an audit organization to audit a statement (owner: the provider).
    RequestEngagement,
    /// Keep the provider's evidence library (owner: the provider).
    ManageEvidenceLibrary,
    /// Destroy the organization's file key, erasing its files (owner: the organization).
    DestroyOrganizationKey,
    /// File an application for registration (owner: the provider).
    SubmitApplication,
    /// See an application, its package and its review (owner: the provider).
    ViewApplication,
    /// List applications: the provider its own, the reviewing bodies all.
    ListApplications,
    /// Suspend or reinstate a registration.
    SuspendRegistration,
    /// List an organization's people and disable or enable their accounts
    /// (owner: their organization): its administrator, or the secretariat
    /// for anyone.
    ManageUsers,
}

/// Whether `principal` (None: not signed in) may do `action` on an object
/// owned by organization `owner`.
pub fn allows(principal: Option<&Principal>, action: Action, owner: Option<i64>) -> bool {
    if action == Action::ViewCatalog {
        return true;
    }
    let Some(p) = principal else {
        return false;
    };
    match action {
        Action::ViewCatalog | Action::ViewDashboard | Action::ManageOwnTokens => true,
        Action::ListServices => p.organization.kind == OrgKind::Csp || p.oversees_services(),
        Action::ViewService => p.is_csp_of(owner) || p.oversees_services(),
        Action::CreateService | Action::EditService => p.is_csp_of(owner) && p.has(Role::CspAdmin),
        // Statements stay with their provider until submitted (spec §1, §5).
        Action::ViewStatement => p.is_csp_of(owner),
        Action::ReadSubmittedStatement => p.has(Role::Reviewer) || p.has(Role::CommitteeMember),
        Action::EditStatement => {
            p.is_csp_of(owner) && (p.has(Role::CspAdmin) || p.has(Role::CspEditor))
        }
        Action::ViewEvents => {
            p.has(Role::SecretariatOfficer)
                || (p.is_csp_of(owner) && p.has(Role::CspAdmin))
                || (p.is_audit_org_of(owner) && p.has(Role::AuditManager))
        }
        Action::ManageAuditOrgList => p.has(Role::SecretariatOfficer),
        Action::RequestEngagement => p.is_csp_of(owner) && p.has(Role::CspAdmin),
        Action::ManageEvidenceLibrary => {
            p.is_csp_of(owner) && (p.has(Role::CspAdmin) || p.has(Role::CspEditor))
        }
        Action::SubmitApplication => p.is_csp_of(owner) && p.has(Role::CspAdmin),
        Action::ViewApplication => p.is_csp_of(owner) || p.oversees_services(),
        Action::ListApplications => p.organization.kind == OrgKind::Csp || p.oversees_services(),
        Action::SuspendRegistration => p.has(Role::CommitteeMember),
        Action::ManageUsers => {
            p.has(Role::SecretariatOfficer)
                || (p.is_csp_of(owner) && p.has(Role::CspAdmin))
                || (p.is_audit_org_of(owner) && p.has(Role::AuditManager))
        }
        Action::DestroyOrganizationKey => {
            (p.is_csp_of(owner) && p.has(Role::CspAdmin))
                || (p.is_audit_org_of(owner) && p.has(Role::AuditManager))
        }
    }
}

/// # Not found or forbidden (issue 12, item 18)
///
/// Ids are sequential, so the way a refusal looks must not tell whether an
/// object exists. The rule, for every handler that loads an object by id
/// (from the path or from a form field):
///
/// 1. **Not signed in**: sign-in first (401 from the API, a redirect to the
///    sign-in page), decided *before* the object is loaded, so a missing and
///    an existing id look the same to the anonymous too.
/// 2. **The principal may not see the object** (another organization's
///    service, statement, engagement and its reports and improvement
///    measures, application, file, organization settings, token): **404**,
///    built by [`hidden`] from the same words the store uses for a missing
///    row ("service 42"), so the status and the body are the same as for an
///    id that does not exist. Seeing is [`Action::ViewService`],
///    [`Action::ViewStatement`], [`EngagementAction::View`],
///    [`Action::ViewApplication`], [`allows_file`], membership of the
///    organization, ownership of the token.
/// 3. **The principal sees the object but may not do this to it** (a
///    provider's editor asked to change its own service's details, a
///    reviewer asked for the statements of a service it oversees (drafts
///    stay with the provider), the provider asked to record audit results in
///    its own engagement): **403**.
/// 4. **Role-level actions not tied to a hidden object** (create a service,
///    keep the audit organization list, suspend a registration, whose
///    existence is public on the lists): **403**.
///
/// [`require_visible`] applies 1 and 2; [`allows`]/[`allows_engagement`]
/// then decide 3 and 4 as before.
pub fn hidden(kind: &str, id: i64) -> crate::error::Failure {
    crate::error::Failure::NotFound(format!("{kind} {id}"))
}

/// The signed-in principal, or the sign-in failure; call it before loading
/// an object by id (rule 1 of [`hidden`]).
pub fn signed_in(principal: Option<&Principal>) -> Result<&Principal, crate::error::Failure> {
    principal.ok_or(crate::error::Failure::NotSignedIn)
}

/// The principal when it may see object `kind` `id` (`sees`); otherwise the
/// very failure a missing `kind` `id` gets (rules 1 and 2 of [`hidden`]).
pub fn require_visible<'p>(
    principal: Option<&'p Principal>,
    sees: impl FnOnce(&Principal) -> bool,
    kind: &str,
    id: i64,
) -> Result<&'p Principal, crate::error::Failure> {
    let p = signed_in(principal)?;
    if sees(p) {
        Ok(p)
    } else {
        Err(hidden(kind, id))
    }
}

/// The parties of an audit engagement, as the policy needs them.
#[derive(Clone, Copy, Debug)]
pub struct Parties {
    pub provider: i64,
    pub audit_organization: i64,
    /// The person asking is one of the assigned auditors.
    pub assigned: bool,
}

/// What can be done to one engagement.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EngagementAction {
    /// See the engagement, its results and its issued reports.
    View,
    AssignAuditors,
    /// Record results and collect evidence.
    Audit,
    IssueReport,
    /// File and update the improvement plan.
    Improve,
}

/// Only the two parties see an engagement (issue 5): the provider's people,
/// the audit organization's manager and the auditors assigned to it.
pub fn allows_engagement(
    principal: Option<&Principal>,
    action: EngagementAction,
    parties: Parties,
) -> bool {
    let Some(p) = principal else {
        return false;
    };
    let provider = p.is_csp_of(Some(parties.provider));
    let manager = p.is_audit_org_of(Some(parties.audit_organization)) && p.has(Role::AuditManager);
    let auditor = p.is_audit_org_of(Some(parties.audit_organization))
        && p.has(Role::Auditor)
        && parties.assigned;
    match action {
        EngagementAction::View => provider || manager || auditor,
        EngagementAction::AssignAuditors => manager,
        EngagementAction::Audit | EngagementAction::IssueReport => auditor,
        EngagementAction::Improve => provider && (p.has(Role::CspAdmin) || p.has(Role::CspEditor)),
    }
}

/// What a stored file belongs to.
#[derive(Clone, Copy, Debug)]
pub enum FileUse {
    /// An auditor's working paper in an engagement.
    AuditEvidence(Parties),
    /// A document of an application for registration (owner: the provider).
    Application,
    /// The provider's evidence library.
    Library,
}

/// Who may read a stored file. Evidence stays with the organization that
/// uploaded it (its key is that organization's): engagement evidence is for
/// that engagement's auditors and manager, library files for the provider's
/// people. An application's documents are submitted for review, so the
/// reviewing bodies read them too (spec §5).
pub fn allows_file(principal: Option<&Principal>, file_owner: i64, used: FileUse) -> bool {
    let Some(p) = principal else {
        return false;
    };
    match used {
        FileUse::Application => allows(principal, Action::ViewApplication, Some(file_owner)),
        _ if !p.is_member_of(file_owner) => false,
        FileUse::AuditEvidence(parties) => {
            allows_engagement(principal, EngagementAction::Audit, parties)
                || allows_engagement(principal, EngagementAction::AssignAuditors, parties)
        }
        FileUse::Library => allows(principal, Action::ManageEvidenceLibrary, Some(file_owner)),
    }
}

/// Whose services a listing shows: `Some(None)` all, `Some(Some(org))` one
/// organization's, `None` the listing is not allowed.
pub fn service_scope(principal: Option<&Principal>) -> Option<Option<i64>> {
    let p = principal?;
    if !allows(principal, Action::ListServices, None) {
        return None;
    }
    Some(if p.oversees_services() {
        None
    } else {
        Some(p.organization.id)
    })
}

/// Whose events a listing shows, like [`service_scope`].
pub fn event_scope(principal: Option<&Principal>) -> Option<Option<i64>> {
    let p = principal?;
    if p.has(Role::SecretariatOfficer) {
        Some(None)
    } else if allows(principal, Action::ViewEvents, Some(p.organization.id)) {
        Some(Some(p.organization.id))
    } else {
        None
    }
}

/// What can be done with a service's internal audits (内部監査報告書,
/// spec §7.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum InternalAuditAction {
    /// See the records, the coverage and the report files.
    View,
    /// Record internal audits and correct them.
    Record,
    /// Record IPA's check of an application's internal audit reports.
    Check,
}

/// The provider's people keep their service's internal audits; IPA and the
/// committee see them once the service has an ISMAP-LIU application
/// (`liu_applied`: the reports are submitted for review), and IPA records
/// its check. Anyone else does not see them (404).
pub fn allows_internal_audits(
    principal: Option<&Principal>,
    action: InternalAuditAction,
    owner: i64,
    liu_applied: bool,
) -> bool {
    let Some(p) = principal else {
        return false;
    };
    let provider = p.is_csp_of(Some(owner)) && (p.has(Role::CspAdmin) || p.has(Role::CspEditor));
    let reviewing = liu_applied && (p.has(Role::Reviewer) || p.has(Role::CommitteeMember));
    match action {
        InternalAuditAction::View => provider || reviewing,
        InternalAuditAction::Record => provider,
        InternalAuditAction::Check => liu_applied && p.has(Role::Reviewer),
    }
}

/// Who sees the special measures service list (特別措置サービスリスト, spec
/// §7.5, seed 001: 政府機関等に共有され（一般には非公開）): the government
/// bodies — agencies (officers and CISOs), the secretariat, IPA, the
/// steering committee and the Digital Agency that keeps it. To anyone else
/// (visitors, providers, audit organizations) every special-measures page
/// answers 404, so the list is not even known to exist.
pub fn sees_special_measures(principal: Option<&Principal>) -> bool {
    let Some(p) = principal else {
        return false;
    };
    let government = [
        (OrgKind::Agency, Role::AgencyOfficer),
        (OrgKind::Agency, Role::AgencyCiso),
        (OrgKind::Secretariat, Role::SecretariatOfficer),
        (OrgKind::Ipa, Role::Reviewer),
        (OrgKind::Committee, Role::CommitteeMember),
        (OrgKind::DigitalAgency, Role::DigitalAgencyOfficer),
    ];
    government
        .iter()
        .any(|(kind, role)| p.organization.kind == *kind && p.has(*role))
}

/// Who changes the special measures service list: the Digital Agency's
/// officers (spec §7.5).
pub fn keeps_special_measures(principal: Option<&Principal>) -> bool {
    principal.is_some_and(|p| {
        p.organization.kind == OrgKind::DigitalAgency && p.has(Role::DigitalAgencyOfficer)
    })
}

// ---------------------------------------------------------------------
// ISMAP-LIU impact assessments and pre-applications (issue 14, items 5–6).

/// The parties of an impact assessment, as the policy needs them.
#[derive(Clone, Copy, Debug)]
pub struct AssessmentParties {
    /// The provider whose service is assessed.
    pub provider: i64,
    /// The agency asked to assess it.
    pub agency: i64,
    pub approved: bool,
    /// The person asking holds a live approval delegation of that agency.
    pub delegate: bool,
}

/// What can be done to one impact assessment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AssessmentAction {
    /// The provider's people, the agency's people, and — once approved —
    /// every agency's people (to reuse it).
    View,
    /// The agency's officer fills it in and submits it.
    Fill,
    /// The agency's CISO, or an officer the CISO delegated approval to.
    Decide,
    /// Another agency's officer records a reuse of an approved assessment.
    Reuse,
}

impl Principal {
    fn is_agency_of(&self, agency: i64) -> bool {
        self.organization.kind == OrgKind::Agency && self.is_member_of(agency)
    }

    fn is_agency_person(&self) -> bool {
        self.organization.kind == OrgKind::Agency
            && (self.has(Role::AgencyOfficer) || self.has(Role::AgencyCiso))
    }
}

pub fn allows_assessment(
    principal: Option<&Principal>,
    action: AssessmentAction,
    parties: AssessmentParties,
) -> bool {
    let Some(p) = principal else {
        return false;
    };
    let own_agency = p.is_agency_of(parties.agency) && p.is_agency_person();
    match action {
        AssessmentAction::View => {
            p.is_csp_of(Some(parties.provider))
                || own_agency
                || (parties.approved && p.is_agency_person())
        }
        AssessmentAction::Fill => own_agency && p.has(Role::AgencyOfficer),
        AssessmentAction::Decide => {
            own_agency
                && (p.has(Role::AgencyCiso) || (p.has(Role::AgencyOfficer) && parties.delegate))
        }
        AssessmentAction::Reuse => {
            parties.approved && p.organization.kind == OrgKind::Agency && p.has(Role::AgencyOfficer)
        }
    }
}

/// The provider's administrator asks agencies for assessments of its service.
pub fn allows_request_assessment(principal: Option<&Principal>, provider: i64) -> bool {
    principal.is_some_and(|p| p.is_csp_of(Some(provider)) && p.has(Role::CspAdmin))
}

/// The provider's people see their services' assessments page.
pub fn allows_service_assessments(principal: Option<&Principal>, provider: i64) -> bool {
    principal.is_some_and(|p| p.is_csp_of(Some(provider)))
}

/// Who has an assessment list: providers and agencies' people.
pub fn allows_assessment_list(principal: Option<&Principal>) -> bool {
    principal.is_some_and(|p| p.organization.kind == OrgKind::Csp || p.is_agency_person())
}

/// The agency's CISO keeps the approval delegations.
pub fn allows_delegations(principal: Option<&Principal>) -> bool {
    principal.is_some_and(|p| p.organization.kind == OrgKind::Agency && p.has(Role::AgencyCiso))
}

/// What can be done to a pre-application (事前申請).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PreApplicationAction {
    /// The provider's people and IPA.
    View,
    /// File, amend, resubmit, withdraw: the provider's administrator.
    File,
    /// Accept or return: IPA.
    Review,
}

pub fn allows_pre_application(
    principal: Option<&Principal>,
    action: PreApplicationAction,
    provider: i64,
) -> bool {
    let Some(p) = principal else {
        return false;
    };
    match action {
        PreApplicationAction::View => p.is_csp_of(Some(provider)) || p.has(Role::Reviewer),
        PreApplicationAction::File => p.is_csp_of(Some(provider)) && p.has(Role::CspAdmin),
        PreApplicationAction::Review => p.has(Role::Reviewer),
    }
}

/// Who has a pre-application list: providers (their own) and IPA (all).
pub fn allows_pre_application_list(principal: Option<&Principal>) -> bool {
    principal.is_some_and(|p| p.organization.kind == OrgKind::Csp || p.has(Role::Reviewer))
}

/// What can be done with interim measures (暫定措置, issue 15 — area
/// `interim`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InterimAction {
    /// See one measure: its agency's officers and CISO, and the secretariat.
    View,
    /// Declare, acknowledge, record requests and hearings, report, plan,
    /// progress: the agency's own officers and CISO only (the secretariat
    /// reads, it does not write the agency's records).
    Record,
}

/// Whether the person has interim measures at all (an agency's officer or
/// CISO, or the secretariat): the list page, and the first check of every
/// route before an object is loaded (anyone else: 404 for an object).
pub fn sees_interim(principal: Option<&Principal>) -> bool {
    principal.is_some_and(|p| p.is_agency_person() || p.has(Role::SecretariatOfficer))
}

/// Whether the person may do `action` on a measure (or register entry) of
/// `agency`.
pub fn allows_interim(principal: Option<&Principal>, action: InterimAction, agency: i64) -> bool {
    let Some(p) = principal else {
        return false;
    };
    let own = p.is_agency_of(agency) && p.is_agency_person();
    match action {
        InterimAction::View => own || p.has(Role::SecretariatOfficer),
        InterimAction::Record => own,
    }
}

// Issue 15, opsreport: the operations report (運用状況の報告) is the
// secretariat's report to the Cybersecurity Strategic Headquarters (seed 000).

/// Who reads the operations report: the secretariat's officers only.
pub fn allows_opsreport(principal: Option<&Principal>) -> bool {
    principal.is_some_and(|p| {
        p.organization.kind == OrgKind::Secretariat && p.has(Role::SecretariatOfficer)
    })
}

// issue 15: channel — inquiries, doubts, status requests, notices between
// agencies and the secretariat (pages/channel.rs).

/// Which part of the channel a listing or form belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChannelPart {
    Inquiries,
    Doubts,
    StatusRequests,
    Notices,
}

/// The agency a person speaks for in the channel: their own, when they are
/// an agency's officer or CISO.
pub fn channel_agency(principal: Option<&Principal>) -> Option<i64> {
    principal
        .filter(|p| p.is_agency_person())
        .map(|p| p.organization.id)
}

/// The secretariat (ISMAP運営委員会事務局) runs the channel's other end.
pub fn channel_secretariat(principal: Option<&Principal>) -> bool {
    principal.is_some_and(|p| p.has(Role::SecretariatOfficer))
}

/// Who has a listing of `part`: agencies' people and the secretariat; for
/// doubts also IPA and the committee (those referred to them). Providers,
/// audit organizations and anyone else: refused (403).
pub fn allows_channel_list(principal: Option<&Principal>, part: ChannelPart) -> bool {
    let Some(p) = principal else {
        return false;
    };
    channel_agency(Some(p)).is_some()
        || channel_secretariat(Some(p))
        || (part == ChannelPart::Doubts && (p.has(Role::Reviewer) || p.has(Role::CommitteeMember)))
}

/// Who sees one object of the channel owned by `agency`: that agency's
/// people and the secretariat; a doubt also the bodies it was referred to
/// (`referred`: (IPA, committee)). Anyone else gets the answer a missing
/// object gets.
pub fn sees_channel_object(
    principal: Option<&Principal>,
    agency: i64,
    referred: (bool, bool),
) -> bool {
    let Some(p) = principal else {
        return false;
    };
    channel_agency(Some(p)) == Some(agency)
        || channel_secretariat(Some(p))
        || (referred.0 && p.has(Role::Reviewer))
        || (referred.1 && p.has(Role::CommitteeMember))
}

/// Notices are for every agency's people and the secretariat.
pub fn sees_notices(principal: Option<&Principal>) -> bool {
    channel_agency(principal).is_some() || channel_secretariat(principal)
}

// ---------------------------------------------------------------------
// Issue 15 (register): the cloud usage register and procurement checks.

/// What can be done with the cloud usage register (クラウド利用台帳).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RegisterAction {
    /// Read an agency's register: its own people, the secretariat (all).
    View,
    /// Record, change, import, run checks, prepare a CISO confirmation:
    /// the agency's officers and CISO.
    Edit,
    /// Confirm an unregistered service under the CISO's responsibility
    /// (seed 000 §1): the agency's CISO only.
    Confirm,
}

/// Whether `principal` may do `action` on the register of `agency`
/// (`None`: the register as a whole, before any entry is loaded).
pub fn allows_register(
    principal: Option<&Principal>,
    action: RegisterAction,
    agency: Option<i64>,
) -> bool {
    let Some(p) = principal else {
        return false;
    };
    let own = p.is_agency_person() && agency.is_none_or(|a| p.is_agency_of(a));
    let secretariat =
        p.organization.kind == OrgKind::Secretariat && p.has(Role::SecretariatOfficer);
    match action {
        RegisterAction::View => own || secretariat,
        RegisterAction::Edit => own,
        RegisterAction::Confirm => own && p.has(Role::AgencyCiso),
    }
}

/// Who may ask the procurement check API: government bodies that procure
/// or oversee procurement — agencies' people and the secretariat.
pub fn allows_procurement_check(principal: Option<&Principal>) -> bool {
    allows_register(principal, RegisterAction::View, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_government_bodies_see_the_special_measures_list() {
        for (kind, role, sees, keeps) in [
            (OrgKind::Agency, Role::AgencyOfficer, true, false),
            (OrgKind::Agency, Role::AgencyCiso, true, false),
            (OrgKind::Secretariat, Role::SecretariatOfficer, true, false),
            (OrgKind::Ipa, Role::Reviewer, true, false),
            (OrgKind::Committee, Role::CommitteeMember, true, false),
            (
                OrgKind::DigitalAgency,
                Role::DigitalAgencyOfficer,
                true,
                true,
            ),
            (OrgKind::Csp, Role::CspAdmin, false, false),
            (OrgKind::Csp, Role::CspEditor, false, false),
            (OrgKind::AuditOrg, Role::AuditManager, false, false),
            (OrgKind::AuditOrg, Role::Auditor, false, false),
        ] {
            let p = principal(kind, 3, role);
            assert_eq!(sees_special_measures(Some(&p)), sees, "{role:?}");
            assert_eq!(keeps_special_measures(Some(&p)), keeps, "{role:?}");
        }
        assert!(!sees_special_measures(None));
        assert!(!keeps_special_measures(None));
        // A government role held in the wrong kind of organization is not enough.
        let odd = principal(OrgKind::Csp, 3, Role::DigitalAgencyOfficer);
        assert!(!sees_special_measures(Some(&odd)) && !keeps_special_measures(Some(&odd)));
    }

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
    fn a_provider_sees_only_its_own_services_and_statements() {
        let editor = principal(OrgKind::Csp, 7, Role::CspEditor);
        assert!(allows(Some(&editor), Action::ViewService, Some(7)));
        assert!(!allows(Some(&editor), Action::ViewService, Some(8)));
        assert!(allows(Some(&editor), Action::EditStatement, Some(7)));
        assert!(!allows(Some(&editor), Action::EditStatement, Some(8)));
        assert!(
            !allows(Some(&editor), Action::CreateService, Some(7)),
            "editors draft, admins manage"
        );
        assert_eq!(service_scope(Some(&editor)), Some(Some(7)));
    }

    #[test]
    fn reviewers_see_services_but_not_draft_statements() {
        let reviewer = principal(OrgKind::Ipa, 3, Role::Reviewer);
        assert!(allows(Some(&reviewer), Action::ViewService, Some(7)));
        assert!(!allows(Some(&reviewer), Action::ViewStatement, Some(7)));
        assert!(allows(
            Some(&reviewer),
            Action::ReadSubmittedStatement,
            None
        ));
        assert_eq!(service_scope(Some(&reviewer)), Some(None));
    }

    #[test]
    fn only_the_deciding_bodies_read_submitted_statements() {
        for (kind, role, reads) in [
            (OrgKind::Ipa, Role::Reviewer, true),
            (OrgKind::Committee, Role::CommitteeMember, true),
            (OrgKind::Csp, Role::CspAdmin, false),
            (OrgKind::AuditOrg, Role::AuditManager, false),
            (OrgKind::Agency, Role::AgencyOfficer, false),
        ] {
            let p = principal(kind, 3, role);
            assert_eq!(
                allows(Some(&p), Action::ReadSubmittedStatement, None),
                reads,
                "{role:?}"
            );
        }
        assert!(!allows(None, Action::ReadSubmittedStatement, None));
    }

    #[test]
    fn only_the_parties_see_an_engagement() {
        let parties = Parties {
            provider: 7,
            audit_organization: 20,
            assigned: false,
        };
        let provider = principal(OrgKind::Csp, 7, Role::CspEditor);
        let manager = principal(OrgKind::AuditOrg, 20, Role::AuditManager);
        let auditor = principal(OrgKind::AuditOrg, 20, Role::Auditor);
        let other_auditor = principal(OrgKind::AuditOrg, 21, Role::Auditor);
        let reviewer = principal(OrgKind::Ipa, 3, Role::Reviewer);
        assert!(allows_engagement(
            Some(&provider),
            EngagementAction::View,
            parties
        ));
        assert!(allows_engagement(
            Some(&provider),
            EngagementAction::Improve,
            parties
        ));
        assert!(!allows_engagement(
            Some(&provider),
            EngagementAction::Audit,
            parties
        ));
        assert!(allows_engagement(
            Some(&manager),
            EngagementAction::AssignAuditors,
            parties
        ));
        assert!(!allows_engagement(
            Some(&manager),
            EngagementAction::Audit,
            parties
        ));
        assert!(!allows_engagement(
            Some(&auditor),
            EngagementAction::View,
            parties
        ));
        let assigned = Parties {
            assigned: true,
            ..parties
        };
        assert!(allows_engagement(
            Some(&auditor),
            EngagementAction::Audit,
            assigned
        ));
        assert!(allows_engagement(
            Some(&auditor),
            EngagementAction::IssueReport,
            assigned
        ));
        assert!(!allows_engagement(
            Some(&other_auditor),
            EngagementAction::View,
            assigned
        ));
        assert!(!allows_engagement(
            Some(&reviewer),
            EngagementAction::View,
            assigned
        ));
        assert!(!allows_engagement(None, EngagementAction::View, assigned));
    }

    #[test]
    fn files_stay_with_the_organization_that_uploaded_them() {
        let provider = principal(OrgKind::Csp, 7, Role::CspEditor);
        let stranger = principal(OrgKind::Csp, 8, Role::CspAdmin);
        let auditor = principal(OrgKind::AuditOrg, 20, Role::Auditor);
        assert!(allows_file(Some(&provider), 7, FileUse::Library));
        assert!(!allows_file(Some(&stranger), 7, FileUse::Library));
        assert!(!allows_file(Some(&auditor), 7, FileUse::Library));
        let parties = Parties {
            provider: 7,
            audit_organization: 20,
            assigned: true,
        };
        assert!(allows_file(
            Some(&auditor),
            20,
            FileUse::AuditEvidence(parties)
        ));
        assert!(
            !allows_file(Some(&provider), 20, FileUse::AuditEvidence(parties)),
            "the provider sees the engagement, not the auditor's working papers"
        );
        let reviewer = principal(OrgKind::Ipa, 3, Role::Reviewer);
        assert!(allows_file(Some(&reviewer), 7, FileUse::Application));
        assert!(!allows_file(Some(&reviewer), 7, FileUse::Library));
        assert!(!allows_file(Some(&stranger), 7, FileUse::Application));
    }

    #[test]
    fn an_invisible_object_is_refused_as_a_missing_one() {
        let stranger = principal(OrgKind::Csp, 8, Role::CspAdmin);
        let sees = |p: &Principal| allows(Some(p), Action::ViewService, Some(7));
        let refused = require_visible(Some(&stranger), sees, "service", 42).unwrap_err();
        let missing =
            crate::error::Failure::from(ismap_store::StoreError::NotFound("service 42".into()));
        assert_eq!(format!("{refused:?}"), format!("{missing:?}"));
        assert_eq!(refused.status(), axum::http::StatusCode::NOT_FOUND);
        assert!(matches!(
            require_visible(None, sees, "service", 42),
            Err(crate::error::Failure::NotSignedIn)
        ));
        let own = principal(OrgKind::Csp, 7, Role::CspEditor);
        assert!(require_visible(Some(&own), sees, "service", 42).is_ok());
    }

    #[test]
    fn agencies_and_the_public_see_the_catalog_only() {
        let agency = principal(OrgKind::Agency, 9, Role::AgencyOfficer);
        assert!(allows(Some(&agency), Action::ViewCatalog, None));
        assert!(!allows(Some(&agency), Action::ListServices, None));
        assert!(allows(None, Action::ViewCatalog, None));
        assert!(!allows(None, Action::ViewDashboard, None));
        assert_eq!(service_scope(None), None);
    }
}
