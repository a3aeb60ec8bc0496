//! The messages the bot sends, built with `discord_api`'s builders (Discord's limits
//! enforced by construction). Kaltura text and member input are escaped with
//! `discord_api::markdown`; every message carries an explicit `allowed_mentions`.

use contracts::config::{Message, Section, SettingLine};
use contracts::kaltura::Meeting;
use discord_api::markdown::{escape, escape_mentions};
use discord_api::response::{
    ActionRow, AllowedMentions, Button, ComponentError, Embed, MessageBody,
};

use crate::commands::section_label;
use crate::custom_id::{ButtonAction, CustomId};
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
    CustomId::new(action, meeting.id).encode()
}

fn code(id: u64) -> String {
    format!("`{id}`")
}

/// When a meeting started (or is scheduled to), in Unix seconds.
pub(crate) fn started_at(meeting: &Meeting) -> u64 {
    meeting.start_time.unwrap_or(meeting.created_at)
}

/// An ephemeral text reply.
pub(crate) fn notice(text: impl Into<String>) -> MessageBody {
    MessageBody::text(text).ephemeral()
}

/// The embed describing a meeting: title, description (the service does not keep it;
/// the panel shows the one just given), type, owner, ID, start.
pub(crate) fn meeting_embed(meeting: &Meeting, description: Option<&str>) -> Embed {
    let mut embed = Embed::new()
        .title(escape_mentions(&meeting.title))
        .color(COLOR)
        .field("Type", meeting.kind.label(), true)
        .field("Owner", format!("<@{}>", meeting.owner_id), true)
        .field("Meeting ID", code(meeting.id), true);
    if let Some(description) = description {
        embed = embed.description(escape(description));
    }
    embed.field("Started", format!("<t:{}:R>", started_at(meeting)), true)
}

/// The owner's panel after `/kaltura-start`: the meeting and Join, Share, End buttons.
/// Sent as the edit of a deferred ephemeral reply (no flags: an edit cannot set them).
pub(crate) fn start_panel(
    meeting: &Meeting,
    description: Option<&str>,
) -> Result<MessageBody, ComponentError> {
    MessageBody::text(format!(
        "Your {} is ready. Join it, share it with this channel, or end it:",
        meeting.kind.label()
    ))
    .embed(meeting_embed(meeting, description))
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
                code(meeting.id)
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

/// The template values of a meeting's share card (see `config`'s `render-message`),
/// every Kaltura or member text escaped: only the server's own template can ping.
pub(crate) fn share_values(meeting: &Meeting, caller: &Caller) -> Vec<(String, String)> {
    // The meeting record keeps the owner's ID, not their name: the sharer's own name
    // when they own it, else a mention (shown as the name; `allowed_mentions` keeps it
    // from pinging).
    let owner = if meeting.owner_id == caller.user_id.get() {
        escape(&caller.display_name)
    } else {
        format!("<@{}>", meeting.owner_id)
    };
    [
        ("guild", GUILD_TEXT.to_owned()),
        ("title", escape(&meeting.title)),
        ("owner", owner),
        ("type", meeting.kind.label().to_owned()),
        ("meeting_id", meeting.id.to_string()),
        ("url", SHARE_URL_TEXT.to_owned()),
        ("start_time", format!("<t:{}:F>", started_at(meeting))),
        ("shared_by", format!("<@{}>", caller.user_id)),
    ]
    .into_iter()
    .map(|(name, value)| (name.to_owned(), value))
    .collect()
}

/// The public message a Share button posts: the server's rendered `meeting_share`
/// message, a Join button, and mentions limited to `@everyone` when (and only when)
/// the server allows it.
pub(crate) fn share(meeting: &Meeting, message: Message) -> Result<MessageBody, ComponentError> {
    let mentions = if message.allow_everyone_mentions {
        AllowedMentions::none().parse_everyone()
    } else {
        AllowedMentions::none()
    };
    MessageBody::text(message.content)
        .allowed_mentions(mentions)
        .components(vec![ActionRow::buttons(vec![Button::success(
            button(ButtonAction::Join, meeting),
            "Join",
        )?])?])
}

/// One section of a server's settings, as `config` renders it, as an embed of
/// readable fields.
pub(crate) fn config_section(section: Section, lines: Vec<SettingLine>) -> Embed {
    lines.into_iter().fold(
        Embed::new()
            .title(format!("{} settings", section_label(section)))
            .color(COLOR),
        |embed, line| embed.field(line.name, line.value, false),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use contracts::kaltura::MeetingKind;

    fn meeting(n: u64) -> Meeting {
        Meeting {
            id: 1000 + n,
            kind: MeetingKind::Webinar,
            title: format!("Meeting {n}"),
            guild_id: 1,
            channel_id: 3,
            owner_id: 2,
            created_at: 1_700_000_000,
            start_time: None,
            end_time: None,
            ended_at: None,
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
        let huge = || {
            vec![
                SettingLine {
                    name: "n".repeat(256),
                    value: "x".repeat(1024),
                };
                25
            ]
        };
        let body = Section::ALL.iter().fold(notice("all"), |body, section| {
            body.embed(config_section(*section, huge()))
        });
        let total: usize = body.embed_list().iter().map(Embed::text_len).sum();
        assert!(total <= 6000, "{total}");
        assert!(body.embed_list().len() <= 10);
    }

    #[test]
    fn a_scheduled_meeting_shows_its_start_and_an_open_one_its_creation() {
        let mut scheduled = meeting(1);
        scheduled.start_time = Some(1_800_000_000);
        assert_eq!(started_at(&scheduled), 1_800_000_000);
        assert_eq!(started_at(&meeting(1)), 1_700_000_000);
    }
}
