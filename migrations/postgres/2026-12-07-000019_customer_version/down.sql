ALTER TABLE customers DROP COLUMN version;
