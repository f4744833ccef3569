-- What a start answered besides its confidence (recommendation, signals' weights,
-- candidates, risks), as the domain's JSON, so a retried start answers the same.
-- NULL for calls started before: they read back with the default thresholds.
ALTER TABLE calls ADD COLUMN explanation TEXT;
