//! The statement reader (YAML or JSON) and the rules run on what it reads:
//! whatever the text, no panic.
#![no_main]

use ismap_formats::bundled::default_catalog;
use ismap_formats::report::check_statement;
use ismap_formats::statement_file::parse_statement;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for name in ["fuzz.yaml", "fuzz.json"] {
        if let Ok(parsed) = parse_statement(name, text) {
            let report = check_statement(&parsed, &[default_catalog()], None);
            let _ = report.to_json();
        }
    }
});
