//! `l2x prove`: execute and prove a program, optionally writing the receipt.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Result;
use l2x_core::BackendId;
use l2x_executor::Executor;
use serde_json::json;

use crate::guest::ElfArgs;
use crate::input::InputArgs;
use crate::{files, logging, output, trust};

/// Arguments of `l2x prove`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The program to prove (see `l2x programs`); omitted with `--elf`.
    #[arg(required_unless_present = "elf", conflicts_with = "elf")]
    program: Option<String>,

    #[command(flatten)]
    elf: ElfArgs,

    #[command(flatten)]
    input: InputArgs,

    /// The proving backend.
    #[arg(long, default_value = "trace", value_parser = crate::args::backend())]
    backend: BackendId,

    /// Write the receipt to this file (atomically: a temporary file, then a rename).
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,

    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
}

/// Proves the job, writes the receipt if asked, and reports.
pub fn run(args: &Args) -> Result<ExitCode> {
    if let Some(path) = &args.output {
        let mut inputs = args.input.paths();
        inputs.extend(args.elf.elf.as_deref());
        files::check_output_against(path, &inputs)?;
    }
    let (builder, guest) = args.elf.apply(Executor::builder().backend(args.backend))?;
    let executor = builder.build()?;
    let program = guest.or_else(|| args.program.clone()).unwrap_or_default();
    let input = args.input.bytes()?;
    let spinner = output::spinner(!args.json && !args.backend.is_dev(), "proving");
    let phases = logging::watch_phases(&spinner);
    let start = Instant::now();
    let proved = executor.prove(&program, &input);
    let elapsed = start.elapsed();
    drop(phases);
    spinner.finish_and_clear();
    let receipt = proved?;
    let encoded = receipt.to_bytes();
    if let Some(path) = &args.output {
        files::write_atomic(path, &encoded)?;
    }
    let out = executor.describe(&receipt.claim)?;
    let security = executor.security(&receipt)?;
    if args.json {
        let mut object = json!({
            "program": receipt.claim.program.as_str(),
            "backend": receipt.backend.name(),
            "dev": receipt.is_dev(),
            "output": out.headline,
            "public_values": output::public_values_json(&out),
            "public_values_hex": hex::encode(&receipt.claim.public_values),
            "steps": receipt.claim.steps,
            "prove_ms": output::millis(elapsed),
            "proof_bytes": receipt.seal.len(),
            "receipt_bytes": encoded.len(),
            "receipt": args.output.as_ref().map(|p| p.display().to_string()),
            "peak_rss_bytes": output::peak_rss_bytes(),
        });
        output::extend(&mut object, trust::security_json(security.as_ref()));
        output::print_json(&object);
        return Ok(ExitCode::SUCCESS);
    }
    outln!("{}", out.headline);
    outln!("  {:<9} {}", "program", receipt.claim.program);
    outln!(
        "  {:<9} {}",
        "backend",
        output::backend_label(receipt.backend)
    );
    output::print_public_values(&out);
    outln!("  {:<9} {}", "steps", receipt.claim.steps);
    if let Some(s) = &security {
        outln!("  {:<9} {}", "security", trust::security_text(s));
    } else if receipt.backend == BackendId::Risc0 {
        outln!("  {:<9} {}", "security", trust::RISC0_SECURITY);
    }
    outln!("  {:<9} {}", "prove", output::duration(elapsed));
    match &args.output {
        Some(path) => {
            outln!(
                "  {:<9} {} ({})",
                "receipt",
                path.display(),
                output::bytes(encoded.len())
            )
        }
        None => outln!("  {:<9} not saved (use -o FILE)", "receipt"),
    }
    Ok(ExitCode::SUCCESS)
}
