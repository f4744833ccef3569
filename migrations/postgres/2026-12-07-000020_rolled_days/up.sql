-- A tenant's settled days rolled up: what a read of the day found (usage, ledger,
-- judged calls), kept as one document (the domain's form, JSON text) so the console's
-- reports read a month as about thirty rows instead of counting its calls again. A day
-- is written once, by the first node to roll it; closing the account deletes its days.
CREATE TABLE rolled_days (
    tenant_id uuid NOT NULL,
    day date NOT NULL,
    document text NOT NULL,
    rolled_at timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, day)
);
