//! OpenID Connect sign-in against a real (small) identity provider served in
//! the test: discovery, authorization with PKCE, token exchange, an RS256
//! ID token checked for signature, issuer, audience and nonce.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Form, Query, State};
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ismap_domain::Role;
use ismap_store::users::NewUser;
use ismap_store::{Actor, Backend, events, orgs, users};
use ismap_web::Config;
use ismap_web::oidc::OidcConfig;
use ismap_web::testing::spawn_with;
use openidconnect::core::{
    CoreIdToken, CoreIdTokenClaims, CoreJsonWebKeySet, CoreJwsSigningAlgorithm,
    CoreProviderMetadata, CoreResponseType, CoreRsaPrivateSigningKey, CoreSubjectIdentifierType,
};
use openidconnect::{
    Audience, AuthUrl, EmptyAdditionalClaims, EmptyAdditionalProviderMetadata, EndUserEmail,
    IssuerUrl, JsonWebKeyId, JsonWebKeySetUrl, Nonce, PrivateSigningKey, ResponseTypes,
    StandardClaims, SubjectIdentifier, TokenUrl,
};
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::helpers::{BACKENDS, Client};

const KEY: &str = include_str!("oidc-test-key.pem");
const CLIENT_ID: &str = "ismap-portal";

/// Who the provider says signs in next.
#[derive(Clone)]
struct Person {
    subject: String,
    email: String,
    verified: bool,
}

#[derive(Clone)]
struct Provider {
    base: String,
    person: Arc<Mutex<Person>>,
    /// code → (PKCE challenge, nonce)
    codes: Arc<Mutex<HashMap<String, (String, String)>>>,
}

fn key() -> CoreRsaPrivateSigningKey {
    CoreRsaPrivateSigningKey::from_pem(KEY, Some(JsonWebKeyId::new("test-key".into())))
        .expect("test key")
}

async fn discovery(State(p): State<Provider>) -> impl IntoResponse {
    let metadata = CoreProviderMetadata::new(
        IssuerUrl::new(p.base.clone()).unwrap(),
        AuthUrl::new(format!("{}/authorize", p.base)).unwrap(),
        JsonWebKeySetUrl::new(format!("{}/jwks", p.base)).unwrap(),
        vec![ResponseTypes::new(vec![CoreResponseType::Code])],
        vec![CoreSubjectIdentifierType::Public],
        vec![CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256],
        EmptyAdditionalProviderMetadata {},
    )
    .set_token_endpoint(Some(TokenUrl::new(format!("{}/token", p.base)).unwrap()));
    Json(metadata)
}

async fn jwks() -> impl IntoResponse {
    Json(CoreJsonWebKeySet::new(vec![key().as_verification_key()]))
}

#[derive(Deserialize)]
struct Authorize {
    client_id: String,
    redirect_uri: String,
    state: String,
    nonce: String,
    code_challenge: String,
    code_challenge_method: String,
}

async fn authorize(State(p): State<Provider>, Query(q): Query<Authorize>) -> impl IntoResponse {
    assert_eq!(q.client_id, CLIENT_ID);
    assert_eq!(q.code_challenge_method, "S256", "PKCE with SHA-256");
    let code = format!("code-{}", p.codes.lock().unwrap().len());
    p.codes
        .lock()
        .unwrap()
        .insert(code.clone(), (q.code_challenge, q.nonce));
    Redirect::to(&format!("{}?code={code}&state={}", q.redirect_uri, q.state))
}

#[derive(Deserialize)]
struct TokenRequest {
    code: String,
    code_verifier: String,
}

async fn token(
    State(p): State<Provider>,
    Form(form): Form<TokenRequest>,
) -> axum::response::Response {
    let Some((challenge, nonce)) = p.codes.lock().unwrap().remove(&form.code) else {
        return (
            axum::http::StatusCode::BAD_REQUEST,
            Json(json!({"error": "invalid_grant"})),
        )
            .into_response();
    };
    if URL_SAFE_NO_PAD.encode(Sha256::digest(form.code_verifier.as_bytes())) != challenge {
        return (
            axum::http::StatusCode::BAD_REQUEST,
            Json(json!({"error": "invalid_grant"})),
        )
            .into_response();
    }
    let person = p.person.lock().unwrap().clone();
    let now = chrono::Utc::now();
    let claims = CoreIdTokenClaims::new(
        IssuerUrl::new(p.base.clone()).unwrap(),
        vec![Audience::new(CLIENT_ID.into())],
        now + chrono::Duration::minutes(5),
        now,
        StandardClaims::new(SubjectIdentifier::new(person.subject))
            .set_email(Some(EndUserEmail::new(person.email)))
            .set_email_verified(Some(person.verified)),
        EmptyAdditionalClaims {},
    )
    .set_nonce(Some(Nonce::new(nonce)));
    let id_token = CoreIdToken::new(
        claims,
        &key(),
        CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
        None,
        None,
    )
    .unwrap();
    Json(json!({
        "access_token": "access",
        "token_type": "Bearer",
        "expires_in": 300,
        "id_token": id_token.to_string(),
    }))
    .into_response()
}

async fn start_provider() -> Provider {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let provider = Provider {
        base,
        person: Arc::new(Mutex::new(Person {
            subject: "gbiz-0001".into(),
            email: "hanako@saas.example.jp".into(),
            verified: true,
        })),
        codes: Arc::default(),
    };
    let app = Router::new()
        .route("/.well-known/openid-configuration", get(discovery))
        .route("/jwks", get(jwks))
        .route("/authorize", get(authorize))
        .route("/token", post(token))
        .with_state(provider.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    provider
}

/// Follows the sign-in through the provider; returns the callback response.
async fn sign_in_via_provider(client: &Client<'_>) -> (reqwest::Response, String) {
    let start = client.get("/auth/oidc/start").await;
    assert_eq!(start.status(), 303);
    let authorize = start.headers()["location"].to_str().unwrap().to_owned();
    assert!(authorize.contains("code_challenge="), "{authorize}");
    let at_provider = client.http.get(&authorize).send().await.unwrap();
    let callback = at_provider.headers()["location"]
        .to_str()
        .unwrap()
        .to_owned();
    let response = client.http.get(&callback).send().await.unwrap();
    (response, callback)
}

#[tokio::test]
async fn registered_people_sign_in_with_openid_connect() {
    for backend in BACKENDS {
        let provider = start_provider().await;
        let config = Config {
            oidc: Some(OidcConfig {
                issuer: provider.base.clone(),
                client_id: CLIENT_ID.into(),
                client_secret: Some("client-secret".into()),
            }),
            ..Config::default()
        };
        let server = spawn_with(backend, config).await;
        let org = orgs::find_by_name(&server.db, "株式会社サンプルクラウド")
            .await
            .unwrap()
            .unwrap();
        users::create(
            &server.db,
            &Actor::system("test"),
            NewUser {
                username: "hanako",
                display_name: "花子",
                email: "Hanako@saas.example.jp",
                password_hash: None,
            },
            &org,
            Role::CspEditor,
        )
        .await
        .unwrap();

        let signin_page = Client::new(&server)
            .get("/signin")
            .await
            .text()
            .await
            .unwrap();
        assert!(
            signin_page.contains("/auth/oidc/start"),
            "the sign-in page offers the provider"
        );

        // First sign-in: linked by the verified e-mail address.
        let client = Client::new(&server);
        let (response, callback) = sign_in_via_provider(&client).await;
        assert_eq!(response.status(), 303, "{}", response.text().await.unwrap());
        let home = client.get("/").await.text().await.unwrap();
        assert!(
            home.contains("花子") && home.contains("ダッシュボード"),
            "{home}"
        );
        let log = events::list(&server.db, None, 20).await.unwrap();
        assert!(log.iter().any(|e| e.action == "user.link_oidc"));

        // The same answer cannot be used twice.
        let replay = Client::new(&server)
            .http
            .get(&callback)
            .send()
            .await
            .unwrap();
        assert_eq!(replay.status(), 403);

        // Later sign-ins match the subject, whatever the e-mail says now.
        provider.person.lock().unwrap().email = "changed@saas.example.jp".into();
        let again = Client::new(&server);
        let (response, _) = sign_in_via_provider(&again).await;
        assert_eq!(response.status(), 303);

        // Someone the portal does not know is refused, and gets no session.
        *provider.person.lock().unwrap() = Person {
            subject: "gbiz-9999".into(),
            email: "stranger@example.jp".into(),
            verified: true,
        };
        let stranger = Client::new(&server);
        let (response, _) = sign_in_via_provider(&stranger).await;
        assert_eq!(response.status(), 403);
        assert_eq!(
            stranger.get("/account").await.status(),
            303,
            "not signed in"
        );
    }
}

#[tokio::test]
async fn an_unverified_email_does_not_link_an_account() {
    let provider = start_provider().await;
    provider.person.lock().unwrap().verified = false;
    let config = Config {
        oidc: Some(OidcConfig {
            issuer: provider.base.clone(),
            client_id: CLIENT_ID.into(),
            client_secret: None,
        }),
        ..Config::default()
    };
    let server = spawn_with(Backend::Sqlite, config).await;
    let org = orgs::find_by_name(&server.db, "株式会社サンプルクラウド")
        .await
        .unwrap()
        .unwrap();
    users::create(
        &server.db,
        &Actor::system("test"),
        NewUser {
            username: "hanako",
            display_name: "花子",
            email: "hanako@saas.example.jp",
            password_hash: None,
        },
        &org,
        Role::CspEditor,
    )
    .await
    .unwrap();
    let client = Client::new(&server);
    let (response, _) = sign_in_via_provider(&client).await;
    assert_eq!(response.status(), 403);
    // Without configuration the routes do not exist for the deployment.
    let plain = ismap_web::testing::spawn(Backend::Sqlite).await;
    assert_eq!(
        Client::new(&plain).get("/auth/oidc/start").await.status(),
        404
    );
}
