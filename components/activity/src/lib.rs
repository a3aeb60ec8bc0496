//! The Activity component: serves the Watch together page at `/activity/` — the files
//! of `activity/web/dist`, built from the repository (`npm ci && npm run build`) and
//! embedded at build time (`build.rs`) — with content types, revalidation by ETag and
//! the security headers a Discord Activity needs: a Content-Security-Policy that allows
//! this origin and the configured Kaltura CDN (the player), and `frame-ancestors`
//! Discord's origins and this one.
//!
//! Host-free: [`serve`] answers a request as values; `component` is the thin Spin
//! adapter (WASIp3 by default, WASIp2 with the `wasip2` feature).

mod assets {
    include!(concat!(env!("OUT_DIR"), "/assets.rs"));
}

/// The Kaltura CDN when `kaltura_cdn_url` is unset (Kaltura's SaaS).
pub const DEFAULT_CDN_URL: &str = "https://cdnapisec.kaltura.com";

/// The path the page is served under.
pub const PREFIX: &str = "/activity";

/// The origins that may frame the page: Discord's clients and Activity hosts, and the
/// app itself (the browser link, the tests' harness).
pub const FRAME_ANCESTORS: &str =
    "https://discord.com https://*.discord.com https://*.discordsays.com 'self'";

/// A response as values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The HTTP status.
    pub status: u16,
    /// The headers.
    pub headers: Vec<(&'static str, String)>,
    /// The body (empty for `HEAD`, `304` and redirects).
    pub body: Vec<u8>,
}

impl Response {
    /// The first value of header `name`.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// The names of the embedded files (for tests and the log).
pub fn files() -> impl Iterator<Item = &'static str> {
    assets::ASSETS.iter().map(|(name, _, _)| *name)
}

/// The content type of a file, by its extension.
pub fn content_type(name: &str) -> &'static str {
    match name.rsplit_once('.').map(|(_, ext)| ext) {
        Some("html") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("json" | "map") => "application/json",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        Some("woff2") => "font/woff2",
        Some("txt") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// The Content-Security-Policy: scripts from this origin and the Kaltura CDN (the
/// player script), the player's media and API calls over HTTPS, and only Discord's
/// origins and this one may frame the page.
pub fn content_security_policy(cdn: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' {cdn}; style-src 'self' 'unsafe-inline' {cdn}; \
         img-src 'self' data: blob: https: {cdn}; media-src 'self' blob: https: {cdn}; \
         connect-src 'self' https: {cdn}; frame-src 'self' {cdn}; font-src 'self' data: {cdn}; \
         object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors {FRAME_ANCESTORS}"
    )
}

/// The CDN origin for the policy: `kaltura_cdn_url` as configured (scheme and host,
/// no path), else [`DEFAULT_CDN_URL`]. A value that is not an http(s) origin falls back
/// to the default rather than loosening the policy.
pub fn cdn_origin(setting: Option<&str>) -> String {
    let Some(raw) = setting.map(str::trim).filter(|s| !s.is_empty()) else {
        return DEFAULT_CDN_URL.to_owned();
    };
    let Some((scheme, rest)) = raw.split_once("://") else {
        return DEFAULT_CDN_URL.to_owned();
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host_ok = !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'));
    if matches!(scheme, "https" | "http") && host_ok {
        format!("{scheme}://{host}")
    } else {
        DEFAULT_CDN_URL.to_owned()
    }
}

fn security_headers(cdn: &str) -> Vec<(&'static str, String)> {
    vec![
        ("content-security-policy", content_security_policy(cdn)),
        ("x-content-type-options", "nosniff".into()),
        ("referrer-policy", "strict-origin-when-cross-origin".into()),
        (
            "permissions-policy",
            "camera=(), microphone=(), geolocation=()".into(),
        ),
    ]
}

fn plain(status: u16, text: &str, cdn: &str) -> Response {
    let mut headers = vec![
        ("content-type", "text/plain; charset=utf-8".to_owned()),
        ("cache-control", "no-store".to_owned()),
    ];
    headers.extend(security_headers(cdn));
    Response {
        status,
        headers,
        body: text.as_bytes().to_vec(),
    }
}

/// Answers one request for the page: `GET`/`HEAD` of `/activity/` (the page) or
/// `/activity/<file>`; `/activity` redirects to `/activity/` (keeping the query, which
/// carries Discord's `frame_id` or the link's room). Every answer carries the security
/// headers; files are revalidated by ETag (`no-cache`: fixed names, so never cached
/// blindly).
pub fn serve(
    method: &str,
    path_with_query: &str,
    if_none_match: Option<&str>,
    cdn_setting: Option<&str>,
) -> Response {
    let cdn = cdn_origin(cdn_setting);
    if method != "GET" && method != "HEAD" {
        let mut response = plain(405, "only GET and HEAD", &cdn);
        response.headers.push(("allow", "GET, HEAD".into()));
        return response;
    }
    let (path, query) = match path_with_query.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (path_with_query, None),
    };
    let Some(rest) = path.strip_prefix(PREFIX) else {
        return plain(404, "not found", &cdn);
    };
    if rest.is_empty() {
        let mut response = plain(308, "", &cdn);
        response.body.clear();
        let location = match query {
            Some(query) => format!("{PREFIX}/?{query}"),
            None => format!("{PREFIX}/"),
        };
        response.headers.push(("location", location));
        return response;
    }
    let name = match rest.strip_prefix('/') {
        Some("") => "index.html",
        Some(name) => name,
        None => return plain(404, "not found", &cdn),
    };
    let Some((name, bytes, etag)) = assets::ASSETS.iter().find(|(n, _, _)| *n == name) else {
        return plain(404, "not found", &cdn);
    };
    let mut headers = vec![
        ("content-type", content_type(name).to_owned()),
        ("cache-control", "no-cache".to_owned()),
        ("etag", (*etag).to_owned()),
    ];
    headers.extend(security_headers(&cdn));
    let not_modified = if_none_match.is_some_and(|tags| {
        tags.split(',')
            .map(|tag| tag.trim().trim_start_matches("W/"))
            .any(|tag| tag == *etag || tag == "*")
    });
    if not_modified {
        return Response {
            status: 304,
            headers,
            body: Vec::new(),
        };
    }
    Response {
        status: 200,
        headers,
        body: if method == "HEAD" {
            Vec::new()
        } else {
            bytes.to_vec()
        },
    }
}

// spin-sdk's and wasip3's `export`s are FFI and need `unsafe`; only the adapter has them.
#[cfg(target_arch = "wasm32")]
#[allow(unsafe_code)]
mod component;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_is_served_at_the_root_with_its_type_and_security_headers() {
        let response = serve(
            "GET",
            "/activity/?frame_id=1",
            None,
            Some("https://cdn.example.com/x"),
        );
        assert_eq!(response.status, 200);
        assert_eq!(
            response.header("content-type"),
            Some("text/html; charset=utf-8")
        );
        assert!(String::from_utf8_lossy(&response.body).contains("<html"));
        let csp = response.header("content-security-policy").unwrap();
        assert!(
            csp.contains("script-src 'self' https://cdn.example.com;"),
            "{csp}"
        );
        assert!(csp.ends_with(
            "frame-ancestors https://discord.com https://*.discord.com https://*.discordsays.com 'self'"
        ));
        assert_eq!(response.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(response.header("cache-control"), Some("no-cache"));
    }

    #[test]
    fn every_built_file_is_served_with_its_content_type() {
        for name in files() {
            let response = serve("GET", &format!("/activity/{name}"), None, None);
            assert_eq!(response.status, 200, "{name}");
            assert_eq!(response.header("content-type"), Some(content_type(name)));
        }
        assert!(files().any(|f| f == "app.js"));
    }

    #[test]
    fn unknown_files_and_other_paths_are_404_and_writes_405() {
        assert_eq!(serve("GET", "/activity/nope.js", None, None).status, 404);
        assert_eq!(
            serve("GET", "/activity/../Cargo.toml", None, None).status,
            404
        );
        assert_eq!(serve("GET", "/activityx", None, None).status, 404);
        let post = serve("POST", "/activity/", None, None);
        assert_eq!(
            (post.status, post.header("allow")),
            (405, Some("GET, HEAD"))
        );
    }

    #[test]
    fn the_bare_prefix_redirects_with_its_query() {
        let response = serve("GET", "/activity?room=c-1", None, None);
        assert_eq!(response.status, 308);
        assert_eq!(response.header("location"), Some("/activity/?room=c-1"));
    }

    #[test]
    fn a_matching_etag_is_304_and_head_has_no_body() {
        let first = serve("GET", "/activity/app.js", None, None);
        let etag = first.header("etag").unwrap().to_owned();
        let again = serve("GET", "/activity/app.js", Some(&etag), None);
        assert_eq!(again.status, 304);
        assert!(again.body.is_empty());
        let head = serve("HEAD", "/activity/app.js", None, None);
        assert_eq!(head.status, 200);
        assert!(head.body.is_empty());
    }

    #[test]
    fn a_cdn_setting_that_is_not_an_origin_does_not_loosen_the_policy() {
        assert_eq!(cdn_origin(None), DEFAULT_CDN_URL);
        assert_eq!(
            cdn_origin(Some("http://127.0.0.1:9000/")),
            "http://127.0.0.1:9000"
        );
        assert_eq!(
            cdn_origin(Some("https://a.b; script-src *")),
            DEFAULT_CDN_URL
        );
        assert_eq!(cdn_origin(Some("javascript:alert(1)")), DEFAULT_CDN_URL);
    }
}
