//! Typed text as forms and imports receive it: the one rule every field
//! follows (required, at most so many characters, no control characters
//! except line breaks and tabs in multi-line fields). Each feature names
//! the problem in its own messages.

/// Why a typed text is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TextProblem {
    Required,
    TooLong { max: usize },
    ControlCharacter,
}

/// Whether `value` holds a control character; line breaks and tabs are
/// allowed where `multiline`.
pub fn has_control(value: &str, multiline: bool) -> bool {
    value
        .chars()
        .any(|c| c.is_control() && !(multiline && matches!(c, '\n' | '\r' | '\t')))
}

/// The first problem of `value` (already trimmed), if any.
pub fn text_problem(
    value: &str,
    max: usize,
    required: bool,
    multiline: bool,
) -> Option<TextProblem> {
    if value.is_empty() && required {
        Some(TextProblem::Required)
    } else if value.chars().count() > max {
        Some(TextProblem::TooLong { max })
    } else if has_control(value, multiline) {
        Some(TextProblem::ControlCharacter)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_problem_is_named() {
        assert_eq!(
            text_problem("", 5, true, false),
            Some(TextProblem::Required)
        );
        assert_eq!(text_problem("", 5, false, false), None);
        assert_eq!(
            text_problem("あいうえおか", 5, true, false),
            Some(TextProblem::TooLong { max: 5 })
        );
        assert_eq!(text_problem("あいうえお", 5, true, false), None);
        assert_eq!(
            text_problem("a\nb", 5, true, false),
            Some(TextProblem::ControlCharacter)
        );
        assert_eq!(text_problem("a\nb\tc", 5, true, true), None);
        assert_eq!(
            text_problem("a\u{7}b", 5, true, true),
            Some(TextProblem::ControlCharacter)
        );
    }
}
