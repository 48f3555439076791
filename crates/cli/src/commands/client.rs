//! `l2x submit`, `l2x status` and `l2x fetch`: the CLI as a client of a running `l2x serve`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use l2x_core::BackendId;
use serde_json::{Value, json};

use crate::input::InputArgs;
use crate::{files, output};

/// The largest answer read from a service (receipts are well under 2 MiB).
const MAX_ANSWER: u64 = 64 << 20;

/// The service to talk to, and how.
#[derive(Debug, Clone, clap::Args)]
pub struct ServerArgs {
    /// The service's address (https:// for a service with TLS).
    #[arg(
        long,
        value_name = "URL",
        env = "L2X_SERVER",
        default_value = "http://127.0.0.1:8080"
    )]
    server: String,

    /// The API key is read from L2X_API_KEY or from this file's first line (never from the
    /// command line, which every local user can read).
    #[arg(long, value_name = "FILE")]
    api_key_file: Option<PathBuf>,

    /// A CA certificate (PEM) to trust for the service's TLS besides the public roots: a
    /// private CA's, or a self-signed service certificate.
    #[arg(long, value_name = "FILE", env = "L2X_CA_CERT")]
    ca_cert: Option<PathBuf>,
}

/// The variable an API key is read from.
const API_KEY_VAR: &str = "L2X_API_KEY";

impl ServerArgs {
    /// The API key, from `--api-key-file` or `L2X_API_KEY`, if either is given.
    fn api_key(&self) -> Result<Option<String>> {
        let key = match &self.api_key_file {
            Some(file) => {
                let text = files::read_limited(file, 4096, "--api-key-file")?;
                let text = String::from_utf8(text)
                    .with_context(|| format!("--api-key-file {}: not text", file.display()))?;
                text.lines().next().unwrap_or_default().trim().to_owned()
            }
            None => match std::env::var(API_KEY_VAR) {
                Ok(key) => key.trim().to_owned(),
                Err(_) => return Ok(None),
            },
        };
        if key.is_empty() || !key.bytes().all(|b| b.is_ascii_graphic()) {
            bail!(
                "the API key is empty or not printable ASCII (from --api-key-file or {API_KEY_VAR})"
            );
        }
        Ok(Some(key))
    }

    /// The TLS settings: the public roots, or `--ca-cert`'s certificates besides them.
    fn tls(&self) -> Result<ureq::tls::TlsConfig> {
        let builder = ureq::tls::TlsConfig::builder();
        let Some(file) = &self.ca_cert else {
            return Ok(builder.build());
        };
        let pem = files::read_limited(file, 1 << 20, "--ca-cert")?;
        let certs = ureq::tls::parse_pem(&pem)
            .filter_map(|item| match item {
                Ok(ureq::tls::PemItem::Certificate(cert)) => Some(Ok(cert)),
                Ok(_) => None,
                Err(e) => Some(Err(e)),
            })
            .collect::<Result<Vec<_>, _>>()
            .with_context(|| format!("--ca-cert {}: not PEM", file.display()))?;
        if certs.is_empty() {
            bail!("--ca-cert {}: no certificate in the file", file.display());
        }
        Ok(builder
            .root_certs(ureq::tls::RootCerts::new_with_certs(&certs))
            .build())
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

/// A blocking HTTP client of one service.
pub struct Client {
    agent: ureq::Agent,
    base: String,
    authorization: Option<String>,
}

impl Client {
    /// A client of the service `server` names, with its key and TLS settings.
    pub fn new(server: &ServerArgs) -> Result<Self> {
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(60)))
            .tls_config(server.tls()?)
            .build();
        Ok(Self {
            agent: config.into(),
            base: server.server.trim_end_matches('/').to_owned(),
            authorization: server.api_key()?.map(|key| format!("Bearer {key}")),
        })
    }

    /// Sends a request and reads the answer: its status and body.
    fn call(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
        key: Option<&str>,
    ) -> Result<(u16, Vec<u8>)> {
        let url = format!("{}{path}", self.base);
        let sent = match (method, body) {
            ("POST", Some(body)) => {
                let mut request = self.agent.post(&url);
                if let Some(key) = key {
                    request = request.header("Idempotency-Key", key);
                }
                if let Some(authorization) = &self.authorization {
                    request = request.header("Authorization", authorization);
                }
                request.send_json(body)
            }
            _ => {
                let mut request = self.agent.get(&url);
                if let Some(authorization) = &self.authorization {
                    request = request.header("Authorization", authorization);
                }
                request.call()
            }
        };
        let mut response =
            sent.with_context(|| format!("cannot reach the service at {}", self.base))?;
        let status = response.status().as_u16();
        let bytes = response
            .body_mut()
            .with_config()
            .limit(MAX_ANSWER)
            .read_to_vec()
            .with_context(|| format!("cannot read the answer of {url}"))?;
        Ok((status, bytes))
    }

    /// A JSON answer; a non-2xx status is an error carrying the service's message.
    pub fn json(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
        key: Option<&str>,
    ) -> Result<Value> {
        let (status, bytes) = self.call(method, path, body, key)?;
        let value: Value = serde_json::from_slice(&bytes)
            .with_context(|| format!("the service answered {status} with no JSON"))?;
        if !(200..300).contains(&status) {
            bail!("{}", service_error(status, &value));
        }
        Ok(value)
    }

    fn status(&self, id: i64) -> Result<Value> {
        self.json("GET", &format!("/v1/jobs/{id}"), None, None)
    }

    /// Polls a job until it is done or failed.
    fn wait(&self, id: i64) -> Result<Value> {
        let mut pause = Duration::from_millis(20);
        loop {
            let status = self.status(id)?;
            if matches!(status["state"].as_str(), Some("done" | "failed")) {
                return Ok(status);
            }
            std::thread::sleep(pause);
            pause = (pause * 2).min(Duration::from_millis(500));
        }
    }
}

/// "the service refused the request (422): ... [field program]".
fn service_error(status: u16, body: &Value) -> String {
    let message = body["error"].as_str().unwrap_or("no message");
    match body["field"].as_str() {
        Some(field) => {
            format!("the service refused the request ({status}, field {field}): {message}")
        }
        None => format!("the service refused the request ({status}): {message}"),
    }
}

/// One line for people about a job's status.
fn describe(status: &Value) -> String {
    let id = &status["id"];
    let what = format!(
        "{} on {}",
        status["program"].as_str().unwrap_or("?"),
        status["backend"].as_str().unwrap_or("?")
    );
    match status["state"].as_str().unwrap_or("?") {
        "done" => format!(
            "job {id} ({what}): done, proven in {:.3} s, receipt {} bytes",
            status["proving_seconds"].as_f64().unwrap_or(0.0),
            status["receipt_bytes"]
        ),
        "failed" => format!(
            "job {id} ({what}): failed: {}",
            status["error"].as_str().unwrap_or("?")
        ),
        "running" => {
            let mut line = format!(
                "job {id} ({what}): running on {} ({}), {:.1} s",
                status["worker"].as_str().unwrap_or("?"),
                status["phase"].as_str().unwrap_or("?"),
                status["elapsed_seconds"].as_f64().unwrap_or(0.0)
            );
            if let (Some(p), Some(eta)) = (
                status["progress_percent"].as_u64(),
                status["eta_seconds"].as_f64(),
            ) {
                line.push_str(&format!(", about {p}%, {eta:.1} s left"));
            }
            line
        }
        state => format!("job {id} ({what}): {state}"),
    }
}

/// Exit 0 for a done job, 1 for a failed one (as a receipt that does not verify).
fn exit_for(status: &Value) -> ExitCode {
    if status["state"] == "failed" {
        ExitCode::from(crate::EXIT_INVALID)
    } else {
        ExitCode::SUCCESS
    }
}

/// Submits one job, and waits for it if asked.
pub fn submit(args: &SubmitArgs) -> Result<ExitCode> {
    let client = Client::new(&args.server)?;
    let mut body = json!({
        "program": args.program,
        "input_hex": hex::encode(args.input.bytes()?),
    });
    if let Some(backend) = args.backend {
        body["backend"] = json!(backend.name());
    }
    let answer = client.json("POST", "/v1/jobs", Some(&body), args.key.as_deref())?;
    let id = answer["id"]
        .as_i64()
        .context("the service answered without a job id")?;
    if !args.wait {
        if args.json {
            output::print_json(&answer);
        } else if answer["created"] == false {
            outln!("job {id} (submitted before with this key)");
        } else {
            outln!("job {id} submitted");
        }
        return Ok(ExitCode::SUCCESS);
    }
    let status = client.wait(id)?;
    if args.json {
        output::print_json(&status);
    } else {
        outln!("{}", describe(&status));
    }
    Ok(exit_for(&status))
}

/// Shows a job's status.
pub fn status(args: &StatusArgs) -> Result<ExitCode> {
    let client = Client::new(&args.server)?;
    let status = if args.wait {
        client.wait(args.id)?
    } else {
        client.status(args.id)?
    };
    if args.json {
        output::print_json(&status);
    } else {
        outln!("{}", describe(&status));
    }
    Ok(exit_for(&status))
}

/// Writes a done job's receipt to a file.
pub fn fetch(args: &FetchArgs) -> Result<ExitCode> {
    files::check_output(&args.output)?;
    let client = Client::new(&args.server)?;
    let start = Instant::now();
    if args.wait {
        let status = client.wait(args.id)?;
        if status["state"] == "failed" {
            bail!("{}", describe(&status));
        }
    }
    let (code, bytes) = client.call("GET", &format!("/v1/jobs/{}/receipt", args.id), None, None)?;
    if code != 200 {
        let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        bail!("{}", service_error(code, &body));
    }
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
