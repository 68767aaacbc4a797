//! `ismap crosswalk` as a user runs it, on the real FedRAMP and NIST
//! baselines in ../shared/data.

mod common;

use std::path::PathBuf;

use common::{data, ismap, json, stderr, stdout};
use serde_json::Value;

fn temp_file(name: &str, text: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    (dir, path)
}

fn status_of(report: &Value, objective: &str) -> String {
    report["objectives"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["objective"] == objective)
        .unwrap_or_else(|| panic!("{objective} missing"))["status"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[test]
fn an_iso_certificate_covers_every_objective_but_the_cloud_ones() {
    let output = ismap(&["crosswalk", "--iso27001", "--format", "json"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let report = json(&output);
    assert_eq!(report["summary"]["covered"], 114);
    assert_eq!(report["summary"]["not_covered"], 7);
    assert_eq!(report["summary"]["no_counterpart"], 7);
    assert_eq!(status_of(&report, "9.5.1.P"), "not_covered");
    assert_eq!(status_of(&report, "9.2.3"), "covered");
}

#[test]
fn an_iso_certificate_with_a_scope_list_covers_only_that() {
    let (_dir, soa) = temp_file("soa.txt", "A.9.2.3\n9.2.4 # written without A.\n");
    let soa = soa.display().to_string();
    let output = ismap(&["crosswalk", "--iso27001", &soa, "--format", "csv"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.starts_with("objective,chapter,title_ja,title_en,status,"));
    assert_eq!(text.lines().count(), 122);
    assert_eq!(text.matches(",covered,").count(), 2, "{text}");
}

#[test]
fn a_nist_list_gives_a_text_table_per_chapter_with_a_summary() {
    let (_dir, list) = temp_file("ids.txt", "AC-2\nAC-6(1)\n# comment\nPE-3\n");
    let list = list.display().to_string();
    let output = ismap(&["--lang", "en", "crosswalk", "--nist-controls", &list]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.contains("\n9 Access control\n"), "{text}");
    assert!(text.contains("held: AC-2 AC-6"), "{text}");
    assert!(text.contains("9.2.6     covered"), "{text}");
    assert!(text.contains("11.1.1    partly"), "{text}");
    assert!(text.contains("Of 121 control objectives:"), "{text}");
    let ja = stdout(&ismap(&["crosswalk", "--nist-controls", &list]));
    assert!(ja.contains("統制目標 121 件中"), "{ja}");
}

#[test]
fn a_bad_nist_list_names_the_line_and_exits_2() {
    let (_dir, list) = temp_file("ids.txt", "AC-2\nAC two\n");
    let output = ismap(&["crosswalk", "--nist-controls", &list.display().to_string()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("ids.txt:2:1: "),
        "{}",
        stderr(&output)
    );
}

#[test]
fn one_input_is_required() {
    assert_eq!(ismap(&["crosswalk"]).status.code(), Some(2));
    assert_eq!(
        ismap(&["crosswalk", "--iso27001", "--nist", "AC-2"])
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn the_fedramp_low_baseline() {
    let Some(file) = data(
        "fedramp-automation/dist/content/rev5/baselines/json/FedRAMP_rev5_LOW-baseline-resolved-profile_catalog.json",
    ) else {
        return;
    };
    let report = json(&ismap(&[
        "crosswalk",
        "--fedramp-baseline",
        &file,
        "--format",
        "json",
    ]));
    assert_eq!(report["source"]["name"], "FedRAMP Rev 5 Low Baseline");
    assert_eq!(report["source"]["held"], 156);
    assert_eq!(report["summary"]["covered"], 48);
    assert_eq!(report["summary"]["partly"], 58);
    assert_eq!(report["summary"]["not_covered"], 15);
    assert_eq!(status_of(&report, "17.1.1"), "covered");
}

#[test]
fn the_fedramp_li_saas_baseline_sets_aside_agency_controls() {
    let Some(file) = data(
        "fedramp-automation/dist/content/rev5/baselines/json/FedRAMP_rev5_LI-SaaS-baseline-resolved-profile_catalog.json",
    ) else {
        return;
    };
    let report = json(&ismap(&[
        "crosswalk",
        "--fedramp-baseline",
        &file,
        "--format",
        "json",
    ]));
    assert_eq!(report["source"]["set_aside"].as_array().unwrap().len(), 14);
    assert_eq!(report["summary"]["covered"], 43);
    assert_eq!(status_of(&report, "17.1.1"), "not_covered");
    let text = stdout(&ismap(&[
        "--lang",
        "en",
        "crosswalk",
        "--fedramp-baseline",
        &file,
    ]));
    assert!(
        text.contains("14 controls not counted as the provider's"),
        "{text}"
    );
}

#[test]
fn the_nist_moderate_baseline() {
    let Some(file) = data(
        "nist-oscal-content/nist.gov/SP800-53/rev5/json/NIST_SP-800-53_rev5_MODERATE-baseline-resolved-profile_catalog.json",
    ) else {
        return;
    };
    let output = ismap(&["crosswalk", "--fedramp-baseline", &file, "--format", "csv"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    assert_eq!(text.matches(",covered,").count(), 80);
    assert_eq!(text.matches(",partly,").count(), 32);
}

#[test]
fn a_profile_instead_of_a_resolved_catalog_is_refused() {
    let Some(file) = data(
        "fedramp-automation/dist/content/rev5/baselines/json/FedRAMP_rev5_LOW-baseline_profile.json",
    ) else {
        return;
    };
    let output = ismap(&["crosswalk", "--fedramp-baseline", &file]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("an OSCAL profile lists no controls"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn lookup_of_one_objective_shows_iso_and_nist_links() {
    let output = ismap(&["crosswalk", "--control", "9.2.3", "--format", "json"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let report = json(&output);
    assert_eq!(report["iso27001"], "A.9.2.3");
    let nist: Vec<&str> = report["nist"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["id"].as_str().unwrap())
        .collect();
    assert!(nist.contains(&"AC-2") && nist.contains(&"AC-6"), "{nist:?}");
    let text = stdout(&ismap(&["crosswalk", "--control", "9.5.1.P"]));
    assert!(
        text.contains("ISO/IEC 27001:2013: -") && text.contains("CLD.9.5.1"),
        "{text}"
    );
    // A detailed control looks up its objective.
    let text = stdout(&ismap(&["crosswalk", "--control", "9.2.3.11.PB"]));
    assert!(text.contains("A.9.2.3"), "{text}");
}

#[test]
fn reverse_lookup_of_a_nist_control() {
    let output = ismap(&["crosswalk", "--nist", "AC-2", "--format", "csv"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.contains("AC-2,9.2.3,A.9.2.3,full,yes,"), "{text}");
    let text = stdout(&ismap(&["crosswalk", "--nist", "ac-19"]));
    assert!(text.contains("AC-19(4)"), "{text}");
    let output = ismap(&["crosswalk", "--nist", "AC-10"]);
    assert_eq!(output.status.code(), Some(1));
}

#[test]
fn the_fedramp_moderate_xml_baseline() {
    let Some(file) = data(
        "fedramp-automation/dist/content/rev5/baselines/xml/FedRAMP_rev5_MODERATE-baseline-resolved-profile_catalog.xml",
    ) else {
        return;
    };
    let output = ismap(&["crosswalk", "--fedramp-baseline", &file, "--format", "json"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let report = json(&output);
    assert_eq!(report["source"]["kind"], "fedramp-baseline");
    assert_eq!(report["source"]["name"], "FedRAMP Rev 5 Moderate Baseline");
    assert_eq!(report["source"]["held"], 323);
    // As NIST's own MODERATE baseline (JSON, tested above).
    assert_eq!(report["summary"]["covered"], 80);
    assert_eq!(report["summary"]["partly"], 32);
    assert_eq!(report["summary"]["not_covered"], 9);
}

#[test]
fn a_statement_prefilled_from_the_fedramp_example_ssp_validates_with_undecided_findings() {
    let Some(ssp) = data(
        "fedramp-automation/develop/src/content/rev5/examples/ssp/xml/fedramp-ssp-example.oscal.xml",
    ) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let draft = dir.path().join("draft.yaml").display().to_string();
    let output = ismap(&[
        "--lang",
        "en",
        "statement",
        "prefill",
        "--ssp",
        &ssp,
        "--date",
        "2026-11-25",
        "--output",
        &draft,
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let said = stderr(&output);
    assert!(
        said.contains("objectives covered 80, partly covered 32, not covered 9"),
        "{said}"
    );
    let text = std::fs::read_to_string(&draft).unwrap();
    assert!(text.contains("DRAFT from the SSP"));
    // The statement reader and the rules read the draft: every finding is
    // about controls still to decide, none about the file.
    let output = ismap(&["statement", "validate", &draft, "--format", "json"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let report = json(&output);
    let findings = report["findings"].as_array().unwrap();
    assert!(!findings.is_empty());
    assert!(
        findings.iter().all(|f| f["rule"] != "INPUT"),
        "{}",
        serde_json::to_string_pretty(&report).unwrap()
    );
    // The same plan as a crosswalk source.
    let output = ismap(&["crosswalk", "--fedramp-baseline", &ssp, "--format", "json"]);
    assert_eq!(json(&output)["source"]["kind"], "ssp");
}

#[test]
fn prefill_from_the_nist_example_ssp_json_and_refusal_of_a_catalog() {
    let (Some(ssp), Some(catalog)) = (
        data("nist-oscal-content/examples/ssp/json/ssp-example.json"),
        data(
            "fedramp-automation/dist/content/rev5/baselines/json/FedRAMP_rev5_LOW-baseline-resolved-profile_catalog.json",
        ),
    ) else {
        return;
    };
    let output = ismap(&[
        "statement",
        "prefill",
        "--ssp",
        &ssp,
        "--date",
        "2026-11-25",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(
        text.contains("name: \"Enterprise Logging and Auditing System\""),
        "{text}"
    );
    // 19 detailed controls of the six policy objectives, each quoting the
    // seven statements of AU-1.
    assert_eq!(text.matches("[AU-1]").count(), 19 * 7);
    let output = ismap(&["statement", "prefill", "--ssp", &catalog]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("not a system security plan"),
        "{}",
        stderr(&output)
    );
}
