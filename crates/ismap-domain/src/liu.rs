//! ISMAP-LIU's internal audit coverage (spec §7.4, seed 001): every control
//! objective of the control-measure criteria (chapters 5–18) must have been
//! the subject of an internal audit at least once within the most recent
//! three years.
//!
//! The window is the three years ending on the day asked about: an audit
//! counts on `as_of` when `window_start(as_of) <= date <= as_of`, where
//! `window_start` is the day after the same date three years earlier (29
//! February three years earlier, when that year has none, is 28 February).

use chrono::{Datelike, Days, NaiveDate};

use crate::catalog::{Catalog, Criteria};
use crate::control_id::{ControlId, Level};

/// The internal audit window, in years (seed 001: 直近3年間).
pub const INTERNAL_AUDIT_WINDOW_YEARS: i32 = 3;

/// Days before an objective's last internal audit leaves the window at which
/// the provider is warned. The number comes from the project's issue 14, not
/// from a programme document.
pub const COVERAGE_WARNING_DAYS: i64 = 90;

/// The same day `years` years before `date`; 29 February becomes 28
/// February in a year without it.
pub fn years_before(date: NaiveDate, years: i32) -> NaiveDate {
    let year = date.year() - years;
    NaiveDate::from_ymd_opt(year, date.month(), date.day())
        .or_else(|| NaiveDate::from_ymd_opt(year, date.month(), date.day() - 1))
        .unwrap_or(date)
}

/// The first day of the window that ends on `as_of`.
pub fn window_start(as_of: NaiveDate) -> NaiveDate {
    let earlier = years_before(as_of, INTERNAL_AUDIT_WINDOW_YEARS);
    earlier.checked_add_days(Days::new(1)).unwrap_or(earlier)
}

/// Whether an internal audit dated `date` counts on `as_of`.
pub fn counts(date: NaiveDate, as_of: NaiveDate) -> bool {
    window_start(as_of) <= date && date <= as_of
}

/// The last day on which an internal audit dated `date` still counts.
pub fn last_day_counted(date: NaiveDate) -> NaiveDate {
    // Near the inverse of `window_start`; because 29 February folds onto 28
    // February the first guess may be a day short, so step while the next
    // day still counts.
    let mut day = NaiveDate::from_ymd_opt(
        date.year() + INTERNAL_AUDIT_WINDOW_YEARS,
        date.month(),
        date.day(),
    )
    .or_else(|| {
        NaiveDate::from_ymd_opt(
            date.year() + INTERNAL_AUDIT_WINDOW_YEARS,
            date.month(),
            date.day() - 1,
        )
    })
    .and_then(|d| d.pred_opt())
    .unwrap_or(date);
    while let Some(next) = day.succ_opt() {
        if !counts(date, next) {
            break;
        }
        day = next;
    }
    while day > date && !counts(date, day) {
        day = day.pred_opt().unwrap_or(date);
    }
    day
}

/// The objectives internal audits must cover: the control objectives of
/// the control-measure criteria, in catalog order.
pub fn internal_audit_objectives(catalog: &Catalog) -> Vec<ControlId> {
    catalog
        .controls()
        .iter()
        .filter(|c| c.criteria() == Criteria::ControlMeasures && c.id.level() == Level::Objective)
        .map(|c| c.id)
        .collect()
}

/// Why an objective named by an internal audit cannot be used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ObjectiveError {
    #[error("{0:?} is not a control identifier such as \"9.2.3\"")]
    Malformed(String),
    #[error(
        "{0} is not a control objective of the control-measure criteria (chapters 5 to 18, three numbers such as \"9.2.3\")"
    )]
    NotAnObjective(String),
    #[error("{0} is not in the catalog")]
    Unknown(String),
}

impl crate::Localized for ObjectiveError {
    fn message_id(&self) -> &'static str {
        match self {
            ObjectiveError::Malformed(_) => "domain-liu-objective-malformed",
            ObjectiveError::NotAnObjective(_) => "domain-liu-objective-not-objective",
            ObjectiveError::Unknown(_) => "domain-liu-objective-unknown",
        }
    }

    fn message_args(&self) -> Vec<(&'static str, String)> {
        match self {
            ObjectiveError::Malformed(id)
            | ObjectiveError::NotAnObjective(id)
            | ObjectiveError::Unknown(id) => vec![("objective", id.clone())],
        }
    }
}

/// Reads one objective an internal audit covered.
pub fn parse_objective(catalog: &Catalog, text: &str) -> Result<ControlId, ObjectiveError> {
    let text = text.trim();
    let id: ControlId = text
        .parse()
        .map_err(|_| ObjectiveError::Malformed(text.to_owned()))?;
    if id.level() != Level::Objective
        || Criteria::of_chapter(id.chapter()) != Criteria::ControlMeasures
    {
        return Err(ObjectiveError::NotAnObjective(text.to_owned()));
    }
    let known = catalog.controls().iter().any(|c| c.id == id);
    if !known {
        return Err(ObjectiveError::Unknown(text.to_owned()));
    }
    Ok(id)
}

/// One internal audit as coverage sees it: its date and the objectives it
/// covered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InternalAudit {
    pub date: NaiveDate,
    pub objectives: Vec<ControlId>,
}

/// Internal audit coverage on a day.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Coverage {
    pub as_of: NaiveDate,
    pub window_start: NaiveDate,
    /// Covered objectives in catalog order, each with the date of its most
    /// recent audit inside the window.
    pub covered: Vec<(ControlId, NaiveDate)>,
    /// Objectives no audit in the window covered, in catalog order.
    pub uncovered: Vec<ControlId>,
}

impl Coverage {
    pub fn complete(&self) -> bool {
        self.uncovered.is_empty()
    }

    /// Covered objectives whose last audit leaves the window within `days`
    /// days after `as_of`, with the last day it still counts, soonest first.
    pub fn leaving_within(&self, days: i64) -> Vec<(ControlId, NaiveDate)> {
        let mut leaving: Vec<(ControlId, NaiveDate)> = self
            .covered
            .iter()
            .map(|(id, date)| (*id, last_day_counted(*date)))
            .filter(|(_, last)| (*last - self.as_of).num_days() < days)
            .collect();
        leaving.sort_by_key(|(id, last)| (*last, *id));
        leaving
    }
}

/// Coverage of `catalog`'s control-measure objectives by `audits` on `as_of`.
pub fn coverage(catalog: &Catalog, audits: &[InternalAudit], as_of: NaiveDate) -> Coverage {
    let mut covered = Vec::new();
    let mut uncovered = Vec::new();
    for objective in internal_audit_objectives(catalog) {
        let latest = audits
            .iter()
            .filter(|a| counts(a.date, as_of) && a.objectives.contains(&objective))
            .map(|a| a.date)
            .max();
        match latest {
            Some(date) => covered.push((objective, date)),
            None => uncovered.push(objective),
        }
    }
    Coverage {
        as_of,
        window_start: window_start(as_of),
        covered,
        uncovered,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synthetic::full_size_catalog;

    fn d(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    #[test]
    fn the_window_is_the_three_years_ending_on_the_day() {
        for (as_of, start) in [
            ("2026-12-01", "2023-12-02"),
            ("2026-12-31", "2024-01-01"),
            ("2027-01-01", "2024-01-02"),
            // 29 February three years earlier does not exist.
            ("2028-02-29", "2025-03-01"),
            ("2028-02-28", "2025-03-01"),
            ("2027-02-28", "2024-02-29"),
            ("2027-03-01", "2024-03-02"),
        ] {
            assert_eq!(window_start(d(as_of)), d(start), "as of {as_of}");
        }
        assert!(counts(d("2023-12-02"), d("2026-12-01")));
        assert!(!counts(d("2023-12-01"), d("2026-12-01")));
        assert!(counts(d("2026-12-01"), d("2026-12-01")));
        assert!(!counts(d("2026-12-02"), d("2026-12-01")), "a later audit");
    }

    #[test]
    fn the_last_day_counted_inverts_the_window() {
        for date in [
            "2023-12-02",
            "2024-02-29",
            "2024-03-01",
            "2025-02-28",
            "2025-03-01",
            "2024-12-31",
            "2025-01-01",
        ] {
            let date = d(date);
            let last = last_day_counted(date);
            assert!(counts(date, last), "{date} counts on {last}");
            assert!(
                !counts(date, last.succ_opt().unwrap()),
                "{date} not after {last}"
            );
        }
        assert_eq!(last_day_counted(d("2025-03-01")), d("2028-02-29"));
        assert_eq!(last_day_counted(d("2023-12-02")), d("2026-12-01"));
    }

    #[test]
    fn coverage_names_what_the_window_misses() {
        let catalog = full_size_catalog();
        let objectives = internal_audit_objectives(&catalog);
        assert!(
            objectives
                .iter()
                .all(|o| o.chapter() >= 5 && o.level() == Level::Objective)
        );
        let (first_half, second_half) = objectives.split_at(objectives.len() / 2);
        let audits = vec![
            InternalAudit {
                date: d("2023-06-30"),
                objectives: first_half.to_vec(),
            },
            InternalAudit {
                date: d("2026-05-01"),
                objectives: second_half.to_vec(),
            },
        ];
        let before = coverage(&catalog, &audits, d("2026-06-29"));
        assert!(before.complete());
        let leaving = before.leaving_within(COVERAGE_WARNING_DAYS);
        assert_eq!(leaving.len(), first_half.len());
        assert_eq!(leaving[0].1, d("2026-06-29"));
        let after = coverage(&catalog, &audits, d("2026-06-30"));
        assert_eq!(after.uncovered, first_half.to_vec());
        assert!(!after.complete());
    }

    #[test]
    fn objectives_are_checked_against_the_catalog() {
        let catalog = full_size_catalog();
        let first = internal_audit_objectives(&catalog)[0];
        assert_eq!(parse_objective(&catalog, &first.to_string()), Ok(first));
        assert!(matches!(
            parse_objective(&catalog, "five"),
            Err(ObjectiveError::Malformed(_))
        ));
        assert!(matches!(
            parse_objective(&catalog, "3.1.4"),
            Err(ObjectiveError::NotAnObjective(_))
        ));
        assert!(matches!(
            parse_objective(&catalog, "5.1.1.1"),
            Err(ObjectiveError::NotAnObjective(_))
        ));
        assert!(matches!(
            parse_objective(&catalog, "18.9.9"),
            Err(ObjectiveError::Unknown(_))
        ));
    }
}
