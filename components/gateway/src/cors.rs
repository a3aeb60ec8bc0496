//! CORS for browser clients (a Discord Activity): off unless `cors_allowed_origins`
//! lists origins; only listed origins get `Access-Control-Allow-Origin`, and preflights
//! from anyone else are refused.

/// The origins allowed to call the API from a browser.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cors {
    origins: Vec<String>,
}

impl Cors {
    /// Parses the comma-separated `cors_allowed_origins` setting; empty means off.
    pub fn from_setting(setting: Option<&str>) -> Self {
        let origins = setting
            .unwrap_or_default()
            .split(',')
            .map(|o| o.trim().trim_end_matches('/').to_owned())
            .filter(|o| !o.is_empty())
            .collect();
        Self { origins }
    }

    /// The headers to add to a response for a request from `origin`, if it is allowed.
    pub fn headers(&self, origin: Option<&str>) -> Vec<(&'static str, String)> {
        match origin {
            Some(origin) if self.origins.iter().any(|o| o == origin) => vec![
                ("access-control-allow-origin", origin.to_owned()),
                (
                    "access-control-expose-headers",
                    concat!(
                        "x-request-id, retry-after, deprecation, sunset, link, etag, location, ",
                        "www-authenticate, x-ratelimit-limit, x-ratelimit-remaining"
                    )
                    .into(),
                ),
                ("vary", "Origin".into()),
            ],
            _ => Vec::new(),
        }
    }

    /// The extra headers a preflight from an allowed origin gets; `None` if the origin
    /// is not allowed.
    pub fn preflight(&self, origin: Option<&str>) -> Option<Vec<(&'static str, String)>> {
        let mut headers = self.headers(origin);
        if headers.is_empty() {
            return None;
        }
        headers.push((
            "access-control-allow-methods",
            "GET, POST, PATCH, DELETE".into(),
        ));
        headers.push((
            "access-control-allow-headers",
            "authorization, content-type, if-match".into(),
        ));
        headers.push(("access-control-max-age", "600".into()));
        Some(headers)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cors_is_off_by_default() {
        let cors = Cors::from_setting(None);
        assert!(cors.headers(Some("https://x.discordsays.com")).is_empty());
        assert!(cors.preflight(Some("https://x.discordsays.com")).is_none());
    }

    #[test]
    fn only_a_listed_origin_is_allowed() {
        let cors = Cors::from_setting(Some("https://a.example, https://b.example/"));
        assert_eq!(
            cors.headers(Some("https://b.example"))[0].1,
            "https://b.example"
        );
        assert!(cors.headers(Some("https://evil.example")).is_empty());
        assert!(cors.headers(None).is_empty());
    }
}
