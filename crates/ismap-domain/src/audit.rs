//! External audit facts as pure functions (spec §4, §7.3): the length of an
//! audit period, and the plan that spreads a multi-year ISMAP cycle (every
//! control within the cycle) or an ISMAP-LIU cycle (governance and
//! management every year, the important control measures spread over the
//! years, the rest left to the internal audit) over its years.

use chrono::NaiveDate;

use crate::catalog::{Catalog, Criteria};
use crate::control_id::{ControlId, Level};

/// The audited period (監査対象期間): at most one year (spec §4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AuditPeriod {
    start: NaiveDate,
    end: NaiveDate,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AuditPeriodError {
    #[error("the audit period ends ({end}) before it starts ({start})")]
    EndsBeforeStart { start: NaiveDate, end: NaiveDate },
    #[error(
        "the audit period {start} to {end} is longer than one year; it may end on {latest} at the latest"
    )]
    LongerThanAYear {
        start: NaiveDate,
        end: NaiveDate,
        latest: NaiveDate,
    },
}

impl crate::Localized for AuditPeriodError {
    fn message_id(&self) -> &'static str {
        match self {
            AuditPeriodError::EndsBeforeStart { .. } => "domain-audit-period-ends-before-start",
            AuditPeriodError::LongerThanAYear { .. } => "domain-audit-period-longer-than-a-year",
        }
    }

    fn message_args(&self) -> Vec<(&'static str, String)> {
        match self {
            AuditPeriodError::EndsBeforeStart { start, end } => {
                vec![("start", start.to_string()), ("end", end.to_string())]
            }
            AuditPeriodError::LongerThanAYear { start, end, latest } => vec![
                ("start", start.to_string()),
                ("end", end.to_string()),
                ("latest", latest.to_string()),
            ],
        }
    }
}

impl AuditPeriod {
    pub fn new(start: NaiveDate, end: NaiveDate) -> Result<AuditPeriod, AuditPeriodError> {
        if end < start {
            return Err(AuditPeriodError::EndsBeforeStart { start, end });
        }
        // One year counted from the start day, as periods are counted in
        // years and months (spec §6): a year starting 2025-04-01 ends 2026-03-31.
        let latest = crate::validity::period_end(start, 12).unwrap_or(NaiveDate::MAX);
        if end > latest {
            return Err(AuditPeriodError::LongerThanAYear { start, end, latest });
        }
        Ok(AuditPeriod { start, end })
    }

    pub fn start(&self) -> NaiveDate {
        self.start
    }

    pub fn end(&self) -> NaiveDate {
        self.end
    }
}

/// How long an audit organization's registration lasts before renewal
/// (spec §4: every 2 years).
pub const AUDIT_ORGANIZATION_TERM_MONTHS: u32 = 24;

/// The first and last day of an audit organization's registration that
/// starts on `start`, counted like every period in the programme.
pub fn audit_organization_term(start: NaiveDate) -> Option<(NaiveDate, NaiveDate)> {
    Some((
        start,
        crate::validity::period_end(start, AUDIT_ORGANIZATION_TERM_MONTHS)?,
    ))
}

/// What an audit cycle covers (spec §4, §7.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// A full ISMAP audit: every control, every year.
    Full,
    /// A multi-year ISMAP cycle: governance and management every year; the
    /// control measures spread over `years`, important controls first, so
    /// that every control is audited within the cycle.
    MultiYear { years: u8 },
    /// ISMAP-LIU (seed 001): governance and management, all controls, every
    /// year; of the control measures only the important controls (with the
    /// objective they belong to), spread over `years` (数年に平準化). The
    /// other control measures are not externally audited: the provider's
    /// internal audit covers them ([`crate::liu`]).
    Liu { years: u8 },
}

impl Scope {
    /// Whether the external audit of this scope audits the control at
    /// `position` of `catalog` in some year of its cycle.
    ///
    /// For ISMAP-LIU a control measure is in the external scope when it is
    /// marked important, or when it is a control objective with an
    /// important detailed control: the objective is audited with it (results
    /// are kept per objective as in every plan), but the objective's other
    /// detailed controls are not — the seed names "some important controls",
    /// not whole objectives. To put a whole objective in scope, mark its
    /// detailed controls. This is the project's reading (docs/audits.md).
    pub fn externally_audits_at(self, catalog: &Catalog, position: usize) -> bool {
        let Some(control) = catalog.controls().get(position) else {
            return false;
        };
        match self {
            Scope::Full | Scope::MultiYear { .. } => true,
            Scope::Liu { .. } => {
                control.criteria() != Criteria::ControlMeasures
                    || control.liu_important
                    || (control.id.level() == Level::Objective
                        && catalog
                            .children_of(position)
                            .any(|child| catalog.controls()[child].liu_important))
            }
        }
    }

    /// [`Scope::externally_audits_at`] by control id; a control not in the
    /// catalog is not audited.
    pub fn externally_audits(self, catalog: &Catalog, control: ControlId) -> bool {
        catalog
            .position(control.number())
            .is_some_and(|position| self.externally_audits_at(catalog, position))
    }
}

/// The controls to audit in each year of a cycle.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CyclePlan {
    /// The scope the plan was made for.
    pub scope: Scope,
    /// `years[0]` is the first year of the cycle.
    pub years: Vec<Vec<ControlId>>,
}

impl CyclePlan {
    /// Controls the scope's external audit must cover that no year of the
    /// plan audits: empty for a sound plan (for ISMAP scopes: every control
    /// of the catalog is audited within the cycle).
    pub fn uncovered(&self, catalog: &Catalog) -> Vec<ControlId> {
        catalog
            .controls()
            .iter()
            .enumerate()
            .filter(|(position, _)| self.scope.externally_audits_at(catalog, *position))
            .map(|(_, c)| c.id)
            .filter(|id| !self.years.iter().any(|year| year.contains(id)))
            .collect()
    }

    /// Controls the scope leaves out of the external audit, in catalog
    /// order: for ISMAP-LIU the control measures outside the important set,
    /// which the provider's internal audit covers; empty for ISMAP scopes.
    pub fn internal_audit_only(&self, catalog: &Catalog) -> Vec<ControlId> {
        catalog
            .controls()
            .iter()
            .enumerate()
            .filter(|(position, _)| !self.scope.externally_audits_at(catalog, *position))
            .map(|(_, c)| c.id)
            .collect()
    }
}

/// Plans the audit cycle for `catalog`. Detailed controls stay with their
/// objective, so each year audits whole objectives (for ISMAP-LIU: an
/// objective with its important controls); objectives are dealt to the year
/// with the fewest controls so far, which keeps the years even.
pub fn plan_cycle(catalog: &Catalog, scope: Scope) -> CyclePlan {
    let all: Vec<ControlId> = catalog.controls().iter().map(|c| c.id).collect();
    let years = match scope {
        Scope::Full => {
            return CyclePlan {
                scope,
                years: vec![all],
            };
        }
        Scope::MultiYear { years } | Scope::Liu { years } => usize::from(years.max(1)),
    };
    let mut plan = vec![Vec::new(); years];
    // Every year: governance and management, all controls.
    for year in &mut plan {
        year.extend(
            catalog
                .controls()
                .iter()
                .filter(|c| c.criteria() != Criteria::ControlMeasures)
                .map(|c| c.id),
        );
    }
    // Control-measure objectives with their members in the external scope.
    let mut groups: Vec<(bool, Vec<ControlId>)> = catalog
        .controls()
        .iter()
        .enumerate()
        .filter(|(_, c)| {
            c.criteria() == Criteria::ControlMeasures && c.id.level() == Level::Objective
        })
        .filter_map(|(position, _)| {
            let members: Vec<usize> = std::iter::once(position)
                .chain(catalog.children_of(position))
                .filter(|&p| scope.externally_audits_at(catalog, p))
                .collect();
            (!members.is_empty()).then(|| {
                let important = members.iter().any(|&p| catalog.controls()[p].liu_important);
                (
                    important,
                    members.iter().map(|&p| catalog.controls()[p].id).collect(),
                )
            })
        })
        .collect();
    let important_first = matches!(scope, Scope::MultiYear { .. });
    if important_first {
        // Stable: important objectives first, then catalog order.
        groups.sort_by_key(|(important, _)| !important);
    }
    let mut dealt = vec![0usize; years];
    for (important, group) in groups {
        let year = if important && important_first {
            // A multi-year ISMAP cycle audits the important controls first.
            0
        } else {
            (0..years)
                .min_by_key(|&y| (dealt[y], y))
                .expect("at least one year")
        };
        dealt[year] += group.len();
        plan[year].extend(group);
    }
    for year in &mut plan {
        year.sort();
        year.dedup();
    }
    CyclePlan { scope, years: plan }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synthetic::full_size_catalog;

    fn d(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn an_audit_period_lasts_at_most_a_year() {
        assert!(AuditPeriod::new(d("2025-04-01"), d("2026-03-31")).is_ok());
        assert!(AuditPeriod::new(d("2025-04-15"), d("2026-04-14")).is_ok());
        assert_eq!(
            AuditPeriod::new(d("2025-04-01"), d("2026-04-01")),
            Err(AuditPeriodError::LongerThanAYear {
                start: d("2025-04-01"),
                end: d("2026-04-01"),
                latest: d("2026-03-31"),
            })
        );
        assert!(matches!(
            AuditPeriod::new(d("2025-04-01"), d("2025-03-31")),
            Err(AuditPeriodError::EndsBeforeStart { .. })
        ));
        // A leap day start: the year ends on 28 February.
        assert!(AuditPeriod::new(d("2024-02-29"), d("2025-02-28")).is_ok());
        assert!(AuditPeriod::new(d("2024-02-29"), d("2025-03-01")).is_err());
    }

    #[test]
    fn audit_organizations_are_registered_for_two_years() {
        assert_eq!(
            audit_organization_term(d("2025-04-01")),
            Some((d("2025-04-01"), d("2027-03-31")))
        );
        assert_eq!(
            audit_organization_term(d("2024-02-29")),
            Some((d("2024-02-29"), d("2026-02-28")))
        );
        assert_eq!(
            audit_organization_term(d("2025-07-15")),
            Some((d("2025-07-15"), d("2027-07-14")))
        );
    }

    #[test]
    fn every_control_falls_inside_each_ismap_cycle() {
        let catalog = full_size_catalog();
        for scope in [
            Scope::Full,
            Scope::MultiYear { years: 1 },
            Scope::MultiYear { years: 3 },
            Scope::MultiYear { years: 5 },
        ] {
            let plan = plan_cycle(&catalog, scope);
            assert_eq!(plan.uncovered(&catalog), vec![], "{scope:?}");
            assert_eq!(plan.internal_audit_only(&catalog), vec![], "{scope:?}");
            let audited: std::collections::BTreeSet<_> = plan.years.iter().flatten().collect();
            assert_eq!(audited.len(), catalog.controls().len(), "{scope:?}");
        }
    }

    #[test]
    fn governance_and_management_every_year_important_controls_first() {
        let catalog = full_size_catalog();
        let plan = plan_cycle(&catalog, Scope::MultiYear { years: 3 });
        assert_eq!(plan.years.len(), 3);
        for (position, control) in catalog.controls().iter().enumerate() {
            let years: Vec<usize> = (0..3)
                .filter(|&y| plan.years[y].contains(&control.id))
                .collect();
            if control.criteria() != Criteria::ControlMeasures {
                assert_eq!(years, [0, 1, 2], "{} every year", control.id);
            } else {
                assert_eq!(years.len(), 1, "{} once", control.id);
            }
            if control.liu_important {
                assert_eq!(years, [0], "{} in the first year", control.id);
            }
            // An objective and its detailed controls are audited together.
            if control.id.level() == Level::Detailed {
                let objective =
                    catalog.controls()[catalog.objective_position_of(position).unwrap()].id;
                assert!(plan.years[years[0]].contains(&objective));
            }
        }
    }

    /// Seed 001: LIU audits governance and management every year and, of
    /// the control measures, only the important controls, each once within
    /// the cycle; nothing else is externally audited.
    #[test]
    fn liu_audits_only_the_important_control_measures_once_within_the_cycle() {
        let catalog = full_size_catalog();
        assert!(catalog.has_important_controls());
        for years in [1u8, 3, 5] {
            let scope = Scope::Liu { years };
            let plan = plan_cycle(&catalog, scope);
            assert_eq!(plan.years.len(), usize::from(years));
            assert_eq!(plan.uncovered(&catalog), vec![], "{scope:?}");
            let internal = plan.internal_audit_only(&catalog);
            assert!(!internal.is_empty());
            for (position, control) in catalog.controls().iter().enumerate() {
                let audited: Vec<usize> = (0..plan.years.len())
                    .filter(|&y| plan.years[y].contains(&control.id))
                    .collect();
                if control.criteria() != Criteria::ControlMeasures {
                    assert_eq!(audited.len(), plan.years.len(), "{} every year", control.id);
                    continue;
                }
                let important_child = control.id.level() == Level::Objective
                    && catalog
                        .children_of(position)
                        .any(|c| catalog.controls()[c].liu_important);
                if control.liu_important || important_child {
                    assert_eq!(audited.len(), 1, "{} exactly once", control.id);
                    assert!(!internal.contains(&control.id));
                } else {
                    assert!(
                        audited.is_empty(),
                        "{} is not important and not externally audited",
                        control.id
                    );
                    assert!(internal.contains(&control.id), "{}", control.id);
                }
                // An important detailed control goes with its objective.
                if control.liu_important && control.id.level() == Level::Detailed {
                    let objective =
                        catalog.controls()[catalog.objective_position_of(position).unwrap()].id;
                    assert!(plan.years[audited[0]].contains(&objective));
                }
            }
        }
    }

    #[test]
    fn liu_spreads_the_important_controls_evenly() {
        let catalog = full_size_catalog();
        let plan = plan_cycle(&catalog, Scope::Liu { years: 3 });
        let measures: Vec<usize> = plan
            .years
            .iter()
            .map(|y| {
                y.iter()
                    .filter(|id| Criteria::of_chapter(id.chapter()) == Criteria::ControlMeasures)
                    .count()
            })
            .collect();
        let (min, max) = (
            *measures.iter().min().unwrap(),
            *measures.iter().max().unwrap(),
        );
        assert!(min > 0, "{measures:?}");
        // Whole groups are dealt, so years differ by at most one group.
        assert!(max - min <= 12, "{measures:?}");
        let total: usize = measures.iter().sum();
        let full = plan_cycle(&catalog, Scope::MultiYear { years: 3 });
        let full_total: usize = full
            .years
            .iter()
            .flatten()
            .filter(|id| Criteria::of_chapter(id.chapter()) == Criteria::ControlMeasures)
            .count();
        assert!(
            total < full_total,
            "LIU audits less: {total} < {full_total}"
        );
    }

    #[test]
    fn a_catalog_without_important_controls_has_no_liu_control_measures() {
        let catalog = full_size_catalog();
        let controls: Vec<_> = catalog
            .controls()
            .iter()
            .cloned()
            .map(|mut c| {
                c.liu_important = false;
                c
            })
            .collect();
        let mut info = catalog.info().clone();
        info.important_controls = None;
        let bare = Catalog::build(
            info,
            catalog.chapters().to_vec(),
            catalog.categories().to_vec(),
            controls,
        )
        .unwrap();
        let plan = plan_cycle(&bare, Scope::Liu { years: 2 });
        assert!(
            plan.years
                .iter()
                .flatten()
                .all(|id| Criteria::of_chapter(id.chapter()) != Criteria::ControlMeasures)
        );
        assert!(!Scope::Liu { years: 2 }.externally_audits(&bare, "5.1.1".parse().unwrap()));
        assert!(Scope::MultiYear { years: 2 }.externally_audits(&bare, "5.1.1".parse().unwrap()));
    }
}
