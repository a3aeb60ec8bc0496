//! The service as one value: [`Service`] holds the environment's ports and policies and
//! has one method per WIT function (the meeting methods are in [`crate::meetings`], the
//! media methods in [`crate::media`]); it implements the contract's port
//! (`contracts::Kaltura`), which the adapter exports.

use contracts::kaltura::{
    Meeting, MeetingFilter, MeetingId, MeetingRequest, Participant, Requester,
};
use contracts::ServiceStatus;
use kaltura_api::client::{calls, Call, MultiRequest, MultiResponse};
use kaltura_api::Ks;
use serde::de::DeserializeOwned;

use crate::breaker;
use crate::error::{describe, from_kaltura, Error};
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
        let request = self
            .api
            .client
            .request(call, Some(ks))
            .map_err(from_kaltura)?;
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
        let request = self
            .api
            .client
            .multirequest(multi, Some(ks))
            .map_err(from_kaltura)?;
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
            .map_err(from_kaltura)
            .and_then(|request| upstream.call(&request, Retry::Never, |r| call.parse_response(r)));
        match answer {
            Ok(true) => Ok(()),
            Ok(false) => Err(Error::Unavailable(
                "Kaltura did not answer the ping with true".into(),
            )),
            Err(err @ (Error::Unavailable(_) | Error::NotConfigured(_))) => Err(err),
            Err(other) => Err(Error::Unavailable(format!(
                "Kaltura did not answer the ping: {}",
                describe(&other)
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

impl contracts::Kaltura for Service<'_> {
    fn status(&self) -> ServiceStatus {
        Service::status(self)
    }

    fn ping(&self) -> Result<(), Error> {
        Service::ping(self)
    }

    fn circuit_open(&self) -> bool {
        Service::circuit_open(self)
    }

    fn create_meeting(&self, request: &MeetingRequest) -> Result<Meeting, Error> {
        Service::create_meeting(self, request)
    }

    fn get_meeting(&self, id: MeetingId) -> Result<Option<Meeting>, Error> {
        Service::get_meeting(self, id)
    }

    fn list_meetings(&self, filter: MeetingFilter) -> Result<Vec<Meeting>, Error> {
        Service::list_meetings(self, &filter)
    }

    fn may_manage(&self, id: MeetingId, requester: Requester) -> Result<bool, Error> {
        Service::may_manage(self, id, &requester)
    }

    fn end_meeting(&self, id: MeetingId, requester: Requester) -> Result<(), Error> {
        Service::end_meeting(self, id, &requester)
    }

    fn join_url(&self, meeting_id: MeetingId, participant: &Participant) -> Result<String, Error> {
        Service::join_url(self, meeting_id, participant)
    }

    fn player_embed_url(&self, entry_id: &str, uiconf_id: Option<u32>) -> Result<String, Error> {
        Service::player_embed_url(self, entry_id, uiconf_id)
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

    #[test]
    fn a_meeting_lives_through_the_contracts_port_on_either_store() {
        use common::cas::{Flavor, MemoryCasStore};
        use contracts::kaltura::{MeetingKind, MeetingRequest, Participant, Requester};
        use contracts::KalturaRole;

        const GUILD: u64 = 1_234;
        const OWNER: u64 = 5_678;
        for flavor in [Flavor::Sqlite, Flavor::Redis] {
            let fx = Fixture::with_kv(MemoryCasStore::new(flavor));
            fx.kaltura.script_json(
                r#"{"id":42,"name":"Standup","status":2,"objectType":"KalturaLocationScheduleResource"}"#,
            );
            let service = fx.service();
            let request = MeetingRequest {
                kind: MeetingKind::Meeting,
                title: "Standup".into(),
                description: None,
                guild_id: GUILD,
                channel_id: 9,
                owner_id: OWNER,
                start_time: None,
                duration_minutes: None,
            };
            let meeting = contracts::Kaltura::create_meeting(&service, &request).unwrap();
            assert_eq!((meeting.id, meeting.guild_id), (42, GUILD), "{flavor:?}");
            assert_eq!(
                contracts::Kaltura::get_meeting(&service, 42).unwrap(),
                Some(meeting.clone())
            );
            assert_eq!(
                contracts::Kaltura::list_meetings(&service, MeetingFilter::Owner(OWNER)).unwrap(),
                [meeting]
            );
            let stranger = Requester {
                user_id: Some(OWNER + 1),
                role: KalturaRole::Viewer,
            };
            assert_eq!(
                contracts::Kaltura::may_manage(&service, 42, stranger),
                Ok(false)
            );
            assert!(matches!(
                contracts::Kaltura::end_meeting(&service, 42, stranger),
                Err(Error::Forbidden(_))
            ));
            let url = contracts::Kaltura::join_url(
                &service,
                42,
                &Participant {
                    user_id: OWNER + 1,
                    kaltura_user_id: "discord-5679".into(),
                    display_name: "Sam".into(),
                    role: KalturaRole::Viewer,
                },
            )
            .unwrap();
            assert!(url.contains("/virtualEvent/launch?ks="), "{url}");
            fx.kaltura.script_json(
                r#"[{"id":42,"status":3,"objectType":"KalturaLocationScheduleResource"}]"#,
            );
            let owner = Requester {
                user_id: Some(OWNER),
                role: KalturaRole::Viewer,
            };
            contracts::Kaltura::end_meeting(&service, 42, owner).unwrap();
            assert!(
                contracts::Kaltura::list_meetings(&service, MeetingFilter::Guild(GUILD))
                    .unwrap()
                    .is_empty(),
                "{flavor:?}"
            );
            assert!(service.status().key_value_ok);
        }
    }
}
