-- Sticky Calls: call memory. Every table's key starts with tenant_id (one account's
-- environment), so the schema can be distributed by tenant without redesign.

CREATE TABLE customers (
    tenant_id    uuid        NOT NULL,
    customer_ref text        NOT NULL,
    created_at   timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, customer_ref)
);

-- Phone links: who has been seen on a number (E.164). (tenant, e164) is the hot lookup.
CREATE TABLE customer_phones (
    tenant_id    uuid        NOT NULL,
    e164         text        NOT NULL,
    customer_ref text        NOT NULL,
    line_type    text,
    linked_at    timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, e164, customer_ref),
    FOREIGN KEY (tenant_id, customer_ref) REFERENCES customers ON DELETE CASCADE ON UPDATE CASCADE,
    CHECK (line_type IN ('mobile', 'landline', 'voip', 'toll_free', 'unknown'))
);
CREATE INDEX customer_phones_by_customer ON customer_phones (tenant_id, customer_ref);

-- External ids (CRM ids...). (tenant, namespace, value) is the hot lookup.
CREATE TABLE customer_external_ids (
    tenant_id    uuid        NOT NULL,
    namespace    text        NOT NULL,
    value        text        NOT NULL,
    customer_ref text        NOT NULL,
    linked_at    timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, namespace, value, customer_ref),
    FOREIGN KEY (tenant_id, customer_ref) REFERENCES customers ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE INDEX customer_external_ids_by_customer ON customer_external_ids (tenant_id, customer_ref);

CREATE TABLE calls (
    tenant_id          uuid        NOT NULL,
    call_id            text        NOT NULL,
    customer_ref       text        NOT NULL,
    started_at         timestamptz NOT NULL,
    start_fingerprint  text        NOT NULL,
    confidence         smallint    NOT NULL CHECK (confidence BETWEEN 0 AND 100),
    sources            text[]      NOT NULL,
    billable           boolean     NOT NULL,
    provisional        boolean     NOT NULL,
    ani                text,
    ani_withheld       boolean     NOT NULL,
    dnis               text,
    external_ids       jsonb       NOT NULL,
    hint_customer_ref  text,
    line_type          text,
    ended_at           timestamptz,
    end_fingerprint    text,
    intents_updated    integer,
    variables_updated  integer,
    intent             text,
    intent_status      text,
    PRIMARY KEY (tenant_id, call_id),
    FOREIGN KEY (tenant_id, customer_ref) REFERENCES customers ON DELETE CASCADE ON UPDATE CASCADE
);
-- Recency of a customer (max started_at) and erasure.
CREATE INDEX calls_by_customer ON calls (tenant_id, customer_ref, started_at DESC);

-- Open intents only: one per (customer, name); closing deletes the row (the call keeps
-- the history in calls.intent / intent_status).
CREATE TABLE intents (
    tenant_id     uuid        NOT NULL,
    customer_ref  text        NOT NULL,
    name          text        NOT NULL,
    attempt_count integer     NOT NULL CHECK (attempt_count > 0),
    first_seen    timestamptz NOT NULL,
    last_seen     timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, customer_ref, name),
    FOREIGN KEY (tenant_id, customer_ref) REFERENCES customers ON DELETE CASCADE ON UPDATE CASCADE
);

CREATE TABLE variables (
    tenant_id    uuid        NOT NULL,
    customer_ref text        NOT NULL,
    key          text        NOT NULL,
    value        text        NOT NULL,
    source       text,
    ttl_seconds  integer     NOT NULL,
    expires_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, customer_ref, key),
    FOREIGN KEY (tenant_id, customer_ref) REFERENCES customers ON DELETE CASCADE ON UPDATE CASCADE
);
-- The background purge of expired variables.
CREATE INDEX variables_by_expiry ON variables (expires_at);

-- Credits per tenant: this period's allowance, then purchased top-ups. The checks make
-- a negative balance impossible whatever the statement.
CREATE TABLE credit_balances (
    tenant_id      uuid   PRIMARY KEY,
    allowance_left bigint NOT NULL DEFAULT 0 CHECK (allowance_left >= 0),
    top_up         bigint NOT NULL DEFAULT 0 CHECK (top_up >= 0)
);
