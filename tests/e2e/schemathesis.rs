//! Schemathesis, a property-based API tester, against the real gateway: it reads the
//! OpenAPI document the gateway serves, generates valid and invalid requests for every
//! operation (signed in as a server admin), and checks each answer: no server error, a
//! documented status, the documented content type and response schema, and invalid
//! input refused. `tests/run` runs it (ignored otherwise: it needs Python).

use crate::api::{api_world, create_meeting, token_of, ADMIN_TOKEN, CHANNEL_A, GUILD_A};

/// Test cases per operation and phase: enough to find contract holes, few enough that
/// the run takes about a minute. `SCHEMATHESIS_MAX_EXAMPLES` overrides it.
const MAX_EXAMPLES: &str = "30";

/// The seed, so that a run can be repeated; `SCHEMATHESIS_SEED` picks another.
const SEED: &str = "20241111";

/// The checks run on every answer.
const CHECKS: &str = "not_a_server_error,status_code_conformance,content_type_conformance,\
response_schema_conformance,negative_data_rejection";

/// Schemathesis's configuration: every request carries the server admin's `token`
/// (the deployment routes the deployment administrator's); most generated requests name
/// the admin's server, a channel of it, a meeting and a subscription that exist and a code Discord
/// accepts, so that they reach the handlers instead of stopping at 403 or 404; the rest
/// stay random.
fn config(token: &str, meeting_id: &str, subscription_id: &str) -> String {
    format!(
        r#"
headers = {{ Authorization = "Bearer {token}" }}

[[operations]]
include-path-regex = "^/api/v1/deployment/"
headers = {{ Authorization = "Bearer {ADMIN_TOKEN}" }}

[dictionaries.guild]
values = ["{GUILD_A}"]
[dictionaries.channel]
values = ["{CHANNEL_A}"]
[dictionaries.meeting]
values = ["{meeting_id}"]
[dictionaries.code]
values = ["code-ada"]
[dictionaries.subscription]
values = ["{subscription_id}"]
[dictionaries.room]
values = ["c-{CHANNEL_A}"]
[dictionaries.entry]
values = ["0_intro01"]

[parameters]
"path.guild_id" = {{ dictionary = "guild", probability = 0.8 }}
"path.meeting_id" = {{ dictionary = "meeting", probability = 0.8 }}
"path.subscription_id" = {{ dictionary = "subscription", probability = 0.8 }}
"path.room" = {{ dictionary = "room", probability = 0.8 }}
"path.entry_id" = {{ dictionary = "entry", probability = 0.8 }}
"body.entry_id" = {{ dictionary = "entry", probability = 0.8 }}
"body.guild_id" = {{ dictionary = "guild", probability = 0.8 }}
"body.channel_id" = {{ dictionary = "channel", probability = 0.8 }}
"body.code" = {{ dictionary = "code", probability = 0.5 }}
"#
    )
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs SCHEMATHESIS=<path to the schemathesis command>; tests/run sets it"]
async fn schemathesis_finds_no_failure_in_the_api() {
    let schemathesis = std::env::var("SCHEMATHESIS")
        .expect("SCHEMATHESIS must name the schemathesis command (tests/run installs it)");
    // Limits off: Schemathesis sends thousands of requests from one address and token.
    let world = api_world(&[
        ("gateway_admin_token", ADMIN_TOKEN),
        // A deployment with events configured: subscriptions can be created (their
        // destinations are outside allowed_outbound_hosts, so nothing leaves).
        ("events_key_wrap_secret", crate::events::WRAP_SECRET),
        ("gateway_rate_limit_per_token", "0"),
        ("gateway_rate_limit_per_address", "0"),
        ("kaltura_player_uiconf_id", "4711"),
    ])
    .await;
    let mut client = world.client();
    // Ada is an admin of server A: her token carries every scope.
    let ada = token_of(&mut client, "code-ada", GUILD_A).await;
    let meeting = create_meeting(&mut client, &ada, CHANNEL_A).await;
    assert_eq!(meeting.status, 201, "{}", meeting.text());
    let meeting_id = meeting.json().unwrap()["id"].as_str().unwrap().to_owned();
    let subscription = crate::events::subscribe(
        &mut client,
        &ada,
        "https://hooks.example.com/kd",
        &["meeting.created"],
    )
    .await;
    assert_eq!(subscription.status, 201, "{}", subscription.text());
    let subscription_id = subscription.json().unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let folder = tempfile::tempdir().unwrap();
    let config_file = folder.path().join("schemathesis.toml");
    std::fs::write(&config_file, config(&ada, &meeting_id, &subscription_id)).unwrap();
    let seed = std::env::var("SCHEMATHESIS_SEED").unwrap_or_else(|_| SEED.into());
    let examples =
        std::env::var("SCHEMATHESIS_MAX_EXAMPLES").unwrap_or_else(|_| MAX_EXAMPLES.into());
    let output = tokio::process::Command::new(&schemathesis)
        .arg("--config-file")
        .arg(&config_file)
        .arg("run")
        .arg(world.app.url("/api/v1/openapi.json"))
        .args(["--checks", CHECKS])
        .args(["--max-examples", &examples])
        .args(["--seed", &seed])
        // One worker: CPython 3.11 can fail parsing in several threads at once.
        .args(["--workers", "1"])
        .args(["--output-truncate", "false"])
        // More options, e.g. to look at one operation: `--include-operation-id ready`.
        .args(
            std::env::var("SCHEMATHESIS_ARGS")
                .unwrap_or_default()
                .split_whitespace(),
        )
        .current_dir(folder.path())
        .env("NO_COLOR", "1")
        .output()
        .await
        .expect("schemathesis runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    // The summary (operations, cases, failures) for the log of tests/run.
    println!("{stdout}");
    assert!(
        output.status.success(),
        "schemathesis found failures (seed {seed}):\n{stdout}\n{stderr}\n--- the app's log:\n{}",
        world.app.logs()
    );
}
