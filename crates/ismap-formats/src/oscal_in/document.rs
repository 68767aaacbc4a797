//! One OSCAL document, JSON or XML, read into the JSON shape, with its model
//! told by the root key (JSON) or root element (XML).

use std::collections::HashMap;
use std::fmt;
use std::path::Path;

use serde_json::Value;

use super::xml::{self, XmlPlace};
use crate::limits::{self, Limit};
use crate::source::{SourceError, SourceProblem};

/// The OSCAL models ismap reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Model {
    Catalog,
    Profile,
    SystemSecurityPlan,
    ComponentDefinition,
    AssessmentPlan,
    AssessmentResults,
    PlanOfActionAndMilestones,
}

impl Model {
    pub const ALL: [Model; 7] = [
        Model::Catalog,
        Model::Profile,
        Model::SystemSecurityPlan,
        Model::ComponentDefinition,
        Model::AssessmentPlan,
        Model::AssessmentResults,
        Model::PlanOfActionAndMilestones,
    ];

    /// The root key (JSON) and root element (XML).
    pub fn root(self) -> &'static str {
        match self {
            Model::Catalog => "catalog",
            Model::Profile => "profile",
            Model::SystemSecurityPlan => "system-security-plan",
            Model::ComponentDefinition => "component-definition",
            Model::AssessmentPlan => "assessment-plan",
            Model::AssessmentResults => "assessment-results",
            Model::PlanOfActionAndMilestones => "plan-of-action-and-milestones",
        }
    }

    /// The name NIST gives the model's schema: `oscal_<name>_schema.json`.
    pub fn schema_name(self) -> &'static str {
        match self {
            Model::Catalog => "catalog",
            Model::Profile => "profile",
            Model::SystemSecurityPlan => "ssp",
            Model::ComponentDefinition => "component",
            Model::AssessmentPlan => "assessment-plan",
            Model::AssessmentResults => "assessment-results",
            Model::PlanOfActionAndMilestones => "poam",
        }
    }

    pub fn from_root(root: &str) -> Option<Model> {
        Model::ALL.into_iter().find(|m| m.root() == root)
    }
}

impl fmt::Display for Model {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.root())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Syntax {
    Json,
    Xml,
}

impl Syntax {
    pub fn name(self) -> &'static str {
        match self {
            Syntax::Json => "json",
            Syntax::Xml => "xml",
        }
    }
}

/// A document in the JSON shape. For XML, the places of the elements.
#[derive(Debug)]
pub struct Document {
    pub file: String,
    pub syntax: Syntax,
    pub model: Model,
    /// The whole document: `{"catalog": {...}}`.
    pub value: Value,
    xml_places: HashMap<String, XmlPlace>,
}

impl Document {
    /// The model's object (`value["catalog"]`).
    pub fn root(&self) -> &Value {
        &self.value[self.model.root()]
    }

    pub fn metadata_str(&self, key: &str) -> Option<&str> {
        self.root()["metadata"][key].as_str()
    }

    pub fn oscal_version(&self) -> Option<&str> {
        self.metadata_str("oscal-version")
    }

    /// A JSON document known only by its model and OSCAL version (what
    /// [`super::validate_json_fast`] reports on): `value` holds nothing else.
    pub fn outline(file: &str, model: Model, oscal_version: Option<&str>) -> Document {
        let mut root = serde_json::Map::new();
        if let Some(version) = oscal_version {
            root.insert(
                "metadata".to_owned(),
                serde_json::json!({ "oscal-version": version }),
            );
        }
        let mut value = serde_json::Map::new();
        value.insert(model.root().to_owned(), Value::Object(root));
        Document {
            file: file.to_owned(),
            syntax: Syntax::Json,
            model,
            value: Value::Object(value),
            xml_places: HashMap::new(),
        }
    }

    /// For XML documents, the element nearest to `pointer` (the pointer
    /// itself or its closest ancestor that is an element).
    pub fn xml_place(&self, pointer: &str) -> Option<&XmlPlace> {
        if self.syntax != Syntax::Xml {
            return None;
        }
        let mut current = pointer;
        loop {
            if let Some(place) = self.xml_places.get(current) {
                return Some(place);
            }
            match current.rfind('/') {
                Some(0) | None => return None,
                Some(i) => current = &current[..i],
            }
        }
    }
}

fn problem(file: &str, line: u32, column: u32, message: String) -> SourceError {
    SourceError::single(SourceProblem {
        file: file.to_owned(),
        line,
        column,
        field: String::new(),
        message,
    })
}

/// serde_json's own recursion limit is [`limits::MAX_NESTING`]: going past
/// it is named as our limit, any other error as invalid JSON.
pub(crate) fn json_error(file: &str, e: &serde_json::Error) -> SourceError {
    if e.to_string().starts_with("recursion limit exceeded") {
        return limits::exceeded(
            file,
            e.line() as u32,
            Limit::Depth {
                max: limits::MAX_NESTING,
            },
        );
    }
    problem(
        file,
        e.line() as u32,
        e.column() as u32,
        format!("not valid JSON: {e}"),
    )
}

/// Reads `path` as an OSCAL document, of at most
/// [`limits::DEFAULT_MAX_INPUT_BYTES`].
pub fn read(path: &Path) -> Result<Document, SourceError> {
    read_limited(path, limits::DEFAULT_MAX_INPUT_BYTES)
}

/// Reads `path` as an OSCAL document of at most `max_bytes`.
pub fn read_limited(path: &Path, max_bytes: u64) -> Result<Document, SourceError> {
    let file = path.display().to_string();
    let bytes = crate::whole_file::read_limited(path, max_bytes)?;
    parse(&file, &bytes)
}

/// Parses `bytes` (JSON or XML, told by the first character) as an OSCAL
/// document named `file` in messages.
pub fn parse(file: &str, bytes: &[u8]) -> Result<Document, SourceError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    let (syntax, value, xml_places) = match first {
        Some(b'{') => {
            let value: Value = serde_json::from_slice(bytes).map_err(|e| json_error(file, &e))?;
            (Syntax::Json, value, HashMap::new())
        }
        Some(b'<') => {
            let text = std::str::from_utf8(bytes).map_err(|e| {
                SourceError::whole_file(
                    file,
                    format!(
                        "not UTF-8 text (invalid byte at offset {}); OSCAL XML must be UTF-8",
                        e.valid_up_to()
                    ),
                )
            })?;
            let (value, places) = xml::to_json(text).map_err(|e| match e.limit {
                Some(limit) => limits::exceeded(file, e.line, limit),
                None => problem(
                    file,
                    e.line,
                    0,
                    format!("not well-formed XML: {}", e.message),
                ),
            })?;
            (Syntax::Xml, value, places)
        }
        _ => {
            return Err(SourceError::whole_file(
                file,
                "neither JSON nor XML: an OSCAL document starts with `{` or `<`",
            ));
        }
    };
    let roots: Vec<&str> = value
        .as_object()
        .map(|o| {
            o.keys()
                .map(String::as_str)
                .filter(|k| *k != "$schema")
                .collect()
        })
        .unwrap_or_default();
    let model = match roots.as_slice() {
        [root] => Model::from_root(root),
        _ => None,
    };
    let Some(model) = model else {
        let known: Vec<&str> = Model::ALL.iter().map(|m| m.root()).collect();
        return Err(SourceError::whole_file(
            file,
            format!(
                "not an OSCAL document: the root is {} but must be one of {}",
                if roots.is_empty() {
                    "empty".to_owned()
                } else {
                    roots.join(", ")
                },
                known.join(", ")
            ),
        ));
    };
    if !value[model.root()].is_object() {
        return Err(SourceError::whole_file(
            file,
            format!("`{}` must be an object", model.root()),
        ));
    }
    Ok(Document {
        file: file.to_owned(),
        syntax,
        model,
        value,
        xml_places,
    })
}
