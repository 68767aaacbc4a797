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
    EditStatement,
    ViewEvents,
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
        Action::EditStatement => {
            p.is_csp_of(owner) && (p.has(Role::CspAdmin) || p.has(Role::CspEditor))
        }
        Action::ViewEvents => {
            p.has(Role::SecretariatOfficer) || (p.is_csp_of(owner) && p.has(Role::CspAdmin))
        }
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

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(service_scope(Some(&reviewer)), Some(None));
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
