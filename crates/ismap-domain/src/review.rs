//! The application's way through review (spec §5) as a state machine: who
//! may move an application from which state to which. Pure: the store
//! records each transition with who, when and why; nothing is deleted.

use std::fmt;

use crate::actor::Role;

/// Where an application stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ApplicationState {
    /// Filed by the provider; waiting for IPA's acceptance check.
    Submitted,
    /// 受理確認: IPA checks that the package is complete.
    AcceptanceCheck,
    /// 技術的審査: IPA checks the statement against the baseline requirements.
    TechnicalReview,
    /// IPA asked questions; the provider answers.
    InformationRequested,
    /// IPA asked for an additional audit (追加監査) or a re-audit (再監査).
    AuditRequested,
    /// Sent to the steering committee for its decision.
    ReferredToCommittee,
    Registered,
    Rejected,
    /// The provider withdrew the application before the decision.
    Withdrawn,
}

impl ApplicationState {
    pub const ALL: [ApplicationState; 9] = [
        ApplicationState::Submitted,
        ApplicationState::AcceptanceCheck,
        ApplicationState::TechnicalReview,
        ApplicationState::InformationRequested,
        ApplicationState::AuditRequested,
        ApplicationState::ReferredToCommittee,
        ApplicationState::Registered,
        ApplicationState::Rejected,
        ApplicationState::Withdrawn,
    ];

    pub fn key(self) -> &'static str {
        match self {
            ApplicationState::Submitted => "submitted",
            ApplicationState::AcceptanceCheck => "acceptance_check",
            ApplicationState::TechnicalReview => "technical_review",
            ApplicationState::InformationRequested => "information_requested",
            ApplicationState::AuditRequested => "audit_requested",
            ApplicationState::ReferredToCommittee => "referred_to_committee",
            ApplicationState::Registered => "registered",
            ApplicationState::Rejected => "rejected",
            ApplicationState::Withdrawn => "withdrawn",
        }
    }

    pub fn from_key(key: &str) -> Option<ApplicationState> {
        ApplicationState::ALL.into_iter().find(|s| s.key() == key)
    }

    /// No transition leaves a decided or withdrawn application.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            ApplicationState::Registered | ApplicationState::Rejected | ApplicationState::Withdrawn
        )
    }

    /// Waiting for IPA (its review queue), as opposed to the provider or the committee.
    pub fn is_with_reviewer(self) -> bool {
        matches!(
            self,
            ApplicationState::Submitted
                | ApplicationState::AcceptanceCheck
                | ApplicationState::TechnicalReview
        )
    }
}

impl fmt::Display for ApplicationState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// What someone does to an application.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Transition {
    /// IPA starts the acceptance check.
    StartAcceptance,
    /// The package is complete: technical review begins.
    Accept,
    /// IPA asks questions (from the acceptance check or the technical review).
    RequestInformation,
    /// The provider has answered every open question.
    Answer,
    RequestAdditionalAudit,
    RequestReaudit,
    /// The provider files the new or corrected audit report.
    ProvideAudit,
    ReferToCommittee,
    Register,
    Reject,
    Withdraw,
}

impl Transition {
    pub const ALL: [Transition; 11] = [
        Transition::StartAcceptance,
        Transition::Accept,
        Transition::RequestInformation,
        Transition::Answer,
        Transition::RequestAdditionalAudit,
        Transition::RequestReaudit,
        Transition::ProvideAudit,
        Transition::ReferToCommittee,
        Transition::Register,
        Transition::Reject,
        Transition::Withdraw,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Transition::StartAcceptance => "start_acceptance",
            Transition::Accept => "accept",
            Transition::RequestInformation => "request_information",
            Transition::Answer => "answer",
            Transition::RequestAdditionalAudit => "request_additional_audit",
            Transition::RequestReaudit => "request_reaudit",
            Transition::ProvideAudit => "provide_audit",
            Transition::ReferToCommittee => "refer_to_committee",
            Transition::Register => "register",
            Transition::Reject => "reject",
            Transition::Withdraw => "withdraw",
        }
    }

    pub fn from_key(key: &str) -> Option<Transition> {
        Transition::ALL.into_iter().find(|t| t.key() == key)
    }

    /// The roles that may make this move (the organization is checked by the caller).
    pub fn roles(self) -> &'static [Role] {
        match self {
            Transition::StartAcceptance
            | Transition::Accept
            | Transition::RequestInformation
            | Transition::RequestAdditionalAudit
            | Transition::RequestReaudit
            | Transition::ReferToCommittee => &[Role::Reviewer],
            Transition::Answer | Transition::ProvideAudit => &[Role::CspAdmin, Role::CspEditor],
            Transition::Withdraw => &[Role::CspAdmin],
            Transition::Register | Transition::Reject => &[Role::CommitteeMember],
        }
    }

    /// The provider's own moves: only the applicant organization makes them.
    pub fn is_providers(self) -> bool {
        matches!(
            self,
            Transition::Answer | Transition::ProvideAudit | Transition::Withdraw
        )
    }

    /// Whether the move needs a reason (it changes the outcome or sends
    /// work back to someone): the reason is recorded with it.
    pub fn needs_reason(self) -> bool {
        !matches!(self, Transition::StartAcceptance | Transition::Accept)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ReviewError {
    #[error("an application that is {from} cannot {transition}")]
    NotFrom {
        from: ApplicationState,
        transition: &'static str,
    },
    #[error("only {roles} may {transition}")]
    Role {
        transition: &'static str,
        roles: String,
    },
    #[error("{transition} needs a reason")]
    NoReason { transition: &'static str },
    #[error("{0} questions are still open; answer them first")]
    OpenQuestions(usize),
}

impl crate::Localized for ReviewError {
    fn message_id(&self) -> &'static str {
        match self {
            ReviewError::NotFrom { .. } => "domain-review-not-from",
            ReviewError::Role { .. } => "domain-review-role",
            ReviewError::NoReason { .. } => "domain-review-no-reason",
            ReviewError::OpenQuestions(_) => "domain-review-open-questions",
        }
    }

    fn message_args(&self) -> Vec<(&'static str, String)> {
        match self {
            ReviewError::NotFrom { from, transition } => vec![
                ("from", from.key().to_owned()),
                ("transition", (*transition).to_owned()),
            ],
            ReviewError::Role { transition, .. } | ReviewError::NoReason { transition } => {
                vec![("transition", (*transition).to_owned())]
            }
            ReviewError::OpenQuestions(n) => vec![("count", n.to_string())],
        }
    }
}

/// The state `transition` leads to from `from`, if the move exists.
pub fn next_state(from: ApplicationState, transition: Transition) -> Option<ApplicationState> {
    use ApplicationState as S;
    use Transition as T;
    Some(match (from, transition) {
        (S::Submitted, T::StartAcceptance) => S::AcceptanceCheck,
        (S::AcceptanceCheck, T::Accept) => S::TechnicalReview,
        (S::AcceptanceCheck | S::TechnicalReview, T::RequestInformation) => S::InformationRequested,
        (S::InformationRequested, T::Answer) => S::TechnicalReview,
        (S::TechnicalReview, T::RequestAdditionalAudit | T::RequestReaudit) => S::AuditRequested,
        (S::AuditRequested, T::ProvideAudit) => S::TechnicalReview,
        (S::TechnicalReview, T::ReferToCommittee) => S::ReferredToCommittee,
        (S::ReferredToCommittee, T::Register) => S::Registered,
        (S::ReferredToCommittee, T::Reject) => S::Rejected,
        (state, T::Withdraw) if !state.is_final() => S::Withdrawn,
        _ => return None,
    })
}

/// Checks one move: it exists from this state, the person holds a role
/// that may make it, a reason is given where needed, and (for answering or
/// referring) no question is left open. Returns the new state.
pub fn check_transition(
    from: ApplicationState,
    transition: Transition,
    roles: &[Role],
    reason: &str,
    open_questions: usize,
) -> Result<ApplicationState, ReviewError> {
    let to = next_state(from, transition).ok_or(ReviewError::NotFrom {
        from,
        transition: transition.key(),
    })?;
    if !transition.roles().iter().any(|r| roles.contains(r)) {
        return Err(ReviewError::Role {
            transition: transition.key(),
            roles: transition
                .roles()
                .iter()
                .map(|r| r.key())
                .collect::<Vec<_>>()
                .join(" or "),
        });
    }
    if transition.needs_reason() && reason.trim().is_empty() {
        return Err(ReviewError::NoReason {
            transition: transition.key(),
        });
    }
    if matches!(
        transition,
        Transition::ReferToCommittee | Transition::Answer
    ) && open_questions > 0
    {
        return Err(ReviewError::OpenQuestions(open_questions));
    }
    Ok(to)
}

/// The transitions open to someone with `roles` from `state`, for showing buttons.
pub fn available(state: ApplicationState, roles: &[Role]) -> Vec<Transition> {
    Transition::ALL
        .into_iter()
        .filter(|t| next_state(state, *t).is_some())
        .filter(|t| t.roles().iter().any(|r| roles.contains(r)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ApplicationState as S;
    use Transition as T;

    const REVIEWER: &[Role] = &[Role::Reviewer];
    const PROVIDER: &[Role] = &[Role::CspAdmin];
    const COMMITTEE: &[Role] = &[Role::CommitteeMember];

    #[test]
    fn the_whole_path_with_an_information_request() {
        let mut state = S::Submitted;
        for (transition, roles, reason) in [
            (T::StartAcceptance, REVIEWER, ""),
            (T::Accept, REVIEWER, ""),
            (T::RequestInformation, REVIEWER, "explain 8.1.2.7.PB"),
            (T::Answer, PROVIDER, "answered with the key policy"),
            (T::ReferToCommittee, REVIEWER, "baseline requirements met"),
            (T::Register, COMMITTEE, "decided at the 42nd meeting"),
        ] {
            state = check_transition(state, transition, roles, reason, 0).unwrap();
        }
        assert_eq!(state, S::Registered);
        assert!(state.is_final());
        assert!(
            available(state, PROVIDER).is_empty(),
            "nothing leaves a decision"
        );
    }

    #[test]
    fn audits_can_be_asked_for_and_provided() {
        let to = check_transition(
            S::TechnicalReview,
            T::RequestReaudit,
            REVIEWER,
            "sample too small",
            0,
        )
        .unwrap();
        assert_eq!(to, S::AuditRequested);
        assert_eq!(
            check_transition(to, T::ProvideAudit, &[Role::CspEditor], "report issue 2", 0),
            Ok(S::TechnicalReview)
        );
    }

    #[test]
    fn every_move_is_checked() {
        assert!(matches!(
            check_transition(S::Submitted, T::Register, COMMITTEE, "x", 0),
            Err(ReviewError::NotFrom { .. })
        ));
        assert!(matches!(
            check_transition(S::ReferredToCommittee, T::Register, REVIEWER, "x", 0),
            Err(ReviewError::Role { .. })
        ));
        assert!(matches!(
            check_transition(S::ReferredToCommittee, T::Reject, COMMITTEE, " ", 0),
            Err(ReviewError::NoReason { .. })
        ));
        assert_eq!(
            check_transition(S::TechnicalReview, T::ReferToCommittee, REVIEWER, "ok", 2),
            Err(ReviewError::OpenQuestions(2))
        );
        assert_eq!(
            check_transition(S::InformationRequested, T::Answer, PROVIDER, "ok", 1),
            Err(ReviewError::OpenQuestions(1))
        );
    }

    #[test]
    fn withdrawal_is_possible_until_the_decision() {
        for state in ApplicationState::ALL {
            let withdrawn = check_transition(state, T::Withdraw, PROVIDER, "not now", 0);
            assert_eq!(withdrawn.is_ok(), !state.is_final(), "{state}");
        }
        assert!(
            check_transition(S::TechnicalReview, T::Withdraw, &[Role::CspEditor], "x", 0).is_err(),
            "only the provider's admin withdraws"
        );
    }

    #[test]
    fn keys_round_trip_and_buttons_follow_the_roles() {
        for s in ApplicationState::ALL {
            assert_eq!(ApplicationState::from_key(s.key()), Some(s));
        }
        for t in Transition::ALL {
            assert_eq!(Transition::from_key(t.key()), Some(t));
        }
        assert_eq!(
            available(S::TechnicalReview, REVIEWER),
            vec![
                T::RequestInformation,
                T::RequestAdditionalAudit,
                T::RequestReaudit,
                T::ReferToCommittee
            ]
        );
        assert_eq!(available(S::TechnicalReview, PROVIDER), vec![T::Withdraw]);
    }
}
