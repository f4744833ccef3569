//! Test support: several ports' mocks behind one store.

use std::future::Future;

use std::collections::BTreeSet;

use time::Date;

use super::{
    AccountStore, CustomerStore, ExportStore, IdentityStore, MockAccountStore, MockCustomerStore,
    MockExportStore, MockIdentityStore, MockRetentionStore, MockRollupStore, RetentionStore,
    RollupStore, WriteVariablesError,
};
use crate::accounts::{AccountInfo, NewAccount};
use crate::credits::LedgerEntry;
use crate::customers::{CustomerLookup, CustomerRecord};
use crate::error::StoreError;
use crate::identity::CustomerRef;
use crate::identity::{IdentitySettings, JudgedCalls};
use crate::retention::{Erasure, Idle, RetentionSettings};
use crate::tenant::{AccountId, TenantId};
use crate::timestamp::Timestamp;
use crate::usage::RolledDay;
use crate::variables::VariableWrite;

/// Several ports' mocks as one store, for a use case generic over more than one port:
/// each method goes to its port's mock (a mock with no expectation panics if called).
pub(crate) struct Mocks {
    pub retention: MockRetentionStore,
    pub accounts: MockAccountStore,
    pub customers: MockCustomerStore,
    pub export: MockExportStore,
    pub identity: MockIdentityStore,
    pub rollups: MockRollupStore,
}

impl Default for Mocks {
    fn default() -> Self {
        Self {
            retention: MockRetentionStore::new(),
            accounts: MockAccountStore::new(),
            customers: MockCustomerStore::new(),
            export: MockExportStore::new(),
            identity: MockIdentityStore::new(),
            rollups: MockRollupStore::new(),
        }
    }
}

impl RetentionStore for Mocks {
    fn retention_settings(
        &self, t: &TenantId,
    ) -> impl Future<Output = Result<Option<RetentionSettings>, StoreError>> + Send {
        self.retention.retention_settings(t)
    }
    fn save_retention_settings(
        &self, t: &TenantId, s: RetentionSettings, at: Timestamp,
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        self.retention.save_retention_settings(t, s, at)
    }
    fn all_retention_settings(
        &self,
    ) -> impl Future<Output = Result<Vec<(TenantId, RetentionSettings)>, StoreError>> + Send {
        self.retention.all_retention_settings()
    }
    fn delete_calls_started_before(
        &self, t: &TenantId, before: Timestamp, limit: usize,
    ) -> impl Future<Output = Result<usize, StoreError>> + Send {
        self.retention.delete_calls_started_before(t, before, limit)
    }
    fn idle_customers(
        &self, t: &TenantId, idle: Idle, limit: usize,
    ) -> impl Future<Output = Result<Vec<CustomerRef>, StoreError>> + Send {
        self.retention.idle_customers(t, idle, limit)
    }
    fn delete_settled_webhook_events(
        &self, before: Timestamp, limit: usize,
    ) -> impl Future<Output = Result<usize, StoreError>> + Send {
        self.retention.delete_settled_webhook_events(before, limit)
    }
    fn delete_customers(
        &self, t: &TenantId, limit: usize,
    ) -> impl Future<Output = Result<usize, StoreError>> + Send {
        self.retention.delete_customers(t, limit)
    }
    fn delete_tenant_remains(
        &self, t: &TenantId,
    ) -> impl Future<Output = Result<usize, StoreError>> + Send {
        self.retention.delete_tenant_remains(t)
    }
}

impl AccountStore for Mocks {
    fn create_account(&self, a: NewAccount) -> impl Future<Output = Result<(), StoreError>> + Send {
        self.accounts.create_account(a)
    }
    fn has_accounts(&self) -> impl Future<Output = Result<bool, StoreError>> + Send {
        self.accounts.has_accounts()
    }
    fn list_accounts(&self) -> impl Future<Output = Result<Vec<AccountInfo>, StoreError>> + Send {
        self.accounts.list_accounts()
    }
    fn close_account(
        &self, a: AccountId, at: Timestamp,
    ) -> impl Future<Output = Result<Option<Vec<String>>, StoreError>> + Send {
        self.accounts.close_account(a, at)
    }
}

impl CustomerStore for Mocks {
    fn customer_records(
        &self, t: &TenantId, c: &[CustomerRef],
    ) -> impl Future<Output = Result<Vec<CustomerRecord>, StoreError>> + Send {
        self.customers.customer_records(t, c)
    }
    fn find_customers(
        &self, t: &TenantId, l: &CustomerLookup, limit: usize,
    ) -> impl Future<Output = Result<Vec<CustomerRef>, StoreError>> + Send {
        self.customers.find_customers(t, l, limit)
    }
    fn write_variables(
        &self, t: &TenantId, c: &CustomerRef, w: Vec<VariableWrite>, at: Timestamp,
    ) -> impl Future<Output = Result<usize, WriteVariablesError>> + Send {
        self.customers.write_variables(t, c, w, at)
    }
    fn erase_customer(
        &self, t: &TenantId, c: &CustomerRef, e: Erasure,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send {
        self.customers.erase_customer(t, c, e)
    }
}

impl ExportStore for Mocks {
    fn customer_refs(
        &self, t: &TenantId, after: Option<CustomerRef>, limit: usize,
    ) -> impl Future<Output = Result<Vec<CustomerRef>, StoreError>> + Send {
        self.export.customer_refs(t, after, limit)
    }
    fn ledger_entries(
        &self, t: &TenantId, after: Option<u64>, limit: usize,
    ) -> impl Future<Output = Result<Vec<(u64, LedgerEntry)>, StoreError>> + Send {
        self.export.ledger_entries(t, after, limit)
    }
}

impl IdentityStore for Mocks {
    fn identity_settings(
        &self, t: &TenantId,
    ) -> impl Future<Output = Result<Option<IdentitySettings>, StoreError>> + Send {
        self.identity.identity_settings(t)
    }
    fn save_identity_settings(
        &self, t: &TenantId, s: &IdentitySettings, at: Timestamp,
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        self.identity.save_identity_settings(t, s, at)
    }
    fn judged_calls(
        &self, t: &TenantId, from: Timestamp, to: Option<Timestamp>,
    ) -> impl Future<Output = Result<Vec<JudgedCalls>, StoreError>> + Send {
        self.identity.judged_calls(t, from, to)
    }
}

impl RollupStore for Mocks {
    fn rolled(
        &self, t: &TenantId, from: Date, to: Date,
    ) -> impl Future<Output = Result<Vec<RolledDay>, StoreError>> + Send {
        self.rollups.rolled(t, from, to)
    }
    fn rolled_days(
        &self, t: &TenantId, from: Date, to: Date,
    ) -> impl Future<Output = Result<BTreeSet<Date>, StoreError>> + Send {
        self.rollups.rolled_days(t, from, to)
    }
    fn keep_rolled(
        &self, t: &TenantId, day: &RolledDay, at: Timestamp,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send {
        self.rollups.keep_rolled(t, day, at)
    }
}
