//! The meeting domain as the bot sees it: validated meeting IDs, the three meeting
//! kinds, meetings recorded for a Discord server, and a member's Kaltura identity.
//!
//! These types are what the [`crate::services::Services`] port speaks; the adapter maps
//! them one to one to and from the WIT records of the `kaltura` and `identity`
//! services.

use std::fmt;
use std::str::FromStr;

use discord_api::id::{ChannelId, GuildId, UserId};
use guild_config::KalturaRole;

/// A Kaltura meeting's ID (a room, resource or event ID): 1 to
/// [`MeetingId::MAX_LEN`] ASCII letters, digits, `_` or `-`.
///
/// Parsed, never trusted: it arrives in slash-command options and button
/// `custom_id`s, both of which a client can forge. The charset keeps it safe inside a
/// `custom_id` (no `:`), a key-value key and a URL path segment.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MeetingId(String);

/// Why a string is not a [`MeetingId`]. Never contains the input.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MeetingIdError {
    /// Empty.
    #[error("a meeting ID must not be empty")]
    Empty,
    /// Longer than [`MeetingId::MAX_LEN`].
    #[error("a meeting ID has at most 64 characters")]
    TooLong,
    /// A character other than an ASCII letter, digit, `_` or `-`.
    #[error("a meeting ID has only letters, digits, '_' and '-'")]
    InvalidCharacter,
}

impl MeetingId {
    /// The longest meeting ID accepted.
    pub const MAX_LEN: usize = 64;

    /// Checks and wraps a meeting ID (exactly as given: no trimming).
    ///
    /// # Errors
    /// [`MeetingIdError`] if it is empty, too long or has another character.
    pub fn parse(text: &str) -> Result<Self, MeetingIdError> {
        if text.is_empty() {
            return Err(MeetingIdError::Empty);
        }
        if text.len() > Self::MAX_LEN {
            return Err(MeetingIdError::TooLong);
        }
        if !text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            return Err(MeetingIdError::InvalidCharacter);
        }
        Ok(Self(text.to_owned()))
    }

    /// The ID as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for MeetingId {
    type Err = MeetingIdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for MeetingId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for MeetingId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// The kind of Kaltura meeting `/kaltura-start` creates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MeetingKind {
    /// A webinar: few presenters, many attendees.
    Webinar,
    /// An interactive meeting room: everyone may speak.
    Meeting,
    /// A virtual classroom: an instructor and students.
    Classroom,
}

/// Why a string is not a [`MeetingKind`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the meeting type must be webinar, meeting or classroom")]
pub struct MeetingKindError;

impl MeetingKind {
    /// Every kind, in menu order.
    pub const ALL: [Self; 3] = [Self::Webinar, Self::Meeting, Self::Classroom];

    /// The option value: `webinar`, `meeting` or `classroom`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Webinar => "webinar",
            Self::Meeting => "meeting",
            Self::Classroom => "classroom",
        }
    }

    /// The name people read (also the `type` template variable).
    pub fn label(self) -> &'static str {
        match self {
            Self::Webinar => "Webinar",
            Self::Meeting => "Interactive Meeting Room",
            Self::Classroom => "Virtual Classroom",
        }
    }
}

impl FromStr for MeetingKind {
    type Err = MeetingKindError;

    /// Reads the exact option value.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|kind| kind.as_str() == s)
            .ok_or(MeetingKindError)
    }
}

impl fmt::Display for MeetingKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// A member's Kaltura identity, as the identity service maps it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KalturaUser {
    /// The Kaltura user ID.
    pub id: String,
    /// The name shown in Kaltura (nickname, global name or username, cleaned).
    pub display_name: String,
    /// The role the member acts with, from the server's role mapping.
    pub role: KalturaRole,
}

/// How a member takes part in a meeting they join.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Part {
    /// Runs it: the meeting's owner, or a Kaltura moderator or admin of the server.
    Host,
    /// Attends it: everyone else.
    Attendee,
}

/// A meeting started through the bot and recorded with the Discord server it belongs
/// to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Meeting {
    /// The Kaltura meeting ID.
    pub id: MeetingId,
    /// What kind of meeting it is.
    pub kind: MeetingKind,
    /// Its title (Kaltura text: escape before showing).
    pub title: String,
    /// Its description, if any (Kaltura text: escape before showing).
    pub description: Option<String>,
    /// The Discord server it was started in.
    pub guild_id: GuildId,
    /// The channel it was started from, if known.
    pub channel_id: Option<ChannelId>,
    /// The Discord user who started it (its owner).
    pub owner_id: UserId,
    /// When it started, in Unix seconds, if known.
    pub started_at: Option<u64>,
    /// Whether it is still running.
    pub active: bool,
}

/// What `/kaltura-start` asks the Kaltura service to create.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewMeeting {
    /// The Discord server it belongs to.
    pub guild_id: GuildId,
    /// The channel it was started from.
    pub channel_id: Option<ChannelId>,
    /// The kind of meeting.
    pub kind: MeetingKind,
    /// Its title (1-100 chars, trimmed).
    pub title: String,
    /// Its description (1-1000 chars, trimmed), if given.
    pub description: Option<String>,
    /// The owner's Kaltura identity (the meeting's host).
    pub owner: KalturaUser,
    /// The owner's Discord user ID.
    pub owner_id: UserId,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kaltura_style_ids_are_accepted() {
        for id in ["0_abc123de", "12345", "room-7_X", &"a".repeat(64)] {
            assert_eq!(MeetingId::parse(id).unwrap().as_str(), id);
        }
    }

    #[test]
    fn ids_with_other_characters_or_lengths_are_rejected() {
        assert_eq!(MeetingId::parse(""), Err(MeetingIdError::Empty));
        assert_eq!(
            MeetingId::parse(&"a".repeat(65)),
            Err(MeetingIdError::TooLong)
        );
        for bad in [" 1", "1 ", "a:b", "a/b", "é", "a\n", "0_x?y", "<@1>"] {
            assert_eq!(
                MeetingId::parse(bad),
                Err(MeetingIdError::InvalidCharacter),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn meeting_kinds_round_trip_through_their_option_values() {
        for kind in MeetingKind::ALL {
            assert_eq!(kind.as_str().parse::<MeetingKind>(), Ok(kind));
        }
        assert_eq!("Webinar".parse::<MeetingKind>(), Err(MeetingKindError));
        assert_eq!(MeetingKind::Meeting.label(), "Interactive Meeting Room");
    }
}
