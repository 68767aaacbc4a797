//! Identifiers of the other frameworks the crosswalk links ISMAP to: NIST SP
//! 800-53 rev5 controls (`AC-2`, enhancement `AC-2(1)`, OSCAL `ac-2.1`) and
//! ISO/IEC 27001:2013 Annex A controls (`A.9.2.3`).

use std::fmt;
use std::str::FromStr;

/// A NIST SP 800-53 control or control enhancement, e.g. `AC-2` or `AC-2(1)`.
/// Orders as the catalog does: family, number, then the base before its
/// enhancements (AC-2 < AC-2(1) < AC-2(10) < AC-3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NistControlId {
    family: [u8; 2],
    number: u16,
    enhancement: Option<u16>,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NistIdError {
    #[error("the control id is empty")]
    Empty,
    #[error(
        "{text:?} is not an SP 800-53 control id; write a two-letter family, a dash and a number, e.g. AC-2, AC-2(1) or ac-2.1"
    )]
    Malformed { text: String },
}

impl NistControlId {
    /// The family, e.g. `AC`.
    pub fn family(&self) -> &str {
        // Only ASCII letters are ever stored (checked by parsing).
        std::str::from_utf8(&self.family).unwrap_or("??")
    }

    pub fn number(&self) -> u16 {
        self.number
    }

    pub fn enhancement(&self) -> Option<u16> {
        self.enhancement
    }

    pub fn is_enhancement(&self) -> bool {
        self.enhancement.is_some()
    }

    /// The base control of an enhancement (itself for a base control).
    pub fn base(&self) -> NistControlId {
        NistControlId {
            enhancement: None,
            ..*self
        }
    }

    /// The OSCAL form used as `id` in NIST and FedRAMP catalogs: `ac-2.1`.
    pub fn oscal_id(&self) -> String {
        let family = self.family().to_ascii_lowercase();
        match self.enhancement {
            Some(e) => format!("{family}-{}.{e}", self.number),
            None => format!("{family}-{}", self.number),
        }
    }
}

impl fmt::Display for NistControlId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.family(), self.number)?;
        if let Some(e) = self.enhancement {
            write!(f, "({e})")?;
        }
        Ok(())
    }
}

/// A positive number of at most three digits, no leading zero.
fn small_number(text: &str) -> Option<u16> {
    let ok = !text.is_empty()
        && text.len() <= 3
        && text.bytes().all(|b| b.is_ascii_digit())
        && !text.starts_with('0');
    ok.then(|| text.parse().ok()).flatten()
}

impl FromStr for NistControlId {
    type Err = NistIdError;

    /// Accepts the printed form (`AC-2`, `AC-2(1)`, `AC-2 (1)`) and the OSCAL
    /// form (`ac-2`, `ac-2.1`), in any letter case.
    fn from_str(text: &str) -> Result<NistControlId, NistIdError> {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err(NistIdError::Empty);
        }
        let malformed = || NistIdError::Malformed {
            text: trimmed.to_owned(),
        };
        let (family, rest) = trimmed.split_once('-').ok_or_else(malformed)?;
        let family = family.as_bytes();
        if family.len() != 2 || !family.iter().all(u8::is_ascii_alphabetic) {
            return Err(malformed());
        }
        let (number, enhancement) = if let Some((number, e)) = rest.split_once('(') {
            let e = e.strip_suffix(')').ok_or_else(malformed)?;
            (
                number.trim_end(),
                Some(small_number(e).ok_or_else(malformed)?),
            )
        } else if let Some((number, e)) = rest.split_once('.') {
            (number, Some(small_number(e).ok_or_else(malformed)?))
        } else {
            (rest, None)
        };
        Ok(NistControlId {
            family: [
                family[0].to_ascii_uppercase(),
                family[1].to_ascii_uppercase(),
            ],
            number: small_number(number).ok_or_else(malformed)?,
            enhancement,
        })
    }
}

/// An ISO/IEC 27001:2013 Annex A control, e.g. `A.9.2.3`: clause (5–18),
/// objective, control. Orders numerically (A.9.2.3 < A.10.1.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AnnexAId {
    nums: [u16; 3],
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "{text:?} is not an ISO/IEC 27001:2013 Annex A control id; write A.<clause 5-18>.<objective>.<control>, e.g. A.9.2.3"
)]
pub struct AnnexAIdError {
    pub text: String,
}

impl AnnexAId {
    pub fn numbers(&self) -> [u16; 3] {
        self.nums
    }

    /// The clause (5–18), which is also the ISMAP chapter of the same number.
    pub fn clause(&self) -> u16 {
        self.nums[0]
    }
}

impl fmt::Display for AnnexAId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [a, b, c] = self.nums;
        write!(f, "A.{a}.{b}.{c}")
    }
}

impl FromStr for AnnexAId {
    type Err = AnnexAIdError;

    /// Accepts `A.9.2.3` and, as certificates often write it, `9.2.3`.
    fn from_str(text: &str) -> Result<AnnexAId, AnnexAIdError> {
        let trimmed = text.trim();
        let error = || AnnexAIdError {
            text: trimmed.to_owned(),
        };
        let body = trimmed
            .strip_prefix("A.")
            .or_else(|| trimmed.strip_prefix("a."))
            .unwrap_or(trimmed);
        let parts: Vec<&str> = body.split('.').collect();
        let [a, b, c] = parts.as_slice() else {
            return Err(error());
        };
        let nums = [
            small_number(a).ok_or_else(error)?,
            small_number(b).ok_or_else(error)?,
            small_number(c).ok_or_else(error)?,
        ];
        if !(5..=18).contains(&nums[0]) {
            return Err(error());
        }
        Ok(AnnexAId { nums })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nist(text: &str) -> NistControlId {
        text.parse().unwrap()
    }

    #[test]
    fn printed_and_oscal_forms_name_the_same_control() {
        assert_eq!(nist("AC-2(1)"), nist("ac-2.1"));
        assert_eq!(nist("AC-2 (1)"), nist("Ac-2(1)"));
        assert_eq!(nist("ac-2.1").to_string(), "AC-2(1)");
        assert_eq!(nist("AC-2(1)").oscal_id(), "ac-2.1");
        assert_eq!(nist("SI-4").to_string(), "SI-4");
    }

    #[test]
    fn an_enhancement_knows_its_base() {
        assert_eq!(nist("AC-2(12)").base(), nist("AC-2"));
        assert!(nist("AC-2(12)").is_enhancement());
        assert_eq!(nist("AC-2").base(), nist("AC-2"));
    }

    #[test]
    fn nist_ids_order_as_the_catalog_does() {
        let mut ids = [
            nist("AC-3"),
            nist("AC-2(10)"),
            nist("AC-2(2)"),
            nist("AC-2"),
            nist("AC-10"),
        ];
        ids.sort();
        let printed: Vec<String> = ids.iter().map(|i| i.to_string()).collect();
        assert_eq!(printed, ["AC-2", "AC-2(2)", "AC-2(10)", "AC-3", "AC-10"]);
    }

    #[test]
    fn malformed_nist_ids_are_refused() {
        for bad in [
            "",
            "AC",
            "AC-",
            "A-2",
            "ACC-2",
            "AC-02",
            "AC-2(",
            "AC-2()",
            "AC-2(1",
            "AC-2.x",
            "1C-2",
            "AC-0",
            "AC-2(1)(2)",
            "AC-1000",
            "Appendix J",
        ] {
            assert!(bad.parse::<NistControlId>().is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn annex_a_ids_read_with_or_without_prefix() {
        let a: AnnexAId = "A.9.2.3".parse().unwrap();
        assert_eq!(a, "9.2.3".parse().unwrap());
        assert_eq!(a.to_string(), "A.9.2.3");
        assert_eq!(a.clause(), 9);
        for bad in [
            "A.4.1.1",
            "A.19.1.1",
            "A.9.2",
            "A.9.2.3.1",
            "A.9.2.x",
            "",
            "B.9.2.3",
        ] {
            assert!(bad.parse::<AnnexAId>().is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn annex_a_ids_order_numerically() {
        let a: AnnexAId = "A.9.2.3".parse().unwrap();
        let b: AnnexAId = "A.10.1.1".parse().unwrap();
        assert!(a < b);
    }
}
