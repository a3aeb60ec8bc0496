//! Attacks on the gateway (issue 11), each performed through the real `.wasm` on the
//! test host, which hands requests to the component as Spin does (the client's headers
//! first, Spin's `spin-*` headers appended after them).

use crate::support::configured;
use e2e::{Client, FakeResponse, TestApp};

/// Every key the per-address rate limit stores.
fn address_keys(app: &TestApp) -> Vec<String> {
    app.store()
        .into_keys()
        .filter(|k| k.starts_with("gateway/v1/rate/addr/"))
        .collect()
}

/// A guess at a credential, with extra headers.
async fn guess(client: &mut Client, headers: &[(&str, &str)]) -> u16 {
    let mut all = vec![("authorization", "Bearer kd1.guess")];
    all.extend_from_slice(headers);
    client
        .send("GET", "/api/v1/me", &all, "")
        .await
        .unwrap()
        .status
}

/// Attack 1: a client sends its own `spin-client-addr` (and `X-Forwarded-For`) with a
/// new value each time, to get a fresh rate-limit bucket per request and a new key in
/// the store each time.
#[tokio::test]
async fn a_spoofed_client_address_neither_dodges_the_address_limit_nor_adds_keys() {
    let (builder, _discord, _kaltura) = configured().await;
    let app = builder
        .variable("gateway_rate_limit_per_address", "5")
        .start()
        .await
        .unwrap();
    let mut client = Client::new(app.addr());
    let mut statuses = Vec::new();
    for n in 0..12 {
        let spoofed = format!("10.9.8.{n}:1234");
        let forwarded = format!("192.0.2.{n}");
        statuses.push(
            guess(
                &mut client,
                &[
                    ("spin-client-addr", spoofed.as_str()),
                    ("x-forwarded-for", forwarded.as_str()),
                ],
            )
            .await,
        );
    }
    assert_eq!(statuses[..5], [401; 5], "{statuses:?}");
    assert_eq!(statuses[5..], [429; 7], "{statuses:?}");
    // One subject (the address Spin saw): its note and its one window.
    let keys = address_keys(&app);
    assert_eq!(
        keys,
        [
            "gateway/v1/rate/addr/127.0.0.1".to_owned(),
            format!(
                "gateway/v1/rate/addr/127.0.0.1/{}",
                keys[1].rsplit('/').next().unwrap()
            )
        ],
        "spoofed values made no keys"
    );
}

/// Attack 1, behind a reverse proxy: the proxy's `X-Forwarded-For` is believed only
/// when the deployment names the proxy, and then only the hop the proxy added: a
/// client that writes its own addresses in front of it is still itself.
#[tokio::test]
async fn behind_a_trusted_proxy_each_client_has_its_own_limit_and_cannot_pick_another() {
    let (builder, _discord, _kaltura) = configured().await;
    // The test's connections come from 127.0.0.1: it plays the proxy.
    let app = builder
        .variable("gateway_rate_limit_per_address", "3")
        .variable("gateway_trusted_proxies", "127.0.0.1, 10.0.0.0/8")
        .start()
        .await
        .unwrap();
    let mut proxy = Client::new(app.addr());
    for _ in 0..3 {
        assert_eq!(
            guess(&mut proxy, &[("x-forwarded-for", "198.51.100.1")]).await,
            401
        );
    }
    assert_eq!(
        guess(&mut proxy, &[("x-forwarded-for", "198.51.100.1")]).await,
        429
    );
    for dodge in [
        "6.6.6.6, 198.51.100.1",
        "198.51.100.7, 198.51.100.1, 10.0.0.9",
    ] {
        assert_eq!(
            guess(&mut proxy, &[("x-forwarded-for", dodge)]).await,
            429,
            "{dodge}"
        );
    }
    assert_eq!(
        guess(
            &mut proxy,
            &[
                ("x-forwarded-for", "6.6.6.6"),
                ("x-forwarded-for", "198.51.100.1")
            ]
        )
        .await,
        429,
        "the last header is the proxy's"
    );
    assert_eq!(
        guess(&mut proxy, &[("x-forwarded-for", "198.51.100.2")]).await,
        401,
        "another client of the proxy has its own limit"
    );
    let subjects: Vec<String> = address_keys(&app)
        .into_iter()
        .filter(|k| k.matches('/').count() == 4)
        .collect();
    assert_eq!(
        subjects,
        [
            "gateway/v1/rate/addr/198.51.100.1",
            "gateway/v1/rate/addr/198.51.100.2"
        ]
    );
}

/// A Kaltura that fails every call with an exception naming its internals.
fn failing_kaltura(_request: &e2e::Recorded) -> FakeResponse {
    FakeResponse::json(
        200,
        &serde_json::json!({"code": "INTERNAL_SERVERL_ERROR",
            "message": "Internal server error occurred on db-7.kaltura.internal",
            "objectType": "KalturaAPIException", "args": {}}),
    )
}

/// Attack 6: anyone calls the public deep check over and over, to make a Kaltura call
/// with each request and read Kaltura's error text.
#[tokio::test]
async fn the_public_deep_check_is_limited_calls_kaltura_once_and_says_only_ok_or_not() {
    const ADMIN: &str = "security-test-deployment-admin-token-0123456789";
    let (builder, _discord, kaltura) = configured().await;
    kaltura.respond_with(failing_kaltura);
    let app = builder
        .variable("gateway_rate_limit_per_address", "6")
        .variable("gateway_admin_token", ADMIN)
        .start()
        .await
        .unwrap();
    let mut client = Client::new(app.addr());
    let mut statuses = Vec::new();
    for _ in 0..5 {
        let response = client.get("/api/v1/ready?upstream=true").await.unwrap();
        statuses.push(response.status);
        let body = response.json().unwrap();
        assert_eq!(body["upstream"]["kaltura"], "failing", "{body}");
        assert_eq!(body["error"]["message"], "Kaltura unreachable", "{body}");
        assert!(body["upstream"].get("detail").is_none(), "{body}");
        assert!(!response.text().contains("db-7"), "{body}");
    }
    assert_eq!(statuses, [503; 5]);
    // The operator sees why (the sixth request of this address).
    let bearer = format!("Bearer {ADMIN}");
    let response = client
        .send(
            "GET",
            "/api/v1/ready?upstream=true",
            &[("authorization", bearer.as_str())],
            "",
        )
        .await
        .unwrap();
    let body = response.json().unwrap();
    assert!(
        body["upstream"]["detail"]
            .as_str()
            .is_some_and(|d| d.contains("db-7.kaltura.internal")),
        "{body}"
    );
    for _ in 0..3 {
        let response = client.get("/api/v1/ready?upstream=true").await.unwrap();
        assert_eq!(response.status, 429, "{}", response.text());
        assert!(response.header("retry-after").is_some());
    }
    assert_eq!(
        kaltura.received().len(),
        1,
        "one Kaltura call for the interval, whoever asks"
    );
}

/// Attack 7, the query: `?upstream=` took any value.
#[tokio::test]
async fn a_deep_check_with_an_upstream_that_is_not_a_boolean_is_refused() {
    let (builder, _discord, kaltura) = configured().await;
    let app = builder.start().await.unwrap();
    let mut client = Client::new(app.addr());
    for query in [
        "upstream=null",
        "upstream=1",
        "upstream=yes",
        "upstream=true&upstream=false",
    ] {
        let response = client.get(&format!("/api/v1/ready?{query}")).await.unwrap();
        assert_eq!(response.status, 400, "{query}: {}", response.text());
        let body = response.json().unwrap();
        assert_eq!(body["error"]["code"], "invalid");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("`upstream`"),
            "{body}"
        );
    }
    assert!(kaltura.received().is_empty());
}

/// Attack 7, the body: a reset whose `section` is outside the document's enum (`null`)
/// was answered 200 and made a new version with nothing changed; so did any write that
/// changed nothing.
#[tokio::test]
async fn a_reset_outside_the_enum_is_refused_and_a_write_that_changes_nothing_makes_no_version() {
    use crate::api::{api_world, token_of, GUILD_A};
    let world = api_world(&[]).await;
    let mut client = world.client();
    let ada = token_of(&mut client, "code-ada", GUILD_A).await;
    let bearer = format!("Bearer {ada}");
    let auth = [
        ("authorization", bearer.as_str()),
        ("content-type", "application/json"),
    ];
    let config = format!("/api/v1/guilds/{GUILD_A}/config");
    let reset = format!("{config}/reset");
    let audit = format!("/api/v1/guilds/{GUILD_A}/audit-log");
    let version = |response: &e2e::TestResponse| response.json().unwrap()["version"].clone();

    for body in [
        r#"{"section":null}"#,
        r#"{"section":"everything"}"#,
        r#"{"section":1}"#,
    ] {
        let refused = client.send("POST", &reset, &auth, body).await.unwrap();
        assert_eq!(refused.status, 400, "{body}: {}", refused.text());
        assert!(refused.text().contains("`section`"), "{}", refused.text());
    }
    // Nothing to reset: answered with the current version, and no version is made.
    for body in ["", "{}", r#"{"section":"roles"}"#] {
        let noop = client.send("POST", &reset, &auth, body).await.unwrap();
        assert_eq!(noop.status, 200, "{body}: {}", noop.text());
        assert_eq!(version(&noop), 0, "{body}");
        assert_eq!(noop.json().unwrap()["changed_keys"], serde_json::json!([]));
        assert_eq!(noop.header("etag"), Some("\"0\""));
    }
    let get = client.send("GET", &config, &auth, "").await.unwrap();
    assert_eq!(get.header("etag"), Some("\"0\""), "{}", get.text());

    let patch = r#"{"patch":{"features":{"activity":true}},"expected_version":0}"#;
    let changed = client.send("PATCH", &config, &auth, patch).await.unwrap();
    assert_eq!(version(&changed), 1, "{}", changed.text());
    let same = r#"{"patch":{"features":{"activity":true}},"expected_version":1}"#;
    let unchanged = client.send("PATCH", &config, &auth, same).await.unwrap();
    assert_eq!(unchanged.status, 200, "{}", unchanged.text());
    assert_eq!(version(&unchanged), 1);
    assert_eq!(
        unchanged.json().unwrap()["changed_keys"],
        serde_json::json!([])
    );
    let entries = client.send("GET", &audit, &auth, "").await.unwrap();
    assert_eq!(
        entries.json().unwrap()["entries"].as_array().unwrap().len(),
        1,
        "one audit entry, for the one change: {}",
        entries.text()
    );
}
