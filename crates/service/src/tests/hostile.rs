//! Requests as an attacker or bad luck would send them: a store that cannot write, what a web
//! page could make a browser send, idempotency keys that collide, every error's shape.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_that_cannot_write_makes_health_say_so() {
    let dir = tempfile::tempdir().unwrap();
    let sqlite: Arc<dyn JobStore> = Arc::new(SqliteStore::open(dir.path()).unwrap());
    let disk = Arc::new(crate::testing::FullDisk::new(sqlite));
    let h = Harness::over(
        Arc::clone(&disk) as Arc<dyn JobStore>,
        dir,
        0,
        Executor::builder().allow_dev_receipts(true),
    );
    let job = json!({"program": "fibonacci", "input": "5"});
    let (status, body) = h.json("GET", "/healthz", None).await;
    assert_eq!((status, &body["status"]), (StatusCode::OK, &json!("ok")));
    disk.set_full(true);
    let (status, body) = h.json("POST", "/v1/jobs", Some(job.clone())).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("disk is full"),
        "{body}"
    );
    let (status, body) = h.json("GET", "/healthz", None).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(
        (&body["status"], &body["store"]["writes"]),
        (&json!("degraded"), &json!("failing"))
    );
    disk.set_full(false);
    let (status, _) = h.json("POST", "/v1/jobs", Some(job)).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, body) = h.json("GET", "/healthz", None).await;
    assert_eq!((status, &body["status"]), (StatusCode::OK, &json!("ok")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_a_web_page_could_send_is_refused() {
    let h = Harness::new(0);
    let job = r#"{"program": "fibonacci", "input": "5"}"#;
    for content_type in [
        None,
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        Some("multipart/form-data; boundary=x"),
    ] {
        let mut request = Request::builder().method("POST").uri("/v1/jobs");
        if let Some(value) = content_type {
            request = request.header("Content-Type", value);
        }
        let (status, body) = h.send(request.body(Body::from(job)).unwrap()).await;
        assert_eq!(
            status,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "{content_type:?}"
        );
        assert_eq!(body["field"], "Content-Type", "{body}");
    }
    for (host, code) in [
        ("evil.example:8080", StatusCode::MISDIRECTED_REQUEST),
        ("127.0.0.1:8080", StatusCode::OK),
        ("localhost:8080", StatusCode::OK),
    ] {
        let request = Request::builder()
            .uri("/healthz")
            .header("Host", host)
            .body(Body::empty())
            .unwrap();
        let (status, body) = h.send(request).await;
        assert_eq!(status, code, "{host}: {body}");
    }
    let (_, body) = h.json("GET", "/healthz", None).await;
    assert_eq!(body["queued"], 0, "nothing was submitted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idempotency_keys_are_nonempty_and_a_batch_has_its_own() {
    let h = Harness::new(0);
    let job = r#"{"program": "fibonacci", "input": "7"}"#;
    let (status, body) = h.call("POST", "/v1/jobs", Some(job), Some("")).await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "{}",
        String::from_utf8_lossy(&body)
    );
    let batch = r#"{"jobs": [{"program": "fibonacci", "input": "8"}, {"program": "fibonacci", "input": "9"}]}"#;
    let (status, _) = h.call("POST", "/v1/jobs", Some(batch), Some("K")).await;
    assert_eq!(status, StatusCode::CREATED);
    // A single job under the key a batch member once had in the store's namespace: a new job.
    let (status, body) = h.call("POST", "/v1/jobs", Some(job), Some("K/1")).await;
    assert_eq!(
        status,
        StatusCode::CREATED,
        "{}",
        String::from_utf8_lossy(&body)
    );
    let (status, body) = h.call("POST", "/v1/jobs", Some(batch), Some("K")).await;
    assert_eq!(status, StatusCode::OK, "the batch's retry");
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body["jobs"][1]["created"], false);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_error_is_the_apis_json_object() {
    let h = Harness::new(0);
    let cases = [
        ("DELETE", "/v1/jobs", StatusCode::METHOD_NOT_ALLOWED),
        ("GET", "/v1/aggregates", StatusCode::METHOD_NOT_ALLOWED),
        ("GET", "/v1/jobs/%FF", StatusCode::BAD_REQUEST),
        ("GET", "/v1/jobs/+1", StatusCode::BAD_REQUEST),
        ("GET", "/v1/jobs/01", StatusCode::BAD_REQUEST),
        ("GET", "/v1/jobs/-1/receipt", StatusCode::BAD_REQUEST),
    ];
    for (method, uri, code) in cases {
        let request = Request::builder()
            .method(method)
            .uri(uri)
            .body(Body::empty())
            .unwrap();
        let (status, body) = h.send(request).await;
        assert_eq!(status, code, "{method} {uri}: {body}");
        assert!(body["error"].is_string(), "{method} {uri}: {body}");
    }
    let request = Request::builder()
        .method("POST")
        .uri("/v1/jobs")
        .header("Content-Type", "application/json")
        .header(
            "Idempotency-Key",
            axum::http::HeaderValue::from_bytes(b"caf\xe9").unwrap(),
        )
        .body(Body::from(r#"{"program": "fibonacci", "input": "7"}"#))
        .unwrap();
    let (status, body) = h.send(request).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["field"], "Idempotency-Key", "{body}");
    let (status, body) = h
        .json("POST", "/v1/aggregates", Some(json!({"jobs": [-3]})))
        .await;
    assert_eq!(
        (status, &body["field"]),
        (StatusCode::BAD_REQUEST, &json!("jobs[0]"))
    );
    let (status, body) = h
        .json("POST", "/v1/aggregates", Some(json!({"jobs": [2, 2]})))
        .await;
    assert_eq!(
        (status, &body["field"]),
        (StatusCode::BAD_REQUEST, &json!("jobs[1]"))
    );
    let duplicate = r#"{"program": "fibonacci", "input": "7", "program": "sha256"}"#;
    let (status, body) = h.call("POST", "/v1/jobs", Some(duplicate), None).await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "{}",
        String::from_utf8_lossy(&body)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_aggregate_is_bounded_by_its_receipts_bytes() {
    let h = Harness::new(1);
    let mut ids = vec![];
    for n in [10, 11] {
        let (_, body) = h
            .json(
                "POST",
                "/v1/jobs",
                Some(json!({"program": "fibonacci", "input": n.to_string()})),
            )
            .await;
        let id = body["id"].as_i64().unwrap();
        assert_eq!(h.finished(id).await["state"], "done");
        ids.push(id);
    }
    let sizes: Vec<usize> = receipt_sizes(&h, &ids).await;
    let state = h.service.as_ref().unwrap().state.clone();
    // Room for the first receipt, not for both.
    let limits = Limits {
        max_aggregate_bytes: sizes[0] + sizes[1] - 1,
        ..Limits::default()
    };
    let narrow = api::router(state, &limits);
    let request = |ids: &[i64]| {
        Request::builder()
            .method("POST")
            .uri("/v1/aggregates")
            .header("Content-Type", "application/json")
            .body(Body::from(json!({ "jobs": ids }).to_string()))
            .unwrap()
    };
    let response = narrow.clone().oneshot(request(&ids)).await.unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let response = narrow.clone().oneshot(request(&ids[..1])).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let (status, body) = h
        .json("POST", "/v1/aggregates", Some(json!({ "jobs": ids })))
        .await;
    assert_eq!(
        (status, body["receipts"].as_u64()),
        (StatusCode::OK, Some(2)),
        "{body}"
    );
    // The audit's request: one id 10,000 times (its body is over the harness's 4 KiB limit,
    // not over the default's).
    let response = narrow
        .oneshot(request(&vec![ids[0]; 10_000]))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body["field"], "jobs[1]", "{body}");
}

/// The receipts' sizes, from the jobs' statuses.
async fn receipt_sizes(h: &Harness, ids: &[i64]) -> Vec<usize> {
    let mut sizes = vec![];
    for id in ids {
        let (_, body) = h.json("GET", &format!("/v1/jobs/{id}"), None).await;
        sizes.push(usize::try_from(body["receipt_bytes"].as_u64().unwrap()).unwrap());
    }
    sizes
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_aggregate_waiting_for_memory_gives_up_at_its_deadline() {
    let h = Harness::new(1);
    let job = json!({"program": "fibonacci", "input": "10"});
    let (_, body) = h.json("POST", "/v1/jobs", Some(job)).await;
    let id = body["id"].as_i64().unwrap();
    assert_eq!(h.finished(id).await["state"], "done");
    let state = h.service.as_ref().unwrap().state.clone();
    // Running jobs hold the whole memory budget until the test lets them go.
    let prover = Arc::clone(state.prover());
    let (release, released) = std::sync::mpsc::channel::<()>();
    let (holding, held) = std::sync::mpsc::channel::<()>();
    let holder = std::thread::spawn(move || {
        prover.with_memory(u64::MAX, || {
            holding.send(()).unwrap();
            let _ = released.recv();
        })
    });
    held.recv().unwrap();
    let limits = Limits {
        request_timeout: Duration::from_millis(200),
        ..Limits::default()
    };
    let router = api::router(state, &limits);
    let request = || {
        Request::builder()
            .method("POST")
            .uri("/v1/aggregates")
            .header("Content-Type", "application/json")
            .body(Body::from(json!({ "jobs": [id] }).to_string()))
            .unwrap()
    };
    let response = router.clone().oneshot(request()).await.unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(response.headers().contains_key("retry-after"));
    let body = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert!(
        body["error"].as_str().unwrap().contains("retry later"),
        "{body}"
    );
    release.send(()).unwrap();
    holder.join().unwrap();
    // With the memory given back, the same request is answered.
    let response = router.oneshot(request()).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}
