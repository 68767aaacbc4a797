//! `ismap statement …`: write a template (or one pre-filled from an OSCAL
//! SSP), validate a statement.

use std::path::PathBuf;

use anyhow::{Result, bail};
use chrono::NaiveDate;
use clap::{Subcommand, ValueEnum};
use ismap_domain::{RuleId, ServiceModel};
use ismap_formats::prefill::prefill;
use ismap_formats::registry_file::parse_registry;
use ismap_formats::report::{Report, check_statement};
use ismap_formats::statement_file::parse_statement;
use ismap_formats::template::statement_template;
use ismap_i18n::Messages;

use crate::catalogs::{read_text, write_output};
use crate::output::excerpt_notice;
use crate::{Context, EXIT_FINDINGS, EXIT_UNREADABLE};

#[derive(Debug, Subcommand)]
pub enum StatementCommand {
    /// Write a statement skeleton listing every control of a catalog, ready to fill in.
    Template {
        /// Catalog to list (default: ismap-2022-excerpt).
        #[arg(long)]
        catalog: Option<String>,
        /// Service model to pre-fill: IaaS, PaaS or SaaS.
        #[arg(long, default_value = "SaaS", value_parser = parse_model)]
        model: ServiceModel,
        /// Statement date (default: today), YYYY-MM-DD.
        #[arg(long)]
        date: Option<NaiveDate>,
        /// Write to FILE instead of standard output.
        #[arg(long, short, value_name = "FILE")]
        output: Option<PathBuf>,
        /// Replace FILE if it exists.
        #[arg(long)]
        force: bool,
    },
    /// Write a draft statement from an OSCAL system security plan (JSON or
    /// XML): its SP 800-53 controls go through the crosswalk, and the
    /// detailed controls of every ISMAP objective they cover or partly cover
    /// get a draft individual control quoting the plan. Decisions stay
    /// undecided; the counts go to standard error.
    Prefill {
        /// The system security plan (OSCAL 1.0.4-1.1.x, JSON or XML).
        #[arg(long, value_name = "FILE")]
        ssp: PathBuf,
        /// Catalog to list (default: ismap-2022-excerpt).
        #[arg(long)]
        catalog: Option<String>,
        /// Service model to pre-fill: IaaS, PaaS or SaaS.
        #[arg(long, default_value = "SaaS", value_parser = parse_model)]
        model: ServiceModel,
        /// Statement date (default: today), YYYY-MM-DD.
        #[arg(long)]
        date: Option<NaiveDate>,
        /// Write to FILE instead of standard output.
        #[arg(long, short, value_name = "FILE")]
        output: Option<PathBuf>,
        /// Replace FILE if it exists.
        #[arg(long)]
        force: bool,
    },
    /// Write a statement in another form: canonical YAML, JSON, or an OSCAL
    /// 1.1.3 system security plan.
    Export {
        /// The statement file (.yaml, .yml or .json).
        file: PathBuf,
        #[arg(long, value_enum, default_value = "yaml")]
        format: ExportFormat,
        /// Write to FILE instead of standard output.
        #[arg(long, short, value_name = "FILE")]
        output: Option<PathBuf>,
        /// Replace FILE if it exists.
        #[arg(long)]
        force: bool,
    },
    /// Read a statement workbook (.xlsx, as written by `export --format xlsx`)
    /// back into a statement file (YAML). Every unusable cell is named by sheet,
    /// row and column, and nothing is written then.
    Import {
        /// The workbook (.xlsx).
        file: PathBuf,
        /// Write to FILE instead of standard output.
        #[arg(long, short, value_name = "FILE")]
        output: Option<PathBuf>,
        /// Replace FILE if it exists.
        #[arg(long)]
        force: bool,
    },
    /// Check a statement (YAML or JSON) against rules S1–S8 and the advisories.
    ///
    /// Exit status: 0 no errors (warnings allowed), 1 errors found,
    /// 2 the file could not be read.
    Validate {
        /// The statement file (.yaml, .yml or .json).
        file: PathBuf,
        /// Registered services to check inherited controls against (rule S7):
        /// CSV with header registration_number,service_name,valid_from,valid_until,
        /// or a JSON array with the same fields.
        #[arg(long, value_name = "FILE")]
        registry: Option<PathBuf>,
        /// Report format.
        #[arg(long, value_enum, default_value = "text")]
        format: ReportFormat,
    },
}

fn parse_model(text: &str) -> Result<ServiceModel, String> {
    ServiceModel::from_key(text).ok_or_else(|| format!("{text:?}: use IaaS, PaaS or SaaS"))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    Yaml,
    Json,
    /// OSCAL 1.1.3 system security plan (JSON).
    OscalSsp,
    /// An Excel workbook to circulate (needs --output): controls, risks, findings.
    Xlsx,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// For people: grouped by rule, with counts.
    Text,
    /// One JSON object (see README "validate --format json").
    Json,
}

pub fn run(cx: &Context, command: StatementCommand) -> Result<u8> {
    match command {
        StatementCommand::Template {
            catalog,
            model,
            date,
            output,
            force,
        } => {
            let catalog = cx.catalogs.get(catalog.as_deref())?;
            if let Some(notice) = excerpt_notice(catalog, cx.lang) {
                eprintln!("{notice}");
            }
            let date = date.unwrap_or_else(ismap_domain::validity::today_in_japan);
            write_output(
                output.as_deref(),
                &statement_template(catalog, date, model),
                force,
            )?;
            Ok(0)
        }
        StatementCommand::Validate {
            file,
            registry,
            format,
        } => validate(cx, &file, registry.as_deref(), format),
        StatementCommand::Prefill {
            ssp,
            catalog,
            model,
            date,
            output,
            force,
        } => {
            let catalog = cx.catalogs.get(catalog.as_deref())?;
            let name = ssp.display().to_string();
            let result =
                ismap_formats::oscal_in::document::read_limited(&ssp, crate::catalogs::max_input())
                    .and_then(|doc| {
                        prefill(
                            &doc,
                            ismap_formats::crosswalk_data::bundled_crosswalk(),
                            catalog,
                        )
                    });
            let filled = match result {
                Ok(filled) => filled,
                Err(error) => {
                    for problem in &error.problems {
                        eprintln!("{}", cx.style.error_line(&problem.to_string()));
                    }
                    return Ok(EXIT_UNREADABLE);
                }
            };
            if let Some(notice) = excerpt_notice(catalog, cx.lang) {
                eprintln!("{notice}");
            }
            let date = date.unwrap_or_else(ismap_domain::validity::today_in_japan);
            write_output(
                output.as_deref(),
                &filled.to_yaml(catalog, date, model),
                force,
            )?;
            eprintln!(
                "{}",
                Messages::get().text(
                    cx.lang,
                    "prefill-summary",
                    &[
                        ("file", name),
                        ("service", filled.service_name.clone()),
                        ("covered", filled.summary.covered.to_string()),
                        ("partly", filled.summary.partly.to_string()),
                        ("not_covered", filled.summary.not_covered.to_string()),
                        ("objectives", filled.objectives_prefilled.to_string()),
                        ("controls", filled.controls_prefilled.to_string()),
                    ],
                )
            );
            Ok(0)
        }
        StatementCommand::Import {
            file,
            output,
            force,
        } => {
            let bytes = crate::catalogs::read_bytes(&file)?;
            match ismap_formats::statement_xlsx::from_xlsx_limited(
                &file.display().to_string(),
                &bytes,
                crate::catalogs::max_input(),
            ) {
                Ok(statement) => {
                    write_output(
                        output.as_deref(),
                        &ismap_formats::statement_write::to_yaml(&statement),
                        force,
                    )?;
                    Ok(0)
                }
                Err(error) => {
                    for problem in &error.problems {
                        eprintln!("{}", cx.style.error_line(&problem.to_string()));
                    }
                    Ok(EXIT_UNREADABLE)
                }
            }
        }
        StatementCommand::Export {
            file,
            format,
            output,
            force,
        } => {
            let text = read_text(&file)?;
            let parsed = match parse_statement(&file.display().to_string(), &text) {
                Ok(parsed) => parsed,
                Err(error) => {
                    eprintln!("{}", cx.style.error_line(&error.to_string()));
                    return Ok(EXIT_UNREADABLE);
                }
            };
            let statement = &parsed.statement;
            if format == ExportFormat::Xlsx {
                let Some(output) = output.as_deref() else {
                    bail!("an .xlsx workbook is binary: give --output FILE.xlsx");
                };
                let catalogs = cx.catalogs.all();
                let catalog = catalogs
                    .iter()
                    .copied()
                    .find(|c| c.id() == statement.catalog.trim());
                let report = check_statement(&parsed, &catalogs, None);
                let bytes =
                    ismap_formats::statement_xlsx::to_xlsx(statement, catalog, Some(&report))
                        .map_err(|e| anyhow::anyhow!("cannot write the workbook: {e}"))?;
                crate::catalogs::write_bytes(Some(output), &bytes, force)?;
                return Ok(0);
            }
            let written = match format {
                ExportFormat::Yaml => ismap_formats::statement_write::to_yaml(statement),
                ExportFormat::Json => {
                    serde_json::to_string_pretty(&ismap_formats::statement_write::to_json(
                        statement,
                    ))? + "\n"
                }
                ExportFormat::Xlsx => unreachable!("written above"),
                ExportFormat::OscalSsp => {
                    let catalog = cx.catalogs.get(Some(statement.catalog.trim()))?;
                    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
                    serde_json::to_string_pretty(&ismap_formats::oscal::statement_to_ssp(
                        statement, catalog, &now,
                    ))? + "\n"
                }
            };
            write_output(output.as_deref(), &written, force)?;
            Ok(0)
        }
    }
}

fn validate(
    cx: &Context,
    file: &std::path::Path,
    registry: Option<&std::path::Path>,
    format: ReportFormat,
) -> Result<u8> {
    let registry = match registry {
        None => None,
        Some(path) => {
            let text = read_text(path)?;
            match parse_registry(&path.display().to_string(), &text) {
                Ok(registry) => Some(registry),
                Err(error) => bail!("the registry cannot be used:\n{error}"),
            }
        }
    };
    let text = read_text(file)?;
    let name = file.display().to_string();
    let parsed = match parse_statement(&name, &text) {
        Ok(parsed) => parsed,
        Err(error) => {
            eprintln!("{}", cx.style.error_line(&error.to_string()));
            return Ok(EXIT_UNREADABLE);
        }
    };
    let catalogs = cx.catalogs.all();
    let report = check_statement(&parsed, &catalogs, registry.as_ref());
    match format {
        ReportFormat::Json => outln!("{}", serde_json::to_string_pretty(&report.to_json())?),
        ReportFormat::Text => print_text(cx, &report),
    }
    Ok(if report.errors() > 0 {
        EXIT_FINDINGS
    } else {
        0
    })
}

fn print_text(cx: &Context, report: &Report<'_>) {
    let messages = Messages::get();
    let lang = cx.lang;
    if let Some(catalog) = report.catalog {
        if let Some(notice) = excerpt_notice(catalog, lang) {
            outln!("{}", cx.style.dim(&notice));
        }
        outln!(
            "{}",
            messages.text(
                lang,
                "cli-validating",
                &[
                    ("file", report.file.clone()),
                    ("catalog", catalog.id().to_owned()),
                    ("version", catalog.info().version.clone()),
                ],
            )
        );
    }
    for rule in RuleId::ALL {
        let group: Vec<_> = report
            .findings
            .iter()
            .filter(|f| f.finding.rule == rule)
            .collect();
        if group.is_empty() {
            continue;
        }
        outln!(
            "\n{} ({})",
            cx.style.heading(&messages.rule_title(lang, rule)),
            group.len()
        );
        for located in group {
            let f = &located.finding;
            let label = match f.severity {
                ismap_domain::Severity::Error => messages.text(lang, "cli-error", &[]),
                ismap_domain::Severity::Warning => messages.text(lang, "cli-warning", &[]),
            };
            let subject = f
                .control
                .map(|c| c.to_string())
                .unwrap_or_else(|| messages.text(lang, "cli-general", &[]));
            let mut place = Vec::new();
            if located.place.line > 0 {
                place.push(format!("{}:{}", report.file, located.place.line));
            }
            if !located.field.is_empty() {
                place.push(located.field.clone());
            }
            outln!(
                "  {} {:<12} {}",
                cx.style.severity(f.severity, &format!("{label:<7}")),
                subject,
                cx.style.dim(&place.join("  "))
            );
            outln!("  {:<7} {}", "", messages.finding(lang, f));
        }
    }
    outln!();
    if report.findings.is_empty() {
        outln!("{}", messages.text(lang, "cli-no-findings", &[]));
    }
    outln!(
        "{}",
        cx.style.heading(&messages.text(
            lang,
            "cli-summary",
            &[
                ("errors", report.errors().to_string()),
                ("warnings", report.warnings().to_string()),
            ],
        ))
    );
}
