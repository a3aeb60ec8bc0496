//! The names the contract's enums go by outside WIT — in the settings documents, slash
//! commands, the API's JSON and logs — in one place, so that every component spells
//! them alike: `as_str`, `parse` (exact names) and every case in WIT order as `ALL`.
//! Their derived order is the WIT order too, so `KalturaRole::Viewer <
//! KalturaRole::Admin`.

use crate::config::{Command, Event, Section};
use crate::KalturaRole;

impl KalturaRole {
    /// Every role, lowest first.
    pub const ALL: &'static [KalturaRole] = &[
        KalturaRole::Viewer,
        KalturaRole::Moderator,
        KalturaRole::Admin,
    ];

    /// The role's name: `viewer`, `moderator` or `admin`.
    pub fn as_str(self) -> &'static str {
        match self {
            KalturaRole::Viewer => "viewer",
            KalturaRole::Moderator => "moderator",
            KalturaRole::Admin => "admin",
        }
    }

    /// The role of this exact name; `None` for anything else.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|role| role.as_str() == name)
    }
}

impl Section {
    /// Every section, in document order.
    pub const ALL: &'static [Section] = &[
        Section::Commands,
        Section::Roles,
        Section::Notifications,
        Section::Features,
        Section::Kaltura,
    ];

    /// The section's key in the settings document: `commands`, `roles`, …
    pub fn as_str(self) -> &'static str {
        match self {
            Section::Commands => "commands",
            Section::Roles => "roles",
            Section::Notifications => "notifications",
            Section::Features => "features",
            Section::Kaltura => "kaltura",
        }
    }

    /// The section of this exact key; `None` for anything else.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL
            .iter()
            .copied()
            .find(|section| section.as_str() == name)
    }
}

impl Command {
    /// Every command, in menu order.
    pub const ALL: &'static [Command] = &[
        Command::KalturaStart,
        Command::KalturaJoin,
        Command::KalturaList,
        Command::KalturaEnd,
        Command::KalturaConfig,
    ];

    /// The Discord command's name, also its key under `commands`: `kaltura-start`, …
    pub fn as_str(self) -> &'static str {
        match self {
            Command::KalturaStart => "kaltura-start",
            Command::KalturaJoin => "kaltura-join",
            Command::KalturaList => "kaltura-list",
            Command::KalturaEnd => "kaltura-end",
            Command::KalturaConfig => "kaltura-config",
        }
    }

    /// The command of this exact name; `None` for anything else.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL
            .iter()
            .copied()
            .find(|command| command.as_str() == name)
    }
}

impl Event {
    /// Every event, in document order.
    pub const ALL: &'static [Event] = &[
        Event::MeetingStart,
        Event::MeetingEnd,
        Event::RecordingReady,
        Event::EntryReady,
    ];

    /// The event's key under `notifications.events`: `meeting_start`, …
    pub fn as_str(self) -> &'static str {
        match self {
            Event::MeetingStart => "meeting_start",
            Event::MeetingEnd => "meeting_end",
            Event::RecordingReady => "recording_ready",
            Event::EntryReady => "entry_ready",
        }
    }

    /// The event of this exact key; `None` for anything else.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL
            .iter()
            .copied()
            .find(|event| event.as_str() == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_reads_back_as_its_case() {
        for role in KalturaRole::ALL {
            assert_eq!(KalturaRole::parse(role.as_str()), Some(*role));
        }
        for section in Section::ALL {
            assert_eq!(Section::parse(section.as_str()), Some(*section));
        }
        for command in Command::ALL {
            assert_eq!(Command::parse(command.as_str()), Some(*command));
        }
        for event in Event::ALL {
            assert_eq!(Event::parse(event.as_str()), Some(*event));
        }
    }

    #[test]
    fn names_are_exact() {
        assert_eq!(KalturaRole::parse("Admin"), None);
        assert_eq!(Section::parse(" roles"), None);
        assert_eq!(Event::parse("meeting-start"), None);
        assert_eq!(Command::parse("kaltura"), None);
        assert_eq!(Command::parse("/kaltura-end"), None);
    }

    #[test]
    fn roles_are_ordered_viewer_moderator_admin() {
        assert!(KalturaRole::Viewer < KalturaRole::Moderator);
        assert!(KalturaRole::Moderator < KalturaRole::Admin);
        assert_eq!(KalturaRole::ALL.iter().max(), Some(&KalturaRole::Admin));
    }
}
