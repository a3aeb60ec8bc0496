//! The key-value stores the test host serves are Spin's, quirks included: each test
//! calls `wasi:keyvalue` and Spin's key-value API as a component's instance calls them
//! (the host functions, on the state of one fresh instance with the gateway's
//! permissions), on Spin's SQLite store or a real `redis-server`.

use e2e::bindings::fermyon::spin::key_value;
use e2e::bindings::wasi::keyvalue::{atomics, store};
use e2e::kv::host::{CasHandle, StoreHandle};
use e2e::{AppBuilder, LibraryHost, RedisServer, State};
use wasmtime::component::Resource;

/// One instance's state: what the guest's calls reach.
struct Instance {
    store: wasmtime::Store<State>,
}

impl Instance {
    fn of(host: &LibraryHost) -> Self {
        Self {
            store: host.new_store(),
        }
    }

    fn state(&mut self) -> &mut State {
        self.store.data_mut()
    }

    async fn bucket(&mut self) -> Resource<StoreHandle> {
        store::Host::open(self.state(), "default".into())
            .await
            .expect("no trap")
            .expect("the gateway may open `default`")
    }

    async fn set(&mut self, key: &str, value: &[u8]) {
        let bucket = self.bucket().await;
        store::HostBucket::set(self.state(), bucket, key.into(), value.to_vec())
            .await
            .expect("no trap")
            .expect("set");
    }

    async fn get(&mut self, key: &str) -> Option<Vec<u8>> {
        let bucket = self.bucket().await;
        store::HostBucket::get(self.state(), bucket, key.into())
            .await
            .expect("no trap")
            .expect("get")
    }

    /// `cas::new` then `cas.current`, as a guest starts a compare-and-swap.
    async fn start_cas(&mut self, key: &str) -> (Resource<CasHandle>, Option<Vec<u8>>) {
        let bucket = self.bucket().await;
        let cas = atomics::HostCas::new(self.state(), bucket, key.into())
            .await
            .expect("no trap")
            .expect("cas");
        let current = atomics::HostCas::current(self.state(), borrow(&cas))
            .await
            .expect("no trap")
            .expect("current");
        (cas, current)
    }

    async fn swap(
        &mut self,
        cas: Resource<CasHandle>,
        value: &[u8],
    ) -> Result<(), atomics::CasError> {
        atomics::Host::swap(self.state(), cas, value.to_vec())
            .await
            .expect("no trap")
    }

    async fn increment(&mut self, key: &str, delta: i64) -> wasmtime::Result<i64> {
        let bucket = self.bucket().await;
        Ok(
            atomics::Host::increment(self.state(), bucket, key.into(), delta)
                .await?
                .expect("increment"),
        )
    }
}

fn borrow<T: 'static>(resource: &Resource<T>) -> Resource<T> {
    Resource::new_borrow(resource.rep())
}

/// The app on a fresh in-memory SQLite store, whatever `E2E_KV_STORE` says.
fn sqlite_app() -> AppBuilder {
    AppBuilder::new(e2e::repo_root().join("spin.toml"))
}

/// The `config` library as the gateway runs it: the gateway's `default` store.
fn library(builder: AppBuilder) -> LibraryHost {
    builder.library("config", "gateway").expect("config loads")
}

// --- Spin's SQLite store ---------------------------------------------------------

#[tokio::test]
async fn two_compare_and_swaps_started_from_no_value_both_succeed_on_sqlite() {
    e2e::host_only!("tests the test host's own key-value store implementation");
    let host = library(sqlite_app());
    let (mut first, mut second) = (Instance::of(&host), Instance::of(&host));
    let (a, seen_a) = first.start_cas("counter").await;
    let (b, seen_b) = second.start_cas("counter").await;
    assert_eq!((seen_a, seen_b), (None, None));
    // Spin swaps an absent value with an upsert: neither writer learns of the other.
    assert!(first.swap(a, b"first").await.is_ok());
    assert!(second.swap(b, b"second").await.is_ok(), "the upsert quirk");
    assert_eq!(first.get("counter").await.as_deref(), Some(&b"second"[..]));
}

#[tokio::test]
async fn a_compare_and_swap_from_a_value_fails_after_another_write_on_sqlite() {
    e2e::host_only!("tests the test host's own key-value store implementation");
    let host = library(sqlite_app());
    let (mut guest, mut other) = (Instance::of(&host), Instance::of(&host));
    guest.set("k", b"v0").await;
    let (cas, seen) = guest.start_cas("k").await;
    assert_eq!(seen.as_deref(), Some(&b"v0"[..]));
    other.set("k", b"v1").await;
    let Err(atomics::CasError::CasFailed(fresh)) = guest.swap(cas, b"v2").await else {
        panic!("the swap should fail: the value changed since `current`");
    };
    assert_eq!(guest.get("k").await.as_deref(), Some(&b"v1"[..]));
    // Spin hands back a fresh handle on which it already called `current`: swapping
    // on it succeeds unless the value changes again.
    assert!(guest.swap(fresh, b"v2").await.is_ok());
    assert_eq!(guest.get("k").await.as_deref(), Some(&b"v2"[..]));
}

#[tokio::test]
async fn a_compare_and_swap_without_current_upserts_on_sqlite() {
    e2e::host_only!("tests the test host's own key-value store implementation");
    let host = library(sqlite_app());
    let mut guest = Instance::of(&host);
    guest.set("k", b"v0").await;
    let bucket = guest.bucket().await;
    let cas = atomics::HostCas::new(guest.state(), bucket, "k".into())
        .await
        .unwrap()
        .unwrap();
    // `new` reads nothing, so the swap is an upsert over whatever is there.
    assert!(guest.swap(cas, b"v1").await.is_ok());
    assert_eq!(guest.get("k").await.as_deref(), Some(&b"v1"[..]));
}

#[tokio::test]
async fn increment_stores_a_little_endian_i64_on_sqlite() {
    e2e::host_only!("tests the test host's own key-value store implementation");
    let host = library(sqlite_app());
    let mut guest = Instance::of(&host);
    assert_eq!(guest.increment("n", 5).await.unwrap(), 5);
    assert_eq!(guest.increment("n", -7).await.unwrap(), -2);
    assert_eq!(guest.get("n").await, Some((-2i64).to_le_bytes().to_vec()));
    assert_eq!(host.store()["n"], (-2i64).to_le_bytes());
}

#[tokio::test]
async fn a_value_that_is_not_eight_bytes_breaks_the_sqlite_store_for_the_rest_of_the_run() {
    e2e::host_only!("tests the test host's own key-value store implementation");
    let host = library(sqlite_app());
    let mut guest = Instance::of(&host);
    guest.set("n", b"12").await;
    let trap = guest.increment("n", 1).await.unwrap_err();
    assert!(trap.to_string().contains("incorrect length"), "{trap}");
    // Spin panicked holding the connection's mutex: every later call panics too, in
    // any instance, on any key.
    let mut later = Instance::of(&host);
    let bucket = later.bucket().await;
    let trap = store::HostBucket::get(later.state(), bucket, "other".into())
        .await
        .unwrap_err();
    assert!(trap.to_string().contains("poisoned"), "{trap}");
    assert!(host.logs().contains("incorrect length"), "{}", host.logs());
}

#[tokio::test]
async fn two_apps_on_one_sqlite_file_see_each_others_writes() {
    e2e::host_only!("tests the test host's own key-value store implementation");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("kv.db");
    let one = library(sqlite_app().sqlite_file(&file));
    let two = library(sqlite_app().sqlite_file(&file));
    Instance::of(&one).set("shared", b"from one").await;
    assert_eq!(
        Instance::of(&two).get("shared").await.as_deref(),
        Some(&b"from one"[..])
    );
    // A fresh app on its own in-memory database does not.
    assert_eq!(
        Instance::of(&library(sqlite_app())).get("shared").await,
        None
    );
}

#[tokio::test]
async fn spins_own_key_value_api_shares_the_store_and_refuses_unlisted_labels() {
    e2e::host_only!("tests the test host's own key-value store implementation");
    let host = library(sqlite_app());
    let mut guest = Instance::of(&host);
    guest.set("k", b"v").await;
    let spin = key_value::HostStore::open(guest.state(), "default".into())
        .await
        .unwrap()
        .unwrap();
    let value = key_value::HostStore::get(guest.state(), spin, "k".into())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(value.as_deref(), Some(&b"v"[..]));
    let other = key_value::HostStore::open(guest.state(), "other".into())
        .await
        .unwrap();
    assert!(matches!(other, Err(key_value::Error::AccessDenied)));
}

// --- Spin's Redis store, on a real redis-server ------------------------------------

#[tokio::test]
async fn every_redis_swap_reports_failure_even_when_it_wrote() {
    e2e::host_only!("tests the test host's own key-value store implementation");
    let redis = RedisServer::start().unwrap();
    let host = library(sqlite_app().redis(redis.url()));
    let mut guest = Instance::of(&host);
    guest.set("k", b"v0").await;
    let (cas, seen) = guest.start_cas("k").await;
    assert_eq!(seen.as_deref(), Some(&b"v0"[..]));
    // MULTI/SET/EXEC commits, then Spin's `UNWATCH k` is refused by Redis.
    assert!(matches!(
        guest.swap(cas, b"v1").await,
        Err(atomics::CasError::CasFailed(_))
    ));
    assert_eq!(guest.get("k").await.as_deref(), Some(&b"v1"[..]));
}

#[tokio::test]
async fn a_real_redis_conflict_reports_failure_and_writes_nothing() {
    e2e::host_only!("tests the test host's own key-value store implementation");
    let redis = RedisServer::start().unwrap();
    let host = library(sqlite_app().redis(redis.url()));
    let (mut guest, mut other) = (Instance::of(&host), Instance::of(&host));
    guest.set("k", b"v0").await;
    let (cas, _) = guest.start_cas("k").await;
    other.set("k", b"v9").await;
    assert!(matches!(
        guest.swap(cas, b"v1").await,
        Err(atomics::CasError::CasFailed(_))
    ));
    assert_eq!(guest.get("k").await.as_deref(), Some(&b"v9"[..]));
}

#[tokio::test]
async fn redis_increment_is_atomic_across_two_connections_and_stored_as_text() {
    e2e::host_only!("tests the test host's own key-value store implementation");
    let redis = RedisServer::start().unwrap();
    let (one, two) = (
        library(sqlite_app().redis(redis.url())),
        library(sqlite_app().redis(redis.url())),
    );
    let (mut a, mut b) = (Instance::of(&one), Instance::of(&two));
    let count = |mut guest: Instance| async move {
        for _ in 0..100 {
            guest.increment("hits", 1).await.unwrap();
        }
    };
    tokio::join!(count(Instance::of(&one)), count(Instance::of(&two)));
    assert_eq!(a.increment("hits", 0).await.unwrap(), 200);
    // INCRBY keeps a decimal string, unlike SQLite's eight bytes.
    assert_eq!(b.get("hits").await.as_deref(), Some(&b"200"[..]));
}

#[tokio::test]
async fn two_apps_on_one_redis_see_each_others_writes() {
    e2e::host_only!("tests the test host's own key-value store implementation");
    let redis = RedisServer::start().unwrap();
    let (one, two) = (
        library(sqlite_app().redis(redis.url())),
        library(sqlite_app().redis(redis.url())),
    );
    Instance::of(&one).set("shared", b"from one").await;
    assert_eq!(
        Instance::of(&two).get("shared").await.as_deref(),
        Some(&b"from one"[..])
    );
    assert_eq!(two.store()["shared"], b"from one");
}
