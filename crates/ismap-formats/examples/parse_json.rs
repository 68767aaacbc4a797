//! The floor for `ismap oscal validate`: parse a JSON file into a
//! `serde_json::Value` and nothing else (bench/oscal-validate.sh).

fn main() {
    let path = std::env::args().nth(1).expect("usage: parse_json FILE");
    let bytes = std::fs::read(&path).expect("readable file");
    let value: serde_json::Value = serde_json::from_slice(&bytes).expect("JSON");
    // Use the value so the parse cannot be optimised away.
    println!("{}", value.as_object().map_or(0, |o| o.len()));
}
