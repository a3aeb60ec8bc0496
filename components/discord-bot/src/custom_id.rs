//! Button `custom_id`s: a versioned, validated codec, `v1:<action>:<meeting-id>`.
//!
//! A `custom_id` comes back from the client when a button is clicked, and a client can
//! send any string: it is an intent, never a capability. [`CustomId::parse`] is strict
//! (exact version, known action, a meeting id in the decimal form the `kaltura` service
//! writes — [`contracts::meeting::parse_id`] — nothing else), and dispatch checks the
//! member's permission again on every click. Buttons posted before meeting ids became
//! numbers in the contract carry the same decimal ids, so they keep working.
//!
//! | action | `custom_id` | meaning |
//! |---|---|---|
//! | [`ButtonAction::Join`] | `v1:join:<id>` | send me my own join link |
//! | [`ButtonAction::Share`] | `v1:share:<id>` | post the meeting in this channel |
//! | [`ButtonAction::End`] | `v1:end:<id>` | ask to end the meeting |
//! | [`ButtonAction::EndConfirm`] | `v1:end-confirm:<id>` | yes, end it |
//! | [`ButtonAction::EndCancel`] | `v1:end-cancel:<id>` | no, keep it running |
//! | [`VideoAction::Share`] | `v1:vshare:<entry-id>` | post the video in this channel |
//! | [`VideoAction::Watch`] | `v1:vwatch:<entry-id>` | watch it together (the Activity, or the link) |
//!
//! A video button names a Kaltura entry ([`VideoButton`]): `[A-Za-z0-9_]`, 1 to 32
//! characters, parsed as strictly.
//!
//! Every button carries the version of the codec it was made with (`v1` since the
//! first release: today's buttons are v1 and keep working). A click on a button this
//! build cannot read is answered, never acted on: a newer version (`v2:…`, from a newer
//! replica during a rolling upgrade) asks the member to try again in a minute; anything
//! else (an unknown version, a retired action) says the message is old and how to get
//! fresh buttons (`/kaltura-list`).

use std::fmt;
use std::str::FromStr;

use contracts::kaltura::MeetingId;

/// The codec version every `custom_id` this build writes starts with.
pub const VERSION: &str = "v1";

/// The longest `custom_id` Discord accepts.
pub const MAX_LEN: usize = 100;

/// What a button asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ButtonAction {
    /// Send the clicker their own join link (ephemeral).
    Join,
    /// Post the meeting publicly in the channel.
    Share,
    /// Ask to end the meeting (answers with a confirmation).
    End,
    /// Confirm ending the meeting.
    EndConfirm,
    /// Cancel ending the meeting.
    EndCancel,
}

impl ButtonAction {
    /// Every action.
    pub const ALL: [Self; 5] = [
        Self::Join,
        Self::Share,
        Self::End,
        Self::EndConfirm,
        Self::EndCancel,
    ];

    /// The action's word in a `custom_id`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Join => "join",
            Self::Share => "share",
            Self::End => "end",
            Self::EndConfirm => "end-confirm",
            Self::EndCancel => "end-cancel",
        }
    }
}

/// Why a string is not a `custom_id` of this bot. Never contains the input.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CustomIdError {
    /// Empty or longer than 100 characters.
    #[error("a custom_id is 1 to 100 characters")]
    Length,
    /// Not three `:`-separated parts.
    #[error("a custom_id has the form <version>:<action>:<meeting-id>")]
    Malformed,
    /// A version other than [`VERSION`] that is not a newer one (older, or garbled).
    #[error("unknown custom_id version")]
    UnknownVersion,
    /// A newer version (`v2`, `v3`, …): made by a newer build of the bot, e.g. during a
    /// rolling upgrade.
    #[error("a custom_id of a newer version")]
    NewerVersion,
    /// An action this build does not know.
    #[error("unknown button action")]
    UnknownAction,
    /// The meeting ID is not valid.
    #[error("the custom_id's meeting ID is not valid")]
    BadMeetingId,
}

/// A parsed button `custom_id`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CustomId {
    /// What the button asks for.
    pub action: ButtonAction,
    /// The meeting it is about.
    pub meeting: MeetingId,
}

impl CustomId {
    /// A `custom_id` for `action` on `meeting`.
    pub fn new(action: ButtonAction, meeting: MeetingId) -> Self {
        Self { action, meeting }
    }

    /// The wire form, `v1:<action>:<meeting-id>` (at most 35 characters).
    pub fn encode(&self) -> String {
        format!("{VERSION}:{}:{}", self.action.as_str(), self.meeting)
    }

    /// Parses a `custom_id` strictly: exactly `v1`, a known action and a valid meeting
    /// ID, separated by single `:`; no whitespace, no extra parts.
    ///
    /// # Errors
    /// [`CustomIdError`] naming the first problem.
    pub fn parse(text: &str) -> Result<Self, CustomIdError> {
        if text.is_empty() || text.chars().count() > MAX_LEN {
            return Err(CustomIdError::Length);
        }
        let mut parts = text.splitn(3, ':');
        let (Some(version), Some(action), Some(meeting)) =
            (parts.next(), parts.next(), parts.next())
        else {
            return Err(CustomIdError::Malformed);
        };
        if version != VERSION {
            return Err(if is_newer(version) {
                CustomIdError::NewerVersion
            } else {
                CustomIdError::UnknownVersion
            });
        }
        let action = ButtonAction::ALL
            .into_iter()
            .find(|a| a.as_str() == action)
            .ok_or(CustomIdError::UnknownAction)?;
        let meeting = contracts::meeting::parse_id(meeting).ok_or(CustomIdError::BadMeetingId)?;
        Ok(Self { action, meeting })
    }
}

/// Whether `version` is `v<n>` with `n` above this build's (canonical digits only).
fn is_newer(version: &str) -> bool {
    let current = VERSION.trim_start_matches('v').parse::<u32>().unwrap_or(1);
    version
        .strip_prefix('v')
        .filter(|n| !n.is_empty() && !n.starts_with('0') && n.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|n| n.parse::<u32>().ok())
        .is_some_and(|n| n > current)
}

/// What a video button asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum VideoAction {
    /// Post the video publicly in the channel.
    Share,
    /// Watch it together: launch the Activity in a voice channel, else the link.
    Watch,
}

impl VideoAction {
    /// Every video action.
    pub const ALL: [Self; 2] = [Self::Share, Self::Watch];

    /// The action's word in a `custom_id`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Share => "vshare",
            Self::Watch => "vwatch",
        }
    }
}

/// The longest Kaltura entry id a video button carries.
pub const MAX_ENTRY: usize = 32;

/// A parsed video button `custom_id`, `v1:<vshare|vwatch>:<entry-id>`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct VideoButton {
    /// What the button asks for.
    pub action: VideoAction,
    /// The Kaltura entry.
    pub entry: String,
}

impl VideoButton {
    /// The wire form.
    pub fn encode(&self) -> String {
        format!("{VERSION}:{}:{}", self.action.as_str(), self.entry)
    }

    /// Parses a video button strictly; `None` for anything else (including the meeting
    /// buttons, which [`CustomId::parse`] reads).
    pub fn parse(text: &str) -> Option<Self> {
        let mut parts = text.splitn(3, ':');
        let (Some(VERSION), Some(action), Some(entry)) = (parts.next(), parts.next(), parts.next())
        else {
            return None;
        };
        let action = VideoAction::ALL
            .into_iter()
            .find(|a| a.as_str() == action)?;
        let valid = (1..=MAX_ENTRY).contains(&entry.len())
            && entry
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_');
        valid.then(|| Self {
            action,
            entry: entry.to_owned(),
        })
    }
}

impl FromStr for CustomId {
    type Err = CustomIdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for CustomId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.encode())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn video_buttons_round_trip_and_refuse_anything_but_an_entry_id() {
        for action in VideoAction::ALL {
            let button = VideoButton {
                action,
                entry: "0_abc123".into(),
            };
            assert_eq!(VideoButton::parse(&button.encode()), Some(button));
        }
        assert_eq!(
            VideoButton::parse("v1:vwatch:0_abc123").unwrap().action,
            VideoAction::Watch
        );
        for bad in [
            "v1:vshare:",
            "v1:vshare:0_a,role:x",
            "v1:vshare:0_a:b",
            "v2:vshare:0_a",
            "v1:share:0_a",
            &format!("v1:vwatch:{}", "a".repeat(33)),
        ] {
            assert_eq!(VideoButton::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn every_action_round_trips_through_its_wire_form() {
        for action in ButtonAction::ALL {
            let custom = CustomId::new(action, 1001);
            let wire = custom.encode();
            assert_eq!(wire, format!("v1:{}:1001", action.as_str()));
            assert_eq!(CustomId::parse(&wire), Ok(custom));
        }
    }

    #[test]
    fn the_longest_custom_id_fits_discords_limit() {
        for action in ButtonAction::ALL {
            let wire = CustomId::new(action, u64::MAX).encode();
            assert!(wire.len() <= MAX_LEN, "{wire}");
            assert!(CustomId::parse(&wire).is_ok());
        }
    }

    #[test]
    fn a_newer_version_is_told_apart_from_an_unknown_one() {
        assert_eq!(
            CustomId::parse("v2:join:1"),
            Err(CustomIdError::NewerVersion)
        );
        assert_eq!(
            CustomId::parse("v17:share:1"),
            Err(CustomIdError::NewerVersion)
        );
        for old in ["v0:join:1", "v02:join:1", "v-1:join:1"] {
            assert_eq!(
                CustomId::parse(old),
                Err(CustomIdError::UnknownVersion),
                "{old}"
            );
        }
    }

    #[test]
    fn an_unknown_version_is_rejected() {
        for bad in ["V1:join:1", "v:join:1", ":join:1", "v1 :join:1"] {
            assert_eq!(
                CustomId::parse(bad),
                Err(CustomIdError::UnknownVersion),
                "{bad}"
            );
        }
    }

    #[test]
    fn an_unknown_action_is_rejected() {
        for bad in [
            "v1:leave:1",
            "v1:JOIN:1",
            "v1::1",
            "v1:join :1",
            "v1:end_confirm:1",
        ] {
            assert_eq!(
                CustomId::parse(bad),
                Err(CustomIdError::UnknownAction),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_bad_meeting_id_is_rejected() {
        for bad in [
            "v1:join:",
            "v1:join: 1",
            "v1:join:1 ",
            "v1:join:1:2",
            "v1:join:a/b",
            "v1:join:é",
            "v1:share:1\n",
            "v1:end:<@&1>",
            // Ids the kaltura service never writes: not decimal, or not its decimal form.
            "v1:join:0_abc123",
            "v1:join:0",
            "v1:join:042",
            "v1:join:18446744073709551616",
        ] {
            assert_eq!(
                CustomId::parse(bad),
                Err(CustomIdError::BadMeetingId),
                "{bad:?}"
            );
        }
        let long = format!("v1:join:{}", "1".repeat(65));
        assert_eq!(CustomId::parse(&long), Err(CustomIdError::BadMeetingId));
    }

    #[test]
    fn missing_parts_and_bad_lengths_are_rejected() {
        assert_eq!(CustomId::parse(""), Err(CustomIdError::Length));
        assert_eq!(
            CustomId::parse(&"v1:join:".repeat(20)),
            Err(CustomIdError::Length)
        );
        for bad in ["v1", "v1:join", "join:1", "anything"] {
            assert_eq!(CustomId::parse(bad), Err(CustomIdError::Malformed), "{bad}");
        }
    }

    #[test]
    fn odd_inputs_never_panic_and_only_canonical_forms_parse() {
        // A deterministic sweep of short strings over an alphabet that includes every
        // separator and look-alike: whatever parses must re-encode to itself.
        let alphabet: Vec<char> = "v1:joinedshrc-_0Zé \u{0}🎉".chars().collect();
        let mut state: u64 = 0x2545_F491_4F6C_DD1D;
        for _ in 0..20_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let len = (state % 24) as usize;
            let text: String = (0..len)
                .map(|i| alphabet[((state >> (i % 8 * 8)) as usize + i) % alphabet.len()])
                .collect();
            if let Ok(parsed) = CustomId::parse(&text) {
                assert_eq!(parsed.encode(), text);
            }
        }
        for text in ["v1:join:1", "v1:end-cancel:1001"] {
            assert_eq!(CustomId::parse(text).unwrap().encode(), text);
        }
    }
}
