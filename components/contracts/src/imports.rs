//! The one binding of the generated imports to the ports: an HTTP component holds
//! [`Imported`] as its services, and Spin plugs in the library components. Each method
//! is one call across the component boundary; a function a component never calls never
//! becomes one of its imports.

use crate::bindings::kaltura_discord::{config, events, identity, kaltura, watch};
use crate::common::{Actor, Error, KalturaRole, Member, ServiceStatus, Snowflake};
use crate::config::{
    Access, AuditEntry, Command, DeploymentSettings, GuildSettings, Message, MessageKind, Section,
    SettingKey, SettingLine, UpdateResult,
};
use crate::events::{
    CreatedSubscription, Delivery, Event, NewSubscription, PumpReport, Subscription,
};
use crate::identity::{
    ApiKeyClaims, ApiKeyInfo, Claims, CreatedKey, KalturaIdentity, Scope, SessionInfo, Subject,
    TokenPair, UserRecord,
};
use crate::kaltura::{
    MediaEntry, MediaPage, MediaScope, Meeting, MeetingFilter, MeetingId, MeetingRequest,
    Participant, PlayerSession, Requester,
};
use crate::watch::{ControlAction, RoomState, Viewer};

/// The library services as this component imports them.
#[derive(Debug, Clone, Copy, Default)]
pub struct Imported;

impl crate::Config for Imported {
    fn status(&self) -> ServiceStatus {
        config::config::status()
    }
    fn get(&self, guild_id: Snowflake) -> Result<GuildSettings, Error> {
        config::config::get(guild_id)
    }
    fn check_permission(&self, command: Command, member: &Member) -> Result<Access, Error> {
        config::config::check_permission(command, member)
    }
    fn role_for(&self, member: &Member) -> Result<KalturaRole, Error> {
        config::config::role_for(member)
    }
    fn render_message(
        &self,
        guild_id: Snowflake,
        kind: MessageKind,
        values: &[(String, String)],
    ) -> Result<Option<Message>, Error> {
        config::config::render_message(guild_id, kind, values)
    }
    fn render_section(
        &self,
        guild_id: Snowflake,
        section: Section,
    ) -> Result<Vec<SettingLine>, Error> {
        config::config::render_section(guild_id, section)
    }
    fn settable_keys(&self) -> Vec<SettingKey> {
        config::config::settable_keys()
    }
    fn update(
        &self,
        guild_id: Snowflake,
        patch_json: &str,
        expected_version: u64,
        actor: &Actor,
    ) -> Result<UpdateResult, Error> {
        config::config::update(guild_id, patch_json, expected_version, actor)
    }
    fn set(
        &self,
        guild_id: Snowflake,
        key: &str,
        value_text: &str,
        expected_version: Option<u64>,
        dry_run: bool,
        actor: &Actor,
    ) -> Result<UpdateResult, Error> {
        config::config::set(guild_id, key, value_text, expected_version, dry_run, actor)
    }
    fn reset(
        &self,
        guild_id: Snowflake,
        section: Option<Section>,
        actor: &Actor,
    ) -> Result<UpdateResult, Error> {
        config::config::reset(guild_id, section, actor)
    }
    fn audit_log(&self, guild_id: Snowflake, limit: u32) -> Result<Vec<AuditEntry>, Error> {
        config::config::audit_log(guild_id, limit)
    }
    fn get_deployment(&self) -> Result<DeploymentSettings, Error> {
        config::config::get_deployment()
    }
    fn update_deployment(
        &self,
        patch_json: &str,
        expected_version: u64,
        actor: &Actor,
    ) -> Result<UpdateResult, Error> {
        config::config::update_deployment(patch_json, expected_version, actor)
    }
    fn deployment_audit_log(&self, limit: u32) -> Result<Vec<AuditEntry>, Error> {
        config::config::deployment_audit_log(limit)
    }
}

impl crate::Members for Imported {
    fn status(&self) -> ServiceStatus {
        identity::members::status()
    }
    fn resolve_member(&self, member: &Member, role: KalturaRole) -> Result<KalturaIdentity, Error> {
        identity::members::resolve_member(member, role)
    }
    fn get_user(&self, user_id: Snowflake) -> Result<Option<UserRecord>, Error> {
        identity::members::get_user(user_id)
    }
}

impl crate::Tokens for Imported {
    fn scopes_for_role(&self, role: KalturaRole) -> Vec<Scope> {
        identity::tokens::scopes_for_role(role)
    }
    fn issue(&self, subject: &Subject, ttl_seconds: u32) -> Result<TokenPair, Error> {
        identity::tokens::issue(subject, ttl_seconds)
    }
    fn verify(&self, access: &str) -> Result<Claims, Error> {
        identity::tokens::verify(access)
    }
    fn session_of(&self, refresh_token: &str) -> Result<SessionInfo, Error> {
        identity::tokens::session_of(refresh_token)
    }
    fn refresh(&self, refresh_token: &str, current: &Subject) -> Result<TokenPair, Error> {
        identity::tokens::refresh(refresh_token, current)
    }
    fn revoke(&self, token: &str) -> Result<(), Error> {
        identity::tokens::revoke(token)
    }
    fn authorize(
        &self,
        granted_guild_id: Snowflake,
        granted_scopes: &[Scope],
        guild_id: Snowflake,
        needed: Scope,
    ) -> Result<(), Error> {
        identity::tokens::authorize(granted_guild_id, granted_scopes, guild_id, needed)
    }
}

impl crate::ApiKeys for Imported {
    fn create(
        &self,
        guild_id: Snowflake,
        scopes: &[Scope],
        label: &str,
        created_by: &Actor,
        expires_at: Option<u64>,
    ) -> Result<CreatedKey, Error> {
        identity::api_keys::create(guild_id, scopes, label, created_by, expires_at)
    }
    fn list(&self, guild_id: Snowflake) -> Result<Vec<ApiKeyInfo>, Error> {
        identity::api_keys::list(guild_id)
    }
    fn revoke(&self, guild_id: Snowflake, id: &str) -> Result<(), Error> {
        identity::api_keys::revoke(guild_id, id)
    }
    fn verify(&self, presented: &str) -> Result<ApiKeyClaims, Error> {
        identity::api_keys::verify(presented)
    }
}

impl crate::Kaltura for Imported {
    fn status(&self) -> ServiceStatus {
        kaltura::kaltura::status()
    }
    fn ping(&self) -> Result<(), Error> {
        kaltura::kaltura::ping()
    }
    fn circuit_open(&self) -> bool {
        kaltura::kaltura::circuit_open()
    }
    fn create_meeting(&self, request: &MeetingRequest) -> Result<Meeting, Error> {
        kaltura::kaltura::create_meeting(request)
    }
    fn get_meeting(&self, id: MeetingId) -> Result<Option<Meeting>, Error> {
        kaltura::kaltura::get_meeting(id)
    }
    fn list_meetings(&self, filter: MeetingFilter) -> Result<Vec<Meeting>, Error> {
        kaltura::kaltura::list_meetings(filter)
    }
    fn may_manage(&self, id: MeetingId, requester: Requester) -> Result<bool, Error> {
        kaltura::kaltura::may_manage(id, requester)
    }
    fn end_meeting(&self, id: MeetingId, requester: Requester) -> Result<(), Error> {
        kaltura::kaltura::end_meeting(id, requester)
    }
    fn join_url(&self, meeting_id: MeetingId, participant: &Participant) -> Result<String, Error> {
        kaltura::kaltura::join_url(meeting_id, participant)
    }
    fn search_media(&self, query: &str, page: u32, scope: &MediaScope) -> Result<MediaPage, Error> {
        kaltura::kaltura::search_media(query, page, scope)
    }
    fn get_media(&self, entry_id: &str, scope: &MediaScope) -> Result<Option<MediaEntry>, Error> {
        kaltura::kaltura::get_media(entry_id, scope)
    }
    fn playback_session(&self, entry_id: &str, scope: &MediaScope) -> Result<PlayerSession, Error> {
        kaltura::kaltura::playback_session(entry_id, scope)
    }
    fn player_embed_url(&self, entry_id: &str, uiconf_id: Option<u32>) -> Result<String, Error> {
        kaltura::kaltura::player_embed_url(entry_id, uiconf_id)
    }
}

impl crate::Events for Imported {
    fn status(&self) -> ServiceStatus {
        events::events::status()
    }
    fn publish(&self, event: &Event) -> Result<u32, Error> {
        events::events::publish(event)
    }
    fn pump(&self, max_attempts: u32) -> Result<PumpReport, Error> {
        events::events::pump(max_attempts)
    }
    fn create(
        &self,
        guild_id: Snowflake,
        request: &NewSubscription,
        created_by: &Actor,
    ) -> Result<CreatedSubscription, Error> {
        events::events::create(guild_id, request, created_by)
    }
    fn list(&self, guild_id: Snowflake) -> Result<Vec<Subscription>, Error> {
        events::events::list(guild_id)
    }
    fn get(&self, guild_id: Snowflake, id: &str) -> Result<Subscription, Error> {
        events::events::get(guild_id, id)
    }
    fn delete(&self, guild_id: Snowflake, id: &str) -> Result<(), Error> {
        events::events::delete(guild_id, id)
    }
    fn set_paused(
        &self,
        guild_id: Snowflake,
        id: &str,
        paused: bool,
        actor: &Actor,
    ) -> Result<Subscription, Error> {
        events::events::set_paused(guild_id, id, paused, actor)
    }
    fn deliveries(
        &self,
        guild_id: Snowflake,
        id: &str,
        limit: u32,
    ) -> Result<Vec<Delivery>, Error> {
        events::events::deliveries(guild_id, id, limit)
    }
}

impl crate::Watch for Imported {
    fn status(&self) -> ServiceStatus {
        watch::watch::status()
    }
    fn request_video(
        &self,
        guild_id: Snowflake,
        channel_id: Snowflake,
        entry_id: &str,
        requested_by: Snowflake,
    ) -> Result<(), Error> {
        watch::watch::request_video(guild_id, channel_id, entry_id, requested_by)
    }
    fn join(
        &self,
        room: &str,
        guild_id: Snowflake,
        channel_id: Option<Snowflake>,
        entry_id: Option<&str>,
        viewer: &Viewer,
    ) -> Result<RoomState, Error> {
        watch::watch::join(room, guild_id, channel_id, entry_id, viewer)
    }
    fn state(&self, room: &str, user_id: Snowflake) -> Result<RoomState, Error> {
        watch::watch::state(room, user_id)
    }
    fn observe(&self, room: &str, user_id: Snowflake) -> Result<RoomState, Error> {
        watch::watch::observe(room, user_id)
    }
    fn control(
        &self,
        room: &str,
        user_id: Snowflake,
        action: ControlAction,
        expected_version: u64,
    ) -> Result<RoomState, Error> {
        watch::watch::control(room, user_id, action, expected_version)
    }
    fn hand_over(
        &self,
        room: &str,
        from_user: Snowflake,
        to_user: Snowflake,
    ) -> Result<RoomState, Error> {
        watch::watch::hand_over(room, from_user, to_user)
    }
    fn leave(&self, room: &str, user_id: Snowflake) -> Result<RoomState, Error> {
        watch::watch::leave(room, user_id)
    }
}
