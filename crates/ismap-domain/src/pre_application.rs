//! The ISMAP-LIU pre-application (事前申請, seed 001) as a state machine,
//! shaped like [`crate::review`]: who may move a pre-application from which
//! state to which. Pure: the store records each move with who, when, why.
//!
//! The states and moves are an assumption of this system (the seeds say
//! only that the pre-application documents are filed to IPA through the
//! portal): IPA accepts or returns; the provider amends and resubmits a
//! returned one, or withdraws.

use std::fmt;

use crate::actor::Role;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PreApplicationState {
    /// Filed (or refiled) by the provider; waiting for IPA.
    Submitted,
    Accepted,
    /// IPA returned it with reasons; the provider amends it.
    Returned,
    Withdrawn,
}

impl PreApplicationState {
    pub const ALL: [PreApplicationState; 4] = [
        PreApplicationState::Submitted,
        PreApplicationState::Accepted,
        PreApplicationState::Returned,
        PreApplicationState::Withdrawn,
    ];

    pub fn key(self) -> &'static str {
        match self {
            PreApplicationState::Submitted => "submitted",
            PreApplicationState::Accepted => "accepted",
            PreApplicationState::Returned => "returned",
            PreApplicationState::Withdrawn => "withdrawn",
        }
    }

    pub fn from_key(key: &str) -> Option<PreApplicationState> {
        PreApplicationState::ALL
            .into_iter()
            .find(|s| s.key() == key)
    }

    pub fn is_final(self) -> bool {
        matches!(
            self,
            PreApplicationState::Accepted | PreApplicationState::Withdrawn
        )
    }
}

impl fmt::Display for PreApplicationState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PreTransition {
    Accept,
    Return,
    /// The provider files the amended pre-application again.
    Resubmit,
    Withdraw,
}

impl PreTransition {
    pub const ALL: [PreTransition; 4] = [
        PreTransition::Accept,
        PreTransition::Return,
        PreTransition::Resubmit,
        PreTransition::Withdraw,
    ];

    pub fn key(self) -> &'static str {
        match self {
            PreTransition::Accept => "accept",
            PreTransition::Return => "return",
            PreTransition::Resubmit => "resubmit",
            PreTransition::Withdraw => "withdraw",
        }
    }

    pub fn from_key(key: &str) -> Option<PreTransition> {
        PreTransition::ALL.into_iter().find(|t| t.key() == key)
    }

    pub fn roles(self) -> &'static [Role] {
        match self {
            PreTransition::Accept | PreTransition::Return => &[Role::Reviewer],
            PreTransition::Resubmit | PreTransition::Withdraw => &[Role::CspAdmin],
        }
    }

    /// The provider's own moves: only the applicant organization makes them.
    pub fn is_providers(self) -> bool {
        matches!(self, PreTransition::Resubmit | PreTransition::Withdraw)
    }

    /// Returning and withdrawing say why.
    pub fn needs_reason(self) -> bool {
        matches!(self, PreTransition::Return | PreTransition::Withdraw)
    }

    fn allowed_from(self) -> &'static [PreApplicationState] {
        use PreApplicationState::*;
        match self {
            PreTransition::Accept | PreTransition::Return => &[Submitted],
            PreTransition::Resubmit => &[Returned],
            PreTransition::Withdraw => &[Submitted, Returned],
        }
    }

    fn to_state(self) -> PreApplicationState {
        match self {
            PreTransition::Accept => PreApplicationState::Accepted,
            PreTransition::Return => PreApplicationState::Returned,
            PreTransition::Resubmit => PreApplicationState::Submitted,
            PreTransition::Withdraw => PreApplicationState::Withdrawn,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PreApplicationError {
    #[error("a pre-application that is {from} cannot {transition}")]
    NotFrom {
        from: PreApplicationState,
        transition: &'static str,
    },
    #[error("only {roles} may {transition}")]
    Role {
        transition: &'static str,
        roles: String,
    },
    #[error("{transition} needs a reason")]
    NoReason { transition: &'static str },
}

/// The state `transition` leads to from `from` for someone with `roles`,
/// or why not. The organization is the caller's check.
pub fn next_state(
    from: PreApplicationState,
    transition: PreTransition,
    roles: &[Role],
    reason: &str,
) -> Result<PreApplicationState, PreApplicationError> {
    if !transition.roles().iter().any(|r| roles.contains(r)) {
        return Err(PreApplicationError::Role {
            transition: transition.key(),
            roles: transition
                .roles()
                .iter()
                .map(|r| r.key())
                .collect::<Vec<_>>()
                .join(", "),
        });
    }
    if !transition.allowed_from().contains(&from) {
        return Err(PreApplicationError::NotFrom {
            from,
            transition: transition.key(),
        });
    }
    if transition.needs_reason() && reason.trim().is_empty() {
        return Err(PreApplicationError::NoReason {
            transition: transition.key(),
        });
    }
    Ok(transition.to_state())
}

/// The moves someone with `roles` can make from `from`, for the buttons.
pub fn available(from: PreApplicationState, roles: &[Role]) -> Vec<PreTransition> {
    PreTransition::ALL
        .into_iter()
        .filter(|t| t.roles().iter().any(|r| roles.contains(r)))
        .filter(|t| t.allowed_from().contains(&from))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::PreApplicationState::*;
    use super::*;

    #[test]
    fn ipa_accepts_or_returns_a_submitted_pre_application() {
        let ipa = [Role::Reviewer];
        assert_eq!(
            next_state(Submitted, PreTransition::Accept, &ipa, ""),
            Ok(Accepted)
        );
        assert_eq!(
            next_state(Submitted, PreTransition::Return, &ipa, "書類不足"),
            Ok(Returned)
        );
        assert!(matches!(
            next_state(Submitted, PreTransition::Return, &ipa, " "),
            Err(PreApplicationError::NoReason { .. })
        ));
    }

    #[test]
    fn the_provider_resubmits_a_returned_one_and_may_withdraw() {
        let csp = [Role::CspAdmin];
        assert_eq!(
            next_state(Returned, PreTransition::Resubmit, &csp, ""),
            Ok(Submitted)
        );
        assert_eq!(
            next_state(Submitted, PreTransition::Withdraw, &csp, "取り下げ"),
            Ok(Withdrawn)
        );
        assert!(matches!(
            next_state(Submitted, PreTransition::Resubmit, &csp, ""),
            Err(PreApplicationError::NotFrom { .. })
        ));
    }

    #[test]
    fn roles_are_kept_apart() {
        assert!(matches!(
            next_state(Submitted, PreTransition::Accept, &[Role::CspAdmin], ""),
            Err(PreApplicationError::Role { .. })
        ));
        assert!(matches!(
            next_state(Returned, PreTransition::Resubmit, &[Role::Reviewer], ""),
            Err(PreApplicationError::Role { .. })
        ));
        assert!(matches!(
            next_state(Returned, PreTransition::Resubmit, &[Role::CspEditor], ""),
            Err(PreApplicationError::Role { .. })
        ));
    }

    #[test]
    fn nothing_leaves_an_accepted_or_withdrawn_pre_application() {
        for from in [Accepted, Withdrawn] {
            assert!(from.is_final());
            assert!(available(from, &[Role::Reviewer, Role::CspAdmin]).is_empty());
        }
        assert_eq!(
            available(Submitted, &[Role::Reviewer]),
            [PreTransition::Accept, PreTransition::Return]
        );
        assert_eq!(
            available(Returned, &[Role::CspAdmin]),
            [PreTransition::Resubmit, PreTransition::Withdraw]
        );
    }
}
