//! YAML (and JSON, which YAML 1.2 reads as flow style) through serde-saphyr,
//! keeping the line and column of the values we need to point at.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{DeserializeOwned, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};
pub use serde_saphyr::Spanned;

use crate::source::{SourceError, SourceProblem};

/// Parses `text`, turning a syntax or shape error into a problem that names
/// the file, line and column.
pub fn parse<T: DeserializeOwned>(file: &str, text: &str) -> Result<T, SourceError> {
    serde_saphyr::from_str(text).map_err(|error| {
        let (line, column) = error
            .location()
            .map_or((0, 0), |l| (l.line() as u32, l.column() as u32));
        SourceError::single(SourceProblem {
            file: file.to_owned(),
            line,
            column,
            field: String::new(),
            message: bare_message(&error.without_snippet().to_string()),
        })
    })
}

/// serde-saphyr prefixes messages with "error: line N column M: "; we print
/// the place ourselves.
fn bare_message(rendered: &str) -> String {
    let first_line = rendered.lines().next().unwrap_or(rendered);
    let without_error = first_line.strip_prefix("error: ").unwrap_or(first_line);
    match without_error.split_once(": ") {
        Some((place, rest)) if place.starts_with("line ") => rest.to_owned(),
        _ => without_error.to_owned(),
    }
}

/// Line and column of a spanned value.
pub fn place<T>(spanned: &Spanned<T>) -> (u32, u32) {
    (
        spanned.referenced.line() as u32,
        spanned.referenced.column() as u32,
    )
}

/// A mapping read in document order, keeping every key (serde's maps would
/// reorder them and lose their places).
#[derive(Debug)]
pub struct Entries<K, V>(pub Vec<(K, V)>);

impl<'de, K: Deserialize<'de>, V: Deserialize<'de>> Deserialize<'de> for Entries<K, V> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EntriesVisitor<K, V>(PhantomData<(K, V)>);

        impl<'de, K: Deserialize<'de>, V: Deserialize<'de>> Visitor<'de> for EntriesVisitor<K, V> {
            type Value = Entries<K, V>;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a mapping")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = map.next_entry()? {
                    entries.push(entry);
                }
                Ok(Entries(entries))
            }
        }

        deserializer.deserialize_map(EntriesVisitor(PhantomData))
    }
}

/// Japanese and English text as written in a file; either may be missing
/// (the domain reports incomplete text with its place).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawText {
    #[serde(default)]
    pub ja: String,
    #[serde(default)]
    pub en: String,
}

impl From<RawText> for ismap_domain::Text {
    fn from(raw: RawText) -> Self {
        ismap_domain::Text::new(raw.ja, raw.en)
    }
}
