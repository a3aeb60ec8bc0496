//! The service's domain types. Each mirrors a WIT record, variant or enum of
//! `kaltura-discord:kaltura/kaltura` one to one, so the adapter only moves fields.
//! Plus the parsed ids ("parse, don't validate") the logic works with.

use std::fmt;

use kaltura_api::client::model::MeetingKind as RoomKind;
use kaltura_api::types::ResourceId;
use serde::{Deserialize, Serialize};

use crate::error::Error;

/// WIT `meeting-kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MeetingKind {
    /// A webinar.
    Webinar,
    /// An interactive meeting room.
    Meeting,
    /// A virtual classroom.
    Classroom,
}

impl MeetingKind {
    /// The kind as `kaltura-api` tags a room with it (`kd-type:<...>`).
    pub fn room_kind(self) -> RoomKind {
        match self {
            Self::Webinar => RoomKind::Webinar,
            Self::Meeting => RoomKind::InteractiveRoom,
            Self::Classroom => RoomKind::VirtualClassroom,
        }
    }
}

/// WIT `meeting-request`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeetingRequest {
    /// The kind of room.
    pub kind: MeetingKind,
    /// The title (cleaned when the room is made).
    pub title: String,
    /// An optional description.
    pub description: Option<String>,
    /// The Discord server.
    pub guild_id: String,
    /// The Discord channel.
    pub channel_id: String,
    /// The Discord user who creates it.
    pub owner_id: String,
    /// Start, Unix seconds, for a scheduled meeting.
    pub start_time: Option<u64>,
    /// Length of a scheduled meeting in minutes (default 60).
    pub duration_minutes: Option<u32>,
}

/// WIT `meeting`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Meeting {
    /// The Kaltura schedule resource id, in decimal.
    pub id: String,
    /// The kind of room.
    pub kind: MeetingKind,
    /// The cleaned title.
    pub title: String,
    /// The Discord server.
    pub guild_id: String,
    /// The Discord channel.
    pub channel_id: String,
    /// The Discord user who created it.
    pub owner_id: String,
    /// Creation time, Unix seconds.
    pub created_at: u64,
    /// Scheduled start, Unix seconds.
    pub start_time: Option<u64>,
    /// Scheduled end, Unix seconds.
    pub end_time: Option<u64>,
    /// When it was ended, Unix seconds.
    pub ended_at: Option<u64>,
}

/// WIT `meeting-filter`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MeetingFilter {
    /// The meetings of a Discord server.
    Guild(String),
    /// The meetings a Discord user created.
    Owner(String),
}

/// WIT `member-role`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberRole {
    /// Runs the meeting.
    Host,
    /// Attends it.
    Attendee,
}

/// WIT `member-identity`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberIdentity {
    /// The member's Kaltura user id.
    pub kaltura_user_id: String,
    /// The name shown in the meeting.
    pub display_name: String,
    /// The member's part.
    pub role: MemberRole,
}

/// WIT `media-entry`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaEntry {
    /// Entry id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Duration in seconds.
    pub duration_seconds: Option<u32>,
    /// Thumbnail URL.
    pub thumbnail_url: Option<String>,
    /// Creation time, Unix seconds.
    pub created_at: Option<u64>,
    /// Whether it is READY.
    pub ready: bool,
}

/// WIT `media-page`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaPage {
    /// This page's entries.
    pub entries: Vec<MediaEntry>,
    /// Matches in all pages.
    pub total: u64,
    /// The next page, `None` on the last.
    pub next_page: Option<u32>,
}

/// A Discord snowflake (guild, channel or user id): 17 to 20 decimal digits, no leading
/// zero, fits a `u64`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Snowflake(u64);

impl Snowflake {
    /// Parses the decimal form; `field` names the input in the error.
    ///
    /// # Errors
    /// `Invalid` naming `field` when `raw` is not a snowflake.
    pub fn parse(field: &str, raw: &str) -> Result<Self, Error> {
        let shaped = (17..=20).contains(&raw.len())
            && raw.bytes().all(|b| b.is_ascii_digit())
            && !raw.starts_with('0');
        shaped
            .then(|| raw.parse().ok())
            .flatten()
            .map(Self)
            .ok_or_else(|| Error::invalid(field, "must be a Discord id (17 to 20 digits)"))
    }

    /// The numeric value.
    pub fn get(self) -> u64 {
        self.0
    }
}

impl fmt::Display for Snowflake {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A meeting id: a Kaltura schedule resource id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MeetingId(ResourceId);

impl MeetingId {
    /// Parses the decimal form.
    ///
    /// # Errors
    /// `Invalid` when `raw` is not a positive decimal number.
    pub fn parse(raw: &str) -> Result<Self, Error> {
        let bad = || Error::invalid("meeting id", "must be a positive decimal number");
        if raw.is_empty() || raw.len() > 19 || !raw.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        raw.parse::<i64>()
            .ok()
            .and_then(|n| ResourceId::new(n).ok())
            .map(Self)
            .ok_or_else(bad)
    }

    /// Wraps a resource id Kaltura returned.
    pub fn from_resource(id: ResourceId) -> Self {
        Self(id)
    }

    /// The Kaltura resource id.
    pub fn resource(self) -> ResourceId {
        self.0
    }
}

impl fmt::Display for MeetingId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snowflakes_must_have_discords_shape() {
        assert_eq!(
            Snowflake::parse("guild-id", "123456789012345678").map(Snowflake::get),
            Ok(123_456_789_012_345_678)
        );
        for bad in [
            "",
            "1234",
            "0123456789012345678",
            "12345678901234567a",
            "99999999999999999999",
            "-12345678901234567",
        ] {
            assert!(
                matches!(Snowflake::parse("guild-id", bad), Err(Error::Invalid(m)) if m.starts_with("guild-id")),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn meeting_ids_are_positive_decimal_numbers() {
        assert_eq!(
            MeetingId::parse("42").map(|m| m.to_string()),
            Ok("42".into())
        );
        for bad in ["", "0", "-1", "4 2", "1e3", "99999999999999999999"] {
            assert!(MeetingId::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn meeting_kinds_are_stored_as_their_wit_names() {
        assert_eq!(
            serde_json::to_string(&MeetingKind::Classroom).unwrap(),
            "\"classroom\""
        );
        assert_eq!(MeetingKind::Meeting.room_kind().tag_value(), "meeting");
    }
}
