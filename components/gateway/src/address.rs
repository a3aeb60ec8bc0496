//! The client's address, for the per-address rate limit.
//!
//! Spin reports the peer of the TCP connection in `spin-client-addr`, appended after
//! the client's own headers: only the last value is Spin's (the component reads it
//! with `spin_adapter::ReadRequest::spin_header`). Behind a reverse proxy that peer is
//! the proxy, for every client. A deployment names its proxies in
//! [`TRUSTED_PROXIES_SETTING`]; only when the peer is one of them is `X-Forwarded-For`
//! read, from the right (each proxy appends the address it saw), skipping the trusted
//! hops: the first address that is not a trusted proxy is the client. Anything further
//! left was written by the client itself and is never believed.
//!
//! The rate limit counts an IPv4 client by its address and an IPv6 client by its /64
//! network ([`subject`]): one host is commonly given a whole /64, and counting single
//! IPv6 addresses would give it 2^64 buckets and the store as many keys.

use ipnet::IpNet;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};

/// The variable naming the reverse proxies whose `X-Forwarded-For` is believed:
/// comma-separated IP addresses or CIDR ranges; empty trusts none.
pub const TRUSTED_PROXIES_SETTING: &str = "gateway_trusted_proxies";

/// The reverse proxies in front of the app, as the deployment names them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// Reads [`TRUSTED_PROXIES_SETTING`]'s value (`None`: trust no proxy).
    ///
    /// # Errors
    /// The setting's name when an entry is neither an IP address nor a CIDR range.
    pub fn from_setting(value: Option<&str>) -> Result<Self, &'static str> {
        let mut nets = Vec::new();
        for entry in value.unwrap_or_default().split(',').map(str::trim) {
            if entry.is_empty() {
                continue;
            }
            let net = match entry.parse::<IpNet>() {
                Ok(net) => net.trunc(),
                Err(_) => entry
                    .parse::<IpAddr>()
                    .map(|ip| IpNet::from(ip.to_canonical()))
                    .map_err(|_| TRUSTED_PROXIES_SETTING)?,
            };
            nets.push(net);
        }
        Ok(Self(nets))
    }

    /// Whether `ip` is one of the trusted proxies.
    pub fn trusts(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.0.iter().any(|net| net.contains(&ip))
    }
}

/// An address as a header gives it: `1.2.3.4`, `1.2.3.4:5678`, `::1`, `[::1]` or
/// `[::1]:5678`, IPv4-mapped IPv6 read as IPv4.
fn parse(text: &str) -> Option<IpAddr> {
    let text = text.trim();
    let ip = text
        .parse::<IpAddr>()
        .ok()
        .or_else(|| text.parse::<SocketAddr>().ok().map(|s| s.ip()))
        .or_else(|| {
            text.strip_prefix('[')?
                .strip_suffix(']')?
                .parse::<Ipv6Addr>()
                .ok()
                .map(IpAddr::V6)
        })?;
    Some(ip.to_canonical())
}

/// The client's address: Spin's `peer` (the last `spin-client-addr`), or, when the peer
/// is a trusted proxy, the rightmost `X-Forwarded-For` hop that is not one (the values
/// of every `X-Forwarded-For` header, in order). When a hop cannot be read, or every
/// hop is trusted, the last trusted hop before it stands for the client: a proxy the
/// deployment trusts, never an address the client chose. `None` without a readable
/// peer.
pub fn client(peer: &str, forwarded_for: &[String], trusted: &TrustedProxies) -> Option<IpAddr> {
    let mut client = parse(peer)?;
    if !trusted.trusts(client) {
        return Some(client);
    }
    let hops: Vec<&str> = forwarded_for
        .iter()
        .flat_map(|value| value.split(','))
        .collect();
    for hop in hops.into_iter().rev() {
        let Some(ip) = parse(hop) else {
            return Some(client);
        };
        client = ip;
        if !trusted.trusts(ip) {
            break;
        }
    }
    Some(client)
}

/// What the per-address rate limit counts: an IPv4 address as it is, an IPv6 address
/// by its /64 network (written as the network's address, e.g. `2001:db8:1:2::`).
pub fn subject(ip: IpAddr) -> String {
    match ip.to_canonical() {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let network = u128::from(v6) & !u128::from(u64::MAX);
            Ipv6Addr::from(network).to_string()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proxies(setting: &str) -> TrustedProxies {
        TrustedProxies::from_setting(Some(setting)).unwrap()
    }

    fn hops(values: &[&str]) -> Vec<String> {
        values.iter().map(|v| (*v).to_owned()).collect()
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn without_trusted_proxies_the_peer_is_the_client_whatever_it_forwards() {
        let none = TrustedProxies::from_setting(None).unwrap();
        assert_eq!(
            client("203.0.113.7:40000", &hops(&["198.51.100.1"]), &none),
            Some(ip("203.0.113.7"))
        );
        assert_eq!(
            client("[2001:db8::1]:443", &[], &none),
            Some(ip("2001:db8::1"))
        );
        assert_eq!(client("not an address", &[], &none), None);
    }

    #[test]
    fn a_trusted_proxys_forwarded_for_is_read_from_the_right_skipping_trusted_hops() {
        let trusted = proxies("10.0.0.0/8, 192.0.2.1");
        // client, then an inner proxy; the peer is the outer proxy.
        let forwarded = hops(&["198.51.100.9, 192.0.2.1"]);
        assert_eq!(
            client("10.1.2.3:5000", &forwarded, &trusted),
            Some(ip("198.51.100.9"))
        );
        // A client that writes its own X-Forwarded-For only adds hops on the left.
        let spoofed = hops(&["6.6.6.6, 7.7.7.7", "198.51.100.9"]);
        assert_eq!(
            client("10.1.2.3:5000", &spoofed, &trusted),
            Some(ip("198.51.100.9"))
        );
    }

    #[test]
    fn an_untrusted_peers_forwarded_for_is_never_read() {
        let trusted = proxies("10.0.0.1");
        assert_eq!(
            client("203.0.113.7:1", &hops(&["10.0.0.1", "1.1.1.1"]), &trusted),
            Some(ip("203.0.113.7"))
        );
    }

    #[test]
    fn an_unreadable_or_missing_hop_leaves_the_last_trusted_one() {
        let trusted = proxies("10.0.0.0/8");
        assert_eq!(
            client("10.0.0.2:1", &[], &trusted),
            Some(ip("10.0.0.2")),
            "no header: the proxy itself"
        );
        assert_eq!(
            client(
                "10.0.0.2:1",
                &hops(&["1.1.1.1, garbage, 10.0.0.3"]),
                &trusted
            ),
            Some(ip("10.0.0.3"))
        );
        assert_eq!(
            client("10.0.0.2:1", &hops(&["10.0.0.4, 10.0.0.3"]), &trusted),
            Some(ip("10.0.0.4")),
            "every hop trusted: the first proxy"
        );
    }

    #[test]
    fn hops_may_carry_ports_brackets_and_ipv4_mapped_addresses() {
        let trusted = proxies("::ffff:10.0.0.1");
        assert!(trusted.trusts(ip("10.0.0.1")));
        for (hop, expected) in [
            ("198.51.100.1:8080", "198.51.100.1"),
            ("[2001:db8::5]:8080", "2001:db8::5"),
            ("[2001:db8::5]", "2001:db8::5"),
            ("::ffff:198.51.100.2", "198.51.100.2"),
        ] {
            assert_eq!(
                client("[::ffff:10.0.0.1]:1", &hops(&[hop]), &trusted),
                Some(ip(expected)),
                "{hop}"
            );
        }
    }

    #[test]
    fn the_setting_refuses_what_is_not_an_address_or_range() {
        assert_eq!(
            TrustedProxies::from_setting(Some("10.0.0.0/8, proxy.example")),
            Err(TRUSTED_PROXIES_SETTING)
        );
        assert_eq!(
            TrustedProxies::from_setting(Some("10.0.0.0/33")),
            Err(TRUSTED_PROXIES_SETTING)
        );
        assert_eq!(
            TrustedProxies::from_setting(Some(" , ")),
            Ok(TrustedProxies::default())
        );
        assert!(proxies("10.1.2.3/8").trusts(ip("10.200.0.1")));
    }

    #[test]
    fn ipv6_clients_are_counted_by_their_64_network_and_ipv4_by_address() {
        assert_eq!(subject(ip("203.0.113.7")), "203.0.113.7");
        assert_eq!(subject(ip("::ffff:203.0.113.7")), "203.0.113.7");
        assert_eq!(subject(ip("2001:db8:1:2:aaaa::1")), "2001:db8:1:2::");
        assert_eq!(
            subject(ip("2001:db8:1:2:ffff:ffff:ffff:ffff")),
            subject(ip("2001:db8:1:2::9"))
        );
        assert_ne!(subject(ip("2001:db8:1:3::1")), "2001:db8:1:2::");
    }
}
