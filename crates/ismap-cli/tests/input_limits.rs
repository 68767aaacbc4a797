//! Issue 12, items 1 and 16: input past a limit is refused with exit
//! status 2 and a message naming the limit, never a crash (5,000 nested
//! XML elements aborted `ismap oscal validate` with SIGABRT) and never an
//! unbounded read (`ismap statement validate /dev/zero` read 4.2 GB; a
//! 25 MB spreadsheet bomb took 1.36 GB).

mod common;

use std::io::{Cursor, Write};
use std::path::Path;
use std::process::{Command, Output};

use common::{ismap, stderr};

fn deep_xml(groups: usize) -> String {
    let mut xml = String::from(
        "<?xml version=\"1.0\"?>\n<catalog xmlns=\"http://csrc.nist.gov/ns/oscal/1.0\" uuid=\"u\">\n",
    );
    for i in 0..groups {
        xml.push_str(&format!("<group id=\"g{i}\">"));
    }
    xml.push_str(&"</group>".repeat(groups));
    xml.push_str("\n</catalog>\n");
    xml
}

fn assert_refused(output: &Output, names: &[&str]) {
    let err = stderr(output);
    assert_eq!(output.status.code(), Some(2), "{err}");
    for name in names {
        assert!(err.contains(name), "stderr names {name:?}: {err}");
    }
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn oscal_validate_of_xml_nested_5000_deep_exits_2_naming_the_depth_limit() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("deep.xml");
    std::fs::write(&path, deep_xml(5000)).unwrap();
    let file = path.display().to_string();
    for command in ["validate", "show"] {
        let output = ismap(&["--lang", "en", "oscal", command, &file]);
        assert_refused(&output, &["deep.xml:3", "nested too deeply", "depth 64"]);
    }
    // Japanese by default, English after it.
    let output = ismap(&["oscal", "validate", &file]);
    assert_refused(&output, &["入れ子が深すぎます", "depth 64"]);
    // The crosswalk reads the same file through the holdings reader.
    let output = ismap(&["crosswalk", "--fedramp-baseline", &file]);
    assert_refused(&output, &["depth 64"]);
}

#[test]
fn oscal_validate_of_json_nested_100000_deep_exits_2_naming_the_depth_limit() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("deep.json");
    let json = format!(
        "{{\"catalog\": {}{}}}",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    std::fs::write(&path, json).unwrap();
    let output = ismap(&["oscal", "validate", &path.display().to_string()]);
    assert_refused(&output, &["deep.json", "depth 128"]);
}

#[test]
fn statement_validate_of_dev_zero_stops_at_the_size_limit() {
    let output = ismap(&["statement", "validate", "/dev/zero"]);
    assert_refused(&output, &["/dev/zero", "67108864", "--max-input-mib"]);
    // The flag and the variable move the limit.
    let output = ismap(&["--max-input-mib", "1", "statement", "validate", "/dev/zero"]);
    assert_refused(&output, &["1048576"]);
    let output = Command::new(env!("CARGO_BIN_EXE_ismap"))
        .args(["oscal", "validate", "/dev/zero"])
        .env("ISMAP_MAX_INPUT_MIB", "2")
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert_refused(&output, &["2097152"]);
    let output = ismap(&["--max-input-mib", "0", "statement", "validate", "/dev/zero"]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
}

#[test]
fn every_file_argument_is_bounded_by_the_size_limit() {
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.yaml");
    std::fs::write(&big, vec![b'#'; (1 << 20) + 1]).unwrap();
    let big = big.display().to_string();
    for args in [
        vec!["statement", "validate", &big],
        vec!["statement", "export", &big],
        vec!["statement", "import", &big],
        vec!["catalog", "check", &big],
        vec!["catalog", "list", "--pack", &big],
        vec!["crosswalk", "--nist-controls", &big],
        vec!["crosswalk", "--fedramp-baseline", &big],
        vec!["oscal", "validate", &big],
        vec!["oscal", "show", &big],
    ] {
        let mut all = vec!["--max-input-mib", "1"];
        all.extend(args.iter().copied());
        let output = ismap(&all);
        assert_refused(&output, &["big.yaml", "1048576"]);
    }
}

/// A valid workbook whose sheet part unzips to `sheet_bytes` of repeated
/// cells: a spreadsheet bomb of a few hundred KB.
fn xlsx_bomb(sheet_bytes: usize) -> Vec<u8> {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    workbook.add_worksheet().set_name("言明書").unwrap();
    let valid = workbook.save_to_buffer().unwrap();
    let mut source = zip::ZipArchive::new(Cursor::new(valid)).unwrap();
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for i in 0..source.len() {
        let part = source.by_index_raw(i).unwrap();
        if part.name().unwrap() != "xl/worksheets/sheet1.xml" {
            out.raw_copy_file(part).unwrap();
        }
    }
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .compression_level(Some(9))
        .large_file(true);
    out.start_file("xl/worksheets/sheet1.xml", options).unwrap();
    out.write_all(b"<?xml version=\"1.0\" encoding=\"UTF-8\"?><worksheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\"><sheetData>").unwrap();
    // One row over and over (the reader takes the last of repeated cells):
    // deflate shrinks it a thousandfold.
    let rows =
        "<row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>lol</t></is></c></row>".repeat(4096);
    for _ in 0..sheet_bytes / rows.len() + 1 {
        out.write_all(rows.as_bytes()).unwrap();
    }
    out.write_all(b"</sheetData></worksheet>").unwrap();
    out.finish().unwrap().into_inner()
}

fn import(args: &[&str], bomb: &Path) -> Output {
    let mut all = vec!["--lang", "en"];
    all.extend_from_slice(args);
    all.push(bomb.to_str().unwrap());
    ismap(&all)
}

#[test]
fn a_spreadsheet_bomb_is_refused_naming_the_unzipped_limit() {
    let dir = tempfile::tempdir().unwrap();
    let bomb = dir.path().join("bomb.xlsx");
    // 256 MiB of sheet, four times the default limit of 64 MiB.
    let started = std::time::Instant::now();
    let bytes = xlsx_bomb(256 << 20);
    eprintln!(
        "bomb of {} bytes built in {:?}",
        bytes.len(),
        started.elapsed()
    );
    assert!(bytes.len() < 1 << 20, "{} bytes", bytes.len());
    std::fs::write(&bomb, bytes).unwrap();
    let names = ["bomb.xlsx", "unzips to more than", "67108864"];
    assert_refused(&import(&["statement", "import"], &bomb), &names);
    let out = dir.path().join("out.yaml");
    let output = import(
        &[
            "catalog",
            "import",
            "--id",
            "x",
            "--version",
            "1",
            "--quiet",
            "--output",
            out.to_str().unwrap(),
        ],
        &bomb,
    );
    assert_refused(&output, &names);
    assert!(!out.exists());
}

#[test]
fn the_unzipped_limit_moves_with_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    let bomb = dir.path().join("small.xlsx");
    std::fs::write(&bomb, xlsx_bomb(3 << 20)).unwrap();
    let output = import(&["--max-input-mib", "2", "statement", "import"], &bomb);
    assert_refused(&output, &["small.xlsx", "2097152"]);
    // Within a larger limit the reader goes on (and finds no statement in
    // the sheet): the limit is what refused it above.
    let output = import(&["--max-input-mib", "8", "statement", "import"], &bomb);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        !stderr(&output).contains("unzips to more than"),
        "{}",
        stderr(&output)
    );
}
