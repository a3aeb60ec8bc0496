//! `system.ping`: the cheapest real Kaltura call, used by the deep readiness check to
//! prove the service URL is reachable and answers like Kaltura.

/// Why a ping failed. Messages never carry a KS or a secret (a ping sends neither).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PingError {
    /// The service URL setting is not a valid `http(s)` origin.
    BadServiceUrl(String),
    /// Kaltura answered, but not with `true`.
    UnexpectedAnswer(String),
}

impl std::fmt::Display for PingError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::BadServiceUrl(why) => write!(f, "kaltura_service_url is not usable: {why}"),
            Self::UnexpectedAnswer(why) => write!(f, "Kaltura did not answer the ping: {why}"),
        }
    }
}

/// Builds `POST {service_url}/api_v3/service/system/action/ping` with a JSON body
/// (Kaltura parses JSON only when `Content-Type` is exactly `application/json`).
///
/// # Errors
/// `BadServiceUrl` when the URL is not an absolute `http`/`https` URL.
pub fn request(service_url: &str) -> Result<http::Request<Vec<u8>>, PingError> {
    let base = service_url.trim_end_matches('/');
    if !(base.starts_with("https://") || base.starts_with("http://")) {
        return Err(PingError::BadServiceUrl("it must start with https://".into()));
    }
    http::Request::post(format!("{base}/api_v3/service/system/action/ping"))
        .header("content-type", "application/json")
        .header("accept", "application/json")
        .body(br#"{"format":1,"clientTag":"kaltura-discord"}"#.to_vec())
        .map_err(|err| PingError::BadServiceUrl(err.to_string()))
}

/// Reads the answer: Kaltura's ping returns the JSON value `true`; errors come back as a
/// `KalturaAPIException` object inside a 200.
///
/// # Errors
/// `UnexpectedAnswer` for any other status or body.
pub fn parse(response: &http::Response<Vec<u8>>) -> Result<(), PingError> {
    if !response.status().is_success() {
        return Err(PingError::UnexpectedAnswer(format!(
            "HTTP status {}",
            response.status().as_u16()
        )));
    }
    match serde_json::from_slice::<serde_json::Value>(response.body()) {
        Ok(serde_json::Value::Bool(true)) => Ok(()),
        Ok(serde_json::Value::Object(object))
            if object.get("objectType").and_then(|t| t.as_str()) == Some("KalturaAPIException") =>
        {
            let code = object.get("code").and_then(|c| c.as_str()).unwrap_or("unknown");
            Err(PingError::UnexpectedAnswer(format!("Kaltura error {code}")))
        }
        Ok(_) => Err(PingError::UnexpectedAnswer("an answer other than true".into())),
        Err(_) => Err(PingError::UnexpectedAnswer("a body that is not JSON".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(status: u16, body: &str) -> http::Response<Vec<u8>> {
        http::Response::builder()
            .status(status)
            .body(body.as_bytes().to_vec())
            .unwrap()
    }

    #[test]
    fn the_request_goes_to_the_system_service_with_a_json_body() {
        let req = request("https://www.kaltura.com/").unwrap();
        assert_eq!(req.method(), "POST");
        assert_eq!(
            req.uri().to_string(),
            "https://www.kaltura.com/api_v3/service/system/action/ping"
        );
        assert_eq!(req.headers()["content-type"], "application/json");
    }

    #[test]
    fn a_service_url_without_a_scheme_is_refused() {
        assert!(matches!(request("www.kaltura.com"), Err(PingError::BadServiceUrl(_))));
    }

    #[test]
    fn true_is_a_successful_ping() {
        assert_eq!(parse(&response(200, "true")), Ok(()));
    }

    #[test]
    fn an_api_exception_in_a_200_is_a_failure() {
        let body = r#"{"code":"SERVICE_FORBIDDEN","message":"x","objectType":"KalturaAPIException"}"#;
        let err = parse(&response(200, body)).unwrap_err();
        assert!(err.to_string().contains("SERVICE_FORBIDDEN"));
    }

    #[test]
    fn a_server_error_is_a_failure() {
        assert!(parse(&response(502, "bad gateway")).is_err());
    }
}
