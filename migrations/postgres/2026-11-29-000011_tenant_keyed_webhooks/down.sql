DROP INDEX webhook_deliveries_by_endpoint;
ALTER TABLE webhook_deliveries
    DROP CONSTRAINT webhook_deliveries_tenant_id_event_id_fkey,
    DROP CONSTRAINT webhook_deliveries_tenant_id_endpoint_id_fkey,
    DROP CONSTRAINT webhook_deliveries_pkey;
ALTER TABLE webhook_endpoints DROP CONSTRAINT webhook_endpoints_pkey;
ALTER TABLE webhook_endpoints ADD PRIMARY KEY (id);
ALTER TABLE webhook_events DROP CONSTRAINT webhook_events_pkey;
ALTER TABLE webhook_events ADD PRIMARY KEY (id);
ALTER TABLE webhook_deliveries
    ADD PRIMARY KEY (event_id, endpoint_id),
    ADD FOREIGN KEY (event_id) REFERENCES webhook_events (id) ON DELETE CASCADE,
    ADD FOREIGN KEY (endpoint_id) REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    DROP COLUMN tenant_id;
CREATE INDEX webhook_deliveries_by_endpoint ON webhook_deliveries (endpoint_id, created_at DESC);
