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
