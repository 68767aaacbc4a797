//! Any OSCAL catalog (NIST SP 800-53 rev4/rev5, a FedRAMP resolved
//! baseline; JSON or XML) as a [`ReferenceFramework`].

use std::collections::HashMap;

use ismap_domain::{ReferenceControl, ReferenceFramework};
use serde_json::Value;

use super::document::{Document, Model};

fn props<'a>(object: &'a Value, name: &'a str) -> impl Iterator<Item = &'a Value> + 'a {
    object["props"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(move |p| p["name"] == name)
}

/// The label people use: NIST gives several (`AC-02` zero-padded, `AC-2`,
/// the SP 800-53A form); the one without a class is the publication's own.
fn label(control: &Value) -> Option<String> {
    let labels: Vec<&Value> = props(control, "label").collect();
    labels
        .iter()
        .find(|p| p.get("class").is_none())
        .or(labels.first())
        .and_then(|p| p["value"].as_str())
        .map(str::to_owned)
}

/// Withdrawn: prop `status` = `withdrawn` (any case), or a class saying so.
pub(crate) fn withdrawn(control: &Value) -> bool {
    props(control, "status").any(|p| {
        p["value"]
            .as_str()
            .is_some_and(|v| v.eq_ignore_ascii_case("withdrawn"))
    }) || control["class"]
        .as_str()
        .is_some_and(|c| c.contains("withdrawn"))
}

/// How a parameter reads inside a statement, as NIST prints it.
fn param_text(param: &Value) -> String {
    if let Some(label) = param["label"].as_str() {
        return format!("[Assignment: {label}]");
    }
    if let Some(choices) = param["select"]["choice"].as_array() {
        let choices: Vec<&str> = choices
            .iter()
            .filter_map(Value::as_str)
            .map(str::trim)
            .collect();
        let how = match param["select"]["how-many"].as_str() {
            Some("one-or-more") => "Selection (one or more)",
            _ => "Selection",
        };
        return format!("[{how}: {}]", choices.join("; "));
    }
    format!("[Assignment: {}]", param["id"].as_str().unwrap_or("?"))
}

/// Replaces `{{ insert: param, id }}` with the parameter's text (choices
/// may insert parameters themselves), and collapses runs of spaces: XML and
/// JSON publications of one catalog differ in little else.
fn substitute(prose: &str, params: &HashMap<&str, String>) -> String {
    let mut text = insert(prose, params, 0);
    while text.contains("  ") {
        text = text.replace("  ", " ");
    }
    text
}

fn insert(prose: &str, params: &HashMap<&str, String>, depth: usize) -> String {
    let mut out = String::with_capacity(prose.len());
    let mut rest = prose;
    while let Some(start) = rest.find("{{") {
        let Some(end) = rest[start..].find("}}") else {
            break;
        };
        let inner = &rest[start + 2..start + end];
        out.push_str(&rest[..start]);
        let mut words = inner.split(',').map(str::trim);
        let replaced = match (words.next(), words.next()) {
            (Some(kind), Some(id)) if kind.trim_start_matches("insert:").trim() == "param" => {
                params.get(id).cloned()
            }
            _ => None,
        };
        match replaced {
            Some(text) if depth < 3 => out.push_str(&insert(&text, params, depth + 1)),
            _ => out.push_str(&rest[start..start + end + 2]),
        }
        rest = &rest[start + end + 2..];
    }
    out.push_str(rest);
    out
}

/// The statement part as text: its prose, then each item on its own line
/// with its label, nested items indented.
fn statement(control: &Value, params: &HashMap<&str, String>) -> String {
    fn part(p: &Value, depth: usize, params: &HashMap<&str, String>, lines: &mut Vec<String>) {
        let label = props(p, "label")
            .next()
            .and_then(|l| l["value"].as_str())
            .map(|l| format!("{l} "))
            .unwrap_or_default();
        if let Some(prose) = p["prose"].as_str() {
            let text = substitute(prose.trim(), params);
            lines.push(format!("{}{label}{text}", "  ".repeat(depth)));
        }
        for child in p["parts"].as_array().into_iter().flatten() {
            if child["name"] == "item" {
                part(child, depth + usize::from(!label.is_empty()), params, lines);
            }
        }
    }
    let mut lines = Vec::new();
    for p in control["parts"].as_array().into_iter().flatten() {
        if p["name"] == "statement" {
            part(p, 0, params, &mut lines);
        }
    }
    lines.join("\n")
}

fn collect_params<'a>(node: &'a Value, out: &mut HashMap<&'a str, String>) {
    for param in node["params"].as_array().into_iter().flatten() {
        if let Some(id) = param["id"].as_str() {
            out.insert(id, param_text(param));
        }
    }
    for key in ["groups", "controls"] {
        for child in node[key].as_array().into_iter().flatten() {
            collect_params(child, out);
        }
    }
}

struct Reader<'a> {
    params: HashMap<&'a str, String>,
    controls: Vec<ReferenceControl>,
}

impl<'a> Reader<'a> {
    fn node(&mut self, node: &'a Value, group: Option<&'a str>, parent: Option<&'a str>) {
        for g in node["groups"].as_array().into_iter().flatten() {
            self.node(g, g["id"].as_str().or(group), None);
        }
        for c in node["controls"].as_array().into_iter().flatten() {
            let Some(id) = c["id"].as_str() else { continue };
            self.controls.push(ReferenceControl {
                id: id.to_owned(),
                label: label(c),
                title: c["title"].as_str().unwrap_or_default().to_owned(),
                class: c["class"].as_str().map(str::to_owned),
                parent: parent.map(str::to_owned),
                group: group.map(str::to_owned),
                statement: statement(c, &self.params),
                withdrawn: withdrawn(c),
            });
            self.node(c, group, Some(id));
        }
    }
}

/// The controls of a catalog document, in document order.
pub fn read_framework(doc: &Document) -> Result<ReferenceFramework, String> {
    if doc.model != Model::Catalog {
        return Err(format!(
            "{} is an OSCAL {}, not a catalog",
            doc.file, doc.model
        ));
    }
    let root = doc.root();
    let mut reader = Reader {
        params: HashMap::new(),
        controls: Vec::new(),
    };
    collect_params(root, &mut reader.params);
    reader.node(root, None, None);
    Ok(ReferenceFramework {
        id: root["uuid"].as_str().unwrap_or_default().to_owned(),
        title: doc.metadata_str("title").unwrap_or_default().to_owned(),
        version: doc.metadata_str("version").unwrap_or_default().to_owned(),
        oscal_version: doc.oscal_version().unwrap_or_default().to_owned(),
        controls: reader.controls,
    })
}

/// The framework as JSON (what `ismap oscal resolve` writes).
pub fn framework_to_json(framework: &ReferenceFramework) -> Value {
    let controls: Vec<Value> = framework
        .controls
        .iter()
        .map(|c| {
            serde_json::json!({
                "id": c.id,
                "label": c.label,
                "title": c.title,
                "class": c.class,
                "parent": c.parent,
                "group": c.group,
                "statement": c.statement,
                "withdrawn": c.withdrawn,
            })
        })
        .collect();
    serde_json::json!({
        "id": framework.id,
        "title": framework.title,
        "version": framework.version,
        "oscal-version": framework.oscal_version,
        "count": framework.controls.len(),
        "controls": controls,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_read_as_nist_prints_them() {
        let params = HashMap::from([("p1", "[Assignment: frequency]".to_owned())]);
        assert_eq!(
            substitute(
                "Review {{ insert: param, p1 }} and {{ insert: param, p9 }}.",
                &params
            ),
            "Review [Assignment: frequency] and {{ insert: param, p9 }}."
        );
    }
}
