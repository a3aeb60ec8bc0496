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
