ALTER TABLE calls DROP COLUMN explanation;
