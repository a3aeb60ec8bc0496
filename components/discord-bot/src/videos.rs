//! `/kaltura-video`: what its answers look like (results, the shared card, the Watch
//! together fallback) and the player page's link. Kaltura text is escaped; every
//! message carries an explicit `allowed_mentions`.

use contracts::config::Message;
use contracts::kaltura::{MediaEntry, MediaPage};
use discord_api::markdown::{escape, escape_mentions};
use discord_api::response::{
    ActionRow, AllowedMentions, Button, ComponentError, Embed, MessageBody,
};

use crate::custom_id::{VideoAction, VideoButton};
use crate::render::GUILD_TEXT;
use crate::services::Caller;

/// Kaltura's brand blue, for embeds.
const COLOR: u32 = 0x00_6E_FA;
/// Results with buttons at most: Discord's 5 action rows, one row per result.
pub const MAX_WITH_BUTTONS: usize = 5;

/// Deployment settings the bot's video answers need.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Links {
    /// `public_base_url`: the app's public origin, without a trailing `/`; `None` when
    /// unset (then no link can be made, and the member is told).
    pub public_base_url: Option<String>,
}

impl Links {
    /// From the `public_base_url` setting: an http(s) origin, trailing `/` dropped.
    pub fn from_setting(value: Option<&str>) -> Self {
        let public_base_url = value
            .map(|v| v.trim().trim_end_matches('/').to_owned())
            .filter(|v| v.starts_with("https://") || v.starts_with("http://"));
        Self { public_base_url }
    }

    /// The player page of `entry` for this channel's link room:
    /// `{public_base_url}/activity/?entry=<id>&guild=<g>&room=c-<channel>`.
    pub fn player_page(&self, entry: &str, caller: &Caller) -> Option<String> {
        let base = self.public_base_url.as_deref()?;
        let room = caller
            .channel_id
            .map_or_else(|| format!("g-{}", caller.guild_id), |c| format!("c-{c}"));
        Some(format!(
            "{base}/activity/?entry={entry}&guild={}&room={room}",
            caller.guild_id
        ))
    }
}

/// What a member reads when the deployment has no `public_base_url`.
pub const NO_LINKS: &str =
    "Links to the player cannot be made: this deployment has no public address (`public_base_url`) set. Please tell the bot's operator.";

/// A duration as people read it: `1h 05m`, `4m 05s`, `42s`.
pub fn duration(seconds: Option<u32>) -> String {
    let Some(total) = seconds else {
        return "unknown length".to_owned();
    };
    let (h, m, s) = (total / 3600, total / 60 % 60, total % 60);
    if h > 0 {
        format!("{h}h {m:02}m")
    } else if m > 0 {
        format!("{m}m {s:02}s")
    } else {
        format!("{s}s")
    }
}

fn video_button(action: VideoAction, entry: &MediaEntry) -> String {
    VideoButton {
        action,
        entry: entry.id.clone(),
    }
    .encode()
}

fn entry_embed(entry: &MediaEntry) -> Embed {
    let mut embed = Embed::new()
        .title(escape_mentions(&entry.name))
        .color(COLOR)
        .field("Duration", duration(entry.duration_seconds), true)
        .field("Entry", format!("`{}`", entry.id), true);
    if let Some(description) = &entry.description {
        let short: String = description.chars().take(300).collect();
        embed = embed.description(escape(&short));
    }
    if let Some(thumbnail) = entry
        .thumbnail_url
        .as_deref()
        .filter(|u| u.starts_with("https://"))
    {
        embed = embed.thumbnail(thumbnail);
    }
    embed
}

/// The results of `/kaltura-video search` (the edit of a deferred ephemeral reply):
/// one embed per entry, and for the first [`MAX_WITH_BUTTONS`] a row of *Play* (a link
/// to the player page, when links can be made), *Share* and *Watch together*.
pub fn results(
    query: &str,
    page: &MediaPage,
    limit: usize,
    links: &Links,
    caller: &Caller,
) -> Result<MessageBody, ComponentError> {
    let shown: Vec<&MediaEntry> = page.entries.iter().take(limit).collect();
    if shown.is_empty() {
        return Ok(MessageBody::text(format!(
            "No videos of this server match **{}**.",
            escape(query)
        ))
        .allowed_mentions(AllowedMentions::none()));
    }
    let mut text = format!(
        "{} of {} videos matching **{}**:",
        shown.len(),
        page.total,
        escape(query)
    );
    if shown.len() > MAX_WITH_BUTTONS {
        text.push_str(&format!(" (buttons for the first {MAX_WITH_BUTTONS})"));
    }
    if links.public_base_url.is_none() {
        text.push('\n');
        text.push_str(NO_LINKS);
    }
    let mut body = MessageBody::text(text).allowed_mentions(AllowedMentions::none());
    let mut rows = Vec::new();
    for (n, entry) in shown.iter().enumerate() {
        body = body.embed(entry_embed(entry));
        if n >= MAX_WITH_BUTTONS {
            continue;
        }
        let mut buttons = Vec::new();
        if let Some(url) = links.player_page(&entry.id, caller) {
            buttons.push(Button::link(url, "Play")?);
        }
        buttons.push(Button::secondary(
            video_button(VideoAction::Share, entry),
            "Share",
        )?);
        buttons.push(Button::primary(
            video_button(VideoAction::Watch, entry),
            "Watch together",
        )?);
        rows.push(ActionRow::buttons(buttons)?);
    }
    body.components(rows)
}

/// The template values of a shared video.
pub fn share_values(entry: &MediaEntry, url: &str, caller: &Caller) -> Vec<(String, String)> {
    [
        ("guild", GUILD_TEXT.to_owned()),
        ("title", escape(&entry.name)),
        ("url", url.to_owned()),
        ("duration", duration(entry.duration_seconds)),
        ("entry_id", entry.id.clone()),
        ("shared_by", format!("<@{}>", caller.user_id)),
    ]
    .into_iter()
    .map(|(name, value)| (name.to_owned(), value))
    .collect()
}

/// The public card a video's Share button posts: the server's rendered `video_share`
/// message, its *Play* link and *Watch together*, and mentions limited to `@everyone`
/// when (and only when) the server allows it — the sharer's mention never pings.
pub fn share(
    entry: &MediaEntry,
    message: Message,
    play: Option<&str>,
) -> Result<MessageBody, ComponentError> {
    let mentions = if message.allow_everyone_mentions {
        AllowedMentions::none().parse_everyone()
    } else {
        AllowedMentions::none()
    };
    let mut buttons = Vec::new();
    if let Some(url) = play {
        buttons.push(Button::link(url, "Play")?);
    }
    buttons.push(Button::primary(
        video_button(VideoAction::Watch, entry),
        "Watch together",
    )?);
    MessageBody::text(message.content)
        .allowed_mentions(mentions)
        .embed(entry_embed(entry))
        .components(vec![ActionRow::buttons(buttons)?])
}

/// Why Watch together gives the link instead of the Activity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoActivity {
    /// The button was not clicked in a voice or stage channel.
    NotVoice,
    /// The server has `features.activity` off.
    ActivitiesOff,
}

/// The ephemeral fallback of Watch together: one sentence why, and the link.
pub fn watch_link(why: NoActivity, url: Option<&str>) -> Result<MessageBody, ComponentError> {
    let reason = match why {
        NoActivity::NotVoice => {
            "Watching together opens as an Activity from a voice channel, and this is not one: here is the link to watch in your browser instead."
        }
        NoActivity::ActivitiesOff => {
            "Activities are turned off on this server (`features.activity`), so here is the link to watch in your browser instead."
        }
    };
    match url {
        Some(url) => MessageBody::text(reason)
            .allowed_mentions(AllowedMentions::none())
            .ephemeral()
            .components(vec![ActionRow::buttons(vec![Button::link(
                url,
                "Open the player",
            )?])?]),
        None => Ok(MessageBody::text(format!("{reason}\n{NO_LINKS}"))
            .allowed_mentions(AllowedMentions::none())
            .ephemeral()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_people_say_them() {
        assert_eq!(duration(Some(3_900)), "1h 05m");
        assert_eq!(duration(Some(245)), "4m 05s");
        assert_eq!(duration(Some(42)), "42s");
        assert_eq!(duration(None), "unknown length");
    }

    #[test]
    fn the_base_url_must_be_an_http_origin() {
        assert_eq!(
            Links::from_setting(Some(" https://kd.example.com/ ")).public_base_url,
            Some("https://kd.example.com".into())
        );
        assert_eq!(
            Links::from_setting(Some("kd.example.com")).public_base_url,
            None
        );
        assert_eq!(Links::from_setting(None).public_base_url, None);
    }
}
