//! The executor's speed targets (issue 4), each beside its reference in the same run:
//!
//! - `batch_large`: 64 jobs of ~10 ms (Fibonacci, 3·10^7 steps), parallel against sequential;
//! - `batch_tiny`: 1000 jobs of fib(20), `Auto` against sequential (Auto must never lose);
//! - `cache`: a hit, and a miss (key, lookup, insert) beside the 10 µs job it would save;
//! - `batch_stark`: 8 STARK proofs of fib(8191) (~tens of ms each), parallel and `Auto`
//!   against sequential, and the same miss overhead beside one such proof.
//!
//! Before the groups it prints the RSS growth of 1000 trace receipts kept in memory.
#![allow(missing_docs, clippy::unwrap_used)]

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use l2x_core::BackendId;
use l2x_executor::cache::{ReceiptCache, cache_key};
use l2x_executor::{Executor, Job, Policy};

fn fib_jobs(n: u64, count: usize) -> Vec<Job> {
    (0..count)
        .map(|_| Job {
            program: "fibonacci".into(),
            input: n.to_string().into_bytes(),
        })
        .collect()
}

fn executor(policy: Policy) -> Executor {
    Executor::builder().policy(policy).cache(0).build().unwrap()
}

fn stark_executor(policy: Policy) -> Executor {
    Executor::builder()
        .backend(BackendId::Stark)
        .policy(policy)
        .cache(0)
        .build()
        .unwrap()
}

fn batch_stark(c: &mut Criterion) {
    let mut group = c.benchmark_group("batch_stark");
    group.sample_size(10);
    let jobs = fib_jobs(8191, 8);
    for policy in [Policy::Sequential, Policy::Parallel, Policy::Auto] {
        let executor = stark_executor(policy);
        group.bench_function(policy.name(), |b| {
            b.iter(|| executor.prove_batch(black_box(&jobs)).unwrap().proven)
        });
    }
    let executor = stark_executor(Policy::Sequential);
    group.bench_function("one_job", |b| {
        b.iter(|| executor.prove("fibonacci", black_box(b"8191")).unwrap())
    });
    group.finish();
}

fn batch_large(c: &mut Criterion) {
    let mut group = c.benchmark_group("batch_large");
    group.sample_size(10);
    let jobs = fib_jobs(30_000_000, 64);
    for policy in [Policy::Sequential, Policy::Parallel, Policy::Auto] {
        let executor = executor(policy);
        group.bench_function(policy.name(), |b| {
            b.iter(|| executor.prove_batch(black_box(&jobs)).unwrap().proven)
        });
    }
    group.finish();
}

fn batch_tiny(c: &mut Criterion) {
    let mut group = c.benchmark_group("batch_tiny");
    let jobs = fib_jobs(20, 1000);
    for policy in [Policy::Sequential, Policy::Auto] {
        let executor = executor(policy);
        executor.prove_batch(&jobs).unwrap();
        group.bench_function(policy.name(), |b| {
            b.iter(|| executor.prove_batch(black_box(&jobs)).unwrap().proven)
        });
    }
    group.finish();
}

fn cache(c: &mut Criterion) {
    let mut group = c.benchmark_group("cache");
    let executor = executor(Policy::Sequential);
    let cache = ReceiptCache::new(1 << 16, 256 << 20).unwrap();
    let receipt = Arc::new(executor.prove("fibonacci", b"35500").unwrap());
    let hit_key = cache_key(BackendId::Trace, "fibonacci", b"35500");
    cache.insert(hit_key, Arc::clone(&receipt));
    group.bench_function("hit", |b| {
        b.iter(|| cache.get(black_box(&hit_key)).is_some())
    });
    // A miss touches random memory three times (the lookup's bucket, the new entry, the
    // evicted entry): how much that costs depends on whether the table fits the CPU's caches.
    for entries in [1usize << 12, 1 << 16] {
        let full = ReceiptCache::new(entries, 256 << 20).unwrap();
        let mut n = 0u64;
        group.bench_function(format!("miss_key_lookup_insert_{entries}_entries"), |b| {
            b.iter(|| {
                n += 1;
                let input = n.to_le_bytes();
                let key = cache_key(BackendId::Trace, "fibonacci", &input);
                if full.get(&key).is_none() {
                    full.insert(key, Arc::clone(&receipt));
                }
            })
        });
    }
    let mut m = 0u64;
    group.bench_function("key_only", |b| {
        b.iter(|| {
            m += 1;
            cache_key(BackendId::Trace, "fibonacci", &m.to_le_bytes())
        })
    });
    group.bench_function("job_fib_35500", |b| {
        b.iter(|| executor.prove("fibonacci", black_box(b"35500")).unwrap())
    });
    group.finish();
}

fn rss_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

fn receipts_memory() {
    let executor = executor(Policy::Sequential);
    let before = rss_bytes();
    let receipts: Vec<_> = (0..1000u32)
        .map(|i| {
            executor
                .prove("fibonacci", i.to_string().as_bytes())
                .unwrap()
        })
        .collect();
    let after = rss_bytes();
    let encoded: usize = receipts.iter().map(|r| r.to_bytes().len()).sum();
    eprintln!(
        "rss growth for 1000 trace receipts kept in memory: {} KiB (encoded size {} KiB)",
        after.saturating_sub(before) / 1024,
        encoded / 1024
    );
    black_box(receipts);
}

fn benches(c: &mut Criterion) {
    receipts_memory();
    batch_large(c);
    batch_tiny(c);
    cache(c);
    batch_stark(c);
}

criterion_group! {
    name = group;
    config = Criterion::default().warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
    targets = benches
}
criterion_main!(group);
