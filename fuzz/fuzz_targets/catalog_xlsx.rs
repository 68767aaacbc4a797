//! The spreadsheet importer on arbitrary bytes (calamine reads them from a
//! Cursor): no panic, and an imported catalog writes a pack that loads back.
#![no_main]

use ismap_domain::Text;
use ismap_formats::catalog_pack::{load_pack, to_yaml};
use ismap_formats::catalog_xlsx::{Mapping, NewCatalog, import_catalog};
use libfuzzer_sys::fuzz_target;

/// libFuzzer's hook aborts on every panic, even one that is caught. The
/// importer deliberately catches panics inside calamine (0.38 overflows on
/// over-long cell references) and reports them as errors; let those through
/// so the fuzzer can go on looking for anything else.
fn ignore_caught_calamine_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let abort = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !info
                .location()
                .is_some_and(|l| l.file().contains("/calamine-"))
            {
                abort(info);
            }
        }));
    });
}

fuzz_target!(|data: &[u8]| {
    ignore_caught_calamine_panics();
    let new = NewCatalog {
        id: "fuzz".into(),
        version: "1".into(),
        title: Text::new("ファズ", "Fuzz"),
        source: "fuzz".into(),
    };
    if let Ok(catalog) = import_catalog("fuzz.xlsx", data, &Mapping::default(), new) {
        let again = load_pack("again.yaml", &to_yaml(&catalog))
            .unwrap_or_else(|e| panic!("an imported catalog does not load back:\n{e}"));
        assert_eq!(again.controls(), catalog.controls());
    }
});
