-- The audit trail (as on PostgreSQL): one row per change, in the order added
-- (`position`, never reused: AUTOINCREMENT), instants as Unix milliseconds. Append
-- only: the triggers refuse every UPDATE and DELETE.
CREATE TABLE audit_log (
    position INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id TEXT NOT NULL,
    at BIGINT NOT NULL,
    actor_kind TEXT NOT NULL,
    actor_id TEXT,
    actor_name TEXT NOT NULL,
    action TEXT NOT NULL,
    object TEXT,
    address TEXT,
    refusal TEXT
);
CREATE INDEX audit_log_by_account ON audit_log (account_id, position);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only: UPDATE refused');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only: DELETE refused');
END;
