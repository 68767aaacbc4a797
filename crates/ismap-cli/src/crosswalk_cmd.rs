//! `ismap crosswalk`: how far an ISO/IEC 27001 certificate, a list of SP
//! 800-53 controls or a FedRAMP baseline covers the ISMAP control objectives
//! of chapters 5–18, and lookups of single links. Rule: docs/crosswalk.md.

use std::collections::BTreeSet;
use std::path::PathBuf;

use anyhow::{Result, anyhow};
use clap::{ArgGroup, Args, ValueEnum};
use ismap_domain::crosswalk::{
    Coverage, Crosswalk, Holdings, Listing, NistControlId, Status, Strength, Summary,
};
use ismap_domain::{Catalog, ControlId};
use ismap_formats::crosswalk_data::bundled_crosswalk;
use ismap_formats::crosswalk_export::{SourceInfo, coverage_csv, held_label, report_json};
use ismap_formats::nist_holdings::{
    HoldingsSource, parse_annex_a_list, parse_nist_list, read_holdings,
};
use ismap_i18n::Messages;
use serde_json::json;

use crate::catalogs::read_text;
use crate::output::{excerpt_notice, pick};
use crate::{Context, EXIT_FINDINGS};

const EXAMPLES: &str = "\
Each ISMAP control objective of chapters 5-18 is covered, partly covered or not
covered, with the linking ISO/IEC 27001 and SP 800-53 ids; the rule and the
sources are in docs/crosswalk.md. Partial links are marked with *.

Examples:
  ismap crosswalk --iso27001
  ismap crosswalk --iso27001 soa.txt            (Annex A controls in scope, one a line)
  ismap crosswalk --nist-controls ssp-controls.txt --format csv
  ismap crosswalk --fedramp-baseline FedRAMP_rev5_LOW-baseline-resolved-profile_catalog.json
  ismap crosswalk --control 9.2.3                (ISO and NIST links of one objective)
  ismap crosswalk --nist AC-2                    (ISMAP objectives linked to AC-2)";

/// The arguments of `ismap crosswalk`.
#[derive(Debug, Args)]
#[command(after_help = EXAMPLES)]
#[command(group(ArgGroup::new("input").required(true).args(["iso27001", "nist_controls", "fedramp_baseline", "control", "nist"])))]
pub struct CrosswalkArgs {
    /// An ISO/IEC 27001:2013 certificate: all 114 Annex A controls, or those
    /// listed in FILE (A.9.2.3 or 9.2.3, one a line).
    #[arg(long, value_name = "FILE", num_args = 0..=1)]
    iso27001: Option<Option<PathBuf>>,
    /// SP 800-53 rev5 controls in place, one id a line (AC-2, AC-2(1), ac-2.1; # comments).
    #[arg(long, value_name = "FILE")]
    nist_controls: Option<PathBuf>,
    /// A FedRAMP or NIST resolved-profile catalog (OSCAL JSON or XML): its
    /// controls count as held. A system security plan is read too (its
    /// implemented requirements).
    #[arg(long, value_name = "FILE")]
    fedramp_baseline: Option<PathBuf>,
    /// Show the ISO/IEC 27001 and SP 800-53 links of one ISMAP objective, e.g. 9.2.3.
    #[arg(long, value_name = "ID")]
    control: Option<String>,
    /// Show the ISMAP objectives linked to one SP 800-53 control, e.g. AC-2.
    #[arg(long, value_name = "ID")]
    nist: Option<String>,
    /// Catalog whose titles are shown (default: ismap-2022-excerpt).
    #[arg(long)]
    catalog: Option<String>,
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Format {
    Text,
    Json,
    Csv,
}

/// What was read, for headings and the JSON `source`.
struct Source {
    kind: &'static str,
    name: String,
    holdings: Holdings,
    set_aside: Vec<String>,
}

fn source_error(error: ismap_formats::SourceError) -> anyhow::Error {
    anyhow!("{error}")
}

fn read_source(args: &CrosswalkArgs, crosswalk: &Crosswalk) -> Result<Option<Source>> {
    if let Some(list) = &args.iso27001 {
        let (name, holdings) = match list {
            None => (
                "ISO/IEC 27001:2013".to_owned(),
                Holdings::iso27001_all(crosswalk),
            ),
            Some(path) => {
                let ids = parse_annex_a_list(&path.display().to_string(), &read_text(path)?)
                    .map_err(source_error)?;
                (
                    path.display().to_string(),
                    Holdings::Iso27001(ids.into_iter().collect()),
                )
            }
        };
        return Ok(Some(Source {
            kind: "iso27001",
            name,
            holdings,
            set_aside: Vec::new(),
        }));
    }
    if let Some(path) = &args.nist_controls {
        let ids = parse_nist_list(&path.display().to_string(), &read_text(path)?)
            .map_err(source_error)?;
        return Ok(Some(Source {
            kind: "nist-controls",
            name: path.display().to_string(),
            holdings: Holdings::nist(ids),
            set_aside: Vec::new(),
        }));
    }
    if let Some(path) = &args.fedramp_baseline {
        let bytes = crate::catalogs::read_bytes(path)?;
        let baseline = read_holdings(&path.display().to_string(), &bytes).map_err(source_error)?;
        let name = if baseline.title.is_empty() {
            path.display().to_string()
        } else {
            baseline.title.clone()
        };
        return Ok(Some(Source {
            kind: match baseline.source {
                HoldingsSource::Catalog => "fedramp-baseline",
                HoldingsSource::Ssp => "ssp",
            },
            name,
            holdings: Holdings::nist(baseline.held),
            set_aside: baseline
                .set_aside
                .iter()
                .map(|(id, _)| id.to_string())
                .collect(),
        }));
    }
    Ok(None)
}

pub fn run(cx: &Context, args: CrosswalkArgs) -> Result<u8> {
    let crosswalk = bundled_crosswalk();
    let catalog = cx.catalogs.get(args.catalog.as_deref())?;
    if let Some(id) = &args.control {
        return lookup_control(cx, &args, crosswalk, catalog, id);
    }
    if let Some(id) = &args.nist {
        return lookup_nist(cx, &args, crosswalk, catalog, id);
    }
    let Some(source) = read_source(&args, crosswalk)? else {
        unreachable!("clap requires one input");
    };
    let coverage = crosswalk.assess(&source.holdings);
    let summary = Summary::of(&coverage);
    let held = match &source.holdings {
        Holdings::Iso27001(ids) => ids.len(),
        Holdings::Nist(ids) => ids.len(),
    };
    match args.format {
        Format::Json => {
            let report = report_json(
                &SourceInfo {
                    kind: source.kind,
                    name: &source.name,
                    held,
                    set_aside: &source.set_aside,
                },
                &coverage,
                crosswalk,
                catalog,
            );
            outln!("{}", serde_json::to_string_pretty(&report)?);
        }
        Format::Csv => out!("{}", coverage_csv(&coverage, crosswalk, catalog)),
        Format::Text => print_table(cx, catalog, &source, held, &coverage, &summary),
    }
    if let Some(notice) = excerpt_notice(catalog, cx.lang) {
        eprintln!("{notice}");
    }
    Ok(0)
}

fn status_label(cx: &Context, status: Status) -> String {
    let id = match status {
        Status::Covered => "crosswalk-status-covered",
        Status::Partly => "crosswalk-status-partly",
        Status::NotCovered => "crosswalk-status-not-covered",
    };
    Messages::get().text(cx.lang, id, &[])
}

/// Pads to a width in terminal columns: Japanese characters take two.
fn pad(text: &str, width: usize) -> String {
    let used: usize = text.chars().map(|c| if c.is_ascii() { 1 } else { 2 }).sum();
    format!("{text}{}", " ".repeat(width.saturating_sub(used)))
}

fn title<'a>(cx: &Context, catalog: &'a Catalog, id: ControlId) -> &'a str {
    catalog
        .get(id.number())
        .map(|c| pick(cx.lang, &c.title))
        .unwrap_or("")
}

fn print_table(
    cx: &Context,
    catalog: &Catalog,
    source: &Source,
    held: usize,
    coverage: &[Coverage],
    summary: &Summary,
) {
    let messages = Messages::get();
    let text = |id: &str, args: &[(&str, String)]| messages.text(cx.lang, id, args);
    let heading = match source.holdings {
        Holdings::Iso27001(_) => text("crosswalk-heading-iso", &[("count", held.to_string())]),
        Holdings::Nist(_) => text(
            "crosswalk-heading-nist",
            &[("source", source.name.clone()), ("count", held.to_string())],
        ),
    };
    outln!("{}", cx.style.heading(&heading));
    if !source.set_aside.is_empty() {
        outln!(
            "{}",
            cx.style.dim(&text(
                "crosswalk-set-aside",
                &[
                    ("count", source.set_aside.len().to_string()),
                    ("ids", source.set_aside.join(" ")),
                ],
            ))
        );
    }
    let chapters: BTreeSet<u16> = coverage.iter().map(|c| c.objective.chapter()).collect();
    for chapter in chapters {
        let name = catalog
            .chapter(chapter)
            .map(|c| pick(cx.lang, &c.title))
            .unwrap_or("");
        outln!("\n{}", cx.style.heading(&format!("{chapter} {name}")));
        for c in coverage.iter().filter(|c| c.objective.chapter() == chapter) {
            outln!(
                "  {:<9} {} {}",
                c.objective.to_string(),
                pad(&status_label(cx, c.status), 12),
                title(cx, catalog, c.objective)
            );
            let mut links = Vec::new();
            match (c.iso27001, &source.holdings) {
                (None, _) => links.push(text("crosswalk-no-counterpart", &[])),
                (Some(iso), Holdings::Iso27001(_)) => links.push(iso.to_string()),
                (Some(iso), Holdings::Nist(_)) => {
                    links.push(iso.to_string());
                    if !c.held.is_empty() {
                        let ids: Vec<String> =
                            c.held.iter().map(|(id, s)| held_label(id, *s)).collect();
                        links.push(format!(
                            "{}: {}",
                            text("crosswalk-held", &[]),
                            ids.join(" ")
                        ));
                    }
                    if !c.missing.is_empty() {
                        let ids: Vec<String> = c.missing.iter().map(|id| id.to_string()).collect();
                        links.push(format!(
                            "{}: {}",
                            text("crosswalk-missing", &[]),
                            ids.join(" ")
                        ));
                    }
                }
            }
            outln!("  {:<9} {}", "", cx.style.dim(&links.join("  ")));
        }
    }
    outln!(
        "\n{}",
        text(
            "crosswalk-summary",
            &[
                ("total", summary.total().to_string()),
                ("covered", summary.covered.to_string()),
                ("partly", summary.partly.to_string()),
                ("not_covered", summary.not_covered.to_string()),
                ("no_counterpart", summary.no_counterpart.to_string()),
            ],
        )
    );
    outln!("{}", cx.style.dim(&text("crosswalk-caveat", &[])));
}

fn listing(l: Listing) -> &'static str {
    match l {
        Listing::NotListed => "no",
        Listing::Listed => "yes",
        Listing::Asterisk => "yes*",
    }
}

fn strength(s: Strength) -> &'static str {
    match s {
        Strength::Full => "full",
        Strength::Partial => "partial",
    }
}

fn no_links(cx: &Context, id: &str) -> Result<u8> {
    eprintln!(
        "{}",
        Messages::get().text(cx.lang, "crosswalk-no-links", &[("id", id.to_owned())])
    );
    Ok(EXIT_FINDINGS)
}

fn lookup_control(
    cx: &Context,
    args: &CrosswalkArgs,
    crosswalk: &Crosswalk,
    catalog: &Catalog,
    id: &str,
) -> Result<u8> {
    let id: ControlId = id
        .parse()
        .map_err(|e| anyhow!("{id:?} is not an ISMAP control id: {e}"))?;
    let Some(mapping) = crosswalk.objective(id.objective_number()) else {
        return no_links(cx, &id.to_string());
    };
    let links: Vec<_> = mapping
        .iso27001
        .map(|iso| crosswalk.links_of(iso).collect())
        .unwrap_or_default();
    match args.format {
        Format::Csv => {
            outln!("objective,iso27001,nist,strength,table1,table2");
            let iso = mapping.iso27001.map(|i| i.to_string()).unwrap_or_default();
            for l in &links {
                outln!(
                    "{},{iso},{},{},{},{}",
                    mapping.ismap,
                    l.nist,
                    strength(l.strength()),
                    listing(l.table1),
                    listing(l.table2)
                );
            }
        }
        Format::Json => {
            let report = json!({
                "objective": mapping.ismap.to_string(),
                "title": catalog.get(mapping.ismap.number()).map(|c| json!({"ja": c.title.ja, "en": c.title.en})),
                "iso27001": mapping.iso27001.map(|i| i.to_string()),
                "note": mapping.note,
                "nist": links.iter().map(|l| json!({
                    "id": l.nist.to_string(),
                    "strength": strength(l.strength()),
                    "table1": listing(l.table1),
                    "table2": listing(l.table2),
                })).collect::<Vec<_>>(),
            });
            outln!("{}", serde_json::to_string_pretty(&report)?);
        }
        Format::Text => {
            outln!(
                "{}  {}",
                cx.style.heading(&mapping.ismap.to_string()),
                title(cx, catalog, mapping.ismap)
            );
            outln!(
                "  ISO/IEC 27001:2013: {}",
                mapping
                    .iso27001
                    .map(|i| i.to_string())
                    .unwrap_or_else(|| "-".into())
            );
            if !mapping.note.is_empty() {
                outln!("  {}", cx.style.dim(&mapping.note));
            }
            outln!("  SP 800-53 rev5 (strength, NIST table 1, table 2):");
            for l in &links {
                outln!(
                    "    {:<10} {:<8} {:<5} {}",
                    l.nist.to_string(),
                    strength(l.strength()),
                    listing(l.table1),
                    listing(l.table2)
                );
            }
        }
    }
    Ok(0)
}

fn lookup_nist(
    cx: &Context,
    args: &CrosswalkArgs,
    crosswalk: &Crosswalk,
    catalog: &Catalog,
    id: &str,
) -> Result<u8> {
    let id: NistControlId = id.parse().map_err(|e| anyhow!("{e}"))?;
    let found = crosswalk.links_of_nist(id);
    if found.is_empty() {
        return no_links(cx, &id.to_string());
    }
    match args.format {
        Format::Csv => {
            outln!("nist,objective,iso27001,strength,table1,table2");
            for (o, l) in &found {
                outln!(
                    "{},{},{},{},{},{}",
                    l.nist,
                    o.ismap,
                    l.iso27001,
                    strength(l.strength()),
                    listing(l.table1),
                    listing(l.table2)
                );
            }
        }
        Format::Json => {
            let rows: Vec<_> = found
                .iter()
                .map(|(o, l)| {
                    json!({
                        "nist": l.nist.to_string(),
                        "objective": o.ismap.to_string(),
                        "iso27001": l.iso27001.to_string(),
                        "strength": strength(l.strength()),
                        "table1": listing(l.table1),
                        "table2": listing(l.table2),
                    })
                })
                .collect();
            outln!(
                "{}",
                serde_json::to_string_pretty(&json!({ "nist": id.to_string(), "links": rows }))?
            );
        }
        Format::Text => {
            outln!(
                "{}  (ISMAP objective, ISO/IEC 27001:2013, strength)",
                cx.style.heading(&id.to_string())
            );
            for (o, l) in &found {
                outln!(
                    "  {:<10} {:<9} {:<10} {:<8} {}",
                    l.nist.to_string(),
                    o.ismap.to_string(),
                    l.iso27001.to_string(),
                    strength(l.strength()),
                    title(cx, catalog, o.ismap)
                );
            }
        }
    }
    Ok(0)
}
