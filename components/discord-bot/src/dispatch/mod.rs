//! Runs a verified interaction against the library services and says what to answer.
//!
//! [`respond`] parses the interaction into an [`Action`], takes the caller from the
//! payload's `member` only, and asks `config` whether the member may use the command
//! the action belongs to (`check-permission`) — on every command, button and
//! autocomplete — then matches the action exhaustively. The result is an [`Outcome`]:
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
use std::time::Duration;

use contracts::config::{Access, MessageKind};
use contracts::events::{Event, EventType};
use contracts::kaltura::{
    MediaScope, Meeting, MeetingFilter, MeetingId, MeetingKind, MeetingRequest, Participant,
    Requester,
};
use contracts::{Actor, Config as _, Error, ErrorKind, Kaltura as _, Members as _, Watch as _};
use discord_api::commands::Choice;
use discord_api::id::{ApplicationId, InteractionId};
use discord_api::markdown::escape;
use discord_api::model::Envelope;
use discord_api::response::{ComponentError, InteractionResponse, MessageBody};
use discord_api::rest::{Client, RestError, RetryPolicy};
use discord_api::token::InteractionToken;
use discord_api::Interaction;

use crate::action::{Action, Rejection};
use crate::render::{self, notice};
use crate::services::{Caller, Services};
use crate::videos::{self, Links, NoActivity};

/// The project URL in the `User-Agent` of the follow-up request.
pub const PROJECT_URL: &str = "https://github.com/kaltura-discord/kaltura-discord";

/// How the `PATCH` of a deferred reply is retried (Discord's rule,
/// [`RetryPolicy::next_try`]): once, after a `429`'s `retry_after` or a second after a
/// `5xx`, if that wait is at most two seconds — the work after the response is lost if
/// Spin stops, so it is kept short.
pub const PATCH_RETRY: RetryPolicy = RetryPolicy {
    max_attempts: 2,
    max_wait: Duration::from_secs(2),
    first_backoff: Duration::from_secs(1),
    max_backoff: Duration::from_secs(1),
};

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

    /// The same outcome with `notice` before the message the member reads (the reply,
    /// or a deferred reply's result).
    fn with_notice(self, notice: String) -> Self {
        match self {
            Self::Reply { response, report } => Self::Reply {
                response: response.prepend_line(&notice),
                report,
            },
            Self::Deferred { response, mut job } => {
                job.notice = Some(notice);
                Self::Deferred { response, job }
            }
        }
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
    Service(Error),
    Reply(ComponentError),
}

impl From<Error> for Failure {
    fn from(err: Error) -> Self {
        Self::Service(err)
    }
}

impl From<ComponentError> for Failure {
    fn from(err: ComponentError) -> Self {
        Self::Reply(err)
    }
}

/// A service error as logged: its case and its message (never a secret: the
/// contract's messages carry none).
fn detail(err: &Error) -> String {
    format!("{}: {}", err.kind().name(), err.message())
}

/// The member's message and the log entry for a failure.
fn failure_message(
    error_id: &ErrorId,
    action: &'static str,
    failure: Failure,
) -> (String, ErrorReport) {
    let (text, detail) = match failure {
        Failure::Service(err) => {
            let text = match err.kind() {
                ErrorKind::Unavailable => {
                    "Kaltura is unavailable right now. Please try again in a few minutes."
                        .to_owned()
                }
                ErrorKind::NotConfigured => "The Kaltura integration is not fully set up yet. \
                     Please tell the bot's operator."
                    .to_owned(),
                ErrorKind::NotFound => "That meeting no longer exists.".to_owned(),
                ErrorKind::Forbidden => "Kaltura did not allow this for your account.".to_owned(),
                ErrorKind::Invalid => format!("That was not accepted: {}", escape(err.message())),
                ErrorKind::Conflict => {
                    "Someone changed this at the same moment. Please try again.".to_owned()
                }
                ErrorKind::Storage | ErrorKind::Other => {
                    "Something went wrong on our side.".to_owned()
                }
            };
            (text, detail(&err))
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
    SearchVideos {
        query: String,
        limit: usize,
    },
    ShareVideo {
        entry: String,
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
    work: Work,
    /// A deprecation notice to put before the result.
    notice: Option<String>,
    /// The links the result may carry.
    links: Links,
}

/// The result of a [`FollowUp`]: the body to `PATCH` to `@original`, and an error to
/// log (whose ID the body shows) if it failed.
#[derive(Clone, Debug, PartialEq)]
pub struct Finished {
    /// The edit of the original response (no flags: an edit cannot change them).
    pub body: MessageBody,
    /// The error to log, if the work failed.
    pub report: Option<ErrorReport>,
    /// The event the work caused, for the server's subscribers (the adapter publishes
    /// it through the `events` service): a meeting created or a join link given.
    pub event: Option<Event>,
}

/// An event for the server's subscribers (its data as the catalogue says).
fn event(event_type: EventType, guild_id: u64, data: serde_json::Value) -> Event {
    Event {
        event_type,
        guild_id,
        data_json: data.to_string(),
    }
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
    pub fn run(&self, services: &impl Services) -> Finished {
        match self.work(services) {
            Ok((body, event)) => Finished {
                body: match &self.notice {
                    Some(notice) => body.prepend_line(notice),
                    None => body,
                },
                report: None,
                event,
            },
            Err(failure) => {
                let (text, report) = failure_message(&self.error_id, self.action, failure);
                Finished {
                    body: MessageBody::text(text),
                    report: Some(report),
                    event: None,
                }
            }
        }
    }

    fn work(&self, services: &impl Services) -> Result<(MessageBody, Option<Event>), Failure> {
        // The member's Kaltura identity, recorded as seen: the role from `config`, the
        // user from `identity` with that role.
        let member = &self.caller.member;
        let role = services.config().role_for(member)?;
        let identity = services.members().resolve_member(member, role)?;
        match &self.work {
            Work::Start {
                kind,
                title,
                description,
            } => {
                let channel = self
                    .caller
                    .channel_id
                    .ok_or_else(|| Error::invalid("a meeting is started from a channel"))?;
                let meeting = services.kaltura().create_meeting(&MeetingRequest {
                    kind: *kind,
                    title: title.clone(),
                    description: description.clone(),
                    guild_id: member.guild_id,
                    channel_id: channel.get(),
                    owner_id: member.user_id,
                    start_time: None,
                    duration_minutes: None,
                })?;
                let event = event(
                    EventType::MeetingCreated,
                    member.guild_id,
                    serde_json::json!({
                        "guild_id": member.guild_id.to_string(),
                        "meeting_id": meeting.id.to_string(),
                        "kind": meeting.kind.as_str(),
                        "title": meeting.title,
                        "owner_user_id": meeting.owner_id.to_string(),
                        "channel_id": meeting.channel_id.to_string(),
                        "source": "discord",
                    }),
                );
                Ok((
                    render::start_panel(&meeting, description.as_deref())?,
                    Some(event),
                ))
            }
            Work::Join { meeting } => {
                // `kaltura` decides whether the member hosts or attends.
                let participant = Participant {
                    user_id: member.user_id,
                    kaltura_user_id: identity.kaltura_user_id,
                    display_name: identity.display_name,
                    role: identity.role,
                };
                let url = services.kaltura().join_url(meeting.id, &participant)?;
                let event = event(
                    EventType::MeetingJoined,
                    member.guild_id,
                    serde_json::json!({
                        "guild_id": member.guild_id.to_string(),
                        "meeting_id": meeting.id.to_string(),
                        "user_id": member.user_id.to_string(),
                        "source": "discord",
                    }),
                );
                Ok((render::join_link(meeting, &url)?, Some(event)))
            }
            Work::End { meeting } => {
                let requester = Requester {
                    user_id: Some(member.user_id),
                    role: identity.role,
                };
                services.kaltura().end_meeting(meeting.id, requester)?;
                Ok((render::ended(meeting)?, None))
            }
            Work::SearchVideos { query, limit } => {
                // As the member, with their entitlement, within the server's categories.
                let scope = MediaScope {
                    category_ids: services.config().get(member.guild_id)?.kaltura.category_ids,
                    kaltura_user_id: Some(identity.kaltura_user_id),
                };
                let page = services.kaltura().search_media(query, 1, &scope)?;
                Ok((
                    videos::results(query, &page, *limit, &self.links, &self.caller)?,
                    None,
                ))
            }
            Work::ShareVideo { entry } => {
                let scope = MediaScope {
                    category_ids: services.config().get(member.guild_id)?.kaltura.category_ids,
                    kaltura_user_id: Some(identity.kaltura_user_id),
                };
                let Some(found) = services.kaltura().get_media(entry, &scope)? else {
                    return Ok((
                        MessageBody::text("That video is not available on this server."),
                        None,
                    ));
                };
                let play = self.links.player_page(&found.id, &self.caller);
                let url = play
                    .clone()
                    .unwrap_or_else(|| "the Watch together button".into());
                let values = videos::share_values(&found, &url, &self.caller);
                let message = services
                    .config()
                    .render_message(member.guild_id, MessageKind::VideoShare, &values)?
                    .ok_or_else(|| Error::other("the config service rendered no share card"))?;
                Ok((videos::share(&found, message, play.as_deref())?, None))
            }
        }
    }

    /// The `PATCH /webhooks/{application}/{token}/messages/@original` request that
    /// delivers `body`, for Discord at the origin `discord_base_url` (the
    /// `discord_base_url` variable, read with [`discord_api::rest::base_url`]). The
    /// token is only in the request's path.
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
/// action run against `services`, without links to the player page
/// ([`respond_with`] has them).
pub fn respond(interaction: &Interaction, services: &impl Services) -> Outcome {
    respond_with(interaction, services, &Links::default())
}

/// [`respond`], with the deployment's `links` for `/kaltura-video`'s answers.
pub fn respond_with(interaction: &Interaction, services: &impl Services, links: &Links) -> Outcome {
    match interaction {
        Interaction::Ping => Outcome::reply(InteractionResponse::pong()),
        Interaction::Command(incoming) => {
            let outcome = handle(
                &incoming.envelope,
                Action::from_command(&incoming.data),
                services,
                links,
            );
            match contracts::config::Command::parse(&incoming.data.name)
                .and_then(crate::versions::deprecation_notice)
            {
                Some(notice) => outcome.with_notice(notice),
                None => outcome,
            }
        }
        Interaction::Component(incoming) => handle(
            &incoming.envelope,
            Action::from_component(&incoming.data),
            services,
            links,
        ),
        Interaction::Autocomplete(incoming) => match Action::from_autocomplete(&incoming.data) {
            Ok(action) => handle(&incoming.envelope, Ok(action), services, links),
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
        Action::SuggestMeetings { .. }
            | Action::SuggestConfigKeys { .. }
            | Action::SuggestVideos { .. }
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

fn handle<S: Services>(
    envelope: &Envelope,
    action: Result<Action, Rejection>,
    services: &S,
    links: &Links,
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
        links: links.clone(),
    };
    // The permission from `config`, on every command, button and autocomplete: a
    // button is a forgeable intent, not a capability. The reason is `config`'s words.
    match services
        .config()
        .check_permission(action.command(), &ctx.caller.member)
    {
        Ok(Access::Allowed) => ctx.run(action),
        Ok(Access::Denied(reason)) => refuse(&action, reason),
        Err(err) => ctx.failed(err.into()),
    }
}

/// One interaction being handled.
struct Ctx<'a, S> {
    services: &'a S,
    envelope: &'a Envelope,
    error_id: ErrorId,
    caller: Caller,
    name: &'static str,
    suggestion: bool,
    links: Links,
}

/// Why a meeting named by a member cannot be used.
enum Unusable {
    /// Gone, ended, or of another server.
    NotRunning,
    /// The caller may not manage it.
    NotYours,
    /// Looking it up failed.
    Failed(Error),
}

/// What members read about a meeting that is gone, ended or of another server.
const NOT_RUNNING: &str = "That meeting is not running in this server.";
/// What members read when they may not manage a meeting.
const NOT_YOURS: &str =
    "Only the meeting's owner or a Kaltura moderator of this server can do that.";

impl<S: Services> Ctx<'_, S> {
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

    fn defer(self, response: InteractionResponse, work: Work) -> Outcome {
        Outcome::Deferred {
            response,
            job: Box::new(FollowUp {
                application_id: self.envelope.application_id,
                token: self.envelope.token.clone(),
                error_id: self.error_id,
                action: self.name,
                caller: self.caller,
                work,
                notice: None,
                links: self.links,
            }),
        }
    }

    fn guild(&self) -> u64 {
        self.caller.member.guild_id
    }

    fn actor(&self) -> Actor {
        Actor::DiscordUser(self.caller.member.user_id)
    }

    /// This server's active meetings, each once.
    fn active_meetings(&self) -> Result<Vec<Meeting>, Error> {
        let guild = self.guild();
        let mut seen = HashSet::new();
        Ok(self
            .services
            .kaltura()
            .list_meetings(MeetingFilter::Guild(guild))?
            .into_iter()
            .filter(|m| m.ended_at.is_none() && m.guild_id == guild && seen.insert(m.id))
            .collect())
    }

    /// The meeting if it is active and of this server.
    fn active_meeting(&self, id: MeetingId) -> Result<Meeting, Unusable> {
        match self.services.kaltura().get_meeting(id) {
            Ok(Some(meeting)) if meeting.ended_at.is_none() && meeting.guild_id == self.guild() => {
                Ok(meeting)
            }
            Ok(_) => Err(Unusable::NotRunning),
            Err(err) => Err(Unusable::Failed(err)),
        }
    }

    /// The meeting if it is active, of this server, and `kaltura` says the caller may
    /// manage it (with the role `config` gives them).
    fn managed_meeting(&self, id: MeetingId) -> Result<Meeting, Unusable> {
        let meeting = self.active_meeting(id)?;
        let role = self
            .services
            .config()
            .role_for(&self.caller.member)
            .map_err(Unusable::Failed)?;
        let requester = Requester {
            user_id: Some(self.caller.member.user_id),
            role,
        };
        match self.services.kaltura().may_manage(id, requester) {
            Ok(true) => Ok(meeting),
            Ok(false) => Err(Unusable::NotYours),
            Err(err) if err.kind() == ErrorKind::NotFound => Err(Unusable::NotRunning),
            Err(err) => Err(Unusable::Failed(err)),
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

    fn run(self, action: Action) -> Outcome {
        let services = self.services;
        let circuit_open = || services.kaltura().circuit_open();
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
                self.defer(InteractionResponse::deferred_message(true), work)
            }
            Action::Join { meeting } => {
                let meeting = match self.active_meeting(meeting) {
                    Ok(meeting) => meeting,
                    Err(why) => return self.unusable(why),
                };
                if circuit_open() {
                    return Outcome::message(notice(KALTURA_UNAVAILABLE));
                }
                self.defer(
                    InteractionResponse::deferred_message(true),
                    Work::Join { meeting },
                )
            }
            Action::List => match self.active_meetings() {
                Ok(meetings) => self.built(render::meeting_list(&meetings)),
                Err(err) => self.failed(err.into()),
            },
            Action::End { meeting } => match self.managed_meeting(meeting) {
                Ok(meeting) => self.built(render::end_confirmation(&meeting)),
                Err(why) => self.unusable(why),
            },
            Action::Share { meeting } => match self.managed_meeting(meeting) {
                Ok(meeting) => self.share(&meeting),
                Err(why) => self.unusable(why),
            },
            Action::ConfirmEnd { meeting } => {
                let meeting = match self.managed_meeting(meeting) {
                    Ok(meeting) => meeting,
                    Err(why) => return self.unusable(why),
                };
                if circuit_open() {
                    return Outcome::message(notice(KALTURA_UNAVAILABLE));
                }
                self.defer(
                    InteractionResponse::deferred_update(),
                    Work::End { meeting },
                )
            }
            Action::CancelEnd { meeting } => match self.active_meeting(meeting) {
                Ok(meeting) => match render::end_cancelled(&meeting) {
                    Ok(body) => Outcome::reply(InteractionResponse::update_message(body)),
                    Err(err) => self.failed(err.into()),
                },
                Err(why) => self.unusable(why),
            },
            Action::ConfigView { section } => self.config_view(section),
            Action::ConfigSet { key, value } => self.config_set(&key, &value),
            Action::ConfigReset { section } => self.config_reset(section),
            Action::EventsList => self.events_list(),
            Action::EventsPause {
                subscription,
                paused,
            } => self.events_pause(&subscription, paused),
            Action::SuggestMeetings { typed, .. } => match self.active_meetings() {
                Ok(meetings) => {
                    let typed = typed.to_lowercase();
                    let choices = meetings
                        .into_iter()
                        .filter(|m| {
                            typed.is_empty()
                                || m.title.to_lowercase().contains(&typed)
                                || m.id.to_string().contains(&typed)
                        })
                        .map(|m| {
                            Choice::string(
                                format!("{} · {}", m.title, m.kind.label()),
                                m.id.to_string(),
                            )
                        });
                    Outcome::reply(InteractionResponse::autocomplete(choices))
                }
                Err(err) => self.failed(err.into()),
            },
            Action::SuggestConfigKeys { typed } => {
                let typed = typed.to_lowercase();
                let choices = self
                    .services
                    .config()
                    .settable_keys()
                    .into_iter()
                    .filter(|key| key.key.to_lowercase().contains(&typed))
                    .map(|key| Choice::string(format!("{} — {}", key.key, key.expects), key.key));
                Outcome::reply(InteractionResponse::autocomplete(choices))
            }
            Action::VideoSearch { query, limit } => {
                if circuit_open() {
                    return Outcome::message(notice(KALTURA_UNAVAILABLE));
                }
                self.defer(
                    InteractionResponse::deferred_message(true),
                    Work::SearchVideos { query, limit },
                )
            }
            Action::VideoShare { entry } => {
                if circuit_open() {
                    return Outcome::message(notice(KALTURA_UNAVAILABLE));
                }
                self.defer(
                    InteractionResponse::deferred_message(false),
                    Work::ShareVideo { entry },
                )
            }
            Action::VideoWatch { entry } => self.watch_together(&entry),
            Action::SuggestVideos { typed } => self.suggest_videos(&typed),
        }
    }

    /// Watch together: from a voice or stage channel on a server with Activities on,
    /// the channel's video is recorded and the Activity launched (`LAUNCH_ACTIVITY`);
    /// otherwise the player page's link, with why. Answered at once (no Kaltura call:
    /// the Activity checks the entry when it asks for the member's playback session).
    fn watch_together(&self, entry: &str) -> Outcome {
        let settings = match self.services.config().get(self.guild()) {
            Ok(settings) => settings,
            Err(err) => return self.failed(err.into()),
        };
        let why = match (self.caller.in_voice_channel, self.caller.channel_id) {
            (true, Some(channel)) if settings.features.activity => {
                return match self.services.watch().request_video(
                    self.guild(),
                    channel.get(),
                    entry,
                    self.caller.member.user_id,
                ) {
                    Ok(()) => Outcome::reply(InteractionResponse::launch_activity()),
                    Err(err) => self.failed(err.into()),
                };
            }
            (true, Some(_)) => NoActivity::ActivitiesOff,
            _ => NoActivity::NotVoice,
        };
        let url = self.links.player_page(entry, &self.caller);
        self.built(videos::watch_link(why, url.as_deref()))
    }

    /// Titles of the server's videos matching what the member typed (the service's
    /// own session, within the server's categories).
    fn suggest_videos(&self, typed: &str) -> Outcome {
        if typed.chars().count() < 2 || self.services.kaltura().circuit_open() {
            return Outcome::reply(InteractionResponse::autocomplete([]));
        }
        let categories = match self.services.config().get(self.guild()) {
            Ok(settings) => settings.kaltura.category_ids,
            Err(err) => return self.failed(err.into()),
        };
        let scope = MediaScope {
            category_ids: categories,
            kaltura_user_id: None,
        };
        match self.services.kaltura().search_media(typed, 1, &scope) {
            Ok(page) => {
                let choices = page.entries.into_iter().map(|entry| {
                    let name: String = entry.name.chars().take(100).collect();
                    Choice::string(name.clone(), name)
                });
                Outcome::reply(InteractionResponse::autocomplete(choices))
            }
            Err(err) => self.failed(err.into()),
        }
    }

    /// The server's share card for `meeting`, rendered by `config`.
    fn share(&self, meeting: &Meeting) -> Outcome {
        let values = render::share_values(meeting, &self.caller);
        match self.services.config().render_message(
            self.guild(),
            MessageKind::MeetingShare,
            &values,
        ) {
            Ok(Some(message)) => self.built(render::share(meeting, message)),
            Ok(None) => {
                self.failed(Error::other("the config service rendered no share card").into())
            }
            Err(err) => self.failed(err.into()),
        }
    }
}

mod settings;
mod subscriptions;

#[cfg(test)]
mod tests;
