//! Matching a request against a route table: each route's method and path pattern,
//! with what it leads to (`E`, the table's endpoint type), whether it is deprecated and
//! a summary for the documentation. Knows nothing of this API's endpoints: the table
//! is [`crate::routes::ROUTES`].

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

/// One route, leading to `endpoint`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route<E> {
    /// A stable name: the OpenAPI `operationId`, and the route in logs.
    pub name: &'static str,
    /// The method.
    pub method: &'static str,
    /// The path, with `{param}` segments.
    pub path: &'static str,
    /// What it leads to.
    pub endpoint: E,
    /// Deprecation, if any.
    pub deprecated: Option<Deprecation>,
    /// One line for the OpenAPI document.
    pub summary: &'static str,
}

/// The result of matching a request against the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Match<'t, E> {
    /// A route, with its path parameters in order.
    Found(&'t Route<E>, Vec<(&'static str, String)>),
    /// The path exists but not for this method; lists the methods it has.
    WrongMethod(Vec<&'static str>),
    /// No route has this path.
    NotFound,
}

/// Finds the route for `method` and `path` (no query string). A trailing slash is
/// ignored; `HEAD` is answered by `GET` routes.
pub fn find<'t, E>(table: &'t [Route<E>], method: &str, path: &str) -> Match<'t, E> {
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

    const fn route(name: &'static str, method: &'static str, path: &'static str) -> Route<u8> {
        Route {
            name,
            method,
            path,
            endpoint: 0,
            deprecated: None,
            summary: "",
        }
    }

    const TABLE: &[Route<u8>] = &[
        route("list", "GET", "/api/v1/meetings"),
        route("create", "POST", "/api/v1/meetings"),
        route("get", "GET", "/api/v1/meetings/{meeting_id}"),
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
