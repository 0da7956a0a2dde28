-- Where a plugin was pulled from (an OCI reference), for `plugin outdated` and `plugin update`.
ALTER TABLE plugins ADD COLUMN source TEXT;
