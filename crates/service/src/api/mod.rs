//! The HTTP/JSON API. Handlers validate on the async threads and run store calls on tokio's
//! blocking pool; proving never happens here (the workers do it on the executor's pool).

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use l2x_jobs::{JobState, JobStore, StoreError};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::Metrics;
use crate::prover::Prover;
use crate::worker::Wake;

mod aggregates;
mod jobs;

use aggregates::aggregate;
pub use jobs::status_json;
use jobs::{receipt, status, submit};

/// The OpenAPI document of this API (checked in beside the code; a test keeps them in step).
pub const OPENAPI: &str = include_str!("../../openapi.json");

/// The most jobs one submit may carry.
pub const MAX_BATCH: usize = 10_000;

/// Limits of the API.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// The largest request body, in bytes.
    pub max_body: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self { max_body: 16 << 20 }
    }
}

/// What every handler shares.
#[derive(Debug, Clone)]
pub struct ApiState {
    store: Arc<dyn JobStore>,
    prover: Arc<Prover>,
    metrics: Metrics,
    wake: Arc<Wake>,
}

impl ApiState {
    /// The state over a store, a prover (for validation and aggregation), metrics and the
    /// in-process workers' wake-up.
    pub fn new(
        store: Arc<dyn JobStore>,
        prover: Arc<Prover>,
        metrics: Metrics,
        wake: Arc<Wake>,
    ) -> Self {
        Self {
            store,
            prover,
            metrics,
            wake,
        }
    }
}

/// The API's routes.
pub fn router(state: ApiState, limits: Limits) -> Router {
    Router::new()
        .route("/v1/jobs", post(submit))
        .route("/v1/jobs/{id}", get(status))
        .route("/v1/jobs/{id}/receipt", get(receipt))
        .route("/v1/aggregates", post(aggregate))
        .route("/v1/openapi.json", get(openapi))
        .route("/healthz", get(health))
        .route("/metrics", get(metrics))
        .fallback(|| async { ApiError::new(StatusCode::NOT_FOUND, "no such route") })
        .layer(DefaultBodyLimit::max(limits.max_body))
        .with_state(state)
}

/// An error answer: `{"error": "...", "field": "..."}` with a status code.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    body: Value,
}

impl ApiError {
    fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            body: json!({ "error": message.into() }),
        }
    }

    fn field(status: StatusCode, field: &str, message: impl Into<String>) -> Self {
        Self {
            status,
            body: json!({ "error": message.into(), "field": field }),
        }
    }

    fn with(mut self, key: &str, value: Value) -> Self {
        self.body[key] = value;
        self
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, axum::Json(self.body)).into_response()
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::KeyReused(_) => {
                ApiError::field(StatusCode::CONFLICT, "Idempotency-Key", e.to_string())
            }
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

/// A JSON body decoded into `T`; errors name the field (`jobs[3].input_hex: …`).
fn decode<T: DeserializeOwned>(body: Result<Bytes, BytesRejection>) -> Result<T, ApiError> {
    let body = body.map_err(|e| ApiError::new(e.status(), e.body_text()))?;
    let mut de = serde_json::Deserializer::from_slice(&body);
    serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let message = format!("invalid request: {}", e.inner());
        if path == "." {
            ApiError::new(StatusCode::BAD_REQUEST, message)
        } else {
            ApiError::field(StatusCode::BAD_REQUEST, &path, format!("{path}: {message}"))
        }
    })
}

/// `GET /v1/openapi.json`.
async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI).into_response()
}

/// `GET /healthz`: the store answers.
async fn health(State(state): State<ApiState>) -> Result<Response, ApiError> {
    let store = Arc::clone(&state.store);
    let counts = blocking(move || Ok(store.counts()?)).await?;
    Ok(
        axum::Json(json!({ "status": "ok", "queued": counts.queued, "running": counts.running }))
            .into_response(),
    )
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
