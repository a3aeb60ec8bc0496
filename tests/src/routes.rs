//! HTTP trigger routing as Spin does it (`crates/routes/src/lib.rs`), on the same
//! `routefinder` crate: routes are sanitized (a single trailing `/` dropped), `/...` and
//! `/*` are trailing wildcards, a later duplicate route replaces an earlier one, and
//! routefinder picks the best match. The `spin-*` headers Spin computes for a match are
//! in [`spin_headers`] (`crates/trigger-http/src/headers.rs`).

use crate::manifest::HttpTrigger;
use anyhow::{anyhow, Result};
use std::net::SocketAddr;

/// The prefix of the paths Spin answers itself, before routing.
pub const WELL_KNOWN_PREFIX: &str = "/.well-known/spin/";

#[derive(Debug, Clone)]
struct Handler {
    component: String,
    based_route: String,
    raw_route: String,
}

/// The routes of an app's HTTP triggers.
#[derive(Debug)]
pub struct Router {
    routes: routefinder::Router<Handler>,
}

/// A trigger route that matched a request path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteMatch {
    /// The component to run.
    pub component: String,
    /// The route as written in spin.toml, e.g. `/api/v1/...`.
    pub raw_route: String,
    /// The route with the (empty) base, e.g. `/api/v1/...` (Spin's `spin-matched-route`).
    pub based_route: String,
    /// The part of the path the trailing wildcard matched (Spin's `spin-path-info`).
    pub path_info: String,
    /// Named wildcards (`:name`) and what they matched.
    pub named_wildcards: Vec<(String, String)>,
}

impl RouteMatch {
    /// The raw route without its trailing `/...` (Spin's `spin-component-route`).
    pub fn raw_route_or_prefix(&self) -> &str {
        self.raw_route
            .strip_suffix("/...")
            .unwrap_or(&self.raw_route)
    }
}

impl Router {
    /// Builds the router of `triggers`, as Spin builds it with base `/`.
    ///
    /// # Errors
    /// A route routefinder cannot parse.
    pub fn build(triggers: &[HttpTrigger]) -> Result<Self> {
        // A later trigger with the same raw route replaces the earlier one in place.
        let mut entries: Vec<(String, String)> = Vec::new();
        for trigger in triggers {
            match entries.iter_mut().find(|(raw, _)| *raw == trigger.route) {
                Some(entry) => entry.1 = trigger.component.clone(),
                None => entries.push((trigger.route.clone(), trigger.component.clone())),
            }
        }
        let mut routes = routefinder::Router::new();
        for (raw_route, component) in entries {
            let based_route = sanitize(&absolutize(&raw_route));
            let spec = if let Some(prefix) = based_route.strip_suffix("/...") {
                format!("{prefix}/*")
            } else {
                based_route.clone()
            };
            let handler = Handler {
                component: component.clone(),
                based_route: based_route.clone(),
                raw_route,
            };
            routes.add(spec.as_str(), handler).map_err(|e| {
                anyhow!(
                    "Error parsing route {based_route} associated with component {component}: {e}"
                )
            })?;
        }
        Ok(Self { routes })
    }

    /// The trigger for `path`, or `None` (Spin answers 404).
    pub fn route(&self, path: &str) -> Option<RouteMatch> {
        let found = self.routes.best_match(path)?;
        let handler = found.handler();
        let captures = found.captures();
        // Spin keeps the trailing slash routefinder drops.
        let path_info = captures
            .wildcard()
            .map(
                |wildcard| match (wildcard.is_empty(), path.ends_with('/')) {
                    (true, false) => String::new(),
                    (true, true) => "/".to_owned(),
                    (false, false) => format!("/{wildcard}"),
                    (false, true) => format!("/{wildcard}/"),
                },
            )
            .unwrap_or_default();
        Some(RouteMatch {
            component: handler.component.clone(),
            raw_route: handler.raw_route.clone(),
            based_route: handler.based_route.clone(),
            path_info,
            named_wildcards: captures
                .iter()
                .map(|(name, value)| (name.to_owned(), value.to_owned()))
                .collect(),
        })
    }
}

fn absolutize(route: &str) -> String {
    if route.starts_with('/') {
        route.to_owned()
    } else {
        format!("/{route}")
    }
}

/// Drops a single trailing `/`, as Spin does.
fn sanitize(route: &str) -> String {
    route.strip_suffix('/').unwrap_or(route).to_owned()
}

/// The headers Spin adds to a routed request, in Spin's order, after the client's own
/// (which it keeps, even those named `spin-*`). `host` is the request's `Host` header
/// (`localhost` when absent) and `scheme` the server's.
pub fn spin_headers(
    matched: &RouteMatch,
    scheme: &str,
    host: &str,
    path_and_query: &str,
    client: SocketAddr,
) -> Vec<(String, String)> {
    let mut headers = vec![
        ("spin-path-info".to_owned(), matched.path_info.clone()),
        (
            "spin-full-url".to_owned(),
            format!("{scheme}://{host}{path_and_query}"),
        ),
        ("spin-matched-route".to_owned(), matched.based_route.clone()),
        ("spin-base-path".to_owned(), "/".to_owned()),
        (
            "spin-raw-component-route".to_owned(),
            matched.raw_route.clone(),
        ),
        (
            "spin-component-route".to_owned(),
            matched.raw_route_or_prefix().to_owned(),
        ),
        ("spin-client-addr".to_owned(), client.to_string()),
    ];
    for (name, value) in &matched.named_wildcards {
        headers.push((
            format!("spin-path-match-{}", name.to_ascii_lowercase()).replace('_', "-"),
            value.clone(),
        ));
    }
    headers
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trigger(route: &str, component: &str) -> HttpTrigger {
        HttpTrigger {
            route: route.into(),
            component: component.into(),
            executor: None,
        }
    }

    fn router() -> Router {
        Router::build(&[
            trigger("/...", "fallback"),
            trigger("/api/v1/...", "gateway"),
            trigger("/api/v1/special", "special"),
            trigger("/discord/interactions", "bot"),
        ])
        .unwrap()
    }

    #[test]
    fn an_exact_route_beats_a_wildcard() {
        assert_eq!(
            router().route("/api/v1/special").unwrap().component,
            "special"
        );
    }

    #[test]
    fn the_longest_wildcard_wins_and_path_info_is_the_rest() {
        let matched = router().route("/api/v1/health").unwrap();
        assert_eq!(matched.component, "gateway");
        assert_eq!(matched.path_info, "/health");
        assert_eq!(matched.raw_route_or_prefix(), "/api/v1");
    }

    #[test]
    fn a_wildcard_matches_its_own_prefix_but_not_a_longer_word() {
        assert_eq!(router().route("/api/v1").unwrap().component, "gateway");
        assert_eq!(router().route("/api/v1").unwrap().path_info, "");
        assert_eq!(router().route("/api/v1/").unwrap().path_info, "/");
        assert_eq!(router().route("/api/v10").unwrap().component, "fallback");
    }

    #[test]
    fn path_info_keeps_a_trailing_slash_as_spin_does() {
        assert_eq!(router().route("/api/v1/a/b/").unwrap().path_info, "/a/b/");
    }

    #[test]
    fn an_exact_route_does_not_match_below_itself() {
        let only = Router::build(&[trigger("/discord/interactions", "bot")]).unwrap();
        assert!(only.route("/discord/interactions/x").is_none());
        assert!(only.route("/discord").is_none());
    }

    #[test]
    fn a_later_duplicate_route_replaces_the_earlier_one() {
        let router = Router::build(&[trigger("/a", "first"), trigger("/a", "second")]).unwrap();
        assert_eq!(router.route("/a").unwrap().component, "second");
    }

    #[test]
    fn spin_headers_come_in_spins_order_with_the_host_headers_authority() {
        let matched = router().route("/api/v1/health").unwrap();
        let client: SocketAddr = "127.0.0.1:4000".parse().unwrap();
        let headers = spin_headers(
            &matched,
            "http",
            "example.test:80",
            "/api/v1/health?x=1",
            client,
        );
        let names: Vec<&str> = headers.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "spin-path-info",
                "spin-full-url",
                "spin-matched-route",
                "spin-base-path",
                "spin-raw-component-route",
                "spin-component-route",
                "spin-client-addr"
            ]
        );
        assert_eq!(headers[1].1, "http://example.test:80/api/v1/health?x=1");
        assert_eq!(headers[6].1, "127.0.0.1:4000");
    }
}
