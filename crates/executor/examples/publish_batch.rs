//! A rollup batch from proof to data availability through the library: prove a batch of jobs,
//! encode its claims and receipts as EIP-4844 blobs, commit to them on the executor's pool, link
//! the blobs' versioned hashes into the aggregate root, then check it all as a verifier would —
//! the receipts, the blobs against their commitments, one blob's inclusion under the root, and
//! the receipts read back out of the blobs.
//!
//! `cargo run --release -p l2x-executor --example publish_batch [-- --backend stark] [-- --jobs N]`
#![allow(clippy::unwrap_used)]

use std::time::Instant;

use l2x_core::BackendId;
use l2x_executor::da::{batch_data, batch_from_data};
use l2x_executor::{Aggregate, Executor, Job};

fn arg(name: &str) -> Option<String> {
    std::env::args().skip_while(|a| a != name).nth(1)
}

fn main() {
    let backend = arg("--backend").map_or(BackendId::Trace, |b| b.parse().unwrap());
    let jobs: usize = arg("--jobs").map_or(4000, |n| n.parse().unwrap());
    // Dev mode, visibly: on the trace backend this example verifies receipts that prove nothing.
    let executor = Executor::builder()
        .backend(backend)
        .allow_dev_receipts(backend.is_dev())
        .build()
        .unwrap();
    let dev = if backend.is_dev() {
        " (dev mode: the receipts prove nothing; the KZG commitments are real)"
    } else {
        ""
    };
    println!("publish_batch: {jobs} jobs on the {backend} backend{dev}\n");

    let batch: Vec<Job> = (0..jobs)
        .map(|i| Job {
            program: if i % 2 == 0 { "fibonacci" } else { "sha256" }.into(),
            input: format!("{}", 1000 + i).into_bytes(),
        })
        .collect();
    let start = Instant::now();
    let report = executor.prove_batch(&batch).unwrap();
    let receipts: Vec<_> = report.receipts.iter().map(|r| (**r).clone()).collect();
    println!(
        "proved      {} receipts in {:?} ({}: {})",
        receipts.len(),
        start.elapsed(),
        report.ran.name(),
        report.reason
    );

    let entries: Vec<_> = receipts
        .iter()
        .zip(&batch)
        .map(|(receipt, job)| executor.batch_entry(receipt.clone(), &job.input).unwrap())
        .collect();
    let data = batch_data(&entries);
    let blobs = l2x_da::encode(&data);
    let kzg_start = Instant::now();
    executor.kzg();
    println!(
        "setup       KZG trusted setup loaded in {:?}",
        kzg_start.elapsed()
    );
    let published = executor.commit_blobs(&blobs).unwrap();
    println!(
        "published   {} bytes as {} blob(s), committed and proven in {:?} ({})",
        data.len(),
        blobs.len(),
        published.wall,
        published.reason
    );
    let hashes: Vec<[u8; 32]> = published.blobs.iter().map(|b| b.versioned_hash).collect();
    let aggregate = Aggregate::with_data(receipts, hashes.clone()).unwrap();
    println!("root        0x{}", hex::encode(aggregate.root));

    let start = Instant::now();
    executor.verify_aggregate(&aggregate).unwrap();
    executor.verify_blobs(&blobs, &published.blobs).unwrap();
    let last = hashes.len() - 1;
    let proof = aggregate.blob_inclusion_proof(last).unwrap();
    proof.verify(&hashes[last], &aggregate.root).unwrap();
    let read_back = batch_from_data(&l2x_da::decode(&blobs).unwrap()).unwrap();
    assert_eq!(read_back, entries);
    executor.check_published(&read_back).unwrap();
    println!(
        "verified    every receipt, every blob against its commitment, blob {last}'s inclusion \
         ({} siblings), and the receipts decoded from the blobs, in {:?}",
        proof.siblings.len(),
        start.elapsed()
    );
    println!(
        "blob {last}      versioned hash 0x{}",
        hex::encode(hashes[last])
    );
}
