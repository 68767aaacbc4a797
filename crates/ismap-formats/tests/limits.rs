//! Issue 12, items 1 and 16: every reader of user input refuses input past
//! its nesting and size limits with an error naming the limit, instead of
//! overflowing the stack (5,000 nested XML elements aborted the portal) or
//! memory (a spreadsheet bomb). These run on test threads (2 MiB of stack),
//! where the unbounded readers crashed the whole test binary.

use std::io::{Cursor, Write};

use ismap_formats::catalog_pack::load_pack;
use ismap_formats::catalog_xlsx::{Mapping, NewCatalog, import_catalog};
use ismap_formats::limits::{Limit, MAX_NESTING, MAX_XLSX_CELLS, MAX_XML_DEPTH};
use ismap_formats::nist_holdings::read_holdings;
use ismap_formats::oscal_in::{document, validate_json_fast};
use ismap_formats::registry_file::parse_registry;
use ismap_formats::statement_file::parse_statement;
use ismap_formats::statement_xlsx::{from_xlsx, from_xlsx_limited};
use ismap_formats::{SourceError, catalog_xlsx};

const DEPTH: Limit = Limit::Depth { max: MAX_NESTING };

/// An OSCAL XML catalog with `groups` nested `<group>` elements: 5,000 of
/// them is the 75 KB file that aborted the portal.
pub fn deep_xml(groups: usize) -> String {
    let mut xml = String::from(
        "<?xml version=\"1.0\"?>\n<catalog xmlns=\"http://csrc.nist.gov/ns/oscal/1.0\" uuid=\"u\">\n",
    );
    for i in 0..groups {
        xml.push_str(&format!("<group id=\"g{i}\">"));
    }
    xml.push_str("<control id=\"ac-1\"><title>t</title></control>");
    xml.push_str(&"</group>".repeat(groups));
    xml.push_str("\n</catalog>\n");
    xml
}

fn assert_names(error: &SourceError, limit: Limit, number: &str) {
    assert_eq!(error.limit, Some(limit), "{error}");
    let text = error.to_string();
    assert!(text.contains(number), "the message names the limit: {text}");
    assert!(text.contains(" / "), "Japanese then English: {text}");
}

#[test]
fn xml_nested_5000_deep_is_refused_naming_the_depth_limit() {
    let xml = deep_xml(5000);
    assert!(xml.len() > 70_000, "{} bytes", xml.len());
    let error = document::parse("deep.xml", xml.as_bytes()).unwrap_err();
    assert_names(&error, Limit::Depth { max: MAX_XML_DEPTH }, "64");
    assert!(error.to_string().starts_with("deep.xml:3:"), "{error}");
    // The crosswalk's holdings reader (the portal's anonymous upload).
    let error = read_holdings("deep.xml", xml.as_bytes()).unwrap_err();
    assert_eq!(error.limit, Some(Limit::Depth { max: MAX_XML_DEPTH }));
}

#[test]
fn xml_at_the_depth_limit_still_reads() {
    // The root, 61 groups, the control and its title: 64 elements deep.
    let doc = document::parse("ok.xml", deep_xml(MAX_XML_DEPTH - 3).as_bytes()).unwrap();
    assert_eq!(doc.model, document::Model::Catalog);
    let error = document::parse("deep.xml", deep_xml(MAX_XML_DEPTH - 2).as_bytes()).unwrap_err();
    assert_eq!(error.limit, Some(Limit::Depth { max: MAX_XML_DEPTH }));
}

#[test]
fn json_100000_nested_arrays_are_refused_naming_the_depth_limit() {
    let deep = format!(
        "{{\"catalog\": {}{}}}",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    // The one-pass check leaves it to the full reader, which names the limit.
    assert!(validate_json_fast("deep.json", deep.as_bytes()).is_none());
    let error = document::parse("deep.json", deep.as_bytes()).unwrap_err();
    assert_names(&error, DEPTH, "128");
    let error = read_holdings("deep.json", deep.as_bytes()).unwrap_err();
    assert_eq!(error.limit, Some(DEPTH));
    // A statement may be JSON too (read as YAML flow style).
    let statement = format!(
        "{{\"service\": {}{}}}",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let error = parse_statement("deep.json", &statement).unwrap_err();
    assert_names(&error, DEPTH, "128");
}

#[test]
fn json_nested_deeply_in_a_member_no_check_reads_is_refused_by_both_paths() {
    // Found by the fuzzer (oscal_validate): the one-pass check skipped an
    // unchecked member without counting its nesting.
    let deep = format!(
        "{{\"catalog\": {{\"uuid\": \"u\", \"x\": {}{}}}}}",
        "[".repeat(200),
        "]".repeat(200)
    );
    assert!(validate_json_fast("deep.json", deep.as_bytes()).is_none());
    let error = document::parse("deep.json", deep.as_bytes()).unwrap_err();
    assert_eq!(error.limit, Some(DEPTH));
}

#[test]
fn yaml_nested_deeply_is_refused_naming_the_depth_limit() {
    let mut block = String::new();
    for i in 0..10_000 {
        block.push_str(&" ".repeat(i));
        block.push_str("a:\n");
    }
    let flow = format!("service: {}{}\n", "[".repeat(100_000), "]".repeat(100_000));
    let mixed = format!(
        "service: {}1{}\n",
        "{a: [".repeat(5_000),
        "]}".repeat(5_000)
    );
    // The readers' typed shapes stop nesting where they expect no
    // collection, and the YAML nesting bound (yaml.rs, tested there on an
    // untyped value) where they do: an error naming the file either way.
    for (name, text) in [("flow", &flow), ("mixed", &mixed)] {
        for error in [
            parse_statement(name, text).unwrap_err(),
            load_pack(name, text).unwrap_err(),
        ] {
            assert!(error.to_string().starts_with(name), "{error}");
            assert!(matches!(error.limit, None | Some(DEPTH)), "{error}");
        }
    }
    let error = parse_registry("flow.json", &format!("[{}", &flow[9..])).unwrap_err();
    assert_eq!(error.limit, Some(DEPTH), "{error}");
    // A block mapping is read as deep as the reader's shape goes, and the
    // shape stops it (the YAML budget would at depth 128); either way an
    // error, not a crash.
    let error = parse_statement("block", &format!("service:\n  a:\n{block}")).unwrap_err();
    assert!(error.to_string().starts_with("block:"), "{error}");
}

/// "Billion laughs": ten aliases of ten aliases of … a string.
fn alias_bomb() -> String {
    let mut text = String::from(
        "a0: &a0 [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    for i in 1..10 {
        let previous = format!("*a{}", i - 1);
        let refs = [previous.as_str(); 10].join(",");
        text.push_str(&format!("a{i}: &a{i} [{refs}]\n"));
    }
    text
}

#[test]
fn yaml_alias_bombs_are_refused_naming_a_budget() {
    let bomb = alias_bomb();
    // The readers' shapes refuse the bomb's keys before anything expands…
    for read in [
        |t: &str| parse_statement("bomb.yaml", t).map(|_| ()),
        |t: &str| load_pack("bomb.yaml", t).map(|_| ()),
        |t: &str| catalog_xlsx::parse_mapping("bomb.yaml", t).map(|_| ()),
    ] {
        assert!(read(&bomb).is_err());
    }
    // …and where a reader takes what an alias stands for (registry rows),
    // the YAML budget stops the expansion.
    let row = r#"{"registration_number": "C21-0008-2", "service_name": "s", "valid_from": "2024-01-01", "valid_until": "2025-01-01"}"#;
    let rows = format!("[&r {row}{}]", ", *r".repeat(1000));
    let error = parse_registry("bomb.json", &rows).unwrap_err();
    assert!(
        matches!(error.limit, Some(Limit::YamlBudget { .. })),
        "{error}"
    );
    assert!(error.to_string().contains("YAML"), "{error}");
    // A few aliases are fine.
    let few = format!("[&r {row}{}]", ", *r".repeat(3));
    assert_eq!(error_limit(parse_registry("few.json", &few).err()), None);
}

fn error_limit(error: Option<SourceError>) -> Option<Limit> {
    error.and_then(|e| e.limit)
}

#[test]
fn csv_registry_with_a_huge_field_reads_without_trouble() {
    // CSV does not nest; its size is bounded where files are read (the
    // CLI's --max-input-mib, the portal's upload limit). A huge field is an
    // error about that row, not a crash.
    let header = "registration_number,service_name,valid_from,valid_until\n";
    let huge = format!("{header}X{},n,2024-01-01,2025-01-01\n", "9".repeat(8 << 20));
    let error = parse_registry("huge.csv", &huge).unwrap_err();
    let text = error.to_string();
    assert!(
        text.starts_with("huge.csv:2"),
        "{}",
        &text[..200.min(text.len())]
    );
    let huge_name = format!(
        "{header}C21-0008-2,{},2024-01-01,2025-01-01\n",
        "n".repeat(8 << 20)
    );
    assert!(parse_registry("huge-name.csv", &huge_name).is_ok());
}

/// A valid workbook (rust_xlsxwriter) whose sheet part is replaced by one
/// that unzips to `sheet_bytes` of repeated cells: a spreadsheet bomb.
pub fn xlsx_bomb(sheet_bytes: usize) -> Vec<u8> {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    workbook.add_worksheet().set_name("言明書").unwrap();
    let valid = workbook.save_to_buffer().unwrap();
    let mut source = zip::ZipArchive::new(Cursor::new(valid)).unwrap();
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(true);
    for i in 0..source.len() {
        let part = source.by_index_raw(i).unwrap();
        if part.name().unwrap() != "xl/worksheets/sheet1.xml" {
            out.raw_copy_file(part).unwrap();
        }
    }
    out.start_file("xl/worksheets/sheet1.xml", options).unwrap();
    out.write_all(b"<?xml version=\"1.0\" encoding=\"UTF-8\"?><worksheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\"><sheetData>").unwrap();
    let row = "<row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>lol</t></is></c></row>".repeat(1000);
    for _ in 0..sheet_bytes / row.len() + 1 {
        out.write_all(row.as_bytes()).unwrap();
    }
    out.write_all(b"</sheetData></worksheet>").unwrap();
    out.finish().unwrap().into_inner()
}

#[test]
fn xlsx_bombs_are_refused_naming_the_unzipped_limit() {
    let bomb = xlsx_bomb(6 << 20);
    assert!(bomb.len() < 200_000, "{} bytes", bomb.len());
    let max = 4 << 20;
    let error = from_xlsx_limited("bomb.xlsx", &bomb, max).unwrap_err();
    assert_names(&error, Limit::Unzipped { max }, "4194304");
    assert!(error.to_string().starts_with("bomb.xlsx: "), "{error}");
    // Within a larger limit, the same workbook is read (and found wanting
    // for other reasons): the limit is what refused it above.
    let error = from_xlsx_limited("bomb.xlsx", &bomb, 16 << 20).unwrap_err();
    assert_eq!(error.limit, None, "{error}");
}

#[test]
fn xlsx_whose_used_area_is_huge_is_refused_naming_the_cell_limit() {
    // Two cells, A1 and XFD1048576: the reader would make a grid of 17
    // billion cells of them.
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name("言明書").unwrap();
    sheet.write_string(0, 0, "field").unwrap();
    sheet.write_string(1_048_575, 16_383, "far").unwrap();
    let bytes = workbook.save_to_buffer().unwrap();
    let error = from_xlsx("far.xlsx", &bytes).unwrap_err();
    assert_names(
        &error,
        Limit::Cells {
            max: MAX_XLSX_CELLS,
        },
        &MAX_XLSX_CELLS.to_string(),
    );
    let new = NewCatalog {
        id: "x".into(),
        version: "1".into(),
        title: ismap_domain::Text::new("x", "x"),
        source: "far.xlsx".into(),
    };
    let error = import_catalog("far.xlsx", &bytes, &Mapping::default(), new).unwrap_err();
    assert_eq!(
        error.limit,
        Some(Limit::Cells {
            max: MAX_XLSX_CELLS
        })
    );
}
