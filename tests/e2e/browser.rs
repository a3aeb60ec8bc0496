//! The Watch together page in a real browser, through the real app on the test host:
//! `tests/browser/run.mjs` (playwright-core driving Debian's chromium) against the
//! `activity` component serving the page and the gateway with the `watch` and
//! `kaltura` components, with the fake Discord (OAuth2 code exchange, members) and the
//! fake Kaltura; the room's video is the one the bot's *Watch together* asked for from
//! the voice channel. The browser stands in for the Discord client (a harness page playing
//! the Embedded App SDK's postMessage side) and serves the fake Kaltura player script.
//! `tests/run` runs it (ignored otherwise: it needs node, the browser tests' npm
//! packages and chromium); it prints the drift and catch-up measurements.

use crate::api::{api_world, call, token_of, ADA, BOB, CARL, CHANNEL_A, DAN, GUILD_A};
use serde_json::json;

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs node, tests/browser's npm packages and /usr/bin/chromium; tests/run runs it"]
async fn browser_watch_together_pages_stay_in_sync_through_the_real_app() {
    let world = api_world(&[
        ("kaltura_player_uiconf_id", "4711"),
        ("kaltura_cdn_url", "https://cdnapisec.kaltura.com"),
        // Thousands of long-polls and heartbeats from one address and three sessions.
        ("gateway_rate_limit_per_token", "0"),
        ("gateway_rate_limit_per_address", "0"),
    ])
    .await;
    // Activities on for the server (its admin, through the API), then Watch together on
    // the video from the voice channel: the bot records it and launches the Activity,
    // which the pages below open on it.
    let mut client = world.client();
    let ada = token_of(&mut client, "code-ada", GUILD_A).await;
    let r = call(
        &mut client,
        "PATCH",
        &format!("/api/v1/guilds/{GUILD_A}/config"),
        Some(&ada),
        Some(json!({"patch": {"features": {"activity": true}}, "expected_version": 0})),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let watch = json!({"custom_id": "v1:vwatch:0_intro01", "component_type": 2});
    let launched = crate::videos::bot::send(&mut client, 3, watch, 2, "2147485696").await;
    assert_eq!(launched, json!({"type": 12}), "LAUNCH_ACTIVITY");
    let user = |code: &str, token: &str, id: &str, name: &str| json!({"code": code, "token": token, "id": id, "name": name});
    let users = json!([
        user("code-ada", "discord-token-ada", ADA, "ada"),
        user("code-bob", "discord-token-bob", BOB, "bob"),
        user("code-dan", "discord-token-dan", DAN, "dan"),
    ]);
    let outsider = user("code-carl", "discord-token-carl", CARL, "carl");
    let root = e2e::repo_root();
    let output = tokio::process::Command::new("node")
        .arg(root.join("tests/browser/run.mjs"))
        .env("APP_URL", world.app.url(""))
        .env("GUILD_ID", GUILD_A)
        .env("CHANNEL_ID", CHANNEL_A)
        .env("ENTRY_ID", "0_intro01")
        .env("USERS", users.to_string())
        .env("OUTSIDER", outsider.to_string())
        .current_dir(&root)
        .output()
        .await
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stdout}");
    if std::env::var_os("BROWSER_APP_LOG").is_some() {
        println!("--- the app's log:\n{}", world.app.logs());
    }
    assert!(
        output.status.success(),
        "browser tests failed:\n{stdout}\n{stderr}\n--- the app's log:\n{}",
        world.app.logs()
    );
}
