//! The crosswalk's answers as JSON and CSV (`ismap crosswalk --format`).

use ismap_domain::Catalog;
use ismap_domain::crosswalk::{Coverage, Crosswalk, Strength, Summary};
use serde_json::{Value, json};

fn strength_key(strength: Strength) -> &'static str {
    match strength {
        Strength::Full => "full",
        Strength::Partial => "partial",
    }
}

/// A held link as printed in text and CSV: partial links carry `*`.
pub fn held_label(id: &impl std::fmt::Display, strength: Strength) -> String {
    match strength {
        Strength::Full => id.to_string(),
        Strength::Partial => format!("{id}*"),
    }
}

fn title(catalog: &Catalog, c: &Coverage) -> (String, String) {
    catalog
        .get(c.objective.number())
        .map(|control| (control.title.ja.clone(), control.title.en.clone()))
        .unwrap_or_default()
}

fn note(crosswalk: &Crosswalk, c: &Coverage) -> String {
    crosswalk
        .objective(c.objective.number())
        .map(|o| o.note.clone())
        .unwrap_or_default()
}

pub fn summary_json(summary: &Summary) -> Value {
    json!({
        "objectives": summary.total(),
        "covered": summary.covered,
        "partly": summary.partly,
        "not_covered": summary.not_covered,
        "no_counterpart": summary.no_counterpart,
    })
}

/// Where the holdings came from, for the JSON `source`.
pub struct SourceInfo<'a> {
    /// `iso27001`, `nist-controls`, `fedramp-baseline` or `ssp`.
    pub kind: &'a str,
    pub name: &'a str,
    /// How many controls are held.
    pub held: usize,
    pub set_aside: &'a [String],
}

/// The whole answer as JSON (`ismap crosswalk --format json`,
/// `/api/v1/crosswalk`).
pub fn report_json(
    source: &SourceInfo<'_>,
    coverage: &[Coverage],
    crosswalk: &Crosswalk,
    catalog: &Catalog,
) -> Value {
    json!({
        "catalog": catalog.id(),
        "source": {
            "kind": source.kind,
            "name": source.name,
            "held": source.held,
            "set_aside": source.set_aside,
        },
        "summary": summary_json(&Summary::of(coverage)),
        "objectives": coverage_json(coverage, crosswalk, catalog),
    })
}

/// One object per objective, in order.
pub fn coverage_json(coverage: &[Coverage], crosswalk: &Crosswalk, catalog: &Catalog) -> Value {
    coverage
        .iter()
        .map(|c| {
            let (ja, en) = title(catalog, c);
            json!({
                "objective": c.objective.to_string(),
                "chapter": c.objective.chapter(),
                "title": { "ja": ja, "en": en },
                "status": c.status.key(),
                "reason": c.reason.key(),
                "iso27001": c.iso27001.map(|i| i.to_string()),
                "nist_held": c.held.iter().map(|(id, s)| json!({ "id": id.to_string(), "strength": strength_key(*s) })).collect::<Vec<_>>(),
                "nist_missing": c.missing.iter().map(|id| id.to_string()).collect::<Vec<_>>(),
                "note": note(crosswalk, c),
            })
        })
        .collect()
}

/// One row per objective; lists of ids are separated by spaces and partial
/// links end in `*`.
pub fn coverage_csv(coverage: &[Coverage], crosswalk: &Crosswalk, catalog: &Catalog) -> String {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let mut rows = vec![
        [
            "objective",
            "chapter",
            "title_ja",
            "title_en",
            "status",
            "reason",
            "iso27001",
            "nist_held",
            "nist_missing",
            "note",
        ]
        .map(str::to_owned),
    ];
    for c in coverage {
        let (ja, en) = title(catalog, c);
        let join = |ids: Vec<String>| ids.join(" ");
        rows.push([
            c.objective.to_string(),
            c.objective.chapter().to_string(),
            ja,
            en,
            c.status.key().to_owned(),
            c.reason.key().to_owned(),
            c.iso27001.map(|i| i.to_string()).unwrap_or_default(),
            join(c.held.iter().map(|(id, s)| held_label(id, *s)).collect()),
            join(c.missing.iter().map(|id| id.to_string()).collect()),
            note(crosswalk, c),
        ]);
    }
    for row in rows {
        // Writing to memory cannot fail.
        let _ = writer.write_record(
            row.iter()
                .map(|cell| crate::cells::csv_safe(cell).into_owned()),
        );
    }
    String::from_utf8(writer.into_inner().unwrap_or_default()).unwrap_or_default()
}
