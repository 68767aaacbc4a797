//! Failures and how they reach the user: an HTML page for the portal, an
//! RFC 9457 problem document (naming the field) for the API.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use ismap_store::StoreError;
use serde_json::json;

/// Why a request failed.
#[derive(Debug)]
pub enum Failure {
    NotSignedIn,
    Forbidden,
    NotFound(String),
    /// Input that cannot be used; `field` names it.
    Invalid {
        field: String,
        message: String,
    },
    Conflict(String),
    /// The object's content is gone for good (crypto-erasure).
    Gone(String),
    Csrf,
    TooLarge,
    TooManyAttempts,
    /// A user's statement writes went over the rate limit; `retry_after` in seconds.
    TooManyWrites {
        retry_after: u64,
        message: String,
    },
    Internal(String),
}

impl From<StoreError> for Failure {
    fn from(error: StoreError) -> Failure {
        match error {
            StoreError::NotFound(what) => Failure::NotFound(what),
            StoreError::Conflict(message) => Failure::Conflict(message),
            StoreError::Gone(message) => Failure::Gone(message),
            other => Failure::Internal(other.to_string()),
        }
    }
}

impl Failure {
    pub fn status(&self) -> StatusCode {
        match self {
            Failure::NotSignedIn => StatusCode::UNAUTHORIZED,
            Failure::Forbidden | Failure::Csrf => StatusCode::FORBIDDEN,
            Failure::NotFound(_) => StatusCode::NOT_FOUND,
            Failure::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Failure::Conflict(_) => StatusCode::CONFLICT,
            Failure::Gone(_) => StatusCode::GONE,
            Failure::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Failure::TooManyAttempts | Failure::TooManyWrites { .. } => {
                StatusCode::TOO_MANY_REQUESTS
            }
            Failure::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Problem type slug, title in Japanese and English, and detail.
    fn describe(&self) -> (&'static str, &'static str, &'static str, String) {
        match self {
            Failure::NotSignedIn => (
                "not-signed-in",
                "サインインが必要です",
                "Sign-in required",
                String::new(),
            ),
            Failure::Forbidden => (
                "forbidden",
                "この操作の権限がありません",
                "You may not do this",
                String::new(),
            ),
            Failure::NotFound(what) => ("not-found", "見つかりません", "Not found", what.clone()),
            Failure::Invalid { message, .. } => (
                "invalid",
                "入力に誤りがあります",
                "Invalid input",
                message.clone(),
            ),
            Failure::Conflict(message) => (
                "conflict",
                "他の変更と競合しました",
                "Conflict",
                message.clone(),
            ),
            Failure::Gone(message) => (
                "gone",
                "この内容は消去されています",
                "This content has been erased",
                message.clone(),
            ),
            Failure::Csrf => (
                "csrf",
                "フォームの有効期限が切れました。ページを再読み込みしてください",
                "The form expired; reload the page and try again",
                String::new(),
            ),
            Failure::TooLarge => (
                "too-large",
                "送信内容が大きすぎます",
                "The request is too large",
                String::new(),
            ),
            Failure::TooManyAttempts => (
                "too-many-attempts",
                "サインインの失敗が続いたため、しばらく待ってから再度お試しください",
                "Too many failed sign-ins; wait a few minutes and try again",
                String::new(),
            ),
            Failure::TooManyWrites { message, .. } => (
                "too-many-writes",
                "保存の回数が多すぎます。しばらく待ってから再度お試しください",
                "Too many saves; wait a moment and try again",
                message.clone(),
            ),
            Failure::Internal(_) => (
                "internal",
                "内部エラーが発生しました",
                "Internal error",
                String::new(),
            ),
        }
    }

    fn log(&self) {
        if let Failure::Internal(message) = self {
            tracing::error!(error = %message, "request failed");
        }
    }
}

/// A failure answered as an RFC 9457 problem document.
#[derive(Debug)]
pub struct ApiError(pub Failure);

impl<E: Into<Failure>> From<E> for ApiError {
    fn from(error: E) -> ApiError {
        ApiError(error.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let failure = self.0;
        failure.log();
        let (slug, _, title, detail) = failure.describe();
        let mut body = json!({
            "type": format!("https://ismap.invalid/problems/{slug}"),
            "title": title,
            "status": failure.status().as_u16(),
        });
        if !detail.is_empty() {
            body["detail"] = json!(detail);
        }
        if let Failure::Invalid { field, message } = &failure {
            body["errors"] = json!([{ "field": field, "message": message }]);
        }
        let mut response = (failure.status(), body.to_string()).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if matches!(failure, Failure::NotSignedIn) {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        retry_after(&failure, &mut response);
        response
    }
}

/// A failure answered as a page (or a redirect to sign in).
#[derive(Debug)]
pub struct PageError(pub Failure);

impl<E: Into<Failure>> From<E> for PageError {
    fn from(error: E) -> PageError {
        PageError(error.into())
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let failure = self.0;
        failure.log();
        if matches!(failure, Failure::NotSignedIn) {
            return Redirect::to("/signin").into_response();
        }
        let (_, ja, en, detail) = failure.describe();
        let detail = html_escape(&detail);
        let body = format!(
            "<!doctype html><html lang=\"ja\"><head><meta charset=\"utf-8\"><title>{ja} / {en}</title>\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
             <link rel=\"stylesheet\" href=\"/assets/tokens.css\"><link rel=\"stylesheet\" href=\"/assets/ismap.css\"></head>\
             <body><main class=\"container\"><h1>{ja}</h1><p lang=\"en\">{en}</p><p>{detail}</p>\
             <p><a href=\"/\">ismap</a></p></main></body></html>"
        );
        let mut response = (failure.status(), Html(body)).into_response();
        retry_after(&failure, &mut response);
        response
    }
}

/// Tells a rate-limited client when to try again.
fn retry_after(failure: &Failure, response: &mut Response) {
    if let Failure::TooManyWrites { retry_after, .. } = failure {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(*retry_after));
    }
}

/// A control identifier from a path or form field, or a failure naming it.
pub fn parse_control(text: &str, field: &str) -> Result<ismap_domain::ControlId, Failure> {
    text.trim()
        .parse()
        .map_err(|e: ismap_domain::ControlIdError| Failure::Invalid {
            field: field.to_owned(),
            message: format!("{text:?}: {e}"),
        })
}

/// A date (YYYY-MM-DD) from a form field, or a failure naming the field.
pub fn parse_date(text: &str, field: &str) -> Result<chrono::NaiveDate, Failure> {
    text.trim().parse().map_err(|_| Failure::Invalid {
        field: field.to_owned(),
        message: format!("{text:?} is not a date (YYYY-MM-DD)"),
    })
}

pub fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// `axum::extract::Query` whose refusal is ours: a 422 naming the field, as
/// a problem document under `/api/` and a page elsewhere (axum's own is a
/// plain-text 400 in English).
pub struct Query<T>(pub T);

impl<T, S> axum::extract::FromRequestParts<S> for Query<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(Query(value)),
            Err(rejection) => {
                let failure = query_failure(&rejection.body_text());
                Err(if parts.uri.path().starts_with("/api/") {
                    ApiError(failure).into_response()
                } else {
                    PageError(failure).into_response()
                })
            }
        }
    }
}

/// The field a query-string error names ("years: number too large …").
fn query_failure(text: &str) -> Failure {
    let detail = text
        .strip_prefix("Failed to deserialize query string: ")
        .unwrap_or(text);
    let field = detail
        .split_once(": ")
        .map(|(field, _)| field)
        .filter(|f| !f.is_empty() && f.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or("query");
    Failure::Invalid {
        field: field.to_owned(),
        message: detail.to_owned(),
    }
}
