//! The service as one value: [`Service`] holds the environment's ports and policies and
//! has one method per WIT function (the meeting methods are in [`crate::meetings`], the
//! media methods in [`crate::media`]). The adapter builds it from Spin and maps types.

use common::ServiceStatus;
use kaltura_api::client::{calls, Call, MultiRequest, MultiResponse};
use kaltura_api::Ks;
use serde::de::DeserializeOwned;

use crate::breaker;
use crate::error::Error;
use crate::ports::Env;
use crate::resilience::{Retry, RetryPolicy, Upstream};
use crate::session::Sessions;
use crate::settings::{self, Api};

/// The Kaltura Integration Service over its ports.
pub struct Service<'a> {
    pub(crate) env: Env<'a>,
    retry: RetryPolicy,
    breaker: breaker::Policy,
}

/// What a Kaltura call needs: the settings and the way out.
pub(crate) struct Kaltura<'a> {
    pub(crate) api: Api,
    pub(crate) upstream: Upstream<'a>,
    env: Env<'a>,
}

impl Kaltura<'_> {
    /// The session maker.
    pub(crate) fn sessions(&self) -> Sessions<'_> {
        Sessions::new(&self.api, self.env, &self.upstream)
    }

    /// Sends one call with `ks`.
    pub(crate) fn call<T: DeserializeOwned>(
        &self,
        call: &Call<T>,
        ks: &Ks,
        retry: Retry,
    ) -> Result<T, Error> {
        let request = self.api.client.request(call, Some(ks))?;
        self.upstream
            .call(&request, retry, |r| call.parse_response(r))
    }

    /// Sends a multirequest with `ks`; per-call errors stay inside the response.
    pub(crate) fn multi(
        &self,
        multi: &MultiRequest,
        ks: &Ks,
        retry: Retry,
    ) -> Result<MultiResponse, Error> {
        let request = self.api.client.multirequest(multi, Some(ks))?;
        self.upstream.call(&request, retry, MultiResponse::parse)
    }
}

impl<'a> Service<'a> {
    /// The service over `env`, with the default retry and breaker policies.
    pub fn new(env: Env<'a>) -> Self {
        Self {
            env,
            retry: RetryPolicy::default(),
            breaker: breaker::Policy::default(),
        }
    }

    /// Replaces the retry and breaker policies.
    pub fn with_policies(mut self, retry: RetryPolicy, breaker: breaker::Policy) -> Self {
        self.retry = retry;
        self.breaker = breaker;
        self
    }

    fn upstream(&self) -> Result<Upstream<'a>, Error> {
        Ok(Upstream::new(
            self.env,
            settings::request_timeout(self.env.vars)?,
            self.retry,
            self.breaker,
        ))
    }

    /// The settings and upstream of a Kaltura call.
    pub(crate) fn kaltura(&self) -> Result<Kaltura<'a>, Error> {
        Ok(Kaltura {
            api: settings::api(self.env.vars)?,
            upstream: self.upstream()?,
            env: self.env,
        })
    }

    /// WIT `status`: the settings this deployment lacks (a credential counts as present
    /// when either the admin secret or a whole app token pair is set) and a key-value
    /// round trip.
    pub fn status(&self) -> ServiceStatus {
        crate::status(self.env.vars, self.env.kv)
    }

    /// WIT `ping`: `system.ping`, sent once (a health probe reports the present, it does
    /// not retry), through the breaker, with the outbound timeout.
    ///
    /// # Errors
    /// `NotConfigured` for a missing or malformed service URL or timeout; `Unavailable`
    /// for everything else, including an answer other than `true`.
    pub fn ping(&self) -> Result<(), Error> {
        let client = settings::client(self.env.vars)?;
        let upstream = self.upstream()?;
        let call = calls::system_ping();
        let answer = client
            .request(&call, None)
            .map_err(Error::from)
            .and_then(|request| upstream.call(&request, Retry::Never, |r| call.parse_response(r)));
        match answer {
            Ok(true) => Ok(()),
            Ok(false) => Err(Error::Unavailable(
                "Kaltura did not answer the ping with true".into(),
            )),
            Err(err @ (Error::Unavailable(_) | Error::NotConfigured(_))) => Err(err),
            Err(other) => Err(Error::Unavailable(format!(
                "Kaltura did not answer the ping: {other}"
            ))),
        }
    }

    /// WIT `circuit-open`.
    pub fn circuit_open(&self) -> bool {
        Upstream::new(
            self.env,
            settings::DEFAULT_REQUEST_TIMEOUT,
            self.retry,
            self.breaker,
        )
        .circuit_open()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::Fixture;

    #[test]
    fn a_ping_is_sent_once_to_system_ping_without_a_session() {
        let fx = Fixture::new();
        fx.kaltura.script_json("true");
        assert_eq!(fx.service().ping(), Ok(()));
        let requests = fx.kaltura.requests();
        assert_eq!(requests.len(), 1);
        assert_eq!(
            requests[0].uri,
            "https://kaltura.test/api_v3/service/system/action/ping"
        );
        assert_eq!(requests[0].content_type, "application/json");
        assert_eq!(requests[0].json["format"], 1);
        assert!(requests[0].json.get("ks").is_none());
    }

    #[test]
    fn a_failing_ping_is_unavailable_and_not_retried() {
        let fx = Fixture::new();
        fx.kaltura.script_status(502, "bad gateway");
        assert!(matches!(fx.service().ping(), Err(Error::Unavailable(_))));
        assert_eq!(fx.kaltura.requests().len(), 1);
        fx.kaltura.script_exception(
            "SERVICE_FORBIDDEN",
            "The access to service [system] is forbidden",
        );
        assert!(matches!(
            fx.service().ping(),
            Err(Error::Unavailable(m)) if m.contains("SERVICE_FORBIDDEN")
        ));
    }

    #[test]
    fn a_ping_without_a_service_url_names_the_setting() {
        let fx = Fixture::new().without(settings::SERVICE_URL);
        assert_eq!(
            fx.service().ping(),
            Err(Error::NotConfigured("kaltura_service_url".into()))
        );
    }

    #[test]
    fn the_circuit_is_reported_open_after_repeated_failures() {
        let fx = Fixture::new();
        let service = fx.service();
        for _ in 0..5 {
            fx.kaltura.script_status(503, "down");
            assert!(!service.circuit_open());
            assert!(service.ping().is_err());
        }
        assert!(service.circuit_open());
        assert!(matches!(service.ping(), Err(Error::Unavailable(m)) if m.contains("circuit open")));
    }

    #[test]
    fn status_reports_an_app_token_deployment_as_configured() {
        let fx = Fixture::app_token();
        let status = fx.service().status();
        assert!(
            status.missing_settings.is_empty(),
            "{:?}",
            status.missing_settings
        );
        assert!(status.key_value_ok);
        let bare = Fixture::new()
            .without(settings::ADMIN_SECRET)
            .without(settings::PARTNER_ID);
        assert_eq!(
            bare.service().status().missing_settings,
            vec!["kaltura_partner_id", "kaltura_admin_secret"]
        );
    }
}
