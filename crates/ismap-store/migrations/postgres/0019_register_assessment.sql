-- Issue 15 (area register, item 3): which of the agency's own ISMAP-LIU
-- impact assessments (影響評価) covers the use a register entry records.
-- The procurement check of an ISMAP-LIU service answers "approved for this
-- use" only for the assessment named here (this system's reading of the
-- seed rule that the procuring agency's own assessment is needed). That it
-- is the entry's agency's assessment of the entry's service is checked by
-- the form and again by the store before every update. Keep in step with
-- ../sqlite/0019_register_assessment.sql.
ALTER TABLE cloud_usage_entries ADD COLUMN impact_assessment_id BIGINT REFERENCES impact_assessments (id);
