//! `l2x submit`, `l2x status` and `l2x fetch`: the CLI as a client of a running `l2x serve`,
//! thin callers of `l2x-client`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use l2x_client::{JobSpec, JobState, JobStatus, RemoteConfig, Service};
use l2x_core::BackendId;
use serde_json::json;

use crate::input::InputArgs;
use crate::{files, output};

/// The service to talk to, and how.
#[derive(Debug, Clone, clap::Args)]
pub struct ServerArgs {
    /// The service's address (https:// for a service with TLS).
    #[arg(
        long,
        value_name = "URL",
        env = l2x_client::SERVER_VAR,
        default_value = "http://127.0.0.1:8080"
    )]
    server: String,

    /// The API key is read from L2X_API_KEY or from this file's first line (never from the
    /// command line, which every local user can read).
    #[arg(long, value_name = "FILE")]
    api_key_file: Option<PathBuf>,

    /// A CA certificate (PEM) to trust for the service's TLS instead of the public roots: a
    /// private CA's, or a self-signed service certificate.
    #[arg(long, value_name = "FILE", env = l2x_client::CA_CERT_VAR)]
    ca_cert: Option<PathBuf>,
}

impl ServerArgs {
    /// The client configuration these flags (and the environment) give.
    pub fn config(&self) -> Result<RemoteConfig> {
        let mut config = RemoteConfig::new(&self.server);
        config.api_key = self.api_key()?;
        config.ca_cert = self.ca_cert.clone();
        Ok(config)
    }

    /// A client of the service with these settings.
    pub fn service(&self) -> Result<Service> {
        Ok(Service::new(&self.config()?)?)
    }

    /// The API key, from `--api-key-file` or `L2X_API_KEY`, if either is given (the client
    /// library refuses one that is not printable ASCII).
    fn api_key(&self) -> Result<Option<String>> {
        let Some(file) = &self.api_key_file else {
            return Ok(l2x_client::api_key_from_env()?);
        };
        let text = files::read_limited(file, 4096, "--api-key-file")?;
        let text = String::from_utf8(text)
            .with_context(|| format!("--api-key-file {}: not text", file.display()))?;
        let key = text.lines().next().unwrap_or_default().trim();
        if key.is_empty() {
            bail!("--api-key-file {}: the first line is empty", file.display());
        }
        Ok(Some(key.to_owned()))
    }
}

/// Arguments of `l2x submit`.
#[derive(Debug, clap::Args)]
pub struct SubmitArgs {
    /// The program to prove (see `l2x programs`).
    program: String,

    #[command(flatten)]
    input: InputArgs,

    /// The proving backend [default: the service's].
    #[arg(long, value_parser = crate::args::backend())]
    backend: Option<BackendId>,

    /// An idempotency key: submitting again with the same key returns the first job.
    #[arg(long, value_name = "KEY")]
    key: Option<String>,

    /// Wait until the job is done (or failed) and report it.
    #[arg(long)]
    wait: bool,

    #[command(flatten)]
    server: ServerArgs,

    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
}

/// Arguments of `l2x status`.
#[derive(Debug, clap::Args)]
pub struct StatusArgs {
    /// The job's id.
    id: i64,

    /// Wait until the job is done (or failed).
    #[arg(long)]
    wait: bool,

    #[command(flatten)]
    server: ServerArgs,

    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
}

/// Arguments of `l2x fetch`.
#[derive(Debug, clap::Args)]
pub struct FetchArgs {
    /// The job's id.
    id: i64,

    /// Write the receipt here (atomically).
    #[arg(short, long, value_name = "FILE")]
    output: PathBuf,

    /// Wait until the job is done first.
    #[arg(long)]
    wait: bool,

    #[command(flatten)]
    server: ServerArgs,

    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
}

/// Polls a job until it is done or failed.
fn wait(service: &Service, id: i64) -> Result<JobStatus> {
    Ok(service.wait(id, Instant::now(), None, |_| {})?)
}

/// One line for people about a job's status.
fn describe(status: &JobStatus) -> String {
    let id = status.id;
    let what = format!("{} on {}", status.program, status.backend);
    match status.state {
        JobState::Done => format!(
            "job {id} ({what}): done, proven in {:.3} s, receipt {} bytes",
            status.proving_seconds.unwrap_or(0.0),
            status.receipt_bytes.unwrap_or(0)
        ),
        JobState::Failed => format!(
            "job {id} ({what}): failed: {}",
            status.error.as_deref().unwrap_or("?")
        ),
        JobState::Running => {
            let mut line = format!(
                "job {id} ({what}): running on {} ({}), {:.1} s",
                status.worker.as_deref().unwrap_or("?"),
                status.phase.as_deref().unwrap_or("?"),
                status.elapsed_seconds.unwrap_or(0.0)
            );
            if let (Some(p), Some(eta)) = (status.progress_percent, status.eta_seconds) {
                line.push_str(&format!(", about {p}%, {eta:.1} s left"));
            }
            line
        }
        JobState::Queued => format!("job {id} ({what}): queued"),
    }
}

/// Exit 0 for a done job, 1 for a failed one (as a receipt that does not verify).
fn exit_for(status: &JobStatus) -> ExitCode {
    if status.state == JobState::Failed {
        ExitCode::from(crate::EXIT_INVALID)
    } else {
        ExitCode::SUCCESS
    }
}

fn print_status(status: &JobStatus, json: bool) {
    if json {
        output::print_json(&json!(status));
    } else {
        outln!("{}", describe(status));
    }
}

/// Submits one job, and waits for it if asked.
pub fn submit(args: &SubmitArgs) -> Result<ExitCode> {
    let mut config = args.server.config()?;
    config.backend = args.backend;
    let service = Service::new(&config)?;
    let job = JobSpec {
        program: args.program.clone(),
        input: args.input.bytes()?,
    };
    let submitted = service.submit(&[job], args.key.as_deref())?;
    let Some(answer) = submitted.first() else {
        bail!("the service answered without a job id");
    };
    let id = answer.id;
    if !args.wait {
        if args.json {
            output::print_json(&json!(answer));
        } else if !answer.created {
            outln!("job {id} (submitted before with this key)");
        } else {
            outln!("job {id} submitted");
        }
        return Ok(ExitCode::SUCCESS);
    }
    let status = wait(&service, id)?;
    print_status(&status, args.json);
    Ok(exit_for(&status))
}

/// Shows a job's status.
pub fn status(args: &StatusArgs) -> Result<ExitCode> {
    let service = args.server.service()?;
    let status = if args.wait {
        wait(&service, args.id)?
    } else {
        service.status(args.id)?
    };
    print_status(&status, args.json);
    Ok(exit_for(&status))
}

/// Writes a done job's receipt to a file.
pub fn fetch(args: &FetchArgs) -> Result<ExitCode> {
    files::check_output(&args.output)?;
    let service = args.server.service()?;
    let start = Instant::now();
    if args.wait {
        let status = wait(&service, args.id)?;
        if status.state == JobState::Failed {
            bail!("{}", describe(&status));
        }
    }
    let bytes = service.receipt_bytes(args.id)?;
    files::write_atomic(&args.output, &bytes)?;
    if args.json {
        output::print_json(&json!({
            "id": args.id,
            "receipt": args.output.display().to_string(),
            "receipt_bytes": bytes.len(),
            "seconds": start.elapsed().as_secs_f64(),
        }));
    } else {
        outln!(
            "job {}: receipt written to {} ({} bytes)",
            args.id,
            args.output.display(),
            bytes.len()
        );
    }
    Ok(ExitCode::SUCCESS)
}
