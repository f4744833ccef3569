ALTER TABLE calls DROP COLUMN hints_sealed;
ALTER TABLE customer_external_ids DROP COLUMN sealed;
ALTER TABLE customer_phones DROP COLUMN sealed;
