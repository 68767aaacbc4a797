//! ISMAP control identifiers such as `3.1.4`, `8.1.2.7.PB`, `6.3.1.P`.
//!
//! spec §2: a control objective (統制目標) has three numbers, a detailed
//! control (詳細管理策) four. A detailed control may carry `.P`, `.B` or
//! `.PB`; the seven cloud-specific objectives carry `.P` on the three-number
//! form. Identifiers order numerically, so 8.1.2.10 comes after 8.1.2.9.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

/// Chapters of the standard: 3 governance, 4 management, 5–18 control measures.
pub const FIRST_CHAPTER: u16 = 3;
pub const LAST_CHAPTER: u16 = 18;

/// The suffix flags of a control (spec §2 table).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Suffix {
    #[default]
    None,
    /// `.P`: cloud-specific; the provider must consider it particularly.
    P,
    /// `.B`: itself a baseline statement requirement (基本言明要件).
    B,
    /// `.PB`: both.
    PB,
}

impl Suffix {
    pub fn is_cloud_specific(self) -> bool {
        matches!(self, Suffix::P | Suffix::PB)
    }

    /// Baseline statement requirements are mandatory (spec §3 S4).
    pub fn is_baseline(self) -> bool {
        matches!(self, Suffix::B | Suffix::PB)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Suffix::None => "",
            Suffix::P => "P",
            Suffix::B => "B",
            Suffix::PB => "PB",
        }
    }

    fn parse(text: &str) -> Option<Suffix> {
        match text.to_ascii_uppercase().as_str() {
            "P" => Some(Suffix::P),
            "B" => Some(Suffix::B),
            "PB" => Some(Suffix::PB),
            _ => None,
        }
    }
}

/// Whether an identifier names a control objective or a detailed control.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Level {
    /// Three numbers: 統制目標 (3桁管理策).
    Objective,
    /// Four numbers: 詳細管理策 (4桁管理策).
    Detailed,
}

/// The numeric part of an identifier, without its suffix. Two identifiers
/// with the same number name the same control, whatever suffix is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ControlNumber {
    // Unused trailing slots stay 0; numbers are never 0, so comparing the
    // whole array orders 8.1.2 before 8.1.2.1.
    nums: [u16; 4],
}

impl ControlNumber {
    pub fn numbers(&self) -> &[u16] {
        let len = if self.nums[3] == 0 { 3 } else { 4 };
        &self.nums[..len]
    }

    pub fn level(&self) -> Level {
        if self.nums[3] == 0 {
            Level::Objective
        } else {
            Level::Detailed
        }
    }
}

impl fmt::Display for ControlNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for n in self.numbers() {
            if !first {
                f.write_str(".")?;
            }
            write!(f, "{n}")?;
            first = false;
        }
        Ok(())
    }
}

/// A parsed control identifier.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ControlId {
    number: ControlNumber,
    suffix: Suffix,
}

impl ControlId {
    /// Builds an identifier from its parts, checking the same invariants as
    /// parsing does.
    pub fn new(numbers: &[u16], suffix: Suffix) -> Result<ControlId, ControlIdError> {
        if numbers.len() < 3 {
            return Err(ControlIdError::TooFewNumbers {
                found: numbers.len(),
            });
        }
        if numbers.len() > 4 {
            return Err(ControlIdError::TooManyNumbers {
                found: numbers.len(),
            });
        }
        if let Some(position) = numbers.iter().position(|&n| n == 0) {
            return Err(ControlIdError::ZeroNumber {
                position: position + 1,
            });
        }
        let chapter = numbers[0];
        if !(FIRST_CHAPTER..=LAST_CHAPTER).contains(&chapter) {
            return Err(ControlIdError::ChapterOutOfRange { chapter });
        }
        if numbers.len() == 3 && suffix.is_baseline() {
            return Err(ControlIdError::BaselineSuffixOnObjective {
                suffix: suffix.as_str(),
            });
        }
        let mut nums = [0u16; 4];
        nums[..numbers.len()].copy_from_slice(numbers);
        Ok(ControlId {
            number: ControlNumber { nums },
            suffix,
        })
    }

    pub fn number(&self) -> ControlNumber {
        self.number
    }

    pub fn numbers(&self) -> &[u16] {
        self.number.numbers()
    }

    pub fn suffix(&self) -> Suffix {
        self.suffix
    }

    pub fn level(&self) -> Level {
        self.number.level()
    }

    pub fn chapter(&self) -> u16 {
        self.number.nums[0]
    }

    /// The category (2桁), e.g. `(8, 1)` for 8.1.2.7.PB.
    pub fn category(&self) -> (u16, u16) {
        (self.number.nums[0], self.number.nums[1])
    }

    /// The number of the control objective this identifier belongs to: itself
    /// for an objective, the first three numbers for a detailed control.
    pub fn objective_number(&self) -> ControlNumber {
        let mut nums = self.number.nums;
        nums[3] = 0;
        ControlNumber { nums }
    }
}

impl Ord for ControlId {
    fn cmp(&self, other: &Self) -> Ordering {
        self.number
            .cmp(&other.number)
            .then(self.suffix.cmp(&other.suffix))
    }
}

impl PartialOrd for ControlId {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for ControlId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.number)?;
        if self.suffix != Suffix::None {
            write!(f, ".{}", self.suffix.as_str())?;
        }
        Ok(())
    }
}

impl FromStr for ControlId {
    type Err = ControlIdError;

    fn from_str(text: &str) -> Result<ControlId, ControlIdError> {
        if text.trim().is_empty() {
            return Err(ControlIdError::Empty);
        }
        let parts: Vec<&str> = text.split('.').collect();
        let mut numbers = Vec::with_capacity(4);
        let mut suffix = Suffix::None;
        for (index, part) in parts.iter().enumerate() {
            let position = index + 1;
            if part.is_empty() {
                return Err(ControlIdError::EmptyPart { position });
            }
            if part.bytes().all(|b| b.is_ascii_digit()) {
                if suffix != Suffix::None {
                    return Err(ControlIdError::SuffixNotLast);
                }
                if part.len() > 1 && part.starts_with('0') {
                    return Err(ControlIdError::LeadingZero {
                        part: (*part).to_owned(),
                    });
                }
                let number = part
                    .parse::<u16>()
                    .map_err(|_| ControlIdError::NumberTooLarge {
                        part: (*part).to_owned(),
                    })?;
                numbers.push(number);
            } else if index + 1 == parts.len() && index >= 1 {
                suffix = Suffix::parse(part).ok_or_else(|| ControlIdError::UnknownSuffix {
                    suffix: (*part).to_owned(),
                })?;
            } else {
                return Err(ControlIdError::NotANumber {
                    part: (*part).to_owned(),
                    position,
                });
            }
        }
        ControlId::new(&numbers, suffix)
    }
}

/// Why a text is not a control identifier. Each variant says what to fix.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ControlIdError {
    #[error("the control ID is empty")]
    Empty,
    #[error("part {position} of the control ID is empty (two dots in a row, or a dot at an end)")]
    EmptyPart { position: usize },
    #[error("part {position} ({part:?}) is neither a number nor a suffix (P, B, PB)")]
    NotANumber { part: String, position: usize },
    #[error("{part:?} has a leading zero; write numbers as in the standard (8, not 08)")]
    LeadingZero { part: String },
    #[error("{part:?} is too large to be a control number")]
    NumberTooLarge { part: String },
    #[error("number {position} is 0; control numbers start at 1")]
    ZeroNumber { position: usize },
    #[error(
        "{found} number(s) found; a control objective has 3 numbers (8.1.2) and a detailed control 4 (8.1.2.3)"
    )]
    TooFewNumbers { found: usize },
    #[error(
        "{found} numbers found; a control has at most 4 numbers (8.1.2.3) and an optional suffix"
    )]
    TooManyNumbers { found: usize },
    #[error("unknown suffix {suffix:?}; the standard uses .P, .B and .PB")]
    UnknownSuffix { suffix: String },
    #[error("the suffix must come last, after all numbers")]
    SuffixNotLast,
    #[error(
        "a control objective (3 numbers) cannot carry .{suffix}; only cloud objectives carry a suffix, and it is .P"
    )]
    BaselineSuffixOnObjective { suffix: &'static str },
    #[error("chapter {chapter} does not exist; the standard's chapters are 3 to 18")]
    ChapterOutOfRange { chapter: u16 },
}

impl crate::Localized for ControlIdError {
    fn message_id(&self) -> &'static str {
        match self {
            ControlIdError::Empty => "domain-control-id-empty",
            ControlIdError::EmptyPart { .. } => "domain-control-id-empty-part",
            ControlIdError::NotANumber { .. } => "domain-control-id-not-a-number",
            ControlIdError::LeadingZero { .. } => "domain-control-id-leading-zero",
            ControlIdError::NumberTooLarge { .. } => "domain-control-id-number-too-large",
            ControlIdError::ZeroNumber { .. } => "domain-control-id-zero-number",
            ControlIdError::TooFewNumbers { .. } => "domain-control-id-too-few-numbers",
            ControlIdError::TooManyNumbers { .. } => "domain-control-id-too-many-numbers",
            ControlIdError::UnknownSuffix { .. } => "domain-control-id-unknown-suffix",
            ControlIdError::SuffixNotLast => "domain-control-id-suffix-not-last",
            ControlIdError::BaselineSuffixOnObjective { .. } => {
                "domain-control-id-suffix-on-objective"
            }
            ControlIdError::ChapterOutOfRange { .. } => "domain-control-id-chapter-out-of-range",
        }
    }

    fn message_args(&self) -> Vec<(&'static str, String)> {
        match self {
            ControlIdError::Empty | ControlIdError::SuffixNotLast => vec![],
            ControlIdError::EmptyPart { position } | ControlIdError::ZeroNumber { position } => {
                vec![("position", position.to_string())]
            }
            ControlIdError::NotANumber { part, position } => {
                vec![("part", part.clone()), ("position", position.to_string())]
            }
            ControlIdError::LeadingZero { part } | ControlIdError::NumberTooLarge { part } => {
                vec![("part", part.clone())]
            }
            ControlIdError::TooFewNumbers { found } | ControlIdError::TooManyNumbers { found } => {
                vec![("found", found.to_string())]
            }
            ControlIdError::UnknownSuffix { suffix } => vec![("suffix", suffix.clone())],
            ControlIdError::BaselineSuffixOnObjective { suffix } => {
                vec![("suffix", (*suffix).to_owned())]
            }
            ControlIdError::ChapterOutOfRange { chapter } => vec![("chapter", chapter.to_string())],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn id(text: &str) -> ControlId {
        text.parse().unwrap()
    }

    #[test]
    fn parses_objectives_and_detailed_controls_with_suffixes() {
        let c = id("8.1.2.7.PB");
        assert_eq!(c.numbers(), &[8, 1, 2, 7]);
        assert_eq!(c.suffix(), Suffix::PB);
        assert_eq!(c.level(), Level::Detailed);
        assert_eq!(c.objective_number(), id("8.1.2").number());
        assert_eq!(id("6.3.1.P").level(), Level::Objective);
        assert_eq!(id("6.3.1.P").suffix(), Suffix::P);
        assert_eq!(id("9.4.2.2.B").suffix(), Suffix::B);
        assert_eq!(id("3.1.4").category(), (3, 1));
    }

    #[test]
    fn orders_numerically_not_textually() {
        assert!(id("8.1.2.10") > id("8.1.2.9"));
        assert!(id("8.1.2") < id("8.1.2.1"));
        assert!(id("8.1.2.7.PB") < id("8.1.2.8"));
        assert!(id("9.4.5") < id("9.5.1.P"));
        assert!(id("10.1.1") > id("9.5.2.P"));
    }

    #[test]
    fn the_number_ignores_the_suffix() {
        assert_eq!(id("8.1.2.7.PB").number(), id("8.1.2.7").number());
        assert_ne!(id("8.1.2.7.PB"), id("8.1.2.7"));
    }

    #[test]
    fn lowercase_suffix_is_accepted_and_printed_canonically() {
        assert_eq!(id("8.1.2.7.pb").to_string(), "8.1.2.7.PB");
    }

    #[test]
    fn malformed_ids_say_what_is_wrong() {
        let cases: &[(&str, ControlIdError)] = &[
            ("", ControlIdError::Empty),
            ("8..2", ControlIdError::EmptyPart { position: 2 }),
            ("8.1", ControlIdError::TooFewNumbers { found: 2 }),
            ("8.1.2.3.4", ControlIdError::TooManyNumbers { found: 5 }),
            (
                "8.1.2.7.X",
                ControlIdError::UnknownSuffix { suffix: "X".into() },
            ),
            (
                "8.a.2",
                ControlIdError::NotANumber {
                    part: "a".into(),
                    position: 2,
                },
            ),
            ("08.1.2", ControlIdError::LeadingZero { part: "08".into() }),
            ("8.0.2", ControlIdError::ZeroNumber { position: 2 }),
            ("19.1.1", ControlIdError::ChapterOutOfRange { chapter: 19 }),
            (
                "6.3.1.PB",
                ControlIdError::BaselineSuffixOnObjective { suffix: "PB" },
            ),
            (
                "8.1.P.2",
                ControlIdError::NotANumber {
                    part: "P".into(),
                    position: 3,
                },
            ),
            (
                "8.1.99999",
                ControlIdError::NumberTooLarge {
                    part: "99999".into(),
                },
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(text.parse::<ControlId>().unwrap_err(), *expected, "{text}");
        }
        let message = "8.1".parse::<ControlId>().unwrap_err().to_string();
        assert!(message.contains("3 numbers"), "{message}");
    }

    fn any_control_id() -> impl Strategy<Value = ControlId> {
        (
            FIRST_CHAPTER..=LAST_CHAPTER,
            1u16..40,
            1u16..40,
            proptest::option::of(1u16..40),
            0usize..4,
        )
            .prop_map(|(a, b, c, d, s)| {
                let suffix = [Suffix::None, Suffix::P, Suffix::B, Suffix::PB][s];
                match d {
                    Some(d) => ControlId::new(&[a, b, c, d], suffix).unwrap(),
                    None => {
                        let suffix = if suffix == Suffix::None {
                            Suffix::None
                        } else {
                            Suffix::P
                        };
                        ControlId::new(&[a, b, c], suffix).unwrap()
                    }
                }
            })
    }

    proptest! {
        #[test]
        fn display_then_parse_round_trips(c in any_control_id()) {
            let printed = c.to_string();
            prop_assert_eq!(printed.parse::<ControlId>().unwrap(), c);
        }

        #[test]
        fn order_agrees_with_the_numbers(a in any_control_id(), b in any_control_id()) {
            let by_numbers = a.numbers().cmp(b.numbers()).then(a.suffix().cmp(&b.suffix()));
            prop_assert_eq!(a.cmp(&b), by_numbers);
        }

        #[test]
        fn parsing_arbitrary_text_never_panics(text in "\\PC{0,20}") {
            let _ = text.parse::<ControlId>();
        }
    }
}
