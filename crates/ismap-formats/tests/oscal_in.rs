//! OSCAL documents read in, on NIST's and FedRAMP's real files
//! (`../shared/data`, beside the repository). Without that folder the tests
//! fail when CI is set and skip, saying so, elsewhere.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use ismap_formats::oscal_in::catalog::read_framework;
use ismap_formats::oscal_in::profile::resolve;
use ismap_formats::oscal_in::ssp::read_ssp;
use ismap_formats::oscal_in::{
    self, Document, Model, Rule, Syntax, ValidateOptions, document, validate,
};
use serde_json::{Value, json};

fn shared_data() -> Option<PathBuf> {
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

fn data(relative: &str) -> Option<PathBuf> {
    shared_data().map(|d| d.join(relative))
}

fn read(path: &Path) -> Document {
    document::read(path).unwrap_or_else(|e| panic!("{e}"))
}

fn schemas() -> PathBuf {
    data("oscal-schemas/v1.1.3").expect("checked by the caller")
}

const REV5_CATALOG: &str = "nist-sp800-53-rev5-catalog-v5.2.0/NIST_SP-800-53_rev5_catalog.json";
const NIST_REV5: &str = "nist-oscal-content/nist.gov/SP800-53/rev5/json";
const FEDRAMP_JSON: &str = "fedramp-automation/dist/content/rev5/baselines/json";
const FEDRAMP_XML: &str = "fedramp-automation/dist/content/rev5/baselines/xml";

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files_under(&path, out);
        } else if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("json" | "xml")
        ) {
            out.push(path);
        }
    }
}

/// What validation finds in every OSCAL document of the reference data
/// (NIST's and FedRAMP's, JSON and XML) against the official 1.1.3 schema:
/// problems by rule. The catalogs and baselines people import are clean
/// except for real defects of the published files, each checked by hand:
/// FedRAMP's MODERATE and HIGH baselines give two parts the id
/// `cp-4_fr_smt.1`; NIST's rev4 profiles name a party they do not define;
/// NIST's rev5 catalog links to `#ac-2_smt.a.5`, which does not exist (a
/// warning). The samples and templates have copy-pasted UUIDs, components
/// and roles that are not defined, typos (`satisifed`), and OSCAL 1.0
/// names (`associated-risk`) that a 1.1.3 schema refuses.
const EXPECTED: &[(&str, &[(&str, usize)])] = &[
    (
        "fedramp-automation/develop/src/content/awesome-cloud/xml/AwesomeCLoudSAP2.xml",
        &[],
    ),
    (
        "fedramp-automation/develop/src/content/awesome-cloud/xml/AwesomeCloudPOAM.xml",
        &[("duplicate-uuid", 1), ("schema", 40)],
    ),
    (
        "fedramp-automation/develop/src/content/awesome-cloud/xml/AwesomeCloudPOAM2.xml",
        &[("duplicate-uuid", 1), ("schema", 35)],
    ),
    (
        "fedramp-automation/develop/src/content/awesome-cloud/xml/AwesomeCloudSAP.xml",
        &[],
    ),
    (
        "fedramp-automation/develop/src/content/awesome-cloud/xml/AwesomeCloudSAR.xml",
        &[("schema", 63)],
    ),
    (
        "fedramp-automation/develop/src/content/awesome-cloud/xml/AwesomeCloudSAR2.xml",
        &[("schema", 49)],
    ),
    (
        "fedramp-automation/develop/src/content/awesome-cloud/xml/AwesomeCloudSSP1.xml",
        &[("dangling-reference", 1), ("duplicate-uuid", 13)],
    ),
    (
        "fedramp-automation/develop/src/content/awesome-cloud/xml/AwesomeCloudSSP2.xml",
        &[("dangling-reference", 1), ("duplicate-uuid", 9)],
    ),
    (
        "fedramp-automation/develop/src/content/rev5/examples/ssp/xml/fedramp-ssp-example.oscal.xml",
        &[
            ("dangling-fragment", 4),
            ("dangling-href", 3),
            ("dangling-reference", 55),
            ("duplicate-uuid", 3),
        ],
    ),
    (
        "fedramp-automation/dist/content/rev5/baselines/json/FedRAMP_rev5_HIGH-baseline_profile.json",
        &[("duplicate-id", 1)],
    ),
    (
        "fedramp-automation/dist/content/rev5/baselines/json/FedRAMP_rev5_LI-SaaS-baseline-resolved-profile_catalog.json",
        &[],
    ),
    (
        "fedramp-automation/dist/content/rev5/baselines/json/FedRAMP_rev5_LI-SaaS-baseline_profile.json",
        &[],
    ),
    (
        "fedramp-automation/dist/content/rev5/baselines/json/FedRAMP_rev5_LOW-baseline-resolved-profile_catalog.json",
        &[],
    ),
    (
        "fedramp-automation/dist/content/rev5/baselines/json/FedRAMP_rev5_LOW-baseline_profile.json",
        &[],
    ),
    (
        "fedramp-automation/dist/content/rev5/baselines/json/FedRAMP_rev5_MODERATE-baseline_profile.json",
        &[("duplicate-id", 1)],
    ),
    (
        "fedramp-automation/dist/content/rev5/baselines/xml/FedRAMP_rev5_HIGH-baseline-resolved-profile_catalog.xml",
        &[("duplicate-id", 1)],
    ),
    (
        "fedramp-automation/dist/content/rev5/baselines/xml/FedRAMP_rev5_MODERATE-baseline-resolved-profile_catalog.xml",
        &[("duplicate-id", 1)],
    ),
    (
        "fedramp-automation/dist/content/rev5/templates/poam/json/FedRAMP-POAM-OSCAL-Template.json",
        &[("dangling-href", 5), ("dangling-reference", 1)],
    ),
    (
        "fedramp-automation/dist/content/rev5/templates/sap/json/FedRAMP-SAP-OSCAL-Template.json",
        &[
            ("dangling-href", 1),
            ("dangling-reference", 2),
            ("duplicate-uuid", 3),
        ],
    ),
    (
        "fedramp-automation/dist/content/rev5/templates/sar/json/FedRAMP-SAR-OSCAL-Template.json",
        &[
            ("dangling-href", 1),
            ("dangling-reference", 7),
            ("duplicate-id", 2),
            ("duplicate-uuid", 9),
        ],
    ),
    (
        "fedramp-automation/dist/content/rev5/templates/ssp/json/FedRAMP-SSP-OSCAL-Template.json",
        &[("dangling-fragment", 1), ("duplicate-uuid", 4)],
    ),
    (
        "fedramp-automation/history-b7f93ee/dist/content/rev5/baselines/json/FedRAMP_rev5_MODERATE-baseline-resolved-profile_catalog.json",
        &[("duplicate-id", 1)],
    ),
    (
        "nist-oscal-content/examples/ap/json/ifa_assessment-plan-example.json",
        &[("dangling-reference", 1)],
    ),
    (
        "nist-oscal-content/examples/ar/json/ifa_assessment-results-example.json",
        &[],
    ),
    (
        "nist-oscal-content/examples/catalog/json/basic-catalog.json",
        &[],
    ),
    (
        "nist-oscal-content/examples/component-definition/json/example-component-definition.json",
        &[("dangling-reference", 2), ("duplicate-uuid", 1)],
    ),
    (
        "nist-oscal-content/examples/component-definition/json/example-component.json",
        &[("dangling-reference", 1)],
    ),
    (
        "nist-oscal-content/examples/poam/json/ifa_plan-of-action-and-milestones.json",
        &[("dangling-reference", 1)],
    ),
    (
        "nist-oscal-content/examples/ssp/json/ifa_ssp-example.json",
        &[],
    ),
    (
        "nist-oscal-content/examples/ssp/json/oscal_leveraged-example_ssp.json",
        &[],
    ),
    (
        "nist-oscal-content/examples/ssp/json/oscal_leveraging-example_ssp.json",
        &[],
    ),
    ("nist-oscal-content/examples/ssp/json/ssp-example.json", &[]),
    (
        "nist-oscal-content/nist.gov/SP800-53/rev4/json/NIST_SP-800-53_rev4_HIGH-baseline-resolved-profile_catalog.json",
        &[("dangling-reference", 2)],
    ),
    (
        "nist-oscal-content/nist.gov/SP800-53/rev4/json/NIST_SP-800-53_rev4_HIGH-baseline_profile.json",
        &[("dangling-reference", 2)],
    ),
    (
        "nist-oscal-content/nist.gov/SP800-53/rev4/json/NIST_SP-800-53_rev4_LOW-baseline-resolved-profile_catalog.json",
        &[("dangling-reference", 2)],
    ),
    (
        "nist-oscal-content/nist.gov/SP800-53/rev4/json/NIST_SP-800-53_rev4_LOW-baseline_profile.json",
        &[("dangling-reference", 2)],
    ),
    (
        "nist-oscal-content/nist.gov/SP800-53/rev4/json/NIST_SP-800-53_rev4_MODERATE-baseline-resolved-profile_catalog.json",
        &[("dangling-reference", 2)],
    ),
    (
        "nist-oscal-content/nist.gov/SP800-53/rev4/json/NIST_SP-800-53_rev4_MODERATE-baseline_profile.json",
        &[("dangling-reference", 2)],
    ),
    (
        "nist-oscal-content/nist.gov/SP800-53/rev4/json/NIST_SP-800-53_rev4_catalog-min.json",
        &[],
    ),
    (
        "nist-oscal-content/nist.gov/SP800-53/rev5/json/NIST_SP-800-53_rev5_HIGH-baseline-resolved-profile_catalog-min.json",
        &[],
    ),
    (
        "nist-oscal-content/nist.gov/SP800-53/rev5/json/NIST_SP-800-53_rev5_HIGH-baseline_profile.json",
        &[],
    ),
    (
        "nist-oscal-content/nist.gov/SP800-53/rev5/json/NIST_SP-800-53_rev5_LOW-baseline-resolved-profile_catalog.json",
        &[],
    ),
    (
        "nist-oscal-content/nist.gov/SP800-53/rev5/json/NIST_SP-800-53_rev5_LOW-baseline_profile.json",
        &[],
    ),
    (
        "nist-oscal-content/nist.gov/SP800-53/rev5/json/NIST_SP-800-53_rev5_MODERATE-baseline-resolved-profile_catalog.json",
        &[],
    ),
    (
        "nist-oscal-content/nist.gov/SP800-53/rev5/json/NIST_SP-800-53_rev5_MODERATE-baseline_profile.json",
        &[],
    ),
    (
        "nist-oscal-content/nist.gov/SP800-53/rev5/json/NIST_SP-800-53_rev5_PRIVACY-baseline-resolved-profile_catalog.json",
        &[],
    ),
    (
        "nist-oscal-content/nist.gov/SP800-53/rev5/json/NIST_SP-800-53_rev5_PRIVACY-baseline_profile.json",
        &[],
    ),
    (
        "nist-sp800-53-rev5-catalog-v5.2.0/NIST_SP-800-53_rev5_catalog.json",
        &[("dangling-fragment", 1)],
    ),
];

#[test]
fn every_nist_and_fedramp_document_validates_as_expected() {
    let Some(root) = shared_data() else { return };
    let mut files = Vec::new();
    files_under(&root.join("nist-oscal-content"), &mut files);
    files_under(&root.join("fedramp-automation"), &mut files);
    files.push(root.join(REV5_CATALOG));
    let schemas = schemas();
    let options = ValidateOptions {
        schemas: Some(&schemas),
        catalog: None,
    };
    let mut found: Vec<(String, Vec<(String, usize)>)> = Vec::new();
    for file in &files {
        let relative = file.strip_prefix(&root).unwrap().display().to_string();
        let doc = match document::read(file) {
            Ok(doc) => doc,
            // FedRAMP's resources folder holds JSON that is not OSCAL
            // (value lists, threats); it is refused as such.
            Err(e) if relative.contains("/resources/") => {
                assert!(e.to_string().contains("not an OSCAL document"), "{e}");
                continue;
            }
            Err(e) => panic!("{e}"),
        };
        let validation = validate(&doc, &options).unwrap();
        assert!(validation.schema.is_some());
        let mut by_rule: std::collections::BTreeMap<String, usize> = Default::default();
        for p in &validation.problems {
            *by_rule.entry(p.rule.id().to_owned()).or_default() += 1;
        }
        found.push((relative, by_rule.into_iter().collect()));
    }
    found.sort();
    let expected: Vec<(String, Vec<(String, usize)>)> = EXPECTED
        .iter()
        .map(|(f, rules)| {
            (
                (*f).to_owned(),
                rules.iter().map(|(r, n)| ((*r).to_owned(), *n)).collect(),
            )
        })
        .collect();
    assert_eq!(found, expected);
    // Every document the people importing baselines need is clean, or
    // carries only the defects named above.
    let clean = EXPECTED
        .iter()
        .filter(|(_, rules)| rules.is_empty())
        .count();
    assert_eq!(clean, 21);
}

fn validate_value(name: &str, value: &Value) -> Vec<(Rule, String)> {
    let doc = document::parse(name, value.to_string().as_bytes()).unwrap();
    let schemas = schemas();
    let options = ValidateOptions {
        schemas: Some(&schemas),
        catalog: None,
    };
    validate(&doc, &options)
        .unwrap()
        .problems
        .into_iter()
        .map(|p| (p.rule, p.pointer))
        .collect()
}

fn load_json(relative: &str) -> Option<Value> {
    let path = data(relative)?;
    Some(serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap())
}

#[test]
fn a_duplicated_uuid_is_named_with_both_places() {
    let Some(mut ssp) = load_json("nist-oscal-content/examples/ssp/json/ssp-example.json") else {
        return;
    };
    let plan = &mut ssp["system-security-plan"];
    let first = plan["system-implementation"]["components"][0]["uuid"].clone();
    plan["system-implementation"]["components"][1]["uuid"] = first.clone();
    let problems = validate_value("dup.json", &ssp);
    assert!(
        problems.contains(&(
            Rule::DuplicateUuid,
            "/system-security-plan/system-implementation/components/1/uuid".into()
        )),
        "{problems:#?}"
    );
    // The components the duplicate hid are now unknown to by-components.
    let doc = document::parse("dup.json", ssp.to_string().as_bytes()).unwrap();
    let validation = validate(&doc, &ValidateOptions::default()).unwrap();
    let dup = validation
        .problems
        .iter()
        .find(|p| p.rule == Rule::DuplicateUuid)
        .unwrap();
    assert_eq!(dup.fact("uuid"), first.as_str());
    assert_eq!(
        dup.fact("first"),
        Some("/system-security-plan/system-implementation/components/0")
    );
    assert_eq!(validation.schema, None, "no schema folder, no schema check");
    assert_eq!(validation.notes[0].0, "oscal-note-no-schema");
}

#[test]
fn dangling_references_are_named_by_pointer_and_field() {
    let Some(mut ssp) = load_json("nist-oscal-content/examples/ssp/json/ssp-example.json") else {
        return;
    };
    let plan = &mut ssp["system-security-plan"];
    let by = &mut plan["control-implementation"]["implemented-requirements"][0]["statements"][1]["by-components"]
        [0];
    by["component-uuid"] = json!("00000000-0000-4000-8000-000000000000");
    plan["metadata"]["links"] =
        json!([{ "href": "#11111111-0000-4000-8000-000000000000", "rel": "reference" }]);
    let problems = validate_value("dangling.json", &ssp);
    assert!(problems.contains(&(
        Rule::DanglingReference,
        "/system-security-plan/control-implementation/implemented-requirements/0/statements/1/by-components/0/component-uuid".into()
    )), "{problems:#?}");
    assert!(
        problems.contains(&(
            Rule::DanglingHref,
            "/system-security-plan/metadata/links/0/href".into()
        )),
        "{problems:#?}"
    );
    assert_eq!(problems.len(), 2, "{problems:#?}");
}

#[test]
fn a_schema_violation_is_named_by_pointer() {
    let Some(mut catalog) =
        load_json("nist-oscal-content/examples/catalog/json/basic-catalog.json")
    else {
        return;
    };
    catalog["catalog"]["metadata"]
        .as_object_mut()
        .unwrap()
        .remove("title");
    catalog["catalog"]["groups"][0]["groups"][0]["id"] = json!("has spaces");
    let problems = validate_value("schema.json", &catalog);
    let schema: Vec<&String> = problems
        .iter()
        .filter(|(r, _)| *r == Rule::Schema)
        .map(|(_, p)| p)
        .collect();
    assert!(
        schema.contains(&&"/catalog/metadata".to_owned()),
        "{problems:#?}"
    );
    assert!(
        schema.contains(&&"/catalog/groups/0/groups/0/id".to_owned()),
        "{problems:#?}"
    );
}

#[test]
fn a_profile_selecting_a_control_its_catalog_lacks_is_an_error() {
    let Some(mut profile) = load_json(&format!(
        "{NIST_REV5}/NIST_SP-800-53_rev5_LOW-baseline_profile.json"
    )) else {
        return;
    };
    profile["profile"]["imports"][0]["include-controls"][0]["with-ids"][3] = json!("zz-99");
    let doc = document::parse("low.json", profile.to_string().as_bytes()).unwrap();
    let catalog = read(&data(REV5_CATALOG).unwrap());
    let options = ValidateOptions {
        schemas: None,
        catalog: Some(&catalog),
    };
    let problems = validate(&doc, &options).unwrap().problems;
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert_eq!(problems[0].rule, Rule::UnknownControl);
    assert_eq!(
        problems[0].pointer,
        "/profile/imports/0/include-controls/0/with-ids/3"
    );
    assert_eq!(problems[0].fact("id"), Some("zz-99"));
}

fn control_ids(doc: &Document) -> Vec<String> {
    read_framework(doc)
        .unwrap()
        .controls
        .into_iter()
        .map(|c| c.id)
        .collect()
}

/// NIST's own resolved-profile catalogs are the expected answer.
#[test]
fn nist_rev5_baselines_resolve_to_nists_resolved_catalogs() {
    let Some(catalog_path) = data(REV5_CATALOG) else {
        return;
    };
    let catalog = read(&catalog_path);
    for (level, resolved, count) in [
        ("LOW", "LOW-baseline-resolved-profile_catalog.json", 149),
        (
            "MODERATE",
            "MODERATE-baseline-resolved-profile_catalog.json",
            287,
        ),
        (
            "HIGH",
            "HIGH-baseline-resolved-profile_catalog-min.json",
            370,
        ),
        (
            "PRIVACY",
            "PRIVACY-baseline-resolved-profile_catalog.json",
            102,
        ),
    ] {
        let profile = read(
            &data(&format!(
                "{NIST_REV5}/NIST_SP-800-53_rev5_{level}-baseline_profile.json"
            ))
            .unwrap(),
        );
        let resolution = resolve(&profile, Some(&catalog)).unwrap();
        assert!(
            resolution.unknown.is_empty(),
            "{level}: {:?}",
            resolution.unknown
        );
        let expected = control_ids(&read(
            &data(&format!("{NIST_REV5}/NIST_SP-800-53_rev5_{resolved}")).unwrap(),
        ));
        assert_eq!(expected.len(), count, "{level}");
        assert_eq!(resolution.framework.ids(), expected, "{level}");
        assert_eq!(
            resolution.framework.oscal_version,
            profile.oscal_version().unwrap()
        );
    }
}

/// FedRAMP's rev5 profiles resolve against the rev5 catalog to FedRAMP's
/// own resolved catalogs (JSON where published, XML otherwise).
#[test]
fn fedramp_rev5_baselines_resolve_to_fedramps_resolved_catalogs() {
    let Some(catalog_path) = data(REV5_CATALOG) else {
        return;
    };
    let catalog = read(&catalog_path);
    for (level, resolved) in [
        (
            "LOW",
            format!("{FEDRAMP_JSON}/FedRAMP_rev5_LOW-baseline-resolved-profile_catalog.json"),
        ),
        (
            "LI-SaaS",
            format!("{FEDRAMP_JSON}/FedRAMP_rev5_LI-SaaS-baseline-resolved-profile_catalog.json"),
        ),
        (
            "MODERATE",
            format!("{FEDRAMP_XML}/FedRAMP_rev5_MODERATE-baseline-resolved-profile_catalog.xml"),
        ),
        (
            "HIGH",
            format!("{FEDRAMP_XML}/FedRAMP_rev5_HIGH-baseline-resolved-profile_catalog.xml"),
        ),
    ] {
        let profile = read(
            &data(&format!(
                "{FEDRAMP_JSON}/FedRAMP_rev5_{level}-baseline_profile.json"
            ))
            .unwrap(),
        );
        assert_eq!(profile.oscal_version(), Some("1.0.4"));
        let resolution = resolve(&profile, Some(&catalog)).unwrap();
        assert!(
            resolution.unknown.is_empty(),
            "{level}: {:?}",
            resolution.unknown
        );
        let expected = control_ids(&read(&data(&resolved).unwrap()));
        assert_eq!(resolution.framework.ids(), expected, "{level}");
    }
}

/// A profile finds its catalog through the back-matter rlink when the file
/// is there, and says what to do when it is not.
#[test]
fn an_import_without_a_local_catalog_asks_for_one() {
    let Some(path) = data(&format!(
        "{NIST_REV5}/NIST_SP-800-53_rev5_LOW-baseline_profile.json"
    )) else {
        return;
    };
    let error = resolve(&read(&path), None).unwrap_err();
    assert!(error.0.contains("--catalog"), "{error}");
    assert!(error.0.contains("NIST_SP-800-53_rev5_catalog"), "{error}");
}

#[test]
fn the_rev5_catalog_reads_as_a_reference_framework() {
    let Some(path) = data(REV5_CATALOG) else {
        return;
    };
    let framework = read_framework(&read(&path)).unwrap();
    assert_eq!(framework.controls.len(), 1196);
    assert_eq!(framework.version, "5.2.0");
    assert_eq!(framework.oscal_version, "1.1.3");
    let ac2 = framework.control("ac-2").unwrap();
    assert_eq!(ac2.label.as_deref(), Some("AC-2"));
    assert_eq!(ac2.title, "Account Management");
    assert_eq!(ac2.group.as_deref(), Some("ac"));
    assert!(
        ac2.statement
            .contains("a. Define and document the types of accounts"),
        "{}",
        ac2.statement
    );
    assert!(
        ac2.statement
            .contains("c. Require [Assignment: prerequisites and criteria] for group"),
        "{}",
        ac2.statement
    );
    let e = framework.control("ac-2.10").unwrap();
    assert_eq!(e.parent.as_deref(), Some("ac-2"));
    assert!(e.withdrawn);
    assert_eq!(
        framework.controls.iter().filter(|c| c.withdrawn).count(),
        182
    );
    let rev4 = read_framework(&read(
        &data(
            "nist-oscal-content/nist.gov/SP800-53/rev4/json/NIST_SP-800-53_rev4_catalog-min.json",
        )
        .unwrap(),
    ))
    .unwrap();
    assert_eq!(rev4.controls.len(), 922);
    assert_eq!(rev4.controls.iter().filter(|c| c.withdrawn).count(), 96);
}

/// The same FedRAMP MODERATE baseline published as XML (dist) and as JSON
/// (an earlier commit) reads to the same controls.
#[test]
fn xml_and_json_of_the_same_baseline_read_alike() {
    let Some(xml_path) = data(&format!(
        "{FEDRAMP_XML}/FedRAMP_rev5_MODERATE-baseline-resolved-profile_catalog.xml"
    )) else {
        return;
    };
    let xml = read(&xml_path);
    let json = read(&data("fedramp-automation/history-b7f93ee/dist/content/rev5/baselines/json/FedRAMP_rev5_MODERATE-baseline-resolved-profile_catalog.json").unwrap());
    assert_eq!((xml.syntax, json.syntax), (Syntax::Xml, Syntax::Json));
    assert_eq!((xml.model, json.model), (Model::Catalog, Model::Catalog));
    let (x, j) = (
        read_framework(&xml).unwrap(),
        read_framework(&json).unwrap(),
    );
    assert_eq!(x.controls.len(), 323);
    assert_eq!(x.controls.len(), j.controls.len());
    for (a, b) in x.controls.iter().zip(&j.controls) {
        assert_eq!(
            (
                &a.id,
                &a.label,
                &a.title,
                &a.class,
                &a.parent,
                &a.group,
                a.withdrawn
            ),
            (
                &b.id,
                &b.label,
                &b.title,
                &b.class,
                &b.parent,
                &b.group,
                b.withdrawn
            )
        );
    }
    let differing: Vec<(&str, &str)> = x
        .controls
        .iter()
        .zip(&j.controls)
        .filter(|(a, b)| a.statement != b.statement)
        .map(|(a, b)| (a.statement.as_str(), b.statement.as_str()))
        .collect();
    // The two publications are three months apart and differ in a few
    // texts themselves (a curly apostrophe, `\"` escapes in the JSON,
    // `*` vs `-` list marks); the markup conversion adds no difference.
    assert!(
        differing.len() <= 5,
        "{} differ: {:#?}",
        differing.len(),
        &differing[..differing.len().min(3)]
    );
}

#[test]
fn fedramp_xml_plans_read_as_system_security_plans() {
    let Some(path) = data(
        "fedramp-automation/develop/src/content/rev5/examples/ssp/xml/fedramp-ssp-example.oscal.xml",
    ) else {
        return;
    };
    let plan = read_ssp(&read(&path)).unwrap();
    assert_eq!(plan.oscal_version, "1.1.2");
    assert_eq!(plan.system_name, "System's Full Name");
    assert_eq!(plan.requirements.len(), 323);
    let ac1 = &plan.requirements[0];
    assert_eq!(ac1.control_id, "ac-1");
    let first = &ac1.responses[0];
    assert_eq!(first.statement_id.as_deref(), Some("ac-1_smt.a.1"));
    assert_eq!(first.status.as_deref(), Some("operational"));
    assert!(!first.description.is_empty());
    assert_eq!(plan.leveraged.len(), 1);

    let awesome = read_ssp(&read(
        &data("fedramp-automation/develop/src/content/awesome-cloud/xml/AwesomeCloudSSP1.xml")
            .unwrap(),
    ))
    .unwrap();
    assert_eq!(awesome.oscal_version, "1.0.4");
    assert_eq!(awesome.requirements.len(), 2);
    assert!(!awesome.system_name.is_empty());

    let nist = read_ssp(&read(
        &data("nist-oscal-content/examples/ssp/json/oscal_leveraging-example_ssp.json").unwrap(),
    ))
    .unwrap();
    assert_eq!(nist.leveraged.len(), 1);
    assert_eq!(nist.requirements[0].control_id, "ac-2");
    assert!(
        nist.requirements[0]
            .responses
            .iter()
            .all(|r| r.component.is_some())
    );
}

#[test]
fn models_are_told_by_the_root() {
    let Some(root) = shared_data() else { return };
    for (file, model) in [
        (
            "nist-oscal-content/examples/ap/json/ifa_assessment-plan-example.json",
            Model::AssessmentPlan,
        ),
        (
            "nist-oscal-content/examples/ar/json/ifa_assessment-results-example.json",
            Model::AssessmentResults,
        ),
        (
            "nist-oscal-content/examples/poam/json/ifa_plan-of-action-and-milestones.json",
            Model::PlanOfActionAndMilestones,
        ),
        (
            "nist-oscal-content/examples/component-definition/json/example-component-definition.json",
            Model::ComponentDefinition,
        ),
        (
            "fedramp-automation/develop/src/content/awesome-cloud/xml/AwesomeCloudPOAM.xml",
            Model::PlanOfActionAndMilestones,
        ),
        (
            "fedramp-automation/develop/src/content/awesome-cloud/xml/AwesomeCloudSAR.xml",
            Model::AssessmentResults,
        ),
        (
            "fedramp-automation/develop/src/content/awesome-cloud/xml/AwesomeCloudSAP.xml",
            Model::AssessmentPlan,
        ),
    ] {
        assert_eq!(read(&root.join(file)).model, model, "{file}");
    }
    let error = document::parse("x.json", br#"{"catalogue": {}}"#).unwrap_err();
    assert!(
        error.to_string().contains("not an OSCAL document"),
        "{error}"
    );
    let error = document::parse("x.xml", b"<catalog><metadata></catalog>").unwrap_err();
    assert!(error.to_string().contains("x.xml:1"), "{error}");
}

#[test]
fn problems_in_xml_point_at_the_element_and_line() {
    let xml = r##"<?xml version="1.0" encoding="UTF-8"?>
<catalog xmlns="http://csrc.nist.gov/ns/oscal/1.0" uuid="74c8ba1e-5cd4-4ad1-bbfd-d888e2f6c724">
  <metadata>
    <title>T</title>
    <last-modified>2024-01-01T00:00:00Z</last-modified>
    <version>1</version>
    <oscal-version>1.0.4</oscal-version>
  </metadata>
  <control id="c-1"><title>One</title></control>
  <control id="c-1"><title>Two</title>
    <link href="#nowhere" rel="related"/>
  </control>
</catalog>"##;
    let doc = document::parse("dup.xml", xml.as_bytes()).unwrap();
    let validation = validate(&doc, &ValidateOptions::default()).unwrap();
    let rules: HashSet<Rule> = validation.problems.iter().map(|p| p.rule).collect();
    assert_eq!(
        rules,
        HashSet::from([Rule::DuplicateId, Rule::DanglingFragment])
    );
    let dup = validation
        .problems
        .iter()
        .find(|p| p.rule == Rule::DuplicateId)
        .unwrap();
    let place = doc.xml_place(&dup.pointer).unwrap();
    assert_eq!(
        (place.path.as_str(), place.line),
        ("/catalog/control[2]", 10)
    );
    let href = validation
        .problems
        .iter()
        .find(|p| p.rule == Rule::DanglingFragment)
        .unwrap();
    assert_eq!(doc.xml_place(&href.pointer).unwrap().line, 11);
}

/// What the `Value` path finds without schemas, or `None` when it does not
/// read the document or the fast path does not apply (a profile).
fn checked_by_value(name: &str, bytes: &[u8]) -> Option<(Document, oscal_in::Validation)> {
    let doc = document::parse(name, bytes).ok()?;
    if doc.model == Model::Profile {
        return None;
    }
    let validation = validate(&doc, &ValidateOptions::default()).unwrap();
    Some((doc, validation))
}

/// `value` as JSON text with every object's members in reverse key order.
fn keys_reversed(value: &Value) -> String {
    match value {
        Value::Object(map) => {
            let members: Vec<String> = map
                .iter()
                .rev()
                .map(|(k, v)| format!("{}:{}", Value::from(k.as_str()), keys_reversed(v)))
                .collect();
            format!("{{{}}}", members.join(","))
        }
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(keys_reversed).collect();
            format!("[{}]", items.join(","))
        }
        other => other.to_string(),
    }
}

/// The fast path gives what the `Value` path gives, problem for problem.
fn assert_same_findings(name: &str, bytes: &[u8]) -> bool {
    let fast = oscal_in::validate_json_fast(name, bytes);
    let slow = checked_by_value(name, bytes);
    match (fast, slow) {
        (Some((fast_doc, fast)), Some((slow_doc, slow))) => {
            assert_eq!(fast_doc.model, slow_doc.model, "{name}");
            assert_eq!(fast_doc.syntax, slow_doc.syntax, "{name}");
            assert_eq!(fast_doc.oscal_version(), slow_doc.oscal_version(), "{name}");
            assert_eq!(fast.schema, slow.schema, "{name}");
            assert_eq!(fast.notes, slow.notes, "{name}");
            assert_eq!(fast.problems, slow.problems, "{name}");
            assert_eq!(
                oscal_in::validation_to_json(&fast_doc, &fast),
                oscal_in::validation_to_json(&slow_doc, &slow),
                "{name}"
            );
            true
        }
        (None, None) => false,
        (fast, slow) => panic!(
            "{name}: fast path {}, Value path {}",
            if fast.is_some() {
                "applies"
            } else {
                "declines"
            },
            if slow.is_some() {
                "reads it"
            } else {
                "does not"
            }
        ),
    }
}

#[test]
fn the_fast_path_finds_what_the_value_path_finds_in_every_real_json_file() {
    let Some(root) = shared_data() else { return };
    fn json_under(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                json_under(&path, out);
            } else if path.extension().and_then(|e| e.to_str()) == Some("json") {
                out.push(path);
            }
        }
    }
    let mut files = Vec::new();
    json_under(&root, &mut files);
    files.sort();
    let mut compared = 0;
    let mut problems = 0;
    for file in &files {
        let bytes = std::fs::read(file).unwrap();
        let name = file.display().to_string();
        if assert_same_findings(&name, &bytes) {
            compared += 1;
            problems += oscal_in::validate_json_fast(&name, &bytes)
                .unwrap()
                .1
                .problems
                .len();
        }
    }
    // Catalogs, resolved catalogs, SSPs, POA&Ms, assessment plans and
    // results; some with problems.
    assert!(compared >= 20, "only {compared} documents compared");
    assert!(problems > 0);
}

#[test]
fn the_fast_path_orders_findings_as_the_value_path_does() {
    let u = |n: u32| format!("00000000-0000-4000-8000-{n:012}");
    let mut controls: Vec<Value> = (0..12)
        .map(|i| json!({ "id": format!("c-{}", i % 5), "title": "t", "uuid": u(i % 7) }))
        .collect();
    controls.push(
        json!({ "id": "x", "links": [{ "href": "#nowhere" }, { "href": format!("#{}", u(99)) }] }),
    );
    let docs = [
        json!({ "catalog": {
            "uuid": u(3),
            "metadata": { "oscal-version": "1.0.0", "title": "t",
                "roles": [{ "id": "r" }, { "id": "r" }],
                "parties": [{ "uuid": u(50), "member-of-organizations": [u(51), u(50), 3] }],
                "props": [{ "name": "resolution-tool", "value": "x" }] },
            "groups": [{ "id": "g", "controls": controls.clone() }],
            "back-matter": { "resources": [{ "uuid": u(3), "rlinks": [{ "href": "#c-1" }] }] },
            "z~/key": [{ "role-id": "nobody", "uuid": u(4), "href": { "href": "#in-an-object" } }],
            "a": [[{ "uuid": u(3) }], { "uuid": u(4), "id": "c-2" }],
        }}),
        json!({ "$schema": "s", "system-security-plan": {
            "uuid": u(1),
            "metadata": { "oscal-version": "1.1.2" },
            "control-implementation": { "implemented-requirements": controls },
            "party-uuid": u(9), "role-ids": ["a", ["b"], "c"], "location-uuids": "x",
        }}),
    ];
    for doc in &docs {
        assert!(assert_same_findings(
            "synthetic",
            doc.to_string().as_bytes()
        ));
        assert!(assert_same_findings(
            "synthetic",
            serde_json::to_string_pretty(doc).unwrap().as_bytes()
        ));
        // The fast path meets members in the file's order: here the
        // reverse of the `Value` path's.
        assert!(assert_same_findings(
            "synthetic",
            keys_reversed(doc).as_bytes()
        ));
    }
    // Keys out of order, escaped keys and strings, a BOM.
    let text = "\u{feff} {\"catalog\":{\"uuid\":\"b\",\"groups\":[{\"uuid\":\"a\",\"id\":\"g\\u0031\"},\
        {\"id\":\"g1\",\"uuid\":\"a\"}],\"b\\/c\":[{\"uuid\":\"b\"}],\"metadata\":{\"oscal-version\":\"1.1.2\",\
        \"links\":[{\"rel\":\"source-profile\"}]},\"back-matter\":{\"resources\":[{\"uuid\":\"a\"}]}}}";
    assert!(assert_same_findings("synthetic", text.as_bytes()));
    // What the fast path leaves to the Value path.
    for text in [
        "{\"catalog\":{\"uuid\":\"a\",\"uuid\":\"b\"}}",
        "{\"catalog\":{\"uuid\":\"a\"},\"catalog\":{}}",
        "{\"catalog\":[]}",
        "{\"catalog\":{}, \"profile\":{}}",
        "{\"catalog\":{\"uuid\":\"a\"}",
        "{\"profile\":{\"uuid\":\"a\"}}",
        "<catalog/>",
        "[]",
    ] {
        assert!(
            oscal_in::validate_json_fast("t", text.as_bytes()).is_none(),
            "{text}"
        );
    }
}
