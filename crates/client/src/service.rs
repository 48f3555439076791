//! The service's HTTP API, call by call: submit, status, receipt, aggregate — with the key, the
//! TLS settings and retries.

use std::time::{Duration, Instant};

use l2x_api::JobId;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::{ClientError, RemoteConfig};

/// The largest answer read (receipts are well under 2 MiB; an aggregate holds up to 64 MiB of
/// them, twice).
const MAX_ANSWER: u64 = 256 << 20;

/// The longest wait between two retries (a `Retry-After` beyond it is cut to it).
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// Where a job is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JobState {
    /// Waiting for a worker.
    Queued,
    /// A worker is proving it.
    Running,
    /// Proven: the receipt can be fetched.
    Done,
    /// Failed for good.
    Failed,
}

/// A job's status as the service reports it (`GET /v1/jobs/{id}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobStatus {
    /// The job.
    pub id: JobId,
    /// Its program.
    pub program: String,
    /// Its backend.
    pub backend: String,
    /// Where it is.
    pub state: JobState,
    /// Times a worker claimed it.
    pub attempts: u32,
    /// The worker holding or last holding it.
    pub worker: Option<String>,
    /// When it was submitted (ms since the Unix epoch, the store's clock).
    pub submitted_ms: i64,
    /// While running: what the prover is doing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<String>,
    /// While running: seconds since it was claimed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub elapsed_seconds: Option<f64>,
    /// While running, once the cost model knows the program: percent done (estimated).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub progress_percent: Option<u64>,
    /// While running, once the cost model knows the program: seconds left (estimated).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eta_seconds: Option<f64>,
    /// Once done: seconds spent proving.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proving_seconds: Option<f64>,
    /// Once finished: seconds from submit to the end.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wall_seconds: Option<f64>,
    /// Once failed: why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Once done: the receipt's size.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receipt_bytes: Option<u64>,
}

impl JobStatus {
    /// Whether the job is done or failed.
    pub fn is_finished(&self) -> bool {
        matches!(self.state, JobState::Done | JobState::Failed)
    }
}

/// A submitted job: its id, and whether this submit made it (false: the idempotency key named
/// a job submitted before).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Submitted {
    /// The job.
    pub id: JobId,
    /// Whether this submit made it.
    pub created: bool,
}

/// One job to submit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobSpec {
    /// The program's id.
    pub program: String,
    /// Its input bytes.
    pub input: Vec<u8>,
}

/// A client of one service: one call per API route, each retried as [`RemoteConfig`] says.
#[derive(Debug, Clone)]
pub struct Service {
    agent: ureq::Agent,
    base: String,
    authorization: Option<String>,
    backend: Option<&'static str>,
    retries: u32,
}

/// An answer: status, `Retry-After`, body.
struct Answer {
    status: u16,
    retry_after: Option<Duration>,
    body: Vec<u8>,
}

impl Service {
    /// A client of the service `config` names.
    pub fn new(config: &RemoteConfig) -> Result<Self, ClientError> {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(config.request_timeout))
            .tls_config(tls(config)?)
            .build()
            .new_agent();
        if let Some(key) = &config.api_key
            && (key.is_empty() || !key.bytes().all(|b| b.is_ascii_graphic()))
        {
            return Err(ClientError::Config(
                "the API key is empty or not printable ASCII".into(),
            ));
        }
        Ok(Self {
            agent,
            base: config.server.trim_end_matches('/').to_owned(),
            authorization: config.api_key.as_ref().map(|k| format!("Bearer {k}")),
            backend: config.backend.map(|b| b.name()),
            retries: config.retries,
        })
    }

    /// The service's base URL.
    pub fn server(&self) -> &str {
        &self.base
    }

    /// Submits jobs under an idempotency key (a retry, by this client or after a crash, returns
    /// the same jobs). One job is sent as a single submit, more as a batch.
    pub fn submit(
        &self,
        jobs: &[JobSpec],
        idempotency_key: Option<&str>,
    ) -> Result<Vec<Submitted>, ClientError> {
        let encode = |job: &JobSpec| {
            let mut body = json!({ "program": job.program, "input_hex": hex::encode(&job.input) });
            if let Some(backend) = self.backend {
                body["backend"] = json!(backend);
            }
            body
        };
        let body = match jobs {
            [one] => encode(one),
            many => json!({ "jobs": many.iter().map(encode).collect::<Vec<_>>() }),
        };
        // Without an idempotency key a submit is retried only when the service said it stored
        // nothing (429): after a lost answer or a 503 the jobs may exist, and a retry would
        // make them twice.
        let answer: Value = self.json("POST", "/v1/jobs", Some(&body), idempotency_key, None)?;
        let list = match jobs {
            [_] => Value::Array(vec![answer]),
            _ => answer["jobs"].clone(),
        };
        serde_json::from_value(list).map_err(|e| bad_answer("POST /v1/jobs", e))
    }

    /// A job's status.
    pub fn status(&self, id: JobId) -> Result<JobStatus, ClientError> {
        let answer = self.json("GET", &format!("/v1/jobs/{id}"), None, None, Some(id))?;
        serde_json::from_value(answer).map_err(|e| bad_answer("GET /v1/jobs/{id}", e))
    }

    /// Polls job `id` until it is done or failed (a failed job is an answer here, not an
    /// error), calling `on_status` with each status read. Gives up with
    /// [`ClientError::Timeout`] once `limit` has passed since `started`. The pause between
    /// polls doubles from 20 ms to 500 ms.
    pub fn wait(
        &self,
        id: JobId,
        started: Instant,
        limit: Option<Duration>,
        mut on_status: impl FnMut(&JobStatus),
    ) -> Result<JobStatus, ClientError> {
        let mut pause = Duration::from_millis(20);
        loop {
            let status = self.status(id)?;
            on_status(&status);
            if status.is_finished() {
                return Ok(status);
            }
            if let Some(limit) = limit
                && started.elapsed() >= limit
            {
                return Err(ClientError::Timeout {
                    id,
                    waited: started.elapsed(),
                });
            }
            std::thread::sleep(pause);
            pause = (pause * 2).min(Duration::from_millis(500));
        }
    }

    /// A done job's receipt envelope bytes (a 409 [`ClientError::Conflict`] while not done).
    pub fn receipt_bytes(&self, id: JobId) -> Result<Vec<u8>, ClientError> {
        let answer = self.call("GET", &format!("/v1/jobs/{id}/receipt"), None, None)?;
        if answer.status == 200 {
            return Ok(answer.body);
        }
        Err(error_of(&answer, Some(id)))
    }

    /// `GET /healthz`: the service's health (`status`, `queued`, `running`); a degraded
    /// service (503) is [`ClientError::Unavailable`] once the retries are spent.
    pub fn health(&self) -> Result<Value, ClientError> {
        self.json("GET", "/healthz", None, None, None)
    }

    /// `POST /v1/aggregates`: the service's JSON answer (root, the aggregate file as hex, and
    /// with `publish` the blobs).
    pub fn aggregate(&self, ids: &[JobId], publish: bool) -> Result<Value, ClientError> {
        let body = json!({ "jobs": ids, "publish": publish });
        self.json("POST", "/v1/aggregates", Some(&body), None, None)
    }

    /// A call whose answer is JSON; a non-2xx answer is the error it means.
    fn json(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
        idempotency_key: Option<&str>,
        id: Option<JobId>,
    ) -> Result<Value, ClientError> {
        let answer = self.call(method, path, body, idempotency_key)?;
        if !(200..300).contains(&answer.status) {
            return Err(error_of(&answer, id));
        }
        serde_json::from_slice(&answer.body).map_err(|e| bad_answer(path, e))
    }

    /// Sends a request, again after a failure that waiting may cure (unreachable, 503, 429 with
    /// `Retry-After`), at most `retries` times more. A submit without an idempotency key is
    /// repeated only after a 429 (nothing was stored).
    fn call(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
        idempotency_key: Option<&str>,
    ) -> Result<Answer, ClientError> {
        let mut pause = Duration::from_millis(200);
        let mut attempt = 0;
        loop {
            let result = self.once(method, path, body, idempotency_key);
            let repeatable = method == "GET" || path != "/v1/jobs" || idempotency_key.is_some();
            let retry = match &result {
                Err(e) if repeatable && e.is_retryable() => Some(pause),
                Ok(a) if repeatable && a.status == 503 => Some(a.retry_after.unwrap_or(pause)),
                Ok(a) if a.status == 429 && a.retry_after.is_some() => a.retry_after,
                _ => None,
            };
            match retry {
                Some(wait) if attempt < self.retries => {
                    std::thread::sleep(wait.min(MAX_BACKOFF));
                    pause = (pause * 2).min(MAX_BACKOFF);
                    attempt += 1;
                }
                _ => return result,
            }
        }
    }

    /// Sends a request once.
    fn once(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
        idempotency_key: Option<&str>,
    ) -> Result<Answer, ClientError> {
        let url = format!("{}{path}", self.base);
        let sent = if method == "POST" {
            let mut request = self.agent.post(&url);
            if let Some(key) = idempotency_key {
                request = request.header(l2x_api::IdempotencyKey::HEADER, key);
            }
            if let Some(authorization) = &self.authorization {
                request = request.header("Authorization", authorization);
            }
            request.send_json(body.unwrap_or(&Value::Null))
        } else {
            let mut request = self.agent.get(&url);
            if let Some(authorization) = &self.authorization {
                request = request.header("Authorization", authorization);
            }
            request.call()
        };
        let transport = |e: ureq::Error| ClientError::Transport {
            server: self.base.clone(),
            retryable: passing(&e),
            message: e.to_string(),
        };
        let mut response = sent.map_err(transport)?;
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let body = response
            .body_mut()
            .with_config()
            .limit(MAX_ANSWER)
            .read_to_vec()
            .map_err(transport)?;
        Ok(Answer {
            status,
            retry_after,
            body,
        })
    }
}

/// Whether a transport failure may pass: the connection was refused, reset or timed out — not
/// a TLS failure (an untrusted certificate stays untrusted) nor a malformed exchange.
fn passing(e: &ureq::Error) -> bool {
    use std::io::ErrorKind;
    match e {
        ureq::Error::Timeout(_) | ureq::Error::ConnectionFailed | ureq::Error::HostNotFound => true,
        ureq::Error::Io(io) => matches!(
            io.kind(),
            ErrorKind::ConnectionRefused
                | ErrorKind::ConnectionReset
                | ErrorKind::ConnectionAborted
                | ErrorKind::BrokenPipe
                | ErrorKind::TimedOut
                | ErrorKind::UnexpectedEof
                | ErrorKind::NotConnected
                | ErrorKind::Interrupted
        ),
        _ => false,
    }
}

/// The error a non-2xx answer means.
fn error_of(answer: &Answer, id: Option<JobId>) -> ClientError {
    let body: Value = serde_json::from_slice(&answer.body).unwrap_or_else(|_| {
        json!({ "error": String::from_utf8_lossy(&answer.body).chars().take(200).collect::<String>() })
    });
    ClientError::from_answer(answer.status, &body, id, answer.retry_after)
}

fn bad_answer(path: &str, e: serde_json::Error) -> ClientError {
    ClientError::Service {
        status: 200,
        message: format!("{path}: an answer this client cannot read: {e}"),
    }
}

/// The TLS settings: the public roots (Mozilla's, compiled in), or only the configured CA
/// certificate.
fn tls(config: &RemoteConfig) -> Result<ureq::tls::TlsConfig, ClientError> {
    let builder = ureq::tls::TlsConfig::builder();
    let Some(file) = &config.ca_cert else {
        return Ok(builder.build());
    };
    let config_error =
        |why: String| ClientError::Config(format!("CA certificate {}: {why}", file.display()));
    let pem = std::fs::read(file).map_err(|e| config_error(e.to_string()))?;
    let certs = ureq::tls::parse_pem(&pem)
        .filter_map(|item| match item {
            Ok(ureq::tls::PemItem::Certificate(cert)) => Some(Ok(cert)),
            Ok(_) => None,
            Err(e) => Some(Err(e)),
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| config_error(e.to_string()))?;
    if certs.is_empty() {
        return Err(config_error("no PEM certificate in the file".into()));
    }
    Ok(builder
        .root_certs(ureq::tls::RootCerts::new_with_certs(&certs))
        .build())
}
