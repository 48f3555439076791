//! The connections: an accept loop over hyper's HTTP/1 server with the limits axum's own
//! `serve` does not set — a cap on open connections, a deadline for each request's headers
//! (which also closes idle kept-alive connections), a bound on the request head
//! (`max_header_size`), a deadline for each write of an answer (a client that stops reading is
//! disconnected) — and a graceful shutdown that lets the requests in flight finish. With a TLS
//! configuration each connection first completes a TLS handshake, under the header deadline.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_io_timeout::TimeoutStream;
use tokio_rustls::TlsAcceptor;

use crate::api::Limits;

/// How long the requests in flight may take to finish once shutdown begins.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// After an accept error (out of file descriptors, say), the wait before the next accept.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// Serves `router` on `listener` under `limits` (over TLS when `tls` is given) until
/// `shutdown` completes, then lets the requests in flight finish (at most [`SHUTDOWN_GRACE`]).
pub(crate) async fn serve(
    listener: TcpListener,
    router: Router,
    limits: &Limits,
    tls: Option<Arc<rustls::ServerConfig>>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let permits = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let graceful = GracefulShutdown::new();
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .max_header_size(limits.max_header_bytes);
    let tls = tls.map(TlsAcceptor::from);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut shutdown => break,
        };
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(error) => {
                tracing::warn!(%error, "cannot accept a connection");
                tokio::time::sleep(ACCEPT_BACKOFF).await;
                continue;
            }
        };
        // Over the cap: closed at once, so that the connections held (idle ones until their
        // header deadline) cannot make the process run out of file descriptors.
        let Ok(permit) = Arc::clone(&permits).try_acquire_owned() else {
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let mut stream = TimeoutStream::new(stream);
        stream.set_write_timeout(Some(limits.write_timeout));
        let stream = Box::pin(stream);
        let (http, router, watcher) = (http.clone(), router.clone(), graceful.watcher());
        let handshake = limits.header_timeout;
        let Some(tls) = tls.clone() else {
            tokio::spawn(connection(http, stream, router, watcher, permit));
            continue;
        };
        tokio::spawn(async move {
            // The handshake runs in the connection's task, under the header deadline: a client
            // that never finishes it holds its permit no longer than one that sends no headers.
            match tokio::time::timeout(handshake, tls.accept(stream)).await {
                Ok(Ok(stream)) => connection(http, stream, router, watcher, permit).await,
                Ok(Err(error)) => tracing::debug!(%error, "TLS handshake failed"),
                Err(_) => tracing::debug!("TLS handshake timed out"),
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("requests still in flight after the shutdown grace; dropped");
    }
    Ok(())
}

/// Serves one connection's requests (watched for the shutdown), then gives its permit back.
async fn connection<S>(
    http: http1::Builder,
    stream: S,
    router: Router,
    watcher: Watcher,
    permit: tokio::sync::OwnedSemaphorePermit,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let connection = http.serve_connection(TokioIo::new(stream), TowerToHyperService::new(router));
    let connection = watcher.watch(connection);
    if let Err(error) = connection.await {
        tracing::debug!(%error, "connection ended with an error");
    }
    drop(permit);
}
