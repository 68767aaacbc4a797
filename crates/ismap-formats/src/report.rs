//! Validation of a statement file from end to end, and its JSON form. The
//! CLI (and later the portal) go through [`check_statement`], so every
//! entry point reports the same findings.

use ismap_domain::{Catalog, Finding, FindingKind, Registry, RuleId, Severity, rules};
use ismap_i18n::{Bilingual, Messages};
use serde_json::{Value, json};

use crate::statement_file::{Located, ParsedStatement};

/// The outcome of validating one statement.
#[derive(Debug)]
pub struct Report<'c> {
    pub file: String,
    /// The catalog the statement was validated against; `None` when the
    /// statement names no known catalog (then only input findings exist).
    pub catalog: Option<&'c Catalog>,
    pub findings: Vec<Located>,
}

impl Report<'_> {
    pub fn errors(&self) -> usize {
        self.count(Severity::Error)
    }

    pub fn warnings(&self) -> usize {
        self.count(Severity::Warning)
    }

    fn count(&self, severity: Severity) -> usize {
        self.findings
            .iter()
            .filter(|f| f.finding.severity == severity)
            .count()
    }

    /// The JSON report (contract in README.md): the contract's fields plus
    /// where each finding stands in the file.
    pub fn to_json(&self) -> Value {
        let messages = Messages::get();
        let findings: Vec<Value> = self
            .findings
            .iter()
            .map(|located| {
                let f = &located.finding;
                json!({
                    "rule": f.rule.as_str(),
                    "control": f.control.map(|c| c.to_string()),
                    "severity": f.severity.as_str(),
                    "message": bilingual(&messages.finding_both(f)),
                    "field": located.field,
                    "line": (located.place.line > 0).then_some(located.place.line),
                })
            })
            .collect();
        let mut report = json!({
            "file": self.file,
            "catalog": self.catalog.map(|c| c.id()),
            "errors": self.errors(),
            "warnings": self.warnings(),
            "findings": findings,
        });
        if let Some(catalog) = self.catalog {
            let info = catalog.info();
            report["catalog_version"] = json!(info.version);
            report["excerpt"] = json!(info.excerpt);
            if info.excerpt {
                report["notice"] = json!({ "ja": info.notice.ja, "en": info.notice.en });
            }
        }
        report
    }
}

pub fn bilingual(text: &Bilingual) -> Value {
    json!({ "ja": text.ja, "en": text.en })
}

/// Validates a parsed statement against the catalog it names, chosen from
/// `catalogs`, with the rules of spec §3.
pub fn check_statement<'c>(
    parsed: &ParsedStatement,
    catalogs: &[&'c Catalog],
    registry: Option<&Registry>,
) -> Report<'c> {
    let statement = &parsed.statement;
    let mut findings = parsed.problems.clone();
    let catalog = catalogs
        .iter()
        .copied()
        .find(|c| c.id() == statement.catalog.trim());
    match catalog {
        Some(catalog) => {
            // A decision that could not be read is reported once, as INPUT,
            // not again as undecided.
            let unreadable: Vec<_> = parsed
                .problems
                .iter()
                .filter(|p| matches!(p.finding.kind, FindingKind::UnknownDecision { .. }))
                .filter_map(|p| p.finding.control.map(|c| c.number()))
                .collect();
            findings.extend(
                rules::validate(catalog, statement, registry)
                    .into_iter()
                    .filter(|f| {
                        !(f.kind == FindingKind::Undecided
                            && f.control.is_some_and(|c| unreadable.contains(&c.number())))
                    })
                    .map(|f| parsed.locate(f)),
            );
        }
        // A missing catalog field is already an input finding.
        None if !statement.catalog.trim().is_empty() => {
            let available: Vec<&str> = catalogs.iter().map(|c| c.id()).collect();
            findings.push(parsed.locate(Finding::new(
                RuleId::S8,
                None,
                FindingKind::UnknownCatalog {
                    statement: statement.catalog.clone(),
                    available: available.join(", "),
                },
            )));
        }
        None => {}
    }
    findings.sort_by(|a, b| {
        (a.finding.control, a.finding.rule, a.place.line).cmp(&(
            b.finding.control,
            b.finding.rule,
            b.place.line,
        ))
    });
    Report {
        file: parsed.file.clone(),
        catalog,
        findings,
    }
}
