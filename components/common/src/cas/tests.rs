//! The fakes play Spin's stores faithfully, and the documents stay exact on both.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use super::*;
use crate::ports::{KeyValue, StoreError};

const FLAVORS: [Flavor; 2] = [Flavor::Sqlite, Flavor::Redis];
const KEY: &str = "svc/v1/doc";

/// The counter a test document holds: `n=<count>`.
fn count_of(bytes: Option<&[u8]>) -> u64 {
    bytes
        .and_then(|b| std::str::from_utf8(b).ok())
        .and_then(|text| text.strip_prefix("n="))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// Adds one to the counter document at `key`; answers the count it wrote.
fn bump<S: CasStore + ?Sized>(store: &S, key: &str) -> Result<u64, UpdateError<StoreError>> {
    update(store, key, |current| {
        let next = count_of(current) + 1;
        Ok((Change::Write(format!("n={next}").into_bytes()), next))
    })
}

fn counted(store: &MemoryCasStore, key: &str) -> u64 {
    count_of(read(store, key).unwrap().as_deref())
}

/// The keys of the layout of `key` beyond its pointer.
fn derived(store: &MemoryCasStore, key: &str) -> Vec<String> {
    let prefix = format!("{key}#");
    store
        .keys()
        .into_iter()
        .filter(|k| k.starts_with(&prefix))
        .collect()
}

// The fakes.

#[test]
fn on_the_sqlite_fake_two_swaps_from_nothing_both_succeed_and_the_last_one_stays() {
    let store = MemoryCasStore::new(Flavor::Sqlite);
    let (_, first) = store.load("k").unwrap();
    let (_, second) = store.load("k").unwrap();
    assert_eq!(store.swap(first, b"a"), Ok(()));
    assert_eq!(store.swap(second, b"b"), Ok(()));
    assert_eq!(store.value("k"), Some(b"b".to_vec()));
}

#[test]
fn on_the_sqlite_fake_a_swap_after_a_value_writes_only_if_it_is_unchanged() {
    let store = MemoryCasStore::new(Flavor::Sqlite);
    store.put("k", b"0");
    let (_, stale) = store.load("k").unwrap();
    let (_, fresh) = store.load("k").unwrap();
    assert_eq!(store.swap(fresh, b"1"), Ok(()));
    assert_eq!(store.swap(stale, b"2"), Err(SwapError::Failed));
    assert_eq!(store.value("k"), Some(b"1".to_vec()));
}

#[test]
fn on_the_sqlite_fake_increment_is_little_endian_and_panics_over_other_lengths_for_good() {
    let store = MemoryCasStore::new(Flavor::Sqlite);
    assert_eq!(store.increment("c", 5), Ok(5));
    assert_eq!(store.value("c"), Some(5i64.to_le_bytes().to_vec()));
    store.put("text", b"{}");
    let panicked = catch_unwind(AssertUnwindSafe(|| store.increment("text", 1)));
    assert!(panicked.is_err());
    let later = catch_unwind(AssertUnwindSafe(|| store.get("c")));
    assert!(later.is_err(), "the store stays poisoned");
}

#[test]
fn on_the_redis_fake_every_swap_reports_failure_whether_or_not_it_committed() {
    let store = MemoryCasStore::new(Flavor::Redis);
    let (_, token) = store.load("k").unwrap();
    assert_eq!(store.swap(token, b"a"), Err(SwapError::Failed));
    assert_eq!(store.value("k"), Some(b"a".to_vec()), "it committed");
    let (_, stale) = store.load("k").unwrap();
    store.put("k", b"a");
    assert_eq!(store.swap(stale, b"b"), Err(SwapError::Failed));
    assert_eq!(
        store.value("k"),
        Some(b"a".to_vec()),
        "any write since the load, even of the same value, aborts it"
    );
}

#[test]
fn on_the_redis_fake_increment_is_decimal_and_refuses_text() {
    let store = MemoryCasStore::new(Flavor::Redis);
    assert_eq!(store.increment("c", 0), Ok(0));
    assert_eq!(store.increment("c", -3), Ok(-3));
    assert_eq!(store.value("c"), Some(b"-3".to_vec()));
    store.put("text", b"{}");
    assert!(matches!(
        store.increment("text", 1),
        Err(StoreError::Other(_))
    ));
}

// Documents, on both stores.

#[test]
fn a_document_written_is_read_back_and_a_missing_one_reads_as_none() {
    for flavor in FLAVORS {
        let store = MemoryCasStore::new(flavor);
        assert_eq!(read(&store, KEY), Ok(None));
        write(&store, KEY, b"first").unwrap();
        write(&store, KEY, b"second").unwrap();
        assert_eq!(
            read(&store, KEY),
            Ok(Some(b"second".to_vec())),
            "{flavor:?}"
        );
    }
}

#[test]
fn at_rest_a_document_is_its_pointer_in_the_stores_increment_encoding_and_one_document() {
    for (flavor, pointer_len) in [(Flavor::Sqlite, 8), (Flavor::Redis, 19)] {
        let store = MemoryCasStore::new(flavor);
        for _ in 0..3 {
            bump(&store, KEY).unwrap();
        }
        let pointer = store.value(KEY).unwrap();
        assert_eq!(pointer.len(), pointer_len, "{flavor:?}");
        let derived = derived(&store, KEY);
        assert_eq!(derived.len(), 1, "{flavor:?}: {derived:?}");
        assert_eq!(store.value(&derived[0]), Some(b"n=3".to_vec()));
        assert_eq!(store.keys().len(), 2);
    }
}

#[test]
fn keep_and_a_refusal_write_nothing_not_even_a_pointer() {
    for flavor in FLAVORS {
        let store = MemoryCasStore::new(flavor);
        let kept = update(&store, KEY, |current| {
            Ok::<_, StoreError>((Change::Keep, current.is_none()))
        });
        assert_eq!(kept, Ok(true));
        let refused = update(&store, KEY, |_| Err::<(Change, ()), _>("no"));
        assert_eq!(refused, Err(UpdateError::Refused("no")));
        assert!(store.keys().is_empty(), "{flavor:?}");
        write(&store, KEY, b"x").unwrap();
        let refused = update(&store, KEY, |_| Err::<(Change, ()), _>("no"));
        assert_eq!(refused, Err(UpdateError::Refused("no")));
        assert_eq!(read(&store, KEY), Ok(Some(b"x".to_vec())));
    }
}

#[test]
fn a_deleted_document_reads_as_none_and_leaves_only_its_pointer() {
    for flavor in FLAVORS {
        let store = MemoryCasStore::new(flavor);
        bump(&store, KEY).unwrap();
        let deleted = update(&store, KEY, |current| {
            Ok::<_, StoreError>((Change::Delete, current.map(<[u8]>::to_vec)))
        });
        assert_eq!(deleted, Ok(Some(b"n=1".to_vec())));
        assert_eq!(read(&store, KEY), Ok(None));
        assert_eq!(store.keys(), [KEY], "{flavor:?}");
        assert_eq!(bump(&store, KEY), Ok(1), "it starts again from nothing");
    }
}

#[test]
fn a_writer_that_lost_the_race_applies_its_change_on_what_the_other_left() {
    for flavor in FLAVORS {
        let store = MemoryCasStore::new(flavor);
        bump(&store, KEY).unwrap();
        store.before_next_swap(|other| {
            bump(other, KEY).unwrap();
        });
        assert_eq!(bump(&store, KEY), Ok(3), "{flavor:?}");
        assert_eq!(counted(&store, KEY), 3);
        assert_eq!(
            store.pauses().len(),
            1,
            "one jittered pause before the retry"
        );
        assert_eq!(store.keys().len(), 2, "{flavor:?}: {:?}", store.keys());
    }
}

#[test]
fn a_first_writer_racing_another_first_writer_loses_nothing() {
    for flavor in FLAVORS {
        let store = MemoryCasStore::new(flavor);
        store.before_next_swap(|other| {
            bump(other, KEY).unwrap();
        });
        assert_eq!(bump(&store, KEY), Ok(2), "{flavor:?}");
        assert_eq!(counted(&store, KEY), 2);
    }
}

#[test]
fn a_writer_that_finds_its_loaded_generation_replaced_and_tidied_leaves_nothing_behind() {
    for flavor in FLAVORS {
        let store = MemoryCasStore::new(flavor);
        bump(&store, KEY).unwrap();
        // Between this writer's read of the document and its first write, another
        // replaces it and tidies up the generation this one loaded.
        store.before_next_increment(|other| {
            bump(other, KEY).unwrap();
        });
        assert_eq!(bump(&store, KEY), Ok(3), "{flavor:?}");
        assert_eq!(store.keys().len(), 2, "{flavor:?}: {:?}", store.keys());
    }
}

#[test]
fn on_redis_a_swap_reported_failed_after_it_committed_is_applied_once() {
    let store = MemoryCasStore::new(Flavor::Redis);
    for n in 1..=5 {
        assert_eq!(bump(&store, KEY), Ok(n));
    }
    assert_eq!(counted(&store, KEY), 5);
    assert!(store.pauses().is_empty(), "no attempt was taken for lost");
    assert_eq!(store.keys().len(), 2, "{:?}", store.keys());
}

#[test]
fn on_redis_a_write_replaced_before_its_writer_looked_is_still_known_to_have_committed() {
    for others in [1, 2, 3] {
        let store = MemoryCasStore::new(Flavor::Redis);
        store.after_next_swap(move |other| {
            for _ in 0..others {
                bump(other, KEY).unwrap();
            }
        });
        assert_eq!(bump(&store, KEY), Ok(1), "{others}");
        assert_eq!(counted(&store, KEY), 1 + others, "{others}");
        assert_eq!(store.keys().len(), 2, "{others}: {:?}", store.keys());
    }
}

#[test]
fn on_redis_a_write_replaced_by_a_delete_before_its_writer_looked_is_not_applied_again() {
    let store = MemoryCasStore::new(Flavor::Redis);
    store.after_next_swap(|other| {
        update(other, KEY, |_| Ok::<_, StoreError>((Change::Delete, ()))).unwrap();
    });
    assert_eq!(bump(&store, KEY), Ok(1));
    assert_eq!(read(&store, KEY), Ok(None));
}

/// Another replica wins every swap, forever.
fn interfere(store: &MemoryCasStore) {
    bump(store, KEY).unwrap();
    store.before_next_swap(interfere);
}

#[test]
fn endless_contention_ends_in_contended_after_the_budget_with_growing_jittered_pauses() {
    for flavor in FLAVORS {
        let store = MemoryCasStore::new(flavor);
        bump(&store, KEY).unwrap();
        store.before_next_swap(interfere);
        assert_eq!(
            bump(&store, KEY),
            Err(UpdateError::Store(StoreError::Contended))
        );
        let pauses = store.pauses();
        assert_eq!(pauses.len(), ATTEMPTS as usize, "{flavor:?}");
        for (n, pause) in (1..).zip(&pauses) {
            assert!(*pause <= backoff_ceiling(n), "{n}: {pause:?}");
        }
        let total: std::time::Duration = pauses.iter().sum();
        assert!(total > std::time::Duration::ZERO);
    }
}

#[test]
fn backoff_doubles_from_two_milliseconds_up_to_sixty_four() {
    let ms = std::time::Duration::from_millis;
    assert_eq!(backoff_ceiling(1), ms(2));
    assert_eq!(backoff_ceiling(4), ms(16));
    assert_eq!(backoff_ceiling(u32::MAX), ms(64));
    assert_eq!(backoff(1, 2_000), ms(2));
    assert_eq!(backoff(2, 4_000), ms(4));
    assert_eq!(backoff(7, 64_000), ms(64));
    assert_eq!(backoff(30, 64_000), ms(64));
    assert_eq!(backoff(30, 64_001), ms(0));
    assert_eq!(backoff(3, 0), ms(0));
}

#[test]
fn racing_threads_lose_nothing_and_apply_nothing_twice() {
    for flavor in FLAVORS {
        let store = Arc::new(MemoryCasStore::new(flavor));
        let applied = Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let store = Arc::clone(&store);
                let applied = Arc::clone(&applied);
                std::thread::spawn(move || {
                    for _ in 0..25 {
                        if bump(store.as_ref(), KEY).is_ok() {
                            applied.fetch_add(1, Ordering::SeqCst);
                        }
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        let applied = applied.load(Ordering::SeqCst) as u64;
        assert!(applied > 0);
        assert_eq!(counted(&store, KEY), applied, "{flavor:?}");
        assert_eq!(store.keys().len(), 2, "{flavor:?}: {:?}", store.keys());
    }
}

#[test]
fn of_twenty_concurrent_first_writers_exactly_one_creates_the_document() {
    for flavor in FLAVORS {
        for _ in 0..10 {
            let store = Arc::new(MemoryCasStore::new(flavor));
            let threads: Vec<_> = (0..20)
                .map(|n| {
                    let store = Arc::clone(&store);
                    std::thread::spawn(move || {
                        update(store.as_ref(), KEY, |current| {
                            Ok::<_, StoreError>(match current {
                                None => (Change::Write(format!("by {n}").into_bytes()), Some(n)),
                                Some(_) => (Change::Keep, None),
                            })
                        })
                    })
                })
                .collect();
            let winners: Vec<usize> = threads
                .into_iter()
                .filter_map(|thread| thread.join().unwrap().unwrap())
                .collect();
            assert_eq!(winners.len(), 1, "{flavor:?}: {winners:?}");
            let stored = read(store.as_ref(), KEY).unwrap().unwrap();
            assert_eq!(stored, format!("by {}", winners[0]).into_bytes());
            assert_eq!(store.keys().len(), 2, "{flavor:?}: {:?}", store.keys());
        }
    }
}

#[test]
fn a_document_stored_in_place_by_an_older_version_is_read_and_replaced_by_a_pointer() {
    for flavor in FLAVORS {
        let store = MemoryCasStore::new(flavor);
        store.put(KEY, b"n=41");
        assert_eq!(read(&store, KEY), Ok(Some(b"n=41".to_vec())));
        assert_eq!(bump(&store, KEY), Ok(42));
        assert_eq!(bump(&store, KEY), Ok(43), "{flavor:?}");
        let pointer = store.value(KEY).unwrap();
        let expected = if flavor == Flavor::Sqlite { 8 } else { 19 };
        assert_eq!(pointer.len(), expected, "in the store's own encoding");
        assert_eq!(store.keys().len(), 2, "{:?}", store.keys());
    }
}

#[test]
fn a_store_failure_is_reported_and_leaves_no_document_behind() {
    for flavor in FLAVORS {
        let store = MemoryCasStore::new(flavor);
        store.fail_sets_under(Some(KEY));
        assert!(matches!(bump(&store, KEY), Err(UpdateError::Store(_))));
        assert_eq!(read(&store, KEY), Ok(None));
        assert!(derived(&store, KEY).is_empty(), "{:?}", store.keys());
        store.fail_sets_under(None);
        store.fail_with(Some(StoreError::AccessDenied));
        assert_eq!(
            bump(&store, KEY),
            Err(UpdateError::Store(StoreError::AccessDenied))
        );
        assert_eq!(read(&store, KEY), Err(StoreError::AccessDenied));
    }
}

#[test]
fn a_swap_that_ends_in_a_store_error_is_reported_not_retried() {
    let store = MemoryCasStore::new(Flavor::Sqlite);
    store.before_next_swap(|me| me.fail_with(Some(StoreError::Other("gone".into()))));
    assert_eq!(
        bump(&store, KEY),
        Err(UpdateError::Store(StoreError::Other("gone".into())))
    );
    assert!(store.pauses().is_empty());
}

#[test]
fn a_pointer_whose_document_is_missing_is_an_error_not_an_absence() {
    let store = MemoryCasStore::new(Flavor::Sqlite);
    bump(&store, KEY).unwrap();
    for key in derived(&store, KEY) {
        store.delete(&key).unwrap();
    }
    assert_eq!(read(&store, KEY), Err(StoreError::Contended));
    assert!(matches!(
        bump(&store, KEY),
        Err(UpdateError::Store(StoreError::Other(_)))
    ));
}

#[test]
fn purge_removes_every_key_of_a_document() {
    for flavor in FLAVORS {
        let store = MemoryCasStore::new(flavor);
        bump(&store, KEY).unwrap();
        purge(&store, KEY).unwrap();
        assert!(store.keys().is_empty(), "{flavor:?}");
        update(&store, KEY, |_| Ok::<_, StoreError>((Change::Delete, ()))).unwrap();
        purge(&store, KEY).unwrap();
        store.put(KEY, b"legacy");
        purge(&store, KEY).unwrap();
        purge(&store, KEY).unwrap();
        assert!(store.keys().is_empty(), "{flavor:?}");
    }
}

#[test]
fn a_key_with_the_reserved_separator_is_refused() {
    let store = MemoryCasStore::default();
    assert!(matches!(read(&store, "a#b"), Err(StoreError::Other(_))));
    assert!(matches!(bump(&store, "a#b"), Err(UpdateError::Store(_))));
    assert!(store.keys().is_empty());
}

#[test]
fn a_store_behind_dyn_keeps_its_atomics() {
    let memory = MemoryCasStore::new(Flavor::Redis);
    let store: &dyn DynCasStore = &memory;
    assert_eq!(bump(store, KEY), Ok(1));
    assert_eq!(bump(store, KEY), Ok(2));
    assert_eq!(store.increment("c", 2), Ok(2));
    let plain: &dyn KeyValue = store;
    assert_eq!(read(plain, KEY), Ok(Some(b"n=2".to_vec())));
}

#[test]
fn a_swap_the_sqlite_store_refused_as_locked_is_retried_and_applied_once() {
    // Several `spin up` processes on one SQLite file: a swap can meet `database is
    // locked`, which applied nothing, so the update tries again.
    let store = MemoryCasStore::new(Flavor::Sqlite);
    assert_eq!(bump(&store, KEY).unwrap(), 1);
    store.busy_swaps(2);
    assert_eq!(bump(&store, KEY).unwrap(), 2);
    assert_eq!(counted(&store, KEY), 2);
    assert!(
        derived(&store, KEY).len() == 1,
        "nothing staged is left behind: {:?}",
        derived(&store, KEY)
    );
}
