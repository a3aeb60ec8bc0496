//! Errors are the contract's [`Error`] (`common.error`), raised directly; this module
//! only adds the two ways this service makes them. Messages are safe to show to an
//! operator: they never carry a token, a key, a secret or the signing key.

use common::StoreError;

pub use contracts::Error;

/// An `invalid` error naming `field` and the rule it broke.
pub(crate) fn invalid(field: &str, rule: impl std::fmt::Display) -> Error {
    Error::invalid(format!("{field}: {rule}"))
}

/// A failure of the key-value store as `storage`.
pub(crate) fn storage(err: StoreError) -> Error {
    Error::storage(err.to_string())
}

/// Shorthand for this crate's results.
pub type Result<T, E = Error> = std::result::Result<T, E>;
