//! keyway's local Google Cloud emulator (control plane): Service Usage v1, IAM v1 service
//! accounts, Resource Manager v1/v3, Cloud Run Admin v2, API Gateway v1 and API Keys v2 on one
//! loopback port, faithful to `reference/gcp-rest-apis.md` (long-running operations, etags,
//! soft delete, enablement checks, `google.rpc.Status` errors), persisted to a JSON file, with
//! seeded fault injection. Its data plane serves the gateways and Cloud Run services it holds
//! (`dataplane`): API-key-checked requests through a gateway to an echo backend. AWS's control
//! plane (API Gateway v1/v2, Lambda, IAM, STS) shares the port (`aws`), told apart by SigV4.
//!
//! It is an independent implementation of the wire contract: it shares no request/response
//! types with keyway's Google client, so a misreading on one side cannot hide in the other.
//! Resources are held as the JSON they are emitted as (`serde_json::Value`), checked on input
//! against per-message field lists in each API module.

mod admin;
mod apigateway;
mod apikeys;
mod aws;
mod dataplane;
mod enums;
mod errors;
mod faults;
mod generic;
mod iam;
mod operations;
mod policy;
mod request;
mod resourcemanager;
mod run;
mod schema;
mod server;
mod serviceusage;
mod storage_objects;
mod world;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use faults::FaultConfig;
pub use server::Shared;
pub use world::World;

/// How to run an emulator.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// 0 = any free port.
    pub port: u16,
    /// Where the world is loaded from and saved to after every mutating request.
    pub data_file: Option<PathBuf>,
    /// Start empty even if `data_file` exists.
    pub reset: bool,
    pub faults: FaultConfig,
    /// How long long-running operations take to finish (0 = done in the creating response).
    pub operation_delay: Duration,
}

/// One request as the emulator saw it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct LoggedRequest {
    /// Google method name, e.g. `apikeys.keys.create` (`unknown` for unrouted paths).
    pub method: String,
    pub http_method: String,
    pub path: String,
    pub query: String,
    pub status: u16,
    pub request_body: Option<Value>,
    pub response_body: Value,
}

#[derive(Debug, thiserror::Error)]
pub enum EmulatorError {
    #[error("cannot bind 127.0.0.1:{port}: {source}")]
    Bind { port: u16, source: std::io::Error },
    #[error("cannot read emulator data file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("emulator data file {path} is not a valid world: {source}")]
    Parse {
        path: PathBuf,
        source: serde_json::Error,
    },
}

/// A running emulator: serves in a background task until [`Emulator::shutdown`] (or drop).
#[derive(Debug)]
pub struct Emulator {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Emulator {
    /// Loads (or starts) the world and serves it on 127.0.0.1 only.
    pub async fn start(opts: Options) -> Result<Emulator, EmulatorError> {
        let world = match (&opts.data_file, opts.reset) {
            (Some(path), false) if path.exists() => {
                let text = std::fs::read(path).map_err(|source| EmulatorError::Read {
                    path: path.clone(),
                    source,
                })?;
                serde_json::from_slice(&text).map_err(|source| EmulatorError::Parse {
                    path: path.clone(),
                    source,
                })?
            }
            _ => World::default(),
        };
        let shared = Arc::new(Shared::new(
            world,
            opts.faults,
            opts.operation_delay,
            opts.data_file,
        ));
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", opts.port))
            .await
            .map_err(|source| EmulatorError::Bind {
                port: opts.port,
                source,
            })?;
        let addr = listener
            .local_addr()
            .map_err(|source| EmulatorError::Bind {
                port: opts.port,
                source,
            })?;
        let app = server::router_with(shared.clone());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let app = app.into_make_service_with_connect_info::<SocketAddr>();
            let serve = axum::serve(listener, app).with_graceful_shutdown(async {
                let _ = rx.await;
            });
            if let Err(e) = serve.await {
                eprintln!("keyway emulator stopped: {e}");
            }
        });
        Ok(Emulator {
            addr,
            shared,
            stop: Some(tx),
            task: Some(task),
        })
    }

    /// `http://127.0.0.1:PORT`: the one base URL for all six APIs.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Requests served per Google method name (`apikeys.keys.create`, ...).
    pub fn counters(&self) -> BTreeMap<String, u64> {
        server::lock(&self.shared.counters).clone()
    }

    pub fn request_log(&self) -> Vec<LoggedRequest> {
        server::lock(&self.shared.log).iter().cloned().collect()
    }

    /// A copy of the current world.
    pub fn world(&self) -> World {
        server::lock(&self.shared.world).clone()
    }

    /// Stops serving and persists the world to the data file, if any.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
        let world = server::lock(&self.shared.world).clone();
        if let Err(e) = self.shared.persist(&world) {
            eprintln!("keyway emulator: cannot persist world: {e}");
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
    }
}

/// An in-process router over `world` with default options (no faults, no operation delay), for
/// tests that drive it without a socket.
pub fn router(world: World) -> axum::Router {
    server::router_with(Arc::new(Shared::new(
        world,
        FaultConfig::default(),
        Duration::ZERO,
        None,
    )))
}
