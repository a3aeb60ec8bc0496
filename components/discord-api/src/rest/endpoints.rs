//! The REST routes this app uses.

use http::{Method, Request};

use super::{segment, Auth, Body, Client, RestError};
use crate::commands::{validate_all, Command};
use crate::id::{ApplicationId, ChannelId, GuildId, InteractionId, UserId, WebhookId};
use crate::model::MessageFlags;
use crate::response::{InteractionResponse, MessageBody};
use crate::token::{AccessToken, BotToken, InteractionToken, WebhookToken};

/// Webhook names must not contain these (case-insensitive).
const RESERVED_WEBHOOK_WORDS: [&str; 2] = ["clyde", "discord"];
/// Longest webhook name.
const MAX_WEBHOOK_NAME: usize = 80;

fn no_ephemeral(body: &MessageBody) -> Result<(), RestError> {
    if body.flag_set().contains(MessageFlags::EPHEMERAL) {
        Err(RestError::EphemeralNotAllowed)
    } else {
        Ok(())
    }
}

impl Client {
    /// `POST /interactions/{id}/{token}/callback`: the initial response sent as its
    /// own request (then answer Discord's POST with `202` and no body). No
    /// `Authorization`.
    ///
    /// # Errors
    /// [`RestError::Serialize`] or [`RestError::Assemble`].
    pub fn create_interaction_response(
        &self,
        interaction: InteractionId,
        token: &InteractionToken,
        response: &InteractionResponse,
    ) -> Result<Request<Vec<u8>>, RestError> {
        let path = format!(
            "/interactions/{interaction}/{}/callback",
            segment(token.expose_secret())
        );
        self.build(Method::POST, &path, Auth::None, Body::json(response)?)
    }

    /// `PATCH /webhooks/{application}/{token}/messages/@original`: edit the initial
    /// response (how a deferred reply is finished). No `Authorization`.
    ///
    /// # Errors
    /// [`RestError::Serialize`] or [`RestError::Assemble`].
    pub fn edit_original_response(
        &self,
        application: ApplicationId,
        token: &InteractionToken,
        body: &MessageBody,
    ) -> Result<Request<Vec<u8>>, RestError> {
        let path = format!(
            "/webhooks/{application}/{}/messages/@original",
            segment(token.expose_secret())
        );
        self.build(Method::PATCH, &path, Auth::None, Body::json(body)?)
    }

    /// `DELETE /webhooks/{application}/{token}/messages/@original`. No
    /// `Authorization`.
    ///
    /// # Errors
    /// [`RestError::Assemble`].
    pub fn delete_original_response(
        &self,
        application: ApplicationId,
        token: &InteractionToken,
    ) -> Result<Request<Vec<u8>>, RestError> {
        let path = format!(
            "/webhooks/{application}/{}/messages/@original",
            segment(token.expose_secret())
        );
        self.build(Method::DELETE, &path, Auth::None, Body::None)
    }

    /// `POST /webhooks/{application}/{token}`: a follow-up message (may be
    /// ephemeral). No `Authorization`.
    ///
    /// # Errors
    /// [`RestError::Serialize`] or [`RestError::Assemble`].
    pub fn create_followup(
        &self,
        application: ApplicationId,
        token: &InteractionToken,
        body: &MessageBody,
    ) -> Result<Request<Vec<u8>>, RestError> {
        let path = format!("/webhooks/{application}/{}", segment(token.expose_secret()));
        self.build(Method::POST, &path, Auth::None, Body::json(body)?)
    }

    /// `POST /channels/{channel}/messages` as the bot (needs `VIEW_CHANNEL` and
    /// `SEND_MESSAGES` there).
    ///
    /// # Errors
    /// [`RestError::EphemeralNotAllowed`] if the body is ephemeral;
    /// [`RestError::Serialize`] or [`RestError::Assemble`].
    pub fn create_message(
        &self,
        bot: &BotToken,
        channel: ChannelId,
        body: &MessageBody,
    ) -> Result<Request<Vec<u8>>, RestError> {
        no_ephemeral(body)?;
        let path = format!("/channels/{channel}/messages");
        self.build(Method::POST, &path, Auth::Bot(bot), Body::json(body)?)
    }

    /// `POST /channels/{channel}/webhooks` as the bot (needs `MANAGE_WEBHOOKS`):
    /// creates an app-owned webhook, whose token is in the answer
    /// ([`crate::rest::Webhook`]).
    ///
    /// # Errors
    /// [`RestError::InvalidWebhookName`] unless `name` is 1-80 chars without
    /// "clyde" or "discord"; [`RestError::Serialize`] or [`RestError::Assemble`].
    pub fn create_webhook(
        &self,
        bot: &BotToken,
        channel: ChannelId,
        name: &str,
    ) -> Result<Request<Vec<u8>>, RestError> {
        let lower = name.to_lowercase();
        let length_ok = (1..=MAX_WEBHOOK_NAME).contains(&name.chars().count());
        if !length_ok || RESERVED_WEBHOOK_WORDS.iter().any(|w| lower.contains(w)) {
            return Err(RestError::InvalidWebhookName);
        }
        let path = format!("/channels/{channel}/webhooks");
        let body = Body::json(&serde_json::json!({ "name": name }))?;
        self.build(Method::POST, &path, Auth::Bot(bot), body)
    }

    /// `POST /webhooks/{webhook}/{token}?wait=true`: post through a webhook and get
    /// the message (and any error) back. No `Authorization`.
    ///
    /// # Errors
    /// [`RestError::EphemeralNotAllowed`]; [`RestError::Serialize`] or
    /// [`RestError::Assemble`].
    pub fn execute_webhook(
        &self,
        webhook: WebhookId,
        token: &WebhookToken,
        body: &MessageBody,
    ) -> Result<Request<Vec<u8>>, RestError> {
        no_ephemeral(body)?;
        let path = format!(
            "/webhooks/{webhook}/{}?wait=true",
            segment(token.expose_secret())
        );
        self.build(Method::POST, &path, Auth::None, Body::json(body)?)
    }

    /// `PUT /applications/{application}/commands`: replace all global commands.
    ///
    /// # Errors
    /// [`RestError::InvalidCommand`] if the list breaks Discord's rules;
    /// [`RestError::Serialize`] or [`RestError::Assemble`].
    pub fn bulk_overwrite_global_commands(
        &self,
        bot: &BotToken,
        application: ApplicationId,
        commands: &[Command],
    ) -> Result<Request<Vec<u8>>, RestError> {
        validate_all(commands)?;
        let path = format!("/applications/{application}/commands");
        self.build(Method::PUT, &path, Auth::Bot(bot), Body::json(commands)?)
    }

    /// `PUT /applications/{application}/guilds/{guild}/commands`: replace one guild's
    /// commands (they update instantly).
    ///
    /// # Errors
    /// As [`Client::bulk_overwrite_global_commands`].
    pub fn bulk_overwrite_guild_commands(
        &self,
        bot: &BotToken,
        application: ApplicationId,
        guild: GuildId,
        commands: &[Command],
    ) -> Result<Request<Vec<u8>>, RestError> {
        validate_all(commands)?;
        let path = format!("/applications/{application}/guilds/{guild}/commands");
        self.build(Method::PUT, &path, Auth::Bot(bot), Body::json(commands)?)
    }

    /// `GET /guilds/{guild}/members/{user}` as the bot; decode the answer as
    /// [`crate::model::Member`].
    ///
    /// # Errors
    /// [`RestError::Assemble`].
    pub fn get_guild_member(
        &self,
        bot: &BotToken,
        guild: GuildId,
        user: UserId,
    ) -> Result<Request<Vec<u8>>, RestError> {
        let path = format!("/guilds/{guild}/members/{user}");
        self.build(Method::GET, &path, Auth::Bot(bot), Body::None)
    }

    /// `GET /guilds/{guild}` as the bot; decode the answer as [`crate::model::Guild`]
    /// (its owner decides base permissions).
    ///
    /// # Errors
    /// [`RestError::Assemble`].
    pub fn get_guild(&self, bot: &BotToken, guild: GuildId) -> Result<Request<Vec<u8>>, RestError> {
        let path = format!("/guilds/{guild}");
        self.build(Method::GET, &path, Auth::Bot(bot), Body::None)
    }

    /// `GET /channels/{channel}` as the bot; decode the answer as
    /// [`crate::model::Channel`] (its `guild_id` says which server it belongs to).
    /// Discord answers 404 for a channel that does not exist and 403 (or 404) for one
    /// the bot cannot see.
    ///
    /// # Errors
    /// [`RestError::Assemble`].
    pub fn get_channel(
        &self,
        bot: &BotToken,
        channel: ChannelId,
    ) -> Result<Request<Vec<u8>>, RestError> {
        let path = format!("/channels/{channel}");
        self.build(Method::GET, &path, Auth::Bot(bot), Body::None)
    }

    /// `GET /guilds/{guild}/roles` as the bot; decode the answer as a list of
    /// [`crate::model::Role`].
    ///
    /// # Errors
    /// [`RestError::Assemble`].
    pub fn get_guild_roles(
        &self,
        bot: &BotToken,
        guild: GuildId,
    ) -> Result<Request<Vec<u8>>, RestError> {
        let path = format!("/guilds/{guild}/roles");
        self.build(Method::GET, &path, Auth::Bot(bot), Body::None)
    }

    /// `GET /users/@me` with a user's OAuth2 access token; decode the answer as
    /// [`crate::model::User`].
    ///
    /// # Errors
    /// [`RestError::Assemble`].
    pub fn get_current_user(&self, access: &AccessToken) -> Result<Request<Vec<u8>>, RestError> {
        self.build(Method::GET, "/users/@me", Auth::Bearer(access), Body::None)
    }
}
