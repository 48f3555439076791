//! `l2x load`: a bounded load generator for a running service. Concurrent clients submit jobs
//! one request each, then the command waits for every job and checks that none was lost or
//! given twice; it reports submit latency percentiles and completion throughput.

use std::collections::HashSet;
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use l2x_core::BackendId;
use serde_json::{Value, json};

use l2x_client::{JobSpec, JobState, Service};

use super::client::ServerArgs;
use crate::output;

/// Arguments of `l2x load`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Jobs to submit in all.
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    jobs: u32,

    /// Concurrent clients (each a thread with its own connection).
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u32).range(1..=1024))]
    clients: u32,

    /// The jobs' backend.
    #[arg(long, default_value = "trace", value_parser = crate::args::backend())]
    backend: BackendId,

    /// Fibonacci's n for every job (each job gets n + its index, so none hits the cache).
    #[arg(long, default_value_t = 20)]
    n: u64,

    #[command(flatten)]
    server: ServerArgs,

    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
}

/// What the clients saw.
struct Submitted {
    ids: Vec<i64>,
    latencies: Vec<Duration>,
    failures: Vec<String>,
}

fn submit_all(args: &Args, run: &str) -> Result<Submitted> {
    let next = AtomicUsize::new(0);
    let total = args.jobs as usize;
    // One client (one connection) per thread.
    let mut config = args.server.config()?;
    config.backend = Some(args.backend);
    let clients = (0..args.clients)
        .map(|_| Service::new(&config))
        .collect::<Result<Vec<_>, _>>()?;
    let results: Vec<Submitted> = std::thread::scope(|s| {
        let next = &next;
        let workers: Vec<_> = clients
            .into_iter()
            .map(|client| {
                s.spawn(move || {
                    let mut mine = Submitted {
                        ids: vec![],
                        latencies: vec![],
                        failures: vec![],
                    };
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= total {
                            return mine;
                        }
                        let job = JobSpec {
                            program: "fibonacci".into(),
                            input: (args.n + i as u64).to_string().into_bytes(),
                        };
                        let key = format!("{run}-{i}");
                        let start = Instant::now();
                        match client.submit(&[job], Some(&key)) {
                            Ok(answer) => {
                                mine.latencies.push(start.elapsed());
                                match answer.first() {
                                    Some(s) => mine.ids.push(s.id),
                                    None => mine.failures.push(format!("job {i}: no id")),
                                }
                            }
                            Err(e) => mine.failures.push(format!("job {i}: {e:#}")),
                        }
                    }
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| {
                w.join().unwrap_or_else(|_| Submitted {
                    ids: vec![],
                    latencies: vec![],
                    failures: vec!["a client thread panicked".into()],
                })
            })
            .collect()
    });
    let mut all = Submitted {
        ids: vec![],
        latencies: vec![],
        failures: vec![],
    };
    for r in results {
        all.ids.extend(r.ids);
        all.latencies.extend(r.latencies);
        all.failures.extend(r.failures);
    }
    Ok(all)
}

/// The `q` quantile (nearest rank) of sorted durations, in ms.
fn quantile_ms(sorted: &[Duration], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1].as_secs_f64() * 1e3
}

/// Runs the load, waits for every job, checks them, reports.
pub fn run(args: &Args) -> Result<ExitCode> {
    let client = args.server.service()?;
    client.health().context("the service is not healthy")?;
    let run = format!(
        "load-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos())
    );
    let start = Instant::now();
    let mut submitted = submit_all(args, &run)?;
    let submit_wall = start.elapsed();
    if let Some(first) = submitted.failures.first() {
        bail!(
            "{} of {} submits failed; the first: {first}",
            submitted.failures.len(),
            args.jobs
        );
    }
    let distinct: HashSet<i64> = submitted.ids.iter().copied().collect();
    let duplicated = submitted.ids.len() - distinct.len();
    // Wait until the queue drains (ten minutes at most), then look at every job.
    loop {
        if start.elapsed() > Duration::from_secs(600) {
            bail!("the service did not finish the jobs within ten minutes");
        }
        let health = client.health()?;
        if health["queued"] == 0 && health["running"] == 0 {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let completion_wall = start.elapsed();
    let (mut done, mut failed, mut lost) = (0usize, 0usize, 0usize);
    let mut first_lost = None;
    for &id in &distinct {
        match client.status(id).map(|s| s.state) {
            Ok(JobState::Done) => done += 1,
            Ok(JobState::Failed) => failed += 1,
            other => {
                lost += 1;
                first_lost.get_or_insert_with(|| format!("job {id}: {other:?}"));
            }
        }
    }
    submitted.latencies.sort_unstable();
    let lat = &submitted.latencies;
    let report = json!({
        "jobs": args.jobs,
        "clients": args.clients,
        "backend": args.backend.name(),
        "submit_p50_ms": quantile_ms(lat, 0.50),
        "submit_p99_ms": quantile_ms(lat, 0.99),
        "submit_max_ms": quantile_ms(lat, 1.0),
        "submits_per_second": f64::from(args.jobs) / submit_wall.as_secs_f64(),
        "completed_per_second": done as f64 / completion_wall.as_secs_f64(),
        "seconds": completion_wall.as_secs_f64(),
        "done": done,
        "failed": failed,
        "lost": lost,
        "first_lost": first_lost,
        "duplicated": duplicated,
    });
    let ok = done == args.jobs as usize && duplicated == 0 && lost == 0 && failed == 0;
    if args.json {
        output::print_json(&report);
    } else {
        print_report(&report);
    }
    if ok {
        Ok(ExitCode::SUCCESS)
    } else {
        Ok(ExitCode::from(crate::EXIT_INVALID))
    }
}

fn print_report(r: &Value) {
    outln!(
        "{} jobs from {} clients: submit p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms ({:.0} submits/s)",
        r["jobs"],
        r["clients"],
        r["submit_p50_ms"].as_f64().unwrap_or(0.0),
        r["submit_p99_ms"].as_f64().unwrap_or(0.0),
        r["submit_max_ms"].as_f64().unwrap_or(0.0),
        r["submits_per_second"].as_f64().unwrap_or(0.0),
    );
    outln!(
        "all finished in {:.2} s ({:.0} jobs/s): {} done, {} failed, {} lost, {} duplicated",
        r["seconds"].as_f64().unwrap_or(0.0),
        r["completed_per_second"].as_f64().unwrap_or(0.0),
        r["done"],
        r["failed"],
        r["lost"],
        r["duplicated"],
    );
}
