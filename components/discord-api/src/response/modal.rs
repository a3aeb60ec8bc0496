//! Modals: a form of text inputs shown in answer to a command or component.
//!
//! Spec: <https://discord.com/developers/docs/interactions/receiving-and-responding#interaction-response-object-modal>.

use serde::Serialize;

use super::component::{check_custom_id, ensure_unique_ids, ActionRow, ComponentError};
use super::limits::{self, truncated};

/// A modal: `custom_id` 1-100 chars, a title (cut to 45), 1-5 rows of one text
/// input each.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[must_use = "builders do nothing unless used"]
pub struct Modal {
    custom_id: String,
    title: String,
    components: Vec<ActionRow>,
}

impl Modal {
    /// Builds a modal.
    ///
    /// # Errors
    /// [`ComponentError::CustomId`], [`ComponentError::EmptyLabel`] for an empty
    /// title, [`ComponentError::ModalRows`] unless there are 1-5 rows,
    /// [`ComponentError::WrongPlace`] for a row of buttons,
    /// [`ComponentError::DuplicateCustomId`].
    pub fn new(
        custom_id: impl Into<String>,
        title: impl Into<String>,
        rows: Vec<ActionRow>,
    ) -> Result<Self, ComponentError> {
        let custom_id = check_custom_id(custom_id.into())?;
        let title = title.into();
        if title.is_empty() {
            return Err(ComponentError::EmptyLabel);
        }
        if rows.is_empty() || rows.len() > limits::ACTION_ROWS {
            return Err(ComponentError::ModalRows);
        }
        if !rows.iter().all(ActionRow::has_text_input) {
            return Err(ComponentError::WrongPlace);
        }
        ensure_unique_ids(&rows)?;
        Ok(Self {
            custom_id,
            title: truncated(title, limits::MODAL_TITLE),
            components: rows,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::response::{Button, TextInput};

    fn input(id: &str) -> ActionRow {
        ActionRow::text_input(TextInput::short(id, "Label").unwrap())
    }

    #[test]
    fn a_modal_needs_one_to_five_text_input_rows() {
        assert_eq!(Modal::new("m", "T", vec![]), Err(ComponentError::ModalRows));
        let six = (0..6).map(|i| input(&i.to_string())).collect();
        assert_eq!(Modal::new("m", "T", six), Err(ComponentError::ModalRows));
        let buttons = ActionRow::buttons(vec![Button::primary("b", "B").unwrap()]).unwrap();
        assert_eq!(
            Modal::new("m", "T", vec![buttons]),
            Err(ComponentError::WrongPlace)
        );
        assert_eq!(
            Modal::new("m", "T", vec![input("a"), input("a")]),
            Err(ComponentError::DuplicateCustomId)
        );
        assert_eq!(
            Modal::new("", "T", vec![input("a")]),
            Err(ComponentError::CustomId)
        );
        assert_eq!(
            Modal::new("m", "", vec![input("a")]),
            Err(ComponentError::EmptyLabel)
        );
    }

    #[test]
    fn a_long_title_is_cut_to_45_chars() {
        let modal = Modal::new("m", "t".repeat(60), vec![input("a")]).unwrap();
        assert_eq!(limits::char_len(&modal.title), limits::MODAL_TITLE);
    }
}
