-- Every table distributed by tenant carries the tenant key in its primary key and in
-- every foreign key between such tables (docs/SCALING.md): the webhook tables were
-- keyed by id alone. Deliveries gain the tenant key, copied from their events.
ALTER TABLE webhook_deliveries ADD COLUMN tenant_id uuid;
UPDATE webhook_deliveries d SET tenant_id = e.tenant_id FROM webhook_events e WHERE e.id = d.event_id;
ALTER TABLE webhook_deliveries ALTER COLUMN tenant_id SET NOT NULL;

ALTER TABLE webhook_deliveries
    DROP CONSTRAINT webhook_deliveries_event_id_fkey,
    DROP CONSTRAINT webhook_deliveries_endpoint_id_fkey,
    DROP CONSTRAINT webhook_deliveries_pkey;
ALTER TABLE webhook_events DROP CONSTRAINT webhook_events_pkey;
ALTER TABLE webhook_events ADD PRIMARY KEY (tenant_id, id);
ALTER TABLE webhook_endpoints DROP CONSTRAINT webhook_endpoints_pkey;
ALTER TABLE webhook_endpoints ADD PRIMARY KEY (tenant_id, id);
ALTER TABLE webhook_deliveries
    ADD PRIMARY KEY (tenant_id, event_id, endpoint_id),
    ADD FOREIGN KEY (tenant_id, event_id) REFERENCES webhook_events (tenant_id, id) ON DELETE CASCADE,
    ADD FOREIGN KEY (tenant_id, endpoint_id) REFERENCES webhook_endpoints (tenant_id, id) ON DELETE CASCADE;

DROP INDEX webhook_deliveries_by_endpoint;
CREATE INDEX webhook_deliveries_by_endpoint ON webhook_deliveries (tenant_id, endpoint_id, created_at DESC);
