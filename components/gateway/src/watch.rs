//! `/api/v1/watch/rooms/...`, `/api/v1/time` and `/api/v1/activity/config`: shared
//! watch rooms through the `watch` service, and what the Activity page needs to start.
//!
//! A room belongs to one server: every answer is checked against the credential's
//! server, and a room of another server answers 404 as if it did not exist (joining
//! one is refused with 403 by the service). Viewers are members (the routes' guard
//! refuses API keys), named as they signed in (the profile kept at sign-in).

use std::time::Duration;

use crate::auth::Caller;
use crate::backend::Backend;
use crate::reply::{Body, Outcome, Problem, Response};
use crate::signin;
use common::ApiError;
use contracts::watch::{ControlAction, RoomState, Viewer};
use contracts::Snowflake;
use serde_json::{json, Value};

/// The longest a long-poll waits.
pub const MAX_WAIT_MS: u64 = 25_000;

/// How often a long-poll looks at the room.
pub const POLL_EVERY: Duration = Duration::from_millis(100);

/// The room as the API shows it (schema `WatchRoom`): IDs as decimal text.
pub fn room_json(state: &RoomState) -> Value {
    let viewers: Vec<Value> = state
        .viewers
        .iter()
        .map(|v| {
            json!({
                "user_id": v.user_id.to_string(),
                "display_name": v.display_name,
                "joined_at_ms": v.joined_at_ms,
                "last_seen_ms": v.last_seen_ms,
            })
        })
        .collect();
    json!({
        "room": state.room,
        "guild_id": state.guild_id.to_string(),
        "entry_id": state.entry_id,
        "host_id": state.host_id.to_string(),
        "playback": {
            "playing": state.playback.playing,
            "position_ms": state.playback.position_ms,
            "at_ms": state.playback.at_ms,
        },
        "version": state.version,
        "viewers": viewers,
        "server_now_ms": state.server_now_ms,
    })
}

fn no_room(room: &str) -> Problem {
    Problem::from(ApiError::not_found(format!(
        "no watch room {room} on this server"
    )))
}

/// The member calling (the routes' guard admits members only).
fn member(caller: &Caller) -> Result<Snowflake, Problem> {
    caller
        .user_id()
        .ok_or_else(|| Problem::forbidden("this route is for signed-in members only, not API keys"))
}

/// `state` if it is a room of the caller's server; 404 otherwise.
fn own(caller: &Caller, room: &str, state: RoomState) -> Outcome {
    if state.guild_id != caller.guild_id {
        return Err(no_room(room));
    }
    Ok(Response::json(200, &room_json(&state)).with("cache-control", "no-store"))
}

/// A service refusal on a room: `not-found` and `forbidden` keep the service's words.
fn refused(err: contracts::Error) -> Problem {
    Problem::from(err)
}

/// `GET /api/v1/time`.
pub fn time<B: Backend>(backend: &B) -> Outcome {
    Ok(Response::json(200, &json!({ "now_ms": backend.now_ms() })).private())
}

/// `GET /api/v1/activity/config`.
///
/// # Errors
/// `503` naming `discord_application_id` when it is unset.
pub fn activity_config<B: Backend>(backend: &B) -> Outcome {
    let application_id = backend
        .setting("discord_application_id")
        .ok_or_else(|| ApiError::not_configured(&["discord_application_id".to_owned()]))?;
    let base = backend
        .setting("discord_base_url")
        .unwrap_or_else(|| "https://discord.com".to_owned());
    Ok(Response::json(
        200,
        &json!({
            "application_id": application_id.trim(),
            "oauth_authorize_url": format!("{}/oauth2/authorize", base.trim().trim_end_matches('/')),
        }),
    ))
}

/// `POST /api/v1/watch/rooms/{room}/join` with `{channel_id?, entry_id?}`.
///
/// # Errors
/// `400` for a malformed body, room or entry, or a new room without a video; `403`
/// for another server's room; `503` when the store fails.
pub fn join<B: Backend>(backend: &B, caller: &Caller, room: &str, body: &[u8]) -> Outcome {
    let user_id = member(caller)?;
    let body = Body::parse(body, true)?;
    let channel_id = match body.opt_str("channel_id")? {
        None => None,
        Some(raw) => Some(
            raw.parse::<discord_api::id::ChannelId>()
                .map_err(|_| {
                    Problem::invalid(
                        "`channel_id` must be a Discord ID (a non-zero decimal number)",
                    )
                })?
                .get(),
        ),
    };
    let entry_id = body.opt_str("entry_id")?;
    let display_name = signin::profile(backend, caller.guild_id, user_id)
        .map_or_else(|| format!("member {user_id}"), |(name, _)| name);
    let state = backend
        .watch()
        .join(
            room,
            caller.guild_id,
            channel_id,
            entry_id,
            &Viewer {
                user_id,
                display_name,
            },
        )
        .map_err(refused)?;
    own(caller, room, state)
}

/// The `after` and `wait_ms` of a long-poll.
fn poll_query(query: &str) -> Result<(Option<u64>, u64), Problem> {
    let mut after = None;
    let mut wait_ms = 0;
    for (name, value) in form_urlencoded::parse(query.as_bytes()) {
        let number = || {
            value
                .parse::<u64>()
                .map_err(|_| Problem::invalid(format!("`{name}` must be a non-negative integer")))
        };
        match name.as_ref() {
            "after" => after = Some(number()?),
            "wait_ms" => {
                wait_ms = number()?;
                if wait_ms > MAX_WAIT_MS {
                    return Err(Problem::invalid(format!(
                        "`wait_ms` must be at most {MAX_WAIT_MS}"
                    )));
                }
            }
            _ => {}
        }
    }
    Ok((after, wait_ms))
}

/// `GET /api/v1/watch/rooms/{room}[?after=&wait_ms=]`: the room at once when its
/// version is not `after`, else as soon as it changes, at the latest after `wait_ms`.
///
/// # Errors
/// `400` for a malformed query; `404` for an unknown room, another server's, or one the
/// caller is not in (join again); `503` when the store fails.
pub async fn state<B: Backend>(backend: &B, caller: &Caller, room: &str, query: &str) -> Outcome {
    let user_id = member(caller)?;
    let (after, wait_ms) = poll_query(query)?;
    let deadline = backend.now_ms().saturating_add(wait_ms);
    let mut first = true;
    loop {
        // The first look is the viewer's heartbeat; the later ones only look, so that a
        // request still waiting after its client went away does not keep it present.
        let state = if first {
            backend.watch().state(room, user_id)
        } else {
            backend.watch().observe(room, user_id)
        }
        .map_err(refused)?;
        first = false;
        if state.guild_id != caller.guild_id {
            return Err(no_room(room));
        }
        if after != Some(state.version) || backend.now_ms() >= deadline {
            return own(caller, room, state);
        }
        let left = Duration::from_millis(deadline.saturating_sub(backend.now_ms()));
        backend.wait(POLL_EVERY.min(left)).await;
    }
}

/// `POST /api/v1/watch/rooms/{room}/control` with `{action, position_ms,
/// expected_version}`.
///
/// # Errors
/// `400` for a malformed body; `403` for anyone but the host; `409` for a stale
/// version; `404` as for [`state`].
pub fn control<B: Backend>(backend: &B, caller: &Caller, room: &str, body: &[u8]) -> Outcome {
    let user_id = member(caller)?;
    let body = Body::parse(body, false)?;
    let position = body
        .opt_u64("position_ms")?
        .ok_or_else(|| Problem::invalid("`position_ms` is required"))?;
    let action = match body.str("action")? {
        "play" => ControlAction::Play(position),
        "pause" => ControlAction::Pause(position),
        "seek" => ControlAction::Seek(position),
        _ => {
            return Err(Problem::invalid(
                "`action` must be one of play, pause, seek",
            ))
        }
    };
    let expected = body
        .opt_u64("expected_version")?
        .ok_or_else(|| Problem::invalid("`expected_version` is required"))?;
    let state = backend
        .watch()
        .control(room, user_id, action, expected)
        .map_err(refused)?;
    own(caller, room, state)
}

/// `POST /api/v1/watch/rooms/{room}/host` with `{user_id}`.
///
/// # Errors
/// `400` for a malformed body or a user who is not in the room; `403` for anyone but
/// the host; `404` as for [`state`].
pub fn hand_over<B: Backend>(backend: &B, caller: &Caller, room: &str, body: &[u8]) -> Outcome {
    let user_id = member(caller)?;
    let body = Body::parse(body, false)?;
    let to = crate::reply::id_field::<discord_api::id::UserMarker>(&body, "user_id")?;
    let state = backend
        .watch()
        .hand_over(room, user_id, to.get())
        .map_err(refused)?;
    own(caller, room, state)
}

/// `POST /api/v1/watch/rooms/{room}/leave`.
///
/// # Errors
/// `404` for an unknown room or another server's; `503` when the store fails.
pub fn leave<B: Backend>(backend: &B, caller: &Caller, room: &str) -> Outcome {
    let user_id = member(caller)?;
    let state = backend.watch().leave(room, user_id).map_err(refused)?;
    own(caller, room, state)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::*;
    use contracts::identity::Scope;
    use contracts::{Actor, KalturaRole};
    use serde_json::Value;

    fn body(response: &Response) -> Value {
        serde_json::from_slice(&response.body).unwrap()
    }

    fn member(fake: &Fake, guild: &str, user: &str) -> String {
        fake.identity
            .mint(guild, user, KalturaRole::Viewer, &[Scope::MediaRead])
    }

    fn join(fake: &Fake, token: &str, room: &str, body: &str) -> Response {
        fake.call(
            "POST",
            &format!("/api/v1/watch/rooms/{room}/join"),
            Some(token),
            body,
        )
    }

    #[test]
    fn the_clock_and_the_activity_config_are_public_and_never_cached() {
        let fake = Fake::default();
        let time = fake.get("/api/v1/time", None);
        assert_eq!(time.status, 200);
        assert_eq!(body(&time)["now_ms"], NOW * 1000);
        assert_eq!(time.header("cache-control"), Some("no-store"));
        let config = fake.get("/api/v1/activity/config", None);
        assert_eq!(body(&config)["application_id"], "1100000000000000001");
        assert_eq!(
            body(&config)["oauth_authorize_url"],
            "https://discord.test/oauth2/authorize"
        );
    }

    #[test]
    fn members_join_and_only_the_host_controls() {
        let fake = Fake::default();
        let ann = member(&fake, GUILD, USER);
        let bob = member(&fake, GUILD, OTHER_USER);
        let created = join(&fake, &ann, "c-1", r#"{"entry_id":"0_abc"}"#);
        assert_eq!(created.status, 200, "{}", body(&created));
        assert_eq!(body(&created)["host_id"], USER);
        let joined = body(&join(&fake, &bob, "c-1", ""));
        assert_eq!(joined["viewers"].as_array().unwrap().len(), 2);
        let version = joined["version"].as_u64().unwrap();
        let control = |token: &str, expected: u64| {
            fake.call(
                "POST",
                "/api/v1/watch/rooms/c-1/control",
                Some(token),
                &format!(r#"{{"action":"play","position_ms":1000,"expected_version":{expected}}}"#),
            )
        };
        assert_eq!(control(&bob, version).status, 403);
        assert_eq!(control(&ann, version - 1).status, 409);
        let played = control(&ann, version);
        assert_eq!(played.status, 200);
        assert_eq!(body(&played)["playback"]["playing"], true);
        let bad = fake.call(
            "POST",
            "/api/v1/watch/rooms/c-1/control",
            Some(&ann),
            r#"{"action":"rewind","position_ms":1,"expected_version":1}"#,
        );
        assert_eq!(bad.status, 400);
    }

    #[test]
    fn another_servers_member_and_api_keys_cannot_watch() {
        let fake = Fake::default();
        let ann = member(&fake, GUILD, USER);
        assert_eq!(
            join(&fake, &ann, "c-1", r#"{"entry_id":"0_abc"}"#).status,
            200
        );
        let stranger = member(&fake, OTHER_GUILD, OTHER_USER);
        assert_eq!(join(&fake, &stranger, "c-1", "").status, 403);
        assert_eq!(
            fake.get("/api/v1/watch/rooms/c-1", Some(&stranger)).status,
            404
        );
        let key = fake.identity.mint_key(
            GUILD,
            &[Scope::MediaRead],
            Actor::DiscordUser(snowflake(USER)),
        );
        assert_eq!(join(&fake, &key, "c-1", "").status, 403);
    }

    #[test]
    fn a_long_poll_waits_for_a_change_until_wait_ms() {
        let fake = Fake::default();
        let ann = member(&fake, GUILD, USER);
        let version = body(&join(&fake, &ann, "c-1", r#"{"entry_id":"0_abc"}"#))["version"]
            .as_u64()
            .unwrap();
        let started = fake.now_ms();
        let same = fake.get(
            &format!("/api/v1/watch/rooms/c-1?after={version}&wait_ms=2000"),
            Some(&ann),
        );
        assert_eq!(body(&same)["version"], version);
        assert_eq!(fake.now_ms() - started, 2000, "waited the whole wait_ms");
        let older = fake.get(
            &format!("/api/v1/watch/rooms/c-1?after={}&wait_ms=2000", version - 1),
            Some(&ann),
        );
        assert_eq!(older.status, 200);
        assert_eq!(fake.now_ms() - started, 2000, "answered at once");
        assert_eq!(
            fake.get("/api/v1/watch/rooms/c-1?wait_ms=25001", Some(&ann))
                .status,
            400
        );
    }

    #[test]
    fn a_long_poll_query_is_read_and_capped() {
        assert_eq!(poll_query("").unwrap(), (None, 0));
        assert_eq!(
            poll_query("after=7&wait_ms=25000").unwrap(),
            (Some(7), 25_000)
        );
        assert!(poll_query("wait_ms=25001").is_err());
        assert!(poll_query("after=-1").is_err());
    }
}
