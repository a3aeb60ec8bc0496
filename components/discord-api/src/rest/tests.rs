use super::*;
use crate::commands::{Command, CommandOption};
use crate::id::{ChannelId, GuildId, InteractionId, UserId};
use crate::response::{InteractionResponse, MessageBody};
use crate::token::InteractionToken;
use http::header::HeaderMap;
use serde_json::{json, Value};

const UA: &str = "DiscordBot (https://github.com/kaltura-discord/kaltura-discord, 0.1.0)";

fn client() -> Client {
    Client::new(
        "https://discord.com/",
        "https://github.com/kaltura-discord/kaltura-discord",
        "0.1.0",
    )
    .unwrap()
}

fn bot() -> BotToken {
    BotToken::new("MTk4NjIyNDgzNDcxOTI1MjQ4.Cl2FMQ.ZnCjm1XVW7vRze4b7Cq4se7kKWs").unwrap()
}

fn app() -> ApplicationId {
    ApplicationId::new(775_799_577_604_522_054).unwrap()
}

fn token() -> InteractionToken {
    InteractionToken::new("aW50ZXJhY3Rpb246ODY3.tok/en+x").unwrap()
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn json_body(request: &Request<Vec<u8>>) -> Value {
    serde_json::from_slice(request.body()).unwrap()
}

#[test]
fn editing_the_original_response_patches_without_authorization() {
    let r = client()
        .edit_original_response(app(), &token(), &MessageBody::text("Done"))
        .unwrap();
    assert_eq!(r.method(), Method::PATCH);
    assert_eq!(
        r.uri(),
        "https://discord.com/api/v10/webhooks/775799577604522054/aW50ZXJhY3Rpb246ODY3.tok%2Fen%2Bx/messages/@original"
    );
    assert!(r.headers().get(AUTHORIZATION).is_none());
    assert_eq!(header(r.headers(), "user-agent"), Some(UA));
    assert_eq!(
        header(r.headers(), "content-type"),
        Some("application/json")
    );
    assert_eq!(
        json_body(&r),
        json!({"content": "Done", "allowed_mentions": {"parse": []}})
    );
}

#[test]
fn a_followup_posts_to_the_interaction_webhook() {
    let r = client()
        .create_followup(app(), &token(), &MessageBody::text("More").ephemeral())
        .unwrap();
    assert_eq!(r.method(), Method::POST);
    assert_eq!(
        r.uri().path(),
        "/api/v10/webhooks/775799577604522054/aW50ZXJhY3Rpb246ODY3.tok%2Fen%2Bx"
    );
    assert!(r.headers().get(AUTHORIZATION).is_none());
    assert_eq!(json_body(&r)["flags"], 64);
    let delete = client().delete_original_response(app(), &token()).unwrap();
    assert_eq!(delete.method(), Method::DELETE);
    assert!(delete.headers().get(CONTENT_TYPE).is_none());
}

#[test]
fn an_interaction_callback_posts_the_response() {
    let id = InteractionId::new(1).unwrap();
    let r = client()
        .create_interaction_response(id, &token(), &InteractionResponse::deferred_message(true))
        .unwrap();
    assert_eq!(
        r.uri().path(),
        "/api/v10/interactions/1/aW50ZXJhY3Rpb246ODY3.tok%2Fen%2Bx/callback"
    );
    assert_eq!(json_body(&r), json!({"type": 5, "data": {"flags": 64}}));
}

#[test]
fn a_channel_message_is_sent_as_the_bot() {
    let channel = ChannelId::new(41_771_983_423_143_937).unwrap();
    let r = client()
        .create_message(&bot(), channel, &MessageBody::text("Webinar starts"))
        .unwrap();
    assert_eq!(r.method(), Method::POST);
    assert_eq!(
        r.uri(),
        "https://discord.com/api/v10/channels/41771983423143937/messages"
    );
    assert_eq!(
        header(r.headers(), "authorization"),
        Some("Bot MTk4NjIyNDgzNDcxOTI1MjQ4.Cl2FMQ.ZnCjm1XVW7vRze4b7Cq4se7kKWs")
    );
    assert!(r.headers()[AUTHORIZATION].is_sensitive());
    assert_eq!(
        header(r.headers(), "content-type"),
        Some("application/json")
    );
    assert_eq!(
        client()
            .create_message(&bot(), channel, &MessageBody::text("x").ephemeral())
            .unwrap_err(),
        RestError::EphemeralNotAllowed
    );
}

#[test]
fn a_request_debug_print_hides_the_bot_token() {
    let channel = ChannelId::new(1).unwrap();
    let r = client()
        .create_message(&bot(), channel, &MessageBody::text("x"))
        .unwrap();
    let printed = format!("{r:?}");
    assert!(
        !printed.contains("ZnCjm1XVW7vRze4b7Cq4se7kKWs"),
        "{printed}"
    );
}

#[test]
fn commands_are_bulk_overwritten_globally_and_per_guild_after_validation() {
    let commands = [Command::chat_input("meeting", "Kaltura meetings")];
    let r = client()
        .bulk_overwrite_global_commands(&bot(), app(), &commands)
        .unwrap();
    assert_eq!(r.method(), Method::PUT);
    assert_eq!(
        r.uri().path(),
        "/api/v10/applications/775799577604522054/commands"
    );
    assert_eq!(
        json_body(&r),
        json!([{"type": 1, "name": "meeting", "description": "Kaltura meetings"}])
    );
    let guild = GuildId::new(9).unwrap();
    let r = client()
        .bulk_overwrite_guild_commands(&bot(), app(), guild, &commands)
        .unwrap();
    assert_eq!(
        r.uri().path(),
        "/api/v10/applications/775799577604522054/guilds/9/commands"
    );
    assert_eq!(
        header(r.headers(), "authorization").map(|v| v.starts_with("Bot ")),
        Some(true)
    );
    let bad = [Command::chat_input("Meeting", "x").option(CommandOption::string("a", "b"))];
    let err = client()
        .bulk_overwrite_global_commands(&bot(), app(), &bad)
        .unwrap_err();
    assert!(matches!(err, RestError::InvalidCommand(_)));
}

#[test]
fn a_guild_member_is_fetched_as_the_bot() {
    let r = client()
        .get_guild_member(&bot(), GuildId::new(5).unwrap(), UserId::new(6).unwrap())
        .unwrap();
    assert_eq!(r.method(), Method::GET);
    assert_eq!(r.uri().path(), "/api/v10/guilds/5/members/6");
    assert!(r.body().is_empty());
    assert!(r.headers().get(CONTENT_TYPE).is_none());
    assert_eq!(header(r.headers(), "user-agent"), Some(UA));
}

#[test]
fn a_channel_is_fetched_as_the_bot() {
    let r = client()
        .get_channel(&bot(), ChannelId::new(7).unwrap())
        .unwrap();
    assert_eq!(r.method(), Method::GET);
    assert_eq!(r.uri(), "https://discord.com/api/v10/channels/7");
    assert!(r.body().is_empty());
    assert_eq!(
        header(r.headers(), "authorization"),
        Some("Bot MTk4NjIyNDgzNDcxOTI1MjQ4.Cl2FMQ.ZnCjm1XVW7vRze4b7Cq4se7kKWs")
    );
    assert!(r.headers()[AUTHORIZATION].is_sensitive());
}

#[test]
fn the_current_user_is_fetched_with_a_bearer_token() {
    let access = AccessToken::new("6qrZcUqja7812RVdnEKjpzOL4CvHBFG").unwrap();
    let r = client().get_current_user(&access).unwrap();
    assert_eq!(r.uri(), "https://discord.com/api/v10/users/@me");
    assert_eq!(
        header(r.headers(), "authorization"),
        Some("Bearer 6qrZcUqja7812RVdnEKjpzOL4CvHBFG")
    );
}

#[test]
fn a_code_exchange_is_form_encoded_with_basic_credentials() {
    let secret = ClientSecret::new("s3cr3t").unwrap();
    let r = client()
        .exchange_code(
            ApplicationId::new(157_730_590_492_196_864).unwrap(),
            &secret,
            "NhhvTDYsFcdgNLnnLijcl7Ku7bEEeee",
            "https://example.com/callback?x=1&y=2",
        )
        .unwrap();
    assert_eq!(r.method(), Method::POST);
    assert_eq!(r.uri(), "https://discord.com/api/v10/oauth2/token");
    assert_eq!(
        header(r.headers(), "content-type"),
        Some("application/x-www-form-urlencoded")
    );
    // base64("157730590492196864:s3cr3t")
    assert_eq!(
        header(r.headers(), "authorization"),
        Some("Basic MTU3NzMwNTkwNDkyMTk2ODY0OnMzY3IzdA==")
    );
    assert_eq!(
        std::str::from_utf8(r.body()).unwrap(),
        "grant_type=authorization_code&code=NhhvTDYsFcdgNLnnLijcl7Ku7bEEeee&redirect_uri=https%3A%2F%2Fexample.com%2Fcallback%3Fx%3D1%26y%3D2"
    );
    let empty = client().exchange_code(ApplicationId::new(1).unwrap(), &secret, "", "https://x");
    assert_eq!(
        empty.unwrap_err(),
        RestError::EmptyParameter("authorization code")
    );
}

#[test]
fn a_token_response_decodes_and_hides_its_tokens() {
    let body = r#"{"access_token":"6qrZcUqja7812RVdnEKjpzOL4CvHBFG","token_type":"Bearer",
        "expires_in":604800,"refresh_token":"D43f5y0ahjqew82jZ4NViEr2YafMKhue","scope":"identify"}"#;
    let response = http::Response::builder()
        .status(200)
        .body(body.as_bytes().to_vec())
        .unwrap();
    let tokens: TokenResponse = decode(response).unwrap();
    assert_eq!(
        tokens.access_token.expose_secret(),
        "6qrZcUqja7812RVdnEKjpzOL4CvHBFG"
    );
    assert_eq!(tokens.expires_in, 604_800);
    let printed = format!("{tokens:?}");
    assert!(
        !printed.contains("6qrZ") && !printed.contains("D43f"),
        "{printed}"
    );
}

#[test]
fn a_webhook_is_created_and_executed_with_wait() {
    let channel = ChannelId::new(3).unwrap();
    let r = client()
        .create_webhook(&bot(), channel, "Kaltura events")
        .unwrap();
    assert_eq!(r.uri().path(), "/api/v10/channels/3/webhooks");
    assert_eq!(json_body(&r), json!({"name": "Kaltura events"}));
    assert_eq!(
        client()
            .create_webhook(&bot(), channel, "My Discord hook")
            .unwrap_err(),
        RestError::InvalidWebhookName
    );
    assert_eq!(
        client().create_webhook(&bot(), channel, "").unwrap_err(),
        RestError::InvalidWebhookName
    );

    let created: Webhook = serde_json::from_str(
        r#"{"id":"11","type":1,"token":"wh-tok","channel_id":"3","application_id":"4"}"#,
    )
    .unwrap();
    let token = created.token.unwrap();
    let r = client()
        .execute_webhook(created.id, &token, &MessageBody::text("Recording ready"))
        .unwrap();
    assert_eq!(
        r.uri(),
        "https://discord.com/api/v10/webhooks/11/wh-tok?wait=true"
    );
    assert!(r.headers().get(AUTHORIZATION).is_none());
}

#[test]
fn a_local_base_url_with_a_port_works_and_bad_ones_are_rejected() {
    let c = Client::new("http://127.0.0.1:8787", "https://x", "1").unwrap();
    let r = c.get_current_user(&AccessToken::new("a").unwrap()).unwrap();
    assert_eq!(r.uri(), "http://127.0.0.1:8787/api/v10/users/@me");
    for bad in [
        "discord.com",
        "ftp://discord.com",
        "https://discord.com?x=1",
        "https://discord.com/#f",
        "",
        "https://proxy.example/discord",
        "https://user:pw@discord.com",
    ] {
        assert_eq!(
            Client::new(bad, "https://x", "1").unwrap_err(),
            RestError::InvalidBaseUrl,
            "{bad}"
        );
    }
    assert_eq!(
        Client::new("https://discord.com", "https://x\n", "1").unwrap_err(),
        RestError::InvalidUserAgent
    );
}

#[test]
fn an_unset_or_blank_base_url_setting_is_discord_itself() {
    for setting in [None, Some(""), Some("  \n")] {
        assert_eq!(base_url(setting).as_deref(), Ok(DEFAULT_BASE_URL));
    }
}

#[test]
fn a_base_url_setting_is_an_origin_without_a_path() {
    // The copies of this rule disagreed: one accepted a path, one required the setting.
    assert_eq!(
        base_url(Some(" http://127.0.0.1:8787/ ")).as_deref(),
        Ok("http://127.0.0.1:8787")
    );
    for bad in [
        "https://proxy.example/discord",
        "discord.com",
        "https://discord.com?x=1",
        "https://discord.com//",
    ] {
        assert_eq!(base_url(Some(bad)), Err(RestError::InvalidBaseUrl), "{bad}");
    }
}
