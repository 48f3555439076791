//! `l2x serve` and `l2x worker`: the prover service and its remote workers.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use l2x_core::BackendId;
use l2x_executor::Executor;
use l2x_jobs::JobStore;
use l2x_service::{
    AllowedHosts, Limits, Metrics, Prover, Service, StoreHealth, Wake, WorkerConfig, Workers,
};
use serde_json::json;

use crate::store::{StoreArgs, shown};
use crate::trust::DevArgs;

/// The settings `serve` and `worker` share: how jobs are proven.
#[derive(Debug, clap::Args)]
pub struct ProvingArgs {
    /// The backend of jobs that name none.
    #[arg(long, default_value = "trace", value_parser = crate::args::backend())]
    backend: BackendId,

    /// Jobs proven at once by this process [default: the pool's threads].
    #[arg(long, value_name = "N")]
    workers: Option<usize>,

    /// Threads of the proving pool.
    #[arg(long, value_name = "N", default_value_t = crate::args::default_threads())]
    threads: usize,

    /// Memory running jobs may hold together (estimates); larger jobs are refused at submit
    /// [default: half the machine's memory].
    #[arg(long, value_name = "SIZE", value_parser = crate::args::parse_size)]
    memory_budget: Option<u64>,

    /// How long a claimed job stays with a worker that stopped sending heartbeats, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 30.0)]
    lease: f64,

    /// Receipts the cache keeps (0 turns it off).
    #[arg(long, value_name = "N", default_value_t = l2x_executor::DEFAULT_CACHE_ENTRIES)]
    cache: usize,

    #[command(flatten)]
    dev: DevArgs,
}

impl ProvingArgs {
    fn executor(&self) -> Result<Executor> {
        let mut builder = self
            .dev
            .apply(Executor::builder())
            .backend(self.backend)
            .threads(self.threads)
            .cache(self.cache);
        if let Some(bytes) = self.memory_budget {
            builder = builder.memory_budget(bytes);
        }
        Ok(builder.build()?)
    }

    fn worker_config(&self, executor: &Executor) -> Result<WorkerConfig> {
        if !(self.lease.is_finite() && (0.1..=86_400.0).contains(&self.lease)) {
            bail!("--lease {}: give seconds between 0.1 and 86400", self.lease);
        }
        let mut config = WorkerConfig::new(self.workers.unwrap_or(executor.threads()));
        config.lease = Duration::from_secs_f64(self.lease);
        Ok(config)
    }
}

/// Arguments of `l2x serve`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on (port 0: any free port, printed at start).
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,

    /// The job store (the embedded store in ./l2x-data when none is given).
    #[command(flatten)]
    store: StoreArgs,

    /// The largest request body, e.g. 16M.
    #[arg(long, value_name = "SIZE", value_parser = crate::args::parse_size, default_value = "16M")]
    max_body: u64,

    /// The most receipt bytes one aggregate may hold (its answer holds them twice, in hex).
    #[arg(long, value_name = "SIZE", value_parser = crate::args::parse_size, default_value = "64M")]
    max_aggregate: u64,

    /// The most connections open at once; more are closed as they arrive.
    #[arg(long, value_name = "N", default_value_t = 1024)]
    max_connections: usize,

    /// Seconds a request's headers may take to arrive, and an idle connection may stay open.
    #[arg(long, value_name = "SECONDS", default_value_t = 10.0)]
    header_timeout: f64,

    /// Seconds a request body may take to arrive.
    #[arg(long, value_name = "SECONDS", default_value_t = 30.0)]
    body_timeout: f64,

    /// Seconds the service may work on one request once its body has arrived (an aggregate
    /// waiting for memory behind running jobs); 503 with Retry-After beyond.
    #[arg(long, value_name = "SECONDS", default_value_t = 120.0)]
    request_timeout: f64,

    /// Seconds one write of an answer may wait for a client that does not read; the connection
    /// is closed after it.
    #[arg(long, value_name = "SECONDS", default_value_t = 30.0)]
    write_timeout: f64,

    /// A name the service is reached by (a DNS name, a proxy's), besides IP addresses and
    /// localhost; requests naming another `Host` are refused (DNS rebinding). Repeatable.
    #[arg(long, value_name = "NAME")]
    allowed_host: Vec<String>,

    /// Answer requests whatever their `Host` (behind a proxy that checks it).
    #[arg(long, conflicts_with = "allowed_host")]
    allow_any_host: bool,

    /// Listen on an address other than loopback although the store has no API keys: anyone
    /// who reaches the port can submit jobs and read every receipt.
    #[arg(long)]
    insecure_no_auth: bool,

    /// The TLS certificate chain (PEM, leaf first): the service speaks HTTPS.
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    tls_cert: Option<PathBuf>,

    /// The TLS certificate's private key (PEM).
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    tls_key: Option<PathBuf>,

    /// Listen on an address other than loopback without TLS although API keys are in use: they
    /// cross the network in clear (for a network already encrypted, such as a service mesh).
    #[arg(long, conflicts_with = "tls_cert")]
    insecure_plaintext: bool,

    #[command(flatten)]
    proving: ProvingArgs,

    /// Print the start-up line as one JSON object.
    #[arg(long)]
    json: bool,
}

impl ServeArgs {
    /// The API's limits from the flags.
    fn limits(&self) -> Result<Limits> {
        let seconds = |flag: &str, s: f64| {
            if s.is_finite() && (0.1..=3600.0).contains(&s) {
                Ok(Duration::from_secs_f64(s))
            } else {
                bail!("{flag} {s}: give seconds between 0.1 and 3600")
            }
        };
        if self.max_connections == 0 {
            bail!("--max-connections 0: give at least 1");
        }
        Ok(Limits {
            max_body: usize::try_from(self.max_body).unwrap_or(usize::MAX),
            max_aggregate_bytes: usize::try_from(self.max_aggregate).unwrap_or(usize::MAX),
            body_timeout: seconds("--body-timeout", self.body_timeout)?,
            max_connections: self.max_connections,
            header_timeout: seconds("--header-timeout", self.header_timeout)?,
            request_timeout: seconds("--request-timeout", self.request_timeout)?,
            write_timeout: seconds("--write-timeout", self.write_timeout)?,
            hosts: AllowedHosts {
                names: self.allowed_host.clone(),
                any: self.allow_any_host,
            },
            ..Limits::default()
        })
    }
}

/// Arguments of `l2x worker`.
#[derive(Debug, clap::Args)]
pub struct WorkerArgs {
    /// The service's PostgreSQL store (the embedded store belongs to its `l2x serve` process).
    #[command(flatten)]
    store: StoreArgs,

    #[command(flatten)]
    proving: ProvingArgs,

    /// Print the start-up line as one JSON object.
    #[arg(long)]
    json: bool,
}

/// A runtime for the API and the signal handlers; proving runs on the executor's pool.
fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("l2x-http")
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// Completes on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(signal) => signal,
                Err(_) => {
                    let _ = interrupt.await;
                    return;
                }
            };
        tokio::select! {
            _ = interrupt => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
}

fn open_store(spec: &str) -> Result<Arc<dyn JobStore>> {
    let store = l2x_jobs::open(spec)
        .with_context(|| format!("cannot open the job store {}", shown(spec)))?;
    Ok(Arc::from(store))
}

/// Whether a service on `listen` over a store with keys (or not) may start: beyond loopback,
/// keys are required (unless `--insecure-no-auth`), and they must not cross the network in
/// clear (TLS, unless `--insecure-plaintext`).
fn check_exposure(args: &ServeArgs, has_keys: bool) -> Result<()> {
    if args.listen.ip().is_loopback() {
        return Ok(());
    }
    if !has_keys {
        if !args.insecure_no_auth {
            bail!(
                "--listen {}: not a loopback address, and the store has no API keys: anyone who reaches the port could submit jobs and read every receipt. Make a key first (l2x keys create --name NAME), or pass --insecure-no-auth",
                args.listen
            );
        }
        tracing::warn!(listen = %args.listen, "serving without authentication on a non-loopback address (--insecure-no-auth)");
    } else if args.tls_cert.is_none() {
        if !args.insecure_plaintext {
            bail!(
                "--listen {}: not a loopback address, and without TLS the API keys would cross the network in clear. Give --tls-cert and --tls-key, listen on 127.0.0.1 behind a proxy that terminates TLS, or pass --insecure-plaintext",
                args.listen
            );
        }
        tracing::warn!(listen = %args.listen, "API keys cross the network in clear (--insecure-plaintext)");
    }
    Ok(())
}

/// Serves the API until Ctrl-C or SIGTERM, then lets the jobs in hand finish.
pub fn serve(args: &ServeArgs) -> Result<ExitCode> {
    let mut limits = args.limits()?;
    let spec = args.store.spec(Some("l2x-data"))?;
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => Some(l2x_service::tls::server_config(cert, key)?),
        _ => None,
    };
    if !spec.contains("://") && !l2x_jobs::SqliteStore::exists(Path::new(&spec)) {
        // A store not made yet has no keys: refused before anything is created.
        check_exposure(args, false)?;
    }
    let opened = l2x_jobs::open_serving(&spec)
        .with_context(|| format!("cannot open the job store {}", shown(&spec)))?;
    let has_keys = opened.store.has_keys()?;
    check_exposure(args, has_keys)?;
    limits.metrics_need_key = !args.listen.ip().is_loopback();
    if let Some(why) = &opened.read_only {
        tracing::error!(
            error = %why,
            "the job store's disk is full: serving it read-only (receipts and statuses; submits get 503) until a restart with space"
        );
    }
    let store: Arc<dyn JobStore> = Arc::from(opened.store);
    let executor = args.proving.executor()?;
    let config = args.proving.worker_config(&executor)?;
    let workers = config.workers;
    let backend = executor.backend();
    let threads = executor.threads();
    let service = Service::start(store, executor, config)?;
    if let Some(why) = &opened.read_only {
        service
            .state
            .health()
            .failed(&format!("opened read-only, its disk full: {why}"));
    }
    let runtime = runtime()?;
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind(args.listen))
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let address = listener.local_addr()?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    let kind = if spec.contains("://") {
        "PostgreSQL"
    } else {
        "embedded"
    };
    if args.json {
        crate::output::print_json(&json!({
            "listening": format!("{scheme}://{address}"),
            "auth": if has_keys { "keys" } else { "none" },
            "tls": tls.is_some(),
            "store": shown(&spec),
            "store_kind": kind,
            "workers": workers,
            "threads": threads,
            "backend": backend.name(),
            "store_read_only": opened.read_only.as_ref().map(ToString::to_string),
        }));
    } else {
        outln!(
            "l2x serve: listening on {scheme}://{address} ({}; store {} ({kind}), {workers} workers on {threads} threads, default backend {}{})",
            if has_keys {
                "API keys required"
            } else {
                "no API keys: open to whoever reaches the port"
            },
            shown(&spec),
            backend.name(),
            if backend.is_dev() {
                ": dev mode, its receipts prove nothing"
            } else {
                ""
            }
        );
    }
    let served = runtime.block_on(l2x_service::serve(
        listener,
        service.state.clone(),
        limits,
        tls,
        shutdown_signal(),
    ));
    tracing::info!("shutting down: waiting for the jobs in hand");
    let stats = service.workers.stop();
    tracing::info!(jobs = stats.jobs, proving = ?stats.proving, queue = ?stats.queue, finishing = ?stats.finishing, commits = stats.commits, idle = ?stats.idle, "workers stopped");
    served.context("the server failed")?;
    Ok(ExitCode::SUCCESS)
}

/// Proves jobs from a PostgreSQL store until Ctrl-C or SIGTERM.
pub fn worker(args: &WorkerArgs) -> Result<ExitCode> {
    let spec = args.store.spec(None)?;
    if !(spec.starts_with("postgres://") || spec.starts_with("postgresql://")) {
        bail!(
            "l2x worker needs a postgres:// store; the embedded store {:?} belongs to its `l2x serve` process (use serve --workers N)",
            shown(&spec)
        );
    }
    let store = open_store(&spec)?;
    let executor = args.proving.executor()?;
    let config = args.proving.worker_config(&executor)?;
    let (name, workers) = (config.name.clone(), config.workers);
    let prover = Arc::new(Prover::new(executor));
    let pool = Workers::start(
        store,
        prover,
        Metrics::new()?,
        config,
        Arc::new(Wake::default()),
        Arc::new(StoreHealth::default()),
    )?;
    if args.json {
        crate::output::print_json(
            &json!({ "worker": name, "workers": workers, "store": shown(&spec) }),
        );
    } else {
        outln!("l2x worker {name}: {workers} workers on {}", shown(&spec));
    }
    runtime()?.block_on(shutdown_signal());
    tracing::info!("shutting down: waiting for the jobs in hand");
    let stats = pool.stop();
    let per_job = |d: Duration| d.as_secs_f64() * 1e3 / stats.jobs.max(1) as f64;
    if args.json {
        crate::output::print_json(&json!({
            "worker": name,
            "jobs": stats.jobs,
            "proving_seconds": stats.proving.as_secs_f64(),
            "queue_seconds": stats.queue.as_secs_f64(),
            "finishing_seconds": stats.finishing.as_secs_f64(),
            "commits": stats.commits,
            "ahead_seconds": stats.ahead.as_secs_f64(),
            "claimed_ahead": stats.claimed_ahead,
            "idle_seconds": stats.idle.as_secs_f64(),
            "queue_ms_per_job": per_job(stats.queue),
            "proving_ms_per_job": per_job(stats.proving),
        }));
    } else {
        outln!(
            "l2x worker {name}: {} jobs, proving {:.2} s, queue {:.2} s ({:.3} ms per job), idle {:.2} s (summed over workers); results stored in {} commits, {:.2} s beside the workers; {} jobs claimed ahead, {:.3} s",
            stats.jobs,
            stats.proving.as_secs_f64(),
            stats.queue.as_secs_f64(),
            per_job(stats.queue),
            stats.idle.as_secs_f64(),
            stats.commits,
            stats.finishing.as_secs_f64(),
            stats.claimed_ahead,
            stats.ahead.as_secs_f64()
        );
    }
    Ok(ExitCode::SUCCESS)
}
