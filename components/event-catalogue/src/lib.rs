//! The event catalogue: what a subscriber receives.
//!
//! Every delivery's body is one envelope, as Standard Webhooks recommends:
//! `{"type": "meeting.created", "timestamp": "<RFC 3339, UTC>", "data": {…}}`. Each
//! type's `data` is described once, in [`fields`]; from that one table come the check a
//! publisher's data must pass ([`check_data`]), the JSON Schemas ([`schema`]) and the
//! examples ([`example`]) the OpenAPI document publishes. Discord and Kaltura IDs are
//! strings (JavaScript loses precision on 64-bit numbers); unknown fields may be added
//! in later versions, so receivers must ignore fields they do not know.

use contracts::events::EventType;
use serde_json::{json, Map, Value};

/// What a field of an event's `data` holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A Discord ID in decimal text.
    Snowflake,
    /// Decimal digits (a meeting ID).
    Digits,
    /// Any text (at most [`MAX_TEXT`] characters).
    Text,
    /// A non-negative integer.
    Count,
    /// One of these names.
    OneOf(&'static [&'static str]),
}

/// One field of an event's `data`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    /// Its name.
    pub name: &'static str,
    /// What it holds.
    pub kind: Kind,
    /// Whether every event of the type has it.
    pub required: bool,
    /// What it means (the schema's `description`).
    pub about: &'static str,
    /// The value in the example.
    pub example: &'static str,
}

/// The longest text field: titles come from members and Kaltura.
pub const MAX_TEXT: usize = 500;

/// Where an action came from.
pub const SOURCES: &[&str] = &["discord", "api"];

const fn field(
    name: &'static str,
    kind: Kind,
    required: bool,
    about: &'static str,
    example: &'static str,
) -> Field {
    Field {
        name,
        kind,
        required,
        about,
        example,
    }
}

const GUILD: Field = field(
    "guild_id",
    Kind::Snowflake,
    true,
    "The Discord server.",
    "1100000000000000001",
);
const MEETING: Field = field(
    "meeting_id",
    Kind::Digits,
    true,
    "The meeting (Kaltura schedule resource id).",
    "4242",
);
const SOURCE: Field = field(
    "source",
    Kind::OneOf(SOURCES),
    true,
    "Where the action was taken: a slash command or the API.",
    "discord",
);
const TITLE: Field = field(
    "title",
    Kind::Text,
    false,
    "The meeting's or entry's title (text from members or Kaltura: escape it).",
    "Weekly sync",
);
const KALTURA_EVENT: Field = field(
    "kaltura_event_id",
    Kind::Text,
    true,
    "The id of the Kaltura notification this event comes from (its dedupe id).",
    "job-77",
);
const OPTIONAL_MEETING: Field = field(
    "meeting_id",
    Kind::Digits,
    false,
    "The meeting, when the notification names it.",
    "4242",
);

const CREATED: &[Field] = &[
    GUILD,
    MEETING,
    field(
        "kind",
        Kind::OneOf(&["webinar", "meeting", "classroom"]),
        true,
        "The kind of room.",
        "meeting",
    ),
    TITLE,
    field(
        "owner_user_id",
        Kind::Snowflake,
        false,
        "The member who created it (absent when an API key did).",
        "1200000000000000002",
    ),
    field(
        "channel_id",
        Kind::Snowflake,
        false,
        "The channel it was announced in.",
        "1300000000000000003",
    ),
    SOURCE,
];

const JOINED: &[Field] = &[
    GUILD,
    MEETING,
    field(
        "user_id",
        Kind::Snowflake,
        true,
        "The member who asked for their join link.",
        "1200000000000000002",
    ),
    SOURCE,
];

const STARTED_OR_ENDED: &[Field] = &[GUILD, KALTURA_EVENT, OPTIONAL_MEETING, TITLE];

const RECORDING: &[Field] = &[
    GUILD,
    KALTURA_EVENT,
    field(
        "entry_id",
        Kind::Text,
        true,
        "The recording's Kaltura entry id.",
        "1_abcd1234",
    ),
    OPTIONAL_MEETING,
    TITLE,
    field(
        "duration_seconds",
        Kind::Count,
        false,
        "The recording's length.",
        "3600",
    ),
];

/// The fields of `event_type`'s `data`.
pub fn fields(event_type: EventType) -> &'static [Field] {
    match event_type {
        EventType::MeetingCreated => CREATED,
        EventType::MeetingJoined => JOINED,
        EventType::MeetingStarted | EventType::MeetingEnded => STARTED_OR_ENDED,
        EventType::RecordingReady => RECORDING,
    }
}

/// What the event type means, for the catalogue.
pub fn about(event_type: EventType) -> &'static str {
    match event_type {
        EventType::MeetingCreated => "A meeting was created, from Discord or the API.",
        EventType::MeetingStarted => "Kaltura reported that a meeting started.",
        EventType::MeetingEnded => "Kaltura reported that a meeting ended.",
        EventType::MeetingJoined => {
            "A member asked for their join link, from Discord or the API (not proof that they joined)."
        }
        EventType::RecordingReady => "Kaltura reported that a recording is ready to watch.",
    }
}

/// The schema name of `event_type`'s envelope in the OpenAPI document, e.g.
/// `MeetingCreatedEvent`.
pub fn schema_name(event_type: EventType) -> &'static str {
    match event_type {
        EventType::MeetingCreated => "MeetingCreatedEvent",
        EventType::MeetingStarted => "MeetingStartedEvent",
        EventType::MeetingEnded => "MeetingEndedEvent",
        EventType::MeetingJoined => "MeetingJoinedEvent",
        EventType::RecordingReady => "RecordingReadyEvent",
    }
}

fn field_schema(field: &Field) -> Value {
    let mut schema = match field.kind {
        Kind::Snowflake => json!({"type": "string", "pattern": "^[1-9][0-9]{0,19}$"}),
        Kind::Digits => json!({"type": "string", "pattern": "^(0|[1-9][0-9]*)$"}),
        Kind::Text => json!({"type": "string", "maxLength": MAX_TEXT}),
        Kind::Count => json!({"type": "integer", "minimum": 0}),
        Kind::OneOf(names) => json!({"type": "string", "enum": names}),
    };
    if let Some(object) = schema.as_object_mut() {
        object.insert("description".into(), Value::from(field.about));
    }
    schema
}

/// The JSON Schema (2020-12, as OpenAPI 3.1 uses) of `event_type`'s whole envelope.
pub fn schema(event_type: EventType) -> Value {
    let properties: Map<String, Value> = fields(event_type)
        .iter()
        .map(|f| (f.name.to_owned(), field_schema(f)))
        .collect();
    let required: Vec<&str> = fields(event_type)
        .iter()
        .filter(|f| f.required)
        .map(|f| f.name)
        .collect();
    json!({
        "type": "object",
        "description": about(event_type),
        "required": ["type", "timestamp", "data"],
        "properties": {
            "type": {"const": event_type.as_str()},
            "timestamp": {"type": "string", "format": "date-time", "description": "When the event happened (UTC)."},
            "data": {
                "type": "object",
                "required": required,
                "properties": properties,
            }
        },
        "examples": [example(event_type)],
    })
}

/// An example envelope of `event_type`.
pub fn example(event_type: EventType) -> Value {
    let data: Map<String, Value> = fields(event_type)
        .iter()
        .map(|f| {
            let value = match f.kind {
                Kind::Count => f.example.parse::<u64>().map_or(Value::Null, Value::from),
                _ => Value::from(f.example),
            };
            (f.name.to_owned(), value)
        })
        .collect();
    envelope(event_type, "2026-01-01T12:00:00Z", Value::Object(data))
}

/// The body a subscriber receives.
pub fn envelope(event_type: EventType, timestamp: &str, data: Value) -> Value {
    json!({"type": event_type.as_str(), "timestamp": timestamp, "data": data})
}

/// Checks that `data` is what [`fields`] says for `event_type`: an object with every
/// required field, each field of its kind, and no field the catalogue does not name.
///
/// # Errors
/// What is wrong, naming the field (never its value).
pub fn check_data(event_type: EventType, data: &Value) -> Result<(), String> {
    let Some(object) = data.as_object() else {
        return Err("data must be a JSON object".into());
    };
    let known = fields(event_type);
    for name in object.keys() {
        if !known.iter().any(|f| f.name == name.as_str()) {
            return Err(format!("{event_type} has no field {name:?}"));
        }
    }
    for field in known {
        match object.get(field.name) {
            None if field.required => {
                return Err(format!("{event_type} needs the field {}", field.name))
            }
            Some(value) if !fits(field.kind, value) => {
                return Err(format!(
                    "{event_type}: {} is not {}",
                    field.name,
                    describe(field.kind)
                ));
            }
            _ => {}
        }
    }
    Ok(())
}

fn fits(kind: Kind, value: &Value) -> bool {
    match (kind, value) {
        (Kind::Snowflake, Value::String(s)) => {
            s.parse::<u64>().is_ok_and(|n| n != 0) && !s.starts_with('0') && !s.starts_with('+')
        }
        (Kind::Digits, Value::String(s)) => {
            !s.is_empty()
                && s.bytes().all(|b| b.is_ascii_digit())
                && (s == "0" || !s.starts_with('0'))
        }
        (Kind::Text, Value::String(s)) => s.chars().count() <= MAX_TEXT,
        (Kind::Count, Value::Number(n)) => n.is_u64(),
        (Kind::OneOf(names), Value::String(s)) => names.contains(&s.as_str()),
        _ => false,
    }
}

fn describe(kind: Kind) -> String {
    match kind {
        Kind::Snowflake => "a Discord ID in decimal text".into(),
        Kind::Digits => "decimal digits in text".into(),
        Kind::Text => format!("text of at most {MAX_TEXT} characters"),
        Kind::Count => "a non-negative integer".into(),
        Kind::OneOf(names) => format!("one of {}", names.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_example_passes_the_check_of_its_type() {
        for &event_type in EventType::ALL {
            let example = example(event_type);
            check_data(event_type, &example["data"]).unwrap();
            assert_eq!(example["type"], event_type.as_str());
        }
    }

    #[test]
    fn data_without_a_required_field_is_refused_naming_it() {
        let err = check_data(
            EventType::MeetingJoined,
            &json!({"guild_id": "1", "meeting_id": "4", "source": "api"}),
        )
        .unwrap_err();
        assert!(err.contains("user_id"), "{err}");
    }

    #[test]
    fn a_field_the_catalogue_does_not_name_is_refused() {
        let mut data = example(EventType::MeetingEnded)["data"].clone();
        data["secret"] = json!("x");
        assert!(check_data(EventType::MeetingEnded, &data).is_err());
    }

    #[test]
    fn ids_must_be_decimal_text_not_numbers() {
        let mut data = example(EventType::MeetingJoined)["data"].clone();
        data["user_id"] = json!(12);
        assert!(check_data(EventType::MeetingJoined, &data).is_err());
        data["user_id"] = json!("0");
        assert!(check_data(EventType::MeetingJoined, &data).is_err());
        data["user_id"] = json!("012");
        assert!(check_data(EventType::MeetingJoined, &data).is_err());
    }

    #[test]
    fn the_schema_requires_what_the_table_requires() {
        let schema = schema(EventType::RecordingReady);
        assert_eq!(
            schema["properties"]["data"]["required"],
            json!(["guild_id", "kaltura_event_id", "entry_id"])
        );
        assert_eq!(schema["properties"]["type"]["const"], "recording.ready");
    }
}
