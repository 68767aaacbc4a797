//! The statement (言明書): one cloud service, one catalog version, one
//! decision per control (spec §3).

use std::collections::BTreeMap;

use chrono::NaiveDate;

use crate::control_id::{ControlId, ControlNumber, Level};

/// IaaS, PaaS or SaaS: moves the provider's line in the shared
/// responsibility stack (spec §3, manual §2.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ServiceModel {
    IaaS,
    PaaS,
    SaaS,
}

impl ServiceModel {
    pub const ALL: [ServiceModel; 3] = [ServiceModel::IaaS, ServiceModel::PaaS, ServiceModel::SaaS];

    pub fn key(self) -> &'static str {
        match self {
            ServiceModel::IaaS => "IaaS",
            ServiceModel::PaaS => "PaaS",
            ServiceModel::SaaS => "SaaS",
        }
    }

    /// Accepts the usual spellings regardless of case ("saas", "SaaS").
    pub fn from_key(key: &str) -> Option<ServiceModel> {
        ServiceModel::ALL
            .into_iter()
            .find(|m| m.key().eq_ignore_ascii_case(key.trim()))
    }
}

/// What the provider decided for one control.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Decision {
    /// Objective (3 numbers): the objective is in scope.
    Selected,
    /// Objective: cannot reasonably apply to the service; needs a reason.
    Excluded,
    /// Detailed control: the provider implements it (個別管理策 required).
    Implemented,
    /// Detailed control: inherited from a registered underlying service.
    Inherited,
    /// Detailed control: not selected; needs a reason for this control.
    NotSelected,
}

impl Decision {
    pub const ALL: [Decision; 5] = [
        Decision::Selected,
        Decision::Excluded,
        Decision::Implemented,
        Decision::Inherited,
        Decision::NotSelected,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Decision::Selected => "selected",
            Decision::Excluded => "excluded",
            Decision::Implemented => "implemented",
            Decision::Inherited => "inherited",
            Decision::NotSelected => "not_selected",
        }
    }

    pub fn from_key(key: &str) -> Option<Decision> {
        Decision::ALL.into_iter().find(|d| d.key() == key)
    }

    /// Objectives take selected or excluded; detailed controls take
    /// implemented, inherited, not_selected, or excluded along with their
    /// objective (statement contract).
    pub fn fits(self, level: Level) -> bool {
        match level {
            Level::Objective => matches!(self, Decision::Selected | Decision::Excluded),
            Level::Detailed => !matches!(self, Decision::Selected),
        }
    }

    /// The control is part of how the service meets its objectives.
    pub fn is_in_effect(self) -> bool {
        matches!(
            self,
            Decision::Selected | Decision::Implemented | Decision::Inherited
        )
    }
}

/// A reference to evidence supporting a control (title plus link or file).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Evidence {
    pub title: String,
    pub reference: String,
}

/// One control's entry in a statement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ControlDecision {
    /// The identifier as the statement wrote it (its suffix may differ from
    /// the catalog's; rule S8 reports that).
    pub id: ControlId,
    /// `None`: listed but not decided yet (as in a fresh template).
    pub decision: Option<Decision>,
    /// 個別管理策: the provider's own concrete measure.
    pub individual_control: Option<String>,
    pub reason: Option<String>,
    /// Registration number of the underlying service an inherited control
    /// comes from, as written.
    pub from: Option<String>,
    /// How the provider confirmed the underlying provider's measure.
    pub confirmation: Option<String>,
    pub evidence: Vec<Evidence>,
}

impl ControlDecision {
    pub fn new(id: ControlId, decision: Option<Decision>) -> ControlDecision {
        ControlDecision {
            id,
            decision,
            individual_control: None,
            reason: None,
            from: None,
            confirmation: None,
            evidence: Vec::new(),
        }
    }
}

/// The service a statement covers.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Service {
    pub name: String,
    pub model: Option<ServiceModel>,
    /// 言明対象範囲: functions, locations, data centres, organisational units.
    pub scope: String,
    pub deployment: Option<String>,
    pub url: Option<String>,
    /// Registration numbers of the platforms it runs on, as written.
    pub underlying: Vec<String>,
    /// The service follows a zero-trust architecture (manual §2.7.7).
    pub zero_trust: bool,
}

/// How serious a risk is judged to be (リスク評価).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RiskLevel {
    High,
    Medium,
    Low,
}

impl RiskLevel {
    pub const ALL: [RiskLevel; 3] = [RiskLevel::High, RiskLevel::Medium, RiskLevel::Low];

    pub fn key(self) -> &'static str {
        match self {
            RiskLevel::High => "high",
            RiskLevel::Medium => "medium",
            RiskLevel::Low => "low",
        }
    }

    pub fn from_key(key: &str) -> Option<RiskLevel> {
        RiskLevel::ALL.into_iter().find(|l| l.key() == key.trim())
    }
}

/// A risk the provider identified, analysed and evaluated, and the controls
/// whose selection it justifies (spec §3: drafting follows risk management).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Risk {
    pub id: String,
    pub title: String,
    /// リスク特定: what could happen, to what.
    pub identification: String,
    /// リスク分析: likelihood and consequences.
    pub analysis: String,
    /// リスク評価.
    pub evaluation: Option<RiskLevel>,
    pub treatment: Option<String>,
    pub controls: Vec<ControlId>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Statement {
    /// Id of the catalog version the statement targets (rule S8).
    pub catalog: String,
    pub catalog_version: Option<String>,
    /// The date rule S7 checks underlying registrations on.
    pub date: Option<NaiveDate>,
    pub service: Service,
    /// Decisions by control number; one per control.
    pub controls: BTreeMap<ControlNumber, ControlDecision>,
    pub risks: Vec<Risk>,
}

impl Statement {
    /// The risks linked to a control.
    pub fn risks_of(&self, number: ControlNumber) -> impl Iterator<Item = &Risk> {
        self.risks
            .iter()
            .filter(move |r| r.controls.iter().any(|c| c.number() == number))
    }
}

/// `None`, empty or only white space: the text was not written.
pub fn is_blank(text: &Option<String>) -> bool {
    text.as_deref().is_none_or(|t| t.trim().is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decisions_fit_their_level() {
        assert!(Decision::Selected.fits(Level::Objective));
        assert!(Decision::Excluded.fits(Level::Objective));
        assert!(!Decision::Implemented.fits(Level::Objective));
        assert!(Decision::Excluded.fits(Level::Detailed));
        assert!(Decision::NotSelected.fits(Level::Detailed));
        assert!(!Decision::Selected.fits(Level::Detailed));
    }

    #[test]
    fn keys_round_trip() {
        for d in Decision::ALL {
            assert_eq!(Decision::from_key(d.key()), Some(d));
        }
        assert_eq!(ServiceModel::from_key("saas"), Some(ServiceModel::SaaS));
        assert_eq!(ServiceModel::from_key("FaaS"), None);
    }

    #[test]
    fn blank_text_is_unwritten() {
        assert!(is_blank(&None));
        assert!(is_blank(&Some(" \n".into())));
        assert!(!is_blank(&Some("x".into())));
    }
}
