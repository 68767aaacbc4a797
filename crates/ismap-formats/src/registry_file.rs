//! The registry file for `--registry`: CSV with header
//! `registration_number,service_name,valid_from,valid_until`, or the same
//! fields as a JSON array of objects.

use chrono::NaiveDate;
use ismap_domain::{Registration, RegistrationNumber, Registry};
use serde::Deserialize;

use crate::source::{SourceError, SourceProblem};
use crate::yaml::{self, Spanned, place};

const COLUMNS: [&str; 4] = [
    "registration_number",
    "service_name",
    "valid_from",
    "valid_until",
];

/// One row as written, before checking.
struct Row {
    line: u32,
    field_prefix: String,
    values: [String; 4],
}

/// Reads a registry; JSON when the text starts with `[`, else CSV.
pub fn parse_registry(file: &str, text: &str) -> Result<Registry, SourceError> {
    let rows = if text.trim_start().starts_with('[') {
        json_rows(file, text)?
    } else {
        csv_rows(file, text)?
    };
    let mut problems = Vec::new();
    let mut registry = Registry::default();
    for row in rows {
        let mut problem = |column: usize, message: String| {
            problems.push(SourceProblem {
                file: file.to_owned(),
                line: row.line,
                column: 0,
                field: format!("{}{}", row.field_prefix, COLUMNS[column]),
                message,
            })
        };
        let [number, name, from, until] = &row.values;
        let number = match number.trim().parse::<RegistrationNumber>() {
            Ok(n) => Some(n),
            Err(error) => {
                problem(0, error.to_string());
                None
            }
        };
        if name.trim().is_empty() {
            problem(1, "the service name is empty".into());
        }
        let mut date = |column: usize, value: &str| {
            NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d")
                .map_err(|_| problem(column, format!("{value:?} is not a date; write YYYY-MM-DD")))
                .ok()
        };
        let (from, until) = (date(2, from), date(3, until));
        let (Some(number), Some(from), Some(until)) = (number, from, until) else {
            continue;
        };
        if from > until {
            problem(
                3,
                format!("valid_until {until} is before valid_from {from}"),
            );
            continue;
        }
        let registration = Registration {
            number: number.clone(),
            service_name: name.trim().to_owned(),
            valid_from: from,
            valid_until: until,
            // The file lists what is valid; suspensions are the portal's.
            suspended: false,
            renewal_pending: false,
        };
        if registry.insert(registration).is_some() {
            problem(0, format!("{number} is listed twice"));
        }
    }
    if problems.is_empty() {
        Ok(registry)
    } else {
        Err(SourceError::new(problems))
    }
}

fn csv_rows(file: &str, text: &str) -> Result<Vec<Row>, SourceError> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| SourceError::whole_file(file, e.to_string()))?
        .clone();
    let positions: Vec<Option<usize>> = COLUMNS
        .iter()
        .map(|c| headers.iter().position(|h| h == *c))
        .collect();
    if positions.iter().any(Option::is_none) {
        return Err(SourceError::single(SourceProblem {
            file: file.to_owned(),
            line: 1,
            column: 1,
            field: "header".into(),
            message: format!(
                "the header must name the columns {}; found {}",
                COLUMNS.join(","),
                headers.iter().collect::<Vec<_>>().join(",")
            ),
        }));
    }
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line() as u32);
            SourceError::single(SourceProblem {
                file: file.to_owned(),
                line,
                column: 0,
                field: String::new(),
                message: e.to_string(),
            })
        })?;
        let line = record.position().map_or(0, |p| p.line() as u32);
        let value = |i: usize| {
            positions[i]
                .and_then(|p| record.get(p))
                .unwrap_or_default()
                .to_owned()
        };
        rows.push(Row {
            line,
            field_prefix: String::new(),
            values: [value(0), value(1), value(2), value(3)],
        });
    }
    Ok(rows)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonRow {
    registration_number: String,
    service_name: String,
    valid_from: String,
    valid_until: String,
}

fn json_rows(file: &str, text: &str) -> Result<Vec<Row>, SourceError> {
    let raw: Vec<Spanned<JsonRow>> = yaml::parse(file, text)?;
    Ok(raw
        .into_iter()
        .enumerate()
        .map(|(i, row)| Row {
            line: place(&row).0,
            field_prefix: format!("[{i}]."),
            values: [
                row.value.registration_number,
                row.value.service_name,
                row.value.valid_from,
                row.value.valid_until,
            ],
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_csv_and_json_alike() {
        let csv = "registration_number,service_name,valid_from,valid_until\nC21-0008-2,Example IaaS,2025-08-01,2026-11-30\n";
        let json = r#"[{"registration_number": "C21-0008-2", "service_name": "Example IaaS",
                        "valid_from": "2025-08-01", "valid_until": "2026-11-30"}]"#;
        for (file, text) in [("r.csv", csv), ("r.json", json)] {
            let registry = parse_registry(file, text).unwrap();
            let entry = registry.get(&"C21-0008-2".parse().unwrap()).unwrap();
            assert_eq!(entry.valid_until.to_string(), "2026-11-30", "{file}");
        }
    }

    #[test]
    fn bad_rows_are_named_by_line_and_column() {
        let csv = "registration_number,service_name,valid_from,valid_until\n\
                   C21-0008-2,IaaS,2025-08-01,2026-11-30\n\
                   X-1,IaaS,2025-08-01,2026-13-01\n\
                   C21-0008-2,IaaS again,2025-08-01,2026-11-30\n";
        let error = parse_registry("r.csv", csv).unwrap_err();
        let got: Vec<(u32, &str)> = error
            .problems
            .iter()
            .map(|p| (p.line, p.field.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                (3, "registration_number"),
                (3, "valid_until"),
                (4, "registration_number")
            ],
            "{error}"
        );
        let error = parse_registry("r.csv", "number,name\n").unwrap_err();
        assert!(error.to_string().contains("registration_number"), "{error}");
    }
}
