//! Spin's `redis` key-value store (`crates/key-value-redis/src/store.rs`), rewritten with
//! the same crate and the same commands, so a real Redis decides the outcomes: the
//! store label is ignored (every label shares the server's keyspace), GET/SET/DEL/EXISTS
//! and `KEYS *`, `increment` is INCRBY (a text integer), and compare-and-swap opens its
//! own connection, `current` is WATCH + GET, and `swap` is MULTI/SET/EXEC followed by
//! `UNWATCH <key>` — which Redis rejects (UNWATCH takes no argument), so every swap
//! reports a failed compare-and-swap, whether or not EXEC wrote the value.

use super::{Failure, SwapFailure, MAX_RESULT_BYTES};
use anyhow::Context;
use redis::aio::ConnectionManager;
use redis::{AsyncCommands, Client, RedisError};
use tokio::sync::OnceCell;

/// One Redis store manager: what Spin makes for a `[key_value_store.<label>]` of type
/// `redis`.
pub struct Manager {
    url: url::Url,
    connection: OnceCell<ConnectionManager>,
}

fn other(err: RedisError) -> Failure {
    Failure::Other(format!("{err:?}"))
}

impl Manager {
    /// A manager for the server at `url`; it connects when a component first opens it.
    ///
    /// # Errors
    /// A URL the redis crate does not accept ("Invalid Redis URL", as Spin says).
    pub fn new(url: &str) -> anyhow::Result<Self> {
        let url = redis::parse_redis_url(url).context("Invalid Redis URL")?;
        Ok(Self {
            url,
            connection: OnceCell::new(),
        })
    }

    /// The store (any label: Redis ignores it), after Spin's `after_open` PING, whose
    /// failure Spin ignores.
    ///
    /// # Errors
    /// The first connection cannot be made.
    pub async fn open(&self) -> Result<Store, Failure> {
        let connection = self
            .connection
            .get_or_try_init(|| async {
                Client::open(self.url.clone())?
                    .get_connection_manager()
                    .await
            })
            .await
            .map_err(other)?
            .clone();
        let _ = connection.clone().ping::<()>().await;
        Ok(Store {
            connection,
            url: self.url.clone(),
        })
    }

    /// Every key and value on the server, read on a connection of its own (for tests to
    /// inspect; not a Spin operation).
    ///
    /// # Errors
    /// The server cannot be reached.
    pub fn entries(&self) -> anyhow::Result<Vec<(String, Vec<u8>)>> {
        let mut connection = Client::open(self.url.clone())?.get_connection()?;
        let keys: Vec<String> = redis::cmd("KEYS").arg("*").query(&mut connection)?;
        let mut entries = Vec::new();
        for key in keys {
            let value: Option<Vec<u8>> = redis::cmd("GET").arg(&key).query(&mut connection)?;
            if let Some(value) = value {
                entries.push((key, value));
            }
        }
        Ok(entries)
    }

    /// Sets `key` to `value` on a connection of its own (for tests to seed state).
    ///
    /// # Errors
    /// The server cannot be reached.
    pub fn seed(&self, key: &str, value: &[u8]) -> anyhow::Result<()> {
        let mut connection = Client::open(self.url.clone())?.get_connection()?;
        redis::cmd("SET")
            .arg(key)
            .arg(value)
            .query::<()>(&mut connection)?;
        Ok(())
    }
}

/// An open Redis store.
#[derive(Clone)]
pub struct Store {
    connection: ConnectionManager,
    url: url::Url,
}

fn check_size(value: &Option<Vec<u8>>) -> Result<(), Failure> {
    if std::mem::size_of::<Option<Vec<u8>>>() + value.as_ref().map_or(0, Vec::len)
        > MAX_RESULT_BYTES
    {
        return Err(Failure::Other(format!(
            "query result exceeds limit of {MAX_RESULT_BYTES} bytes"
        )));
    }
    Ok(())
}

impl Store {
    /// GET.
    pub async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, Failure> {
        let value = self
            .connection
            .clone()
            .get::<_, Option<Vec<u8>>>(key)
            .await
            .map_err(other)?;
        check_size(&value)?;
        Ok(value)
    }

    /// SET.
    pub async fn set(&self, key: &str, value: &[u8]) -> Result<(), Failure> {
        self.connection
            .clone()
            .set::<_, _, ()>(key, value)
            .await
            .map_err(other)
    }

    /// DEL.
    pub async fn delete(&self, key: &str) -> Result<(), Failure> {
        self.connection
            .clone()
            .del::<_, ()>(key)
            .await
            .map_err(other)
    }

    /// EXISTS.
    pub async fn exists(&self, key: &str) -> Result<bool, Failure> {
        self.connection
            .clone()
            .exists::<_, bool>(key)
            .await
            .map_err(other)
    }

    /// `KEYS *`: every key on the server, whatever the label.
    pub async fn get_keys(&self) -> Result<Vec<String>, Failure> {
        let keys = self
            .connection
            .clone()
            .keys::<_, Vec<String>>("*")
            .await
            .map_err(other)?;
        let bytes = std::mem::size_of::<Vec<String>>()
            + keys
                .iter()
                .map(|k| std::mem::size_of::<String>() + k.len())
                .sum::<usize>();
        if bytes > MAX_RESULT_BYTES {
            return Err(Failure::Other(format!(
                "query result exceeds limit of {MAX_RESULT_BYTES} bytes"
            )));
        }
        Ok(keys)
    }

    /// INCRBY.
    pub async fn increment(&self, key: &str, delta: i64) -> Result<i64, Failure> {
        self.connection
            .clone()
            .incr::<_, _, i64>(key, delta)
            .await
            .map_err(other)
    }

    /// A compare-and-swap handle with a connection of its own (Redis transactions are
    /// scoped to a connection).
    pub async fn new_cas(&self, key: &str) -> Result<Cas, Failure> {
        let connection = Client::open(self.url.clone())
            .map_err(other)?
            .get_connection_manager()
            .await
            .map_err(other)?;
        Ok(Cas {
            key: key.to_owned(),
            connection,
        })
    }
}

/// A compare-and-swap handle on its own connection.
pub struct Cas {
    key: String,
    connection: ConnectionManager,
}

impl Cas {
    /// WATCH the key, then GET it.
    pub async fn current(&self) -> Result<Option<Vec<u8>>, Failure> {
        redis::cmd("WATCH")
            .arg(&self.key)
            .exec_async(&mut self.connection.clone())
            .await
            .map_err(other)?;
        let value = self
            .connection
            .clone()
            .get::<_, Option<Vec<u8>>>(&self.key)
            .await
            .map_err(other)?;
        check_size(&value)?;
        Ok(value)
    }

    /// MULTI / SET / EXEC, then `UNWATCH <key>`; the UNWATCH error (Redis accepts no
    /// argument) becomes the swap's result.
    pub async fn swap(&self, value: Vec<u8>) -> Result<(), SwapFailure> {
        let written: Result<(), RedisError> = redis::pipe()
            .atomic()
            .set(&self.key, value)
            .query_async(&mut self.connection.clone())
            .await;
        redis::cmd("UNWATCH")
            .arg(&self.key)
            .exec_async(&mut self.connection.clone())
            .await
            .map_err(|err| SwapFailure::CasFailed(format!("{err:?}")))?;
        written.map_err(|err| SwapFailure::CasFailed(format!("{err:?}")))
    }
}
