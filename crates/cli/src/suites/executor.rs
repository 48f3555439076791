//! Suites of the executor: aggregation, batches, the worker pool and the cache.

use std::hint::black_box;
use std::sync::{Arc, mpsc};
use std::time::Instant;

use anyhow::Result;
use l2x_core::{BackendId, Receipt};
use l2x_executor::cache::{ReceiptCache, cache_key};
use l2x_executor::{Aggregate, Executor, Job, Policy};
use l2x_lab::{Case, Metric, Outcome, Samples, Spec, time};

use super::{PROTOTYPE, Work, executor, fail, keep, paired};

fn fib_jobs(ns: impl IntoIterator<Item = u64>) -> Vec<Job> {
    ns.into_iter()
        .map(|n| Job {
            program: "fibonacci".into(),
            input: n.to_string().into_bytes(),
        })
        .collect()
}

pub(super) fn trace_receipts(count: u64) -> Result<Vec<Receipt>, String> {
    let ex = executor(BackendId::Trace, Policy::Sequential).map_err(fail)?;
    (0..count)
        .map(|n| {
            ex.prove("fibonacci", n.to_string().as_bytes())
                .map_err(fail)
        })
        .collect()
}

/// Building and verifying aggregates, and one inclusion proof.
pub fn aggregate(quick: bool) -> Result<Vec<Case<'static>>> {
    let sizes: &[u64] = if quick { &[100] } else { &[3, 100, 1000] };
    let mut cases = vec![];
    for &count in sizes {
        let mut spec = Spec::new(
            "aggregate",
            "build",
            Some(count),
            format!("Merkle root over {count} receipts"),
        )
        .throughput("receipts", count as f64);
        if count == 3 {
            spec = spec.against_published("prototype aggregation of 3 (\"~5 µs\")", 5e3, PROTOTYPE);
        }
        cases.push(Case::new(spec, move |c| {
            let receipts = trace_receipts(count)?;
            Ok(Outcome::timed(time(c, || {
                Aggregate::new(black_box(receipts.clone()))
            })))
        }));
    }
    let count = sizes[sizes.len() - 1];
    let verify = Spec::new(
        "aggregate",
        "verify",
        Some(count),
        format!("verify an aggregate of {count} trace receipts (root and each receipt)"),
    )
    .throughput("receipts", count as f64);
    cases.push(Case::new(verify, move |c| {
        let ex = executor(BackendId::Trace, Policy::Sequential).map_err(fail)?;
        let aggregate = ex.aggregate(trace_receipts(count)?).map_err(fail)?;
        Ok(Outcome::timed(time(c, || {
            ex.verify_aggregate(black_box(&aggregate)).is_ok()
        })))
    }));
    let inclusion = Spec::new(
        "aggregate",
        "inclusion-proof",
        Some(count),
        format!("make and check the inclusion proof of one receipt among {count}"),
    );
    cases.push(Case::new(inclusion, move |c| {
        let aggregate = Aggregate::new(trace_receipts(count)?).map_err(fail)?;
        let index = (count / 2) as usize;
        Ok(Outcome::timed(time(c, || {
            let proof = aggregate
                .inclusion_proof(black_box(index))
                .expect("index in range");
            proof
                .verify(&aggregate.receipts[index], &aggregate.root)
                .is_ok()
        })))
    }));
    Ok(cases)
}

/// Batches: the prototype's 20 × fib(20) one by one against one batch, 1000 tiny jobs under Auto
/// against sequential, and 64 large jobs in parallel against sequential.
pub fn batch(quick: bool) -> Result<Vec<Case<'static>>> {
    let mut cases = vec![];
    let one_by_one = Spec::new(
        "batch",
        "one-by-one",
        Some(20),
        "20 × fib(20) proven one call at a time (reference)",
    )
    .throughput("proofs", 20.0);
    let batched = Spec::new(
        "batch",
        "batched",
        Some(20),
        "20 × fib(20) as one batch (Auto); prototype: 1.51x over one by one",
    )
    .throughput("proofs", 20.0)
    .against("batch/one-by-one/20");
    let jobs = fib_jobs(std::iter::repeat_n(20, 20));
    cases.extend(paired(one_by_one, batched, 1, move || {
        let (one, many) = (
            executor(BackendId::Trace, Policy::Auto).map_err(fail)?,
            executor(BackendId::Trace, Policy::Auto).map_err(fail)?,
        );
        let copy = jobs.clone();
        Ok((
            Box::new(move || {
                let proven = copy
                    .iter()
                    .filter(|j| one.prove(&j.program, black_box(&j.input)).is_ok())
                    .count();
                keep(proven);
            }) as Work,
            Box::new(move || {
                keep(many.prove_batch(black_box(&jobs)).map(|r| r.proven));
            }),
        ))
    }));
    cases.extend(policy_pair(
        "tiny",
        1000,
        20,
        Policy::Auto,
        "1000 × fib(20)",
    ));
    let large = if quick { 3_000_000 } else { 30_000_000 };
    cases.extend(policy_pair(
        "large",
        64,
        large,
        Policy::Parallel,
        "64 × fib(3·10^7), ~10 ms each",
    ));
    Ok(cases)
}

/// A batch under `policy` against the same batch run sequentially.
fn policy_pair(name: &str, count: usize, n: u64, policy: Policy, what: &str) -> Vec<Case<'static>> {
    let jobs = fib_jobs(std::iter::repeat_n(n, count));
    let reference = Spec::new(
        "batch",
        &format!("{name}-sequential"),
        Some(count as u64),
        format!("{what}, sequential (reference)"),
    )
    .throughput("proofs", count as f64);
    let spec = Spec::new(
        "batch",
        &format!("{name}-{}", policy.name()),
        Some(count as u64),
        format!("{what}, {}", policy.name()),
    )
    .throughput("proofs", count as f64)
    .against(reference.id.clone());
    paired(reference, spec, 1, move || {
        let (sequential, ours) = (
            executor(BackendId::Trace, Policy::Sequential).map_err(fail)?,
            executor(BackendId::Trace, policy).map_err(fail)?,
        );
        let copy = jobs.clone();
        Ok((
            Box::new(move || {
                keep(sequential.prove_batch(black_box(&copy)).map(|r| r.proven));
            }) as Work,
            Box::new(move || {
                keep(ours.prove_batch(black_box(&jobs)).map(|r| r.proven));
            }),
        ))
    })
    .into()
}

/// The seeds' scheduler KPIs on the executor's pool: how long `spawn` takes, how long a task
/// waits before a worker starts it, and how evenly a batch of equal jobs spreads over workers.
pub fn parallel(quick: bool) -> Result<Vec<Case<'static>>> {
    let tasks = if quick { 200 } else { 2000 };
    let spawn = Spec::new(
        "parallel",
        "spawn",
        None,
        "time to hand one task to the pool (rayon spawn)",
    );
    let queue = Spec::new(
        "parallel",
        "queue-to-start",
        None,
        "from spawn to the task starting on a worker",
    );
    let imbalance = Spec::new(
        "parallel",
        "imbalance",
        Some(64),
        "64 equal jobs on the pool: busiest worker over the mean",
    );
    Ok(vec![
        Case::new(spawn, move |_| {
            let ex = Executor::new().map_err(fail)?;
            let (tx, rx) = mpsc::channel();
            let mut ns = Vec::with_capacity(tasks);
            for _ in 0..tasks {
                let tx = tx.clone();
                let start = Instant::now();
                ex.pool().spawn(move || {
                    let _ = tx.send(());
                });
                ns.push(start.elapsed().as_nanos() as f64);
                rx.recv().map_err(fail)?;
            }
            Ok(Outcome::timed(Samples::per_call(ns)))
        }),
        Case::new(queue, move |_| {
            let ex = Executor::new().map_err(fail)?;
            let (tx, rx) = mpsc::channel();
            let mut ns = Vec::with_capacity(tasks);
            for _ in 0..tasks {
                let tx = tx.clone();
                let queued = Instant::now();
                ex.pool().spawn(move || {
                    let _ = tx.send(queued.elapsed());
                });
                ns.push(rx.recv().map_err(fail)?.as_nanos() as f64);
            }
            Ok(Outcome::timed(Samples::per_call(ns)))
        }),
        Case::new(imbalance, |_| {
            let ex = Executor::new().map_err(fail)?;
            let workers = ex.threads();
            let busy: Vec<std::sync::Mutex<f64>> =
                (0..workers).map(|_| std::sync::Mutex::new(0.0)).collect();
            let start = Instant::now();
            ex.pool().scope(|scope| {
                for _ in 0..64 {
                    let (ex, busy) = (&ex, &busy);
                    scope.spawn(move |_| {
                        let t = Instant::now();
                        let _ = ex.prove("fibonacci", b"3000000");
                        let worker = rayon::current_thread_index().unwrap_or(0) % workers;
                        if let Ok(mut b) = busy[worker].lock() {
                            *b += t.elapsed().as_nanos() as f64;
                        }
                    });
                }
            });
            let wall = start.elapsed().as_nanos() as f64;
            let busy: Vec<f64> = busy
                .into_iter()
                .map(|b| b.into_inner().unwrap_or(0.0))
                .collect();
            let mean = busy.iter().sum::<f64>() / workers as f64;
            let max = busy.iter().copied().fold(0.0, f64::max);
            Ok(Outcome::default()
                .with(Metric::new(
                    "imbalance_pct",
                    (max / mean - 1.0) * 100.0,
                    "%",
                ))
                .with(Metric::new("wall_ns", wall, "ns")))
        }),
    ])
}

/// The prototype's cache workload: 100 requests over 10 distinct jobs, with and without the cache.
pub fn cache(_quick: bool) -> Result<Vec<Case<'static>>> {
    let jobs = fib_jobs((0..100).map(|i| 10_000 + (i % 10) * 1000));
    let copy = jobs.clone();
    let without = Spec::new(
        "cache",
        "without",
        Some(100),
        "100 requests, 10 distinct fib jobs of ~3 µs, no cache (reference)",
    )
    .throughput("requests", 100.0);
    let with = Spec::new(
        "cache",
        "with",
        Some(100),
        "the same with the cache (warm); prototype: 0.96x at 67% hits",
    )
    .throughput("requests", 100.0)
    .against("cache/without/100");
    let job = Spec::new(
        "cache",
        "job-10us",
        None,
        "the ~10 µs job a cache entry saves: trace prove fib(35500) (reference)",
    );
    let hit = Spec::new("cache", "hit", None, "a lookup that finds its receipt");
    let miss = Spec::new(
        "cache",
        "miss",
        Some(65536),
        "key, failed lookup and insert into a full 65,536-entry cache",
    )
    .against("cache/job-10us");
    Ok(vec![
        Case::new(job, |c| {
            let ex = executor(BackendId::Trace, Policy::Sequential).map_err(fail)?;
            Ok(Outcome::timed(time(c, || {
                ex.prove("fibonacci", black_box(b"35500"))
            })))
        }),
        Case::new(hit, |c| {
            let cache = ReceiptCache::new(1 << 16, 256 << 20).ok_or("cache bounds")?;
            let key = cache_key(BackendId::Trace, "fibonacci", b"35500");
            cache.insert(key, Arc::new(trace_receipts(1)?.remove(0)));
            Ok(Outcome::timed(time(c, || {
                cache.get(black_box(&key)).is_some()
            })))
        }),
        Case::new(miss, |c| {
            let cache = ReceiptCache::new(1 << 16, 256 << 20).ok_or("cache bounds")?;
            let receipt = Arc::new(trace_receipts(1)?.remove(0));
            // Fill it first, so that every measured insert also evicts.
            for n in 0..1u64 << 16 {
                let key = cache_key(BackendId::Trace, "fibonacci", &(u64::MAX - n).to_le_bytes());
                cache.insert(key, Arc::clone(&receipt));
            }
            let mut n = 0u64;
            Ok(Outcome::timed(time(c, || {
                n += 1;
                let key = cache_key(BackendId::Trace, "fibonacci", &n.to_le_bytes());
                if cache.get(&key).is_none() {
                    cache.insert(key, Arc::clone(&receipt));
                }
            })))
        }),
        Case::new(without, move |c| {
            let ex = executor(BackendId::Trace, Policy::Sequential).map_err(fail)?;
            Ok(Outcome::timed(time(c, || {
                copy.iter()
                    .filter(|j| ex.prove(&j.program, &j.input).is_ok())
                    .count()
            })))
        }),
        Case::new(with, move |c| {
            let ex = Executor::builder()
                .policy(Policy::Sequential)
                .cache(64)
                .build()
                .map_err(fail)?;
            let prove = |job: &Job| ex.prove_batch(std::slice::from_ref(job)).map(|r| r.proven);
            let samples = time(c, || jobs.iter().filter(|j| prove(j).is_ok()).count());
            let stats = ex.cache_stats().unwrap_or_default();
            let first = Executor::builder()
                .policy(Policy::Sequential)
                .cache(64)
                .build()
                .map_err(fail)?;
            for job in &jobs {
                first.prove_batch(std::slice::from_ref(job)).map_err(fail)?;
            }
            let cold = first.cache_stats().unwrap_or_default();
            Ok(Outcome::timed(samples)
                .with(Metric::new(
                    "hit_rate",
                    cold.hits as f64 / (cold.hits + cold.misses).max(1) as f64 * 100.0,
                    "%",
                ))
                .with(Metric::new(
                    "warm_hit_rate",
                    stats.hits as f64 / (stats.hits + stats.misses).max(1) as f64 * 100.0,
                    "%",
                )))
        }),
    ])
}
