-- Sticky Calls on SQLite: the same model as PostgreSQL's (see migrations/postgres),
-- with instants as Unix milliseconds (BIGINT), UUIDs and JSON as TEXT.

CREATE TABLE customers (
    tenant_id    TEXT   NOT NULL,
    customer_ref TEXT   NOT NULL,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, customer_ref)
);

CREATE TABLE customer_phones (
    tenant_id    TEXT   NOT NULL,
    e164         TEXT   NOT NULL,
    customer_ref TEXT   NOT NULL,
    line_type    TEXT,
    linked_at    BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, e164, customer_ref),
    FOREIGN KEY (tenant_id, customer_ref) REFERENCES customers (tenant_id, customer_ref) ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE INDEX customer_phones_by_customer ON customer_phones (tenant_id, customer_ref);

CREATE TABLE customer_external_ids (
    tenant_id    TEXT   NOT NULL,
    namespace    TEXT   NOT NULL,
    value        TEXT   NOT NULL,
    customer_ref TEXT   NOT NULL,
    linked_at    BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, namespace, value, customer_ref),
    FOREIGN KEY (tenant_id, customer_ref) REFERENCES customers (tenant_id, customer_ref) ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE INDEX customer_external_ids_by_customer ON customer_external_ids (tenant_id, customer_ref);

CREATE TABLE calls (
    tenant_id          TEXT     NOT NULL,
    call_id            TEXT     NOT NULL,
    customer_ref       TEXT     NOT NULL,
    started_at         BIGINT   NOT NULL,
    start_fingerprint  TEXT     NOT NULL,
    confidence         SMALLINT NOT NULL,
    sources            TEXT     NOT NULL,
    billable           BOOLEAN  NOT NULL,
    provisional        BOOLEAN  NOT NULL,
    ani                TEXT,
    ani_withheld       BOOLEAN  NOT NULL,
    dnis               TEXT,
    external_ids       TEXT     NOT NULL,
    hint_customer_ref  TEXT,
    line_type          TEXT,
    ended_at           BIGINT,
    end_fingerprint    TEXT,
    intents_updated    INTEGER,
    variables_updated  INTEGER,
    intent             TEXT,
    intent_status      TEXT,
    PRIMARY KEY (tenant_id, call_id),
    FOREIGN KEY (tenant_id, customer_ref) REFERENCES customers (tenant_id, customer_ref) ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE INDEX calls_by_customer ON calls (tenant_id, customer_ref, started_at DESC);

CREATE TABLE intents (
    tenant_id     TEXT    NOT NULL,
    customer_ref  TEXT    NOT NULL,
    name          TEXT    NOT NULL,
    attempt_count INTEGER NOT NULL,
    first_seen    BIGINT  NOT NULL,
    last_seen     BIGINT  NOT NULL,
    PRIMARY KEY (tenant_id, customer_ref, name),
    FOREIGN KEY (tenant_id, customer_ref) REFERENCES customers (tenant_id, customer_ref) ON DELETE CASCADE ON UPDATE CASCADE
);

CREATE TABLE variables (
    tenant_id    TEXT    NOT NULL,
    customer_ref TEXT    NOT NULL,
    key          TEXT    NOT NULL,
    value        TEXT    NOT NULL,
    source       TEXT,
    ttl_seconds  INTEGER NOT NULL,
    expires_at   BIGINT  NOT NULL,
    updated_at   BIGINT  NOT NULL,
    PRIMARY KEY (tenant_id, customer_ref, key),
    FOREIGN KEY (tenant_id, customer_ref) REFERENCES customers (tenant_id, customer_ref) ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE INDEX variables_by_expiry ON variables (expires_at);

CREATE TABLE credit_balances (
    tenant_id      TEXT   PRIMARY KEY,
    plan           TEXT   NOT NULL,
    allowance      BIGINT NOT NULL CHECK (allowance >= 0),
    anchor         BIGINT NOT NULL,
    period_start   BIGINT NOT NULL,
    allowance_left BIGINT NOT NULL CHECK (allowance_left >= 0),
    top_up         BIGINT NOT NULL CHECK (top_up >= 0)
);

CREATE TABLE credit_ledger (
    entry_id       INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id      TEXT    NOT NULL,
    at             BIGINT  NOT NULL,
    kind           TEXT    NOT NULL CHECK (kind IN ('allowance', 'top_up', 'debit')),
    credits        BIGINT  NOT NULL,
    from_allowance BIGINT  NOT NULL DEFAULT 0,
    from_top_up    BIGINT  NOT NULL DEFAULT 0,
    period_start   BIGINT  NOT NULL,
    call_id        TEXT,
    note           TEXT
);
CREATE INDEX credit_ledger_by_period ON credit_ledger (tenant_id, period_start);

CREATE TABLE accounts (
    account_id TEXT   PRIMARY KEY,
    name       TEXT   NOT NULL,
    email      TEXT,
    created_at BIGINT NOT NULL
);

CREATE TABLE api_keys (
    lookup_id   TEXT   PRIMARY KEY,
    account_id  TEXT   NOT NULL REFERENCES accounts ON DELETE CASCADE,
    environment TEXT   NOT NULL,
    hash        TEXT   NOT NULL,
    last4       TEXT   NOT NULL,
    created_at  BIGINT NOT NULL,
    revoked_at  BIGINT
);
CREATE INDEX api_keys_by_account ON api_keys (account_id);

CREATE TABLE idempotency_keys (
    tenant_id       TEXT   NOT NULL,
    key             TEXT   NOT NULL,
    fingerprint     TEXT   NOT NULL,
    created_at      BIGINT NOT NULL,
    response_status INTEGER,
    response_body   TEXT,
    PRIMARY KEY (tenant_id, key)
);
