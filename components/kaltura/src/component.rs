//! The Spin adapter: fills the ports with `spin-adapter`'s (variables, the
//! compare-and-swap store over `wasi:keyvalue` — the same `default` store as Spin's
//! key-value API —, outbound HTTP with wasi-http timeouts, clock, randomness), calls
//! [`crate::Service`], and maps between the WIT types and the crate's own one to one.

wit_bindgen::generate!({ world: "kaltura-service", path: "../../wit", generate_all });

use exports::kaltura_discord::kaltura::kaltura as wit;
use kaltura_discord::types::types::{Error as WitError, ServiceStatus};
use spin_adapter::{HostRandom, HostTransport, SpinVariables, SystemClock};

use crate::model;
use crate::ports::Env;
use crate::{Error, Service};

/// Runs `f` with the service over Spin's ports.
fn with_service<T>(f: impl FnOnce(&Service<'_>) -> T) -> T {
    let kv = spin_adapter::cas_store();
    let env = Env {
        vars: &SpinVariables,
        kv: &kv,
        transport: &HostTransport,
        clock: &SystemClock,
        random: &HostRandom,
    };
    f(&Service::new(env))
}

fn to_wit_error(err: Error) -> WitError {
    match err {
        Error::NotConfigured(m) => WitError::NotConfigured(m),
        Error::Invalid(m) => WitError::Invalid(m),
        Error::NotFound(m) => WitError::NotFound(m),
        Error::Forbidden(m) => WitError::Forbidden(m),
        Error::Unavailable(m) => WitError::Unavailable(m),
        Error::Conflict(m) => WitError::Conflict(m),
        Error::Storage(m) => WitError::Storage(m),
        Error::Other(m) => WitError::Other(m),
    }
}

fn kind_from_wit(kind: wit::MeetingKind) -> model::MeetingKind {
    match kind {
        wit::MeetingKind::Webinar => model::MeetingKind::Webinar,
        wit::MeetingKind::Meeting => model::MeetingKind::Meeting,
        wit::MeetingKind::Classroom => model::MeetingKind::Classroom,
    }
}

fn kind_to_wit(kind: model::MeetingKind) -> wit::MeetingKind {
    match kind {
        model::MeetingKind::Webinar => wit::MeetingKind::Webinar,
        model::MeetingKind::Meeting => wit::MeetingKind::Meeting,
        model::MeetingKind::Classroom => wit::MeetingKind::Classroom,
    }
}

fn meeting_to_wit(m: model::Meeting) -> wit::Meeting {
    wit::Meeting {
        id: m.id,
        kind: kind_to_wit(m.kind),
        title: m.title,
        guild_id: m.guild_id,
        channel_id: m.channel_id,
        owner_id: m.owner_id,
        created_at: m.created_at,
        start_time: m.start_time,
        end_time: m.end_time,
        ended_at: m.ended_at,
    }
}

fn media_to_wit(e: model::MediaEntry) -> wit::MediaEntry {
    wit::MediaEntry {
        id: e.id,
        name: e.name,
        description: e.description,
        duration_seconds: e.duration_seconds,
        thumbnail_url: e.thumbnail_url,
        created_at: e.created_at,
        ready: e.ready,
    }
}

struct Component;

impl wit::Guest for Component {
    fn status() -> ServiceStatus {
        let status = with_service(|s| s.status());
        ServiceStatus {
            name: status.name,
            version: status.version,
            missing_settings: status.missing_settings,
            key_value_ok: status.key_value_ok,
        }
    }

    fn ping() -> Result<(), WitError> {
        with_service(|s| s.ping()).map_err(to_wit_error)
    }

    fn circuit_open() -> bool {
        with_service(|s| s.circuit_open())
    }

    fn create_meeting(request: wit::MeetingRequest) -> Result<wit::Meeting, WitError> {
        let request = model::MeetingRequest {
            kind: kind_from_wit(request.kind),
            title: request.title,
            description: request.description,
            guild_id: request.guild_id,
            channel_id: request.channel_id,
            owner_id: request.owner_id,
            start_time: request.start_time,
            duration_minutes: request.duration_minutes,
        };
        with_service(|s| s.create_meeting(&request))
            .map(meeting_to_wit)
            .map_err(to_wit_error)
    }

    fn get_meeting(id: String) -> Result<Option<wit::Meeting>, WitError> {
        with_service(|s| s.get_meeting(&id))
            .map(|m| m.map(meeting_to_wit))
            .map_err(to_wit_error)
    }

    fn list_meetings(filter: wit::MeetingFilter) -> Result<Vec<wit::Meeting>, WitError> {
        let filter = match filter {
            wit::MeetingFilter::Guild(id) => model::MeetingFilter::Guild(id),
            wit::MeetingFilter::Owner(id) => model::MeetingFilter::Owner(id),
        };
        with_service(|s| s.list_meetings(&filter))
            .map(|list| list.into_iter().map(meeting_to_wit).collect())
            .map_err(to_wit_error)
    }

    fn end_meeting(id: String) -> Result<(), WitError> {
        with_service(|s| s.end_meeting(&id)).map_err(to_wit_error)
    }

    fn join_url(meeting_id: String, member: wit::MemberIdentity) -> Result<String, WitError> {
        let member = model::MemberIdentity {
            kaltura_user_id: member.kaltura_user_id,
            display_name: member.display_name,
            role: match member.role {
                wit::MemberRole::Host => model::MemberRole::Host,
                wit::MemberRole::Attendee => model::MemberRole::Attendee,
            },
        };
        with_service(|s| s.join_url(&meeting_id, &member)).map_err(to_wit_error)
    }

    fn search_media(query: String, page: u32) -> Result<wit::MediaPage, WitError> {
        with_service(|s| s.search_media(&query, page))
            .map(|p| wit::MediaPage {
                entries: p.entries.into_iter().map(media_to_wit).collect(),
                total: p.total,
                next_page: p.next_page,
            })
            .map_err(to_wit_error)
    }

    fn get_media(entry_id: String) -> Result<Option<wit::MediaEntry>, WitError> {
        with_service(|s| s.get_media(&entry_id))
            .map(|e| e.map(media_to_wit))
            .map_err(to_wit_error)
    }

    fn player_embed_url(entry_id: String, uiconf_id: Option<u32>) -> Result<String, WitError> {
        with_service(|s| s.player_embed_url(&entry_id, uiconf_id)).map_err(to_wit_error)
    }
}

export!(Component);
