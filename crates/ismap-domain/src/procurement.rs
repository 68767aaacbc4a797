//! The procurement check (調達前確認, issue 15): for a service and a day,
//! whether an agency may procure it from the lists (seed 000 §1 原則利用),
//! or needs the CISO's confirmation or an interim measure.
//!
//! A pure function of the facts the portal holds: the service's
//! registrations, the ISMAP-LIU impact assessment named for this use (on
//! the register entry, or the API's `assessment_id`) with the agency's
//! approved assessments of the service, and the special measures list.
//! Each rule applied is given with where it comes from: `seed` (the
//! programme's documents) or `this_system` (this project's reading, said
//! so where shown).

use chrono::NaiveDate;

use crate::impact::AssessmentState;
use crate::registration::{ListKind, RegistrationStatus, status_on};

/// One registration of the service, as the check needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegistrationFacts {
    pub list: ListKind,
    pub number: String,
    pub valid_from: NaiveDate,
    pub valid_until: NaiveDate,
    /// Superseded by a renewal.
    pub superseded: bool,
    /// A renewal application is under review.
    pub renewal_under_review: bool,
    pub improvement_plan: bool,
    /// Suspended now (the portal keeps the current suspension only).
    pub suspended: bool,
    pub suspension_reason: String,
}

/// A special measures list entry of the service.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpecialMeasureFacts {
    pub id: i64,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub ended: bool,
}

/// An ISMAP-LIU impact assessment (影響評価), as the check needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AssessmentFacts {
    pub id: i64,
    /// The agency the assessment is the assessment of.
    pub agency_id: i64,
    pub service_id: i64,
    /// The use it assesses (its name, as the provider asked for it).
    pub use_name: String,
    pub state: AssessmentState,
    /// When it was approved (a timestamp), once approved.
    pub approved_at: Option<String>,
}

/// Everything the check reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Facts {
    pub service_id: Option<i64>,
    pub service_name: String,
    /// `IaaS`, `PaaS`, `SaaS`, when the portal knows the service.
    pub model: Option<String>,
    pub registrations: Vec<RegistrationFacts>,
    /// The asking agency (none: the secretariat, who has no assessment of
    /// its own).
    pub agency_id: Option<i64>,
    /// The assessment named for this use: the one the register entry
    /// records, or the API's `assessment_id`.
    pub named_assessment: Option<AssessmentFacts>,
    /// The asking agency's assessments of the service (any state): the
    /// approved ones are the candidates offered when none is named.
    pub agency_assessments: Vec<AssessmentFacts>,
    pub special_measures: Vec<SpecialMeasureFacts>,
}

/// Whether a registration holds on the day, and why.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Validity {
    /// Within its validity.
    Valid,
    /// Past its last day, kept valid because its renewal is under review.
    ValidRenewalUnderReview,
    /// Its validity starts after the day.
    NotYetValid,
    /// Its validity ended before the day, without a renewal under review.
    Expired,
    /// Suspended by the committee.
    Suspended,
}

impl Validity {
    pub fn key(self) -> &'static str {
        match self {
            Validity::Valid => "valid",
            Validity::ValidRenewalUnderReview => "valid_renewal_under_review",
            Validity::NotYetValid => "not_yet_valid",
            Validity::Expired => "expired",
            Validity::Suspended => "suspended",
        }
    }

    pub fn is_valid(self) -> bool {
        matches!(self, Validity::Valid | Validity::ValidRenewalUnderReview)
    }
}

/// The service on one list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListAnswer {
    /// `ismap` or `liu`.
    pub list: String,
    pub number: String,
    pub valid_from: NaiveDate,
    pub valid_until: NaiveDate,
    pub validity: Validity,
    pub renewal_under_review: bool,
    pub improvement_plan: bool,
    pub suspended: bool,
    pub suspension_reason: String,
}

/// An approved assessment the agency could name for the use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    pub id: i64,
    pub use_name: String,
    pub approved_at: Option<String>,
}

/// The agency's own impact assessment for this use, for an ISMAP-LIU
/// service.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LiuAssessment {
    /// Not on the ISMAP-LIU list (or also validly on the ISMAP list).
    NotNeeded,
    /// The use names an approved assessment of this agency for this
    /// service: approved for this use.
    Approved { id: i64, use_name: String },
    /// The use names an assessment of this agency for this service that is
    /// still in progress (requested, submitted or returned).
    NotApprovedYet {
        id: i64,
        use_name: String,
        state: AssessmentState,
    },
    /// No assessment of this agency for this service is named for the use;
    /// `candidates`: the agency's approved assessments of the service, one
    /// of which may be the use's (newest first).
    Missing { candidates: Vec<Candidate> },
}

impl LiuAssessment {
    pub fn key(&self) -> &'static str {
        match self {
            LiuAssessment::NotNeeded => "not_needed",
            LiuAssessment::Approved { .. } => "approved",
            LiuAssessment::NotApprovedYet { .. } => "not_approved_yet",
            LiuAssessment::Missing { .. } => "missing",
        }
    }
}

/// The special measures list, for a SaaS.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SpecialMeasures {
    /// Not a SaaS (or unknown to the portal): the list does not apply.
    NotApplicable,
    Listed {
        id: i64,
        period_start: NaiveDate,
        period_end: NaiveDate,
        in_period: bool,
    },
    NotListed,
}

/// The overall answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// On a list and valid (with the agency's assessment, for ISMAP-LIU):
    /// procure from the list.
    ProcureFromList,
    /// On the ISMAP-LIU list, valid, but the agency's impact assessment
    /// named for this use is not approved yet.
    NeedsLiuAssessment,
    /// On the ISMAP-LIU list, valid, but no impact assessment of the
    /// agency is named for this use: one must be named (the approved ones
    /// are offered as candidates).
    NameLiuAssessment,
    /// Not validly registered: the CISO's confirmation or an interim
    /// measure is needed.
    NeedsCisoOrInterim,
}

impl Verdict {
    pub fn key(self) -> &'static str {
        match self {
            Verdict::ProcureFromList => "procure_from_list",
            Verdict::NeedsLiuAssessment => "needs_liu_assessment",
            Verdict::NameLiuAssessment => "name_liu_assessment",
            Verdict::NeedsCisoOrInterim => "needs_ciso_or_interim",
        }
    }
}

/// Where a rule comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Provenance {
    Seed,
    ThisSystem,
}

/// A rule the check applied, by its key (`register-rule-<key>` in the
/// catalogs), with its provenance and source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    pub key: String,
    pub provenance: Provenance,
    pub source: String,
}

/// The check's result: stored as the snapshot of what was true.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckResult {
    pub day: NaiveDate,
    pub service_id: Option<i64>,
    pub service_name: String,
    pub model: Option<String>,
    pub lists: Vec<ListAnswer>,
    pub liu_assessment: LiuAssessment,
    pub special_measures: SpecialMeasures,
    pub verdict: Verdict,
    pub rules: Vec<Rule>,
}

impl CheckResult {
    /// On a list and valid on the day (whatever the LIU assessment).
    pub fn valid_on_a_list(&self) -> bool {
        self.lists.iter().any(|l| l.validity.is_valid())
    }
}

fn rule(key: &str, provenance: Provenance, source: &str) -> Rule {
    Rule {
        key: key.to_owned(),
        provenance,
        source: source.to_owned(),
    }
}

/// The validity of one registration on `day` (the renewal-under-review
/// rule of `registration::status_on`).
pub fn validity(r: &RegistrationFacts, day: NaiveDate) -> Validity {
    if r.suspended {
        return Validity::Suspended;
    }
    if day < r.valid_from {
        return Validity::NotYetValid;
    }
    match status_on(r.valid_until, false, r.renewal_under_review, day) {
        RegistrationStatus::Valid if day <= r.valid_until => Validity::Valid,
        RegistrationStatus::Valid => Validity::ValidRenewalUnderReview,
        _ => Validity::Expired,
    }
}

/// The registration that speaks for `list` on `day`: the one valid that
/// day if any, else the latest not superseded, else the latest.
fn for_list(
    registrations: &[RegistrationFacts],
    list: ListKind,
    day: NaiveDate,
) -> Option<&RegistrationFacts> {
    let on_list: Vec<&RegistrationFacts> =
        registrations.iter().filter(|r| r.list == list).collect();
    on_list
        .iter()
        .rev()
        .find(|r| validity(r, day).is_valid())
        .or_else(|| on_list.iter().rev().find(|r| !r.superseded))
        .or_else(|| on_list.last())
        .copied()
}

/// Whether `a` is the asking agency's assessment of the service checked.
fn of_this_agency_and_service(facts: &Facts, a: &AssessmentFacts) -> bool {
    facts.agency_id == Some(a.agency_id) && facts.service_id == Some(a.service_id)
}

/// The ISMAP-LIU answer: the named assessment when it is this agency's for
/// this service (approved, or not yet); else missing, with this agency's
/// approved assessments of the service as candidates. An assessment of
/// another agency or service named by mistake counts as none named.
fn liu_assessment(facts: &Facts) -> LiuAssessment {
    match &facts.named_assessment {
        Some(a) if of_this_agency_and_service(facts, a) => {
            if a.state == AssessmentState::Approved {
                LiuAssessment::Approved {
                    id: a.id,
                    use_name: a.use_name.clone(),
                }
            } else {
                LiuAssessment::NotApprovedYet {
                    id: a.id,
                    use_name: a.use_name.clone(),
                    state: a.state,
                }
            }
        }
        _ => {
            let mut candidates: Vec<Candidate> = facts
                .agency_assessments
                .iter()
                .filter(|a| {
                    of_this_agency_and_service(facts, a) && a.state == AssessmentState::Approved
                })
                .map(|a| Candidate {
                    id: a.id,
                    use_name: a.use_name.clone(),
                    approved_at: a.approved_at.clone(),
                })
                .collect();
            candidates.sort_by_key(|c| std::cmp::Reverse(c.id));
            LiuAssessment::Missing { candidates }
        }
    }
}

/// The check of `facts` on `day`.
pub fn check(facts: &Facts, day: NaiveDate) -> CheckResult {
    let mut rules = vec![rule(
        "principle",
        Provenance::Seed,
        "000 §1 原則利用: 本制度において登録されたサービスから調達することを原則とする",
    )];
    let mut lists = Vec::new();
    for list in ListKind::ALL {
        if let Some(r) = for_list(&facts.registrations, list, day) {
            let validity = validity(r, day);
            lists.push(ListAnswer {
                list: list.key().to_owned(),
                number: r.number.clone(),
                valid_from: r.valid_from,
                valid_until: r.valid_until,
                validity,
                renewal_under_review: r.renewal_under_review,
                improvement_plan: r.improvement_plan,
                suspended: r.suspended,
                suspension_reason: r.suspension_reason.clone(),
            });
        }
    }
    if lists
        .iter()
        .any(|l| l.validity == Validity::ValidRenewalUnderReview)
    {
        rules.push(rule(
            "renewal",
            Provenance::Seed,
            "spec §6: 更新審査中の登録は有効として扱う",
        ));
    }
    if lists.iter().any(|l| l.suspended) {
        rules.push(rule(
            "suspension",
            Provenance::ThisSystem,
            "the portal keeps the current suspension only: a suspended registration is not valid for any day checked",
        ));
    }
    let ismap_valid = lists
        .iter()
        .any(|l| l.list == ListKind::Ismap.key() && l.validity.is_valid());
    let liu_valid = lists
        .iter()
        .any(|l| l.list == ListKind::Liu.key() && l.validity.is_valid());
    let liu_assessment = if liu_valid && !ismap_valid {
        rules.push(rule(
            "liu-assessment",
            Provenance::Seed,
            "seed 001, spec §7.2: ISMAP-LIU は業務・情報の影響度評価が判断基準であり、調達する政府機関等がその利用について評価する（承認済みの自組織の影響評価が必要）",
        ));
        rules.push(rule(
            "liu-assessment-named",
            Provenance::ThisSystem,
            "the assessment is matched to the use by naming it (the register entry's assessment, the API's assessment_id): an approved assessment of another use does not count",
        ));
        liu_assessment(facts)
    } else {
        LiuAssessment::NotNeeded
    };
    let special_measures = if facts.model.as_deref() == Some("SaaS") {
        rules.push(rule(
            "special-measures",
            Provenance::Seed,
            "seed 001: 特別措置サービスリスト（SaaS、政府機関等に共有）",
        ));
        match facts.special_measures.iter().rev().find(|s| !s.ended) {
            Some(s) => SpecialMeasures::Listed {
                id: s.id,
                period_start: s.period_start,
                period_end: s.period_end,
                in_period: s.period_start <= day && day <= s.period_end,
            },
            None => SpecialMeasures::NotListed,
        }
    } else {
        SpecialMeasures::NotApplicable
    };
    let verdict = if ismap_valid {
        Verdict::ProcureFromList
    } else if liu_valid {
        match &liu_assessment {
            LiuAssessment::Approved { .. } => Verdict::ProcureFromList,
            LiuAssessment::Missing { .. } => Verdict::NameLiuAssessment,
            _ => Verdict::NeedsLiuAssessment,
        }
    } else {
        rules.push(rule(
            "unregistered",
            Provenance::Seed,
            "000 §1–2: 原則が困難な場合は暫定措置、暫定措置も困難な場合は最高情報セキュリティ責任者の責任において確認",
        ));
        Verdict::NeedsCisoOrInterim
    };
    CheckResult {
        day,
        service_id: facts.service_id,
        service_name: facts.service_name.clone(),
        model: facts.model.clone(),
        lists,
        liu_assessment,
        special_measures,
        verdict,
        rules,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    fn reg(list: ListKind, until: &str) -> RegistrationFacts {
        RegistrationFacts {
            list,
            number: format!("{}21-0008-1", list.letter()),
            valid_from: day("2024-01-01"),
            valid_until: day(until),
            superseded: false,
            renewal_under_review: false,
            improvement_plan: false,
            suspended: false,
            suspension_reason: String::new(),
        }
    }

    fn facts(registrations: Vec<RegistrationFacts>, model: &str) -> Facts {
        Facts {
            service_id: Some(1),
            service_name: "s".into(),
            model: Some(model.into()),
            registrations,
            agency_id: Some(7),
            named_assessment: None,
            agency_assessments: vec![],
            special_measures: vec![],
        }
    }

    fn assessment(id: i64, use_name: &str, state: AssessmentState) -> AssessmentFacts {
        AssessmentFacts {
            id,
            agency_id: 7,
            service_id: 1,
            use_name: use_name.into(),
            state,
            approved_at: (state == AssessmentState::Approved)
                .then(|| "2026-05-01T09:00:00Z".into()),
        }
    }

    #[test]
    fn a_valid_ismap_registration_is_procured_from_the_list() {
        let result = check(
            &facts(vec![reg(ListKind::Ismap, "2026-12-31")], "IaaS"),
            day("2026-06-01"),
        );
        assert_eq!(result.verdict, Verdict::ProcureFromList);
        assert_eq!(result.lists[0].validity, Validity::Valid);
        assert_eq!(result.liu_assessment, LiuAssessment::NotNeeded);
        assert_eq!(result.special_measures, SpecialMeasures::NotApplicable);
        assert!(result.rules.iter().all(|r| r.key != "unregistered"));
    }

    #[test]
    fn expiry_and_the_renewal_under_review_rule() {
        let mut r = reg(ListKind::Ismap, "2026-03-31");
        let late = day("2026-04-01");
        assert_eq!(validity(&r, late), Validity::Expired);
        assert_eq!(
            check(&facts(vec![r.clone()], "IaaS"), late).verdict,
            Verdict::NeedsCisoOrInterim
        );
        r.renewal_under_review = true;
        assert_eq!(validity(&r, late), Validity::ValidRenewalUnderReview);
        let result = check(&facts(vec![r.clone()], "IaaS"), late);
        assert_eq!(result.verdict, Verdict::ProcureFromList);
        assert!(
            result
                .rules
                .iter()
                .any(|r| r.key == "renewal" && r.provenance == Provenance::Seed)
        );
        assert_eq!(validity(&r, day("2023-12-31")), Validity::NotYetValid);
        r.suspended = true;
        assert_eq!(validity(&r, day("2026-01-01")), Validity::Suspended);
    }

    #[test]
    fn liu_needs_the_agencys_own_approved_assessment_for_this_use() {
        let mut f = facts(vec![reg(ListKind::Liu, "2026-12-31")], "SaaS");
        let d = day("2026-06-01");
        let result = check(&f, d);
        assert_eq!(
            result.liu_assessment,
            LiuAssessment::Missing { candidates: vec![] }
        );
        assert_eq!(result.verdict, Verdict::NameLiuAssessment);
        assert_eq!(result.verdict.key(), "name_liu_assessment");
        assert_eq!(result.special_measures, SpecialMeasures::NotListed);
        let seed = result
            .rules
            .iter()
            .find(|r| r.key == "liu-assessment")
            .unwrap();
        assert_eq!(seed.provenance, Provenance::Seed);
        let named = result
            .rules
            .iter()
            .find(|r| r.key == "liu-assessment-named")
            .unwrap();
        assert_eq!(named.provenance, Provenance::ThisSystem);

        // Missing: none named, the agency's approved ones (not another
        // agency's, not another service's, not one in progress) offered.
        let mut other_agency = assessment(8, "勤怠", AssessmentState::Approved);
        other_agency.agency_id = 9;
        let mut other_service = assessment(9, "勤怠", AssessmentState::Approved);
        other_service.service_id = 2;
        f.agency_assessments = vec![
            assessment(3, "職員の予定管理", AssessmentState::Approved),
            assessment(4, "会議室予約", AssessmentState::Submitted),
            assessment(5, "研修の案内", AssessmentState::Approved),
            other_agency.clone(),
            other_service,
        ];
        let result = check(&f, d);
        let LiuAssessment::Missing { candidates } = &result.liu_assessment else {
            panic!("{:?}", result.liu_assessment);
        };
        let ids: Vec<i64> = candidates.iter().map(|c| c.id).collect();
        assert_eq!(
            ids,
            [5, 3],
            "approved, this agency's, this service's, newest first"
        );
        assert_eq!(candidates[1].use_name, "職員の予定管理");
        assert_eq!(result.verdict, Verdict::NameLiuAssessment);

        // Not approved yet: the use names one still in progress.
        for state in [
            AssessmentState::Requested,
            AssessmentState::Submitted,
            AssessmentState::Returned,
        ] {
            f.named_assessment = Some(assessment(4, "会議室予約", state));
            let result = check(&f, d);
            assert_eq!(
                result.liu_assessment,
                LiuAssessment::NotApprovedYet {
                    id: 4,
                    use_name: "会議室予約".into(),
                    state
                }
            );
            assert_eq!(result.verdict, Verdict::NeedsLiuAssessment);
            assert!(result.valid_on_a_list(), "on the list, not procurable yet");
        }

        // Another agency's approved assessment named by mistake: none named.
        f.named_assessment = Some(other_agency);
        assert!(matches!(
            check(&f, d).liu_assessment,
            LiuAssessment::Missing { .. }
        ));
        f.agency_id = None;
        f.named_assessment = Some(assessment(5, "研修の案内", AssessmentState::Approved));
        assert_eq!(
            check(&f, d).liu_assessment,
            LiuAssessment::Missing { candidates: vec![] },
            "the secretariat has no assessment of its own"
        );
        f.agency_id = Some(7);

        // Approved for this use.
        f.named_assessment = Some(assessment(5, "研修の案内", AssessmentState::Approved));
        f.special_measures = vec![SpecialMeasureFacts {
            id: 3,
            period_start: day("2025-04-01"),
            period_end: day("2026-03-31"),
            ended: false,
        }];
        let result = check(&f, d);
        assert_eq!(
            result.liu_assessment,
            LiuAssessment::Approved {
                id: 5,
                use_name: "研修の案内".into()
            }
        );
        assert_eq!(result.liu_assessment.key(), "approved");
        assert_eq!(result.verdict, Verdict::ProcureFromList);
        assert!(matches!(
            result.special_measures,
            SpecialMeasures::Listed {
                id: 3,
                in_period: false,
                ..
            }
        ));
    }

    #[test]
    fn an_unregistered_service_needs_the_ciso_or_an_interim_measure() {
        let result = check(&facts(vec![], "SaaS"), day("2026-06-01"));
        assert_eq!(result.verdict, Verdict::NeedsCisoOrInterim);
        assert!(result.lists.is_empty());
        assert_eq!(result.verdict.key(), "needs_ciso_or_interim");
    }

    #[test]
    fn the_registration_valid_on_the_day_speaks_for_its_list() {
        let mut old = reg(ListKind::Ismap, "2025-12-31");
        old.superseded = true;
        let mut new = reg(ListKind::Ismap, "2027-12-31");
        new.valid_from = day("2026-01-01");
        new.number = "C21-0008-2".into();
        let f = facts(vec![old, new], "IaaS");
        assert_eq!(check(&f, day("2025-06-01")).lists[0].number, "C21-0008-1");
        assert_eq!(check(&f, day("2026-06-01")).lists[0].number, "C21-0008-2");
    }
}
