//! Batch scheduling on real jobs of the dev backend (and STARK where it matters).

use super::calibrate::CALIBRATION_JOBS;
use super::*;
use l2x_core::BackendId;

fn jobs(program: &str, inputs: &[&str]) -> Vec<Job> {
    inputs
        .iter()
        .map(|input| Job {
            program: program.into(),
            input: input.as_bytes().to_vec(),
        })
        .collect()
}

fn fib_jobs(ns: &[u64]) -> Vec<Job> {
    let inputs: Vec<String> = ns.iter().map(u64::to_string).collect();
    jobs(
        "fibonacci",
        &inputs.iter().map(String::as_str).collect::<Vec<_>>(),
    )
}

fn build_on(backend: BackendId, policy: Policy, threads: usize, cache: usize) -> Executor {
    Executor::builder()
        .backend(backend)
        .allow_dev_receipts(backend.is_dev())
        .policy(policy)
        .threads(threads)
        .cache(cache)
        .build()
        .unwrap()
}

fn build(policy: Policy, threads: usize, cache: usize) -> Executor {
    build_on(BackendId::Trace, policy, threads, cache)
}

/// A batch for each backend, sized so the STARK one stays quick: duplicates included.
fn batches() -> [(BackendId, Vec<Job>); 2] {
    [
        (BackendId::Trace, fib_jobs(&[5, 90, 1, 1000, 42, 7, 5, 300])),
        (BackendId::Stark, jobs("sha256", &["", "abc", "", "hello"])),
    ]
}

/// Trace receipts are byte-for-byte deterministic. STARK seals are not across thread counts:
/// Plonky3 grinds its proof-of-work witnesses with a parallel `find_any`, so any valid
/// witness may win. For them the claims must match in order and every seal must verify.
#[test]
fn batches_equal_one_by_one_in_order_under_every_policy_and_thread_count() {
    for (backend, jobs) in batches() {
        let single = build_on(backend, Policy::Sequential, 1, 0);
        let one_by_one: Vec<Receipt> = jobs
            .iter()
            .map(|j| single.prove(&j.program, &j.input).unwrap())
            .collect();
        for policy in [Policy::Auto, Policy::Sequential, Policy::Parallel] {
            for threads in [1, 2, 3] {
                for cache in [0, 16] {
                    let executor = build_on(backend, policy, threads, cache);
                    let report = executor.prove_batch(&jobs).unwrap();
                    let got: Vec<Receipt> = report.receipts.iter().map(|r| (**r).clone()).collect();
                    let case = format!("{backend}, {policy:?}, {threads} threads, cache {cache}");
                    let claims =
                        |r: &[Receipt]| r.iter().map(|r| r.claim.clone()).collect::<Vec<_>>();
                    assert_eq!(claims(&got), claims(&one_by_one), "{case}");
                    match backend {
                        BackendId::Trace => assert!(got == one_by_one, "{case}"),
                        _ => assert_eq!(executor.verify_batch(&got), Ok(()), "{case}"),
                    }
                }
            }
        }
    }
}

#[test]
fn duplicates_are_proven_once_with_the_cache_on_and_hits_come_next_time() {
    for (backend, jobs) in batches() {
        let unique = jobs
            .iter()
            .map(|j| &j.input)
            .collect::<std::collections::HashSet<_>>()
            .len();
        let executor = build_on(backend, Policy::Parallel, 2, 64);
        let report = executor.prove_batch(&jobs).unwrap();
        assert_eq!(report.proven, unique, "{backend}");
        let first = jobs.iter().position(|j| j.input == jobs[0].input).unwrap();
        let again_at = jobs.iter().rposition(|j| j.input == jobs[0].input).unwrap();
        assert_ne!(first, again_at, "each batch holds a duplicate");
        assert!(Arc::ptr_eq(
            &report.receipts[first],
            &report.receipts[again_at]
        ));
        let again = executor.prove_batch(&jobs).unwrap();
        assert_eq!(again.proven, 0, "{backend}");
        assert_eq!(again.cache.unwrap().hits, unique as u64, "{backend}");
        let no_cache = build_on(backend, Policy::Parallel, 2, 0)
            .prove_batch(&jobs)
            .unwrap();
        assert_eq!(no_cache.proven, jobs.len(), "{backend}");
    }
}

#[test]
fn progress_counts_every_job_proven_from_any_thread() {
    let executor = build(Policy::Parallel, 2, 8);
    let seen = std::sync::Mutex::new(vec![]);
    let jobs = fib_jobs(&[100, 200, 300, 100, 400]);
    let report = executor
        .prove_batch_with_progress(&jobs, &|p| seen.lock().unwrap().push((p.done, p.total)))
        .unwrap();
    let mut seen = seen.into_inner().unwrap();
    seen.sort_unstable();
    assert_eq!(seen, vec![(1, 4), (2, 4), (3, 4), (4, 4)]);
    assert_eq!(report.proven, 4);
}

#[test]
fn programs_are_told_apart_by_id_even_when_zero_sized() {
    let registry = l2x_programs::Registry::standard();
    let (fib, sha) = (
        registry.get("fibonacci").unwrap(),
        registry.get("sha256").unwrap(),
    );
    assert!(same_program(&*fib, &*fib));
    assert!(!same_program(&*fib, &*sha));
}

#[test]
fn a_forced_policy_never_calibrates_but_still_measures() {
    for policy in [Policy::Sequential, Policy::Parallel] {
        let executor = build(policy, 2, 0);
        let report = executor.prove_batch(&fib_jobs(&[30; 12])).unwrap();
        assert_eq!(report.reason, "forced by policy", "{policy:?}");
        assert_eq!(report.ran, policy);
        let fib = executor
            .costs()
            .ns_per_step(BackendId::Trace, &l2x_programs::fibonacci::ID);
        assert!(fib.is_some(), "{policy:?}: the run itself is measured");
    }
}

/// How many jobs the report says ran first to calibrate (the number its reason starts with).
fn calibrated(report: &BatchReport) -> usize {
    let first = report.reason.split_whitespace().next();
    first.and_then(|n| n.parse().ok()).unwrap()
}

#[test]
fn calibration_runs_side_by_side_on_the_pool_and_each_job_once() {
    let executor = build(Policy::Auto, 2, 0);
    let jobs = fib_jobs(&[25; 100]);
    let progress = std::sync::atomic::AtomicUsize::new(0);
    let report = executor
        .prove_batch_with_progress(&jobs, &|_| {
            progress.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        })
        .unwrap();
    assert!(
        report
            .reason
            .contains("side by side on the pool, to calibrate"),
        "{}",
        report.reason
    );
    assert_eq!(progress.into_inner(), 100, "every job proven exactly once");
    let calibrated = calibrated(&report);
    assert!(
        (2..=2 * CALIBRATION_JOBS).contains(&calibrated),
        "both workers calibrate, at most {CALIBRATION_JOBS} jobs each: {}",
        report.reason
    );
    let one_by_one = build(Policy::Sequential, 1, 0);
    for (job, receipt) in jobs.iter().zip(&report.receipts) {
        assert_eq!(
            **receipt,
            one_by_one.prove(&job.program, &job.input).unwrap()
        );
    }
}

#[test]
fn a_large_batch_calibrates_on_the_calling_thread_alone() {
    let executor = build(Policy::Auto, 2, 0);
    let report = executor.prove_batch(&fib_jobs(&[20; 600])).unwrap();
    let calibrated = calibrated(&report);
    assert!(
        report
            .reason
            .contains("ran first, on this thread, to calibrate"),
        "{}",
        report.reason
    );
    assert!(
        (1..=CALIBRATION_JOBS).contains(&calibrated),
        "{}",
        report.reason
    );
    assert_eq!(report.receipts.len(), 600);
}

#[test]
fn a_mixed_batch_calibrates_and_estimates_each_program_on_its_own() {
    let executor = build(Policy::Auto, 2, 0);
    let mut jobs = fib_jobs(&[20; 40]);
    for (i, job) in jobs.iter_mut().enumerate().filter(|(i, _)| i % 2 == 1) {
        *job = Job {
            program: "sha256".into(),
            input: i.to_string().into_bytes(),
        };
    }
    let report = executor.prove_batch(&jobs).unwrap();
    assert_eq!(report.receipts.len(), 40);
    for (job, receipt) in jobs.iter().zip(&report.receipts) {
        assert_eq!(
            receipt.claim.program.as_str(),
            job.program,
            "in input order"
        );
    }
    let costs = executor.costs();
    let fib = costs.ns_per_step(BackendId::Trace, &l2x_programs::fibonacci::ID);
    let sha = costs.ns_per_step(BackendId::Trace, &l2x_programs::sha256::ID);
    assert!(fib.is_some() && sha.is_some(), "{fib:?} {sha:?}");
    assert!(report.reason.contains("calibrate"), "{}", report.reason);
    assert!(
        !report.reason.contains("18446744073709551615"),
        "{}",
        report.reason
    );
}

#[test]
fn a_bad_job_is_named_and_nothing_is_proven() {
    let executor = build(Policy::Auto, 2, 8);
    let mut jobs = fib_jobs(&[1, 2, 3]);
    jobs[1].input = b"two".to_vec();
    let err = executor.prove_batch(&jobs).unwrap_err();
    assert_eq!(err.index, 1);
    assert!(err.to_string().contains("job 1"), "{err}");
    assert_eq!(executor.cache_stats().unwrap().entries, 0);
    jobs[1].program = "nope".into();
    assert!(matches!(
        executor.prove_batch(&jobs).unwrap_err().error,
        JobError::UnknownProgram(_)
    ));
}

#[test]
fn auto_keeps_tiny_jobs_sequential_and_spreads_large_ones() {
    let executor = build(Policy::Auto, 2, 0);
    let tiny = executor.prove_batch(&fib_jobs(&[20; 100])).unwrap();
    assert_eq!(tiny.ran, Policy::Sequential, "{}", tiny.reason);
    let large = executor.prove_batch(&fib_jobs(&[2_000_000; 8])).unwrap();
    assert_eq!(large.ran, Policy::Parallel, "{}", large.reason);
    assert!(
        executor
            .costs()
            .ns_per_step(BackendId::Trace, &l2x_programs::fibonacci::ID)
            .is_some()
    );
}

#[test]
fn many_tiny_jobs_are_tried_both_ways_and_every_receipt_lands_in_place() {
    // Which way the trial goes depends on the machine; that it runs, that its reason says
    // what it measured, and that every job gets its own receipt do not.
    let executor = build(Policy::Auto, 2, 0);
    let ns: Vec<u64> = (0..20_000).map(|i| 20 + i % 50).collect();
    let jobs = fib_jobs(&ns);
    let report = executor.prove_batch(&jobs).unwrap();
    if report.reason.contains("measured on") {
        assert!(report.reason.contains("in order,"), "{}", report.reason);
        assert!(report.reason.contains("on the pool ("), "{}", report.reason);
    } else {
        // Decided before any trial: the estimate alone kept the batch in order.
        assert_eq!(report.ran, Policy::Sequential, "{}", report.reason);
        assert!(
            report.reason.contains("is below") || report.reason.contains("too little"),
            "{}",
            report.reason
        );
    }
    assert_eq!(report.receipts.len(), jobs.len());
    for (job, receipt) in jobs.iter().zip(&report.receipts) {
        assert_eq!(receipt.claim.program.as_str(), "fibonacci");
        let n: u64 = std::str::from_utf8(&job.input).unwrap().parse().unwrap();
        assert_eq!(receipt.claim.steps, n + 1, "job fib({n})");
    }
    let large = executor.prove_batch(&fib_jobs(&[2_000_000; 8])).unwrap();
    assert!(!large.reason.contains("measured on"), "{}", large.reason);
}

#[test]
fn a_small_memory_budget_lowers_concurrency_and_refuses_what_cannot_fit() {
    let jobs: Vec<Job> = ["a", "b", "c"]
        .iter()
        .map(|m| Job {
            program: "sha256".into(),
            input: m.as_bytes().to_vec(),
        })
        .collect();
    let stark = |budget: u64| {
        Executor::builder()
            .backend(BackendId::Stark)
            .threads(2)
            .policy(Policy::Parallel)
            .memory_budget(budget)
            .build()
            .unwrap()
    };
    let one_job = l2x_stark::Mode::Plain
        .estimate_peak_memory(&l2x_programs::Sha256, b"a")
        .unwrap();
    let roomy = stark(4 * one_job).prove_batch(&jobs).unwrap();
    assert_eq!((roomy.ran, roomy.concurrency), (Policy::Parallel, 2));
    let tight = stark(one_job + one_job / 2).prove_batch(&jobs).unwrap();
    assert_eq!(
        (tight.ran, tight.concurrency),
        (Policy::Sequential, 1),
        "{}",
        tight.reason
    );
    assert!(tight.reason.contains("memory budget"), "{}", tight.reason);
    let err = stark(one_job - 1).prove_batch(&jobs).unwrap_err();
    assert_eq!(err.index, 0);
    assert!(matches!(err.error, JobError::MemoryBudget { .. }), "{err}");
    assert!(err.to_string().contains("memory budget"), "{err}");
}

#[test]
fn stark_batches_prove_and_verify_in_parallel() {
    let executor = Executor::builder()
        .backend(BackendId::Stark)
        .threads(2)
        .build()
        .unwrap();
    let jobs: Vec<Job> = ["", "abc", "hello"]
        .iter()
        .map(|m| Job {
            program: "sha256".into(),
            input: m.as_bytes().to_vec(),
        })
        .collect();
    let report = executor.prove_batch(&jobs).unwrap();
    let receipts: Vec<Receipt> = report.receipts.iter().map(|r| (**r).clone()).collect();
    for (job, receipt) in jobs.iter().zip(&receipts) {
        let trace = Executor::new()
            .unwrap()
            .prove(&job.program, &job.input)
            .unwrap();
        assert_eq!(receipt.claim, trace.claim);
    }
    assert_eq!(executor.verify_batch(&receipts), Ok(()));
    let mut bad = receipts.clone();
    bad[2].seal[100] ^= 1;
    assert_eq!(executor.verify_batch(&bad).unwrap_err().0, 2);
}
