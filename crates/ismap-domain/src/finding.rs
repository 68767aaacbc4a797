//! What validation reports: a rule, a control, a severity and a typed kind.
//! Messages are rendered from the kind by the message catalogs (ismap-i18n),
//! so the rules carry facts, not prose.

use std::fmt;

use chrono::NaiveDate;

use crate::control_id::{ControlId, ControlIdError};
use crate::statement::Decision;

/// The rule a finding comes from: S1–S8 (spec §3), the advisories A1–A4, or
/// INPUT for a statement the validator could not fully understand.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RuleId {
    Input,
    S1,
    S2,
    S3,
    S4,
    S5,
    S6,
    S7,
    S8,
    /// A `.P` control left unselected.
    A1,
    /// A reason shorter than a sentence.
    A2,
    /// An objective with only one selected detailed control.
    A3,
    /// A zero-trust design touching perimeter-worded controls.
    A4,
}

impl RuleId {
    pub const ALL: [RuleId; 13] = [
        RuleId::Input,
        RuleId::S1,
        RuleId::S2,
        RuleId::S3,
        RuleId::S4,
        RuleId::S5,
        RuleId::S6,
        RuleId::S7,
        RuleId::S8,
        RuleId::A1,
        RuleId::A2,
        RuleId::A3,
        RuleId::A4,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RuleId::Input => "INPUT",
            RuleId::S1 => "S1",
            RuleId::S2 => "S2",
            RuleId::S3 => "S3",
            RuleId::S4 => "S4",
            RuleId::S5 => "S5",
            RuleId::S6 => "S6",
            RuleId::S7 => "S7",
            RuleId::S8 => "S8",
            RuleId::A1 => "A1",
            RuleId::A2 => "A2",
            RuleId::A3 => "A3",
            RuleId::A4 => "A4",
        }
    }

    pub fn is_advisory(self) -> bool {
        matches!(self, RuleId::A1 | RuleId::A2 | RuleId::A3 | RuleId::A4)
    }
}

impl fmt::Display for RuleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    Error,
    Warning,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// The facts behind a finding. Each variant has a message id in the catalogs
/// (`finding-<kebab-case name>`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FindingKind {
    // Rules S1–S3: every control decided.
    Undecided,
    GovernanceMustBeImplemented {
        decision: Decision,
    },
    GovernanceObjectiveMustBeSelected,
    ExcludedWithoutReason,
    DecidedUnderExcludedObjective {
        decision: Decision,
        objective: ControlId,
    },
    NotSelectedWithoutReason,
    ExcludedWhileObjectiveSelected {
        objective: ControlId,
    },
    // S4
    BaselineNotImplemented {
        decision: Decision,
    },
    // S5
    ObjectiveWithoutSelectedDetail,
    // S6
    MissingIndividualControl,
    // S7
    InheritedWithoutFrom,
    MalformedRegistrationNumber {
        value: String,
    },
    InheritedFromNotUnderlying {
        from: String,
    },
    InheritedWithoutConfirmation,
    UnderlyingNotRegistered {
        number: String,
    },
    UnderlyingNotValidOnDate {
        number: String,
        date: NaiveDate,
        valid_from: NaiveDate,
        valid_until: NaiveDate,
    },
    UnderlyingSuspended {
        number: String,
    },
    RegistryNotProvided,
    // S8
    CatalogMismatch {
        statement: String,
        catalog: String,
    },
    UnknownCatalog {
        statement: String,
        available: String,
    },
    CatalogVersionMismatch {
        statement: String,
        catalog: String,
    },
    ControlNotInCatalog,
    SuffixMismatch {
        catalog_id: ControlId,
    },
    // Advisories
    CloudControlNotSelected,
    ShortReason {
        characters: usize,
    },
    SingleDetailedControl,
    PerimeterWording,
    // Input the validator could not fully understand.
    BadControlId {
        key: String,
        error: ControlIdError,
    },
    DecisionNotForLevel {
        decision: Decision,
    },
    UnknownDecision {
        value: String,
    },
    UnknownServiceModel {
        value: String,
    },
    BadDate {
        value: String,
    },
    MissingField,
    DuplicateControl {
        first: ControlId,
    },
    UnknownRiskLevel {
        value: String,
    },
    DuplicateRisk {
        id: String,
    },
    RiskControlNotInCatalog {
        risk: String,
    },
    Unreadable {
        detail: String,
    },
}

impl FindingKind {
    /// Message id in the Fluent catalogs.
    pub fn message_id(&self) -> &'static str {
        match self {
            FindingKind::Undecided => "finding-undecided",
            FindingKind::GovernanceMustBeImplemented { .. } => {
                "finding-governance-must-be-implemented"
            }
            FindingKind::GovernanceObjectiveMustBeSelected => {
                "finding-governance-objective-must-be-selected"
            }
            FindingKind::ExcludedWithoutReason => "finding-excluded-without-reason",
            FindingKind::DecidedUnderExcludedObjective { .. } => {
                "finding-decided-under-excluded-objective"
            }
            FindingKind::NotSelectedWithoutReason => "finding-not-selected-without-reason",
            FindingKind::ExcludedWhileObjectiveSelected { .. } => {
                "finding-excluded-while-objective-selected"
            }
            FindingKind::BaselineNotImplemented { .. } => "finding-baseline-not-implemented",
            FindingKind::ObjectiveWithoutSelectedDetail => {
                "finding-objective-without-selected-detail"
            }
            FindingKind::MissingIndividualControl => "finding-missing-individual-control",
            FindingKind::InheritedWithoutFrom => "finding-inherited-without-from",
            FindingKind::MalformedRegistrationNumber { .. } => {
                "finding-malformed-registration-number"
            }
            FindingKind::InheritedFromNotUnderlying { .. } => {
                "finding-inherited-from-not-underlying"
            }
            FindingKind::InheritedWithoutConfirmation => "finding-inherited-without-confirmation",
            FindingKind::UnderlyingNotRegistered { .. } => "finding-underlying-not-registered",
            FindingKind::UnderlyingNotValidOnDate { .. } => "finding-underlying-not-valid-on-date",
            FindingKind::UnderlyingSuspended { .. } => "finding-underlying-suspended",
            FindingKind::RegistryNotProvided => "finding-registry-not-provided",
            FindingKind::CatalogMismatch { .. } => "finding-catalog-mismatch",
            FindingKind::UnknownCatalog { .. } => "finding-unknown-catalog",
            FindingKind::CatalogVersionMismatch { .. } => "finding-catalog-version-mismatch",
            FindingKind::ControlNotInCatalog => "finding-control-not-in-catalog",
            FindingKind::SuffixMismatch { .. } => "finding-suffix-mismatch",
            FindingKind::CloudControlNotSelected => "finding-cloud-control-not-selected",
            FindingKind::ShortReason { .. } => "finding-short-reason",
            FindingKind::SingleDetailedControl => "finding-single-detailed-control",
            FindingKind::PerimeterWording => "finding-perimeter-wording",
            FindingKind::BadControlId { .. } => "finding-bad-control-id",
            FindingKind::DecisionNotForLevel { .. } => "finding-decision-not-for-level",
            FindingKind::UnknownDecision { .. } => "finding-unknown-decision",
            FindingKind::UnknownServiceModel { .. } => "finding-unknown-service-model",
            FindingKind::BadDate { .. } => "finding-bad-date",
            FindingKind::MissingField => "finding-missing-field",
            FindingKind::DuplicateControl { .. } => "finding-duplicate-control",
            FindingKind::UnknownRiskLevel { .. } => "finding-unknown-risk-level",
            FindingKind::DuplicateRisk { .. } => "finding-duplicate-risk",
            FindingKind::RiskControlNotInCatalog { .. } => "finding-risk-control-not-in-catalog",
            FindingKind::Unreadable { .. } => "finding-unreadable",
        }
    }

    /// The values a message interpolates, by name.
    pub fn args(&self) -> Vec<(&'static str, String)> {
        match self {
            FindingKind::GovernanceMustBeImplemented { decision }
            | FindingKind::BaselineNotImplemented { decision }
            | FindingKind::DecisionNotForLevel { decision } => {
                vec![("decision", decision.key().to_owned())]
            }
            FindingKind::DecidedUnderExcludedObjective {
                decision,
                objective,
            } => vec![
                ("decision", decision.key().to_owned()),
                ("objective", objective.to_string()),
            ],
            FindingKind::ExcludedWhileObjectiveSelected { objective } => {
                vec![("objective", objective.to_string())]
            }
            FindingKind::MalformedRegistrationNumber { value } => vec![("value", value.clone())],
            FindingKind::InheritedFromNotUnderlying { from } => vec![("from", from.clone())],
            FindingKind::UnderlyingNotRegistered { number }
            | FindingKind::UnderlyingSuspended { number } => vec![("number", number.clone())],
            FindingKind::UnderlyingNotValidOnDate {
                number,
                date,
                valid_from,
                valid_until,
            } => vec![
                ("number", number.clone()),
                ("date", date.to_string()),
                ("from", valid_from.to_string()),
                ("until", valid_until.to_string()),
            ],
            FindingKind::CatalogMismatch { statement, catalog }
            | FindingKind::CatalogVersionMismatch { statement, catalog } => vec![
                ("statement", statement.clone()),
                ("catalog", catalog.clone()),
            ],
            FindingKind::UnknownCatalog {
                statement,
                available,
            } => vec![
                ("statement", statement.clone()),
                ("available", available.clone()),
            ],
            FindingKind::SuffixMismatch { catalog_id } => {
                vec![("catalog_id", catalog_id.to_string())]
            }
            FindingKind::ShortReason { characters } => {
                vec![("characters", characters.to_string())]
            }
            FindingKind::BadControlId { key, error } => {
                vec![("key", key.clone()), ("detail", error.to_string())]
            }
            FindingKind::UnknownDecision { value }
            | FindingKind::UnknownRiskLevel { value }
            | FindingKind::UnknownServiceModel { value }
            | FindingKind::BadDate { value } => vec![("value", value.clone())],
            FindingKind::DuplicateControl { first } => vec![("first", first.to_string())],
            FindingKind::DuplicateRisk { id } => vec![("risk", id.clone())],
            FindingKind::RiskControlNotInCatalog { risk } => vec![("risk", risk.clone())],
            FindingKind::Unreadable { detail } => vec![("detail", detail.clone())],
            FindingKind::Undecided
            | FindingKind::GovernanceObjectiveMustBeSelected
            | FindingKind::ExcludedWithoutReason
            | FindingKind::NotSelectedWithoutReason
            | FindingKind::ObjectiveWithoutSelectedDetail
            | FindingKind::MissingIndividualControl
            | FindingKind::InheritedWithoutFrom
            | FindingKind::InheritedWithoutConfirmation
            | FindingKind::RegistryNotProvided
            | FindingKind::ControlNotInCatalog
            | FindingKind::CloudControlNotSelected
            | FindingKind::SingleDetailedControl
            | FindingKind::PerimeterWording
            | FindingKind::MissingField => Vec::new(),
        }
    }
}

/// One problem with a statement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub rule: RuleId,
    pub severity: Severity,
    /// The control concerned, as the statement or catalog names it.
    pub control: Option<ControlId>,
    pub kind: FindingKind,
}

impl Finding {
    /// The severity follows from the rule: advisories warn, and so does S7
    /// when it cannot check registrations at all; everything else is an error.
    pub fn new(rule: RuleId, control: Option<ControlId>, kind: FindingKind) -> Finding {
        let severity = if rule.is_advisory() || kind == FindingKind::RegistryNotProvided {
            Severity::Warning
        } else {
            Severity::Error
        };
        Finding {
            rule,
            severity,
            control,
            kind,
        }
    }
}
