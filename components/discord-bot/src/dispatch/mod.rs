//! Runs a verified interaction against the library services and says what to answer.
//!
//! [`respond`] parses the interaction into an [`Action`], takes the caller from the
//! payload's `member` only, reads the server's configuration and checks the
//! member's permission for the command the action belongs to — on every command,
//! button and autocomplete — then matches the action exhaustively. The result is an
//! [`Outcome`]:
//!
//! - [`Outcome::Reply`]: answer Discord's POST with this response; done.
//! - [`Outcome::Deferred`]: answer with this deferral (type 5, ephemeral when the
//!   result is personal; type 6 for the End confirmation's button), then run the
//!   [`FollowUp`] and `PATCH .../messages/@original` with its body
//!   ([`FollowUp::edit_original`]).
//!
//! Anything that waits on Kaltura is deferred; when Kaltura's circuit is open the bot
//! answers at once that Kaltura is unavailable instead. Errors become a friendly
//! ephemeral message with a short [`ErrorId`], and an [`ErrorReport`] with the same ID
//! for the caller to log. Nothing here panics on any input.

use std::collections::HashSet;
use std::fmt;

use discord_api::commands::Choice;
use discord_api::id::{ApplicationId, InteractionId};
use discord_api::markdown::escape;
use discord_api::model::Envelope;
use discord_api::response::{ComponentError, InteractionResponse, MessageBody};
use discord_api::rest::{Client, RestError};
use discord_api::token::InteractionToken;
use discord_api::Interaction;
use guild_config::{Access, GuildConfig, Section};

use crate::action::{Action, Rejection};
use crate::commands::section_label;
use crate::meeting::{Meeting, MeetingId, MeetingKind, NewMeeting, Part};
use crate::render::{self, notice};
use crate::services::{Caller, ServiceError, Services};

/// The project URL in the `User-Agent` of the follow-up request.
pub const PROJECT_URL: &str = "https://github.com/kaltura-discord/kaltura-discord";

/// What members read when Kaltura's circuit is open.
pub const KALTURA_UNAVAILABLE: &str =
    "Kaltura is unavailable right now, so nothing was done. Please try again in a few minutes.";

/// What to answer an interaction with.
#[derive(Debug)]
pub enum Outcome {
    /// Answer with `response`; nothing follows.
    Reply {
        /// The interaction response.
        response: InteractionResponse,
        /// An error to log, whose ID the member was shown.
        report: Option<ErrorReport>,
    },
    /// Answer with `response` (a deferral), then run `job` and edit the original
    /// response with its result.
    Deferred {
        /// The deferral: type 5 (`DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE`) or type 6
        /// (`DEFERRED_UPDATE_MESSAGE`).
        response: InteractionResponse,
        /// The work to do after the response is sent.
        job: Box<FollowUp>,
    },
}

impl Outcome {
    fn reply(response: InteractionResponse) -> Self {
        Self::Reply {
            response,
            report: None,
        }
    }

    fn message(body: MessageBody) -> Self {
        Self::reply(InteractionResponse::message(body))
    }

    /// The response to send now.
    pub fn response(&self) -> &InteractionResponse {
        match self {
            Self::Reply { response, .. } | Self::Deferred { response, .. } => response,
        }
    }

    /// The error to log now, if any.
    pub fn report(&self) -> Option<&ErrorReport> {
        match self {
            Self::Reply { report, .. } => report.as_ref(),
            Self::Deferred { .. } => None,
        }
    }
}

/// A short error ID shown to the member and logged with the error's detail, so an
/// operator can find one from the other: 8 characters of Crockford base32, derived
/// from the interaction ID (unique per interaction, the same in the reply and in a
/// follow-up).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ErrorId(String);

impl ErrorId {
    /// The error ID of an interaction.
    pub fn for_interaction(id: InteractionId) -> Self {
        const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
        // A bijective mix, so that consecutive snowflakes give unrelated-looking IDs.
        let mut x = id.get().wrapping_mul(0x9E37_79B9_7F4A_7C15);
        x ^= x >> 29;
        let text = (0..8)
            .map(|i| char::from(ALPHABET[((x >> (59 - 5 * i)) & 31) as usize]))
            .collect();
        Self(text)
    }

    /// The ID as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ErrorId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An error to log: its ID (also shown to the member), the action and what failed.
/// Safe to log: service errors carry no secret, and no token or join URL is put in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ErrorReport {
    /// The ID the member was shown.
    pub error_id: ErrorId,
    /// What the member was doing, e.g. `/kaltura-start`.
    pub action: &'static str,
    /// What failed.
    pub detail: String,
}

impl fmt::Display for ErrorReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "error_id={} action={:?} error={}",
            self.error_id, self.action, self.detail
        )
    }
}

/// What went wrong while running an action.
#[derive(Debug)]
enum Failure {
    Service(ServiceError),
    Reply(ComponentError),
}

impl From<ServiceError> for Failure {
    fn from(err: ServiceError) -> Self {
        Self::Service(err)
    }
}

impl From<ComponentError> for Failure {
    fn from(err: ComponentError) -> Self {
        Self::Reply(err)
    }
}

/// The member's message and the log entry for a failure.
fn failure_message(
    error_id: &ErrorId,
    action: &'static str,
    failure: Failure,
) -> (String, ErrorReport) {
    let (text, detail) = match failure {
        Failure::Service(err) => {
            let text = match &err {
                ServiceError::Unavailable(_) => {
                    "Kaltura is unavailable right now. Please try again in a few minutes."
                        .to_owned()
                }
                ServiceError::NotConfigured(_) => {
                    "The Kaltura integration is not fully set up yet. \
                     Please tell the bot's operator."
                        .to_owned()
                }
                ServiceError::NotFound(_) => "That meeting no longer exists.".to_owned(),
                ServiceError::Forbidden(_) => {
                    "Kaltura did not allow this for your account.".to_owned()
                }
                ServiceError::Invalid(message) => {
                    format!("That was not accepted: {}", escape(message))
                }
                ServiceError::Conflict(_) => {
                    "Someone changed this at the same moment. Please try again.".to_owned()
                }
                ServiceError::Storage(_) | ServiceError::Other(_) => {
                    "Something went wrong on our side.".to_owned()
                }
            };
            (text, err.to_string())
        }
        Failure::Reply(err) => (
            "Something went wrong on our side.".to_owned(),
            format!("reply could not be built: {err}"),
        ),
    };
    let report = ErrorReport {
        error_id: error_id.clone(),
        action,
        detail,
    };
    (format!("{text} (error ID `{error_id}`)"), report)
}

/// The work a deferred action finishes after the response is sent.
#[derive(Clone, Debug)]
enum Work {
    Start {
        kind: MeetingKind,
        title: String,
        description: Option<String>,
    },
    Join {
        meeting: Meeting,
    },
    End {
        meeting: Meeting,
    },
}

/// The second half of a deferred action: run it after the deferral is sent, then
/// edit the original response with its body.
#[derive(Clone, Debug)]
pub struct FollowUp {
    application_id: ApplicationId,
    token: InteractionToken,
    error_id: ErrorId,
    action: &'static str,
    caller: Caller,
    config: GuildConfig,
    work: Work,
}

/// The result of a [`FollowUp`]: the body to `PATCH` to `@original`, and an error to
/// log (whose ID the body shows) if it failed.
#[derive(Clone, Debug, PartialEq)]
pub struct Finished {
    /// The edit of the original response (no flags: an edit cannot change them).
    pub body: MessageBody,
    /// The error to log, if the work failed.
    pub report: Option<ErrorReport>,
}

impl FollowUp {
    /// The application the interaction was for.
    pub fn application_id(&self) -> ApplicationId {
        self.application_id
    }

    /// What the member was doing, for logs.
    pub fn action(&self) -> &'static str {
        self.action
    }

    /// The error ID the member is shown if this follow-up fails, also the one to log
    /// when its `PATCH` cannot be delivered.
    pub fn error_id(&self) -> &ErrorId {
        &self.error_id
    }

    /// Does the work (the calls that wait on Kaltura) and returns the final message.
    pub fn run(&self, services: &dyn Services) -> Finished {
        match self.work(services) {
            Ok(body) => Finished { body, report: None },
            Err(failure) => {
                let (text, report) = failure_message(&self.error_id, self.action, failure);
                Finished {
                    body: MessageBody::text(text),
                    report: Some(report),
                }
            }
        }
    }

    fn work(&self, services: &dyn Services) -> Result<MessageBody, Failure> {
        let user = services.kaltura_user(&self.caller, &self.config.roles)?;
        match &self.work {
            Work::Start {
                kind,
                title,
                description,
            } => {
                let meeting = services.create_meeting(&NewMeeting {
                    guild_id: self.caller.guild_id,
                    channel_id: self.caller.channel_id,
                    kind: *kind,
                    title: title.clone(),
                    description: description.clone(),
                    owner: user,
                    owner_id: self.caller.user_id,
                })?;
                Ok(render::start_panel(&meeting)?)
            }
            Work::Join { meeting } => {
                // Identity's role, not a second evaluation of the mapping here.
                let part = if meeting.owner_id == self.caller.user_id
                    || user.role >= guild_config::KalturaRole::Moderator
                {
                    Part::Host
                } else {
                    Part::Attendee
                };
                let url = services.join_url(meeting, &user, part)?;
                Ok(render::join_link(meeting, &url)?)
            }
            Work::End { meeting } => {
                services.end_meeting(self.caller.guild_id, &meeting.id, &user)?;
                Ok(render::ended(meeting)?)
            }
        }
    }

    /// The `PATCH /webhooks/{application}/{token}/messages/@original` request that
    /// delivers `body`, for Discord at `discord_base_url` (the `discord_base_url`
    /// variable). The token is only in the request's path.
    ///
    /// # Errors
    /// [`RestError`] for an invalid base URL or a body that cannot be serialized.
    pub fn edit_original(
        &self,
        body: &MessageBody,
        discord_base_url: &str,
    ) -> Result<http::Request<Vec<u8>>, RestError> {
        let client = Client::new(discord_base_url, PROJECT_URL, env!("CARGO_PKG_VERSION"))?;
        client.edit_original_response(self.application_id, &self.token, body)
    }
}

/// Answers a verified interaction: PONG for a PING, otherwise the [`Outcome`] of its
/// action run against `services`.
pub fn respond(interaction: &Interaction, services: &dyn Services) -> Outcome {
    match interaction {
        Interaction::Ping => Outcome::reply(InteractionResponse::pong()),
        Interaction::Command(incoming) => handle(
            &incoming.envelope,
            Action::from_command(&incoming.data),
            services,
        ),
        Interaction::Component(incoming) => handle(
            &incoming.envelope,
            Action::from_component(&incoming.data),
            services,
        ),
        Interaction::Autocomplete(incoming) => match Action::from_autocomplete(&incoming.data) {
            Ok(action) => handle(&incoming.envelope, Ok(action), services),
            Err(_) => Outcome::reply(InteractionResponse::autocomplete([])),
        },
        Interaction::ModalSubmit(_) => {
            Outcome::message(notice(Rejection::UnknownModal.to_string()))
        }
    }
}

fn is_suggestion(action: &Action) -> bool {
    matches!(
        action,
        Action::SuggestMeetings { .. } | Action::SuggestConfigKeys { .. }
    )
}

/// A refusal: an ephemeral message, or no suggestions for autocomplete.
fn refuse(action: &Action, text: impl Into<String>) -> Outcome {
    if is_suggestion(action) {
        Outcome::reply(InteractionResponse::autocomplete([]))
    } else {
        Outcome::message(notice(text))
    }
}

fn handle(
    envelope: &Envelope,
    action: Result<Action, Rejection>,
    services: &dyn Services,
) -> Outcome {
    let action = match action {
        Ok(action) => action,
        Err(rejection) => return Outcome::message(notice(rejection.to_string())),
    };
    let Ok(caller) = Caller::from_envelope(envelope) else {
        return refuse(&action, Rejection::NotInGuild.to_string());
    };
    let ctx = Ctx {
        services,
        envelope,
        error_id: ErrorId::for_interaction(envelope.id),
        caller,
        name: action.name(),
        suggestion: is_suggestion(&action),
    };
    let config = match services.guild_config(ctx.caller.guild_id) {
        Ok(config) => config,
        Err(err) => return ctx.failed(err.into()),
    };
    // The permission from the server's configuration, on every command, button and
    // autocomplete: a button is a forgeable intent, not a capability.
    if let Access::Denied(reason) = ctx.caller.access(&config, action.command()) {
        return refuse(&action, reason.to_string());
    }
    ctx.run(action, config)
}

/// One interaction being handled.
struct Ctx<'a> {
    services: &'a dyn Services,
    envelope: &'a Envelope,
    error_id: ErrorId,
    caller: Caller,
    name: &'static str,
    suggestion: bool,
}

/// Why a meeting named by a member cannot be used.
enum Unusable {
    /// Gone, ended, or of another server.
    NotRunning,
    /// The caller may not manage it.
    NotYours,
    /// Looking it up failed.
    Failed(ServiceError),
}

/// What members read about a meeting that is gone, ended or of another server.
const NOT_RUNNING: &str = "That meeting is not running in this server.";
/// What members read when they may not manage a meeting.
const NOT_YOURS: &str =
    "Only the meeting's owner or a Kaltura moderator of this server can do that.";

impl Ctx<'_> {
    fn failed(&self, failure: Failure) -> Outcome {
        let (text, report) = failure_message(&self.error_id, self.name, failure);
        let response = if self.suggestion {
            InteractionResponse::autocomplete([])
        } else {
            InteractionResponse::message(notice(text))
        };
        Outcome::Reply {
            response,
            report: Some(report),
        }
    }

    fn built(&self, body: Result<MessageBody, ComponentError>) -> Outcome {
        match body {
            Ok(body) => Outcome::message(body),
            Err(err) => self.failed(err.into()),
        }
    }

    fn defer(self, response: InteractionResponse, config: GuildConfig, work: Work) -> Outcome {
        Outcome::Deferred {
            response,
            job: Box::new(FollowUp {
                application_id: self.envelope.application_id,
                token: self.envelope.token.clone(),
                error_id: self.error_id,
                action: self.name,
                caller: self.caller,
                config,
                work,
            }),
        }
    }

    /// This server's active meetings, each once.
    fn active_meetings(&self) -> Result<Vec<Meeting>, ServiceError> {
        let guild = self.caller.guild_id;
        let mut seen = HashSet::new();
        Ok(self
            .services
            .list_meetings(guild)?
            .into_iter()
            .filter(|m| m.active && m.guild_id == guild && seen.insert(m.id.clone()))
            .collect())
    }

    /// The meeting if it is active and of this server.
    fn active_meeting(&self, id: &MeetingId) -> Result<Meeting, Unusable> {
        let guild = self.caller.guild_id;
        match self.services.get_meeting(guild, id) {
            Ok(Some(meeting)) if meeting.active && meeting.guild_id == guild => Ok(meeting),
            Ok(_) => Err(Unusable::NotRunning),
            Err(err) => Err(Unusable::Failed(err)),
        }
    }

    /// The meeting if it is active, of this server, and the caller may manage it.
    fn managed_meeting(&self, id: &MeetingId, config: &GuildConfig) -> Result<Meeting, Unusable> {
        let meeting = self.active_meeting(id)?;
        if self.caller.may_manage(config, &meeting) {
            Ok(meeting)
        } else {
            Err(Unusable::NotYours)
        }
    }

    /// The answer when a meeting cannot be used.
    fn unusable(&self, why: Unusable) -> Outcome {
        match why {
            Unusable::NotRunning => Outcome::message(notice(NOT_RUNNING)),
            Unusable::NotYours => Outcome::message(notice(NOT_YOURS)),
            Unusable::Failed(err) => self.failed(err.into()),
        }
    }

    fn run(self, action: Action, config: GuildConfig) -> Outcome {
        let services = self.services;
        let circuit_open = || services.kaltura_circuit_open();
        match action {
            Action::Start {
                kind,
                title,
                description,
            } => {
                if circuit_open() {
                    return Outcome::message(notice(KALTURA_UNAVAILABLE));
                }
                let work = Work::Start {
                    kind,
                    title,
                    description,
                };
                self.defer(InteractionResponse::deferred_message(true), config, work)
            }
            Action::Join { meeting } => {
                let meeting = match self.active_meeting(&meeting) {
                    Ok(meeting) => meeting,
                    Err(why) => return self.unusable(why),
                };
                if circuit_open() {
                    return Outcome::message(notice(KALTURA_UNAVAILABLE));
                }
                self.defer(
                    InteractionResponse::deferred_message(true),
                    config,
                    Work::Join { meeting },
                )
            }
            Action::List => match self.active_meetings() {
                Ok(meetings) => self.built(render::meeting_list(&meetings)),
                Err(err) => self.failed(err.into()),
            },
            Action::End { meeting } => match self.managed_meeting(&meeting, &config) {
                Ok(meeting) => self.built(render::end_confirmation(&meeting)),
                Err(why) => self.unusable(why),
            },
            Action::Share { meeting } => match self.managed_meeting(&meeting, &config) {
                Ok(meeting) => self.built(render::share(&meeting, &self.caller, &config)),
                Err(why) => self.unusable(why),
            },
            Action::ConfirmEnd { meeting } => {
                let meeting = match self.managed_meeting(&meeting, &config) {
                    Ok(meeting) => meeting,
                    Err(why) => return self.unusable(why),
                };
                if circuit_open() {
                    return Outcome::message(notice(KALTURA_UNAVAILABLE));
                }
                self.defer(
                    InteractionResponse::deferred_update(),
                    config,
                    Work::End { meeting },
                )
            }
            Action::CancelEnd { meeting } => match self.active_meeting(&meeting) {
                Ok(meeting) => match render::end_cancelled(&meeting) {
                    Ok(body) => Outcome::reply(InteractionResponse::update_message(body)),
                    Err(err) => self.failed(err.into()),
                },
                Err(why) => self.unusable(why),
            },
            Action::ConfigView { section } => {
                Outcome::message(render::config_view(&config, section))
            }
            Action::ConfigSet { key, value } => self.config_set(&key, &value),
            Action::ConfigReset { section } => {
                match self
                    .services
                    .config_reset(self.caller.guild_id, section, self.caller.user_id)
                {
                    Ok(config) => Outcome::message(
                        notice(format!(
                            "✅ The {} settings are back to their defaults.",
                            section_label(section).to_lowercase()
                        ))
                        .embed(render::config_section(&config, section)),
                    ),
                    Err(err) => self.failed(err.into()),
                }
            }
            Action::SuggestMeetings { typed, .. } => match self.active_meetings() {
                Ok(meetings) => {
                    let typed = typed.to_lowercase();
                    let choices = meetings
                        .into_iter()
                        .filter(|m| {
                            typed.is_empty()
                                || m.title.to_lowercase().contains(&typed)
                                || m.id.as_str().to_lowercase().contains(&typed)
                        })
                        .map(|m| {
                            Choice::string(
                                format!("{} · {}", m.title, m.kind.label()),
                                m.id.as_str(),
                            )
                        });
                    Outcome::reply(InteractionResponse::autocomplete(choices))
                }
                Err(err) => self.failed(err.into()),
            },
            Action::SuggestConfigKeys { typed } => {
                let typed = typed.to_lowercase();
                let choices = guild_config::settable_keys()
                    .into_iter()
                    .filter(|key| !key.deployment_only && key.path.to_lowercase().contains(&typed))
                    .map(|key| Choice::string(format!("{} — {}", key.path, key.expects), key.path));
                Outcome::reply(InteractionResponse::autocomplete(choices))
            }
        }
    }

    fn config_set(&self, key: &str, value: &str) -> Outcome {
        // The same reading the config service applies: a typo is answered at once, in
        // words, and nothing is written.
        if let Err(err) = guild_config::set_patch_from_str(key, value) {
            return Outcome::message(notice(format!(
                "Nothing was changed. {}",
                escape(&err.to_string())
            )));
        }
        match self
            .services
            .config_set(self.caller.guild_id, key, value, self.caller.user_id)
        {
            Ok(config) => {
                let body = notice(format!("✅ `{key}` is updated."));
                let section = key
                    .split('.')
                    .next()
                    .and_then(|s| s.parse::<Section>().ok());
                Outcome::message(match section {
                    Some(section) => body.embed(render::config_section(&config, section)),
                    None => body,
                })
            }
            Err(ServiceError::Invalid(message)) => {
                Outcome::message(notice(format!("Nothing was changed. {}", escape(&message))))
            }
            Err(err) => self.failed(err.into()),
        }
    }
}

#[cfg(test)]
mod tests;
