//! A running app as the tests see it, whichever host runs it: the in-process test host
//! ([`crate::host`]) or a real `spin up` ([`crate::spin_cli`], when `SPIN_BIN` is set).
//! One API for both, so every end-to-end test runs unchanged against either.

use crate::host::{HostApp, OutboundAttempt};
use crate::spin_cli::SpinApp;
use anyhow::Result;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

/// A running app. Dropping it stops it (a `spin up` is killed with its trigger).
pub struct TestApp {
    backend: Backend,
}

enum Backend {
    Host(HostApp),
    Spin(SpinApp),
}

impl From<HostApp> for TestApp {
    fn from(app: HostApp) -> Self {
        Self {
            backend: Backend::Host(app),
        }
    }
}

impl From<SpinApp> for TestApp {
    fn from(app: SpinApp) -> Self {
        Self {
            backend: Backend::Spin(app),
        }
    }
}

impl TestApp {
    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        match &self.backend {
            Backend::Host(app) => app.addr(),
            Backend::Spin(app) => app.addr(),
        }
    }

    /// `http://127.0.0.1:<port>` followed by `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr(), path)
    }

    /// Whether a real `spin up` runs it (rather than the test host).
    pub fn is_real_spin(&self) -> bool {
        matches!(self.backend, Backend::Spin(_))
    }

    /// Everything the components wrote to stdout and stderr so far, then what the host
    /// reported (failed instances, store panics; under Spin, its own errors and
    /// warnings).
    pub fn logs(&self) -> String {
        match &self.backend {
            Backend::Host(app) => app.logs(),
            Backend::Spin(app) => app.logs(),
        }
    }

    /// Every outbound request the components tried, allowed or not. Under Spin they
    /// come from its debug log, which names neither the component nor the method (both
    /// empty there).
    pub fn outbound(&self) -> Vec<OutboundAttempt> {
        match &self.backend {
            Backend::Host(app) => app.outbound(),
            Backend::Spin(app) => app.outbound(),
        }
    }

    /// How long the host took per answered request, from arrival to response headers
    /// (instantiation and the component's own work), then clears the list.
    ///
    /// # Panics
    /// Under real Spin, which does not measure it.
    #[allow(clippy::panic)]
    pub fn take_handling_times(&self) -> Vec<Duration> {
        match &self.backend {
            Backend::Host(app) => app.take_handling_times(),
            Backend::Spin(_) => {
                panic!("handling times are measured by the test host only, not under SPIN_BIN")
            }
        }
    }

    /// A copy of the `default` store's entries (on Redis: every key of the server),
    /// read from the same database or server the app uses.
    pub fn store(&self) -> BTreeMap<String, Vec<u8>> {
        match &self.backend {
            Backend::Host(app) => app.store(),
            Backend::Spin(app) => app.store(),
        }
    }

    /// Writes `value` at `key` in the `default` store, as a component's `set` would (to
    /// set up state that no route writes yet, e.g. a server's settings in `config`'s
    /// layout).
    ///
    /// # Panics
    /// When the store cannot be written: a test set-up that did not happen.
    #[allow(clippy::panic)]
    pub fn seed(&self, key: &str, value: &[u8]) {
        let seeded = match &self.backend {
            Backend::Host(app) => app.seed(key, value),
            Backend::Spin(app) => app.seed(key, value),
        };
        if let Err(err) = seeded {
            panic!("seeding `{key}` in the default store: {err:#}");
        }
    }

    /// Waits until no instance is running (handlers that kept working after they
    /// responded have finished), or `timeout` passes. Under Spin, which has no
    /// in-flight counter, the instances are counted from its trace of each wasi-http
    /// instance's start and end ([`crate::spin_cli`]).
    ///
    /// # Errors
    /// When instances are still running after `timeout`.
    pub async fn idle(&self, timeout: Duration) -> Result<()> {
        match &self.backend {
            Backend::Host(app) => app.idle(timeout).await,
            Backend::Spin(app) => app.idle(timeout).await,
        }
    }

    /// Stops the app at once, as a crashed replica stops: requests in flight are cut
    /// off and new connections are refused (a `spin up` gets SIGKILL).
    pub fn kill(self) {
        drop(self);
    }
}
