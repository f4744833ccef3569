ALTER TABLE customer_phones DROP COLUMN last_attestation;
ALTER TABLE customer_phones DROP COLUMN last_confirmed_at;
ALTER TABLE customer_phones DROP COLUMN first_confirmed_at;
ALTER TABLE calls DROP COLUMN attestation;
ALTER TABLE calls DROP COLUMN explanation;
