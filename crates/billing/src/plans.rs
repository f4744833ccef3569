//! The plan catalog (docs/BILLING.md).

use std::fmt;
use std::str::FromStr;

/// A plan's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PlanId {
    /// 100 credits a month, no card.
    Free,
    /// 10,000 credits a month.
    Starter,
    /// 50,000 credits a month.
    Growth,
    /// 250,000 credits a month.
    Scale,
    /// Custom allowance, set by the operator.
    Enterprise,
}

/// A plan: its monthly allowance and prices (US cents; `None` where docs/BILLING.md gives none).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    /// Which plan.
    pub id: PlanId,
    /// Credits each monthly period; `None` for Enterprise (set per account).
    pub monthly_credits: Option<u64>,
    /// Price billed monthly, per month.
    pub monthly_price_cents: Option<u32>,
    /// Price billed annually, per month (15% off).
    pub annual_price_cents_per_month: Option<u32>,
    /// Requests a key on this plan may send per minute (also the burst).
    pub requests_per_minute: u32,
}

impl PlanId {
    /// Every plan, cheapest first.
    pub const ALL: [PlanId; 5] = [
        PlanId::Free,
        PlanId::Starter,
        PlanId::Growth,
        PlanId::Scale,
        PlanId::Enterprise,
    ];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            PlanId::Free => "free",
            PlanId::Starter => "starter",
            PlanId::Growth => "growth",
            PlanId::Scale => "scale",
            PlanId::Enterprise => "enterprise",
        }
    }

    /// The plan's terms. docs/BILLING.md prices only Starter ($29 a month, $25 a month billed
    /// annually) and Free ($0); the others are left for the operator to price.
    pub fn plan(self) -> Plan {
        // Request quotas grow with the plan (about 6 requests a call at the allowance's
        // busiest minute leaves the free plan room for a burst of tests).
        let (monthly_credits, monthly, annual, per_minute) = match self {
            PlanId::Free => (Some(100), Some(0), Some(0), 600),
            PlanId::Starter => (Some(10_000), Some(2_900), Some(2_500), 1_200),
            PlanId::Growth => (Some(50_000), None, None, 3_000),
            PlanId::Scale => (Some(250_000), None, None, 6_000),
            PlanId::Enterprise => (None, None, None, 12_000),
        };
        Plan {
            id: self,
            monthly_credits,
            monthly_price_cents: monthly,
            annual_price_cents_per_month: annual,
            requests_per_minute: per_minute,
        }
    }
}

impl fmt::Display for PlanId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A plan name that is not in the catalog.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown plan `{0}` (expected free, starter, growth, scale or enterprise)")]
pub struct UnknownPlan(pub String);

impl FromStr for PlanId {
    type Err = UnknownPlan;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        PlanId::ALL
            .into_iter()
            .find(|p| p.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| UnknownPlan(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_faq_catalog() {
        let credits: Vec<Option<u64>> = PlanId::ALL
            .iter()
            .map(|p| p.plan().monthly_credits)
            .collect();
        assert_eq!(
            credits,
            [Some(100), Some(10_000), Some(50_000), Some(250_000), None]
        );
        let starter = PlanId::Starter.plan();
        assert_eq!(
            (
                starter.monthly_price_cents,
                starter.annual_price_cents_per_month
            ),
            (Some(2_900), Some(2_500))
        );
        assert_eq!("Growth".parse::<PlanId>(), Ok(PlanId::Growth));
        assert!("gold".parse::<PlanId>().is_err());
    }
}
