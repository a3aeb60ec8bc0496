//! Changing a server's overrides: building merge patches (set a key, unset it, reset
//! a section or everything), applying them to the versioned stored document with a
//! compare-and-set check, and the audit entry each write produces.
//!
//! Everything here is a pure function: a rejected write returns an error and the
//! caller's document stays as it was.

use std::collections::BTreeSet;

use contracts::config::{AuditEntry, Change, Section};
use contracts::Actor;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::{ConfigError, Rule};
use crate::layers::{merge_patch, prune_empty};
use crate::schema::{nest, parse_typed, resolve, settings_below, validate_overrides, Kind, Layer};

/// The schema number written into [`StoredOverrides::schema`] by this build.
pub const SCHEMA_VERSION: u32 = 1;

/// What an audit entry records instead of the value of a secret-looking key.
pub const REDACTED: &str = "[redacted]";

/// A merge patch that sets the key at dotted `path` to a JSON `value` (the API's
/// form). Setting an object merges into what is there (merge-patch semantics);
/// `null` removes the override (as [`unset_patch`]).
///
/// # Errors
/// [`ConfigError::Invalid`] if the path is not in the schema or the value breaks a rule.
pub fn set_patch(path: &str, value: Value) -> Result<Value, ConfigError> {
    let resolved = resolve(path)?;
    let patch = nest(&resolved.segments, value);
    validate_overrides(&patch, Layer::Deployment)?;
    Ok(patch)
}

/// A merge patch that sets the single setting at dotted `path` from text typed by a
/// person (a Discord slash-command option), read by the setting's kind:
/// booleans as `true/false/on/off/yes/no`; roles case-insensitively; Discord IDs bare
/// or as mentions (`<@&id>`, `<#id>`, `<@id>`); lists comma- or space-separated;
/// permission bits as a number or names (`MANAGE_GUILD|MANAGE_EVENTS`); `\n` in a
/// template as a line break; `none` for an optional value or an empty list, and to
/// remove a role mapping or user override.
///
/// # Errors
/// [`ConfigError::Invalid`] if the path is unknown, names a group of settings
/// ([`Rule::NotASetting`]), or the text cannot be read or breaks a rule.
pub fn set_patch_from_str(path: &str, raw: &str) -> Result<Value, ConfigError> {
    let resolved = resolve(path)?;
    if matches!(resolved.kind, Kind::Section(_) | Kind::Map { .. }) {
        return Err(ConfigError::invalid(
            path,
            Rule::NotASetting {
                below: settings_below(resolved.kind, path),
            },
        ));
    }
    let value = parse_typed(resolved.kind, raw)
        .map_err(|rule| ConfigError::invalid(path, rule))?
        .unwrap_or(Value::Null);
    let patch = nest(&resolved.segments, value);
    validate_overrides(&patch, Layer::Deployment)?;
    Ok(patch)
}

/// A merge patch that removes the override at dotted `path`, so the value below
/// (deployment-wide, or the compiled default) applies again.
///
/// # Errors
/// [`ConfigError::Invalid`] if the path is not in the schema.
pub fn unset_patch(path: &str) -> Result<Value, ConfigError> {
    let resolved = resolve(path)?;
    Ok(nest(&resolved.segments, Value::Null))
}

/// A merge patch that removes every override of one section.
pub fn reset_patch(section: Section) -> Value {
    let mut patch = Map::new();
    patch.insert(section.as_str().to_string(), Value::Null);
    Value::Object(patch)
}

/// A merge patch that removes every override of every section.
pub fn reset_all_patch() -> Value {
    Value::Object(
        Section::ALL
            .iter()
            .map(|s| (s.as_str().to_string(), Value::Null))
            .collect(),
    )
}

/// Checks an actor before it is recorded: well formed as the contract defines it
/// ([`Actor::is_well_formed`]: a Discord user by a non-zero ID; an API key by its ID,
/// never the key, of 1 to 64 letters, digits, `_`, `-`, `.` or `:`).
///
/// # Errors
/// [`ConfigError::Invalid`] at path `actor`.
pub fn check_actor(actor: &Actor) -> Result<(), ConfigError> {
    match actor {
        _ if actor.is_well_formed() => Ok(()),
        Actor::DiscordUser(_) => Err(ConfigError::invalid("actor", Rule::NotASnowflake)),
        Actor::ApiKey(_) => Err(ConfigError::invalid(
            "actor",
            Rule::WrongType {
                expected: "an API key ID of 1 to 64 letters, digits, `_`, `-`, `.` or `:`",
            },
        )),
    }
}

/// An [`Actor`] as stored documents have always recorded it: `{"discord_user":"<id>"}`
/// (the ID as a decimal string, read by `discord-api`'s rule) or `{"api_key":"<key id>"}`
/// (checked by [`check_actor`]).
mod stored_actor {
    use contracts::Actor;
    use discord_api::id::UserId;
    use serde::{de, ser, Deserialize, Deserializer, Serialize, Serializer};

    /// The stored encoding only; the value is the contract's [`Actor`].
    #[derive(Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    enum Encoded<'a> {
        DiscordUser(UserId),
        ApiKey(std::borrow::Cow<'a, str>),
    }

    pub(super) fn serialize<S: Serializer>(
        actor: &Actor,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        let encoded = match actor {
            Actor::DiscordUser(id) => Encoded::DiscordUser(
                UserId::new(*id).ok_or_else(|| ser::Error::custom("a Discord user ID of 0"))?,
            ),
            Actor::ApiKey(id) => Encoded::ApiKey(id.into()),
        };
        encoded.serialize(serializer)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Actor, D::Error> {
        let actor = match Encoded::deserialize(deserializer)? {
            Encoded::DiscordUser(id) => Actor::DiscordUser(id.get()),
            Encoded::ApiKey(id) => Actor::ApiKey(id.into_owned()),
        };
        super::check_actor(&actor).map_err(de::Error::custom)?;
        Ok(actor)
    }
}

/// One server's overrides as stored (under `config/v1/guild/<guild-id>`): the sparse
/// override document with its version for compare-and-set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredOverrides {
    /// The document's schema number, [`SCHEMA_VERSION`] when written by this build.
    pub schema: u32,
    /// Increases by one with every write; 0 means "never written".
    pub version: u64,
    /// When it was last written, in Unix seconds.
    pub updated_at: u64,
    /// Who wrote it last.
    #[serde(with = "stored_actor")]
    pub updated_by: Actor,
    /// The sparse override document (only changed keys; no `null`s, no empty objects).
    pub doc: Value,
}

/// One changed key in a [`StoredAuditEntry`]: the stored form of the contract's
/// [`Change`], whose values are JSON text where these are JSON values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredChange {
    /// The dotted key path.
    pub path: String,
    /// The override before; `None` if there was none. [`REDACTED`] for secrets.
    pub old: Option<Value>,
    /// The override after; `None` if it was removed. [`REDACTED`] for secrets.
    pub new: Option<Value>,
}

/// The record of one accepted write as stored (under `…/audit/<version>`); served as
/// the contract's [`AuditEntry`] (`From`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredAuditEntry {
    /// When, in Unix seconds.
    pub at: u64,
    /// Who.
    #[serde(with = "stored_actor")]
    pub actor: Actor,
    /// The document version the write produced.
    pub version: u64,
    /// Which keys changed, old and new override values, one entry per changed leaf.
    pub changes: Vec<StoredChange>,
}

impl StoredAuditEntry {
    /// The changed key paths.
    pub fn keys(&self) -> Vec<&str> {
        self.changes.iter().map(|c| c.path.as_str()).collect()
    }
}

impl From<StoredAuditEntry> for AuditEntry {
    /// The contract's entry: values as JSON text.
    fn from(entry: StoredAuditEntry) -> Self {
        let json = |value: Option<Value>| value.map(|v| v.to_string());
        AuditEntry {
            at: entry.at,
            actor: entry.actor,
            version: entry.version,
            changes: entry
                .changes
                .into_iter()
                .map(|c| Change {
                    key: c.path,
                    old_value: json(c.old),
                    new_value: json(c.new),
                })
                .collect(),
        }
    }
}

/// What [`apply_update`] decided for a write.
#[derive(Debug, Clone, PartialEq)]
pub enum Update {
    /// The next version of the document and its audit entry, to be stored together.
    Changed(StoredOverrides, StoredAuditEntry),
    /// The patch changes nothing: nothing is to be stored, no version is made and no
    /// audit entry written; the document stays at `version` (0 when nothing is stored).
    Unchanged {
        /// The stored version, which stays current.
        version: u64,
    },
}

impl Update {
    /// The new document and its audit entry; `None` when nothing changes.
    pub fn changed(self) -> Option<(StoredOverrides, StoredAuditEntry)> {
        match self {
            Self::Changed(stored, entry) => Some((stored, entry)),
            Self::Unchanged { .. } => None,
        }
    }
}

/// Applies a merge `patch` to the stored overrides of `layer` (a server's, or the
/// deployment-wide ones), if `expected_version` is the stored version (0 when nothing
/// is stored): the compare-and-set check. The storage makes the read-compare-write
/// atomic; this decides. Returns the new document (version + 1, stamped with `actor`
/// and `now`, Unix seconds) and its audit entry, or [`Update::Unchanged`] when the
/// result is the document already stored: a write that changes nothing makes no
/// version and no audit entry (it is still checked: schema, version, rules).
///
/// The patch is validated as a document of `layer` (known keys, types, rules; on a
/// server's, no deployment-only keys), then the result (limits of the layer; the
/// caller checks the layers merged, [`crate::GuildConfig::resolve`]). `current` is
/// never changed.
///
/// # Errors
/// [`ConfigError::UnsupportedSchema`] if `current` was written with another schema;
/// [`ConfigError::Conflict`] if `expected_version` is stale;
/// [`ConfigError::Invalid`] if the patch or its result breaks a rule.
pub fn apply_update(
    layer: Layer,
    current: Option<&StoredOverrides>,
    expected_version: u64,
    patch: &Value,
    actor: Actor,
    now: u64,
) -> Result<Update, ConfigError> {
    let empty = Value::Object(Map::new());
    let (stored_version, old_doc) = match current {
        Some(stored) if stored.schema != SCHEMA_VERSION => {
            return Err(ConfigError::UnsupportedSchema {
                found: stored.schema,
                supported: SCHEMA_VERSION,
            })
        }
        Some(stored) => (stored.version, &stored.doc),
        None => (0, &empty),
    };
    let conflict = ConfigError::Conflict {
        expected: expected_version,
        actual: stored_version,
    };
    if stored_version != expected_version {
        return Err(conflict);
    }
    validate_overrides(patch, layer)?;
    let mut new_doc = merge_patch(old_doc, patch);
    prune_empty(&mut new_doc);
    validate_overrides(&new_doc, layer)?;
    if new_doc == *old_doc {
        return Ok(Update::Unchanged {
            version: stored_version,
        });
    }
    let version = stored_version.checked_add(1).ok_or(conflict)?;
    let entry = StoredAuditEntry {
        at: now,
        actor: actor.clone(),
        version,
        changes: diff(old_doc, &new_doc),
    };
    let stored = StoredOverrides {
        schema: SCHEMA_VERSION,
        version,
        updated_at: now,
        updated_by: actor,
        doc: new_doc,
    };
    Ok(Update::Changed(stored, entry))
}

/// The changed leaves between two override documents, in key order, with the values
/// of keys whose path mentions `secret` or `token` (any case) replaced by [`REDACTED`].
pub fn diff(old: &Value, new: &Value) -> Vec<StoredChange> {
    let mut out = Vec::new();
    walk("", Some(old), Some(new), &mut out);
    out
}

fn walk(path: &str, old: Option<&Value>, new: Option<&Value>, out: &mut Vec<StoredChange>) {
    let old_object = old.and_then(Value::as_object);
    let new_object = new.and_then(Value::as_object);
    if old_object.is_none() && new_object.is_none() {
        if old != new {
            out.push(change(path, old, new));
        }
        return;
    }
    // A leaf replaced by an object (or the reverse): record the leaf side, then the
    // object's leaves against nothing.
    let old_leaf = old.filter(|_| old_object.is_none());
    let new_leaf = new.filter(|_| new_object.is_none());
    if old_leaf.is_some() || new_leaf.is_some() {
        out.push(change(path, old_leaf, new_leaf));
    }
    let keys: BTreeSet<&String> = old_object
        .into_iter()
        .chain(new_object)
        .flat_map(|o| o.keys())
        .collect();
    for key in keys {
        walk(
            &crate::schema::join(path, key),
            old_object.and_then(|o| o.get(key)),
            new_object.and_then(|o| o.get(key)),
            out,
        );
    }
}

fn change(path: &str, old: Option<&Value>, new: Option<&Value>) -> StoredChange {
    let lower = path.to_ascii_lowercase();
    let secret = lower.contains("secret") || lower.contains("token");
    let record = |v: Option<&Value>| {
        v.map(|v| {
            if secret {
                Value::String(REDACTED.to_string())
            } else {
                v.clone()
            }
        })
    };
    StoredChange {
        path: path.to_string(),
        old: record(old),
        new: record(new),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::layers::merge;
    use crate::model::defaults_json;
    use contracts::KalturaRole;
    use discord_api::id::RoleId;
    use serde_json::json;

    const ROLE: &str = "123456789012345678";
    const USER: &str = "987654321098765432";
    const NOW: u64 = 1_700_000_000;

    fn admin() -> Actor {
        Actor::DiscordUser(USER.parse().unwrap())
    }

    fn write(
        current: Option<&StoredOverrides>,
        patch: &Value,
    ) -> (StoredOverrides, StoredAuditEntry) {
        let version = current.map_or(0, |c| c.version);
        apply_update(Layer::Guild, current, version, patch, admin(), NOW)
            .unwrap()
            .changed()
            .unwrap()
    }

    #[test]
    fn setting_a_role_mapping_by_path_builds_a_sparse_patch() {
        let patch = set_patch_from_str(&format!("roles.mapping.{ROLE}"), "moderator").unwrap();
        assert_eq!(patch, json!({"roles": {"mapping": {ROLE: "moderator"}}}));
    }

    #[test]
    fn setting_a_json_value_by_path_is_validated() {
        let patch = set_patch("features.activity", json!(true)).unwrap();
        assert_eq!(patch, json!({"features": {"activity": true}}));
        let err = set_patch("features.activity", json!("true")).unwrap_err();
        assert!(matches!(err, ConfigError::Invalid { path, .. } if path == "features.activity"));
        let err = set_patch(
            "notifications.events.meeting_end.template",
            json!("{{url}}"),
        )
        .unwrap_err();
        assert!(matches!(
            err,
            ConfigError::Invalid { path, rule: Rule::UnknownVariable { .. } }
                if path == "notifications.events.meeting_end.template"
        ));
    }

    #[test]
    fn setting_a_whole_section_from_json_is_allowed() {
        let patch =
            set_patch("features", json!({"activity": true, "embed_player": false})).unwrap();
        assert_eq!(
            patch,
            json!({"features": {"activity": true, "embed_player": false}})
        );
    }

    #[test]
    fn setting_a_group_from_text_is_refused_with_the_settings_below_it() {
        let err = set_patch_from_str("features", "on").unwrap_err();
        let ConfigError::Invalid {
            path,
            rule: Rule::NotASetting { below },
        } = err
        else {
            panic!("expected NotASetting, got {err:?}");
        };
        assert_eq!(path, "features");
        assert_eq!(
            below,
            [
                "features.activity",
                "features.embed_player",
                "features.recording_notices"
            ]
        );
        let err = set_patch_from_str("roles.mapping", "admin").unwrap_err();
        assert!(matches!(
            err,
            ConfigError::Invalid {
                rule: Rule::NotASetting { .. },
                ..
            }
        ));
    }

    #[test]
    fn setting_an_unknown_path_names_it() {
        let err =
            set_patch_from_str("notifications.events.meeting_stop.enabled", "on").unwrap_err();
        assert!(matches!(
            err,
            ConfigError::Invalid { path, rule: Rule::UnknownKey { .. } } if path == "notifications.events.meeting_stop"
        ));
    }

    #[test]
    fn unreadable_text_is_rejected_with_the_settings_path() {
        let err = set_patch_from_str("notifications.events.meeting_start.channel_id", "#general")
            .unwrap_err();
        assert_eq!(
            err,
            ConfigError::invalid(
                "notifications.events.meeting_start.channel_id",
                Rule::NotASnowflake
            )
        );
        let err = set_patch_from_str("roles.default_role", "owner").unwrap_err();
        assert_eq!(
            err,
            ConfigError::invalid("roles.default_role", Rule::UnknownRole)
        );
    }

    #[test]
    fn none_for_an_optional_setting_removes_its_override() {
        let patch = set_patch_from_str("kaltura.player_uiconf_id", "none").unwrap();
        assert_eq!(patch, json!({"kaltura": {"player_uiconf_id": null}}));
        assert_eq!(unset_patch("kaltura.player_uiconf_id").unwrap(), patch);
    }

    #[test]
    fn the_first_write_starts_at_version_one() {
        let patch = set_patch_from_str("features.activity", "on").unwrap();
        let (stored, entry) = apply_update(Layer::Guild, None, 0, &patch, admin(), NOW)
            .unwrap()
            .changed()
            .unwrap();
        assert_eq!(stored.version, 1);
        assert_eq!(stored.schema, SCHEMA_VERSION);
        assert_eq!(stored.updated_at, NOW);
        assert_eq!(stored.updated_by, admin());
        assert_eq!(stored.doc, json!({"features": {"activity": true}}));
        assert_eq!(entry.version, 1);
    }

    #[test]
    fn a_write_that_changes_nothing_makes_no_version_and_no_audit_entry() {
        let noop = |current: Option<&StoredOverrides>, patch: Value| {
            let version = current.map_or(0, |c| c.version);
            apply_update(Layer::Guild, current, version, &patch, admin(), NOW + 9).unwrap()
        };
        // Nothing stored: an empty patch, an empty section, a reset, removing nothing.
        for patch in [
            json!({}),
            json!({"roles": {}}),
            reset_all_patch(),
            json!({"features": {"activity": null}}),
        ] {
            assert_eq!(
                noop(None, patch.clone()),
                Update::Unchanged { version: 0 },
                "{patch}"
            );
        }
        let (v1, _) = write(None, &json!({"features": {"activity": true}}));
        for patch in [
            json!({"features": {"activity": true}}),
            reset_patch(Section::Roles),
            json!({}),
        ] {
            assert_eq!(
                noop(Some(&v1), patch.clone()),
                Update::Unchanged { version: 1 },
                "{patch}"
            );
        }
        // Still checked as a write: a stale version or a broken rule is refused.
        assert!(matches!(
            apply_update(Layer::Guild, Some(&v1), 0, &json!({}), admin(), NOW),
            Err(ConfigError::Conflict { .. })
        ));
        assert!(matches!(
            apply_update(Layer::Guild, None, 0, &json!({"bogus": null}), admin(), NOW),
            Err(ConfigError::Invalid { .. })
        ));
        // A change is still a change.
        let changed = noop(Some(&v1), reset_patch(Section::Features));
        assert!(matches!(changed, Update::Changed(ref stored, _) if stored.version == 2));
    }

    #[test]
    fn a_stale_expected_version_is_refused_with_a_conflict() {
        let (v1, _) = write(None, &json!({"features": {"activity": true}}));
        let (v2, _) = write(Some(&v1), &json!({"features": {"activity": false}}));
        let err = apply_update(
            Layer::Guild,
            Some(&v2),
            1,
            &json!({"features": {"embed_player": false}}),
            admin(),
            NOW,
        )
        .unwrap_err();
        assert_eq!(
            err,
            ConfigError::Conflict {
                expected: 1,
                actual: 2
            }
        );
    }

    #[test]
    fn writing_over_nothing_with_a_nonzero_version_is_a_conflict() {
        let err = apply_update(Layer::Guild, None, 3, &json!({}), admin(), NOW).unwrap_err();
        assert_eq!(
            err,
            ConfigError::Conflict {
                expected: 3,
                actual: 0
            }
        );
    }

    #[test]
    fn a_rejected_write_leaves_the_stored_document_unchanged() {
        let (v1, _) = write(None, &json!({"roles": {"mapping": {ROLE: "admin"}}}));
        let before = v1.clone();
        let bad = json!({"roles": {"mapping": {ROLE: "moderator", "oops": "viewer"}}});
        let err = apply_update(Layer::Guild, Some(&v1), 1, &bad, admin(), NOW + 5).unwrap_err();
        assert_eq!(
            err,
            ConfigError::invalid("roles.mapping.oops", Rule::NotASnowflake)
        );
        assert_eq!(v1, before);
    }

    #[test]
    fn a_server_cannot_write_a_deployment_only_key() {
        let patch = set_patch("kaltura.privileges.join", json!("disableentitlement")).unwrap();
        let err = apply_update(Layer::Guild, None, 0, &patch, admin(), NOW).unwrap_err();
        assert_eq!(
            err,
            ConfigError::invalid("kaltura.privileges.join", Rule::DeploymentOnly)
        );
    }

    #[test]
    fn the_deployment_layer_may_write_its_own_keys() {
        let patch = json!({"kaltura": {"privileges": {"join": "disableentitlement"}}});
        let (stored, entry) = apply_update(Layer::Deployment, None, 0, &patch, admin(), NOW)
            .unwrap()
            .changed()
            .unwrap();
        assert_eq!(stored.doc, patch);
        assert_eq!(entry.keys(), ["kaltura.privileges.join"]);
        let bad = json!({"kaltura": {"privileges": {"join": "a;b"}}});
        let err = apply_update(Layer::Deployment, None, 0, &bad, admin(), NOW).unwrap_err();
        assert!(
            matches!(err, ConfigError::Invalid { path, .. } if path == "kaltura.privileges.join")
        );
    }

    #[test]
    fn the_patch_must_be_an_object() {
        let err = apply_update(Layer::Guild, None, 0, &json!([]), admin(), NOW).unwrap_err();
        assert!(matches!(err, ConfigError::Invalid { path, .. } if path.is_empty()));
    }

    #[test]
    fn a_document_from_another_schema_is_not_overwritten() {
        let (mut stored, _) = write(None, &json!({"features": {"activity": true}}));
        stored.schema = 2;
        let err =
            apply_update(Layer::Guild, Some(&stored), 1, &json!({}), admin(), NOW).unwrap_err();
        assert_eq!(
            err,
            ConfigError::UnsupportedSchema {
                found: 2,
                supported: 1
            }
        );
    }

    #[test]
    fn limits_are_checked_on_the_result_of_a_patch() {
        let mapping = |from: u64, n: u64| -> Value {
            (from..from + n)
                .map(|i| (i.to_string(), json!("viewer")))
                .collect::<Map<_, _>>()
                .into()
        };
        let (v1, _) = write(
            None,
            &json!({"roles": {"mapping": mapping(100_000_000_000_000_000, 90)}}),
        );
        let err = apply_update(
            Layer::Guild,
            Some(&v1),
            1,
            &json!({"roles": {"mapping": mapping(200_000_000_000_000_000, 11)}}),
            admin(),
            NOW,
        )
        .unwrap_err();
        assert_eq!(
            err,
            ConfigError::invalid(
                "roles.mapping",
                Rule::TooMany {
                    max: 100,
                    actual: 101
                }
            )
        );
    }

    #[test]
    fn resetting_a_section_removes_only_that_sections_overrides() {
        let (v1, _) = write(
            None,
            &json!({"features": {"activity": true}, "roles": {"default_role": "moderator"}}),
        );
        let (v2, entry) = write(Some(&v1), &reset_patch(Section::Features));
        assert_eq!(v2.doc, json!({"roles": {"default_role": "moderator"}}));
        assert_eq!(entry.keys(), ["features.activity"]);
        let config = merge(&defaults_json(), &json!({}), &v2.doc).unwrap();
        assert!(!config.features.activity);
        assert_eq!(config.roles.default_role, KalturaRole::Moderator);
    }

    #[test]
    fn resetting_everything_leaves_an_empty_document() {
        let (v1, _) = write(
            None,
            &json!({"features": {"activity": true}, "kaltura": {"category_ids": [7]}}),
        );
        let (v2, entry) = write(Some(&v1), &reset_all_patch());
        assert_eq!(v2.doc, json!({}));
        assert_eq!(v2.version, 2);
        assert_eq!(entry.keys(), ["features.activity", "kaltura.category_ids"]);
    }

    #[test]
    fn removing_the_last_key_prunes_the_empty_objects_around_it() {
        let (v1, _) = write(None, &json!({"roles": {"mapping": {ROLE: "admin"}}}));
        let (v2, _) = write(
            Some(&v1),
            &unset_patch(&format!("roles.mapping.{ROLE}")).unwrap(),
        );
        assert_eq!(v2.doc, json!({}));
    }

    #[test]
    fn the_audit_entry_records_who_when_which_keys_and_old_and_new_values() {
        let (v1, _) = write(None, &json!({"roles": {"mapping": {ROLE: "viewer"}}}));
        let patch = json!({
            "roles": {"mapping": {ROLE: "admin"}},
            "notifications": {"events": {"meeting_start": {"channel_id": USER}}}
        });
        let (v2, entry) = apply_update(Layer::Guild, Some(&v1), 1, &patch, admin(), NOW + 60)
            .unwrap()
            .changed()
            .unwrap();
        assert_eq!(entry.at, NOW + 60);
        assert_eq!(entry.actor, admin());
        assert_eq!(entry.version, v2.version);
        assert_eq!(
            entry.changes,
            [
                StoredChange {
                    path: "notifications.events.meeting_start.channel_id".into(),
                    old: None,
                    new: Some(json!(USER)),
                },
                StoredChange {
                    path: format!("roles.mapping.{ROLE}"),
                    old: Some(json!("viewer")),
                    new: Some(json!("admin")),
                },
            ]
        );
    }

    #[test]
    fn secret_and_token_keys_are_redacted_in_the_audit() {
        let old = json!({"discord": {"bot_token": "abc", "Client_Secret": "s1", "name": "x"}});
        let new = json!({"discord": {"bot_token": "def", "name": "y"}, "admin_secret": {"v": 1}});
        let changes = diff(&old, &new);
        let redacted = Some(json!(REDACTED));
        assert_eq!(
            changes,
            [
                StoredChange {
                    path: "admin_secret.v".into(),
                    old: None,
                    new: redacted.clone()
                },
                StoredChange {
                    path: "discord.Client_Secret".into(),
                    old: redacted.clone(),
                    new: None
                },
                StoredChange {
                    path: "discord.bot_token".into(),
                    old: redacted.clone(),
                    new: redacted
                },
                StoredChange {
                    path: "discord.name".into(),
                    old: Some(json!("x")),
                    new: Some(json!("y"))
                },
            ]
        );
        let text = serde_json::to_string(&changes).unwrap();
        assert!(!text.contains("abc") && !text.contains("def") && !text.contains("s1"));
    }

    #[test]
    fn a_leaf_replaced_by_an_object_is_recorded_on_both_sides() {
        let changes = diff(&json!({"a": 1}), &json!({"a": {"b": 2}}));
        assert_eq!(
            changes,
            [
                StoredChange {
                    path: "a".into(),
                    old: Some(json!(1)),
                    new: None
                },
                StoredChange {
                    path: "a.b".into(),
                    old: None,
                    new: Some(json!(2))
                },
            ]
        );
    }

    fn stored_by(actor: Actor) -> Value {
        let patch = json!({"features": {"activity": true}});
        let (stored, _) = apply_update(Layer::Guild, None, 0, &patch, actor, NOW)
            .unwrap()
            .changed()
            .unwrap();
        serde_json::to_value(stored).unwrap()["updated_by"].clone()
    }

    fn read_actor(updated_by: Value) -> Result<Actor, serde_json::Error> {
        let (stored, _) = write(None, &json!({"features": {"activity": true}}));
        let mut doc = serde_json::to_value(stored).unwrap();
        doc["updated_by"] = updated_by;
        serde_json::from_value::<StoredOverrides>(doc).map(|s| s.updated_by)
    }

    #[test]
    fn actors_are_stored_by_kind_as_before() {
        assert_eq!(stored_by(admin()), json!({"discord_user": USER}));
        let key = Actor::ApiKey("key_01:ops".into());
        assert_eq!(stored_by(key.clone()), json!({"api_key": "key_01:ops"}));
        assert_eq!(read_actor(json!({"api_key": "key_01:ops"})).unwrap(), key);
        assert_eq!(read_actor(json!({"discord_user": USER})).unwrap(), admin());
    }

    #[test]
    fn a_stored_actor_is_checked_when_read() {
        for bad in [
            json!({"api_key": "bad key"}),
            json!({"api_key": ""}),
            json!({"discord_user": "0"}),
            json!({"discord_user": "me"}),
            json!({"someone": "x"}),
        ] {
            assert!(read_actor(bad.clone()).is_err(), "{bad}");
        }
    }

    #[test]
    fn actors_are_checked_before_they_are_recorded() {
        assert_eq!(check_actor(&admin()), Ok(()));
        assert_eq!(check_actor(&Actor::ApiKey("ops-key:1.a_b".into())), Ok(()));
        for bad in [
            Actor::DiscordUser(0),
            Actor::ApiKey(String::new()),
            Actor::ApiKey("has space".into()),
            Actor::ApiKey("k".repeat(65)),
        ] {
            assert!(
                matches!(check_actor(&bad), Err(ConfigError::Invalid { path, .. }) if path == "actor"),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn an_audit_entry_is_served_with_its_values_as_json_text() {
        let (v1, _) = write(None, &json!({"roles": {"mapping": {ROLE: "viewer"}}}));
        let (_, entry) = write(
            Some(&v1),
            &json!({"roles": {"mapping": {ROLE: null}}, "kaltura": {"category_ids": [1, 2]}}),
        );
        let served = AuditEntry::from(entry);
        assert_eq!((served.at, served.version), (NOW, 2));
        assert_eq!(served.actor, admin());
        assert_eq!(
            served.changes,
            [
                Change {
                    key: "kaltura.category_ids".into(),
                    old_value: None,
                    new_value: Some("[1,2]".into()),
                },
                Change {
                    key: format!("roles.mapping.{ROLE}"),
                    old_value: Some("\"viewer\"".into()),
                    new_value: None,
                },
            ]
        );
    }

    #[test]
    fn stored_overrides_round_trip_through_json() {
        let (stored, entry) = write(None, &json!({"roles": {"mapping": {ROLE: "admin"}}}));
        let text = serde_json::to_string(&stored).unwrap();
        assert_eq!(
            serde_json::from_str::<StoredOverrides>(&text).unwrap(),
            stored
        );
        let text = serde_json::to_string(&entry).unwrap();
        assert_eq!(
            serde_json::from_str::<StoredAuditEntry>(&text).unwrap(),
            entry
        );
        let role: RoleId = ROLE.parse().unwrap();
        let config = merge(&defaults_json(), &json!({}), &stored.doc).unwrap();
        assert_eq!(config.roles.mapping.get(&role), Some(&KalturaRole::Admin));
    }
}
