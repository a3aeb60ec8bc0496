//! `/api/v1/meetings`: the caller's server's meetings. The server is always the
//! credential's own; a meeting of another server answers 404 as if it did not exist.

use crate::api::Backend;
use crate::auth::{Caller, Principal};
use crate::discord;
use crate::reply::{snowflake_field, Body, Outcome, Problem, Response};
use crate::services::{
    Actor, JoinMember, Meeting, MeetingKind, MeetingRole, NewMeeting, Role, Scope,
};
use crate::signin;
use common::ApiError;
use discord_api::rest;
use serde::Deserialize;
use serde_json::json;

/// The meeting `id` if it belongs to the caller's server; 404 otherwise.
fn own_meeting<B: Backend>(backend: &B, caller: &Caller, id: &str) -> Result<Meeting, Problem> {
    let not_found = || {
        Problem::from(ApiError::not_found(format!(
            "no meeting {id} on this server"
        )))
    };
    let valid = !id.is_empty() && id.len() <= 20 && id.bytes().all(|b| b.is_ascii_digit());
    if !valid {
        return Err(not_found());
    }
    match backend.kaltura().get_meeting(id).map_err(Problem::from)? {
        Some(meeting) if meeting.guild_id == caller.guild_id => Ok(meeting),
        _ => Err(not_found()),
    }
}

/// `GET /api/v1/meetings`: the server's open meetings, newest first.
///
/// # Errors
/// `503` when the store fails.
pub fn list<B: Backend>(backend: &B, caller: &Caller) -> Outcome {
    let meetings = backend
        .kaltura()
        .list_meetings(&caller.guild_id)
        .map_err(Problem::from)?;
    let items: Vec<_> = meetings.iter().map(Meeting::to_json).collect();
    Ok(Response::json(200, &json!({ "meetings": items })))
}

/// `GET /api/v1/meetings/{meeting_id}`.
///
/// # Errors
/// `404` for an unknown meeting or another server's.
pub fn get<B: Backend>(backend: &B, caller: &Caller, id: &str) -> Outcome {
    let meeting = own_meeting(backend, caller, id)?;
    Ok(Response::json(200, &meeting.to_json()))
}

#[derive(Deserialize)]
struct Channel {
    #[serde(default)]
    guild_id: Option<String>,
}

/// Who owns a meeting the caller creates: the member, or for an API key the member
/// who created the key.
fn owner_of<B: Backend>(backend: &B, caller: &Caller) -> Result<String, Problem> {
    match &caller.principal {
        Principal::Member { user_id, .. } => Ok(user_id.clone()),
        Principal::Key { id, .. } => {
            let keys = backend
                .identity()
                .list_api_keys(&caller.guild_id)
                .map_err(Problem::from)?;
            match keys.into_iter().find(|k| k.id == *id).map(|k| k.created_by) {
                Some(Actor::DiscordUser(user)) => Ok(user),
                _ => Err(Problem::forbidden(
                    "only API keys created by a member can create meetings (the member owns them)",
                )),
            }
        }
    }
}

/// `POST /api/v1/meetings`: creates a meeting on the caller's server, announced in
/// `channel_id`, which Discord must confirm is a channel of that server.
///
/// # Errors
/// `400` for a bad field; `403` for a channel of another server; `503`/`502` when
/// Kaltura or Discord fail.
pub async fn create<B: Backend>(backend: &B, caller: &Caller, body: &[u8]) -> Outcome {
    let body = Body::parse(body, false)?;
    let kind = body.str("kind")?;
    let kind = MeetingKind::parse(kind).ok_or_else(|| {
        Problem::invalid(format!(
            "`kind` must be one of {}",
            MeetingKind::NAMES.join(", ")
        ))
    })?;
    let title = body.str("title")?.to_owned();
    let description = body.opt_str("description")?.map(str::to_owned);
    let channel_id = snowflake_field(&body, "channel_id")?.to_owned();
    let start_time = body.opt_u64("start_time")?;
    let duration_minutes = match body.opt_u64("duration_minutes")? {
        None => None,
        Some(minutes) => Some(
            u32::try_from(minutes)
                .ok()
                .filter(|m| (1..=1440).contains(m))
                .ok_or_else(|| Problem::invalid("`duration_minutes` must be 1 to 1440"))?,
        ),
    };
    let owner_id = owner_of(backend, caller)?;

    // The channel must be one of the caller's server: events are posted there.
    let (bot, _) = discord::settings(|name| backend.setting(name), false)?;
    let channel = channel_id
        .parse()
        .map_err(|_| Problem::invalid("`channel_id` must be a Discord ID (17 to 20 digits)"))?;
    let response = discord::send(backend, bot.get_channel(channel)).await?;
    let channel: Channel = rest::decode(response).map_err(|err| match err {
        rest::ApiError::NotFound | rest::ApiError::Forbidden => {
            Problem::invalid("`channel_id` is not a channel the bot can see on this server")
        }
        other => discord::upstream("the channel lookup", &other),
    })?;
    if channel.guild_id.as_deref() != Some(caller.guild_id.as_str()) {
        return Err(Problem::forbidden(
            "`channel_id` is a channel of another server",
        ));
    }

    let meeting = backend
        .kaltura()
        .create_meeting(&NewMeeting {
            kind,
            title,
            description,
            guild_id: caller.guild_id.clone(),
            channel_id,
            owner_id,
            start_time,
            duration_minutes,
        })
        .map_err(Problem::from)?;
    Ok(Response::json(201, &meeting.to_json())
        .with("location", format!("/api/v1/meetings/{}", meeting.id)))
}

/// `POST /api/v1/meetings/{meeting_id}/join`: the caller's own join link, with a
/// Kaltura session for them alone (host for the owner, moderators and admins).
///
/// # Errors
/// `404` for an unknown meeting or another server's; `409` for an ended one.
pub fn join<B: Backend>(backend: &B, caller: &Caller, id: &str) -> Outcome {
    let Principal::Member { user_id, role, .. } = &caller.principal else {
        return Err(Problem::forbidden("join links are for members only"));
    };
    let meeting = own_meeting(backend, caller, id)?;
    if meeting.ended_at.is_some() {
        return Err(ApiError::new(409, "meeting_ended", format!("meeting {id} has ended")).into());
    }
    let part = if meeting.owner_id == *user_id || *role >= Role::Moderator {
        MeetingRole::Host
    } else {
        MeetingRole::Attendee
    };
    let (display_name, kaltura_user_id) = match signin::profile(backend, &caller.guild_id, user_id)
    {
        Some(profile) => profile,
        None => {
            let kaltura_user_id = backend
                .identity()
                .kaltura_user_id(user_id)
                .map_err(Problem::from)?
                .ok_or_else(|| Problem::invalid_token("sign in again: this member is not known"))?;
            (kaltura_user_id.clone(), kaltura_user_id)
        }
    };
    let url = backend
        .kaltura()
        .join_url(
            &meeting.id,
            &JoinMember {
                kaltura_user_id,
                display_name,
                role: part,
            },
        )
        .map_err(Problem::from)?;
    Ok(Response::json(
        200,
        &json!({ "meeting_id": meeting.id, "role": part.name(), "url": url }),
    )
    .private())
}

/// `POST /api/v1/meetings/{meeting_id}/end`: for the meeting's owner, and for
/// credentials with `meetings:write` (moderators, admins, API keys given it).
///
/// # Errors
/// `404` for an unknown meeting or another server's; `403` for anyone else.
pub fn end<B: Backend>(backend: &B, caller: &Caller, id: &str) -> Outcome {
    let meeting = own_meeting(backend, caller, id)?;
    let owner = caller.user_id() == Some(meeting.owner_id.as_str());
    if !owner && !caller.has(Scope::MeetingsWrite) {
        return Err(Problem::forbidden(
            "only the meeting's owner, a moderator or an admin may end it (meetings:write)",
        ));
    }
    backend
        .kaltura()
        .end_meeting(&meeting.id)
        .map_err(Problem::from)?;
    let ended = backend
        .kaltura()
        .get_meeting(&meeting.id)
        .map_err(Problem::from)?
        .unwrap_or(meeting);
    Ok(Response::json(200, &ended.to_json()))
}
