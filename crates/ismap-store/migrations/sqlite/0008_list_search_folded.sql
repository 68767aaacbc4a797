-- The lists' search ignores width and case (issue 13): ＩａａＳ finds IaaS,
-- ｻﾝﾌﾟﾙ finds サンプル. Keep in step with ../postgres/0008_list_search_folded.sql.
--
-- `search_text` holds the searched columns (name, name_en, provider,
-- provider_en, number, separated by spaces) folded as the query is:
-- Unicode NFKC, then lower case (registrations::search_text). SQL cannot
-- compute NFKC on SQLite, so the store writes it with every insert (a
-- registration's names are never updated: a renewal is a new row), and
-- fills it for the rows from before this migration right after migrating
-- (registrations::fill_search_text; NULL means "not yet computed").
--
-- The trigram index now reads the folded text: an external-content FTS5
-- table over `search_text`, kept in step by triggers in the same
-- transaction as every write of it.
ALTER TABLE registrations ADD COLUMN search_text TEXT;

DROP TRIGGER registrations_search_insert;
DROP TRIGGER registrations_search_delete;
DROP TRIGGER registrations_search_update;
DROP TABLE registrations_search;

CREATE VIRTUAL TABLE registrations_search USING fts5 (
    search_text,
    content = 'registrations', content_rowid = 'id',
    tokenize = 'trigram'
);

CREATE TRIGGER registrations_search_insert AFTER INSERT ON registrations BEGIN
    INSERT INTO registrations_search (rowid, search_text) VALUES (new.id, new.search_text);
END;

CREATE TRIGGER registrations_search_delete AFTER DELETE ON registrations BEGIN
    INSERT INTO registrations_search (registrations_search, rowid, search_text)
    VALUES ('delete', old.id, old.search_text);
END;

CREATE TRIGGER registrations_search_update AFTER UPDATE OF search_text ON registrations BEGIN
    INSERT INTO registrations_search (registrations_search, rowid, search_text)
    VALUES ('delete', old.id, old.search_text);
    INSERT INTO registrations_search (rowid, search_text) VALUES (new.id, new.search_text);
END;
