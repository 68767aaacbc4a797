-- The Digital Agency becomes an organization kind (spec §7.5). SQLite cannot
-- alter a CHECK constraint, so the table is rebuilt the documented way:
-- Db::migrate runs SQLite migrations with foreign keys off and checks them
-- afterwards (PRAGMA foreign_keys cannot change inside the migration's
-- transaction).
CREATE TABLE organizations_new (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT NOT NULL UNIQUE,
    name_en     TEXT NOT NULL DEFAULT '',
    kind        TEXT NOT NULL CHECK (kind IN ('csp', 'audit_org', 'ipa', 'committee', 'secretariat', 'agency', 'digital_agency')),
    created_at  TEXT NOT NULL
);
INSERT INTO organizations_new (id, name, name_en, kind, created_at)
    SELECT id, name, name_en, kind, created_at FROM organizations;
DROP TABLE organizations;
ALTER TABLE organizations_new RENAME TO organizations;
