//! Rolled up days, kept as the document every store keeps.

use std::collections::BTreeSet;
use std::collections::btree_map::Entry;

use stickycalls_domain::ports::RollupStore;
use stickycalls_domain::tenant::TenantId;
use stickycalls_domain::usage::RolledDay;
use stickycalls_domain::{StoreError, Timestamp};
use time::Date;

use crate::MemoryStore;

impl RollupStore for MemoryStore {
    async fn rolled(
        &self, tenant: &TenantId, from: Date, to: Date,
    ) -> Result<Vec<RolledDay>, StoreError> {
        let mut state = self.lock();
        state
            .tenant(tenant)
            .rolled
            .range(from..=to.max(from))
            .filter(|(day, _)| **day <= to)
            .map(|(day, text)| {
                RolledDay::from_json(*day, text)
                    .map_err(|e| StoreError::Unknown(std::io::Error::other(e).into()))
            })
            .collect()
    }

    async fn rolled_days(
        &self, tenant: &TenantId, from: Date, to: Date,
    ) -> Result<BTreeSet<Date>, StoreError> {
        let mut state = self.lock();
        Ok(state
            .tenant(tenant)
            .rolled
            .keys()
            .filter(|day| (from..=to).contains(*day))
            .copied()
            .collect())
    }

    async fn keep_rolled(
        &self, tenant: &TenantId, day: &RolledDay, _at: Timestamp,
    ) -> Result<bool, StoreError> {
        let mut state = self.lock();
        match state.tenant(tenant).rolled.entry(day.day) {
            Entry::Occupied(_) => Ok(false),
            Entry::Vacant(slot) => {
                slot.insert(day.to_json());
                Ok(true)
            }
        }
    }
}
