//! The earlier prototype's integration flow on this executor: prove Fibonacci jobs, verify them,
//! batch them, aggregate three receipts under one Merkle root with inclusion proofs, and check
//! every step, printing each time beside the prototype's published latency.
//!
//! `cargo run --release -p l2x-executor --example integration_demo [-- --backend stark]`
#![allow(clippy::unwrap_used)]

use std::time::Instant;

use l2x_core::BackendId;
use l2x_executor::{Aggregate, Executor, Job};

fn main() {
    let backend = match std::env::args().skip_while(|a| a != "--backend").nth(1) {
        Some(name) => name.parse::<BackendId>().unwrap(),
        None => BackendId::Trace,
    };
    // Dev mode, visibly: on the trace backend this demo verifies receipts that prove nothing.
    let executor = Executor::builder()
        .backend(backend)
        .allow_dev_receipts(backend.is_dev())
        .build()
        .unwrap();
    println!(
        "integration_demo on the {backend} backend{}\n",
        if backend.is_dev() {
            " (dev mode: proves nothing)"
        } else {
            ""
        }
    );
    println!("| job | output | steps | prove + verify | prototype (prove) |");
    println!("|---|---|---|---|---|");
    let mut receipts = vec![];
    for (n, prototype_us) in [(5u64, 31.1), (10, 23.9), (20, 48.0), (50, 94.8)] {
        let start = Instant::now();
        let receipt = executor
            .prove("fibonacci", n.to_string().as_bytes())
            .unwrap();
        let claim = executor.verify(&receipt).unwrap();
        let elapsed = start.elapsed();
        let output = executor.describe(claim).unwrap().headline;
        println!(
            "| fib({n}) | {output} | {} | {elapsed:?} | {prototype_us} µs |",
            claim.steps
        );
        receipts.push(receipt);
    }

    let batch: Vec<Job> = [5u64, 10, 15]
        .iter()
        .map(|n| Job {
            program: "fibonacci".into(),
            input: n.to_string().into_bytes(),
        })
        .collect();
    let report = executor.prove_batch(&batch).unwrap();
    println!(
        "\nbatch of fib(5/10/15): {:?}, {} ({})",
        report.wall,
        report.ran.name(),
        report.reason
    );

    let start = Instant::now();
    let three: Vec<_> = receipts.iter().take(3).cloned().collect();
    let aggregate = executor.aggregate(three).unwrap();
    let aggregated = start.elapsed();
    executor.verify_aggregate(&aggregate).unwrap();
    for (i, receipt) in aggregate.receipts.iter().enumerate() {
        aggregate
            .inclusion_proof(i)
            .unwrap()
            .verify(receipt, &aggregate.root)
            .unwrap();
    }
    let decoded = Aggregate::from_bytes(&aggregate.to_bytes()).unwrap();
    assert_eq!(decoded, aggregate);
    println!(
        "aggregate of 3 receipts: root {} in {aggregated:?} (prototype: ~5 µs, an estimate); \
         the root, every receipt and every inclusion proof verify",
        hex_prefix(&aggregate.root)
    );
}

fn hex_prefix(bytes: &[u8]) -> String {
    bytes
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect::<String>()
        + "…"
}
