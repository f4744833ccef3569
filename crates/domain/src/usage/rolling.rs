//! Reads over rolled and live days, and the job that rolls settled days. A report takes
//! each day of its window from the day's rollup when it has one, else counts it from
//! the calls; the rules for which day is which are in [`super::rollup`]. The job rolls
//! a day by reading it as a live report would and keeping that: the figures of a day
//! are the same whichever way it is read.

use std::collections::BTreeSet;
use std::future::Future;

use time::{Date, Duration};

use super::RolledDay;
use super::rollup::{ROLLED_DAYS, days_to_roll, live_days, live_spans, midnight, regroup};
use crate::credits::{DailyUsage, LedgerDay};
use crate::error::StoreError;
use crate::identity::JudgedCalls;
use crate::ports::{AccountStore, Clock, IdentityStore, RollupStore, UsageStore};
use crate::tenant::TenantId;
use crate::timestamp::Timestamp;

/// Figures of one day.
pub(super) trait Dated {
    fn day(&self) -> Date;
}

impl Dated for DailyUsage {
    fn day(&self) -> Date {
        self.day
    }
}

impl Dated for LedgerDay {
    fn day(&self) -> Date {
        self.day
    }
}

/// The window's days: the rolled ones' figures (`pick`), then each run of days without
/// a rollup read by `live`, oldest first.
pub(super) async fn rolled_then_live<T, R, F>(
    store: &impl RollupStore, tenant: &TenantId, (from, to): (Date, Date),
    pick: impl Fn(RolledDay) -> Option<T>, live: R,
) -> Result<Vec<T>, StoreError>
where
    T: Dated,
    R: Fn(Date, Date) -> F,
    F: Future<Output = Result<Vec<T>, StoreError>>,
{
    let rolled = store.rolled(tenant, from, to).await?;
    let kept: BTreeSet<Date> = rolled.iter().map(|d| d.day).collect();
    let mut days: Vec<T> = rolled.into_iter().filter_map(pick).collect();
    for run in live_days(&kept, from, to) {
        days.extend(live(*run.start(), *run.end()).await?);
    }
    days.sort_by_key(Dated::day);
    Ok(days)
}

/// The tenant's judged calls started at or after `since`: whole rolled days as kept,
/// the rest counted from the calls, regrouped.
pub async fn judged_since<S: IdentityStore + RollupStore>(
    store: &S, tenant: &TenantId, since: Timestamp, now: Timestamp,
) -> Result<Vec<JudgedCalls>, StoreError> {
    let today = now.get().date();
    let mut groups = Vec::new();
    let mut kept = BTreeSet::new();
    if let Some(first) = since.get().date().next_day().filter(|d| *d <= today) {
        for day in store.rolled(tenant, first, today).await? {
            kept.insert(day.day);
            groups.extend(day.judged);
        }
    }
    for (from, to) in live_spans(&kept, since, today) {
        groups.extend(store.judged_calls(tenant, from, to).await?);
    }
    Ok(regroup(groups))
}

/// The job that rolls settled days, generic over its store and clock.
#[derive(Debug, Clone)]
pub struct Rollups<S, C> {
    store: S,
    clock: C,
}

impl<S, C> Rollups<S, C>
where
    S: RollupStore + UsageStore + IdentityStore + AccountStore,
    C: Clock,
{
    /// Wires the job.
    pub fn new(store: S, clock: C) -> Self {
        Self { store, clock }
    }

    /// Rolls every open tenant's settled days of the last [`ROLLED_DAYS`] that have no
    /// rollup (after a downtime, all it missed), and says how many days it kept. Nodes
    /// running it at once only share the work: a day is kept once.
    pub async fn roll_due(&self) -> Result<usize, StoreError> {
        let now = self.clock.now();
        let today = now.get().date();
        let mut kept = 0;
        for account in self.store.list_accounts().await? {
            if account.closed_at.is_some() {
                continue;
            }
            for tenant in TenantId::both(account.id) {
                let rolled = self
                    .store
                    .rolled_days(&tenant, today - Duration::days(ROLLED_DAYS), today)
                    .await?;
                for day in days_to_roll(&rolled, now) {
                    let figures = self.read_day(&tenant, day).await?;
                    if self.store.keep_rolled(&tenant, &figures, now).await? {
                        kept += 1;
                    }
                }
            }
        }
        Ok(kept)
    }

    /// A day's figures as a live read finds them.
    async fn read_day(&self, tenant: &TenantId, day: Date) -> Result<RolledDay, StoreError> {
        let usage = self.store.usage(tenant, day, day).await?.pop();
        let ledger = self.store.ledger_days(tenant, day, day).await?.pop();
        let next = day.next_day().map(midnight);
        let judged = self.store.judged_calls(tenant, midnight(day), next).await?;
        Ok(RolledDay {
            day,
            usage,
            ledger,
            judged: regroup(judged),
        })
    }
}
