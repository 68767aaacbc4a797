//! A provider's internal audit records (内部監査) in YAML or JSON, for the
//! ISMAP-LIU coverage check (spec §7.4; `ismap liu coverage`):
//!
//! ```yaml
//! internal_audits:
//!   - date: 2025-06-30
//!     objectives: ["5.1.1", "9.2.3"]
//! ```
//!
//! Other fields are allowed, at the top level and in each audit (a provider
//! keeps its own records there). Every unusable date or objective is
//! reported with file, line and field, and nothing is read then.

use chrono::NaiveDate;
use ismap_domain::Catalog;
use ismap_domain::liu::{InternalAudit, parse_objective};
use serde::Deserialize;

use crate::source::{SourceError, SourceProblem};
use crate::yaml::{self, Spanned, place};

/// The most audits a file may hold.
pub const MAX_AUDITS: usize = 10_000;

/// The most objectives one audit may name (the standard has 121; repeats
/// are allowed, so the bound is generous).
pub const MAX_OBJECTIVES_PER_AUDIT: usize = 5_000;

#[derive(Debug, Deserialize)]
struct RawFile {
    #[serde(default)]
    internal_audits: Option<Spanned<Vec<Spanned<RawAudit>>>>,
}

#[derive(Debug, Deserialize)]
struct RawAudit {
    #[serde(default)]
    date: Option<Spanned<String>>,
    #[serde(default)]
    objectives: Option<Spanned<Vec<Spanned<String>>>>,
}

/// Reads the internal audits in `text` (file `file`), checking every
/// objective against `catalog`.
pub fn parse_internal_audits(
    file: &str,
    text: &str,
    catalog: &Catalog,
) -> Result<Vec<InternalAudit>, SourceError> {
    if text.trim().is_empty() {
        return Err(SourceError::whole_file(
            file,
            "the file is empty; write `internal_audits:` with a list of audits",
        ));
    }
    let raw: RawFile = yaml::parse(file, text)?;
    let problem = |(line, column): (u32, u32), field: String, message: String| SourceProblem {
        file: file.to_owned(),
        line,
        column,
        field,
        message,
    };
    let Some(list) = raw.internal_audits else {
        return Err(SourceError::single(problem(
            (1, 1),
            "internal_audits".into(),
            "missing: write `internal_audits:` with a list of audits, each with `date` and `objectives`".into(),
        )));
    };
    if list.value.len() > MAX_AUDITS {
        return Err(SourceError::single(problem(
            place(&list),
            "internal_audits".into(),
            format!("{} audits; at most {MAX_AUDITS} are read", list.value.len()),
        )));
    }
    let mut problems = Vec::new();
    let mut audits = Vec::new();
    for (i, audit) in list.value.into_iter().enumerate() {
        let audit_place = place(&audit);
        let audit = audit.value;
        let date = match &audit.date {
            None => {
                problems.push(problem(
                    audit_place,
                    format!("internal_audits[{i}].date"),
                    "missing: write the audit's date as YYYY-MM-DD".into(),
                ));
                None
            }
            Some(date) => match NaiveDate::parse_from_str(date.value.trim(), "%Y-%m-%d") {
                Ok(day) => Some(day),
                Err(_) => {
                    problems.push(problem(
                        place(date),
                        format!("internal_audits[{i}].date"),
                        format!(
                            "{:?} is not a date; write YYYY-MM-DD, e.g. 2025-06-30",
                            date.value
                        ),
                    ));
                    None
                }
            },
        };
        let Some(objectives) = &audit.objectives else {
            problems.push(problem(
                audit_place,
                format!("internal_audits[{i}].objectives"),
                "missing: list the control objectives the audit covered, e.g. [\"5.1.1\", \"9.2.3\"]"
                    .into(),
            ));
            continue;
        };
        if objectives.value.len() > MAX_OBJECTIVES_PER_AUDIT {
            problems.push(problem(
                place(objectives),
                format!("internal_audits[{i}].objectives"),
                format!(
                    "{} objectives; at most {MAX_OBJECTIVES_PER_AUDIT} are read per audit",
                    objectives.value.len()
                ),
            ));
            continue;
        }
        let mut ids = Vec::new();
        for (j, objective) in objectives.value.iter().enumerate() {
            match parse_objective(catalog, &objective.value) {
                Ok(id) => ids.push(id),
                Err(error) => problems.push(problem(
                    place(objective),
                    format!("internal_audits[{i}].objectives[{j}]"),
                    error.to_string(),
                )),
            }
        }
        if let Some(date) = date {
            audits.push(InternalAudit {
                date,
                objectives: ids,
            });
        }
    }
    if !problems.is_empty() {
        problems.sort_by_key(|p| (p.line, p.column));
        return Err(SourceError::new(problems));
    }
    Ok(audits)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ismap_domain::synthetic::full_size_catalog;

    #[test]
    fn yaml_and_json_read_the_same_audits() {
        let catalog = full_size_catalog();
        let yaml = "service: example\ninternal_audits:\n  - date: 2025-06-30\n    auditor: 内部監査室\n    objectives: [\"5.1.1\", 9.1.1]\n";
        let audits = parse_internal_audits("a.yaml", yaml, &catalog).unwrap();
        assert_eq!(audits.len(), 1);
        assert_eq!(
            audits[0].date,
            NaiveDate::from_ymd_opt(2025, 6, 30).unwrap()
        );
        assert_eq!(audits[0].objectives.len(), 2);
        let json = r#"{"internal_audits": [{"date": "2025-06-30", "objectives": ["5.1.1", "9.1.1"], "findings": []}]}"#;
        assert_eq!(
            parse_internal_audits("a.json", json, &catalog).unwrap(),
            audits
        );
    }

    #[test]
    fn every_problem_names_its_line_and_field() {
        let catalog = full_size_catalog();
        let text = "internal_audits:\n  - date: 2025-13-01\n    objectives: [\"5.1.1\"]\n  - date: 2025-06-30\n    objectives:\n      - \"5.1.1\"\n      - \"18.9.9\"\n      - \"five\"\n";
        let error = parse_internal_audits("a.yaml", text, &catalog).unwrap_err();
        let places: Vec<(u32, &str)> = error
            .problems
            .iter()
            .map(|p| (p.line, p.field.as_str()))
            .collect();
        assert_eq!(
            places,
            [
                (2, "internal_audits[0].date"),
                (7, "internal_audits[1].objectives[1]"),
                (8, "internal_audits[1].objectives[2]"),
            ],
            "{error}"
        );
        assert!(error.to_string().contains("a.yaml:7:"), "{error}");
        let error = parse_internal_audits("a.yaml", "audits: []\n", &catalog).unwrap_err();
        assert!(error.to_string().contains("internal_audits"), "{error}");
        assert!(parse_internal_audits("a.yaml", "", &catalog).is_err());
        assert!(parse_internal_audits("a.yaml", "internal_audits: [", &catalog).is_err());
    }

    #[test]
    fn deep_nesting_is_refused_by_the_limit() {
        let catalog = full_size_catalog();
        let text = format!(
            "internal_audits: [{{date: 2025-01-01, objectives: [], x: {}{}}}]",
            "[".repeat(1000),
            "]".repeat(1000)
        );
        let error = parse_internal_audits("deep.yaml", &text, &catalog).unwrap_err();
        assert!(error.limit.is_some(), "{error}");
    }
}
