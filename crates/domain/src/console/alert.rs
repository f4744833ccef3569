//! The credits banner: the seeds' monitoring advice ("alert when under 20 % remaining").
//! Remaining is what can still be spent (the period's allowance left plus purchased
//! credits left); the whole is the period's allowance plus purchased credits left.

use crate::credits::CreditSummary;

/// What the console says about a tenant's credits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CreditAlert {
    /// 20 % or more remain (or billing is off): no banner.
    None,
    /// Under 20 % remain: a warning.
    Low {
        /// Whole percent remaining, rounded down (0 to 19).
        percent: u8,
    },
    /// Nothing remains: new callers are refused (402) until the next period or a top-up.
    Empty,
}

impl CreditAlert {
    /// The alert for a tenant's credits now.
    pub fn of(credits: &CreditSummary) -> Self {
        if !credits.billing_enabled {
            return Self::None;
        }
        let remaining = u128::from(credits.remaining());
        let whole = u128::from(credits.allowance) + u128::from(credits.top_up);
        if remaining == 0 {
            return Self::Empty;
        }
        // remaining / whole < 20 %, in integers.
        if remaining * 5 < whole {
            let percent = u8::try_from(remaining * 100 / whole).unwrap_or(19);
            return Self::Low { percent };
        }
        Self::None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Timestamp;

    fn credits(allowance: u64, allowance_left: u64, top_up: u64) -> CreditSummary {
        let at = Timestamp::from_unix_millis(0).unwrap();
        CreditSummary {
            plan: "free".into(),
            allowance,
            allowance_left,
            top_up,
            period_start: at,
            period_end: at,
            billing_enabled: true,
        }
    }

    #[test]
    fn the_banner_warns_under_a_fifth_and_at_zero() {
        assert_eq!(CreditAlert::of(&credits(100, 20, 0)), CreditAlert::None);
        assert_eq!(
            CreditAlert::of(&credits(100, 19, 0)),
            CreditAlert::Low { percent: 19 }
        );
        assert_eq!(
            CreditAlert::of(&credits(100, 1, 0)),
            CreditAlert::Low { percent: 1 }
        );
        assert_eq!(CreditAlert::of(&credits(100, 0, 0)), CreditAlert::Empty);
        // Purchased credits count on both sides.
        assert_eq!(CreditAlert::of(&credits(100, 0, 30)), CreditAlert::None);
        assert_eq!(
            CreditAlert::of(&credits(100, 0, 20)),
            CreditAlert::Low { percent: 16 }
        );
        // An enterprise allowance with no purchase, and a tiny remainder.
        assert_eq!(
            CreditAlert::of(&credits(10_000_000, 1, 0)),
            CreditAlert::Low { percent: 0 }
        );
        // A plan with no allowance and only purchased credits.
        assert_eq!(CreditAlert::of(&credits(0, 0, 5)), CreditAlert::None);
    }

    #[test]
    fn billing_off_never_warns() {
        let mut off = credits(100, 0, 0);
        off.billing_enabled = false;
        assert_eq!(CreditAlert::of(&off), CreditAlert::None);
    }
}
