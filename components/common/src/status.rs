//! The readiness a service reports: its version, its missing settings and whether its
//! key-value prefix can be written, read back and deleted.

use crate::ports::{KeyValue, Variables};
use crate::settings;
use serde::Serialize;

/// What one service reports about its readiness (mirrors the WIT `service-status`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServiceStatus {
    /// The service's name, e.g. `kaltura`.
    pub name: String,
    /// The component's crate version.
    pub version: String,
    /// Spin variables this service needs that are unset or empty.
    pub missing_settings: Vec<String>,
    /// Whether the key-value round trip succeeded.
    pub key_value_ok: bool,
}

impl ServiceStatus {
    /// Checks `required` settings and round-trips `probe_key` (which must be under the
    /// service's own key prefix) through the store.
    pub fn check(
        name: &str,
        version: &str,
        required: &[&str],
        vars: &dyn Variables,
        kv: &dyn KeyValue,
        probe_key: &str,
    ) -> Self {
        Self {
            name: name.to_owned(),
            version: version.to_owned(),
            missing_settings: settings::missing(vars, required),
            key_value_ok: key_value_round_trip(kv, probe_key),
        }
    }

    /// Ready when nothing is missing and the store works.
    pub fn is_ready(&self) -> bool {
        self.missing_settings.is_empty() && self.key_value_ok
    }
}

/// Writes, reads back and deletes `probe_key`; true only if all three succeed and the
/// value read is the value written.
pub fn key_value_round_trip(kv: &dyn KeyValue, probe_key: &str) -> bool {
    let value = b"ready-probe";
    kv.set(probe_key, value).is_ok()
        && matches!(kv.get(probe_key), Ok(Some(read)) if read == value)
        && kv.delete(probe_key).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::{MemoryKeyValue, MemoryVariables, StoreError};

    #[test]
    fn a_configured_service_with_a_working_store_is_ready() {
        let kv = MemoryKeyValue::default();
        let vars = MemoryVariables::from_pairs(&[("x", "1")]);
        let status = ServiceStatus::check("svc", "0.1.0", &["x"], &vars, &kv, "svc/v1/probe");
        assert!(status.is_ready());
        assert!(kv.keys().is_empty(), "the probe key is cleaned up");
    }

    #[test]
    fn a_failing_store_makes_the_service_not_ready() {
        let kv = MemoryKeyValue::failing_with(StoreError::AccessDenied);
        let vars = MemoryVariables::default();
        let status = ServiceStatus::check("svc", "0.1.0", &[], &vars, &kv, "svc/v1/probe");
        assert!(!status.key_value_ok);
        assert!(!status.is_ready());
    }

    #[test]
    fn a_missing_setting_makes_the_service_not_ready() {
        let kv = MemoryKeyValue::default();
        let vars = MemoryVariables::default();
        let status = ServiceStatus::check("svc", "0.1.0", &["x"], &vars, &kv, "svc/v1/probe");
        assert_eq!(status.missing_settings, vec!["x"]);
        assert!(!status.is_ready());
    }
}
