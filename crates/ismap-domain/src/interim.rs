//! Interim measures (暫定措置, spec §8, seed 000 「2 暫定措置について」): an
//! agency that uses, or plans to use, a cloud service not on the list keeps
//! using it on its own responsibility on the premise that the service is
//! applied for within one year — of the programme's start for a service
//! already in use then, of the start of use for a planned one.
//!
//! The deadline is counted as the Civil Code counts a period given in years
//! (arts. 140–143, the same function as a registration's validity): the
//! period starts on the day after the start day and lasts 12 months.

use chrono::NaiveDate;

use crate::validity::period_end;

/// The programme's start as this system reads it: the seeds say operation
/// started in June 2020 (seed 002, spec §9) without naming a day; the first
/// of the month is the project's reading, and a setting
/// (`ismap serve --programme-start`).
pub const DEFAULT_PROGRAMME_START: NaiveDate = match NaiveDate::from_ymd_opt(2020, 6, 1) {
    Some(day) => day,
    None => panic!("2020-06-01 is a date"),
};

/// Length of the interim period in months (seed 000: 1年以内).
pub const INTERIM_MONTHS: u32 = 12;

/// Where an interim measure's year is counted from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InterimStart {
    /// The service was in use when the programme started: one year from the
    /// programme's start (the day given is that start).
    InUseAtProgrammeStart { programme_start: NaiveDate },
    /// A planned service: one year from its start of use.
    StartOfUse(NaiveDate),
}

impl InterimStart {
    /// The day the year is counted from.
    pub fn origin(self) -> NaiveDate {
        match self {
            InterimStart::InUseAtProgrammeStart { programme_start } => programme_start,
            InterimStart::StartOfUse(day) => day,
        }
    }

    /// Which start this is, as stored and shown (`programme_start` /
    /// `start_of_use`).
    pub fn key(self) -> &'static str {
        match self {
            InterimStart::InUseAtProgrammeStart { .. } => "programme_start",
            InterimStart::StartOfUse(_) => "start_of_use",
        }
    }
}

/// The last day by which the service must be applied for. The period
/// starts on the day after the origin (art. 140: the first day is not
/// counted) and ends as art. 143 says. `None` only past the calendar's end.
pub fn deadline(start: InterimStart) -> Option<NaiveDate> {
    let first = start.origin().succ_opt()?;
    period_end(first, INTERIM_MONTHS)
}

/// Days from `today` to `deadline` (negative once it has passed).
pub fn days_left(deadline: NaiveDate, today: NaiveDate) -> i64 {
    (deadline - today).num_days()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn a_year_from_the_programme_start_ends_on_the_same_day_a_year_later() {
        // Starts 2020-06-02 (the day after), not the first of a month: ends
        // the day before 2021-06-02.
        let start = InterimStart::InUseAtProgrammeStart {
            programme_start: DEFAULT_PROGRAMME_START,
        };
        assert_eq!(deadline(start), Some(day(2021, 6, 1)));
    }

    #[test]
    fn a_period_starting_on_the_first_of_a_month_ends_on_the_last_day_of_its_twelfth_month() {
        // Start of use 2024-03-31: the period starts on 2024-04-01 and ends
        // on the last day of its 12th month, 2025-03-31.
        assert_eq!(
            deadline(InterimStart::StartOfUse(day(2024, 3, 31))),
            Some(day(2025, 3, 31))
        );
        assert_eq!(
            deadline(InterimStart::StartOfUse(day(2023, 12, 31))),
            Some(day(2024, 12, 31))
        );
    }

    #[test]
    fn the_twenty_ninth_of_february() {
        // Start of use 2024-02-28: the period starts 2024-02-29; 2025 has no
        // 29 February, so it ends on the last day of February 2025.
        assert_eq!(
            deadline(InterimStart::StartOfUse(day(2024, 2, 28))),
            Some(day(2025, 2, 28))
        );
        // Start of use 2024-02-29: starts 2024-03-01, the first of a month.
        assert_eq!(
            deadline(InterimStart::StartOfUse(day(2024, 2, 29))),
            Some(day(2025, 2, 28))
        );
        // Start of use 2023-02-28: starts 2023-03-01, ends 2024-02-29.
        assert_eq!(
            deadline(InterimStart::StartOfUse(day(2023, 2, 28))),
            Some(day(2024, 2, 29))
        );
        // Start of use 2027-02-28 → starts 2027-03-01 → ends 2028-02-29.
        assert_eq!(
            deadline(InterimStart::StartOfUse(day(2027, 2, 28))),
            Some(day(2028, 2, 29))
        );
    }

    #[test]
    fn an_ordinary_day_ends_on_the_same_date_a_year_later() {
        // Start of use 2026-04-15: the period starts 2026-04-16, ends the
        // day before 2027-04-16.
        assert_eq!(
            deadline(InterimStart::StartOfUse(day(2026, 4, 15))),
            Some(day(2027, 4, 15))
        );
        assert_eq!(days_left(day(2027, 4, 15), day(2027, 4, 1)), 14);
        assert_eq!(days_left(day(2027, 4, 15), day(2027, 4, 16)), -1);
    }

    #[test]
    fn the_calendars_end_has_no_deadline() {
        assert_eq!(deadline(InterimStart::StartOfUse(NaiveDate::MAX)), None);
    }
}
