//! The same contract checked on both stores (PostgreSQL when `L2X_TEST_DATABASE_URL` is set).

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use super::*;
use crate::scratch::ScratchDatabase;

pub(crate) const LONG: Duration = Duration::from_secs(60);

pub(crate) fn job(n: u8, key: Option<&str>) -> NewJob {
    NewJob {
        program: "fibonacci".into(),
        backend: "trace".into(),
        input: vec![b'0' + n],
        idempotency_key: key.map(str::to_owned),
    }
}

/// Runs `check` on a fresh SQLite store and, when a server is configured, a fresh PostgreSQL one.
pub(crate) fn on_every_store(check: impl Fn(&dyn JobStore)) {
    let dir = tempfile::tempdir().unwrap();
    check(&SqliteStore::open(dir.path()).unwrap());
    if let Some(db) = ScratchDatabase::from_env() {
        let db = db.unwrap();
        check(&PostgresStore::connect(&db.url).unwrap());
    }
}

/// Waits until the store's clock has moved past every deadline set so far with a zero lease.
fn let_leases_expire() {
    std::thread::sleep(Duration::from_millis(5));
}

#[test]
fn a_job_goes_from_queued_to_done_with_its_receipt() {
    on_every_store(|store| {
        let ids = store.submit(&[job(1, None), job(2, None)]).unwrap();
        assert!(ids.iter().all(|s| s.created));
        assert_eq!(store.counts().unwrap().queued, 2);
        let claimed = store.claim("w1", LONG).unwrap().unwrap();
        assert_eq!(claimed.lease.job, ids[0].id, "oldest first");
        assert_eq!((claimed.input.as_slice(), claimed.attempts), (&b"1"[..], 1));
        assert!(
            store
                .heartbeat(
                    claimed.lease,
                    LONG,
                    Some("proving"),
                    Some(Duration::from_millis(40))
                )
                .unwrap()
        );
        let status = store.status(ids[0].id).unwrap().unwrap();
        assert_eq!(status.state, JobState::Running);
        assert_eq!(status.phase.as_deref(), Some("proving"));
        assert_eq!(status.estimate_ms, Some(40));
        assert_eq!(
            store.receipt(ids[0].id).unwrap(),
            Some(None),
            "not done yet"
        );
        let outcome = Outcome::Done {
            receipt: b"receipt".to_vec(),
            proving: Duration::from_millis(7),
        };
        assert!(store.finish(claimed.lease, &outcome).unwrap());
        let status = store.status(ids[0].id).unwrap().unwrap();
        assert_eq!(status.state, JobState::Done);
        assert_eq!(
            (status.proving_ms, status.receipt_bytes),
            (Some(7), Some(7))
        );
        assert_eq!(status.worker.as_deref(), Some("w1"));
        assert_eq!(
            store.receipt(ids[0].id).unwrap(),
            Some(Some(b"receipt".to_vec()))
        );
        assert_eq!(store.receipt(999).unwrap(), None);
        assert_eq!(store.status(999).unwrap(), None);
        assert_eq!(store.input(ids[0].id).unwrap(), Some(b"1".to_vec()));
        assert_eq!(store.input(999).unwrap(), None);
        let counts = store.counts().unwrap();
        assert_eq!((counts.queued, counts.done), (1, 1));
    });
}

#[test]
fn finishing_several_jobs_at_once_stores_each_under_its_own_lease() {
    on_every_store(|store| {
        let ids = store
            .submit(&[job(1, None), job(2, None), job(3, None)])
            .unwrap();
        let lost = store.claim("dead", Duration::ZERO).unwrap().unwrap();
        let_leases_expire();
        let retaken = store.claim("alive", LONG).unwrap().unwrap();
        assert_eq!(retaken.lease.job, lost.lease.job);
        let second = store.claim("alive", LONG).unwrap().unwrap();
        let third = store.claim("alive", LONG).unwrap().unwrap();
        let done = |r: &[u8]| Outcome::Done {
            receipt: r.to_vec(),
            proving: Duration::from_millis(3),
        };
        let failed = Outcome::Failed {
            error: "bad input".into(),
        };
        let (late, two) = (done(b"late"), done(b"two"));
        let finished = store
            .finish_all(&[
                (lost.lease, &late),
                (second.lease, &two),
                (third.lease, &failed),
            ])
            .unwrap();
        assert_eq!(
            finished,
            [false, true, true],
            "the lost lease alone is refused"
        );
        assert_eq!(
            store.status(ids[0].id).unwrap().unwrap().state,
            JobState::Running,
            "the late result stored nothing"
        );
        assert_eq!(
            store.receipt(ids[1].id).unwrap(),
            Some(Some(b"two".to_vec()))
        );
        let status = store.status(ids[2].id).unwrap().unwrap();
        assert_eq!(
            (status.state, status.error.as_deref()),
            (JobState::Failed, Some("bad input"))
        );
        assert_eq!(store.finish_all(&[]).unwrap(), Vec::<bool>::new());
        let counts = store.counts().unwrap();
        assert_eq!((counts.running, counts.done, counts.failed), (1, 1, 1));
    });
}

#[test]
fn an_idempotency_key_returns_the_first_job_and_refuses_another() {
    on_every_store(|store| {
        let first = store.submit(&[job(1, Some("k"))]).unwrap()[0];
        let again = store.submit(&[job(1, Some("k"))]).unwrap()[0];
        assert_eq!((again.id, again.created), (first.id, false));
        let err = store.submit(&[job(2, Some("k"))]).unwrap_err();
        assert!(
            matches!(err, StoreError::KeyReused(ref k) if k == "k"),
            "{err}"
        );
        assert_eq!(store.counts().unwrap().queued, 1);
        // All or none: the refused batch added nothing.
        let err = store
            .submit(&[job(3, Some("new")), job(2, Some("k"))])
            .unwrap_err();
        assert!(matches!(err, StoreError::KeyReused(_)));
        assert_eq!(store.counts().unwrap().queued, 1);
    });
}

#[test]
fn a_lost_lease_is_reclaimed_and_its_late_result_discarded() {
    on_every_store(|store| {
        let id = store.submit(&[job(1, None)]).unwrap()[0].id;
        let first = store.claim("dead", Duration::ZERO).unwrap().unwrap();
        let_leases_expire();
        let second = store.claim("alive", LONG).unwrap().unwrap();
        assert_eq!(second.lease.job, id);
        assert_ne!(second.lease.token, first.lease.token);
        assert_eq!(second.attempts, 2);
        let late = Outcome::Done {
            receipt: b"late".to_vec(),
            proving: Duration::ZERO,
        };
        assert!(
            !store.finish(first.lease, &late).unwrap(),
            "the old lease is lost"
        );
        assert!(!store.heartbeat(first.lease, LONG, None, None).unwrap());
        assert!(!store.release(first.lease).unwrap());
        let failed = Outcome::Failed {
            error: "bad input".into(),
        };
        assert!(store.finish(second.lease, &failed).unwrap());
        assert!(
            !store.finish(second.lease, &failed).unwrap(),
            "finished once"
        );
        let status = store.status(id).unwrap().unwrap();
        assert_eq!(status.state, JobState::Failed);
        assert_eq!(status.error.as_deref(), Some("bad input"));
        assert_eq!(store.receipt(id).unwrap(), Some(None));
    });
}

#[test]
fn a_live_lease_is_not_reclaimed_and_a_released_job_is() {
    on_every_store(|store| {
        store.submit(&[job(1, None)]).unwrap();
        let claimed = store.claim("w1", LONG).unwrap().unwrap();
        assert_eq!(store.claim("w2", LONG).unwrap(), None);
        assert!(store.release(claimed.lease).unwrap());
        let again = store.claim("w2", LONG).unwrap().unwrap();
        assert_eq!(again.lease.job, claimed.lease.job);
    });
}

#[test]
fn a_job_whose_workers_keep_dying_fails_for_good() {
    on_every_store(|store| {
        let id = store.submit(&[job(1, None)]).unwrap()[0].id;
        for attempt in 1..=MAX_ATTEMPTS {
            let claimed = store.claim("doomed", Duration::ZERO).unwrap().unwrap();
            assert_eq!(claimed.attempts, attempt);
            let_leases_expire();
        }
        assert_eq!(store.claim("next", LONG).unwrap(), None);
        let status = store.status(id).unwrap().unwrap();
        assert_eq!(status.state, JobState::Failed);
        assert!(status.error.unwrap().contains("lost 3 times"));
    });
}

#[test]
fn reopening_the_embedded_store_requeues_running_jobs_and_keeps_receipts() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path()).unwrap();
    store.submit(&[job(1, None), job(2, None)]).unwrap();
    let done = store.claim("w", LONG).unwrap().unwrap();
    let outcome = Outcome::Done {
        receipt: b"r".to_vec(),
        proving: Duration::ZERO,
    };
    store.finish(done.lease, &outcome).unwrap();
    let running = store.claim("w", LONG).unwrap().unwrap();
    drop(store);
    let store = SqliteStore::open(dir.path()).unwrap();
    assert_eq!(
        store.status(running.lease.job).unwrap().unwrap().state,
        JobState::Queued
    );
    assert_eq!(
        store.receipt(done.lease.job).unwrap(),
        Some(Some(b"r".to_vec()))
    );
    assert_eq!(
        store.claim("w", LONG).unwrap().unwrap().lease.job,
        running.lease.job
    );
}

#[test]
fn concurrent_claims_take_each_job_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut stores: Vec<Arc<dyn JobStore>> = vec![Arc::new(SqliteStore::open(dir.path()).unwrap())];
    let db = ScratchDatabase::from_env().map(Result::unwrap);
    if let Some(db) = &db {
        stores.push(Arc::new(PostgresStore::connect(&db.url).unwrap()));
    }
    for store in stores {
        let jobs: Vec<NewJob> = (0..200).map(|i| job((i % 10) as u8, None)).collect();
        store.submit(&jobs).unwrap();
        let claimers: Vec<_> = (0..4)
            .map(|w| {
                let store = Arc::clone(&store);
                std::thread::spawn(move || {
                    let mut mine = vec![];
                    while let Some(c) = store.claim(&format!("w{w}"), LONG).unwrap() {
                        mine.push(c.lease.job);
                    }
                    mine
                })
            })
            .collect();
        let all: Vec<JobId> = claimers
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect();
        let unique: HashSet<JobId> = all.iter().copied().collect();
        assert_eq!((all.len(), unique.len()), (200, 200), "{store:?}");
    }
}

#[test]
fn open_reports_an_unusable_directory() {
    let file = tempfile::NamedTempFile::new().unwrap();
    let err = open(file.path().join("sub").to_str().unwrap()).unwrap_err();
    assert!(err.to_string().contains("job store directory"), "{err}");
}

#[test]
fn a_full_disk_refuses_writes_as_full_and_the_store_still_serves_reads() {
    let Some(disk) = crate::scratch::SmallDisk::mount(4 << 20) else {
        return;
    };
    let dir = disk.path().join("data");
    let store = SqliteStore::open(&dir).unwrap();
    store.submit(&[job(1, None), job(2, None)]).unwrap();
    let done = store.claim("w", LONG).unwrap().unwrap();
    let receipt = Outcome::Done {
        receipt: b"receipt".to_vec(),
        proving: Duration::from_millis(1),
    };
    assert!(store.finish(done.lease, &receipt).unwrap());
    let running = store.claim("w", LONG).unwrap().unwrap();
    disk.fill().unwrap();
    // An input larger than any free page or WAL frame left: the write must grow a file.
    let mut big = job(3, None);
    big.input = vec![7; 1 << 20];
    let err = store.submit(&[big]).unwrap_err();
    assert!(err.is_disk_full(), "{err}");
    assert_eq!(store.counts().unwrap().done, 1, "reads go on");

    let read_only = SqliteStore::open_read_only(&dir).unwrap();
    assert_eq!(
        read_only.receipt(done.lease.job).unwrap(),
        Some(Some(b"receipt".to_vec()))
    );
    assert!(read_only.submit(&[job(4, None)]).is_err(), "writes fail");
    let opened = open_serving(dir.to_str().unwrap()).unwrap();
    assert_eq!(
        opened.store.receipt(done.lease.job).unwrap(),
        Some(Some(b"receipt".to_vec())),
        "the service's store serves receipts, read-only or not ({:?})",
        opened.read_only
    );
    drop((read_only, opened));
    disk.free().unwrap();
    assert!(
        store.finish(running.lease, &receipt).unwrap(),
        "space again, writes again"
    );
}
