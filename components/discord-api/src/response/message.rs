//! The body of a message: interaction replies, edits, follow-ups and channel
//! messages share it.
//!
//! Spec: <https://discord.com/developers/docs/resources/message#create-message>.

use serde::Serialize;

use super::component::{ensure_unique_ids, ActionRow, ComponentError};
use super::embed::{fit_all, Embed};
use super::limits::{self, truncated};
use super::mentions::AllowedMentions;
use crate::model::MessageFlags;

/// A message body. Content is cut to 2000 chars, embeds to Discord's limits, and
/// `allowed_mentions` defaults to [`AllowedMentions::none`] so that nothing in it
/// notifies anyone unless asked.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[must_use = "builders do nothing unless used"]
pub struct MessageBody {
    #[serde(skip_serializing_if = "Option::is_none")]
    content: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    embeds: Vec<Embed>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    components: Vec<ActionRow>,
    allowed_mentions: AllowedMentions,
    #[serde(skip_serializing_if = "Option::is_none")]
    flags: Option<MessageFlags>,
}

impl Default for MessageBody {
    fn default() -> Self {
        Self::new()
    }
}

impl MessageBody {
    /// An empty body that mentions nobody.
    pub fn new() -> Self {
        Self {
            content: None,
            embeds: Vec::new(),
            components: Vec::new(),
            allowed_mentions: AllowedMentions::none(),
            flags: None,
        }
    }

    /// A body with this text (cut to 2000 chars). Rendered as Markdown: escape
    /// untrusted text with [`crate::markdown::escape`].
    pub fn text(content: impl Into<String>) -> Self {
        Self::new().content(content)
    }

    /// Sets the text (cut to 2000 chars).
    pub fn content(mut self, content: impl Into<String>) -> Self {
        self.content = Some(truncated(content, limits::CONTENT));
        self
    }

    /// Puts `line` on its own line before the text (a notice to read first).
    pub fn prepend_line(mut self, line: &str) -> Self {
        let content = match self.content.take() {
            Some(text) => format!("{line}\n{text}"),
            None => line.to_owned(),
        };
        self.content(content)
    }

    /// Adds an embed; past 10 embeds or 6000 chars in all, later text is cut.
    pub fn embed(mut self, embed: Embed) -> Self {
        self.embeds.push(embed);
        fit_all(&mut self.embeds);
        self
    }

    /// Sets the components: at most 5 action rows of buttons, `custom_id`s unique.
    ///
    /// # Errors
    /// [`ComponentError::TooManyRows`], [`ComponentError::DuplicateCustomId`], or
    /// [`ComponentError::WrongPlace`] for a text-input row (those go in modals).
    pub fn components(mut self, rows: Vec<ActionRow>) -> Result<Self, ComponentError> {
        if rows.len() > limits::ACTION_ROWS {
            return Err(ComponentError::TooManyRows);
        }
        if rows.iter().any(ActionRow::has_text_input) {
            return Err(ComponentError::WrongPlace);
        }
        ensure_unique_ids(&rows)?;
        self.components = rows;
        Ok(self)
    }

    /// Sets who may be notified (replacing the default of nobody).
    pub fn allowed_mentions(mut self, allowed: AllowedMentions) -> Self {
        self.allowed_mentions = allowed;
        self
    }

    /// Adds message flags.
    pub fn flags(mut self, flags: MessageFlags) -> Self {
        self.flags = Some(self.flags.unwrap_or_default() | flags);
        self
    }

    /// Shows it only to the invoking user (`EPHEMERAL`; interaction replies and
    /// follow-ups only).
    pub fn ephemeral(self) -> Self {
        self.flags(MessageFlags::EPHEMERAL)
    }

    /// The flags set so far.
    pub fn flag_set(&self) -> MessageFlags {
        self.flags.unwrap_or_default()
    }

    /// The text, if any.
    pub fn text_content(&self) -> Option<&str> {
        self.content.as_deref()
    }

    /// The embeds.
    pub fn embed_list(&self) -> &[Embed] {
        &self.embeds
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::response::Button;
    use serde_json::json;

    #[test]
    fn a_text_message_mentions_nobody_by_default() {
        assert_eq!(
            serde_json::to_value(MessageBody::text("hi @everyone")).unwrap(),
            json!({"content": "hi @everyone", "allowed_mentions": {"parse": []}})
        );
    }

    #[test]
    fn content_is_cut_to_2000_chars() {
        let body = MessageBody::text("ü".repeat(2500));
        assert_eq!(
            body.text_content().map(limits::char_len),
            Some(limits::CONTENT)
        );
    }

    #[test]
    fn embeds_added_one_by_one_obey_the_message_limits() {
        let body = (0..12).fold(MessageBody::new(), |b, _| {
            b.embed(Embed::new().description("d".repeat(1000)))
        });
        assert_eq!(body.embed_list().len(), 6);
        let total: usize = body.embed_list().iter().map(Embed::text_len).sum();
        assert_eq!(total, limits::EMBEDS_TOTAL);
    }

    #[test]
    fn at_most_five_rows_with_unique_ids_are_accepted() {
        let row = |id: &str| ActionRow::buttons(vec![Button::primary(id, "x").unwrap()]).unwrap();
        let six = (0..6).map(|i| row(&i.to_string())).collect();
        assert_eq!(
            MessageBody::new().components(six),
            Err(ComponentError::TooManyRows)
        );
        assert_eq!(
            MessageBody::new().components(vec![row("a"), row("a")]),
            Err(ComponentError::DuplicateCustomId)
        );
        let input = crate::response::TextInput::short("t", "T").unwrap();
        assert_eq!(
            MessageBody::new().components(vec![ActionRow::text_input(input)]),
            Err(ComponentError::WrongPlace)
        );
    }

    #[test]
    fn an_ephemeral_message_with_a_button_serializes_to_discords_json() {
        let body = MessageBody::text("Meeting ready")
            .ephemeral()
            .components(vec![ActionRow::buttons(vec![Button::link(
                "https://kaltura.example/join",
                "Join",
            )
            .unwrap()])
            .unwrap()])
            .unwrap();
        assert_eq!(
            serde_json::to_value(&body).unwrap(),
            json!({
                "content": "Meeting ready",
                "components": [{"type": 1, "components": [
                    {"type": 2, "style": 5, "label": "Join", "url": "https://kaltura.example/join"}
                ]}],
                "allowed_mentions": {"parse": []},
                "flags": 64
            })
        );
    }
}
