//! The catalog as an OSCAL 1.1.3 catalog (JSON), for tools that speak
//! OSCAL. Chapters and categories become groups, control objectives become
//! controls with their detailed controls nested inside. Japanese is the
//! catalog's language; English titles and texts ride along as namespaced
//! props and parts. Identifiers (and UUIDs, derived from them) are stable, so
//! exporting the same catalog twice gives the same document.

use ismap_domain::{Catalog, Control, Level};
use serde_json::{Value, json};
use uuid::Uuid;

pub const OSCAL_VERSION: &str = "1.1.3";
/// Namespace of ismap's own props and parts.
pub const NS: &str = "https://ismap.invalid/ns/oscal";

/// A stable UUID for `name` within `catalog` (UUID v5).
fn uuid_for(catalog: &Catalog, name: &str) -> String {
    let namespace = Uuid::new_v5(&Uuid::NAMESPACE_URL, NS.as_bytes());
    Uuid::new_v5(&namespace, format!("{}/{name}", catalog.id()).as_bytes()).to_string()
}

/// OSCAL ids are tokens; control ids such as 8.1.2.7.PB already are, once prefixed.
pub fn oscal_id(control: &Control) -> String {
    format!("ismap-{}", control.id)
}

fn prop(name: &str, value: &str) -> Value {
    json!({ "name": name, "ns": NS, "value": value })
}

fn control(catalog: &Catalog, position: usize) -> Value {
    let c = &catalog.controls()[position];
    let id = oscal_id(c);
    let mut props = vec![
        json!({ "name": "label", "value": c.id.to_string() }),
        prop(
            "level",
            if c.id.level() == Level::Objective {
                "objective"
            } else {
                "detailed"
            },
        ),
        prop("title-en", &c.title.en),
        prop("origin", c.origin.key()),
    ];
    if c.id.suffix().is_baseline() {
        props.push(prop("baseline-requirement", "true"));
    }
    if c.id.suffix().is_cloud_specific() {
        props.push(prop("cloud-specific", "true"));
    }
    for (name, set) in [
        ("jis-option", c.jis_option),
        ("liu-important", c.liu_important),
        ("perimeter-wording", c.perimeter_wording),
        ("verbatim", c.quoted),
    ] {
        if set {
            props.push(prop(name, "true"));
        }
    }
    let mut value = json!({
        "id": id,
        "class": if c.id.level() == Level::Objective { "ismap-objective" } else { "ismap-detailed-control" },
        "title": c.title.ja,
        "props": props,
        "parts": [
            { "id": format!("{id}_smt"), "name": "statement", "prose": c.text.ja },
            { "id": format!("{id}_smt-en"), "name": "statement-en", "ns": NS, "prose": c.text.en },
        ],
    });
    let children: Vec<Value> = catalog
        .children_of(position)
        .map(|child| control(catalog, child))
        .collect();
    if !children.is_empty() {
        value["controls"] = json!(children);
    }
    value
}

/// The OSCAL catalog document; `last_modified` is an RFC 3339 timestamp.
pub fn catalog_to_oscal(catalog: &Catalog, last_modified: &str) -> Value {
    let info = catalog.info();
    let groups: Vec<Value> = catalog
        .chapters()
        .iter()
        .map(|chapter| {
            let categories: Vec<Value> = catalog
                .categories()
                .iter()
                .filter(|c| c.chapter == chapter.number)
                .map(|category| {
                    let id = format!("ismap-cat-{}", category.id());
                    let controls: Vec<Value> = catalog
                        .controls()
                        .iter()
                        .enumerate()
                        .filter(|(_, c)| {
                            c.id.level() == Level::Objective && c.id.category() == (category.chapter, category.number)
                        })
                        .map(|(position, _)| control(catalog, position))
                        .collect();
                    let mut group = json!({
                        "id": id,
                        "class": "ismap-category",
                        "title": category.title.ja,
                        "props": [
                            { "name": "label", "value": category.id() },
                            prop("title-en", &category.title.en),
                        ],
                        "parts": [
                            { "id": format!("{id}_obj"), "name": "objective", "prose": category.purpose.ja },
                            { "id": format!("{id}_obj-en"), "name": "objective-en", "ns": NS, "prose": category.purpose.en },
                        ],
                    });
                    if !controls.is_empty() {
                        group["controls"] = json!(controls);
                    }
                    group
                })
                .collect();
            json!({
                "id": format!("ismap-ch-{}", chapter.number),
                "class": "ismap-chapter",
                "title": chapter.title.ja,
                "props": [
                    { "name": "label", "value": chapter.number.to_string() },
                    prop("title-en", &chapter.title.en),
                ],
                "groups": categories,
            })
        })
        .collect();
    let mut metadata = json!({
        "title": info.title.ja,
        "last-modified": last_modified,
        "version": info.version,
        "oscal-version": OSCAL_VERSION,
        "props": [prop("catalog-id", &info.id), prop("title-en", &info.title.en)],
    });
    if info.excerpt {
        metadata["remarks"] = json!(format!("{}\n\n{}", info.notice.ja, info.notice.en));
    }
    json!({
        "catalog": {
            "uuid": uuid_for(catalog, "catalog"),
            "metadata": metadata,
            "groups": groups,
        }
    })
}
