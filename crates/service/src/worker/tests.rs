//! Workers against a real store: results stored and leases let go, stopping with results in hand, progress phases.

use l2x_jobs::{NewJob, SqliteStore};
use tracing_subscriber::layer::SubscriberExt;

use super::*;
use crate::progress::JobPhases;

const MINUTE: Duration = Duration::from_secs(60);

/// Workers' shared state over a fresh store, with no threads running.
fn shared(store: Arc<dyn JobStore>) -> Shared {
    let executor = l2x_executor::Executor::builder().build().expect("executor");
    Shared {
        store,
        prover: Arc::new(Prover::new(executor)),
        metrics: Metrics::new().expect("metrics"),
        config: WorkerConfig::new(0),
        wake: Arc::default(),
        stop: Arc::default(),
        leases: Mutex::new(HashMap::new()),
        tally: Tally::default(),
    }
}

fn phase_of(store: &dyn JobStore, lease: Lease) -> Option<String> {
    store.status(lease.job).expect("status").expect("job").phase
}

fn fibonacci(n: u32) -> NewJob {
    NewJob {
        program: "fibonacci".into(),
        backend: "trace".into(),
        input: n.to_string().into_bytes(),
        idempotency_key: None,
    }
}

#[test]
fn stored_results_let_their_leases_go_and_a_lost_lease_stores_nothing() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let store: Arc<dyn JobStore> = Arc::new(SqliteStore::open(dir.path()).expect("store"));
    store
        .submit(&[fibonacci(10), fibonacci(11)])
        .expect("submitted");
    let lost = store
        .claim("dead", Duration::ZERO)
        .expect("claim")
        .expect("a job");
    std::thread::sleep(Duration::from_millis(5));
    let retaken = store.claim("w", MINUTE).expect("claim").expect("a job");
    assert_eq!(retaken.lease.job, lost.lease.job);
    let other = store.claim("w", MINUTE).expect("claim").expect("a job");
    let shared = shared(Arc::clone(&store));
    shared.hold().insert(lost.lease, 0);
    shared.hold().insert(other.lease, 1);
    let done = |receipt: &[u8]| Outcome::Done {
        receipt: receipt.to_vec(),
        proving: Duration::from_millis(1),
    };
    shared.store_results(vec![
        Finished {
            lease: lost.lease,
            outcome: done(b"late"),
        },
        Finished {
            lease: other.lease,
            outcome: done(b"receipt"),
        },
    ]);
    assert!(shared.hold().is_empty(), "both leases let go");
    let receipt = store.receipt(other.lease.job).expect("receipt");
    assert_eq!(receipt, Some(Some(b"receipt".to_vec())));
    let status = store.status(lost.lease.job).expect("status").expect("job");
    assert_eq!(
        status.state,
        l2x_jobs::JobState::Running,
        "the late result is discarded"
    );
    let finished = |label: &str| shared.metrics.finished.with_label_values(&[label]).get();
    assert_eq!((finished("done"), finished("discarded")), (1, 1));
    assert_eq!(
        shared.tally.commits.load(Ordering::Relaxed),
        1,
        "one transaction"
    );
}

#[test]
fn stopping_stores_every_result_in_hand() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let store: Arc<dyn JobStore> = Arc::new(SqliteStore::open(dir.path()).expect("store"));
    let jobs: Vec<NewJob> = (0..64).map(|i| fibonacci(20 + i)).collect();
    store.submit(&jobs).expect("submitted");
    let executor = l2x_executor::Executor::builder().build().expect("executor");
    let workers = Workers::start(
        Arc::clone(&store),
        Arc::new(Prover::new(executor)),
        Metrics::new().expect("metrics"),
        WorkerConfig::new(2),
        Arc::default(),
    )
    .expect("workers");
    // Stop once some job has been taken, however far the workers got.
    while store.counts().expect("counts").queued == 64 {
        std::thread::sleep(Duration::from_millis(1));
    }
    let stats = workers.stop();
    let counts = store.counts().expect("counts");
    assert_eq!(counts.running, 0, "no job left claimed");
    assert!(stats.jobs >= 1);
    assert_eq!(counts.done, stats.jobs, "every proven job stored");
    assert!(stats.commits >= 1 && stats.commits <= stats.jobs);
}

#[test]
fn a_beat_writes_a_jobs_new_phase_once_and_keeps_it() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let store: Arc<dyn JobStore> = Arc::new(SqliteStore::open(dir.path()).expect("store"));
    store.submit(&[fibonacci(10)]).expect("submitted");
    let lease = store
        .claim("w", MINUTE)
        .expect("claim")
        .expect("a job")
        .lease;
    let shared = shared(Arc::clone(&store));
    let watch = progress::watch();
    shared.hold().insert(lease, watch);
    assert_eq!(phase_of(&*store, lease).as_deref(), Some("proving"));

    let subscriber = tracing_subscriber::registry().with(JobPhases);
    tracing::subscriber::with_default(subscriber, || {
        let _job = tracing::info_span!("job", watch).entered();
        let _segment = tracing::info_span!("prove segment", k = 1u64, n = 4u64).entered();
    });
    shared.beat(false);
    let shown = Some("prove segment 1 of 4 (zkVM)");
    assert_eq!(phase_of(&*store, lease).as_deref(), shown);
    // Nothing new since: later beats, with or without renewal, keep the phase.
    shared.beat(false);
    shared.beat(true);
    assert_eq!(phase_of(&*store, lease).as_deref(), shown);
    progress::forget(watch);
}
