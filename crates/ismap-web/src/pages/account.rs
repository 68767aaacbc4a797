//! `/account`: the signed-in person's password and API tokens; and
//! `/account/users`, where an organization's administrator (the secretariat:
//! anyone's) disables and enables accounts.

use askama::Template;
use axum::Form;
use axum::extract::{ConnectInfo, Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use ismap_store::sessions::{self, DEFAULT_TOKEN_DAYS, NewToken, TokenScope};
use ismap_store::{Actor, users};
use serde::Deserialize;

use crate::AppState;
use crate::auth::{Ctx, digest, random_token};
use crate::error::{Failure, PageError};
use crate::pages::render;
use crate::policy::{Action, Principal, allows};
use crate::text::Frame;

/// Longest lifetime a token may be given, in days.
pub const MAX_TOKEN_DAYS: i64 = 365;

pub struct TokenRow {
    pub id: i64,
    pub name: String,
    pub scope: String,
    pub created_at: String,
    pub expires_at: String,
    pub last_used_at: String,
    /// "active", "revoked" or "expired".
    pub status: &'static str,
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    frame: Frame,
    username: String,
    organization: String,
    roles: Vec<String>,
    tokens: Vec<TokenRow>,
    /// A token just created: shown once, never stored in clear.
    new_token: Option<String>,
    notice: Option<String>,
    error: Option<String>,
    default_days: i64,
    max_days: i64,
    manages_users: bool,
    /// Issue 15 (notify): which e-mails this person gets.
    notify_prefs: Option<crate::pages::notify::Prefs>,
}

async fn page(
    state: &AppState,
    ctx: &Ctx,
    new_token: Option<String>,
    notice: Option<String>,
    error: Option<String>,
) -> Result<Response, PageError> {
    let p = ctx.principal.as_ref().ok_or(Failure::NotSignedIn)?;
    let frame = Frame::new(ctx);
    let now = ismap_store::now();
    let tokens = sessions::tokens_of(&state.db, p.user.id)
        .await?
        .into_iter()
        .map(|t| TokenRow {
            status: if t.revoked {
                "revoked"
            } else if t.expires_at <= now {
                "expired"
            } else {
                "active"
            },
            id: t.id,
            name: t.name,
            scope: frame.t(&format!("acct-scope-{}", t.scope.key())),
            created_at: t.created_at,
            expires_at: t.expires_at,
            last_used_at: t.last_used_at.unwrap_or_default(),
        })
        .collect();
    let status = if error.is_some() {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    } else {
        axum::http::StatusCode::OK
    };
    let html = render(&AccountPage {
        username: p.user.username.clone(),
        organization: frame
            .pick(&p.organization.name, &p.organization.name_en)
            .to_owned(),
        roles: p
            .roles
            .iter()
            .map(|r| frame.label("role", r.key()))
            .collect(),
        tokens,
        new_token,
        notice,
        error,
        default_days: DEFAULT_TOKEN_DAYS,
        max_days: MAX_TOKEN_DAYS,
        manages_users: allows(Some(p), Action::ManageUsers, Some(p.organization.id)),
        notify_prefs: crate::pages::notify::prefs_of(state, ctx).await?,
        frame,
    })?;
    Ok((status, html).into_response())
}

pub async fn show(State(state): State<AppState>, ctx: Ctx) -> Result<Response, PageError> {
    page(&state, &ctx, None, None, None).await
}

/// The signed-in person, who must have come with the session cookie: an
/// API token cannot make tokens or change the password.
fn cookie_principal(ctx: &Ctx) -> Result<&Principal, Failure> {
    let p = ctx.principal.as_ref().ok_or(Failure::NotSignedIn)?;
    if ctx.via_token {
        return Err(Failure::Forbidden);
    }
    Ok(p)
}

#[derive(Deserialize)]
pub struct NewTokenForm {
    name: String,
    #[serde(default)]
    scope: Option<String>,
    #[serde(default)]
    days: Option<String>,
}

/// A token's lifetime as typed: whole days, 1 to [`MAX_TOKEN_DAYS`].
pub fn token_days(text: Option<&str>) -> Option<i64> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        None => Some(DEFAULT_TOKEN_DAYS),
        Some(t) => t
            .parse::<i64>()
            .ok()
            .filter(|d| (1..=MAX_TOKEN_DAYS).contains(d)),
    }
}

pub async fn create_token(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(form): Form<NewTokenForm>,
) -> Result<Response, PageError> {
    let p = cookie_principal(&ctx)?;
    let invalid = |field: &str, id: &str| {
        PageError(Failure::Invalid {
            field: field.into(),
            message: crate::text::t(ctx.lang, id),
        })
    };
    let name = form.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(invalid("name", "acct-token-name-invalid"));
    }
    let scope = match form.scope.as_deref().map(str::trim) {
        None | Some("") => TokenScope::ReadWrite,
        Some(key) => {
            TokenScope::from_key(key).ok_or_else(|| invalid("scope", "acct-token-scope-invalid"))?
        }
    };
    let days = token_days(form.days.as_deref())
        .ok_or_else(|| invalid("days", "acct-token-days-invalid"))?;
    let expires = (chrono::Utc::now() + chrono::Duration::days(days))
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let token = format!("ismap_{}", random_token());
    sessions::create_scoped_token(
        &state.db,
        &Actor::user(p.user.id, &p.user.username),
        NewToken {
            user_id: p.user.id,
            organization_id: Some(p.organization.id),
            name,
            token_hash: &digest(&token),
            scope,
            expires_at: &expires,
        },
    )
    .await?;
    page(&state, &ctx, Some(token), None, None).await
}

pub async fn revoke_token(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let p = ctx.principal.as_ref().ok_or(Failure::NotSignedIn)?;
    if !sessions::revoke_token(
        &state.db,
        &Actor::user(p.user.id, &p.user.username),
        p.user.id,
        id,
    )
    .await?
    {
        return Err(PageError(Failure::NotFound(format!("token {id}"))));
    }
    Ok(Redirect::to("/account").into_response())
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
}

/// Changes the signed-in person's password: the current one is checked
/// (within the sign-in throttle), the new one must pass the rules, and
/// every other session and every API token of theirs ends.
pub async fn change_password(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<std::net::SocketAddr>,
    headers: axum::http::HeaderMap,
    ctx: Ctx,
    Form(form): Form<PasswordForm>,
) -> Result<Response, PageError> {
    let p = cookie_principal(&ctx)?;
    let hash = match crate::password::hash_for(&form.new_password, &p.user.username) {
        Ok(hash) => hash,
        Err(problem) => {
            let message = crate::text::t(ctx.lang, problem.message_id());
            return page(&state, &ctx, None, None, Some(message)).await;
        }
    };
    let checked = crate::signin::check_password(
        &state,
        &p.user.username,
        &form.current_password,
        crate::signin::source_address(client.ip(), &headers, &state.config.trusted_proxies),
    )
    .await?;
    if checked.is_none_or(|u| u.id != p.user.id) {
        let message = crate::text::t(ctx.lang, "acct-password-current-wrong");
        return page(&state, &ctx, None, None, Some(message)).await;
    }
    users::change_password(
        &state.db,
        &Actor::user(p.user.id, &p.user.username),
        &p.user,
        &hash,
        "changed by the user",
        ctx.session.as_deref(),
    )
    .await?;
    tracing::info!(user = %p.user.username, "password changed; other sessions and tokens ended");
    let notice = crate::text::t(ctx.lang, "acct-password-changed");
    page(&state, &ctx, None, Some(notice), None).await
}

pub struct MemberRow {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub organization: String,
    pub roles: Vec<String>,
    pub active: bool,
    /// The person looking at the page (who cannot disable themselves).
    pub is_self: bool,
}

#[derive(Template)]
#[template(path = "account_users.html")]
struct UsersPage {
    frame: Frame,
    members: Vec<MemberRow>,
}

/// The people an administrator manages: the secretariat everyone, others
/// their own organization.
fn managed_scope(p: &Principal) -> Result<Option<i64>, Failure> {
    if !allows(Some(p), Action::ManageUsers, Some(p.organization.id)) {
        return Err(Failure::Forbidden);
    }
    Ok(if allows(Some(p), Action::ManageUsers, None) {
        None
    } else {
        Some(p.organization.id)
    })
}

pub async fn users(State(state): State<AppState>, ctx: Ctx) -> Result<Response, PageError> {
    let p = ctx.principal.as_ref().ok_or(Failure::NotSignedIn)?;
    let scope = managed_scope(p)?;
    let frame = Frame::new(&ctx);
    let members = users::members(&state.db, scope)
        .await?
        .into_iter()
        .map(|m| MemberRow {
            id: m.user.id,
            is_self: m.user.id == p.user.id,
            username: m.user.username,
            display_name: m.user.display_name,
            organization: frame
                .pick(&m.organization.name, &m.organization.name_en)
                .to_owned(),
            roles: m
                .roles
                .iter()
                .map(|r| frame.label("role", r.key()))
                .collect(),
            active: m.user.active,
        })
        .collect();
    render(&UsersPage { frame, members })
}

#[derive(Deserialize)]
pub struct ActiveForm {
    #[serde(default)]
    active: String,
    #[serde(default)]
    reason: String,
}

/// Disables or enables an account. Disabling ends the person's sessions and
/// API tokens at once.
pub async fn set_active(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(form): Form<ActiveForm>,
) -> Result<Response, PageError> {
    let p = ctx.principal.as_ref().ok_or(Failure::NotSignedIn)?;
    managed_scope(p)?;
    let active = match form.active.as_str() {
        "true" => true,
        "false" => false,
        _ => {
            return Err(PageError(Failure::Invalid {
                field: "active".into(),
                message: crate::text::t(ctx.lang, "acct-users-active-invalid"),
            }));
        }
    };
    // Someone the administrator may not manage is answered as missing.
    let organization = users::organization_of(&state.db, id).await?;
    if organization.is_none() || !allows(Some(p), Action::ManageUsers, organization) {
        return Err(PageError(Failure::NotFound(format!("user {id}"))));
    }
    if id == p.user.id {
        return Err(PageError(Failure::Conflict(crate::text::t(
            ctx.lang,
            "acct-users-not-self",
        ))));
    }
    let reason = form.reason.trim();
    if !users::set_active(
        &state.db,
        &Actor::user(p.user.id, &p.user.username),
        id,
        active,
        reason,
    )
    .await?
    {
        return Err(PageError(Failure::Conflict(crate::text::t(
            ctx.lang,
            "acct-users-unchanged",
        ))));
    }
    tracing::info!(by = %p.user.username, user = id, active, "account state changed");
    Ok(Redirect::to("/account/users").into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_days_are_whole_days_within_a_year() {
        assert_eq!(token_days(None), Some(90));
        assert_eq!(token_days(Some(" ")), Some(90));
        assert_eq!(token_days(Some("1")), Some(1));
        assert_eq!(token_days(Some("365")), Some(365));
        assert_eq!(token_days(Some("0")), None);
        assert_eq!(token_days(Some("366")), None);
        assert_eq!(token_days(Some("99999999999999999999")), None);
        assert_eq!(token_days(Some("-5")), None);
    }
}
