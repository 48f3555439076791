//! `l2x programs`: what this build can run and prove.

use std::process::ExitCode;

use anyhow::Result;
use l2x_core::BackendId;
use l2x_executor::Executor;
use l2x_programs::Registry;
use l2x_stark::Mode;
use l2x_stark::security::ProofSecurity;
use serde_json::json;

use crate::{output, trust};

/// Arguments of `l2x programs`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print one JSON object instead of a table.
    #[arg(long)]
    json: bool,
}

/// Lists programs and backends.
pub fn run(args: &Args) -> Result<ExitCode> {
    let executor = Executor::new()?;
    let registry = executor.registry();
    if args.json {
        let programs: Vec<_> = registry
            .iter()
            .map(|p| {
                json!({
                    "id": p.id().as_str(),
                    "summary": p.summary(),
                    "input": p.input_doc(),
                    "public_values": p.public_values_doc(),
                })
            })
            .collect();
        let backends: Vec<_> = BackendId::ALL
            .iter()
            .map(|&b| match Mode::of(b) {
                None if !b.is_dev() => json!({
                    "name": b.name(),
                    "dev": false,
                    "built": l2x_executor::is_built(b),
                    "security": trust::RISC0_SECURITY,
                }),
                None => json!({"name": b.name(), "dev": true}),
                Some(mode) => json!({
                    "name": b.name(),
                    "dev": false,
                    "parameters": mode.parameters(),
                    "security": security_ranges(registry, mode),
                }),
            })
            .collect();
        output::print_json(&json!({ "programs": programs, "backends": backends }));
        return Ok(ExitCode::SUCCESS);
    }
    outln!("programs");
    for p in registry.iter() {
        outln!("  {:<10} {}", p.id(), p.summary());
        outln!("  {:<10} input: {}", "", p.input_doc());
        outln!("  {:<10} public values: {}", "", p.public_values_doc());
    }
    outln!("backends");
    for &b in BackendId::ALL {
        let note = match Mode::of(b) {
            None if b == BackendId::Risc0 => risc0_summary(),
            None => "dev mode: binds the claim, proves nothing".to_owned(),
            Some(mode) => stark_summary(mode, registry),
        };
        outln!("  {:<10} {note}", b.name());
    }
    Ok(ExitCode::SUCCESS)
}

/// The `risc0` line: what it proves, and whether this build has it.
fn risc0_summary() -> String {
    let built = if l2x_executor::is_built(BackendId::Risc0) {
        "fibonacci, sha256 and --elf guests"
    } else {
        "not in this build (cargo feature `risc0`)"
    };
    format!("RISC Zero 3.0 zkVM, composite receipts: {built}")
}

/// Per program, the conjectured security over its provable sizes: the level of its smallest
/// and of its largest claim, with the binding terms.
fn security_ranges(registry: &Registry, mode: Mode) -> serde_json::Value {
    let ranges: Vec<_> = registry
        .air_programs()
        .map(|program| {
            let ends = program
                .stark_extremes()
                .map(|pv| l2x_stark::claim_security(mode, &*program, &pv));
            match ends {
                [Ok(small), Ok(large)] => json!({
                    "program": program.id().as_str(),
                    "min_bits": small.display_bits().min(large.display_bits()),
                    "max_bits": small.display_bits().max(large.display_bits()),
                    "smallest": level_json(&small),
                    "largest": level_json(&large),
                }),
                [Err(e), _] | [_, Err(e)] => json!({
                    "program": program.id().as_str(),
                    "error": e.to_string(),
                }),
            }
        })
        .collect();
    json!({"estimator": l2x_stark::security::ESTIMATOR, "programs": ranges})
}

fn level_json(s: &ProofSecurity) -> serde_json::Value {
    json!({
        "bits": s.display_bits(),
        "binding": s.binding,
        "log_height": s.max_log_height,
        "grinding": s.grinding,
    })
}

/// One line on a STARK configuration.
pub fn stark_summary(mode: Mode, registry: &Registry) -> String {
    let s = mode.parameters();
    let privacy = if s.zero_knowledge {
        "zero-knowledge (hiding PCS)"
    } else {
        "not zero-knowledge"
    };
    let levels: Vec<String> = registry
        .air_programs()
        .filter_map(|program| {
            let [small, large] = program
                .stark_extremes()
                .map(|pv| l2x_stark::claim_security(mode, &*program, &pv).ok());
            let (small, large) = (small?.display_bits(), large?.display_bits());
            Some(format!(
                "{} {:.1}-{:.1}",
                program.id(),
                small.min(large),
                small.max(large)
            ))
        })
        .collect();
    format!(
        "Plonky3 STARK: KoalaBear, Poseidon2, FRI (blowup {}, {} queries, {}-bit query PoW, \
         more PoW sized per proof); conjectured security per proof (Plonky3 estimator): {} bits; \
         {privacy}",
        1 << s.log_blowup,
        s.num_queries,
        s.query_pow_bits,
        levels.join(", ")
    )
}
