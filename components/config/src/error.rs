//! The contract's errors this service raises for its own reasons (a lost race, the
//! store, an unusable stored document); a rejected value comes from `guild-config`'s
//! `ConfigError`. Messages are safe to show to the person who made the call: they name
//! keys and rules, never a secret or a stored value.

use common::StoreError;
use contracts::Error;

/// A write that lost the compare-and-set race to another writer.
pub(crate) fn lost_race() -> Error {
    Error::Conflict(
        "the settings changed meanwhile (another change was saved first); reload them and try again"
            .into(),
    )
}

/// A key-value failure while doing `what` (e.g. "reading the settings").
pub(crate) fn storage(what: &str, err: &StoreError) -> Error {
    Error::storage(format!("{what} failed: {err}"))
}

/// A stored document that cannot be used, at `key`.
pub(crate) fn unreadable(key: &str, why: impl std::fmt::Display) -> Error {
    Error::other(format!("the stored document `{key}` cannot be used: {why}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use contracts::ErrorKind;

    #[test]
    fn each_error_is_its_contract_case_with_a_message_naming_what_failed() {
        assert_eq!(lost_race().kind(), ErrorKind::Conflict);
        let err = storage("reading the settings", &StoreError::AccessDenied);
        assert_eq!(err.kind(), ErrorKind::Storage);
        assert!(err.message().starts_with("reading the settings failed: "));
        let err = unreadable("config/v1/deployment", "not JSON");
        assert_eq!(err.kind(), ErrorKind::Other);
        assert!(err.message().contains("`config/v1/deployment`"));
    }
}
