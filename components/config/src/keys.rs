//! Every key-value key this service owns; no other service reads or writes them.
//!
//! | key | value |
//! |---|---|
//! | `config/v1/guild/<guild-id>` | the server's overrides: `StoredOverrides` JSON (schema, version, updated at/by, sparse document), a `common::cas` document (the key holds a pointer, the JSON is at `<key>#<generation>`); written by compare-and-set on its version |
//! | `config/v1/guild/<guild-id>/audit/<version>` | the `AuditEntry` JSON of the write that produced `<version>`; the last [`AUDIT_KEEP`] are kept |
//! | `config/v1/deployment` | the deployment-wide overrides, as a server's (a `common::cas` document too) |
//! | `config/v1/deployment/audit/<version>` | their audit entries, as a server's |
//! | `config/v1/ready-probe` | written, read back and deleted by the readiness check |
//!
//! An audit entry has a key of its own, named by the version it produced: compare-and-set
//! makes exactly one write win each version, so entries never contend and need no lock.

use discord_api::id::GuildId;

/// The prefix of every key of this service.
pub const PREFIX: &str = "config/v1/";

/// The key the readiness probe writes, reads back and deletes.
pub const READY_PROBE: &str = "config/v1/ready-probe";

/// The deployment-wide override document.
pub const DEPLOYMENT: &str = "config/v1/deployment";

/// How many audit entries are kept per document; older ones are deleted.
pub const AUDIT_KEEP: u64 = 200;

/// A server's override document.
pub fn guild(guild: GuildId) -> String {
    format!("{PREFIX}guild/{guild}")
}

/// The audit entry of the write that produced `version` of the document at `doc_key`
/// ([`guild`] or [`DEPLOYMENT`]).
pub fn audit(doc_key: &str, version: u64) -> String {
    format!("{doc_key}/audit/{version}")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn every_key_is_under_the_service_prefix() {
        let id: GuildId = "123456789012345678".parse().unwrap();
        for key in [
            READY_PROBE.to_string(),
            DEPLOYMENT.to_string(),
            guild(id),
            audit(&guild(id), 7),
            audit(DEPLOYMENT, 7),
        ] {
            assert!(key.starts_with(PREFIX), "{key}");
        }
    }

    #[test]
    fn keys_have_the_documented_shape() {
        let id: GuildId = "123456789012345678".parse().unwrap();
        assert_eq!(guild(id), "config/v1/guild/123456789012345678");
        assert_eq!(
            audit(&guild(id), 12),
            "config/v1/guild/123456789012345678/audit/12"
        );
        assert_eq!(audit(DEPLOYMENT, 3), "config/v1/deployment/audit/3");
    }
}
