//! Replays the earlier prototype's performance scenarios (its report of batching, parallelism
//! and caching) on this executor, and prints our numbers beside the prototype's published ones.
//!
//! `cargo run --release -p l2x-executor --example performance_demo [-- --backend stark]`
//!
//! Times are medians of repeated runs in this process; the prototype's figures are quoted from
//! its report (Windows, 12 cores), so the ratios compare designs, not machines.
#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use l2x_core::BackendId;
use l2x_executor::{Executor, Job, Policy};

fn median(runs: usize, mut f: impl FnMut()) -> Duration {
    let mut samples: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .collect();
    samples.sort_unstable();
    samples[runs / 2]
}

fn jobs(inputs: impl IntoIterator<Item = u64>) -> Vec<Job> {
    inputs
        .into_iter()
        .map(|n| Job {
            program: "fibonacci".into(),
            input: n.to_string().into_bytes(),
        })
        .collect()
}

fn executor(backend: BackendId, policy: Policy, cache: usize) -> Executor {
    Executor::builder()
        .backend(backend)
        .allow_dev_receipts(backend.is_dev())
        .policy(policy)
        .cache(cache)
        .build()
        .unwrap()
}

fn row(scenario: &str, ours: Duration, prototype_us: f64) {
    let ours_us = ours.as_secs_f64() * 1e6;
    println!(
        "| {scenario} | {ours_us:.1} µs | {prototype_us:.1} µs | {:.1}x faster |",
        prototype_us / ours_us
    );
}

fn main() {
    let backend = match std::env::args().skip_while(|a| a != "--backend").nth(1) {
        Some(name) => name.parse::<BackendId>().unwrap(),
        None => BackendId::Trace,
    };
    let runs = if backend.is_dev() { 201 } else { 3 };
    println!("performance_demo on the {backend} backend (median of {runs} runs each)\n");
    println!("| scenario | ours | prototype | ours vs prototype |");
    println!("|---|---|---|---|");

    // Test 1: 20 proofs one by one against one batch.
    let twenty = jobs([20; 20]);
    let single = executor(backend, Policy::Sequential, 0);
    let individual = median(runs, || {
        for job in &twenty {
            single.prove(&job.program, &job.input).unwrap();
        }
    });
    let batch = median(runs, || drop(single.prove_batch(&twenty).unwrap()));
    row("20 × fib(20), one by one", individual, 121.8);
    row("20 × fib(20), one batch", batch, 80.7);

    // Test 2: sequential against parallel (the prototype built a thread pool per call).
    let parallel = executor(backend, Policy::Parallel, 0);
    let auto = executor(backend, Policy::Auto, 0);
    let par = median(runs, || drop(parallel.prove_batch(&twenty).unwrap()));
    let chosen = auto.prove_batch(&twenty).unwrap();
    let aut = median(runs, || drop(auto.prove_batch(&twenty).unwrap()));
    row("20 × fib(20), sequential batch", batch, 89.4);
    row("20 × fib(20), parallel batch", par, 755.7);
    row(
        &format!("20 × fib(20), Auto (chose {})", chosen.ran.name()),
        aut,
        89.4,
    );

    // Test 3: a cache miss against a hit, and the 100-request / 10-unique workload.
    let cached = executor(backend, Policy::Sequential, 4096);
    let mut fresh = 0u64;
    let miss = median(runs, || {
        fresh += 1;
        let job = Job {
            program: "sha256".into(),
            input: fresh.to_le_bytes().to_vec(),
        };
        drop(cached.prove_batch(&[job]).unwrap());
    });
    let one = [Job {
        program: "sha256".into(),
        input: b"abc".to_vec(),
    }];
    cached.prove_batch(&one).unwrap();
    let hit = median(runs, || drop(cached.prove_batch(&one).unwrap()));
    row(
        "cache miss (a new 8-byte sha256 job, batch of one)",
        miss,
        10.8,
    );
    row("cache hit (batch of one)", hit, 1.0);
    let requests = executor(backend, Policy::Sequential, 64);
    for i in 0..100u64 {
        requests.prove_batch(&jobs([10 + i % 10])).unwrap();
    }
    let stats = requests.cache_stats().unwrap();
    let rate = stats.hits as f64 / (stats.hits + stats.misses) as f64;
    println!(
        "| 100 requests, 10 unique: hit rate | {:.0}% | 90% | same workload |",
        rate * 100.0
    );

    // Test 4: 30 proofs, two thirds repeated.
    let thirty = jobs((0..30).map(|i| 10 + i % 10));
    let baseline = median(runs, || {
        for job in &thirty {
            single.prove(&job.program, &job.input).unwrap();
        }
    });
    let seq = median(runs, || drop(single.prove_batch(&thirty).unwrap()));
    let par30 = median(runs, || drop(parallel.prove_batch(&thirty).unwrap()));
    let with_cache = executor(backend, Policy::Auto, 64);
    let cache30 = median(runs, || drop(with_cache.prove_batch(&thirty).unwrap()));
    row("30 proofs (10 unique), one by one", baseline, 112.9);
    row("30 proofs, batch sequential", seq, 82.8);
    row("30 proofs, batch parallel", par30, 289.3);
    row("30 proofs, batch with cache (Auto)", cache30, 117.0);
}
