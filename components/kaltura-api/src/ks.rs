//! Kaltura Sessions (KS): generation, server-side validation and the appToken hash.
//!
//! Generation follows Kaltura's own clients byte for byte (PyPI `KalturaApiClient`
//! `generateSession` / `generateSessionV2`; kaltura/server `kSessionBase::generateKsV1`
//! / `generateKsV2`). Clock and randomness are inputs (`now`, random bytes), so a KS is a
//! pure function of its arguments and the published vectors are reproduced exactly.
//!
//! - **v2** (default): privileges become fields (`name=value`), then `_e` expiry, `_t`
//!   type, `_u` user; the URL-encoded field string is prefixed with 16 random bytes and
//!   their SHA-1, zero-padded, AES-128-CBC encrypted with `SHA1(secret)[..16]` and a zero
//!   IV, and base64url-encoded (with `=`) after `v2|<partnerId>|`.
//! - **v1**: `sha1hex(secret ++ info) | info` in standard base64, where
//!   `info = pid;pid;expiry;type;rand;user;privileges`.
//!
//! [`decode`] is a port of the server's check (`parseKS`, `parseKsV1`, `parseKsV2`,
//! `isValidBase`): used by tests and by anyone who must verify a KS without a server.

use std::fmt;

use aes::cipher::{block_padding::NoPadding, BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD, URL_SAFE};
use base64::engine::DecodePaddingMode;
use base64::Engine as _;
use md5::Md5;
use serde::{Deserialize, Serialize};
use sha1::{Digest, Sha1};
use sha2::{Sha256, Sha512};
use subtle::ConstantTimeEq;

use crate::encoding::urlencode_pairs;
use crate::privileges::Privileges;
use crate::types::{AdminSecret, AppTokenSecret, KalturaUserId, Ks, PartnerId};

type Aes128CbcEnc = cbc::Encryptor<aes::Aes128>;
type Aes128CbcDec = cbc::Decryptor<aes::Aes128>;

const SHA1_SIZE: usize = 20;
const RANDOM_SIZE: usize = 16;
const AES_IV: [u8; 16] = [0; 16];

/// Errors from generating or validating a KS. None of them contains a KS or a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KsError {
    /// `expiry_seconds` is 0 or `now + expiry_seconds` overflows.
    #[error("KS expiry is out of range")]
    ExpiryOutOfRange,
    /// The KS is not base64, lacks its separators, or has a missing or bad field.
    #[error("malformed KS: {0}")]
    Malformed(&'static str),
    /// No given admin secret produces the KS signature (wrong secret or tampered KS).
    #[error("KS signature does not match the admin secret")]
    BadSignature,
    /// The KS expired (`valid_until <= now`), Kaltura's `-5 EXPIRED`.
    #[error("KS expired at {valid_until}")]
    Expired {
        /// Expiry time of the KS, Unix seconds.
        valid_until: u64,
    },
    /// The cipher rejected its input (not expected to happen).
    #[error("KS encryption failed")]
    Crypto,
}

/// KS format version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum KsVersion {
    /// Signed, readable KS.
    V1,
    /// Encrypted KS, the default.
    #[default]
    V2,
}

/// Kaltura session type (`KalturaSessionType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "i64")]
pub enum SessionType {
    /// `0`: a user session; what every user-facing KS must be.
    User,
    /// `1`: a widget (anonymous playback) session; only made by Kaltura.
    Widget,
    /// `2`: an admin session, for the app's own server-side calls.
    Admin,
}

impl SessionType {
    /// The numeric wire value.
    pub fn code(self) -> i64 {
        match self {
            Self::User => 0,
            Self::Widget => 1,
            Self::Admin => 2,
        }
    }

    /// Maps a wire value back; `None` for unknown values.
    pub fn from_code(code: i64) -> Option<Self> {
        match code {
            0 => Some(Self::User),
            1 => Some(Self::Widget),
            2 => Some(Self::Admin),
            _ => None,
        }
    }
}

impl TryFrom<i64> for SessionType {
    type Error = KsError;
    fn try_from(value: i64) -> Result<Self, Self::Error> {
        Self::from_code(value).ok_or(KsError::Malformed("unknown session type"))
    }
}

impl From<SessionType> for i64 {
    fn from(value: SessionType) -> Self {
        value.code()
    }
}

/// What a KS says: partner, user, type, lifetime and privileges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionSpec {
    /// The partner the KS is for.
    pub partner_id: PartnerId,
    /// The user; `None` makes an anonymous KS (`_u=` / empty v1 field).
    pub user_id: Option<KalturaUserId>,
    /// User or admin session.
    pub session_type: SessionType,
    /// Lifetime in seconds from `now`; must be positive.
    pub expiry_seconds: u64,
    /// The privileges.
    pub privileges: Privileges,
}

impl SessionSpec {
    /// A user session with no privileges yet.
    pub fn user(partner_id: PartnerId, user_id: KalturaUserId, expiry_seconds: u64) -> Self {
        Self {
            partner_id,
            user_id: Some(user_id),
            session_type: SessionType::User,
            expiry_seconds,
            privileges: Privileges::new(),
        }
    }

    /// An admin session (for the app's server-side calls only, never for a user).
    pub fn admin(partner_id: PartnerId, expiry_seconds: u64) -> Self {
        Self {
            partner_id,
            user_id: None,
            session_type: SessionType::Admin,
            expiry_seconds,
            privileges: Privileges::new(),
        }
    }

    /// Replaces the privileges.
    pub fn with_privileges(mut self, privileges: Privileges) -> Self {
        self.privileges = privileges;
        self
    }

    fn valid_until(&self, now: u64) -> Result<u64, KsError> {
        if self.expiry_seconds == 0 {
            return Err(KsError::ExpiryOutOfRange);
        }
        now.checked_add(self.expiry_seconds)
            .ok_or(KsError::ExpiryOutOfRange)
    }

    fn user_str(&self) -> &str {
        self.user_id.as_ref().map_or("", KalturaUserId::as_str)
    }
}

/// Generates a KS of the given version. `random` gives v2 its 16 random bytes; v1 uses
/// its first two bytes as the `rand` field (Kaltura's client picks 0..=65536).
///
/// # Errors
/// [`KsError::ExpiryOutOfRange`] for a zero or overflowing expiry.
pub fn generate(
    secret: &AdminSecret,
    spec: &SessionSpec,
    version: KsVersion,
    now: u64,
    random: &[u8; 16],
) -> Result<Ks, KsError> {
    match version {
        KsVersion::V2 => generate_v2(secret, spec, now, random),
        KsVersion::V1 => {
            let rand = u32::from(u16::from_be_bytes([random[0], random[1]]));
            generate_v1(secret, spec, now, rand)
        }
    }
}

/// Builds the KS v2 field list exactly as `generateSessionV2` does: privileges split on
/// `,` and trimmed, `*` → `all:*`, `name:value` / bare `name`, a repeated name keeping its
/// first position and its last value; then `_e`, `_t`, `_u`.
fn v2_fields(spec: &SessionSpec, valid_until: u64) -> Vec<(String, String)> {
    let mut fields: Vec<(String, String)> = Vec::new();
    let mut put = |name: &str, value: String| {
        if let Some(slot) = fields.iter_mut().find(|(n, _)| n == name) {
            slot.1 = value;
        } else {
            fields.push((name.to_owned(), value));
        }
    };
    let rendered = spec.privileges.to_string();
    for privilege in rendered.split(',') {
        let mut privilege = privilege.trim();
        if privilege.is_empty() {
            continue;
        }
        if privilege == "*" {
            privilege = "all:*";
        }
        match privilege.split_once(':') {
            Some((name, value)) => put(name, value.to_owned()),
            None => put(privilege, String::new()),
        }
    }
    put("_e", valid_until.to_string());
    put("_t", spec.session_type.code().to_string());
    put("_u", spec.user_str().to_owned());
    fields
}

fn aes_key(secret: &AdminSecret) -> [u8; 16] {
    let digest = Sha1::digest(secret.as_bytes());
    let mut key = [0u8; 16];
    key.copy_from_slice(&digest[..16]);
    key
}

/// Generates a KS v2 (see the module docs). Deterministic in `now` and `random16`.
///
/// # Errors
/// [`KsError::ExpiryOutOfRange`] for a zero or overflowing expiry.
pub fn generate_v2(
    secret: &AdminSecret,
    spec: &SessionSpec,
    now: u64,
    random16: &[u8; 16],
) -> Result<Ks, KsError> {
    let valid_until = spec.valid_until(now)?;
    let fields = v2_fields(spec, valid_until);
    let fields_str = urlencode_pairs(fields.iter().map(|(k, v)| (k.as_str(), v.as_str())));

    let mut body = Vec::with_capacity(RANDOM_SIZE + fields_str.len());
    body.extend_from_slice(random16);
    body.extend_from_slice(fields_str.as_bytes());
    let mut plain = Sha1::digest(&body).to_vec();
    plain.extend_from_slice(&body);
    let padded_len = plain.len().div_ceil(16) * 16;
    plain.resize(padded_len, 0);

    let encryptor =
        Aes128CbcEnc::new_from_slices(&aes_key(secret), &AES_IV).map_err(|_| KsError::Crypto)?;
    let cipher = encryptor
        .encrypt_padded_mut::<NoPadding>(&mut plain, padded_len)
        .map_err(|_| KsError::Crypto)?;

    let mut decoded = format!("v2|{}|", spec.partner_id).into_bytes();
    decoded.extend_from_slice(cipher);
    Ok(Ks::from_trusted(URL_SAFE.encode(decoded)))
}

/// Generates a KS v1 (see the module docs) with Kaltura's Python client's 7 fields.
///
/// # Errors
/// [`KsError::ExpiryOutOfRange`] for a zero or overflowing expiry.
pub fn generate_v1(
    secret: &AdminSecret,
    spec: &SessionSpec,
    now: u64,
    rand: u32,
) -> Result<Ks, KsError> {
    let valid_until = spec.valid_until(now)?;
    let pid = spec.partner_id;
    let info = format!(
        "{pid};{pid};{valid_until};{};{rand};{};{}",
        spec.session_type.code(),
        spec.user_str(),
        spec.privileges
    );
    let signature = hex::encode(
        Sha1::new()
            .chain_update(secret.as_bytes())
            .chain_update(info.as_bytes())
            .finalize(),
    );
    Ok(Ks::from_trusted(
        STANDARD.encode(format!("{signature}|{info}")),
    ))
}

/// A KS that passed [`decode`]: signature (v1) or SHA-1 check (v2) and expiry.
#[derive(Clone, PartialEq, Eq)]
pub struct DecodedKs {
    /// v1 or v2.
    pub version: KsVersion,
    /// The partner id in the KS.
    pub partner_id: PartnerId,
    /// The user id (`""` for an anonymous KS).
    pub user_id: String,
    /// Session type.
    pub session_type: SessionType,
    /// Expiry, Unix seconds.
    pub valid_until: u64,
    /// Privileges as `(name, value)` in order; a flag has `""`; several values of a name
    /// are joined with `/` — comparable with [`Privileges::pairs`].
    pub privileges: Vec<(String, String)>,
    /// `_m` / 8th v1 field, when present and not empty.
    pub master_partner_id: Option<String>,
    /// `_d` / 9th v1 field, when present and not empty.
    pub additional_data: Option<String>,
}

impl fmt::Debug for DecodedKs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DecodedKs")
            .field("version", &self.version)
            .field("partner_id", &self.partner_id)
            .field("user_id", &self.user_id)
            .field("session_type", &self.session_type)
            .field("valid_until", &self.valid_until)
            .field("privileges", &self.privileges)
            .finish_non_exhaustive()
    }
}

impl DecodedKs {
    /// The value of a privilege, if present (`Some("")` for a flag).
    pub fn privilege(&self, name: &str) -> Option<&str> {
        self.privileges
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Adds a privilege the way `parsePrivileges` merges repeated names (values appended).
fn merge_privilege(out: &mut Vec<(String, String)>, name: &str, value: &str) {
    match out.iter_mut().find(|(n, _)| n == name) {
        Some(slot) if !value.is_empty() => {
            if slot.1.is_empty() {
                slot.1 = value.to_owned();
            } else {
                slot.1.push('/');
                slot.1.push_str(value);
            }
        }
        Some(_) => {}
        None => out.push((name.to_owned(), value.to_owned())),
    }
}

fn parse_u64(s: &str, what: &'static str) -> Result<u64, KsError> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(KsError::Malformed(what));
    }
    s.parse().map_err(|_| KsError::Malformed(what))
}

fn parse_type(s: &str) -> Result<SessionType, KsError> {
    let code: i64 = s
        .parse()
        .map_err(|_| KsError::Malformed("bad session type"))?;
    SessionType::from_code(code).ok_or(KsError::Malformed("unknown session type"))
}

fn parse_partner(s: &[u8]) -> Result<PartnerId, KsError> {
    std::str::from_utf8(s)
        .ok()
        .and_then(|s| s.parse::<PartnerId>().ok())
        .ok_or(KsError::Malformed("bad partner id"))
}

/// Decodes and validates a KS like Kaltura's server: base64 (after `-_` → `+/`), then v2
/// if it starts with `v2|`, else v1; the first admin secret that matches wins; then
/// expiry (`valid_until <= now` is expired). IP/URI restrictions and logout are not
/// checked (they need the server's request and cache).
///
/// # Errors
/// [`KsError::Malformed`], [`KsError::BadSignature`] (wrong secret or tampered KS) or
/// [`KsError::Expired`].
pub fn decode(ks: &str, secrets: &[&AdminSecret], now: u64) -> Result<DecodedKs, KsError> {
    let engine = GeneralPurpose::new(
        &alphabet::STANDARD,
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
    );
    let normalized = ks.replace('-', "+").replace('_', "/");
    let decoded = engine
        .decode(normalized.as_bytes())
        .map_err(|_| KsError::Malformed("not base64"))?;
    if decoded.is_empty() {
        return Err(KsError::Malformed("empty"));
    }
    let parsed = if decoded.starts_with(b"v2|") {
        decode_v2(&decoded, secrets)?
    } else {
        decode_v1(&decoded, secrets)?
    };
    if parsed.valid_until <= now {
        return Err(KsError::Expired {
            valid_until: parsed.valid_until,
        });
    }
    Ok(parsed)
}

fn decode_v2(decoded: &[u8], secrets: &[&AdminSecret]) -> Result<DecodedKs, KsError> {
    let mut parts = decoded.splitn(3, |b| *b == b'|');
    let (_version, partner, encrypted) = match (parts.next(), parts.next(), parts.next()) {
        (Some(v), Some(p), Some(e)) => (v, p, e),
        _ => return Err(KsError::Malformed("not enough | separators")),
    };
    let partner_id = parse_partner(partner)?;
    if encrypted.is_empty() || encrypted.len() % 16 != 0 {
        return Err(KsError::Malformed("bad cipher text length"));
    }

    let mut fields: Option<Vec<u8>> = None;
    for secret in secrets {
        let mut buf = encrypted.to_vec();
        let decryptor = Aes128CbcDec::new_from_slices(&aes_key(secret), &AES_IV)
            .map_err(|_| KsError::Crypto)?;
        let plain = decryptor
            .decrypt_padded_mut::<NoPadding>(&mut buf)
            .map_err(|_| KsError::Crypto)?;
        let end = plain.iter().rposition(|b| *b != 0).map_or(0, |i| i + 1);
        let plain = &plain[..end];
        if plain.len() < SHA1_SIZE {
            continue;
        }
        let (hash, rest) = plain.split_at(SHA1_SIZE);
        if bool::from(Sha1::digest(rest).as_slice().ct_eq(hash)) {
            fields = Some(rest.get(RANDOM_SIZE..).unwrap_or_default().to_vec());
            break;
        }
    }
    let fields = fields.ok_or(KsError::BadSignature)?;

    let mut valid_until = None;
    let mut session_type = None;
    let mut user_id = String::new();
    let mut master_partner_id = None;
    let mut additional_data = None;
    let mut privileges: Vec<(String, String)> = Vec::new();
    for (name, value) in form_urlencoded::parse(&fields) {
        match name.as_ref() {
            "_e" => valid_until = Some(parse_u64(&value, "bad expiry")?),
            "_t" => session_type = Some(parse_type(&value)?),
            "_u" => user_id = value.into_owned(),
            "_m" => master_partner_id = Some(value.into_owned()).filter(|v| !v.is_empty()),
            "_d" => additional_data = Some(value.into_owned()).filter(|v| !v.is_empty()),
            other => {
                // parse_str: a repeated key keeps its place and takes the last value.
                match privileges.iter_mut().find(|(n, _)| n == other) {
                    Some(slot) => slot.1 = value.into_owned(),
                    None => privileges.push((other.to_owned(), value.into_owned())),
                }
            }
        }
    }
    Ok(DecodedKs {
        version: KsVersion::V2,
        partner_id,
        user_id,
        session_type: session_type.ok_or(KsError::Malformed("missing session type"))?,
        valid_until: valid_until.ok_or(KsError::Malformed("missing expiry"))?,
        privileges,
        master_partner_id,
        additional_data,
    })
}

fn decode_v1(decoded: &[u8], secrets: &[&AdminSecret]) -> Result<DecodedKs, KsError> {
    let text = std::str::from_utf8(decoded).map_err(|_| KsError::Malformed("not UTF-8"))?;
    let (hash, info) = text
        .split_once('|')
        .ok_or(KsError::Malformed("no | separator"))?;
    let parts: Vec<&str> = info.split(';').collect();
    if parts.len() < 3 {
        return Err(KsError::Malformed("fewer than 3 fields"));
    }
    let matched = secrets.iter().any(|secret| {
        let expected = hex::encode(
            Sha1::new()
                .chain_update(secret.as_bytes())
                .chain_update(info.as_bytes())
                .finalize(),
        );
        bool::from(expected.as_bytes().ct_eq(hash.as_bytes()))
    });
    if !matched {
        return Err(KsError::BadSignature);
    }
    let field = |i: usize| parts.get(i).copied();
    let partner_id = parse_partner(parts[0].as_bytes())?;
    let valid_until = parse_u64(parts[2], "bad expiry")?;
    let session_type = parse_type(field(3).ok_or(KsError::Malformed("missing session type"))?)?;
    let mut privileges = Vec::new();
    for privilege in field(6).unwrap_or_default().split(',') {
        let (name, value) = privilege.split_once(':').unwrap_or((privilege, ""));
        if !name.is_empty() {
            merge_privilege(&mut privileges, name, value);
        }
    }
    let non_empty = |s: Option<&str>| s.filter(|v| !v.is_empty()).map(str::to_owned);
    Ok(DecodedKs {
        version: KsVersion::V1,
        partner_id,
        user_id: field(5).unwrap_or_default().to_owned(),
        session_type,
        valid_until,
        privileges,
        master_partner_id: non_empty(field(7)),
        additional_data: non_empty(field(8)),
    })
}

/// The hash type of an application token (`KalturaAppTokenHashType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum AppTokenHashType {
    /// `SHA1`, Kaltura's default.
    #[default]
    #[serde(rename = "SHA1")]
    Sha1,
    /// `MD5`.
    #[serde(rename = "MD5")]
    Md5,
    /// `SHA256`.
    #[serde(rename = "SHA256")]
    Sha256,
    /// `SHA512`.
    #[serde(rename = "SHA512")]
    Sha512,
}

/// The `tokenHash` for `appToken.startSession`: lowercase hex of `HASH(ks ++ token)`,
/// where `ks` is the KS the call is sent with (usually a widget KS).
pub fn app_token_hash(ks: &Ks, token: &AppTokenSecret, hash: AppTokenHashType) -> String {
    let ks = ks.expose().as_bytes();
    let token = token.as_bytes();
    match hash {
        AppTokenHashType::Sha1 => {
            hex::encode(Sha1::new().chain_update(ks).chain_update(token).finalize())
        }
        AppTokenHashType::Md5 => {
            hex::encode(Md5::new().chain_update(ks).chain_update(token).finalize())
        }
        AppTokenHashType::Sha256 => hex::encode(
            Sha256::new()
                .chain_update(ks)
                .chain_update(token)
                .finalize(),
        ),
        AppTokenHashType::Sha512 => hex::encode(
            Sha512::new()
                .chain_update(ks)
                .chain_update(token)
                .finalize(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::privileges::{ActionsLimit, PrivilegeValue};
    use serde_json::Value;

    const FIXTURE: &str = include_str!("../../../tests/fixtures/kaltura-ks.json");

    fn ok<T, E: std::fmt::Debug>(r: Result<T, E>) -> T {
        match r {
            Ok(v) => v,
            Err(e) => panic!("unexpected error: {e:?}"),
        }
    }

    fn fixture() -> Value {
        ok(serde_json::from_str(FIXTURE))
    }

    fn s<'a>(v: &'a Value, path: &[&str]) -> &'a str {
        let mut cur = v;
        for p in path {
            cur = &cur[*p];
        }
        cur.as_str().unwrap_or_default()
    }

    fn n(v: &Value, path: &[&str]) -> i64 {
        let mut cur = v;
        for p in path {
            cur = &cur[*p];
        }
        cur.as_i64().unwrap_or(i64::MIN)
    }

    fn secret(f: &Value) -> AdminSecret {
        ok(AdminSecret::new(s(f, &["admin_secret"])))
    }

    fn v2_spec(f: &Value) -> SessionSpec {
        SessionSpec {
            partner_id: ok(PartnerId::new(n(f, &["partner_id"]))),
            user_id: Some(ok(KalturaUserId::new(s(f, &["v2", "user_id"])))),
            session_type: ok(SessionType::try_from(n(f, &["v2", "type"]))),
            expiry_seconds: n(f, &["v2", "expiry_seconds"]) as u64,
            privileges: Privileges::new()
                .sview_all()
                .setrole(&ok(PrivilegeValue::new("PLAYBACK_BASE_ROLE")))
                .actionslimit(ActionsLimit::NO_API_CALLS),
        }
    }

    fn v1_spec(f: &Value) -> SessionSpec {
        SessionSpec {
            partner_id: ok(PartnerId::new(n(f, &["partner_id"]))),
            user_id: Some(ok(KalturaUserId::new(s(f, &["v1", "user_id"])))),
            session_type: ok(SessionType::try_from(n(f, &["v1", "type"]))),
            expiry_seconds: 86_400,
            privileges: Privileges::new().disable_entitlement(),
        }
    }

    fn random16(f: &Value) -> [u8; 16] {
        let bytes = ok(hex::decode(s(f, &["v2", "random16_hex"])));
        ok(<[u8; 16]>::try_from(bytes.as_slice()))
    }

    #[test]
    fn the_v2_fixture_is_reproduced_byte_for_byte() {
        let f = fixture();
        let spec = v2_spec(&f);
        assert_eq!(spec.privileges.to_string(), s(&f, &["v2", "privileges"]));
        let now = n(&f, &["now"]) as u64;
        let ks = ok(generate_v2(&secret(&f), &spec, now, &random16(&f)));
        assert_eq!(ks.expose(), s(&f, &["v2", "ks"]));
        // The default version is v2 too.
        let ks2 = ok(generate(
            &secret(&f),
            &spec,
            KsVersion::default(),
            now,
            &random16(&f),
        ));
        assert_eq!(ks2, ks);
    }

    #[test]
    fn the_v2_intermediate_values_match_the_fixture() {
        let f = fixture();
        let spec = v2_spec(&f);
        let fields = v2_fields(&spec, n(&f, &["now"]) as u64 + spec.expiry_seconds);
        let fields_str = urlencode_pairs(fields.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        assert_eq!(fields_str, s(&f, &["v2", "fields_string"]));
        let mut body = random16(&f).to_vec();
        body.extend_from_slice(fields_str.as_bytes());
        assert_eq!(
            hex::encode(Sha1::digest(&body)),
            s(&f, &["v2", "sha1_of_random_and_fields_hex"])
        );
        assert_eq!(
            hex::encode(aes_key(&secret(&f))),
            s(&f, &["v2", "aes_key_hex"])
        );
    }

    #[test]
    fn the_v1_fixture_is_reproduced_byte_for_byte() {
        let f = fixture();
        let spec = v1_spec(&f);
        let now = n(&f, &["now"]) as u64;
        let rand = n(&f, &["v1", "rand"]) as u32;
        let ks = ok(generate_v1(&secret(&f), &spec, now, rand));
        assert_eq!(ks.expose(), s(&f, &["v1", "ks"]));
        let decoded = ok(STANDARD.decode(ks.expose()));
        assert_eq!(String::from_utf8_lossy(&decoded), s(&f, &["v1", "decoded"]));
    }

    #[test]
    fn both_fixture_vectors_decode_to_their_fields() {
        let f = fixture();
        let sec = secret(&f);
        let now = n(&f, &["now"]) as u64;
        let v2 = ok(decode(s(&f, &["v2", "ks"]), &[&sec], now));
        assert_eq!(v2.version, KsVersion::V2);
        assert_eq!(v2.partner_id.get(), 1_234_567);
        assert_eq!(v2.user_id, "user@example.com");
        assert_eq!(v2.session_type, SessionType::User);
        assert_eq!(v2.valid_until, 1_700_086_400);
        assert_eq!(v2.privileges, v2_spec(&f).privileges.pairs());
        assert_eq!(v2.privilege("actionslimit"), Some("-1"));

        let v1 = ok(decode(s(&f, &["v1", "ks"]), &[&sec], now));
        assert_eq!(v1.version, KsVersion::V1);
        assert_eq!(v1.session_type, SessionType::Admin);
        assert_eq!(
            v1.privileges,
            vec![("disableentitlement".into(), String::new())]
        );
        assert_eq!(v1.privilege("disableentitlement"), Some(""));
    }

    #[test]
    fn a_wrong_secret_fails_the_check_for_both_versions() {
        let f = fixture();
        let wrong = ok(AdminSecret::new("wrong-secret"));
        let now = n(&f, &["now"]) as u64;
        for path in [["v2", "ks"], ["v1", "ks"]] {
            assert_eq!(
                decode(s(&f, &path), &[&wrong], now),
                Err(KsError::BadSignature)
            );
        }
    }

    #[test]
    fn any_matching_secret_of_several_is_accepted() {
        let f = fixture();
        let wrong = ok(AdminSecret::new("wrong-secret"));
        let right = secret(&f);
        let now = n(&f, &["now"]) as u64;
        assert!(decode(s(&f, &["v2", "ks"]), &[&wrong, &right], now).is_ok());
        assert!(decode(s(&f, &["v1", "ks"]), &[&wrong, &right], now).is_ok());
    }

    #[test]
    fn an_expired_ks_is_rejected_at_and_after_its_expiry() {
        let f = fixture();
        let sec = secret(&f);
        for path in [["v2", "ks"], ["v1", "ks"]] {
            assert_eq!(
                decode(s(&f, &path), &[&sec], 1_700_086_400),
                Err(KsError::Expired {
                    valid_until: 1_700_086_400
                })
            );
            assert!(decode(s(&f, &path), &[&sec], 1_700_086_399).is_ok());
        }
    }

    #[test]
    fn a_tampered_v2_ks_fails_the_sha1_check() {
        let f = fixture();
        let sec = secret(&f);
        let now = n(&f, &["now"]) as u64;
        let mut raw = ok(URL_SAFE.decode(s(&f, &["v2", "ks"])));
        let last = raw.len() - 20;
        raw[last] ^= 0x01;
        let tampered = URL_SAFE.encode(&raw);
        assert_eq!(decode(&tampered, &[&sec], now), Err(KsError::BadSignature));
    }

    #[test]
    fn a_tampered_v1_ks_fails_the_signature_check() {
        let f = fixture();
        let sec = secret(&f);
        let now = n(&f, &["now"]) as u64;
        // Try to turn the admin KS into one with an extra privilege and later expiry.
        let forged = s(&f, &["v1", "decoded"])
            .replace(";1700086400;", ";1800000000;")
            .replace("disableentitlement", "disableentitlement,setrole:ADMIN");
        let tampered = STANDARD.encode(forged);
        assert_eq!(decode(&tampered, &[&sec], now), Err(KsError::BadSignature));
    }

    #[test]
    fn garbage_is_malformed_not_a_panic() {
        let f = fixture();
        let sec = secret(&f);
        for bad in ["", "!!!", "djJ8", "djJ8MTIzfA==", "YWJj", "dnx8fA=="] {
            assert!(
                matches!(decode(bad, &[&sec], 0), Err(KsError::Malformed(_))),
                "{bad:?}"
            );
        }
        // v2 with a partner id but a cipher text of the wrong length
        let short = URL_SAFE.encode(b"v2|123|abc");
        assert_eq!(
            decode(&short, &[&sec], 0),
            Err(KsError::Malformed("bad cipher text length"))
        );
    }

    #[test]
    fn a_ks_without_padding_or_with_standard_alphabet_still_decodes() {
        let f = fixture();
        let sec = secret(&f);
        let now = n(&f, &["now"]) as u64;
        let ks = s(&f, &["v2", "ks"]);
        let unpadded = ks.trim_end_matches('=');
        assert!(decode(unpadded, &[&sec], now).is_ok());
        let standard = ks.replace('-', "+").replace('_', "/");
        assert!(decode(&standard, &[&sec], now).is_ok());
    }

    #[test]
    fn zero_or_overflowing_expiry_is_rejected() {
        let f = fixture();
        let mut spec = v2_spec(&f);
        spec.expiry_seconds = 0;
        assert_eq!(
            generate_v2(&secret(&f), &spec, 1, &[0; 16]),
            Err(KsError::ExpiryOutOfRange)
        );
        spec.expiry_seconds = 10;
        assert_eq!(
            generate_v1(&secret(&f), &spec, u64::MAX, 1),
            Err(KsError::ExpiryOutOfRange)
        );
    }

    #[test]
    fn an_anonymous_admin_ks_round_trips_with_an_empty_user() {
        let f = fixture();
        let sec = secret(&f);
        let spec = SessionSpec::admin(ok(PartnerId::new(99)), 60);
        for version in [KsVersion::V1, KsVersion::V2] {
            let ks = ok(generate(&sec, &spec, version, 1000, &[9; 16]));
            let d = ok(decode(ks.expose(), &[&sec], 1000));
            assert_eq!(d.user_id, "");
            assert_eq!(d.session_type, SessionType::Admin);
            assert!(d.privileges.is_empty());
            assert_eq!(d.partner_id.get(), 99);
        }
    }

    #[test]
    fn different_random_bytes_give_different_v2_ks_for_the_same_session() {
        let f = fixture();
        let spec = v2_spec(&f);
        let a = ok(generate_v2(&secret(&f), &spec, 5, &[1; 16]));
        let b = ok(generate_v2(&secret(&f), &spec, 5, &[2; 16]));
        assert_ne!(a, b);
    }

    #[test]
    fn kaltura_v1_with_nine_fields_and_repeated_privileges_decodes() {
        // The server's own generateKsV1 writes masterPartnerId and additionalData.
        let sec = ok(AdminSecret::new("s3cret"));
        let info = "55;55;2000;0;1.5;bob;sview:0_a,sview:0_b,list;;";
        let sig = hex::encode(Sha1::digest(format!("s3cret{info}").as_bytes()));
        let ks = STANDARD.encode(format!("{sig}|{info}"));
        let d = ok(decode(&ks, &[&sec], 1000));
        assert_eq!(
            d.privileges,
            vec![
                ("sview".to_owned(), "0_a/0_b".to_owned()),
                ("list".to_owned(), String::new())
            ]
        );
        assert_eq!(d.master_partner_id, None);
        assert_eq!(d.user_id, "bob");
    }

    #[test]
    fn the_app_token_hash_matches_the_fixture_for_sha256() {
        let f = fixture();
        let ks = ok(Ks::new(s(&f, &["app_token_hash", "ks"])));
        let token = ok(AppTokenSecret::new(s(&f, &["app_token_hash", "token"])));
        assert_eq!(
            app_token_hash(&ks, &token, AppTokenHashType::Sha256),
            s(&f, &["app_token_hash", "sha256"])
        );
    }

    #[test]
    fn the_app_token_hash_uses_the_requested_algorithm() {
        let ks = ok(Ks::new("abc"));
        let token = ok(AppTokenSecret::new("def"));
        // Digests of "abcdef" (coreutils sha1sum / md5sum / sha512sum).
        assert_eq!(
            app_token_hash(&ks, &token, AppTokenHashType::default()),
            "1f8ac10f23c5b5bc1167bda84b833e5c057a77d2"
        );
        assert_eq!(
            app_token_hash(&ks, &token, AppTokenHashType::Md5),
            "e80b5017098950fc58aad83c8c14978e"
        );
        assert_eq!(
            app_token_hash(&ks, &token, AppTokenHashType::Sha512).len(),
            128
        );
        assert_eq!(
            serde_json::to_string(&AppTokenHashType::Sha256).unwrap_or_default(),
            "\"SHA256\""
        );
    }

    #[test]
    fn errors_and_debug_output_never_contain_the_ks() {
        let f = fixture();
        let sec = secret(&f);
        let ks = s(&f, &["v2", "ks"]);
        let err = decode(ks, &[&sec], u64::MAX).err();
        let shown = format!(
            "{err:?} {}",
            err.clone().map(|e| e.to_string()).unwrap_or_default()
        );
        assert!(!shown.contains(&ks[..20]));
        let d = ok(decode(ks, &[&sec], 0));
        assert!(!format!("{d:?}").contains(&ks[..20]));
    }
}
