//! The schema every override document and every write is checked against: which keys
//! exist, what each takes, the limits, and which keys are deployment-only.
//!
//! Override documents are sparse: any key may be missing, and `null` anywhere means
//! "no override here; use the layer below" (JSON merge-patch semantics).

use std::collections::BTreeSet;

use contracts::config::{Command, Event, MessageKind, SettingKey};
use contracts::KalturaRole;
use discord_api::id::{ChannelId, ChannelMarker, GenericMarker, RoleId};
use serde_json::{Map, Value};

use crate::discord::{parse_id, parse_permissions, parse_permissions_typed, Mention};
use crate::error::{ConfigError, Rule};
use crate::template::check_template;

/// Which override document is being validated. Some keys are deployment-only: a
/// server's own overrides may not set them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Layer {
    /// The deployment-wide overrides (set by the operator).
    Deployment,
    /// One Discord server's overrides (set by its admins through Discord or the API).
    Guild,
}

/// At most this many `roles.mapping` entries.
pub const MAX_ROLE_MAPPINGS: usize = 100;
/// At most this many `roles.user_overrides` entries.
pub const MAX_USER_OVERRIDES: usize = 100;
/// At most this many `allowed_roles` per command.
pub const MAX_ALLOWED_ROLES: usize = 25;
/// At most this many `kaltura.category_ids`.
pub const MAX_CATEGORY_IDS: usize = 50;
/// The longest `kaltura.privileges.*` string, in characters.
pub const MAX_PRIVILEGES_CHARS: usize = 512;
/// The largest Kaltura integer ID (uiconf, category): a signed 32-bit integer.
const MAX_KALTURA_ID: u64 = i32::MAX as u64;

/// What a key takes.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Kind {
    /// An object with fixed keys.
    Section(&'static [Field]),
    /// An object keyed by Discord IDs (`key` names them in docs, e.g. `<role_id>`).
    Map {
        key: &'static str,
        value: &'static Kind,
        max: usize,
    },
    /// `true` or `false`.
    Bool,
    /// A [`KalturaRole`] name.
    Role,
    /// A channel ID, or `null`.
    Channel,
    /// A list of distinct role IDs.
    RoleList { max: usize },
    /// Permission bits as a decimal string.
    Permissions,
    /// A message template.
    Template(MessageKind),
    /// A Kaltura privileges string.
    Privileges,
    /// A Kaltura integer ID, or `null`.
    KalturaId,
    /// A list of distinct Kaltura integer IDs.
    KalturaIdList { max: usize },
}

/// One key of a section.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Field {
    name: &'static str,
    kind: Kind,
    doc: &'static str,
    deployment_only: bool,
}

const fn field(name: &'static str, kind: Kind, doc: &'static str) -> Field {
    Field {
        name,
        kind,
        doc,
        deployment_only: false,
    }
}

const fn deployment_field(name: &'static str, kind: Kind, doc: &'static str) -> Field {
    Field {
        name,
        kind,
        doc,
        deployment_only: true,
    }
}

const COMMAND: Kind = Kind::Section(&[
    field("enabled", Kind::Bool, "Whether the command can be used."),
    field(
        "allowed_roles",
        Kind::RoleList {
            max: MAX_ALLOWED_ROLES,
        },
        "Roles allowed to use the command; empty means any role.",
    ),
    field(
        "required_permissions",
        Kind::Permissions,
        "Discord permission bits a member must hold (all of them).",
    ),
]);

const COMMANDS: Kind = Kind::Section(&[
    field(
        "enabled",
        Kind::Bool,
        "Master switch for every command (admins keep /kaltura-config).",
    ),
    field("kaltura-start", COMMAND, "/kaltura-start"),
    field("kaltura-join", COMMAND, "/kaltura-join"),
    field("kaltura-list", COMMAND, "/kaltura-list"),
    field("kaltura-end", COMMAND, "/kaltura-end"),
    field("kaltura-config", COMMAND, "/kaltura-config"),
    field("kaltura-video", COMMAND, "/kaltura-video"),
]);

const ROLES: Kind = Kind::Section(&[
    field(
        "mapping",
        Kind::Map {
            key: "<role_id>",
            value: &Kind::Role,
            max: MAX_ROLE_MAPPINGS,
        },
        "Discord role → Kaltura role.",
    ),
    field(
        "default_role",
        Kind::Role,
        "Kaltura role of members no mapping applies to.",
    ),
    field(
        "user_overrides",
        Kind::Map {
            key: "<user_id>",
            value: &Kind::Role,
            max: MAX_USER_OVERRIDES,
        },
        "Discord user → Kaltura role, winning over everything else.",
    ),
]);

macro_rules! event {
    ($event:expr) => {
        Kind::Section(&[
            field("enabled", Kind::Bool, "Whether this event is posted."),
            field("channel_id", Kind::Channel, "The channel it is posted in."),
            field(
                "template",
                Kind::Template(MessageKind::Event($event)),
                "The message, with {{variable}} placeholders.",
            ),
        ])
    };
}

const NOTIFICATIONS: Kind = Kind::Section(&[
    field(
        "enabled",
        Kind::Bool,
        "Master switch for posting Kaltura events.",
    ),
    field(
        "allow_everyone_mentions",
        Kind::Bool,
        "Whether @everyone/@here in templates may ping.",
    ),
    field(
        "events",
        Kind::Section(&[
            field(
                "meeting_start",
                event!(Event::MeetingStart),
                "A meeting started.",
            ),
            field("meeting_end", event!(Event::MeetingEnd), "A meeting ended."),
            field(
                "recording_ready",
                event!(Event::RecordingReady),
                "A meeting's recording is ready.",
            ),
            field(
                "entry_ready",
                event!(Event::EntryReady),
                "A video in a followed category is ready.",
            ),
        ]),
        "Per event settings.",
    ),
    field(
        "meeting_share",
        Kind::Section(&[field(
            "template",
            Kind::Template(MessageKind::MeetingShare),
            "The message posted when a member shares a meeting.",
        )]),
        "Sharing a meeting in a channel.",
    ),
    field(
        "video_share",
        Kind::Section(&[field(
            "template",
            Kind::Template(MessageKind::VideoShare),
            "The message posted when a member shares a video.",
        )]),
        "Sharing a video in a channel.",
    ),
]);

const FEATURES: Kind = Kind::Section(&[
    field(
        "activity",
        Kind::Bool,
        "Open meetings inside Discord as an Activity.",
    ),
    field(
        "embed_player",
        Kind::Bool,
        "Share videos as an embedded player link.",
    ),
    field(
        "recording_notices",
        Kind::Bool,
        "Post recording_ready notices.",
    ),
]);

const KALTURA: Kind = Kind::Section(&[
    field(
        "privileges",
        Kind::Section(&[
            deployment_field(
                "join",
                Kind::Privileges,
                "KS privileges for joining a meeting.",
            ),
            deployment_field(
                "host",
                Kind::Privileges,
                "KS privileges for starting or moderating a meeting.",
            ),
            deployment_field(
                "view",
                Kind::Privileges,
                "KS privileges for watching a video.",
            ),
        ]),
        "Extra KS privileges per purpose.",
    ),
    field(
        "player_uiconf_id",
        Kind::KalturaId,
        "Kaltura player (uiconf) ID for embeds.",
    ),
    field(
        "category_ids",
        Kind::KalturaIdList {
            max: MAX_CATEGORY_IDS,
        },
        "Kaltura categories whose new videos are posted (entry_ready).",
    ),
]);

/// The whole document.
static ROOT: Kind = Kind::Section(&[
    field("commands", COMMANDS, "Slash commands."),
    field("roles", ROLES, "Discord → Kaltura roles."),
    field("notifications", NOTIFICATIONS, "Posting Kaltura events."),
    field("features", FEATURES, "Feature switches."),
    field("kaltura", KALTURA, "Kaltura settings."),
]);

// The schema spells command names out; keep them in step with `Command`.
const _: () = assert!(Command::ALL.len() == 6);

/// Appends `key` to a dotted path.
pub(crate) fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

fn names(fields: &[Field]) -> Vec<&'static str> {
    fields.iter().map(|f| f.name).collect()
}

/// Checks an override document (or a merge patch) against the schema: known keys,
/// types, Discord IDs, role names, template variables, limits, and (for
/// [`Layer::Guild`]) that no deployment-only key is set. `null` is accepted anywhere
/// (it removes an override) and does not count towards limits.
///
/// # Errors
/// [`ConfigError::Invalid`] naming the first offending key path and its [`Rule`].
pub fn validate_overrides(doc: &Value, layer: Layer) -> Result<(), ConfigError> {
    if !doc.is_object() {
        return Err(ConfigError::invalid(
            "",
            Rule::WrongType {
                expected: "a JSON object",
            },
        ));
    }
    check(&ROOT, doc, "", layer)
}

fn wrong(path: &str, expected: &'static str) -> ConfigError {
    ConfigError::invalid(path, Rule::WrongType { expected })
}

fn check(kind: &Kind, value: &Value, path: &str, layer: Layer) -> Result<(), ConfigError> {
    if value.is_null() {
        return Ok(());
    }
    let at = |rule| ConfigError::invalid(path, rule);
    match *kind {
        Kind::Section(fields) => {
            let object = value.as_object().ok_or_else(|| wrong(path, "an object"))?;
            for (key, item) in object {
                let child = join(path, key);
                let field = fields.iter().find(|f| f.name == key).ok_or_else(|| {
                    ConfigError::invalid(
                        &child,
                        Rule::UnknownKey {
                            known: names(fields),
                        },
                    )
                })?;
                if field.deployment_only && layer == Layer::Guild && !item.is_null() {
                    return Err(ConfigError::invalid(child, Rule::DeploymentOnly));
                }
                check(&field.kind, item, &child, layer)?;
            }
            Ok(())
        }
        Kind::Map {
            value: item_kind,
            max,
            ..
        } => {
            let object = value.as_object().ok_or_else(|| wrong(path, "an object"))?;
            let count = object.values().filter(|v| !v.is_null()).count();
            if count > max {
                return Err(at(Rule::TooMany { max, actual: count }));
            }
            for (key, item) in object {
                let child = join(path, key);
                parse_id::<GenericMarker>(key)
                    .map_err(|rule| ConfigError::invalid(&child, rule))?;
                check(item_kind, item, &child, layer)?;
            }
            Ok(())
        }
        Kind::Bool => match value {
            Value::Bool(_) => Ok(()),
            _ => Err(wrong(path, "true or false")),
        },
        Kind::Role => {
            let s = value
                .as_str()
                .ok_or_else(|| wrong(path, "a role name string"))?;
            KalturaRole::parse(s)
                .map(drop)
                .ok_or_else(|| at(Rule::UnknownRole))
        }
        Kind::Channel => {
            let s = value
                .as_str()
                .ok_or_else(|| wrong(path, "a channel ID string"))?;
            parse_id::<GenericMarker>(s).map(drop).map_err(at)
        }
        Kind::RoleList { max } => {
            let items = list(value, path, max, "a list of role ID strings")?;
            let mut seen = BTreeSet::new();
            for (i, item) in items.iter().enumerate() {
                let child = format!("{path}[{i}]");
                let s = item
                    .as_str()
                    .ok_or_else(|| wrong(&child, "a role ID string"))?;
                let id: RoleId = parse_id(s).map_err(|rule| ConfigError::invalid(&child, rule))?;
                if !seen.insert(id) {
                    return Err(ConfigError::invalid(
                        child,
                        Rule::Duplicate {
                            value: s.to_string(),
                        },
                    ));
                }
            }
            Ok(())
        }
        Kind::Permissions => {
            let s = value
                .as_str()
                .ok_or_else(|| ConfigError::invalid(path, Rule::NotPermissionBits))?;
            parse_permissions(s).map(drop).map_err(at)
        }
        Kind::Template(template) => {
            let s = value
                .as_str()
                .ok_or_else(|| wrong(path, "a template string"))?;
            check_template(template, s).map_err(at)
        }
        Kind::Privileges => {
            let s = value
                .as_str()
                .ok_or_else(|| wrong(path, "a privileges string"))?;
            check_privileges(s).map_err(at)
        }
        Kind::KalturaId => kaltura_id(value).map(drop).map_err(at),
        Kind::KalturaIdList { max } => {
            let items = list(value, path, max, "a list of Kaltura IDs")?;
            let mut seen = BTreeSet::new();
            for (i, item) in items.iter().enumerate() {
                let child = format!("{path}[{i}]");
                let id = kaltura_id(item).map_err(|rule| ConfigError::invalid(&child, rule))?;
                if !seen.insert(id) {
                    return Err(ConfigError::invalid(
                        child,
                        Rule::Duplicate {
                            value: id.to_string(),
                        },
                    ));
                }
            }
            Ok(())
        }
    }
}

fn list<'a>(
    value: &'a Value,
    path: &str,
    max: usize,
    expected: &'static str,
) -> Result<&'a Vec<Value>, ConfigError> {
    let items = value.as_array().ok_or_else(|| wrong(path, expected))?;
    if items.len() > max {
        return Err(ConfigError::invalid(
            path,
            Rule::TooMany {
                max,
                actual: items.len(),
            },
        ));
    }
    Ok(items)
}

fn kaltura_id(value: &Value) -> Result<u64, Rule> {
    value
        .as_u64()
        .filter(|id| (1..=MAX_KALTURA_ID).contains(id))
        .ok_or(Rule::NotAKalturaId)
}

/// Checks a Kaltura privileges string: empty, or comma-separated items `name` or
/// `name:value`, the name of letters, digits and `_`, the value without spaces, `,`,
/// `;` or `|` (which would break the KS), at most [`MAX_PRIVILEGES_CHARS`] characters.
fn check_privileges(s: &str) -> Result<(), Rule> {
    let chars = s.chars().count();
    if chars > MAX_PRIVILEGES_CHARS {
        return Err(Rule::TooLong {
            max: MAX_PRIVILEGES_CHARS,
            actual: chars,
        });
    }
    if s.is_empty() {
        return Ok(());
    }
    for item in s.split(',') {
        let (name, value) = match item.split_once(':') {
            Some((name, value)) => (name, Some(value)),
            None => (item, None),
        };
        let name_ok =
            !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        let value_ok = value.is_none_or(|v| {
            !v.is_empty()
                && v.chars()
                    .all(|c| !c.is_whitespace() && !c.is_control() && !matches!(c, ';' | '|'))
        });
        if !(name_ok && value_ok) {
            return Err(Rule::BadPrivilege {
                item: item.to_string(),
            });
        }
    }
    Ok(())
}

/// A key path resolved against the schema.
pub(crate) struct Resolved {
    /// The path's segments.
    pub segments: Vec<String>,
    /// What the key takes.
    pub kind: &'static Kind,
}

/// Resolves a dotted key path (`roles.mapping.123456789012345678`).
///
/// # Errors
/// [`ConfigError::Invalid`] naming the first unknown segment.
pub(crate) fn resolve(path: &str) -> Result<Resolved, ConfigError> {
    let mut kind: &'static Kind = &ROOT;
    let mut so_far = String::new();
    let mut segments = Vec::new();
    for segment in path.split('.') {
        let child = join(&so_far, segment);
        kind = match kind {
            Kind::Section(fields) => {
                let field = fields.iter().find(|f| f.name == segment).ok_or_else(|| {
                    ConfigError::invalid(
                        &child,
                        Rule::UnknownKey {
                            known: names(fields),
                        },
                    )
                })?;
                &field.kind
            }
            Kind::Map { value, .. } => {
                parse_id::<GenericMarker>(segment)
                    .map_err(|rule| ConfigError::invalid(&child, rule))?;
                value
            }
            _ => {
                return Err(ConfigError::invalid(
                    child,
                    Rule::UnknownKey { known: Vec::new() },
                ))
            }
        };
        segments.push(segment.to_string());
        so_far = child;
    }
    Ok(Resolved { segments, kind })
}

/// Reads a value typed by a person (a Discord slash-command option) for a key of
/// `kind`, giving the JSON to store. `Ok(None)` means "no override: use the layer
/// below" (typed as `none`, `unset` or `default` for optional keys and roles, which
/// removes a role mapping or user override; an empty or `none` list is the empty list).
pub(crate) fn parse_typed(kind: &Kind, raw: &str) -> Result<Option<Value>, Rule> {
    let trimmed = raw.trim();
    let is_none = ["none", "unset", "default"]
        .iter()
        .any(|w| w.eq_ignore_ascii_case(trimmed));
    let words = || {
        trimmed
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|w| !w.is_empty())
    };
    let value = match *kind {
        Kind::Section(_) | Kind::Map { .. } => return Err(Rule::NotASetting { below: Vec::new() }),
        Kind::Bool => Value::Bool(parse_bool(trimmed)?),
        // `none` removes a mapping or user override (the only way to drop one entry of a
        // map from Discord), or lets `default_role` fall back to the layer below.
        Kind::Role if is_none => return Ok(None),
        Kind::Role => Value::String(parse_role_typed(trimmed)?.as_str().to_string()),
        Kind::Channel if is_none || trimmed.is_empty() => return Ok(None),
        Kind::Channel => Value::String(ChannelId::parse_typed(trimmed)?.to_string()),
        Kind::RoleList { .. } if is_none => Value::Array(Vec::new()),
        Kind::RoleList { .. } => Value::Array(
            words()
                .map(|w| RoleId::parse_typed(w).map(|id| Value::String(id.to_string())))
                .collect::<Result<_, _>>()?,
        ),
        Kind::Permissions => Value::String(parse_permissions_typed(trimmed)?.bits().to_string()),
        // Slash-command options are one line; `\n` typed literally is a line break.
        Kind::Template(_) => Value::String(raw.replace("\\n", "\n")),
        Kind::Privileges => Value::String(trimmed.to_string()),
        Kind::KalturaId if is_none || trimmed.is_empty() => return Ok(None),
        Kind::KalturaId => Value::from(parse_kaltura_id(trimmed)?),
        Kind::KalturaIdList { .. } if is_none => Value::Array(Vec::new()),
        Kind::KalturaIdList { .. } => Value::Array(
            words()
                .map(|w| parse_kaltura_id(w).map(Value::from))
                .collect::<Result<_, _>>()?,
        ),
    };
    Ok(Some(value))
}

/// Reads a role typed by a person, ignoring case.
fn parse_role_typed(s: &str) -> Result<KalturaRole, Rule> {
    KalturaRole::parse(&s.to_ascii_lowercase()).ok_or(Rule::UnknownRole)
}

fn parse_bool(s: &str) -> Result<bool, Rule> {
    const TRUE: [&str; 5] = ["true", "on", "yes", "enabled", "1"];
    const FALSE: [&str; 5] = ["false", "off", "no", "disabled", "0"];
    if TRUE.iter().any(|w| w.eq_ignore_ascii_case(s)) {
        Ok(true)
    } else if FALSE.iter().any(|w| w.eq_ignore_ascii_case(s)) {
        Ok(false)
    } else {
        Err(Rule::WrongType {
            expected: "true or false (on/off, yes/no)",
        })
    }
}

fn parse_kaltura_id(s: &str) -> Result<u64, Rule> {
    s.parse::<u64>()
        .ok()
        .filter(|id| (1..=MAX_KALTURA_ID).contains(id))
        .ok_or(Rule::NotAKalturaId)
}

/// One setting of the schema, found by [`collect`].
struct Leaf {
    /// The dotted path; Discord-ID keys appear as `<role_id>` or `<user_id>`.
    path: String,
    /// What it takes.
    kind: &'static Kind,
    /// What it does.
    doc: &'static str,
    /// Whether only the deployment-wide overrides may set it.
    deployment_only: bool,
}

fn expects(kind: &Kind) -> &'static str {
    match kind {
        Kind::Section(_) | Kind::Map { .. } => "a group of settings",
        Kind::Bool => "true or false",
        Kind::Role => "viewer, moderator or admin",
        Kind::Channel => "a channel (ID or #mention), or none",
        Kind::RoleList { .. } => "roles (IDs or @mentions, comma-separated), or none",
        Kind::Permissions => "permission bits (decimal, or names like MANAGE_GUILD)",
        Kind::Template(_) => "a message with {{variable}} placeholders",
        Kind::Privileges => "Kaltura KS privileges (name:value, comma-separated)",
        Kind::KalturaId => "a Kaltura ID, or none",
        Kind::KalturaIdList { .. } => "Kaltura IDs (comma-separated), or none",
    }
}

/// Every single setting that `layer` may set, in the settings document's key order,
/// with what it takes and what it does: a server's ([`Layer::Guild`]) leave out the
/// deployment-only keys.
pub fn settable_keys(layer: Layer) -> Vec<SettingKey> {
    let mut leaves = Vec::new();
    collect(&ROOT, "", "", false, &mut leaves);
    leaves
        .into_iter()
        .filter(|leaf| layer == Layer::Deployment || !leaf.deployment_only)
        .map(|leaf| SettingKey {
            key: leaf.path,
            expects: expects(leaf.kind).to_string(),
            doc: leaf.doc.to_string(),
        })
        .collect()
}

/// The settings below a resolved group path (for [`Rule::NotASetting`]), in document
/// order.
pub(crate) fn settings_below(kind: &'static Kind, path: &str) -> Vec<String> {
    let mut out = Vec::new();
    collect(kind, path, "", false, &mut out);
    out.into_iter().map(|leaf| leaf.path).collect()
}

fn collect(
    kind: &'static Kind,
    path: &str,
    doc: &'static str,
    deployment_only: bool,
    out: &mut Vec<Leaf>,
) {
    match kind {
        Kind::Section(fields) => {
            for f in fields.iter() {
                collect(
                    &f.kind,
                    &join(path, f.name),
                    f.doc,
                    deployment_only || f.deployment_only,
                    out,
                );
            }
        }
        Kind::Map { key, value, .. } => {
            collect(value, &join(path, key), doc, deployment_only, out);
        }
        leaf => out.push(Leaf {
            path: path.to_string(),
            kind: leaf,
            doc,
            deployment_only,
        }),
    }
}

/// The channels a merge patch (or an override document) sets, with the dotted path of
/// each: every channel setting (`notifications.events.<event>.channel_id`) holding a
/// channel ID. `null` (removing an override) sets none; a value that is not a channel
/// ID is left to [`validate_overrides`]. Callers use it to check, before a write, that
/// each channel belongs to the server (the schema is the one place that knows which
/// keys are channels).
pub fn channel_settings(patch: &Value) -> Vec<(String, ChannelId)> {
    let mut out = Vec::new();
    channels_in(&ROOT, patch, "", &mut out);
    out
}

fn channels_in(kind: &Kind, value: &Value, path: &str, out: &mut Vec<(String, ChannelId)>) {
    match (kind, value) {
        (Kind::Section(fields), Value::Object(object)) => {
            for (key, item) in object {
                if let Some(field) = fields.iter().find(|f| f.name == key) {
                    channels_in(&field.kind, item, &join(path, key), out);
                }
            }
        }
        (Kind::Map { value: item, .. }, Value::Object(object)) => {
            for (key, value) in object {
                channels_in(item, value, &join(path, key), out);
            }
        }
        (Kind::Channel, Value::String(text)) => {
            if let Ok(id) = parse_id::<ChannelMarker>(text) {
                out.push((path.to_string(), id));
            }
        }
        _ => {}
    }
}

/// Builds `{"a":{"b":value}}` from `["a","b"]`.
pub(crate) fn nest(segments: &[String], value: Value) -> Value {
    segments.iter().rev().fold(value, |inner, segment| {
        let mut object = Map::new();
        object.insert(segment.clone(), inner);
        Value::Object(object)
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::model::defaults_json;
    use serde_json::json;

    const ROLE: &str = "123456789012345678";
    const ROLE2: &str = "223456789012345678";

    #[test]
    fn the_channels_a_patch_sets_are_listed_with_their_paths() {
        let patch = json!({
            "notifications": {
                "enabled": true,
                "events": {
                    "meeting_start": {"channel_id": "323456789012345678", "template": "x"},
                    "meeting_end": {"channel_id": null},
                    "entry_ready": {"channel_id": "423456789012345678"},
                    "recording_ready": {"channel_id": "not an id"}
                }
            },
            "roles": {"mapping": {ROLE: "admin"}},
            "unknown": {"channel_id": "523456789012345678"}
        });
        let mut found: Vec<(String, u64)> = channel_settings(&patch)
            .into_iter()
            .map(|(path, id)| (path, id.get()))
            .collect();
        found.sort();
        assert_eq!(
            found,
            [
                (
                    "notifications.events.entry_ready.channel_id".to_string(),
                    423_456_789_012_345_678
                ),
                (
                    "notifications.events.meeting_start.channel_id".to_string(),
                    323_456_789_012_345_678
                ),
            ]
        );
        assert!(channel_settings(&json!({"features": {"activity": true}})).is_empty());
        assert!(channel_settings(&Value::Null).is_empty());
    }

    fn rejected(doc: Value, layer: Layer) -> (String, Rule) {
        match validate_overrides(&doc, layer) {
            Err(ConfigError::Invalid { path, rule }) => (path, rule),
            other => panic!("expected a rejection, got {other:?}"),
        }
    }

    fn guild(doc: Value) -> (String, Rule) {
        rejected(doc, Layer::Guild)
    }

    fn ids(n: usize) -> Vec<String> {
        (0..n)
            .map(|i| (100_000_000_000_000_000u64 + i as u64).to_string())
            .collect()
    }

    #[test]
    fn the_compiled_defaults_pass_validation() {
        assert_eq!(
            validate_overrides(&defaults_json(), Layer::Deployment),
            Ok(())
        );
    }

    #[test]
    fn an_empty_override_document_is_valid() {
        assert_eq!(validate_overrides(&json!({}), Layer::Guild), Ok(()));
    }

    #[test]
    fn a_document_that_is_not_an_object_is_rejected() {
        let (path, rule) = guild(json!([1]));
        assert_eq!(path, "");
        assert!(matches!(rule, Rule::WrongType { .. }));
    }

    #[test]
    fn an_unknown_top_level_key_is_rejected_with_the_known_ones() {
        let (path, rule) = guild(json!({"colours": {}}));
        assert_eq!(path, "colours");
        assert_eq!(
            rule,
            Rule::UnknownKey {
                known: vec!["commands", "roles", "notifications", "features", "kaltura"]
            }
        );
    }

    #[test]
    fn an_unknown_nested_key_is_rejected_with_its_full_path() {
        let (path, rule) =
            guild(json!({"notifications": {"events": {"meeting_start": {"colour": "red"}}}}));
        assert_eq!(path, "notifications.events.meeting_start.colour");
        assert!(matches!(rule, Rule::UnknownKey { .. }));
        let (path, _) = guild(json!({"commands": {"kaltura-dance": {"enabled": true}}}));
        assert_eq!(path, "commands.kaltura-dance");
    }

    #[test]
    fn a_value_of_the_wrong_type_is_rejected() {
        let (path, rule) = guild(json!({"features": {"activity": "yes"}}));
        assert_eq!(path, "features.activity");
        assert_eq!(
            rule,
            Rule::WrongType {
                expected: "true or false"
            }
        );
        let (path, _) = guild(json!({"roles": "admin"}));
        assert_eq!(path, "roles");
        let (path, _) = guild(json!({"notifications": {"meeting_share": {"template": 5}}}));
        assert_eq!(path, "notifications.meeting_share.template");
    }

    #[test]
    fn a_channel_id_that_is_not_a_snowflake_is_rejected() {
        for bad in ["0", "general", "-5", "18446744073709551616"] {
            let (path, rule) =
                guild(json!({"notifications": {"events": {"meeting_start": {"channel_id": bad}}}}));
            assert_eq!(path, "notifications.events.meeting_start.channel_id");
            assert_eq!(rule, Rule::NotASnowflake, "{bad}");
        }
        let (_, rule) = guild(
            json!({"notifications": {"events": {"meeting_start": {"channel_id": 123456789012345678u64}}}}),
        );
        assert!(matches!(rule, Rule::WrongType { .. }));
    }

    #[test]
    fn role_mapping_and_user_override_keys_must_be_snowflakes() {
        let (path, rule) = guild(json!({"roles": {"mapping": {"moderators": "moderator"}}}));
        assert_eq!(path, "roles.mapping.moderators");
        assert_eq!(rule, Rule::NotASnowflake);
        let (path, rule) = guild(json!({"roles": {"user_overrides": {"0": "admin"}}}));
        assert_eq!(path, "roles.user_overrides.0");
        assert_eq!(rule, Rule::NotASnowflake);
    }

    /// Discord IDs used to need 17 to 20 digits here, while discord-api (and Discord)
    /// take any non-zero 64-bit number: the one rule is discord-api's.
    #[test]
    fn any_non_zero_64_bit_id_is_accepted_as_discord_does() {
        let doc = json!({
            "roles": {"mapping": {"1234": "admin"}, "user_overrides": {"18446744073709551615": "viewer"}},
            "commands": {"kaltura-end": {"allowed_roles": ["7"]}},
            "notifications": {"events": {"meeting_start": {"channel_id": "42"}}}
        });
        assert_eq!(validate_overrides(&doc, Layer::Guild), Ok(()));
    }

    #[test]
    fn role_values_must_be_viewer_moderator_or_admin() {
        let (path, rule) = guild(json!({"roles": {"mapping": {ROLE: "owner"}}}));
        assert_eq!(path, format!("roles.mapping.{ROLE}"));
        assert_eq!(rule, Rule::UnknownRole);
        let (path, rule) = guild(json!({"roles": {"default_role": "Admin"}}));
        assert_eq!(path, "roles.default_role");
        assert_eq!(rule, Rule::UnknownRole);
    }

    #[test]
    fn template_variables_must_exist_for_that_event() {
        let (path, rule) = guild(
            json!({"notifications": {"events": {"entry_ready": {"template": "{{title}} in {{meeting_id}}"}}}}),
        );
        assert_eq!(path, "notifications.events.entry_ready.template");
        assert_eq!(
            rule,
            Rule::UnknownVariable {
                name: "meeting_id".into(),
                template: MessageKind::Event(Event::EntryReady)
            }
        );
        assert_eq!(
            validate_overrides(
                &json!({"notifications": {"events": {"recording_ready": {"template": "{{title}} in {{meeting_id}}"}}}}),
                Layer::Guild
            ),
            Ok(())
        );
    }

    #[test]
    fn templates_longer_than_2000_characters_are_rejected() {
        let (path, rule) =
            guild(json!({"notifications": {"meeting_share": {"template": "x".repeat(2001)}}}));
        assert_eq!(path, "notifications.meeting_share.template");
        assert_eq!(
            rule,
            Rule::TooLong {
                max: 2000,
                actual: 2001
            }
        );
    }

    #[test]
    fn empty_and_unclosed_templates_are_rejected() {
        let (_, rule) = guild(json!({"notifications": {"meeting_share": {"template": ""}}}));
        assert_eq!(rule, Rule::EmptyTemplate);
        let (_, rule) = guild(json!({"notifications": {"meeting_share": {"template": "{{title"}}}));
        assert_eq!(rule, Rule::UnclosedPlaceholder);
    }

    #[test]
    fn at_most_100_role_mappings_are_accepted() {
        let mapping = |n| -> Value {
            ids(n)
                .into_iter()
                .map(|id| (id, json!("viewer")))
                .collect::<Map<_, _>>()
                .into()
        };
        assert_eq!(
            validate_overrides(&json!({"roles": {"mapping": mapping(100)}}), Layer::Guild),
            Ok(())
        );
        let (path, rule) = guild(json!({"roles": {"mapping": mapping(101)}}));
        assert_eq!(path, "roles.mapping");
        assert_eq!(
            rule,
            Rule::TooMany {
                max: 100,
                actual: 101
            }
        );
    }

    #[test]
    fn nulls_in_a_mapping_are_removals_and_do_not_count() {
        let mut mapping: Map<String, Value> = ids(100)
            .into_iter()
            .map(|id| (id, json!("viewer")))
            .collect();
        mapping.insert(ROLE.into(), Value::Null);
        assert_eq!(
            validate_overrides(&json!({"roles": {"mapping": mapping}}), Layer::Guild),
            Ok(())
        );
    }

    #[test]
    fn at_most_100_user_overrides_are_accepted() {
        let users: Map<String, Value> = ids(101)
            .into_iter()
            .map(|id| (id, json!("admin")))
            .collect();
        let (path, rule) = guild(json!({"roles": {"user_overrides": users}}));
        assert_eq!(path, "roles.user_overrides");
        assert!(matches!(rule, Rule::TooMany { max: 100, .. }));
    }

    #[test]
    fn at_most_25_allowed_roles_per_command_are_accepted() {
        assert_eq!(
            validate_overrides(
                &json!({"commands": {"kaltura-start": {"allowed_roles": ids(25)}}}),
                Layer::Guild
            ),
            Ok(())
        );
        let (path, rule) =
            guild(json!({"commands": {"kaltura-start": {"allowed_roles": ids(26)}}}));
        assert_eq!(path, "commands.kaltura-start.allowed_roles");
        assert_eq!(
            rule,
            Rule::TooMany {
                max: 25,
                actual: 26
            }
        );
    }

    #[test]
    fn allowed_roles_must_be_distinct_snowflake_strings() {
        let (path, rule) =
            guild(json!({"commands": {"kaltura-end": {"allowed_roles": [ROLE, ROLE2, ROLE]}}}));
        assert_eq!(path, "commands.kaltura-end.allowed_roles[2]");
        assert_eq!(rule, Rule::Duplicate { value: ROLE.into() });
        let (path, rule) =
            guild(json!({"commands": {"kaltura-end": {"allowed_roles": [ROLE, "x"]}}}));
        assert_eq!(path, "commands.kaltura-end.allowed_roles[1]");
        assert_eq!(rule, Rule::NotASnowflake);
        let (path, _) = guild(json!({"commands": {"kaltura-end": {"allowed_roles": ROLE}}}));
        assert_eq!(path, "commands.kaltura-end.allowed_roles");
    }

    #[test]
    fn required_permissions_must_be_a_decimal_string() {
        assert_eq!(
            validate_overrides(
                &json!({"commands": {"kaltura-end": {"required_permissions": "8589934592"}}}),
                Layer::Guild
            ),
            Ok(())
        );
        for bad in [
            json!(32),
            json!("MANAGE_GUILD"),
            json!("-1"),
            json!(""),
            json!("0x20"),
        ] {
            let (path, rule) =
                guild(json!({"commands": {"kaltura-end": {"required_permissions": bad}}}));
            assert_eq!(path, "commands.kaltura-end.required_permissions");
            assert_eq!(rule, Rule::NotPermissionBits);
        }
    }

    #[test]
    fn kaltura_ids_must_be_positive_32_bit_integers() {
        for bad in [
            json!(0),
            json!(-3),
            json!(2_147_483_648u64),
            json!("123"),
            json!(1.5),
        ] {
            let (path, rule) = guild(json!({"kaltura": {"player_uiconf_id": bad}}));
            assert_eq!(path, "kaltura.player_uiconf_id");
            assert_eq!(rule, Rule::NotAKalturaId);
        }
        assert_eq!(
            validate_overrides(
                &json!({"kaltura": {"player_uiconf_id": 2_147_483_647}}),
                Layer::Guild
            ),
            Ok(())
        );
    }

    #[test]
    fn category_ids_must_be_distinct_and_at_most_50() {
        let (path, rule) = guild(json!({"kaltura": {"category_ids": [1, 2, 1]}}));
        assert_eq!(path, "kaltura.category_ids[2]");
        assert_eq!(rule, Rule::Duplicate { value: "1".into() });
        let many: Vec<u64> = (1..=51).collect();
        let (path, rule) = guild(json!({"kaltura": {"category_ids": many}}));
        assert_eq!(path, "kaltura.category_ids");
        assert_eq!(
            rule,
            Rule::TooMany {
                max: 50,
                actual: 51
            }
        );
        let (path, rule) = guild(json!({"kaltura": {"category_ids": [5, 0]}}));
        assert_eq!(path, "kaltura.category_ids[1]");
        assert_eq!(rule, Rule::NotAKalturaId);
    }

    #[test]
    fn privileges_are_deployment_only() {
        let doc = json!({"kaltura": {"privileges": {"join": "sview:*"}}});
        let (path, rule) = guild(doc.clone());
        assert_eq!(path, "kaltura.privileges.join");
        assert_eq!(rule, Rule::DeploymentOnly);
        assert_eq!(validate_overrides(&doc, Layer::Deployment), Ok(()));
        // Removing an override that cannot exist is harmless.
        assert_eq!(
            validate_overrides(
                &json!({"kaltura": {"privileges": {"join": null}}}),
                Layer::Guild
            ),
            Ok(())
        );
    }

    #[test]
    fn privileges_must_be_comma_separated_name_value_items() {
        for good in [
            "",
            "disableentitlement",
            "role:viewerRole,userContextualRole:3",
            "sview:*,actionslimit:-1",
        ] {
            assert_eq!(check_privileges(good), Ok(()), "{good}");
        }
        for (bad, item) in [
            ("role:viewerRole,", ""),
            ("role:viewer Role", "role:viewer Role"),
            ("a;b", "a;b"),
            ("role:", "role:"),
            ("x|y:1", "x|y:1"),
        ] {
            assert_eq!(
                check_privileges(bad),
                Err(Rule::BadPrivilege { item: item.into() }),
                "{bad}"
            );
        }
        let (path, rule) = rejected(
            json!({"kaltura": {"privileges": {"view": "a:b;c"}}}),
            Layer::Deployment,
        );
        assert_eq!(path, "kaltura.privileges.view");
        assert!(matches!(rule, Rule::BadPrivilege { .. }));
        assert!(matches!(
            check_privileges(&"a".repeat(513)),
            Err(Rule::TooLong { max: 512, .. })
        ));
    }

    #[test]
    fn resolving_a_path_names_the_first_unknown_segment() {
        assert!(resolve("roles.mapping.123456789012345678").is_ok());
        let err = resolve("roles.maping.123456789012345678").err();
        assert!(matches!(err, Some(ConfigError::Invalid { path, .. }) if path == "roles.maping"));
        let err = resolve("features.activity.more").err();
        assert!(
            matches!(err, Some(ConfigError::Invalid { path, .. }) if path == "features.activity.more")
        );
        let err = resolve("roles..mapping").err();
        assert!(matches!(err, Some(ConfigError::Invalid { path, .. }) if path == "roles."));
    }

    #[test]
    fn typed_values_are_read_by_the_kind_of_setting() {
        let kind = |p: &str| resolve(p).map(|r| r.kind).unwrap();
        let read = |p: &str, raw: &str| parse_typed(kind(p), raw);
        assert_eq!(read("features.activity", "On"), Ok(Some(json!(true))));
        assert_eq!(read("features.activity", "no"), Ok(Some(json!(false))));
        assert!(read("features.activity", "maybe").is_err());
        assert_eq!(
            read("roles.mapping.123456789012345678", " Moderator"),
            Ok(Some(json!("moderator")))
        );
        assert_eq!(read("roles.mapping.123456789012345678", "none"), Ok(None));
        assert_eq!(read("roles.default_role", "default"), Ok(None));
        assert_eq!(
            read(
                "notifications.events.meeting_start.channel_id",
                "<#123456789012345678>"
            ),
            Ok(Some(json!("123456789012345678")))
        );
        assert_eq!(
            read("notifications.events.meeting_start.channel_id", "none"),
            Ok(None)
        );
        assert_eq!(
            read(
                "commands.kaltura-end.allowed_roles",
                "<@&123456789012345678>, 223456789012345678"
            ),
            Ok(Some(json!(["123456789012345678", "223456789012345678"])))
        );
        assert_eq!(
            read("commands.kaltura-end.allowed_roles", "none"),
            Ok(Some(json!([])))
        );
        assert_eq!(
            read(
                "commands.kaltura-end.required_permissions",
                "MANAGE_GUILD|MANAGE_EVENTS"
            ),
            Ok(Some(json!("8589934624")))
        );
        assert_eq!(
            read(
                "notifications.meeting_share.template",
                "{{title}}\\n{{url}}"
            ),
            Ok(Some(json!("{{title}}\n{{url}}")))
        );
        assert_eq!(
            read("kaltura.player_uiconf_id", "4711"),
            Ok(Some(json!(4711)))
        );
        assert_eq!(read("kaltura.player_uiconf_id", "unset"), Ok(None));
        assert_eq!(
            read("kaltura.category_ids", "1, 2 3"),
            Ok(Some(json!([1, 2, 3])))
        );
        assert_eq!(
            read("kaltura.category_ids", "1,x"),
            Err(Rule::NotAKalturaId)
        );
    }

    #[test]
    fn settable_keys_list_every_leaf_with_placeholders_for_ids() {
        let keys = settable_keys(Layer::Deployment);
        let paths: Vec<&str> = keys.iter().map(|k| k.key.as_str()).collect();
        assert!(paths.contains(&"roles.mapping.<role_id>"));
        assert!(paths.contains(&"roles.user_overrides.<user_id>"));
        assert!(paths.contains(&"commands.kaltura-config.required_permissions"));
        assert!(paths.contains(&"notifications.events.meeting_start.channel_id"));
        assert_eq!(paths.len(), 1 + 6 * 3 + 3 + 2 + 4 * 3 + 1 + 1 + 3 + 3 + 2);
        assert_eq!(
            paths[..4],
            [
                "commands.enabled",
                "commands.kaltura-start.enabled",
                "commands.kaltura-start.allowed_roles",
                "commands.kaltura-start.required_permissions"
            ],
            "in the document's key order"
        );
        let channel = keys
            .iter()
            .find(|k| k.key == "notifications.events.meeting_start.channel_id")
            .unwrap();
        assert_eq!(channel.expects, "a channel (ID or #mention), or none");
        assert_eq!(channel.doc, "The channel it is posted in.");
    }

    #[test]
    fn a_server_may_set_every_key_but_the_deployment_only_ones() {
        let all: BTreeSet<String> = settable_keys(Layer::Deployment)
            .into_iter()
            .map(|k| k.key)
            .collect();
        let server: BTreeSet<String> = settable_keys(Layer::Guild)
            .into_iter()
            .map(|k| k.key)
            .collect();
        let deployment_only: Vec<&String> = all.difference(&server).collect();
        assert_eq!(
            deployment_only,
            [
                "kaltura.privileges.host",
                "kaltura.privileges.join",
                "kaltura.privileges.view"
            ]
        );
    }

    #[test]
    fn every_command_name_has_a_schema_entry() {
        for command in Command::ALL {
            assert!(resolve(&format!("commands.{}.enabled", command.as_str())).is_ok());
        }
    }
}
