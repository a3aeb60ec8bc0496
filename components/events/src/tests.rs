//! The service natively: an in-memory store playing Spin's SQLite store, a fake clock,
//! a receiver that answers from a script and records what it got.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::time::Duration;

use common::cas::{Flavor, MemoryCasStore};
use common::{Clock, FakeClock, MemoryVariables, Random, Transport};
use contracts::events::{DeliveryState, Event, EventType, NewSubscription, SubscriptionState};
use contracts::Actor;
use serde_json::json;

use crate::{Env, Service};

const GUILD: u64 = 1_100_000_000_000_000_001;
const WRAP: &str = "a deployment wrap secret, 32 characters or more";
const ADMIN: Actor = Actor::DiscordUser(1_200_000_000_000_000_002);

struct SeqRandom(Cell<u8>);

impl Random for SeqRandom {
    fn fill(&self, bytes: &mut [u8]) {
        for byte in bytes {
            self.0.set(self.0.get().wrapping_add(1));
            *byte = self.0.get();
        }
    }
}

/// What the receiver got.
#[derive(Debug, Clone)]
struct Received {
    url: String,
    id: String,
    timestamp: String,
    signature: String,
    body: Vec<u8>,
    at_ms: u64,
}

/// A receiver: answers each request with the next scripted status (200 when the script
/// is empty), or fails without an answer for status 0.
struct Receiver<'c> {
    clock: &'c FakeClock,
    script: RefCell<VecDeque<u16>>,
    got: RefCell<Vec<Received>>,
}

impl Transport for Receiver<'_> {
    fn send(
        &self,
        request: http::Request<Vec<u8>>,
        _timeout: Duration,
    ) -> Result<http::Response<Vec<u8>>, String> {
        let header = |name: &str| {
            request
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        };
        self.got.borrow_mut().push(Received {
            url: request.uri().to_string(),
            id: header("webhook-id"),
            timestamp: header("webhook-timestamp"),
            signature: header("webhook-signature"),
            body: request.body().clone(),
            at_ms: self.clock.now_millis(),
        });
        match self.script.borrow_mut().pop_front().unwrap_or(200) {
            0 => Err("connection refused".into()),
            status => http::Response::builder()
                .status(status)
                .body(Vec::new())
                .map_err(|e| e.to_string()),
        }
    }
}

struct World {
    kv: MemoryCasStore,
    clock: FakeClock,
    vars: MemoryVariables,
    random: SeqRandom,
    script: Vec<u16>,
}

impl World {
    fn new(schedule: &str) -> Self {
        Self {
            kv: MemoryCasStore::new(Flavor::Sqlite),
            clock: FakeClock::at_secs(1_800_000_000),
            vars: MemoryVariables::from_pairs(&[
                ("events_retry_schedule", schedule),
                ("events_key_wrap_secret", WRAP),
            ]),
            random: SeqRandom(Cell::new(0)),
            script: Vec::new(),
        }
    }

    fn receiver(&self) -> Receiver<'_> {
        Receiver {
            clock: &self.clock,
            script: RefCell::new(self.script.iter().copied().collect()),
            got: RefCell::new(Vec::new()),
        }
    }

    fn with<T>(&self, receiver: &Receiver<'_>, f: impl FnOnce(&Service<'_>) -> T) -> T {
        let log = |_: &str| {};
        let service = Service::new(Env {
            vars: &self.vars,
            kv: &self.kv,
            transport: receiver,
            clock: &self.clock,
            random: &self.random,
            log: &log,
        });
        f(&service)
    }
}

fn subscribe(service: &Service<'_>, types: &[EventType]) -> (String, String) {
    let created = service
        .create(
            GUILD,
            &NewSubscription {
                url: "https://hooks.example.com/kd".into(),
                event_types: types.to_vec(),
                description: "CRM".into(),
            },
            &ADMIN,
        )
        .unwrap();
    (created.subscription.id, created.secret)
}

fn joined(meeting: u64) -> Event {
    Event {
        event_type: EventType::MeetingJoined,
        guild_id: GUILD,
        data_json: json!({
            "guild_id": GUILD.to_string(),
            "meeting_id": meeting.to_string(),
            "user_id": "1200000000000000002",
            "source": "api",
        })
        .to_string(),
    }
}

#[test]
fn a_published_event_is_delivered_once_signed_with_the_subscriptions_secret() {
    let world = World::new("1");
    let receiver = world.receiver();
    world.with(&receiver, |service| {
        let (id, secret) = subscribe(service, &[EventType::MeetingJoined]);
        assert_eq!(service.publish(&joined(7)).unwrap(), 1);
        let report = service.pump(10).unwrap();
        assert_eq!((report.attempted, report.delivered), (1, 1));
        let got = receiver.got.borrow();
        assert_eq!(got.len(), 1);
        let key = crate::signing::key_of_secret(&secret).unwrap();
        let timestamp: u64 = got[0].timestamp.parse().unwrap();
        assert_eq!(
            got[0].signature,
            crate::signing::sign(&key, &got[0].id, timestamp, &got[0].body)
        );
        assert!(got[0].id.starts_with("msg_"));
        assert_eq!(got[0].url, "https://hooks.example.com/kd");
        let body: serde_json::Value = serde_json::from_slice(&got[0].body).unwrap();
        assert_eq!(body["type"], "meeting.joined");
        assert_eq!(body["data"]["meeting_id"], "7");
        let log = service.deliveries(GUILD, &id, 10).unwrap();
        assert_eq!(log.len(), 1);
        assert_eq!(log[0].state, DeliveryState::Delivered);
        assert_eq!(
            service.pump(10).unwrap().attempted,
            0,
            "nothing left to send"
        );
    });
}

#[test]
fn a_failing_receiver_is_retried_on_the_schedule_with_the_same_webhook_id() {
    let mut world = World::new("1,2,4");
    world.script = vec![500, 0, 503, 204];
    let receiver = world.receiver();
    world.with(&receiver, |service| {
        subscribe(service, &[EventType::MeetingJoined]);
        service.publish(&joined(7)).unwrap();
        let start = world.clock.now_millis();
        for _ in 0..80 {
            service.pump(10).unwrap();
            world.clock.advance(Duration::from_millis(100));
        }
        let got = receiver.got.borrow();
        assert_eq!(got.len(), 4);
        assert!(got.iter().all(|r| r.id == got[0].id));
        let offsets: Vec<u64> = got.iter().map(|r| r.at_ms - start).collect();
        assert_eq!(offsets, [0, 1000, 3000, 7000]);
    });
}

#[test]
fn a_later_event_waits_while_an_earlier_one_is_retried() {
    let mut world = World::new("1");
    world.script = vec![500, 200, 200];
    let receiver = world.receiver();
    world.with(&receiver, |service| {
        subscribe(service, &[EventType::MeetingJoined]);
        service.publish(&joined(1)).unwrap();
        service.publish(&joined(2)).unwrap();
        for _ in 0..30 {
            service.pump(10).unwrap();
            world.clock.advance(Duration::from_millis(100));
        }
        let meetings: Vec<String> = receiver
            .got
            .borrow()
            .iter()
            .map(|r| {
                let body: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
                body["data"]["meeting_id"].as_str().unwrap().to_owned()
            })
            .collect();
        assert_eq!(meetings, ["1", "1", "2"]);
    });
}

#[test]
fn a_delivery_that_runs_out_of_retries_pauses_its_subscription_until_resumed() {
    let mut world = World::new("1");
    world.script = vec![500, 502];
    let receiver = world.receiver();
    world.with(&receiver, |service| {
        let (id, _) = subscribe(service, &[EventType::MeetingJoined]);
        service.publish(&joined(1)).unwrap();
        service.publish(&joined(2)).unwrap();
        for _ in 0..30 {
            service.pump(10).unwrap();
            world.clock.advance(Duration::from_millis(100));
        }
        assert_eq!(receiver.got.borrow().len(), 2, "two attempts, then paused");
        let sub = service.get(GUILD, &id).unwrap();
        assert_eq!(sub.state, SubscriptionState::Paused);
        let reason = sub.paused_reason.unwrap();
        assert!(
            reason.contains("failed 2 times") && reason.contains("HTTP 502"),
            "{reason}"
        );
        assert_eq!(sub.pending, 1, "the later event waits");
        let log = service.deliveries(GUILD, &id, 10).unwrap();
        assert_eq!(log[0].state, DeliveryState::Pending);
        assert_eq!(log[1].state, DeliveryState::Failed);
        assert_eq!(log[1].attempts.len(), 2);

        let resumed = service.set_paused(GUILD, &id, false, &ADMIN).unwrap();
        assert_eq!(resumed.state, SubscriptionState::Active);
        assert_eq!(resumed.consecutive_failures, 0);
        service.pump(10).unwrap();
        assert_eq!(receiver.got.borrow().len(), 3);
        assert_eq!(service.get(GUILD, &id).unwrap().pending, 0);
    });
}

#[test]
fn a_delivery_claimed_by_one_pump_is_left_alone_by_another() {
    let world = World::new("1");
    let receiver = world.receiver();
    world.with(&receiver, |service| {
        let (id, _) = subscribe(service, &[EventType::MeetingJoined]);
        service.publish(&joined(1)).unwrap();
        crate::store::change(
            &world.kv,
            &crate::store::queue_key(&id),
            "queue",
            |q: &mut crate::store::Items| {
                q.items[0].lease_until_ms = world.clock.now_millis() + 10_000;
                Ok((true, ()))
            },
        )
        .unwrap();
        assert_eq!(service.pump(10).unwrap().attempted, 0);
        world.clock.advance(Duration::from_secs(11));
        assert_eq!(
            service.pump(10).unwrap().delivered,
            1,
            "an expired lease is taken over"
        );
    });
}

#[test]
fn only_subscriptions_of_the_server_that_chose_the_type_get_the_event() {
    let world = World::new("1");
    let receiver = world.receiver();
    world.with(&receiver, |service| {
        subscribe(service, &[EventType::MeetingCreated]);
        assert_eq!(service.publish(&joined(1)).unwrap(), 0);
        let mut other = joined(1);
        other.guild_id = 99;
        other.data_json = other.data_json.replace(&GUILD.to_string(), "99");
        subscribe(service, &[EventType::MeetingJoined]);
        assert_eq!(service.publish(&other).unwrap(), 0);
        service.pump(10).unwrap();
        assert!(receiver.got.borrow().is_empty());
    });
}

#[test]
fn data_outside_the_catalogue_or_for_another_server_is_refused() {
    let world = World::new("1");
    let receiver = world.receiver();
    world.with(&receiver, |service| {
        let mut event = joined(1);
        event.data_json = json!({"guild_id": GUILD.to_string()}).to_string();
        assert!(matches!(
            service.publish(&event),
            Err(contracts::Error::Invalid(_))
        ));
        let mut event = joined(1);
        event.guild_id = 99;
        assert!(matches!(
            service.publish(&event),
            Err(contracts::Error::Invalid(_))
        ));
    });
}

#[test]
fn the_secret_is_shown_at_creation_only() {
    let world = World::new("1");
    let receiver = world.receiver();
    world.with(&receiver, |service| {
        let (id, secret) = subscribe(service, &[EventType::MeetingJoined]);
        assert!(secret.starts_with("whsec_"));
        let shown = format!(
            "{:?}{:?}",
            service.list(GUILD).unwrap(),
            service.get(GUILD, &id).unwrap()
        );
        let key = secret.trim_start_matches("whsec_");
        assert!(!shown.contains(key));
        for stored_key in world.kv.keys() {
            let value = String::from_utf8_lossy(&world.kv.value(&stored_key).unwrap()).into_owned();
            assert!(!value.contains(key), "{stored_key} holds the key");
        }
    });
}

#[test]
fn without_a_wrap_secret_no_subscription_is_created() {
    let mut world = World::new("1");
    world.vars = MemoryVariables::from_pairs(&[("events_key_wrap_secret", "short")]);
    let receiver = world.receiver();
    world.with(&receiver, |service| {
        let err = service
            .create(
                GUILD,
                &NewSubscription {
                    url: "https://hooks.example.com/kd".into(),
                    event_types: vec![EventType::MeetingJoined],
                    description: String::new(),
                },
                &ADMIN,
            )
            .unwrap_err();
        assert_eq!(
            err,
            contracts::Error::NotConfigured("events_key_wrap_secret".into())
        );
    });
}

#[test]
fn a_private_destination_is_refused_at_creation() {
    let world = World::new("1");
    let receiver = world.receiver();
    world.with(&receiver, |service| {
        let err = service
            .create(
                GUILD,
                &NewSubscription {
                    url: "https://169.254.169.254/latest".into(),
                    event_types: vec![EventType::MeetingJoined],
                    description: String::new(),
                },
                &ADMIN,
            )
            .unwrap_err();
        assert!(matches!(err, contracts::Error::Invalid(m) if m.contains("link-local")));
    });
}

#[test]
fn a_deleted_subscription_receives_nothing_more() {
    let world = World::new("1");
    let receiver = world.receiver();
    world.with(&receiver, |service| {
        let (id, _) = subscribe(service, &[EventType::MeetingJoined]);
        service.publish(&joined(1)).unwrap();
        service.delete(GUILD, &id).unwrap();
        assert_eq!(service.pump(10).unwrap().attempted, 0);
        assert!(matches!(
            service.get(GUILD, &id),
            Err(contracts::Error::NotFound(_))
        ));
        assert!(receiver.got.borrow().is_empty());
    });
}
