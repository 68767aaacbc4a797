//! Registrations on the ISMAP and ISMAP-LIU lists (spec §6). A renewal is a
//! new row and marks the one it renews as superseded; suspension records
//! its reason; a lapsed registration leaves the public list but stays here.

use chrono::NaiveDate;
use ismap_domain::registration::{ListKind, RegistrationStatus, status_on};
use ismap_domain::registry::{RegistrationNumber, RegistrationNumberError, Registry};
use serde_json::{Value, json};
use sqlx::{AnyConnection, Row, any::AnyRow};

use crate::applications::Application;
use crate::events::{self, Actor, NewEvent};
use crate::{Db, Result, StoreError, now, read_flag};

#[derive(Clone, Debug, PartialEq)]
pub struct Registration {
    pub id: i64,
    pub service_id: i64,
    pub organization_id: i64,
    pub application_id: Option<i64>,
    pub list: ListKind,
    pub number: String,
    pub valid_from: NaiveDate,
    pub valid_until: NaiveDate,
    pub registered_on: NaiveDate,
    pub renewal_of: Option<i64>,
    pub superseded: bool,
    pub suspended_at: Option<String>,
    pub suspension_reason: String,
    pub improvement_plan: bool,
    pub name: String,
    pub name_en: String,
    pub provider: String,
    pub provider_en: String,
    pub model: String,
    /// The public attachments (scope, objectives, audit period, subsequent
    /// events, procurer risk information, address, URL).
    pub public: Value,
    pub updated_at: String,
    /// A renewal application is under review.
    pub renewal_pending: bool,
}

impl Registration {
    pub fn status(&self, today: NaiveDate) -> RegistrationStatus {
        status_on(
            self.valid_until,
            self.suspended_at.is_some(),
            self.renewal_pending,
            today,
        )
    }
}

pub struct NewRegistration<'a> {
    pub valid_from: NaiveDate,
    pub valid_until: NaiveDate,
    pub registered_on: NaiveDate,
    pub improvement_plan: bool,
    pub name: &'a str,
    pub name_en: &'a str,
    pub provider: &'a str,
    pub provider_en: &'a str,
    pub model: &'a str,
    pub public: &'a Value,
}

const COLUMNS: &str = "r.id, r.service_id, r.organization_id, r.application_id, r.list, r.number, r.valid_from, \
    r.valid_until, r.registered_on, r.renewal_of, r.superseded, r.suspended_at, r.suspension_reason, \
    r.improvement_plan, r.name, r.name_en, r.provider, r.provider_en, r.model, r.public, r.updated_at, \
    CAST(CASE WHEN EXISTS (SELECT 1 FROM applications a WHERE a.renewal_of = r.id \
    AND a.state NOT IN ('registered', 'rejected', 'withdrawn')) THEN 1 ELSE 0 END AS BIGINT) AS renewal_pending";

fn date(row: &AnyRow, column: &str) -> Result<NaiveDate> {
    let text: String = row.try_get(column)?;
    text.parse()
        .map_err(|_| StoreError::Corrupt(format!("{column} {text:?} is not a date")))
}

fn from_row(row: &AnyRow) -> Result<Registration> {
    let list: String = row.try_get("list")?;
    let public: String = row.try_get("public")?;
    Ok(Registration {
        id: row.try_get("id")?,
        service_id: row.try_get("service_id")?,
        organization_id: row.try_get("organization_id")?,
        application_id: row.try_get("application_id")?,
        list: ListKind::from_key(&list)
            .ok_or_else(|| StoreError::Corrupt(format!("list {list:?}")))?,
        number: row.try_get("number")?,
        valid_from: date(row, "valid_from")?,
        valid_until: date(row, "valid_until")?,
        registered_on: date(row, "registered_on")?,
        renewal_of: row.try_get("renewal_of")?,
        superseded: read_flag(row, "superseded")?,
        suspended_at: row.try_get("suspended_at")?,
        suspension_reason: row.try_get("suspension_reason")?,
        improvement_plan: read_flag(row, "improvement_plan")?,
        name: row.try_get("name")?,
        name_en: row.try_get("name_en")?,
        provider: row.try_get("provider")?,
        provider_en: row.try_get("provider_en")?,
        model: row.try_get("model")?,
        public: serde_json::from_str(&public)
            .map_err(|e| StoreError::Corrupt(format!("registration public data: {e}")))?,
        updated_at: row.try_get("updated_at")?,
        renewal_pending: read_flag(row, "renewal_pending")?,
    })
}

pub async fn get(db: &Db, id: i64) -> Result<Registration> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM registrations r WHERE r.id = $1"
    ))
    .bind(id)
    .fetch_optional(&db.pool)
    .await?
    .ok_or_else(|| StoreError::NotFound(format!("registration {id}")))?;
    from_row(&row)
}

pub async fn by_number(db: &Db, number: &str) -> Result<Registration> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM registrations r WHERE r.number = $1"
    ))
    .bind(number)
    .fetch_optional(&db.pool)
    .await?
    .ok_or_else(|| StoreError::NotFound(format!("registration {number}")))?;
    from_row(&row)
}

/// A service's registrations, oldest first (its history).
pub async fn of_service(db: &Db, service_id: i64) -> Result<Vec<Registration>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM registrations r WHERE r.service_id = $1 ORDER BY r.id"
    ))
    .bind(service_id)
    .fetch_all(&db.pool)
    .await?;
    rows.iter().map(from_row).collect()
}

/// The service's current registration on `list`: its latest one there that
/// no renewal superseded, whether or not still valid. An application for
/// `list` renews it; the service's registration on the other list is
/// another matter (each list keeps its own numbers and renewals).
pub async fn current_on_list(
    db: &Db,
    service_id: i64,
    list: ListKind,
) -> Result<Option<Registration>> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM registrations r WHERE r.service_id = $1 AND r.list = $2 \
         AND r.superseded = 0 ORDER BY r.id DESC LIMIT 1"
    ))
    .bind(service_id)
    .bind(list.key())
    .fetch_optional(&db.pool)
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// The last day of the audit period a registration rests on: its public
/// record's audit period, else its application's engagement, else the day
/// before its validity started (validity starts the day after the audit
/// period, spec §6), for registrations taken over without either.
pub async fn audit_period_end(db: &Db, registration: &Registration) -> Result<NaiveDate> {
    if let Some(end) = registration.public["audit_period"]["end"]
        .as_str()
        .and_then(|t| t.parse().ok())
    {
        return Ok(end);
    }
    if let Some(application) = registration.application_id {
        let row = sqlx::query(
            "SELECT e.period_end FROM applications a JOIN engagements e ON e.id = a.engagement_id \
             WHERE a.id = $1",
        )
        .bind(application)
        .fetch_optional(&db.pool)
        .await?;
        if let Some(row) = row {
            return date(&row, "period_end");
        }
    }
    registration.valid_from.pred_opt().ok_or_else(|| {
        StoreError::Corrupt(format!(
            "registration {} valid from the first day",
            registration.number
        ))
    })
}

/// The current (not superseded) registrations of a provider, or of everyone.
pub async fn current(db: &Db, organization_id: Option<i64>) -> Result<Vec<Registration>> {
    let rows = match organization_id {
        Some(org) => {
            sqlx::query(&format!(
                "SELECT {COLUMNS} FROM registrations r WHERE r.superseded = 0 AND r.organization_id = $1 ORDER BY r.valid_until"
            ))
            .bind(org)
            .fetch_all(&db.pool)
            .await?
        }
        None => {
            sqlx::query(&format!(
                "SELECT {COLUMNS} FROM registrations r WHERE r.superseded = 0 ORDER BY r.valid_until"
            ))
            .fetch_all(&db.pool)
            .await?
        }
    };
    rows.iter().map(from_row).collect()
}

/// Every registration as statement rule S7 reads it: number, name,
/// validity and whether it is suspended now. Superseded and lapsed
/// registrations stay in: S7 asks whether a number was valid on the
/// statement's date, which may be before its renewal or its end.
pub async fn registry(db: &Db) -> Result<Registry> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM registrations r ORDER BY r.id"
    ))
    .fetch_all(&db.pool)
    .await?;
    let mut registry = Registry::default();
    for row in &rows {
        let r = from_row(row)?;
        registry.insert(ismap_domain::Registration {
            number: r.number.parse().map_err(|e: RegistrationNumberError| {
                StoreError::Corrupt(format!("registration number: {e}"))
            })?,
            service_name: r.name,
            valid_from: r.valid_from,
            valid_until: r.valid_until,
            suspended: r.suspended_at.is_some(),
            renewal_pending: r.renewal_pending,
        });
    }
    Ok(registry)
}

/// Inserts the registration the committee decided (inside its transaction).
pub(crate) async fn insert(
    conn: &mut AnyConnection,
    actor: &Actor,
    application: &Application,
    new: NewRegistration<'_>,
) -> Result<i64> {
    let (number, serial, previous_number) = match application.renewal_of {
        Some(previous) => {
            let row = sqlx::query("SELECT number, serial FROM registrations WHERE id = $1")
                .bind(previous)
                .fetch_one(&mut *conn)
                .await?;
            let number: String = row.try_get("number")?;
            let previous_number = number.clone();
            let parsed: RegistrationNumber =
                number
                    .parse()
                    .map_err(|e: ismap_domain::registry::RegistrationNumberError| {
                        StoreError::Corrupt(e.to_string())
                    })?;
            // Conditional: a registration is renewed once, by an
            // application of its own service for its own list (a renewal
            // never moves a number to the other list).
            let superseded = sqlx::query(
                "UPDATE registrations SET superseded = 1, updated_at = $1 \
                 WHERE id = $2 AND superseded = 0 AND list = $3 AND service_id = $4",
            )
            .bind(now())
            .bind(previous)
            .bind(application.list.key())
            .bind(application.service_id)
            .execute(&mut *conn)
            .await?
            .rows_affected();
            if superseded != 1 {
                return Err(StoreError::Conflict(format!(
                    "registration {number} was renewed meanwhile"
                )));
            }
            (
                parsed.renewed(),
                row.try_get::<i64, _>("serial")?,
                Some(previous_number),
            )
        }
        None => {
            let row = sqlx::query(
                "SELECT CAST(COALESCE(MAX(serial), 0) AS BIGINT) AS serial FROM registrations WHERE list = $1",
            )
            .bind(application.list.key())
            .fetch_one(&mut *conn)
            .await?;
            let serial: i64 = row.try_get::<i64, _>("serial")? + 1;
            let serial_u16 = u16::try_from(serial).map_err(|_| {
                StoreError::Conflict(
                    "the list has no registration number left this format allows".into(),
                )
            })?;
            (
                RegistrationNumber::first(application.list.letter(), new.registered_on, serial_u16),
                serial,
                None,
            )
        }
    };
    let at = now();
    let row = sqlx::query(
        "INSERT INTO registrations (service_id, organization_id, application_id, list, number, serial, valid_from, \
         valid_until, registered_on, renewal_of, improvement_plan, name, name_en, provider, provider_en, model, public, updated_at, \
         search_text) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19) RETURNING id",
    )
    .bind(application.service_id)
    .bind(application.organization_id)
    .bind(application.id)
    .bind(application.list.key())
    .bind(number.to_string())
    .bind(serial)
    .bind(new.valid_from.to_string())
    .bind(new.valid_until.to_string())
    .bind(new.registered_on.to_string())
    .bind(application.renewal_of)
    .bind(i64::from(new.improvement_plan))
    .bind(new.name)
    .bind(new.name_en)
    .bind(new.provider)
    .bind(new.provider_en)
    .bind(new.model)
    .bind(new.public.to_string())
    .bind(&at)
    .bind(search_text(
        new.name,
        new.name_en,
        new.provider,
        new.provider_en,
        &number.to_string(),
    ))
    .fetch_one(&mut *conn)
    .await
    .map_err(|e| crate::orgs::conflict_on_unique(e, format!("registration number {number} is taken")))?;
    let id: i64 = row.try_get("id")?;
    // services.registration_number is the number of the service's latest
    // registration, whichever list (shown on the service page, offered for
    // inheritance); nothing reads the list from it: per-list questions ask
    // this table (`current_on_list`).
    sqlx::query("UPDATE services SET registration_number = $1 WHERE id = $2")
        .bind(number.to_string())
        .bind(application.service_id)
        .execute(&mut *conn)
        .await?;
    events::record(
        conn,
        NewEvent {
            actor,
            action: if application.renewal_of.is_some() {
                "registration.renew"
            } else {
                "registration.create"
            },
            object_type: "registration",
            object_id: id.to_string(),
            organization_id: Some(application.organization_id),
            before: application
                .renewal_of
                .map(|r| json!({ "registration": r, "number": previous_number })),
            after: Some(json!({
                "number": number.to_string(),
                "previous": previous_number,
                "list": application.list.key(),
                "name": new.name,
                "valid_from": new.valid_from.to_string(),
                "valid_until": new.valid_until.to_string(),
            })),
            reason: "",
        },
    )
    .await?;
    Ok(id)
}

/// Suspends (or, with `suspend` false, reinstates) a registration.
pub async fn set_suspended(
    db: &Db,
    actor: &Actor,
    registration: &Registration,
    suspend: bool,
    reason: &str,
) -> Result<Registration> {
    if reason.trim().is_empty() {
        return Err(StoreError::Conflict(
            "a suspension and its lifting need the reason".into(),
        ));
    }
    if suspend == registration.suspended_at.is_some() {
        return Err(StoreError::Conflict(if suspend {
            "the registration is already suspended".into()
        } else {
            "the registration is not suspended".into()
        }));
    }
    let mut tx = db.begin().await?;
    let at = now();
    // Conditional on the state the caller saw (suspended or not): of two
    // decisions at the same moment, the second changes nothing.
    let moved = sqlx::query(if suspend {
        "UPDATE registrations SET suspended_at = $1, suspension_reason = $2, updated_at = $3 \
         WHERE id = $4 AND suspended_at IS NULL"
    } else {
        "UPDATE registrations SET suspended_at = $1, suspension_reason = $2, updated_at = $3 \
         WHERE id = $4 AND suspended_at IS NOT NULL"
    })
    .bind(suspend.then(|| at.clone()))
    .bind(if suspend { reason } else { "" })
    .bind(&at)
    .bind(registration.id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if moved != 1 {
        return Err(StoreError::Conflict(if suspend {
            "the registration was suspended meanwhile; reload".into()
        } else {
            "the registration was reinstated meanwhile; reload".into()
        }));
    }
    events::record(
        &mut tx,
        NewEvent {
            actor,
            action: if suspend {
                "registration.suspend"
            } else {
                "registration.reinstate"
            },
            object_type: "registration",
            object_id: registration.id.to_string(),
            organization_id: Some(registration.organization_id),
            before: Some(json!({
                "number": registration.number,
                "suspended": registration.suspended_at.is_some(),
                "reason": registration.suspension_reason,
            })),
            after: Some(json!({
                "number": registration.number,
                "list": registration.list.key(),
                "name": registration.name,
                "suspended": suspend,
            })),
            reason,
        },
    )
    .await?;
    tx.commit().await?;
    get(db, registration.id).await
}

/// Sort orders of the public list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sort {
    Number,
    Name,
    ValidUntil,
    RegisteredOn,
}

impl Sort {
    pub fn from_key(key: &str) -> Option<Sort> {
        Some(match key {
            "number" => Sort::Number,
            "name" => Sort::Name,
            "valid_until" => Sort::ValidUntil,
            "registered_on" => Sort::RegisteredOn,
            _ => return None,
        })
    }

    fn column(self) -> &'static str {
        match self {
            Sort::Number => "r.number",
            Sort::Name => "r.name",
            Sort::ValidUntil => "r.valid_until",
            Sort::RegisteredOn => "r.registered_on",
        }
    }
}

/// A query of a public list.
#[derive(Clone, Debug)]
pub struct ListQuery {
    pub list: ListKind,
    /// Words to find in the service or provider name (Japanese or English) or the number.
    pub text: Option<String>,
    pub model: Option<String>,
    /// `valid` or `suspended`.
    pub status: Option<String>,
    /// Only entries whose validity ends within this many days.
    pub expiring_within: Option<i64>,
    pub sort: Sort,
    pub descending: bool,
    /// 1-based.
    pub page: i64,
    pub per_page: i64,
}

/// The most words a search may have, and its longest length in characters:
/// each word is one more condition (the web layer answers 422 beyond).
pub const SEARCH_MAX_WORDS: usize = 10;
pub const SEARCH_MAX_CHARS: usize = 200;

/// The start of the SQLite condition of indexed words (its MATCH follows).
const FTS_MATCH: &str =
    "r.id IN (SELECT rowid FROM registrations_search WHERE registrations_search MATCH";

/// Text folded for search, the same way for what is stored and what is
/// asked (issue 13): Unicode NFKC (full-width ＩａａＳ becomes IaaS,
/// half-width ｻﾝﾌﾟﾙ becomes サンプル, the ideographic space a space), then
/// lower case, then NFKC again (lower-casing can leave a sequence that NFKC
/// composes).
pub fn fold_for_search(text: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    let lower = text.nfkc().collect::<String>().to_lowercase();
    lower.nfkc().collect()
}

/// The folded searched text of a registration (column `search_text`,
/// migration 0008): its names in both languages, its provider's and its
/// number, separated by spaces. A search word never contains a space, so
/// it cannot match across two of them.
pub fn search_text(
    name: &str,
    name_en: &str,
    provider: &str,
    provider_en: &str,
    number: &str,
) -> String {
    fold_for_search(&[name, name_en, provider, provider_en, number].join(" "))
}

/// Fills `search_text` for the registrations that have none (those written
/// before migration 0008): run after every migration, so that a database
/// brought up to date is searched completely. Each row is filled only while
/// still empty, so several processes may run it at once.
pub async fn fill_search_text(db: &Db) -> Result<u64> {
    let rows = sqlx::query(
        "SELECT id, name, name_en, provider, provider_en, number FROM registrations \
         WHERE search_text IS NULL",
    )
    .fetch_all(&db.pool)
    .await?;
    let mut filled = 0;
    for row in &rows {
        let text = search_text(
            &row.try_get::<String, _>("name")?,
            &row.try_get::<String, _>("name_en")?,
            &row.try_get::<String, _>("provider")?,
            &row.try_get::<String, _>("provider_en")?,
            &row.try_get::<String, _>("number")?,
        );
        filled += sqlx::query(
            "UPDATE registrations SET search_text = $1 WHERE id = $2 AND search_text IS NULL",
        )
        .bind(text)
        .bind(row.try_get::<i64, _>("id")?)
        .execute(&db.pool)
        .await?
        .rows_affected();
    }
    Ok(filled)
}

/// A word found through the trigram index needs 3 characters at least.
pub fn is_indexed_word(word: &str) -> bool {
    word.chars().nth(2).is_some()
}

/// `%word%` for `LIKE … ESCAPE '\'`, with `\`, `%` and `_` in the word
/// matching themselves.
pub fn like_pattern(word: &str) -> String {
    let mut pattern = String::with_capacity(word.len() + 2);
    pattern.push('%');
    for c in word.chars() {
        if matches!(c, '\\' | '%' | '_') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// An FTS5 query finding every word as a substring (trigram tokenizer):
/// each word a quoted phrase (quotes doubled), the phrases ANDed.
pub fn fts5_query<'a>(words: impl IntoIterator<Item = &'a str>) -> String {
    words
        .into_iter()
        .map(|w| format!("\"{}\"", w.replace('"', "\"\"")))
        .collect::<Vec<_>>()
        .join(" AND ")
}

/// The conditions of a search for `text` (words combined with AND, each a
/// substring of the folded `search_text`; the words folded the same way, so
/// that width and case do not matter). Words of 3 characters or more go
/// through the trigram index (FTS5 on SQLite, pg_trgm on PostgreSQL);
/// shorter ones are plain substring tests (`instr` / `strpos`, which no
/// index answers, so PostgreSQL never scans the whole trigram index for a
/// word it cannot take trigrams from), evaluated on the rows the index
/// left (or on every listed row when no word is long enough).
fn search_conditions(
    backend: crate::Backend,
    text: &str,
    bind: &mut impl FnMut(String) -> String,
) -> Vec<String> {
    let folded = fold_for_search(text);
    let words: Vec<&str> = folded.split_whitespace().take(SEARCH_MAX_WORDS).collect();
    let (long, short): (Vec<&str>, Vec<&str>) = words.into_iter().partition(|w| is_indexed_word(w));
    let mut conditions = Vec::new();
    match backend {
        crate::Backend::Sqlite => {
            if !long.is_empty() {
                let p = bind(fts5_query(long));
                conditions.push(format!("{FTS_MATCH} {p})"));
            }
        }
        crate::Backend::Postgres => {
            for word in long {
                let p = bind(like_pattern(word));
                conditions.push(format!("r.search_text LIKE {p} ESCAPE '\\'"));
            }
        }
    }
    for word in short {
        let p = bind(word.to_owned());
        conditions.push(match backend {
            crate::Backend::Sqlite => format!("instr(r.search_text, {p}) > 0"),
            crate::Backend::Postgres => format!("strpos(r.search_text, {p}) > 0"),
        });
    }
    conditions
}

/// The entries of a public list on `today` matching `query`: (total, page).
/// Superseded and lapsed registrations are not listed (history stays).
pub async fn public_list(
    db: &Db,
    query: &ListQuery,
    today: NaiveDate,
) -> Result<(i64, Vec<Registration>)> {
    let mut conditions = vec![
        "r.superseded = 0".to_owned(),
        "r.list = $1".to_owned(),
        // Listed while valid, or while its renewal is under review (spec §6).
        "(r.valid_until >= $2 OR EXISTS (SELECT 1 FROM applications a WHERE a.renewal_of = r.id \
         AND a.state NOT IN ('registered', 'rejected', 'withdrawn')))"
            .to_owned(),
    ];
    let mut binds: Vec<String> = vec![query.list.key().to_owned(), today.to_string()];
    let mut bind = |value: String| {
        binds.push(value);
        format!("${}", binds.len())
    };
    if let Some(text) = query.text.as_deref() {
        let search = search_conditions(db.backend, text, &mut bind);
        if db.backend == crate::Backend::Sqlite && search.iter().any(|c| c.contains(FTS_MATCH)) {
            // The rows the trigram index finds are few: read them by id.
            // Without statistics SQLite would rather walk the whole list in
            // the (list, superseded) index and test each row; a unary `+`
            // keeps it from using that index.
            conditions[0] = "+r.superseded = 0".to_owned();
            conditions[1] = "+r.list = $1".to_owned();
        }
        conditions.extend(search);
    }
    if let Some(model) = query.model.as_deref().filter(|m| !m.is_empty()) {
        let p = bind(model.to_owned());
        conditions.push(format!("r.model = {p}"));
    }
    match query.status.as_deref() {
        Some("valid") => conditions.push("r.suspended_at IS NULL".into()),
        Some("suspended") => conditions.push("r.suspended_at IS NOT NULL".into()),
        _ => {}
    }
    // A day beyond the calendar ends nothing: no condition (the web layer
    // refuses such numbers; this only keeps the store from panicking).
    if let Some(until) = query
        .expiring_within
        .and_then(|days| chrono::Duration::try_days(days.max(0)))
        .and_then(|days| today.checked_add_signed(days))
    {
        let p = bind(until.to_string());
        conditions.push(format!("r.valid_until <= {p}"));
    }
    let filter = conditions.join(" AND ");
    let count_sql = format!("SELECT COUNT(*) AS n FROM registrations r WHERE {filter}");
    let mut count = sqlx::query(&count_sql);
    for b in &binds {
        count = count.bind(b.clone());
    }
    let total: i64 = count.fetch_one(&db.pool).await?.try_get("n")?;
    let direction = if query.descending { "DESC" } else { "ASC" };
    // Numbers are unique: no tie-breaker, so that the registrations_list_number
    // index gives the order without sorting.
    let order = match query.sort {
        Sort::Number => format!("r.number {direction}"),
        sort => format!("{} {direction}, r.number", sort.column()),
    };
    let per_page = query.per_page.clamp(1, 1000);
    let offset = (query.page.max(1) - 1).saturating_mul(per_page);
    let select_sql = format!(
        "SELECT {COLUMNS} FROM registrations r WHERE {filter} ORDER BY {order} LIMIT {per_page} OFFSET {offset}"
    );
    let mut select = sqlx::query(&select_sql);
    for b in &binds {
        select = select.bind(b.clone());
    }
    let rows = select.fetch_all(&db.pool).await?;
    Ok((total, rows.iter().map(from_row).collect::<Result<_>>()?))
}

/// What the public lists depend on besides the date: the latest registration
/// event and the latest application event (an application's state decides
/// whether a renewal is under review). Every change to a registration or an
/// application records its event in the same transaction, so an answer
/// built at a version stays right for every process until the version, or
/// the date, moves.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ListVersion {
    pub registration_event: i64,
    pub application_event: i64,
}

impl ListVersion {
    /// Neither part is older than in `other`.
    pub fn at_least(&self, other: &ListVersion) -> bool {
        self.registration_event >= other.registration_event
            && self.application_event >= other.application_event
    }
}

/// The current `ListVersion` (two index lookups: events_type_id).
pub async fn list_version(db: &Db) -> Result<ListVersion> {
    let row = sqlx::query(
        "SELECT CAST(COALESCE((SELECT MAX(id) FROM events WHERE object_type = 'registration'), 0) AS BIGINT) AS r, \
         CAST(COALESCE((SELECT MAX(id) FROM events WHERE object_type = 'application'), 0) AS BIGINT) AS a",
    )
    .fetch_one(&db.pool)
    .await?;
    Ok(ListVersion {
        registration_event: row.try_get("r")?,
        application_event: row.try_get("a")?,
    })
}

/// The latest change to any registration (for ETags and the feed's date).
pub async fn last_change(db: &Db) -> Result<Option<(i64, String)>> {
    let row = sqlx::query(
        "SELECT id, at FROM events WHERE object_type = 'registration' ORDER BY id DESC LIMIT 1",
    )
    .fetch_optional(&db.pool)
    .await?;
    row.map(|r| Ok((r.try_get("id")?, r.try_get("at")?)))
        .transpose()
}

/// A change to a registration, for the public feed.
#[derive(Clone, Debug, PartialEq)]
pub struct Change {
    pub event_id: i64,
    pub at: String,
    pub action: String,
    pub registration_id: i64,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

pub async fn changes(db: &Db, limit: i64) -> Result<Vec<Change>> {
    let rows = sqlx::query(
        "SELECT id, at, action, object_id, before, after FROM events WHERE object_type = 'registration' \
         ORDER BY id DESC LIMIT $1",
    )
    .bind(limit)
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            let object: String = r.try_get("object_id")?;
            let before: Option<String> = r.try_get("before")?;
            let after: Option<String> = r.try_get("after")?;
            Ok(Change {
                event_id: r.try_get("id")?,
                at: r.try_get("at")?,
                action: r.try_get("action")?,
                registration_id: object
                    .parse()
                    .map_err(|_| StoreError::Corrupt(format!("registration id {object:?}")))?,
                before: before.and_then(|b| serde_json::from_str(&b).ok()),
                after: after.and_then(|a| serde_json::from_str(&a).ok()),
            })
        })
        .collect()
}

/// The provider `seed_for_benchmark` registers its services under.
pub const BENCHMARK_PROVIDER: &str = "ベンチマーク用事業者";
pub const BENCHMARK_PROVIDER_EN: &str = "Benchmark Provider";

/// How many registrations `seed_for_benchmark` has put in this database.
pub async fn benchmark_seeded(db: &Db) -> Result<i64> {
    let row = sqlx::query(
        "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM registrations r \
         JOIN organizations o ON o.id = r.organization_id WHERE o.name = $1",
    )
    .bind(BENCHMARK_PROVIDER)
    .fetch_one(&db.pool)
    .await?;
    Ok(row.try_get("n")?)
}

/// Seeds `count` registrations for load tests (bench/): one provider, one
/// service per registration, each with a plausible public record. Refuses
/// a database that already holds a seed (the numbers would collide), and
/// records one event, so that list caches and ETags see the change.
pub async fn seed_for_benchmark(db: &Db, count: usize, today: NaiveDate) -> Result<()> {
    if count > 99_999 {
        return Err(StoreError::Conflict(format!(
            "cannot seed {count} registrations: at most 99999 (five-digit numbers)"
        )));
    }
    let seeded = benchmark_seeded(db).await?;
    if seeded > 0
        || crate::orgs::find_by_name(db, BENCHMARK_PROVIDER)
            .await?
            .is_some()
    {
        return Err(StoreError::Conflict(format!(
            "this database already holds {seeded} benchmark registrations (provider \
             {BENCHMARK_PROVIDER_EN}); seed a fresh database instead"
        )));
    }
    let actor = Actor::system("benchmark seed");
    let org = crate::orgs::create(
        db,
        &actor,
        BENCHMARK_PROVIDER,
        BENCHMARK_PROVIDER_EN,
        ismap_domain::OrgKind::Csp,
    )
    .await?;
    let mut tx = db.begin().await?;
    let mut last_id = 0_i64;
    for i in 0..count {
        let model = ["IaaS", "PaaS", "SaaS"][i % 3];
        let name = format!("ベンチマーク サービス {i:05}");
        let row = sqlx::query(
            "INSERT INTO services (organization_id, name, model, description, url, registration_number, created_at) \
             VALUES ($1, $2, $3, '', $4, $5, $6) RETURNING id",
        )
        .bind(org.id)
        .bind(&name)
        .bind(model)
        .bind(format!("https://service{i}.example.jp"))
        .bind(format!("C24-{:04}-1", i % 10_000))
        .bind(now())
        .fetch_one(&mut *tx)
        .await?;
        let service: i64 = row.try_get("id")?;
        let list = if i % 5 == 4 {
            ListKind::Liu
        } else {
            ListKind::Ismap
        };
        let valid_from = today - chrono::Duration::days((i % 400) as i64);
        let valid_until = ismap_domain::validity::period_end(valid_from, 16).unwrap_or(today);
        let public =
            json!({ "scope": "ベンチマーク", "url": format!("https://service{i}.example.jp") });
        let number = format!("{}{:02}-{:05}-1", list.letter(), 24, i);
        let name_en = format!("Benchmark service {i:05}");
        let row = sqlx::query(
            "INSERT INTO registrations (service_id, organization_id, list, number, serial, valid_from, valid_until, \
             registered_on, name, name_en, provider, provider_en, model, public, updated_at, search_text) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) RETURNING id",
        )
        .bind(service)
        .bind(org.id)
        .bind(list.key())
        .bind(&number)
        .bind(i as i64 + 100_000)
        .bind(valid_from.to_string())
        .bind(valid_until.to_string())
        .bind(valid_from.to_string())
        .bind(&name)
        .bind(&name_en)
        .bind(BENCHMARK_PROVIDER)
        .bind(BENCHMARK_PROVIDER_EN)
        .bind(model)
        .bind(public.to_string())
        .bind(now())
        .bind(search_text(
            &name,
            &name_en,
            BENCHMARK_PROVIDER,
            BENCHMARK_PROVIDER_EN,
            &number,
        ))
        .fetch_one(&mut *tx)
        .await?;
        last_id = row.try_get("id")?;
    }
    if count > 0 {
        events::record(
            &mut tx,
            NewEvent {
                actor: &actor,
                action: "registration.benchmark_seed",
                object_type: "registration",
                object_id: last_id.to_string(),
                organization_id: Some(org.id),
                before: None,
                after: Some(json!({ "count": count })),
                reason: "load test data",
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// A registration made before this system kept the list (taking over the
/// published list): recorded with its number and dates as published.
pub struct ExistingRegistration<'a> {
    pub service_id: i64,
    pub organization_id: i64,
    pub list: ListKind,
    pub number: &'a RegistrationNumber,
    pub details: NewRegistration<'a>,
}

pub async fn record_existing(
    db: &Db,
    actor: &Actor,
    existing: ExistingRegistration<'_>,
) -> Result<Registration> {
    let mut tx = db.begin().await?;
    let d = &existing.details;
    let row = sqlx::query(
        "INSERT INTO registrations (service_id, organization_id, list, number, serial, valid_from, valid_until, \
         registered_on, improvement_plan, name, name_en, provider, provider_en, model, public, updated_at, search_text) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) RETURNING id",
    )
    .bind(existing.service_id)
    .bind(existing.organization_id)
    .bind(existing.list.key())
    .bind(existing.number.to_string())
    .bind(i64::from(existing.number.serial()))
    .bind(d.valid_from.to_string())
    .bind(d.valid_until.to_string())
    .bind(d.registered_on.to_string())
    .bind(i64::from(d.improvement_plan))
    .bind(d.name)
    .bind(d.name_en)
    .bind(d.provider)
    .bind(d.provider_en)
    .bind(d.model)
    .bind(d.public.to_string())
    .bind(now())
    .bind(search_text(
        d.name,
        d.name_en,
        d.provider,
        d.provider_en,
        &existing.number.to_string(),
    ))
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| {
        crate::orgs::conflict_on_unique(e, format!("registration number {} is taken", existing.number))
    })?;
    let id: i64 = row.try_get("id")?;
    events::record(
        &mut tx,
        NewEvent {
            actor,
            action: "registration.create",
            object_type: "registration",
            object_id: id.to_string(),
            organization_id: Some(existing.organization_id),
            before: None,
            after: Some(json!({
                "number": existing.number.to_string(),
                "list": existing.list.key(),
                "name": d.name,
                "valid_from": d.valid_from.to_string(),
                "valid_until": d.valid_until.to_string(),
            })),
            reason: "taken over from the published list",
        },
    )
    .await?;
    tx.commit().await?;
    get(db, id).await
}
