-- Retention (docs/RETENTION.md): each tenant's periods, as PUT /v1/settings/retention
-- takes them, with the account and environment the periodic enforcement names it by.
CREATE TABLE retention_settings (
    tenant_id      TEXT    PRIMARY KEY NOT NULL,
    account_id     TEXT    NOT NULL,
    environment    TEXT    NOT NULL,
    calls_days     INTEGER NOT NULL CHECK (calls_days BETWEEN 30 AND 3650),
    customers_days INTEGER CHECK (customers_days BETWEEN 30 AND 3650),
    updated_at     BIGINT  NOT NULL
);
-- A closed account (DELETE /v1/account): its keys are revoked and its data deleted; the
-- row stays (with the ledger) for the operator's accounting, without its contact address.
ALTER TABLE accounts ADD COLUMN closed_at BIGINT;
