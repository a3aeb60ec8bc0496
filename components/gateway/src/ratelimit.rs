//! Fixed-window rate limits, per access token and per client address. The window's
//! count lives in the key-value store (one small document per subject, updated with
//! compare-and-swap), so every replica counts the same requests.

use serde::{Deserialize, Serialize};

/// How many requests a subject may make per window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Requests allowed in one window.
    pub limit: u32,
    /// The window's length in seconds.
    pub window_secs: u64,
}

/// Requests per minute for one access token or API key.
pub const PER_TOKEN: Policy = Policy {
    limit: 120,
    window_secs: 60,
};

/// Requests per minute from one client address, authenticated or not.
pub const PER_ADDRESS: Policy = Policy {
    limit: 300,
    window_secs: 60,
};

/// The stored count of the current window.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    /// When the window started (Unix seconds, a multiple of the window length).
    pub start: u64,
    /// Requests counted in it.
    pub count: u32,
}

/// The outcome for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Allowed; `remaining` more requests fit in this window.
    Allowed {
        /// Requests left in the window after this one.
        remaining: u32,
    },
    /// Refused; try again after `retry_after_secs` (the `Retry-After` header).
    Limited {
        /// Seconds until the window ends.
        retry_after_secs: u64,
    },
}

/// Counts one request at `now` against `current` and returns the window to store and
/// the decision. A refused request is not counted (the stored window is unchanged).
pub fn decide(current: Option<Window>, policy: Policy, now: u64) -> (Window, Decision) {
    let window_secs = policy.window_secs.max(1);
    let start = now - now % window_secs;
    let window = match current {
        Some(window) if window.start == start => window,
        _ => Window { start, count: 0 },
    };
    if window.count >= policy.limit {
        let retry_after_secs = (start + window_secs).saturating_sub(now).max(1);
        return (window, Decision::Limited { retry_after_secs });
    }
    let counted = Window {
        start,
        count: window.count + 1,
    };
    (
        counted,
        Decision::Allowed {
            remaining: policy.limit - counted.count,
        },
    )
}

/// The key of a subject's window. Subjects are hashed by the caller when they are
/// secrets (tokens); addresses are used as they are.
pub fn key(kind: &str, subject: &str) -> String {
    format!("{}rate/{kind}/{subject}", crate::keys::PREFIX)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: Policy = Policy {
        limit: 2,
        window_secs: 60,
    };

    #[test]
    fn requests_within_the_limit_are_allowed_and_counted() {
        let (window, decision) = decide(None, SMALL, 120);
        assert_eq!(decision, Decision::Allowed { remaining: 1 });
        let (window, decision) = decide(Some(window), SMALL, 130);
        assert_eq!(decision, Decision::Allowed { remaining: 0 });
        assert_eq!(window.count, 2);
    }

    #[test]
    fn the_request_over_the_limit_is_refused_until_the_window_ends() {
        let full = Window {
            start: 120,
            count: 2,
        };
        let (window, decision) = decide(Some(full), SMALL, 150);
        assert_eq!(decision, Decision::Limited { retry_after_secs: 30 });
        assert_eq!(window, full, "a refused request is not counted");
    }

    #[test]
    fn a_new_window_starts_from_zero() {
        let full = Window {
            start: 120,
            count: 2,
        };
        let (window, decision) = decide(Some(full), SMALL, 180);
        assert_eq!(decision, Decision::Allowed { remaining: 1 });
        assert_eq!(window.start, 180);
    }

    #[test]
    fn keys_stay_under_the_gateway_prefix() {
        assert!(key("token", "abc").starts_with("gateway/v1/rate/token/"));
    }
}
