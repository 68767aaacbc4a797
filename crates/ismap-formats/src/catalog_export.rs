//! A catalog written out as JSON or CSV for other tools.

use ismap_domain::{Catalog, Control, Text};
use serde_json::{Value, json};

fn text(t: &Text) -> Value {
    json!({ "ja": t.ja, "en": t.en })
}

fn level(control: &Control) -> &'static str {
    match control.id.level() {
        ismap_domain::Level::Objective => "objective",
        ismap_domain::Level::Detailed => "detailed",
    }
}

/// One control, as it appears in the catalog export.
pub fn control_json(c: &Control) -> Value {
    let (chapter, category) = c.id.category();
    json!({
        "id": c.id.to_string(),
        "level": level(c),
        "criteria": c.criteria().key(),
        "chapter": chapter,
        "category": format!("{chapter}.{category}"),
        "objective": c.id.objective_number().to_string(),
        "suffix": c.id.suffix().as_str(),
        "baseline": c.id.suffix().is_baseline(),
        "cloud_specific": c.id.suffix().is_cloud_specific(),
        "title": text(&c.title),
        "text": text(&c.text),
        "quoted": c.quoted,
        "origin": c.origin.key(),
        "jis_option": c.jis_option,
        "liu_important": c.liu_important,
        "perimeter_wording": c.perimeter_wording,
    })
}

/// The whole catalog as one JSON document.
pub fn to_json(catalog: &Catalog) -> Value {
    let info = catalog.info();
    let controls: Vec<Value> = catalog.controls().iter().map(control_json).collect();
    json!({
        "id": info.id,
        "version": info.version,
        "title": text(&info.title),
        "excerpt": info.excerpt,
        "notice": text(&info.notice),
        "source": info.source,
        "chapters": catalog.chapters().iter().map(|c| json!({
            "number": c.number,
            "title": text(&c.title),
        })).collect::<Vec<_>>(),
        "categories": catalog.categories().iter().map(|c| json!({
            "id": c.id(),
            "title": text(&c.title),
            "purpose": text(&c.purpose),
        })).collect::<Vec<_>>(),
        "controls": controls,
    })
}

const CSV_HEADER: [&str; 15] = [
    "id",
    "level",
    "criteria",
    "objective",
    "suffix",
    "baseline",
    "cloud_specific",
    "origin",
    "jis_option",
    "liu_important",
    "quoted",
    "title_ja",
    "title_en",
    "text_ja",
    "text_en",
];

/// One row per control.
pub fn to_csv(catalog: &Catalog) -> String {
    let mut writer = csv::Writer::from_writer(Vec::new());
    // Titles come from catalog packs: a cell a spreadsheet would read as a
    // formula is written as text (crate::cells).
    let write = |writer: &mut csv::Writer<Vec<u8>>, row: &[&str]| {
        writer
            .write_record(
                row.iter()
                    .map(|cell| crate::cells::csv_safe(cell).into_owned()),
            )
            .expect("writing to memory cannot fail");
    };
    write(&mut writer, &CSV_HEADER);
    for c in catalog.controls() {
        let flag = |b: bool| if b { "true" } else { "false" };
        let id = c.id.to_string();
        let objective = c.id.objective_number().to_string();
        write(
            &mut writer,
            &[
                &id,
                level(c),
                c.criteria().key(),
                &objective,
                c.id.suffix().as_str(),
                flag(c.id.suffix().is_baseline()),
                flag(c.id.suffix().is_cloud_specific()),
                c.origin.key(),
                flag(c.jis_option),
                flag(c.liu_important),
                flag(c.quoted),
                &c.title.ja,
                &c.title.en,
                &c.text.ja,
                &c.text.en,
            ],
        );
    }
    String::from_utf8(writer.into_inner().expect("in-memory writer flushes"))
        .expect("all fields are UTF-8")
}
