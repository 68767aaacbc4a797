//! Who is asking: session cookies (pages) and bearer tokens (API), CSRF
//! protection for every state-changing request made with a cookie, and the
//! request context handlers receive.
//!
//! CSRF tokens are never chosen by the client. A signed-in person's token is
//! HMAC(server key, session id hash): bound to the session, new at every
//! sign-in. Before sign-in (the sign-in form, the public crosswalk upload) it
//! is HMAC(server key, nonce) of a pre-session cookie that the server issued
//! and signed, so a cookie the client made up is ignored. The server key is
//! stored in the database (`server_keys`), shared by every process. No
//! cookie is set on a publicly cacheable response.

use std::collections::HashMap;

use axum::body::{Body, to_bytes};
use axum::extract::{FromRequestParts, Request, State};
use axum::http::header::{AUTHORIZATION, CACHE_CONTROL, CONTENT_TYPE, COOKIE, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use ismap_i18n::Lang;
use ismap_store::sessions::TokenScope;
use ismap_store::{Actor, sessions, users};
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::AppState;
use crate::error::Failure;
use crate::policy::{Action, Principal, allows};

pub const SESSION_COOKIE: &str = "ismap_session";
/// The pre-session cookie: `NONCE.SIGNATURE`, issued by the server.
pub const CSRF_COOKIE: &str = "ismap_csrf";
pub const LANG_COOKIE: &str = "ismap_lang";
pub const CSRF_HEADER: &str = "x-csrf-token";
pub const CSRF_FIELD: &str = "csrf";
/// Largest form body read to find its CSRF token.
const MAX_FORM_BYTES: usize = 2 * 1024 * 1024;
/// How long a pre-session cookie is kept.
const PRESESSION_SECONDS: i64 = 60 * 60 * 24 * 30;

/// The server's key for CSRF tokens, loaded from (or created in) the database.
#[derive(Clone)]
pub struct FormKey(Vec<u8>);

impl std::fmt::Debug for FormKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FormKey(..)")
    }
}

impl FormKey {
    /// The key every process serving `db` shares (made on first start).
    pub async fn load(db: &ismap_store::Db) -> Result<FormKey, ismap_store::StoreError> {
        let secret = sessions::server_key(db, "csrf", &random_token()).await?;
        let bytes = URL_SAFE_NO_PAD
            .decode(secret.as_bytes())
            .map_err(|e| ismap_store::StoreError::Corrupt(format!("server key csrf: {e}")))?;
        Ok(FormKey(bytes))
    }

    fn mac(&self, purpose: &str, value: &str) -> String {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes keys of any length");
        mac.update(purpose.as_bytes());
        mac.update(b"\0");
        mac.update(value.as_bytes());
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    }

    /// The CSRF token of the session whose cookie is `session_id`.
    pub fn session_token(&self, session_id: &str) -> String {
        self.mac("csrf-session", &digest(session_id))
    }

    /// A new pre-session cookie value and its CSRF token.
    fn new_presession(&self) -> (String, String) {
        let nonce = random_token();
        let cookie = format!("{nonce}.{}", self.mac("presession", &nonce));
        (cookie, self.mac("csrf-presession", &nonce))
    }

    /// The CSRF token of a pre-session cookie this server issued; `None`
    /// for a value it did not sign (made up by the client).
    fn presession_token(&self, cookie: &str) -> Option<String> {
        let (nonce, signature) = cookie.split_once('.')?;
        let expected = self.mac("presession", nonce);
        if nonce.len() < 32 || !bool::from(expected.as_bytes().ct_eq(signature.as_bytes())) {
            return None;
        }
        Some(self.mac("csrf-presession", nonce))
    }
}

/// The CSRF token pages show to the holder of session cookie `session_id`
/// (for benchmarks and tools that sign in without a browser).
pub fn csrf_for_session(state: &AppState, session_id: &str) -> String {
    state.form_key.session_token(session_id)
}

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
    /// The id hash of the session cookie that authenticated the request.
    pub session: Option<String>,
    pub csrf: String,
    pub lang: Lang,
    pub path: String,
    /// The query string, if any (the language switch comes back to it).
    pub query: Option<String>,
    /// Unread notifications of the person signed in with a session cookie
    /// (issue 15: the count in the navigation; one COUNT per page).
    pub unread_notifications: Option<i64>,
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

    let mut session_hash = None;
    let mut presession_cookie = None;
    let (principal, via_token, csrf) = if let Some(token) = bearer {
        let Some(token) = sessions::live_token(&state.db, &digest(&token)).await? else {
            return Err(Failure::NotSignedIn);
        };
        let Some(principal) = principal_of(&state, token.user_id).await? else {
            return Err(Failure::NotSignedIn);
        };
        if token.scope == TokenScope::ReadOnly
            && !matches!(parts.method, Method::GET | Method::HEAD)
        {
            return Err(Failure::Forbidden);
        }
        let actor = Actor::user(principal.user.id, &principal.user.username);
        // A use that cannot be noted (a busy database) does not stop the
        // request; the next one notes it.
        if let Err(error) =
            sessions::note_token_use(&state.db, &actor, &token, Some(principal.organization.id))
                .await
        {
            tracing::warn!(%error, "noting an API token's use failed");
        }
        (Some(principal), true, String::new())
    } else {
        let user = match jar.get(SESSION_COOKIE) {
            Some(session) => sessions::user_of(&state.db, &digest(session))
                .await?
                .map(|user| (user, session)),
            None => None,
        };
        match user {
            Some((user, session)) => {
                session_hash = Some(digest(session));
                (
                    principal_of(&state, user).await?,
                    false,
                    state.form_key.session_token(session),
                )
            }
            None => {
                let issued = jar
                    .get(CSRF_COOKIE)
                    .and_then(|c| state.form_key.presession_token(c));
                let csrf = match issued {
                    Some(token) => token,
                    None => {
                        let (cookie, token) = state.form_key.new_presession();
                        presession_cookie = Some(cookie);
                        token
                    }
                };
                (None, false, csrf)
            }
        }
    };

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
        // A token made up together with a new pre-session cookie in this
        // very request is never valid: the client has not seen it.
        let valid = presession_cookie.is_none()
            && sent.is_some_and(|sent| bool::from(csrf.as_bytes().ct_eq(sent.as_bytes())));
        if !valid {
            return Err(Failure::Csrf);
        }
    }

    let lang = language(parts.uri.query(), &jar);
    let unread_notifications = match (&principal, via_token) {
        (Some(p), false)
            if !parts.uri.path().starts_with("/api/")
                && !parts.uri.path().starts_with("/assets/") =>
        {
            Some(ismap_store::notifications::unread(&state.db, p.user.id).await?)
        }
        _ => None,
    };
    parts.extensions.insert(Ctx {
        unread_notifications,
        principal,
        via_token,
        session: session_hash,
        csrf,
        lang,
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().map(str::to_owned),
    });
    let mut response = next.run(Request::from_parts(parts, body)).await;
    if let Some(value) = presession_cookie
        && !publicly_cacheable(&response)
    {
        // Pages carry the token in their forms and in htmx's headers, so
        // scripts never need to read the cookie.
        response.headers_mut().append(
            SET_COOKIE,
            cookie(
                CSRF_COOKIE,
                &value,
                PRESESSION_SECONDS,
                true,
                state.config.secure_cookies,
            ),
        );
    }
    Ok(response)
}

/// A response a shared cache may keep (`Cache-Control: public`): it must
/// carry no cookie, or every visitor would get the same one.
fn publicly_cacheable(response: &Response) -> bool {
    response
        .headers()
        .get_all(CACHE_CONTROL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| {
            v.split(',')
                .any(|d| d.trim().eq_ignore_ascii_case("public"))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presession_cookies_must_be_signed_by_the_server() {
        let key = FormKey(b"0123456789abcdef0123456789abcdef".to_vec());
        let (cookie, token) = key.new_presession();
        assert_eq!(key.presession_token(&cookie), Some(token.clone()));
        let other = FormKey(b"another key, another portal......".to_vec());
        assert_eq!(other.presession_token(&cookie), None);
        let made_up = format!("{}.{}", random_token(), random_token());
        assert_eq!(key.presession_token(&made_up), None);
        assert_eq!(key.presession_token(&token), None);
        assert_ne!(key.session_token("a"), key.session_token("b"));
    }
}
