//! Errors are the contract's [`Error`] (`common.error`), raised directly; this module
//! maps what goes wrong underneath (the store, the Kaltura client, KS making, input
//! validation) onto it. Every message is safe to show to an operator: it never carries
//! a secret, a token or a KS.

use common::StoreError;
use kaltura_api::client::ApiError as KalturaError;
use kaltura_api::{KsError, ValidationError};

pub use contracts::Error;

/// An `invalid` error naming the field and the rule it broke.
pub(crate) fn invalid(field: &str, rule: impl std::fmt::Display) -> Error {
    Error::invalid(format!("{field}: {rule}"))
}

/// Turns a validation failure of one input field into `invalid`.
pub(crate) fn invalid_field(field: &'static str) -> impl Fn(ValidationError) -> Error {
    move |err| invalid(field, err)
}

/// A failure of the key-value store as `storage`.
pub(crate) fn storage(err: StoreError) -> Error {
    Error::storage(err.to_string())
}

/// Maps the API client's typed errors. Their messages are already redacted by
/// `kaltura-api` (no KS, no secret).
pub(crate) fn from_kaltura(err: KalturaError) -> Error {
    match &err {
        KalturaError::NotFound { .. } => Error::NotFound(err.to_string()),
        KalturaError::NotPermitted { .. } => Error::Forbidden(err.to_string()),
        KalturaError::InvalidKs { .. } => Error::Forbidden(format!(
            "{err}; check kaltura_partner_id and the Kaltura credentials"
        )),
        KalturaError::Unavailable { .. } => Error::Unavailable(err.to_string()),
        KalturaError::Other { .. }
        | KalturaError::InvalidResponse(_)
        | KalturaError::InvalidRequest(_) => Error::Other(err.to_string()),
    }
}

/// A KS could not be made: only an expiry out of range or a cipher failure, both
/// deployment or internal problems, never the caller's.
pub(crate) fn from_ks(err: KsError) -> Error {
    match err {
        KsError::ExpiryOutOfRange => Error::NotConfigured("kaltura_ks_expiry_seconds".into()),
        other => Error::Other(other.to_string()),
    }
}

/// `err` in a sentence of another error's message: its case and its message.
pub(crate) fn describe(err: &Error) -> String {
    format!("{}: {}", err.kind().name(), err.message())
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
        assert!(matches!(from_kaltura(not_found), Error::NotFound(_)));
        assert!(matches!(from_kaltura(refused), Error::Forbidden(_)));
        assert!(matches!(from_kaltura(down), Error::Unavailable(_)));
    }

    #[test]
    fn a_rejected_session_is_forbidden_with_a_hint_at_the_settings() {
        let err = from_kaltura(KalturaError::InvalidKs {
            code: "INVALID_KS".into(),
            reason: Some("EXPIRED".into()),
        });
        assert!(matches!(&err, Error::Forbidden(m) if m.contains("kaltura_partner_id")));
    }

    #[test]
    fn a_store_failure_is_a_storage_error() {
        assert!(matches!(
            storage(StoreError::AccessDenied),
            Error::Storage(_)
        ));
    }

    #[test]
    fn a_described_error_says_its_case_and_message() {
        assert_eq!(
            describe(&Error::storage("the store is down")),
            "storage: the store is down"
        );
    }
}
