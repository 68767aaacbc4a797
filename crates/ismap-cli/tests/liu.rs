//! `ismap liu coverage` (issue 14 item 7): internal audit coverage of the
//! control objectives of chapters 5-18 over the 3 years up to --as-of.

mod common;

use std::path::{Path, PathBuf};

use common::{ismap, json, stderr, stdout};
use serde_json::Value;

/// The control objectives of the control-measure criteria, in catalog order.
fn objectives() -> Vec<String> {
    let catalog = json(&ismap(&["catalog", "export", "--format", "json"]));
    catalog["controls"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["criteria"] == "control_measures" && c["level"] == "objective")
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect()
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// A YAML file of audits: (date, objectives).
fn audits_yaml(audits: &[(&str, &[String])]) -> String {
    let mut text = String::from("service: テストSaaS\ninternal_audits:\n");
    for (date, objectives) in audits {
        let list: Vec<String> = objectives.iter().map(|o| format!("\"{o}\"")).collect();
        text.push_str(&format!(
            "  - date: {date}\n    auditor: 内部監査室\n    objectives: [{}]\n",
            list.join(", ")
        ));
    }
    text
}

fn coverage(file: &Path, as_of: &str) -> (i32, Value) {
    let output = ismap(&[
        "liu",
        "coverage",
        file.to_str().unwrap(),
        "--as-of",
        as_of,
        "--format",
        "json",
    ]);
    let code = output.status.code().unwrap();
    (code, json(&output))
}

#[test]
fn complete_coverage_exits_0_with_the_json_shape() {
    let all = objectives();
    assert_eq!(all.len(), 121, "the excerpt holds every objective");
    let (first, second) = all.split_at(60);
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "audits.yaml",
        &audits_yaml(&[("2024-06-30", first), ("2026-05-01", second)]),
    );
    let (code, report) = coverage(&file, "2026-12-01");
    assert_eq!(code, 0, "{report}");
    let keys: Vec<&str> = report
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let mut sorted = keys.clone();
    sorted.sort_unstable();
    assert_eq!(
        sorted,
        ["as_of", "complete", "covered", "uncovered", "window_start"]
    );
    assert_eq!(report["as_of"], "2026-12-01");
    assert_eq!(report["window_start"], "2023-12-02");
    assert_eq!(report["complete"], true);
    assert_eq!(report["uncovered"], serde_json::json!([]));
    // Ids only, as strings, in catalog order.
    let covered: Vec<String> = report["covered"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(covered, all);

    // The text output, in Japanese by default and in English on request.
    let output = ismap(&[
        "liu",
        "coverage",
        file.to_str().unwrap(),
        "--as-of",
        "2026-12-01",
    ]);
    assert_eq!(output.status.code(), Some(0));
    let text = stdout(&output);
    assert!(text.contains("2023-12-02〜2026-12-01"), "{text}");
    assert!(
        text.contains("すべての統制目標が網羅されています"),
        "{text}"
    );
    let output = ismap(&[
        "--lang",
        "en",
        "liu",
        "coverage",
        file.to_str().unwrap(),
        "--as-of",
        "2026-12-01",
    ]);
    assert!(
        stdout(&output).contains("Every control objective is covered"),
        "{}",
        stdout(&output)
    );
}

#[test]
fn incomplete_coverage_exits_1_listing_the_uncovered() {
    let all = objectives();
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "audits.yaml",
        &audits_yaml(&[("2026-01-15", &all[2..])]),
    );
    let (code, report) = coverage(&file, "2026-12-01");
    assert_eq!(code, 1);
    assert_eq!(report["complete"], false);
    assert_eq!(report["uncovered"], serde_json::json!([all[0], all[1]]));
    assert_eq!(report["covered"].as_array().unwrap().len(), all.len() - 2);
    let output = ismap(&[
        "--lang",
        "en",
        "liu",
        "coverage",
        file.to_str().unwrap(),
        "--as-of",
        "2026-12-01",
    ]);
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    assert!(
        text.contains("2 control objectives were not covered"),
        "{text}"
    );
    assert!(text.contains(&format!("{} {}", all[0], all[1])), "{text}");
}

#[test]
fn the_window_counts_year_ends_and_29_february() {
    let all = objectives();
    let dir = tempfile::tempdir().unwrap();
    let at = |date: &str| {
        write(
            dir.path(),
            &format!("{date}.yaml"),
            &audits_yaml(&[(date, &all)]),
        )
    };
    // Year end: as of 2026-12-31 the window starts 2024-01-01.
    let (code, report) = coverage(&at("2024-01-01"), "2026-12-31");
    assert_eq!(
        (code, report["window_start"].as_str()),
        (0, Some("2024-01-01"))
    );
    let (code, _) = coverage(&at("2023-12-31"), "2026-12-31");
    assert_eq!(code, 1, "the day before the window");
    // As of 1 January the window starts on 2 January three years earlier.
    let (code, report) = coverage(&at("2024-01-01"), "2027-01-01");
    assert_eq!(code, 1);
    assert_eq!(report["window_start"], "2024-01-02");
    // 29 February as of: 2025 has no 29 February, so the window starts the
    // day after 28 February.
    let (code, report) = coverage(&at("2025-03-01"), "2028-02-29");
    assert_eq!(
        (code, report["window_start"].as_str()),
        (0, Some("2025-03-01"))
    );
    let (code, _) = coverage(&at("2025-02-28"), "2028-02-29");
    assert_eq!(code, 1);
    // An audit on 29 February counts through 28 February three years on.
    let (code, report) = coverage(&at("2024-02-29"), "2027-02-28");
    assert_eq!(
        (code, report["window_start"].as_str()),
        (0, Some("2024-02-29"))
    );
    let (code, _) = coverage(&at("2024-02-29"), "2027-03-01");
    assert_eq!(code, 1);
    // An audit after --as-of does not count.
    let (code, _) = coverage(&at("2026-12-02"), "2026-12-01");
    assert_eq!(code, 1);
}

#[test]
fn json_input_reads_like_yaml() {
    let all = objectives();
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "audits.json",
        &serde_json::json!({
            "provider": "example",
            "internal_audits": [
                {"date": "2025-04-10", "objectives": all, "report": "ia-2025.pdf"}
            ]
        })
        .to_string(),
    );
    let (code, report) = coverage(&file, "2026-04-01");
    assert_eq!(code, 0, "{report}");
    assert_eq!(report["window_start"], "2023-04-02");
}

#[test]
fn unusable_files_exit_2_naming_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let run = |file: &Path| {
        let output = ismap(&[
            "--lang",
            "en",
            "liu",
            "coverage",
            file.to_str().unwrap(),
            "--as-of",
            "2026-12-01",
        ]);
        (output.status.code(), stderr(&output))
    };
    // An unknown objective (line 5) and a malformed one (line 6).
    let unknown = write(
        dir.path(),
        "unknown.yaml",
        "internal_audits:\n  - date: 2026-01-15\n    objectives:\n      - \"5.1.1\"\n      - \"18.9.9\"\n      - \"9.2\"\n",
    );
    let (code, error) = run(&unknown);
    assert_eq!(code, Some(2), "{error}");
    assert!(
        error.contains("unknown.yaml:5:") && error.contains("internal_audits[0].objectives[1]"),
        "{error}"
    );
    assert!(error.contains("18.9.9 is not in the catalog"), "{error}");
    assert!(error.contains("unknown.yaml:6:"), "{error}");
    // A malformed date names its line and field.
    let bad_date = write(
        dir.path(),
        "date.yaml",
        "internal_audits:\n  - date: 2026-01-15\n    objectives: [\"5.1.1\"]\n  - date: 2026-02-30\n    objectives: [\"5.1.1\"]\n",
    );
    let (code, error) = run(&bad_date);
    assert_eq!(code, Some(2));
    assert!(
        error.contains("date.yaml:4:") && error.contains("internal_audits[1].date"),
        "{error}"
    );
    assert!(error.contains("YYYY-MM-DD"), "{error}");
    // Without the list, not YAML, missing, or past the size limit.
    let (code, error) = run(&write(dir.path(), "none.yaml", "audits: []\n"));
    assert_eq!(code, Some(2));
    assert!(error.contains("internal_audits"), "{error}");
    let (code, error) = run(&write(
        dir.path(),
        "broken.json",
        "{\"internal_audits\": [\n",
    ));
    assert_eq!(code, Some(2));
    assert!(error.contains("broken.json:"), "{error}");
    let (code, error) = run(&dir.path().join("missing.yaml"));
    assert_eq!(code, Some(2));
    assert!(error.contains("missing.yaml"), "{error}");
    let big = write(dir.path(), "big.yaml", &"#".repeat(2 << 20));
    let output = ismap(&[
        "--max-input-mib",
        "1",
        "liu",
        "coverage",
        big.to_str().unwrap(),
        "--as-of",
        "2026-12-01",
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(!stderr(&output).contains("panicked"));
    // Nesting past the limit: refused, no crash.
    let deep = write(
        dir.path(),
        "deep.yaml",
        &format!(
            "internal_audits: [{{date: 2026-01-15, objectives: [], x: {}{}}}]",
            "[".repeat(5000),
            "]".repeat(5000)
        ),
    );
    let (code, error) = run(&deep);
    assert_eq!(code, Some(2), "{error}");
    assert!(!error.contains("panicked"), "{error}");
    // A date that is not one for --as-of.
    let output = ismap(&[
        "liu",
        "coverage",
        unknown.to_str().unwrap(),
        "--as-of",
        "2026-13-01",
    ]);
    assert_eq!(output.status.code(), Some(2));
}
