//! The Discord message of one delivery, host-free: the values of the event's template
//! variables, which `config`'s `render-message` fills into the server's template (the
//! variables of each event are documented there), and the message around its text.
//!
//! Every value that comes from Kaltura (titles, user ids, entry ids) goes through
//! `discord_api::markdown::escape`: it can neither mention `@everyone`, a role or a user,
//! nor change the Markdown around it. `allowed_mentions` is always sent: `{"parse":[]}`,
//! or `{"parse":["everyone"]}` when `config` says the server allows `@everyone` in its
//! templates (`allow-everyone-mentions`) — Kaltura text is escaped either way, so only
//! the server's own template can ping.
//!
//! | variable | value here |
//! |---|---|
//! | `guild` | "this server" (a notification does not carry the server's name) |
//! | `title` | the meeting's or entry's title, escaped |
//! | `owner` | the Discord member who started the meeting (a mention, which never pings with `allowed_mentions`), else the Kaltura owner's user id, escaped |
//! | `type` | the meeting kind; "Live event" or "Recording" when there is no meeting |
//! | `meeting_id` | the meeting id (or the Kaltura object id) |
//! | `url` | for a meeting start: "the Join button below" and a Join button (`v1:join:<id>`, which the bot answers with the member's own link — join links are personal and never public); for entries the player link from `kaltura.player-embed-url`, else the entry id |
//! | `start_time` | Discord timestamp markup `<t:…:F>` |
//! | `entry_id` | the entry id, escaped |
//! | `duration` | `1h 05m`, `5m 03s`, `45s` |
//!
//! Each message also carries a `nonce` (25 hex digits of SHA-256 over the event id and
//! the channel) with `enforce_nonce: true`: Discord then returns the message created
//! minutes earlier with the same nonce instead of posting it twice.

use contracts::config::Event;
use contracts::kaltura::Meeting;
use discord_api::id::ChannelId;
use discord_api::markdown::escape;
use discord_api::response::{ActionRow, AllowedMentions, Button, MessageBody};
use discord_api::rest::Client;
use discord_api::token::BotToken;
use sha2::{Digest, Sha256};

use crate::dedupe::EventId;
use crate::events::KalturaEvent;
use crate::routing::Delivery;

/// What `{{guild}}` becomes.
pub const GUILD_TEXT: &str = "this server";
/// What `{{url}}` becomes for a meeting start with a Join button.
pub const JOIN_BUTTON_TEXT: &str = "the Join button below";
/// What `{{url}}` becomes when there is no link.
pub const NO_LINK_TEXT: &str = "(no link)";
/// Discord's longest nonce.
pub const NONCE_LEN: usize = 25;

/// Why a message could not be built. Carries no token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RenderError {
    /// The request could not be built.
    #[error("the Discord request could not be built: {0}")]
    Request(String),
}

/// `3900` → `1h 05m`, `303` → `5m 03s`, `45` → `45s`.
pub fn duration_text(secs: u64) -> String {
    let (h, m, s) = (secs / 3600, secs % 3600 / 60, secs % 60);
    if h > 0 {
        format!("{h}h {m:02}m")
    } else if m > 0 {
        format!("{m}m {s:02}s")
    } else {
        format!("{s}s")
    }
}

fn safe_url(url: &str) -> Option<&str> {
    let ok = (url.starts_with("https://") || url.starts_with("http://"))
        && url.len() <= 512
        && !url
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | '`'));
    ok.then_some(url)
}

fn plain_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// The template variables of `event` posted as `kind`, every Kaltura value escaped;
/// `meeting` is the meeting started from Discord it belongs to, `player_url` the video's
/// playback link.
pub fn variables(
    event: &KalturaEvent,
    kind: Event,
    meeting: Option<&Meeting>,
    now_secs: u64,
    player_url: Option<&str>,
) -> Vec<(String, String)> {
    let title = meeting
        .map(|m| m.title.as_str())
        .or(event.title.as_deref())
        .or(event.entry_id.as_deref())
        .unwrap_or("Untitled");
    let owner = match meeting {
        Some(m) => format!("<@{}>", m.owner_id),
        None => event
            .owner
            .as_deref()
            .map_or_else(|| "unknown".to_owned(), escape),
    };
    let type_label = meeting.map_or_else(
        || match kind {
            Event::MeetingStart | Event::MeetingEnd => "Live event",
            Event::RecordingReady | Event::EntryReady => "Recording",
        },
        |m| m.kind.label(),
    );
    let meeting_id = meeting
        .map(|m| m.id)
        .or(event.meeting_id)
        .map(|id| id.to_string())
        .or_else(|| event.object_id.as_deref().map(escape))
        .unwrap_or_default();
    let url = if joinable(kind, meeting) {
        JOIN_BUTTON_TEXT.to_owned()
    } else if let Some(url) = player_url.and_then(safe_url) {
        url.to_owned()
    } else if let Some(id) = event.entry_id.as_deref().filter(|id| plain_id(id)) {
        format!("`{id}`")
    } else {
        NO_LINK_TEXT.to_owned()
    };
    let start = meeting.and_then(|m| m.start_time).unwrap_or(now_secs);
    let duration = match (kind, meeting) {
        (Event::MeetingEnd, Some(m)) => {
            let began = m.start_time.unwrap_or(m.created_at);
            Some(m.ended_at.unwrap_or(now_secs).saturating_sub(began))
        }
        _ => event.duration_secs,
    };
    [
        ("guild", GUILD_TEXT.to_owned()),
        ("title", escape(title)),
        ("owner", owner),
        ("type", type_label.to_owned()),
        ("meeting_id", meeting_id),
        ("url", url),
        ("start_time", format!("<t:{start}:F>")),
        (
            "entry_id",
            event.entry_id.as_deref().map(escape).unwrap_or_default(),
        ),
        (
            "duration",
            duration.map_or_else(|| "an unknown time".to_owned(), duration_text),
        ),
    ]
    .into_iter()
    .map(|(name, value)| (name.to_owned(), value))
    .collect()
}

/// Whether the post gets a Join button: a meeting's start, while it runs.
fn joinable(kind: Event, meeting: Option<&Meeting>) -> bool {
    kind == Event::MeetingStart && meeting.is_some_and(|m| m.ended_at.is_none())
}

/// The message body: the rendered text, explicit `allowed_mentions`, and for a meeting
/// start a Join button.
pub fn body(delivery: &Delivery) -> MessageBody {
    let mentions = if delivery.message.allow_everyone_mentions {
        AllowedMentions::none().parse_everyone()
    } else {
        AllowedMentions::none()
    };
    let body = MessageBody::text(delivery.message.content.clone()).allowed_mentions(mentions);
    let meeting = delivery.meeting.as_ref();
    match meeting.filter(|_| joinable(delivery.event, meeting)) {
        Some(meeting) => {
            let row = Button::success(format!("v1:join:{}", meeting.id), "Join")
                .and_then(|b| ActionRow::buttons(vec![b]));
            match row {
                Ok(row) => body.clone().components(vec![row]).unwrap_or(body),
                Err(_) => body,
            }
        }
        None => body,
    }
}

/// The nonce of one event's message in one channel.
pub fn nonce(event: &EventId, delivery_key: &str) -> String {
    let digest = Sha256::new()
        .chain_update(event.as_str().as_bytes())
        .chain_update(b"\n")
        .chain_update(delivery_key.as_bytes())
        .finalize();
    let mut text = hex::encode(digest);
    text.truncate(NONCE_LEN);
    text
}

/// `POST /api/v10/channels/{id}/messages` with the bot token, Discord's User-Agent, the
/// body and its nonce.
///
/// # Errors
/// [`RenderError`] for a request that cannot be built.
pub fn request(
    client: &Client,
    token: &BotToken,
    channel: ChannelId,
    body: &MessageBody,
    nonce: &str,
) -> Result<http::Request<Vec<u8>>, RenderError> {
    let request = client
        .create_message(token, channel, body)
        .map_err(|e| RenderError::Request(e.to_string()))?;
    let mut json =
        serde_json::to_value(body).map_err(|_| RenderError::Request("serialize".into()))?;
    json["nonce"] = serde_json::Value::String(nonce.to_owned());
    json["enforce_nonce"] = serde_json::Value::Bool(true);
    let bytes = serde_json::to_vec(&json).map_err(|_| RenderError::Request("serialize".into()))?;
    Ok(request.map(|_| bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::Happening;
    use contracts::config::Message;
    use contracts::kaltura::MeetingKind;
    use serde_json::json;

    const CHANNEL: &str = "223456789012345678";

    fn entry_event(title: &str) -> KalturaEvent {
        KalturaEvent {
            happening: Happening::EntryReady,
            declared: None,
            object_id: Some("0_abc123".into()),
            entry_id: Some("0_abc123".into()),
            title: Some(title.into()),
            owner: Some("@here".into()),
            meeting_id: None,
            category_ids: Some(vec![1]),
            guild_ids: vec![],
            recording: false,
            duration_secs: Some(3900),
        }
    }

    fn meeting() -> Meeting {
        Meeting {
            id: 42,
            kind: MeetingKind::Webinar,
            title: "Town hall".into(),
            guild_id: 123_456_789_012_345_678,
            channel_id: 223_456_789_012_345_678,
            owner_id: 623_456_789_012_345_678,
            created_at: 1_700_000_000,
            start_time: None,
            end_time: None,
            ended_at: None,
        }
    }

    /// `template` filled with `values`, as `config` fills it.
    fn fill(template: &str, values: &[(String, String)]) -> String {
        values
            .iter()
            .fold(template.to_owned(), |text, (name, value)| {
                text.replace(&format!("{{{{{name}}}}}"), value)
            })
    }

    fn delivery(event: Event, content: &str, meeting: Option<Meeting>) -> Delivery {
        Delivery {
            guild_id: "123456789012345678".parse().unwrap(),
            channel_id: CHANNEL.parse().unwrap(),
            event,
            message: Message {
                channel_id: None,
                content: content.into(),
                allow_everyone_mentions: false,
            },
            meeting,
        }
    }

    fn json_of(body: &MessageBody) -> serde_json::Value {
        serde_json::to_value(body).unwrap()
    }

    #[test]
    fn a_hostile_title_arrives_harmless() {
        let values = variables(
            &entry_event("@everyone <@&123> **x**"),
            Event::EntryReady,
            None,
            0,
            None,
        );
        let content = fill("🎞️ New video **{{title}}** is ready: {{url}}", &values);
        assert!(
            content.contains("@\u{200B}everyone <\u{200B}@&123> \\*\\*x\\*\\*"),
            "{content}"
        );
        assert!(!content.contains("@everyone"));
        let json = json_of(&body(&delivery(Event::EntryReady, &content, None)));
        assert_eq!(json["allowed_mentions"], json!({"parse": []}));
    }

    #[test]
    fn everyone_pings_only_when_config_allows_it() {
        let mut d = delivery(Event::EntryReady, "@everyone new", None);
        d.message.allow_everyone_mentions = true;
        let json = json_of(&body(&d));
        assert_eq!(json["allowed_mentions"], json!({"parse": ["everyone"]}));
        assert_eq!(json["content"], "@everyone new");
    }

    #[test]
    fn entry_variables_use_the_player_link_or_fall_back_to_the_id() {
        let template = "{{title}} {{url}} {{duration}} {{entry_id}} {{owner}} {{guild}} {{type}}";
        let url = "https://cdnapisec.kaltura.com/p/1/embedPlaykitJs/uiconf_id/2?iframeembed=true&entry_id=0_abc123";
        let values = variables(&entry_event("Intro"), Event::EntryReady, None, 0, Some(url));
        assert_eq!(
            fill(template, &values),
            format!("Intro {url} 1h 05m 0\\_abc123 @\u{200B}here this server Recording")
        );
        let values = variables(
            &entry_event("Intro"),
            Event::EntryReady,
            None,
            0,
            Some("javascript:alert(1)"),
        );
        assert!(fill(template, &values).contains("`0_abc123`"));
    }

    #[test]
    fn a_meeting_start_has_a_join_button_and_no_public_link() {
        let values = variables(
            &entry_event("ignored"),
            Event::MeetingStart,
            Some(&meeting()),
            1_700_000_100,
            None,
        );
        let content = fill(
            "📢 **{{title}}** ({{type}}) has started. Join: {{url}}",
            &values,
        );
        assert_eq!(
            content,
            "📢 **Town hall** (Webinar) has started. Join: the Join button below"
        );
        let json = json_of(&body(&delivery(
            Event::MeetingStart,
            &content,
            Some(meeting()),
        )));
        assert_eq!(
            json["components"][0]["components"][0]["custom_id"],
            "v1:join:42"
        );
    }

    #[test]
    fn a_meeting_end_says_how_long_it_lasted_and_who_ran_it() {
        let values = variables(
            &entry_event("x"),
            Event::MeetingEnd,
            Some(&meeting()),
            1_700_003_900,
            None,
        );
        let content = fill(
            "{{title}} by {{owner}} after {{duration}} ({{meeting_id}})",
            &values,
        );
        assert_eq!(
            content,
            "Town hall by <@623456789012345678> after 1h 05m (42)"
        );
        let json = json_of(&body(&delivery(
            Event::MeetingEnd,
            &content,
            Some(meeting()),
        )));
        assert!(json.get("components").is_none());
        assert_eq!(json["allowed_mentions"], json!({"parse": []}));
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(duration_text(3900), "1h 05m");
        assert_eq!(duration_text(303), "5m 03s");
        assert_eq!(duration_text(45), "45s");
    }

    #[test]
    fn the_request_carries_the_token_user_agent_and_a_stable_nonce() {
        let client = Client::new("https://discord.test", "https://example.org", "1.0").unwrap();
        let token = BotToken::new("secret-token").unwrap();
        let id = EventId::new(Some("98765"), b"");
        let n = nonce(&id, "1/2");
        assert_eq!(n.len(), NONCE_LEN);
        assert_eq!(n, nonce(&id, "1/2"));
        assert_ne!(n, nonce(&id, "1/3"));
        let channel = CHANNEL.parse().unwrap();
        let r = request(&client, &token, channel, &MessageBody::text("hi"), &n).unwrap();
        assert_eq!(
            r.uri(),
            &*format!("https://discord.test/api/v10/channels/{CHANNEL}/messages")
        );
        assert_eq!(r.headers()["authorization"], "Bot secret-token");
        assert!(r.headers()["user-agent"]
            .to_str()
            .unwrap()
            .starts_with("DiscordBot ("));
        let body: serde_json::Value = serde_json::from_slice(r.body()).unwrap();
        assert_eq!(body["nonce"], n);
        assert_eq!(body["enforce_nonce"], true);
        assert_eq!(body["allowed_mentions"], json!({"parse": []}));
    }
}
