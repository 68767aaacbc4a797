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
use ismap_store::engagements::{self, Engagement, NewResult, ResultRecord};
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
        parse_scope(&engagement.scope, years)?,
        u8::try_from(engagement.cycle_year).unwrap_or(1),
    )
    .map_err(|e| Failure::Internal(e.to_string()))?;
    Ok(Audited {
        controls: scope.controls(catalog),
        catalog,
        statement,
    })
}

/// Parses the scope of a plan or an engagement: `full`, `multi_year`, `liu`.
pub fn parse_scope(key: &str, years: u8) -> Result<Scope, Failure> {
    match key {
        "full" => Ok(Scope::Full),
        "multi_year" => Ok(Scope::MultiYear { years }),
        "liu" => Ok(Scope::Liu { years }),
        other => Err(Failure::Invalid {
            field: "scope".into(),
            message: format!("{other:?}: choose full, multi_year or liu"),
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

/// Checks and records one control's result.
pub async fn record(
    state: &AppState,
    actor: &Actor,
    engagement: &Engagement,
    audited: &Audited<'_>,
    control: &str,
    input: &ResultInput,
) -> Result<ResultRecord, Failure> {
    let id = parse_control(control, "control")?;
    let id = audited
        .controls
        .iter()
        .find(|c| c.number() == id.number())
        .copied()
        .ok_or_else(|| Failure::Invalid {
            field: "control".into(),
            message: format!("{control} is not in the scope of this engagement"),
        })?;
    let result = AuditResult::from_key(&input.result).ok_or_else(|| Failure::Invalid {
        field: "result".into(),
        message: format!(
            "{:?}: choose conforming, deficiency or not_tested",
            input.result
        ),
    })?;
    let invalid = |field: &str, message: &str| Failure::Invalid {
        field: field.into(),
        message: format!("{id}: {message}"),
    };
    if input.performed.trim().is_empty() && result != AuditResult::NotTested {
        return Err(invalid("performed", "say which procedure was performed"));
    }
    if input.finding.trim().is_empty() && result != AuditResult::Conforming {
        return Err(invalid(
            "finding",
            "a deficiency or an untested control needs the finding's text",
        ));
    }
    Ok(engagements::record_result(
        &state.db,
        actor,
        engagement,
        NewResult {
            control_id: &id.to_string(),
            performed: input.performed.trim(),
            result,
            finding: input.finding.trim(),
            samples: input.samples.trim(),
        },
    )
    .await?)
}

/// The snapshot the next issue of the report would carry; refused while a
/// control in scope has no result.
pub fn snapshot(
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
        return Err(Failure::Conflict(format!(
            "{} controls in scope have no result yet (first: {}); record one for each, \"not tested\" included",
            missing.len(),
            first.join(", ")
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
