//! Choices: fixed values of a command option, and autocomplete suggestions.
//!
//! Spec: <https://discord.com/developers/docs/interactions/application-commands#application-command-object-application-command-option-choice-structure>.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// One choice: a name shown to the user (1-100 chars) and the value sent back.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[must_use = "builders do nothing unless used"]
pub struct Choice {
    /// The name shown (1-100 chars).
    pub name: String,
    /// Names per locale (e.g. `"de"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_localizations: Option<BTreeMap<String, String>>,
    /// The value sent back when chosen.
    pub value: ChoiceValue,
}

/// A choice's value; its JSON type must match the option's type.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ChoiceValue {
    /// For `INTEGER` (and `NUMBER`) options.
    Integer(i64),
    /// For `NUMBER` options.
    Number(f64),
    /// For `STRING` options (at most 100 chars).
    String(String),
}

impl Choice {
    /// A string choice.
    pub fn string(name: impl Into<String>, value: impl Into<String>) -> Self {
        Self::with(name, ChoiceValue::String(value.into()))
    }

    /// An integer choice.
    pub fn integer(name: impl Into<String>, value: i64) -> Self {
        Self::with(name, ChoiceValue::Integer(value))
    }

    /// A number choice.
    pub fn number(name: impl Into<String>, value: f64) -> Self {
        Self::with(name, ChoiceValue::Number(value))
    }

    fn with(name: impl Into<String>, value: ChoiceValue) -> Self {
        Self {
            name: name.into(),
            name_localizations: None,
            value,
        }
    }
}
