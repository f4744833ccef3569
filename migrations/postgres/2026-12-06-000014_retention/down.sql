ALTER TABLE accounts DROP COLUMN closed_at;
DROP TABLE retention_settings;
