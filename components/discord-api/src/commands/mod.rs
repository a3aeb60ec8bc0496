//! Application-command definitions for registration, and Discord's rules for them.
//!
//! The bot owns its command list; this module gives the types (serialized as the
//! bodies of `PUT /applications/{id}/commands`) and [`validate`] / [`validate_all`],
//! which [`crate::rest`] runs before building a registration request.
//! Spec: <https://discord.com/developers/docs/interactions/application-commands>.

mod choice;
mod option;
mod validate;

pub use choice::{Choice, ChoiceValue};
pub use option::CommandOption;
pub use validate::{validate, validate_all, CommandError, CommandProblem};

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::id::CommandId;
pub use crate::model::{CommandType, IntegrationType, InteractionContextType, OptionType};
use crate::permissions::Permissions;

/// An application command
/// (<https://discord.com/developers/docs/interactions/application-commands#application-command-object>).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[must_use = "builders do nothing unless used"]
pub struct Command {
    /// Set by Discord on registered commands; omitted when registering.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<CommandId>,
    /// The type (`CHAT_INPUT` when absent).
    #[serde(rename = "type", default = "chat_input")]
    pub kind: CommandType,
    /// 1-32 chars; lowercase `^[-_'\p{L}\p{N}]+$` for `CHAT_INPUT`.
    pub name: String,
    /// Names per locale.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_localizations: Option<BTreeMap<String, String>>,
    /// 1-100 chars for `CHAT_INPUT`; empty for `USER` and `MESSAGE`.
    #[serde(default)]
    pub description: String,
    /// Descriptions per locale.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description_localizations: Option<BTreeMap<String, String>>,
    /// Options or subcommands (at most 25; `CHAT_INPUT` only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<CommandOption>,
    /// Who may use it by default, as a decimal permission string; `"0"` means
    /// administrators only (until a server's admins say otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_member_permissions: Option<Permissions>,
    /// Where it may be used (global commands only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contexts: Option<Vec<InteractionContextType>>,
    /// Which installations offer it (global commands only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub integration_types: Option<Vec<IntegrationType>>,
    /// Whether it is age-restricted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nsfw: Option<bool>,
}

fn chat_input() -> CommandType {
    CommandType::ChatInput
}

impl Command {
    fn of(kind: CommandType, name: String, description: String) -> Self {
        Self {
            id: None,
            kind,
            name,
            name_localizations: None,
            description,
            description_localizations: None,
            options: Vec::new(),
            default_member_permissions: None,
            contexts: None,
            integration_types: None,
            nsfw: None,
        }
    }

    /// A slash command.
    pub fn chat_input(name: impl Into<String>, description: impl Into<String>) -> Self {
        Self::of(CommandType::ChatInput, name.into(), description.into())
    }

    /// A command in users' context menus.
    pub fn user(name: impl Into<String>) -> Self {
        Self::of(CommandType::User, name.into(), String::new())
    }

    /// A command in messages' context menus.
    pub fn message(name: impl Into<String>) -> Self {
        Self::of(CommandType::Message, name.into(), String::new())
    }

    /// Adds an option or subcommand.
    pub fn option(mut self, option: CommandOption) -> Self {
        self.options.push(option);
        self
    }

    /// Restricts default use to members with these permissions.
    pub fn default_member_permissions(mut self, permissions: Permissions) -> Self {
        self.default_member_permissions = Some(permissions);
        self
    }

    /// Sets where it may be used.
    pub fn contexts(mut self, contexts: impl IntoIterator<Item = InteractionContextType>) -> Self {
        self.contexts = Some(contexts.into_iter().collect());
        self
    }

    /// Sets which installations offer it.
    pub fn integration_types(mut self, types: impl IntoIterator<Item = IntegrationType>) -> Self {
        self.integration_types = Some(types.into_iter().collect());
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_command_serializes_to_discords_registration_json() {
        let command = Command::chat_input("meeting", "Kaltura meetings")
            .default_member_permissions(Permissions::MANAGE_EVENTS)
            .contexts([InteractionContextType::Guild])
            .integration_types([IntegrationType::GuildInstall])
            .option(
                CommandOption::sub_command("start", "Start a meeting")
                    .option(
                        CommandOption::string("kind", "Meeting type")
                            .required()
                            .choice(Choice::string("Webinar", "webinar"))
                            .choice(Choice::string("Virtual classroom", "classroom")),
                    )
                    .option(CommandOption::integer("minutes", "Length").int_range(5, 480)),
            )
            .option(
                CommandOption::sub_command("share", "Share a video").option(
                    CommandOption::string("video", "Video")
                        .required()
                        .autocomplete(),
                ),
            );
        assert_eq!(
            serde_json::to_value(&command).unwrap(),
            json!({
                "type": 1,
                "name": "meeting",
                "description": "Kaltura meetings",
                "default_member_permissions": "8589934592",
                "contexts": [0],
                "integration_types": [0],
                "options": [
                    {"type": 1, "name": "start", "description": "Start a meeting", "options": [
                        {"type": 3, "name": "kind", "description": "Meeting type", "required": true,
                         "choices": [{"name": "Webinar", "value": "webinar"},
                                     {"name": "Virtual classroom", "value": "classroom"}]},
                        {"type": 4, "name": "minutes", "description": "Length",
                         "min_value": 5, "max_value": 480}
                    ]},
                    {"type": 1, "name": "share", "description": "Share a video", "options": [
                        {"type": 3, "name": "video", "description": "Video", "required": true,
                         "autocomplete": true}
                    ]}
                ]
            })
        );
        assert_eq!(validate(&command), Ok(()));
    }

    #[test]
    fn a_registered_command_reads_back_with_its_id() {
        let json = r#"{"id":"1","application_id":"2","version":"3","type":2,"name":"Start meeting",
            "description":"","default_member_permissions":null,"contexts":null}"#;
        let command: Command = serde_json::from_str(json).unwrap();
        assert_eq!(command.id.map(crate::Id::get), Some(1));
        assert_eq!(command.kind, CommandType::User);
        assert_eq!(command.default_member_permissions, None);
    }
}
