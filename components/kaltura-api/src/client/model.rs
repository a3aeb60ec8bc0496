//! Response types of the calls in [`super::calls`], as Kaltura serialises them in JSON
//! (`format=1`): camelCase properties, an `objectType` on every object, null properties
//! omitted. Unknown properties are ignored; enum-like properties that Kaltura sends as
//! strings for "dynamic enums" (e.g. entry `status`) are read leniently.

use std::fmt;

use serde::{Deserialize, Deserializer};
use serde_json::Value;

use crate::ks::SessionType;
use crate::types::Ks;

/// Reads a string, number or bool as text (`null` → `None`).
fn lenient_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Null => None,
        Value::String(s) => Some(s),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => return Err(serde::de::Error::custom("expected a string or a number")),
    })
}

/// Reads an integer given as a number or a numeric string (`null` → `None`).
fn lenient_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Null => None,
        Value::Number(n) => Some(
            n.as_i64()
                .ok_or_else(|| serde::de::Error::custom("expected an integer"))?,
        ),
        Value::String(s) => Some(
            s.trim()
                .parse()
                .map_err(|_| serde::de::Error::custom("expected an integer"))?,
        ),
        _ => return Err(serde::de::Error::custom("expected an integer")),
    })
}

/// `KalturaStartWidgetSessionResponse` (`session.startWidgetSession`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WidgetSession {
    /// `KalturaStartWidgetSessionResponse`.
    #[serde(default)]
    pub object_type: String,
    /// The widget KS (`view:*,widget:1`).
    pub ks: Ks,
    /// Partner id.
    #[serde(default, deserialize_with = "lenient_i64")]
    pub partner_id: Option<i64>,
    /// User id (usually empty).
    #[serde(default, deserialize_with = "lenient_string")]
    pub user_id: Option<String>,
}

/// `KalturaSessionInfo` (`appToken.startSession`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionInfo {
    /// `KalturaSessionInfo`.
    #[serde(default)]
    pub object_type: String,
    /// The new KS.
    pub ks: Ks,
    /// Session type.
    #[serde(default)]
    pub session_type: Option<SessionType>,
    /// Partner id.
    #[serde(default, deserialize_with = "lenient_i64")]
    pub partner_id: Option<i64>,
    /// User id.
    #[serde(default, deserialize_with = "lenient_string")]
    pub user_id: Option<String>,
    /// Expiry, Unix seconds.
    #[serde(default, deserialize_with = "lenient_i64")]
    pub expiry: Option<i64>,
    /// Privileges of the KS (always includes `sessionid:` and `apptoken:`).
    #[serde(default)]
    pub privileges: Option<String>,
}

/// A page of results (`Kaltura*ListResponse`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListResponse<T> {
    /// e.g. `KalturaMediaListResponse`.
    #[serde(default)]
    pub object_type: String,
    /// The objects of this page.
    #[serde(default = "Vec::new")]
    pub objects: Vec<T>,
    /// Number of matching objects in all pages.
    #[serde(default)]
    pub total_count: i64,
}

/// The kind of meeting a schedule resource was made for, recorded in its tags as
/// `kd-type:<tag>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MeetingKind {
    /// A webinar (`kd-type:webinar`).
    Webinar,
    /// An interactive meeting room (`kd-type:meeting`).
    InteractiveRoom,
    /// A virtual classroom (`kd-type:classroom`).
    VirtualClassroom,
}

impl MeetingKind {
    /// The tag value after `kd-type:`.
    pub fn tag_value(self) -> &'static str {
        match self {
            Self::Webinar => "webinar",
            Self::InteractiveRoom => "meeting",
            Self::VirtualClassroom => "classroom",
        }
    }

    /// Parses a tag value.
    pub fn from_tag_value(s: &str) -> Option<Self> {
        match s {
            "webinar" => Some(Self::Webinar),
            "meeting" => Some(Self::InteractiveRoom),
            "classroom" => Some(Self::VirtualClassroom),
            _ => None,
        }
    }
}

impl fmt::Display for MeetingKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.tag_value())
    }
}

/// Splits Kaltura's comma-separated tags and trims each (`"a, b"` → `["a", "b"]`).
pub fn split_tags(tags: &str) -> Vec<&str> {
    tags.split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .collect()
}

/// `KalturaScheduleResource` / `KalturaLocationScheduleResource`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScheduleResource {
    /// e.g. `KalturaLocationScheduleResource`.
    #[serde(default)]
    pub object_type: String,
    /// Resource id.
    pub id: i64,
    /// Parent resource id.
    #[serde(default, deserialize_with = "lenient_i64")]
    pub parent_id: Option<i64>,
    /// Partner id.
    #[serde(default, deserialize_with = "lenient_i64")]
    pub partner_id: Option<i64>,
    /// Name.
    #[serde(default)]
    pub name: Option<String>,
    /// System name.
    #[serde(default)]
    pub system_name: Option<String>,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// 1 DISABLED, 2 ACTIVE, 3 DELETED.
    #[serde(default, deserialize_with = "lenient_i64")]
    pub status: Option<i64>,
    /// Comma-separated tags.
    #[serde(default)]
    pub tags: Option<String>,
    /// Creation time, Unix seconds.
    #[serde(default, deserialize_with = "lenient_i64")]
    pub created_at: Option<i64>,
    /// Update time, Unix seconds.
    #[serde(default, deserialize_with = "lenient_i64")]
    pub updated_at: Option<i64>,
}

impl ScheduleResource {
    /// The tags, split and trimmed.
    pub fn tag_list(&self) -> Vec<&str> {
        self.tags.as_deref().map(split_tags).unwrap_or_default()
    }

    fn tag_value(&self, prefix: &str) -> Option<&str> {
        self.tag_list()
            .into_iter()
            .find_map(|t| t.strip_prefix(prefix))
    }

    /// The meeting kind from a `kd-type:` tag.
    pub fn meeting_kind(&self) -> Option<MeetingKind> {
        self.tag_value(super::calls::TAG_KIND_PREFIX)
            .and_then(MeetingKind::from_tag_value)
    }

    /// The Discord guild id from a `kd-guild:` tag.
    pub fn guild_id(&self) -> Option<u64> {
        self.tag_value(super::calls::TAG_GUILD_PREFIX)
            .and_then(|v| v.parse().ok())
    }

    /// True when tagged `vcprovider:newrow` (a Kaltura Meetings room).
    pub fn is_newrow_room(&self) -> bool {
        self.tag_list().contains(&super::calls::TAG_NEWROW)
    }

    /// True when `status` is 2 (ACTIVE).
    pub fn is_active(&self) -> bool {
        self.status == Some(2)
    }
}

/// `KalturaScheduleEvent` / `KalturaRecordScheduleEvent`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScheduleEvent {
    /// e.g. `KalturaRecordScheduleEvent`.
    #[serde(default)]
    pub object_type: String,
    /// Event id.
    pub id: i64,
    /// Partner id.
    #[serde(default, deserialize_with = "lenient_i64")]
    pub partner_id: Option<i64>,
    /// Summary (title).
    #[serde(default)]
    pub summary: Option<String>,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// 1 CANCELLED, 2 ACTIVE, 3 DELETED.
    #[serde(default, deserialize_with = "lenient_i64")]
    pub status: Option<i64>,
    /// Start, Unix seconds.
    #[serde(default, deserialize_with = "lenient_i64")]
    pub start_date: Option<i64>,
    /// End, Unix seconds.
    #[serde(default, deserialize_with = "lenient_i64")]
    pub end_date: Option<i64>,
    /// 0 NONE, 1 RECURRING, 2 RECURRENCE.
    #[serde(default, deserialize_with = "lenient_i64")]
    pub recurrence_type: Option<i64>,
    /// Comma-separated tags.
    #[serde(default)]
    pub tags: Option<String>,
    /// Template entry id (record events).
    #[serde(default)]
    pub template_entry_id: Option<String>,
    /// Creation time, Unix seconds.
    #[serde(default, deserialize_with = "lenient_i64")]
    pub created_at: Option<i64>,
    /// Update time, Unix seconds.
    #[serde(default, deserialize_with = "lenient_i64")]
    pub updated_at: Option<i64>,
}

/// `KalturaScheduleEventResource`: links an event to a resource.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScheduleEventResource {
    /// `KalturaScheduleEventResource`.
    #[serde(default)]
    pub object_type: String,
    /// Event id.
    #[serde(deserialize_with = "lenient_i64")]
    pub event_id: Option<i64>,
    /// Resource id.
    #[serde(deserialize_with = "lenient_i64")]
    pub resource_id: Option<i64>,
    /// Partner id.
    #[serde(default, deserialize_with = "lenient_i64")]
    pub partner_id: Option<i64>,
    /// Creation time, Unix seconds.
    #[serde(default, deserialize_with = "lenient_i64")]
    pub created_at: Option<i64>,
}

/// `KalturaMediaEntry` (the properties this app shows).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MediaEntry {
    /// `KalturaMediaEntry`.
    #[serde(default)]
    pub object_type: String,
    /// Entry id, e.g. `0_abc123`.
    pub id: String,
    /// Name.
    #[serde(default)]
    pub name: Option<String>,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// Comma-separated tags.
    #[serde(default)]
    pub tags: Option<String>,
    /// Entry status, a dynamic enum sent as a string: `"2"` READY, `"-1"` ERROR_CONVERTING, ...
    #[serde(default, deserialize_with = "lenient_string")]
    pub status: Option<String>,
    /// Media type: 1 VIDEO, 2 IMAGE, 5 AUDIO, 201 LIVE_STREAM_FLASH, ...
    #[serde(default, deserialize_with = "lenient_i64")]
    pub media_type: Option<i64>,
    /// Duration in seconds.
    #[serde(default, deserialize_with = "lenient_i64")]
    pub duration: Option<i64>,
    /// Thumbnail URL.
    #[serde(default)]
    pub thumbnail_url: Option<String>,
    /// Owner's user id.
    #[serde(default, deserialize_with = "lenient_string")]
    pub user_id: Option<String>,
    /// Partner id.
    #[serde(default, deserialize_with = "lenient_i64")]
    pub partner_id: Option<i64>,
    /// Number of plays.
    #[serde(default, deserialize_with = "lenient_i64")]
    pub plays: Option<i64>,
    /// Creation time, Unix seconds.
    #[serde(default, deserialize_with = "lenient_i64")]
    pub created_at: Option<i64>,
    /// Update time, Unix seconds.
    #[serde(default, deserialize_with = "lenient_i64")]
    pub updated_at: Option<i64>,
}

impl MediaEntry {
    /// True when the entry is READY (status `2`).
    pub fn is_ready(&self) -> bool {
        self.status.as_deref() == Some("2")
    }
}
