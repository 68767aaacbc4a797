//! `/account`: the signed-in person's API tokens.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use ismap_store::{Actor, sessions};
use serde::Deserialize;

use crate::AppState;
use crate::auth::{Ctx, digest, random_token};
use crate::error::{Failure, PageError};
use crate::pages::render;
use crate::text::Frame;

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    frame: Frame,
    username: String,
    organization: String,
    roles: Vec<String>,
    tokens: Vec<sessions::ApiToken>,
    /// A token just created: shown once, never stored in clear.
    new_token: Option<String>,
}

async fn page(
    state: &AppState,
    ctx: &Ctx,
    new_token: Option<String>,
) -> Result<Response, PageError> {
    let p = ctx.principal.as_ref().ok_or(Failure::NotSignedIn)?;
    let frame = Frame::new(ctx);
    render(&AccountPage {
        username: p.user.username.clone(),
        organization: frame
            .pick(&p.organization.name, &p.organization.name_en)
            .to_owned(),
        roles: p
            .roles
            .iter()
            .map(|r| frame.t(&format!("role-{}", r.key())))
            .collect(),
        tokens: sessions::tokens_of(&state.db, p.user.id).await?,
        new_token,
        frame,
    })
}

pub async fn show(State(state): State<AppState>, ctx: Ctx) -> Result<Response, PageError> {
    page(&state, &ctx, None).await
}

#[derive(Deserialize)]
pub struct NewToken {
    name: String,
}

pub async fn create_token(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(form): Form<NewToken>,
) -> Result<Response, PageError> {
    let p = ctx.principal.as_ref().ok_or(Failure::NotSignedIn)?;
    let name = form.name.trim();
    if name.is_empty() {
        return Err(PageError(Failure::Invalid {
            field: "name".into(),
            message: "give the token a name".into(),
        }));
    }
    let token = format!("ismap_{}", random_token());
    sessions::create_token(
        &state.db,
        &Actor::user(p.user.id, &p.user.username),
        p.user.id,
        name,
        &digest(&token),
    )
    .await?;
    page(&state, &ctx, Some(token)).await
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
