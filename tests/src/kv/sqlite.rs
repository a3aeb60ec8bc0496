//! Spin's `spin` key-value store (`crates/key-value-spin/src/store.rs`), rewritten with
//! the same crate and SQL: one connection per store manager behind a mutex (opened on
//! first use, in memory or on a file), one table keyed by (store label, key), `set` an
//! upsert, `increment` an 8-byte little-endian `i64`, and compare-and-swap that reads
//! nothing when made, reads and remembers in `current`, and swaps with
//! `UPDATE … WHERE value = <remembered>` — or, when `current` found nothing (or was never
//! called), with an upsert, so concurrent first writers all succeed.
//!
//! Where Spin panics (a stored value that is not 8 bytes under `increment`), this store
//! fails loudly and stays broken: Spin's connection mutex is then poisoned and every
//! later operation on it panics too.

use super::{Failure, SwapFailure, MAX_RESULT_BYTES};
use rusqlite::{named_params, Connection};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

/// Where the database lives.
#[derive(Debug, Clone)]
pub enum Location {
    /// A fresh database in memory (Spin's `DatabaseLocation::InMemory`).
    InMemory,
    /// A database file, shared with whoever else opens it (another app, a `spin up`).
    File(PathBuf),
}

/// One SQLite store manager: what Spin makes for one `[key_value_store.<label>]` of
/// type `spin`.
pub struct Manager {
    location: Location,
    database: OnceLock<Arc<Database>>,
}

/// The connection and whether a panic has poisoned its mutex.
struct Database {
    connection: Mutex<Connection>,
    /// Set when Spin would have panicked holding the lock: why.
    poisoned: Mutex<Option<String>>,
}

impl Database {
    /// The connection, as Spin's `lock().unwrap()`: a panic once poisoned.
    fn lock(&self) -> Result<MutexGuard<'_, Connection>, Failure> {
        if let Some(why) = self.poisoned.lock().ok().and_then(|p| p.clone()) {
            return Err(Failure::Panic(format!(
                "Spin's SQLite key-value store is unusable for the rest of the run: its \
                 connection mutex was poisoned by an earlier panic ({why}), so this call \
                 panics too"
            )));
        }
        self.connection
            .lock()
            .map_err(|_| Failure::Panic("the SQLite connection mutex is poisoned".into()))
    }

    fn poison(&self, why: String) {
        if let Ok(mut poisoned) = self.poisoned.lock() {
            poisoned.get_or_insert(why);
        }
    }
}

fn other(err: impl std::fmt::Debug) -> Failure {
    Failure::Other(format!("{err:?}"))
}

fn too_big() -> Failure {
    Failure::Other(format!(
        "query result exceeds limit of {MAX_RESULT_BYTES} bytes"
    ))
}

const UPSERT: &str = "INSERT INTO spin_key_value (store, key, value) VALUES ($1, $2, $3)
                     ON CONFLICT(store, key) DO UPDATE SET value=$3";
const SELECT: &str = "SELECT value FROM spin_key_value WHERE store=$1 AND key=$2";

impl Manager {
    /// A manager for `location`; nothing is opened until a component opens the store.
    pub fn new(location: Location) -> Self {
        Self {
            location,
            database: OnceLock::new(),
        }
    }

    fn database(&self) -> Result<Arc<Database>, Failure> {
        if let Some(database) = self.database.get() {
            return Ok(database.clone());
        }
        let connection = match &self.location {
            Location::InMemory => Connection::open_in_memory(),
            Location::File(path) => Connection::open(path),
        }
        .map_err(other)?;
        connection
            .execute(
                "CREATE TABLE IF NOT EXISTS spin_key_value (
                           store TEXT NOT NULL,
                           key   TEXT NOT NULL,
                           value BLOB NOT NULL,

                           PRIMARY KEY (store, key)
                        )",
                [],
            )
            .map_err(other)?;
        rusqlite::vtab::array::load_module(&connection).map_err(other)?;
        let new = Arc::new(Database {
            connection: Mutex::new(connection),
            poisoned: Mutex::new(None),
        });
        Ok(self.database.get_or_init(|| new).clone())
    }

    /// The store `name` on this manager's connection.
    ///
    /// # Errors
    /// The database cannot be opened or its table created.
    pub fn open(&self, name: &str) -> Result<Store, Failure> {
        Ok(Store {
            name: name.to_owned(),
            database: self.database()?,
        })
    }
}

/// An open SQLite store (one label of one manager).
#[derive(Clone)]
pub struct Store {
    name: String,
    database: Arc<Database>,
}

impl Store {
    /// The value at `key`.
    pub fn get(&self, key: &str) -> Result<Option<Vec<u8>>, Failure> {
        let connection = self.database.lock()?;
        let value = read(&connection, &self.name, key)?;
        drop(connection);
        check_size(&value)?;
        Ok(value)
    }

    /// Writes `value` at `key` (an upsert).
    pub fn set(&self, key: &str, value: &[u8]) -> Result<(), Failure> {
        self.database
            .lock()?
            .prepare_cached(UPSERT)
            .map_err(other)?
            .execute(rusqlite::params![&self.name, key, value])
            .map_err(other)
            .map(drop)
    }

    /// Deletes `key`.
    pub fn delete(&self, key: &str) -> Result<(), Failure> {
        self.database
            .lock()?
            .prepare_cached("DELETE FROM spin_key_value WHERE store=$1 AND key=$2")
            .map_err(other)?
            .execute([&self.name, key])
            .map_err(other)
            .map(drop)
    }

    /// Whether `key` has a value (Spin reads the value to know).
    pub fn exists(&self, key: &str) -> Result<bool, Failure> {
        Ok(self.get(key)?.is_some())
    }

    /// Every key of this store.
    pub fn get_keys(&self) -> Result<Vec<String>, Failure> {
        let connection = self.database.lock()?;
        let mut statement = connection
            .prepare_cached("SELECT key FROM spin_key_value WHERE store=$1")
            .map_err(other)?;
        let rows = statement
            .query_map([&self.name], |row| row.get::<_, String>(0))
            .map_err(other)?;
        let mut bytes = std::mem::size_of::<Vec<String>>();
        let mut keys = Vec::new();
        for row in rows {
            let key = row.map_err(other)?;
            bytes += std::mem::size_of::<String>() + key.len();
            if bytes > MAX_RESULT_BYTES {
                return Err(too_big());
            }
            keys.push(key);
        }
        Ok(keys)
    }

    /// Adds `delta` to the little-endian `i64` at `key` (0 when absent) in a transaction.
    /// A value that is not 8 bytes long is where Spin panics (`expect("incorrect
    /// length")`) holding the connection lock: the store is poisoned from then on.
    pub fn increment(&self, key: &str, delta: i64) -> Result<i64, Failure> {
        let mut connection = self.database.lock()?;
        let tx = connection.transaction().map_err(other)?;
        let value: Option<Vec<u8>> = tx
            .prepare_cached(SELECT)
            .map_err(other)?
            .query_map([&self.name, key], |row| row.get(0))
            .map_err(other)?
            .next()
            .transpose()
            .map_err(other)?;
        let current = match value {
            None => 0,
            Some(bytes) => match <[u8; 8]>::try_from(bytes.as_slice()) {
                Ok(bytes) => i64::from_le_bytes(bytes),
                Err(_) => {
                    drop(tx);
                    drop(connection);
                    let why = format!(
                        "increment of `{key}`: the stored value is {} bytes, not the 8 bytes of \
                         a little-endian i64, and Spin's store panics with \"incorrect length\"",
                        bytes.len()
                    );
                    self.database.poison(why.clone());
                    return Err(Failure::Panic(why));
                }
            },
        };
        // Spin is built in release mode: the addition wraps instead of panicking.
        let next = current.wrapping_add(delta);
        tx.prepare_cached(UPSERT)
            .map_err(other)?
            .execute(rusqlite::params![&self.name, key, next.to_le_bytes()])
            .map_err(other)?;
        tx.commit().map_err(other)?;
        Ok(next)
    }

    /// A compare-and-swap handle on `key`; it reads nothing yet.
    pub fn new_cas(&self, key: &str) -> Cas {
        Cas {
            name: self.name.clone(),
            key: key.to_owned(),
            value: Mutex::new(None),
            database: self.database.clone(),
        }
    }

    /// Every (key, value) of this store, for tests to inspect (not a Spin operation: it
    /// works even after the store is poisoned).
    pub fn entries(&self) -> Result<Vec<(String, Vec<u8>)>, Failure> {
        let connection = self
            .database
            .connection
            .lock()
            .map_err(|_| Failure::Panic("poisoned".into()))?;
        let mut statement = connection
            .prepare("SELECT key, value FROM spin_key_value WHERE store=$1")
            .map_err(other)?;
        let rows = statement
            .query_map([&self.name], |row| Ok((row.get(0)?, row.get(1)?)))
            .map_err(other)?;
        rows.map(|row| row.map_err(other)).collect()
    }
}

fn read(connection: &Connection, name: &str, key: &str) -> Result<Option<Vec<u8>>, Failure> {
    connection
        .prepare_cached(SELECT)
        .map_err(other)?
        .query_map([name, key], |row| row.get::<_, Vec<u8>>(0))
        .map_err(other)?
        .next()
        .transpose()
        .map_err(other)
}

fn check_size(value: &Option<Vec<u8>>) -> Result<(), Failure> {
    if std::mem::size_of::<Option<Vec<u8>>>() + value.as_ref().map_or(0, Vec::len)
        > MAX_RESULT_BYTES
    {
        return Err(too_big());
    }
    Ok(())
}

/// A compare-and-swap handle: the value `current` last read, if it was called.
pub struct Cas {
    name: String,
    key: String,
    value: Mutex<Option<Vec<u8>>>,
    database: Arc<Database>,
}

impl Cas {
    /// Reads the key's value and remembers it for `swap`.
    pub fn current(&self) -> Result<Option<Vec<u8>>, Failure> {
        let connection = self.database.lock()?;
        let value = read(&connection, &self.name, &self.key)?;
        drop(connection);
        if let Ok(mut remembered) = self.value.lock() {
            remembered.clone_from(&value);
        }
        check_size(&value)?;
        Ok(value)
    }

    /// Writes `value` if the key still holds what `current` read; when `current` read
    /// nothing (or was not called) the write is an upsert and always succeeds.
    pub fn swap(&self, value: Vec<u8>) -> Result<(), SwapFailure> {
        let old = self.value.lock().map(|v| v.clone()).unwrap_or_default();
        let mut connection = self.database.lock().map_err(SwapFailure::from)?;
        let swap_other = |e: rusqlite::Error| SwapFailure::Other(format!("{e:?}"));
        let changed = match old {
            Some(old) => connection
                .prepare_cached(
                    "UPDATE spin_key_value SET value=:new_value WHERE store=:name and key=:key and value=:old_value",
                )
                .map_err(swap_other)?
                .execute(named_params! {
                    ":name": &self.name,
                    ":key": self.key,
                    ":old_value": old,
                    ":new_value": value,
                })
                .map_err(swap_other)?,
            None => {
                let tx = connection.transaction().map_err(swap_other)?;
                let rows = tx
                    .prepare_cached(UPSERT)
                    .map_err(swap_other)?
                    .execute(rusqlite::params![&self.name, self.key, value])
                    .map_err(swap_other)?;
                tx.commit().map_err(swap_other)?;
                rows
            }
        };
        if changed == 1 {
            Ok(())
        } else {
            Err(SwapFailure::CasFailed("failed to update 1 row".to_owned()))
        }
    }
}
