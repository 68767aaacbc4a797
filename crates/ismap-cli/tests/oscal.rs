//! `ismap oscal …` as a user runs it, on NIST's and FedRAMP's real files
//! (`../shared/data`): exit codes and output. Without that folder the tests
//! fail when CI is set and skip, saying so, elsewhere.

mod common;

use std::process::Command;

use common::{data, ismap, json, stderr, stdout};
use serde_json::{Value, json};

const REV5: &str = "nist-sp800-53-rev5-catalog-v5.2.0/NIST_SP-800-53_rev5_catalog.json";
const LOW: &str =
    "nist-oscal-content/nist.gov/SP800-53/rev5/json/NIST_SP-800-53_rev5_LOW-baseline_profile.json";

#[test]
fn the_rev5_catalog_validates_against_the_official_schema() {
    let (Some(catalog), Some(schemas)) = (data(REV5), data("oscal-schemas/v1.1.3")) else {
        return;
    };
    let output = ismap(&[
        "oscal",
        "validate",
        &catalog,
        "--schemas",
        &schemas,
        "--format",
        "json",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let report = json(&output);
    assert_eq!(report["model"], "catalog");
    assert_eq!(report["oscal-version"], "1.1.3");
    assert_eq!(report["schema"]["checked"], true);
    assert_eq!(report["errors"], 0);
    // NIST's catalog links to a statement item that does not exist.
    assert_eq!(report["warnings"], 1);
    assert_eq!(report["problems"][0]["rule"], "dangling-fragment");
    assert_eq!(report["problems"][0]["facts"]["href"], "#ac-2_smt.a.5");

    // The schema folder may come from the environment.
    let output = Command::new(env!("CARGO_BIN_EXE_ismap"))
        .args(["--lang", "en", "oscal", "validate", &catalog])
        .env("ISMAP_OSCAL_SCHEMAS", &schemas)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert!(stdout(&output).contains("Schema: "), "{}", stdout(&output));
}

#[test]
fn without_schemas_it_says_schema_validation_did_not_run() {
    let Some(catalog) = data(REV5) else { return };
    let output = ismap(&["oscal", "validate", &catalog]);
    assert_eq!(output.status.code(), Some(0));
    let text = stdout(&output);
    assert!(text.contains("スキーマ検証は実行していません"), "{text}");
    let output = ismap(&["--lang", "en", "oscal", "validate", &catalog]);
    assert!(
        stdout(&output).contains("Schema validation was not run"),
        "{}",
        stdout(&output)
    );
}

#[test]
fn problems_give_exit_1_with_rule_and_pointer() {
    let Some(ssp) = data("nist-oscal-content/examples/ssp/json/ssp-example.json") else {
        return;
    };
    let mut doc: Value = serde_json::from_str(&std::fs::read_to_string(ssp).unwrap()).unwrap();
    let components = &mut doc["system-security-plan"]["system-implementation"]["components"];
    components[1]["uuid"] = components[0]["uuid"].clone();
    doc["system-security-plan"]["metadata"]["links"] =
        json!([{ "href": "#11111111-0000-4000-8000-000000000000", "rel": "reference" }]);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("broken-ssp.json");
    std::fs::write(&file, doc.to_string()).unwrap();
    let file = file.display().to_string();

    let output = ismap(&["oscal", "validate", &file, "--format", "json"]);
    assert_eq!(output.status.code(), Some(1));
    let report = json(&output);
    let rules: Vec<(&str, &str)> = report["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["rule"].as_str().unwrap(), p["pointer"].as_str().unwrap()))
        .collect();
    assert!(rules.contains(&(
        "duplicate-uuid",
        "/system-security-plan/system-implementation/components/1/uuid"
    )));
    assert!(rules.contains(&(
        "dangling-href",
        "/system-security-plan/metadata/links/0/href"
    )));

    let output = ismap(&["--lang", "en", "oscal", "validate", &file]);
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    assert!(
        text.contains("error: [duplicate-uuid]")
            && text.contains("/system-security-plan/system-implementation/components/1/uuid"),
        "{text}"
    );
    assert!(text.contains("errors, 0 warnings"), "{text}");
}

#[test]
fn xml_problems_name_the_element_and_line() {
    let Some(xml) = data(
        "fedramp-automation/dist/content/rev5/baselines/xml/FedRAMP_rev5_MODERATE-baseline-resolved-profile_catalog.xml",
    ) else {
        return;
    };
    let output = ismap(&["--lang", "en", "oscal", "validate", &xml]);
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    // FedRAMP's own defect: two parts share an id.
    assert!(
        text.contains(".xml:16956 /catalog/group[6]/control[4]/part[1]/part[4]/part[2]"),
        "{text}"
    );
    assert!(text.contains("ID cp-4_fr_smt.1 is defined twice"), "{text}");
}

#[test]
fn unreadable_input_gives_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not-oscal.json");
    std::fs::write(&file, "{\"catalogue\": {}}").unwrap();
    let output = ismap(&["oscal", "validate", &file.display().to_string()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("not an OSCAL document"),
        "{}",
        stderr(&output)
    );
    std::fs::write(&file, "{\"catalog\": ").unwrap();
    let output = ismap(&["oscal", "validate", &file.display().to_string()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("not-oscal.json:1:"),
        "{}",
        stderr(&output)
    );

    let Some(catalog) = data(REV5) else { return };
    let output = ismap(&["oscal", "validate", &catalog, "--schemas", "/nonexistent"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("oscal_catalog_schema.json"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn show_summarises_json_and_xml() {
    let Some(ssp) = data(
        "fedramp-automation/develop/src/content/rev5/examples/ssp/xml/fedramp-ssp-example.oscal.xml",
    ) else {
        return;
    };
    let output = ismap(&["oscal", "show", &ssp, "--format", "json"]);
    assert_eq!(output.status.code(), Some(0));
    let summary = json(&output);
    assert_eq!(summary["model"], "system-security-plan");
    assert_eq!(summary["syntax"], "xml");
    assert_eq!(summary["system-name"], "System's Full Name");
    assert_eq!(summary["counts"]["implemented-requirements"], 323);

    let output = ismap(&["oscal", "show", &data(REV5).unwrap()]);
    let text = stdout(&output);
    assert!(text.contains("catalog (json), OSCAL 1.1.3"), "{text}");
    assert!(text.contains("withdrawn: 182"), "{text}");
}

#[test]
fn resolve_writes_the_baselines_controls() {
    let (Some(profile), Some(catalog)) = (data(LOW), data(REV5)) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("low.json");
    let out_arg = out.display().to_string();
    let output = ismap(&[
        "--lang",
        "en",
        "oscal",
        "resolve",
        &profile,
        "--catalog",
        &catalog,
        "--output",
        &out_arg,
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("149 controls selected"),
        "{}",
        stderr(&output)
    );
    let resolved: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(resolved["selected"].as_array().unwrap().len(), 149);
    assert_eq!(resolved["framework"]["count"], 149);
    assert_eq!(resolved["framework"]["controls"][0]["id"], "ac-1");
    assert_eq!(resolved["framework"]["controls"][0]["label"], "AC-1");

    // An existing output file is not replaced without --force.
    let output = ismap(&[
        "oscal",
        "resolve",
        &profile,
        "--catalog",
        &catalog,
        "-o",
        &out_arg,
    ]);
    assert_eq!(output.status.code(), Some(2));

    // Without --catalog the import cannot be found here: say what to do.
    let output = ismap(&["oscal", "resolve", &profile]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("--catalog"), "{}", stderr(&output));
}
