//! Consistent shared state on Spin's key-value store, the one port every
//! read-modify-write and counter in the product goes through.
//!
//! - **Documents** (a meeting list, a server's settings, a session record…):
//!   [`read`], [`update`] (the caller's `decide` sees the current value and returns
//!   [`Change::Write`], [`Change::Keep`] or [`Change::Delete`] with its answer),
//!   [`write()`] (unconditional, still through the layout) and [`purge`] (removal of an
//!   expired document and all its keys).
//! - **Counters and claims** (rate-limit windows): [`CasStore::increment`] directly.
//!
//! # Why not just compare-and-swap the value
//! `wasi:keyvalue/atomics` on Spin's real stores does not give a usable
//! compare-and-swap on its own ([`CasStore`] has the details):
//! - SQLite (Spin's default): a swap after a load that found nothing is an upsert, so
//!   every concurrent creator of a document "wins" and all but the last are lost.
//! - Redis: every swap reports failure, whether or not it committed, so a writer that
//!   retries on failure applies its change twice, and one that gives up never succeeds.
//!
//! `increment` is atomic on both, and is the only atomic create-if-absent. Hence:
//!
//! # Layout of a document at `<key>`
//! | key | value |
//! |---|---|
//! | `<key>` | the **pointer**: an integer, written in the store's own `increment` encoding (8-byte little-endian on SQLite, decimal text on Redis, learnt from what `increment` wrote): `0` nothing yet; a positive **generation** `g` the document is at `<key>#g`; a negative one: deleted (a tombstone) |
//! | `<key>#<g>` | the document of generation `g`; written once, never changed |
//! | `<key>#<g>.seen` | the **witness** of generation `g` while it is being replaced: 1 from its writer, +2 from each writer that found it in place |
//!
//! Generations are random, 10^18 to 2^63−1 in magnitude: 19 decimal digits (never 8
//! bytes, so the two encodings cannot be confused), unique (so `UPDATE … WHERE value =
//! <loaded>` cannot be fooled by a value that came back: no ABA), and canonical
//! integers (so `increment(<key>, 0)` over a pointer leaves it as it is on both stores).
//! `#` is reserved: a document key never contains it. At rest a document is 2 keys (the
//! pointer and the document); a deleted one is its pointer alone, a few bytes
//! (the store has no conditional delete, so removing the pointer could lose a
//! concurrent write).
//!
//! # Update, one attempt
//! 1. Load the pointer (`cas.new` + `cas.current`). Nothing there: run `decide` on
//!    nothing; if it writes, create the pointer with `increment(<key>, 0)` (atomic on
//!    both stores, so concurrent creators agree) and start over. A swap is therefore
//!    never made from nothing: no upsert.
//! 2. Read the document the pointer names (if it was replaced meanwhile, start over)
//!    and run `decide` on it. Keep: done.
//! 3. Claim a fresh generation `n` by creating its witness with `increment(…, 1)` (it
//!    must return 1), write the new document at `<key>#n` (a tombstone has none), and
//!    witness the generation `o` being replaced with `increment(<key>#o.seen, 2)`.
//! 4. Swap the pointer from `o` to `n`. If the store reports failure, look: the pointer
//!    holds `n`, or `n`'s witness is no longer exactly 1 (someone found `n` in place,
//!    witnessed it, maybe replaced it and tidied up its witness), means it committed —
//!    the Redis quirk — and a witness still at 1 proves nobody ever saw `n`, so it did
//!    not. A writer witnesses `o` before swapping, so the proof holds even when `n` was
//!    replaced before its writer looked; witnesses count by 2 so that one re-created by
//!    a late writer is never mistaken for the untouched 1.
//! 5. Whatever happened, delete `o`'s witness (`o` was in place, so it committed, which
//!    is what a missing witness reads as). Committed: delete `o`'s document and `n`'s
//!    witness. Not committed: delete what was staged, pause (full jitter, 2 ms doubling
//!    to 64 ms) and try again, at most [`ATTEMPTS`] times, then
//!    [`StoreError::Contended`](crate::StoreError::Contended).
//!
//! Reads need only plain `get`: pointer, then document; if the document was replaced
//! between the two reads, read again. A value at `<key>` that is not a pointer is a
//! document stored in place by an older version of this code: it is read as is, and
//! the next update replaces it by a pointer (an atomic swap from that value).
//!
//! # What is left
//! A writer that dies between its steps, or whose swap ends in a store error (outcome
//! unknown, reported to the caller), leaves staged keys that nobody reads. `increment`
//! on a key holding anything but an integer panics Spin's SQLite store, so only pointers
//! (where the load found nothing) and witnesses are ever incremented; an older replica
//! writing a document in place while this code creates its pointer is the one way left
//! to reach that, so replicas are upgraded together.

mod document;
mod layout;
mod memory;
mod port;

pub use document::{
    backoff, backoff_ceiling, purge, read, update, write, Change, UpdateError, ATTEMPTS,
};
pub use memory::{Flavor, MemoryCasStore, MemoryToken};
pub use port::{AnyToken, CasStore, DynCasStore, SwapError};

/// The key-naming rules of the layout, for tests and tools that look at raw keys.
pub mod keys {
    pub use super::layout::{document_key, witness_key, SEPARATOR};
}

#[cfg(test)]
mod tests;
