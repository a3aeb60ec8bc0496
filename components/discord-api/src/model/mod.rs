//! Incoming interactions, modelled as twilight-model does and parsed into one
//! [`Interaction`] enum to `match` on.
//!
//! Spec: <https://discord.com/developers/docs/interactions/receiving-and-responding#interaction-object>.
//! Verify the signature ([`crate::signature`]) before parsing.

mod channel;
mod command;
mod component;
mod guild;
mod kinds;
mod message;
mod user;

pub use channel::Channel;
pub use command::{CommandData, CommandDataOption, OptionValue};
pub use component::{ComponentData, ModalSubmitData, SubmittedComponent};
pub use guild::{base_permissions, Guild, Role};
pub use kinds::{
    CommandType, ComponentType, IntegrationType, InteractionContextType, InteractionType,
    OptionType,
};
pub use message::{Message, MessageFlags};
pub use user::{Member, User};

use http::StatusCode;
use serde::{Deserialize, Serialize};

use crate::id::{ApplicationId, ChannelId, GuildId, InteractionId};
use crate::permissions::Permissions;
use crate::token::InteractionToken;

/// A parsed interaction, one variant per interaction type.
#[derive(Clone, Debug, PartialEq)]
pub enum Interaction {
    /// `PING` (type 1): answer with [`crate::response::InteractionResponse::pong`].
    Ping,
    /// `APPLICATION_COMMAND` (type 2).
    Command(Box<Incoming<CommandData>>),
    /// `MESSAGE_COMPONENT` (type 3).
    Component(Box<Incoming<ComponentData>>),
    /// `APPLICATION_COMMAND_AUTOCOMPLETE` (type 4).
    Autocomplete(Box<Incoming<CommandData>>),
    /// `MODAL_SUBMIT` (type 5).
    ModalSubmit(Box<Incoming<ModalSubmitData>>),
}

/// An interaction's type-specific `data` with the fields every non-PING interaction
/// shares.
#[derive(Clone, Debug, PartialEq)]
pub struct Incoming<D> {
    /// The shared fields.
    pub envelope: Envelope,
    /// The type-specific data.
    pub data: D,
}

/// The fields every non-PING interaction shares.
#[derive(Clone, Debug, PartialEq)]
pub struct Envelope {
    /// The interaction's ID.
    pub id: InteractionId,
    /// The application it is for.
    pub application_id: ApplicationId,
    /// The continuation token (15 minutes), for responses and follow-ups.
    pub token: InteractionToken,
    /// Always 1.
    pub version: u8,
    /// The guild it was sent from, if any.
    pub guild_id: Option<GuildId>,
    /// The channel it was sent from.
    pub channel_id: Option<ChannelId>,
    /// The invoking member, in guilds.
    pub member: Option<Member>,
    /// The invoking user, in DMs only (in guilds see `member.user`).
    pub user: Option<User>,
    /// The message a component was on.
    pub message: Option<Message>,
    /// The invoking user's language.
    pub locale: Option<String>,
    /// The guild's preferred language.
    pub guild_locale: Option<String>,
    /// The app's permissions in the channel.
    pub app_permissions: Option<Permissions>,
    /// Where the interaction happened.
    pub context: Option<InteractionContextType>,
    /// The type of the channel it was sent from (`channel.type`): 2 a voice channel,
    /// 13 a stage, 0 a text channel, ...
    pub channel_type: Option<u16>,
}

/// `channel.type` of a voice channel (`GUILD_VOICE`).
pub const CHANNEL_TYPE_VOICE: u16 = 2;
/// `channel.type` of a stage channel (`GUILD_STAGE_VOICE`).
pub const CHANNEL_TYPE_STAGE: u16 = 13;

/// The interaction's `channel` (partial): only its type is read.
#[derive(Clone, Copy, Serialize, Deserialize)]
struct WireChannel {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    id: Option<ChannelId>,
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    kind: Option<u16>,
}

impl Envelope {
    /// Whether it was sent from a voice or stage channel (where an Activity can run).
    pub fn from_voice_channel(&self) -> bool {
        matches!(
            self.channel_type,
            Some(CHANNEL_TYPE_VOICE | CHANNEL_TYPE_STAGE)
        )
    }

    /// The invoking user: `member.user` in guilds, `user` in DMs.
    pub fn invoker(&self) -> Option<&User> {
        self.member
            .as_ref()
            .and_then(|member| member.user.as_ref())
            .or(self.user.as_ref())
    }

    /// The invoker's name to show: guild nickname, then global name, then username.
    pub fn display_name(&self) -> Option<&str> {
        self.member
            .as_ref()
            .and_then(Member::display_name)
            .or_else(|| self.user.as_ref().map(User::display_name))
    }

    /// The invoking member's permissions in the channel (`None` outside guilds).
    pub fn member_permissions(&self) -> Option<Permissions> {
        self.member.as_ref().and_then(|member| member.permissions)
    }
}

/// What kind of JSON error a payload had, without any of its content.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JsonErrorKind {
    /// Not JSON.
    Syntax,
    /// JSON of the wrong shape (missing field, wrong type, invalid ID ...).
    Data,
    /// Cut short.
    Eof,
}

/// Why an interaction payload was not accepted. Never contains the payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// The body is not a well-formed interaction object.
    #[error("malformed interaction JSON ({kind:?}) at line {line} column {column}")]
    Json {
        /// The kind of error.
        kind: JsonErrorKind,
        /// Line of the error.
        line: usize,
        /// Column of the error.
        column: usize,
    },
    /// A required field is absent.
    #[error("the interaction has no `{0}`")]
    MissingField(&'static str),
    /// The `data` does not have the shape its interaction type requires.
    #[error("the interaction's data is malformed for its type")]
    MalformedData,
    /// An interaction type this crate does not handle.
    #[error("unsupported interaction type {0}")]
    UnsupportedType(u8),
}

impl ParseError {
    /// The HTTP status to answer with: `400 Bad Request`.
    pub const fn status(self) -> StatusCode {
        StatusCode::BAD_REQUEST
    }

    fn from_json(err: &serde_json::Error) -> Self {
        let kind = match err.classify() {
            serde_json::error::Category::Syntax | serde_json::error::Category::Io => {
                JsonErrorKind::Syntax
            }
            serde_json::error::Category::Data => JsonErrorKind::Data,
            serde_json::error::Category::Eof => JsonErrorKind::Eof,
        };
        Self::Json {
            kind,
            line: err.line(),
            column: err.column(),
        }
    }
}

/// The flat wire object, both directions. Only `type` is required so that a bare
/// `{"type":1}` PING parses.
#[derive(Serialize, Deserialize)]
struct Wire {
    #[serde(rename = "type")]
    kind: InteractionType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    id: Option<InteractionId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    application_id: Option<ApplicationId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    data: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    guild_id: Option<GuildId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    channel_id: Option<ChannelId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    member: Option<Member>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    user: Option<User>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    token: Option<InteractionToken>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    version: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    message: Option<Message>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    locale: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    guild_locale: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    app_permissions: Option<Permissions>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    context: Option<InteractionContextType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    channel: Option<WireChannel>,
}

impl Wire {
    fn split<D: serde::de::DeserializeOwned>(self) -> Result<Box<Incoming<D>>, ParseError> {
        let value = self.data.ok_or(ParseError::MissingField("data"))?;
        let data = serde_json::from_value(value).map_err(|_| ParseError::MalformedData)?;
        let envelope = Envelope {
            id: self.id.ok_or(ParseError::MissingField("id"))?,
            application_id: self
                .application_id
                .ok_or(ParseError::MissingField("application_id"))?,
            token: self.token.ok_or(ParseError::MissingField("token"))?,
            version: self.version.unwrap_or(1),
            guild_id: self.guild_id,
            channel_id: self.channel_id,
            member: self.member,
            user: self.user,
            message: self.message,
            locale: self.locale,
            guild_locale: self.guild_locale,
            app_permissions: self.app_permissions,
            context: self.context,
            channel_type: self.channel.and_then(|c| c.kind),
        };
        Ok(Box::new(Incoming { envelope, data }))
    }

    fn join<D: Serialize>(
        kind: InteractionType,
        incoming: &Incoming<D>,
    ) -> serde_json::Result<Self> {
        let e = incoming.envelope.clone();
        Ok(Self {
            kind,
            id: Some(e.id),
            application_id: Some(e.application_id),
            data: Some(serde_json::to_value(&incoming.data)?),
            guild_id: e.guild_id,
            channel_id: e.channel_id,
            member: e.member,
            user: e.user,
            token: Some(e.token),
            version: Some(e.version),
            message: e.message,
            locale: e.locale,
            guild_locale: e.guild_locale,
            app_permissions: e.app_permissions,
            context: e.context,
            channel: e.channel_type.map(|kind| WireChannel {
                id: e.channel_id,
                kind: Some(kind),
            }),
        })
    }
}

impl Interaction {
    /// Parses a (signature-verified) request body.
    ///
    /// # Errors
    /// [`ParseError`] if it is not JSON of an interaction's shape, lacks a field its
    /// type requires, or has a type this crate does not handle.
    pub fn from_slice(body: &[u8]) -> Result<Self, ParseError> {
        let wire: Wire = serde_json::from_slice(body).map_err(|e| ParseError::from_json(&e))?;
        match wire.kind {
            InteractionType::Ping => Ok(Self::Ping),
            InteractionType::ApplicationCommand => wire.split().map(Self::Command),
            InteractionType::MessageComponent => wire.split().map(Self::Component),
            InteractionType::ApplicationCommandAutocomplete => wire.split().map(Self::Autocomplete),
            InteractionType::ModalSubmit => wire.split().map(Self::ModalSubmit),
            InteractionType::Unknown(other) => Err(ParseError::UnsupportedType(other)),
        }
    }

    /// The interaction's type.
    pub fn kind(&self) -> InteractionType {
        match self {
            Self::Ping => InteractionType::Ping,
            Self::Command(_) => InteractionType::ApplicationCommand,
            Self::Component(_) => InteractionType::MessageComponent,
            Self::Autocomplete(_) => InteractionType::ApplicationCommandAutocomplete,
            Self::ModalSubmit(_) => InteractionType::ModalSubmit,
        }
    }

    /// The shared fields, for every type but PING.
    pub fn envelope(&self) -> Option<&Envelope> {
        match self {
            Self::Ping => None,
            Self::Command(i) | Self::Autocomplete(i) => Some(&i.envelope),
            Self::Component(i) => Some(&i.envelope),
            Self::ModalSubmit(i) => Some(&i.envelope),
        }
    }
}

/// Writes the wire object, e.g. for tests that sign a request to the bot. A PING is
/// written as `{"type":1}`.
impl Serialize for Interaction {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::Error;
        let kind = self.kind();
        let wire = match self {
            Self::Ping => Ok(Wire {
                kind,
                id: None,
                application_id: None,
                data: None,
                guild_id: None,
                channel_id: None,
                member: None,
                user: None,
                token: None,
                version: None,
                message: None,
                locale: None,
                guild_locale: None,
                app_permissions: None,
                context: None,
                channel: None,
            }),
            Self::Command(i) | Self::Autocomplete(i) => Wire::join(kind, i),
            Self::Component(i) => Wire::join(kind, i),
            Self::ModalSubmit(i) => Wire::join(kind, i),
        }
        .map_err(S::Error::custom)?;
        wire.serialize(serializer)
    }
}

#[cfg(test)]
mod tests;
