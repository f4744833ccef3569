//! A request of a live session: whose data, and the token its forms carry. What a
//! session is checked against and how it ends is `session`'s.

use stickycalls_domain::console::csrf;
use stickycalls_domain::tenant::{Environment, Tenant};

/// A request of a live session.
#[derive(Debug)]
pub(crate) struct Signed {
    /// Whose data, with its policy.
    pub tenant: Tenant,
    /// The key that signed in (its public lookup id).
    pub key_lookup_id: String,
    /// The session's id as the browser holds it (the store keeps only its digest).
    pub(crate) session_id: String,
}

impl Signed {
    /// The session's environment.
    pub fn environment(&self) -> Environment {
        self.tenant.id.environment
    }

    /// The token this session's forms carry.
    pub fn form_token(&self) -> String {
        csrf::token(&self.session_id)
    }
}
