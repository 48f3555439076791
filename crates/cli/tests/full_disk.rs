//! `l2x serve` on a disk that fills up (a small tmpfs: needs root, and CI requires it). While the
//! store cannot write, submits get 503 and `/healthz` says `degraded`, and proven receipts are
//! still served; restarted on the full disk, the service starts and serves them (read-only when
//! opening the store needs a write); with space again, it takes jobs.
#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod serving;

use l2x_jobs::scratch::SmallDisk;
use serde_json::{Value, json};
use serving::{Process, agent, get_json, wait_until};

/// `POST base+path` with a JSON body: the status and the JSON answer.
fn post(base: &str, path: &str, body: &Value) -> (u16, Value) {
    let mut response = agent()
        .post(format!("{base}{path}"))
        .send_json(body)
        .unwrap();
    let status = response.status().as_u16();
    (status, response.body_mut().read_json().unwrap())
}

/// `GET base+path`: the status and the body's bytes.
fn get(base: &str, path: &str) -> (u16, Vec<u8>) {
    let mut response = agent().get(format!("{base}{path}")).call().unwrap();
    let status = response.status().as_u16();
    let body = response
        .body_mut()
        .with_config()
        .limit(16 << 20)
        .read_to_vec()
        .unwrap();
    (status, body)
}

/// `/healthz` answers `status` with that `status` field.
fn assert_health(base: &str, status: u16, word: &str) {
    let (got, body) = get(base, "/healthz");
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!((got, &body["status"]), (status, &json!(word)), "{body}");
}

fn listening(server: &Process) -> String {
    server.banner["listening"].as_str().unwrap().to_owned()
}

#[test]
fn a_full_disk_refuses_submits_and_keeps_serving_receipts() {
    let Some(disk) = SmallDisk::mount(16 << 20) else {
        return; // said on stderr by mount
    };
    let store = disk.path().join("data");
    let store = store.to_str().unwrap();
    let args = [
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--store",
        store,
        "--workers",
        "1",
        "--allow-dev",
    ];
    let small = json!({"program": "fibonacci", "input": "20", "backend": "trace"});
    let server = Process::start(&args);
    let base = listening(&server);
    assert_eq!(server.banner["store_read_only"], Value::Null);
    let (status, job) = post(&base, "/v1/jobs", &small);
    assert_eq!(status, 201, "{job}");
    let id = job["id"].as_i64().unwrap();
    wait_until("the job", || {
        get_json(&base, &format!("/v1/jobs/{id}"))["state"] == "done"
    });
    let receipt_path = format!("/v1/jobs/{id}/receipt");
    let (status, receipt) = get(&base, &receipt_path);
    assert_eq!(status, 200);

    disk.fill().unwrap();
    // An input larger than any free page or WAL frame left: the store must grow a file.
    let big = json!({"program": "sha256", "input_hex": "00".repeat(1 << 20), "backend": "trace"});
    let (status, body) = post(&base, "/v1/jobs", &big);
    assert_eq!(status, 503, "{body}");
    assert_health(&base, 503, "degraded");
    assert_eq!(get(&base, &receipt_path), (200, receipt.clone()));
    drop(server);

    // Restarted on the full disk: it starts (read-only if opening the store had to write, as
    // `store_read_only` then says), serves the receipt, refuses what it cannot store, and says
    // so on /healthz.
    let server = Process::start(&args);
    let base = listening(&server);
    let read_only = &server.banner["store_read_only"];
    assert!(
        read_only.is_null() || read_only.is_string(),
        "{}",
        server.banner
    );
    assert_eq!(get(&base, &receipt_path), (200, receipt.clone()));
    let (status, body) = post(&base, "/v1/jobs", &big);
    assert_eq!(status, 503, "{body}");
    assert_health(&base, 503, "degraded");
    drop(server);

    // With space again, a restart takes jobs.
    disk.free().unwrap();
    let server = Process::start(&args);
    let base = listening(&server);
    assert_eq!(server.banner["store_read_only"], Value::Null);
    assert_health(&base, 200, "ok");
    let (status, job) = post(&base, "/v1/jobs", &small);
    assert_eq!(status, 201, "{job}");
    assert_eq!(get(&base, &receipt_path), (200, receipt));
}
