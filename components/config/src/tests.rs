//! The service through its port, [`contracts::Config`], over the in-memory store playing
//! Spin's SQLite and Redis stores: merge order, the rules callers ask for (permissions,
//! roles, messages, sections), validation, compare-and-set, dry runs, reset, audit and
//! the deployment layer.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use common::cas::{self, Flavor, MemoryCasStore};
use common::{FakeClock, StoreError};
use contracts::config::{
    Access, AuditEntry, Change, Command, Event, MessageKind, Section, UpdateResult,
};
use contracts::{Actor, Config, Error, ErrorKind, KalturaRole, Member};
use guild_config::{defaults_json, Layer, StoredOverrides};
use serde_json::{json, Value};

use crate::channels::FakeChannels;
use crate::{keys, Service};

const GUILD: u64 = 123_456_789_012_345_678;
const OTHER_GUILD: u64 = 123_456_789_012_345_679;
const ADMIN: u64 = 987_654_321_098_765_432;
const OTHER_ADMIN: u64 = 987_654_321_098_765_433;
const ROLE: &str = "223456789012345678";
const ROLE_ID: u64 = 223_456_789_012_345_678;
const CHANNEL: &str = "323456789012345678";
const CHANNEL_ID: u64 = 323_456_789_012_345_678;
const NOW: u64 = 1_700_000_000;

/// Both stores the service runs on in Spin.
const FLAVORS: [Flavor; 2] = [Flavor::Sqlite, Flavor::Redis];

fn admin() -> Actor {
    Actor::DiscordUser(ADMIN)
}

fn ops() -> Actor {
    Actor::ApiKey("ops".into())
}

/// One request's service over a shared store (each call is a new "instance"), with a
/// Discord where `CHANNEL` is this server's.
fn service(store: &MemoryCasStore) -> Service<&MemoryCasStore, FakeClock, FakeChannels> {
    Service::new(
        store,
        FakeClock::at_secs(NOW),
        FakeChannels::owning(GUILD, CHANNEL_ID),
    )
}

fn document_of(settings: &contracts::config::GuildSettings) -> Value {
    serde_json::from_str(&settings.document_json).unwrap()
}

fn overrides_of(settings: &contracts::config::GuildSettings) -> Value {
    serde_json::from_str(&settings.overrides_json).unwrap()
}

fn member(roles: &[u64], permissions: u64) -> Member {
    Member {
        guild_id: GUILD,
        user_id: ADMIN,
        username: "ana".into(),
        global_name: Some("Ana".into()),
        nick: None,
        role_ids: roles.to_vec(),
        permissions,
    }
}

fn invalid_message<T: std::fmt::Debug>(result: Result<T, Error>) -> String {
    match result {
        Err(Error::Invalid(message)) => message,
        other => panic!("expected invalid, got {other:?}"),
    }
}

fn values(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(n, v)| ((*n).to_string(), (*v).to_string()))
        .collect()
}

fn update(
    store: &MemoryCasStore,
    patch: &Value,
    version: u64,
    actor: &Actor,
) -> Result<UpdateResult, Error> {
    service(store).update(GUILD, &patch.to_string(), version, actor)
}

fn set(store: &MemoryCasStore, key: &str, value: &str) -> Result<UpdateResult, Error> {
    service(store).set(GUILD, key, value, None, false, &admin())
}

#[test]
fn a_server_without_overrides_gets_the_compiled_defaults() {
    for flavor in FLAVORS {
        let store = MemoryCasStore::new(flavor);
        let settings = service(&store).get(GUILD).unwrap();
        assert_eq!((settings.version, settings.deployment_version), (0, 0));
        assert_eq!(document_of(&settings), defaults_json());
        assert_eq!(overrides_of(&settings), json!({}));
        assert!(settings.features.embed_player && !settings.features.activity);
        assert_eq!(
            settings.kaltura.join_privileges,
            guild_config::DEFAULT_JOIN_PRIVILEGES
        );
        assert!(store.keys().is_empty(), "reading writes nothing");
    }
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
        .update_deployment(&deployment.to_string(), 0, &ops())
        .unwrap();
    let patch = json!({"features": {"activity": false}, "kaltura": {"player_uiconf_id": 99}});
    update(&store, &patch, 0, &admin()).unwrap();

    let settings = service(&store).get(GUILD).unwrap();
    assert_eq!((settings.version, settings.deployment_version), (1, 1));
    let document = document_of(&settings);
    assert_eq!(
        document["features"]["activity"],
        json!(false),
        "server wins"
    );
    assert_eq!(
        document["features"]["recording_notices"],
        json!(false),
        "deployment applies"
    );
    assert_eq!(
        document["features"]["embed_player"],
        json!(true),
        "default applies"
    );
    assert_eq!(document["roles"]["default_role"], json!("moderator"));
    assert_eq!(settings.kaltura.view_privileges, "sview:*");
    assert_eq!(settings.kaltura.player_uiconf_id, Some(99));
    assert_eq!(
        overrides_of(&settings),
        patch,
        "overrides are the server's own only"
    );

    let other = service(&store).get(OTHER_GUILD).unwrap();
    assert_eq!(other.version, 0);
    assert_eq!(other.kaltura.player_uiconf_id, Some(4711));
}

#[test]
fn a_null_in_a_server_patch_falls_back_to_the_deployment_value() {
    let store = MemoryCasStore::default();
    let svc = service(&store);
    svc.update_deployment(r#"{"features": {"activity": true}}"#, 0, &ops())
        .unwrap();
    svc.update(GUILD, r#"{"features": {"activity": false}}"#, 0, &admin())
        .unwrap();
    svc.update(GUILD, r#"{"features": {"activity": null}}"#, 1, &admin())
        .unwrap();
    let settings = service(&store).get(GUILD).unwrap();
    assert!(settings.features.activity);
    assert_eq!(overrides_of(&settings), json!({}));
}

#[test]
fn a_zero_id_or_a_malformed_actor_or_patch_is_invalid_naming_the_field() {
    let store = MemoryCasStore::default();
    let svc = service(&store);
    let message = invalid_message(svc.get(0));
    assert!(
        message.starts_with("guild-id: must be a Discord ID"),
        "{message}"
    );
    assert!(
        invalid_message(svc.update(GUILD, "{}", 0, &Actor::DiscordUser(0))).starts_with("actor:")
    );
    assert!(
        invalid_message(svc.update(GUILD, "{}", 0, &Actor::ApiKey("a b".into())))
            .starts_with("actor:")
    );
    assert!(invalid_message(svc.update(GUILD, "[1]", 0, &admin())).starts_with("patch-json:"));
    assert!(invalid_message(svc.update_deployment("{", 0, &ops())).starts_with("patch-json:"));
    assert!(invalid_message(svc.render_section(0, Section::Roles)).starts_with("guild-id:"));
    assert!(
        invalid_message(svc.render_message(0, MessageKind::MeetingShare, &[]))
            .starts_with("guild-id:")
    );
    assert!(invalid_message(svc.audit_log(0, 10)).starts_with("guild-id:"));
    assert!(invalid_message(svc.reset(0, None, &admin())).starts_with("guild-id:"));
    let mut zero_role = member(&[ROLE_ID, 0], 0);
    assert!(invalid_message(svc.role_for(&zero_role)).starts_with("member.role-ids[1]:"));
    zero_role.role_ids.clear();
    zero_role.guild_id = 0;
    assert!(
        invalid_message(svc.check_permission(Command::KalturaJoin, &zero_role))
            .starts_with("member.guild-id:")
    );
    assert!(store.keys().is_empty());
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
            json!({"notifications": {"events": {"meeting_start": {"channel_id": "0"}}}}),
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
    for flavor in FLAVORS {
        let store = MemoryCasStore::new(flavor);
        for (patch, expected) in &cases {
            let message = invalid_message(update(&store, patch, 0, &admin()));
            assert!(message.starts_with(expected), "{patch}: {message}");
        }
        assert!(
            store.keys().is_empty(),
            "no rejected write changed anything"
        );
    }
}

#[test]
fn deployment_writes_check_the_privileges_rule_too() {
    let store = MemoryCasStore::default();
    let patch = json!({"kaltura": {"privileges": {"host": "role:admin;drop"}}});
    let message = invalid_message(service(&store).update_deployment(&patch.to_string(), 0, &ops()));
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
    let deployment = json!({"roles": {"mapping": ids(100_000_000_000_000_000)}});
    service(&store)
        .update_deployment(&deployment.to_string(), 0, &ops())
        .unwrap();
    let patch = json!({"roles": {"mapping": ids(200_000_000_000_000_000)}});
    let message = invalid_message(update(&store, &patch, 0, &admin()));
    assert!(
        message.starts_with("roles.mapping: at most 100 entries"),
        "{message}"
    );
}

#[test]
fn a_set_typed_in_discord_is_read_by_the_key_and_names_it_when_wrong() {
    for flavor in FLAVORS {
        let store = MemoryCasStore::new(flavor);
        let svc = service(&store);
        let role_key = format!("roles.mapping.{ROLE}");
        let done = svc
            .set(GUILD, &role_key, "Moderator", None, false, &admin())
            .unwrap();
        assert_eq!(done.version, 1);
        assert_eq!(done.changed_keys, std::slice::from_ref(&role_key));
        let done = svc
            .set(
                GUILD,
                "notifications.events.meeting_start.channel_id",
                &format!("<#{CHANNEL}>"),
                Some(1),
                false,
                &admin(),
            )
            .unwrap();
        assert_eq!(done.version, 2);

        let removed = svc
            .set(GUILD, &role_key, "none", None, false, &admin())
            .unwrap();
        assert_eq!(removed.changed_keys, [role_key]);
        assert_eq!(
            overrides_of(&svc.get(GUILD).unwrap()),
            json!({"notifications": {"events": {"meeting_start": {"channel_id": CHANNEL}}}}),
            "`none` removes one mapping"
        );

        let message = invalid_message(set(&store, "features.activity", "maybe"));
        assert!(message.starts_with("features.activity:"), "{message}");
        let message = invalid_message(set(&store, "roles", "admin"));
        assert!(message.contains("names a group of settings"), "{message}");
        let message = invalid_message(set(&store, "kaltura.privileges.join", "x"));
        assert!(message.contains("deployment-wide"), "{message}");
        assert_eq!(service(&store).get(GUILD).unwrap().version, 3);
    }
}

#[test]
fn a_dry_run_checks_the_key_and_value_and_writes_nothing() {
    for flavor in FLAVORS {
        let store = MemoryCasStore::new(flavor);
        let svc = service(&store);
        let planned = svc
            .set(GUILD, "features.activity", "on", None, true, &admin())
            .unwrap();
        assert_eq!(
            planned,
            UpdateResult {
                version: 1,
                changed_keys: vec!["features.activity".into()],
            },
            "what the write would do"
        );
        assert!(store.keys().is_empty(), "nothing written");
        assert!(!svc.get(GUILD).unwrap().features.activity);

        let typo = invalid_message(svc.set(
            GUILD,
            "roles.default_role",
            "overlord",
            None,
            true,
            &admin(),
        ));
        assert!(
            typo.starts_with("roles.default_role: must be one of"),
            "{typo}"
        );
        let unknown =
            invalid_message(svc.set(GUILD, "features.activty", "on", None, true, &admin()));
        assert!(
            unknown.starts_with("features.activty: unknown key"),
            "{unknown}"
        );
        let deployment_only =
            invalid_message(svc.set(GUILD, "kaltura.privileges.join", "x", None, true, &admin()));
        assert!(
            deployment_only.contains("deployment-wide"),
            "{deployment_only}"
        );
        assert!(store.keys().is_empty());
    }
}

#[test]
fn a_dry_run_against_a_stale_version_is_a_conflict() {
    let store = MemoryCasStore::default();
    set(&store, "features.activity", "on").unwrap();
    let stale = service(&store).set(GUILD, "features.activity", "off", Some(0), true, &admin());
    assert_eq!(stale.unwrap_err().kind(), ErrorKind::Conflict);
    let planned = service(&store)
        .set(GUILD, "features.activity", "off", Some(1), true, &admin())
        .unwrap();
    assert_eq!(planned.version, 2);
    assert_eq!(
        service(&store).get(GUILD).unwrap().version,
        1,
        "nothing written"
    );
}

#[test]
fn the_second_of_two_writes_from_the_same_version_is_refused() {
    let store = MemoryCasStore::default();
    let (first, second) = (service(&store), service(&store));
    assert_eq!(first.get(GUILD).unwrap().version, 0);
    assert_eq!(second.get(GUILD).unwrap().version, 0);
    first
        .update(GUILD, r#"{"features": {"activity": true}}"#, 0, &admin())
        .unwrap();
    let refused = second.update(
        GUILD,
        r#"{"features": {"embed_player": false}}"#,
        0,
        &Actor::DiscordUser(OTHER_ADMIN),
    );
    assert!(
        matches!(&refused, Err(Error::Conflict(m)) if m.contains("expected version 0, stored version 1")),
        "{refused:?}"
    );
    let settings = service(&store).get(GUILD).unwrap();
    assert_eq!(
        overrides_of(&settings),
        json!({"features": {"activity": true}})
    );
    assert_eq!(service(&store).audit_log(GUILD, 10).unwrap().len(), 1);
}

#[test]
fn a_set_with_a_stale_version_is_refused() {
    let store = MemoryCasStore::default();
    set(&store, "features.activity", "on").unwrap();
    let refused = service(&store).set(GUILD, "features.activity", "off", Some(0), false, &admin());
    assert!(matches!(refused, Err(Error::Conflict(_))));
}

/// Writes a valid version 1 of the server's document, as another replica would.
fn other_replica_wrote(store: &MemoryCasStore) {
    let (stored, _) = guild_config::apply_update(
        Layer::Guild,
        None,
        0,
        &json!({"features": {"embed_player": false}}),
        Actor::DiscordUser(OTHER_ADMIN),
        NOW,
    )
    .unwrap()
    .changed()
    .unwrap();
    cas::write(store, &guild_key(), &serde_json::to_vec(&stored).unwrap()).unwrap();
}

fn guild_key() -> String {
    keys::guild(discord_api::id::GuildId::new(GUILD).unwrap())
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
    for flavor in FLAVORS {
        let store = MemoryCasStore::new(flavor);
        store.before_next_swap(other_replica_wrote);
        let lost = update(
            &store,
            &json!({"features": {"activity": true}}),
            0,
            &admin(),
        );
        assert!(
            matches!(&lost, Err(Error::Conflict(m)) if m.contains("changed meanwhile")),
            "{flavor:?}: {lost:?}"
        );
        let settings = service(&store).get(GUILD).unwrap();
        assert_eq!(
            overrides_of(&settings),
            json!({"features": {"embed_player": false}})
        );
        assert_eq!(
            documents(&store),
            [guild_key()],
            "no audit entry for the lost write"
        );
    }
}

#[test]
fn a_set_without_a_version_retries_a_lost_race_on_the_newer_version() {
    for flavor in FLAVORS {
        let store = MemoryCasStore::new(flavor);
        store.before_next_swap(other_replica_wrote);
        let done = set(&store, "features.activity", "on").unwrap();
        assert_eq!(done.version, 2);
        let settings = service(&store).get(GUILD).unwrap();
        assert_eq!(
            overrides_of(&settings),
            json!({"features": {"activity": true, "embed_player": false}}),
            "both changes are kept"
        );
    }
}

#[test]
fn resetting_a_section_removes_only_its_overrides() {
    let store = MemoryCasStore::default();
    let svc = service(&store);
    let patch = json!({
        "roles": {"mapping": {ROLE: "admin"}, "default_role": "moderator"},
        "features": {"activity": true}
    });
    svc.update(GUILD, &patch.to_string(), 0, &admin()).unwrap();
    let done = svc.reset(GUILD, Some(Section::Roles), &admin()).unwrap();
    assert_eq!(done.version, 2);
    assert_eq!(
        done.changed_keys,
        [
            "roles.default_role".to_string(),
            format!("roles.mapping.{ROLE}")
        ]
    );
    let settings = service(&store).get(GUILD).unwrap();
    assert_eq!(
        overrides_of(&settings),
        json!({"features": {"activity": true}})
    );
    assert_eq!(document_of(&settings)["roles"], defaults_json()["roles"]);
}

/// Every key of the store with its value, to show that nothing was written.
fn contents(store: &MemoryCasStore) -> Vec<(String, Option<Vec<u8>>)> {
    store
        .keys()
        .into_iter()
        .map(|k| {
            let value = store.value(&k);
            (k, value)
        })
        .collect()
}

#[test]
fn a_write_that_changes_nothing_answers_the_current_version_and_stores_nothing() {
    for flavor in FLAVORS {
        let store = MemoryCasStore::new(flavor);
        let svc = service(&store);
        let nothing = |version| UpdateResult {
            version,
            changed_keys: Vec::new(),
        };
        // Nothing stored yet: resets and empty patches make no version 1.
        assert_eq!(
            svc.reset(GUILD, Some(Section::Roles), &admin()),
            Ok(nothing(0))
        );
        assert_eq!(svc.reset(GUILD, None, &admin()), Ok(nothing(0)));
        assert_eq!(update(&store, &json!({}), 0, &admin()), Ok(nothing(0)));
        assert_eq!(
            svc.update_deployment("{}", 0, &ops()),
            Ok(nothing(0)),
            "the deployment layer too"
        );
        assert!(store.keys().is_empty(), "{flavor:?}: {:?}", store.keys());

        set(&store, "features.activity", "on").unwrap();
        let before = contents(&store);
        assert_eq!(set(&store, "features.activity", "on"), Ok(nothing(1)));
        assert_eq!(
            service(&store).set(GUILD, "features.activity", "on", Some(1), true, &admin()),
            Ok(nothing(1)),
            "a dry run says the same"
        );
        assert_eq!(
            update(
                &store,
                &json!({"features": {"activity": true}}),
                1,
                &admin()
            ),
            Ok(nothing(1))
        );
        assert_eq!(
            service(&store).reset(GUILD, Some(Section::Roles), &admin()),
            Ok(nothing(1))
        );
        assert_eq!(contents(&store), before, "{flavor:?}: nothing was written");
        assert_eq!(service(&store).audit_log(GUILD, 10).unwrap().len(), 1);
        // Still a compare-and-set: a stale version is refused even when nothing changes.
        assert!(matches!(
            update(&store, &json!({}), 0, &admin()),
            Err(Error::Conflict(_))
        ));
        // The next real change is version 2.
        let reset = service(&store).reset(GUILD, None, &admin()).unwrap();
        assert_eq!(reset.version, 2);
        assert_eq!(reset.changed_keys, ["features.activity"]);
    }
}

#[test]
fn resetting_everything_brings_back_the_deployment_and_default_values() {
    let store = MemoryCasStore::default();
    let svc = service(&store);
    svc.update_deployment(r#"{"features": {"activity": true}}"#, 0, &ops())
        .unwrap();
    let patch = json!({"features": {"activity": false}, "kaltura": {"category_ids": [5]}});
    svc.update(GUILD, &patch.to_string(), 0, &admin()).unwrap();
    svc.reset(GUILD, None, &admin()).unwrap();
    let settings = service(&store).get(GUILD).unwrap();
    assert_eq!(settings.version, 2);
    assert_eq!(overrides_of(&settings), json!({}));
    assert!(settings.features.activity);
    assert!(settings.kaltura.category_ids.is_empty());
}

#[test]
fn every_write_is_audited_with_who_when_which_keys_and_old_and_new_values() {
    for flavor in FLAVORS {
        let store = MemoryCasStore::new(flavor);
        update(
            &store,
            &json!({"roles": {"mapping": {ROLE: "viewer"}}}),
            0,
            &admin(),
        )
        .unwrap();
        Service::new(
            &store,
            FakeClock::at_secs(NOW + 60),
            FakeChannels::owning(GUILD, CHANNEL_ID),
        )
        .set(
            GUILD,
            &format!("roles.mapping.{ROLE}"),
            "admin",
            None,
            false,
            &ops(),
        )
        .unwrap();

        let log = service(&store).audit_log(GUILD, 10).unwrap();
        assert_eq!(log.len(), 2);
        assert_eq!(
            log[0],
            AuditEntry {
                at: NOW + 60,
                actor: ops(),
                version: 2,
                changes: vec![Change {
                    key: format!("roles.mapping.{ROLE}"),
                    old_value: Some(r#""viewer""#.into()),
                    new_value: Some(r#""admin""#.into()),
                }],
            },
            "newest first, values as JSON text"
        );
        assert_eq!(
            (log[1].at, &log[1].actor, log[1].version),
            (NOW, &admin(), 1)
        );
        assert_eq!(service(&store).audit_log(GUILD, 1).unwrap().len(), 1);
        assert!(service(&store).audit_log(GUILD, 0).unwrap().is_empty());
        assert!(service(&store)
            .audit_log(OTHER_GUILD, 10)
            .unwrap()
            .is_empty());
    }
}

#[test]
fn audit_entries_keep_their_stored_form() {
    let store = MemoryCasStore::default();
    update(
        &store,
        &json!({"roles": {"mapping": {ROLE: "viewer"}}}),
        0,
        &admin(),
    )
    .unwrap();
    let stored: Value =
        serde_json::from_slice(&store.value(&keys::audit(&guild_key(), 1)).unwrap()).unwrap();
    assert_eq!(
        stored,
        json!({
            "at": NOW,
            "actor": {"discord_user": ADMIN.to_string()},
            "version": 1,
            "changes": [{"path": format!("roles.mapping.{ROLE}"), "old": null, "new": "viewer"}]
        })
    );
}

#[test]
fn the_audit_log_keeps_the_last_200_entries() {
    let store = MemoryCasStore::default();
    let svc = service(&store);
    for version in 0..205_u64 {
        let on = version % 2 == 0;
        svc.update(
            GUILD,
            &json!({"features": {"activity": on}}).to_string(),
            version,
            &admin(),
        )
        .unwrap();
    }
    let log = service(&store).audit_log(GUILD, 1000).unwrap();
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
    store.fail_sets_under(Some(&keys::audit(&guild_key(), 1)));
    let result = update(
        &store,
        &json!({"features": {"activity": true}}),
        0,
        &admin(),
    );
    assert!(
        matches!(&result, Err(Error::Storage(m)) if m.contains("saved as version 1")),
        "{result:?}"
    );
    assert_eq!(service(&store).get(GUILD).unwrap().version, 1);
}

#[test]
fn a_failing_store_is_a_storage_error_and_not_ready() {
    let store = MemoryCasStore::default();
    store.fail_with(Some(StoreError::AccessDenied));
    let err = service(&store).get(GUILD).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Storage);
    let err = update(&store, &json!({}), 0, &admin()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Storage);
    let err = service(&store)
        .render_message(GUILD, MessageKind::MeetingShare, &[])
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Storage);
    assert!(!service(&store).status().key_value_ok);
}

#[test]
fn an_unreadable_or_newer_stored_document_fails_closed() {
    let store = MemoryCasStore::default();
    cas::write(&store, &guild_key(), b"{not json").unwrap();
    let err = service(&store).get(GUILD).unwrap_err();
    assert!(
        matches!(&err, Error::Other(m) if m.contains("config/v1/guild/")),
        "{err:?}"
    );
    assert!(update(&store, &json!({}), 0, &admin()).is_err());

    let patch = json!({"features": {"activity": true}});
    let (mut stored, _) = guild_config::apply_update(Layer::Guild, None, 0, &patch, admin(), NOW)
        .unwrap()
        .changed()
        .unwrap();
    stored.schema = 2;
    cas::write(&store, &guild_key(), &serde_json::to_vec(&stored).unwrap()).unwrap();
    let err = service(&store).get(GUILD).unwrap_err();
    assert!(
        matches!(&err, Error::Other(m) if m.contains("schema 2")),
        "{err:?}"
    );
}

#[test]
fn a_document_stored_before_the_contract_types_is_still_read() {
    let store = MemoryCasStore::default();
    let before = json!({
        "schema": 1,
        "version": 3,
        "updated_at": NOW,
        "updated_by": {"discord_user": ADMIN.to_string()},
        "doc": {
            "roles": {"mapping": {ROLE: "moderator"}, "default_role": "viewer"},
            "features": {"activity": true},
            "commands": {"kaltura-end": {"required_permissions": "8589934592", "allowed_roles": [ROLE]}},
            "notifications": {"events": {"meeting_start": {"channel_id": CHANNEL}}}
        }
    });
    cas::write(&store, &guild_key(), before.to_string().as_bytes()).unwrap();
    let settings = service(&store).get(GUILD).unwrap();
    assert_eq!(settings.version, 3);
    assert!(settings.features.activity);
    assert_eq!(overrides_of(&settings), before["doc"]);
    assert_eq!(
        service(&store).role_for(&member(&[ROLE_ID], 0)).unwrap(),
        KalturaRole::Moderator
    );
}

#[test]
fn a_server_is_read_once_per_instance_and_a_change_shows_in_the_next() {
    let store = MemoryCasStore::default();
    let request = service(&store);
    assert_eq!(request.get(GUILD).unwrap().version, 0);
    set(&store, "features.activity", "on").unwrap();
    let same_request = request.get(GUILD).unwrap();
    assert_eq!(
        same_request.version, 0,
        "settings are resolved once per request"
    );
    let next_request = service(&store).get(GUILD).unwrap();
    assert_eq!(next_request.version, 1);
    assert!(next_request.features.activity);
}

#[test]
fn an_instance_sees_its_own_writes() {
    let store = MemoryCasStore::default();
    let svc = service(&store);
    assert!(!svc.get(GUILD).unwrap().features.activity);
    svc.set(GUILD, "features.activity", "on", None, false, &admin())
        .unwrap();
    let settings = svc.get(GUILD).unwrap();
    assert_eq!(settings.version, 1);
    assert!(settings.features.activity);
    svc.update_deployment(r#"{"features": {"embed_player": false}}"#, 0, &ops())
        .unwrap();
    let settings = svc.get(GUILD).unwrap();
    assert_eq!(settings.deployment_version, 1);
    assert!(!settings.features.embed_player);
}

#[test]
fn permission_checks_use_the_merged_settings() {
    let store = MemoryCasStore::default();
    let svc = service(&store);
    let plain = member(&[], 1 << 11);
    let manager = member(&[], 1 << 5);
    assert_eq!(
        svc.check_permission(Command::KalturaConfig, &plain)
            .unwrap(),
        Access::Denied("You need these Discord permissions: MANAGE_GUILD.".into())
    );
    assert_eq!(
        svc.check_permission(Command::KalturaConfig, &manager)
            .unwrap(),
        Access::Allowed
    );
    set(&store, "commands.kaltura-start.allowed_roles", ROLE).unwrap();
    let svc = service(&store);
    let denied = svc.check_permission(Command::KalturaStart, &plain).unwrap();
    let Access::Denied(reason) = denied else {
        panic!("expected a denial");
    };
    assert!(reason.contains(&format!("<@&{ROLE}>")), "{reason}");
    assert_eq!(
        svc.check_permission(Command::KalturaStart, &member(&[ROLE_ID], 0))
            .unwrap(),
        Access::Allowed
    );
    let other_server = Member {
        guild_id: OTHER_GUILD,
        ..plain
    };
    assert_eq!(
        svc.check_permission(Command::KalturaStart, &other_server)
            .unwrap(),
        Access::Allowed,
        "the member's own server's settings apply"
    );
}

#[test]
fn administrators_may_always_configure_even_with_every_command_off() {
    let store = MemoryCasStore::default();
    set(&store, "commands.enabled", "off").unwrap();
    let svc = service(&store);
    let administrator = member(&[], 1 << 3);
    assert_eq!(
        svc.check_permission(Command::KalturaConfig, &administrator)
            .unwrap(),
        Access::Allowed
    );
    assert_eq!(
        svc.check_permission(Command::KalturaStart, &administrator)
            .unwrap(),
        Access::Denied("Kaltura commands are turned off on this server.".into())
    );
}

#[test]
fn roles_come_from_the_override_the_administrator_bit_the_mapping_and_the_default() {
    let store = MemoryCasStore::default();
    update(
        &store,
        &json!({"roles": {"mapping": {ROLE: "moderator"}}}),
        0,
        &admin(),
    )
    .unwrap();
    let svc = service(&store);
    assert_eq!(
        svc.role_for(&member(&[ROLE_ID], 0)).unwrap(),
        KalturaRole::Moderator
    );
    assert_eq!(svc.role_for(&member(&[], 0)).unwrap(), KalturaRole::Viewer);
    assert_eq!(
        svc.role_for(&member(&[], 1 << 3)).unwrap(),
        KalturaRole::Admin
    );
    set(&store, &format!("roles.user_overrides.{ADMIN}"), "viewer").unwrap();
    assert_eq!(
        service(&store)
            .role_for(&member(&[ROLE_ID], 1 << 3))
            .unwrap(),
        KalturaRole::Viewer,
        "a per-user override wins"
    );
}

#[test]
fn an_event_is_rendered_with_the_servers_template_for_its_chosen_channel_or_none() {
    let store = MemoryCasStore::default();
    let start = MessageKind::Event(Event::MeetingStart);
    let filled = values(&[
        ("title", "Weekly"),
        ("type", "Webinar"),
        ("url", "the Join button below"),
    ]);
    let unrouted = service(&store)
        .render_message(GUILD, start, &filled)
        .unwrap()
        .unwrap();
    assert_eq!(
        unrouted.channel_id, None,
        "no channel chosen: the caller knows where (a meeting's own channel) or nowhere"
    );
    set(
        &store,
        "notifications.events.meeting_start.channel_id",
        CHANNEL,
    )
    .unwrap();
    let message = service(&store)
        .render_message(GUILD, start, &filled)
        .unwrap()
        .unwrap();
    assert_eq!(message.channel_id, Some(CHANNEL_ID));
    assert_eq!(
        message.content,
        "📢 **Weekly** (Webinar) has started. Join: the Join button below"
    );
    assert!(!message.allow_everyone_mentions);

    set(
        &store,
        "notifications.events.meeting_start.template",
        "@everyone {{title}} {{owner}}",
    )
    .unwrap();
    set(&store, "notifications.allow_everyone_mentions", "on").unwrap();
    let message = service(&store)
        .render_message(GUILD, start, &filled)
        .unwrap()
        .unwrap();
    assert_eq!(
        message.content, "@everyone Weekly ",
        "a missing value is empty"
    );
    assert!(message.allow_everyone_mentions);
}

#[test]
fn an_event_turned_off_or_recording_ready_with_recording_notices_off_is_not_posted() {
    let store = MemoryCasStore::default();
    let ready = MessageKind::Event(Event::RecordingReady);
    set(
        &store,
        "notifications.events.recording_ready.channel_id",
        CHANNEL,
    )
    .unwrap();
    assert!(service(&store)
        .render_message(GUILD, ready, &[])
        .unwrap()
        .is_some());
    set(&store, "features.recording_notices", "off").unwrap();
    assert_eq!(
        service(&store).render_message(GUILD, ready, &[]).unwrap(),
        None
    );
    let end = MessageKind::Event(Event::MeetingEnd);
    set(&store, "notifications.events.meeting_end.enabled", "off").unwrap();
    assert_eq!(
        service(&store).render_message(GUILD, end, &[]).unwrap(),
        None
    );
    let start = MessageKind::Event(Event::MeetingStart);
    assert!(service(&store)
        .render_message(GUILD, start, &[])
        .unwrap()
        .is_some());
    set(&store, "notifications.enabled", "off").unwrap();
    assert_eq!(
        service(&store).render_message(GUILD, start, &[]).unwrap(),
        None
    );
}

#[test]
fn a_meeting_share_is_always_rendered_without_a_channel() {
    let store = MemoryCasStore::default();
    set(&store, "notifications.enabled", "off").unwrap();
    let message = service(&store)
        .render_message(
            GUILD,
            MessageKind::MeetingShare,
            &values(&[
                ("shared_by", "<@1>"),
                ("title", "T"),
                ("type", "Webinar"),
                ("url", "below"),
            ]),
        )
        .unwrap()
        .unwrap();
    assert_eq!(message.channel_id, None);
    assert_eq!(
        message.content,
        "<@1> invites you to **T** (Webinar): below"
    );
}

#[test]
fn a_section_renders_as_readable_lines() {
    let store = MemoryCasStore::default();
    update(
        &store,
        &json!({"roles": {"mapping": {ROLE: "admin"}}}),
        0,
        &admin(),
    )
    .unwrap();
    let lines = service(&store)
        .render_section(GUILD, Section::Roles)
        .unwrap();
    assert!(!lines.is_empty() && lines.len() <= 25);
    let text: String = lines
        .iter()
        .map(|l| format!("{}: {}\n", l.name, l.value))
        .collect();
    assert!(text.contains(&format!("<@&{ROLE}>")), "{text}");
    assert!(!text.contains('{'), "not raw JSON: {text}");
}

#[test]
fn the_settable_keys_are_a_servers_in_document_order_with_what_they_take() {
    let store = MemoryCasStore::default();
    let keys = service(&store).settable_keys();
    let names: Vec<&str> = keys.iter().map(|k| k.key.as_str()).collect();
    assert!(names.contains(&"features.activity"));
    assert!(names.contains(&"roles.mapping.<role_id>"));
    assert!(
        !names.iter().any(|k| k.starts_with("kaltura.privileges")),
        "deployment-only keys are not listed"
    );
    assert_eq!(names.first(), Some(&"commands.enabled"), "document order");
    assert!(keys
        .iter()
        .all(|k| !k.expects.is_empty() && !k.doc.is_empty()));
    let activity = keys.iter().find(|k| k.key == "features.activity").unwrap();
    assert_eq!(activity.expects, "true or false");
}

#[test]
fn the_deployment_layer_is_versioned_and_audited() {
    let store = MemoryCasStore::default();
    let svc = service(&store);
    assert_eq!(svc.get_deployment().unwrap().version, 0);
    let patch = json!({"kaltura": {"privileges": {"join": "role:viewerRole"}}});
    let done = svc
        .update_deployment(&patch.to_string(), 0, &ops())
        .unwrap();
    assert_eq!(done.version, 1);
    assert_eq!(done.changed_keys, ["kaltura.privileges.join"]);
    let stale = service(&store).update_deployment(r#"{"features": {"activity": true}}"#, 0, &ops());
    assert!(matches!(stale, Err(Error::Conflict(_))));

    let deployment = service(&store).get_deployment().unwrap();
    assert_eq!(deployment.version, 1);
    assert_eq!(
        serde_json::from_str::<Value>(&deployment.overrides_json).unwrap(),
        patch
    );
    let log = service(&store).deployment_audit_log(10).unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!((log[0].version, &log[0].actor), (1, &ops()));

    let stored: StoredOverrides =
        serde_json::from_slice(&cas::read(&store, keys::DEPLOYMENT).unwrap().unwrap()).unwrap();
    assert_eq!(stored.updated_by, ops());
    assert!(
        service(&store).audit_log(GUILD, 10).unwrap().is_empty(),
        "deployment changes are not in a server's log"
    );
}

#[test]
fn the_service_is_ready_with_a_working_store_and_needs_no_setting() {
    for flavor in FLAVORS {
        let store = MemoryCasStore::new(flavor);
        let status = service(&store).status();
        assert_eq!(status.name, "config");
        assert_eq!(status.version, env!("CARGO_PKG_VERSION"));
        assert!(status.missing_settings.is_empty());
        assert!(status.key_value_ok);
        assert!(store.keys().is_empty(), "the probe is removed again");
    }
}

#[test]
fn of_twenty_concurrent_writes_of_the_same_version_exactly_one_is_accepted_on_either_store() {
    for flavor in FLAVORS {
        let store = MemoryCasStore::new(flavor);
        let outcomes: Vec<Result<UpdateResult, Error>> = std::thread::scope(|scope| {
            let writers: Vec<_> = (0..20)
                .map(|n| {
                    let store = &store;
                    scope.spawn(move || {
                        let patch = json!({"notifications": {"meeting_share": {"template": format!("writer {n}")}}});
                        update(store, &patch, 0, &admin())
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
            .all(|e| matches!(e, Error::Conflict(_))));
        assert_eq!(service(&store).get(GUILD).unwrap().version, 1);
        assert_eq!(service(&store).audit_log(GUILD, 100).unwrap().len(), 1);
    }
}

#[test]
fn on_a_redis_store_writes_succeed_once_each_although_every_swap_reports_failure() {
    let store = MemoryCasStore::new(Flavor::Redis);
    for version in 0..3 {
        let done = service(&store)
            .set(
                GUILD,
                "features.activity",
                if version % 2 == 0 { "on" } else { "off" },
                Some(version),
                false,
                &admin(),
            )
            .unwrap();
        assert_eq!(done.version, version + 1);
    }
    let log = service(&store).audit_log(GUILD, 10).unwrap();
    let versions: Vec<u64> = log.iter().map(|e| e.version).collect();
    assert_eq!(versions, [3, 2, 1]);
}

/// A clock two services can share, moved by the test (the cache tests).
#[derive(Clone)]
struct SharedClock(std::rc::Rc<std::cell::Cell<u64>>);

impl SharedClock {
    fn at_secs(secs: u64) -> Self {
        Self(std::rc::Rc::new(std::cell::Cell::new(secs * 1000)))
    }

    fn advance(&self, by: std::time::Duration) {
        self.0
            .set(self.0.get() + u64::try_from(by.as_millis()).unwrap());
    }
}

impl common::Clock for SharedClock {
    fn now_millis(&self) -> u64 {
        self.0.get()
    }

    fn sleep(&self, by: std::time::Duration) {
        self.advance(by);
    }
}

/// A long-lived service (one reused instance) with a cache TTL and the shared clock.
fn replica<'a>(
    store: &'a MemoryCasStore,
    clock: &SharedClock,
    ttl_secs: u64,
) -> Service<&'a MemoryCasStore, SharedClock, FakeChannels> {
    Service::new(
        store,
        clock.clone(),
        FakeChannels::owning(GUILD, CHANNEL_ID),
    )
    .with_cache_ttl(std::time::Duration::from_secs(ttl_secs))
}

fn activity(settings: &contracts::config::GuildSettings) -> Value {
    document_of(settings)["features"]["activity"].clone()
}

#[test]
fn a_change_on_another_replica_is_seen_once_the_cache_ttl_has_passed_and_not_before() {
    let store = MemoryCasStore::new(Flavor::Sqlite);
    let clock = SharedClock::at_secs(NOW);
    let a = replica(&store, &clock, 5);
    let b = replica(&store, &clock, 5);
    let before = activity(&b.get(GUILD).unwrap());
    assert_eq!(before, json!(false), "the compiled default");

    a.set(GUILD, "features.activity", "on", None, false, &admin())
        .unwrap();
    clock.advance(std::time::Duration::from_millis(4_999));
    assert_eq!(
        activity(&b.get(GUILD).unwrap()),
        before,
        "read within the TTL"
    );
    clock.advance(std::time::Duration::from_millis(1));
    assert_eq!(activity(&b.get(GUILD).unwrap()), json!(true));
}

#[test]
fn a_write_is_seen_at_once_by_the_replica_that_made_it() {
    let store = MemoryCasStore::new(Flavor::Sqlite);
    let clock = SharedClock::at_secs(NOW);
    let a = replica(&store, &clock, 60);
    a.get(GUILD).unwrap();
    a.set(GUILD, "features.activity", "on", None, false, &admin())
        .unwrap();
    assert_eq!(activity(&a.get(GUILD).unwrap()), json!(true));

    let deployment = a.get_deployment().unwrap();
    a.update_deployment(
        &json!({"features": {"activity": true}}).to_string(),
        deployment.version,
        &ops(),
    )
    .unwrap();
    assert!(a.get_deployment().unwrap().overrides_json.contains("true"));
}

#[test]
fn the_deployment_document_is_read_again_after_the_ttl() {
    let store = MemoryCasStore::new(Flavor::Sqlite);
    let clock = SharedClock::at_secs(NOW);
    let a = replica(&store, &clock, 5);
    let b = replica(&store, &clock, 5);
    let version = b.get_deployment().unwrap().version;
    a.update_deployment(
        &json!({"features": {"activity": true}}).to_string(),
        version,
        &ops(),
    )
    .unwrap();
    assert_eq!(
        b.get_deployment().unwrap().version,
        version,
        "within the TTL"
    );
    clock.advance(std::time::Duration::from_secs(5));
    assert!(b.get_deployment().unwrap().version > version);
}

#[test]
fn a_ttl_of_zero_reads_the_store_on_every_call() {
    let store = MemoryCasStore::new(Flavor::Sqlite);
    let clock = SharedClock::at_secs(NOW);
    let a = replica(&store, &clock, 0);
    let b = replica(&store, &clock, 0);
    b.get(GUILD).unwrap();
    a.set(GUILD, "features.activity", "on", None, false, &admin())
        .unwrap();
    assert_eq!(activity(&b.get(GUILD).unwrap()), json!(true));
}
