//! The names the contract's enums go by outside WIT — in the settings documents, slash
//! commands, the API's JSON and logs — in one place, so that every component spells
//! them alike. Each enum also lists its cases in WIT order (`ALL`); their derived
//! order is the WIT order too, so `KalturaRole::Viewer < KalturaRole::Admin`.

use crate::config::{Command, Event, Section};
use crate::KalturaRole;

impl KalturaRole {
    /// Every role, lowest first.
    pub const ALL: [KalturaRole; 3] = [
        KalturaRole::Viewer,
        KalturaRole::Moderator,
        KalturaRole::Admin,
    ];

    /// The role's name: `viewer`, `moderator` or `admin`.
    pub fn name(self) -> &'static str {
        match self {
            KalturaRole::Viewer => "viewer",
            KalturaRole::Moderator => "moderator",
            KalturaRole::Admin => "admin",
        }
    }

    /// The role of this exact name; `None` for anything else.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|role| role.name() == name)
    }
}

impl Section {
    /// Every section, in document order.
    pub const ALL: [Section; 5] = [
        Section::Commands,
        Section::Roles,
        Section::Notifications,
        Section::Features,
        Section::Kaltura,
    ];

    /// The section's key in the settings document: `commands`, `roles`, …
    pub fn name(self) -> &'static str {
        match self {
            Section::Commands => "commands",
            Section::Roles => "roles",
            Section::Notifications => "notifications",
            Section::Features => "features",
            Section::Kaltura => "kaltura",
        }
    }

    /// The section of this exact key; `None` for anything else.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|section| section.name() == name)
    }
}

impl Command {
    /// Every command, in menu order.
    pub const ALL: [Command; 5] = [
        Command::KalturaStart,
        Command::KalturaJoin,
        Command::KalturaList,
        Command::KalturaEnd,
        Command::KalturaConfig,
    ];

    /// The Discord command's name, also its key under `commands`: `kaltura-start`, …
    pub fn name(self) -> &'static str {
        match self {
            Command::KalturaStart => "kaltura-start",
            Command::KalturaJoin => "kaltura-join",
            Command::KalturaList => "kaltura-list",
            Command::KalturaEnd => "kaltura-end",
            Command::KalturaConfig => "kaltura-config",
        }
    }

    /// The command of this name, written with or without its leading `/`.
    pub fn from_name(name: &str) -> Option<Self> {
        let name = name.strip_prefix('/').unwrap_or(name);
        Self::ALL.into_iter().find(|command| command.name() == name)
    }
}

impl Event {
    /// Every event, in document order.
    pub const ALL: [Event; 4] = [
        Event::MeetingStart,
        Event::MeetingEnd,
        Event::RecordingReady,
        Event::EntryReady,
    ];

    /// The event's key under `notifications.events`: `meeting_start`, …
    pub fn name(self) -> &'static str {
        match self {
            Event::MeetingStart => "meeting_start",
            Event::MeetingEnd => "meeting_end",
            Event::RecordingReady => "recording_ready",
            Event::EntryReady => "entry_ready",
        }
    }

    /// The event of this exact key; `None` for anything else.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|event| event.name() == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_reads_back_as_its_case() {
        for role in KalturaRole::ALL {
            assert_eq!(KalturaRole::from_name(role.name()), Some(role));
        }
        for section in Section::ALL {
            assert_eq!(Section::from_name(section.name()), Some(section));
        }
        for command in Command::ALL {
            assert_eq!(Command::from_name(command.name()), Some(command));
        }
        for event in Event::ALL {
            assert_eq!(Event::from_name(event.name()), Some(event));
        }
    }

    #[test]
    fn names_are_exact() {
        assert_eq!(KalturaRole::from_name("Admin"), None);
        assert_eq!(Section::from_name(" roles"), None);
        assert_eq!(Event::from_name("meeting-start"), None);
        assert_eq!(Command::from_name("kaltura"), None);
    }

    #[test]
    fn a_command_may_be_written_with_its_slash() {
        assert_eq!(
            Command::from_name("/kaltura-end"),
            Some(Command::KalturaEnd)
        );
        assert_eq!(Command::from_name("//kaltura-end"), None);
    }

    #[test]
    fn roles_are_ordered_viewer_moderator_admin() {
        assert!(KalturaRole::Viewer < KalturaRole::Moderator);
        assert!(KalturaRole::Moderator < KalturaRole::Admin);
        assert_eq!(KalturaRole::ALL.iter().max(), Some(&KalturaRole::Admin));
    }
}
