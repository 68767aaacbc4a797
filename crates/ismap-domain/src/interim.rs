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

/// Where an interim measure stands (migration 0014, `interim_measures.state`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum InterimState {
    /// Waiting for the provider's application.
    Open,
    /// The provider's application for the service is in the portal.
    Applied,
    /// The agency reported to the secretariat (no application by the
    /// deadline, or none expected).
    Reported,
    /// Ended: the service is registered, or the agency stopped using it.
    Closed,
}

impl InterimState {
    pub const ALL: [InterimState; 4] = [
        InterimState::Open,
        InterimState::Applied,
        InterimState::Reported,
        InterimState::Closed,
    ];

    pub fn key(self) -> &'static str {
        match self {
            InterimState::Open => "open",
            InterimState::Applied => "applied",
            InterimState::Reported => "reported",
            InterimState::Closed => "closed",
        }
    }

    pub fn from_key(key: &str) -> Option<InterimState> {
        InterimState::ALL.into_iter().find(|s| s.key() == key)
    }
}

/// Why a measure closed by itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CloseReason {
    /// The service is on a list and valid (its registration is current).
    Registered,
    /// The register entry ended: the agency no longer uses the service.
    Ended,
}

impl CloseReason {
    pub fn key(self) -> &'static str {
        match self {
            CloseReason::Registered => "registered",
            CloseReason::Ended => "ended",
        }
    }
}

/// What the portal knows today about the measure's service.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Facts {
    /// The state of the live application for the service (the newest one
    /// neither rejected nor withdrawn), if any.
    pub application: Option<crate::review::ApplicationState>,
    /// The service has a current registration valid today.
    pub registered: bool,
    /// The register entry has ended.
    pub entry_ended: bool,
}

/// The move [`progress`] decides.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// open → applied: the provider's application appeared.
    Applied,
    /// applied → open: the application was withdrawn or rejected and no
    /// other is live [this system: the year was meant for an application
    /// that leads to registration; without one the measure waits again, and
    /// is overdue once its deadline has passed].
    Reopened,
    /// → closed, by itself.
    Close(CloseReason),
}

/// The next state of a measure given what the portal knows: a pure
/// decision, applied by the store conditionally (so running it twice moves
/// once). `None`: nothing to do. A reported measure keeps its state while
/// an application appears (the report stands; the page shows the
/// application's progress), and closes like any other once registered.
pub fn progress(state: InterimState, facts: Facts) -> Option<Step> {
    use crate::review::ApplicationState as A;
    if state == InterimState::Closed {
        return None;
    }
    if facts.registered {
        return Some(Step::Close(CloseReason::Registered));
    }
    if facts.entry_ended {
        return Some(Step::Close(CloseReason::Ended));
    }
    let live = facts
        .application
        .is_some_and(|a| !matches!(a, A::Rejected | A::Withdrawn));
    match (state, live) {
        (InterimState::Open, true) => Some(Step::Applied),
        (InterimState::Applied, false) => Some(Step::Reopened),
        _ => None,
    }
}

impl Step {
    /// The state the step leads to.
    pub fn to(self) -> InterimState {
        match self {
            Step::Applied => InterimState::Applied,
            Step::Reopened => InterimState::Open,
            Step::Close(_) => InterimState::Closed,
        }
    }
}

/// Overdue: the deadline has passed while the measure still waits for an
/// application and the agency has not reported (seed 000 (2): it must then
/// report promptly).
pub fn is_overdue(state: InterimState, deadline: NaiveDate, today: NaiveDate) -> bool {
    state == InterimState::Open && deadline < today
}

/// Why the agency reports (seed 000 (2)).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReportReason {
    /// 1年が経過: the deadline passed without an application.
    DeadlinePassed,
    /// 申請の見込みがないと明らかになった: found earlier that none will come.
    NoApplicationExpected,
}

impl ReportReason {
    pub const ALL: [ReportReason; 2] = [
        ReportReason::DeadlinePassed,
        ReportReason::NoApplicationExpected,
    ];

    pub fn key(self) -> &'static str {
        match self {
            ReportReason::DeadlinePassed => "deadline_passed",
            ReportReason::NoApplicationExpected => "no_application_expected",
        }
    }

    pub fn from_key(key: &str) -> Option<ReportReason> {
        ReportReason::ALL.into_iter().find(|r| r.key() == key)
    }
}

/// Why a report cannot be filed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReportRefusal {
    /// Only a measure waiting for an application is reported.
    NotOpen,
    /// "Deadline passed" before the deadline has passed.
    DeadlineNotPassed,
}

/// Whether the agency may report for `reason` today.
pub fn may_report(
    state: InterimState,
    reason: ReportReason,
    deadline: NaiveDate,
    today: NaiveDate,
) -> Result<(), ReportRefusal> {
    if state != InterimState::Open {
        return Err(ReportRefusal::NotOpen);
    }
    if reason == ReportReason::DeadlinePassed && deadline >= today {
        return Err(ReportRefusal::DeadlineNotPassed);
    }
    Ok(())
}

/// What the agency plans after its report (seed 000 (2): 移行作業の準備や予算要求).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PlanKind {
    /// 移行: move to another (registered) service.
    Migration,
    /// 予算要求: request the budget to check or replace the service.
    BudgetRequest,
}

impl PlanKind {
    pub const ALL: [PlanKind; 2] = [PlanKind::Migration, PlanKind::BudgetRequest];

    pub fn key(self) -> &'static str {
        match self {
            PlanKind::Migration => "migration",
            PlanKind::BudgetRequest => "budget_request",
        }
    }

    pub fn from_key(key: &str) -> Option<PlanKind> {
        PlanKind::ALL.into_iter().find(|k| k.key() == key)
    }
}

/// The origin the agency declares, checked against the entry's start of
/// use: a service in use at the programme's start started on or before it;
/// a planned one after it [this system: the seed's two cases, 利用中 and
/// 利用予定, read against the programme's start].
pub fn origin_for(
    in_use_at_programme_start: bool,
    start_of_use: NaiveDate,
    programme_start: NaiveDate,
) -> Result<InterimStart, OriginRefusal> {
    if in_use_at_programme_start {
        if start_of_use > programme_start {
            return Err(OriginRefusal::StartedAfterProgramme);
        }
        Ok(InterimStart::InUseAtProgrammeStart { programme_start })
    } else {
        if start_of_use <= programme_start {
            return Err(OriginRefusal::InUseAtProgrammeStart);
        }
        Ok(InterimStart::StartOfUse(start_of_use))
    }
}

/// Why a declared origin does not fit the entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OriginRefusal {
    /// "In use at the programme's start", but the entry starts later.
    StartedAfterProgramme,
    /// "Planned", but the entry was already in use at the programme's start.
    InUseAtProgrammeStart,
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

    fn facts(application: Option<crate::review::ApplicationState>, registered: bool) -> Facts {
        Facts {
            application,
            registered,
            entry_ended: false,
        }
    }

    #[test]
    fn an_application_moves_an_open_measure_to_applied_once() {
        use crate::review::ApplicationState as A;
        let f = facts(Some(A::TechnicalReview), false);
        assert_eq!(progress(InterimState::Open, f), Some(Step::Applied));
        assert_eq!(Step::Applied.to(), InterimState::Applied);
        // Applied already: nothing more to do (idempotent).
        assert_eq!(progress(InterimState::Applied, f), None);
        // A reported measure keeps its report while an application appears.
        assert_eq!(progress(InterimState::Reported, f), None);
        // No application: nothing moves.
        assert_eq!(progress(InterimState::Open, facts(None, false)), None);
    }

    #[test]
    fn a_withdrawn_or_rejected_application_reopens_the_measure() {
        use crate::review::ApplicationState as A;
        for gone in [A::Withdrawn, A::Rejected] {
            assert_eq!(
                progress(InterimState::Applied, facts(Some(gone), false)),
                Some(Step::Reopened)
            );
            assert_eq!(progress(InterimState::Open, facts(Some(gone), false)), None);
        }
        assert_eq!(
            progress(InterimState::Applied, facts(None, false)),
            Some(Step::Reopened)
        );
    }

    #[test]
    fn registration_closes_the_measure_by_itself_from_any_open_state() {
        use crate::review::ApplicationState as A;
        for state in [
            InterimState::Open,
            InterimState::Applied,
            InterimState::Reported,
        ] {
            assert_eq!(
                progress(state, facts(Some(A::Registered), true)),
                Some(Step::Close(CloseReason::Registered))
            );
        }
        assert_eq!(
            progress(InterimState::Closed, facts(Some(A::Registered), true)),
            None
        );
        let ended = Facts {
            application: None,
            registered: false,
            entry_ended: true,
        };
        assert_eq!(
            progress(InterimState::Open, ended),
            Some(Step::Close(CloseReason::Ended))
        );
    }

    #[test]
    fn overdue_is_open_past_the_deadline_and_not_reported() {
        let deadline = day(2027, 4, 15);
        assert!(!is_overdue(InterimState::Open, deadline, day(2027, 4, 15)));
        assert!(is_overdue(InterimState::Open, deadline, day(2027, 4, 16)));
        for state in [
            InterimState::Applied,
            InterimState::Reported,
            InterimState::Closed,
        ] {
            assert!(!is_overdue(state, deadline, day(2030, 1, 1)));
        }
    }

    #[test]
    fn reporting_a_passed_deadline_waits_for_the_deadline() {
        let deadline = day(2027, 4, 15);
        assert_eq!(
            may_report(
                InterimState::Open,
                ReportReason::DeadlinePassed,
                deadline,
                day(2027, 4, 15)
            ),
            Err(ReportRefusal::DeadlineNotPassed)
        );
        assert_eq!(
            may_report(
                InterimState::Open,
                ReportReason::DeadlinePassed,
                deadline,
                day(2027, 4, 16)
            ),
            Ok(())
        );
        assert_eq!(
            may_report(
                InterimState::Open,
                ReportReason::NoApplicationExpected,
                deadline,
                day(2026, 5, 1)
            ),
            Ok(())
        );
        assert_eq!(
            may_report(
                InterimState::Reported,
                ReportReason::NoApplicationExpected,
                deadline,
                day(2026, 5, 1)
            ),
            Err(ReportRefusal::NotOpen)
        );
    }

    #[test]
    fn the_declared_origin_must_fit_the_start_of_use() {
        let programme = DEFAULT_PROGRAMME_START;
        assert_eq!(
            origin_for(true, day(2019, 4, 1), programme),
            Ok(InterimStart::InUseAtProgrammeStart {
                programme_start: programme
            })
        );
        assert_eq!(
            origin_for(true, day(2026, 4, 1), programme),
            Err(OriginRefusal::StartedAfterProgramme)
        );
        assert_eq!(
            origin_for(false, day(2026, 4, 15), programme),
            Ok(InterimStart::StartOfUse(day(2026, 4, 15)))
        );
        assert_eq!(
            origin_for(false, day(2020, 6, 1), programme),
            Err(OriginRefusal::InUseAtProgrammeStart)
        );
        for key in ["open", "applied", "reported", "closed"] {
            assert_eq!(
                InterimState::from_key(key).map(InterimState::key),
                Some(key)
            );
        }
        assert_eq!(
            PlanKind::from_key("budget_request"),
            Some(PlanKind::BudgetRequest)
        );
        assert_eq!(
            ReportReason::from_key("deadline_passed"),
            Some(ReportReason::DeadlinePassed)
        );
    }
}
