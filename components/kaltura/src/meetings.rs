//! Meetings: Kaltura Meetings (newrow) rooms launched from Discord.
//!
//! - **create**: a `KalturaLocationScheduleResource` tagged `vcprovider:newrow`,
//!   `kd-type:<kind>` and `kd-guild:<server>` (`scheduleResource.add`, ADMIN KS); with a
//!   start time, a `KalturaRecordScheduleEvent` and the `scheduleEventResource` link in
//!   the same multirequest. Then the record and both indexes in the key-value store. A
//!   create is never retried; if a later step fails, what was made is removed again.
//! - **get / list**: the key-value store only — cheap, and available while Kaltura is not.
//! - **end**: `scheduleEvent.cancel` (if scheduled) and `scheduleResource.delete` in one
//!   multirequest. A deleted room's `resourceId` can no longer be launched, so deleting
//!   the room is what ends the meeting; the record is kept, marked ended, and leaves the
//!   lists. A room already deleted on Kaltura counts as ended.
//! - **join URL**: the KAF launch URL with a USER KS for one member (PROTOCOLS §8):
//!   `resourceId:<room>`, `role:adminRole|viewerRole`, `userContextualRole:0|3`,
//!   `firstName:`/`lastName:` from the sanitised display name, `actionslimit:-1`.
//! - **who manages a meeting** ([`may_manage`]), the one rule: its owner, or anyone
//!   with at least the `moderator` role. They may end it and host it when joining;
//!   everyone else attends.

use contracts::kaltura::{
    Meeting, MeetingFilter, MeetingKind, MeetingRequest, Participant, Requester,
};
use contracts::KalturaRole;
use discord_api::id::{ChannelId, ChannelMarker, GuildId, GuildMarker, UserId, UserMarker};
use kaltura_api::client::calls::{self, MeetingResource, RecordEvent};
use kaltura_api::client::model::{MeetingKind as RoomKind, ScheduleEvent};
use kaltura_api::client::{urls, Call, MultiRequest};
use kaltura_api::privileges::{ActionsLimit, ContextualRole, MeetingRole};
use kaltura_api::types::{EventId, ResourceId};
use kaltura_api::{DisplayName, KalturaUserId, Ks, Privileges, ValidationError};

use crate::error::{describe, from_kaltura, invalid, invalid_field, Error};
use crate::ids::{self, MeetingId};
use crate::keys;
use crate::resilience::Retry;
use crate::service::{Kaltura, Service};
use crate::settings;
use crate::store::{MeetingRecord, MeetingStore, MAX_OPEN_PER_INDEX};

/// Default length of a scheduled meeting, in minutes.
pub const DEFAULT_DURATION_MINUTES: u32 = 60;
/// Longest scheduled meeting, in minutes (a day).
pub const MAX_DURATION_MINUTES: u32 = 1440;
/// How far in the past a start time may be (clock skew between Discord and us).
const START_TIME_SLACK_SECS: u64 = 300;

/// `scheduleEvent.cancel(scheduleEventId)`: marks the event cancelled.
fn schedule_event_cancel(id: EventId) -> Call<ScheduleEvent> {
    Call::new("schedule_scheduleevent", "cancel").param("scheduleEventId", id.get())
}

/// `scheduleEvent.delete(scheduleEventId)`: removes an event this service half-created.
fn schedule_event_delete(id: EventId) -> Call<ScheduleEvent> {
    Call::new("schedule_scheduleevent", "delete").param("scheduleEventId", id.get())
}

/// Whether `requester` may manage `meeting` (share it, end it, host it): its owner, or
/// anyone with at least the `moderator` role.
pub fn may_manage(meeting: &Meeting, requester: &Requester) -> bool {
    requester.user_id == Some(meeting.owner_id) || requester.role >= KalturaRole::Moderator
}

/// The kind of room `kaltura-api` tags a meeting kind with (`kd-type:<...>`).
pub fn room_kind(kind: MeetingKind) -> RoomKind {
    match kind {
        MeetingKind::Webinar => RoomKind::Webinar,
        MeetingKind::Meeting => RoomKind::InteractiveRoom,
        MeetingKind::Classroom => RoomKind::VirtualClassroom,
    }
}

/// A validated create request.
struct Plan {
    guild: GuildId,
    channel: ChannelId,
    owner: UserId,
    room: MeetingResource,
    schedule: Option<(u64, u64, RecordEvent)>,
}

fn clean_description(description: Option<&str>) -> Option<&str> {
    description.filter(|d| !d.trim().is_empty())
}

/// The room for `request`'s title: cleaned, 1 to [`MeetingRequest::MAX_TITLE_CHARS`]
/// characters (the contract's limit; Kaltura itself takes more).
fn room(request: &MeetingRequest, guild: GuildId) -> Result<MeetingResource, Error> {
    let too_long = || {
        invalid(
            "title",
            format!(
                "must be at most {} characters",
                MeetingRequest::MAX_TITLE_CHARS
            ),
        )
    };
    let room = MeetingResource::new(&request.title, room_kind(request.kind), guild.get()).map_err(
        |err| match err {
            ValidationError::TooLong { .. } => too_long(),
            other => invalid("title", other),
        },
    )?;
    if room.name().chars().count() > MeetingRequest::MAX_TITLE_CHARS {
        return Err(too_long());
    }
    Ok(room)
}

fn plan(request: &MeetingRequest, now: u64) -> Result<Plan, Error> {
    let guild = ids::snowflake::<GuildMarker>("guild-id", request.guild_id)?;
    let channel = ids::snowflake::<ChannelMarker>("channel-id", request.channel_id)?;
    let owner = ids::snowflake::<UserMarker>("owner-id", request.owner_id)?;
    let mut room = room(request, guild)?;
    let description = clean_description(request.description.as_deref());
    if let Some(d) = description {
        room = room
            .with_description(d)
            .map_err(invalid_field("description"))?;
    }
    let schedule = match request.start_time {
        None => None,
        Some(start) => {
            let minutes = request.duration_minutes.unwrap_or(DEFAULT_DURATION_MINUTES);
            if !(1..=MAX_DURATION_MINUTES).contains(&minutes) {
                return Err(invalid(
                    "duration-minutes",
                    format!("must be 1 to {MAX_DURATION_MINUTES}"),
                ));
            }
            if start.saturating_add(START_TIME_SLACK_SECS) < now {
                return Err(invalid("start-time", "is in the past"));
            }
            let end = start.saturating_add(u64::from(minutes) * 60);
            let as_i64 =
                |t: u64| i64::try_from(t).map_err(|_| invalid("start-time", "is out of range"));
            let mut event = RecordEvent::new(room.name(), as_i64(start)?, as_i64(end)?)
                .map_err(invalid_field("start-time"))?
                .for_guild(guild.get());
            if let Some(d) = description {
                event = event
                    .with_description(d)
                    .map_err(invalid_field("description"))?;
            }
            Some((start, end, event))
        }
    };
    Ok(Plan {
        guild,
        channel,
        owner,
        room,
        schedule,
    })
}

/// Adds `note` to an error's message, keeping its case.
fn with_note(err: Error, note: &str) -> Error {
    match err {
        Error::NotConfigured(m) => Error::NotConfigured(m),
        Error::Invalid(m) => Error::Invalid(format!("{m}; {note}")),
        Error::NotFound(m) => Error::NotFound(format!("{m}; {note}")),
        Error::Forbidden(m) => Error::Forbidden(format!("{m}; {note}")),
        Error::Unavailable(m) => Error::Unavailable(format!("{m}; {note}")),
        Error::Conflict(m) => Error::Conflict(format!("{m}; {note}")),
        Error::Storage(m) => Error::Storage(format!("{m}; {note}")),
        Error::Other(m) => Error::Other(format!("{m}; {note}")),
    }
}

fn resource_id(raw: i64) -> Result<ResourceId, Error> {
    ResourceId::new(raw).map_err(|_| Error::other("Kaltura returned an invalid room id"))
}

impl Kaltura<'_> {
    /// Removes what a failed create made (never retried).
    fn undo_create(
        &self,
        ks: &Ks,
        resource: Option<ResourceId>,
        event: Option<EventId>,
    ) -> Result<(), Error> {
        let mut multi = MultiRequest::new();
        if let Some(event) = event {
            multi.add(schedule_event_delete(event));
        }
        let room = resource.map(|id| multi.add(calls::schedule_resource_delete(id)));
        if multi.is_empty() {
            return Ok(());
        }
        let response = self.multi(&multi, ks, Retry::Never)?;
        match room.map(|slot| response.get(slot)) {
            Some(Err(err)) => Err(from_kaltura(err)),
            _ => Ok(()),
        }
    }

    /// Runs `undo_create` and notes its failure on `err`.
    fn fail_create(
        &self,
        err: Error,
        ks: &Ks,
        resource: Option<ResourceId>,
        event: Option<EventId>,
    ) -> Error {
        match self.undo_create(ks, resource, event) {
            Ok(()) => err,
            Err(undo) => with_note(
                err,
                &format!(
                    "the half-created Kaltura room {} could not be removed ({})",
                    resource.map_or_else(|| "-".to_owned(), |r| r.to_string()),
                    describe(&undo)
                ),
            ),
        }
    }
}

impl Service<'_> {
    /// WIT `create-meeting`.
    ///
    /// # Errors
    /// See the WIT doc: `Invalid`, `NotConfigured`, `Unavailable`, `Forbidden`,
    /// `Storage`, `Other`.
    pub fn create_meeting(&self, request: &MeetingRequest) -> Result<Meeting, Error> {
        let now = self.env.clock.now_secs();
        let plan = plan(request, now)?;
        let store = MeetingStore::new(self.env.kv);
        let guild_key = keys::guild_meetings(plan.guild);
        let owner_key = keys::owner_meetings(plan.owner);
        if store.index(&guild_key)?.len() >= MAX_OPEN_PER_INDEX {
            return Err(invalid(
                "guild-id",
                format!(
                    "this server already has {MAX_OPEN_PER_INDEX} open meetings; end one first"
                ),
            ));
        }
        if store.index(&owner_key)?.len() >= MAX_OPEN_PER_INDEX {
            return Err(invalid(
                "owner-id",
                format!(
                    "this member already has {MAX_OPEN_PER_INDEX} open meetings; end one first"
                ),
            ));
        }

        let kaltura = self.kaltura()?;
        let ks = kaltura.sessions().admin()?;
        let (resource, event) = match &plan.schedule {
            None => {
                let room =
                    kaltura.call(&calls::schedule_resource_add(&plan.room), &ks, Retry::Never)?;
                (resource_id(room.id)?, None)
            }
            Some((_, _, event)) => {
                let mut multi = MultiRequest::new();
                let r = multi.add(calls::schedule_resource_add(&plan.room));
                let e = multi.add(calls::schedule_event_add(event));
                let link = multi.add(calls::schedule_event_resource_add(
                    e.attr(&["id"]),
                    r.attr(&["id"]),
                ));
                let response = kaltura.multi(&multi, &ks, Retry::Never)?;
                let room = response
                    .get(r)
                    .map_err(from_kaltura)
                    .and_then(|room| resource_id(room.id));
                let event = response.get(e).map_err(from_kaltura).and_then(|ev| {
                    EventId::new(ev.id)
                        .map_err(|_| Error::other("Kaltura returned an invalid event id"))
                });
                match (room, event, response.get(link)) {
                    (Ok(room), Ok(event), Ok(_)) => (room, Some(event)),
                    (room, event, link) => {
                        let first = [room.as_ref().err(), event.as_ref().err()]
                            .into_iter()
                            .flatten()
                            .next()
                            .cloned()
                            .or_else(|| link.err().map(from_kaltura))
                            .unwrap_or_else(|| Error::other("the meeting could not be created"));
                        return Err(kaltura.fail_create(first, &ks, room.ok(), event.ok()));
                    }
                }
            }
        };

        let id = MeetingId::from_resource(resource);
        let meeting = Meeting {
            id: id.get(),
            kind: request.kind,
            title: plan.room.name().to_owned(),
            guild_id: plan.guild.get(),
            channel_id: plan.channel.get(),
            owner_id: plan.owner.get(),
            created_at: now,
            start_time: plan.schedule.as_ref().map(|(start, _, _)| *start),
            end_time: plan.schedule.as_ref().map(|(_, end, _)| *end),
            ended_at: None,
        };
        let record = MeetingRecord::new(meeting.clone(), event.map(EventId::get));
        let stored = store
            .put(id, &record)
            .and_then(|()| store.index_add(&guild_key, id))
            .and_then(|()| store.index_add(&owner_key, id));
        if let Err(err) = stored {
            // Best effort: a store that just failed may fail again; the Kaltura room is
            // what matters, and its removal is reported on the error.
            let tidy = store
                .index_remove(&guild_key, id)
                .and_then(|()| store.index_remove(&owner_key, id))
                .and_then(|()| store.delete(id));
            let err = match tidy {
                Ok(()) => err,
                Err(_) => with_note(err, "a partial record may remain"),
            };
            return Err(kaltura.fail_create(err, &ks, Some(resource), event));
        }
        Ok(meeting)
    }

    /// The record of meeting `id`.
    ///
    /// # Errors
    /// `NotFound` when there is none (also for an id no meeting can have); `Storage`.
    fn record(&self, id: u64) -> Result<(MeetingId, MeetingRecord), Error> {
        let not_found = || Error::not_found(format!("no meeting {id}"));
        let id = MeetingId::new(id).ok_or_else(not_found)?;
        let record = MeetingStore::new(self.env.kv)
            .get(id)?
            .ok_or_else(not_found)?;
        Ok((id, record))
    }

    /// WIT `get-meeting`.
    ///
    /// # Errors
    /// `Storage` when the store fails. An id no meeting can have is simply not found.
    pub fn get_meeting(&self, id: u64) -> Result<Option<Meeting>, Error> {
        let Some(id) = MeetingId::new(id) else {
            return Ok(None);
        };
        Ok(MeetingStore::new(self.env.kv)
            .get(id)?
            .map(|record| record.meeting))
    }

    /// WIT `list-meetings`.
    ///
    /// # Errors
    /// `Invalid` for a zero ID; `Storage` when the store fails.
    pub fn list_meetings(&self, filter: &MeetingFilter) -> Result<Vec<Meeting>, Error> {
        let key = match *filter {
            MeetingFilter::Guild(id) => keys::guild_meetings(ids::snowflake("guild", id)?),
            MeetingFilter::Owner(id) => keys::owner_meetings(ids::snowflake("owner", id)?),
        };
        MeetingStore::new(self.env.kv).list(&key)
    }

    /// WIT `may-manage`: [`may_manage`] for a recorded meeting.
    ///
    /// # Errors
    /// `NotFound` for an unknown id; `Storage` when the store fails.
    pub fn may_manage(&self, id: u64, requester: &Requester) -> Result<bool, Error> {
        let (_, record) = self.record(id)?;
        Ok(may_manage(&record.meeting, requester))
    }

    /// WIT `end-meeting`.
    ///
    /// # Errors
    /// See the WIT doc: `NotFound`, `Forbidden` (also when `requester` may not manage
    /// the meeting), `NotConfigured`, `Unavailable`, `Other`, `Storage`.
    pub fn end_meeting(&self, id: u64, requester: &Requester) -> Result<(), Error> {
        let (id, mut record) = self.record(id)?;
        if !may_manage(&record.meeting, requester) {
            return Err(Error::forbidden(
                "only the meeting's owner, a moderator or an admin may end it",
            ));
        }
        if record.meeting.ended_at.is_some() {
            return Ok(());
        }

        let kaltura = self.kaltura()?;
        let ks = kaltura.sessions().admin()?;
        let mut multi = MultiRequest::new();
        if let Some(event) = record.event_id.and_then(|e| EventId::new(e).ok()) {
            // Its outcome does not decide: once the room is deleted the meeting cannot
            // be launched, whatever became of the calendar entry.
            multi.add(schedule_event_cancel(event));
        }
        let room = multi.add(calls::schedule_resource_delete(id.resource()));
        let response = kaltura.multi(&multi, &ks, Retry::Never)?;
        match response.get(room) {
            Ok(_) | Err(kaltura_api::ApiError::NotFound { .. }) => {}
            Err(err) => return Err(from_kaltura(err)),
        }

        record.meeting.ended_at = Some(self.env.clock.now_secs());
        let store = MeetingStore::new(self.env.kv);
        store.put(id, &record)?;
        for key in MeetingStore::index_keys(&record.meeting)? {
            store.index_remove(&key, id)?;
        }
        Ok(())
    }

    /// WIT `join-url`: the participant hosts if [`may_manage`] says so, else attends.
    ///
    /// # Errors
    /// See the WIT doc: `NotFound`, `Invalid`, `NotConfigured`, and with an app token
    /// `Unavailable` and `Forbidden`.
    pub fn join_url(&self, meeting_id: u64, participant: &Participant) -> Result<String, Error> {
        let (id, record) = self.record(meeting_id)?;
        if record.meeting.ended_at.is_some() {
            return Err(invalid("meeting-id", format!("meeting {id} has ended")));
        }
        let user_id = ids::snowflake::<UserMarker>("participant.user-id", participant.user_id)?;
        let user = KalturaUserId::new(participant.kaltura_user_id.as_str())
            .map_err(invalid_field("participant.kaltura-user-id"))?;
        let host = may_manage(
            &record.meeting,
            &Requester {
                user_id: Some(user_id.get()),
                role: participant.role,
            },
        );
        let privileges = member_privileges(id.resource(), &participant.display_name, host)?;
        let expiry = settings::member_ks_expiry(self.env.vars)?;

        let kaltura = self.kaltura()?;
        let ks = kaltura.sessions().member(&user, privileges, expiry)?;
        let url = urls::join_url(
            settings::kaf_url(self.env.vars).as_deref(),
            kaltura.api.partner_id,
            &ks,
        )
        .map_err(|_| Error::NotConfigured(settings::KAF_URL.into()))?;
        Ok(url.expose().to_owned())
    }
}

/// The privileges of a member's launch KS: the room, the member's part (host or
/// attendee) and their name.
fn member_privileges(
    room: ResourceId,
    display_name: &str,
    host: bool,
) -> Result<Privileges, Error> {
    let name =
        DisplayName::sanitize(display_name).map_err(invalid_field("participant.display-name"))?;
    let (first, last) = match name.as_str().split_once(' ') {
        Some((first, last)) => (
            DisplayName::sanitize(first).map_err(invalid_field("participant.display-name"))?,
            DisplayName::sanitize(last).ok(),
        ),
        None => (name.clone(), None),
    };
    let (role, contextual) = if host {
        (MeetingRole::Admin, ContextualRole::Host)
    } else {
        (MeetingRole::Viewer, ContextualRole::Attendee)
    };
    let mut privileges = Privileges::new()
        .resource_id(room)
        .role(role)
        .user_contextual_role(contextual)
        .first_name(&first);
    if let Some(last) = &last {
        privileges = privileges.last_name(last);
    }
    Ok(privileges.actionslimit(ActionsLimit::NO_API_CALLS))
}

#[cfg(test)]
mod tests;
