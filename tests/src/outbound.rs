//! `allowed_outbound_hosts`, as Spin reads and enforces it
//! (`crates/outbound-networking-config/src/allowed_hosts.rs`): `scheme://host[:port]`
//! where the scheme is alphabetic or `*`, the host is `*`, `*.domain`, a domain, an IP
//! address or a CIDR range, the port is `*`, a number or a half-open range `a..b`, and a
//! missing port means the scheme's well-known one. An entry whose template resolves to
//! nothing (``, `http://`, `https://`) is skipped; `insecure:allow-all` is refused.
//! Requests are checked after `url` parses them.

use anyhow::{bail, ensure, Context, Result};
use std::ops::Range;
use url::Host;

/// One parsed entry of `allowed_outbound_hosts`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedHost {
    scheme: Option<String>,
    host: HostPattern,
    /// `None` is any port; otherwise a half-open range.
    ports: Option<Range<u32>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum HostPattern {
    Any,
    AnySubdomain(String),
    ToSelf,
    Literal(Host),
    Cidr(ip_network::IpNetwork),
}

fn well_known_port(scheme: &str) -> Option<u16> {
    match scheme {
        "postgres" => Some(5432),
        "mysql" => Some(3306),
        "redis" => Some(6379),
        "mqtt" => Some(1883),
        "http" => Some(80),
        "https" => Some(443),
        _ => None,
    }
}

impl AllowedHost {
    /// Parses one expanded entry.
    ///
    /// # Errors
    /// An entry Spin refuses: no scheme, a path, a bad host or port.
    pub fn parse(entry: &str) -> Result<Self> {
        let url = entry.trim();
        let Some((scheme, rest)) = url.split_once("://") else {
            bail!("{url:?} does not contain a scheme (e.g., 'http://' or '*://')");
        };
        let (host, port) = match rest.rsplit_once(':') {
            None => (rest, ""),
            Some((host, "")) => (host, ""),
            Some((host, tail)) => {
                if parse_host(rest).is_ok() {
                    (rest, "")
                } else {
                    let port = match tail.split_once('/') {
                        Some((port, path)) => {
                            ensure!(path.is_empty(), "{url:?} has a path but is not allowed to");
                            port
                        }
                        None => tail,
                    };
                    (host, port)
                }
            }
        };
        let ports = parse_ports(port, scheme)
            .with_context(|| format!("Invalid allowed host port {port:?}"))?;
        let scheme = match scheme {
            "*" => None,
            s if s.starts_with('{') => {
                bail!("Invalid allowed host scheme {s:?}: scheme lists are not supported")
            }
            s if s.chars().any(|c| !c.is_alphabetic()) => {
                bail!("Invalid allowed host scheme {s:?}: only alphabetic characters are allowed")
            }
            s => Some(s.to_owned()),
        };
        let host = parse_host(host).with_context(|| format!("Invalid allowed host {host:?}"))?;
        Ok(Self {
            scheme,
            host,
            ports,
        })
    }

    fn allows(&self, scheme: &str, host: &str, port: Option<u16>) -> bool {
        let scheme_ok = self.scheme.as_deref().is_none_or(|s| s == scheme);
        let host_ok = match Host::parse(host) {
            Err(_) => false,
            Ok(host) => match (&self.host, host) {
                (HostPattern::Any, _) => true,
                (HostPattern::AnySubdomain(suffix), Host::Domain(domain)) => {
                    domain.ends_with(suffix.as_str())
                }
                (HostPattern::Literal(literal), host) => host == *literal,
                (HostPattern::Cidr(net), Host::Ipv4(ip)) => net.contains(ip),
                (HostPattern::Cidr(net), Host::Ipv6(ip)) => net.contains(ip),
                _ => false,
            },
        };
        let port_ok = match &self.ports {
            None => true,
            Some(range) => port
                .or_else(|| well_known_port(scheme))
                .is_some_and(|port| range.contains(&u32::from(port))),
        };
        scheme_ok && host_ok && port_ok
    }
}

fn parse_host(host: &str) -> Result<HostPattern> {
    let mut host = host.trim();
    if host == "*" {
        return Ok(HostPattern::Any);
    }
    if host == "self" || host == "self.alt" {
        return Ok(HostPattern::ToSelf);
    }
    if host.starts_with('{') {
        bail!("host lists are not yet supported");
    }
    if let Ok(net) = ip_network::IpNetwork::from_str_truncate(host) {
        return Ok(HostPattern::Cidr(net));
    }
    host = host.strip_suffix('/').unwrap_or(host);
    ensure!(!host.contains('/'), "must not include a path");
    if let Some(domain) = host.strip_prefix("*.") {
        ensure!(
            !domain.contains('*'),
            "wildcards are allowed only as prefixes"
        );
        let Host::Domain(domain) =
            Host::parse(domain).with_context(|| format!("invalid wildcard host \"*.{domain}\""))?
        else {
            bail!("wildcard suffix must be a domain");
        };
        return Ok(HostPattern::AnySubdomain(format!(".{domain}")));
    }
    ensure!(
        !host.contains('*'),
        "wildcards are allowed only as subdomains"
    );
    Ok(HostPattern::Literal(Host::parse(host)?))
}

/// `None` is any port.
fn parse_ports(port: &str, scheme: &str) -> Result<Option<Range<u32>>> {
    if port.is_empty() {
        let port = well_known_port(scheme).with_context(|| {
            format!("no port was provided and the scheme {scheme:?} does not have a known default port number")
        })?;
        return Ok(Some(u32::from(port)..u32::from(port) + 1));
    }
    if port == "*" {
        return Ok(None);
    }
    if port.starts_with('{') {
        bail!("port lists are not yet supported");
    }
    if let Some((start, end)) = port.split_once("..") {
        let start: u16 = start
            .parse()
            .with_context(|| format!("port range {port:?} contains non-number"))?;
        let end: u16 = end
            .parse()
            .with_context(|| format!("port range {port:?} contains non-number"))?;
        return Ok(Some(u32::from(start)..u32::from(end)));
    }
    let port: u16 = port
        .parse()
        .with_context(|| format!("port {port:?} is not a number"))?;
    Ok(Some(u32::from(port)..u32::from(port) + 1))
}

/// A component's resolved `allowed_outbound_hosts`.
#[derive(Debug, Clone, Default)]
pub struct AllowedHosts {
    hosts: Vec<AllowedHost>,
}

impl AllowedHosts {
    /// Parses the entries (templates already expanded), skipping those that resolve to
    /// nothing, as Spin does.
    ///
    /// # Errors
    /// An entry Spin refuses, or `insecure:allow-all`.
    pub fn parse(entries: &[String]) -> Result<Self> {
        if entries.len() == 1 && entries[0] == "insecure:allow-all" {
            bail!("'insecure:allow-all' is not allowed - use '*://*:*' instead if you really want to allow all outbound traffic'");
        }
        let mut hosts = Vec::new();
        for entry in entries {
            if entry.is_empty() || entry == "http://" || entry == "https://" {
                continue;
            }
            hosts.push(AllowedHost::parse(entry)?);
        }
        Ok(Self { hosts })
    }

    /// Whether a request to `uri` may go out. A URI `url` cannot parse, or without a
    /// host, is refused (relative "self" requests are not supported by this host).
    pub fn allows(&self, uri: &str) -> bool {
        let Ok(url) = url::Url::parse(uri) else {
            return false;
        };
        let Some(host) = url.host_str() else {
            return false;
        };
        self.hosts
            .iter()
            .any(|h| h.allows(url.scheme(), host, url.port()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allowed(entries: &[&str], uri: &str) -> bool {
        let entries: Vec<String> = entries.iter().map(|e| (*e).to_owned()).collect();
        AllowedHosts::parse(&entries).unwrap().allows(uri)
    }

    #[test]
    fn the_default_port_of_the_scheme_is_implied() {
        assert!(allowed(
            &["https://discord.com"],
            "https://discord.com/api/v10/x"
        ));
        assert!(allowed(
            &["https://discord.com"],
            "https://discord.com:443/x"
        ));
        assert!(!allowed(
            &["https://discord.com"],
            "https://discord.com:8443/x"
        ));
        assert!(!allowed(&["https://discord.com"], "http://discord.com/x"));
    }

    #[test]
    fn a_different_host_is_refused() {
        assert!(!allowed(&["https://discord.com"], "https://evil.example/x"));
        assert!(!allowed(&[], "https://discord.com/x"));
    }

    #[test]
    fn explicit_ports_wildcards_cidrs_and_half_open_ranges_work() {
        assert!(allowed(
            &["http://127.0.0.1:4000"],
            "http://127.0.0.1:4000/x"
        ));
        assert!(!allowed(
            &["http://127.0.0.1:4000"],
            "http://127.0.0.1:4001/x"
        ));
        assert!(allowed(&["http://127.0.0.1:*"], "http://127.0.0.1:4001/x"));
        assert!(allowed(
            &["https://*.kaltura.com"],
            "https://www.kaltura.com/x"
        ));
        assert!(!allowed(
            &["https://*.kaltura.com"],
            "https://kaltura.com/x"
        ));
        assert!(allowed(&["http://10.0.0.0/8:80"], "http://10.1.2.3/"));
        assert!(allowed(
            &["http://localhost:4000..4010"],
            "http://localhost:4009/"
        ));
        assert!(!allowed(
            &["http://localhost:4000..4010"],
            "http://localhost:4010/"
        ));
    }

    #[test]
    fn entries_spin_refuses_are_refused() {
        for bad in [
            "https://discord.com/api",
            "discord.com",
            "http://localhost:4000-4010",
            "ftp://example.com",
            "https://*example.com",
        ] {
            assert!(AllowedHost::parse(bad).is_err(), "{bad}");
        }
        assert!(AllowedHosts::parse(&["insecure:allow-all".to_owned()]).is_err());
    }

    #[test]
    fn an_entry_that_resolves_to_nothing_is_skipped() {
        let hosts = AllowedHosts::parse(&["https://".to_owned(), String::new()]).unwrap();
        assert!(!hosts.allows("https://discord.com/"));
    }
}
