//! Message templates: `{{name}}` placeholders, the variables each event provides,
//! validation and rendering.
//!
//! | variable     | meaning                                                        | meeting_start | meeting_end | recording_ready | entry_ready | meeting_share |
//! |--------------|----------------------------------------------------------------|:-:|:-:|:-:|:-:|:-:|
//! | `guild`      | the Discord server's name                                      | ✓ | ✓ | ✓ | ✓ | ✓ |
//! | `title`      | the meeting's or video's title                                 | ✓ | ✓ | ✓ | ✓ | ✓ |
//! | `owner`      | the Kaltura owner (host, uploader) as a display name           | ✓ | ✓ | ✓ | ✓ | ✓ |
//! | `type`       | the meeting kind: Webinar, Interactive Meeting Room, Virtual Classroom | ✓ | ✓ | ✓ |   | ✓ |
//! | `meeting_id` | the Kaltura meeting (room or event) ID                         | ✓ | ✓ | ✓ |   | ✓ |
//! | `url`        | join link (meetings) or playback link (videos)                 | ✓ |   | ✓ | ✓ | ✓ |
//! | `start_time` | when it starts, as Discord timestamp markup (`<t:…:F>`)        | ✓ |   |   |   | ✓ |
//! | `entry_id`   | the Kaltura entry ID of the video                              |   |   | ✓ | ✓ |   |
//! | `duration`   | how long it lasted or plays, human-readable (`1h 05m`)         |   | ✓ | ✓ | ✓ |   |
//! | `shared_by`  | the Discord member who shared the meeting, as a mention        |   |   |   |   | ✓ |
//!
//! Whitespace inside the braces is ignored (`{{ title }}`). A template is at most
//! [`MAX_TEMPLATE_CHARS`] characters; the consumer still trims the rendered message to
//! Discord's 2000-character content limit.

use serde::{Deserialize, Serialize};

use crate::error::Rule;

/// The longest template, in characters (Discord's message content limit).
pub const MAX_TEMPLATE_CHARS: usize = 2000;

/// A Kaltura event that can be posted to a Discord channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// A meeting started.
    MeetingStart,
    /// A meeting ended.
    MeetingEnd,
    /// A meeting's recording finished processing.
    RecordingReady,
    /// A video entry in a followed category became ready.
    EntryReady,
}

impl EventKind {
    /// Every event, in document order.
    pub const ALL: [EventKind; 4] = [
        EventKind::MeetingStart,
        EventKind::MeetingEnd,
        EventKind::RecordingReady,
        EventKind::EntryReady,
    ];

    /// The event's key under `notifications.events`.
    pub fn as_str(self) -> &'static str {
        self.template_kind().as_str()
    }

    /// The template this event's message is written with.
    pub fn template_kind(self) -> TemplateKind {
        match self {
            EventKind::MeetingStart => TemplateKind::MeetingStart,
            EventKind::MeetingEnd => TemplateKind::MeetingEnd,
            EventKind::RecordingReady => TemplateKind::RecordingReady,
            EventKind::EntryReady => TemplateKind::EntryReady,
        }
    }
}

/// A template: one per [`EventKind`], plus the message posted when a member shares a meeting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TemplateKind {
    /// `notifications.events.meeting_start.template`.
    MeetingStart,
    /// `notifications.events.meeting_end.template`.
    MeetingEnd,
    /// `notifications.events.recording_ready.template`.
    RecordingReady,
    /// `notifications.events.entry_ready.template`.
    EntryReady,
    /// `notifications.meeting_share.template`.
    MeetingShare,
}

impl TemplateKind {
    /// Every template.
    pub const ALL: [TemplateKind; 5] = [
        TemplateKind::MeetingStart,
        TemplateKind::MeetingEnd,
        TemplateKind::RecordingReady,
        TemplateKind::EntryReady,
        TemplateKind::MeetingShare,
    ];

    /// The template's name (the event key, or `meeting_share`).
    pub fn as_str(self) -> &'static str {
        match self {
            TemplateKind::MeetingStart => "meeting_start",
            TemplateKind::MeetingEnd => "meeting_end",
            TemplateKind::RecordingReady => "recording_ready",
            TemplateKind::EntryReady => "entry_ready",
            TemplateKind::MeetingShare => "meeting_share",
        }
    }

    /// The variables this template may use (see the module table for their meaning).
    pub fn variables(self) -> &'static [&'static str] {
        match self {
            TemplateKind::MeetingStart => &[
                "guild",
                "title",
                "owner",
                "type",
                "meeting_id",
                "url",
                "start_time",
            ],
            TemplateKind::MeetingEnd => {
                &["guild", "title", "owner", "type", "meeting_id", "duration"]
            }
            TemplateKind::RecordingReady => &[
                "guild",
                "title",
                "owner",
                "type",
                "meeting_id",
                "url",
                "entry_id",
                "duration",
            ],
            TemplateKind::EntryReady => &["guild", "title", "owner", "url", "entry_id", "duration"],
            TemplateKind::MeetingShare => &[
                "guild",
                "title",
                "owner",
                "type",
                "meeting_id",
                "url",
                "start_time",
                "shared_by",
            ],
        }
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
/// every `{{` closed, every placeholder one of [`TemplateKind::variables`].
///
/// # Errors
/// The [`Rule`] broken: [`Rule::EmptyTemplate`], [`Rule::TooLong`],
/// [`Rule::UnclosedPlaceholder`] or [`Rule::UnknownVariable`].
pub fn check_template(kind: TemplateKind, template: &str) -> Result<(), Rule> {
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
            if !kind.variables().contains(&name) {
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
pub fn render_template(template: &str, values: &[(&str, &str)]) -> String {
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

    #[test]
    fn a_template_may_use_every_variable_of_its_event() {
        for kind in TemplateKind::ALL {
            let all: String = kind
                .variables()
                .iter()
                .map(|v| format!("{{{{{v}}}}} "))
                .collect();
            assert_eq!(check_template(kind, &all), Ok(()), "{}", kind.as_str());
        }
    }

    #[test]
    fn a_variable_of_another_event_is_rejected() {
        assert_eq!(
            check_template(TemplateKind::MeetingEnd, "Join at {{url}}"),
            Err(Rule::UnknownVariable {
                name: "url".into(),
                template: TemplateKind::MeetingEnd
            })
        );
        assert!(check_template(TemplateKind::MeetingStart, "Join at {{url}}").is_ok());
    }

    #[test]
    fn an_unclosed_placeholder_is_rejected() {
        assert_eq!(
            check_template(TemplateKind::MeetingStart, "{{title} starts"),
            Err(Rule::UnclosedPlaceholder)
        );
    }

    #[test]
    fn an_empty_or_blank_template_is_rejected() {
        assert_eq!(
            check_template(TemplateKind::EntryReady, ""),
            Err(Rule::EmptyTemplate)
        );
        assert_eq!(
            check_template(TemplateKind::EntryReady, "  \n"),
            Err(Rule::EmptyTemplate)
        );
    }

    #[test]
    fn templates_are_limited_to_2000_characters_not_bytes() {
        let at_limit = "é".repeat(MAX_TEMPLATE_CHARS);
        assert_eq!(
            check_template(TemplateKind::MeetingShare, &at_limit),
            Ok(())
        );
        let over = "é".repeat(MAX_TEMPLATE_CHARS + 1);
        assert_eq!(
            check_template(TemplateKind::MeetingShare, &over),
            Err(Rule::TooLong {
                max: 2000,
                actual: 2001
            })
        );
    }

    #[test]
    fn an_empty_placeholder_is_an_unknown_variable() {
        assert!(matches!(
            check_template(TemplateKind::MeetingStart, "{{ }}"),
            Err(Rule::UnknownVariable { name, .. }) if name.is_empty()
        ));
    }

    #[test]
    fn rendering_fills_placeholders_and_ignores_inner_spaces() {
        let out = render_template(
            "**{{ title }}** by {{owner}}: {{url}}{{duration}}",
            &[("title", "Weekly"), ("owner", "Ana"), ("url", "https://x")],
        );
        assert_eq!(out, "**Weekly** by Ana: https://x");
    }

    #[test]
    fn rendering_a_broken_template_returns_it_unchanged() {
        assert_eq!(render_template("{{title", &[("title", "x")]), "{{title");
    }
}
