//! `ismap validity`: registration validity from the end of the audit period.

use anyhow::{Result, bail};
use chrono::NaiveDate;
use clap::{Args, ValueEnum};
use ismap_domain::validity::validity_period;
use ismap_i18n::Messages;
use serde_json::json;

use crate::Context;

#[derive(Debug, Args)]
pub struct ValidityArgs {
    /// Last day of the audit period (監査対象期間の末日), YYYY-MM-DD.
    #[arg(long, value_name = "DATE")]
    period_end: String,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Format {
    /// Labelled dates.
    Text,
    /// {"period_end", "valid_from", "valid_until"}.
    Json,
}

pub fn run(cx: &Context, args: ValidityArgs) -> Result<u8> {
    let Ok(end) = NaiveDate::parse_from_str(args.period_end.trim(), "%Y-%m-%d") else {
        bail!(
            "--period-end {:?} is not a date; write YYYY-MM-DD, e.g. 2024-03-31",
            args.period_end
        );
    };
    let Some((from, until)) = validity_period(end) else {
        bail!("--period-end {end} is too far in the future to count a period from");
    };
    match args.format {
        Format::Json => outln!(
            "{}",
            json!({ "period_end": end.to_string(), "valid_from": from.to_string(), "valid_until": until.to_string() })
        ),
        Format::Text => {
            let messages = Messages::get();
            outln!(
                "{}: {from}",
                messages.text(cx.lang, "cli-validity-from", &[])
            );
            outln!(
                "{}: {until}",
                messages.text(cx.lang, "cli-validity-until", &[])
            );
        }
    }
    Ok(0)
}
