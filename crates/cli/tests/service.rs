//! The prover service under faults: processes killed with SIGKILL mid-batch, on the embedded
//! store (the server itself) and on PostgreSQL (one of two worker processes). Every job must
//! finish exactly once with a receipt that verifies. API keys are on: every request carries one.
#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod serving;

use std::collections::HashMap;
use std::process::Command;

use l2x_core::Receipt;
use l2x_executor::Executor;
use l2x_jobs::scratch::ScratchDatabase;
use serde_json::{Value, json};
use serving::{Process, agent, wait_until};

const JOBS: usize = 200;

/// Half the jobs are small STARKs (so the batch takes a while), half are trace jobs.
fn batch() -> Value {
    let jobs: Vec<Value> = (0..JOBS)
        .map(|i| {
            if i % 2 == 0 {
                json!({"program": "fibonacci", "input": (200 + i).to_string(), "backend": "stark"})
            } else {
                json!({"program": "sha256", "input": format!("job {i}"), "backend": "trace"})
            }
        })
        .collect();
    json!({ "jobs": jobs })
}

/// A service's base URL and the API key every request carries.
struct Api {
    base: String,
    key: String,
}

impl Api {
    /// The service `server` started, with a key made in `store` before it started.
    fn of(server: &Process, key: String) -> Self {
        let base = server.banner["listening"].as_str().unwrap().to_owned();
        assert_eq!(server.banner["auth"], "keys", "{}", server.banner);
        Self { base, key }
    }

    fn bearer(&self) -> String {
        format!("Bearer {}", self.key)
    }

    /// `GET path`, read as JSON whatever its status.
    fn get(&self, path: &str) -> Value {
        agent()
            .get(format!("{}{path}", self.base))
            .header("Authorization", self.bearer())
            .call()
            .unwrap()
            .body_mut()
            .read_json()
            .unwrap()
    }
}

/// Makes an API key in `store` with the CLI: its secret.
fn make_key(store: &str) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_l2x"))
        .args([
            "keys", "create", "--name", "faults", "--store", store, "--json",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let made: Value = serde_json::from_slice(&out.stdout).unwrap();
    made["secret"].as_str().unwrap().to_owned()
}

fn submit(api: &Api) -> Vec<i64> {
    let answer: Value = agent()
        .post(format!("{}/v1/jobs", api.base))
        .header("Idempotency-Key", "kill-test")
        .header("Authorization", api.bearer())
        .send_json(batch())
        .unwrap()
        .body_mut()
        .read_json()
        .unwrap();
    let ids: Vec<i64> = answer["jobs"]
        .as_array()
        .unwrap_or_else(|| panic!("{answer}"))
        .iter()
        .map(|j| j["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids.len(), JOBS);
    ids
}

/// Every job's status, by id.
fn statuses(api: &Api, ids: &[i64]) -> HashMap<i64, Value> {
    ids.iter()
        .map(|&id| (id, api.get(&format!("/v1/jobs/{id}"))))
        .collect()
}

fn count(statuses: &HashMap<i64, Value>, state: &str) -> usize {
    statuses.values().filter(|s| s["state"] == state).count()
}

fn receipt(api: &Api, id: i64) -> Vec<u8> {
    let mut response = agent()
        .get(format!("{}/v1/jobs/{id}/receipt", api.base))
        .header("Authorization", api.bearer())
        .call()
        .unwrap();
    assert_eq!(response.status().as_u16(), 200, "job {id}");
    response
        .body_mut()
        .with_config()
        .limit(16 << 20)
        .read_to_vec()
        .unwrap()
}

/// Every job is done, its receipt verifies as the job's program, and the receipts of `kept`
/// are byte for byte what was served before the kill.
fn check_all_done(api: &Api, ids: &[i64], kept: &HashMap<i64, Vec<u8>>) {
    let verifier = Executor::builder()
        .allow_dev_receipts(true)
        .build()
        .unwrap();
    let all = statuses(api, ids);
    assert_eq!(
        count(&all, "done"),
        JOBS,
        "every job done: {:?}",
        all.values().find(|s| s["state"] != "done")
    );
    for (i, &id) in ids.iter().enumerate() {
        let bytes = receipt(api, id);
        let receipt = Receipt::from_bytes(&bytes).unwrap();
        let program = if i % 2 == 0 { "fibonacci" } else { "sha256" };
        verifier
            .verify_program(&receipt, program)
            .unwrap_or_else(|e| panic!("job {id}: {e}"));
        if let Some(before) = kept.get(&id) {
            assert_eq!(&bytes, before, "job {id}'s receipt changed after the kill");
        }
    }
}

#[test]
fn the_embedded_store_survives_a_server_kill() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("data");
    let store = store.to_str().unwrap();
    let args = [
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--store",
        store,
        "--workers",
        "2",
        "--allow-dev",
    ];
    let key = make_key(store);
    let mut server = Process::start(&args);
    let api = Api::of(&server, key.clone());
    let ids = submit(&api);
    let mut before = HashMap::new();
    wait_until("a quarter of the jobs", || {
        before = statuses(&api, &ids);
        count(&before, "done") >= JOBS / 4
    });
    let kept: HashMap<i64, Vec<u8>> = before
        .iter()
        .filter(|(_, s)| s["state"] == "done")
        .map(|(&id, _)| (id, receipt(&api, id)))
        .collect();
    server.kill();
    let server = Process::start(&args);
    let api = Api::of(&server, key);
    // A retried submit after the restart returns the same jobs.
    assert_eq!(submit(&api), ids);
    wait_until("every job", || {
        api.get("/healthz")["queued"] == 0 && {
            let all = statuses(&api, &ids);
            count(&all, "done") + count(&all, "failed") == JOBS
        }
    });
    check_all_done(&api, &ids, &kept);
    assert!(kept.len() >= JOBS / 4);
}

#[test]
fn postgres_workers_survive_a_worker_kill() {
    let Some(db) = ScratchDatabase::from_env() else {
        return; // said on stderr by from_env
    };
    let db = db.unwrap();
    let key = make_key(&db.url);
    let server = Process::start(&[
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--store",
        &db.url,
        "--workers",
        "0",
        "--allow-dev",
    ]);
    let api = Api::of(&server, key);
    let worker_args = [
        "worker",
        "--store",
        &db.url,
        "--workers",
        "2",
        "--threads",
        "1",
        "--lease",
        "3",
    ];
    let mut doomed = Process::start(&worker_args);
    let survivor = Process::start(&worker_args);
    let doomed_name = doomed.banner["worker"].as_str().unwrap().to_owned();
    let survivor_name = survivor.banner["worker"].as_str().unwrap().to_owned();
    let ids = submit(&api);
    let mut client = postgres::Client::connect(&db.url, postgres::NoTls).unwrap();
    let mut held: Vec<i64> = vec![];
    wait_until("the doomed worker to be proving mid-batch", || {
        let done: i64 = client
            .query_one("SELECT count(*) FROM jobs WHERE state = 'done'", &[])
            .unwrap()
            .get(0);
        held = client
            .query(
                "SELECT id FROM jobs WHERE state = 'running' AND worker = $1",
                &[&doomed_name],
            )
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect();
        done >= (JOBS / 4) as i64 && !held.is_empty()
    });
    doomed.kill();
    // The doomed worker is dead: what it finished, it finished before this look.
    let done_by_doomed: Vec<i64> = client
        .query(
            "SELECT id FROM jobs WHERE state = 'done' AND worker = $1",
            &[&doomed_name],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    wait_until("every job", || {
        let all = statuses(&api, &ids);
        count(&all, "done") + count(&all, "failed") == JOBS
    });
    check_all_done(&api, &ids, &HashMap::new());
    // The jobs the killed worker held were proven again by the survivor, unless one finished in
    // the instant between the look and the kill: then the doomed worker finished it before it
    // died. Its attempts are not counted: a lease lost to a heartbeat starved on a busy
    // machine adds one and breaks nothing.
    for id in held {
        let status = api.get(&format!("/v1/jobs/{id}"));
        if status["worker"] == doomed_name.as_str() {
            assert!(done_by_doomed.contains(&id), "{status}");
        } else {
            assert_eq!(status["worker"], survivor_name.as_str(), "{status}");
            assert!(status["attempts"].as_i64().unwrap() >= 2, "{status}");
        }
    }
}

#[test]
fn a_thousand_submits_from_32_clients_lose_and_duplicate_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("data");
    let key = make_key(store.to_str().unwrap());
    let server = Process::start(&[
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--store",
        store.to_str().unwrap(),
        "--workers",
        "2",
    ]);
    let api = Api::of(&server, key);
    let base = api.base.as_str();
    let out = Command::new(env!("CARGO_BIN_EXE_l2x"))
        .env("L2X_API_KEY", &api.key)
        .args([
            "load",
            "--jobs",
            "1000",
            "--clients",
            "32",
            "--server",
            base,
            "--json",
        ])
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    assert!(out.status.success(), "{report}");
    assert_eq!(
        (
            &report["done"],
            &report["lost"],
            &report["duplicated"],
            &report["failed"]
        ),
        (&json!(1000), &json!(0), &json!(0), &json!(0)),
        "{report}"
    );
    let metrics = agent()
        .get(format!("{base}/metrics"))
        .call()
        .unwrap()
        .body_mut()
        .read_to_string()
        .unwrap();
    assert!(
        metrics.contains("l2x_jobs{state=\"done\"} 1000"),
        "{metrics}"
    );
    assert!(
        metrics.contains("l2x_submit_seconds_count 1000"),
        "{metrics}"
    );
    assert!(
        metrics.contains("l2x_tenant_jobs_submitted_total{tenant=\"faults\"} 1000"),
        "{metrics}"
    );
}
