//! The Configuration Service over a [`CasStore`]: reads merge the three layers,
//! writes are validated and compare-and-set on the document's version (through
//! [`cas::update`], so exactly one of concurrent writers of a version wins, on Spin's
//! SQLite and Redis stores alike), and every accepted write leaves an audit entry. One
//! method per function of the WIT interface.
//!
//! A [`Service`] is meant to live for one request (in Spin, one component instance):
//! it reads the deployment document and each server's document at most once and keeps
//! the resolved settings, tagged with both documents' versions, until its own writes
//! replace them.

use std::cell::{OnceCell, RefCell};
use std::collections::BTreeMap;
use std::rc::Rc;

use guild_config::{
    apply_update, defaults_json, diff, merge_patch, permission_check, render_readable,
    reset_all_patch, reset_patch, role_for, set_patch_from_str, validate_overrides, Access, Actor,
    ApiKeyId, AuditEntry, ChannelId, CommandName, ConfigError, EventKind, FeaturesConfig,
    GuildConfig, KalturaConfig, KalturaRole, Layer, Section, StoredOverrides, SCHEMA_VERSION,
};
use serde_json::{Map, Value};

use crate::error::ServiceError;
use crate::input::{GuildId, Member};
use crate::keys;
use common::cas::{self, CasStore, Change, UpdateError};
use common::{Clock, StoreError};

/// One server's merged settings (the WIT `guild-config-view`).
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigView {
    /// The version of the server's override document, 0 when it has none.
    pub version: u64,
    /// The version of the deployment-wide document merged in, 0 when it has none.
    pub deployment_version: u64,
    /// The merged settings as a JSON object with every key.
    pub config_json: String,
    /// The server's sparse overrides as a JSON object.
    pub overrides_json: String,
    /// The `features` section.
    pub features: FeaturesConfig,
    /// The `kaltura` section.
    pub kaltura: KalturaConfig,
    /// `notifications.meeting_share.template`.
    pub share_template: String,
}

/// The deployment-wide overrides (the WIT `deployment-view`).
#[derive(Debug, Clone, PartialEq)]
pub struct DeploymentView {
    /// The document's version, 0 when it has none.
    pub version: u64,
    /// The sparse overrides as a JSON object.
    pub overrides_json: String,
}

/// Where and how to post one event (the WIT `target`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The channel to post in.
    pub channel_id: ChannelId,
    /// The message template.
    pub template: String,
    /// Whether `@everyone`/`@here` may ping.
    pub allow_everyone_mentions: bool,
}

/// The result of an accepted write (the WIT `update-result`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdateResult {
    /// The document's new version.
    pub version: u64,
    /// The dotted keys whose override changed, in key order.
    pub changed_keys: Vec<String>,
}

impl UpdateResult {
    fn of(entry: &AuditEntry) -> Self {
        UpdateResult {
            version: entry.version,
            changed_keys: entry.keys().into_iter().map(str::to_owned).collect(),
        }
    }
}

/// The compiled defaults as a JSON object with every key (the WIT `defaults`).
pub fn defaults() -> String {
    defaults_json().to_string()
}

/// Which version a write applies to.
#[derive(Debug, Clone, Copy)]
enum Expect {
    /// Only this one (compare-and-set as the caller asked); a lost race is a conflict.
    Exactly(u64),
    /// Whatever is stored; a lost race is applied again to the newer version (within
    /// [`cas::update`]'s budget).
    Current,
}

/// A server's settings as resolved once per [`Service`].
struct Resolved {
    /// The server's stored overrides, if any.
    stored: Option<StoredOverrides>,
    /// The version of the deployment document merged in.
    deployment_version: u64,
    /// The merged settings.
    config: GuildConfig,
    /// `config` as JSON, made when first asked for.
    json: OnceCell<String>,
}

impl Resolved {
    fn version(&self) -> u64 {
        version_of(self.stored.as_ref())
    }
}

fn version_of(stored: Option<&StoredOverrides>) -> u64 {
    stored.map_or(0, |s| s.version)
}

fn doc_of(stored: Option<&StoredOverrides>) -> &Value {
    static NONE: Value = Value::Null;
    stored.map_or(&NONE, |s| &s.doc)
}

fn to_json(value: &impl serde::Serialize) -> Result<String, ServiceError> {
    serde_json::to_string(value)
        .map_err(|e| ServiceError::Other(format!("settings could not be written as JSON: {e}")))
}

/// The Configuration Service for one request.
pub struct Service<S, C> {
    store: S,
    clock: C,
    /// The deployment document, once read.
    deployment: RefCell<Option<Rc<Option<StoredOverrides>>>>,
    /// Each server's resolved settings, once read.
    guilds: RefCell<BTreeMap<GuildId, Rc<Resolved>>>,
}

impl<S: CasStore, C: Clock> Service<S, C> {
    /// A service over `store`, stamping writes with `clock`.
    pub fn new(store: S, clock: C) -> Self {
        Service {
            store,
            clock,
            deployment: RefCell::new(None),
            guilds: RefCell::new(BTreeMap::new()),
        }
    }

    /// A server's merged settings.
    ///
    /// # Errors
    /// [`ServiceError::Storage`] when the store fails; [`ServiceError::Other`] when a
    /// stored document cannot be read or the documents do not merge into valid settings.
    pub fn get(&self, guild: GuildId) -> Result<ConfigView, ServiceError> {
        let resolved = self.resolved(guild)?;
        let config_json = match resolved.json.get() {
            Some(json) => json.clone(),
            None => {
                let json = to_json(&resolved.config)?;
                resolved.json.get_or_init(|| json).clone()
            }
        };
        let overrides = resolved
            .stored
            .as_ref()
            .map_or_else(|| Value::Object(Map::new()), |s| s.doc.clone());
        Ok(ConfigView {
            version: resolved.version(),
            deployment_version: resolved.deployment_version,
            config_json,
            overrides_json: overrides.to_string(),
            features: resolved.config.features.clone(),
            kaltura: resolved.config.kaltura.clone(),
            share_template: resolved.config.notifications.meeting_share.template.clone(),
        })
    }

    /// Whether `member` may use `command` on the server ([`permission_check`]).
    ///
    /// # Errors
    /// As [`Service::get`].
    pub fn check_permission(
        &self,
        guild: GuildId,
        command: CommandName,
        member: &Member,
    ) -> Result<Access, ServiceError> {
        let resolved = self.resolved(guild)?;
        Ok(permission_check(
            &resolved.config,
            command,
            &member.role_ids,
            member.permissions,
        ))
    }

    /// The Kaltura role of `member` on the server ([`role_for`]).
    ///
    /// # Errors
    /// As [`Service::get`].
    pub fn role_for(&self, guild: GuildId, member: &Member) -> Result<KalturaRole, ServiceError> {
        let resolved = self.resolved(guild)?;
        Ok(role_for(
            &resolved.config,
            member.user_id,
            &member.role_ids,
            member.permissions,
        ))
    }

    /// Where to post `event` on the server; `None` when it is not posted.
    ///
    /// # Errors
    /// As [`Service::get`].
    pub fn notification_target(
        &self,
        guild: GuildId,
        event: EventKind,
    ) -> Result<Option<Target>, ServiceError> {
        let resolved = self.resolved(guild)?;
        Ok(resolved
            .config
            .notification_target(event)
            .map(|target| Target {
                channel_id: target.channel_id,
                template: target.template.to_owned(),
                allow_everyone_mentions: target.allow_everyone_mentions,
            }))
    }

    /// One section of the server's merged settings as readable lines.
    ///
    /// # Errors
    /// As [`Service::get`].
    pub fn render(
        &self,
        guild: GuildId,
        section: Section,
    ) -> Result<Vec<(String, String)>, ServiceError> {
        Ok(render_readable(&self.resolved(guild)?.config, section))
    }

    /// Applies a merge `patch` to the server's overrides if `expected_version` is the
    /// stored version.
    ///
    /// # Errors
    /// [`ServiceError::Invalid`] naming the key and rule; [`ServiceError::Conflict`] for
    /// a stale version or a lost race; [`ServiceError::Storage`]; [`ServiceError::Other`]
    /// for an unusable stored document.
    pub fn update(
        &self,
        guild: GuildId,
        patch: &Value,
        expected_version: u64,
        actor: Actor,
    ) -> Result<UpdateResult, ServiceError> {
        self.write_guild(guild, patch, Expect::Exactly(expected_version), actor)
    }

    /// Sets one setting from text typed in Discord; compare-and-set when
    /// `expected_version` is given, else applied to the current version.
    ///
    /// # Errors
    /// As [`Service::update`].
    pub fn set(
        &self,
        guild: GuildId,
        key: &str,
        value_text: &str,
        expected_version: Option<u64>,
        actor: Actor,
    ) -> Result<UpdateResult, ServiceError> {
        let patch = set_patch_from_str(key, value_text)?;
        let expect = expected_version.map_or(Expect::Current, Expect::Exactly);
        self.write_guild(guild, &patch, expect, actor)
    }

    /// Removes the server's overrides of `section`, or of all sections.
    ///
    /// # Errors
    /// As [`Service::update`].
    pub fn reset(
        &self,
        guild: GuildId,
        section: Option<Section>,
        actor: Actor,
    ) -> Result<UpdateResult, ServiceError> {
        let patch = section.map_or_else(reset_all_patch, reset_patch);
        self.write_guild(guild, &patch, Expect::Current, actor)
    }

    /// Checks `patch` as [`Service::update`] would against the current settings,
    /// writing nothing.
    ///
    /// # Errors
    /// [`ServiceError::Invalid`], [`ServiceError::Storage`], [`ServiceError::Other`].
    pub fn validate(&self, guild: GuildId, patch: &Value) -> Result<(), ServiceError> {
        let current = self.resolved(guild)?;
        let deployment = self.deployment_doc()?;
        // Who asks does not change the outcome; the audit entry is thrown away.
        let nobody = Actor::ApiKey(ApiKeyId::new("validate")?);
        plan_guild(
            current.stored.as_ref(),
            current.version(),
            patch,
            nobody,
            self.clock.now_secs(),
            doc_of(deployment.as_ref().as_ref()),
        )
        .map(drop)
    }

    /// The server's most recent audit entries, newest first, at most `limit`.
    ///
    /// # Errors
    /// [`ServiceError::Storage`]; [`ServiceError::Other`] for an unreadable entry.
    pub fn audit_log(&self, guild: GuildId, limit: u32) -> Result<Vec<AuditEntry>, ServiceError> {
        let key = keys::guild(guild);
        let version = version_of(self.read(&key)?.as_ref());
        self.read_audit(&key, version, limit)
    }

    /// The deployment-wide overrides.
    ///
    /// # Errors
    /// [`ServiceError::Storage`]; [`ServiceError::Other`] for an unreadable document.
    pub fn deployment(&self) -> Result<DeploymentView, ServiceError> {
        let stored = self.deployment_doc()?;
        let stored = stored.as_ref().as_ref();
        let overrides = stored.map_or_else(|| Value::Object(Map::new()), |s| s.doc.clone());
        Ok(DeploymentView {
            version: version_of(stored),
            overrides_json: overrides.to_string(),
        })
    }

    /// Applies a merge `patch` to the deployment-wide overrides if `expected_version`
    /// is the stored version. The caller has established that `actor` is the
    /// deployment's administrator.
    ///
    /// # Errors
    /// As [`Service::update`].
    pub fn update_deployment(
        &self,
        patch: &Value,
        expected_version: u64,
        actor: Actor,
    ) -> Result<UpdateResult, ServiceError> {
        let now = self.clock.now_secs();
        let (stored, entry) = self
            .write(
                keys::DEPLOYMENT,
                Expect::Exactly(expected_version),
                |current, expected| {
                    plan_deployment(current, expected, patch, actor.clone(), now)
                        .map(|(stored, entry)| (stored, entry, ()))
                },
            )?
            .into_parts();
        *self.deployment.borrow_mut() = Some(Rc::new(Some(stored)));
        // Every server's merged settings depend on the deployment document.
        self.guilds.borrow_mut().clear();
        Ok(UpdateResult::of(&entry))
    }

    /// The deployment document's most recent audit entries, newest first.
    ///
    /// # Errors
    /// As [`Service::audit_log`].
    pub fn deployment_audit_log(&self, limit: u32) -> Result<Vec<AuditEntry>, ServiceError> {
        let version = version_of(self.read(keys::DEPLOYMENT)?.as_ref());
        self.read_audit(keys::DEPLOYMENT, version, limit)
    }

    fn write_guild(
        &self,
        guild: GuildId,
        patch: &Value,
        expect: Expect,
        actor: Actor,
    ) -> Result<UpdateResult, ServiceError> {
        let deployment = self.deployment_doc()?;
        let deployment_doc = doc_of(deployment.as_ref().as_ref());
        let now = self.clock.now_secs();
        let written = self.write(&keys::guild(guild), expect, |current, expected| {
            plan_guild(current, expected, patch, actor.clone(), now, deployment_doc)
        })?;
        let result = UpdateResult::of(&written.entry);
        let resolved = Resolved {
            stored: Some(written.stored),
            deployment_version: version_of(deployment.as_ref().as_ref()),
            config: written.extra,
            json: OnceCell::new(),
        };
        self.guilds.borrow_mut().insert(guild, Rc::new(resolved));
        Ok(result)
    }

    /// The read-check-write: [`cas::update`] the document at `key` with what `plan`
    /// builds from it (validation and the version check happen there; after a lost race
    /// they happen again on the newer version, so an exact version is then refused),
    /// then write the audit entry.
    fn write<T>(
        &self,
        key: &str,
        expect: Expect,
        plan: impl Fn(
            Option<&StoredOverrides>,
            u64,
        ) -> Result<(StoredOverrides, AuditEntry, T), ServiceError>,
    ) -> Result<Written<T>, ServiceError> {
        let written = cas::update(&self.store, key, |bytes| {
            let current = bytes.map(|b| decode(key, b)).transpose()?;
            let expected = match expect {
                Expect::Exactly(version) => version,
                Expect::Current => version_of(current.as_ref()),
            };
            let (stored, entry, extra) = plan(current.as_ref(), expected)?;
            let encoded = to_json(&stored)?;
            let written = Written {
                stored,
                entry,
                extra,
            };
            Ok((Change::Write(encoded.into_bytes()), written))
        })
        .map_err(|err| match err {
            UpdateError::Refused(err) => err,
            UpdateError::Store(StoreError::Contended) => ServiceError::lost_race(),
            UpdateError::Store(err) => ServiceError::storage("saving the settings", &err),
        })?;
        self.record(key, &written.entry)?;
        Ok(written)
    }

    /// Writes the audit entry of an accepted write and drops the one that falls out of
    /// the kept window.
    fn record(&self, doc_key: &str, entry: &AuditEntry) -> Result<(), ServiceError> {
        let encoded = to_json(entry)?;
        self.store
            .set(&keys::audit(doc_key, entry.version), encoded.as_bytes())
            .map_err(|e| {
                ServiceError::Storage(format!(
                    "the change was saved as version {}, but writing its audit entry failed: {e}",
                    entry.version
                ))
            })?;
        if let Some(old) = entry
            .version
            .checked_sub(keys::AUDIT_KEEP)
            .filter(|v| *v > 0)
        {
            match self.store.delete(&keys::audit(doc_key, old)) {
                Ok(()) => {}
                // The change and its audit entry are saved, so the write succeeded. An
                // entry left behind is never read (reads stop after AUDIT_KEEP versions);
                // it only takes space.
                Err(_left_behind) => {}
            }
        }
        Ok(())
    }

    fn read_audit(
        &self,
        doc_key: &str,
        version: u64,
        limit: u32,
    ) -> Result<Vec<AuditEntry>, ServiceError> {
        let count = u64::from(limit).min(keys::AUDIT_KEEP).min(version);
        let mut entries = Vec::new();
        for v in (version - count + 1..=version).rev() {
            let key = keys::audit(doc_key, v);
            let bytes = self
                .store
                .get(&key)
                .map_err(|e| ServiceError::storage("reading the audit log", &e))?;
            if let Some(bytes) = bytes {
                let entry = serde_json::from_slice(&bytes)
                    .map_err(|e| ServiceError::unreadable(&key, e))?;
                entries.push(entry);
            }
        }
        Ok(entries)
    }

    /// Reads and decodes the document at `key` (no memo).
    fn read(&self, key: &str) -> Result<Option<StoredOverrides>, ServiceError> {
        cas::read(&self.store, key)
            .map_err(|e| ServiceError::storage("reading the settings", &e))?
            .map(|bytes| decode(key, &bytes))
            .transpose()
    }

    /// The deployment document, read at most once.
    fn deployment_doc(&self) -> Result<Rc<Option<StoredOverrides>>, ServiceError> {
        if let Some(doc) = self.deployment.borrow().as_ref() {
            return Ok(Rc::clone(doc));
        }
        let doc = Rc::new(self.read(keys::DEPLOYMENT)?);
        *self.deployment.borrow_mut() = Some(Rc::clone(&doc));
        Ok(doc)
    }

    /// A server's merged settings, resolved at most once.
    fn resolved(&self, guild: GuildId) -> Result<Rc<Resolved>, ServiceError> {
        if let Some(resolved) = self.guilds.borrow().get(&guild) {
            return Ok(Rc::clone(resolved));
        }
        let deployment = self.deployment_doc()?;
        let deployment = deployment.as_ref().as_ref();
        let key = keys::guild(guild);
        let stored = self.read(&key)?;
        let config =
            GuildConfig::resolve(doc_of(deployment), doc_of(stored.as_ref())).map_err(|e| {
                ServiceError::Other(format!(
                    "the stored settings of this server no longer merge into valid settings: {e}"
                ))
            })?;
        let resolved = Rc::new(Resolved {
            stored,
            deployment_version: version_of(deployment),
            config,
            json: OnceCell::new(),
        });
        self.guilds.borrow_mut().insert(guild, Rc::clone(&resolved));
        Ok(resolved)
    }
}

/// What [`Service::write`] saved.
struct Written<T> {
    stored: StoredOverrides,
    entry: AuditEntry,
    extra: T,
}

impl<T> Written<T> {
    fn into_parts(self) -> (StoredOverrides, AuditEntry) {
        (self.stored, self.entry)
    }
}

/// Decodes a stored document, refusing one written with another schema.
fn decode(key: &str, bytes: &[u8]) -> Result<StoredOverrides, ServiceError> {
    let stored: StoredOverrides =
        serde_json::from_slice(bytes).map_err(|e| ServiceError::unreadable(key, e))?;
    if stored.schema != SCHEMA_VERSION {
        return Err(ServiceError::unreadable(
            key,
            ConfigError::UnsupportedSchema {
                found: stored.schema,
                supported: SCHEMA_VERSION,
            },
        ));
    }
    Ok(stored)
}

/// The next version of a server's overrides: [`apply_update`], then the merge with the
/// deployment layer must still be valid (limits across layers). Returns the merged
/// settings too.
fn plan_guild(
    current: Option<&StoredOverrides>,
    expected: u64,
    patch: &Value,
    actor: Actor,
    now: u64,
    deployment: &Value,
) -> Result<(StoredOverrides, AuditEntry, GuildConfig), ServiceError> {
    let (stored, entry) = apply_update(current, expected, patch, actor, now)?;
    let config = GuildConfig::resolve(deployment, &stored.doc)?;
    Ok((stored, entry, config))
}

/// The next version of the deployment-wide overrides: as [`apply_update`] does for a
/// server, but validated as the deployment layer (deployment-only keys allowed).
fn plan_deployment(
    current: Option<&StoredOverrides>,
    expected: u64,
    patch: &Value,
    actor: Actor,
    now: u64,
) -> Result<(StoredOverrides, AuditEntry), ServiceError> {
    let stored_version = version_of(current);
    if stored_version != expected {
        return Err(ConfigError::Conflict {
            expected,
            actual: stored_version,
        }
        .into());
    }
    validate_overrides(patch, Layer::Deployment)?;
    let old = current.map_or_else(|| Value::Object(Map::new()), |s| s.doc.clone());
    let mut doc = merge_patch(&old, patch);
    prune_empty(&mut doc);
    // Validates the layer and the merged result (limits).
    GuildConfig::resolve(&doc, &Value::Null)?;
    let version = stored_version
        .checked_add(1)
        .ok_or_else(|| ServiceError::Other("the document's version cannot grow further".into()))?;
    let entry = AuditEntry {
        at: now,
        actor: actor.clone(),
        version,
        changes: diff(&old, &doc),
    };
    let stored = StoredOverrides {
        schema: SCHEMA_VERSION,
        version,
        updated_at: now,
        updated_by: actor,
        doc,
    };
    Ok((stored, entry))
}

/// Removes objects left empty after their last key was removed: an empty object
/// overrides nothing.
fn prune_empty(value: &mut Value) {
    if let Value::Object(object) = value {
        for child in object.values_mut() {
            prune_empty(child);
        }
        object.retain(|_, child| !matches!(child, Value::Object(o) if o.is_empty()));
    }
}
