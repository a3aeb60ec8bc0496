//! Kaltura sessions (KS) for this service's calls and for members.
//!
//! - With the admin secret every KS is made locally (KS v2, no network): an ADMIN KS of
//!   [`ADMIN_KS_EXPIRY_SECS`] for the service's own server-side calls, and a USER KS of
//!   minutes for a member.
//! - With an app token, each KS comes from Kaltura: a widget session
//!   (`session.startWidgetSession("_{partner}")`), then
//!   `appToken.startSession(id, tokenHash = HASH(widget KS ++ token), ...)` sent with that
//!   widget KS. The token's own user, type and privileges win over the requested ones, so
//!   a member's session is checked after the fact: it must be a USER session for that
//!   member carrying every requested privilege, or it is refused.
//!
//! A KS is a bearer credential: it is only ever held as [`Ks`] (whose `Debug` is
//! redacted) and never written to an error, a log or the key-value store.

use kaltura_api::client::calls;
use kaltura_api::client::model::SessionInfo;
use kaltura_api::ks::{self, KsVersion, SessionSpec, SessionType};
use kaltura_api::{KalturaUserId, Ks, Privileges};

use crate::error::{from_kaltura, from_ks, Error};
use crate::ports::Env;
use crate::resilience::{Retry, Upstream};
use crate::settings::{self, Api, AppToken, Credentials};

/// Lifetime of the service's own ADMIN sessions: five minutes, one request's worth.
pub const ADMIN_KS_EXPIRY_SECS: u64 = 300;

/// Lifetime of the widget session that only serves to start an app-token session.
const WIDGET_KS_EXPIRY_SECS: u64 = 60;

/// Makes sessions with the deployment's credentials.
pub struct Sessions<'a> {
    api: &'a Api,
    env: Env<'a>,
    upstream: &'a Upstream<'a>,
}

impl<'a> Sessions<'a> {
    /// Sessions for `api`'s partner; app-token calls go through `upstream`.
    pub fn new(api: &'a Api, env: Env<'a>, upstream: &'a Upstream<'a>) -> Self {
        Self { api, env, upstream }
    }

    /// An ADMIN KS for the service's own server-side calls. Never give it to a member.
    ///
    /// # Errors
    /// With an app token: `Unavailable`, `Forbidden` (token refused), `NotFound` (token
    /// id unknown), as the session calls fail.
    pub fn admin(&self) -> Result<Ks, Error> {
        match &self.api.credentials {
            Credentials::AdminSecret(secret) => {
                let spec = SessionSpec::admin(self.api.partner_id, ADMIN_KS_EXPIRY_SECS);
                self.local(secret, &spec)
            }
            Credentials::AppToken(token) => Ok(self
                .app_token_session(token, None, SessionType::Admin, ADMIN_KS_EXPIRY_SECS, None)?
                .ks),
        }
    }

    /// A USER KS for one member, valid `expiry_secs`, carrying `privileges`.
    ///
    /// # Errors
    /// As [`Self::admin`]; with an app token also `Forbidden` when Kaltura's session is
    /// not a USER session for this member with every requested privilege.
    pub fn member(
        &self,
        user: &KalturaUserId,
        privileges: Privileges,
        expiry_secs: u64,
    ) -> Result<Ks, Error> {
        match &self.api.credentials {
            Credentials::AdminSecret(secret) => {
                let spec = SessionSpec::user(self.api.partner_id, user.clone(), expiry_secs)
                    .with_privileges(privileges);
                self.local(secret, &spec)
            }
            Credentials::AppToken(token) => {
                let info = self.app_token_session(
                    token,
                    Some(user),
                    SessionType::User,
                    expiry_secs,
                    Some(&privileges),
                )?;
                check_member_session(&info, user, &privileges)?;
                Ok(info.ks)
            }
        }
    }

    fn local(&self, secret: &kaltura_api::AdminSecret, spec: &SessionSpec) -> Result<Ks, Error> {
        let mut nonce = [0u8; 16];
        self.env.random.fill(&mut nonce);
        ks::generate(
            secret,
            spec,
            KsVersion::V2,
            self.env.clock.now_secs(),
            &nonce,
        )
        .map_err(from_ks)
    }

    fn app_token_session(
        &self,
        token: &AppToken,
        user: Option<&KalturaUserId>,
        session_type: SessionType,
        expiry_secs: u64,
        privileges: Option<&Privileges>,
    ) -> Result<SessionInfo, Error> {
        let client = &self.api.client;
        let widget_call = calls::session_start_widget_session(
            &calls::default_widget_id(self.api.partner_id),
            Some(WIDGET_KS_EXPIRY_SECS),
        );
        let widget = self.upstream.call(
            &client.request(&widget_call, None).map_err(from_kaltura)?,
            Retry::Idempotent,
            |r| widget_call.parse_response(r),
        )?;
        let hash = ks::app_token_hash(&widget.ks, &token.token, token.hash_type);
        let start = calls::app_token_start_session(
            &token.id,
            &hash,
            user,
            Some(session_type),
            Some(expiry_secs),
            privileges,
        );
        self.upstream
            .call(
                &client
                    .request(&start, Some(&widget.ks))
                    .map_err(from_kaltura)?,
                Retry::Idempotent,
                |r| start.parse_response(r),
            )
            .map_err(|err| match err {
                // The token id is configuration, not the caller's input.
                Error::NotFound(_) => Error::NotConfigured(settings::APP_TOKEN_ID.into()),
                other => other,
            })
    }
}

/// Refuses an app-token session that is not what a member may hold.
fn check_member_session(
    info: &SessionInfo,
    user: &KalturaUserId,
    privileges: &Privileges,
) -> Result<(), Error> {
    if info.session_type != Some(SessionType::User) {
        return Err(Error::Forbidden(
            "the app token does not give USER sessions; a member's join link needs a token \
             without a session type or with USER"
                .into(),
        ));
    }
    if info.user_id.as_deref().is_some_and(|u| u != user.as_str()) {
        return Err(Error::Forbidden(
            "the app token is bound to a fixed user; a member's join link needs a token \
             without a user"
                .into(),
        ));
    }
    let granted: Vec<&str> = info
        .privileges
        .as_deref()
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .collect();
    let all_granted = privileges.pairs().iter().all(|(name, value)| {
        let wanted = if value.is_empty() {
            name.clone()
        } else {
            format!("{name}:{value}")
        };
        granted.contains(&wanted.as_str())
    });
    if !all_granted {
        return Err(Error::Forbidden(
            "the app token overrides the session privileges a join link needs; use a token \
             without sessionPrivileges"
                .into(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{Fixture, ADMIN_SECRET};
    use common::Clock;
    use kaltura_api::ks::decode;
    use kaltura_api::privileges::{ActionsLimit, ContextualRole, MeetingRole};
    use kaltura_api::types::ResourceId;
    use kaltura_api::AdminSecret;

    fn member_privileges() -> Privileges {
        Privileges::new()
            .resource_id(ResourceId::new(42).unwrap())
            .role(MeetingRole::Viewer)
            .user_contextual_role(ContextualRole::Attendee)
            .actionslimit(ActionsLimit::NO_API_CALLS)
    }

    #[test]
    fn the_admin_secret_makes_a_short_admin_session_without_a_network_call() {
        let fx = Fixture::new();
        let (api, upstream) = (fx.api(), fx.upstream());
        let ks = Sessions::new(&api, fx.env(), &upstream).admin().unwrap();
        let secret = AdminSecret::new(ADMIN_SECRET).unwrap();
        let decoded = decode(ks.expose(), &[&secret], fx.clock.now_secs()).unwrap();
        assert_eq!(decoded.session_type, SessionType::Admin);
        assert_eq!(
            decoded.valid_until,
            fx.clock.now_secs() + ADMIN_KS_EXPIRY_SECS
        );
        assert!(fx.kaltura.requests().is_empty());
    }

    #[test]
    fn a_member_session_is_a_user_session_for_that_member_only() {
        let fx = Fixture::new();
        let (api, upstream) = (fx.api(), fx.upstream());
        let user = KalturaUserId::new("discord-123").unwrap();
        let ks = Sessions::new(&api, fx.env(), &upstream)
            .member(&user, member_privileges(), 600)
            .unwrap();
        let secret = AdminSecret::new(ADMIN_SECRET).unwrap();
        let decoded = decode(ks.expose(), &[&secret], fx.clock.now_secs()).unwrap();
        assert_eq!(decoded.session_type, SessionType::User);
        assert_eq!(decoded.user_id, "discord-123");
        assert_eq!(decoded.valid_until, fx.clock.now_secs() + 600);
        assert_eq!(decoded.privilege("resourceId"), Some("42"));
        assert_eq!(decoded.privilege("actionslimit"), Some("-1"));
    }

    #[test]
    fn an_app_token_session_starts_from_a_widget_session_and_the_token_hash() {
        let fx = Fixture::app_token();
        fx.kaltura.script_json(
            r#"{"partnerId":1234567,"ks":"djJ8MTIzNDU2N3w-example-widget-ks","userId":0,"objectType":"KalturaStartWidgetSessionResponse"}"#,
        );
        fx.kaltura.script_json(
            r#"{"ks":"djJ8YWRtaW4ta3M","sessionType":2,"partnerId":1234567,"expiry":1700000300,"privileges":"sessionid:0_tok,apptoken:0_tok","objectType":"KalturaSessionInfo"}"#,
        );
        let (api, upstream) = (fx.api(), fx.upstream());
        let ks = Sessions::new(&api, fx.env(), &upstream).admin().unwrap();
        assert_eq!(ks.expose(), "djJ8YWRtaW4ta3M");
        let requests = fx.kaltura.requests();
        assert_eq!(requests.len(), 2);
        assert!(requests[0]
            .uri
            .ends_with("/api_v3/service/session/action/startWidgetSession"));
        assert_eq!(requests[0].json["widgetId"], "_1234567");
        assert!(requests[1]
            .uri
            .ends_with("/api_v3/service/apptoken/action/startSession"));
        assert_eq!(requests[1].json["ks"], "djJ8MTIzNDU2N3w-example-widget-ks");
        assert_eq!(requests[1].json["id"], "0_tok");
        // PROTOCOLS §6 vector: sha256(widget KS ++ token).
        assert_eq!(
            requests[1].json["tokenHash"],
            "a6ee68224c095457babad0d83ea8afd8067c6a8ba457e5306351c8c247399866"
        );
        assert_eq!(requests[1].json["type"], 2);
    }

    fn app_token_member(session_info: &str) -> Result<Ks, Error> {
        let fx = Fixture::app_token();
        fx.kaltura.script_json(
            r#"{"partnerId":1234567,"ks":"djJ8d2lkZ2V0","objectType":"KalturaStartWidgetSessionResponse"}"#,
        );
        fx.kaltura.script_json(session_info);
        let (api, upstream) = (fx.api(), fx.upstream());
        let user = KalturaUserId::new("discord-123").unwrap();
        Sessions::new(&api, fx.env(), &upstream).member(&user, member_privileges(), 600)
    }

    #[test]
    fn an_app_token_member_session_with_the_requested_privileges_is_accepted() {
        let ks = app_token_member(
            r#"{"ks":"djJ8dXNlcg","sessionType":0,"userId":"discord-123","privileges":"resourceId:42,role:viewerRole,userContextualRole:3,actionslimit:-1,sessionid:0_tok,apptoken:0_tok","objectType":"KalturaSessionInfo"}"#,
        );
        assert_eq!(ks.map(|k| k.expose().to_owned()), Ok("djJ8dXNlcg".into()));
    }

    #[test]
    fn an_app_token_that_would_give_a_member_an_admin_session_is_refused() {
        let err = app_token_member(
            r#"{"ks":"djJ8YWRtaW4","sessionType":2,"userId":"discord-123","privileges":"resourceId:42,role:viewerRole,userContextualRole:3,actionslimit:-1","objectType":"KalturaSessionInfo"}"#,
        )
        .unwrap_err();
        assert!(matches!(&err, Error::Forbidden(m) if m.contains("USER")));
        assert!(!err.to_string().contains("djJ8"));
    }

    #[test]
    fn an_app_token_that_overrides_the_privileges_or_the_user_is_refused() {
        let overridden = app_token_member(
            r#"{"ks":"djJ8dXNlcg","sessionType":0,"userId":"discord-123","privileges":"sview:*,sessionid:0_tok","objectType":"KalturaSessionInfo"}"#,
        );
        assert!(matches!(overridden, Err(Error::Forbidden(m)) if m.contains("privileges")));
        let other_user = app_token_member(
            r#"{"ks":"djJ8dXNlcg","sessionType":0,"userId":"someone-else","privileges":"resourceId:42,role:viewerRole,userContextualRole:3,actionslimit:-1","objectType":"KalturaSessionInfo"}"#,
        );
        assert!(matches!(other_user, Err(Error::Forbidden(m)) if m.contains("user")));
    }

    #[test]
    fn an_unknown_app_token_is_a_configuration_problem() {
        let err = app_token_member(
            r#"{"code":"APP_TOKEN_ID_NOT_FOUND","message":"Application token id [0_tok] not found","objectType":"KalturaAPIException"}"#,
        );
        assert_eq!(
            err,
            Err(Error::NotConfigured(settings::APP_TOKEN_ID.into()))
        );
    }
}
