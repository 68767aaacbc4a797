//! Each statement rule and advisory, exercised on a small catalog built in
//! code. Every test starts from a statement with no findings and breaks one
//! thing, so removing a rule makes its test fail.

use chrono::NaiveDate;
use ismap_domain::catalog::{CatalogInfo, Chapter, Text};
use ismap_domain::rules::{reads_as_a_sentence, validate};
use ismap_domain::statement::Service;
use ismap_domain::{
    Catalog, Category, Control, ControlDecision, ControlId, Decision, Finding, FindingKind, Origin,
    Registration, Registry, RuleId, ServiceModel, Severity, Statement,
};

const IAAS: &str = "C21-0008-2";

fn id(text: &str) -> ControlId {
    text.parse().unwrap()
}

fn date(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

fn control(text: &str) -> Control {
    Control {
        id: id(text),
        title: Text::new("題", "title"),
        text: Text::new("本文", "text"),
        quoted: false,
        origin: Origin::Unchanged,
        jis_option: false,
        liu_important: false,
        perimeter_wording: false,
    }
}

fn catalog() -> Catalog {
    let chapters = [3, 4, 8, 11, 12, 13]
        .into_iter()
        .map(|number| Chapter {
            number,
            title: Text::new("章", "chapter"),
        })
        .collect();
    let categories = [(3, 1), (4, 4), (8, 1), (11, 2), (12, 3), (13, 1)]
        .into_iter()
        .map(|(chapter, number)| Category {
            chapter,
            number,
            title: Text::new("分類", "category"),
            purpose: Text::new("目的", "purpose"),
        })
        .collect();
    let mut perimeter = control("13.1.1");
    perimeter.perimeter_wording = true;
    let controls = [
        "3.1.1",
        "3.1.2",
        "3.1.2.1",
        "3.1.2.2",
        "4.4.1",
        "4.4.1.1",
        "8.1.2",
        "8.1.2.1",
        "8.1.2.2",
        "8.1.2.7.PB",
        "8.1.5.P",
        "11.2.7",
        "11.2.7.4.PB",
        "12.3.1",
        "12.3.1.11",
        "12.3.1.18.P",
    ]
    .into_iter()
    .map(control)
    .chain([perimeter])
    .collect();
    let info = CatalogInfo {
        id: "test-catalog".into(),
        version: "1".into(),
        title: Text::new("試験用", "test"),
        ..CatalogInfo::default()
    };
    Catalog::build(info, chapters, categories, controls).unwrap()
}

fn implemented(text: &str) -> ControlDecision {
    let mut d = ControlDecision::new(id(text), Some(Decision::Implemented));
    d.individual_control = Some("担当者が月次で確認する。".into());
    d
}

fn selected(text: &str) -> ControlDecision {
    ControlDecision::new(id(text), Some(Decision::Selected))
}

fn selected_with_text(text: &str) -> ControlDecision {
    let mut d = selected(text);
    d.individual_control = Some("統制目標を直接満たす個別管理策。".into());
    d
}

fn inherited(text: &str) -> ControlDecision {
    let mut d = ControlDecision::new(id(text), Some(Decision::Inherited));
    d.from = Some(IAAS.into());
    d.confirmation = Some("基盤IaaSのISMAP登録と監査報告書を確認した。".into());
    d
}

fn not_selected(text: &str, reason: &str) -> ControlDecision {
    let mut d = ControlDecision::new(id(text), Some(Decision::NotSelected));
    d.reason = Some(reason.into());
    d
}

fn excluded(text: &str, reason: &str) -> ControlDecision {
    let mut d = ControlDecision::new(id(text), Some(Decision::Excluded));
    d.reason = Some(reason.into());
    d
}

/// A statement with no findings at all against [`catalog`] and [`registry`].
fn valid_statement() -> Statement {
    let decisions = [
        selected_with_text("3.1.1"),
        selected("3.1.2"),
        implemented("3.1.2.1"),
        implemented("3.1.2.2"),
        selected("4.4.1"),
        implemented("4.4.1.1"),
        selected("8.1.2"),
        implemented("8.1.2.1"),
        not_selected(
            "8.1.2.2",
            "資産の管理責任者は単一部門に集約しているため不要である。",
        ),
        implemented("8.1.2.7.PB"),
        selected_with_text("8.1.5.P"),
        selected("11.2.7"),
        inherited("11.2.7.4.PB"),
        selected("12.3.1"),
        implemented("12.3.1.11"),
        implemented("12.3.1.18.P"),
        selected_with_text("13.1.1"),
    ];
    Statement {
        catalog: "test-catalog".into(),
        catalog_version: None,
        date: Some(date("2026-04-01")),
        service: Service {
            name: "Example SaaS".into(),
            model: Some(ServiceModel::SaaS),
            scope: "文書管理機能".into(),
            underlying: vec![IAAS.into()],
            ..Service::default()
        },
        controls: decisions.into_iter().map(|d| (d.id.number(), d)).collect(),
        risks: Vec::new(),
    }
}

fn registry() -> Registry {
    let mut registry = Registry::default();
    registry.insert(Registration {
        number: IAAS.parse().unwrap(),
        service_name: "Example IaaS".into(),
        valid_from: date("2025-08-01"),
        valid_until: date("2026-11-30"),
        suspended: false,
        renewal_pending: false,
    });
    registry
}

fn findings(statement: &Statement) -> Vec<Finding> {
    validate(&catalog(), statement, Some(&registry()))
}

fn set(statement: &mut Statement, decision: ControlDecision) {
    statement.controls.insert(decision.id.number(), decision);
}

fn remove(statement: &mut Statement, text: &str) {
    statement.controls.remove(&id(text).number());
}

/// Asserts that exactly one finding exists and that it is the expected one.
fn assert_only(statement: &Statement, rule: RuleId, control: Option<&str>, kind: FindingKind) {
    let found = findings(statement);
    assert_eq!(
        found,
        vec![Finding::new(rule, control.map(id), kind)],
        "findings: {found:#?}"
    );
}

fn has(found: &[Finding], rule: RuleId, control: &str) -> bool {
    found
        .iter()
        .any(|f| f.rule == rule && f.control == Some(id(control)))
}

#[test]
fn the_valid_statement_has_no_findings() {
    assert_eq!(findings(&valid_statement()), vec![]);
}

#[test]
fn s1_governance_detailed_control_must_be_implemented() {
    let mut s = valid_statement();
    set(
        &mut s,
        not_selected("3.1.2.2", "経営陣の評価は別の手段で行うため不要である。"),
    );
    assert_only(
        &s,
        RuleId::S1,
        Some("3.1.2.2"),
        FindingKind::GovernanceMustBeImplemented {
            decision: Decision::NotSelected,
        },
    );
}

#[test]
fn s1_management_controls_cannot_be_inherited() {
    let mut s = valid_statement();
    set(&mut s, inherited("4.4.1.1"));
    assert_only(
        &s,
        RuleId::S1,
        Some("4.4.1.1"),
        FindingKind::GovernanceMustBeImplemented {
            decision: Decision::Inherited,
        },
    );
}

#[test]
fn s1_governance_objective_cannot_be_excluded_or_left_out() {
    let mut s = valid_statement();
    set(
        &mut s,
        excluded(
            "3.1.1",
            "当社の経営陣はガバナンスを委任しているためである。",
        ),
    );
    assert_only(
        &s,
        RuleId::S1,
        Some("3.1.1"),
        FindingKind::GovernanceObjectiveMustBeSelected,
    );
    let mut s = valid_statement();
    remove(&mut s, "4.4.1.1");
    assert_only(&s, RuleId::S1, Some("4.4.1.1"), FindingKind::Undecided);
}

#[test]
fn s2_undecided_objective_is_an_error() {
    let mut s = valid_statement();
    remove(&mut s, "13.1.1");
    assert_only(&s, RuleId::S2, Some("13.1.1"), FindingKind::Undecided);
}

#[test]
fn s2_exclusion_needs_a_reason() {
    let mut s = valid_statement();
    set(&mut s, excluded("13.1.1", ""));
    assert_only(
        &s,
        RuleId::S2,
        Some("13.1.1"),
        FindingKind::ExcludedWithoutReason,
    );
}

#[test]
fn s2_excluded_objective_cannot_keep_implemented_detailed_controls() {
    let mut s = valid_statement();
    set(
        &mut s,
        excluded(
            "12.3.1",
            "本サービスは利用者データを一切保存しないためである。",
        ),
    );
    let found = findings(&s);
    assert!(has(&found, RuleId::S2, "12.3.1.11"), "{found:#?}");
    assert!(has(&found, RuleId::S2, "12.3.1.18.P"), "{found:#?}");
    assert!(found.iter().all(|f| f.rule == RuleId::S2));
}

#[test]
fn excluded_objective_frees_its_detailed_and_baseline_controls() {
    let mut s = valid_statement();
    set(
        &mut s,
        excluded(
            "11.2.7",
            "本サービスは記憶媒体を内蔵する装置を一切保有しないためである。",
        ),
    );
    // The .PB control may be excluded with it, or left out entirely.
    set(
        &mut s,
        excluded("11.2.7.4.PB", "統制目標11.2.7を対象外としたためである。"),
    );
    assert_eq!(findings(&s), vec![]);
    remove(&mut s, "11.2.7.4.PB");
    assert_eq!(findings(&s), vec![]);
}

#[test]
fn s3_not_selected_needs_its_own_reason() {
    let mut s = valid_statement();
    set(&mut s, not_selected("8.1.2.2", "  "));
    assert_only(
        &s,
        RuleId::S3,
        Some("8.1.2.2"),
        FindingKind::NotSelectedWithoutReason,
    );
}

#[test]
fn s3_undecided_detailed_control_is_an_error() {
    let mut s = valid_statement();
    remove(&mut s, "8.1.2.2");
    assert_only(&s, RuleId::S3, Some("8.1.2.2"), FindingKind::Undecided);
}

#[test]
fn s3_excluded_only_with_the_objective() {
    let mut s = valid_statement();
    set(
        &mut s,
        excluded(
            "8.1.2.2",
            "資産の管理責任者は単一部門に集約しているためである。",
        ),
    );
    assert_only(
        &s,
        RuleId::S3,
        Some("8.1.2.2"),
        FindingKind::ExcludedWhileObjectiveSelected {
            objective: id("8.1.2"),
        },
    );
}

#[test]
fn s4_baseline_requirement_cannot_be_left_unselected() {
    let mut s = valid_statement();
    set(&mut s, implemented("8.1.2.2"));
    set(
        &mut s,
        not_selected(
            "8.1.2.7.PB",
            "利用者が自ら暗号化するため当社では提供しない。",
        ),
    );
    assert_only(
        &s,
        RuleId::S4,
        Some("8.1.2.7.PB"),
        FindingKind::BaselineNotImplemented {
            decision: Decision::NotSelected,
        },
    );
}

#[test]
fn s4_inherited_baseline_requirement_is_accepted() {
    let mut s = valid_statement();
    set(&mut s, inherited("8.1.2.7.PB"));
    assert_eq!(findings(&s), vec![]);
}

#[test]
fn s5_selected_objective_needs_a_selected_detailed_control() {
    let mut s = valid_statement();
    set(
        &mut s,
        not_selected(
            "12.3.1.11",
            "バックアップは全て利用者鍵で暗号化済みであるため。",
        ),
    );
    set(&mut s, inherited("12.3.1.18.P"));
    // Still one in effect: no S5.
    assert_eq!(
        findings(&s),
        vec![Finding::new(
            RuleId::A3,
            Some(id("12.3.1")),
            FindingKind::SingleDetailedControl
        )]
    );
    set(
        &mut s,
        not_selected(
            "12.3.1.18.P",
            "バックアップ取得機能を提供していないためである。",
        ),
    );
    let found = findings(&s);
    assert!(has(&found, RuleId::S5, "12.3.1"), "{found:#?}");
}

#[test]
fn s6_implemented_control_needs_individual_control_text() {
    let mut s = valid_statement();
    let mut d = implemented("8.1.2.1");
    d.individual_control = Some(" ".into());
    set(&mut s, d);
    assert_only(
        &s,
        RuleId::S6,
        Some("8.1.2.1"),
        FindingKind::MissingIndividualControl,
    );
}

#[test]
fn s6_objective_without_detailed_controls_is_decided_directly() {
    let mut s = valid_statement();
    set(&mut s, selected("8.1.5.P"));
    assert_only(
        &s,
        RuleId::S6,
        Some("8.1.5.P"),
        FindingKind::MissingIndividualControl,
    );
    // An objective that has detailed controls needs no text of its own.
    assert!(!has(&findings(&valid_statement()), RuleId::S6, "8.1.2"));
}

#[test]
fn s7_inherited_control_names_an_underlying_service() {
    let mut s = valid_statement();
    let mut d = inherited("11.2.7.4.PB");
    d.from = None;
    set(&mut s, d);
    assert_only(
        &s,
        RuleId::S7,
        Some("11.2.7.4.PB"),
        FindingKind::InheritedWithoutFrom,
    );

    let mut s = valid_statement();
    s.service.underlying.clear();
    assert_only(
        &s,
        RuleId::S7,
        Some("11.2.7.4.PB"),
        FindingKind::InheritedFromNotUnderlying { from: IAAS.into() },
    );
}

#[test]
fn s7_inherited_control_needs_a_confirmation() {
    let mut s = valid_statement();
    let mut d = inherited("11.2.7.4.PB");
    d.confirmation = None;
    set(&mut s, d);
    assert_only(
        &s,
        RuleId::S7,
        Some("11.2.7.4.PB"),
        FindingKind::InheritedWithoutConfirmation,
    );
}

#[test]
fn s7_underlying_service_must_be_registered_and_valid_on_the_date() {
    let mut s = valid_statement();
    s.date = Some(date("2026-12-01"));
    assert_only(
        &s,
        RuleId::S7,
        Some("11.2.7.4.PB"),
        FindingKind::UnderlyingNotValidOnDate {
            number: IAAS.into(),
            date: date("2026-12-01"),
            valid_from: date("2025-08-01"),
            valid_until: date("2026-11-30"),
        },
    );
    let found = validate(&catalog(), &valid_statement(), Some(&Registry::default()));
    assert_eq!(
        found,
        vec![Finding::new(
            RuleId::S7,
            Some(id("11.2.7.4.PB")),
            FindingKind::UnderlyingNotRegistered {
                number: IAAS.into()
            }
        )]
    );
}

#[test]
fn s7_a_suspended_underlying_registration_is_an_error() {
    let mut suspended = registry();
    let mut entry = suspended.get(&IAAS.parse().unwrap()).unwrap().clone();
    entry.suspended = true;
    suspended.insert(entry);
    let found = validate(&catalog(), &valid_statement(), Some(&suspended));
    assert_eq!(
        found,
        vec![Finding::new(
            RuleId::S7,
            Some(id("11.2.7.4.PB")),
            FindingKind::UnderlyingSuspended {
                number: IAAS.into()
            }
        )]
    );
    assert_eq!(found[0].severity, Severity::Error);
}

#[test]
fn s7_without_a_registry_warns_once() {
    let found = validate(&catalog(), &valid_statement(), None);
    assert_eq!(
        found,
        vec![Finding::new(
            RuleId::S7,
            None,
            FindingKind::RegistryNotProvided
        )]
    );
    assert_eq!(found[0].severity, Severity::Warning);
}

#[test]
fn s7_malformed_registration_numbers_are_named() {
    let mut s = valid_statement();
    s.service.underlying.push("IaaS-8".into());
    assert_only(
        &s,
        RuleId::S7,
        None,
        FindingKind::MalformedRegistrationNumber {
            value: "IaaS-8".into(),
        },
    );
}

#[test]
fn s8_statement_for_another_catalog_is_an_error() {
    let mut s = valid_statement();
    s.catalog = "ismap-2099".into();
    assert_only(
        &s,
        RuleId::S8,
        None,
        FindingKind::CatalogMismatch {
            statement: "ismap-2099".into(),
            catalog: "test-catalog".into(),
        },
    );
    let mut s = valid_statement();
    s.catalog_version = Some("0".into());
    assert!(findings(&s).iter().any(|f| f.rule == RuleId::S8));
}

#[test]
fn s8_controls_not_in_the_catalog_are_errors() {
    let mut s = valid_statement();
    set(&mut s, implemented("8.1.2.99"));
    assert_only(
        &s,
        RuleId::S8,
        Some("8.1.2.99"),
        FindingKind::ControlNotInCatalog,
    );
}

#[test]
fn s8_a_suffix_that_differs_from_the_catalog_is_named() {
    let mut s = valid_statement();
    remove(&mut s, "8.1.2.7.PB");
    set(&mut s, implemented("8.1.2.7"));
    assert_only(
        &s,
        RuleId::S8,
        Some("8.1.2.7"),
        FindingKind::SuffixMismatch {
            catalog_id: id("8.1.2.7.PB"),
        },
    );
}

#[test]
fn input_decision_must_fit_the_level() {
    let mut s = valid_statement();
    set(&mut s, implemented("13.1.1"));
    assert_only(
        &s,
        RuleId::Input,
        Some("13.1.1"),
        FindingKind::DecisionNotForLevel {
            decision: Decision::Implemented,
        },
    );
}

#[test]
fn a1_cloud_specific_control_left_unselected_is_a_warning() {
    let mut s = valid_statement();
    set(
        &mut s,
        not_selected(
            "12.3.1.18.P",
            "バックアップ取得機能を提供していないためである。",
        ),
    );
    let found = findings(&s);
    assert!(has(&found, RuleId::A1, "12.3.1.18.P"), "{found:#?}");
    assert!(found.iter().all(|f| f.severity == Severity::Warning));
}

#[test]
fn a2_reason_shorter_than_a_sentence_is_a_warning() {
    let mut s = valid_statement();
    set(&mut s, not_selected("8.1.2.2", "不要"));
    assert_only(
        &s,
        RuleId::A2,
        Some("8.1.2.2"),
        FindingKind::ShortReason { characters: 2 },
    );
    assert!(!reads_as_a_sentence("N/A"));
    assert!(!reads_as_a_sentence("not applicable here"));
    assert!(reads_as_a_sentence(
        "The service stores no removable media at all."
    ));
    assert!(reads_as_a_sentence("記憶媒体を保有しないため。"));
}

#[test]
fn a3_objective_resting_on_one_detailed_control_is_a_warning() {
    let mut s = valid_statement();
    set(
        &mut s,
        not_selected(
            "12.3.1.11",
            "全てのバックアップは利用者鍵で暗号化されるため。",
        ),
    );
    assert_only(
        &s,
        RuleId::A3,
        Some("12.3.1"),
        FindingKind::SingleDetailedControl,
    );
}

#[test]
fn a4_zero_trust_design_touching_perimeter_wording_is_a_warning() {
    let mut s = valid_statement();
    s.service.zero_trust = true;
    assert_only(
        &s,
        RuleId::A4,
        Some("13.1.1"),
        FindingKind::PerimeterWording,
    );
}

#[test]
fn findings_are_ordered_by_control_then_rule() {
    let mut s = valid_statement();
    remove(&mut s, "13.1.1");
    remove(&mut s, "3.1.2.1");
    set(&mut s, implemented("8.1.2.2"));
    set(
        &mut s,
        not_selected(
            "8.1.2.7.PB",
            "利用者が自ら暗号化するため当社では提供しない。",
        ),
    );
    let found = findings(&s);
    let controls: Vec<String> = found
        .iter()
        .map(|f| f.control.unwrap().to_string())
        .collect();
    assert_eq!(controls, ["3.1.2.1", "8.1.2.7.PB", "13.1.1"]);
}

#[test]
fn risks_must_link_controls_of_the_catalog() {
    let mut s = valid_statement();
    s.risks.push(ismap_domain::statement::Risk {
        id: "R1".into(),
        title: "鍵の漏えい".into(),
        controls: vec![id("8.1.2.7.PB"), id("8.1.2.42")],
        ..Default::default()
    });
    assert_only(
        &s,
        RuleId::Input,
        Some("8.1.2.42"),
        FindingKind::RiskControlNotInCatalog { risk: "R1".into() },
    );
}
