//! The `/api/v1` route table: each route's method, path pattern, the scope it needs and
//! whether it is deprecated. The same table drives dispatch, `405`/`Allow`, and the
//! OpenAPI document, so they cannot disagree.

use crate::services::Scope;

/// Who may call a route. Routes whose path has a `{guild_id}` are also refused (403)
/// to a credential for another server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone (health, readiness, sign-in, the OpenAPI document).
    Public,
    /// Any valid access token or API key.
    Authenticated,
    /// A valid access token or API key carrying this scope.
    Scope(Scope),
    /// A signed-in member's access token (not an API key) carrying this scope.
    Member(Scope),
    /// The deployment's administrator only: the `gateway_admin_token` secret, never a
    /// server's credential (see [`crate::auth::AdminToken`]).
    DeploymentAdmin,
}

impl Access {
    /// The scope the route needs, if any.
    pub fn scope(self) -> Option<Scope> {
        match self {
            Self::Scope(scope) | Self::Member(scope) => Some(scope),
            Self::Public | Self::Authenticated | Self::DeploymentAdmin => None,
        }
    }

    /// Whether a credential is needed.
    pub fn needs_credential(self) -> bool {
        self != Self::Public
    }
}

/// A route marked deprecated: answered with `Deprecation` and `Sunset` headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deprecation {
    /// When it was deprecated, as an HTTP date.
    pub since: &'static str,
    /// When it will be removed, as an HTTP date.
    pub sunset: &'static str,
    /// The route to use instead.
    pub successor: &'static str,
}

/// One route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    /// A stable name, used by dispatch and as the OpenAPI `operationId`.
    pub name: &'static str,
    /// The method.
    pub method: &'static str,
    /// The path, with `{param}` segments.
    pub path: &'static str,
    /// Who may call it.
    pub access: Access,
    /// Deprecation, if any.
    pub deprecated: Option<Deprecation>,
    /// One line for the OpenAPI document.
    pub summary: &'static str,
}

/// The result of matching a request against the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Match<'t> {
    /// A route, with its path parameters in order.
    Found(&'t Route, Vec<(&'static str, String)>),
    /// The path exists but not for this method; lists the methods it has.
    WrongMethod(Vec<&'static str>),
    /// No route has this path.
    NotFound,
}

/// Finds the route for `method` and `path` (no query string). A trailing slash is
/// ignored; `HEAD` is answered by `GET` routes.
pub fn find<'t>(table: &'t [Route], method: &str, path: &str) -> Match<'t> {
    let path = if path.len() > 1 {
        path.trim_end_matches('/')
    } else {
        path
    };
    let mut methods = Vec::new();
    for route in table {
        let Some(params) = match_path(route.path, path) else {
            continue;
        };
        if route.method == method || (method == "HEAD" && route.method == "GET") {
            return Match::Found(route, params);
        }
        methods.push(route.method);
    }
    if methods.is_empty() {
        Match::NotFound
    } else {
        Match::WrongMethod(methods)
    }
}

fn match_path(pattern: &'static str, path: &str) -> Option<Vec<(&'static str, String)>> {
    let mut params = Vec::new();
    let mut pattern_parts = pattern.split('/');
    let mut path_parts = path.split('/');
    loop {
        match (pattern_parts.next(), path_parts.next()) {
            (None, None) => return Some(params),
            (Some(p), Some(s)) => {
                if let Some(name) = p.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
                    if s.is_empty() {
                        return None;
                    }
                    params.push((name, s.to_owned()));
                } else if p != s {
                    return None;
                }
            }
            _ => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TABLE: &[Route] = &[
        Route {
            name: "list",
            method: "GET",
            path: "/api/v1/meetings",
            access: Access::Scope(Scope::MeetingsRead),
            deprecated: None,
            summary: "",
        },
        Route {
            name: "create",
            method: "POST",
            path: "/api/v1/meetings",
            access: Access::Scope(Scope::MeetingsWrite),
            deprecated: None,
            summary: "",
        },
        Route {
            name: "get",
            method: "GET",
            path: "/api/v1/meetings/{meeting_id}",
            access: Access::Scope(Scope::MeetingsRead),
            deprecated: None,
            summary: "",
        },
    ];

    #[test]
    fn a_route_matches_with_its_parameters() {
        match find(TABLE, "GET", "/api/v1/meetings/42") {
            Match::Found(route, params) => {
                assert_eq!(route.name, "get");
                assert_eq!(params, vec![("meeting_id", "42".to_owned())]);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_same_path_with_another_method_lists_the_allowed_ones() {
        assert_eq!(
            find(TABLE, "DELETE", "/api/v1/meetings"),
            Match::WrongMethod(vec!["GET", "POST"])
        );
    }

    #[test]
    fn unknown_paths_and_empty_parameters_do_not_match() {
        assert_eq!(find(TABLE, "GET", "/api/v2/meetings"), Match::NotFound);
        assert_eq!(find(TABLE, "GET", "/api/v1/meetings/42/x"), Match::NotFound);
        assert!(
            matches!(find(TABLE, "GET", "/api/v1/meetings/"), Match::Found(r, _) if r.name == "list")
        );
    }
}
