//! The call service: the use cases wired to their ports (static dispatch).

use std::sync::Arc;

use crate::ports::{CallStore, Clock, CreditLedger, IdGenerator, LinkTouch, SharedVault};
use crate::protection::Sealer;

/// `calls/start` and `calls/end`, generic over the ports so that any storage adapter,
/// ledger, clock and id generator (or their mocks) can drive them.
#[derive(Debug, Clone)]
pub struct CallService<S, L, C, I> {
    pub(super) store: S,
    pub(super) ledger: L,
    pub(super) clock: C,
    pub(super) ids: I,
    pub(super) sealer: Sealer,
}

impl<S: CallStore, L: CreditLedger, C: Clock, I: IdGenerator> CallService<S, L, C, I> {
    /// Wires the service; variables are sealed and opened through `vault`.
    pub fn new(store: S, ledger: L, clock: C, ids: I, vault: SharedVault) -> Self {
        Self {
            store,
            ledger,
            clock,
            ids,
            sealer: Sealer::new(vault),
        }
    }

    /// The same, moving links stored in clear before a start or an end compares
    /// indexes.
    pub fn touching(self, touch: Arc<dyn LinkTouch>) -> Self {
        Self {
            sealer: self.sealer.touching(touch),
            ..self
        }
    }

    /// The storage port, for adapters that serve reads beside the use cases.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// The ledger port.
    pub fn ledger(&self) -> &L {
        &self.ledger
    }

    /// The clock port.
    pub fn clock(&self) -> &C {
        &self.clock
    }
}
