//! The referential checks straight from JSON bytes: one serde pass, no
//! `serde_json::Value`, nothing kept but what the checks read. The pass
//! feeds the same [`Walk`] as the `Value` path; the walk orders what it
//! reports by place, so meeting members in the file's order rather than
//! sorted by key changes nothing. Anything unusual (invalid JSON, a
//! duplicated key, a document that is not OSCAL) gives `None`: the `Value`
//! path then decides, and words the error, exactly as before.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};

use super::checks::{self, ArrayRole, Problem, RESOLUTION_MARKS, Slot, Walk, reference_field};
use super::document::Model;
use super::paths::Seg;

#[derive(Default)]
struct Pass<'de> {
    walk: Walk<'de>,
    /// The keys of the objects being read, to refuse a key given twice
    /// (which `Value` would resolve by keeping the last).
    keys: Vec<Cow<'de, str>>,
    oscal_version: Option<Cow<'de, str>>,
    /// The metadata marks a resolved catalog.
    resolved: bool,
}

/// Where an object or array is, for the few facts read outside the walk.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Ctx {
    Normal,
    /// The model's object (`catalog`, …).
    ModelRoot,
    /// Its `metadata`.
    Metadata,
    /// A list of the metadata (`props`, `links`), and each of its items.
    MetaList(&'static str),
    MetaItem(&'static str),
}

/// What a string member means.
#[derive(Clone, Copy)]
enum Strings {
    Ignored,
    /// The object's own uuid or id; the object sits in an array of this role.
    Own(Slot, Option<ArrayRole>),
    /// `metadata.oscal-version`.
    Version,
    /// A field of a metadata item that may mark a resolved catalog.
    Mark(&'static str, &'static str),
}

/// How the pass reads one value.
#[derive(Clone, Copy)]
enum Read {
    /// An object's member: objects and arrays walked (in `ctx`).
    Member {
        ctx: Ctx,
        strings: Strings,
    },
    /// An item of an array of objects in the role of the array's name.
    Item {
        role: ArrayRole,
        ctx: Ctx,
    },
    /// A reference, or (`list`) a list of references.
    Reference {
        field: (&'static str, &'static str),
        list: bool,
    },
    Href,
}

/// How the member `key` of an object (in an array of `role`, in `ctx`) is read.
fn member(key: &str, role: Option<ArrayRole>, ctx: Ctx) -> Read {
    if let Some(field) = reference_field(key) {
        return Read::Reference { field, list: false };
    }
    let strings = match (key, ctx) {
        ("href", _) => return Read::Href,
        ("uuid", _) => Strings::Own(Slot::Uuid, role),
        ("id", _) => Strings::Own(Slot::Id, role),
        ("oscal-version", Ctx::Metadata) => Strings::Version,
        (_, Ctx::MetaItem(list)) => RESOLUTION_MARKS
            .iter()
            .find(|(l, f, _)| *l == list && *f == key)
            .map_or(Strings::Ignored, |(l, f, _)| Strings::Mark(l, f)),
        _ => Strings::Ignored,
    };
    let ctx = match (ctx, key) {
        (Ctx::ModelRoot, "metadata") => Ctx::Metadata,
        (Ctx::Metadata, "props") => Ctx::MetaList("props"),
        (Ctx::Metadata, "links") => Ctx::MetaList("links"),
        _ => Ctx::Normal,
    };
    Read::Member { ctx, strings }
}

/// Walks the members of an object.
fn object<'de, A: MapAccess<'de>>(
    pass: &mut Pass<'de>,
    mut map: A,
    role: Option<ArrayRole>,
    ctx: Ctx,
) -> Result<(), A::Error> {
    let base = pass.keys.len();
    while let Some(key) = map.next_key_seed(KeySeed)? {
        if pass.keys[base..].contains(&key) {
            return Err(de::Error::custom("duplicate key"));
        }
        let read = member(&key, role, ctx);
        pass.walk.paths.push(Seg::Key(key.clone()));
        pass.keys.push(key);
        map.next_value_seed(Value {
            pass: &mut *pass,
            read,
        })?;
        pass.walk.paths.pop();
    }
    pass.keys.truncate(base);
    Ok(())
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

/// One value, read as `read` says; answers whether it was an object.
struct Value<'p, 'de> {
    pass: &'p mut Pass<'de>,
    read: Read,
}

impl<'de> Value<'_, 'de> {
    fn string(self, s: Cow<'de, str>) {
        let Value { pass, read } = self;
        let walk = &mut pass.walk;
        match read {
            Read::Member { strings, .. } => match strings {
                Strings::Ignored => {}
                Strings::Own(slot, role) => {
                    let object = walk.paths.parent();
                    match slot {
                        Slot::Uuid => walk.uuid(s, role, object),
                        Slot::Id => walk.id(s, role, object),
                    }
                }
                Strings::Version => pass.oscal_version = Some(s),
                Strings::Mark(list, field) => {
                    pass.resolved |= RESOLUTION_MARKS.contains(&(list, field, s.as_ref()));
                }
            },
            Read::Reference { field, .. } => {
                let at = walk.paths.here();
                walk.reference(field, s, at);
            }
            Read::Href if s.starts_with('#') => {
                let at = walk.paths.here();
                walk.href(s, at);
            }
            Read::Href | Read::Item { .. } => {}
        }
    }
}

impl<'de> DeserializeSeed<'de> for Value<'_, 'de> {
    type Value = bool;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Value<'_, 'de> {
    type Value = bool;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_unit<E: de::Error>(self) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<bool, E> {
        self.string(Cow::Borrowed(v));
        Ok(false)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<bool, E> {
        self.string(Cow::Owned(v.to_owned()));
        Ok(false)
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<bool, E> {
        self.string(Cow::Owned(v));
        Ok(false)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<bool, A::Error> {
        let item = match self.read {
            Read::Member { ctx, .. } => {
                let role = match self.pass.walk.paths.last_key() {
                    Some(key) => ArrayRole::of(key),
                    None => ArrayRole::default(),
                };
                let ctx = match ctx {
                    Ctx::MetaList(list) => Ctx::MetaItem(list),
                    _ => Ctx::Normal,
                };
                Read::Item { role, ctx }
            }
            Read::Reference { field, list: false } => Read::Reference { field, list: true },
            // The checks look at no array inside an array, nor in a link.
            Read::Item { .. } | Read::Reference { list: true, .. } | Read::Href => {
                while seq.next_element::<Skip>()?.is_some() {}
                return Ok(false);
            }
        };
        let pass = self.pass;
        let mut index = 0;
        loop {
            pass.walk.paths.push(Seg::Index(index));
            let more = seq
                .next_element_seed(Value {
                    pass: &mut *pass,
                    read: item,
                })?
                .is_some();
            pass.walk.paths.pop();
            if !more {
                return Ok(false);
            }
            index += 1;
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
        match self.read {
            Read::Member { ctx, .. } => object(self.pass, map, None, ctx)?,
            Read::Item { role, ctx } => object(self.pass, map, Some(role), ctx)?,
            // References and links are strings: an object there is not walked.
            Read::Reference { .. } | Read::Href => {
                while map.next_entry::<Skip, Skip>()?.is_some() {}
            }
        }
        Ok(true)
    }
}

/// The document's top-level object: its keys, and which models it holds
/// (with whether each is an object).
struct Top<'p, 'de> {
    pass: &'p mut Pass<'de>,
}

type TopKeys<'de> = (Vec<Cow<'de, str>>, Vec<(Model, bool)>);

impl<'de> DeserializeSeed<'de> for Top<'_, 'de> {
    type Value = TopKeys<'de>;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Top<'_, 'de> {
    type Value = TopKeys<'de>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an OSCAL document")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut keys: Vec<Cow<'de, str>> = Vec::new();
        let mut models = Vec::new();
        while let Some(key) = map.next_key_seed(KeySeed)? {
            if keys.contains(&key) {
                return Err(de::Error::custom("duplicate key"));
            }
            match Model::from_root(&key) {
                Some(model) => {
                    self.pass
                        .walk
                        .paths
                        .push(Seg::Key(Cow::Borrowed(model.root())));
                    let is_object = map.next_value_seed(Value {
                        pass: &mut *self.pass,
                        read: Read::Member {
                            ctx: Ctx::ModelRoot,
                            strings: Strings::Ignored,
                        },
                    })?;
                    self.pass.walk.paths.pop();
                    models.push((model, is_object));
                }
                None => {
                    map.next_value::<Skip>()?;
                }
            }
            keys.push(key);
        }
        Ok((keys, models))
    }
}

/// A value skipped. Unlike serde's `IgnoredAny`, which serde_json skips
/// without counting nesting, it goes through `deserialize_any`, so the
/// recursion limit (limits::MAX_NESTING) holds here as on the `Value` path:
/// a document one path refuses, the other does not read (the fuzzer found
/// 200 nested arrays in an unchecked member read here and refused there).
struct Skip;

impl<'de> de::Deserialize<'de> for Skip {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(Skip)
    }
}

impl<'de> Visitor<'de> for Skip {
    type Value = Skip;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any value")
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Skip, A::Error> {
        while seq.next_element::<Skip>()?.is_some() {}
        Ok(Skip)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Skip, A::Error> {
        while map.next_entry::<Skip, Skip>()?.is_some() {}
        Ok(Skip)
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
    // One check of the whole text is cheaper than one per string.
    let text = std::str::from_utf8(bytes).ok()?;
    let mut pass = Pass::default();
    let mut de = serde_json::Deserializer::from_str(text);
    let (keys, models) = Top { pass: &mut pass }.deserialize(&mut de).ok()?;
    de.end().ok()?;
    let roots: Vec<&Cow<'_, str>> = keys.iter().filter(|k| *k != "$schema").collect();
    let [root] = roots.as_slice() else {
        return None;
    };
    let model = Model::from_root(root)?;
    if models != [(model, true)] {
        return None;
    }
    let resolved = model == Model::Catalog && pass.resolved;
    let oscal_version = pass.oscal_version.map(Cow::into_owned);
    let problems = checks::finish(pass.walk, resolved, model.root(), oscal_version.as_deref());
    Some(Outcome {
        model,
        oscal_version,
        problems,
    })
}
