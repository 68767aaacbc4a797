//! Who acts in the programme (spec §1): organizations by kind, and the roles
//! a person can hold in one.

use std::fmt;

/// The kinds of organization taking part (spec §1 table).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OrgKind {
    /// Cloud service provider (クラウドサービス事業者).
    Csp,
    /// Registered audit organization (ISMAP監査機関).
    AuditOrg,
    /// Operations support body (ISMAP運用支援機関, IPA).
    Ipa,
    /// Steering committee (ISMAP運営委員会).
    Committee,
    /// Secretariat of the committee (事務局).
    Secretariat,
    /// Government agency (政府機関等).
    Agency,
    /// The Digital Agency (デジタル庁), keeper of the ISMAP-LIU special
    /// measures service list (spec §7.5).
    DigitalAgency,
}

impl OrgKind {
    pub const ALL: [OrgKind; 7] = [
        OrgKind::Csp,
        OrgKind::AuditOrg,
        OrgKind::Ipa,
        OrgKind::Committee,
        OrgKind::Secretariat,
        OrgKind::Agency,
        OrgKind::DigitalAgency,
    ];

    pub fn key(self) -> &'static str {
        match self {
            OrgKind::Csp => "csp",
            OrgKind::AuditOrg => "audit_org",
            OrgKind::Ipa => "ipa",
            OrgKind::Committee => "committee",
            OrgKind::Secretariat => "secretariat",
            OrgKind::Agency => "agency",
            OrgKind::DigitalAgency => "digital_agency",
        }
    }

    pub fn from_key(key: &str) -> Option<OrgKind> {
        OrgKind::ALL.into_iter().find(|k| k.key() == key)
    }
}

impl fmt::Display for OrgKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// A role a person holds in one organization.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// Manages the provider's services, members and statements.
    CspAdmin,
    /// Drafts the provider's statements.
    CspEditor,
    /// Audits engagements of an audit organization.
    Auditor,
    /// Accepts engagements for an audit organization and assigns its auditors (監査責任者).
    AuditManager,
    /// Reviews applications at IPA.
    Reviewer,
    /// Decides registrations in the steering committee.
    CommitteeMember,
    /// Runs the secretariat.
    SecretariatOfficer,
    /// Procures and tracks interim measures at an agency.
    AgencyOfficer,
    /// The agency's chief information security officer (最高情報セキュリティ
    /// 責任者): approves what the agency issues, may delegate to officers.
    AgencyCiso,
    /// Keeps the special measures service list at the Digital Agency.
    DigitalAgencyOfficer,
}

impl Role {
    pub const ALL: [Role; 10] = [
        Role::CspAdmin,
        Role::CspEditor,
        Role::Auditor,
        Role::AuditManager,
        Role::Reviewer,
        Role::CommitteeMember,
        Role::SecretariatOfficer,
        Role::AgencyOfficer,
        Role::AgencyCiso,
        Role::DigitalAgencyOfficer,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Role::CspAdmin => "csp_admin",
            Role::CspEditor => "csp_editor",
            Role::Auditor => "auditor",
            Role::AuditManager => "audit_manager",
            Role::Reviewer => "reviewer",
            Role::CommitteeMember => "committee_member",
            Role::SecretariatOfficer => "secretariat_officer",
            Role::AgencyOfficer => "agency_officer",
            Role::AgencyCiso => "agency_ciso",
            Role::DigitalAgencyOfficer => "digital_agency_officer",
        }
    }

    pub fn from_key(key: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.key() == key)
    }

    /// The kind of organization this role exists in.
    pub fn org_kind(self) -> OrgKind {
        match self {
            Role::CspAdmin | Role::CspEditor => OrgKind::Csp,
            Role::Auditor | Role::AuditManager => OrgKind::AuditOrg,
            Role::Reviewer => OrgKind::Ipa,
            Role::CommitteeMember => OrgKind::Committee,
            Role::SecretariatOfficer => OrgKind::Secretariat,
            Role::AgencyOfficer | Role::AgencyCiso => OrgKind::Agency,
            Role::DigitalAgencyOfficer => OrgKind::DigitalAgency,
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_and_roles_belong_to_one_kind() {
        for kind in OrgKind::ALL {
            assert_eq!(OrgKind::from_key(kind.key()), Some(kind));
        }
        for role in Role::ALL {
            assert_eq!(Role::from_key(role.key()), Some(role));
        }
        assert_eq!(Role::CspEditor.org_kind(), OrgKind::Csp);
        assert_eq!(Role::from_key("root"), None);
    }
}
