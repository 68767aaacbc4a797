//! The catalog pack loader: no panic, and a pack it accepts writes back to
//! YAML that loads to the same controls.
#![no_main]

use ismap_formats::catalog_pack::{load_pack, to_yaml};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(catalog) = load_pack("fuzz.yaml", text) {
        let again = load_pack("again.yaml", &to_yaml(&catalog))
            .unwrap_or_else(|e| panic!("a loaded pack does not load back:\n{e}"));
        assert_eq!(again.controls(), catalog.controls());
    }
});
