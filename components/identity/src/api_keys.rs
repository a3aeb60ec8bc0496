//! API keys for automation: scoped to one Discord server and to chosen scopes, shown
//! once, stored only as a hash, listable and revocable.
//!
//! # Format
//! `kdk_<id>_<secret>`: `<id>` is 16 lowercase hex digits (64 random bits), `<secret>`
//! 43 base64url characters (256 random bits). The ID is in the key so that the record
//! is found with one read, `identity/v1/api-key/<id>`; the record holds the SHA-256 of
//! the whole key (a fast hash suffices: the secret is random, not a password), compared
//! in constant time. A server's key IDs are listed in
//! `identity/v1/guild-api-keys/<guild-id>`, at most [`MAX_KEYS_PER_GUILD`]; a key works
//! only while it is listed there, so what `list` shows is exactly what works. The list
//! is changed through `common::cas` (`ports::update`), so two keys created (or
//! revoked) at once on one server are both listed (or both unlisted).
//!
//! # Expiry
//! A key may be given an expiry at creation, at most
//! [`ApiKeyInfo::MAX_LIFETIME_SECONDS`] (365 days) ahead; [`verify`] refuses it from
//! then on (saying it expired, once the secret matched), and it stays listed until it
//! is revoked, so its server's admins see it. A record with an expiry is written with
//! schema version 2: a replica of an older version, which would ignore the expiry,
//! refuses such a record instead of accepting an expired key.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use contracts::identity::{ApiKeyClaims, ApiKeyInfo, CreatedKey, Scope};
use contracts::Actor;
use discord_api::id::{GuildId, GuildMarker};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::error::{invalid, storage, Error, Result};
use crate::ids;
use crate::keys;
use crate::ports::{self, Env};
use crate::scopes;
use common::cas::DynCasStore;
use common::KeyValue;

/// The prefix of every API key.
pub const KEY_PREFIX: &str = "kdk_";

/// The most API keys a server may have.
pub const MAX_KEYS_PER_GUILD: usize = 25;

/// The longest label, in characters.
pub const MAX_LABEL_CHARS: usize = 100;

const SCHEMA_VERSION: u32 = 1;
/// The version of a key record with an expiry (older replicas refuse it).
const EXPIRING_SCHEMA_VERSION: u32 = 2;
const ID_BYTES: usize = 8;
const ID_CHARS: usize = 2 * ID_BYTES;
const SECRET_BYTES: usize = 32;
const SECRET_CHARS: usize = 43;

/// Who created a key, as stored: `{"kind": "discord-user" | "api-key", "id": "<text>"}`
/// (a user's ID as decimal text).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "kebab-case")]
enum StoredActor {
    DiscordUser(String),
    ApiKey(String),
}

impl From<&Actor> for StoredActor {
    fn from(actor: &Actor) -> Self {
        match actor {
            Actor::DiscordUser(id) => Self::DiscordUser(id.to_string()),
            Actor::ApiKey(id) => Self::ApiKey(id.clone()),
        }
    }
}

impl StoredActor {
    fn to_actor(&self) -> Option<Actor> {
        match self {
            Self::DiscordUser(id) => ids::parse::<discord_api::id::UserMarker>("created-by", id)
                .ok()
                .map(|id| Actor::DiscordUser(id.get())),
            Self::ApiKey(id) => Some(Actor::ApiKey(id.clone())),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Stored {
    v: u32,
    id: String,
    guild_id: String,
    scopes: Vec<String>,
    label: String,
    created_by: StoredActor,
    created_at: u64,
    /// When the key stops working (Unix seconds); records of version 2 only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    expires_at: Option<u64>,
    /// SHA-256 of the whole key, lowercase hex.
    sha256: String,
}

impl Stored {
    /// The server, which the record names as decimal text.
    fn guild(&self) -> Result<GuildId> {
        ids::parse::<GuildMarker>("guild_id", &self.guild_id).map_err(|_| unreadable(&self.id))
    }

    fn info(&self) -> Result<ApiKeyInfo> {
        Ok(ApiKeyInfo {
            id: self.id.clone(),
            guild_id: self.guild()?.get(),
            scopes: scopes::parse_known(&self.scopes),
            label: self.label.clone(),
            created_by: self
                .created_by
                .to_actor()
                .ok_or_else(|| unreadable(&self.id))?,
            created_at: self.created_at,
            expires_at: self.expires_at,
        })
    }

    /// Whether the record's version matches what it holds: 1 without an expiry, 2 with.
    fn version_fits(&self) -> bool {
        match self.expires_at {
            None => self.v == SCHEMA_VERSION,
            Some(_) => self.v == EXPIRING_SCHEMA_VERSION,
        }
    }
}

fn unreadable(id: &str) -> Error {
    Error::other(format!("the stored record of API key {id} cannot be read"))
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct GuildIndex {
    v: u32,
    ids: Vec<String>,
}

fn is_key_id(id: &str) -> bool {
    id.len() == ID_CHARS && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

fn hash(presented: &str) -> [u8; 32] {
    Sha256::digest(presented.as_bytes()).into()
}

fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>> {
    serde_json::to_vec(value).map_err(|_| Error::other("an API key record could not be encoded"))
}

fn read_key(kv: &dyn KeyValue, id: &str) -> Result<Option<Stored>> {
    let Some(bytes) = kv.get(&keys::api_key(id)).map_err(storage)? else {
        return Ok(None);
    };
    serde_json::from_slice::<Stored>(&bytes)
        .ok()
        .filter(|s| s.version_fits() && s.id == id)
        .map(Some)
        .ok_or_else(|| unreadable(id))
}

fn parse_index(guild_id: GuildId, bytes: Option<&[u8]>) -> Result<GuildIndex> {
    let Some(bytes) = bytes else {
        return Ok(GuildIndex {
            v: SCHEMA_VERSION,
            ids: Vec::new(),
        });
    };
    serde_json::from_slice::<GuildIndex>(bytes)
        .ok()
        .filter(|index| index.v == SCHEMA_VERSION)
        .ok_or_else(|| {
            Error::other(format!(
                "the API key list of server {guild_id} cannot be read"
            ))
        })
}

fn read_index(kv: &dyn KeyValue, guild_id: GuildId) -> Result<GuildIndex> {
    parse_index(
        guild_id,
        ports::read(kv, &keys::guild_api_keys(guild_id))?.as_deref(),
    )
}

fn too_many() -> Error {
    Error::Conflict(format!(
        "the server already has {MAX_KEYS_PER_GUILD} API keys; revoke one first"
    ))
}

fn check_label(label: &str) -> Result<String> {
    let label = label.trim();
    if label.is_empty() {
        return Err(invalid("label", "must not be empty"));
    }
    if label.chars().count() > MAX_LABEL_CHARS {
        return Err(invalid(
            "label",
            format!("at most {MAX_LABEL_CHARS} characters"),
        ));
    }
    if label.chars().any(char::is_control) {
        return Err(invalid("label", "must not contain control characters"));
    }
    Ok(label.to_owned())
}

/// An expiry, if any, in the future and at most [`ApiKeyInfo::MAX_LIFETIME_SECONDS`]
/// ahead of `now`.
fn check_expiry(expires_at: Option<u64>, now: u64) -> Result<()> {
    match expires_at {
        Some(at) if at <= now || at - now > ApiKeyInfo::MAX_LIFETIME_SECONDS => Err(invalid(
            "expires-at",
            format!(
                "must be in the future and at most {} days from now",
                ApiKeyInfo::MAX_LIFETIME_SECONDS / 86_400
            ),
        )),
        _ => Ok(()),
    }
}

/// The contract's rule for actors ([`Actor::is_well_formed`]).
fn check_actor(actor: &Actor) -> Result<()> {
    if actor.is_well_formed() {
        Ok(())
    } else {
        Err(invalid(
            "created-by",
            "must be a Discord user ID (not zero) or an API key ID of 1 to 64 letters, digits, `_`, `-`, `.` or `:`",
        ))
    }
}

/// Creates a key for `guild_id` with `scopes`, working until `expires_at` if given. The
/// caller has checked that `created_by` may manage the server's keys and holds the
/// scopes.
///
/// # Errors
/// `invalid` for a zero ID, no scopes, a bad label or actor, or an expiry not in the
/// future or more than [`ApiKeyInfo::MAX_LIFETIME_SECONDS`] ahead; `conflict` when the
/// server has [`MAX_KEYS_PER_GUILD`] keys (or, in theory, when random IDs keep
/// colliding); `storage`; `other` when the server's key list cannot be read.
pub fn create(
    env: &Env<'_>,
    guild_id: u64,
    scopes: &[Scope],
    label: &str,
    created_by: &Actor,
    expires_at: Option<u64>,
) -> Result<CreatedKey> {
    let guild = ids::snowflake::<GuildMarker>("guild-id", guild_id)?;
    if scopes.is_empty() {
        return Err(invalid("scopes", "must not be empty"));
    }
    let label = check_label(label)?;
    check_actor(created_by)?;
    let now = env.clock.now_secs();
    check_expiry(expires_at, now)?;
    if read_index(env.kv, guild)?.ids.len() >= MAX_KEYS_PER_GUILD {
        return Err(too_many());
    }
    let mut id = None;
    for _ in 0..3 {
        let candidate = hex::encode(env.random_array::<ID_BYTES>());
        if env
            .kv
            .get(&keys::api_key(&candidate))
            .map_err(storage)?
            .is_none()
        {
            id = Some(candidate);
            break;
        }
    }
    let id = id.ok_or_else(|| Error::Conflict("no free API key ID was found".into()))?;
    let secret = URL_SAFE_NO_PAD.encode(env.random_array::<SECRET_BYTES>());
    let presented = format!("{KEY_PREFIX}{id}_{secret}");
    let stored = Stored {
        v: if expires_at.is_some() {
            EXPIRING_SCHEMA_VERSION
        } else {
            SCHEMA_VERSION
        },
        id: id.clone(),
        guild_id: guild.to_string(),
        scopes: scopes::names(&scopes::normalize(scopes)),
        label,
        created_by: created_by.into(),
        created_at: now,
        expires_at,
        sha256: hex::encode(hash(&presented)),
    };
    // Listed first: a key that exists is always listed, so it can always be revoked.
    // Atomically, so a key created at the same moment on another replica stays listed.
    ports::update(env.kv, &keys::guild_api_keys(guild), |current| {
        let mut index = parse_index(guild, current)?;
        if index.ids.len() >= MAX_KEYS_PER_GUILD {
            return Err(too_many());
        }
        index.ids.push(id.clone());
        Ok((Some(encode(&index)?), ()))
    })?;
    env.kv
        .set(&keys::api_key(&id), &encode(&stored)?)
        .map_err(storage)?;
    Ok(CreatedKey {
        secret_shown_once: presented,
        info: stored.info()?,
    })
}

/// The server's keys, oldest first.
///
/// # Errors
/// `invalid` for a zero ID; `storage`; `other` when a record cannot be read.
pub fn list(kv: &dyn KeyValue, guild_id: u64) -> Result<Vec<ApiKeyInfo>> {
    let guild = ids::snowflake::<GuildMarker>("guild-id", guild_id)?;
    let mut infos = Vec::new();
    for id in read_index(kv, guild)?.ids {
        // A listed ID without a record: its creation failed half-way; it never worked.
        if let Some(stored) = read_key(kv, &id)?.filter(|s| s.guild_id == guild.to_string()) {
            infos.push(stored.info()?);
        }
    }
    Ok(infos)
}

/// Revokes the server's key `id`.
///
/// # Errors
/// `invalid` for a zero server ID or a malformed key ID; `not-found` when the server
/// has no such key (also when it belongs to another server); `storage`; `other`.
pub fn revoke(kv: &dyn DynCasStore, guild_id: u64, id: &str) -> Result<()> {
    let guild = ids::snowflake::<GuildMarker>("guild-id", guild_id)?;
    if !is_key_id(id) {
        return Err(invalid(
            "id",
            "must be an API key ID of 16 lowercase hex digits",
        ));
    }
    let listed = read_index(kv, guild)?.ids.iter().any(|listed| listed == id);
    let stored = read_key(kv, id)?.filter(|s| s.guild_id == guild.to_string());
    if stored.is_none() && !listed {
        return Err(Error::not_found(format!("this server has no API key {id}")));
    }
    if stored.is_some() {
        // Stops working at once, before the list is tidied.
        kv.delete(&keys::api_key(id)).map_err(storage)?;
    }
    if listed {
        // Atomically, so a key listed meanwhile by another replica stays listed.
        ports::update(kv, &keys::guild_api_keys(guild), |current| {
            let mut index = parse_index(guild, current)?;
            if !index.ids.iter().any(|listed| listed == id) {
                return Ok((None, ()));
            }
            index.ids.retain(|listed| listed != id);
            Ok((Some(encode(&index)?), ()))
        })?;
    }
    Ok(())
}

fn parse_presented(presented: &str) -> Option<(&str, &str)> {
    let (id, secret) = presented.strip_prefix(KEY_PREFIX)?.split_once('_')?;
    let secret_ok = secret.len() == SECRET_CHARS
        && secret
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    (is_key_id(id) && secret_ok).then_some((id, secret))
}

/// Checks a presented key against the stored hash, in constant time, then that it is
/// listed and, at `now` (Unix seconds), not expired.
///
/// # Errors
/// `invalid` when it does not have the shape of a key; `forbidden` when no key has its
/// ID, the secret does not match or it is not listed (alike), or it has expired;
/// `storage`; `other`.
pub fn verify(kv: &dyn KeyValue, now: u64, presented: &str) -> Result<ApiKeyClaims> {
    let (id, _secret) = parse_presented(presented)
        .ok_or_else(|| Error::invalid("API key: not a well-formed kdk_ key"))?;
    let refused = || Error::forbidden("the API key is not valid");
    let stored = read_key(kv, id)?.ok_or_else(refused)?;
    let expected = hex::decode(&stored.sha256).map_err(|_| refused())?;
    if !bool::from(hash(presented).as_slice().ct_eq(&expected)) {
        return Err(refused());
    }
    // A key works exactly while its server lists it: an ID lost from the list by two
    // racing writes makes the key stop working rather than become unrevocable.
    let guild = stored.guild()?;
    if !read_index(kv, guild)?.ids.iter().any(|listed| listed == id) {
        return Err(refused());
    }
    if stored.expires_at.is_some_and(|at| now >= at) {
        return Err(Error::forbidden("the API key has expired"));
    }
    Ok(ApiKeyClaims {
        id: stored.id.clone(),
        guild_id: guild.get(),
        scopes: scopes::parse_known(&stored.scopes),
        label: stored.label,
        expires_at: stored.expires_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{Fixture, START};
    use common::cas::MemoryCasStore;
    use common::{MemoryKeyValue, StoreError};
    use contracts::identity::Scope;
    use std::time::Duration;

    const GUILD: u64 = 111_111_111_111_111_111;
    const OTHER_GUILD: u64 = 999_999_999_999_999_999;
    const ADMIN: u64 = 222_222_222_222_222_222;

    fn admin() -> Actor {
        Actor::DiscordUser(ADMIN)
    }

    fn guild(id: u64) -> GuildId {
        GuildId::new(id).unwrap()
    }

    fn create_one(fx: &Fixture, guild: u64) -> CreatedKey {
        create(
            &fx.env(),
            guild,
            &[Scope::MeetingsRead, Scope::MeetingsWrite],
            "  CI bot  ",
            &admin(),
            None,
        )
        .unwrap()
    }

    #[test]
    fn a_created_key_verifies_to_its_server_and_scopes() {
        let fx = Fixture::new();
        let key = create_one(&fx, GUILD);
        assert!(key
            .secret_shown_once
            .starts_with(&format!("kdk_{}_", key.info.id)));
        assert_eq!(key.secret_shown_once.len(), 4 + 16 + 1 + 43);
        assert_eq!(
            key.info,
            ApiKeyInfo {
                id: key.info.id.clone(),
                guild_id: GUILD,
                scopes: vec![Scope::MeetingsRead, Scope::MeetingsWrite],
                label: "CI bot".into(),
                created_by: admin(),
                created_at: START,
                expires_at: None,
            }
        );
        let claims = verify(&fx.kv, START, &key.secret_shown_once).unwrap();
        assert_eq!(
            claims,
            ApiKeyClaims {
                id: key.info.id.clone(),
                guild_id: GUILD,
                scopes: vec![Scope::MeetingsRead, Scope::MeetingsWrite],
                label: "CI bot".into(),
                expires_at: None,
            }
        );
        scopes::authorize(claims.guild_id, &claims.scopes, GUILD, Scope::MeetingsWrite).unwrap();
    }

    #[test]
    fn only_a_hash_of_the_key_is_stored() {
        let fx = Fixture::new();
        let key = create_one(&fx, GUILD);
        let secret = key.secret_shown_once.rsplit_once('_').unwrap().1.to_owned();
        let stored: Vec<(String, Vec<u8>)> = fx
            .kv
            .keys()
            .into_iter()
            .map(|k| {
                let v = fx.kv.get(&k).unwrap().unwrap();
                (k, v)
            })
            .collect();
        assert!(!stored.is_empty());
        let decoded_secret = URL_SAFE_NO_PAD.decode(&secret).unwrap();
        for (k, v) in &stored {
            let text = String::from_utf8_lossy(v);
            assert!(!text.contains(&secret) && !k.contains(&secret), "{k}");
            assert!(!text.contains(&key.secret_shown_once));
            assert!(
                !v.windows(decoded_secret.len())
                    .any(|w| w == decoded_secret.as_slice()),
                "raw secret bytes in {k}"
            );
        }
        let record = fx.kv.get(&keys::api_key(&key.info.id)).unwrap().unwrap();
        let record: serde_json::Value = serde_json::from_slice(&record).unwrap();
        assert_eq!(
            record["sha256"],
            hex::encode(Sha256::digest(key.secret_shown_once.as_bytes()))
        );
    }

    #[test]
    fn a_wrong_secret_and_an_unknown_id_are_refused_alike() {
        let fx = Fixture::new();
        let key = create_one(&fx, GUILD);
        let mut wrong = key.secret_shown_once.clone();
        let last = wrong.pop().unwrap();
        wrong.push(if last == 'A' { 'B' } else { 'A' });
        let unknown = format!("kdk_0000000000000000_{}", &key.secret_shown_once[21..]);
        let a = verify(&fx.kv, START, &wrong).unwrap_err();
        let b = verify(&fx.kv, START, &unknown).unwrap_err();
        assert_eq!(a, Error::Forbidden("the API key is not valid".into()));
        assert_eq!(a, b);
    }

    #[test]
    fn malformed_keys_are_invalid() {
        let kv = MemoryKeyValue::default();
        for bad in [
            "",
            "kdk_",
            "kdk_0123456789abcdef",
            "kdk_0123456789ABCDEF_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            "kdk_0123456789abcde_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            "kdk_0123456789abcdef_short",
            "kdk_0123456789abcdef_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa=",
            "Bearer kd1.x.y",
        ] {
            assert!(
                matches!(verify(&kv, START, bad), Err(Error::Invalid(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_key_works_only_on_its_own_server() {
        let fx = Fixture::new();
        let key = create_one(&fx, GUILD);
        let claims = verify(&fx.kv, START, &key.secret_shown_once).unwrap();
        let err = scopes::authorize(
            claims.guild_id,
            &claims.scopes,
            OTHER_GUILD,
            Scope::MeetingsRead,
        )
        .unwrap_err();
        assert!(matches!(err, Error::Forbidden(_)));
        assert!(list(&fx.kv, OTHER_GUILD).unwrap().is_empty());
    }

    #[test]
    fn another_servers_admin_cannot_revoke_a_key() {
        let fx = Fixture::new();
        let key = create_one(&fx, GUILD);
        assert!(matches!(
            revoke(&fx.kv, OTHER_GUILD, &key.info.id),
            Err(Error::NotFound(_))
        ));
        verify(&fx.kv, START, &key.secret_shown_once).unwrap();
    }

    #[test]
    fn listing_shows_keys_oldest_first_without_secrets_and_revoking_removes_them() {
        let fx = Fixture::new();
        let first = create_one(&fx, GUILD);
        fx.clock.advance(Duration::from_secs(10));
        let second = create(
            &fx.env(),
            GUILD,
            &[Scope::AuditRead],
            "audit",
            &Actor::ApiKey(first.info.id.clone()),
            None,
        )
        .unwrap();
        let listed = list(&fx.kv, GUILD).unwrap();
        assert_eq!(listed, [first.info.clone(), second.info.clone()]);

        revoke(&fx.kv, GUILD, &first.info.id).unwrap();
        assert_eq!(list(&fx.kv, GUILD).unwrap(), [second.info]);
        assert_eq!(
            verify(&fx.kv, START, &first.secret_shown_once),
            Err(Error::Forbidden("the API key is not valid".into()))
        );
        assert!(matches!(
            revoke(&fx.kv, GUILD, &first.info.id),
            Err(Error::NotFound(_))
        ));
    }

    #[test]
    fn a_key_missing_from_its_servers_list_does_not_work() {
        let fx = Fixture::new();
        let key = create_one(&fx, GUILD);
        let guild = guild(GUILD);
        let empty = GuildIndex {
            v: SCHEMA_VERSION,
            ids: vec![],
        };
        fx.kv
            .set(&keys::guild_api_keys(guild), &encode(&empty).unwrap())
            .unwrap();
        assert_eq!(
            verify(&fx.kv, START, &key.secret_shown_once),
            Err(Error::Forbidden("the API key is not valid".into()))
        );
    }

    #[test]
    fn a_server_has_at_most_25_keys() {
        let fx = Fixture::new();
        for _ in 0..MAX_KEYS_PER_GUILD {
            create_one(&fx, GUILD);
        }
        let err = create(
            &fx.env(),
            GUILD,
            &[Scope::MeetingsRead],
            "one more",
            &admin(),
            None,
        )
        .unwrap_err();
        assert!(matches!(err, Error::Conflict(_)));
        create_one(&fx, OTHER_GUILD);
    }

    #[test]
    fn creating_rejects_bad_input_and_stores_nothing() {
        let fx = Fixture::new();
        let env = fx.env();
        let long = "x".repeat(MAX_LABEL_CHARS + 1);
        let cases: Vec<Result<CreatedKey>> = vec![
            create(&env, 0, &[Scope::MeetingsRead], "l", &admin(), None),
            create(&env, GUILD, &[], "l", &admin(), None),
            create(&env, GUILD, &[Scope::MeetingsRead], "   ", &admin(), None),
            create(&env, GUILD, &[Scope::MeetingsRead], &long, &admin(), None),
            create(&env, GUILD, &[Scope::MeetingsRead], "a\nb", &admin(), None),
            create(
                &env,
                GUILD,
                &[Scope::MeetingsRead],
                "l",
                &Actor::DiscordUser(0),
                None,
            ),
            create(
                &env,
                GUILD,
                &[Scope::MeetingsRead],
                "l",
                &Actor::ApiKey("kdk x".into()),
                None,
            ),
        ];
        for result in cases {
            assert!(matches!(result, Err(Error::Invalid(_))), "{result:?}");
        }
        assert!(fx.kv.keys().is_empty());
    }

    fn expiring(fx: &Fixture, expires_at: u64) -> Result<CreatedKey> {
        create(
            &fx.env(),
            GUILD,
            &[Scope::MeetingsRead],
            "nightly export",
            &admin(),
            Some(expires_at),
        )
    }

    #[test]
    fn a_key_with_an_expiry_works_until_then_and_is_refused_after_while_still_listed() {
        let fx = Fixture::new();
        let key = expiring(&fx, START + 3600).unwrap();
        assert_eq!(key.info.expires_at, Some(START + 3600));
        let claims = verify(&fx.kv, START + 3599, &key.secret_shown_once).unwrap();
        assert_eq!(claims.expires_at, Some(START + 3600));
        assert_eq!(
            verify(&fx.kv, START + 3600, &key.secret_shown_once),
            Err(Error::Forbidden("the API key has expired".into()))
        );
        assert_eq!(
            list(&fx.kv, GUILD).unwrap(),
            std::slice::from_ref(&key.info)
        );
        revoke(&fx.kv, GUILD, &key.info.id).unwrap();
        assert!(list(&fx.kv, GUILD).unwrap().is_empty());
    }

    #[test]
    fn an_expired_key_with_a_wrong_secret_is_refused_as_any_wrong_key() {
        let fx = Fixture::new();
        let key = expiring(&fx, START + 60).unwrap();
        let mut wrong = key.secret_shown_once.clone();
        let last = wrong.pop().unwrap();
        wrong.push(if last == 'A' { 'B' } else { 'A' });
        assert_eq!(
            verify(&fx.kv, START + 120, &wrong),
            Err(Error::Forbidden("the API key is not valid".into())),
            "only the holder of the secret learns that the key expired"
        );
    }

    #[test]
    fn an_expiry_in_the_past_or_beyond_a_year_is_invalid_and_stores_nothing() {
        let fx = Fixture::new();
        for at in [
            0,
            START - 1,
            START,
            START + ApiKeyInfo::MAX_LIFETIME_SECONDS + 1,
            u64::MAX,
        ] {
            match expiring(&fx, at) {
                Err(Error::Invalid(m)) => assert!(m.starts_with("expires-at"), "{m}"),
                other => panic!("{at}: expected invalid, got {other:?}"),
            }
        }
        assert!(fx.kv.keys().is_empty());
        expiring(&fx, START + 1).unwrap();
        expiring(&fx, START + ApiKeyInfo::MAX_LIFETIME_SECONDS).unwrap();
    }

    #[test]
    fn a_record_with_an_expiry_is_version_2_so_older_replicas_refuse_it() {
        let fx = Fixture::new();
        let key = expiring(&fx, START + 3600).unwrap();
        let record = fx.kv.get(&keys::api_key(&key.info.id)).unwrap().unwrap();
        let mut record: serde_json::Value = serde_json::from_slice(&record).unwrap();
        assert_eq!(
            (record["v"].clone(), record["expires_at"].clone()),
            (2.into(), (START + 3600).into())
        );
        // A version 1 record that claims an expiry, or a version 2 one without, is unreadable.
        record["v"] = 1.into();
        fx.kv
            .set(&keys::api_key(&key.info.id), record.to_string().as_bytes())
            .unwrap();
        assert!(matches!(
            verify(&fx.kv, START, &key.secret_shown_once),
            Err(Error::Other(_))
        ));
        let plain = create_one(&fx, GUILD);
        let record = fx.kv.get(&keys::api_key(&plain.info.id)).unwrap().unwrap();
        let record: serde_json::Value = serde_json::from_slice(&record).unwrap();
        assert_eq!(record["v"], 1);
        assert!(record.get("expires_at").is_none());
    }

    #[test]
    fn malformed_ids_are_invalid_when_revoking_or_listing() {
        let kv = MemoryCasStore::default();
        assert!(matches!(
            revoke(&kv, GUILD, "../../x"),
            Err(Error::Invalid(_))
        ));
        assert!(matches!(
            revoke(&kv, 0, "0123456789abcdef"),
            Err(Error::Invalid(_))
        ));
        assert!(matches!(list(&kv, 0), Err(Error::Invalid(_))));
    }

    #[test]
    fn a_failing_store_is_a_storage_error() {
        let kv = MemoryKeyValue::failing_with(StoreError::AccessDenied);
        assert!(matches!(
            verify(
                &kv,
                START,
                "kdk_0123456789abcdef_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
            ),
            Err(Error::Storage(_))
        ));
        assert!(matches!(list(&kv, GUILD), Err(Error::Storage(_))));
    }

    #[test]
    fn a_key_created_at_the_same_moment_on_another_replica_is_not_lost() {
        let fx = Fixture::new();
        let first = create_one(&fx, GUILD);
        let list_key = keys::guild_api_keys(guild(GUILD));
        // Another replica lists its new key between this one's read and write.
        let other = format!(
            r#"{{"v":1,"ids":["{}","0123456789abcdef"]}}"#,
            first.info.id
        );
        fx.kv.before_next_swap(move |other_replica| {
            common::cas::write(other_replica, &list_key, other.as_bytes()).unwrap();
        });
        let second = create_one(&fx, GUILD);
        let listed = read_index(&fx.kv, guild(GUILD)).unwrap().ids;
        assert_eq!(
            listed,
            [
                first.info.id.clone(),
                "0123456789abcdef".into(),
                second.info.id
            ]
        );
    }

    #[test]
    fn a_revoke_keeps_a_key_listed_meanwhile_by_another_replica() {
        let fx = Fixture::new();
        let first = create_one(&fx, GUILD);
        let list_key = keys::guild_api_keys(guild(GUILD));
        let other = format!(
            r#"{{"v":1,"ids":["{}","0123456789abcdef"]}}"#,
            first.info.id
        );
        fx.kv.before_next_swap(move |other_replica| {
            common::cas::write(other_replica, &list_key, other.as_bytes()).unwrap();
        });
        revoke(&fx.kv, GUILD, &first.info.id).unwrap();
        let listed = read_index(&fx.kv, guild(GUILD)).unwrap().ids;
        assert_eq!(listed, ["0123456789abcdef"]);
    }

    #[test]
    fn the_stored_record_keeps_its_layout_with_ids_as_decimal_text() {
        let fx = Fixture::new();
        let key = create_one(&fx, GUILD);
        let record = fx.kv.get(&keys::api_key(&key.info.id)).unwrap().unwrap();
        let record: serde_json::Value = serde_json::from_slice(&record).unwrap();
        assert_eq!(record["guild_id"], "111111111111111111");
        assert_eq!(
            record["created_by"],
            serde_json::json!({"kind": "discord-user", "id": "222222222222222222"})
        );
        assert_eq!(
            record["scopes"],
            serde_json::json!(["meetings:read", "meetings:write"])
        );
    }

    #[test]
    fn an_api_key_actor_follows_the_contracts_rule_not_only_key_ids() {
        // Identity used to accept only 16 hex digits here while config accepted the
        // contract's 1 to 64 letters, digits, `_`, `-`, `.` or `:`; one rule now, the
        // contract's.
        let fx = Fixture::new();
        let key = create(
            &fx.env(),
            GUILD,
            &[Scope::MeetingsRead],
            "ops",
            &Actor::ApiKey("deployment-admin".into()),
            None,
        )
        .unwrap();
        assert_eq!(
            key.info.created_by,
            Actor::ApiKey("deployment-admin".into())
        );
        assert_eq!(
            list(&fx.kv, GUILD).unwrap()[0].created_by,
            key.info.created_by
        );
        for bad in ["", "a/b", &"k".repeat(65)] {
            assert!(matches!(
                create(&fx.env(), GUILD, &[Scope::MeetingsRead], "ops", &Actor::ApiKey(bad.into()), None),
                Err(Error::Invalid(m)) if m.starts_with("created-by")
            ));
        }
    }
}
