-- One revision per editing burst (issue 13): consecutive changes by the
-- same person within a few minutes update the latest revision instead of
-- adding one. `edits` counts the changes a revision holds (every change is
-- still in the event log), `updated_at` is the last of them, `extendable`
-- says whether a later change may join it (editor changes: yes; the first
-- revision, imports and API writes: no).
ALTER TABLE statement_revisions ADD COLUMN edits BIGINT NOT NULL DEFAULT 1;
ALTER TABLE statement_revisions ADD COLUMN updated_at TEXT;
ALTER TABLE statement_revisions ADD COLUMN extendable BIGINT NOT NULL DEFAULT 0;

-- Revisions stay append-only, except that the latest revision of a draft
-- may take one more change of its burst: same statement, number, author
-- and creation time, one edit more, nothing after it.
CREATE FUNCTION ismap_revision_burst_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'statement revisions are immutable';
    END IF;
    IF NEW.statement_id IS DISTINCT FROM OLD.statement_id
       OR NEW.number IS DISTINCT FROM OLD.number
       OR NEW.created_by IS DISTINCT FROM OLD.created_by
       OR NEW.created_at IS DISTINCT FROM OLD.created_at
       OR NEW.edits IS DISTINCT FROM OLD.edits + 1
       OR OLD.extendable = 0
       OR EXISTS (SELECT 1 FROM statement_revisions r
                  WHERE r.statement_id = OLD.statement_id AND r.number > OLD.number)
       OR EXISTS (SELECT 1 FROM statements s
                  WHERE s.id = OLD.statement_id AND s.status <> 'draft') THEN
        RAISE EXCEPTION 'statement revisions are immutable';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

DROP TRIGGER statement_revisions_immutable ON statement_revisions;
CREATE TRIGGER statement_revisions_burst_only BEFORE UPDATE OR DELETE ON statement_revisions
    FOR EACH ROW EXECUTE FUNCTION ismap_revision_burst_only();
