//! l2-executor's prover service.
//!
//! A rollup submits jobs over HTTP and collects receipts; the jobs live in a durable store
//! ([`l2x_jobs`]: embedded SQLite by default, PostgreSQL for workers on many machines), and
//! workers ([`Workers`]) claim them under leases and prove them on the executor's pool. The API
//! ([`api::router`]) never proves on its async threads; it validates a job when it is submitted
//! (unknown program, bad input, over the memory budget: refused then, not at prove time).
//!
//! ```text
//! POST /v1/jobs            {"program", "input" | "input_hex", "backend"?} or {"jobs": [...]}
//! GET  /v1/jobs/{id}       state, phase, progress, timings, error
//! GET  /v1/jobs/{id}/receipt   the receipt envelope
//! POST /v1/aggregates      {"jobs": [ids]}: the receipts under one Merkle root
//! GET  /healthz, /metrics (Prometheus), /v1/openapi.json
//! ```

pub mod api;
mod health;
mod local;
mod metrics;
pub mod progress;
mod prover;
mod server;
pub mod tls;
mod worker;

use std::future::Future;
use std::sync::Arc;

pub use api::{AllowedHosts, ApiState, Caller, KEY_REFRESH, Keys, Limits};
pub use health::{StoreHealth, WritesFailing};
use l2x_jobs::JobStore;
pub use local::LocalService;
pub use metrics::Metrics;
pub use prover::{Prover, Refusal};
pub use worker::{Wake, WorkerConfig, WorkerStats, Workers};

/// Serves the API on `listener` under `limits`, over TLS when `tls` is given
/// ([`tls::server_config`]), until `shutdown` completes, then finishes the requests in flight.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: ApiState,
    limits: Limits,
    tls: Option<Arc<rustls::ServerConfig>>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let router = api::router(state, &limits);
    server::serve(listener, router, &limits, tls, shutdown).await
}

/// Everything a service process runs: the API's state and its in-process workers.
#[derive(Debug)]
pub struct Service {
    /// The state the API serves.
    pub state: ApiState,
    /// The in-process workers (none with `workers: 0`, when separate worker processes prove).
    pub workers: Workers,
}

impl Service {
    /// Starts `config.workers` workers on `store` and builds the API's state over them.
    pub fn start(
        store: Arc<dyn JobStore>,
        executor: l2x_executor::Executor,
        config: WorkerConfig,
    ) -> Result<Self, StartError> {
        let prover = Arc::new(Prover::new(executor));
        let metrics = Metrics::new()?;
        let wake = Arc::new(Wake::default());
        let health = Arc::new(StoreHealth::default());
        let workers = Workers::start(
            Arc::clone(&store),
            Arc::clone(&prover),
            metrics.clone(),
            config,
            Arc::clone(&wake),
            Arc::clone(&health),
        )?;
        Ok(Self {
            state: ApiState::new(store, prover, metrics, wake, health),
            workers,
        })
    }
}

/// Why a service could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The metrics could not be registered.
    #[error("metrics: {0}")]
    Metrics(#[from] prometheus::Error),
    /// A worker thread could not be started.
    #[error("cannot start the worker threads: {0}")]
    Threads(#[from] std::io::Error),
    /// A local service's runtime or loopback listener could not be made.
    #[error("cannot listen on a loopback port: {0}")]
    Listen(std::io::Error),
}

#[cfg(test)]
mod testing;
#[cfg(test)]
mod tests;
