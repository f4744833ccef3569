-- Key labels and last use; the customer a stored idempotent response is about.
ALTER TABLE api_keys ADD COLUMN name TEXT NOT NULL DEFAULT 'default';
ALTER TABLE api_keys ADD COLUMN last_used_at BIGINT;
ALTER TABLE idempotency_keys ADD COLUMN customer_ref TEXT;
CREATE INDEX idempotency_keys_by_customer ON idempotency_keys (tenant_id, customer_ref)
    WHERE customer_ref IS NOT NULL;
