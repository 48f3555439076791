//! The client against a live service in this process (a socket, keys, the real API): local and
//! remote proving give the same receipt; every error the service answers arrives typed.
#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::sync::{Arc, Mutex};

use l2x_client::{ClientError, JobSpec, JobState, Prover, RemoteConfig, RemoteProver, Service};
use l2x_core::BackendId;
use l2x_executor::{Executor, Job};
use l2x_jobs::{JobStore, NewKey, Quotas, Role, Secret, SqliteStore};
use l2x_service::LocalService;

/// A service on a loopback port, with its store, until dropped.
struct Live {
    service: LocalService,
    _dir: tempfile::TempDir,
}

impl Live {
    fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store: Arc<dyn JobStore> = Arc::new(SqliteStore::open(dir.path()).unwrap());
        let executor = Executor::builder()
            .allow_dev_receipts(true)
            .threads(2)
            .build()
            .unwrap();
        let config = l2x_service::WorkerConfig::new(1);
        let service =
            LocalService::start(store, executor, config, l2x_service::Limits::default()).unwrap();
        Self { service, _dir: dir }
    }

    /// A new key of the prove role with these quotas: its secret.
    fn key(&self, name: &str, quotas: Quotas) -> String {
        let secret = Secret::generate().unwrap();
        let key = NewKey {
            name: name.into(),
            hash: secret.hash(),
            role: Role::Prove,
            quotas,
        };
        self.service.store().create_key(&key).unwrap();
        secret.expose().to_owned()
    }

    fn config(&self, key: &str) -> RemoteConfig {
        RemoteConfig::new(self.service.url()).api_key(key)
    }
}

fn dev_verifier() -> Executor {
    Executor::builder()
        .allow_dev_receipts(true)
        .threads(1)
        .build()
        .unwrap()
}

#[test]
fn local_and_remote_proving_give_the_same_receipt() {
    let live = Live::start();
    let key = live.key("node", Quotas::default());
    let config = live.config(&key).backend(BackendId::Stark);
    let remote = Prover::Remote(RemoteProver::new(&config).unwrap());
    let local = Prover::Local(
        Executor::builder()
            .backend(BackendId::Stark)
            .threads(2)
            .build()
            .unwrap(),
    );
    let jobs = [
        Job {
            program: "fibonacci".into(),
            input: b"1000".to_vec(),
        },
        Job {
            program: "sha256".into(),
            input: b"abc".to_vec(),
        },
    ];
    let here = local.prove_batch(&jobs).unwrap();
    let there = remote.prove_batch(&jobs).unwrap();
    assert_eq!(here.len(), 2);
    // The same statement, proven and verified on both sides. (A STARK's bytes may differ
    // between two runs: Plonky3 finds the proof-of-work witness by a parallel search,
    // `find_any`, whichever thread finds one first. The dev backend's receipts are compared
    // byte for byte below.)
    for (a, b) in here.iter().zip(&there) {
        assert_eq!((a.backend, b.backend), (BackendId::Stark, BackendId::Stark));
        assert_eq!(a.claim, b.claim);
        assert_eq!(local.verify(a).unwrap(), remote.verify(b).unwrap());
    }
    let one = remote.prove("fibonacci", b"1000").unwrap();
    assert_eq!(one.claim, here[0].claim);

    let remote = RemoteProver::with_verifier(&live.config(&key), dev_verifier()).unwrap();
    let local = dev_verifier();
    for job in &jobs {
        let there = remote.prove(&job.program, &job.input).unwrap();
        let here = local.prove(&job.program, &job.input).unwrap();
        assert_eq!(
            there.to_bytes(),
            here.to_bytes(),
            "dev receipts, byte for byte"
        );
    }
}

#[test]
fn progress_is_reported_until_the_job_is_done() {
    let live = Live::start();
    let key = live.key("node", Quotas::default());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    let prover = RemoteProver::with_verifier(&live.config(&key), dev_verifier())
        .unwrap()
        .on_progress(move |p| log.lock().unwrap().push(p.clone()));
    let receipt = prover.prove("fibonacci", b"50").unwrap();
    assert_eq!(
        prover.verify(&receipt).unwrap().program.as_str(),
        "fibonacci"
    );
    let seen = seen.lock().unwrap();
    assert_eq!(seen.last().unwrap().state, JobState::Done, "{seen:?}");
    assert!(
        seen.windows(2).all(|w| w[0] != w[1]),
        "told only of changes: {seen:?}"
    );
}

#[test]
fn a_retried_submit_returns_the_same_jobs() {
    let live = Live::start();
    let key = live.key("node", Quotas::default());
    let service = Service::new(&live.config(&key)).unwrap();
    let jobs = [JobSpec {
        program: "fibonacci".into(),
        input: b"7".to_vec(),
    }];
    let first = service.submit(&jobs, Some("block-9")).unwrap();
    let again = service.submit(&jobs, Some("block-9")).unwrap();
    assert_eq!(
        (again[0].id, first[0].created, again[0].created),
        (first[0].id, true, false)
    );
    let other = [JobSpec {
        program: "fibonacci".into(),
        input: b"8".to_vec(),
    }];
    let err = service.submit(&other, Some("block-9")).unwrap_err();
    assert!(matches!(err, ClientError::Conflict(_)), "{err}");
}

#[test]
fn every_refusal_arrives_typed() {
    let live = Live::start();
    let key = live.key("a", Quotas::default());
    let other = live.key("b", Quotas::default());
    let small = live.key(
        "small",
        Quotas {
            max_job_memory: Some(1),
            ..Quotas::default()
        },
    );
    let slow = live.key(
        "slow",
        Quotas {
            per_minute: Some(1),
            ..Quotas::default()
        },
    );
    let prover = |key: &str| {
        let mut config = live.config(key);
        config.retries = 0;
        RemoteProver::with_verifier(&config, dev_verifier()).unwrap()
    };

    let err = prover(&key).prove("nope", b"1").unwrap_err();
    assert!(
        matches!(err, ClientError::Invalid { status: 422, ref field, .. } if field.as_deref() == Some("program")),
        "{err}"
    );
    let err = prover(&key).prove("fibonacci", b"x").unwrap_err();
    assert!(matches!(err, ClientError::Invalid { .. }), "{err}");
    let err = prover("l2x_wrong").prove("fibonacci", b"1").unwrap_err();
    assert!(matches!(err, ClientError::Unauthorized(_)), "{err}");

    let receipt_of_a = prover(&key).prove("fibonacci", b"9").unwrap();
    assert_eq!(receipt_of_a.backend, BackendId::Trace);
    let theirs = Service::new(&live.config(&other)).unwrap();
    let err = theirs.status(1).unwrap_err();
    assert!(matches!(err, ClientError::NotFound { id: 1 }), "{err}");
    let err = theirs.receipt_bytes(1).unwrap_err();
    assert!(matches!(err, ClientError::NotFound { id: 1 }), "{err}");

    let err = prover(&small).prove("fibonacci", b"9").unwrap_err();
    assert!(
        matches!(err, ClientError::OverQuota { ref quota, retry_after: None, .. } if quota == "max_job_memory"),
        "{err}"
    );
    // One job a minute: prove until refused (the second, unless a minute passed between).
    let err = (10..60u32)
        .find_map(|n| {
            prover(&slow)
                .prove("fibonacci", n.to_string().as_bytes())
                .err()
        })
        .expect("the per-minute quota never refused");
    assert!(
        matches!(err, ClientError::OverQuota { ref quota, retry_after: Some(_), .. } if quota == "per_minute"),
        "{err}"
    );
    assert!(err.is_retryable());

    let mut down = RemoteConfig::new("http://127.0.0.1:1");
    down.retries = 1;
    let err = RemoteProver::new(&down)
        .unwrap()
        .prove("fibonacci", b"1")
        .unwrap_err();
    assert!(matches!(err, ClientError::Transport { .. }), "{err}");
    let mut bad_ca = live.config(&key);
    bad_ca.ca_cert = Some("/nonexistent/ca.pem".into());
    assert!(matches!(Service::new(&bad_ca), Err(ClientError::Config(_))));
}
