-- Applications, review and registrations (spec §5, §6).
-- Keep in step with ../postgres/0004_registration.sql.

CREATE TABLE applications (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    service_id        INTEGER NOT NULL REFERENCES services (id),
    organization_id   INTEGER NOT NULL REFERENCES organizations (id),
    list              TEXT NOT NULL CHECK (list IN ('ismap', 'liu')),
    statement_id      INTEGER NOT NULL REFERENCES statements (id),
    statement_revision INTEGER NOT NULL,
    engagement_id     INTEGER NOT NULL REFERENCES engagements (id),
    report_issue      INTEGER NOT NULL,
    renewal_of        INTEGER,
    form              TEXT NOT NULL,
    state             TEXT NOT NULL,
    submitted_at      TEXT NOT NULL,
    submitted_by      INTEGER REFERENCES users (id),
    updated_at        TEXT NOT NULL
);
CREATE INDEX applications_state ON applications (state, submitted_at);
CREATE INDEX applications_renewal ON applications (renewal_of);

-- Every move of an application, with who, when and why.
CREATE TABLE application_transitions (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    application_id INTEGER NOT NULL REFERENCES applications (id),
    transition     TEXT NOT NULL,
    from_state     TEXT NOT NULL,
    to_state       TEXT NOT NULL,
    reason         TEXT NOT NULL DEFAULT '',
    at             TEXT NOT NULL,
    actor_id       INTEGER REFERENCES users (id),
    actor          TEXT NOT NULL
);
CREATE INDEX application_transitions_app ON application_transitions (application_id, id);

-- Uploaded documents: the management representation letter, annexes,
-- attachments to answers. Files are encrypted with the provider's key.
CREATE TABLE application_documents (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    application_id INTEGER NOT NULL REFERENCES applications (id),
    kind           TEXT NOT NULL CHECK (kind IN ('management_letter', 'annex', 'answer')),
    file_id        INTEGER NOT NULL REFERENCES stored_files (id),
    question_id    INTEGER,
    added_at       TEXT NOT NULL,
    added_by       INTEGER REFERENCES users (id)
);

-- IPA's questions (RFI) and the provider's answers; an answer is given once.
CREATE TABLE review_questions (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    application_id INTEGER NOT NULL REFERENCES applications (id),
    question       TEXT NOT NULL,
    due_date       TEXT NOT NULL,
    asked_at       TEXT NOT NULL,
    asked_by       INTEGER REFERENCES users (id),
    answer         TEXT,
    answered_at    TEXT,
    answered_by    INTEGER REFERENCES users (id)
);

-- Registrations on the lists. A renewal is a new row; the row it renews
-- keeps its history.
CREATE TABLE registrations (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    service_id        INTEGER NOT NULL REFERENCES services (id),
    organization_id   INTEGER NOT NULL REFERENCES organizations (id),
    application_id    INTEGER REFERENCES applications (id),
    list              TEXT NOT NULL CHECK (list IN ('ismap', 'liu')),
    number            TEXT NOT NULL UNIQUE,
    serial            INTEGER NOT NULL,
    valid_from        TEXT NOT NULL,
    valid_until       TEXT NOT NULL,
    registered_on     TEXT NOT NULL,
    renewal_of        INTEGER REFERENCES registrations (id),
    superseded        INTEGER NOT NULL DEFAULT 0,
    suspended_at      TEXT,
    suspension_reason TEXT NOT NULL DEFAULT '',
    improvement_plan  INTEGER NOT NULL DEFAULT 0,
    name              TEXT NOT NULL,
    name_en           TEXT NOT NULL DEFAULT '',
    provider          TEXT NOT NULL,
    provider_en       TEXT NOT NULL DEFAULT '',
    model             TEXT NOT NULL,
    public            TEXT NOT NULL,
    updated_at        TEXT NOT NULL
);
CREATE INDEX registrations_listed ON registrations (superseded, list, valid_until);
CREATE INDEX registrations_service ON registrations (service_id);

CREATE TRIGGER application_transitions_no_update BEFORE UPDATE ON application_transitions
BEGIN SELECT RAISE(ABORT, 'application transitions are append-only'); END;
CREATE TRIGGER application_transitions_no_delete BEFORE DELETE ON application_transitions
BEGIN SELECT RAISE(ABORT, 'application transitions are append-only'); END;
CREATE TRIGGER applications_no_delete BEFORE DELETE ON applications
BEGIN SELECT RAISE(ABORT, 'applications are never deleted'); END;
CREATE TRIGGER registrations_no_delete BEFORE DELETE ON registrations
BEGIN SELECT RAISE(ABORT, 'registrations are never deleted'); END;
