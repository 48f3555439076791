//! The HTTP/JSON API. Handlers validate on the async threads and run store calls on tokio's
//! blocking pool; proving never happens here (the workers do it on the executor's pool).

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use l2x_core::Receipt;
use l2x_jobs::{JobId, JobState, JobStatus, JobStore, NewJob, StoreError};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::Metrics;
use crate::prover::Prover;
use crate::worker::Wake;

/// The OpenAPI document of this API (checked in beside the code; a test keeps them in step).
pub const OPENAPI: &str = include_str!("../openapi.json");

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

/// One job in a submit.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct JobRequest {
    program: String,
    input: Option<String>,
    input_hex: Option<String>,
    backend: Option<String>,
}

/// A submit: one job, or `{"jobs": [...]}`.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum SubmitRequest {
    Batch { jobs: Vec<Value> },
    One(Value),
}

impl JobRequest {
    fn input(&self, field: &str) -> Result<Vec<u8>, ApiError> {
        match (&self.input, &self.input_hex) {
            (Some(text), None) => Ok(text.clone().into_bytes()),
            (None, Some(hex)) => {
                let digits = hex.strip_prefix("0x").unwrap_or(hex);
                hex::decode(digits).map_err(|e| {
                    ApiError::field(
                        StatusCode::BAD_REQUEST,
                        &format!("{field}input_hex"),
                        format!("{field}input_hex: invalid hex: {e}"),
                    )
                })
            }
            _ => Err(ApiError::field(
                StatusCode::BAD_REQUEST,
                &format!("{field}input"),
                format!("{field}input: give exactly one of input and input_hex"),
            )),
        }
    }
}

/// Checks one job of a submit; `field` prefixes error paths (`jobs[3].`).
fn validate(
    prover: &Prover,
    value: Value,
    field: &str,
    key: Option<String>,
) -> Result<NewJob, ApiError> {
    let request: JobRequest = serde_path_to_error::deserialize(value).map_err(|e| {
        let path = format!("{field}{}", e.path())
            .trim_end_matches('.')
            .to_owned();
        ApiError::field(
            StatusCode::BAD_REQUEST,
            &path,
            format!("{path}: invalid job: {}", e.inner()),
        )
    })?;
    let input = request.input(field)?;
    let backend = prover.backend(request.backend.as_deref()).map_err(|e| {
        ApiError::field(
            StatusCode::BAD_REQUEST,
            &format!("{field}backend"),
            e.to_string(),
        )
    })?;
    prover
        .plan(&request.program, backend, &input)
        .map_err(|e| {
            ApiError::field(
                StatusCode::UNPROCESSABLE_ENTITY,
                &format!("{field}program"),
                format!("{}: {e}", request.program),
            )
        })?;
    Ok(NewJob {
        program: request.program,
        backend: backend.name().to_owned(),
        input,
        idempotency_key: key,
    })
}

/// `POST /v1/jobs`.
async fn submit(
    State(state): State<ApiState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let start = Instant::now();
    let key = match headers.get("idempotency-key") {
        Some(value) => Some(
            value
                .to_str()
                .map_err(|_| {
                    ApiError::field(
                        StatusCode::BAD_REQUEST,
                        "Idempotency-Key",
                        "Idempotency-Key: not visible ASCII",
                    )
                })?
                .to_owned(),
        ),
        None => None,
    };
    let request: SubmitRequest = decode(body)?;
    let (values, batch) = match request {
        SubmitRequest::Batch { jobs } => (jobs, true),
        SubmitRequest::One(value) => (vec![value], false),
    };
    if values.is_empty() || values.len() > MAX_BATCH {
        return Err(ApiError::field(
            StatusCode::BAD_REQUEST,
            "jobs",
            format!(
                "jobs: between 1 and {MAX_BATCH} jobs per submit, {} given",
                values.len()
            ),
        ));
    }
    let mut jobs = Vec::with_capacity(values.len());
    for (i, value) in values.into_iter().enumerate() {
        let (field, job_key) = if batch {
            (
                format!("jobs[{i}]."),
                key.as_ref().map(|k| format!("{k}/{i}")),
            )
        } else {
            (String::new(), key.clone())
        };
        jobs.push(validate(&state.prover, value, &field, job_key)?);
    }
    let store = Arc::clone(&state.store);
    let submitted = blocking(move || Ok(store.submit(&jobs)?)).await?;
    state.wake.notify();
    state
        .metrics
        .submit_seconds
        .observe(start.elapsed().as_secs_f64());
    let created = submitted.iter().any(|s| s.created);
    let code = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let list: Vec<Value> = submitted
        .iter()
        .map(|s| json!({ "id": s.id, "created": s.created }))
        .collect();
    let body = if batch {
        json!({ "jobs": list })
    } else {
        list[0].clone()
    };
    Ok((code, axum::Json(body)).into_response())
}

fn parse_id(raw: &str) -> Result<JobId, ApiError> {
    raw.parse::<JobId>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| {
            ApiError::field(
                StatusCode::BAD_REQUEST,
                "id",
                format!("id: {raw:?} is not a job id"),
            )
        })
}

fn seconds(ms: i64) -> f64 {
    ms as f64 / 1000.0
}

/// A status as the API shows it.
pub fn status_json(s: &JobStatus) -> Value {
    let mut out = json!({
        "id": s.id,
        "program": s.program,
        "backend": s.backend,
        "state": s.state.as_str(),
        "attempts": s.attempts,
        "worker": s.worker,
        "submitted_ms": s.submitted_ms,
    });
    if let (JobState::Running, Some(started)) = (s.state, s.started_ms) {
        let elapsed = (s.now_ms - started).max(0);
        out["phase"] = json!(s.phase);
        out["elapsed_seconds"] = json!(seconds(elapsed));
        if let Some(estimate) = s.estimate_ms.filter(|e| *e > 0) {
            let percent = (100 * elapsed / estimate).min(99);
            out["progress_percent"] = json!(percent);
            out["eta_seconds"] = json!(seconds((estimate - elapsed).max(0)));
        }
    }
    if let Some(proving) = s.proving_ms {
        out["proving_seconds"] = json!(seconds(proving));
    }
    if let Some(finished) = s.finished_ms {
        out["wall_seconds"] = json!(seconds(finished - s.submitted_ms));
    }
    if let Some(error) = &s.error {
        out["error"] = json!(error);
    }
    if let Some(bytes) = s.receipt_bytes {
        out["receipt_bytes"] = json!(bytes);
    }
    out
}

/// `GET /v1/jobs/{id}`.
async fn status(
    State(state): State<ApiState>,
    Path(raw): Path<String>,
) -> Result<Response, ApiError> {
    let id = parse_id(&raw)?;
    let store = Arc::clone(&state.store);
    match blocking(move || Ok(store.status(id)?)).await? {
        Some(s) => Ok(axum::Json(status_json(&s)).into_response()),
        None => Err(no_job(id)),
    }
}

fn no_job(id: JobId) -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, format!("no job {id}"))
}

/// A done job's receipt bytes, or the error saying why there are none.
async fn receipt_bytes(state: &ApiState, id: JobId) -> Result<Vec<u8>, ApiError> {
    let store = Arc::clone(&state.store);
    let (bytes, status) = blocking(move || {
        let bytes = store.receipt(id)?;
        let status = match bytes {
            Some(None) => store.status(id)?,
            _ => None,
        };
        Ok((bytes, status))
    })
    .await?;
    match (bytes, status) {
        (None, _) => Err(no_job(id)),
        (Some(Some(bytes)), _) => Ok(bytes),
        (Some(None), status) => {
            let state = status.as_ref().map_or("unknown", |s| s.state.as_str());
            let mut error = ApiError::new(
                StatusCode::CONFLICT,
                format!("job {id} is {state}, not done"),
            )
            .with("state", json!(state));
            if let Some(why) = status.and_then(|s| s.error) {
                error = error.with("job_error", json!(why));
            }
            Err(error)
        }
    }
}

/// `GET /v1/jobs/{id}/receipt`.
async fn receipt(
    State(state): State<ApiState>,
    Path(raw): Path<String>,
) -> Result<Response, ApiError> {
    let id = parse_id(&raw)?;
    let bytes = receipt_bytes(&state, id).await?;
    Ok(([(header::CONTENT_TYPE, "application/octet-stream")], bytes).into_response())
}

/// `POST /v1/aggregates` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AggregateRequest {
    jobs: Vec<JobId>,
    /// Also encode the receipts as EIP-4844 blobs, commit to them, and link their versioned
    /// hashes into the aggregate.
    #[serde(default)]
    publish: bool,
}

/// `POST /v1/aggregates`: verifies the jobs' receipts and puts them under one root.
async fn aggregate(
    State(state): State<ApiState>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let request: AggregateRequest = decode(body)?;
    if request.jobs.is_empty() || request.jobs.len() > MAX_BATCH {
        return Err(ApiError::field(
            StatusCode::BAD_REQUEST,
            "jobs",
            format!(
                "jobs: between 1 and {MAX_BATCH} job ids, {} given",
                request.jobs.len()
            ),
        ));
    }
    let mut receipts = Vec::with_capacity(request.jobs.len());
    for &id in &request.jobs {
        let bytes = receipt_bytes(&state, id).await?;
        let receipt = Receipt::from_bytes(&bytes).map_err(|e| {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("job {id}: stored receipt unreadable: {e}"),
            )
        })?;
        receipts.push(receipt);
    }
    let inputs = if request.publish {
        let store = Arc::clone(&state.store);
        let ids = request.jobs.clone();
        blocking(move || {
            ids.iter()
                .map(|&id| Ok(store.input(id)?.unwrap_or_default()))
                .collect::<Result<Vec<_>, ApiError>>()
        })
        .await?
    } else {
        vec![]
    };
    let prover = Arc::clone(&state.prover);
    let ids = request.jobs.clone();
    let publish = request.publish;
    let (aggregate, blobs) = blocking(move || {
        let executor = prover.executor(prover.default_backend());
        let aggregate = executor.aggregate(receipts).map_err(|e| {
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("cannot aggregate: {e}"),
            )
            .with("jobs", json!(ids))
        })?;
        if publish {
            published(executor, aggregate, &inputs)
        } else {
            Ok((aggregate, None))
        }
    })
    .await?;
    let mut body = json!({
        "root": hex::encode(aggregate.root),
        "receipts": aggregate.receipts.len(),
        "aggregate_hex": hex::encode(aggregate.to_bytes()),
    });
    if let Some(blobs) = blobs {
        let hashes: Vec<String> = aggregate
            .data
            .iter()
            .map(|h| format!("0x{}", hex::encode(h)))
            .collect();
        body["versioned_hashes"] = json!(hashes);
        body["blobs_hex"] = json!(hex::encode(l2x_da::blobs_to_bytes(&blobs)));
    }
    Ok(axum::Json(body).into_response())
}

/// An aggregate and, when published, the blobs its receipts went into.
type Published = (l2x_executor::Aggregate, Option<Vec<l2x_da::Blob>>);

/// The aggregate with its receipts published as blobs: the batch data (each receipt with what
/// its program publishes for the job's input) encoded, committed to with KZG on the pool, and
/// the versioned hashes linked into the root.
fn published(
    executor: &l2x_executor::Executor,
    aggregate: l2x_executor::Aggregate,
    inputs: &[Vec<u8>],
) -> Result<Published, ApiError> {
    let entries = aggregate
        .receipts
        .iter()
        .zip(inputs)
        .map(|(receipt, input)| executor.batch_entry(receipt.clone(), input))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("cannot read a job's published data: {e}"),
            )
        })?;
    let data = l2x_executor::da::batch_data(&entries);
    if data.len() > l2x_da::MAX_DATA_BYTES {
        return Err(ApiError::field(
            StatusCode::UNPROCESSABLE_ENTITY,
            "jobs",
            format!(
                "jobs: the receipts ({} bytes) need more than the {} blobs one publication holds; publish fewer jobs",
                data.len(),
                l2x_da::MAX_BLOBS_PER_FILE
            ),
        ));
    }
    let blobs = l2x_da::encode(&data);
    let publication = executor.commit_blobs(&blobs).map_err(|e| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("cannot commit to the blobs: {e}"),
        )
    })?;
    let hashes = publication.blobs.iter().map(|b| b.versioned_hash).collect();
    let aggregate =
        l2x_executor::Aggregate::with_data(aggregate.receipts, hashes).map_err(|e| {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("cannot link the blobs: {e}"),
            )
        })?;
    Ok((aggregate, Some(blobs)))
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
