//! A tenant's data key generations: new values are sealed under its customers' keys of
//! the current generation; a data key rotation moves the tenant to the next one, re-seals
//! every value still under an older key, then destroys the older keys. The state is one
//! short text in the keyring, so every node reads the same.

use crate::tenant::TenantId;

/// Which generation a tenant seals under, and which one a rotation is moving from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Generation {
    /// New values are sealed under customers' keys of this generation.
    pub current: u32,
    /// While a rotation re-seals: the generation it moves from (its keys still open
    /// what is not re-sealed yet).
    pub from: Option<u32>,
}

impl Default for Generation {
    fn default() -> Self {
        Self::FIRST
    }
}

impl Generation {
    /// A tenant that was never rotated.
    pub const FIRST: Generation = Generation {
        current: 1,
        from: None,
    };

    /// Where a rotation asked now moves the tenant: to the next generation, or, when
    /// one is under way (a run stopped by a crash), where that one was going.
    #[must_use]
    pub fn advanced(self) -> Generation {
        match self.from {
            Some(_) => self,
            None => Generation {
                current: self.current + 1,
                from: Some(self.current),
            },
        }
    }

    /// The same generation once everything is re-sealed and the older keys are gone.
    #[must_use]
    pub fn settled(self) -> Generation {
        Generation { from: None, ..self }
    }

    /// How the keyring stores it: `2`, or `2<1` while a rotation from 1 re-seals.
    pub fn to_text(self) -> String {
        match self.from {
            Some(from) => format!("{}<{from}", self.current),
            None => self.current.to_string(),
        }
    }

    /// The state the keyring stores (see [`Generation::to_text`]); `None` if unreadable.
    pub fn parse(text: &str) -> Option<Generation> {
        let (current, from) = match text.split_once('<') {
            Some((current, from)) => (current, Some(from.parse().ok()?)),
            None => (text, None),
        };
        let current: u32 = current.parse().ok()?;
        (current >= 1 && from.is_none_or(|f| f >= 1 && f < current))
            .then_some(Generation { current, from })
    }

    /// The keyring entry of the tenant's state: under the tenant's prefix (so closing
    /// the tenant deletes it), named with `#`, which no key name holds.
    pub fn entry(tenant: &TenantId) -> String {
        format!(
            "{}/{}/#generation",
            tenant.account,
            tenant.environment.as_str()
        )
    }

    /// The generation of a keyring entry's key from its name ([`crate::protection::Scope::key_name`]).
    pub fn of_key_name(name: &str) -> u32 {
        name.rsplit_once('@')
            .and_then(|(_, g)| g.parse().ok())
            .unwrap_or(1)
    }
}
