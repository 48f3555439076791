//! `l2x batch`: prove a file of jobs on the executor's pool, optionally aggregating them.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use l2x_core::BackendId;
use l2x_executor::da::{BatchEntry, Publication, batch_data};
use l2x_executor::{Aggregate, Executor, Job, Policy};
use serde::Deserialize;
use serde_json::json;

use crate::input::decode_hex;
use crate::{files, output};

/// Arguments of `l2x batch`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The jobs: one JSON object per line, `{"program": "...", "input": "..."}`,
    /// `{"program": "...", "input_hex": "..."}` or `{"program": "...", "input_file": "PATH"}`
    /// (relative to the jobs file's directory; all inputs together at most 64 MiB).
    jobs: PathBuf,

    /// The proving backend.
    #[arg(long, default_value = "trace", value_parser = crate::args::backend())]
    backend: BackendId,

    /// auto (parallel only where the cost model says it wins), sequential or parallel.
    #[arg(long, default_value = "auto")]
    policy: Policy,

    /// Worker threads (the default is this machine's cores; 0 also means one per core).
    #[arg(long, default_value_t = crate::args::default_threads())]
    threads: usize,

    /// Keep up to N receipts in the cache (0: off); duplicate jobs are then proven once.
    #[arg(long, default_value_t = l2x_executor::DEFAULT_CACHE_ENTRIES)]
    cache: usize,

    /// The most memory jobs running at once may take: bytes, or with a K, M or G suffix
    /// (default: half of the available memory).
    #[arg(long, value_name = "SIZE", value_parser = crate::args::parse_size)]
    memory_budget: Option<u64>,

    /// Write each receipt to DIR/job-NNNN.receipt (NNNN: the job's line number).
    #[arg(short, long, value_name = "DIR")]
    output: Option<PathBuf>,

    /// Aggregate the receipts under one Merkle root and write it to FILE.
    #[arg(long, value_name = "FILE")]
    aggregate: Option<PathBuf>,

    /// Publish the batch data (every receipt's envelope and the data its program publishes, such
    /// as a block's transfers, length-prefixed) as EIP-4844 blobs
    /// written to BLOBS, commit to them with KZG on the pool, and link their versioned hashes
    /// into the aggregate's root (needs --aggregate).
    #[arg(long, value_name = "BLOBS", requires = "aggregate")]
    publish: Option<PathBuf>,

    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Line {
    program: String,
    /// `None` when absent, `Some(None)` when `null` (refused: give exactly one of the two).
    #[serde(default, deserialize_with = "present")]
    input: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    input_hex: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    input_file: Option<Option<String>>,
}

/// Tells a key set to `null` apart from a missing key.
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

/// Reads the jobs file, naming the line of the first bad job; returns each job's line number
/// beside the jobs.
fn read_jobs(path: &Path) -> Result<(Vec<usize>, Vec<Job>)> {
    let bytes = files::read_limited(path, files::MAX_INPUT_FILE, "jobs file")?;
    let text = std::str::from_utf8(&bytes)
        .with_context(|| format!("jobs file {} is not UTF-8", path.display()))?;
    let dir = path.parent().unwrap_or(Path::new("."));
    // Input files share the bound one jobs file has, so a jobs file naming a large input many
    // times cannot take unbounded memory.
    let mut budget = files::MAX_INPUT_FILE;
    let mut jobs = vec![];
    for (i, raw) in text.lines().enumerate() {
        if raw.trim().is_empty() {
            continue;
        }
        let at = || format!("{}:{}", path.display(), i + 1);
        let line: Line =
            serde_json::from_str(raw).with_context(|| format!("{}: not a job", at()))?;
        let input = match (line.input, line.input_hex, line.input_file) {
            (Some(Some(text)), None, None) => text.into_bytes(),
            (None, Some(Some(hex)), None) => {
                decode_hex(&hex).with_context(|| format!("{}: bad input_hex", at()))?
            }
            (None, None, Some(Some(file))) => {
                let bytes = files::read_limited(&dir.join(&file), budget, "input file")
                    .with_context(|| {
                        format!("{}: input_file (all inputs together: at most 64 MiB)", at())
                    })?;
                budget -= bytes.len() as u64;
                bytes
            }
            _ => bail!(
                "{}: give exactly one of \"input\", \"input_hex\" and \"input_file\", as a \
                 string (not null)",
                at()
            ),
        };
        jobs.push((
            i + 1,
            Job {
                program: line.program,
                input,
            },
        ));
    }
    if jobs.is_empty() {
        bail!("jobs file {} has no jobs", path.display());
    }
    Ok(jobs.into_iter().unzip())
}

/// Proves the batch and reports.
pub fn run(args: &Args) -> Result<ExitCode> {
    if let Some(dir) = &args.output {
        files::check_output_dir(dir)?;
    }
    for path in args.aggregate.iter().chain(&args.publish) {
        files::check_output_against(path, &[&args.jobs])?;
    }
    let (lines, jobs) = read_jobs(&args.jobs)?;
    // Again, now that the input files the jobs name are read (no output may be one of them).
    for path in args.aggregate.iter().chain(&args.publish) {
        files::check_output(path)?;
    }
    let line_of = |index: usize| lines.get(index).copied().unwrap_or(index + 1);
    // The batch verifies only receipts it has just proven itself (when aggregating), so a dev
    // backend's own receipts are accepted; they are labelled dev everywhere they show.
    let mut builder = Executor::builder()
        .backend(args.backend)
        .allow_dev_receipts(args.backend.is_dev())
        .policy(args.policy)
        .threads(args.threads)
        .cache(args.cache);
    if let Some(bytes) = args.memory_budget {
        builder = builder.memory_budget(bytes);
    }
    let executor = builder.build()?;
    let bar = output::progress_bar(!args.json, jobs.len() as u64, "proving jobs");
    let proved = executor.prove_batch_with_progress(&jobs, &|p| {
        bar.set_length(p.total as u64);
        bar.set_position(p.done as u64);
    });
    bar.finish_and_clear();
    let report = proved.map_err(|e| {
        anyhow::anyhow!("{}:{}: {}", args.jobs.display(), line_of(e.index), e.error)
    })?;
    // Every output is staged, then all are published together: a failure leaves none.
    let mut outputs = files::Outputs::default();
    if let Some(dir) = &args.output {
        for (index, receipt) in report.receipts.iter().enumerate() {
            let path = dir.join(format!("job-{:04}.receipt", line_of(index)));
            outputs.stage(&path, &receipt.to_bytes())?;
        }
    }
    let receipts: Vec<_> = report.receipts.iter().map(|r| (**r).clone()).collect();
    let published = match &args.publish {
        Some(path) => {
            let entries = receipts
                .iter()
                .zip(&jobs)
                .map(|(receipt, job)| executor.batch_entry(receipt.clone(), &job.input))
                .collect::<Result<Vec<_>, _>>()?;
            Some(publish(&executor, &entries, path, &mut outputs, args.json)?)
        }
        None => None,
    };
    let root = match &args.aggregate {
        Some(path) => {
            let data = published
                .as_ref()
                .map(|p| p.blobs.iter().map(|b| b.versioned_hash).collect())
                .unwrap_or_default();
            let aggregate = Aggregate::with_data(receipts, data)?;
            outputs.stage(path, &aggregate.to_bytes())?;
            Some(hex::encode(aggregate.root))
        }
        None => None,
    };
    outputs.commit()?;
    let publish_json = published.as_ref().map(|p| {
        json!({
            "blobs": p.blobs.len(),
            "versioned_hashes": p.blobs.iter().map(|b| format!("0x{}", hex::encode(b.versioned_hash))).collect::<Vec<_>>(),
            "policy": p.ran.name(),
            "wall_ms": output::millis(p.wall),
        })
    });
    let cache = report.cache.unwrap_or_default();
    if args.json {
        output::print_json(&json!({
            "jobs": jobs.len(),
            "proven": report.proven,
            "backend": args.backend.name(),
            "dev": args.backend.is_dev(),
            "wall_ms": output::millis(report.wall),
            "policy": report.ran.name(),
            "reason": report.reason,
            "threads": report.threads,
            "concurrency": report.concurrency,
            "memory_budget_mib": executor.memory_budget() >> 20,
            "cache": {"hits": cache.hits, "misses": cache.misses, "evictions": cache.evictions},
            "aggregate": root,
            "publish": publish_json,
        }));
        return Ok(ExitCode::SUCCESS);
    }
    outln!(
        "{} jobs on the {} backend in {}",
        jobs.len(),
        args.backend,
        output::duration(report.wall)
    );
    if args.backend.is_dev() {
        outln!("  DEV MODE: these receipts prove nothing");
    }
    outln!(
        "  {:<9} {} ({})",
        "policy",
        report.ran.name(),
        report.reason
    );
    outln!("  {:<9} {}", "threads", report.threads);
    outln!(
        "  {:<9} {} proven, {} hits, {} misses, {} evictions",
        "cache",
        report.proven,
        cache.hits,
        cache.misses,
        cache.evictions
    );
    if let Some(p) = &published {
        outln!(
            "  {:<9} {} blob(s) committed ({}) in {}, linked into the aggregate",
            "publish",
            p.blobs.len(),
            p.ran.name(),
            output::duration(p.wall)
        );
    }
    if let Some(root) = root {
        outln!("  {:<9} {root}", "aggregate");
    }
    Ok(ExitCode::SUCCESS)
}

/// Encodes the batch data (receipts, and what their programs publish) into blobs, stages them for `path` and commits to them on the pool.
fn publish(
    executor: &Executor,
    entries: &[BatchEntry],
    path: &Path,
    outputs: &mut files::Outputs,
    json: bool,
) -> Result<Publication> {
    let data = batch_data(entries);
    if data.len() > l2x_da::MAX_DATA_BYTES {
        bail!(
            "the batch data ({} bytes) needs {} blobs, more than the {} a blob file holds; \
             publish smaller batches",
            data.len(),
            l2x_da::encoding::blobs_needed(data.len()),
            l2x_da::MAX_BLOBS_PER_FILE
        );
    }
    let blobs = l2x_da::encode(&data);
    let published = super::da::commit_with_progress(executor, &blobs, !json)?;
    outputs.stage(path, &l2x_da::blobs_to_bytes(&blobs))?;
    Ok(published)
}
