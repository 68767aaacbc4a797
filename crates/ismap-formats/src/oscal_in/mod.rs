//! OSCAL documents read in: JSON or XML, OSCAL 1.0.4 to 1.1.3, any model
//! (catalog, profile, SSP, component definition, assessment plan and
//! results, POA&M). XML is turned into the JSON shape first
//! ([`xml`]), so schema validation, the referential checks and the readers
//! exist once. `oscal.rs` (beside this module) is the other direction.
//!
//! - [`document`]: read a file, tell its model;
//! - [`checks`]: referential checks (always run), [`schema`]: the official
//!   JSON schema (when a schema folder is given);
//! - [`catalog`], [`profile`], [`ssp`]: the documents as domain values.

pub mod catalog;
pub mod checks;
pub mod document;
pub mod fast;
mod paths;
pub mod profile;
pub mod schema;
pub mod ssp;
pub mod xml;

use std::collections::BTreeMap;
use std::path::Path;

use ismap_i18n::{Lang, Messages};
use serde_json::{Value, json};

pub use checks::{Problem, Rule};
pub use document::{Document, Model, Syntax};

use crate::source::SourceError;

/// What `validate` needs besides the document.
#[derive(Default)]
pub struct ValidateOptions<'a> {
    /// Folder with `oscal_<model>_schema.json`; `None`: schema not checked.
    pub schemas: Option<&'a Path>,
    /// The catalog a profile imports, when its own `href` is not local.
    pub catalog: Option<&'a Document>,
}

/// The outcome of validating one document.
#[derive(Debug)]
pub struct Validation {
    /// The schema file used; `None` when schema validation did not run.
    pub schema: Option<String>,
    pub problems: Vec<Problem>,
    /// Things not checked, and why (message ids with their facts).
    pub notes: Vec<(&'static str, Vec<(&'static str, String)>)>,
}

impl Validation {
    pub fn errors(&self) -> usize {
        self.problems.iter().filter(|p| p.rule.is_error()).count()
    }

    pub fn warnings(&self) -> usize {
        self.problems.len() - self.errors()
    }
}

/// Schema validation (with `options.schemas`) and the referential checks;
/// for a profile whose catalog is at hand, also its selections.
/// Only an unusable schema folder is an error.
pub fn validate(doc: &Document, options: &ValidateOptions<'_>) -> Result<Validation, SourceError> {
    let mut problems = Vec::new();
    let mut notes = Vec::new();
    let schema = match options.schemas {
        Some(dir) => {
            let schema = schema::Schema::load(dir, doc.model)?;
            problems.extend(schema.check(doc));
            let minor = |v: &str| v.split('.').take(2).collect::<Vec<_>>().join(".");
            if let (Some(document), Some(version)) = (doc.oscal_version(), &schema.version)
                && minor(document) != minor(version)
            {
                notes.push((
                    "oscal-note-version-differs",
                    vec![
                        ("document", document.to_owned()),
                        ("schema", version.clone()),
                    ],
                ));
            }
            Some(schema.path.display().to_string())
        }
        None => {
            notes.push(("oscal-note-no-schema", Vec::new()));
            None
        }
    };
    problems.extend(checks::referential(doc));
    if doc.model == Model::Profile {
        match profile::resolve(doc, options.catalog) {
            Ok(resolution) => problems.extend(resolution.unknown),
            Err(e) => notes.push(("oscal-note-no-catalog", vec![("reason", e.0)])),
        }
    }
    Ok(Validation {
        schema,
        problems,
        notes,
    })
}

/// [`validate`] without schemas, straight from JSON bytes (no
/// `serde_json::Value`; see [`fast`]): the same problems in the same order.
/// The document returned is an outline ([`Document::outline`]): enough to
/// report on, nothing more. `None` when this path does not apply (XML, a
/// profile, JSON that is invalid, odd or not OSCAL): read the document and
/// call [`validate`] instead.
pub fn validate_json_fast(file: &str, bytes: &[u8]) -> Option<(Document, Validation)> {
    let outcome = fast::referential(bytes)?;
    if outcome.model == Model::Profile {
        return None;
    }
    let doc = Document::outline(file, outcome.model, outcome.oscal_version.as_deref());
    let validation = Validation {
        schema: None,
        problems: outcome.problems,
        notes: vec![("oscal-note-no-schema", Vec::new())],
    };
    Some((doc, validation))
}

/// Where a problem is, for people: the JSON pointer, and for XML the
/// element path and line.
pub fn place(doc: &Document, pointer: &str) -> String {
    match doc.xml_place(pointer) {
        Some(p) => format!("{}:{} {} ({})", doc.file, p.line, p.path, pointer),
        None => format!(
            "{} {}",
            doc.file,
            if pointer.is_empty() { "/" } else { pointer }
        ),
    }
}

pub fn message(lang: Lang, problem: &Problem) -> String {
    let args: Vec<(&str, String)> = problem.facts.iter().map(|(k, v)| (*k, v.clone())).collect();
    Messages::get().text(lang, &format!("oscal-rule-{}", problem.rule.id()), &args)
}

fn note_text(lang: Lang, note: &(&'static str, Vec<(&'static str, String)>)) -> String {
    let args: Vec<(&str, String)> = note.1.iter().map(|(k, v)| (*k, v.clone())).collect();
    Messages::get().text(lang, note.0, &args)
}

/// The JSON report of `ismap oscal validate --format json`.
pub fn validation_to_json(doc: &Document, validation: &Validation) -> Value {
    let problems: Vec<Value> = validation
        .problems
        .iter()
        .map(|p| {
            let facts: serde_json::Map<String, Value> = p
                .facts
                .iter()
                .map(|(k, v)| ((*k).to_owned(), Value::String(v.clone())))
                .collect();
            let mut out = json!({
                "rule": p.rule.id(),
                "severity": if p.rule.is_error() { "error" } else { "warning" },
                "pointer": p.pointer,
                "message": { "ja": message(Lang::Ja, p), "en": message(Lang::En, p) },
                "facts": facts,
            });
            if let Some(place) = doc.xml_place(&p.pointer) {
                out["xml"] = json!({ "path": place.path, "line": place.line });
            }
            out
        })
        .collect();
    let notes: Vec<Value> = validation
        .notes
        .iter()
        .map(|n| json!({ "id": n.0, "ja": note_text(Lang::Ja, n), "en": note_text(Lang::En, n) }))
        .collect();
    json!({
        "file": doc.file,
        "model": doc.model.root(),
        "syntax": doc.syntax.name(),
        "oscal-version": doc.oscal_version(),
        "schema": { "checked": validation.schema.is_some(), "file": validation.schema },
        "errors": validation.errors(),
        "warnings": validation.warnings(),
        "problems": problems,
        "notes": notes,
    })
}

pub fn notes_text(lang: Lang, validation: &Validation) -> Vec<String> {
    validation
        .notes
        .iter()
        .map(|n| note_text(lang, n))
        .collect()
}

/// Lengths of every array in the document, summed by key (`controls`,
/// `implemented-requirements`, …).
fn array_counts<'a>(value: &'a Value, key: Option<&'a str>, out: &mut BTreeMap<&'a str, usize>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                array_counts(v, Some(k), out);
            }
        }
        Value::Array(items) => {
            if let Some(key) = key {
                *out.entry(key).or_default() += items.len();
            }
            for item in items {
                array_counts(item, None, out);
            }
        }
        _ => {}
    }
}

/// What `ismap oscal show` prints: the model, its version and the counts
/// that matter for the model.
pub fn summary(doc: &Document) -> Value {
    let mut counts = BTreeMap::new();
    array_counts(doc.root(), None, &mut counts);
    let wanted: &[&str] = match doc.model {
        Model::Catalog => &["groups", "controls", "params", "parts"],
        Model::Profile => &["imports", "with-ids", "set-parameters", "alters"],
        Model::SystemSecurityPlan => &[
            "components",
            "implemented-requirements",
            "by-components",
            "leveraged-authorizations",
            "users",
            "inventory-items",
        ],
        Model::ComponentDefinition => &[
            "components",
            "control-implementations",
            "implemented-requirements",
        ],
        Model::AssessmentPlan => &["tasks", "activities", "assessment-subjects"],
        Model::AssessmentResults => &["results", "observations", "findings", "risks"],
        Model::PlanOfActionAndMilestones => &["poam-items", "observations", "risks", "findings"],
    };
    let mut selected = serde_json::Map::new();
    for key in wanted {
        selected.insert(
            (*key).to_owned(),
            json!(counts.get(key).copied().unwrap_or(0)),
        );
    }
    let mut out = json!({
        "file": doc.file,
        "model": doc.model.root(),
        "syntax": doc.syntax.name(),
        "title": doc.metadata_str("title"),
        "version": doc.metadata_str("version"),
        "oscal-version": doc.oscal_version(),
        "uuid": doc.root()["uuid"],
        "counts": selected,
    });
    match doc.model {
        Model::Catalog => {
            if let Ok(f) = catalog::read_framework(doc) {
                out["counts"]["withdrawn"] =
                    json!(f.controls.iter().filter(|c| c.withdrawn).count());
            }
        }
        Model::SystemSecurityPlan => {
            if let Ok(plan) = ssp::read_ssp(doc) {
                out["system-name"] = json!(plan.system_name);
                out["import-profile"] = json!(plan.import_profile);
            }
        }
        _ => {}
    }
    out
}
