//! Host-free pieces every component shares: the JSON error body every endpoint answers
//! with, the small I/O ports that logic is written against (key-value, the atomic store
//! with the documents and counters built on it in [`cas`], variables, outbound HTTP,
//! clock, randomness) with their in-memory versions for tests, and the readiness check
//! each service reports. Nothing here touches `spin-sdk`.

pub mod cas;
pub mod error;
pub mod ports;
pub mod settings;
pub mod status;
pub mod telemetry;

pub use error::ApiError;
pub use ports::{
    retry_while_busy, Clock, FakeClock, KeyValue, MemoryKeyValue, MemoryVariables, Random,
    StoreError, Transport, Variables,
};
