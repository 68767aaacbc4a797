-- Search of the public lists on an index (issue 12, item 14).
-- Keep in step with ../sqlite/0007_list_search.sql.
--
-- The search finds each word of the query as a substring of the service
-- or provider name (Japanese or English) or the registration number,
-- ignoring case. pg_trgm (PostgreSQL's contrib package; a trusted
-- extension, so the owner of the database may create it) indexes the
-- trigrams of one lower-cased text of those columns, and answers
-- `LIKE '%word%'` on that same expression from the index for words of 3
-- or more characters; shorter words (東京) are matched with LIKE on the rows
-- the longer words left (registrations::public_list). An expression index
-- is updated by PostgreSQL itself on every write of those columns.
--
-- The separator is a space: a search word never contains one, so a word
-- cannot match across two columns. Keep the expression identical to
-- SEARCH_TEXT_POSTGRES in src/registrations.rs, or the index is not used.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

--
-- fastupdate = off: a new registration goes into the index at once, not
-- into GIN's pending list, which every search would otherwise scan row by
-- row until the next VACUUM (2–3 ms per search after 10,000 inserts).
-- Registrations are written rarely and read on every list request.
CREATE INDEX registrations_search ON registrations USING gin (
    (lower(name || ' ' || name_en || ' ' || provider || ' ' || provider_en || ' ' || number)) gin_trgm_ops
) WITH (fastupdate = off);
