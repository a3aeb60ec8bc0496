//! Layering: compiled defaults ← deployment-wide overrides ← per-server overrides,
//! each a JSON merge patch (RFC 7396) onto the one below.

use serde_json::{Map, Value};

use crate::error::{ConfigError, Rule};
use crate::model::GuildConfig;
use crate::schema::validate_overrides;
use crate::schema::Layer;

/// Applies a JSON merge patch (RFC 7396) to `target`, returning the result: objects
/// merge key by key, `null` removes a key, anything else replaces (arrays included).
pub fn merge_patch(target: &Value, patch: &Value) -> Value {
    let Value::Object(patch) = patch else {
        return patch.clone();
    };
    let mut out = match target {
        Value::Object(target) => target.clone(),
        _ => Map::new(),
    };
    for (key, value) in patch {
        if value.is_null() {
            out.remove(key);
        } else {
            let merged = merge_patch(out.get(key).unwrap_or(&Value::Null), value);
            out.insert(key.clone(), merged);
        }
    }
    Value::Object(out)
}

/// Removes objects left empty (e.g. after their last key was removed), recursively.
/// An empty object overrides nothing, so this never changes a merge result.
pub(crate) fn prune_empty(value: &mut Value) {
    if let Value::Object(object) = value {
        for child in object.values_mut() {
            prune_empty(child);
        }
        object.retain(|_, child| !matches!(child, Value::Object(o) if o.is_empty()));
    }
}

/// Resolves one server's configuration: `defaults` (usually [`crate::defaults_json`]),
/// then the sparse `deployment` overrides, then the sparse `guild` overrides, deep
/// merged as JSON merge patches (later layers win key by key; `null` falls back to the
/// layer below; arrays are replaced whole). A `null` layer counts as `{}` (no
/// overrides stored).
///
/// Each override layer is validated first ([`Layer::Deployment`], then
/// [`Layer::Guild`], so a server cannot carry a deployment-only key), then the merged
/// document as a whole (limits).
///
/// # Errors
/// [`ConfigError::Invalid`] naming the key path and rule of the first problem found.
pub fn merge(
    defaults: &Value,
    deployment: &Value,
    guild: &Value,
) -> Result<GuildConfig, ConfigError> {
    validate_layer(deployment, Layer::Deployment)?;
    validate_layer(guild, Layer::Guild)?;
    // A `null` inside a layer means "no override here": drop them first, so that it
    // falls back to the layer directly below rather than deleting that layer's value.
    let without_nulls = |layer: &Value| match layer {
        Value::Null => Value::Object(Map::new()),
        layer => merge_patch(&Value::Object(Map::new()), layer),
    };
    let (deployment, guild) = (without_nulls(deployment), without_nulls(guild));
    let merged = merge_patch(&merge_patch(defaults, &deployment), &guild);
    validate_overrides(&merged, Layer::Deployment)?;
    serde_json::from_value(merged).map_err(|e| {
        ConfigError::invalid(
            "",
            Rule::Malformed {
                detail: e.to_string(),
            },
        )
    })
}

fn validate_layer(layer: &Value, which: Layer) -> Result<(), ConfigError> {
    if layer.is_null() {
        Ok(())
    } else {
        validate_overrides(layer, which)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::model::defaults_json;
    use contracts::KalturaRole;
    use discord_api::id::{ChannelId, RoleId};
    use serde_json::json;

    const ROLE: &str = "123456789012345678";

    #[test]
    fn merge_patch_follows_the_rfc_7396_examples() {
        let cases = [
            (json!({"a":"b"}), json!({"a":"c"}), json!({"a":"c"})),
            (json!({"a":"b"}), json!({"b":"c"}), json!({"a":"b","b":"c"})),
            (json!({"a":"b"}), json!({"a":null}), json!({})),
            (
                json!({"a":"b","b":"c"}),
                json!({"a":null}),
                json!({"b":"c"}),
            ),
            (json!({"a":["b"]}), json!({"a":"c"}), json!({"a":"c"})),
            (json!({"a":"c"}), json!({"a":["b"]}), json!({"a":["b"]})),
            (
                json!({"a":{"b":"c"}}),
                json!({"a":{"b":"d","c":null}}),
                json!({"a":{"b":"d"}}),
            ),
            (json!({"a":[{"b":"c"}]}), json!({"a":[1]}), json!({"a":[1]})),
            (json!(["a", "b"]), json!(["c", "d"]), json!(["c", "d"])),
            (json!({"a":"b"}), json!(["c"]), json!(["c"])),
            (json!({"a":"foo"}), json!(null), json!(null)),
            (json!({"a":"foo"}), json!("bar"), json!("bar")),
            (json!({"e":null}), json!({"a":1}), json!({"e":null,"a":1})),
            (json!([1, 2]), json!({"a":"b","c":null}), json!({"a":"b"})),
            (
                json!({}),
                json!({"a":{"bb":{"ccc":null}}}),
                json!({"a":{"bb":{}}}),
            ),
        ];
        for (target, patch, expected) in cases {
            assert_eq!(merge_patch(&target, &patch), expected, "{target} + {patch}");
        }
    }

    #[test]
    fn without_overrides_the_compiled_defaults_apply() {
        let config = merge(&defaults_json(), &Value::Null, &json!({})).unwrap();
        assert_eq!(config, GuildConfig::default());
    }

    #[test]
    fn a_null_layer_counts_as_no_overrides() {
        let mut defaults = defaults_json();
        defaults["features"]["activity"] = json!(true);
        let guild = json!({"features": {"embed_player": false}});
        let config = merge(&defaults, &Value::Null, &guild).unwrap();
        assert!(config.features.activity && !config.features.embed_player);
        let config = merge(&defaults, &guild, &Value::Null).unwrap();
        assert!(config.features.activity && !config.features.embed_player);
    }

    #[test]
    fn deployment_overrides_replace_compiled_defaults() {
        let deployment =
            json!({"features": {"activity": true}, "kaltura": {"player_uiconf_id": 4711}});
        let config = merge(&defaults_json(), &deployment, &json!({})).unwrap();
        assert!(config.features.activity);
        assert_eq!(config.kaltura.player_uiconf_id, Some(4711));
    }

    #[test]
    fn guild_overrides_win_over_deployment_overrides() {
        let deployment =
            json!({"features": {"activity": true}, "roles": {"default_role": "moderator"}});
        let guild = json!({"features": {"activity": false}});
        let config = merge(&defaults_json(), &deployment, &guild).unwrap();
        assert!(!config.features.activity);
        assert_eq!(config.roles.default_role, KalturaRole::Moderator);
    }

    #[test]
    fn merging_is_deep_so_sibling_keys_keep_their_values() {
        let guild = json!({"notifications": {"events": {"meeting_start": {"channel_id": ROLE}}}});
        let config = merge(&defaults_json(), &json!({}), &guild).unwrap();
        let start = &config.notifications.events.meeting_start;
        assert_eq!(start.channel_id, ChannelId::new(123_456_789_012_345_678));
        assert!(start.enabled);
        assert_eq!(start.template, crate::DEFAULT_MEETING_START_TEMPLATE);
        assert!(config.features.embed_player);
    }

    #[test]
    fn a_null_override_falls_back_to_the_layer_below() {
        let deployment = json!({"features": {"embed_player": false}});
        let guild = json!({"features": {"embed_player": null}});
        let config = merge(&defaults_json(), &deployment, &guild).unwrap();
        assert!(!config.features.embed_player);
        let deployment = json!({"features": {"embed_player": null}});
        let config = merge(&defaults_json(), &deployment, &json!({})).unwrap();
        assert!(config.features.embed_player);
    }

    #[test]
    fn lists_are_replaced_whole_not_concatenated() {
        let deployment = json!({"kaltura": {"category_ids": [1, 2]}});
        let guild = json!({"kaltura": {"category_ids": [3]}});
        let config = merge(&defaults_json(), &deployment, &guild).unwrap();
        assert_eq!(config.kaltura.category_ids, [3]);
    }

    #[test]
    fn role_mappings_from_both_layers_combine() {
        let deployment = json!({"roles": {"mapping": {ROLE: "admin"}}});
        let guild = json!({"roles": {"mapping": {"223456789012345678": "moderator"}}});
        let config = merge(&defaults_json(), &deployment, &guild).unwrap();
        assert_eq!(config.roles.mapping.len(), 2);
        assert_eq!(
            config.roles.mapping.get(&ROLE.parse::<RoleId>().unwrap()),
            Some(&KalturaRole::Admin)
        );
    }

    #[test]
    fn an_invalid_deployment_document_is_rejected_with_its_path() {
        let deployment = json!({"features": {"activty": true}});
        let err = merge(&defaults_json(), &deployment, &json!({})).unwrap_err();
        assert!(matches!(err, ConfigError::Invalid { path, .. } if path == "features.activty"));
    }

    #[test]
    fn a_guild_document_carrying_a_deployment_only_key_is_rejected() {
        let guild = json!({"kaltura": {"privileges": {"view": "sview:*"}}});
        let err = merge(&defaults_json(), &json!({}), &guild).unwrap_err();
        assert_eq!(
            err,
            ConfigError::invalid("kaltura.privileges.view", Rule::DeploymentOnly)
        );
        let config = merge(&defaults_json(), &guild, &json!({})).unwrap();
        assert_eq!(config.kaltura.privileges.view, "sview:*");
    }

    #[test]
    fn limits_apply_to_the_merged_result() {
        let ids = |from: u64, n: u64| -> Value {
            (from..from + n)
                .map(|i| (i.to_string(), json!("viewer")))
                .collect::<Map<_, _>>()
                .into()
        };
        let deployment = json!({"roles": {"mapping": ids(100_000_000_000_000_000, 60)}});
        let guild = json!({"roles": {"mapping": ids(200_000_000_000_000_000, 60)}});
        let err = merge(&defaults_json(), &deployment, &guild).unwrap_err();
        assert!(matches!(
            err,
            ConfigError::Invalid { path, rule: Rule::TooMany { max: 100, actual: 120 } } if path == "roles.mapping"
        ));
    }

    #[test]
    fn pruning_removes_objects_left_empty() {
        let mut doc = json!({"roles": {"mapping": {}}, "features": {"activity": true}, "kaltura": {"privileges": {}}});
        prune_empty(&mut doc);
        assert_eq!(doc, json!({"features": {"activity": true}}));
    }
}
