//! Links written before encryption: a customer's number or external id stored in
//! clear. A link's value is its key (lookups find it by equality), so it cannot be
//! sealed in place like a variable: it moves to its blind index, with a sealed copy
//! beside it, in one statement. Until every link has moved, a lookup first moves the
//! links in clear to the values it is given ([`LinkTouch`]), then compares indexes as
//! always; the background migration moves the rest, tenant by tenant, and once it has
//! found none left lookups stop asking.

use std::sync::atomic::{AtomicBool, Ordering};

use crate::error::StoreError;
use crate::identity::IdentityHints;
use crate::ports::{ClearLink, KeyFuture, LinkTouch, SharedVault, UnsealedStore};
use crate::protection::{BATCH, Sealer, by_customer};
use crate::tenant::TenantId;

/// The links in clear of a store, moved on touch and in the background.
pub struct ClearLinks<S> {
    store: S,
    sealer: Sealer,
    /// False once a migration run found no link left in clear: nothing writes one
    /// since, so lookups stop asking.
    remain: AtomicBool,
}

impl<S> std::fmt::Debug for ClearLinks<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClearLinks")
            .field("remain", &self.remain)
            .finish_non_exhaustive()
    }
}

impl<S: UnsealedStore> ClearLinks<S> {
    /// Reads and moves through `store`, keys from `vault`. Until a migration run says
    /// otherwise, links in clear may remain.
    pub fn new(store: S, vault: SharedVault) -> Self {
        Self {
            store,
            sealer: Sealer::new(vault),
            remain: AtomicBool::new(true),
        }
    }

    /// Whether lookups still move links in clear first.
    pub fn may_remain(&self) -> bool {
        self.remain.load(Ordering::Acquire)
    }

    /// A migration run moved every link in clear.
    pub(crate) fn none_remain(&self) {
        self.remain.store(false, Ordering::Release);
    }

    /// Moves every link of the tenant still in clear, [`BATCH`] at a time: how many
    /// moved, and whether none is left. `progress` hears the running count after every
    /// batch.
    pub async fn move_tenant(
        &self, tenant: &TenantId, progress: &mut (impl FnMut(&TenantId, usize) + Send),
    ) -> Result<(usize, bool), StoreError> {
        let mut moved = 0;
        let mut last_first = None;
        loop {
            let page = self.store.links_in_clear(tenant, BATCH).await?;
            let Some(first) = page.first().cloned() else {
                return Ok((moved, true));
            };
            let full = page.len() == BATCH;
            let done = self.move_links(tenant, page).await?;
            moved += done;
            if done > 0 {
                progress(tenant, moved);
            }
            if !full {
                return Ok((moved, true));
            }
            // A full page none of which moved (each moved meanwhile by a lookup) is
            // read again; the same page twice without a move would loop, so the run
            // stops there and says links may remain.
            if done == 0 && last_first.as_ref() == Some(&first) {
                return Ok((moved, false));
            }
            last_first = Some(first);
        }
    }

    async fn move_links(
        &self, tenant: &TenantId, links: Vec<ClearLink>,
    ) -> Result<usize, StoreError> {
        let mut moves = Vec::new();
        for (customer, links) in by_customer(links, |link| &link.customer) {
            moves.extend(self.sealer.index_links(tenant, &customer, links).await?);
        }
        self.store.move_links(tenant, moves).await
    }

    async fn touch_now(&self, tenant: &TenantId, hints: &IdentityHints) -> Result<(), StoreError> {
        if !self.may_remain() || (hints.phone().is_none() && hints.external_ids.is_empty()) {
            return Ok(());
        }
        let found = self.store.clear_links_to(tenant, hints).await?;
        if !found.is_empty() {
            self.move_links(tenant, found).await?;
        }
        Ok(())
    }
}

impl<S: UnsealedStore> LinkTouch for ClearLinks<S> {
    fn touch<'a>(&'a self, tenant: &'a TenantId, hints: &'a IdentityHints) -> KeyFuture<'a, ()> {
        Box::pin(self.touch_now(tenant, hints))
    }
}
