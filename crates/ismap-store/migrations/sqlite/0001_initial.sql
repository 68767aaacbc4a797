-- ismap schema, SQLite. Times are UTC RFC 3339 text (sortable); flags are 0/1.
-- Keep in step with ../postgres/0001_initial.sql.

CREATE TABLE organizations (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT NOT NULL UNIQUE,
    name_en     TEXT NOT NULL DEFAULT '',
    kind        TEXT NOT NULL CHECK (kind IN ('csp', 'audit_org', 'ipa', 'committee', 'secretariat', 'agency')),
    created_at  TEXT NOT NULL
);

CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    username      TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    email         TEXT NOT NULL DEFAULT '',
    password_hash TEXT,
    oidc_issuer   TEXT,
    oidc_subject  TEXT,
    active        INTEGER NOT NULL DEFAULT 1,
    created_at    TEXT NOT NULL,
    UNIQUE (oidc_issuer, oidc_subject)
);

CREATE TABLE memberships (
    user_id         INTEGER NOT NULL REFERENCES users (id),
    organization_id INTEGER NOT NULL REFERENCES organizations (id),
    role            TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    PRIMARY KEY (user_id, organization_id, role)
);

CREATE TABLE sessions (
    id_hash      TEXT PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users (id),
    created_at   TEXT NOT NULL,
    expires_at   TEXT NOT NULL
);
CREATE INDEX sessions_expires ON sessions (expires_at);

CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id      INTEGER NOT NULL REFERENCES users (id),
    name         TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    created_at   TEXT NOT NULL,
    revoked_at   TEXT
);

CREATE TABLE sign_in_failures (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    username  TEXT NOT NULL,
    client    TEXT NOT NULL,
    at        TEXT NOT NULL
);
CREATE INDEX sign_in_failures_username ON sign_in_failures (username, at);

CREATE TABLE catalog_versions (
    id         TEXT PRIMARY KEY,
    version    TEXT NOT NULL,
    title_ja   TEXT NOT NULL,
    title_en   TEXT NOT NULL,
    excerpt    INTEGER NOT NULL,
    pack       TEXT NOT NULL,
    loaded_at  TEXT NOT NULL
);

CREATE TABLE catalog_controls (
    catalog_id  TEXT NOT NULL REFERENCES catalog_versions (id),
    control_id  TEXT NOT NULL,
    position    INTEGER NOT NULL,
    title_ja    TEXT NOT NULL,
    title_en    TEXT NOT NULL,
    text_ja     TEXT NOT NULL,
    text_en     TEXT NOT NULL,
    PRIMARY KEY (catalog_id, control_id)
);

CREATE TABLE services (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    organization_id INTEGER NOT NULL REFERENCES organizations (id),
    name            TEXT NOT NULL,
    model           TEXT NOT NULL CHECK (model IN ('IaaS', 'PaaS', 'SaaS')),
    description     TEXT NOT NULL DEFAULT '',
    url             TEXT NOT NULL DEFAULT '',
    registration_number TEXT,
    created_at      TEXT NOT NULL,
    UNIQUE (organization_id, name)
);

CREATE TABLE statements (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    service_id  INTEGER NOT NULL REFERENCES services (id),
    catalog_id  TEXT NOT NULL REFERENCES catalog_versions (id),
    status      TEXT NOT NULL DEFAULT 'draft',
    created_at  TEXT NOT NULL,
    created_by  INTEGER REFERENCES users (id)
);

-- Every save is a new revision; revisions are never changed.
CREATE TABLE statement_revisions (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    statement_id  INTEGER NOT NULL REFERENCES statements (id),
    number        INTEGER NOT NULL,
    content       TEXT NOT NULL,
    comment       TEXT NOT NULL DEFAULT '',
    errors        INTEGER NOT NULL,
    warnings      INTEGER NOT NULL,
    created_at    TEXT NOT NULL,
    created_by    INTEGER REFERENCES users (id),
    UNIQUE (statement_id, number)
);

-- Append-only record of every state change: who, when, what, before/after.
CREATE TABLE events (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    at           TEXT NOT NULL,
    actor_id     INTEGER REFERENCES users (id),
    actor        TEXT NOT NULL,
    action       TEXT NOT NULL,
    object_type  TEXT NOT NULL,
    object_id    TEXT NOT NULL,
    organization_id INTEGER REFERENCES organizations (id),
    before       TEXT,
    after        TEXT,
    reason       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX events_object ON events (object_type, object_id);

CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
CREATE TRIGGER statement_revisions_no_update BEFORE UPDATE ON statement_revisions
BEGIN SELECT RAISE(ABORT, 'statement revisions are immutable'); END;
CREATE TRIGGER statement_revisions_no_delete BEFORE DELETE ON statement_revisions
BEGIN SELECT RAISE(ABORT, 'statement revisions are immutable'); END;
