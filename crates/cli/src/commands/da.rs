//! `l2x da`: batch data as EIP-4844 blobs: encode, commit (with proofs, versioned hashes and
//! optionally EIP-7594 cells), verify, decode.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use l2x_da::{Blob, BlobCommitment, CommitmentsFile, DaError, Proof, blobs_from_bytes};
use l2x_executor::da::Publication;
use l2x_executor::{Executor, Policy};
use serde_json::{Value, json};

use crate::{files, output};

/// The largest blob file read or written: 64 blobs (8 MiB), a generous batch.
pub const MAX_BLOB_FILE: u64 = (l2x_da::MAX_BLOBS_PER_FILE * l2x_da::BYTES_PER_BLOB) as u64;

/// The largest commitments file read: 64 blobs with their 128 cell proofs each, pretty-printed
/// JSON, with room to spare.
const MAX_COMMITMENTS_FILE: u64 = 2 << 20;

/// Arguments of `l2x da`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Encode a file into blobs (a blob file: raw 131072-byte blobs, one after another).
    Encode {
        /// The data.
        file: PathBuf,
        /// Where to write the blobs.
        #[arg(short, long, value_name = "BLOBS")]
        output: PathBuf,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Decode a blob file made by `encode` back into the data.
    Decode {
        /// The blob file.
        #[arg(long, value_name = "BLOBS")]
        blob_file: PathBuf,
        /// Where to write the data.
        #[arg(short, long, value_name = "FILE")]
        output: PathBuf,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Commit to each blob: KZG commitment, blob proof, versioned hash (and cell proofs).
    Commit {
        /// The blob file.
        #[arg(long, value_name = "BLOBS")]
        blob_file: PathBuf,
        /// Also compute the EIP-7594 cells and their 128 proofs per blob.
        #[arg(long)]
        cells: bool,
        /// Write the commitments (the JSON this prints with --json) to FILE.
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
        /// Worker threads (the default is this machine's cores; 0 also means one per core).
        #[arg(long, default_value_t = crate::args::default_threads())]
        threads: usize,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Verify blobs against a commitments file (as written by `commit -o`): exit 1 if a proof
    /// does not verify.
    Verify {
        /// The blob file.
        #[arg(long, value_name = "BLOBS")]
        blob_file: PathBuf,
        /// The commitments file.
        #[arg(long, value_name = "FILE")]
        commitments: PathBuf,
        /// Also recompute each blob's cells and check the file's cell proofs against them.
        #[arg(long)]
        cells: bool,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
}

/// Reads a blob file (at most [`MAX_BLOB_FILE`]).
pub fn read_blobs(path: &Path) -> Result<Vec<Blob>> {
    let bytes = files::read_limited(path, MAX_BLOB_FILE, "blob file")?;
    blobs_from_bytes(&bytes).with_context(|| format!("blob file {}", path.display()))
}

fn hex0x(bytes: &[u8]) -> String {
    format!("0x{}", hex::encode(bytes))
}

/// Commits to `blobs` with a progress bar on a terminal (none when `show` is false).
pub fn commit_with_progress(
    executor: &Executor,
    blobs: &[Blob],
    show: bool,
) -> Result<Publication, DaError> {
    let bar = output::progress_bar(show, blobs.len() as u64, "committing blobs");
    let published =
        executor.commit_blobs_with_progress(blobs, &|p| bar.set_position(p.done as u64));
    bar.finish_and_clear();
    published
}

fn executor(threads: usize) -> Result<Executor> {
    Ok(Executor::builder()
        .threads(threads)
        .policy(Policy::Auto)
        .build()?)
}

/// Runs `l2x da`.
pub fn run(args: &Args) -> Result<ExitCode> {
    match &args.command {
        Command::Encode { file, output, json } => encode(file, output, *json),
        Command::Decode {
            blob_file,
            output,
            json,
        } => decode(blob_file, output, *json),
        Command::Commit {
            blob_file,
            cells,
            output,
            threads,
            json,
        } => commit(blob_file, *cells, output.as_deref(), *threads, *json),
        Command::Verify {
            blob_file,
            commitments,
            cells,
            json,
        } => verify(blob_file, commitments, *cells, *json),
    }
}

fn encode(file: &Path, out: &Path, json: bool) -> Result<ExitCode> {
    files::check_output_against(out, &[file])?;
    // Exactly what fits in the largest blob file the other `da` commands read.
    let data = files::read_limited(file, l2x_da::MAX_DATA_BYTES as u64, "data file")?;
    let blobs = l2x_da::encode(&data);
    let bytes = l2x_da::blobs_to_bytes(&blobs);
    files::write_atomic(out, &bytes)?;
    if json {
        output::print_json(
            &json!({"bytes": data.len(), "blobs": blobs.len(), "blob_file": out.display().to_string()}),
        );
    } else {
        outln!(
            "{} bytes into {} blob(s): {}",
            data.len(),
            blobs.len(),
            out.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn decode(blob_file: &Path, out: &Path, json: bool) -> Result<ExitCode> {
    files::check_output_against(out, &[blob_file])?;
    let blobs = read_blobs(blob_file)?;
    let data = l2x_da::decode(&blobs)?;
    files::write_atomic(out, &data)?;
    if json {
        output::print_json(
            &json!({"bytes": data.len(), "blobs": blobs.len(), "output": out.display().to_string()}),
        );
    } else {
        outln!(
            "{} blob(s) into {} bytes: {}",
            blobs.len(),
            data.len(),
            out.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn commit(
    blob_file: &Path,
    cells: bool,
    out: Option<&Path>,
    threads: usize,
    json: bool,
) -> Result<ExitCode> {
    if let Some(path) = out {
        files::check_output_against(path, &[blob_file])?;
    }
    let blobs = read_blobs(blob_file)?;
    let executor = executor(threads)?;
    let spinner = output::spinner(!json, "loading the KZG trusted setup");
    let setup = std::time::Instant::now();
    executor.kzg();
    let setup = setup.elapsed();
    spinner.finish_and_clear();
    let published = commit_with_progress(&executor, &blobs, !json)?;
    let spinner = output::spinner(!json && cells, "computing cells and cell proofs");
    let extensions = if cells {
        Some(executor.compute_cells(&blobs)?)
    } else {
        None
    };
    spinner.finish_and_clear();
    let file = CommitmentsFile {
        entries: published
            .blobs
            .iter()
            .enumerate()
            .map(|(i, b)| l2x_da::commitments::Entry {
                blob: *b,
                cell_proofs: extensions.as_ref().map(|ext| ext[i].proofs.clone()),
            })
            .collect(),
    };
    let text = file.to_json();
    if let Some(path) = out {
        files::write_atomic(path, text.as_bytes())?;
    }
    if json {
        let mut report: Value = serde_json::from_str(&text)?;
        report["policy"] = json!(published.ran.name());
        report["reason"] = json!(published.reason);
        report["wall_ms"] = json!(output::millis(published.wall));
        report["setup_ms"] = json!(output::millis(setup));
        output::print_json(&report);
        return Ok(ExitCode::SUCCESS);
    }
    for (i, b) in published.blobs.iter().enumerate() {
        outln!("blob {i}");
        outln!("  commitment      {}", hex0x(&b.commitment.0));
        outln!("  proof           {}", hex0x(&b.proof.0));
        outln!("  versioned hash  {}", hex0x(&b.versioned_hash));
        if extensions.is_some() {
            outln!(
                "  cells           {} cells with proofs",
                l2x_da::CELLS_PER_EXT_BLOB
            );
        }
    }
    outln!(
        "{} ({}) in {}",
        published.ran.name(),
        published.reason,
        output::duration(published.wall)
    );
    Ok(ExitCode::SUCCESS)
}

/// Each blob's cell proofs, where the commitments file has them.
type CellProofs = Vec<Option<Vec<Proof>>>;

/// The commitments file: blob entries, and each blob's cell proofs when present.
fn read_commitments(path: &Path) -> Result<(Vec<BlobCommitment>, CellProofs)> {
    let bytes = files::read_limited(path, MAX_COMMITMENTS_FILE, "commitments file")?;
    let file = CommitmentsFile::from_json(&bytes).with_context(|| format!("{}", path.display()))?;
    let cells = file.entries.iter().map(|e| e.cell_proofs.clone()).collect();
    Ok((file.blob_commitments(), cells))
}

fn verify(blob_file: &Path, commitments: &Path, cells: bool, json: bool) -> Result<ExitCode> {
    let blobs = read_blobs(blob_file)?;
    let (entries, cell_proofs) = read_commitments(commitments)?;
    if entries.len() != blobs.len() {
        bail!(
            "{} blobs but {} commitments in {}",
            blobs.len(),
            entries.len(),
            commitments.display()
        );
    }
    let executor = executor(0)?;
    executor.kzg();
    let start = std::time::Instant::now();
    let mut result = executor.verify_blobs(&blobs, &entries);
    if cells && result.is_ok() {
        result = verify_cells(&executor, &blobs, &entries, &cell_proofs);
    }
    let elapsed = start.elapsed();
    match result {
        Ok(()) => {
            if json {
                output::print_json(
                    &json!({"valid": true, "blobs": blobs.len(), "cells": cells, "verify_ms": output::millis(elapsed)}),
                );
            } else {
                outln!(
                    "valid: {} blob(s){} in {}",
                    blobs.len(),
                    if cells { " and their cells" } else { "" },
                    output::duration(elapsed)
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(DaError::Rejected { index }) => {
            let error = format!("blob {index}: the KZG proof does not verify");
            Ok(output::invalid(json, &error, crate::EXIT_INVALID, &[]))
        }
        Err(other) => Err(other.into()),
    }
}

/// Recomputes each blob's cells and checks the file's cell proofs against them in one batch.
fn verify_cells(
    executor: &Executor,
    blobs: &[Blob],
    entries: &[BlobCommitment],
    proofs: &[Option<Vec<Proof>>],
) -> Result<(), DaError> {
    let extensions = executor.compute_cells(blobs)?;
    let (mut commitments, mut columns, mut cells, mut all_proofs) =
        (vec![], vec![], vec![], vec![]);
    for (i, ext) in extensions.iter().enumerate() {
        let Some(list) = &proofs[i] else {
            return Err(DaError::MissingCellProofs { blob: i });
        };
        if list.len() != l2x_da::CELLS_PER_EXT_BLOB {
            return Err(DaError::CellProofCount {
                blob: i,
                found: list.len(),
            });
        }
        for (column, cell) in ext.cells.iter().enumerate() {
            commitments.push(entries[i].commitment);
            columns.push(column as u64);
            cells.push(*cell);
            all_proofs.push(list[column]);
        }
    }
    executor
        .kzg()
        .verify_cells(&commitments, &columns, &cells, &all_proofs)
        .map_err(|e| match e {
            DaError::Rejected { index } => DaError::Rejected {
                index: index / l2x_da::CELLS_PER_EXT_BLOB,
            },
            other => other,
        })
}
