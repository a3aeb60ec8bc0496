//! The `data` of component and modal-submit interactions.

use serde::{Deserialize, Serialize};

use crate::model::ComponentType;

/// The `data` of a `MESSAGE_COMPONENT` interaction
/// (<https://discord.com/developers/docs/interactions/receiving-and-responding#interaction-object-message-component-data-structure>).
///
/// `custom_id` comes from the client and can be forged: check permissions again.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComponentData {
    /// The developer-defined ID of the component used.
    pub custom_id: String,
    /// The type of the component used.
    pub component_type: ComponentType,
    /// The selected values, for select menus.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<String>,
}

/// The `data` of a `MODAL_SUBMIT` interaction
/// (<https://discord.com/developers/docs/interactions/receiving-and-responding#interaction-object-modal-submit-data-structure>).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModalSubmitData {
    /// The developer-defined ID of the modal.
    pub custom_id: String,
    /// The submitted components (action rows or labels around inputs).
    #[serde(default)]
    pub components: Vec<SubmittedComponent>,
}

/// One component of a submitted modal: a layout (action row, label) or an input.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubmittedComponent {
    /// The component's type.
    #[serde(rename = "type")]
    pub kind: ComponentType,
    /// An input's developer-defined ID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_id: Option<String>,
    /// A text input's value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// A select's values.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<String>,
    /// An action row's children.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub components: Vec<SubmittedComponent>,
    /// A label's child.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub component: Option<Box<SubmittedComponent>>,
}

impl ModalSubmitData {
    /// The submitted text of the input with this `custom_id`, at any depth.
    pub fn value(&self, custom_id: &str) -> Option<&str> {
        fn find<'a>(list: &'a [SubmittedComponent], id: &str) -> Option<&'a str> {
            list.iter().find_map(|c| {
                if c.custom_id.as_deref() == Some(id) {
                    return c.value.as_deref();
                }
                find(&c.components, id).or_else(|| {
                    c.component
                        .as_deref()
                        .and_then(|child| find(std::slice::from_ref(child), id))
                })
            })
        }
        find(&self.components, custom_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_modal_value_is_found_in_action_rows_and_labels() {
        let data: ModalSubmitData = serde_json::from_str(
            r#"{"custom_id":"schedule","components":[
                {"type":1,"components":[{"type":4,"custom_id":"title","value":"Weekly sync"}]},
                {"type":18,"id":2,"component":{"type":4,"custom_id":"notes","value":"bring slides"}}
            ]}"#,
        )
        .unwrap();
        assert_eq!(data.value("title"), Some("Weekly sync"));
        assert_eq!(data.value("notes"), Some("bring slides"));
        assert_eq!(data.value("absent"), None);
    }

    #[test]
    fn component_data_keeps_select_values() {
        let data: ComponentData =
            serde_json::from_str(r#"{"custom_id":"pick","component_type":3,"values":["a","b"]}"#)
                .unwrap();
        assert_eq!(data.component_type, ComponentType::StringSelect);
        assert_eq!(data.values, ["a", "b"]);
    }
}
