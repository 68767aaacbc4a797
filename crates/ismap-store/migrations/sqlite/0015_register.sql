-- Issue 15 (area register): procurement checks (調達前確認) stored as dated
-- snapshots on a register entry, and CISO confirmations (CISO確認) of an
-- unregistered service. Keep in step with ../postgres/0015_register.sql.

-- A procurement check: what was true on `checked_for_day`, as checked at
-- `checked_at`. Never updated, never deleted.
CREATE TABLE procurement_checks (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    entry_id           INTEGER NOT NULL REFERENCES cloud_usage_entries (id),
    agency_id          INTEGER NOT NULL REFERENCES organizations (id),
    service_id         INTEGER REFERENCES services (id),
    checked_for_day    TEXT NOT NULL,
    checked_at         TEXT NOT NULL,
    checked_by         INTEGER REFERENCES users (id),
    verdict            TEXT NOT NULL,
    -- The whole result as JSON (ismap_domain::procurement::CheckResult).
    result             TEXT NOT NULL
);
CREATE INDEX procurement_checks_entry ON procurement_checks (entry_id);

-- The CISO's confirmation, under their responsibility, that an
-- unregistered service meets the programme's requirements (seed 000 §1).
CREATE TABLE ciso_confirmations (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    entry_id           INTEGER NOT NULL REFERENCES cloud_usage_entries (id),
    agency_id          INTEGER NOT NULL REFERENCES organizations (id),
    basis              TEXT NOT NULL,
    evidence_note      TEXT NOT NULL DEFAULT '',
    file_id            INTEGER REFERENCES stored_files (id),
    confirmed_on       TEXT NOT NULL,
    confirmed_by       INTEGER NOT NULL REFERENCES users (id),
    -- The officer who prepared the draft, when not the CISO.
    prepared_by        INTEGER REFERENCES users (id),
    created_at         TEXT NOT NULL
);
CREATE INDEX ciso_confirmations_entry ON ciso_confirmations (entry_id);

-- The draft an officer prepares for the CISO (one per entry, replaced as
-- it is edited; the confirmation itself is the row above).
CREATE TABLE ciso_confirmation_drafts (
    entry_id           INTEGER PRIMARY KEY REFERENCES cloud_usage_entries (id),
    basis              TEXT NOT NULL,
    evidence_note      TEXT NOT NULL DEFAULT '',
    file_id            INTEGER REFERENCES stored_files (id),
    prepared_by        INTEGER NOT NULL REFERENCES users (id),
    prepared_at        TEXT NOT NULL
);
