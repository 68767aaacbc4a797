//! Server-rendered pages (askama templates in `templates/`).

pub mod account;
pub mod applications;
pub mod audit_orgs;
pub mod catalog;
pub mod crosswalk;
pub mod editor;
pub mod engagements;
pub mod evidence;
pub mod home;
pub mod lists;
pub mod services;

use askama::Template;
use axum::extract::{Path, Query};
use axum::http::header::SET_COOKIE;
use axum::response::{Html, IntoResponse, Redirect, Response};
use ismap_i18n::Lang;
use serde::Deserialize;

use crate::auth::{LANG_COOKIE, cookie};
use crate::error::{Failure, PageError};

/// Renders a template into a response.
pub fn render(template: &impl Template) -> Result<Response, PageError> {
    let html = template
        .render()
        .map_err(|e| Failure::Internal(format!("template: {e}")))?;
    Ok(Html(html).into_response())
}

#[derive(Deserialize)]
pub struct Next {
    next: Option<String>,
}

/// `/lang/{ja|en}`: remembers the language and returns to the page.
pub async fn switch_language(
    Path(code): Path<String>,
    Query(query): Query<Next>,
) -> Result<Response, PageError> {
    let lang: Lang = code.parse().map_err(|message: String| Failure::Invalid {
        field: "lang".into(),
        message,
    })?;
    // Only local paths: never redirect to another site.
    let next = query
        .next
        .filter(|n| n.starts_with('/') && !n.starts_with("//"))
        .unwrap_or_else(|| "/".into());
    let mut response = Redirect::to(&next).into_response();
    response.headers_mut().append(
        SET_COOKIE,
        cookie(LANG_COOKIE, lang.code(), 60 * 60 * 24 * 365, false, false),
    );
    Ok(response)
}

pub async fn healthz(
    axum::extract::State(state): axum::extract::State<crate::AppState>,
) -> Response {
    match state.db.ping().await {
        Ok(_) => (axum::http::StatusCode::OK, "ok\n").into_response(),
        Err(error) => {
            tracing::error!(%error, "health check: database unreachable");
            (
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                "database unreachable\n",
            )
                .into_response()
        }
    }
}
