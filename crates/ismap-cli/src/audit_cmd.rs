//! `ismap audit plan`: which controls an audit cycle covers in each year.

use anyhow::{Result, bail};
use clap::{Args, Subcommand, ValueEnum};
use ismap_domain::audit::{Scope, plan_cycle};
use ismap_domain::{Criteria, Level};
use ismap_i18n::Messages;
use serde_json::json;

use crate::Context;
use crate::output::{excerpt_notice, important_controls_line};

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Plan an audit cycle: governance and management every year, the control
    /// measures spread over the years. A multi-year ISMAP cycle audits every
    /// control within the cycle (important controls first); an ISMAP-LIU cycle
    /// audits only the important control measures, spread over the years, and
    /// leaves the other control measures to the provider's internal audit.
    Plan(PlanArgs),
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    /// full: everything every year; multi-year: every control measure, spread
    /// over --years; liu: ISMAP-LIU, only the important control measures (with
    /// their objective), spread over --years; the rest is the internal audit's.
    #[arg(long, value_enum, default_value = "multi-year")]
    scope: ScopeArg,
    /// Length of the cycle in years (1 to 10).
    #[arg(long, default_value_t = 3)]
    years: u8,
    /// Catalog to plan for (default: ismap-2022-excerpt).
    #[arg(long)]
    catalog: Option<String>,
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum ScopeArg {
    Full,
    MultiYear,
    Liu,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Format {
    Text,
    Json,
}

pub fn run(cx: &Context, command: AuditCommand) -> Result<u8> {
    let AuditCommand::Plan(args) = command;
    if !(1..=10).contains(&args.years) {
        bail!(
            "--years {} is out of range; plan cycles of 1 to 10 years",
            args.years
        );
    }
    let catalog = cx.catalogs.get(args.catalog.as_deref())?;
    let scope = match args.scope {
        ScopeArg::Full => Scope::Full,
        ScopeArg::MultiYear => Scope::MultiYear { years: args.years },
        ScopeArg::Liu => Scope::Liu { years: args.years },
    };
    let plan = plan_cycle(catalog, scope);
    let uncovered = plan.uncovered(catalog);
    if !uncovered.is_empty() {
        bail!(
            "internal error: the plan leaves {} control(s) unaudited",
            uncovered.len()
        );
    }
    let internal_only = plan.internal_audit_only(catalog);
    match args.format {
        Format::Json => {
            let years: Vec<_> = plan
                .years
                .iter()
                .enumerate()
                .map(|(i, ids)| json!({ "year": i + 1, "controls": ids.iter().map(|c| c.to_string()).collect::<Vec<_>>() }))
                .collect();
            let important = catalog.info().important_controls.as_ref();
            outln!(
                "{}",
                serde_json::to_string_pretty(&json!({
                    "catalog": catalog.id(),
                    "years": years,
                    // Control measures no year audits: the internal audit's (LIU only).
                    "internal_audit_only": internal_only.iter().map(|c| c.to_string()).collect::<Vec<_>>(),
                    "important_controls": {
                        "assumed": catalog.important_controls_assumed(),
                        "source": important.map(|i| i.source.clone()),
                    },
                }))?
            );
        }
        Format::Text => {
            if let Some(notice) = excerpt_notice(catalog, cx.lang) {
                outln!("{}\n", cx.style.dim(&notice));
            }
            let messages = Messages::get();
            if args.scope == ScopeArg::Liu {
                if let Some(line) = important_controls_line(catalog, cx.lang) {
                    outln!("{}", cx.style.dim(&line));
                }
                let objectives = internal_only
                    .iter()
                    .filter(|id| id.level() == Level::Objective)
                    .count();
                outln!(
                    "{}\n",
                    messages.text(
                        cx.lang,
                        "liu-plan-cli-scope",
                        &[
                            ("internal", internal_only.len().to_string()),
                            ("objectives", objectives.to_string()),
                        ],
                    )
                );
            }
            for (i, ids) in plan.years.iter().enumerate() {
                let count = |criteria: Criteria| {
                    ids.iter()
                        .filter(|id| {
                            catalog
                                .get(id.number())
                                .is_some_and(|c| c.criteria() == criteria)
                        })
                        .count()
                };
                outln!(
                    "{}",
                    cx.style.heading(&messages.text(
                        cx.lang,
                        "cli-audit-year",
                        &[
                            ("year", (i + 1).to_string()),
                            ("total", ids.len().to_string()),
                            ("governance", count(Criteria::Governance).to_string()),
                            ("management", count(Criteria::Management).to_string()),
                            ("measures", count(Criteria::ControlMeasures).to_string()),
                        ],
                    ))
                );
                let objectives: Vec<String> = ids
                    .iter()
                    .filter(|id| id.level() == Level::Objective && id.chapter() >= 5)
                    .map(|id| id.to_string())
                    .collect();
                outln!("  {}", objectives.join(" "));
            }
        }
    }
    Ok(0)
}
