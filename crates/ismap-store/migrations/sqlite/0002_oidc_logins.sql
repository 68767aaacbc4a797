-- OpenID Connect sign-ins under way: the state sent to the provider (hashed),
-- the PKCE verifier and nonce to check its answer. Each row is used once.
CREATE TABLE oidc_logins (
    state_hash  TEXT PRIMARY KEY,
    verifier    TEXT NOT NULL,
    nonce       TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
