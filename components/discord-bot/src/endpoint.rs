//! The interactions endpoint, host-free: method, settings, signature, replay window and
//! parsing checks in that order — nothing is parsed before the signature verifies, and
//! no rejected request has a side effect. A verified interaction that can act (not a
//! PING, not an autocomplete) is then claimed by its id ([`crate::replay`]): a copy of
//! one already claimed is answered with an ephemeral [`ALREADY_HANDLED`] and nothing is
//! done again; the first copy goes to [`crate::dispatch::respond`].
//!
//! Why a notice and not the first answer again: that answer may hold a member's join
//! link (with a Kaltura session), which is never stored, and Discord sends each
//! interaction once — a second copy comes from whoever captured the first, who must
//! learn nothing from it.
//!
//! Two entry points share the checks:
//! - [`handle`] answers PING and, with no services reachable, a friendly ephemeral
//!   "not available" reply to everything else;
//! - [`handle_with`] runs the interaction against the [`Services`] and
//!   returns the reply, an optional [`FollowUp`] to run after the reply is sent, and
//!   an optional [`ErrorReport`] to log.

use common::cas::CasStore;
use common::{ApiError, Variables};
use discord_api::model::{JsonErrorKind, ParseError};
use discord_api::response::{InteractionResponse, MessageBody};
use discord_api::signature::{self, PublicKey, SignatureError};
use discord_api::Interaction;
use std::time::Duration;

use crate::dispatch::{self, ErrorId, ErrorReport, FollowUp, Outcome};
use crate::replay::{self, Claim};
use crate::services::Services;

/// The largest interaction body accepted; Discord's payloads are far smaller.
pub const BODY_LIMIT: usize = 256 * 1024;

/// The replay window used when `interaction_max_age_seconds` is unset or invalid.
pub const DEFAULT_MAX_AGE: Duration = Duration::from_secs(300);

/// The settings every request needs.
pub const REQUIRED_SETTINGS: &[&str] = &["discord_public_key"];

/// What [`handle`] answers to anything but a PING.
pub const NOT_AVAILABLE: &str = "Kaltura commands are not available on this deployment yet.";

/// What a copy of an interaction already handled is answered (ephemeral).
pub const ALREADY_HANDLED: &str =
    "This interaction was already handled, so nothing was done again.";

/// What to answer: a status and a JSON body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The HTTP status.
    pub status: u16,
    /// The JSON body.
    pub body: Vec<u8>,
}

impl Reply {
    fn error(error: &ApiError) -> Self {
        Self {
            status: error.status,
            body: error.to_json(),
        }
    }

    fn interaction(response: &InteractionResponse) -> Self {
        match response.to_json() {
            Ok(body) => Self { status: 200, body },
            Err(_) => Self::error(&ApiError::internal("the response could not be serialized")),
        }
    }
}

/// What [`handle_with`] decided: the reply to send now, the work to finish after it
/// is sent, and an error to log.
#[derive(Debug)]
pub struct Handled {
    /// The HTTP reply to send now.
    pub reply: Reply,
    /// For a deferred reply: run it after the reply is sent, then send its
    /// `PATCH .../messages/@original` ([`FollowUp::run`], [`FollowUp::edit_original`]).
    pub follow_up: Option<FollowUp>,
    /// An error to log; the member was shown its ID.
    pub report: Option<ErrorReport>,
    /// Something to log that is not an error (a replayed interaction).
    pub notice: Option<String>,
}

impl Handled {
    fn reply(reply: Reply) -> Self {
        Self {
            reply,
            follow_up: None,
            report: None,
            notice: None,
        }
    }
}

/// Answers one request to the endpoint without services: verifies it, answers a
/// PING with a PONG and anything else with an ephemeral "not available" message.
/// `now_unix_secs` is the current time.
pub fn handle(
    method: &str,
    headers: &http::HeaderMap,
    body: &[u8],
    vars: &dyn Variables,
    now_unix_secs: u64,
) -> Reply {
    match verified(method, headers, body, vars, now_unix_secs) {
        Err(reply) => reply,
        Ok(Interaction::Ping) => Reply::interaction(&InteractionResponse::pong()),
        Ok(_) => Reply::interaction(&InteractionResponse::message(
            MessageBody::text(NOT_AVAILABLE).ephemeral(),
        )),
    }
}

/// Answers one request to the endpoint: verifies it, claims it in `store` (a copy of
/// an interaction already claimed is answered [`ALREADY_HANDLED`]), then runs it
/// against `services` ([`crate::dispatch::respond`]). `now_unix_secs` is the current
/// time.
pub fn handle_with(
    method: &str,
    headers: &http::HeaderMap,
    body: &[u8],
    vars: &dyn Variables,
    now_unix_secs: u64,
    services: &impl Services,
    store: &impl CasStore,
) -> Handled {
    let interaction = match verified(method, headers, body, vars, now_unix_secs) {
        Ok(interaction) => interaction,
        Err(reply) => return Handled::reply(reply),
    };
    if let Some(id) = acting_id(&interaction) {
        let ephemeral = |text: String| {
            Reply::interaction(&InteractionResponse::message(
                MessageBody::text(text).ephemeral(),
            ))
        };
        match replay::claim(store, replay::capacity(vars), id) {
            Ok(Claim::First) => {}
            Ok(Claim::Replay) => {
                let mut handled = Handled::reply(ephemeral(ALREADY_HANDLED.to_owned()));
                handled.notice = Some(format!(
                    "interaction {id} arrived again; answered without acting"
                ));
                return handled;
            }
            Err(err) => {
                let error_id = ErrorId::for_interaction(id);
                let mut handled = Handled::reply(ephemeral(format!(
                    "Something went wrong on our side, so nothing was done. Please try again. (error ID `{error_id}`)"
                )));
                handled.report = Some(ErrorReport {
                    error_id,
                    action: "claiming the interaction",
                    detail: format!("the interaction could not be claimed: {err}"),
                });
                return handled;
            }
        }
    }
    match dispatch::respond_with(
        &interaction,
        services,
        &crate::videos::Links::from_setting(vars.get("public_base_url").as_deref()),
    ) {
        Outcome::Reply { response, report } => Handled {
            report,
            ..Handled::reply(Reply::interaction(&response))
        },
        Outcome::Deferred { response, job } => Handled {
            follow_up: Some(*job),
            ..Handled::reply(Reply::interaction(&response))
        },
    }
}

/// The id of an interaction that can act (a command, a button, a modal): those are
/// claimed. A PING and an autocomplete change nothing.
fn acting_id(interaction: &Interaction) -> Option<discord_api::id::InteractionId> {
    match interaction {
        Interaction::Ping | Interaction::Autocomplete(_) => None,
        Interaction::Command(incoming) => Some(incoming.envelope.id),
        Interaction::Component(incoming) => Some(incoming.envelope.id),
        Interaction::ModalSubmit(incoming) => Some(incoming.envelope.id),
    }
}

/// The checks every request passes, in order, then the parsed interaction.
fn verified(
    method: &str,
    headers: &http::HeaderMap,
    body: &[u8],
    vars: &dyn Variables,
    now_unix_secs: u64,
) -> Result<Interaction, Reply> {
    if method != "POST" {
        return Err(Reply::error(&ApiError::method_not_allowed("POST")));
    }
    let missing = common::settings::missing(vars, REQUIRED_SETTINGS);
    if !missing.is_empty() {
        return Err(Reply::error(&ApiError::not_configured(&missing)));
    }
    let Some(Ok(key)) = vars
        .get("discord_public_key")
        .map(|hex| hex.parse::<PublicKey>())
    else {
        return Err(Reply::error(&ApiError::new(
            503,
            "not_configured",
            "setting discord_public_key is not a 64-character hex Ed25519 public key",
        )));
    };
    key.verify_headers(headers, body).map_err(unauthorized)?;
    let max_age = vars
        .get("interaction_max_age_seconds")
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map_or(DEFAULT_MAX_AGE, Duration::from_secs);
    signature::check_timestamp_header(headers, now_unix_secs, max_age).map_err(unauthorized)?;
    Interaction::from_slice(body).map_err(|err| Reply::error(&bad_interaction(err)))
}

fn bad_interaction(err: ParseError) -> ApiError {
    match err {
        ParseError::Json {
            kind: JsonErrorKind::Syntax | JsonErrorKind::Eof,
            ..
        } => ApiError::new(400, "bad_request", "the body is not JSON"),
        ParseError::UnsupportedType(kind) => ApiError::new(
            400,
            "bad_request",
            format!("interaction type {kind} is not supported"),
        ),
        ParseError::Json { .. } | ParseError::MissingField(_) | ParseError::MalformedData => {
            ApiError::new(
                400,
                "bad_request",
                format!("the body is not a Discord interaction: {err}"),
            )
        }
    }
}

fn unauthorized(err: SignatureError) -> Reply {
    Reply::error(&ApiError::new(
        401,
        "invalid_signature",
        format!("request signature rejected: {err}"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use common::cas::MemoryCasStore;
    use common::{MemoryVariables, StoreError};
    use contracts::config::{Access, AuditEntry, Command, UpdateResult};
    use contracts::kaltura::{Meeting, MeetingFilter, MeetingRequest, Participant, Requester};
    use contracts::{Actor, Error, KalturaRole, Member};
    use ed25519_dalek::{Signer, SigningKey};

    const FIXTURE: &str = include_str!("../../../tests/fixtures/discord-signature.json");

    fn fixture() -> serde_json::Value {
        serde_json::from_str(FIXTURE).unwrap()
    }

    fn vars() -> MemoryVariables {
        let public = fixture()["public_key_hex"].as_str().unwrap().to_owned();
        MemoryVariables::from_pairs(&[("discord_public_key", &public)])
    }

    fn headers(signature: Option<&str>, timestamp: &str) -> http::HeaderMap {
        let mut map = http::HeaderMap::new();
        if let Some(signature) = signature {
            map.insert("x-signature-ed25519", signature.parse().unwrap());
        }
        map.insert("x-signature-timestamp", timestamp.parse().unwrap());
        map
    }

    fn signed(body: &str, timestamp: &str) -> http::HeaderMap {
        let seed: [u8; 32] = hex::decode(fixture()["secret_seed_hex"].as_str().unwrap())
            .unwrap()
            .try_into()
            .unwrap();
        let key = SigningKey::from_bytes(&seed);
        let signature = key.sign(format!("{timestamp}{body}").as_bytes());
        headers(Some(&hex::encode(signature.to_bytes())), timestamp)
    }

    #[test]
    fn the_shared_vector_is_a_pong() {
        let valid = &fixture()["valid"];
        let reply = handle(
            "POST",
            &headers(
                valid["signature_hex"].as_str(),
                valid["timestamp"].as_str().unwrap(),
            ),
            valid["body"].as_str().unwrap().as_bytes(),
            &vars(),
            1_700_000_010,
        );
        assert_eq!(reply.status, 200);
        assert_eq!(reply.body, br#"{"type":1}"#);
    }

    #[test]
    fn every_forged_vector_is_401() {
        for case in fixture()["must_reject_with_401"].as_array().unwrap() {
            let reply = handle(
                "POST",
                &headers(
                    case["signature_hex"].as_str(),
                    case["timestamp"].as_str().unwrap(),
                ),
                case["body"].as_str().unwrap().as_bytes(),
                &vars(),
                1_700_000_010,
            );
            assert_eq!(reply.status, 401, "{}", case["why"]);
        }
    }

    #[test]
    fn a_replayed_request_outside_the_window_is_401() {
        let valid = &fixture()["valid"];
        let reply = handle(
            "POST",
            &headers(
                valid["signature_hex"].as_str(),
                valid["timestamp"].as_str().unwrap(),
            ),
            valid["body"].as_str().unwrap().as_bytes(),
            &vars(),
            1_700_000_000 + 301,
        );
        assert_eq!(reply.status, 401);
    }

    #[test]
    fn a_missing_public_key_is_503_naming_it() {
        let reply = handle(
            "POST",
            &http::HeaderMap::new(),
            b"{}",
            &MemoryVariables::default(),
            0,
        );
        assert_eq!(reply.status, 503);
        assert!(String::from_utf8(reply.body)
            .unwrap()
            .contains("discord_public_key"));
    }

    #[test]
    fn other_methods_are_405() {
        assert_eq!(
            handle("GET", &http::HeaderMap::new(), b"", &vars(), 0).status,
            405
        );
    }

    #[test]
    fn a_signed_body_that_is_not_json_is_400() {
        let reply = handle(
            "POST",
            &signed("not json", "1700000000"),
            b"not json",
            &vars(),
            1_700_000_000,
        );
        assert_eq!(reply.status, 400);
    }

    /// Services that allow everything, know no meeting and fail to create one.
    struct Open;

    impl contracts::Watch for Open {
        fn status(&self) -> contracts::ServiceStatus {
            unreachable!()
        }
        fn request_video(&self, _: u64, _: u64, _: &str, _: u64) -> Result<(), Error> {
            unreachable!()
        }
        fn join(
            &self,
            _: &str,
            _: u64,
            _: Option<u64>,
            _: Option<&str>,
            _: &contracts::watch::Viewer,
        ) -> Result<contracts::watch::RoomState, Error> {
            unreachable!()
        }
        fn observe(&self, _: &str, _: u64) -> Result<contracts::watch::RoomState, Error> {
            unreachable!()
        }
        fn state(&self, _: &str, _: u64) -> Result<contracts::watch::RoomState, Error> {
            unreachable!()
        }
        fn control(
            &self,
            _: &str,
            _: u64,
            _: contracts::watch::ControlAction,
            _: u64,
        ) -> Result<contracts::watch::RoomState, Error> {
            unreachable!()
        }
        fn hand_over(&self, _: &str, _: u64, _: u64) -> Result<contracts::watch::RoomState, Error> {
            unreachable!()
        }
        fn leave(&self, _: &str, _: u64) -> Result<contracts::watch::RoomState, Error> {
            unreachable!()
        }
    }

    impl contracts::Events for Open {
        fn status(&self) -> contracts::ServiceStatus {
            unreachable!()
        }
        fn publish(&self, _: &contracts::events::Event) -> Result<u32, Error> {
            unreachable!()
        }
        fn pump(&self, _: u32) -> Result<contracts::events::PumpReport, Error> {
            unreachable!()
        }
        fn create(
            &self,
            _: u64,
            _: &contracts::events::NewSubscription,
            _: &contracts::Actor,
        ) -> Result<contracts::events::CreatedSubscription, Error> {
            unreachable!()
        }
        fn list(&self, _: u64) -> Result<Vec<contracts::events::Subscription>, Error> {
            Ok(Vec::new())
        }
        fn get(&self, _: u64, _: &str) -> Result<contracts::events::Subscription, Error> {
            unreachable!()
        }
        fn delete(&self, _: u64, _: &str) -> Result<(), Error> {
            unreachable!()
        }
        fn set_paused(
            &self,
            _: u64,
            _: &str,
            _: bool,
            _: &contracts::Actor,
        ) -> Result<contracts::events::Subscription, Error> {
            unreachable!()
        }
        fn deliveries(
            &self,
            _: u64,
            _: &str,
            _: u32,
        ) -> Result<Vec<contracts::events::Delivery>, Error> {
            unreachable!()
        }
    }

    impl contracts::Config for Open {
        fn status(&self) -> contracts::ServiceStatus {
            unreachable!()
        }
        fn get(&self, _: u64) -> Result<contracts::config::GuildSettings, Error> {
            unreachable!()
        }
        fn check_permission(&self, _: Command, _: &Member) -> Result<Access, Error> {
            Ok(Access::Allowed)
        }
        fn role_for(&self, _: &Member) -> Result<KalturaRole, Error> {
            Ok(KalturaRole::Viewer)
        }
        fn render_message(
            &self,
            _: u64,
            _: contracts::config::MessageKind,
            _: &[(String, String)],
        ) -> Result<Option<contracts::config::Message>, Error> {
            unreachable!()
        }
        fn render_section(
            &self,
            _: u64,
            _: contracts::config::Section,
        ) -> Result<Vec<contracts::config::SettingLine>, Error> {
            unreachable!()
        }
        fn settable_keys(&self) -> Vec<contracts::config::SettingKey> {
            unreachable!()
        }
        fn update(&self, _: u64, _: &str, _: u64, _: &Actor) -> Result<UpdateResult, Error> {
            unreachable!()
        }
        fn set(
            &self,
            _: u64,
            _: &str,
            _: &str,
            _: Option<u64>,
            _: bool,
            _: &Actor,
        ) -> Result<UpdateResult, Error> {
            unreachable!()
        }
        fn reset(
            &self,
            _: u64,
            _: Option<contracts::config::Section>,
            _: &Actor,
        ) -> Result<UpdateResult, Error> {
            unreachable!()
        }
        fn audit_log(&self, _: u64, _: u32) -> Result<Vec<AuditEntry>, Error> {
            unreachable!()
        }
        fn get_deployment(&self) -> Result<contracts::config::DeploymentSettings, Error> {
            unreachable!()
        }
        fn update_deployment(&self, _: &str, _: u64, _: &Actor) -> Result<UpdateResult, Error> {
            unreachable!()
        }
        fn deployment_audit_log(&self, _: u32) -> Result<Vec<AuditEntry>, Error> {
            unreachable!()
        }
    }

    impl contracts::Members for Open {
        fn status(&self) -> contracts::ServiceStatus {
            unreachable!()
        }
        fn resolve_member(
            &self,
            member: &Member,
            role: KalturaRole,
        ) -> Result<contracts::identity::KalturaIdentity, Error> {
            Ok(contracts::identity::KalturaIdentity {
                kaltura_user_id: member.user_id.to_string(),
                display_name: member.username.clone(),
                role,
            })
        }
        fn get_user(&self, _: u64) -> Result<Option<contracts::identity::UserRecord>, Error> {
            unreachable!()
        }
    }

    impl contracts::Kaltura for Open {
        fn status(&self) -> contracts::ServiceStatus {
            unreachable!()
        }
        fn ping(&self) -> Result<(), Error> {
            unreachable!()
        }
        fn circuit_open(&self) -> bool {
            false
        }
        fn create_meeting(&self, _: &MeetingRequest) -> Result<Meeting, Error> {
            Err(Error::Unavailable("down".into()))
        }
        fn get_meeting(&self, _: u64) -> Result<Option<Meeting>, Error> {
            Ok(None)
        }
        fn list_meetings(&self, _: MeetingFilter) -> Result<Vec<Meeting>, Error> {
            Ok(Vec::new())
        }
        fn may_manage(&self, _: u64, _: Requester) -> Result<bool, Error> {
            unreachable!()
        }
        fn end_meeting(&self, _: u64, _: Requester) -> Result<(), Error> {
            unreachable!()
        }
        fn join_url(&self, _: u64, _: &Participant) -> Result<String, Error> {
            unreachable!()
        }
        fn search_media(
            &self,
            _: &str,
            _: u32,
            _: &contracts::kaltura::MediaScope,
        ) -> Result<contracts::kaltura::MediaPage, Error> {
            unreachable!()
        }
        fn get_media(
            &self,
            _: &str,
            _: &contracts::kaltura::MediaScope,
        ) -> Result<Option<contracts::kaltura::MediaEntry>, Error> {
            unreachable!()
        }
        fn playback_session(
            &self,
            _: &str,
            _: &contracts::kaltura::MediaScope,
        ) -> Result<contracts::kaltura::PlayerSession, Error> {
            unreachable!()
        }
        fn player_embed_url(&self, _: &str, _: Option<u32>) -> Result<String, Error> {
            unreachable!()
        }
    }

    fn slash(name: &str, options: serde_json::Value) -> String {
        serde_json::json!({
            "type": 2, "id": "900000000000000001", "application_id": "1100000000000000001",
            "token": "tok", "version": 1, "guild_id": "300000000000000001",
            "channel_id": "400000000000000001",
            "member": {"user": {"id": "200000000000000001", "username": "ada"},
                       "roles": [], "permissions": "2048"},
            "data": {"id": "5", "name": name, "type": 1, "options": options}
        })
        .to_string()
    }

    fn reply_json(reply: &Reply) -> serde_json::Value {
        serde_json::from_slice(&reply.body).unwrap()
    }

    #[test]
    fn a_signed_command_is_dispatched_to_the_services() {
        let body = slash("kaltura-list", serde_json::json!([]));
        let handled = handle_with(
            "POST",
            &signed(&body, "1700000000"),
            body.as_bytes(),
            &vars(),
            1_700_000_000,
            &Open,
            &MemoryCasStore::default(),
        );
        assert_eq!(handled.reply.status, 200);
        let value = reply_json(&handled.reply);
        assert_eq!(value["type"], 4);
        assert!(value["data"]["content"]
            .as_str()
            .unwrap()
            .contains("/kaltura-start"));
        assert!(handled.follow_up.is_none() && handled.report.is_none());
    }

    #[test]
    fn a_deferred_command_returns_its_follow_up_and_the_follow_up_its_error_report() {
        let body = slash(
            "kaltura-start",
            serde_json::json!([
                {"name": "type", "type": 3, "value": "meeting"},
                {"name": "title", "type": 3, "value": "Standup"}
            ]),
        );
        let handled = handle_with(
            "POST",
            &signed(&body, "1700000000"),
            body.as_bytes(),
            &vars(),
            1_700_000_000,
            &Open,
            &MemoryCasStore::default(),
        );
        assert_eq!(
            reply_json(&handled.reply),
            serde_json::json!({"type": 5, "data": {"flags": 64}})
        );
        let job = handled.follow_up.unwrap();
        let finished = job.run(&Open);
        let report = finished.report.unwrap();
        assert_eq!(report.detail, "unavailable: down");
        let request = job
            .edit_original(&finished.body, "https://discord.com")
            .unwrap();
        assert_eq!(
            request.uri().path(),
            "/api/v10/webhooks/1100000000000000001/tok/messages/@original"
        );
    }

    #[test]
    fn a_rejected_request_never_reaches_the_services() {
        let body = slash("kaltura-list", serde_json::json!([]));
        let handled = handle_with(
            "POST",
            &signed(&body, "1700000000"),
            b"{}",
            &vars(),
            1_700_000_000,
            &Open,
            &MemoryCasStore::default(),
        );
        assert_eq!(handled.reply.status, 401);
        assert!(handled.follow_up.is_none());
    }

    #[test]
    fn a_second_copy_of_a_command_is_answered_without_acting() {
        let store = MemoryCasStore::default();
        let body = slash(
            "kaltura-start",
            serde_json::json!([
                {"name": "type", "type": 3, "value": "meeting"},
                {"name": "title", "type": 3, "value": "Standup"}
            ]),
        );
        let send = || {
            handle_with(
                "POST",
                &signed(&body, "1700000000"),
                body.as_bytes(),
                &vars(),
                1_700_000_000,
                &Open,
                &store,
            )
        };
        let first = send();
        assert!(first.follow_up.is_some(), "the first copy starts a meeting");
        for _ in 0..2 {
            let again = send();
            assert!(again.follow_up.is_none(), "no second meeting");
            assert_eq!(
                reply_json(&again.reply),
                serde_json::json!({"type": 4, "data": {"content": ALREADY_HANDLED, "flags": 64, "allowed_mentions": {"parse": []}}})
            );
            assert!(again.notice.unwrap().contains("900000000000000001"));
        }
        assert!(store
            .keys()
            .iter()
            .all(|k| k.starts_with(crate::replay::PREFIX)));
    }

    #[test]
    fn autocomplete_is_not_claimed_and_a_failing_store_acts_on_nothing() {
        let store = MemoryCasStore::default();
        let body =
            slash("kaltura-list", serde_json::json!([])).replace(r#""type":2"#, r#""type":4"#);
        let auto = handle_with(
            "POST",
            &signed(&body, "1700000000"),
            body.as_bytes(),
            &vars(),
            1_700_000_000,
            &Open,
            &store,
        );
        assert_eq!(reply_json(&auto.reply)["type"], 8, "{:?}", auto.reply);
        assert!(store.keys().is_empty());

        store.fail_with(Some(StoreError::Other("down".into())));
        let body = slash("kaltura-list", serde_json::json!([]));
        let failed = handle_with(
            "POST",
            &signed(&body, "1700000000"),
            body.as_bytes(),
            &vars(),
            1_700_000_000,
            &Open,
            &store,
        );
        let value = reply_json(&failed.reply);
        assert_eq!(value["data"]["flags"], 64);
        assert!(value["data"]["content"]
            .as_str()
            .unwrap()
            .starts_with("Something went wrong on our side, so nothing was done."));
        assert!(failed.report.unwrap().detail.contains("down"));
    }

    #[test]
    fn without_services_a_command_gets_a_friendly_ephemeral_reply() {
        let body = slash("kaltura-list", serde_json::json!([]));
        let reply = handle(
            "POST",
            &signed(&body, "1700000000"),
            body.as_bytes(),
            &vars(),
            1_700_000_000,
        );
        assert_eq!(reply.status, 200);
        let value = reply_json(&reply);
        assert_eq!(value["data"]["content"], NOT_AVAILABLE);
        assert_eq!(value["data"]["flags"], 64);
    }

    #[test]
    fn signed_json_that_is_not_an_interaction_is_400() {
        for body in [
            r#"{"type":2}"#,
            r#"{"type":"2"}"#,
            r#"{"type":99,"id":"1"}"#,
            "[]",
        ] {
            let reply = handle(
                "POST",
                &signed(body, "1700000000"),
                body.as_bytes(),
                &vars(),
                1_700_000_000,
            );
            assert_eq!(reply.status, 400, "{body}");
            assert!(
                !String::from_utf8(reply.body).unwrap().contains("type\\\":"),
                "{body}"
            );
        }
    }
}
