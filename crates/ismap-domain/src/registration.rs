//! Registrations on the ISMAP and ISMAP-LIU cloud service lists (spec §6):
//! which list, whether an entry is shown today, and the expiry warnings.

use chrono::NaiveDate;

/// The two public lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ListKind {
    /// ISMAPクラウドサービスリスト.
    Ismap,
    /// ISMAP-LIUクラウドサービスリスト (SaaS for low-impact use, spec §7).
    Liu,
}

impl ListKind {
    pub const ALL: [ListKind; 2] = [ListKind::Ismap, ListKind::Liu];

    pub fn key(self) -> &'static str {
        match self {
            ListKind::Ismap => "ismap",
            ListKind::Liu => "liu",
        }
    }

    pub fn from_key(key: &str) -> Option<ListKind> {
        ListKind::ALL.into_iter().find(|k| k.key() == key.trim())
    }

    /// The letter that starts the list's registration numbers. `C` is the
    /// observed form (spec §6); `L` for ISMAP-LIU is this project's choice,
    /// as the seeds give no LIU number.
    pub fn letter(self) -> char {
        match self {
            ListKind::Ismap => 'C',
            ListKind::Liu => 'L',
        }
    }
}

/// How a registration stands on a day.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RegistrationStatus {
    /// Inside its validity, or past it while its renewal is under review.
    Valid,
    /// Suspended by the committee: shown with the reason, not valid.
    Suspended,
    /// Validity ended without a renewal: off the list, history kept.
    Lapsed,
}

impl RegistrationStatus {
    pub fn key(self) -> &'static str {
        match self {
            RegistrationStatus::Valid => "valid",
            RegistrationStatus::Suspended => "suspended",
            RegistrationStatus::Lapsed => "lapsed",
        }
    }

    /// Whether the entry appears on the public list.
    pub fn is_listed(self) -> bool {
        self != RegistrationStatus::Lapsed
    }
}

/// The status of a registration valid until `valid_until` on `today`.
pub fn status_on(
    valid_until: NaiveDate,
    suspended: bool,
    renewal_under_review: bool,
    today: NaiveDate,
) -> RegistrationStatus {
    if suspended {
        RegistrationStatus::Suspended
    } else if today <= valid_until || renewal_under_review {
        // A renewal under review keeps the current registration valid (spec §6).
        RegistrationStatus::Valid
    } else {
        RegistrationStatus::Lapsed
    }
}

/// Days before expiry at which people are warned.
pub const EXPIRY_WARNINGS: [i64; 2] = [90, 30];

/// The warning due on `today`: 30 within 30 days of the last valid day, 90
/// within 90 days, none before (or after the end).
pub fn expiry_warning(valid_until: NaiveDate, today: NaiveDate) -> Option<i64> {
    let left = (valid_until - today).num_days();
    if left < 0 {
        return None;
    }
    EXPIRY_WARNINGS
        .iter()
        .rev()
        .find(|days| left <= **days)
        .copied()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::RegistrationNumber;

    fn date(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    #[test]
    fn numbers_start_at_one_and_count_renewals() {
        let first = RegistrationNumber::first(ListKind::Ismap.letter(), date("2026-11-25"), 8);
        assert_eq!(first.to_string(), "C26-0008-1");
        assert_eq!(first.renewed().to_string(), "C26-0008-2");
        assert_eq!(
            RegistrationNumber::first(ListKind::Liu.letter(), date("2030-01-01"), 123).to_string(),
            "L30-0123-1"
        );
        let parsed: RegistrationNumber = "C26-0008-2".parse().unwrap();
        assert_eq!(parsed, first.renewed());
    }

    #[test]
    fn status_follows_validity_suspension_and_renewal() {
        let until = date("2026-07-31");
        assert_eq!(
            status_on(until, false, false, until),
            RegistrationStatus::Valid
        );
        assert_eq!(
            status_on(until, false, false, date("2026-08-01")),
            RegistrationStatus::Lapsed
        );
        assert_eq!(
            status_on(until, false, true, date("2026-09-01")),
            RegistrationStatus::Valid,
            "a renewal under review keeps it valid"
        );
        assert_eq!(
            status_on(until, true, false, date("2026-01-01")),
            RegistrationStatus::Suspended
        );
        assert!(!RegistrationStatus::Lapsed.is_listed());
        assert!(RegistrationStatus::Suspended.is_listed());
    }

    #[test]
    fn warnings_at_ninety_and_thirty_days() {
        let until = date("2026-07-31");
        assert_eq!(expiry_warning(until, date("2026-04-01")), None);
        assert_eq!(expiry_warning(until, date("2026-05-02")), Some(90));
        assert_eq!(expiry_warning(until, date("2026-07-01")), Some(30));
        assert_eq!(expiry_warning(until, until), Some(30));
        assert_eq!(expiry_warning(until, date("2026-08-01")), None);
    }
}
