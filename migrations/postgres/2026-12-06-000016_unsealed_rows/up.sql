-- Rows a version before encryption wrote in clear, found without scanning: partial
-- indexes that hold only those rows (none are written any more, so once the background
-- sealing is done they are empty and cost nothing to keep). The sealing's queries use
-- the same predicates, word for word, so the planner reads these indexes.
CREATE INDEX variables_in_clear ON variables (tenant_id, customer_ref, key)
    WHERE value NOT LIKE 'sc1.%';
CREATE INDEX calls_hints_in_clear ON calls (tenant_id, call_id)
    WHERE dnis IS NOT NULL
       OR (ani IS NOT NULL AND ani NOT LIKE 'bi1.%')
       OR jsonb_path_exists(external_ids, '$.* ? (!(@ starts with "bi1."))');
