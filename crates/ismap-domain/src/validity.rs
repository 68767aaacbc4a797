//! Registration validity (spec §6): valid from the day after the audit period
//! ends, for 1 year and 4 months, counted as the Civil Code counts periods
//! given in months (arts. 140–143).

use chrono::{DateTime, Datelike, FixedOffset, Months, NaiveDate, Utc};

/// The calendar day in Japan at `at`. The programme's dates (validity,
/// terms, due dates, expiry warnings) are Japanese days, whatever the
/// server's time zone: between 15:00 and 24:00 UTC Japan is already on the
/// next day.
pub fn japan_date(at: DateTime<Utc>) -> NaiveDate {
    let jst = FixedOffset::east_opt(9 * 3600).expect("+09:00 is a valid offset");
    at.with_timezone(&jst).date_naive()
}

/// Today in Japan (the clock read in one place).
pub fn today_in_japan() -> NaiveDate {
    japan_date(Utc::now())
}

/// Length of a registration's validity (spec §6, [003]).
pub const VALIDITY_MONTHS: u32 = 16;

/// The first and last day a registration is valid, given the last day of the
/// audited period.
///
/// The period starts on the next day. Art. 143: a period that starts on the
/// first of a month ends on the last day of its 16th month; otherwise it ends
/// the day before the same-numbered day 16 months later, or on that month's
/// last day when it has no such day. `None` only past the calendar's end.
pub fn validity_period(audit_period_end: NaiveDate) -> Option<(NaiveDate, NaiveDate)> {
    let start = audit_period_end.succ_opt()?;
    Some((start, period_end(start, VALIDITY_MONTHS)?))
}

/// The last day of a period of `months` months starting on `start`, as the
/// Civil Code counts it (art. 143): from the first of a month, the last day
/// of its `months`-th month; otherwise the day before the same-numbered day
/// `months` months later, or that month's last day when it has no such day.
/// `None` only past the calendar's end.
pub fn period_end(start: NaiveDate, months: u32) -> Option<NaiveDate> {
    let month_start = start.with_day(1)?;
    let target_month_start = month_start.checked_add_months(Months::new(months))?;
    if start.day() == 1 {
        return target_month_start.pred_opt();
    }
    match target_month_start.with_day(start.day()) {
        Some(corresponding) => corresponding.pred_opt(),
        // The month has no day with start's number (e.g. 30 February).
        None => target_month_start
            .checked_add_months(Months::new(1))?
            .pred_opt(),
    }
}

/// The last day a registration is valid.
pub fn last_valid_day(audit_period_end: NaiveDate) -> Option<NaiveDate> {
    validity_period(audit_period_end).map(|(_, end)| end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_day_is_japans_day() {
        let at = |text: &str| DateTime::parse_from_rfc3339(text).unwrap().to_utc();
        assert_eq!(japan_date(at("2026-03-31T14:59:59Z")), d("2026-03-31"));
        assert_eq!(japan_date(at("2026-03-31T15:00:00Z")), d("2026-04-01"));
        assert_eq!(japan_date(at("2026-12-31T23:00:00-05:00")), d("2027-01-01"));
    }

    fn d(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn validity_table() {
        // (audit period ends, valid from, valid until)
        let cases = [
            // The spec's own examples (§6).
            ("2024-03-31", "2024-04-01", "2025-07-31"),
            ("2024-10-31", "2024-11-01", "2026-02-28"),
            // Start on the first of a month: last day of the 16th month.
            ("2023-12-31", "2024-01-01", "2025-04-30"),
            ("2022-09-30", "2022-10-01", "2024-01-31"),
            // Into a leap February from a month start.
            ("2022-10-31", "2022-11-01", "2024-02-29"),
            // Mid-month start: the day before the same day 16 months on.
            ("2024-03-14", "2024-03-15", "2025-07-14"),
            ("2023-06-01", "2023-06-02", "2024-10-01"),
            // Start on the 30th; the 16th month (February) has no 30th.
            ("2023-10-29", "2023-10-30", "2025-02-28"),
            ("2022-10-29", "2022-10-30", "2024-02-29"),
            // Start on the 29th; February of a leap year has it, of a common year not.
            ("2022-10-28", "2022-10-29", "2024-02-28"),
            ("2023-10-28", "2023-10-29", "2025-02-28"),
            // Start on the 31st, ending in a 30-day month.
            ("2024-01-30", "2024-01-31", "2025-05-30"),
            ("2023-08-30", "2023-08-31", "2024-12-30"),
            // Audit period ending on a leap day.
            ("2024-02-29", "2024-03-01", "2025-06-30"),
            ("2024-02-28", "2024-02-29", "2025-06-28"),
            // Year boundary.
            ("2025-12-15", "2025-12-16", "2027-04-15"),
        ];
        for (end, from, until) in cases {
            assert_eq!(
                validity_period(d(end)),
                Some((d(from), d(until))),
                "audit period ending {end}"
            );
        }
    }

    #[test]
    fn validity_always_lasts_about_sixteen_months() {
        let mut day = d("2020-01-01");
        while day < d("2030-01-01") {
            let (from, until) = validity_period(day).unwrap();
            assert_eq!(from, day.succ_opt().unwrap());
            let days = (until - from).num_days();
            assert!((480..=490).contains(&days), "{day}: {days} days");
            let months = |d: NaiveDate| d.year() * 12 + d.month() as i32;
            let span = months(until) - months(from);
            // The 16th month counted from a month start is 15 months on.
            let expected = if from.day() == 1 { 15 } else { 16 };
            assert!(
                span == expected || (span == expected - 1 && from.day() >= 29),
                "{day}: {span}"
            );
            day = day.succ_opt().unwrap();
        }
    }

    #[test]
    fn the_end_of_the_calendar_is_not_a_panic() {
        assert_eq!(validity_period(NaiveDate::MAX), None);
    }
}
