//! The secretariat's operations report (運用状況の報告) to the Cybersecurity
//! Strategic Headquarters (サイバーセキュリティ戦略本部), seed 000: 「事務局は、
//! 本制度の運用状況について、サイバーセキュリティ戦略本部に報告を行うこととされた」.
//!
//! Everything here is pure: the Japanese fiscal year of a day, the
//! percentiles of review durations, and the report assembled from the raw
//! rows the store reads (`ismap_store::operations_report::gather`). Every
//! figure is counted in one place, [`assemble`], so the page, the workbook
//! and the JSON show the same numbers.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};

use crate::registration::ListKind;
use crate::review::ApplicationState;

/// The programme's first fiscal year: operation began in 令和2年 (seed 000,
/// 「令和2年5月に設置…本制度の運用を開始」), i.e. FY2020.
pub const FIRST_FY: i32 = 2020;

/// The Japanese fiscal year (年度) of a day: 1 April to 31 March, named by
/// the calendar year in which it starts (31 March 2026 → FY2025,
/// 1 April 2026 → FY2026).
pub fn fiscal_year(day: NaiveDate) -> i32 {
    if day.month() >= 4 {
        day.year()
    } else {
        day.year() - 1
    }
}

/// 1 April of `fy`.
pub fn fy_start(fy: i32) -> NaiveDate {
    NaiveDate::from_ymd_opt(fy, 4, 1).expect("1 April exists")
}

/// 31 March of the following calendar year.
pub fn fy_end(fy: i32) -> NaiveDate {
    NaiveDate::from_ymd_opt(fy + 1, 3, 31).expect("31 March exists")
}

/// The Reiwa year of the fiscal year's first day (令和N年度): FY2019 is
/// 令和元年度 (1), FY2026 令和8年度.
pub fn reiwa_year(fy: i32) -> i32 {
    fy - 2018
}

/// The day a fiscal year's figures are taken on: its last day, or `today`
/// while it runs.
pub fn report_day(fy: i32, today: NaiveDate) -> NaiveDate {
    fy_end(fy).min(today)
}

/// Whether `day` falls in `fy`.
pub fn in_fy(day: NaiveDate, fy: i32) -> bool {
    fiscal_year(day) == fy
}

/// Why a requested fiscal year is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FyError {
    /// Not a whole number (e.g. `abc`, `2026.5`).
    NotANumber,
    /// Before the programme began ([`FIRST_FY`]).
    BeforeProgramme,
    /// After the fiscal year running today.
    Future,
}

/// Reads a requested fiscal year (`2026`); `None` or empty means the
/// fiscal year running on `today`.
pub fn parse_fy(text: Option<&str>, today: NaiveDate) -> Result<i32, FyError> {
    let current = fiscal_year(today);
    let text = match text.map(str::trim) {
        None | Some("") => return Ok(current),
        Some(t) => t,
    };
    if text.len() > 6 || !text.chars().all(|c| c.is_ascii_digit()) {
        return Err(FyError::NotANumber);
    }
    let fy: i32 = text.parse().map_err(|_| FyError::NotANumber)?;
    if fy < FIRST_FY {
        Err(FyError::BeforeProgramme)
    } else if fy > current {
        Err(FyError::Future)
    } else {
        Ok(fy)
    }
}

/// The fiscal years a report can be asked for, newest first.
pub fn available_fys(today: NaiveDate) -> Vec<i32> {
    (FIRST_FY..=fiscal_year(today).max(FIRST_FY))
        .rev()
        .collect()
}

/// The `p`-th percentile (0 < p ≤ 100) by the **nearest-rank** method: the
/// smallest value such that at least p % of the values are at or below it
/// (rank ⌈p/100 × n⌉ of the sorted values). Always one of the values, so a
/// number of whole days stays whole. `None` for no values.
pub fn percentile(values: &[i64], p: u32) -> Option<i64> {
    if values.is_empty() || p == 0 || p > 100 {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    let n = sorted.len() as u64;
    // ⌈p × n / 100⌉ in integers.
    let rank = (u64::from(p) * n).div_ceil(100).max(1);
    sorted.get(usize::try_from(rank - 1).ok()?).copied()
}

/// The median as the 50th percentile by nearest rank (with an even number
/// of values, the lower of the two middle values).
pub fn median(values: &[i64]) -> Option<i64> {
    percentile(values, 50)
}

// ---------------------------------------------------------------------
// Raw rows, as the store reads them (days already in Japan time).

/// One registration row.
#[derive(Clone, Debug, PartialEq)]
pub struct RawRegistration {
    pub id: i64,
    pub list: ListKind,
    /// IaaS, PaaS or SaaS as registered.
    pub model: String,
    pub registered_on: NaiveDate,
    pub valid_until: NaiveDate,
    pub renewal_of: Option<i64>,
    pub suspended_on: Option<NaiveDate>,
}

/// One application with its decision, if any.
#[derive(Clone, Debug, PartialEq)]
pub struct RawApplication {
    pub id: i64,
    pub list: ListKind,
    pub state: ApplicationState,
    pub submitted_on: NaiveDate,
    /// The registration it renews.
    pub renewal_of: Option<i64>,
    /// The first move to a final state (registered, rejected, withdrawn)
    /// and its day.
    pub ended: Option<(ApplicationState, NaiveDate)>,
}

/// One of IPA's questions.
#[derive(Clone, Debug, PartialEq)]
pub struct RawQuestion {
    pub asked_on: NaiveDate,
    pub due: NaiveDate,
    pub answered_on: Option<NaiveDate>,
}

/// One interim measure (暫定措置).
#[derive(Clone, Debug, PartialEq)]
pub struct RawInterim {
    pub created_on: NaiveDate,
    pub deadline: NaiveDate,
    /// Its state now: open, applied, reported, closed.
    pub state: String,
    pub closed_on: Option<NaiveDate>,
}

/// A row counted by its state: created on `on`, in `state` now.
#[derive(Clone, Debug, PartialEq)]
pub struct RawStateRow {
    pub on: NaiveDate,
    pub state: String,
}

/// Every row the report is made from.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RawReport {
    pub registrations: Vec<RawRegistration>,
    pub applications: Vec<RawApplication>,
    pub questions: Vec<RawQuestion>,
    pub interim: Vec<RawInterim>,
    pub pre_applications: Vec<RawStateRow>,
    /// Impact assessments by the day requested.
    pub assessments: Vec<RawStateRow>,
    /// Days on which assessments were approved.
    pub assessments_approved: Vec<NaiveDate>,
    /// Doubts (疑義): `None` while the portal has no such table.
    pub doubts: Option<Vec<RawStateRow>>,
    /// Inquiries (調査): `None` while the portal has no such table.
    pub inquiries: Option<Vec<RawStateRow>>,
}

// ---------------------------------------------------------------------
// The report.

/// The states of interim measures, pre-applications and assessments in the
/// order the report lists them (machine names).
pub const INTERIM_STATES: [&str; 4] = ["open", "applied", "reported", "closed"];
pub const PRE_APPLICATION_STATES: [&str; 4] = ["submitted", "accepted", "returned", "withdrawn"];
pub const ASSESSMENT_STATES: [&str; 4] = ["requested", "submitted", "returned", "approved"];
/// Doubts (疑義, migration 0017): submitted → referred → answered → closed.
pub const DOUBT_STATES: [&str; 5] = [
    "submitted",
    "referred_ipa",
    "referred_committee",
    "answered",
    "closed",
];
/// Inquiries (調査, migration 0017): open → answered → closed.
pub const INQUIRY_STATES: [&str; 3] = ["open", "answered", "closed"];

/// Registrations of one list and service model.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RegistrationFigures {
    pub list: Option<ListKind>,
    pub model: String,
    /// First registrations (not renewals) registered in the FY.
    pub new: usize,
    /// Renewals registered in the FY.
    pub renewed: usize,
    /// In force on the report day.
    pub in_force: usize,
    /// Validity ended in the FY (by the report day) with no renewal
    /// registered and none under review.
    pub expired: usize,
    /// Suspended in the FY.
    pub suspended: usize,
}

/// Applications submitted in the FY, by their state now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StateCount {
    pub state: String,
    pub count: usize,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Decisions {
    pub registered: usize,
    pub rejected: usize,
    pub withdrawn: usize,
}

/// Days from submission to decision (register or reject) of the decisions
/// made in the FY.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Durations {
    pub count: usize,
    pub median_days: Option<i64>,
    pub p90_days: Option<i64>,
    pub max_days: Option<i64>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct QuestionFigures {
    /// Asked in the FY.
    pub asked: usize,
    /// Of those, answered by the report day.
    pub answered: usize,
    /// Of those answered, answered after their due date.
    pub answered_late: usize,
    /// Of those asked, not answered by the report day.
    pub open: usize,
    /// Of the open ones, past their due date on the report day.
    pub open_overdue: usize,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InterimFigures {
    /// Told to the secretariat in the FY.
    pub notified: usize,
    /// Not closed on the report day.
    pub open: usize,
    /// Of the open ones: still waiting (open/applied) with the deadline
    /// before the report day.
    pub overdue: usize,
    /// Of the open ones: reported to the secretariat (state now).
    pub reported: usize,
    /// Closed in the FY.
    pub closed: usize,
}

/// One month of the FY: applications submitted and decided.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MonthFigures {
    /// The month's first day.
    pub month: NaiveDate,
    pub submitted: usize,
    pub decided: usize,
}

/// Registrations in force at the report day of one FY.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FyInForce {
    pub fy: i32,
    pub ismap: usize,
    pub liu: usize,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OperationsReport {
    pub fy: i32,
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub report_day: NaiveDate,
    /// The FY is still running (figures as of today).
    pub running: bool,
    /// One row per list and model (ISMAP IaaS/PaaS/SaaS, LIU IaaS/PaaS/SaaS,
    /// then any other model found), then one total per list.
    pub registrations: Vec<RegistrationFigures>,
    /// Applications submitted in the FY by state now: (state, ISMAP, LIU).
    pub applications: Vec<(ApplicationState, usize, usize)>,
    pub submitted: usize,
    pub decisions: Decisions,
    pub durations: Durations,
    pub questions: QuestionFigures,
    pub interim: InterimFigures,
    pub pre_applications: Vec<StateCount>,
    pub assessments: Vec<StateCount>,
    pub assessments_approved: usize,
    pub doubts: Option<Vec<StateCount>>,
    pub inquiries: Option<Vec<StateCount>>,
    pub months: Vec<MonthFigures>,
    /// In force at each FY's report day, from [`FIRST_FY`] to today's FY.
    pub trend: Vec<FyInForce>,
}

/// Whether a registration is in force on `day`: registered by then, not
/// suspended, not yet succeeded by its renewal, and within its validity or
/// past it while a renewal application is under review (spec §6, the
/// rule of `registration::status_on` applied to the day).
pub fn in_force_on(r: &RawRegistration, raw: &RawReport, day: NaiveDate) -> bool {
    if r.registered_on > day || r.suspended_on.is_some_and(|s| s <= day) {
        return false;
    }
    let succeeded = raw
        .registrations
        .iter()
        .any(|s| s.renewal_of == Some(r.id) && s.registered_on <= day);
    if succeeded {
        return false;
    }
    day <= r.valid_until || renewal_under_review(r.id, raw, day)
}

fn renewal_under_review(registration: i64, raw: &RawReport, day: NaiveDate) -> bool {
    raw.applications.iter().any(|a| {
        a.renewal_of == Some(registration)
            && a.submitted_on <= day
            && a.ended.is_none_or(|(_, on)| on > day)
    })
}

fn state_counts(rows: &[RawStateRow], fy: i32, states: &[&str]) -> Vec<StateCount> {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for row in rows.iter().filter(|r| in_fy(r.on, fy)) {
        *counts.entry(row.state.as_str()).or_default() += 1;
    }
    let mut out: Vec<StateCount> = states
        .iter()
        .map(|s| StateCount {
            state: (*s).to_owned(),
            count: counts.remove(s).unwrap_or(0),
        })
        .collect();
    // States the report does not know yet are still counted, by name.
    out.extend(counts.into_iter().map(|(state, count)| StateCount {
        state: state.to_owned(),
        count,
    }));
    out
}

const MODELS: [&str; 3] = ["IaaS", "PaaS", "SaaS"];

/// The report of fiscal year `fy` as of `today`.
pub fn assemble(raw: &RawReport, fy: i32, today: NaiveDate) -> OperationsReport {
    let start = fy_start(fy);
    let end = fy_end(fy);
    let day = report_day(fy, today);
    let within = |d: NaiveDate| start <= d && d <= day;

    // Registrations by list and model.
    let mut keys: Vec<(ListKind, String)> = Vec::new();
    for list in ListKind::ALL {
        for model in MODELS {
            keys.push((list, model.to_owned()));
        }
    }
    for r in &raw.registrations {
        if !keys.iter().any(|(l, m)| *l == r.list && *m == r.model) {
            keys.push((r.list, r.model.clone()));
        }
    }
    let mut registrations: Vec<RegistrationFigures> = keys
        .iter()
        .map(|(list, model)| {
            let mut f = RegistrationFigures {
                list: Some(*list),
                model: model.clone(),
                ..RegistrationFigures::default()
            };
            for r in raw
                .registrations
                .iter()
                .filter(|r| r.list == *list && r.model == *model)
            {
                if within(r.registered_on) {
                    if r.renewal_of.is_some() {
                        f.renewed += 1;
                    } else {
                        f.new += 1;
                    }
                }
                let in_force = in_force_on(r, raw, day);
                if in_force {
                    f.in_force += 1;
                }
                if r.suspended_on.is_some_and(within) {
                    f.suspended += 1;
                }
                let lapsed_on = r.valid_until.succ_opt().unwrap_or(r.valid_until);
                let renewed_by_then = raw
                    .registrations
                    .iter()
                    .any(|s| s.renewal_of == Some(r.id) && s.registered_on <= day);
                if within(lapsed_on)
                    && !in_force
                    && !renewed_by_then
                    && r.suspended_on.is_none_or(|s| s > day)
                {
                    f.expired += 1;
                }
            }
            f
        })
        .collect();
    for list in ListKind::ALL {
        let mut total = RegistrationFigures {
            list: Some(list),
            model: String::new(),
            ..RegistrationFigures::default()
        };
        for f in registrations.iter().filter(|f| f.list == Some(list)) {
            total.new += f.new;
            total.renewed += f.renewed;
            total.in_force += f.in_force;
            total.expired += f.expired;
            total.suspended += f.suspended;
        }
        registrations.push(total);
    }

    // Applications.
    let submitted_in: Vec<&RawApplication> = raw
        .applications
        .iter()
        .filter(|a| within(a.submitted_on))
        .collect();
    let applications = ApplicationState::ALL
        .into_iter()
        .map(|state| {
            let of = |list| {
                submitted_in
                    .iter()
                    .filter(|a| a.state == state && a.list == list)
                    .count()
            };
            (state, of(ListKind::Ismap), of(ListKind::Liu))
        })
        .collect();
    let mut decisions = Decisions::default();
    let mut durations_days = Vec::new();
    for a in &raw.applications {
        let Some((outcome, on)) = a.ended else {
            continue;
        };
        if !within(on) {
            continue;
        }
        match outcome {
            ApplicationState::Registered => decisions.registered += 1,
            ApplicationState::Rejected => decisions.rejected += 1,
            ApplicationState::Withdrawn => decisions.withdrawn += 1,
            _ => continue,
        }
        if outcome != ApplicationState::Withdrawn {
            durations_days.push((on - a.submitted_on).num_days());
        }
    }
    let durations = Durations {
        count: durations_days.len(),
        median_days: median(&durations_days),
        p90_days: percentile(&durations_days, 90),
        max_days: durations_days.iter().max().copied(),
    };

    // Questions.
    let mut questions = QuestionFigures::default();
    for q in raw.questions.iter().filter(|q| within(q.asked_on)) {
        questions.asked += 1;
        match q.answered_on.filter(|a| *a <= day) {
            Some(answered) => {
                questions.answered += 1;
                if answered > q.due {
                    questions.answered_late += 1;
                }
            }
            None => {
                questions.open += 1;
                if q.due < day {
                    questions.open_overdue += 1;
                }
            }
        }
    }

    // Interim measures.
    let mut interim = InterimFigures::default();
    for m in &raw.interim {
        if within(m.created_on) {
            interim.notified += 1;
        }
        if m.closed_on.is_some_and(within) {
            interim.closed += 1;
        }
        let open = m.created_on <= day && m.closed_on.is_none_or(|c| c > day);
        if open {
            interim.open += 1;
            if matches!(m.state.as_str(), "open" | "applied") && m.deadline < day {
                interim.overdue += 1;
            }
            if m.state == "reported" {
                interim.reported += 1;
            }
        }
    }

    // Months.
    let months = (0..12)
        .map(|i| {
            let month = start
                .checked_add_months(chrono::Months::new(i))
                .expect("a month of the FY");
            let same = |d: NaiveDate| d.year() == month.year() && d.month() == month.month();
            MonthFigures {
                month,
                submitted: raw
                    .applications
                    .iter()
                    .filter(|a| same(a.submitted_on) && a.submitted_on <= day)
                    .count(),
                decided: raw
                    .applications
                    .iter()
                    .filter(|a| {
                        a.ended.is_some_and(|(s, on)| {
                            s != ApplicationState::Withdrawn && same(on) && on <= day
                        })
                    })
                    .count(),
            }
        })
        .collect();

    let trend = (FIRST_FY..=fiscal_year(today).max(FIRST_FY))
        .map(|year| {
            let d = report_day(year, today);
            let count = |list| {
                raw.registrations
                    .iter()
                    .filter(|r| r.list == list && in_force_on(r, raw, d))
                    .count()
            };
            FyInForce {
                fy: year,
                ismap: count(ListKind::Ismap),
                liu: count(ListKind::Liu),
            }
        })
        .collect();

    let within_rows = |rows: &[RawStateRow]| -> Vec<RawStateRow> {
        rows.iter().filter(|r| r.on <= day).cloned().collect()
    };
    OperationsReport {
        fy,
        start,
        end,
        report_day: day,
        running: today < end,
        registrations,
        applications,
        submitted: submitted_in.len(),
        decisions,
        durations,
        questions,
        interim,
        pre_applications: state_counts(
            &within_rows(&raw.pre_applications),
            fy,
            &PRE_APPLICATION_STATES,
        ),
        assessments: state_counts(&within_rows(&raw.assessments), fy, &ASSESSMENT_STATES),
        assessments_approved: raw
            .assessments_approved
            .iter()
            .filter(|d| within(**d))
            .count(),
        doubts: raw
            .doubts
            .as_ref()
            .map(|rows| state_counts(&within_rows(rows), fy, &DOUBT_STATES)),
        inquiries: raw
            .inquiries
            .as_ref()
            .map(|rows| state_counts(&within_rows(rows), fy, &INQUIRY_STATES)),
        months,
        trend,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    #[test]
    fn the_fiscal_year_turns_on_the_first_of_april() {
        assert_eq!(fiscal_year(d("2026-03-31")), 2025);
        assert_eq!(fiscal_year(d("2026-04-01")), 2026);
        assert_eq!(fiscal_year(d("2027-03-31")), 2026);
        assert_eq!(fiscal_year(d("2026-12-31")), 2026);
        assert_eq!(fiscal_year(d("2027-01-01")), 2026);
        assert_eq!(fy_start(2026), d("2026-04-01"));
        assert_eq!(fy_end(2026), d("2027-03-31"));
        assert_eq!(reiwa_year(2026), 8);
        assert_eq!(reiwa_year(2020), 2);
        assert!(in_fy(d("2027-03-31"), 2026));
        assert!(!in_fy(d("2027-04-01"), 2026));
        assert!(!in_fy(d("2026-03-31"), 2026));
    }

    #[test]
    fn the_report_day_is_the_end_or_today() {
        assert_eq!(report_day(2025, d("2026-12-01")), d("2026-03-31"));
        assert_eq!(report_day(2026, d("2026-12-01")), d("2026-12-01"));
        assert_eq!(report_day(2025, d("2026-03-31")), d("2026-03-31"));
    }

    #[test]
    fn requested_years_are_checked() {
        let today = d("2026-12-01");
        assert_eq!(parse_fy(None, today), Ok(2026));
        assert_eq!(parse_fy(Some(""), today), Ok(2026));
        assert_eq!(parse_fy(Some("2020"), today), Ok(2020));
        assert_eq!(parse_fy(Some(" 2025 "), today), Ok(2025));
        assert_eq!(parse_fy(Some("2019"), today), Err(FyError::BeforeProgramme));
        assert_eq!(parse_fy(Some("2027"), today), Err(FyError::Future));
        assert_eq!(parse_fy(Some("abc"), today), Err(FyError::NotANumber));
        assert_eq!(parse_fy(Some("-2026"), today), Err(FyError::NotANumber));
        assert_eq!(
            parse_fy(Some("99999999999"), today),
            Err(FyError::NotANumber)
        );
        // On 31 March the running year is still the old one.
        assert_eq!(
            parse_fy(Some("2026"), d("2026-03-31")),
            Err(FyError::Future)
        );
        assert_eq!(parse_fy(Some("2026"), d("2026-04-01")), Ok(2026));
        assert_eq!(available_fys(d("2026-04-01")).first(), Some(&2026));
        assert_eq!(available_fys(d("2026-04-01")).last(), Some(&2020));
        assert_eq!(available_fys(d("2026-03-31")).len(), 6);
    }

    #[test]
    fn percentiles_by_nearest_rank() {
        assert_eq!(percentile(&[], 50), None);
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[7]), Some(7));
        assert_eq!(percentile(&[7], 90), Some(7));
        assert_eq!(median(&[3, 1]), Some(1), "the lower middle value");
        assert_eq!(median(&[5, 1, 3]), Some(3));
        let ten: Vec<i64> = (1..=10).rev().collect();
        assert_eq!(percentile(&ten, 90), Some(9));
        assert_eq!(percentile(&ten, 100), Some(10));
        assert_eq!(percentile(&ten, 10), Some(1));
        let eleven: Vec<i64> = (1..=11).collect();
        assert_eq!(percentile(&eleven, 90), Some(10), "rank ⌈9.9⌉ = 10");
        assert_eq!(median(&eleven), Some(6));
        assert_eq!(percentile(&ten, 0), None);
        assert_eq!(percentile(&ten, 101), None);
    }

    fn registration(id: i64, on: &str, until: &str) -> RawRegistration {
        RawRegistration {
            id,
            list: ListKind::Ismap,
            model: "IaaS".into(),
            registered_on: d(on),
            valid_until: d(until),
            renewal_of: None,
            suspended_on: None,
        }
    }

    #[test]
    fn registrations_are_counted_on_the_report_day() {
        let mut renewal = registration(2, "2026-05-10", "2027-06-30");
        renewal.renewal_of = Some(1);
        let mut suspended = registration(4, "2024-01-10", "2027-01-31");
        suspended.suspended_on = Some(d("2025-06-01"));
        let raw = RawReport {
            registrations: vec![
                registration(1, "2025-03-31", "2026-06-30"),
                renewal,
                registration(3, "2025-04-01", "2026-02-28"),
                suspended,
            ],
            ..RawReport::default()
        };
        let fy2024 = assemble(&raw, 2024, d("2026-12-01"));
        let iaas = &fy2024.registrations[0];
        assert_eq!((iaas.new, iaas.in_force), (1, 2), "31 March is FY2024");
        let fy2025 = assemble(&raw, 2025, d("2026-12-01"));
        let iaas = &fy2025.registrations[0];
        assert_eq!(iaas.new, 1, "1 April is FY2025");
        assert_eq!(iaas.suspended, 1);
        assert_eq!(iaas.expired, 1, "registration 3 ended on 28 February");
        assert_eq!(iaas.in_force, 1, "registration 1 only");
        let fy2026 = assemble(&raw, 2026, d("2026-12-01"));
        let iaas = &fy2026.registrations[0];
        assert_eq!((iaas.new, iaas.renewed, iaas.in_force), (0, 1, 1));
        assert_eq!(iaas.expired, 0, "renewed, not expired");
        let total = fy2026
            .registrations
            .iter()
            .find(|f| f.list == Some(ListKind::Ismap) && f.model.is_empty())
            .unwrap();
        assert_eq!(total.renewed, 1);
        assert_eq!(
            fy2026.trend.iter().map(|t| t.ismap).collect::<Vec<_>>(),
            vec![0, 0, 0, 1, 2, 1, 1]
        );
    }

    #[test]
    fn a_renewal_under_review_keeps_a_registration_in_force() {
        let raw = RawReport {
            registrations: vec![registration(1, "2024-05-01", "2026-04-30")],
            applications: vec![RawApplication {
                id: 9,
                list: ListKind::Ismap,
                state: ApplicationState::TechnicalReview,
                submitted_on: d("2026-03-01"),
                renewal_of: Some(1),
                ended: None,
            }],
            ..RawReport::default()
        };
        let report = assemble(&raw, 2026, d("2026-12-01"));
        assert_eq!(report.registrations[0].in_force, 1);
        assert_eq!(report.registrations[0].expired, 0);
    }

    #[test]
    fn decisions_and_durations_of_the_year() {
        let app = |id, submitted: &str, ended: Option<(ApplicationState, &str)>| RawApplication {
            id,
            list: ListKind::Ismap,
            state: ended.map_or(ApplicationState::Submitted, |(s, _)| s),
            submitted_on: d(submitted),
            renewal_of: None,
            ended: ended.map(|(s, on)| (s, d(on))),
        };
        let raw = RawReport {
            applications: vec![
                app(
                    1,
                    "2026-04-01",
                    Some((ApplicationState::Registered, "2026-04-11")),
                ),
                app(
                    2,
                    "2026-03-01",
                    Some((ApplicationState::Rejected, "2026-05-01")),
                ),
                app(
                    3,
                    "2026-05-01",
                    Some((ApplicationState::Withdrawn, "2026-05-02")),
                ),
                app(4, "2026-06-01", None),
                app(
                    5,
                    "2025-06-01",
                    Some((ApplicationState::Registered, "2026-03-31")),
                ),
            ],
            ..RawReport::default()
        };
        let r = assemble(&raw, 2026, d("2026-12-01"));
        assert_eq!(r.submitted, 3);
        assert_eq!(
            r.decisions,
            Decisions {
                registered: 1,
                rejected: 1,
                withdrawn: 1
            }
        );
        assert_eq!(r.durations.count, 2);
        assert_eq!(r.durations.median_days, Some(10));
        assert_eq!(r.durations.p90_days, Some(61));
        assert_eq!(r.months[0].submitted, 1);
        assert_eq!(r.months[0].decided, 1);
        assert_eq!(r.months[1].decided, 1, "the withdrawal is no decision");
        assert_eq!(r.months.len(), 12);
        assert_eq!(r.months[11].month, d("2027-03-01"));
    }

    #[test]
    fn questions_and_interim_measures() {
        let raw = RawReport {
            questions: vec![
                RawQuestion {
                    asked_on: d("2026-05-01"),
                    due: d("2026-05-15"),
                    answered_on: Some(d("2026-05-20")),
                },
                RawQuestion {
                    asked_on: d("2026-05-01"),
                    due: d("2026-05-15"),
                    answered_on: Some(d("2026-05-10")),
                },
                RawQuestion {
                    asked_on: d("2026-06-01"),
                    due: d("2026-06-15"),
                    answered_on: None,
                },
            ],
            interim: vec![
                RawInterim {
                    created_on: d("2026-04-02"),
                    deadline: d("2026-11-30"),
                    state: "open".into(),
                    closed_on: None,
                },
                RawInterim {
                    created_on: d("2025-04-02"),
                    deadline: d("2027-11-30"),
                    state: "closed".into(),
                    closed_on: Some(d("2026-04-01")),
                },
            ],
            ..RawReport::default()
        };
        let r = assemble(&raw, 2026, d("2026-12-01"));
        assert_eq!(
            r.questions,
            QuestionFigures {
                asked: 3,
                answered: 2,
                answered_late: 1,
                open: 1,
                open_overdue: 1
            }
        );
        assert_eq!(
            r.interim,
            InterimFigures {
                notified: 1,
                open: 1,
                overdue: 1,
                reported: 0,
                closed: 1
            }
        );
        let before = assemble(&raw, 2025, d("2026-12-01"));
        assert_eq!(before.interim.open, 1, "open on 31 March 2026");
        assert_eq!(before.interim.closed, 0);
    }
}
