//! The service through its public methods, over the in-memory store: merge order,
//! validation, compare-and-set, reset, audit and the deployment layer.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use common::cas::{self, Flavor, MemoryCasStore};
use common::{FakeClock, StoreError};
use guild_config::{
    defaults_json, Access, Actor, AuditEntry, Change, CommandName, EventKind, KalturaRole, Section,
    StoredOverrides,
};
use serde_json::{json, Value};

use crate::*;

const GUILD: &str = "123456789012345678";
const OTHER_GUILD: &str = "123456789012345679";
const ADMIN: &str = "987654321098765432";
const OTHER_ADMIN: &str = "987654321098765433";
const ROLE: &str = "223456789012345678";
const CHANNEL: &str = "323456789012345678";
const NOW: u64 = 1_700_000_000;

fn guild() -> GuildId {
    GuildId::parse(GUILD).unwrap()
}

fn admin() -> Actor {
    input::discord_user(ADMIN).unwrap()
}

fn ops() -> Actor {
    input::api_key("ops").unwrap()
}

/// One request's service over a shared store (each call is a new "instance").
fn service(store: &MemoryCasStore) -> Service<&MemoryCasStore, FakeClock> {
    Service::new(store, FakeClock::at_secs(NOW))
}

fn config_of(view: &ConfigView) -> Value {
    serde_json::from_str(&view.config_json).unwrap()
}

fn overrides_of(view: &ConfigView) -> Value {
    serde_json::from_str(&view.overrides_json).unwrap()
}

fn member(roles: &[&str], permissions: u64) -> Member {
    let roles: Vec<String> = roles.iter().map(|r| (*r).to_string()).collect();
    Member::parse(ADMIN, &roles, permissions).unwrap()
}

fn invalid_message(result: Result<UpdateResult, ServiceError>) -> String {
    match result {
        Err(ServiceError::Invalid(message)) => message,
        other => panic!("expected invalid, got {other:?}"),
    }
}

#[test]
fn a_server_without_overrides_gets_the_compiled_defaults() {
    let store = MemoryCasStore::default();
    let view = service(&store).get(guild()).unwrap();
    assert_eq!((view.version, view.deployment_version), (0, 0));
    assert_eq!(config_of(&view), defaults_json());
    assert_eq!(overrides_of(&view), json!({}));
    assert!(view.features.embed_player && !view.features.activity);
    assert_eq!(
        view.share_template,
        guild_config::DEFAULT_MEETING_SHARE_TEMPLATE
    );
    assert!(store.keys().is_empty(), "reading writes nothing");
}

#[test]
fn the_defaults_are_the_compiled_defaults_as_json() {
    let parsed: Value = serde_json::from_str(&defaults()).unwrap();
    assert_eq!(parsed, defaults_json());
}

#[test]
fn settings_merge_defaults_then_deployment_then_server() {
    let store = MemoryCasStore::default();
    let deployment = json!({
        "features": {"activity": true, "recording_notices": false},
        "roles": {"default_role": "moderator"},
        "kaltura": {"privileges": {"view": "sview:*"}, "player_uiconf_id": 4711}
    });
    service(&store)
        .update_deployment(&deployment, 0, ops())
        .unwrap();
    let patch = json!({"features": {"activity": false}, "kaltura": {"player_uiconf_id": 99}});
    service(&store).update(guild(), &patch, 0, admin()).unwrap();

    let view = service(&store).get(guild()).unwrap();
    assert_eq!((view.version, view.deployment_version), (1, 1));
    let config = config_of(&view);
    assert_eq!(config["features"]["activity"], json!(false), "server wins");
    assert_eq!(
        config["features"]["recording_notices"],
        json!(false),
        "deployment applies"
    );
    assert_eq!(
        config["features"]["embed_player"],
        json!(true),
        "default applies"
    );
    assert_eq!(config["roles"]["default_role"], json!("moderator"));
    assert_eq!(view.kaltura.privileges.view, "sview:*");
    assert_eq!(view.kaltura.player_uiconf_id, Some(99));
    assert_eq!(
        overrides_of(&view),
        patch,
        "overrides are the server's own only"
    );

    let other = service(&store)
        .get(GuildId::parse(OTHER_GUILD).unwrap())
        .unwrap();
    assert_eq!(other.version, 0);
    assert_eq!(other.kaltura.player_uiconf_id, Some(4711));
}

#[test]
fn a_null_in_a_server_patch_falls_back_to_the_deployment_value() {
    let store = MemoryCasStore::default();
    let svc = service(&store);
    svc.update_deployment(&json!({"features": {"activity": true}}), 0, ops())
        .unwrap();
    svc.update(
        guild(),
        &json!({"features": {"activity": false}}),
        0,
        admin(),
    )
    .unwrap();
    svc.update(
        guild(),
        &json!({"features": {"activity": null}}),
        1,
        admin(),
    )
    .unwrap();
    let view = service(&store).get(guild()).unwrap();
    assert!(view.features.activity);
    assert_eq!(overrides_of(&view), json!({}));
}

#[test]
fn every_validation_rule_is_invalid_naming_the_key_and_changes_nothing() {
    let long = "x".repeat(2001);
    let many_roles: Vec<String> = (0..26)
        .map(|i| (100_000_000_000_000_000_u64 + i).to_string())
        .collect();
    let cases = [
        (json!({"colour": "red"}), "colour: unknown key"),
        (
            json!({"features": {"activty": true}}),
            "features.activty: unknown key",
        ),
        (
            json!({"features": {"activity": "yes"}}),
            "features.activity: expected true or false",
        ),
        (
            json!({"notifications": {"events": {"meeting_start": {"channel_id": "12"}}}}),
            "notifications.events.meeting_start.channel_id: must be a Discord ID",
        ),
        (
            json!({"roles": {"mapping": {"abc": "admin"}}}),
            "roles.mapping.abc: must be a Discord ID",
        ),
        (
            json!({"roles": {"default_role": "owner"}}),
            "roles.default_role: must be one of",
        ),
        (
            json!({"commands": {"kaltura-start": {"required_permissions": "lots"}}}),
            "commands.kaltura-start.required_permissions: must be Discord permission bits",
        ),
        (
            json!({"notifications": {"events": {"meeting_end": {"template": ""}}}}),
            "notifications.events.meeting_end.template: a template must not be empty",
        ),
        (
            json!({"notifications": {"events": {"meeting_end": {"template": long}}}}),
            "notifications.events.meeting_end.template: at most 2000 characters",
        ),
        (
            json!({"notifications": {"events": {"meeting_end": {"template": "{{title"}}}}),
            "notifications.events.meeting_end.template: a `{{` has no closing `}}`",
        ),
        (
            json!({"notifications": {"events": {"meeting_end": {"template": "{{url}}"}}}}),
            "notifications.events.meeting_end.template: `{{url}}` is not a variable of meeting_end",
        ),
        (
            json!({"commands": {"kaltura-end": {"allowed_roles": many_roles}}}),
            "commands.kaltura-end.allowed_roles: at most 25 entries",
        ),
        (
            json!({"commands": {"kaltura-end": {"allowed_roles": [ROLE, ROLE]}}}),
            "commands.kaltura-end.allowed_roles[1]: `223456789012345678` is listed twice",
        ),
        (
            json!({"kaltura": {"category_ids": [0]}}),
            "kaltura.category_ids[0]: must be a Kaltura ID",
        ),
        (
            json!({"kaltura": {"privileges": {"view": "sview:*"}}}),
            "kaltura.privileges.view: can only be set deployment-wide",
        ),
    ];
    let store = MemoryCasStore::default();
    for (patch, expected) in cases {
        let message = invalid_message(service(&store).update(guild(), &patch, 0, admin()));
        assert!(message.starts_with(expected), "{patch}: {message}");
        assert!(
            service(&store).validate(guild(), &patch).is_err(),
            "{patch}"
        );
    }
    assert!(
        store.keys().is_empty(),
        "no rejected write changed anything"
    );
}

#[test]
fn deployment_writes_check_the_privileges_rule_too() {
    let store = MemoryCasStore::default();
    let patch = json!({"kaltura": {"privileges": {"host": "role:admin;drop"}}});
    let message = invalid_message(service(&store).update_deployment(&patch, 0, ops()));
    assert!(message.starts_with("kaltura.privileges.host:"), "{message}");
    assert!(store.keys().is_empty());
}

#[test]
fn limits_apply_to_the_server_and_deployment_layers_merged() {
    let ids = |from: u64| -> Value {
        (from..from + 60)
            .map(|i| (i.to_string(), json!("viewer")))
            .collect::<serde_json::Map<_, _>>()
            .into()
    };
    let store = MemoryCasStore::default();
    service(&store)
        .update_deployment(
            &json!({"roles": {"mapping": ids(100_000_000_000_000_000)}}),
            0,
            ops(),
        )
        .unwrap();
    let patch = json!({"roles": {"mapping": ids(200_000_000_000_000_000)}});
    let message = invalid_message(service(&store).update(guild(), &patch, 0, admin()));
    assert!(
        message.starts_with("roles.mapping: at most 100 entries"),
        "{message}"
    );
}

#[test]
fn a_set_typed_in_discord_is_read_by_the_key_and_names_it_when_wrong() {
    let store = MemoryCasStore::default();
    let svc = service(&store);
    let done = svc
        .set(
            guild(),
            &format!("roles.mapping.{ROLE}"),
            "Moderator",
            None,
            admin(),
        )
        .unwrap();
    assert_eq!(done.version, 1);
    assert_eq!(done.changed_keys, [format!("roles.mapping.{ROLE}")]);
    let done = svc
        .set(
            guild(),
            "notifications.events.meeting_start.channel_id",
            &format!("<#{CHANNEL}>"),
            Some(1),
            admin(),
        )
        .unwrap();
    assert_eq!(done.version, 2);

    let removed = svc
        .set(
            guild(),
            &format!("roles.mapping.{ROLE}"),
            "none",
            None,
            admin(),
        )
        .unwrap();
    assert_eq!(removed.changed_keys, [format!("roles.mapping.{ROLE}")]);
    assert_eq!(
        overrides_of(&svc.get(guild()).unwrap()),
        json!({"notifications": {"events": {"meeting_start": {"channel_id": CHANNEL}}}}),
        "`none` removes one mapping"
    );

    let message = invalid_message(svc.set(guild(), "features.activity", "maybe", None, admin()));
    assert!(message.starts_with("features.activity:"), "{message}");
    let message = invalid_message(svc.set(guild(), "roles", "admin", None, admin()));
    assert!(message.contains("names a group of settings"), "{message}");
    let message = invalid_message(svc.set(guild(), "kaltura.privileges.join", "x", None, admin()));
    assert!(message.contains("deployment-wide"), "{message}");
    assert_eq!(service(&store).get(guild()).unwrap().version, 3);
}

#[test]
fn the_second_of_two_writes_from_the_same_version_is_refused() {
    let store = MemoryCasStore::default();
    let (first, second) = (service(&store), service(&store));
    assert_eq!(first.get(guild()).unwrap().version, 0);
    assert_eq!(second.get(guild()).unwrap().version, 0);
    first
        .update(
            guild(),
            &json!({"features": {"activity": true}}),
            0,
            admin(),
        )
        .unwrap();
    let refused = second.update(
        guild(),
        &json!({"features": {"embed_player": false}}),
        0,
        input::discord_user(OTHER_ADMIN).unwrap(),
    );
    assert!(
        matches!(&refused, Err(ServiceError::Conflict(m)) if m.contains("expected version 0, stored version 1")),
        "{refused:?}"
    );
    let view = service(&store).get(guild()).unwrap();
    assert_eq!(overrides_of(&view), json!({"features": {"activity": true}}));
    assert_eq!(service(&store).audit_log(guild(), 10).unwrap().len(), 1);
}

#[test]
fn a_set_with_a_stale_version_is_refused() {
    let store = MemoryCasStore::default();
    service(&store)
        .set(guild(), "features.activity", "on", None, admin())
        .unwrap();
    let refused = service(&store).set(guild(), "features.activity", "off", Some(0), admin());
    assert!(matches!(refused, Err(ServiceError::Conflict(_))));
}

/// Writes a valid version 1 of the server's document, as another replica would.
fn other_replica_wrote(store: &MemoryCasStore) {
    let (stored, _) = guild_config::apply_update(
        None,
        0,
        &json!({"features": {"embed_player": false}}),
        input::discord_user(OTHER_ADMIN).unwrap(),
        NOW,
    )
    .unwrap();
    cas::write(
        store,
        &keys::guild(guild()),
        &serde_json::to_vec(&stored).unwrap(),
    )
    .unwrap();
}

/// The keys that are not part of a document's layout (no `#`): documents and audit
/// entries.
fn documents(store: &MemoryCasStore) -> Vec<String> {
    store
        .keys()
        .into_iter()
        .filter(|k| !k.contains(cas::keys::SEPARATOR))
        .collect()
}

#[test]
fn a_write_that_loses_the_compare_and_swap_is_a_conflict_and_changes_nothing() {
    let store = MemoryCasStore::default();
    store.before_next_swap(other_replica_wrote);
    let lost = service(&store).update(
        guild(),
        &json!({"features": {"activity": true}}),
        0,
        admin(),
    );
    assert!(
        matches!(&lost, Err(ServiceError::Conflict(m)) if m.contains("changed meanwhile")),
        "{lost:?}"
    );
    let view = service(&store).get(guild()).unwrap();
    assert_eq!(
        overrides_of(&view),
        json!({"features": {"embed_player": false}})
    );
    assert_eq!(
        documents(&store),
        [keys::guild(guild())],
        "no audit entry for the lost write"
    );
}

#[test]
fn a_set_without_a_version_retries_a_lost_race_on_the_newer_version() {
    let store = MemoryCasStore::default();
    store.before_next_swap(other_replica_wrote);
    let done = service(&store)
        .set(guild(), "features.activity", "on", None, admin())
        .unwrap();
    assert_eq!(done.version, 2);
    let view = service(&store).get(guild()).unwrap();
    assert_eq!(
        overrides_of(&view),
        json!({"features": {"activity": true, "embed_player": false}}),
        "both changes are kept"
    );
}

#[test]
fn resetting_a_section_removes_only_its_overrides() {
    let store = MemoryCasStore::default();
    let svc = service(&store);
    let patch = json!({
        "roles": {"mapping": {ROLE: "admin"}, "default_role": "moderator"},
        "features": {"activity": true}
    });
    svc.update(guild(), &patch, 0, admin()).unwrap();
    let done = svc.reset(guild(), Some(Section::Roles), admin()).unwrap();
    assert_eq!(done.version, 2);
    assert_eq!(
        done.changed_keys,
        [
            "roles.default_role".to_string(),
            format!("roles.mapping.{ROLE}")
        ]
    );
    let view = service(&store).get(guild()).unwrap();
    assert_eq!(overrides_of(&view), json!({"features": {"activity": true}}));
    assert_eq!(config_of(&view)["roles"], defaults_json()["roles"]);
}

#[test]
fn resetting_everything_brings_back_the_deployment_and_default_values() {
    let store = MemoryCasStore::default();
    let svc = service(&store);
    svc.update_deployment(&json!({"features": {"activity": true}}), 0, ops())
        .unwrap();
    let patch = json!({"features": {"activity": false}, "kaltura": {"category_ids": [5]}});
    svc.update(guild(), &patch, 0, admin()).unwrap();
    svc.reset(guild(), None, admin()).unwrap();
    let view = service(&store).get(guild()).unwrap();
    assert_eq!(view.version, 2);
    assert_eq!(overrides_of(&view), json!({}));
    assert!(view.features.activity);
    assert!(view.kaltura.category_ids.is_empty());
}

#[test]
fn every_write_is_audited_with_who_when_which_keys_and_old_and_new_values() {
    let store = MemoryCasStore::default();
    let svc = service(&store);
    svc.update(
        guild(),
        &json!({"roles": {"mapping": {ROLE: "viewer"}}}),
        0,
        admin(),
    )
    .unwrap();
    Service::new(&store, FakeClock::at_secs(NOW + 60))
        .set(
            guild(),
            &format!("roles.mapping.{ROLE}"),
            "admin",
            None,
            ops(),
        )
        .unwrap();

    let log = service(&store).audit_log(guild(), 10).unwrap();
    assert_eq!(log.len(), 2);
    assert_eq!(
        log[0],
        AuditEntry {
            at: NOW + 60,
            actor: ops(),
            version: 2,
            changes: vec![Change {
                path: format!("roles.mapping.{ROLE}"),
                old: Some(json!("viewer")),
                new: Some(json!("admin")),
            }],
        },
        "newest first"
    );
    assert_eq!(
        (log[1].at, &log[1].actor, log[1].version),
        (NOW, &admin(), 1)
    );
    assert_eq!(service(&store).audit_log(guild(), 1).unwrap().len(), 1);
    assert!(service(&store).audit_log(guild(), 0).unwrap().is_empty());
    let other = GuildId::parse(OTHER_GUILD).unwrap();
    assert!(service(&store).audit_log(other, 10).unwrap().is_empty());
}

#[test]
fn the_audit_log_keeps_the_last_200_entries() {
    let store = MemoryCasStore::default();
    let svc = service(&store);
    for version in 0..205_u64 {
        let on = version % 2 == 0;
        svc.update(
            guild(),
            &json!({"features": {"activity": on}}),
            version,
            admin(),
        )
        .unwrap();
    }
    let log = service(&store).audit_log(guild(), 1000).unwrap();
    assert_eq!(log.len(), 200);
    assert_eq!((log[0].version, log[199].version), (205, 6));
    let audit_keys = store
        .keys()
        .into_iter()
        .filter(|k| k.contains("/audit/"))
        .count();
    assert_eq!(audit_keys, 200, "older entries are deleted");
}

#[test]
fn a_failed_audit_write_reports_that_the_change_was_saved() {
    let store = MemoryCasStore::default();
    store.fail_sets_under(Some(&keys::audit(&keys::guild(guild()), 1)));
    let result = service(&store).update(
        guild(),
        &json!({"features": {"activity": true}}),
        0,
        admin(),
    );
    assert!(
        matches!(&result, Err(ServiceError::Storage(m)) if m.contains("saved as version 1")),
        "{result:?}"
    );
    assert_eq!(service(&store).get(guild()).unwrap().version, 1);
}

#[test]
fn a_failing_store_is_a_storage_error() {
    let store = MemoryCasStore::default();
    store.fail_with(Some(StoreError::AccessDenied));
    let err = service(&store).get(guild()).unwrap_err();
    assert_eq!(err.code(), "storage");
    let err = service(&store)
        .update(guild(), &json!({}), 0, admin())
        .unwrap_err();
    assert_eq!(err.code(), "storage");
}

#[test]
fn an_unreadable_or_newer_stored_document_fails_closed() {
    let store = MemoryCasStore::default();
    cas::write(&store, &keys::guild(guild()), b"{not json").unwrap();
    let err = service(&store).get(guild()).unwrap_err();
    assert!(
        matches!(&err, ServiceError::Other(m) if m.contains("config/v1/guild/")),
        "{err:?}"
    );
    assert!(service(&store)
        .update(guild(), &json!({}), 0, admin())
        .is_err());

    let (mut stored, _) = guild_config::apply_update(None, 0, &json!({}), admin(), NOW).unwrap();
    stored.schema = 2;
    cas::write(
        &store,
        &keys::guild(guild()),
        &serde_json::to_vec(&stored).unwrap(),
    )
    .unwrap();
    let err = service(&store).get(guild()).unwrap_err();
    assert!(
        matches!(&err, ServiceError::Other(m) if m.contains("schema 2")),
        "{err:?}"
    );
}

#[test]
fn a_server_is_read_once_per_instance_and_a_change_shows_in_the_next() {
    let store = MemoryCasStore::default();
    let request = service(&store);
    assert_eq!(request.get(guild()).unwrap().version, 0);
    service(&store)
        .set(guild(), "features.activity", "on", None, admin())
        .unwrap();
    let same_request = request.get(guild()).unwrap();
    assert_eq!(
        same_request.version, 0,
        "settings are resolved once per request"
    );
    let next_request = service(&store).get(guild()).unwrap();
    assert_eq!(next_request.version, 1);
    assert!(next_request.features.activity);
}

#[test]
fn an_instance_sees_its_own_writes() {
    let store = MemoryCasStore::default();
    let svc = service(&store);
    assert!(!svc.get(guild()).unwrap().features.activity);
    svc.set(guild(), "features.activity", "on", None, admin())
        .unwrap();
    let view = svc.get(guild()).unwrap();
    assert_eq!(view.version, 1);
    assert!(view.features.activity);
    svc.update_deployment(&json!({"features": {"embed_player": false}}), 0, ops())
        .unwrap();
    let view = svc.get(guild()).unwrap();
    assert_eq!(view.deployment_version, 1);
    assert!(!view.features.embed_player);
}

#[test]
fn permission_checks_use_the_merged_settings() {
    let store = MemoryCasStore::default();
    let svc = service(&store);
    let plain = member(&[], 1 << 11);
    let manager = member(&[], 1 << 5);
    assert!(matches!(
        svc.check_permission(guild(), CommandName::Config, &plain),
        Ok(Access::Denied(_))
    ));
    assert_eq!(
        svc.check_permission(guild(), CommandName::Config, &manager)
            .unwrap(),
        Access::Allowed
    );
    svc.set(
        guild(),
        "commands.kaltura-start.allowed_roles",
        ROLE,
        None,
        admin(),
    )
    .unwrap();
    let svc = service(&store);
    let denied = svc
        .check_permission(guild(), CommandName::Start, &plain)
        .unwrap();
    let Access::Denied(reason) = denied else {
        panic!("expected a denial");
    };
    assert!(reason.to_string().contains(&format!("<@&{ROLE}>")));
    assert_eq!(
        svc.check_permission(guild(), CommandName::Start, &member(&[ROLE], 0))
            .unwrap(),
        Access::Allowed
    );
}

#[test]
fn roles_come_from_the_mapping_and_the_default() {
    let store = MemoryCasStore::default();
    service(&store)
        .update(
            guild(),
            &json!({"roles": {"mapping": {ROLE: "moderator"}}}),
            0,
            admin(),
        )
        .unwrap();
    let svc = service(&store);
    assert_eq!(
        svc.role_for(guild(), &member(&[ROLE], 0)).unwrap(),
        KalturaRole::Moderator
    );
    assert_eq!(
        svc.role_for(guild(), &member(&[], 0)).unwrap(),
        KalturaRole::Viewer
    );
    assert_eq!(
        svc.role_for(guild(), &member(&[], 1 << 3)).unwrap(),
        KalturaRole::Admin
    );
}

#[test]
fn an_event_is_posted_only_once_it_has_a_channel() {
    let store = MemoryCasStore::default();
    assert_eq!(
        service(&store)
            .notification_target(guild(), EventKind::MeetingStart)
            .unwrap(),
        None
    );
    service(&store)
        .set(
            guild(),
            "notifications.events.meeting_start.channel_id",
            CHANNEL,
            None,
            admin(),
        )
        .unwrap();
    let target = service(&store)
        .notification_target(guild(), EventKind::MeetingStart)
        .unwrap()
        .unwrap();
    assert_eq!(target.channel_id.to_string(), CHANNEL);
    assert_eq!(
        target.template,
        guild_config::DEFAULT_MEETING_START_TEMPLATE
    );
    assert!(!target.allow_everyone_mentions);
}

#[test]
fn validating_a_patch_writes_nothing() {
    let store = MemoryCasStore::default();
    let svc = service(&store);
    svc.validate(guild(), &json!({"features": {"activity": true}}))
        .unwrap();
    assert!(store.keys().is_empty());
    let err = svc
        .validate(guild(), &json!({"features": {"activity": 1}}))
        .unwrap_err();
    assert!(matches!(err, ServiceError::Invalid(m) if m.starts_with("features.activity")));
}

#[test]
fn a_section_renders_as_readable_lines() {
    let store = MemoryCasStore::default();
    service(&store)
        .update(
            guild(),
            &json!({"roles": {"mapping": {ROLE: "admin"}}}),
            0,
            admin(),
        )
        .unwrap();
    let lines = service(&store).render(guild(), Section::Roles).unwrap();
    assert!(!lines.is_empty());
    let text: String = lines.iter().map(|(n, v)| format!("{n}: {v}\n")).collect();
    assert!(text.contains(&format!("<@&{ROLE}>")), "{text}");
    assert!(!text.contains('{'), "not raw JSON: {text}");
}

#[test]
fn the_deployment_layer_is_versioned_and_audited() {
    let store = MemoryCasStore::default();
    let svc = service(&store);
    assert_eq!(svc.deployment().unwrap().version, 0);
    let patch = json!({"kaltura": {"privileges": {"join": "role:viewerRole"}}});
    let done = svc.update_deployment(&patch, 0, ops()).unwrap();
    assert_eq!(done.version, 1);
    assert_eq!(done.changed_keys, ["kaltura.privileges.join"]);
    let stale =
        service(&store).update_deployment(&json!({"features": {"activity": true}}), 0, ops());
    assert!(matches!(stale, Err(ServiceError::Conflict(_))));

    let view = service(&store).deployment().unwrap();
    assert_eq!(view.version, 1);
    assert_eq!(
        serde_json::from_str::<Value>(&view.overrides_json).unwrap(),
        patch
    );
    let log = service(&store).deployment_audit_log(10).unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!((log[0].version, &log[0].actor), (1, &ops()));

    let stored: StoredOverrides =
        serde_json::from_slice(&cas::read(&store, keys::DEPLOYMENT).unwrap().unwrap()).unwrap();
    assert_eq!(stored.updated_by, ops());
    assert!(
        service(&store).audit_log(guild(), 10).unwrap().is_empty(),
        "deployment changes are not in a server's log"
    );
}

#[test]
fn the_service_is_ready_with_a_working_store() {
    let kv = common::MemoryKeyValue::default();
    let status = status(&common::MemoryVariables::default(), &kv);
    assert_eq!(status.name, "config");
    assert!(status.is_ready());
}

#[test]
fn of_twenty_concurrent_writes_of_the_same_version_exactly_one_is_accepted_on_either_store() {
    for flavor in [Flavor::Sqlite, Flavor::Redis] {
        let store = MemoryCasStore::new(flavor);
        let outcomes: Vec<Result<UpdateResult, ServiceError>> = std::thread::scope(|scope| {
            let writers: Vec<_> = (0..20)
                .map(|n| {
                    let store = &store;
                    scope.spawn(move || {
                        let patch = json!({"notifications": {"meeting_share": {"template": format!("writer {n}")}}});
                        service(store).update(guild(), &patch, 0, admin())
                    })
                })
                .collect();
            writers.into_iter().map(|w| w.join().unwrap()).collect()
        });
        let accepted = outcomes.iter().filter(|o| o.is_ok()).count();
        assert_eq!(accepted, 1, "{flavor:?}: {outcomes:?}");
        assert!(outcomes
            .iter()
            .filter_map(|o| o.as_ref().err())
            .all(|e| matches!(e, ServiceError::Conflict(_))));
        assert_eq!(service(&store).get(guild()).unwrap().version, 1);
        assert_eq!(service(&store).audit_log(guild(), 100).unwrap().len(), 1);
    }
}

#[test]
fn on_a_redis_store_writes_succeed_once_each_although_every_swap_reports_failure() {
    let store = MemoryCasStore::new(Flavor::Redis);
    for version in 0..3 {
        let done = service(&store)
            .set(
                guild(),
                "features.activity",
                if version % 2 == 0 { "on" } else { "off" },
                Some(version),
                admin(),
            )
            .unwrap();
        assert_eq!(done.version, version + 1);
    }
    let log = service(&store).audit_log(guild(), 10).unwrap();
    let versions: Vec<u64> = log.iter().map(|e| e.version).collect();
    assert_eq!(versions, [3, 2, 1]);
}
