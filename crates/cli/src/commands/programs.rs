//! `l2x programs`: what this build can run and prove.

use std::process::ExitCode;

use anyhow::Result;
use l2x_core::BackendId;
use l2x_executor::Executor;
use l2x_stark::Mode;
use serde_json::json;

use crate::output;

/// Arguments of `l2x programs`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print one JSON object instead of a table.
    #[arg(long)]
    json: bool,
}

/// Lists programs and backends.
pub fn run(args: &Args) -> Result<ExitCode> {
    let registry = Executor::new()?.registry();
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
                None => json!({"name": b.name(), "dev": true}),
                Some(mode) => json!({"name": b.name(), "dev": false, "security": mode.security()}),
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
            None => "dev mode: binds the claim, proves nothing".to_owned(),
            Some(mode) => stark_summary(mode),
        };
        outln!("  {:<10} {note}", b.name());
    }
    Ok(ExitCode::SUCCESS)
}

/// One line on a STARK configuration and its conjectured security.
pub fn stark_summary(mode: Mode) -> String {
    let s = mode.security();
    let privacy = if s.zero_knowledge {
        "zero-knowledge (hiding PCS)"
    } else {
        "not zero-knowledge"
    };
    format!(
        "Plonky3 STARK: KoalaBear, Poseidon2, FRI (blowup {}, {} queries, {}-bit query PoW); \
         conjectured security {} bits (ethSTARK count), {} bits (Plonky3 estimate, FRI only); \
         {privacy}",
        1 << s.log_blowup,
        s.num_queries,
        s.query_pow_bits,
        s.ethstark_conjectured_bits,
        s.plonky3_conjectured_ldt_bits
    )
}
