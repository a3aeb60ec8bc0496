//! Interaction responses, with one constructor per response type so that a wrong
//! kind cannot be built, and the message parts they carry.
//!
//! Spec: <https://discord.com/developers/docs/interactions/receiving-and-responding#interaction-response-object>.

mod component;
mod embed;
pub mod limits;
mod mentions;
mod message;
mod modal;

pub use component::{ActionRow, Button, ButtonStyle, ComponentError, TextInput, TextInputStyle};
pub use embed::Embed;
pub use mentions::{AllowedMentions, MentionKind};
pub use message::MessageBody;
pub use modal::Modal;

use serde::Serialize;

use crate::commands::{Choice, ChoiceValue};
use crate::model::MessageFlags;
use limits::{char_len, truncated};

int_enum! {
    /// An interaction callback type
    /// (<https://discord.com/developers/docs/interactions/receiving-and-responding#interaction-response-object-interaction-callback-type>).
    pub enum CallbackType {
        /// `PONG`: answers a PING.
        Pong = 1,
        /// `CHANNEL_MESSAGE_WITH_SOURCE`: reply with a message.
        ChannelMessageWithSource = 4,
        /// `DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE`: "thinking…", edit later.
        DeferredChannelMessageWithSource = 5,
        /// `DEFERRED_UPDATE_MESSAGE`: acknowledge a component, edit later.
        DeferredUpdateMessage = 6,
        /// `UPDATE_MESSAGE`: edit the message a component is on.
        UpdateMessage = 7,
        /// `APPLICATION_COMMAND_AUTOCOMPLETE_RESULT`: suggestions.
        ApplicationCommandAutocompleteResult = 8,
        /// `MODAL`: show a form.
        Modal = 9,
        /// `PREMIUM_REQUIRED` (deprecated).
        PremiumRequired = 10,
        /// `LAUNCH_ACTIVITY`.
        LaunchActivity = 12,
    }
}

/// An interaction response, sent as the HTTP reply to the interaction POST
/// (`200`, `Content-Type: application/json`).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[must_use = "builders do nothing unless used"]
pub struct InteractionResponse {
    #[serde(rename = "type")]
    kind: CallbackType,
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<Data>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
enum Data {
    Message(MessageBody),
    Flags { flags: MessageFlags },
    Choices { choices: Vec<Choice> },
    Modal(Modal),
}

impl InteractionResponse {
    fn of(kind: CallbackType, data: Option<Data>) -> Self {
        Self { kind, data }
    }

    /// The same response with `line` before a message's text; a response without a
    /// message (a deferral, choices, a modal) is unchanged.
    pub fn prepend_line(mut self, line: &str) -> Self {
        if let Some(Data::Message(body)) = self.data.take() {
            self.data = Some(Data::Message(body.prepend_line(line)));
        }
        self
    }

    /// `PONG` (1), the answer to a PING: `{"type":1}`.
    pub fn pong() -> Self {
        Self::of(CallbackType::Pong, None)
    }

    /// `CHANNEL_MESSAGE_WITH_SOURCE` (4): reply with a message (use
    /// [`MessageBody::ephemeral`] to show it to the invoker only).
    pub fn message(body: MessageBody) -> Self {
        Self::of(
            CallbackType::ChannelMessageWithSource,
            Some(Data::Message(body)),
        )
    }

    /// `DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE` (5): show "thinking…" and finish within
    /// 15 minutes by editing the original response. `ephemeral` decides who will see
    /// the final message (the only flag a deferral may carry).
    pub fn deferred_message(ephemeral: bool) -> Self {
        let data = ephemeral.then_some(Data::Flags {
            flags: MessageFlags::EPHEMERAL,
        });
        Self::of(CallbackType::DeferredChannelMessageWithSource, data)
    }

    /// `DEFERRED_UPDATE_MESSAGE` (6): acknowledge a component interaction without a
    /// loading state; edit the message later.
    pub fn deferred_update() -> Self {
        Self::of(CallbackType::DeferredUpdateMessage, None)
    }

    /// `UPDATE_MESSAGE` (7): edit the message a component is on.
    pub fn update_message(body: MessageBody) -> Self {
        Self::of(CallbackType::UpdateMessage, Some(Data::Message(body)))
    }

    /// `APPLICATION_COMMAND_AUTOCOMPLETE_RESULT` (8): at most 25 suggestions are kept;
    /// names are cut to 100 chars; a choice with an empty name or a string value over
    /// 100 chars is dropped (a value is never cut).
    pub fn autocomplete(choices: impl IntoIterator<Item = Choice>) -> Self {
        let choices = choices
            .into_iter()
            .filter(|c| !c.name.is_empty())
            .filter(|c| match &c.value {
                ChoiceValue::String(s) => char_len(s) <= limits::CHOICE_TEXT,
                ChoiceValue::Integer(_) | ChoiceValue::Number(_) => true,
            })
            .take(limits::CHOICES)
            .map(|mut c| {
                c.name = truncated(c.name, limits::CHOICE_TEXT);
                c
            })
            .collect();
        Self::of(
            CallbackType::ApplicationCommandAutocompleteResult,
            Some(Data::Choices { choices }),
        )
    }

    /// `LAUNCH_ACTIVITY` (12): open the application's Activity in the member's voice
    /// channel (a command or component interaction, for an app with Activities).
    pub fn launch_activity() -> Self {
        Self::of(CallbackType::LaunchActivity, None)
    }

    /// `MODAL` (9): show a form (not in answer to a PING or a modal submit).
    pub fn modal(modal: Modal) -> Self {
        Self::of(CallbackType::Modal, Some(Data::Modal(modal)))
    }

    /// The callback type.
    pub fn kind(&self) -> CallbackType {
        self.kind
    }

    /// The JSON body to send.
    ///
    /// # Errors
    /// Only if serialization fails, which these types do not do in practice.
    pub fn to_json(&self) -> serde_json::Result<Vec<u8>> {
        serde_json::to_vec(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn json(r: &InteractionResponse) -> Value {
        serde_json::from_slice(&r.to_json().unwrap()).unwrap()
    }

    #[test]
    fn launching_the_activity_is_type_12_alone() {
        assert_eq!(
            InteractionResponse::launch_activity().to_json().unwrap(),
            br#"{"type":12}"#
        );
    }

    #[test]
    fn a_pong_is_type_1_alone() {
        assert_eq!(
            InteractionResponse::pong().to_json().unwrap(),
            br#"{"type":1}"#
        );
    }

    #[test]
    fn a_message_reply_is_type_4_with_its_body() {
        let r = InteractionResponse::message(MessageBody::text("Hello").ephemeral());
        assert_eq!(
            json(&r),
            json!({"type": 4, "data": {"content": "Hello", "allowed_mentions": {"parse": []}, "flags": 64}})
        );
    }

    #[test]
    fn a_deferral_is_type_5_optionally_ephemeral() {
        assert_eq!(
            json(&InteractionResponse::deferred_message(false)),
            json!({"type": 5})
        );
        assert_eq!(
            json(&InteractionResponse::deferred_message(true)),
            json!({"type": 5, "data": {"flags": 64}})
        );
    }

    #[test]
    fn component_acknowledgements_are_types_6_and_7() {
        assert_eq!(
            json(&InteractionResponse::deferred_update()),
            json!({"type": 6})
        );
        let r = InteractionResponse::update_message(MessageBody::text("Ended"));
        assert_eq!(
            json(&r),
            json!({"type": 7, "data": {"content": "Ended", "allowed_mentions": {"parse": []}}})
        );
    }

    #[test]
    fn autocomplete_is_type_8_with_at_most_25_valid_choices() {
        let r = InteractionResponse::autocomplete([
            Choice::string("Intro video", "0_abc"),
            Choice::integer("Ten", 10),
        ]);
        assert_eq!(
            json(&r),
            json!({"type": 8, "data": {"choices": [
                {"name": "Intro video", "value": "0_abc"},
                {"name": "Ten", "value": 10}
            ]}})
        );
        let many = (0..40).map(|i| Choice::integer(format!("n{i}"), i));
        let bad = [
            Choice::string("", "x"),
            Choice::string("long", "v".repeat(101)),
        ];
        let r = InteractionResponse::autocomplete(bad.into_iter().chain(many));
        let v = json(&r);
        let choices = v["data"]["choices"].as_array().unwrap();
        assert_eq!(choices.len(), limits::CHOICES);
        assert_eq!(choices[0]["name"], "n0");
    }

    #[test]
    fn a_modal_is_type_9() {
        let modal = Modal::new(
            "schedule",
            "Schedule a meeting",
            vec![ActionRow::text_input(
                TextInput::short("title", "Title").unwrap(),
            )],
        )
        .unwrap();
        assert_eq!(
            json(&InteractionResponse::modal(modal)),
            json!({"type": 9, "data": {
                "custom_id": "schedule",
                "title": "Schedule a meeting",
                "components": [{"type": 1, "components": [
                    {"type": 4, "custom_id": "title", "style": 1, "label": "Title", "required": true}
                ]}]
            }})
        );
    }
}
