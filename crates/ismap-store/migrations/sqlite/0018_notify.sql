-- Issue 15, item 9: e-mail of notifications, people's choice of e-mails,
-- and the daily scheduled checks. Keep in step with
-- ../postgres/0018_notify.sql.

-- E-mail delivery of each notification. A sender claims a row by a
-- conditional UPDATE (email_claim set while emailed_at is NULL and nobody
-- holds a fresh claim), so two processes never send the same mail.
-- emailed_at is set once the mail is sent or when none is to be sent;
-- email_outcome says which ('sent', 'off': the person chose not to get
-- this kind, 'no_address'). Failures count attempts and wait until
-- email_retry_at (back-off); nothing is dropped.
ALTER TABLE notifications ADD COLUMN email_claim TEXT;
ALTER TABLE notifications ADD COLUMN email_claimed_at TEXT;
ALTER TABLE notifications ADD COLUMN email_attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE notifications ADD COLUMN email_retry_at TEXT;
ALTER TABLE notifications ADD COLUMN email_error TEXT;
ALTER TABLE notifications ADD COLUMN email_outcome TEXT;
CREATE INDEX notifications_email_pending ON notifications (emailed_at, email_retry_at);

-- Which kinds of e-mail a person gets (interim, question, registration,
-- liu_coverage, evidence, channel, review, other). No row: on.
CREATE TABLE notification_email_prefs (
    user_id     INTEGER NOT NULL REFERENCES users (id),
    kind        TEXT NOT NULL,
    enabled     INTEGER NOT NULL CHECK (enabled IN (0, 1)),
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (user_id, kind)
);

-- The daily checks: one row per job and (Japan) day. The process whose
-- INSERT succeeds runs the job; a failed or abandoned run is taken over by
-- a conditional UPDATE. Rows are kept as the scheduler's history.
CREATE TABLE scheduled_runs (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    job          TEXT NOT NULL,
    day          TEXT NOT NULL,
    -- 'running', 'done' or 'failed'.
    state        TEXT NOT NULL CHECK (state IN ('running', 'done', 'failed')),
    claimed_by   TEXT NOT NULL,
    started_at   TEXT NOT NULL,
    finished_at  TEXT,
    attempts     INTEGER NOT NULL DEFAULT 1,
    notices      INTEGER NOT NULL DEFAULT 0,
    error        TEXT,
    UNIQUE (job, day)
);
