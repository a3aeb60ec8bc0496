//! Command and button versions through the real discord-bot `.wasm`: what a member
//! sees when their Discord app still shows another version of a command, or clicks a
//! button this build cannot read; today's `v1` buttons keep working; `/kaltura-config`
//! version 2's `events` group lists the server's subscriptions. `grep VERSIONS` in the
//! output gives the answers members read.

use serde_json::json;

use crate::bot::{content, custom_ids, Bot, ADMIN, OWNER};

#[tokio::test]
async fn a_command_used_with_another_versions_options_is_answered_and_does_nothing() {
    let mut bot = Bot::start().await;
    // /kaltura-start as a client with a stale (or newer) shape sends it: `kind` where
    // today's version has `type`.
    let stale = json!([
        {"name": "kind", "type": 3, "value": "meeting"},
        {"name": "title", "type": 3, "value": "Weekly sync"}
    ]);
    let answer = bot.command("kaltura-start", stale, OWNER).await;
    assert_eq!(answer["type"], 4, "answered at once: {answer}");
    assert_eq!(answer["data"]["flags"], 64, "only the member sees it");
    let text = content(&answer);
    assert!(
        text.starts_with("`/kaltura-start` has changed since your Discord app loaded it"),
        "{text}"
    );
    assert!(text.contains("Nothing was done: run it again."), "{text}");
    println!("VERSIONS[old command shape] {text}");
    bot.settle().await;
    assert!(bot.kaltura_calls().is_empty(), "no meeting was created");
    assert!(bot.patches().is_empty());

    // /kaltura-config's version 1 subcommands are still answered by version 2.
    let view = bot
        .command(
            "kaltura-config",
            json!([{"name": "view", "type": 1}]),
            ADMIN,
        )
        .await;
    assert!(
        content(&view).starts_with("This server's Kaltura settings"),
        "{view}"
    );
}

#[tokio::test]
async fn todays_v1_buttons_keep_working_and_others_explain_themselves() {
    let mut bot = Bot::start().await;
    let id = bot.start_meeting("Weekly sync", OWNER).await;
    let panel = bot.last_patch();
    let join = format!("v1:join:{id}");
    assert!(custom_ids(&panel).contains(&join), "{panel}");

    let answer = bot.button(&join, OWNER).await;
    assert_eq!(answer["type"], 5, "a v1 button is acted on: {answer}");
    bot.settle().await;

    for (custom_id, expected, label) in [
        (
            format!("v2:join:{id}"),
            "This button comes from a newer version of the bot",
            "newer button",
        ),
        (
            format!("v0:join:{id}"),
            "This button is from an older version of the bot",
            "old button",
        ),
        (
            format!("v1:rsvp:{id}"),
            "This button is from an older version of the bot",
            "retired action",
        ),
    ] {
        let calls = bot.kaltura_calls().len();
        let answer = bot.button(&custom_id, OWNER).await;
        assert_eq!(answer["type"], 4, "{custom_id}: {answer}");
        assert_eq!(answer["data"]["flags"], 64, "{custom_id}");
        let text = content(&answer);
        assert!(text.starts_with(expected), "{custom_id}: {text}");
        assert!(text.contains("Nothing was done"), "{custom_id}: {text}");
        println!("VERSIONS[{label} {custom_id}] {text}");
        assert_eq!(
            bot.kaltura_calls().len(),
            calls,
            "{custom_id} reached Kaltura"
        );
    }
}

#[tokio::test]
async fn kaltura_config_version_2_lists_the_servers_event_subscriptions() {
    let mut bot = Bot::start().await;
    let list = json!([{"name": "events", "type": 2, "options": [{"name": "list", "type": 1}]}]);
    let answer = bot.command("kaltura-config", list, ADMIN).await;
    assert_eq!(answer["data"]["flags"], 64);
    assert!(
        content(&answer).starts_with("This server has no event subscriptions."),
        "{answer}"
    );
    let pause = json!([{"name": "events", "type": 2, "options": [{"name": "pause", "type": 1,
        "options": [{"name": "subscription", "type": 3, "value": "sub_000000000000000000000001"}]}]}]);
    let answer = bot.command("kaltura-config", pause, ADMIN).await;
    assert!(
        content(&answer).contains("no such subscription"),
        "{answer}"
    );
    // A member without Manage Server is refused by the config service, as for every
    // /kaltura-config subcommand.
    let list = json!([{"name": "events", "type": 2, "options": [{"name": "list", "type": 1}]}]);
    let answer = bot.command("kaltura-config", list, OWNER).await;
    assert!(!content(&answer).contains("subscriptions"), "{answer}");
}
