//! `ismap catalog …`: browse, search, export and check catalogs.

use std::path::PathBuf;

use anyhow::{Result, bail};
use clap::{Subcommand, ValueEnum};
use ismap_domain::{Catalog, Control, ControlId, Criteria, Level};
use ismap_formats::catalog_export;
use ismap_formats::catalog_pack::load_pack;

use crate::catalogs::{read_text, write_output};
use crate::output::{excerpt_notice, pick};
use crate::{Context, EXIT_FINDINGS};

#[derive(Debug, Subcommand)]
pub enum CatalogCommand {
    /// List the catalogs available (bundled and --pack).
    List,
    /// Show a catalog, a chapter (8), a category (8.1) or a control (8.1.2, 8.1.2.7.PB).
    ///
    /// Without an argument, shows the default catalog's overview.
    Show {
        /// Catalog id, chapter, category or control id.
        id: Option<String>,
        /// Catalog to look in (default: ismap-2022-excerpt).
        #[arg(long)]
        catalog: Option<String>,
    },
    /// Find controls whose id, title or text contains TEXT (Japanese or English).
    Search {
        text: String,
        #[arg(long)]
        catalog: Option<String>,
    },
    /// Write a catalog as JSON or CSV.
    Export {
        #[arg(long, value_enum)]
        format: ExportFormat,
        #[arg(long)]
        catalog: Option<String>,
        /// Write to FILE instead of standard output.
        #[arg(long, short, value_name = "FILE")]
        output: Option<PathBuf>,
        /// Replace FILE if it exists.
        #[arg(long)]
        force: bool,
    },
    /// Check a catalog pack file and report every problem with its line.
    Check { file: PathBuf },
    /// Turn the standard's spreadsheet (.xlsx) into a catalog pack: a new
    /// catalog version. Every unusable row is named; nothing is written then.
    /// Column layout: docs/catalog-import.md (override with --mapping).
    Import {
        file: PathBuf,
        /// Id of the new catalog version, e.g. ismap-2025.
        #[arg(long)]
        id: String,
        /// Version label, e.g. 2025-04-01.
        #[arg(long)]
        version: String,
        /// Title (Japanese); the English title defaults to the same.
        #[arg(long, default_value = "ISMAP管理基準")]
        title: String,
        #[arg(long)]
        title_en: Option<String>,
        /// Column mapping (YAML), for a layout other than the default.
        #[arg(long, value_name = "FILE")]
        mapping: Option<PathBuf>,
        /// Where to write the catalog pack (YAML).
        #[arg(long, short, value_name = "FILE")]
        output: PathBuf,
        /// Replace FILE if it exists.
        #[arg(long)]
        force: bool,
        /// No progress bar (it shows only on a terminal, for large workbooks).
        #[arg(long, short)]
        quiet: bool,
        /// The ISMAP-LIU important controls: a text or CSV file with one
        /// control id per line (first column; `#` comments and a header line
        /// allowed). The list becomes the catalog's set, with its source; the
        /// spreadsheet itself marks none.
        #[arg(long, value_name = "FILE", requires = "important_source")]
        important_controls: Option<PathBuf>,
        /// Where the important-control list comes from (a programme document);
        /// required with --important-controls.
        #[arg(long, value_name = "TEXT", requires = "important_controls")]
        important_source: Option<String>,
        /// The list is your own assumption, not an official one: it is then
        /// shown as assumed wherever it appears.
        #[arg(long, requires = "important_controls")]
        important_assumed: bool,
    },
    /// List the controls added, removed and changed between two catalog
    /// versions (catalog ids, or catalog pack files).
    Diff {
        older: String,
        newer: String,
        #[arg(long, value_enum, default_value = "text")]
        format: DiffFormat,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum DiffFormat {
    Text,
    Json,
}

/// Reads a column mapping file (YAML).
fn read_mapping(
    path: &std::path::Path,
    text: &str,
) -> Result<ismap_formats::catalog_xlsx::Mapping> {
    ismap_formats::catalog_xlsx::parse_mapping(&path.display().to_string(), text)
        .map_err(|e| anyhow::anyhow!("{e}"))
}

/// A catalog named by id, or read from a pack file.
fn catalog_arg(cx: &Context, name: &str) -> Result<Catalog> {
    let path = std::path::Path::new(name);
    if path.is_file() {
        let text = read_text(path)?;
        return load_pack(name, &text)
            .map_err(|e| anyhow::anyhow!("catalog pack {name} is invalid:\n{e}"));
    }
    Ok(cx.catalogs.get(Some(name))?.clone())
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    /// One document: catalog info, chapters, categories, controls.
    Json,
    /// One row per control.
    Csv,
    /// An OSCAL 1.1.3 catalog (JSON).
    Oscal,
}

pub fn run(cx: &Context, command: CatalogCommand) -> Result<u8> {
    match command {
        CatalogCommand::List => {
            for catalog in cx.catalogs.all() {
                print_overview_line(cx, catalog);
            }
            Ok(0)
        }
        CatalogCommand::Show { id, catalog } => show(cx, id.as_deref(), catalog.as_deref()),
        CatalogCommand::Search { text, catalog } => {
            let catalog = cx.catalogs.get(catalog.as_deref())?;
            print_notice(cx, catalog);
            let found = catalog.search(&text);
            for control in &found {
                print_control_line(cx, control, "");
            }
            eprintln!(
                "{}",
                ismap_i18n::Messages::get().text(
                    cx.lang,
                    "cli-search-count",
                    &[
                        ("found", found.len().to_string()),
                        ("total", catalog.controls().len().to_string()),
                    ],
                )
            );
            Ok(if found.is_empty() { EXIT_FINDINGS } else { 0 })
        }
        CatalogCommand::Export {
            format,
            catalog,
            output,
            force,
        } => {
            let catalog = cx.catalogs.get(catalog.as_deref())?;
            if let Some(notice) = excerpt_notice(catalog, cx.lang) {
                eprintln!("{notice}");
            }
            let text = match format {
                ExportFormat::Json => {
                    let mut text = serde_json::to_string_pretty(&catalog_export::to_json(catalog))?;
                    text.push('\n');
                    text
                }
                ExportFormat::Csv => catalog_export::to_csv(catalog),
                ExportFormat::Oscal => {
                    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
                    let mut text = serde_json::to_string_pretty(
                        &ismap_formats::oscal::catalog_to_oscal(catalog, &now),
                    )?;
                    text.push('\n');
                    text
                }
            };
            write_output(output.as_deref(), &text, force)?;
            Ok(0)
        }
        CatalogCommand::Import {
            file,
            id,
            version,
            title,
            title_en,
            mapping,
            output,
            force,
            quiet,
            important_controls,
            important_source,
            important_assumed,
        } => {
            let mapping = match mapping {
                None => ismap_formats::catalog_xlsx::Mapping::default(),
                Some(path) => read_mapping(&path, &read_text(&path)?)?,
            };
            let bytes = crate::catalogs::read_bytes(&file)?;
            let new = ismap_formats::catalog_xlsx::NewCatalog {
                id,
                version,
                title: ismap_domain::Text::new(title.clone(), title_en.unwrap_or(title)),
                source: file.display().to_string(),
            };
            let bar = crate::progress::ImportBar::new(bytes.len(), quiet);
            let imported = ismap_formats::catalog_xlsx::import_catalog_with_progress(
                &file.display().to_string(),
                &bytes,
                &mapping,
                new,
                crate::catalogs::max_input(),
                &mut |step| bar.update(step),
            );
            bar.finish();
            let imported = match (imported, important_controls) {
                (Ok(catalog), Some(list)) => {
                    let text = read_text(&list)?;
                    ismap_formats::catalog_xlsx::with_important_controls(
                        &catalog,
                        &list.display().to_string(),
                        &text,
                        important_source.as_deref().unwrap_or(""),
                        important_assumed,
                    )
                }
                (imported, _) => imported,
            };
            match imported {
                Ok(catalog) => {
                    write_output(
                        Some(&output),
                        &ismap_formats::catalog_pack::to_yaml(&catalog),
                        force,
                    )?;
                    print_overview_line(cx, &catalog);
                    Ok(0)
                }
                Err(error) => {
                    for problem in &error.problems {
                        eprintln!("{}", cx.style.error_line(&problem.to_string()));
                    }
                    Ok(crate::EXIT_UNREADABLE)
                }
            }
        }
        CatalogCommand::Diff {
            older,
            newer,
            format,
        } => {
            let (a, b) = (catalog_arg(cx, &older)?, catalog_arg(cx, &newer)?);
            let d = ismap_domain::catalog_diff::diff(&a, &b);
            let ids =
                |v: &[ismap_domain::ControlId]| v.iter().map(|c| c.to_string()).collect::<Vec<_>>();
            match format {
                DiffFormat::Json => outln!(
                    "{}",
                    serde_json::to_string_pretty(&serde_json::json!({
                        "older": a.id(),
                        "newer": b.id(),
                        "added": ids(&d.added),
                        "removed": ids(&d.removed),
                        "changed": d.changed.iter().map(|(id, fields)| serde_json::json!({"control": id.to_string(), "fields": fields})).collect::<Vec<_>>(),
                    }))?
                ),
                DiffFormat::Text => {
                    outln!(
                        "{} → {}",
                        cx.style.heading(a.id()),
                        cx.style.heading(b.id())
                    );
                    for (label, list) in [("added", ids(&d.added)), ("removed", ids(&d.removed))] {
                        outln!("{label} ({}): {}", list.len(), list.join(" "));
                    }
                    outln!("changed ({}):", d.changed.len());
                    for (id, fields) in &d.changed {
                        outln!("  {id:<14} {}", fields.join(", "));
                    }
                }
            }
            Ok(0)
        }
        CatalogCommand::Check { file } => {
            let text = read_text(&file)?;
            match load_pack(&file.display().to_string(), &text) {
                Ok(catalog) => {
                    print_overview_line(cx, &catalog);
                    Ok(0)
                }
                Err(error) => {
                    for problem in &error.problems {
                        outln!("{}", cx.style.error_line(&problem.to_string()));
                    }
                    Ok(crate::EXIT_UNREADABLE)
                }
            }
        }
    }
}

fn print_notice(cx: &Context, catalog: &Catalog) {
    if let Some(notice) = excerpt_notice(catalog, cx.lang) {
        outln!("{}\n", cx.style.dim(&notice));
    }
    // What the [LIU] badges below stand for: assumed or official (issue 14).
    if catalog.has_important_controls()
        && let Some(line) = crate::output::important_controls_line(catalog, cx.lang)
    {
        outln!("{}\n", cx.style.dim(&line));
    }
}

fn print_overview_line(cx: &Context, catalog: &Catalog) {
    let info = catalog.info();
    let excerpt = if info.excerpt {
        " [excerpt / 抜粋]"
    } else {
        ""
    };
    outln!(
        "{}  {}  {}{}",
        cx.style.heading(&info.id),
        info.version,
        pick(cx.lang, &info.title),
        excerpt
    );
    outln!(
        "    governance {}+{}, management {}+{}, control measures {}+{} (objectives+detailed controls)",
        catalog.count(Criteria::Governance, Level::Objective),
        catalog.count(Criteria::Governance, Level::Detailed),
        catalog.count(Criteria::Management, Level::Objective),
        catalog.count(Criteria::Management, Level::Detailed),
        catalog.count(Criteria::ControlMeasures, Level::Objective),
        catalog.count(Criteria::ControlMeasures, Level::Detailed),
    );
    if let Some(notice) = excerpt_notice(catalog, cx.lang) {
        outln!("    {}", cx.style.dim(&notice));
    }
    if let Some(line) = crate::output::important_controls_line(catalog, cx.lang) {
        outln!("    {}", cx.style.dim(&line));
    }
}

fn badges(control: &Control) -> String {
    let mut badges = Vec::new();
    match control.id.suffix() {
        ismap_domain::Suffix::P => badges.push("[P]"),
        ismap_domain::Suffix::B => badges.push("[B]"),
        ismap_domain::Suffix::PB => badges.push("[PB]"),
        ismap_domain::Suffix::None => {}
    }
    if control.liu_important {
        badges.push("[LIU]");
    }
    if control.jis_option {
        badges.push("[○]");
    }
    if control.origin == ismap_domain::Origin::NewInIsmap {
        badges.push("[※]");
    }
    badges.join("")
}

fn print_control_line(cx: &Context, control: &Control, indent: &str) {
    outln!(
        "{indent}{:<14} {} {}",
        control.id.to_string(),
        pick(cx.lang, &control.title),
        cx.style.dim(&badges(control))
    );
}

fn print_control_detail(cx: &Context, catalog: &Catalog, control: &Control) {
    outln!(
        "{}  {}",
        cx.style.heading(&control.id.to_string()),
        pick(cx.lang, &control.title)
    );
    outln!("  ja: {}", control.text.ja);
    outln!("  en: {}", control.text.en);
    let (chapter, category) = control.id.category();
    if let Some(c) = catalog.category(chapter, category) {
        outln!("  {}.{} {}", chapter, category, pick(cx.lang, &c.title));
    }
    outln!(
        "  criteria: {}, origin: {}, verbatim: {}, LIU important: {} {}",
        control.criteria().key(),
        control.origin.key(),
        control.quoted,
        control.liu_important,
        badges(control)
    );
}

fn show(cx: &Context, id: Option<&str>, catalog_id: Option<&str>) -> Result<u8> {
    // A catalog id given as the argument shows that catalog.
    if let Some(id) = id
        && let Some(catalog) = cx.catalogs.all().into_iter().find(|c| c.id() == id)
    {
        return show_catalog(cx, catalog);
    }
    let catalog = cx.catalogs.get(catalog_id)?;
    let Some(id) = id else {
        return show_catalog(cx, catalog);
    };
    print_notice(cx, catalog);
    let numbers: Vec<&str> = id.split('.').collect();
    match numbers.as_slice() {
        [chapter] if chapter.parse::<u16>().is_ok() => {
            let chapter: u16 = chapter.parse()?;
            let Some(c) = catalog.chapter(chapter) else {
                bail!("chapter {chapter} is not in {}", catalog.id());
            };
            outln!(
                "{} {}",
                cx.style.heading(&chapter.to_string()),
                pick(cx.lang, &c.title)
            );
            for category in catalog.categories().iter().filter(|k| k.chapter == chapter) {
                outln!("  {} {}", category.id(), pick(cx.lang, &category.title));
                for control in catalog.controls().iter().filter(|k| {
                    k.id.category() == (category.chapter, category.number)
                        && k.id.level() == Level::Objective
                }) {
                    print_control_line(cx, control, "    ");
                }
            }
            Ok(0)
        }
        [chapter, number] if chapter.parse::<u16>().is_ok() && number.parse::<u16>().is_ok() => {
            let key = (chapter.parse::<u16>()?, number.parse::<u16>()?);
            let Some(category) = catalog.category(key.0, key.1) else {
                bail!("category {id} is not in {}", catalog.id());
            };
            outln!(
                "{} {}",
                cx.style.heading(id),
                pick(cx.lang, &category.title)
            );
            outln!("  {}", pick(cx.lang, &category.purpose));
            for control in catalog.controls().iter().filter(|k| k.id.category() == key) {
                let indent = if control.id.level() == Level::Detailed {
                    "    "
                } else {
                    "  "
                };
                print_control_line(cx, control, indent);
            }
            Ok(0)
        }
        _ => {
            let control_id: ControlId = id.parse().map_err(|e| {
                anyhow::anyhow!("{id:?} is not a catalog, chapter, category or control id: {e}")
            })?;
            let Some(position) = catalog.position(control_id.number()) else {
                bail!(
                    "{control_id} is not in {}; try `ismap catalog search`",
                    catalog.id()
                );
            };
            let control = &catalog.controls()[position];
            print_control_detail(cx, catalog, control);
            for child in catalog.children_of(position) {
                print_control_line(cx, &catalog.controls()[child], "    ");
            }
            Ok(0)
        }
    }
}

fn show_catalog(cx: &Context, catalog: &Catalog) -> Result<u8> {
    print_overview_line(cx, catalog);
    outln!();
    for chapter in catalog.chapters() {
        let objectives = catalog
            .controls()
            .iter()
            .filter(|c| c.id.chapter() == chapter.number && c.id.level() == Level::Objective)
            .count();
        outln!(
            "  {:>2} {}  ({objectives})",
            chapter.number,
            pick(cx.lang, &chapter.title)
        );
    }
    Ok(0)
}
