//! Documents over a [`CasStore`]: [`read`], [`update`] (read-modify-write that loses
//! nothing and applies nothing twice on Spin's SQLite and Redis stores), [`write`] and
//! [`purge`]. The protocol and the layout are described in the module docs of
//! [`crate::cas`]; [`super::layout`] has the encodings and key names.

use std::time::Duration;

use super::layout::{self, Slot};
use super::port::{CasStore, SwapError};
use crate::ports::{KeyValue, StoreError};

/// What an [`update`] does with the document, decided from its current value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Replace it (or create it) with these bytes.
    Write(Vec<u8>),
    /// Leave it as it is.
    Keep,
    /// Remove it (a later read finds nothing).
    Delete,
}

/// Why an [`update`] did not apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UpdateError<E> {
    /// The caller's `decide` refused, with its error; nothing was written.
    Refused(E),
    /// The store failed, or other writers kept winning ([`StoreError::Contended`]).
    Store(StoreError),
}

impl<E> UpdateError<E> {
    /// The caller's error type for both cases.
    pub fn flatten(self) -> E
    where
        E: From<StoreError>,
    {
        match self {
            Self::Refused(err) => err,
            Self::Store(err) => err.into(),
        }
    }
}

impl<E> From<StoreError> for UpdateError<E> {
    fn from(err: StoreError) -> Self {
        Self::Store(err)
    }
}

/// How many times [`update`] tries before reporting [`StoreError::Contended`].
pub const ATTEMPTS: u32 = 16;

/// How many times [`read`] follows a pointer whose document was replaced meanwhile.
const READ_TRIES: u32 = 5;

/// The backoff ceiling before the second attempt; it doubles up to [`MAX_BACKOFF`].
const BASE_BACKOFF: Duration = Duration::from_millis(2);

/// The largest backoff ceiling.
const MAX_BACKOFF: Duration = Duration::from_millis(64);

/// The longest wait after `failed` lost attempts:
/// `min(MAX_BACKOFF, BASE_BACKOFF * 2^(failed-1))`.
pub fn backoff_ceiling(failed: u32) -> Duration {
    BASE_BACKOFF
        .saturating_mul(1u32 << failed.saturating_sub(1).min(16))
        .min(MAX_BACKOFF)
}

/// The wait after `failed` lost attempts, from `random`: uniform in zero to
/// [`backoff_ceiling`] ("full jitter"), so writers that collided spread out.
pub fn backoff(failed: u32, random: u64) -> Duration {
    let ceiling_us = u64::try_from(backoff_ceiling(failed).as_micros()).unwrap_or(u64::MAX);
    Duration::from_micros(random % ceiling_us.saturating_add(1))
}

/// The document at `key`, `None` if there is none. Needs only plain reads, so any
/// [`KeyValue`] over the same store can read what [`update`] writes.
///
/// # Errors
/// The store's error; [`StoreError::Contended`] if the document kept being replaced
/// while it was read (or its pointer names a document that is gone).
pub fn read<K: KeyValue + ?Sized>(kv: &K, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
    layout::check_key(key)?;
    for _ in 0..READ_TRIES {
        let Some(raw) = kv.get(key)? else {
            return Ok(None);
        };
        match Slot::decode(&raw) {
            Slot::Legacy => return Ok(Some(raw)),
            Slot::Pointer { generation, .. } if generation <= 0 => return Ok(None),
            Slot::Pointer { generation, .. } => {
                if let Some(document) = kv.get(&layout::document_key(key, generation))? {
                    return Ok(Some(document));
                }
                // Replaced between the two reads: the new pointer is already in place.
            }
        }
    }
    Err(StoreError::Contended)
}

/// Changes the document at `key` atomically: `decide` gets its current value (`None`
/// if there is none) and returns the [`Change`] and what to answer. If another writer
/// came first, `decide` runs again on what that writer left, after a jittered pause,
/// up to [`ATTEMPTS`] times. `decide` may run several times: it must have no effect
/// beyond its result (or only effects that are harmless to repeat).
///
/// Exactly one of concurrent writers of a missing document wins each round; a write
/// that Spin's Redis store reports as failed after it committed is recognised as
/// committed and never applied twice.
///
/// # Errors
/// [`UpdateError::Refused`] with `decide`'s error (nothing written);
/// [`UpdateError::Store`] when the store fails (a write whose outcome is then unknown
/// may have applied) or with [`StoreError::Contended`] when other writers won every
/// attempt.
pub fn update<S, T, E>(
    store: &S,
    key: &str,
    mut decide: impl FnMut(Option<&[u8]>) -> Result<(Change, T), E>,
) -> Result<T, UpdateError<E>>
where
    S: CasStore + ?Sized,
{
    layout::check_key(key)?;
    let mut lost = 0;
    for _ in 0..ATTEMPTS {
        match attempt(store, key, &mut decide)? {
            Attempt::Done(answer) => return Ok(answer),
            Attempt::Created => {}
            Attempt::Lost => {
                lost += 1;
                store.pause(backoff(lost, store.random()));
            }
        }
    }
    Err(UpdateError::Store(StoreError::Contended))
}

/// Sets the document at `key` to `value` whatever it was, through [`update`] (so the
/// layout stays consistent for readers and concurrent updates).
///
/// # Errors
/// As [`update`].
pub fn write<S: CasStore + ?Sized>(store: &S, key: &str, value: &[u8]) -> Result<(), StoreError> {
    update(store, key, |_| {
        Ok::<_, StoreError>((Change::Write(value.to_vec()), ()))
    })
    .map_err(UpdateError::flatten)
}

/// Removes the document at `key` and every key of its layout, unconditionally: for
/// documents nobody writes any more (expired ones). A write racing with it may be lost
/// or leave its keys behind.
///
/// # Errors
/// The store's error.
pub fn purge<K: KeyValue + ?Sized>(kv: &K, key: &str) -> Result<(), StoreError> {
    layout::check_key(key)?;
    let Some(raw) = kv.get(key)? else {
        return Ok(());
    };
    match Slot::decode(&raw) {
        Slot::Pointer { generation, .. } if generation != 0 => {
            // The witness first: a writer still resolving its swap then reads "committed".
            kv.delete(&layout::witness_key(key, generation))?;
            kv.delete(key)?;
            if generation > 0 {
                kv.delete(&layout::document_key(key, generation))?;
            }
            Ok(())
        }
        _ => kv.delete(key),
    }
}

/// How one attempt of [`update`] ended.
enum Attempt<T> {
    /// Applied (or nothing to apply): the answer.
    Done(T),
    /// The missing document's pointer was created: load again at once.
    Created,
    /// Another writer came first: pause and try again.
    Lost,
}

/// The document's state as loaded for one attempt.
struct Loaded {
    /// The current document.
    current: Option<Vec<u8>>,
    /// The pointer's generation, when it names one (not 0, not a legacy value).
    previous: Option<i64>,
    /// How to write the next pointer, when known from the pointer itself.
    encoding: Option<layout::Encoding>,
}

fn attempt<S, T, E>(
    store: &S,
    key: &str,
    decide: &mut impl FnMut(Option<&[u8]>) -> Result<(Change, T), E>,
) -> Result<Attempt<T>, UpdateError<E>>
where
    S: CasStore + ?Sized,
{
    let (raw, token) = store.load(key)?;
    let Some(raw) = raw else {
        // Nothing there. A swap from nothing is an upsert on Spin's SQLite store (every
        // concurrent creator "wins"), so a missing document gets its pointer, 0, from
        // the one atomic create-if-absent there is, then is updated like any other.
        let (change, answer) = decide(None).map_err(UpdateError::Refused)?;
        if !matches!(change, Change::Write(_)) {
            return Ok(Attempt::Done(answer));
        }
        drop(token);
        store.increment(key, 0)?;
        return Ok(Attempt::Created);
    };
    let Some(loaded) = load_document(store, key, &raw)? else {
        return Ok(Attempt::Lost);
    };
    let (change, answer) = decide(loaded.current.as_deref()).map_err(UpdateError::Refused)?;
    let next = match &change {
        Change::Keep => return Ok(Attempt::Done(answer)),
        Change::Delete if loaded.current.is_none() => return Ok(Attempt::Done(answer)),
        Change::Delete => layout::generation(store.random(), true),
        Change::Write(_) => layout::generation(store.random(), false),
    };
    // The new generation's witness, at 1: it claims the generation, and lets this
    // writer tell later whether anyone saw its pointer in place.
    if store.increment(&layout::witness_key(key, next), 1)? != 1 {
        return Ok(Attempt::Lost);
    }
    let staged = Staged { key, next };
    let encoding = match loaded.encoding {
        Some(encoding) => encoding,
        None => match learn_encoding(store, key, next) {
            Ok(encoding) => encoding,
            Err(err) => return Err(staged.abandon(store, err)),
        },
    };
    if let Change::Write(bytes) = &change {
        if let Err(err) = store.set(&layout::document_key(key, next), bytes) {
            return Err(staged.abandon(store, err));
        }
    }
    // Witnessing the generation being replaced, which is in place (it was just loaded):
    // its writer, if its store misreported its swap, learns from this that it committed.
    if let Some(previous) = loaded.previous {
        if let Err(err) = store.increment(&layout::witness_key(key, previous), 2) {
            return Err(staged.abandon(store, err));
        }
    }
    let swapped = store.swap(token, &encoding.encode(next));
    // The witness of `previous` goes whatever happened: `previous` was in place, so it
    // committed, which is what its writer reads from a missing witness. (Left behind by
    // a writer that lost, it would be a stray key.)
    if let Some(previous) = loaded.previous {
        let _tidied = store.delete(&layout::witness_key(key, previous));
    }
    let committed = match swapped {
        Ok(()) => true,
        Err(SwapError::Failed) => committed(store, key, next, encoding)?,
        // SQLite shared by several processes: `database is locked` applied nothing.
        Err(SwapError::Store(err)) if err.is_busy() => false,
        // Unknown whether it applied: the staged keys stay, and the caller learns it.
        Err(SwapError::Store(err)) => return Err(err.into()),
    };
    if !committed {
        staged.discard(store);
        return Ok(Attempt::Lost);
    }
    // Tidying after a committed write: a failure leaves a stray key, never a wrong
    // document, so it does not fail the update.
    let _tidied = store.delete(&layout::witness_key(key, next));
    if let Some(previous) = loaded.previous.filter(|previous| *previous > 0) {
        let _tidied = store.delete(&layout::document_key(key, previous));
    }
    Ok(Attempt::Done(answer))
}

/// Reads the document the pointer `raw` of `key` names; `None` if it was replaced
/// meanwhile.
fn load_document<S: CasStore + ?Sized>(
    store: &S,
    key: &str,
    raw: &[u8],
) -> Result<Option<Loaded>, StoreError> {
    match Slot::decode(raw) {
        Slot::Legacy => Ok(Some(Loaded {
            current: Some(raw.to_vec()),
            previous: None,
            encoding: None,
        })),
        Slot::Pointer {
            generation,
            encoding,
        } => {
            let current = if generation > 0 {
                match store.get(&layout::document_key(key, generation))? {
                    Some(document) => Some(document),
                    None if store.get(key)?.as_deref() == Some(raw) => {
                        return Err(StoreError::Other(
                            "the current generation of a document is missing".into(),
                        ))
                    }
                    None => return Ok(None),
                }
            } else {
                None
            };
            Ok(Some(Loaded {
                current,
                previous: (generation != 0).then_some(generation),
                encoding: Some(encoding),
            }))
        }
    }
}

/// The store's increment encoding, read back from the witness just created (for a
/// legacy value, which does not tell).
fn learn_encoding<S: CasStore + ?Sized>(
    store: &S,
    key: &str,
    next: i64,
) -> Result<layout::Encoding, StoreError> {
    store
        .get(&layout::witness_key(key, next))?
        .and_then(|bytes| layout::decode_integer(&bytes))
        .map(|(_, encoding)| encoding)
        .ok_or_else(|| StoreError::Other("the store's increment encoding is not supported".into()))
}

/// Whether the swap to `next` committed, after the store reported it failed: it did if
/// the pointer holds it, or if anyone saw it there (its witness grew past 1 or, once it
/// was replaced and tidied, is gone). A witness still at 1 proves nobody ever saw it.
fn committed<S: CasStore + ?Sized>(
    store: &S,
    key: &str,
    next: i64,
    encoding: layout::Encoding,
) -> Result<bool, StoreError> {
    if store.get(key)?.as_deref() == Some(encoding.encode(next).as_slice()) {
        return Ok(true);
    }
    let witness = store.get(&layout::witness_key(key, next))?;
    let count = witness.and_then(|bytes| layout::decode_integer(&bytes));
    Ok(count.map(|(n, _)| n) != Some(1))
}

/// The keys an attempt wrote before its swap.
struct Staged<'a> {
    key: &'a str,
    next: i64,
}

impl Staged<'_> {
    /// Removes them after the swap did not commit (best effort: a failure leaves a
    /// stray key nobody reads).
    fn discard<S: CasStore + ?Sized>(&self, store: &S) {
        if self.next > 0 {
            let _stray = store.delete(&layout::document_key(self.key, self.next));
        }
        let _stray = store.delete(&layout::witness_key(self.key, self.next));
    }

    /// Removes them and passes on `err`.
    fn abandon<S: CasStore + ?Sized, E>(&self, store: &S, err: StoreError) -> UpdateError<E> {
        self.discard(store);
        UpdateError::Store(err)
    }
}
