//! Bytes through both ways `ismap oscal validate` checks a document without
//! schemas: straight from the JSON text (`oscal_in::validate_json_fast`,
//! members met in the file's order) and through a `serde_json::Value`
//! (members sorted by key). Where the fast path answers, the `Value` path
//! must read the document too and find the same problems in the same order.
#![no_main]

use ismap_formats::oscal_in::{self, Model, ValidateOptions, document};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((_, fast)) = oscal_in::validate_json_fast("fuzz", data) else {
        return;
    };
    let doc = document::parse("fuzz", data).expect("the Value path reads what the fast path reads");
    assert_ne!(doc.model, Model::Profile);
    let value = oscal_in::validate(&doc, &ValidateOptions::default()).expect("no schemas to load");
    assert_eq!(fast.problems, value.problems);
});
