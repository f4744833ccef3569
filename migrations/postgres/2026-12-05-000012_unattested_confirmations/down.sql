ALTER TABLE customer_phones DROP COLUMN last_unattested_at;
