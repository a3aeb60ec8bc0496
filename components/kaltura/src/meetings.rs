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

use kaltura_api::client::calls::{self, MeetingResource, RecordEvent};
use kaltura_api::client::model::ScheduleEvent;
use kaltura_api::client::{urls, Call, MultiRequest};
use kaltura_api::privileges::{ActionsLimit, ContextualRole, MeetingRole};
use kaltura_api::types::{EventId, ResourceId};
use kaltura_api::{DisplayName, KalturaUserId, Ks, Privileges};

use crate::error::{invalid_field, Error};
use crate::keys;
use crate::model::{
    Meeting, MeetingFilter, MeetingId, MeetingRequest, MemberIdentity, MemberRole, Snowflake,
};
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

/// A validated create request.
struct Plan {
    guild: Snowflake,
    channel: Snowflake,
    owner: Snowflake,
    room: MeetingResource,
    schedule: Option<(u64, u64, RecordEvent)>,
}

fn clean_description(description: Option<&str>) -> Option<&str> {
    description.filter(|d| !d.trim().is_empty())
}

fn plan(request: &MeetingRequest, now: u64) -> Result<Plan, Error> {
    let guild = Snowflake::parse("guild-id", &request.guild_id)?;
    let channel = Snowflake::parse("channel-id", &request.channel_id)?;
    let owner = Snowflake::parse("owner-id", &request.owner_id)?;
    let mut room = MeetingResource::new(&request.title, request.kind.room_kind(), guild.get())
        .map_err(invalid_field("title"))?;
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
                return Err(Error::invalid(
                    "duration-minutes",
                    format!("must be 1 to {MAX_DURATION_MINUTES}"),
                ));
            }
            if start.saturating_add(START_TIME_SLACK_SECS) < now {
                return Err(Error::invalid("start-time", "is in the past"));
            }
            let end = start.saturating_add(u64::from(minutes) * 60);
            let as_i64 = |t: u64| {
                i64::try_from(t).map_err(|_| Error::invalid("start-time", "is out of range"))
            };
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
    ResourceId::new(raw).map_err(|_| Error::Other("Kaltura returned an invalid room id".into()))
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
            Some(Err(err)) => Err(err.into()),
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
                    "the half-created Kaltura room {} could not be removed ({undo})",
                    resource.map_or_else(|| "-".to_owned(), |r| r.to_string())
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
            return Err(Error::invalid(
                "guild-id",
                format!(
                    "this server already has {MAX_OPEN_PER_INDEX} open meetings; end one first"
                ),
            ));
        }
        if store.index(&owner_key)?.len() >= MAX_OPEN_PER_INDEX {
            return Err(Error::invalid(
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
                    .map_err(Error::from)
                    .and_then(|room| resource_id(room.id));
                let event = response.get(e).map_err(Error::from).and_then(|ev| {
                    EventId::new(ev.id)
                        .map_err(|_| Error::Other("Kaltura returned an invalid event id".into()))
                });
                match (room, event, response.get(link)) {
                    (Ok(room), Ok(event), Ok(_)) => (room, Some(event)),
                    (room, event, link) => {
                        let first = [room.as_ref().err(), event.as_ref().err()]
                            .into_iter()
                            .flatten()
                            .next()
                            .cloned()
                            .or_else(|| link.err().map(Error::from))
                            .unwrap_or_else(|| {
                                Error::Other("the meeting could not be created".into())
                            });
                        return Err(kaltura.fail_create(first, &ks, room.ok(), event.ok()));
                    }
                }
            }
        };

        let id = MeetingId::from_resource(resource);
        let meeting = Meeting {
            id: id.to_string(),
            kind: request.kind,
            title: plan.room.name().to_owned(),
            guild_id: plan.guild.to_string(),
            channel_id: plan.channel.to_string(),
            owner_id: plan.owner.to_string(),
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

    /// WIT `get-meeting`.
    ///
    /// # Errors
    /// `Storage` when the store fails. A malformed id is simply not found.
    pub fn get_meeting(&self, id: &str) -> Result<Option<Meeting>, Error> {
        let Ok(id) = MeetingId::parse(id) else {
            return Ok(None);
        };
        Ok(MeetingStore::new(self.env.kv)
            .get(id)?
            .map(|record| record.meeting))
    }

    /// WIT `list-meetings`.
    ///
    /// # Errors
    /// `Invalid` for an id that is not a snowflake; `Storage` when the store fails.
    pub fn list_meetings(&self, filter: &MeetingFilter) -> Result<Vec<Meeting>, Error> {
        let key = match filter {
            MeetingFilter::Guild(raw) => keys::guild_meetings(Snowflake::parse("guild", raw)?),
            MeetingFilter::Owner(raw) => keys::owner_meetings(Snowflake::parse("owner", raw)?),
        };
        MeetingStore::new(self.env.kv).list(&key)
    }

    /// WIT `end-meeting`.
    ///
    /// # Errors
    /// See the WIT doc: `NotFound`, `NotConfigured`, `Unavailable`, `Forbidden`,
    /// `Other`, `Storage`.
    pub fn end_meeting(&self, id: &str) -> Result<(), Error> {
        let not_found = || Error::NotFound(format!("no meeting {id}"));
        let id = MeetingId::parse(id).map_err(|_| not_found())?;
        let store = MeetingStore::new(self.env.kv);
        let mut record = store.get(id)?.ok_or_else(not_found)?;
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
            Err(err) => return Err(err.into()),
        }

        record.meeting.ended_at = Some(self.env.clock.now_secs());
        store.put(id, &record)?;
        for key in MeetingStore::index_keys(&record.meeting)? {
            store.index_remove(&key, id)?;
        }
        Ok(())
    }

    /// WIT `join-url`.
    ///
    /// # Errors
    /// See the WIT doc: `NotFound`, `Invalid`, `NotConfigured`, and with an app token
    /// `Unavailable` and `Forbidden`.
    pub fn join_url(&self, meeting_id: &str, member: &MemberIdentity) -> Result<String, Error> {
        let not_found = || Error::NotFound(format!("no meeting {meeting_id}"));
        let id = MeetingId::parse(meeting_id).map_err(|_| not_found())?;
        let record = MeetingStore::new(self.env.kv)
            .get(id)?
            .ok_or_else(not_found)?;
        if record.meeting.ended_at.is_some() {
            return Err(Error::invalid(
                "meeting-id",
                format!("meeting {id} has ended"),
            ));
        }
        let user = KalturaUserId::new(member.kaltura_user_id.as_str())
            .map_err(invalid_field("member.kaltura-user-id"))?;
        let privileges = member_privileges(id.resource(), member)?;
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

/// The privileges of a member's launch KS.
fn member_privileges(room: ResourceId, member: &MemberIdentity) -> Result<Privileges, Error> {
    let name = DisplayName::sanitize(&member.display_name)
        .map_err(invalid_field("member.display-name"))?;
    let (first, last) = match name.as_str().split_once(' ') {
        Some((first, last)) => (
            DisplayName::sanitize(first).map_err(invalid_field("member.display-name"))?,
            DisplayName::sanitize(last).ok(),
        ),
        None => (name.clone(), None),
    };
    let (role, contextual) = match member.role {
        MemberRole::Host => (MeetingRole::Admin, ContextualRole::Host),
        MemberRole::Attendee => (MeetingRole::Viewer, ContextualRole::Attendee),
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
