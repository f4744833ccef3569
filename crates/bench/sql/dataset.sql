-- The benchmark data set, generated in bulk inside PostgreSQL. The harness substitutes
-- {tenant} (a uuid) and {customers} (a count). Customer i (1..{customers}) is
-- cust_b<i>, reachable on +1212<2000000 + i> and by the CRM id crm:C<i>: stored, as the
-- server stores them, as their blind indexes, which the harness computed into
-- bench_tokens (phone, shared = the household line +1213<2000000 + i>, crm), with the variables'
-- values and sources sealed under the customer's key (plan_tier gold/silver/bronze,
-- last_order ORD-<i>); for the server with encryption off, bench_tokens holds the
-- values themselves. The links' sealed copies are left out (no phase reads them back).
CREATE TEMP TABLE bench_ids AS
SELECT i, 'cust_b' || i AS customer_ref, t.phone AS e164, t.shared, t.crm, t.plan,
       t.plan_source, t.last_order, t.order_source
  FROM generate_series(1, {customers}) AS i JOIN bench_tokens t USING (i);

INSERT INTO customers (tenant_id, customer_ref, created_at)
SELECT '{tenant}', customer_ref, now() - (i % 365) * interval '1 day' FROM bench_ids;

-- One number each, with a line type; every 50th customer also shares a household
-- landline with the next one.
INSERT INTO customer_phones (tenant_id, e164, customer_ref, line_type, linked_at)
SELECT '{tenant}', e164, customer_ref, (ARRAY['mobile', 'landline', 'voip'])[1 + i % 3],
       now() - (i % 365) * interval '1 day'
  FROM bench_ids;
INSERT INTO customer_phones (tenant_id, e164, customer_ref, line_type, linked_at)
SELECT '{tenant}', shared, customer_ref, 'landline',
       now() - interval '30 days'
  FROM bench_ids WHERE i % 50 IN (0, 1);

INSERT INTO customer_external_ids (tenant_id, namespace, value, customer_ref, linked_at)
SELECT '{tenant}', 'crm', crm, customer_ref, now() - (i % 365) * interval '1 day'
  FROM bench_ids;

-- A live variable for everyone, an expired one (not yet purged) for every other one.
INSERT INTO variables (tenant_id, customer_ref, key, value, source, ttl_seconds, expires_at, updated_at)
SELECT '{tenant}', customer_ref, 'plan_tier', plan, plan_source, 2592000, now() + interval '20 days', now() - interval '10 days'
  FROM bench_ids;
INSERT INTO variables (tenant_id, customer_ref, key, value, source, ttl_seconds, expires_at, updated_at)
SELECT '{tenant}', customer_ref, 'last_order', last_order, order_source, 86400,
       now() - interval '1 day', now() - interval '2 days'
  FROM bench_ids WHERE i % 2 = 0;

-- An open intent for one customer in five.
INSERT INTO intents (tenant_id, customer_ref, name, attempt_count, first_seen, last_seen)
SELECT '{tenant}', customer_ref, 'billing_dispute', 1 + i % 3,
       now() - interval '10 days', now() - interval '2 days'
  FROM bench_ids WHERE i % 5 = 0;

-- Two past calls each: an ended one and one never ended (the load's ends close those).
INSERT INTO calls (tenant_id, call_id, customer_ref, started_at, start_fingerprint,
                   confidence, sources, billable, provisional, ani, ani_withheld, dnis,
                   external_ids, hint_customer_ref, line_type, ended_at, end_fingerprint,
                   intents_updated, variables_updated, intent, intent_status)
SELECT '{tenant}', 'hist-' || i || '-' || k, customer_ref,
       now() - (k * 30 + i % 30) * interval '1 day', 'bench-history', 90,
       ARRAY['ani', 'external_id'], false, false, e164, false, NULL,
       jsonb_build_object('crm', crm), NULL, NULL,
       CASE WHEN k = 2 THEN now() - (k * 30 + i % 30) * interval '1 day' + interval '4 minutes' END,
       CASE WHEN k = 2 THEN 'bench-history' END,
       CASE WHEN k = 2 THEN 1 END, CASE WHEN k = 2 THEN 1 END,
       CASE WHEN k = 2 THEN 'billing_dispute' END, CASE WHEN k = 2 THEN 'open' END
  FROM bench_ids, generate_series(1, 2) AS k;

-- The console's month: one customer in eight called once in the last 30 days, spread
-- over its days and hours (about 125 k calls at 1 M customers), ended, a third of them
-- resolving their intent.
INSERT INTO calls (tenant_id, call_id, customer_ref, started_at, start_fingerprint,
                   confidence, sources, billable, provisional, ani, ani_withheld, dnis,
                   external_ids, hint_customer_ref, line_type, ended_at, end_fingerprint,
                   intents_updated, variables_updated, intent, intent_status)
SELECT '{tenant}', 'recent-' || i, customer_ref, at, 'bench-history', 50 + i % 50,
       ARRAY['ani', 'external_id'], i % 16 = 0, false, e164, false, NULL,
       jsonb_build_object('crm', crm), NULL, NULL, at + interval '4 minutes',
       'bench-history', 1, 1, 'billing_dispute',
       CASE WHEN i % 3 = 0 THEN 'resolved' ELSE 'open' END
  FROM (SELECT *, now() - (i / 8 % 30) * interval '1 day'
                      - (i / 8 % 1440) * interval '1 minute' AS at
          FROM bench_ids WHERE i % 8 = 0) AS recent;

DROP TABLE bench_ids;
