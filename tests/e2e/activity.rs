//! The `activity` component end to end: the real `.wasm` (with the page built from
//! `activity/web` embedded) behind the `/activity/...` route of spin.toml, serving the
//! page with its content types, ETags and security headers.

use crate::support::configured;

#[tokio::test]
async fn the_page_is_served_with_a_policy_that_allows_the_cdn_and_discords_frames() {
    let (builder, _discord, _kaltura) = configured().await;
    let app = builder
        .variable("kaltura_cdn_url", "https://cdn.kaltura.example")
        .start()
        .await
        .unwrap();
    let mut client = e2e::Client::new(app.addr());

    let page = client
        .get("/activity/?room=c-1&entry=0_intro01")
        .await
        .unwrap();
    assert_eq!(page.status, 200, "{}", page.text());
    assert_eq!(
        page.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert!(page.text().contains("app.js"), "{}", page.text());
    let csp = page.header("content-security-policy").unwrap();
    assert!(
        csp.contains("script-src 'self' https://cdn.kaltura.example;"),
        "{csp}"
    );
    assert!(
        csp.contains("frame-ancestors https://discord.com https://*.discord.com https://*.discordsays.com 'self'"),
        "{csp}"
    );
    assert_eq!(page.header("x-content-type-options"), Some("nosniff"));

    let script = client.get("/activity/app.js").await.unwrap();
    assert_eq!(script.status, 200);
    assert_eq!(
        script.header("content-type"),
        Some("text/javascript; charset=utf-8")
    );
    let etag = script.header("etag").unwrap().to_owned();
    let again = client
        .send(
            "GET",
            "/activity/app.js",
            &[("if-none-match", etag.as_str())],
            String::new(),
        )
        .await
        .unwrap();
    assert_eq!(again.status, 304);

    let bare = client.get("/activity?room=c-1").await.unwrap();
    assert_eq!(bare.status, 308);
    assert_eq!(bare.header("location"), Some("/activity/?room=c-1"));
    assert_eq!(
        client.get("/activity/missing.js").await.unwrap().status,
        404
    );
    let post = client
        .send("POST", "/activity/", &[], String::new())
        .await
        .unwrap();
    assert_eq!(post.status, 405);
}
