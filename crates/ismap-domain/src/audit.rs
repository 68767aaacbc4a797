//! External audit facts as pure functions (spec §4, §7.3): the length of an
//! audit period, and the plan that spreads a multi-year or ISMAP-LIU audit
//! cycle over its years so that every control is audited within the cycle.

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
    /// A multi-year cycle: governance and management every year; the control
    /// measures spread over `years`, important controls first.
    MultiYear { years: u8 },
    /// ISMAP-LIU: governance and management every year; the important
    /// controls every year; the other control measures spread over `years`.
    Liu { years: u8 },
}

/// The controls to audit in each year of a cycle.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CyclePlan {
    /// `years[0]` is the first year of the cycle.
    pub years: Vec<Vec<ControlId>>,
}

impl CyclePlan {
    /// Controls of the catalog that no year of the plan audits.
    pub fn uncovered(&self, catalog: &Catalog) -> Vec<ControlId> {
        catalog
            .controls()
            .iter()
            .map(|c| c.id)
            .filter(|id| !self.years.iter().any(|year| year.contains(id)))
            .collect()
    }
}

/// Plans the audit cycle for `catalog`. Detailed controls stay with their
/// objective, so each year audits whole objectives; objectives are dealt to
/// the year with the fewest controls so far, which keeps the years even.
pub fn plan_cycle(catalog: &Catalog, scope: Scope) -> CyclePlan {
    let all: Vec<ControlId> = catalog.controls().iter().map(|c| c.id).collect();
    let (years, important_every_year) = match scope {
        Scope::Full => return CyclePlan { years: vec![all] },
        Scope::MultiYear { years } => (usize::from(years.max(1)), false),
        Scope::Liu { years } => (usize::from(years.max(1)), true),
    };
    let mut plan = vec![Vec::new(); years];
    // Every year: governance and management (and for LIU the important controls).
    let every_year = |position: usize| {
        let control = &catalog.controls()[position];
        control.criteria() != Criteria::ControlMeasures
            || (important_every_year && control.liu_important)
    };
    for year in &mut plan {
        for (position, control) in catalog.controls().iter().enumerate() {
            if every_year(position) {
                year.push(control.id);
            }
        }
    }
    // Control-measure objectives with what remains of them, important first.
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
                .filter(|&p| !every_year(p))
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
    // Stable: important objectives first, then catalog order.
    groups.sort_by_key(|(important, _)| !important);
    let mut dealt = vec![0usize; years];
    for (important, group) in groups {
        let year = if important && !important_every_year {
            // Important controls first: in the first year.
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
    CyclePlan { years: plan }
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
    fn every_control_falls_inside_each_cycle() {
        let catalog = full_size_catalog();
        for scope in [
            Scope::Full,
            Scope::MultiYear { years: 1 },
            Scope::MultiYear { years: 3 },
            Scope::Liu { years: 3 },
            Scope::Liu { years: 5 },
        ] {
            let plan = plan_cycle(&catalog, scope);
            assert_eq!(plan.uncovered(&catalog), vec![], "{scope:?}");
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

    #[test]
    fn liu_audits_important_controls_every_year_and_spreads_the_rest_evenly() {
        let catalog = full_size_catalog();
        let plan = plan_cycle(&catalog, Scope::Liu { years: 3 });
        for control in catalog.controls().iter().filter(|c| c.liu_important) {
            assert!(
                plan.years.iter().all(|y| y.contains(&control.id)),
                "{}",
                control.id
            );
        }
        let sizes: Vec<usize> = plan.years.iter().map(Vec::len).collect();
        let (min, max) = (*sizes.iter().min().unwrap(), *sizes.iter().max().unwrap());
        // Whole objectives are dealt, so years differ by at most one objective.
        assert!(max - min <= 12, "{sizes:?}");
    }
}
