-- Credits set aside from a tenant's account in up to 16 stripes, so that its billed
-- starts lock one stripe each instead of all queueing on the account's row
-- (docs/STORAGE.md, "Credit stripes"; the rules: the domain's credits::stripes). The
-- tenant's credits are its credit_balances row plus these; rows are created empty, all
-- at once, and never deleted while the tenant has credits.
CREATE TABLE credit_stripes (
    tenant_id      uuid        NOT NULL,
    stripe         smallint    NOT NULL CHECK (stripe >= 0),
    period_start   timestamptz NOT NULL,
    allowance_left bigint      NOT NULL CHECK (allowance_left >= 0),
    top_up         bigint      NOT NULL CHECK (top_up >= 0),
    PRIMARY KEY (tenant_id, stripe)
);
