-- Issue 15: what agencies record (spec §8, seed 000) and the in-portal
-- notifications everyone receives. The shared core only: each feature adds
-- its own tables in its own migration. Keep in step with
-- ../postgres/0014_agency_register.sql.

-- The cloud usage register: each agency's cloud services in use or planned.
-- Rows are never deleted: an entry ends (status 'ended'); every change is
-- an event, and updates are conditional on version.
CREATE TABLE cloud_usage_entries (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    agency_id          INTEGER NOT NULL REFERENCES organizations (id),
    system_name        TEXT NOT NULL,
    -- The portal's service when it is one (registered or applying); else
    -- the service and its provider named in words.
    service_id         INTEGER REFERENCES services (id),
    service_name       TEXT NOT NULL,
    provider_name      TEXT NOT NULL,
    purpose            TEXT NOT NULL DEFAULT '',
    -- Highest confidentiality level of the information handled (1–3).
    confidentiality    INTEGER NOT NULL CHECK (confidentiality BETWEEN 1 AND 3),
    start_of_use       TEXT NOT NULL,
    status             TEXT NOT NULL CHECK (status IN ('planned', 'in_use', 'ended')),
    -- How the agency stands when the service is not registered:
    -- 'registered' (on a list), 'ciso_confirmed', 'interim', or 'undecided'.
    path               TEXT NOT NULL DEFAULT 'undecided'
                       CHECK (path IN ('undecided', 'registered', 'ciso_confirmed', 'interim')),
    note               TEXT NOT NULL DEFAULT '',
    version            INTEGER NOT NULL DEFAULT 1,
    created_at         TEXT NOT NULL,
    created_by         INTEGER REFERENCES users (id),
    updated_at         TEXT NOT NULL,
    updated_by         INTEGER REFERENCES users (id)
);
CREATE INDEX cloud_usage_entries_agency ON cloud_usage_entries (agency_id);
CREATE INDEX cloud_usage_entries_service ON cloud_usage_entries (service_id);

-- An interim measure (暫定措置) on one register entry: told to the
-- secretariat, with the deadline by which the service must be applied for.
CREATE TABLE interim_measures (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    entry_id           INTEGER NOT NULL UNIQUE REFERENCES cloud_usage_entries (id),
    agency_id          INTEGER NOT NULL REFERENCES organizations (id),
    -- 'programme_start' (in use when the programme started) or
    -- 'start_of_use' (planned); origin_date is the day counted from.
    origin             TEXT NOT NULL CHECK (origin IN ('programme_start', 'start_of_use')),
    origin_date        TEXT NOT NULL,
    deadline           TEXT NOT NULL,
    -- What the agency told the secretariat about the service's status.
    current_status     TEXT NOT NULL,
    -- 'open' (waiting for the application), 'applied' (an application is in
    -- the portal), 'reported' (reported to the secretariat: no application
    -- by the deadline or none expected), 'closed' (registered, or ended).
    state              TEXT NOT NULL DEFAULT 'open'
                       CHECK (state IN ('open', 'applied', 'reported', 'closed')),
    closed_reason      TEXT,
    closed_at          TEXT,
    version            INTEGER NOT NULL DEFAULT 1,
    created_at         TEXT NOT NULL,
    created_by         INTEGER REFERENCES users (id),
    updated_at         TEXT NOT NULL
);
CREATE INDEX interim_measures_agency ON interim_measures (agency_id);
CREATE INDEX interim_measures_deadline ON interim_measures (state, deadline);

-- In-portal notifications, one row per person. dedupe_key makes scheduled
-- notices idempotent: the same key for the same person is written once.
CREATE TABLE notifications (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id            INTEGER NOT NULL REFERENCES users (id),
    -- What it is about, e.g. 'interim.deadline_30'; people choose e-mails by kind.
    kind               TEXT NOT NULL,
    -- A message catalog id and its arguments (JSON object of strings):
    -- shown in the reader's language.
    message_id         TEXT NOT NULL,
    args               TEXT NOT NULL DEFAULT '{}',
    link               TEXT NOT NULL DEFAULT '',
    dedupe_key         TEXT,
    created_at         TEXT NOT NULL,
    read_at            TEXT,
    emailed_at         TEXT
);
CREATE INDEX notifications_user ON notifications (user_id, read_at);
CREATE UNIQUE INDEX notifications_dedupe ON notifications (user_id, dedupe_key);
