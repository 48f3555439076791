//! `l2x demo`: the end-to-end tour — prove, encode, decode and verify a set of Fibonacci,
//! SHA-256, Poseidon2 and L2-block jobs, show the times, and show that a tampered receipt is
//! rejected.

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
    /// Run only this backend (default: all three, side by side).
    #[arg(long, value_parser = crate::args::backend())]
    backend: Option<BackendId>,

    /// Print one JSON object instead of a table.
    #[arg(long)]
    json: bool,
}

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

fn fib(n: u64) -> Job {
    Job {
        label: format!("fibonacci({n})"),
        program: "fibonacci",
        input: n.to_string().into_bytes(),
    }
}

fn sha(label: &str, input: Vec<u8>) -> Job {
    Job {
        label: label.into(),
        program: "sha256",
        input,
    }
}

fn poseidon2(label: &str, input: Vec<u8>) -> Job {
    Job {
        label: label.into(),
        program: "poseidon2",
        input,
    }
}

/// A block of `transfers` random valid transfers among 256 accounts (fixed seeds).
fn block(transfers: usize) -> Job {
    let wallet = l2x_programs::transfers::fixture::Wallet::genesis(256, 1);
    Job {
        label: format!("transfers({transfers})"),
        program: "transfers",
        input: wallet
            .random_block(transfers, 2)
            .expect("256 accounts of 16 one-time keys sign the demo's blocks")
            .to_bytes(),
    }
}

fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

/// The jobs shown for a backend; STARK proofs take long enough that the largest dev-mode jobs
/// are left out there, and the hiding configuration (slower still) shows four.
fn jobs(backend: BackendId) -> Vec<Job> {
    let mut jobs = vec![fib(10), fib(50), fib(93), fib(94)];
    match backend {
        BackendId::Trace => {
            jobs.push(fib(1_000_000));
            jobs.push(sha("sha256(\"abc\")", b"abc".to_vec()));
            jobs.push(sha("sha256(64 KiB)", pattern(64 << 10)));
            jobs.push(sha("sha256(1 MiB)", pattern(1 << 20)));
            jobs.push(poseidon2("poseidon2(64 KiB)", pattern(64 << 10)));
            jobs.push(block(1024));
        }
        BackendId::StarkZk => {
            jobs.truncate(2);
            jobs.push(sha("sha256(\"abc\")", b"abc".to_vec()));
            jobs.push(sha("sha256(1 KiB)", pattern(1 << 10)));
        }
        BackendId::Risc0 => {
            jobs = vec![fib(94), fib(1000), sha("sha256(\"abc\")", b"abc".to_vec())];
        }
        BackendId::Stark => {
            jobs.push(fib(65_535));
            jobs.push(sha("sha256(\"abc\")", b"abc".to_vec()));
            jobs.push(sha("sha256(1 KiB)", pattern(1 << 10)));
            jobs.push(sha("sha256(16 KiB)", pattern(16 << 10)));
            jobs.push(poseidon2("poseidon2(64 KiB)", pattern(64 << 10)));
            jobs.push(block(256));
        }
    }
    jobs
}

/// Timed runs per job (the table shows the median): dev-mode jobs take microseconds, so they
/// are repeated; a STARK proof is timed once.
fn repeats(backend: BackendId) -> usize {
    if backend.is_dev() { 5 } else { 1 }
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort_unstable();
    samples[samples.len() / 2]
}

fn measure(executor: &Executor, job: Job) -> Result<Row> {
    let runs = repeats(executor.backend());
    let mut proves = Vec::with_capacity(runs);
    let mut verifies = Vec::with_capacity(runs);
    let mut last = None;
    for _ in 0..runs {
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

struct Section {
    backend: BackendId,
    rows: Vec<Row>,
    rejection: String,
}

fn section(backend: BackendId, json: bool) -> Result<Section> {
    // The tour shows dev mode on purpose: it opts in to verifying trace receipts, visibly.
    let executor = Executor::builder()
        .backend(backend)
        .allow_dev_receipts(backend.is_dev())
        .build()?;
    let all = jobs(backend);
    let total = all.len();
    let mut rows = Vec::with_capacity(total);
    for (i, job) in all.into_iter().enumerate() {
        let spinner = output::spinner(!json && !backend.is_dev(), "proving");
        spinner.set_message(format!("{backend}: {} ({}/{total})", job.label, i + 1));
        let row = measure(&executor, job);
        spinner.finish_and_clear();
        rows.push(row?);
    }
    let rejection = tamper_check(&executor, &rows[1].receipt)?;
    Ok(Section {
        backend,
        rows,
        rejection,
    })
}

/// Runs the tour.
pub fn run(args: &Args) -> Result<ExitCode> {
    let backends = match args.backend {
        Some(b) => vec![b],
        None => l2x_executor::built_backends().collect(),
    };
    let sections = backends
        .into_iter()
        .map(|b| section(b, args.json))
        .collect::<Result<Vec<_>>>()?;
    if args.json {
        let jobs: Vec<_> = sections
            .iter()
            .flat_map(|s| &s.rows)
            .map(row_json)
            .collect();
        let rejected: serde_json::Map<String, serde_json::Value> = sections
            .iter()
            .map(|s| (s.backend.name().to_owned(), json!(s.rejection)))
            .collect();
        output::print_json(&json!({"jobs": jobs, "tampered_receipt_rejected": rejected}));
        return Ok(ExitCode::SUCCESS);
    }
    print_table(&sections);
    Ok(ExitCode::SUCCESS)
}

fn row_json(r: &Row) -> serde_json::Value {
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
}

fn print_table(sections: &[Section]) {
    outln!("l2x demo — prove, encode, decode and verify, backend by backend");
    outln!(
        "trace is DEV MODE: its receipts bind the claim but prove nothing; this tour allows them (--allow-dev)."
    );
    for mode in [l2x_stark::Mode::Plain, l2x_stark::Mode::Hiding] {
        outln!(
            "{}: {}",
            mode.backend_id(),
            super::programs::stark_summary(mode, &l2x_executor::Registry::standard())
        );
    }
    outln!();
    outln!(
        "{:<18} {:<8} {:<4} {:>9} {:<22} {:>10} {:>10} {:>9}",
        "job",
        "backend",
        "dev",
        "steps",
        "output",
        "prove",
        "verify",
        "receipt"
    );
    for r in sections.iter().flat_map(|s| &s.rows) {
        let shown = if r.output.len() > 20 {
            format!("{}…", &r.output[..19])
        } else {
            r.output.clone()
        };
        outln!(
            "{:<18} {:<8} {:<4} {:>9} {:<22} {:>10} {:>10} {:>9}",
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
    outln!();
    outln!("times: dev mode median of 5 runs, STARK one run each; `cargo bench` gives statistics");
    for s in sections {
        outln!(
            "tampered {} fibonacci(50) receipt (last byte flipped): rejected — {}",
            s.backend,
            s.rejection
        );
    }
}
