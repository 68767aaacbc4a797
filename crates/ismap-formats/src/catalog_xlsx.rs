//! The control standard as a spreadsheet → a catalog (a new catalog version).
//!
//! Which column holds what is set by a [`Mapping`]; the default follows the
//! layout of the standard's tables as the manual shows them (seed 004 §2.3.1:
//! number, control text, kind of change, ○ for controls built from a JIS
//! Q 27002 option) and is documented in docs/catalog-import.md. Rows whose
//! number has one part are chapters, two parts categories (the text is the
//! category's purpose), three or four parts controls. Every row that cannot
//! be used is reported with sheet, row and column, and nothing is imported
//! then.

use calamine::{Data, Reader};
use ismap_domain::catalog::{CatalogInfo, Chapter, Text};
use ismap_domain::{Catalog, Category, Control, ControlId, Origin};
use serde::Deserialize;

use crate::source::{SourceError, SourceProblem};

/// Where the columns are; header names as they appear in the header row.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    /// The sheet to read; the first sheet when empty.
    #[serde(default)]
    pub sheet: String,
    /// 1-based row of the headers.
    #[serde(default = "default_header_row")]
    pub header_row: u32,
    pub id: String,
    pub text_ja: String,
    #[serde(default)]
    pub text_en: String,
    #[serde(default)]
    pub title_ja: String,
    #[serde(default)]
    pub title_en: String,
    /// Column whose non-empty cells mark controls built from a JIS option (○).
    #[serde(default)]
    pub jis_option: String,
    /// Column of the kind of change; cells containing ※ mark controls new in ISMAP.
    #[serde(default)]
    pub change: String,
}

fn default_header_row() -> u32 {
    1
}

impl Default for Mapping {
    fn default() -> Mapping {
        Mapping {
            sheet: String::new(),
            header_row: 1,
            id: "管理策番号".into(),
            text_ja: "管理策".into(),
            text_en: String::new(),
            title_ja: String::new(),
            title_en: String::new(),
            jis_option: "JIS Q 27002の実施手引きの選択肢を基に作成された管理策".into(),
            change: "変更種別".into(),
        }
    }
}

/// Reads a mapping file (YAML); unknown keys are errors with their line.
pub fn parse_mapping(file: &str, text: &str) -> Result<Mapping, SourceError> {
    crate::yaml::parse(file, text)
}

/// Identity of the new catalog version.
pub struct NewCatalog {
    pub id: String,
    pub version: String,
    pub title: Text,
    pub source: String,
}

fn text_of(cell: Option<&Data>) -> String {
    match cell {
        None | Some(Data::Empty) => String::new(),
        Some(Data::String(s)) => s.trim().to_owned(),
        Some(other) => other.to_string().trim().to_owned(),
    }
}

/// A title from a text: its first sentence, at most 40 characters.
fn title_from(text: &str) -> String {
    let sentence = text.split('。').next().unwrap_or(text);
    let title: String = sentence.chars().take(40).collect();
    if title.is_empty() {
        text.chars().take(40).collect()
    } else {
        title
    }
}

/// Opens the workbook and reads the sheet named `sheet` (the first when empty).
fn read_sheet(
    file: &str,
    bytes: &[u8],
    sheet: &str,
    max_unzipped: u64,
) -> Result<(String, calamine::Range<Data>), SourceError> {
    let mut workbook = crate::xlsx_in::open(file, bytes, max_unzipped)?;
    let sheet_name = if sheet.is_empty() {
        workbook
            .sheet_names()
            .first()
            .cloned()
            .ok_or_else(|| SourceError::whole_file(file, "the workbook has no sheet"))?
    } else {
        sheet.to_owned()
    };
    let range = crate::xlsx_in::sheet(&mut workbook, file, &sheet_name)?;
    Ok((sheet_name, range))
}

/// Reads the workbook into a checked catalog.
pub fn import_catalog(
    file: &str,
    bytes: &[u8],
    mapping: &Mapping,
    new: NewCatalog,
) -> Result<Catalog, SourceError> {
    import_catalog_with_progress(
        file,
        bytes,
        mapping,
        new,
        crate::limits::DEFAULT_MAX_XLSX_UNZIPPED_BYTES,
        &mut |_| {},
    )
}

/// How far an import has got, for a progress display on large workbooks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImportProgress {
    /// Unzipping and parsing the sheet (most of the time on a large file).
    Reading,
    /// Turning rows into controls: `done` of `total` rows.
    Rows { done: u64, total: u64 },
    /// Checking the catalog's invariants.
    Checking,
}

/// [`import_catalog`], telling `progress` how far it has got; the
/// workbook's parts may unzip to `max_unzipped` bytes in all.
pub fn import_catalog_with_progress(
    file: &str,
    bytes: &[u8],
    mapping: &Mapping,
    new: NewCatalog,
    max_unzipped: u64,
    progress: &mut dyn FnMut(ImportProgress),
) -> Result<Catalog, SourceError> {
    progress(ImportProgress::Reading);
    // calamine can panic on malformed workbooks (fuzzing found an integer
    // overflow on an over-long cell reference in calamine 0.38); a bad file
    // must be an error naming the file, never a crash of the CLI or portal.
    let read = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        read_sheet(file, bytes, &mapping.sheet, max_unzipped)
    }));
    let (sheet_name, range) = match read {
        Ok(result) => result?,
        Err(_) => {
            return Err(SourceError::whole_file(
                file,
                "not a readable Excel workbook (.xlsx): the spreadsheet reader failed on its contents",
            ));
        }
    };
    let header = mapping.header_row.saturating_sub(1);
    let (last_row, last_column) = range.end().unwrap_or((0, 0));
    let column_of = |name: &str| {
        (0..=last_column)
            .find(|&col| !name.is_empty() && text_of(range.get_value((header, col))) == name)
    };
    let mut problems = Vec::new();
    let mut problem = |row: u32, column: &str, message: String| {
        problems.push(SourceProblem {
            file: file.to_owned(),
            line: row + 1,
            column: 0,
            field: format!("{sheet_name}!{column}"),
            message,
        })
    };
    let (Some(id_col), Some(text_col)) = (column_of(&mapping.id), column_of(&mapping.text_ja))
    else {
        return Err(SourceError::single(SourceProblem {
            file: file.to_owned(),
            line: header + 1,
            column: 0,
            field: format!("{sheet_name}!header"),
            message: format!(
                "the header row must name the columns {:?} and {:?} (set them in a mapping file)",
                mapping.id, mapping.text_ja
            ),
        }));
    };
    let optional = |name: &str| column_of(name);
    let (text_en, title_ja, title_en, jis, change) = (
        optional(&mapping.text_en),
        optional(&mapping.title_ja),
        optional(&mapping.title_en),
        optional(&mapping.jis_option),
        optional(&mapping.change),
    );
    let get = |row: u32, col: Option<u32>| {
        col.map(|c| text_of(range.get_value((row, c))))
            .unwrap_or_default()
    };

    let (mut chapters, mut categories, mut controls) = (Vec::new(), Vec::new(), Vec::new());
    let total = u64::from(last_row.saturating_sub(header));
    for row in header + 1..=last_row {
        // Every 64 rows: often enough to move a bar, rare enough to cost nothing.
        if row % 64 == 0 {
            progress(ImportProgress::Rows {
                done: u64::from(row - header),
                total,
            });
        }
        let number = get(row, Some(id_col)).replace(['※', ' '], "");
        if number.is_empty() {
            continue;
        }
        let ja = get(row, Some(text_col));
        if ja.is_empty() {
            problem(
                row,
                &mapping.text_ja,
                format!("{number}: the text is empty"),
            );
            continue;
        }
        // English is not in the published spreadsheet; the Japanese stands in.
        let en = Some(get(row, text_en))
            .filter(|t| !t.is_empty())
            .unwrap_or_else(|| ja.clone());
        let title = Text::new(
            Some(get(row, title_ja))
                .filter(|t| !t.is_empty())
                .unwrap_or_else(|| title_from(&ja)),
            Some(get(row, title_en))
                .filter(|t| !t.is_empty())
                .unwrap_or_else(|| title_from(&en)),
        );
        let parts: Vec<&str> = number.split('.').collect();
        let numeric = |p: &str| p.parse::<u16>().ok().filter(|n| *n > 0);
        match parts.as_slice() {
            [chapter] if numeric(chapter).is_some() => chapters.push(Chapter {
                number: numeric(chapter).expect("checked"),
                title: Text::new(ja.clone(), en.clone()),
            }),
            [chapter, category] if numeric(chapter).is_some() && numeric(category).is_some() => {
                categories.push(Category {
                    chapter: numeric(chapter).expect("checked"),
                    number: numeric(category).expect("checked"),
                    title,
                    purpose: Text::new(ja, en),
                })
            }
            _ => match number.parse::<ControlId>() {
                Ok(id) => {
                    let new_in_ismap =
                        get(row, change).contains('※') || get(row, Some(id_col)).contains('※');
                    controls.push(Control {
                        id,
                        title,
                        text: Text::new(ja, en),
                        quoted: true,
                        origin: if new_in_ismap {
                            Origin::NewInIsmap
                        } else {
                            Origin::Unchanged
                        },
                        jis_option: id.level() == ismap_domain::Level::Detailed
                            && !get(row, jis).is_empty(),
                        liu_important: false,
                        perimeter_wording: false,
                    })
                }
                Err(e) => problem(row, &mapping.id, format!("{number:?}: {e}")),
            },
        }
    }
    // Categories may lack their chapter row in a sheet of one chapter.
    for category in &categories {
        if !chapters
            .iter()
            .any(|c: &Chapter| c.number == category.chapter)
        {
            chapters.push(Chapter {
                number: category.chapter,
                title: Text::new(
                    format!("第{}章", category.chapter),
                    format!("Chapter {}", category.chapter),
                ),
            });
        }
    }
    if !problems.is_empty() {
        return Err(SourceError::new(problems));
    }
    // A sheet with no control rows is a wrong sheet or mapping, never a
    // catalog version (found by fuzzing, docs/fuzzing.md).
    if controls.is_empty() {
        return Err(SourceError::single(SourceProblem {
            file: file.to_owned(),
            line: header + 1,
            column: 0,
            field: format!("{sheet_name}!{}", mapping.id),
            message: "no control rows (numbers like 5.1.1 or 5.1.1.1) below the header row; check the sheet and the column mapping".into(),
        }));
    }
    progress(ImportProgress::Checking);
    let info = CatalogInfo {
        id: new.id,
        version: new.version,
        title: new.title,
        excerpt: false,
        notice: Text::default(),
        source: new.source,
        // The spreadsheet does not mark important controls; an official
        // list is applied with `with_important_controls`.
        important_controls: None,
    };
    Catalog::build(info, chapters, categories, controls).map_err(|catalog_problems| SourceError {
        problems: catalog_problems
            .into_iter()
            .map(|p| SourceProblem {
                file: file.to_owned(),
                line: 0,
                column: 0,
                field: sheet_name.clone(),
                message: p.kind.to_string(),
            })
            .collect(),
        limit: None,
    })
}

/// The most ids an important-controls list may hold (the whole standard
/// has about 1,300 controls).
pub const MAX_IMPORTANT_CONTROLS: usize = 5_000;

/// Replaces `catalog`'s ISMAP-LIU important controls with the list in
/// `text` (file `file`), naming `source` as where the list comes from: an
/// official set (`assumed` false) unless the caller says otherwise.
///
/// The list is a text or CSV file: one control id per line (the first
/// comma-separated field), blank lines and lines starting with `#` skipped,
/// and a first line without any digit taken as a header. Every unreadable,
/// unknown or repeated id is reported with its line; nothing is applied then.
pub fn with_important_controls(
    catalog: &Catalog,
    file: &str,
    text: &str,
    source: &str,
    assumed: bool,
) -> Result<Catalog, SourceError> {
    let mut problems: Vec<SourceProblem> = Vec::new();
    let problem = |problems: &mut Vec<SourceProblem>, line: usize, message: String| {
        problems.push(SourceProblem {
            file: file.to_owned(),
            line: u32::try_from(line).unwrap_or(u32::MAX),
            column: 1,
            field: "id".into(),
            message,
        })
    };
    if !assumed && source.trim().is_empty() {
        problem(
            &mut problems,
            0,
            "an official list of important controls must name its source (--important-source)"
                .into(),
        );
    }
    let mut marked = std::collections::BTreeMap::new();
    for (index, line) in text.lines().enumerate() {
        let number = index + 1;
        let cell = line
            .split(',')
            .next()
            .unwrap_or("")
            .trim()
            .trim_matches('"')
            .trim();
        if cell.is_empty() || cell.starts_with('#') {
            continue;
        }
        if number == 1 && !cell.chars().any(|c| c.is_ascii_digit()) {
            continue;
        }
        if marked.len() >= MAX_IMPORTANT_CONTROLS {
            problem(
                &mut problems,
                number,
                format!("more than {MAX_IMPORTANT_CONTROLS} ids; is this the right file?"),
            );
            break;
        }
        let id = match cell.parse::<ControlId>() {
            Ok(id) => id,
            Err(error) => {
                problem(&mut problems, number, format!("{cell:?}: {error}"));
                continue;
            }
        };
        let Some(position) = catalog.position(id.number()) else {
            problem(
                &mut problems,
                number,
                format!("{id} is not in catalog {}", catalog.id()),
            );
            continue;
        };
        if let Some(first) = marked.insert(position, number) {
            problem(
                &mut problems,
                number,
                format!("{id} is listed twice (first on line {first})"),
            );
        }
    }
    if marked.is_empty() && problems.is_empty() {
        problem(&mut problems, 0, "the list names no control".into());
    }
    if !problems.is_empty() {
        return Err(SourceError::new(problems));
    }
    let controls = catalog
        .controls()
        .iter()
        .enumerate()
        .map(|(position, control)| Control {
            liu_important: marked.contains_key(&position),
            ..control.clone()
        })
        .collect();
    let mut info = catalog.info().clone();
    info.important_controls = Some(ismap_domain::catalog::ImportantControls {
        source: source.trim().to_owned(),
        assumed,
        note: Text::default(),
    });
    Catalog::build(
        info,
        catalog.chapters().to_vec(),
        catalog.categories().to_vec(),
        controls,
    )
    .map_err(|catalog_problems| SourceError {
        problems: catalog_problems
            .into_iter()
            .map(|p| SourceProblem {
                file: file.to_owned(),
                line: 0,
                column: 0,
                field: String::new(),
                message: p.kind.to_string(),
            })
            .collect(),
        limit: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_xlsxwriter::Workbook;

    fn workbook(rows: &[[&str; 4]]) -> Vec<u8> {
        let mut book = Workbook::new();
        let sheet = book.add_worksheet().set_name("管理策基準").unwrap();
        let headers = [
            "管理策番号",
            "管理策",
            "変更種別",
            "JIS Q 27002の実施手引きの選択肢を基に作成された管理策",
        ];
        for (col, h) in headers.iter().enumerate() {
            sheet.write_string(0, col as u16, *h).unwrap();
        }
        for (r, row) in rows.iter().enumerate() {
            for (col, value) in row.iter().enumerate() {
                if !value.is_empty() {
                    sheet
                        .write_string(r as u32 + 1, col as u16, *value)
                        .unwrap();
                }
            }
        }
        book.save_to_buffer().unwrap()
    }

    fn new() -> NewCatalog {
        NewCatalog {
            id: "ismap-import-test".into(),
            version: "1".into(),
            title: Text::new("取込み", "Imported"),
            source: "test".into(),
        }
    }

    #[test]
    fn the_standards_table_layout_imports() {
        // The table of seed 004 §2.3.1.
        let bytes = workbook(&[
            ["5", "情報セキュリティのための方針群", "", ""],
            [
                "5.1",
                "情報セキュリティのための方針群は、これを定義し、管理層が承認し、発行し、従業員及び関連する外部関係者に通知する。",
                "",
                "",
            ],
            [
                "5.1.1",
                "情報セキュリティのための方針群は、これを定義し、管理層が承認し、発行し、従業員及び関連する外部関係者に通知する。",
                "",
                "",
            ],
            [
                "5.1.1.1",
                "組織は、経営陣によって承認され、組織の情報セキュリティ目的の管理に対する取組みを示すものとして、方針群の最も高いレベルに、一つの情報セキュリティ方針を定める。",
                "",
                "",
            ],
            [
                "5.1.1.2",
                "情報セキュリティ方針は、事業戦略によって生じる要求事項を取り扱う。",
                "",
                "○",
            ],
            ["※ 5.1.1.3", "新しい管理策。", "", ""],
        ]);
        let catalog = import_catalog("standard.xlsx", &bytes, &Mapping::default(), new()).unwrap();
        assert_eq!(catalog.controls().len(), 4);
        let c2 = catalog
            .get("5.1.1.2".parse::<ControlId>().unwrap().number())
            .unwrap();
        assert!(c2.jis_option);
        assert_eq!(
            c2.title.ja,
            "情報セキュリティ方針は、事業戦略によって生じる要求事項を取り扱う"
        );
        let c3 = catalog
            .get("5.1.1.3".parse::<ControlId>().unwrap().number())
            .unwrap();
        assert_eq!(c3.origin, Origin::NewInIsmap);
        assert!(
            catalog.categories()[0]
                .purpose
                .ja
                .starts_with("情報セキュリティのための方針群は")
        );
        // The import writes a pack that loads back to the same catalog.
        let pack = crate::catalog_pack::to_yaml(&catalog);
        let again = crate::catalog_pack::load_pack("pack.yaml", &pack).unwrap();
        assert_eq!(again.controls(), catalog.controls());
    }

    #[test]
    fn unusable_rows_are_named_and_nothing_is_imported() {
        let bytes = workbook(&[
            ["5", "方針", "", ""],
            ["5.1", "目的。", "", ""],
            ["5.1.1", "統制目標。", "", ""],
            ["5.1.x", "壊れた番号。", "", ""],
            ["5.1.1.1", "", "", ""],
            ["5.1.9.1", "統制目標のない詳細管理策。", "", ""],
        ]);
        let error =
            import_catalog("standard.xlsx", &bytes, &Mapping::default(), new()).unwrap_err();
        let places: Vec<(u32, &str)> = error
            .problems
            .iter()
            .map(|p| (p.line, p.field.as_str()))
            .collect();
        assert_eq!(
            places,
            [(5, "管理策基準!管理策番号"), (6, "管理策基準!管理策")],
            "{error}"
        );

        let missing = import_catalog(
            "x.xlsx",
            &bytes,
            &Mapping {
                id: "番号".into(),
                ..Mapping::default()
            },
            new(),
        )
        .unwrap_err();
        assert!(missing.to_string().contains("\"番号\""), "{missing}");
    }

    #[test]
    fn progress_is_reported_from_reading_through_rows_to_checking() {
        let mut rows = vec![
            ["5", "方針", "", ""],
            ["5.1", "目的。", "", ""],
            ["5.1.1", "統制目標。", "", ""],
        ];
        let numbers: Vec<String> = (1..=200).map(|n| format!("5.1.1.{n}")).collect();
        rows.extend(numbers.iter().map(|n| [n.as_str(), "詳細管理策。", "", ""]));
        let mut seen = Vec::new();
        import_catalog_with_progress(
            "standard.xlsx",
            &workbook(&rows),
            &Mapping::default(),
            new(),
            crate::limits::DEFAULT_MAX_XLSX_UNZIPPED_BYTES,
            &mut |step| seen.push(step),
        )
        .unwrap();
        assert_eq!(seen.first(), Some(&ImportProgress::Reading));
        assert_eq!(seen.last(), Some(&ImportProgress::Checking));
        let done: Vec<u64> = seen
            .iter()
            .filter_map(|s| match s {
                ImportProgress::Rows { done, total: 203 } => Some(*done),
                _ => None,
            })
            .collect();
        assert_eq!(done, [64, 128, 192]);
    }

    #[test]
    fn an_official_important_list_replaces_the_set() {
        let rows = [
            ["5", "方針", "", ""],
            ["5.1", "目的。", "", ""],
            ["5.1.1", "統制目標。", "", ""],
            ["5.1.1.1", "詳細管理策。", "", ""],
            ["5.1.1.2.PB", "詳細管理策。", "", ""],
        ];
        let catalog = import_catalog(
            "standard.xlsx",
            &workbook(&rows),
            &Mapping::default(),
            new(),
        )
        .unwrap();
        assert!(!catalog.has_important_controls());
        let list = "id,note\n# the programme's list\n5.1.1.2.PB,platform\n\n";
        let official = with_important_controls(
            &catalog,
            "important.csv",
            list,
            "ISMAP-LIU list 2025",
            false,
        )
        .unwrap();
        let marked: Vec<String> = official
            .controls()
            .iter()
            .filter(|c| c.liu_important)
            .map(|c| c.id.to_string())
            .collect();
        assert_eq!(marked, ["5.1.1.2.PB"]);
        assert!(!official.important_controls_assumed());
        assert_eq!(
            official.info().important_controls.as_ref().unwrap().source,
            "ISMAP-LIU list 2025"
        );
        let error = with_important_controls(
            &catalog,
            "important.csv",
            "5.1.1.2\n9.9.9\nfive\n5.1.1.2.PB\n",
            "x",
            false,
        )
        .unwrap_err();
        let lines: Vec<u32> = error.problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, [2, 3, 4], "{error}");
        assert!(error.to_string().contains("important.csv:2"), "{error}");
        let error = with_important_controls(&catalog, "i.csv", "5.1.1\n", " ", false).unwrap_err();
        assert!(error.to_string().contains("source"), "{error}");
    }
}
