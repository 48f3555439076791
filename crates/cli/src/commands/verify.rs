//! `l2x verify`: check a receipt file.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result};
use l2x_core::{BackendId, Receipt};
use l2x_executor::Executor;
use serde_json::json;

use crate::guest::ElfArgs;
use crate::trust::{self, DevArgs};
use crate::{EXIT_INVALID, EXIT_USAGE, files, output};

/// Arguments of `l2x verify`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The receipt file.
    receipt: PathBuf,

    #[command(flatten)]
    dev: DevArgs,

    /// Verify a receipt of this RISC Zero guest: the receipt must be for its image ID.
    #[command(flatten)]
    elf: ElfArgs,

    /// Require the receipt to be for this program (as RISC Zero's `verify(IMAGE_ID)` binds the
    /// image): a valid receipt of another program exits 1.
    #[arg(long, value_name = "PROGRAM")]
    program: Option<String>,

    /// Require exactly these public values (hex), as `prove --json` prints them in
    /// `public_values_hex`.
    #[arg(long, value_name = "HEX")]
    public_values: Option<String>,

    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
}

/// Verifies the receipt: exit 0 if valid, 1 if it does not verify, 2 if it cannot be read.
pub fn run(args: &Args) -> Result<ExitCode> {
    let receipt = match read(args) {
        Ok(receipt) => receipt,
        // A verifier's JSON always answers `valid`, also when the file cannot be read.
        Err(error) => {
            let message = format!("{error:#}");
            return Ok(output::invalid(args.json, &message, EXIT_USAGE, &[]));
        }
    };
    let (builder, guest) = args.elf.apply(args.dev.apply(Executor::builder()))?;
    let executor = builder.build()?;
    let expected_values = args
        .public_values
        .as_deref()
        .map(crate::input::decode_hex)
        .transpose()
        .context("--public-values")?;
    let program = guest
        .or_else(|| args.program.clone())
        .unwrap_or_else(|| receipt.claim.program.to_string());
    let start = Instant::now();
    let verified = match &expected_values {
        Some(values) => executor.verify_claim(&receipt, &program, values),
        None => executor.verify_program(&receipt, &program),
    };
    let elapsed = start.elapsed();
    let claim = match verified {
        Ok(claim) => claim,
        Err(error) => {
            let message = format!(
                "receipt {} does not verify: {error}",
                args.receipt.display()
            );
            return Ok(output::invalid(
                args.json,
                &message,
                EXIT_INVALID,
                &[
                    ("dev", json!(receipt.is_dev())),
                    ("backend", json!(receipt.backend.name())),
                    ("program", json!(receipt.claim.program.as_str())),
                ],
            ));
        }
    };
    let out = executor.describe(claim)?;
    let security = executor.security(&receipt)?;
    if args.json {
        let mut object = json!({
            "valid": true,
            "dev": receipt.is_dev(),
            "program": claim.program.as_str(),
            "backend": receipt.backend.name(),
            "output": out.headline,
            "public_values": output::public_values_json(&out),
            "public_values_hex": hex::encode(&claim.public_values),
            "steps": claim.steps,
            "verify_ms": output::millis(elapsed),
        });
        output::extend(&mut object, trust::security_json(security.as_ref()));
        output::print_json(&object);
        return Ok(ExitCode::SUCCESS);
    }
    let verdict = match (&security, l2x_stark::Mode::of(receipt.backend)) {
        _ if receipt.backend == BackendId::Risc0 => trust::RISC0_VERDICT.to_owned(),
        (Some(s), Some(mode)) => {
            let zk = if mode.parameters().zero_knowledge {
                ", zero-knowledge"
            } else {
                ""
            };
            format!("valid STARK proof ({}{zk})", trust::security_text(s))
        }
        _ => "valid dev receipt — it proves nothing".to_owned(),
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
