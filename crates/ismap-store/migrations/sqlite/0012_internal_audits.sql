-- Internal audits of ISMAP-LIU services (内部監査報告書, spec §7.4) and
-- IPA's check of them in an application's review.
-- Keep in step with ../postgres/0012_internal_audits.sql.

-- One row per internal audit as recorded. Rows are never rewritten: a
-- correction is a new row that `amends` the one it corrects (with the
-- reason), and the corrected row gets `superseded_by` set, once.
CREATE TABLE internal_audits (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    service_id         INTEGER NOT NULL REFERENCES services (id),
    organization_id    INTEGER NOT NULL REFERENCES organizations (id),
    audit_date         TEXT NOT NULL,
    period_start       TEXT NOT NULL,
    period_end         TEXT NOT NULL,
    auditor_name       TEXT NOT NULL,
    auditor_department TEXT NOT NULL DEFAULT '',
    results            TEXT NOT NULL,
    findings           TEXT NOT NULL DEFAULT '',
    file_id            INTEGER NOT NULL REFERENCES stored_files (id),
    amends             INTEGER REFERENCES internal_audits (id),
    amendment_reason   TEXT NOT NULL DEFAULT '',
    superseded_by      INTEGER REFERENCES internal_audits (id),
    recorded_at        TEXT NOT NULL,
    recorded_by        INTEGER REFERENCES users (id)
);
CREATE INDEX internal_audits_service ON internal_audits (service_id, id);
-- A record is corrected once; a later correction corrects the correction.
CREATE UNIQUE INDEX internal_audits_amends ON internal_audits (amends);

-- The control objectives (chapters 5-18) an internal audit covered.
CREATE TABLE internal_audit_objectives (
    audit_id  INTEGER NOT NULL REFERENCES internal_audits (id),
    objective TEXT NOT NULL,
    PRIMARY KEY (audit_id, objective)
);

-- IPA's record that it checked the internal audit reports of an
-- application, with the newest record it saw.
CREATE TABLE internal_audit_checks (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    application_id  INTEGER NOT NULL REFERENCES applications (id),
    latest_audit_id INTEGER REFERENCES internal_audits (id),
    note            TEXT NOT NULL,
    checked_at      TEXT NOT NULL,
    checked_by      INTEGER REFERENCES users (id),
    checker         TEXT NOT NULL
);
CREATE INDEX internal_audit_checks_application ON internal_audit_checks (application_id, id);

CREATE TRIGGER internal_audits_no_delete BEFORE DELETE ON internal_audits
BEGIN SELECT RAISE(ABORT, 'internal audits are append-only'); END;
CREATE TRIGGER internal_audits_no_rewrite BEFORE UPDATE OF id, service_id, organization_id,
    audit_date, period_start, period_end, auditor_name, auditor_department, results, findings,
    file_id, amends, amendment_reason, recorded_at, recorded_by ON internal_audits
BEGIN SELECT RAISE(ABORT, 'internal audits are append-only'); END;
CREATE TRIGGER internal_audits_superseded_once BEFORE UPDATE OF superseded_by ON internal_audits
WHEN OLD.superseded_by IS NOT NULL
BEGIN SELECT RAISE(ABORT, 'internal audits are append-only'); END;
CREATE TRIGGER internal_audit_objectives_no_update BEFORE UPDATE ON internal_audit_objectives
BEGIN SELECT RAISE(ABORT, 'internal audits are append-only'); END;
CREATE TRIGGER internal_audit_objectives_no_delete BEFORE DELETE ON internal_audit_objectives
BEGIN SELECT RAISE(ABORT, 'internal audits are append-only'); END;
CREATE TRIGGER internal_audit_checks_no_update BEFORE UPDATE ON internal_audit_checks
BEGIN SELECT RAISE(ABORT, 'internal audit checks are append-only'); END;
CREATE TRIGGER internal_audit_checks_no_delete BEFORE DELETE ON internal_audit_checks
BEGIN SELECT RAISE(ABORT, 'internal audit checks are append-only'); END;
