//! The names contract enums have in text: in stored documents, tokens, the API and
//! messages. [`names!`] gives an enum, once, its cases in order (`ALL`), a name per case
//! (`as_str`), `Display` and `FromStr` by those names and, with the `serde` feature,
//! (de)serialization as those names, so documents and tokens written before keep
//! reading the same.

use crate::config::{Command, Event, Section};
use crate::events::EventType;
use crate::identity::Scope;
use crate::kaltura::MeetingKind;
use crate::KalturaRole;

/// A text that is none of an enum's names. Never contains the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnknownName {
    /// What was expected, e.g. `Kaltura role`.
    pub what: &'static str,
}

impl std::fmt::Display for UnknownName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "not a {} name", self.what)
    }
}

impl std::error::Error for UnknownName {}

/// Implements `ALL`, `as_str`, `parse`, `Display`, `FromStr` (exact names) and, with the
/// `serde` feature, `Serialize`/`Deserialize` for a contract enum, from its cases and
/// their names.
macro_rules! names {
    ($ty:ty, $what:literal, { $($case:ident => $name:literal),+ $(,)? }) => {
        impl $ty {
            /// Every case, in the WIT's order.
            pub const ALL: &'static [Self] = &[$(Self::$case),+];

            /// The case's name in text.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Self::$case => $name),+
                }
            }

            /// The case named exactly `name`, if any.
            pub fn parse(name: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|case| case.as_str() == name)
            }
        }

        impl ::std::fmt::Display for $ty {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for $ty {
            type Err = UnknownName;

            fn from_str(s: &str) -> Result<Self, UnknownName> {
                Self::parse(s).ok_or(UnknownName { what: $what })
            }
        }

        #[cfg(feature = "serde")]
        impl ::serde::Serialize for $ty {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        #[cfg(feature = "serde")]
        impl<'de> ::serde::Deserialize<'de> for $ty {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let name = <String as ::serde::Deserialize>::deserialize(deserializer)?;
                name.parse().map_err(::serde::de::Error::custom)
            }
        }
    };
}

names!(KalturaRole, "Kaltura role", {
    Viewer => "viewer",
    Moderator => "moderator",
    Admin => "admin",
});

// The API's names (`meetings:read`), not the WIT's (`meetings-read`): the names in
// tokens, API key records and API documents.
names!(Scope, "scope", {
    MeetingsRead => "meetings:read",
    MeetingsWrite => "meetings:write",
    ConfigRead => "config:read",
    ConfigWrite => "config:write",
    AuditRead => "audit:read",
    KeysManage => "keys:manage",
    EventsManage => "events:manage",
    MediaRead => "media:read",
});

names!(MeetingKind, "meeting kind", {
    Webinar => "webinar",
    Meeting => "meeting",
    Classroom => "classroom",
});

impl MeetingKind {
    /// The kind as members read it: Webinar, Interactive Meeting Room, Virtual Classroom.
    pub fn label(self) -> &'static str {
        match self {
            Self::Webinar => "Webinar",
            Self::Meeting => "Interactive Meeting Room",
            Self::Classroom => "Virtual Classroom",
        }
    }
}

// The slash commands, and `commands.<name>` in settings.
names!(Command, "command", {
    KalturaStart => "kaltura-start",
    KalturaJoin => "kaltura-join",
    KalturaList => "kaltura-list",
    KalturaEnd => "kaltura-end",
    KalturaConfig => "kaltura-config",
    KalturaVideo => "kaltura-video",
});

names!(Section, "settings section", {
    Commands => "commands",
    Roles => "roles",
    Notifications => "notifications",
    Features => "features",
    Kaltura => "kaltura",
});

// `notifications.events.<name>` in settings, and a webhook's `kd_event`.
names!(Event, "event", {
    MeetingStart => "meeting_start",
    MeetingEnd => "meeting_end",
    RecordingReady => "recording_ready",
    EntryReady => "entry_ready",
});

// The wire names of the events subscribers receive (the envelope's `type`).
names!(EventType, "event type", {
    MeetingCreated => "meeting.created",
    MeetingStarted => "meeting.started",
    MeetingEnded => "meeting.ended",
    MeetingJoined => "meeting.joined",
    RecordingReady => "recording.ready",
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_reads_back_as_its_case_and_nothing_else_reads() {
        for role in KalturaRole::ALL {
            assert_eq!(role.as_str().parse::<KalturaRole>(), Ok(*role));
        }
        for scope in Scope::ALL {
            assert_eq!(scope.to_string().parse::<Scope>(), Ok(*scope));
        }
        for kind in MeetingKind::ALL {
            assert_eq!(kind.as_str().parse::<MeetingKind>(), Ok(*kind));
        }
        assert_eq!(
            "Admin".parse::<KalturaRole>(),
            Err(UnknownName {
                what: "Kaltura role"
            })
        );
        assert!("meetings-read".parse::<Scope>().is_err());
        assert!("MEETINGS:READ".parse::<Scope>().is_err());
    }

    #[test]
    fn the_names_are_the_documented_ones_in_the_wits_order() {
        let roles: Vec<&str> = KalturaRole::ALL.iter().map(|r| r.as_str()).collect();
        assert_eq!(roles, ["viewer", "moderator", "admin"]);
        let scopes: Vec<&str> = Scope::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(
            scopes,
            [
                "meetings:read",
                "meetings:write",
                "config:read",
                "config:write",
                "audit:read",
                "keys:manage",
                "events:manage",
                "media:read"
            ]
        );
        let event_types: Vec<&str> = EventType::ALL.iter().map(|e| e.as_str()).collect();
        assert_eq!(
            event_types,
            [
                "meeting.created",
                "meeting.started",
                "meeting.ended",
                "meeting.joined",
                "recording.ready"
            ]
        );
        let kinds: Vec<&str> = MeetingKind::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(kinds, ["webinar", "meeting", "classroom"]);
        let commands: Vec<&str> = Command::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(
            commands,
            [
                "kaltura-start",
                "kaltura-join",
                "kaltura-list",
                "kaltura-end",
                "kaltura-config",
                "kaltura-video"
            ]
        );
        let sections: Vec<&str> = Section::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(
            sections,
            ["commands", "roles", "notifications", "features", "kaltura"]
        );
        let events: Vec<&str> = Event::ALL.iter().map(|e| e.as_str()).collect();
        assert_eq!(
            events,
            [
                "meeting_start",
                "meeting_end",
                "recording_ready",
                "entry_ready"
            ]
        );
        assert_eq!(MeetingKind::Meeting.label(), "Interactive Meeting Room");
    }

    #[test]
    fn parse_takes_exact_names_only() {
        assert_eq!(Command::parse("kaltura-start"), Some(Command::KalturaStart));
        assert_eq!(Command::parse("Kaltura-Start"), None);
        assert_eq!(Section::parse(" roles"), None);
        assert_eq!(Event::parse("meeting-start"), None);
        assert_eq!(MeetingKind::parse("Webinar"), None);
        assert_eq!(KalturaRole::parse("admin"), Some(KalturaRole::Admin));
    }

    #[test]
    fn roles_are_ordered_lowest_first() {
        assert!(KalturaRole::Viewer < KalturaRole::Moderator);
        assert!(KalturaRole::Moderator < KalturaRole::Admin);
    }

    #[cfg(feature = "serde")]
    #[test]
    fn with_serde_the_enums_are_their_names_in_json() {
        assert_eq!(
            serde_json::to_string(&KalturaRole::Moderator).unwrap(),
            r#""moderator""#
        );
        assert_eq!(
            serde_json::from_str::<MeetingKind>(r#""classroom""#).unwrap(),
            MeetingKind::Classroom
        );
        assert!(serde_json::from_str::<KalturaRole>(r#""owner""#).is_err());
    }
}
