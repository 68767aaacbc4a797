//! A plain table as an Excel workbook: a bold header row, frozen, with a
//! filter, every cell text. For downloads of lists people sort and filter
//! in Excel (the public cloud service lists). Cells that a spreadsheet
//! could read as formulas are kept text (`cells::write_text`).

use rust_xlsxwriter::{Format, Workbook, XlsxError};

pub fn table_to_xlsx(
    sheet: &str,
    headers: &[&str],
    rows: &[Vec<String>],
) -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    let bold = Format::new().set_bold();
    let plain = Format::new();
    let worksheet = workbook.add_worksheet().set_name(sheet)?;
    for (col, header) in headers.iter().enumerate() {
        worksheet.write_string_with_format(0, col as u16, *header, &bold)?;
        worksheet.set_column_width(col as u16, 20)?;
    }
    for (i, row) in rows.iter().enumerate() {
        for (col, value) in row.iter().enumerate() {
            crate::cells::write_text(worksheet, i as u32 + 1, col as u16, value, &plain)?;
        }
    }
    worksheet.set_freeze_panes(1, 0)?;
    if !headers.is_empty() {
        worksheet.autofilter(0, 0, rows.len() as u32, headers.len() as u16 - 1)?;
    }
    workbook.save_to_buffer()
}

#[cfg(test)]
mod tests {
    use calamine::{Reader, Xlsx, open_workbook_from_rs};

    #[test]
    fn a_table_reads_back_cell_for_cell() {
        let rows = vec![
            vec!["C26-0001-1".to_owned(), "サービス".to_owned()],
            vec!["L26-0002-1".to_owned(), "Service".to_owned()],
        ];
        let bytes = super::table_to_xlsx("list", &["number", "name"], &rows).unwrap();
        let mut book: Xlsx<_> = open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
        let range = book.worksheet_range("list").unwrap();
        assert_eq!(range.height(), 3);
        assert_eq!(range.get((1, 1)).unwrap().to_string(), "サービス");
        assert_eq!(range.get((2, 0)).unwrap().to_string(), "L26-0002-1");
    }
}
