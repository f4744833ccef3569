//! A secret (an API key in full, later a webhook secret): shown once to its owner,
//! never printed by `Debug` or `Display`, so no log line can leak it by accident.

use std::fmt;

/// A secret value. Read it with [`Secret::expose`], only where it must leave the
/// process (the one response that shows it).
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The secret itself, consuming the wrapper.
    pub fn into_exposed(self) -> String {
        self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_printed() {
        let s = Secret::new("sk_test_0123456789abcdef_deadbeef");
        for shown in [format!("{s}"), format!("{s:?}"), format!("{s:#?}")] {
            assert!(!shown.contains("dead"), "{shown}");
            assert!(!shown.contains("sk_"), "{shown}");
        }
        assert_eq!(s.expose(), "sk_test_0123456789abcdef_deadbeef");
    }
}
