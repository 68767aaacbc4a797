//! Which audits may support an application for which list, and what a
//! renewal needs (spec §4, §5, §6, §7.3). Pure functions: the web layer
//! gathers the engagements and reports and asks these.
//!
//! Sources, kept apart:
//! - spec §4 / [003] "全項目": an ISMAP registration rests on audits that
//!   together cover every control; a renewal may use a multi-year cycle
//!   (programme FAQ, third-party summaries);
//! - spec §7.3 / seed 001: an ISMAP-LIU audit's external scope is reduced,
//!   so it supports an ISMAP-LIU application only;
//! - issue 14: a renewal needs an audit period ending after the previous
//!   registration's.
//!
//! The project's own choices: which engagements count towards a cycle (the
//! service's reported full and multi-year audits whose periods end within
//! the `cycle_years - 1` years before this one's end, see [`cycle_window_start`]),
//! and that a control counts as audited when the latest issued report gives
//! it a result other than "not tested".

use std::collections::HashSet;

use chrono::{Months, NaiveDate};

use crate::catalog::Catalog;
use crate::control_id::ControlId;
use crate::registration::ListKind;

/// An engagement's scope as applications read it (the `scope`,
/// `cycle_year` and `cycle_years` of an engagement).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuditScope {
    /// Every control (全管理策).
    Full,
    /// Year `year` of an ISMAP multi-year cycle of `years` years.
    MultiYear { year: u8, years: u8 },
    /// ISMAP-LIU: the external scope is reduced (spec §7.3).
    Liu,
}

impl AuditScope {
    /// From an engagement's stored keys; `None` for an unknown scope.
    pub fn from_keys(scope: &str, year: i64, years: i64) -> Option<AuditScope> {
        Some(match scope {
            "full" => AuditScope::Full,
            "multi_year" => AuditScope::MultiYear {
                year: u8::try_from(year).ok()?,
                years: u8::try_from(years).ok()?,
            },
            "liu" => AuditScope::Liu,
            _ => return None,
        })
    }

    /// Whether this audit may count towards an ISMAP cycle's coverage.
    pub fn counts_for_ismap(self) -> bool {
        !matches!(self, AuditScope::Liu)
    }
}

/// What an audit of `scope` needs to support an application for `list`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Support {
    /// The audit alone supports the application.
    Alone,
    /// A multi-year year: the audits of its cycle must together cover
    /// every control ([`uncovered_by`]).
    WithItsCycle,
}

/// Why an audit cannot support an application for a list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SupportError {
    #[error(
        "an ISMAP-LIU audit has a reduced external scope; it supports an ISMAP-LIU application only"
    )]
    LiuAuditForIsmap,
    #[error(
        "a multi-year cycle's audit supports only the renewal of an ISMAP registration; a first registration needs a full audit"
    )]
    MultiYearNotARenewal,
    #[error(
        "a multi-year ISMAP cycle's audit does not follow the ISMAP-LIU external scope; an ISMAP-LIU application rests on an ISMAP-LIU or a full audit"
    )]
    MultiYearForLiu,
}

/// Whether an audit of `scope` can support an application for `list`;
/// `renews` says whether the application renews a registration on that
/// same list.
pub fn support(list: ListKind, scope: AuditScope, renews: bool) -> Result<Support, SupportError> {
    match (list, scope) {
        (ListKind::Ismap, AuditScope::Liu) => Err(SupportError::LiuAuditForIsmap),
        (ListKind::Ismap, AuditScope::MultiYear { .. }) if !renews => {
            Err(SupportError::MultiYearNotARenewal)
        }
        (ListKind::Ismap, AuditScope::MultiYear { .. }) => Ok(Support::WithItsCycle),
        // A year of an ISMAP cycle audits a share of the control measures
        // chosen for ISMAP, not the LIU important controls every LIU cycle
        // must reach (spec §7.3): the project's choice is to refuse it.
        (ListKind::Liu, AuditScope::MultiYear { .. }) => Err(SupportError::MultiYearForLiu),
        // A full audit supports either list; what an ISMAP-LIU application
        // needs beyond its audit (pre-application, internal audits) is
        // checked elsewhere.
        _ => Ok(Support::Alone),
    }
}

/// The first day on which another audit's period may end to count towards
/// the cycle of a multi-year audit ending on `end`: the `years - 1` years
/// before it (a 3-year cycle ending 2026-03-31 reaches back to periods
/// ending on or after 2024-03-31). A 29 February falls back to the 28th.
pub fn cycle_window_start(end: NaiveDate, years: u8) -> NaiveDate {
    let months = 12 * u32::from(years.max(1) - 1);
    end.checked_sub_months(Months::new(months))
        .unwrap_or(NaiveDate::MIN)
}

/// Whether an audit whose period ends on `other_end` belongs to the cycle of
/// the multi-year audit ending on `end` (of `years` years).
pub fn in_cycle(end: NaiveDate, years: u8, other_end: NaiveDate) -> bool {
    cycle_window_start(end, years) <= other_end && other_end <= end
}

/// The catalog's controls that none of `audited` (each one audit's audited
/// controls) covers, in catalog order. Controls are matched by number, so
/// a suffix written differently still counts.
pub fn uncovered_by(catalog: &Catalog, audited: &[&[ControlId]]) -> Vec<ControlId> {
    let covered: HashSet<_> = audited
        .iter()
        .flat_map(|ids| ids.iter().map(ControlId::number))
        .collect();
    catalog
        .controls()
        .iter()
        .map(|c| c.id)
        .filter(|id| !covered.contains(&id.number()))
        .collect()
}

/// How many of the catalog's controls `audited` covers.
pub fn covered_count(catalog: &Catalog, audited: &[ControlId]) -> usize {
    catalog.controls().len() - uncovered_by(catalog, &[audited]).len()
}

/// The first `shown` controls of a list and how many more there are, for a
/// refusal that names them without growing without bound.
pub fn first_and_rest(controls: &[ControlId], shown: usize) -> (Vec<String>, usize) {
    let first = controls
        .iter()
        .take(shown)
        .map(ToString::to_string)
        .collect();
    (first, controls.len().saturating_sub(shown))
}

/// A renewal's audit period must end after the one the previous
/// registration rests on (issue 14): the same report again, or an older
/// period, is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "a renewal needs an audit period ending after the previous registration's ({previous}); the audit chosen ends on {this}"
)]
pub struct NotNewer {
    pub previous: NaiveDate,
    pub this: NaiveDate,
}

pub fn renewal_period(previous_end: NaiveDate, this_end: NaiveDate) -> Result<(), NotNewer> {
    if this_end > previous_end {
        Ok(())
    } else {
        Err(NotNewer {
            previous: previous_end,
            this: this_end,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::{Scope, plan_cycle};
    use crate::synthetic::full_size_catalog;

    fn d(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    #[test]
    fn which_audit_supports_which_list() {
        let multi = AuditScope::MultiYear { year: 2, years: 3 };
        assert_eq!(
            support(ListKind::Ismap, AuditScope::Full, false),
            Ok(Support::Alone)
        );
        assert_eq!(
            support(ListKind::Liu, AuditScope::Full, false),
            Ok(Support::Alone)
        );
        assert_eq!(
            support(ListKind::Ismap, AuditScope::Liu, true),
            Err(SupportError::LiuAuditForIsmap)
        );
        assert_eq!(
            support(ListKind::Liu, AuditScope::Liu, false),
            Ok(Support::Alone)
        );
        assert_eq!(
            support(ListKind::Ismap, multi, false),
            Err(SupportError::MultiYearNotARenewal)
        );
        assert_eq!(
            support(ListKind::Ismap, multi, true),
            Ok(Support::WithItsCycle)
        );
        assert_eq!(
            support(ListKind::Liu, multi, true),
            Err(SupportError::MultiYearForLiu)
        );
        assert_eq!(
            AuditScope::from_keys("multi_year", 2, 3),
            Some(AuditScope::MultiYear { year: 2, years: 3 })
        );
        assert_eq!(AuditScope::from_keys("partial", 1, 1), None);
        assert!(!AuditScope::Liu.counts_for_ismap());
    }

    #[test]
    fn a_cycle_reaches_back_its_years_less_one() {
        assert_eq!(cycle_window_start(d("2026-03-31"), 3), d("2024-03-31"));
        assert_eq!(cycle_window_start(d("2026-03-31"), 1), d("2026-03-31"));
        assert_eq!(cycle_window_start(d("2028-02-29"), 2), d("2027-02-28"));
        assert!(in_cycle(d("2026-03-31"), 3, d("2024-03-31")));
        assert!(in_cycle(d("2026-03-31"), 3, d("2025-03-31")));
        assert!(!in_cycle(d("2026-03-31"), 3, d("2024-03-30")), "too old");
        assert!(!in_cycle(d("2026-03-31"), 3, d("2026-04-30")), "later");
        assert!(!in_cycle(d("2026-03-31"), 2, d("2024-03-31")));
    }

    #[test]
    fn the_years_of_a_planned_cycle_together_cover_every_control() {
        let catalog = full_size_catalog();
        let plan = plan_cycle(&catalog, Scope::MultiYear { years: 3 });
        let years: Vec<&[ControlId]> = plan.years.iter().map(Vec::as_slice).collect();
        assert!(uncovered_by(&catalog, &years).is_empty());
        // One year alone leaves the others' control measures out.
        let missing = uncovered_by(&catalog, &years[1..]);
        assert!(!missing.is_empty());
        assert!(missing.iter().all(|id| plan.years[0].contains(id)));
        assert_eq!(
            covered_count(&catalog, &plan.years[0]),
            catalog.controls().len() - uncovered_by(&catalog, &[&plan.years[0]]).len()
        );
        assert_eq!(uncovered_by(&catalog, &[]).len(), catalog.controls().len());
    }

    #[test]
    fn refusals_name_the_first_controls_and_count_the_rest() {
        let catalog = full_size_catalog();
        let all: Vec<ControlId> = catalog.controls().iter().map(|c| c.id).collect();
        let (first, rest) = first_and_rest(&all, 10);
        assert_eq!(first.len(), 10);
        assert_eq!(first[0], all[0].to_string());
        assert_eq!(rest, all.len() - 10);
        let (few, none) = first_and_rest(&all[..3], 10);
        assert_eq!((few.len(), none), (3, 0));
    }

    #[test]
    fn a_renewal_needs_a_later_audit_period() {
        assert!(renewal_period(d("2025-03-31"), d("2026-03-31")).is_ok());
        assert_eq!(
            renewal_period(d("2026-03-31"), d("2026-03-31")),
            Err(NotNewer {
                previous: d("2026-03-31"),
                this: d("2026-03-31")
            }),
            "the same report again"
        );
        assert!(renewal_period(d("2026-03-31"), d("2025-09-30")).is_err());
    }
}
