//! Audit work shared by the pages and the API: loading an engagement for a
//! person (with the policy's answer), its scope, recording a result, and
//! building the report snapshot. One place for each step, so both doors
//! apply the same checks.

use std::collections::BTreeMap;

use ismap_domain::audit::Scope;
use ismap_domain::audit_work::{AuditResult, EngagementScope, missing_results};
use ismap_domain::control_id::ControlNumber;
use ismap_domain::{Catalog, ControlId, Statement};
use ismap_formats::audit_report::{self, RecordedResult, ReportInput, ReportSnapshot};
use ismap_formats::statement_file::parse_statement;
use ismap_i18n::{Lang, Messages};
use ismap_store::engagements::{
    self, Engagement, NewResult, Recorded, ResultRecord, SameResult, SeenControl,
};
use ismap_store::{Actor, statements};

use crate::AppState;
use crate::error::{Failure, parse_control};
use crate::policy::{EngagementAction, Parties, Principal, allows_engagement};

pub fn parties(engagement: &Engagement, principal: Option<&Principal>) -> Parties {
    Parties {
        provider: engagement.csp_organization_id,
        audit_organization: engagement.audit_organization_id,
        assigned: principal.is_some_and(|p| engagement.is_assigned(p.user.id)),
    }
}

/// The engagement, if `principal` may do `action` on it.
pub async fn load(
    state: &AppState,
    principal: Option<&Principal>,
    id: i64,
    action: EngagementAction,
) -> Result<Engagement, Failure> {
    let p = principal.ok_or(Failure::NotSignedIn)?;
    let engagement = engagements::get(&state.db, id).await?;
    let parties = parties(&engagement, Some(p));
    // Not a party: answered as if the engagement did not exist (policy::hidden).
    crate::policy::require_visible(
        Some(p),
        |p| allows_engagement(Some(p), EngagementAction::View, parties),
        "engagement",
        id,
    )?;
    if !allows_engagement(Some(p), action, parties) {
        return Err(Failure::Forbidden);
    }
    Ok(engagement)
}

pub fn actor(principal: Option<&Principal>) -> Result<Actor, Failure> {
    let p = principal.ok_or(Failure::NotSignedIn)?;
    Ok(Actor::user(p.user.id, &p.user.username))
}

/// What an engagement audits: the frozen statement revision, its catalog,
/// and the controls in scope this year.
pub struct Audited<'a> {
    pub catalog: &'a Catalog,
    pub statement: Statement,
    pub controls: Vec<ControlId>,
    /// The kind of audit and the year of its cycle the controls come from.
    pub scope: EngagementScope,
}

pub async fn audited<'a>(
    state: &'a AppState,
    engagement: &Engagement,
) -> Result<Audited<'a>, Failure> {
    let catalog = state.catalog(&engagement.catalog_id).ok_or_else(|| {
        Failure::Internal(format!("catalog {} is not loaded", engagement.catalog_id))
    })?;
    let revision =
        statements::revision_at(&state.db, engagement.statement_id, engagement.revision).await?;
    let statement = parse_statement(
        &format!(
            "statement {} revision {}",
            engagement.statement_id, engagement.revision
        ),
        &revision.content,
    )
    .map_err(|e| Failure::Internal(e.to_string()))?
    .statement;
    let years = u8::try_from(engagement.cycle_years).unwrap_or(1);
    let scope = EngagementScope::new(
        parse_scope(Lang::En, &engagement.scope, years)?,
        u8::try_from(engagement.cycle_year).unwrap_or(1),
    )
    .map_err(|e| Failure::Internal(e.to_string()))?;
    Ok(Audited {
        controls: scope.controls(catalog),
        scope,
        catalog,
        statement,
    })
}

/// Parses the scope of a plan or an engagement: `full`, `multi_year`, `liu`.
pub fn parse_scope(lang: Lang, key: &str, years: u8) -> Result<Scope, Failure> {
    match key {
        "full" => Ok(Scope::Full),
        "multi_year" => Ok(Scope::MultiYear { years }),
        "liu" => Ok(Scope::Liu { years }),
        _ => Err(Failure::Invalid {
            field: "scope".into(),
            message: msg(lang, "audit-scope-unknown", &[]),
        }),
    }
}

/// What a result form or API body sends.
#[derive(Clone, Debug, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct ResultInput {
    /// `conforming`, `deficiency` or `not_tested`.
    pub result: String,
    /// The procedure performed (実施した手続).
    #[serde(default)]
    pub performed: String,
    /// The finding; required for a deficiency and for "not tested".
    #[serde(default)]
    pub finding: String,
    #[serde(default)]
    pub samples: String,
}

/// A result that passed [`check`]: the control as the scope writes it.
pub struct Checked {
    pub control: ControlId,
    pub result: AuditResult,
}

fn msg(lang: Lang, id: &str, args: &[(&str, String)]) -> String {
    Messages::get().text(lang, id, args)
}

/// A control of the engagement's scope, from a form or a path; refused in
/// `lang` when it is not one.
pub fn in_scope(lang: Lang, audited: &Audited<'_>, control: &str) -> Result<ControlId, Failure> {
    let id = parse_control(control, "control").map_err(|_| Failure::Invalid {
        field: "control".into(),
        message: msg(
            lang,
            "audit-control-unreadable",
            &[("text", control.trim().to_owned())],
        ),
    })?;
    audited
        .controls
        .iter()
        .find(|c| c.number() == id.number())
        .copied()
        .ok_or_else(|| {
            // An ISMAP-LIU audit leaves the control measures outside the
            // important set to the provider's internal audit (seed 001): say
            // so rather than only "out of scope".
            let liu_internal = matches!(audited.scope.scope, Scope::Liu { .. })
                && audited.catalog.get(id.number()).is_some()
                && !audited.scope.scope.externally_audits(audited.catalog, id);
            Failure::Invalid {
                field: "control".into(),
                message: msg(
                    lang,
                    if liu_internal {
                        "liu-plan-control-internal-audit"
                    } else {
                        "audit-control-out-of-scope"
                    },
                    &[("control", id.to_string())],
                ),
            }
        })
}

/// Checks one control's result against the scope and the rules, with the
/// messages in `lang`: a result must be chosen (there is no default), a
/// procedure is said unless the control was not tested, and a deficiency
/// or an untested control has its finding.
pub fn check(
    lang: Lang,
    audited: &Audited<'_>,
    control: &str,
    input: &ResultInput,
) -> Result<Checked, Failure> {
    let id = in_scope(lang, audited, control)?;
    let invalid = |field: &str, message: &str| Failure::Invalid {
        field: field.into(),
        message: msg(lang, message, &[("control", id.to_string())]),
    };
    let result = match input.result.trim() {
        "" => return Err(invalid("result", "audit-result-required")),
        key => {
            AuditResult::from_key(key).ok_or_else(|| invalid("result", "audit-result-unknown"))?
        }
    };
    if input.performed.trim().is_empty() && result != AuditResult::NotTested {
        return Err(invalid("performed", "audit-performed-required"));
    }
    if input.finding.trim().is_empty() && result != AuditResult::Conforming {
        return Err(invalid("finding", "audit-finding-required"));
    }
    Ok(Checked {
        control: id,
        result,
    })
}

/// Checks and records one control's result (the API's door: messages in
/// English, no expected state).
pub async fn record(
    state: &AppState,
    actor: &Actor,
    engagement: &Engagement,
    audited: &Audited<'_>,
    control: &str,
    input: &ResultInput,
) -> Result<ResultRecord, Failure> {
    let checked = check(Lang::En, audited, control, input)?;
    Ok(engagements::record_result(
        &state.db,
        actor,
        engagement,
        NewResult {
            control_id: &checked.control.to_string(),
            performed: input.performed.trim(),
            result: checked.result,
            finding: input.finding.trim(),
            samples: input.samples.trim(),
        },
    )
    .await?)
}

/// Records `result` for `controls` as they were seen (the id of each one's
/// latest recording, `None` for none), all or none; refused with a 409 in
/// `lang` naming the controls someone recorded in the meantime.
pub async fn record_seen(
    state: &AppState,
    lang: Lang,
    actor: &Actor,
    engagement: &Engagement,
    controls: &[(ControlId, Option<i64>)],
    input: &ResultInput,
    result: AuditResult,
) -> Result<Vec<ResultRecord>, Failure> {
    let texts: Vec<String> = controls.iter().map(|(c, _)| c.to_string()).collect();
    let seen: Vec<SeenControl<'_>> = controls
        .iter()
        .zip(&texts)
        .map(|((_, latest), text)| SeenControl {
            control_id: text,
            latest: *latest,
        })
        .collect();
    let outcome = engagements::record_results(
        &state.db,
        actor,
        engagement,
        &seen,
        SameResult {
            result,
            performed: input.performed.trim(),
            finding: input.finding.trim(),
            samples: input.samples.trim(),
        },
    )
    .await?;
    match outcome {
        Recorded::Done(saved) => Ok(saved),
        Recorded::Changed(changed) => Err(Failure::Conflict(msg(
            lang,
            "audit-results-changed",
            &[("controls", changed.join(", "))],
        ))),
    }
}

/// The snapshot the next issue of the report would carry; refused while a
/// control in scope has no result.
pub fn snapshot(
    engagement: &Engagement,
    audited: &Audited<'_>,
    results: &BTreeMap<String, ResultRecord>,
) -> Result<ReportSnapshot, Failure> {
    snapshot_in(Lang::En, engagement, audited, results)
}

/// As [`snapshot`], refusing in `lang`.
pub fn snapshot_in(
    lang: Lang,
    engagement: &Engagement,
    audited: &Audited<'_>,
    results: &BTreeMap<String, ResultRecord>,
) -> Result<ReportSnapshot, Failure> {
    let by_number: BTreeMap<ControlNumber, &ResultRecord> = results
        .values()
        .filter_map(|r| {
            r.control_id
                .parse::<ControlId>()
                .ok()
                .map(|id| (id.number(), r))
        })
        .collect();
    let recorded: BTreeMap<ControlNumber, AuditResult> =
        by_number.iter().map(|(n, r)| (*n, r.result)).collect();
    let missing = missing_results(&audited.controls, &recorded);
    if !missing.is_empty() {
        let first: Vec<String> = missing.iter().take(10).map(|c| c.to_string()).collect();
        return Err(Failure::Conflict(msg(
            lang,
            "audit-results-missing",
            &[
                ("count", missing.len().to_string()),
                ("first", first.join(", ")),
            ],
        )));
    }
    let input = ReportInput {
        engagement: engagement.id,
        service: &engagement.service_name,
        provider: &engagement.csp_name,
        audit_organization: &engagement.audit_organization_name,
        auditors: engagement.auditors.iter().map(|(_, n)| n.clone()).collect(),
        catalog: audited.catalog,
        statement: &audited.statement,
        statement_id: engagement.statement_id,
        revision: engagement.revision,
        period: (
            engagement.period_start.to_string(),
            engagement.period_end.to_string(),
        ),
        scope: &engagement.scope,
        cycle: (engagement.cycle_year, engagement.cycle_years),
        controls: &audited.controls,
    };
    Ok(audit_report::snapshot(&input, |id| {
        by_number.get(&id.number()).map(|r| RecordedResult {
            performed: &r.performed,
            result: r.result,
            finding: &r.finding,
            samples: &r.samples,
        })
    }))
}

/// [`crate::uploads::check`], refusing in `lang` (its own words are English).
pub fn check_upload(
    lang: Lang,
    field: &str,
    file_name: &str,
    declared: &str,
    bytes: &[u8],
    max: usize,
) -> Result<String, Failure> {
    crate::uploads::check(field, file_name, declared, bytes, max).map_err(|_| {
        let limit = (max / (1024 * 1024)).max(1).to_string();
        let name = ("name", file_name.to_owned());
        let message = if bytes.is_empty() {
            msg(lang, "audit-upload-empty", &[name])
        } else if bytes.len() > max {
            msg(lang, "audit-upload-too-large", &[name, ("limit", limit)])
        } else {
            msg(lang, "audit-upload-kind", &[name])
        };
        Failure::Invalid {
            field: field.into(),
            message,
        }
    })
}

/// A refused multipart body ([`crate::uploads::read`]), said in `lang`.
pub fn upload_failure(lang: Lang, failure: Failure, max: usize) -> Failure {
    match failure {
        Failure::TooLarge => Failure::Invalid {
            field: "file".into(),
            message: msg(
                lang,
                "audit-upload-too-large",
                &[
                    ("name", String::new()),
                    ("limit", (max / (1024 * 1024)).max(1).to_string()),
                ],
            ),
        },
        Failure::Invalid { field, .. } => Failure::Invalid {
            field,
            message: msg(lang, "audit-upload-unreadable", &[]),
        },
        other => other,
    }
}
