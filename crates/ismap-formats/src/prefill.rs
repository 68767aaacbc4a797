//! `ismap statement prefill`: a draft statement from an OSCAL system
//! security plan. The plan's SP 800-53 controls go through the crosswalk
//! (docs/crosswalk.md); for every ISMAP control objective they cover or
//! partly cover, the objective's detailed controls get a draft individual
//! control (個別管理策) quoting what the plan says about the linked NIST
//! controls. Decisions stay undecided: the provider decides every control.

use std::collections::BTreeMap;
use std::fmt::Write;

use chrono::NaiveDate;
use ismap_domain::crosswalk::{Coverage, Crosswalk, Holdings, NistControlId, Status, Summary};
use ismap_domain::{Catalog, Level, ServiceModel};

use crate::crosswalk_export::held_label;
use crate::nist_holdings::holdings_from_document;
use crate::oscal_in::document::{Document, Model};
use crate::oscal_in::ssp::{ImplementedRequirement, read_ssp};
use crate::source::SourceError;
use crate::template::{TemplateFill, statement_template_filled};

/// The first words of every draft: how a reader (and the tests) tell a
/// draft from the provider's own text.
pub const DRAFT_MARK: &str = "【下書き: SSPより / DRAFT from the SSP】";

/// A quoted description longer than this is cut (the plan has the rest).
const QUOTE_LIMIT: usize = 800;

/// What `prefill` made.
#[derive(Clone, Debug)]
pub struct Prefill {
    /// The plan's system name (the statement's service name).
    pub service_name: String,
    pub coverage: Vec<Coverage>,
    pub summary: Summary,
    /// Objectives whose detailed controls got a draft.
    pub objectives_prefilled: usize,
    /// Controls (detailed, or objectives without detailed controls) with a draft.
    pub controls_prefilled: usize,
    pub fill: TemplateFill,
}

impl Prefill {
    /// The statement file (YAML, the `ismap statement template` format).
    pub fn to_yaml(&self, catalog: &Catalog, date: NaiveDate, model: ServiceModel) -> String {
        statement_template_filled(catalog, date, model, &self.fill)
    }
}

fn cut(text: &str) -> String {
    let text = text.trim();
    match text.char_indices().nth(QUOTE_LIMIT) {
        Some((end, _)) => format!("{}… (以下略 / cut; see the SSP)", &text[..end]),
        None => text.to_owned(),
    }
}

/// What the plan says about one NIST control: one line per distinct
/// description, with the statement, component and status.
fn quotes(id: NistControlId, requirements: &[&ImplementedRequirement], out: &mut Vec<String>) {
    let mut seen: Vec<&str> = Vec::new();
    for req in requirements {
        let mut any = false;
        for response in &req.responses {
            let description = response.description.trim();
            if description.is_empty() || seen.contains(&description) {
                continue;
            }
            seen.push(description);
            any = true;
            let mut place = Vec::new();
            if let Some(statement) = &response.statement_id {
                place.push(statement.clone());
            }
            if let Some(component) = &response.component {
                place.push(component.trim().to_owned());
            }
            if let Some(status) = response.status.as_ref().or(req.status.as_ref()) {
                place.push(format!("status: {status}"));
            }
            out.push(format!(
                "[{id}] ({}) {}",
                place.join("; "),
                cut(description)
            ));
        }
        if !any && seen.is_empty() {
            let status = req
                .status
                .as_ref()
                .map(|s| format!(" (status: {s})"))
                .unwrap_or_default();
            out.push(format!(
                "[{id}]{status} SSPに記述なし / the SSP gives no description"
            ));
        }
    }
}

/// Reads the plan's controls and writes the drafts. `doc` must be a
/// system security plan.
pub fn prefill(
    doc: &Document,
    crosswalk: &Crosswalk,
    catalog: &Catalog,
) -> Result<Prefill, SourceError> {
    if doc.model != Model::SystemSecurityPlan {
        return Err(SourceError::whole_file(
            &doc.file,
            format!("an OSCAL {} is not a system security plan", doc.model),
        ));
    }
    let plan = read_ssp(doc).map_err(|e| SourceError::whole_file(&doc.file, e))?;
    let holdings = holdings_from_document(doc)?;
    let coverage = crosswalk.assess(&Holdings::nist(holdings.held.iter().copied()));
    let summary = Summary::of(&coverage);

    // The plan's requirements by control; ids that do not parse were
    // refused by holdings_from_document already.
    let mut by_control: BTreeMap<NistControlId, Vec<&ImplementedRequirement>> = BTreeMap::new();
    for req in &plan.requirements {
        if let Ok(id) = req.control_id.parse::<NistControlId>() {
            by_control.entry(id).or_default().push(req);
        }
    }
    let service_name = if plan.system_name.is_empty() {
        plan.title.clone()
    } else {
        plan.system_name.clone()
    };
    let boundary = doc.root()["system-characteristics"]["authorization-boundary"]["description"]
        .as_str()
        .unwrap_or_default()
        .trim();
    let scope = if boundary.is_empty() {
        String::new()
    } else {
        format!(
            "{DRAFT_MARK} 認可境界 / authorization boundary: {}",
            cut(boundary)
        )
    };
    let mut fill = TemplateFill {
        service_name: service_name.clone(),
        scope,
        header: vec![
            format!(
                "SSPからの下書き / pre-filled from the system security plan: {} ({})",
                plan.title, doc.file
            ),
            "個別管理策の下書きは SSP の記述の引用です。事業者が確認・書き直し、すべての管理策を決定してください。 / The drafts quote the SSP: review, rewrite and decide every control.".to_owned(),
        ],
        ..TemplateFill::default()
    };
    let (mut objectives_prefilled, mut controls_prefilled) = (0, 0);
    for c in &coverage {
        let Some(position) = catalog.position(c.objective.number()) else {
            continue;
        };
        let status = match c.status {
            Status::Covered => "対応 covered",
            Status::Partly => "一部対応 partly covered",
            Status::NotCovered => "未対応 not covered",
        };
        let held: Vec<String> = c.held.iter().map(|(id, s)| held_label(id, *s)).collect();
        let mut note = format!("SSP → crosswalk: {status}");
        if let Some(iso) = c.iso27001 {
            let _ = write!(note, " (ISO/IEC 27001 {iso})");
        }
        if !held.is_empty() {
            let _ = write!(note, "; NIST: {}", held.join(" "));
        }
        if !c.missing.is_empty() {
            let missing: Vec<String> = c.missing.iter().map(|id| id.to_string()).collect();
            let _ = write!(note, "; 不足 missing: {}", missing.join(" "));
        }
        fill.notes.insert(c.objective.number(), note);
        if c.status == Status::NotCovered {
            continue;
        }
        let mut lines = Vec::new();
        for (id, _) in &c.held {
            let exact = by_control.get(id).cloned().unwrap_or_default();
            // A base control held through its enhancements: quote those.
            let requirements: Vec<&ImplementedRequirement> = if exact.is_empty() {
                by_control
                    .iter()
                    .filter(|(k, _)| k.base() == *id)
                    .flat_map(|(_, v)| v.iter().copied())
                    .collect()
            } else {
                exact
            };
            quotes(*id, &requirements, &mut lines);
        }
        let draft = format!(
            "{DRAFT_MARK} {status}; NIST SP 800-53: {} (* = 部分的な対応付け / partial link)\n{}",
            held.join(", "),
            lines.join("\n")
        );
        let children = catalog.children_of(position);
        let targets: Vec<_> = if children.is_empty() {
            vec![c.objective.number()]
        } else {
            catalog.controls()[children]
                .iter()
                .filter(|d| d.id.level() == Level::Detailed)
                .map(|d| d.id.number())
                .collect()
        };
        objectives_prefilled += 1;
        controls_prefilled += targets.len();
        for number in targets {
            fill.drafts.insert(number, draft.clone());
        }
    }
    Ok(Prefill {
        service_name,
        coverage,
        summary,
        objectives_prefilled,
        controls_prefilled,
        fill,
    })
}
