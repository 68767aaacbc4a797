-- The special measures service list (特別措置サービスリスト, spec §7.5, seed
-- 001), kept by the Digital Agency and shared with government bodies only.
-- Entries are never deleted: an entry is ended with a reason (status
-- 'ended'); every change is an event. Keep in step with
-- ../postgres/0013_special_measures.sql.
CREATE TABLE special_measures (
    id                    INTEGER PRIMARY KEY AUTOINCREMENT,
    service_name          TEXT NOT NULL,
    provider              TEXT NOT NULL,
    -- The portal's service, when the entry is for one (optional: entries
    -- imported from records kept elsewhere name the service in words).
    service_id            INTEGER REFERENCES services (id),
    qualifying_event      TEXT NOT NULL CHECK (qualifying_event IN ('pre_application', 'application')),
    -- The deadline of seed 001 (令和7年3月末), also enforced here.
    qualifying_date       TEXT NOT NULL CHECK (qualifying_date <= '2025-03-31'),
    -- NULL: not granted; else what is exempted.
    submissions_exemption TEXT,
    audit_exemption       TEXT,
    period_start          TEXT NOT NULL,
    period_end            TEXT NOT NULL,
    note                  TEXT NOT NULL DEFAULT '',
    source                TEXT NOT NULL CHECK (source IN ('form', 'import')),
    status                TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'ended')),
    search_text           TEXT NOT NULL,
    created_at            TEXT NOT NULL,
    created_by            INTEGER REFERENCES users (id),
    ended_at              TEXT,
    ended_by              INTEGER REFERENCES users (id),
    end_reason            TEXT,
    CHECK (period_end >= period_start)
);
CREATE INDEX special_measures_service ON special_measures (service_id);
CREATE TRIGGER special_measures_no_delete BEFORE DELETE ON special_measures
BEGIN SELECT RAISE(ABORT, 'special measures entries are ended, never deleted'); END;
