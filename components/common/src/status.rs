//! The part of readiness every service checks the same way: whether its key-value
//! prefix can be written, read back and deleted. (The record a service reports is the
//! contract's `service-status`.)

use crate::ports::KeyValue;

/// Writes, reads back and deletes `probe_key` (under the service's own key prefix); true
/// only if all three succeed and the value read is the value written.
pub fn key_value_round_trip(kv: &dyn KeyValue, probe_key: &str) -> bool {
    let value = b"ready-probe";
    kv.set(probe_key, value).is_ok()
        && matches!(kv.get(probe_key), Ok(Some(read)) if read == value)
        && kv.delete(probe_key).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::{MemoryKeyValue, StoreError};

    #[test]
    fn a_working_store_passes_and_the_probe_key_is_cleaned_up() {
        let kv = MemoryKeyValue::default();
        assert!(key_value_round_trip(&kv, "svc/v1/probe"));
        assert!(kv.keys().is_empty());
    }

    #[test]
    fn a_failing_store_fails_the_round_trip() {
        let kv = MemoryKeyValue::failing_with(StoreError::AccessDenied);
        assert!(!key_value_round_trip(&kv, "svc/v1/probe"));
    }
}
