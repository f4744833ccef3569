-- How many confirmations in a row on a number's link carried an attestation that vouches
-- for the caller (A or B), since its latest one without: absence of STIR/SHAKEN is a
-- downgrade only on a number whose record shows a long run of them (docs/IDENTITY.md).
-- Links confirmed before this migration start from none.
ALTER TABLE customer_phones ADD COLUMN attested_run INTEGER NOT NULL DEFAULT 0
    CHECK (attested_run >= 0);
