//! Writing a statement back out as YAML or JSON, in the contract's shape, so
//! that reading it again gives the same statement (tested round trip).

use ismap_domain::statement::Evidence;
use ismap_domain::{ControlDecision, Statement};
use serde_json::{Map, Value, json};

/// A YAML string literal (JSON strings are valid YAML double-quoted scalars).
fn quoted(text: &str) -> String {
    serde_json::to_string(text).expect("strings serialize")
}

fn fields(c: &ControlDecision) -> Vec<(&'static str, String)> {
    let mut out = vec![(
        "decision",
        c.decision
            .map_or_else(|| "~".to_owned(), |d| d.key().to_owned()),
    )];
    for (name, value) in [
        ("individual_control", &c.individual_control),
        ("reason", &c.reason),
        ("from", &c.from),
        ("confirmation", &c.confirmation),
    ] {
        if let Some(value) = value {
            out.push((name, quoted(value)));
        }
    }
    out
}

fn evidence_line(e: &Evidence) -> String {
    format!(
        "{{ title: {}, reference: {} }}",
        quoted(&e.title),
        quoted(&e.reference)
    )
}

fn risks_yaml(statement: &Statement, out: &mut String) {
    if statement.risks.is_empty() {
        return;
    }
    out.push_str("risks:\n");
    for r in &statement.risks {
        out.push_str(&format!("  - id: {}\n", quoted(&r.id)));
        out.push_str(&format!("    title: {}\n", quoted(&r.title)));
        out.push_str(&format!(
            "    identification: {}\n",
            quoted(&r.identification)
        ));
        out.push_str(&format!("    analysis: {}\n", quoted(&r.analysis)));
        if let Some(level) = r.evaluation {
            out.push_str(&format!("    evaluation: {}\n", level.key()));
        }
        if let Some(treatment) = &r.treatment {
            out.push_str(&format!("    treatment: {}\n", quoted(treatment)));
        }
        let controls: Vec<String> = r.controls.iter().map(|c| quoted(&c.to_string())).collect();
        out.push_str(&format!("    controls: [{}]\n", controls.join(", ")));
    }
}

/// The statement as YAML, controls in numeric order.
pub fn to_yaml(statement: &Statement) -> String {
    let mut out = String::new();
    out.push_str(&format!("catalog: {}\n", quoted(&statement.catalog)));
    if let Some(version) = &statement.catalog_version {
        out.push_str(&format!("catalog_version: {}\n", quoted(version)));
    }
    if let Some(date) = statement.date {
        out.push_str(&format!("date: {date}\n"));
    }
    let s = &statement.service;
    out.push_str("service:\n");
    out.push_str(&format!("  name: {}\n", quoted(&s.name)));
    if let Some(model) = s.model {
        out.push_str(&format!("  model: {}\n", model.key()));
    }
    if let Some(deployment) = &s.deployment {
        out.push_str(&format!("  deployment: {}\n", quoted(deployment)));
    }
    if let Some(url) = &s.url {
        out.push_str(&format!("  url: {}\n", quoted(url)));
    }
    out.push_str(&format!("  scope: {}\n", quoted(&s.scope)));
    let underlying: Vec<String> = s.underlying.iter().map(|u| quoted(u)).collect();
    out.push_str(&format!("  underlying: [{}]\n", underlying.join(", ")));
    if s.zero_trust {
        out.push_str("  zero_trust: true\n");
    }
    risks_yaml(statement, &mut out);
    out.push_str("controls:\n");
    for c in statement.controls.values() {
        let key = quoted(&c.id.to_string());
        if c.evidence.is_empty() {
            let inline: Vec<String> = fields(c).iter().map(|(k, v)| format!("{k}: {v}")).collect();
            out.push_str(&format!("  {key}: {{ {} }}\n", inline.join(", ")));
        } else {
            out.push_str(&format!("  {key}:\n"));
            for (k, v) in fields(c) {
                out.push_str(&format!("    {k}: {v}\n"));
            }
            out.push_str("    evidence:\n");
            for e in &c.evidence {
                out.push_str(&format!("      - {}\n", evidence_line(e)));
            }
        }
    }
    out
}

/// The statement as a JSON document of the same shape.
pub fn to_json(statement: &Statement) -> Value {
    let s = &statement.service;
    let mut service = Map::new();
    service.insert("name".into(), json!(s.name));
    if let Some(model) = s.model {
        service.insert("model".into(), json!(model.key()));
    }
    if let Some(deployment) = &s.deployment {
        service.insert("deployment".into(), json!(deployment));
    }
    if let Some(url) = &s.url {
        service.insert("url".into(), json!(url));
    }
    service.insert("scope".into(), json!(s.scope));
    service.insert("underlying".into(), json!(s.underlying));
    if s.zero_trust {
        service.insert("zero_trust".into(), json!(true));
    }
    let mut controls = Map::new();
    for c in statement.controls.values() {
        let mut entry = Map::new();
        entry.insert("decision".into(), json!(c.decision.map(|d| d.key())));
        for (name, value) in [
            ("individual_control", &c.individual_control),
            ("reason", &c.reason),
            ("from", &c.from),
            ("confirmation", &c.confirmation),
        ] {
            if let Some(value) = value {
                entry.insert(name.into(), json!(value));
            }
        }
        if !c.evidence.is_empty() {
            entry.insert(
                "evidence".into(),
                json!(
                    c.evidence
                        .iter()
                        .map(|e| json!({ "title": e.title, "reference": e.reference }))
                        .collect::<Vec<_>>()
                ),
            );
        }
        controls.insert(c.id.to_string(), Value::Object(entry));
    }
    let mut doc = Map::new();
    doc.insert("catalog".into(), json!(statement.catalog));
    if let Some(version) = &statement.catalog_version {
        doc.insert("catalog_version".into(), json!(version));
    }
    if let Some(date) = statement.date {
        doc.insert("date".into(), json!(date.to_string()));
    }
    doc.insert("service".into(), Value::Object(service));
    if !statement.risks.is_empty() {
        let risks: Vec<Value> = statement
            .risks
            .iter()
            .map(|r| {
                let mut risk = Map::new();
                risk.insert("id".into(), json!(r.id));
                risk.insert("title".into(), json!(r.title));
                risk.insert("identification".into(), json!(r.identification));
                risk.insert("analysis".into(), json!(r.analysis));
                if let Some(level) = r.evaluation {
                    risk.insert("evaluation".into(), json!(level.key()));
                }
                if let Some(treatment) = &r.treatment {
                    risk.insert("treatment".into(), json!(treatment));
                }
                risk.insert(
                    "controls".into(),
                    json!(r.controls.iter().map(|c| c.to_string()).collect::<Vec<_>>()),
                );
                Value::Object(risk)
            })
            .collect();
        doc.insert("risks".into(), json!(risks));
    }
    doc.insert("controls".into(), Value::Object(controls));
    Value::Object(doc)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::statement_file::parse_statement;

    #[test]
    fn the_examples_survive_a_round_trip_through_yaml_and_json() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/");
        for name in [
            "saas-valid.yaml",
            "saas-with-advice.yaml",
            "invalid-inheritance.yaml",
        ] {
            let text = std::fs::read_to_string(format!("{dir}{name}")).unwrap();
            let original = parse_statement(name, &text).unwrap().statement;
            let yaml = to_yaml(&original);
            let again = parse_statement("written.yaml", &yaml).unwrap();
            assert!(again.problems.is_empty(), "{name}: {:?}", again.problems);
            assert_eq!(again.statement, original, "{name} via YAML");
            let json = serde_json::to_string_pretty(&to_json(&original)).unwrap();
            let from_json = parse_statement("written.json", &json).unwrap();
            assert_eq!(from_json.statement, original, "{name} via JSON");
            // Writing is stable: the same statement gives the same text.
            assert_eq!(to_yaml(&again.statement), yaml);
        }
    }

    #[test]
    fn undecided_and_awkward_text_round_trip() {
        let text = "catalog: c\ndate: 2026-01-01\nservice:\n  name: \"a \\\"quoted\\\" name: with colon\"\n  model: SaaS\n  scope: \"改行\\nを含む\"\n  underlying: []\ncontrols:\n  \"8.1.2\": { decision: ~ }\n  \"8.1.2.1\": { decision: not_selected, reason: \"# not a comment, 'quotes' and \\\\ backslash\" }\n";
        let original = parse_statement("s.yaml", text).unwrap().statement;
        let again = parse_statement("w.yaml", &to_yaml(&original))
            .unwrap()
            .statement;
        assert_eq!(again, original);
    }
}
