//! The cloud service lists' part of the JSON API: one page of a public list,
//! the same query and cache as the page (crate::pages::lists).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::json;

use crate::error::Query;
use crate::pages::lists::{
    RawListParams, cacheable_with_etag, cached_list, entry_json, etag_of, parse_list, query,
    validate,
};
use crate::{AppState, today};

/// `/api/v1/lists/{list}`: one page of the list as JSON.
pub async fn list_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(list_key): Path<String>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Result<Response, crate::error::ApiError> {
    let list = parse_list(&list_key)?;
    let q = query(list, &validate(&RawListParams::from_pairs(pairs))?);
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
