//! The billing policy this crate gives the domain: the plan catalog (docs/BILLING.md), monthly
//! periods from each account's anchor, one credit per billable start, and the
//! operator's switch that turns billing off.

use std::num::NonZeroU32;
use std::time::Duration;

use stickycalls_domain::credits::{BillingPolicy, Charge, Period, PlanTerms, START_PRICE};
use stickycalls_domain::ratelimit::Quota;
use stickycalls_domain::{Timestamp, ValidationError};

use crate::period::monthly;
use crate::plans::PlanId;

/// The catalog and rules, with billing on or off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Catalog {
    /// False when the operator switched billing off: nothing is ever charged.
    pub billing_enabled: bool,
}

impl Catalog {
    /// The catalog with billing on or off.
    pub fn new(billing_enabled: bool) -> Self {
        Self { billing_enabled }
    }
}

impl BillingPolicy for Catalog {
    fn start_charge(&self) -> Option<Charge> {
        self.billing_enabled.then_some(Charge {
            credits: START_PRICE,
        })
    }

    /// New accounts open on the Free plan (100 credits a month).
    fn opening_plan(&self) -> PlanTerms {
        let free = PlanId::Free.plan();
        PlanTerms {
            plan: free.id.as_str().to_owned(),
            allowance: free.monthly_credits.unwrap_or_default(),
        }
    }

    fn plan_terms(&self, plan: &str, allowance: Option<u64>) -> Result<PlanTerms, ValidationError> {
        let id: PlanId = plan
            .parse()
            .map_err(|e: crate::UnknownPlan| ValidationError::invalid("plan", e.to_string()))?;
        let allowance = allowance.or(id.plan().monthly_credits).ok_or_else(|| {
            ValidationError::invalid(
                "allowance",
                format!("the {id} plan has no catalog allowance: give one"),
            )
        })?;
        Ok(PlanTerms {
            plan: id.as_str().to_owned(),
            allowance,
        })
    }

    fn period(&self, anchor: Timestamp, now: Timestamp) -> Period {
        monthly(anchor, now)
    }

    fn request_quotas(&self) -> Vec<(String, Quota)> {
        PlanId::ALL
            .into_iter()
            .map(|id| {
                let quota = Quota {
                    requests: NonZeroU32::new(id.plan().requests_per_minute)
                        .unwrap_or(NonZeroU32::MIN),
                    window: Duration::from_secs(60),
                };
                (id.as_str().to_owned(), quota)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_plan_has_a_request_quota_growing_with_the_plan() {
        let quotas = Catalog::new(true).request_quotas();
        let per_minute: Vec<(&str, u32)> = quotas
            .iter()
            .map(|(plan, q)| {
                assert_eq!(q.window, Duration::from_secs(60));
                (plan.as_str(), q.requests.get())
            })
            .collect();
        assert_eq!(
            per_minute,
            [
                ("free", 600),
                ("starter", 1_200),
                ("growth", 3_000),
                ("scale", 6_000),
                ("enterprise", 12_000)
            ]
        );
    }

    #[test]
    fn the_policy_of_the_faq() {
        let on = Catalog::new(true);
        assert_eq!(on.start_charge(), Some(Charge { credits: 1 }));
        assert_eq!(Catalog::new(false).start_charge(), None);
        assert_eq!(
            on.opening_plan(),
            PlanTerms {
                plan: "free".into(),
                allowance: 100
            }
        );
        assert_eq!(
            on.plan_terms("Growth", None).unwrap(),
            PlanTerms {
                plan: "growth".into(),
                allowance: 50_000
            }
        );
        assert_eq!(on.plan_terms("scale", Some(7)).unwrap().allowance, 7);
        let unknown = on.plan_terms("gold", None).unwrap_err();
        assert_eq!(unknown.issues[0].path, ["plan"]);
        let enterprise = on.plan_terms("enterprise", None).unwrap_err();
        assert_eq!(enterprise.issues[0].path, ["allowance"]);
        assert_eq!(
            on.plan_terms("enterprise", Some(1_000_000))
                .unwrap()
                .allowance,
            1_000_000
        );
    }
}
