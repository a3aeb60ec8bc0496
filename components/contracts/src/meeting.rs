//! Rules of the `kaltura` contract that callers apply before a call, written once:
//! which text is a meeting id (the title limit is
//! [`MeetingRequest::MAX_TITLE_CHARS`](crate::kaltura::MeetingRequest::MAX_TITLE_CHARS)).

use crate::kaltura::MeetingId;

/// A meeting id written as text (a button's `custom_id`, a command option, a path):
/// exactly the decimal form the service's ids are written in — ASCII digits, no sign,
/// no leading zero, at most `u64::MAX` — so that an id read back is the one written.
/// Anything else is no meeting the service ever returned: `None`.
pub fn parse_id(text: &str) -> Option<MeetingId> {
    let canonical =
        !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) && !text.starts_with('0');
    canonical.then(|| text.parse().ok()).flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_ids_are_read_back_as_written() {
        assert_eq!(parse_id("1001"), Some(1001));
        assert_eq!(parse_id("18446744073709551615"), Some(u64::MAX));
    }

    #[test]
    fn ids_the_service_never_writes_are_refused() {
        for bad in [
            "",
            "0",
            "042",
            "+1",
            "-1",
            " 1",
            "1 ",
            "1e3",
            "0_abc123",
            "room-7",
            "18446744073709551616",
        ] {
            assert_eq!(parse_id(bad), None, "{bad:?}");
        }
    }
}
