//! Blobs on the executor's pool: the same commitments as one by one, progress per blob, cache
//! hits, batch verification split over workers that still names the bad blob.
#![allow(clippy::unwrap_used)]

use l2x_da::{DaError, encode};
use l2x_executor::{Executor, Policy};

fn executor(policy: Policy, cache: usize) -> Executor {
    Executor::builder()
        .policy(policy)
        .cache(cache)
        .build()
        .unwrap()
}

#[test]
fn blobs_on_the_pool_match_one_by_one_and_come_from_the_cache_the_second_time() {
    let data: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    let blobs = encode(&data);
    assert_eq!(blobs.len(), 3);
    let parallel = executor(Policy::Parallel, 16);
    let seen = std::sync::Mutex::new(vec![]);
    let published = parallel
        .commit_blobs_with_progress(&blobs, &|p| seen.lock().unwrap().push((p.done, p.total)))
        .unwrap();
    let mut seen = seen.into_inner().unwrap();
    seen.sort_unstable();
    assert_eq!(
        seen,
        vec![(1, 3), (2, 3), (3, 3)],
        "every blob reported once"
    );
    assert_eq!(published.ran, Policy::Parallel);
    let kzg = parallel.kzg();
    for (i, blob) in blobs.iter().enumerate() {
        assert_eq!(published.blobs[i], kzg.commit_and_prove(blob, i).unwrap());
    }
    let sequential = executor(Policy::Sequential, 0)
        .commit_blobs(&blobs)
        .unwrap();
    assert_eq!(sequential.blobs, published.blobs);
    assert_eq!(sequential.ran, Policy::Sequential);
    let again = parallel.commit_blobs(&blobs).unwrap();
    assert_eq!(
        (again.cache_hits, again.blobs),
        (3, published.blobs.clone())
    );
    parallel.verify_blobs(&blobs, &published.blobs).unwrap();
}

#[test]
fn split_batch_verification_names_the_bad_blob() {
    let blobs = encode(&vec![9u8; 400_000]);
    assert_eq!(blobs.len(), 4);
    let ex = executor(Policy::Parallel, 0);
    let mut entries = ex.commit_blobs(&blobs).unwrap().blobs;
    ex.verify_blobs(&blobs, &entries).unwrap();
    entries[3].proof.0[5] ^= 1;
    let err = ex.verify_blobs(&blobs, &entries).unwrap_err();
    assert!(
        matches!(
            err,
            DaError::Rejected { index: 3 } | DaError::Malformed { index: 3, .. }
        ),
        "{err}"
    );
    assert!(matches!(
        ex.verify_blobs(&blobs[..2], &entries),
        Err(DaError::Count { .. })
    ));
}
