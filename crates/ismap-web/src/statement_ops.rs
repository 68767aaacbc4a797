//! Loading, changing and saving statements: shared by the editor pages and
//! the API so both validate and store the same way. Every save is a new
//! revision of the whole statement, validated with the one rule engine.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ismap_domain::{Catalog, ControlId, Decision, Registry, Statement};
use ismap_formats::report::{Report, check_statement};
use ismap_formats::statement_file::{ParsedStatement, parse_statement};
use ismap_formats::statement_write::to_yaml;
use ismap_store::statements::{self, NewRevision, Revision, StatementRecord};
use ismap_store::{Actor, services};

use crate::AppState;
use crate::error::Failure;
use crate::policy::Principal;
use crate::registry_cache;

pub const DRAFT: &str = "draft";
pub const FROZEN: &str = "frozen";

/// A statement's latest revision, read and validated.
pub struct Loaded {
    pub record: StatementRecord,
    pub revision: Revision,
    pub parsed: ParsedStatement,
    /// The ISMAP lists as they were when it was read (rule S7).
    pub registry: Arc<Registry>,
}

impl Loaded {
    pub fn report<'a>(&self, state: &'a AppState) -> Report<'a> {
        let catalogs: Vec<&Catalog> = state.catalogs.iter().collect();
        check_statement(&self.parsed, &catalogs, Some(&self.registry))
    }

    pub fn catalog<'a>(&self, state: &'a AppState) -> Result<&'a Catalog, Failure> {
        state.catalog(&self.record.catalog_id).ok_or_else(|| {
            Failure::Internal(format!("catalog {} is not loaded", self.record.catalog_id))
        })
    }
}

pub async fn load(state: &AppState, record: StatementRecord) -> Result<Loaded, Failure> {
    let revision = statements::revision_at(&state.db, record.id, record.latest_revision).await?;
    let parsed = parse_statement(
        &format!("statement {} revision {}", record.id, revision.number),
        &revision.content,
    )
    .map_err(|e| Failure::Internal(e.to_string()))?;
    Ok(Loaded {
        record,
        revision,
        parsed,
        registry: registry_cache::current(state).await?,
    })
}

/// What one control's form sends.
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct ControlEdit {
    #[serde(default)]
    pub decision: String,
    pub individual_control: Option<String>,
    pub reason: Option<String>,
    pub from: Option<String>,
    pub confirmation: Option<String>,
}

fn text(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

/// Applies an edit of one control to the statement. Fields the form did
/// not send keep their value, so switching a decision back and forth never
/// loses what was written.
pub fn apply(
    statement: &mut Statement,
    catalog: &Catalog,
    id: ControlId,
    edit: ControlEdit,
) -> Result<(), Failure> {
    let control = catalog
        .get(id.number())
        .ok_or_else(|| Failure::NotFound(format!("control {id} in {}", catalog.id())))?;
    let decision = match edit.decision.trim() {
        "" | "~" => None,
        key => Some(Decision::from_key(key).ok_or_else(|| Failure::Invalid {
            field: "decision".into(),
            message: ismap_i18n::Messages::deferred(
                "i18n-decision-unknown",
                &[("value", key.to_owned())],
            ),
        })?),
    };
    if let Some(d) = decision
        && !d.fits(control.id.level())
    {
        return Err(Failure::Invalid {
            field: "decision".into(),
            message: ismap_i18n::Messages::deferred(
                "i18n-decision-not-for-control",
                &[
                    ("decision", d.key().to_owned()),
                    ("control", control.id.to_string()),
                ],
            ),
        });
    }
    let entry = statement
        .controls
        .entry(id.number())
        .or_insert_with(|| ismap_domain::ControlDecision::new(control.id, None));
    entry.id = control.id;
    entry.decision = decision;
    if edit.individual_control.is_some() {
        entry.individual_control = text(edit.individual_control);
    }
    if edit.reason.is_some() {
        entry.reason = text(edit.reason);
    }
    if edit.from.is_some() {
        entry.from = text(edit.from);
    }
    if edit.confirmation.is_some() {
        entry.confirmation = text(edit.confirmation);
    }
    Ok(())
}

/// Bulk decisions on an objective and its detailed controls.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Bulk {
    /// Select the objective and mark its undecided detailed controls implemented.
    SelectAll,
    /// Exclude the objective, with one reason, and its detailed controls with it.
    Exclude,
}

pub fn apply_bulk(
    statement: &mut Statement,
    catalog: &Catalog,
    objective: ControlId,
    bulk: Bulk,
    reason: &str,
) -> Result<(), Failure> {
    let position = catalog
        .position(objective.number())
        .filter(|&p| catalog.controls()[p].id.level() == ismap_domain::Level::Objective)
        .ok_or_else(|| Failure::NotFound(format!("objective {objective} in {}", catalog.id())))?;
    let reason = reason.trim();
    if bulk == Bulk::Exclude && reason.is_empty() {
        return Err(Failure::Invalid {
            field: "reason".into(),
            message: ismap_i18n::Messages::deferred("i18n-exclude-needs-reason", &[]),
        });
    }
    let (objective_decision, child_decision) = match bulk {
        Bulk::SelectAll => (Decision::Selected, Decision::Implemented),
        Bulk::Exclude => (Decision::Excluded, Decision::Excluded),
    };
    let mut set = |p: usize, decision: Decision, only_undecided: bool, reason: Option<&str>| {
        let control = &catalog.controls()[p];
        let entry = statement
            .controls
            .entry(control.id.number())
            .or_insert_with(|| ismap_domain::ControlDecision::new(control.id, None));
        if only_undecided && entry.decision.is_some() {
            return;
        }
        entry.id = control.id;
        entry.decision = Some(decision);
        if let Some(reason) = reason {
            entry.reason = Some(reason.to_owned());
        }
    };
    set(
        position,
        objective_decision,
        false,
        (bulk == Bulk::Exclude).then_some(reason),
    );
    for child in catalog.children_of(position) {
        set(child, child_decision, bulk == Bulk::SelectAll, None);
    }
    Ok(())
}

/// Items of a list typed in one field, separated by commas or spaces.
pub fn split_list(text: &str) -> Vec<String> {
    text.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect()
}

/// A risk as a form or the API sends it.
pub struct NewRisk {
    pub title: String,
    pub identification: String,
    pub analysis: String,
    /// high, medium, low, or empty.
    pub evaluation: String,
    pub treatment: String,
    pub controls: Vec<String>,
}

/// Adds a risk under the next free id (R1, R2, …) and returns the id.
/// Every linked control must be in the catalog.
pub fn add_risk(
    statement: &mut Statement,
    catalog: &Catalog,
    new: NewRisk,
) -> Result<String, Failure> {
    if new.title.trim().is_empty() {
        return Err(Failure::Invalid {
            field: "title".into(),
            message: ismap_i18n::Messages::deferred("i18n-risk-title-required", &[]),
        });
    }
    let evaluation = match new.evaluation.trim() {
        "" => None,
        text => Some(
            ismap_domain::statement::RiskLevel::from_key(text).ok_or_else(|| Failure::Invalid {
                field: "evaluation".into(),
                message: ismap_i18n::Messages::deferred(
                    "i18n-risk-level-unknown",
                    &[("value", text.to_owned())],
                ),
            })?,
        ),
    };
    let mut controls = Vec::new();
    for (i, text) in new.controls.iter().enumerate() {
        let field = format!("controls[{i}]");
        let id = crate::error::parse_control(text, &field)?;
        let known = catalog.get(id.number()).ok_or_else(|| Failure::Invalid {
            field,
            message: ismap_i18n::Messages::deferred(
                "i18n-control-not-in-catalog",
                &[
                    ("control", id.to_string()),
                    ("catalog", catalog.id().to_owned()),
                ],
            ),
        })?;
        controls.push(known.id);
    }
    let id = (1..)
        .map(|n| format!("R{n}"))
        .find(|candidate| !statement.risks.iter().any(|r| &r.id == candidate))
        .expect("an unused id exists");
    statement.risks.push(ismap_domain::statement::Risk {
        id: id.clone(),
        title: new.title.trim().to_owned(),
        identification: new.identification.trim().to_owned(),
        analysis: new.analysis.trim().to_owned(),
        evaluation,
        treatment: Some(new.treatment.trim().to_owned()).filter(|t| !t.is_empty()),
        controls,
    });
    Ok(id)
}

/// A user's budget of statement writes: a token bucket that holds at most
/// `burst` writes and refills `per_minute` a minute.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bucket {
    tokens: f64,
    at: Instant,
}

/// Takes one write from `bucket` (a full one when the user has none yet)
/// at `now`: the bucket after, or how long until a write is allowed.
pub fn take_write(
    bucket: Option<Bucket>,
    now: Instant,
    per_minute: u32,
    burst: u32,
) -> Result<Bucket, (Bucket, Duration)> {
    let capacity = f64::from(burst.max(1));
    let rate = f64::from(per_minute) / 60.0;
    let tokens = match bucket {
        None => capacity,
        Some(b) => {
            let elapsed = now.saturating_duration_since(b.at).as_secs_f64();
            (b.tokens + elapsed * rate).min(capacity)
        }
    };
    let refilled = Bucket { tokens, at: now };
    if tokens >= 1.0 {
        return Ok(Bucket {
            tokens: tokens - 1.0,
            at: now,
        });
    }
    let wait = if rate > 0.0 {
        Duration::from_secs_f64((1.0 - tokens) / rate)
    } else {
        Duration::MAX
    };
    Err((refilled, wait))
}

/// Statement writes per user, in memory: a limit against one account
/// filling the database (each save stores the whole statement again).
#[derive(Debug, Default)]
pub struct WriteLimiter {
    buckets: Mutex<HashMap<i64, Bucket>>,
}

impl WriteLimiter {
    /// Takes one write for `user`, or says how long to wait.
    pub fn take(&self, user: i64, per_minute: u32, burst: u32) -> Result<(), Duration> {
        let now = Instant::now();
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let (bucket, outcome) =
            match take_write(buckets.get(&user).copied(), now, per_minute, burst) {
                Ok(bucket) => (bucket, Ok(())),
                Err((bucket, wait)) => (bucket, Err(wait)),
            };
        buckets.insert(user, bucket);
        outcome
    }
}

/// The one gate of every statement write (API, editor, import, upgrade):
/// the revision's size, then the writer's rate. `content` is the text as it
/// would be stored.
pub fn guard_write(state: &AppState, principal: &Principal, content: &str) -> Result<(), Failure> {
    let config = &state.config;
    if content.len() > config.max_statement_bytes {
        let text = ismap_i18n::Messages::deferred(
            "stmt-limit-too-large",
            &[
                ("limit", config.max_statement_bytes.to_string()),
                ("size", content.len().to_string()),
            ],
        );
        return Err(Failure::Invalid {
            field: "statement".into(),
            message: text,
        });
    }
    if config.statement_writes_per_minute == 0 {
        return Ok(());
    }
    state
        .statement_writes
        .take(
            principal.user.id,
            config.statement_writes_per_minute,
            config.statement_write_burst,
        )
        .map_err(|wait| {
            let retry = wait.as_secs_f64().ceil().clamp(1.0, 86_400.0) as u64;
            let text = ismap_i18n::Messages::deferred(
                "stmt-limit-too-many-writes",
                &[
                    ("per_minute", config.statement_writes_per_minute.to_string()),
                    ("burst", config.statement_write_burst.to_string()),
                    ("retry", retry.to_string()),
                ],
            );
            Failure::TooManyWrites {
                retry_after: retry,
                message: text,
            }
        })
}

/// The statement written as it is stored (canonical YAML), with the error
/// and warning counts stored beside it.
async fn written(state: &AppState, statement: &Statement) -> Result<(String, i64, i64), Failure> {
    let content = to_yaml(statement);
    let parsed = parse_statement("written statement", &content)
        .map_err(|e| Failure::Internal(e.to_string()))?;
    let catalogs: Vec<&Catalog> = state.catalogs.iter().collect();
    let registry = registry_cache::current(state).await?;
    let report = check_statement(&parsed, &catalogs, Some(&registry));
    Ok((content, report.errors() as i64, report.warnings() as i64))
}

/// Writes a new statement for a service (owned by `organization_id`) as
/// its first revision.
pub async fn create(
    state: &AppState,
    principal: &Principal,
    (service_id, organization_id): (i64, i64),
    catalog_id: &str,
    statement: &Statement,
    comment: &str,
) -> Result<StatementRecord, Failure> {
    let (content, errors, warnings) = written(state, statement).await?;
    guard_write(state, principal, &content)?;
    Ok(statements::create(
        &state.db,
        &Actor::user(principal.user.id, &principal.user.username),
        service_id,
        organization_id,
        catalog_id,
        NewRevision {
            content: &content,
            comment,
            errors,
            warnings,
        },
    )
    .await?)
}

/// Validates `statement` and saves it as the revision after `based_on`
/// (the API: every write is a revision of its own).
pub async fn save(
    state: &AppState,
    principal: &Principal,
    record: &StatementRecord,
    based_on: i64,
    statement: &Statement,
    comment: &str,
) -> Result<Loaded, Failure> {
    save_version(
        state,
        principal,
        record,
        statements::Based::revision(based_on),
        statement,
        comment,
        false,
    )
    .await
}

/// Validates `statement` and saves it on top of the version `based` (the
/// editor's changes: with `burst`, the same person's changes within
/// [`statements::BURST_MINUTES`] form one revision; see
/// [`statements::save_edit`]).
pub async fn save_version(
    state: &AppState,
    principal: &Principal,
    record: &StatementRecord,
    based: statements::Based,
    statement: &Statement,
    comment: &str,
    burst: bool,
) -> Result<Loaded, Failure> {
    // Refused early on the status read; the store checks it again in the
    // transaction that writes (a freeze may happen in between).
    if record.status != DRAFT {
        return Err(Failure::Conflict(ismap_i18n::Messages::deferred(
            "i18n-statement-frozen",
            &[],
        )));
    }
    let (content, errors, warnings) = written(state, statement).await?;
    guard_write(state, principal, &content)?;
    let saved = statements::save_edit(
        &state.db,
        &Actor::user(principal.user.id, &principal.user.username),
        record,
        based,
        NewRevision {
            content: &content,
            comment,
            errors,
            warnings,
        },
        burst,
    )
    .await;
    if let Err(ismap_store::StoreError::Conflict(_)) = &saved {
        // Someone saved or froze first: said in the reader's language.
        let now = statements::get(&state.db, record.id).await?;
        return Err(Failure::Conflict(if now.status != DRAFT {
            ismap_i18n::Messages::deferred("i18n-statement-frozen", &[])
        } else {
            ismap_i18n::Messages::deferred(
                "i18n-statement-stale",
                &[("latest", now.latest_revision.to_string())],
            )
        }));
    }
    saved?;
    let record = statements::get(&state.db, record.id).await?;
    load(state, record).await
}

/// A new statement for `service`: every control of `catalog` undecided.
pub fn skeleton(catalog: &Catalog, service: &ismap_store::services::Service) -> Statement {
    let mut statement = Statement {
        catalog: catalog.id().to_owned(),
        catalog_version: Some(catalog.info().version.clone()),
        date: Some(crate::today()),
        service: ismap_domain::statement::Service {
            name: service.name.clone(),
            model: Some(service.model),
            url: Some(service.url.clone()).filter(|u| !u.is_empty()),
            ..Default::default()
        },
        ..Statement::default()
    };
    for control in catalog.controls() {
        statement.controls.insert(
            control.id.number(),
            ismap_domain::ControlDecision::new(control.id, None),
        );
    }
    statement
}

/// Imports a statement file as the next revision. `Ok(Err(problems))`
/// when the file cannot be taken as it is; nothing is stored then.
pub async fn import(
    state: &AppState,
    principal: &Principal,
    loaded: &Loaded,
    based: statements::Based,
    text: &str,
) -> Result<Result<Loaded, Vec<String>>, Failure> {
    if text.trim().is_empty() {
        return Ok(Err(vec![ismap_i18n::Messages::deferred(
            "i18n-import-empty",
            &[],
        )]));
    }
    let parsed = match parse_statement("imported file", text) {
        Ok(parsed) => parsed,
        Err(error) => {
            return Ok(Err(error
                .problems
                .iter()
                .map(|p| {
                    // A limit is said in both languages ("ja / en"): keep the reader's.
                    if error.limit.is_some()
                        && let Some((ja, en)) = p.message.split_once(" / ")
                    {
                        return ismap_i18n::Messages::deferred(
                            "i18n-import-limit",
                            &[("ja", ja.to_owned()), ("en", en.to_owned())],
                        );
                    }
                    ismap_i18n::Messages::deferred(
                        "i18n-import-unreadable",
                        &[
                            ("line", p.line.to_string()),
                            ("column", p.column.to_string()),
                            ("field", p.field.clone()),
                        ],
                    )
                })
                .collect()));
        }
    };
    let catalogs: Vec<&Catalog> = state.catalogs.iter().collect();
    let registry = registry_cache::current(state).await?;
    let report = check_statement(&parsed, &catalogs, Some(&registry));
    let mut problems: Vec<String> = report
        .findings
        .iter()
        .filter(|f| f.finding.rule == ismap_domain::RuleId::Input)
        .map(|f| {
            let mut args: Vec<(String, String)> = vec![
                ("line".into(), f.place.line.to_string()),
                ("field".into(), f.field.clone()),
                ("@message".into(), f.finding.kind.message_id().to_owned()),
            ];
            args.extend(
                f.finding
                    .kind
                    .args()
                    .into_iter()
                    .map(|(k, v)| (format!("message.{k}"), v)),
            );
            let args: Vec<(&str, String)> =
                args.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
            ismap_i18n::Messages::deferred("i18n-import-finding", &args)
        })
        .collect();
    if parsed.statement.catalog.trim() != loaded.record.catalog_id {
        problems.push(ismap_i18n::Messages::deferred(
            "i18n-import-other-catalog",
            &[
                ("file", parsed.statement.catalog.trim().to_owned()),
                ("statement", loaded.record.catalog_id.clone()),
            ],
        ));
    }
    if !problems.is_empty() {
        return Ok(Err(problems));
    }
    // An import is a revision of its own: it neither joins nor opens a burst.
    Ok(Ok(save_version(
        state,
        principal,
        &loaded.record,
        based,
        &parsed.statement,
        "import",
        false,
    )
    .await?))
}

/// Starts a new draft statement for the same service on catalog `to`,
/// carrying decisions over; the old statement stays as it is.
pub async fn upgrade(
    state: &AppState,
    principal: &Principal,
    loaded: &Loaded,
    to: &str,
) -> Result<(StatementRecord, ismap_domain::upgrade::UpgradeReport), Failure> {
    let from = loaded.catalog(state)?;
    let target = state.catalog(to).ok_or_else(|| Failure::Invalid {
        field: "to".into(),
        message: ismap_i18n::Messages::deferred(
            "i18n-catalog-not-loaded",
            &[("catalog", to.to_owned())],
        ),
    })?;
    if target.id() == from.id() {
        return Err(Failure::Invalid {
            field: "to".into(),
            message: ismap_i18n::Messages::deferred(
                "i18n-upgrade-same-catalog",
                &[("catalog", to.to_owned())],
            ),
        });
    }
    let (statement, report) =
        ismap_domain::upgrade::upgrade(&loaded.parsed.statement, from, target);
    let comment = format!(
        "upgraded from statement {} revision {} ({})",
        loaded.record.id,
        loaded.revision.number,
        from.id()
    );
    let record = create(
        state,
        principal,
        (loaded.record.service_id, loaded.record.organization_id),
        target.id(),
        &statement,
        &comment,
    )
    .await?;
    Ok((record, report))
}

/// Registered services an inherited control may name: the registration
/// numbers known to the portal.
pub async fn registered_services(state: &AppState) -> Result<Vec<(String, String)>, Failure> {
    Ok(services::list(&state.db, None)
        .await?
        .into_iter()
        .filter_map(|s| s.registration_number.map(|n| (n, s.name)))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_user_has_a_full_bucket_and_waits_once_it_is_empty() {
        let start = Instant::now();
        let mut bucket = None;
        for _ in 0..3 {
            bucket = Some(take_write(bucket, start, 60, 3).expect("within the burst"));
        }
        let (empty, wait) = take_write(bucket, start, 60, 3).expect_err("over the burst");
        // 60 a minute: one write a second.
        assert_eq!(wait, Duration::from_secs(1));
        let later = start + Duration::from_secs(1);
        assert!(take_write(Some(empty), later, 60, 3).is_ok());
    }

    #[test]
    fn the_bucket_refills_up_to_the_burst_only() {
        let start = Instant::now();
        let drained = take_write(None, start, 120, 2).unwrap();
        let drained = take_write(Some(drained), start, 120, 2).unwrap();
        let much_later = start + Duration::from_secs(3600);
        let one = take_write(Some(drained), much_later, 120, 2).unwrap();
        let two = take_write(Some(one), much_later, 120, 2).unwrap();
        assert!(take_write(Some(two), much_later, 120, 2).is_err());
    }

    #[test]
    fn no_refill_means_no_wait_time() {
        let start = Instant::now();
        let drained = take_write(None, start, 0, 1).unwrap();
        let (_, wait) = take_write(Some(drained), start, 0, 1).unwrap_err();
        assert_eq!(wait, Duration::MAX);
    }
}
