//! One key-value store that several apps share, as replicas of one deployment share
//! theirs: a SQLite file (two `spin up` on one file) or one private `redis-server`.

use crate::host::AppBuilder;
use crate::redis_server::RedisServer;
use anyhow::{Context, Result};
use std::path::PathBuf;
use std::sync::Arc;

/// A store for [`AppBuilder::shared_store`]; it lives as long as this value and the
/// apps given it.
pub struct SharedStore {
    backend: Backend,
}

enum Backend {
    Sqlite {
        _dir: tempfile::TempDir,
        file: PathBuf,
    },
    Redis(Arc<RedisServer>),
}

impl SharedStore {
    /// Spin's SQLite store on a fresh database file.
    ///
    /// # Errors
    /// No scratch folder can be made.
    pub fn sqlite() -> Result<Self> {
        let dir = tempfile::Builder::new()
            .prefix("shared-kv-")
            .tempdir()
            .context("a folder for the shared SQLite file")?;
        let file = dir.path().join("kv.db");
        Ok(Self {
            backend: Backend::Sqlite { _dir: dir, file },
        })
    }

    /// Spin's Redis store on a private `redis-server`.
    ///
    /// # Errors
    /// `redis-server` is not installed or does not start.
    pub fn redis() -> Result<Self> {
        Ok(Self {
            backend: Backend::Redis(Arc::new(RedisServer::start()?)),
        })
    }

    /// The store the suite runs on: Redis with `E2E_KV_STORE=redis`, else SQLite.
    ///
    /// # Errors
    /// As [`SharedStore::sqlite`] or [`SharedStore::redis`].
    pub fn from_env() -> Result<Self> {
        match std::env::var("E2E_KV_STORE").as_deref() {
            Ok("redis") => Self::redis(),
            _ => Self::sqlite(),
        }
    }

    /// `sqlite` or `redis`, for the tests' reports.
    pub fn kind(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite { .. } => "sqlite",
            Backend::Redis(_) => "redis",
        }
    }
}

impl AppBuilder {
    /// Backs the `default` store with `store`, shared with every other app given it
    /// (each app with its own connection, as each replica has).
    pub fn shared_store(self, store: &SharedStore) -> Self {
        match &store.backend {
            Backend::Sqlite { file, .. } => {
                let mut builder = self.sqlite_file(file);
                builder.redis = None;
                builder
            }
            Backend::Redis(server) => {
                let mut builder = self.redis(server.url());
                builder.redis = Some(server.clone());
                builder
            }
        }
    }
}
