//! Jobs: submit (validated before anything is stored), status, receipt.

use std::sync::Arc;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{Extension, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use l2x_api::{IdempotencyKey, JobRequest, Submit, parse_job_id};
use l2x_jobs::{JobId, JobState, JobStatus, NewJob, Scope};
use serde_json::{Value, json};

use super::auth::{Caller, RateRefusal};
use super::{ApiError, ApiState, blocking, json_body};
use crate::prover::{Prover, Refusal};

/// Checks one job of a submit (its backend built, its program and input accepted, within the
/// memory budget); `field` prefixes error paths (`jobs[3].`).
fn validate(
    prover: &Prover,
    caller: &Caller,
    request: JobRequest,
    field: &str,
    key: Option<String>,
) -> Result<NewJob, ApiError> {
    let backend = prover.backend(request.backend.as_deref()).map_err(|e| {
        // A backend this build lacks is a well-formed request the service cannot do (422);
        // a name that is no backend at all is a bad request (400).
        let status = match e {
            Refusal::UnknownBackend(_) => StatusCode::BAD_REQUEST,
            _ => StatusCode::UNPROCESSABLE_ENTITY,
        };
        ApiError::field(status, &format!("{field}backend"), e.to_string())
    })?;
    let plan = prover
        .plan(&request.program, backend, &request.input)
        .map_err(|e| {
            ApiError::field(
                StatusCode::UNPROCESSABLE_ENTITY,
                &format!("{field}program"),
                format!("{}: {e}", request.program),
            )
        })?;
    if let Some(limit) = caller.quotas.max_job_memory.filter(|l| plan.memory > *l) {
        // Waiting does not make the job smaller: no Retry-After.
        return Err(ApiError::field(
            StatusCode::TOO_MANY_REQUESTS,
            &format!("{field}input"),
            format!(
                "{}: needs about {} MiB to prove, over this key's quota of {} MiB per job",
                request.program,
                plan.memory >> 20,
                limit >> 20
            ),
        )
        .with("quota", json!("max_job_memory")));
    }
    Ok(NewJob {
        program: request.program,
        backend: backend.name().to_owned(),
        input: request.input,
        idempotency_key: key,
    })
}

/// The submit's idempotency key, if it has one.
fn idempotency_key(headers: &HeaderMap) -> Result<Option<IdempotencyKey>, ApiError> {
    headers
        .get(IdempotencyKey::HEADER)
        .map(|value| IdempotencyKey::parse(value.as_bytes()))
        .transpose()
        .map_err(ApiError::from)
}

/// `POST /v1/jobs`.
pub(super) async fn submit(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let start = Instant::now();
    let key = idempotency_key(&headers)?;
    let body = json_body(&headers, body)?;
    let submit = Submit::from_json(&body)?;
    let batch = matches!(submit, Submit::Batch(_));
    let mut jobs = Vec::with_capacity(submit.jobs().len());
    for (i, request) in submit.into_jobs().into_iter().enumerate() {
        let (field, job_key) = if batch {
            (format!("jobs[{i}]."), key.as_ref().map(|k| k.member(i)))
        } else {
            (String::new(), key.as_ref().map(|k| k.as_str().to_owned()))
        };
        let job = validate(&state.prover, &caller, request, &field, job_key);
        jobs.push(job.inspect_err(|e| {
            let reason = if e.status == StatusCode::TOO_MANY_REQUESTS {
                "max_job_memory"
            } else {
                "invalid"
            };
            state.metrics.refused(&caller.name, reason);
        })?);
    }
    caller.take(jobs.len()).map_err(|refusal| {
        state.metrics.refused(&caller.name, "per_minute");
        over_rate(refusal)
    })?;
    let (store, health, owner) = (
        Arc::clone(&state.store),
        Arc::clone(&state.health),
        caller.owner(),
    );
    let submitted = blocking(move || Ok(health.record(store.submit_as(&owner, &jobs))?))
        .await
        .inspect_err(|e| {
            if e.status == StatusCode::TOO_MANY_REQUESTS {
                state.metrics.refused(&caller.name, "max_queued");
            }
        })?;
    let created = submitted.iter().filter(|s| s.created).count();
    state.metrics.submitted(&caller.name, created);
    state.wake.notify();
    state
        .metrics
        .submit_seconds
        .observe(start.elapsed().as_secs_f64());
    let code = if created > 0 {
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

/// The answer to a submit over the key's per-minute quota (nothing was stored).
fn over_rate(refusal: RateRefusal) -> ApiError {
    let error = |message: String| {
        ApiError::new(StatusCode::TOO_MANY_REQUESTS, message).with("quota", json!("per_minute"))
    };
    match refusal {
        RateRefusal::Later(wait) => error(format!(
            "over this key's quota of jobs per minute; retry in {:.1} s; nothing was stored",
            wait.as_secs_f64()
        ))
        .retry_after(wait),
        RateRefusal::Never(per_minute) => error(format!(
            "this submit has more jobs than this key may submit in a minute ({per_minute}); split it"
        )),
    }
}

/// A job id from the URL (canonical decimal: `/v1/jobs/+1` and `/v1/jobs/01` are refused).
fn parse_id(raw: Result<Path<String>, PathRejection>) -> Result<JobId, ApiError> {
    let Path(raw) =
        raw.map_err(|e| ApiError::field(StatusCode::BAD_REQUEST, "id", e.body_text()))?;
    Ok(parse_job_id(&raw)?)
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
    Extension(caller): Extension<Caller>,
    raw: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let id = parse_id(raw)?;
    let (store, scope) = (Arc::clone(&state.store), caller.scope());
    match blocking(move || Ok(store.status_in(scope, id)?)).await? {
        Some(s) => Ok(axum::Json(status_json(&s)).into_response()),
        None => Err(no_job(id)),
    }
}

fn no_job(id: JobId) -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, format!("no job {id}"))
}

/// A done job's receipt bytes, or the error saying why there are none (404 for another
/// tenant's job, as for one that does not exist).
pub(super) async fn receipt_bytes(
    state: &ApiState,
    scope: Scope,
    id: JobId,
) -> Result<Vec<u8>, ApiError> {
    let store = Arc::clone(&state.store);
    let (bytes, status) = blocking(move || {
        let bytes = store.receipt_in(scope, id)?;
        let status = match bytes {
            Some(None) => store.status_in(scope, id)?,
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
    Extension(caller): Extension<Caller>,
    raw: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let id = parse_id(raw)?;
    let bytes = receipt_bytes(&state, caller.scope(), id).await?;
    Ok(([(header::CONTENT_TYPE, "application/octet-stream")], bytes).into_response())
}
