//! Readers never panic, whatever they are given; the real examples read
//! completely (nothing silently dropped).

use ismap_formats::bundled::default_catalog;
use ismap_formats::catalog_pack::load_pack;
use ismap_formats::registry_file::parse_registry;
use ismap_formats::report::check_statement;
use ismap_formats::statement_file::parse_statement;
use proptest::prelude::*;

fn example(name: &str) -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/");
    std::fs::read_to_string(format!("{path}{name}")).unwrap()
}

#[test]
fn the_valid_example_reads_every_field() {
    let parsed = parse_statement("saas-valid.yaml", &example("saas-valid.yaml")).unwrap();
    assert!(parsed.problems.is_empty());
    let s = &parsed.statement;
    assert_eq!(s.controls.len(), 290);
    let first = &s.controls[&"8.1.2.1"
        .parse::<ismap_domain::ControlId>()
        .unwrap()
        .number()];
    assert_eq!(first.evidence.len(), 2);
    assert_eq!(
        first.evidence[0].reference,
        "evidence/asset-management-policy-v3.pdf"
    );
    let json = parse_statement("saas-valid.json", &example("saas-valid.json")).unwrap();
    assert_eq!(
        json.statement, parsed.statement,
        "YAML and JSON forms agree"
    );
}

/// Statement-shaped text with random damage.
fn statement_like() -> impl Strategy<Value = String> {
    let lines = prop::collection::vec(
        prop_oneof![
            Just("catalog: ismap-2022-excerpt".to_owned()),
            Just("date: 2026-04-01".to_owned()),
            Just("service:".to_owned()),
            Just("  name: x".to_owned()),
            Just("controls:".to_owned()),
            "  \"[0-9.PB]{1,12}\": \\{ decision: [a-z_~]{0,12} \\}",
            "  [a-z_]{1,10}: [^\\n]{0,20}",
            "[^\\n]{0,30}",
        ],
        0..12,
    );
    lines.prop_map(|l| l.join("\n"))
}

proptest! {
    #[test]
    fn reading_and_validating_never_panic(text in statement_like()) {
        if let Ok(parsed) = parse_statement("fuzz.yaml", &text) {
            let report = check_statement(&parsed, &[default_catalog()], None);
            prop_assert!(report.errors() + report.warnings() == report.findings.len());
        }
    }

    #[test]
    fn statement_reader_never_panics_on_noise(text in "\\PC{0,200}") {
        let _ = parse_statement("fuzz.yaml", &text);
    }

    #[test]
    fn pack_and_registry_readers_never_panic(text in "\\PC{0,200}") {
        let _ = load_pack("fuzz.yaml", &text);
        let _ = parse_registry("fuzz.csv", &text);
    }
}

// Regressions found by fuzzing (docs/fuzzing.md).

fn workbook(rows: &[[&str; 2]]) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (r, row) in [["管理策番号", "管理策"]].iter().chain(rows).enumerate() {
        for (c, value) in row.iter().enumerate() {
            sheet.write_string(r as u32, c as u16, *value).unwrap();
        }
    }
    book.save_to_buffer().unwrap()
}

fn new_catalog() -> ismap_formats::catalog_xlsx::NewCatalog {
    ismap_formats::catalog_xlsx::NewCatalog {
        id: "t".into(),
        version: "1".into(),
        title: ismap_domain::Text::new("t", "t"),
        source: "t".into(),
    }
}

#[test]
fn fuzz_a_sheet_without_control_rows_is_refused_not_imported_empty() {
    use ismap_formats::catalog_xlsx::{Mapping, import_catalog};
    // The fuzzer's input imported to a catalog of nothing, whose pack then
    // failed to load. Only chapter and category rows, or none at all:
    for rows in [&[][..], &[["5", "方針"], ["5.1", "目的。"]][..]] {
        let error = import_catalog(
            "x.xlsx",
            &workbook(rows),
            &Mapping::default(),
            new_catalog(),
        )
        .unwrap_err();
        assert!(error.to_string().contains("no control rows"), "{error}");
    }
}

#[test]
fn fuzz_an_empty_catalog_writes_a_pack_that_loads_back() {
    let info = ismap_domain::catalog::CatalogInfo {
        id: "empty".into(),
        version: "1".into(),
        title: ismap_domain::Text::new("空", "Empty"),
        ..Default::default()
    };
    let empty = ismap_domain::Catalog::build(info, vec![], vec![], vec![]).unwrap();
    let pack = ismap_formats::catalog_pack::to_yaml(&empty);
    let again = load_pack("again.yaml", &pack).unwrap_or_else(|e| panic!("{e}\n{pack}"));
    assert!(again.controls().is_empty());
}

/// The fuzzer's own crashing inputs, kept as files.
#[test]
fn fuzz_crashing_workbooks_are_errors_naming_the_file() {
    use ismap_formats::catalog_xlsx::{Mapping, import_catalog};
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fuzz-regressions/");
    for (name, expected) in [
        // calamine 0.38 overflowed on an over-long cell reference.
        (
            "catalog_xlsx-cell-reference-overflow.xlsx",
            "not a readable Excel workbook",
        ),
        ("catalog_xlsx-no-control-rows.xlsx", "no control rows"),
    ] {
        let bytes = std::fs::read(format!("{dir}{name}")).unwrap();
        let error = import_catalog(name, &bytes, &Mapping::default(), new_catalog()).unwrap_err();
        let text = error.to_string();
        assert!(text.starts_with(name) && text.contains(expected), "{text}");
    }
}
