//! What changed between two catalog versions, control by control.

use std::collections::BTreeSet;

use crate::catalog::{Catalog, Control};
use crate::control_id::{ControlId, ControlNumber};

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CatalogDiff {
    pub added: Vec<ControlId>,
    pub removed: Vec<ControlId>,
    /// Controls in both versions and what differs: `id` (suffix), `title`,
    /// `text`, `origin`, `jis_option`, `liu_important`, `perimeter_wording`.
    pub changed: Vec<(ControlId, Vec<&'static str>)>,
}

fn differences(a: &Control, b: &Control) -> Vec<&'static str> {
    let mut out = Vec::new();
    let checks = [
        ("id", a.id != b.id),
        ("title", a.title != b.title),
        ("text", a.text != b.text),
        ("origin", a.origin != b.origin),
        ("jis_option", a.jis_option != b.jis_option),
        ("liu_important", a.liu_important != b.liu_important),
        (
            "perimeter_wording",
            a.perimeter_wording != b.perimeter_wording,
        ),
    ];
    for (name, differs) in checks {
        if differs {
            out.push(name);
        }
    }
    out
}

/// Compares `older` with `newer`, in numeric order of controls.
pub fn diff(older: &Catalog, newer: &Catalog) -> CatalogDiff {
    let numbers: BTreeSet<ControlNumber> = older
        .controls()
        .iter()
        .chain(newer.controls())
        .map(|c| c.id.number())
        .collect();
    let mut result = CatalogDiff::default();
    for number in numbers {
        match (older.get(number), newer.get(number)) {
            (Some(a), Some(b)) => {
                let fields = differences(a, b);
                if !fields.is_empty() {
                    result.changed.push((b.id, fields));
                }
            }
            (Some(a), None) => result.removed.push(a.id),
            (None, Some(b)) => result.added.push(b.id),
            (None, None) => {}
        }
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synthetic::full_size_catalog;

    #[test]
    fn lists_added_removed_and_changed_controls() {
        let older = full_size_catalog();
        assert_eq!(diff(&older, &older), CatalogDiff::default());
        let (info, chapters, categories) = (
            older.info().clone(),
            older.chapters().to_vec(),
            older.categories().to_vec(),
        );
        let mut controls: Vec<Control> = older.controls().to_vec();
        let removed = controls.pop().expect("controls").id;
        controls[7].text.ja.push_str("（改訂）");
        let changed = controls[7].id;
        let mut added = controls[20].clone();
        added.id = ControlId::new(&[5, 1, 1, 99], crate::Suffix::None).unwrap();
        controls.push(added.clone());
        let newer = Catalog::build(info, chapters, categories, controls).unwrap();
        let d = diff(&older, &newer);
        assert_eq!(d.removed, [removed]);
        assert_eq!(d.added, [added.id]);
        assert_eq!(d.changed, [(changed, vec!["text"])]);
    }
}
