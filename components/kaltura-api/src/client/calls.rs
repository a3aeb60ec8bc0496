//! Typed request builders for the API_v3 actions this app uses.
//!
//! Service and parameter names follow Kaltura's generated clients (PyPI
//! `KalturaApiClient`): plugin services are `schedule_scheduleresource`,
//! `schedule_scheduleevent`, `schedule_scheduleeventresource`; nested objects carry their
//! `objectType`.
//!
//! Meeting rooms are `KalturaLocationScheduleResource`s tagged `vcprovider:newrow` (legacy
//! Kaltura Meetings via KAF) plus this app's own tags: `kd-type:<webinar|meeting|classroom>`
//! and `kd-guild:<discord guild id>`, which [`super::model::ScheduleResource`] reads back.

use serde_json::{json, Map, Value};

use super::model::{
    ListResponse, MediaEntry, MeetingKind, ScheduleEvent, ScheduleEventResource, ScheduleResource,
    SessionInfo, WidgetSession,
};
use super::{Call, ResultRef};
use crate::ks::SessionType;
use crate::privileges::Privileges;
use crate::types::{
    clean_text, AppTokenId, EntryId, EventId, KalturaUserId, PartnerId, ResourceId, ValidationError,
};

/// Tag that makes a location resource a Kaltura Meetings (newrow) room.
pub const TAG_NEWROW: &str = "vcprovider:newrow";
/// Prefix of this app's meeting-kind tag.
pub const TAG_KIND_PREFIX: &str = "kd-type:";
/// Prefix of this app's Discord guild tag.
pub const TAG_GUILD_PREFIX: &str = "kd-guild:";

const SCHEDULE_RESOURCE: &str = "schedule_scheduleresource";
const SCHEDULE_EVENT: &str = "schedule_scheduleevent";
const SCHEDULE_EVENT_RESOURCE: &str = "schedule_scheduleeventresource";

/// `system.ping` → `true`. Needs no KS.
pub fn system_ping() -> Call<bool> {
    Call::new("system", "ping")
}

/// The conventional widget id of a partner, `_{partnerId}`.
pub fn default_widget_id(partner_id: PartnerId) -> String {
    format!("_{partner_id}")
}

/// `session.startWidgetSession(widgetId, expiry?)` → a widget KS. Needs no KS.
pub fn session_start_widget_session(
    widget_id: &str,
    expiry_seconds: Option<u64>,
) -> Call<WidgetSession> {
    Call::new("session", "startWidgetSession")
        .param("widgetId", widget_id)
        .param_opt("expiry", expiry_seconds)
}

/// `appToken.startSession(id, tokenHash, userId?, type?, expiry?, sessionPrivileges?)`,
/// sent with the KS that `token_hash` was computed from
/// ([`crate::ks::app_token_hash`]). The token's own user, type and privileges win.
pub fn app_token_start_session(
    id: &AppTokenId,
    token_hash: &str,
    user_id: Option<&KalturaUserId>,
    session_type: Option<SessionType>,
    expiry_seconds: Option<u64>,
    privileges: Option<&Privileges>,
) -> Call<SessionInfo> {
    Call::new("apptoken", "startSession")
        .param("id", id.as_str())
        .param("tokenHash", token_hash)
        .param_opt("userId", user_id.map(KalturaUserId::as_str))
        .param_opt("type", session_type.map(SessionType::code))
        .param_opt("expiry", expiry_seconds)
        .param_opt("sessionPrivileges", privileges.map(ToString::to_string))
}

/// A meeting room to create or update as a `KalturaLocationScheduleResource`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeetingResource {
    name: String,
    description: Option<String>,
    kind: MeetingKind,
    guild_id: u64,
}

impl MeetingResource {
    /// Longest name, in characters.
    pub const MAX_NAME: usize = 256;
    /// Longest description, in characters.
    pub const MAX_DESCRIPTION: usize = 1024;

    /// A room named `name` (user text, cleaned) for a guild.
    ///
    /// # Errors
    /// [`ValidationError`] when the cleaned name is empty or too long.
    pub fn new(name: &str, kind: MeetingKind, guild_id: u64) -> Result<Self, ValidationError> {
        Ok(Self {
            name: clean_text("meeting name", name, Self::MAX_NAME)?,
            description: None,
            kind,
            guild_id,
        })
    }

    /// Adds a description (user text, cleaned).
    ///
    /// # Errors
    /// [`ValidationError`] when the cleaned description is empty or too long.
    pub fn with_description(mut self, description: &str) -> Result<Self, ValidationError> {
        self.description = Some(clean_text(
            "meeting description",
            description,
            Self::MAX_DESCRIPTION,
        )?);
        Ok(self)
    }

    /// The cleaned name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The meeting kind.
    pub fn kind(&self) -> MeetingKind {
        self.kind
    }

    /// The tags: `vcprovider:newrow,kd-type:<kind>,kd-guild:<id>`.
    pub fn tags(&self) -> String {
        format!(
            "{TAG_NEWROW},{TAG_KIND_PREFIX}{},{TAG_GUILD_PREFIX}{}",
            self.kind.tag_value(),
            self.guild_id
        )
    }

    fn to_json(&self) -> Value {
        let mut o = Map::new();
        o.insert(
            "objectType".into(),
            "KalturaLocationScheduleResource".into(),
        );
        o.insert("name".into(), self.name.clone().into());
        if let Some(d) = &self.description {
            o.insert("description".into(), d.clone().into());
        }
        o.insert("tags".into(), self.tags().into());
        Value::Object(o)
    }
}

/// `scheduleResource.add(scheduleResource)`.
pub fn schedule_resource_add(resource: &MeetingResource) -> Call<ScheduleResource> {
    Call::new(SCHEDULE_RESOURCE, "add").param("scheduleResource", resource.to_json())
}

/// `scheduleResource.get(scheduleResourceId)`.
pub fn schedule_resource_get(id: ResourceId) -> Call<ScheduleResource> {
    Call::new(SCHEDULE_RESOURCE, "get").param("scheduleResourceId", id.get())
}

/// `scheduleResource.update(scheduleResourceId, scheduleResource)`.
pub fn schedule_resource_update(
    id: ResourceId,
    resource: &MeetingResource,
) -> Call<ScheduleResource> {
    Call::new(SCHEDULE_RESOURCE, "update")
        .param("scheduleResourceId", id.get())
        .param("scheduleResource", resource.to_json())
}

/// `scheduleResource.delete(scheduleResourceId)` → the deleted resource.
pub fn schedule_resource_delete(id: ResourceId) -> Call<ScheduleResource> {
    Call::new(SCHEDULE_RESOURCE, "delete").param("scheduleResourceId", id.get())
}

/// Paging of a list call (`KalturaFilterPager`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pager {
    page_size: u32,
    page_index: u32,
}

impl Pager {
    /// Page `page_index` (from 1) of `page_size` (1..=500) objects.
    ///
    /// # Errors
    /// [`ValidationError::OutOfRange`] otherwise.
    pub fn new(page_size: u32, page_index: u32) -> Result<Self, ValidationError> {
        if !(1..=500).contains(&page_size) || page_index == 0 {
            return Err(ValidationError::OutOfRange { what: "pager" });
        }
        Ok(Self {
            page_size,
            page_index,
        })
    }

    fn to_json(self) -> Value {
        json!({"objectType": "KalturaFilterPager", "pageSize": self.page_size, "pageIndex": self.page_index})
    }
}

/// A `KalturaScheduleResourceFilter`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScheduleResourceFilter {
    /// `tagsMultiLikeAnd`: comma-separated tags that must all match.
    pub tags_multi_like_and: Option<String>,
    /// `statusEqual`: 1 DISABLED, 2 ACTIVE, 3 DELETED.
    pub status_equal: Option<i64>,
    /// `idIn`.
    pub id_in: Vec<ResourceId>,
    /// `orderBy`, e.g. `-createdAt`.
    pub order_by: Option<&'static str>,
}

impl ScheduleResourceFilter {
    /// Active rooms tagged with this guild, newest first. Kaltura's tag matching is a
    /// text search: check [`ScheduleResource::guild_id`] on each result too.
    pub fn for_guild(guild_id: u64) -> Self {
        Self {
            tags_multi_like_and: Some(format!("{TAG_GUILD_PREFIX}{guild_id}")),
            status_equal: Some(2),
            id_in: Vec::new(),
            order_by: Some("-createdAt"),
        }
    }

    fn to_json(&self) -> Value {
        let mut o = Map::new();
        o.insert("objectType".into(), "KalturaScheduleResourceFilter".into());
        if let Some(t) = &self.tags_multi_like_and {
            o.insert("tagsMultiLikeAnd".into(), t.clone().into());
        }
        if let Some(s) = self.status_equal {
            o.insert("statusEqual".into(), s.into());
        }
        if !self.id_in.is_empty() {
            let ids: Vec<String> = self.id_in.iter().map(ToString::to_string).collect();
            o.insert("idIn".into(), ids.join(",").into());
        }
        if let Some(order) = self.order_by {
            o.insert("orderBy".into(), order.into());
        }
        Value::Object(o)
    }
}

/// `scheduleResource.list(filter, pager?)`.
pub fn schedule_resource_list(
    filter: &ScheduleResourceFilter,
    pager: Option<Pager>,
) -> Call<ListResponse<ScheduleResource>> {
    Call::new(SCHEDULE_RESOURCE, "list")
        .param("filter", filter.to_json())
        .param_opt("pager", pager.map(Pager::to_json))
}

/// A one-off scheduled meeting (`KalturaRecordScheduleEvent`, `recurrenceType: 0`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordEvent {
    summary: String,
    start_date: i64,
    end_date: i64,
    description: Option<String>,
    tags: Option<String>,
}

impl RecordEvent {
    /// An event from `start_date` to `end_date` (Unix seconds).
    ///
    /// # Errors
    /// [`ValidationError`] for an empty or over-long summary (256) or `end <= start`.
    pub fn new(summary: &str, start_date: i64, end_date: i64) -> Result<Self, ValidationError> {
        if end_date <= start_date || start_date < 0 {
            return Err(ValidationError::OutOfRange {
                what: "event dates",
            });
        }
        Ok(Self {
            summary: clean_text("event summary", summary, 256)?,
            start_date,
            end_date,
            description: None,
            tags: None,
        })
    }

    /// Adds a description (user text, cleaned, at most 1024 characters).
    ///
    /// # Errors
    /// [`ValidationError`] when the cleaned text is empty or too long.
    pub fn with_description(mut self, description: &str) -> Result<Self, ValidationError> {
        self.description = Some(clean_text("event description", description, 1024)?);
        Ok(self)
    }

    /// Tags the event with a guild (`kd-guild:<id>`).
    pub fn for_guild(mut self, guild_id: u64) -> Self {
        self.tags = Some(format!("{TAG_GUILD_PREFIX}{guild_id}"));
        self
    }

    fn to_json(&self) -> Value {
        let mut o = Map::new();
        o.insert("objectType".into(), "KalturaRecordScheduleEvent".into());
        o.insert("summary".into(), self.summary.clone().into());
        o.insert("startDate".into(), self.start_date.into());
        o.insert("endDate".into(), self.end_date.into());
        o.insert("recurrenceType".into(), 0.into());
        if let Some(d) = &self.description {
            o.insert("description".into(), d.clone().into());
        }
        if let Some(t) = &self.tags {
            o.insert("tags".into(), t.clone().into());
        }
        Value::Object(o)
    }
}

/// `scheduleEvent.add(scheduleEvent)`.
pub fn schedule_event_add(event: &RecordEvent) -> Call<ScheduleEvent> {
    Call::new(SCHEDULE_EVENT, "add").param("scheduleEvent", event.to_json())
}

/// An id parameter: a known id, or a reference to an earlier multirequest result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdArg {
    /// A known id.
    Id(i64),
    /// `{N:result:id}`.
    Ref(ResultRef),
}

impl From<ResourceId> for IdArg {
    fn from(value: ResourceId) -> Self {
        Self::Id(value.get())
    }
}

impl From<EventId> for IdArg {
    fn from(value: EventId) -> Self {
        Self::Id(value.get())
    }
}

impl From<ResultRef> for IdArg {
    fn from(value: ResultRef) -> Self {
        Self::Ref(value)
    }
}

impl From<IdArg> for Value {
    fn from(value: IdArg) -> Self {
        match value {
            IdArg::Id(id) => id.into(),
            IdArg::Ref(r) => r.into(),
        }
    }
}

/// `scheduleEventResource.add(scheduleEventResource)`: links an event and a room.
pub fn schedule_event_resource_add(
    event_id: impl Into<IdArg>,
    resource_id: impl Into<IdArg>,
) -> Call<ScheduleEventResource> {
    let link = json!({
        "objectType": "KalturaScheduleEventResource",
        "eventId": Value::from(event_id.into()),
        "resourceId": Value::from(resource_id.into()),
    });
    Call::new(SCHEDULE_EVENT_RESOURCE, "add").param("scheduleEventResource", link)
}

/// A `KalturaMediaEntryFilter`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MediaFilter {
    free_text: Option<String>,
    id_equal: Option<String>,
    categories_ids_match_or: Option<String>,
    status_equal: Option<String>,
    media_type_equal: Option<i64>,
    order_by: Option<&'static str>,
}

impl MediaFilter {
    /// Longest search text, in characters.
    pub const MAX_SEARCH: usize = 256;

    /// A `freeText` search (user text, cleaned).
    ///
    /// # Errors
    /// [`ValidationError`] when the cleaned text is empty or too long.
    pub fn search(text: &str) -> Result<Self, ValidationError> {
        Ok(Self {
            free_text: Some(clean_text("search text", text, Self::MAX_SEARCH)?),
            ..Self::default()
        })
    }

    /// One entry (`idEqual`).
    pub fn id(entry_id: &EntryId) -> Self {
        Self {
            id_equal: Some(entry_id.as_str().to_owned()),
            ..Self::default()
        }
    }

    /// Only entries in at least one of `category_ids` (`categoriesIdsMatchOr`); no
    /// categories: no restriction.
    pub fn in_categories(mut self, category_ids: &[u32]) -> Self {
        self.categories_ids_match_or = (!category_ids.is_empty()).then(|| {
            category_ids
                .iter()
                .map(u32::to_string)
                .collect::<Vec<_>>()
                .join(",")
        });
        self
    }

    /// Only READY entries (`statusEqual: 2`).
    pub fn ready_only(mut self) -> Self {
        self.status_equal = Some("2".to_owned());
        self
    }

    /// Only one media type (`mediaTypeEqual`, 1 VIDEO, 5 AUDIO, ...).
    pub fn media_type(mut self, media_type: i64) -> Self {
        self.media_type_equal = Some(media_type);
        self
    }

    /// Sort order, e.g. `-createdAt` or `-plays`.
    pub fn order_by(mut self, order: &'static str) -> Self {
        self.order_by = Some(order);
        self
    }

    fn to_json(&self) -> Value {
        let mut o = Map::new();
        o.insert("objectType".into(), "KalturaMediaEntryFilter".into());
        if let Some(t) = &self.free_text {
            o.insert("freeText".into(), t.clone().into());
        }
        if let Some(id) = &self.id_equal {
            o.insert("idEqual".into(), id.clone().into());
        }
        if let Some(ids) = &self.categories_ids_match_or {
            o.insert("categoriesIdsMatchOr".into(), ids.clone().into());
        }
        if let Some(s) = &self.status_equal {
            o.insert("statusEqual".into(), s.clone().into());
        }
        if let Some(m) = self.media_type_equal {
            o.insert("mediaTypeEqual".into(), m.into());
        }
        if let Some(order) = self.order_by {
            o.insert("orderBy".into(), order.into());
        }
        Value::Object(o)
    }
}

/// `media.list(filter, pager?)`.
pub fn media_list(filter: &MediaFilter, pager: Option<Pager>) -> Call<ListResponse<MediaEntry>> {
    Call::new("media", "list")
        .param("filter", filter.to_json())
        .param_opt("pager", pager.map(Pager::to_json))
}

/// `media.get(entryId)`.
pub fn media_get(entry_id: &EntryId) -> Call<MediaEntry> {
    Call::new("media", "get").param("entryId", entry_id.as_str())
}

#[cfg(test)]
mod tests {
    use super::super::{Client, MultiRequest, MultiResponse, CLIENT_TAG};
    use super::*;
    use crate::client::ApiError;
    use crate::types::Ks;

    fn ok<T, E: std::fmt::Debug>(r: Result<T, E>) -> T {
        match r {
            Ok(v) => v,
            Err(e) => panic!("unexpected error: {e:?}"),
        }
    }

    fn response(body: &str) -> http::Response<Vec<u8>> {
        ok(http::Response::builder()
            .status(200)
            .body(body.as_bytes().to_vec()))
    }

    fn sent(call: &Call<impl serde::de::DeserializeOwned>) -> (String, Value) {
        let client = ok(Client::new("https://www.kaltura.com"));
        let ks = ok(Ks::new("a2Fs"));
        let req = ok(client.request(call, Some(&ks)));
        (
            req.uri().to_string(),
            ok(serde_json::from_slice(req.body())),
        )
    }

    #[test]
    fn ping_and_widget_session_have_the_documented_parameters() {
        let (url, body) = sent(&system_ping());
        assert!(url.ends_with("/api_v3/service/system/action/ping"));
        assert_eq!(body["format"], 1);
        let pid = ok(PartnerId::new(1_234_567));
        let call = session_start_widget_session(&default_widget_id(pid), Some(600));
        let (url, body) = sent(&call);
        assert!(url.ends_with("/api_v3/service/session/action/startWidgetSession"));
        assert_eq!(body["widgetId"], "_1234567");
        assert_eq!(body["expiry"], 600);
        let parsed = ok(call.parse_response(&response(
            r#"{"partnerId":1234567,"ks":"djJ8MTIzNDU2N3w","userId":0,"objectType":"KalturaStartWidgetSessionResponse"}"#,
        )));
        assert_eq!(parsed.ks.expose(), "djJ8MTIzNDU2N3w");
        assert_eq!(parsed.partner_id, Some(1_234_567));
        assert_eq!(parsed.user_id.as_deref(), Some("0"));
    }

    #[test]
    fn app_token_start_session_sends_hash_and_optional_fields() {
        let id = ok(AppTokenId::new("0_tok123"));
        let user = ok(KalturaUserId::new("discord-1"));
        let privileges = Privileges::new().disable_entitlement();
        let call = app_token_start_session(
            &id,
            "abc123",
            Some(&user),
            Some(SessionType::User),
            Some(3600),
            Some(&privileges),
        );
        let (url, body) = sent(&call);
        assert!(url.ends_with("/api_v3/service/apptoken/action/startSession"));
        assert_eq!(body["id"], "0_tok123");
        assert_eq!(body["tokenHash"], "abc123");
        assert_eq!(body["userId"], "discord-1");
        assert_eq!(body["type"], 0);
        assert_eq!(body["expiry"], 3600);
        assert_eq!(body["sessionPrivileges"], "disableentitlement");
        let bare = app_token_start_session(&id, "h", None, None, None, None);
        assert_eq!(bare.params().len(), 2);
        let info = ok(call.parse_response(&response(
            r#"{"ks":"djJ8MTIz","sessionType":0,"partnerId":5,"userId":"discord-1","expiry":1700003600,"privileges":"sessionid:0_t,apptoken:0_t","objectType":"KalturaSessionInfo"}"#,
        )));
        assert_eq!(info.session_type, Some(SessionType::User));
        assert_eq!(info.expiry, Some(1_700_003_600));
        assert!(!format!("{info:?}").contains("djJ8MTIz"));
    }

    #[test]
    fn a_meeting_room_is_a_tagged_location_resource() {
        let room = ok(ok(MeetingResource::new(
            "  Weekly\nsync  ",
            MeetingKind::Webinar,
            123_456_789_012_345_678,
        ))
        .with_description("All hands"));
        assert_eq!(room.name(), "Weekly sync");
        let (url, body) = sent(&schedule_resource_add(&room));
        assert!(url.ends_with("/api_v3/service/schedule_scheduleresource/action/add"));
        assert_eq!(
            body["scheduleResource"],
            json!({
                "objectType": "KalturaLocationScheduleResource",
                "name": "Weekly sync",
                "description": "All hands",
                "tags": "vcprovider:newrow,kd-type:webinar,kd-guild:123456789012345678"
            })
        );
        assert!(MeetingResource::new(" \n ", MeetingKind::Webinar, 1).is_err());
        assert!(MeetingResource::new(&"x".repeat(257), MeetingKind::Webinar, 1).is_err());
    }

    #[test]
    fn resource_get_update_delete_and_list_use_the_resource_id() {
        let id = ok(ResourceId::new(42));
        let room = ok(MeetingResource::new("R", MeetingKind::VirtualClassroom, 7));
        let (url, body) = sent(&schedule_resource_get(id));
        assert!(url.ends_with("/schedule_scheduleresource/action/get"));
        assert_eq!(body["scheduleResourceId"], 42);
        let (url, body) = sent(&schedule_resource_update(id, &room));
        assert!(url.ends_with("/schedule_scheduleresource/action/update"));
        assert_eq!(
            body["scheduleResource"]["tags"],
            "vcprovider:newrow,kd-type:classroom,kd-guild:7"
        );
        let (url, _) = sent(&schedule_resource_delete(id));
        assert!(url.ends_with("/schedule_scheduleresource/action/delete"));
        let call = schedule_resource_list(
            &ScheduleResourceFilter::for_guild(7),
            Some(ok(Pager::new(50, 1))),
        );
        let (url, body) = sent(&call);
        assert!(url.ends_with("/schedule_scheduleresource/action/list"));
        assert_eq!(
            body["filter"],
            json!({"objectType": "KalturaScheduleResourceFilter", "tagsMultiLikeAnd": "kd-guild:7",
                   "statusEqual": 2, "orderBy": "-createdAt"})
        );
        assert_eq!(
            body["pager"],
            json!({"objectType": "KalturaFilterPager", "pageSize": 50, "pageIndex": 1})
        );
        assert!(Pager::new(0, 1).is_err());
        assert!(Pager::new(501, 1).is_err());
        assert!(Pager::new(10, 0).is_err());
    }

    #[test]
    fn a_listed_room_gives_back_its_kind_and_guild() {
        let call = schedule_resource_list(&ScheduleResourceFilter::default(), None);
        let list = ok(call.parse_response(&response(
            r#"{"objects":[{"id":42,"partnerId":1234567,"name":"Weekly sync","status":2,
                "tags":"vcprovider:newrow, kd-type:meeting, kd-guild:99","createdAt":1700000000,
                "updatedAt":1700000001,"objectType":"KalturaLocationScheduleResource"}],
                "totalCount":1,"objectType":"KalturaScheduleResourceListResponse"}"#,
        )));
        assert_eq!(list.total_count, 1);
        let room = &list.objects[0];
        assert_eq!(room.id, 42);
        assert_eq!(room.meeting_kind(), Some(MeetingKind::InteractiveRoom));
        assert_eq!(room.guild_id(), Some(99));
        assert!(room.is_newrow_room());
        assert!(room.is_active());
        assert_eq!(room.created_at, Some(1_700_000_000));
        let empty = ok(call.parse_response(&response(
            r#"{"totalCount":0,"objectType":"KalturaScheduleResourceListResponse"}"#,
        )));
        assert!(empty.objects.is_empty());
    }

    #[test]
    fn a_record_event_is_a_one_off_with_dates() {
        let event = ok(RecordEvent::new("Kickoff", 1_700_000_000, 1_700_003_600)).for_guild(5);
        let (url, body) = sent(&schedule_event_add(&event));
        assert!(url.ends_with("/api_v3/service/schedule_scheduleevent/action/add"));
        assert_eq!(
            body["scheduleEvent"],
            json!({"objectType": "KalturaRecordScheduleEvent", "summary": "Kickoff",
                   "startDate": 1_700_000_000, "endDate": 1_700_003_600, "recurrenceType": 0,
                   "tags": "kd-guild:5"})
        );
        assert!(RecordEvent::new("x", 10, 10).is_err());
        let parsed = ok(schedule_event_add(&event).parse_response(&response(
            r#"{"id":777,"summary":"Kickoff","startDate":1700000000,"endDate":1700003600,
                "recurrenceType":0,"status":2,"objectType":"KalturaRecordScheduleEvent"}"#,
        )));
        assert_eq!(parsed.id, 777);
        assert_eq!(parsed.recurrence_type, Some(0));
    }

    #[test]
    fn room_event_and_link_can_go_in_one_multirequest() {
        let room = ok(MeetingResource::new("R", MeetingKind::Webinar, 1));
        let event = ok(RecordEvent::new("E", 1, 2));
        let mut multi = MultiRequest::new();
        let r = multi.add(schedule_resource_add(&room));
        let e = multi.add(schedule_event_add(&event));
        let link = multi.add(schedule_event_resource_add(
            e.attr(&["id"]),
            r.attr(&["id"]),
        ));
        let client = ok(Client::new("https://www.kaltura.com"));
        let req = ok(client.multirequest(&multi, Some(&ok(Ks::new("a2Fs")))));
        let body: Value = ok(serde_json::from_slice(req.body()));
        assert_eq!(body["clientTag"], CLIENT_TAG);
        assert_eq!(body["3"]["service"], "schedule_scheduleeventresource");
        assert_eq!(
            body["3"]["scheduleEventResource"],
            json!({"objectType": "KalturaScheduleEventResource",
                   "eventId": "{2:result:id}", "resourceId": "{1:result:id}"})
        );
        let resp = ok(MultiResponse::parse(&response(
            r#"[{"id":42,"name":"R","objectType":"KalturaLocationScheduleResource"},
                {"id":777,"objectType":"KalturaRecordScheduleEvent"},
                {"eventId":777,"resourceId":42,"objectType":"KalturaScheduleEventResource"}]"#,
        )));
        assert_eq!(ok(resp.get(r)).id, 42);
        assert_eq!(ok(resp.get(e)).id, 777);
        assert_eq!(ok(resp.get(link)).resource_id, Some(42));
        let direct = schedule_event_resource_add(ok(EventId::new(1)), ok(ResourceId::new(2)));
        assert_eq!(direct.params()["scheduleEventResource"]["eventId"], 1);
    }

    #[test]
    fn media_search_and_get_build_and_parse() {
        let filter = ok(MediaFilter::search("  intro\tvideo "))
            .ready_only()
            .media_type(1)
            .order_by("-createdAt");
        let (url, body) = sent(&media_list(&filter, Some(ok(Pager::new(5, 2)))));
        assert!(url.ends_with("/api_v3/service/media/action/list"));
        assert_eq!(
            body["filter"],
            json!({"objectType": "KalturaMediaEntryFilter", "freeText": "intro video",
                   "statusEqual": "2", "mediaTypeEqual": 1, "orderBy": "-createdAt"})
        );
        assert!(MediaFilter::search("   ").is_err());
        let entry_id = ok(EntryId::new("0_abc123"));
        let one = MediaFilter::id(&entry_id).in_categories(&[7, 9]);
        let (_, body) = sent(&media_list(&one, None));
        assert_eq!(
            body["filter"],
            json!({"objectType": "KalturaMediaEntryFilter", "idEqual": "0_abc123",
                   "categoriesIdsMatchOr": "7,9"})
        );
        let (_, body) = sent(&media_list(
            &MediaFilter::id(&entry_id).in_categories(&[]),
            None,
        ));
        assert!(body["filter"].get("categoriesIdsMatchOr").is_none());
        let call = media_get(&entry_id);
        let (url, body) = sent(&call);
        assert!(url.ends_with("/api_v3/service/media/action/get"));
        assert_eq!(body["entryId"], "0_abc123");
        let entry = ok(call.parse_response(&response(
            r#"{"id":"0_abc123","name":"Lecture 1","status":"2","mediaType":1,"duration":61,
                "thumbnailUrl":"https://cfvod.kaltura.com/p/1/thumbnail/entry_id/0_abc123",
                "createdAt":1700000000,"objectType":"KalturaMediaEntry"}"#,
        )));
        assert!(entry.is_ready());
        assert_eq!(entry.duration, Some(61));
        let missing = call.parse_response(&response(
            r#"{"code":"ENTRY_ID_NOT_FOUND","message":"Entry id \"0_abc123\" not found","objectType":"KalturaAPIException","args":{"ENTRY_ID":"0_abc123"}}"#,
        ));
        assert!(matches!(missing, Err(ApiError::NotFound { .. })));
    }
}
