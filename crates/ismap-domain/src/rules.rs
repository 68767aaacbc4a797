//! The statement rules S1–S8 and the advisories of spec §3, one function per
//! rule. [`validate`] runs them all; the CLI, the editor, submission and
//! review all call it, so a rule has exactly one implementation.

use std::collections::BTreeSet;

use crate::catalog::{Catalog, Control, Criteria};
use crate::control_id::Level;
use crate::finding::{Finding, FindingKind, RuleId};
use crate::registry::{RegistrationNumber, Registry};
use crate::statement::{ControlDecision, Decision, Statement, is_blank};

/// Everything a rule may look at, with each catalog control paired with the
/// statement's decision for it (computed once, shared by every rule).
pub struct Context<'a> {
    pub catalog: &'a Catalog,
    pub statement: &'a Statement,
    pub registry: Option<&'a Registry>,
    /// Aligned with `catalog.controls()`.
    decisions: Vec<Option<&'a ControlDecision>>,
    /// Statement entries whose number the catalog does not have.
    unknown: Vec<&'a ControlDecision>,
}

impl<'a> Context<'a> {
    pub fn new(
        catalog: &'a Catalog,
        statement: &'a Statement,
        registry: Option<&'a Registry>,
    ) -> Context<'a> {
        let mut decisions = vec![None; catalog.controls().len()];
        let mut unknown = Vec::new();
        for (number, decision) in &statement.controls {
            match catalog.position(*number) {
                Some(position) => decisions[position] = Some(decision),
                None => unknown.push(decision),
            }
        }
        Context {
            catalog,
            statement,
            registry,
            decisions,
            unknown,
        }
    }

    fn entry(&self, position: usize) -> Option<&'a ControlDecision> {
        self.decisions[position]
    }

    /// The decision at `position`, if one was written and fits the control's
    /// level. A misfit is reported once, by [`input_decision_fits_level`];
    /// the other rules treat it as already reported and skip it.
    fn decision(&self, position: usize) -> Option<Decision> {
        let decision = self.entry(position)?.decision?;
        decision
            .fits(self.catalog.controls()[position].id.level())
            .then_some(decision)
    }

    fn is_undecided(&self, position: usize) -> bool {
        self.entry(position).is_none_or(|d| d.decision.is_none())
    }

    fn objective_excluded(&self, position: usize) -> bool {
        self.catalog
            .objective_position_of(position)
            .is_some_and(|objective| self.decision(objective) == Some(Decision::Excluded))
    }

    fn controls(&self) -> impl Iterator<Item = (usize, &'a Control)> + 'a {
        self.catalog.controls().iter().enumerate()
    }
}

/// Runs every rule and returns the findings ordered by control, then rule.
pub fn validate(
    catalog: &Catalog,
    statement: &Statement,
    registry: Option<&Registry>,
) -> Vec<Finding> {
    let cx = Context::new(catalog, statement, registry);
    let mut out = Vec::new();
    for rule in RULES {
        rule(&cx, &mut out);
    }
    out.sort_by_key(|f| (f.control, f.rule));
    out
}

type Rule = fn(&Context<'_>, &mut Vec<Finding>);

/// Every rule, in the order of spec §3.
pub const RULES: [Rule; 14] = [
    input_decision_fits_level,
    input_risks_link_catalog_controls,
    s1_governance_and_management_implemented,
    s2_objectives_selected_or_excluded_with_reason,
    s3_unselected_detailed_controls_have_reasons,
    s4_baseline_requirements_implemented,
    s5_selected_objective_has_selected_detail,
    s6_selected_controls_have_individual_control,
    s7_inherited_controls_come_from_valid_registrations,
    s8_statement_matches_one_catalog_version,
    a1_cloud_control_left_unselected,
    a2_reason_shorter_than_a_sentence,
    a3_objective_with_single_detailed_control,
    a4_zero_trust_meets_perimeter_wording,
];

fn finding(rule: RuleId, control: &Control, kind: FindingKind) -> Finding {
    Finding::new(rule, Some(control.id), kind)
}

/// Objectives take selected/excluded; detailed controls the other decisions.
pub fn input_decision_fits_level(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for (position, control) in cx.controls() {
        if let Some(decision) = cx.entry(position).and_then(|d| d.decision)
            && !decision.fits(control.id.level())
        {
            out.push(finding(
                RuleId::Input,
                control,
                FindingKind::DecisionNotForLevel { decision },
            ));
        }
    }
}

/// Risks justify selections of controls of this catalog version.
pub fn input_risks_link_catalog_controls(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for risk in &cx.statement.risks {
        for control in &risk.controls {
            if cx.catalog.position(control.number()).is_none() {
                out.push(Finding::new(
                    RuleId::Input,
                    Some(*control),
                    FindingKind::RiskControlNotInCatalog {
                        risk: risk.id.clone(),
                    },
                ));
            }
        }
    }
}

/// S1: every governance and management control (3- and 4-digit) must be
/// implemented.
pub fn s1_governance_and_management_implemented(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for (position, control) in cx.controls() {
        if control.criteria() == Criteria::ControlMeasures {
            continue;
        }
        let kind = match (control.id.level(), cx.decision(position)) {
            _ if cx.is_undecided(position) => FindingKind::Undecided,
            (Level::Objective, Some(Decision::Excluded)) => {
                FindingKind::GovernanceObjectiveMustBeSelected
            }
            (Level::Detailed, Some(decision)) if decision != Decision::Implemented => {
                FindingKind::GovernanceMustBeImplemented { decision }
            }
            _ => continue,
        };
        out.push(finding(RuleId::S1, control, kind));
    }
}

/// S2: every control objective of chapters 5–18 must be selected, unless
/// excluded with a reason; an excluded objective takes its detailed controls
/// with it.
pub fn s2_objectives_selected_or_excluded_with_reason(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for (position, control) in cx.controls() {
        if control.criteria() != Criteria::ControlMeasures || control.id.level() != Level::Objective
        {
            continue;
        }
        if cx.is_undecided(position) {
            out.push(finding(RuleId::S2, control, FindingKind::Undecided));
            continue;
        }
        if cx.decision(position) != Some(Decision::Excluded) {
            continue;
        }
        if is_blank(&cx.entry(position).and_then(|d| d.reason.clone())) {
            out.push(finding(
                RuleId::S2,
                control,
                FindingKind::ExcludedWithoutReason,
            ));
        }
        for child in cx.catalog.children_of(position) {
            if let Some(decision @ (Decision::Implemented | Decision::Inherited)) =
                cx.decision(child)
            {
                out.push(finding(
                    RuleId::S2,
                    &cx.catalog.controls()[child],
                    FindingKind::DecidedUnderExcludedObjective {
                        decision,
                        objective: control.id,
                    },
                ));
            }
        }
    }
}

/// S3: a detailed control may be left unselected only with a reason written
/// for that control; `excluded` belongs to controls of an excluded objective.
pub fn s3_unselected_detailed_controls_have_reasons(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for (position, control) in cx.controls() {
        if control.criteria() != Criteria::ControlMeasures || control.id.level() != Level::Detailed
        {
            continue;
        }
        if cx.objective_excluded(position) {
            // Excluded with the objective; undecided entries need no reason.
            continue;
        }
        let entry = cx.entry(position);
        let kind = match cx.decision(position) {
            _ if cx.is_undecided(position) => FindingKind::Undecided,
            Some(Decision::NotSelected) if is_blank(&entry.and_then(|d| d.reason.clone())) => {
                FindingKind::NotSelectedWithoutReason
            }
            Some(Decision::Excluded) => FindingKind::ExcludedWhileObjectiveSelected {
                objective: cx.catalog.controls()[cx
                    .catalog
                    .objective_position_of(position)
                    .expect("catalog invariant: detailed controls have an objective")]
                .id,
            },
            _ => continue,
        };
        out.push(finding(RuleId::S3, control, kind));
    }
}

/// S4: every `.B` and `.PB` control must be implemented or inherited unless
/// its objective is excluded.
pub fn s4_baseline_requirements_implemented(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for (position, control) in cx.controls() {
        if !control.id.suffix().is_baseline() || cx.objective_excluded(position) {
            continue;
        }
        // An undecided baseline control is reported by S1/S3 already.
        if let Some(decision @ (Decision::NotSelected | Decision::Excluded)) = cx.decision(position)
        {
            out.push(finding(
                RuleId::S4,
                control,
                FindingKind::BaselineNotImplemented { decision },
            ));
        }
    }
}

/// S5: a selected objective needs at least one selected detailed control.
/// An objective the catalog lists no detailed control for is decided
/// directly, so S5 does not apply to it (statement contract).
pub fn s5_selected_objective_has_selected_detail(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for (position, control) in cx.controls() {
        if control.criteria() != Criteria::ControlMeasures
            || cx.decision(position) != Some(Decision::Selected)
        {
            continue;
        }
        let children = cx.catalog.children_of(position);
        if children.is_empty() {
            continue;
        }
        if !children
            .into_iter()
            .any(|child| cx.decision(child).is_some_and(Decision::is_in_effect))
        {
            out.push(finding(
                RuleId::S5,
                control,
                FindingKind::ObjectiveWithoutSelectedDetail,
            ));
        }
    }
}

/// S6: every selected detailed control needs its individual control text; so
/// does a selected objective that has no detailed controls in the catalog.
pub fn s6_selected_controls_have_individual_control(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for (position, control) in cx.controls() {
        let needs_text = match cx.decision(position) {
            Some(Decision::Implemented) => true,
            Some(Decision::Selected) => cx.catalog.children_of(position).is_empty(),
            _ => false,
        };
        if needs_text
            && is_blank(
                &cx.entry(position)
                    .and_then(|d| d.individual_control.clone()),
            )
        {
            out.push(finding(
                RuleId::S6,
                control,
                FindingKind::MissingIndividualControl,
            ));
        }
    }
}

/// S7: an inherited control names an underlying service that is registered
/// and valid on the statement's date, and says how the provider confirmed the
/// underlying provider's measure (spec §3, pattern 2).
pub fn s7_inherited_controls_come_from_valid_registrations(
    cx: &Context<'_>,
    out: &mut Vec<Finding>,
) {
    let mut underlying = BTreeSet::new();
    for value in &cx.statement.service.underlying {
        match value.trim().parse::<RegistrationNumber>() {
            Ok(number) => {
                underlying.insert(number);
            }
            Err(_) => out.push(Finding::new(
                RuleId::S7,
                None,
                FindingKind::MalformedRegistrationNumber {
                    value: value.clone(),
                },
            )),
        }
    }
    let mut any_inherited = false;
    for (position, control) in cx.controls() {
        if cx.decision(position) != Some(Decision::Inherited) {
            continue;
        }
        any_inherited = true;
        let entry = cx.entry(position).expect("a decision implies an entry");
        if is_blank(&entry.confirmation) {
            out.push(finding(
                RuleId::S7,
                control,
                FindingKind::InheritedWithoutConfirmation,
            ));
        }
        let from = match entry.from.as_deref().map(str::trim) {
            None | Some("") => {
                out.push(finding(
                    RuleId::S7,
                    control,
                    FindingKind::InheritedWithoutFrom,
                ));
                continue;
            }
            Some(from) => from,
        };
        let Ok(number) = from.parse::<RegistrationNumber>() else {
            out.push(finding(
                RuleId::S7,
                control,
                FindingKind::MalformedRegistrationNumber {
                    value: from.to_owned(),
                },
            ));
            continue;
        };
        if !underlying.contains(&number) {
            out.push(finding(
                RuleId::S7,
                control,
                FindingKind::InheritedFromNotUnderlying {
                    from: number.to_string(),
                },
            ));
        }
        if let Some(kind) = registration_problem(cx, &number) {
            out.push(finding(RuleId::S7, control, kind));
        }
    }
    if any_inherited && cx.registry.is_none() {
        out.push(Finding::new(
            RuleId::S7,
            None,
            FindingKind::RegistryNotProvided,
        ));
    }
}

/// Whether the registry shows `number` registered and valid on the
/// statement's date. Without a registry nothing can be said here.
fn registration_problem(cx: &Context<'_>, number: &RegistrationNumber) -> Option<FindingKind> {
    let registry = cx.registry?;
    let Some(registration) = registry.get(number) else {
        return Some(FindingKind::UnderlyingNotRegistered {
            number: number.to_string(),
        });
    };
    if registration.suspended {
        return Some(FindingKind::UnderlyingSuspended {
            number: number.to_string(),
        });
    }
    // A missing date is reported as an input problem; S7 cannot check it.
    let date = cx.statement.date?;
    (!registration.is_valid_on(date)).then(|| FindingKind::UnderlyingNotValidOnDate {
        number: number.to_string(),
        date,
        valid_from: registration.valid_from,
        valid_until: registration.valid_until,
    })
}

/// S8: a statement targets exactly one catalog version; controls not in that
/// version are errors.
pub fn s8_statement_matches_one_catalog_version(cx: &Context<'_>, out: &mut Vec<Finding>) {
    let info = cx.catalog.info();
    if cx.statement.catalog.trim() != info.id {
        out.push(Finding::new(
            RuleId::S8,
            None,
            FindingKind::CatalogMismatch {
                statement: cx.statement.catalog.clone(),
                catalog: info.id.clone(),
            },
        ));
    }
    if let Some(version) = &cx.statement.catalog_version
        && version.trim() != info.version
    {
        out.push(Finding::new(
            RuleId::S8,
            None,
            FindingKind::CatalogVersionMismatch {
                statement: version.clone(),
                catalog: info.version.clone(),
            },
        ));
    }
    for entry in &cx.unknown {
        out.push(Finding::new(
            RuleId::S8,
            Some(entry.id),
            FindingKind::ControlNotInCatalog,
        ));
    }
    for (position, control) in cx.controls() {
        if let Some(entry) = cx.entry(position)
            && entry.id.suffix() != control.id.suffix()
        {
            out.push(Finding::new(
                RuleId::S8,
                Some(entry.id),
                FindingKind::SuffixMismatch {
                    catalog_id: control.id,
                },
            ));
        }
    }
}

/// Advisory: a `.P` control (or cloud objective) left unselected.
pub fn a1_cloud_control_left_unselected(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for (position, control) in cx.controls() {
        if control.id.suffix().is_cloud_specific()
            && !control.id.suffix().is_baseline()
            && matches!(
                cx.decision(position),
                Some(Decision::NotSelected | Decision::Excluded)
            )
        {
            out.push(finding(
                RuleId::A1,
                control,
                FindingKind::CloudControlNotSelected,
            ));
        }
    }
}

/// Shortest reason, in characters, that still reads as a sentence. Japanese
/// packs a sentence into far fewer characters than English.
const MIN_REASON_CHARS_JA: usize = 10;
const MIN_REASON_CHARS_LATIN: usize = 25;

/// Whether a reason is at least a sentence long: a short label such as
/// "N/A" or "対象外" does not say why.
pub fn reads_as_a_sentence(reason: &str) -> bool {
    let text = reason.trim();
    let characters = text.chars().count();
    let japanese = text.chars().any(is_japanese);
    if japanese {
        characters >= MIN_REASON_CHARS_JA
    } else {
        characters >= MIN_REASON_CHARS_LATIN && text.split_whitespace().count() >= 4
    }
}

fn is_japanese(c: char) -> bool {
    matches!(c, '\u{3040}'..='\u{30ff}' | '\u{3400}'..='\u{4dbf}' | '\u{4e00}'..='\u{9fff}' | '\u{ff66}'..='\u{ff9f}')
}

/// Advisory: an exclusion or non-selection reason shorter than a sentence.
/// Missing reasons are S2/S3 errors, not this.
pub fn a2_reason_shorter_than_a_sentence(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for (position, control) in cx.controls() {
        if !matches!(
            cx.decision(position),
            Some(Decision::NotSelected | Decision::Excluded)
        ) {
            continue;
        }
        let Some(reason) = cx.entry(position).and_then(|d| d.reason.as_deref()) else {
            continue;
        };
        if !reason.trim().is_empty() && !reads_as_a_sentence(reason) {
            out.push(finding(
                RuleId::A2,
                control,
                FindingKind::ShortReason {
                    characters: reason.trim().chars().count(),
                },
            ));
        }
    }
}

/// Advisory: a selected objective resting on a single detailed control,
/// where the catalog offers more than one.
pub fn a3_objective_with_single_detailed_control(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for (position, control) in cx.controls() {
        if control.criteria() != Criteria::ControlMeasures
            || cx.decision(position) != Some(Decision::Selected)
        {
            continue;
        }
        let children = cx.catalog.children_of(position);
        if children.len() < 2 {
            continue;
        }
        let selected = children
            .filter(|&child| cx.decision(child).is_some_and(Decision::is_in_effect))
            .count();
        if selected == 1 {
            out.push(finding(
                RuleId::A3,
                control,
                FindingKind::SingleDetailedControl,
            ));
        }
    }
}

/// Advisory: a zero-trust service selecting controls whose wording assumes
/// perimeter defence should say how its design meets them (manual §2.7.7).
pub fn a4_zero_trust_meets_perimeter_wording(cx: &Context<'_>, out: &mut Vec<Finding>) {
    if !cx.statement.service.zero_trust {
        return;
    }
    for (position, control) in cx.controls() {
        if control.perimeter_wording && cx.decision(position).is_some_and(Decision::is_in_effect) {
            out.push(finding(RuleId::A4, control, FindingKind::PerimeterWording));
        }
    }
}

/// Counts findings by severity: `(errors, warnings)`.
pub fn count(findings: &[Finding]) -> (usize, usize) {
    let errors = findings
        .iter()
        .filter(|f| f.severity == crate::finding::Severity::Error)
        .count();
    (errors, findings.len() - errors)
}
