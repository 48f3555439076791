//! Aggregates over finished jobs, optionally with their receipts published as blobs.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use l2x_core::Receipt;
use l2x_jobs::JobId;
use serde::Deserialize;
use serde_json::json;

use super::jobs::receipt_bytes;
use super::{ApiError, ApiState, MAX_BATCH, blocking, decode};

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
pub(super) async fn aggregate(
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
