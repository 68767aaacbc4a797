//! A statement as an Excel workbook a provider can circulate, and back.
//!
//! Sheets: 言明書 (the statement's fields, one per row), 管理策 (one row per
//! control, with the catalog's flags and title for reading), リスク (risks)
//! and 検証結果 (the validation findings, for reading only). Reading takes
//! the first three back; every value is written as text, so a workbook that
//! nobody edited reads back to the same statement (tested).

use calamine::{Data, Xlsx};
use ismap_domain::statement::{Evidence, Risk, RiskLevel};
use ismap_domain::{Catalog, ControlDecision, ControlId, Decision, ServiceModel, Statement};
use rust_xlsxwriter::{Format, Workbook, XlsxError};

use crate::report::Report;
use crate::source::{SourceError, SourceProblem};

const STATEMENT_SHEET: &str = "言明書";
const CONTROLS_SHEET: &str = "管理策";
const RISKS_SHEET: &str = "リスク";
const FINDINGS_SHEET: &str = "検証結果";

const CONTROL_COLUMNS: [&str; 9] = [
    "id",
    "flags",
    "title",
    "decision",
    "individual_control",
    "reason",
    "from",
    "confirmation",
    "evidence",
];
const RISK_COLUMNS: [&str; 7] = [
    "id",
    "title",
    "identification",
    "analysis",
    "evaluation",
    "treatment",
    "controls",
];

fn flags(catalog: Option<&Catalog>, id: &ControlId) -> String {
    let suffix = catalog
        .and_then(|c| c.get(id.number()))
        .map_or(id.suffix(), |c| c.id.suffix());
    suffix.as_str().to_owned()
}

/// Writes the workbook. `catalog` adds titles and flags for readers; the
/// report, when given, fills the findings sheet.
pub fn to_xlsx(
    statement: &Statement,
    catalog: Option<&Catalog>,
    report: Option<&Report<'_>>,
) -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    let bold = Format::new().set_bold();
    let wrap = Format::new().set_text_wrap();

    let sheet = workbook.add_worksheet().set_name(STATEMENT_SHEET)?;
    sheet.write_string_with_format(0, 0, "field", &bold)?;
    sheet.write_string_with_format(0, 1, "value", &bold)?;
    let s = &statement.service;
    let rows: Vec<(&str, String)> = vec![
        ("catalog", statement.catalog.clone()),
        (
            "catalog_version",
            statement.catalog_version.clone().unwrap_or_default(),
        ),
        (
            "date",
            statement.date.map(|d| d.to_string()).unwrap_or_default(),
        ),
        ("service.name", s.name.clone()),
        (
            "service.model",
            s.model.map(|m| m.key().to_owned()).unwrap_or_default(),
        ),
        (
            "service.deployment",
            s.deployment.clone().unwrap_or_default(),
        ),
        ("service.url", s.url.clone().unwrap_or_default()),
        ("service.scope", s.scope.clone()),
        ("service.underlying", s.underlying.join(", ")),
        ("service.zero_trust", s.zero_trust.to_string()),
    ];
    for (i, (field, value)) in rows.iter().enumerate() {
        let row = i as u32 + 1;
        sheet.write_string(row, 0, *field)?;
        crate::cells::write_text(sheet, row, 1, value, &wrap)?;
    }
    sheet.set_column_width(0, 22)?;
    sheet.set_column_width(1, 100)?;

    let sheet = workbook.add_worksheet().set_name(CONTROLS_SHEET)?;
    for (col, name) in CONTROL_COLUMNS.iter().enumerate() {
        sheet.write_string_with_format(0, col as u16, *name, &bold)?;
    }
    for (i, c) in statement.controls.values().enumerate() {
        let row = i as u32 + 1;
        let title = catalog
            .and_then(|cat| cat.get(c.id.number()))
            .map(|control| control.title.ja.clone())
            .unwrap_or_default();
        let evidence = if c.evidence.is_empty() {
            String::new()
        } else {
            serde_json::to_string(
                &c.evidence
                    .iter()
                    .map(|e| serde_json::json!({ "title": e.title, "reference": e.reference }))
                    .collect::<Vec<_>>(),
            )
            .expect("strings serialize")
        };
        let values = [
            c.id.to_string(),
            flags(catalog, &c.id),
            title,
            c.decision.map(|d| d.key().to_owned()).unwrap_or_default(),
            c.individual_control.clone().unwrap_or_default(),
            c.reason.clone().unwrap_or_default(),
            c.from.clone().unwrap_or_default(),
            c.confirmation.clone().unwrap_or_default(),
            evidence,
        ];
        for (col, value) in values.iter().enumerate() {
            crate::cells::write_text(sheet, row, col as u16, value, &wrap)?;
        }
    }
    for (col, width) in [14, 6, 30, 14, 60, 40, 14, 40, 30].into_iter().enumerate() {
        sheet.set_column_width(col as u16, width)?;
    }
    sheet.set_freeze_panes(1, 1)?;

    let sheet = workbook.add_worksheet().set_name(RISKS_SHEET)?;
    for (col, name) in RISK_COLUMNS.iter().enumerate() {
        sheet.write_string_with_format(0, col as u16, *name, &bold)?;
    }
    for (i, r) in statement.risks.iter().enumerate() {
        let row = i as u32 + 1;
        let values = [
            r.id.clone(),
            r.title.clone(),
            r.identification.clone(),
            r.analysis.clone(),
            r.evaluation.map(|l| l.key().to_owned()).unwrap_or_default(),
            r.treatment.clone().unwrap_or_default(),
            r.controls
                .iter()
                .map(|c| c.to_string())
                .collect::<Vec<_>>()
                .join(", "),
        ];
        for (col, value) in values.iter().enumerate() {
            crate::cells::write_text(sheet, row, col as u16, value, &wrap)?;
        }
    }

    let sheet = workbook.add_worksheet().set_name(FINDINGS_SHEET)?;
    for (col, name) in [
        "rule",
        "control",
        "severity",
        "line",
        "message (ja)",
        "message (en)",
    ]
    .iter()
    .enumerate()
    {
        sheet.write_string_with_format(0, col as u16, *name, &bold)?;
    }
    if let Some(report) = report {
        let messages = ismap_i18n::Messages::get();
        for (i, located) in report.findings.iter().enumerate() {
            let f = &located.finding;
            let text = messages.finding_both(f);
            let row = i as u32 + 1;
            sheet.write_string(row, 0, f.rule.as_str())?;
            sheet.write_string(row, 1, f.control.map(|c| c.to_string()).unwrap_or_default())?;
            sheet.write_string(row, 2, f.severity.as_str())?;
            sheet.write_string(row, 3, located.place.line.to_string())?;
            crate::cells::write_text(sheet, row, 4, &text.ja, &wrap)?;
            crate::cells::write_text(sheet, row, 5, &text.en, &wrap)?;
        }
    }
    workbook.save_to_buffer()
}

/// A cell as text, whatever Excel made of it.
fn cell_text(cell: Option<&Data>) -> String {
    match cell {
        None | Some(Data::Empty) => String::new(),
        Some(Data::String(s)) | Some(Data::DateTimeIso(s)) | Some(Data::DurationIso(s)) => {
            s.clone()
        }
        Some(Data::Int(i)) => i.to_string(),
        Some(Data::Float(f)) => f.to_string(),
        Some(Data::Bool(b)) => b.to_string(),
        // A date typed in Excel: the serial number counts days from 1899-12-30.
        Some(Data::DateTime(dt)) => chrono::NaiveDate::from_ymd_opt(1899, 12, 30)
            .and_then(|base| base.checked_add_days(chrono::Days::new(dt.as_f64() as u64)))
            .map(|d| d.to_string())
            .unwrap_or_default(),
        Some(Data::Error(e)) => format!("{e:?}"),
    }
}

/// A sheet read by absolute cell positions (calamine ranges start at the
/// first non-empty cell), with its columns found by their header names.
struct Sheet {
    range: calamine::Range<Data>,
    columns: Vec<(String, u32)>,
}

impl Sheet {
    fn new(range: calamine::Range<Data>, defaults: &[&str]) -> Sheet {
        let (_, last_column) = range.end().unwrap_or((0, 0));
        let mut columns: Vec<(String, u32)> = (0..=last_column)
            .filter_map(|col| {
                let name = cell_text(range.get_value((0, col)));
                (!name.is_empty()).then_some((name, col))
            })
            .collect();
        // A sheet without the header row: the columns as written.
        for (col, name) in defaults.iter().enumerate() {
            if !columns.iter().any(|(n, _)| n == name) {
                columns.push(((*name).to_owned(), col as u32));
            }
        }
        Sheet { range, columns }
    }

    /// Data rows, by absolute index (row 0 is the header).
    fn rows(&self) -> std::ops::RangeInclusive<u32> {
        1..=self.range.end().map_or(0, |(row, _)| row)
    }

    fn get(&self, row: u32, name: &str) -> String {
        let col = self
            .columns
            .iter()
            .find(|(n, _)| n == name)
            .map_or(u32::MAX, |(_, c)| *c);
        cell_text(self.range.get_value((row, col)))
    }
}

struct Problems<'a> {
    file: &'a str,
    list: Vec<SourceProblem>,
}

impl Problems<'_> {
    fn add(&mut self, sheet: &str, row: u32, column: &str, message: String) {
        self.list.push(SourceProblem {
            file: self.file.to_owned(),
            line: row + 1,
            column: 0,
            field: format!("{sheet}!{column}"),
            message,
        });
    }
}

fn optional(text: String) -> Option<String> {
    (!text.is_empty()).then_some(text)
}

/// Reads a workbook written by [`to_xlsx`] (and perhaps edited) back into a
/// statement. Every cell that cannot be used is reported with its sheet,
/// row and column, and nothing is returned then.
pub fn from_xlsx(file: &str, bytes: &[u8]) -> Result<Statement, SourceError> {
    from_xlsx_limited(file, bytes, crate::limits::DEFAULT_MAX_XLSX_UNZIPPED_BYTES)
}

/// [`from_xlsx`], the workbook's parts unzipping to at most `max_unzipped`
/// bytes in all.
pub fn from_xlsx_limited(
    file: &str,
    bytes: &[u8],
    max_unzipped: u64,
) -> Result<Statement, SourceError> {
    // As for catalogs (catalog_xlsx.rs): a panic of the spreadsheet library
    // on a malformed file is an error naming the file, never a crash.
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        read_workbook(file, bytes, max_unzipped)
    }))
    .unwrap_or_else(|_| {
        Err(SourceError::whole_file(
            file,
            "not a readable Excel workbook (.xlsx): the spreadsheet reader failed on its contents",
        ))
    })
}

fn read_workbook(file: &str, bytes: &[u8], max_unzipped: u64) -> Result<Statement, SourceError> {
    let mut workbook = crate::xlsx_in::open(file, bytes, max_unzipped)?;
    let mut problems = Problems {
        file,
        list: Vec::new(),
    };
    let mut statement = Statement::default();

    let sheet = |workbook: &mut Xlsx<_>, name: &str| crate::xlsx_in::sheet(workbook, file, name);

    let fields = Sheet::new(sheet(&mut workbook, STATEMENT_SHEET)?, &["field", "value"]);
    for i in fields.rows() {
        let field = fields.get(i, "field");
        let value = fields.get(i, "value");
        let s = &mut statement.service;
        match field.as_str() {
            "catalog" => statement.catalog = value,
            "catalog_version" => statement.catalog_version = optional(value),
            "date" => match value.as_str() {
                "" => {}
                text => match chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d") {
                    Ok(date) => statement.date = Some(date),
                    Err(_) => problems.add(
                        STATEMENT_SHEET,
                        i,
                        "value",
                        format!("date {text:?} is not YYYY-MM-DD"),
                    ),
                },
            },
            "service.name" => s.name = value,
            "service.model" => match value.as_str() {
                "" => {}
                text => match ServiceModel::from_key(text) {
                    Some(model) => s.model = Some(model),
                    None => problems.add(
                        STATEMENT_SHEET,
                        i,
                        "value",
                        format!("service model {text:?} is not IaaS, PaaS or SaaS"),
                    ),
                },
            },
            "service.deployment" => s.deployment = optional(value),
            "service.url" => s.url = optional(value),
            "service.scope" => s.scope = value,
            "service.underlying" => {
                s.underlying = value
                    .split(',')
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                    .map(str::to_owned)
                    .collect()
            }
            "service.zero_trust" => s.zero_trust = value == "true",
            "" => {}
            other => problems.add(
                STATEMENT_SHEET,
                i,
                "field",
                format!("unknown field {other:?}"),
            ),
        }
    }

    let controls = Sheet::new(sheet(&mut workbook, CONTROLS_SHEET)?, &CONTROL_COLUMNS);
    for i in controls.rows() {
        let get = |name: &str| controls.get(i, name);
        let id_text = get("id");
        if id_text.is_empty() {
            continue;
        }
        let id: ControlId = match id_text.parse() {
            Ok(id) => id,
            Err(e) => {
                problems.add(CONTROLS_SHEET, i, "id", format!("{id_text:?}: {e}"));
                continue;
            }
        };
        let decision = match get("decision").as_str() {
            "" | "~" => None,
            key => match Decision::from_key(key) {
                Some(d) => Some(d),
                None => {
                    problems.add(
                        CONTROLS_SHEET,
                        i,
                        "decision",
                        format!("unknown decision {key:?}"),
                    );
                    None
                }
            },
        };
        let mut entry = ControlDecision::new(id, decision);
        entry.individual_control = optional(get("individual_control"));
        entry.reason = optional(get("reason"));
        entry.from = optional(get("from"));
        entry.confirmation = optional(get("confirmation"));
        let evidence = get("evidence");
        if !evidence.is_empty() {
            match serde_json::from_str::<Vec<serde_json::Value>>(&evidence) {
                Ok(items) => {
                    entry.evidence = items
                        .iter()
                        .map(|e| Evidence {
                            title: e["title"].as_str().unwrap_or_default().to_owned(),
                            reference: e["reference"].as_str().unwrap_or_default().to_owned(),
                        })
                        .collect();
                }
                Err(e) => problems.add(
                    CONTROLS_SHEET,
                    i,
                    "evidence",
                    format!("not a list of {{title, reference}}: {e}"),
                ),
            }
        }
        if statement.controls.insert(id.number(), entry).is_some() {
            problems.add(CONTROLS_SHEET, i, "id", format!("{id} is listed twice"));
        }
    }

    let risks = Sheet::new(sheet(&mut workbook, RISKS_SHEET)?, &RISK_COLUMNS);
    for i in risks.rows() {
        let get = |name: &str| risks.get(i, name);
        let id = get("id");
        if id.is_empty() {
            continue;
        }
        let evaluation = match get("evaluation").as_str() {
            "" => None,
            text => {
                let level = RiskLevel::from_key(text);
                if level.is_none() {
                    problems.add(
                        RISKS_SHEET,
                        i,
                        "evaluation",
                        format!("{text:?} is not high, medium or low"),
                    );
                }
                level
            }
        };
        let mut controls = Vec::new();
        for text in get("controls")
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
        {
            match text.parse::<ControlId>() {
                Ok(c) => controls.push(c),
                Err(e) => problems.add(RISKS_SHEET, i, "controls", format!("{text:?}: {e}")),
            }
        }
        statement.risks.push(Risk {
            id,
            title: get("title"),
            identification: get("identification"),
            analysis: get("analysis"),
            evaluation,
            treatment: optional(get("treatment")),
            controls,
        });
    }

    if problems.list.is_empty() {
        Ok(statement)
    } else {
        Err(SourceError::new(problems.list))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bundled::default_catalog;
    use crate::statement_file::parse_statement;
    use crate::statement_write::to_yaml;

    #[test]
    fn a_statement_survives_yaml_to_xlsx_to_yaml_unchanged() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/");
        for name in [
            "saas-valid.yaml",
            "saas-with-advice.yaml",
            "invalid-drafting.yaml",
        ] {
            let text = std::fs::read_to_string(format!("{dir}{name}")).unwrap();
            let parsed = parse_statement(name, &text).unwrap();
            let catalogs = [default_catalog()];
            let report = crate::report::check_statement(&parsed, &catalogs, None);
            let bytes = to_xlsx(&parsed.statement, Some(default_catalog()), Some(&report)).unwrap();
            let back = from_xlsx("statement.xlsx", &bytes).unwrap();
            assert_eq!(back, parsed.statement, "{name}");
            assert_eq!(to_yaml(&back), to_yaml(&parsed.statement));
        }
    }

    #[test]
    fn unusable_cells_are_named_by_sheet_row_and_column() {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../examples/saas-valid.yaml"
        ))
        .unwrap();
        let mut statement = parse_statement("s", &text).unwrap().statement;
        let id: ControlId = "8.1.2.1".parse().unwrap();
        // What a person might type into the sheet.
        statement.controls.get_mut(&id.number()).unwrap().evidence = vec![];
        let bytes = to_xlsx(&statement, None, None).unwrap();
        assert!(from_xlsx("ok.xlsx", &bytes).is_ok());
        let error = from_xlsx("broken.xlsx", b"not a zip").unwrap_err();
        assert!(error.to_string().contains("broken.xlsx"), "{error}");

        // Edit the written workbook: an unknown decision in row 5.
        let mut workbook = Workbook::new();
        let s = workbook.add_worksheet().set_name(STATEMENT_SHEET).unwrap();
        s.write_string(1, 0, "date").unwrap();
        s.write_string(1, 1, "2026/04/01").unwrap();
        let c = workbook.add_worksheet().set_name(CONTROLS_SHEET).unwrap();
        c.write_string(1, 0, "8.1.2.1").unwrap();
        c.write_string(1, 3, "done").unwrap();
        c.write_string(2, 0, "8.1.x").unwrap();
        workbook.add_worksheet().set_name(RISKS_SHEET).unwrap();
        let error = from_xlsx("edited.xlsx", &workbook.save_to_buffer().unwrap()).unwrap_err();
        let places: Vec<(u32, &str)> = error
            .problems
            .iter()
            .map(|p| (p.line, p.field.as_str()))
            .collect();
        assert_eq!(
            places,
            [
                (2, "言明書!value"),
                (2, "管理策!decision"),
                (3, "管理策!id")
            ],
            "{error}"
        );
    }
}
