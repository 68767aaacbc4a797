//! The statement file (言明書), YAML or JSON (contract in README.md).
//!
//! Reading never stops at the first doubtful value: anything it cannot use
//! (a bad control ID, an unknown decision, a missing field) becomes an INPUT
//! finding with its line, and the rest of the statement is still read and
//! validated. Only a file that is not YAML/JSON at all, or has the wrong
//! shape, is refused outright.

use std::collections::HashMap;

use chrono::NaiveDate;
use ismap_domain::control_id::ControlNumber;
use ismap_domain::statement::{Evidence, Risk, RiskLevel, Service};
use ismap_domain::{
    ControlDecision, ControlId, Decision, Finding, FindingKind, RuleId, ServiceModel, Statement,
};
use serde::Deserialize;

use crate::source::SourceError;
use crate::yaml::{self, Entries, Spanned, place};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStatement {
    catalog: Option<Spanned<String>>,
    catalog_version: Option<Spanned<String>>,
    date: Option<Spanned<String>>,
    service: Option<Spanned<RawService>>,
    controls: Option<RawControls>,
    #[serde(default)]
    risks: Vec<Spanned<RawRisk>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRisk {
    id: Spanned<String>,
    #[serde(default)]
    title: String,
    #[serde(default)]
    identification: String,
    #[serde(default)]
    analysis: String,
    evaluation: Option<Spanned<String>>,
    treatment: Option<String>,
    #[serde(default)]
    controls: Vec<Spanned<String>>,
}

/// `controls:` as written: control ID → entry (an empty entry is undecided).
type RawControls = Spanned<Entries<Spanned<String>, Spanned<Option<RawControl>>>>;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawService {
    name: Option<Spanned<String>>,
    model: Option<Spanned<String>>,
    scope: Option<Spanned<String>>,
    deployment: Option<String>,
    url: Option<String>,
    #[serde(default)]
    underlying: Vec<String>,
    #[serde(default)]
    zero_trust: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawControl {
    decision: Option<Spanned<String>>,
    individual_control: Option<Spanned<String>>,
    reason: Option<Spanned<String>>,
    from: Option<Spanned<String>>,
    confirmation: Option<Spanned<String>>,
    #[serde(default)]
    evidence: Vec<RawEvidence>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEvidence {
    title: String,
    reference: String,
}

/// A place in the statement file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Place {
    pub line: u32,
    pub column: u32,
}

impl From<(u32, u32)> for Place {
    fn from((line, column): (u32, u32)) -> Place {
        Place { line, column }
    }
}

/// Where a control's entry and its fields stand in the file.
#[derive(Clone, Debug, Default)]
struct ControlPlaces {
    key: String,
    entry: Place,
    fields: Vec<(&'static str, Place)>,
}

/// A finding with the place and field a user should look at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Located {
    pub finding: Finding,
    /// 0 when the problem is something missing from the file.
    pub place: Place,
    /// Dotted path, e.g. `controls."8.1.2.7.PB".reason`.
    pub field: String,
}

/// A statement as read, with what could not be used and where things are.
#[derive(Debug)]
pub struct ParsedStatement {
    pub file: String,
    pub statement: Statement,
    /// INPUT findings found while reading.
    pub problems: Vec<Located>,
    top_level: HashMap<&'static str, Place>,
    controls: HashMap<ControlNumber, ControlPlaces>,
    /// Where each risk stands, in the order of `statement.risks`.
    risk_places: Vec<Place>,
}

/// Reads a statement from `text`; `file` names it in messages.
pub fn parse_statement(file: &str, text: &str) -> Result<ParsedStatement, SourceError> {
    if text.trim().is_empty() {
        return Err(SourceError::whole_file(
            file,
            "the file is empty; start from `ismap statement template`",
        ));
    }
    let raw: RawStatement = yaml::parse(file, text)?;
    let mut reader = Reader {
        parsed: ParsedStatement {
            file: file.to_owned(),
            statement: Statement::default(),
            problems: Vec::new(),
            top_level: HashMap::new(),
            controls: HashMap::new(),
            risk_places: Vec::new(),
        },
    };
    reader.read(raw);
    Ok(reader.parsed)
}

struct Reader {
    parsed: ParsedStatement,
}

impl Reader {
    fn problem(
        &mut self,
        control: Option<ControlId>,
        place: Place,
        field: String,
        kind: FindingKind,
    ) {
        self.parsed.problems.push(Located {
            finding: Finding::new(RuleId::Input, control, kind),
            place,
            field,
        });
    }

    fn missing(&mut self, place: Place, field: &str) {
        self.problem(None, place, field.to_owned(), FindingKind::MissingField);
    }

    /// A required text field: present and not blank.
    fn required_text(
        &mut self,
        value: Option<Spanned<String>>,
        parent: Place,
        field: &'static str,
    ) -> String {
        match value {
            Some(v) if !v.value.trim().is_empty() => {
                self.parsed.top_level.insert(field, place(&v).into());
                v.value
            }
            Some(v) => {
                self.missing(place(&v).into(), field);
                String::new()
            }
            None => {
                self.missing(parent, field);
                String::new()
            }
        }
    }

    fn read(&mut self, raw: RawStatement) {
        let top = Place { line: 1, column: 1 };
        self.parsed.statement.catalog = self.required_text(raw.catalog, top, "catalog");
        if let Some(version) = raw.catalog_version {
            self.parsed
                .top_level
                .insert("catalog_version", place(&version).into());
            self.parsed.statement.catalog_version = Some(version.value);
        }
        match raw.date {
            None => self.missing(top, "date"),
            Some(date) => {
                let at: Place = place(&date).into();
                self.parsed.top_level.insert("date", at);
                match NaiveDate::parse_from_str(date.value.trim(), "%Y-%m-%d") {
                    Ok(parsed) => self.parsed.statement.date = Some(parsed),
                    Err(_) => self.problem(
                        None,
                        at,
                        "date".into(),
                        FindingKind::BadDate { value: date.value },
                    ),
                }
            }
        }
        match raw.service {
            None => self.missing(top, "service"),
            Some(service) => self.read_service(service),
        }
        match raw.controls {
            None => self.missing(top, "controls"),
            Some(controls) => {
                for (key, value) in controls.value.0 {
                    self.read_control(key, value);
                }
            }
        }
        for (i, risk) in raw.risks.into_iter().enumerate() {
            self.read_risk(i, risk);
        }
    }

    fn read_risk(&mut self, index: usize, raw: Spanned<RawRisk>) {
        let at: Place = place(&raw).into();
        let raw = raw.value;
        let id = raw.id.value.trim().to_owned();
        let field = format!("risks[{index}]");
        if self.parsed.statement.risks.iter().any(|r| r.id == id) {
            self.problem(
                None,
                place(&raw.id).into(),
                format!("{field}.id"),
                FindingKind::DuplicateRisk { id },
            );
            return;
        }
        let evaluation = match raw.evaluation {
            None => None,
            Some(value) => {
                let level = RiskLevel::from_key(&value.value);
                if level.is_none() {
                    self.problem(
                        None,
                        place(&value).into(),
                        format!("{field}.evaluation"),
                        FindingKind::UnknownRiskLevel { value: value.value },
                    );
                }
                level
            }
        };
        let mut controls = Vec::new();
        for (j, key) in raw.controls.into_iter().enumerate() {
            match key.value.trim().parse::<ControlId>() {
                Ok(control) => controls.push(control),
                Err(error) => self.problem(
                    None,
                    place(&key).into(),
                    format!("{field}.controls[{j}]"),
                    FindingKind::BadControlId {
                        key: key.value,
                        error,
                    },
                ),
            }
        }
        self.parsed.risk_places.push(at);
        self.parsed.statement.risks.push(Risk {
            id,
            title: raw.title.trim().to_owned(),
            identification: raw.identification.trim().to_owned(),
            analysis: raw.analysis.trim().to_owned(),
            evaluation,
            treatment: raw
                .treatment
                .map(|t| t.trim().to_owned())
                .filter(|t| !t.is_empty()),
            controls,
        });
    }

    fn read_service(&mut self, raw: Spanned<RawService>) {
        let at: Place = place(&raw).into();
        self.parsed.top_level.insert("service", at);
        let raw = raw.value;
        let model = match raw.model {
            None => {
                self.missing(at, "service.model");
                None
            }
            Some(model) => {
                let model_place = place(&model).into();
                self.parsed.top_level.insert("service.model", model_place);
                let parsed = ServiceModel::from_key(&model.value);
                if parsed.is_none() {
                    self.problem(
                        None,
                        model_place,
                        "service.model".into(),
                        FindingKind::UnknownServiceModel { value: model.value },
                    );
                }
                parsed
            }
        };
        let name = self.required_text(raw.name, at, "service.name");
        let scope = self.required_text(raw.scope, at, "service.scope");
        self.parsed.statement.service = Service {
            name,
            model,
            scope,
            deployment: raw.deployment,
            url: raw.url,
            underlying: raw.underlying,
            zero_trust: raw.zero_trust,
        };
    }

    fn read_control(&mut self, key: Spanned<String>, value: Spanned<Option<RawControl>>) {
        let key_place: Place = place(&key).into();
        let field = format!("controls.{:?}", key.value);
        let id = match key.value.trim().parse::<ControlId>() {
            Ok(id) => id,
            Err(error) => {
                self.problem(
                    None,
                    key_place,
                    field,
                    FindingKind::BadControlId {
                        key: key.value,
                        error,
                    },
                );
                return;
            }
        };
        if let Some(first) = self.parsed.statement.controls.get(&id.number()) {
            let first = first.id;
            self.problem(
                Some(id),
                key_place,
                field,
                FindingKind::DuplicateControl { first },
            );
            return;
        }
        let mut places = ControlPlaces {
            key: key.value,
            entry: key_place,
            fields: Vec::new(),
        };
        let raw = value.value.unwrap_or(RawControl {
            decision: None,
            individual_control: None,
            reason: None,
            from: None,
            confirmation: None,
            evidence: Vec::new(),
        });
        let mut text = |name: &'static str, value: Option<Spanned<String>>| {
            value.map(|v| {
                places.fields.push((name, place(&v).into()));
                v.value
            })
        };
        let individual_control = text("individual_control", raw.individual_control);
        let reason = text("reason", raw.reason);
        let from = text("from", raw.from);
        let confirmation = text("confirmation", raw.confirmation);
        let decision = match raw.decision {
            None => None,
            Some(d) if d.value.trim().is_empty() => None,
            Some(d) => {
                let at: Place = place(&d).into();
                places.fields.push(("decision", at));
                let decision = Decision::from_key(d.value.trim());
                if decision.is_none() {
                    self.problem(
                        Some(id),
                        at,
                        format!("{field}.decision"),
                        FindingKind::UnknownDecision { value: d.value },
                    );
                }
                decision
            }
        };
        self.parsed.controls.insert(id.number(), places);
        let mut entry = ControlDecision::new(id, decision);
        entry.individual_control = individual_control;
        entry.reason = reason;
        entry.from = from;
        entry.confirmation = confirmation;
        entry.evidence = raw
            .evidence
            .into_iter()
            .map(|e| Evidence {
                title: e.title,
                reference: e.reference,
            })
            .collect();
        self.parsed.statement.controls.insert(id.number(), entry);
    }
}

impl ParsedStatement {
    /// Attaches the place and field a user should look at to a rule finding.
    pub fn locate(&self, finding: Finding) -> Located {
        if let FindingKind::RiskControlNotInCatalog { risk } = &finding.kind
            && let Some(index) = self.statement.risks.iter().position(|r| &r.id == risk)
        {
            return Located {
                place: self.risk_places.get(index).copied().unwrap_or_default(),
                field: format!("risks[{index}].controls"),
                finding,
            };
        }
        let field_name = field_of(&finding.kind);
        match finding.control {
            Some(control) => {
                let places = self.controls.get(&control.number());
                let key = places.map_or_else(|| control.to_string(), |p| p.key.clone());
                let mut field = format!("controls.{key:?}");
                let mut at = places.map(|p| p.entry).unwrap_or_default();
                if let Some(name) = field_name {
                    field.push('.');
                    field.push_str(name);
                    if let Some((_, field_place)) =
                        places.and_then(|p| p.fields.iter().find(|(n, _)| *n == name))
                    {
                        at = *field_place;
                    }
                }
                Located {
                    finding,
                    place: at,
                    field,
                }
            }
            None => {
                let field = field_name.unwrap_or_default().to_owned();
                let at = self
                    .top_level
                    .get(field.as_str())
                    .copied()
                    .unwrap_or_default();
                Located {
                    finding,
                    place: at,
                    field,
                }
            }
        }
    }
}

/// The field of a control entry (or of the statement) a finding is about.
fn field_of(kind: &FindingKind) -> Option<&'static str> {
    use FindingKind as K;
    Some(match kind {
        K::Undecided
        | K::GovernanceMustBeImplemented { .. }
        | K::GovernanceObjectiveMustBeSelected
        | K::DecidedUnderExcludedObjective { .. }
        | K::ExcludedWhileObjectiveSelected { .. }
        | K::BaselineNotImplemented { .. }
        | K::ObjectiveWithoutSelectedDetail
        | K::CloudControlNotSelected
        | K::SingleDetailedControl
        | K::DecisionNotForLevel { .. }
        | K::UnknownDecision { .. } => "decision",
        K::ExcludedWithoutReason | K::NotSelectedWithoutReason | K::ShortReason { .. } => "reason",
        K::MissingIndividualControl | K::PerimeterWording => "individual_control",
        K::InheritedWithoutFrom
        | K::InheritedFromNotUnderlying { .. }
        | K::UnderlyingNotRegistered { .. }
        | K::UnderlyingNotValidOnDate { .. }
        | K::UnderlyingSuspended { .. } => "from",
        // Without a control it is one of service.underlying.
        K::MalformedRegistrationNumber { .. } => "from",
        K::InheritedWithoutConfirmation => "confirmation",
        K::CatalogMismatch { .. } | K::UnknownCatalog { .. } => "catalog",
        K::CatalogVersionMismatch { .. } => "catalog_version",
        K::RegistryNotProvided
        | K::ControlNotInCatalog
        | K::SuffixMismatch { .. }
        | K::BadControlId { .. }
        | K::DuplicateControl { .. }
        | K::UnknownRiskLevel { .. }
        | K::DuplicateRisk { .. }
        | K::RiskControlNotInCatalog { .. }
        | K::BadDate { .. }
        | K::UnknownServiceModel { .. }
        | K::MissingField
        | K::Unreadable { .. } => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"catalog: ismap-2022-excerpt
date: 2026-04-01
service:
  name: Example SaaS
  model: SaaS
  scope: "文書管理機能"
  underlying: [C21-0008-2]
controls:
  "8.1.2": { decision: selected }
  "8.1.2.7.PB": { decision: inherited, from: C21-0008-2, confirmation: "監査報告書を確認" }
  8.1.2.3:
    decision: not_selected
    reason: "資産目録は基盤側で管理するため。"
"#;

    #[test]
    fn reads_the_contract_fields() {
        let parsed = parse_statement("s.yaml", GOOD).unwrap();
        assert!(parsed.problems.is_empty(), "{:?}", parsed.problems);
        let s = &parsed.statement;
        assert_eq!(s.catalog, "ismap-2022-excerpt");
        assert_eq!(s.date.unwrap().to_string(), "2026-04-01");
        assert_eq!(s.service.model, Some(ServiceModel::SaaS));
        assert_eq!(s.service.underlying, ["C21-0008-2"]);
        assert_eq!(s.controls.len(), 3);
        let pb = &s.controls[&"8.1.2.7".parse::<ControlId>().unwrap().number()];
        assert_eq!(pb.decision, Some(Decision::Inherited));
        assert_eq!(pb.from.as_deref(), Some("C21-0008-2"));
    }

    #[test]
    fn json_reads_the_same() {
        let json = r#"{"catalog": "ismap-2022-excerpt", "date": "2026-04-01",
          "service": {"name": "S", "model": "SaaS", "scope": "x", "underlying": []},
          "controls": {"8.1.2": {"decision": "selected"}, "8.1.2.3": {"decision": null}}}"#;
        let parsed = parse_statement("s.json", json).unwrap();
        assert!(parsed.problems.is_empty(), "{:?}", parsed.problems);
        assert_eq!(parsed.statement.controls.len(), 2);
    }

    #[test]
    fn doubtful_values_become_input_findings_with_their_lines() {
        let text = r#"catalog: ismap-2022-excerpt
date: 2026-13-01
service:
  name: Example SaaS
  model: FaaS
controls:
  "8.1.2": { decision: maybe }
  "8.1.x": { decision: selected }
  "8.1.2.7": { decision: implemented }
  "8.1.2.7.PB": { decision: implemented }
"#;
        let parsed = parse_statement("bad.yaml", text).unwrap();
        let got: Vec<(u32, &str, &str)> = parsed
            .problems
            .iter()
            .map(|p| (p.place.line, p.field.as_str(), p.finding.kind.message_id()))
            .collect();
        assert_eq!(
            got,
            [
                (2, "date", "finding-bad-date"),
                (5, "service.model", "finding-unknown-service-model"),
                (4, "service.scope", "finding-missing-field"),
                (7, "controls.\"8.1.2\".decision", "finding-unknown-decision"),
                (8, "controls.\"8.1.x\"", "finding-bad-control-id"),
                (10, "controls.\"8.1.2.7.PB\"", "finding-duplicate-control"),
            ]
        );
        // What could be read is still there for the rules.
        assert_eq!(parsed.statement.controls.len(), 2);
    }

    #[test]
    fn syntax_errors_and_unknown_fields_refuse_the_file_naming_the_line() {
        let error = parse_statement(
            "s.yaml",
            "catalog: x\ncontrols:\n  \"8.1.2\": { decison: selected }\n",
        )
        .unwrap_err();
        let problem = &error.problems[0];
        assert_eq!((problem.file.as_str(), problem.line), ("s.yaml", 3));
        assert!(problem.message.contains("decison"), "{error}");

        let error = parse_statement("s.yaml", "catalog: [\n").unwrap_err();
        assert!(error.problems[0].line >= 1);
        assert!(parse_statement("s.yaml", "  \n").is_err());
    }

    #[test]
    fn risks_are_read_with_their_controls() {
        let text = format!(
            "{GOOD}risks:\n  - id: R1\n    title: \"鍵の漏えい\"\n    identification: \"利用者データの暗号鍵が運用者に読まれる。\"\n    analysis: \"発生可能性は低いが影響は大きい。\"\n    evaluation: high\n    controls: [\"8.1.2.7.PB\", \"8.1.x\"]\n  - id: R1\n    title: dup\n  - id: R2\n    evaluation: severe\n"
        );
        let parsed = parse_statement("s.yaml", &text).unwrap();
        let risks = &parsed.statement.risks;
        assert_eq!(risks.len(), 2);
        assert_eq!(risks[0].evaluation, Some(RiskLevel::High));
        assert_eq!(risks[0].controls.len(), 1);
        let got: Vec<(&str, &str)> = parsed
            .problems
            .iter()
            .map(|p| (p.field.as_str(), p.finding.kind.message_id()))
            .collect();
        assert_eq!(
            got,
            [
                ("risks[0].controls[1]", "finding-bad-control-id"),
                ("risks[1].id", "finding-duplicate-risk"),
                ("risks[2].evaluation", "finding-unknown-risk-level"),
            ]
        );
        let pb: ControlId = "8.1.2.7.PB".parse().unwrap();
        assert_eq!(parsed.statement.risks_of(pb.number()).count(), 1);
    }

    #[test]
    fn rule_findings_point_at_the_field() {
        let parsed = parse_statement("s.yaml", GOOD).unwrap();
        let finding = Finding::new(
            RuleId::S3,
            Some("8.1.2.3".parse().unwrap()),
            FindingKind::NotSelectedWithoutReason,
        );
        let located = parsed.locate(finding);
        assert_eq!(located.field, "controls.\"8.1.2.3\".reason");
        assert_eq!(located.place.line, 13);
        let missing = parsed.locate(Finding::new(
            RuleId::S2,
            Some("13.2.4".parse().unwrap()),
            FindingKind::Undecided,
        ));
        assert_eq!(missing.field, "controls.\"13.2.4\".decision");
        assert_eq!(missing.place.line, 0);
    }
}
