-- Billing: each tenant's plan, its allowance per monthly period counted from an
-- anchor, and a ledger of every grant and debit from which the balance is derived.
ALTER TABLE credit_balances
    ADD COLUMN plan         text        NOT NULL DEFAULT 'free'
        CHECK (plan IN ('free', 'starter', 'growth', 'scale', 'enterprise')),
    ADD COLUMN allowance    bigint      NOT NULL DEFAULT 0 CHECK (allowance >= 0),
    ADD COLUMN anchor       timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN period_start timestamptz NOT NULL DEFAULT now();

-- One row per money movement: `allowance` (a period's allowance, or a plan change's
-- new one), `top_up` (purchased credits), `debit` (a billed start, with its call).
CREATE TABLE credit_ledger (
    tenant_id      uuid        NOT NULL,
    entry_id       bigint      GENERATED ALWAYS AS IDENTITY,
    at             timestamptz NOT NULL,
    kind           text        NOT NULL CHECK (kind IN ('allowance', 'top_up', 'debit')),
    credits        bigint      NOT NULL CHECK (credits >= 0),
    from_allowance bigint      NOT NULL DEFAULT 0 CHECK (from_allowance >= 0),
    from_top_up    bigint      NOT NULL DEFAULT 0 CHECK (from_top_up >= 0),
    period_start   timestamptz NOT NULL,
    call_id        text,
    note           text,
    PRIMARY KEY (tenant_id, entry_id)
);
CREATE INDEX credit_ledger_by_period ON credit_ledger (tenant_id, period_start);
