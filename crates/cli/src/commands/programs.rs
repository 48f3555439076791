//! `l2x programs`: what this build can run and prove.

use std::process::ExitCode;

use anyhow::Result;
use l2x_core::BackendId;
use l2x_executor::Executor;
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
    let registry = Executor::new().registry();
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
            .map(|b| json!({"name": b.name(), "dev": b.is_dev()}))
            .collect();
        output::print_json(&json!({ "programs": programs, "backends": backends }));
        return Ok(ExitCode::SUCCESS);
    }
    println!("programs");
    for p in registry.iter() {
        println!("  {:<10} {}", p.id(), p.summary());
        println!("  {:<10} input: {}", "", p.input_doc());
        println!("  {:<10} public values: {}", "", p.public_values_doc());
    }
    println!("backends");
    for b in BackendId::ALL {
        let note = if b.is_dev() {
            "dev mode: binds the claim, proves nothing"
        } else {
            ""
        };
        println!("  {:<10} {note}", b.name());
    }
    Ok(ExitCode::SUCCESS)
}
