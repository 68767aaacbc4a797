//! Progress display for long work (indicatif), on standard error and only
//! for a person at a terminal: piped output and --quiet stay silent, so
//! scripts and logs never see bar redraws.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use ismap_formats::catalog_xlsx::ImportProgress;

/// Workbooks smaller than this import in well under a second; a bar would
/// only flicker.
const LARGE_WORKBOOK: usize = 512 * 1024;

/// A bar for `ismap catalog import`, hidden unless stderr is a terminal,
/// the file is large and `quiet` is off.
pub struct ImportBar {
    bar: ProgressBar,
}

impl ImportBar {
    pub fn new(bytes: usize, quiet: bool) -> ImportBar {
        let visible = !quiet && bytes >= LARGE_WORKBOOK && std::io::stderr().is_terminal();
        let bar = if visible {
            ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr())
        } else {
            ProgressBar::hidden()
        };
        ImportBar { bar }
    }

    pub fn update(&self, step: ImportProgress) {
        match step {
            ImportProgress::Reading => {
                self.bar.set_style(
                    ProgressStyle::with_template("{spinner} {msg} {elapsed}")
                        .unwrap_or_else(|_| ProgressStyle::default_spinner()),
                );
                self.bar
                    .set_message("reading workbook / ブックを読み込み中");
                self.bar.enable_steady_tick(Duration::from_millis(120));
            }
            ImportProgress::Rows { done, total } => {
                if self.bar.length() != Some(total) {
                    self.bar.disable_steady_tick();
                    self.bar.set_style(
                        ProgressStyle::with_template("{bar:40} {pos}/{len} rows / 行 {elapsed}")
                            .unwrap_or_else(|_| ProgressStyle::default_bar()),
                    );
                    self.bar.set_length(total);
                }
                self.bar.set_position(done);
            }
            ImportProgress::Checking => {
                self.bar.set_message("checking catalog / カタログを検査中");
            }
        }
    }

    pub fn finish(self) {
        self.bar.finish_and_clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bar_stays_hidden_when_quiet_or_the_file_is_small() {
        assert!(ImportBar::new(10 * LARGE_WORKBOOK, true).bar.is_hidden());
        assert!(ImportBar::new(1024, false).bar.is_hidden());
    }
}
