-- The benchmark data set on SQLite: the same customers as `dataset.sql` (customer i is
-- cust_b<i>, on +1212<2000000 + i> and crm:C<i>), in SQLite's types (instants as Unix
-- milliseconds, JSON as text). The harness substitutes {tenant}, {customers} and {now}
-- (Unix milliseconds); {day} is a day in milliseconds. Numbers and CRM ids are stored as
-- their blind indexes, which the harness computed into the temporary bench_tokens.
BEGIN;
CREATE TEMP TABLE bench_ids AS
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {customers})
SELECT i, 'cust_b' || i AS customer_ref, t.phone AS e164, t.shared, t.crm
  FROM n JOIN bench_tokens t USING (i);

INSERT INTO customers (tenant_id, customer_ref, created_at)
SELECT '{tenant}', customer_ref, {now} - (i % 365) * {day} FROM bench_ids;

INSERT INTO customer_phones (tenant_id, e164, customer_ref, line_type, linked_at)
SELECT '{tenant}', e164, customer_ref,
       CASE i % 3 WHEN 0 THEN 'mobile' WHEN 1 THEN 'landline' ELSE 'voip' END,
       {now} - (i % 365) * {day}
  FROM bench_ids;
INSERT INTO customer_phones (tenant_id, e164, customer_ref, line_type, linked_at)
SELECT '{tenant}', shared, customer_ref, 'landline',
       {now} - 30 * {day}
  FROM bench_ids WHERE i % 50 IN (0, 1);

INSERT INTO customer_external_ids (tenant_id, namespace, value, customer_ref, linked_at)
SELECT '{tenant}', 'crm', crm, customer_ref, {now} - (i % 365) * {day} FROM bench_ids;

INSERT INTO variables (tenant_id, customer_ref, key, value, source, ttl_seconds, expires_at, updated_at)
SELECT '{tenant}', customer_ref, 'plan_tier',
       CASE i % 3 WHEN 0 THEN 'gold' WHEN 1 THEN 'silver' ELSE 'bronze' END,
       'bench', 2592000, {now} + 20 * {day}, {now} - 10 * {day}
  FROM bench_ids;
INSERT INTO variables (tenant_id, customer_ref, key, value, source, ttl_seconds, expires_at, updated_at)
SELECT '{tenant}', customer_ref, 'last_order', 'ORD-' || i, 'bench', 86400,
       {now} - {day}, {now} - 2 * {day}
  FROM bench_ids WHERE i % 2 = 0;

INSERT INTO intents (tenant_id, customer_ref, name, attempt_count, first_seen, last_seen)
SELECT '{tenant}', customer_ref, 'billing_dispute', 1 + i % 3, {now} - 10 * {day}, {now} - 2 * {day}
  FROM bench_ids WHERE i % 5 = 0;

INSERT INTO calls (tenant_id, call_id, customer_ref, started_at, start_fingerprint,
                   confidence, sources, billable, provisional, ani, ani_withheld, dnis,
                   external_ids, ended_at, end_fingerprint, intents_updated,
                   variables_updated, intent, intent_status)
SELECT '{tenant}', 'hist-' || i || '-' || k, customer_ref,
       {now} - (k * 30 + i % 30) * {day}, 'bench-history', 90,
       '["ani","external_id"]', 0, 0, e164, 0, NULL,
       '{"crm":"' || crm || '"}',
       CASE WHEN k = 2 THEN {now} - (k * 30 + i % 30) * {day} + 240000 END,
       CASE WHEN k = 2 THEN 'bench-history' END,
       CASE WHEN k = 2 THEN 1 END, CASE WHEN k = 2 THEN 1 END,
       CASE WHEN k = 2 THEN 'billing_dispute' END, CASE WHEN k = 2 THEN 'open' END
  FROM bench_ids, (SELECT 1 AS k UNION ALL SELECT 2);

DROP TABLE bench_ids;
DROP TABLE bench_tokens;
COMMIT;

