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
