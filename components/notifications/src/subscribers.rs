//! What the servers' event subscribers hear of a Kaltura notification: `meeting.started`,
//! `meeting.ended` and `recording.ready` (the catalogue's `event-catalogue`), published
//! through the `events` service once per server the notification was routed to, when it
//! is first claimed. A notification that is only an `entry_ready` has no subscriber
//! event. The data names the Kaltura notification (`kaltura_event_id`): a Kaltura retry
//! after every post to Discord failed publishes again, and subscribers can tell.

use contracts::config::Event;
use contracts::events::EventType;
use serde_json::{json, Value};

use crate::dedupe::EventId;
use crate::events::KalturaEvent;
use crate::routing::Delivery;

/// The subscriber event of a product event, if there is one.
pub fn event_type(event: Event) -> Option<EventType> {
    match event {
        Event::MeetingStart => Some(EventType::MeetingStarted),
        Event::MeetingEnd => Some(EventType::MeetingEnded),
        Event::RecordingReady => Some(EventType::RecordingReady),
        Event::EntryReady => None,
    }
}

/// The events to publish for `deliveries`: one per server and type, with the catalogue's
/// data.
pub fn events(
    id: &EventId,
    event: &KalturaEvent,
    deliveries: &[Delivery],
) -> Vec<(u64, EventType, Value)> {
    let mut out: Vec<(u64, EventType, Value)> = Vec::new();
    for delivery in deliveries {
        let Some(event_type) = event_type(delivery.event) else {
            continue;
        };
        let guild_id = delivery.guild_id.get();
        if out
            .iter()
            .any(|(g, t, _)| *g == guild_id && *t == event_type)
        {
            continue;
        }
        let mut data = json!({
            "guild_id": guild_id.to_string(),
            "kaltura_event_id": id.as_str().chars().take(event_catalogue::MAX_TEXT).collect::<String>(),
        });
        let meeting_id = delivery.meeting.as_ref().map(|m| m.id).or(event.meeting_id);
        if let Some(meeting_id) = meeting_id {
            data["meeting_id"] = Value::from(meeting_id.to_string());
        }
        if let Some(title) = &event.title {
            data["title"] = Value::from(
                title
                    .chars()
                    .take(event_catalogue::MAX_TEXT)
                    .collect::<String>(),
            );
        }
        if event_type == EventType::RecordingReady {
            let Some(entry_id) = &event.entry_id else {
                continue;
            };
            data["entry_id"] = Value::from(
                entry_id
                    .chars()
                    .take(event_catalogue::MAX_TEXT)
                    .collect::<String>(),
            );
            if let Some(duration) = event.duration_secs {
                data["duration_seconds"] = Value::from(duration);
            }
        }
        out.push((guild_id, event_type, data));
    }
    out
}
