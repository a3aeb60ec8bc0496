//! Sans-I/O Discord REST v10: request builders returning `http::Request<Vec<u8>>`
//! and [`classify`] / [`decode`] for the `http::Response<Vec<u8>>` that comes back.
//! Sending is the caller's (through its outbound-HTTP port).
//!
//! Every request goes to `{base}/api/v10/...` with
//! `User-Agent: DiscordBot (<url>, <version>)`, and `Content-Type: application/json`
//! when it has a JSON body (<https://discord.com/developers/docs/reference#http-api>).
//! Tokens go only into the `Authorization` header (marked sensitive) or, for
//! interaction and webhook tokens, the percent-encoded path; no error carries one.
//!
//! Two rules every component that calls Discord shares, written once here:
//! [`base_url`] reads the `discord_base_url` setting, and [`retry`] decides whether and
//! when a failed call is tried again (Discord's `429` `retry_after`, `5xx` backoff).

mod endpoints;
mod oauth;
mod outcome;
pub mod retry;

pub use oauth::TokenResponse;
pub use outcome::{classify, decode, ApiError};
pub use retry::{retry_after_secs, Failure, GiveUp, NextTry, RetryPolicy};

use base64::Engine;
use http::header::{AUTHORIZATION, CONTENT_TYPE, USER_AGENT};
use http::{HeaderValue, Method, Request, Uri};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde::Deserialize;

use crate::commands::CommandError;
use crate::id::{ApplicationId, ChannelId, WebhookId};
use crate::token::{AccessToken, BotToken, ClientSecret, WebhookToken};

/// The API version prefix of every path.
pub const API_PREFIX: &str = "/api/v10";

/// Discord's origin, used when the `discord_base_url` setting is unset or blank.
pub const DEFAULT_BASE_URL: &str = "https://discord.com";

/// The `discord_base_url` setting (a Spin variable, or `DISCORD_BASE_URL` for
/// `register-commands`), read the same way by every component: unset or blank is
/// [`DEFAULT_BASE_URL`]; anything else must be an origin, `http(s)://host[:port]`
/// (surrounding whitespace and a trailing `/` are ignored), with no path, query,
/// fragment or credentials — the API paths are Discord's own. Returns the origin as
/// [`Client::new`] takes it.
///
/// # Errors
/// [`RestError::InvalidBaseUrl`] for a value that is not such an origin.
pub fn base_url(setting: Option<&str>) -> Result<String, RestError> {
    match setting.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(DEFAULT_BASE_URL.to_owned()),
        Some(value) => origin(value),
    }
}

/// `http(s)://host[:port]`, normalized without a trailing `/`.
fn origin(value: &str) -> Result<String, RestError> {
    let trimmed = value.trim();
    let uri: Uri = trimmed.parse().map_err(|_| RestError::InvalidBaseUrl)?;
    let (Some(scheme @ ("http" | "https")), Some(authority)) = (uri.scheme_str(), uri.authority())
    else {
        return Err(RestError::InvalidBaseUrl);
    };
    let bare = matches!(uri.path(), "" | "/") && uri.query().is_none();
    if !bare || authority.as_str().contains('@') || trimmed.contains(['#', '?']) {
        return Err(RestError::InvalidBaseUrl);
    }
    Ok(format!("{scheme}://{authority}"))
}

/// Characters left as they are in a path segment (RFC 3986 unreserved).
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Why a request could not be built. Never contains a token or a body.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RestError {
    /// The base URL is not an origin, `http(s)://host[:port]` (see [`base_url`]).
    #[error("the Discord base URL must be http(s)://host[:port], without a path")]
    InvalidBaseUrl,
    /// The User-Agent parts do not fit in a header.
    #[error("the User-Agent URL and version must be visible ASCII")]
    InvalidUserAgent,
    /// The command list breaks one of Discord's rules.
    #[error(transparent)]
    InvalidCommand(#[from] CommandError),
    /// `EPHEMERAL` is only for interaction responses and follow-ups.
    #[error("the EPHEMERAL flag is only valid for interaction responses and follow-ups")]
    EphemeralNotAllowed,
    /// A required parameter is empty.
    #[error("the {0} must not be empty")]
    EmptyParameter(&'static str),
    /// A webhook name is not 1-80 chars or contains "clyde" or "discord".
    #[error("a webhook name must be 1-80 characters without \"clyde\" or \"discord\"")]
    InvalidWebhookName,
    /// The body could not be serialized.
    #[error("the request body could not be serialized")]
    Serialize,
    /// The request could not be assembled (e.g. a character a URI cannot hold).
    #[error("the request could not be assembled")]
    Assemble,
}

/// How a request authenticates.
enum Auth<'a> {
    /// None: the token is in the path (interaction and webhook routes).
    None,
    /// `Authorization: Bot <token>`.
    Bot(&'a BotToken),
    /// `Authorization: Bearer <token>`.
    Bearer(&'a AccessToken),
    /// HTTP Basic with the OAuth2 client credentials.
    Basic(ApplicationId, &'a ClientSecret),
}

/// A request body.
enum Body {
    None,
    Json(Vec<u8>),
    Form(String),
}

impl Body {
    fn json<T: serde::Serialize + ?Sized>(value: &T) -> Result<Self, RestError> {
        serde_json::to_vec(value)
            .map(Self::Json)
            .map_err(|_| RestError::Serialize)
    }
}

/// A webhook as returned by Create Webhook (partial)
/// (<https://discord.com/developers/docs/resources/webhook#webhook-object>).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, serde::Serialize)]
pub struct Webhook {
    /// The webhook's ID.
    pub id: WebhookId,
    /// Its secret token (present for incoming webhooks the bot created).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<WebhookToken>,
    /// The channel it posts to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel_id: Option<ChannelId>,
    /// The application that created it, for app-owned webhooks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub application_id: Option<ApplicationId>,
}

/// Builds Discord REST requests for one base URL and User-Agent.
#[derive(Clone, Debug)]
pub struct Client {
    base: String,
    user_agent: HeaderValue,
}

impl Client {
    /// A client for the origin `base_url` (e.g. `https://discord.com`, or a local fake
    /// in tests; read a setting with [`base_url`]) that identifies as
    /// `DiscordBot (<project_url>, <version>)`.
    ///
    /// # Errors
    /// [`RestError::InvalidBaseUrl`] (the rule of [`base_url`]; an empty value is
    /// refused here) or [`RestError::InvalidUserAgent`].
    pub fn new(base_url: &str, project_url: &str, version: &str) -> Result<Self, RestError> {
        let base = origin(base_url)?;
        let user_agent = HeaderValue::from_str(&format!("DiscordBot ({project_url}, {version})"))
            .map_err(|_| RestError::InvalidUserAgent)?;
        Ok(Self { base, user_agent })
    }

    /// The full URL of an API path (which starts with `/`).
    fn url(&self, path: &str) -> String {
        format!("{}{API_PREFIX}{path}", self.base)
    }

    fn build(
        &self,
        method: Method,
        path: &str,
        auth: Auth<'_>,
        body: Body,
    ) -> Result<Request<Vec<u8>>, RestError> {
        let mut builder = Request::builder()
            .method(method)
            .uri(self.url(path))
            .header(USER_AGENT, self.user_agent.clone());
        let credentials = match auth {
            Auth::None => None,
            Auth::Bot(token) => Some(format!("Bot {}", token.expose_secret())),
            Auth::Bearer(token) => Some(format!("Bearer {}", token.expose_secret())),
            Auth::Basic(client_id, secret) => {
                let pair = format!("{client_id}:{}", secret.expose_secret());
                Some(format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD.encode(pair)
                ))
            }
        };
        if let Some(credentials) = credentials {
            let mut value = HeaderValue::from_str(&credentials).map_err(|_| RestError::Assemble)?;
            value.set_sensitive(true);
            builder = builder.header(AUTHORIZATION, value);
        }
        let bytes = match body {
            Body::None => Vec::new(),
            Body::Json(bytes) => {
                builder = builder.header(CONTENT_TYPE, "application/json");
                bytes
            }
            Body::Form(text) => {
                builder = builder.header(CONTENT_TYPE, "application/x-www-form-urlencoded");
                text.into_bytes()
            }
        };
        builder.body(bytes).map_err(|_| RestError::Assemble)
    }
}

/// A secret for a URL path segment, percent-encoded.
fn segment(secret: &str) -> String {
    utf8_percent_encode(secret, SEGMENT).to_string()
}

#[cfg(test)]
mod tests;
