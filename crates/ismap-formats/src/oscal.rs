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
    uuid_in(catalog.id(), name)
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

fn uuid_in(catalog_id: &str, name: &str) -> String {
    let namespace = Uuid::new_v5(&Uuid::NAMESPACE_URL, NS.as_bytes());
    Uuid::new_v5(&namespace, format!("{catalog_id}/{name}").as_bytes()).to_string()
}

fn or_dash(text: Option<&str>) -> String {
    match text.map(str::trim) {
        Some(t) if !t.is_empty() => t.to_owned(),
        _ => "-".to_owned(),
    }
}

/// A statement as an OSCAL 1.1.3 system security plan: one implemented
/// requirement per decided control (the decision as a prop, the individual
/// control as the component's description, reasons as remarks), and each
/// underlying registered service as a leveraged authorization that the
/// inherited controls name.
pub fn statement_to_ssp(
    statement: &ismap_domain::Statement,
    catalog: &Catalog,
    last_modified: &str,
) -> Value {
    let service = &statement.service;
    let key = |name: &str| uuid_in(catalog.id(), &format!("ssp/{}/{name}", service.name));
    let date = statement
        .date
        .map(|d| d.to_string())
        .unwrap_or_else(|| last_modified[..10].to_owned());
    let this_system = key("component/this-system");
    let parties: Vec<Value> = service
        .underlying
        .iter()
        .map(|number| json!({ "uuid": key(&format!("party/{number}")), "type": "organization", "name": format!("{number} provider") }))
        .collect();
    let leveraged: Vec<Value> = service
        .underlying
        .iter()
        .map(|number| {
            json!({
                "uuid": key(&format!("leveraged/{number}")),
                "title": number,
                "props": [prop("registration-number", number)],
                "party-uuid": key(&format!("party/{number}")),
                "date-authorized": date,
            })
        })
        .collect();
    let requirements: Vec<Value> = statement
        .controls
        .values()
        .filter_map(|entry| {
            let decision = entry.decision?;
            let control = catalog.get(entry.id.number())?;
            let mut props = vec![prop("decision", decision.key())];
            if let Some(from) = entry.from.as_deref().filter(|f| !f.trim().is_empty()) {
                props.push(prop(
                    "leveraged-authorization-uuid",
                    &key(&format!("leveraged/{}", from.trim())),
                ));
            }
            let description = match decision {
                ismap_domain::Decision::Inherited => or_dash(entry.confirmation.as_deref()),
                _ => or_dash(
                    entry
                        .individual_control
                        .as_deref()
                        .or(entry.reason.as_deref()),
                ),
            };
            let mut requirement = json!({
                "uuid": key(&format!("requirement/{}", control.id)),
                "control-id": oscal_id(control),
                "props": props,
                "by-components": [{
                    "component-uuid": this_system,
                    "uuid": key(&format!("by-component/{}", control.id)),
                    "description": description,
                }],
            });
            if let Some(reason) = entry.reason.as_deref().filter(|r| !r.trim().is_empty()) {
                requirement["remarks"] = json!(reason);
            }
            Some(requirement)
        })
        .collect();
    let mut metadata = json!({
        "title": format!("言明書: {}", service.name),
        "last-modified": last_modified,
        "version": date,
        "oscal-version": OSCAL_VERSION,
    });
    if !parties.is_empty() {
        metadata["parties"] = json!(parties);
    }
    let mut implementation = json!({
        "users": [{ "uuid": key("user/provider"), "title": "クラウドサービス事業者 / cloud service provider" }],
        "components": [{
            "uuid": this_system,
            "type": "this-system",
            "title": service.name,
            "description": or_dash(Some(&service.scope)),
            "status": { "state": "operational" },
        }],
    });
    if !leveraged.is_empty() {
        implementation["leveraged-authorizations"] = json!(leveraged);
    }
    json!({
        "system-security-plan": {
            "uuid": key("ssp"),
            "metadata": metadata,
            "import-profile": { "href": format!("#{}", catalog.id()) },
            "system-characteristics": {
                "system-ids": [{ "identifier-type": format!("{NS}/service"), "id": service.name }],
                "system-name": service.name,
                "description": or_dash(Some(&service.scope)),
                "props": [prop("service-model", service.model.map_or("-", |m| m.key()))],
                "security-sensitivity-level": "confidentiality-2",
                "system-information": {
                    "information-types": [{
                        "uuid": key("information/confidentiality-2"),
                        "title": "機密性2情報 / confidentiality class 2 information",
                        "description": "ISMAP管理基準が想定する、政府機関等の機密性2の情報。",
                    }],
                },
                "status": { "state": "operational" },
                "authorization-boundary": { "description": or_dash(Some(&service.scope)) },
            },
            "system-implementation": implementation,
            "control-implementation": {
                "description": format!("ISMAP statement (言明書) against {} version {}", catalog.id(), catalog.info().version),
                "implemented-requirements": requirements,
            },
        }
    })
}
