//! Text output for people: colour only on a terminal (and never with
//! NO_COLOR), bilingual labels from the message catalogs.

use std::io::IsTerminal;

use anstyle::{AnsiColor, Style as Ansi};
use ismap_domain::{Catalog, Severity};
use ismap_i18n::{Lang, Messages};

use crate::ColorChoice;

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
