-- How many confirmations in a row on a number's link carried an attestation that vouches
-- for the caller (see the PostgreSQL migration of the same name).
ALTER TABLE customer_phones ADD COLUMN attested_run INTEGER NOT NULL DEFAULT 0
    CHECK (attested_run >= 0);
