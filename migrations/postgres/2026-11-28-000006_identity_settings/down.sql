DROP TABLE identity_settings;
ALTER TABLE calls DROP COLUMN verdict;
