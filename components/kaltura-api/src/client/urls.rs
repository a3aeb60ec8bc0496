//! Browser URLs: the KAF meeting launch URL and the PlayKit (v7) player iframe URL.

use std::fmt;

use crate::client::ApiError;
use crate::types::{EntryId, Ks, PartnerId, UiConfId};

/// Kaltura's player CDN, the default for [`player_embed_url`].
pub const DEFAULT_CDN_URL: &str = "https://cdnapisec.kaltura.com";

/// The default KAF base URL of a partner: `https://{partner_id}.kaf.kaltura.com`.
pub fn default_kaf_base(partner_id: PartnerId) -> String {
    format!("https://{partner_id}.kaf.kaltura.com")
}

/// A URL that carries a KS. Its `Debug` prints `[redacted]` and it has no `Display`;
/// [`JoinUrl::expose`] gives the text to put into a button or a redirect.
#[derive(Clone, PartialEq, Eq)]
pub struct JoinUrl(String);

impl JoinUrl {
    /// The URL text. It is a bearer credential while the KS lives: never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for JoinUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("JoinUrl([redacted])")
    }
}

fn base(url: &str, what: &str) -> Result<String, ApiError> {
    let bad = || ApiError::InvalidRequest(format!("{what} must be an http(s) URL without query"));
    let parsed = url::Url::parse(url).map_err(|_| bad())?;
    if !matches!(parsed.scheme(), "http" | "https")
        || parsed.host_str().is_none()
        || parsed.query().is_some()
        || parsed.fragment().is_some()
    {
        return Err(bad());
    }
    Ok(parsed.as_str().trim_end_matches('/').to_owned())
}

/// The KAF meeting launch URL `{kaf_base}/virtualEvent/launch?ks=<url-encoded KS>`; the
/// KS carries `resourceId:`/`eventId:`, `role:` and the user's names as privileges.
/// `kaf_base` defaults to [`default_kaf_base`].
///
/// # Errors
/// [`ApiError::InvalidRequest`] when `kaf_base` is not an http(s) URL without a query.
pub fn join_url(
    kaf_base: Option<&str>,
    partner_id: PartnerId,
    ks: &Ks,
) -> Result<JoinUrl, ApiError> {
    let base = match kaf_base {
        Some(b) => base(b, "KAF base")?,
        None => default_kaf_base(partner_id),
    };
    let ks: String = form_urlencoded::byte_serialize(ks.expose().as_bytes()).collect();
    Ok(JoinUrl(format!("{base}/virtualEvent/launch?ks={ks}")))
}

/// The PlayKit iframe URL
/// `{cdn}/p/{pid}/embedPlaykitJs/uiconf_id/{uiconf}?iframeembed=true&entry_id={entry}`.
/// `cdn` defaults to [`DEFAULT_CDN_URL`].
///
/// # Errors
/// [`ApiError::InvalidRequest`] when `cdn` is not an http(s) URL without a query.
pub fn player_embed_url(
    cdn: Option<&str>,
    partner_id: PartnerId,
    uiconf_id: UiConfId,
    entry_id: &EntryId,
) -> Result<String, ApiError> {
    let cdn = base(cdn.unwrap_or(DEFAULT_CDN_URL), "CDN URL")?;
    Ok(format!(
        "{cdn}/p/{partner_id}/embedPlaykitJs/uiconf_id/{uiconf_id}?iframeembed=true&entry_id={entry_id}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok<T, E: std::fmt::Debug>(r: Result<T, E>) -> T {
        match r {
            Ok(v) => v,
            Err(e) => panic!("unexpected error: {e:?}"),
        }
    }

    #[test]
    fn the_join_url_url_encodes_the_ks_on_the_default_kaf_host() {
        let pid = ok(PartnerId::new(1_234_567));
        let ks = ok(Ks::new("djJ8MTIz+/x_y-z=="));
        let url = ok(join_url(None, pid, &ks));
        assert_eq!(
            url.expose(),
            "https://1234567.kaf.kaltura.com/virtualEvent/launch?ks=djJ8MTIz%2B%2Fx_y-z%3D%3D"
        );
        assert_eq!(format!("{url:?}"), "JoinUrl([redacted])");
    }

    #[test]
    fn the_join_url_uses_a_configured_kaf_base() {
        let pid = ok(PartnerId::new(5));
        let ks = ok(Ks::new("abc"));
        let url = ok(join_url(Some("http://127.0.0.1:8080/kaf/"), pid, &ks));
        assert_eq!(
            url.expose(),
            "http://127.0.0.1:8080/kaf/virtualEvent/launch?ks=abc"
        );
        assert!(join_url(Some("javascript:alert(1)"), pid, &ks).is_err());
        assert!(join_url(Some("https://x/?a=b"), pid, &ks).is_err());
    }

    #[test]
    fn the_player_embed_url_has_the_playkit_form() {
        let url = ok(player_embed_url(
            None,
            ok(PartnerId::new(1_234_567)),
            ok(UiConfId::new(4_321)),
            &ok(EntryId::new("0_abc123")),
        ));
        assert_eq!(
            url,
            "https://cdnapisec.kaltura.com/p/1234567/embedPlaykitJs/uiconf_id/4321?iframeembed=true&entry_id=0_abc123"
        );
    }
}
