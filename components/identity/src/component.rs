//! The Spin adapter: exports the WIT interface over the host-free logic. It builds the
//! environment from `spin-adapter` (the compare-and-swap store over `wasi:keyvalue` —
//! the same `default` store as Spin's key-value API —, Spin's variables, the system
//! clock, `wasi:random`), converts WIT records to the crate's types one to one, and maps
//! errors.

wit_bindgen::generate!({ world: "identity-service", path: "../../wit", generate_all });

use exports::kaltura_discord::identity::identity as wit;
use kaltura_discord::types::types::{Error, ServiceStatus};
use spin_adapter::{HostRandom, SpinVariables, SystemClock};

use crate::api_keys::{self, Actor, ApiKeyClaims, ApiKeyInfo, CreatedKey};
use crate::members::{self, KalturaIdentity, Member, RoleGrant, RoleMapping, UserGrant};
use crate::tokens::{self, Claims, Subject, TokenPair};
use crate::users::{self, UserRecord};
use crate::{Env, IdentityError, Scope};
use guild_config::KalturaRole;

struct Component;

/// Runs `f` with the environment of this call.
fn with_env<T>(f: impl FnOnce(&Env<'_>) -> Result<T, IdentityError>) -> Result<T, Error> {
    let kv = spin_adapter::cas_store();
    let env = Env {
        kv: &kv,
        vars: &SpinVariables,
        clock: &SystemClock,
        random: &HostRandom,
    };
    f(&env).map_err(to_wit_error)
}

fn to_wit_error(err: IdentityError) -> Error {
    match err {
        IdentityError::NotConfigured(name) => Error::NotConfigured(name.to_owned()),
        IdentityError::Invalid(m) => Error::Invalid(m),
        IdentityError::NotFound(m) => Error::NotFound(m),
        IdentityError::Forbidden(m) => Error::Forbidden(m),
        IdentityError::Conflict(m) => Error::Conflict(m),
        IdentityError::Storage(m) => Error::Storage(m),
        IdentityError::Other(m) => Error::Other(m),
    }
}

fn role_in(role: wit::KalturaRole) -> KalturaRole {
    match role {
        wit::KalturaRole::Viewer => KalturaRole::Viewer,
        wit::KalturaRole::Moderator => KalturaRole::Moderator,
        wit::KalturaRole::Admin => KalturaRole::Admin,
    }
}

fn role_out(role: KalturaRole) -> wit::KalturaRole {
    match role {
        KalturaRole::Viewer => wit::KalturaRole::Viewer,
        KalturaRole::Moderator => wit::KalturaRole::Moderator,
        KalturaRole::Admin => wit::KalturaRole::Admin,
    }
}

fn scope_in(scope: wit::Scope) -> Scope {
    match scope {
        wit::Scope::MeetingsRead => Scope::MeetingsRead,
        wit::Scope::MeetingsWrite => Scope::MeetingsWrite,
        wit::Scope::ConfigRead => Scope::ConfigRead,
        wit::Scope::ConfigWrite => Scope::ConfigWrite,
        wit::Scope::AuditRead => Scope::AuditRead,
        wit::Scope::KeysManage => Scope::KeysManage,
    }
}

fn scope_out(scope: Scope) -> wit::Scope {
    match scope {
        Scope::MeetingsRead => wit::Scope::MeetingsRead,
        Scope::MeetingsWrite => wit::Scope::MeetingsWrite,
        Scope::ConfigRead => wit::Scope::ConfigRead,
        Scope::ConfigWrite => wit::Scope::ConfigWrite,
        Scope::AuditRead => wit::Scope::AuditRead,
        Scope::KeysManage => wit::Scope::KeysManage,
    }
}

fn scopes_in(scopes: Vec<wit::Scope>) -> Vec<Scope> {
    scopes.into_iter().map(scope_in).collect()
}

fn scopes_out(scopes: Vec<Scope>) -> Vec<wit::Scope> {
    scopes.into_iter().map(scope_out).collect()
}

fn actor_in(actor: wit::Actor) -> Actor {
    match actor {
        wit::Actor::DiscordUser(id) => Actor::DiscordUser(id),
        wit::Actor::ApiKey(id) => Actor::ApiKey(id),
    }
}

fn actor_out(actor: Actor) -> wit::Actor {
    match actor {
        Actor::DiscordUser(id) => wit::Actor::DiscordUser(id),
        Actor::ApiKey(id) => wit::Actor::ApiKey(id),
    }
}

fn member_in(m: wit::Member) -> Member {
    Member {
        guild_id: m.guild_id,
        user_id: m.user_id,
        username: m.username,
        global_name: m.global_name,
        nick: m.nick,
        role_ids: m.role_ids,
        permissions: m.permissions,
    }
}

fn mapping_in(m: wit::RoleMapping) -> RoleMapping {
    RoleMapping {
        roles: m
            .roles
            .into_iter()
            .map(|g| RoleGrant {
                role_id: g.role_id,
                role: role_in(g.role),
            })
            .collect(),
        user_overrides: m
            .user_overrides
            .into_iter()
            .map(|g| UserGrant {
                user_id: g.user_id,
                role: role_in(g.role),
            })
            .collect(),
        default_role: role_in(m.default_role),
    }
}

fn identity_out(i: KalturaIdentity) -> wit::KalturaIdentity {
    wit::KalturaIdentity {
        kaltura_user_id: i.kaltura_user_id,
        display_name: i.display_name,
        role: role_out(i.role),
    }
}

fn user_out(u: UserRecord) -> wit::UserRecord {
    wit::UserRecord {
        discord_user_id: u.discord_user_id,
        kaltura_user_id: u.kaltura_user_id,
        first_seen: u.first_seen,
        last_seen: u.last_seen,
        guild_ids: u.guild_ids,
    }
}

fn pair_out(p: TokenPair) -> wit::TokenPair {
    wit::TokenPair {
        expires_at: p.expires_at,
        refresh_expires_at: p.refresh_expires_at,
        access: p.access,
        refresh: p.refresh,
    }
}

fn claims_out(c: Claims) -> wit::Claims {
    wit::Claims {
        user_id: c.user_id,
        guild_id: c.guild_id,
        role: role_out(c.role),
        scopes: scopes_out(c.scopes),
        issued_at: c.issued_at,
        expires_at: c.expires_at,
        token_id: c.token_id,
        session_id: c.session_id,
    }
}

fn info_out(i: ApiKeyInfo) -> wit::ApiKeyInfo {
    wit::ApiKeyInfo {
        id: i.id,
        guild_id: i.guild_id,
        scopes: scopes_out(i.scopes),
        label: i.label,
        created_by: actor_out(i.created_by),
        created_at: i.created_at,
    }
}

fn created_out(k: CreatedKey) -> wit::CreatedKey {
    wit::CreatedKey {
        id: k.id,
        secret_shown_once: k.secret_shown_once,
        info: info_out(k.info),
    }
}

fn key_claims_out(c: ApiKeyClaims) -> wit::ApiKeyClaims {
    wit::ApiKeyClaims {
        id: c.id,
        guild_id: c.guild_id,
        scopes: scopes_out(c.scopes),
        label: c.label,
    }
}

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

    fn resolve_member(
        member: wit::Member,
        mapping: wit::RoleMapping,
    ) -> Result<wit::KalturaIdentity, Error> {
        let (member, mapping) = (member_in(member), mapping_in(mapping));
        with_env(|env| members::resolve(env, &member, &mapping)).map(identity_out)
    }

    fn get_user(user_id: String) -> Result<Option<wit::UserRecord>, Error> {
        with_env(|env| users::get(env.kv, &user_id)).map(|u| u.map(user_out))
    }

    fn scopes_for_role(role: wit::KalturaRole) -> Vec<wit::Scope> {
        scopes_out(crate::scopes::for_role(role_in(role)).to_vec())
    }

    fn issue_token(subject: wit::Subject, ttl_seconds: u32) -> Result<wit::TokenPair, Error> {
        let subject = Subject {
            user_id: subject.user_id,
            guild_id: subject.guild_id,
            role: role_in(subject.role),
            scopes: scopes_in(subject.scopes),
        };
        with_env(|env| tokens::issue(env, &subject, ttl_seconds)).map(pair_out)
    }

    fn verify_token(access: String) -> Result<wit::Claims, Error> {
        with_env(|env| tokens::verify(env, &access)).map(claims_out)
    }

    fn refresh(refresh_token: String) -> Result<wit::TokenPair, Error> {
        with_env(|env| tokens::refresh(env, &refresh_token)).map(pair_out)
    }

    fn revoke(token: String) -> Result<(), Error> {
        with_env(|env| tokens::revoke(env, &token))
    }

    fn authorize(
        granted_guild_id: String,
        granted_scopes: Vec<wit::Scope>,
        guild_id: String,
        needed: wit::Scope,
    ) -> Result<(), Error> {
        crate::scopes::authorize(
            &granted_guild_id,
            &scopes_in(granted_scopes),
            &guild_id,
            scope_in(needed),
        )
        .map_err(to_wit_error)
    }

    fn create_api_key(
        guild_id: String,
        scopes: Vec<wit::Scope>,
        label: String,
        created_by: wit::Actor,
    ) -> Result<wit::CreatedKey, Error> {
        let (scopes, created_by) = (scopes_in(scopes), actor_in(created_by));
        with_env(|env| api_keys::create(env, &guild_id, &scopes, &label, &created_by))
            .map(created_out)
    }

    fn list_api_keys(guild_id: String) -> Result<Vec<wit::ApiKeyInfo>, Error> {
        with_env(|env| api_keys::list(env.kv, &guild_id))
            .map(|keys| keys.into_iter().map(info_out).collect())
    }

    fn revoke_api_key(guild_id: String, id: String) -> Result<(), Error> {
        with_env(|env| api_keys::revoke(env.kv, &guild_id, &id))
    }

    fn verify_api_key(presented: String) -> Result<wit::ApiKeyClaims, Error> {
        with_env(|env| api_keys::verify(env.kv, &presented)).map(key_claims_out)
    }
}

export!(Component);
