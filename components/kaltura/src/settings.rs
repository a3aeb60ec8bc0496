//! The deployment settings this service reads (Spin variables), each parsed where it is
//! needed, so a call fails only for the settings it uses and names the one at fault.
//!
//! | variable | use | default |
//! |---|---|---|
//! | `kaltura_partner_id` | every Kaltura call, KS and URL | required |
//! | `kaltura_service_url` | API_v3 base URL | required (spin.toml: `https://www.kaltura.com`) |
//! | `kaltura_admin_secret` | sessions made locally | one of the two credentials |
//! | `kaltura_app_token_id` + `kaltura_app_token` | sessions through `appToken.startSession` | the other credential |
//! | `kaltura_app_token_hash_type` | the token's `hashType` | `SHA1` |
//! | `kaltura_kaf_url` | base of join URLs | `https://{partner_id}.kaf.kaltura.com` |
//! | `kaltura_cdn_url` | base of player URLs | `https://cdnapisec.kaltura.com` |
//! | `kaltura_player_uiconf_id` | default player of embed URLs | none |
//! | `kaltura_ks_expiry_seconds` | lifetime of a member's KS, 60..=3600 | 600 |
//! | `kaltura_request_timeout_ms` | timeout of each outbound call, 100..=60000 | 8000 |
//!
//! Which credential is used is decided by what is set: the admin secret when it is set,
//! otherwise the app token pair.

use std::time::Duration;

use common::Variables;
use kaltura_api::ks::AppTokenHashType;
use kaltura_api::types::{AppTokenId, UiConfId};
use kaltura_api::{AdminSecret, AppTokenSecret, Client, PartnerId};

use crate::error::Error;

/// `kaltura_partner_id`.
pub const PARTNER_ID: &str = "kaltura_partner_id";
/// `kaltura_service_url`.
pub const SERVICE_URL: &str = "kaltura_service_url";
/// `kaltura_admin_secret` (secret).
pub const ADMIN_SECRET: &str = "kaltura_admin_secret";
/// `kaltura_app_token_id`.
pub const APP_TOKEN_ID: &str = "kaltura_app_token_id";
/// `kaltura_app_token` (secret).
pub const APP_TOKEN: &str = "kaltura_app_token";
/// `kaltura_app_token_hash_type`: `SHA1`, `SHA256`, `SHA512` or `MD5`.
pub const APP_TOKEN_HASH_TYPE: &str = "kaltura_app_token_hash_type";
/// `kaltura_kaf_url`.
pub const KAF_URL: &str = "kaltura_kaf_url";
/// `kaltura_cdn_url`.
pub const CDN_URL: &str = "kaltura_cdn_url";
/// `kaltura_player_uiconf_id`.
pub const PLAYER_UICONF_ID: &str = "kaltura_player_uiconf_id";
/// `kaltura_ks_expiry_seconds`.
pub const KS_EXPIRY_SECONDS: &str = "kaltura_ks_expiry_seconds";
/// `kaltura_request_timeout_ms`.
pub const REQUEST_TIMEOUT_MS: &str = "kaltura_request_timeout_ms";

/// Lifetime of a member's KS when `kaltura_ks_expiry_seconds` is unset: ten minutes.
pub const DEFAULT_MEMBER_KS_EXPIRY_SECS: u64 = 600;
/// Outbound timeout when `kaltura_request_timeout_ms` is unset.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_millis(8000);

/// How this deployment gets Kaltura sessions.
#[derive(Debug, Clone)]
pub enum Credentials {
    /// The partner's admin secret: every KS is made locally, without a network call.
    AdminSecret(AdminSecret),
    /// An application token: each KS comes from `appToken.startSession`.
    AppToken(AppToken),
}

/// A Kaltura application token (`KalturaAppToken`).
#[derive(Debug, Clone)]
pub struct AppToken {
    /// The token's id.
    pub id: AppTokenId,
    /// The token's secret value.
    pub token: AppTokenSecret,
    /// The token's `hashType`.
    pub hash_type: AppTokenHashType,
}

/// What every Kaltura API call needs.
#[derive(Debug, Clone)]
pub struct Api {
    /// The partner.
    pub partner_id: PartnerId,
    /// The request builder for the service URL.
    pub client: Client,
    /// How sessions are made.
    pub credentials: Credentials,
}

fn required(vars: &dyn Variables, name: &str) -> Result<String, Error> {
    vars.get(name)
        .map(|v| v.trim().to_owned())
        .ok_or_else(|| Error::NotConfigured(name.to_owned()))
}

/// Parses an optional number setting within `range`; a malformed value is an error, not
/// the default.
fn optional_number(
    vars: &dyn Variables,
    name: &str,
    range: std::ops::RangeInclusive<u64>,
) -> Result<Option<u64>, Error> {
    match vars.get(name) {
        None => Ok(None),
        Some(raw) => raw
            .trim()
            .parse::<u64>()
            .ok()
            .filter(|n| range.contains(n))
            .map(Some)
            .ok_or_else(|| Error::NotConfigured(name.to_owned())),
    }
}

/// `kaltura_partner_id`.
///
/// # Errors
/// `NotConfigured` when unset or not a positive integer.
pub fn partner_id(vars: &dyn Variables) -> Result<PartnerId, Error> {
    required(vars, PARTNER_ID)?
        .parse()
        .map_err(|_| Error::NotConfigured(PARTNER_ID.into()))
}

/// An API client for `kaltura_service_url`.
///
/// # Errors
/// `NotConfigured` when unset or not an `http(s)` URL without query or credentials.
pub fn client(vars: &dyn Variables) -> Result<Client, Error> {
    Client::new(&required(vars, SERVICE_URL)?).map_err(|_| Error::NotConfigured(SERVICE_URL.into()))
}

/// The credentials, chosen by which variables are set: the admin secret if set, else the
/// app token pair.
///
/// # Errors
/// `NotConfigured` naming `kaltura_admin_secret` when neither is set, or the missing
/// half of an app token pair, or `kaltura_app_token_hash_type` when it is not a known
/// hash.
pub fn credentials(vars: &dyn Variables) -> Result<Credentials, Error> {
    if let Some(secret) = vars.get(ADMIN_SECRET) {
        return AdminSecret::new(secret)
            .map(Credentials::AdminSecret)
            .map_err(|_| Error::NotConfigured(ADMIN_SECRET.into()));
    }
    match (vars.get(APP_TOKEN_ID), vars.get(APP_TOKEN)) {
        (None, None) => Err(Error::NotConfigured(ADMIN_SECRET.into())),
        (None, Some(_)) => Err(Error::NotConfigured(APP_TOKEN_ID.into())),
        (Some(_), None) => Err(Error::NotConfigured(APP_TOKEN.into())),
        (Some(id), Some(token)) => Ok(Credentials::AppToken(AppToken {
            id: AppTokenId::new(id.trim())
                .map_err(|_| Error::NotConfigured(APP_TOKEN_ID.into()))?,
            token: AppTokenSecret::new(token)
                .map_err(|_| Error::NotConfigured(APP_TOKEN.into()))?,
            hash_type: app_token_hash_type(vars)?,
        })),
    }
}

fn app_token_hash_type(vars: &dyn Variables) -> Result<AppTokenHashType, Error> {
    let Some(raw) = vars.get(APP_TOKEN_HASH_TYPE) else {
        return Ok(AppTokenHashType::default());
    };
    match raw.trim().to_ascii_uppercase().as_str() {
        "SHA1" => Ok(AppTokenHashType::Sha1),
        "SHA256" => Ok(AppTokenHashType::Sha256),
        "SHA512" => Ok(AppTokenHashType::Sha512),
        "MD5" => Ok(AppTokenHashType::Md5),
        _ => Err(Error::NotConfigured(APP_TOKEN_HASH_TYPE.into())),
    }
}

/// Everything a Kaltura API call needs.
///
/// # Errors
/// As [`partner_id`], [`client`] and [`credentials`].
pub fn api(vars: &dyn Variables) -> Result<Api, Error> {
    Ok(Api {
        partner_id: partner_id(vars)?,
        client: client(vars)?,
        credentials: credentials(vars)?,
    })
}

/// `kaltura_kaf_url`, `None` for the partner's default KAF host. Its shape is checked
/// where the join URL is built.
pub fn kaf_url(vars: &dyn Variables) -> Option<String> {
    vars.get(KAF_URL).map(|v| v.trim().to_owned())
}

/// `kaltura_cdn_url`, `None` for Kaltura's player CDN.
pub fn cdn_url(vars: &dyn Variables) -> Option<String> {
    vars.get(CDN_URL).map(|v| v.trim().to_owned())
}

/// `kaltura_player_uiconf_id`, the player used when a caller names none.
///
/// # Errors
/// `NotConfigured` when unset or not a positive integer.
pub fn player_uiconf_id(vars: &dyn Variables) -> Result<UiConfId, Error> {
    let raw = required(vars, PLAYER_UICONF_ID)?;
    raw.parse::<i64>()
        .ok()
        .and_then(|n| UiConfId::new(n).ok())
        .ok_or_else(|| Error::NotConfigured(PLAYER_UICONF_ID.into()))
}

/// The lifetime of a member's KS in seconds: minutes, never a day.
///
/// # Errors
/// `NotConfigured` when set but not a number from 60 to 3600.
pub fn member_ks_expiry(vars: &dyn Variables) -> Result<u64, Error> {
    Ok(optional_number(vars, KS_EXPIRY_SECONDS, 60..=3600)?
        .unwrap_or(DEFAULT_MEMBER_KS_EXPIRY_SECS))
}

/// The timeout of each outbound call (connect, first byte, between bytes).
///
/// # Errors
/// `NotConfigured` when set but not a number from 100 to 60000.
pub fn request_timeout(vars: &dyn Variables) -> Result<Duration, Error> {
    Ok(optional_number(vars, REQUEST_TIMEOUT_MS, 100..=60_000)?
        .map_or(DEFAULT_REQUEST_TIMEOUT, Duration::from_millis))
}

/// The settings this deployment lacks, by name, for the readiness report: the partner
/// and service URL, and a credential — `kaltura_admin_secret` when there is none at all,
/// the missing half when only one of `kaltura_app_token_id` / `kaltura_app_token` is set.
pub fn missing(vars: &dyn Variables) -> Vec<String> {
    let mut missing = common::settings::missing(vars, crate::REQUIRED_SETTINGS);
    if vars.get(ADMIN_SECRET).is_none() {
        match (vars.get(APP_TOKEN_ID), vars.get(APP_TOKEN)) {
            (None, None) => missing.push(ADMIN_SECRET.into()),
            (None, Some(_)) => missing.push(APP_TOKEN_ID.into()),
            (Some(_), None) => missing.push(APP_TOKEN.into()),
            (Some(_), Some(_)) => {}
        }
    }
    missing
}

#[cfg(test)]
mod tests {
    use super::*;
    use common::MemoryVariables;

    fn vars(pairs: &[(&str, &str)]) -> MemoryVariables {
        MemoryVariables::from_pairs(pairs)
    }

    #[test]
    fn the_admin_secret_is_chosen_when_it_is_set() {
        let v = vars(&[
            (ADMIN_SECRET, "s"),
            (APP_TOKEN_ID, "0_tok"),
            (APP_TOKEN, "t"),
        ]);
        assert!(matches!(credentials(&v), Ok(Credentials::AdminSecret(_))));
    }

    #[test]
    fn an_app_token_pair_is_chosen_without_an_admin_secret() {
        let v = vars(&[
            (APP_TOKEN_ID, "0_tok"),
            (APP_TOKEN, "t"),
            (APP_TOKEN_HASH_TYPE, "sha256"),
        ]);
        match credentials(&v) {
            Ok(Credentials::AppToken(token)) => {
                assert_eq!(token.id.as_str(), "0_tok");
                assert_eq!(token.hash_type, AppTokenHashType::Sha256);
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn half_an_app_token_names_the_missing_half() {
        let only_id = vars(&[(APP_TOKEN_ID, "0_tok")]);
        assert_eq!(
            credentials(&only_id).err(),
            Some(Error::NotConfigured(APP_TOKEN.into()))
        );
        assert_eq!(missing(&only_id), vec![PARTNER_ID, SERVICE_URL, APP_TOKEN]);
        let nothing = vars(&[]);
        assert_eq!(
            credentials(&nothing).err(),
            Some(Error::NotConfigured(ADMIN_SECRET.into()))
        );
    }

    #[test]
    fn an_app_token_deployment_is_not_missing_the_admin_secret() {
        let v = vars(&[
            (PARTNER_ID, "1234567"),
            (SERVICE_URL, "https://www.kaltura.com"),
            (APP_TOKEN_ID, "0_tok"),
            (APP_TOKEN, "t"),
        ]);
        assert!(missing(&v).is_empty());
    }

    #[test]
    fn malformed_settings_are_named_not_defaulted() {
        let v = vars(&[
            (PARTNER_ID, "12ab"),
            (SERVICE_URL, "ftp://x"),
            (KS_EXPIRY_SECONDS, "86400"),
            (REQUEST_TIMEOUT_MS, "soon"),
            (PLAYER_UICONF_ID, "0"),
            (APP_TOKEN_ID, "0_tok"),
            (APP_TOKEN, "t"),
            (APP_TOKEN_HASH_TYPE, "crc32"),
        ]);
        let named = |r: Result<(), Error>| r.err();
        assert_eq!(
            named(partner_id(&v).map(drop)),
            Some(Error::NotConfigured(PARTNER_ID.into()))
        );
        assert_eq!(
            named(client(&v).map(drop)),
            Some(Error::NotConfigured(SERVICE_URL.into()))
        );
        assert_eq!(
            named(member_ks_expiry(&v).map(drop)),
            Some(Error::NotConfigured(KS_EXPIRY_SECONDS.into()))
        );
        assert_eq!(
            named(request_timeout(&v).map(drop)),
            Some(Error::NotConfigured(REQUEST_TIMEOUT_MS.into()))
        );
        assert_eq!(
            named(player_uiconf_id(&v).map(drop)),
            Some(Error::NotConfigured(PLAYER_UICONF_ID.into()))
        );
        assert_eq!(
            named(credentials(&v).map(drop)),
            Some(Error::NotConfigured(APP_TOKEN_HASH_TYPE.into()))
        );
    }

    #[test]
    fn unset_optional_settings_take_their_defaults() {
        let v = vars(&[]);
        assert_eq!(member_ks_expiry(&v), Ok(600));
        assert_eq!(request_timeout(&v), Ok(Duration::from_millis(8000)));
        assert_eq!(kaf_url(&v), None);
        assert_eq!(cdn_url(&v), None);
    }
}
