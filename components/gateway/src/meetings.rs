//! `/api/v1/meetings`: the caller's server's meetings, through the `kaltura` service.
//! The server is always the credential's own; a meeting of another server answers 404
//! as if it did not exist. Who may end a meeting and who hosts it when joining is the
//! service's one rule (the owner, or at least a `moderator`), asked with the caller as
//! a `requester`.

use crate::auth::{Caller, Principal};
use crate::backend::Backend;
use crate::discord;
use crate::reply::{id_field, Body, Outcome, Problem, Response};
use crate::signin;
use common::ApiError;
use contracts::events::EventType;
use contracts::identity::Scope;
use contracts::kaltura::{
    Meeting, MeetingFilter, MeetingKind, MeetingRequest, Participant, Requester,
};
use contracts::{Actor, KalturaRole, Snowflake};
use discord_api::id::{ChannelMarker, GuildId};
use discord_api::rest;
use serde::Deserialize;
use serde_json::{json, Value};

/// The meeting as the API shows it (schema `Meeting`): IDs as decimal text.
pub fn meeting_json(meeting: &Meeting) -> Value {
    json!({
        "id": meeting.id.to_string(),
        "kind": meeting.kind.as_str(),
        "title": meeting.title,
        "guild_id": meeting.guild_id.to_string(),
        "channel_id": meeting.channel_id.to_string(),
        "owner_id": meeting.owner_id.to_string(),
        "created_at": meeting.created_at,
        "start_time": meeting.start_time,
        "end_time": meeting.end_time,
        "ended_at": meeting.ended_at,
        "active": meeting.ended_at.is_none(),
    })
}

/// The meeting `id` if it belongs to the caller's server; 404 otherwise.
fn own_meeting<B: Backend>(backend: &B, caller: &Caller, id: &str) -> Result<Meeting, Problem> {
    let not_found = || {
        Problem::from(ApiError::not_found(format!(
            "no meeting {id} on this server"
        )))
    };
    let id = contracts::meeting::parse_id(id).ok_or_else(not_found)?;
    match backend.kaltura().get_meeting(id).map_err(Problem::from)? {
        Some(meeting) if meeting.guild_id == caller.guild_id => Ok(meeting),
        _ => Err(not_found()),
    }
}

/// Who the caller is to a meeting: a member with their user and role; an API key has
/// no user and acts as a `moderator` if it holds `meetings:write`, else as a `viewer`.
fn requester<B: Backend>(backend: &B, caller: &Caller) -> Result<Requester, Problem> {
    Ok(match &caller.principal {
        Principal::Member { user_id, role, .. } => Requester {
            user_id: Some(*user_id),
            role: *role,
        },
        Principal::Key { .. } => Requester {
            user_id: None,
            role: if caller.holds(backend.tokens(), Scope::MeetingsWrite)? {
                KalturaRole::Moderator
            } else {
                KalturaRole::Viewer
            },
        },
    })
}

/// `GET /api/v1/meetings`: the server's open meetings, newest first.
///
/// # Errors
/// `503` when the store fails.
pub fn list<B: Backend>(backend: &B, caller: &Caller) -> Outcome {
    let meetings = backend
        .kaltura()
        .list_meetings(MeetingFilter::Guild(caller.guild_id))
        .map_err(Problem::from)?;
    let items: Vec<Value> = meetings.iter().map(meeting_json).collect();
    Ok(Response::json(200, &json!({ "meetings": items })))
}

/// `GET /api/v1/meetings/{meeting_id}`.
///
/// # Errors
/// `404` for an unknown meeting or another server's.
pub fn get<B: Backend>(backend: &B, caller: &Caller, id: &str) -> Outcome {
    let meeting = own_meeting(backend, caller, id)?;
    Ok(Response::json(200, &meeting_json(&meeting)))
}

/// What the gateway reads of a Discord channel.
#[derive(Deserialize)]
struct Channel {
    #[serde(default)]
    guild_id: Option<GuildId>,
}

/// Who owns a meeting the caller creates: the member, or for an API key the member
/// who created the key.
fn owner_of<B: Backend>(backend: &B, caller: &Caller) -> Result<Snowflake, Problem> {
    match &caller.principal {
        Principal::Member { user_id, .. } => Ok(*user_id),
        Principal::Key { id, .. } => {
            let keys = backend
                .api_keys()
                .list(caller.guild_id)
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
/// `channel_id`, which Discord must confirm is a channel of that server. The title and
/// the rest are checked by the `kaltura` service (400 naming the field).
///
/// # Errors
/// `400` for a bad field; `403` for a channel of another server; `503`/`502` when
/// Kaltura or Discord fail.
pub async fn create<B: Backend>(backend: &B, caller: &Caller, body: &[u8]) -> Outcome {
    let body = Body::parse(body, false)?;
    let kind = MeetingKind::parse(body.str("kind")?).ok_or_else(|| {
        let names: Vec<&str> = MeetingKind::ALL.iter().map(|k| k.as_str()).collect();
        Problem::invalid(format!("`kind` must be one of {}", names.join(", ")))
    })?;
    let title = body.str("title")?.to_owned();
    let description = body.opt_str("description")?.map(str::to_owned);
    let channel = id_field::<ChannelMarker>(&body, "channel_id")?;
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
    let response = discord::send(backend, bot.get_channel(channel)).await?;
    let found: Channel = rest::decode(response).map_err(|err| match err {
        rest::ApiError::NotFound | rest::ApiError::Forbidden => {
            Problem::invalid("`channel_id` is not a channel the bot can see on this server")
        }
        other => discord::upstream("the channel lookup", &other),
    })?;
    if found.guild_id.map(GuildId::get) != Some(caller.guild_id) {
        return Err(Problem::forbidden(
            "`channel_id` is a channel of another server",
        ));
    }

    let meeting = backend
        .kaltura()
        .create_meeting(&MeetingRequest {
            kind,
            title,
            description,
            guild_id: caller.guild_id,
            channel_id: channel.get(),
            owner_id,
            start_time,
            duration_minutes,
        })
        .map_err(Problem::from)?;
    let data = json!({
        "guild_id": caller.guild_id.to_string(),
        "meeting_id": meeting.id.to_string(),
        "kind": meeting.kind.as_str(),
        "title": meeting.title,
        "owner_user_id": meeting.owner_id.to_string(),
        "channel_id": meeting.channel_id.to_string(),
        "source": "api",
    });
    crate::subscriptions::publish(backend, caller.guild_id, EventType::MeetingCreated, data);
    Ok(Response::json(201, &meeting_json(&meeting))
        .with("location", format!("/api/v1/meetings/{}", meeting.id)))
}

/// `POST /api/v1/meetings/{meeting_id}/join`: the caller's own join link, with a
/// Kaltura session for them alone. The service decides their part (host for those who
/// may manage the meeting, `may-manage`; attendee otherwise).
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
    let (display_name, kaltura_user_id) = match signin::profile(backend, caller.guild_id, *user_id)
    {
        Some(profile) => profile,
        None => {
            let kaltura_user_id = backend
                .members()
                .get_user(*user_id)
                .map_err(Problem::from)?
                .map(|record| record.kaltura_user_id)
                .ok_or_else(|| Problem::invalid_token("sign in again: this member is not known"))?;
            (kaltura_user_id.clone(), kaltura_user_id)
        }
    };
    let hosts = backend
        .kaltura()
        .may_manage(meeting.id, requester(backend, caller)?)
        .map_err(Problem::from)?;
    let url = backend
        .kaltura()
        .join_url(
            meeting.id,
            &Participant {
                user_id: *user_id,
                kaltura_user_id,
                display_name,
                role: *role,
            },
        )
        .map_err(Problem::from)?;
    let part = if hosts { "host" } else { "attendee" };
    crate::subscriptions::publish(
        backend,
        caller.guild_id,
        EventType::MeetingJoined,
        json!({
            "guild_id": caller.guild_id.to_string(),
            "meeting_id": meeting.id.to_string(),
            "user_id": user_id.to_string(),
            "source": "api",
        }),
    );
    Ok(Response::json(
        200,
        &json!({ "meeting_id": meeting.id.to_string(), "role": part, "url": url }),
    )
    .private())
}

/// `POST /api/v1/meetings/{meeting_id}/end`: the `kaltura` service ends it if the caller
/// may manage it (its owner; moderators and admins; API keys with `meetings:write`).
///
/// # Errors
/// `404` for an unknown meeting or another server's; `403` for anyone else.
pub fn end<B: Backend>(backend: &B, caller: &Caller, id: &str) -> Outcome {
    let meeting = own_meeting(backend, caller, id)?;
    backend
        .kaltura()
        .end_meeting(meeting.id, requester(backend, caller)?)
        .map_err(Problem::from)?;
    let ended = backend
        .kaltura()
        .get_meeting(meeting.id)
        .map_err(Problem::from)?
        .unwrap_or(meeting);
    Ok(Response::json(200, &meeting_json(&ended)))
}
