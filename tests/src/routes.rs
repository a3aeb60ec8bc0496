//! HTTP trigger routing as Spin does it: exact routes and `/prefix/...` wildcards, the
//! most specific match wins, and the `spin-*` headers Spin adds to every request.

use crate::manifest::HttpTrigger;

/// A trigger route that matched a request path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteMatch {
    /// The component to run.
    pub component: String,
    /// The route as written in spin.toml, e.g. `/api/v1/...`.
    pub raw_route: String,
    /// The route without a trailing `/...`, e.g. `/api/v1`.
    pub component_route: String,
    /// The part of the path after `component_route` (Spin's `spin-path-info`).
    pub path_info: String,
}

/// Picks the trigger for `path`: an exact route beats any wildcard, and a longer
/// wildcard prefix beats a shorter one. `None` means Spin would answer 404.
pub fn find(triggers: &[HttpTrigger], path: &str) -> Option<RouteMatch> {
    let mut best: Option<(usize, RouteMatch)> = None;
    for trigger in triggers {
        let (score, matched) = if let Some(prefix) = trigger.route.strip_suffix("/...") {
            let prefix = prefix.trim_end_matches('/');
            let under = path == prefix
                || path
                    .strip_prefix(prefix)
                    .is_some_and(|rest| rest.starts_with('/'))
                || prefix.is_empty();
            if !under {
                continue;
            }
            (
                prefix.len(),
                RouteMatch {
                    component: trigger.component.clone(),
                    raw_route: trigger.route.clone(),
                    component_route: prefix.to_owned(),
                    path_info: path[prefix.len()..].to_owned(),
                },
            )
        } else if trigger.route == path {
            (
                usize::MAX,
                RouteMatch {
                    component: trigger.component.clone(),
                    raw_route: trigger.route.clone(),
                    component_route: trigger.route.clone(),
                    path_info: String::new(),
                },
            )
        } else {
            continue;
        };
        if best.as_ref().is_none_or(|(s, _)| score > *s) {
            best = Some((score, matched));
        }
    }
    best.map(|(_, matched)| matched)
}

/// The headers Spin sets on a request it routes, with their values.
pub fn spin_headers(
    matched: &RouteMatch,
    full_url: &str,
    client_addr: &str,
) -> Vec<(&'static str, String)> {
    vec![
        ("spin-full-url", full_url.to_owned()),
        ("spin-path-info", matched.path_info.clone()),
        ("spin-matched-route", matched.raw_route.clone()),
        ("spin-base-path", "/".to_owned()),
        ("spin-raw-component-route", matched.raw_route.clone()),
        ("spin-component-route", matched.component_route.clone()),
        ("spin-client-addr", client_addr.to_owned()),
    ]
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

    fn triggers() -> Vec<HttpTrigger> {
        vec![
            trigger("/...", "fallback"),
            trigger("/api/v1/...", "gateway"),
            trigger("/api/v1/special", "special"),
            trigger("/discord/interactions", "bot"),
        ]
    }

    #[test]
    fn an_exact_route_beats_a_wildcard() {
        assert_eq!(
            find(&triggers(), "/api/v1/special").unwrap().component,
            "special"
        );
    }

    #[test]
    fn the_longest_wildcard_wins_and_path_info_is_the_rest() {
        let matched = find(&triggers(), "/api/v1/health").unwrap();
        assert_eq!(matched.component, "gateway");
        assert_eq!(matched.path_info, "/health");
        assert_eq!(matched.component_route, "/api/v1");
    }

    #[test]
    fn a_wildcard_matches_its_own_prefix_but_not_a_longer_word() {
        assert_eq!(find(&triggers(), "/api/v1").unwrap().component, "gateway");
        assert_eq!(find(&triggers(), "/api/v10").unwrap().component, "fallback");
    }

    #[test]
    fn an_exact_route_does_not_match_below_itself() {
        let only = vec![trigger("/discord/interactions", "bot")];
        assert!(find(&only, "/discord/interactions/x").is_none());
        assert!(find(&only, "/discord").is_none());
    }
}
