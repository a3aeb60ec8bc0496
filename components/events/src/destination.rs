//! Which URLs a subscription may send to.
//!
//! A destination is an absolute `https://` URL (`http://` only with
//! `events_allow_http`), without credentials or a fragment, at most 2000 characters.
//! Unless `events_allow_private_destinations` is set, a host that is `localhost` (or
//! under `.localhost`), or a literal address that is loopback, private, shared (CGNAT),
//! link-local, unique-local, unspecified, broadcast or multicast, is refused: the app
//! must not be turned against its own network. The check runs when a subscription is
//! created and again before every attempt (settings may change).
//!
//! A name is not resolved here (a component cannot): a public name that resolves to a
//! private address is stopped only by `allowed_outbound_hosts`, which is why a
//! deployment should allow subscriber hosts by name (README, "Events"), and by the
//! network's egress rules.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use url::{Host, Url};

/// The longest destination URL.
pub const MAX_URL: usize = 2000;

/// Checks `raw` as a destination and returns it parsed.
///
/// # Errors
/// Why it is refused (the URL itself is the caller's, so naming it is fine; it never
/// carries credentials, which are refused).
pub fn check(raw: &str, allow_http: bool, allow_private: bool) -> Result<Url, String> {
    if raw.len() > MAX_URL {
        return Err(format!("url must be at most {MAX_URL} characters"));
    }
    let url = Url::parse(raw).map_err(|_| "url must be an absolute URL".to_owned())?;
    match url.scheme() {
        "https" => {}
        "http" if allow_http => {}
        "http" => return Err("url must use https".into()),
        _ => return Err("url must be an https:// URL".into()),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("url must not carry credentials".into());
    }
    if url.fragment().is_some() {
        return Err("url must not have a fragment".into());
    }
    let private = match url.host() {
        None => return Err("url must name a host".into()),
        Some(Host::Domain(name)) => {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            name == "localhost" || name.ends_with(".localhost")
        }
        Some(Host::Ipv4(ip)) => private_v4(ip),
        Some(Host::Ipv6(ip)) => private_v6(ip),
    };
    if private && !allow_private {
        return Err(
            "url must not point at a loopback, private or link-local address or localhost".into(),
        );
    }
    Ok(url)
}

/// Whether `ip` is an address this app must not be sent to by a subscriber.
pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(ip) => private_v4(ip),
        IpAddr::V6(ip) => private_v6(ip),
    }
}

fn private_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || a == 0
        || (a == 100 && (64..128).contains(&b))
}

fn private_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return private_v4(v4);
    }
    let first = ip.segments()[0];
    ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00
        || (first & 0xffc0) == 0xfe80
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_public_https_url_is_accepted() {
        let url = check("https://hooks.example.com/kd?x=1", false, false).unwrap();
        assert_eq!(url.host_str(), Some("hooks.example.com"));
    }

    #[test]
    fn plain_http_is_refused_unless_allowed() {
        assert!(check("http://hooks.example.com/", false, false).is_err());
        assert!(check("http://hooks.example.com/", true, false).is_ok());
        assert!(check("ftp://hooks.example.com/", true, true).is_err());
    }

    #[test]
    fn loopback_private_and_link_local_literals_and_localhost_are_refused() {
        for url in [
            "https://127.0.0.1/",
            "https://10.1.2.3/",
            "https://172.16.0.1/",
            "https://192.168.1.1/",
            "https://169.254.169.254/latest/meta-data",
            "https://100.64.0.1/",
            "https://0.0.0.0/",
            "https://[::1]/",
            "https://[fe80::1]/",
            "https://[fd00::1]/",
            "https://[::ffff:127.0.0.1]/",
            "https://localhost/",
            "https://LOCALHOST./",
            "https://api.localhost/",
            "https://2130706433/",
            "https://0x7f.1/",
        ] {
            let err = check(url, true, false).unwrap_err();
            assert!(err.contains("loopback"), "{url}: {err}");
            assert!(check(url, true, true).is_ok(), "{url} with private allowed");
        }
    }

    #[test]
    fn credentials_fragments_and_relative_urls_are_refused() {
        assert!(check("https://user:pw@hooks.example.com/", false, false).is_err());
        assert!(check("https://hooks.example.com/#x", false, false).is_err());
        assert!(check("/relative", false, false).is_err());
    }
}
