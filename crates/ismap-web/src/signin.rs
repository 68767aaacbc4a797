//! Password sign-in (Argon2id), server-side sessions, rate limiting of failed
//! attempts per account, and sign-out.

use askama::Template;
use axum::Form;
use axum::extract::{ConnectInfo, State};
use axum::http::header::SET_COOKIE;
use axum::response::{Html, IntoResponse, Redirect, Response};
use ismap_store::{sessions, users};
use serde::Deserialize;

use crate::auth::{Ctx, SESSION_COOKIE, cookie, cookies, digest, random_token};
use crate::error::{Failure, PageError};
use crate::text::Frame;
use crate::{AppState, password};

#[derive(Template)]
#[template(path = "signin.html")]
struct SignInPage {
    frame: Frame,
    username: String,
    error: Option<String>,
    oidc: bool,
}

pub async fn form(State(state): State<AppState>, ctx: Ctx) -> Result<Response, PageError> {
    if ctx.principal.is_some() {
        return Ok(Redirect::to("/").into_response());
    }
    render(&state, &ctx, String::new(), None)
}

fn render(
    state: &AppState,
    ctx: &Ctx,
    username: String,
    error: Option<String>,
) -> Result<Response, PageError> {
    let page = SignInPage {
        frame: Frame::new(ctx),
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
}

pub async fn submit(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<std::net::SocketAddr>,
    ctx: Ctx,
    Form(form): Form<SignInForm>,
) -> Result<Response, PageError> {
    let username = form.username.trim().to_owned();
    let since = (chrono::Utc::now() - chrono::Duration::minutes(state.config.lockout_minutes))
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    if sessions::failures_since(&state.db, &username, &since).await? >= state.config.max_failures {
        tracing::warn!(%username, client = %client.ip(), "sign-in refused: too many failures");
        return Err(PageError(Failure::TooManyAttempts));
    }
    let found = users::find_for_sign_in(&state.db, &username).await?;
    let user = match found {
        Some((user, Some(hash))) if user.active && password::verify(&form.password, &hash) => user,
        Some(_) => {
            sessions::record_failure(&state.db, &username, &client.ip().to_string()).await?;
            return render(
                &state,
                &ctx,
                username,
                Some(crate::text::t(ctx.lang, "web-signin-failed")),
            );
        }
        None => {
            password::verify_dummy(&form.password);
            sessions::record_failure(&state.db, &username, &client.ip().to_string()).await?;
            return render(
                &state,
                &ctx,
                username,
                Some(crate::text::t(ctx.lang, "web-signin-failed")),
            );
        }
    };
    sessions::clear_failures(&state.db, &username).await?;
    let session = start_session(&state, user.id).await?;
    tracing::info!(user = %user.username, "signed in");
    let mut response = Redirect::to("/").into_response();
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
