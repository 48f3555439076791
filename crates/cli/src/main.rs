//! `l2x`: prove, verify and demo l2-executor programs from the command line.
//!
//! A thin shell over the library: argument parsing, human and `--json` output, exit codes
//! (0 success, 1 a receipt that does not verify, 2 usage or input error, 3 a performance
//! regression or missed target).

/// `println!` for the command output: when stdout is closed early (`l2x … | head`), the process
/// ends quietly instead of panicking on the broken pipe.
macro_rules! outln {
    () => {
        $crate::output::write_line(format_args!(""))
    };
    ($($arg:tt)*) => {
        $crate::output::write_line(format_args!($($arg)*))
    };
}

/// `print!` counterpart of [`outln!`].
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::output::write(format_args!($($arg)*))
    };
}

mod args;
mod commands;
mod files;
mod guest;
mod input;
mod logging;
mod output;
mod store;
mod suites;
mod trust;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Exit code for a receipt or aggregate that does not verify.
const EXIT_INVALID: u8 = 1;
/// Exit code for usage and input errors.
const EXIT_USAGE: u8 = 2;
/// Exit code for a performance regression or a missed target (`l2x bench`).
const EXIT_PERF: u8 = 3;

/// l2x — a zk proving executor for rollups.
///
/// The `trace` backend is dev mode: its receipts bind the claim but prove nothing.
#[derive(Debug, Parser)]
#[command(name = "l2x", version, about, long_about = None, after_long_help = LOGGING_HELP)]
struct Cli {
    /// More log output on stderr (-v, -vv, -vvv; see `l2x --help`).
    #[arg(short, long, action = clap::ArgAction::Count, global = true, display_order = 1000)]
    verbose: u8,

    #[command(subcommand)]
    command: Command,
}

/// The logging paragraph, once, at the end of `l2x --help`.
const LOGGING_HELP: &str = "\
Logging:
  -v prints info logs and the time of every span on stderr: ours (prove, witness, preprocess,
  encode) and Plonky3's prover phases (quotient, FRI commit phase, query phase). -vv adds debug
  logs and finer spans, -vvv trace; both slow proving down. RUST_LOG (an EnvFilter, such as
  RUST_LOG=l2x_stark=info,p3_fri=debug) overrides -v. Colour only when stderr is a terminal and
  NO_COLOR is unset.

Exit codes: 0 success, 1 a receipt or aggregate that does not verify, 2 a usage or input error,
3 a performance regression or a missed target (bench). With --json every command prints one JSON
object on stdout, errors included: {\"error\": \"...\", \"exit_code\": 2}.";

#[derive(Debug, Subcommand)]
enum Command {
    /// List the programs and backends.
    #[command(after_long_help = "Examples:\n  l2x programs\n  l2x programs --json")]
    Programs(commands::programs::Args),
    /// Execute a program without proving.
    #[command(after_long_help = "Examples:\n  l2x run fibonacci --input 94\n  \
        l2x run sha256 --input-hex 616263 --json\n  l2x run sha256 --input-file message.bin")]
    Run(commands::run::Args),
    /// Execute and prove a program, optionally writing the receipt.
    #[command(
        after_long_help = "Examples:\n  l2x prove sha256 --input abc --backend stark -o abc.stark\n  \
        l2x prove fibonacci --input 1000 --backend stark-zk --json\n  \
        l2x prove fibonacci --input 50 -o fib.receipt   # trace: dev mode, proves nothing"
    )]
    Prove(commands::prove::Args),
    /// Verify a receipt file.
    #[command(after_long_help = "Examples:\n  l2x verify abc.stark\n  \
        l2x verify abc.stark --program sha256 --json\n  \
        l2x verify fib.receipt --allow-dev          # dev receipts are refused by default")]
    Verify(commands::verify::Args),
    /// Prove a file of jobs (JSON lines) on the worker pool, with the cache and cost model.
    #[command(
        after_long_help = "Examples:\n  l2x batch jobs.jsonl --backend stark -o receipts/\n  \
        l2x batch jobs.jsonl --policy parallel --threads 2 --json\n  \
        l2x batch jobs.jsonl --backend stark --aggregate batch.l2xa --publish batch.blobs\n\n\
        A jobs file has one JSON object per line:\n  \
        {\"program\": \"fibonacci\", \"input\": \"50\"}\n  \
        {\"program\": \"sha256\", \"input_hex\": \"616263\"}"
    )]
    Batch(commands::batch::Args),
    /// Verify receipts and put them under one Merkle root.
    #[command(
        after_long_help = "Examples:\n  l2x aggregate a.stark b.stark -o ab.l2xa\n  \
        l2x aggregate receipts/*.receipt -o all.l2xa --allow-dev --json"
    )]
    Aggregate(commands::aggregate::Args),
    /// Verify an aggregate: its root and every receipt in it.
    #[command(after_long_help = "Examples:\n  l2x verify-aggregate ab.l2xa\n  \
        l2x verify-aggregate batch.l2xa --blob-file batch.blobs --json")]
    VerifyAggregate(commands::aggregate::VerifyArgs),
    /// Batch data as EIP-4844 blobs: encode, commit (KZG), verify, decode.
    #[command(
        after_long_help = "Examples:\n  l2x da encode data.bin -o data.blobs\n  \
        l2x da commit --blob-file data.blobs -o data.commitments\n  \
        l2x da verify --blob-file data.blobs --commitments data.commitments\n  \
        l2x da decode --blob-file data.blobs -o data.out"
    )]
    Da(commands::da::Args),
    /// Run the performance lab's suites: reports, baselines, regressions, targets.
    #[command(
        after_long_help = "Examples:\n  l2x bench --list\n  l2x bench --quick\n  \
        l2x bench prove verify --save-baseline main\n  \
        l2x bench prove --baseline main --targets perf-targets.toml"
    )]
    Bench(commands::bench::Args),
    /// Serve the prover API: jobs in a durable store, proven by workers in this process.
    #[command(
        after_long_help = "Examples:\n  l2x serve                                  # embedded store in ./l2x-data\n  \
        l2x serve --listen 0.0.0.0:8080 --backend stark --workers 2\n  \
        l2x serve --store postgres://user@db/l2x --workers 0  # `l2x worker`s prove\n\n\
        API: POST /v1/jobs, GET /v1/jobs/{id}, GET /v1/jobs/{id}/receipt, POST /v1/aggregates,\n\
        GET /healthz, GET /metrics, GET /v1/openapi.json. Ctrl-C or SIGTERM stops taking jobs and\n\
        lets the jobs in hand finish; a kill leaves them to be proven again after a restart."
    )]
    Serve(commands::serve::ServeArgs),
    /// Prove jobs of a service's PostgreSQL store, on this machine.
    #[command(
        after_long_help = "Examples:\n  l2x worker --store postgres://user@db/l2x\n  \
        l2x worker --store postgres://user@db/l2x --threads 16 --workers 4 --lease 60\n\n\
        Jobs are claimed under a lease renewed by heartbeats; the jobs of a worker that dies are\n\
        claimed by another once the lease runs out, and a late result of a lost lease is discarded."
    )]
    Worker(commands::serve::WorkerArgs),
    /// Manage the service's API keys: create (its secret shown once), list, revoke.
    #[command(
        after_long_help = "Examples:\n  l2x keys create --name rollup-a --max-queued 100 --per-minute 600\n  \
        l2x keys create --name prometheus --role scrape\n  l2x keys list --json\n  \
        l2x keys revoke rollup-a\n\n\
        The keys live in the service's store (--store, L2X_STORE or --store-file; ./l2x-data by\n\
        default) and may be managed while it serves. Once a store has a key, every /v1 request\n\
        needs one: Authorization: Bearer <secret>."
    )]
    Keys(commands::keys::Args),
    /// Submit a job to a running service.
    #[command(
        after_long_help = "Examples:\n  l2x submit fibonacci --input 1000 --backend stark\n  \
        l2x submit sha256 --input abc --wait --json\n  \
        l2x submit fibonacci --input 50 --key block-17   # a retry returns the same job\n\n\
        The service is --server, or L2X_SERVER, or http://127.0.0.1:8080."
    )]
    Submit(commands::client::SubmitArgs),
    /// Show a job's state, progress and timings.
    #[command(after_long_help = "Examples:\n  l2x status 1\n  l2x status 1 --wait --json")]
    Status(commands::client::StatusArgs),
    /// Download a done job's receipt.
    #[command(after_long_help = "Examples:\n  l2x fetch 1 -o job1.receipt\n  \
        l2x fetch 1 -o job1.receipt --wait && l2x verify job1.receipt")]
    Fetch(commands::client::FetchArgs),
    /// Load a running service: concurrent clients submit jobs; reports latency and throughput,
    /// and checks that no job was lost or duplicated.
    #[command(
        after_long_help = "Examples:\n  l2x load --jobs 10000 --clients 32\n  \
        l2x load --jobs 200 --clients 8 --backend stark --n 1000 --json"
    )]
    Load(commands::load::Args),
    /// L2 blocks for the `transfers` program: genesis states and wallets, signed random
    /// blocks, applying a block.
    #[command(
        after_long_help = "Examples:\n  l2x rollup genesis --accounts 100 --seed 1 -o state0\n  \
        l2x rollup block --state state0 --wallet state0.wallet --transfers 64 --seed 2 -o block1\n  \
        l2x prove transfers --input-file block1 --backend stark -o block1.stark\n  \
        l2x rollup apply --state state0 --block block1 -o state1"
    )]
    Rollup(commands::rollup::Args),
    /// The end-to-end tour: prove and verify Fibonacci and SHA-256 jobs, with times.
    #[command(after_long_help = "Examples:\n  l2x demo\n  l2x demo --backend stark --json")]
    Demo(commands::demo::Args),
}

fn main() -> ExitCode {
    let json = wants_json(std::env::args_os());
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if json && e.use_stderr() => {
            return output::failure(true, &clap_message(&e), EXIT_USAGE, &[]);
        }
        Err(e) => e.exit(),
    };
    logging::init(cli.verbose);
    let result = match cli.command {
        Command::Programs(args) => commands::programs::run(&args),
        Command::Run(args) => commands::run::run(&args),
        Command::Prove(args) => commands::prove::run(&args),
        Command::Verify(args) => commands::verify::run(&args),
        Command::Batch(args) => commands::batch::run(&args),
        Command::Aggregate(args) => commands::aggregate::run(&args),
        Command::VerifyAggregate(args) => commands::aggregate::verify(&args),
        Command::Da(args) => commands::da::run(&args),
        Command::Bench(args) => commands::bench::run(&args),
        Command::Serve(args) => commands::serve::serve(&args),
        Command::Worker(args) => commands::serve::worker(&args),
        Command::Keys(args) => commands::keys::run(&args),
        Command::Submit(args) => commands::client::submit(&args),
        Command::Status(args) => commands::client::status(&args),
        Command::Fetch(args) => commands::client::fetch(&args),
        Command::Load(args) => commands::load::run(&args),
        Command::Rollup(args) => commands::rollup::run(&args),
        Command::Demo(args) => commands::demo::run(&args),
    };
    match result {
        Ok(code) => code,
        Err(error) => output::failure(json, &format!("{error:#}"), EXIT_USAGE, &[]),
    }
}

/// Whether the command line asks for JSON (`--json` before any `--`), decided before parsing
/// so that a usage error is reported as JSON too.
fn wants_json(args: impl IntoIterator<Item = std::ffi::OsString>) -> bool {
    args.into_iter()
        .skip(1)
        .take_while(|a| a != "--")
        .any(|a| a == "--json")
}

/// A clap error's message on one line (its first paragraph, without the `error: ` prefix, the
/// usage and the tip).
fn clap_message(error: &clap::Error) -> String {
    let text = error.render().to_string();
    let paragraph: Vec<&str> = text
        .lines()
        .take_while(|l| !l.trim().is_empty())
        .map(str::trim)
        .collect();
    let joined = paragraph.join(" ");
    joined.strip_prefix("error: ").unwrap_or(&joined).to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<std::ffi::OsString> {
        list.iter().map(Into::into).collect()
    }

    #[test]
    fn json_is_asked_for_only_before_a_double_dash() {
        assert!(wants_json(args(&["l2x", "prove", "x", "--json"])));
        assert!(!wants_json(args(&["l2x", "prove", "x"])));
        assert!(!wants_json(args(&["l2x", "--", "--json"])));
        assert!(!wants_json(args(&["--json"])), "argv[0] is the program");
    }
}
