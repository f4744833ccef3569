-- Rows a version before encryption wrote in clear, found without scanning: partial
-- indexes that hold only those rows (none are written any more, so once the background
-- sealing is done they are empty and cost nothing to keep). The sealing's queries use
-- the same predicates, word for word and as literals: the planner matches a partial
-- index's predicate at planning time, so a bound parameter cannot use it (PostgreSQL
-- documentation, 11.8 "Partial Indexes"). `starts with` is the SQL/JSON path predicate
-- for a string prefix, and jsonb_path_exists is immutable, as an index predicate must be
-- (9.16.2 "The SQL/JSON Path Language"; checked on PostgreSQL 15 with EXPLAIN).
CREATE INDEX variables_in_clear ON variables (tenant_id, customer_ref, key)
    WHERE value NOT LIKE 'sc1.%';
CREATE INDEX calls_hints_in_clear ON calls (tenant_id, call_id)
    WHERE dnis IS NOT NULL
       OR (ani IS NOT NULL AND ani NOT LIKE 'bi1.%')
       OR jsonb_path_exists(external_ids, '$.* ? (!(@ starts with "bi1."))');
