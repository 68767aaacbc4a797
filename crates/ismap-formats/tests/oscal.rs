//! The OSCAL export passes the official OSCAL 1.1.3 catalog schema.

use std::collections::HashSet;

use ismap_formats::bundled::default_catalog;
use ismap_formats::oscal::catalog_to_oscal;
use serde_json::Value;

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
