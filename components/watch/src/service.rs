//! [`Service`]: the WIT functions over the ports, and the contract's port
//! ([`contracts::Watch`]). Every change is one `common::cas::update` of the room's
//! document, so concurrent calls on any replica lose nothing; reads that change
//! nothing (a heartbeat that is still fresh) write nothing.

use common::cas::{self, Change, DynCasStore, UpdateError};
use common::{Clock, StoreError, Variables};
use contracts::watch::{ControlAction, RoomState, Viewer};
use contracts::{Error, ServiceStatus, Snowflake};
use kaltura_api::types::EntryId;
use serde::{Deserialize, Serialize};

use crate::room::{self, Present, Room};
use crate::settings::Settings;

/// How long a channel's requested video is kept: 15 minutes.
pub const REQUEST_TTL_MS: u64 = 15 * 60 * 1000;

/// The key the readiness probe writes.
pub const READY_PROBE: &str = "watch/v1/ready-probe";

/// Everything this service runs against; the adapter fills it from Spin.
#[derive(Clone, Copy)]
pub struct Env<'a> {
    /// Deployment settings.
    pub vars: &'a dyn Variables,
    /// The key-value store (`watch/v1/…`), with compare-and-swap.
    pub kv: &'a dyn DynCasStore,
    /// Time.
    pub clock: &'a dyn Clock,
    /// Where problems with settings are reported (the component's stderr).
    pub log: &'a dyn Fn(&str),
}

/// The Watch Service.
#[derive(Clone, Copy)]
pub struct Service<'a> {
    /// Its ports.
    pub env: Env<'a>,
}

/// What a voice channel asked to watch (`watch/v1/request/<guild>/<channel>`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Request {
    entry_id: String,
    requested_by: u64,
    at_ms: u64,
}

fn room_key(room: &str) -> String {
    format!("watch/v1/room/{room}")
}

fn request_key(guild_id: Snowflake, channel_id: Snowflake) -> String {
    format!("watch/v1/request/{guild_id}/{channel_id}")
}

fn storage(err: StoreError) -> Error {
    Error::Storage(err.to_string())
}

fn damaged(what: &str) -> Error {
    Error::Storage(format!("the stored {what} is damaged"))
}

fn no_room(room: &str) -> Error {
    Error::NotFound(format!("no watch room {room}"))
}

fn check_id(name: &str, id: Snowflake) -> Result<(), Error> {
    if id == 0 {
        Err(Error::Invalid(format!("{name}: must be a Discord ID")))
    } else {
        Ok(())
    }
}

fn check_entry(entry_id: &str) -> Result<String, Error> {
    EntryId::new(entry_id)
        .map(String::from)
        .map_err(|err| Error::Invalid(format!("entry-id: {err}")))
}

fn decode_room(bytes: &[u8]) -> Result<Room, Error> {
    serde_json::from_slice(bytes).map_err(|_| damaged("room"))
}

fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, Error> {
    serde_json::to_vec(value).map_err(|err| Error::Other(err.to_string()))
}

impl<'a> Service<'a> {
    /// A service over `env`.
    pub fn new(env: Env<'a>) -> Self {
        Self { env }
    }

    fn settings(&self) -> Settings {
        let (settings, problem) = Settings::read(self.env.vars);
        if let Some(problem) = problem {
            (self.env.log)(&problem);
        }
        settings
    }

    /// WIT `status`.
    pub fn status(&self) -> ServiceStatus {
        ServiceStatus {
            name: "watch".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            missing_settings: Vec::new(),
            key_value_ok: common::status::key_value_round_trip(self.env.kv, READY_PROBE),
        }
    }

    /// WIT `request-video`.
    ///
    /// # Errors
    /// See the WIT doc.
    pub fn request_video(
        &self,
        guild_id: Snowflake,
        channel_id: Snowflake,
        entry_id: &str,
        requested_by: Snowflake,
    ) -> Result<(), Error> {
        check_id("guild-id", guild_id)?;
        check_id("channel-id", channel_id)?;
        check_id("requested-by", requested_by)?;
        let request = Request {
            entry_id: check_entry(entry_id)?,
            requested_by,
            at_ms: self.env.clock.now_millis(),
        };
        cas::write(
            self.env.kv,
            &request_key(guild_id, channel_id),
            &encode(&request)?,
        )
        .map_err(storage)
    }

    /// The entry `channel_id` asked for in the last 15 minutes.
    fn requested(
        &self,
        guild_id: Snowflake,
        channel_id: Snowflake,
    ) -> Result<Option<String>, Error> {
        let Some(bytes) =
            cas::read(self.env.kv, &request_key(guild_id, channel_id)).map_err(storage)?
        else {
            return Ok(None);
        };
        let request: Request = serde_json::from_slice(&bytes).map_err(|_| damaged("request"))?;
        let fresh = self.env.clock.now_millis().saturating_sub(request.at_ms) <= REQUEST_TTL_MS;
        Ok(fresh.then_some(request.entry_id))
    }

    /// Runs `change` on the room in one compare-and-swap update and returns its view.
    /// `change` gets the stored room (`None` when absent or expired) and returns the
    /// room to write, or `None` to keep the stored one as it is.
    fn change(
        &self,
        room: &str,
        settings: Settings,
        mut change: impl FnMut(Option<Room>, u64) -> Result<Option<Room>, Error>,
    ) -> Result<RoomState, Error> {
        let timeout = settings.presence_timeout_ms;
        let clock = self.env.clock;
        cas::update(self.env.kv, &room_key(room), |current| {
            let now = clock.now_millis();
            let stored = current
                .map(decode_room)
                .transpose()?
                .filter(|r| !r.expired(now, timeout));
            let before = stored.clone();
            match change(stored, now)? {
                Some(next) if Some(&next) != before.as_ref() => {
                    let view = next.view(room, now, timeout);
                    Ok((Change::Write(encode(&next)?), view))
                }
                Some(same) => Ok((Change::Keep, same.view(room, now, timeout))),
                None => match before {
                    Some(same) => Ok((Change::Keep, same.view(room, now, timeout))),
                    None => Err(no_room(room)),
                },
            }
        })
        .map_err(|err| match err {
            UpdateError::Refused(err) => err,
            UpdateError::Store(err) => storage(err),
        })
    }

    /// WIT `join`.
    ///
    /// # Errors
    /// See the WIT doc.
    pub fn join(
        &self,
        room: &str,
        guild_id: Snowflake,
        channel_id: Option<Snowflake>,
        entry_id: Option<&str>,
        viewer: &Viewer,
    ) -> Result<RoomState, Error> {
        room::check_room(room)?;
        check_id("guild-id", guild_id)?;
        check_id("user-id", viewer.user_id)?;
        if let Some(channel_id) = channel_id {
            check_id("channel-id", channel_id)?;
        }
        let name = room::clean_name(&viewer.display_name)?;
        let given = entry_id.map(check_entry).transpose()?;
        let settings = self.settings();
        let timeout = settings.presence_timeout_ms;
        // The channel's request is read once, outside the update (it is its own
        // document); it only matters when the room is new.
        let mut requested: Option<Option<String>> = None;
        self.change(room, settings, |stored, now| match stored {
            Some(mut existing) => {
                if existing.guild_id != guild_id {
                    return Err(Error::Forbidden(
                        "this room belongs to another server".into(),
                    ));
                }
                existing.join(viewer.user_id, name.clone(), now, timeout);
                Ok(Some(existing))
            }
            None => {
                let entry = match (&given, channel_id) {
                    (Some(entry), _) => entry.clone(),
                    (None, Some(channel)) => {
                        if requested.is_none() {
                            requested = Some(self.requested(guild_id, channel)?);
                        }
                        requested.clone().flatten().ok_or_else(|| {
                            Error::Invalid(
                                "entry-id: no video given, and none asked for in this channel in the last 15 minutes"
                                    .into(),
                            )
                        })?
                    }
                    (None, None) => {
                        return Err(Error::Invalid(
                            "entry-id: a new room needs a video".into(),
                        ))
                    }
                };
                let first = Present {
                    user_id: viewer.user_id,
                    name: name.clone(),
                    joined_at_ms: now,
                    last_seen_ms: now,
                };
                Ok(Some(Room::new(guild_id, entry, first, now)))
            }
        })
    }

    /// WIT `state`: a plain read when nothing needs writing (the viewer's heartbeat is
    /// fresh and nobody timed out), else one update.
    ///
    /// # Errors
    /// See the WIT doc.
    pub fn state(&self, room: &str, user_id: Snowflake) -> Result<RoomState, Error> {
        self.look(room, user_id, true)
    }

    /// WIT `observe`: [`Service::state`] without the heartbeat.
    ///
    /// # Errors
    /// See the WIT doc.
    pub fn observe(&self, room: &str, user_id: Snowflake) -> Result<RoomState, Error> {
        self.look(room, user_id, false)
    }

    fn look(&self, room: &str, user_id: Snowflake, heartbeat: bool) -> Result<RoomState, Error> {
        room::check_room(room)?;
        check_id("user-id", user_id)?;
        let settings = self.settings();
        let timeout = settings.presence_timeout_ms;
        let now = self.env.clock.now_millis();
        let stored = cas::read(self.env.kv, &room_key(room))
            .map_err(storage)?
            .map(|bytes| decode_room(&bytes))
            .transpose()?
            .filter(|r| !r.expired(now, timeout))
            .ok_or_else(|| no_room(room))?;
        let mut settled = stored.clone();
        let changed = settled.settle(now, timeout);
        let fresh = !heartbeat
            || settled
                .present(user_id, now, timeout)
                .ok_or_else(not_in_room)?
                .last_seen_ms
                .saturating_add(settings.heartbeat_ms())
                > now;
        if settled.present(user_id, now, timeout).is_none() {
            return Err(not_in_room());
        }
        if !changed && fresh {
            return Ok(stored.view(room, now, timeout));
        }
        self.change(room, settings, |stored, now| {
            let mut room = stored.ok_or_else(|| no_room(room))?;
            let present = if heartbeat {
                room.heartbeat(user_id, now, timeout)
            } else {
                room.present(user_id, now, timeout).is_some()
            };
            if !present {
                return Err(not_in_room());
            }
            room.settle(now, timeout);
            Ok(Some(room))
        })
    }

    /// WIT `control`.
    ///
    /// # Errors
    /// See the WIT doc.
    pub fn control(
        &self,
        room: &str,
        user_id: Snowflake,
        action: ControlAction,
        expected_version: u64,
    ) -> Result<RoomState, Error> {
        room::check_room(room)?;
        check_id("user-id", user_id)?;
        let settings = self.settings();
        let timeout = settings.presence_timeout_ms;
        self.change(room, settings, |stored, now| {
            let mut room = stored.ok_or_else(|| no_room(room))?;
            room.control(user_id, action, expected_version, now, timeout)?;
            Ok(Some(room))
        })
    }

    /// WIT `hand-over`.
    ///
    /// # Errors
    /// See the WIT doc.
    pub fn hand_over(
        &self,
        room: &str,
        from_user: Snowflake,
        to_user: Snowflake,
    ) -> Result<RoomState, Error> {
        room::check_room(room)?;
        check_id("from-user", from_user)?;
        check_id("to-user", to_user)?;
        let settings = self.settings();
        let timeout = settings.presence_timeout_ms;
        self.change(room, settings, |stored, now| {
            let mut room = stored.ok_or_else(|| no_room(room))?;
            room.hand_over(from_user, to_user, now, timeout)?;
            Ok(Some(room))
        })
    }

    /// WIT `leave`.
    ///
    /// # Errors
    /// See the WIT doc.
    pub fn leave(&self, room: &str, user_id: Snowflake) -> Result<RoomState, Error> {
        room::check_room(room)?;
        check_id("user-id", user_id)?;
        let settings = self.settings();
        let timeout = settings.presence_timeout_ms;
        self.change(room, settings, |stored, now| {
            let mut room = stored.ok_or_else(|| no_room(room))?;
            room.leave(user_id, now, timeout);
            Ok(Some(room))
        })
    }
}

fn not_in_room() -> Error {
    Error::NotFound("you are not in this room (left or timed out): join it again".into())
}

impl contracts::Watch for Service<'_> {
    fn status(&self) -> ServiceStatus {
        Service::status(self)
    }
    fn request_video(
        &self,
        guild_id: Snowflake,
        channel_id: Snowflake,
        entry_id: &str,
        requested_by: Snowflake,
    ) -> Result<(), Error> {
        Service::request_video(self, guild_id, channel_id, entry_id, requested_by)
    }
    fn join(
        &self,
        room: &str,
        guild_id: Snowflake,
        channel_id: Option<Snowflake>,
        entry_id: Option<&str>,
        viewer: &Viewer,
    ) -> Result<RoomState, Error> {
        Service::join(self, room, guild_id, channel_id, entry_id, viewer)
    }
    fn state(&self, room: &str, user_id: Snowflake) -> Result<RoomState, Error> {
        Service::state(self, room, user_id)
    }
    fn observe(&self, room: &str, user_id: Snowflake) -> Result<RoomState, Error> {
        Service::observe(self, room, user_id)
    }
    fn control(
        &self,
        room: &str,
        user_id: Snowflake,
        action: ControlAction,
        expected_version: u64,
    ) -> Result<RoomState, Error> {
        Service::control(self, room, user_id, action, expected_version)
    }
    fn hand_over(
        &self,
        room: &str,
        from_user: Snowflake,
        to_user: Snowflake,
    ) -> Result<RoomState, Error> {
        Service::hand_over(self, room, from_user, to_user)
    }
    fn leave(&self, room: &str, user_id: Snowflake) -> Result<RoomState, Error> {
        Service::leave(self, room, user_id)
    }
}
