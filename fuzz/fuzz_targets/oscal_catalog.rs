//! OSCAL JSON or XML through the crosswalk's holdings reader (the OSCAL
//! reader underneath: catalogs and system security plans), then the
//! crosswalk on what it read.
#![no_main]

use ismap_domain::crosswalk::Holdings;
use ismap_formats::crosswalk_data::bundled_crosswalk;
use ismap_formats::nist_holdings::read_holdings;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(baseline) = read_holdings("fuzz", data) {
        let coverage = bundled_crosswalk().assess(&Holdings::nist(baseline.held));
        assert_eq!(coverage.len(), bundled_crosswalk().objectives().len());
    }
});
