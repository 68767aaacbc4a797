-- Audits (spec §4): the audit organization list, engagements, per-control
-- results, encrypted evidence files, the implementation result report,
-- improvement plans and the provider's evidence library.
-- Keep in step with ../postgres/0003_audits.sql.

-- A term on the audit organization list (2 years); a renewal is a new row.
CREATE TABLE audit_org_registrations (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    organization_id INTEGER NOT NULL REFERENCES organizations (id),
    valid_from      TEXT NOT NULL,
    valid_until     TEXT NOT NULL,
    renewal_of      INTEGER REFERENCES audit_org_registrations (id),
    created_at      TEXT NOT NULL,
    created_by      INTEGER REFERENCES users (id)
);
CREATE INDEX audit_org_registrations_org ON audit_org_registrations (organization_id, valid_until);

-- One key per organization, wrapped by the master key. Destroying it
-- (wrapped_key NULL) erases every file it encrypted (暗号化消去).
CREATE TABLE organization_keys (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    organization_id INTEGER NOT NULL REFERENCES organizations (id),
    wrapped_key     BLOB,
    created_at      TEXT NOT NULL,
    destroyed_at    TEXT,
    destroyed_by    INTEGER REFERENCES users (id)
);

CREATE TABLE stored_files (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    organization_id INTEGER NOT NULL REFERENCES organizations (id),
    key_id          INTEGER NOT NULL REFERENCES organization_keys (id),
    file_name       TEXT NOT NULL,
    content_type    TEXT NOT NULL,
    size            INTEGER NOT NULL,
    sha256          TEXT NOT NULL,
    nonce           BLOB NOT NULL,
    ciphertext      BLOB NOT NULL,
    uploaded_at     TEXT NOT NULL,
    uploaded_by     INTEGER REFERENCES users (id)
);

CREATE TABLE engagements (
    id                    INTEGER PRIMARY KEY AUTOINCREMENT,
    statement_id          INTEGER NOT NULL REFERENCES statements (id),
    revision              INTEGER NOT NULL,
    csp_organization_id   INTEGER NOT NULL REFERENCES organizations (id),
    audit_organization_id INTEGER NOT NULL REFERENCES organizations (id),
    period_start          TEXT NOT NULL,
    period_end            TEXT NOT NULL,
    scope                 TEXT NOT NULL CHECK (scope IN ('full', 'multi_year', 'liu')),
    cycle_years           INTEGER NOT NULL DEFAULT 1,
    cycle_year            INTEGER NOT NULL DEFAULT 1,
    status                TEXT NOT NULL DEFAULT 'requested',
    created_at            TEXT NOT NULL,
    created_by            INTEGER REFERENCES users (id)
);

CREATE TABLE engagement_auditors (
    engagement_id INTEGER NOT NULL REFERENCES engagements (id),
    user_id       INTEGER NOT NULL REFERENCES users (id),
    assigned_at   TEXT NOT NULL,
    assigned_by   INTEGER REFERENCES users (id),
    PRIMARY KEY (engagement_id, user_id)
);

-- Each recording is a new row; the latest per control is the current result.
CREATE TABLE audit_results (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    engagement_id INTEGER NOT NULL REFERENCES engagements (id),
    control_id    TEXT NOT NULL,
    performed     TEXT NOT NULL,
    result        TEXT NOT NULL CHECK (result IN ('conforming', 'deficiency', 'not_tested')),
    finding       TEXT NOT NULL DEFAULT '',
    samples       TEXT NOT NULL DEFAULT '',
    recorded_at   TEXT NOT NULL,
    recorded_by   INTEGER REFERENCES users (id)
);
CREATE INDEX audit_results_engagement ON audit_results (engagement_id, control_id, id);

-- Files the auditors collected for a control of an engagement.
CREATE TABLE audit_evidence (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    engagement_id INTEGER NOT NULL REFERENCES engagements (id),
    control_id    TEXT NOT NULL,
    file_id       INTEGER NOT NULL REFERENCES stored_files (id),
    note          TEXT NOT NULL DEFAULT '',
    added_at      TEXT NOT NULL,
    added_by      INTEGER REFERENCES users (id)
);

-- An issue of the implementation result report: a frozen snapshot.
CREATE TABLE audit_reports (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    engagement_id INTEGER NOT NULL REFERENCES engagements (id),
    issue         INTEGER NOT NULL,
    content       TEXT NOT NULL,
    reason        TEXT NOT NULL DEFAULT '',
    issued_at     TEXT NOT NULL,
    issued_by     INTEGER REFERENCES users (id),
    UNIQUE (engagement_id, issue)
);

CREATE TABLE improvement_items (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    engagement_id INTEGER NOT NULL REFERENCES engagements (id),
    report_id     INTEGER NOT NULL REFERENCES audit_reports (id),
    control_id    TEXT NOT NULL,
    measure       TEXT NOT NULL,
    due_date      TEXT NOT NULL,
    status        TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'in_progress', 'completed')),
    created_at    TEXT NOT NULL,
    created_by    INTEGER REFERENCES users (id),
    updated_at    TEXT NOT NULL
);

-- The provider's evidence library.
CREATE TABLE evidence_items (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    organization_id INTEGER NOT NULL REFERENCES organizations (id),
    title           TEXT NOT NULL,
    description     TEXT NOT NULL DEFAULT '',
    owner           TEXT NOT NULL,
    expires_on      TEXT,
    file_id         INTEGER REFERENCES stored_files (id),
    created_at      TEXT NOT NULL,
    created_by      INTEGER REFERENCES users (id)
);

CREATE TABLE evidence_item_controls (
    item_id    INTEGER NOT NULL REFERENCES evidence_items (id),
    control_id TEXT NOT NULL,
    PRIMARY KEY (item_id, control_id)
);

CREATE TRIGGER audit_reports_no_update BEFORE UPDATE ON audit_reports
BEGIN SELECT RAISE(ABORT, 'issued reports are immutable'); END;
CREATE TRIGGER audit_reports_no_delete BEFORE DELETE ON audit_reports
BEGIN SELECT RAISE(ABORT, 'issued reports are immutable'); END;
CREATE TRIGGER audit_results_no_update BEFORE UPDATE ON audit_results
BEGIN SELECT RAISE(ABORT, 'audit results are append-only'); END;
CREATE TRIGGER audit_results_no_delete BEFORE DELETE ON audit_results
BEGIN SELECT RAISE(ABORT, 'audit results are append-only'); END;
