//! Messages as received (partial) and message flags.

use std::ops::BitOr;

use serde::{Deserialize, Serialize};

use crate::id::{ChannelId, MessageId};
use crate::model::User;

/// Message flags, a bitset sent as a JSON integer
/// (<https://discord.com/developers/docs/resources/message#message-object-message-flags>).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct MessageFlags(u64);

impl MessageFlags {
    /// No flag.
    pub const NONE: Self = Self(0);
    /// `SUPPRESS_EMBEDS` (`1 << 2`): no link previews.
    pub const SUPPRESS_EMBEDS: Self = Self(1 << 2);
    /// `EPHEMERAL` (`1 << 6` = 64): only the invoking user sees it (interactions only).
    pub const EPHEMERAL: Self = Self(1 << 6);
    /// `SUPPRESS_NOTIFICATIONS` (`1 << 12`): no push or desktop notification.
    pub const SUPPRESS_NOTIFICATIONS: Self = Self(1 << 12);
    /// `IS_COMPONENTS_V2` (`1 << 15`): layout components; `content` and `embeds` are
    /// then rejected.
    pub const IS_COMPONENTS_V2: Self = Self(1 << 15);

    /// The set with exactly these bits.
    pub const fn from_bits(bits: u64) -> Self {
        Self(bits)
    }

    /// The raw bits.
    pub const fn bits(self) -> u64 {
        self.0
    }

    /// Whether every flag of `other` is set.
    pub const fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }

    /// This set without the flags of `other`.
    pub const fn without(self, other: Self) -> Self {
        Self(self.0 & !other.0)
    }
}

impl BitOr for MessageFlags {
    type Output = Self;
    fn bitor(self, rhs: Self) -> Self {
        Self(self.0 | rhs.0)
    }
}

/// A message (partial: the fields this app reads), e.g. the message a button was on
/// (<https://discord.com/developers/docs/resources/message#message-object>).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    /// The message's ID.
    pub id: MessageId,
    /// The channel it is in.
    pub channel_id: ChannelId,
    /// Its author.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<User>,
    /// Its text.
    #[serde(default)]
    pub content: String,
    /// Its flags.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flags: Option<MessageFlags>,
}
