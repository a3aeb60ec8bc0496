//! The Configuration Service over a [`CasStore`]: reads merge the three layers,
//! writes are validated and compare-and-set on the document's version (through
//! [`cas::update`], so exactly one of concurrent writers of a version wins, on Spin's
//! SQLite and Redis stores alike), and every accepted write leaves an audit entry. It
//! implements the contract's port, [`contracts::Config`], function for function, on
//! the contract's types; the rules themselves are `guild-config`'s.
//!
//! A server may only choose its own channels: before a write that sets a channel
//! (`guild-config`'s [`channel_settings`] says which keys are channels), Discord is
//! asked which server each new channel belongs to ([`Channels`]); one of another
//! server, of no server, or that the bot cannot see is refused (`invalid`), and when
//! Discord cannot be asked the write is refused too (`unavailable`), changing nothing.
//! The deployment-wide overrides name no server, so they may not set a channel.
//!
//! A [`Service`] lives as long as its component instance, which Spin 4 reuses for many
//! requests (WASIp3): it reads the deployment document and each server's document at
//! most once per cache TTL (`config_cache_ttl_seconds`, [`DEFAULT_CACHE_TTL`]) and
//! keeps the resolved settings, tagged with both documents' versions, until the TTL
//! passes or its own writes replace them. A change made on another replica (or through
//! another component's instance) is seen within the TTL.

use std::cell::{OnceCell, RefCell};
use std::collections::BTreeMap;
use std::rc::Rc;
use std::time::Duration;

use common::cas::{self, CasStore, Change, UpdateError};
use common::status::key_value_round_trip;
use common::{Clock, StoreError};
use contracts::config::{
    Access, AuditEntry, Command, DeploymentSettings, GuildSettings, KalturaSettings, Message,
    MessageKind, Section, SettingKey, SettingLine, UpdateResult,
};
use contracts::{Actor, Error, KalturaRole, Member, ServiceStatus, Snowflake};
use discord_api::id::{ChannelId, GuildId};
use guild_config::{
    apply_update, channel_settings, permission_check, render_readable, reset_all_patch,
    reset_patch, role_for, set_patch_from_str, settable_keys, validate_overrides, ConfigError,
    GuildConfig, KalturaConfig, Layer, StoredAuditEntry, StoredOverrides, Update, SCHEMA_VERSION,
};
use serde_json::{Map, Value};

use crate::channels::{Channels, Owner};
use crate::error::{lost_race, storage, unreadable};
use crate::{input, keys};

/// The service's name in its status.
pub const NAME: &str = "config";

/// What an accepted write (or a dry run of one) reports.
fn update_result(entry: &StoredAuditEntry) -> UpdateResult {
    UpdateResult {
        version: entry.version,
        changed_keys: entry.keys().into_iter().map(str::to_owned).collect(),
    }
}

/// The contract's view of the `kaltura` section.
fn kaltura_settings(kaltura: &KalturaConfig) -> KalturaSettings {
    KalturaSettings {
        join_privileges: kaltura.privileges.join.clone(),
        host_privileges: kaltura.privileges.host.clone(),
        view_privileges: kaltura.privileges.view.clone(),
        player_uiconf_id: kaltura.player_uiconf_id,
        category_ids: kaltura.category_ids.clone(),
    }
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

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

fn to_json(value: &impl serde::Serialize) -> Result<String, Error> {
    serde_json::to_string(value)
        .map_err(|e| Error::other(format!("settings could not be written as JSON: {e}")))
}

fn overrides_json(stored: Option<&StoredOverrides>) -> String {
    stored
        .map_or_else(|| Value::Object(Map::new()), |s| s.doc.clone())
        .to_string()
}

/// How long a read is used before the store is asked again, unless the deployment sets
/// `config_cache_ttl_seconds`.
pub const DEFAULT_CACHE_TTL: Duration = Duration::from_secs(5);

/// Something read (from the store or Discord) and when, by the service's clock.
struct Cached<T> {
    value: T,
    read_at_ms: u64,
}

/// The Configuration Service of one instance. Spin 4 reuses an instance for many
/// requests (WASIp3), so what it read is kept for at most the cache TTL: a change made
/// on any replica is seen within it, and this service's own writes replace what it
/// read at once. A TTL of zero reads the store on every call.
pub struct Service<S, C, D> {
    store: S,
    clock: C,
    /// Which server a channel belongs to (Discord).
    channels: D,
    /// How long a read is used, in milliseconds.
    ttl_ms: u64,
    /// What `channels` said, per channel.
    owners: RefCell<BTreeMap<ChannelId, Cached<Owner>>>,
    /// The deployment document.
    deployment: RefCell<Option<Cached<Rc<Option<StoredOverrides>>>>>,
    /// Each server's resolved settings.
    guilds: RefCell<BTreeMap<GuildId, Cached<Rc<Resolved>>>>,
}

impl<S: CasStore, C: Clock, D: Channels> Service<S, C, D> {
    /// A service over `store`, stamping writes with `clock`, asking `channels` which
    /// server a channel belongs to, keeping reads for [`DEFAULT_CACHE_TTL`].
    pub fn new(store: S, clock: C, channels: D) -> Self {
        Service {
            store,
            clock,
            channels,
            ttl_ms: millis(DEFAULT_CACHE_TTL),
            owners: RefCell::new(BTreeMap::new()),
            deployment: RefCell::new(None),
            guilds: RefCell::new(BTreeMap::new()),
        }
    }

    /// The same service keeping reads for `ttl` (zero: not at all).
    #[must_use]
    pub fn with_cache_ttl(mut self, ttl: Duration) -> Self {
        self.ttl_ms = millis(ttl);
        self
    }

    /// Whether something read at `read_at_ms` may still be used.
    fn fresh(&self, read_at_ms: u64) -> bool {
        self.clock.now_millis().saturating_sub(read_at_ms) < self.ttl_ms
    }

    /// `value`, read now.
    fn cached<T>(&self, value: T) -> Cached<T> {
        Cached {
            value,
            read_at_ms: self.clock.now_millis(),
        }
    }

    /// Keeps `resolved` as `guild`'s settings, dropping entries past their TTL.
    fn keep_guild(&self, guild: GuildId, resolved: Rc<Resolved>) {
        let mut guilds = self.guilds.borrow_mut();
        guilds.retain(|_, entry| self.fresh(entry.read_at_ms));
        guilds.insert(guild, self.cached(resolved));
    }

    /// The write (or, with `dry_run`, only its plan) of `patch` to the server's
    /// overrides.
    fn write_guild(
        &self,
        guild: GuildId,
        patch: &Value,
        expect: Expect,
        actor: &Actor,
        dry_run: bool,
    ) -> Result<UpdateResult, Error> {
        let channels = channel_settings(patch);
        if !channels.is_empty() {
            // A patch the schema refuses is answered as such, before Discord is asked.
            validate_overrides(patch, Layer::Guild)?;
            self.check_channels(guild, &channels)?;
        }
        let deployment = self.deployment_doc()?;
        let deployment_doc = doc_of(deployment.as_ref().as_ref());
        let now = self.clock.now_secs();
        if dry_run {
            // Checked as the write would be, against the settings this instance read.
            let current = self.resolved(guild)?;
            let expected = match expect {
                Expect::Exactly(version) => version,
                Expect::Current => current.version(),
            };
            let plan = plan_guild(
                current.stored.as_ref(),
                expected,
                patch,
                actor.clone(),
                now,
                deployment_doc,
            )?;
            return Ok(match plan {
                Plan::Changed(_, entry, _) => update_result(&entry),
                Plan::Unchanged { version } => unchanged(version),
            });
        }
        let outcome = self.write(&keys::guild(guild), expect, |current, expected| {
            plan_guild(current, expected, patch, actor.clone(), now, deployment_doc)
        })?;
        let written = match outcome {
            Outcome::Written(written) => written,
            Outcome::Unchanged(version) => return Ok(unchanged(version)),
        };
        let result = update_result(&written.entry);
        let resolved = Resolved {
            stored: Some(written.stored),
            deployment_version: version_of(deployment.as_ref().as_ref()),
            config: written.extra,
            json: OnceCell::new(),
        };
        self.keep_guild(guild, Rc::new(resolved));
        Ok(result)
    }

    /// Refuses a channel the server does not own, unless the server's overrides already
    /// hold it there (it was checked when it was set).
    fn check_channels(
        &self,
        guild: GuildId,
        channels: &[(String, ChannelId)],
    ) -> Result<(), Error> {
        let current = self.resolved(guild)?;
        let stored = doc_of(current.stored.as_ref());
        for (path, channel) in channels {
            if stored_channel(stored, path) == Some(*channel) {
                continue;
            }
            let refused =
                |why: &str| Err(Error::invalid(format!("{path}: channel {channel} {why}")));
            match self.owner(*channel)? {
                Owner::Guild(owner) if owner == guild => {}
                Owner::Guild(_) => {
                    return refused(
                        "belongs to another Discord server; choose a channel of this server",
                    )
                }
                Owner::NoGuild => return refused("is not a channel of a Discord server"),
                Owner::Invisible => {
                    return refused(
                        "cannot be seen by the bot: it does not exist, or the bot lacks View Channel there",
                    )
                }
            }
        }
        Ok(())
    }

    /// The owner of `channel`, asked at most once per cache TTL.
    fn owner(&self, channel: ChannelId) -> Result<Owner, Error> {
        if let Some(owner) = self.owners.borrow().get(&channel) {
            if self.fresh(owner.read_at_ms) {
                return Ok(owner.value);
            }
        }
        let owner = self.channels.owner(channel)?;
        let mut owners = self.owners.borrow_mut();
        owners.retain(|_, entry| self.fresh(entry.read_at_ms));
        owners.insert(channel, self.cached(owner));
        Ok(owner)
    }

    /// The read-check-write: [`cas::update`] the document at `key` with what `plan`
    /// builds from it (validation and the version check happen there; after a lost race
    /// they happen again on the newer version, so an exact version is then refused),
    /// then write the audit entry. A plan that changes nothing writes nothing: no
    /// version, no audit entry.
    fn write<T>(
        &self,
        key: &str,
        expect: Expect,
        plan: impl Fn(Option<&StoredOverrides>, u64) -> Result<Plan<T>, Error>,
    ) -> Result<Outcome<T>, Error> {
        let outcome = cas::update(&self.store, key, |bytes| {
            let current = bytes.map(|b| decode(key, b)).transpose()?;
            let expected = match expect {
                Expect::Exactly(version) => version,
                Expect::Current => version_of(current.as_ref()),
            };
            match plan(current.as_ref(), expected)? {
                Plan::Unchanged { version } => Ok((Change::Keep, Outcome::Unchanged(version))),
                Plan::Changed(stored, entry, extra) => {
                    let encoded = to_json(&stored)?;
                    let written = Written {
                        stored,
                        entry,
                        extra,
                    };
                    Ok((
                        Change::Write(encoded.into_bytes()),
                        Outcome::Written(written),
                    ))
                }
            }
        })
        .map_err(|err| match err {
            UpdateError::Refused(err) => err,
            UpdateError::Store(StoreError::Contended) => lost_race(),
            UpdateError::Store(err) => storage("saving the settings", &err),
        })?;
        if let Outcome::Written(written) = &outcome {
            self.record(key, &written.entry)?;
        }
        Ok(outcome)
    }

    /// Writes the audit entry of an accepted write and drops the one that falls out of
    /// the kept window.
    fn record(&self, doc_key: &str, entry: &StoredAuditEntry) -> Result<(), Error> {
        let encoded = to_json(entry)?;
        self.store
            .set(&keys::audit(doc_key, entry.version), encoded.as_bytes())
            .map_err(|e| {
                Error::storage(format!(
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

    /// The most recent audit entries of the document at `doc_key`, now at `version`,
    /// newest first.
    fn read_audit(
        &self,
        doc_key: &str,
        version: u64,
        limit: u32,
    ) -> Result<Vec<AuditEntry>, Error> {
        let count = u64::from(limit).min(keys::AUDIT_KEEP).min(version);
        let mut entries = Vec::new();
        for v in (version - count + 1..=version).rev() {
            let key = keys::audit(doc_key, v);
            let bytes = self
                .store
                .get(&key)
                .map_err(|e| storage("reading the audit log", &e))?;
            if let Some(bytes) = bytes {
                let entry: StoredAuditEntry =
                    serde_json::from_slice(&bytes).map_err(|e| unreadable(&key, e))?;
                entries.push(AuditEntry::from(entry));
            }
        }
        Ok(entries)
    }

    /// Reads and decodes the document at `key` (no memo).
    fn read(&self, key: &str) -> Result<Option<StoredOverrides>, Error> {
        cas::read(&self.store, key)
            .map_err(|e| storage("reading the settings", &e))?
            .map(|bytes| decode(key, &bytes))
            .transpose()
    }

    /// The deployment document, read at most once per cache TTL.
    fn deployment_doc(&self) -> Result<Rc<Option<StoredOverrides>>, Error> {
        if let Some(doc) = self.deployment.borrow().as_ref() {
            if self.fresh(doc.read_at_ms) {
                return Ok(Rc::clone(&doc.value));
            }
        }
        let doc = Rc::new(self.read(keys::DEPLOYMENT)?);
        *self.deployment.borrow_mut() = Some(self.cached(Rc::clone(&doc)));
        Ok(doc)
    }

    /// A server's merged settings, resolved at most once per cache TTL.
    fn resolved(&self, guild: GuildId) -> Result<Rc<Resolved>, Error> {
        if let Some(resolved) = self.guilds.borrow().get(&guild) {
            if self.fresh(resolved.read_at_ms) {
                return Ok(Rc::clone(&resolved.value));
            }
        }
        let deployment = self.deployment_doc()?;
        let deployment = deployment.as_ref().as_ref();
        let key = keys::guild(guild);
        let stored = self.read(&key)?;
        let config =
            GuildConfig::resolve(doc_of(deployment), doc_of(stored.as_ref())).map_err(|e| {
                Error::other(format!(
                    "the stored settings of this server no longer merge into valid settings: {e}"
                ))
            })?;
        let resolved = Rc::new(Resolved {
            stored,
            deployment_version: version_of(deployment),
            config,
            json: OnceCell::new(),
        });
        self.keep_guild(guild, Rc::clone(&resolved));
        Ok(resolved)
    }

    /// The settings of the server `guild_id` names.
    fn settings_of(&self, guild_id: Snowflake) -> Result<Rc<Resolved>, Error> {
        self.resolved(input::guild(guild_id)?)
    }
}

/// The contract, function for function (docs and error cases in
/// `wit/deps/config/config.wit`).
impl<S: CasStore, C: Clock, D: Channels> contracts::Config for Service<S, C, D> {
    fn status(&self) -> ServiceStatus {
        ServiceStatus {
            name: NAME.to_owned(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
            // Its defaults are compiled in: this service needs no setting.
            missing_settings: Vec::new(),
            key_value_ok: key_value_round_trip(&self.store, keys::READY_PROBE),
        }
    }

    fn get(&self, guild_id: Snowflake) -> Result<GuildSettings, Error> {
        let resolved = self.settings_of(guild_id)?;
        let document_json = match resolved.json.get() {
            Some(json) => json.clone(),
            None => {
                let json = to_json(&resolved.config)?;
                resolved.json.get_or_init(|| json).clone()
            }
        };
        Ok(GuildSettings {
            version: resolved.version(),
            deployment_version: resolved.deployment_version,
            features: resolved.config.features,
            kaltura: kaltura_settings(&resolved.config.kaltura),
            document_json,
            overrides_json: overrides_json(resolved.stored.as_ref()),
        })
    }

    fn check_permission(&self, command: Command, member: &Member) -> Result<Access, Error> {
        let member = input::member(member)?;
        let resolved = self.resolved(member.guild)?;
        Ok(permission_check(
            &resolved.config,
            command,
            &member.roles,
            member.permissions,
        ))
    }

    fn role_for(&self, member: &Member) -> Result<KalturaRole, Error> {
        let member = input::member(member)?;
        let resolved = self.resolved(member.guild)?;
        Ok(role_for(
            &resolved.config,
            member.user,
            &member.roles,
            member.permissions,
        ))
    }

    fn render_message(
        &self,
        guild_id: Snowflake,
        kind: MessageKind,
        values: &[(String, String)],
    ) -> Result<Option<Message>, Error> {
        Ok(self.settings_of(guild_id)?.config.message(kind, values))
    }

    fn render_section(
        &self,
        guild_id: Snowflake,
        section: Section,
    ) -> Result<Vec<SettingLine>, Error> {
        Ok(render_readable(
            &self.settings_of(guild_id)?.config,
            section,
        ))
    }

    fn settable_keys(&self) -> Vec<SettingKey> {
        settable_keys(Layer::Guild)
    }

    fn update(
        &self,
        guild_id: Snowflake,
        patch_json: &str,
        expected_version: u64,
        actor: &Actor,
    ) -> Result<UpdateResult, Error> {
        let guild = input::guild(guild_id)?;
        input::actor(actor)?;
        let patch = input::patch(patch_json)?;
        self.write_guild(
            guild,
            &patch,
            Expect::Exactly(expected_version),
            actor,
            false,
        )
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
        let guild = input::guild(guild_id)?;
        input::actor(actor)?;
        let patch = set_patch_from_str(key, value_text)?;
        let expect = expected_version.map_or(Expect::Current, Expect::Exactly);
        self.write_guild(guild, &patch, expect, actor, dry_run)
    }

    fn reset(
        &self,
        guild_id: Snowflake,
        section: Option<Section>,
        actor: &Actor,
    ) -> Result<UpdateResult, Error> {
        let guild = input::guild(guild_id)?;
        input::actor(actor)?;
        let patch = section.map_or_else(reset_all_patch, reset_patch);
        self.write_guild(guild, &patch, Expect::Current, actor, false)
    }

    fn audit_log(&self, guild_id: Snowflake, limit: u32) -> Result<Vec<AuditEntry>, Error> {
        let key = keys::guild(input::guild(guild_id)?);
        let version = version_of(self.read(&key)?.as_ref());
        self.read_audit(&key, version, limit)
    }

    fn get_deployment(&self) -> Result<DeploymentSettings, Error> {
        let stored = self.deployment_doc()?;
        let stored = stored.as_ref().as_ref();
        Ok(DeploymentSettings {
            version: version_of(stored),
            overrides_json: overrides_json(stored),
        })
    }

    fn update_deployment(
        &self,
        patch_json: &str,
        expected_version: u64,
        actor: &Actor,
    ) -> Result<UpdateResult, Error> {
        input::actor(actor)?;
        let patch = input::patch(patch_json)?;
        if let Some((path, _)) = channel_settings(&patch).first() {
            return Err(Error::invalid(format!(
                "{path}: channels are chosen by each server (a channel belongs to one server); set it in that server's settings"
            )));
        }
        let now = self.clock.now_secs();
        let outcome = self.write(
            keys::DEPLOYMENT,
            Expect::Exactly(expected_version),
            |current, expected| plan_deployment(current, expected, &patch, actor.clone(), now),
        )?;
        let written = match outcome {
            Outcome::Written(written) => written,
            Outcome::Unchanged(version) => return Ok(unchanged(version)),
        };
        *self.deployment.borrow_mut() = Some(self.cached(Rc::new(Some(written.stored))));
        // Every server's merged settings depend on the deployment document.
        self.guilds.borrow_mut().clear();
        Ok(update_result(&written.entry))
    }

    fn deployment_audit_log(&self, limit: u32) -> Result<Vec<AuditEntry>, Error> {
        let version = version_of(self.read(keys::DEPLOYMENT)?.as_ref());
        self.read_audit(keys::DEPLOYMENT, version, limit)
    }
}

/// What a write is to do, as planned from the stored document.
enum Plan<T> {
    /// Store the next version with its audit entry (and keep `T`, what the plan also
    /// worked out).
    Changed(StoredOverrides, StoredAuditEntry, T),
    /// Nothing changes: write nothing; the document stays at `version`.
    Unchanged {
        /// The stored version.
        version: u64,
    },
}

impl<T> Plan<T> {
    /// The plan of [`apply_update`]'s decision, `extra` worked out for a change.
    fn of(
        update: Update,
        extra: impl FnOnce(&StoredOverrides) -> Result<T, Error>,
    ) -> Result<Self, Error> {
        match update {
            Update::Unchanged { version } => Ok(Self::Unchanged { version }),
            Update::Changed(stored, entry) => {
                let extra = extra(&stored)?;
                Ok(Self::Changed(stored, entry, extra))
            }
        }
    }
}

/// The channel the override document `doc` holds at the dotted `path`, if any.
fn stored_channel(doc: &Value, path: &str) -> Option<ChannelId> {
    path.split('.')
        .try_fold(doc, |value, key| value.get(key))?
        .as_str()?
        .parse()
        .ok()
}

/// What [`Service::write`] saved.
struct Written<T> {
    stored: StoredOverrides,
    entry: StoredAuditEntry,
    extra: T,
}

/// What [`Service::write`] did.
enum Outcome<T> {
    /// Saved a new version.
    Written(Written<T>),
    /// Saved nothing: the write changed nothing; the document is at this version.
    Unchanged(u64),
}

/// The answer to a write that changed nothing: the current version, no keys.
fn unchanged(version: u64) -> UpdateResult {
    UpdateResult {
        version,
        changed_keys: Vec::new(),
    }
}

/// Decodes a stored document, refusing one written with another schema.
fn decode(key: &str, bytes: &[u8]) -> Result<StoredOverrides, Error> {
    let stored: StoredOverrides = serde_json::from_slice(bytes).map_err(|e| unreadable(key, e))?;
    if stored.schema != SCHEMA_VERSION {
        return Err(unreadable(
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
) -> Result<Plan<GuildConfig>, Error> {
    let update = apply_update(Layer::Guild, current, expected, patch, actor, now)?;
    Plan::of(update, |stored| {
        GuildConfig::resolve(deployment, &stored.doc).map_err(Error::from)
    })
}

/// The next version of the deployment-wide overrides: [`apply_update`] on the
/// deployment layer (deployment-only keys allowed), then the merge onto the defaults
/// must be valid (limits).
fn plan_deployment(
    current: Option<&StoredOverrides>,
    expected: u64,
    patch: &Value,
    actor: Actor,
    now: u64,
) -> Result<Plan<()>, Error> {
    let update = apply_update(Layer::Deployment, current, expected, patch, actor, now)?;
    Plan::of(update, |stored| {
        GuildConfig::resolve(&stored.doc, &Value::Null)
            .map(|_| ())
            .map_err(Error::from)
    })
}
