//! Cells of the spreadsheets and CSV files we write, made safe to open
//! (OWASP "CSV injection", issue 12 item 7): a spreadsheet treats text that
//! begins with `=`, `+`, `-` or `@` (and, in some, a tab or carriage return
//! before one) as a formula, so that a service name such as
//! `=HYPERLINK("http://evil","x")` would run in the reader's spreadsheet.
//!
//! - CSV has no types: such a cell gets a leading `'`, which spreadsheets
//!   show as text (the OWASP advice).
//! - XLSX cells are written as strings (`write_string`, never `write` or
//!   `write_formula` for data), which no spreadsheet evaluates; such a cell
//!   also gets Excel's "quote prefix" style, so that editing it does not
//!   turn it into a formula either. The stored text is unchanged, so the
//!   statement workbook still reads back exactly.
//!
//! Numbers we write as text (counts, "-3") are left alone: a plain decimal
//! number is never a formula.

use std::borrow::Cow;

use rust_xlsxwriter::{Format, Worksheet, XlsxError};

/// Whether a spreadsheet could read `text` as a formula.
pub fn is_formula_like(text: &str) -> bool {
    matches!(
        text.chars().next(),
        Some('=' | '+' | '-' | '@' | '\t' | '\r')
    ) && !is_plain_number(text)
}

/// `[+-]digits[.digits]`: what we write for numbers; harmless in any reader.
fn is_plain_number(text: &str) -> bool {
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
    let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, "0"));
    !whole.is_empty()
        && !fraction.is_empty()
        && whole.bytes().all(|b| b.is_ascii_digit())
        && fraction.bytes().all(|b| b.is_ascii_digit())
}

/// The text of a CSV cell as written: with a leading `'` when a
/// spreadsheet could read it as a formula, otherwise unchanged.
pub fn csv_safe(text: &str) -> Cow<'_, str> {
    if is_formula_like(text) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

/// Writes `text` as a string cell with `format`, adding the quote prefix
/// when a spreadsheet could read it as a formula (see the module comment).
pub fn write_text(
    sheet: &mut Worksheet,
    row: u32,
    col: u16,
    text: &str,
    format: &Format,
) -> Result<(), XlsxError> {
    if is_formula_like(text) {
        sheet.write_string_with_format(row, col, text, &format.clone().set_quote_prefix())?;
    } else {
        sheet.write_string_with_format(row, col, text, format)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
    use rust_xlsxwriter::Workbook;

    #[test]
    fn formula_starters_get_a_quote_in_csv() {
        for text in [
            "=HYPERLINK(\"http://evil\",\"x\")",
            "+1+1",
            "-2+3+cmd|' /C calc'!A0",
            "@SUM(A1:A2)",
            "\t=1+1",
            "\r=1+1",
            "-",
            "+",
            "=",
            "-1e5",
            "-inf",
            "--1",
            "-1.",
            "-.5",
        ] {
            assert_eq!(csv_safe(text), format!("'{text}"), "{text:?}");
        }
    }

    #[test]
    fn other_text_and_plain_numbers_are_unchanged() {
        for text in [
            "",
            "サービス",
            "Sample Service",
            "C24-0001-1",
            "2026-04-01",
            " =1+1",
            "'=1+1",
            "a=b",
            "42",
            "-3",
            "+7",
            "-12.50",
            "true",
        ] {
            assert!(
                matches!(csv_safe(text), Cow::Borrowed(t) if t == text),
                "{text:?}"
            );
        }
    }

    #[test]
    fn xlsx_cells_stay_strings_with_their_text() {
        let mut workbook = Workbook::new();
        let sheet = workbook.add_worksheet().set_name("s").unwrap();
        let texts = ["=HYPERLINK(\"http://evil\",\"x\")", "@A1", "-3", "plain"];
        for (i, text) in texts.iter().enumerate() {
            write_text(sheet, i as u32, 0, text, &Format::new()).unwrap();
        }
        let bytes = workbook.save_to_buffer().unwrap();
        let mut book: Xlsx<_> = open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
        let values = book.worksheet_range("s").unwrap();
        let formulas = book.worksheet_formula("s").unwrap();
        for (i, text) in texts.iter().enumerate() {
            assert_eq!(
                values.get((i, 0)),
                Some(&Data::String((*text).to_owned())),
                "{text:?} reads back as the same string"
            );
            assert!(
                formulas.get((i, 0)).is_none_or(|f: &String| f.is_empty()),
                "{text:?} is no formula"
            );
        }
    }
}
