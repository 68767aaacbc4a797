//! What the CLI test binaries share: running `ismap` as a user does,
//! reading what it printed, and finding the reference data in
//! `../shared/data`.
// Each test binary uses only some of these.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

/// Runs `ismap` with `args`, without colour and without the language or
/// schema folder of the environment it runs in.
pub fn ismap(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ismap"))
        .args(args)
        .env_remove("ISMAP_LANG")
        .env_remove("ISMAP_OSCAL_SCHEMAS")
        .env("NO_COLOR", "1")
        .output()
        .expect("ismap runs")
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

/// Standard output as JSON; on failure the panic shows both streams.
pub fn json(output: &Output) -> Value {
    serde_json::from_str(&stdout(output))
        .unwrap_or_else(|e| panic!("{e}: {}{}", stdout(output), stderr(output)))
}

/// `../shared/data`: CI must have it (the test fails there without it);
/// elsewhere the test skips, saying so.
pub fn shared_data() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data");
    if dir.is_dir() {
        return Some(dir);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "the reference data must be beside the repository in CI: {} is missing",
        dir.display()
    );
    eprintln!("skipped: {} is missing", dir.display());
    None
}

/// A file under `../shared/data` (see [`shared_data`]).
pub fn data(relative: &str) -> Option<String> {
    shared_data().map(|d| d.join(relative).display().to_string())
}
