//! The service contracts in Rust, once.
//!
//! The WIT in `wit/` is the contract between the components: any component exporting a
//! service's interface can replace that service, in any language. This crate is that
//! contract for the Rust side, on both sides of every boundary:
//!
//! - **Types** ([`common`], [`config`], [`events`], [`identity`], [`kaltura`]): generated from the
//!   `kaltura-discord:types` package. Callers use them directly, and each library
//!   component maps its exports to these same types (`wit_bindgen::generate!` with
//!   `with:`, see [`export_config!`] and its siblings), so every WIT type has one Rust
//!   definition.
//! - **Ports** ([`Config`], [`Members`], [`Tokens`], [`ApiKeys`], [`Kaltura`], [`Events`]): one trait
//!   per service interface, function for function. Callers' logic is written against
//!   them and tested natively with fakes; services implement them and are exported
//!   through them.
//! - **Imports** ([`Imported`]): the one place the generated imports are bound to the
//!   ports, for the HTTP components. Only what a component calls becomes an import of
//!   it.
//! - **Names and rules** the WIT states about its types, once: the text names of the
//!   contract enums ([`KalturaRole`], [`identity::Scope`] — the API's `meetings:read` —,
//!   [`kaltura::MeetingKind`], [`config::Section`], [`config::Command`],
//!   [`config::Event`], [`events::EventType`] — the wire's `meeting.created` —: `ALL`, `as_str`, `parse`, `Display`, `FromStr`, and with the
//!   `serde` feature their JSON), [`Actor::is_well_formed`], the lengths of a
//!   [`kaltura::MeetingRequest`]'s texts, the text form of meeting IDs
//!   ([`meeting::parse_id`]) and the longest lifetime of an API key
//!   ([`identity::ApiKeyInfo::MAX_LIFETIME_SECONDS`]).

mod bindings;
mod error;
mod exports;
mod imports;
pub mod meeting;
mod names;
mod ports;
mod rules;
#[cfg(feature = "serde")]
mod serde_impls;

pub use bindings::kaltura_discord::types::{common, config, events, identity, kaltura};
pub use common::{Actor, Error, KalturaRole, Member, ServiceStatus, Snowflake};
pub use error::ErrorKind;
pub use imports::Imported;
pub use names::UnknownName;
pub use ports::{ApiKeys, Config, Events, Kaltura, Members, Tokens};
