//! The I/O ports logic is written against, shaped like Spin's own host traits, with
//! in-memory versions for tests. Adapters implement them over `spin-sdk`.

use std::cell::RefCell;
use std::collections::BTreeMap;

/// Why a key-value operation failed. Carries no values, only what went wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The component may not open this store (not in its `key_value_stores`).
    #[error("access to the key-value store was denied")]
    AccessDenied,
    /// No store with this label is configured.
    #[error("no such key-value store")]
    NoSuchStore,
    /// Any other failure reported by the host.
    #[error("key-value store error: {0}")]
    Other(String),
}

/// A key-value store: Spin's `Store` (`fermyon:spin/key-value`), one per component.
pub trait KeyValue {
    /// Returns the value at `key`, `Ok(None)` if there is none.
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError>;
    /// Sets `key` to `value`, replacing any value.
    fn set(&self, key: &str, value: &[u8]) -> Result<(), StoreError>;
    /// Removes `key`; removing a missing key is not an error.
    fn delete(&self, key: &str) -> Result<(), StoreError>;
}

/// Deployment settings: Spin variables as the component sees them.
pub trait Variables {
    /// Returns the variable's value, `None` when it is unset or empty (an empty default
    /// in spin.toml means "not configured").
    fn get(&self, name: &str) -> Option<String>;
}

/// A key-value store in memory, for tests.
#[derive(Debug, Default)]
pub struct MemoryKeyValue {
    entries: RefCell<BTreeMap<String, Vec<u8>>>,
    /// When set, every call fails with this error.
    pub failing: Option<StoreError>,
}

impl MemoryKeyValue {
    /// A store whose every call fails with `error`.
    pub fn failing_with(error: StoreError) -> Self {
        Self {
            failing: Some(error),
            ..Self::default()
        }
    }

    /// All keys currently stored, in order.
    pub fn keys(&self) -> Vec<String> {
        self.entries.borrow().keys().cloned().collect()
    }

    fn check(&self) -> Result<(), StoreError> {
        match &self.failing {
            Some(err) => Err(err.clone()),
            None => Ok(()),
        }
    }
}

impl KeyValue for MemoryKeyValue {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.check()?;
        Ok(self.entries.borrow().get(key).cloned())
    }

    fn set(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        self.check()?;
        self.entries
            .borrow_mut()
            .insert(key.to_owned(), value.to_vec());
        Ok(())
    }

    fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.check()?;
        self.entries.borrow_mut().remove(key);
        Ok(())
    }
}

/// Variables in memory, for tests.
#[derive(Debug, Default, Clone)]
pub struct MemoryVariables(pub BTreeMap<String, String>);

impl MemoryVariables {
    /// Builds the set from `(name, value)` pairs.
    pub fn from_pairs(pairs: &[(&str, &str)]) -> Self {
        Self(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        )
    }
}

impl Variables for MemoryVariables {
    fn get(&self, name: &str) -> Option<String> {
        self.0.get(name).filter(|v| !v.trim().is_empty()).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_written_is_read_back_and_deleted() {
        let kv = MemoryKeyValue::default();
        kv.set("a/b", b"1").unwrap();
        assert_eq!(kv.get("a/b").unwrap(), Some(b"1".to_vec()));
        kv.delete("a/b").unwrap();
        assert_eq!(kv.get("a/b").unwrap(), None);
    }

    #[test]
    fn empty_variables_count_as_unset() {
        let vars = MemoryVariables::from_pairs(&[("a", ""), ("b", "  "), ("c", "x")]);
        assert_eq!(vars.get("a"), None);
        assert_eq!(vars.get("b"), None);
        assert_eq!(vars.get("c").as_deref(), Some("x"));
    }
}
