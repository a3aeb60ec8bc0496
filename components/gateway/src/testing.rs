//! An in-memory [`Backend`] for the host-free tests: fakes of the `identity`
//! (`members`, `tokens`, `api-keys`), `config` and `kaltura` ports that keep their state
//! in memory, a scripted Discord, and a log.

use crate::api::{self, Request, Response};
use crate::backend::Backend;
use common::cas::MemoryCasStore;
use common::KeyValue;
use contracts::config::{
    Access, AuditEntry, Change, Command, DeploymentSettings, Features, GuildSettings,
    KalturaSettings, Message, MessageKind, Section, SettingKey, SettingLine, UpdateResult,
};
use contracts::identity::{
    ApiKeyClaims, ApiKeyInfo, Claims, CreatedKey, KalturaIdentity, Scope, SessionInfo, Subject,
    TokenPair, UserRecord,
};
use contracts::kaltura::{
    MediaEntry, MediaPage, MediaScope, Meeting, MeetingFilter, MeetingId, MeetingKind,
    MeetingRequest, Participant, PlayerSession, Requester,
};
use contracts::{Actor, Error, KalturaRole, Member, ServiceStatus, Snowflake};
use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::future::Future;

pub const GUILD: &str = "100000000000000001";
pub const OTHER_GUILD: &str = "200000000000000002";
pub const USER: &str = "300000000000000003";
pub const OTHER_USER: &str = "300000000000000004";
pub const CHANNEL: &str = "400000000000000005";
pub const OTHER_CHANNEL: &str = "400000000000000006";
/// A role the fake config maps to moderator.
pub const MOD_ROLE: &str = "500000000000000007";
/// A role the fake config maps to admin.
pub const ADMIN_ROLE: &str = "500000000000000008";
pub const NOW: u64 = 1_700_000_000;
pub const BOT_TOKEN: &str = "bot-token-secret";
pub const CLIENT_SECRET: &str = "client-secret-value";
/// A deployment administrator token (set it as `gateway_admin_token`).
pub const ADMIN_TOKEN: &str = "deployment-admin-token-0123456789abcdef";

/// One of the IDs above as a number.
pub fn snowflake(text: &str) -> Snowflake {
    text.parse().unwrap()
}

fn status(name: &str) -> ServiceStatus {
    ServiceStatus {
        name: name.into(),
        version: "0.1.0".into(),
        missing_settings: Vec::new(),
        key_value_ok: true,
    }
}

fn unused(what: &str) -> Error {
    Error::other(format!("{what} is not used by the gateway"))
}

#[derive(Default)]
pub struct FakeIdentity {
    pub tokens: RefCell<BTreeMap<String, Claims>>,
    pub refresh_tokens: RefCell<BTreeMap<String, String>>,
    pub revoked_sessions: RefCell<Vec<String>>,
    pub keys: RefCell<BTreeMap<String, (ApiKeyClaims, Actor, u64)>>,
    pub resolved: RefCell<Vec<(Member, KalturaRole)>>,
    pub issued: RefCell<Vec<Subject>>,
    /// Every subject a refresh was asked for.
    pub refreshed: RefCell<Vec<Subject>>,
    /// Every `authorize`: the grant's server, the server asked about, the scope.
    pub authorized: RefCell<Vec<(Snowflake, Snowflake, Scope)>>,
    authorize_failure: RefCell<Option<Error>>,
    counter: Cell<u64>,
}

fn role_scopes(role: KalturaRole) -> Vec<Scope> {
    match role {
        KalturaRole::Viewer => vec![Scope::MeetingsRead, Scope::MediaRead],
        KalturaRole::Moderator => vec![Scope::MeetingsRead, Scope::MeetingsWrite, Scope::MediaRead],
        KalturaRole::Admin => Scope::ALL.to_vec(),
    }
}

impl FakeIdentity {
    fn next(&self) -> u64 {
        self.counter.set(self.counter.get() + 1);
        self.counter.get()
    }

    /// Mints an access token directly (as if signed in).
    pub fn mint(&self, guild: &str, user: &str, role: KalturaRole, scopes: &[Scope]) -> String {
        self.mint_for(snowflake(guild), snowflake(user), role, scopes)
    }

    fn mint_for(
        &self,
        guild: Snowflake,
        user: Snowflake,
        role: KalturaRole,
        scopes: &[Scope],
    ) -> String {
        let n = self.next();
        let token = format!("kd1.fake-{n}");
        self.tokens.borrow_mut().insert(
            token.clone(),
            Claims {
                user_id: user,
                guild_id: guild,
                role,
                scopes: scopes.to_vec(),
                issued_at: NOW,
                expires_at: NOW + 900,
                token_id: format!("t{n}"),
                session_id: format!("s{n}"),
            },
        );
        token
    }

    /// Mints an API key created by `creator`.
    pub fn mint_key(&self, guild: &str, scopes: &[Scope], creator: Actor) -> String {
        self.mint_key_for(snowflake(guild), scopes, creator)
    }

    fn mint_key_for(&self, guild: Snowflake, scopes: &[Scope], creator: Actor) -> String {
        let n = self.next();
        let key_id = format!("{n:016x}");
        let key = format!("kdk_{key_id}_secret{n}");
        self.keys.borrow_mut().insert(
            key.clone(),
            (
                ApiKeyClaims {
                    id: key_id,
                    guild_id: guild,
                    scopes: scopes.to_vec(),
                    label: "automation".into(),
                    expires_at: None,
                },
                creator,
                NOW,
            ),
        );
        key
    }

    /// Makes every later `authorize` fail with `error`.
    pub fn fail_authorize(&self, error: Error) {
        *self.authorize_failure.borrow_mut() = Some(error);
    }
}

impl contracts::Members for FakeIdentity {
    fn status(&self) -> ServiceStatus {
        status("identity")
    }

    fn resolve_member(&self, member: &Member, role: KalturaRole) -> Result<KalturaIdentity, Error> {
        self.resolved.borrow_mut().push((member.clone(), role));
        Ok(KalturaIdentity {
            kaltura_user_id: format!("discord-{}", member.user_id),
            display_name: member
                .nick
                .clone()
                .or_else(|| member.global_name.clone())
                .unwrap_or_else(|| member.username.clone()),
            role,
        })
    }

    fn get_user(&self, user_id: Snowflake) -> Result<Option<UserRecord>, Error> {
        Ok(Some(UserRecord {
            discord_user_id: user_id,
            kaltura_user_id: format!("discord-{user_id}"),
            first_seen: NOW,
            last_seen: NOW,
            guild_ids: Vec::new(),
        }))
    }
}

impl contracts::Tokens for FakeIdentity {
    fn scopes_for_role(&self, role: KalturaRole) -> Vec<Scope> {
        role_scopes(role)
    }

    fn issue(&self, subject: &Subject, ttl_seconds: u32) -> Result<TokenPair, Error> {
        if subject
            .scopes
            .iter()
            .any(|s| !role_scopes(subject.role).contains(s))
        {
            return Err(Error::forbidden("scope not granted by the role"));
        }
        self.issued.borrow_mut().push(subject.clone());
        let access = self.mint_for(
            subject.guild_id,
            subject.user_id,
            subject.role,
            &subject.scopes,
        );
        let refresh = format!("kd1.refresh-{}", self.next());
        self.refresh_tokens
            .borrow_mut()
            .insert(refresh.clone(), access.clone());
        Ok(TokenPair {
            access,
            refresh,
            expires_at: NOW + u64::from(ttl_seconds),
            refresh_expires_at: NOW + 12 * 3600,
        })
    }

    fn verify(&self, access: &str) -> Result<Claims, Error> {
        if !access.starts_with("kd1.") {
            return Err(Error::invalid("not an access token"));
        }
        let claims = self
            .tokens
            .borrow()
            .get(access)
            .cloned()
            .ok_or_else(|| Error::forbidden("the signature is not valid"))?;
        if claims.expires_at <= NOW {
            return Err(Error::forbidden("the token has expired"));
        }
        if self.revoked_sessions.borrow().contains(&claims.session_id) {
            return Err(Error::forbidden("the session was revoked"));
        }
        Ok(claims)
    }

    fn session_of(&self, refresh_token: &str) -> Result<SessionInfo, Error> {
        let access = self
            .refresh_tokens
            .borrow()
            .get(refresh_token)
            .cloned()
            .ok_or_else(|| Error::forbidden("the refresh token was already used"))?;
        let claims = self
            .tokens
            .borrow()
            .get(&access)
            .cloned()
            .ok_or_else(|| Error::forbidden("the signature is not valid"))?;
        if self.revoked_sessions.borrow().contains(&claims.session_id) {
            return Err(Error::forbidden("the session was revoked"));
        }
        Ok(SessionInfo {
            user_id: claims.user_id,
            guild_id: claims.guild_id,
            role: claims.role,
            scopes: claims.scopes,
            session_id: claims.session_id,
            expires_at: NOW + 12 * 3600,
        })
    }

    /// The WIT rule: `current` must be the token's user and server; the new pair has
    /// its role and scopes (within what the role grants).
    fn refresh(&self, refresh_token: &str, current: &Subject) -> Result<TokenPair, Error> {
        let session = self.session_of(refresh_token)?;
        if (session.user_id, session.guild_id) != (current.user_id, current.guild_id) {
            return Err(Error::invalid("current: another user or server"));
        }
        self.refresh_tokens.borrow_mut().remove(refresh_token);
        self.refreshed.borrow_mut().push(current.clone());
        self.issue(current, 900)
    }

    fn revoke(&self, token: &str) -> Result<(), Error> {
        let access = self
            .refresh_tokens
            .borrow()
            .get(token)
            .cloned()
            .unwrap_or_else(|| token.to_owned());
        let claims = self
            .tokens
            .borrow()
            .get(&access)
            .cloned()
            .ok_or_else(|| Error::forbidden("the signature is not valid"))?;
        self.revoked_sessions.borrow_mut().push(claims.session_id);
        Ok(())
    }

    /// The WIT rule: another server, or a missing scope, is `forbidden`.
    fn authorize(
        &self,
        granted_guild_id: Snowflake,
        granted_scopes: &[Scope],
        guild_id: Snowflake,
        needed: Scope,
    ) -> Result<(), Error> {
        self.authorized
            .borrow_mut()
            .push((granted_guild_id, guild_id, needed));
        if let Some(error) = self.authorize_failure.borrow().clone() {
            return Err(error);
        }
        if granted_guild_id == 0 || guild_id == 0 {
            return Err(Error::invalid("a zero ID"));
        }
        if granted_guild_id != guild_id {
            return Err(Error::forbidden("the grant is for another server"));
        }
        if !granted_scopes.contains(&needed) {
            return Err(Error::forbidden(format!("{} is missing", needed.as_str())));
        }
        Ok(())
    }
}

impl contracts::ApiKeys for FakeIdentity {
    fn create(
        &self,
        guild_id: Snowflake,
        scopes: &[Scope],
        label: &str,
        created_by: &Actor,
        expires_at: Option<u64>,
    ) -> Result<CreatedKey, Error> {
        if expires_at.is_some_and(|at| at <= NOW || at - NOW > ApiKeyInfo::MAX_LIFETIME_SECONDS) {
            return Err(Error::invalid("expires-at: out of range"));
        }
        let key = self.mint_key_for(guild_id, scopes, created_by.clone());
        if let Some(entry) = self.keys.borrow_mut().get_mut(&key) {
            entry.0.label = label.to_owned();
            entry.0.expires_at = expires_at;
        }
        let info = self
            .list(guild_id)?
            .into_iter()
            .find(|info| key.contains(&info.id))
            .ok_or_else(|| Error::other("lost"))?;
        Ok(CreatedKey {
            secret_shown_once: key,
            info,
        })
    }

    fn list(&self, guild_id: Snowflake) -> Result<Vec<ApiKeyInfo>, Error> {
        Ok(self
            .keys
            .borrow()
            .values()
            .filter(|(claims, _, _)| claims.guild_id == guild_id)
            .map(|(claims, actor, at)| ApiKeyInfo {
                id: claims.id.clone(),
                guild_id: claims.guild_id,
                scopes: claims.scopes.clone(),
                label: claims.label.clone(),
                created_by: actor.clone(),
                created_at: *at,
                expires_at: claims.expires_at,
            })
            .collect())
    }

    fn revoke(&self, guild_id: Snowflake, key_id: &str) -> Result<(), Error> {
        let mut keys = self.keys.borrow_mut();
        let found = keys
            .iter()
            .find(|(_, (claims, _, _))| claims.id == key_id && claims.guild_id == guild_id)
            .map(|(key, _)| key.clone());
        match found {
            Some(key) => {
                keys.remove(&key);
                Ok(())
            }
            None => Err(Error::not_found(format!("no key {key_id}"))),
        }
    }

    fn verify(&self, presented: &str) -> Result<ApiKeyClaims, Error> {
        let claims = self
            .keys
            .borrow()
            .get(presented)
            .map(|(claims, _, _)| claims.clone())
            .ok_or_else(|| Error::forbidden("no such key"))?;
        if claims.expires_at.is_some_and(|at| NOW >= at) {
            return Err(Error::forbidden("the API key has expired"));
        }
        Ok(claims)
    }
}

#[derive(Default)]
pub struct FakeConfig {
    pub versions: RefCell<BTreeMap<Snowflake, u64>>,
    pub audit: RefCell<Vec<(Snowflake, AuditEntry)>>,
    pub role_queries: RefCell<Vec<Member>>,
    /// The deployment document: its version and overrides (the last patch applied).
    pub deployment: RefCell<(u64, String)>,
    pub deployment_audit: RefCell<Vec<AuditEntry>>,
    /// The categories every server follows.
    pub categories: RefCell<Vec<u32>>,
}

impl contracts::Config for FakeConfig {
    fn status(&self) -> ServiceStatus {
        status("config")
    }

    fn get(&self, guild_id: Snowflake) -> Result<GuildSettings, Error> {
        let version = self.versions.borrow().get(&guild_id).copied().unwrap_or(0);
        Ok(GuildSettings {
            version,
            deployment_version: 0,
            features: Features {
                activity: false,
                embed_player: false,
                recording_notices: true,
            },
            kaltura: KalturaSettings {
                join_privileges: String::new(),
                host_privileges: String::new(),
                view_privileges: String::new(),
                player_uiconf_id: None,
                category_ids: self.categories.borrow().clone(),
            },
            document_json: r#"{"features":{"activity":false}}"#.into(),
            overrides_json: "{}".into(),
        })
    }

    fn check_permission(&self, _command: Command, _member: &Member) -> Result<Access, Error> {
        Err(unused("check-permission"))
    }

    fn role_for(&self, member: &Member) -> Result<KalturaRole, Error> {
        self.role_queries.borrow_mut().push(member.clone());
        let has = |role: &str| member.role_ids.contains(&snowflake(role));
        Ok(if member.permissions & 8 != 0 || has(ADMIN_ROLE) {
            KalturaRole::Admin
        } else if has(MOD_ROLE) {
            KalturaRole::Moderator
        } else {
            KalturaRole::Viewer
        })
    }

    fn render_message(
        &self,
        _guild_id: Snowflake,
        _kind: MessageKind,
        _values: &[(String, String)],
    ) -> Result<Option<Message>, Error> {
        Err(unused("render-message"))
    }

    fn render_section(
        &self,
        _guild_id: Snowflake,
        _section: Section,
    ) -> Result<Vec<SettingLine>, Error> {
        Err(unused("render-section"))
    }

    fn settable_keys(&self) -> Vec<SettingKey> {
        Vec::new()
    }

    fn update(
        &self,
        guild_id: Snowflake,
        patch_json: &str,
        expected_version: u64,
        actor: &Actor,
    ) -> Result<UpdateResult, Error> {
        let current = self.versions.borrow().get(&guild_id).copied().unwrap_or(0);
        if current != expected_version {
            return Err(Error::Conflict("stale version".into()));
        }
        if patch_json.contains("\"bogus\"") {
            return Err(Error::invalid("bogus: no such key"));
        }
        self.versions.borrow_mut().insert(guild_id, current + 1);
        self.audit.borrow_mut().push((
            guild_id,
            AuditEntry {
                at: NOW,
                actor: actor.clone(),
                version: current + 1,
                changes: vec![Change {
                    key: "features.activity".into(),
                    old_value: None,
                    new_value: Some("true".into()),
                }],
            },
        ));
        Ok(UpdateResult {
            version: current + 1,
            changed_keys: vec!["features.activity".into()],
        })
    }

    fn set(
        &self,
        _guild_id: Snowflake,
        _key: &str,
        _value_text: &str,
        _expected_version: Option<u64>,
        _dry_run: bool,
        _actor: &Actor,
    ) -> Result<UpdateResult, Error> {
        Err(unused("set"))
    }

    fn reset(
        &self,
        guild_id: Snowflake,
        _section: Option<Section>,
        _actor: &Actor,
    ) -> Result<UpdateResult, Error> {
        let current = self.versions.borrow().get(&guild_id).copied().unwrap_or(0);
        self.versions.borrow_mut().insert(guild_id, current + 1);
        Ok(UpdateResult {
            version: current + 1,
            changed_keys: Vec::new(),
        })
    }

    fn audit_log(&self, guild_id: Snowflake, limit: u32) -> Result<Vec<AuditEntry>, Error> {
        Ok(self
            .audit
            .borrow()
            .iter()
            .rev()
            .filter(|(g, _)| *g == guild_id)
            .take(limit as usize)
            .map(|(_, e)| e.clone())
            .collect())
    }

    fn get_deployment(&self) -> Result<DeploymentSettings, Error> {
        let (version, overrides) = self.deployment.borrow().clone();
        Ok(DeploymentSettings {
            version,
            overrides_json: if version == 0 { "{}".into() } else { overrides },
        })
    }

    fn update_deployment(
        &self,
        patch_json: &str,
        expected_version: u64,
        actor: &Actor,
    ) -> Result<UpdateResult, Error> {
        let current = self.deployment.borrow().0;
        if current != expected_version {
            return Err(Error::Conflict("stale version".into()));
        }
        if patch_json.contains("\"bogus\"") {
            return Err(Error::invalid("bogus: not a known key"));
        }
        *self.deployment.borrow_mut() = (current + 1, patch_json.to_owned());
        self.deployment_audit.borrow_mut().push(AuditEntry {
            at: NOW,
            actor: actor.clone(),
            version: current + 1,
            changes: vec![Change {
                key: "kaltura.privileges.view".into(),
                old_value: None,
                new_value: Some("\"sview:*\"".into()),
            }],
        });
        Ok(UpdateResult {
            version: current + 1,
            changed_keys: vec!["kaltura.privileges.view".into()],
        })
    }

    fn deployment_audit_log(&self, limit: u32) -> Result<Vec<AuditEntry>, Error> {
        Ok(self
            .deployment_audit
            .borrow()
            .iter()
            .rev()
            .take(limit as usize)
            .cloned()
            .collect())
    }
}

#[derive(Default)]
pub struct FakeKaltura {
    pub meetings: RefCell<BTreeMap<MeetingId, Meeting>>,
    pub joins: RefCell<Vec<(MeetingId, Participant)>>,
    /// Who asked to end which meeting.
    pub ends: RefCell<Vec<(MeetingId, Requester)>>,
    /// What `ping` fails with, if anything.
    pub ping_failure: RefCell<Option<Error>>,
    /// How many times `ping` was called.
    pub pings: Cell<u32>,
    /// The media library: each entry and the categories it is in.
    pub media: RefCell<Vec<(MediaEntry, Vec<u32>)>>,
    /// The scopes media calls were made with.
    pub scopes: RefCell<Vec<MediaScope>>,
    counter: Cell<u64>,
}

impl FakeKaltura {
    /// Adds an open meeting of `owner` on `guild`; returns its ID.
    pub fn add(&self, guild: &str, owner: &str) -> MeetingId {
        contracts::Kaltura::create_meeting(
            self,
            &MeetingRequest {
                kind: MeetingKind::Meeting,
                title: "Standup".into(),
                description: None,
                guild_id: snowflake(guild),
                channel_id: snowflake(CHANNEL),
                owner_id: snowflake(owner),
                start_time: None,
                duration_minutes: None,
            },
        )
        .map(|m| m.id)
        .unwrap_or_default()
    }
}

impl contracts::Kaltura for FakeKaltura {
    fn status(&self) -> ServiceStatus {
        status("kaltura")
    }

    fn ping(&self) -> Result<(), Error> {
        self.pings.set(self.pings.get() + 1);
        self.ping_failure.borrow().clone().map_or(Ok(()), Err)
    }

    fn circuit_open(&self) -> bool {
        false
    }

    fn create_meeting(&self, request: &MeetingRequest) -> Result<Meeting, Error> {
        if request.title.chars().count() > 100 {
            return Err(Error::invalid("title: at most 100 characters"));
        }
        self.counter.set(self.counter.get() + 1);
        let id = 40 + self.counter.get();
        let meeting = Meeting {
            id,
            kind: request.kind,
            title: request.title.clone(),
            guild_id: request.guild_id,
            channel_id: request.channel_id,
            owner_id: request.owner_id,
            created_at: NOW,
            start_time: request.start_time,
            end_time: None,
            ended_at: None,
        };
        self.meetings.borrow_mut().insert(id, meeting.clone());
        Ok(meeting)
    }

    fn get_meeting(&self, id: MeetingId) -> Result<Option<Meeting>, Error> {
        Ok(self.meetings.borrow().get(&id).cloned())
    }

    fn list_meetings(&self, filter: MeetingFilter) -> Result<Vec<Meeting>, Error> {
        Ok(self
            .meetings
            .borrow()
            .values()
            .filter(|m| m.ended_at.is_none())
            .filter(|m| match filter {
                MeetingFilter::Guild(guild) => m.guild_id == guild,
                MeetingFilter::Owner(owner) => m.owner_id == owner,
            })
            .cloned()
            .collect())
    }

    /// The WIT rule: the owner, or at least a moderator.
    fn may_manage(&self, id: MeetingId, requester: Requester) -> Result<bool, Error> {
        let meetings = self.meetings.borrow();
        let meeting = meetings
            .get(&id)
            .ok_or_else(|| Error::not_found(format!("no meeting {id}")))?;
        Ok(requester.user_id == Some(meeting.owner_id) || requester.role >= KalturaRole::Moderator)
    }

    fn end_meeting(&self, id: MeetingId, requester: Requester) -> Result<(), Error> {
        self.ends.borrow_mut().push((id, requester));
        if !self.may_manage(id, requester)? {
            return Err(Error::forbidden(
                "only the meeting's owner, a moderator or an admin may end it",
            ));
        }
        if let Some(meeting) = self.meetings.borrow_mut().get_mut(&id) {
            meeting.ended_at = Some(NOW);
        }
        Ok(())
    }

    fn join_url(&self, meeting_id: MeetingId, participant: &Participant) -> Result<String, Error> {
        self.joins
            .borrow_mut()
            .push((meeting_id, participant.clone()));
        Ok(format!(
            "https://kaf.example/virtualEvent/launch?ks=ks-for-{}",
            participant.kaltura_user_id
        ))
    }

    fn search_media(&self, query: &str, page: u32, scope: &MediaScope) -> Result<MediaPage, Error> {
        self.scopes.borrow_mut().push(scope.clone());
        let entries: Vec<MediaEntry> = self
            .media
            .borrow()
            .iter()
            .filter(|(e, cats)| e.name.contains(query) && in_scope(cats, scope))
            .map(|(e, _)| e.clone())
            .collect();
        let total = entries.len() as u64;
        let _ = page;
        Ok(MediaPage {
            entries,
            total,
            next_page: None,
        })
    }

    fn get_media(&self, entry_id: &str, scope: &MediaScope) -> Result<Option<MediaEntry>, Error> {
        self.scopes.borrow_mut().push(scope.clone());
        Ok(self
            .media
            .borrow()
            .iter()
            .find(|(e, cats)| e.id == entry_id && in_scope(cats, scope))
            .map(|(e, _)| e.clone()))
    }

    fn playback_session(&self, entry_id: &str, scope: &MediaScope) -> Result<PlayerSession, Error> {
        let user = scope
            .kaltura_user_id
            .clone()
            .ok_or_else(|| Error::invalid("scope.kaltura-user-id"))?;
        if self.get_media(entry_id, scope)?.is_none() {
            return Err(Error::NotFound(format!("no entry {entry_id}")));
        }
        Ok(PlayerSession {
            entry_id: entry_id.to_owned(),
            partner_id: 1_234_567,
            uiconf_id: 4711,
            ks: format!("user-ks-{user}-{entry_id}"),
            expires_at: NOW + 600,
        })
    }

    fn player_embed_url(&self, entry_id: &str, uiconf_id: Option<u32>) -> Result<String, Error> {
        let uiconf = uiconf_id.unwrap_or(4711);
        Ok(format!(
            "https://cdn.test/p/1234567/embedPlaykitJs/uiconf_id/{uiconf}?iframeembed=true&entry_id={entry_id}"
        ))
    }
}

type Responder = Box<dyn Fn(&http::Request<Vec<u8>>) -> http::Response<Vec<u8>>>;

/// The events service: records what is published; subscriptions are kept in a list.
#[derive(Default)]
pub struct FakeEvents {
    pub published: RefCell<Vec<contracts::events::Event>>,
    pub subscriptions: RefCell<Vec<contracts::events::Subscription>>,
}

impl contracts::Events for FakeEvents {
    fn status(&self) -> ServiceStatus {
        status("events")
    }
    fn publish(&self, event: &contracts::events::Event) -> Result<u32, Error> {
        self.published.borrow_mut().push(event.clone());
        Ok(1)
    }
    fn pump(&self, _max_attempts: u32) -> Result<contracts::events::PumpReport, Error> {
        Ok(contracts::events::PumpReport {
            attempted: 0,
            delivered: 0,
            retrying: 0,
            gave_up: 0,
        })
    }
    fn create(
        &self,
        guild_id: Snowflake,
        request: &contracts::events::NewSubscription,
        created_by: &Actor,
    ) -> Result<contracts::events::CreatedSubscription, Error> {
        let subscription = contracts::events::Subscription {
            id: format!("sub_{:024x}", self.subscriptions.borrow().len() + 1),
            guild_id,
            url: request.url.clone(),
            event_types: request.event_types.clone(),
            description: request.description.clone(),
            state: contracts::events::SubscriptionState::Active,
            paused_reason: None,
            paused_at: None,
            created_at: NOW,
            created_by: created_by.clone(),
            consecutive_failures: 0,
            pending: 0,
        };
        self.subscriptions.borrow_mut().push(subscription.clone());
        Ok(contracts::events::CreatedSubscription {
            subscription,
            secret: "whsec_c2VjcmV0".into(),
        })
    }
    fn list(&self, guild_id: Snowflake) -> Result<Vec<contracts::events::Subscription>, Error> {
        Ok(self
            .subscriptions
            .borrow()
            .iter()
            .filter(|s| s.guild_id == guild_id)
            .cloned()
            .collect())
    }
    fn get(&self, guild_id: Snowflake, id: &str) -> Result<contracts::events::Subscription, Error> {
        self.list(guild_id)?
            .into_iter()
            .find(|s| s.id == id)
            .ok_or_else(|| Error::NotFound(id.into()))
    }
    fn delete(&self, guild_id: Snowflake, id: &str) -> Result<(), Error> {
        self.get(guild_id, id)?;
        self.subscriptions.borrow_mut().retain(|s| s.id != id);
        Ok(())
    }
    fn set_paused(
        &self,
        guild_id: Snowflake,
        id: &str,
        paused: bool,
        _actor: &Actor,
    ) -> Result<contracts::events::Subscription, Error> {
        self.get(guild_id, id)?;
        let mut subs = self.subscriptions.borrow_mut();
        let sub = subs
            .iter_mut()
            .find(|s| s.id == id)
            .ok_or_else(|| Error::NotFound(id.into()))?;
        sub.state = if paused {
            contracts::events::SubscriptionState::Paused
        } else {
            contracts::events::SubscriptionState::Active
        };
        Ok(sub.clone())
    }
    fn deliveries(
        &self,
        guild_id: Snowflake,
        id: &str,
        _limit: u32,
    ) -> Result<Vec<contracts::events::Delivery>, Error> {
        self.get(guild_id, id)?;
        Ok(Vec::new())
    }
}

pub struct Fake {
    pub settings: RefCell<BTreeMap<String, String>>,
    pub identity: FakeIdentity,
    pub config: FakeConfig,
    pub kaltura: FakeKaltura,
    pub events: FakeEvents,
    pub watch: FakeWatch,
    pub rates: MemoryCasStore,
    pub store: MemoryCasStore,
    pub logs: RefCell<Vec<String>>,
    pub sent: RefCell<Vec<http::Request<Vec<u8>>>>,
    pub discord: RefCell<Responder>,
    /// The time the backend reports (starts at [`NOW`]).
    pub clock: Cell<u64>,
}

impl Default for Fake {
    fn default() -> Self {
        let settings = [
            ("discord_base_url", "https://discord.test"),
            (
                "discord_public_key",
                "0000000000000000000000000000000000000000000000000000000000000000",
            ),
            ("discord_application_id", "1100000000000000001"),
            ("discord_bot_token", BOT_TOKEN),
            ("discord_client_secret", CLIENT_SECRET),
        ];
        Self {
            settings: RefCell::new(
                settings
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                    .collect(),
            ),
            identity: FakeIdentity::default(),
            config: FakeConfig::default(),
            kaltura: FakeKaltura::default(),
            events: FakeEvents::default(),
            watch: FakeWatch::default(),
            rates: MemoryCasStore::default(),
            store: MemoryCasStore::default(),
            logs: RefCell::new(Vec::new()),
            sent: RefCell::new(Vec::new()),
            discord: RefCell::new(Box::new(|_| {
                json_response(404, r#"{"message":"404: Not Found","code":0}"#)
            })),
            clock: Cell::new(NOW),
        }
    }
}

/// The real Watch Service over an in-memory store and a clock that moves only when
/// slept on (a long-poll's waits).
pub struct FakeWatch {
    pub store: MemoryCasStore,
    pub clock: common::FakeClock,
    pub vars: common::MemoryVariables,
}

impl Default for FakeWatch {
    fn default() -> Self {
        Self {
            store: MemoryCasStore::default(),
            clock: common::FakeClock::at_millis(NOW * 1000),
            vars: common::MemoryVariables::default(),
        }
    }
}

impl FakeWatch {
    fn with<T>(&self, call: impl FnOnce(&dyn contracts::Watch) -> T) -> T {
        let service = watch::Service::new(watch::Env {
            vars: &self.vars,
            kv: &self.store,
            clock: &self.clock,
            log: &|_| {},
        });
        call(&service)
    }
}

impl contracts::Watch for FakeWatch {
    fn status(&self) -> ServiceStatus {
        self.with(|w| w.status())
    }
    fn request_video(
        &self,
        guild: Snowflake,
        channel: Snowflake,
        entry: &str,
        by: Snowflake,
    ) -> Result<(), Error> {
        self.with(|w| w.request_video(guild, channel, entry, by))
    }
    fn join(
        &self,
        room: &str,
        guild: Snowflake,
        channel: Option<Snowflake>,
        entry: Option<&str>,
        viewer: &contracts::watch::Viewer,
    ) -> Result<contracts::watch::RoomState, Error> {
        self.with(|w| w.join(room, guild, channel, entry, viewer))
    }
    fn state(&self, room: &str, user: Snowflake) -> Result<contracts::watch::RoomState, Error> {
        self.with(|w| w.state(room, user))
    }
    fn observe(&self, room: &str, user: Snowflake) -> Result<contracts::watch::RoomState, Error> {
        self.with(|w| w.observe(room, user))
    }
    fn control(
        &self,
        room: &str,
        user: Snowflake,
        action: contracts::watch::ControlAction,
        expected: u64,
    ) -> Result<contracts::watch::RoomState, Error> {
        self.with(|w| w.control(room, user, action, expected))
    }
    fn hand_over(
        &self,
        room: &str,
        from: Snowflake,
        to: Snowflake,
    ) -> Result<contracts::watch::RoomState, Error> {
        self.with(|w| w.hand_over(room, from, to))
    }
    fn leave(&self, room: &str, user: Snowflake) -> Result<contracts::watch::RoomState, Error> {
        self.with(|w| w.leave(room, user))
    }
}

/// Whether an entry in `categories` is within `scope`'s categories.
fn in_scope(categories: &[u32], scope: &MediaScope) -> bool {
    scope.category_ids.is_empty() || categories.iter().any(|c| scope.category_ids.contains(c))
}

/// A ready entry of the fake media library.
pub fn media_entry(id: &str, name: &str) -> MediaEntry {
    MediaEntry {
        id: id.into(),
        name: name.into(),
        description: None,
        duration_seconds: Some(61),
        thumbnail_url: None,
        created_at: Some(NOW),
        ready: true,
    }
}

pub fn json_response(status: u16, body: &str) -> http::Response<Vec<u8>> {
    http::Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(body.as_bytes().to_vec())
        .unwrap()
}

impl Backend for Fake {
    type Rates = MemoryCasStore;

    fn config(&self) -> &dyn contracts::Config {
        &self.config
    }
    fn members(&self) -> &dyn contracts::Members {
        &self.identity
    }
    fn tokens(&self) -> &dyn contracts::Tokens {
        &self.identity
    }
    fn api_keys(&self) -> &dyn contracts::ApiKeys {
        &self.identity
    }
    fn kaltura(&self) -> &dyn contracts::Kaltura {
        &self.kaltura
    }
    fn events(&self) -> &dyn contracts::Events {
        &self.events
    }
    fn watch(&self) -> &dyn contracts::Watch {
        &self.watch
    }
    fn setting(&self, name: &str) -> Option<String> {
        self.settings.borrow().get(name).cloned()
    }
    fn request_id(&self) -> String {
        "req-1".into()
    }
    fn now(&self) -> u64 {
        self.clock.get()
    }
    fn now_ms(&self) -> u64 {
        common::Clock::now_millis(&self.watch.clock)
    }
    fn wait(&self, duration: std::time::Duration) -> impl Future<Output = ()> {
        common::Clock::sleep(&self.watch.clock, duration);
        std::future::ready(())
    }
    fn log(&self, line: &str) {
        self.logs.borrow_mut().push(line.to_owned());
    }
    fn rates(&self) -> &MemoryCasStore {
        &self.rates
    }
    fn store(&self) -> &dyn KeyValue {
        &self.store
    }
    fn send(
        &self,
        request: http::Request<Vec<u8>>,
    ) -> impl Future<Output = Result<http::Response<Vec<u8>>, String>> {
        let response = (self.discord.borrow())(&request);
        self.sent.borrow_mut().push(request);
        std::future::ready(Ok(response))
    }
}

impl Fake {
    pub fn set(&self, name: &str, value: &str) {
        self.settings
            .borrow_mut()
            .insert(name.to_owned(), value.to_owned());
    }

    pub fn unset(&self, name: &str) {
        self.settings.borrow_mut().remove(name);
    }

    /// Scripts Discord.
    pub fn discord(
        &self,
        f: impl Fn(&http::Request<Vec<u8>>) -> http::Response<Vec<u8>> + 'static,
    ) {
        *self.discord.borrow_mut() = Box::new(f);
    }

    /// Sends a request through [`api::handle`].
    pub fn call(&self, method: &str, path: &str, token: Option<&str>, body: &str) -> Response {
        self.call_with(
            Request {
                method,
                path_with_query: path,
                body: body.as_bytes(),
                client_addr: Some("203.0.113.7:40000"),
                ..Request::default()
            },
            token,
        )
    }

    pub fn call_with(&self, request: Request<'_>, token: Option<&str>) -> Response {
        let header = token.map(|t| format!("Bearer {t}"));
        let request = Request {
            authorization: header.as_deref(),
            ..request
        };
        futures::executor::block_on(api::handle(&request, self))
    }

    pub fn get(&self, path: &str, token: Option<&str>) -> Response {
        self.call("GET", path, token, "")
    }

    /// Everything a response and the log say, to check for secrets.
    pub fn everything_said(&self, response: &Response) -> String {
        format!(
            "{}\n{:?}\n{}",
            String::from_utf8_lossy(&response.body),
            response.headers,
            self.logs.borrow().join("\n")
        )
    }
}

pub fn body(response: &Response) -> serde_json::Value {
    serde_json::from_slice(&response.body).unwrap()
}

/// A Discord that knows one user on [`GUILD`], owned by someone else, with `roles`
/// and an `@everyone` role without permissions; the code `good-code` is valid.
pub struct DiscordWorld {
    pub member_of: Vec<String>,
    pub member_roles: Vec<String>,
    pub owner: String,
    pub admin_role_bits: u64,
}

impl DiscordWorld {
    pub fn member(roles: &[&str]) -> Self {
        Self {
            member_of: vec![GUILD.into()],
            member_roles: roles.iter().map(|r| (*r).to_owned()).collect(),
            owner: OTHER_USER.into(),
            admin_role_bits: 8,
        }
    }

    pub fn respond(&self, request: &http::Request<Vec<u8>>) -> http::Response<Vec<u8>> {
        let path = request.uri().path();
        let auth = request
            .headers()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        match (request.method().as_str(), path) {
            ("POST", "/api/v10/oauth2/token") => {
                let form = String::from_utf8_lossy(request.body());
                if form.contains("code=good-code") && auth.starts_with("Basic ") {
                    json_response(
                        200,
                        r#"{"access_token":"discord-user-token","token_type":"Bearer","expires_in":604800,"refresh_token":"discord-refresh","scope":"identify"}"#,
                    )
                } else {
                    json_response(
                        400,
                        r#"{"error":"invalid_grant","error_description":"Invalid \"code\" in request."}"#,
                    )
                }
            }
            ("GET", "/api/v10/users/@me") if auth == "Bearer discord-user-token" => json_response(
                200,
                &format!(
                    r#"{{"id":"{USER}","username":"ada","global_name":"Ada L.","avatar":null,"discriminator":"0"}}"#
                ),
            ),
            ("GET", p) if auth == format!("Bot {BOT_TOKEN}") => {
                let parts: Vec<&str> = p.trim_start_matches("/api/v10/").split('/').collect();
                match parts.as_slice() {
                    ["guilds", g, "members", u]
                        if self.member_of.iter().any(|m| m == g) && *u == USER =>
                    {
                        let roles: Vec<String> = self
                            .member_roles
                            .iter()
                            .map(|r| format!("\"{r}\""))
                            .collect();
                        json_response(
                            200,
                            &format!(
                                r#"{{"user":{{"id":"{USER}","username":"ada"}},"nick":"Countess","roles":[{}],"joined_at":"2024-01-01T00:00:00+00:00","deaf":false,"mute":false}}"#,
                                roles.join(",")
                            ),
                        )
                    }
                    ["guilds", _, "members", _] => {
                        json_response(404, r#"{"message":"Unknown Member","code":10007}"#)
                    }
                    ["guilds", g] => json_response(
                        200,
                        &format!(
                            r#"{{"id":"{g}","name":"Test","owner_id":"{}"}}"#,
                            self.owner
                        ),
                    ),
                    ["guilds", g, "roles"] => json_response(
                        200,
                        &format!(
                            r#"[{{"id":"{g}","name":"@everyone","permissions":"2048"}},{{"id":"{ADMIN_ROLE}","name":"Admins","permissions":"{}"}},{{"id":"{MOD_ROLE}","name":"Mods","permissions":"0"}}]"#,
                            self.admin_role_bits
                        ),
                    ),
                    ["channels", c] if *c == CHANNEL => json_response(
                        200,
                        &format!(r#"{{"id":"{CHANNEL}","guild_id":"{GUILD}","type":0}}"#),
                    ),
                    ["channels", c] if *c == OTHER_CHANNEL => json_response(
                        200,
                        &format!(
                            r#"{{"id":"{OTHER_CHANNEL}","guild_id":"{OTHER_GUILD}","type":0}}"#
                        ),
                    ),
                    _ => json_response(404, r#"{"message":"Unknown","code":0}"#),
                }
            }
            _ => json_response(401, r#"{"message":"401: Unauthorized","code":0}"#),
        }
    }
}
