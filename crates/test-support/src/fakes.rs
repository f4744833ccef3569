//! Clock and id generator for tests: a clock that only moves when told to, and
//! random customer references.

use std::sync::{Arc, Mutex};

use stickycalls_domain::Timestamp;
use stickycalls_domain::identity::CustomerRef;
use stickycalls_domain::ports::{Clock, IdGenerator};
use time::Duration;
use time::macros::datetime;

/// A clock shared by clones, starting at 2026-02-06T15:30:00Z.
#[derive(Debug, Clone)]
pub struct TestClock(Arc<Mutex<Timestamp>>);

impl Default for TestClock {
    fn default() -> Self {
        Self(Arc::new(Mutex::new(Timestamp::new(
            datetime!(2026-02-06 15:30:00 UTC),
        ))))
    }
}

impl TestClock {
    /// Moves the clock forward.
    pub fn advance(&self, by: Duration) {
        let mut now = self.0.lock().expect("clock lock");
        *now = *now + by;
    }
}

impl Clock for TestClock {
    fn now(&self) -> Timestamp {
        *self.0.lock().expect("clock lock")
    }
}

/// `cust_` + 32 random hex digits.
#[derive(Debug, Clone, Copy, Default)]
pub struct RandomIds;

impl IdGenerator for RandomIds {
    fn new_customer_ref(&self) -> CustomerRef {
        CustomerRef::from_trusted(format!("cust_{}", uuid::Uuid::new_v4().simple()))
    }
}
