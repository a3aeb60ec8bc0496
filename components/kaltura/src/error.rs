//! The service's one error type. It mirrors the WIT `types.error` variant case for case,
//! so the adapter maps it one to one; every message is safe to show to an operator: it
//! never carries a secret, a token or a KS.

use common::StoreError;
use kaltura_api::client::ApiError as KalturaError;
use kaltura_api::{KsError, ValidationError};

/// Why a service call failed (mirrors WIT `types.error`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// A deployment setting the call needs is unset or malformed; carries its name.
    #[error("setting {0} is not configured")]
    NotConfigured(String),
    /// The input was rejected; says which field and which rule.
    #[error("invalid input: {0}")]
    Invalid(String),
    /// The thing asked for does not exist.
    #[error("not found: {0}")]
    NotFound(String),
    /// Kaltura (or this service) refused the action.
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// Kaltura is unreachable, failing, or the circuit is open; may succeed later.
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// A write lost a race; re-read and retry. (Not raised by this service today.)
    #[error("conflict: {0}")]
    Conflict(String),
    /// The key-value store failed.
    #[error("storage: {0}")]
    Storage(String),
    /// Anything else.
    #[error("{0}")]
    Other(String),
}

impl Error {
    /// An [`Error::Invalid`] naming the field and the rule it broke.
    pub fn invalid(field: &str, rule: impl std::fmt::Display) -> Self {
        Self::Invalid(format!("{field}: {rule}"))
    }

    /// Whether the same call may succeed later without any change (Kaltura unavailable).
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Unavailable(_))
    }
}

impl From<StoreError> for Error {
    fn from(err: StoreError) -> Self {
        Self::Storage(err.to_string())
    }
}

impl From<KalturaError> for Error {
    /// Maps the API client's typed errors. Their messages are already redacted by
    /// `kaltura-api` (no KS, no secret).
    fn from(err: KalturaError) -> Self {
        match &err {
            KalturaError::NotFound { .. } => Self::NotFound(err.to_string()),
            KalturaError::NotPermitted { .. } => Self::Forbidden(err.to_string()),
            KalturaError::InvalidKs { .. } => Self::Forbidden(format!(
                "{err}; check kaltura_partner_id and the Kaltura credentials"
            )),
            KalturaError::Unavailable { .. } => Self::Unavailable(err.to_string()),
            KalturaError::Other { .. }
            | KalturaError::InvalidResponse(_)
            | KalturaError::InvalidRequest(_) => Self::Other(err.to_string()),
        }
    }
}

impl From<KsError> for Error {
    /// A KS could not be made: only an expiry out of range or a cipher failure, both
    /// deployment or internal problems, never the caller's.
    fn from(err: KsError) -> Self {
        match err {
            KsError::ExpiryOutOfRange => Self::NotConfigured("kaltura_ks_expiry_seconds".into()),
            other => Self::Other(other.to_string()),
        }
    }
}

/// Turns a validation failure of one input field into [`Error::Invalid`].
pub(crate) fn invalid_field(field: &'static str) -> impl Fn(ValidationError) -> Error {
    move |err| Error::invalid(field, err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kaltura_errors_keep_not_found_forbidden_and_unavailable_apart() {
        let not_found = KalturaError::NotFound {
            code: "ENTRY_ID_NOT_FOUND".into(),
            message: "m".into(),
        };
        let refused = KalturaError::NotPermitted {
            code: "SERVICE_FORBIDDEN".into(),
            message: "m".into(),
        };
        let down = KalturaError::Unavailable {
            status: Some(503),
            detail: "HTTP 503".into(),
        };
        assert!(matches!(Error::from(not_found), Error::NotFound(_)));
        assert!(matches!(Error::from(refused), Error::Forbidden(_)));
        assert!(Error::from(down).is_transient());
    }

    #[test]
    fn a_rejected_session_is_forbidden_with_a_hint_at_the_settings() {
        let err = Error::from(KalturaError::InvalidKs {
            code: "INVALID_KS".into(),
            reason: Some("EXPIRED".into()),
        });
        assert!(matches!(&err, Error::Forbidden(m) if m.contains("kaltura_partner_id")));
    }

    #[test]
    fn a_store_failure_is_a_storage_error() {
        assert!(matches!(
            Error::from(StoreError::AccessDenied),
            Error::Storage(_)
        ));
    }
}
