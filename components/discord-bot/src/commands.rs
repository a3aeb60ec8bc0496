//! The bot's slash commands as data: the one list that dispatch reads its option names
//! and bounds from and that `register-commands` sends to Discord.
//!
//! | command | options | `default_member_permissions` |
//! |---|---|---|
//! | `/kaltura-start` | `type` (webinar/meeting/classroom), `title`, `[description]` | `SEND_MESSAGES` |
//! | `/kaltura-join` | `meeting` (autocomplete) | everyone |
//! | `/kaltura-list` | — | everyone |
//! | `/kaltura-end` | `meeting` (autocomplete) | `SEND_MESSAGES` |
//! | `/kaltura-config` | `view [section]` · `set key value` · `reset section` · `events list` · `events pause subscription` · `events resume subscription` | `MANAGE_GUILD` |
//! | `/kaltura-video` | `search query (autocomplete) [limit 1-10]` | everyone |
//!
//! Every command is for servers only (`contexts: [GUILD]`, `integration_types:
//! [GUILD_INSTALL]`). `default_member_permissions` is only the default a server's
//! admins see and may change in Discord; the bot still asks the `config` service
//! (`check-permission`) on every command and button. The commands' names, the sections'
//! and the meeting kinds' option values are the contract's (the `contracts` names (`MeetingKind::as_str`)).
//!
//! Each command has a version ([`crate::versions`]); a deprecated one says so at the
//! start of its description.

use contracts::config::{Command as CommandName, Section};
use contracts::kaltura::MeetingKind;
use discord_api::commands::{Choice, Command, CommandOption};
use discord_api::model::{IntegrationType, InteractionContextType};
use discord_api::response::limits;
use discord_api::Permissions;

/// `/kaltura-start`'s meeting-type option.
pub const OPTION_TYPE: &str = "type";
/// `/kaltura-start`'s title option.
pub const OPTION_TITLE: &str = "title";
/// `/kaltura-start`'s description option.
pub const OPTION_DESCRIPTION: &str = "description";
/// The meeting option of `/kaltura-join` and `/kaltura-end` (autocomplete).
pub const OPTION_MEETING: &str = "meeting";
/// `/kaltura-config view`.
pub const SUB_VIEW: &str = "view";
/// `/kaltura-config set`.
pub const SUB_SET: &str = "set";
/// `/kaltura-config reset`.
pub const SUB_RESET: &str = "reset";
/// The section option of `/kaltura-config view` and `reset`.
pub const OPTION_SECTION: &str = "section";
/// The key option of `/kaltura-config set` (autocomplete).
pub const OPTION_KEY: &str = "key";
/// The value option of `/kaltura-config set`.
pub const OPTION_VALUE: &str = "value";
/// `/kaltura-config events` (v2): the server's event subscriptions.
pub const GROUP_EVENTS: &str = "events";
/// `/kaltura-config events list`.
pub const SUB_LIST: &str = "list";
/// `/kaltura-config events pause`.
pub const SUB_PAUSE: &str = "pause";
/// `/kaltura-config events resume`.
pub const SUB_RESUME: &str = "resume";
/// The subscription option of `events pause` and `events resume`.
pub const OPTION_SUBSCRIPTION: &str = "subscription";
/// `/kaltura-video search`.
pub const SUB_SEARCH: &str = "search";
/// `/kaltura-video search`'s query option (autocomplete: matching titles).
pub const OPTION_QUERY: &str = "query";
/// `/kaltura-video search`'s limit option.
pub const OPTION_LIMIT: &str = "limit";
/// The longest search query (Kaltura takes 256; Discord's autocomplete values are 100).
pub const QUERY_MAX: usize = 100;
/// The most results a search shows (Discord's 10 embeds).
pub const LIMIT_MAX: i64 = 10;
/// The results a search shows without a limit.
pub const LIMIT_DEFAULT: usize = 5;
/// The longest subscription id typed (`sub_` and 24 hex digits).
pub const SUBSCRIPTION_MAX: usize = 28;

/// The longest meeting title: the contract's (`MeetingRequest::MAX_TITLE_CHARS`).
pub const TITLE_MAX: usize = contracts::kaltura::MeetingRequest::MAX_TITLE_CHARS;
/// The longest meeting description.
pub const DESCRIPTION_MAX: usize = 1000;
/// The longest text a member may type into the meeting option while searching (the
/// value sent is a meeting id, chosen from the suggestions).
pub const MEETING_TYPED_MAX: usize = 64;
/// The longest configuration key typed.
pub const KEY_MAX: usize = 100;
/// The longest configuration value typed: a message template is a whole message.
pub const VALUE_MAX: usize = limits::CONTENT;

/// Every command, in menu order.
pub fn definitions() -> Vec<Command> {
    CommandName::ALL.iter().copied().map(definition).collect()
}

/// One command's definition.
pub fn definition(name: CommandName) -> Command {
    let command = match name {
        CommandName::KalturaStart => Command::chat_input(name.as_str(), "Start a Kaltura meeting")
            .default_member_permissions(Permissions::SEND_MESSAGES)
            .option(kind_option())
            .option(
                CommandOption::string(OPTION_TITLE, "The meeting's title")
                    .required()
                    .length(1, bound(TITLE_MAX)),
            )
            .option(
                CommandOption::string(OPTION_DESCRIPTION, "What the meeting is about")
                    .length(1, bound(DESCRIPTION_MAX)),
            ),
        CommandName::KalturaJoin => Command::chat_input(
            name.as_str(),
            "Get your own link to a meeting of this server",
        )
        .option(meeting_option("The meeting to join")),
        CommandName::KalturaList => {
            Command::chat_input(name.as_str(), "List this server's active Kaltura meetings")
        }
        CommandName::KalturaEnd => Command::chat_input(name.as_str(), "End a Kaltura meeting")
            .default_member_permissions(Permissions::SEND_MESSAGES)
            .option(meeting_option("The meeting to end")),
        CommandName::KalturaConfig => Command::chat_input(
            name.as_str(),
            "View or change this server's Kaltura settings",
        )
        .default_member_permissions(Permissions::MANAGE_GUILD)
        .option(
            CommandOption::sub_command(SUB_VIEW, "Show the settings")
                .option(section_option("Only this section", false)),
        )
        .option(
            CommandOption::sub_command(SUB_SET, "Change one setting")
                .option(
                    CommandOption::string(OPTION_KEY, "The setting, e.g. roles.default_role")
                        .required()
                        .autocomplete()
                        .length(1, bound(KEY_MAX)),
                )
                .option(
                    CommandOption::string(OPTION_VALUE, "The new value")
                        .required()
                        .length(1, bound(VALUE_MAX)),
                ),
        )
        .option(
            CommandOption::sub_command(SUB_RESET, "Put a section back to its defaults")
                .option(section_option("The section to reset", true)),
        )
        .option(
            CommandOption::sub_command_group(GROUP_EVENTS, "This server's event subscriptions")
                .option(CommandOption::sub_command(
                    SUB_LIST,
                    "List the subscriptions and why any is paused",
                ))
                .option(
                    CommandOption::sub_command(SUB_PAUSE, "Stop sending to a subscription")
                        .option(subscription_option()),
                )
                .option(
                    CommandOption::sub_command(SUB_RESUME, "Send to a paused subscription again")
                        .option(subscription_option()),
                ),
        ),
        CommandName::KalturaVideo => Command::chat_input(
            name.as_str(),
            "Find this server's Kaltura videos, share them or watch them together",
        )
        .option(
            CommandOption::sub_command(SUB_SEARCH, "Search the videos this server may show")
                .option(
                    CommandOption::string(OPTION_QUERY, "Words in the title or description")
                        .required()
                        .autocomplete()
                        .length(1, bound(QUERY_MAX)),
                )
                .option(
                    CommandOption::integer(OPTION_LIMIT, "How many results (1 to 10, default 5)")
                        .int_range(1, LIMIT_MAX),
                ),
        ),
    };
    let deprecated =
        crate::versions::version_in(crate::versions::VERSIONS, name).and_then(|v| v.deprecated);
    let mut command = command
        .contexts([InteractionContextType::Guild])
        .integration_types([IntegrationType::GuildInstall]);
    command.description = crate::versions::announce(&command.description, deprecated);
    command
}

fn subscription_option() -> CommandOption {
    CommandOption::string(
        OPTION_SUBSCRIPTION,
        "The subscription's id (sub_…), from `events list`",
    )
    .required()
    .length(1, bound(SUBSCRIPTION_MAX))
}

fn bound(max: usize) -> u16 {
    u16::try_from(max).unwrap_or(u16::MAX)
}

fn kind_option() -> CommandOption {
    MeetingKind::ALL.iter().copied().fold(
        CommandOption::string(OPTION_TYPE, "What kind of meeting").required(),
        |option, kind| option.choice(Choice::string(kind.label(), kind.as_str())),
    )
}

fn meeting_option(description: &str) -> CommandOption {
    CommandOption::string(OPTION_MEETING, description)
        .required()
        .autocomplete()
        .length(1, bound(MEETING_TYPED_MAX))
}

fn section_option(description: &str, required: bool) -> CommandOption {
    let option = Section::ALL.iter().copied().fold(
        CommandOption::string(OPTION_SECTION, description),
        |option, section| option.choice(Choice::string(section_label(section), section.as_str())),
    );
    if required {
        option.required()
    } else {
        option
    }
}

/// A section's name for people: `Commands`, `Roles`, ...
pub fn section_label(section: Section) -> &'static str {
    match section {
        Section::Commands => "Commands",
        Section::Roles => "Roles",
        Section::Notifications => "Notifications",
        Section::Features => "Features",
        Section::Kaltura => "Kaltura",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use discord_api::commands::validate_all;
    use serde_json::json;

    #[test]
    fn the_definitions_follow_discords_rules() {
        assert_eq!(validate_all(&definitions()), Ok(()));
    }

    #[test]
    fn there_is_one_command_per_configurable_command_name() {
        let names: Vec<String> = definitions().into_iter().map(|c| c.name).collect();
        assert_eq!(
            names,
            [
                "kaltura-start",
                "kaltura-join",
                "kaltura-list",
                "kaltura-end",
                "kaltura-config",
                "kaltura-video"
            ]
        );
    }

    #[test]
    fn every_command_is_for_servers_only() {
        for command in definitions() {
            let value = serde_json::to_value(&command).unwrap();
            assert_eq!(value["contexts"], json!([0]), "{}", command.name);
            assert_eq!(value["integration_types"], json!([0]), "{}", command.name);
        }
    }

    #[test]
    fn kaltura_config_defaults_to_manage_server_and_join_to_everyone() {
        let config = definition(CommandName::KalturaConfig);
        assert_eq!(
            config.default_member_permissions,
            Some(Permissions::MANAGE_GUILD)
        );
        assert_eq!(
            definition(CommandName::KalturaJoin).default_member_permissions,
            None
        );
        assert_eq!(
            definition(CommandName::KalturaList).default_member_permissions,
            None
        );
    }

    #[test]
    fn kaltura_start_serializes_with_its_three_meeting_types() {
        let value = serde_json::to_value(definition(CommandName::KalturaStart)).unwrap();
        assert_eq!(value["options"][0]["name"], "type");
        assert_eq!(
            value["options"][0]["choices"],
            json!([
                {"name": "Webinar", "value": "webinar"},
                {"name": "Interactive Meeting Room", "value": "meeting"},
                {"name": "Virtual Classroom", "value": "classroom"}
            ])
        );
        assert_eq!(value["options"][1]["max_length"], 100);
        assert_eq!(TITLE_MAX, 100);
        assert_eq!(value["options"][2].get("required"), None);
    }

    #[test]
    fn the_meeting_option_uses_autocomplete() {
        for name in [CommandName::KalturaJoin, CommandName::KalturaEnd] {
            let value = serde_json::to_value(definition(name)).unwrap();
            assert_eq!(value["options"][0]["name"], "meeting");
            assert_eq!(value["options"][0]["autocomplete"], true);
            assert_eq!(value["options"][0]["max_length"], 64);
        }
    }

    #[test]
    fn kaltura_config_has_view_set_reset_and_the_events_group() {
        let value = serde_json::to_value(definition(CommandName::KalturaConfig)).unwrap();
        let subs: Vec<&str> = value["options"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["name"].as_str().unwrap())
            .collect();
        assert_eq!(subs, ["view", "set", "reset", "events"]);
        assert_eq!(
            value["options"][0]["options"][0]["choices"][4]["value"],
            "kaltura"
        );
        assert_eq!(value["options"][1]["options"][0]["autocomplete"], true);
        assert_eq!(value["options"][2]["options"][0]["required"], true);
    }
}
