//! Server-rendered pages (askama templates in `templates/`).

pub mod about;
pub mod account;
pub mod applications;
pub mod audit_orgs;
pub mod catalog;
pub mod channel;
pub mod crosswalk;
pub mod editor;
pub mod engagements;
pub mod evidence;
pub mod home;
pub mod impact_assessments;
pub mod interim;
pub mod internal_audits;
pub mod lists;
pub mod notify;
pub mod operations_report;
pub mod pre_applications;
pub mod register;
pub mod services;
pub mod special_measures;
pub mod statement_view;

use crate::error::Query;
use askama::Template;
use axum::extract::Path;
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
    let next = query
        .next
        .filter(|n| is_local_path(n))
        .map(|n| percent_encode_non_ascii(&n))
        .unwrap_or_else(|| "/".into());
    let mut response = Redirect::to(&next).into_response();
    response.headers_mut().append(
        SET_COOKIE,
        cookie(LANG_COOKIE, lang.code(), 60 * 60 * 24 * 365, false, false),
    );
    Ok(response)
}

/// Whether `next` (already percent-decoded) names a page of this site, so
/// that following it can never lead elsewhere. Browsers read `\` as `/` and
/// drop tabs and newlines, so `/\evil`, `/\t/evil` and `//evil` all mean
/// another host: only a single `/` followed by none of those is local.
pub fn is_local_path(next: &str) -> bool {
    let mut chars = next.chars();
    chars.next() == Some('/')
        && !matches!(chars.next(), Some('/' | '\\'))
        && !next
            .chars()
            .any(|c| c == '\\' || c.is_control() || c.is_whitespace())
}

/// A `Location` carries ASCII: anything else (a Japanese search word in
/// the page to return to) goes back percent-encoded, as it came.
pub(crate) fn percent_encode_non_ascii(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for c in path.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let mut bytes = [0u8; 4];
            for b in c.encode_utf8(&mut bytes).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        }
    }
    out
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

#[cfg(test)]
mod tests {
    use super::{is_local_path, percent_encode_non_ascii};

    #[test]
    fn japanese_in_the_path_returns_encoded() {
        assert_eq!(
            percent_encode_non_ascii("/lists/ismap?q=東京"),
            "/lists/ismap?q=%E6%9D%B1%E4%BA%AC"
        );
    }

    #[test]
    fn only_paths_of_this_site_are_followed() {
        for local in [
            "/",
            "/lists/ismap",
            "/lists/ismap?q=%E6%9D%B1&page=2",
            "/a/b#c",
        ] {
            assert!(is_local_path(local), "{local}");
        }
        for foreign in [
            "",
            "//evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/\r//evil.example",
            "/ /evil.example",
            "https://evil.example",
            "javascript:alert(1)",
            "evil.example",
            "/x\\y",
            "/\u{3000}/evil.example",
        ] {
            assert!(!is_local_path(foreign), "{foreign:?}");
        }
    }
}
