//! `ismap liu …`: ISMAP-LIU checks for providers who keep their records
//! outside the portal.

use std::path::PathBuf;

use anyhow::{Result, bail};
use chrono::NaiveDate;
use clap::{Args, Subcommand, ValueEnum};
use ismap_domain::liu::{INTERNAL_AUDIT_WINDOW_YEARS, coverage};
use ismap_formats::internal_audits::parse_internal_audits;
use ismap_i18n::Messages;
use serde_json::json;

use crate::catalogs::read_text;
use crate::output::excerpt_notice;
use crate::{Context, EXIT_FINDINGS};

#[derive(Debug, Subcommand)]
pub enum LiuCommand {
    /// Check internal audit coverage (内部監査): every control objective of
    /// chapters 5-18 must have been covered at least once in the 3 years up
    /// to --as-of.
    ///
    /// FILE (YAML or JSON):
    ///   internal_audits:
    ///     - date: 2025-06-30
    ///       objectives: ["5.1.1", "9.2.3"]
    /// Other fields are allowed, at the top level and in each audit.
    ///
    /// An audit counts when window_start <= date <= as_of, where window_start
    /// is the day after the same date three years earlier (29 February → 28
    /// February). Exit status: 0 complete, 1 objectives uncovered, 2 the file
    /// cannot be used (each problem named with its line and field).
    #[command(verbatim_doc_comment)]
    Coverage(CoverageArgs),
}

#[derive(Debug, Args)]
pub struct CoverageArgs {
    /// The internal audit records (YAML or JSON).
    file: PathBuf,
    /// The day coverage is checked on, YYYY-MM-DD.
    #[arg(long, value_name = "DATE")]
    as_of: String,
    /// Catalog whose control objectives must be covered (default: ismap-2022-excerpt).
    #[arg(long)]
    catalog: Option<String>,
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Format {
    /// Readable summary in the --lang language.
    Text,
    /// {"as_of", "window_start", "covered", "uncovered", "complete"}.
    Json,
}

pub fn run(cx: &Context, command: LiuCommand) -> Result<u8> {
    let LiuCommand::Coverage(args) = command;
    let Ok(as_of) = NaiveDate::parse_from_str(args.as_of.trim(), "%Y-%m-%d") else {
        bail!(
            "--as-of {:?} is not a date; write YYYY-MM-DD, e.g. 2026-03-31",
            args.as_of
        );
    };
    let catalog = cx.catalogs.get(args.catalog.as_deref())?;
    let text = read_text(&args.file)?;
    let audits = parse_internal_audits(&args.file.display().to_string(), &text, catalog)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let result = coverage(catalog, &audits, as_of);
    let ids = |list: &mut dyn Iterator<Item = ismap_domain::ControlId>| -> Vec<String> {
        list.map(|id| id.to_string()).collect()
    };
    let covered = ids(&mut result.covered.iter().map(|(id, _)| *id));
    let uncovered = ids(&mut result.uncovered.iter().copied());
    match args.format {
        Format::Json => outln!(
            "{}",
            serde_json::to_string_pretty(&json!({
                "as_of": result.as_of.to_string(),
                "window_start": result.window_start.to_string(),
                "covered": covered,
                "uncovered": uncovered,
                "complete": result.complete(),
            }))?
        ),
        Format::Text => {
            if let Some(notice) = excerpt_notice(catalog, cx.lang) {
                outln!("{}\n", cx.style.dim(&notice));
            }
            let messages = Messages::get();
            let say = |id: &str, args: &[(&str, String)]| messages.text(cx.lang, id, args);
            outln!(
                "{}",
                cx.style.heading(&say(
                    "liu-coverage-cli-window",
                    &[
                        ("from", result.window_start.to_string()),
                        ("until", result.as_of.to_string()),
                        ("years", INTERNAL_AUDIT_WINDOW_YEARS.to_string()),
                    ],
                ))
            );
            outln!(
                "{}",
                say(
                    "liu-coverage-cli-counts",
                    &[
                        ("total", (covered.len() + uncovered.len()).to_string()),
                        ("covered", covered.len().to_string()),
                        ("audits", audits.len().to_string()),
                    ],
                )
            );
            if result.complete() {
                outln!("{}", say("liu-coverage-cli-complete", &[]));
            } else {
                outln!(
                    "{}",
                    say(
                        "liu-coverage-cli-uncovered",
                        &[("count", uncovered.len().to_string())],
                    )
                );
                outln!("  {}", uncovered.join(" "));
            }
        }
    }
    Ok(if result.complete() { 0 } else { EXIT_FINDINGS })
}
