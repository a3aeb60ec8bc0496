//! Message components: action rows, buttons and (for modals) text inputs.
//!
//! Spec: <https://discord.com/developers/docs/components/reference>. Identifiers
//! (`custom_id`, URLs) that break a rule are errors — they are never cut; display
//! text (labels, placeholders) is cut to its limit.

use serde::Serialize;

use super::limits::{self, char_len, truncated};
use crate::model::ComponentType;

/// Why a component cannot be built. Never contains the offending value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ComponentError {
    /// A `custom_id` is empty or longer than 100 chars.
    #[error("a custom_id must be 1 to 100 characters")]
    CustomId,
    /// A link button's URL is not `http(s)://` or `discord://`, or is longer than 512.
    #[error("a link button needs an http(s) or discord URL of at most 512 characters")]
    Url,
    /// A label is empty.
    #[error("a label must not be empty")]
    EmptyLabel,
    /// An action row needs 1 to 5 buttons.
    #[error("an action row holds 1 to 5 buttons")]
    RowSize,
    /// A message holds at most 5 action rows.
    #[error("a message holds at most 5 action rows")]
    TooManyRows,
    /// Two components of one message or modal share a `custom_id`.
    #[error("custom_ids must be unique within a message or modal")]
    DuplicateCustomId,
    /// Text inputs belong in modals, buttons in messages.
    #[error("text inputs go in modals and buttons in messages")]
    WrongPlace,
    /// A modal needs 1 to 5 rows.
    #[error("a modal holds 1 to 5 rows")]
    ModalRows,
}

int_enum! {
    /// A button's style (<https://discord.com/developers/docs/components/reference#button-button-styles>).
    pub enum ButtonStyle {
        /// Blurple, with a `custom_id`.
        Primary = 1,
        /// Grey, with a `custom_id`.
        Secondary = 2,
        /// Green, with a `custom_id`.
        Success = 3,
        /// Red, with a `custom_id`.
        Danger = 4,
        /// Grey, navigates to a URL; sends no interaction.
        Link = 5,
        /// Purchase of an SKU (not built by this crate).
        Premium = 6,
    }
}

int_enum! {
    /// A text input's style.
    pub enum TextInputStyle {
        /// One line.
        Short = 1,
        /// Several lines.
        Paragraph = 2,
    }
}

pub(crate) fn check_custom_id(custom_id: String) -> Result<String, ComponentError> {
    match char_len(&custom_id) {
        1..=limits::CUSTOM_ID => Ok(custom_id),
        _ => Err(ComponentError::CustomId),
    }
}

fn label(text: String, max: usize) -> Result<String, ComponentError> {
    if text.is_empty() {
        Err(ComponentError::EmptyLabel)
    } else {
        Ok(truncated(text, max))
    }
}

/// A button. Build with [`Button::primary`], [`Button::secondary`],
/// [`Button::success`], [`Button::danger`] or [`Button::link`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[must_use = "builders do nothing unless used"]
pub struct Button {
    #[serde(rename = "type")]
    kind: ComponentType,
    style: ButtonStyle,
    label: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    custom_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<String>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    disabled: bool,
}

impl Button {
    fn interactive(
        style: ButtonStyle,
        custom_id: impl Into<String>,
        text: impl Into<String>,
    ) -> Result<Self, ComponentError> {
        Ok(Self {
            kind: ComponentType::Button,
            style,
            label: label(text.into(), limits::BUTTON_LABEL)?,
            custom_id: Some(check_custom_id(custom_id.into())?),
            url: None,
            disabled: false,
        })
    }

    /// A primary (blurple) button.
    ///
    /// # Errors
    /// [`ComponentError::CustomId`] unless `custom_id` is 1-100 chars;
    /// [`ComponentError::EmptyLabel`] for an empty label (a longer one is cut to 80).
    pub fn primary(
        custom_id: impl Into<String>,
        label: impl Into<String>,
    ) -> Result<Self, ComponentError> {
        Self::interactive(ButtonStyle::Primary, custom_id, label)
    }

    /// A secondary (grey) button.
    ///
    /// # Errors
    /// As [`Button::primary`].
    pub fn secondary(
        custom_id: impl Into<String>,
        label: impl Into<String>,
    ) -> Result<Self, ComponentError> {
        Self::interactive(ButtonStyle::Secondary, custom_id, label)
    }

    /// A success (green) button.
    ///
    /// # Errors
    /// As [`Button::primary`].
    pub fn success(
        custom_id: impl Into<String>,
        label: impl Into<String>,
    ) -> Result<Self, ComponentError> {
        Self::interactive(ButtonStyle::Success, custom_id, label)
    }

    /// A danger (red) button.
    ///
    /// # Errors
    /// As [`Button::primary`].
    pub fn danger(
        custom_id: impl Into<String>,
        label: impl Into<String>,
    ) -> Result<Self, ComponentError> {
        Self::interactive(ButtonStyle::Danger, custom_id, label)
    }

    /// A link button: opens `url`, has no `custom_id` and sends no interaction.
    ///
    /// # Errors
    /// [`ComponentError::Url`] unless `url` starts with `https://`, `http://` or
    /// `discord://` and is at most 512 chars; [`ComponentError::EmptyLabel`].
    pub fn link(url: impl Into<String>, text: impl Into<String>) -> Result<Self, ComponentError> {
        let url = url.into();
        let scheme_ok = ["https://", "http://", "discord://"]
            .iter()
            .any(|scheme| url.len() > scheme.len() && url.starts_with(scheme));
        if !scheme_ok || char_len(&url) > limits::BUTTON_URL || url.contains(char::is_whitespace) {
            return Err(ComponentError::Url);
        }
        Ok(Self {
            kind: ComponentType::Button,
            style: ButtonStyle::Link,
            label: label(text.into(), limits::BUTTON_LABEL)?,
            custom_id: None,
            url: Some(url),
            disabled: false,
        })
    }

    /// Greys the button out.
    pub fn disabled(mut self, disabled: bool) -> Self {
        self.disabled = disabled;
        self
    }

    /// The button's `custom_id` (none for link buttons).
    pub fn custom_id(&self) -> Option<&str> {
        self.custom_id.as_deref()
    }
}

/// A text input for a modal. Build with [`TextInput::short`] or
/// [`TextInput::paragraph`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[must_use = "builders do nothing unless used"]
pub struct TextInput {
    #[serde(rename = "type")]
    kind: ComponentType,
    custom_id: String,
    style: TextInputStyle,
    label: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    min_length: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_length: Option<u16>,
    required: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    placeholder: Option<String>,
}

impl TextInput {
    fn new(
        style: TextInputStyle,
        custom_id: impl Into<String>,
        text: impl Into<String>,
    ) -> Result<Self, ComponentError> {
        Ok(Self {
            kind: ComponentType::TextInput,
            custom_id: check_custom_id(custom_id.into())?,
            style,
            label: label(text.into(), limits::TEXT_INPUT_LABEL)?,
            min_length: None,
            max_length: None,
            required: true,
            value: None,
            placeholder: None,
        })
    }

    /// A one-line input, required by default.
    ///
    /// # Errors
    /// [`ComponentError::CustomId`] unless `custom_id` is 1-100 chars;
    /// [`ComponentError::EmptyLabel`] for an empty label (a longer one is cut to 45).
    pub fn short(
        custom_id: impl Into<String>,
        label: impl Into<String>,
    ) -> Result<Self, ComponentError> {
        Self::new(TextInputStyle::Short, custom_id, label)
    }

    /// A multi-line input, required by default.
    ///
    /// # Errors
    /// As [`TextInput::short`].
    pub fn paragraph(
        custom_id: impl Into<String>,
        label: impl Into<String>,
    ) -> Result<Self, ComponentError> {
        Self::new(TextInputStyle::Paragraph, custom_id, label)
    }

    /// Whether it must be filled.
    pub fn required(mut self, required: bool) -> Self {
        self.required = required;
        self
    }

    /// Length bounds, clamped to Discord's (min 0-4000, max 1-4000, min ≤ max).
    pub fn length(mut self, min: u16, max: u16) -> Self {
        let cap = limits::TEXT_INPUT_VALUE as u16;
        let max = max.clamp(1, cap);
        self.min_length = Some(min.min(max));
        self.max_length = Some(max);
        self
    }

    /// Pre-filled text (cut to 4000 chars).
    pub fn value(mut self, value: impl Into<String>) -> Self {
        self.value = Some(truncated(value, limits::TEXT_INPUT_VALUE));
        self
    }

    /// Placeholder text (cut to 100 chars).
    pub fn placeholder(mut self, placeholder: impl Into<String>) -> Self {
        self.placeholder = Some(truncated(placeholder, limits::TEXT_INPUT_PLACEHOLDER));
        self
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(untagged)]
enum RowItem {
    Button(Button),
    TextInput(TextInput),
}

/// An action row: 1-5 buttons (messages) or one text input (modals).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[must_use = "builders do nothing unless used"]
pub struct ActionRow {
    #[serde(rename = "type")]
    kind: ComponentType,
    components: Vec<RowItem>,
}

impl ActionRow {
    /// A row of 1-5 buttons for a message.
    ///
    /// # Errors
    /// [`ComponentError::RowSize`] for no button or more than 5;
    /// [`ComponentError::DuplicateCustomId`] if two share a `custom_id`.
    pub fn buttons(buttons: Vec<Button>) -> Result<Self, ComponentError> {
        if buttons.is_empty() || buttons.len() > limits::BUTTONS_PER_ROW {
            return Err(ComponentError::RowSize);
        }
        let row = Self {
            kind: ComponentType::ActionRow,
            components: buttons.into_iter().map(RowItem::Button).collect(),
        };
        ensure_unique_ids(std::slice::from_ref(&row))?;
        Ok(row)
    }

    /// A row holding one text input, for a modal.
    pub fn text_input(input: TextInput) -> Self {
        Self {
            kind: ComponentType::ActionRow,
            components: vec![RowItem::TextInput(input)],
        }
    }

    pub(crate) fn has_text_input(&self) -> bool {
        self.components
            .iter()
            .any(|item| matches!(item, RowItem::TextInput(_)))
    }

    fn custom_ids(&self) -> impl Iterator<Item = &str> {
        self.components.iter().filter_map(|item| match item {
            RowItem::Button(b) => b.custom_id(),
            RowItem::TextInput(t) => Some(t.custom_id.as_str()),
        })
    }
}

/// Checks that no two components of these rows share a `custom_id`.
pub(crate) fn ensure_unique_ids(rows: &[ActionRow]) -> Result<(), ComponentError> {
    let mut seen = std::collections::HashSet::new();
    for id in rows.iter().flat_map(ActionRow::custom_ids) {
        if !seen.insert(id) {
            return Err(ComponentError::DuplicateCustomId);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_row_of_buttons_serializes_to_discords_json() {
        let row = ActionRow::buttons(vec![
            Button::primary("join:42", "Join").unwrap(),
            Button::danger("end:42", "End").unwrap().disabled(true),
            Button::link("https://example.com/r/42", "Open").unwrap(),
        ])
        .unwrap();
        assert_eq!(
            serde_json::to_value(&row).unwrap(),
            json!({"type": 1, "components": [
                {"type": 2, "style": 1, "label": "Join", "custom_id": "join:42"},
                {"type": 2, "style": 4, "label": "End", "custom_id": "end:42", "disabled": true},
                {"type": 2, "style": 5, "label": "Open", "url": "https://example.com/r/42"}
            ]})
        );
    }

    #[test]
    fn each_style_constructor_sets_its_style() {
        let styles = [
            Button::primary("a", "x").unwrap().style,
            Button::secondary("a", "x").unwrap().style,
            Button::success("a", "x").unwrap().style,
            Button::danger("a", "x").unwrap().style,
            Button::link("https://x.y", "x").unwrap().style,
        ];
        let values: Vec<u8> = styles.into_iter().map(u8::from).collect();
        assert_eq!(values, [1, 2, 3, 4, 5]);
    }

    #[test]
    fn a_custom_id_must_be_1_to_100_chars() {
        assert_eq!(Button::primary("", "x"), Err(ComponentError::CustomId));
        assert_eq!(
            Button::primary("i".repeat(101), "x"),
            Err(ComponentError::CustomId)
        );
        assert!(Button::primary("é".repeat(100), "x").is_ok());
    }

    #[test]
    fn a_link_needs_a_web_url_of_at_most_512_chars() {
        assert_eq!(
            Button::link("javascript:alert(1)", "x"),
            Err(ComponentError::Url)
        );
        assert_eq!(Button::link("https://", "x"), Err(ComponentError::Url));
        assert_eq!(Button::link("https://a b", "x"), Err(ComponentError::Url));
        let long = format!("https://e.com/{}", "p".repeat(500));
        assert_eq!(Button::link(long, "x"), Err(ComponentError::Url));
        let link = Button::link("https://e.com/ok", "x").unwrap();
        assert_eq!(link.custom_id(), None);
    }

    #[test]
    fn a_label_is_cut_to_80_chars_and_must_not_be_empty() {
        let b = Button::primary("a", "l".repeat(100)).unwrap();
        assert_eq!(char_len(&b.label), limits::BUTTON_LABEL);
        assert_eq!(Button::primary("a", ""), Err(ComponentError::EmptyLabel));
    }

    #[test]
    fn a_row_holds_one_to_five_buttons_with_unique_ids() {
        let b = |id: &str| Button::secondary(id, "x").unwrap();
        assert_eq!(ActionRow::buttons(vec![]), Err(ComponentError::RowSize));
        let six = (0..6).map(|i| b(&i.to_string())).collect();
        assert_eq!(ActionRow::buttons(six), Err(ComponentError::RowSize));
        assert_eq!(
            ActionRow::buttons(vec![b("same"), b("same")]),
            Err(ComponentError::DuplicateCustomId)
        );
        let five = (0..5).map(|i| b(&i.to_string())).collect();
        assert!(ActionRow::buttons(five).is_ok());
    }

    #[test]
    fn a_text_input_serializes_with_its_bounds() {
        let input = TextInput::paragraph("notes", "Notes")
            .unwrap()
            .required(false)
            .length(10, 9000)
            .placeholder("Anything to add?");
        assert_eq!(
            serde_json::to_value(ActionRow::text_input(input)).unwrap(),
            json!({"type": 1, "components": [{
                "type": 4, "custom_id": "notes", "style": 2, "label": "Notes",
                "min_length": 10, "max_length": 4000, "required": false,
                "placeholder": "Anything to add?"
            }]})
        );
    }
}
