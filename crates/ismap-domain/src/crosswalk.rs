//! The crosswalk ISMAP ↔ ISO/IEC 27001:2013 Annex A ↔ NIST SP 800-53 rev5, and
//! the rule that says how far controls a provider already holds (an ISO/IEC
//! 27001 certificate, a FedRAMP baseline, an SSP's controls) cover each ISMAP
//! control objective of chapters 5–18. docs/crosswalk.md explains the sources
//! and the rule; the data lives in ismap-formats, not here.
//!
//! The bridge is ISO: ISMAP objectives of chapters 5–18 carry the numbers of
//! JIS Q 27002:2014 = ISO/IEC 27002:2013, which are the Annex A numbers
//! (spec §2), and NIST maps SP 800-53 to Annex A in both directions.

use std::collections::{BTreeSet, HashMap, HashSet};

use crate::control_id::{ControlId, ControlNumber, Level};
pub use crate::framework_id::{AnnexAId, NistControlId};

/// One ISMAP control objective and its ISO/IEC 27001:2013 counterpart.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectiveMapping {
    pub ismap: ControlId,
    /// `None` for the exceptions, e.g. ISMAP's cloud objectives (`.P`).
    pub iso27001: Option<AnnexAId>,
    /// Why there is no counterpart, or what else to know (shown to users).
    pub note: String,
}

/// How one of NIST's two tables lists an ISO ↔ SP 800-53 pair.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Listing {
    NotListed,
    Listed,
    /// Listed with NIST's asterisk: the right-hand control does not fully
    /// satisfy the intent of the left-hand one.
    Asterisk,
}

/// A pair from NIST's mapping. Table 1 reads SP 800-53 → ISO (its asterisk:
/// the ISO control does not fully satisfy the NIST control); Table 2 reads
/// ISO → SP 800-53 (its asterisk: the NIST control does not fully satisfy
/// the ISO control).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Link {
    pub iso27001: AnnexAId,
    pub nist: NistControlId,
    pub table1: Listing,
    pub table2: Listing,
}

/// How well holding the NIST control of a link stands for the ISO control.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Strength {
    /// Table 2 lists it without an asterisk: NIST says the control satisfies
    /// the intent of the ISO control (together with the other full links).
    Full,
    /// Table 2 marks it with an asterisk, or only Table 1 lists it (NIST
    /// related the two, but did not say the NIST control satisfies the ISO
    /// control; e.g. SC-38 "Operations Security" → all of A.12).
    Partial,
}

impl Link {
    pub fn strength(&self) -> Strength {
        match self.table2 {
            Listing::Listed => Strength::Full,
            Listing::Asterisk | Listing::NotListed => Strength::Partial,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CrosswalkProblem {
    #[error("row {row}: {id} is not a control objective of chapters 5-18")]
    NotAnObjective { row: usize, id: ControlId },
    #[error("row {row}: objective {id} is listed twice")]
    DuplicateObjective { row: usize, id: ControlId },
    #[error("row {row}: {iso} is the counterpart of both {first} and {second}")]
    SharedCounterpart {
        row: usize,
        iso: AnnexAId,
        first: ControlId,
        second: ControlId,
    },
    #[error("row {row}: objective {id} has no ISO/IEC 27001 counterpart and no note saying why")]
    ExceptionWithoutNote { row: usize, id: ControlId },
    #[error("row {row}: the pair {iso} - {nist} is listed twice")]
    DuplicateLink {
        row: usize,
        iso: AnnexAId,
        nist: NistControlId,
    },
    #[error("row {row}: the pair {iso} - {nist} is in neither NIST table")]
    LinkInNoTable {
        row: usize,
        iso: AnnexAId,
        nist: NistControlId,
    },
    #[error("row {row}: {iso} is not the counterpart of any ISMAP objective")]
    LinkWithoutObjective { row: usize, iso: AnnexAId },
}

/// Which list given to [`Crosswalk::build`] a problem is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CrosswalkList {
    Objectives,
    Links,
}

impl CrosswalkProblem {
    /// The list and the 1-based row the problem is in.
    pub fn place(&self) -> (CrosswalkList, usize) {
        use CrosswalkProblem::*;
        match *self {
            NotAnObjective { row, .. }
            | DuplicateObjective { row, .. }
            | SharedCounterpart { row, .. }
            | ExceptionWithoutNote { row, .. } => (CrosswalkList::Objectives, row),
            DuplicateLink { row, .. }
            | LinkInNoTable { row, .. }
            | LinkWithoutObjective { row, .. } => (CrosswalkList::Links, row),
        }
    }
}

/// A checked crosswalk. Rows are 1-based positions in the lists given to
/// [`Crosswalk::build`] so a loader can turn them into file lines.
#[derive(Clone, Debug)]
pub struct Crosswalk {
    objectives: Vec<ObjectiveMapping>,
    links: Vec<Link>,
    by_iso: HashMap<AnnexAId, usize>,
}

impl Crosswalk {
    pub fn build(
        mut objectives: Vec<ObjectiveMapping>,
        mut links: Vec<Link>,
    ) -> Result<Crosswalk, Vec<CrosswalkProblem>> {
        let mut problems = Vec::new();
        let mut seen = HashSet::new();
        let mut by_iso: HashMap<AnnexAId, ControlId> = HashMap::new();
        for (i, o) in objectives.iter().enumerate() {
            let row = i + 1;
            let id = o.ismap;
            if id.level() != Level::Objective || id.chapter() < 5 {
                problems.push(CrosswalkProblem::NotAnObjective { row, id });
            }
            if !seen.insert(id.number()) {
                problems.push(CrosswalkProblem::DuplicateObjective { row, id });
            }
            match o.iso27001 {
                Some(iso) => {
                    if let Some(first) = by_iso.insert(iso, id) {
                        problems.push(CrosswalkProblem::SharedCounterpart {
                            row,
                            iso,
                            first,
                            second: id,
                        });
                    }
                }
                None if o.note.trim().is_empty() => {
                    problems.push(CrosswalkProblem::ExceptionWithoutNote { row, id });
                }
                None => {}
            }
        }
        let mut pairs = HashSet::new();
        for (i, link) in links.iter().enumerate() {
            let (row, iso, nist) = (i + 1, link.iso27001, link.nist);
            if !pairs.insert((iso, nist)) {
                problems.push(CrosswalkProblem::DuplicateLink { row, iso, nist });
            }
            if link.table1 == Listing::NotListed && link.table2 == Listing::NotListed {
                problems.push(CrosswalkProblem::LinkInNoTable { row, iso, nist });
            }
            if !by_iso.contains_key(&iso) {
                problems.push(CrosswalkProblem::LinkWithoutObjective { row, iso });
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        objectives.sort_by_key(|o| o.ismap);
        links.sort_by_key(|l| (l.iso27001, l.nist));
        let by_iso = objectives
            .iter()
            .enumerate()
            .filter_map(|(i, o)| o.iso27001.map(|iso| (iso, i)))
            .collect();
        Ok(Crosswalk {
            objectives,
            links,
            by_iso,
        })
    }

    /// Every ISMAP objective of chapters 5–18 the crosswalk knows, in order.
    pub fn objectives(&self) -> &[ObjectiveMapping] {
        &self.objectives
    }

    pub fn links(&self) -> &[Link] {
        &self.links
    }

    pub fn objective(&self, number: ControlNumber) -> Option<&ObjectiveMapping> {
        self.objectives.iter().find(|o| o.ismap.number() == number)
    }

    /// The ISMAP objective whose counterpart is this Annex A control.
    pub fn objective_for_iso(&self, iso: AnnexAId) -> Option<&ObjectiveMapping> {
        self.by_iso.get(&iso).map(|&i| &self.objectives[i])
    }

    /// The SP 800-53 links of an Annex A control, in NIST order.
    pub fn links_of(&self, iso: AnnexAId) -> impl Iterator<Item = &Link> {
        self.links.iter().filter(move |l| l.iso27001 == iso)
    }

    /// The links of a NIST control; for a base control also those of its
    /// enhancements (a lookup of AC-19 shows AC-19(4) → A.11.1.5).
    pub fn links_of_nist(&self, nist: NistControlId) -> Vec<(&ObjectiveMapping, &Link)> {
        self.links
            .iter()
            .filter(|l| l.nist == nist || (!nist.is_enhancement() && l.nist.base() == nist))
            .filter_map(|l| self.objective_for_iso(l.iso27001).map(|o| (o, l)))
            .collect()
    }

    /// How far `holdings` cover each objective (see [`Status`] for the rule).
    pub fn assess(&self, holdings: &Holdings) -> Vec<Coverage> {
        self.objectives
            .iter()
            .map(|o| self.assess_one(o, holdings))
            .collect()
    }

    fn assess_one(&self, o: &ObjectiveMapping, holdings: &Holdings) -> Coverage {
        let mut coverage = Coverage {
            objective: o.ismap,
            iso27001: o.iso27001,
            status: Status::NotCovered,
            reason: Reason::NoCounterpart,
            held: Vec::new(),
            missing: Vec::new(),
        };
        let Some(iso) = o.iso27001 else {
            return coverage;
        };
        match holdings {
            Holdings::Iso27001(held) => {
                // The objective is the Annex A control of the same number
                // (spec §2), so holding it is all there is to check.
                if held.contains(&iso) {
                    coverage.status = Status::Covered;
                    coverage.reason = Reason::IsoControlHeld;
                } else {
                    coverage.reason = Reason::IsoControlNotHeld;
                }
            }
            Holdings::Nist(held) => {
                let links: Vec<&Link> = self.links_of(iso).collect();
                let mut full = 0;
                for link in &links {
                    let strength = link.strength();
                    full += usize::from(strength == Strength::Full);
                    if held.contains(&link.nist) {
                        coverage.held.push((link.nist, strength));
                    } else if strength == Strength::Full {
                        coverage.missing.push(link.nist);
                    }
                }
                let full_held = coverage
                    .held
                    .iter()
                    .filter(|(_, s)| *s == Strength::Full)
                    .count();
                (coverage.status, coverage.reason) = if links.is_empty() {
                    (Status::NotCovered, Reason::NoNistLink)
                } else if full > 0 && full_held == full {
                    (Status::Covered, Reason::AllFullLinksHeld)
                } else if full_held > 0 {
                    (Status::Partly, Reason::SomeFullLinksHeld)
                } else if !coverage.held.is_empty() {
                    (Status::Partly, Reason::OnlyPartialLinksHeld)
                } else {
                    (Status::NotCovered, Reason::NoLinkHeld)
                };
            }
        }
        coverage
    }
}

/// What a provider already holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Holdings {
    /// The Annex A controls an ISO/IEC 27001:2013 certificate covers (its
    /// statement of applicability; all 114 when nothing is excluded).
    Iso27001(BTreeSet<AnnexAId>),
    /// SP 800-53 rev5 controls in place (a FedRAMP baseline, an SSP).
    Nist(BTreeSet<NistControlId>),
}

impl Holdings {
    /// Every Annex A control the crosswalk knows: a certificate with nothing
    /// excluded.
    pub fn iso27001_all(crosswalk: &Crosswalk) -> Holdings {
        Holdings::Iso27001(
            crosswalk
                .objectives
                .iter()
                .filter_map(|o| o.iso27001)
                .collect(),
        )
    }

    /// SP 800-53 controls in place. An enhancement in the list also counts
    /// for its base control: SP 800-53 rev5 §2.2 says enhancements are not
    /// selected independently, so a system with AC-2(1) implements AC-2. The
    /// converse does not hold: AC-19 does not stand for AC-19(4).
    pub fn nist(ids: impl IntoIterator<Item = NistControlId>) -> Holdings {
        let mut held = BTreeSet::new();
        for id in ids {
            held.insert(id);
            held.insert(id.base());
        }
        Holdings::Nist(held)
    }
}

/// The three answers, per ISMAP objective.
///
/// - ISO/IEC 27001 holdings: **covered** when the certificate covers the
///   Annex A control of the same number, else **not covered**.
/// - SP 800-53 holdings: **covered** when every full link of the objective's
///   Annex A control is held (NIST lists the set of controls that together
///   satisfy the ISO control); **partly** when some but not all full links
///   are held, or only partial links are; **not covered** when no linked
///   control is held or NIST links none.
/// - Objectives with no ISO counterpart (ISMAP's cloud objectives `.P`) are
///   **not covered** by either: nothing outside ISMAP stands for them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Status {
    Covered,
    Partly,
    NotCovered,
}

impl Status {
    pub const ALL: [Status; 3] = [Status::Covered, Status::Partly, Status::NotCovered];

    pub fn key(self) -> &'static str {
        match self {
            Status::Covered => "covered",
            Status::Partly => "partly",
            Status::NotCovered => "not_covered",
        }
    }
}

/// Why an objective got its status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Reason {
    NoCounterpart,
    IsoControlHeld,
    IsoControlNotHeld,
    AllFullLinksHeld,
    SomeFullLinksHeld,
    OnlyPartialLinksHeld,
    NoLinkHeld,
    NoNistLink,
}

impl Reason {
    pub fn key(self) -> &'static str {
        match self {
            Reason::NoCounterpart => "no_counterpart",
            Reason::IsoControlHeld => "iso_control_held",
            Reason::IsoControlNotHeld => "iso_control_not_held",
            Reason::AllFullLinksHeld => "all_full_links_held",
            Reason::SomeFullLinksHeld => "some_full_links_held",
            Reason::OnlyPartialLinksHeld => "only_partial_links_held",
            Reason::NoLinkHeld => "no_link_held",
            Reason::NoNistLink => "no_nist_link",
        }
    }
}

/// The answer for one objective.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Coverage {
    pub objective: ControlId,
    pub iso27001: Option<AnnexAId>,
    pub status: Status,
    pub reason: Reason,
    /// Linked SP 800-53 controls the provider holds (SP 800-53 holdings).
    pub held: Vec<(NistControlId, Strength)>,
    /// Full links not held: what would turn partly into covered.
    pub missing: Vec<NistControlId>,
}

/// Counts per status, and how many objectives have no counterpart at all.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub covered: usize,
    pub partly: usize,
    pub not_covered: usize,
    pub no_counterpart: usize,
}

impl Summary {
    pub fn of(coverage: &[Coverage]) -> Summary {
        let mut s = Summary::default();
        for c in coverage {
            match c.status {
                Status::Covered => s.covered += 1,
                Status::Partly => s.partly += 1,
                Status::NotCovered => s.not_covered += 1,
            }
            s.no_counterpart += usize::from(c.reason == Reason::NoCounterpart);
        }
        s
    }

    pub fn total(&self) -> usize {
        self.covered + self.partly + self.not_covered
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn objective(ismap: &str, iso: Option<&str>) -> ObjectiveMapping {
        ObjectiveMapping {
            ismap: ismap.parse().unwrap(),
            iso27001: iso.map(|i| i.parse().unwrap()),
            note: if iso.is_none() {
                "cloud-specific".into()
            } else {
                String::new()
            },
        }
    }

    fn link(iso: &str, nist: &str, table1: Listing, table2: Listing) -> Link {
        Link {
            iso27001: iso.parse().unwrap(),
            nist: nist.parse().unwrap(),
            table1,
            table2,
        }
    }

    use Listing::{Asterisk, Listed, NotListed};

    /// 9.2.3 ↔ A.9.2.3 with two full links and one Table-1-only link;
    /// 11.1.1 ↔ A.11.1.1 with only an asterisked link; 11.1.5 with an
    /// enhancement link; 9.5.1.P without counterpart.
    fn sample() -> Crosswalk {
        Crosswalk::build(
            vec![
                objective("9.2.3", Some("A.9.2.3")),
                objective("9.5.1.P", None),
                objective("11.1.1", Some("A.11.1.1")),
                objective("11.1.5", Some("A.11.1.5")),
                objective("18.1.4", Some("A.18.1.4")),
            ],
            vec![
                link("A.9.2.3", "AC-6", Listed, Listed),
                link("A.9.2.3", "AC-2", Listed, Listed),
                link("A.9.2.3", "SC-38", Listed, NotListed),
                link("A.11.1.1", "PE-3", NotListed, Asterisk),
                link("A.11.1.5", "AC-19(4)", NotListed, Listed),
            ],
        )
        .unwrap()
    }

    fn nist(ids: &[&str]) -> Holdings {
        Holdings::nist(ids.iter().map(|i| i.parse().unwrap()))
    }

    fn status_of(cw: &Crosswalk, holdings: &Holdings, ismap: &str) -> (Status, Reason) {
        let id: ControlId = ismap.parse().unwrap();
        let c = cw
            .assess(holdings)
            .into_iter()
            .find(|c| c.objective == id)
            .unwrap();
        (c.status, c.reason)
    }

    #[test]
    fn all_full_links_held_covers_the_objective() {
        let cw = sample();
        let (status, reason) = status_of(&cw, &nist(&["AC-2", "AC-6"]), "9.2.3");
        assert_eq!(
            (status, reason),
            (Status::Covered, Reason::AllFullLinksHeld)
        );
    }

    #[test]
    fn some_full_links_held_is_partly_and_names_what_is_missing() {
        let cw = sample();
        let c = cw
            .assess(&nist(&["AC-2"]))
            .into_iter()
            .find(|c| c.objective.to_string() == "9.2.3")
            .unwrap();
        assert_eq!(c.status, Status::Partly);
        assert_eq!(c.reason, Reason::SomeFullLinksHeld);
        assert_eq!(c.missing, vec!["AC-6".parse().unwrap()]);
    }

    #[test]
    fn a_table1_only_link_alone_is_partly() {
        let cw = sample();
        assert_eq!(
            status_of(&cw, &nist(&["SC-38"]), "9.2.3"),
            (Status::Partly, Reason::OnlyPartialLinksHeld)
        );
    }

    #[test]
    fn an_asterisked_link_never_covers_fully() {
        let cw = sample();
        assert_eq!(
            status_of(&cw, &nist(&["PE-3"]), "11.1.1"),
            (Status::Partly, Reason::OnlyPartialLinksHeld)
        );
    }

    #[test]
    fn an_enhancement_counts_for_its_base_but_not_the_reverse() {
        let cw = sample();
        // AC-2(1) implies AC-2.
        assert_eq!(
            status_of(&cw, &nist(&["AC-2(1)", "AC-6"]), "9.2.3").0,
            Status::Covered
        );
        // AC-19 does not imply AC-19(4).
        assert_eq!(
            status_of(&cw, &nist(&["AC-19"]), "11.1.5").0,
            Status::NotCovered
        );
        assert_eq!(
            status_of(&cw, &nist(&["AC-19(4)"]), "11.1.5").0,
            Status::Covered
        );
    }

    #[test]
    fn cloud_objectives_have_no_counterpart_and_stay_not_covered() {
        let cw = sample();
        for holdings in [Holdings::iso27001_all(&cw), nist(&["AC-2", "PE-3"])] {
            assert_eq!(
                status_of(&cw, &holdings, "9.5.1.P"),
                (Status::NotCovered, Reason::NoCounterpart)
            );
        }
    }

    #[test]
    fn an_objective_nist_does_not_link_is_not_covered_by_nist_controls() {
        let cw = sample();
        assert_eq!(
            status_of(&cw, &nist(&["AC-2"]), "18.1.4"),
            (Status::NotCovered, Reason::NoNistLink)
        );
    }

    #[test]
    fn an_iso_certificate_covers_the_annex_a_controls_it_includes() {
        let cw = sample();
        let all = Holdings::iso27001_all(&cw);
        let summary = Summary::of(&cw.assess(&all));
        assert_eq!(
            summary,
            Summary {
                covered: 4,
                partly: 0,
                not_covered: 1,
                no_counterpart: 1
            }
        );
        let some = Holdings::Iso27001(["A.9.2.3".parse().unwrap()].into());
        assert_eq!(
            status_of(&cw, &some, "11.1.1"),
            (Status::NotCovered, Reason::IsoControlNotHeld)
        );
    }

    #[test]
    fn lookup_of_a_base_control_shows_its_enhancements_links() {
        let cw = sample();
        let found = cw.links_of_nist("AC-19".parse().unwrap());
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].0.ismap.to_string(), "11.1.5");
        assert!(cw.links_of_nist("AC-2(3)".parse().unwrap()).is_empty());
    }

    #[test]
    fn build_reports_every_broken_row() {
        let problems = Crosswalk::build(
            vec![
                objective("9.2.3", Some("A.9.2.3")),
                objective("9.2.3", Some("A.9.2.3")),
                ObjectiveMapping {
                    ismap: "9.5.1.P".parse().unwrap(),
                    iso27001: None,
                    note: " ".into(),
                },
                objective("4.4.1", Some("A.5.1.1")),
            ],
            vec![
                link("A.9.2.3", "AC-2", Listed, Listed),
                link("A.9.2.3", "AC-2", Listed, Listed),
                link("A.9.2.4", "IA-5", NotListed, NotListed),
            ],
        )
        .unwrap_err();
        let text: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
        assert_eq!(text.len(), 7, "{text:#?}");
        assert!(
            text.iter()
                .any(|t| t.starts_with("row 2: objective 9.2.3 is listed twice"))
        );
        assert!(
            text.iter()
                .any(|t| t.contains("row 3: objective 9.5.1.P has no ISO/IEC 27001 counterpart"))
        );
        assert!(
            text.iter()
                .any(|t| t.contains("row 4: 4.4.1 is not a control objective"))
        );
        assert!(
            text.iter()
                .any(|t| t.contains("row 3: A.9.2.4 is not the counterpart"))
        );
    }
}
