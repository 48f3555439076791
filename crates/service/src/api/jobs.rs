//! Jobs: submit (validated before anything is stored), status, receipt.

use std::sync::Arc;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use l2x_jobs::{JobId, JobState, JobStatus, NewJob};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{ApiError, ApiState, MAX_BATCH, blocking, decode};
use crate::prover::Prover;

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
pub(super) async fn submit(
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
pub(super) async fn status(
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
pub(super) async fn receipt_bytes(state: &ApiState, id: JobId) -> Result<Vec<u8>, ApiError> {
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
pub(super) async fn receipt(
    State(state): State<ApiState>,
    Path(raw): Path<String>,
) -> Result<Response, ApiError> {
    let id = parse_id(&raw)?;
    let bytes = receipt_bytes(&state, id).await?;
    Ok(([(header::CONTENT_TYPE, "application/octet-stream")], bytes).into_response())
}
