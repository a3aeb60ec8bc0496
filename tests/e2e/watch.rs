//! Watch rooms end to end: the real gateway composed with the real `watch` component
//! (and `identity`, `config`, `kaltura`), members signed in through the fake Discord.
//! Who may join and control, versions, long-polls that wake on a change, presence and
//! host takeover (with a one-second presence timeout, a deployment setting, instead of
//! waiting 15 s), and that refused requests change nothing in the store.

use crate::api::{api_world, call, token_of, ADA, BOB, GUILD_A, GUILD_B};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

const ROOM: &str = "/api/v1/watch/rooms/c-555";

fn watch_keys(world: &crate::support::World) -> Vec<(String, Vec<u8>)> {
    world
        .app
        .store()
        .into_iter()
        .filter(|(k, _)| k.starts_with("watch/v1/"))
        .collect()
}

#[tokio::test]
async fn members_share_a_room_only_the_host_controls_and_stale_versions_conflict() {
    let world = api_world(&[]).await;
    let mut client = world.client();
    let ada = token_of(&mut client, "code-ada", GUILD_A).await;
    let bob = token_of(&mut client, "code-bob", GUILD_A).await;

    let r = call(
        &mut client,
        "POST",
        &format!("{ROOM}/join"),
        Some(&ada),
        Some(json!({"entry_id": "0_abc123"})),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let created = r.json().unwrap();
    assert_eq!(created["host_id"], ADA);
    assert_eq!(created["entry_id"], "0_abc123");
    let r = call(
        &mut client,
        "POST",
        &format!("{ROOM}/join"),
        Some(&bob),
        None,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let joined = r.json().unwrap();
    let names: Vec<&str> = joined["viewers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["user_id"].as_str().unwrap())
        .collect();
    assert_eq!(names, [ADA, BOB], "earliest joined first");
    let version = joined["version"].as_u64().unwrap();

    let before = watch_keys(&world);
    let play = |expected: u64| json!({"action": "play", "position_ms": 1500, "expected_version": expected});
    let r = call(
        &mut client,
        "POST",
        &format!("{ROOM}/control"),
        Some(&bob),
        Some(play(version)),
    )
    .await;
    assert_eq!(r.status, 403, "a follower cannot control: {}", r.text());
    let r = call(
        &mut client,
        "POST",
        &format!("{ROOM}/control"),
        Some(&ada),
        Some(play(version - 1)),
    )
    .await;
    assert_eq!(r.status, 409, "{}", r.text());
    for bad in [
        json!({"action": "rewind", "position_ms": 1, "expected_version": version}),
        json!({"action": "play", "position_ms": -1, "expected_version": version}),
        json!({"action": "play", "expected_version": version}),
        json!({"action": "seek", "position_ms": 999_999_999_999u64, "expected_version": version}),
    ] {
        let r = call(
            &mut client,
            "POST",
            &format!("{ROOM}/control"),
            Some(&ada),
            Some(bad.clone()),
        )
        .await;
        assert_eq!(r.status, 400, "{bad}: {}", r.text());
    }
    let r = call(
        &mut client,
        "POST",
        "/api/v1/watch/rooms/bad%2Froom/join",
        Some(&ada),
        Some(json!({"entry_id": "0_x"})),
    )
    .await;
    assert!(r.status == 400 || r.status == 404, "{}", r.text());
    assert_eq!(
        watch_keys(&world),
        before,
        "refused requests change nothing"
    );

    let r = call(
        &mut client,
        "POST",
        &format!("{ROOM}/control"),
        Some(&ada),
        Some(play(version)),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let played = r.json().unwrap();
    assert_eq!(played["playback"]["playing"], true);
    assert_eq!(played["playback"]["position_ms"], 1500);
    assert_eq!(played["version"], version + 1);
    let r = call(&mut client, "GET", ROOM, Some(&bob), None).await;
    assert_eq!(r.json().unwrap()["playback"], played["playback"]);
}

#[tokio::test]
async fn a_member_of_another_server_and_api_keys_cannot_watch() {
    let world = api_world(&[]).await;
    let mut client = world.client();
    let ada = token_of(&mut client, "code-ada", GUILD_A).await;
    let carl = token_of(&mut client, "code-carl", GUILD_B).await;
    let r = call(
        &mut client,
        "POST",
        &format!("{ROOM}/join"),
        Some(&ada),
        Some(json!({"entry_id": "0_abc123"})),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let before = watch_keys(&world);

    let r = call(
        &mut client,
        "POST",
        &format!("{ROOM}/join"),
        Some(&carl),
        None,
    )
    .await;
    assert_eq!(r.status, 403, "{}", r.text());
    for (method, path, body) in [
        ("GET", ROOM.to_owned(), None),
        ("POST", format!("{ROOM}/leave"), None),
        (
            "POST",
            format!("{ROOM}/control"),
            Some(json!({"action": "pause", "position_ms": 0, "expected_version": 1})),
        ),
        (
            "POST",
            format!("{ROOM}/host"),
            Some(json!({"user_id": ADA})),
        ),
    ] {
        let r = call(&mut client, method, &path, Some(&carl), body).await;
        assert!(
            [403, 404].contains(&r.status),
            "{method} {path}: {} {}",
            r.status,
            r.text()
        );
        assert!(!r.text().contains("0_abc123"), "nothing of the room leaks");
    }

    let r = call(
        &mut client,
        "POST",
        "/api/v1/guilds/111111111111111111/api-keys",
        Some(&ada),
        Some(json!({"label": "bot", "scopes": ["media:read"]})),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let key = r.json().unwrap()["key"].as_str().unwrap().to_owned();
    let r = call(&mut client, "GET", ROOM, Some(&key), None).await;
    assert_eq!(r.status, 403, "API keys cannot watch: {}", r.text());
    assert_eq!(watch_keys(&world), before, "nothing changed");
}

#[tokio::test]
async fn a_long_poll_wakes_when_the_host_plays_and_otherwise_waits_wait_ms() {
    let world = api_world(&[]).await;
    let mut client = world.client();
    let ada = token_of(&mut client, "code-ada", GUILD_A).await;
    let bob = token_of(&mut client, "code-bob", GUILD_A).await;
    call(
        &mut client,
        "POST",
        &format!("{ROOM}/join"),
        Some(&ada),
        Some(json!({"entry_id": "0_abc123"})),
    )
    .await;
    let r = call(
        &mut client,
        "POST",
        &format!("{ROOM}/join"),
        Some(&bob),
        None,
    )
    .await;
    let version = r.json().unwrap()["version"].as_u64().unwrap();

    let started = Instant::now();
    let r = call(
        &mut client,
        "GET",
        &format!("{ROOM}?after={version}&wait_ms=600"),
        Some(&bob),
        None,
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json().unwrap()["version"], version);
    assert!(started.elapsed() >= Duration::from_millis(600), "waited");

    let mut poller = world.client();
    let bob_poll = bob.clone();
    let poll = tokio::spawn(async move {
        let started = Instant::now();
        let r = call(
            &mut poller,
            "GET",
            &format!("{ROOM}?after={version}&wait_ms=20000"),
            Some(&bob_poll),
            None,
        )
        .await;
        (r.status, r.json().unwrap(), started.elapsed())
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let r = call(
        &mut client,
        "POST",
        &format!("{ROOM}/control"),
        Some(&ada),
        Some(json!({"action": "play", "position_ms": 0, "expected_version": version})),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let (status, state, waited): (u16, Value, Duration) = poll.await.unwrap();
    assert_eq!(status, 200);
    assert_eq!(state["version"], version + 1);
    assert_eq!(state["playback"]["playing"], true);
    assert!(
        waited < Duration::from_secs(5),
        "woke on the change, after {waited:?}"
    );
    let r = call(
        &mut client,
        "GET",
        &format!("{ROOM}?wait_ms=25001"),
        Some(&bob),
        None,
    )
    .await;
    assert_eq!(r.status, 400);
}

#[tokio::test]
async fn the_host_hands_over_and_a_host_who_stops_polling_is_replaced() {
    let world = api_world(&[("watch_presence_timeout_seconds", "1")]).await;
    let mut client = world.client();
    let ada = token_of(&mut client, "code-ada", GUILD_A).await;
    let bob = token_of(&mut client, "code-bob", GUILD_A).await;
    call(
        &mut client,
        "POST",
        &format!("{ROOM}/join"),
        Some(&ada),
        Some(json!({"entry_id": "0_abc123"})),
    )
    .await;
    call(
        &mut client,
        "POST",
        &format!("{ROOM}/join"),
        Some(&bob),
        None,
    )
    .await;

    let r = call(
        &mut client,
        "POST",
        &format!("{ROOM}/host"),
        Some(&bob),
        Some(json!({"user_id": BOB})),
    )
    .await;
    assert_eq!(r.status, 403, "only the host hands over");
    let r = call(
        &mut client,
        "POST",
        &format!("{ROOM}/host"),
        Some(&ada),
        Some(json!({"user_id": BOB})),
    )
    .await;
    assert_eq!(r.json().unwrap()["host_id"], BOB);
    let r = call(
        &mut client,
        "POST",
        &format!("{ROOM}/leave"),
        Some(&bob),
        None,
    )
    .await;
    assert_eq!(
        r.json().unwrap()["host_id"],
        ADA,
        "a leaving host is replaced"
    );
    call(
        &mut client,
        "POST",
        &format!("{ROOM}/join"),
        Some(&bob),
        None,
    )
    .await;

    // Ada (the host) stops polling; Bob keeps polling past the 1 s timeout.
    let deadline = Instant::now() + Duration::from_millis(1_600);
    let mut last = Value::Null;
    while Instant::now() < deadline {
        let r = call(&mut client, "GET", ROOM, Some(&bob), None).await;
        assert_eq!(r.status, 200, "{}", r.text());
        last = r.json().unwrap();
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    assert_eq!(last["host_id"], BOB, "{last}");
    assert_eq!(last["viewers"].as_array().unwrap().len(), 1);
    let r = call(&mut client, "GET", ROOM, Some(&ada), None).await;
    assert_eq!(
        r.status,
        404,
        "a timed-out viewer joins again: {}",
        r.text()
    );
}

#[tokio::test]
async fn a_room_opens_on_nothing_without_a_video() {
    let world = api_world(&[]).await;
    let mut client = world.client();
    let ada = token_of(&mut client, "code-ada", GUILD_A).await;
    let r = call(
        &mut client,
        "POST",
        &format!("{ROOM}/join"),
        Some(&ada),
        Some(json!({"channel_id": crate::api::CHANNEL_A})),
    )
    .await;
    assert_eq!(
        r.status,
        400,
        "no video asked for in the channel: {}",
        r.text()
    );
    assert!(watch_keys(&world).is_empty());
}
