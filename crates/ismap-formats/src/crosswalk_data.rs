//! The crosswalk data embedded in the binary (crates/ismap-formats/data/),
//! read into a checked [`Crosswalk`]. How the files are made:
//! [`crate::crosswalk_derive`]; what they mean: docs/crosswalk.md.

use std::sync::OnceLock;

use ismap_domain::crosswalk::{Crosswalk, CrosswalkList, Link, Listing, ObjectiveMapping};

use crate::source::{SourceError, SourceProblem};

pub const OBJECTIVES_FILE: &str = "crosswalk-ismap-iso27001-2013.csv";
pub const LINKS_FILE: &str = "crosswalk-iso27001-2013-sp800-53r5.csv";
pub const OBJECTIVES_TEXT: &str = include_str!("../data/crosswalk-ismap-iso27001-2013.csv");
pub const LINKS_TEXT: &str = include_str!("../data/crosswalk-iso27001-2013-sp800-53r5.csv");

/// The embedded crosswalk, read and checked once. Broken embedded data is a
/// build defect, caught by this crate's tests.
pub fn bundled_crosswalk() -> &'static Crosswalk {
    static CROSSWALK: OnceLock<Crosswalk> = OnceLock::new();
    CROSSWALK.get_or_init(|| {
        load(OBJECTIVES_FILE, OBJECTIVES_TEXT, LINKS_FILE, LINKS_TEXT)
            .unwrap_or_else(|e| panic!("embedded crosswalk data is invalid:\n{e}"))
    })
}

fn problem(file: &str, line: u64, field: &str, message: impl Into<String>) -> SourceProblem {
    SourceProblem {
        file: file.to_owned(),
        line: u32::try_from(line).unwrap_or(u32::MAX),
        column: 0,
        field: field.to_owned(),
        message: message.into(),
    }
}

/// Reads a CSV with `#` comment lines and exactly these columns; returns
/// each record with its line.
fn records(
    file: &str,
    text: &str,
    columns: &[&str],
    problems: &mut Vec<SourceProblem>,
) -> Vec<(u64, csv::StringRecord)> {
    let mut reader = csv::ReaderBuilder::new()
        .comment(Some(b'#'))
        .flexible(true)
        .from_reader(text.as_bytes());
    match reader.headers() {
        Ok(headers) if headers.iter().eq(columns.iter().copied()) => {}
        Ok(headers) => {
            let line = headers.position().map_or(0, |p| p.line());
            problems.push(problem(
                file,
                line,
                "",
                format!("the columns must be {}", columns.join(",")),
            ));
            return Vec::new();
        }
        Err(e) => {
            problems.push(problem(file, 0, "", e.to_string()));
            return Vec::new();
        }
    }
    let mut out = Vec::new();
    for record in reader.records() {
        match record {
            Ok(r) => {
                let line = r.position().map_or(0, |p| p.line());
                if r.len() != columns.len() {
                    problems.push(problem(
                        file,
                        line,
                        "",
                        format!("expected {} fields, found {}", columns.len(), r.len()),
                    ));
                } else {
                    out.push((line, r));
                }
            }
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                problems.push(problem(file, line, "", e.to_string()));
            }
        }
    }
    out
}

fn listing(text: &str) -> Option<Listing> {
    match text {
        "no" => Some(Listing::NotListed),
        "yes" => Some(Listing::Listed),
        "yes*" => Some(Listing::Asterisk),
        _ => None,
    }
}

/// Reads both files; every problem is reported with its file and line.
pub fn load(
    objectives_file: &str,
    objectives_text: &str,
    links_file: &str,
    links_text: &str,
) -> Result<Crosswalk, SourceError> {
    let mut problems = Vec::new();
    let mut objectives = Vec::new();
    let mut objective_lines = Vec::new();
    for (line, r) in records(
        objectives_file,
        objectives_text,
        &["ismap_objective", "iso27001_2013", "note"],
        &mut problems,
    ) {
        let ismap = r[0]
            .parse()
            .map_err(|e| problem(objectives_file, line, "ismap_objective", format!("{e}")));
        let iso = match r[1].trim() {
            "" => Ok(None),
            text => text
                .parse()
                .map(Some)
                .map_err(|e| problem(objectives_file, line, "iso27001_2013", format!("{e}"))),
        };
        match (ismap, iso) {
            (Ok(ismap), Ok(iso27001)) => {
                objectives.push(ObjectiveMapping {
                    ismap,
                    iso27001,
                    note: r[2].trim().to_owned(),
                });
                objective_lines.push(line);
            }
            (a, b) => problems.extend(a.err().into_iter().chain(b.err())),
        }
    }
    let mut links = Vec::new();
    let mut link_lines = Vec::new();
    for (line, r) in records(
        links_file,
        links_text,
        &["iso27001_2013", "sp800_53r5", "table1", "table2"],
        &mut problems,
    ) {
        let iso = r[0]
            .parse()
            .map_err(|e| problem(links_file, line, "iso27001_2013", format!("{e}")));
        let nist = r[1]
            .parse()
            .map_err(|e| problem(links_file, line, "sp800_53r5", format!("{e}")));
        let table = |i: usize, field: &str| {
            listing(r[i].trim()).ok_or_else(|| {
                problem(
                    links_file,
                    line,
                    field,
                    format!("{:?} is not yes, yes* or no", &r[i]),
                )
            })
        };
        match (iso, nist, table(2, "table1"), table(3, "table2")) {
            (Ok(iso27001), Ok(nist), Ok(table1), Ok(table2)) => {
                links.push(Link {
                    iso27001,
                    nist,
                    table1,
                    table2,
                });
                link_lines.push(line);
            }
            (a, b, c, d) => problems.extend(
                a.err()
                    .into_iter()
                    .chain(b.err())
                    .chain(c.err())
                    .chain(d.err()),
            ),
        }
    }
    if !problems.is_empty() {
        return Err(SourceError::new(problems));
    }
    Crosswalk::build(objectives, links).map_err(|found| SourceError {
        problems: found
            .iter()
            .map(|p| {
                let (list, row) = p.place();
                let (file, lines) = match list {
                    CrosswalkList::Objectives => (objectives_file, &objective_lines),
                    CrosswalkList::Links => (links_file, &link_lines),
                };
                let line = lines.get(row.wrapping_sub(1)).copied().unwrap_or(0);
                problem(file, line, "", p.to_string())
            })
            .collect(),
        limit: None,
    })
}
