//! `ismap oscal …`: check, summarise and resolve OSCAL documents (JSON or
//! XML, OSCAL 1.0.4 to 1.1.3). See docs/oscal.md.

use std::path::{Path, PathBuf};

use anyhow::Result;
use clap::{Subcommand, ValueEnum};
use ismap_domain::Severity;
use ismap_formats::SourceError;
use ismap_formats::oscal_in::{
    self, Document, ValidateOptions, catalog::framework_to_json, document, profile,
};
use ismap_i18n::Messages;
use serde_json::json;

use crate::catalogs::write_output;
use crate::{Context, EXIT_FINDINGS, EXIT_UNREADABLE};

#[derive(Debug, Subcommand)]
pub enum OscalCommand {
    /// Check an OSCAL document: catalog, profile, SSP, component definition,
    /// assessment plan or results, POA&M; JSON or XML, OSCAL 1.0.4–1.1.3.
    ///
    /// Always: duplicate UUIDs and ids, `#…` links and uuid/role references
    /// that lead nowhere, and (for a profile whose catalog is at hand)
    /// selected controls missing from the catalog. With --schemas: the
    /// official OSCAL JSON schema too (XML is checked in its JSON form).
    ///
    /// Exit status: 0 no errors, 1 errors found, 2 the file (or the schema
    /// folder) could not be read.
    Validate {
        /// The OSCAL document (.json or .xml).
        file: PathBuf,
        /// Folder holding NIST's oscal_<model>_schema.json files (e.g. the
        /// OSCAL release's json/schema folder). Without it, no schema check.
        #[arg(long, env = "ISMAP_OSCAL_SCHEMAS", value_name = "DIR")]
        schemas: Option<PathBuf>,
        /// For a profile: the catalog it imports, when its href is not a local file.
        #[arg(long, value_name = "FILE")]
        catalog: Option<PathBuf>,
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
    /// Summarise an OSCAL document: model, versions, counts.
    Show {
        file: PathBuf,
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
    /// Resolve a profile (baseline) to the controls it selects, in catalog
    /// order, and write them as JSON (id, label, title, parent, statement…).
    ///
    /// The catalog is found from the profile's import (a local path, or a
    /// back-matter resource's rlinks relative to the profile); pass
    /// --catalog when it is elsewhere or remote. Exit status 1 when the
    /// profile selects controls the catalog lacks.
    Resolve {
        profile: PathBuf,
        #[arg(long, value_name = "FILE")]
        catalog: Option<PathBuf>,
        /// Write to FILE instead of standard output.
        #[arg(long, short, value_name = "FILE")]
        output: Option<PathBuf>,
        /// Replace FILE if it exists.
        #[arg(long)]
        force: bool,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// For people.
    Text,
    /// One JSON object (docs/oscal.md).
    Json,
}

/// Prints every problem of an unreadable input and gives exit status 2.
fn unreadable(cx: &Context, error: &SourceError) -> u8 {
    for problem in &error.problems {
        eprintln!("{}", cx.style.error_line(&problem.to_string()));
    }
    EXIT_UNREADABLE
}

fn read(path: &Path) -> std::result::Result<Document, SourceError> {
    document::read_limited(path, crate::catalogs::max_input())
}

pub fn run(cx: &Context, command: OscalCommand) -> Result<u8> {
    match command {
        OscalCommand::Validate {
            file,
            schemas,
            catalog,
            format,
        } => validate(cx, &file, schemas.as_deref(), catalog.as_deref(), format),
        OscalCommand::Show { file, format } => {
            let doc = match read(&file) {
                Ok(doc) => doc,
                Err(e) => return Ok(unreadable(cx, &e)),
            };
            let summary = oscal_in::summary(&doc);
            match format {
                Format::Json => outln!("{}", serde_json::to_string_pretty(&summary)?),
                Format::Text => {
                    outln!(
                        "{}  {} ({}), OSCAL {}",
                        cx.style.heading(&doc.file),
                        doc.model,
                        doc.syntax.name(),
                        doc.oscal_version().unwrap_or("?")
                    );
                    for key in ["title", "version", "system-name", "import-profile", "uuid"] {
                        if let Some(value) = summary[key].as_str() {
                            outln!("  {key}: {value}");
                        }
                    }
                    for (key, count) in summary["counts"].as_object().into_iter().flatten() {
                        outln!("  {key}: {count}");
                    }
                }
            }
            Ok(0)
        }
        OscalCommand::Resolve {
            profile: path,
            catalog,
            output,
            force,
        } => {
            let doc = match read(&path) {
                Ok(doc) => doc,
                Err(e) => return Ok(unreadable(cx, &e)),
            };
            let catalog = match catalog.as_deref().map(read).transpose() {
                Ok(c) => c,
                Err(e) => return Ok(unreadable(cx, &e)),
            };
            let resolution = match profile::resolve(&doc, catalog.as_ref()) {
                Ok(r) => r,
                Err(e) => {
                    eprintln!("{}", cx.style.error_line(&e.0));
                    return Ok(EXIT_UNREADABLE);
                }
            };
            let report = json!({
                "profile": doc.file,
                "sources": resolution.sources,
                "selected": resolution.selected,
                "framework": framework_to_json(&resolution.framework),
            });
            let mut text = serde_json::to_string_pretty(&report)?;
            text.push('\n');
            write_output(output.as_deref(), &text, force)?;
            for problem in &resolution.unknown {
                eprintln!(
                    "{} {}",
                    cx.style.severity(Severity::Error, "error:"),
                    problem_line(cx, &doc, problem)
                );
            }
            eprintln!(
                "{}",
                Messages::get().text(
                    cx.lang,
                    "oscal-resolved",
                    &[
                        ("profile", doc.file.clone()),
                        ("selected", resolution.selected.len().to_string()),
                        ("total", resolution.framework.controls.len().to_string()),
                    ],
                )
            );
            Ok(if resolution.unknown.is_empty() {
                0
            } else {
                EXIT_FINDINGS
            })
        }
    }
}

fn problem_line(cx: &Context, doc: &Document, problem: &oscal_in::Problem) -> String {
    format!(
        "[{}] {}: {}",
        problem.rule.id(),
        oscal_in::place(doc, &problem.pointer),
        oscal_in::message(cx.lang, problem)
    )
}

fn validate(
    cx: &Context,
    file: &Path,
    schemas: Option<&Path>,
    catalog: Option<&Path>,
    format: Format,
) -> Result<u8> {
    // JSON without schemas (and no catalog to read): the checks straight
    // from the bytes, without building a `serde_json::Value`.
    let bytes = if schemas.is_none() && catalog.is_none() {
        match ismap_formats::whole_file::read_limited(file, crate::catalogs::max_input()) {
            Ok(bytes) => Some(bytes),
            // Past a limit: refused now, not read a second time below.
            Err(e) if e.limit.is_some() => return Ok(unreadable(cx, &e)),
            Err(_) => None,
        }
    } else {
        None
    };
    let fast = bytes
        .as_deref()
        .and_then(|b| oscal_in::validate_json_fast(&file.display().to_string(), b));
    let (doc, validation) = match fast {
        Some(done) => done,
        None => {
            let doc = match bytes {
                Some(b) => document::parse(&file.display().to_string(), &b),
                None => read(file),
            };
            let doc = match doc {
                Ok(doc) => doc,
                Err(e) => return Ok(unreadable(cx, &e)),
            };
            let catalog = match catalog.map(read).transpose() {
                Ok(c) => c,
                Err(e) => return Ok(unreadable(cx, &e)),
            };
            let options = ValidateOptions {
                schemas,
                catalog: catalog.as_ref(),
            };
            match oscal_in::validate(&doc, &options) {
                Ok(v) => (doc, v),
                Err(e) => return Ok(unreadable(cx, &e)),
            }
        }
    };
    let messages = Messages::get();
    match format {
        Format::Json => outln!(
            "{}",
            serde_json::to_string_pretty(&oscal_in::validation_to_json(&doc, &validation))?
        ),
        Format::Text => {
            outln!(
                "{}",
                cx.style.heading(&messages.text(
                    cx.lang,
                    "oscal-validated",
                    &[
                        ("file", doc.file.clone()),
                        ("model", doc.model.to_string()),
                        ("syntax", doc.syntax.name().to_owned()),
                        ("version", doc.oscal_version().unwrap_or("?").to_owned()),
                    ],
                ))
            );
            if let Some(schema) = &validation.schema {
                outln!(
                    "{}",
                    messages.text(cx.lang, "oscal-schema-used", &[("schema", schema.clone())])
                );
            }
            for note in oscal_in::notes_text(cx.lang, &validation) {
                outln!("{}", cx.style.dim(&note));
            }
            for problem in &validation.problems {
                let (severity, label) = if problem.rule.is_error() {
                    (Severity::Error, "error:")
                } else {
                    (Severity::Warning, "warning:")
                };
                outln!(
                    "{} {}",
                    cx.style.severity(severity, label),
                    problem_line(cx, &doc, problem)
                );
            }
            outln!(
                "{}",
                messages.text(
                    cx.lang,
                    "oscal-summary",
                    &[
                        ("errors", validation.errors().to_string()),
                        ("warnings", validation.warnings().to_string()),
                    ],
                )
            );
        }
    }
    Ok(if validation.errors() > 0 {
        EXIT_FINDINGS
    } else {
        0
    })
}
