//! `ismap interim deadline` (issue 15, item 4): the day by which a service
//! under an interim measure (暫定措置) must be applied for — 1 year from
//! the programme's start for a service in use then, from the start of use
//! for a planned one, counted as the Civil Code counts a year
//! (`ismap_domain::interim::deadline`, the function the portal uses).

use anyhow::{Result, bail};
use chrono::NaiveDate;
use clap::{ArgGroup, Args, Subcommand, ValueEnum};
use ismap_domain::interim::{DEFAULT_PROGRAMME_START, InterimStart, deadline};
use ismap_i18n::Messages;
use serde_json::json;

use crate::Context;

#[derive(Debug, Subcommand)]
pub enum InterimCommand {
    /// The application deadline of an interim measure.
    ///
    /// The year starts on the day after the origin (the programme's start or
    /// the start of use) and ends as the Civil Code says: a year starting on
    /// the first of a month ends on the last day of its 12th month; else on
    /// the day before the same date a year later (the month's last day where
    /// there is none). Examples: --in-use-at-programme-start → 2021-06-01;
    /// --start-of-use 2026-04-15 → 2027-04-15; --start-of-use 2024-03-31 →
    /// 2025-03-31.
    Deadline(DeadlineArgs),
}

#[derive(Debug, Args)]
#[command(group(
    ArgGroup::new("origin")
        .required(true)
        .args(["start_of_use", "in_use_at_programme_start"])
))]
pub struct DeadlineArgs {
    /// A planned service: its (planned) start of use, YYYY-MM-DD.
    #[arg(long, value_name = "DATE")]
    start_of_use: Option<String>,
    /// The service was already in use when the programme started.
    #[arg(long)]
    in_use_at_programme_start: bool,
    /// The programme's start, YYYY-MM-DD (default 2020-06-01: the seeds say
    /// June 2020; the first of the month is this system's reading).
    #[arg(
        long,
        value_name = "DATE",
        requires = "in_use_at_programme_start",
        conflicts_with = "start_of_use"
    )]
    programme_start: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Format {
    /// Labelled dates.
    Text,
    /// {"deadline", "origin", "origin_date", "period_start"}.
    Json,
}

fn date(flag: &str, text: &str) -> Result<NaiveDate> {
    match NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d") {
        Ok(day) => Ok(day),
        Err(_) => bail!("{flag} {text:?} is not a date; write YYYY-MM-DD, e.g. 2026-04-15"),
    }
}

pub fn run(cx: &Context, command: InterimCommand) -> Result<u8> {
    let InterimCommand::Deadline(args) = command;
    let (start, flag) = match (&args.start_of_use, args.in_use_at_programme_start) {
        (Some(text), _) => (
            InterimStart::StartOfUse(date("--start-of-use", text)?),
            "--start-of-use",
        ),
        (None, _) => {
            let programme_start = match &args.programme_start {
                Some(text) => date("--programme-start", text)?,
                None => DEFAULT_PROGRAMME_START,
            };
            (
                InterimStart::InUseAtProgrammeStart { programme_start },
                "--programme-start",
            )
        }
    };
    let origin = start.origin();
    let (Some(period_start), Some(due)) = (origin.succ_opt(), deadline(start)) else {
        bail!("{flag} {origin} is too far in the future to count a year from");
    };
    match args.format {
        Format::Json => outln!(
            "{}",
            json!({
                "deadline": due.to_string(),
                "origin": start.key(),
                "origin_date": origin.to_string(),
                "period_start": period_start.to_string(),
            })
        ),
        Format::Text => {
            let m = Messages::get();
            let label = |id: &str| m.text(cx.lang, id, &[]);
            outln!(
                "{}: {} ({origin})",
                label("interim-cli-origin"),
                label(&format!("interim-origin-{}", start.key().replace('_', "-")))
            );
            outln!("{}: {period_start}", label("interim-cli-period-start"));
            outln!("{}: {due}", label("interim-cli-deadline"));
        }
    }
    Ok(0)
}
