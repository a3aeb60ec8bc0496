//! Command options and subcommands.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::choice::Choice;
use crate::model::OptionType;

/// An option or subcommand of a command
/// (<https://discord.com/developers/docs/interactions/application-commands#application-command-object-application-command-option-structure>).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[must_use = "builders do nothing unless used"]
pub struct CommandOption {
    /// The option's type.
    #[serde(rename = "type")]
    pub kind: OptionType,
    /// 1-32 lowercase chars matching `^[-_'\p{L}\p{N}]+$`.
    pub name: String,
    /// Names per locale.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_localizations: Option<BTreeMap<String, String>>,
    /// 1-100 chars.
    pub description: String,
    /// Descriptions per locale.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description_localizations: Option<BTreeMap<String, String>>,
    /// Whether the user must give it (required options come first).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub required: bool,
    /// Fixed values to pick from (at most 25; `STRING`, `INTEGER`, `NUMBER`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub choices: Vec<Choice>,
    /// A subcommand's options, or a group's subcommands.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<CommandOption>,
    /// Smallest value (`INTEGER`, `NUMBER`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_value: Option<serde_json::Number>,
    /// Largest value (`INTEGER`, `NUMBER`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_value: Option<serde_json::Number>,
    /// Shortest input, 0-6000 (`STRING`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_length: Option<u16>,
    /// Longest input, 1-6000 (`STRING`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_length: Option<u16>,
    /// Whether suggestions come from autocomplete interactions (not with `choices`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub autocomplete: bool,
}

impl CommandOption {
    /// An option of any type.
    pub fn new(kind: OptionType, name: impl Into<String>, description: impl Into<String>) -> Self {
        Self {
            kind,
            name: name.into(),
            name_localizations: None,
            description: description.into(),
            description_localizations: None,
            required: false,
            choices: Vec::new(),
            options: Vec::new(),
            min_value: None,
            max_value: None,
            min_length: None,
            max_length: None,
            autocomplete: false,
        }
    }

    /// A subcommand.
    pub fn sub_command(name: impl Into<String>, description: impl Into<String>) -> Self {
        Self::new(OptionType::SubCommand, name, description)
    }

    /// A group of subcommands.
    pub fn sub_command_group(name: impl Into<String>, description: impl Into<String>) -> Self {
        Self::new(OptionType::SubCommandGroup, name, description)
    }

    /// A string option.
    pub fn string(name: impl Into<String>, description: impl Into<String>) -> Self {
        Self::new(OptionType::String, name, description)
    }

    /// An integer option.
    pub fn integer(name: impl Into<String>, description: impl Into<String>) -> Self {
        Self::new(OptionType::Integer, name, description)
    }

    /// A number (double) option.
    pub fn number(name: impl Into<String>, description: impl Into<String>) -> Self {
        Self::new(OptionType::Number, name, description)
    }

    /// A boolean option.
    pub fn boolean(name: impl Into<String>, description: impl Into<String>) -> Self {
        Self::new(OptionType::Boolean, name, description)
    }

    /// A user option.
    pub fn user(name: impl Into<String>, description: impl Into<String>) -> Self {
        Self::new(OptionType::User, name, description)
    }

    /// A channel option.
    pub fn channel(name: impl Into<String>, description: impl Into<String>) -> Self {
        Self::new(OptionType::Channel, name, description)
    }

    /// A role option.
    pub fn role(name: impl Into<String>, description: impl Into<String>) -> Self {
        Self::new(OptionType::Role, name, description)
    }

    /// Makes it required.
    pub fn required(mut self) -> Self {
        self.required = true;
        self
    }

    /// Turns on autocomplete.
    pub fn autocomplete(mut self) -> Self {
        self.autocomplete = true;
        self
    }

    /// Adds a fixed choice.
    pub fn choice(mut self, choice: Choice) -> Self {
        self.choices.push(choice);
        self
    }

    /// Adds a nested option (to a subcommand) or subcommand (to a group).
    pub fn option(mut self, option: CommandOption) -> Self {
        self.options.push(option);
        self
    }

    /// Bounds a string option's length.
    pub fn length(mut self, min: u16, max: u16) -> Self {
        self.min_length = Some(min);
        self.max_length = Some(max);
        self
    }

    /// Bounds an integer option's value.
    pub fn int_range(mut self, min: i64, max: i64) -> Self {
        self.min_value = Some(min.into());
        self.max_value = Some(max.into());
        self
    }

    /// Bounds a number option's value (a non-finite bound is left unset).
    pub fn number_range(mut self, min: f64, max: f64) -> Self {
        self.min_value = serde_json::Number::from_f64(min);
        self.max_value = serde_json::Number::from_f64(max);
        self
    }
}
