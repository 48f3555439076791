//! The API driven in process (no socket) over an embedded store with real workers.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use l2x_core::{BackendId, Receipt};
use l2x_executor::Executor;
use l2x_jobs::SqliteStore;
use serde_json::{Value, json};
use tower::ServiceExt;

use super::*;

/// The bound of a logic wait: it only turns a hang into a failure, so it is far beyond what any
/// job or counter here takes, on any machine.
const HANG: Duration = Duration::from_secs(600);

struct Harness {
    router: axum::Router,
    service: Option<Service>,
    store: Arc<dyn JobStore>,
    _dir: tempfile::TempDir,
}

impl Harness {
    fn new(workers: usize) -> Self {
        Self::with_executor(workers, Executor::builder().allow_dev_receipts(true))
    }

    fn with_executor(workers: usize, builder: l2x_executor::ExecutorBuilder) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store: Arc<dyn JobStore> = Arc::new(SqliteStore::open(dir.path()).unwrap());
        Self::over(store, dir, workers, builder)
    }

    /// The service over `store` (kept in `dir`).
    fn over(
        store: Arc<dyn JobStore>,
        dir: tempfile::TempDir,
        workers: usize,
        builder: l2x_executor::ExecutorBuilder,
    ) -> Self {
        let executor = builder.threads(2).build().unwrap();
        let mut config = WorkerConfig::new(workers);
        config.poll = Duration::from_millis(10);
        let service = Service::start(Arc::clone(&store), executor, config).unwrap();
        let limits = Limits {
            // Small enough for the tests of the limit; a signed block of two transfers (hex,
            // about 5 KiB) fits.
            max_body: 16 << 10,
            ..Limits::default()
        };
        let router = api::router(service.state.clone(), &limits);
        Self {
            router,
            service: Some(service),
            store,
            _dir: dir,
        }
    }

    async fn call(
        &self,
        method: &str,
        uri: &str,
        body: Option<&str>,
        key: Option<&str>,
    ) -> (StatusCode, Vec<u8>) {
        let mut request = Request::builder().method(method).uri(uri);
        if let Some(key) = key {
            request = request.header("Idempotency-Key", key);
        }
        if body.is_some() {
            request = request.header("Content-Type", "application/json");
        }
        let body = body.map_or_else(Body::empty, |b| Body::from(b.to_owned()));
        let response = self
            .router
            .clone()
            .oneshot(request.body(body).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        (status, bytes.to_vec())
    }

    /// Sends a request as built, and reads the answer as JSON (a string if it is not).
    async fn send(&self, request: Request<Body>) -> (StatusCode, Value) {
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        let value = serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| json!(String::from_utf8_lossy(&bytes)));
        (status, value)
    }

    async fn json(&self, method: &str, uri: &str, body: Option<Value>) -> (StatusCode, Value) {
        let text = body.map(|b| b.to_string());
        let (status, bytes) = self.call(method, uri, text.as_deref(), None).await;
        let value = serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| json!(String::from_utf8_lossy(&bytes)));
        (status, value)
    }

    /// Polls a job until it leaves queued/running (a logic wait: it always ends, the bound only
    /// turns a hang into a failure).
    async fn finished(&self, id: i64) -> Value {
        let deadline = Instant::now() + HANG;
        loop {
            let (status, body) = self.json("GET", &format!("/v1/jobs/{id}"), None).await;
            assert_eq!(status, StatusCode::OK, "{body}");
            if body["state"] == "done" || body["state"] == "failed" {
                return body;
            }
            assert!(Instant::now() < deadline, "job {id} never finished: {body}");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// The metrics once they contain `line`: the finisher counts a result just after its commit
    /// makes the job done, so a status can run ahead of the counters.
    async fn metrics_with(&self, line: &str) -> String {
        let deadline = Instant::now() + HANG;
        loop {
            let (status, metrics) = self.call("GET", "/metrics", None, None).await;
            assert_eq!(status, StatusCode::OK);
            let metrics = String::from_utf8(metrics).unwrap();
            if metrics.contains(line) || Instant::now() >= deadline {
                return metrics;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        if let Some(service) = self.service.take() {
            service.workers.stop();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_submitted_job_is_proven_and_its_receipt_verifies() {
    let h = Harness::new(2);
    let (status, body) = h
        .json(
            "POST",
            "/v1/jobs",
            Some(json!({"program": "fibonacci", "input": "50"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let id = body["id"].as_i64().unwrap();
    let done = h.finished(id).await;
    assert_eq!(done["state"], "done", "{done}");
    assert_eq!(
        (done["program"].as_str(), done["backend"].as_str()),
        (Some("fibonacci"), Some("trace"))
    );
    assert!(done["proving_seconds"].as_f64().is_some());
    let (status, bytes) = h
        .call("GET", &format!("/v1/jobs/{id}/receipt"), None, None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(done["receipt_bytes"].as_u64(), Some(bytes.len() as u64));
    let receipt = Receipt::from_bytes(&bytes).unwrap();
    let executor = Executor::builder()
        .allow_dev_receipts(true)
        .build()
        .unwrap();
    executor.verify_program(&receipt, "fibonacci").unwrap();
    let metrics = h
        .metrics_with("l2x_jobs_finished_total{outcome=\"done\"} 1")
        .await;
    for line in [
        "l2x_jobs{state=\"done\"} 1",
        "l2x_queue_depth 0",
        "l2x_jobs_finished_total{outcome=\"done\"} 1",
        "l2x_proving_seconds_count{backend=\"trace\",program=\"fibonacci\"} 1",
        "l2x_memory_in_use_bytes 0",
    ] {
        assert!(metrics.contains(line), "{line} missing from\n{metrics}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stark_batch_is_proven_and_aggregated() {
    let h = Harness::new(2);
    let block = l2x_programs::transfers::fixture::Wallet::genesis(4, 1)
        .random_block(2, 2)
        .expect("a block")
        .to_bytes();
    let jobs = json!({"jobs": [
        {"program": "fibonacci", "input": "300", "backend": "stark"},
        {"program": "sha256", "input_hex": "616263", "backend": "stark"},
        {"program": "transfers", "input_hex": hex::encode(block), "backend": "stark"},
    ]});
    let (status, body) = h.json("POST", "/v1/jobs", Some(jobs)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let ids: Vec<i64> = body["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["id"].as_i64().unwrap())
        .collect();
    for &id in &ids {
        assert_eq!(h.finished(id).await["state"], "done");
    }
    let (status, body) = h
        .json("POST", "/v1/aggregates", Some(json!({"jobs": ids})))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["receipts"], 3);
    let bytes = hex::decode(body["aggregate_hex"].as_str().unwrap()).unwrap();
    let aggregate = l2x_executor::Aggregate::from_bytes(&bytes).unwrap();
    assert_eq!(hex::encode(aggregate.root), body["root"].as_str().unwrap());
    let strict = Executor::builder()
        .allow_dev_receipts(false)
        .build()
        .unwrap();
    strict.verify_aggregate(&aggregate).unwrap();
    assert_eq!(aggregate.receipts[0].backend, BackendId::Stark);
    let (status, body) = h
        .json(
            "POST",
            "/v1/aggregates",
            Some(json!({"jobs": ids, "publish": true})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let bytes = hex::decode(body["aggregate_hex"].as_str().unwrap()).unwrap();
    let linked = l2x_executor::Aggregate::from_bytes(&bytes).unwrap();
    strict.verify_aggregate(&linked).unwrap();
    assert_eq!(linked.receipts, aggregate.receipts);
    let blob_bytes = hex::decode(body["blobs_hex"].as_str().unwrap()).unwrap();
    let blobs = l2x_da::blobs_from_bytes(&blob_bytes).unwrap();
    let hashes: Vec<String> = linked
        .data
        .iter()
        .map(|h| format!("0x{}", hex::encode(h)))
        .collect();
    assert_eq!(body["versioned_hashes"], json!(hashes));
    assert_eq!(hashes.len(), blobs.len());
    let data = l2x_da::decode(&blobs).unwrap();
    let back = l2x_executor::da::batch_from_data(&data).unwrap();
    let receipts: Vec<_> = back.iter().map(|e| e.receipt.clone()).collect();
    assert_eq!(
        receipts, linked.receipts,
        "the blobs carry exactly the aggregated receipts"
    );
    assert_eq!(
        (back[0].data.len(), back[2].data.len()),
        (0, 2 * 24),
        "the block's two transfers are published beside its receipt"
    );
    strict.check_published(&back).unwrap();
    let kzg = strict.kzg();
    for (i, (blob, hash)) in blobs.iter().zip(&linked.data).enumerate() {
        let commitment = kzg.commit(blob, i).unwrap();
        assert_eq!(&l2x_da::versioned_hash(&commitment), hash);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dev_receipts_are_not_aggregated_unless_allowed() {
    let h = Harness::with_executor(1, Executor::builder().allow_dev_receipts(false));
    let (_, body) = h
        .json(
            "POST",
            "/v1/jobs",
            Some(json!({"program": "fibonacci", "input": "5"})),
        )
        .await;
    let id = body["id"].as_i64().unwrap();
    assert_eq!(h.finished(id).await["state"], "done");
    let (status, body) = h
        .json("POST", "/v1/aggregates", Some(json!({"jobs": [id]})))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["error"].as_str().unwrap().contains("dev"), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idempotency_key_makes_a_retry_return_the_first_job() {
    let h = Harness::new(0);
    let job = r#"{"program": "fibonacci", "input": "7"}"#;
    let (status, first) = h.call("POST", "/v1/jobs", Some(job), Some("k1")).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, again) = h.call("POST", "/v1/jobs", Some(job), Some("k1")).await;
    assert_eq!(status, StatusCode::OK);
    let first: Value = serde_json::from_slice(&first).unwrap();
    let again: Value = serde_json::from_slice(&again).unwrap();
    assert_eq!(
        (first["id"].clone(), again["created"].clone()),
        (again["id"].clone(), json!(false))
    );
    let other = r#"{"program": "fibonacci", "input": "8"}"#;
    let (status, body) = h.call("POST", "/v1/jobs", Some(other), Some("k1")).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body["field"], "Idempotency-Key");
    let (_, body) = h.json("GET", "/healthz", None).await;
    assert_eq!(
        (body["status"].as_str(), body["queued"].as_u64()),
        (Some("ok"), Some(1))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_are_refused_naming_the_field() {
    let h = Harness::new(0);
    let cases: &[(&str, StatusCode, Option<&str>, &str)] = &[
        ("{", StatusCode::BAD_REQUEST, None, "invalid request"),
        (
            r#"{"program": "fibonacci", "input": "1", "colour": 1}"#,
            StatusCode::BAD_REQUEST,
            Some(""),
            "unknown field `colour`",
        ),
        (
            r#"{"input": "1"}"#,
            StatusCode::BAD_REQUEST,
            Some(""),
            "missing field `program`",
        ),
        (
            r#"{"program": "fibonacci"}"#,
            StatusCode::BAD_REQUEST,
            Some("input"),
            "exactly one of input and input_hex",
        ),
        (
            r#"{"program": "fibonacci", "input": "1", "input_hex": "31"}"#,
            StatusCode::BAD_REQUEST,
            Some("input"),
            "exactly one",
        ),
        (
            r#"{"program": "sha256", "input_hex": "zz"}"#,
            StatusCode::BAD_REQUEST,
            Some("input_hex"),
            "invalid hex",
        ),
        (
            r#"{"program": "nope", "input": "1"}"#,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("program"),
            "nope",
        ),
        (
            r#"{"program": "fibonacci", "input": "x"}"#,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("program"),
            "fibonacci",
        ),
        (
            r#"{"program": "fibonacci", "input": "1", "backend": "groth16"}"#,
            StatusCode::BAD_REQUEST,
            Some("backend"),
            "unknown backend",
        ),
        (
            r#"{"jobs": []}"#,
            StatusCode::BAD_REQUEST,
            Some("jobs"),
            "between 1 and",
        ),
        (
            r#"{"jobs": [{"program": "sha256", "input": "a"}, {"program": "sha256", "input_hex": "q"}]}"#,
            StatusCode::BAD_REQUEST,
            Some("jobs[1].input_hex"),
            "jobs[1].input_hex",
        ),
        (
            r#"{"jobs": [{"program": 5}]}"#,
            StatusCode::BAD_REQUEST,
            Some("jobs[0].program"),
            "invalid type",
        ),
    ];
    let risc0 = (
        r#"{"program": "fibonacci", "input": "1", "backend": "risc0"}"#,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("backend"),
        "not in this build",
    );
    let cases: Vec<_> = cases
        .iter()
        .chain(Some(&risc0).filter(|_| !l2x_executor::is_built(BackendId::Risc0)))
        .collect();
    for (body, code, field, needle) in cases {
        let (status, answer) = h.call("POST", "/v1/jobs", Some(body), None).await;
        let answer: Value =
            serde_json::from_slice(&answer).unwrap_or_else(|_| panic!("not JSON for {body}"));
        assert_eq!(status, *code, "{body} -> {answer}");
        let error = answer["error"].as_str().unwrap();
        assert!(error.contains(needle), "{body} -> {error}");
        if let Some(field) = field.filter(|f| !f.is_empty()) {
            assert_eq!(answer["field"], *field, "{body} -> {answer}");
        }
    }
    let huge = format!(
        r#"{{"program": "sha256", "input": "{}"}}"#,
        "a".repeat(20_000)
    );
    let (status, answer) = h.call("POST", "/v1/jobs", Some(&huge), None).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(serde_json::from_slice::<Value>(&answer).unwrap()["error"].is_string());
    assert_eq!(
        h.json("GET", "/healthz", None).await.1["queued"],
        0,
        "nothing was submitted"
    );
    for (uri, code) in [
        ("/v1/jobs/abc", StatusCode::BAD_REQUEST),
        ("/v1/jobs/0", StatusCode::BAD_REQUEST),
        ("/v1/jobs/99", StatusCode::NOT_FOUND),
        ("/v1/jobs/99/receipt", StatusCode::NOT_FOUND),
        ("/v1/nothing", StatusCode::NOT_FOUND),
    ] {
        let (status, answer) = h.json("GET", uri, None).await;
        assert_eq!(status, code, "{uri}: {answer}");
        assert!(answer["error"].is_string(), "{uri}: {answer}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_over_the_memory_budget_is_refused_at_submit() {
    let h = Harness::with_executor(
        0,
        Executor::builder()
            .allow_dev_receipts(true)
            .backend(BackendId::Stark)
            .memory_budget(1 << 20),
    );
    let (status, body) = h
        .json(
            "POST",
            "/v1/jobs",
            Some(json!({"program": "sha256", "input": "abc"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("memory budget"),
        "{body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_queued_job_has_no_receipt_yet() {
    let h = Harness::new(0);
    let (_, body) = h
        .json(
            "POST",
            "/v1/jobs",
            Some(json!({"program": "fibonacci", "input": "5"})),
        )
        .await;
    let id = body["id"].as_i64().unwrap();
    let (status, body) = h.json("GET", &format!("/v1/jobs/{id}/receipt"), None).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["state"], "queued");
    let (status, body) = h
        .json("POST", "/v1/aggregates", Some(json!({"jobs": [id]})))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_of_the_openapi_document_is_served() {
    let h = Harness::new(0);
    let document: Value = serde_json::from_str(api::OPENAPI).unwrap();
    let (status, served) = h.json("GET", "/v1/openapi.json", None).await;
    assert_eq!((status, &served), (StatusCode::OK, &document));
    let paths = document["paths"].as_object().unwrap();
    assert_eq!(paths.len(), 7);
    for (path, methods) in paths {
        for method in methods.as_object().unwrap().keys() {
            let uri = path.replace("{id}", "1");
            let (status, body) = h.json(&method.to_uppercase(), &uri, Some(json!({}))).await;
            assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
            assert_ne!(body["error"], "no such route", "{method} {path}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_a_worker_cannot_run_fails_alone_and_the_service_stays_up() {
    // Jobs another process accepted (a service with a larger budget, or an older version)
    // reach a worker that cannot run them: they fail with the reason, the next job is proven.
    let h = Harness::with_executor(
        1,
        Executor::builder()
            .allow_dev_receipts(true)
            .memory_budget(2 << 20),
    );
    let job = |program: &str, input: &[u8], backend: &str| l2x_jobs::NewJob {
        program: program.into(),
        backend: backend.into(),
        input: input.to_vec(),
        idempotency_key: None,
    };
    let ids = h
        .store
        .submit(&[
            job("sha256", b"abc", "stark"),
            job("nope", b"1", "trace"),
            job("fibonacci", b"1", "groth16"),
            job("fibonacci", b"x", "trace"),
            job("fibonacci", b"10", "trace"),
        ])
        .unwrap();
    let expected = ["memory budget", "nope", "unknown backend", "invalid input"];
    for (submitted, needle) in ids.iter().zip(expected) {
        let status = h.finished(submitted.id).await;
        assert_eq!(status["state"], "failed", "{status}");
        assert!(
            status["error"].as_str().unwrap().contains(needle),
            "{status}"
        );
    }
    assert_eq!(h.finished(ids[4].id).await["state"], "done");
    let (status, _) = h.json("GET", "/healthz", None).await;
    assert_eq!(status, StatusCode::OK);
}

mod hostile;
mod tenants;
