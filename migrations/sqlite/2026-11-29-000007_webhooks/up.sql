-- Webhooks (docs/WEBHOOKS.md): endpoints, the outbox of events (written in the
-- transaction of the change each reports) and one delivery row per event and endpoint.
-- Event types are a JSON array of names.
CREATE TABLE webhook_endpoints (
    id                    TEXT    PRIMARY KEY NOT NULL,
    tenant_id             TEXT    NOT NULL,
    url                   TEXT    NOT NULL,
    events                TEXT    NOT NULL,
    description           TEXT    NOT NULL,
    secret                TEXT    NOT NULL,
    previous_secret       TEXT,
    previous_secret_until BIGINT,
    created_at            BIGINT  NOT NULL,
    disabled_at           BIGINT
);
CREATE INDEX webhook_endpoints_by_tenant ON webhook_endpoints (tenant_id, created_at);

CREATE TABLE webhook_events (
    id           TEXT   PRIMARY KEY NOT NULL,
    tenant_id    TEXT   NOT NULL,
    event_type   TEXT   NOT NULL,
    customer_ref TEXT,
    body         TEXT   NOT NULL,
    created_at   BIGINT NOT NULL
);
CREATE INDEX webhook_events_by_customer ON webhook_events (tenant_id, customer_ref);
CREATE INDEX webhook_events_by_time ON webhook_events (created_at);

CREATE TABLE webhook_deliveries (
    event_id        TEXT    NOT NULL REFERENCES webhook_events (id) ON DELETE CASCADE,
    endpoint_id     TEXT    NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    status          TEXT    NOT NULL CHECK (status IN ('pending', 'delivered', 'failed', 'cancelled')),
    attempts        INTEGER NOT NULL CHECK (attempts >= 0),
    next_attempt_at BIGINT,
    last_attempt_at BIGINT,
    last_status     INTEGER,
    last_error      TEXT,
    created_at      BIGINT  NOT NULL,
    PRIMARY KEY (event_id, endpoint_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
CREATE INDEX webhook_deliveries_by_endpoint ON webhook_deliveries (endpoint_id, created_at);
