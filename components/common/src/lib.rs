//! Host-free pieces every component shares: the JSON error body every endpoint answers
//! with, the small I/O ports (key-value, variables) that logic is written against, and
//! the readiness check each service reports. Nothing here touches `spin-sdk`.

pub mod error;
pub mod ports;
pub mod settings;
pub mod status;

pub use error::ApiError;
pub use ports::{KeyValue, MemoryKeyValue, MemoryVariables, StoreError, Variables};
pub use status::ServiceStatus;
