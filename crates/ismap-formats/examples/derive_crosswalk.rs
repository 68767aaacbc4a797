//! Writes the crosswalk data files from the reference data:
//! `cargo run -p ismap-formats --example derive_crosswalk -- ../shared/data crates/ismap-formats/data`

use std::path::PathBuf;
use std::process::ExitCode;

use ismap_formats::crosswalk_data::{LINKS_FILE, OBJECTIVES_FILE};
use ismap_formats::crosswalk_derive::{ANNEX_A_PATH, Sources, TABLE1_PATH, TABLE2_PATH, derive};

fn main() -> ExitCode {
    let args: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    let [data, out] = args.as_slice() else {
        eprintln!("usage: derive_crosswalk SHARED_DATA_DIR OUTPUT_DIR");
        return ExitCode::from(2);
    };
    let read = |path: &str| {
        std::fs::read_to_string(data.join(path))
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", data.join(path).display()))
    };
    let (table1, table2, annex_a) = (read(TABLE1_PATH), read(TABLE2_PATH), read(ANNEX_A_PATH));
    let sources = Sources {
        table1: &table1,
        table2: &table2,
        annex_a: &annex_a,
    };
    match derive(&sources, ismap_formats::bundled::default_catalog()) {
        Ok(derived) => {
            for (name, text) in [
                (OBJECTIVES_FILE, &derived.objectives),
                (LINKS_FILE, &derived.links),
            ] {
                let path = out.join(name);
                std::fs::write(&path, text)
                    .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
                eprintln!("wrote {}", path.display());
            }
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::from(1)
        }
    }
}
