-- The lists' search ignores width and case (issue 13): ＩａａＳ finds IaaS,
-- ｻﾝﾌﾟﾙ finds サンプル. Keep in step with ../sqlite/0008_list_search_folded.sql.
--
-- `search_text` holds the searched columns (name, name_en, provider,
-- provider_en, number, separated by spaces) folded as the query is:
-- Unicode NFKC, then lower case (registrations::search_text). It is
-- computed by the store, not by SQL, so that both backends fold exactly
-- alike (PostgreSQL's lower() depends on the database's locale): written
-- with every insert (a registration's names are never updated: a renewal
-- is a new row) and filled for the rows from before this migration right
-- after migrating (registrations::fill_search_text; NULL means "not yet
-- computed").
--
-- The trigram index now reads the folded column (fastupdate = off as in
-- 0007: a new registration is searchable through the index at once).
ALTER TABLE registrations ADD COLUMN search_text TEXT;

DROP INDEX registrations_search;

CREATE INDEX registrations_search ON registrations USING gin (search_text gin_trgm_ops)
    WITH (fastupdate = off);
