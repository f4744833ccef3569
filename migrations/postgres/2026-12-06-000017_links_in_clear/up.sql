-- Links a version before encryption wrote in clear (a number or an external id as its
-- value, not its `bi1.` blind index), found without scanning by partial indexes that
-- hold only those rows, as 2026-12-06-000016 does for variables and calls: empty once
-- the background migration has moved every link to its index. The store's queries
-- repeat the predicates word for word, as literals.
CREATE INDEX customer_phones_in_clear ON customer_phones (tenant_id, e164, customer_ref)
    WHERE e164 NOT LIKE 'bi1.%';
CREATE INDEX customer_external_ids_in_clear
    ON customer_external_ids (tenant_id, namespace, value, customer_ref)
    WHERE value NOT LIKE 'bi1.%';
