//! The Spin adapter: reads the request within the size limit, fills the ports from Spin
//! (`spin-adapter`'s `wasi:keyvalue` store `default` with its atomics, outbound HTTP with
//! timeouts and clock; the composed `config` and `kaltura` services) and answers what
//! the host-free [`crate::handler`] decided, with one log line on stderr.

wit_bindgen::generate!({ world: "notifications", path: "../../wit", generate_all });

use guild_config::EventKind;
use kaltura_discord::config::config;
use kaltura_discord::kaltura::kaltura;
use kaltura_discord::types::types;
use spin_adapter::{HostTransport, SpinVariables, SystemClock};
use spin_sdk::http::{IncomingRequest, ResponseOutparam};

use crate::handler::{self, Env, Incoming};
use crate::routing::{Directory, GuildView, LookupError, MeetingInfo, Target};

fn lookup_error(err: types::Error) -> LookupError {
    match err {
        types::Error::Invalid(m) | types::Error::NotFound(m) | types::Error::Forbidden(m) => {
            LookupError::Invalid(m)
        }
        types::Error::NotConfigured(name) => {
            LookupError::Unavailable(format!("setting {name} is not set"))
        }
        types::Error::Unavailable(m)
        | types::Error::Conflict(m)
        | types::Error::Storage(m)
        | types::Error::Other(m) => LookupError::Unavailable(m),
    }
}

fn wit_event(event: EventKind) -> config::Event {
    match event {
        EventKind::MeetingStart => config::Event::MeetingStart,
        EventKind::MeetingEnd => config::Event::MeetingEnd,
        EventKind::RecordingReady => config::Event::RecordingReady,
        EventKind::EntryReady => config::Event::EntryReady,
    }
}

fn kind_label(kind: kaltura::MeetingKind) -> &'static str {
    match kind {
        kaltura::MeetingKind::Webinar => "Webinar",
        kaltura::MeetingKind::Meeting => "Interactive Meeting Room",
        kaltura::MeetingKind::Classroom => "Virtual Classroom",
    }
}

/// The composed `kaltura` and `config` services.
struct WitDirectory;

impl Directory for WitDirectory {
    fn meeting(&self, id: &str) -> Result<Option<MeetingInfo>, LookupError> {
        let meeting = kaltura::get_meeting(id).map_err(lookup_error)?;
        Ok(meeting.map(|m| MeetingInfo {
            kind_label: kind_label(m.kind).to_owned(),
            id: m.id,
            title: m.title,
            guild_id: m.guild_id,
            channel_id: m.channel_id,
            owner_id: m.owner_id,
            created_at: m.created_at,
            start_time: m.start_time,
            ended_at: m.ended_at,
        }))
    }

    fn guild(&self, guild_id: &str) -> Result<GuildView, LookupError> {
        let view = config::get(guild_id).map_err(lookup_error)?;
        let config = serde_json::from_str(&view.config_json).map_err(|_| {
            LookupError::Unavailable("the config service sent settings that are not JSON".into())
        })?;
        Ok(GuildView {
            category_ids: view.kaltura.category_ids,
            player_uiconf_id: view.kaltura.player_uiconf_id,
            config,
        })
    }

    fn target(&self, guild_id: &str, event: EventKind) -> Result<Option<Target>, LookupError> {
        let target =
            config::notification_target(guild_id, wit_event(event)).map_err(lookup_error)?;
        Ok(target.map(|t| Target {
            channel_id: t.channel_id,
            template: t.template,
            allow_everyone: t.allow_everyone_mentions,
        }))
    }

    fn player_url(&self, entry_id: &str, uiconf_id: Option<u32>) -> Option<String> {
        kaltura::player_embed_url(entry_id, uiconf_id).ok()
    }
}

#[spin_sdk::http_component]
async fn handle(request: IncomingRequest, out: ResponseOutparam) {
    let request = match spin_adapter::read_request(request, crate::receiver::BODY_LIMIT) {
        Ok(request) => request,
        Err(err) => return spin_adapter::respond_error(out, &err.api_error(), &[]),
    };
    let store = spin_adapter::cas_store();
    let env = Env {
        vars: &SpinVariables,
        store: &store,
        transport: &HostTransport,
        clock: &SystemClock,
        directory: &WitDirectory,
        policy: crate::delivery::Policy::default(),
    };
    let reply = handler::handle(
        &Incoming {
            method: &request.method,
            path_with_query: &request.path_with_query,
            signature: request.header("x-kaltura-signature"),
            hash_algo: request.header("x-kaltura-hash-algo"),
            body: &request.body,
        },
        &env,
    );
    eprintln!("{}", reply.log);
    spin_adapter::respond_json(out, reply.status, &reply.body, &[]);
}
