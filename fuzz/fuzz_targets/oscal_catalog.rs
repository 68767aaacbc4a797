//! OSCAL JSON: the crosswalk's resolved-profile catalog reader (to be joined
//! by a target for the full OSCAL reader), then the crosswalk on what it read.
#![no_main]

use ismap_domain::crosswalk::Holdings;
use ismap_formats::crosswalk_data::bundled_crosswalk;
use ismap_formats::nist_holdings::parse_resolved_catalog;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(baseline) = parse_resolved_catalog("fuzz.json", text) {
        let coverage = bundled_crosswalk().assess(&Holdings::nist(baseline.held));
        assert_eq!(coverage.len(), bundled_crosswalk().objectives().len());
    }
});
