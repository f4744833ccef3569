DROP TABLE credit_ledger;
ALTER TABLE credit_balances DROP COLUMN plan, DROP COLUMN allowance, DROP COLUMN anchor, DROP COLUMN period_start;
