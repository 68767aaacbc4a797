//! Text output for people: colour only on a terminal (and never with
//! NO_COLOR), bilingual labels from the message catalogs.

use std::fmt;
use std::io::{self, IsTerminal, Write};

use anstyle::{AnsiColor, Style as Ansi};
use ismap_domain::{Catalog, Severity};
use ismap_i18n::{Lang, Messages};

use crate::ColorChoice;

/// Writes to standard output. When whoever reads it has gone (`ismap … |
/// head` after its lines), the program ends quietly with success instead of
/// panicking as `println!` does; any other failure ends it with an error.
pub fn write_stdout(args: fmt::Arguments<'_>) {
    if let Err(error) = io::stdout().lock().write_fmt(args) {
        stdout_failed(&error);
    }
}

/// Like [`write_stdout`], for bytes.
pub fn write_stdout_bytes(bytes: &[u8]) {
    if let Err(error) = io::stdout().lock().write_all(bytes) {
        stdout_failed(&error);
    }
}

fn stdout_failed(error: &io::Error) -> ! {
    if error.kind() == io::ErrorKind::BrokenPipe {
        std::process::exit(0);
    }
    let _ = writeln!(
        io::stderr(),
        "error: cannot write to standard output: {error}"
    );
    std::process::exit(i32::from(crate::EXIT_UNREADABLE));
}

#[derive(Clone, Copy, Debug)]
pub struct Style {
    color: bool,
}

impl Style {
    pub fn new(choice: ColorChoice) -> Style {
        let color = match choice {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
            }
        };
        Style { color }
    }

    fn paint(&self, style: Ansi, text: &str) -> String {
        if self.color {
            format!("{style}{text}{style:#}")
        } else {
            text.to_owned()
        }
    }

    pub fn heading(&self, text: &str) -> String {
        self.paint(Ansi::new().bold(), text)
    }

    pub fn dim(&self, text: &str) -> String {
        self.paint(Ansi::new().dimmed(), text)
    }

    pub fn severity(&self, severity: Severity, text: &str) -> String {
        let color = match severity {
            Severity::Error => AnsiColor::Red,
            Severity::Warning => AnsiColor::Yellow,
        };
        self.paint(Ansi::new().fg_color(Some(color.into())).bold(), text)
    }

    pub fn error_line(&self, text: &str) -> String {
        let label = self.severity(Severity::Error, "error:");
        format!("{label} {text}")
    }
}

/// The excerpt notice, in the chosen language, for commands that use an
/// excerpt catalog (spec: every command that uses it shows that).
pub fn excerpt_notice(catalog: &Catalog, lang: Lang) -> Option<String> {
    let info = catalog.info();
    info.excerpt.then(|| {
        let notice = match lang {
            Lang::Ja => &info.notice.ja,
            Lang::En => &info.notice.en,
        };
        Messages::get().text(lang, "cli-excerpt-notice", &[("notice", notice.clone())])
    })
}

pub fn pick(lang: Lang, text: &ismap_domain::Text) -> &str {
    match lang {
        Lang::Ja => &text.ja,
        Lang::En => &text.en,
    }
}

/// What a catalog's ISMAP-LIU important-control set is, in the chosen
/// language: an assumed set is always said to be one (issue 14), an official
/// one names its source, and a catalog without a set says that LIU's
/// external scope cannot be planned from it.
pub fn important_controls_line(catalog: &Catalog, lang: Lang) -> Option<String> {
    let count = catalog
        .controls()
        .iter()
        .filter(|c| c.liu_important)
        .count();
    let info = catalog.info().important_controls.as_ref();
    let source = info.map(|i| i.source.clone()).unwrap_or_default();
    let id = if count == 0 && info.is_none() {
        "liu-important-none"
    } else if catalog.important_controls_assumed() {
        "liu-important-assumed-line"
    } else {
        "liu-important-official-line"
    };
    let mut line = Messages::get().text(
        lang,
        id,
        &[("count", count.to_string()), ("source", source)],
    );
    if let Some(note) = info.map(|i| pick(lang, &i.note)).filter(|n| !n.is_empty()) {
        line.push(' ');
        line.push_str(note);
    }
    Some(line)
}
