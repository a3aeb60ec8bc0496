//! A channel as `GET /channels/{channel}` returns it (partial): enough to tell which
//! server it belongs to before the bot is told to post there.
//!
//! Spec: <https://discord.com/developers/docs/resources/channel#channel-object>.

use serde::{Deserialize, Serialize};

use crate::id::{ChannelId, GuildId};

/// `GET /channels/{channel}`, the fields used here.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Channel {
    /// The channel's id.
    pub id: ChannelId,
    /// The server it belongs to; `None` for direct messages and group DMs.
    #[serde(default)]
    pub guild_id: Option<GuildId>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_server_channel_names_its_server_and_a_dm_none() {
        let text: Channel = serde_json::from_str(
            r#"{"id":"41771983423143937","guild_id":"41771983423143938","type":0,"name":"general","position":6}"#,
        )
        .unwrap();
        assert_eq!(text.guild_id, GuildId::new(41_771_983_423_143_938));
        let dm: Channel = serde_json::from_str(r#"{"id":"319674150115610528","type":1}"#).unwrap();
        assert_eq!(dm.guild_id, None);
    }
}
