-- Accounts (customer companies) and their API keys. Keys are stored only as argon2id
-- hashes, found by their public lookup id.
CREATE TABLE accounts (
    account_id uuid        PRIMARY KEY,
    name       text        NOT NULL,
    email      text,
    created_at timestamptz NOT NULL
);

CREATE TABLE api_keys (
    lookup_id    text        PRIMARY KEY,
    account_id   uuid        NOT NULL REFERENCES accounts ON DELETE CASCADE,
    environment  text        NOT NULL CHECK (environment IN ('test', 'prod')),
    hash         text        NOT NULL,
    last4        text        NOT NULL,
    created_at   timestamptz NOT NULL,
    revoked_at   timestamptz
);
CREATE INDEX api_keys_by_account ON api_keys (account_id);

-- Responses kept for Idempotency-Key, per tenant, for 24 h. A row without a response
-- is a request in flight.
CREATE TABLE idempotency_keys (
    tenant_id       uuid        NOT NULL,
    key             text        NOT NULL,
    fingerprint     text        NOT NULL,
    created_at      timestamptz NOT NULL,
    response_status smallint,
    response_body   text,
    PRIMARY KEY (tenant_id, key)
);
CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at);
