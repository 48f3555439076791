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

mod commands;
mod files;
mod input;
mod output;
mod suites;
mod trust;

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tracing_subscriber::fmt::format::FmtSpan;

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
#[command(name = "l2x", version, about, long_about = None)]
struct Cli {
    /// More log output on stderr: -v info with the time of each span (Plonky3's prover phases
    /// among them), -vv debug, -vvv trace (finer spans, which slow proving down).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// List the programs and backends.
    Programs(commands::programs::Args),
    /// Execute a program without proving.
    Run(commands::run::Args),
    /// Execute and prove a program, optionally writing the receipt.
    Prove(commands::prove::Args),
    /// Verify a receipt file.
    Verify(commands::verify::Args),
    /// Prove a file of jobs (JSON lines) on the worker pool, with the cache and cost model.
    Batch(commands::batch::Args),
    /// Verify receipts and put them under one Merkle root.
    Aggregate(commands::aggregate::Args),
    /// Verify an aggregate: its root and every receipt in it.
    VerifyAggregate(commands::aggregate::VerifyArgs),
    /// Batch data as EIP-4844 blobs: encode, commit (KZG), verify, decode.
    Da(commands::da::Args),
    /// Run the performance lab's suites: reports, baselines, regressions, targets.
    Bench(commands::bench::Args),
    /// The end-to-end tour: prove and verify Fibonacci and SHA-256 jobs, with times.
    Demo(commands::demo::Args),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    init_logging(cli.verbose);
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
        Command::Demo(args) => commands::demo::run(&args),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(EXIT_USAGE)
        }
    }
}

fn init_logging(verbose: u8) {
    let level = match verbose {
        0 => tracing::Level::WARN,
        1 => tracing::Level::INFO,
        2 => tracing::Level::DEBUG,
        _ => tracing::Level::TRACE,
    };
    let spans = if verbose >= 1 {
        FmtSpan::CLOSE
    } else {
        FmtSpan::NONE
    };
    tracing_subscriber::fmt()
        .with_max_level(level)
        .with_span_events(spans)
        .with_writer(std::io::stderr)
        .init();
}
