//! The Spin adapter: implements [`Services`] over the WIT imports (`config`, `identity`,
//! `kaltura`, composed in by Spin), answers each request through
//! [`crate::endpoint::handle_with`], and finishes deferred replies after the answer is
//! sent.
//!
//! Order of work for one request:
//! 1. read the body (within [`crate::endpoint::BODY_LIMIT`]) and answer at once with
//!    [`spin_adapter::respond_json`] (whole body written before the response is handed
//!    to Spin);
//! 2. log the error report, if any (error ID, action, what failed);
//! 3. for a deferred reply, run the follow-up (the calls that wait on Kaltura) and
//!    `PATCH /api/v10/webhooks/{application}/{token}/messages/@original` on Discord.
//!    Spin keeps the instance running after the response until this is done.
//!
//! Logs carry the error ID and what failed, never the interaction token, a join URL or
//! a KS (the token is only in the PATCH's path, which is never logged).

wit_bindgen::generate!({ world: "discord-bot", path: "../../wit", generate_all });

use std::time::Duration;

use common::Variables;
use discord_api::id::{GuildId, UserId};
use guild_config::{GuildConfig, KalturaRole, RolesConfig, Section};
use kaltura_discord::config::config;
use kaltura_discord::identity::identity;
use kaltura_discord::kaltura::kaltura;
use kaltura_discord::types::types;
use spin_adapter::SpinVariables;
use spin_sdk::http::{IncomingRequest, ResponseOutparam};

use crate::dispatch::FollowUp;
use crate::meeting::{KalturaUser, Meeting, MeetingId, MeetingKind, NewMeeting, Part};
use crate::services::{Caller, ServiceError, Services};

/// Discord's origin when `discord_base_url` is unset (spin.toml's default too).
const DISCORD_BASE_URL: &str = "https://discord.com";

/// How long the `PATCH` of a deferred reply may take, per attempt: the work after the
/// response is lost if Spin stops, so it is kept short.
const PATCH_TIMEOUT: Duration = Duration::from_secs(5);

/// The longest rate-limit wait honoured before the one retry of a `PATCH`.
const MAX_RETRY_WAIT: Duration = Duration::from_secs(2);

/// The library services, through the component's WIT imports.
struct WitServices;

fn service_error(err: types::Error) -> ServiceError {
    match err {
        types::Error::NotConfigured(m) => ServiceError::NotConfigured(m),
        types::Error::Invalid(m) => ServiceError::Invalid(m),
        types::Error::NotFound(m) => ServiceError::NotFound(m),
        types::Error::Forbidden(m) => ServiceError::Forbidden(m),
        types::Error::Unavailable(m) => ServiceError::Unavailable(m),
        types::Error::Conflict(m) => ServiceError::Conflict(m),
        types::Error::Storage(m) => ServiceError::Storage(m),
        types::Error::Other(m) => ServiceError::Other(m),
    }
}

fn config_section(section: Section) -> config::Section {
    match section {
        Section::Commands => config::Section::Commands,
        Section::Roles => config::Section::Roles,
        Section::Notifications => config::Section::Notifications,
        Section::Features => config::Section::Features,
        Section::Kaltura => config::Section::Kaltura,
    }
}

fn identity_role(role: KalturaRole) -> identity::KalturaRole {
    match role {
        KalturaRole::Viewer => identity::KalturaRole::Viewer,
        KalturaRole::Moderator => identity::KalturaRole::Moderator,
        KalturaRole::Admin => identity::KalturaRole::Admin,
    }
}

fn from_identity_role(role: identity::KalturaRole) -> KalturaRole {
    match role {
        identity::KalturaRole::Viewer => KalturaRole::Viewer,
        identity::KalturaRole::Moderator => KalturaRole::Moderator,
        identity::KalturaRole::Admin => KalturaRole::Admin,
    }
}

/// The server's role mapping (the configuration's `roles` section) as `identity`
/// takes it.
fn role_mapping(roles: &RolesConfig) -> identity::RoleMapping {
    identity::RoleMapping {
        roles: roles
            .mapping
            .iter()
            .map(|(role, kaltura)| identity::RoleGrant {
                role_id: role.to_string(),
                role: identity_role(*kaltura),
            })
            .collect(),
        user_overrides: roles
            .user_overrides
            .iter()
            .map(|(user, kaltura)| identity::UserGrant {
                user_id: user.to_string(),
                role: identity_role(*kaltura),
            })
            .collect(),
        default_role: identity_role(roles.default_role),
    }
}

fn kind_to_wit(kind: MeetingKind) -> kaltura::MeetingKind {
    match kind {
        MeetingKind::Webinar => kaltura::MeetingKind::Webinar,
        MeetingKind::Meeting => kaltura::MeetingKind::Meeting,
        MeetingKind::Classroom => kaltura::MeetingKind::Classroom,
    }
}

fn kind_from_wit(kind: kaltura::MeetingKind) -> MeetingKind {
    match kind {
        kaltura::MeetingKind::Webinar => MeetingKind::Webinar,
        kaltura::MeetingKind::Meeting => MeetingKind::Meeting,
        kaltura::MeetingKind::Classroom => MeetingKind::Classroom,
    }
}

/// A meeting as the `kaltura` service keeps it, in the bot's terms. `description` is
/// not kept by the service; the caller adds it where it knows it.
fn meeting_from_wit(m: kaltura::Meeting) -> Result<Meeting, ServiceError> {
    let bad = |field: &str| {
        ServiceError::Other(format!(
            "the kaltura service returned a meeting with an invalid {field}"
        ))
    };
    Ok(Meeting {
        id: MeetingId::parse(&m.id).map_err(|_| bad("id"))?,
        kind: kind_from_wit(m.kind),
        title: m.title,
        description: None,
        guild_id: m.guild_id.parse().map_err(|_| bad("guild-id"))?,
        channel_id: m.channel_id.parse().ok(),
        owner_id: m.owner_id.parse().map_err(|_| bad("owner-id"))?,
        started_at: m.start_time.or(Some(m.created_at)),
        active: m.ended_at.is_none(),
    })
}

fn config_of(view: &config::GuildConfigView) -> Result<GuildConfig, ServiceError> {
    serde_json::from_str(&view.config_json).map_err(|err| {
        ServiceError::Other(format!(
            "the config service's settings could not be read: {err}"
        ))
    })
}

impl Services for WitServices {
    fn guild_config(&self, guild: GuildId) -> Result<GuildConfig, ServiceError> {
        let view = config::get(&guild.to_string()).map_err(service_error)?;
        config_of(&view)
    }

    fn kaltura_circuit_open(&self) -> bool {
        kaltura::circuit_open()
    }

    fn kaltura_user(
        &self,
        caller: &Caller,
        roles: &RolesConfig,
    ) -> Result<KalturaUser, ServiceError> {
        let member = identity::Member {
            guild_id: caller.guild_id.to_string(),
            user_id: caller.user_id.to_string(),
            username: caller.username.clone(),
            global_name: caller.global_name.clone(),
            nick: caller.nick.clone(),
            role_ids: caller.roles.iter().map(ToString::to_string).collect(),
            permissions: caller.permissions.0.to_string(),
        };
        let found =
            identity::resolve_member(&member, &role_mapping(roles)).map_err(service_error)?;
        Ok(KalturaUser {
            id: found.kaltura_user_id,
            display_name: found.display_name,
            role: from_identity_role(found.role),
        })
    }

    fn create_meeting(&self, meeting: &NewMeeting) -> Result<Meeting, ServiceError> {
        let channel = meeting.channel_id.ok_or_else(|| {
            ServiceError::Invalid("a meeting is started from a channel".to_owned())
        })?;
        let request = kaltura::MeetingRequest {
            kind: kind_to_wit(meeting.kind),
            title: meeting.title.clone(),
            description: meeting.description.clone(),
            guild_id: meeting.guild_id.to_string(),
            channel_id: channel.to_string(),
            owner_id: meeting.owner_id.to_string(),
            start_time: None,
            duration_minutes: None,
        };
        let created = kaltura::create_meeting(&request).map_err(service_error)?;
        let mut created = meeting_from_wit(created)?;
        created.description = meeting.description.clone();
        Ok(created)
    }

    fn get_meeting(
        &self,
        _guild: GuildId,
        id: &MeetingId,
    ) -> Result<Option<Meeting>, ServiceError> {
        // The server is checked by dispatch against the record's own.
        kaltura::get_meeting(id.as_str())
            .map_err(service_error)?
            .map(meeting_from_wit)
            .transpose()
    }

    fn list_meetings(&self, guild: GuildId) -> Result<Vec<Meeting>, ServiceError> {
        kaltura::list_meetings(&kaltura::MeetingFilter::Guild(guild.to_string()))
            .map_err(service_error)?
            .into_iter()
            .map(meeting_from_wit)
            .collect()
    }

    fn end_meeting(
        &self,
        _guild: GuildId,
        id: &MeetingId,
        _by: &KalturaUser,
    ) -> Result<(), ServiceError> {
        kaltura::end_meeting(id.as_str()).map_err(service_error)
    }

    fn join_url(
        &self,
        meeting: &Meeting,
        user: &KalturaUser,
        part: Part,
    ) -> Result<String, ServiceError> {
        let member = kaltura::MemberIdentity {
            kaltura_user_id: user.id.clone(),
            display_name: user.display_name.clone(),
            role: match part {
                Part::Host => kaltura::MemberRole::Host,
                Part::Attendee => kaltura::MemberRole::Attendee,
            },
        };
        kaltura::join_url(meeting.id.as_str(), &member).map_err(service_error)
    }

    fn config_set(
        &self,
        guild: GuildId,
        key: &str,
        value: &str,
        actor: UserId,
    ) -> Result<GuildConfig, ServiceError> {
        let guild = guild.to_string();
        let actor = config::Actor::DiscordUser(actor.to_string());
        config::set(&guild, key, value, None, &actor).map_err(service_error)?;
        config_of(&config::get(&guild).map_err(service_error)?)
    }

    fn config_reset(
        &self,
        guild: GuildId,
        section: Section,
        actor: UserId,
    ) -> Result<GuildConfig, ServiceError> {
        let guild = guild.to_string();
        let actor = config::Actor::DiscordUser(actor.to_string());
        config::reset(&guild, Some(config_section(section)), &actor).map_err(service_error)?;
        config_of(&config::get(&guild).map_err(service_error)?)
    }
}

/// Runs a deferred reply's follow-up and delivers its result to Discord, logging what
/// fails with the member's error ID.
fn finish(job: &FollowUp) {
    let finished = job.run(&WitServices);
    if let Some(report) = &finished.report {
        eprintln!("discord-bot: {report}");
    }
    let base = SpinVariables
        .get("discord_base_url")
        .unwrap_or_else(|| DISCORD_BASE_URL.to_owned());
    let undelivered = |why: &str| {
        eprintln!(
            "discord-bot: error_id={} action={:?} error=the deferred reply was not delivered: {why}",
            job.error_id(),
            job.action()
        );
    };
    let request = match job.edit_original(&finished.body, base.trim()) {
        Ok(request) => request,
        Err(err) => return undelivered(&err.to_string()),
    };
    let mut retried = false;
    loop {
        let sent = spin_adapter::send_with_timeouts_blocking(
            request.clone(),
            spin_adapter::Timeouts::all(PATCH_TIMEOUT),
        );
        let response = match sent {
            Ok(response) => response,
            Err(err) => return undelivered(&err.to_string()),
        };
        match discord_api::rest::classify(response) {
            Ok(_) => return,
            Err(err) => match err.retry_after() {
                Some(wait) if !retried && wait <= MAX_RETRY_WAIT => {
                    retried = true;
                    spin_adapter::sleep(wait);
                }
                _ => return undelivered(&err.to_string()),
            },
        }
    }
}

#[spin_sdk::http_component]
async fn handle(request: IncomingRequest, out: ResponseOutparam) {
    let request = match spin_adapter::read_request(request, crate::endpoint::BODY_LIMIT) {
        Ok(request) => request,
        Err(err) => return spin_adapter::respond_error(out, &err.api_error(), &[]),
    };
    let headers = request.header_map();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let handled = crate::endpoint::handle_with(
        &request.method,
        &headers,
        &request.body,
        &SpinVariables,
        now,
        &WitServices,
    );
    // Answer first: Discord's 3 seconds run until it has the response.
    spin_adapter::respond_json(out, handled.reply.status, &handled.reply.body, &[]);
    if let Some(report) = &handled.report {
        eprintln!("discord-bot: {report}");
    }
    if let Some(job) = &handled.follow_up {
        finish(job);
    }
}
