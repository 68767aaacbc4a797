//! YAML (and JSON, which YAML 1.2 reads as flow style) through serde-saphyr,
//! keeping the line and column of the values we need to point at.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{DeserializeOwned, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};
pub use serde_saphyr::Spanned;

use crate::limits::{self, Limit};
use crate::source::{SourceError, SourceProblem};

/// serde-saphyr's budget with our nesting bound; its other budgets
/// (aliases, anchors, nodes, events, scalar bytes) stay at its defaults,
/// which already stop alias bombs ("billion laughs").
fn options() -> serde_saphyr::Options {
    let mut budget = serde_saphyr::Budget::default();
    budget.max_depth = limits::MAX_NESTING;
    // The scanner reads flow collections (`[[[…`) ahead of the budget's
    // count: bound it the same.
    budget.flow_nesting_limit = limits::MAX_NESTING;
    let mut options = serde_saphyr::Options::default();
    options.budget = Some(budget);
    options
}

/// The limit a budget breach (or the scanner's nesting bound) stands for.
fn breached(error: &serde_saphyr::Error) -> Option<Limit> {
    use serde_saphyr::Error;
    use serde_saphyr::budget::BudgetBreach;
    // A breach found while an alias is replayed comes wrapped.
    let mut error = error;
    while let Error::AliasError { error: inner, .. } | Error::WithSnippet { error: inner, .. } =
        error
    {
        error = inner;
    }
    let breach = match error {
        Error::Budget { breach, .. } => breach,
        Error::AliasReplayLimitExceeded { .. }
        | Error::AliasReplayStackDepthExceeded { .. }
        | Error::AliasReplayCounterOverflow { .. } => {
            return Some(Limit::YamlBudget {
                what: "alias replay",
            });
        }
        _ => {
            let message = bare_message(&error.to_string());
            return message
                .starts_with("recursion limit exceeded")
                .then_some(Limit::Depth {
                    max: limits::MAX_NESTING,
                });
        }
    };
    Some(match breach {
        BudgetBreach::Depth { .. } => Limit::Depth {
            max: limits::MAX_NESTING,
        },
        BudgetBreach::Events { .. } => Limit::YamlBudget { what: "events" },
        BudgetBreach::Aliases { .. } => Limit::YamlBudget { what: "aliases" },
        BudgetBreach::Anchors { .. } => Limit::YamlBudget { what: "anchors" },
        BudgetBreach::Nodes { .. } => Limit::YamlBudget { what: "nodes" },
        BudgetBreach::ScalarBytes { .. } => Limit::YamlBudget {
            what: "scalar bytes",
        },
        BudgetBreach::Documents { .. } => Limit::YamlBudget { what: "documents" },
        BudgetBreach::AliasAnchorRatio { .. } => Limit::YamlBudget {
            what: "alias/anchor ratio",
        },
        _ => Limit::YamlBudget { what: "other" },
    })
}

/// Parses `text`, turning a syntax or shape error into a problem that names
/// the file, line and column.
pub fn parse<T: DeserializeOwned>(file: &str, text: &str) -> Result<T, SourceError> {
    serde_saphyr::from_str_with_options(text, options()).map_err(|error| {
        let (line, column) = error
            .location()
            .map_or((0, 0), |l| (l.line() as u32, l.column() as u32));
        if let Some(limit) = breached(&error) {
            return limits::exceeded(file, line, limit);
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads `text` into an untyped value, which follows any nesting (our
    /// readers' typed shapes stop far earlier). On a thread of its own with
    /// a large stack: unoptimized builds take many kilobytes a level.
    fn limit_of(text: &str) -> Option<Limit> {
        let text = text.to_owned();
        std::thread::Builder::new()
            .stack_size(64 << 20)
            .spawn(move || {
                parse::<serde_json::Value>("t.yaml", &text)
                    .err()
                    .and_then(|e| e.limit)
            })
            .unwrap()
            .join()
            .unwrap()
    }

    #[test]
    fn nesting_past_the_limit_is_named_in_block_and_flow_style() {
        let depth = Some(Limit::Depth {
            max: limits::MAX_NESTING,
        });
        let block: String = (0..10_000)
            .map(|i| format!("{}a:\n", " ".repeat(i)))
            .collect();
        assert_eq!(limit_of(&block), depth);
        assert_eq!(
            limit_of(&format!("{}{}", "[".repeat(100_000), "]".repeat(100_000))),
            depth
        );
        let at_limit = format!(
            "{}1{}",
            "[".repeat(limits::MAX_NESTING - 1),
            "]".repeat(limits::MAX_NESTING - 1)
        );
        assert_eq!(limit_of(&at_limit), None);
    }

    #[test]
    fn billion_laughs_is_refused_naming_the_yaml_budget() {
        let mut text = String::from("a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
        for i in 1..10 {
            let refs = vec![format!("*a{}", i - 1); 10].join(", ");
            text.push_str(&format!("a{i}: &a{i} [{refs}]\n"));
        }
        let error = parse::<serde_json::Value>("t.yaml", &text)
            .err()
            .map(|e| e.to_string());
        assert!(
            matches!(limit_of(&text), Some(Limit::YamlBudget { .. })),
            "{error:?}"
        );
    }
}
