//! What every end-to-end test needs: an app with every setting filled in, fakes wired
//! to the base-URL variables, and a client.

use e2e::{AppBuilder, Client, FakeServer, TestApp};

/// The shared Discord test key pair (RFC 8032 test 1), public half.
pub const DISCORD_PUBLIC_KEY: &str =
    "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
/// Its secret seed, for signing test interactions.
pub const DISCORD_SEED: &str = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
/// The fake Kaltura admin secret of the shared fixtures.
pub const KALTURA_ADMIN_SECRET: &str = "0123456789abcdef0123456789abcdef";

/// A running app with its fakes.
pub struct World {
    pub app: TestApp,
    pub discord: FakeServer,
    pub kaltura: FakeServer,
}

impl World {
    pub fn client(&self) -> Client {
        Client::new(self.app.addr())
    }
}

/// Every setting filled in, base URLs pointing at fresh fakes.
pub async fn configured() -> (AppBuilder, FakeServer, FakeServer) {
    let discord = FakeServer::discord().await.expect("fake discord");
    let kaltura = FakeServer::kaltura().await.expect("fake kaltura");
    let builder = e2e::app()
        .variable("discord_application_id", "1100000000000000001")
        .variable("discord_public_key", DISCORD_PUBLIC_KEY)
        .variable("discord_bot_token", "test-bot-token-not-real")
        .variable("discord_client_secret", "test-client-secret-not-real")
        .variable("discord_base_url", discord.url())
        .variable("kaltura_partner_id", "1234567")
        .variable("kaltura_admin_secret", KALTURA_ADMIN_SECRET)
        .variable("kaltura_service_url", kaltura.url())
        .variable("gateway_signing_key", "a".repeat(64));
    (builder, discord, kaltura)
}

/// Starts a fully configured app.
pub async fn world() -> World {
    let (builder, discord, kaltura) = configured().await;
    let app = builder.start().await.expect("app starts");
    World {
        app,
        discord,
        kaltura,
    }
}

/// Signs `body` at `timestamp` the way Discord does.
pub fn discord_signature(timestamp: &str, body: &str) -> String {
    use ed25519_dalek::{Signer, SigningKey};
    let seed: [u8; 32] = hex::decode(DISCORD_SEED)
        .expect("hex")
        .try_into()
        .expect("32 bytes");
    let key = SigningKey::from_bytes(&seed);
    hex::encode(key.sign(format!("{timestamp}{body}").as_bytes()).to_bytes())
}

/// The current Unix time as Discord sends it.
pub fn now() -> String {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs()
        .to_string()
}

/// The document at `key` in a copy of the store, read the way `common::cas` documents
/// its layout (independently of its code): the key holds a pointer, an integer in the
/// store's increment encoding (8 bytes little-endian, or decimal text); a positive one
/// names the document at `<key>#<generation>`, 0 or a negative one means none. Any
/// other value at the key is a document stored in place (the form the tests seed).
pub fn document(store: &std::collections::BTreeMap<String, Vec<u8>>, key: &str) -> Option<Vec<u8>> {
    let raw = store.get(key)?;
    let pointer = match <[u8; 8]>::try_from(raw.as_slice()) {
        Ok(le) => Some(i64::from_le_bytes(le)),
        Err(_) => std::str::from_utf8(raw)
            .ok()
            .and_then(|text| text.parse::<i64>().ok()),
    };
    match pointer {
        Some(generation) if generation > 0 => store.get(&format!("{key}#{generation}")).cloned(),
        Some(_) => None,
        None => Some(raw.clone()),
    }
}
