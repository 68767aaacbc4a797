//! The special measures list as CSV: the importer for entries kept
//! elsewhere and the export for government bodies, one file format.
//!
//! The format (this system's own): UTF-8, with or without a byte order
//! mark; a header row naming the columns in Japanese (`サービス名`) or by
//! their keys (`service_name`), in any order; then one entry per row. A
//! file is taken whole or not at all: every row is checked and any problem
//! refuses the file with a list naming each line and column.

use ismap_domain::special_measures::{self, Field, NewEntry, QualifyingEvent, RawEntry};
use ismap_i18n::{Lang, Messages};

/// The largest file read (this system's bound).
pub const MAX_BYTES: usize = 1024 * 1024;
/// The most entries one file may carry (this system's bound).
pub const MAX_ROWS: usize = 2000;
/// The most problems listed (the count of the rest is given).
pub const MAX_LISTED: usize = 200;

/// The Japanese column names: part of the file format, which exports and
/// imports share, so kept here rather than in the UI catalogs.
pub fn japanese_header(field: Field) -> &'static str {
    match field {
        Field::ServiceName => "サービス名",
        Field::Provider => "事業者名",
        Field::Event => "適用要件",
        Field::EventDate => "適用要件の日付",
        Field::SubmissionsExempt => "提出物の一部免除",
        Field::SubmissionsDetail => "提出物の免除内容",
        Field::AuditExempt => "外部監査の一部免除",
        Field::AuditDetail => "外部監査の免除内容",
        Field::PeriodStart => "適用開始日",
        Field::PeriodEnd => "適用終了日",
        Field::Note => "備考",
    }
}

/// The Japanese values of the qualifying event column.
pub fn japanese_event(event: QualifyingEvent) -> &'static str {
    match event {
        QualifyingEvent::PreApplication => "事前申請",
        QualifyingEvent::Application => "登録申請",
    }
}

/// Columns a file must have; the others may be left out.
const REQUIRED: [Field; 6] = [
    Field::ServiceName,
    Field::Provider,
    Field::Event,
    Field::EventDate,
    Field::PeriodStart,
    Field::PeriodEnd,
];

fn field_of_header(header: &str) -> Option<Field> {
    let header = header.trim();
    Field::ALL
        .into_iter()
        .find(|f| japanese_header(*f) == header || f.key().eq_ignore_ascii_case(header))
}

/// One problem of a file: the line (1 = the header row; 0 = the file as a
/// whole), the column as the file names it, what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub line: u64,
    pub column: Option<String>,
    pub message: String,
}

/// Reads a whole file: every entry, or every problem (at most
/// [`MAX_LISTED`] are kept; the total is the second value).
pub fn read(lang: Lang, bytes: &[u8]) -> Result<Vec<NewEntry>, (Vec<Problem>, usize)> {
    let m = Messages::get();
    let say = |id: &str, args: &[(&str, String)]| m.text(lang, id, args);
    let whole = |message: String| {
        (
            vec![Problem {
                line: 0,
                column: None,
                message,
            }],
            1,
        )
    };
    if bytes.len() > MAX_BYTES {
        return Err(whole(say(
            "special-import-too-large",
            &[("max", (MAX_BYTES / 1024).to_string())],
        )));
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => {
            let line = bytes[..e.valid_up_to()]
                .iter()
                .filter(|b| **b == b'\n')
                .count()
                + 1;
            return Err((
                vec![Problem {
                    line: line as u64,
                    column: None,
                    message: say("special-import-not-utf8", &[]),
                }],
                1,
            ));
        }
    };
    if text.trim().is_empty() {
        return Err(whole(say("special-import-empty", &[])));
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut problems = Vec::new();
    let mut total = 0usize;
    let mut push = |problems: &mut Vec<Problem>, p: Problem| {
        total += 1;
        if problems.len() < MAX_LISTED {
            problems.push(p);
        }
    };
    let mut records = reader.records();
    let header = match records.next() {
        Some(Ok(h)) => h,
        Some(Err(e)) => {
            let line = e.position().map_or(1, |p| p.line());
            return Err((
                vec![Problem {
                    line,
                    column: None,
                    message: say("special-import-unreadable", &[]),
                }],
                1,
            ));
        }
        None => return Err(whole(say("special-import-empty", &[]))),
    };
    // Column index → field, with the header as the file writes it.
    let mut columns: Vec<(Field, String)> = Vec::new();
    for (index, cell) in header.iter().enumerate() {
        let name = cell.trim().to_owned();
        match field_of_header(&name) {
            Some(field) if columns.iter().any(|(f, _)| *f == field) => push(
                &mut problems,
                Problem {
                    line: 1,
                    column: Some(name.clone()),
                    message: say("special-import-duplicate-column", &[]),
                },
            ),
            Some(field) => columns.push((field, name)),
            None => push(
                &mut problems,
                Problem {
                    line: 1,
                    column: Some(if name.is_empty() {
                        say(
                            "special-import-column-number",
                            &[("n", (index + 1).to_string())],
                        )
                    } else {
                        name.chars().take(40).collect()
                    }),
                    message: say(
                        "special-import-unknown-column",
                        &[("known", known_columns())],
                    ),
                },
            ),
        }
    }
    for field in REQUIRED {
        if !columns.iter().any(|(f, _)| *f == field) {
            push(
                &mut problems,
                Problem {
                    line: 1,
                    column: Some(format!("{} / {}", japanese_header(field), field.key())),
                    message: say("special-import-missing-column", &[]),
                },
            );
        }
    }
    if !problems.is_empty() {
        return Err((problems, total));
    }
    let index_of: Vec<Option<Field>> = header.iter().map(field_of_header).collect();
    let column_name = |field: Field| {
        columns
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, name)| name.clone())
    };
    let mut entries = Vec::new();
    let mut rows = 0usize;
    for record in records {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                push(
                    &mut problems,
                    Problem {
                        line,
                        column: None,
                        message: say("special-import-unreadable", &[]),
                    },
                );
                break;
            }
        };
        let line = record.position().map_or(0, |p| p.line());
        // A blank line is not an entry.
        if record.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        rows += 1;
        if rows > MAX_ROWS {
            push(
                &mut problems,
                Problem {
                    line,
                    column: None,
                    message: say(
                        "special-import-too-many-rows",
                        &[("max", MAX_ROWS.to_string())],
                    ),
                },
            );
            break;
        }
        if record.len() != header.len() {
            push(
                &mut problems,
                Problem {
                    line,
                    column: None,
                    message: say(
                        "special-import-cell-count",
                        &[
                            ("found", record.len().to_string()),
                            ("expected", header.len().to_string()),
                        ],
                    ),
                },
            );
            continue;
        }
        let mut raw = RawEntry::default();
        let mut row_ok = true;
        for (cell, field) in record.iter().zip(&index_of) {
            let Some(field) = field else { continue };
            let value = cell.to_owned();
            match field {
                Field::ServiceName => raw.service_name = value,
                Field::Provider => raw.provider = value,
                Field::Event => {
                    let v = value.trim();
                    raw.event = QualifyingEvent::ALL
                        .into_iter()
                        .find(|e| japanese_event(*e) == v || e.key().eq_ignore_ascii_case(v))
                        .map_or_else(|| v.to_owned(), |e| e.key().to_owned());
                }
                Field::EventDate => raw.event_date = value,
                Field::SubmissionsExempt | Field::AuditExempt => match yes_no(&value) {
                    Some(chosen) => {
                        if *field == Field::SubmissionsExempt {
                            raw.submissions_exempt = chosen;
                        } else {
                            raw.audit_exempt = chosen;
                        }
                    }
                    None => {
                        row_ok = false;
                        push(
                            &mut problems,
                            Problem {
                                line,
                                column: column_name(*field),
                                message: say(
                                    "special-import-not-yes-no",
                                    &[("value", value.chars().take(40).collect())],
                                ),
                            },
                        );
                    }
                },
                Field::SubmissionsDetail => raw.submissions_detail = value,
                Field::AuditDetail => raw.audit_detail = value,
                Field::PeriodStart => raw.period_start = value,
                Field::PeriodEnd => raw.period_end = value,
                Field::Note => raw.note = value,
            }
        }
        match special_measures::parse(&raw) {
            Ok(entry) if row_ok => entries.push(entry),
            Ok(_) => {}
            Err(errors) => {
                for e in errors {
                    push(
                        &mut problems,
                        Problem {
                            line,
                            column: column_name(e.field).or_else(|| {
                                Some(format!("{} / {}", japanese_header(e.field), e.field.key()))
                            }),
                            message: m.localized(lang, &e),
                        },
                    );
                }
            }
        }
    }
    if problems.is_empty() && entries.is_empty() {
        return Err(whole(say("special-import-no-rows", &[])));
    }
    if problems.is_empty() {
        Ok(entries)
    } else {
        Err((problems, total))
    }
}

/// はい/いいえ, yes/no, true/false, 1/0; empty is no.
fn yes_no(value: &str) -> Option<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "はい" | "yes" | "true" | "1" | "○" => Some(true),
        "" | "いいえ" | "no" | "false" | "0" | "×" | "-" => Some(false),
        _ => None,
    }
}

fn known_columns() -> String {
    Field::ALL
        .into_iter()
        .map(|f| format!("{} / {}", japanese_header(f), f.key()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The export: the entries in force, in the import's format (so an export
/// can be imported again), headers in `lang`; text a spreadsheet would read
/// as a formula gets a leading `'`.
pub fn write(
    lang: Lang,
    entries: &[&ismap_store::special_measures::Entry],
) -> Result<Vec<u8>, String> {
    use ismap_formats::cells::csv_safe;
    let mut writer = csv::Writer::from_writer(Vec::new());
    let headers: Vec<&str> = Field::ALL
        .into_iter()
        .map(|f| match lang {
            Lang::Ja => japanese_header(f),
            Lang::En => f.key(),
        })
        .collect();
    writer.write_record(&headers).map_err(|e| e.to_string())?;
    let yes_no = |b: bool| match (lang, b) {
        (Lang::Ja, true) => "はい",
        (Lang::Ja, false) => "いいえ",
        (Lang::En, true) => "yes",
        (Lang::En, false) => "no",
    };
    for e in entries {
        let event = match lang {
            Lang::Ja => japanese_event(e.event),
            Lang::En => e.event.key(),
        };
        let row = [
            e.service_name.clone(),
            e.provider.clone(),
            event.to_owned(),
            e.event_date.to_string(),
            yes_no(e.exemptions.submissions.is_some()).to_owned(),
            e.exemptions.submissions.clone().unwrap_or_default(),
            yes_no(e.exemptions.external_audit.is_some()).to_owned(),
            e.exemptions.external_audit.clone().unwrap_or_default(),
            e.period_start.to_string(),
            e.period_end.to_string(),
            e.note.clone(),
        ];
        writer
            .write_record(row.iter().map(|c| csv_safe(c).into_owned()))
            .map_err(|e| e.to_string())?;
    }
    let mut body = "\u{feff}".as_bytes().to_vec();
    body.extend(writer.into_inner().map_err(|e| e.to_string())?);
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD_JA: &str = "\u{feff}サービス名,事業者名,適用要件,適用要件の日付,提出物の一部免除,提出物の免除内容,適用開始日,適用終了日\n\
        勤怠クラウド,株式会社サンプル,事前申請,2025-03-31,はい,内部監査報告書,2025-04-01,2026-03-31\n\
        会計クラウド,サンプル商事,登録申請,2025-01-15,いいえ,,2025-04-01,2026-03-31\n";

    #[test]
    fn a_good_file_in_japanese_or_english_is_read_whole() {
        let entries = read(Lang::Ja, GOOD_JA.as_bytes()).unwrap();
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].event, QualifyingEvent::PreApplication);
        assert_eq!(
            entries[0].exemptions.submissions.as_deref(),
            Some("内部監査報告書")
        );
        assert_eq!(entries[1].event, QualifyingEvent::Application);
        let english = "Provider,service_name,event,event_date,period_start,period_end\n\
            Sample Inc.,Time Cloud,pre_application,2025-02-01,2025-04-01,2026-03-31\n";
        let entries = read(Lang::En, english.as_bytes()).unwrap();
        assert_eq!(entries[0].provider, "Sample Inc.");
    }

    #[test]
    fn one_bad_row_refuses_the_file_naming_line_and_column() {
        let bad = GOOD_JA.replace("2025-01-15", "2025-04-01");
        let (problems, total) = read(Lang::Ja, bad.as_bytes()).unwrap_err();
        assert_eq!(total, 1);
        assert_eq!(problems[0].line, 3);
        assert_eq!(problems[0].column.as_deref(), Some("適用要件の日付"));
        assert!(
            problems[0].message.contains("2025年3月31日"),
            "{}",
            problems[0].message
        );
    }

    #[test]
    fn headers_are_checked() {
        let (problems, _) = read(Lang::En, "service_name,colour\nx,y\n".as_bytes()).unwrap_err();
        assert_eq!(problems[0].column.as_deref(), Some("colour"));
        assert!(
            problems
                .iter()
                .any(|p| p.column.as_deref() == Some("事業者名 / provider"))
        );
        let (problems, _) = read(Lang::En, "service_name,サービス名\n".as_bytes()).unwrap_err();
        assert_eq!(problems[0].column.as_deref(), Some("サービス名"));
    }

    #[test]
    fn the_file_is_bounded() {
        let too_big = vec![b'a'; MAX_BYTES + 1];
        assert_eq!(read(Lang::Ja, &too_big).unwrap_err().0[0].line, 0);
        let mut many =
            String::from("service_name,provider,event,event_date,period_start,period_end\n");
        for i in 0..=MAX_ROWS {
            many.push_str(&format!(
                "s{i},p,application,2025-01-01,2025-04-01,2026-03-31\n"
            ));
        }
        let (problems, _) = read(Lang::En, many.as_bytes()).unwrap_err();
        assert_eq!(problems.last().unwrap().line as usize, MAX_ROWS + 2);
        assert!(read(Lang::Ja, b"\xff\xfe").is_err());
    }
}
