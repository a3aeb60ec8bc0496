//! Meeting records in the key-value store: one document per meeting, and per Discord
//! server and per owner an index of open meeting ids, newest first, so listing costs one
//! read per meeting and never a Kaltura call.
//!
//! Each index is a document of [`common::cas`], changed with [`common::cas::update`]:
//! the change is applied to what is stored and written only if no other replica wrote
//! meanwhile, otherwise applied again to what the other left, so two meetings created in
//! the same server at the same moment are both listed. An emptied index is deleted
//! (only its few-byte pointer stays: the store has no conditional delete). Meeting
//! records are written whole at creation and when the meeting ends, as plain values:
//! nothing else changes them, so there is no read-modify-write to lose.

use common::cas::{self, Change, DynCasStore, UpdateError};
use contracts::kaltura::{Meeting, MeetingKind};
use discord_api::id::{ChannelMarker, GuildId, GuildMarker, Id, UserId, UserMarker};
use serde::{Deserialize, Serialize};

use crate::error::{storage, Error};
use crate::ids::MeetingId;
use crate::keys;

/// The schema of the stored documents.
const SCHEMA: u32 = 1;

/// The most open meetings one server or owner may have (the index's size).
pub const MAX_OPEN_PER_INDEX: usize = 100;

/// A meeting as this service keeps it: the contract's record plus what only this
/// service needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeetingRecord {
    /// The meeting.
    pub meeting: Meeting,
    /// The Kaltura schedule event linked to the room, if it was scheduled.
    pub event_id: Option<i64>,
}

impl MeetingRecord {
    /// The record of `meeting`.
    pub fn new(meeting: Meeting, event_id: Option<i64>) -> Self {
        Self { meeting, event_id }
    }
}

/// A record as stored, `kaltura/v1/meeting/<id>`: its schema, the meeting's fields
/// with IDs as decimal text, and the event ID when there is one.
#[derive(Debug, Serialize, Deserialize)]
struct Document {
    schema: u32,
    id: String,
    kind: MeetingKind,
    title: String,
    guild_id: String,
    channel_id: String,
    owner_id: String,
    created_at: u64,
    start_time: Option<u64>,
    end_time: Option<u64>,
    ended_at: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    event_id: Option<i64>,
}

impl From<&MeetingRecord> for Document {
    fn from(record: &MeetingRecord) -> Self {
        let m = &record.meeting;
        Self {
            schema: SCHEMA,
            id: m.id.to_string(),
            kind: m.kind,
            title: m.title.clone(),
            guild_id: m.guild_id.to_string(),
            channel_id: m.channel_id.to_string(),
            owner_id: m.owner_id.to_string(),
            created_at: m.created_at,
            start_time: m.start_time,
            end_time: m.end_time,
            ended_at: m.ended_at,
            event_id: record.event_id,
        }
    }
}

impl Document {
    /// The record, if this is one of the current schema with well-formed IDs.
    fn record(self) -> Option<MeetingRecord> {
        fn discord<M>(text: &str) -> Option<u64> {
            text.parse::<Id<M>>().ok().map(Id::get)
        }
        if self.schema != SCHEMA {
            return None;
        }
        let meeting = Meeting {
            id: MeetingId::parse(&self.id)?.get(),
            kind: self.kind,
            title: self.title,
            guild_id: discord::<GuildMarker>(&self.guild_id)?,
            channel_id: discord::<ChannelMarker>(&self.channel_id)?,
            owner_id: discord::<UserMarker>(&self.owner_id)?,
            created_at: self.created_at,
            start_time: self.start_time,
            end_time: self.end_time,
            ended_at: self.ended_at,
        };
        Some(MeetingRecord::new(meeting, self.event_id))
    }
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Index {
    schema: u32,
    ids: Vec<String>,
}

fn decode_index(bytes: Option<&[u8]>) -> Vec<String> {
    bytes
        .and_then(|bytes| serde_json::from_slice::<Index>(bytes).ok())
        .map(|index| index.ids)
        .unwrap_or_default()
}

fn decode(bytes: &[u8]) -> Option<MeetingRecord> {
    serde_json::from_slice::<Document>(bytes)
        .ok()
        .and_then(Document::record)
}

/// The meeting records over a compare-and-swap store.
pub struct MeetingStore<'a> {
    kv: &'a dyn DynCasStore,
}

fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, Error> {
    serde_json::to_vec(value).map_err(|e| Error::Other(format!("cannot encode a record: {e}")))
}

impl<'a> MeetingStore<'a> {
    /// The records in `kv`.
    pub fn new(kv: &'a dyn DynCasStore) -> Self {
        Self { kv }
    }

    /// A meeting's record, `None` if there is none.
    ///
    /// # Errors
    /// `Storage` when the store fails or the record cannot be read.
    pub fn get(&self, id: MeetingId) -> Result<Option<MeetingRecord>, Error> {
        let Some(bytes) = self.kv.get(&keys::meeting(id)).map_err(storage)? else {
            return Ok(None);
        };
        decode(&bytes)
            .map(Some)
            .ok_or_else(|| Error::Storage(format!("the record of meeting {id} is unreadable")))
    }

    /// Writes a meeting's record.
    ///
    /// # Errors
    /// `Storage` when the store fails.
    pub fn put(&self, id: MeetingId, record: &MeetingRecord) -> Result<(), Error> {
        let bytes = encode(&Document::from(record))?;
        self.kv.set(&keys::meeting(id), &bytes).map_err(storage)
    }

    /// Removes a meeting's record.
    ///
    /// # Errors
    /// `Storage` when the store fails.
    pub fn delete(&self, id: MeetingId) -> Result<(), Error> {
        self.kv.delete(&keys::meeting(id)).map_err(storage)
    }

    /// The ids in an index, newest first (an unreadable index reads as empty: it only
    /// helps listing, and is rebuilt by the next writes).
    ///
    /// # Errors
    /// `Storage` when the store fails.
    pub fn index(&self, key: &str) -> Result<Vec<String>, Error> {
        Ok(decode_index(
            cas::read(self.kv, key).map_err(storage)?.as_deref(),
        ))
    }

    /// Adds `id` at the front of the index `key`.
    ///
    /// # Errors
    /// `Storage` when the store fails.
    pub fn index_add(&self, key: &str, id: MeetingId) -> Result<(), Error> {
        let id = id.to_string();
        self.update_index(key, |ids| {
            if !ids.contains(&id) {
                ids.insert(0, id.clone());
            }
        })
    }

    /// Removes `id` from the index `key`.
    ///
    /// # Errors
    /// `Storage` when the store fails.
    pub fn index_remove(&self, key: &str, id: MeetingId) -> Result<(), Error> {
        let id = id.to_string();
        self.update_index(key, |ids| ids.retain(|i| *i != id))
    }

    /// Applies `change` to the index `key` atomically ([`cas::update`]); an index left
    /// empty is deleted, an unchanged one not written.
    fn update_index(&self, key: &str, change: impl Fn(&mut Vec<String>)) -> Result<(), Error> {
        cas::update(self.kv, key, |current| {
            let before = decode_index(current);
            let mut ids = before.clone();
            change(&mut ids);
            let next = if ids == before && current.is_some() {
                Change::Keep
            } else if ids.is_empty() {
                Change::Delete
            } else {
                Change::Write(encode(&Index {
                    schema: SCHEMA,
                    ids,
                })?)
            };
            Ok((next, ()))
        })
        .map_err(|err| match err {
            UpdateError::Refused(err) => err,
            UpdateError::Store(err) => storage(err),
        })
    }

    /// The open meetings of an index, newest first; ids whose record is gone or
    /// unreadable are skipped.
    ///
    /// # Errors
    /// `Storage` when the store fails.
    pub fn list(&self, key: &str) -> Result<Vec<Meeting>, Error> {
        let mut meetings = Vec::new();
        for raw in self.index(key)? {
            let Some(id) = MeetingId::parse(&raw) else {
                continue;
            };
            let Some(bytes) = self.kv.get(&keys::meeting(id)).map_err(storage)? else {
                continue;
            };
            match decode(&bytes) {
                Some(record) if record.meeting.ended_at.is_none() => {
                    meetings.push(record.meeting);
                }
                _ => {}
            }
        }
        Ok(meetings)
    }

    /// The index keys a meeting is listed under.
    ///
    /// # Errors
    /// `Storage` when an ID of the meeting is zero (never a record this service wrote).
    pub fn index_keys(meeting: &Meeting) -> Result<[String; 2], Error> {
        let bad = || Error::storage(format!("meeting {} has a malformed Discord id", meeting.id));
        Ok([
            keys::guild_meetings(GuildId::new(meeting.guild_id).ok_or_else(bad)?),
            keys::owner_meetings(UserId::new(meeting.owner_id).ok_or_else(bad)?),
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use common::cas::{Flavor, MemoryCasStore};
    use common::KeyValue;

    fn meeting(id: u64, ended_at: Option<u64>) -> Meeting {
        Meeting {
            id,
            kind: MeetingKind::Webinar,
            title: "Weekly".into(),
            guild_id: 123_456_789_012_345_678,
            channel_id: 223_456_789_012_345_678,
            owner_id: 323_456_789_012_345_678,
            created_at: 1_700_000_000,
            start_time: None,
            end_time: None,
            ended_at,
        }
    }

    fn id(raw: &str) -> MeetingId {
        MeetingId::parse(raw).unwrap()
    }

    #[test]
    fn a_record_round_trips_with_its_schema_and_event() {
        let kv = MemoryCasStore::default();
        let store = MeetingStore::new(&kv);
        let record = MeetingRecord::new(meeting(42, None), Some(777));
        store.put(id("42"), &record).unwrap();
        assert_eq!(store.get(id("42")).unwrap(), Some(record));
        let raw: serde_json::Value =
            serde_json::from_slice(&kv.get("kaltura/v1/meeting/42").unwrap().unwrap()).unwrap();
        assert_eq!(raw["schema"], 1);
        assert_eq!(raw["kind"], "webinar");
        assert_eq!(raw["event_id"], 777);
        assert_eq!(store.get(id("43")).unwrap(), None);
    }

    #[test]
    fn a_record_keeps_its_stored_layout_with_ids_as_decimal_text() {
        let kv = MemoryCasStore::default();
        let store = MeetingStore::new(&kv);
        store
            .put(id("42"), &MeetingRecord::new(meeting(42, None), None))
            .unwrap();
        let raw: serde_json::Value =
            serde_json::from_slice(&kv.get("kaltura/v1/meeting/42").unwrap().unwrap()).unwrap();
        assert_eq!(
            raw,
            serde_json::json!({
                "schema": 1,
                "id": "42",
                "kind": "webinar",
                "title": "Weekly",
                "guild_id": "123456789012345678",
                "channel_id": "223456789012345678",
                "owner_id": "323456789012345678",
                "created_at": 1_700_000_000,
                "start_time": null,
                "end_time": null,
                "ended_at": null,
            })
        );
    }

    #[test]
    fn a_record_with_a_malformed_id_is_unreadable() {
        let kv = MemoryCasStore::default();
        let record = br#"{"schema":1,"id":"42","kind":"webinar","title":"t","guild_id":"0",
            "channel_id":"2","owner_id":"3","created_at":1,"start_time":null,"end_time":null,"ended_at":null}"#;
        kv.set("kaltura/v1/meeting/42", record).unwrap();
        assert!(matches!(
            MeetingStore::new(&kv).get(id("42")),
            Err(Error::Storage(_))
        ));
    }

    #[test]
    fn an_unreadable_record_is_a_storage_error_not_an_absence() {
        let kv = MemoryCasStore::default();
        kv.set("kaltura/v1/meeting/42", b"{not json").unwrap();
        assert!(matches!(
            MeetingStore::new(&kv).get(id("42")),
            Err(Error::Storage(_))
        ));
    }

    #[test]
    fn an_index_keeps_newest_first_without_duplicates_and_reads_empty_when_emptied() {
        let kv = MemoryCasStore::default();
        let store = MeetingStore::new(&kv);
        let key = "kaltura/v1/guild/123456789012345678/meetings";
        store.index_add(key, id("1")).unwrap();
        store.index_add(key, id("2")).unwrap();
        store.index_add(key, id("1")).unwrap();
        assert_eq!(store.index(key).unwrap(), vec!["2", "1"]);
        store.index_remove(key, id("2")).unwrap();
        store.index_remove(key, id("1")).unwrap();
        assert!(store.index(key).unwrap().is_empty());
        assert_eq!(kv.keys(), [key]);
    }

    fn index_with(ids: &[&str]) -> Vec<u8> {
        serde_json::to_vec(&serde_json::json!({"schema": 1, "ids": ids})).unwrap()
    }

    #[test]
    fn a_meeting_added_by_another_replica_meanwhile_is_not_lost() {
        let kv = MemoryCasStore::default();
        let store = MeetingStore::new(&kv);
        let key = "kaltura/v1/guild/123456789012345678/meetings";
        store.index_add(key, id("1")).unwrap();
        let other = index_with(&["2", "1"]);
        kv.before_next_swap(move |other_replica| {
            cas::write(other_replica, key, &other).unwrap();
        });
        store.index_add(key, id("3")).unwrap();
        assert_eq!(store.index(key).unwrap(), vec!["3", "2", "1"]);
    }

    #[test]
    fn a_removal_keeps_what_another_replica_added_meanwhile() {
        let kv = MemoryCasStore::default();
        let store = MeetingStore::new(&kv);
        let key = "kaltura/v1/owner/323456789012345678/meetings";
        store.index_add(key, id("1")).unwrap();
        let other = index_with(&["2", "1"]);
        kv.before_next_swap(move |other_replica| {
            cas::write(other_replica, key, &other).unwrap();
        });
        store.index_remove(key, id("1")).unwrap();
        assert_eq!(store.index(key).unwrap(), vec!["2"]);
    }

    /// Another replica rewrites the index before every swap of this one, forever.
    fn interfere(kv: &MemoryCasStore) {
        cas::write(kv, "k", &index_with(&["9"])).unwrap();
        kv.before_next_swap(interfere);
    }

    #[test]
    fn an_index_that_keeps_changing_is_a_storage_error() {
        let kv = MemoryCasStore::default();
        kv.before_next_swap(interfere);
        let store = MeetingStore::new(&kv);
        assert!(matches!(
            store.index_add("k", id("1")),
            Err(Error::Storage(m)) if m.contains("kept changing")
        ));
    }

    #[test]
    fn an_emptied_index_is_deleted_down_to_its_pointer_on_either_store() {
        for flavor in [Flavor::Sqlite, Flavor::Redis] {
            let kv = MemoryCasStore::new(flavor);
            let store = MeetingStore::new(&kv);
            store.index_add("k", id("1")).unwrap();
            assert_eq!(kv.keys().len(), 2, "the pointer and the list");
            store.index_remove("k", id("1")).unwrap();
            assert_eq!(kv.keys(), ["k"], "{flavor:?}");
            assert!(store.index("k").unwrap().is_empty());
        }
    }

    #[test]
    fn listing_skips_ended_missing_and_unreadable_meetings() {
        let kv = MemoryCasStore::default();
        let store = MeetingStore::new(&kv);
        let key = "kaltura/v1/guild/123456789012345678/meetings";
        store
            .put(id("1"), &MeetingRecord::new(meeting(1, None), None))
            .unwrap();
        store
            .put(id("2"), &MeetingRecord::new(meeting(2, Some(5)), None))
            .unwrap();
        kv.set("kaltura/v1/meeting/3", b"garbage").unwrap();
        for raw in ["1", "2", "3", "4"] {
            store.index_add(key, id(raw)).unwrap();
        }
        let listed: Vec<u64> = store.list(key).unwrap().into_iter().map(|m| m.id).collect();
        assert_eq!(listed, vec![1]);
    }

    #[test]
    fn a_failing_store_is_reported() {
        let kv = MemoryCasStore::default();
        kv.fail_with(Some(common::StoreError::Other("down".into())));
        let store = MeetingStore::new(&kv);
        assert!(matches!(store.list("k"), Err(Error::Storage(_))));
        assert!(matches!(store.get(id("1")), Err(Error::Storage(_))));
    }
}
