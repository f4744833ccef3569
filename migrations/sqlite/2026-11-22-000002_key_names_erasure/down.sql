DROP INDEX idempotency_keys_by_customer;
ALTER TABLE idempotency_keys DROP COLUMN customer_ref;
ALTER TABLE api_keys DROP COLUMN last_used_at;
ALTER TABLE api_keys DROP COLUMN name;
