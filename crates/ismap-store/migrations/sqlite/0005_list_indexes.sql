-- Indexes for the public lists under load (issue 7).
-- Keep in step with ../postgres/0005_list_indexes.sql.

-- The version of the lists (latest registration and application event),
-- read on every list request to tell whether a cached answer is current:
-- MAX(id) for one object type is then a single index lookup.
CREATE INDEX events_type_id ON events (object_type, id);

-- The default order of the lists (by registration number), so that a page
-- can be read in index order instead of sorting the whole list.
CREATE INDEX registrations_list_number ON registrations (list, superseded, number);
