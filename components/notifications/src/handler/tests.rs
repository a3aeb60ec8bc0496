use super::*;
use crate::dedupe::SeenRecord;
use crate::testing::{FakeDiscord, FakeEvents, FakeServices};
use common::cas::MemoryCasStore;
use common::{FakeClock, MemoryVariables};
use contracts::config::Event;
use contracts::Error;
use kaltura_api::webhook::{sign, HashAlgo};
use kaltura_api::AdminSecret;

const SECRET: &str = "0123456789abcdef0123456789abcdef";
const TOKEN: &str = "bot-token-must-never-leak";
const GUILD: &str = "123456789012345678";
const CHANNEL: &str = "223456789012345678";
const GUILD2: &str = "423456789012345678";
const CHANNEL2: &str = "523456789012345678";

const READY: &str = r#"{"objectType":"KalturaHttpNotification","eventType":"3","eventObjectType":"1","eventNotificationJobId":"98765","templateSystemName":"HTTP_ENTRY_STATUS_CHANGED","object":{"objectType":"KalturaMediaEntry","id":"0_abc123","name":"@everyone <@&123> **x**","status":2,"categoriesIds":"12","tags":"kd-guild:123456789012345678"}}"#;

struct Fx {
    vars: MemoryVariables,
    store: MemoryCasStore,
    discord: FakeDiscord,
    clock: FakeClock,
    services: FakeServices,
    events: FakeEvents,
}

impl Fx {
    fn new(discord: FakeDiscord) -> Self {
        Self {
            vars: MemoryVariables::from_pairs(&[
                ("kaltura_admin_secret", SECRET),
                ("discord_bot_token", TOKEN),
                ("discord_base_url", "https://discord.test"),
            ]),
            store: MemoryCasStore::default(),
            discord: discord.owning(CHANNEL, GUILD).owning(CHANNEL2, GUILD2),
            clock: FakeClock::at_secs(1_700_000_000),
            services: FakeServices::new().guild(GUILD, &[12]).channel(
                GUILD,
                Event::EntryReady,
                CHANNEL,
            ),
            events: FakeEvents::default(),
        }
    }

    fn env(&self) -> Env<'_, MemoryCasStore, FakeServices> {
        Env {
            vars: &self.vars,
            store: &self.store,
            transport: &self.discord,
            clock: &self.clock,
            services: &self.services,
            events: &self.events,
            policy: Policy::default(),
        }
    }

    fn post_with(
        &self,
        body: &str,
        signature: Option<&str>,
        algo: Option<&str>,
        path: &str,
    ) -> Reply {
        let reply = handle(
            &Incoming {
                method: "POST",
                path_with_query: path,
                signature,
                hash_algo: algo,
                body: body.as_bytes(),
            },
            &self.env(),
        );
        self.assert_no_secret(&reply);
        reply
    }

    fn post(&self, body: &str) -> Reply {
        let secret = AdminSecret::new(SECRET).unwrap();
        let sig = sign(&secret, body.as_bytes(), HashAlgo::Sha256);
        self.post_with(body, Some(&sig), Some("sha256"), "/webhooks/kaltura")
    }

    fn assert_no_secret(&self, reply: &Reply) {
        let text = format!("{} {}", String::from_utf8_lossy(&reply.body), reply.log);
        for secret in [TOKEN, SECRET] {
            assert!(!text.contains(secret), "secret in reply or log: {text}");
            for key in self.store.keys() {
                let value = String::from_utf8_lossy(&self.store.value(&key).unwrap()).into_owned();
                assert!(!value.contains(secret), "secret stored under {key}");
            }
        }
    }

    fn seen(&self, job: &str) -> SeenRecord {
        serde_json::from_slice(
            &common::cas::read(&self.store, &format!("notify/v1/seen/job-{job}"))
                .unwrap()
                .unwrap(),
        )
        .unwrap()
    }

    fn audit(&self, guild: &str) -> Vec<AuditEntry> {
        notify_log::read(&self.store, guild, 100).unwrap()
    }
}

fn json(reply: &Reply) -> Value {
    serde_json::from_slice(&reply.body).unwrap()
}

#[test]
fn a_signed_ready_entry_is_posted_once_and_audited() {
    let fx = Fx::new(FakeDiscord::new());
    let reply = fx.post(READY);
    assert_eq!(reply.status, 200, "{}", json(&reply));
    assert_eq!(json(&reply)["status"], "done");
    assert_eq!(json(&reply)["deliveries"][0]["outcome"], "delivered");
    assert_eq!(fx.discord.count(), 1);
    let sent = fx.discord.sent.borrow()[0].clone();
    assert_eq!(sent.method, "POST");
    assert_eq!(
        sent.uri,
        format!("https://discord.test/api/v10/channels/{CHANNEL}/messages")
    );
    assert_eq!(
        sent.header("authorization"),
        Some(format!("Bot {TOKEN}").as_str())
    );
    let content = sent.json()["content"].as_str().unwrap().to_owned();
    assert!(
        !content.contains("@everyone") && !content.contains("<@&"),
        "{content}"
    );
    assert_eq!(
        sent.json()["allowed_mentions"],
        serde_json::json!({"parse": []})
    );
    assert_eq!(fx.seen("98765").state, SeenState::Done);
    let audit = fx.audit(GUILD);
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].outcome, AuditOutcome::Delivered);
    assert_eq!(audit[0].event, "entry_ready");
    assert_eq!(audit[0].event_id, "job-98765");
    assert!(
        fx.events.published.borrow().is_empty(),
        "a plain entry_ready is no subscriber event"
    );
}

#[test]
fn a_redelivery_is_dropped_as_a_duplicate() {
    let fx = Fx::new(FakeDiscord::new());
    assert_eq!(fx.post(READY).status, 200);
    let again = fx.post(READY);
    assert_eq!(again.status, 200);
    assert_eq!(json(&again)["status"], "duplicate");
    assert_eq!(fx.discord.count(), 1);
    assert_eq!(fx.audit(GUILD).len(), 1);
}

#[test]
fn forged_unsigned_wrong_algorithm_and_tampered_notifications_are_401_with_no_effect() {
    let fx = Fx::new(FakeDiscord::new());
    let secret = AdminSecret::new(SECRET).unwrap();
    let good = sign(&secret, READY.as_bytes(), HashAlgo::Sha256);
    let forged = sign(
        &AdminSecret::new("not-the-secret").unwrap(),
        READY.as_bytes(),
        HashAlgo::Sha256,
    );
    let tampered = READY.replace("0_abc123", "0_abc124");
    for (why, body, sig, algo) in [
        ("unsigned", READY, None, None),
        ("forged", READY, Some(forged.as_str()), Some("sha256")),
        (
            "wrong algorithm",
            READY,
            Some(good.as_str()),
            Some("sha512"),
        ),
        ("unknown algorithm", READY, Some(good.as_str()), Some("md5")),
        (
            "tampered",
            tampered.as_str(),
            Some(good.as_str()),
            Some("sha256"),
        ),
    ] {
        let reply = fx.post_with(body, sig, algo, "/webhooks/kaltura");
        assert_eq!(reply.status, 401, "{why}");
    }
    assert_eq!(fx.discord.count(), 0);
    assert!(fx.store.keys().is_empty());
    assert_eq!(
        fx.services.lookups.get(),
        0,
        "nothing is looked up before the signature verifies"
    );
}

#[test]
fn every_payload_format_is_delivered() {
    let fields = "entry_id=0_abc123&entry_name=Lecture%201&entry_status=2&kd_category_ids=12&kd_guild_id=123456789012345678";
    let data = format!(
        "data={}",
        form_urlencoded::byte_serialize(READY.replace("98765", "11111").as_bytes())
            .collect::<String>()
    );
    for body in [READY.to_owned(), data, fields.to_owned()] {
        let fx = Fx::new(FakeDiscord::new());
        let reply = fx.post(&body);
        assert_eq!(reply.status, 200, "{body}: {}", json(&reply));
        assert_eq!(fx.discord.count(), 1, "{body}");
    }
}

#[test]
fn a_rate_limit_is_waited_out_and_audited_with_both_tries() {
    let fx = Fx::new(
        FakeDiscord::new()
            .then(
                429,
                r#"{"message":"You are being rate limited.","retry_after":0.5,"global":false}"#,
            )
            .then(200, r#"{"id":"777"}"#),
    );
    let reply = fx.post(READY);
    assert_eq!(reply.status, 200);
    assert_eq!(fx.discord.count(), 2);
    let audit = fx.audit(GUILD);
    assert_eq!(audit[0].attempts.len(), 3, "the lookup and both tries");
    assert_eq!(audit[0].attempts[0].result, crate::ownership::CHECKED);
    assert_eq!(audit[0].attempts[1].status, Some(429));
    assert_eq!(audit[0].message_id.as_deref(), Some("777"));
}

#[test]
fn a_channel_of_another_server_is_never_posted_to_and_is_audited_undeliverable() {
    let mut fx = Fx::new(FakeDiscord::new().owning(CHANNEL2, GUILD2));
    // This server's settings name the other server's channel.
    fx.services =
        FakeServices::new()
            .guild(GUILD, &[12])
            .channel(GUILD, Event::EntryReady, CHANNEL2);
    let reply = fx.post(READY);
    assert_eq!(reply.status, 200, "{}", json(&reply));
    assert_eq!(json(&reply)["deliveries"][0]["outcome"], "undeliverable");
    assert_eq!(fx.discord.count(), 0, "nothing was posted");
    let audit = fx.audit(GUILD);
    assert_eq!(audit[0].outcome, AuditOutcome::Undeliverable);
    let detail = audit[0].detail.clone().unwrap();
    assert!(
        detail.contains(&format!("belongs to server {GUILD2}")),
        "{detail}"
    );
    assert_eq!(json(&fx.post(READY))["status"], "duplicate", "not retried");
    assert_eq!(fx.discord.lookups.borrow().len(), 1);
}

#[test]
fn a_failing_channel_lookup_is_retried_later_and_the_redelivery_posts() {
    let fx = Fx::new((0..5).fold(FakeDiscord::new(), |discord, _| {
        discord.then_lookup(503, "")
    }));
    let reply = fx.post(READY);
    assert_eq!(reply.status, 503, "{}", json(&reply));
    assert_eq!(fx.discord.count(), 0);
    assert_eq!(fx.audit(GUILD)[0].outcome, AuditOutcome::RetryLater);
    fx.clock.advance(std::time::Duration::from_secs(60));
    let retry = fx.post(READY);
    assert_eq!(retry.status, 200, "{}", json(&retry));
    assert_eq!(fx.discord.count(), 1);
}

#[test]
fn a_discord_outage_is_503_and_the_redelivery_posts_exactly_once() {
    let fx = Fx::new(
        FakeDiscord::new()
            .then(500, "")
            .then(500, "")
            .then(500, "")
            .then(500, "")
            .then(500, ""),
    );
    let reply = fx.post(READY);
    assert_eq!(reply.status, 503);
    assert_eq!(json(&reply)["error"]["code"], "delivery_pending");
    assert_eq!(fx.seen("98765").state, SeenState::Pending);
    assert_eq!(fx.audit(GUILD)[0].outcome, AuditOutcome::RetryLater);
    let posted_before = fx.discord.count();
    fx.clock.advance(std::time::Duration::from_secs(60));
    let retry = fx.post(READY);
    assert_eq!(retry.status, 200, "{}", json(&retry));
    assert_eq!(fx.discord.count(), posted_before + 1);
    assert_eq!(fx.audit(GUILD).len(), 2);
    assert_eq!(json(&fx.post(READY))["status"], "duplicate");
}

#[test]
fn a_forbidden_channel_is_recorded_as_undeliverable_and_answered_200() {
    let fx = Fx::new(FakeDiscord::new().then(403, r#"{"message":"Missing Access","code":50001}"#));
    let reply = fx.post(READY);
    assert_eq!(reply.status, 200);
    assert_eq!(json(&reply)["deliveries"][0]["outcome"], "undeliverable");
    assert_eq!(fx.audit(GUILD)[0].outcome, AuditOutcome::Undeliverable);
    assert_eq!(json(&fx.post(READY))["status"], "duplicate");
    assert_eq!(fx.discord.count(), 1);
}

#[test]
fn a_copy_arriving_while_another_is_delivering_is_503_and_posts_nothing() {
    let fx = Fx::new(FakeDiscord::new());
    let id = EventId::new(Some("98765"), b"");
    let Claim::Claimed(record) = dedupe::decide(None, &id, fx.clock.now_secs()) else {
        panic!("claim")
    };
    dedupe::save(&fx.store, &crate::keys::seen(&id), &record).unwrap();
    let reply = fx.post(READY);
    assert_eq!(reply.status, 503);
    assert_eq!(json(&reply)["error"]["code"], "in_progress");
    assert_eq!(fx.discord.count(), 0);
}

#[test]
fn only_the_channels_still_missing_are_posted_on_redelivery() {
    let mut fx = Fx::new(
        FakeDiscord::new()
            .then(200, r#"{"id":"1"}"#)
            .then(500, "")
            .then(500, "")
            .then(500, "")
            .then(500, "")
            .then(500, ""),
    );
    fx.services = FakeServices::new()
        .guild(GUILD, &[12])
        .channel(GUILD, Event::EntryReady, CHANNEL)
        .guild(GUILD2, &[12])
        .channel(GUILD2, Event::EntryReady, CHANNEL2);
    let body = READY.replace(
        "kd-guild:123456789012345678",
        "kd-guild:123456789012345678,kd-guild:423456789012345678",
    );
    assert_eq!(fx.post(&body).status, 503);
    let before = fx.discord.count();
    fx.clock.advance(std::time::Duration::from_secs(60));
    let reply = fx.post(&body);
    assert_eq!(reply.status, 200, "{}", json(&reply));
    let sent = fx.discord.sent.borrow();
    assert_eq!(
        sent.len(),
        before + 1,
        "the delivered channel is not posted again"
    );
    assert!(sent[before].uri.contains(CHANNEL2));
}

#[test]
fn unrouted_and_ignored_events_are_200_and_store_nothing() {
    let mut fx = Fx::new(FakeDiscord::new());
    fx.services = FakeServices::new().guild(GUILD, &[12]);
    let reply = fx.post(READY);
    assert_eq!(reply.status, 200);
    assert_eq!(json(&reply)["status"], "not_routed");
    let reply = fx.post(&READY.replace(r#""status":2"#, r#""status":4"#));
    assert_eq!(json(&reply)["status"], "ignored");
    assert_eq!(fx.discord.count(), 0);
    assert!(fx.store.keys().is_empty());
}

#[test]
fn the_unsigned_url_never_names_the_server() {
    let fx = Fx::new(FakeDiscord::new());
    let body = READY.replace(r#","tags":"kd-guild:123456789012345678""#, "");
    let secret = AdminSecret::new(SECRET).unwrap();
    let sig = sign(&secret, body.as_bytes(), HashAlgo::Sha1);
    let reply = fx.post_with(
        &body,
        Some(&sig),
        None,
        &format!("/webhooks/kaltura?guild={GUILD}"),
    );
    assert_eq!(reply.status, 200, "{}", json(&reply));
    assert_eq!(json(&reply)["status"], "not_routed");
    assert!(json(&reply)["reason"]
        .as_str()
        .unwrap()
        .ends_with(UNSIGNED_GUILD));
    assert_eq!(fx.discord.count(), 0);
    assert_eq!(fx.discord.lookups.borrow().len(), 0);
}

#[test]
fn a_verified_body_that_smuggles_fields_is_400_and_posts_nothing() {
    let fx = Fx::new(FakeDiscord::new());
    for body in [
        "entry_id=0_a&entry_status=2&kd_category_ids=12&kd_guild_id=423456789012345678&kd_guild_id=123456789012345678",
        "entry_id=0_a&entry_status=2\u{80}\u{0}\u{0}&kd_guild_id=123456789012345678",
    ] {
        let reply = fx.post(body);
        assert_eq!(reply.status, 400, "{body}: {}", json(&reply));
        assert_eq!(json(&reply)["error"]["code"], "bad_request");
    }
    assert_eq!(fx.discord.count(), 0);
    assert!(fx.store.keys().is_empty());
    assert_eq!(fx.services.lookups.get(), 0, "nothing was routed");
}

#[test]
fn missing_discord_settings_are_503_before_anything_is_claimed() {
    let mut fx = Fx::new(FakeDiscord::new());
    fx.vars = MemoryVariables::from_pairs(&[("kaltura_admin_secret", SECRET)]);
    let reply = fx.post(READY);
    assert_eq!(reply.status, 503);
    assert!(json(&reply)["error"]["message"]
        .as_str()
        .unwrap()
        .contains("discord_bot_token"));
    assert!(fx.store.keys().is_empty());
}

#[test]
fn a_blank_discord_base_url_posts_to_discord_itself() {
    // The copies of this setting's rule disagreed: this service once required it (503
    // when blank), the others defaulted it. It is discord-api's `rest::base_url` now.
    let mut fx = Fx::new(FakeDiscord::new());
    fx.vars = MemoryVariables::from_pairs(&[
        ("kaltura_admin_secret", SECRET),
        ("discord_bot_token", TOKEN),
        ("discord_base_url", ""),
    ]);
    let reply = fx.post(READY);
    assert_eq!(reply.status, 200, "{}", json(&reply));
    assert_eq!(
        fx.discord.sent.borrow()[0].uri,
        format!("https://discord.com/api/v10/channels/{CHANNEL}/messages")
    );
}

#[test]
fn a_discord_base_url_with_a_path_is_refused_before_anything_is_claimed() {
    let mut fx = Fx::new(FakeDiscord::new());
    fx.vars = MemoryVariables::from_pairs(&[
        ("kaltura_admin_secret", SECRET),
        ("discord_bot_token", TOKEN),
        ("discord_base_url", "https://proxy.example/discord"),
    ]);
    let reply = fx.post(READY);
    assert_eq!(reply.status, 503);
    assert!(json(&reply)["error"]["message"]
        .as_str()
        .unwrap()
        .contains("discord_base_url"));
    assert!(fx.store.keys().is_empty());
    assert_eq!(fx.discord.count(), 0);
}

#[test]
fn a_failing_service_is_503_so_kaltura_redelivers() {
    let mut fx = Fx::new(FakeDiscord::new());
    fx.services = FakeServices::new().failing(Error::storage("config storage failed"));
    let reply = fx.post(READY);
    assert_eq!(reply.status, 503);
    assert_eq!(fx.discord.count(), 0);
}

#[test]
fn a_meeting_event_declared_by_the_template_goes_to_the_meetings_channel_with_a_join_button() {
    let mut fx = Fx::new(FakeDiscord::new());
    fx.services = FakeServices::new()
        .meeting(42, GUILD, CHANNEL)
        .guild(GUILD, &[]);
    let reply = fx.post("kd_event=meeting_start&kd_meeting_id=42");
    assert_eq!(reply.status, 200, "{}", json(&reply));
    let sent = fx.discord.sent.borrow()[0].json();
    assert!(sent["content"]
        .as_str()
        .unwrap()
        .contains("Weekly @\u{200B}everyone sync"));
    assert_eq!(
        sent["components"][0]["components"][0]["custom_id"],
        "v1:join:42"
    );
    assert_eq!(fx.audit(GUILD)[0].event, "meeting_start");
    let published = fx.events.published.borrow();
    assert_eq!(published.len(), 1, "subscribers hear of it once");
    assert_eq!(
        published[0].event_type,
        contracts::events::EventType::MeetingStarted
    );
    let data: Value = serde_json::from_str(&published[0].data_json).unwrap();
    event_catalogue::check_data(published[0].event_type, &data).unwrap();
    assert_eq!(data["meeting_id"], "42");
    assert_eq!(data["guild_id"], GUILD);
    drop(published);
    fx.post("kd_event=meeting_start&kd_meeting_id=42");
    assert_eq!(
        fx.events.published.borrow().len(),
        1,
        "a redelivery publishes nothing"
    );
}
