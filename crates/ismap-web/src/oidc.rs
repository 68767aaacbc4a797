//! OpenID Connect sign-in (authorization code flow with PKCE), configured
//! per deployment, because the programme's portal signs people in with
//! GビズID (spec §1). Uses the `openidconnect` crate for discovery, the token
//! exchange and ID-token verification (signature, issuer, audience, expiry,
//! nonce).
//!
//! A person signs in through the provider only if an administrator created
//! their account first: the identity is matched by issuer and subject, or on
//! the first sign-in by the verified e-mail address of an account not yet
//! linked (then linked, and the link recorded).

use crate::error::Query;
use axum::extract::State;
use axum::http::header::SET_COOKIE;
use axum::response::{IntoResponse, Redirect, Response};
use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointMaybeSet, EndpointNotSet,
    EndpointSet, IssuerUrl, Nonce, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope,
    TokenResponse,
};
use serde::Deserialize;
use tokio::sync::OnceCell;

use crate::AppState;
use crate::auth::digest;
use crate::error::{Failure, PageError};
use crate::signin::start_session;
use ismap_store::{Actor, sessions, users};

/// A provider as configured for this deployment.
#[derive(Clone, Debug)]
pub struct OidcConfig {
    /// The issuer, e.g. `https://gbizid.example/`; discovery reads
    /// `{issuer}/.well-known/openid-configuration`.
    pub issuer: String,
    pub client_id: String,
    pub client_secret: Option<String>,
}

/// Where the provider sends people back.
pub const CALLBACK_PATH: &str = "/auth/oidc/callback";

type Provider = CoreClient<
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// The discovered provider, shared by all requests (discovered on first use,
/// so a provider that is down does not stop the portal from starting).
#[derive(Default)]
pub struct OidcState {
    provider: OnceCell<Provider>,
}

/// How long a started sign-in may take before its state expires.
const LOGIN_MINUTES: i64 = 10;

fn http_client() -> Result<openidconnect::reqwest::Client, Failure> {
    // No redirects: the OIDC spec forbids following them on these requests.
    openidconnect::reqwest::ClientBuilder::new()
        .redirect(openidconnect::reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| Failure::Internal(format!("http client: {e}")))
}

async fn provider(state: &AppState) -> Result<(&OidcConfig, &Provider), Failure> {
    let config = state
        .config
        .oidc
        .as_ref()
        .ok_or_else(|| Failure::NotFound("OpenID Connect sign-in is not configured".into()))?;
    let provider = state
        .oidc
        .provider
        .get_or_try_init(|| async {
            let issuer = IssuerUrl::new(config.issuer.clone())
                .map_err(|e| Failure::Internal(format!("issuer URL: {e}")))?;
            let metadata = CoreProviderMetadata::discover_async(issuer, &http_client()?)
                .await
                .map_err(|e| Failure::Internal(format!("OpenID Connect discovery failed: {e}")))?;
            let redirect = RedirectUrl::new(format!(
                "{}{CALLBACK_PATH}",
                state.config.public_url.trim_end_matches('/')
            ))
            .map_err(|e| Failure::Internal(format!("redirect URL: {e}")))?;
            Ok::<Provider, Failure>(
                CoreClient::from_provider_metadata(
                    metadata,
                    ClientId::new(config.client_id.clone()),
                    config.client_secret.clone().map(ClientSecret::new),
                )
                .set_redirect_uri(redirect),
            )
        })
        .await?;
    Ok((config, provider))
}

/// `/auth/oidc/start`: sends the browser to the provider.
pub async fn start(State(state): State<AppState>) -> Result<Response, PageError> {
    let (_, provider) = provider(&state).await?;
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, csrf, nonce) = provider
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("email".into()))
        .add_scope(Scope::new("profile".into()))
        .set_pkce_challenge(challenge)
        .url();
    sessions::start_oidc_login(
        &state.db,
        &digest(csrf.secret()),
        verifier.secret(),
        nonce.secret(),
    )
    .await?;
    Ok(Redirect::to(url.as_str()).into_response())
}

#[derive(Deserialize)]
pub struct Callback {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

/// `/auth/oidc/callback`: checks the provider's answer and signs the person in.
pub async fn callback(
    State(state): State<AppState>,
    Query(answer): Query<Callback>,
) -> Result<Response, PageError> {
    if let Some(error) = answer.error {
        return Err(PageError(Failure::Invalid {
            field: "error".into(),
            message: format!("the identity provider refused the sign-in: {error}"),
        }));
    }
    let (Some(code), Some(returned_state)) = (answer.code, answer.state) else {
        return Err(PageError(Failure::Invalid {
            field: "code".into(),
            message: "the identity provider's answer has no code or state".into(),
        }));
    };
    let (config, provider) = provider(&state).await?;
    let since = (chrono::Utc::now() - chrono::Duration::minutes(LOGIN_MINUTES))
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let Some((verifier, nonce)) =
        sessions::take_oidc_login(&state.db, &digest(&returned_state), &since).await?
    else {
        // Unknown, reused or expired state: possibly a forged callback.
        return Err(PageError(Failure::Csrf));
    };
    let tokens = provider
        .exchange_code(AuthorizationCode::new(code))
        .map_err(|e| Failure::Internal(format!("token endpoint: {e}")))?
        .set_pkce_verifier(PkceCodeVerifier::new(verifier))
        .request_async(&http_client()?)
        .await
        .map_err(|e| Failure::Invalid {
            field: "code".into(),
            message: format!("the identity provider did not accept the sign-in: {e}"),
        })?;
    let id_token = tokens.id_token().ok_or_else(|| Failure::Invalid {
        field: "id_token".into(),
        message: "the identity provider sent no ID token".into(),
    })?;
    let claims = id_token
        .claims(&provider.id_token_verifier(), &Nonce::new(nonce))
        .map_err(|e| Failure::Invalid {
            field: "id_token".into(),
            message: format!("the ID token is not valid: {e}"),
        })?;
    let subject = claims.subject().as_str();
    let user = match users::find_by_oidc(&state.db, &config.issuer, subject).await? {
        Some(user) => user,
        None => {
            let verified_email = claims
                .email()
                .filter(|_| claims.email_verified() == Some(true))
                .map(|e| e.as_str().to_owned());
            let candidate = match &verified_email {
                Some(email) => users::find_unlinked_by_email(&state.db, email).await?,
                None => None,
            };
            let Some(user) = candidate else {
                tracing::warn!(%subject, "OpenID Connect sign-in of an unregistered person");
                return Err(PageError(Failure::Forbidden));
            };
            users::link_oidc(
                &state.db,
                &Actor::user(user.id, &user.username),
                &user,
                &config.issuer,
                subject,
            )
            .await?;
            user
        }
    };
    if !user.active {
        return Err(PageError(Failure::Forbidden));
    }
    let cookie = start_session(&state, user.id).await?;
    tracing::info!(user = %user.username, "signed in with OpenID Connect");
    let mut response = Redirect::to("/").into_response();
    response.headers_mut().append(SET_COOKIE, cookie);
    Ok(response)
}
