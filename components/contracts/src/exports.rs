//! Exporting a service through its port. A library component generates its export
//! bindings with the contract types mapped to this crate's (`with:`), implements the
//! port ([`crate::Config`], …) on its service, and lets one of these macros write the
//! `Guest` impls: every exported function calls the port's function of the same name on
//! the service that `$service` evaluates to (once per call).
//!
//! ```ignore
//! wit_bindgen::generate!({
//!     world: "config-service",
//!     path: "../../wit",
//!     with: {
//!         "kaltura-discord:types/common@0.1.0": contracts::common,
//!         "kaltura-discord:types/config@0.1.0": contracts::config,
//!     },
//! });
//! struct Component;
//! contracts::export_config!(Component, crate::component::service());
//! export!(Component);
//! ```

/// Implements `kaltura-discord:config/config`'s `Guest` for `$component` over the
/// [`crate::Config`] port of `$service`.
#[macro_export]
macro_rules! export_config {
    ($component:ty, $service:expr) => {
        impl exports::kaltura_discord::config::config::Guest for $component {
            fn status() -> $crate::ServiceStatus {
                $crate::Config::status(&$service)
            }
            fn get(guild_id: u64) -> Result<$crate::config::GuildSettings, $crate::Error> {
                $crate::Config::get(&$service, guild_id)
            }
            fn check_permission(
                command: $crate::config::Command,
                member: $crate::Member,
            ) -> Result<$crate::config::Access, $crate::Error> {
                $crate::Config::check_permission(&$service, command, &member)
            }
            fn role_for(member: $crate::Member) -> Result<$crate::KalturaRole, $crate::Error> {
                $crate::Config::role_for(&$service, &member)
            }
            fn render_message(
                guild_id: u64,
                kind: $crate::config::MessageKind,
                values: Vec<(String, String)>,
            ) -> Result<Option<$crate::config::Message>, $crate::Error> {
                $crate::Config::render_message(&$service, guild_id, kind, &values)
            }
            fn render_section(
                guild_id: u64,
                section: $crate::config::Section,
            ) -> Result<Vec<$crate::config::SettingLine>, $crate::Error> {
                $crate::Config::render_section(&$service, guild_id, section)
            }
            fn settable_keys() -> Vec<$crate::config::SettingKey> {
                $crate::Config::settable_keys(&$service)
            }
            fn update(
                guild_id: u64,
                patch_json: String,
                expected_version: u64,
                actor: $crate::Actor,
            ) -> Result<$crate::config::UpdateResult, $crate::Error> {
                $crate::Config::update(&$service, guild_id, &patch_json, expected_version, &actor)
            }
            fn set(
                guild_id: u64,
                key: String,
                value_text: String,
                expected_version: Option<u64>,
                dry_run: bool,
                actor: $crate::Actor,
            ) -> Result<$crate::config::UpdateResult, $crate::Error> {
                $crate::Config::set(
                    &$service,
                    guild_id,
                    &key,
                    &value_text,
                    expected_version,
                    dry_run,
                    &actor,
                )
            }
            fn reset(
                guild_id: u64,
                section: Option<$crate::config::Section>,
                actor: $crate::Actor,
            ) -> Result<$crate::config::UpdateResult, $crate::Error> {
                $crate::Config::reset(&$service, guild_id, section, &actor)
            }
            fn audit_log(
                guild_id: u64,
                limit: u32,
            ) -> Result<Vec<$crate::config::AuditEntry>, $crate::Error> {
                $crate::Config::audit_log(&$service, guild_id, limit)
            }
            fn get_deployment() -> Result<$crate::config::DeploymentSettings, $crate::Error> {
                $crate::Config::get_deployment(&$service)
            }
            fn update_deployment(
                patch_json: String,
                expected_version: u64,
                actor: $crate::Actor,
            ) -> Result<$crate::config::UpdateResult, $crate::Error> {
                $crate::Config::update_deployment(&$service, &patch_json, expected_version, &actor)
            }
            fn deployment_audit_log(
                limit: u32,
            ) -> Result<Vec<$crate::config::AuditEntry>, $crate::Error> {
                $crate::Config::deployment_audit_log(&$service, limit)
            }
        }
    };
}

/// Implements the `Guest`s of `kaltura-discord:identity/{members, tokens, api-keys}` for
/// `$component` over the [`crate::Members`], [`crate::Tokens`] and [`crate::ApiKeys`]
/// ports of `$service`.
#[macro_export]
macro_rules! export_identity {
    ($component:ty, $service:expr) => {
        impl exports::kaltura_discord::identity::members::Guest for $component {
            fn status() -> $crate::ServiceStatus {
                $crate::Members::status(&$service)
            }
            fn resolve_member(
                member: $crate::Member,
                role: $crate::KalturaRole,
            ) -> Result<$crate::identity::KalturaIdentity, $crate::Error> {
                $crate::Members::resolve_member(&$service, &member, role)
            }
            fn get_user(
                user_id: u64,
            ) -> Result<Option<$crate::identity::UserRecord>, $crate::Error> {
                $crate::Members::get_user(&$service, user_id)
            }
        }
        impl exports::kaltura_discord::identity::tokens::Guest for $component {
            fn scopes_for_role(role: $crate::KalturaRole) -> Vec<$crate::identity::Scope> {
                $crate::Tokens::scopes_for_role(&$service, role)
            }
            fn issue(
                subject: $crate::identity::Subject,
                ttl_seconds: u32,
            ) -> Result<$crate::identity::TokenPair, $crate::Error> {
                $crate::Tokens::issue(&$service, &subject, ttl_seconds)
            }
            fn verify(access: String) -> Result<$crate::identity::Claims, $crate::Error> {
                $crate::Tokens::verify(&$service, &access)
            }
            fn session_of(
                refresh_token: String,
            ) -> Result<$crate::identity::SessionInfo, $crate::Error> {
                $crate::Tokens::session_of(&$service, &refresh_token)
            }
            fn refresh(
                refresh_token: String,
                current: $crate::identity::Subject,
            ) -> Result<$crate::identity::TokenPair, $crate::Error> {
                $crate::Tokens::refresh(&$service, &refresh_token, &current)
            }
            fn revoke(token: String) -> Result<(), $crate::Error> {
                $crate::Tokens::revoke(&$service, &token)
            }
            fn authorize(
                granted_guild_id: u64,
                granted_scopes: Vec<$crate::identity::Scope>,
                guild_id: u64,
                needed: $crate::identity::Scope,
            ) -> Result<(), $crate::Error> {
                $crate::Tokens::authorize(
                    &$service,
                    granted_guild_id,
                    &granted_scopes,
                    guild_id,
                    needed,
                )
            }
        }
        impl exports::kaltura_discord::identity::api_keys::Guest for $component {
            fn create(
                guild_id: u64,
                scopes: Vec<$crate::identity::Scope>,
                label: String,
                created_by: $crate::Actor,
                expires_at: Option<u64>,
            ) -> Result<$crate::identity::CreatedKey, $crate::Error> {
                $crate::ApiKeys::create(
                    &$service,
                    guild_id,
                    &scopes,
                    &label,
                    &created_by,
                    expires_at,
                )
            }
            fn list(guild_id: u64) -> Result<Vec<$crate::identity::ApiKeyInfo>, $crate::Error> {
                $crate::ApiKeys::list(&$service, guild_id)
            }
            fn revoke(guild_id: u64, id: String) -> Result<(), $crate::Error> {
                $crate::ApiKeys::revoke(&$service, guild_id, &id)
            }
            fn verify(presented: String) -> Result<$crate::identity::ApiKeyClaims, $crate::Error> {
                $crate::ApiKeys::verify(&$service, &presented)
            }
        }
    };
}

/// Implements `kaltura-discord:kaltura/kaltura`'s `Guest` for `$component` over the
/// [`crate::Kaltura`] port of `$service`.
#[macro_export]
macro_rules! export_kaltura {
    ($component:ty, $service:expr) => {
        impl exports::kaltura_discord::kaltura::kaltura::Guest for $component {
            fn status() -> $crate::ServiceStatus {
                $crate::Kaltura::status(&$service)
            }
            fn ping() -> Result<(), $crate::Error> {
                $crate::Kaltura::ping(&$service)
            }
            fn circuit_open() -> bool {
                $crate::Kaltura::circuit_open(&$service)
            }
            fn create_meeting(
                request: $crate::kaltura::MeetingRequest,
            ) -> Result<$crate::kaltura::Meeting, $crate::Error> {
                $crate::Kaltura::create_meeting(&$service, &request)
            }
            fn get_meeting(id: u64) -> Result<Option<$crate::kaltura::Meeting>, $crate::Error> {
                $crate::Kaltura::get_meeting(&$service, id)
            }
            fn list_meetings(
                filter: $crate::kaltura::MeetingFilter,
            ) -> Result<Vec<$crate::kaltura::Meeting>, $crate::Error> {
                $crate::Kaltura::list_meetings(&$service, filter)
            }
            fn may_manage(
                id: u64,
                requester: $crate::kaltura::Requester,
            ) -> Result<bool, $crate::Error> {
                $crate::Kaltura::may_manage(&$service, id, requester)
            }
            fn end_meeting(
                id: u64,
                requester: $crate::kaltura::Requester,
            ) -> Result<(), $crate::Error> {
                $crate::Kaltura::end_meeting(&$service, id, requester)
            }
            fn join_url(
                meeting_id: u64,
                participant: $crate::kaltura::Participant,
            ) -> Result<String, $crate::Error> {
                $crate::Kaltura::join_url(&$service, meeting_id, &participant)
            }
            fn search_media(
                query: String,
                page: u32,
                scope: $crate::kaltura::MediaScope,
            ) -> Result<$crate::kaltura::MediaPage, $crate::Error> {
                $crate::Kaltura::search_media(&$service, &query, page, &scope)
            }
            fn get_media(
                entry_id: String,
                scope: $crate::kaltura::MediaScope,
            ) -> Result<Option<$crate::kaltura::MediaEntry>, $crate::Error> {
                $crate::Kaltura::get_media(&$service, &entry_id, &scope)
            }
            fn playback_session(
                entry_id: String,
                scope: $crate::kaltura::MediaScope,
            ) -> Result<$crate::kaltura::PlayerSession, $crate::Error> {
                $crate::Kaltura::playback_session(&$service, &entry_id, &scope)
            }
            fn player_embed_url(
                entry_id: String,
                uiconf_id: Option<u32>,
            ) -> Result<String, $crate::Error> {
                $crate::Kaltura::player_embed_url(&$service, &entry_id, uiconf_id)
            }
        }
    };
}

/// Implements `kaltura-discord:events/events`'s `Guest` for `$component` over the
/// [`crate::Events`] port of `$service`.
#[macro_export]
macro_rules! export_events {
    ($component:ty, $service:expr) => {
        impl exports::kaltura_discord::events::events::Guest for $component {
            fn status() -> $crate::ServiceStatus {
                $crate::Events::status(&$service)
            }
            fn publish(event: $crate::events::Event) -> Result<u32, $crate::Error> {
                $crate::Events::publish(&$service, &event)
            }
            fn pump(max_attempts: u32) -> Result<$crate::events::PumpReport, $crate::Error> {
                $crate::Events::pump(&$service, max_attempts)
            }
            fn create(
                guild_id: u64,
                request: $crate::events::NewSubscription,
                created_by: $crate::Actor,
            ) -> Result<$crate::events::CreatedSubscription, $crate::Error> {
                $crate::Events::create(&$service, guild_id, &request, &created_by)
            }
            fn list(guild_id: u64) -> Result<Vec<$crate::events::Subscription>, $crate::Error> {
                $crate::Events::list(&$service, guild_id)
            }
            fn get(
                guild_id: u64,
                id: String,
            ) -> Result<$crate::events::Subscription, $crate::Error> {
                $crate::Events::get(&$service, guild_id, &id)
            }
            fn delete(guild_id: u64, id: String) -> Result<(), $crate::Error> {
                $crate::Events::delete(&$service, guild_id, &id)
            }
            fn set_paused(
                guild_id: u64,
                id: String,
                paused: bool,
                actor: $crate::Actor,
            ) -> Result<$crate::events::Subscription, $crate::Error> {
                $crate::Events::set_paused(&$service, guild_id, &id, paused, &actor)
            }
            fn deliveries(
                guild_id: u64,
                id: String,
                limit: u32,
            ) -> Result<Vec<$crate::events::Delivery>, $crate::Error> {
                $crate::Events::deliveries(&$service, guild_id, &id, limit)
            }
        }
    };
}

/// Implements `kaltura-discord:watch/watch`'s `Guest` for `$component` over the
/// [`crate::Watch`] port of `$service`.
#[macro_export]
macro_rules! export_watch {
    ($component:ty, $service:expr) => {
        impl exports::kaltura_discord::watch::watch::Guest for $component {
            fn status() -> $crate::ServiceStatus {
                $crate::Watch::status(&$service)
            }
            fn request_video(
                guild_id: u64,
                channel_id: u64,
                entry_id: String,
                requested_by: u64,
            ) -> Result<(), $crate::Error> {
                $crate::Watch::request_video(
                    &$service,
                    guild_id,
                    channel_id,
                    &entry_id,
                    requested_by,
                )
            }
            fn join(
                room: String,
                guild_id: u64,
                channel_id: Option<u64>,
                entry_id: Option<String>,
                viewer: $crate::watch::Viewer,
            ) -> Result<$crate::watch::RoomState, $crate::Error> {
                $crate::Watch::join(
                    &$service,
                    &room,
                    guild_id,
                    channel_id,
                    entry_id.as_deref(),
                    &viewer,
                )
            }
            fn state(
                room: String,
                user_id: u64,
            ) -> Result<$crate::watch::RoomState, $crate::Error> {
                $crate::Watch::state(&$service, &room, user_id)
            }
            fn observe(
                room: String,
                user_id: u64,
            ) -> Result<$crate::watch::RoomState, $crate::Error> {
                $crate::Watch::observe(&$service, &room, user_id)
            }
            fn control(
                room: String,
                user_id: u64,
                action: $crate::watch::ControlAction,
                expected_version: u64,
            ) -> Result<$crate::watch::RoomState, $crate::Error> {
                $crate::Watch::control(&$service, &room, user_id, action, expected_version)
            }
            fn hand_over(
                room: String,
                from_user: u64,
                to_user: u64,
            ) -> Result<$crate::watch::RoomState, $crate::Error> {
                $crate::Watch::hand_over(&$service, &room, from_user, to_user)
            }
            fn leave(
                room: String,
                user_id: u64,
            ) -> Result<$crate::watch::RoomState, $crate::Error> {
                $crate::Watch::leave(&$service, &room, user_id)
            }
        }
    };
}
