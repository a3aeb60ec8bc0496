//! The `data` of command and autocomplete interactions.

use serde::{Deserialize, Serialize};

use crate::id::{CommandId, GenericMarker, GuildId, Id};
use crate::model::{CommandType, OptionType};

/// The `data` of an `APPLICATION_COMMAND` or `APPLICATION_COMMAND_AUTOCOMPLETE`
/// interaction; `resolved` is not kept
/// (<https://discord.com/developers/docs/interactions/receiving-and-responding#interaction-object-application-command-data-structure>).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CommandData {
    /// The invoked command's ID.
    pub id: CommandId,
    /// The invoked command's name.
    pub name: String,
    /// The invoked command's type.
    #[serde(rename = "type")]
    pub kind: CommandType,
    /// The options the user gave, with subcommands as nested options.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<CommandDataOption>,
    /// The guild the command is registered in, for guild commands.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guild_id: Option<GuildId>,
    /// The user or message a context-menu command targets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_id: Option<Id<GenericMarker>>,
}

/// One option the user gave (or a subcommand, with its own options)
/// (<https://discord.com/developers/docs/interactions/receiving-and-responding#interaction-object-application-command-interaction-data-option-structure>).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CommandDataOption {
    /// The option's name.
    pub name: String,
    /// The option's type.
    #[serde(rename = "type")]
    pub kind: OptionType,
    /// The value, absent for subcommands and groups.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<OptionValue>,
    /// A subcommand's or group's options.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<CommandDataOption>,
    /// `true` on the option the user is typing (autocomplete only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub focused: Option<bool>,
}

/// An option's value, by its JSON type. Autocomplete sends partial input, so a
/// focused `INTEGER` option may hold a string.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum OptionValue {
    /// A `BOOLEAN` option.
    Boolean(bool),
    /// An `INTEGER` option.
    Integer(i64),
    /// A `NUMBER` option.
    Number(f64),
    /// A `STRING` option, or a snowflake for `USER`, `CHANNEL`, `ROLE`,
    /// `MENTIONABLE` and `ATTACHMENT`.
    String(String),
}

impl OptionValue {
    /// The string, if it is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Self::String(s) => Some(s),
            _ => None,
        }
    }

    /// The integer, if it is one.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Self::Integer(n) => Some(*n),
            _ => None,
        }
    }

    /// The number, if it is a number or an integer.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Self::Number(n) => Some(*n),
            Self::Integer(n) => Some(*n as f64),
            _ => None,
        }
    }

    /// The boolean, if it is one.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Self::Boolean(b) => Some(*b),
            _ => None,
        }
    }

    /// The snowflake, if it is a string holding a valid one (`USER`, `CHANNEL`,
    /// `ROLE`, `MENTIONABLE`, `ATTACHMENT` options).
    pub fn as_id<M>(&self) -> Option<Id<M>> {
        self.as_str().and_then(|s| s.parse().ok())
    }
}

impl CommandData {
    /// The subcommand path (group then subcommand names, empty when the command has
    /// none) and the options of the innermost level.
    pub fn subcommand_path(&self) -> (Vec<&str>, &[CommandDataOption]) {
        let mut path = Vec::new();
        let mut options = self.options.as_slice();
        while let [only] = options {
            if !matches!(
                only.kind,
                OptionType::SubCommand | OptionType::SubCommandGroup
            ) {
                break;
            }
            path.push(only.name.as_str());
            options = &only.options;
        }
        (path, options)
    }

    /// The value of the innermost level's option called `name`.
    pub fn option(&self, name: &str) -> Option<&OptionValue> {
        self.subcommand_path()
            .1
            .iter()
            .find(|option| option.name == name)
            .and_then(|option| option.value.as_ref())
    }

    /// The option being typed in an autocomplete interaction, at any depth.
    pub fn focused(&self) -> Option<&CommandDataOption> {
        fn find(options: &[CommandDataOption]) -> Option<&CommandDataOption> {
            options.iter().find_map(|option| {
                if option.focused == Some(true) {
                    Some(option)
                } else {
                    find(&option.options)
                }
            })
        }
        find(&self.options)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::id::UserMarker;

    const NESTED: &str = r#"{
        "id": "100", "name": "meeting", "type": 1,
        "options": [{"name": "start", "type": 1, "options": [
            {"name": "kind", "type": 3, "value": "webinar"},
            {"name": "minutes", "type": 4, "value": 45},
            {"name": "ratio", "type": 10, "value": 0.5},
            {"name": "record", "type": 5, "value": true},
            {"name": "host", "type": 6, "value": "80351110224678912"}
        ]}],
        "resolved": {"users": {"80351110224678912": {"id": "80351110224678912", "username": "n"}}}
    }"#;

    #[test]
    fn a_subcommand_path_and_typed_values_are_read() {
        let data: CommandData = serde_json::from_str(NESTED).unwrap();
        let (path, leaf) = data.subcommand_path();
        assert_eq!(path, ["start"]);
        assert_eq!(leaf.len(), 5);
        assert_eq!(
            data.option("kind").and_then(OptionValue::as_str),
            Some("webinar")
        );
        assert_eq!(
            data.option("minutes").and_then(OptionValue::as_i64),
            Some(45)
        );
        assert_eq!(
            data.option("ratio").and_then(OptionValue::as_f64),
            Some(0.5)
        );
        assert_eq!(
            data.option("record").and_then(OptionValue::as_bool),
            Some(true)
        );
        let host = data
            .option("host")
            .and_then(OptionValue::as_id::<UserMarker>);
        assert_eq!(host.map(Id::get), Some(80_351_110_224_678_912));
        assert_eq!(data.option("missing"), None);
    }

    #[test]
    fn a_command_without_subcommands_has_an_empty_path() {
        let data: CommandData = serde_json::from_str(
            r#"{"id":"1","name":"ping","type":1,"options":[{"name":"x","type":3,"value":"y"}]}"#,
        )
        .unwrap();
        let (path, leaf) = data.subcommand_path();
        assert!(path.is_empty());
        assert_eq!(leaf.len(), 1);
    }

    #[test]
    fn the_focused_option_is_found_at_any_depth() {
        let data: CommandData = serde_json::from_str(
            r#"{"id":"1","name":"video","type":1,"options":[{"name":"share","type":1,"options":[
                {"name":"entry","type":3,"value":"intro","focused":true}]}]}"#,
        )
        .unwrap();
        let focused = data.focused().unwrap();
        assert_eq!(focused.name, "entry");
        assert_eq!(
            focused.value.as_ref().and_then(OptionValue::as_str),
            Some("intro")
        );
    }
}
