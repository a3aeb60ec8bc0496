//! Fakes for the unit tests: a deterministic random source, and a fixture holding it
//! with `common`'s in-memory store, variables and settable clock.

use std::cell::Cell;

use common::cas::MemoryCasStore;
use common::{FakeClock, MemoryVariables, Random};

use crate::ports::Env;
use crate::signing::SIGNING_KEY_VARIABLE;

/// The time every fixture starts at.
pub const START: u64 = 1_700_000_000;

/// RFC 8032 test 1 seed: the fixture's signing key.
pub const SEED: &str = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";

/// RFC 8032 test 2 seed: another deployment's key.
pub const OTHER_SEED: &str = "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb";

/// Distinct, deterministic bytes: each call fills from a counter run through SHA-256.
#[derive(Debug, Default)]
pub struct SeqRandom(Cell<u64>);

impl Random for SeqRandom {
    fn fill(&self, bytes: &mut [u8]) {
        use sha2::{Digest, Sha256};
        for chunk in bytes.chunks_mut(32) {
            let n = self.0.get();
            self.0.set(n + 1);
            let block = Sha256::digest(n.to_le_bytes());
            chunk.copy_from_slice(&block[..chunk.len()]);
        }
    }
}

/// A store, variables (with the signing key), a clock at [`START`] and random bytes.
pub struct Fixture {
    /// The key-value store.
    pub kv: MemoryCasStore,
    /// The variables.
    pub vars: MemoryVariables,
    /// The clock.
    pub clock: FakeClock,
    /// The random source.
    pub random: SeqRandom,
}

impl Fixture {
    /// A fresh fixture.
    pub fn new() -> Self {
        Self::over(MemoryCasStore::default())
    }

    /// A fresh fixture over `kv` (e.g. a store of another [`common::cas::Flavor`]).
    pub fn over(kv: MemoryCasStore) -> Self {
        Self {
            kv,
            vars: MemoryVariables::from_pairs(&[(SIGNING_KEY_VARIABLE, SEED)]),
            clock: FakeClock::at_secs(START),
            random: SeqRandom::default(),
        }
    }

    /// The environment over the fakes.
    pub fn env(&self) -> Env<'_> {
        Env {
            kv: &self.kv,
            vars: &self.vars,
            clock: &self.clock,
            random: &self.random,
        }
    }
}
