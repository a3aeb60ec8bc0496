//! A server may only choose its own channels: the service asks Discord (a fake here)
//! which server each channel a write sets belongs to, and refuses the write otherwise,
//! from Discord (`set`, dry run or not) and from the API (`update`); the deployment-wide
//! overrides may set no channel.

#![allow(clippy::unwrap_used)]

use common::cas::{Flavor, MemoryCasStore};
use common::FakeClock;
use contracts::{Actor, Config, Error, ErrorKind};
use discord_api::id::GuildId;
use serde_json::json;

use crate::channels::{FakeChannels, Owner};
use crate::Service;

const GUILD: u64 = 123_456_789_012_345_678;
const OTHER_GUILD: u64 = 123_456_789_012_345_679;
/// A channel of `GUILD`.
const OURS: u64 = 323_456_789_012_345_678;
/// A channel of `OTHER_GUILD`.
const THEIRS: u64 = 323_456_789_012_345_679;
/// A direct-message channel.
const DM: u64 = 323_456_789_012_345_680;
/// A channel the bot cannot see (Discord answers 404 or 403).
const HIDDEN: u64 = 323_456_789_012_345_681;
const KEY: &str = "notifications.events.entry_ready.channel_id";

fn discord() -> FakeChannels {
    FakeChannels::owning(GUILD, OURS)
        .with(THEIRS, Owner::Guild(GuildId::new(OTHER_GUILD).unwrap()))
        .with(DM, Owner::NoGuild)
}

fn admin() -> Actor {
    Actor::DiscordUser(987_654_321_098_765_432)
}

fn service<'a>(
    store: &'a MemoryCasStore,
    channels: &'a FakeChannels,
) -> Service<&'a MemoryCasStore, FakeClock, &'a FakeChannels> {
    Service::new(store, FakeClock::at_secs(1_700_000_000), channels)
}

fn set(
    store: &MemoryCasStore,
    channels: &FakeChannels,
    value: &str,
    dry_run: bool,
) -> Result<u64, Error> {
    service(store, channels)
        .set(GUILD, KEY, value, None, dry_run, &admin())
        .map(|done| done.version)
}

fn invalid(result: Result<u64, Error>) -> String {
    match result {
        Err(Error::Invalid(message)) => message,
        other => panic!("expected invalid, got {other:?}"),
    }
}

#[test]
fn a_channel_of_another_server_is_refused_and_nothing_is_written() {
    for flavor in [Flavor::Sqlite, Flavor::Redis] {
        let store = MemoryCasStore::new(flavor);
        let channels = discord();
        for dry_run in [true, false] {
            let message = invalid(set(&store, &channels, &format!("<#{THEIRS}>"), dry_run));
            assert_eq!(
                message,
                format!("{KEY}: channel {THEIRS} belongs to another Discord server; choose a channel of this server")
            );
        }
        let patch = json!({"notifications": {"events": {"entry_ready": {"channel_id": THEIRS.to_string()}}}});
        let err = service(&store, &channels)
            .update(GUILD, &patch.to_string(), 0, &admin())
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Invalid, "{err:?}");
        assert!(store.keys().is_empty(), "a refused write stores nothing");
        assert_eq!(channels.asked(), [THEIRS; 3], "Discord was asked each time");
    }
}

#[test]
fn a_dm_or_a_channel_the_bot_cannot_see_is_refused() {
    let store = MemoryCasStore::default();
    let channels = discord();
    assert!(invalid(set(&store, &channels, &DM.to_string(), false))
        .ends_with("is not a channel of a Discord server"));
    assert!(invalid(set(&store, &channels, &HIDDEN.to_string(), false))
        .contains("cannot be seen by the bot"));
    assert!(store.keys().is_empty());
}

#[test]
fn a_channel_of_this_server_is_saved_and_asked_about_once_per_request() {
    let store = MemoryCasStore::default();
    let channels = discord();
    let request = service(&store, &channels);
    // The bot's order: a dry run, then the write.
    for dry_run in [true, false] {
        request
            .set(GUILD, KEY, &OURS.to_string(), None, dry_run, &admin())
            .unwrap();
    }
    assert_eq!(channels.asked(), [OURS]);
    let overrides: serde_json::Value =
        serde_json::from_str(&request.get(GUILD).unwrap().overrides_json).unwrap();
    assert_eq!(
        overrides["notifications"]["events"]["entry_ready"]["channel_id"],
        OURS.to_string()
    );
}

#[test]
fn a_channel_the_server_already_holds_or_a_removal_needs_no_discord() {
    let store = MemoryCasStore::default();
    let channels = discord();
    set(&store, &channels, &OURS.to_string(), false).unwrap();
    let down = FakeChannels::failing(Error::Unavailable("Discord is down".into()));
    // A client writing its whole document back, the channel unchanged.
    let patch = json!({
        "notifications": {"events": {"entry_ready": {"channel_id": OURS.to_string()}}},
        "features": {"activity": true}
    });
    service(&store, &down)
        .update(GUILD, &patch.to_string(), 1, &admin())
        .unwrap();
    assert_eq!(set(&store, &down, "none", false).unwrap(), 3);
    assert!(down.asked().is_empty());
}

#[test]
fn discord_failing_refuses_the_write_with_its_error() {
    let store = MemoryCasStore::default();
    for error in [
        Error::Unavailable("Discord could not confirm …".into()),
        Error::NotConfigured("discord_bot_token".into()),
    ] {
        let channels = FakeChannels::failing(error.clone());
        assert_eq!(set(&store, &channels, &OURS.to_string(), false), Err(error));
    }
    assert!(store.keys().is_empty());
}

#[test]
fn a_patch_the_schema_refuses_is_refused_before_discord_is_asked() {
    let store = MemoryCasStore::default();
    let channels = discord();
    let patch = json!({
        "notifications": {"events": {"entry_ready": {"channel_id": OURS.to_string()}}},
        "kaltura": {"privileges": {"join": "x"}}
    });
    let err = service(&store, &channels)
        .update(GUILD, &patch.to_string(), 0, &admin())
        .unwrap_err();
    assert!(err.message().contains("deployment-wide"), "{err:?}");
    assert!(channels.asked().is_empty());
}

#[test]
fn the_deployment_wide_overrides_may_not_set_a_channel() {
    let store = MemoryCasStore::default();
    let channels = discord();
    let patch =
        json!({"notifications": {"events": {"meeting_start": {"channel_id": OURS.to_string()}}}});
    let err = service(&store, &channels)
        .update_deployment(
            &patch.to_string(),
            0,
            &Actor::ApiKey("deployment-admin".into()),
        )
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Invalid);
    assert!(err.message().starts_with(
        "notifications.events.meeting_start.channel_id: channels are chosen by each server"
    ));
    assert!(store.keys().is_empty());
    let removal = json!({"notifications": {"events": {"meeting_start": {"channel_id": null}}}});
    service(&store, &channels)
        .update_deployment(
            &removal.to_string(),
            0,
            &Actor::ApiKey("deployment-admin".into()),
        )
        .unwrap();
}
