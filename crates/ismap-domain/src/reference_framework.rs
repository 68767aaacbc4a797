//! A reference framework: a control set other than ISMAP's own (NIST SP
//! 800-53 rev4/rev5, a FedRAMP baseline, any OSCAL catalog), kept as plain
//! values so mappings and coverage can be computed without knowing where it
//! was read from. Control ids are the framework's own tokens (`ac-2.1`); they
//! are not ISMAP control ids and are never parsed as such.

use std::collections::{HashMap, HashSet};

/// One control or control enhancement of a reference framework.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReferenceControl {
    /// The framework's identifier, e.g. `ac-2.1`.
    pub id: String,
    /// The label people use, e.g. `AC-2(1)`; `None` when the source has none.
    pub label: Option<String>,
    pub title: String,
    /// The source's class (`SP800-53`, `SP800-53-enhancement`), if any.
    pub class: Option<String>,
    /// The id of the enclosing control, for enhancements.
    pub parent: Option<String>,
    /// The id of the enclosing group (family), if any, e.g. `ac`.
    pub group: Option<String>,
    /// The statement as text (sub-items on their own lines, labels kept).
    pub statement: String,
    /// Withdrawn controls stay listed, so old mappings still resolve.
    pub withdrawn: bool,
}

/// A whole framework, its controls in the source's document order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReferenceFramework {
    /// A stable identifier of the source document (its OSCAL UUID).
    pub id: String,
    pub title: String,
    pub version: String,
    pub oscal_version: String,
    pub controls: Vec<ReferenceControl>,
}

impl ReferenceFramework {
    pub fn control(&self, id: &str) -> Option<&ReferenceControl> {
        self.controls.iter().find(|c| c.id == id)
    }

    pub fn ids(&self) -> Vec<&str> {
        self.controls.iter().map(|c| c.id.as_str()).collect()
    }

    /// Controls that are not withdrawn.
    pub fn active(&self) -> impl Iterator<Item = &ReferenceControl> {
        self.controls.iter().filter(|c| !c.withdrawn)
    }

    /// The ids of `id`'s children and their children, in document order.
    pub fn descendants(&self, id: &str) -> Vec<&str> {
        let mut wanted: HashSet<&str> = HashSet::from([id]);
        let mut out = Vec::new();
        // Document order puts every child after its parent, so one pass
        // finds grandchildren too.
        for control in &self.controls {
            if let Some(parent) = control.parent.as_deref()
                && wanted.contains(parent)
            {
                wanted.insert(&control.id);
                out.push(control.id.as_str());
            }
        }
        out
    }

    /// A framework with only the controls whose ids are in `keep`, in this
    /// framework's order; the ancestors of kept controls are kept too, so
    /// every `parent` still names a control of the result (OSCAL's `as-is`
    /// structure).
    pub fn select(&self, keep: &HashSet<String>) -> ReferenceFramework {
        let by_id: HashMap<&str, &ReferenceControl> =
            self.controls.iter().map(|c| (c.id.as_str(), c)).collect();
        let mut all: HashSet<&str> = HashSet::new();
        for id in keep {
            let mut current = by_id.get(id.as_str()).copied();
            while let Some(control) = current {
                if !all.insert(control.id.as_str()) {
                    break;
                }
                current = control
                    .parent
                    .as_deref()
                    .and_then(|p| by_id.get(p).copied());
            }
        }
        ReferenceFramework {
            controls: self
                .controls
                .iter()
                .filter(|c| all.contains(c.id.as_str()))
                .cloned()
                .collect(),
            ..self.clone_header()
        }
    }

    fn clone_header(&self) -> ReferenceFramework {
        ReferenceFramework {
            id: self.id.clone(),
            title: self.title.clone(),
            version: self.version.clone(),
            oscal_version: self.oscal_version.clone(),
            controls: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn control(id: &str, parent: Option<&str>) -> ReferenceControl {
        ReferenceControl {
            id: id.to_owned(),
            label: None,
            title: id.to_owned(),
            class: None,
            parent: parent.map(str::to_owned),
            group: None,
            statement: String::new(),
            withdrawn: false,
        }
    }

    fn framework() -> ReferenceFramework {
        ReferenceFramework {
            id: "f".into(),
            title: "F".into(),
            version: "1".into(),
            oscal_version: "1.1.3".into(),
            controls: vec![
                control("ac-1", None),
                control("ac-2", None),
                control("ac-2.1", Some("ac-2")),
                control("ac-2.1.a", Some("ac-2.1")),
                control("ac-3", None),
            ],
        }
    }

    #[test]
    fn an_enhancement_selected_alone_keeps_its_parent_as_structure() {
        let keep = HashSet::from(["ac-2.1".to_owned(), "ac-3".to_owned()]);
        assert_eq!(framework().select(&keep).ids(), ["ac-2", "ac-2.1", "ac-3"]);
    }

    #[test]
    fn descendants_include_grandchildren() {
        assert_eq!(framework().descendants("ac-2"), ["ac-2.1", "ac-2.1.a"]);
    }
}
