//! The names the contract's enums go by outside WIT — in slash commands, settings keys,
//! template parameters and stored JSON — written once: [`as_str`](Command::as_str) and
//! [`parse`](Command::parse) for each, and every case in order as `ALL`.
//!
//! | enum | names |
//! |---|---|
//! | [`Command`] | `kaltura-start`, `kaltura-join`, `kaltura-list`, `kaltura-end`, `kaltura-config` (the slash commands, and `commands.<name>` in settings) |
//! | [`Section`] | `commands`, `roles`, `notifications`, `features`, `kaltura` |
//! | [`Event`] | `meeting_start`, `meeting_end`, `recording_ready`, `entry_ready` (`notifications.events.<name>`, a webhook's `kd_event`) |
//! | [`MeetingKind`] | `webinar`, `meeting`, `classroom`; for people, [`MeetingKind::label`] |

use crate::config::{Command, Event, Section};
use crate::kaltura::MeetingKind;

/// `as_str`, `parse` and `ALL` for a contract enum, from one table.
macro_rules! names {
    ($(#[$doc:meta])* $ty:ident { $($case:ident => $name:literal),+ $(,)? }) => {
        $(#[$doc])*
        impl $ty {
            /// Every case, in the WIT's order.
            pub const ALL: &'static [Self] = &[$(Self::$case),+];

            /// The case's name.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$case => $name,)+
                }
            }

            /// The case named exactly `name`, if any.
            pub fn parse(name: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|case| case.as_str() == name)
            }
        }
    };
}

names! {
    /// The slash commands' names.
    Command {
        KalturaStart => "kaltura-start",
        KalturaJoin => "kaltura-join",
        KalturaList => "kaltura-list",
        KalturaEnd => "kaltura-end",
        KalturaConfig => "kaltura-config",
    }
}

names! {
    /// The settings' top-level keys.
    Section {
        Commands => "commands",
        Roles => "roles",
        Notifications => "notifications",
        Features => "features",
        Kaltura => "kaltura",
    }
}

names! {
    /// The events' keys under `notifications.events`.
    Event {
        MeetingStart => "meeting_start",
        MeetingEnd => "meeting_end",
        RecordingReady => "recording_ready",
        EntryReady => "entry_ready",
    }
}

names! {
    /// The kinds' option values and tags.
    MeetingKind {
        Webinar => "webinar",
        Meeting => "meeting",
        Classroom => "classroom",
    }
}

impl MeetingKind {
    /// The kind's name for people (the `type` template variable, menus, embeds).
    pub fn label(self) -> &'static str {
        match self {
            Self::Webinar => "Webinar",
            Self::Meeting => "Interactive Meeting Room",
            Self::Classroom => "Virtual Classroom",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_parses_back_to_its_case_and_nothing_else_parses() {
        for command in Command::ALL {
            assert_eq!(Command::parse(command.as_str()), Some(*command));
        }
        for section in Section::ALL {
            assert_eq!(Section::parse(section.as_str()), Some(*section));
        }
        for event in Event::ALL {
            assert_eq!(Event::parse(event.as_str()), Some(*event));
        }
        for kind in MeetingKind::ALL {
            assert_eq!(MeetingKind::parse(kind.as_str()), Some(*kind));
        }
        assert_eq!(Command::parse("Kaltura-Start"), None);
        assert_eq!(Section::parse(" roles"), None);
        assert_eq!(Event::parse("meeting-start"), None);
        assert_eq!(MeetingKind::parse("Webinar"), None);
    }

    #[test]
    fn the_lists_hold_every_case_in_wit_order() {
        assert_eq!(Command::ALL.len(), 5);
        assert_eq!(Command::ALL[0], Command::KalturaStart);
        assert_eq!(Section::ALL.last(), Some(&Section::Kaltura));
        assert_eq!(Event::ALL.len(), 4);
        assert_eq!(MeetingKind::Meeting.label(), "Interactive Meeting Room");
    }
}
