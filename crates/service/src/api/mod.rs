//! The HTTP/JSON API. Handlers validate on the async threads and run store calls on tokio's
//! blocking pool; proving never happens here (the workers do it on the executor's pool).

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use l2x_api::{IdempotencyKey, RequestError};
use l2x_jobs::{JobState, JobStore, StoreError};
use serde_json::{Value, json};

use crate::Metrics;
use crate::health::StoreHealth;
use crate::prover::Prover;
use crate::worker::Wake;

mod aggregates;
mod auth;
mod guard;
mod jobs;

pub use auth::{Caller, Keys, REFRESH as KEY_REFRESH};
pub use guard::AllowedHosts;

use aggregates::aggregate;
pub use jobs::status_json;
use jobs::{receipt, status, submit};

/// The OpenAPI document of this API (checked in beside the code; a test keeps them in step).
pub const OPENAPI: &str = include_str!("../../openapi.json");

/// The most jobs one submit may carry, and ids one aggregate may name.
pub use l2x_api::MAX_BATCH;

/// Limits of the API and of its connections: what one client can make the service hold.
#[derive(Debug, Clone)]
pub struct Limits {
    /// The largest request body, in bytes (413 beyond).
    pub max_body: usize,
    /// The most receipt bytes one aggregate reads (422 beyond): its answer holds them twice
    /// (hex), and the work holds them against the memory budget.
    pub max_aggregate_bytes: usize,
    /// The longest a request body may take to arrive (408 beyond).
    pub body_timeout: Duration,
    /// The most connections open at once; more are closed as they arrive.
    pub max_connections: usize,
    /// The longest a request's headers may take to arrive, and the longest a kept-alive
    /// connection may sit idle; the connection is closed after it.
    pub header_timeout: Duration,
    /// The largest request head (request line and headers), in bytes (431 beyond).
    pub max_header_bytes: usize,
    /// The longest the service works on one request once its body has arrived (503 with
    /// `Retry-After` beyond): an aggregate waiting for memory behind running jobs gives up.
    pub request_timeout: Duration,
    /// The longest one write of an answer may wait for the client to read; the connection is
    /// closed after it (a client that stops reading holds nothing for long).
    pub write_timeout: Duration,
    /// The `Host` headers answered.
    pub hosts: AllowedHosts,
    /// Whether `/metrics` needs a key of the scrape role (a service listening beyond loopback,
    /// once its store has keys).
    pub metrics_need_key: bool,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_body: 16 << 20,
            max_aggregate_bytes: 64 << 20,
            body_timeout: Duration::from_secs(30),
            max_connections: 1024,
            header_timeout: Duration::from_secs(10),
            max_header_bytes: 64 << 10,
            request_timeout: Duration::from_secs(120),
            write_timeout: Duration::from_secs(30),
            hosts: AllowedHosts::default(),
            metrics_need_key: false,
        }
    }
}

/// What every handler shares.
#[derive(Debug, Clone)]
pub struct ApiState {
    store: Arc<dyn JobStore>,
    prover: Arc<Prover>,
    metrics: Metrics,
    wake: Arc<Wake>,
    health: Arc<StoreHealth>,
    keys: Arc<Keys>,
    max_aggregate_bytes: usize,
    request_timeout: Duration,
}

impl ApiState {
    /// The state over a store, a prover (for validation and aggregation), metrics, the
    /// in-process workers' wake-up and what is known of the store's writes.
    pub fn new(
        store: Arc<dyn JobStore>,
        prover: Arc<Prover>,
        metrics: Metrics,
        wake: Arc<Wake>,
        health: Arc<StoreHealth>,
    ) -> Self {
        Self {
            keys: Arc::new(Keys::new(Arc::clone(&store))),
            store,
            prover,
            metrics,
            wake,
            health,
            max_aggregate_bytes: Limits::default().max_aggregate_bytes,
            request_timeout: Limits::default().request_timeout,
        }
    }
}

impl ApiState {
    /// What is known of the store's writes (a service that opened its store read-only says so
    /// here, and `/healthz` reports it).
    pub fn health(&self) -> &Arc<StoreHealth> {
        &self.health
    }

    /// The prover the API checks jobs with and makes aggregates on (its memory budget is the
    /// one the workers' jobs hold).
    pub fn prover(&self) -> &Arc<Prover> {
        &self.prover
    }
}

/// The API's routes, behind the `Host` check and the body's limits; every error is the API's
/// JSON object.
pub fn router(mut state: ApiState, limits: &Limits) -> Router {
    state.max_aggregate_bytes = limits.max_aggregate_bytes;
    state.request_timeout = limits.request_timeout;
    let body = guard::BodyLimits {
        max: limits.max_body,
        timeout: limits.body_timeout,
    };
    let keys = Arc::clone(&state.keys);
    let v1 = Router::new()
        .route("/v1/jobs", post(submit))
        .route("/v1/jobs/{id}", get(status))
        .route("/v1/jobs/{id}/receipt", get(receipt))
        .route("/v1/aggregates", post(aggregate))
        .route("/v1/openapi.json", get(openapi))
        .route_layer(middleware::from_fn_with_state(
            Arc::clone(&keys),
            auth::authenticate,
        ));
    let mut metrics_route = Router::new().route("/metrics", get(metrics));
    if limits.metrics_need_key {
        metrics_route =
            metrics_route.route_layer(middleware::from_fn_with_state(keys, auth::scrape));
    }
    Router::new()
        .merge(v1)
        .merge(metrics_route)
        .route("/healthz", get(health))
        .fallback(|| async { ApiError::new(StatusCode::NOT_FOUND, "no such route") })
        .layer(middleware::from_fn_with_state(
            limits.request_timeout,
            guard::deadline,
        ))
        .layer(DefaultBodyLimit::max(limits.max_body))
        .layer(middleware::from_fn_with_state(body, guard::read_body))
        .layer(middleware::from_fn_with_state(
            Arc::new(limits.hosts.clone()),
            guard::check_host,
        ))
        .layer(middleware::map_response(guard::json_errors))
        .with_state(state)
}

/// What a client told to come back later (503) is told to wait: `Retry-After`.
const RETRY_LATER: Duration = Duration::from_secs(5);

/// An error answer: `{"error": "...", "field": "..."}` with a status code.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    body: Value,
    retry_after: Option<Duration>,
}

impl ApiError {
    fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            body: json!({ "error": message.into() }),
            retry_after: None,
        }
    }

    fn field(status: StatusCode, field: &str, message: impl Into<String>) -> Self {
        Self {
            status,
            body: json!({ "error": message.into(), "field": field }),
            retry_after: None,
        }
    }

    /// Tells the client to try again later (`Retry-After`, [`RETRY_LATER`]).
    fn retry_later(self) -> Self {
        self.retry_after(RETRY_LATER)
    }

    /// Tells the client to try again after `wait` (`Retry-After` in whole seconds, at least 1).
    fn retry_after(mut self, wait: Duration) -> Self {
        self.retry_after = Some(wait.max(Duration::from_secs(1)));
        self
    }

    fn with(mut self, key: &str, value: Value) -> Self {
        self.body[key] = value;
        self
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, axum::Json(self.body)).into_response();
        if let Some(wait) = self.retry_after {
            response.headers_mut().insert(
                header::RETRY_AFTER,
                header::HeaderValue::from(wait.as_secs() + u64::from(wait.subsec_nanos() > 0)),
            );
        }
        response
    }
}

impl From<RequestError> for ApiError {
    fn from(e: RequestError) -> Self {
        match e.field {
            Some(field) => ApiError::field(StatusCode::BAD_REQUEST, &field, e.message),
            None => ApiError::new(StatusCode::BAD_REQUEST, e.message),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::OverQuota { open, limit } => ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                format!(
                    "over this key's quota of {limit} unfinished jobs ({open} with this submit); nothing was stored"
                ),
            )
            .with("quota", json!("max_queued"))
            .retry_later(),
            StoreError::KeyReused(key) => ApiError::field(
                StatusCode::CONFLICT,
                IdempotencyKey::HEADER,
                format!(
                    "Idempotency-Key: {} was used for a different job",
                    IdempotencyKey::shown(&key)
                ),
            ),
            other => {
                tracing::error!(error = %other, "store failure");
                ApiError::new(StatusCode::SERVICE_UNAVAILABLE, other.to_string())
            }
        }
    }
}

/// Runs a blocking store call off the async threads.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f).await.map_err(|e| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("handler failed: {e}"),
        )
    })?
}

/// A request's body, which must be declared JSON: a browser sends `text/plain` or a form to
/// another site without asking it first, never `application/json`, so this refuses what a web
/// page could make the operator's browser submit (415).
fn json_body(headers: &HeaderMap, body: Result<Bytes, BytesRejection>) -> Result<Bytes, ApiError> {
    if !guard::is_json(headers) {
        return Err(ApiError::field(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Content-Type",
            "Content-Type: send the body as application/json",
        ));
    }
    body.map_err(|e| ApiError::new(e.status(), e.body_text()))
}

/// `GET /v1/openapi.json`.
async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI).into_response()
}

/// `GET /healthz`: 200 while the store answers and takes writes; 503 when it cannot be read, or
/// when its last write failed (a full disk: submits fail and results wait in the workers).
async fn health(State(state): State<ApiState>) -> Result<Response, ApiError> {
    let store = Arc::clone(&state.store);
    let counts = blocking(move || Ok(store.counts()?)).await?;
    let mut body = json!({ "status": "ok", "queued": counts.queued, "running": counts.running });
    let Some(failing) = state.health.failing() else {
        return Ok(axum::Json(body).into_response());
    };
    body["status"] = json!("degraded");
    body["store"] = json!({
        "writes": "failing",
        "failing_seconds": failing.lasting.as_secs_f64(),
        "error": failing.error,
    });
    Ok((StatusCode::SERVICE_UNAVAILABLE, axum::Json(body)).into_response())
}

/// `GET /metrics`: Prometheus text, with the gauges read now.
async fn metrics(State(state): State<ApiState>) -> Result<Response, ApiError> {
    let store = Arc::clone(&state.store);
    let counts = blocking(move || Ok(store.counts()?)).await?;
    let m = &state.metrics;
    for s in JobState::ALL {
        m.jobs
            .with_label_values(&[s.as_str()])
            .set(i64::try_from(counts.get(s)).unwrap_or(i64::MAX));
    }
    m.queue_depth
        .set(i64::try_from(counts.queued).unwrap_or(i64::MAX));
    let executor = state.prover.executor(state.prover.default_backend());
    if let Some(cache) = executor.cache_stats() {
        m.cache_hits
            .set(i64::try_from(cache.hits).unwrap_or(i64::MAX));
        m.cache_misses
            .set(i64::try_from(cache.misses).unwrap_or(i64::MAX));
    }
    m.memory_budget
        .set(i64::try_from(state.prover.memory_budget()).unwrap_or(i64::MAX));
    m.memory_in_use
        .set(i64::try_from(state.prover.memory_in_use()).unwrap_or(i64::MAX));
    Ok((
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        m.render(),
    )
        .into_response())
}
