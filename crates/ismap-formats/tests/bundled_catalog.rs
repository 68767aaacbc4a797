//! The bundled excerpt holds every identifier of the spec's "Identifier
//! facts" (spec §2) and quotes the manual (seed 004) exactly where it says
//! it does.

use std::collections::BTreeMap;

use ismap_domain::{Catalog, ControlId, Criteria, Level};
use ismap_formats::bundled::{ISMAP_2022_EXCERPT, bundled_catalog, default_catalog};

fn catalog() -> &'static Catalog {
    bundled_catalog(ISMAP_2022_EXCERPT).expect("bundled")
}

/// Detailed controls per objective, for objectives of `chapter`.
fn detailed_counts(chapter: u16) -> BTreeMap<String, usize> {
    let catalog = catalog();
    catalog
        .controls()
        .iter()
        .enumerate()
        .filter(|(_, c)| c.id.chapter() == chapter && c.id.level() == Level::Objective)
        .map(|(i, c)| (c.id.to_string(), catalog.children_of(i).len()))
        .collect()
}

fn expected(pairs: &str) -> BTreeMap<String, usize> {
    pairs
        .split_whitespace()
        .map(|pair| {
            let (id, n) = pair.split_once(':').unwrap();
            (id.to_owned(), n.parse().unwrap())
        })
        .collect()
}

#[test]
fn the_default_catalog_is_the_labelled_excerpt() {
    let info = default_catalog().info();
    assert_eq!(info.id, "ismap-2022-excerpt");
    assert!(info.excerpt);
    assert!(info.notice.ja.contains("抜粋"), "{}", info.notice.ja);
    assert!(info.notice.en.to_lowercase().contains("excerpt"));
}

#[test]
fn governance_has_six_objectives_and_eighteen_detailed_controls() {
    assert_eq!(
        detailed_counts(3),
        expected("3.1.1:0 3.1.2:3 3.1.3:4 3.1.4:4 3.1.5:5 3.1.6:2")
    );
    assert_eq!(catalog().count(Criteria::Governance, Level::Detailed), 18);
}

#[test]
fn management_follows_the_identifier_facts() {
    assert_eq!(
        detailed_counts(4),
        expected(
            "4.4.1:3 4.4.2:1 4.4.3:1 4.4.4:1 4.4.5:3 4.4.6:1 4.4.7:4 4.4.8:5 \
             4.5.1:2 4.5.2:8 4.5.3:1 4.5.4:5 4.5.5:3 4.6.1:2 4.6.2:7 4.6.3:4 \
             4.7.1:7 4.8.1:1 4.8.2:2 4.9.1:1 4.9.2:2"
        )
    );
    let management = catalog().count(Criteria::Management, Level::Objective)
        + catalog().count(Criteria::Management, Level::Detailed);
    assert_eq!(management, 85);
}

#[test]
fn control_measures_have_all_121_objectives() {
    let catalog = catalog();
    assert_eq!(
        catalog.count(Criteria::ControlMeasures, Level::Objective),
        121
    );
    let per_category = "5.1:2 6.1:5 6.2:2 7.1:2 7.2:3 7.3:1 8.1:4 8.2:3 8.3:3 9.1:2 9.2:6 9.3:1 \
        9.4:5 10.1:2 11.1:6 11.2:9 12.1:4 12.2:1 12.3:1 12.4:4 12.5:1 12.6:2 12.7:1 13.1:3 \
        13.2:4 14.1:3 14.2:9 14.3:1 15.1:3 15.2:2 16.1:7 17.1:3 17.2:1 18.1:5 18.2:3";
    for (category, count) in expected(per_category) {
        let (chapter, number) = category.split_once('.').unwrap();
        let key = (chapter.parse().unwrap(), number.parse().unwrap());
        let plain = catalog
            .controls()
            .iter()
            .filter(|c| {
                c.id.category() == key
                    && c.id.level() == Level::Objective
                    && !c.id.suffix().is_cloud_specific()
            })
            .count();
        assert_eq!(plain, count, "objectives in {category}");
        let title = catalog.category(key.0, key.1).expect("category listed");
        assert!(!title.purpose.ja.is_empty());
    }
    for cloud in [
        "6.3.1.P", "8.1.5.P", "9.5.1.P", "9.5.2.P", "12.1.5.P", "12.4.5.P", "13.1.4.P",
    ] {
        let id: ControlId = cloud.parse().unwrap();
        assert_eq!(catalog.get(id.number()).map(|c| c.id), Some(id), "{cloud}");
    }
}

#[test]
fn the_31_baseline_requirements_are_exactly_the_baseline_controls() {
    let listed = "6.1.1.13.PB 6.1.3.3.PB 6.3.1.1.PB 7.2.2.19.PB 8.1.1.6.PB 8.1.2.7.PB \
        8.2.2.7.PB 9.2.1.6.PB 9.2.2.8.PB 9.2.3.11.PB 9.2.4.9.PB 9.4.1.8.PB 9.4.2.2.B \
        9.5.2.1.PB 10.1.1.9.PB 10.1.2.20.PB 11.2.7.4.PB 12.1.2.11.PB 12.1.3.9.PB \
        12.1.5.1.PB 12.4.1.15.PB 12.4.4.4.PB 12.6.1.18.PB 14.2.1.13.PB 15.1.1.14.B \
        15.1.1.16.B 15.1.2.18.PB 16.1.7.13.PB 18.1.2.13.PB 18.1.3.13.PB 18.1.5.7.PB";
    let mut expected: Vec<String> = listed.split_whitespace().map(str::to_owned).collect();
    let mut baseline: Vec<String> = catalog()
        .controls()
        .iter()
        .filter(|c| c.id.suffix().is_baseline())
        .map(|c| c.id.to_string())
        .collect();
    expected.sort();
    baseline.sort();
    assert_eq!(baseline, expected);
}

#[test]
fn the_controls_quoted_in_the_manual_are_present() {
    let catalog = catalog();
    for (objective, detailed) in [
        ("3.1.4", 4),
        ("5.1.1", 14),
        ("6.1.4", 7),
        ("8.1.2", 7),
        ("12.3.1", 2),
    ] {
        assert_eq!(
            detailed_counts(objective.split('.').next().unwrap().parse().unwrap())[objective],
            detailed,
            "{objective}"
        );
    }
    let get = |id: &str| {
        catalog
            .get(id.parse::<ControlId>().unwrap().number())
            .unwrap()
    };
    assert_eq!(get("6.1.4.7").origin, ismap_domain::Origin::NewInIsmap);
    assert!(get("5.1.1.2").jis_option && get("5.1.1.14").jis_option && !get("5.1.1.1").jis_option);
    assert!(
        get("8.1.2.7.PB")
            .text
            .ja
            .contains("暗号鍵を管理し消去する機能")
    );
    assert!(get("11.2.7").quoted);
    assert_eq!(get("12.3.1.18.P").id.to_string(), "12.3.1.18.P");
}

/// Letters only: the manual's tables break lines and add markup where the
/// pack joins text with spaces.
fn letters(text: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in text.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            _ if in_tag || c.is_whitespace() => {}
            '（' => out.push('('),
            '）' => out.push(')'),
            _ => out.push(c),
        }
    }
    out
}

#[test]
fn every_quoted_text_is_verbatim_from_the_manual() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/seeds/004_3b4a508670dd4df9.txt"
    );
    let manual = std::fs::read_to_string(path).unwrap_or_else(|e| {
        panic!("the seed documents must be beside the repository ({path}): {e}")
    });
    let manual = letters(&manual).replace("ISMAP管理基準において新たに追加", "");
    let quoted: Vec<_> = catalog().controls().iter().filter(|c| c.quoted).collect();
    assert!(quoted.len() >= 40, "only {} quoted controls", quoted.len());
    for control in quoted {
        // Table cells of one control may stand apart in the manual, so each
        // sentence is checked on its own.
        for sentence in letters(&control.text.ja)
            .split('。')
            .filter(|s| !s.is_empty())
        {
            assert!(
                manual.contains(sentence),
                "{} is marked quoted but this is not in the manual: {sentence}",
                control.id,
            );
        }
    }
}
