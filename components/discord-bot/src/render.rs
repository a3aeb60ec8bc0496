//! The messages the bot sends, built with `discord_api`'s builders (Discord's limits
//! enforced by construction). Kaltura text and member input are escaped with
//! `discord_api::markdown`; every message carries an explicit `allowed_mentions`.

use discord_api::markdown::{escape, escape_mentions};
use discord_api::response::{
    ActionRow, AllowedMentions, Button, ComponentError, Embed, MessageBody,
};
use guild_config::{GuildConfig, Section, TemplateKind};

use crate::commands::section_label;
use crate::custom_id::{ButtonAction, CustomId};
use crate::meeting::Meeting;
use crate::services::Caller;

/// Kaltura's brand blue, for embeds.
const COLOR: u32 = 0x00_6E_FA;
/// Meetings listed (and Join buttons) at most: 5 rows of 5 buttons.
pub(crate) const MAX_LISTED: usize = 25;
/// What `{{url}}` becomes in a public share: the personal join links are behind the
/// Join button, never in a public message.
pub(crate) const SHARE_URL_TEXT: &str = "the Join button below";
/// What `{{guild}}` becomes: the interaction payload does not carry the server's name.
pub(crate) const GUILD_TEXT: &str = "this server";

fn button(action: ButtonAction, meeting: &Meeting) -> String {
    CustomId::new(action, meeting.id.clone()).encode()
}

fn code(text: &str) -> String {
    // Meeting IDs are [A-Za-z0-9_-]: nothing in them can end a code span.
    format!("`{text}`")
}

/// An ephemeral text reply.
pub(crate) fn notice(text: impl Into<String>) -> MessageBody {
    MessageBody::text(text).ephemeral()
}

/// The embed describing a meeting: title, description, type, owner, ID.
pub(crate) fn meeting_embed(meeting: &Meeting) -> Embed {
    let mut embed = Embed::new()
        .title(escape_mentions(&meeting.title))
        .color(COLOR)
        .field("Type", meeting.kind.label(), true)
        .field("Owner", format!("<@{}>", meeting.owner_id), true)
        .field("Meeting ID", code(meeting.id.as_str()), true);
    if let Some(description) = &meeting.description {
        embed = embed.description(escape(description));
    }
    if let Some(started) = meeting.started_at {
        embed = embed.field("Started", format!("<t:{started}:R>"), true);
    }
    embed
}

/// The owner's panel after `/kaltura-start`: the meeting and Join, Share, End buttons.
/// Sent as the edit of a deferred ephemeral reply (no flags: an edit cannot set them).
pub(crate) fn start_panel(meeting: &Meeting) -> Result<MessageBody, ComponentError> {
    MessageBody::text(format!(
        "Your {} is ready. Join it, share it with this channel, or end it:",
        meeting.kind.label()
    ))
    .embed(meeting_embed(meeting))
    .components(vec![ActionRow::buttons(vec![
        Button::success(button(ButtonAction::Join, meeting), "Join")?,
        Button::secondary(button(ButtonAction::Share, meeting), "Share with channel")?,
        Button::danger(button(ButtonAction::End, meeting), "End")?,
    ])?])
}

/// The member's own join link, as a link button (sent as the edit of a deferred
/// ephemeral reply).
pub(crate) fn join_link(meeting: &Meeting, url: &str) -> Result<MessageBody, ComponentError> {
    MessageBody::text(format!(
        "Here is your own link to **{}**. It is personal: please don't share it.",
        escape(&meeting.title)
    ))
    .components(vec![ActionRow::buttons(vec![Button::link(
        url,
        format!("Join {}", escape_mentions(&meeting.title)),
    )?])?])
}

/// `/kaltura-list`: the server's active meetings with a Join button each.
pub(crate) fn meeting_list(meetings: &[Meeting]) -> Result<MessageBody, ComponentError> {
    if meetings.is_empty() {
        return Ok(notice(
            "No Kaltura meetings are running in this server. Start one with `/kaltura-start`.",
        ));
    }
    let shown = &meetings[..meetings.len().min(MAX_LISTED)];
    let mut embed = Embed::new()
        .title(format!("Active Kaltura meetings ({})", meetings.len()))
        .color(COLOR);
    for meeting in shown {
        embed = embed.field(
            escape_mentions(&meeting.title),
            format!(
                "{} · started by <@{}> · {}",
                meeting.kind.label(),
                meeting.owner_id,
                code(meeting.id.as_str())
            ),
            false,
        );
    }
    if meetings.len() > shown.len() {
        embed = embed.footer(format!(
            "Showing {} of {}. Use /kaltura-join to find the others.",
            shown.len(),
            meetings.len()
        ));
    }
    let buttons = shown
        .iter()
        .map(|m| {
            Button::primary(
                button(ButtonAction::Join, m),
                format!("Join {}", escape_mentions(&m.title)),
            )
        })
        .collect::<Result<Vec<_>, _>>()?;
    let rows = buttons
        .chunks(5)
        .map(|chunk| ActionRow::buttons(chunk.to_vec()))
        .collect::<Result<Vec<_>, _>>()?;
    notice("Your personal link comes when you click Join.")
        .embed(embed)
        .components(rows)
}

/// The confirmation asked before ending a meeting.
pub(crate) fn end_confirmation(meeting: &Meeting) -> Result<MessageBody, ComponentError> {
    notice(format!(
        "End **{}**? Everyone in it will be disconnected.",
        escape(&meeting.title)
    ))
    .components(end_buttons(meeting, false)?)
}

fn end_buttons(meeting: &Meeting, disabled: bool) -> Result<Vec<ActionRow>, ComponentError> {
    Ok(vec![ActionRow::buttons(vec![
        Button::danger(button(ButtonAction::EndConfirm, meeting), "End meeting")?
            .disabled(disabled),
        Button::secondary(button(ButtonAction::EndCancel, meeting), "Cancel")?.disabled(disabled),
    ])?])
}

/// The confirmation once the meeting has ended (its buttons greyed out).
pub(crate) fn ended(meeting: &Meeting) -> Result<MessageBody, ComponentError> {
    MessageBody::text(format!("✅ **{}** has ended.", escape(&meeting.title)))
        .components(end_buttons(meeting, true)?)
}

/// The confirmation once ending was cancelled (its buttons greyed out).
pub(crate) fn end_cancelled(meeting: &Meeting) -> Result<MessageBody, ComponentError> {
    MessageBody::text(format!(
        "Cancelled: **{}** keeps running.",
        escape(&meeting.title)
    ))
    .components(end_buttons(meeting, true)?)
}

/// The public message a Share button posts: the server's `meeting_share` template
/// with escaped Kaltura text, a Join button, and mentions limited to `@everyone` when
/// (and only when) the server allows it.
pub(crate) fn share(
    meeting: &Meeting,
    caller: &Caller,
    config: &GuildConfig,
) -> Result<MessageBody, ComponentError> {
    let title = escape(&meeting.title);
    // The meeting record keeps the owner's ID, not their name: the sharer's own name
    // when they own it, else a mention (shown as the name; `allowed_mentions` keeps it
    // from pinging).
    let owner = if meeting.owner_id == caller.user_id {
        escape(&caller.display_name)
    } else {
        format!("<@{}>", meeting.owner_id)
    };
    let id = escape(meeting.id.as_str());
    let start = meeting
        .started_at
        .map(|t| format!("<t:{t}:F>"))
        .unwrap_or_default();
    let shared_by = format!("<@{}>", caller.user_id);
    let values = [
        ("guild", GUILD_TEXT),
        ("title", title.as_str()),
        ("owner", owner.as_str()),
        ("type", meeting.kind.label()),
        ("meeting_id", id.as_str()),
        ("url", SHARE_URL_TEXT),
        ("start_time", start.as_str()),
        ("shared_by", shared_by.as_str()),
    ];
    let content =
        guild_config::render_template(config.template(TemplateKind::MeetingShare), &values);
    let mentions = if config.notifications.allow_everyone_mentions {
        AllowedMentions::none().parse_everyone()
    } else {
        AllowedMentions::none()
    };
    MessageBody::text(content)
        .allowed_mentions(mentions)
        .components(vec![ActionRow::buttons(vec![Button::success(
            button(ButtonAction::Join, meeting),
            "Join",
        )?])?])
}

/// One section of a server's settings as an embed of readable fields.
pub(crate) fn config_section(config: &GuildConfig, section: Section) -> Embed {
    guild_config::render_readable(config, section)
        .into_iter()
        .fold(
            Embed::new()
                .title(format!("{} settings", section_label(section)))
                .color(COLOR),
            |embed, (name, value)| embed.field(name, value, false),
        )
}

/// `/kaltura-config view`: one section, or every section.
pub(crate) fn config_view(config: &GuildConfig, section: Option<Section>) -> MessageBody {
    match section {
        Some(section) => notice(format!(
            "This server's {} settings:",
            section_label(section).to_lowercase()
        ))
        .embed(config_section(config, section)),
        None => Section::ALL.into_iter().fold(
            notice("This server's Kaltura settings. Change one with `/kaltura-config set`."),
            |body, section| body.embed(config_section(config, section)),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::meeting::{MeetingId, MeetingKind};
    use discord_api::Id;

    fn meeting(n: u64) -> Meeting {
        Meeting {
            id: MeetingId::parse(&format!("0_m{n}")).unwrap(),
            kind: MeetingKind::Webinar,
            title: format!("Meeting {n}"),
            description: None,
            guild_id: Id::new(1).unwrap(),
            channel_id: None,
            owner_id: Id::new(2).unwrap(),
            started_at: None,
            active: true,
        }
    }

    #[test]
    fn a_list_of_thirty_meetings_shows_twenty_five_with_join_buttons() {
        let meetings: Vec<Meeting> = (0..30).map(meeting).collect();
        let body = serde_json::to_value(meeting_list(&meetings).unwrap()).unwrap();
        let rows = body["components"].as_array().unwrap();
        assert_eq!(rows.len(), 5);
        assert!(rows
            .iter()
            .all(|r| r["components"].as_array().unwrap().len() == 5));
        assert_eq!(body["embeds"][0]["fields"].as_array().unwrap().len(), 25);
        assert!(body["embeds"][0]["footer"]["text"]
            .as_str()
            .unwrap()
            .starts_with("Showing 25 of 30"));
        assert_eq!(body["flags"], 64);
    }

    #[test]
    fn every_config_section_view_fits_discords_embed_limits() {
        let mut config = GuildConfig::default();
        config.notifications.meeting_share.template = "x".repeat(2000);
        let body = config_view(&config, None);
        let total: usize = body.embed_list().iter().map(Embed::text_len).sum();
        assert!(total <= 6000, "{total}");
        assert!(body.embed_list().len() <= 10);
    }
}
