//! The Notification & Webhook Service: Kaltura's HTTP event notifications arrive at
//! `POST /webhooks/kaltura`, are verified (`X-KALTURA-SIGNATURE` over the raw body)
//! before anything is parsed, and become Discord channel messages — exactly once, with
//! each server's templates, and an audit log per server.
//!
//! | module | role |
//! |---|---|
//! | [`receiver`] | method, settings, signature (constant time, sha1/sha256/sha512) and payload checks, in that order |
//! | [`events`] | Kaltura notification → product event (`meeting_start`, `meeting_end`, `recording_ready`, `entry_ready`), or why none |
//! | [`routing`] | which servers and channels: a meeting's own channel, or each server's configured channel; the message, rendered by `config` |
//! | [`render`] | the template variables, escaped, that `config` fills into the server's template; explicit `allowed_mentions`, nonce |
//! | [`ownership`] | before each post, Discord must say the channel is the server's (`GET /channels/{id}`); another server's is refused for good |
//! | [`delivery`] | posting with Discord's rules: `429` `retry_after`, `5xx` backoff, inside a 10 s budget |
//! | [`dedupe`] | exactly once across Kaltura's redeliveries (compare-and-swap claim per event) |
//! | [`notify_log`] (crate) | each server's audit log of attempts and outcomes: this service's, shared read-only with the gateway |
//! | [`subscribers`] | the servers' event subscribers: `meeting.started`, `meeting.ended`, `recording.ready` through the `events` service |
//! | [`handler`] | the whole request, host-free, and what is answered when |
//! | [`keys`] | key layout |
//!
//! Everything but `component` (the thin Spin adapter) is host-free and unit-tested
//! natively. The ports are `common`'s — the compare-and-swap store (`common::cas`),
//! transport and clock, with `common`'s in-memory store and clock in tests — and the
//! contracts' `config` and `kaltura` ([`routing::Services`], in-memory fakes in tests).
//! The types are the contracts' (`contracts::config::Event`, `contracts::kaltura::Meeting`,
//! ...): this crate keeps no copy of a WIT type, and asks `config` for every rule about a
//! server's posts (on or off, which channel, which template). The adapter fills the
//! ports with `spin-adapter`'s implementations — `wasi:keyvalue` (store `default`, with
//! its atomics), outbound HTTP with timeouts, the wall clock — and
//! `contracts::Imported`.
//!
//! # Setting up Kaltura (for the Kaltura partner's administrator)
//!
//! In the KMC (*Settings → Integration Settings → Event Notifications*), add HTTP
//! notification templates whose URL is `https://<your-app>/webhooks/kaltura`, method
//! POST. Kaltura signs every notification with the partner's **admin secret** — the same
//! value as this deployment's `kaltura_admin_secret` — and the receiver refuses (401)
//! anything whose signature does not match, so rotate both together. Set the template's
//! hashing algorithm to SHA-256 or SHA-512 if you can (SHA-1 is the default and is
//! accepted). The receiver answers 200 only once the messages are posted (or refused for
//! good by Discord), and 5xx when Kaltura should redeliver; keep Kaltura's retries on.
//!
//! | to post | enable | payload |
//! |---|---|---|
//! | `entry_ready` (a new video is ready) | **`HTTP_ENTRY_STATUS_CHANGED`** (fires when an entry's status changes; READY = 2 is posted), or `HTTP_ENTRY_STATUS_EQUALS` with `trigger_status` = 2 | API object (JSON) recommended; template fields and `data=` also accepted |
//! | `recording_ready` | the same templates: a READY entry that is a live recording (`sourceType` 34/36) or names its meeting (`kd_meeting_id`) | as above |
//! | `meeting_start`, `meeting_end` | Kaltura ships **no** template for these: add a custom HTTP template on the object whose change means "started"/"ended" for you, with the template-fields payload and a user parameter `kd_event` = `meeting_start` or `meeting_end` (plus `kd_meeting_id` or `kd_guild_id`) | template fields |
//!
//! Do **not** point `HTTP_ENTRY_CHANGED` (fires on every edit) at this URL: a READY
//! entry there is not a new video, and such notifications are ignored.
//!
//! **Which Discord servers.** Events of meetings started from Discord go to that
//! meeting's channel. For every other event the **signed body** must name the servers to
//! consider; each then posts it only in the channel it configured for that event
//! (`/kaltura-config`, `notifications.events.<event>.channel_id`; Discord must confirm
//! before each post that the channel is that server's, see [`ownership`]), and only
//! videos in the Kaltura categories it follows (`kaltura.category_ids`). Name them with a
//! template user parameter `kd_guild_id` (comma-separated Discord server ids;
//! template-fields payloads), or a `kd-guild:<server id>` tag on the entry (any payload,
//! the API object's too; rooms made by this app carry it; whoever may edit an entry may
//! tag it — the server still posts only videos of categories it follows). Nothing on the
//! URL is read: the signature does not cover it (a `?guild=` there, which older versions
//! read, is only mentioned in the answer when the event goes nowhere).
//!
//! **Residual risk of the signature.** Kaltura signs `HASH(admin secret ‖ body)`, not an
//! HMAC, so whoever holds one signed notification (a proxy log, a captured request) can
//! compute the signature of that body with anything appended (length extension) — and
//! can replay the body as it is. The receiver refuses every extended body before reading
//! it (the appended padding always holds a NUL byte and `0x80`: control bytes and
//! invalid UTF-8 are refused, see `kaltura_api::webhook`), refuses a body that names a
//! field twice, and posts a replayed body at most once (deduplicated by Kaltura's job
//! id, or by the body's SHA-256 for a day). What it cannot refuse is the replay of a
//! genuine body before the original arrives, which posts what Kaltura would have posted.
//! The Kaltura administrator should: deliver notifications over HTTPS only; choose
//! SHA-256 or SHA-512 (both are as extendable as SHA-1, but stronger otherwise); put the
//! server in the signed body (`kd_guild_id`, or `kd-guild:` tags) and nothing in the URL;
//! keep the admin secret out of every other system (it signs these notifications and
//! every KS), and rotate it with `kaltura_admin_secret` if a notification may have
//! leaked.
//!
//! For template-fields payloads, also add a content parameter `kd_category_ids` with the
//! entry's category ids (the API object carries `categoriesIds` itself).
//!
//! **What the product cannot know** (and so never posts on a guess):
//! - that a meeting started or ended, from a generic change notification: only a
//!   template that says so (`kd_event`). Kaltura Meetings (newrow) rooms and live
//!   entries report broadcasting through objects and states this service does not
//!   interpret (a live entry's `liveStatus` lives on its entry server nodes, whose
//!   notifications are not settled);
//! - which meeting a recording belongs to, unless the notification names it
//!   (`kd_meeting_id`): Kaltura does not link a newrow recording to the schedule
//!   resource this app created;
//! - the Discord server's name (`{{guild}}` reads "this server");
//! - whether a template-fields notification without a job id is a redelivery or a new
//!   event with an identical body: such bodies are deduplicated by their SHA-256 for a
//!   day.
//!
//! # Keys and audit
//! See [`keys`]: `notify/v1/seen/<event-id>` and `notify/v1/audit/<guild-id>`. The audit
//! log's code is the `notify-log` crate: this service appends ([`notify_log::append`]);
//! the gateway serves it (`GET /api/v1/guilds/{guild_id}/notifications/audit-log`)
//! through [`notify_log::read`], which takes any `common::KeyValue`.
//!
//! # Secrets
//! The bot token goes only into the `Authorization` header of requests to Discord; the
//! admin secret only into the signature check. Neither appears in a log line, an
//! error, an answer, an audit entry or a stored record.

pub mod dedupe;
pub mod delivery;
pub mod events;
pub mod handler;
pub mod keys;
pub mod ownership;
pub mod receiver;
pub mod render;
pub mod routing;
pub mod subscribers;

#[cfg(test)]
mod testing;

// The Spin adapter; the `#[http_component]` export and the WIT bindings it generates
// are FFI.
#[cfg(target_arch = "wasm32")]
#[allow(unsafe_code)]
mod component;
