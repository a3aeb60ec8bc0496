//! The Kaltura Integration Service through its real `kaltura.wasm`, against the fake
//! Kaltura speaking the real wire format.
//!
//! Some functions (the player's embed URL) have no HTTP route of their own, and this module runs the
//! library component on its own: a small host here gives it WASI, wasi-http (with the
//! real request-option timeouts), Spin's key-value store and variables, instantiates it
//! afresh for every call as Spin does per request, and calls its WIT exports. State
//! shared between calls lives only in the key-value store, as on a real deployment.

use crate::support::KALTURA_ADMIN_SECRET;
use e2e::{FakeResponse, FakeServer, LibraryHost, Recorded, State};
use serde_json::json;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use wasmtime::Store;

mod service {
    wasmtime::component::bindgen!({
        path: "../wit",
        world: "kaltura-discord:app/kaltura-service",
        exports: { default: async },
    });
}

use service::kaltura_discord::types::common::{Error as WitError, KalturaRole};
use service::kaltura_discord::types::kaltura as wit;

const GUILD: u64 = 123_456_789_012_345_678;
const CHANNEL: u64 = 223_456_789_012_345_678;
const OWNER: u64 = 323_456_789_012_345_678;
const MEMBER: u64 = 423_456_789_012_345_678;

/// The `kaltura` component as the gateway runs it (its variables, store and outbound
/// hosts), called directly through its WIT exports by the test host.
struct Kaltura {
    host: LibraryHost,
}

impl Kaltura {
    /// A deployment with the admin secret, pointed at `fake`, plus `extra` settings (an
    /// empty value unsets one).
    fn new(fake: &FakeServer, extra: &[(&str, &str)]) -> anyhow::Result<Self> {
        Self::with_builder(e2e::app(), fake, extra)
    }

    /// As [`Kaltura::new`], from `builder` (e.g. another manifest).
    fn with_builder(
        builder: e2e::AppBuilder,
        fake: &FakeServer,
        extra: &[(&str, &str)],
    ) -> anyhow::Result<Self> {
        let mut builder = builder
            .variable("kaltura_partner_id", "1234567")
            .variable("kaltura_admin_secret", KALTURA_ADMIN_SECRET)
            .variable("kaltura_service_url", fake.url())
            .variable("kaltura_kaf_url", "https://kaf.example.edu");
        for (name, value) in extra {
            builder = builder.variable(name, *value);
        }
        Ok(Self {
            host: builder.library("kaltura", "gateway")?,
        })
    }

    /// A fresh instance, as for one Spin request.
    async fn instance(&self) -> wasmtime::Result<(Store<State>, service::KalturaService)> {
        let mut store = self.host.new_store();
        let bindings = service::KalturaService::instantiate_async(
            &mut store,
            self.host.component(),
            self.host.linker(),
        )
        .await?;
        Ok((store, bindings))
    }

    fn keys(&self) -> Vec<String> {
        self.host.store().keys().cloned().collect()
    }

    fn stored(&self) -> String {
        self.host
            .store()
            .values()
            .map(|v| String::from_utf8_lossy(v).into_owned())
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// Calls one export on a fresh instance.
macro_rules! call {
    ($kaltura:expr, $func:ident $(, $arg:expr)*) => {{
        let (mut store, bindings) = $kaltura
            .instance()
            .await
            .expect("kaltura.wasm instantiates with WASI, wasi-http, key-value and variables");
        bindings
            .kaltura_discord_kaltura_kaltura()
            .$func(&mut store $(, $arg)*)
            .await
            .expect("the call does not trap")
    }};
}

fn request(start_time: Option<u64>) -> wit::MeetingRequest {
    wit::MeetingRequest {
        kind: wit::MeetingKind::Classroom,
        title: "Physics 101".into(),
        description: None,
        guild_id: GUILD,
        channel_id: CHANNEL,
        owner_id: OWNER,
        start_time,
        duration_minutes: None,
    }
}

/// A moderator who does not own the meeting: a host by the one rule.
fn host_member() -> wit::Participant {
    wit::Participant {
        user_id: MEMBER,
        kaltura_user_id: "discord-423456789012345678".into(),
        display_name: "Marie Curie".into(),
        role: KalturaRole::Moderator,
    }
}

/// Who asks to end a meeting: a member with `role`.
fn requester(user_id: u64, role: KalturaRole) -> wit::Requester {
    wit::Requester {
        user_id: Some(user_id),
        role,
    }
}

fn room(id: u64) -> serde_json::Value {
    json!({"id": id, "partnerId": 1234567, "name": "Physics 101", "status": 2,
           "tags": "vcprovider:newrow,kd-type:classroom,kd-guild:123456789012345678",
           "createdAt": 1700000000, "objectType": "KalturaLocationScheduleResource"})
}

fn exception(code: &str, message: &str) -> FakeResponse {
    FakeResponse::json(
        200,
        &json!({"code": code, "message": message, "objectType": "KalturaAPIException", "args": {}}),
    )
}

/// A Kaltura that creates room 42 and deletes rooms.
fn working_kaltura(request: &Recorded) -> FakeResponse {
    let path = request.path.as_str();
    if path.ends_with("/schedule_scheduleresource/action/add") {
        FakeResponse::json(200, &room(42))
    } else if path == "/api_v3/service/multirequest" {
        FakeResponse::json(
            200,
            &json!([{"id": 42, "status": 3, "objectType": "KalturaLocationScheduleResource"}]),
        )
    } else {
        exception("SERVICE_DOES_NOT_EXISTS", "no answer scripted")
    }
}

/// A deployment that signs in with an app token instead of the admin secret.
const APP_TOKEN_SETTINGS: &[(&str, &str)] = &[
    ("kaltura_admin_secret", ""),
    ("kaltura_app_token_id", "0_tok"),
    ("kaltura_app_token", "abcdef0123456789abcdef0123456789"),
    ("kaltura_app_token_hash_type", "SHA256"),
];

/// `working_kaltura` that also hands out sessions for an app token: the session reads
/// are the calls the service retries.
fn app_token_kaltura(request: &Recorded) -> FakeResponse {
    let path = request.path.as_str();
    if path.ends_with("/session/action/startWidgetSession") {
        FakeResponse::json(
            200,
            &json!({"partnerId": 1234567, "ks": "djJ8d2lkZ2V0LWtz",
                    "objectType": "KalturaStartWidgetSessionResponse"}),
        )
    } else if path.ends_with("/apptoken/action/startSession") {
        FakeResponse::json(
            200,
            &json!({"ks": "djJ8YWRtaW4ta3M", "sessionType": 2, "partnerId": 1234567,
                    "privileges": "sessionid:0_tok,apptoken:0_tok",
                    "objectType": "KalturaSessionInfo"}),
        )
    } else {
        working_kaltura(request)
    }
}

#[tokio::test]
async fn a_meeting_is_created_joined_listed_and_ended_through_the_real_component() {
    e2e::host_only!("calls the kaltura library's exports directly, which only the test host can");
    let fake = FakeServer::start(working_kaltura).await.unwrap();
    let kaltura = Kaltura::new(&fake, &[]).unwrap();

    let meeting = call!(kaltura, call_create_meeting, &request(None)).unwrap();
    assert_eq!(meeting.id, 42);
    assert_eq!(meeting.kind, wit::MeetingKind::Classroom);
    assert_eq!(meeting.guild_id, GUILD);
    let add = &fake.received()[0];
    assert_eq!(
        add.path,
        "/api_v3/service/schedule_scheduleresource/action/add"
    );
    assert_eq!(add.header("content-type"), Some("application/json"));
    let body = add.json().unwrap();
    assert_eq!(body["format"], 1);
    assert!(body["clientTag"]
        .as_str()
        .unwrap()
        .starts_with("kaltura-discord:"));
    assert!(body["ks"].as_str().unwrap().starts_with("djJ8"), "a KS v2");
    assert_eq!(
        body["scheduleResource"]["tags"],
        "vcprovider:newrow,kd-type:classroom,kd-guild:123456789012345678"
    );

    // Each call below runs in a new instance: the meeting is found through the store.
    let found = call!(kaltura, call_get_meeting, 42).unwrap().unwrap();
    assert_eq!(found.channel_id, CHANNEL);
    let listed = call!(
        kaltura,
        call_list_meetings,
        wit::MeetingFilter::Guild(GUILD)
    )
    .unwrap();
    assert_eq!(listed.len(), 1);

    let url = call!(kaltura, call_join_url, 42, &host_member()).unwrap();
    assert!(
        url.starts_with("https://kaf.example.edu/virtualEvent/launch?ks=djJ8"),
        "{url}"
    );
    assert_eq!(
        fake.received().len(),
        1,
        "a join URL is made without calling Kaltura"
    );
    let ks = url.split_once("?ks=").unwrap().1;
    assert!(!kaltura.stored().contains(&ks[..24]), "no KS is stored");

    // The one owner-or-moderator rule, in the service: a viewer who does not own it may
    // not end it; its owner may, even as a viewer.
    assert!(call!(
        kaltura,
        call_may_manage,
        42,
        requester(OWNER, KalturaRole::Viewer)
    )
    .unwrap());
    match call!(
        kaltura,
        call_end_meeting,
        42,
        requester(MEMBER, KalturaRole::Viewer)
    ) {
        Err(WitError::Forbidden(_)) => {}
        other => panic!("{other:?}"),
    }
    assert_eq!(
        fake.received().len(),
        1,
        "a refused end does not call Kaltura"
    );
    call!(
        kaltura,
        call_end_meeting,
        42,
        requester(OWNER, KalturaRole::Viewer)
    )
    .unwrap();
    let end = fake.received()[1].json().unwrap();
    assert_eq!(end["1"]["service"], "schedule_scheduleresource");
    assert_eq!(end["1"]["action"], "delete");
    let listed = call!(
        kaltura,
        call_list_meetings,
        wit::MeetingFilter::Owner(OWNER)
    )
    .unwrap();
    assert!(listed.is_empty());
    assert!(matches!(
        call!(kaltura, call_join_url, 42, &host_member()),
        Err(WitError::Invalid(_))
    ));
    // The record stays; both lists are deleted down to their pointers.
    let store = kaltura.host.store();
    assert_eq!(store.len(), 3, "{:?}", store.keys());
    for key in store.keys() {
        if key != "kaltura/v1/meeting/42" {
            assert!(key.ends_with("/meetings"), "{key}");
            assert_eq!(crate::support::document(&store, key), None, "{key}");
        }
    }
}

#[tokio::test]
async fn the_player_embed_url_is_built_from_the_deployments_settings() {
    e2e::host_only!("calls the kaltura library's exports directly, which only the test host can");
    let fake = FakeServer::start(working_kaltura).await.unwrap();
    let kaltura = Kaltura::new(&fake, &[("kaltura_player_uiconf_id", "4321")]).unwrap();
    assert_eq!(
        call!(kaltura, call_player_embed_url, "0_abc123", None).unwrap(),
        "https://cdnapisec.kaltura.com/p/1234567/embedPlaykitJs/uiconf_id/4321?iframeembed=true&entry_id=0_abc123"
    );
    assert!(matches!(
        call!(kaltura, call_player_embed_url, "0_x,role:adminRole", None),
        Err(WitError::Invalid(_))
    ));
}

#[tokio::test]
async fn reads_are_retried_through_the_host_and_creates_are_not() {
    e2e::host_only!("calls the kaltura library's exports directly, which only the test host can");
    let failures = Arc::new(Mutex::new(0));
    let seen = failures.clone();
    let fake = FakeServer::start(move |request| {
        let mut failed = seen.lock().unwrap();
        if *failed < 2 {
            *failed += 1;
            return FakeResponse::text(503, "Service Unavailable");
        }
        app_token_kaltura(request)
    })
    .await
    .unwrap();
    let kaltura = Kaltura::new(&fake, APP_TOKEN_SETTINGS).unwrap();
    call!(kaltura, call_create_meeting, &request(None)).unwrap();
    let received = fake.received();
    let paths: Vec<&str> = received.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(
        paths[..3],
        ["/api_v3/service/session/action/startWidgetSession"; 3],
        "two 503s, then the session read is answered"
    );

    let fake = FakeServer::start(|_| FakeResponse::text(503, "Service Unavailable"))
        .await
        .unwrap();
    let kaltura = Kaltura::new(&fake, &[]).unwrap();
    let err = call!(kaltura, call_create_meeting, &request(None)).unwrap_err();
    assert!(matches!(err, WitError::Unavailable(_)), "{err:?}");
    assert_eq!(fake.received().len(), 1, "a create is sent once");
    assert!(kaltura
        .keys()
        .iter()
        .all(|k| k == "kaltura/v1/breaker" || k.starts_with("kaltura/v1/breaker#")));
}

#[tokio::test]
async fn a_slow_kaltura_times_out_through_wasi_http_request_options() {
    e2e::host_only!("calls the kaltura library's exports directly, which only the test host can");
    let fake =
        FakeServer::start(|request| app_token_kaltura(request).after(Duration::from_secs(5)))
            .await
            .unwrap();
    let mut settings = APP_TOKEN_SETTINGS.to_vec();
    settings.push(("kaltura_request_timeout_ms", "300"));
    let kaltura = Kaltura::new(&fake, &settings).unwrap();
    let started = Instant::now();
    let err = call!(kaltura, call_create_meeting, &request(None)).unwrap_err();
    let elapsed = started.elapsed();
    match err {
        WitError::Unavailable(message) => assert!(message.contains("timed out"), "{message}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        fake.received().len(),
        3,
        "each attempt timed out and was retried"
    );
    assert!(
        elapsed < Duration::from_secs(4),
        "gave up after {elapsed:?}"
    );
}

#[tokio::test]
async fn the_breaker_opens_across_instances_and_circuit_open_reports_it() {
    e2e::host_only!("calls the kaltura library's exports directly, which only the test host can");
    let fake = FakeServer::start(|_| FakeResponse::text(502, "Bad Gateway"))
        .await
        .unwrap();
    let kaltura = Kaltura::new(&fake, &[]).unwrap();
    assert!(!call!(kaltura, call_circuit_open));
    for _ in 0..5 {
        assert!(call!(kaltura, call_create_meeting, &request(None)).is_err());
    }
    assert!(call!(kaltura, call_circuit_open));
    match call!(kaltura, call_create_meeting, &request(None)) {
        Err(WitError::Unavailable(message)) => {
            assert!(message.contains("circuit open"), "{message}")
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(fake.received().len(), 5, "an open circuit fails fast");
}

#[tokio::test]
async fn a_kaltura_refusal_inside_a_200_is_forbidden_not_an_outage() {
    e2e::host_only!("calls the kaltura library's exports directly, which only the test host can");
    let fake = FakeServer::start(|_| {
        exception(
            "SERVICE_FORBIDDEN",
            "The access to service [schedule_scheduleresource->add] is forbidden",
        )
    })
    .await
    .unwrap();
    let kaltura = Kaltura::new(&fake, &[]).unwrap();
    assert!(matches!(
        call!(kaltura, call_create_meeting, &request(None)),
        Err(WitError::Forbidden(_))
    ));
    assert_eq!(fake.received().len(), 1, "a refusal is not retried");
    assert!(!call!(kaltura, call_circuit_open));
}

#[tokio::test]
async fn an_app_token_deployment_gets_its_sessions_from_kaltura() {
    e2e::host_only!("calls the kaltura library's exports directly, which only the test host can");
    let fake = FakeServer::start(app_token_kaltura).await.unwrap();
    let kaltura = Kaltura::new(&fake, APP_TOKEN_SETTINGS).unwrap();
    let status = call!(kaltura, call_status);
    assert!(
        status.missing_settings.is_empty(),
        "{:?}",
        status.missing_settings
    );
    call!(kaltura, call_create_meeting, &request(None)).unwrap();
    let received = fake.received();
    let paths: Vec<&str> = received.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "/api_v3/service/session/action/startWidgetSession",
            "/api_v3/service/apptoken/action/startSession",
            "/api_v3/service/schedule_scheduleresource/action/add",
        ]
    );
    let start = received[1].json().unwrap();
    assert_eq!(start["ks"], "djJ8d2lkZ2V0LWtz");
    assert_eq!(start["id"], "0_tok");
    assert_eq!(
        start["tokenHash"].as_str().map(str::len),
        Some(64),
        "a SHA-256 hex digest"
    );
    assert_eq!(received[2].json().unwrap()["ks"], "djJ8YWRtaW4ta3M");
    // The session Kaltura gave is an admin one: it must not become a member's join link.
    match call!(kaltura, call_join_url, 42, &host_member()) {
        Err(WitError::Forbidden(message)) => assert!(!message.contains("djJ8"), "{message}"),
        other => panic!("{other:?}"),
    }
}

/// spin.toml where the gateway's dependencies say what they inherit one by one:
/// `config` and `identity` everything, `kaltura` only the capability sets `sets`.
fn gateway_inheriting(sets: &str) -> String {
    let manifest = std::fs::read_to_string(e2e::repo_root().join("spin.toml")).unwrap();
    let gateway = manifest.find("[component.gateway]").unwrap();
    let (before, after) = manifest.split_at(gateway);
    let after = after
        .replacen("dependencies_inherit_configuration = true\n", "", 1)
        .replacen(
            "\"kaltura-discord:config/config\" = { component = \"config\" }",
            "\"kaltura-discord:config/config\" = { component = \"config\", inherit_configuration = true }",
            1,
        )
        .replacen(
            "\"kaltura-discord:identity/identity\" = { component = \"identity\" }",
            "\"kaltura-discord:identity/identity\" = { component = \"identity\", inherit_configuration = true }",
            1,
        )
        .replacen(
            "\"kaltura-discord:kaltura/kaltura\" = { component = \"kaltura\" }",
            &format!("\"kaltura-discord:kaltura/kaltura\" = {{ component = \"kaltura\", inherit_configuration = {sets} }}"),
            1,
        );
    assert!(after.contains(&format!("inherit_configuration = {sets}")));
    format!("{before}{after}")
}

#[tokio::test]
async fn without_allowed_outbound_hosts_the_deny_adapter_answers_and_nothing_leaves() {
    e2e::host_only!("calls the kaltura library's exports directly, which only the test host can");
    let fake = FakeServer::start(working_kaltura).await.unwrap();
    let manifest = gateway_inheriting("[\"key_value_stores\", \"variables\"]");
    let kaltura = Kaltura::with_builder(e2e::app().manifest_text(manifest), &fake, &[]).unwrap();
    assert!(call!(kaltura, call_create_meeting, &request(None)).is_err());
    assert!(fake.received().is_empty());
    assert!(
        kaltura.host.outbound().is_empty(),
        "the adapter answered: the request never reached the host"
    );

    // Inheriting them, the same call reaches Kaltura.
    let manifest =
        gateway_inheriting("[\"key_value_stores\", \"variables\", \"allowed_outbound_hosts\"]");
    let kaltura = Kaltura::with_builder(e2e::app().manifest_text(manifest), &fake, &[]).unwrap();
    assert!(call!(kaltura, call_create_meeting, &request(None)).is_ok());
    assert!(!fake.received().is_empty());
}

#[tokio::test]
async fn without_variables_every_setting_is_undefined_for_the_library() {
    e2e::host_only!("calls the kaltura library's exports directly, which only the test host can");
    let fake = FakeServer::start(working_kaltura).await.unwrap();
    let denied = Kaltura::with_builder(
        e2e::app().manifest_text(gateway_inheriting(
            "[\"key_value_stores\", \"allowed_outbound_hosts\"]",
        )),
        &fake,
        &[("kaltura_player_uiconf_id", "4321")],
    )
    .unwrap();
    assert!(
        call!(denied, call_player_embed_url, "0_abc123", None).is_err(),
        "no partner id: undefined"
    );
    let inherited = Kaltura::with_builder(
        e2e::app().manifest_text(gateway_inheriting("true")),
        &fake,
        &[("kaltura_player_uiconf_id", "4321")],
    )
    .unwrap();
    assert!(call!(inherited, call_player_embed_url, "0_abc123", None).is_ok());
}
