//! What changed between two revisions of a statement, control by control.

use std::collections::BTreeSet;

use crate::control_id::{ControlId, ControlNumber};
use crate::statement::{ControlDecision, Statement};

/// One control that differs between two revisions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ControlChange {
    pub id: ControlId,
    pub before: Option<ControlDecision>,
    pub after: Option<ControlDecision>,
    /// The fields that differ: `decision`, `individual_control`, `reason`,
    /// `from`, `confirmation`, `evidence`, or `entry` when the control was
    /// added to or removed from the file.
    pub fields: Vec<&'static str>,
}

impl ControlChange {
    pub fn decision_changed(&self) -> bool {
        self.fields.contains(&"decision") || self.fields.contains(&"entry")
    }
}

/// A statement-level field that differs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldChange {
    pub field: &'static str,
    pub before: String,
    pub after: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StatementDiff {
    pub fields: Vec<FieldChange>,
    pub controls: Vec<ControlChange>,
}

impl StatementDiff {
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty() && self.controls.is_empty()
    }
}

fn differing_fields(a: &ControlDecision, b: &ControlDecision) -> Vec<&'static str> {
    let mut fields = Vec::new();
    if a.decision != b.decision {
        fields.push("decision");
    }
    let pairs = [
        (
            "individual_control",
            &a.individual_control,
            &b.individual_control,
        ),
        ("reason", &a.reason, &b.reason),
        ("from", &a.from, &b.from),
        ("confirmation", &a.confirmation, &b.confirmation),
    ];
    for (name, x, y) in pairs {
        if x != y {
            fields.push(name);
        }
    }
    if a.evidence != b.evidence {
        fields.push("evidence");
    }
    if a.id.suffix() != b.id.suffix() {
        fields.push("id");
    }
    fields
}

/// Compares `before` with `after`.
pub fn diff(before: &Statement, after: &Statement) -> StatementDiff {
    let mut fields = Vec::new();
    let mut field = |name: &'static str, a: String, b: String| {
        if a != b {
            fields.push(FieldChange {
                field: name,
                before: a,
                after: b,
            });
        }
    };
    field("catalog", before.catalog.clone(), after.catalog.clone());
    field(
        "date",
        before.date.map(|d| d.to_string()).unwrap_or_default(),
        after.date.map(|d| d.to_string()).unwrap_or_default(),
    );
    let (s, t) = (&before.service, &after.service);
    field("service.name", s.name.clone(), t.name.clone());
    field(
        "service.model",
        s.model.map(|m| m.key().to_owned()).unwrap_or_default(),
        t.model.map(|m| m.key().to_owned()).unwrap_or_default(),
    );
    field("service.scope", s.scope.clone(), t.scope.clone());
    field(
        "service.underlying",
        s.underlying.join(", "),
        t.underlying.join(", "),
    );
    field(
        "service.zero_trust",
        s.zero_trust.to_string(),
        t.zero_trust.to_string(),
    );
    let risk_summary = |st: &Statement| {
        st.risks
            .iter()
            .map(|r| format!("{} {}", r.id, r.title))
            .collect::<Vec<_>>()
            .join("; ")
    };
    if before.risks != after.risks {
        fields.push(FieldChange {
            field: "risks",
            before: risk_summary(before),
            after: risk_summary(after),
        });
    }

    let numbers: BTreeSet<ControlNumber> = before
        .controls
        .keys()
        .chain(after.controls.keys())
        .copied()
        .collect();
    let controls = numbers
        .into_iter()
        .filter_map(|number| {
            let a = before.controls.get(&number);
            let b = after.controls.get(&number);
            let (id, fields) = match (a, b) {
                (Some(a), Some(b)) => (b.id, differing_fields(a, b)),
                (Some(a), None) => (a.id, vec!["entry"]),
                (None, Some(b)) => (b.id, vec!["entry"]),
                (None, None) => unreachable!("the number comes from one of them"),
            };
            (!fields.is_empty()).then(|| ControlChange {
                id,
                before: a.cloned(),
                after: b.cloned(),
                fields,
            })
        })
        .collect();
    StatementDiff { fields, controls }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::statement::Decision;

    fn decision(id: &str, d: Decision, text: &str) -> ControlDecision {
        let mut c = ControlDecision::new(id.parse().unwrap(), Some(d));
        c.individual_control = Some(text.into());
        c
    }

    fn statement(decisions: Vec<ControlDecision>) -> Statement {
        Statement {
            catalog: "c".into(),
            controls: decisions.into_iter().map(|d| (d.id.number(), d)).collect(),
            ..Statement::default()
        }
    }

    #[test]
    fn lists_changed_added_and_removed_controls() {
        let a = statement(vec![
            decision("8.1.2.1", Decision::Implemented, "old"),
            decision("8.1.2.2", Decision::Implemented, "same"),
            decision("8.1.2.3", Decision::Implemented, "gone"),
        ]);
        let mut b = statement(vec![
            decision("8.1.2.1", Decision::Implemented, "new"),
            decision("8.1.2.2", Decision::Implemented, "same"),
            decision("8.1.2.4", Decision::NotSelected, ""),
        ]);
        b.service.scope = "広がった範囲".into();
        let d = diff(&a, &b);
        let summary: Vec<(String, Vec<&str>)> = d
            .controls
            .iter()
            .map(|c| (c.id.to_string(), c.fields.clone()))
            .collect();
        assert_eq!(
            summary,
            [
                ("8.1.2.1".to_owned(), vec!["individual_control"]),
                ("8.1.2.3".to_owned(), vec!["entry"]),
                ("8.1.2.4".to_owned(), vec!["entry"]),
            ]
        );
        assert!(!d.controls[0].decision_changed());
        assert!(d.controls[1].decision_changed());
        assert_eq!(d.fields[0].field, "service.scope");
        assert!(diff(&a, &a).is_empty());
    }
}
