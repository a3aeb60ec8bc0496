//! `allowed_outbound_hosts`, as Spin reads it: `scheme://host[:port]` where scheme,
//! host and port may be `*`, the host may be `*.suffix`, the port a range `a-b`, and a
//! missing port means the scheme's default. A request outside the list is refused.

use anyhow::{bail, Context, Result};

/// One parsed entry of `allowed_outbound_hosts`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedHost {
    scheme: Option<String>,
    host: HostPattern,
    ports: Option<(u16, u16)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum HostPattern {
    Any,
    Exact(String),
    Subdomains(String),
}

impl AllowedHost {
    /// Parses one expanded entry.
    ///
    /// # Errors
    /// An entry Spin would refuse: no scheme, a path, or a bad port.
    pub fn parse(entry: &str) -> Result<Self> {
        if entry == "insecure:allow-all" {
            return Ok(Self {
                scheme: None,
                host: HostPattern::Any,
                ports: None,
            });
        }
        let (scheme, rest) = entry
            .split_once("://")
            .with_context(|| format!("allowed host `{entry}` has no scheme"))?;
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        if rest.contains('/') {
            bail!("allowed host `{entry}` must not have a path");
        }
        let (host, port) = match rest.rsplit_once(':') {
            Some((host, port)) if !host.ends_with(']') || rest.starts_with('[') => {
                (host, Some(port))
            }
            _ => (rest, None),
        };
        let scheme = (scheme != "*").then(|| scheme.to_ascii_lowercase());
        let ports = match port {
            Some("*") => None,
            Some(port) => Some(parse_ports(port, entry)?),
            None => {
                let default = match scheme.as_deref() {
                    Some("http") => 80,
                    Some("https") => 443,
                    _ => bail!("allowed host `{entry}` needs a port for its scheme"),
                };
                Some((default, default))
            }
        };
        let host = match host {
            "*" => HostPattern::Any,
            h if h.starts_with("*.") => HostPattern::Subdomains(h[1..].to_ascii_lowercase()),
            "" => bail!("allowed host `{entry}` has no host"),
            h => HostPattern::Exact(h.to_ascii_lowercase()),
        };
        Ok(Self {
            scheme,
            host,
            ports,
        })
    }

    /// Whether a request to `scheme://host:port` is allowed by this entry.
    pub fn allows(&self, scheme: &str, host: &str, port: u16) -> bool {
        let host = host.to_ascii_lowercase();
        self.scheme.as_deref().is_none_or(|s| s == scheme)
            && match &self.host {
                HostPattern::Any => true,
                HostPattern::Exact(exact) => *exact == host,
                HostPattern::Subdomains(suffix) => host.ends_with(suffix.as_str()),
            }
            && self
                .ports
                .is_none_or(|(low, high)| (low..=high).contains(&port))
    }
}

fn parse_ports(port: &str, entry: &str) -> Result<(u16, u16)> {
    let parse = |p: &str| {
        p.parse::<u16>()
            .with_context(|| format!("allowed host `{entry}` has a bad port"))
    };
    match port.split_once('-') {
        Some((low, high)) => Ok((parse(low)?, parse(high)?)),
        None => {
            let port = parse(port)?;
            Ok((port, port))
        }
    }
}

/// Whether any entry allows the URI; a URI without a host is refused.
pub fn is_allowed(allowed: &[AllowedHost], uri: &http::Uri) -> bool {
    let scheme = uri.scheme_str().unwrap_or("https");
    let Some(host) = uri.host() else {
        return false;
    };
    let port = uri
        .port_u16()
        .unwrap_or(if scheme == "http" { 80 } else { 443 });
    allowed.iter().any(|entry| entry.allows(scheme, host, port))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allowed(entries: &[&str], uri: &str) -> bool {
        let list: Vec<AllowedHost> = entries
            .iter()
            .map(|e| AllowedHost::parse(e).unwrap())
            .collect();
        is_allowed(&list, &uri.parse().unwrap())
    }

    #[test]
    fn the_default_port_of_the_scheme_is_implied() {
        assert!(allowed(
            &["https://discord.com"],
            "https://discord.com/api/v10/x"
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
    fn explicit_ports_wildcards_and_ranges_work() {
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
        assert!(allowed(
            &["http://localhost:4000-4010"],
            "http://localhost:4005/"
        ));
    }

    #[test]
    fn an_entry_with_a_path_is_refused_as_spin_does() {
        assert!(AllowedHost::parse("https://discord.com/api").is_err());
        assert!(AllowedHost::parse("discord.com").is_err());
    }
}
