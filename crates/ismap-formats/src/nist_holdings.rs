//! What a provider already holds, read for the crosswalk: a list of SP 800-53
//! control ids (one a line), a list of Annex A controls, or the control ids
//! of a FedRAMP / NIST resolved-profile catalog (OSCAL JSON).
//!
//! The catalog reader is deliberately minimal: it reads only control ids and
//! the few properties that say whether a control is the provider's. The full
//! OSCAL reader (issue 6) will replace it.

use ismap_domain::crosswalk::{AnnexAId, NistControlId};
use serde::Deserialize;

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
        return Err(SourceError { problems });
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

#[derive(Deserialize)]
struct Document {
    catalog: Catalog,
}

#[derive(Deserialize)]
struct Catalog {
    metadata: Metadata,
    #[serde(default)]
    groups: Vec<Group>,
    #[serde(default)]
    controls: Vec<Control>,
}

#[derive(Deserialize)]
struct Metadata {
    #[serde(default)]
    title: String,
}

#[derive(Deserialize)]
struct Group {
    #[serde(default)]
    groups: Vec<Group>,
    #[serde(default)]
    controls: Vec<Control>,
}

#[derive(Deserialize)]
struct Control {
    id: String,
    #[serde(default)]
    props: Vec<Prop>,
    #[serde(default)]
    controls: Vec<Control>,
}

#[derive(Deserialize)]
struct Prop {
    name: String,
    #[serde(default)]
    ns: String,
    #[serde(default)]
    value: String,
}

const FEDRAMP_NS: &str = "https://fedramp.gov/ns/oscal";

/// The controls of a resolved-profile catalog.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Baseline {
    pub title: String,
    /// Controls the provider holds, in catalog order.
    pub held: Vec<NistControlId>,
    /// Controls in the catalog that are not the provider's: LI-SaaS marks
    /// them `FED` (the agency's) or `NSO` (not a security objective) only.
    pub set_aside: Vec<(NistControlId, Vec<String>)>,
}

/// Reads a FedRAMP or NIST resolved-profile catalog (OSCAL 1.0.4–1.1.x JSON).
///
/// Withdrawn controls (prop `status` = `withdrawn`) are skipped. A control
/// whose FedRAMP `method` props are all `FED` or `NSO` is set aside: FedRAMP's
/// tailored LI-SaaS baseline uses them for controls the provider neither
/// attests nor has assessed. `ATTEST`, `ASSESS` (with or without
/// `CONDITIONAL`) count as held.
pub fn parse_resolved_catalog(file: &str, text: &str) -> Result<Baseline, SourceError> {
    let document: Document = serde_json::from_str(text).map_err(|e| {
        SourceError::single(SourceProblem {
            file: file.to_owned(),
            line: u32::try_from(e.line()).unwrap_or(u32::MAX),
            column: u32::try_from(e.column()).unwrap_or(u32::MAX),
            field: String::new(),
            message: format!("not an OSCAL catalog (JSON): {e}"),
        })
    })?;
    let mut baseline = Baseline {
        title: document.catalog.metadata.title,
        ..Baseline::default()
    };
    let mut problems = Vec::new();
    let mut visit = |control: &Control, path: &str| {
        if control
            .props
            .iter()
            .any(|p| p.name == "status" && p.value == "withdrawn")
        {
            return;
        }
        let id: NistControlId = match control.id.parse() {
            Ok(id) => id,
            Err(e) => {
                problems.push(SourceProblem {
                    file: file.to_owned(),
                    line: 0,
                    column: 0,
                    field: format!("{path}.id"),
                    message: e.to_string(),
                });
                return;
            }
        };
        let methods: Vec<String> = control
            .props
            .iter()
            .filter(|p| p.name == "method" && p.ns == FEDRAMP_NS)
            .map(|p| p.value.clone())
            .collect();
        if !methods.is_empty() && methods.iter().all(|m| m == "FED" || m == "NSO") {
            baseline.set_aside.push((id, methods));
        } else {
            baseline.held.push(id);
        }
    };
    // serde_json limits nesting depth, so this recursion is bounded too.
    fn walk(controls: &[Control], path: &str, visit: &mut dyn FnMut(&Control, &str)) {
        for (i, control) in controls.iter().enumerate() {
            let here = format!("{path}.controls[{i}]");
            visit(control, &here);
            walk(&control.controls, &here, visit);
        }
    }
    fn walk_groups(groups: &[Group], path: &str, visit: &mut dyn FnMut(&Control, &str)) {
        for (i, group) in groups.iter().enumerate() {
            let here = format!("{path}.groups[{i}]");
            walk(&group.controls, &here, visit);
            walk_groups(&group.groups, &here, visit);
        }
    }
    walk(&document.catalog.controls, "catalog", &mut visit);
    walk_groups(&document.catalog.groups, "catalog", &mut visit);
    if !problems.is_empty() {
        return Err(SourceError { problems });
    }
    if baseline.held.is_empty() && baseline.set_aside.is_empty() {
        return Err(SourceError::whole_file(
            file,
            "the catalog has no controls; give a resolved-profile catalog (…-resolved-profile_catalog.json), not a profile",
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
        let baseline = parse_resolved_catalog("c.json", text).unwrap();
        let held: Vec<String> = baseline.held.iter().map(|i| i.to_string()).collect();
        assert_eq!(held, ["AC-1", "AC-2", "AC-2(1)", "AC-7"]);
        assert_eq!(baseline.set_aside.len(), 1);
        assert_eq!(baseline.title, "T");
    }

    #[test]
    fn a_profile_or_broken_json_is_refused_with_its_place() {
        let error = parse_resolved_catalog("p.json", "{\"profile\": {}}").unwrap_err();
        assert!(error.to_string().contains("not an OSCAL catalog"));
        let error =
            parse_resolved_catalog("c.json", "{\"catalog\": {\"metadata\": {}}}").unwrap_err();
        assert!(error.to_string().contains("no controls"));
        let error = parse_resolved_catalog(
            "c.json",
            r#"{"catalog": {"metadata": {}, "controls": [{"id": "x1"}]}}"#,
        )
        .unwrap_err();
        assert!(error.to_string().contains("catalog.controls[0].id"));
    }
}
