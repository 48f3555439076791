//! API keys, tenants and quotas, through the router.

use axum::http::HeaderMap;
use l2x_jobs::{NewKey, Quotas, Role, Secret};

use super::*;

/// Makes a key in the harness's store and returns its secret.
fn key(h: &Harness, name: &str, role: Role, quotas: Quotas) -> String {
    let secret = Secret::generate().unwrap();
    h.store
        .create_key(&NewKey {
            name: name.into(),
            hash: secret.hash(),
            role,
            quotas,
        })
        .unwrap();
    secret.expose().to_owned()
}

/// A request to `router` with a bearer token and an idempotency key: status, headers, JSON.
async fn ask(
    router: &axum::Router,
    method: &str,
    uri: &str,
    body: Option<Value>,
    bearer: Option<&str>,
    idempotency: Option<&str>,
) -> (StatusCode, HeaderMap, Value) {
    let mut request = Request::builder().method(method).uri(uri);
    if let Some(token) = bearer {
        request = request.header("Authorization", format!("Bearer {token}"));
    }
    if let Some(key) = idempotency {
        request = request.header("Idempotency-Key", key);
    }
    let body = match body {
        Some(b) => {
            request = request.header("Content-Type", "application/json");
            Body::from(b.to_string())
        }
        None => Body::empty(),
    };
    let response = router
        .clone()
        .oneshot(request.body(body).unwrap())
        .await
        .unwrap();
    let (status, headers) = (response.status(), response.headers().clone());
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    let value =
        serde_json::from_slice(&bytes).unwrap_or_else(|_| json!(String::from_utf8_lossy(&bytes)));
    (status, headers, value)
}

fn fib(n: u32) -> Value {
    json!({ "program": "fibonacci", "input": n.to_string() })
}

/// Every `/v1` route, with a body where it takes one.
fn v1_routes(id: i64) -> Vec<(&'static str, String, Option<Value>)> {
    vec![
        ("POST", "/v1/jobs".into(), Some(fib(5))),
        ("GET", format!("/v1/jobs/{id}"), None),
        ("GET", format!("/v1/jobs/{id}/receipt"), None),
        (
            "POST",
            "/v1/aggregates".into(),
            Some(json!({ "jobs": [id] })),
        ),
        ("GET", "/v1/openapi.json".into(), None),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_v1_route_refuses_a_missing_wrong_or_revoked_key_alike() {
    let h = Harness::new(0);
    let good = key(&h, "a", Role::Prove, Quotas::default());
    let revoked = key(&h, "gone", Role::Prove, Quotas::default());
    let scrape = key(&h, "scraper", Role::Scrape, Quotas::default());
    h.store.revoke_key("gone").unwrap();
    let wrong = Secret::generate().unwrap();
    let r = &h.router;
    let (status, _, job) = ask(r, "POST", "/v1/jobs", Some(fib(5)), Some(&good), None).await;
    assert_eq!(status, StatusCode::CREATED, "{job}");
    let id = job["id"].as_i64().unwrap();
    let mut answers = Vec::new();
    for (method, uri, body) in v1_routes(id) {
        for bearer in [None, Some(wrong.expose()), Some(&revoked), Some(&scrape)] {
            let (status, headers, answer) = ask(r, method, &uri, body.clone(), bearer, None).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{method} {uri} {answer}");
            assert_eq!(headers["www-authenticate"], "Bearer");
            answers.push(answer);
        }
        let (status, _, answer) = ask(r, method, &uri, body.clone(), Some(&good), None).await;
        assert_ne!(status, StatusCode::UNAUTHORIZED, "{method} {uri}: {answer}");
    }
    assert!(
        answers.windows(2).all(|w| w[0] == w[1]),
        "one answer for all: {answers:?}"
    );
    for open in ["/healthz", "/metrics"] {
        let (status, _, _) = ask(r, "GET", open, None, None, None).await;
        assert_eq!(status, StatusCode::OK, "{open} stays open on loopback");
    }
    assert_eq!(
        h.store.counts().unwrap().queued,
        2,
        "only the good key's submits"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_key_is_refused_once_its_lookup_is_refreshed() {
    let h = Harness::new(0);
    let secret = key(&h, "a", Role::Prove, Quotas::default());
    let r = &h.router;
    let (status, _, _) = ask(r, "GET", "/v1/openapi.json", None, Some(&secret), None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(h.store.revoke_key("a").unwrap());
    // A logic wait: the cached lookup expires after KEY_REFRESH; the bound only turns a hang
    // into a failure.
    let deadline = Instant::now() + HANG;
    loop {
        let (status, _, _) = ask(r, "GET", "/v1/openapi.json", None, Some(&secret), None).await;
        if status == StatusCode::UNAUTHORIZED {
            break;
        }
        assert!(Instant::now() < deadline, "still accepted: {status}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_tenants_job_is_not_found_on_every_route() {
    let h = Harness::new(1);
    let a = key(&h, "a", Role::Prove, Quotas::default());
    let b = key(&h, "b", Role::Prove, Quotas::default());
    let r = &h.router;
    let (_, _, job) = ask(r, "POST", "/v1/jobs", Some(fib(7)), Some(&a), None).await;
    let id = job["id"].as_i64().unwrap();
    let missing = id + 1000;
    let deadline = Instant::now() + HANG;
    while ask(r, "GET", &format!("/v1/jobs/{id}"), None, Some(&a), None)
        .await
        .2["state"]
        != "done"
    {
        assert!(Instant::now() < deadline, "job {id} never finished");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let routes = v1_routes(id).into_iter().zip(v1_routes(missing));
    for ((method, uri, body), (_, absent_uri, absent_body)) in routes.skip(1).take(3) {
        let (owner, _, answer) = ask(r, method, &uri, body.clone(), Some(&a), None).await;
        assert!(owner.is_success(), "{method} {uri}: {owner} {answer}");
        let (status, _, answer) = ask(r, method, &uri, body, Some(&b), None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method} {uri}: {answer}");
        let (_, _, absent) = ask(r, method, &absent_uri, absent_body, Some(&b), None).await;
        let shown = |v: &Value| v.to_string().replace(&missing.to_string(), &id.to_string());
        assert_eq!(
            answer.to_string(),
            shown(&absent),
            "as for a job that does not exist"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idempotency_keys_are_per_tenant() {
    let h = Harness::new(0);
    let a = key(&h, "a", Role::Prove, Quotas::default());
    let b = key(&h, "b", Role::Prove, Quotas::default());
    let r = &h.router;
    let submit = |bearer| {
        ask(
            r,
            "POST",
            "/v1/jobs",
            Some(fib(9)),
            Some(bearer),
            Some("blk-1"),
        )
    };
    let (s1, _, first) = submit(&a).await;
    let (s2, _, other) = submit(&b).await;
    let (s3, _, again) = submit(&a).await;
    assert_eq!(
        (s1, s2, s3),
        (StatusCode::CREATED, StatusCode::CREATED, StatusCode::OK)
    );
    assert_ne!(first["id"], other["id"]);
    assert_eq!(first["id"], again["id"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_quota_answers_429_and_stores_nothing() {
    let h = Harness::new(0);
    let queued = key(
        &h,
        "q",
        Role::Prove,
        Quotas {
            max_queued: Some(2),
            ..Quotas::default()
        },
    );
    let rate = key(
        &h,
        "r",
        Role::Prove,
        Quotas {
            per_minute: Some(1),
            ..Quotas::default()
        },
    );
    let memory = key(
        &h,
        "m",
        Role::Prove,
        Quotas {
            max_job_memory: Some(1),
            ..Quotas::default()
        },
    );
    let r = &h.router;
    let queued_now = || h.store.counts().unwrap().queued;

    for n in [1, 2] {
        let (status, _, _) = ask(r, "POST", "/v1/jobs", Some(fib(n)), Some(&queued), None).await;
        assert_eq!(status, StatusCode::CREATED);
    }
    let (status, headers, answer) =
        ask(r, "POST", "/v1/jobs", Some(fib(3)), Some(&queued), None).await;
    assert_eq!(
        (status, &answer["quota"]),
        (StatusCode::TOO_MANY_REQUESTS, &json!("max_queued"))
    );
    assert!(headers.contains_key("retry-after"), "{answer}");
    assert_eq!(queued_now(), 2);

    // The bucket holds one job and refills one a minute: submit until it refuses (the first
    // refusal comes at the second submit unless a minute passed between them; no timing decides
    // the outcome, only how many were stored before it).
    let mut stored = 0u32;
    let (status, headers, answer) = loop {
        let n = 4 + stored;
        let answer = ask(r, "POST", "/v1/jobs", Some(fib(n)), Some(&rate), None).await;
        if answer.0 != StatusCode::CREATED {
            break answer;
        }
        stored += 1;
        assert!(stored < 50, "the per-minute quota never refused");
    };
    assert!(stored >= 1, "the bucket's first job passes");
    assert_eq!(
        (status, &answer["quota"]),
        (StatusCode::TOO_MANY_REQUESTS, &json!("per_minute"))
    );
    let wait: u64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    let batch = json!({ "jobs": [fib(6), fib(7)] });
    let (status, headers, answer) =
        ask(r, "POST", "/v1/jobs", Some(batch), Some(&rate), None).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{answer}");
    assert!(
        !headers.contains_key("retry-after"),
        "a batch over the bucket never fits"
    );
    assert_eq!(queued_now(), 2 + u64::from(stored));

    let (status, headers, answer) =
        ask(r, "POST", "/v1/jobs", Some(fib(80)), Some(&memory), None).await;
    assert_eq!(
        (status, &answer["field"]),
        (StatusCode::TOO_MANY_REQUESTS, &json!("input"))
    );
    assert_eq!(answer["quota"], "max_job_memory");
    assert!(
        !headers.contains_key("retry-after"),
        "waiting does not shrink a job"
    );
    assert_eq!(queued_now(), 2 + u64::from(stored));

    let metrics = h.metrics_with("l2x_tenant_submits_refused_total").await;
    let rate_line = format!("l2x_tenant_jobs_submitted_total{{tenant=\"r\"}} {stored}");
    for line in [
        "l2x_tenant_jobs_submitted_total{tenant=\"q\"} 2",
        rate_line.as_str(),
        "l2x_tenant_submits_refused_total{reason=\"max_queued\",tenant=\"q\"} 1",
        "l2x_tenant_submits_refused_total{reason=\"per_minute\",tenant=\"r\"} 2",
        "l2x_tenant_submits_refused_total{reason=\"max_job_memory\",tenant=\"m\"} 1",
    ] {
        assert!(metrics.contains(line), "{line} in\n{metrics}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_beyond_loopback_need_a_scrape_key() {
    let h = Harness::new(0);
    let prove = key(&h, "a", Role::Prove, Quotas::default());
    let scrape = key(&h, "prometheus", Role::Scrape, Quotas::default());
    let limits = Limits {
        metrics_need_key: true,
        ..Limits::default()
    };
    let r = &api::router(h.service.as_ref().unwrap().state.clone(), &limits);
    for bearer in [None, Some(prove.as_str())] {
        let (status, _, _) = ask(r, "GET", "/metrics", None, bearer, None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let (status, _, metrics) = ask(r, "GET", "/metrics", None, Some(&scrape), None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        metrics
            .as_str()
            .unwrap()
            .contains("l2x_jobs{state=\"queued\"}")
    );
    let (status, _, _) = ask(r, "GET", "/healthz", None, None, None).await;
    assert_eq!(status, StatusCode::OK, "healthz stays open");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_without_keys_is_open_and_closes_once_a_key_is_made() {
    let h = Harness::new(0);
    let r = &h.router;
    let (status, _, _) = ask(r, "POST", "/v1/jobs", Some(fib(5)), None, None).await;
    assert_eq!(status, StatusCode::CREATED);
    let secret = key(&h, "a", Role::Prove, Quotas::default());
    let deadline = Instant::now() + HANG;
    loop {
        let (status, _, _) = ask(r, "GET", "/v1/jobs/1", None, None, None).await;
        if status == StatusCode::UNAUTHORIZED {
            break;
        }
        assert!(Instant::now() < deadline, "still open: {status}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (status, _, _) = ask(r, "GET", "/v1/jobs/1", None, Some(&secret), None).await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "the open tenant's jobs are not the key's"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_request_passes_as_open_while_the_store_has_not_answered() {
    // A service over a store that has a key, asked by many requests at once before any answer
    // came back: each of them must be refused (before the fix, the first asked and the others
    // went on as an open service's).
    let h = Harness::new(0);
    key(&h, "a", Role::Prove, Quotas::default());
    let limits = Limits::default();
    let r = api::router(h.service.as_ref().unwrap().state.clone(), &limits);
    let asks = (0..64).map(|i| {
        let r = r.clone();
        tokio::spawn(async move {
            ask(&r, "POST", "/v1/jobs", Some(fib(i)), None, None)
                .await
                .0
        })
    });
    for answer in asks.collect::<Vec<_>>() {
        assert_eq!(answer.await.unwrap(), StatusCode::UNAUTHORIZED);
    }
    assert_eq!(h.store.counts().unwrap().queued, 0, "nothing stored");
}
