//! The usage report and the account summary: per-day activity over a window of at
//! most a year (the last 30 days by default), and plan, period and credits. Both are
//! free reads.
//!
//! Any two valid dates make a report (what the OpenAPI document can promise): a window
//! longer than a year covers the year that ends at `to`, and a `from` after `to`
//! covers no day. The report names the window it covers.

mod rolled_day;
mod rolling;
pub mod rollup;

pub use rolled_day::RolledDay;
pub use rolling::{Rollups, judged_since};

use time::macros::format_description;
use time::{Date, Duration};

use crate::credits::{CreditSummary, DailyUsage, LedgerDay};
use crate::error::{StoreError, ValidationError};
use crate::ports::{Clock, CreditLedger, RollupStore, UsageStore};
use crate::tenant::TenantId;

/// Longest usage window, in days.
pub const MAX_USAGE_DAYS: i64 = 366;

/// Days a report covers when no `from` is given.
pub const DEFAULT_USAGE_DAYS: i64 = 30;

/// Why a usage read did nothing.
#[derive(Debug, thiserror::Error)]
pub enum UsageError {
    /// A bad window.
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    /// The tenant has no credit state (no account summary to show).
    #[error("no credits are set up for this account")]
    NoAccount,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Figures per UTC day over a window.
#[derive(Debug, Clone, PartialEq)]
pub struct DayReport<T> {
    /// First day.
    pub from: Date,
    /// Last day.
    pub to: Date,
    /// Days with activity, oldest first.
    pub days: Vec<T>,
}

/// A usage report.
pub type UsageReport = DayReport<DailyUsage>;

/// The ledger by day.
pub type LedgerReport = DayReport<LedgerDay>;

fn day(text: Option<&str>, field: &str, default: Date) -> Result<Date, ValidationError> {
    match text {
        None => Ok(default),
        Some(t) => Date::parse(t, format_description!("[year]-[month]-[day]"))
            .map_err(|_| ValidationError::invalid(field, "must be a date, YYYY-MM-DD")),
    }
}

/// The window a report covers: `to` defaults to `today`, `from` to 30 days before
/// `to`; a `from` more than a year before `to` is moved up to the year's first day.
/// A `from` after `to` is kept: the window holds no day.
pub fn usage_window(
    from: Option<&str>, to: Option<&str>, today: Date,
) -> Result<(Date, Date), ValidationError> {
    let to = day(to, "to", today)?;
    let from = day(from, "from", to - Duration::days(DEFAULT_USAGE_DAYS - 1))?;
    Ok((from.max(to - Duration::days(MAX_USAGE_DAYS - 1)), to))
}

/// The usage and account reads, generic over their ports.
#[derive(Debug, Clone)]
pub struct UsageService<S, L, C> {
    store: S,
    ledger: L,
    clock: C,
}

impl<S: UsageStore + RollupStore, L: CreditLedger, C: Clock> UsageService<S, L, C> {
    /// Wires the service.
    pub fn new(store: S, ledger: L, clock: C) -> Self {
        Self {
            store,
            ledger,
            clock,
        }
    }

    /// The window `from`/`to` name (see [`usage_window`]), read by `read` unless it
    /// holds no day.
    async fn over_window<T, F>(
        &self, from: Option<&str>, to: Option<&str>, read: impl FnOnce(Date, Date) -> F,
    ) -> Result<DayReport<T>, UsageError>
    where
        F: Future<Output = Result<Vec<T>, StoreError>>,
    {
        let (from, to) = usage_window(from, to, self.clock.now().get().date())?;
        let days = if from > to {
            Vec::new()
        } else {
            read(from, to).await?
        };
        Ok(DayReport { from, to, days })
    }

    /// Per-day activity between `from` and `to` (`YYYY-MM-DD`, UTC days): rolled days
    /// as they were kept, the others counted from the calls.
    pub async fn report(
        &self, tenant: &TenantId, from: Option<&str>, to: Option<&str>,
    ) -> Result<UsageReport, UsageError> {
        self.over_window(from, to, |from, to| {
            rolling::rolled_then_live(
                &self.store,
                tenant,
                (from, to),
                |d| d.usage,
                |from, to| self.store.usage(tenant, from, to),
            )
        })
        .await
    }

    /// The ledger's grants, purchases and debits per day, over the same window as
    /// [`report`](Self::report), rolled days as they were kept.
    pub async fn ledger(
        &self, tenant: &TenantId, from: Option<&str>, to: Option<&str>,
    ) -> Result<LedgerReport, UsageError> {
        self.over_window(from, to, |from, to| {
            rolling::rolled_then_live(
                &self.store,
                tenant,
                (from, to),
                |d| d.ledger,
                |from, to| self.store.ledger_days(tenant, from, to),
            )
        })
        .await
    }

    /// Plan, period and credits now.
    pub async fn account(&self, tenant: &TenantId) -> Result<CreditSummary, UsageError> {
        self.ledger
            .summary(tenant, self.clock.now())
            .await?
            .ok_or(UsageError::NoAccount)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn the_window_defaults_to_thirty_days_and_covers_at_most_a_year() {
        let today = date!(2026 - 03 - 31);
        assert_eq!(
            usage_window(None, None, today).unwrap(),
            (date!(2026 - 03 - 02), today)
        );
        assert_eq!(
            usage_window(Some("2026-01-01"), Some("2026-01-01"), today).unwrap(),
            (date!(2026 - 01 - 01), date!(2026 - 01 - 01))
        );
        assert_eq!(
            usage_window(Some("2025-01-01"), Some("2026-01-01"), today).unwrap(),
            (date!(2025 - 01 - 01), date!(2026 - 01 - 01))
        );
        assert_eq!(
            usage_window(Some("2020-01-01"), Some("2026-01-01"), today).unwrap(),
            (date!(2025 - 01 - 01), date!(2026 - 01 - 01)),
            "366 days at most"
        );
        assert_eq!(
            usage_window(Some("2026-02-01"), Some("2026-01-01"), today).unwrap(),
            (date!(2026 - 02 - 01), date!(2026 - 01 - 01)),
            "an empty window is kept as asked"
        );
        for (from, to, field) in [
            (Some("2026-02-30"), None, "from"),
            (Some("yesterday"), None, "from"),
            (None, Some("2026-13-01"), "to"),
        ] {
            let e = usage_window(from, to, today).unwrap_err();
            assert_eq!(e.issues[0].path, [field], "{from:?} {to:?}");
        }
    }
}
