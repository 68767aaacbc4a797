-- Issue 15, items 5–7: the channel between agencies and the secretariat
-- (ISMAP運営委員会事務局): inquiries (調査) with their questions, doubts (疑義),
-- status requests (申請状況の問合せ) and programme notices (お知らせ) with
-- read receipts. Rows are never deleted; every change is an event.
-- Keep in step with ../postgres/0017_channel.sql.

-- An inquiry the secretariat opens to one agency, optionally about an
-- interim measure. open → answered (every question answered) → closed.
CREATE TABLE inquiries (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    agency_id          INTEGER NOT NULL REFERENCES organizations (id),
    interim_measure_id INTEGER REFERENCES interim_measures (id),
    subject            TEXT NOT NULL,
    body               TEXT NOT NULL DEFAULT '',
    state              TEXT NOT NULL DEFAULT 'open'
                       CHECK (state IN ('open', 'answered', 'closed')),
    conclusion         TEXT,
    closed_at          TEXT,
    closed_by          INTEGER REFERENCES users (id),
    version            INTEGER NOT NULL DEFAULT 1,
    created_at         TEXT NOT NULL,
    created_by         INTEGER REFERENCES users (id),
    updated_at         TEXT NOT NULL
);
CREATE INDEX inquiries_agency ON inquiries (agency_id, state);
CREATE INDEX inquiries_interim ON inquiries (interim_measure_id);

-- A question of an inquiry, answered once by the agency.
CREATE TABLE inquiry_questions (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    inquiry_id         INTEGER NOT NULL REFERENCES inquiries (id),
    question           TEXT NOT NULL,
    due_date           TEXT NOT NULL,
    asked_at           TEXT NOT NULL,
    asked_by           INTEGER REFERENCES users (id),
    answer             TEXT,
    answered_at        TEXT,
    answered_by        INTEGER REFERENCES users (id)
);
CREATE INDEX inquiry_questions_inquiry ON inquiry_questions (inquiry_id);

-- A doubt an agency shares about a service it uses.
-- submitted → (referred_ipa | referred_committee)* → answered → closed.
CREATE TABLE doubts (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    agency_id          INTEGER NOT NULL REFERENCES organizations (id),
    service_id         INTEGER REFERENCES services (id),
    service_name       TEXT NOT NULL,
    description        TEXT NOT NULL,
    state              TEXT NOT NULL DEFAULT 'submitted'
                       CHECK (state IN ('submitted', 'referred_ipa', 'referred_committee', 'answered', 'closed')),
    -- Once referred, the body keeps seeing the doubt.
    referred_ipa_at       TEXT,
    referred_committee_at TEXT,
    answer             TEXT,
    outcome            TEXT,
    version            INTEGER NOT NULL DEFAULT 1,
    created_at         TEXT NOT NULL,
    created_by         INTEGER REFERENCES users (id),
    updated_at         TEXT NOT NULL,
    closed_at          TEXT
);
CREATE INDEX doubts_agency ON doubts (agency_id, state);
CREATE INDEX doubts_created ON doubts (created_at);

-- Notes of the secretariat and of the bodies a doubt was referred to.
CREATE TABLE doubt_notes (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    doubt_id           INTEGER NOT NULL REFERENCES doubts (id),
    -- 'secretariat', 'ipa' or 'committee'.
    body_kind          TEXT NOT NULL CHECK (body_kind IN ('secretariat', 'ipa', 'committee')),
    note               TEXT NOT NULL,
    created_at         TEXT NOT NULL,
    created_by         INTEGER REFERENCES users (id)
);
CREATE INDEX doubt_notes_doubt ON doubt_notes (doubt_id);

-- An agency's request for the application status of a service.
CREATE TABLE status_requests (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    agency_id          INTEGER NOT NULL REFERENCES organizations (id),
    service_id         INTEGER REFERENCES services (id),
    service_name       TEXT NOT NULL,
    question           TEXT NOT NULL DEFAULT '',
    state              TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'answered')),
    answer             TEXT,
    answered_at        TEXT,
    answered_by        INTEGER REFERENCES users (id),
    version            INTEGER NOT NULL DEFAULT 1,
    created_at         TEXT NOT NULL,
    created_by         INTEGER REFERENCES users (id)
);
CREATE INDEX status_requests_agency ON status_requests (agency_id, state);

-- A programme notice to every agency.
CREATE TABLE programme_notices (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    title              TEXT NOT NULL,
    body               TEXT NOT NULL,
    published_at       TEXT NOT NULL,
    published_by       INTEGER REFERENCES users (id)
);

-- Who read a notice, once per person.
CREATE TABLE notice_receipts (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    notice_id          INTEGER NOT NULL REFERENCES programme_notices (id),
    user_id            INTEGER NOT NULL REFERENCES users (id),
    organization_id    INTEGER NOT NULL REFERENCES organizations (id),
    read_at            TEXT NOT NULL
);
CREATE UNIQUE INDEX notice_receipts_once ON notice_receipts (notice_id, user_id);

-- Attachments of the channel's objects (encrypted stored_files):
-- object_type 'inquiry' (question_id: the answered question, or none),
-- 'doubt', 'notice'.
CREATE TABLE channel_files (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    object_type        TEXT NOT NULL CHECK (object_type IN ('inquiry', 'doubt', 'notice')),
    object_id          INTEGER NOT NULL,
    question_id        INTEGER REFERENCES inquiry_questions (id),
    file_id            INTEGER NOT NULL UNIQUE REFERENCES stored_files (id),
    added_at           TEXT NOT NULL
);
CREATE INDEX channel_files_object ON channel_files (object_type, object_id);
