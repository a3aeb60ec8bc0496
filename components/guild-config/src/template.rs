//! Message templates: `{{name}}` placeholders, the variables each event provides,
//! validation and rendering.
//!
//! | variable     | meaning                                                        | meeting_start | meeting_end | recording_ready | entry_ready | meeting_share | video_share |
//! |--------------|----------------------------------------------------------------|:-:|:-:|:-:|:-:|:-:|:-:|
//! | `guild`      | the Discord server's name                                      | ✓ | ✓ | ✓ | ✓ | ✓ | ✓ |
//! | `title`      | the meeting's or video's title                                 | ✓ | ✓ | ✓ | ✓ | ✓ | ✓ |
//! | `owner`      | the Kaltura owner (host, uploader) as a display name           | ✓ | ✓ | ✓ | ✓ | ✓ |   |
//! | `type`       | the meeting kind: Webinar, Interactive Meeting Room, Virtual Classroom | ✓ | ✓ | ✓ |   | ✓ |   |
//! | `meeting_id` | the Kaltura meeting (room or event) ID                         | ✓ | ✓ | ✓ |   | ✓ |   |
//! | `url`        | join link (meetings) or playback link (videos)                 | ✓ |   | ✓ | ✓ | ✓ | ✓ |
//! | `start_time` | when it starts, as Discord timestamp markup (`<t:…:F>`)        | ✓ |   |   |   | ✓ |   |
//! | `entry_id`   | the Kaltura entry ID of the video                              |   |   | ✓ | ✓ |   | ✓ |
//! | `duration`   | how long it lasted or plays, human-readable (`1h 05m`)         |   | ✓ | ✓ | ✓ |   | ✓ |
//! | `shared_by`  | the Discord member who shared the meeting or video, as a mention |   |   |   |   | ✓ | ✓ |
//!
//! Whitespace inside the braces is ignored (`{{ title }}`). A template is at most
//! [`MAX_TEMPLATE_CHARS`] characters; a rendered message is cut to Discord's
//! 2000-character content limit ([`crate::GuildConfig::message`]).

use contracts::config::{Event, MessageKind};

use crate::error::Rule;

/// The longest template, in characters (Discord's message content limit).
pub const MAX_TEMPLATE_CHARS: usize = 2000;

/// Every message a server writes with a template: one per [`Event`], then the share.
pub const MESSAGE_KINDS: [MessageKind; 6] = [
    MessageKind::Event(Event::MeetingStart),
    MessageKind::Event(Event::MeetingEnd),
    MessageKind::Event(Event::RecordingReady),
    MessageKind::Event(Event::EntryReady),
    MessageKind::MeetingShare,
    MessageKind::VideoShare,
];

/// The template's name: the event's key, `meeting_share` or `video_share`.
pub fn template_name(kind: MessageKind) -> &'static str {
    match kind {
        MessageKind::Event(event) => event.as_str(),
        MessageKind::MeetingShare => "meeting_share",
        MessageKind::VideoShare => "video_share",
    }
}

/// The variables the template of `kind` may use (see the module table for their meaning).
pub fn variables(kind: MessageKind) -> &'static [&'static str] {
    match kind {
        MessageKind::Event(Event::MeetingStart) => &[
            "guild",
            "title",
            "owner",
            "type",
            "meeting_id",
            "url",
            "start_time",
        ],
        MessageKind::Event(Event::MeetingEnd) => {
            &["guild", "title", "owner", "type", "meeting_id", "duration"]
        }
        MessageKind::Event(Event::RecordingReady) => &[
            "guild",
            "title",
            "owner",
            "type",
            "meeting_id",
            "url",
            "entry_id",
            "duration",
        ],
        MessageKind::Event(Event::EntryReady) => {
            &["guild", "title", "owner", "url", "entry_id", "duration"]
        }
        MessageKind::MeetingShare => &[
            "guild",
            "title",
            "owner",
            "type",
            "meeting_id",
            "url",
            "start_time",
            "shared_by",
        ],
        MessageKind::VideoShare => &["guild", "title", "url", "duration", "entry_id", "shared_by"],
    }
}

enum Piece<'a> {
    Text(&'a str),
    Var(&'a str),
}

fn pieces(template: &str) -> Result<Vec<Piece<'_>>, Rule> {
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push(Piece::Text(&rest[..start]));
        let after = &rest[start + 2..];
        let end = after.find("}}").ok_or(Rule::UnclosedPlaceholder)?;
        out.push(Piece::Var(after[..end].trim()));
        rest = &after[end + 2..];
    }
    out.push(Piece::Text(rest));
    Ok(out)
}

/// Checks a template for `kind`: not empty, at most [`MAX_TEMPLATE_CHARS`] characters,
/// every `{{` closed, every placeholder one of [`variables`].
///
/// # Errors
/// The [`Rule`] broken: [`Rule::EmptyTemplate`], [`Rule::TooLong`],
/// [`Rule::UnclosedPlaceholder`] or [`Rule::UnknownVariable`].
pub fn check_template(kind: MessageKind, template: &str) -> Result<(), Rule> {
    if template.trim().is_empty() {
        return Err(Rule::EmptyTemplate);
    }
    let chars = template.chars().count();
    if chars > MAX_TEMPLATE_CHARS {
        return Err(Rule::TooLong {
            max: MAX_TEMPLATE_CHARS,
            actual: chars,
        });
    }
    for piece in pieces(template)? {
        if let Piece::Var(name) = piece {
            if !variables(kind).contains(&name) {
                return Err(Rule::UnknownVariable {
                    name: name.to_string(),
                    template: kind,
                });
            }
        }
    }
    Ok(())
}

/// Fills a template's placeholders from `values` (name, value). A placeholder without a
/// value becomes empty. A template that fails [`check_template`]'s syntax (an unclosed
/// `{{`) is returned as it is. Values are inserted verbatim: the caller escapes them
/// for Discord markdown and controls mentions with `allowed_mentions`.
pub fn render_template(template: &str, values: &[(String, String)]) -> String {
    let Ok(pieces) = pieces(template) else {
        return template.to_string();
    };
    let mut out = String::with_capacity(template.len());
    for piece in pieces {
        match piece {
            Piece::Text(text) => out.push_str(text),
            Piece::Var(name) => {
                if let Some((_, value)) = values.iter().find(|(n, _)| *n == name) {
                    out.push_str(value);
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const MEETING_START: MessageKind = MessageKind::Event(Event::MeetingStart);
    const MEETING_END: MessageKind = MessageKind::Event(Event::MeetingEnd);
    const ENTRY_READY: MessageKind = MessageKind::Event(Event::EntryReady);

    fn values(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(n, v)| ((*n).to_string(), (*v).to_string()))
            .collect()
    }

    #[test]
    fn a_template_may_use_every_variable_of_its_event() {
        for kind in MESSAGE_KINDS {
            let all: String = variables(kind)
                .iter()
                .map(|v| format!("{{{{{v}}}}} "))
                .collect();
            assert_eq!(
                check_template(kind, &all),
                Ok(()),
                "{}",
                template_name(kind)
            );
        }
    }

    #[test]
    fn a_variable_of_another_event_is_rejected() {
        assert_eq!(
            check_template(MEETING_END, "Join at {{url}}"),
            Err(Rule::UnknownVariable {
                name: "url".into(),
                template: MEETING_END
            })
        );
        assert!(check_template(MEETING_START, "Join at {{url}}").is_ok());
    }

    #[test]
    fn an_unclosed_placeholder_is_rejected() {
        assert_eq!(
            check_template(MEETING_START, "{{title} starts"),
            Err(Rule::UnclosedPlaceholder)
        );
    }

    #[test]
    fn an_empty_or_blank_template_is_rejected() {
        assert_eq!(check_template(ENTRY_READY, ""), Err(Rule::EmptyTemplate));
        assert_eq!(
            check_template(ENTRY_READY, "  \n"),
            Err(Rule::EmptyTemplate)
        );
    }

    #[test]
    fn templates_are_limited_to_2000_characters_not_bytes() {
        let at_limit = "é".repeat(MAX_TEMPLATE_CHARS);
        assert_eq!(check_template(MessageKind::MeetingShare, &at_limit), Ok(()));
        let over = "é".repeat(MAX_TEMPLATE_CHARS + 1);
        assert_eq!(
            check_template(MessageKind::MeetingShare, &over),
            Err(Rule::TooLong {
                max: 2000,
                actual: 2001
            })
        );
    }

    #[test]
    fn an_empty_placeholder_is_an_unknown_variable() {
        assert!(matches!(
            check_template(MEETING_START, "{{ }}"),
            Err(Rule::UnknownVariable { name, .. }) if name.is_empty()
        ));
    }

    #[test]
    fn rendering_fills_placeholders_and_ignores_inner_spaces() {
        let out = render_template(
            "**{{ title }}** by {{owner}}: {{url}}{{duration}}",
            &values(&[("title", "Weekly"), ("owner", "Ana"), ("url", "https://x")]),
        );
        assert_eq!(out, "**Weekly** by Ana: https://x");
    }

    #[test]
    fn rendering_a_broken_template_returns_it_unchanged() {
        assert_eq!(
            render_template("{{title", &values(&[("title", "x")])),
            "{{title"
        );
    }

    #[test]
    fn every_message_kind_has_its_own_template_name() {
        let names: Vec<&str> = MESSAGE_KINDS.into_iter().map(template_name).collect();
        assert_eq!(
            names,
            [
                "meeting_start",
                "meeting_end",
                "recording_ready",
                "entry_ready",
                "meeting_share",
                "video_share"
            ]
        );
    }
}
