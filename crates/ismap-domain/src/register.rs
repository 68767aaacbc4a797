//! The cloud usage register (クラウド利用台帳, issue 15): each agency's
//! cloud services in use or planned, and how the agency stands for each
//! (seed 000 §1 原則利用: procure registered services; otherwise the CISO's
//! confirmation or an interim measure).
//!
//! What comes from the seed and the spec: the information recorded (the
//! information system, the service or, when unregistered, the service and
//! its provider named, the purpose, the highest confidentiality level of
//! the information, the start of use, the status). What is this system's
//! own choice: the field lengths, the date bounds, and that an entry in use
//! or ended cannot start in the future (a planned one may start any day).

use chrono::{Datelike, NaiveDate};

/// Longest system, service or provider name, in characters (this system).
pub const MAX_NAME_CHARS: usize = 200;
/// Longest purpose or note, in characters (this system).
pub const MAX_TEXT_CHARS: usize = 2000;
/// The earliest start of use accepted (this system: before the cloud
/// policy of 2018 anything earlier is a typo).
pub const EARLIEST_START_YEAR: i32 = 2000;
/// How many years ahead a planned start may lie (this system).
pub const MAX_YEARS_AHEAD: i32 = 10;

/// Where the entry stands in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Status {
    /// 利用予定.
    Planned,
    /// 利用中.
    InUse,
    /// 利用終了.
    Ended,
}

impl Status {
    pub const ALL: [Status; 3] = [Status::Planned, Status::InUse, Status::Ended];

    pub fn key(self) -> &'static str {
        match self {
            Status::Planned => "planned",
            Status::InUse => "in_use",
            Status::Ended => "ended",
        }
    }

    pub fn japanese(self) -> &'static str {
        match self {
            Status::Planned => "利用予定",
            Status::InUse => "利用中",
            Status::Ended => "利用終了",
        }
    }

    pub fn english(self) -> &'static str {
        match self {
            Status::Planned => "Planned",
            Status::InUse => "In use",
            Status::Ended => "Ended",
        }
    }

    /// The key, or the Japanese or English word (as files write it).
    pub fn from_key(text: &str) -> Option<Status> {
        let text = text.trim();
        Status::ALL.into_iter().find(|s| {
            s.key() == text || s.japanese() == text || s.english().eq_ignore_ascii_case(text)
        })
    }
}

/// How the agency stands for the service (migration 0014 `path`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Path {
    /// 未対応: nothing decided yet.
    Undecided,
    /// 登録済み: a procurement check found it procurable from a list (valid
    /// on it; for ISMAP-LIU only, with the agency's approved assessment).
    Registered,
    /// CISO確認.
    CisoConfirmed,
    /// 暫定措置.
    Interim,
}

impl Path {
    pub const ALL: [Path; 4] = [
        Path::Registered,
        Path::CisoConfirmed,
        Path::Interim,
        Path::Undecided,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Path::Undecided => "undecided",
            Path::Registered => "registered",
            Path::CisoConfirmed => "ciso_confirmed",
            Path::Interim => "interim",
        }
    }

    pub fn from_key(key: &str) -> Option<Path> {
        Path::ALL.into_iter().find(|p| p.key() == key.trim())
    }
}

/// A field of an entry, as forms and files name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Field {
    SystemName,
    ServiceId,
    ServiceName,
    ProviderName,
    Purpose,
    Confidentiality,
    StartOfUse,
    Status,
    Note,
}

impl Field {
    pub const ALL: [Field; 9] = [
        Field::SystemName,
        Field::ServiceId,
        Field::ServiceName,
        Field::ProviderName,
        Field::Purpose,
        Field::Confidentiality,
        Field::StartOfUse,
        Field::Status,
        Field::Note,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Field::SystemName => "system_name",
            Field::ServiceId => "service_id",
            Field::ServiceName => "service_name",
            Field::ProviderName => "provider_name",
            Field::Purpose => "purpose",
            Field::Confidentiality => "confidentiality",
            Field::StartOfUse => "start_of_use",
            Field::Status => "status",
            Field::Note => "note",
        }
    }

    pub fn from_key(key: &str) -> Option<Field> {
        Field::ALL
            .into_iter()
            .find(|f| f.key().eq_ignore_ascii_case(key.trim()))
    }
}

/// A portal service an entry may name: registered on a list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KnownService {
    pub id: i64,
    pub name: String,
    pub provider: String,
}

/// An entry as typed (a form or a file row): every value text.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RawEntry {
    pub system_name: String,
    /// The portal service's id, or empty for an unregistered service.
    pub service_id: String,
    pub service_name: String,
    pub provider_name: String,
    pub purpose: String,
    pub confidentiality: String,
    pub start_of_use: String,
    pub status: String,
    pub note: String,
}

/// An entry that can be stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntryInput {
    pub system_name: String,
    /// The portal's service, when one was picked.
    pub service_id: Option<i64>,
    /// The service's name: the portal's when picked, else as typed.
    pub service_name: String,
    pub provider_name: String,
    pub purpose: String,
    /// 機密性 1–3.
    pub confidentiality: u8,
    pub start_of_use: NaiveDate,
    pub status: Status,
    pub note: String,
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
    #[error("{value:?} is not a confidentiality level 1, 2 or 3")]
    NotALevel { value: String },
    #[error("{value:?} is not one of planned, in_use, ended")]
    UnknownStatus { value: String },
    #[error("{value:?} is not a registered service of the portal")]
    UnknownService { value: String },
    #[error("{date} is outside {earliest}..{latest}")]
    OutOfRange {
        date: NaiveDate,
        earliest: NaiveDate,
        latest: NaiveDate,
    },
    #[error("a service in use or ended cannot start in the future ({date})")]
    StartsInTheFuture { date: NaiveDate },
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
            Problem::Required => "register-error-required",
            Problem::TooLong { .. } => "register-error-too-long",
            Problem::ControlCharacter => "register-error-control",
            Problem::NotADate { .. } => "register-error-not-a-date",
            Problem::NotALevel { .. } => "register-error-level",
            Problem::UnknownStatus { .. } => "register-error-status",
            Problem::UnknownService { .. } => "register-error-service",
            Problem::OutOfRange { .. } => "register-error-date-range",
            Problem::StartsInTheFuture { .. } => "register-error-future-start",
        }
    }

    fn message_args(&self) -> Vec<(&'static str, String)> {
        match &self.problem {
            Problem::Required | Problem::ControlCharacter => vec![],
            Problem::TooLong { max } => vec![("max", max.to_string())],
            Problem::NotADate { value }
            | Problem::NotALevel { value }
            | Problem::UnknownStatus { value }
            | Problem::UnknownService { value } => vec![("value", value.clone())],
            Problem::OutOfRange {
                date,
                earliest,
                latest,
            } => vec![
                ("date", date.to_string()),
                ("earliest", earliest.to_string()),
                ("latest", latest.to_string()),
            ],
            Problem::StartsInTheFuture { date } => vec![("date", date.to_string())],
        }
    }
}

fn clip(value: &str) -> String {
    value.chars().take(40).collect()
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

/// The confidentiality level: `1`–`3`, also written `機密性2` or `Level 2`.
pub fn parse_level(text: &str) -> Option<u8> {
    let text = text.trim();
    let digits = text
        .strip_prefix("機密性")
        .or_else(|| {
            text.get(..5)
                .filter(|p| p.eq_ignore_ascii_case("level"))
                .map(|_| &text[5..])
        })
        .unwrap_or(text)
        .trim();
    // Spreadsheets may give "2.0" for a number cell.
    let digits = digits.strip_suffix(".0").unwrap_or(digits);
    let digits: String = digits
        .chars()
        .map(|c| match c {
            '１' => '1',
            '２' => '2',
            '３' => '3',
            c => c,
        })
        .collect();
    match digits.as_str() {
        "1" => Some(1),
        "2" => Some(2),
        "3" => Some(3),
        _ => None,
    }
}

/// The accepted range of starts of use on `today`.
pub fn start_range(today: NaiveDate) -> (NaiveDate, NaiveDate) {
    let earliest = NaiveDate::from_ymd_opt(EARLIEST_START_YEAR, 1, 1).expect("a day");
    let latest = NaiveDate::from_ymd_opt(today.year() + MAX_YEARS_AHEAD, 12, 31).expect("a day");
    (earliest, latest)
}

/// Status and start of use agree: an entry in use or ended has started
/// (this system); a planned one may start on any day in range.
pub fn check_start(status: Status, start: NaiveDate, today: NaiveDate) -> Result<(), Problem> {
    let (earliest, latest) = start_range(today);
    if start < earliest || start > latest {
        return Err(Problem::OutOfRange {
            date: start,
            earliest,
            latest,
        });
    }
    if status != Status::Planned && start > today {
        return Err(Problem::StartsInTheFuture { date: start });
    }
    Ok(())
}

/// Checks an entry as typed on `today`: every problem, each naming its
/// field. A service id must be one of `known` (its names are then the
/// portal's); without one, the service and its provider are required.
pub fn parse(
    raw: &RawEntry,
    known: &[KnownService],
    today: NaiveDate,
) -> Result<EntryInput, Vec<FieldError>> {
    let mut errors = Vec::new();
    let system_name = text(
        Field::SystemName,
        &raw.system_name,
        MAX_NAME_CHARS,
        true,
        false,
        &mut errors,
    );
    let picked = match raw.service_id.trim() {
        "" => None,
        id => {
            let id_text = id.strip_suffix(".0").unwrap_or(id);
            match id_text
                .parse::<i64>()
                .ok()
                .and_then(|n| known.iter().find(|k| k.id == n))
            {
                Some(k) => Some(k.clone()),
                None => {
                    errors.push(FieldError {
                        field: Field::ServiceId,
                        problem: Problem::UnknownService { value: clip(id) },
                    });
                    None
                }
            }
        }
    };
    let named = picked.is_none();
    let typed_service = text(
        Field::ServiceName,
        &raw.service_name,
        MAX_NAME_CHARS,
        named && raw.service_id.trim().is_empty(),
        false,
        &mut errors,
    );
    let typed_provider = text(
        Field::ProviderName,
        &raw.provider_name,
        MAX_NAME_CHARS,
        named && raw.service_id.trim().is_empty(),
        false,
        &mut errors,
    );
    let purpose = text(
        Field::Purpose,
        &raw.purpose,
        MAX_TEXT_CHARS,
        false,
        true,
        &mut errors,
    );
    let note = text(
        Field::Note,
        &raw.note,
        MAX_TEXT_CHARS,
        false,
        true,
        &mut errors,
    );
    let confidentiality = if raw.confidentiality.trim().is_empty() {
        errors.push(FieldError {
            field: Field::Confidentiality,
            problem: Problem::Required,
        });
        None
    } else {
        let level = parse_level(&raw.confidentiality);
        if level.is_none() {
            errors.push(FieldError {
                field: Field::Confidentiality,
                problem: Problem::NotALevel {
                    value: clip(raw.confidentiality.trim()),
                },
            });
        }
        level
    };
    let status = if raw.status.trim().is_empty() {
        errors.push(FieldError {
            field: Field::Status,
            problem: Problem::Required,
        });
        None
    } else {
        let status = Status::from_key(&raw.status);
        if status.is_none() {
            errors.push(FieldError {
                field: Field::Status,
                problem: Problem::UnknownStatus {
                    value: clip(raw.status.trim()),
                },
            });
        }
        status
    };
    let start = raw.start_of_use.trim();
    let start_of_use = if start.is_empty() {
        errors.push(FieldError {
            field: Field::StartOfUse,
            problem: Problem::Required,
        });
        None
    } else {
        // A spreadsheet may add a time to a date cell.
        let day = start.split(['T', ' ']).next().unwrap_or(start);
        match NaiveDate::parse_from_str(day, "%Y-%m-%d")
            .or_else(|_| NaiveDate::parse_from_str(day, "%Y/%m/%d"))
        {
            Ok(d) => Some(d),
            Err(_) => {
                errors.push(FieldError {
                    field: Field::StartOfUse,
                    problem: Problem::NotADate { value: clip(start) },
                });
                None
            }
        }
    };
    if let (Some(status), Some(start)) = (status, start_of_use)
        && let Err(problem) = check_start(status, start, today)
    {
        errors.push(FieldError {
            field: Field::StartOfUse,
            problem,
        });
    }
    match (confidentiality, status, start_of_use) {
        (Some(confidentiality), Some(status), Some(start_of_use)) if errors.is_empty() => {
            let (service_name, provider_name) = match &picked {
                Some(k) => (k.name.clone(), k.provider.clone()),
                None => (typed_service, typed_provider),
            };
            Ok(EntryInput {
                system_name,
                service_id: picked.map(|k| k.id),
                service_name,
                provider_name,
                purpose,
                confidentiality,
                start_of_use,
                status,
                note,
            })
        }
        _ => Err(errors),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Localized;

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    fn raw() -> RawEntry {
        RawEntry {
            system_name: "文書管理システム".into(),
            service_id: String::new(),
            service_name: "サンプルSaaS".into(),
            provider_name: "株式会社サンプル".into(),
            purpose: "文書の保管".into(),
            confidentiality: "2".into(),
            start_of_use: "2026-04-01".into(),
            status: "planned".into(),
            note: String::new(),
        }
    }

    fn known() -> Vec<KnownService> {
        vec![KnownService {
            id: 7,
            name: "サンプルIaaS".into(),
            provider: "サンプルIaaS株式会社".into(),
        }]
    }

    #[test]
    fn a_planned_unregistered_service_is_accepted() {
        let entry = parse(&raw(), &known(), day("2026-01-10")).unwrap();
        assert_eq!(entry.service_id, None);
        assert_eq!(entry.confidentiality, 2);
        assert_eq!(entry.status, Status::Planned);
        assert_eq!(entry.start_of_use, day("2026-04-01"));
    }

    #[test]
    fn a_portal_service_takes_the_portal_names() {
        let mut r = raw();
        r.service_id = "7".into();
        r.service_name = String::new();
        r.provider_name = String::new();
        let entry = parse(&r, &known(), day("2026-01-10")).unwrap();
        assert_eq!(entry.service_id, Some(7));
        assert_eq!(entry.service_name, "サンプルIaaS");
        r.service_id = "8".into();
        let errors = parse(&r, &known(), day("2026-01-10")).unwrap_err();
        assert_eq!(errors[0].field, Field::ServiceId);
    }

    #[test]
    fn every_problem_names_its_field() {
        let r = RawEntry {
            system_name: "x".repeat(201),
            confidentiality: "4".into(),
            start_of_use: "2026-02-30".into(),
            status: "使う".into(),
            ..RawEntry::default()
        };
        let errors = parse(&r, &known(), day("2026-01-10")).unwrap_err();
        let fields: Vec<Field> = errors.iter().map(|e| e.field).collect();
        for f in [
            Field::SystemName,
            Field::ServiceName,
            Field::ProviderName,
            Field::Confidentiality,
            Field::StartOfUse,
            Field::Status,
        ] {
            assert!(fields.contains(&f), "{f:?} in {errors:?}");
        }
        assert_eq!(errors[0].message_id(), "register-error-too-long");
    }

    #[test]
    fn in_use_cannot_start_in_the_future_but_planned_may() {
        let today = day("2026-01-10");
        assert_eq!(
            check_start(Status::InUse, day("2026-01-11"), today),
            Err(Problem::StartsInTheFuture {
                date: day("2026-01-11")
            })
        );
        assert!(check_start(Status::InUse, today, today).is_ok());
        assert!(check_start(Status::Ended, day("2026-01-11"), today).is_err());
        assert!(check_start(Status::Planned, day("2027-06-01"), today).is_ok());
        assert!(check_start(Status::Planned, day("1999-12-31"), today).is_err());
        assert!(check_start(Status::Planned, day("2037-01-01"), today).is_err());
    }

    #[test]
    fn levels_and_statuses_in_both_languages() {
        for (text, level) in [
            ("1", 1),
            ("機密性2", 2),
            ("Level 3", 3),
            ("３", 3),
            ("2.0", 2),
        ] {
            assert_eq!(parse_level(text), Some(level), "{text}");
        }
        assert_eq!(parse_level("0"), None);
        assert_eq!(Status::from_key("利用中"), Some(Status::InUse));
        assert_eq!(Status::from_key("in use"), Some(Status::InUse));
        assert_eq!(Status::from_key("ended"), Some(Status::Ended));
        assert_eq!(Path::from_key("ciso_confirmed"), Some(Path::CisoConfirmed));
    }
}
