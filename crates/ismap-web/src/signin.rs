//! Password sign-in (Argon2id), server-side sessions, throttling of
//! attempts (per account and address pair with back-off, per address, per
//! account: `sessions::reserve_sign_in`), and sign-out.

use askama::Template;
use axum::Form;
use axum::extract::{ConnectInfo, State};
use axum::http::header::SET_COOKIE;
use axum::response::{Html, IntoResponse, Redirect, Response};
use ismap_store::{sessions, users};
use serde::Deserialize;
use std::net::IpAddr;

use crate::auth::{Ctx, SESSION_COOKIE, cookie, cookies, digest, random_token};
use crate::error::{Failure, PageError, Query};
use crate::text::Frame;
use crate::{AppState, password};

#[derive(Template)]
#[template(path = "signin.html")]
struct SignInPage {
    frame: Frame,
    /// The page to return to after signing in (a path of this site).
    next: Option<String>,
    username: String,
    error: Option<String>,
    oidc: bool,
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

/// The page to return to: `next` when it is a path of this site (never the
/// sign-in page itself), else none.
fn local_next(next: Option<String>) -> Option<String> {
    next.filter(|n| crate::pages::is_local_path(n) && !n.starts_with("/signin"))
}

/// Where a signed-in person goes: `next`, or the home page.
fn destination(next: Option<&str>) -> Redirect {
    match next {
        Some(next) => Redirect::to(&crate::pages::percent_encode_non_ascii(next)),
        None => Redirect::to("/"),
    }
}

pub async fn form(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(query): Query<NextQuery>,
) -> Result<Response, PageError> {
    let next = local_next(query.next);
    if ctx.principal.is_some() {
        return Ok(destination(next.as_deref()).into_response());
    }
    render(&state, &ctx, next, String::new(), None)
}

fn render(
    state: &AppState,
    ctx: &Ctx,
    next: Option<String>,
    username: String,
    error: Option<String>,
) -> Result<Response, PageError> {
    let page = SignInPage {
        frame: Frame::new(ctx),
        next,
        username,
        error,
        oidc: state.config.oidc.is_some(),
    };
    let status = if page.error.is_some() {
        axum::http::StatusCode::UNAUTHORIZED
    } else {
        axum::http::StatusCode::OK
    };
    Ok((
        status,
        Html(
            page.render()
                .map_err(|e| Failure::Internal(e.to_string()))?,
        ),
    )
        .into_response())
}

#[derive(Deserialize)]
pub struct SignInForm {
    username: String,
    password: String,
    /// The page asked for before signing in (hidden field).
    #[serde(default)]
    next: Option<String>,
}

/// The throttling limits of `config`.
pub fn limits(config: &crate::Config) -> sessions::ThrottleLimits {
    sessions::ThrottleLimits {
        per_pair: config.max_failures,
        per_address: config.max_failures_per_address,
        per_account: config.max_failures_per_account,
        window: chrono::Duration::minutes(config.lockout_minutes),
        backoff: chrono::Duration::seconds(config.signin_backoff_seconds),
        max_backoff: chrono::Duration::hours(1),
    }
}

/// The address a request comes from, for throttling: the peer's, or when
/// the peer is a trusted reverse proxy, the nearest address in
/// `X-Forwarded-For` that is not a trusted proxy (entries further left can
/// be written by the client, so they are never believed past it).
pub fn source_address(peer: IpAddr, headers: &axum::http::HeaderMap, trusted: &[IpAddr]) -> IpAddr {
    if !trusted.contains(&peer) {
        return peer;
    }
    let forwarded: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    let mut source = peer;
    for hop in forwarded.iter().rev() {
        match hop.parse::<IpAddr>() {
            Ok(address) => {
                source = address;
                if !trusted.contains(&address) {
                    break;
                }
            }
            // An entry that is not an address: stop at the last one known.
            Err(_) => break,
        }
    }
    source
}

/// The name an attempt is counted under: the normalized username (as typed
/// when it cannot be normalized), at most 128 characters.
pub fn throttle_account(username: &str) -> String {
    users::normalize_username(username)
        .unwrap_or_else(|_| username.trim().to_owned())
        .chars()
        .take(128)
        .collect()
}

/// Checks `password` for `username` from `client`, within the throttle:
/// `Err(TooManyAttempts)` when a limit is reached (the password is then not
/// checked at all), `Ok(None)` when it is wrong.
pub async fn check_password(
    state: &AppState,
    username: &str,
    password: &str,
    client: IpAddr,
) -> Result<Option<users::User>, Failure> {
    let account = throttle_account(username);
    let address = client.to_string();
    let limits = limits(&state.config);
    if !sessions::reserve_sign_in(&state.db, &account, &address, &limits).await? {
        tracing::warn!(%account, %address, "sign-in refused: too many attempts");
        return Err(Failure::TooManyAttempts);
    }
    let found = users::find_for_sign_in(&state.db, username).await?;
    let user = match found {
        Some((user, Some(hash))) if user.active && password::verify(password, &hash) => Some(user),
        Some(_) => None,
        None => {
            password::verify_dummy(password);
            None
        }
    };
    match user {
        Some(_) => sessions::sign_in_succeeded(&state.db, &account, &address).await?,
        None => sessions::sign_in_failed(&state.db, &account, &address, &limits).await?,
    }
    Ok(user)
}

pub async fn submit(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<std::net::SocketAddr>,
    headers: axum::http::HeaderMap,
    ctx: Ctx,
    Form(form): Form<SignInForm>,
) -> Result<Response, PageError> {
    let username = form.username.trim().to_owned();
    let next = local_next(form.next.filter(|n| !n.is_empty()));
    let source = source_address(client.ip(), &headers, &state.config.trusted_proxies);
    let checked = check_password(&state, &username, &form.password, source).await?;
    let Some(user) = checked else {
        return render(
            &state,
            &ctx,
            next,
            username,
            Some(crate::text::t(ctx.lang, "web-signin-failed")),
        );
    };
    // A session the browser held before is not carried over.
    if let Some(old) = cookies(&headers).get(SESSION_COOKIE) {
        sessions::delete(&state.db, &digest(old)).await?;
    }
    let session = start_session(&state, user.id).await?;
    tracing::info!(user = %user.username, "signed in");
    let mut response = destination(next.as_deref()).into_response();
    response.headers_mut().append(SET_COOKIE, session);
    Ok(response)
}

/// Creates a session for `user_id` and returns its cookie.
pub async fn start_session(
    state: &AppState,
    user_id: i64,
) -> Result<axum::http::HeaderValue, Failure> {
    let id = random_token();
    let hours = state.config.session_hours;
    let expires = (chrono::Utc::now() + chrono::Duration::hours(hours))
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    sessions::create(&state.db, &digest(&id), user_id, &expires).await?;
    Ok(cookie(
        SESSION_COOKIE,
        &id,
        hours * 3600,
        true,
        state.config.secure_cookies,
    ))
}

pub async fn sign_out(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
) -> Result<Response, PageError> {
    if let Some(session) = cookies(&headers).get(SESSION_COOKIE) {
        sessions::delete(&state.db, &digest(session)).await?;
    }
    let mut response = Redirect::to("/").into_response();
    response.headers_mut().append(
        SET_COOKIE,
        cookie(SESSION_COOKIE, "", 0, true, state.config.secure_cookies),
    );
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwarded_addresses_are_believed_from_trusted_proxies_only() {
        let proxy: IpAddr = "10.0.0.5".parse().unwrap();
        let client: IpAddr = "203.0.113.9".parse().unwrap();
        let mut headers = axum::http::HeaderMap::new();
        headers.insert(
            "x-forwarded-for",
            "198.51.100.1, 203.0.113.9".parse().unwrap(),
        );
        // Not a trusted proxy: its header is ignored.
        assert_eq!(source_address(proxy, &headers, &[]), proxy);
        // Trusted: the nearest address it reports; the client-written one
        // further left is not believed.
        assert_eq!(source_address(proxy, &headers, &[proxy]), client);
        // Two trusted proxies in a row are skipped.
        headers.insert(
            "x-forwarded-for",
            "198.51.100.1, 203.0.113.9, 10.0.0.6".parse().unwrap(),
        );
        let inner: IpAddr = "10.0.0.6".parse().unwrap();
        assert_eq!(source_address(proxy, &headers, &[proxy, inner]), client);
        // No header: the proxy itself.
        assert_eq!(
            source_address(proxy, &axum::http::HeaderMap::new(), &[proxy]),
            proxy
        );
        headers.insert("x-forwarded-for", "not-an-address".parse().unwrap());
        assert_eq!(source_address(proxy, &headers, &[proxy]), proxy);
    }
}
