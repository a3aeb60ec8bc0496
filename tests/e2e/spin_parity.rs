//! What some host-only tests check through the test host's introspection, observed here
//! in a way both hosts offer, so it is also checked against real Spin (`SPIN_BIN`).

use crate::support::configured;
use e2e::Client;

#[tokio::test]
async fn an_outbound_request_outside_allowed_outbound_hosts_is_refused_on_either_host() {
    let (builder, _discord, kaltura) = configured().await;
    // The gateway may only reach a host that is not the fake Kaltura.
    let manifest = std::fs::read_to_string(e2e::repo_root().join("spin.toml")).unwrap();
    let restricted = manifest.replacen(
        "allowed_outbound_hosts = [\"{{ discord_base_url }}\", \"{{ kaltura_service_url }}\", \"{{ events_allowed_hosts }}\"]\ndependencies_inherit_configuration = true\n[component.gateway.variables]",
        "allowed_outbound_hosts = [\"https://discord.com\"]\ndependencies_inherit_configuration = true\n[component.gateway.variables]",
        1,
    );
    assert_ne!(
        restricted, manifest,
        "the gateway's allowed hosts were found"
    );
    let app = builder.manifest_text(restricted).start().await.unwrap();
    let response = Client::new(app.addr())
        .get("/api/v1/ready?upstream=true")
        .await
        .unwrap();
    assert_eq!(response.status, 503);
    assert_eq!(response.json().unwrap()["upstream"]["kaltura"], "failing");
    assert!(kaltura.received().is_empty(), "nothing reached Kaltura");
    let attempts: Vec<(String, bool)> = app
        .outbound()
        .into_iter()
        .map(|a| (a.uri, a.allowed))
        .collect();
    assert_eq!(
        attempts,
        [(
            format!("{}/api_v3/service/system/action/ping", kaltura.url()),
            false
        )],
        "one attempt, refused"
    );
}
