//! The room document and its transitions, pure: every function is given the time and
//! the presence timeout, so the rules (who is present, who hosts, what a command does)
//! are tested without a store or a clock.

use contracts::watch::{ControlAction, Playback, RoomState, ViewerPresence};
use contracts::Error;
use serde::{Deserialize, Serialize};

/// The longest room name.
pub const MAX_ROOM: usize = 100;

/// The longest display name kept.
pub const MAX_NAME: usize = 100;

/// The furthest position a command may name: 100 hours, in milliseconds.
pub const MAX_POSITION_MS: u64 = 100 * 3600 * 1000;

/// How long a room nobody is in is kept: 10 minutes.
pub const EMPTY_ROOM_TTL_MS: u64 = 10 * 60 * 1000;

/// A viewer in the stored room.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Present {
    /// Discord user ID.
    pub user_id: u64,
    /// The name shown to the others.
    pub name: String,
    /// When they joined (Unix ms).
    pub joined_at_ms: u64,
    /// When they were last seen (Unix ms).
    pub last_seen_ms: u64,
}

/// The stored room (`watch/v1/room/<room>`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Room {
    /// The server it belongs to.
    pub guild_id: u64,
    /// The Kaltura entry it plays.
    pub entry_id: String,
    /// Who controls playback.
    pub host_id: u64,
    /// Whether the video plays.
    pub playing: bool,
    /// The position at `at_ms`.
    pub position_ms: u64,
    /// Server time of `position_ms`.
    pub at_ms: u64,
    /// Raised by every change but heartbeats.
    pub version: u64,
    /// The viewers as last written, earliest joined first (some may have timed out
    /// since: see [`Room::settle`]).
    pub viewers: Vec<Present>,
    /// When anything but a heartbeat last changed (Unix ms).
    pub changed_at_ms: u64,
}

/// Whether `room` is a room name: 1 to [`MAX_ROOM`] of `[A-Za-z0-9_-]`.
pub fn valid_room(room: &str) -> bool {
    (1..=MAX_ROOM).contains(&room.len())
        && room
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// `room` if it is a room name.
///
/// # Errors
/// `invalid` naming the rule.
pub fn check_room(room: &str) -> Result<(), Error> {
    if valid_room(room) {
        Ok(())
    } else {
        Err(Error::Invalid(format!(
            "room: must be 1 to {MAX_ROOM} letters, digits, `_` or `-`"
        )))
    }
}

/// The display name as kept: control characters removed, whitespace collapsed, at most
/// [`MAX_NAME`] characters.
///
/// # Errors
/// `invalid` when nothing is left.
pub fn clean_name(name: &str) -> Result<String, Error> {
    let cleaned: String = name
        .split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .take(MAX_NAME)
        .collect();
    if cleaned.is_empty() {
        Err(Error::Invalid("display-name: must not be empty".into()))
    } else {
        Ok(cleaned)
    }
}

impl Room {
    /// A new room on `entry_id`, hosted by its first viewer.
    pub fn new(guild_id: u64, entry_id: String, first: Present, now_ms: u64) -> Self {
        Self {
            guild_id,
            entry_id,
            host_id: first.user_id,
            playing: false,
            position_ms: 0,
            at_ms: now_ms,
            version: 1,
            viewers: vec![first],
            changed_at_ms: now_ms,
        }
    }

    fn is_present(viewer: &Present, now_ms: u64, timeout_ms: u64) -> bool {
        now_ms.saturating_sub(viewer.last_seen_ms) <= timeout_ms
    }

    /// Whether nobody has been in the room for [`EMPTY_ROOM_TTL_MS`]: it may be
    /// removed, and a join starts it afresh.
    pub fn expired(&self, now_ms: u64, timeout_ms: u64) -> bool {
        let last_seen = self
            .viewers
            .iter()
            .map(|v| v.last_seen_ms.saturating_add(timeout_ms))
            .max()
            .unwrap_or(0)
            .max(self.changed_at_ms);
        now_ms.saturating_sub(last_seen) > EMPTY_ROOM_TTL_MS
    }

    /// The viewer `user_id`, if present now.
    pub fn present(&self, user_id: u64, now_ms: u64, timeout_ms: u64) -> Option<&Present> {
        self.viewers
            .iter()
            .find(|v| v.user_id == user_id && Self::is_present(v, now_ms, timeout_ms))
    }

    /// Drops the viewers who timed out and, if the host is not present, makes the
    /// earliest-joined viewer present the host. Returns whether anything changed (the
    /// version is then raised).
    pub fn settle(&mut self, now_ms: u64, timeout_ms: u64) -> bool {
        let before = self.viewers.len();
        self.viewers
            .retain(|v| Self::is_present(v, now_ms, timeout_ms));
        let mut changed = self.viewers.len() != before;
        changed |= self.elect_host();
        if changed {
            self.bump(now_ms);
        }
        changed
    }

    /// If the host is not among the viewers, the earliest joined one hosts.
    fn elect_host(&mut self) -> bool {
        if self.viewers.iter().any(|v| v.user_id == self.host_id) {
            return false;
        }
        match self
            .viewers
            .iter()
            .min_by_key(|v| (v.joined_at_ms, v.user_id))
        {
            Some(next) => {
                self.host_id = next.user_id;
                true
            }
            None => false,
        }
    }

    fn bump(&mut self, now_ms: u64) {
        self.version = self.version.saturating_add(1);
        self.changed_at_ms = now_ms;
    }

    /// Adds `user_id` (or refreshes them and their name). A new viewer raises the
    /// version; with no host present they host.
    pub fn join(&mut self, user_id: u64, name: String, now_ms: u64, timeout_ms: u64) {
        self.settle(now_ms, timeout_ms);
        if let Some(viewer) = self.viewers.iter_mut().find(|v| v.user_id == user_id) {
            viewer.last_seen_ms = now_ms;
            if viewer.name != name {
                viewer.name = name;
                self.bump(now_ms);
            }
            return;
        }
        self.viewers.push(Present {
            user_id,
            name,
            joined_at_ms: now_ms,
            last_seen_ms: now_ms,
        });
        self.elect_host();
        self.bump(now_ms);
    }

    /// Refreshes `user_id`'s heartbeat if present (returns whether they are).
    pub fn heartbeat(&mut self, user_id: u64, now_ms: u64, timeout_ms: u64) -> bool {
        match self
            .viewers
            .iter_mut()
            .find(|v| v.user_id == user_id && Self::is_present(v, now_ms, timeout_ms))
        {
            Some(viewer) => {
                viewer.last_seen_ms = now_ms;
                true
            }
            None => false,
        }
    }

    /// The host's command, if `expected_version` is the room's version.
    ///
    /// # Errors
    /// `forbidden` for anyone but the host; `conflict` on a stale version; `invalid`
    /// for a position past [`MAX_POSITION_MS`].
    pub fn control(
        &mut self,
        user_id: u64,
        action: ControlAction,
        expected_version: u64,
        now_ms: u64,
        timeout_ms: u64,
    ) -> Result<(), Error> {
        let version = self.version;
        self.heartbeat(user_id, now_ms, timeout_ms);
        self.settle(now_ms, timeout_ms);
        if self.host_id != user_id || self.present(user_id, now_ms, timeout_ms).is_none() {
            return Err(Error::Forbidden(
                "only the room's host controls playback".into(),
            ));
        }
        if expected_version != version {
            return Err(Error::Conflict(format!(
                "the room is at version {version}, not {expected_version}"
            )));
        }
        let (playing, position_ms) = match action {
            ControlAction::Play(at) => (true, at),
            ControlAction::Pause(at) => (false, at),
            ControlAction::Seek(at) => (self.playing, at),
        };
        if position_ms > MAX_POSITION_MS {
            return Err(Error::Invalid(format!(
                "position-ms: must be at most {MAX_POSITION_MS}"
            )));
        }
        self.playing = playing;
        self.position_ms = position_ms;
        self.at_ms = now_ms;
        self.bump(now_ms);
        Ok(())
    }

    /// The host hands control to a viewer present.
    ///
    /// # Errors
    /// `forbidden` for anyone but the host; `invalid` when `to_user` is not present.
    pub fn hand_over(
        &mut self,
        from_user: u64,
        to_user: u64,
        now_ms: u64,
        timeout_ms: u64,
    ) -> Result<(), Error> {
        self.heartbeat(from_user, now_ms, timeout_ms);
        self.settle(now_ms, timeout_ms);
        if self.host_id != from_user || self.present(from_user, now_ms, timeout_ms).is_none() {
            return Err(Error::Forbidden(
                "only the room's host can hand over".into(),
            ));
        }
        if self.present(to_user, now_ms, timeout_ms).is_none() {
            return Err(Error::Invalid("user_id: is not in this room".into()));
        }
        if to_user != from_user {
            self.host_id = to_user;
            self.bump(now_ms);
        }
        Ok(())
    }

    /// `user_id` leaves (returns whether they were in the room); a leaving host is
    /// replaced by the earliest-joined viewer left.
    pub fn leave(&mut self, user_id: u64, now_ms: u64, timeout_ms: u64) -> bool {
        let before = self.viewers.len();
        self.viewers.retain(|v| v.user_id != user_id);
        let left = self.viewers.len() != before;
        if left {
            self.bump(now_ms);
        }
        self.settle(now_ms, timeout_ms);
        left
    }

    /// The room as every viewer sees it at `now_ms`: only viewers present, earliest
    /// joined first.
    pub fn view(&self, room: &str, now_ms: u64, timeout_ms: u64) -> RoomState {
        let mut viewers: Vec<ViewerPresence> = self
            .viewers
            .iter()
            .filter(|v| Self::is_present(v, now_ms, timeout_ms))
            .map(|v| ViewerPresence {
                user_id: v.user_id,
                display_name: v.name.clone(),
                joined_at_ms: v.joined_at_ms,
                last_seen_ms: v.last_seen_ms,
            })
            .collect();
        viewers.sort_by_key(|v| (v.joined_at_ms, v.user_id));
        RoomState {
            room: room.to_owned(),
            guild_id: self.guild_id,
            entry_id: self.entry_id.clone(),
            host_id: self.host_id,
            playback: Playback {
                playing: self.playing,
                position_ms: self.position_ms,
                at_ms: self.at_ms,
            },
            version: self.version,
            viewers,
            server_now_ms: now_ms,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: u64 = 15_000;
    const NOW: u64 = 1_700_000_000_000;
    const A: u64 = 11;
    const B: u64 = 22;
    const C: u64 = 33;

    fn present(user_id: u64, at: u64) -> Present {
        Present {
            user_id,
            name: format!("user {user_id}"),
            joined_at_ms: at,
            last_seen_ms: at,
        }
    }

    fn room_of_three() -> Room {
        let mut room = Room::new(1, "0_abc".into(), present(A, NOW), NOW);
        room.join(B, "b".into(), NOW + 1, T);
        room.join(C, "c".into(), NOW + 2, T);
        room
    }

    #[test]
    fn room_names_are_letters_digits_dashes_and_underscores() {
        assert!(valid_room("i-1234_abc"));
        assert!(!valid_room(""));
        assert!(!valid_room("a/b"));
        assert!(!valid_room("a#1"));
        assert!(!valid_room(&"a".repeat(101)));
    }

    #[test]
    fn names_lose_control_characters_and_empty_ones_are_refused() {
        assert_eq!(clean_name(" Ada\u{7}  Lovelace\n").unwrap(), "Ada Lovelace");
        assert!(clean_name(" \u{0} ").is_err());
        assert_eq!(clean_name(&"x".repeat(300)).unwrap().len(), MAX_NAME);
    }

    #[test]
    fn the_first_viewer_hosts_and_later_ones_follow() {
        let room = room_of_three();
        assert_eq!(room.host_id, A);
        assert_eq!(room.viewers.len(), 3);
        assert_eq!(room.version, 3);
    }

    #[test]
    fn a_rejoin_refreshes_without_raising_the_version() {
        let mut room = room_of_three();
        room.join(B, "b".into(), NOW + 10, T);
        assert_eq!(room.version, 3);
        assert_eq!(room.viewers[1].last_seen_ms, NOW + 10);
    }

    #[test]
    fn only_the_host_controls_and_a_stale_version_conflicts() {
        let mut room = room_of_three();
        assert!(matches!(
            room.control(B, ControlAction::Play(0), 3, NOW + 5, T),
            Err(Error::Forbidden(_))
        ));
        assert!(matches!(
            room.control(A, ControlAction::Play(0), 2, NOW + 5, T),
            Err(Error::Conflict(_))
        ));
        room.control(A, ControlAction::Play(1_000), 3, NOW + 5, T)
            .unwrap();
        assert!(room.playing);
        assert_eq!(
            (room.position_ms, room.at_ms, room.version),
            (1_000, NOW + 5, 4)
        );
        room.control(A, ControlAction::Seek(9_000), 4, NOW + 6, T)
            .unwrap();
        assert!(room.playing, "a seek keeps playing");
        room.control(A, ControlAction::Pause(9_500), 5, NOW + 7, T)
            .unwrap();
        assert!(!room.playing);
        assert_eq!(room.position_ms, 9_500);
    }

    #[test]
    fn a_position_past_a_hundred_hours_is_refused() {
        let mut room = room_of_three();
        assert!(matches!(
            room.control(A, ControlAction::Seek(MAX_POSITION_MS + 1), 3, NOW, T),
            Err(Error::Invalid(_))
        ));
        assert_eq!(room.position_ms, 0);
    }

    #[test]
    fn a_host_who_times_out_is_replaced_by_the_earliest_joined_viewer_present() {
        let mut room = room_of_three();
        let later = NOW + T + 100;
        assert!(room.heartbeat(B, NOW + 10_000, T));
        assert!(room.heartbeat(C, NOW + 10_000, T));
        assert!(room.settle(later, T));
        assert_eq!(room.host_id, B);
        assert_eq!(room.viewers.len(), 2);
        assert!(!room.settle(later, T), "decided once");
    }

    #[test]
    fn a_leaving_host_hands_over_and_leaving_twice_changes_nothing() {
        let mut room = room_of_three();
        assert!(room.leave(A, NOW + 5, T));
        assert_eq!(room.host_id, B);
        let version = room.version;
        assert!(!room.leave(A, NOW + 6, T));
        assert_eq!(room.version, version);
    }

    #[test]
    fn hand_over_needs_the_host_and_a_viewer_present() {
        let mut room = room_of_three();
        assert!(matches!(
            room.hand_over(B, C, NOW + 5, T),
            Err(Error::Forbidden(_))
        ));
        assert!(matches!(
            room.hand_over(A, 99, NOW + 5, T),
            Err(Error::Invalid(_))
        ));
        room.hand_over(A, C, NOW + 5, T).unwrap();
        assert_eq!(room.host_id, C);
    }

    #[test]
    fn an_empty_room_expires_after_ten_minutes() {
        let mut room = room_of_three();
        for user in [A, B, C] {
            room.leave(user, NOW + 10, T);
        }
        assert!(!room.expired(NOW + 10 + EMPTY_ROOM_TTL_MS, T));
        assert!(room.expired(NOW + 11 + EMPTY_ROOM_TTL_MS, T));
    }

    #[test]
    fn the_view_lists_only_viewers_present() {
        let mut room = room_of_three();
        room.heartbeat(A, NOW + T, T);
        let view = room.view("c-1", NOW + T + 10, T);
        assert_eq!(view.viewers.len(), 1);
        assert_eq!(view.viewers[0].user_id, A);
        assert_eq!(view.server_now_ms, NOW + T + 10);
    }
}
