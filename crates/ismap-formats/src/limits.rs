//! The limits on what ismap reads from users, in one place (issue 12,
//! items 1 and 16). Every reader of user input (XML, JSON, YAML, XLSX, CSV,
//! id lists) stays within them, and going past one is a [`SourceError`]
//! whose [`SourceError::limit`] names the limit: the portal answers 422 with
//! the message, the CLI exits 2.
//!
//! Why limits at all: our readers build trees and then walk them
//! recursively, and a tree is dropped recursively too; 5,000 nested XML
//! elements overflowed the stack and aborted the whole server. A spreadsheet
//! is a zip: 25 MB can unzip to gigabytes.

use std::fmt;
use std::io::Read;
use std::path::Path;

use ismap_i18n::Messages;

use crate::source::{SourceError, SourceProblem};

/// Nesting depth of JSON arrays and objects and of YAML collections.
/// serde_json stops at 128 levels on its own (its recursion limit, which we
/// never disable); YAML gets the same bound through serde-saphyr's budget.
pub const MAX_NESTING: usize = 128;

/// Nesting depth of XML elements. Each OSCAL element becomes an object in
/// an array of the JSON shape, so 64 elements stay within the JSON bound.
/// FedRAMP's and NIST's XML files (../shared/data) nest at most 10 deep.
pub const MAX_XML_DEPTH: usize = 64;

/// The largest file a command reads unless told otherwise (the CLI's
/// `--max-input-mib`, `ISMAP_MAX_INPUT_MIB`). NIST's SP 800-53 catalog, the
/// largest file we know users give, is about 10 MB.
pub const DEFAULT_MAX_INPUT_BYTES: u64 = 64 << 20;

/// How much all the parts of an .xlsx workbook may unzip to, by default.
pub const DEFAULT_MAX_XLSX_UNZIPPED_BYTES: u64 = 64 << 20;

/// The most cells a worksheet's used area (first to last row and column)
/// may span: the spreadsheet reader makes a dense grid of it, 32 bytes a
/// cell. The ISMAP control standard spans about 20,000.
pub const MAX_XLSX_CELLS: u64 = 2_000_000;

/// Which limit an input went past.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Limit {
    /// Nested deeper than `max` levels (JSON, YAML, XML).
    Depth { max: usize },
    /// A file larger than `max` bytes.
    Size { max: u64 },
    /// A workbook whose parts unzip to more than `max` bytes.
    Unzipped { max: u64 },
    /// A worksheet whose used area spans more than `max` cells.
    Cells { max: u64 },
    /// One of serde-saphyr's YAML budgets (aliases, anchors, nodes, …):
    /// `what` is the budget's name.
    YamlBudget { what: &'static str },
}

impl Limit {
    fn message_id(self) -> &'static str {
        match self {
            Limit::Depth { .. } => "limits-depth",
            Limit::Size { .. } => "limits-size",
            Limit::Unzipped { .. } => "limits-unzipped",
            Limit::Cells { .. } => "limits-cells",
            Limit::YamlBudget { .. } => "limits-yaml-budget",
        }
    }

    fn args(self) -> Vec<(&'static str, String)> {
        match self {
            Limit::Depth { max } => vec![("max", max.to_string())],
            Limit::Size { max } | Limit::Unzipped { max } => {
                vec![("max", max.to_string()), ("mib", (max >> 20).to_string())]
            }
            Limit::Cells { max } => vec![("max", max.to_string())],
            Limit::YamlBudget { what } => vec![("what", what.to_owned())],
        }
    }

    /// The limit in words, Japanese then English.
    pub fn text(self) -> String {
        let both = Messages::get().both(self.message_id(), &self.args());
        format!("{} / {}", both.ja, both.en)
    }
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text())
    }
}

/// The error for `file` going past `limit` at `line` (0: unknown).
pub fn exceeded(file: &str, line: u32, limit: Limit) -> SourceError {
    SourceError {
        problems: vec![SourceProblem {
            file: file.to_owned(),
            line,
            column: 0,
            field: String::new(),
            message: limit.text(),
        }],
        limit: Some(limit),
    }
}

/// Reads at most `max` bytes from `reader`: one byte more than `max` is
/// an error naming the limit. Works on pipes and on endless devices such
/// as `/dev/zero`, which report no size.
pub fn read_bounded(file: &str, reader: impl Read, max: u64) -> Result<Vec<u8>, SourceError> {
    let mut bytes = Vec::new();
    reader
        .take(max.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| SourceError::whole_file(file, format!("cannot read the file: {e}")))?;
    if bytes.len() as u64 > max {
        return Err(exceeded(file, 0, Limit::Size { max }));
    }
    Ok(bytes)
}

/// Reads the file at `path`, at most `max` bytes. A regular file that is
/// larger is refused before any of it is read.
pub fn read_file(path: &Path, max: u64) -> Result<Vec<u8>, SourceError> {
    let name = path.display().to_string();
    let file = std::fs::File::open(path)
        .map_err(|e| SourceError::whole_file(&name, format!("cannot read the file: {e}")))?;
    check_declared_size(&name, &file, max)?;
    read_bounded(&name, file, max)
}

/// Refuses a regular file whose size is past `max` (devices and pipes
/// report 0 and are bounded while read).
pub(crate) fn check_declared_size(
    name: &str,
    file: &std::fs::File,
    max: u64,
) -> Result<(), SourceError> {
    let len = file
        .metadata()
        .map_err(|e| SourceError::whole_file(name, format!("cannot read the file: {e}")))?
        .len();
    if len > max {
        return Err(exceeded(name, 0, Limit::Size { max }));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io;

    #[test]
    fn a_limit_is_named_in_both_languages_with_its_number() {
        let text = Limit::Depth { max: 64 }.text();
        assert!(text.contains("64"), "{text}");
        let (ja, en) = text.split_once(" / ").unwrap();
        assert!(en.contains("depth"), "{en}");
        assert!(!ja.is_ascii(), "{ja}");
        let size = Limit::Size { max: 64 << 20 }.text();
        assert!(
            size.contains("67108864") && size.contains("64 MiB"),
            "{size}"
        );
    }

    #[test]
    fn reading_stops_one_byte_past_the_limit() {
        let ok = read_bounded("f", &b"abcd"[..], 4).unwrap();
        assert_eq!(ok, b"abcd");
        let error = read_bounded("f", io::repeat(0), 1000).unwrap_err();
        assert_eq!(error.limit, Some(Limit::Size { max: 1000 }));
        assert!(error.to_string().contains("1000"), "{error}");
    }

    #[test]
    fn an_endless_device_is_refused_at_the_limit() {
        let error = read_file(Path::new("/dev/zero"), 1 << 20).unwrap_err();
        assert_eq!(error.limit, Some(Limit::Size { max: 1 << 20 }));
        assert!(error.to_string().starts_with("/dev/zero: "), "{error}");
    }

    #[test]
    fn a_large_regular_file_is_refused_before_it_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.yaml");
        std::fs::write(&path, vec![b'a'; 2000]).unwrap();
        let error = read_file(&path, 1999).unwrap_err();
        assert_eq!(error.limit, Some(Limit::Size { max: 1999 }));
        assert_eq!(read_file(&path, 2000).unwrap().len(), 2000);
    }
}
