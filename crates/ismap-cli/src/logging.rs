//! How `ismap serve` writes its text log: one line per event whatever the
//! values contain, and colour only for a person at a terminal.

use std::fmt::Write as _;
use std::io::IsTerminal;

use tracing_subscriber::field::MakeExt;
use tracing_subscriber::fmt::FormatFields;

/// Field formatting that escapes control characters in every value (and
/// message), so that a username like `x\nINFO forged` cannot write a second
/// line, and an escape sequence cannot repaint an operator's terminal.
pub fn escaped_fields() -> impl for<'w> FormatFields<'w> + Send + Sync + 'static {
    tracing_subscriber::fmt::format::debug_fn(|writer, field, value| {
        let text = format!("{value:?}");
        if field.name() == "message" {
            write!(writer, "{}", escape_controls(&text))
        } else {
            write!(writer, "{}={}", field.name(), escape_controls(&text))
        }
    })
    .delimited(" ")
}

/// Colours only when standard output (where the log goes) is a terminal and
/// NO_COLOR is not set: never into files and pipes.
pub fn colour_on_stdout() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}

/// `text` with every control character written as a visible escape
/// (`\n`, `\r`, `\t`, `\u{1b}` …).
pub fn escape_controls(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() || is_format_control(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

/// Line and paragraph separators and bidirectional overrides: not control
/// characters to Rust, yet they break or reorder what a reader sees.
fn is_format_control(c: char) -> bool {
    matches!(
        c,
        '\u{2028}' | '\u{2029}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{061c}'
    )
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    use super::*;

    #[test]
    fn control_characters_are_written_visibly() {
        assert_eq!(escape_controls("a\nb\r\tc"), "a\\nb\\r\\tc");
        assert_eq!(escape_controls("\u{1b}[31mred"), "\\u{1b}[31mred");
        assert_eq!(escape_controls("x\u{202e}y"), "x\\u{202e}y");
        assert_eq!(escape_controls("田中 太郎"), "田中 太郎");
    }

    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl Write for Buffer {
        fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(data);
            Ok(data.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_logged_value_cannot_forge_a_line() {
        let buffer = Buffer::default();
        let sink = buffer.clone();
        let subscriber = tracing_subscriber::fmt()
            .fmt_fields(escaped_fields())
            .with_ansi(false)
            .with_writer(move || sink.clone())
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            let username = "mallory\n2026-12-01T00:00:00Z  INFO signed in user=admin\u{1b}[2J";
            tracing::warn!(%username, "sign-in refused: too many failures");
        });
        let log = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
        assert_eq!(log.lines().count(), 1, "{log}");
        assert!(log.contains("username=mallory\\n2026-12-01"), "{log}");
        assert!(log.contains("\\u{1b}[2J"), "{log}");
        assert!(!log.contains('\u{1b}'), "{log}");
    }
}
