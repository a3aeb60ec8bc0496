//! The User Auth & Mapping Service through its real `identity.wasm`: its three
//! interfaces (`members`, `tokens`, `api-keys`) called through the WIT exports of the
//! world `kaltura-discord:app/identity-service`, one fresh instance per call as Spin
//! runs a library component per request, with the gateway's variables and store.

use e2e::{LibraryHost, State};
use wasmtime::Store;

mod service {
    wasmtime::component::bindgen!({
        path: "../wit",
        world: "kaltura-discord:app/identity-service",
        exports: { default: async },
    });
}

use service::kaltura_discord::types::common::{Actor, Error as WitError, KalturaRole, Member};
use service::kaltura_discord::types::identity::{Scope, Subject};

const GUILD: u64 = 123_456_789_012_345_678;
const USER: u64 = 323_456_789_012_345_678;

/// The `identity` component as the gateway runs it, called through its exports.
struct Identity {
    host: LibraryHost,
}

impl Identity {
    fn new() -> anyhow::Result<Self> {
        let host = e2e::app()
            .variable("gateway_signing_key", "a".repeat(64))
            .library("identity", "gateway")?;
        Ok(Self { host })
    }

    /// A fresh instance, as for one Spin request.
    async fn instance(&self) -> wasmtime::Result<(Store<State>, service::IdentityService)> {
        let mut store = self.host.new_store();
        let bindings = service::IdentityService::instantiate_async(
            &mut store,
            self.host.component(),
            self.host.linker(),
        )
        .await?;
        Ok((store, bindings))
    }
}

/// Calls one export of one interface on a fresh instance.
macro_rules! call {
    ($identity:expr, $interface:ident, $func:ident $(, $arg:expr)*) => {{
        let (mut store, bindings) = $identity
            .instance()
            .await
            .expect("identity.wasm instantiates with WASI, key-value and variables");
        bindings
            .$interface()
            .$func(&mut store $(, $arg)*)
            .await
            .expect("the call does not trap")
    }};
}

fn member() -> Member {
    Member {
        guild_id: GUILD,
        user_id: USER,
        username: "marie".into(),
        global_name: Some("Marie Curie".into()),
        nick: None,
        role_ids: vec![],
        permissions: 0,
    }
}

#[tokio::test]
async fn a_member_is_resolved_with_the_callers_role_and_recorded() {
    e2e::host_only!("calls the identity library's exports directly, which only the test host can");
    let identity = Identity::new().unwrap();
    let resolved = call!(
        identity,
        kaltura_discord_identity_members,
        call_resolve_member,
        &member(),
        KalturaRole::Moderator
    )
    .unwrap();
    assert_eq!(resolved.kaltura_user_id, "discord-323456789012345678");
    assert_eq!(resolved.display_name, "Marie Curie");
    assert_eq!(resolved.role, KalturaRole::Moderator);
    let record = call!(
        identity,
        kaltura_discord_identity_members,
        call_get_user,
        USER
    )
    .unwrap()
    .unwrap();
    assert_eq!(record.guild_ids, [GUILD]);
    assert!(matches!(
        call!(identity, kaltura_discord_identity_members, call_get_user, 0),
        Err(WitError::Invalid(_))
    ));
    let status = call!(identity, kaltura_discord_identity_members, call_status);
    assert!(status.missing_settings.is_empty() && status.key_value_ok);
}

#[tokio::test]
async fn a_session_is_issued_verified_and_revoked_across_instances() {
    e2e::host_only!("calls the identity library's exports directly, which only the test host can");
    let identity = Identity::new().unwrap();
    let subject = Subject {
        user_id: USER,
        guild_id: GUILD,
        role: KalturaRole::Moderator,
        scopes: vec![Scope::MeetingsRead, Scope::MeetingsWrite],
    };
    let pair = call!(
        identity,
        kaltura_discord_identity_tokens,
        call_issue,
        &subject,
        300
    )
    .unwrap();
    let claims = call!(
        identity,
        kaltura_discord_identity_tokens,
        call_verify,
        &pair.access
    )
    .unwrap();
    assert_eq!((claims.user_id, claims.guild_id), (USER, GUILD));
    call!(
        identity,
        kaltura_discord_identity_tokens,
        call_authorize,
        claims.guild_id,
        &claims.scopes,
        GUILD,
        Scope::MeetingsWrite
    )
    .unwrap();
    call!(
        identity,
        kaltura_discord_identity_tokens,
        call_revoke,
        &pair.refresh
    )
    .unwrap();
    match call!(
        identity,
        kaltura_discord_identity_tokens,
        call_verify,
        &pair.access
    ) {
        Err(WitError::Forbidden(message)) => assert!(message.contains("revoked"), "{message}"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_refresh_carries_the_subject_re_established_by_the_caller() {
    e2e::host_only!("calls the identity library's exports directly, which only the test host can");
    let identity = Identity::new().unwrap();
    let admin = Subject {
        user_id: USER,
        guild_id: GUILD,
        role: KalturaRole::Admin,
        scopes: vec![
            Scope::MeetingsRead,
            Scope::MeetingsWrite,
            Scope::ConfigRead,
            Scope::ConfigWrite,
            Scope::AuditRead,
            Scope::KeysManage,
        ],
    };
    let pair = call!(
        identity,
        kaltura_discord_identity_tokens,
        call_issue,
        &admin,
        300
    )
    .unwrap();
    let session = call!(
        identity,
        kaltura_discord_identity_tokens,
        call_session_of,
        &pair.refresh
    )
    .unwrap();
    assert_eq!((session.user_id, session.guild_id), (USER, GUILD));
    assert_eq!(session.role, KalturaRole::Admin);
    let viewer = Subject {
        role: KalturaRole::Viewer,
        scopes: vec![Scope::MeetingsRead],
        ..admin.clone()
    };
    // More than the current role grants is refused, and leaves the token unused.
    let overreach = Subject {
        scopes: admin.scopes.clone(),
        ..viewer.clone()
    };
    assert!(matches!(
        call!(
            identity,
            kaltura_discord_identity_tokens,
            call_refresh,
            &pair.refresh,
            &overreach
        ),
        Err(WitError::Forbidden(_))
    ));
    let next = call!(
        identity,
        kaltura_discord_identity_tokens,
        call_refresh,
        &pair.refresh,
        &viewer
    )
    .unwrap();
    let claims = call!(
        identity,
        kaltura_discord_identity_tokens,
        call_verify,
        &next.access
    )
    .unwrap();
    assert_eq!(claims.role, KalturaRole::Viewer);
    assert_eq!(claims.scopes, [Scope::MeetingsRead]);
}

#[tokio::test]
async fn an_api_key_past_its_expiry_is_refused_and_still_listed() {
    e2e::host_only!("calls the identity library's exports directly, which only the test host can");
    let identity = Identity::new().unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let created = call!(
        identity,
        kaltura_discord_identity_api_keys,
        call_create,
        GUILD,
        &[Scope::MeetingsRead],
        "nightly",
        &Actor::DiscordUser(USER),
        Some(now + 2)
    )
    .unwrap();
    assert_eq!(created.info.expires_at, Some(now + 2));
    let claims = call!(
        identity,
        kaltura_discord_identity_api_keys,
        call_verify,
        &created.secret_shown_once
    )
    .unwrap();
    assert_eq!(claims.expires_at, Some(now + 2));
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    match call!(
        identity,
        kaltura_discord_identity_api_keys,
        call_verify,
        &created.secret_shown_once
    ) {
        Err(WitError::Forbidden(message)) => assert!(message.contains("expired"), "{message}"),
        other => panic!("{other:?}"),
    }
    let listed = call!(
        identity,
        kaltura_discord_identity_api_keys,
        call_list,
        GUILD
    )
    .unwrap();
    assert_eq!(listed[0].expires_at, Some(now + 2));
    assert!(matches!(
        call!(
            identity,
            kaltura_discord_identity_api_keys,
            call_create,
            GUILD,
            &[Scope::MeetingsRead],
            "too long",
            &Actor::DiscordUser(USER),
            Some(now + 400 * 86_400)
        ),
        Err(WitError::Invalid(_))
    ));
}

#[tokio::test]
async fn an_api_key_is_created_verified_listed_and_revoked() {
    e2e::host_only!("calls the identity library's exports directly, which only the test host can");
    let identity = Identity::new().unwrap();
    let created = call!(
        identity,
        kaltura_discord_identity_api_keys,
        call_create,
        GUILD,
        &[Scope::AuditRead],
        "audit export",
        &Actor::DiscordUser(USER),
        None
    )
    .unwrap();
    let claims = call!(
        identity,
        kaltura_discord_identity_api_keys,
        call_verify,
        &created.secret_shown_once
    )
    .unwrap();
    assert_eq!(claims.guild_id, GUILD);
    let listed = call!(
        identity,
        kaltura_discord_identity_api_keys,
        call_list,
        GUILD
    )
    .unwrap();
    assert_eq!(listed.len(), 1);
    assert!(matches!(listed[0].created_by, Actor::DiscordUser(USER)));
    call!(
        identity,
        kaltura_discord_identity_api_keys,
        call_revoke,
        GUILD,
        &created.info.id
    )
    .unwrap();
    assert!(matches!(
        call!(
            identity,
            kaltura_discord_identity_api_keys,
            call_verify,
            &created.secret_shown_once
        ),
        Err(WitError::Forbidden(_))
    ));
}
