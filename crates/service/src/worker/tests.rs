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
        health: Arc::default(),
        unstored: AtomicUsize::new(0),
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
    let unstored = shared.store_results(
        vec![
            Finished {
                lease: lost.lease,
                outcome: done(b"late"),
            },
            Finished {
                lease: other.lease,
                outcome: done(b"receipt"),
            },
        ],
        &mut Backoff::new(Duration::from_millis(1)),
    );
    assert!(unstored.is_empty());
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

/// Waits for `done` (a logic wait: the bound only turns a hang into a failure).
fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + MINUTE;
    while !done() {
        assert!(Instant::now() < deadline, "never happened: {what}");
        std::thread::sleep(Duration::from_millis(2));
    }
}

#[test]
fn a_result_the_store_cannot_take_is_kept_and_stored_once_it_can() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let sqlite: Arc<dyn JobStore> = Arc::new(SqliteStore::open(dir.path()).expect("store"));
    let jobs: Vec<NewJob> = (0..4).map(|i| fibonacci(30 + i)).collect();
    sqlite.submit(&jobs).expect("submitted");
    let disk = Arc::new(crate::testing::FullDisk::new(Arc::clone(&sqlite)));
    disk.fill_after_claims(2);
    let mut config = WorkerConfig::new(2);
    // Leases far shorter than the outage: they run out while the results wait.
    config.lease = Duration::from_millis(300);
    config.poll = Duration::from_millis(10);
    let health = Arc::new(StoreHealth::default());
    let executor = l2x_executor::Executor::builder().build().expect("executor");
    let workers = Workers::start(
        Arc::clone(&disk) as Arc<dyn JobStore>,
        Arc::new(Prover::new(executor)),
        Metrics::new().expect("metrics"),
        config,
        Arc::default(),
        Arc::clone(&health),
    )
    .expect("workers");
    // Seven refusals take 10 + 20 + ... + 640 ms of backoff: past the leases.
    wait_until("results refused seven times", || {
        disk.refused_results.load(Ordering::SeqCst) >= 7
    });
    assert!(health.failing().is_some(), "the failure is known");
    assert_eq!(sqlite.counts().expect("counts").done, 0);
    disk.set_full(false);
    wait_until("every job done", || {
        sqlite.counts().expect("counts").done == 4
    });
    let stats = workers.stop();
    assert_eq!(stats.jobs, 4, "no job proven twice");
    for id in 1..=4 {
        let status = sqlite.status(id).expect("status").expect("job");
        assert_eq!(
            (status.state, status.attempts, status.error),
            (l2x_jobs::JobState::Done, 1, None),
            "job {id}: done at the first attempt"
        );
    }
    assert_eq!(health.failing(), None, "the recovery is known");
}
