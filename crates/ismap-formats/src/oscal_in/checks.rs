//! The referential checks `ismap oscal validate` always runs, whatever the
//! schema: identifiers defined once, and references that lead somewhere.
//! One walk over the document collects definitions and references; the
//! comparison happens after, so a reference may come before its target.

use std::collections::{HashMap, HashSet};

use serde_json::Value;

use super::document::Document;

/// What a problem is about; the id is stable (JSON output, docs/oscal.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Rule {
    /// The document does not follow the official JSON schema.
    Schema,
    /// A `uuid` is defined twice.
    DuplicateUuid,
    /// A control, group, part or param id (or a role id) is defined twice.
    DuplicateId,
    /// An `href="#<uuid>"` names no uuid of the document.
    DanglingHref,
    /// An `href="#<id>"` names no id of the document (a warning: NIST's
    /// own catalog has one; a resolved catalog is not checked, as it keeps
    /// links to controls its profile left out).
    DanglingFragment,
    /// A `*-uuid` / `role-id` names no object of the kind it must name.
    DanglingReference,
    /// A profile selects or alters a control its imported catalog lacks.
    UnknownControl,
    /// The document declares an OSCAL version outside 1.0.4–1.1.3.
    OscalVersion,
}

impl Rule {
    pub fn id(self) -> &'static str {
        match self {
            Rule::Schema => "schema",
            Rule::DuplicateUuid => "duplicate-uuid",
            Rule::DuplicateId => "duplicate-id",
            Rule::DanglingHref => "dangling-href",
            Rule::DanglingFragment => "dangling-fragment",
            Rule::DanglingReference => "dangling-reference",
            Rule::UnknownControl => "unknown-control",
            Rule::OscalVersion => "oscal-version",
        }
    }

    /// Errors fail validation; warnings are reported only.
    pub fn is_error(self) -> bool {
        !matches!(self, Rule::OscalVersion | Rule::DanglingFragment)
    }
}

/// One problem: the rule, where (a JSON pointer into the JSON shape), and
/// the facts the message is made of (message id `oscal-rule-<rule id>`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub rule: Rule,
    pub pointer: String,
    pub facts: Vec<(&'static str, String)>,
}

impl Problem {
    pub fn new(rule: Rule, pointer: impl Into<String>, facts: Vec<(&'static str, String)>) -> Self {
        Problem {
            rule,
            pointer: pointer.into(),
            facts,
        }
    }

    pub fn fact(&self, name: &str) -> Option<&str> {
        self.facts
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Fields that refer to another object, and the array such objects live in.
/// A field ending in `s` holds a list of references.
const REFERENCES: &[(&str, &str)] = &[
    ("party-uuid", "parties"),
    ("party-uuids", "parties"),
    ("member-of-organizations", "parties"),
    ("role-id", "roles"),
    ("role-ids", "roles"),
    ("component-uuid", "components"),
    ("location-uuid", "locations"),
    ("location-uuids", "locations"),
    ("observation-uuid", "observations"),
    ("risk-uuid", "risks"),
    ("task-uuid", "tasks"),
    ("activity-uuid", "activities"),
];

/// Arrays whose members' `id`s share one namespace (OSCAL: control, group,
/// part and param ids are unique in a catalog).
const CONTROL_SCOPE: &[&str] = &["controls", "groups", "parts", "params"];

#[derive(Clone, Copy)]
pub(super) enum Seg<'a> {
    Key(&'a str),
    Index(usize),
}

pub(super) fn pointer(path: &[Seg<'_>]) -> String {
    let mut out = String::new();
    for seg in path {
        out.push('/');
        match seg {
            Seg::Key(k) => out.push_str(&k.replace('~', "~0").replace('/', "~1")),
            Seg::Index(i) => out.push_str(&i.to_string()),
        }
    }
    out
}

/// The field that refers to another object, and the array it must name.
pub(super) fn reference_field(key: &str) -> Option<(&'static str, &'static str)> {
    REFERENCES.iter().find(|(f, _)| *f == key).copied()
}

/// What one walk over a document collects (in the order of
/// `serde_json::Value`'s sorted keys), and the duplicates it finds.
#[derive(Default)]
pub(super) struct Walk<'a> {
    /// uuid → where first defined.
    uuids: HashMap<&'a str, String>,
    /// (namespace, id) → where first defined.
    ids: HashMap<(&'static str, &'a str), String>,
    /// Every id of any object, for `#id` fragments.
    any_ids: HashSet<&'a str>,
    /// Array name → the uuids and ids of its members.
    members: HashMap<&'a str, HashSet<&'a str>>,
    references: Vec<(String, &'static str, &'static str, &'a str)>,
    hrefs: Vec<(String, &'a str)>,
    problems: Vec<Problem>,
}

impl<'a> Walk<'a> {
    /// An object's own `uuid` (`path`: the object).
    pub(super) fn uuid(&mut self, uuid: &'a str, array: Option<&'a str>, path: &[Seg<'a>]) {
        if let Some(array) = array {
            self.members.entry(array).or_default().insert(uuid);
        }
        match self.uuids.get(uuid) {
            Some(first) => {
                let first = first.clone();
                self.problems.push(Problem::new(
                    Rule::DuplicateUuid,
                    pointer(path) + "/uuid",
                    vec![("uuid", uuid.to_owned()), ("first", first)],
                ));
            }
            None => {
                self.uuids.insert(uuid, pointer(path));
            }
        }
    }

    /// An object's own `id` (`path`: the object).
    pub(super) fn id(&mut self, id: &'a str, array: Option<&'a str>, path: &[Seg<'a>]) {
        self.any_ids.insert(id);
        let scope = match array {
            Some(a) if CONTROL_SCOPE.contains(&a) => Some("control"),
            Some("roles") => Some("role"),
            _ => None,
        };
        if let (Some(scope), Some(array)) = (scope, array) {
            self.members.entry(array).or_default().insert(id);
            match self.ids.get(&(scope, id)) {
                Some(first) => {
                    let first = first.clone();
                    self.problems.push(Problem::new(
                        Rule::DuplicateId,
                        pointer(path) + "/id",
                        vec![("id", id.to_owned()), ("first", first)],
                    ));
                }
                None => {
                    self.ids.insert((scope, id), pointer(path));
                }
            }
        }
    }

    /// A reference (`path`: the string).
    pub(super) fn reference(
        &mut self,
        (field, target): (&'static str, &'static str),
        value: &'a str,
        path: &[Seg<'a>],
    ) {
        self.references.push((pointer(path), field, target, value));
    }

    /// An `href` (`path`: the string); only `#…` ones are kept.
    pub(super) fn href(&mut self, href: &'a str, path: &[Seg<'a>]) {
        if href.starts_with('#') {
            self.hrefs.push((pointer(path), href));
        }
    }

    fn object(
        &mut self,
        map: &'a serde_json::Map<String, Value>,
        array: Option<&'a str>,
        path: &mut Vec<Seg<'a>>,
    ) {
        if let Some(Value::String(uuid)) = map.get("uuid") {
            self.uuid(uuid, array, path);
        }
        if let Some(Value::String(id)) = map.get("id") {
            self.id(id, array, path);
        }
        for (key, value) in map {
            path.push(Seg::Key(key));
            if let Some(field) = reference_field(key) {
                match value {
                    Value::String(s) => self.reference(field, s, path),
                    Value::Array(items) => {
                        for (i, item) in items.iter().enumerate() {
                            if let Value::String(s) = item {
                                path.push(Seg::Index(i));
                                self.reference(field, s, path);
                                path.pop();
                            }
                        }
                    }
                    _ => {}
                }
            } else if key == "href" {
                if let Value::String(href) = value {
                    self.href(href, path);
                }
            } else {
                self.value(value, Some(key), path);
            }
            path.pop();
        }
    }

    fn value(&mut self, value: &'a Value, key: Option<&'a str>, path: &mut Vec<Seg<'a>>) {
        match value {
            Value::Object(map) => self.object(map, None, path),
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    path.push(Seg::Index(i));
                    if let Value::Object(map) = item {
                        self.object(map, key, path);
                    }
                    path.pop();
                }
            }
            _ => {}
        }
    }
}

/// An RFC 4122 UUID in its text form (OSCAL's uuid datatype, any version).
fn is_uuid(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// A catalog made by resolving a profile: NIST marks it with a
/// `resolution-tool` prop, FedRAMP with a `resolution-source` link.
fn is_resolved_catalog(doc: &Document) -> bool {
    let metadata = &doc.root()["metadata"];
    let named = |key: &str, field: &str, value: &str| {
        metadata[key]
            .as_array()
            .is_some_and(|items| items.iter().any(|i| i[field] == value))
    };
    doc.model == super::document::Model::Catalog
        && (named("props", "name", "resolution-tool")
            || named("links", "rel", "resolution-source")
            || named("links", "rel", "source-profile"))
}

/// Versions ismap reads (FedRAMP publishes 1.0.4; NIST 1.1.x).
pub fn supported_version(version: &str) -> bool {
    let parts: Vec<u32> = version
        .split('.')
        .map(|p| p.parse().unwrap_or(u32::MAX))
        .collect();
    matches!(parts.as_slice(), [1, 0, p] if *p >= 4)
        || matches!(parts.as_slice(), [1, 1, p] if *p <= 3)
}

/// The checks that need nothing but the document itself.
pub fn referential(doc: &Document) -> Vec<Problem> {
    let mut walk = Walk::default();
    let root = doc.model.root();
    let mut path = vec![Seg::Key(root)];
    if let Value::Object(map) = doc.root() {
        walk.object(map, None, &mut path);
    }
    finish(walk, is_resolved_catalog(doc), root, doc.oscal_version())
}

/// The problems of a finished walk: duplicates as found, then dangling
/// references, dangling links and the version.
pub(super) fn finish(
    walk: Walk<'_>,
    resolved: bool,
    root: &str,
    version: Option<&str>,
) -> Vec<Problem> {
    let Walk {
        uuids,
        any_ids,
        members,
        references,
        hrefs,
        mut problems,
        ..
    } = walk;
    let empty = HashSet::new();
    for (at, field, target, value) in references {
        if !members.get(target).unwrap_or(&empty).contains(value) {
            problems.push(Problem::new(
                Rule::DanglingReference,
                at,
                vec![
                    ("field", field.to_owned()),
                    ("value", value.to_owned()),
                    ("target", target.to_owned()),
                ],
            ));
        }
    }
    for (at, href) in hrefs {
        let fragment = &href[1..];
        if uuids.contains_key(fragment) || any_ids.contains(fragment) {
            continue;
        }
        let rule = if is_uuid(fragment) {
            Rule::DanglingHref
        } else if resolved {
            continue;
        } else {
            Rule::DanglingFragment
        };
        problems.push(Problem::new(rule, at, vec![("href", href.to_owned())]));
    }
    if let Some(version) = version
        && !supported_version(version)
    {
        problems.push(Problem::new(
            Rule::OscalVersion,
            format!("/{root}/metadata/oscal-version"),
            vec![("version", version.to_owned())],
        ));
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_from_1_0_4_to_1_1_3_are_supported() {
        for v in ["1.0.4", "1.0.6", "1.1.0", "1.1.2", "1.1.3"] {
            assert!(supported_version(v), "{v}");
        }
        for v in ["1.0.0", "1.0.3", "1.2.0", "2.0.0", "x"] {
            assert!(!supported_version(v), "{v}");
        }
    }
}
