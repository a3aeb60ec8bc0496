//! Discord's documented size limits for messages, embeds and components, and the
//! safe truncation that enforces the limits on text.
//!
//! Lengths are counted in Unicode scalar values (`char`s).
//! Sources: <https://discord.com/developers/docs/resources/message#embed-object-embed-limits>,
//! <https://discord.com/developers/docs/components/reference>.

/// Message `content`.
pub const CONTENT: usize = 2000;
/// Embeds per message.
pub const EMBEDS: usize = 10;
/// Embed title.
pub const EMBED_TITLE: usize = 256;
/// Embed description.
pub const EMBED_DESCRIPTION: usize = 4096;
/// Fields per embed.
pub const EMBED_FIELDS: usize = 25;
/// Embed field name.
pub const EMBED_FIELD_NAME: usize = 256;
/// Embed field value.
pub const EMBED_FIELD_VALUE: usize = 1024;
/// Embed footer text.
pub const EMBED_FOOTER: usize = 2048;
/// Embed author name.
pub const EMBED_AUTHOR: usize = 256;
/// Sum of title, description, field names and values, footer and author across all
/// embeds of one message.
pub const EMBEDS_TOTAL: usize = 6000;
/// Action rows per (non-V2) message.
pub const ACTION_ROWS: usize = 5;
/// Buttons per action row.
pub const BUTTONS_PER_ROW: usize = 5;
/// A component's or modal's `custom_id`.
pub const CUSTOM_ID: usize = 100;
/// A button's label.
pub const BUTTON_LABEL: usize = 80;
/// A link button's URL.
pub const BUTTON_URL: usize = 512;
/// A modal's title.
pub const MODAL_TITLE: usize = 45;
/// A text input's label.
pub const TEXT_INPUT_LABEL: usize = 45;
/// A text input's placeholder.
pub const TEXT_INPUT_PLACEHOLDER: usize = 100;
/// A text input's value and its length bounds.
pub const TEXT_INPUT_VALUE: usize = 4000;
/// Autocomplete choices (and command option choices).
pub const CHOICES: usize = 25;
/// A choice's name, and a string choice's value.
pub const CHOICE_TEXT: usize = 100;
/// Users or roles listed in `allowed_mentions`.
pub const MENTION_IDS: usize = 100;

/// The number of `char`s in `text`.
pub(crate) fn char_len(text: &str) -> usize {
    text.chars().count()
}

/// Shortens `text` to at most `max` chars, on a char boundary, ending it with `…`
/// when anything was cut (so a reader sees it was cut).
pub(crate) fn truncate(text: &mut String, max: usize) {
    if text.char_indices().nth(max).is_none() {
        return;
    }
    if max == 0 {
        text.clear();
        return;
    }
    // More than `max` chars: keep `max - 1` of them and add the ellipsis.
    if let Some((end, _)) = text.char_indices().nth(max - 1) {
        text.truncate(end);
        text.push('…');
    }
}

/// [`truncate`] on an owned copy.
pub(crate) fn truncated(text: impl Into<String>, max: usize) -> String {
    let mut text = text.into();
    truncate(&mut text, max);
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_text_is_left_alone() {
        assert_eq!(truncated("abc", 3), "abc");
        assert_eq!(truncated("", 0), "");
    }

    #[test]
    fn long_text_is_cut_with_an_ellipsis_to_exactly_the_limit() {
        assert_eq!(truncated("abcdef", 4), "abc…");
        assert_eq!(char_len(&truncated("x".repeat(5000), CONTENT)), CONTENT);
        assert_eq!(truncated("abc", 0), "");
        assert_eq!(truncated("abc", 1), "…");
    }

    #[test]
    fn multi_byte_text_is_cut_on_char_boundaries() {
        let text = "é🎉中".repeat(100);
        let cut = truncated(text, 7);
        assert_eq!(char_len(&cut), 7);
        assert_eq!(cut, "é🎉中é🎉中…");
    }
}
