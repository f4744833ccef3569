-- A customer's version: every write to their intents or variables adds one, in the
-- transaction that writes them. An end decides on what one read found (the intent it
-- writes, the live variables' keys, this version) and writes only where the version
-- is still the one it read: a guard that PostgreSQL re-checks on the row's newest
-- version when the row was changed since the statement's snapshot, so a write
-- committed meanwhile is never overlooked. A constant default: no table rewrite.
ALTER TABLE customers ADD COLUMN version bigint NOT NULL DEFAULT 0;
