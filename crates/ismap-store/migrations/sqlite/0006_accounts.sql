-- Accounts (issue 12, items 9, 11, 12). Keep in step with ../postgres/0006_accounts.sql.

-- API tokens: a scope (read_only / read_write), an expiry, and when they
-- were last used (written at most once a minute per token) and on which day
-- their use was last recorded as an event (one event per token per day).
ALTER TABLE api_tokens ADD COLUMN scope TEXT NOT NULL DEFAULT 'read_write'
    CHECK (scope IN ('read_only', 'read_write'));
ALTER TABLE api_tokens ADD COLUMN expires_at TEXT NOT NULL DEFAULT '';
ALTER TABLE api_tokens ADD COLUMN last_used_at TEXT;
ALTER TABLE api_tokens ADD COLUMN use_logged_on TEXT;
-- Tokens made before expiry existed last 90 days from their creation.
UPDATE api_tokens SET expires_at = strftime('%Y-%m-%dT%H:%M:%fZ', created_at, '+90 days');

-- Usernames are compared in their normalized form (NFKC, lower case). Names
-- stored before differ at most in ASCII case here; lower-case them where
-- that makes no two accounts collide (the others keep their name and are
-- still found by an exact match).
UPDATE users SET username = LOWER(username)
WHERE username <> LOWER(username)
  AND NOT EXISTS (SELECT 1 FROM users other
                  WHERE other.id <> users.id AND LOWER(other.username) = LOWER(users.username));

-- Sign-in throttling: one row per key ('pair:ACCOUNT|ADDRESS',
-- 'address:ADDRESS', 'account:ACCOUNT'). A slot is reserved (attempts + 1)
-- by one conditional UPDATE before the password is checked, so parallel
-- guesses cannot pass the limit.
CREATE TABLE sign_in_throttle (
    key            TEXT PRIMARY KEY,
    -- attempts reserved in the current window (address, account) or since the
    -- last success (pair)
    attempts       INTEGER NOT NULL DEFAULT 0,
    -- pair only: attempts allowed before the next back-off; one more after each
    allowed        INTEGER NOT NULL DEFAULT 0,
    -- pair only: failures since the last success
    failures       INTEGER NOT NULL DEFAULT 0,
    window_start   TEXT NOT NULL,
    -- no attempt before this time ('' = none)
    blocked_until  TEXT NOT NULL DEFAULT '',
    updated_at     TEXT NOT NULL
);
CREATE INDEX sign_in_throttle_updated ON sign_in_throttle (updated_at);

-- Secrets the server keeps across restarts and shares between processes
-- (the key that signs pre-session CSRF cookies).
CREATE TABLE server_keys (
    name        TEXT PRIMARY KEY,
    secret      TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
