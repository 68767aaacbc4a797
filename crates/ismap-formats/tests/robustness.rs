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
