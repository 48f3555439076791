//! Keys, tenants and quotas, checked on both stores.

use super::*;
use crate::tests::{LONG, job, on_every_store};
use crate::{JobStore, Outcome, SqliteStore};

fn new_key(name: &str, quotas: Quotas) -> (Secret, NewKey) {
    let secret = Secret::generate().unwrap();
    let key = NewKey {
        name: name.into(),
        hash: secret.hash(),
        role: Role::Prove,
        quotas,
    };
    (secret, key)
}

fn owner(tenant: TenantId, max_queued: Option<u64>) -> Owner {
    Owner { tenant, max_queued }
}

#[test]
fn a_key_is_found_by_its_secret_listed_and_revoked() {
    on_every_store(|store| {
        assert!(!store.has_keys().unwrap());
        let quotas = Quotas {
            max_queued: Some(5),
            per_minute: Some(60),
            max_job_memory: Some(1 << 30),
        };
        let (secret, new) = new_key("a", quotas);
        assert!(secret.expose().starts_with(Secret::PREFIX));
        assert_eq!(secret.expose().len(), Secret::PREFIX.len() + 64);
        assert_eq!(format!("{secret:?}"), "Secret(***)");
        let made = store.create_key(&new).unwrap();
        assert!(made.id > OPEN_TENANT);
        assert_eq!(
            (made.quotas, made.role, made.revoked_ms),
            (quotas, Role::Prove, None)
        );
        assert!(store.has_keys().unwrap());
        assert_eq!(
            store.key_by_hash(&hash_token(secret.expose())).unwrap(),
            Some(made.clone())
        );
        let wrong = Secret::generate().unwrap();
        assert_eq!(store.key_by_hash(&wrong.hash()).unwrap(), None);

        let (_, same_name) = new_key("a", Quotas::default());
        let err = store.create_key(&same_name).unwrap_err();
        assert!(
            matches!(err, StoreError::NameTaken(ref n) if n == "a"),
            "{err}"
        );

        let (_, scrape) = new_key("b", Quotas::default());
        let scrape = store
            .create_key(&NewKey {
                role: Role::Scrape,
                ..scrape
            })
            .unwrap();
        let names: Vec<_> = store.keys().unwrap().into_iter().map(|k| k.name).collect();
        assert_eq!(names, ["a", "b"]);
        assert_eq!(scrape.role, Role::Scrape);

        assert!(store.revoke_key("a").unwrap());
        assert!(!store.revoke_key("a").unwrap(), "revoked already");
        assert!(!store.revoke_key("nobody").unwrap());
        let revoked = store.key_by_hash(&secret.hash()).unwrap().unwrap();
        assert!(revoked.revoked_ms.is_some());
        assert!(
            store.has_keys().unwrap(),
            "a revoked key keeps the store closed"
        );
    });
}

#[test]
fn the_store_keeps_a_hash_of_the_secret_never_the_secret() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path()).unwrap();
    let (secret, new) = new_key("a", Quotas::default());
    store.create_key(&new).unwrap();
    drop(store);
    let mut bytes = Vec::new();
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        bytes.extend(std::fs::read(entry.unwrap().path()).unwrap());
    }
    let find = |needle: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
    assert!(find(&secret.hash()), "the hash is stored");
    assert!(!find(secret.expose().as_bytes()), "the secret is not");
    assert!(
        !find(&secret.expose().as_bytes()[4..20]),
        "nor a part of it"
    );
}

#[test]
fn a_tenant_reads_only_its_own_jobs() {
    on_every_store(|store| {
        let a = store.submit_as(&owner(1, None), &[job(1, None)]).unwrap()[0].id;
        let b = store.submit_as(&owner(2, None), &[job(2, None)]).unwrap()[0].id;
        let (in_a, in_b) = (Scope::Tenant(1), Scope::Tenant(2));
        assert_eq!(store.status_in(in_a, a).unwrap().unwrap().tenant, 1);
        assert_eq!(store.status_in(in_a, b).unwrap(), None);
        assert_eq!(store.receipt_in(in_a, b).unwrap(), None);
        assert_eq!(store.input_in(in_a, b).unwrap(), None);
        assert_eq!(store.input_in(in_b, b).unwrap(), Some(b"2".to_vec()));
        assert_eq!(store.receipt_in(in_b, b).unwrap(), Some(None), "not done");
        assert_eq!(
            store.status_in(Scope::Tenant(OPEN_TENANT), a).unwrap(),
            None
        );
        assert_eq!(
            store.status(b).unwrap().unwrap().tenant,
            2,
            "workers see all"
        );
    });
}

#[test]
fn idempotency_keys_are_per_tenant() {
    on_every_store(|store| {
        let first = store
            .submit_as(&owner(1, None), &[job(1, Some("k"))])
            .unwrap()[0];
        let other = store
            .submit_as(&owner(2, None), &[job(1, Some("k"))])
            .unwrap()[0];
        assert!(first.created && other.created);
        assert_ne!(first.id, other.id, "another tenant's key names another job");
        let again = store
            .submit_as(&owner(1, None), &[job(1, Some("k"))])
            .unwrap()[0];
        assert_eq!((again.id, again.created), (first.id, false));
        // A different job under another tenant's key is not a reuse.
        let third = store
            .submit_as(&owner(3, None), &[job(9, Some("k"))])
            .unwrap()[0];
        assert!(third.created);
        assert!(
            store.submit(&[job(1, Some("k"))]).unwrap()[0].created,
            "the open tenant too"
        );
    });
}

#[test]
fn the_unfinished_jobs_quota_refuses_a_submit_whole_and_stores_nothing() {
    on_every_store(|store| {
        let a = owner(1, Some(2));
        store
            .submit_as(&a, &[job(1, Some("x")), job(2, None)])
            .unwrap();
        let err = store.submit_as(&a, &[job(3, None)]).unwrap_err();
        assert!(
            matches!(err, StoreError::OverQuota { open: 3, limit: 2 }),
            "{err}"
        );
        assert_eq!(store.counts().unwrap().queued, 2, "nothing stored");
        // A retry of a job stored before adds nothing: it passes at the limit.
        let again = store.submit_as(&a, &[job(1, Some("x"))]).unwrap()[0];
        assert!(!again.created);
        // Other tenants are not bound by it.
        store
            .submit_as(&owner(2, Some(1)), &[job(4, None)])
            .unwrap();
        // A finished job frees its place; a batch larger than the room is refused whole.
        let claimed = store.claim("w", LONG).unwrap().unwrap();
        let failed = Outcome::Failed { error: "x".into() };
        assert!(store.finish(claimed.lease, &failed).unwrap());
        let err = store
            .submit_as(&a, &[job(5, None), job(6, None)])
            .unwrap_err();
        assert!(
            matches!(err, StoreError::OverQuota { open: 3, limit: 2 }),
            "{err}"
        );
        assert_eq!(store.counts().unwrap().queued, 2);
        store.submit_as(&a, &[job(5, None)]).unwrap();
        assert_eq!(store.counts().unwrap().queued, 3);
    });
}

#[test]
fn concurrent_submits_of_one_tenant_never_pass_its_quota_together() {
    on_every_store(|store| {
        let a = owner(7, Some(10));
        let stored = std::sync::atomic::AtomicUsize::new(0);
        std::thread::scope(|s| {
            for t in 0..4u8 {
                let stored = &stored;
                s.spawn(move || {
                    for i in 0..8u8 {
                        if store.submit_as(&a, &[job(t * 10 + i, None)]).is_ok() {
                            stored.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        }
                    }
                });
            }
        });
        assert_eq!(stored.into_inner(), 10);
        assert_eq!(store.counts().unwrap().queued, 10);
    });
}

#[test]
fn a_keyed_tenants_kept_count_follows_its_jobs_to_the_end() {
    on_every_store(|store| {
        let (_, new) = new_key(
            "q",
            Quotas {
                max_queued: Some(2),
                ..Quotas::default()
            },
        );
        let key = store.create_key(&new).unwrap();
        let a = owner(key.id, key.quotas.max_queued);
        store.submit_as(&a, &[job(1, None), job(2, None)]).unwrap();
        assert!(matches!(
            store.submit_as(&a, &[job(3, None)]),
            Err(StoreError::OverQuota { open: 3, limit: 2 })
        ));
        // Done, failed, and failed for good after lost workers: each frees its place once.
        let first = store.claim("w", LONG).unwrap().unwrap();
        let done = Outcome::Done {
            receipt: b"r".to_vec(),
            proving: std::time::Duration::ZERO,
        };
        assert!(store.finish(first.lease, &done).unwrap());
        assert!(!store.finish(first.lease, &done).unwrap(), "finished once");
        store.submit_as(&a, &[job(3, None)]).unwrap();
        for _ in 0..crate::MAX_ATTEMPTS {
            store.claim("w", std::time::Duration::ZERO).unwrap();
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        store.claim("w", LONG).unwrap(); // fails the exhausted job for good
        let counts = store.counts().unwrap();
        assert!(counts.failed >= 1, "{counts:?}");
        let open = counts.queued + counts.running;
        let room = 2 - open;
        let more: Vec<_> = (0..room as u8).map(|i| job(10 + i, None)).collect();
        if !more.is_empty() {
            store.submit_as(&a, &more).unwrap();
        }
        assert!(matches!(
            store.submit_as(&a, &[job(20, None)]),
            Err(StoreError::OverQuota { open: 3, limit: 2 })
        ));
    });
}
