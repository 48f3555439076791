//! `l2x run`: execute a program natively, without proving.

use std::process::ExitCode;
use std::time::Instant;

use anyhow::Result;
use l2x_executor::Executor;
use serde_json::json;

use crate::input::InputArgs;
use crate::output;

/// Arguments of `l2x run`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The program to run (see `l2x programs`).
    program: String,

    #[command(flatten)]
    input: InputArgs,

    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
}

/// Executes the program and prints its output.
pub fn run(args: &Args) -> Result<ExitCode> {
    let executor = Executor::new()?;
    let program = executor.program(&args.program)?;
    let input = args.input.bytes()?;
    let start = Instant::now();
    let execution = program.execute(&input)?;
    let elapsed = start.elapsed();
    let out = program.describe(&execution.public_values)?;
    if args.json {
        output::print_json(&json!({
            "program": program.id().as_str(),
            "output": out.headline,
            "public_values": output::public_values_json(&out),
            "steps": execution.steps,
            "run_ms": output::millis(elapsed),
        }));
    } else {
        outln!("{}", out.headline);
        output::print_public_values(&out);
        outln!("  {:<9} {}", "steps", execution.steps);
        outln!("  {:<9} {}", "time", output::duration(elapsed));
    }
    Ok(ExitCode::SUCCESS)
}
