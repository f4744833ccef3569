-- Keys a tenant manages itself: a label and when the key was last used (recorded
-- when a server process verifies it, so within one verified-key cache lifetime).
ALTER TABLE api_keys
    ADD COLUMN name         text NOT NULL DEFAULT 'default',
    ADD COLUMN last_used_at timestamptz;

-- A stored idempotent response names the customer its body is about, so erasing the
-- customer erases it too.
ALTER TABLE idempotency_keys ADD COLUMN customer_ref text;
CREATE INDEX idempotency_keys_by_customer ON idempotency_keys (tenant_id, customer_ref)
    WHERE customer_ref IS NOT NULL;
