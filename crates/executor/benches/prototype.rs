//! The earlier prototype's six criterion groups (`../shared/seeds/001_…txt`), for every backend:
//! single fib(10), Fibonacci scaling 5–100, a batch of 10, verification, SHA-256 of 32/64/128
//! bytes, and end to end (build the executor, prove, verify).
//!
//! The prototype wrote these groups and never ran them; its published times (seeds/000) are in
//! BENCHMARKS.md beside ours. STARK groups take 10 flat samples (a proof takes a tenth of a
//! second to a second, so criterion's linear ramp would run for minutes). Filter by backend:
//! `cargo bench -p l2x-executor --bench prototype -- trace`.
#![allow(missing_docs, clippy::unwrap_used)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, SamplingMode, criterion_group, criterion_main};
use l2x_core::BackendId;
use l2x_executor::{Executor, Job, Policy};

const BACKENDS: [BackendId; 3] = [BackendId::Trace, BackendId::Stark, BackendId::StarkZk];

fn executor(backend: BackendId) -> Executor {
    // The trace groups measure dev-mode verification on purpose.
    Executor::builder()
        .backend(backend)
        .allow_dev_receipts(backend.is_dev())
        .policy(Policy::Auto)
        .cache(0)
        .build()
        .unwrap()
}

fn group<'c>(
    c: &'c mut Criterion,
    name: &str,
    backend: BackendId,
) -> criterion::BenchmarkGroup<'c, criterion::measurement::WallTime> {
    let mut group = c.benchmark_group(format!("{name}/{backend}"));
    if backend != BackendId::Trace {
        group.sample_size(10).sampling_mode(SamplingMode::Flat);
    }
    group
}

fn single_fibonacci(c: &mut Criterion) {
    for backend in BACKENDS {
        let ex = executor(backend);
        let mut g = group(c, "single_fibonacci", backend);
        g.bench_function("fib_10", |b| {
            b.iter(|| ex.prove("fibonacci", black_box(b"10")).unwrap())
        });
        g.finish();
    }
}

fn fibonacci_scaling(c: &mut Criterion) {
    for backend in BACKENDS {
        let ex = executor(backend);
        let mut g = group(c, "fibonacci_scaling", backend);
        for n in [5u32, 10, 20, 50, 100] {
            let input = n.to_string();
            g.bench_with_input(BenchmarkId::from_parameter(n), &input, |b, input| {
                b.iter(|| ex.prove("fibonacci", black_box(input.as_bytes())).unwrap())
            });
        }
        g.finish();
    }
}

fn batch_proving(c: &mut Criterion) {
    let jobs: Vec<Job> = (10..20u32)
        .map(|n| Job {
            program: "fibonacci".into(),
            input: n.to_string().into_bytes(),
        })
        .collect();
    for backend in BACKENDS {
        let ex = executor(backend);
        let mut g = group(c, "batch_proving", backend);
        g.bench_function("batch_10", |b| {
            b.iter(|| ex.prove_batch(black_box(&jobs)).unwrap().proven)
        });
        g.finish();
    }
}

fn verification(c: &mut Criterion) {
    for backend in BACKENDS {
        let ex = executor(backend);
        let receipt = ex.prove("fibonacci", b"10").unwrap();
        let mut g = group(c, "verification", backend);
        g.bench_function("fib_10", |b| {
            b.iter(|| ex.verify(black_box(&receipt)).unwrap().steps)
        });
        g.finish();
    }
}

fn sha256(c: &mut Criterion) {
    for backend in BACKENDS {
        let ex = executor(backend);
        let mut g = group(c, "sha256", backend);
        for len in [32usize, 64, 128] {
            let message = vec![0x61u8; len];
            g.bench_with_input(BenchmarkId::from_parameter(len), &message, |b, m| {
                b.iter(|| ex.prove("sha256", black_box(m)).unwrap())
            });
        }
        g.finish();
    }
}

fn end_to_end(c: &mut Criterion) {
    for backend in BACKENDS {
        let mut g = group(c, "end_to_end", backend);
        g.bench_function("build_prove_verify_fib_20", |b| {
            b.iter(|| {
                let ex = executor(backend);
                let receipt = ex.prove("fibonacci", black_box(b"20")).unwrap();
                ex.verify(&receipt).unwrap().steps
            })
        });
        g.finish();
    }
}

criterion_group! {
    name = prototype;
    config = Criterion::default().warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(2));
    targets = single_fibonacci, fibonacci_scaling, batch_proving, verification, sha256, end_to_end
}
criterion_main!(prototype);
