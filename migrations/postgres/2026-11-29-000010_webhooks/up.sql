-- Webhooks (docs/WEBHOOKS.md). Endpoints a tenant registered; the outbox of events,
-- written in the transaction of the change each reports; one delivery row per event
-- and subscribed endpoint, claimed by workers with FOR UPDATE SKIP LOCKED.
CREATE TABLE webhook_endpoints (
    id                    text        PRIMARY KEY,
    tenant_id             uuid        NOT NULL,
    url                   text        NOT NULL,
    events                text[]      NOT NULL,
    description           text        NOT NULL,
    secret                text        NOT NULL,
    previous_secret       text,
    previous_secret_until timestamptz,
    created_at            timestamptz NOT NULL,
    disabled_at           timestamptz
);
CREATE INDEX webhook_endpoints_by_tenant ON webhook_endpoints (tenant_id, created_at);

CREATE TABLE webhook_events (
    id           text        PRIMARY KEY,
    tenant_id    uuid        NOT NULL,
    event_type   text        NOT NULL,
    customer_ref text,
    body         text        NOT NULL,
    created_at   timestamptz NOT NULL
);
-- Erasing a customer erases the events about them (and, by cascade, their deliveries).
CREATE INDEX webhook_events_by_customer ON webhook_events (tenant_id, customer_ref)
    WHERE customer_ref IS NOT NULL;
CREATE INDEX webhook_events_by_time ON webhook_events (created_at);

CREATE TABLE webhook_deliveries (
    event_id        text        NOT NULL REFERENCES webhook_events (id) ON DELETE CASCADE,
    endpoint_id     text        NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    status          text        NOT NULL CHECK (status IN ('pending', 'delivered', 'failed', 'cancelled')),
    attempts        integer     NOT NULL CHECK (attempts >= 0),
    next_attempt_at timestamptz,
    last_attempt_at timestamptz,
    last_status     integer,
    last_error      text,
    created_at      timestamptz NOT NULL,
    PRIMARY KEY (event_id, endpoint_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_by_endpoint ON webhook_deliveries (endpoint_id, created_at DESC);
