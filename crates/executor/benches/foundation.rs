//! The foundation's speed targets, each measured beside its reference in the same run:
//!
//! - `fibonacci_execute`: the trace backend's Fibonacci execution (every step executed) against a
//!   plain `wrapping_add` loop; throughput in additions per second.
//! - `prove_verify_fib50`: prove + verify of fib(50) through the executor and the trace backend,
//!   in memory and through the encoded envelope.
//! - `sha256_64k`: the sha256 program's execution of a 64 KiB message against the `sha2` crate.
#![allow(missing_docs, clippy::unwrap_used)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use l2x_core::{Program, Receipt};
use l2x_executor::Executor;
use l2x_programs::{Fibonacci, Sha256};
use sha2::Digest;

const FIB_N: u64 = 1_000_000;

/// The reference: the tightest loop that computes F(n) mod 2^64 one addition at a time.
fn plain_wrapping_add_loop(n: u64) -> u64 {
    let (mut a, mut b) = (0u64, 1u64);
    for _ in 0..n {
        let next = a.wrapping_add(b);
        a = b;
        b = next;
    }
    a
}

fn fibonacci_execute(c: &mut Criterion) {
    let mut group = c.benchmark_group("fibonacci_execute");
    group.throughput(Throughput::Elements(FIB_N));
    let input = FIB_N.to_string().into_bytes();
    let program: &dyn Program = &Fibonacci;
    group.bench_function("trace_program", |b| {
        b.iter(|| program.execute(black_box(&input)).map(|e| e.steps))
    });
    group.bench_function("plain_loop", |b| {
        b.iter(|| plain_wrapping_add_loop(black_box(FIB_N)))
    });
    group.finish();
}

fn prove_verify_fib50(c: &mut Criterion) {
    let mut group = c.benchmark_group("prove_verify_fib50");
    // Measures dev-mode verification on purpose.
    let executor = Executor::builder()
        .allow_dev_receipts(true)
        .build()
        .unwrap();
    group.bench_function("in_memory", |b| {
        b.iter(|| {
            let receipt = executor.prove("fibonacci", black_box(b"50")).ok()?;
            executor.verify(&receipt).ok().map(|claim| claim.steps)
        })
    });
    group.bench_function("through_envelope", |b| {
        b.iter(|| {
            let bytes = executor
                .prove("fibonacci", black_box(b"50"))
                .ok()?
                .to_bytes();
            let receipt = Receipt::from_bytes(black_box(&bytes)).ok()?;
            executor.verify(&receipt).ok().map(|claim| claim.steps)
        })
    });
    group.finish();
}

fn sha256_64k(c: &mut Criterion) {
    let mut group = c.benchmark_group("sha256_64k");
    let message: Vec<u8> = (0..64 << 10).map(|i: u32| (i % 251) as u8).collect();
    group.throughput(Throughput::Bytes(message.len() as u64));
    let program: &dyn Program = &Sha256;
    group.bench_function("trace_program", |b| {
        b.iter(|| program.execute(black_box(&message)).map(|e| e.steps))
    });
    group.bench_function("sha2_crate", |b| {
        b.iter(|| sha2::Sha256::digest(black_box(&message)))
    });
    // Measures dev-mode verification on purpose.
    let executor = Executor::builder()
        .allow_dev_receipts(true)
        .build()
        .unwrap();
    group.bench_function("trace_prove", |b| {
        b.iter(|| {
            executor
                .prove("sha256", black_box(&message))
                .map(|r| r.claim.steps)
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = fibonacci_execute, prove_verify_fib50, sha256_64k
}
criterion_main!(benches);
