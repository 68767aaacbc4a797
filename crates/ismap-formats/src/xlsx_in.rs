//! Opening a user's .xlsx workbook within [`crate::limits`] (issue 12,
//! item 16). A workbook is a zip: a 25 MB file unzipped to gigabytes and the
//! CLI used 1.36 GB. Before calamine sees it, every part is unzipped into
//! nothing, counting bytes, and refused past the limit (whatever sizes the
//! zip declares); then sheets are read cell by cell, refusing a used area
//! that calamine would turn into a huge dense grid (two cells, at A1 and
//! XFD1048576, are 17 billion cells).

use std::io::{self, Cursor, Read};

use calamine::{Cell, Data, DataRef, Range, Xlsx, XlsxError, open_workbook_from_rs};

use crate::limits::{self, Limit, MAX_XLSX_CELLS};
use crate::source::SourceError;

/// The workbook in `bytes`, once its parts are known to unzip to at most
/// `max_unzipped` bytes in all.
pub(crate) fn open<'b>(
    file: &str,
    bytes: &'b [u8],
    max_unzipped: u64,
) -> Result<Xlsx<Cursor<&'b [u8]>>, SourceError> {
    check_unzipped(file, bytes, max_unzipped)?;
    open_workbook_from_rs(Cursor::new(bytes))
        .map_err(|e| SourceError::whole_file(file, format!("not an Excel workbook (.xlsx): {e}")))
}

fn not_a_workbook(file: &str, e: impl std::fmt::Display) -> SourceError {
    SourceError::whole_file(file, format!("not an Excel workbook (.xlsx): {e}"))
}

/// Unzips every part into nothing, at most `max` bytes in all.
fn check_unzipped(file: &str, bytes: &[u8], max: u64) -> Result<(), SourceError> {
    let mut archive =
        zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| not_a_workbook(file, e))?;
    // The sizes the zip declares refuse most bombs without unzipping them.
    if archive
        .decompressed_size()
        .is_some_and(|declared| declared > u128::from(max))
    {
        return Err(limits::exceeded(file, 0, Limit::Unzipped { max }));
    }
    let mut left = max;
    for i in 0..archive.len() {
        let part = archive.by_index(i).map_err(|e| not_a_workbook(file, e))?;
        let read = count(part.take(left.saturating_add(1)));
        if read > left {
            return Err(limits::exceeded(file, 0, Limit::Unzipped { max }));
        }
        left -= read;
    }
    Ok(())
}

/// The bytes `reader` gives until its end or its first error. A damaged
/// part (a wrong checksum, found only at its end) is left for calamine to
/// judge as before: here only the size matters, and an error stops the
/// unzipping as surely as the end does.
fn count(mut reader: impl Read) -> u64 {
    let mut buffer = [0u8; 64 * 1024];
    let mut total = 0u64;
    loop {
        match reader.read(&mut buffer) {
            Ok(0) => return total,
            Ok(n) => total += n as u64,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => return total,
        }
    }
}

/// The sheet `name`, refused when its used area spans more than
/// [`MAX_XLSX_CELLS`]. What calamine's `worksheet_range` gives, without its
/// unbounded grid.
pub(crate) fn sheet(
    workbook: &mut Xlsx<Cursor<&[u8]>>,
    file: &str,
    name: &str,
) -> Result<Range<Data>, SourceError> {
    let no_sheet = || SourceError::whole_file(file, format!("the workbook has no sheet {name:?}"));
    let mut reader = match workbook.worksheet_cells_reader(name) {
        Ok(reader) => reader,
        Err(XlsxError::NotAWorksheet(_)) => return Ok(Range::default()),
        Err(_) => return Err(no_sheet()),
    };
    let too_many = || {
        limits::exceeded(
            file,
            0,
            Limit::Cells {
                max: MAX_XLSX_CELLS,
            },
        )
    };
    let mut cells = Vec::new();
    let (mut first, mut last) = ((u32::MAX, u32::MAX), (0, 0));
    loop {
        let cell = match reader.next_cell() {
            Ok(Some(cell)) => cell,
            Ok(None) => break,
            Err(e) => {
                return Err(SourceError::whole_file(
                    file,
                    format!("sheet {name:?} cannot be read: {e}"),
                ));
            }
        };
        if matches!(cell.get_value(), DataRef::Empty) {
            continue;
        }
        let (row, col) = cell.get_position();
        first = (first.0.min(row), first.1.min(col));
        last = (last.0.max(row), last.1.max(col));
        let area = u64::from(last.0 - first.0 + 1) * u64::from(last.1 - first.1 + 1);
        if area > MAX_XLSX_CELLS {
            return Err(too_many());
        }
        cells.push(Cell::new((row, col), Data::from(cell.get_value().clone())));
    }
    Ok(Range::from_sparse(cells))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// A workbook whose one sheet part unzips to `sheet_bytes` or more.
    fn workbook_with_sheet_of(sheet_bytes: usize) -> Vec<u8> {
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        zip.start_file("xl/worksheets/sheet1.xml", options).unwrap();
        let row = b"<c r=\"A1\"><v>1</v></c>";
        for _ in 0..sheet_bytes / row.len() + 1 {
            zip.write_all(row).unwrap();
        }
        zip.finish().unwrap().into_inner()
    }

    #[test]
    fn parts_that_unzip_past_the_limit_are_refused_naming_it() {
        let bytes = workbook_with_sheet_of(4 << 20);
        assert!(bytes.len() < 100_000, "{} bytes", bytes.len());
        let error = check_unzipped("bomb.xlsx", &bytes, 1 << 20).unwrap_err();
        assert_eq!(error.limit, Some(Limit::Unzipped { max: 1 << 20 }));
        assert!(error.to_string().contains("1048576"), "{error}");
        check_unzipped("bomb.xlsx", &bytes, 8 << 20).unwrap();
    }
}
