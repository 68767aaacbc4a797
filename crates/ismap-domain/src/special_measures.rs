//! The special measures service list (特別措置サービスリスト, spec §7.5,
//! seed 001 「ISMAP-LIU登録促進のための特別措置」): the Digital Agency lists
//! SaaS services whose ISMAP-LIU pre-application documents reached IPA
//! through the ISMAP portal by the end of March 2025 (令和7年3月末), or
//! that applied for registration by then, with the exemptions granted
//! (parts of the submissions, parts of the external audit) and the period.
//!
//! What comes from the seed: the deadline, the two qualifying events, the
//! two kinds of exemption, that the list is shared with government bodies
//! only. What is this system's own choice (and says so where shown): the
//! field lengths, that an exemption is a kind chosen plus a description of
//! the parts exempted, that the period is given by start and end days.

use chrono::NaiveDate;

/// The last day a qualifying event counts (seed 001: 令和7年（2025年）3月末
/// までに … 提出すること).
pub fn deadline() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 3, 31).expect("a calendar day")
}

/// Longest service or provider name, in characters (this system's bound).
pub const MAX_NAME_CHARS: usize = 200;
/// Longest description of an exemption or note, in characters (this
/// system's bound).
pub const MAX_TEXT_CHARS: usize = 2000;
/// Longest reason for ending an entry, in characters (this system's bound).
pub const MAX_REASON_CHARS: usize = 1000;

/// What made the service eligible (seed 001).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum QualifyingEvent {
    /// The LIU pre-application documents reached IPA through the portal
    /// (事前申請に関する提出書類の提出).
    PreApplication,
    /// The service applied for ISMAP-LIU registration (登録申請, chapter 8
    /// of the LIU registration rules).
    Application,
}

impl QualifyingEvent {
    pub const ALL: [QualifyingEvent; 2] = [
        QualifyingEvent::PreApplication,
        QualifyingEvent::Application,
    ];

    pub fn key(self) -> &'static str {
        match self {
            QualifyingEvent::PreApplication => "pre_application",
            QualifyingEvent::Application => "application",
        }
    }

    pub fn from_key(key: &str) -> Option<QualifyingEvent> {
        QualifyingEvent::ALL.into_iter().find(|e| e.key() == key)
    }
}

/// The exemptions granted: for each kind (seed 001: 提出物の一部,
/// 外部監査の対象の一部), `Some(description of the parts exempted)` when
/// granted. Neither granted is allowed: being on the list is itself what
/// lets agencies find the service.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Exemptions {
    pub submissions: Option<String>,
    pub external_audit: Option<String>,
}

/// An entry, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewEntry {
    pub service_name: String,
    pub provider: String,
    pub event: QualifyingEvent,
    pub event_date: NaiveDate,
    pub exemptions: Exemptions,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub note: String,
}

/// An entry as typed (a form, a CSV row): text everywhere, so that what
/// was typed can be shown back with the errors next to it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RawEntry {
    pub service_name: String,
    pub provider: String,
    pub event: String,
    pub event_date: String,
    pub submissions_exempt: bool,
    pub submissions_detail: String,
    pub audit_exempt: bool,
    pub audit_detail: String,
    pub period_start: String,
    pub period_end: String,
    pub note: String,
}

/// The fields of an entry, as forms and CSV columns name them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Field {
    ServiceName,
    Provider,
    Event,
    EventDate,
    SubmissionsExempt,
    SubmissionsDetail,
    AuditExempt,
    AuditDetail,
    PeriodStart,
    PeriodEnd,
    Note,
}

impl Field {
    pub const ALL: [Field; 11] = [
        Field::ServiceName,
        Field::Provider,
        Field::Event,
        Field::EventDate,
        Field::SubmissionsExempt,
        Field::SubmissionsDetail,
        Field::AuditExempt,
        Field::AuditDetail,
        Field::PeriodStart,
        Field::PeriodEnd,
        Field::Note,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Field::ServiceName => "service_name",
            Field::Provider => "provider",
            Field::Event => "event",
            Field::EventDate => "event_date",
            Field::SubmissionsExempt => "submissions_exempt",
            Field::SubmissionsDetail => "submissions_detail",
            Field::AuditExempt => "audit_exempt",
            Field::AuditDetail => "audit_detail",
            Field::PeriodStart => "period_start",
            Field::PeriodEnd => "period_end",
            Field::Note => "note",
        }
    }

    pub fn from_key(key: &str) -> Option<Field> {
        Field::ALL.into_iter().find(|f| f.key() == key)
    }
}

/// Why a field cannot be used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    #[error("required")]
    Required,
    #[error("longer than {max} characters")]
    TooLong { max: usize },
    #[error("contains control characters")]
    ControlCharacter,
    #[error("{value:?} is not a date (YYYY-MM-DD)")]
    NotADate { value: String },
    #[error("{value:?} is not one of pre_application, application")]
    UnknownEvent { value: String },
    #[error("{date} is after the deadline {deadline}")]
    AfterDeadline {
        date: NaiveDate,
        deadline: NaiveDate,
    },
    #[error("the period ends ({end}) before it starts ({start})")]
    EndsBeforeStart { start: NaiveDate, end: NaiveDate },
    #[error("a description is given but the exemption is not chosen")]
    DetailWithoutExemption,
}

/// A field that cannot be used and why.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}: {problem}", field.key())]
pub struct FieldError {
    pub field: Field,
    pub problem: Problem,
}

impl crate::Localized for FieldError {
    fn message_id(&self) -> &'static str {
        match self.problem {
            Problem::Required => "special-error-required",
            Problem::TooLong { .. } => "special-error-too-long",
            Problem::ControlCharacter => "special-error-control",
            Problem::NotADate { .. } => "special-error-not-a-date",
            Problem::UnknownEvent { .. } => "special-error-unknown-event",
            Problem::AfterDeadline { .. } => "special-error-after-deadline",
            Problem::EndsBeforeStart { .. } => "special-error-ends-before-start",
            Problem::DetailWithoutExemption => "special-error-detail-without-exemption",
        }
    }

    fn message_args(&self) -> Vec<(&'static str, String)> {
        match &self.problem {
            Problem::Required | Problem::ControlCharacter | Problem::DetailWithoutExemption => {
                vec![]
            }
            Problem::TooLong { max } => vec![("max", max.to_string())],
            Problem::NotADate { value } | Problem::UnknownEvent { value } => {
                vec![("value", value.clone())]
            }
            // `date` and `latest` are shown as days in the reader's language.
            Problem::AfterDeadline { date, deadline } => {
                vec![("date", date.to_string()), ("latest", deadline.to_string())]
            }
            Problem::EndsBeforeStart { start, end } => {
                vec![("start", start.to_string()), ("end", end.to_string())]
            }
        }
    }
}

impl From<crate::input::TextProblem> for Problem {
    fn from(p: crate::input::TextProblem) -> Problem {
        match p {
            crate::input::TextProblem::Required => Problem::Required,
            crate::input::TextProblem::TooLong { max } => Problem::TooLong { max },
            crate::input::TextProblem::ControlCharacter => Problem::ControlCharacter,
        }
    }
}

/// Text of at most `max` characters without control characters (line
/// breaks and tabs allowed only where `multiline`).
fn text(
    field: Field,
    value: &str,
    max: usize,
    required: bool,
    multiline: bool,
    errors: &mut Vec<FieldError>,
) -> String {
    let value = value.trim();
    if let Some(problem) = crate::input::text_problem(value, max, required, multiline) {
        errors.push(FieldError {
            field,
            problem: problem.into(),
        });
    }
    value.to_owned()
}

fn date(field: Field, value: &str, errors: &mut Vec<FieldError>) -> Option<NaiveDate> {
    let value = value.trim();
    if value.is_empty() {
        errors.push(FieldError {
            field,
            problem: Problem::Required,
        });
        return None;
    }
    match value.parse::<NaiveDate>() {
        Ok(d) => Some(d),
        Err(_) => {
            errors.push(FieldError {
                field,
                problem: Problem::NotADate {
                    value: value.chars().take(40).collect(),
                },
            });
            None
        }
    }
}

/// The qualifying event must have happened by the deadline (seed 001).
pub fn check_qualifying_date(date: NaiveDate) -> Result<(), Problem> {
    if date > deadline() {
        Err(Problem::AfterDeadline {
            date,
            deadline: deadline(),
        })
    } else {
        Ok(())
    }
}

/// The period the measures apply: the end is not before the start.
pub fn check_period(start: NaiveDate, end: NaiveDate) -> Result<(), Problem> {
    if end < start {
        Err(Problem::EndsBeforeStart { start, end })
    } else {
        Ok(())
    }
}

/// Checks an entry as typed: every problem, each naming its field (a
/// form shows each next to its field, an import names its column).
pub fn parse(raw: &RawEntry) -> Result<NewEntry, Vec<FieldError>> {
    let mut errors = Vec::new();
    let service_name = text(
        Field::ServiceName,
        &raw.service_name,
        MAX_NAME_CHARS,
        true,
        false,
        &mut errors,
    );
    let provider = text(
        Field::Provider,
        &raw.provider,
        MAX_NAME_CHARS,
        true,
        false,
        &mut errors,
    );
    let event = match raw.event.trim() {
        "" => {
            errors.push(FieldError {
                field: Field::Event,
                problem: Problem::Required,
            });
            None
        }
        key => {
            let event = QualifyingEvent::from_key(key);
            if event.is_none() {
                errors.push(FieldError {
                    field: Field::Event,
                    problem: Problem::UnknownEvent {
                        value: key.chars().take(40).collect(),
                    },
                });
            }
            event
        }
    };
    let event_date = date(Field::EventDate, &raw.event_date, &mut errors);
    if let Some(d) = event_date
        && let Err(problem) = check_qualifying_date(d)
    {
        errors.push(FieldError {
            field: Field::EventDate,
            problem,
        });
    }
    let mut exemption = |chosen: bool, detail: &str, chosen_field: Field, detail_field: Field| {
        let detail = text(
            detail_field,
            detail,
            MAX_TEXT_CHARS,
            chosen,
            true,
            &mut errors,
        );
        if !chosen && !detail.is_empty() {
            errors.push(FieldError {
                field: chosen_field,
                problem: Problem::DetailWithoutExemption,
            });
        }
        chosen.then_some(detail)
    };
    let exemptions = Exemptions {
        submissions: exemption(
            raw.submissions_exempt,
            &raw.submissions_detail,
            Field::SubmissionsExempt,
            Field::SubmissionsDetail,
        ),
        external_audit: exemption(
            raw.audit_exempt,
            &raw.audit_detail,
            Field::AuditExempt,
            Field::AuditDetail,
        ),
    };
    let period_start = date(Field::PeriodStart, &raw.period_start, &mut errors);
    let period_end = date(Field::PeriodEnd, &raw.period_end, &mut errors);
    if let (Some(start), Some(end)) = (period_start, period_end)
        && let Err(problem) = check_period(start, end)
    {
        errors.push(FieldError {
            field: Field::PeriodEnd,
            problem,
        });
    }
    let note = text(
        Field::Note,
        &raw.note,
        MAX_TEXT_CHARS,
        false,
        true,
        &mut errors,
    );
    match (event, event_date, period_start, period_end) {
        (Some(event), Some(event_date), Some(period_start), Some(period_end))
            if errors.is_empty() =>
        {
            Ok(NewEntry {
                service_name,
                provider,
                event,
                event_date,
                exemptions,
                period_start,
                period_end,
                note,
            })
        }
        _ => Err(errors),
    }
}

/// Checks the reason given for ending an entry.
pub fn parse_reason(reason: &str) -> Result<String, Problem> {
    let mut errors = Vec::new();
    let reason = text(
        Field::Note,
        reason,
        MAX_REASON_CHARS,
        true,
        true,
        &mut errors,
    );
    match errors.pop() {
        Some(e) => Err(e.problem),
        None => Ok(reason),
    }
}

/// Names compared the way people mean them: width and case folded (ＳａａＳ
/// = saas), spaces and the usual company-form marks dropped, so that an
/// agency checking a listed SaaS finds the special-measures entry typed a
/// little differently. This system's matching rule, not an official one.
pub fn same_name(a: &str, b: &str) -> bool {
    let fold = |s: &str| -> String {
        s.chars()
            .map(|c| match c {
                // Full-width ASCII to ASCII.
                '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
                _ => c,
            })
            .flat_map(char::to_lowercase)
            .filter(|c| !c.is_whitespace() && !matches!(c, '・' | '.' | ','))
            .collect::<String>()
            .replace("株式会社", "")
            .replace("(株)", "")
            .replace("（株）", "")
    };
    let (a, b) = (fold(a), fold(b));
    !a.is_empty() && a == b
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    fn good() -> RawEntry {
        RawEntry {
            service_name: "サンプル勤怠".into(),
            provider: "株式会社サンプル".into(),
            event: "pre_application".into(),
            event_date: "2025-03-31".into(),
            submissions_exempt: true,
            submissions_detail: "内部監査報告書の提出".into(),
            audit_exempt: false,
            audit_detail: String::new(),
            period_start: "2025-04-01".into(),
            period_end: "2026-03-31".into(),
            note: String::new(),
        }
    }

    fn problems(raw: &RawEntry) -> Vec<(Field, Problem)> {
        parse(raw)
            .unwrap_err()
            .into_iter()
            .map(|e| (e.field, e.problem))
            .collect()
    }

    #[test]
    fn the_deadline_is_the_end_of_march_2025() {
        assert_eq!(deadline(), day("2025-03-31"));
        assert!(check_qualifying_date(day("2025-03-31")).is_ok());
        assert!(check_qualifying_date(day("2024-10-01")).is_ok());
        assert_eq!(
            check_qualifying_date(day("2025-04-01")),
            Err(Problem::AfterDeadline {
                date: day("2025-04-01"),
                deadline: day("2025-03-31")
            })
        );
    }

    #[test]
    fn an_entry_on_the_deadline_is_taken() {
        let entry = parse(&good()).unwrap();
        assert_eq!(entry.event, QualifyingEvent::PreApplication);
        assert_eq!(entry.event_date, day("2025-03-31"));
        assert_eq!(
            entry.exemptions.submissions.as_deref(),
            Some("内部監査報告書の提出")
        );
        assert_eq!(entry.exemptions.external_audit, None);
        let applied = RawEntry {
            event: "application".into(),
            ..good()
        };
        assert_eq!(parse(&applied).unwrap().event, QualifyingEvent::Application);
    }

    #[test]
    fn an_event_after_the_deadline_is_refused_on_its_field() {
        let late = RawEntry {
            event_date: "2025-04-01".into(),
            ..good()
        };
        assert_eq!(
            problems(&late),
            vec![(
                Field::EventDate,
                Problem::AfterDeadline {
                    date: day("2025-04-01"),
                    deadline: deadline()
                }
            )]
        );
    }

    #[test]
    fn the_period_cannot_end_before_it_starts() {
        let same_day = RawEntry {
            period_end: "2025-04-01".into(),
            ..good()
        };
        assert!(parse(&same_day).is_ok());
        let reversed = RawEntry {
            period_end: "2025-03-31".into(),
            ..good()
        };
        assert_eq!(
            problems(&reversed),
            vec![(
                Field::PeriodEnd,
                Problem::EndsBeforeStart {
                    start: day("2025-04-01"),
                    end: day("2025-03-31")
                }
            )]
        );
    }

    #[test]
    fn every_problem_is_named_at_once() {
        let bad = RawEntry {
            service_name: " ".into(),
            provider: "x".repeat(MAX_NAME_CHARS + 1),
            event: "registered".into(),
            event_date: "31/03/2025".into(),
            submissions_exempt: true,
            submissions_detail: String::new(),
            audit_exempt: false,
            audit_detail: "監査の一部".into(),
            period_start: String::new(),
            period_end: "2026-03-31".into(),
            note: "a\u{0}b".into(),
        };
        let fields: Vec<Field> = problems(&bad).into_iter().map(|(f, _)| f).collect();
        assert_eq!(
            fields,
            vec![
                Field::ServiceName,
                Field::Provider,
                Field::Event,
                Field::EventDate,
                Field::SubmissionsDetail,
                Field::AuditExempt,
                Field::PeriodStart,
                Field::Note,
            ]
        );
    }

    #[test]
    fn lengths_are_bounded_at_their_limit() {
        let longest = RawEntry {
            service_name: "あ".repeat(MAX_NAME_CHARS),
            note: "い".repeat(MAX_TEXT_CHARS),
            ..good()
        };
        assert!(parse(&longest).is_ok());
        let note_too_long = RawEntry {
            note: "い".repeat(MAX_TEXT_CHARS + 1),
            ..good()
        };
        assert_eq!(
            problems(&note_too_long),
            vec![(
                Field::Note,
                Problem::TooLong {
                    max: MAX_TEXT_CHARS
                }
            )]
        );
        // Line breaks belong in descriptions, not in names.
        let multiline = RawEntry {
            submissions_detail: "一\n二".into(),
            ..good()
        };
        assert!(parse(&multiline).is_ok());
        let name_break = RawEntry {
            service_name: "一\n二".into(),
            ..good()
        };
        assert_eq!(
            problems(&name_break),
            vec![(Field::ServiceName, Problem::ControlCharacter)]
        );
    }

    #[test]
    fn a_reason_is_required_and_bounded() {
        assert_eq!(parse_reason("  "), Err(Problem::Required));
        assert_eq!(
            parse_reason(&"x".repeat(MAX_REASON_CHARS + 1)),
            Err(Problem::TooLong {
                max: MAX_REASON_CHARS
            })
        );
        assert_eq!(parse_reason(" 登録済み ").unwrap(), "登録済み");
    }

    #[test]
    fn names_match_across_width_case_and_company_marks() {
        assert!(same_name("サンプル勤怠 SaaS", "サンプル勤怠ＳａａＳ"));
        assert!(same_name("株式会社サンプル", "サンプル"));
        assert!(!same_name("サンプル勤怠", "サンプル会計"));
        assert!(!same_name("", ""));
    }

    #[test]
    fn messages_have_ids_and_days() {
        use crate::Localized;
        let e = FieldError {
            field: Field::EventDate,
            problem: Problem::AfterDeadline {
                date: day("2025-04-01"),
                deadline: deadline(),
            },
        };
        assert_eq!(e.message_id(), "special-error-after-deadline");
        assert_eq!(
            e.message_args(),
            vec![
                ("date", "2025-04-01".to_owned()),
                ("latest", "2025-03-31".to_owned())
            ]
        );
        for key in ["pre_application", "application"] {
            assert_eq!(QualifyingEvent::from_key(key).unwrap().key(), key);
        }
        for f in Field::ALL {
            assert_eq!(Field::from_key(f.key()), Some(f));
        }
    }
}
