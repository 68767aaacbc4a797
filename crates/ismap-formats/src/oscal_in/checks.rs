//! The referential checks `ismap oscal validate` always runs, whatever the
//! schema: identifiers defined once, and references that lead somewhere.
//! One walk over the document collects definitions and references; the
//! comparison happens after, so a reference may come before its target.

use std::borrow::Cow;
use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};

use serde_json::Value;

use super::document::Document;
use super::paths::{Paths, Pos, Seg};

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

/// The field that refers to another object, and the array it must name.
pub(super) fn reference_field(key: &str) -> Option<(&'static str, &'static str)> {
    REFERENCES.iter().find(|(f, _)| *f == key).copied()
}

/// What the checks care about in the array an object sits in.
#[derive(Clone, Copy, Default)]
pub(super) struct ArrayRole {
    /// The namespace its members' ids are unique in.
    id_scope: Option<&'static str>,
    /// The array's name when references name its members.
    target: Option<&'static str>,
}

impl ArrayRole {
    pub(super) fn of(array: &str) -> ArrayRole {
        ArrayRole {
            id_scope: if CONTROL_SCOPE.contains(&array) {
                Some("control")
            } else if array == "roles" {
                Some("role")
            } else {
                None
            },
            target: REFERENCES
                .iter()
                .find(|(_, t)| *t == array)
                .map(|(_, t)| *t),
        }
    }
}

/// Which of an object's own identifiers (at one place, the uuid comes
/// first).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Slot {
    Uuid,
    Id,
}

/// What a walk over a document collects, in whatever order it meets
/// things: definitions, references and links, each with its place.
/// [`finish`] orders what it reports by place, so a walk over the
/// document's text and one over a `serde_json::Value` report alike.
#[derive(Default)]
pub(super) struct Walk<'a> {
    pub(super) paths: Paths<'a>,
    /// uuid → the first place met.
    uuids: Map<Cow<'a, str>, Pos>,
    /// (namespace, id) → the first place met.
    ids: Map<(&'static str, Cow<'a, str>), Pos>,
    /// Later places of a uuid or a (namespace, id).
    repeated_uuids: Vec<(Cow<'a, str>, Pos)>,
    repeated_ids: Vec<((&'static str, Cow<'a, str>), Pos)>,
    /// Every id of any object, for `#id` fragments.
    any_ids: Set<Cow<'a, str>>,
    /// Array named by references → the uuids and ids of its members.
    members: Map<&'static str, Set<Cow<'a, str>>>,
    references: Vec<(Pos, (&'static str, &'static str), Cow<'a, str>)>,
    /// `href`s starting with `#`.
    hrefs: Vec<(Pos, Cow<'a, str>)>,
}

type Map<K, V> = HashMap<K, V, foldhash::fast::RandomState>;
type Set<K> = HashSet<K, foldhash::fast::RandomState>;

impl<'a> Walk<'a> {
    /// The `uuid` of the object at `object`, found in an array of `role`.
    pub(super) fn uuid(&mut self, uuid: Cow<'a, str>, role: Option<ArrayRole>, object: Pos) {
        if let Some(target) = role.and_then(|r| r.target) {
            self.members.entry(target).or_default().insert(uuid.clone());
        }
        match self.uuids.entry(uuid) {
            Entry::Occupied(first) => self.repeated_uuids.push((first.key().clone(), object)),
            Entry::Vacant(slot) => {
                slot.insert(object);
            }
        }
    }

    /// The `id` of the object at `object`, found in an array of `role`.
    pub(super) fn id(&mut self, id: Cow<'a, str>, role: Option<ArrayRole>, object: Pos) {
        let role = role.unwrap_or_default();
        if let Some(scope) = role.id_scope {
            // Only roles are both named by id and referenced.
            if let Some(target) = role.target {
                self.members.entry(target).or_default().insert(id.clone());
            }
            match self.ids.entry((scope, id.clone())) {
                Entry::Occupied(first) => self.repeated_ids.push((first.key().clone(), object)),
                Entry::Vacant(slot) => {
                    slot.insert(object);
                }
            }
        }
        self.any_ids.insert(id);
    }

    /// A reference at `at`.
    pub(super) fn reference(
        &mut self,
        field: (&'static str, &'static str),
        value: Cow<'a, str>,
        at: Pos,
    ) {
        self.references.push((at, field, value));
    }

    /// An `href` at `at`; only `#…` ones are kept.
    pub(super) fn href(&mut self, href: Cow<'a, str>, at: Pos) {
        if href.starts_with('#') {
            self.hrefs.push((at, href));
        }
    }

    fn object(&mut self, map: &'a serde_json::Map<String, Value>, role: Option<ArrayRole>) {
        if let Some(Value::String(uuid)) = map.get("uuid") {
            let at = self.paths.here();
            self.uuid(Cow::Borrowed(uuid), role, at);
        }
        if let Some(Value::String(id)) = map.get("id") {
            let at = self.paths.here();
            self.id(Cow::Borrowed(id), role, at);
        }
        for (key, value) in map {
            self.paths.push(Seg::Key(Cow::Borrowed(key)));
            if let Some(field) = reference_field(key) {
                match value {
                    Value::String(s) => {
                        let at = self.paths.here();
                        self.reference(field, Cow::Borrowed(s), at);
                    }
                    Value::Array(items) => {
                        for (i, item) in items.iter().enumerate() {
                            if let Value::String(s) = item {
                                self.paths.push(Seg::Index(i));
                                let at = self.paths.here();
                                self.reference(field, Cow::Borrowed(s), at);
                                self.paths.pop();
                            }
                        }
                    }
                    _ => {}
                }
            } else if key == "href" {
                if let Value::String(href) = value {
                    let at = self.paths.here();
                    self.href(Cow::Borrowed(href), at);
                }
            } else {
                match value {
                    Value::Object(map) => self.object(map, None),
                    Value::Array(items) => {
                        let role = ArrayRole::of(key);
                        for (i, item) in items.iter().enumerate() {
                            if let Value::Object(map) = item {
                                self.paths.push(Seg::Index(i));
                                self.object(map, Some(role));
                                self.paths.pop();
                            }
                        }
                    }
                    _ => {}
                }
            }
            self.paths.pop();
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

/// What marks a catalog made by resolving a profile, as (metadata list,
/// field of an item, value): NIST marks it with a `resolution-tool` prop,
/// FedRAMP with a `resolution-source` link.
pub(super) const RESOLUTION_MARKS: &[(&str, &str, &str)] = &[
    ("props", "name", "resolution-tool"),
    ("links", "rel", "resolution-source"),
    ("links", "rel", "source-profile"),
];

fn is_resolved_catalog(doc: &Document) -> bool {
    let metadata = &doc.root()["metadata"];
    doc.model == super::document::Model::Catalog
        && RESOLUTION_MARKS.iter().any(|(list, field, value)| {
            metadata[list]
                .as_array()
                .is_some_and(|items| items.iter().any(|i| i[field] == *value))
        })
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
    walk.paths.push(Seg::Key(Cow::Borrowed(root)));
    if let Value::Object(map) = doc.root() {
        walk.object(map, None);
    }
    finish(walk, is_resolved_catalog(doc), root, doc.oscal_version())
}

/// The problems of a finished walk, each kind in walk order: duplicates,
/// then dangling references, dangling links and the version.
pub(super) fn finish(
    walk: Walk<'_>,
    resolved: bool,
    root: &str,
    version: Option<&str>,
) -> Vec<Problem> {
    let Walk {
        paths,
        uuids,
        ids,
        repeated_uuids,
        repeated_ids,
        any_ids,
        members,
        references,
        hrefs,
    } = walk;
    let by_place = |a: &Pos, b: &Pos| paths.cmp(*a, *b);

    // Of the places a value is defined at, the first in walk order is the
    // definition; each other one is a duplicate.
    let mut duplicates: Vec<(Pos, Slot, Problem)> = Vec::new();
    let mut duplicated =
        |slot: Slot, rule: Rule, fact: &'static str, value: &str, mut at: Vec<Pos>| {
            at.sort_by(by_place);
            let first = paths.pointer(at[0]);
            for &pos in &at[1..] {
                let field = if slot == Slot::Uuid { "/uuid" } else { "/id" };
                duplicates.push((
                    pos,
                    slot,
                    Problem::new(
                        rule,
                        paths.pointer(pos) + field,
                        vec![(fact, value.to_owned()), ("first", first.clone())],
                    ),
                ));
            }
        };
    for (value, later) in grouped(repeated_uuids) {
        let at = std::iter::once(uuids[&value]).chain(later).collect();
        duplicated(Slot::Uuid, Rule::DuplicateUuid, "uuid", &value, at);
    }
    for (key, later) in grouped(repeated_ids) {
        let at = std::iter::once(ids[&key]).chain(later).collect();
        duplicated(Slot::Id, Rule::DuplicateId, "id", &key.1, at);
    }
    duplicates.sort_by(|(a, sa, _), (b, sb, _)| by_place(a, b).then(sa.cmp(sb)));
    let mut problems: Vec<Problem> = duplicates.into_iter().map(|(_, _, p)| p).collect();

    let mut dangling: Vec<_> = references
        .into_iter()
        .filter(|(_, (_, target), value)| !members.get(target).is_some_and(|m| m.contains(value)))
        .collect();
    dangling.sort_by(|a, b| by_place(&a.0, &b.0));
    problems.extend(dangling.into_iter().map(|(at, (field, target), value)| {
        Problem::new(
            Rule::DanglingReference,
            paths.pointer(at),
            vec![
                ("field", field.to_owned()),
                ("value", value.into_owned()),
                ("target", target.to_owned()),
            ],
        )
    }));

    let mut links: Vec<_> = hrefs
        .into_iter()
        .filter_map(|(at, href)| {
            let fragment = &href[1..];
            if uuids.contains_key(fragment) || any_ids.contains(fragment) {
                return None;
            }
            let rule = if is_uuid(fragment) {
                Rule::DanglingHref
            } else if resolved {
                return None;
            } else {
                Rule::DanglingFragment
            };
            Some((at, rule, href))
        })
        .collect();
    links.sort_by(|a, b| by_place(&a.0, &b.0));
    problems.extend(links.into_iter().map(|(at, rule, href)| {
        Problem::new(rule, paths.pointer(at), vec![("href", href.into_owned())])
    }));

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

/// Later places grouped by the value defined there.
fn grouped<K: Ord>(mut repeated: Vec<(K, Pos)>) -> Vec<(K, Vec<Pos>)> {
    repeated.sort_by(|a, b| a.0.cmp(&b.0));
    let mut groups: Vec<(K, Vec<Pos>)> = Vec::new();
    for (key, pos) in repeated {
        match groups.last_mut() {
            Some((last, at)) if *last == key => at.push(pos),
            _ => groups.push((key, vec![pos])),
        }
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rule, pointer and the `first` fact of each problem of a JSON text.
    fn problems(json: &str) -> Vec<(Rule, String, Option<String>)> {
        let doc = super::super::document::parse("t.json", json.as_bytes()).unwrap();
        referential(&doc)
            .into_iter()
            .map(|p| {
                (
                    p.rule,
                    p.pointer.clone(),
                    p.fact("first").map(str::to_owned),
                )
            })
            .collect()
    }

    #[test]
    fn the_first_definition_is_the_first_in_sorted_key_order() {
        let found = problems(
            r#"{"catalog": {"uuid": "A",
                "groups": [{"id": "c", "uuid": "B"}],
                "controls": [{"uuid": "A", "id": "c"}],
                "back-matter": {"resources": [{"uuid": "B", "id": "c"}]}}}"#,
        );
        let dup = |rule, at: &str, first: &str| (rule, at.to_owned(), Some(first.to_owned()));
        assert_eq!(
            found,
            [
                dup(Rule::DuplicateUuid, "/catalog/controls/0/uuid", "/catalog"),
                dup(
                    Rule::DuplicateUuid,
                    "/catalog/groups/0/uuid",
                    "/catalog/back-matter/resources/0"
                ),
                // A resource's id is not in the controls' namespace.
                dup(
                    Rule::DuplicateId,
                    "/catalog/groups/0/id",
                    "/catalog/controls/0"
                ),
            ]
        );
    }

    #[test]
    fn references_name_their_arrays_members_by_uuid_and_roles_by_id() {
        let found = problems(
            r#"{"system-security-plan": {"metadata": {
                "roles": [{"id": "admin"}], "parties": [{"id": "p1"}, {"uuid": "u1"}]},
                "x": {"role-ids": ["u1", "admin"], "party-uuids": ["u1", "admin"],
                      "party-uuid": "p1", "role-id": "admin"}}}"#,
        );
        let dangling = |at: &str| (Rule::DanglingReference, at.to_owned(), None);
        assert_eq!(
            found,
            [
                dangling("/system-security-plan/x/party-uuid"),
                dangling("/system-security-plan/x/party-uuids/1"),
                dangling("/system-security-plan/x/role-ids/0"),
            ]
        );
    }

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
