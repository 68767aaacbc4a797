//! The OSCAL export passes the official OSCAL 1.1.3 catalog schema.

use std::collections::HashSet;

use ismap_formats::bundled::default_catalog;
use ismap_formats::oscal::catalog_to_oscal;
use serde_json::{Value, json};

fn schema() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/oscal-schemas/v1.1.3/oscal_catalog_schema.json"
    );
    let text = std::fs::read_to_string(path).unwrap_or_explained(path);
    serde_json::from_str(&text).expect("the schema is JSON")
}

trait Explain<T> {
    fn unwrap_or_explained(self, path: &str) -> T;
}

impl<T> Explain<T> for std::io::Result<T> {
    fn unwrap_or_explained(self, path: &str) -> T {
        self.unwrap_or_else(|e| {
            panic!("the OSCAL schemas must be beside the repository ({path}): {e}")
        })
    }
}

/// Every `id` in the document, with the class of the object that carries it.
fn ids(value: &Value, out: &mut Vec<(String, String)>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(id)) = map.get("id") {
                let class = map.get("class").and_then(Value::as_str).unwrap_or("");
                out.push((id.clone(), class.to_owned()));
            }
            map.values().for_each(|v| ids(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| ids(v, out)),
        _ => {}
    }
}

#[test]
fn catalogs_export_as_valid_oscal() {
    let validator = jsonschema::draft7::new(&schema()).expect("the official schema compiles");
    for catalog in [
        default_catalog().clone(),
        ismap_domain::synthetic::full_size_catalog(),
    ] {
        let document = catalog_to_oscal(&catalog, "2026-11-25T00:00:00Z");
        let errors: Vec<String> = validator
            .iter_errors(&document)
            .take(10)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{}: {errors:#?}", catalog.id());

        let mut all = Vec::new();
        ids(&document, &mut all);
        let controls = all
            .iter()
            .filter(|(_, class)| class == "ismap-objective" || class == "ismap-detailed-control")
            .count();
        assert_eq!(
            controls,
            catalog.controls().len(),
            "every control exported once"
        );
        let unique: HashSet<&String> = all.iter().map(|(id, _)| id).collect();
        assert_eq!(unique.len(), all.len(), "ids are unique");
        // Stable: the same catalog gives the same document.
        assert_eq!(document, catalog_to_oscal(&catalog, "2026-11-25T00:00:00Z"));
    }
    // The check is real: a document without its UUID does not pass.
    let mut broken = catalog_to_oscal(default_catalog(), "2026-11-25T00:00:00Z");
    broken["catalog"].as_object_mut().unwrap().remove("uuid");
    assert!(!validator.is_valid(&broken));
    let excerpt = catalog_to_oscal(default_catalog(), "2026-11-25T00:00:00Z");
    assert!(
        excerpt["catalog"]["metadata"]["remarks"]
            .as_str()
            .unwrap()
            .contains("抜粋")
    );
}

#[test]
fn statements_export_as_valid_oscal_ssps() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/oscal-schemas/v1.1.3/oscal_ssp_schema.json"
    );
    let schema: Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap_or_explained(path)).unwrap();
    let validator = jsonschema::draft7::new(&schema).expect("the official schema compiles");
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/saas-valid.yaml"
    ))
    .unwrap();
    let statement = ismap_formats::statement_file::parse_statement("saas-valid.yaml", &text)
        .unwrap()
        .statement;
    let ssp = ismap_formats::oscal::statement_to_ssp(
        &statement,
        default_catalog(),
        "2026-11-25T00:00:00Z",
    );
    let errors: Vec<String> = validator
        .iter_errors(&ssp)
        .take(10)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let requirements =
        ssp["system-security-plan"]["control-implementation"]["implemented-requirements"]
            .as_array()
            .unwrap();
    assert_eq!(
        requirements.len(),
        statement.controls.len(),
        "every decided control"
    );
    let inherited = requirements
        .iter()
        .find(|r| r["control-id"] == "ismap-11.2.7.4.PB")
        .expect("the inherited baseline requirement");
    let leveraged =
        &ssp["system-security-plan"]["system-implementation"]["leveraged-authorizations"][0];
    assert_eq!(leveraged["title"], "C21-0008-2");
    assert!(
        inherited["props"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["value"] == leveraged["uuid"])
    );
    let mut broken = ssp.clone();
    broken["system-security-plan"]
        .as_object_mut()
        .unwrap()
        .remove("import-profile");
    assert!(!validator.is_valid(&broken));
}

fn validator(model: &str) -> jsonschema::Validator {
    let path = format!(
        "{}/../../../shared/data/oscal-schemas/v1.1.3/oscal_{model}_schema.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let schema: Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap_or_explained(&path)).unwrap();
    jsonschema::draft7::new(&schema).expect("the official schema compiles")
}

fn schema_errors(validator: &jsonschema::Validator, document: &Value) -> Vec<String> {
    validator
        .iter_errors(document)
        .take(10)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

/// A report over every control of the example statement: one deficiency,
/// one control not tested, the rest conforming.
fn example_report() -> ismap_formats::audit_report::ReportSnapshot {
    use ismap_domain::audit::Scope;
    use ismap_domain::audit_work::{AuditResult, EngagementScope};
    use ismap_formats::audit_report::{RecordedResult, ReportInput, snapshot};
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/saas-valid.yaml"
    ))
    .unwrap();
    let statement = ismap_formats::statement_file::parse_statement("saas-valid.yaml", &text)
        .unwrap()
        .statement;
    let catalog = default_catalog();
    let controls = EngagementScope::new(Scope::Full, 1)
        .unwrap()
        .controls(catalog);
    let input = ReportInput {
        engagement: 7,
        service: "サンプル文書管理SaaS",
        provider: "株式会社サンプルクラウド",
        audit_organization: "サンプル監査法人",
        auditors: vec!["監査人".into()],
        catalog,
        statement: &statement,
        statement_id: 1,
        revision: 2,
        period: ("2025-04-01".into(), "2026-03-31".into()),
        scope: "full",
        cycle: (1, 1),
        controls: &controls,
    };
    snapshot(&input, |id| {
        let text = id.to_string();
        Some(RecordedResult {
            performed: "inspection",
            result: match text.as_str() {
                "8.1.2.7.PB" => AuditResult::Deficiency,
                "5.1.2" => AuditResult::NotTested,
                _ => AuditResult::Conforming,
            },
            finding: if text == "8.1.2.7.PB" {
                "keys not offered"
            } else {
                ""
            },
            samples: "25 of 250",
        })
    })
}

#[test]
fn reports_export_as_valid_oscal_assessment_results() {
    let report = example_report();
    let ar = ismap_formats::oscal_assessment::report_to_assessment_results(
        &report,
        2,
        "2026-04-10T09:00:00.000Z",
    );
    let errors = schema_errors(&validator("assessment-results"), &ar);
    assert!(errors.is_empty(), "{errors:#?}");
    let result = &ar["assessment-results"]["results"][0];
    let reviewed = result["reviewed-controls"]["control-selections"][0]["include-controls"]
        .as_array()
        .unwrap();
    assert_eq!(reviewed.len(), report.rows.len(), "every control in scope");
    let findings = result["findings"].as_array().unwrap();
    assert_eq!(
        findings.len(),
        report.rows.len() - 1,
        "not tested: no finding"
    );
    let deficient = findings
        .iter()
        .find(|f| f["target"]["target-id"] == "ismap-8.1.2.7.PB")
        .unwrap();
    assert_eq!(deficient["target"]["status"]["state"], "not-satisfied");
    assert_eq!(deficient["description"], "keys not offered");
    // Stable: the same report exports the same document.
    assert_eq!(
        ar,
        ismap_formats::oscal_assessment::report_to_assessment_results(
            &report,
            2,
            "2026-04-10T09:00:00.000Z"
        )
    );
    let mut broken = ar.clone();
    broken["assessment-results"]["results"][0]["start"] = json!("last spring");
    assert!(!schema_errors(&validator("assessment-results"), &broken).is_empty());
}

#[test]
fn improvement_plans_export_as_valid_oscal_poams() {
    use ismap_formats::oscal_assessment::{PlanItem, plan_to_poam};
    let report = example_report();
    let items = [PlanItem {
        id: 3,
        control: "8.1.2.7.PB",
        measure: "offer customer-managed keys to every tenant",
        due_date: "2026-09-30",
        status: "in_progress",
    }];
    let poam = plan_to_poam(&report, &items, "2026-04-20T09:00:00.000Z");
    let errors = schema_errors(&validator("poam"), &poam);
    assert!(errors.is_empty(), "{errors:#?}");
    let risk = &poam["plan-of-action-and-milestones"]["risks"][0];
    assert_eq!(risk["status"], "remediating");
    assert_eq!(risk["deadline"], "2026-09-30T23:59:59+09:00");
    assert_eq!(risk["description"], "keys not offered");
    assert_eq!(
        poam["plan-of-action-and-milestones"]["poam-items"][0]["related-risks"][0]["risk-uuid"],
        risk["uuid"]
    );
}
