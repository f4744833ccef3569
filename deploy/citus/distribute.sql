-- Distributes a migrated Sticky Calls schema over Citus (docs/SCALING.md). Run once on
-- the coordinator, after `stickycalls migrate` and `CREATE EXTENSION citus`, before
-- the nodes serve traffic. The catalog test (`every_table_is_distributed_by_tenant_or_
-- a_reference_table`) checks that this file names every table of the schema.
--
-- Reference tables (copied to every worker): looked up before a tenant is known.
SELECT create_reference_table('accounts');
SELECT create_reference_table('api_keys');
SELECT create_reference_table('console_sessions');

-- Distributed by tenant, all colocated with `customers`: a tenant's rows of every table
-- live on one shard, so every request's statements route to one worker.
SELECT create_distributed_table('customers', 'tenant_id');
SELECT create_distributed_table('customer_phones', 'tenant_id', colocate_with => 'customers');
SELECT create_distributed_table('customer_external_ids', 'tenant_id', colocate_with => 'customers');
SELECT create_distributed_table('calls', 'tenant_id', colocate_with => 'customers');
SELECT create_distributed_table('intents', 'tenant_id', colocate_with => 'customers');
SELECT create_distributed_table('variables', 'tenant_id', colocate_with => 'customers');
SELECT create_distributed_table('credit_balances', 'tenant_id', colocate_with => 'customers');
SELECT create_distributed_table('credit_stripes', 'tenant_id', colocate_with => 'customers');
SELECT create_distributed_table('credit_ledger', 'tenant_id', colocate_with => 'customers');
SELECT create_distributed_table('idempotency_keys', 'tenant_id', colocate_with => 'customers');
SELECT create_distributed_table('identity_settings', 'tenant_id', colocate_with => 'customers');
SELECT create_distributed_table('retention_settings', 'tenant_id', colocate_with => 'customers');
SELECT create_distributed_table('rolled_days', 'tenant_id', colocate_with => 'customers');
SELECT create_distributed_table('webhook_endpoints', 'tenant_id', colocate_with => 'customers');
SELECT create_distributed_table('webhook_events', 'tenant_id', colocate_with => 'customers');
SELECT create_distributed_table('webhook_deliveries', 'tenant_id', colocate_with => 'customers');

-- The audit trail, by account (its lines are read per account). Citus does not create
-- a table's triggers on its shards; its documented workaround is to create them on each
-- shard (https://docs.citusdata.com/en/stable/extra/triggers.html,
-- `run_command_on_shards`), so the append-only triggers are dropped from the
-- coordinator's table, the table distributed, and the triggers made again on every
-- shard (the function first, on every worker). Shards moved by a rebalance need the
-- last command again.
DROP TRIGGER audit_log_no_change ON audit_log;
DROP TRIGGER audit_log_no_truncate ON audit_log;
SELECT create_distributed_table('audit_log', 'account_id');
SELECT run_command_on_workers($cmd$
    CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $f$
    BEGIN
        RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP
            USING ERRCODE = 'restrict_violation';
    END;
    $f$
$cmd$);
SELECT run_command_on_shards('audit_log', $cmd$
    CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON %s
        FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()
$cmd$);
SELECT run_command_on_shards('audit_log', $cmd$
    CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON %s
        FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()
$cmd$);
