//! [`Service`]: the WIT functions over the ports, and the contract's port
//! ([`contracts::Events`]).

use common::cas::DynCasStore;
use common::{Clock, Random, Transport, Variables};
use contracts::events::{
    CreatedSubscription, Delivery, DeliveryAttempt, DeliveryState, Event, NewSubscription,
    PumpReport, Subscription, SubscriptionState,
};
use contracts::{Actor, Error, ServiceStatus, Snowflake};

use crate::settings::Settings;
use crate::store::{self, Item, Items, Stored, Subscriptions};
use crate::{destination, signing, time};

/// The longest description.
pub const MAX_DESCRIPTION: usize = 200;

/// Everything this service runs against; the adapter fills it from Spin.
#[derive(Clone, Copy)]
pub struct Env<'a> {
    /// Deployment settings.
    pub vars: &'a dyn Variables,
    /// The key-value store (`events/v1/…`), with compare-and-swap.
    pub kv: &'a dyn DynCasStore,
    /// Outbound HTTP to subscribers (the importer's `allowed_outbound_hosts`).
    pub transport: &'a dyn Transport,
    /// Time.
    pub clock: &'a dyn Clock,
    /// Signing keys and ids (cryptographically secure).
    pub random: &'a dyn Random,
    /// Where problems with settings are reported (the component's stderr).
    pub log: &'a dyn Fn(&str),
}

/// The Event Service.
#[derive(Clone, Copy)]
pub struct Service<'a> {
    /// Its ports.
    pub env: Env<'a>,
}

fn not_found(id: &str) -> Error {
    Error::NotFound(format!("no subscription {id} on this server"))
}

/// `prefix` and 24 random hexadecimal digits.
pub(crate) fn random_id(random: &dyn Random, prefix: &str) -> String {
    let mut bytes = [0u8; 12];
    random.fill(&mut bytes);
    format!("{prefix}{}", hex::encode(bytes))
}

/// Whether `id` looks like a subscription id (so it can be part of a key).
fn well_formed_id(id: &str) -> bool {
    id.strip_prefix("sub_")
        .is_some_and(|hex| hex.len() == 24 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
}

impl<'a> Service<'a> {
    /// A service over `env`.
    pub fn new(env: Env<'a>) -> Self {
        Self { env }
    }

    pub(crate) fn settings(&self) -> Settings {
        let (settings, problems) = Settings::read(self.env.vars);
        for problem in problems {
            (self.env.log)(&problem);
        }
        settings
    }

    /// WIT `status`.
    pub fn status(&self) -> ServiceStatus {
        ServiceStatus {
            name: "events".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            missing_settings: Vec::new(),
            key_value_ok: common::status::key_value_round_trip(self.env.kv, store::READY_PROBE),
        }
    }

    /// WIT `publish`.
    ///
    /// # Errors
    /// `invalid` for data outside the catalogue; `storage`.
    pub fn publish(&self, event: &Event) -> Result<u32, Error> {
        let data: serde_json::Value = serde_json::from_str(&event.data_json)
            .map_err(|_| Error::Invalid("data-json must be JSON".into()))?;
        event_catalogue::check_data(event.event_type, &data).map_err(Error::Invalid)?;
        if data["guild_id"].as_str() != Some(event.guild_id.to_string().as_str()) {
            return Err(Error::Invalid(
                "data.guild_id must be the event's server".into(),
            ));
        }
        let subscriptions: Subscriptions = store::read(
            self.env.kv,
            &store::subscriptions_key(event.guild_id),
            "subscriptions",
        )?;
        let now_ms = self.env.clock.now_millis();
        let body = serde_json::to_string(&event_catalogue::envelope(
            event.event_type,
            &time::rfc3339(now_ms / 1000),
            data,
        ))
        .map_err(|err| Error::Other(err.to_string()))?;
        let mut queued = 0;
        for subscription in subscriptions
            .subscriptions
            .iter()
            .filter(|s| s.event_types.contains(&event.event_type))
        {
            let item = Item {
                id: random_id(self.env.random, "msg_"),
                event_type: event.event_type,
                body: body.clone(),
                created_ms: now_ms,
                attempts: Vec::new(),
                next_at_ms: now_ms,
                lease_until_ms: 0,
                outcome: None,
            };
            let added = store::change(
                self.env.kv,
                &store::queue_key(&subscription.id),
                "queue",
                |queue: &mut Items| {
                    if queue.items.len() >= store::MAX_QUEUE {
                        return Ok((false, false));
                    }
                    queue.items.push(item.clone());
                    Ok((true, true))
                },
            )?;
            if !added {
                self.count_dropped(event.guild_id, &subscription.id)?;
                continue;
            }
            if !subscription.paused {
                store::mark_due(self.env.kv, &subscription.id, event.guild_id, now_ms)?;
            }
            queued += 1;
        }
        Ok(queued)
    }

    fn count_dropped(&self, guild_id: u64, id: &str) -> Result<(), Error> {
        (self.env.log)(&format!(
            "subscription {id}: queue full ({} pending), event dropped",
            store::MAX_QUEUE
        ));
        store::change(
            self.env.kv,
            &store::subscriptions_key(guild_id),
            "subscriptions",
            |subs: &mut Subscriptions| {
                let Some(sub) = subs.subscriptions.iter_mut().find(|s| s.id == id) else {
                    return Ok((false, ()));
                };
                sub.dropped = sub.dropped.saturating_add(1);
                Ok((true, ()))
            },
        )
    }

    /// WIT `pump`.
    ///
    /// # Errors
    /// `storage`.
    pub fn pump(&self, max_attempts: u32) -> Result<PumpReport, Error> {
        crate::pump::run(self, max_attempts)
    }

    /// WIT `create`.
    ///
    /// # Errors
    /// `invalid` naming the field; `storage`.
    pub fn create(
        &self,
        guild_id: Snowflake,
        request: &NewSubscription,
        created_by: &Actor,
    ) -> Result<CreatedSubscription, Error> {
        if guild_id == 0 {
            return Err(Error::Invalid("guild-id must be a Discord ID".into()));
        }
        let settings = self.settings();
        destination::check(&request.url, settings.allow_http, settings.allow_private)
            .map_err(Error::Invalid)?;
        if request.event_types.is_empty() {
            return Err(Error::Invalid(
                "event_types must name at least one event".into(),
            ));
        }
        let mut types = request.event_types.clone();
        types.sort_unstable();
        types.dedup();
        if types.len() != request.event_types.len() {
            return Err(Error::Invalid(
                "event_types must not repeat an event".into(),
            ));
        }
        if request.description.chars().count() > MAX_DESCRIPTION
            || request.description.chars().any(char::is_control)
        {
            return Err(Error::Invalid(format!(
                "description must be at most {MAX_DESCRIPTION} characters, without control characters"
            )));
        }
        let wrap_secret = settings
            .wrap_secret
            .ok_or_else(|| Error::NotConfigured(crate::settings::WRAP_SECRET.into()))?;
        let mut key = [0u8; signing::KEY_LEN];
        self.env.random.fill(&mut key);
        let id = random_id(self.env.random, "sub_");
        let stored = Stored {
            key: signing::wrap_key(wrap_secret.as_bytes(), &id, &key),
            id,
            url: request.url.clone(),
            event_types: request.event_types.clone(),
            description: request.description.clone(),
            paused: false,
            paused_reason: None,
            paused_at: None,
            created_at: self.env.clock.now_secs(),
            created_by: store::actor_text(created_by),
            consecutive_failures: 0,
            dropped: 0,
        };
        store::change(
            self.env.kv,
            &store::subscriptions_key(guild_id),
            "subscriptions",
            |subs: &mut Subscriptions| {
                if subs.subscriptions.len() >= store::MAX_SUBSCRIPTIONS {
                    return Err(Error::Invalid(format!(
                        "a server may have at most {} subscriptions",
                        store::MAX_SUBSCRIPTIONS
                    )));
                }
                subs.subscriptions.push(stored.clone());
                Ok((true, ()))
            },
        )?;
        Ok(CreatedSubscription {
            subscription: view(guild_id, &stored, 0),
            secret: signing::secret_text(&key),
        })
    }

    fn pending(&self, id: &str) -> Result<u32, Error> {
        let queue: Items = store::read(self.env.kv, &store::queue_key(id), "queue")?;
        Ok(u32::try_from(queue.items.len()).unwrap_or(u32::MAX))
    }

    /// WIT `list`.
    ///
    /// # Errors
    /// `storage`.
    pub fn list(&self, guild_id: Snowflake) -> Result<Vec<Subscription>, Error> {
        let subs: Subscriptions = store::read(
            self.env.kv,
            &store::subscriptions_key(guild_id),
            "subscriptions",
        )?;
        subs.subscriptions
            .iter()
            .map(|s| Ok(view(guild_id, s, self.pending(&s.id)?)))
            .collect()
    }

    fn find(&self, guild_id: Snowflake, id: &str) -> Result<Stored, Error> {
        if !well_formed_id(id) {
            return Err(not_found(id));
        }
        let subs: Subscriptions = store::read(
            self.env.kv,
            &store::subscriptions_key(guild_id),
            "subscriptions",
        )?;
        subs.subscriptions
            .into_iter()
            .find(|s| s.id == id)
            .ok_or_else(|| not_found(id))
    }

    /// WIT `get`.
    ///
    /// # Errors
    /// `not-found`; `storage`.
    pub fn get(&self, guild_id: Snowflake, id: &str) -> Result<Subscription, Error> {
        let stored = self.find(guild_id, id)?;
        Ok(view(guild_id, &stored, self.pending(id)?))
    }

    /// WIT `delete`.
    ///
    /// # Errors
    /// `not-found`; `storage`.
    pub fn delete(&self, guild_id: Snowflake, id: &str) -> Result<(), Error> {
        self.find(guild_id, id)?;
        store::change(
            self.env.kv,
            &store::subscriptions_key(guild_id),
            "subscriptions",
            |subs: &mut Subscriptions| {
                let before = subs.subscriptions.len();
                subs.subscriptions.retain(|s| s.id != id);
                if subs.subscriptions.len() == before {
                    return Err(not_found(id));
                }
                Ok((true, ()))
            },
        )?;
        store::delete(self.env.kv, &store::queue_key(id))?;
        store::delete(self.env.kv, &store::log_key(id))?;
        store::set_due(self.env.kv, id, guild_id, None)
    }

    /// WIT `set-paused`.
    ///
    /// # Errors
    /// `not-found`; `storage`.
    pub fn set_paused(
        &self,
        guild_id: Snowflake,
        id: &str,
        paused: bool,
        actor: &Actor,
    ) -> Result<Subscription, Error> {
        self.find(guild_id, id)?;
        let now = self.env.clock.now_secs();
        let stored = store::change(
            self.env.kv,
            &store::subscriptions_key(guild_id),
            "subscriptions",
            |subs: &mut Subscriptions| {
                let Some(sub) = subs.subscriptions.iter_mut().find(|s| s.id == id) else {
                    return Err(not_found(id));
                };
                if sub.paused == paused {
                    return Ok((false, sub.clone()));
                }
                sub.paused = paused;
                if paused {
                    sub.paused_reason = Some(format!("paused by {}", store::actor_text(actor)));
                    sub.paused_at = Some(now);
                } else {
                    sub.paused_reason = None;
                    sub.paused_at = None;
                    sub.consecutive_failures = 0;
                }
                Ok((true, sub.clone()))
            },
        )?;
        if !paused {
            self.resume_queue(guild_id, id)?;
        }
        Ok(view(guild_id, &stored, self.pending(id)?))
    }

    /// Makes the first pending delivery of a resumed subscription due now.
    fn resume_queue(&self, guild_id: Snowflake, id: &str) -> Result<(), Error> {
        let now_ms = self.env.clock.now_millis();
        let any = store::change(
            self.env.kv,
            &store::queue_key(id),
            "queue",
            |queue: &mut Items| {
                let Some(head) = queue.items.first_mut() else {
                    return Ok((false, false));
                };
                let write = head.next_at_ms > now_ms;
                head.next_at_ms = head.next_at_ms.min(now_ms);
                Ok((write, true))
            },
        )?;
        if any {
            store::mark_due(self.env.kv, id, guild_id, now_ms)?;
        }
        Ok(())
    }

    /// WIT `deliveries`.
    ///
    /// # Errors
    /// `not-found`; `invalid` for a limit out of range; `storage`.
    pub fn deliveries(
        &self,
        guild_id: Snowflake,
        id: &str,
        limit: u32,
    ) -> Result<Vec<Delivery>, Error> {
        if !(1..=100).contains(&limit) {
            return Err(Error::Invalid("limit must be 1 to 100".into()));
        }
        self.find(guild_id, id)?;
        let queue: Items = store::read(self.env.kv, &store::queue_key(id), "queue")?;
        let log: Items = store::read(self.env.kv, &store::log_key(id), "delivery log")?;
        Ok(queue
            .items
            .iter()
            .rev()
            .chain(log.items.iter().rev())
            .take(usize::try_from(limit).unwrap_or(usize::MAX))
            .map(delivery_view)
            .collect())
    }
}

/// The contract's view of a stored subscription (never its key).
pub fn view(guild_id: Snowflake, stored: &Stored, pending: u32) -> Subscription {
    Subscription {
        id: stored.id.clone(),
        guild_id,
        url: stored.url.clone(),
        event_types: stored.event_types.clone(),
        description: stored.description.clone(),
        state: if stored.paused {
            SubscriptionState::Paused
        } else {
            SubscriptionState::Active
        },
        paused_reason: stored.paused_reason.clone(),
        paused_at: stored.paused_at,
        created_at: stored.created_at,
        created_by: store::actor_from_text(&stored.created_by),
        consecutive_failures: stored.consecutive_failures,
        pending,
    }
}

fn delivery_view(item: &Item) -> Delivery {
    let state = match item.outcome.as_deref() {
        None => DeliveryState::Pending,
        Some("delivered") => DeliveryState::Delivered,
        Some(_) => DeliveryState::Failed,
    };
    Delivery {
        id: item.id.clone(),
        event_type: item.event_type,
        created_at_ms: item.created_ms,
        state,
        attempts: item
            .attempts
            .iter()
            .map(|a| DeliveryAttempt {
                at_ms: a.at_ms,
                status: a.status,
                error: a.error.clone(),
                duration_ms: a.duration_ms,
            })
            .collect(),
        next_attempt_at_ms: item.outcome.is_none().then_some(item.next_at_ms),
    }
}

impl contracts::Events for Service<'_> {
    fn status(&self) -> ServiceStatus {
        Service::status(self)
    }
    fn publish(&self, event: &Event) -> Result<u32, Error> {
        Service::publish(self, event)
    }
    fn pump(&self, max_attempts: u32) -> Result<PumpReport, Error> {
        Service::pump(self, max_attempts)
    }
    fn create(
        &self,
        guild_id: Snowflake,
        request: &NewSubscription,
        created_by: &Actor,
    ) -> Result<CreatedSubscription, Error> {
        Service::create(self, guild_id, request, created_by)
    }
    fn list(&self, guild_id: Snowflake) -> Result<Vec<Subscription>, Error> {
        Service::list(self, guild_id)
    }
    fn get(&self, guild_id: Snowflake, id: &str) -> Result<Subscription, Error> {
        Service::get(self, guild_id, id)
    }
    fn delete(&self, guild_id: Snowflake, id: &str) -> Result<(), Error> {
        Service::delete(self, guild_id, id)
    }
    fn set_paused(
        &self,
        guild_id: Snowflake,
        id: &str,
        paused: bool,
        actor: &Actor,
    ) -> Result<Subscription, Error> {
        Service::set_paused(self, guild_id, id, paused, actor)
    }
    fn deliveries(
        &self,
        guild_id: Snowflake,
        id: &str,
        limit: u32,
    ) -> Result<Vec<Delivery>, Error> {
        Service::deliveries(self, guild_id, id, limit)
    }
}
