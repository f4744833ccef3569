//! The console's two heavy reads, kept per tenant for a minute: the overview's 30 days
//! of usage and the identity page's calibration. Both aggregate every call of their
//! window (a large tenant's month is hundreds of thousands of rows: 60 to 90 ms on the
//! benchmark's machine); a dashboard a minute behind is what a person reading it
//! expects, and each page says when its figures were read. Saving settings here drops
//! the tenant's calibration at once. Credits are never cached.

use std::sync::Arc;
use std::time::Duration;

use moka::future::Cache;
use stickycalls_domain::Timestamp;
use stickycalls_domain::ports::Clock;
use stickycalls_domain::settings::CalibrationReport;
use stickycalls_domain::tenant::TenantId;
use stickycalls_domain::usage::UsageReport;

use stickycalls_inbound::error::ApiError;
use stickycalls_inbound::{AppState, Backend};

/// How long the figures are kept.
pub(crate) const FIGURES_TTL: Duration = Duration::from_secs(60);

/// Figures and when they were read.
#[derive(Debug)]
pub(crate) struct Read<T> {
    pub value: T,
    pub at: Timestamp,
}

/// Recent tenants' figures, shared by every HTTP worker.
pub struct Figures {
    usage: Cache<TenantId, Arc<Read<UsageReport>>>,
    calibration: Cache<TenantId, Arc<Read<CalibrationReport>>>,
}

impl std::fmt::Debug for Figures {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Figures")
            .field("usage", &self.usage.entry_count())
            .field("calibration", &self.calibration.entry_count())
            .finish()
    }
}

/// A cache of one kind of figures.
fn kept<T: Send + Sync + 'static>() -> Cache<TenantId, Arc<Read<T>>> {
    Cache::builder()
        .max_capacity(10_000)
        .time_to_live(FIGURES_TTL)
        .build()
}

impl Default for Figures {
    fn default() -> Self {
        Self {
            usage: kept(),
            calibration: kept(),
        }
    }
}

impl Figures {
    /// The tenant's last 30 days, read at most once a minute.
    pub(crate) async fn usage<B: Backend>(
        &self, state: &AppState<B>, tenant: TenantId,
    ) -> Result<Arc<Read<UsageReport>>, ApiError> {
        self.usage
            .try_get_with(tenant, async move {
                let value = state.usage.report(&tenant, None, None).await?;
                Ok(Arc::new(Read {
                    value,
                    at: state.clock.now(),
                }))
            })
            .await
            .map_err(ApiError::from_shared)
    }

    /// The tenant's calibration over 30 days, read at most once a minute.
    pub(crate) async fn calibration<B: Backend>(
        &self, state: &AppState<B>, tenant: TenantId,
    ) -> Result<Arc<Read<CalibrationReport>>, ApiError> {
        self.calibration
            .try_get_with(tenant, async move {
                let value = state.settings.calibration(&tenant, None).await?;
                Ok(Arc::new(Read {
                    value,
                    at: state.clock.now(),
                }))
            })
            .await
            .map_err(ApiError::from_shared)
    }

    /// Drops the tenant's calibration (its settings changed).
    pub(crate) async fn forget_calibration(&self, tenant: &TenantId) {
        self.calibration.invalidate(tenant).await;
    }
}
