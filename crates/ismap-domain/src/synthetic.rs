//! A full-size catalog and statement in the real proportions of the standard
//! (spec §2: about 1,159 controls), for benchmarks and load tests. The
//! bundled excerpt is much smaller, so it cannot show how the rules scale.

use chrono::NaiveDate;

use crate::catalog::{CatalogInfo, Chapter, Text};
use crate::statement::Service;
use crate::{
    Catalog, Category, Control, ControlDecision, ControlId, Decision, Origin, Registration,
    Registry, ServiceModel, Statement, Suffix,
};

pub const TOTAL_CONTROLS: usize = 1159;
pub const UNDERLYING: &str = "C21-0008-2";

/// Objectives per category of chapters 5–18 (spec §2 structure facts), plus
/// one cloud objective where JIS Q 27017 adds one.
const CONTROL_MEASURE_CATEGORIES: &[(u16, u16, u16)] = &[
    (5, 1, 2),
    (6, 1, 5),
    (6, 2, 2),
    (6, 3, 1),
    (7, 1, 2),
    (7, 2, 3),
    (7, 3, 1),
    (8, 1, 5),
    (8, 2, 3),
    (8, 3, 3),
    (9, 1, 2),
    (9, 2, 6),
    (9, 3, 1),
    (9, 4, 5),
    (9, 5, 2),
    (10, 1, 2),
    (11, 1, 6),
    (11, 2, 9),
    (12, 1, 5),
    (12, 2, 1),
    (12, 3, 1),
    (12, 4, 5),
    (12, 5, 1),
    (12, 6, 2),
    (12, 7, 1),
    (13, 1, 4),
    (13, 2, 4),
    (14, 1, 3),
    (14, 2, 9),
    (14, 3, 1),
    (15, 1, 3),
    (15, 2, 2),
    (16, 1, 7),
    (17, 1, 3),
    (17, 2, 1),
    (18, 1, 5),
    (18, 2, 3),
];

/// Governance 3.1.1–3.1.6 and management 4.4.1–4.9.2 with their real
/// numbers of detailed controls (spec §2 identifier facts).
const GOVERNANCE_AND_MANAGEMENT: &[(u16, u16, u16, u16)] = &[
    (3, 1, 1, 0),
    (3, 1, 2, 3),
    (3, 1, 3, 4),
    (3, 1, 4, 4),
    (3, 1, 5, 5),
    (3, 1, 6, 2),
    (4, 4, 1, 3),
    (4, 4, 2, 1),
    (4, 4, 3, 1),
    (4, 4, 4, 1),
    (4, 4, 5, 3),
    (4, 4, 6, 1),
    (4, 4, 7, 4),
    (4, 4, 8, 5),
    (4, 5, 1, 2),
    (4, 5, 2, 8),
    (4, 5, 3, 1),
    (4, 5, 4, 5),
    (4, 5, 5, 3),
    (4, 6, 1, 2),
    (4, 6, 2, 7),
    (4, 6, 3, 4),
    (4, 7, 1, 7),
    (4, 8, 1, 1),
    (4, 8, 2, 2),
    (4, 9, 1, 1),
    (4, 9, 2, 2),
];

fn control(id: ControlId) -> Control {
    Control {
        id,
        title: Text::new(format!("管理策 {id}"), format!("Control {id}")),
        text: Text::new(format!("{id} の要求事項。"), format!("Requirement {id}.")),
        quoted: false,
        origin: Origin::Unchanged,
        jis_option: false,
        liu_important: id.suffix().is_baseline(),
        perimeter_wording: false,
    }
}

/// The full-size catalog: 24 governance, 85 management, 121 control
/// objectives, and the rest detailed controls spread over the objectives,
/// 31 of them baseline requirements.
pub fn full_size_catalog() -> Catalog {
    let mut controls = Vec::with_capacity(TOTAL_CONTROLS);
    let mut chapters = Vec::new();
    let mut categories = Vec::new();
    let mut add_category = |chapters: &mut Vec<Chapter>, chapter: u16, number: u16| {
        if !chapters.iter().any(|c| c.number == chapter) {
            chapters.push(Chapter {
                number: chapter,
                title: Text::new(format!("第{chapter}章"), format!("Chapter {chapter}")),
            });
        }
        if !categories
            .iter()
            .any(|c: &Category| (c.chapter, c.number) == (chapter, number))
        {
            categories.push(Category {
                chapter,
                number,
                title: Text::new("分類", "Category"),
                purpose: Text::new("目的。", "Purpose."),
            });
        }
    };
    for &(a, b, c, n) in GOVERNANCE_AND_MANAGEMENT {
        add_category(&mut chapters, a, b);
        controls.push(control(ControlId::new(&[a, b, c], Suffix::None).unwrap()));
        for d in 1..=n {
            controls.push(control(
                ControlId::new(&[a, b, c, d], Suffix::None).unwrap(),
            ));
        }
    }
    let mut objectives = Vec::new();
    for &(chapter, category, count) in CONTROL_MEASURE_CATEGORIES {
        add_category(&mut chapters, chapter, category);
        for c in 1..=count {
            objectives.push([chapter, category, c]);
        }
    }
    assert_eq!(objectives.len(), 121);
    let detailed_total = TOTAL_CONTROLS - controls.len() - objectives.len();
    let mut baseline_left = 31;
    for (i, numbers) in objectives.iter().enumerate() {
        controls.push(control(ControlId::new(numbers, Suffix::None).unwrap()));
        // Spread the detailed controls evenly; earlier objectives take the remainder.
        let n =
            detailed_total / objectives.len() + usize::from(i < detailed_total % objectives.len());
        for d in 1..=n as u16 {
            let suffix = if d == 1 && baseline_left > 0 && i % 4 == 0 {
                baseline_left -= 1;
                Suffix::PB
            } else if d == 2 && i % 3 == 0 {
                Suffix::P
            } else {
                Suffix::None
            };
            let [a, b, c] = *numbers;
            controls.push(control(ControlId::new(&[a, b, c, d], suffix).unwrap()));
        }
    }
    let info = CatalogInfo {
        id: "synthetic-full-size".into(),
        version: "1".into(),
        title: Text::new("合成カタログ", "Synthetic catalog"),
        // Every baseline detailed control is marked important: a test set.
        important_controls: Some(crate::catalog::ImportantControls {
            source: "synthetic test catalog".into(),
            assumed: true,
            note: Text::default(),
        }),
        ..CatalogInfo::default()
    };
    Catalog::build(info, chapters, categories, controls).expect("synthetic catalog is well formed")
}

/// A statement deciding every control of `catalog` so that it passes every
/// rule: most controls implemented, every fifth detailed control not
/// selected (never a baseline or cloud one), some baseline ones inherited.
pub fn full_size_statement(catalog: &Catalog) -> Statement {
    let mut statement = Statement {
        catalog: catalog.id().to_owned(),
        catalog_version: Some(catalog.info().version.clone()),
        date: NaiveDate::from_ymd_opt(2026, 4, 1),
        service: Service {
            name: "Synthetic SaaS".into(),
            model: Some(ServiceModel::SaaS),
            scope: "全機能".into(),
            underlying: vec![UNDERLYING.into()],
            ..Service::default()
        },
        ..Statement::default()
    };
    for (position, c) in catalog.controls().iter().enumerate() {
        let leaf = catalog.children_of(position).is_empty();
        let mut entry = ControlDecision::new(c.id, None);
        match c.id.level() {
            crate::Level::Objective => {
                entry.decision = Some(Decision::Selected);
                if leaf {
                    entry.individual_control = Some(format!("{} を満たす個別管理策。", c.id));
                }
            }
            crate::Level::Detailed => {
                let d = c.id.numbers()[3];
                if c.id.suffix().is_baseline() && c.id.chapter() % 2 == 0 {
                    entry.decision = Some(Decision::Inherited);
                    entry.from = Some(UNDERLYING.into());
                    entry.confirmation = Some("基盤サービスの監査報告書を確認した。".into());
                } else if d % 5 == 0 && c.id.suffix() == Suffix::None && c.id.chapter() >= 5 {
                    entry.decision = Some(Decision::NotSelected);
                    entry.reason =
                        Some("リスク評価の結果、他の管理策で十分に低減できるため。".into());
                } else {
                    entry.decision = Some(Decision::Implemented);
                    entry.individual_control =
                        Some(format!("{} について担当者が手順書に従い実施する。", c.id));
                }
            }
        }
        statement.controls.insert(c.id.number(), entry);
    }
    statement
}

/// A registry in which the underlying service is valid on the statement date.
pub fn registry() -> Registry {
    let mut registry = Registry::default();
    registry.insert(Registration {
        number: UNDERLYING.parse().expect("valid number"),
        service_name: "Synthetic IaaS".into(),
        valid_from: NaiveDate::from_ymd_opt(2025, 8, 1).expect("date"),
        valid_until: NaiveDate::from_ymd_opt(2026, 11, 30).expect("date"),
        suspended: false,
        renewal_pending: false,
    });
    registry
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Criteria, Level, rules};

    #[test]
    fn has_the_real_proportions_and_a_clean_statement() {
        let catalog = full_size_catalog();
        assert_eq!(catalog.controls().len(), TOTAL_CONTROLS);
        assert_eq!(catalog.count(Criteria::Governance, Level::Detailed), 18);
        assert_eq!(
            catalog.count(Criteria::Management, Level::Objective)
                + catalog.count(Criteria::Management, Level::Detailed),
            85
        );
        assert_eq!(
            catalog.count(Criteria::ControlMeasures, Level::Objective),
            121
        );
        let baseline = catalog
            .controls()
            .iter()
            .filter(|c| c.id.suffix().is_baseline())
            .count();
        assert_eq!(baseline, 31);
        let statement = full_size_statement(&catalog);
        assert_eq!(
            rules::validate(&catalog, &statement, Some(&registry())),
            vec![]
        );
    }
}
