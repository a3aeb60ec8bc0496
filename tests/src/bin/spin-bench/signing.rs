//! Requests signed as Discord and Kaltura sign them, each unique: the bot deduplicates
//! interactions by id and the notifications service webhooks by job id, so every request
//! of a run carries its own id and signature (made before the clock starts).

use anyhow::Result;
use ed25519_dalek::{Signer, SigningKey};
use sha2::Digest;

/// RFC 8032's first test key: the bench application's Discord key pair.
const DISCORD_SEED: &str = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
/// Its public key, the `discord_public_key` setting (and the Node peer's `PUBLIC_KEY`).
pub const DISCORD_PUBLIC_KEY: &str =
    "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
/// The Kaltura admin secret webhooks are signed with (`kaltura_admin_secret`).
pub const KALTURA_ADMIN_SECRET: &str = "0123456789abcdef0123456789abcdef";

/// A request body with its Discord signature headers.
#[derive(Debug, Clone)]
pub struct SignedInteraction {
    /// `X-Signature-Timestamp`.
    pub timestamp: String,
    /// `X-Signature-Ed25519`.
    pub signature: String,
    /// The JSON body, exactly as signed.
    pub body: String,
}

impl SignedInteraction {
    /// The headers Discord sends with it.
    pub fn headers(&self) -> [(&str, &str); 3] {
        [
            ("content-type", "application/json"),
            ("x-signature-ed25519", &self.signature),
            ("x-signature-timestamp", &self.timestamp),
        ]
    }
}

/// Signs interactions with the bench key at one timestamp.
pub struct DiscordSigner {
    key: SigningKey,
    timestamp: String,
}

impl DiscordSigner {
    /// A signer whose timestamp is now (the bot refuses stale ones).
    pub fn now() -> Result<Self> {
        let seed: [u8; 32] = hex::decode(DISCORD_SEED)?
            .try_into()
            .map_err(|_| anyhow::anyhow!("the seed is not 32 bytes"))?;
        let timestamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)?
            .as_secs()
            .to_string();
        Ok(Self {
            key: SigningKey::from_bytes(&seed),
            timestamp,
        })
    }

    /// Signs `body` as Discord does: Ed25519 over timestamp ‖ body.
    pub fn sign(&self, body: String) -> SignedInteraction {
        let signature = self
            .key
            .sign(format!("{}{body}", self.timestamp).as_bytes());
        SignedInteraction {
            timestamp: self.timestamp.clone(),
            signature: hex::encode(signature.to_bytes()),
            body,
        }
    }
}

/// An interaction id that no other request of the run has (a snowflake-sized number).
pub fn interaction_id(n: u64) -> String {
    (900_000_000_000_000_000u64 + n).to_string()
}

/// A PING with its own interaction id.
pub fn ping_body(n: u64, application_id: &str) -> String {
    serde_json::json!({
        "type": 1, "id": interaction_id(n), "application_id": application_id,
        "token": format!("bench-ping-{n}"), "version": 1,
    })
    .to_string()
}

/// A slash command from an ordinary member, with interaction token `bench-<n>`.
pub fn command_body(n: u64, place: &Place, name: &str, options: serde_json::Value) -> String {
    serde_json::json!({
        "type": 2, "id": interaction_id(n), "application_id": place.application_id,
        "token": format!("bench-{n}"), "version": 1,
        "guild_id": place.guild_id, "channel_id": place.channel_id,
        "member": {"user": {"id": place.user_id, "username": "ada", "global_name": "Ada"},
                   "roles": [], "permissions": "2147485696"},
        "data": {"id": "700000000000000001", "name": name, "type": 1, "options": options}
    })
    .to_string()
}

/// Where a command is run: the application, server, channel and member.
#[derive(Debug, Clone)]
pub struct Place {
    /// The Discord application.
    pub application_id: String,
    /// The server.
    pub guild_id: String,
    /// The channel.
    pub channel_id: String,
    /// The member.
    pub user_id: String,
}

/// The `n` of a follow-up's path (`/webhooks/<app>/bench-<n>/...`), if it is one.
pub fn follow_up_number(path: &str) -> Option<u64> {
    path.split("/bench-")
        .nth(1)?
        .split('/')
        .next()?
        .parse()
        .ok()
}

/// A Kaltura `HTTP_ENTRY_STATUS_CHANGED` notification (an entry became READY) with job
/// id `job`, tagged for `guild_id`, and its `X-KALTURA-SIGNATURE` (SHA-256 of the admin
/// secret followed by the body).
pub fn signed_webhook(job: u64, guild_id: &str) -> (String, String) {
    let body = serde_json::json!({
        "objectType": "KalturaHttpNotification",
        "eventType": "3",
        "eventObjectType": "1",
        "eventNotificationJobId": job.to_string(),
        "templateSystemName": "HTTP_ENTRY_STATUS_CHANGED",
        "object": {
            "objectType": "KalturaMediaEntry", "id": "0_abc123", "name": "Lecture",
            "status": 2, "categoriesIds": "12", "tags": format!("kd-guild:{guild_id}"),
        }
    })
    .to_string();
    let signature = hex::encode(sha2::Sha256::digest(
        [KALTURA_ADMIN_SECRET.as_bytes(), body.as_bytes()].concat(),
    ));
    (body, signature)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::{Signature, Verifier, VerifyingKey};

    #[test]
    fn an_interaction_verifies_under_the_published_public_key() {
        let signed = DiscordSigner::now().unwrap().sign(ping_body(7, "1"));
        let public: [u8; 32] = hex::decode(DISCORD_PUBLIC_KEY).unwrap().try_into().unwrap();
        let signature: [u8; 64] = hex::decode(&signed.signature).unwrap().try_into().unwrap();
        VerifyingKey::from_bytes(&public)
            .unwrap()
            .verify(
                format!("{}{}", signed.timestamp, signed.body).as_bytes(),
                &Signature::from_bytes(&signature),
            )
            .unwrap();
    }

    #[test]
    fn each_request_has_its_own_interaction_id_and_token() {
        let place = Place {
            application_id: "1".into(),
            guild_id: "2".into(),
            channel_id: "3".into(),
            user_id: "4".into(),
        };
        let a = command_body(1, &place, "kaltura-join", serde_json::json!([]));
        let b = command_body(2, &place, "kaltura-join", serde_json::json!([]));
        let (a, b): (serde_json::Value, serde_json::Value) = (
            serde_json::from_str(&a).unwrap(),
            serde_json::from_str(&b).unwrap(),
        );
        assert_ne!(a["id"], b["id"]);
        assert_eq!(a["token"], "bench-1");
        assert_ne!(ping_body(1, "1"), ping_body(2, "1"));
    }

    #[test]
    fn a_follow_up_path_names_its_request() {
        assert_eq!(
            follow_up_number("/api/v10/webhooks/11/bench-42/messages/@original"),
            Some(42)
        );
        assert_eq!(follow_up_number("/api/v10/channels/1/messages"), None);
    }

    #[test]
    fn a_webhook_signature_is_the_sha256_of_secret_and_body_and_job_ids_differ() {
        let (body, signature) = signed_webhook(5, "9");
        let expected = hex::encode(sha2::Sha256::digest(format!(
            "{KALTURA_ADMIN_SECRET}{body}"
        )));
        assert_eq!(signature, expected);
        assert_ne!(signed_webhook(6, "9").0, body);
        assert!(body.contains("kd-guild:9"));
    }
}
