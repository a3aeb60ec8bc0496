//! The crate's one error type, [`ConfigError`], and the validation rules it names.

use std::fmt;

use contracts::config::MessageKind;

use crate::template::{template_name, variables};

/// A validation rule that a rejected value broke. Shown to the person who made the
/// change, after the key path (see [`ConfigError::Invalid`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rule {
    /// The key is not part of the schema at this place; `known` lists the keys that are.
    UnknownKey {
        /// The keys allowed at this place (empty below a single setting).
        known: Vec<&'static str>,
    },
    /// The value is not of the expected JSON type, or a typed string cannot be read as one.
    WrongType {
        /// What was expected, in words (`"true or false"`).
        expected: &'static str,
    },
    /// A Discord ID must be a non-zero decimal number that fits in 64 bits
    /// (`discord-api`'s one rule).
    NotASnowflake,
    /// A Kaltura role must be `viewer`, `moderator` or `admin`.
    UnknownRole,
    /// Permission bits are a decimal string, as Discord sends them (people may also
    /// type permission names such as `MANAGE_GUILD`).
    NotPermissionBits,
    /// A template must not be empty.
    EmptyTemplate,
    /// The text is longer than allowed, counted in characters.
    TooLong {
        /// The largest allowed length.
        max: usize,
        /// The length given.
        actual: usize,
    },
    /// A `{{` without its closing `}}`.
    UnclosedPlaceholder,
    /// A placeholder names a variable that this template's event does not provide.
    UnknownVariable {
        /// The name between the braces.
        name: String,
        /// The message whose template it appeared in; [`variables`] lists the valid names.
        template: MessageKind,
    },
    /// More entries than allowed.
    TooMany {
        /// The largest allowed number of entries.
        max: usize,
        /// The number given.
        actual: usize,
    },
    /// The same value appears twice in a list.
    Duplicate {
        /// The repeated value.
        value: String,
    },
    /// Kaltura IDs (player uiconf, category) are integers from 1 to 2147483647.
    NotAKalturaId,
    /// A Kaltura privileges string is comma-separated `name` or `name:value` items.
    BadPrivilege {
        /// The offending item.
        item: String,
    },
    /// The key may only be set in the deployment-wide overrides, not per server.
    DeploymentOnly,
    /// The path names a group of settings, not one setting that takes a typed value.
    NotASetting {
        /// The settings below the path.
        below: Vec<String>,
    },
    /// The document does not fit the typed model (a bug if it ever follows validation).
    Malformed {
        /// What did not fit.
        detail: String,
    },
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rule::UnknownKey { known } if known.is_empty() => {
                f.write_str("unknown key; nothing can be set below this setting")
            }
            Rule::UnknownKey { known } => {
                write!(f, "unknown key; known keys here: {}", known.join(", "))
            }
            Rule::WrongType { expected } => write!(f, "expected {expected}"),
            Rule::NotASnowflake => {
                f.write_str("must be a Discord ID: a non-zero decimal number that fits in 64 bits")
            }
            Rule::UnknownRole => f.write_str("must be one of viewer, moderator, admin"),
            Rule::NotPermissionBits => f.write_str(
                "must be Discord permission bits as a decimal string (e.g. \"32\"), or permission names such as MANAGE_GUILD",
            ),
            Rule::EmptyTemplate => f.write_str("a template must not be empty"),
            Rule::TooLong { max, actual } => {
                write!(f, "at most {max} characters allowed, got {actual}")
            }
            Rule::UnclosedPlaceholder => f.write_str("a `{{` has no closing `}}`"),
            Rule::UnknownVariable { name, template } => write!(
                f,
                "`{{{{{name}}}}}` is not a variable of {}; available: {}",
                template_name(*template),
                variables(*template).join(", ")
            ),
            Rule::TooMany { max, actual } => {
                write!(f, "at most {max} entries allowed, got {actual}")
            }
            Rule::Duplicate { value } => write!(f, "`{value}` is listed twice"),
            Rule::NotAKalturaId => {
                f.write_str("must be a Kaltura ID: an integer from 1 to 2147483647")
            }
            Rule::BadPrivilege { item } => write!(
                f,
                "`{item}` is not a Kaltura privilege; use comma-separated `name` or `name:value` items without spaces, `;` or `|`"
            ),
            Rule::DeploymentOnly => {
                f.write_str("can only be set deployment-wide, not per server")
            }
            Rule::NotASetting { below } => write!(
                f,
                "names a group of settings, not one setting; settings below it: {}",
                below.join(", ")
            ),
            Rule::Malformed { detail } => write!(f, "does not fit the settings model: {detail}"),
        }
    }
}

impl std::error::Error for Rule {}

/// Why a configuration operation failed. Messages are safe to show to the person who
/// made the change: they name the key path and the rule, never a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// A value, key or document was rejected. `path` is the dotted key path
    /// (`notifications.events.meeting_start.channel_id`, list items as `[i]`), empty
    /// for the document itself.
    #[error("{}: {rule}", display_path(.path))]
    Invalid {
        /// The dotted key path of the rejected key or value.
        path: String,
        /// The rule it broke.
        rule: Rule,
    },
    /// A write was based on a stale version (compare-and-set lost); re-read and retry.
    #[error(
        "the settings changed meanwhile (expected version {expected}, stored version {actual}); reload them and try again"
    )]
    Conflict {
        /// The version the writer based its change on.
        expected: u64,
        /// The version currently stored.
        actual: u64,
    },
    /// The stored document was written with a schema this build does not understand;
    /// it is left untouched.
    #[error("stored settings use schema {found}, this build understands schema {supported}")]
    UnsupportedSchema {
        /// The stored document's schema number.
        found: u32,
        /// [`crate::SCHEMA_VERSION`].
        supported: u32,
    },
}

fn display_path(path: &str) -> &str {
    if path.is_empty() {
        "(document)"
    } else {
        path
    }
}

impl ConfigError {
    /// Builds an [`ConfigError::Invalid`] for `path`.
    pub fn invalid(path: impl Into<String>, rule: Rule) -> Self {
        ConfigError::Invalid {
            path: path.into(),
            rule,
        }
    }
}

/// The contract's error for each case: a rejected value is `invalid` (naming the key and
/// the rule), a stale version `conflict`, a stored document of another schema `other`.
impl From<ConfigError> for contracts::Error {
    fn from(err: ConfigError) -> Self {
        let message = err.to_string();
        match err {
            ConfigError::Invalid { .. } => contracts::Error::Invalid(message),
            ConfigError::Conflict { .. } => contracts::Error::Conflict(message),
            ConfigError::UnsupportedSchema { .. } => contracts::Error::Other(message),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use contracts::config::Event;
    use contracts::ErrorKind;

    #[test]
    fn an_invalid_error_names_the_key_path_and_the_rule() {
        let e = ConfigError::invalid(
            "notifications.events.meeting_start.channel_id",
            Rule::NotASnowflake,
        );
        assert_eq!(
            e.to_string(),
            "notifications.events.meeting_start.channel_id: must be a Discord ID: a non-zero decimal number that fits in 64 bits"
        );
        let e = contracts::Error::from(e);
        assert_eq!(e.kind(), ErrorKind::Invalid);
        assert!(e
            .message()
            .starts_with("notifications.events.meeting_start.channel_id: "));
    }

    #[test]
    fn an_error_about_the_whole_document_says_so() {
        let e = ConfigError::invalid(
            "",
            Rule::WrongType {
                expected: "a JSON object",
            },
        );
        assert_eq!(e.to_string(), "(document): expected a JSON object");
    }

    #[test]
    fn a_stale_version_is_a_conflict_and_another_schema_is_other() {
        let stale = ConfigError::Conflict {
            expected: 1,
            actual: 2,
        };
        assert_eq!(contracts::Error::from(stale).kind(), ErrorKind::Conflict);
        let schema = ConfigError::UnsupportedSchema {
            found: 9,
            supported: 1,
        };
        let e = contracts::Error::from(schema);
        assert_eq!(e.kind(), ErrorKind::Other);
        assert!(e.message().contains("schema 9"));
    }

    #[test]
    fn an_unknown_variable_message_lists_the_available_ones() {
        let rule = Rule::UnknownVariable {
            name: "url".into(),
            template: MessageKind::Event(Event::MeetingEnd),
        };
        let text = rule.to_string();
        assert!(text.starts_with("`{{url}}` is not a variable of meeting_end"));
        assert!(text.contains("duration"));
    }
}
