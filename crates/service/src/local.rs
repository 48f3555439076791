//! A service on a loopback port of its own, in this process: for tests of clients, and for
//! programs that embed a prover service.

use std::net::SocketAddr;
use std::sync::Arc;

use l2x_jobs::JobStore;

use crate::{Limits, Service, StartError, WorkerConfig};

/// A service listening on `127.0.0.1` (a free port), with its workers, on a runtime of its own;
/// stopped when dropped (the requests in flight and the jobs in hand finish first).
#[derive(Debug)]
pub struct LocalService {
    address: SocketAddr,
    store: Arc<dyn JobStore>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    service: Option<Service>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl LocalService {
    /// Starts `config.workers` workers proving with `executor` on `store`, and the API under
    /// `limits` on a free loopback port.
    pub fn start(
        store: Arc<dyn JobStore>,
        executor: l2x_executor::Executor,
        config: WorkerConfig,
        limits: Limits,
    ) -> Result<Self, StartError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("l2x-local")
            .enable_all()
            .build()
            .map_err(StartError::Listen)?;
        let service = Service::start(Arc::clone(&store), executor, config)?;
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .map_err(StartError::Listen)?;
        let address = listener.local_addr().map_err(StartError::Listen)?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        runtime.spawn(crate::serve(
            listener,
            service.state.clone(),
            limits,
            None,
            async {
                let _ = stopped.await;
            },
        ));
        Ok(Self {
            address,
            store,
            stop: Some(stop),
            service: Some(service),
            runtime: Some(runtime),
        })
    }

    /// The address it listens on.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Its base URL, `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// Its store (to make API keys, say).
    pub fn store(&self) -> &Arc<dyn JobStore> {
        &self.store
    }
}

impl Drop for LocalService {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(service) = self.service.take() {
            service.workers.stop();
        }
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}
