//! Receiving Kaltura HTTP event notifications (webhooks).
//!
//! **Signature** (kaltura/server `KDispatchHttpNotificationEngine`): every notification
//! carries `X-KALTURA-SIGNATURE: hex(HASH(adminSecret ++ body))` — plain concatenation, not
//! HMAC, lowercase hex — with `HASH` named by `X-KALTURA-HASH-ALGO` (`sha1` when absent,
//! `sha256`, `sha512`). For a GET notification the "body" is the query string.
//! [`verify_signature`] recomputes it and compares in constant time.
//!
//! **Payloads** ([`parse_notification`]), all turned into one [`Notification`]:
//! - API object as raw JSON: a `KalturaHttpNotification` (`eventType`, `eventObjectType`
//!   and ids as strings, the changed object under `object`);
//! - the same JSON URL-encoded as `data=<json>` (templates with `urlEncode`);
//! - template fields, `entry_id=0_x&entry_name=...&entry_status=2`.
//!
//! Anything else (XML/PHP objects, free text) is a [`WebhookError::UnsupportedPayload`].
//!
//! **Length extension.** `HASH(secret ‖ body)` with SHA-1/SHA-2 lets anyone who holds
//! one signed body compute a valid signature for `body ‖ padding ‖ anything`, without
//! the secret; the padding is `0x80`, NUL bytes and the length. So a verified body is
//! still refused before it is read if it holds a control byte (anything below `0x20`
//! but tab, line feed and carriage return, or `0x7f`), is not UTF-8
//! ([`WebhookError::NotText`]; Kaltura's payloads are JSON or URL-encoded text and
//! never carry either raw), or names a field twice ([`WebhookError::RepeatedField`]:
//! a repeated `kd_guild_id` must not mean one thing to one reader and another to the
//! next). An extended body therefore always fails; what remains is the replay of a
//! genuine body as it was signed (deduplicated by the receiver).

use std::collections::BTreeMap;
use std::fmt;

use serde_json::Value;
use sha1::{Digest, Sha1};
use sha2::{Sha256, Sha512};
use subtle::ConstantTimeEq;

use crate::types::AdminSecret;

/// Header with the hex signature.
pub const SIGNATURE_HEADER: &str = "x-kaltura-signature";
/// Header naming the hash algorithm.
pub const HASH_ALGO_HEADER: &str = "x-kaltura-hash-algo";

/// Why a notification was refused. Never contains the body or the secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    /// No `X-KALTURA-SIGNATURE` header.
    #[error("missing X-KALTURA-SIGNATURE header")]
    MissingSignature,
    /// The signature does not match (wrong secret, altered body, malformed hex).
    #[error("X-KALTURA-SIGNATURE does not match the body")]
    BadSignature,
    /// `X-KALTURA-HASH-ALGO` names an algorithm other than sha1, sha256, sha512.
    #[error("unsupported X-KALTURA-HASH-ALGO")]
    UnknownHashAlgorithm,
    /// A payload format this receiver does not handle.
    #[error("unsupported notification payload: {0}")]
    UnsupportedPayload(&'static str),
    /// The payload is of a known format but broken.
    #[error("invalid notification payload: {0}")]
    InvalidPayload(&'static str),
    /// The body holds a control byte or is not UTF-8: Kaltura sends neither, and the
    /// padding of a length-extended body is both.
    #[error("invalid notification payload: {0}")]
    NotText(&'static str),
    /// A field (a form field, or a key of a JSON object) is named twice.
    #[error("invalid notification payload: field `{0}` is given more than once")]
    RepeatedField(String),
}

mod strict;

/// The hash of a notification signature (`SecureHashingAlgo`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum HashAlgo {
    /// `sha1`, the default.
    #[default]
    Sha1,
    /// `sha256`.
    Sha256,
    /// `sha512`.
    Sha512,
}

impl HashAlgo {
    /// Reads `X-KALTURA-HASH-ALGO`; absent or blank means sha1.
    ///
    /// # Errors
    /// [`WebhookError::UnknownHashAlgorithm`] for any other value.
    pub fn from_header(value: Option<&str>) -> Result<Self, WebhookError> {
        let v = value.map(str::trim).unwrap_or("");
        if v.is_empty() || v.eq_ignore_ascii_case("sha1") {
            Ok(Self::Sha1)
        } else if v.eq_ignore_ascii_case("sha256") {
            Ok(Self::Sha256)
        } else if v.eq_ignore_ascii_case("sha512") {
            Ok(Self::Sha512)
        } else {
            Err(WebhookError::UnknownHashAlgorithm)
        }
    }

    /// The header value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sha1 => "sha1",
            Self::Sha256 => "sha256",
            Self::Sha512 => "sha512",
        }
    }

    fn digest(self, secret: &AdminSecret, body: &[u8]) -> Vec<u8> {
        match self {
            Self::Sha1 => Sha1::new()
                .chain_update(secret.as_bytes())
                .chain_update(body)
                .finalize()
                .to_vec(),
            Self::Sha256 => Sha256::new()
                .chain_update(secret.as_bytes())
                .chain_update(body)
                .finalize()
                .to_vec(),
            Self::Sha512 => Sha512::new()
                .chain_update(secret.as_bytes())
                .chain_update(body)
                .finalize()
                .to_vec(),
        }
    }
}

/// The signature Kaltura sends for `body`: lowercase hex of `HASH(secret ++ body)`. For
/// fakes and tests; receivers use [`verify_signature`].
pub fn sign(secret: &AdminSecret, body: &[u8], algo: HashAlgo) -> String {
    hex::encode(algo.digest(secret, body))
}

/// Verifies a notification from its raw body and the two header values.
///
/// # Errors
/// [`WebhookError::MissingSignature`], [`WebhookError::UnknownHashAlgorithm`] or
/// [`WebhookError::BadSignature`].
pub fn verify_signature(
    secret: &AdminSecret,
    body: &[u8],
    signature: Option<&str>,
    hash_algo: Option<&str>,
) -> Result<HashAlgo, WebhookError> {
    let signature = signature
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or(WebhookError::MissingSignature)?;
    let algo = HashAlgo::from_header(hash_algo)?;
    let given = hex::decode(signature).map_err(|_| WebhookError::BadSignature)?;
    let expected = algo.digest(secret, body);
    if bool::from(expected.as_slice().ct_eq(given.as_slice())) {
        Ok(algo)
    } else {
        Err(WebhookError::BadSignature)
    }
}

/// Verifies an `http::Request` whose body is the raw notification body.
///
/// # Errors
/// As [`verify_signature`]; a header that is not visible ASCII counts as missing
/// (signature) or unknown (algorithm).
pub fn verify_request<B: AsRef<[u8]>>(
    secret: &AdminSecret,
    request: &http::Request<B>,
) -> Result<HashAlgo, WebhookError> {
    let headers = request.headers();
    let signature = match headers.get(SIGNATURE_HEADER) {
        None => None,
        Some(v) => Some(v.to_str().map_err(|_| WebhookError::MissingSignature)?),
    };
    let algo = match headers.get(HASH_ALGO_HEADER) {
        None => None,
        Some(v) => Some(v.to_str().map_err(|_| WebhookError::UnknownHashAlgorithm)?),
    };
    verify_signature(secret, request.body().as_ref(), signature, algo)
}

/// `EventNotificationEventType`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum EventType {
    /// 1
    BatchJobStatus,
    /// 2
    ObjectAdded,
    /// 3
    ObjectChanged,
    /// 4
    ObjectCopied,
    /// 5
    ObjectCreated,
    /// 6
    ObjectDataChanged,
    /// 7
    ObjectDeleted,
    /// 8
    ObjectErased,
    /// 9
    ObjectReadyForReplacement,
    /// 10
    ObjectSaved,
    /// 11
    ObjectUpdated,
    /// 12
    ObjectReplaced,
    /// 13
    ObjectReadyForIndex,
    /// Any other (plugin) value, as sent.
    Other(String),
}

impl EventType {
    /// Maps the wire value (`"3"` or `3`).
    pub fn from_wire(value: &str) -> Self {
        match value.trim() {
            "1" => Self::BatchJobStatus,
            "2" => Self::ObjectAdded,
            "3" => Self::ObjectChanged,
            "4" => Self::ObjectCopied,
            "5" => Self::ObjectCreated,
            "6" => Self::ObjectDataChanged,
            "7" => Self::ObjectDeleted,
            "8" => Self::ObjectErased,
            "9" => Self::ObjectReadyForReplacement,
            "10" => Self::ObjectSaved,
            "11" => Self::ObjectUpdated,
            "12" => Self::ObjectReplaced,
            "13" => Self::ObjectReadyForIndex,
            other => Self::Other(other.to_owned()),
        }
    }
}

/// `EventNotificationEventObjectType` (selection).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum EventObjectType {
    /// 1
    Entry,
    /// 2
    Category,
    /// 8
    Kuser,
    /// 37
    CategoryEntry,
    /// 38
    LiveStream,
    /// Any other value, as sent.
    Other(String),
}

impl EventObjectType {
    /// Maps the wire value.
    pub fn from_wire(value: &str) -> Self {
        match value.trim() {
            "1" => Self::Entry,
            "2" => Self::Category,
            "8" => Self::Kuser,
            "37" => Self::CategoryEntry,
            "38" => Self::LiveStream,
            other => Self::Other(other.to_owned()),
        }
    }
}

/// Which payload format a notification came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PayloadFormat {
    /// Raw JSON `KalturaHttpNotification`.
    Json,
    /// `data=<url-encoded JSON>`.
    UrlEncodedJson,
    /// Template fields (`entry_id=...&entry_status=...`).
    Fields,
}

/// The object a notification is about.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NotifiedObject {
    /// e.g. `KalturaMediaEntry` (JSON payloads, or an `object_type` field).
    pub object_type: Option<String>,
    /// e.g. `0_abc123` (`object.id`, or `entry_id` / `object_id` / `id` fields).
    pub id: Option<String>,
    /// `object.name`, or `entry_name` / `object_name` / `name` fields.
    pub name: Option<String>,
    /// `object.status`, or `entry_status` / `object_status` / `status` fields, as text
    /// (`"2"` is READY for entries).
    pub status: Option<String>,
}

/// A parsed notification. Fields the format does not carry are `None`.
#[derive(Clone, PartialEq, Eq)]
pub struct Notification {
    /// Format it came in.
    pub format: PayloadFormat,
    /// `eventType` (or an `event_type` field).
    pub event_type: Option<EventType>,
    /// `eventObjectType` (or an `event_object_type` field).
    pub event_object_type: Option<EventObjectType>,
    /// `eventNotificationJobId`: the same for retries of one delivery — use it to dedupe.
    pub job_id: Option<String>,
    /// `templateId`.
    pub template_id: Option<String>,
    /// `templateName`.
    pub template_name: Option<String>,
    /// `templateSystemName`, e.g. `HTTP_ENTRY_STATUS_CHANGED`.
    pub template_system_name: Option<String>,
    /// The object.
    pub object: NotifiedObject,
    /// All scalar values: the template fields, or the JSON object's scalar properties.
    pub fields: BTreeMap<String, String>,
}

impl fmt::Debug for Notification {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Field values are user content (names, descriptions): keep them out of logs.
        f.debug_struct("Notification")
            .field("format", &self.format)
            .field("event_type", &self.event_type)
            .field("event_object_type", &self.event_object_type)
            .field("job_id", &self.job_id)
            .field("template_system_name", &self.template_system_name)
            .field("object_type", &self.object.object_type)
            .field("object_id", &self.object.id)
            .field("object_status", &self.object.status)
            .field("fields", &self.fields.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn from_json(value: Value, format: PayloadFormat) -> Result<Notification, WebhookError> {
    let Value::Object(map) = value else {
        return Err(WebhookError::InvalidPayload(
            "JSON payload is not an object",
        ));
    };
    match map.get("objectType").and_then(Value::as_str) {
        None | Some("KalturaHttpNotification") => {}
        Some(_) => {
            return Err(WebhookError::InvalidPayload(
                "JSON payload is not a KalturaHttpNotification",
            ))
        }
    }
    if !map.contains_key("eventType") && !map.contains_key("object") {
        return Err(WebhookError::InvalidPayload(
            "JSON payload has neither eventType nor object",
        ));
    }
    let text = |k: &str| map.get(k).and_then(scalar_text);
    let object = map.get("object").and_then(Value::as_object);
    let mut fields = BTreeMap::new();
    if let Some(obj) = object {
        for (k, v) in obj {
            if let Some(t) = scalar_text(v) {
                fields.insert(k.clone(), t);
            }
        }
    }
    let obj_text = |k: &str| object.and_then(|o| o.get(k)).and_then(scalar_text);
    Ok(Notification {
        format,
        event_type: text("eventType").map(|t| EventType::from_wire(&t)),
        event_object_type: text("eventObjectType").map(|t| EventObjectType::from_wire(&t)),
        job_id: text("eventNotificationJobId"),
        template_id: text("templateId"),
        template_name: text("templateName"),
        template_system_name: text("templateSystemName"),
        object: NotifiedObject {
            object_type: obj_text("objectType"),
            id: obj_text("id"),
            name: obj_text("name"),
            status: obj_text("status"),
        },
        fields,
    })
}

fn parse_json(bytes: &[u8], format: PayloadFormat) -> Result<Notification, WebhookError> {
    let value = strict::parse(bytes).map_err(|err| match err {
        strict::StrictError::Syntax => WebhookError::InvalidPayload("body is not valid JSON"),
        strict::StrictError::Repeated(key) => WebhookError::RepeatedField(shown(&key)),
    })?;
    from_json(value, format)
}

/// A field name as an error may show it: as is when it is a plain name, else described.
fn shown(name: &str) -> String {
    if is_field_name(name) {
        name.to_owned()
    } else {
        "(a name that is not letters, digits and _)".to_owned()
    }
}

/// Whether `byte` is a control byte no Kaltura payload carries raw: C0 controls other
/// than tab, line feed and carriage return (JSON's whitespace), and DEL.
fn is_control(byte: u8) -> bool {
    (byte < 0x20 && !matches!(byte, b'\t' | b'\n' | b'\r')) || byte == 0x7f
}

/// The body as text, or why it is refused ([`WebhookError::NotText`]).
fn text(body: &[u8]) -> Result<&str, WebhookError> {
    if body.iter().copied().any(is_control) {
        return Err(WebhookError::NotText(
            "the body holds a control byte (such as NUL); Kaltura sends none",
        ));
    }
    std::str::from_utf8(body)
        .map_err(|_| WebhookError::NotText("the body is not UTF-8 text; Kaltura sends UTF-8"))
}

/// The `name=value` pairs of a URL-encoded body, refusing a name given twice.
fn form_pairs(body: &[u8]) -> Result<Vec<(String, String)>, WebhookError> {
    let mut pairs: Vec<(String, String)> = Vec::new();
    for (name, value) in form_urlencoded::parse(body) {
        if pairs.iter().any(|(seen, _)| *seen == name) {
            return Err(WebhookError::RepeatedField(shown(&name)));
        }
        pairs.push((name.into_owned(), value.into_owned()));
    }
    Ok(pairs)
}

fn is_field_name(s: &str) -> bool {
    !s.is_empty() && s.len() <= 128 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

fn first_field(fields: &BTreeMap<String, String>, names: &[&str]) -> Option<String> {
    names.iter().find_map(|n| fields.get(*n).cloned())
}

fn from_fields(body: &[u8]) -> Result<Notification, WebhookError> {
    let well_formed = body.split(|b| *b == b'&').all(|segment| {
        segment
            .iter()
            .position(|b| *b == b'=')
            .and_then(|i| std::str::from_utf8(&segment[..i]).ok())
            .is_some_and(is_field_name)
    });
    if !well_formed {
        return Err(WebhookError::UnsupportedPayload(
            "free text (expected JSON, data=<JSON> or name=value fields)",
        ));
    }
    let fields: BTreeMap<String, String> = form_pairs(body)?.into_iter().collect();
    let get = |names: &[&str]| first_field(&fields, names);
    Ok(Notification {
        format: PayloadFormat::Fields,
        event_type: get(&["event_type", "eventType"]).map(|t| EventType::from_wire(&t)),
        event_object_type: get(&["event_object_type", "eventObjectType"])
            .map(|t| EventObjectType::from_wire(&t)),
        job_id: get(&["event_notification_job_id", "eventNotificationJobId"]),
        template_id: get(&["template_id", "templateId"]),
        template_name: get(&["template_name", "templateName"]),
        template_system_name: get(&["template_system_name", "templateSystemName"]),
        object: NotifiedObject {
            object_type: get(&["object_type", "objectType"]),
            id: get(&["entry_id", "object_id", "id"]),
            name: get(&["entry_name", "object_name", "name"]),
            status: get(&["entry_status", "object_status", "status"]),
        },
        fields,
    })
}

/// Parses a (verified) notification body in any of the three formats.
///
/// # Errors
/// [`WebhookError::NotText`] for a control byte or a body that is not UTF-8,
/// [`WebhookError::RepeatedField`] for a field named twice (in the form, or in any JSON
/// object), [`WebhookError::InvalidPayload`] for an empty body or broken JSON,
/// [`WebhookError::UnsupportedPayload`] for XML/PHP objects and free text.
pub fn parse_notification(body: &[u8]) -> Result<Notification, WebhookError> {
    let trimmed = text(body)?.as_bytes().trim_ascii();
    match trimmed.first() {
        None => Err(WebhookError::InvalidPayload("empty body")),
        Some(b'{') | Some(b'[') => parse_json(trimmed, PayloadFormat::Json),
        Some(b'<') => Err(WebhookError::UnsupportedPayload(
            "XML (set the template's format to JSON)",
        )),
        Some(_) => {
            let data = form_pairs(trimmed)?
                .into_iter()
                .find(|(k, _)| k == "data")
                .map(|(_, v)| v);
            match data {
                Some(data) => {
                    let inner = data.trim();
                    match inner.as_bytes().first() {
                        Some(b'{') => parse_json(inner.as_bytes(), PayloadFormat::UrlEncodedJson),
                        Some(b'<') => Err(WebhookError::UnsupportedPayload(
                            "XML (set the template's format to JSON)",
                        )),
                        _ => Err(WebhookError::UnsupportedPayload(
                            "data= payload that is not JSON (PHP serialisation?)",
                        )),
                    }
                }
                None => from_fields(trimmed),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIXTURE: &str = include_str!("../../../tests/fixtures/kaltura-webhook.json");

    fn ok<T, E: std::fmt::Debug>(r: Result<T, E>) -> T {
        match r {
            Ok(v) => v,
            Err(e) => panic!("unexpected error: {e:?}"),
        }
    }

    fn fixture() -> (AdminSecret, String, Value) {
        let f: Value = ok(serde_json::from_str(FIXTURE));
        let secret = ok(AdminSecret::new(
            f["admin_secret"].as_str().unwrap_or_default(),
        ));
        let body = f["body"].as_str().unwrap_or_default().to_owned();
        (secret, body, f)
    }

    #[test]
    fn the_fixture_signatures_verify_with_sha1_by_default_and_sha256() {
        let (secret, body, f) = fixture();
        let sha1 = f["signature_sha1"].as_str();
        let sha256 = f["signature_sha256"].as_str();
        assert_eq!(
            sign(&secret, body.as_bytes(), HashAlgo::Sha1),
            sha1.unwrap_or_default()
        );
        assert_eq!(
            verify_signature(&secret, body.as_bytes(), sha1, None),
            Ok(HashAlgo::Sha1)
        );
        assert_eq!(
            verify_signature(&secret, body.as_bytes(), sha1, Some("sha1")),
            Ok(HashAlgo::Sha1)
        );
        assert_eq!(
            verify_signature(&secret, body.as_bytes(), sha256, Some("sha256")),
            Ok(HashAlgo::Sha256)
        );
        let upper = sha256.map(str::to_ascii_uppercase);
        assert!(
            verify_signature(&secret, body.as_bytes(), upper.as_deref(), Some("SHA256")).is_ok()
        );
    }

    #[test]
    fn sha512_signatures_verify() {
        let (secret, body, _) = fixture();
        let sig = sign(&secret, body.as_bytes(), HashAlgo::Sha512);
        assert_eq!(sig.len(), 128);
        assert_eq!(
            verify_signature(&secret, body.as_bytes(), Some(&sig), Some("sha512")),
            Ok(HashAlgo::Sha512)
        );
    }

    #[test]
    fn a_tampered_body_wrong_secret_or_wrong_algorithm_is_rejected() {
        let (secret, body, f) = fixture();
        let sha1 = f["signature_sha1"].as_str();
        let tampered = body.replace("0_abc123", "0_abc124");
        assert_eq!(
            verify_signature(&secret, tampered.as_bytes(), sha1, None),
            Err(WebhookError::BadSignature)
        );
        let wrong = ok(AdminSecret::new("wrong"));
        assert_eq!(
            verify_signature(&wrong, body.as_bytes(), sha1, None),
            Err(WebhookError::BadSignature)
        );
        assert_eq!(
            verify_signature(&secret, body.as_bytes(), sha1, Some("sha256")),
            Err(WebhookError::BadSignature)
        );
        assert_eq!(
            verify_signature(&secret, body.as_bytes(), Some("zz-not-hex"), None),
            Err(WebhookError::BadSignature)
        );
        assert_eq!(
            verify_signature(&secret, body.as_bytes(), Some("4ff7"), None),
            Err(WebhookError::BadSignature)
        );
    }

    #[test]
    fn a_missing_signature_or_unknown_algorithm_is_an_error() {
        let (secret, body, f) = fixture();
        assert_eq!(
            verify_signature(&secret, body.as_bytes(), None, None),
            Err(WebhookError::MissingSignature)
        );
        assert_eq!(
            verify_signature(&secret, body.as_bytes(), Some("  "), None),
            Err(WebhookError::MissingSignature)
        );
        for algo in ["md5", "hmac-sha256", "sha3"] {
            assert_eq!(
                verify_signature(
                    &secret,
                    body.as_bytes(),
                    f["signature_sha1"].as_str(),
                    Some(algo)
                ),
                Err(WebhookError::UnknownHashAlgorithm)
            );
        }
    }

    #[test]
    fn a_request_is_verified_from_its_headers_in_any_case() {
        let (secret, body, f) = fixture();
        let req = ok(http::Request::builder()
            .method("POST")
            .uri("/webhooks/kaltura")
            .header(
                "X-KALTURA-SIGNATURE",
                f["signature_sha256"].as_str().unwrap_or_default(),
            )
            .header("X-Kaltura-Hash-Algo", "sha256")
            .body(body.clone().into_bytes()));
        assert_eq!(verify_request(&secret, &req), Ok(HashAlgo::Sha256));
        let unsigned = ok(http::Request::builder().body(body.into_bytes()));
        assert_eq!(
            verify_request(&secret, &unsigned),
            Err(WebhookError::MissingSignature)
        );
    }

    #[test]
    fn the_fixture_body_parses_as_json() {
        let (_, body, _) = fixture();
        let n = ok(parse_notification(body.as_bytes()));
        assert_eq!(n.format, PayloadFormat::Json);
        assert_eq!(n.event_type, Some(EventType::ObjectChanged));
        assert_eq!(n.object.id.as_deref(), Some("0_abc123"));
    }

    const API_OBJECT: &str = r#"{"objectType":"KalturaHttpNotification","eventType":"3","eventObjectType":"1","eventNotificationJobId":"98765","templateId":123,"templateName":"Entry Status Changed","templateSystemName":"HTTP_ENTRY_STATUS_CHANGED","object":{"objectType":"KalturaMediaEntry","id":"0_abc123","name":"Lecture 1","status":2,"partnerId":1234567,"tags":"a,b","categories":{"x":1}}}"#;

    #[test]
    fn an_api_object_notification_fills_every_field() {
        let n = ok(parse_notification(API_OBJECT.as_bytes()));
        assert_eq!(n.format, PayloadFormat::Json);
        assert_eq!(n.event_type, Some(EventType::ObjectChanged));
        assert_eq!(n.event_object_type, Some(EventObjectType::Entry));
        assert_eq!(n.job_id.as_deref(), Some("98765"));
        assert_eq!(n.template_id.as_deref(), Some("123"));
        assert_eq!(
            n.template_system_name.as_deref(),
            Some("HTTP_ENTRY_STATUS_CHANGED")
        );
        assert_eq!(
            n.object,
            NotifiedObject {
                object_type: Some("KalturaMediaEntry".into()),
                id: Some("0_abc123".into()),
                name: Some("Lecture 1".into()),
                status: Some("2".into()),
            }
        );
        assert_eq!(
            n.fields.get("partnerId").map(String::as_str),
            Some("1234567")
        );
        assert!(!n.fields.contains_key("categories"));
        assert!(!format!("{n:?}").contains("Lecture 1"));
    }

    #[test]
    fn a_url_encoded_data_notification_parses_like_raw_json() {
        let body = format!(
            "data={}",
            form_urlencoded::byte_serialize(API_OBJECT.as_bytes()).collect::<String>()
        );
        let n = ok(parse_notification(body.as_bytes()));
        assert_eq!(n.format, PayloadFormat::UrlEncodedJson);
        let raw = ok(parse_notification(API_OBJECT.as_bytes()));
        assert_eq!(n.object, raw.object);
        assert_eq!(n.job_id, raw.job_id);
        assert_eq!(n.fields, raw.fields);
    }

    #[test]
    fn template_fields_become_the_object_and_the_fields_map() {
        let n = ok(parse_notification(
            b"entry_id=0_abc123&entry_name=Lecture%201&entry_status=2&entry_reference_id=",
        ));
        assert_eq!(n.format, PayloadFormat::Fields);
        assert_eq!(n.object.id.as_deref(), Some("0_abc123"));
        assert_eq!(n.object.name.as_deref(), Some("Lecture 1"));
        assert_eq!(n.object.status.as_deref(), Some("2"));
        assert_eq!(n.event_type, None);
        assert_eq!(
            n.fields.get("entry_reference_id").map(String::as_str),
            Some("")
        );
        assert_eq!(n.fields.len(), 4);
    }

    #[test]
    fn anything_else_is_a_clear_error() {
        assert_eq!(
            parse_notification(b"  "),
            Err(WebhookError::InvalidPayload("empty body"))
        );
        assert!(matches!(
            parse_notification(b"<xml><notification/></xml>"),
            Err(WebhookError::UnsupportedPayload(_))
        ));
        assert!(matches!(
            parse_notification(b"data=%3Cxml%2F%3E"),
            Err(WebhookError::UnsupportedPayload(_))
        ));
        assert!(matches!(
            parse_notification(b"data=a%3A1%3A%7Bi%3A0%3B%7D"),
            Err(WebhookError::UnsupportedPayload(_))
        ));
        assert!(matches!(
            parse_notification(b"Entry 0_abc123 is ready"),
            Err(WebhookError::UnsupportedPayload(_))
        ));
        assert!(matches!(
            parse_notification(b"{not json"),
            Err(WebhookError::InvalidPayload(_))
        ));
        assert!(matches!(
            parse_notification(br#"{"objectType":"KalturaAPIException","code":"X"}"#),
            Err(WebhookError::InvalidPayload(_))
        ));
        assert!(matches!(
            parse_notification(br#"{"hello":"world"}"#),
            Err(WebhookError::InvalidPayload(_))
        ));
        assert!(matches!(
            parse_notification(b"[1,2]"),
            Err(WebhookError::InvalidPayload(_))
        ));
    }

    #[test]
    fn a_body_with_control_bytes_or_not_utf8_is_refused_before_it_is_read() {
        // What a length extension appends: 0x80, NULs, the bit length, then the
        // attacker's fields.
        let mut extended = b"entry_id=0_abc123&entry_status=2".to_vec();
        extended.push(0x80);
        extended.extend_from_slice(&[0; 20]);
        extended.extend_from_slice(&[0x01, 0x38]);
        extended.extend_from_slice(b"&kd_guild_id=1&kd_event=entry_ready");
        assert!(matches!(
            parse_notification(&extended),
            Err(WebhookError::NotText(_))
        ));
        for bad in [
            &b"entry_id=0_a\x00bc"[..],
            b"entry_id=0_abc\x7f",
            b"{\"a\":\"\x1b[31m\"}",
            b"entry_name=\x80",
            b"{\"objectType\":\"KalturaHttpNotification\",\"eventType\":\"3\",\"x\":\"\xff\"}",
        ] {
            let err = parse_notification(bad).unwrap_err();
            assert!(matches!(err, WebhookError::NotText(_)), "{bad:?}: {err}");
        }
        // JSON's own whitespace, and escaped or percent-encoded text, are fine.
        let pretty = "{\n\t\"eventType\": \"3\",\r\n\t\"object\": {\"id\": \"0_a\", \"name\": \"L\u{e9}on\\u0007\"}\n}";
        assert_eq!(
            ok(parse_notification(pretty.as_bytes()))
                .object
                .name
                .as_deref(),
            Some("L\u{e9}on\u{7}")
        );
        let n = ok(parse_notification(b"entry_id=0_a&entry_name=a%0Ab%00c"));
        assert_eq!(n.object.name.as_deref(), Some("a\nb\u{0}c"));
    }

    #[test]
    fn a_field_named_twice_is_refused_in_every_format() {
        for (body, field) in [
            (
                "entry_id=0_a&kd_guild_id=111111111111111111&kd_guild_id=222222222222222222",
                "kd_guild_id",
            ),
            ("entry_id=0_a&entry_id=0_b", "entry_id"),
            ("data=%7B%22eventType%22%3A%223%22%7D&data=%7B%7D", "data"),
            (
                r#"{"eventType":"3","object":{"id":"0_a","tags":"x","tags":"kd-guild:1"}}"#,
                "tags",
            ),
            (
                r#"{"eventType":"3","eventType":"1","object":{}}"#,
                "eventType",
            ),
        ] {
            assert_eq!(
                parse_notification(body.as_bytes()),
                Err(WebhookError::RepeatedField(field.into())),
                "{body}"
            );
        }
        let inner =
            form_urlencoded::byte_serialize(br#"{"eventType":"3","object":{"id":"a","id":"b"}}"#)
                .collect::<String>();
        assert_eq!(
            parse_notification(format!("data={inner}").as_bytes()),
            Err(WebhookError::RepeatedField("id".into()))
        );
        assert_eq!(
            WebhookError::RepeatedField("kd_guild_id".into()).to_string(),
            "invalid notification payload: field `kd_guild_id` is given more than once"
        );
    }

    #[test]
    fn event_types_keep_unknown_values() {
        assert_eq!(EventType::from_wire("11"), EventType::ObjectUpdated);
        assert_eq!(
            EventType::from_wire("contentDistributionEventNotifications.X"),
            EventType::Other("contentDistributionEventNotifications.X".into())
        );
        assert_eq!(
            EventObjectType::from_wire("38"),
            EventObjectType::LiveStream
        );
        assert_eq!(HashAlgo::Sha256.as_str(), "sha256");
    }
}
