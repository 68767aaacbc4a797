//! Links people type (a service's URL, the application form's URL, evidence
//! references): the one rule that decides which may become a link. Only
//! `http://` and `https://` URLs are links; `javascript:`, `data:`, `file:`
//! and every other scheme are refused on the way in, and a stored value that
//! is not a web URL (data from before the rule) is shown as text, never as
//! an `href`. Pages, API and templates all ask this module.

use ismap_i18n::{Lang, Messages};

use crate::error::Failure;

/// The longest URL accepted, in characters (browsers and servers commonly
/// stop near 2,000).
pub const MAX_URL_CHARS: usize = 2048;

/// Why a text is not a web link.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UrlProblem {
    /// A scheme other than http or https (`javascript`, `data`, `mailto`…).
    Scheme(String),
    /// Not an absolute http(s) URL with a host, or it holds spaces or
    /// control characters.
    Malformed,
    TooLong,
}

/// Whether `text` may be shown as a link: an absolute `http://`/`https://`
/// URL with a host, without whitespace or control characters, at most
/// [`MAX_URL_CHARS`] long.
pub fn check_web_url(text: &str) -> Result<(), UrlProblem> {
    if text.chars().count() > MAX_URL_CHARS {
        return Err(UrlProblem::TooLong);
    }
    if let Some(scheme) = scheme_of(text).filter(|s| !is_web_scheme(s)) {
        return Err(UrlProblem::Scheme(scheme));
    }
    // Browsers drop tabs and newlines inside a URL and skip leading spaces
    // and controls; refusing them keeps what is stored what is opened.
    if text
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || is_invisible_format(c))
    {
        return Err(UrlProblem::Malformed);
    }
    let lower = text.get(..8).unwrap_or(text).to_ascii_lowercase();
    if !(lower.starts_with("http://") || lower.starts_with("https://")) {
        return Err(UrlProblem::Malformed);
    }
    let url = url::Url::parse(text).map_err(|_| UrlProblem::Malformed)?;
    if !is_web_scheme(url.scheme()) || url.host_str().is_none_or(str::is_empty) {
        return Err(UrlProblem::Malformed);
    }
    Ok(())
}

/// [`check_web_url`] as a yes/no, for templates deciding link or text.
pub fn is_web_url(text: &str) -> bool {
    check_web_url(text).is_ok()
}

/// An evidence reference is either a web link, checked as one, or a
/// document reference ("規程集 3.2", "access-review-2025.xlsx") that names no
/// URL scheme; a reference beginning with another scheme is refused.
pub fn check_reference(text: &str) -> Result<(), UrlProblem> {
    match scheme_of(text) {
        Some(scheme) if is_web_scheme(&scheme) => check_web_url(text),
        Some(scheme) => Err(UrlProblem::Scheme(scheme)),
        None => Ok(()),
    }
}

fn is_web_scheme(scheme: &str) -> bool {
    scheme == "http" || scheme == "https"
}

/// The URL scheme `text` starts with, lower-cased, read as a browser reads
/// it: leading spaces and controls skipped, tabs and newlines inside ignored
/// (`" java\tscript:"` is `javascript`). Not a scheme: one letter (a Windows
/// drive, `C:\…`), or a name whose colon is followed by a space or a digit
/// ("Note: see the manual", "JISQ27001:2023"), since people write those as
/// document references, except for the schemes that run or embed content.
fn scheme_of(text: &str) -> Option<String> {
    let mut scheme = String::new();
    let mut chars = text
        .trim_start_matches(|c: char| c <= ' ' || is_invisible_format(c))
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'));
    loop {
        match chars.next()? {
            ':' => break,
            c if c.is_ascii_alphabetic() => scheme.push(c.to_ascii_lowercase()),
            c if !scheme.is_empty() && (c.is_ascii_digit() || "+-.".contains(c)) => scheme.push(c),
            _ => return None,
        }
        if scheme.len() > 64 {
            return None;
        }
    }
    if scheme.len() < 2 {
        return None;
    }
    let runs_content = matches!(scheme.as_str(), "javascript" | "vbscript" | "data");
    let next = chars.next();
    let names_something = next.is_some_and(|c| !c.is_whitespace() && !c.is_ascii_digit());
    (runs_content || names_something).then_some(scheme)
}

/// Zero-width and bidi formatting characters: invisible, so never in a URL.
fn is_invisible_format(c: char) -> bool {
    matches!(c,
        '\u{061C}' | '\u{200B}'..='\u{200F}' | '\u{2028}'..='\u{202E}'
        | '\u{2060}'..='\u{2069}' | '\u{FEFF}')
}

/// The field error for `problem`, in the reader's language, naming `field`.
pub fn field_error(lang: Lang, field: &str, problem: &UrlProblem, reference: bool) -> Failure {
    let messages = Messages::get();
    let field_arg = ("field", field.to_owned());
    let message = match problem {
        UrlProblem::Scheme(scheme) if reference => messages.text(
            lang,
            "links-reference-scheme",
            &[field_arg, ("scheme", scheme.clone())],
        ),
        UrlProblem::Scheme(scheme) => messages.text(
            lang,
            "links-scheme",
            &[field_arg, ("scheme", scheme.clone())],
        ),
        UrlProblem::Malformed => messages.text(lang, "links-malformed", &[field_arg]),
        UrlProblem::TooLong => messages.text(
            lang,
            "links-too-long",
            &[field_arg, ("max", MAX_URL_CHARS.to_string())],
        ),
    };
    Failure::Invalid {
        field: field.to_owned(),
        message,
    }
}

/// A URL field that may be left empty (a service's URL): empty or a web URL.
pub fn optional_url(lang: Lang, field: &str, text: &str) -> Result<(), Failure> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(());
    }
    check_web_url(text).map_err(|p| field_error(lang, field, &p, false))
}

/// Every link a statement carries, checked: the service's URL and each
/// control's evidence references. The first bad one is named by its field
/// path (`controls.8.1.2.7.PB.evidence[0].reference`).
pub fn check_statement(
    lang: Lang,
    statement: &ismap_domain::statement::Statement,
) -> Result<(), Failure> {
    if let Some(url) = &statement.service.url {
        optional_url(lang, "service.url", url)?;
    }
    for (_, entry) in statement.controls.iter() {
        for (i, evidence) in entry.evidence.iter().enumerate() {
            check_reference(evidence.reference.trim()).map_err(|p| {
                let field = format!("controls.{}.evidence[{i}].reference", entry.id);
                field_error(lang, &field, &p, true)
            })?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_http_and_https_urls_with_a_host_are_links() {
        for good in [
            "https://example.com",
            "http://example.com/a?b=c#d",
            "HTTPS://Example.COM/path",
            "https://ドメイン.example/ページ",
            "https://user@example.com:8443/",
        ] {
            assert_eq!(check_web_url(good), Ok(()), "{good}");
        }
        for (bad, scheme) in [
            ("javascript:alert(1)", "javascript"),
            ("JavaScript:alert(1)", "javascript"),
            (" javascript:alert(1)", "javascript"),
            ("\u{1}javascript:alert(1)", "javascript"),
            ("java\tscript:alert(1)", "javascript"),
            ("java\nscript:alert(1)", "javascript"),
            ("data:text/html,<script>alert(1)</script>", "data"),
            ("vbscript:msgbox", "vbscript"),
            ("file:///etc/passwd", "file"),
            ("mailto:a@example.com", "mailto"),
            ("ftp://example.com", "ftp"),
        ] {
            assert_eq!(
                check_web_url(bad),
                Err(UrlProblem::Scheme(scheme.into())),
                "{bad:?}"
            );
        }
        for bad in [
            "",
            "example.com",
            "//evil.example",
            "/relative",
            "http:example.com",
            "https://",
            "https://exa mple.com",
            "https://example.com/\u{202E}fdp.exe",
            "https://example.com\n",
            "https://[::1",
        ] {
            assert_eq!(check_web_url(bad), Err(UrlProblem::Malformed), "{bad:?}");
        }
        let long = format!("https://example.com/{}", "a".repeat(MAX_URL_CHARS));
        assert_eq!(check_web_url(&long), Err(UrlProblem::TooLong));
        assert!(is_web_url("https://example.com"));
        assert!(!is_web_url("javascript:alert(1)"));
    }

    #[test]
    fn evidence_references_are_web_links_or_document_names() {
        for good in [
            "https://example.com/evidence.pdf",
            "規程集 3.2",
            "access-review-2025.xlsx",
            "C:\\監査\\review.xlsx",
            "ISMS manual, section 4",
            "Note: see the manual",
            "JISQ27001:2023 A.5.1",
        ] {
            assert_eq!(check_reference(good), Ok(()), "{good}");
        }
        assert_eq!(
            check_reference("javascript:alert(1)"),
            Err(UrlProblem::Scheme("javascript".into()))
        );
        assert_eq!(
            check_reference("data:text/html;base64,PHNjcmlwdD4="),
            Err(UrlProblem::Scheme("data".into()))
        );
        assert_eq!(
            check_reference("javascript:1+alert(1)"),
            Err(UrlProblem::Scheme("javascript".into()))
        );
        assert_eq!(
            check_reference("file:///C:/evidence.pdf"),
            Err(UrlProblem::Scheme("file".into()))
        );
        assert_eq!(
            check_reference("https://exa mple.com"),
            Err(UrlProblem::Malformed)
        );
    }

    #[test]
    fn errors_name_the_field_in_the_readers_language() {
        let problem = UrlProblem::Scheme("javascript".into());
        let ja = field_error(Lang::Ja, "url", &problem, false);
        let en = field_error(Lang::En, "url", &problem, false);
        match (ja, en) {
            (
                Failure::Invalid {
                    field: f1,
                    message: ja,
                },
                Failure::Invalid {
                    field: f2,
                    message: en,
                },
            ) => {
                assert_eq!((f1.as_str(), f2.as_str()), ("url", "url"));
                assert!(ja.contains("javascript") && ja.contains("http"), "{ja}");
                assert!(en.contains("javascript") && en.contains("http"), "{en}");
                assert_ne!(ja, en);
                assert!(!ja.starts_with("links-") && !en.starts_with("links-"));
            }
            other => panic!("{other:?}"),
        }
        assert!(optional_url(Lang::En, "url", "  ").is_ok());
        assert!(optional_url(Lang::En, "url", "javascript:x").is_err());
    }
}
