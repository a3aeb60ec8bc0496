//! The Spin adapter: exports the WIT interface over the host-free [`crate::Service`],
//! with `spin-adapter`'s store over `wasi:keyvalue` (bucket `default`, the same store
//! Spin's key-value API opens; its `atomics` give the compare-and-swap) and wall clock.
//!
//! Spin makes a new instance for every request, so the one [`crate::Service`] kept per
//! instance reads each document at most once per request.

wit_bindgen::generate!({ world: "config-service", path: "../../wit", generate_all });

use std::cell::RefCell;
use std::rc::Rc;

use exports::kaltura_discord::config::config as wit;
use kaltura_discord::types::types::{Error, ServiceStatus};
use spin_adapter::{SpinVariables, SystemClock, WasiCasStore};

use crate::input::{self, GuildId, Member};
use crate::ServiceError;

type Service = crate::Service<WasiCasStore, SystemClock>;

thread_local! {
    /// This instance's (this request's) service, made on first use.
    static SERVICE: RefCell<Option<Rc<Service>>> = const { RefCell::new(None) };
}

/// Runs `f` with this instance's service, opening the store on first use (a failure to
/// open is reported, and tried again on the next call).
fn with_service<T>(f: impl FnOnce(&Service) -> Result<T, ServiceError>) -> Result<T, Error> {
    let service = SERVICE.with(|cell| -> Result<Rc<Service>, ServiceError> {
        if let Some(service) = cell.borrow().as_ref() {
            return Ok(Rc::clone(service));
        }
        let store = WasiCasStore::open_default()
            .map_err(|e| ServiceError::storage("opening the key-value store", &e))?;
        let service = Rc::new(crate::Service::new(store, SystemClock));
        *cell.borrow_mut() = Some(Rc::clone(&service));
        Ok(service)
    });
    service
        .and_then(|service| f(&service))
        .map_err(to_wit_error)
}

fn to_wit_error(err: ServiceError) -> Error {
    match err {
        ServiceError::Invalid(m) => Error::Invalid(m),
        ServiceError::Conflict(m) => Error::Conflict(m),
        ServiceError::Storage(m) => Error::Storage(m),
        ServiceError::Other(m) => Error::Other(m),
    }
}

fn guild(id: &str) -> Result<GuildId, ServiceError> {
    GuildId::parse(id)
}

fn member(m: &wit::MemberInfo) -> Result<Member, ServiceError> {
    Member::parse(&m.user_id, &m.role_ids, m.permissions)
}

fn actor(a: &wit::Actor) -> Result<guild_config::Actor, ServiceError> {
    match a {
        wit::Actor::DiscordUser(id) => input::discord_user(id),
        wit::Actor::ApiKey(id) => input::api_key(id),
    }
}

fn actor_to_wit(a: &guild_config::Actor) -> wit::Actor {
    match a {
        guild_config::Actor::DiscordUser(id) => wit::Actor::DiscordUser(id.to_string()),
        guild_config::Actor::ApiKey(id) => wit::Actor::ApiKey(id.as_str().to_owned()),
    }
}

fn section(s: wit::Section) -> guild_config::Section {
    match s {
        wit::Section::Commands => guild_config::Section::Commands,
        wit::Section::Roles => guild_config::Section::Roles,
        wit::Section::Notifications => guild_config::Section::Notifications,
        wit::Section::Features => guild_config::Section::Features,
        wit::Section::Kaltura => guild_config::Section::Kaltura,
    }
}

fn command(c: wit::Command) -> guild_config::CommandName {
    match c {
        wit::Command::KalturaStart => guild_config::CommandName::Start,
        wit::Command::KalturaJoin => guild_config::CommandName::Join,
        wit::Command::KalturaList => guild_config::CommandName::List,
        wit::Command::KalturaEnd => guild_config::CommandName::End,
        wit::Command::KalturaConfig => guild_config::CommandName::Config,
    }
}

fn event(e: wit::Event) -> guild_config::EventKind {
    match e {
        wit::Event::MeetingStart => guild_config::EventKind::MeetingStart,
        wit::Event::MeetingEnd => guild_config::EventKind::MeetingEnd,
        wit::Event::RecordingReady => guild_config::EventKind::RecordingReady,
        wit::Event::EntryReady => guild_config::EventKind::EntryReady,
    }
}

fn role_to_wit(r: guild_config::KalturaRole) -> wit::KalturaRole {
    match r {
        guild_config::KalturaRole::Viewer => wit::KalturaRole::Viewer,
        guild_config::KalturaRole::Moderator => wit::KalturaRole::Moderator,
        guild_config::KalturaRole::Admin => wit::KalturaRole::Admin,
    }
}

fn update_to_wit(r: crate::UpdateResult) -> wit::UpdateResult {
    wit::UpdateResult {
        version: r.version,
        changed_keys: r.changed_keys,
    }
}

fn audit_to_wit(entries: Vec<guild_config::AuditEntry>) -> Vec<wit::AuditEntry> {
    let json = |v: Option<serde_json::Value>| v.map(|v| v.to_string());
    entries
        .into_iter()
        .map(|e| wit::AuditEntry {
            at: e.at,
            actor: actor_to_wit(&e.actor),
            version: e.version,
            changes: e
                .changes
                .into_iter()
                .map(|c| wit::Change {
                    key: c.path,
                    old_value: json(c.old),
                    new_value: json(c.new),
                })
                .collect(),
        })
        .collect()
}

struct Component;

impl wit::Guest for Component {
    fn status() -> ServiceStatus {
        let status = crate::status(&SpinVariables, spin_adapter::key_value().as_ref());
        ServiceStatus {
            name: status.name,
            version: status.version,
            missing_settings: status.missing_settings,
            key_value_ok: status.key_value_ok,
        }
    }

    fn defaults() -> String {
        crate::defaults()
    }

    fn get(guild_id: String) -> Result<wit::GuildConfigView, Error> {
        with_service(|s| {
            let view = s.get(guild(&guild_id)?)?;
            let kaltura = view.kaltura;
            Ok(wit::GuildConfigView {
                version: view.version,
                deployment_version: view.deployment_version,
                config_json: view.config_json,
                overrides_json: view.overrides_json,
                features: wit::Features {
                    activity: view.features.activity,
                    embed_player: view.features.embed_player,
                    recording_notices: view.features.recording_notices,
                },
                kaltura: wit::KalturaSettings {
                    join_privileges: kaltura.privileges.join,
                    host_privileges: kaltura.privileges.host,
                    view_privileges: kaltura.privileges.view,
                    player_uiconf_id: kaltura.player_uiconf_id,
                    category_ids: kaltura.category_ids,
                },
                share_template: view.share_template,
            })
        })
    }

    fn check_permission(
        guild_id: String,
        cmd: wit::Command,
        m: wit::MemberInfo,
    ) -> Result<wit::Access, Error> {
        with_service(|s| {
            let access = s.check_permission(guild(&guild_id)?, command(cmd), &member(&m)?)?;
            Ok(match access {
                guild_config::Access::Allowed => wit::Access::Allowed,
                guild_config::Access::Denied(reason) => wit::Access::Denied(reason.to_string()),
            })
        })
    }

    fn role_for(guild_id: String, m: wit::MemberInfo) -> Result<wit::KalturaRole, Error> {
        with_service(|s| Ok(role_to_wit(s.role_for(guild(&guild_id)?, &member(&m)?)?)))
    }

    fn notification_target(guild_id: String, e: wit::Event) -> Result<Option<wit::Target>, Error> {
        with_service(|s| {
            let target = s.notification_target(guild(&guild_id)?, event(e))?;
            Ok(target.map(|t| wit::Target {
                channel_id: t.channel_id.to_string(),
                template: t.template,
                allow_everyone_mentions: t.allow_everyone_mentions,
            }))
        })
    }

    fn update(
        guild_id: String,
        patch_json: String,
        expected_version: u64,
        a: wit::Actor,
    ) -> Result<wit::UpdateResult, Error> {
        with_service(|s| {
            let (id, actor) = (guild(&guild_id)?, actor(&a)?);
            let patch = input::patch(&patch_json)?;
            s.update(id, &patch, expected_version, actor)
                .map(update_to_wit)
        })
    }

    fn set(
        guild_id: String,
        key: String,
        value_text: String,
        expected_version: Option<u64>,
        a: wit::Actor,
    ) -> Result<wit::UpdateResult, Error> {
        with_service(|s| {
            let (id, actor) = (guild(&guild_id)?, actor(&a)?);
            s.set(id, &key, &value_text, expected_version, actor)
                .map(update_to_wit)
        })
    }

    fn reset(
        guild_id: String,
        sec: Option<wit::Section>,
        a: wit::Actor,
    ) -> Result<wit::UpdateResult, Error> {
        with_service(|s| {
            let (id, actor) = (guild(&guild_id)?, actor(&a)?);
            s.reset(id, sec.map(section), actor).map(update_to_wit)
        })
    }

    fn validate(guild_id: String, patch_json: String) -> Result<(), Error> {
        with_service(|s| s.validate(guild(&guild_id)?, &input::patch(&patch_json)?))
    }

    fn render(guild_id: String, sec: wit::Section) -> Result<Vec<(String, String)>, Error> {
        with_service(|s| s.render(guild(&guild_id)?, section(sec)))
    }

    fn audit_log(guild_id: String, limit: u32) -> Result<Vec<wit::AuditEntry>, Error> {
        with_service(|s| s.audit_log(guild(&guild_id)?, limit).map(audit_to_wit))
    }

    fn get_deployment() -> Result<wit::DeploymentView, Error> {
        with_service(|s| {
            let view = s.deployment()?;
            Ok(wit::DeploymentView {
                version: view.version,
                overrides_json: view.overrides_json,
            })
        })
    }

    fn update_deployment(
        patch_json: String,
        expected_version: u64,
        a: wit::Actor,
    ) -> Result<wit::UpdateResult, Error> {
        with_service(|s| {
            let actor = actor(&a)?;
            let patch = input::patch(&patch_json)?;
            s.update_deployment(&patch, expected_version, actor)
                .map(update_to_wit)
        })
    }

    fn deployment_audit_log(limit: u32) -> Result<Vec<wit::AuditEntry>, Error> {
        with_service(|s| s.deployment_audit_log(limit).map(audit_to_wit))
    }
}

export!(Component);
