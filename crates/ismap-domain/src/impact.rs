//! The business/information impact assessment (業務・情報の影響度評価) of
//! ISMAP-LIU (spec §7.2) and the eligibility of a pre-application.
//!
//! Provenance, kept apart:
//! - **Seed 001/002**: LIU is for SaaS handling confidentiality-2
//!   information (機密性2情報) used for low-risk business; the assessment is
//!   the test; the ten target businesses are *examples* (例示) of businesses
//!   likely to be low-impact, not a closed list ([`EXAMPLE_BUSINESSES`],
//!   names quoted from seed 002, English ours).
//! - **Assumption of this system**: the example services shown with each
//!   business (the seeds' excerpt does not carry them), the field length
//!   limits, and the precise eligibility rule of [`liu_eligibility`].

use crate::ServiceModel;

/// Where the ten example businesses come from.
pub const BUSINESS_SOURCE: &str =
    "はじめてのISMAP (pamphlet), ISMAP-LIU 対象業務一覧 (seed 002_c937c5689422d427)";

/// One example business of the LIU target business list (seed 002).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExampleBusiness {
    /// Stable key stored with an assessment: `b01` … `b10`.
    pub key: &'static str,
    pub number: u8,
    /// Quoted from seed 002.
    pub name_ja: &'static str,
    /// Our own English.
    pub name_en: &'static str,
    /// Example services: an assumption of this system (not in the seeds).
    pub services_ja: &'static str,
    pub services_en: &'static str,
}

/// The ten example businesses (seed 002: 「ISMAP-LIUにおける業務・情報の影響度が
/// 低位である蓋然性が高い業務を例示したもの」). Examples, not a closed list.
pub const EXAMPLE_BUSINESSES: [ExampleBusiness; 10] = [
    ExampleBusiness {
        key: "b01",
        number: 1,
        name_ja: "公表を前提とした政策・制度の立案・調整過程等で民間と連携して作業する業務",
        name_en: "Working with the private sector while drafting or coordinating policies and programmes meant for publication",
        services_ja: "Web会議、ファイル共有、共同編集",
        services_en: "Web meetings, file sharing, co-editing",
    },
    ExampleBusiness {
        key: "b02",
        number: 2,
        name_ja: "政府機関等職員の業務上の役職・氏名等情報を扱う業務",
        name_en: "Handling government staff's titles, names and similar work information",
        services_ja: "組織図・職員名簿、ID管理",
        services_en: "Organization charts and staff directories, ID management",
    },
    ExampleBusiness {
        key: "b03",
        number: 3,
        name_ja: "名刺情報等の一般に広く提供する範囲の情報、公開情報の配信に伴う配信先等管理情報を扱う業務",
        name_en: "Handling information given out widely (business cards) and distribution lists for public information",
        services_ja: "名刺管理、メール配信",
        services_en: "Business-card management, mail distribution",
    },
    ExampleBusiness {
        key: "b04",
        number: 4,
        name_ja: "民間から提供される情報であり、当該情報提供者が低リスクだと判断している情報を処理する業務",
        name_en: "Processing information provided by the private sector that its provider judges low-risk",
        services_ja: "アンケート、申込受付フォーム",
        services_en: "Surveys, application forms",
    },
    ExampleBusiness {
        key: "b05",
        number: 5,
        name_ja: "オープンソース・公知の事実・一般公開情報を扱う業務だが例外的に要機密扱いとする必要がある場合",
        name_en: "Open-source, publicly known or published information exceptionally treated as confidential",
        services_ja: "情報収集・分析、翻訳",
        services_en: "Information gathering and analysis, translation",
    },
    ExampleBusiness {
        key: "b06",
        number: 6,
        name_ja: "災害時等に組織構成員の被災状況確認等を行う業務",
        name_en: "Checking staff safety in disasters and similar events",
        services_ja: "安否確認",
        services_en: "Safety confirmation",
    },
    ExampleBusiness {
        key: "b07",
        number: 7,
        name_ja: "組織構成員に対する組織ルールやビジネススキル等の教育を行う業務",
        name_en: "Training staff on organizational rules, business skills and the like",
        services_ja: "eラーニング、研修管理",
        services_en: "E-learning, training management",
    },
    ExampleBusiness {
        key: "b08",
        number: 8,
        name_ja: "「行政文書の管理に関するガイドライン」において保存期間１年未満に該当するもののうち、定型的・日常的な業務連絡等を扱う業務",
        name_en: "Routine, day-to-day business communications kept under one year under the public records management guideline",
        services_ja: "チャット、メール、掲示板",
        services_en: "Chat, mail, bulletin boards",
    },
    ExampleBusiness {
        key: "b09",
        number: 9,
        name_ja: "システムの維持・管理のために、性能や稼働状況を確認する業務",
        name_en: "Checking system performance and operation for maintenance",
        services_ja: "稼働監視、性能監視",
        services_en: "Uptime monitoring, performance monitoring",
    },
    ExampleBusiness {
        key: "b10",
        number: 10,
        name_ja: "スケジュール調整、タスク管理、イベント管理、反復処理などの作業を効率化するために、職員を（機械的に）補助する業務",
        name_en: "Assisting staff (mechanically) to streamline scheduling, task and event management and repetitive work",
        services_ja: "日程調整、タスク管理、RPA",
        services_en: "Scheduling, task management, RPA",
    },
];

/// The business an assessment is about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Business {
    Example(&'static ExampleBusiness),
    /// Another business, described in words (the list is not closed).
    Other(String),
}

impl Business {
    /// The stored key: `b01`…`b10` or `other`.
    pub fn key(&self) -> &'static str {
        match self {
            Business::Example(b) => b.key,
            Business::Other(_) => OTHER_BUSINESS,
        }
    }
}

pub const OTHER_BUSINESS: &str = "other";

pub fn example_business(key: &str) -> Option<&'static ExampleBusiness> {
    EXAMPLE_BUSINESSES.iter().find(|b| b.key == key)
}

/// Confidentiality level of the information handled (政府統一基準の格付).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Confidentiality {
    One,
    /// 機密性2: the level ISMAP-LIU is for (seed 001).
    Two,
    Three,
}

impl Confidentiality {
    pub const ALL: [Confidentiality; 3] = [
        Confidentiality::One,
        Confidentiality::Two,
        Confidentiality::Three,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Confidentiality::One => "c1",
            Confidentiality::Two => "c2",
            Confidentiality::Three => "c3",
        }
    }

    pub fn from_key(key: &str) -> Option<Confidentiality> {
        Confidentiality::ALL.into_iter().find(|c| c.key() == key)
    }
}

/// The assessment's conclusion.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ImpactResult {
    Low,
    NotLow,
}

impl ImpactResult {
    pub const ALL: [ImpactResult; 2] = [ImpactResult::Low, ImpactResult::NotLow];

    pub fn key(self) -> &'static str {
        match self {
            ImpactResult::Low => "low",
            ImpactResult::NotLow => "not_low",
        }
    }

    pub fn from_key(key: &str) -> Option<ImpactResult> {
        ImpactResult::ALL.into_iter().find(|r| r.key() == key)
    }
}

/// Limits on what an officer types (assumption of this system).
pub const MAX_USE: usize = 200;
pub const MAX_OTHER_BUSINESS: usize = 500;
pub const MAX_INFORMATION: usize = 2000;
pub const MAX_IMPACT: usize = 2000;
pub const MAX_REASONING: usize = 4000;
pub const MAX_REASON: usize = 2000;

/// What the officer sent, as typed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AssessmentInput {
    pub business: String,
    pub business_other: String,
    pub information: String,
    pub confidentiality: String,
    pub impact: String,
    pub reasoning: String,
    pub result: String,
}

/// A complete assessment, ready to submit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Assessment {
    pub business: Business,
    pub information: String,
    pub confidentiality: Confidentiality,
    pub impact: String,
    pub reasoning: String,
    pub result: ImpactResult,
}

/// Why a field cannot be used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FieldProblem {
    Missing,
    TooLong { max: usize },
    Unknown,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    pub field: &'static str,
    pub problem: FieldProblem,
}

fn too_long(text: &str, max: usize) -> bool {
    text.chars().count() > max
}

/// The length limits only: a draft may be saved incomplete, never oversized.
pub fn check_lengths(input: &AssessmentInput) -> Vec<FieldError> {
    [
        ("business_other", &input.business_other, MAX_OTHER_BUSINESS),
        ("information", &input.information, MAX_INFORMATION),
        ("impact", &input.impact, MAX_IMPACT),
        ("reasoning", &input.reasoning, MAX_REASONING),
    ]
    .into_iter()
    .filter(|(_, text, max)| too_long(text, *max))
    .map(|(field, _, max)| FieldError {
        field,
        problem: FieldProblem::TooLong { max },
    })
    .collect()
}

/// Checks a submission: every field required and bounded, the business one
/// of the examples or described in words. All problems at once, in form order.
pub fn validate(input: &AssessmentInput) -> Result<Assessment, Vec<FieldError>> {
    let mut errors = Vec::new();
    let missing = |field| FieldError {
        field,
        problem: FieldProblem::Missing,
    };
    let business = match input.business.trim() {
        "" => {
            errors.push(missing("business"));
            None
        }
        OTHER_BUSINESS if input.business_other.trim().is_empty() => {
            errors.push(missing("business_other"));
            None
        }
        OTHER_BUSINESS => Some(Business::Other(input.business_other.trim().to_owned())),
        key => match example_business(key) {
            Some(b) => Some(Business::Example(b)),
            None => {
                errors.push(FieldError {
                    field: "business",
                    problem: FieldProblem::Unknown,
                });
                None
            }
        },
    };
    if input.information.trim().is_empty() {
        errors.push(missing("information"));
    }
    let confidentiality = match input.confidentiality.trim() {
        "" => {
            errors.push(missing("confidentiality"));
            None
        }
        key => {
            let c = Confidentiality::from_key(key);
            if c.is_none() {
                errors.push(FieldError {
                    field: "confidentiality",
                    problem: FieldProblem::Unknown,
                });
            }
            c
        }
    };
    if input.impact.trim().is_empty() {
        errors.push(missing("impact"));
    }
    if input.reasoning.trim().is_empty() {
        errors.push(missing("reasoning"));
    }
    let result = match input.result.trim() {
        "" => {
            errors.push(missing("result"));
            None
        }
        key => {
            let r = ImpactResult::from_key(key);
            if r.is_none() {
                errors.push(FieldError {
                    field: "result",
                    problem: FieldProblem::Unknown,
                });
            }
            r
        }
    };
    for e in check_lengths(input) {
        errors.retain(|x| x.field != e.field);
        errors.push(e);
    }
    match (business, confidentiality, result) {
        (Some(business), Some(confidentiality), Some(result)) if errors.is_empty() => {
            Ok(Assessment {
                business,
                information: input.information.trim().to_owned(),
                confidentiality,
                impact: input.impact.trim().to_owned(),
                reasoning: input.reasoning.trim().to_owned(),
                result,
            })
        }
        _ => Err(errors),
    }
}

/// A use's name as compared: trimmed, inner whitespace collapsed, ASCII
/// case and full-width forms ignored, so 「Web会議」 and 「web会議 」 are one use.
pub fn normalize_use(text: &str) -> String {
    let folded: String = text
        .chars()
        .map(|c| match c {
            // Full-width ASCII (！…～) to half-width; the ideographic space to a space.
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            _ => c,
        })
        .collect();
    folded
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// Checks a use's name as the provider types it.
pub fn check_use(text: &str) -> Result<String, FieldProblem> {
    let text = text.trim();
    if text.is_empty() {
        Err(FieldProblem::Missing)
    } else if too_long(text, MAX_USE) {
        Err(FieldProblem::TooLong { max: MAX_USE })
    } else {
        Ok(text.to_owned())
    }
}

/// An approved assessment as eligibility sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApprovedAssessment {
    pub id: i64,
    /// The named use it assesses.
    pub use_name: String,
    pub confidentiality: Confidentiality,
    pub result: ImpactResult,
}

/// Why a service is not (yet) eligible for an ISMAP-LIU pre-application.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reason {
    /// Seed 001/002: LIU is for SaaS only.
    NotSaas,
    /// Seed 001: LIU is for confidentiality-2 information; the provider declares it.
    NotDeclared,
    /// No listed use has an approved assessment with result low (of
    /// confidentiality-2 information).
    NoLowAssessment,
    /// A listed use has an approved assessment with result not-low.
    NotLowUse { use_name: String, assessment: i64 },
    /// A listed use handles confidentiality-3 information: outside LIU.
    AboveConfidentiality2 { use_name: String, assessment: i64 },
}

impl Reason {
    pub fn message_id(&self) -> &'static str {
        match self {
            Reason::NotSaas => "ia-elig-not-saas",
            Reason::NotDeclared => "ia-elig-not-declared",
            Reason::NoLowAssessment => "ia-elig-no-low",
            Reason::NotLowUse { .. } => "ia-elig-not-low-use",
            Reason::AboveConfidentiality2 { .. } => "ia-elig-above-c2",
        }
    }

    pub fn message_args(&self) -> Vec<(&'static str, String)> {
        match self {
            Reason::NotLowUse {
                use_name,
                assessment,
            }
            | Reason::AboveConfidentiality2 {
                use_name,
                assessment,
            } => vec![
                ("use", use_name.clone()),
                ("assessment", assessment.to_string()),
            ],
            _ => Vec::new(),
        }
    }
}

impl crate::Localized for Reason {
    fn message_id(&self) -> &'static str {
        Reason::message_id(self)
    }

    fn message_args(&self) -> Vec<(&'static str, String)> {
        Reason::message_args(self)
    }
}

/// Whether a pre-application may be filed. `assessments`: every approved
/// assessment of the service whose use is one of the uses listed in the
/// pre-application (by [`normalize_use`]), from any agency.
///
/// The rule (seed: the assessment is the test; the precise form is an
/// assumption of this system):
/// 1. the service is SaaS;
/// 2. the provider declares that it handles confidentiality-2 information;
/// 3. at least one listed use has an approved assessment with result low of
///    confidentiality-2 information;
/// 4. no listed use has an approved assessment with result not-low — one
///    procuring agency's not-low judgement of a use outweighs another's low
///    one (the conservative reading), so such a use must be left out;
/// 5. no listed use handles confidentiality-3 information (outside LIU).
///
/// Confidentiality-1 uses neither help nor hinder. All reasons are returned.
pub fn liu_eligibility(
    model: ServiceModel,
    confidentiality2_declared: bool,
    assessments: &[ApprovedAssessment],
) -> Result<(), Vec<Reason>> {
    let mut reasons = Vec::new();
    if model != ServiceModel::SaaS {
        reasons.push(Reason::NotSaas);
    }
    if !confidentiality2_declared {
        reasons.push(Reason::NotDeclared);
    }
    if !assessments
        .iter()
        .any(|a| a.result == ImpactResult::Low && a.confidentiality == Confidentiality::Two)
    {
        reasons.push(Reason::NoLowAssessment);
    }
    for a in assessments {
        if a.result == ImpactResult::NotLow {
            reasons.push(Reason::NotLowUse {
                use_name: a.use_name.clone(),
                assessment: a.id,
            });
        } else if a.confidentiality == Confidentiality::Three {
            reasons.push(Reason::AboveConfidentiality2 {
                use_name: a.use_name.clone(),
                assessment: a.id,
            });
        }
    }
    if reasons.is_empty() {
        Ok(())
    } else {
        Err(reasons)
    }
}

/// Where an assessment stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AssessmentState {
    /// The provider asked; the agency's officer fills it in.
    Requested,
    /// Submitted for the CISO's approval.
    Submitted,
    /// Returned by the CISO with a reason; the officer amends it.
    Returned,
    /// Approved: immutable from now on.
    Approved,
}

impl AssessmentState {
    pub const ALL: [AssessmentState; 4] = [
        AssessmentState::Requested,
        AssessmentState::Submitted,
        AssessmentState::Returned,
        AssessmentState::Approved,
    ];

    pub fn key(self) -> &'static str {
        match self {
            AssessmentState::Requested => "requested",
            AssessmentState::Submitted => "submitted",
            AssessmentState::Returned => "returned",
            AssessmentState::Approved => "approved",
        }
    }

    pub fn from_key(key: &str) -> Option<AssessmentState> {
        AssessmentState::ALL.into_iter().find(|s| s.key() == key)
    }

    /// The officer may still change the content.
    pub fn is_editable(self) -> bool {
        matches!(self, AssessmentState::Requested | AssessmentState::Returned)
    }
}

/// A decision on a submitted assessment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AssessmentDecision {
    Approve,
    Return,
}

impl AssessmentDecision {
    pub fn from_key(key: &str) -> Option<AssessmentDecision> {
        match key {
            "approve" => Some(AssessmentDecision::Approve),
            "return" => Some(AssessmentDecision::Return),
            _ => None,
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            AssessmentDecision::Approve => "approve",
            AssessmentDecision::Return => "return",
        }
    }

    pub fn to_state(self) -> AssessmentState {
        match self {
            AssessmentDecision::Approve => AssessmentState::Approved,
            AssessmentDecision::Return => AssessmentState::Returned,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn complete() -> AssessmentInput {
        AssessmentInput {
            business: "b10".into(),
            business_other: String::new(),
            information: "職員の予定".into(),
            confidentiality: "c2".into(),
            impact: "漏えいしても業務への影響は限定的".into(),
            reasoning: "公表前提の日程のみ".into(),
            result: "low".into(),
        }
    }

    fn approved(id: i64, c: Confidentiality, r: ImpactResult) -> ApprovedAssessment {
        ApprovedAssessment {
            id,
            use_name: format!("use {id}"),
            confidentiality: c,
            result: r,
        }
    }

    #[test]
    fn ten_example_businesses_with_stable_keys() {
        assert_eq!(EXAMPLE_BUSINESSES.len(), 10);
        for (i, b) in EXAMPLE_BUSINESSES.iter().enumerate() {
            assert_eq!(b.number as usize, i + 1);
            assert_eq!(b.key, format!("b{:02}", i + 1));
            assert!(!b.name_ja.is_empty() && !b.name_en.is_empty());
            assert!(!b.services_ja.is_empty() && !b.services_en.is_empty());
        }
    }

    #[test]
    fn a_complete_assessment_validates() {
        let a = validate(&complete()).unwrap();
        assert_eq!(a.business.key(), "b10");
        assert_eq!(a.result, ImpactResult::Low);
        assert_eq!(a.confidentiality, Confidentiality::Two);
    }

    #[test]
    fn another_business_needs_its_description() {
        let mut input = complete();
        input.business = "other".into();
        let errors = validate(&input).unwrap_err();
        assert_eq!(errors[0].field, "business_other");
        input.business_other = "議事録の要約".into();
        assert_eq!(
            validate(&input).unwrap().business,
            Business::Other("議事録の要約".into())
        );
    }

    #[test]
    fn missing_unknown_and_oversized_fields_are_all_named() {
        let input = AssessmentInput {
            business: "b11".into(),
            confidentiality: "c9".into(),
            reasoning: "x".repeat(MAX_REASONING + 1),
            ..Default::default()
        };
        let errors = validate(&input).unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            [
                "business",
                "information",
                "confidentiality",
                "impact",
                "result",
                "reasoning"
            ]
        );
        assert_eq!(
            errors.last().unwrap().problem,
            FieldProblem::TooLong { max: MAX_REASONING }
        );
        assert_eq!(errors[0].problem, FieldProblem::Unknown);
    }

    #[test]
    fn lengths_are_counted_in_characters_not_bytes() {
        let mut input = complete();
        input.information = "情".repeat(MAX_INFORMATION);
        assert!(validate(&input).is_ok());
        input.information.push('報');
        assert!(
            check_lengths(&input)
                .iter()
                .any(|e| e.field == "information")
        );
    }

    #[test]
    fn uses_compare_without_case_width_or_spacing() {
        assert_eq!(
            normalize_use("  Ｗｅｂ会議　の 利用 "),
            normalize_use("web会議 の 利用")
        );
        assert_eq!(check_use("  "), Err(FieldProblem::Missing));
        assert_eq!(
            check_use(&"a".repeat(MAX_USE + 1)),
            Err(FieldProblem::TooLong { max: MAX_USE })
        );
    }

    #[test]
    fn an_approved_low_assessment_of_c2_information_makes_a_saas_eligible() {
        let low = approved(1, Confidentiality::Two, ImpactResult::Low);
        assert_eq!(liu_eligibility(ServiceModel::SaaS, true, &[low]), Ok(()));
    }

    #[test]
    fn iaas_paas_and_an_unticked_declaration_are_refused() {
        let low = approved(1, Confidentiality::Two, ImpactResult::Low);
        for model in [ServiceModel::IaaS, ServiceModel::PaaS] {
            assert_eq!(
                liu_eligibility(model, true, std::slice::from_ref(&low)),
                Err(vec![Reason::NotSaas])
            );
        }
        assert_eq!(
            liu_eligibility(ServiceModel::SaaS, false, &[low]),
            Err(vec![Reason::NotDeclared])
        );
    }

    #[test]
    fn no_assessment_or_only_c1_is_not_enough() {
        assert_eq!(
            liu_eligibility(ServiceModel::SaaS, true, &[]),
            Err(vec![Reason::NoLowAssessment])
        );
        let c1 = approved(2, Confidentiality::One, ImpactResult::Low);
        assert_eq!(
            liu_eligibility(ServiceModel::SaaS, true, &[c1]),
            Err(vec![Reason::NoLowAssessment])
        );
    }

    #[test]
    fn a_listed_use_judged_not_low_blocks_even_beside_a_low_one() {
        let low = approved(1, Confidentiality::Two, ImpactResult::Low);
        let not_low = approved(2, Confidentiality::Two, ImpactResult::NotLow);
        assert_eq!(
            liu_eligibility(ServiceModel::SaaS, true, &[low, not_low]),
            Err(vec![Reason::NotLowUse {
                use_name: "use 2".into(),
                assessment: 2
            }])
        );
    }

    #[test]
    fn confidentiality_3_information_is_outside_liu() {
        let low = approved(1, Confidentiality::Two, ImpactResult::Low);
        let c3 = approved(3, Confidentiality::Three, ImpactResult::Low);
        assert!(matches!(
            liu_eligibility(ServiceModel::SaaS, true, &[low, c3]).unwrap_err()[..],
            [Reason::AboveConfidentiality2 { assessment: 3, .. }]
        ));
    }

    #[test]
    fn every_reason_is_reported_at_once() {
        let reasons = liu_eligibility(ServiceModel::IaaS, false, &[]).unwrap_err();
        assert_eq!(
            reasons,
            [
                Reason::NotSaas,
                Reason::NotDeclared,
                Reason::NoLowAssessment
            ]
        );
    }

    #[test]
    fn only_requested_and_returned_assessments_are_editable() {
        assert!(AssessmentState::Requested.is_editable());
        assert!(AssessmentState::Returned.is_editable());
        assert!(!AssessmentState::Submitted.is_editable());
        assert!(!AssessmentState::Approved.is_editable());
        for s in AssessmentState::ALL {
            assert_eq!(AssessmentState::from_key(s.key()), Some(s));
        }
    }
}
