//! The public ISMAP and ISMAP-LIU cloud service lists (spec §6), without
//! sign-in: search in Japanese and English, filters, sorting, pages; CSV,
//! XLSX and JSON downloads; an Atom feed of changes. Every answer carries an
//! ETag and Cache-Control so that a CDN can serve it.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use ismap_domain::registration::ListKind;
use ismap_formats::cells::csv_safe;
use ismap_i18n::Lang;
use ismap_store::registrations::{
    self, ListQuery, Registration, SEARCH_MAX_CHARS, SEARCH_MAX_WORDS, Sort,
};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::sync::{Arc, OnceLock};

use crate::AppState;
use crate::auth::Ctx;
use crate::error::{Failure, PageError, html_escape};
use crate::list_cache::{CachedList, Version};
use crate::text::Frame;
use crate::today;

/// How long a CDN or browser may reuse a list answer.
const CACHE_CONTROL: &str = "public, max-age=60";
const PER_PAGE: i64 = 50;

/// The list parameters as sent, every value text: any query string reads
/// (a number too large for i64, `expiring=` from the form's empty field,
/// a repeated key), and `validate` alone decides what it means.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RawListParams {
    pub q: Option<String>,
    pub model: Option<String>,
    pub status: Option<String>,
    pub expiring: Option<String>,
    pub sort: Option<String>,
    pub order: Option<String>,
    pub page: Option<String>,
    pub per_page: Option<String>,
    pub format: Option<String>,
}

impl RawListParams {
    /// From the decoded pairs of a query string; the first of a repeated
    /// key counts, unknown keys are ignored.
    pub fn from_pairs(pairs: Vec<(String, String)>) -> RawListParams {
        let mut raw = RawListParams::default();
        for (key, value) in pairs {
            let slot = match key.as_str() {
                "q" => &mut raw.q,
                "model" => &mut raw.model,
                "status" => &mut raw.status,
                "expiring" => &mut raw.expiring,
                "sort" => &mut raw.sort,
                "order" => &mut raw.order,
                "page" => &mut raw.page,
                "per_page" => &mut raw.per_page,
                "format" => &mut raw.format,
                _ => continue,
            };
            if slot.is_none() {
                *slot = Some(value);
            }
        }
        raw
    }

    /// A value as the user typed it, for the form ("" when absent).
    fn typed(value: &Option<String>) -> String {
        value.clone().unwrap_or_default()
    }
}

/// The list parameters, checked: what a list query may use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListParams {
    /// The search, trimmed; at most `SEARCH_MAX_WORDS` words.
    pub q: Option<String>,
    pub model: Option<String>,
    pub status: Option<String>,
    pub expiring: Option<i64>,
    pub sort: Sort,
    pub descending: bool,
    pub page: i64,
    pub per_page: i64,
}

/// Ranges of the numeric parameters (inclusive).
pub const PAGE_RANGE: (i64, i64) = (1, 100_000);
pub const PER_PAGE_RANGE: (i64, i64) = (1, 1000);
/// Days: a registration is valid 1 year and 4 months; ten years is plenty.
pub const EXPIRING_RANGE: (i64, i64) = (0, 3650);

/// Why a parameter cannot be used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ParamProblem {
    NotANumber,
    OutOfRange { min: i64, max: i64 },
    NotOneOf(&'static [&'static str]),
    TooLong { max: usize },
    TooManyWords { max: usize },
    ControlCharacter,
}

/// A parameter that cannot be used: its name, what was sent, why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParamError {
    pub field: &'static str,
    pub value: String,
    pub problem: ParamProblem,
}

impl ParamError {
    /// The message in `lang`, naming the field with its parameter name
    /// (Fluent: web-listq-*): for the API, whose callers write the names.
    pub fn message(&self, lang: Lang) -> String {
        self.message_naming(lang, "web-listq-field")
    }

    /// The message in `lang` for the list page, naming the field by the
    /// label the form shows it with (issue 13: no parameter names).
    pub fn page_message(&self, lang: Lang) -> String {
        self.message_naming(lang, "lists-field")
    }

    fn message_naming(&self, lang: Lang, field_ids: &str) -> String {
        let m = ismap_i18n::Messages::get();
        let field = m.text(lang, &format!("{field_ids}-{}", self.field), &[]);
        // A long value is shortened: the message names it, not repeats it.
        let mut value: String = self.value.chars().take(40).collect();
        if self.value.chars().nth(40).is_some() {
            value.push('…');
        }
        let mut args = vec![("field", field), ("value", value)];
        let id = match &self.problem {
            ParamProblem::NotANumber => "web-listq-not-a-number",
            ParamProblem::OutOfRange { min, max } => {
                args.push(("min", min.to_string()));
                args.push(("max", max.to_string()));
                "web-listq-out-of-range"
            }
            ParamProblem::NotOneOf(allowed) => {
                args.push(("allowed", allowed.join(", ")));
                "web-listq-not-one-of"
            }
            ParamProblem::TooLong { max } => {
                args.push(("max", max.to_string()));
                "web-listq-too-long"
            }
            ParamProblem::TooManyWords { max } => {
                args.push(("max", max.to_string()));
                "web-listq-too-many-words"
            }
            ParamProblem::ControlCharacter => "web-listq-control-character",
        };
        m.text(lang, id, &args)
    }
}

impl From<ParamError> for Failure {
    /// The API's problem document: the field, and the message in English.
    fn from(e: ParamError) -> Failure {
        Failure::Invalid {
            field: e.field.to_owned(),
            message: e.message(Lang::En),
        }
    }
}

/// A present, non-blank value (an empty form field means "no filter").
fn given(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

fn number(
    field: &'static str,
    value: &Option<String>,
    (min, max): (i64, i64),
) -> Result<Option<i64>, ParamError> {
    let Some(text) = given(value) else {
        return Ok(None);
    };
    let error = |problem| ParamError {
        field,
        value: text.to_owned(),
        problem,
    };
    // Digits only (an optional sign): a number too large for i64 is still
    // a number, only out of range.
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(error(ParamProblem::NotANumber));
    }
    match text.parse::<i64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(Some(n)),
        _ => Err(error(ParamProblem::OutOfRange { min, max })),
    }
}

fn one_of(
    field: &'static str,
    value: &Option<String>,
    allowed: &'static [&'static str],
) -> Result<Option<&'static str>, ParamError> {
    let Some(text) = given(value) else {
        return Ok(None);
    };
    allowed
        .iter()
        .find(|a| **a == text)
        .copied()
        .map(Some)
        .ok_or_else(|| ParamError {
            field,
            value: text.to_owned(),
            problem: ParamProblem::NotOneOf(allowed),
        })
}

pub const MODELS: &[&str] = &["IaaS", "PaaS", "SaaS"];
pub const STATUSES: &[&str] = &["valid", "suspended"];
pub const SORTS: &[&str] = &["number", "name", "valid_until", "registered_on"];
pub const ORDERS: &[&str] = &["asc", "desc"];
pub const FORMATS: &[&str] = &["csv", "xlsx", "json"];

/// The search text: trimmed, at most `SEARCH_MAX_CHARS` characters and
/// `SEARCH_MAX_WORDS` words, no control characters (other than spaces).
fn search(value: &Option<String>) -> Result<Option<String>, ParamError> {
    let Some(text) = given(value) else {
        return Ok(None);
    };
    let error = |problem| ParamError {
        field: "q",
        value: text.to_owned(),
        problem,
    };
    if text.chars().nth(SEARCH_MAX_CHARS).is_some() {
        return Err(error(ParamProblem::TooLong {
            max: SEARCH_MAX_CHARS,
        }));
    }
    if text.split_whitespace().nth(SEARCH_MAX_WORDS).is_some() {
        return Err(error(ParamProblem::TooManyWords {
            max: SEARCH_MAX_WORDS,
        }));
    }
    if text.chars().any(|c| c.is_control() && !c.is_whitespace()) {
        return Err(error(ParamProblem::ControlCharacter));
    }
    Ok(Some(text.to_owned()))
}

/// Checks every list parameter (all but `format`, which only the download
/// reads): the first unusable one is the error. Pure, so that every rule
/// is tested without a server.
pub fn validate(raw: &RawListParams) -> Result<ListParams, ParamError> {
    let q = search(&raw.q)?;
    let model = one_of("model", &raw.model, MODELS)?;
    let status = one_of("status", &raw.status, STATUSES)?;
    let expiring = number("expiring", &raw.expiring, EXPIRING_RANGE)?;
    let sort = one_of("sort", &raw.sort, SORTS)?
        .and_then(Sort::from_key)
        .unwrap_or(Sort::Number);
    let descending = one_of("order", &raw.order, ORDERS)? == Some("desc");
    let page = number("page", &raw.page, PAGE_RANGE)?.unwrap_or(1);
    let per_page = number("per_page", &raw.per_page, PER_PAGE_RANGE)?.unwrap_or(PER_PAGE);
    Ok(ListParams {
        q,
        model: model.map(str::to_owned),
        status: status.map(str::to_owned),
        expiring,
        sort,
        descending,
        page,
        per_page,
    })
}

/// A download's format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Csv,
    Xlsx,
    Json,
}

/// The download format (CSV when absent).
pub fn validate_format(raw: &RawListParams) -> Result<Format, ParamError> {
    Ok(match one_of("format", &raw.format, FORMATS)? {
        Some("xlsx") => Format::Xlsx,
        Some("json") => Format::Json,
        _ => Format::Csv,
    })
}

pub fn parse_list(key: &str) -> Result<ListKind, Failure> {
    ListKind::from_key(key).ok_or_else(|| Failure::NotFound(format!("list {key:?} (ismap or liu)")))
}

pub(crate) fn query(list: ListKind, params: &ListParams) -> ListQuery {
    ListQuery {
        list,
        text: params.q.clone(),
        model: params.model.clone(),
        status: params.status.clone(),
        expiring_within: params.expiring,
        sort: params.sort,
        descending: params.descending,
        page: params.page,
        per_page: params.per_page,
    }
}

/// One entry as the JSON and the downloads give it.
pub fn entry_json(r: &Registration, today: NaiveDate) -> Value {
    json!({
        "number": r.number,
        "list": r.list.key(),
        "name": r.name,
        "name_en": r.name_en,
        "provider": r.provider,
        "provider_en": r.provider_en,
        "provider_address": r.public["provider_address"],
        "service_url": r.public["service_url"],
        "model": r.model,
        "registered_on": r.registered_on.to_string(),
        "valid_from": r.valid_from.to_string(),
        "valid_until": r.valid_until.to_string(),
        "status": r.status(today).key(),
        "suspension_reason": r.suspension_reason,
        "renewal_under_review": r.renewal_pending,
        "improvement_plan": r.improvement_plan,
        "detail": format!("/lists/{}/{}", r.list.key(), r.number),
    })
}

/// The ETag of a body: the first 16 bytes of its SHA-256, in hex.
pub(crate) fn etag_of(body: &[u8]) -> String {
    let digest = Sha256::digest(body);
    let mut etag = String::with_capacity(34);
    etag.push('"');
    for b in digest.iter().take(16) {
        etag.push_str(&format!("{b:02x}"));
    }
    etag.push('"');
    etag
}

/// A response the CDN may keep: ETag from the body, 304 when it matches.
fn cacheable(headers: &HeaderMap, content_type: &str, body: Vec<u8>) -> Response {
    let etag = etag_of(&body);
    cacheable_with_etag(headers, content_type, Bytes::from(body), &etag)
}

pub(crate) fn cacheable_with_etag(
    headers: &HeaderMap,
    content_type: &str,
    body: Bytes,
    etag: &str,
) -> Response {
    let matches = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|t| t.trim().trim_start_matches("W/") == etag)
        });
    let mut response = if matches {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let mut r = body.into_response();
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_str(content_type).expect("static content type"),
        );
        r
    };
    let h = response.headers_mut();
    h.insert(header::ETAG, HeaderValue::from_str(etag).expect("hex"));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(CACHE_CONTROL),
    );
    // Pages differ by language (cookie); the data does not.
    h.insert(header::VARY, HeaderValue::from_static("Cookie"));
    response
}

pub struct EntryRow {
    pub number: String,
    pub href: String,
    pub name: String,
    pub provider: String,
    pub model: String,
    pub registered_on: String,
    pub valid_until: String,
    pub status: String,
    pub status_class: &'static str,
    pub improvement_plan: bool,
    pub warning: Option<i64>,
}

fn entry_row(frame: &Frame, r: &Registration, today: NaiveDate) -> EntryRow {
    let status = r.status(today);
    EntryRow {
        href: format!("/lists/{}/{}", r.list.key(), r.number),
        number: r.number.clone(),
        name: if frame.is_en() && !r.name_en.is_empty() {
            r.name_en.clone()
        } else {
            r.name.clone()
        },
        provider: frame.pick(&r.provider, &r.provider_en).to_owned(),
        model: r.model.clone(),
        registered_on: frame.day(&r.registered_on),
        valid_until: frame.day(&r.valid_until),
        status: frame.t(&format!("web-reg-status-{}", status.key())),
        status_class: match status {
            ismap_domain::registration::RegistrationStatus::Valid => "badge badge-ok",
            ismap_domain::registration::RegistrationStatus::Suspended => "badge badge-error",
            ismap_domain::registration::RegistrationStatus::Lapsed => "badge badge-warning",
        },
        improvement_plan: r.improvement_plan,
        warning: ismap_domain::registration::expiry_warning(r.valid_until, today),
    }
}

#[derive(Template)]
#[template(path = "list.html")]
struct ListPage {
    frame: Frame,
    list: String,
    title: String,
    other: (String, String),
    entries: Vec<EntryRow>,
    total: i64,
    page: i64,
    pages: i64,
    q: String,
    model: String,
    status: String,
    expiring: String,
    sort: String,
    order: String,
    /// The query string without `page`, for the pager and the downloads.
    base_query: String,
    /// A parameter that cannot be used, in the page's language (422).
    error: Option<String>,
    /// A government viewer: the link to the special measures list (never
    /// on a shared, cacheable answer: those are for visitors not signed in).
    special_link: bool,
}

/// The query string without `page` and `per_page`, as the user gave it
/// (empty values left out).
fn base_query(raw: &RawListParams) -> String {
    let mut pairs = Vec::new();
    for (k, v) in [
        ("q", &raw.q),
        ("model", &raw.model),
        ("status", &raw.status),
        ("expiring", &raw.expiring),
        ("sort", &raw.sort),
        ("order", &raw.order),
    ] {
        if let Some(v) = given(v) {
            pairs.push((k, v));
        }
    }
    serde_urlencoded::to_string(pairs).unwrap_or_default()
}

pub async fn page(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(list_key): Path<String>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let list = parse_list(&list_key)?;
    let raw = RawListParams::from_pairs(pairs);
    let frame = shared_frame(&ctx);
    let other = match list {
        ListKind::Ismap => ListKind::Liu,
        ListKind::Liu => ListKind::Ismap,
    };
    let mut page = ListPage {
        title: frame.t(&format!("web-list-{}", list.key())),
        other: (
            other.key().to_owned(),
            frame.t(&format!("web-list-{}", other.key())),
        ),
        list: list.key().to_owned(),
        entries: Vec::new(),
        total: 0,
        page: 1,
        pages: 0,
        // The form shows what the user typed, also when it is refused.
        q: RawListParams::typed(&raw.q),
        model: RawListParams::typed(&raw.model),
        status: RawListParams::typed(&raw.status),
        expiring: RawListParams::typed(&raw.expiring),
        sort: RawListParams::typed(&raw.sort),
        order: RawListParams::typed(&raw.order),
        base_query: base_query(&raw),
        error: None,
        special_link: crate::pages::special_measures::list_link(&ctx),
        frame,
    };
    let params = match validate(&raw) {
        Ok(params) => params,
        Err(e) => {
            page.error = Some(e.page_message(page.frame.lang));
            let html = page
                .render()
                .map_err(|e| Failure::Internal(format!("template: {e}")))?;
            return Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                [(header::CACHE_CONTROL, "no-store")],
                axum::response::Html(html),
            )
                .into_response());
        }
    };
    let q = query(list, &params);
    let today = today();
    let answer = cached_list(&state, &q, today).await?;
    page.entries = answer
        .rows
        .iter()
        .map(|r| entry_row(&page.frame, r, today))
        .collect();
    page.total = answer.total;
    page.page = q.page;
    page.pages = (answer.total + q.per_page - 1) / q.per_page;
    public_page(&ctx, &headers, &page)
}

/// A public page: shared by every visitor who is not signed in (so without
/// a CSRF token, which such a page never uses), personal otherwise.
fn public_page(
    ctx: &Ctx,
    headers: &HeaderMap,
    page: &impl Template,
) -> Result<Response, PageError> {
    let html = page
        .render()
        .map_err(|e| Failure::Internal(format!("template: {e}")))?;
    if ctx.principal.is_some() {
        return Ok((
            [(header::CACHE_CONTROL, "private, no-store")],
            axum::response::Html(html),
        )
            .into_response());
    }
    Ok(cacheable(
        headers,
        "text/html; charset=utf-8",
        html.into_bytes(),
    ))
}

fn shared_frame(ctx: &Ctx) -> Frame {
    let mut frame = Frame::new(ctx);
    if ctx.principal.is_none() {
        frame.csrf = String::new();
    }
    frame
}

/// One page of a public list: from the cache when the data has not changed
/// since it was built (`list_cache`), else from the database.
pub(crate) async fn cached_list(
    state: &AppState,
    q: &ListQuery,
    today: NaiveDate,
) -> Result<Arc<CachedList>, ismap_store::StoreError> {
    let version = Version {
        today,
        data: registrations::list_version(&state.db).await?,
    };
    let key = format!("{q:?}");
    if let Some(hit) = state.lists.get(version, &key) {
        return Ok(hit);
    }
    let (total, rows) = registrations::public_list(&state.db, q, today).await?;
    let answer = Arc::new(CachedList {
        total,
        rows,
        api: OnceLock::new(),
    });
    state.lists.put(version, key, Arc::clone(&answer));
    Ok(answer)
}

/// The columns of the CSV and XLSX downloads: the message id of each
/// header (the user's language; the JSON keeps machine names).
const COLUMNS: [&str; 14] = [
    "web-reg-number",
    "web-service-name",
    "web-service-name-en",
    "web-provider",
    "lists-provider-en",
    "web-provider-address",
    "web-service-url",
    "web-service-model",
    "web-registered-on",
    "web-valid-from",
    "web-valid-until",
    "web-status",
    "web-improvement-flag",
    "web-list",
];

fn column_headers(lang: Lang) -> Vec<String> {
    COLUMNS.iter().map(|id| crate::text::t(lang, id)).collect()
}

/// One row of the CSV and XLSX downloads, in `lang`: the status, the
/// improvement flag and the list as labels; dates as ISO dates, which
/// spreadsheets read as dates.
fn columns(r: &Registration, today: NaiveDate, lang: Lang) -> Vec<String> {
    let text = |v: &Value| v.as_str().unwrap_or("").to_owned();
    let t = |id: &str| crate::text::t(lang, id);
    vec![
        r.number.clone(),
        r.name.clone(),
        r.name_en.clone(),
        r.provider.clone(),
        r.provider_en.clone(),
        text(&r.public["provider_address"]),
        text(&r.public["service_url"]),
        r.model.clone(),
        r.registered_on.to_string(),
        r.valid_from.to_string(),
        r.valid_until.to_string(),
        t(&format!("web-reg-status-{}", r.status(today).key())),
        t(if r.improvement_plan {
            "web-yes"
        } else {
            "web-no"
        }),
        t(&format!("web-list-{}", r.list.key())),
    ]
}

/// `/lists/{list}/export?format=csv|xlsx|json`: the whole filtered list.
pub async fn export(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(list_key): Path<String>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Result<Response, crate::error::ApiError> {
    let list = parse_list(&list_key)?;
    let raw = RawListParams::from_pairs(pairs);
    let format = validate_format(&raw)?;
    let mut q = query(list, &validate(&raw)?);
    q.page = 1;
    q.per_page = 1000;
    let today = today();
    let mut rows = Vec::new();
    loop {
        let (total, page) = registrations::public_list(&state.db, &q, today).await?;
        rows.extend(page);
        if rows.len() as i64 >= total {
            break;
        }
        q.page += 1;
    }
    // The page's download links name the language (`lang=`), so the URL
    // alone decides the answer a CDN keeps; else the language cookie.
    let lang = ctx.lang;
    let name = format!("ismap-list-{}-{today}", list.key());
    let (content_type, extension, body) = match format {
        Format::Csv => {
            let mut writer = csv::Writer::from_writer(Vec::new());
            writer
                .write_record(column_headers(lang))
                .map_err(|e| Failure::Internal(e.to_string()))?;
            // Text a spreadsheet would read as a formula gets a leading '.
            for r in &rows {
                writer
                    .write_record(
                        columns(r, today, lang)
                            .iter()
                            .map(|c| csv_safe(c).into_owned()),
                    )
                    .map_err(|e| Failure::Internal(e.to_string()))?;
            }
            let mut body = "\u{feff}".as_bytes().to_vec();
            body.extend(
                writer
                    .into_inner()
                    .map_err(|e| Failure::Internal(e.to_string()))?,
            );
            ("text/csv; charset=utf-8", "csv", body)
        }
        Format::Xlsx => {
            let table: Vec<Vec<String>> = rows.iter().map(|r| columns(r, today, lang)).collect();
            let names = column_headers(lang);
            let names: Vec<&str> = names.iter().map(String::as_str).collect();
            let body = ismap_formats::table_xlsx::table_to_xlsx(list.key(), &names, &table)
                .map_err(|e| Failure::Internal(e.to_string()))?;
            (
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "xlsx",
                body,
            )
        }
        Format::Json => {
            let body = json!({
                "list": list.key(),
                "date": today.to_string(),
                "total": rows.len(),
                "entries": rows.iter().map(|r| entry_json(r, today)).collect::<Vec<_>>(),
            });
            ("application/json", "json", body.to_string().into_bytes())
        }
    };
    let mut response = cacheable(&headers, content_type, body);
    response.headers_mut().insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&format!("attachment; filename=\"{name}.{extension}\""))
            .expect("ascii file name"),
    );
    Ok(response)
}

pub struct ObjectiveView {
    pub id: String,
    pub title: String,
}

#[derive(Template)]
#[template(path = "list_entry.html")]
struct EntryPage {
    frame: Frame,
    list: String,
    list_title: String,
    e: EntryRow,
    registration_id: i64,
    name_en: String,
    address: String,
    url: String,
    valid_from: String,
    suspension_reason: String,
    renewal_pending: bool,
    scope: String,
    objectives: Vec<ObjectiveView>,
    audit_period: String,
    subsequent_events: String,
    risk_information: Vec<(String, String)>,
    can_suspend: bool,
    suspended: bool,
    history: Vec<(String, String, String)>,
    /// A government viewer: the special-measures entries of the same
    /// service or provider (`None` for anyone else).
    special_beside: Option<Vec<crate::pages::special_measures::Beside>>,
}

pub async fn entry(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path((list_key, number)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let list = parse_list(&list_key)?;
    let r = registrations::by_number(&state.db, &number).await?;
    let today = today();
    // Lapsed and superseded entries are history, not the list.
    if r.list != list || r.superseded || !r.status(today).is_listed() {
        return Err(Failure::NotFound(format!("{number} on the {} list", list.key())).into());
    }
    let frame = shared_frame(&ctx);
    let text = |v: &Value| v.as_str().unwrap_or("").to_owned();
    let risk = &r.public["procurer_risk_information"];
    let page = EntryPage {
        list: list.key().to_owned(),
        list_title: frame.t(&format!("web-list-{}", list.key())),
        e: entry_row(&frame, &r, today),
        registration_id: r.id,
        name_en: r.name_en.clone(),
        address: text(&r.public["provider_address"]),
        url: text(&r.public["service_url"]),
        valid_from: frame.day(&r.valid_from),
        suspension_reason: r.suspension_reason.clone(),
        renewal_pending: r.renewal_pending,
        scope: text(&r.public["scope"]),
        objectives: r.public["implemented_objectives"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|o| ObjectiveView {
                        id: text(&o["id"]),
                        title: if frame.is_en() {
                            text(&o["title_en"])
                        } else {
                            text(&o["title"])
                        },
                    })
                    .collect()
            })
            .unwrap_or_default(),
        audit_period: match (
            frame.day(&text(&r.public["audit_period"]["start"])),
            frame.day(&text(&r.public["audit_period"]["end"])),
        ) {
            (start, end) if start.is_empty() && end.is_empty() => String::new(),
            (start, end) => format!("{start} – {end}"),
        },
        subsequent_events: text(&r.public["subsequent_events"]),
        risk_information: [
            ("capital_and_officers", "web-risk-info-capital"),
            ("foreign_law_exposure", "web-risk-info-foreign-law"),
            ("governing_law", "web-risk-info-governing-law"),
            ("third_party_tests", "web-risk-info-tests"),
            ("regions", "web-risk-info-regions"),
        ]
        .iter()
        .map(|(key, label)| (frame.t(label), text(&risk[*key])))
        .collect(),
        can_suspend: crate::policy::allows(
            ctx.principal.as_ref(),
            crate::policy::Action::SuspendRegistration,
            None,
        ),
        suspended: r.suspended_at.is_some(),
        history: registrations::of_service(&state.db, r.service_id)
            .await?
            .iter()
            .map(|h| {
                (
                    h.number.clone(),
                    frame.day(&h.valid_from),
                    frame.day(&h.valid_until),
                )
            })
            .collect(),
        special_beside: crate::pages::special_measures::beside_entry(&state, &ctx, &r).await?,
        frame,
    };
    public_page(&ctx, &headers, &page)
}

/// `/lists/changes.atom`: the latest changes to both lists.
pub async fn feed(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let changes = registrations::changes(&state.db, 50).await?;
    let base = state.config.public_url.trim_end_matches('/');
    let updated = changes
        .first()
        .map(|c| c.at.clone())
        .unwrap_or_else(|| "2020-06-01T00:00:00Z".into());
    let mut xml = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">\n\
         <title>ISMAP / ISMAP-LIU クラウドサービスリストの更新</title>\n\
         <id>{base}/lists/changes.atom</id>\n<link rel=\"self\" href=\"{base}/lists/changes.atom\"/>\n\
         <updated>{updated}</updated>\n<author><name>ismap</name></author>\n"
    );
    for c in &changes {
        let number = c
            .after
            .as_ref()
            .and_then(|a| a["number"].as_str())
            .unwrap_or("")
            .to_owned();
        let name = c
            .after
            .as_ref()
            .and_then(|a| a["name"].as_str())
            .unwrap_or("")
            .to_owned();
        let list = c
            .after
            .as_ref()
            .and_then(|a| a["list"].as_str())
            .unwrap_or("ismap")
            .to_owned();
        let what = feed_words(&state, c, &list, &number).await;
        xml.push_str(&format!(
            "<entry>\n<title>{} {} {}</title>\n<id>{base}/events/{}</id>\n<updated>{}</updated>\n\
             <link href=\"{base}/lists/{}/{}\"/>\n<summary>{}</summary>\n</entry>\n",
            html_escape(&number),
            html_escape(&name),
            html_escape(&what),
            c.event_id,
            html_escape(&c.at),
            html_escape(&list),
            html_escape(&number),
            html_escape(&what),
        ));
    }
    xml.push_str("</feed>\n");
    Ok(cacheable(
        &headers,
        "application/atom+xml; charset=utf-8",
        xml.into_bytes(),
    ))
}

/// What a registration event did, in Japanese and English: a new
/// registration on which list with which number, or a renewal from which
/// number to which (a service's first registration on the other list is a
/// new registration, never a renewal).
async fn feed_words(
    state: &AppState,
    c: &registrations::Change,
    list: &str,
    number: &str,
) -> String {
    let id = match c.action.as_str() {
        "registration.create" => "renewal-feed-create",
        "registration.renew" => "renewal-feed-renew",
        "registration.suspend" => "renewal-feed-suspend",
        "registration.reinstate" => "renewal-feed-reinstate",
        other => return other.to_owned(),
    };
    // Renewals recorded before the event carried the previous number name
    // the registration it renewed.
    let previous = match c.after.as_ref().and_then(|a| a["previous"].as_str()) {
        Some(number) => number.to_owned(),
        None => match c.before.as_ref().and_then(|b| b["registration"].as_i64()) {
            Some(id) => registrations::get(&state.db, id)
                .await
                .map(|r| r.number)
                .unwrap_or_default(),
            None => String::new(),
        },
    };
    let messages = ismap_i18n::Messages::get();
    let words = |lang| {
        messages.text(
            lang,
            id,
            &[
                (
                    "list",
                    messages.text(lang, &format!("web-list-{list}"), &[]),
                ),
                ("number", number.to_owned()),
                ("previous", previous.clone()),
            ],
        )
    };
    format!(
        "{} / {}",
        words(ismap_i18n::Lang::Ja),
        words(ismap_i18n::Lang::En)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(pairs: &[(&str, &str)]) -> RawListParams {
        RawListParams::from_pairs(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        )
    }

    fn problem(pairs: &[(&str, &str)]) -> (&'static str, ParamProblem) {
        let e = validate(&raw(pairs)).expect_err("refused");
        (e.field, e.problem)
    }

    #[test]
    fn nothing_and_empty_fields_mean_no_filter() {
        let defaults = ListParams {
            q: None,
            model: None,
            status: None,
            expiring: None,
            sort: Sort::Number,
            descending: false,
            page: 1,
            per_page: PER_PAGE,
        };
        assert_eq!(validate(&raw(&[])).unwrap(), defaults);
        // What the form sends when nothing is filled in (issue 13).
        let form = raw(&[
            ("q", ""),
            ("model", ""),
            ("status", ""),
            ("expiring", ""),
            ("sort", ""),
            ("order", ""),
            ("page", ""),
            ("per_page", " "),
            ("format", ""),
        ]);
        assert_eq!(validate(&form).unwrap(), defaults);
        assert_eq!(validate_format(&form).unwrap(), Format::Csv);
    }

    #[test]
    fn good_values_are_read() {
        let p = validate(&raw(&[
            ("q", "  サンプル  Cloud "),
            ("model", "SaaS"),
            ("status", "suspended"),
            ("expiring", "30"),
            ("sort", "valid_until"),
            ("order", "desc"),
            ("page", "3"),
            ("per_page", "1000"),
            ("unknown", "ignored"),
        ]))
        .unwrap();
        assert_eq!(p.q.as_deref(), Some("サンプル  Cloud"));
        assert_eq!(p.model.as_deref(), Some("SaaS"));
        assert_eq!(p.status.as_deref(), Some("suspended"));
        assert_eq!(p.expiring, Some(30));
        assert_eq!(p.sort, Sort::ValidUntil);
        assert!(p.descending);
        assert_eq!((p.page, p.per_page), (3, 1000));
        // The edges of every range are allowed.
        let edges = validate(&raw(&[
            ("expiring", "0"),
            ("page", "100000"),
            ("per_page", "1"),
        ]))
        .unwrap();
        assert_eq!(
            (edges.expiring, edges.page, edges.per_page),
            (Some(0), 100_000, 1)
        );
        assert_eq!(
            validate(&raw(&[("expiring", "3650")])).unwrap().expiring,
            Some(3650)
        );
        // The first of a repeated key counts.
        assert_eq!(
            validate(&raw(&[("page", "2"), ("page", "x")]))
                .unwrap()
                .page,
            2
        );
    }

    #[test]
    fn numbers_out_of_range_name_their_field() {
        let range = |min, max| ParamProblem::OutOfRange { min, max };
        assert_eq!(
            problem(&[("expiring", "99999999999")]),
            ("expiring", range(0, 3650))
        );
        assert_eq!(problem(&[("expiring", "-1")]), ("expiring", range(0, 3650)));
        assert_eq!(
            problem(&[("page", "9223372036854775807")]),
            ("page", range(1, 100_000))
        );
        assert_eq!(
            problem(&[("page", "99999999999999999999999999")]),
            ("page", range(1, 100_000))
        );
        assert_eq!(problem(&[("page", "0")]), ("page", range(1, 100_000)));
        assert_eq!(problem(&[("per_page", "0")]), ("per_page", range(1, 1000)));
        assert_eq!(
            problem(&[("per_page", "1001")]),
            ("per_page", range(1, 1000))
        );
        for bad in ["abc", "1.5", "1e3", "+", "-", "１２", "0x10", "1 2"] {
            assert_eq!(
                problem(&[("page", bad)]),
                ("page", ParamProblem::NotANumber),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn words_outside_their_sets_name_their_field() {
        for (field, value) in [
            ("model", "saas"),
            ("status", "lapsed"),
            ("sort", "price"),
            ("order", "up"),
        ] {
            let (f, p) = problem(&[(field, value)]);
            assert_eq!(f, field);
            assert!(matches!(p, ParamProblem::NotOneOf(_)), "{p:?}");
        }
        let e = validate_format(&raw(&[("format", "pdf")])).unwrap_err();
        assert_eq!(e.field, "format");
    }

    #[test]
    fn the_search_has_limits() {
        let ten = ["word"; SEARCH_MAX_WORDS].join(" ");
        assert!(validate(&raw(&[("q", &ten)])).is_ok());
        let eleven = ["word"; SEARCH_MAX_WORDS + 1].join(" ");
        assert_eq!(
            problem(&[("q", &eleven)]),
            ("q", ParamProblem::TooManyWords { max: 10 })
        );
        let longest = "あ".repeat(SEARCH_MAX_CHARS);
        assert!(validate(&raw(&[("q", &longest)])).is_ok());
        let too_long = "あ".repeat(SEARCH_MAX_CHARS + 1);
        assert_eq!(
            problem(&[("q", &too_long)]),
            ("q", ParamProblem::TooLong { max: 200 })
        );
        assert_eq!(
            problem(&[("q", "a\u{0}b")]),
            ("q", ParamProblem::ControlCharacter)
        );
        // Wildcards are words like any other (the store escapes them).
        assert_eq!(
            validate(&raw(&[("q", "100% a_b")])).unwrap().q.as_deref(),
            Some("100% a_b")
        );
    }

    #[test]
    fn messages_name_the_field_in_both_languages() {
        let e = validate(&raw(&[("expiring", "99999999999")])).unwrap_err();
        let ja = e.message(Lang::Ja);
        let en = e.message(Lang::En);
        assert!(ja.contains("expiring") && ja.contains("3650"), "{ja}");
        assert!(en.contains("expiring") && en.contains("0 to 3650"), "{en}");
        assert_ne!(ja, en);
        // A long value is shortened in the message.
        let long = "9".repeat(500);
        let e = validate(&raw(&[("page", &long)])).unwrap_err();
        assert!(e.message(Lang::En).chars().count() < 200);
        let failure: Failure = e.into();
        assert!(matches!(failure, Failure::Invalid { field, .. } if field == "page"));
    }

    #[test]
    fn the_page_names_fields_by_their_labels() {
        let e = validate(&raw(&[("expiring", "99999999999")])).unwrap_err();
        let ja = e.page_message(Lang::Ja);
        let en = e.page_message(Lang::En);
        assert!(ja.starts_with("有効期限まで（日以内）: "), "{ja}");
        assert!(en.starts_with("Expiring within (days): "), "{en}");
        for message in [&ja, &en] {
            assert!(!message.contains("(expiring)") && !message.contains("（expiring）"));
        }
        // Every parameter has a label in both languages.
        let m = ismap_i18n::Messages::get();
        for field in [
            "q", "model", "status", "expiring", "sort", "order", "page", "per_page", "format",
        ] {
            for lang in Lang::ALL {
                assert!(
                    m.has(lang, &format!("lists-field-{field}")),
                    "{field} {lang}"
                );
            }
        }
    }

    #[test]
    fn downloads_have_headers_and_labels_in_the_users_language() {
        assert_eq!(column_headers(Lang::Ja)[0], "登録番号");
        assert_eq!(column_headers(Lang::En)[0], "Registration number");
        for lang in Lang::ALL {
            let headers = column_headers(lang);
            assert_eq!(headers.len(), COLUMNS.len());
            for (id, header) in COLUMNS.iter().zip(&headers) {
                assert_ne!(id, header, "{lang}: a label, not the id");
            }
        }
    }
}
