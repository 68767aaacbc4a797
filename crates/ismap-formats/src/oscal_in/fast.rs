//! The referential checks on JSON bytes without building a
//! `serde_json::Value`: one serde pass keeps only what the checks read
//! (uuids, ids, hrefs, references, and the metadata that tells the version
//! and a resolved catalog), each object's kept members sorted by key as
//! `Value`'s map sorts them, and the same walk as [`super::checks`] runs on
//! that. Anything unusual (invalid JSON, a duplicated key, a document that
//! is not OSCAL) gives `None`: the `Value` path then decides, and words the
//! error, exactly as before.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::checks::{self, Problem, Seg, Walk, reference_field};
use super::document::Model;

/// What the pass keeps of a value.
enum Item<'de> {
    Str(Cow<'de, str>),
    Object(Node<'de>),
    /// Kept members, by index.
    Array(Vec<(usize, Item<'de>)>),
}

/// An object's kept members, sorted by key.
struct Node<'de> {
    children: Vec<(Cow<'de, str>, Item<'de>)>,
}

impl<'de> Node<'de> {
    fn get(&self, key: &str) -> Option<&Item<'de>> {
        self.children
            .binary_search_by(|(k, _)| k.as_ref().cmp(key))
            .ok()
            .map(|i| &self.children[i].1)
    }

    fn str(&self, key: &str) -> Option<&str> {
        match self.get(key) {
            Some(Item::Str(s)) => Some(s),
            _ => None,
        }
    }

    fn object(&self, key: &str) -> Option<&Node<'de>> {
        match self.get(key) {
            Some(Item::Object(n)) => Some(n),
            _ => None,
        }
    }
}

fn kept(item: &Option<Item<'_>>) -> bool {
    match item {
        None => false,
        Some(Item::Str(_)) => true,
        Some(Item::Object(n)) => !n.children.is_empty(),
        Some(Item::Array(items)) => !items.is_empty(),
    }
}

/// Where a value sits, for the few facts read outside the walk.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Ctx {
    Normal,
    /// The model's object (`catalog`, …).
    ModelRoot,
    /// Its `metadata`.
    Metadata,
    /// `metadata.props` / `metadata.links`, and the field read of each item.
    MetaList(&'static str),
    MetaItem(&'static str),
}

fn wants_str(key: &str, ctx: Ctx) -> bool {
    matches!(key, "uuid" | "id" | "href")
        || reference_field(key).is_some()
        || (ctx == Ctx::Metadata && key == "oscal-version")
        || matches!(ctx, Ctx::MetaItem(field) if field == key)
}

fn member_ctx(key: &str, ctx: Ctx) -> Ctx {
    match (ctx, key) {
        (Ctx::ModelRoot, "metadata") => Ctx::Metadata,
        (Ctx::Metadata, "props") => Ctx::MetaList("name"),
        (Ctx::Metadata, "links") => Ctx::MetaList("rel"),
        _ => Ctx::Normal,
    }
}

struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Cow<'de, str>;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed {
    type Value = Cow<'de, str>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a key")
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_owned()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v))
    }
}

/// Any value; `keys` holds the keys of the objects being read, to refuse
/// a key given twice (which `Value` would resolve by keeping the last).
struct ValueSeed<'k, 'de> {
    keys: &'k mut Vec<Cow<'de, str>>,
    want_str: bool,
    ctx: Ctx,
    in_array: bool,
}

impl<'de> DeserializeSeed<'de> for ValueSeed<'_, 'de> {
    type Value = Option<Item<'de>>;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ValueSeed<'_, 'de> {
    type Value = Option<Item<'de>>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(self.want_str.then_some(Item::Str(Cow::Borrowed(v))))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(self.want_str.then(|| Item::Str(Cow::Owned(v.to_owned()))))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(self.want_str.then_some(Item::Str(Cow::Owned(v))))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        if self.in_array {
            // The checks look at no array inside an array.
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            return Ok(None);
        }
        let ctx = match self.ctx {
            Ctx::MetaList(field) => Ctx::MetaItem(field),
            _ => Ctx::Normal,
        };
        let mut items = Vec::new();
        let mut index = 0;
        while let Some(item) = seq.next_element_seed(ValueSeed {
            keys: &mut *self.keys,
            want_str: self.want_str,
            ctx,
            in_array: true,
        })? {
            if kept(&item) {
                items.push((index, item.expect("kept")));
            }
            index += 1;
        }
        Ok((!items.is_empty()).then_some(Item::Array(items)))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let base = self.keys.len();
        let mut children = Vec::new();
        while let Some(key) = map.next_key_seed(KeySeed)? {
            if self.keys[base..].contains(&key) {
                return Err(de::Error::custom("duplicate key"));
            }
            let seed = ValueSeed {
                want_str: wants_str(&key, self.ctx),
                ctx: member_ctx(&key, self.ctx),
                in_array: false,
                keys: &mut *self.keys,
            };
            seed.keys.push(key.clone());
            let item = map.next_value_seed(seed)?;
            if kept(&item) {
                children.push((key, item.expect("kept")));
            }
        }
        self.keys.truncate(base);
        children.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        Ok(Some(Item::Object(Node { children })))
    }
}

/// The document's top-level object: every key, and the models' objects.
struct TopSeed;

type Top<'de> = (Vec<Cow<'de, str>>, Vec<(Model, Option<Item<'de>>)>);

impl<'de> DeserializeSeed<'de> for TopSeed {
    type Value = Top<'de>;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for TopSeed {
    type Value = Top<'de>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an OSCAL document")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut keys: Vec<Cow<'de, str>> = Vec::new();
        let mut models = Vec::new();
        let mut stack = Vec::new();
        while let Some(key) = map.next_key_seed(KeySeed)? {
            if keys.contains(&key) {
                return Err(de::Error::custom("duplicate key"));
            }
            match Model::from_root(&key) {
                Some(model) => {
                    let item = map.next_value_seed(ValueSeed {
                        keys: &mut stack,
                        want_str: false,
                        ctx: Ctx::ModelRoot,
                        in_array: false,
                    })?;
                    models.push((model, item));
                }
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
            keys.push(key);
        }
        Ok((keys, models))
    }
}

fn object<'a>(
    walk: &mut Walk<'a>,
    node: &'a Node<'_>,
    array: Option<&'a str>,
    path: &mut Vec<Seg<'a>>,
) {
    if let Some(uuid) = node.str("uuid") {
        walk.uuid(uuid, array, path);
    }
    if let Some(id) = node.str("id") {
        walk.id(id, array, path);
    }
    for (key, item) in &node.children {
        path.push(Seg::Key(key));
        if let Some(field) = reference_field(key) {
            match item {
                Item::Str(s) => walk.reference(field, s, path),
                Item::Array(items) => {
                    for (i, item) in items {
                        if let Item::Str(s) = item {
                            path.push(Seg::Index(*i));
                            walk.reference(field, s, path);
                            path.pop();
                        }
                    }
                }
                Item::Object(_) => {}
            }
        } else if key == "href" {
            if let Item::Str(href) = item {
                walk.href(href, path);
            }
        } else {
            match item {
                Item::Object(node) => object(walk, node, None, path),
                Item::Array(items) => {
                    for (i, item) in items {
                        if let Item::Object(node) = item {
                            path.push(Seg::Index(*i));
                            object(walk, node, Some(key), path);
                            path.pop();
                        }
                    }
                }
                Item::Str(_) => {}
            }
        }
        path.pop();
    }
}

/// Whether the metadata's `list` has an item whose `field` is `value`.
fn named(metadata: Option<&Node<'_>>, list: &str, field: &str, value: &str) -> bool {
    match metadata.and_then(|m| m.get(list)) {
        Some(Item::Array(items)) => items.iter().any(|(_, item)| match item {
            Item::Object(node) => node.str(field) == Some(value),
            _ => false,
        }),
        _ => false,
    }
}

/// What [`referential`] finds.
pub struct Outcome {
    pub model: Model,
    pub oscal_version: Option<String>,
    pub problems: Vec<Problem>,
}

/// The referential checks of a JSON document (BOM and leading whitespace
/// allowed), or `None` when the `Value` path must decide.
pub fn referential(bytes: &[u8]) -> Option<Outcome> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return None;
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let (keys, mut models) = TopSeed.deserialize(&mut de).ok()?;
    de.end().ok()?;
    let roots: Vec<&Cow<'_, str>> = keys.iter().filter(|k| *k != "$schema").collect();
    let [root] = roots.as_slice() else {
        return None;
    };
    let model = Model::from_root(root)?;
    let (_, Some(Item::Object(node))) = models.pop()? else {
        return None;
    };
    let metadata = node.object("metadata");
    let oscal_version = metadata.and_then(|m| m.str("oscal-version"));
    let resolved = model == Model::Catalog
        && (named(metadata, "props", "name", "resolution-tool")
            || named(metadata, "links", "rel", "resolution-source")
            || named(metadata, "links", "rel", "source-profile"));
    let mut walk = Walk::default();
    let mut path = vec![Seg::Key(model.root())];
    object(&mut walk, &node, None, &mut path);
    let problems = checks::finish(walk, resolved, model.root(), oscal_version);
    Some(Outcome {
        model,
        oscal_version: oscal_version.map(str::to_owned),
        problems,
    })
}
