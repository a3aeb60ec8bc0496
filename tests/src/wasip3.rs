//! Spin 4's executor for WASIp3 HTTP components (`wasi:http/handler@0.3.x`), written
//! from `crates/trigger-http/src/{server.rs,wasip3.rs,lib.rs}`: requests go to
//! wasmtime-wasi-http's `ProxyHandler`, which keeps each instance for reuse — up to
//! `max_instance_reuse_count` requests (default 128) and
//! `max_instance_concurrent_reuse_count` at once (default 16) — and drops it after
//! `idle_instance_timeout` (default 1 s) without work. An instance runs the work it
//! spawned after responding to completion before it is dropped. Spin's default has no
//! request timeout. WASIp2 components are never reused (see [`crate::host`]).

use crate::host::{new_store, Permissions, Shared, State};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use wasmtime::component::GuestTaskId;
use wasmtime::{Store, StoreContextMut};
use wasmtime_wasi_http::handler::{
    HandlerState, Instance, Proxy, ProxyHandler, ShouldAccept, WorkerExpiration, WorkerState,
    WorkerStatus,
};
use wasmtime_wasi_http::p3::bindings::ServicePre;
use wasmtime_wasi_http::WasiHttpView;

/// Spin 4's instance reuse settings for WASIp3 components (`spin up
/// --max-instance-reuse-count`, `--max-instance-concurrent-reuse-count`,
/// `--idle-instance-timeout`; fixed values, not Spin's random ranges).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InstanceReuse {
    /// Requests one instance handles before it is dropped.
    pub max_count: usize,
    /// Requests one instance handles at once.
    pub max_concurrent: usize,
    /// How long an instance without work is kept for the next request.
    pub idle_timeout: Duration,
}

impl Default for InstanceReuse {
    /// Spin's defaults (`DEFAULT_WASIP3_MAX_INSTANCE_REUSE_COUNT`,
    /// `..._CONCURRENT_REUSE_COUNT`, `DEFAULT_IDLE_INSTANCE_TIMEOUT`).
    fn default() -> Self {
        Self {
            max_count: 128,
            max_concurrent: 16,
            idle_timeout: Duration::from_secs(1),
        }
    }
}

/// Whether the component `bytes` exports `wasi:http/handler@0.3.x` (any 0.3 version, as
/// Spin's `HandlerType` matches it); undecodable bytes: no.
pub(crate) fn exports_wasi_http_0_3(bytes: &[u8]) -> bool {
    let Ok(wit_component::DecodedWasm::Component(resolve, world)) = wit_component::decode(bytes)
    else {
        return false;
    };
    resolve.worlds[world].exports.keys().any(|key| {
        resolve
            .name_world_key(key)
            .starts_with("wasi:http/handler@0.3")
    })
}

/// A WASIp3 component's request handler: a pool of reusable instances.
pub(crate) type Handler = ProxyHandler<Instances>;

/// A handler for the component `pre`, with these permissions and reuse settings.
pub(crate) fn handler(
    pre: ServicePre<State>,
    permissions: Arc<Permissions>,
    shared: Arc<Shared>,
    reuse: InstanceReuse,
) -> Handler {
    ProxyHandler::new(Instances {
        pre,
        permissions,
        shared,
        reuse,
    })
}

/// Makes the instances of one component (Spin's `HttpHandlerState`).
pub(crate) struct Instances {
    pre: ServicePre<State>,
    permissions: Arc<Permissions>,
    shared: Arc<Shared>,
    reuse: InstanceReuse,
}

impl HandlerState for Instances {
    type StoreData = State;
    type WorkerExpiration = Expiration;
    type WorkerState = Worker;

    async fn instantiate(&self) -> wasmtime::Result<Instance<State, Expiration, Worker>> {
        // One store per instance, shared by the requests it serves: its telemetry
        // belongs to no request.
        let trace = self
            .shared
            .telemetry
            .clone()
            .map(crate::telemetry::InstanceTrace::Detached);
        let mut store = new_store(&self.permissions, &self.shared, trace);
        let service = self.pre.instantiate_async(&mut store).await?;
        let busy = Arc::new(Busy {
            flag: AtomicBool::new(false),
            shared: self.shared.clone(),
        });
        Ok(Instance {
            store,
            proxy: Proxy::P3(service),
            view: <State as WasiHttpView>::http,
            expiration: Expiration {
                idle_timeout: self.reuse.idle_timeout,
                sleep: Box::pin(tokio::time::sleep(Duration::from_secs(365 * 24 * 3600))),
                busy: busy.clone(),
            },
            state: Worker {
                max_count: self.reuse.max_count,
                max_concurrent: self.reuse.max_concurrent,
                busy,
                component: self.permissions.id.clone(),
            },
        })
    }
}

/// Whether an instance has work (requests or work after them): the app's in-flight
/// count, which `idle` waits on, counts busy instances.
struct Busy {
    flag: AtomicBool,
    shared: Arc<Shared>,
}

impl Busy {
    fn set(&self, busy: bool) {
        if self.flag.swap(busy, Ordering::SeqCst) != busy {
            self.shared.in_flight.send_modify(|n| {
                *n = if busy { *n + 1 } else { n.saturating_sub(1) };
            });
        }
    }
}

/// When an instance is dropped: after `idle_timeout` without work (Spin's
/// `HttpWorkerExpiration`; Spin's default has no request timeout).
pub(crate) struct Expiration {
    idle_timeout: Duration,
    sleep: Pin<Box<tokio::time::Sleep>>,
    busy: Arc<Busy>,
}

impl WorkerExpiration for Expiration {
    fn poll(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        status: WorkerStatus,
        start: Instant,
    ) -> Poll<()> {
        if status != WorkerStatus::Idle {
            self.busy.set(true);
            return Poll::Pending;
        }
        self.busy.set(false);
        let Some(deadline) = start.checked_add(self.idle_timeout) else {
            return Poll::Pending;
        };
        let deadline = tokio::time::Instant::from_std(deadline);
        if self.sleep.deadline() != deadline {
            self.sleep.as_mut().reset(deadline);
        }
        self.sleep.as_mut().poll(cx)
    }
}

/// How many requests an instance takes (Spin's `HttpWorkerState`).
pub(crate) struct Worker {
    max_count: usize,
    max_concurrent: usize,
    busy: Arc<Busy>,
    component: String,
}

impl WorkerState for Worker {
    type StoreData = State;
    type RequestData = ();

    fn should_accept_request(&self, concurrent: usize, total: usize) -> ShouldAccept {
        if total >= self.max_count {
            ShouldAccept::Never
        } else if concurrent >= self.max_concurrent {
            ShouldAccept::No
        } else {
            ShouldAccept::Yes
        }
    }

    fn on_request_start(
        &self,
        _store: StoreContextMut<'_, State>,
        _data: (),
        _task: GuestTaskId,
    ) -> Pin<Box<dyn Future<Output = ()> + Send + Sync>> {
        self.busy.set(true);
        // No request timeout (Spin's default).
        Box::pin(std::future::pending())
    }

    fn drop(&self, store: Store<State>, result: wasmtime::Result<()>) {
        if let Err(error) = result {
            store.data().log(&format!(
                "component `{}`: worker failed: {error:?}",
                self.component
            ));
        }
        drop(store);
        self.busy.set(false);
    }
}
