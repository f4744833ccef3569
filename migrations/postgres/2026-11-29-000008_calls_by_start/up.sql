-- A tenant's calls by start time: the usage report, the console's overview and the
-- calibration read a window of days; without it they walk every call of the tenant.
-- The usage report's columns ride along, so it can read the index alone.
CREATE INDEX calls_by_start ON calls (tenant_id, started_at)
    INCLUDE (billable, confidence, intent_status);
