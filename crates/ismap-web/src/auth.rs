//! Who is asking: session cookies (pages) and bearer tokens (API), CSRF
//! protection for every state-changing request made with a cookie, and the
//! request context handlers receive.

use std::collections::HashMap;

use axum::body::{Body, to_bytes};
use axum::extract::{FromRequestParts, Request, State};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, COOKIE, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ismap_i18n::Lang;
use ismap_store::{sessions, users};
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::AppState;
use crate::error::Failure;
use crate::policy::{Action, Principal, allows};

pub const SESSION_COOKIE: &str = "ismap_session";
pub const CSRF_COOKIE: &str = "ismap_csrf";
pub const LANG_COOKIE: &str = "ismap_lang";
pub const CSRF_HEADER: &str = "x-csrf-token";
pub const CSRF_FIELD: &str = "csrf";
/// Largest form body read to find its CSRF token.
const MAX_FORM_BYTES: usize = 2 * 1024 * 1024;

/// 256 random bits, URL-safe.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// What is stored for a session id or API token: its SHA-256.
pub fn digest(secret: &str) -> String {
    let hash = Sha256::digest(secret.as_bytes());
    hash.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn cookies(headers: &axum::http::HeaderMap) -> HashMap<String, String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

/// A `Set-Cookie` value with the attributes every ismap cookie carries.
pub fn cookie(
    name: &str,
    value: &str,
    max_age_seconds: i64,
    http_only: bool,
    secure: bool,
) -> HeaderValue {
    let mut text = format!("{name}={value}; Path=/; SameSite=Lax; Max-Age={max_age_seconds}");
    if http_only {
        text.push_str("; HttpOnly");
    }
    if secure {
        text.push_str("; Secure");
    }
    HeaderValue::from_str(&text).expect("cookie values are URL-safe")
}

/// The request context: who is asking, in which language, with which CSRF
/// token. Put in the request by [`authenticate`].
#[derive(Clone, Debug)]
pub struct Ctx {
    pub principal: Option<Principal>,
    /// Authenticated by a bearer token (no cookies, so no CSRF check).
    pub via_token: bool,
    pub csrf: String,
    pub lang: Lang,
    pub path: String,
}

impl Ctx {
    /// The signed-in person, if the policy lets them do `action` on an
    /// object of `owner`: not signed in and not allowed are different failures.
    pub fn require(&self, action: Action, owner: Option<i64>) -> Result<&Principal, Failure> {
        let p = self.principal.as_ref().ok_or(Failure::NotSignedIn)?;
        if allows(Some(p), action, owner) {
            Ok(p)
        } else {
            Err(Failure::Forbidden)
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Ctx {
    type Rejection = crate::error::PageError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Ctx, Self::Rejection> {
        parts
            .extensions
            .get::<Ctx>()
            .cloned()
            .ok_or_else(|| Failure::Internal("authentication middleware missing".into()).into())
    }
}

async fn principal_of(state: &AppState, user_id: i64) -> Result<Option<Principal>, Failure> {
    let user = users::get(&state.db, user_id).await?;
    if !user.active {
        return Ok(None);
    }
    let memberships = users::memberships(&state.db, user_id).await?;
    let Some(first) = memberships.first() else {
        return Ok(None);
    };
    let organization = first.organization.clone();
    let roles = memberships
        .iter()
        .filter(|m| m.organization.id == organization.id)
        .map(|m| m.role)
        .collect();
    Ok(Some(Principal {
        user,
        organization,
        roles,
    }))
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

fn language(parts_query: Option<&str>, jar: &HashMap<String, String>) -> Lang {
    let from_query = parts_query.and_then(|q| {
        q.split('&')
            .filter_map(|p| p.split_once('='))
            .find(|(k, _)| *k == "lang")
            .and_then(|(_, v)| v.parse().ok())
    });
    from_query
        .or_else(|| jar.get(LANG_COOKIE).and_then(|v| v.parse().ok()))
        .unwrap_or(Lang::Ja)
}

/// Middleware: identifies the caller, enforces CSRF on unsafe methods made
/// with cookies, and issues the CSRF cookie when missing.
pub async fn authenticate(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let api = request.uri().path().starts_with("/api/");
    match authenticate_inner(state, request, next).await {
        Ok(response) => response,
        Err(failure) if api => crate::error::ApiError(failure).into_response(),
        Err(failure) => crate::error::PageError(failure).into_response(),
    }
}

async fn authenticate_inner(
    state: AppState,
    request: Request,
    next: Next,
) -> Result<Response, Failure> {
    let (mut parts, body) = request.into_parts();
    let jar = cookies(&parts.headers);
    let bearer = parts
        .headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .map(str::to_owned);

    let (principal, via_token) = if let Some(token) = bearer {
        let user = sessions::user_of_token(&state.db, &digest(&token)).await?;
        let Some(user) = user else {
            return Err(Failure::NotSignedIn);
        };
        (principal_of(&state, user).await?, true)
    } else if let Some(session) = jar.get(SESSION_COOKIE) {
        match sessions::user_of(&state.db, &digest(session)).await? {
            Some(user) => (principal_of(&state, user).await?, false),
            None => (None, false),
        }
    } else {
        (None, false)
    };

    let existing_csrf = jar.get(CSRF_COOKIE).filter(|v| v.len() >= 32).cloned();
    let csrf = existing_csrf.clone().unwrap_or_else(random_token);

    let mut body = body;
    if !via_token && !is_safe(&parts.method) {
        let sent = match parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()) {
            Some(header) => Some(header.to_owned()),
            None => {
                let is_form = parts
                    .headers
                    .get(CONTENT_TYPE)
                    .and_then(|v| v.to_str().ok())
                    .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
                if is_form {
                    let bytes = to_bytes(body, MAX_FORM_BYTES)
                        .await
                        .map_err(|_| Failure::TooLarge)?;
                    let fields: Vec<(String, String)> =
                        serde_urlencoded::from_bytes(&bytes).unwrap_or_default();
                    body = Body::from(bytes);
                    fields
                        .into_iter()
                        .find(|(k, _)| k == CSRF_FIELD)
                        .map(|(_, v)| v)
                } else {
                    None
                }
            }
        };
        let valid = match (&existing_csrf, &sent) {
            (Some(expected), Some(sent)) => expected.as_bytes().ct_eq(sent.as_bytes()).into(),
            _ => false,
        };
        if !valid {
            return Err(Failure::Csrf);
        }
    }

    let lang = language(parts.uri.query(), &jar);
    parts.extensions.insert(Ctx {
        principal,
        via_token,
        csrf: csrf.clone(),
        lang,
        path: parts.uri.path().to_owned(),
    });
    let mut response = next.run(Request::from_parts(parts, body)).await;
    if existing_csrf.is_none() && !via_token {
        // Pages carry the token in their forms and in htmx's headers, so
        // scripts never need to read the cookie.
        response.headers_mut().append(
            SET_COOKIE,
            cookie(
                CSRF_COOKIE,
                &csrf,
                60 * 60 * 24 * 30,
                true,
                state.config.secure_cookies,
            ),
        );
    }
    Ok(response)
}
