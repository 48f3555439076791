//! Aggregates over finished jobs, optionally with their receipts published as blobs.

use std::sync::Arc;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Extension, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use l2x_api::AggregateRequest;
use l2x_core::Receipt;
use serde_json::json;

use super::auth::Caller;
use super::jobs::receipt_bytes;
use super::{ApiError, ApiState, blocking, json_body};

/// Memory an aggregate holds per byte of its receipts, for the memory budget: the stored bytes,
/// the decoded receipts, the aggregate's encoding and its hex in the answer (twice: the JSON
/// value and the body).
const MEMORY_PER_RECEIPT_BYTE: u64 = 7;

/// `POST /v1/aggregates`: verifies the jobs' receipts and puts them under one root. At most
/// [`Limits::max_aggregate_bytes`](super::Limits) of receipts, held against the memory budget
/// while the aggregate is made and answered.
pub(super) async fn aggregate(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let started = Instant::now();
    let scope = caller.scope();
    let request = AggregateRequest::from_json(&json_body(&headers, body)?)?;
    let mut receipts = Vec::with_capacity(request.jobs.len());
    let mut total = 0usize;
    for &id in &request.jobs {
        let bytes = receipt_bytes(&state, scope, id).await?;
        total = total.saturating_add(bytes.len());
        if total > state.max_aggregate_bytes {
            return Err(ApiError::field(
                StatusCode::UNPROCESSABLE_ENTITY,
                "jobs",
                format!(
                    "jobs: the receipts come to more than the {} bytes one aggregate may hold; aggregate fewer jobs",
                    state.max_aggregate_bytes
                ),
            ));
        }
        let receipt = Receipt::from_bytes(&bytes).map_err(|e| {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("job {id}: stored receipt unreadable: {e}"),
            )
        })?;
        receipts.push(receipt);
    }
    let memory = u64::try_from(total)
        .unwrap_or(u64::MAX)
        .saturating_mul(MEMORY_PER_RECEIPT_BYTE);
    let inputs = if request.publish {
        let store = Arc::clone(&state.store);
        let ids = request.jobs.clone();
        blocking(move || {
            ids.iter()
                .map(|&id| Ok(store.input_in(scope, id)?.unwrap_or_default()))
                .collect::<Result<Vec<_>, ApiError>>()
        })
        .await?
    } else {
        vec![]
    };
    let prover = Arc::clone(&state.prover);
    let ids = request.jobs.clone();
    let publish = request.publish;
    // The memory is waited for until the request's deadline at most, so that no thread keeps
    // waiting for a request that was already answered.
    let wait = state.request_timeout.saturating_sub(started.elapsed());
    let body = blocking(move || {
        let made = prover.with_memory_within(memory, wait, || {
            let executor = prover.executor(prover.default_backend());
            let aggregate = executor.aggregate(receipts).map_err(|e| {
                ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    format!("cannot aggregate: {e}"),
                )
                .with("jobs", json!(ids))
            })?;
            let (aggregate, blobs) = if publish {
                published(executor, aggregate, &inputs)?
            } else {
                (aggregate, None)
            };
            Ok(answer(&aggregate, blobs.as_deref()).to_string())
        });
        made.unwrap_or_else(|| Err(memory_busy(memory)))
    })
    .await?;
    Ok((
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response())
}

/// The answer when the memory an aggregate needs did not come free before its deadline.
fn memory_busy(memory: u64) -> ApiError {
    ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        format!(
            "the aggregate needs {memory} bytes of the memory budget, held by running jobs until the request's deadline (--request-timeout); retry later"
        ),
    )
    .retry_later()
}

/// The answer's JSON: the root, the aggregate's bytes in hex and, when published, the blobs and
/// their versioned hashes.
fn answer(
    aggregate: &l2x_executor::Aggregate,
    blobs: Option<&[l2x_da::Blob]>,
) -> serde_json::Value {
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
        body["blobs_hex"] = json!(hex::encode(l2x_da::blobs_to_bytes(blobs)));
    }
    body
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
