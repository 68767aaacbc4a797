//! Registered cloud services as far as statement rule S7 needs them: the
//! registration number and the validity window (spec §6).

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;

use crate::registration::{RegistrationStatus, status_on};

/// A registration number such as `C21-0008-2`: list letter, two-digit year,
/// four-digit serial, renewal count (spec §6).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RegistrationNumber {
    list: char,
    year: u8,
    serial: u16,
    renewal: u16,
}

impl RegistrationNumber {
    pub fn list(&self) -> char {
        self.list
    }
    pub fn year(&self) -> u8 {
        self.year
    }
    pub fn serial(&self) -> u16 {
        self.serial
    }
    pub fn renewal(&self) -> u16 {
        self.renewal
    }
}

impl fmt::Display for RegistrationNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}{:02}-{:04}-{}",
            self.list, self.year, self.serial, self.renewal
        )
    }
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "{text:?} is not a registration number; expected the form C21-0008-2 (list letter and year, serial, renewal count)"
)]
pub struct RegistrationNumberError {
    pub text: String,
}

impl FromStr for RegistrationNumber {
    type Err = RegistrationNumberError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let error = || RegistrationNumberError {
            text: text.to_owned(),
        };
        let mut parts = text.split('-');
        let (Some(head), Some(serial), Some(renewal), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(error());
        };
        let mut head_chars = head.chars();
        let list = head_chars
            .next()
            .filter(char::is_ascii_uppercase)
            .ok_or_else(error)?;
        let year = head_chars.as_str();
        let digits = |s: &str, len: Option<usize>| {
            !s.is_empty()
                && s.bytes().all(|b| b.is_ascii_digit())
                && len.is_none_or(|l| s.len() == l)
        };
        if !digits(year, Some(2)) || !digits(serial, Some(4)) || !digits(renewal, None) {
            return Err(error());
        }
        Ok(RegistrationNumber {
            list,
            year: year.parse().map_err(|_| error())?,
            serial: serial.parse().map_err(|_| error())?,
            renewal: renewal.parse().map_err(|_| error())?,
        })
    }
}

/// One entry of the ISMAP cloud service list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Registration {
    pub number: RegistrationNumber,
    pub service_name: String,
    pub valid_from: NaiveDate,
    pub valid_until: NaiveDate,
    /// Suspended by the steering committee now (spec §6): not to be relied
    /// on while it lasts, whatever the dates.
    pub suspended: bool,
    /// A renewal of it is under review now: it stays valid past its end
    /// until the renewal is decided (spec §6).
    pub renewal_pending: bool,
}

impl Registration {
    /// Valid on `date` by its dates (suspension is told apart by rule S7).
    pub fn is_valid_on(&self, date: NaiveDate) -> bool {
        self.valid_from <= date
            && status_on(self.valid_until, false, self.renewal_pending, date)
                == RegistrationStatus::Valid
    }
}

/// The registrations a statement can be checked against.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Registry {
    entries: BTreeMap<RegistrationNumber, Registration>,
}

impl Registry {
    /// Adds an entry; returns the earlier one if the number was already there.
    pub fn insert(&mut self, registration: Registration) -> Option<Registration> {
        self.entries
            .insert(registration.number.clone(), registration)
    }

    pub fn get(&self, number: &RegistrationNumber) -> Option<&Registration> {
        self.entries.get(number)
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl RegistrationNumber {
    /// A first registration: `list` letter, the year of registration, the
    /// list's serial; the renewal count starts at 1.
    pub fn first(list: char, registered: chrono::NaiveDate, serial: u16) -> RegistrationNumber {
        use chrono::Datelike;
        RegistrationNumber {
            list,
            year: (registered.year().rem_euclid(100)) as u8,
            serial,
            renewal: 1,
        }
    }

    /// The number the registration carries after a renewal: same list, year
    /// and serial, the count one higher.
    pub fn renewed(&self) -> RegistrationNumber {
        RegistrationNumber {
            renewal: self.renewal + 1,
            ..self.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_registration_numbers() {
        let n: RegistrationNumber = "C21-0008-2".parse().unwrap();
        assert_eq!(
            (n.list(), n.year(), n.serial(), n.renewal()),
            ('C', 21, 8, 2)
        );
        assert_eq!(n.to_string(), "C21-0008-2");
        for bad in [
            "",
            "C21-8-2",
            "c21-0008-2",
            "C2-0008-2",
            "C21-0008",
            "C21-0008-2-1",
            "C21-0008-x",
        ] {
            assert!(bad.parse::<RegistrationNumber>().is_err(), "{bad}");
        }
    }

    #[test]
    fn validity_includes_both_ends() {
        let d = |s| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let r = Registration {
            number: "C21-0008-2".parse().unwrap(),
            service_name: "IaaS".into(),
            valid_from: d("2025-04-01"),
            valid_until: d("2026-07-31"),
            suspended: false,
            renewal_pending: false,
        };
        assert!(r.is_valid_on(d("2025-04-01")));
        assert!(r.is_valid_on(d("2026-07-31")));
        assert!(!r.is_valid_on(d("2026-08-01")));
        assert!(!r.is_valid_on(d("2025-03-31")));
        // A renewal under review keeps it valid past its end, not before it.
        let renewing = Registration {
            renewal_pending: true,
            ..r
        };
        assert!(renewing.is_valid_on(d("2026-08-01")));
        assert!(renewing.is_valid_on(d("2027-01-15")));
        assert!(!renewing.is_valid_on(d("2025-03-31")));
    }
}
