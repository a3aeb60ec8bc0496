//! The key-value stores of a running app, as Spin's runtime config makes them: each
//! label is backed by Spin's SQLite store ([`sqlite`]) or its Redis store ([`redis`]),
//! each with Spin's behaviour, quirks included. [`host`] serves them to components
//! through `fermyon:spin/key-value` and `wasi:keyvalue`.

pub mod host;
pub mod host_v3;
pub mod redis;
pub mod sqlite;

use anyhow::{bail, Context, Result};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Spin's `MAX_HOST_BUFFERED_BYTES`: larger results are refused.
pub const MAX_RESULT_BYTES: usize = 128 << 20;

/// The label Spin always defines.
pub const DEFAULT_LABEL: &str = "default";

/// What backs one store label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreConfig {
    /// Spin's `spin` store (SQLite): in memory when `None`, else this database file.
    Sqlite(Option<PathBuf>),
    /// Spin's `redis` store at this URL.
    Redis(String),
}

/// Reads the `[key_value_store.<label>]` tables of a Spin runtime config, resolving
/// relative SQLite paths against `base` (the runtime config file's folder), and adds
/// the `default` label when the file does not define it, as Spin does.
///
/// # Errors
/// A table Spin would refuse: an unknown `type`, a missing or extra field.
pub fn parse_runtime_config(
    text: &str,
    base: &Path,
    default: StoreConfig,
) -> Result<BTreeMap<String, StoreConfig>> {
    #[derive(serde::Deserialize)]
    struct RuntimeConfig {
        #[serde(default)]
        key_value_store: BTreeMap<String, toml::Table>,
    }
    #[derive(serde::Deserialize)]
    struct Spin {
        path: Option<PathBuf>,
    }
    #[derive(serde::Deserialize)]
    struct Redis {
        url: String,
    }
    let config: RuntimeConfig = toml::from_str(text).context("runtime config is not TOML")?;
    let mut stores = BTreeMap::new();
    for (label, mut table) in config.key_value_store {
        let kind = match table.remove("type") {
            Some(toml::Value::String(kind)) => kind,
            _ => bail!("could not configure key-value store with label '{label}': missing `type`"),
        };
        let store = match kind.as_str() {
            "spin" => {
                let spin: Spin = table.try_into().with_context(|| {
                    format!("could not configure key-value store with label '{label}'")
                })?;
                StoreConfig::Sqlite(spin.path.map(|path| {
                    if path.is_absolute() {
                        path
                    } else {
                        base.join(path)
                    }
                }))
            }
            "redis" => {
                let redis: Redis = table.try_into().with_context(|| {
                    format!("could not configure key-value store with label '{label}'")
                })?;
                StoreConfig::Redis(redis.url)
            }
            other => bail!(
                "could not configure key-value store with label '{label}': the store type \
                 '{other}' was not registered with the config resolver"
            ),
        };
        stores.insert(label, store);
    }
    stores.entry(DEFAULT_LABEL.to_owned()).or_insert(default);
    Ok(stores)
}

/// A failed store operation, as Spin surfaces it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// Spin returns the error `other(<message>)`.
    Other(String),
    /// Spin panics: the request fails (here: the instance traps with this message).
    Panic(String),
}

/// A failed compare-and-swap.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SwapFailure {
    /// The value was not (or not known to be) swapped.
    CasFailed(String),
    /// Another error.
    Other(String),
    /// Spin panics.
    Panic(String),
}

impl From<Failure> for SwapFailure {
    fn from(failure: Failure) -> Self {
        match failure {
            Failure::Other(message) => Self::Other(message),
            Failure::Panic(message) => Self::Panic(message),
        }
    }
}

enum Manager {
    Sqlite(sqlite::Manager),
    Redis(redis::Manager),
}

/// The store managers of one running app, by label.
pub struct Stores {
    managers: BTreeMap<String, Manager>,
}

impl Stores {
    /// Managers for `configs`; nothing connects until a component opens a store.
    ///
    /// # Errors
    /// An invalid Redis URL.
    pub fn new(configs: &BTreeMap<String, StoreConfig>) -> Result<Self> {
        let mut managers = BTreeMap::new();
        for (label, config) in configs {
            let manager = match config {
                StoreConfig::Sqlite(None) => {
                    Manager::Sqlite(sqlite::Manager::new(sqlite::Location::InMemory))
                }
                StoreConfig::Sqlite(Some(path)) => {
                    if let Some(parent) = path.parent().filter(|p| !p.exists()) {
                        std::fs::create_dir_all(parent).with_context(|| {
                            format!(
                                "failed to create key value store's parent directory: '{}",
                                parent.display()
                            )
                        })?;
                    }
                    Manager::Sqlite(sqlite::Manager::new(sqlite::Location::File(path.clone())))
                }
                StoreConfig::Redis(url) => Manager::Redis(
                    redis::Manager::new(url)
                        .with_context(|| format!("key-value store `{label}`"))?,
                ),
            };
            managers.insert(label.clone(), manager);
        }
        Ok(Self { managers })
    }

    /// Whether `label` is configured.
    pub fn is_defined(&self, label: &str) -> bool {
        self.managers.contains_key(label)
    }

    /// Opens store `label` (Spin's `StoreManager::get` and `after_open`); a label that is
    /// not configured is `Ok(None)` (Spin's `no-such-store`).
    ///
    /// # Errors
    /// The backend cannot be reached.
    pub async fn open(&self, label: &str) -> Result<Option<Store>, Failure> {
        match self.managers.get(label) {
            None => Ok(None),
            Some(Manager::Sqlite(manager)) => manager.open(label).map(|s| Some(Store::Sqlite(s))),
            Some(Manager::Redis(manager)) => manager.open().await.map(|s| Some(Store::Redis(s))),
        }
    }

    /// Every key and value of store `label`, for tests to inspect (a Redis store shows
    /// the whole server: Spin ignores the label there).
    ///
    /// # Errors
    /// No such label, or the backend cannot be read.
    pub fn entries(&self, label: &str) -> Result<BTreeMap<String, Vec<u8>>> {
        let entries = match self.managers.get(label) {
            None => bail!("no key-value store `{label}`"),
            Some(Manager::Sqlite(manager)) => manager
                .open(label)
                .and_then(|store| store.entries())
                .map_err(|f| anyhow::anyhow!("{f:?}"))?,
            Some(Manager::Redis(manager)) => manager.entries()?,
        };
        Ok(entries.into_iter().collect())
    }

    /// Writes `value` at `key` in store `label`, as a component's `set` would (for tests
    /// to set up state).
    ///
    /// # Errors
    /// No such label, or the backend cannot be written.
    pub fn seed(&self, label: &str, key: &str, value: &[u8]) -> Result<()> {
        match self.managers.get(label) {
            None => bail!("no key-value store `{label}`"),
            Some(Manager::Sqlite(manager)) => manager
                .open(label)
                .and_then(|store| store.set(key, value))
                .map_err(|f| anyhow::anyhow!("{f:?}")),
            Some(Manager::Redis(manager)) => manager.seed(key, value),
        }
    }
}

/// An open store, as a component holds it.
#[derive(Clone)]
pub enum Store {
    /// Spin's SQLite store.
    Sqlite(sqlite::Store),
    /// Spin's Redis store.
    Redis(redis::Store),
}

impl Store {
    /// The value at `key`.
    pub async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, Failure> {
        match self {
            Self::Sqlite(store) => store.get(key),
            Self::Redis(store) => store.get(key).await,
        }
    }

    /// Writes `value` at `key`.
    pub async fn set(&self, key: &str, value: &[u8]) -> Result<(), Failure> {
        match self {
            Self::Sqlite(store) => store.set(key, value),
            Self::Redis(store) => store.set(key, value).await,
        }
    }

    /// Deletes `key`.
    pub async fn delete(&self, key: &str) -> Result<(), Failure> {
        match self {
            Self::Sqlite(store) => store.delete(key),
            Self::Redis(store) => store.delete(key).await,
        }
    }

    /// Whether `key` has a value.
    pub async fn exists(&self, key: &str) -> Result<bool, Failure> {
        match self {
            Self::Sqlite(store) => store.exists(key),
            Self::Redis(store) => store.exists(key).await,
        }
    }

    /// Every key.
    pub async fn get_keys(&self) -> Result<Vec<String>, Failure> {
        match self {
            Self::Sqlite(store) => store.get_keys(),
            Self::Redis(store) => store.get_keys().await,
        }
    }

    /// Adds `delta` to the counter at `key`.
    pub async fn increment(&self, key: &str, delta: i64) -> Result<i64, Failure> {
        match self {
            Self::Sqlite(store) => store.increment(key, delta),
            Self::Redis(store) => store.increment(key, delta).await,
        }
    }

    /// A compare-and-swap handle on `key`.
    pub async fn new_cas(&self, key: &str) -> Result<Cas, Failure> {
        match self {
            Self::Sqlite(store) => Ok(Cas::Sqlite(store.new_cas(key))),
            Self::Redis(store) => store.new_cas(key).await.map(Cas::Redis),
        }
    }
}

/// A compare-and-swap handle.
pub enum Cas {
    /// On Spin's SQLite store.
    Sqlite(sqlite::Cas),
    /// On Spin's Redis store.
    Redis(redis::Cas),
}

impl Cas {
    /// The key's current value (and the start of the swap's guard).
    pub async fn current(&self) -> Result<Option<Vec<u8>>, Failure> {
        match self {
            Self::Sqlite(cas) => cas.current(),
            Self::Redis(cas) => cas.current().await,
        }
    }

    /// Swaps in `value`, by the backend's rules.
    pub async fn swap(&self, value: Vec<u8>) -> Result<(), SwapFailure> {
        match self {
            Self::Sqlite(cas) => cas.swap(value),
            Self::Redis(cas) => cas.swap(value).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_repositorys_runtime_config_is_read_as_spin_reads_it() {
        let text = std::fs::read_to_string(crate::repo_root().join("runtime-config.toml")).unwrap();
        let stores =
            parse_runtime_config(&text, Path::new("/app"), StoreConfig::Sqlite(None)).unwrap();
        assert_eq!(
            stores[DEFAULT_LABEL],
            StoreConfig::Sqlite(Some(PathBuf::from("/app/.spin/sqlite_key_value.db")))
        );
    }

    #[test]
    fn a_redis_table_and_an_unknown_type_are_read_as_spin_reads_them() {
        let stores = parse_runtime_config(
            "[key_value_store.default]\ntype = \"redis\"\nurl = \"redis://127.0.0.1:1/\"\n",
            Path::new("/"),
            StoreConfig::Sqlite(None),
        )
        .unwrap();
        assert_eq!(
            stores[DEFAULT_LABEL],
            StoreConfig::Redis("redis://127.0.0.1:1/".into())
        );
        let err = parse_runtime_config(
            "[key_value_store.default]\ntype = \"memcached\"\n",
            Path::new("/"),
            StoreConfig::Sqlite(None),
        )
        .unwrap_err();
        assert!(err.to_string().contains("was not registered"), "{err}");
    }

    #[test]
    fn without_a_default_table_the_default_label_still_exists() {
        let stores = parse_runtime_config("", Path::new("/"), StoreConfig::Sqlite(None)).unwrap();
        assert_eq!(stores[DEFAULT_LABEL], StoreConfig::Sqlite(None));
    }
}
