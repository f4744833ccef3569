-- The web console's sessions: the digest of the cookie's random id, the key that
-- signed in (its tenant is the session's; revoking it ends the session), sign-in and
-- last request (Unix milliseconds).
CREATE TABLE console_sessions (
    digest TEXT PRIMARY KEY NOT NULL,
    key_lookup_id TEXT NOT NULL REFERENCES api_keys (lookup_id),
    created_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL
);
CREATE INDEX console_sessions_by_key ON console_sessions (key_lookup_id);
