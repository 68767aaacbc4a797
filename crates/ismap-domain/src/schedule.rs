//! The daily checks' decisions (issue 15, item 9): which notice, if any, a
//! deadline, a due date, an expiry or a coverage window calls for on a day,
//! and which kind of e-mail a notification is. Each notice has a mark so
//! that the scheduler writes it once (its dedupe key names the mark); a
//! check run late still sends the notice of the window it is in, not every
//! window it missed.

use chrono::NaiveDate;

use crate::ControlId;

/// Days before an interim measure's deadline when its agency is reminded.
pub const INTERIM_WARNINGS: [i64; 3] = [90, 30, 7];
/// Days before a review question's due date when the provider is reminded.
pub const QUESTION_WARNINGS: [i64; 2] = [7, 1];

/// A notice about a day that comes closer: `Before(n)` is the reminder of
/// the `n`-day window, `Overdue` the day after it passed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Mark {
    Before(i64),
    Overdue,
}

impl Mark {
    /// As written in notification kinds and dedupe keys: `90`, `overdue`.
    pub fn key(self) -> String {
        match self {
            Mark::Before(days) => days.to_string(),
            Mark::Overdue => "overdue".to_owned(),
        }
    }
}

/// The reminder due on `today` for `deadline` with reminders `windows`
/// days before (the last day itself counts as 0 days left): the smallest
/// window that `today` is in, or `Overdue` once the deadline has passed.
pub fn window_mark(deadline: NaiveDate, today: NaiveDate, windows: &[i64]) -> Option<Mark> {
    let left = (deadline - today).num_days();
    if left < 0 {
        return Some(Mark::Overdue);
    }
    windows
        .iter()
        .copied()
        .filter(|w| left <= *w)
        .min()
        .map(Mark::Before)
}

/// An interim measure's deadline (open or applied): 90, 30 and 7 days
/// before, and overdue.
pub fn interim_notice(deadline: NaiveDate, today: NaiveDate) -> Option<Mark> {
    window_mark(deadline, today, &INTERIM_WARNINGS)
}

/// Whether an overdue interim measure is told to the secretariat as well
/// (seed 000: overdue reports are flagged to both).
pub fn interim_notice_to_secretariat(mark: Mark) -> bool {
    mark == Mark::Overdue
}

/// An unanswered review question's due date: 7 days and 1 day before, and
/// overdue.
pub fn question_notice(due: NaiveDate, today: NaiveDate) -> Option<Mark> {
    window_mark(due, today, &QUESTION_WARNINGS)
}

/// A current registration's end of validity: 90 and 30 days before (the
/// same windows the lists show, `registration::expiry_warning`); an
/// expired registration is the lists' business, not a reminder's.
pub fn registration_notice(valid_until: NaiveDate, today: NaiveDate) -> Option<Mark> {
    crate::registration::expiry_warning(valid_until, today).map(Mark::Before)
}

/// Evidence in the library: within `audit_work::EVIDENCE_WARNING_DAYS` of
/// its expiry, or expired.
pub fn evidence_notice(expires_on: NaiveDate, today: NaiveDate) -> Option<Mark> {
    window_mark(
        expires_on,
        today,
        &[crate::audit_work::EVIDENCE_WARNING_DAYS],
    )
}

/// ISMAP-LIU internal audit coverage: the objectives leaving the window
/// within `liu::COVERAGE_WARNING_DAYS` (as `Coverage::leaving_within` gives
/// them) make one notice, named by the first day one stops counting: how
/// many leave, and that day. A later, different first day is a new notice.
pub fn coverage_notice(leaving: &[(ControlId, NaiveDate)]) -> Option<(usize, NaiveDate)> {
    let first = leaving.iter().map(|(_, day)| *day).min()?;
    Some((leaving.len(), first))
}

/// The kinds of e-mail people choose from on their account page, in the
/// order shown. A notification's kind (`interim.deadline_30`) belongs to
/// one of them ([`email_kind`]).
pub const EMAIL_KINDS: [&str; 8] = [
    "interim",
    "question",
    "registration",
    "liu_coverage",
    "evidence",
    "channel",
    "review",
    "other",
];

/// Which e-mail kind a notification kind belongs to: by its first part
/// (`interim.deadline_30` → `interim`). Inquiries, doubts, status
/// requests, reports and programme notices are the channel between the
/// agencies and the secretariat; applications and pre-applications are
/// reviews.
pub fn email_kind(kind: &str) -> &'static str {
    let head = kind.split(['.', ':']).next().unwrap_or_default();
    match head {
        "interim" => "interim",
        "question" => "question",
        "registration" => "registration",
        "liu" | "liu_coverage" | "internal_audit" => "liu_coverage",
        "evidence" => "evidence",
        "channel" | "inquiry" | "doubt" | "notice" | "status_request" | "report"
        | "interim_report" => "channel",
        "review" | "application" | "pre_application" | "impact_assessment" => "review",
        _ => "other",
    }
}

/// Back-off before the next attempt to send a mail that failed
/// `attempts` times: 1, 2, 4 … minutes, at most 6 hours.
pub fn mail_retry_minutes(attempts: i64) -> i64 {
    let exponent = attempts.clamp(1, 20) - 1;
    (1_i64 << exponent).min(6 * 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    #[test]
    fn interim_reminders_come_90_30_7_days_before_and_when_overdue() {
        let deadline = d("2027-05-31");
        assert_eq!(interim_notice(deadline, d("2027-01-01")), None);
        // 91 days left: nothing yet; 90: the first reminder.
        assert_eq!(interim_notice(deadline, d("2027-03-01")), None);
        assert_eq!(
            interim_notice(deadline, d("2027-03-02")),
            Some(Mark::Before(90))
        );
        assert_eq!(
            interim_notice(deadline, d("2027-04-30")),
            Some(Mark::Before(90))
        );
        assert_eq!(
            interim_notice(deadline, d("2027-05-01")),
            Some(Mark::Before(30))
        );
        assert_eq!(
            interim_notice(deadline, d("2027-05-24")),
            Some(Mark::Before(7))
        );
        // The last day still counts; the day after is overdue.
        assert_eq!(
            interim_notice(deadline, d("2027-05-31")),
            Some(Mark::Before(7))
        );
        assert_eq!(
            interim_notice(deadline, d("2027-06-01")),
            Some(Mark::Overdue)
        );
        assert!(interim_notice_to_secretariat(Mark::Overdue));
        assert!(!interim_notice_to_secretariat(Mark::Before(7)));
    }

    #[test]
    fn a_late_check_sends_the_window_it_is_in_not_every_missed_one() {
        // First seen 5 days before: the 7-day reminder only.
        assert_eq!(
            interim_notice(d("2027-05-31"), d("2027-05-26")),
            Some(Mark::Before(7))
        );
    }

    #[test]
    fn question_reminders_come_7_days_and_1_day_before() {
        let due = d("2026-12-10");
        assert_eq!(question_notice(due, d("2026-12-02")), None);
        assert_eq!(question_notice(due, d("2026-12-03")), Some(Mark::Before(7)));
        assert_eq!(question_notice(due, d("2026-12-08")), Some(Mark::Before(7)));
        assert_eq!(question_notice(due, d("2026-12-09")), Some(Mark::Before(1)));
        assert_eq!(question_notice(due, d("2026-12-10")), Some(Mark::Before(1)));
        assert_eq!(question_notice(due, d("2026-12-11")), Some(Mark::Overdue));
    }

    #[test]
    fn registration_reminders_come_90_and_30_days_before_expiry() {
        let until = d("2027-03-31");
        assert_eq!(registration_notice(until, d("2026-12-30")), None);
        assert_eq!(
            registration_notice(until, d("2026-12-31")),
            Some(Mark::Before(90))
        );
        assert_eq!(
            registration_notice(until, d("2027-03-01")),
            Some(Mark::Before(30))
        );
        assert_eq!(
            registration_notice(until, d("2027-03-31")),
            Some(Mark::Before(30))
        );
        assert_eq!(registration_notice(until, d("2027-04-01")), None);
    }

    #[test]
    fn evidence_reminders_come_within_the_warning_days_and_when_expired() {
        let expires = d("2027-01-31");
        assert_eq!(evidence_notice(expires, d("2026-12-31")), None);
        assert_eq!(
            evidence_notice(expires, d("2027-01-01")),
            Some(Mark::Before(30))
        );
        assert_eq!(
            evidence_notice(expires, d("2027-02-01")),
            Some(Mark::Overdue)
        );
    }

    #[test]
    fn coverage_notices_are_named_by_the_first_day_leaving() {
        assert_eq!(coverage_notice(&[]), None);
        let a: ControlId = "12.1.1".parse().unwrap();
        let b: ControlId = "12.1.2".parse().unwrap();
        assert_eq!(
            coverage_notice(&[(a, d("2027-02-01")), (b, d("2027-01-15"))]),
            Some((2, d("2027-01-15")))
        );
    }

    #[test]
    fn notification_kinds_map_to_the_email_kinds_people_choose() {
        assert_eq!(email_kind("interim.deadline_30"), "interim");
        assert_eq!(email_kind("interim.overdue"), "interim");
        assert_eq!(email_kind("question.due_7"), "question");
        assert_eq!(email_kind("registration.expiry_90"), "registration");
        assert_eq!(email_kind("liu.coverage_leaving"), "liu_coverage");
        assert_eq!(email_kind("evidence.expiring"), "evidence");
        assert_eq!(email_kind("inquiry.opened"), "channel");
        assert_eq!(email_kind("doubt.answered"), "channel");
        assert_eq!(email_kind("notice.published"), "channel");
        assert_eq!(email_kind("application.returned"), "review");
        assert_eq!(email_kind("something.else"), "other");
        for kind in EMAIL_KINDS {
            assert_eq!(email_kind(kind), kind, "{kind} maps to itself");
        }
    }

    #[test]
    fn mail_retries_back_off_up_to_six_hours() {
        assert_eq!(mail_retry_minutes(1), 1);
        assert_eq!(mail_retry_minutes(2), 2);
        assert_eq!(mail_retry_minutes(5), 16);
        assert_eq!(mail_retry_minutes(30), 360);
    }
}
