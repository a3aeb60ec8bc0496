//! The service's one error type, [`ServiceError`]: the cases of the WIT `error` variant
//! this service raises.

use common::StoreError;
use guild_config::ConfigError;

/// Why a configuration call failed. Each case is the WIT `error` case of the same name;
/// messages are safe to show to the person who made the call (they name keys and rules,
/// never a secret or a stored value).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ServiceError {
    /// The input was rejected; the message names the key or field and the rule.
    #[error("{0}")]
    Invalid(String),
    /// A write was based on a stale version, or lost the compare-and-set race.
    #[error("{0}")]
    Conflict(String),
    /// The key-value store failed.
    #[error("{0}")]
    Storage(String),
    /// Anything else: stored documents that cannot be read or merged.
    #[error("{0}")]
    Other(String),
}

impl ServiceError {
    /// The matching case of the WIT `error` variant, e.g. `conflict`.
    pub fn code(&self) -> &'static str {
        match self {
            ServiceError::Invalid(_) => "invalid",
            ServiceError::Conflict(_) => "conflict",
            ServiceError::Storage(_) => "storage",
            ServiceError::Other(_) => "other",
        }
    }

    /// The error for a write that lost the compare-and-set race to another writer.
    pub(crate) fn lost_race() -> Self {
        ServiceError::Conflict(
            "the settings changed meanwhile (another change was saved first); reload them and try again"
                .into(),
        )
    }

    /// A key-value failure while doing `what` (e.g. "reading the settings").
    pub(crate) fn storage(what: &str, err: &StoreError) -> Self {
        ServiceError::Storage(format!("{what} failed: {err}"))
    }

    /// A stored document that cannot be used, at `key`.
    pub(crate) fn unreadable(key: &str, why: impl std::fmt::Display) -> Self {
        ServiceError::Other(format!("the stored document `{key}` cannot be used: {why}"))
    }
}

impl From<ConfigError> for ServiceError {
    /// A rejected write is `invalid`, a stale version `conflict`, a stored document of
    /// another schema `other`.
    fn from(err: ConfigError) -> Self {
        let message = err.to_string();
        match err {
            ConfigError::Invalid { .. } => ServiceError::Invalid(message),
            ConfigError::Conflict { .. } => ServiceError::Conflict(message),
            ConfigError::UnsupportedSchema { .. } => ServiceError::Other(message),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use guild_config::Rule;

    #[test]
    fn each_config_error_maps_to_its_wit_case() {
        let invalid = ConfigError::invalid("features.activity", Rule::WrongType { expected: "x" });
        assert_eq!(ServiceError::from(invalid).code(), "invalid");
        let stale = ConfigError::Conflict {
            expected: 1,
            actual: 2,
        };
        assert_eq!(ServiceError::from(stale).code(), "conflict");
        let schema = ConfigError::UnsupportedSchema {
            found: 9,
            supported: 1,
        };
        assert_eq!(ServiceError::from(schema).code(), "other");
    }

    #[test]
    fn an_invalid_error_keeps_the_key_and_rule_in_its_message() {
        let err = ServiceError::from(ConfigError::invalid(
            "roles.default_role",
            Rule::UnknownRole,
        ));
        assert_eq!(
            err.to_string(),
            "roles.default_role: must be one of viewer, moderator, admin"
        );
    }
}
