//! The audit engagement's rules as pure functions (spec §4): what a year of
//! an engagement audits, when the implementation result report can be
//! issued, improvement plans, and how fresh a provider's evidence is.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use crate::audit::{Scope, plan_cycle};
use crate::catalog::Catalog;
use crate::control_id::{ControlId, ControlNumber};

/// The auditor's conclusion for one control (spec §4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AuditResult {
    /// 適合: the control operated as stated during the audit period.
    Conforming,
    /// 不備: a deficiency; the provider answers it with an improvement plan.
    Deficiency,
    /// 未検証: not tested in this engagement (with the reason in the finding).
    NotTested,
}

impl AuditResult {
    pub const ALL: [AuditResult; 3] = [
        AuditResult::Conforming,
        AuditResult::Deficiency,
        AuditResult::NotTested,
    ];

    pub fn key(self) -> &'static str {
        match self {
            AuditResult::Conforming => "conforming",
            AuditResult::Deficiency => "deficiency",
            AuditResult::NotTested => "not_tested",
        }
    }

    pub fn from_key(key: &str) -> Option<AuditResult> {
        AuditResult::ALL.into_iter().find(|r| r.key() == key.trim())
    }
}

/// Where an engagement stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EngagementStatus {
    /// The provider asked; the audit organization has not assigned auditors.
    Requested,
    /// Auditors are assigned and record results.
    InProgress,
    /// At least one issue of the implementation result report exists.
    Reported,
}

impl EngagementStatus {
    pub const ALL: [EngagementStatus; 3] = [
        EngagementStatus::Requested,
        EngagementStatus::InProgress,
        EngagementStatus::Reported,
    ];

    pub fn key(self) -> &'static str {
        match self {
            EngagementStatus::Requested => "requested",
            EngagementStatus::InProgress => "in_progress",
            EngagementStatus::Reported => "reported",
        }
    }

    pub fn from_key(key: &str) -> Option<EngagementStatus> {
        EngagementStatus::ALL.into_iter().find(|s| s.key() == key)
    }
}

/// How an engagement's scope is chosen: the kind of audit, and for a cycle
/// its length and which year this engagement is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EngagementScope {
    pub scope: Scope,
    /// 1-based year of the cycle; 1 for a full audit.
    pub year: u8,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ScopeError {
    #[error("a cycle has 1 to 5 years, not {0}")]
    CycleLength(u8),
    #[error("year {year} is outside a cycle of {years} years")]
    YearOutsideCycle { year: u8, years: u8 },
}

impl crate::Localized for ScopeError {
    fn message_id(&self) -> &'static str {
        match self {
            ScopeError::CycleLength(_) => "domain-scope-cycle-length",
            ScopeError::YearOutsideCycle { .. } => "domain-scope-year-outside-cycle",
        }
    }

    fn message_args(&self) -> Vec<(&'static str, String)> {
        match self {
            ScopeError::CycleLength(years) => vec![("years", years.to_string())],
            ScopeError::YearOutsideCycle { year, years } => {
                vec![("year", year.to_string()), ("years", years.to_string())]
            }
        }
    }
}

impl EngagementScope {
    /// Checks the cycle length (the programme spreads over "several years";
    /// five bounds it) and that the year falls inside it.
    pub fn new(scope: Scope, year: u8) -> Result<EngagementScope, ScopeError> {
        let years = match scope {
            Scope::Full => return Ok(EngagementScope { scope, year: 1 }),
            Scope::MultiYear { years } | Scope::Liu { years } => years,
        };
        if !(1..=5).contains(&years) {
            return Err(ScopeError::CycleLength(years));
        }
        if year == 0 || year > years {
            return Err(ScopeError::YearOutsideCycle { year, years });
        }
        Ok(EngagementScope { scope, year })
    }

    /// The controls this engagement audits, in catalog order: for a full
    /// audit every control of the catalog (the statement decides each one),
    /// for a cycle the controls the planner gives this year.
    pub fn controls(&self, catalog: &Catalog) -> Vec<ControlId> {
        let plan = plan_cycle(catalog, self.scope);
        let index = usize::from(self.year.max(1) - 1);
        let year = plan.years.get(index).cloned().unwrap_or_default();
        // The planner keeps objectives together; the report lists in catalog order.
        let mut ordered: Vec<(usize, ControlId)> = year
            .into_iter()
            .filter_map(|id| catalog.position(id.number()).map(|p| (p, id)))
            .collect();
        ordered.sort_by_key(|(p, _)| *p);
        ordered.into_iter().map(|(_, id)| id).collect()
    }
}

/// The controls in `scope` that have no recorded result yet. The report can
/// be issued only when this is empty: "not tested" is a result, silence is not.
pub fn missing_results(
    scope: &[ControlId],
    recorded: &BTreeMap<ControlNumber, AuditResult>,
) -> Vec<ControlId> {
    scope
        .iter()
        .filter(|id| !recorded.contains_key(&id.number()))
        .copied()
        .collect()
}

/// Counts of results, as the report's summary shows them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ResultCounts {
    pub conforming: usize,
    pub deficiency: usize,
    pub not_tested: usize,
}

impl ResultCounts {
    pub fn of<'a>(results: impl IntoIterator<Item = &'a AuditResult>) -> ResultCounts {
        let mut counts = ResultCounts::default();
        for result in results {
            match result {
                AuditResult::Conforming => counts.conforming += 1,
                AuditResult::Deficiency => counts.deficiency += 1,
                AuditResult::NotTested => counts.not_tested += 1,
            }
        }
        counts
    }

    pub fn total(&self) -> usize {
        self.conforming + self.deficiency + self.not_tested
    }
}

/// Where one measure of an improvement plan (改善計画書) stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ImprovementStatus {
    Open,
    InProgress,
    Completed,
}

impl ImprovementStatus {
    pub const ALL: [ImprovementStatus; 3] = [
        ImprovementStatus::Open,
        ImprovementStatus::InProgress,
        ImprovementStatus::Completed,
    ];

    pub fn key(self) -> &'static str {
        match self {
            ImprovementStatus::Open => "open",
            ImprovementStatus::InProgress => "in_progress",
            ImprovementStatus::Completed => "completed",
        }
    }

    pub fn from_key(key: &str) -> Option<ImprovementStatus> {
        ImprovementStatus::ALL
            .into_iter()
            .find(|s| s.key() == key.trim())
    }

    /// A plan with any measure not completed is open: the public list shows
    /// that the service has an improvement plan (spec §4).
    pub fn is_open(self) -> bool {
        self != ImprovementStatus::Completed
    }
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ImprovementError {
    #[error("control {0} has no deficiency in the issued report")]
    NotADeficiency(ControlId),
    #[error("the measure for {0} is empty; say what will be done")]
    EmptyMeasure(ControlId),
    #[error("the due date {due} is before the report was issued ({issued})")]
    DueBeforeReport { due: NaiveDate, issued: NaiveDate },
}

impl crate::Localized for ImprovementError {
    fn message_id(&self) -> &'static str {
        match self {
            ImprovementError::NotADeficiency(_) => "domain-improvement-not-a-deficiency",
            ImprovementError::EmptyMeasure(_) => "domain-improvement-empty-measure",
            ImprovementError::DueBeforeReport { .. } => "domain-improvement-due-before-report",
        }
    }

    fn message_args(&self) -> Vec<(&'static str, String)> {
        match self {
            ImprovementError::NotADeficiency(control) | ImprovementError::EmptyMeasure(control) => {
                vec![("control", control.to_string())]
            }
            ImprovementError::DueBeforeReport { due, issued } => {
                vec![("due", due.to_string()), ("issued", issued.to_string())]
            }
        }
    }
}

/// Checks one measure of an improvement plan: it answers a deficiency of
/// the issued report, says what will be done, and is due after the report.
pub fn check_improvement(
    control: ControlId,
    result: Option<AuditResult>,
    measure: &str,
    due: NaiveDate,
    report_issued: NaiveDate,
) -> Result<(), ImprovementError> {
    if result != Some(AuditResult::Deficiency) {
        return Err(ImprovementError::NotADeficiency(control));
    }
    if measure.trim().is_empty() {
        return Err(ImprovementError::EmptyMeasure(control));
    }
    if due < report_issued {
        return Err(ImprovementError::DueBeforeReport {
            due,
            issued: report_issued,
        });
    }
    Ok(())
}

/// How many days ahead expiring evidence is shown on the dashboard.
pub const EVIDENCE_WARNING_DAYS: i64 = 30;

/// How fresh a piece of evidence is on `today`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EvidenceFreshness {
    /// No expiry date, or more than [`EVIDENCE_WARNING_DAYS`] left.
    Current,
    /// Expires within the warning window; `days_left` 0 means today is the last day.
    Expiring {
        days_left: i64,
    },
    Expired {
        days_ago: i64,
    },
}

pub fn evidence_freshness(expires_on: Option<NaiveDate>, today: NaiveDate) -> EvidenceFreshness {
    let Some(expires_on) = expires_on else {
        return EvidenceFreshness::Current;
    };
    let days_left = (expires_on - today).num_days();
    if days_left < 0 {
        EvidenceFreshness::Expired {
            days_ago: -days_left,
        }
    } else if days_left <= EVIDENCE_WARNING_DAYS {
        EvidenceFreshness::Expiring { days_left }
    } else {
        EvidenceFreshness::Current
    }
}

/// Whether an audit organization's registration term covers `day`: a
/// provider may engage only an organization registered on the day it asks.
pub fn term_covers(valid_from: NaiveDate, valid_until: NaiveDate, day: NaiveDate) -> bool {
    valid_from <= day && day <= valid_until
}

/// The first day of the term that renews one ending on `previous_until`.
pub fn renewal_start(previous_until: NaiveDate) -> Option<NaiveDate> {
    previous_until.succ_opt()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synthetic;

    fn date(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    #[test]
    fn keys_round_trip() {
        for r in AuditResult::ALL {
            assert_eq!(AuditResult::from_key(r.key()), Some(r));
        }
        for s in EngagementStatus::ALL {
            assert_eq!(EngagementStatus::from_key(s.key()), Some(s));
        }
        for s in ImprovementStatus::ALL {
            assert_eq!(ImprovementStatus::from_key(s.key()), Some(s));
        }
        assert_eq!(AuditResult::from_key("passed"), None);
    }

    #[test]
    fn a_full_audit_covers_every_control_in_catalog_order() {
        let catalog = synthetic::full_size_catalog();
        let scope = EngagementScope::new(Scope::Full, 1).unwrap();
        let controls = scope.controls(&catalog);
        assert_eq!(controls.len(), catalog.controls().len());
        assert_eq!(controls[0], catalog.controls()[0].id);
    }

    #[test]
    fn an_liu_engagement_audits_only_the_external_scope() {
        let catalog = synthetic::full_size_catalog();
        let scope = Scope::Liu { years: 3 };
        let mut seen = std::collections::BTreeSet::new();
        for year in 1..=3 {
            let controls = EngagementScope::new(scope, year)
                .unwrap()
                .controls(&catalog);
            assert!(
                controls
                    .iter()
                    .all(|c| scope.externally_audits(&catalog, *c))
            );
            seen.extend(controls.iter().map(|c| c.number()));
        }
        let external = catalog
            .controls()
            .iter()
            .filter(|c| scope.externally_audits(&catalog, c.id))
            .count();
        assert_eq!(seen.len(), external);
        assert!(external < catalog.controls().len());
    }

    #[test]
    fn the_years_of_a_cycle_together_cover_every_control() {
        let catalog = synthetic::full_size_catalog();
        for scope in [Scope::MultiYear { years: 3 }] {
            let mut seen = std::collections::BTreeSet::new();
            for year in 1..=3 {
                let controls = EngagementScope::new(scope, year)
                    .unwrap()
                    .controls(&catalog);
                assert!(
                    controls.len() < catalog.controls().len(),
                    "{scope:?} year {year}"
                );
                seen.extend(controls.iter().map(|c| c.number()));
            }
            assert_eq!(seen.len(), catalog.controls().len(), "{scope:?}");
        }
    }

    #[test]
    fn cycle_years_are_checked() {
        assert_eq!(
            EngagementScope::new(Scope::MultiYear { years: 3 }, 4),
            Err(ScopeError::YearOutsideCycle { year: 4, years: 3 })
        );
        assert_eq!(
            EngagementScope::new(Scope::Liu { years: 9 }, 1),
            Err(ScopeError::CycleLength(9))
        );
        assert_eq!(
            EngagementScope::new(Scope::Full, 7).unwrap().year,
            1,
            "a full audit has one year"
        );
    }

    #[test]
    fn the_report_waits_for_a_result_on_every_control() {
        let catalog = synthetic::full_size_catalog();
        let scope: Vec<ControlId> = catalog.controls()[..3].iter().map(|c| c.id).collect();
        let mut recorded = BTreeMap::new();
        recorded.insert(scope[0].number(), AuditResult::Conforming);
        recorded.insert(scope[2].number(), AuditResult::NotTested);
        assert_eq!(missing_results(&scope, &recorded), vec![scope[1]]);
        recorded.insert(scope[1].number(), AuditResult::Deficiency);
        assert!(missing_results(&scope, &recorded).is_empty());
        let counts = ResultCounts::of(recorded.values());
        assert_eq!(
            (counts.conforming, counts.deficiency, counts.not_tested),
            (1, 1, 1)
        );
        assert_eq!(counts.total(), 3);
    }

    #[test]
    fn improvement_measures_answer_deficiencies_only() {
        let id: ControlId = "8.1.2.7.PB".parse().unwrap();
        let issued = date("2026-04-10");
        assert_eq!(
            check_improvement(id, Some(AuditResult::Conforming), "m", issued, issued),
            Err(ImprovementError::NotADeficiency(id))
        );
        assert_eq!(
            check_improvement(id, Some(AuditResult::Deficiency), "  ", issued, issued),
            Err(ImprovementError::EmptyMeasure(id))
        );
        assert!(matches!(
            check_improvement(
                id,
                Some(AuditResult::Deficiency),
                "m",
                date("2026-04-01"),
                issued
            ),
            Err(ImprovementError::DueBeforeReport { .. })
        ));
        assert_eq!(
            check_improvement(id, Some(AuditResult::Deficiency), "m", issued, issued),
            Ok(())
        );
        assert!(ImprovementStatus::InProgress.is_open());
        assert!(!ImprovementStatus::Completed.is_open());
    }

    #[test]
    fn evidence_freshness_has_a_thirty_day_window() {
        let today = date("2026-11-25");
        assert_eq!(evidence_freshness(None, today), EvidenceFreshness::Current);
        assert_eq!(
            evidence_freshness(Some(date("2026-12-25")), today),
            EvidenceFreshness::Expiring { days_left: 30 }
        );
        assert_eq!(
            evidence_freshness(Some(date("2026-12-26")), today),
            EvidenceFreshness::Current
        );
        assert_eq!(
            evidence_freshness(Some(today), today),
            EvidenceFreshness::Expiring { days_left: 0 }
        );
        assert_eq!(
            evidence_freshness(Some(date("2026-11-20")), today),
            EvidenceFreshness::Expired { days_ago: 5 }
        );
    }

    #[test]
    fn terms_and_renewals() {
        let (from, until) = crate::audit::audit_organization_term(date("2025-04-01")).unwrap();
        assert_eq!(until, date("2027-03-31"));
        assert!(term_covers(from, until, date("2027-03-31")));
        assert!(!term_covers(from, until, date("2027-04-01")));
        assert_eq!(renewal_start(until), Some(date("2027-04-01")));
    }
}
