//! From a verified interaction's `data` to a domain [`Action`]: what the member asks
//! for, with every client-chosen value (options, `custom_id`) parsed and bounded.
//!
//! Who asks, and what they may do, is not here: that comes from the payload's
//! `member` ([`crate::services::Caller`]) and the `config` service, asked in
//! [`crate::dispatch`].

use contracts::config::{Command as CommandName, Section};
use contracts::kaltura::{MeetingId, MeetingKind};
use discord_api::model::{CommandData, CommandType, ComponentData, ComponentType, OptionValue};

use crate::commands::{
    DESCRIPTION_MAX, GROUP_EVENTS, KEY_MAX, OPTION_DESCRIPTION, OPTION_KEY, OPTION_MEETING,
    OPTION_SECTION, OPTION_SUBSCRIPTION, OPTION_TITLE, OPTION_TYPE, OPTION_VALUE, SUBSCRIPTION_MAX,
    SUB_LIST, SUB_PAUSE, SUB_RESET, SUB_RESUME, SUB_SET, SUB_VIEW, TITLE_MAX, VALUE_MAX,
};
use crate::commands::{
    LIMIT_DEFAULT, LIMIT_MAX, OPTION_LIMIT, OPTION_QUERY, QUERY_MAX, SUB_SEARCH,
};
use crate::custom_id::{ButtonAction, CustomId, CustomIdError, VideoAction, VideoButton};
use crate::versions::{self, Fit};

/// What a member asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// `/kaltura-start`: create a meeting.
    Start {
        /// The kind of meeting.
        kind: MeetingKind,
        /// Its title (trimmed, 1-100 chars).
        title: String,
        /// Its description (trimmed, 1-1000 chars), if given.
        description: Option<String>,
    },
    /// `/kaltura-join` or a Join button: send me my own join link.
    Join {
        /// The meeting.
        meeting: MeetingId,
    },
    /// `/kaltura-list`: this server's active meetings.
    List,
    /// `/kaltura-end` or an End button: ask to end a meeting (answers with a
    /// confirmation).
    End {
        /// The meeting.
        meeting: MeetingId,
    },
    /// A Share button: post the meeting publicly in this channel.
    Share {
        /// The meeting.
        meeting: MeetingId,
    },
    /// The confirmation's End button: end the meeting now.
    ConfirmEnd {
        /// The meeting.
        meeting: MeetingId,
    },
    /// The confirmation's Cancel button.
    CancelEnd {
        /// The meeting.
        meeting: MeetingId,
    },
    /// `/kaltura-config view [section]`.
    ConfigView {
        /// One section, or all of them.
        section: Option<Section>,
    },
    /// `/kaltura-config set key value`.
    ConfigSet {
        /// The dotted key (trimmed).
        key: String,
        /// The value as typed.
        value: String,
    },
    /// `/kaltura-config reset section`.
    ConfigReset {
        /// The section.
        section: Section,
    },
    /// `/kaltura-config events list`.
    EventsList,
    /// `/kaltura-config events pause|resume subscription`.
    EventsPause {
        /// The subscription id as typed (trimmed).
        subscription: String,
        /// Pause (`true`) or resume.
        paused: bool,
    },
    /// Autocomplete of a meeting option (`/kaltura-join`, `/kaltura-end`).
    SuggestMeetings {
        /// The command being typed.
        command: CommandName,
        /// What the member has typed so far.
        typed: String,
    },
    /// Autocomplete of `/kaltura-config set key`.
    SuggestConfigKeys {
        /// What the member has typed so far.
        typed: String,
    },
    /// `/kaltura-video search query [limit]`.
    VideoSearch {
        /// The search text (trimmed, 1-100 chars).
        query: String,
        /// How many results to show (1-10).
        limit: usize,
    },
    /// A video's Share button: post it publicly in this channel.
    VideoShare {
        /// The Kaltura entry.
        entry: String,
    },
    /// A video's Watch together button.
    VideoWatch {
        /// The Kaltura entry.
        entry: String,
    },
    /// Autocomplete of `/kaltura-video search query`: matching titles.
    SuggestVideos {
        /// What the member has typed so far.
        typed: String,
    },
}

/// Why an interaction is not an [`Action`]; each reads well as an ephemeral reply.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    /// A command this bot does not have (e.g. one registered by an older version).
    #[error("I don't know that command. The bot may have been updated: try again in a minute.")]
    UnknownCommand,
    /// A component whose `custom_id` is not one of this bot's.
    #[error("I don't know that button. It may come from an older message: run the command again.")]
    UnknownComponent,
    /// A button made by an older version of the bot that this one no longer reads.
    #[error("This button is from an older version of the bot and no longer works. Nothing was done: use `/kaltura-list` for fresh buttons.")]
    OldButton,
    /// A button made by a newer version of the bot (an update is being rolled out).
    #[error("This button comes from a newer version of the bot that is being rolled out. Nothing was done: try again in a minute.")]
    NewerButton,
    /// A command used with the options of another version of it.
    #[error("{}", changed_command(command, *now, *made_for))]
    ChangedCommand {
        /// The command, e.g. `kaltura-config`.
        command: &'static str,
        /// Its version now.
        now: u32,
        /// The older version the options fit, if one does.
        made_for: Option<u32>,
    },
    /// A modal submit: this bot shows no modals.
    #[error("I don't know that form.")]
    UnknownModal,
    /// An option is missing or its value breaks a rule; names the option.
    #[error("{0}")]
    BadOption(&'static str),
    /// Not sent from a server.
    #[error("Kaltura commands work in servers only.")]
    NotInGuild,
}

/// What a member reads when their client used another version of a command.
fn changed_command(command: &str, now: u32, made_for: Option<u32>) -> String {
    let yours = made_for.map_or_else(String::new, |v| format!(", yours is version {v}"));
    format!(
        "`/{command}` has changed since your Discord app loaded it (it is version {now} now{yours}). \
         Nothing was done: run it again. Discord shows the new version within a minute; \
         restarting Discord (or Ctrl+R) shows it at once."
    )
}

impl Action {
    /// The configured command whose permission gates this action. Buttons are gated
    /// like the command they act for: Join as `/kaltura-join`, Share as
    /// `/kaltura-start`, End and its confirmation as `/kaltura-end`.
    pub fn command(&self) -> CommandName {
        match self {
            Self::Start { .. } | Self::Share { .. } => CommandName::KalturaStart,
            Self::Join { .. } => CommandName::KalturaJoin,
            Self::List => CommandName::KalturaList,
            Self::End { .. } | Self::ConfirmEnd { .. } | Self::CancelEnd { .. } => {
                CommandName::KalturaEnd
            }
            Self::ConfigView { .. }
            | Self::ConfigSet { .. }
            | Self::ConfigReset { .. }
            | Self::EventsList
            | Self::EventsPause { .. } => CommandName::KalturaConfig,
            Self::SuggestMeetings { command, .. } => *command,
            Self::SuggestConfigKeys { .. } => CommandName::KalturaConfig,
            Self::VideoSearch { .. }
            | Self::VideoShare { .. }
            | Self::VideoWatch { .. }
            | Self::SuggestVideos { .. } => CommandName::KalturaVideo,
        }
    }

    /// A short name for logs: `/kaltura-start`, `button end-confirm`, ...
    pub fn name(&self) -> &'static str {
        match self {
            Self::Start { .. } => "/kaltura-start",
            Self::Join { .. } => "join",
            Self::List => "/kaltura-list",
            Self::End { .. } => "end",
            Self::Share { .. } => "button share",
            Self::ConfirmEnd { .. } => "button end-confirm",
            Self::CancelEnd { .. } => "button end-cancel",
            Self::ConfigView { .. } => "/kaltura-config view",
            Self::ConfigSet { .. } => "/kaltura-config set",
            Self::ConfigReset { .. } => "/kaltura-config reset",
            Self::EventsList => "/kaltura-config events list",
            Self::EventsPause { paused: true, .. } => "/kaltura-config events pause",
            Self::EventsPause { paused: false, .. } => "/kaltura-config events resume",
            Self::SuggestMeetings { .. } => "autocomplete meeting",
            Self::SuggestConfigKeys { .. } => "autocomplete key",
            Self::VideoSearch { .. } => "/kaltura-video search",
            Self::VideoShare { .. } => "button vshare",
            Self::VideoWatch { .. } => "button vwatch",
            Self::SuggestVideos { .. } => "autocomplete video",
        }
    }

    /// The action of a slash command.
    ///
    /// # Errors
    /// [`Rejection::UnknownCommand`] for a command this bot does not have;
    /// [`Rejection::BadOption`] for a missing or invalid option.
    pub fn from_command(data: &CommandData) -> Result<Self, Rejection> {
        let name = command_name(data)?;
        if let Fit::Changed { now, made_for } = versions::check(name, data) {
            return Err(Rejection::ChangedCommand {
                command: name.as_str(),
                now,
                made_for,
            });
        }
        match name {
            CommandName::KalturaStart => {
                let kind = text(data, OPTION_TYPE).and_then(MeetingKind::parse).ok_or(
                    Rejection::BadOption("Pick a meeting type: webinar, meeting or classroom."),
                )?;
                let title = bounded(text(data, OPTION_TITLE), TITLE_MAX).ok_or(
                    Rejection::BadOption("Give the meeting a title of 1 to 100 characters."),
                )?;
                let description = match text(data, OPTION_DESCRIPTION) {
                    None => None,
                    Some(raw) if raw.trim().is_empty() => None,
                    Some(raw) => Some(bounded(Some(raw), DESCRIPTION_MAX).ok_or(
                        Rejection::BadOption("A description has at most 1000 characters."),
                    )?),
                };
                Ok(Self::Start {
                    kind,
                    title,
                    description,
                })
            }
            CommandName::KalturaJoin => Ok(Self::Join {
                meeting: meeting_option(data)?,
            }),
            CommandName::KalturaList => Ok(Self::List),
            CommandName::KalturaEnd => Ok(Self::End {
                meeting: meeting_option(data)?,
            }),
            CommandName::KalturaConfig => config_action(data),
            CommandName::KalturaVideo => video_action(data),
        }
    }

    /// The action of a button click.
    ///
    /// # Errors
    /// [`Rejection::UnknownComponent`] unless it is a button whose `custom_id` parses.
    pub fn from_component(data: &ComponentData) -> Result<Self, Rejection> {
        if data.component_type != ComponentType::Button {
            return Err(Rejection::UnknownComponent);
        }
        if let Some(VideoButton { action, entry }) = VideoButton::parse(&data.custom_id) {
            return Ok(match action {
                VideoAction::Share => Self::VideoShare { entry },
                VideoAction::Watch => Self::VideoWatch { entry },
            });
        }
        let CustomId { action, meeting } =
            CustomId::parse(&data.custom_id).map_err(|err| match err {
                CustomIdError::NewerVersion => Rejection::NewerButton,
                CustomIdError::UnknownVersion | CustomIdError::UnknownAction => {
                    Rejection::OldButton
                }
                _ => Rejection::UnknownComponent,
            })?;
        Ok(match action {
            ButtonAction::Join => Self::Join { meeting },
            ButtonAction::Share => Self::Share { meeting },
            ButtonAction::End => Self::End { meeting },
            ButtonAction::EndConfirm => Self::ConfirmEnd { meeting },
            ButtonAction::EndCancel => Self::CancelEnd { meeting },
        })
    }

    /// The action of an autocomplete request.
    ///
    /// # Errors
    /// [`Rejection::UnknownCommand`] for a command or option that has no
    /// autocomplete.
    pub fn from_autocomplete(data: &CommandData) -> Result<Self, Rejection> {
        let name = command_name(data)?;
        let focused = data.focused().ok_or(Rejection::UnknownCommand)?;
        let typed = focused
            .value
            .as_ref()
            .and_then(OptionValue::as_str)
            .unwrap_or_default()
            .trim()
            .chars()
            .take(KEY_MAX)
            .collect();
        match (
            name,
            data.subcommand_path().0.as_slice(),
            focused.name.as_str(),
        ) {
            (CommandName::KalturaJoin | CommandName::KalturaEnd, [], OPTION_MEETING) => {
                Ok(Self::SuggestMeetings {
                    command: name,
                    typed,
                })
            }
            (CommandName::KalturaConfig, [SUB_SET], OPTION_KEY) => {
                Ok(Self::SuggestConfigKeys { typed })
            }
            (CommandName::KalturaVideo, [SUB_SEARCH], OPTION_QUERY) => {
                Ok(Self::SuggestVideos { typed })
            }
            _ => Err(Rejection::UnknownCommand),
        }
    }
}

fn command_name(data: &CommandData) -> Result<CommandName, Rejection> {
    if data.kind != CommandType::ChatInput {
        return Err(Rejection::UnknownCommand);
    }
    CommandName::parse(&data.name).ok_or(Rejection::UnknownCommand)
}

/// The string value of the innermost level's option `name`.
fn text<'a>(data: &'a CommandData, name: &str) -> Option<&'a str> {
    data.option(name).and_then(OptionValue::as_str)
}

/// Trimmed, non-empty and at most `max` chars.
fn bounded(raw: Option<&str>, max: usize) -> Option<String> {
    let trimmed = raw?.trim();
    let chars = trimmed.chars().count();
    (1..=max).contains(&chars).then(|| trimmed.to_owned())
}

fn meeting_option(data: &CommandData) -> Result<MeetingId, Rejection> {
    text(data, OPTION_MEETING)
        .and_then(|v| contracts::meeting::parse_id(v.trim()))
        .ok_or(Rejection::BadOption(
            "That is not a meeting of this server: pick one from the list.",
        ))
}

fn section(data: &CommandData) -> Result<Option<Section>, Rejection> {
    text(data, OPTION_SECTION)
        .map(|v| Section::parse(v).ok_or(()))
        .transpose()
        .map_err(|()| {
            Rejection::BadOption(
                "Pick a section: commands, roles, notifications, features or kaltura.",
            )
        })
}

fn video_action(data: &CommandData) -> Result<Action, Rejection> {
    let (path, _) = data.subcommand_path();
    match path.as_slice() {
        [SUB_SEARCH] => {
            let query = bounded(text(data, OPTION_QUERY), QUERY_MAX).ok_or(
                Rejection::BadOption("Type what to look for (1 to 100 characters)."),
            )?;
            let limit = match data.option(OPTION_LIMIT) {
                None => LIMIT_DEFAULT,
                Some(value) => value
                    .as_i64()
                    .filter(|n| (1..=LIMIT_MAX).contains(n))
                    .and_then(|n| usize::try_from(n).ok())
                    .ok_or(Rejection::BadOption("Ask for 1 to 10 results."))?,
            };
            Ok(Action::VideoSearch { query, limit })
        }
        _ => Err(Rejection::UnknownCommand),
    }
}

fn config_action(data: &CommandData) -> Result<Action, Rejection> {
    let (path, _) = data.subcommand_path();
    match path.as_slice() {
        [SUB_VIEW] => Ok(Action::ConfigView {
            section: section(data)?,
        }),
        [SUB_SET] => {
            let key = bounded(text(data, OPTION_KEY), KEY_MAX)
                .ok_or(Rejection::BadOption("Name the setting to change."))?;
            let value = text(data, OPTION_VALUE)
                .filter(|v| (1..=VALUE_MAX).contains(&v.chars().count()))
                .ok_or(Rejection::BadOption(
                    "Give the new value (at most 2000 characters).",
                ))?
                .to_owned();
            Ok(Action::ConfigSet { key, value })
        }
        [SUB_RESET] => Ok(Action::ConfigReset {
            section: section(data)?.ok_or(Rejection::BadOption("Pick the section to reset."))?,
        }),
        [GROUP_EVENTS, SUB_LIST] => Ok(Action::EventsList),
        [GROUP_EVENTS, sub @ (SUB_PAUSE | SUB_RESUME)] => Ok(Action::EventsPause {
            subscription: bounded(text(data, OPTION_SUBSCRIPTION), SUBSCRIPTION_MAX).ok_or(
                Rejection::BadOption("Give the subscription's id (sub_…) from `events list`."),
            )?,
            paused: *sub == SUB_PAUSE,
        }),
        _ => Err(Rejection::UnknownCommand),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn command(value: serde_json::Value) -> CommandData {
        serde_json::from_value(value).unwrap()
    }

    fn start(options: serde_json::Value) -> Result<Action, Rejection> {
        Action::from_command(&command(
            json!({"id": "1", "name": "kaltura-start", "type": 1, "options": options}),
        ))
    }

    fn button(custom_id: &str) -> Result<Action, Rejection> {
        let data: ComponentData =
            serde_json::from_value(json!({"custom_id": custom_id, "component_type": 2})).unwrap();
        Action::from_component(&data)
    }

    #[test]
    fn kaltura_start_reads_its_options_trimmed() {
        let action = start(json!([
            {"name": "type", "type": 3, "value": "classroom"},
            {"name": "title", "type": 3, "value": "  Physics 101 "},
            {"name": "description", "type": 3, "value": "  "}
        ]));
        assert_eq!(
            action,
            Ok(Action::Start {
                kind: MeetingKind::Classroom,
                title: "Physics 101".into(),
                description: None
            })
        );
    }

    #[test]
    fn kaltura_start_rejects_a_forged_type_and_a_bad_title() {
        let forged = start(json!([
            {"name": "type", "type": 3, "value": "party"},
            {"name": "title", "type": 3, "value": "x"}
        ]));
        assert!(matches!(forged, Err(Rejection::BadOption(_))));
        for title in ["   ", &"t".repeat(101)] {
            let bad = start(json!([
                {"name": "type", "type": 3, "value": "webinar"},
                {"name": "title", "type": 3, "value": title}
            ]));
            assert!(matches!(bad, Err(Rejection::BadOption(_))));
        }
        let long_description = start(json!([
            {"name": "type", "type": 3, "value": "webinar"},
            {"name": "title", "type": 3, "value": "ok"},
            {"name": "description", "type": 3, "value": "d".repeat(1001)}
        ]));
        assert!(matches!(long_description, Err(Rejection::BadOption(_))));
    }

    #[test]
    fn an_unknown_or_non_slash_command_is_rejected() {
        let unknown = command(json!({"id": "1", "name": "kaltura-party", "type": 1}));
        assert_eq!(
            Action::from_command(&unknown),
            Err(Rejection::UnknownCommand)
        );
        let user_menu = command(json!({"id": "1", "name": "kaltura-list", "type": 2}));
        assert_eq!(
            Action::from_command(&user_menu),
            Err(Rejection::UnknownCommand)
        );
    }

    #[test]
    fn join_and_end_need_a_valid_meeting_id() {
        let join = command(json!({"id": "1", "name": "kaltura-join", "type": 1,
            "options": [{"name": "meeting", "type": 3, "value": " 1001 "}]}));
        assert_eq!(
            Action::from_command(&join),
            Ok(Action::Join { meeting: 1001 })
        );
        for forged in ["../../x", "0_abc", "0"] {
            let forged = command(json!({"id": "1", "name": "kaltura-end", "type": 1,
                "options": [{"name": "meeting", "type": 3, "value": forged}]}));
            assert!(matches!(
                Action::from_command(&forged),
                Err(Rejection::BadOption(_))
            ));
        }
        // Without its required option it is no shape of today's command.
        let missing = command(json!({"id": "1", "name": "kaltura-end", "type": 1}));
        assert!(matches!(
            Action::from_command(&missing),
            Err(Rejection::ChangedCommand {
                command: "kaltura-end",
                now: 1,
                made_for: None
            })
        ));
    }

    #[test]
    fn kaltura_config_subcommands_become_config_actions() {
        let view = command(json!({"id": "1", "name": "kaltura-config", "type": 1,
            "options": [{"name": "view", "type": 1, "options": [
                {"name": "section", "type": 3, "value": "roles"}]}]}));
        assert_eq!(
            Action::from_command(&view),
            Ok(Action::ConfigView {
                section: Some(Section::Roles)
            })
        );
        let set = command(json!({"id": "1", "name": "kaltura-config", "type": 1,
            "options": [{"name": "set", "type": 1, "options": [
                {"name": "key", "type": 3, "value": " roles.default_role "},
                {"name": "value", "type": 3, "value": "moderator"}]}]}));
        assert_eq!(
            Action::from_command(&set),
            Ok(Action::ConfigSet {
                key: "roles.default_role".into(),
                value: "moderator".into()
            })
        );
        let reset = command(json!({"id": "1", "name": "kaltura-config", "type": 1,
            "options": [{"name": "reset", "type": 1, "options": [
                {"name": "section", "type": 3, "value": "everything"}]}]}));
        assert!(matches!(
            Action::from_command(&reset),
            Err(Rejection::BadOption(_))
        ));
        let bare = command(json!({"id": "1", "name": "kaltura-config", "type": 1}));
        assert_eq!(Action::from_command(&bare), Err(Rejection::UnknownCommand));
    }

    #[test]
    fn every_button_maps_to_its_action() {
        let m = 7;
        assert_eq!(button("v1:join:7"), Ok(Action::Join { meeting: m }));
        assert_eq!(button("v1:share:7"), Ok(Action::Share { meeting: m }));
        assert_eq!(button("v1:end:7"), Ok(Action::End { meeting: m }));
        assert_eq!(
            button("v1:end-confirm:7"),
            Ok(Action::ConfirmEnd { meeting: m })
        );
        assert_eq!(
            button("v1:end-cancel:7"),
            Ok(Action::CancelEnd { meeting: m })
        );
    }

    #[test]
    fn forged_custom_ids_and_select_menus_are_unknown_components() {
        assert_eq!(button("v2:join:7"), Err(Rejection::NewerButton));
        assert_eq!(button("v1:delete:7"), Err(Rejection::OldButton));
        for forged in ["v1:join:", "join:7", "v1:join:7:8"] {
            assert_eq!(button(forged), Err(Rejection::UnknownComponent), "{forged}");
        }
        let select: ComponentData = serde_json::from_value(
            json!({"custom_id": "v1:join:7", "component_type": 3, "values": ["a"]}),
        )
        .unwrap();
        assert_eq!(
            Action::from_component(&select),
            Err(Rejection::UnknownComponent)
        );
    }

    #[test]
    fn autocomplete_is_offered_for_meetings_and_config_keys_only() {
        let join = command(json!({"id": "1", "name": "kaltura-join", "type": 1,
            "options": [{"name": "meeting", "type": 3, "value": "phys", "focused": true}]}));
        assert_eq!(
            Action::from_autocomplete(&join),
            Ok(Action::SuggestMeetings {
                command: CommandName::KalturaJoin,
                typed: "phys".into()
            })
        );
        let key = command(json!({"id": "1", "name": "kaltura-config", "type": 1,
            "options": [{"name": "set", "type": 1, "options": [
                {"name": "key", "type": 3, "value": "roles", "focused": true}]}]}));
        assert_eq!(
            Action::from_autocomplete(&key),
            Ok(Action::SuggestConfigKeys {
                typed: "roles".into()
            })
        );
        let title = command(json!({"id": "1", "name": "kaltura-start", "type": 1,
            "options": [{"name": "title", "type": 3, "value": "x", "focused": true}]}));
        assert_eq!(
            Action::from_autocomplete(&title),
            Err(Rejection::UnknownCommand)
        );
    }

    #[test]
    fn each_action_is_gated_by_its_command() {
        let m = 7;
        assert_eq!(
            Action::Share { meeting: m }.command(),
            CommandName::KalturaStart
        );
        assert_eq!(
            Action::ConfirmEnd { meeting: m }.command(),
            CommandName::KalturaEnd
        );
        assert_eq!(
            Action::CancelEnd { meeting: m }.command(),
            CommandName::KalturaEnd
        );
        assert_eq!(
            Action::Join { meeting: m }.command(),
            CommandName::KalturaJoin
        );
        assert_eq!(
            Action::SuggestConfigKeys {
                typed: String::new()
            }
            .command(),
            CommandName::KalturaConfig
        );
    }
}
