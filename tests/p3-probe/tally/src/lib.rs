//! `probe:tally/tally`: a p2-style library component. Its counter lives in the library
//! instance, so it climbs while Spin reuses the WASIp3 importer's instance, and starts
//! again at 1 in a fresh one.

#![allow(unsafe_code)]

use std::sync::atomic::{AtomicU64, Ordering};

wit_bindgen::generate!({ world: "library", path: "wit", generate_all });

use exports::probe::tally::tally::Guest;
use fermyon::spin::variables;

/// Calls to `next` on this instance.
static CALLS: AtomicU64 = AtomicU64::new(0);

struct Tally;

impl Guest for Tally {
    fn next() -> u64 {
        CALLS.fetch_add(1, Ordering::SeqCst) + 1
    }

    fn greeting() -> Result<String, String> {
        variables::get("greeting").map_err(|err| format!("{err:?}"))
    }
}

export!(Tally);
