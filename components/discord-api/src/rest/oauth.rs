//! The OAuth2 token endpoint (authorization-code flow), used to link a Discord
//! account from the web.
//!
//! Spec: <https://discord.com/developers/docs/topics/oauth2#authorization-code-grant>.

use http::{Method, Request};
use serde::{Deserialize, Serialize};

use super::{Auth, Body, Client, RestError};
use crate::id::ApplicationId;
use crate::token::{AccessToken, ClientSecret, RefreshToken};

/// The token endpoint's answer. Its `Debug` shows no token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenResponse {
    /// The access token, for `Authorization: Bearer`.
    pub access_token: AccessToken,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: u64,
    /// The refresh token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<RefreshToken>,
    /// The granted scopes, space-separated.
    #[serde(default)]
    pub scope: String,
}

impl Client {
    /// `POST /oauth2/token` (form-encoded `grant_type=authorization_code`, `code`,
    /// `redirect_uri`) with the client ID and secret as HTTP Basic credentials; decode
    /// the answer as [`TokenResponse`].
    ///
    /// # Errors
    /// [`RestError::EmptyParameter`] for an empty `code` or `redirect_uri`;
    /// [`RestError::Assemble`].
    pub fn exchange_code(
        &self,
        client_id: ApplicationId,
        secret: &ClientSecret,
        code: &str,
        redirect_uri: &str,
    ) -> Result<Request<Vec<u8>>, RestError> {
        if code.is_empty() {
            return Err(RestError::EmptyParameter("authorization code"));
        }
        if redirect_uri.is_empty() {
            return Err(RestError::EmptyParameter("redirect URI"));
        }
        let form = form_urlencoded::Serializer::new(String::new())
            .append_pair("grant_type", "authorization_code")
            .append_pair("code", code)
            .append_pair("redirect_uri", redirect_uri)
            .finish();
        self.token_request(client_id, secret, form)
    }

    /// `POST /oauth2/token` with `grant_type=refresh_token`; decode the answer as
    /// [`TokenResponse`].
    ///
    /// # Errors
    /// [`RestError::Assemble`].
    pub fn refresh_access_token(
        &self,
        client_id: ApplicationId,
        secret: &ClientSecret,
        refresh: &RefreshToken,
    ) -> Result<Request<Vec<u8>>, RestError> {
        let form = form_urlencoded::Serializer::new(String::new())
            .append_pair("grant_type", "refresh_token")
            .append_pair("refresh_token", refresh.expose_secret())
            .finish();
        self.token_request(client_id, secret, form)
    }

    fn token_request(
        &self,
        client_id: ApplicationId,
        secret: &ClientSecret,
        form: String,
    ) -> Result<Request<Vec<u8>>, RestError> {
        self.build(
            Method::POST,
            "/oauth2/token",
            Auth::Basic(client_id, secret),
            Body::Form(form),
        )
    }
}
