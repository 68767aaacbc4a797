//! Failures and how they reach the user: an HTML page for the portal, an
//! RFC 9457 problem document (naming the field) for the API.

use askama::Template;
use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode, Uri, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};
use ismap_i18n::Lang;

use crate::auth::Ctx;
use crate::text::Frame;
use ismap_store::StoreError;
use serde_json::json;

/// Why a request failed.
#[derive(Clone, Debug)]
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
    /// Refused as things stand (nothing changed meanwhile): the message
    /// says what has to happen first. 409 like a conflict, but not worded
    /// as one, and no "load the latest" offer.
    Refused(String),
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
            Failure::Conflict(_) | Failure::Refused(_) => StatusCode::CONFLICT,
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
            Failure::Refused(message) => (
                "refused",
                "受け付けられません",
                "Not accepted",
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
        let detail = ismap_i18n::Messages::get().resolve_both(&detail);
        let mut body = json!({
            "type": format!("https://ismap.invalid/problems/{slug}"),
            "title": title,
            "status": failure.status().as_u16(),
        });
        if !detail.is_empty() {
            body["detail"] = json!(detail);
        }
        if let Failure::Invalid { field, message } = &failure {
            let message = ismap_i18n::Messages::get().resolve_both(message);
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
    /// A plain bilingual page; [`present_failures`] (a layer around every
    /// route) replaces it with the portal's layout in the user's language,
    /// or with an HTML fragment for htmx, reading the failure the response
    /// carries in its extensions.
    fn into_response(self) -> Response {
        let failure = self.0;
        failure.log();
        if matches!(failure, Failure::NotSignedIn) {
            let mut response = Redirect::to("/signin").into_response();
            response.extensions_mut().insert(failure);
            return response;
        }
        let (_, ja, en, detail) = failure.describe();
        let detail = html_escape(&ismap_i18n::Messages::get().resolve(Lang::Ja, &detail));
        let body = format!(
            "<!doctype html><html lang=\"ja\"><head><meta charset=\"utf-8\"><title>{ja} / {en}</title>\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
             <link rel=\"stylesheet\" href=\"/assets/tokens.css\"><link rel=\"stylesheet\" href=\"/assets/ismap.css\"></head>\
             <body><main class=\"container\"><h1>{ja}</h1><p lang=\"en\">{en}</p><p>{detail}</p>\
             <p><a href=\"/\">ismap</a></p></main></body></html>"
        );
        let mut response = (failure.status(), Html(body)).into_response();
        retry_after(&failure, &mut response);
        response.extensions_mut().insert(failure);
        response
    }
}

impl Failure {
    /// The catalog ids of the failure's title and explanation.
    fn message_ids(&self) -> (&'static str, &'static str) {
        match self {
            Failure::NotSignedIn => ("web-error-not-signed-in", "web-error-not-signed-in-text"),
            Failure::Forbidden => ("web-error-forbidden", "web-error-forbidden-text"),
            Failure::NotFound(_) => ("web-error-not-found", "web-error-not-found-text"),
            Failure::Invalid { .. } => ("web-error-invalid", "web-error-invalid-text"),
            Failure::Conflict(_) => ("web-error-conflict", "web-error-conflict-text"),
            Failure::Refused(_) => ("web-error-refused", "web-error-refused-text"),
            Failure::Gone(_) => ("web-error-gone", "web-error-gone-text"),
            Failure::Csrf => ("web-error-csrf", "web-error-csrf-text"),
            Failure::TooLarge => ("web-error-too-large", "web-error-too-large-text"),
            Failure::TooManyAttempts => (
                "web-error-too-many-attempts",
                "web-error-too-many-attempts-text",
            ),
            Failure::TooManyWrites { .. } => (
                "web-error-too-many-writes",
                "web-error-too-many-writes-text",
            ),
            Failure::Internal(_) => ("web-error-internal", "web-error-internal-text"),
        }
    }

    /// What the user is told besides title and explanation: the message of
    /// a refusal they can act on (never internal details).
    fn user_detail(&self) -> Option<&str> {
        match self {
            Failure::Invalid { message, .. }
            | Failure::Conflict(message)
            | Failure::Refused(message) => Some(message.as_str()).filter(|m| !m.is_empty()),
            _ => None,
        }
    }

    /// The htmx fragment's attributes beyond its class and role.
    fn fragment_marker(&self) -> &'static str {
        match self {
            Failure::Refused(_) => " data-refusal",
            _ => "",
        }
    }
}

/// A 4xx/5xx answer in plain text (axum's extractors and router), not
/// one of the portal's.
fn is_plain_refusal(response: &Response) -> bool {
    (response.status().is_client_error() || response.status().is_server_error())
        && response
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_none_or(|v| v.starts_with("text/plain"))
}

/// The error page: the portal's layout, in the user's language, with a
/// way back.
#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    frame: Frame,
    /// "エラーコード 404".
    status_text: String,
    title: String,
    text: String,
    detail: Option<String>,
    /// For a sign-in failure: the sign-in page, returning here afterwards.
    sign_in: Option<String>,
}

/// Middleware (twice: inside the authentication middleware, where the
/// request's [`Ctx`] is known, and outside it, for the failures of the
/// authentication middleware itself): turns a response that carries a
/// [`Failure`] (from [`PageError`]) into what the request needs: for an
/// htmx request (`HX-Request: true`) the fragment
/// `<div class="alert alert-error" role="alert">…</div>` with the status,
/// for a page the error page in the portal's layout, and for a page that
/// needs sign-in a redirect to `/signin?next=<this page>`.
pub async fn present_failures(request: Request, next: Next) -> Response {
    let htmx = request
        .headers()
        .get("hx-request")
        .is_some_and(|v| v.as_bytes() == b"true");
    let ctx = match request.extensions().get::<Ctx>() {
        Some(ctx) => ctx.clone(),
        None => anonymous_ctx(&request),
    };
    let is_get = matches!(*request.method(), Method::GET | Method::HEAD);
    let here = request
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "/".into());
    // The page an htmx request was made from (to come back to after signing in).
    let page = request
        .headers()
        .get("hx-current-url")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| url::Url::parse(v).ok())
        .map(|u| match u.query() {
            Some(q) => format!("{}?{q}", u.path()),
            None => u.path().to_owned(),
        });
    let portal_page = !here.starts_with("/api/")
        && !here.starts_with("/assets/")
        && !here.starts_with("/healthz");
    let mut response = next.run(request).await;
    let failure = match response.extensions_mut().remove::<Failure>() {
        Some(failure) => failure,
        // axum's own refusals (a form that does not deserialize, an
        // unsupported method) are plain English text: a page or fragment
        // in the user's language instead, with the same status.
        None if portal_page && is_plain_refusal(&response) => match response.status() {
            StatusCode::NOT_FOUND | StatusCode::METHOD_NOT_ALLOWED => {
                Failure::NotFound(String::new())
            }
            _ => Failure::Invalid {
                field: String::new(),
                message: String::new(),
            },
        },
        None => return response,
    };
    let original_status = response.status();
    let back = if htmx { page } else { is_get.then_some(here) }
        .filter(|p| crate::pages::is_local_path(p) && !p.starts_with("/signin"));
    let sign_in = matches!(failure, Failure::NotSignedIn).then(|| signin_href(back.as_deref()));
    if !htmx && let Some(href) = &sign_in {
        return Redirect::to(href).into_response();
    }
    let lang = ctx.lang;
    let (title_id, text_id) = failure.message_ids();
    let title = crate::text::t(lang, title_id);
    let text = crate::text::t(lang, text_id);
    // Messages packed by code that does not know the language
    // (`Messages::deferred`) are said in the reader's.
    // A detail still in English (a store refusal written for the log) is
    // not shown to a Japanese reader: the title and explanation say what
    // happened in their language.
    let detail = failure
        .user_detail()
        .map(|d| ismap_i18n::Messages::get().resolve(lang, d))
        .filter(|d| {
            let english_only = lang == ismap_i18n::Lang::Ja && d.is_ascii();
            if english_only {
                tracing::info!(detail = %d, "refusal detail not shown in Japanese");
            }
            !english_only
        });
    // A refusal of axum's keeps its status (405, 415, 400...).
    let status = if original_status.is_client_error() || original_status.is_server_error() {
        original_status
    } else {
        failure.status()
    };
    let mut answer = if htmx {
        let mut html = format!(
            "<div class=\"alert alert-error\" role=\"alert\"{}><p><strong>{}</strong></p><p>{}</p>",
            failure.fragment_marker(),
            html_escape(&title),
            html_escape(&text)
        );
        if let Some(detail) = &detail {
            html.push_str(&format!("<p>{}</p>", html_escape(detail)));
        }
        if let Some(href) = &sign_in {
            html.push_str(&format!(
                "<p><a href=\"{}\">{}</a></p>",
                html_escape(href),
                html_escape(&crate::text::t(lang, "web-error-sign-in"))
            ));
        }
        html.push_str("</div>");
        (status, Html(html)).into_response()
    } else {
        let page = ErrorPage {
            status_text: ismap_i18n::Messages::get().text(
                lang,
                "web-error-status",
                &[("status", status.as_u16().to_string())],
            ),
            frame: Frame::new(&ctx),
            title,
            text,
            detail,
            sign_in,
        };
        match page.render() {
            Ok(html) => (status, Html(html)).into_response(),
            Err(error) => {
                tracing::error!(%error, "rendering the error page failed");
                response.extensions_mut().clear();
                return response;
            }
        }
    };
    // Keep what the response said besides its body (Retry-After, cookies).
    for name in [
        header::RETRY_AFTER,
        header::SET_COOKIE,
        header::CACHE_CONTROL,
    ] {
        for value in response.headers().get_all(&name) {
            answer.headers_mut().append(name.clone(), value.clone());
        }
    }
    answer
}

/// `/signin?next=<back>`, or `/signin`.
fn signin_href(back: Option<&str>) -> String {
    match back {
        Some(back) => format!(
            "/signin?next={}",
            url::form_urlencoded::byte_serialize(back.as_bytes()).collect::<String>()
        ),
        None => "/signin".into(),
    }
}

/// The context of a request the authentication middleware refused: no one
/// signed in, the language from `?lang=` or the language cookie.
fn anonymous_ctx(request: &Request) -> Ctx {
    let from_query = request.uri().query().and_then(|q| {
        q.split('&')
            .filter_map(|p| p.split_once('='))
            .find(|(k, _)| *k == "lang")
            .and_then(|(_, v)| v.parse().ok())
    });
    let lang = from_query
        .or_else(|| {
            crate::auth::cookies(request.headers())
                .get(crate::auth::LANG_COOKIE)
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(Lang::Ja);
    Ctx {
        principal: None,
        via_token: false,
        session: None,
        csrf: String::new(),
        unread_notifications: None,
        lang,
        path: request.uri().path().to_owned(),
        query: request.uri().query().map(str::to_owned),
    }
}

/// The router's fallback: an unknown address is a 404, as a page (in the
/// portal's layout) or, under `/api/`, as a problem document.
pub async fn not_found(uri: Uri) -> Response {
    let failure = Failure::NotFound(uri.path().to_owned());
    if uri.path().starts_with("/api/") {
        ApiError(failure).into_response()
    } else {
        PageError(failure).into_response()
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
            message: ismap_i18n::Messages::deferred_localized(&e),
        })
}

/// A date (YYYY-MM-DD) from a form field, or a failure naming the field.
pub fn parse_date(text: &str, field: &str) -> Result<chrono::NaiveDate, Failure> {
    text.trim().parse().map_err(|_| Failure::Invalid {
        field: field.to_owned(),
        message: ismap_i18n::Messages::deferred(
            "i18n-not-a-date",
            &[("value", text.trim().to_owned())],
        ),
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
                    // A person reads it: in their language, naming the
                    // parameter of the address.
                    let lang = parts.extensions.get::<Ctx>().map_or(Lang::Ja, |c| c.lang);
                    let failure = match failure {
                        Failure::Invalid { field, .. } => Failure::Invalid {
                            message: ismap_i18n::Messages::get().text(
                                lang,
                                "web-error-query-field",
                                &[("field", field.clone())],
                            ),
                            field,
                        },
                        other => other,
                    };
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
