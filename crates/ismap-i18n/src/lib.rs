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
use ismap_domain::{Finding, Localized, RuleId};
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

    /// Whether `id` is defined in `lang`'s catalog.
    pub fn has(&self, lang: Lang, id: &str) -> bool {
        self.bundle(lang).has_message(id)
    }

    pub fn both(&self, id: &str, args: &[(&str, String)]) -> Bilingual {
        Bilingual {
            ja: self.text(Lang::Ja, id, args),
            en: self.text(Lang::En, id, args),
        }
    }

    /// A finding in `lang`; a decision it names is shown by its label
    /// (選択しない, not `not_selected`).
    pub fn finding(&self, lang: Lang, finding: &Finding) -> String {
        let args: Vec<(&str, String)> = finding
            .kind
            .args()
            .into_iter()
            .map(|(name, value)| {
                if name == "decision" {
                    let label = self.label(lang, "decision", &value);
                    (name, label)
                } else {
                    (name, value)
                }
            })
            .collect();
        self.text(lang, finding.kind.message_id(), &args)
    }

    pub fn finding_both(&self, finding: &Finding) -> Bilingual {
        Bilingual {
            ja: self.finding(Lang::Ja, finding),
            en: self.finding(Lang::En, finding),
        }
    }

    /// A domain refusal (audit period, scope, control ID, improvement,
    /// review) in `lang`: its catalog message, days written for people
    /// (2026年4月1日 / 1 Apr 2026) and states and steps by their labels.
    pub fn localized(&self, lang: Lang, message: &dyn Localized) -> String {
        let args = self.shown_args(lang, message.message_args());
        self.text(lang, message.message_id(), &args)
    }

    /// Arguments as people read them: days (`date`, `start`, `end`,
    /// `latest`, `due`, `issued`) written out, application states
    /// (`from`) and steps (`transition`) by their labels.
    fn shown_args<'a>(&self, lang: Lang, args: Vec<(&'a str, String)>) -> Vec<(&'a str, String)> {
        args.into_iter()
            .map(|(name, value)| {
                let shown = match name {
                    "date" | "start" | "end" | "latest" | "due" | "issued" => {
                        day(lang, &value).unwrap_or(value)
                    }
                    "from" => self.label(lang, "application-state", &value),
                    "transition" => self.label(lang, "transition", &value),
                    "decision" => self.label(lang, "decision", &value),
                    _ => value,
                };
                (name, shown)
            })
            .collect()
    }

    /// A domain refusal packed to be said later ([`Messages::deferred`]).
    pub fn deferred_localized(message: &dyn Localized) -> String {
        let args: Vec<(&str, String)> = message.message_args();
        Messages::deferred(message.message_id(), &args)
    }

    /// A message to be said later in the reader's language, for code that
    /// does not know the language (shared operations, the API and pages
    /// alike): the id and arguments packed into a string that
    /// [`Messages::resolve`] renders. Shown unresolved it reads as the id,
    /// which the i18n sweep test catches.
    pub fn deferred(id: &str, args: &[(&str, String)]) -> String {
        let mut packed = format!("{DEFERRED}{id}");
        for (name, value) in args {
            packed.push(ARG);
            packed.push_str(name);
            packed.push(VALUE);
            packed.push_str(value);
        }
        packed
    }

    /// `text` in `lang`: a [`Messages::deferred`] message rendered, any
    /// other text as it is.
    pub fn resolve(&self, lang: Lang, text: &str) -> String {
        let Some(packed) = text.strip_prefix(DEFERRED) else {
            return text.to_owned();
        };
        let mut parts = packed.split(ARG);
        let id = parts.next().unwrap_or_default();
        let raw: Vec<(&str, String)> = parts
            .filter_map(|part| part.split_once(VALUE))
            .map(|(name, value)| (name, value.to_owned()))
            .collect();
        // `@name` = a message id whose arguments are `name.<arg>`: rendered
        // first and passed as the argument `name`.
        let mut args: Vec<(&str, String)> = Vec::new();
        for (name, value) in &raw {
            if let Some(inner) = name.strip_prefix('@') {
                let prefix = format!("{inner}.");
                let inner_args: Vec<(&str, String)> = raw
                    .iter()
                    .filter_map(|(n, v)| n.strip_prefix(prefix.as_str()).map(|n| (n, v.clone())))
                    .collect();
                let inner_args = self.shown_args(lang, inner_args);
                args.push((inner, self.text(lang, value, &inner_args)));
            } else if !name.contains('.') {
                args.push((name, value.clone()));
            }
        }
        let args = self.shown_args(lang, args);
        self.text(lang, id, &args)
    }

    /// `text` for machines and both readers (the JSON API): a
    /// [`Messages::deferred`] message as "Japanese / English", any other
    /// text as it is.
    pub fn resolve_both(&self, text: &str) -> String {
        if text.starts_with(DEFERRED) {
            format!(
                "{} / {}",
                self.resolve(Lang::Ja, text),
                self.resolve(Lang::En, text)
            )
        } else {
            text.to_owned()
        }
    }

    /// The label of an enum value or field name: the catalog id
    /// `label-<kind>-<value>` (dots, underscores and spaces as hyphens); a
    /// value without a label is returned as it is.
    pub fn label(&self, lang: Lang, kind: &str, value: &str) -> String {
        let id = label_id(kind, value);
        if self.has(lang, &id) {
            self.text(lang, &id, &[])
        } else {
            value.to_owned()
        }
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

/// Marks of a [`Messages::deferred`] message: start, argument, value.
const DEFERRED: char = '\u{1}';
const ARG: char = '\u{1f}';
const VALUE: char = '\u{1e}';

/// A day written `YYYY-MM-DD` as people read it: 2026年4月1日 / 1 Apr 2026.
pub fn day(lang: Lang, iso: &str) -> Option<String> {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let mut parts = iso.trim().splitn(3, '-');
    let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
    if y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return None;
    }
    let (y, m, d): (u32, usize, u32) = (y.parse().ok()?, m.parse().ok()?, d.parse().ok()?);
    let month = MONTHS.get(m.checked_sub(1)?)?;
    Some(match lang {
        Lang::Ja => format!("{y}年{m}月{d}日"),
        Lang::En => format!("{d} {month} {y}"),
    })
}

/// The catalog id of an enum value's label: `label-<kind>-<value>`.
pub fn label_id(kind: &str, value: &str) -> String {
    let norm = |s: &str| s.trim().to_ascii_lowercase().replace(['.', '_', ' '], "-");
    format!("label-{}-{}", norm(kind), norm(value))
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
        // The decision by its label, never its key.
        assert!(text.ja.contains("選択しない") && text.ja.contains("基本言明要件"));
        assert!(!text.ja.contains("not_selected"), "{}", text.ja);
        assert!(text.en.contains("Not selected") && text.en.contains("Baseline"));
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
    fn domain_refusals_are_said_in_each_language() {
        use ismap_domain::ControlIdError;
        use ismap_domain::audit::AuditPeriodError;
        use ismap_domain::audit_work::{ImprovementError, ScopeError};
        use ismap_domain::review::{ApplicationState, ReviewError};
        let date = |s: &str| s.parse().unwrap();
        let control: ismap_domain::ControlId = "8.1.2.7.PB".parse().unwrap();
        let all: Vec<Box<dyn Localized>> = vec![
            Box::new(ControlIdError::Empty),
            Box::new(ControlIdError::EmptyPart { position: 2 }),
            Box::new(ControlIdError::NotANumber {
                part: "x".into(),
                position: 1,
            }),
            Box::new(ControlIdError::LeadingZero { part: "08".into() }),
            Box::new(ControlIdError::NumberTooLarge {
                part: "99999".into(),
            }),
            Box::new(ControlIdError::ZeroNumber { position: 1 }),
            Box::new(ControlIdError::TooFewNumbers { found: 2 }),
            Box::new(ControlIdError::TooManyNumbers { found: 5 }),
            Box::new(ControlIdError::UnknownSuffix { suffix: "X".into() }),
            Box::new(ControlIdError::SuffixNotLast),
            Box::new(ControlIdError::BaselineSuffixOnObjective { suffix: "B" }),
            Box::new(ControlIdError::ChapterOutOfRange { chapter: 19 }),
            Box::new(AuditPeriodError::EndsBeforeStart {
                start: date("2026-04-01"),
                end: date("2026-03-01"),
            }),
            Box::new(AuditPeriodError::LongerThanAYear {
                start: date("2025-04-01"),
                end: date("2026-06-30"),
                latest: date("2026-03-31"),
            }),
            Box::new(ScopeError::CycleLength(7)),
            Box::new(ScopeError::YearOutsideCycle { year: 4, years: 3 }),
            Box::new(ImprovementError::NotADeficiency(control)),
            Box::new(ImprovementError::EmptyMeasure(control)),
            Box::new(ImprovementError::DueBeforeReport {
                due: date("2026-01-01"),
                issued: date("2026-02-01"),
            }),
            Box::new(ReviewError::NotFrom {
                from: ApplicationState::Withdrawn,
                transition: "refer_to_committee",
            }),
            Box::new(ReviewError::Role {
                transition: "register",
                roles: "committee_member".into(),
            }),
            Box::new(ReviewError::NoReason {
                transition: "reject",
            }),
            Box::new(ReviewError::OpenQuestions(2)),
        ];
        let messages = Messages::get();
        for lang in Lang::ALL {
            for message in &all {
                assert!(
                    messages.has(lang, message.message_id()),
                    "{} in {lang}",
                    message.message_id()
                );
                let text = messages.localized(lang, message.as_ref());
                assert!(!text.contains("{ $"), "{text}");
                assert!(!text.contains('_'), "no keys shown: {text}");
            }
        }
        let period = AuditPeriodError::LongerThanAYear {
            start: date("2025-04-01"),
            end: date("2026-06-30"),
            latest: date("2026-03-31"),
        };
        assert!(
            messages
                .localized(Lang::Ja, &period)
                .contains("2026年3月31日")
        );
        assert!(
            messages
                .localized(Lang::En, &period)
                .contains("31 Mar 2026")
        );
        let refused = ReviewError::NotFrom {
            from: ApplicationState::Withdrawn,
            transition: "refer_to_committee",
        };
        assert_eq!(
            messages.localized(Lang::Ja, &refused),
            "「取下げ」の申請には「運営委員会への付議」はできません。"
        );
    }

    #[test]
    fn deferred_messages_are_said_in_the_readers_language() {
        let packed = Messages::deferred("domain-review-open-questions", &[("count", "2".into())]);
        let messages = Messages::get();
        assert_eq!(
            messages.resolve(Lang::Ja, &packed),
            "未回答の質問が 2 件あります。先に回答してください。"
        );
        assert_eq!(
            messages.resolve(Lang::En, &packed),
            "2 questions are still open; answer them first."
        );
        assert_eq!(messages.resolve(Lang::Ja, "plain"), "plain");
        assert_eq!(
            messages.resolve_both(&packed),
            "未回答の質問が 2 件あります。先に回答してください。 / 2 questions are still open; answer them first."
        );
        assert_eq!(messages.resolve_both("plain"), "plain");
        let nested = Messages::deferred(
            "i18n-import-finding",
            &[
                ("line", "3".into()),
                ("field", "date".into()),
                ("@message", "finding-decision-not-for-level".into()),
                ("message.decision", "not_selected".into()),
            ],
        );
        let ja = messages.resolve(Lang::Ja, &nested);
        assert!(ja.starts_with("3 行目（date）: 「選択しない」"), "{ja}");
        let period = ismap_domain::audit::AuditPeriodError::EndsBeforeStart {
            start: "2026-04-01".parse().unwrap(),
            end: "2026-03-01".parse().unwrap(),
        };
        let packed = Messages::deferred_localized(&period);
        assert_eq!(
            messages.resolve(Lang::Ja, &packed),
            messages.localized(Lang::Ja, &period)
        );
        assert!(messages.resolve(Lang::En, &packed).contains("1 Mar 2026"));
    }

    #[test]
    fn language_names_parse() {
        assert_eq!("ja_JP.UTF-8".parse::<Lang>(), Ok(Lang::Ja));
        assert_eq!("EN".parse::<Lang>(), Ok(Lang::En));
        assert!("fr".parse::<Lang>().is_err());
    }
}
