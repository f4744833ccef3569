-- Identity settings and calibration (docs/IDENTITY.md).
-- What a confirming end said about its start's decision (the domain's Verdict code:
-- reuse|other / right|wrong / returning|new); NULL when no end confirmed anyone.
ALTER TABLE calls ADD COLUMN verdict TEXT;
-- Each tenant's identity settings, as the document PUT /v1/settings/identity takes.
CREATE TABLE identity_settings (
    tenant_id   uuid        PRIMARY KEY,
    document    jsonb       NOT NULL,
    updated_at  timestamptz NOT NULL
);
