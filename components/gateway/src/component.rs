//! The Spin adapter: reads the request, runs [`api::handle`] with the WIT-imported
//! services, the `default` key-value store (through `wasi:keyvalue`, whose `atomics`
//! count the rate limits: `increment`) and Spin's outbound HTTP as its
//! backend, and writes the response.

wit_bindgen::generate!({ world: "gateway", path: "../../wit", generate_all });

use crate::api::{self, Backend};
use crate::services as svc;
use common::{KeyValue, ServiceStatus};
use kaltura_discord::config::config;
use kaltura_discord::identity::identity;
use kaltura_discord::kaltura::kaltura;
use kaltura_discord::types::types;
use spin_adapter::{SpinVariables, WasiCasStore};
use spin_sdk::http::{IncomingRequest, ResponseOutparam};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

/// Requests to the gateway carry small JSON documents; anything larger is refused.
const BODY_LIMIT: usize = 64 * 1024;

/// The variable with how long a call to Discord may take, in milliseconds (100 to
/// 60000), before the request gives up on it.
const DISCORD_TIMEOUT_SETTING: &str = "gateway_discord_timeout_ms";
/// The timeout when the variable is unset.
const DEFAULT_DISCORD_TIMEOUT: Duration = Duration::from_secs(10);

/// The backend of one request (one instance).
struct WitBackend {
    /// The `default` store, through `wasi:keyvalue` for its atomic increment.
    store: WasiCasStore,
}

fn from_wit_status(status: types::ServiceStatus) -> ServiceStatus {
    ServiceStatus {
        name: status.name,
        version: status.version,
        missing_settings: status.missing_settings,
        key_value_ok: status.key_value_ok,
    }
}

fn error(err: types::Error) -> svc::ServiceError {
    use svc::ServiceError as E;
    match err {
        types::Error::NotConfigured(m) => E::NotConfigured(m),
        types::Error::Invalid(m) => E::Invalid(m),
        types::Error::NotFound(m) => E::NotFound(m),
        types::Error::Forbidden(m) => E::Forbidden(m),
        types::Error::Unavailable(m) => E::Unavailable(m),
        types::Error::Conflict(m) => E::Conflict(m),
        types::Error::Storage(m) => E::Storage(m),
        types::Error::Other(m) => E::Other(m),
    }
}

impl WitBackend {
    fn discord_timeout(&self) -> Duration {
        let Some(raw) = self.setting(DISCORD_TIMEOUT_SETTING) else {
            return DEFAULT_DISCORD_TIMEOUT;
        };
        match raw.trim().parse::<u64>() {
            Ok(ms) if (100..=60_000).contains(&ms) => Duration::from_millis(ms),
            _ => {
                self.log(&format!(
                    "{DISCORD_TIMEOUT_SETTING} must be 100 to 60000; using {} ms",
                    DEFAULT_DISCORD_TIMEOUT.as_millis()
                ));
                DEFAULT_DISCORD_TIMEOUT
            }
        }
    }
}

/// A future that is ready once the monotonic clock passes a deadline; it registers
/// its pollable with the executor spin-sdk runs the handler on.
struct Deadline {
    at: u64,
    _registration: Option<spin_executor::CancelOnDropToken>,
}

impl Deadline {
    fn after(duration: Duration) -> Self {
        let nanos = u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX);
        Self {
            at: wasi::clocks::monotonic_clock::now().saturating_add(nanos),
            _registration: None,
        }
    }
}

impl Future for Deadline {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if wasi::clocks::monotonic_clock::now() >= self.at {
            return Poll::Ready(());
        }
        let pollable = wasi::clocks::monotonic_clock::subscribe_instant(self.at);
        let token = spin_executor::push_waker_and_get_token(pollable, cx.waker().clone());
        self._registration = Some(token.into());
        Poll::Pending
    }
}

impl Backend for WitBackend {
    type Rates = WasiCasStore;

    fn gateway_status(&self) -> ServiceStatus {
        ServiceStatus::check(
            "gateway",
            env!("CARGO_PKG_VERSION"),
            crate::REQUIRED_SETTINGS,
            &SpinVariables,
            spin_adapter::key_value().as_ref(),
            crate::keys::READY_PROBE,
        )
    }

    fn service_statuses(&self) -> Vec<ServiceStatus> {
        vec![
            from_wit_status(config::status()),
            from_wit_status(identity::status()),
            from_wit_status(kaltura::status()),
        ]
    }

    fn kaltura_ping(&self) -> Result<(), String> {
        kaltura::ping().map_err(|err| match err {
            types::Error::NotConfigured(name) => format!("setting {name} is not set"),
            types::Error::Unavailable(why)
            | types::Error::Invalid(why)
            | types::Error::Other(why) => why,
            other => format!("{other:?}"),
        })
    }

    fn setting(&self, name: &str) -> Option<String> {
        common::Variables::get(&SpinVariables, name)
    }

    fn request_id(&self) -> String {
        spin_adapter::random_hex(8)
    }

    fn now(&self) -> u64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
    }

    fn log(&self, line: &str) {
        eprintln!("gateway: {line}");
    }

    fn identity(&self) -> &dyn svc::Identity {
        &WitIdentity
    }

    fn config(&self) -> &dyn svc::Config {
        &WitConfig
    }

    fn kaltura(&self) -> &dyn svc::Kaltura {
        &WitKaltura
    }

    fn rates(&self) -> &WasiCasStore {
        &self.store
    }

    fn store(&self) -> &dyn KeyValue {
        &self.store
    }

    async fn send(
        &self,
        request: http::Request<Vec<u8>>,
    ) -> Result<http::Response<Vec<u8>>, String> {
        let timeout = self.discord_timeout();
        let send = std::pin::pin!(spin_adapter::send(request));
        let deadline = std::pin::pin!(Deadline::after(timeout));
        match futures::future::select(send, deadline).await {
            futures::future::Either::Left((result, _)) => result.map_err(|err| err.0),
            futures::future::Either::Right(((), _)) => {
                Err(format!("no answer within {} ms", timeout.as_millis()))
            }
        }
    }
}

// --- identity ---

struct WitIdentity;

fn id_role(role: svc::Role) -> identity::KalturaRole {
    match role {
        svc::Role::Viewer => identity::KalturaRole::Viewer,
        svc::Role::Moderator => identity::KalturaRole::Moderator,
        svc::Role::Admin => identity::KalturaRole::Admin,
    }
}

fn role_from_id(role: identity::KalturaRole) -> svc::Role {
    match role {
        identity::KalturaRole::Viewer => svc::Role::Viewer,
        identity::KalturaRole::Moderator => svc::Role::Moderator,
        identity::KalturaRole::Admin => svc::Role::Admin,
    }
}

fn scope_to_wit(scope: svc::Scope) -> identity::Scope {
    match scope {
        svc::Scope::MeetingsRead => identity::Scope::MeetingsRead,
        svc::Scope::MeetingsWrite => identity::Scope::MeetingsWrite,
        svc::Scope::ConfigRead => identity::Scope::ConfigRead,
        svc::Scope::ConfigWrite => identity::Scope::ConfigWrite,
        svc::Scope::AuditRead => identity::Scope::AuditRead,
        svc::Scope::KeysManage => identity::Scope::KeysManage,
    }
}

fn scope_from_wit(scope: identity::Scope) -> svc::Scope {
    match scope {
        identity::Scope::MeetingsRead => svc::Scope::MeetingsRead,
        identity::Scope::MeetingsWrite => svc::Scope::MeetingsWrite,
        identity::Scope::ConfigRead => svc::Scope::ConfigRead,
        identity::Scope::ConfigWrite => svc::Scope::ConfigWrite,
        identity::Scope::AuditRead => svc::Scope::AuditRead,
        identity::Scope::KeysManage => svc::Scope::KeysManage,
    }
}

fn scopes_from_wit(scopes: Vec<identity::Scope>) -> Vec<svc::Scope> {
    scopes.into_iter().map(scope_from_wit).collect()
}

fn id_actor(actor: &svc::Actor) -> identity::Actor {
    match actor {
        svc::Actor::DiscordUser(id) => identity::Actor::DiscordUser(id.clone()),
        svc::Actor::ApiKey(id) => identity::Actor::ApiKey(id.clone()),
    }
}

fn actor_from_id(actor: identity::Actor) -> svc::Actor {
    match actor {
        identity::Actor::DiscordUser(id) => svc::Actor::DiscordUser(id),
        identity::Actor::ApiKey(id) => svc::Actor::ApiKey(id),
    }
}

fn key_info(info: identity::ApiKeyInfo) -> svc::ApiKeyInfo {
    svc::ApiKeyInfo {
        id: info.id,
        guild_id: info.guild_id,
        scopes: scopes_from_wit(info.scopes),
        label: info.label,
        created_by: actor_from_id(info.created_by),
        created_at: info.created_at,
    }
}

fn token_pair(pair: identity::TokenPair) -> svc::TokenPair {
    svc::TokenPair {
        access: pair.access,
        refresh: pair.refresh,
        expires_at: pair.expires_at,
        refresh_expires_at: pair.refresh_expires_at,
    }
}

impl svc::Identity for WitIdentity {
    fn verify_token(&self, access: &str) -> Result<svc::AccessClaims, svc::ServiceError> {
        let claims = identity::verify_token(access).map_err(error)?;
        Ok(svc::AccessClaims {
            user_id: claims.user_id,
            guild_id: claims.guild_id,
            role: role_from_id(claims.role),
            scopes: scopes_from_wit(claims.scopes),
            expires_at: claims.expires_at,
            token_id: claims.token_id,
            session_id: claims.session_id,
        })
    }

    fn verify_api_key(&self, presented: &str) -> Result<svc::KeyClaims, svc::ServiceError> {
        let claims = identity::verify_api_key(presented).map_err(error)?;
        Ok(svc::KeyClaims {
            id: claims.id,
            guild_id: claims.guild_id,
            scopes: scopes_from_wit(claims.scopes),
            label: claims.label,
        })
    }

    fn scopes_for_role(&self, role: svc::Role) -> Vec<svc::Scope> {
        scopes_from_wit(identity::scopes_for_role(id_role(role)))
    }

    fn resolve_member(
        &self,
        member: &svc::MemberFacts,
        mapping: &svc::RoleMapping,
    ) -> Result<svc::KalturaIdentity, svc::ServiceError> {
        let member = identity::Member {
            guild_id: member.guild_id.clone(),
            user_id: member.user_id.clone(),
            username: member.username.clone(),
            global_name: member.global_name.clone(),
            nick: member.nick.clone(),
            role_ids: member.role_ids.clone(),
            permissions: member.permissions.to_string(),
        };
        let mapping = identity::RoleMapping {
            roles: mapping
                .roles
                .iter()
                .map(|(role_id, role)| identity::RoleGrant {
                    role_id: role_id.clone(),
                    role: id_role(*role),
                })
                .collect(),
            user_overrides: mapping
                .user_overrides
                .iter()
                .map(|(user_id, role)| identity::UserGrant {
                    user_id: user_id.clone(),
                    role: id_role(*role),
                })
                .collect(),
            default_role: id_role(mapping.default_role),
        };
        let resolved = identity::resolve_member(&member, &mapping).map_err(error)?;
        Ok(svc::KalturaIdentity {
            kaltura_user_id: resolved.kaltura_user_id,
            display_name: resolved.display_name,
            role: role_from_id(resolved.role),
        })
    }

    fn kaltura_user_id(&self, user_id: &str) -> Result<Option<String>, svc::ServiceError> {
        Ok(identity::get_user(user_id)
            .map_err(error)?
            .map(|record| record.kaltura_user_id))
    }

    fn issue_token(
        &self,
        subject: &svc::Subject,
        ttl_seconds: u32,
    ) -> Result<svc::TokenPair, svc::ServiceError> {
        let subject = identity::Subject {
            user_id: subject.user_id.clone(),
            guild_id: subject.guild_id.clone(),
            role: id_role(subject.role),
            scopes: subject.scopes.iter().copied().map(scope_to_wit).collect(),
        };
        identity::issue_token(&subject, ttl_seconds)
            .map(token_pair)
            .map_err(error)
    }

    fn refresh(&self, refresh_token: &str) -> Result<svc::TokenPair, svc::ServiceError> {
        identity::refresh(refresh_token)
            .map(token_pair)
            .map_err(error)
    }

    fn revoke(&self, token: &str) -> Result<(), svc::ServiceError> {
        identity::revoke(token).map_err(error)
    }

    fn create_api_key(
        &self,
        guild_id: &str,
        scopes: &[svc::Scope],
        label: &str,
        created_by: &svc::Actor,
    ) -> Result<svc::CreatedKey, svc::ServiceError> {
        let scopes: Vec<identity::Scope> = scopes.iter().copied().map(scope_to_wit).collect();
        let created = identity::create_api_key(guild_id, &scopes, label, &id_actor(created_by))
            .map_err(error)?;
        Ok(svc::CreatedKey {
            secret_shown_once: created.secret_shown_once,
            info: key_info(created.info),
        })
    }

    fn list_api_keys(&self, guild_id: &str) -> Result<Vec<svc::ApiKeyInfo>, svc::ServiceError> {
        Ok(identity::list_api_keys(guild_id)
            .map_err(error)?
            .into_iter()
            .map(key_info)
            .collect())
    }

    fn revoke_api_key(&self, guild_id: &str, id: &str) -> Result<(), svc::ServiceError> {
        identity::revoke_api_key(guild_id, id).map_err(error)
    }
}

// --- config ---

struct WitConfig;

fn role_from_config(role: config::KalturaRole) -> svc::Role {
    match role {
        config::KalturaRole::Viewer => svc::Role::Viewer,
        config::KalturaRole::Moderator => svc::Role::Moderator,
        config::KalturaRole::Admin => svc::Role::Admin,
    }
}

fn config_actor(actor: &svc::Actor) -> config::Actor {
    match actor {
        svc::Actor::DiscordUser(id) => config::Actor::DiscordUser(id.clone()),
        svc::Actor::ApiKey(id) => config::Actor::ApiKey(id.clone()),
    }
}

fn update_result(result: config::UpdateResult) -> svc::UpdateResult {
    svc::UpdateResult {
        version: result.version,
        changed_keys: result.changed_keys,
    }
}

fn audit_entries(entries: Vec<config::AuditEntry>) -> Vec<svc::AuditEntry> {
    entries
        .into_iter()
        .map(|entry| svc::AuditEntry {
            at: entry.at,
            actor: match entry.actor {
                config::Actor::DiscordUser(id) => svc::Actor::DiscordUser(id),
                config::Actor::ApiKey(id) => svc::Actor::ApiKey(id),
            },
            version: entry.version,
            changes: entry
                .changes
                .into_iter()
                .map(|change| svc::Change {
                    key: change.key,
                    old_value: change.old_value,
                    new_value: change.new_value,
                })
                .collect(),
        })
        .collect()
}

impl svc::Config for WitConfig {
    fn role_for(
        &self,
        guild_id: &str,
        member: &svc::MemberInfo,
    ) -> Result<svc::Role, svc::ServiceError> {
        let member = config::MemberInfo {
            user_id: member.user_id.clone(),
            role_ids: member.role_ids.clone(),
            permissions: member.permissions,
        };
        config::role_for(guild_id, &member)
            .map(role_from_config)
            .map_err(error)
    }

    fn get(&self, guild_id: &str) -> Result<svc::ConfigView, svc::ServiceError> {
        let view = config::get(guild_id).map_err(error)?;
        Ok(svc::ConfigView {
            version: view.version,
            deployment_version: view.deployment_version,
            config_json: view.config_json,
            overrides_json: view.overrides_json,
        })
    }

    fn update(
        &self,
        guild_id: &str,
        patch_json: &str,
        expected_version: u64,
        actor: &svc::Actor,
    ) -> Result<svc::UpdateResult, svc::ServiceError> {
        config::update(guild_id, patch_json, expected_version, &config_actor(actor))
            .map(update_result)
            .map_err(error)
    }

    fn reset(
        &self,
        guild_id: &str,
        section: Option<svc::Section>,
        actor: &svc::Actor,
    ) -> Result<svc::UpdateResult, svc::ServiceError> {
        let section = section.map(|section| match section {
            svc::Section::Commands => config::Section::Commands,
            svc::Section::Roles => config::Section::Roles,
            svc::Section::Notifications => config::Section::Notifications,
            svc::Section::Features => config::Section::Features,
            svc::Section::Kaltura => config::Section::Kaltura,
        });
        config::reset(guild_id, section, &config_actor(actor))
            .map(update_result)
            .map_err(error)
    }

    fn audit_log(
        &self,
        guild_id: &str,
        limit: u32,
    ) -> Result<Vec<svc::AuditEntry>, svc::ServiceError> {
        config::audit_log(guild_id, limit)
            .map(audit_entries)
            .map_err(error)
    }

    fn get_deployment(&self) -> Result<svc::DeploymentView, svc::ServiceError> {
        let view = config::get_deployment().map_err(error)?;
        Ok(svc::DeploymentView {
            version: view.version,
            overrides_json: view.overrides_json,
        })
    }

    fn update_deployment(
        &self,
        patch_json: &str,
        expected_version: u64,
        actor: &svc::Actor,
    ) -> Result<svc::UpdateResult, svc::ServiceError> {
        config::update_deployment(patch_json, expected_version, &config_actor(actor))
            .map(update_result)
            .map_err(error)
    }

    fn deployment_audit_log(&self, limit: u32) -> Result<Vec<svc::AuditEntry>, svc::ServiceError> {
        config::deployment_audit_log(limit)
            .map(audit_entries)
            .map_err(error)
    }
}

// --- kaltura ---

struct WitKaltura;

fn meeting(m: kaltura::Meeting) -> svc::Meeting {
    svc::Meeting {
        id: m.id,
        kind: match m.kind {
            kaltura::MeetingKind::Webinar => svc::MeetingKind::Webinar,
            kaltura::MeetingKind::Meeting => svc::MeetingKind::Meeting,
            kaltura::MeetingKind::Classroom => svc::MeetingKind::Classroom,
        },
        title: m.title,
        guild_id: m.guild_id,
        channel_id: m.channel_id,
        owner_id: m.owner_id,
        created_at: m.created_at,
        start_time: m.start_time,
        end_time: m.end_time,
        ended_at: m.ended_at,
    }
}

impl svc::Kaltura for WitKaltura {
    fn circuit_open(&self) -> bool {
        kaltura::circuit_open()
    }

    fn create_meeting(&self, request: &svc::NewMeeting) -> Result<svc::Meeting, svc::ServiceError> {
        let request = kaltura::MeetingRequest {
            kind: match request.kind {
                svc::MeetingKind::Webinar => kaltura::MeetingKind::Webinar,
                svc::MeetingKind::Meeting => kaltura::MeetingKind::Meeting,
                svc::MeetingKind::Classroom => kaltura::MeetingKind::Classroom,
            },
            title: request.title.clone(),
            description: request.description.clone(),
            guild_id: request.guild_id.clone(),
            channel_id: request.channel_id.clone(),
            owner_id: request.owner_id.clone(),
            start_time: request.start_time,
            duration_minutes: request.duration_minutes,
        };
        kaltura::create_meeting(&request)
            .map(meeting)
            .map_err(error)
    }

    fn get_meeting(&self, id: &str) -> Result<Option<svc::Meeting>, svc::ServiceError> {
        Ok(kaltura::get_meeting(id).map_err(error)?.map(meeting))
    }

    fn list_meetings(&self, guild_id: &str) -> Result<Vec<svc::Meeting>, svc::ServiceError> {
        let filter = kaltura::MeetingFilter::Guild(guild_id.to_owned());
        Ok(kaltura::list_meetings(&filter)
            .map_err(error)?
            .into_iter()
            .map(meeting)
            .collect())
    }

    fn end_meeting(&self, id: &str) -> Result<(), svc::ServiceError> {
        kaltura::end_meeting(id).map_err(error)
    }

    fn join_url(
        &self,
        meeting_id: &str,
        member: &svc::JoinMember,
    ) -> Result<String, svc::ServiceError> {
        let member = kaltura::MemberIdentity {
            kaltura_user_id: member.kaltura_user_id.clone(),
            display_name: member.display_name.clone(),
            role: match member.role {
                svc::MeetingRole::Host => kaltura::MemberRole::Host,
                svc::MeetingRole::Attendee => kaltura::MemberRole::Attendee,
            },
        };
        kaltura::join_url(meeting_id, &member).map_err(error)
    }
}

#[spin_sdk::http_component]
async fn handle(request: IncomingRequest, out: ResponseOutparam) {
    let request = match spin_adapter::read_request(request, BODY_LIMIT) {
        Ok(request) => request,
        Err(err) => return spin_adapter::respond_error(out, &err.api_error(), &[]),
    };
    let backend = WitBackend {
        store: spin_adapter::cas_store(),
    };
    let response = api::handle(
        &api::Request {
            method: &request.method,
            path_with_query: &request.path_with_query,
            origin: request.header("origin"),
            authorization: request.header("authorization"),
            if_match: request.header("if-match"),
            client_addr: request.header("spin-client-addr"),
            body: &request.body,
        },
        &backend,
    )
    .await;
    let headers: Vec<(&str, &str)> = response
        .headers
        .iter()
        .map(|(name, value)| (*name, value.as_str()))
        .collect();
    if response.body.is_empty() {
        spin_adapter::respond(out, response.status, &headers, &[]);
    } else {
        spin_adapter::respond_json(out, response.status, &response.body, &headers);
    }
}
