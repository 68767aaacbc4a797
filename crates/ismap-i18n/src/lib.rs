//! Message catalogs for the user interface, Japanese first and English second.
//!
//! Text lives in Fluent files under `locales/`, embedded at build time, so
//! the code holds message ids rather than prose. Every id exists in both
//! languages (checked by a test).

use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource};
use ismap_domain::{Finding, RuleId};
use unic_langid::langid;

const JA_SOURCE: &str = include_str!("../locales/ja/ismap.ftl");
const EN_SOURCE: &str = include_str!("../locales/en/ismap.ftl");

/// A user-interface language.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Lang {
    #[default]
    Ja,
    En,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::Ja, Lang::En];

    pub fn code(self) -> &'static str {
        match self {
            Lang::Ja => "ja",
            Lang::En => "en",
        }
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Lang {
    type Err = String;

    /// Accepts `ja`, `en` and locale names such as `ja_JP.UTF-8`.
    fn from_str(text: &str) -> Result<Lang, String> {
        let lower = text.trim().to_ascii_lowercase();
        if lower.starts_with("ja") {
            Ok(Lang::Ja)
        } else if lower.starts_with("en") {
            Ok(Lang::En)
        } else {
            Err(format!("unknown language {text:?}; use ja or en"))
        }
    }
}

/// A message in both languages, as the JSON outputs carry it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bilingual {
    pub ja: String,
    pub en: String,
}

pub struct Messages {
    ja: FluentBundle<FluentResource>,
    en: FluentBundle<FluentResource>,
}

impl Messages {
    /// The embedded catalogs, parsed once.
    pub fn get() -> &'static Messages {
        static MESSAGES: OnceLock<Messages> = OnceLock::new();
        MESSAGES.get_or_init(|| Messages {
            ja: bundle(JA_SOURCE, langid!("ja")),
            en: bundle(EN_SOURCE, langid!("en")),
        })
    }

    fn bundle(&self, lang: Lang) -> &FluentBundle<FluentResource> {
        match lang {
            Lang::Ja => &self.ja,
            Lang::En => &self.en,
        }
    }

    /// The message `id` in `lang` with `args` interpolated. A missing id
    /// yields the id itself, so a gap shows instead of vanishing.
    pub fn text(&self, lang: Lang, id: &str, args: &[(&str, String)]) -> String {
        let bundle = self.bundle(lang);
        let Some(pattern) = bundle.get_message(id).and_then(|m| m.value()) else {
            return id.to_owned();
        };
        let mut fluent_args = FluentArgs::new();
        for (name, value) in args {
            fluent_args.set(*name, value.clone());
        }
        let mut errors = Vec::new();
        bundle
            .format_pattern(pattern, Some(&fluent_args), &mut errors)
            .into_owned()
    }

    pub fn both(&self, id: &str, args: &[(&str, String)]) -> Bilingual {
        Bilingual {
            ja: self.text(Lang::Ja, id, args),
            en: self.text(Lang::En, id, args),
        }
    }

    pub fn finding(&self, lang: Lang, finding: &Finding) -> String {
        self.text(lang, finding.kind.message_id(), &finding.kind.args())
    }

    pub fn finding_both(&self, finding: &Finding) -> Bilingual {
        self.both(finding.kind.message_id(), &finding.kind.args())
    }

    pub fn rule_title(&self, lang: Lang, rule: RuleId) -> String {
        self.text(lang, &format!("rule-{}", rule.as_str()), &[])
    }

    /// Ids defined in one language's catalog.
    pub fn ids(&self, lang: Lang) -> Vec<String> {
        let source = match lang {
            Lang::Ja => JA_SOURCE,
            Lang::En => EN_SOURCE,
        };
        let resource = FluentResource::try_new(source.to_owned()).expect("catalog parses");
        resource
            .entries()
            .filter_map(|entry| match entry {
                fluent_syntax::ast::Entry::Message(m) => Some(m.id.name.to_owned()),
                _ => None,
            })
            .collect()
    }
}

fn bundle(source: &str, lang: unic_langid::LanguageIdentifier) -> FluentBundle<FluentResource> {
    let resource = FluentResource::try_new(source.to_owned())
        .unwrap_or_else(|(_, errors)| panic!("embedded message catalog is invalid: {errors:?}"));
    let mut bundle = FluentBundle::new_concurrent(vec![lang]);
    // Bidi isolation marks would end up in terminals and JSON.
    bundle.set_use_isolating(false);
    bundle
        .add_resource(resource)
        .expect("message ids are unique");
    bundle
}

#[cfg(test)]
mod tests {
    use super::*;
    use ismap_domain::{Decision, FindingKind};

    #[test]
    fn both_languages_define_the_same_messages() {
        let messages = Messages::get();
        let mut ja = messages.ids(Lang::Ja);
        let mut en = messages.ids(Lang::En);
        ja.sort();
        en.sort();
        assert_eq!(ja, en);
        for rule in RuleId::ALL {
            assert!(ja.contains(&format!("rule-{}", rule.as_str())), "{rule}");
        }
    }

    #[test]
    fn finding_messages_interpolate_their_facts() {
        let finding = Finding::new(
            RuleId::S4,
            Some("8.1.2.7.PB".parse().unwrap()),
            FindingKind::BaselineNotImplemented {
                decision: Decision::NotSelected,
            },
        );
        let text = Messages::get().finding_both(&finding);
        assert!(text.ja.contains("not_selected") && text.ja.contains("基本言明要件"));
        assert!(text.en.contains("not_selected") && text.en.contains("Baseline"));
        assert!(!text.en.contains('\u{2068}'), "no bidi isolation marks");
    }

    #[test]
    fn every_finding_kind_has_a_message() {
        let source = include_str!("../../ismap-domain/src/finding.rs");
        let ids: Vec<&str> = source
            .split('"')
            .filter(|s| s.starts_with("finding-"))
            .collect();
        assert!(ids.len() >= 30, "found {} finding ids", ids.len());
        let messages = Messages::get();
        for lang in Lang::ALL {
            let defined = messages.ids(lang);
            for id in &ids {
                assert!(defined.iter().any(|d| d == id), "{id} missing in {lang}");
            }
        }
    }

    #[test]
    fn language_names_parse() {
        assert_eq!("ja_JP.UTF-8".parse::<Lang>(), Ok(Lang::Ja));
        assert_eq!("EN".parse::<Lang>(), Ok(Lang::En));
        assert!("fr".parse::<Lang>().is_err());
    }
}
