//! The one error type of this service. Its cases are the WIT `error` cases this
//! service raises; the adapter maps them one to one. Messages are safe to show to an
//! operator: they never carry a token, a key, a secret or the signing key.

use common::StoreError;

/// Why a call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentityError {
    /// A deployment setting is unset or unusable; carries the Spin variable's name.
    #[error("setting {0} is not configured")]
    NotConfigured(&'static str),
    /// The input was rejected; says which field and which rule.
    #[error("invalid input: {0}")]
    Invalid(String),
    /// The thing asked for does not exist.
    #[error("not found: {0}")]
    NotFound(String),
    /// The caller is not allowed to do this, or its credential is not accepted.
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// A limit was reached or a write raced another one.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The key-value store failed.
    #[error("storage: {0}")]
    Storage(String),
    /// Anything else, e.g. a stored record that cannot be read.
    #[error("{0}")]
    Other(String),
}

impl IdentityError {
    /// An `invalid` error naming `field` and the rule it broke.
    pub(crate) fn invalid(field: &str, rule: impl std::fmt::Display) -> Self {
        Self::Invalid(format!("{field}: {rule}"))
    }
}

impl From<StoreError> for IdentityError {
    fn from(err: StoreError) -> Self {
        Self::Storage(err.to_string())
    }
}

/// Shorthand for this crate's results.
pub type Result<T, E = IdentityError> = std::result::Result<T, E>;
