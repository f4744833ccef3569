-- A tenant's settled days rolled up: what a read of the day found (usage, ledger,
-- judged calls), kept as one document (the domain's form, JSON text) so the console's
-- reports read a month as about thirty rows instead of counting its calls again. A day
-- is written once; closing the account deletes its days. `day` is `YYYY-MM-DD`.
CREATE TABLE rolled_days (
    tenant_id TEXT NOT NULL,
    day TEXT NOT NULL,
    document TEXT NOT NULL,
    rolled_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, day)
);
