//! Videos end to end: a member's playback session through the real gateway and
//! `kaltura` component, against a fake Kaltura whose `media.list` applies the filters
//! (free text, id, categories) as Kaltura does. The KS the member gets is decoded: a
//! USER session for that member, limited to the one entry, never an admin session.

use crate::api::{api_world, call, token_of, BOB, GUILD_A};
use crate::support::KALTURA_ADMIN_SECRET;
use kaltura_api::ks::{decode, SessionType};
use kaltura_api::AdminSecret;
use serde_json::json;

#[tokio::test]
async fn a_member_plays_an_entry_of_the_servers_categories_with_their_own_entry_limited_ks() {
    let world = api_world(&[("kaltura_player_uiconf_id", "4711")]).await;
    let mut client = world.client();
    let ada = token_of(&mut client, "code-ada", GUILD_A).await;
    let r = call(
        &mut client,
        "PATCH",
        &format!("/api/v1/guilds/{GUILD_A}/config"),
        Some(&ada),
        Some(json!({"patch": {"kaltura": {"category_ids": [7]}}, "expected_version": 0})),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let bob = token_of(&mut client, "code-bob", GUILD_A).await;

    let r = call(
        &mut client,
        "POST",
        "/api/v1/media/0_intro01/playback",
        Some(&bob),
        None,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("cache-control"), Some("no-store"));
    let session = r.json().unwrap();
    assert_eq!(session["entry_id"], "0_intro01");
    assert_eq!(session["uiconf_id"], 4711);
    assert_eq!(
        session["player_script_url"],
        "https://cdnapisec.kaltura.com/p/1234567/embedPlaykitJs/uiconf_id/4711"
    );
    let secret = AdminSecret::new(KALTURA_ADMIN_SECRET).unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let ks = decode(session["ks"].as_str().unwrap(), &[&secret], now).unwrap();
    assert_eq!(ks.session_type, SessionType::User, "never an admin KS");
    assert_eq!(ks.user_id, format!("discord-{BOB}"));
    assert_eq!(
        ks.privileges,
        [
            ("sview".to_owned(), "0_intro01".to_owned()),
            ("setrole".to_owned(), "PLAYBACK_BASE_ROLE".to_owned())
        ]
    );
    assert!(
        !world.app.logs().contains(session["ks"].as_str().unwrap()),
        "the KS is never logged"
    );

    // Kaltura was asked as Bob, with entitlement, within the server's categories.
    let asked = world
        .kaltura
        .received()
        .into_iter()
        .find(|r| r.path.starts_with("/api_v3/service/media/action/list"))
        .unwrap();
    let asked = asked.json().unwrap();
    assert_eq!(asked["filter"]["idEqual"], "0_intro01");
    assert_eq!(asked["filter"]["categoriesIdsMatchOr"], "7");
    let read_as = decode(asked["ks"].as_str().unwrap(), &[&secret], now).unwrap();
    assert_eq!(read_as.session_type, SessionType::User);
    assert_eq!(read_as.user_id, format!("discord-{BOB}"));
    assert!(read_as
        .privileges
        .iter()
        .any(|(n, _)| n == "enableentitlement"));

    let r = call(
        &mut client,
        "POST",
        "/api/v1/media/0_advanced/playback",
        Some(&bob),
        None,
    )
    .await;
    assert_eq!(
        r.status,
        404,
        "outside the server's categories: {}",
        r.text()
    );
    let r = call(
        &mut client,
        "POST",
        "/api/v1/media/0_x,role:y/playback",
        Some(&bob),
        None,
    )
    .await;
    assert!([400, 404].contains(&r.status), "{}", r.text());
    let r = call(
        &mut client,
        "POST",
        "/api/v1/guilds/111111111111111111/api-keys",
        Some(&ada),
        Some(json!({"label": "bot", "scopes": ["media:read"]})),
    )
    .await;
    let key = r.json().unwrap()["key"].as_str().unwrap().to_owned();
    let r = call(
        &mut client,
        "POST",
        "/api/v1/media/0_intro01/playback",
        Some(&key),
        None,
    )
    .await;
    assert_eq!(
        r.status,
        403,
        "API keys get no playback session: {}",
        r.text()
    );
}

/// The bot's side: signed interactions into the real `discord-bot` (composed with
/// `config`, `identity`, `kaltura` and `watch`), the fake Kaltura's media library, and a
/// fake Discord that takes the deferred replies' edits and knows server A's members.
pub(crate) mod bot {
    use super::*;
    use crate::api::{fake_discord, fake_kaltura, ADA, CHANNEL_A};
    use crate::support::{configured, discord_signature, now, World};
    use e2e::{Client, FakeResponse, Recorded};
    use serde_json::Value;

    const APP: &str = "1100000000000000001";
    /// A voice channel of server A (the interaction says its type).
    const VOICE: &str = CHANNEL_A;

    fn discord(request: &Recorded) -> FakeResponse {
        if request.method == "PATCH" {
            crate::bot::working_discord(request)
        } else {
            fake_discord(request)
        }
    }

    async fn start() -> (World, Client) {
        let (builder, discord_fake, kaltura) = configured().await;
        let app = builder
            .variable("discord_client_secret", "test-client-secret-not-real")
            .variable("public_base_url", "https://kd.example.com/")
            .variable("kaltura_player_uiconf_id", "4711")
            .start()
            .await
            .unwrap();
        discord_fake.respond_with(discord);
        kaltura.respond_with(fake_kaltura());
        let world = World {
            app,
            discord: discord_fake,
            kaltura,
        };
        let client = world.client();
        (world, client)
    }

    /// One signed interaction from Ada in `channel_type` (2 voice, 0 text).
    pub(crate) async fn send(
        client: &mut Client,
        kind: u8,
        data: Value,
        channel_type: u8,
        permissions: &str,
    ) -> Value {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        let id = 900_000_000_000_000_000 + NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let payload = json!({
            "type": kind, "id": id.to_string(), "application_id": APP,
            "token": "itok-secret-77", "version": 1, "guild_id": GUILD_A, "channel_id": VOICE,
            "channel": {"id": VOICE, "type": channel_type},
            "member": {"user": {"id": ADA, "username": "ada", "global_name": "Ada"},
                       "roles": [], "permissions": permissions},
            "data": data
        })
        .to_string();
        let timestamp = now();
        let signature = discord_signature(&timestamp, &payload);
        let response = client
            .send(
                "POST",
                "/discord/interactions",
                &[
                    ("content-type", "application/json"),
                    ("x-signature-ed25519", &signature),
                    ("x-signature-timestamp", &timestamp),
                ],
                payload,
            )
            .await
            .unwrap();
        assert_eq!(response.status, 200, "{}", response.text());
        response.json().unwrap()
    }

    fn last_patch(world: &World) -> Value {
        world
            .discord
            .received()
            .into_iter()
            .rfind(|r| r.method == "PATCH")
            .expect("a PATCH")
            .json()
            .unwrap()
    }

    #[tokio::test]
    async fn a_search_shows_the_servers_videos_with_play_share_and_watch_together() {
        let (world, mut client) = start().await;
        let search = json!({"id": "700000000000000009", "name": "kaltura-video", "type": 1,
            "options": [{"name": "search", "type": 1, "options": [
                {"name": "query", "type": 3, "value": "lecture"},
                {"name": "limit", "type": 4, "value": 3}]}]});
        let deferral = send(&mut client, 2, search, 0, "2147485696").await;
        assert_eq!(deferral, json!({"type": 5, "data": {"flags": 64}}));
        world
            .app
            .idle(std::time::Duration::from_secs(20))
            .await
            .unwrap();
        let results = last_patch(&world);
        let titles: Vec<&str> = results["embeds"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["title"].as_str().unwrap())
            .collect();
        assert_eq!(titles, ["Intro lecture", "Advanced lecture"], "{results}");
        let row = &results["components"][0]["components"];
        assert_eq!(
            row[0]["url"],
            format!(
                "https://kd.example.com/activity/?entry=0_intro01&guild={GUILD_A}&room=c-{VOICE}"
            )
        );
        assert_eq!(row[1]["custom_id"], "v1:vshare:0_intro01");
        assert_eq!(row[2]["custom_id"], "v1:vwatch:0_intro01");

        let typed = json!({"id": "700000000000000009", "name": "kaltura-video", "type": 1,
            "options": [{"name": "search", "type": 1, "options": [
                {"name": "query", "type": 3, "value": "welc", "focused": true}]}]});
        let suggestions = send(&mut client, 4, typed, 0, "2147485696").await;
        assert_eq!(
            suggestions,
            json!({"type": 8, "data": {"choices": [{"name": "Welcome video", "value": "Welcome video"}]}})
        );
    }

    #[tokio::test]
    async fn watch_together_from_a_voice_channel_opens_the_activity_on_that_video() {
        let (_world, mut client) = start().await;
        let admin = json!({"id": "700000000000000001", "name": "kaltura-config", "type": 1,
            "options": [{"name": "set", "type": 1, "options": [
                {"name": "key", "type": 3, "value": "features.activity"},
                {"name": "value", "type": 3, "value": "true"}]}]});
        let saved = send(&mut client, 2, admin, 0, "8").await;
        assert!(
            saved["data"]["content"]
                .as_str()
                .unwrap()
                .contains("updated"),
            "{saved}"
        );

        let watch = json!({"custom_id": "v1:vwatch:0_welcome", "component_type": 2});
        let from_text = send(&mut client, 3, watch.clone(), 0, "2147485696").await;
        assert_eq!(from_text["data"]["flags"], 64);
        assert!(
            from_text["data"]["content"]
                .as_str()
                .unwrap()
                .contains("not one"),
            "{from_text}"
        );
        let launched = send(&mut client, 3, watch, 2, "2147485696").await;
        assert_eq!(launched, json!({"type": 12}));

        // The Activity in that channel opens on the video the channel asked for.
        let bob = token_of(&mut client, "code-bob", GUILD_A).await;
        let joined = call(
            &mut client,
            "POST",
            "/api/v1/watch/rooms/i-activity-1/join",
            Some(&bob),
            Some(json!({"channel_id": VOICE})),
        )
        .await;
        assert_eq!(joined.status, 200, "{}", joined.text());
        assert_eq!(joined.json().unwrap()["entry_id"], "0_welcome");
    }

    #[tokio::test]
    async fn a_shared_video_is_posted_publicly_through_the_template_without_pinging() {
        let (world, mut client) = start().await;
        let share = json!({"custom_id": "v1:vshare:0_intro01", "component_type": 2});
        let deferral = send(&mut client, 3, share, 0, "2147485696").await;
        assert_eq!(deferral, json!({"type": 5}), "public");
        world
            .app
            .idle(std::time::Duration::from_secs(20))
            .await
            .unwrap();
        let card = last_patch(&world);
        assert_eq!(
            card["content"],
            format!("<@{ADA}> shared the video **Intro lecture** (2m 05s): https://kd.example.com/activity/?entry=0_intro01&guild={GUILD_A}&room=c-{VOICE}")
        );
        assert_eq!(card["allowed_mentions"], json!({"parse": []}));
        let forged = json!({"custom_id": "v1:vshare:0_x,role:y", "component_type": 2});
        let refused = send(&mut client, 3, forged, 0, "2147485696").await;
        assert_eq!(refused["data"]["flags"], 64);
    }
}
