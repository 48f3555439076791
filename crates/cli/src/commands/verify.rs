//! `l2x verify`: check a receipt file.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result};
use l2x_core::Receipt;
use l2x_executor::Executor;
use serde_json::json;

use crate::{EXIT_INVALID, EXIT_USAGE, files, output};

/// Arguments of `l2x verify`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The receipt file.
    receipt: PathBuf,

    /// Refuse dev receipts (such as `trace`), which prove nothing.
    #[arg(long)]
    require_proof: bool,

    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
}

/// Verifies the receipt: exit 0 if valid, 1 if it does not verify, 2 if it cannot be read.
pub fn run(args: &Args) -> Result<ExitCode> {
    let receipt = match read(args) {
        Ok(receipt) => receipt,
        Err(error) if args.json => {
            output::print_json(&json!({"valid": false, "error": format!("{error:#}")}));
            eprintln!("error: {error:#}");
            return Ok(ExitCode::from(EXIT_USAGE));
        }
        Err(error) => return Err(error),
    };
    let executor = Executor::builder()
        .require_real_proofs(args.require_proof)
        .build()?;
    let start = Instant::now();
    let verified = executor.verify(&receipt);
    let elapsed = start.elapsed();
    let claim = match verified {
        Ok(claim) => claim,
        Err(error) => {
            if args.json {
                output::print_json(&json!({
                    "valid": false,
                    "error": error.to_string(),
                    "dev": receipt.is_dev(),
                    "backend": receipt.backend.name(),
                    "program": receipt.claim.program.as_str(),
                }));
            }
            eprintln!(
                "error: receipt {} does not verify: {error}",
                args.receipt.display()
            );
            return Ok(ExitCode::from(EXIT_INVALID));
        }
    };
    let out = executor.describe(claim)?;
    if args.json {
        output::print_json(&json!({
            "valid": true,
            "dev": receipt.is_dev(),
            "program": claim.program.as_str(),
            "backend": receipt.backend.name(),
            "output": out.headline,
            "public_values": output::public_values_json(&out),
            "steps": claim.steps,
            "verify_ms": output::millis(elapsed),
        }));
        return Ok(ExitCode::SUCCESS);
    }
    let verdict = match l2x_stark::Mode::of(receipt.backend) {
        None => "valid dev receipt — it proves nothing".to_owned(),
        Some(mode) => {
            let security = mode.security();
            let zk = if security.zero_knowledge {
                ", zero-knowledge"
            } else {
                ""
            };
            let bits = security.ethstark_conjectured_bits;
            format!("valid STARK proof ({bits}-bit conjectured security{zk})")
        }
    };
    outln!("{}: {verdict}", args.receipt.display());
    outln!("  {:<9} {}", "program", claim.program);
    outln!(
        "  {:<9} {}",
        "backend",
        output::backend_label(receipt.backend)
    );
    outln!("  {:<9} {}", "output", out.headline);
    output::print_public_values(&out);
    outln!("  {:<9} {}", "steps", claim.steps);
    outln!("  {:<9} {}", "verify", output::duration(elapsed));
    Ok(ExitCode::SUCCESS)
}

fn read(args: &Args) -> Result<Receipt> {
    let bytes = files::read_limited(&args.receipt, files::MAX_RECEIPT_FILE, "receipt")?;
    Receipt::from_bytes(&bytes)
        .with_context(|| format!("cannot read receipt {}", args.receipt.display()))
}
