//! Password rules (NIST SP 800-63B §3.1.1.2) and hashing with Argon2id
//! (RFC 9106 recommended parameters of the argon2 crate's defaults).
//!
//! Any Unicode is allowed; a password is NFKC-normalized before it is
//! hashed or checked, and its length counts characters, not bytes. Refused:
//! fewer than [`MIN_LENGTH`] characters, only spaces, more than
//! [`MAX_LENGTH`], the username itself, and commonly used passwords (the
//! list in `data/common-passwords.txt`, see `data/README.md`), also with
//! digits or symbols around them, repeated, or a plain run such as
//! `abcdefghijkl` or `123456789012`. No composition rules.

use std::collections::HashSet;
use std::sync::OnceLock;

use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use unicode_normalization::UnicodeNormalization;

/// Shortest password accepted, in characters.
pub const MIN_LENGTH: usize = 12;
/// Longest password accepted, in characters (hashing cost stays bounded).
pub const MAX_LENGTH: usize = 1024;

const COMMON: &str = include_str!("../data/common-passwords.txt");

/// Why a new password is refused. `message_id` names the text shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Problem {
    TooShort,
    TooLong,
    BlankOnly,
    Common,
    SameAsUsername,
}

impl Problem {
    /// The message in the catalogs (crates/ismap-i18n/locales/*/ismap.ftl).
    pub fn message_id(self) -> &'static str {
        match self {
            Problem::TooShort => "acct-password-too-short",
            Problem::TooLong => "acct-password-too-long",
            Problem::BlankOnly => "acct-password-blank",
            Problem::Common => "acct-password-common",
            Problem::SameAsUsername => "acct-password-username",
        }
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Problem::TooShort => "a password needs at least 12 characters",
            Problem::TooLong => "a password has at most 1024 characters",
            Problem::BlankOnly => "a password cannot be only spaces",
            Problem::Common => {
                "this password is on the list of commonly used passwords; choose another"
            }
            Problem::SameAsUsername => "a password cannot be the username",
        })
    }
}

fn common_passwords() -> &'static HashSet<&'static str> {
    static SET: OnceLock<HashSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| COMMON.lines().filter(|l| !l.is_empty()).collect())
}

/// How many passwords the shipped list holds.
pub fn common_list_len() -> usize {
    common_passwords().len()
}

fn normalize(password: &str) -> String {
    password.nfkc().collect()
}

/// The whole text is one short unit repeated ("abcabcabcabc", "aaaaaaaaaaaa").
fn is_repetition(text: &[char]) -> bool {
    let n = text.len();
    (1..=n / 2).any(|unit| n.is_multiple_of(unit) && text.chunks(unit).all(|c| c == &text[..unit]))
}

/// The whole text is a run of neighbouring characters, up or down
/// ("abcdefghijkl", "987654321098": digits wrap around).
fn is_run(text: &[char]) -> bool {
    let step = |a: char, b: char| -> i64 {
        if a.is_ascii_digit() && b.is_ascii_digit() {
            let d = (i64::from(b as u8) - i64::from(a as u8)).rem_euclid(10);
            if d == 9 { -1 } else { d }
        } else {
            i64::from(u32::from(b)) - i64::from(u32::from(a))
        }
    };
    let Some(first) = text.windows(2).next().map(|w| step(w[0], w[1])) else {
        return false;
    };
    (first == 1 || first == -1) && text.windows(2).all(|w| step(w[0], w[1]) == first)
}

/// A commonly used password, one with digits or symbols around it, a
/// repetition or a plain run.
pub fn is_common(password: &str) -> bool {
    let lower = normalize(password).to_lowercase();
    let list = common_passwords();
    if list.contains(lower.as_str()) {
        return true;
    }
    let core = lower.trim_matches(|c: char| !c.is_alphabetic());
    if core.chars().count() >= 4 && list.contains(core) {
        return true;
    }
    let chars: Vec<char> = lower.chars().collect();
    let core_chars: Vec<char> = core.chars().collect();
    is_repetition(&chars) || is_run(&chars) || is_repetition(&core_chars)
}

/// Whether `password` may be set for `username` (empty: not known).
pub fn check(password: &str, username: &str) -> Result<(), Problem> {
    let normal = normalize(password);
    if normal.chars().all(char::is_whitespace) {
        return Err(Problem::BlankOnly);
    }
    let length = normal.chars().count();
    if length < MIN_LENGTH {
        return Err(Problem::TooShort);
    }
    if length > MAX_LENGTH {
        return Err(Problem::TooLong);
    }
    if !username.is_empty() && normal.trim().to_lowercase() == normalize(username).to_lowercase() {
        return Err(Problem::SameAsUsername);
    }
    if is_common(&normal) {
        return Err(Problem::Common);
    }
    Ok(())
}

/// Checks the rules (without a username) and hashes: for callers that show
/// the English text (the CLI, the demo).
pub fn hash(password: &str) -> Result<String, String> {
    hash_for(password, "").map_err(|e| e.to_string())
}

/// Checks the rules for `username` and hashes the NFKC form.
pub fn hash_for(password: &str, username: &str) -> Result<String, Problem> {
    check(password, username)?;
    Ok(hash_unchecked(&normalize(password)))
}

fn hash_unchecked(password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .expect("Argon2id with default parameters hashes any input")
}

/// Whether `password` matches `stored`. New hashes are of the NFKC form; a
/// hash set before normalization is tried with the text as typed too.
pub fn verify(password: &str, stored: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(stored) else {
        return false;
    };
    let check = |text: &str| {
        Argon2::default()
            .verify_password(text.as_bytes(), &parsed)
            .is_ok()
    };
    let normal = normalize(password);
    check(&normal) || (normal != password && check(password))
}

/// Spends the time of a verification when there is no account, so response
/// times do not reveal which usernames exist.
pub fn verify_dummy(password: &str) {
    static DUMMY: OnceLock<String> = OnceLock::new();
    let stored = DUMMY.get_or_init(|| hash_unchecked("dummy-password-for-timing"));
    let _ = verify(password, stored);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_and_verify() {
        let stored = hash("correct horse battery").unwrap();
        assert!(stored.starts_with("$argon2id$"));
        assert!(verify("correct horse battery", &stored));
        assert!(!verify("wrong horse battery", &stored));
        assert!(!verify("x", "not a hash"));
        assert!(hash("short").is_err());
    }

    #[test]
    fn length_counts_characters_not_bytes() {
        // 12 Japanese characters are 36 bytes but 12 characters: accepted;
        // 11 are refused although they are 33 bytes.
        assert_eq!(check("情報セキュリティ管理基準表", ""), Ok(()));
        assert_eq!(check("情報セキュリティ管理基準", ""), Ok(()));
        assert_eq!(check("情報セキュリティ管理基", ""), Err(Problem::TooShort));
        assert_eq!(check("ok-but-short", ""), Ok(()));
        assert_eq!(check("too-short-1", ""), Err(Problem::TooShort));
        assert_eq!(check(&"x".repeat(1025), ""), Err(Problem::TooLong));
    }

    #[test]
    fn blank_and_common_passwords_are_refused() {
        assert_eq!(check("            ", ""), Err(Problem::BlankOnly));
        assert_eq!(
            check("\u{3000}\u{3000}\u{3000}", ""),
            Err(Problem::BlankOnly)
        );
        assert!(common_list_len() >= 10_000, "{}", common_list_len());
        for common in [
            "1qaz2wsx3edc",
            "qwertyuiop1234",
            "Password1234",
            "!!Sunshine2024!!",
            "passwordpassword",
            "abcabcabcabc",
            "aaaaaaaaaaaaaaaa",
            "abcdefghijklmn",
            "123456789012",
            "987654321098",
            "ＰＡＳＳＷＯＲＤ１２３４",
        ] {
            assert_eq!(check(common, ""), Err(Problem::Common), "{common}");
        }
        for fine in [
            "correct horse battery staple",
            "桜が咲いたら会いましょう",
            "Tr0ub4dor&3-extended",
        ] {
            assert_eq!(check(fine, ""), Ok(()), "{fine}");
        }
        assert_eq!(
            check("Hanako.Yamada", "hanako.yamada"),
            Err(Problem::SameAsUsername)
        );
    }

    #[test]
    fn unicode_passwords_verify_in_any_normalization_form() {
        // The half-width katakana form normalizes to the full-width one.
        let stored = hash_for("ﾊﾟｽﾜｰﾄﾞは長くて覚えやすい", "").unwrap();
        assert!(verify("パスワードは長くて覚えやすい", &stored));
        assert!(verify("ﾊﾟｽﾜｰﾄﾞは長くて覚えやすい", &stored));
    }
}
