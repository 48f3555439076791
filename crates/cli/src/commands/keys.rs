//! `l2x keys`: the API keys of a service's store — create (the secret shown once), list,
//! revoke.

use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use l2x_jobs::{ApiKey, JobStore, NewKey, Quotas, Role, Secret};
use serde_json::{Value, json};

use crate::store::{StoreArgs, shown};

/// Arguments of `l2x keys`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: KeysCommand,
}

#[derive(Debug, clap::Subcommand)]
enum KeysCommand {
    /// Make a key and print its secret (once: the store keeps only its hash).
    Create(CreateArgs),
    /// List the keys (never their secrets).
    List(ListArgs),
    /// Revoke a key: within a second the service refuses it (401), like a wrong key.
    Revoke(RevokeArgs),
}

#[derive(Debug, clap::Args)]
struct CreateArgs {
    /// A name for the key (unique; metrics count jobs by it).
    #[arg(long)]
    name: String,

    /// prove: submit jobs and read its own; scrape: read /metrics on a non-loopback address.
    #[arg(long, default_value = "prove", value_parser = ["prove", "scrape"])]
    role: String,

    /// The most jobs of this key not yet finished (queued or running) at once.
    #[arg(long, value_name = "N")]
    max_queued: Option<u64>,

    /// The most jobs this key may submit per minute.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    per_minute: Option<u32>,

    /// The largest memory estimate of one job of this key, e.g. 512M.
    #[arg(long, value_name = "SIZE", value_parser = crate::args::parse_size)]
    max_job_memory: Option<u64>,

    #[command(flatten)]
    store: StoreArgs,

    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, clap::Args)]
struct ListArgs {
    #[command(flatten)]
    store: StoreArgs,

    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, clap::Args)]
struct RevokeArgs {
    /// The key's name.
    name: String,

    #[command(flatten)]
    store: StoreArgs,

    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
}

/// Runs `l2x keys …`.
pub fn run(args: &Args) -> Result<ExitCode> {
    match &args.command {
        KeysCommand::Create(args) => create(args),
        KeysCommand::List(args) => list(args),
        KeysCommand::Revoke(args) => revoke(args),
    }
}

/// The store `args` names, opened beside a service that may be serving it.
fn open(args: &StoreArgs) -> Result<Box<dyn JobStore>> {
    let spec = args.spec(Some("l2x-data"))?;
    l2x_jobs::open_beside(&spec).with_context(|| format!("cannot open the store {}", shown(&spec)))
}

fn create(args: &CreateArgs) -> Result<ExitCode> {
    let name = args.name.trim();
    if name.is_empty() || name.len() > 64 || name.chars().any(char::is_control) {
        bail!("--name {:?}: give 1 to 64 printable characters", args.name);
    }
    let role = Role::parse(&args.role).context("--role: prove or scrape")?;
    let quotas = Quotas {
        max_queued: args.max_queued,
        per_minute: args.per_minute,
        max_job_memory: args.max_job_memory,
    };
    if role == Role::Scrape && quotas != Quotas::default() {
        bail!("--role scrape: a scrape key submits nothing; give no quotas");
    }
    let store = open(&args.store)?;
    let secret = Secret::generate()?;
    let key = store.create_key(&NewKey {
        name: name.to_owned(),
        hash: secret.hash(),
        role,
        quotas,
    })?;
    if args.json {
        let mut out = key_json(&key);
        out["secret"] = json!(secret.expose());
        crate::output::print_json(&out);
    } else {
        outln!("{}", secret.expose());
        eprintln!(
            "l2x keys: made key {:?} ({}; {}). The line above is its secret, shown this once: the store keeps only its hash. Clients send it as Authorization: Bearer <secret> (l2x reads L2X_API_KEY).",
            key.name,
            key.role.as_str(),
            quotas_text(&key.quotas)
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn list(args: &ListArgs) -> Result<ExitCode> {
    let keys = open(&args.store)?.keys()?;
    if args.json {
        let list: Vec<Value> = keys.iter().map(key_json).collect();
        crate::output::print_json(&json!({ "keys": list }));
        return Ok(ExitCode::SUCCESS);
    }
    if keys.is_empty() {
        outln!("no keys: the service is open to whoever reaches it (loopback only)");
    }
    for key in &keys {
        let state = if key.revoked_ms.is_some() {
            "revoked"
        } else {
            "active"
        };
        outln!(
            "{:>4}  {:<24} {:<7} {:<8} {}",
            key.id,
            key.name,
            key.role.as_str(),
            state,
            quotas_text(&key.quotas)
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn revoke(args: &RevokeArgs) -> Result<ExitCode> {
    if !open(&args.store)?.revoke_key(&args.name)? {
        bail!("no active key named {:?} (see l2x keys list)", args.name);
    }
    if args.json {
        crate::output::print_json(&json!({ "revoked": args.name }));
    } else {
        outln!(
            "l2x keys: revoked {:?}; the service refuses it within {} s",
            args.name,
            l2x_service::KEY_REFRESH.as_secs()
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn key_json(key: &ApiKey) -> Value {
    json!({
        "id": key.id,
        "name": key.name,
        "role": key.role.as_str(),
        "max_queued": key.quotas.max_queued,
        "per_minute": key.quotas.per_minute,
        "max_job_memory": key.quotas.max_job_memory,
        "created_ms": key.created_ms,
        "revoked_ms": key.revoked_ms,
    })
}

fn quotas_text(q: &Quotas) -> String {
    let mut parts = Vec::new();
    if let Some(n) = q.max_queued {
        parts.push(format!("{n} unfinished jobs"));
    }
    if let Some(n) = q.per_minute {
        parts.push(format!("{n} jobs/min"));
    }
    if let Some(bytes) = q.max_job_memory {
        parts.push(format!("{} MiB per job", bytes >> 20));
    }
    if parts.is_empty() {
        "no quotas".to_owned()
    } else {
        parts.join(", ")
    }
}
