//! A whole tenant's data for the tenant to take away (`GET /v1/account/export`, the
//! console, the CLI): its settings and webhook endpoints first, then every customer
//! with everything held on them (the same record as a customer's own export), then the
//! credit ledger, each a page at a time so memory stays flat whatever the tenant's size.
//! Secrets (webhook signing secrets, key hashes) are never exported.

use crate::credits::LedgerEntry;
use crate::customers::CustomerRecord;
use crate::error::StoreError;
use crate::identity::{CustomerRef, IdentitySettings};
use crate::ports::{
    Clock, CustomerStore, ExportStore, IdentityStore, RetentionStore, SharedVault, WebhookStore,
};
use crate::protection::Sealer;
use crate::retention::RetentionSettings;
use crate::tenant::TenantId;
use crate::timestamp::Timestamp;
use crate::webhooks::Endpoint;

/// Customers (or ledger lines) read per page.
pub const PAGE: usize = 100;

/// What an export says before its customers.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportHead {
    /// Whose.
    pub tenant: TenantId,
    /// When it began.
    pub exported_at: Timestamp,
    /// Identity settings (the defaults when never saved).
    pub identity: IdentitySettings,
    /// Retention settings (the defaults when never saved).
    pub retention: RetentionSettings,
    /// Webhook endpoints, without their secrets.
    pub webhooks: Vec<Endpoint>,
}

/// Where a paged read goes on from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cursor {
    /// Customers after this reference (`None`: from the first).
    Customers(Option<CustomerRef>),
    /// Ledger lines after this entry (`None`: from the first).
    Ledger(Option<u64>),
    /// Nothing more.
    Done,
}

/// One page of an export.
#[derive(Debug, Clone, PartialEq)]
pub enum ExportPage {
    /// Customers, in reference order.
    Customers(Vec<CustomerRecord>),
    /// Ledger lines, in entry order.
    Ledger(Vec<LedgerEntry>),
}

/// The export use case, generic over its store and clock.
#[derive(Debug, Clone)]
pub struct ExportService<S, C> {
    store: S,
    clock: C,
    sealer: Sealer,
}

impl<S, C> ExportService<S, C> {
    /// Wires the service; variables are opened through `vault`.
    pub fn new(store: S, clock: C, vault: SharedVault) -> Self {
        Self {
            store,
            clock,
            sealer: Sealer::new(vault),
        }
    }
}

impl<S, C> ExportService<S, C>
where
    S: ExportStore + CustomerStore + IdentityStore + RetentionStore + WebhookStore,
    C: Clock,
{
    /// The head of the tenant's export, and the cursor of its first page.
    pub async fn begin(&self, tenant: &TenantId) -> Result<(ExportHead, Cursor), StoreError> {
        let head = ExportHead {
            tenant: *tenant,
            exported_at: self.clock.now(),
            identity: self
                .store
                .identity_settings(tenant)
                .await?
                .unwrap_or_default(),
            retention: self
                .store
                .retention_settings(tenant)
                .await?
                .unwrap_or_default(),
            webhooks: self.store.endpoints(tenant).await?,
        };
        Ok((head, Cursor::Customers(None)))
    }
}

impl<S: ExportStore + CustomerStore, C> ExportService<S, C> {
    /// The page at `cursor` and the cursor after it; `None` once done.
    pub async fn page(
        &self, tenant: &TenantId, cursor: Cursor,
    ) -> Result<Option<(ExportPage, Cursor)>, StoreError> {
        match cursor {
            Cursor::Customers(after) => {
                let refs = self.store.customer_refs(tenant, after, PAGE).await?;
                let next = if refs.len() < PAGE {
                    Cursor::Ledger(None)
                } else {
                    Cursor::Customers(refs.last().cloned())
                };
                // A customer erased between the two reads is left out, as it should be.
                let records = self.store.customer_records(tenant, &refs).await?;
                let records = self.sealer.open_records(tenant, records).await?;
                Ok(Some((ExportPage::Customers(records), next)))
            }
            Cursor::Ledger(after) => {
                let lines = self.store.ledger_entries(tenant, after, PAGE).await?;
                let next = match lines.last() {
                    Some((n, _)) if lines.len() == PAGE => Cursor::Ledger(Some(*n)),
                    _ => Cursor::Done,
                };
                let lines = lines.into_iter().map(|(_, e)| e).collect();
                Ok(Some((ExportPage::Ledger(lines), next)))
            }
            Cursor::Done => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests;
