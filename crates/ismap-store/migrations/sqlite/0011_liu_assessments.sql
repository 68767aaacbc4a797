-- ISMAP-LIU: business/information impact assessments (業務・情報の影響度評価),
-- the agency CISO's approval delegations and pre-applications (事前申請)
-- (spec §7.2, seed 001/002). Keep in step with ../postgres/0011_liu_assessments.sql.

CREATE TABLE impact_assessments (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    service_id      INTEGER NOT NULL REFERENCES services (id),
    provider_id     INTEGER NOT NULL REFERENCES organizations (id),
    agency_id       INTEGER NOT NULL REFERENCES organizations (id),
    use_name        TEXT NOT NULL,
    use_key         TEXT NOT NULL,
    note            TEXT NOT NULL DEFAULT '',
    state           TEXT NOT NULL CHECK (state IN ('requested', 'submitted', 'returned', 'approved')),
    business        TEXT NOT NULL DEFAULT '',
    business_other  TEXT NOT NULL DEFAULT '',
    information     TEXT NOT NULL DEFAULT '',
    confidentiality TEXT NOT NULL DEFAULT '',
    impact          TEXT NOT NULL DEFAULT '',
    reasoning       TEXT NOT NULL DEFAULT '',
    result          TEXT NOT NULL DEFAULT '',
    reused_from     INTEGER REFERENCES impact_assessments (id),
    requested_by    INTEGER REFERENCES users (id),
    requested_at    TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    approved_by     INTEGER REFERENCES users (id),
    approved_at     TEXT
);
CREATE INDEX impact_assessments_service ON impact_assessments (service_id, state);
CREATE INDEX impact_assessments_agency ON impact_assessments (agency_id, state);

-- An approved assessment is immutable: the database refuses any change.
CREATE TRIGGER impact_assessments_approved_immutable BEFORE UPDATE ON impact_assessments
    WHEN OLD.state = 'approved'
    BEGIN SELECT RAISE(ABORT, 'an approved impact assessment is immutable'); END;
CREATE TRIGGER impact_assessments_no_delete BEFORE DELETE ON impact_assessments
    BEGIN SELECT RAISE(ABORT, 'impact_assessments is append-only'); END;

-- Every step of an assessment, with who, when and why.
CREATE TABLE impact_assessment_steps (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    assessment_id INTEGER NOT NULL REFERENCES impact_assessments (id),
    step          TEXT NOT NULL,
    from_state    TEXT NOT NULL,
    to_state      TEXT NOT NULL,
    reason        TEXT NOT NULL DEFAULT '',
    at            TEXT NOT NULL,
    actor_id      INTEGER REFERENCES users (id),
    actor         TEXT NOT NULL
);
CREATE INDEX impact_assessment_steps_a ON impact_assessment_steps (assessment_id, id);

-- A CISO's delegation of assessment approval to an officer of the agency.
CREATE TABLE approval_delegations (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    agency_id   INTEGER NOT NULL REFERENCES organizations (id),
    delegate_id INTEGER NOT NULL REFERENCES users (id),
    reason      TEXT NOT NULL DEFAULT '',
    granted_by  INTEGER REFERENCES users (id),
    granted_at  TEXT NOT NULL,
    revoked_by  INTEGER REFERENCES users (id),
    revoked_at  TEXT,
    revoke_reason TEXT NOT NULL DEFAULT ''
);
CREATE INDEX approval_delegations_agency ON approval_delegations (agency_id, delegate_id);

CREATE TABLE pre_applications (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    service_id      INTEGER NOT NULL REFERENCES services (id),
    organization_id INTEGER NOT NULL REFERENCES organizations (id),
    state           TEXT NOT NULL CHECK (state IN ('submitted', 'accepted', 'returned', 'withdrawn')),
    confidentiality2_declared INTEGER NOT NULL,
    note            TEXT NOT NULL DEFAULT '',
    submitted_by    INTEGER REFERENCES users (id),
    submitted_at    TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE INDEX pre_applications_service ON pre_applications (service_id, state);

-- The approved assessments a pre-application rests on (per round: a
-- resubmission may change them; earlier rounds stay).
CREATE TABLE pre_application_assessments (
    pre_application_id INTEGER NOT NULL REFERENCES pre_applications (id),
    round              INTEGER NOT NULL,
    assessment_id      INTEGER NOT NULL REFERENCES impact_assessments (id),
    PRIMARY KEY (pre_application_id, round, assessment_id)
);

CREATE TABLE pre_application_documents (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    pre_application_id INTEGER NOT NULL REFERENCES pre_applications (id),
    round              INTEGER NOT NULL,
    file_id            INTEGER NOT NULL REFERENCES stored_files (id),
    added_at           TEXT NOT NULL,
    added_by           INTEGER REFERENCES users (id)
);
CREATE INDEX pre_application_documents_p ON pre_application_documents (pre_application_id, id);

CREATE TABLE pre_application_transitions (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    pre_application_id INTEGER NOT NULL REFERENCES pre_applications (id),
    transition         TEXT NOT NULL,
    from_state         TEXT NOT NULL,
    to_state           TEXT NOT NULL,
    reason             TEXT NOT NULL DEFAULT '',
    at                 TEXT NOT NULL,
    actor_id           INTEGER REFERENCES users (id),
    actor              TEXT NOT NULL
);
CREATE INDEX pre_application_transitions_p ON pre_application_transitions (pre_application_id, id);
