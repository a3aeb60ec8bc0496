//! Every key-value key this service owns; no other service reads or writes them.

/// The prefix of every key of this service.
pub const PREFIX: &str = "kaltura/v1/";

/// The key the readiness probe writes, reads back and deletes.
pub const READY_PROBE: &str = "kaltura/v1/ready-probe";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_is_under_the_service_prefix() {
        assert!(READY_PROBE.starts_with(PREFIX));
    }
}
