// @generated automatically by Diesel CLI.

diesel::table! {
    accounts (account_id) {
        account_id -> Nullable<Text>,
        name -> Text,
        email -> Nullable<Text>,
        created_at -> BigInt,
        closed_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    api_keys (lookup_id) {
        lookup_id -> Nullable<Text>,
        account_id -> Text,
        environment -> Text,
        hash -> Text,
        last4 -> Text,
        created_at -> BigInt,
        revoked_at -> Nullable<BigInt>,
        name -> Text,
        last_used_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    audit_log (position) {
        position -> Nullable<Integer>,
        account_id -> Text,
        at -> BigInt,
        actor_kind -> Text,
        actor_id -> Nullable<Text>,
        actor_name -> Text,
        action -> Text,
        object -> Nullable<Text>,
        address -> Nullable<Text>,
        refusal -> Nullable<Text>,
    }
}

diesel::table! {
    calls (tenant_id, call_id) {
        tenant_id -> Text,
        call_id -> Text,
        customer_ref -> Text,
        started_at -> BigInt,
        start_fingerprint -> Text,
        confidence -> SmallInt,
        sources -> Text,
        billable -> Bool,
        provisional -> Bool,
        ani -> Nullable<Text>,
        ani_withheld -> Bool,
        dnis -> Nullable<Text>,
        external_ids -> Text,
        hint_customer_ref -> Nullable<Text>,
        line_type -> Nullable<Text>,
        ended_at -> Nullable<BigInt>,
        end_fingerprint -> Nullable<Text>,
        intents_updated -> Nullable<Integer>,
        variables_updated -> Nullable<Integer>,
        intent -> Nullable<Text>,
        intent_status -> Nullable<Text>,
        explanation -> Nullable<Text>,
        attestation -> Nullable<Text>,
        verdict -> Nullable<Text>,
        hints_sealed -> Nullable<Text>,
    }
}

diesel::table! {
    console_sessions (digest) {
        digest -> Text,
        key_lookup_id -> Text,
        created_at -> BigInt,
        last_seen_at -> BigInt,
    }
}

diesel::table! {
    credit_balances (tenant_id) {
        tenant_id -> Nullable<Text>,
        plan -> Text,
        allowance -> BigInt,
        anchor -> BigInt,
        period_start -> BigInt,
        allowance_left -> BigInt,
        top_up -> BigInt,
    }
}

diesel::table! {
    credit_ledger (entry_id) {
        entry_id -> Nullable<Integer>,
        tenant_id -> Text,
        at -> BigInt,
        kind -> Text,
        credits -> BigInt,
        from_allowance -> BigInt,
        from_top_up -> BigInt,
        period_start -> BigInt,
        call_id -> Nullable<Text>,
        note -> Nullable<Text>,
    }
}

diesel::table! {
    customer_external_ids (tenant_id, namespace, value, customer_ref) {
        tenant_id -> Text,
        namespace -> Text,
        value -> Text,
        customer_ref -> Text,
        linked_at -> BigInt,
        sealed -> Nullable<Text>,
    }
}

diesel::table! {
    customer_phones (tenant_id, e164, customer_ref) {
        tenant_id -> Text,
        e164 -> Text,
        customer_ref -> Text,
        line_type -> Nullable<Text>,
        linked_at -> BigInt,
        first_confirmed_at -> Nullable<BigInt>,
        last_confirmed_at -> Nullable<BigInt>,
        last_attestation -> Nullable<Text>,
        last_unattested_at -> Nullable<BigInt>,
        attested_run -> Integer,
        sealed -> Nullable<Text>,
    }
}

diesel::table! {
    customers (tenant_id, customer_ref) {
        tenant_id -> Text,
        customer_ref -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    idempotency_keys (tenant_id, key) {
        tenant_id -> Text,
        key -> Text,
        fingerprint -> Text,
        created_at -> BigInt,
        response_status -> Nullable<Integer>,
        response_body -> Nullable<Text>,
        customer_ref -> Nullable<Text>,
    }
}

diesel::table! {
    identity_settings (tenant_id) {
        tenant_id -> Text,
        document -> Text,
        updated_at -> BigInt,
    }
}

diesel::table! {
    intents (tenant_id, customer_ref, name) {
        tenant_id -> Text,
        customer_ref -> Text,
        name -> Text,
        attempt_count -> Integer,
        first_seen -> BigInt,
        last_seen -> BigInt,
    }
}

diesel::table! {
    retention_settings (tenant_id) {
        tenant_id -> Text,
        account_id -> Text,
        environment -> Text,
        calls_days -> Integer,
        customers_days -> Nullable<Integer>,
        updated_at -> BigInt,
    }
}

diesel::table! {
    rolled_days (tenant_id, day) {
        tenant_id -> Text,
        day -> Text,
        document -> Text,
        rolled_at -> BigInt,
    }
}

diesel::table! {
    variables (tenant_id, customer_ref, key) {
        tenant_id -> Text,
        customer_ref -> Text,
        key -> Text,
        value -> Text,
        source -> Nullable<Text>,
        ttl_seconds -> Integer,
        expires_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    webhook_deliveries (event_id, endpoint_id) {
        event_id -> Text,
        endpoint_id -> Text,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Nullable<BigInt>,
        last_attempt_at -> Nullable<BigInt>,
        last_status -> Nullable<Integer>,
        last_error -> Nullable<Text>,
        created_at -> BigInt,
    }
}

diesel::table! {
    webhook_endpoints (id) {
        id -> Text,
        tenant_id -> Text,
        url -> Text,
        events -> Text,
        description -> Text,
        secret -> Text,
        previous_secret -> Nullable<Text>,
        previous_secret_until -> Nullable<BigInt>,
        created_at -> BigInt,
        disabled_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    webhook_events (id) {
        id -> Text,
        tenant_id -> Text,
        event_type -> Text,
        customer_ref -> Nullable<Text>,
        body -> Text,
        created_at -> BigInt,
    }
}

diesel::joinable!(api_keys -> accounts (account_id));
diesel::joinable!(console_sessions -> api_keys (key_lookup_id));
diesel::joinable!(webhook_deliveries -> webhook_endpoints (endpoint_id));
diesel::joinable!(webhook_deliveries -> webhook_events (event_id));

diesel::allow_tables_to_appear_in_same_query!(
    accounts,
    api_keys,
    audit_log,
    calls,
    console_sessions,
    credit_balances,
    credit_ledger,
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
