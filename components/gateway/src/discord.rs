//! Talking to Discord's REST API from the gateway: the settings it needs, sending a
//! request built by `discord_api` through the backend's outbound port, and turning
//! Discord's failures into this API's errors. Tokens and secrets only ever travel in
//! the requests `discord_api` builds; no error or log line carries one.

use crate::backend::Backend;
use crate::reply::Problem;
use common::ApiError;
use discord_api::id::{ApplicationId, ChannelId};
use discord_api::rest::{self, Client, RestError};
use discord_api::token::{BotToken, ClientSecret};
use http::header::{AUTHORIZATION, USER_AGENT};

/// The base URL of Discord's API (a fake in tests).
pub const BASE_URL: &str = "discord_base_url";
/// The application (OAuth2 client) ID.
pub const APPLICATION_ID: &str = "discord_application_id";
/// The bot token (secret).
pub const BOT_TOKEN: &str = "discord_bot_token";
/// The OAuth2 client secret (secret).
pub const CLIENT_SECRET: &str = "discord_client_secret";
/// The redirect URI registered for the sign-in, used when a request names none.
pub const REDIRECT_URI: &str = "discord_oauth_redirect_uri";

/// The bot's side of Discord: requests made with the bot token.
pub struct Bot {
    /// Builds the requests.
    pub client: Client,
    base: String,
    token: BotToken,
}

/// The OAuth2 application: the code exchange.
pub struct OAuthApp {
    /// The client ID.
    pub application: ApplicationId,
    /// The client secret.
    pub secret: ClientSecret,
    /// The registered redirect URI to send when a request names none.
    pub default_redirect: Option<String>,
}

fn user_agent() -> String {
    format!(
        "DiscordBot ({}, {})",
        env!("CARGO_PKG_REPOSITORY"),
        env!("CARGO_PKG_VERSION")
    )
}

/// Reads the Discord settings; with `oauth`, also the OAuth2 client credentials.
///
/// # Errors
/// `503 not_configured` naming every missing or unusable setting.
pub fn settings(
    setting: impl Fn(&str) -> Option<String>,
    oauth: bool,
) -> Result<(Bot, Option<OAuthApp>), Problem> {
    let mut missing = Vec::new();
    let client = rest::base_url(setting(BASE_URL).as_deref()).and_then(|base| {
        let client = Client::new(
            &base,
            env!("CARGO_PKG_REPOSITORY"),
            env!("CARGO_PKG_VERSION"),
        )?;
        Ok((client, base))
    });
    if client.is_err() {
        missing.push(BASE_URL.to_owned());
    }
    let token = setting(BOT_TOKEN).and_then(|t| BotToken::new(&t).ok());
    if token.is_none() {
        missing.push(BOT_TOKEN.to_owned());
    }
    let mut app = None;
    if oauth {
        let application = setting(APPLICATION_ID).and_then(|id| id.trim().parse().ok());
        if application.is_none() {
            missing.push(APPLICATION_ID.to_owned());
        }
        let secret = setting(CLIENT_SECRET).and_then(|s| ClientSecret::new(&s).ok());
        if secret.is_none() {
            missing.push(CLIENT_SECRET.to_owned());
        }
        if let (Some(application), Some(secret)) = (application, secret) {
            app = Some(OAuthApp {
                application,
                secret,
                default_redirect: setting(REDIRECT_URI).map(|r| r.trim().to_owned()),
            });
        }
    }
    match (client, token) {
        (Ok((client, base)), Some(token)) if missing.is_empty() => Ok((
            Bot {
                client,
                base,
                token,
            },
            app,
        )),
        _ => Err(ApiError::not_configured(&missing).into()),
    }
}

impl Bot {
    /// The bot token, for `discord_api`'s request builders.
    pub fn token(&self) -> &BotToken {
        &self.token
    }

    /// `GET /channels/{channel}` as the bot (`discord_api` has no builder for it).
    ///
    /// # Errors
    /// When the request cannot be assembled.
    pub fn get_channel(&self, channel: ChannelId) -> Result<http::Request<Vec<u8>>, RestError> {
        let mut authorization =
            http::HeaderValue::from_str(&format!("Bot {}", self.token.expose_secret()))
                .map_err(|_| RestError::Assemble)?;
        authorization.set_sensitive(true);
        http::Request::builder()
            .method(http::Method::GET)
            .uri(format!(
                "{}{}/channels/{channel}",
                self.base,
                rest::API_PREFIX
            ))
            .header(USER_AGENT, user_agent())
            .header(AUTHORIZATION, authorization)
            .body(Vec::new())
            .map_err(|_| RestError::Assemble)
    }
}

/// `POST /oauth2/token` for an authorization code. With no redirect URI (the flow a
/// Discord Activity uses) the form carries none: `discord_api` builds the request with
/// a placeholder, which is then taken out of the form again.
///
/// # Errors
/// When the request cannot be assembled (an empty code).
pub fn exchange_code(
    client: &Client,
    app: &OAuthApp,
    code: &str,
    redirect_uri: Option<&str>,
) -> Result<http::Request<Vec<u8>>, RestError> {
    let redirect = redirect_uri.or(app.default_redirect.as_deref());
    let placeholder = "urn:kaltura-discord:no-redirect";
    let request = client.exchange_code(
        app.application,
        &app.secret,
        code,
        redirect.unwrap_or(placeholder),
    )?;
    if redirect.is_some() {
        return Ok(request);
    }
    let (parts, body) = request.into_parts();
    let form: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form_urlencoded::parse(&body).filter(|(name, _)| name != "redirect_uri"))
        .finish();
    Ok(http::Request::from_parts(parts, form.into_bytes()))
}

/// Sends a request to Discord.
///
/// # Errors
/// `500` when the request could not be built; `502 discord_unavailable` when Discord
/// cannot be reached.
pub async fn send<B: Backend>(
    backend: &B,
    request: Result<http::Request<Vec<u8>>, RestError>,
) -> Result<http::Response<Vec<u8>>, Problem> {
    let request = request.map_err(|err| {
        Problem::from(ApiError::internal(
            "a request to Discord could not be built",
        ))
        .logged(err.to_string())
    })?;
    backend.send(request).await.map_err(|why| {
        Problem::from(ApiError::new(
            502,
            "discord_unavailable",
            "Discord could not be reached; try again",
        ))
        .logged(why)
    })
}

/// The error for a Discord failure that no step treats specially.
pub fn upstream(step: &str, err: &rest::ApiError) -> Problem {
    match err {
        rest::ApiError::RateLimited { retry_after, .. } => {
            let secs = rest::retry_after_secs(*retry_after);
            Problem::from(ApiError::new(
                503,
                "discord_rate_limited",
                format!("Discord is rate limiting {step}; retry after {secs} s"),
            ))
            .with("retry-after", secs.to_string())
        }
        rest::ApiError::ServerError(_) => Problem::from(ApiError::new(
            502,
            "discord_unavailable",
            format!("Discord failed {step}; try again"),
        ))
        .logged(err.to_string()),
        rest::ApiError::Decode => Problem::from(ApiError::new(
            502,
            "discord_unexpected",
            format!("Discord's answer to {step} could not be read"),
        )),
        other => Problem::from(ApiError::new(
            502,
            "discord_refused",
            format!("Discord refused {step}"),
        ))
        .logged(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(name: &str) -> Option<String> {
        match name {
            BASE_URL => Some("http://127.0.0.1:9".into()),
            APPLICATION_ID => Some("1100000000000000001".into()),
            BOT_TOKEN => Some("bot-token".into()),
            CLIENT_SECRET => Some("client-secret".into()),
            _ => None,
        }
    }

    #[test]
    fn every_missing_setting_is_named_at_once() {
        let Err(problem) = settings(|_| None, true) else {
            panic!("settings without values")
        };
        assert_eq!(problem.error.status, 503);
        for name in [BOT_TOKEN, APPLICATION_ID, CLIENT_SECRET] {
            assert!(problem.error.message.contains(name), "{name}");
        }
        assert!(settings(all, true).is_ok());
        assert!(settings(|n| (n == BOT_TOKEN).then(|| "t".to_owned()), false).is_ok());
    }

    #[test]
    fn without_a_redirect_uri_the_form_has_none() {
        let (bot, app) = settings(all, true).unwrap();
        let app = app.unwrap();
        let request = exchange_code(&bot.client, &app, "the-code", None).unwrap();
        let form = String::from_utf8(request.body().clone()).unwrap();
        assert_eq!(form, "grant_type=authorization_code&code=the-code");
        assert!(request.headers()[AUTHORIZATION].is_sensitive());
        let with = exchange_code(&bot.client, &app, "c", Some("https://a.example/cb")).unwrap();
        let form = String::from_utf8(with.body().clone()).unwrap();
        assert!(
            form.contains("redirect_uri=https%3A%2F%2Fa.example%2Fcb"),
            "{form}"
        );
    }

    #[test]
    fn the_channel_request_carries_the_bot_token_only_in_a_sensitive_header() {
        let (bot, _) = settings(all, false).unwrap();
        let request = bot
            .get_channel("300000000000000003".parse().unwrap())
            .unwrap();
        assert_eq!(
            request.uri().to_string(),
            "http://127.0.0.1:9/api/v10/channels/300000000000000003"
        );
        assert_eq!(request.headers()[AUTHORIZATION], "Bot bot-token");
        assert!(request.headers()[AUTHORIZATION].is_sensitive());
    }

    #[test]
    fn an_unusable_base_url_is_named_as_not_configured() {
        let no_client = |name: &str| match name {
            BASE_URL => Some("discord.com".into()),
            BOT_TOKEN => Some("t".into()),
            _ => None,
        };
        let Err(problem) = settings(no_client, false) else {
            panic!("a base URL without a scheme")
        };
        assert!(problem.error.message.contains(BASE_URL));
    }

    #[test]
    fn discord_rate_limits_become_a_503_with_retry_after() {
        let problem = upstream(
            "the sign-in",
            &rest::ApiError::RateLimited {
                retry_after: std::time::Duration::from_millis(1500),
                global: false,
            },
        );
        assert_eq!(problem.error.status, 503);
        assert_eq!(problem.headers, vec![("retry-after", "2".to_owned())]);
    }
}
