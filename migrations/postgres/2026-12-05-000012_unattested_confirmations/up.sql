-- The latest confirmation on a number's link that came without any attestation: absence
-- of STIR/SHAKEN is a downgrade only on a number whose recent calls were consistently
-- attested (docs/IDENTITY.md). `last_attestation` now keeps the latest attestation that
-- was sent, which an unattested call no longer erases.
ALTER TABLE customer_phones ADD COLUMN last_unattested_at TIMESTAMPTZ;
