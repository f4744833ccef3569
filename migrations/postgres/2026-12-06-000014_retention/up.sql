-- Retention (docs/RETENTION.md): each tenant's periods, as PUT /v1/settings/retention
-- takes them. The account and environment are kept beside the tenant key so the
-- periodic enforcement can name the tenant (the key is a one-way hash of the two).
CREATE TABLE retention_settings (
    tenant_id      uuid        PRIMARY KEY,
    account_id     uuid        NOT NULL,
    environment    text        NOT NULL,
    calls_days     integer     NOT NULL CHECK (calls_days BETWEEN 30 AND 3650),
    customers_days integer     CHECK (customers_days BETWEEN 30 AND 3650),
    updated_at     timestamptz NOT NULL
);
-- A closed account (DELETE /v1/account): its keys are revoked and its data deleted; the
-- row stays (with the ledger) for the operator's accounting, without its contact address.
ALTER TABLE accounts ADD COLUMN closed_at timestamptz;
