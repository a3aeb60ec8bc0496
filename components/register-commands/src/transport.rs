//! The blocking HTTP client behind [`crate::sync::Transport`]: `ureq` with rustls.

use std::time::Duration;

use http::{Request, Response};

use crate::sync::Transport;

/// The longest a request may take, connecting included.
pub const TIMEOUT: Duration = Duration::from_secs(30);

/// Sends requests with `ureq`; any status is returned as a response, not an error.
#[derive(Debug, Clone)]
pub struct Ureq {
    agent: ureq::Agent,
}

impl Default for Ureq {
    fn default() -> Self {
        Self::new()
    }
}

impl Ureq {
    /// A client with a [`TIMEOUT`].
    pub fn new() -> Self {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(TIMEOUT))
            .build()
            .into();
        Self { agent }
    }
}

impl Transport for Ureq {
    fn send(&mut self, request: Request<Vec<u8>>) -> Result<Response<Vec<u8>>, String> {
        let (parts, body) = request.into_parts();
        let sent = if body.is_empty() {
            self.agent.run(Request::from_parts(parts, ()))
        } else {
            self.agent.run(Request::from_parts(parts, body))
        };
        // ureq's errors name the URL at most; the token is only in a header.
        let response = sent.map_err(|err| err.to_string())?;
        let (parts, mut body) = response.into_parts();
        let bytes = body.read_to_vec().map_err(|err| err.to_string())?;
        Ok(Response::from_parts(parts, bytes))
    }
}
