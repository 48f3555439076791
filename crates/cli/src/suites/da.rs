//! The `da` suite: each KZG operation through l2x beside the same direct c-kzg call, blobs on the
//! pool against one by one and against plain threads (how much of the machine's parallelism
//! the pool gets), and batch verification per blob against a single verification.
//! Pairs are timed in alternation: back-to-back runs of the same c-kzg call drifted by up to 60%
//! on this shared machine, which would swamp the few percent a wrapper could add.

use std::hint::black_box;

use anyhow::Result;
use l2x_da::{Blob, Kzg, encode};
use l2x_executor::{Executor, Policy};
use l2x_lab::{Case, Outcome, Spec, time};

use super::{Work, fail, keep, paired};

/// `count` distinct blobs of encoded pseudo-random data.
fn blobs(count: usize) -> Vec<Blob> {
    let capacity = l2x_da::BLOB_CAPACITY - 8;
    let data: Vec<u8> = (0..count * capacity)
        .map(|i| (i.wrapping_mul(2654435761) >> 7) as u8)
        .collect();
    encode(&data)
}

fn pool(policy: Policy) -> Result<Executor, String> {
    Executor::builder()
        .policy(policy)
        .cache(0)
        .build()
        .map_err(fail)
}

/// A pair of `da/direct-NAME` (a direct c-kzg call, the reference) and `da/NAME` (ours), timed
/// in alternation by [`paired`].
fn pair(
    name: &str,
    what: &str,
    reference_what: &str,
    setup: impl FnOnce() -> Result<(Work, Work), String> + 'static,
) -> [Case<'static>; 2] {
    let reference = Spec::new(
        "da",
        &format!("direct-{name}"),
        None,
        format!("{what}, {reference_what} (reference)"),
    );
    let spec =
        Spec::new("da", name, None, format!("{what}, through l2x")).against(reference.id.clone());
    paired(reference, spec, 1, setup)
}

fn must<T, E: std::fmt::Display>(result: Result<T, E>) -> T {
    result.unwrap_or_else(|e| panic!("a KZG operation that succeeded in set-up failed: {e}"))
}

/// The suite.
pub fn da(quick: bool) -> Result<Vec<Case<'static>>> {
    let mut cases = vec![];
    let settings = || c_kzg::ethereum_kzg_settings(0);
    cases.extend(pair(
        "commit",
        "blob commitment",
        "direct c-kzg call",
        move || {
            let (a, b) = (blobs(1).remove(0), blobs(1).remove(0));
            let kzg = Kzg::mainnet();
            Ok((
                Box::new(move || keep(must(settings().blob_to_kzg_commitment(black_box(&a))))),
                Box::new(move || keep(must(kzg.commit(black_box(&b), 0)))),
            ))
        },
    ));
    cases.extend(pair(
        "blob-proof",
        "blob proof",
        "direct c-kzg call",
        move || {
            let blob = blobs(1).remove(0);
            let kzg = Kzg::mainnet();
            let commitment = kzg.commit(&blob, 0).map_err(fail)?;
            let bytes = c_kzg::Bytes48::new(commitment.0);
            let copy = blobs(1).remove(0);
            Ok((
                Box::new(move || {
                    keep(must(
                        settings().compute_blob_kzg_proof(black_box(&blob), &bytes),
                    ))
                }),
                Box::new(move || keep(must(kzg.blob_proof(black_box(&copy), &commitment, 0)))),
            ))
        },
    ));
    cases.extend(pair(
        "verify",
        "single blob verification",
        "direct c-kzg call",
        move || {
            let blob = blobs(1).remove(0);
            let kzg = Kzg::mainnet();
            let entry = kzg.commit_and_prove(&blob, 0).map_err(fail)?;
            let (cm, pr) = (
                c_kzg::Bytes48::new(entry.commitment.0),
                c_kzg::Bytes48::new(entry.proof.0),
            );
            let copy = blobs(1).remove(0);
            Ok((
                Box::new(move || {
                    assert!(must(settings().verify_blob_kzg_proof(
                        black_box(&blob),
                        &cm,
                        &pr
                    )))
                }),
                Box::new(move || {
                    must(kzg.verify_blob(black_box(&copy), &entry.commitment, &entry.proof, 0))
                }),
            ))
        },
    ));
    let count = 8u64;
    let sequential = Spec::new(
        "da",
        "commit-prove-sequential",
        Some(count),
        "commit and prove 8 blobs one after another (reference)",
    )
    .throughput("blobs", count as f64);
    let parallel = Spec::new(
        "da",
        "commit-prove-pool",
        Some(count),
        "commit and prove 8 blobs on the executor's pool",
    )
    .throughput("blobs", count as f64)
    .against(sequential.id.clone());
    cases.extend(paired(sequential, parallel, 1, move || {
        let (one, many) = (pool(Policy::Sequential)?, pool(Policy::Parallel)?);
        let (a, b) = (blobs(count as usize), blobs(count as usize));
        Ok((
            Box::new(move || keep(must(one.commit_blobs(black_box(&a))))),
            Box::new(move || keep(must(many.commit_blobs(black_box(&b))))),
        ))
    }));
    let threads = Spec::new(
        "da",
        "commit-prove-threads",
        Some(count),
        "commit and prove 8 blobs with direct c-kzg calls on two plain threads, 4 each (reference)",
    )
    .throughput("blobs", count as f64);
    let on_pool = Spec::new(
        "da",
        "commit-prove-pool-vs-threads",
        Some(count),
        "commit and prove 8 blobs on the executor's pool, timed in turn with plain threads",
    )
    .throughput("blobs", count as f64)
    .against(threads.id.clone());
    cases.extend(paired(threads, on_pool, 1, move || {
        let many = pool(Policy::Parallel)?;
        let (a, b) = (blobs(count as usize), blobs(count as usize));
        Ok((
            Box::new(move || {
                let half = |blobs: &[Blob]| {
                    for blob in blobs {
                        let commitment = must(settings().blob_to_kzg_commitment(blob));
                        keep(must(
                            settings().compute_blob_kzg_proof(blob, &commitment.to_bytes()),
                        ));
                    }
                };
                let (left, right) = a.split_at(a.len() / 2);
                std::thread::scope(|scope| {
                    scope.spawn(|| half(left));
                    half(right);
                });
            }),
            Box::new(move || keep(must(many.commit_blobs(black_box(&b))))),
        ))
    }));
    let batch = if quick { 8 } else { 64 };
    let single = Spec::new(
        "da",
        "direct-verify-beside-batch",
        None,
        "single blob verification, direct c-kzg call, timed in turn with the batch (reference)",
    );
    let per_blob = Spec::new(
        "da",
        "verify-batch-per-blob",
        Some(batch),
        format!("batch verification of {batch} blobs through the executor, per blob"),
    )
    .throughput("blobs", 1.0)
    .against(single.id.clone());
    cases.extend(paired(single, per_blob, batch, move || {
        let ex = pool(Policy::Auto)?;
        let blobs = blobs(batch as usize);
        let entries = ex.commit_blobs(&blobs).map_err(fail)?.blobs;
        let blob = blobs[0].clone();
        let (cm, pr) = (
            c_kzg::Bytes48::new(entries[0].commitment.0),
            c_kzg::Bytes48::new(entries[0].proof.0),
        );
        Ok((
            Box::new(move || {
                assert!(must(settings().verify_blob_kzg_proof(
                    black_box(&blob),
                    &cm,
                    &pr
                )))
            }),
            Box::new(move || must(ex.verify_blobs(black_box(&blobs), &entries))),
        ))
    }));
    cases.extend(pair(
        "cells",
        "EIP-7594 cells and cell proofs of one blob (precompute 8)",
        "direct c-kzg call",
        || {
            let (a, b) = (blobs(1).remove(0), blobs(1).remove(0));
            let direct = c_kzg::ethereum_kzg_settings(8);
            let kzg = Kzg::mainnet_for_cells();
            Ok((
                Box::new(move || keep(must(direct.compute_cells_and_kzg_proofs(black_box(&a))))),
                Box::new(move || keep(must(kzg.cells(black_box(&b), 0)))),
            ))
        },
    ));
    let encode_spec = Spec::new(
        "da",
        "encode",
        Some(1 << 20),
        "encode 1 MiB of batch data into blobs",
    )
    .throughput("bytes", (1 << 20) as f64);
    cases.push(Case::new(encode_spec, |c| {
        let data = vec![0x5au8; 1 << 20];
        Ok(Outcome::timed(time(c, || encode(black_box(&data)).len())))
    }));
    let hit = Spec::new(
        "da",
        "cache-hit",
        None,
        "commit_blobs of one blob already in the commitment cache",
    )
    .against("da/commit");
    cases.push(Case::new(hit, |c| {
        let ex = Executor::builder().cache(16).build().map_err(fail)?;
        let blobs = blobs(1);
        ex.commit_blobs(&blobs).map_err(fail)?;
        Ok(Outcome::timed(time(c, || {
            ex.commit_blobs(black_box(&blobs)).map(|p| p.cache_hits)
        })))
    }));
    Ok(cases)
}
