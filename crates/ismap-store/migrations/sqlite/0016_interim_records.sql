-- Issue 15 (interim): what the agency records while an interim measure
-- (暫定措置, seed 000 「2 暫定措置について」) runs, and after its report.
-- Append-only lists: rows are never updated or deleted; a plan is revised
-- by a newer row (the latest is current). Keep in step with
-- ../postgres/0016_interim_records.sql.

-- The agency keeps using the service on its own responsibility
-- (各政府機関等の責任において利用を継続する): an explicit acknowledgement.
CREATE TABLE interim_acknowledgements (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    measure_id         INTEGER NOT NULL REFERENCES interim_measures (id),
    statement          TEXT NOT NULL,
    acknowledged_at    TEXT NOT NULL,
    acknowledged_by    INTEGER REFERENCES users (id)
);
CREATE INDEX interim_acknowledgements_measure ON interim_acknowledgements (measure_id);

-- The agency asked the provider to apply (本制度の案内、周知).
CREATE TABLE interim_provider_requests (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    measure_id         INTEGER NOT NULL REFERENCES interim_measures (id),
    requested_on       TEXT NOT NULL,
    method             TEXT NOT NULL,
    note               TEXT NOT NULL DEFAULT '',
    created_at         TEXT NOT NULL,
    created_by         INTEGER REFERENCES users (id)
);
CREATE INDEX interim_provider_requests_measure ON interim_provider_requests (measure_id);

-- Hearings (聴取) of the provider's conformance status.
CREATE TABLE interim_hearings (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    measure_id         INTEGER NOT NULL REFERENCES interim_measures (id),
    heard_on           TEXT NOT NULL,
    summary            TEXT NOT NULL,
    created_at         TEXT NOT NULL,
    created_by         INTEGER REFERENCES users (id)
);
CREATE INDEX interim_hearings_measure ON interim_hearings (measure_id);

-- The report (報告) to the secretariat: one per measure.
CREATE TABLE interim_reports (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    measure_id         INTEGER NOT NULL UNIQUE REFERENCES interim_measures (id),
    reason             TEXT NOT NULL CHECK (reason IN ('deadline_passed', 'no_application_expected')),
    body               TEXT NOT NULL,
    reported_on        TEXT NOT NULL,
    created_at         TEXT NOT NULL,
    created_by         INTEGER REFERENCES users (id)
);

-- The plan after the report (移行作業の準備や予算要求); the latest row is
-- the plan in force.
CREATE TABLE interim_plans (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    measure_id         INTEGER NOT NULL REFERENCES interim_measures (id),
    kind               TEXT NOT NULL CHECK (kind IN ('migration', 'budget_request')),
    description        TEXT NOT NULL,
    planned_start      TEXT NOT NULL,
    planned_completion TEXT NOT NULL,
    created_at         TEXT NOT NULL,
    created_by         INTEGER REFERENCES users (id)
);
CREATE INDEX interim_plans_measure ON interim_plans (measure_id);

-- Progress of the plan.
CREATE TABLE interim_progress (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    measure_id         INTEGER NOT NULL REFERENCES interim_measures (id),
    progress_on        TEXT NOT NULL,
    body               TEXT NOT NULL,
    created_at         TEXT NOT NULL,
    created_by         INTEGER REFERENCES users (id)
);
CREATE INDEX interim_progress_measure ON interim_progress (measure_id);

-- Append-only: the database refuses changes and deletes.
CREATE TRIGGER interim_acknowledgements_no_update BEFORE UPDATE ON interim_acknowledgements
BEGIN SELECT RAISE(ABORT, 'interim records are append-only'); END;
CREATE TRIGGER interim_acknowledgements_no_delete BEFORE DELETE ON interim_acknowledgements
BEGIN SELECT RAISE(ABORT, 'interim records are append-only'); END;
CREATE TRIGGER interim_provider_requests_no_update BEFORE UPDATE ON interim_provider_requests
BEGIN SELECT RAISE(ABORT, 'interim records are append-only'); END;
CREATE TRIGGER interim_provider_requests_no_delete BEFORE DELETE ON interim_provider_requests
BEGIN SELECT RAISE(ABORT, 'interim records are append-only'); END;
CREATE TRIGGER interim_hearings_no_update BEFORE UPDATE ON interim_hearings
BEGIN SELECT RAISE(ABORT, 'interim records are append-only'); END;
CREATE TRIGGER interim_hearings_no_delete BEFORE DELETE ON interim_hearings
BEGIN SELECT RAISE(ABORT, 'interim records are append-only'); END;
CREATE TRIGGER interim_reports_no_update BEFORE UPDATE ON interim_reports
BEGIN SELECT RAISE(ABORT, 'interim records are append-only'); END;
CREATE TRIGGER interim_reports_no_delete BEFORE DELETE ON interim_reports
BEGIN SELECT RAISE(ABORT, 'interim records are append-only'); END;
CREATE TRIGGER interim_plans_no_update BEFORE UPDATE ON interim_plans
BEGIN SELECT RAISE(ABORT, 'interim records are append-only'); END;
CREATE TRIGGER interim_plans_no_delete BEFORE DELETE ON interim_plans
BEGIN SELECT RAISE(ABORT, 'interim records are append-only'); END;
CREATE TRIGGER interim_progress_no_update BEFORE UPDATE ON interim_progress
BEGIN SELECT RAISE(ABORT, 'interim records are append-only'); END;
CREATE TRIGGER interim_progress_no_delete BEFORE DELETE ON interim_progress
BEGIN SELECT RAISE(ABORT, 'interim records are append-only'); END;
CREATE TRIGGER interim_measures_no_delete BEFORE DELETE ON interim_measures
BEGIN SELECT RAISE(ABORT, 'interim measures are closed, never deleted'); END;
