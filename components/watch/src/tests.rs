//! The service natively: an in-memory store playing Spin's SQLite or Redis store and a
//! fake clock.

use std::time::Duration;

use common::cas::{Flavor, MemoryCasStore};
use common::{FakeClock, MemoryVariables};
use contracts::watch::{ControlAction, Viewer};
use contracts::Error;

use crate::{Env, Service};

const GUILD: u64 = 1_100_000_000_000_000_001;
const OTHER_GUILD: u64 = 1_100_000_000_000_000_009;
const CHANNEL: u64 = 1_300_000_000_000_000_003;
const ANN: u64 = 1_200_000_000_000_000_001;
const BOB: u64 = 1_200_000_000_000_000_002;

struct World {
    kv: MemoryCasStore,
    clock: FakeClock,
    vars: MemoryVariables,
}

impl World {
    fn new(flavor: Flavor) -> Self {
        Self {
            kv: MemoryCasStore::new(flavor),
            clock: FakeClock::at_millis(1_700_000_000_000),
            vars: MemoryVariables::default(),
        }
    }

    fn service(&self) -> Service<'_> {
        Service::new(Env {
            vars: &self.vars,
            kv: &self.kv,
            clock: &self.clock,
            log: &|_| {},
        })
    }

    fn advance_ms(&self, ms: u64) {
        self.clock.advance(Duration::from_millis(ms));
    }

    fn room_writes(&self) -> usize {
        self.kv
            .keys()
            .iter()
            .filter(|k| k.starts_with("watch/v1/room/") && k.contains('#'))
            .count()
    }
}

fn viewer(user_id: u64, name: &str) -> Viewer {
    Viewer {
        user_id,
        display_name: name.into(),
    }
}

#[test]
fn a_room_opens_on_the_video_its_voice_channel_asked_for() {
    let world = World::new(Flavor::Sqlite);
    let service = world.service();
    service
        .request_video(GUILD, CHANNEL, "0_abc123", ANN)
        .unwrap();
    let state = service
        .join("i-1", GUILD, Some(CHANNEL), None, &viewer(ANN, "Ann"))
        .unwrap();
    assert_eq!(state.entry_id, "0_abc123");
    assert_eq!(state.host_id, ANN);
    assert_eq!(state.viewers.len(), 1);
}

#[test]
fn a_request_older_than_fifteen_minutes_is_forgotten() {
    let world = World::new(Flavor::Sqlite);
    let service = world.service();
    service
        .request_video(GUILD, CHANNEL, "0_abc123", ANN)
        .unwrap();
    world.advance_ms(15 * 60 * 1000 + 1);
    assert!(matches!(
        service.join("i-1", GUILD, Some(CHANNEL), None, &viewer(ANN, "Ann")),
        Err(Error::Invalid(_))
    ));
}

#[test]
fn bad_input_is_refused_and_writes_nothing() {
    let world = World::new(Flavor::Sqlite);
    let service = world.service();
    assert!(matches!(
        service.join("a/b", GUILD, None, Some("0_a"), &viewer(ANN, "Ann")),
        Err(Error::Invalid(_))
    ));
    assert!(matches!(
        service.join("r", GUILD, None, Some("0_a,x"), &viewer(ANN, "Ann")),
        Err(Error::Invalid(_))
    ));
    assert!(matches!(
        service.join("r", GUILD, None, Some("0_a"), &viewer(0, "Ann")),
        Err(Error::Invalid(_))
    ));
    assert!(matches!(
        service.request_video(GUILD, CHANNEL, "", ANN),
        Err(Error::Invalid(_))
    ));
    assert!(world.kv.keys().is_empty());
}

#[test]
fn a_member_of_another_server_cannot_join() {
    let world = World::new(Flavor::Sqlite);
    let service = world.service();
    service
        .join("c-1", GUILD, None, Some("0_abc"), &viewer(ANN, "Ann"))
        .unwrap();
    assert!(matches!(
        service.join("c-1", OTHER_GUILD, None, Some("0_abc"), &viewer(BOB, "Bob")),
        Err(Error::Forbidden(_))
    ));
    assert_eq!(service.state("c-1", ANN).unwrap().viewers.len(), 1);
}

#[test]
fn polling_writes_a_heartbeat_at_most_every_five_seconds() {
    let world = World::new(Flavor::Sqlite);
    let service = world.service();
    service
        .join("c-1", GUILD, None, Some("0_abc"), &viewer(ANN, "Ann"))
        .unwrap();
    let writes = world.room_writes();
    for _ in 0..40 {
        world.advance_ms(100);
        service.state("c-1", ANN).unwrap();
    }
    assert_eq!(world.room_writes(), writes, "4 s of polling writes nothing");
    world.advance_ms(1_000);
    let state = service.state("c-1", ANN).unwrap();
    assert_eq!(state.viewers[0].last_seen_ms, state.server_now_ms);
}

#[test]
fn followers_cannot_control_and_the_host_needs_the_current_version() {
    for flavor in [Flavor::Sqlite, Flavor::Redis] {
        let world = World::new(flavor);
        let service = world.service();
        service
            .join("c-1", GUILD, None, Some("0_abc"), &viewer(ANN, "Ann"))
            .unwrap();
        let joined = service
            .join("c-1", GUILD, None, None, &viewer(BOB, "Bob"))
            .unwrap();
        assert!(matches!(
            service.control("c-1", BOB, ControlAction::Play(0), joined.version),
            Err(Error::Forbidden(_))
        ));
        assert!(matches!(
            service.control("c-1", ANN, ControlAction::Play(0), joined.version - 1),
            Err(Error::Conflict(_))
        ));
        let played = service
            .control("c-1", ANN, ControlAction::Play(5_000), joined.version)
            .unwrap();
        assert!(played.playback.playing);
        assert_eq!(played.playback.position_ms, 5_000);
        assert_eq!(played.version, joined.version + 1);
        assert_eq!(service.state("c-1", BOB).unwrap(), {
            let mut seen = played.clone();
            seen.server_now_ms = common::Clock::now_millis(&world.clock);
            seen
        });
    }
}

#[test]
fn a_host_who_stops_polling_is_replaced_after_the_timeout() {
    let world = World::new(Flavor::Sqlite);
    let service = world.service();
    service
        .join("c-1", GUILD, None, Some("0_abc"), &viewer(ANN, "Ann"))
        .unwrap();
    world.advance_ms(10);
    service
        .join("c-1", GUILD, None, None, &viewer(BOB, "Bob"))
        .unwrap();
    for _ in 0..4 {
        world.advance_ms(4_000);
        service.state("c-1", BOB).unwrap();
    }
    let state = service.state("c-1", BOB).unwrap();
    assert_eq!(state.host_id, BOB);
    assert_eq!(state.viewers.len(), 1);
    assert!(matches!(service.state("c-1", ANN), Err(Error::NotFound(_))));
}

#[test]
fn the_presence_timeout_is_a_setting() {
    let mut world = World::new(Flavor::Sqlite);
    world.vars = MemoryVariables::from_pairs(&[("watch_presence_timeout_seconds", "2")]);
    let service = world.service();
    service
        .join("c-1", GUILD, None, Some("0_abc"), &viewer(ANN, "Ann"))
        .unwrap();
    service
        .join("c-1", GUILD, None, None, &viewer(BOB, "Bob"))
        .unwrap();
    world.advance_ms(1_500);
    service.state("c-1", BOB).unwrap();
    world.advance_ms(1_000);
    assert_eq!(service.state("c-1", BOB).unwrap().host_id, BOB);
}

#[test]
fn the_host_hands_over_and_a_leaving_host_is_replaced() {
    let world = World::new(Flavor::Redis);
    let service = world.service();
    service
        .join("c-1", GUILD, None, Some("0_abc"), &viewer(ANN, "Ann"))
        .unwrap();
    service
        .join("c-1", GUILD, None, None, &viewer(BOB, "Bob"))
        .unwrap();
    assert!(matches!(
        service.hand_over("c-1", BOB, ANN),
        Err(Error::Forbidden(_))
    ));
    assert_eq!(service.hand_over("c-1", ANN, BOB).unwrap().host_id, BOB);
    let after = service.leave("c-1", BOB).unwrap();
    assert_eq!(after.host_id, ANN);
    assert_eq!(after.viewers.len(), 1);
}

#[test]
fn unknown_rooms_are_not_found() {
    let world = World::new(Flavor::Sqlite);
    let service = world.service();
    assert!(matches!(
        service.state("nope", ANN),
        Err(Error::NotFound(_))
    ));
    assert!(matches!(
        service.control("nope", ANN, ControlAction::Pause(0), 1),
        Err(Error::NotFound(_))
    ));
    assert!(matches!(
        service.leave("nope", ANN),
        Err(Error::NotFound(_))
    ));
    assert!(world.kv.keys().is_empty());
}

#[test]
fn a_room_empty_for_ten_minutes_starts_afresh_on_the_next_join() {
    let world = World::new(Flavor::Sqlite);
    let service = world.service();
    service
        .join("c-1", GUILD, None, Some("0_abc"), &viewer(ANN, "Ann"))
        .unwrap();
    service.leave("c-1", ANN).unwrap();
    world.advance_ms(11 * 60 * 1000);
    let state = service
        .join("c-1", OTHER_GUILD, None, Some("0_new"), &viewer(BOB, "Bob"))
        .unwrap();
    assert_eq!(state.entry_id, "0_new");
    assert_eq!(state.version, 1);
}

#[test]
fn observing_never_keeps_a_viewer_present() {
    let world = World::new(Flavor::Sqlite);
    let service = world.service();
    service
        .join("c-1", GUILD, None, Some("0_abc"), &viewer(ANN, "Ann"))
        .unwrap();
    service
        .join("c-1", GUILD, None, None, &viewer(BOB, "Bob"))
        .unwrap();
    // Ann's request keeps looking after she went away; Bob keeps polling.
    for _ in 0..4 {
        world.advance_ms(4_000);
        let _still_looking = service.observe("c-1", ANN);
        service.state("c-1", BOB).unwrap();
    }
    let state = service.state("c-1", BOB).unwrap();
    assert_eq!(
        state.host_id, BOB,
        "Ann timed out although her request kept looking"
    );
    assert!(matches!(
        service.observe("c-1", ANN),
        Err(Error::NotFound(_))
    ));
}
