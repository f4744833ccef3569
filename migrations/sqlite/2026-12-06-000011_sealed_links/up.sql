-- Numbers and external ids at rest: `customer_phones.e164`, `customer_external_ids.value`,
-- `calls.ani` and the values of `calls.external_ids` now hold blind indexes (keyed
-- hashes the lookups compare), and each value is kept sealed under its customer's key
-- beside them. `calls.dnis` is no longer written: the dialled number is in the call's
-- sealed hints. Rows written before this version keep their values in clear.
ALTER TABLE customer_phones ADD COLUMN sealed TEXT;
ALTER TABLE customer_external_ids ADD COLUMN sealed TEXT;
ALTER TABLE calls ADD COLUMN hints_sealed TEXT;
