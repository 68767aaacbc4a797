//! Identifier parsing (ISMAP, SP 800-53, Annex A) and the id-list readers:
//! no panic, and every id that parses prints back to text that parses to
//! the same id.
#![no_main]

use ismap_domain::ControlId;
use ismap_domain::crosswalk::{AnnexAId, NistControlId};
use ismap_formats::nist_holdings::{parse_annex_a_list, parse_nist_list};
use libfuzzer_sys::fuzz_target;

fn round_trip<T>(text: &str)
where
    T: std::str::FromStr + std::fmt::Display + PartialEq + std::fmt::Debug,
{
    if let Ok(id) = text.parse::<T>() {
        let printed = id.to_string();
        let again = printed.parse::<T>().unwrap_or_else(|_| {
            panic!("{text:?} parsed, but its printed form {printed:?} does not")
        });
        assert_eq!(again, id);
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = parse_nist_list("fuzz.txt", text);
    let _ = parse_annex_a_list("fuzz.txt", text);
    for line in text.lines() {
        round_trip::<ControlId>(line);
        round_trip::<NistControlId>(line);
        round_trip::<AnnexAId>(line);
    }
});
