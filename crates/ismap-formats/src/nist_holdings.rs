//! What a provider already holds, read for the crosswalk: a list of SP 800-53
//! control ids (one a line), a list of Annex A controls, or the control ids
//! of a FedRAMP / NIST resolved-profile catalog or of a system security plan
//! (OSCAL JSON or XML, read by [`crate::oscal_in`]).

use ismap_domain::crosswalk::{AnnexAId, NistControlId};
use serde_json::Value;

use crate::oscal_in::catalog::withdrawn;
use crate::oscal_in::document::{self, Document, Model};
use crate::source::{SourceError, SourceProblem};

/// Reads ids one a line; `#` starts a comment, blank lines are skipped.
/// Every line that is not an id is reported, with its line number.
fn id_lines<T: std::str::FromStr>(file: &str, text: &str) -> Result<Vec<T>, SourceError>
where
    T::Err: std::fmt::Display,
{
    let mut ids = Vec::new();
    let mut problems = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let content = line.split('#').next().unwrap_or("").trim();
        if content.is_empty() {
            continue;
        }
        match content.parse::<T>() {
            Ok(id) => ids.push(id),
            Err(e) => problems.push(SourceProblem {
                file: file.to_owned(),
                line: u32::try_from(i + 1).unwrap_or(u32::MAX),
                column: 1,
                field: String::new(),
                message: e.to_string(),
            }),
        }
    }
    if !problems.is_empty() {
        return Err(SourceError::new(problems));
    }
    if ids.is_empty() {
        return Err(SourceError::whole_file(
            file,
            "no control ids found; write one id a line, e.g. AC-2 or AC-2(1)",
        ));
    }
    Ok(ids)
}

/// SP 800-53 ids such as `AC-2`, `AC-2(1)` or `ac-2.1`, one a line.
pub fn parse_nist_list(file: &str, text: &str) -> Result<Vec<NistControlId>, SourceError> {
    id_lines(file, text)
}

/// Annex A ids such as `A.9.2.3` (or `9.2.3`), one a line.
pub fn parse_annex_a_list(file: &str, text: &str) -> Result<Vec<AnnexAId>, SourceError> {
    id_lines(file, text)
}

const FEDRAMP_NS: &str = "https://fedramp.gov/ns/oscal";

/// What kind of OSCAL document the holdings were read from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum HoldingsSource {
    /// A resolved-profile catalog (a baseline).
    #[default]
    Catalog,
    /// A system security plan: its implemented requirements.
    Ssp,
}

/// The controls of a resolved-profile catalog or a system security plan.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Baseline {
    pub title: String,
    pub source: HoldingsSource,
    /// Controls the provider holds, in document order.
    pub held: Vec<NistControlId>,
    /// Controls in the catalog that are not the provider's: LI-SaaS marks
    /// them `FED` (the agency's) or `NSO` (not a security objective) only.
    pub set_aside: Vec<(NistControlId, Vec<String>)>,
}

/// Reads a FedRAMP or NIST resolved-profile catalog, or a system security
/// plan (OSCAL 1.0.4–1.1.x, JSON or XML), through the OSCAL reader.
pub fn read_holdings(file: &str, bytes: &[u8]) -> Result<Baseline, SourceError> {
    holdings_from_document(&document::parse(file, bytes)?)
}

/// The controls an OSCAL document says are held.
///
/// A catalog: every control, except withdrawn ones (prop `status` =
/// `withdrawn`) and those whose FedRAMP `method` props are all `FED` or
/// `NSO` (set aside: FedRAMP's tailored LI-SaaS baseline uses them for
/// controls the provider neither attests nor has assessed; `ATTEST`,
/// `ASSESS`, with or without `CONDITIONAL`, count as held).
///
/// A system security plan: the control of every implemented requirement,
/// whatever its implementation status (a plan's `planned` controls are part
/// of the system it describes; the statement pre-fill shows the status).
///
/// Any other model (a profile lists no resolved controls) is refused.
pub fn holdings_from_document(doc: &Document) -> Result<Baseline, SourceError> {
    let mut baseline = Baseline {
        title: doc
            .metadata_str("title")
            .unwrap_or_default()
            .trim()
            .to_owned(),
        ..Baseline::default()
    };
    let mut problems = Vec::new();
    let mut parse_id = |value: &Value, pointer: String| -> Option<NistControlId> {
        match value.as_str().unwrap_or_default().parse::<NistControlId>() {
            Ok(id) => Some(id),
            Err(e) => {
                let line = doc.xml_place(&pointer).map_or(0, |p| p.line);
                problems.push(SourceProblem {
                    file: doc.file.clone(),
                    line,
                    column: 0,
                    field: pointer,
                    message: e.to_string(),
                });
                None
            }
        }
    };
    match doc.model {
        Model::Catalog => {
            // serde_json limits nesting depth, so this recursion is bounded too.
            fn walk<'a>(node: &'a Value, pointer: &str, out: &mut Vec<(&'a Value, String)>) {
                for key in ["controls", "groups"] {
                    for (i, child) in node[key].as_array().into_iter().flatten().enumerate() {
                        let here = format!("{pointer}/{key}/{i}");
                        if key == "controls" {
                            out.push((child, here.clone()));
                        }
                        walk(child, &here, out);
                    }
                }
            }
            let mut controls = Vec::new();
            walk(doc.root(), "/catalog", &mut controls);
            for (control, pointer) in controls {
                if withdrawn(control) {
                    continue;
                }
                let Some(id) = parse_id(&control["id"], format!("{pointer}/id")) else {
                    continue;
                };
                let methods: Vec<String> = control["props"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter(|p| p["name"] == "method" && p["ns"] == FEDRAMP_NS)
                    .filter_map(|p| p["value"].as_str().map(str::to_owned))
                    .collect();
                if !methods.is_empty() && methods.iter().all(|m| m == "FED" || m == "NSO") {
                    baseline.set_aside.push((id, methods));
                } else {
                    baseline.held.push(id);
                }
            }
        }
        Model::SystemSecurityPlan => {
            baseline.source = HoldingsSource::Ssp;
            let requirements = &doc.root()["control-implementation"]["implemented-requirements"];
            for (i, req) in requirements.as_array().into_iter().flatten().enumerate() {
                let pointer = format!(
                    "/system-security-plan/control-implementation/implemented-requirements/{i}/control-id"
                );
                if let Some(id) = parse_id(&req["control-id"], pointer)
                    && !baseline.held.contains(&id)
                {
                    baseline.held.push(id);
                }
            }
        }
        other => {
            return Err(SourceError::whole_file(
                &doc.file,
                format!(
                    "an OSCAL {other} lists no controls held; give a resolved-profile catalog (…-resolved-profile_catalog.json or .xml) or a system security plan"
                ),
            ));
        }
    }
    if !problems.is_empty() {
        return Err(SourceError::new(problems));
    }
    if baseline.held.is_empty() && baseline.set_aside.is_empty() {
        return Err(SourceError::whole_file(
            &doc.file,
            match baseline.source {
                HoldingsSource::Catalog => {
                    "the catalog has no controls; give a resolved-profile catalog (…-resolved-profile_catalog.json), not a profile"
                }
                HoldingsSource::Ssp => "the system security plan has no implemented requirements",
            },
        ));
    }
    Ok(baseline)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_names_every_bad_line() {
        let error = parse_nist_list("ids.txt", "AC-2\n# comment\n\nAC-2(1) # inline\nAC2\nx-1\n")
            .unwrap_err();
        let lines: Vec<u32> = error.problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, [5, 6]);
        assert!(error.to_string().starts_with("ids.txt:5:1: "));
    }

    #[test]
    fn an_empty_list_is_an_error() {
        assert!(parse_nist_list("ids.txt", "# nothing\n").is_err());
    }

    #[test]
    fn annex_a_lists_accept_both_spellings() {
        let ids = parse_annex_a_list("soa.txt", "A.9.2.3\n9.2.4\n").unwrap();
        assert_eq!(ids.len(), 2);
    }

    #[test]
    fn a_catalog_reads_nested_controls_and_sets_aside_agency_controls() {
        let text = r#"{"catalog": {"metadata": {"title": "T"}, "groups": [{"controls": [
            {"id": "ac-1"},
            {"id": "ac-2", "controls": [{"id": "ac-2.1"}]},
            {"id": "ac-8", "props": [{"name": "method", "ns": "https://fedramp.gov/ns/oscal", "value": "FED"}]},
            {"id": "ac-7", "props": [{"name": "method", "ns": "https://fedramp.gov/ns/oscal", "value": "NSO"},
                                     {"name": "method", "ns": "https://fedramp.gov/ns/oscal", "value": "ASSESS"}]},
            {"id": "ac-13", "props": [{"name": "status", "value": "withdrawn"}]}
        ]}]}}"#;
        let baseline = read_holdings("c.json", text.as_bytes()).unwrap();
        let held: Vec<String> = baseline.held.iter().map(|i| i.to_string()).collect();
        assert_eq!(held, ["AC-1", "AC-2", "AC-2(1)", "AC-7"]);
        assert_eq!(baseline.set_aside.len(), 1);
        assert_eq!(baseline.title, "T");
    }

    #[test]
    fn a_profile_or_broken_json_is_refused_with_its_place() {
        let error = read_holdings("p.json", b"{\"profile\": {}}").unwrap_err();
        assert!(
            error
                .to_string()
                .contains("OSCAL profile lists no controls"),
            "{error}"
        );
        let error = read_holdings("c.json", b"{\"catalog\": {").unwrap_err();
        assert!(error.to_string().contains("not valid JSON"), "{error}");
        let error = read_holdings("c.json", b"{\"catalog\": {\"metadata\": {}}}").unwrap_err();
        assert!(error.to_string().contains("no controls"));
        let error = read_holdings(
            "c.json",
            br#"{"catalog": {"metadata": {}, "controls": [{"id": "x1"}]}}"#,
        )
        .unwrap_err();
        assert!(
            error.to_string().contains("/catalog/controls/0/id"),
            "{error}"
        );
    }

    #[test]
    fn xml_catalogs_and_plans_read_alike() {
        let xml = br#"<catalog xmlns="http://csrc.nist.gov/ns/oscal/1.0" uuid="u"><metadata><title>X</title></metadata>
            <group id="ac"><control id="ac-2"><control id="ac-2.1"/></control>
            <control id="ac-8"><prop name="method" ns="https://fedramp.gov/ns/oscal" value="FED"/></control></group></catalog>"#;
        let baseline = read_holdings("c.xml", xml).unwrap();
        let held: Vec<String> = baseline.held.iter().map(|i| i.to_string()).collect();
        assert_eq!(held, ["AC-2", "AC-2(1)"]);
        assert_eq!(baseline.set_aside.len(), 1);
        assert_eq!(baseline.title, "X");
        let ssp = br#"{"system-security-plan": {"metadata": {"title": "P"}, "control-implementation": {
            "implemented-requirements": [{"control-id": "au-1"}, {"control-id": "ac-2.1"}, {"control-id": "au-1"}]}}}"#;
        let baseline = read_holdings("s.json", ssp).unwrap();
        assert_eq!(baseline.source, HoldingsSource::Ssp);
        assert_eq!(baseline.held.len(), 2);
    }
}
