-- Search of the public lists on an index (issue 12, item 14).
-- Keep in step with ../postgres/0007_list_search.sql.
--
-- The search finds each word of the query as a substring of the service
-- or provider name (Japanese or English) or the registration number. A
-- full-text table with the trigram tokenizer (SQLite 3.34 or newer; the
-- bundled SQLite is 3.46) finds any substring of 3 or more characters
-- through its index, ignoring case; words of 1 or 2 characters (東京) are
-- matched with LIKE on the rows the longer words left
-- (registrations::public_list).
--
-- An external-content table: it stores only the index and reads the texts
-- from registrations; the triggers keep it in step with every insert,
-- update of a searched column and delete, in the same transaction.
CREATE VIRTUAL TABLE registrations_search USING fts5 (
    name, name_en, provider, provider_en, number,
    content = 'registrations', content_rowid = 'id',
    tokenize = 'trigram'
);

INSERT INTO registrations_search (registrations_search) VALUES ('rebuild');

CREATE TRIGGER registrations_search_insert AFTER INSERT ON registrations BEGIN
    INSERT INTO registrations_search (rowid, name, name_en, provider, provider_en, number)
    VALUES (new.id, new.name, new.name_en, new.provider, new.provider_en, new.number);
END;

CREATE TRIGGER registrations_search_delete AFTER DELETE ON registrations BEGIN
    INSERT INTO registrations_search (registrations_search, rowid, name, name_en, provider, provider_en, number)
    VALUES ('delete', old.id, old.name, old.name_en, old.provider, old.provider_en, old.number);
END;

CREATE TRIGGER registrations_search_update
AFTER UPDATE OF name, name_en, provider, provider_en, number ON registrations BEGIN
    INSERT INTO registrations_search (registrations_search, rowid, name, name_en, provider, provider_en, number)
    VALUES ('delete', old.id, old.name, old.name_en, old.provider, old.provider_en, old.number);
    INSERT INTO registrations_search (rowid, name, name_en, provider, provider_en, number)
    VALUES (new.id, new.name, new.name_en, new.provider, new.provider_en, new.number);
END;
