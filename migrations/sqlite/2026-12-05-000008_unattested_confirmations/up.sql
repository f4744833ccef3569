-- The latest confirmation on a number's link that came without any attestation (see the
-- PostgreSQL migration of the same name).
ALTER TABLE customer_phones ADD COLUMN last_unattested_at BIGINT;
