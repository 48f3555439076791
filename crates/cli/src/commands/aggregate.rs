//! `l2x aggregate` and `l2x verify-aggregate`: many receipts under one Merkle root.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result};
use l2x_core::Receipt;
use l2x_executor::da::{BatchEntry, batch_from_data};
use l2x_executor::{AggregateFailure, AggregateView, Executor};
use serde_json::json;

use crate::trust::DevArgs;
use crate::{files, output};

/// Arguments of `l2x aggregate`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The receipt files, in leaf order.
    #[arg(required = true)]
    receipts: Vec<PathBuf>,

    /// Write the aggregate here (atomically).
    #[arg(short, long, value_name = "FILE")]
    output: PathBuf,

    #[command(flatten)]
    dev: DevArgs,

    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
}

/// Arguments of `l2x verify-aggregate`.
#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// The aggregate file.
    aggregate: PathBuf,

    #[command(flatten)]
    dev: DevArgs,

    /// The blob file the batch was published in (`batch --publish`): recompute each blob's KZG
    /// commitment, check its versioned hash against the aggregate's linked data, check that the
    /// blobs decode into exactly the aggregate's receipts, and check the data each program
    /// published beside its receipt (a block's transfers) against the receipt's public values.
    #[arg(long, value_name = "BLOBS")]
    blob_file: Option<PathBuf>,

    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
}

/// Checks that `blobs` are the published data of `aggregate`; says what differs, or how many
/// receipts had program data (a block's transfers) published beside them.
fn check_published(
    executor: &Executor,
    aggregate: &AggregateView<'_>,
    blob_file: &Path,
    json: bool,
) -> Result<Result<usize, String>> {
    let blobs = super::da::read_blobs(blob_file)?;
    let hashes: Vec<[u8; 32]> = super::da::commit_with_progress(executor, &blobs, !json)?
        .blobs
        .iter()
        .map(|b| b.versioned_hash)
        .collect();
    if hashes != aggregate.data {
        return Ok(Err(format!(
            "the {} blob(s) of {} are not the {} blob(s) linked into the aggregate",
            blobs.len(),
            blob_file.display(),
            aggregate.data.len()
        )));
    }
    let published = l2x_da::decode(&blobs)
        .map_err(|e| e.to_string())
        .and_then(|data| batch_from_data(&data));
    let same = |entries: &[BatchEntry]| {
        entries.len() == aggregate.len()
            && entries
                .iter()
                .zip(aggregate.encoded_receipts())
                .all(|(e, bytes)| e.receipt.to_bytes() == bytes)
    };
    match published {
        Ok(entries) if same(&entries) => Ok(executor
            .check_published(&entries)
            .map(|()| entries.iter().filter(|e| !e.data.is_empty()).count())
            .map_err(|e| format!("the published data does not match its receipt: {e}"))),
        Ok(_) => Ok(Err(
            "the blobs hold other receipts than the aggregate".into()
        )),
        Err(e) => Ok(Err(format!("the blobs are not batch data: {e}"))),
    }
}

fn read_receipt(path: &Path) -> Result<Receipt> {
    let bytes = files::read_limited(path, files::MAX_RECEIPT_FILE, "receipt")?;
    Receipt::from_bytes(&bytes).with_context(|| format!("cannot read receipt {}", path.display()))
}

fn report_failure(json: bool, error: &AggregateFailure) -> ExitCode {
    output::invalid(json, &error.to_string(), crate::EXIT_INVALID, &[])
}

/// Verifies the receipts, aggregates them and writes the aggregate.
pub fn run(args: &Args) -> Result<ExitCode> {
    let inputs: Vec<&Path> = args.receipts.iter().map(PathBuf::as_path).collect();
    files::check_output_against(&args.output, &inputs)?;
    let receipts = args
        .receipts
        .iter()
        .map(|path| read_receipt(path))
        .collect::<Result<Vec<_>>>()?;
    let executor = args.dev.apply(Executor::builder()).build()?;
    let aggregate = match executor.aggregate(receipts) {
        Ok(aggregate) => aggregate,
        Err(error) => return Ok(report_failure(args.json, &error)),
    };
    let bytes = aggregate.to_bytes();
    files::write_atomic(&args.output, &bytes)?;
    let dev = aggregate.receipts.iter().filter(|r| r.is_dev()).count();
    if args.json {
        output::print_json(&json!({
            "root": hex::encode(aggregate.root),
            "receipts": aggregate.receipts.len(),
            "dev_receipts": dev,
            "aggregate": args.output.display().to_string(),
            "aggregate_bytes": bytes.len(),
        }));
    } else {
        outln!("{}", hex::encode(aggregate.root));
        outln!(
            "  {:<9} {} ({} dev: they prove nothing)",
            "receipts",
            aggregate.receipts.len(),
            dev
        );
        outln!(
            "  {:<9} {} ({})",
            "written",
            args.output.display(),
            output::bytes(bytes.len())
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Checks an aggregate's root and every receipt in it.
pub fn verify(args: &VerifyArgs) -> Result<ExitCode> {
    let bytes = files::read_limited(&args.aggregate, files::MAX_AGGREGATE_FILE, "aggregate")?;
    let aggregate = AggregateView::parse(&bytes)
        .with_context(|| format!("cannot read aggregate {}", args.aggregate.display()))?;
    let executor = args.dev.apply(Executor::builder()).build()?;
    let start = Instant::now();
    let dev = match executor.verify_aggregate_view(&aggregate) {
        Ok(dev) => dev,
        Err(error) => return Ok(report_failure(args.json, &error)),
    };
    let program_data = match &args.blob_file {
        Some(blob_file) => match check_published(&executor, &aggregate, blob_file, args.json)? {
            Ok(count) => Some(count),
            Err(error) => return Ok(output::invalid(args.json, &error, crate::EXIT_INVALID, &[])),
        },
        None => None,
    };
    let elapsed = start.elapsed();
    if args.json {
        output::print_json(&json!({
            "valid": true,
            "root": hex::encode(aggregate.root),
            "receipts": aggregate.len(),
            "dev_receipts": dev,
            "data_blobs": aggregate.data.len(),
            "data_checked": args.blob_file.is_some(),
            "program_data_checked": program_data,
            "verify_ms": output::millis(elapsed),
        }));
    } else {
        outln!("{}: valid aggregate", args.aggregate.display());
        outln!("  {:<9} {}", "root", hex::encode(aggregate.root));
        outln!(
            "  {:<9} {} ({} dev: they prove nothing)",
            "receipts",
            aggregate.len(),
            dev
        );
        if !aggregate.data.is_empty() {
            let checked = match program_data {
                Some(0) => "checked against the blob file".to_string(),
                Some(n) => format!(
                    "checked against the blob file; the data of {n} program(s) against their receipts"
                ),
                None => "not checked: give --blob-file".to_string(),
            };
            outln!(
                "  {:<9} {} blob(s) linked ({checked})",
                "data",
                aggregate.data.len()
            );
        }
        outln!("  {:<9} {}", "verify", output::duration(elapsed));
    }
    Ok(ExitCode::SUCCESS)
}
