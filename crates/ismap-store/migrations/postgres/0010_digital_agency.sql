-- The Digital Agency becomes an organization kind (spec §7.5).
ALTER TABLE organizations DROP CONSTRAINT organizations_kind_check;
ALTER TABLE organizations ADD CONSTRAINT organizations_kind_check
    CHECK (kind IN ('csp', 'audit_org', 'ipa', 'committee', 'secretariat', 'agency', 'digital_agency'));
