-- The audit trail: one row per change made by a person, a key or the operator (who,
-- what, which object, from which address, when, with which result), in the order added
-- (`position`, from one sequence: a later line always has a larger position). No
-- personal data of callers: a customer is named by its keyed digest. Append only: the
-- trigger below refuses every UPDATE and DELETE, and TRUNCATE, whoever sends them.
CREATE TABLE audit_log (
    account_id uuid NOT NULL,
    position bigint GENERATED ALWAYS AS IDENTITY,
    at timestamptz NOT NULL,
    actor_kind text NOT NULL,
    actor_id uuid,
    actor_name text NOT NULL,
    action text NOT NULL,
    object text,
    address text,
    refusal text,
    PRIMARY KEY (account_id, position)
);

CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP
        USING ERRCODE = 'restrict_violation';
END;
$$;

CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
