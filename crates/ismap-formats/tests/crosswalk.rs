//! The embedded crosswalk: it is what the reference data says (derived
//! again here), and it gives the expected answers for real FedRAMP and NIST
//! baselines.

use std::path::PathBuf;

use ismap_domain::crosswalk::{Coverage, Holdings, NistControlId, Reason, Status, Summary};
use ismap_domain::{ControlId, Suffix};
use ismap_formats::bundled::default_catalog;
use ismap_formats::crosswalk_data::{
    LINKS_FILE, LINKS_TEXT, OBJECTIVES_FILE, OBJECTIVES_TEXT, bundled_crosswalk, load,
};
use ismap_formats::crosswalk_derive::{ANNEX_A_PATH, Sources, TABLE1_PATH, TABLE2_PATH, derive};
use ismap_formats::nist_holdings::{Baseline, read_holdings};

/// `../shared/data` beside the project. CI always has it, so there a
/// missing folder fails the test; elsewhere the test says what is missing
/// and passes.
fn shared_data() -> Option<PathBuf> {
    let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data"));
    if dir.is_dir() {
        return Some(dir);
    }
    if std::env::var_os("CI").is_some() {
        panic!(
            "{} is missing; CI must provide the shared reference data",
            dir.display()
        );
    }
    eprintln!(
        "skipped: {} is missing (the shared reference data)",
        dir.display()
    );
    None
}

fn read(dir: &std::path::Path, path: &str) -> String {
    std::fs::read_to_string(dir.join(path))
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.join(path).display()))
}

#[test]
fn the_embedded_data_is_derived_from_the_reference_data() {
    let Some(dir) = shared_data() else { return };
    let (table1, table2, annex_a) = (
        read(&dir, TABLE1_PATH),
        read(&dir, TABLE2_PATH),
        read(&dir, ANNEX_A_PATH),
    );
    let derived = derive(
        &Sources {
            table1: &table1,
            table2: &table2,
            annex_a: &annex_a,
        },
        default_catalog(),
    )
    .unwrap();
    let hint = "run: cargo run -p ismap-formats --example derive_crosswalk -- ../shared/data crates/ismap-formats/data";
    assert!(
        derived.objectives == OBJECTIVES_TEXT,
        "{OBJECTIVES_FILE} is stale; {hint}"
    );
    assert!(derived.links == LINKS_TEXT, "{LINKS_FILE} is stale; {hint}");
}

#[test]
fn every_objective_of_chapters_5_to_18_is_in_the_crosswalk() {
    let crosswalk = bundled_crosswalk();
    assert_eq!(crosswalk.objectives().len(), 121);
    let exceptions: Vec<String> = crosswalk
        .objectives()
        .iter()
        .filter(|o| o.iso27001.is_none())
        .map(|o| o.ismap.to_string())
        .collect();
    // spec §2: the seven cloud objectives, and no others.
    assert_eq!(
        exceptions,
        [
            "6.3.1.P", "8.1.5.P", "9.5.1.P", "9.5.2.P", "12.1.5.P", "12.4.5.P", "13.1.4.P"
        ]
    );
    for o in crosswalk.objectives() {
        if let Some(iso) = o.iso27001 {
            assert_eq!(
                iso.numbers(),
                [
                    o.ismap.numbers()[0],
                    o.ismap.numbers()[1],
                    o.ismap.numbers()[2]
                ]
            );
            assert_eq!(o.ismap.suffix(), Suffix::None);
        }
    }
    assert_eq!(crosswalk.links().len(), 432);
}

#[test]
fn the_crosswalk_names_nists_own_examples() {
    let crosswalk = bundled_crosswalk();
    let iso = "A.9.2.3".parse().unwrap();
    let nist: Vec<String> = crosswalk
        .links_of(iso)
        .map(|l| l.nist.to_string())
        .collect();
    assert!(
        nist.contains(&"AC-2".to_owned()) && nist.contains(&"AC-6".to_owned()),
        "{nist:?}"
    );
    // Example 3 of NIST's introduction: PM-10 ↔ A.6.1.1 carries the asterisk.
    let pm10 = crosswalk.links_of_nist("PM-10".parse().unwrap());
    assert!(pm10.iter().any(|(o, _)| o.ismap.to_string() == "6.1.1"));
}

#[test]
fn broken_data_is_reported_with_file_and_line() {
    let objectives = "ismap_objective,iso27001_2013,note\n9.2.3,A.9.2.3,\n9.2.4,A.9.2.x,\n";
    let links = "# c\niso27001_2013,sp800_53r5,table1,table2\nA.9.2.3,AC-2,yes,maybe\nA.9.2.4,AC-2,yes,yes\n";
    let error = load("o.csv", objectives, "l.csv", links).unwrap_err();
    let text = error.to_string();
    assert!(text.contains("o.csv:3:0: iso27001_2013: "), "{text}");
    assert!(text.contains("l.csv:3:0: table2: \"maybe\""), "{text}");
    let links = "iso27001_2013,sp800_53r5,table1,table2\nA.9.2.4,AC-2,yes,yes\n";
    let objectives = "ismap_objective,iso27001_2013,note\n9.2.3,A.9.2.3,\n";
    let error = load("o.csv", objectives, "l.csv", links).unwrap_err();
    assert!(error.to_string().starts_with("l.csv:2:0: "), "{error}");
}

fn baseline(path: &str) -> Option<Baseline> {
    let dir = shared_data()?;
    Some(read_holdings(path, read(&dir, path).as_bytes()).unwrap())
}

const FEDRAMP_LOW: &str = "fedramp-automation/dist/content/rev5/baselines/json/FedRAMP_rev5_LOW-baseline-resolved-profile_catalog.json";
const FEDRAMP_LI_SAAS: &str = "fedramp-automation/dist/content/rev5/baselines/json/FedRAMP_rev5_LI-SaaS-baseline-resolved-profile_catalog.json";
const NIST_MODERATE: &str = "nist-oscal-content/nist.gov/SP800-53/rev5/json/NIST_SP-800-53_rev5_MODERATE-baseline-resolved-profile_catalog.json";

fn assess(baseline: &Baseline) -> Vec<Coverage> {
    bundled_crosswalk().assess(&Holdings::nist(baseline.held.iter().copied()))
}

/// Counts for the 121 objectives; the 7 cloud objectives are never covered.
fn summary(covered: usize, partly: usize, not_covered: usize) -> Summary {
    Summary {
        covered,
        partly,
        not_covered,
        no_counterpart: 7,
    }
}

fn status(coverage: &[Coverage], objective: &str) -> Status {
    let id: ControlId = objective.parse().unwrap();
    coverage.iter().find(|c| c.objective == id).unwrap().status
}

#[test]
fn every_enhancement_in_the_real_baselines_comes_with_its_base() {
    // The evidence for counting an enhancement for its base (crosswalk.rs).
    for path in [FEDRAMP_LOW, FEDRAMP_LI_SAAS, NIST_MODERATE] {
        let Some(b) = baseline(path) else { return };
        let all: Vec<NistControlId> = b
            .held
            .iter()
            .chain(b.set_aside.iter().map(|(id, _)| id))
            .copied()
            .collect();
        for id in &all {
            assert!(
                all.contains(&id.base()),
                "{path}: {id} without {}",
                id.base()
            );
        }
    }
}

#[test]
fn fedramp_low_baseline() {
    let Some(b) = baseline(FEDRAMP_LOW) else {
        return;
    };
    assert_eq!((b.held.len(), b.set_aside.len()), (156, 0));
    let coverage = assess(&b);
    assert_eq!(summary(48, 58, 15), Summary::of(&coverage));
    assert_eq!(
        status(&coverage, "17.1.1"),
        Status::Covered,
        "CP-2 is in LOW"
    );
    assert_eq!(status(&coverage, "9.5.1.P"), Status::NotCovered);
}

#[test]
fn fedramp_li_saas_sets_aside_agency_and_non_security_controls() {
    let Some(b) = baseline(FEDRAMP_LI_SAAS) else {
        return;
    };
    let set_aside: Vec<String> = b.set_aside.iter().map(|(id, _)| id.to_string()).collect();
    assert!(set_aside.contains(&"CP-2".to_owned()) && set_aside.contains(&"PS-2".to_owned()));
    let coverage = assess(&b);
    assert_eq!(set_aside.len(), 14);
    assert_eq!(summary(43, 56, 22), Summary::of(&coverage));
    // A.17.1.1 maps to CP-2 only, which LI-SaaS marks NSO.
    assert_eq!(status(&coverage, "17.1.1"), Status::NotCovered);
}

#[test]
fn nist_moderate_covers_at_least_what_fedramp_low_covers() {
    let (Some(low), Some(moderate)) = (baseline(FEDRAMP_LOW), baseline(NIST_MODERATE)) else {
        return;
    };
    assert_eq!(moderate.held.len(), 287);
    let (low, moderate) = (assess(&low), assess(&moderate));
    assert_eq!(summary(80, 32, 9), Summary::of(&moderate));
    for (l, m) in low.iter().zip(&moderate) {
        assert!(
            m.status <= l.status || m.reason == Reason::NoCounterpart,
            "{}",
            l.objective
        );
    }
}

// FedRAMP's XML baselines, read through the OSCAL reader.
const FEDRAMP_MODERATE_XML: &str = "fedramp-automation/dist/content/rev5/baselines/xml/FedRAMP_rev5_MODERATE-baseline-resolved-profile_catalog.xml";
const FEDRAMP_HIGH_XML: &str = "fedramp-automation/dist/content/rev5/baselines/xml/FedRAMP_rev5_HIGH-baseline-resolved-profile_catalog.xml";

#[test]
fn fedramp_moderate_and_high_xml_baselines() {
    let (Some(moderate), Some(high)) = (baseline(FEDRAMP_MODERATE_XML), baseline(FEDRAMP_HIGH_XML))
    else {
        return;
    };
    assert_eq!((moderate.held.len(), moderate.set_aside.len()), (323, 0));
    assert_eq!((high.held.len(), high.set_aside.len()), (410, 0));
    assert_eq!(moderate.title, "FedRAMP Rev 5 Moderate Baseline");
    let (moderate, high) = (assess(&moderate), assess(&high));
    // As NIST's own MODERATE baseline (tested above); HIGH adds a little.
    assert_eq!(summary(80, 32, 9), Summary::of(&moderate));
    assert_eq!(summary(83, 29, 9), Summary::of(&high));
    for (m, h) in moderate.iter().zip(&high) {
        assert!(h.status <= m.status, "{}", m.objective);
    }
}

// Statement pre-fill from real system security plans.
mod prefill {
    use super::*;
    use ismap_domain::Level;
    use ismap_formats::oscal_in::document;
    use ismap_formats::prefill::{DRAFT_MARK, prefill};
    use ismap_formats::report::check_statement;
    use ismap_formats::statement_file::parse_statement;

    const NIST_SSP: &str = "nist-oscal-content/examples/ssp/json/ssp-example.json";
    const FEDRAMP_SSP: &str = "fedramp-automation/develop/src/content/rev5/examples/ssp/xml/fedramp-ssp-example.oscal.xml";

    /// Pre-fills from `path`, reads the result back with the statement
    /// reader and returns (prefill, drafts read back, objectives with a draft).
    fn run(path: &str) -> Option<(ismap_formats::prefill::Prefill, usize, usize)> {
        let dir = shared_data()?;
        let doc = document::read(&dir.join(path)).unwrap();
        let catalog = default_catalog();
        let filled = prefill(&doc, bundled_crosswalk(), catalog).unwrap();
        let date = chrono::NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
        let yaml = filled.to_yaml(catalog, date, ismap_domain::ServiceModel::SaaS);
        let parsed = parse_statement("draft.yaml", &yaml).unwrap();
        assert!(parsed.problems.is_empty(), "{:?}", parsed.problems);
        let statement = &parsed.statement;
        assert_eq!(statement.service.name, filled.service_name);
        let drafts: Vec<_> = statement
            .controls
            .values()
            .filter(|c| {
                c.individual_control
                    .as_deref()
                    .is_some_and(|t| t.starts_with(DRAFT_MARK))
            })
            .collect();
        assert!(statement.controls.values().all(|c| c.decision.is_none()));
        let objectives: std::collections::BTreeSet<_> =
            drafts.iter().map(|c| c.id.objective_number()).collect();
        // Validation runs on the draft: only undecided findings, no reading problems.
        let report = check_statement(&parsed, &[catalog], None);
        assert!(report.errors() > 0);
        assert!(
            report
                .findings
                .iter()
                .all(|f| f.finding.kind == ismap_domain::FindingKind::Undecided
                    || f.finding.severity == ismap_domain::Severity::Warning),
            "{:?}",
            report
                .findings
                .iter()
                .find(|f| f.finding.kind != ismap_domain::FindingKind::Undecided)
        );
        assert!(drafts.iter().all(|c| {
            c.id.level() == Level::Detailed
                || catalog
                    .children_of(catalog.position(c.id.number()).unwrap())
                    .is_empty()
        }));
        Some((filled, drafts.len(), objectives.len()))
    }

    #[test]
    fn nist_example_ssp_au_1_drafts_the_policy_objectives() {
        let Some((filled, drafts, objectives)) = run(NIST_SSP) else {
            return;
        };
        assert_eq!(
            filled.service_name,
            "Enterprise Logging and Auditing System"
        );
        assert_eq!(
            (
                filled.summary.covered,
                filled.summary.partly,
                filled.summary.not_covered
            ),
            (0, 6, 115)
        );
        assert_eq!(
            (objectives, drafts),
            (filled.objectives_prefilled, filled.controls_prefilled)
        );
        // AU-1 is one of the twenty "-1" policy controls NIST maps to the
        // six policy objectives (docs/crosswalk.md).
        assert_eq!((objectives, drafts), (6, 19));
        let draft = &filled.fill.drafts[&"5.1.1.1".parse::<ControlId>().unwrap().number()];
        assert!(draft.contains("[AU-1] (au-1_smt.a;"), "{draft}");
    }

    #[test]
    fn fedramp_example_ssp_xml() {
        let Some((filled, drafts, objectives)) = run(FEDRAMP_SSP) else {
            return;
        };
        assert_eq!(
            (
                filled.summary.covered,
                filled.summary.partly,
                filled.summary.not_covered
            ),
            (80, 32, 9),
            "the example plan is FedRAMP MODERATE's 323 controls"
        );
        assert_eq!(
            (objectives, drafts),
            (filled.objectives_prefilled, filled.controls_prefilled)
        );
        assert_eq!((objectives, drafts), (112, 139));
        let draft = &filled.fill.drafts[&"9.2.1.6.PB".parse::<ControlId>().unwrap().number()];
        assert!(draft.contains("[AC-2]"), "{draft}");
    }
}
