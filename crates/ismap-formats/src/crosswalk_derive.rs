//! Derives the project's crosswalk data files (crates/ismap-formats/data/)
//! from the public reference data in `shared/data` and the bundled catalog.
//!
//! The project keeps only facts (identifier pairs and NIST's asterisks), in
//! its own compact form; the derivation is code so that a test can run it
//! again on the reference data and prove the embedded files match it.
//! Regenerate with
//! `cargo run -p ismap-formats --example derive_crosswalk -- ../shared/data crates/ismap-formats/data`.

use std::collections::{BTreeMap, BTreeSet};

use ismap_domain::crosswalk::{AnnexAId, NistControlId};
use ismap_domain::{Catalog, Level, Suffix};

/// The reference files, as text, named by their path under `shared/data`.
pub struct Sources<'a> {
    /// `mappings/nist-sp800-53r5_iso27001-2013/sp800-53r5_to_iso27001-2013_table1_pairs.csv`
    pub table1: &'a str,
    /// `mappings/nist-sp800-53r5_iso27001-2013/iso27001-2013_to_sp800-53r5_table2_pairs.csv`
    pub table2: &'a str,
    /// `iso27001-2013-annexA/iso27001-2013-annexA_ids_only.csv`
    pub annex_a: &'a str,
}

pub const TABLE1_PATH: &str =
    "mappings/nist-sp800-53r5_iso27001-2013/sp800-53r5_to_iso27001-2013_table1_pairs.csv";
pub const TABLE2_PATH: &str =
    "mappings/nist-sp800-53r5_iso27001-2013/iso27001-2013_to_sp800-53r5_table2_pairs.csv";
pub const ANNEX_A_PATH: &str = "iso27001-2013-annexA/iso27001-2013-annexA_ids_only.csv";

/// The two data files' text.
#[derive(Debug, PartialEq, Eq)]
pub struct Derived {
    pub objectives: String,
    pub links: String,
}

const REGENERATE: &str = "# Regenerate: cargo run -p ismap-formats --example derive_crosswalk -- ../shared/data crates/ismap-formats/data\n\
# Checked by crates/ismap-formats/tests/crosswalk.rs, which derives it again and compares. Explained in docs/crosswalk.md.\n";

const OBJECTIVES_HEADER: &str = "# ismap crosswalk: ISMAP control objectives of chapters 5-18 <-> ISO/IEC 27001:2013 Annex A controls.\n\
# ISMAP numbers these objectives as JIS Q 27002:2014 (= ISO/IEC 27002:2013) numbers its controls, which are the\n\
# Annex A numbers (9.2.3 <-> A.9.2.3). Rows with an empty iso27001_2013 are the exceptions; note says why.\n\
# Sources: the ISMAP objectives of the bundled catalog catalogs/ismap-2022-excerpt.yaml (identifier structure of\n\
# the 2022 edition) and the 114 Annex A ids in shared/data/iso27001-2013-annexA/ (Table 2 of NIST's mapping, below).\n";

const LINKS_HEADER: &str = "# ismap crosswalk: ISO/IEC 27001:2013 Annex A <-> NIST SP 800-53 rev5, one row per pair.\n\
# Source: NIST, \"SP 800-53 Rev. 5 Control Mappings to ISO/IEC 27001\" (NIST CSD, 2020-12), Tables 1 and 2, as CSV\n\
# pairs in shared/data/mappings/nist-sp800-53r5_iso27001-2013/ (docx vendored in AbeWinters/control-mappings\n\
# @22381c75). A US Government work. Only identifiers and NIST's asterisks are kept; no titles.\n\
# table1: how Table 1 (SP 800-53 -> ISO) lists the pair: yes; yes* = with NIST's asterisk (the ISO control does\n\
#   not fully satisfy the NIST control); no = not listed.\n\
# table2: how Table 2 (ISO -> SP 800-53) lists it: yes; yes* = the NIST control does not fully satisfy the ISO\n\
#   control; no = not listed.\n\
# Left out: ISO/IEC 27001 clause requirements 4-10 (ISMAP chapters 5-18 meet Annex A only) and Table 2's\n\
# \"Appendix J Privacy controls\" for A.18.1.4, which names no rev5 control (see the objectives file).\n";

fn rows(name: &str, text: &str, columns: &[&str]) -> Result<Vec<Vec<String>>, String> {
    let mut reader = csv::ReaderBuilder::new().from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| format!("{name}: {e}"))?
        .clone();
    for column in columns {
        if !headers.iter().any(|h| h == *column) {
            return Err(format!("{name}: no column {column:?}"));
        }
    }
    reader
        .records()
        .map(|r| r.map_err(|e| format!("{name}: {e}")))
        .collect::<Result<Vec<_>, _>>()
        .map(|records| {
            // Reorder each record to `columns` so callers index by position.
            records
                .iter()
                .map(|r| {
                    columns
                        .iter()
                        .map(|c| {
                            let i = headers.iter().position(|h| h == *c).unwrap_or(0);
                            r.get(i).unwrap_or("").trim().to_owned()
                        })
                        .collect()
                })
                .collect()
        })
}

fn flag(name: &str, text: &str) -> Result<bool, String> {
    match text {
        "true" => Ok(true),
        "false" => Ok(false),
        other => Err(format!("{name}: {other:?} is not true or false")),
    }
}

fn listing(listed: Option<bool>) -> &'static str {
    match listed {
        None => "no",
        Some(false) => "yes",
        Some(true) => "yes*",
    }
}

/// Derives both data files. Fails, naming the file, on anything unexpected,
/// so that a changed reference file cannot slip through unnoticed.
pub fn derive(sources: &Sources, catalog: &Catalog) -> Result<Derived, String> {
    let annex_a: BTreeSet<AnnexAId> = rows(ANNEX_A_PATH, sources.annex_a, &["control_id"])?
        .iter()
        .map(|r| r[0].parse().map_err(|e| format!("{ANNEX_A_PATH}: {e}")))
        .collect::<Result<_, _>>()?;

    // (iso, nist) -> (Table 1 asterisk, Table 2 asterisk), None = not listed.
    let mut pairs: BTreeMap<(AnnexAId, NistControlId), (Option<bool>, Option<bool>)> =
        BTreeMap::new();
    for r in rows(
        TABLE1_PATH,
        sources.table1,
        &[
            "nist_control_id",
            "iso27001_2013_ref",
            "ref_kind",
            "does_not_fully_satisfy",
        ],
    )? {
        if r[2] != "annex_a_control" {
            continue;
        }
        let nist: NistControlId = r[0].parse().map_err(|e| format!("{TABLE1_PATH}: {e}"))?;
        let iso: AnnexAId = r[1].parse().map_err(|e| format!("{TABLE1_PATH}: {e}"))?;
        pairs.entry((iso, nist)).or_default().0 = Some(flag(TABLE1_PATH, &r[3])?);
    }
    let mut not_controls: BTreeMap<AnnexAId, Vec<String>> = BTreeMap::new();
    for r in rows(
        TABLE2_PATH,
        sources.table2,
        &[
            "iso27001_2013_id",
            "nist_control_id",
            "iso_does_not_fully_satisfy",
        ],
    )? {
        if !r[0].starts_with("A.") {
            continue;
        }
        let iso: AnnexAId = r[0].parse().map_err(|e| format!("{TABLE2_PATH}: {e}"))?;
        match r[1].parse::<NistControlId>() {
            Ok(nist) => pairs.entry((iso, nist)).or_default().1 = Some(flag(TABLE2_PATH, &r[2])?),
            // Recorded as an exception in the objectives file, never dropped silently.
            Err(_) => not_controls.entry(iso).or_default().push(r[1].clone()),
        }
    }
    for (iso, _) in pairs.keys() {
        if !annex_a.contains(iso) {
            return Err(format!("{iso} is mapped by NIST but not in {ANNEX_A_PATH}"));
        }
    }

    let mut objectives = csv::Writer::from_writer(Vec::new());
    let mut write = |row: [&str; 3]| objectives.write_record(row).map_err(|e| e.to_string());
    write(["ismap_objective", "iso27001_2013", "note"])?;
    let mut matched = BTreeSet::new();
    for control in catalog.controls() {
        let id = control.id;
        if id.level() != Level::Objective || id.chapter() < 5 {
            continue;
        }
        let [a, b, c] = [id.numbers()[0], id.numbers()[1], id.numbers()[2]];
        let same: AnnexAId = format!("A.{a}.{b}.{c}")
            .parse()
            .map_err(|e| format!("{id}: {e}"))?;
        let (iso, mut note) = if id.suffix() == Suffix::P {
            // spec §2: the seven .P objectives are JIS Q 27017's cloud
            // objectives CLD.x.y.z, which ISO/IEC 27001 Annex A lacks.
            (
                String::new(),
                format!(
                    "ISMAP cloud-specific objective from JIS Q 27017:2016 (ISO/IEC 27017:2015) CLD.{a}.{b}.{c}; ISO/IEC 27001:2013 Annex A has no such control, and NIST maps none"
                ),
            )
        } else if annex_a.contains(&same) {
            matched.insert(same);
            (same.to_string(), String::new())
        } else {
            (
                String::new(),
                "no ISO/IEC 27001:2013 Annex A control has this number".to_owned(),
            )
        };
        if let Some(texts) = not_controls.get(&same).filter(|_| !iso.is_empty()) {
            note = format!(
                "NIST Table 2 maps {same} only to {}, which names no SP 800-53 rev5 control (rev4's privacy appendix); no SP 800-53 link",
                texts
                    .iter()
                    .map(|t| format!("\"{t}\""))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        write([&id.to_string(), &iso, &note])?;
    }
    if let Some(unmatched) = annex_a.difference(&matched).next() {
        return Err(format!(
            "Annex A control {unmatched} has no ISMAP objective of the same number in {}",
            catalog.id()
        ));
    }

    let mut links = csv::Writer::from_writer(Vec::new());
    links
        .write_record(["iso27001_2013", "sp800_53r5", "table1", "table2"])
        .map_err(|e| e.to_string())?;
    for ((iso, nist), (t1, t2)) in &pairs {
        links
            .write_record([
                iso.to_string(),
                nist.to_string(),
                listing(*t1).to_owned(),
                listing(*t2).to_owned(),
            ])
            .map_err(|e| e.to_string())?;
    }
    let text = |w: csv::Writer<Vec<u8>>| -> Result<String, String> {
        String::from_utf8(w.into_inner().map_err(|e| e.to_string())?).map_err(|e| e.to_string())
    };
    let both = pairs
        .values()
        .filter(|(a, b)| a.is_some() && b.is_some())
        .count();
    let counts = format!(
        "# Pairs: {} ({both} in both tables, {} in Table 1 only, {} in Table 2 only).\n",
        pairs.len(),
        pairs.values().filter(|(_, b)| b.is_none()).count(),
        pairs.values().filter(|(a, _)| a.is_none()).count(),
    );
    Ok(Derived {
        objectives: format!("{OBJECTIVES_HEADER}{REGENERATE}{}", text(objectives)?),
        links: format!("{LINKS_HEADER}{counts}{REGENERATE}{}", text(links)?),
    })
}
