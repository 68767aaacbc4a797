//! Moving a statement to a newer catalog version (spec §2: the standard is
//! revised; every statement names the version it was made against).

use crate::catalog::Catalog;
use crate::control_id::ControlId;
use crate::statement::Statement;

/// What the provider must look at after an upgrade.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UpgradeReport {
    /// Decisions carried over unchanged (same number, same text).
    pub carried: Vec<ControlId>,
    /// Carried over, but the control's text or flags changed: decide again.
    pub changed: Vec<ControlId>,
    /// In the new version only: undecided.
    pub added: Vec<ControlId>,
    /// No longer in the catalog: their decisions stay in the earlier
    /// revision, not in the upgraded statement.
    pub removed: Vec<ControlId>,
}

/// The statement moved from catalog `from` to catalog `to`, and what changed.
pub fn upgrade(statement: &Statement, from: &Catalog, to: &Catalog) -> (Statement, UpgradeReport) {
    let mut upgraded = statement.clone();
    upgraded.catalog = to.id().to_owned();
    upgraded.catalog_version = Some(to.info().version.clone());
    upgraded.controls.clear();
    let mut report = UpgradeReport::default();
    for (number, decision) in &statement.controls {
        let Some(new) = to.get(*number) else {
            report.removed.push(decision.id);
            continue;
        };
        let mut carried = decision.clone();
        carried.id = new.id;
        let unchanged = from
            .get(*number)
            .is_some_and(|old| old.id == new.id && old.text == new.text);
        if unchanged {
            report.carried.push(new.id);
        } else {
            report.changed.push(new.id);
        }
        upgraded.controls.insert(*number, carried);
    }
    for control in to.controls() {
        if from.get(control.id.number()).is_none() {
            report.added.push(control.id);
        }
    }
    (upgraded, report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{CatalogInfo, Chapter, Text};
    use crate::statement::{ControlDecision, Decision};
    use crate::{Category, Control, Origin};

    fn catalog(id: &str, controls: &[(&str, &str)]) -> Catalog {
        let info = CatalogInfo {
            id: id.into(),
            version: id.into(),
            title: Text::new("題", "t"),
            ..CatalogInfo::default()
        };
        Catalog::build(
            info,
            vec![Chapter {
                number: 8,
                title: Text::new("章", "c"),
            }],
            vec![Category {
                chapter: 8,
                number: 1,
                title: Text::new("分類", "c"),
                purpose: Text::new("目的", "p"),
            }],
            controls
                .iter()
                .map(|(cid, text)| Control {
                    id: cid.parse().unwrap(),
                    title: Text::new("題", "t"),
                    text: Text::new(*text, *text),
                    quoted: false,
                    origin: Origin::Unchanged,
                    jis_option: false,
                    liu_important: false,
                    perimeter_wording: false,
                })
                .collect(),
        )
        .unwrap()
    }

    #[test]
    fn carries_decisions_over_and_lists_what_to_decide() {
        let old = catalog(
            "v1",
            &[
                ("8.1.2", "a"),
                ("8.1.2.1", "b"),
                ("8.1.2.2", "c"),
                ("8.1.2.3", "d"),
            ],
        );
        let new = catalog(
            "v2",
            &[
                ("8.1.2", "a"),
                ("8.1.2.1", "b"),
                ("8.1.2.2", "c changed"),
                ("8.1.2.3.PB", "d"),
                ("8.1.2.4", "e"),
            ],
        );
        let mut statement = Statement {
            catalog: "v1".into(),
            ..Statement::default()
        };
        for id in ["8.1.2", "8.1.2.1", "8.1.2.2", "8.1.2.3"] {
            let d = ControlDecision::new(id.parse().unwrap(), Some(Decision::Implemented));
            statement.controls.insert(d.id.number(), d);
        }
        let extra = ControlDecision::new("8.1.2.9".parse().unwrap(), Some(Decision::Implemented));
        statement.controls.insert(extra.id.number(), extra);

        let (upgraded, report) = upgrade(&statement, &old, &new);
        let ids = |v: &[ControlId]| v.iter().map(|c| c.to_string()).collect::<Vec<_>>();
        assert_eq!(ids(&report.carried), ["8.1.2", "8.1.2.1"]);
        assert_eq!(ids(&report.changed), ["8.1.2.2", "8.1.2.3.PB"]);
        assert_eq!(ids(&report.added), ["8.1.2.4"]);
        assert_eq!(ids(&report.removed), ["8.1.2.9"]);
        assert_eq!(upgraded.catalog, "v2");
        assert_eq!(upgraded.controls.len(), 4);
        let pb = &upgraded.controls[&"8.1.2.3".parse::<ControlId>().unwrap().number()];
        assert_eq!(
            pb.id.to_string(),
            "8.1.2.3.PB",
            "the new identifier is written"
        );
    }
}
