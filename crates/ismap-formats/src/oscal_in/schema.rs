//! Validation against the official OSCAL JSON schemas. The schemas are not
//! shipped with ismap (they are NIST's release artefacts, and a deployment
//! chooses the OSCAL version it checks against): the caller names a folder
//! holding `oscal_<model>_schema.json` files.

use std::path::{Path, PathBuf};

use super::checks::{Problem, Rule};
use super::document::{Document, Model};
use crate::source::SourceError;

/// At most this many schema errors are reported; the first ones tell
/// what is wrong, thousands more would only hide them.
pub const MAX_SCHEMA_ERRORS: usize = 100;

pub fn schema_path(dir: &Path, model: Model) -> PathBuf {
    dir.join(format!("oscal_{}_schema.json", model.schema_name()))
}

/// A compiled schema for one model.
pub struct Schema {
    pub path: PathBuf,
    /// The OSCAL version the schema is for, from its `$id`.
    pub version: Option<String>,
    validator: jsonschema::Validator,
}

impl Schema {
    /// Reads and compiles the schema for `model` from `dir`.
    pub fn load(dir: &Path, model: Model) -> Result<Schema, SourceError> {
        let path = schema_path(dir, model);
        let file = path.display().to_string();
        if let Err(e) = std::fs::metadata(&path) {
            return Err(SourceError::whole_file(
                &file,
                format!(
                    "cannot read the OSCAL {model} schema: {e}; --schemas must name a folder \
                     with NIST's oscal_<model>_schema.json files"
                ),
            ));
        }
        // NIST's schemas are under 1 MB; a folder given by a user is bounded
        // like any input.
        let text = crate::limits::read_file(&path, crate::limits::DEFAULT_MAX_INPUT_BYTES)?;
        let schema: serde_json::Value = serde_json::from_slice(&text).map_err(|e| {
            let mut error = super::document::json_error(&file, &e);
            if error.limit.is_none() {
                error = SourceError::whole_file(&file, format!("the schema is not JSON: {e}"));
            }
            error
        })?;
        // The OSCAL schemas use \p{L}-style classes that only the `regex`
        // engine's Unicode tables handle quickly; no pattern needs look-around.
        let validator = jsonschema::options()
            .with_draft(jsonschema::Draft::Draft7)
            .with_pattern_options(jsonschema::PatternOptions::regex())
            .build(&schema)
            .map_err(|e| {
                SourceError::whole_file(&file, format!("the schema does not compile: {e}"))
            })?;
        // "$id": "http://csrc.nist.gov/ns/oscal/1.1.3/oscal-catalog-schema.json"
        let version = schema["$id"]
            .as_str()
            .and_then(|id| id.split("/oscal/").nth(1))
            .and_then(|rest| rest.split('/').next())
            .map(str::to_owned);
        Ok(Schema {
            path,
            version,
            validator,
        })
    }

    /// Schema problems of `doc`, the first [`MAX_SCHEMA_ERRORS`] of them.
    pub fn check(&self, doc: &Document) -> Vec<Problem> {
        self.validator
            .iter_errors(&doc.value)
            .take(MAX_SCHEMA_ERRORS)
            .map(|error| {
                let mut detail = error.to_string();
                // Messages quote the offending value; a whole control would
                // drown the line.
                if detail.chars().count() > 300 {
                    detail = detail.chars().take(300).collect::<String>() + "…";
                }
                Problem::new(
                    Rule::Schema,
                    error.instance_path().to_string(),
                    vec![
                        ("detail", detail),
                        ("keyword", error.schema_path().to_string()),
                    ],
                )
            })
            .collect()
    }
}
