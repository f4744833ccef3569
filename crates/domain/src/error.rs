//! Errors shared by every use case: refused input and an unreachable store.

use std::fmt;

/// Why a request was refused before anything was written. The HTTP adapter turns it
/// into a 400 whose `details.issues` lists every [`Issue`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ValidationError {
    /// What kind of refusal this is (stable, snake_case on the wire).
    pub kind: RefusalKind,
    /// Each offending field, by path from the body's root.
    pub issues: Vec<Issue>,
}

/// The kinds of refusal, which become different error codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefusalKind {
    /// Malformed or out-of-range input (`invalid_request`).
    InvalidRequest,
    /// A value that looks like a payment card number (`sensitive_data_rejected`).
    SensitiveData,
}

impl RefusalKind {
    /// The stable error code.
    pub fn code(self) -> &'static str {
        match self {
            RefusalKind::InvalidRequest => "invalid_request",
            RefusalKind::SensitiveData => "sensitive_data_rejected",
        }
    }
}

/// One offending field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    /// Path from the body's root, e.g. `["variables", "card"]`.
    pub path: Vec<String>,
    /// What is wrong with it, for a human.
    pub message: String,
}

impl Issue {
    /// An issue at `path` (segments separated by `.`).
    pub fn at(path: &str, message: impl Into<String>) -> Self {
        Self {
            path: path.split('.').map(str::to_owned).collect(),
            message: message.into(),
        }
    }

    /// An issue at an explicit list of path segments (for user-chosen keys that may
    /// themselves contain dots).
    pub fn at_segments(path: &[&str], message: impl Into<String>) -> Self {
        Self {
            path: path.iter().map(|s| (*s).to_owned()).collect(),
            message: message.into(),
        }
    }
}

impl ValidationError {
    /// A refusal for one field.
    pub fn single(kind: RefusalKind, issue: Issue) -> Self {
        Self {
            kind,
            issues: vec![issue],
        }
    }

    /// An `invalid_request` refusal for one field.
    pub fn invalid(path: &str, message: impl Into<String>) -> Self {
        Self::single(RefusalKind::InvalidRequest, Issue::at(path, message))
    }
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:", self.kind.code())?;
        for issue in &self.issues {
            write!(f, " {}: {};", issue.path.join("."), issue.message)?;
        }
        Ok(())
    }
}

/// Collects issues from several fields so one response can name them all.
#[derive(Debug, Default)]
pub struct Issues {
    invalid: Vec<Issue>,
    sensitive: Vec<Issue>,
}

impl Issues {
    /// Records the error of a field, keeping its kind.
    pub fn push(&mut self, error: ValidationError) {
        match error.kind {
            RefusalKind::InvalidRequest => self.invalid.extend(error.issues),
            RefusalKind::SensitiveData => self.sensitive.extend(error.issues),
        }
    }

    /// Keeps `Ok` values and records errors.
    pub fn take<T>(&mut self, result: Result<T, ValidationError>) -> Option<T> {
        result.map_err(|e| self.push(e)).ok()
    }

    /// `Ok(())` when nothing was recorded. Malformed input is reported before
    /// sensitive data: a client fixes the shape first.
    pub fn finish(self) -> Result<(), ValidationError> {
        if !self.invalid.is_empty() {
            Err(ValidationError {
                kind: RefusalKind::InvalidRequest,
                issues: self.invalid,
            })
        } else if !self.sensitive.is_empty() {
            Err(ValidationError {
                kind: RefusalKind::SensitiveData,
                issues: self.sensitive,
            })
        } else {
            Ok(())
        }
    }
}

/// A storage or ledger adapter failed. Adapters translate their driver errors into
/// this; no driver type crosses a port.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The store cannot be reached or has no free connection in time (HTTP 503).
    #[error("the store is unavailable")]
    Unavailable(#[source] anyhow::Error),
    /// Anything else (HTTP 500, cause logged).
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}
