//! `l2x demo`: the end-to-end tour — prove, encode, decode and verify a set of Fibonacci and
//! SHA-256 jobs, show the times, and show that a tampered receipt is rejected.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use l2x_core::{BackendId, Receipt};
use l2x_executor::Executor;
use serde_json::json;

use crate::output;

/// Arguments of `l2x demo`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The proving backend.
    #[arg(long, default_value = "trace")]
    backend: BackendId,

    /// Print one JSON object instead of a table.
    #[arg(long)]
    json: bool,
}

/// Timed runs per job; the table shows the median.
const REPEATS: usize = 5;

struct Job {
    label: String,
    program: &'static str,
    input: Vec<u8>,
}

struct Row {
    job: Job,
    receipt: Receipt,
    output: String,
    encoded_len: usize,
    prove: Duration,
    verify: Duration,
}

fn jobs() -> Vec<Job> {
    let fib = |n: u64| Job {
        label: format!("fibonacci({n})"),
        program: "fibonacci",
        input: n.to_string().into_bytes(),
    };
    let sha = |label: &str, input: Vec<u8>| Job {
        label: label.into(),
        program: "sha256",
        input,
    };
    let pattern = |len: usize| (0..len).map(|i| (i % 251) as u8).collect::<Vec<u8>>();
    vec![
        fib(10),
        fib(50),
        fib(93),
        fib(94),
        fib(1_000_000),
        sha("sha256(\"abc\")", b"abc".to_vec()),
        sha("sha256(64 KiB)", pattern(64 << 10)),
        sha("sha256(1 MiB)", pattern(1 << 20)),
    ]
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort_unstable();
    samples[samples.len() / 2]
}

fn measure(executor: &Executor, job: Job) -> Result<Row> {
    let mut proves = Vec::with_capacity(REPEATS);
    let mut verifies = Vec::with_capacity(REPEATS);
    let mut last = None;
    for _ in 0..REPEATS {
        let start = Instant::now();
        let receipt = executor.prove(job.program, &job.input)?;
        proves.push(start.elapsed());
        let decoded = Receipt::from_bytes(&receipt.to_bytes())?;
        let start = Instant::now();
        executor.verify(&decoded)?;
        verifies.push(start.elapsed());
        last = Some(decoded);
    }
    let Some(receipt) = last else {
        bail!("no run of {} completed", job.label)
    };
    let output = executor.describe(&receipt.claim)?.headline;
    let encoded_len = receipt.to_bytes().len();
    Ok(Row {
        job,
        receipt,
        output,
        encoded_len,
        prove: median(proves),
        verify: median(verifies),
    })
}

/// Flips one byte of a receipt's seal and returns the verifier's reason for rejecting it.
fn tamper_check(executor: &Executor, receipt: &Receipt) -> Result<String> {
    let mut bytes = receipt.to_bytes();
    let last = bytes.len() - 1;
    bytes[last] ^= 0x01;
    let rejection = match Receipt::from_bytes(&bytes) {
        Err(e) => e.to_string(),
        Ok(tampered) => match executor.verify(&tampered) {
            Err(e) => e.to_string(),
            Ok(_) => bail!("a tampered receipt verified: this is a bug, please report it"),
        },
    };
    Ok(rejection)
}

/// Runs the tour.
pub fn run(args: &Args) -> Result<ExitCode> {
    let executor = Executor::builder().backend(args.backend).build();
    let rows = jobs()
        .into_iter()
        .map(|job| measure(&executor, job))
        .collect::<Result<Vec<_>>>()?;
    let rejection = tamper_check(&executor, &rows[1].receipt)?;
    if args.json {
        let jobs: Vec<_> = rows
            .iter()
            .map(|r| {
                json!({
                    "job": r.job.label,
                    "program": r.job.program,
                    "backend": r.receipt.backend.name(),
                    "dev": r.receipt.is_dev(),
                    "steps": r.receipt.claim.steps,
                    "output": r.output,
                    "prove_ms": output::millis(r.prove),
                    "verify_ms": output::millis(r.verify),
                    "receipt_bytes": r.encoded_len,
                })
            })
            .collect();
        output::print_json(&json!({"jobs": jobs, "tampered_receipt_rejected": rejection}));
        return Ok(ExitCode::SUCCESS);
    }
    print_table(&executor, &rows, &rejection);
    Ok(ExitCode::SUCCESS)
}

fn print_table(executor: &Executor, rows: &[Row], rejection: &str) {
    println!(
        "l2x demo — prove, encode, decode and verify on the {} backend",
        executor.backend()
    );
    if executor.backend().is_dev() {
        println!(
            "DEV MODE: {} receipts bind the claim but prove nothing.",
            executor.backend()
        );
    }
    println!();
    println!(
        "{:<18} {:<7} {:<4} {:>9} {:<22} {:>10} {:>10} {:>8}",
        "job", "backend", "dev", "steps", "output", "prove", "verify", "receipt"
    );
    for r in rows {
        let shown = if r.output.len() > 20 {
            format!("{}…", &r.output[..19])
        } else {
            r.output.clone()
        };
        println!(
            "{:<18} {:<7} {:<4} {:>9} {:<22} {:>10} {:>10} {:>8}",
            r.job.label,
            r.receipt.backend.name(),
            if r.receipt.is_dev() { "yes" } else { "no" },
            r.receipt.claim.steps,
            shown,
            output::duration(r.prove),
            output::duration(r.verify),
            output::bytes(r.encoded_len),
        );
    }
    println!();
    println!("times: median of {REPEATS} runs each; `cargo bench` gives statistics");
    println!("tampered fibonacci(50) receipt (one seal byte flipped): rejected — {rejection}");
}
