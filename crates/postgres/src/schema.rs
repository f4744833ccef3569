// @generated automatically by Diesel CLI.

diesel::table! {
    accounts (account_id) {
        account_id -> Uuid,
        name -> Text,
        email -> Nullable<Text>,
        created_at -> Timestamptz,
        closed_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    api_keys (lookup_id) {
        lookup_id -> Text,
        account_id -> Uuid,
        environment -> Text,
        hash -> Text,
        last4 -> Text,
        created_at -> Timestamptz,
        revoked_at -> Nullable<Timestamptz>,
        name -> Text,
        last_used_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    audit_log (account_id, position) {
        account_id -> Uuid,
        position -> Int8,
        at -> Timestamptz,
        actor_kind -> Text,
        actor_id -> Nullable<Uuid>,
        actor_name -> Text,
        action -> Text,
        object -> Nullable<Text>,
        address -> Nullable<Text>,
        refusal -> Nullable<Text>,
    }
}

diesel::table! {
    calls (tenant_id, call_id) {
        tenant_id -> Uuid,
        call_id -> Text,
        customer_ref -> Text,
        started_at -> Timestamptz,
        start_fingerprint -> Text,
        confidence -> Int2,
        sources -> Array<Nullable<Text>>,
        billable -> Bool,
        provisional -> Bool,
        ani -> Nullable<Text>,
        ani_withheld -> Bool,
        dnis -> Nullable<Text>,
        external_ids -> Jsonb,
        hint_customer_ref -> Nullable<Text>,
        line_type -> Nullable<Text>,
        ended_at -> Nullable<Timestamptz>,
        end_fingerprint -> Nullable<Text>,
        intents_updated -> Nullable<Int4>,
        variables_updated -> Nullable<Int4>,
        intent -> Nullable<Text>,
        intent_status -> Nullable<Text>,
        explanation -> Nullable<Jsonb>,
        attestation -> Nullable<Text>,
        verdict -> Nullable<Text>,
        hints_sealed -> Nullable<Text>,
    }
}

diesel::table! {
    console_sessions (digest) {
        digest -> Text,
        key_lookup_id -> Text,
        created_at -> Timestamptz,
        last_seen_at -> Timestamptz,
    }
}

diesel::table! {
    credit_balances (tenant_id) {
        tenant_id -> Uuid,
        allowance_left -> Int8,
        top_up -> Int8,
        plan -> Text,
        allowance -> Int8,
        anchor -> Timestamptz,
        period_start -> Timestamptz,
    }
}

diesel::table! {
    credit_ledger (tenant_id, entry_id) {
        tenant_id -> Uuid,
        entry_id -> Int8,
        at -> Timestamptz,
        kind -> Text,
        credits -> Int8,
        from_allowance -> Int8,
        from_top_up -> Int8,
        period_start -> Timestamptz,
        call_id -> Nullable<Text>,
        note -> Nullable<Text>,
    }
}

diesel::table! {
    credit_stripes (tenant_id, stripe) {
        tenant_id -> Uuid,
        stripe -> Int2,
        period_start -> Timestamptz,
        allowance_left -> Int8,
        top_up -> Int8,
    }
}

diesel::table! {
    customer_external_ids (tenant_id, namespace, value, customer_ref) {
        tenant_id -> Uuid,
        namespace -> Text,
        value -> Text,
        customer_ref -> Text,
        linked_at -> Timestamptz,
        sealed -> Nullable<Text>,
    }
}

diesel::table! {
    customer_phones (tenant_id, e164, customer_ref) {
        tenant_id -> Uuid,
        e164 -> Text,
        customer_ref -> Text,
        line_type -> Nullable<Text>,
        linked_at -> Timestamptz,
        first_confirmed_at -> Nullable<Timestamptz>,
        last_confirmed_at -> Nullable<Timestamptz>,
        last_attestation -> Nullable<Text>,
        last_unattested_at -> Nullable<Timestamptz>,
        attested_run -> Int4,
        sealed -> Nullable<Text>,
    }
}

diesel::table! {
    customers (tenant_id, customer_ref) {
        tenant_id -> Uuid,
        customer_ref -> Text,
        created_at -> Timestamptz,
        version -> Int8,
    }
}

diesel::table! {
    idempotency_keys (tenant_id, key) {
        tenant_id -> Uuid,
        key -> Text,
        fingerprint -> Text,
        created_at -> Timestamptz,
        response_status -> Nullable<Int2>,
        response_body -> Nullable<Text>,
        customer_ref -> Nullable<Text>,
    }
}

diesel::table! {
    identity_settings (tenant_id) {
        tenant_id -> Uuid,
        document -> Jsonb,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    intents (tenant_id, customer_ref, name) {
        tenant_id -> Uuid,
        customer_ref -> Text,
        name -> Text,
        attempt_count -> Int4,
        first_seen -> Timestamptz,
        last_seen -> Timestamptz,
    }
}

diesel::table! {
    retention_settings (tenant_id) {
        tenant_id -> Uuid,
        account_id -> Uuid,
        environment -> Text,
        calls_days -> Int4,
        customers_days -> Nullable<Int4>,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    rolled_days (tenant_id, day) {
        tenant_id -> Uuid,
        day -> Date,
        document -> Text,
        rolled_at -> Timestamptz,
    }
}

diesel::table! {
    variables (tenant_id, customer_ref, key) {
        tenant_id -> Uuid,
        customer_ref -> Text,
        key -> Text,
        value -> Text,
        source -> Nullable<Text>,
        ttl_seconds -> Int4,
        expires_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    webhook_deliveries (tenant_id, event_id, endpoint_id) {
        event_id -> Text,
        endpoint_id -> Text,
        status -> Text,
        attempts -> Int4,
        next_attempt_at -> Nullable<Timestamptz>,
        last_attempt_at -> Nullable<Timestamptz>,
        last_status -> Nullable<Int4>,
        last_error -> Nullable<Text>,
        created_at -> Timestamptz,
        tenant_id -> Uuid,
    }
}

diesel::table! {
    webhook_endpoints (tenant_id, id) {
        id -> Text,
        tenant_id -> Uuid,
        url -> Text,
        events -> Array<Nullable<Text>>,
        description -> Text,
        secret -> Text,
        previous_secret -> Nullable<Text>,
        previous_secret_until -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        disabled_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    webhook_events (tenant_id, id) {
        id -> Text,
        tenant_id -> Uuid,
        event_type -> Text,
        customer_ref -> Nullable<Text>,
        body -> Text,
        created_at -> Timestamptz,
    }
}

diesel::joinable!(api_keys -> accounts (account_id));
diesel::joinable!(console_sessions -> api_keys (key_lookup_id));

diesel::allow_tables_to_appear_in_same_query!(
    accounts,
    api_keys,
    audit_log,
    calls,
    console_sessions,
    credit_balances,
    credit_ledger,
    credit_stripes,
    customer_external_ids,
    customer_phones,
    customers,
    idempotency_keys,
    identity_settings,
    intents,
    retention_settings,
    rolled_days,
    variables,
    webhook_deliveries,
    webhook_endpoints,
    webhook_events,
);
