-- Identity 2.0 (docs/IDENTITY.md).
-- What a start answered besides its confidence (recommendation, signals' weights,
-- candidates, risks), as the domain's JSON, so a retried start answers the same; NULL
-- for calls started before (they read back with the default thresholds). The
-- attestation the start carried, for the confirmation its end records.
ALTER TABLE calls ADD COLUMN explanation JSONB;
ALTER TABLE calls ADD COLUMN attestation TEXT;
-- Each number's memory of who was confirmed on it, when, and with which attestation.
ALTER TABLE customer_phones ADD COLUMN first_confirmed_at TIMESTAMPTZ;
ALTER TABLE customer_phones ADD COLUMN last_confirmed_at TIMESTAMPTZ;
ALTER TABLE customer_phones ADD COLUMN last_attestation TEXT;
