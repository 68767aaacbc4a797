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
use ismap_store::registrations::{self, ListQuery, Registration, Sort};
use serde::Deserialize;
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

#[derive(Clone, Debug, Default, Deserialize)]
pub struct ListParams {
    #[serde(default)]
    pub q: Option<String>,
    #[serde(default)]
    pub model: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub expiring: Option<i64>,
    #[serde(default)]
    pub sort: Option<String>,
    #[serde(default)]
    pub order: Option<String>,
    #[serde(default)]
    pub page: Option<i64>,
    #[serde(default)]
    pub per_page: Option<i64>,
    #[serde(default)]
    pub format: Option<String>,
}

pub fn parse_list(key: &str) -> Result<ListKind, Failure> {
    ListKind::from_key(key).ok_or_else(|| Failure::NotFound(format!("list {key:?} (ismap or liu)")))
}

fn query(list: ListKind, params: &ListParams) -> Result<ListQuery, Failure> {
    let sort = match params.sort.as_deref() {
        None | Some("") => Sort::Number,
        Some(key) => Sort::from_key(key).ok_or_else(|| Failure::Invalid {
            field: "sort".into(),
            message: format!("{key:?}: sort by number, name, valid_until or registered_on"),
        })?,
    };
    if let Some(model) = params.model.as_deref().filter(|m| !m.is_empty())
        && ismap_domain::ServiceModel::from_key(model).is_none()
    {
        return Err(Failure::Invalid {
            field: "model".into(),
            message: format!("{model:?}: IaaS, PaaS or SaaS"),
        });
    }
    if let Some(status) = params.status.as_deref().filter(|s| !s.is_empty())
        && !matches!(status, "valid" | "suspended")
    {
        return Err(Failure::Invalid {
            field: "status".into(),
            message: format!("{status:?}: valid or suspended"),
        });
    }
    Ok(ListQuery {
        list,
        text: params.q.clone(),
        model: params.model.clone().filter(|m| !m.is_empty()),
        status: params.status.clone().filter(|s| !s.is_empty()),
        expiring_within: params.expiring,
        sort,
        descending: params.order.as_deref() == Some("desc"),
        page: params.page.unwrap_or(1).max(1),
        per_page: params.per_page.unwrap_or(PER_PAGE).clamp(1, 1000),
    })
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
fn etag_of(body: &[u8]) -> String {
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

fn cacheable_with_etag(
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
        registered_on: r.registered_on.to_string(),
        valid_until: r.valid_until.to_string(),
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
}

fn base_query(params: &ListParams) -> String {
    let mut pairs = Vec::new();
    for (k, v) in [
        ("q", params.q.clone()),
        ("model", params.model.clone()),
        ("status", params.status.clone()),
        ("expiring", params.expiring.map(|e| e.to_string())),
        ("sort", params.sort.clone()),
        ("order", params.order.clone()),
    ] {
        if let Some(v) = v.filter(|v| !v.is_empty()) {
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
    Query(params): Query<ListParams>,
) -> Result<Response, PageError> {
    let list = parse_list(&list_key)?;
    let q = query(list, &params)?;
    let today = today();
    let answer = cached_list(&state, &q, today).await?;
    let (total, rows) = (answer.total, &answer.rows);
    let frame = shared_frame(&ctx);
    let other = match list {
        ListKind::Ismap => ListKind::Liu,
        ListKind::Liu => ListKind::Ismap,
    };
    let page = ListPage {
        title: frame.t(&format!("web-list-{}", list.key())),
        other: (
            other.key().to_owned(),
            frame.t(&format!("web-list-{}", other.key())),
        ),
        list: list.key().to_owned(),
        entries: rows.iter().map(|r| entry_row(&frame, r, today)).collect(),
        total,
        page: q.page,
        pages: (total + q.per_page - 1) / q.per_page,
        q: params.q.clone().unwrap_or_default(),
        model: params.model.clone().unwrap_or_default(),
        status: params.status.clone().unwrap_or_default(),
        expiring: params.expiring.map(|e| e.to_string()).unwrap_or_default(),
        sort: params.sort.clone().unwrap_or_default(),
        order: params.order.clone().unwrap_or_default(),
        base_query: base_query(&params),
        frame,
    };
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
async fn cached_list(
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

/// `/api/v1/lists/{list}`: one page of the list as JSON.
pub async fn api(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(list_key): Path<String>,
    Query(params): Query<ListParams>,
) -> Result<Response, crate::error::ApiError> {
    let list = parse_list(&list_key)?;
    let q = query(list, &params)?;
    let today = today();
    let answer = cached_list(&state, &q, today).await?;
    let (body, etag) = answer.api.get_or_init(|| {
        let body = json!({
            "list": list.key(),
            "date": today.to_string(),
            "total": answer.total,
            "page": q.page,
            "per_page": q.per_page,
            "entries": answer.rows.iter().map(|r| entry_json(r, today)).collect::<Vec<_>>(),
        })
        .to_string()
        .into_bytes();
        let etag = etag_of(&body);
        (Bytes::from(body), etag)
    });
    Ok(cacheable_with_etag(
        &headers,
        "application/json",
        body.clone(),
        etag,
    ))
}

const COLUMNS: [&str; 14] = [
    "registration_number",
    "service_name",
    "service_name_en",
    "provider",
    "provider_en",
    "provider_address",
    "service_url",
    "model",
    "registered_on",
    "valid_from",
    "valid_until",
    "status",
    "improvement_plan",
    "list",
];

fn columns(r: &Registration, today: NaiveDate) -> Vec<String> {
    let text = |v: &Value| v.as_str().unwrap_or("").to_owned();
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
        r.status(today).key().to_owned(),
        r.improvement_plan.to_string(),
        r.list.key().to_owned(),
    ]
}

/// `/lists/{list}/export?format=csv|xlsx|json`: the whole filtered list.
pub async fn export(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(list_key): Path<String>,
    Query(params): Query<ListParams>,
) -> Result<Response, PageError> {
    let list = parse_list(&list_key)?;
    let mut q = query(list, &params)?;
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
    let name = format!("ismap-list-{}-{today}", list.key());
    let (content_type, extension, body) = match params.format.as_deref().unwrap_or("csv") {
        "csv" => {
            let mut writer = csv::Writer::from_writer(Vec::new());
            writer
                .write_record(COLUMNS)
                .map_err(|e| Failure::Internal(e.to_string()))?;
            for r in &rows {
                writer
                    .write_record(columns(r, today))
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
        "xlsx" => {
            let table: Vec<Vec<String>> = rows.iter().map(|r| columns(r, today)).collect();
            let body = ismap_formats::table_xlsx::table_to_xlsx(list.key(), &COLUMNS, &table)
                .map_err(|e| Failure::Internal(e.to_string()))?;
            (
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "xlsx",
                body,
            )
        }
        "json" => {
            let body = json!({
                "list": list.key(),
                "date": today.to_string(),
                "total": rows.len(),
                "entries": rows.iter().map(|r| entry_json(r, today)).collect::<Vec<_>>(),
            });
            ("application/json", "json", body.to_string().into_bytes())
        }
        other => {
            return Err(Failure::Invalid {
                field: "format".into(),
                message: format!("{other:?}: csv, xlsx or json"),
            }
            .into());
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
        valid_from: r.valid_from.to_string(),
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
        audit_period: format!(
            "{} – {}",
            text(&r.public["audit_period"]["start"]),
            text(&r.public["audit_period"]["end"])
        ),
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
                    h.valid_from.to_string(),
                    h.valid_until.to_string(),
                )
            })
            .collect(),
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
        let what = match c.action.as_str() {
            "registration.create" => "登録 / registered",
            "registration.renew" => "更新 / renewed",
            "registration.suspend" => "一時停止 / suspended",
            "registration.reinstate" => "一時停止の解除 / reinstated",
            other => other,
        };
        xml.push_str(&format!(
            "<entry>\n<title>{} {} {}</title>\n<id>{base}/events/{}</id>\n<updated>{}</updated>\n\
             <link href=\"{base}/lists/{}/{}\"/>\n<summary>{}</summary>\n</entry>\n",
            html_escape(&number),
            html_escape(&name),
            html_escape(what),
            c.event_id,
            html_escape(&c.at),
            html_escape(&list),
            html_escape(&number),
            html_escape(what),
        ));
    }
    xml.push_str("</feed>\n");
    Ok(cacheable(
        &headers,
        "application/atom+xml; charset=utf-8",
        xml.into_bytes(),
    ))
}
