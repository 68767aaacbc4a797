//! The cloud usage register (クラウド利用台帳, issue 15) as CSV or XLSX: the
//! export an agency downloads and the import it uploads, one format.
//!
//! The format (this system's own): a header row naming the columns in
//! Japanese (`情報システム`), in English (`Information system`) or by their
//! keys (`system_name`), in any order; then one entry per row. CSV is
//! UTF-8, with or without a byte order mark; XLSX is read from its first
//! sheet. A file is taken whole or not at all: every row is checked and any
//! problem refuses the file with a list naming each line and column, in the
//! reader's language.

use chrono::NaiveDate;
use ismap_domain::register::{self, EntryInput, Field, KnownService, RawEntry};
use ismap_i18n::{Lang, Messages};

/// The largest file read (this system's bound).
pub const MAX_BYTES: usize = 2 * 1024 * 1024;
/// The most entries one file may carry (this system's bound).
pub const MAX_ROWS: usize = 2000;
/// The most problems listed (the count of the rest is given).
pub const MAX_LISTED: usize = 200;
/// Unzipped size of an XLSX read (this system's bound).
pub const MAX_UNZIPPED: u64 = 32 * 1024 * 1024;

/// The column's name in `lang`: part of the file format, which exports and
/// imports share, so kept here rather than in the UI catalogs.
pub fn header(field: Field, lang: Lang) -> &'static str {
    match (field, lang) {
        (Field::SystemName, Lang::Ja) => "情報システム",
        (Field::SystemName, Lang::En) => "Information system",
        (Field::ServiceId, Lang::Ja) => "サービスID",
        (Field::ServiceId, Lang::En) => "Service ID",
        (Field::ServiceName, Lang::Ja) => "サービス名",
        (Field::ServiceName, Lang::En) => "Service",
        (Field::ProviderName, Lang::Ja) => "事業者名",
        (Field::ProviderName, Lang::En) => "Provider",
        (Field::Purpose, Lang::Ja) => "利用目的",
        (Field::Purpose, Lang::En) => "Purpose",
        (Field::Confidentiality, Lang::Ja) => "機密性",
        (Field::Confidentiality, Lang::En) => "Confidentiality",
        (Field::StartOfUse, Lang::Ja) => "利用開始日",
        (Field::StartOfUse, Lang::En) => "Start of use",
        (Field::Status, Lang::Ja) => "状況",
        (Field::Status, Lang::En) => "Status",
        (Field::Note, Lang::Ja) => "備考",
        (Field::Note, Lang::En) => "Note",
    }
}

/// Columns a file must have; the others may be left out.
const REQUIRED: [Field; 4] = [
    Field::SystemName,
    Field::Confidentiality,
    Field::StartOfUse,
    Field::Status,
];

fn field_of_header(text: &str) -> Option<Field> {
    let text = text.trim();
    Field::ALL.into_iter().find(|f| {
        header(*f, Lang::Ja) == text
            || header(*f, Lang::En).eq_ignore_ascii_case(text)
            || f.key().eq_ignore_ascii_case(text)
    })
}

/// One problem of a file: the line (1 = the header row; 0 = the file as a
/// whole), the column as the file names it, what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub line: u64,
    pub column: Option<String>,
    pub message: String,
}

/// The rows of a file, each with its line number.
type Rows = Vec<(u64, Vec<String>)>;

/// A message from the catalogs in the reader's language.
type Say<'a> = &'a dyn Fn(&str, &[(&str, String)]) -> String;

fn is_xlsx(file_name: &str, bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04") || file_name.to_ascii_lowercase().ends_with(".xlsx")
}

fn csv_rows(say: Say<'_>, bytes: &[u8]) -> Result<Rows, Problem> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if let Err(e) = std::str::from_utf8(bytes) {
        let line = bytes[..e.valid_up_to()]
            .iter()
            .filter(|b| **b == b'\n')
            .count()
            + 1;
        return Err(Problem {
            line: line as u64,
            column: None,
            message: say("register-import-not-utf8", &[]),
        });
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut rows = Vec::new();
    for record in reader.records() {
        match record {
            Ok(r) => {
                let line = r.position().map_or(0, |p| p.line());
                rows.push((line, r.iter().map(str::to_owned).collect()));
                if rows.len() > MAX_ROWS + 1 {
                    break;
                }
            }
            Err(e) => {
                return Err(Problem {
                    line: e.position().map_or(0, |p| p.line()),
                    column: None,
                    message: say("register-import-unreadable", &[]),
                });
            }
        }
    }
    Ok(rows)
}

fn cell_text(cell: &calamine::Data) -> String {
    use calamine::Data;
    match cell {
        Data::Empty => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => b.to_string(),
        // A date typed in Excel: the serial number counts days from 1899-12-30.
        Data::DateTime(dt) => NaiveDate::from_ymd_opt(1899, 12, 30)
            .and_then(|base| base.checked_add_days(chrono::Days::new(dt.as_f64() as u64)))
            .map(|d| d.to_string())
            .unwrap_or_default(),
        Data::Error(e) => format!("{e:?}"),
    }
}

fn xlsx_rows(say: Say<'_>, file_name: &str, bytes: &[u8]) -> Result<Rows, Problem> {
    use calamine::Reader;
    let unreadable = || Problem {
        line: 0,
        column: None,
        message: say("register-import-not-xlsx", &[]),
    };
    let mut workbook =
        crate::xlsx_in::open(file_name, bytes, MAX_UNZIPPED).map_err(|_| unreadable())?;
    let Some(first) = workbook.sheet_names().first().cloned() else {
        return Err(unreadable());
    };
    let range =
        crate::xlsx_in::sheet(&mut workbook, file_name, &first).map_err(|_| unreadable())?;
    let Some((top, _)) = range.start() else {
        return Ok(Vec::new());
    };
    let Some((_, left)) = range.start() else {
        return Ok(Vec::new());
    };
    let mut rows = Vec::new();
    for (i, row) in range.rows().enumerate() {
        // Columns before the used area are empty: the header's column
        // numbers count from A.
        let mut cells = vec![String::new(); left as usize];
        cells.extend(row.iter().map(cell_text));
        rows.push((u64::from(top) + i as u64 + 1, cells));
        if rows.len() > MAX_ROWS + 1 {
            break;
        }
    }
    Ok(rows)
}

/// Reads a whole file on `today` (for the start-of-use rules): every entry,
/// or every problem (at most [`MAX_LISTED`] are kept; the total is the
/// second value). `known` are the portal services a `サービスID` may name.
pub fn read(
    lang: Lang,
    file_name: &str,
    bytes: &[u8],
    known: &[KnownService],
    today: NaiveDate,
) -> Result<Vec<EntryInput>, (Vec<Problem>, usize)> {
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
            "register-import-too-large",
            &[("max", (MAX_BYTES / 1024).to_string())],
        )));
    }
    let rows = if is_xlsx(file_name, bytes) {
        xlsx_rows(&say, file_name, bytes)
    } else {
        csv_rows(&say, bytes)
    }
    .map_err(|p| (vec![p], 1))?;
    let mut rows = rows
        .into_iter()
        .filter(|(_, cells)| !cells.iter().all(|c| c.trim().is_empty()));
    let Some((header_line, header_cells)) = rows.next() else {
        return Err(whole(say("register-import-empty", &[])));
    };
    let mut problems = Vec::new();
    let mut total = 0usize;
    let mut push = |problems: &mut Vec<Problem>, p: Problem| {
        total += 1;
        if problems.len() < MAX_LISTED {
            problems.push(p);
        }
    };
    let mut columns: Vec<(usize, Field, String)> = Vec::new();
    for (index, cell) in header_cells.iter().enumerate() {
        let name = cell.trim().to_owned();
        if name.is_empty() {
            continue;
        }
        match field_of_header(&name) {
            Some(field) if columns.iter().any(|(_, f, _)| *f == field) => push(
                &mut problems,
                Problem {
                    line: header_line,
                    column: Some(name.clone()),
                    message: say("register-import-duplicate-column", &[]),
                },
            ),
            Some(field) => columns.push((index, field, name)),
            None => push(
                &mut problems,
                Problem {
                    line: header_line,
                    column: Some(name.chars().take(40).collect()),
                    message: say(
                        "register-import-unknown-column",
                        &[("known", known_columns(lang))],
                    ),
                },
            ),
        }
    }
    for field in REQUIRED {
        if !columns.iter().any(|(_, f, _)| *f == field) {
            push(
                &mut problems,
                Problem {
                    line: header_line,
                    column: Some(header(field, lang).to_owned()),
                    message: say("register-import-missing-column", &[]),
                },
            );
        }
    }
    if !problems.is_empty() {
        return Err((problems, total));
    }
    let mut entries = Vec::new();
    for (count, (line, cells)) in rows.enumerate() {
        if count >= MAX_ROWS {
            push(
                &mut problems,
                Problem {
                    line,
                    column: None,
                    message: say(
                        "register-import-too-many-rows",
                        &[("max", MAX_ROWS.to_string())],
                    ),
                },
            );
            break;
        }
        let get = |field: Field| -> String {
            columns
                .iter()
                .find(|(_, f, _)| *f == field)
                .and_then(|(i, _, _)| cells.get(*i))
                .cloned()
                .unwrap_or_default()
        };
        let raw = RawEntry {
            system_name: get(Field::SystemName),
            service_id: get(Field::ServiceId),
            service_name: get(Field::ServiceName),
            provider_name: get(Field::ProviderName),
            purpose: get(Field::Purpose),
            confidentiality: get(Field::Confidentiality),
            start_of_use: get(Field::StartOfUse),
            status: get(Field::Status),
            note: get(Field::Note),
        };
        match register::parse(&raw, known, today) {
            Ok(entry) => entries.push(entry),
            Err(errors) => {
                for e in errors {
                    let column = columns
                        .iter()
                        .find(|(_, f, _)| *f == e.field)
                        .map(|(_, _, name)| name.clone())
                        .unwrap_or_else(|| header(e.field, lang).to_owned());
                    push(
                        &mut problems,
                        Problem {
                            line,
                            column: Some(column),
                            message: m.localized(lang, &e),
                        },
                    );
                }
            }
        }
    }
    if !problems.is_empty() {
        return Err((problems, total));
    }
    if entries.is_empty() {
        return Err(whole(say("register-import-no-rows", &[])));
    }
    Ok(entries)
}

fn known_columns(lang: Lang) -> String {
    Field::ALL
        .iter()
        .map(|f| header(*f, lang))
        .collect::<Vec<_>>()
        .join(", ")
}

/// One entry's cells, in [`Field::ALL`] order, as `lang` writes them.
pub fn cells(entry: &EntryInput, lang: Lang) -> Vec<String> {
    vec![
        entry.system_name.clone(),
        entry
            .service_id
            .map(|id| id.to_string())
            .unwrap_or_default(),
        entry.service_name.clone(),
        entry.provider_name.clone(),
        entry.purpose.clone(),
        match lang {
            Lang::Ja => format!("機密性{}", entry.confidentiality),
            Lang::En => format!("Level {}", entry.confidentiality),
        },
        entry.start_of_use.to_string(),
        match lang {
            Lang::Ja => entry.status.japanese().to_owned(),
            Lang::En => entry.status.english().to_owned(),
        },
        entry.note.clone(),
    ]
}

fn headers(lang: Lang) -> Vec<&'static str> {
    Field::ALL.iter().map(|f| header(*f, lang)).collect()
}

/// The entries as CSV (UTF-8 with a byte order mark, for Excel), headers
/// in `lang`; cells a spreadsheet could read as formulas are quoted.
pub fn to_csv(entries: &[EntryInput], lang: Lang) -> Vec<u8> {
    let mut writer = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
    // Writing to memory cannot fail.
    let _ = writer.write_record(headers(lang));
    for e in entries {
        let row: Vec<String> = cells(e, lang)
            .iter()
            .map(|c| crate::cells::csv_safe(c).into_owned())
            .collect();
        let _ = writer.write_record(&row);
    }
    writer.into_inner().unwrap_or_default()
}

/// The entries as an XLSX workbook, headers in `lang`.
pub fn to_xlsx(entries: &[EntryInput], lang: Lang) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let rows: Vec<Vec<String>> = entries.iter().map(|e| cells(e, lang)).collect();
    let sheet = match lang {
        Lang::Ja => "クラウド利用台帳",
        Lang::En => "Cloud usage register",
    };
    crate::table_xlsx::table_to_xlsx(sheet, &headers(lang), &rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ismap_domain::register::Status;

    fn today() -> NaiveDate {
        "2026-06-01".parse().unwrap()
    }

    fn known() -> Vec<KnownService> {
        vec![KnownService {
            id: 4,
            name: "サンプルIaaS".into(),
            provider: "サンプルIaaS株式会社".into(),
        }]
    }

    fn entries() -> Vec<EntryInput> {
        vec![
            EntryInput {
                system_name: "基盤".into(),
                service_id: Some(4),
                service_name: "サンプルIaaS".into(),
                provider_name: "サンプルIaaS株式会社".into(),
                purpose: "=危ない".into(),
                confidentiality: 3,
                start_of_use: "2025-04-01".parse().unwrap(),
                status: Status::InUse,
                note: "備考, カンマ".into(),
            },
            EntryInput {
                system_name: "文書".into(),
                service_id: None,
                service_name: "未登録SaaS".into(),
                provider_name: "株式会社未登録".into(),
                purpose: String::new(),
                confidentiality: 1,
                start_of_use: "2027-01-01".parse().unwrap(),
                status: Status::Planned,
                note: String::new(),
            },
        ]
    }

    #[test]
    fn csv_and_xlsx_round_trip_in_both_languages() {
        for lang in Lang::ALL {
            let csv = to_csv(&entries(), lang);
            let mut back = read(lang, "r.csv", &csv, &known(), today()).unwrap();
            // The CSV quote before a formula-like cell is kept as text.
            assert_eq!(back[0].purpose, "'=危ない");
            back[0].purpose = "=危ない".into();
            assert_eq!(back, entries(), "{lang:?} csv");
            let xlsx = to_xlsx(&entries(), lang).unwrap();
            let back = read(Lang::Ja, "r.xlsx", &xlsx, &known(), today()).unwrap();
            assert_eq!(back, entries(), "{lang:?} xlsx");
        }
    }

    #[test]
    fn every_problem_is_listed_with_line_and_column() {
        let text = "情報システム,サービス名,事業者名,機密性,利用開始日,状況\n\
                    基盤,S,P,機密性2,2025-04-01,利用中\n\
                    ,S,P,5,2025-13-01,利用中\n\
                    文書,S,P,1,2030-01-01,利用中\n";
        let (problems, total) =
            read(Lang::Ja, "r.csv", text.as_bytes(), &known(), today()).unwrap_err();
        assert_eq!(total, problems.len());
        let at: Vec<(u64, Option<&str>)> = problems
            .iter()
            .map(|p| (p.line, p.column.as_deref()))
            .collect();
        assert!(at.contains(&(3, Some("情報システム"))), "{problems:?}");
        assert!(at.contains(&(3, Some("機密性"))), "{problems:?}");
        assert!(at.contains(&(3, Some("利用開始日"))), "{problems:?}");
        assert!(at.contains(&(4, Some("利用開始日"))), "{problems:?}");
        assert!(problems.iter().all(|p| !p.message.is_empty()));
    }

    #[test]
    fn headers_in_english_and_missing_columns() {
        let text = "Information system,Service,Provider,Confidentiality,Start of use,Status\nA,S,P,Level 2,2025-04-01,In use\n";
        assert_eq!(
            read(Lang::En, "r.csv", text.as_bytes(), &known(), today())
                .unwrap()
                .len(),
            1
        );
        let (problems, _) = read(
            Lang::En,
            "r.csv",
            b"Service,Color\nS,red\n",
            &known(),
            today(),
        )
        .unwrap_err();
        assert!(
            problems
                .iter()
                .any(|p| p.column.as_deref() == Some("Color"))
        );
        assert!(
            problems
                .iter()
                .any(|p| p.column.as_deref() == Some("Information system"))
        );
        let (problems, _) = read(
            Lang::Ja,
            "r.xlsx",
            b"PK\x03\x04 not a zip",
            &known(),
            today(),
        )
        .unwrap_err();
        assert_eq!(problems[0].line, 0);
        let (problems, _) = read(Lang::Ja, "r.csv", b"", &known(), today()).unwrap_err();
        assert_eq!(problems.len(), 1);
    }
}
