//! The test host's own promises, checked against the real app: Spin's start-up rules
//! and the `spin-*` headers.

use crate::support::configured;

#[tokio::test]
async fn an_undeclared_variable_is_refused_at_start() {
    let err = e2e::app()
        .variable("no_such_setting", "x")
        .start()
        .await
        .err()
        .unwrap();
    assert!(err.to_string().contains("no_such_setting"), "{err}");
}

#[tokio::test]
async fn a_required_variable_without_a_value_stops_the_app_from_starting() {
    let (builder, _d, _k) = configured().await;
    let manifest = std::fs::read_to_string(e2e::repo_root().join("spin.toml")).unwrap();
    let required = manifest.replacen(
        "discord_public_key = { default = \"\" }",
        "discord_public_key = { required = true }",
        1,
    );
    assert_ne!(required, manifest);
    let err = e2e::app()
        .manifest_text(required.clone())
        .start()
        .await
        .err()
        .unwrap();
    assert!(err.to_string().contains("discord_public_key"), "{err}");
    assert!(builder.manifest_text(required).start().await.is_ok());
}

#[tokio::test]
async fn spin_answers_its_well_known_paths_and_unrouted_paths_itself() {
    let world = crate::support::world().await;
    let mut client = world.client();
    let health = client.get("/.well-known/spin/health").await.unwrap();
    assert_eq!((health.status, health.text()), (200, "OK".to_owned()));
    let unknown = client.get("/.well-known/spin/nope").await.unwrap();
    assert_eq!((unknown.status, unknown.text()), (404, String::new()));
    let unrouted = client.get("/not/a/route").await.unwrap();
    assert_eq!((unrouted.status, unrouted.text()), (404, String::new()));
}

#[tokio::test]
async fn a_store_label_the_runtime_config_does_not_define_stops_the_app() {
    let manifest = std::fs::read_to_string(e2e::repo_root().join("spin.toml")).unwrap();
    let other = manifest.replacen(
        "key_value_stores = [\"default\"]",
        "key_value_stores = [\"default\", \"sessions\"]",
        1,
    );
    let err = e2e::app()
        .manifest_text(other.clone())
        .start()
        .await
        .err()
        .unwrap();
    assert!(
        err.to_string()
            .contains("unknown key_value_stores label \"sessions\" for component \"discord-bot\""),
        "{err}"
    );
    let configured = e2e::app()
        .manifest_text(other)
        .runtime_config(
            "[key_value_store.sessions]\ntype = \"spin\"\n",
            e2e::repo_root(),
        )
        .start()
        .await;
    assert!(configured.is_ok());
}
