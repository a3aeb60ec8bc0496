//! An in-memory [`Backend`] for the host-free tests: fake `identity`, `config` and
//! `kaltura` services that keep their state in memory, a scripted Discord, and a log.

use crate::api::{self, Backend, Request, Response};
use crate::services::*;
use common::cas::MemoryCasStore;
use common::{KeyValue, ServiceStatus};
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

#[derive(Default)]
pub struct FakeIdentity {
    pub tokens: RefCell<BTreeMap<String, AccessClaims>>,
    pub refresh_tokens: RefCell<BTreeMap<String, String>>,
    pub revoked_sessions: RefCell<Vec<String>>,
    pub keys: RefCell<BTreeMap<String, (KeyClaims, Actor, u64)>>,
    pub resolved: RefCell<Vec<(MemberFacts, RoleMapping)>>,
    pub issued: RefCell<Vec<Subject>>,
    counter: Cell<u64>,
}

fn role_scopes(role: Role) -> Vec<Scope> {
    match role {
        Role::Viewer => vec![Scope::MeetingsRead],
        Role::Moderator => vec![Scope::MeetingsRead, Scope::MeetingsWrite],
        Role::Admin => Scope::ALL.to_vec(),
    }
}

impl FakeIdentity {
    fn next(&self) -> u64 {
        self.counter.set(self.counter.get() + 1);
        self.counter.get()
    }

    /// Mints an access token directly (as if signed in).
    pub fn mint(&self, guild: &str, user: &str, role: Role, scopes: &[Scope]) -> String {
        let n = self.next();
        let token = format!("kd1.fake-{n}");
        self.tokens.borrow_mut().insert(
            token.clone(),
            AccessClaims {
                user_id: user.into(),
                guild_id: guild.into(),
                role,
                scopes: scopes.to_vec(),
                expires_at: NOW + 900,
                token_id: format!("t{n}"),
                session_id: format!("s{n}"),
            },
        );
        token
    }

    /// Mints an API key created by `creator`.
    pub fn mint_key(&self, guild: &str, scopes: &[Scope], creator: Actor) -> String {
        let n = self.next();
        let id = format!("{n:016x}");
        let key = format!("kdk_{id}_secret{n}");
        self.keys.borrow_mut().insert(
            key.clone(),
            (
                KeyClaims {
                    id,
                    guild_id: guild.into(),
                    scopes: scopes.to_vec(),
                    label: "automation".into(),
                },
                creator,
                NOW,
            ),
        );
        key
    }
}

impl Identity for FakeIdentity {
    fn verify_token(&self, access: &str) -> Result<AccessClaims, ServiceError> {
        if !access.starts_with("kd1.") {
            return Err(ServiceError::Invalid("not an access token".into()));
        }
        let claims = self
            .tokens
            .borrow()
            .get(access)
            .cloned()
            .ok_or_else(|| ServiceError::Forbidden("the signature is not valid".into()))?;
        if claims.expires_at <= NOW {
            return Err(ServiceError::Forbidden("the token has expired".into()));
        }
        if self.revoked_sessions.borrow().contains(&claims.session_id) {
            return Err(ServiceError::Forbidden("the session was revoked".into()));
        }
        Ok(claims)
    }

    fn verify_api_key(&self, presented: &str) -> Result<KeyClaims, ServiceError> {
        self.keys
            .borrow()
            .get(presented)
            .map(|(claims, _, _)| claims.clone())
            .ok_or_else(|| ServiceError::Forbidden("no such key".into()))
    }

    fn scopes_for_role(&self, role: Role) -> Vec<Scope> {
        role_scopes(role)
    }

    fn resolve_member(
        &self,
        member: &MemberFacts,
        mapping: &RoleMapping,
    ) -> Result<KalturaIdentity, ServiceError> {
        self.resolved
            .borrow_mut()
            .push((member.clone(), mapping.clone()));
        let role = mapping
            .user_overrides
            .iter()
            .find(|(user, _)| *user == member.user_id)
            .map_or(mapping.default_role, |(_, role)| *role);
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

    fn kaltura_user_id(&self, user_id: &str) -> Result<Option<String>, ServiceError> {
        Ok(Some(format!("discord-{user_id}")))
    }

    fn issue_token(&self, subject: &Subject, ttl_seconds: u32) -> Result<TokenPair, ServiceError> {
        if subject
            .scopes
            .iter()
            .any(|s| !role_scopes(subject.role).contains(s))
        {
            return Err(ServiceError::Forbidden(
                "scope not granted by the role".into(),
            ));
        }
        self.issued.borrow_mut().push(subject.clone());
        let access = self.mint(
            &subject.guild_id,
            &subject.user_id,
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

    fn refresh(&self, refresh_token: &str) -> Result<TokenPair, ServiceError> {
        let access = self
            .refresh_tokens
            .borrow_mut()
            .remove(refresh_token)
            .ok_or_else(|| ServiceError::Forbidden("the refresh token was already used".into()))?;
        let claims = self.verify_token(&access)?;
        let subject = Subject {
            user_id: claims.user_id,
            guild_id: claims.guild_id,
            role: claims.role,
            scopes: claims.scopes,
        };
        self.issue_token(&subject, 900)
    }

    fn revoke(&self, token: &str) -> Result<(), ServiceError> {
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
            .ok_or_else(|| ServiceError::Forbidden("the signature is not valid".into()))?;
        self.revoked_sessions.borrow_mut().push(claims.session_id);
        Ok(())
    }

    fn create_api_key(
        &self,
        guild_id: &str,
        scopes: &[Scope],
        label: &str,
        created_by: &Actor,
    ) -> Result<CreatedKey, ServiceError> {
        let key = self.mint_key(guild_id, scopes, created_by.clone());
        if let Some(entry) = self.keys.borrow_mut().get_mut(&key) {
            entry.0.label = label.to_owned();
        }
        let info = self
            .list_api_keys(guild_id)?
            .into_iter()
            .find(|info| key.contains(&info.id))
            .ok_or_else(|| ServiceError::Other("lost".into()))?;
        Ok(CreatedKey {
            secret_shown_once: key,
            info,
        })
    }

    fn list_api_keys(&self, guild_id: &str) -> Result<Vec<ApiKeyInfo>, ServiceError> {
        Ok(self
            .keys
            .borrow()
            .values()
            .filter(|(claims, _, _)| claims.guild_id == guild_id)
            .map(|(claims, actor, at)| ApiKeyInfo {
                id: claims.id.clone(),
                guild_id: claims.guild_id.clone(),
                scopes: claims.scopes.clone(),
                label: claims.label.clone(),
                created_by: actor.clone(),
                created_at: *at,
            })
            .collect())
    }

    fn revoke_api_key(&self, guild_id: &str, id: &str) -> Result<(), ServiceError> {
        let mut keys = self.keys.borrow_mut();
        let found = keys
            .iter()
            .find(|(_, (claims, _, _))| claims.id == id && claims.guild_id == guild_id)
            .map(|(key, _)| key.clone());
        match found {
            Some(key) => {
                keys.remove(&key);
                Ok(())
            }
            None => Err(ServiceError::NotFound(format!("no key {id}"))),
        }
    }
}

#[derive(Default)]
pub struct FakeConfig {
    pub versions: RefCell<BTreeMap<String, u64>>,
    pub audit: RefCell<Vec<(String, AuditEntry)>>,
    pub role_queries: RefCell<Vec<(String, MemberInfo)>>,
    /// The deployment document: its version and overrides (the last patch applied).
    pub deployment: RefCell<(u64, String)>,
    pub deployment_audit: RefCell<Vec<AuditEntry>>,
}

impl Config for FakeConfig {
    fn role_for(&self, guild_id: &str, member: &MemberInfo) -> Result<Role, ServiceError> {
        self.role_queries
            .borrow_mut()
            .push((guild_id.to_owned(), member.clone()));
        Ok(
            if member.permissions & 8 != 0 || member.role_ids.iter().any(|r| r == ADMIN_ROLE) {
                Role::Admin
            } else if member.role_ids.iter().any(|r| r == MOD_ROLE) {
                Role::Moderator
            } else {
                Role::Viewer
            },
        )
    }

    fn get(&self, guild_id: &str) -> Result<ConfigView, ServiceError> {
        let version = self.versions.borrow().get(guild_id).copied().unwrap_or(0);
        Ok(ConfigView {
            version,
            deployment_version: 0,
            config_json: r#"{"features":{"activity":false}}"#.into(),
            overrides_json: "{}".into(),
        })
    }

    fn update(
        &self,
        guild_id: &str,
        patch_json: &str,
        expected_version: u64,
        actor: &Actor,
    ) -> Result<UpdateResult, ServiceError> {
        let current = self.versions.borrow().get(guild_id).copied().unwrap_or(0);
        if current != expected_version {
            return Err(ServiceError::Conflict("stale version".into()));
        }
        if patch_json.contains("\"bogus\"") {
            return Err(ServiceError::Invalid("bogus: no such key".into()));
        }
        self.versions
            .borrow_mut()
            .insert(guild_id.to_owned(), current + 1);
        self.audit.borrow_mut().push((
            guild_id.to_owned(),
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

    fn reset(
        &self,
        guild_id: &str,
        _section: Option<Section>,
        _actor: &Actor,
    ) -> Result<UpdateResult, ServiceError> {
        let current = self.versions.borrow().get(guild_id).copied().unwrap_or(0);
        self.versions
            .borrow_mut()
            .insert(guild_id.to_owned(), current + 1);
        Ok(UpdateResult {
            version: current + 1,
            changed_keys: Vec::new(),
        })
    }

    fn audit_log(&self, guild_id: &str, limit: u32) -> Result<Vec<AuditEntry>, ServiceError> {
        Ok(self
            .audit
            .borrow()
            .iter()
            .rev()
            .filter(|(g, _)| g == guild_id)
            .take(limit as usize)
            .map(|(_, e)| e.clone())
            .collect())
    }

    fn get_deployment(&self) -> Result<DeploymentView, ServiceError> {
        let (version, overrides) = self.deployment.borrow().clone();
        Ok(DeploymentView {
            version,
            overrides_json: if version == 0 { "{}".into() } else { overrides },
        })
    }

    fn update_deployment(
        &self,
        patch_json: &str,
        expected_version: u64,
        actor: &Actor,
    ) -> Result<UpdateResult, ServiceError> {
        let current = self.deployment.borrow().0;
        if current != expected_version {
            return Err(ServiceError::Conflict("stale version".into()));
        }
        if patch_json.contains("\"bogus\"") {
            return Err(ServiceError::Invalid("bogus: not a known key".into()));
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

    fn deployment_audit_log(&self, limit: u32) -> Result<Vec<AuditEntry>, ServiceError> {
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
    pub meetings: RefCell<BTreeMap<String, Meeting>>,
    pub joins: RefCell<Vec<(String, JoinMember)>>,
    counter: Cell<u64>,
}

impl FakeKaltura {
    pub fn add(&self, guild: &str, owner: &str) -> String {
        self.create_meeting(&NewMeeting {
            kind: MeetingKind::Meeting,
            title: "Standup".into(),
            description: None,
            guild_id: guild.into(),
            channel_id: CHANNEL.into(),
            owner_id: owner.into(),
            start_time: None,
            duration_minutes: None,
        })
        .map(|m| m.id)
        .unwrap_or_default()
    }
}

impl Kaltura for FakeKaltura {
    fn circuit_open(&self) -> bool {
        false
    }

    fn create_meeting(&self, request: &NewMeeting) -> Result<Meeting, ServiceError> {
        self.counter.set(self.counter.get() + 1);
        let id = (40 + self.counter.get()).to_string();
        let meeting = Meeting {
            id: id.clone(),
            kind: request.kind,
            title: request.title.clone(),
            guild_id: request.guild_id.clone(),
            channel_id: request.channel_id.clone(),
            owner_id: request.owner_id.clone(),
            created_at: NOW,
            start_time: request.start_time,
            end_time: None,
            ended_at: None,
        };
        self.meetings.borrow_mut().insert(id, meeting.clone());
        Ok(meeting)
    }

    fn get_meeting(&self, id: &str) -> Result<Option<Meeting>, ServiceError> {
        Ok(self.meetings.borrow().get(id).cloned())
    }

    fn list_meetings(&self, guild_id: &str) -> Result<Vec<Meeting>, ServiceError> {
        Ok(self
            .meetings
            .borrow()
            .values()
            .filter(|m| m.guild_id == guild_id && m.ended_at.is_none())
            .cloned()
            .collect())
    }

    fn end_meeting(&self, id: &str) -> Result<(), ServiceError> {
        match self.meetings.borrow_mut().get_mut(id) {
            Some(meeting) => {
                meeting.ended_at = Some(NOW);
                Ok(())
            }
            None => Err(ServiceError::NotFound(format!("no meeting {id}"))),
        }
    }

    fn join_url(&self, meeting_id: &str, member: &JoinMember) -> Result<String, ServiceError> {
        self.joins
            .borrow_mut()
            .push((meeting_id.to_owned(), member.clone()));
        Ok(format!(
            "https://kaf.example/virtualEvent/launch?ks=ks-for-{}",
            member.kaltura_user_id
        ))
    }
}

type Responder = Box<dyn Fn(&http::Request<Vec<u8>>) -> http::Response<Vec<u8>>>;

pub struct Fake {
    pub settings: RefCell<BTreeMap<String, String>>,
    pub identity: FakeIdentity,
    pub config: FakeConfig,
    pub kaltura: FakeKaltura,
    pub rates: MemoryCasStore,
    pub store: MemoryCasStore,
    pub logs: RefCell<Vec<String>>,
    pub sent: RefCell<Vec<http::Request<Vec<u8>>>>,
    pub discord: RefCell<Responder>,
    pub missing: Vec<String>,
    pub store_ok: bool,
    pub ping: Result<(), String>,
}

impl Default for Fake {
    fn default() -> Self {
        let settings = [
            ("discord_base_url", "https://discord.test"),
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
            rates: MemoryCasStore::default(),
            store: MemoryCasStore::default(),
            logs: RefCell::new(Vec::new()),
            sent: RefCell::new(Vec::new()),
            discord: RefCell::new(Box::new(|_| {
                json_response(404, r#"{"message":"404: Not Found","code":0}"#)
            })),
            missing: Vec::new(),
            store_ok: true,
            ping: Ok(()),
        }
    }
}

pub fn json_response(status: u16, body: &str) -> http::Response<Vec<u8>> {
    http::Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(body.as_bytes().to_vec())
        .unwrap()
}

fn status(name: &str, missing: Vec<String>, store_ok: bool) -> ServiceStatus {
    ServiceStatus {
        name: name.into(),
        version: "0.1.0".into(),
        missing_settings: missing,
        key_value_ok: store_ok,
    }
}

impl Backend for Fake {
    type Rates = MemoryCasStore;

    fn gateway_status(&self) -> ServiceStatus {
        status("gateway", self.missing.clone(), self.store_ok)
    }
    fn service_statuses(&self) -> Vec<ServiceStatus> {
        vec![status("kaltura", Vec::new(), true)]
    }
    fn kaltura_ping(&self) -> Result<(), String> {
        self.ping.clone()
    }
    fn setting(&self, name: &str) -> Option<String> {
        self.settings.borrow().get(name).cloned()
    }
    fn request_id(&self) -> String {
        "req-1".into()
    }
    fn now(&self) -> u64 {
        NOW
    }
    fn log(&self, line: &str) {
        self.logs.borrow_mut().push(line.to_owned());
    }
    fn identity(&self) -> &dyn Identity {
        &self.identity
    }
    fn config(&self) -> &dyn Config {
        &self.config
    }
    fn kaltura(&self) -> &dyn Kaltura {
        &self.kaltura
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
