//! What can go wrong talking to a service, typed so that a caller can act on it.

use std::time::Duration;

use l2x_api::JobId;

/// Why a call to the service failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ClientError {
    /// The configuration is unusable (an unknown `L2X_PROVER`, no server, an unreadable CA).
    #[error("configuration: {0}")]
    Config(String),
    /// The service could not be reached, or the connection failed (after the retries, when
    /// waiting may cure it: refused, reset, timed out — not a certificate that is not trusted).
    #[error("cannot reach the service at {server}: {message}")]
    Transport {
        /// The service's address.
        server: String,
        /// What failed.
        message: String,
        /// Whether trying again later may succeed.
        retryable: bool,
    },
    /// 401: the API key is missing, unknown or revoked (the service does not say which).
    #[error("the service refused the API key (401): {0}")]
    Unauthorized(String),
    /// 404: no such job for this key (another key's job reads the same).
    #[error("no job {id} for this key (404)")]
    NotFound {
        /// The job.
        id: JobId,
    },
    /// 429: over one of the key's quotas; nothing was stored.
    #[error("over the key's quota {quota} (429): {message}")]
    OverQuota {
        /// The quota: `max_queued`, `per_minute` or `max_job_memory`.
        quota: String,
        /// When to try again, if waiting helps (not for `max_job_memory`).
        retry_after: Option<Duration>,
        /// The service's words.
        message: String,
    },
    /// 400, 413, 415, 422: the request is at fault; `field` names the part (`jobs[3].input`).
    #[error("the service refused the request ({status}{}): {message}", field.as_ref().map(|f| format!(", field {f}")).unwrap_or_default())]
    Invalid {
        /// The HTTP status.
        status: u16,
        /// The field at fault, if one is.
        field: Option<String>,
        /// The service's words.
        message: String,
    },
    /// 409: the job is not done (a receipt asked too early), or an idempotency key was used for
    /// a different job.
    #[error("conflict (409): {0}")]
    Conflict(String),
    /// 503 (after the retries): the service is overloaded or its store cannot write.
    #[error("the service is unavailable (503): {0}")]
    Unavailable(String),
    /// Another answer.
    #[error("the service answered {status}: {message}")]
    Service {
        /// The HTTP status.
        status: u16,
        /// Its words, or what was wrong with the answer.
        message: String,
    },
    /// The job ran and failed for good.
    #[error("job {id} failed: {error}")]
    JobFailed {
        /// The job.
        id: JobId,
        /// Why, as the service recorded it.
        error: String,
    },
    /// The job did not finish within the configured wait.
    #[error("job {id} was not done after {waited:?}")]
    Timeout {
        /// The job.
        id: JobId,
        /// How long this client waited.
        waited: Duration,
    },
    /// The service sent a receipt this client cannot read.
    #[error("job {id}: the receipt does not decode: {message}")]
    BadReceipt {
        /// The job.
        id: JobId,
        /// Why.
        message: String,
    },
}

impl ClientError {
    /// The error a non-2xx answer means: `body` is the service's JSON error object.
    pub(crate) fn from_answer(
        status: u16,
        body: &serde_json::Value,
        id: Option<JobId>,
        retry_after: Option<Duration>,
    ) -> Self {
        let message = body["error"].as_str().unwrap_or("no message").to_owned();
        let field = body["field"].as_str().map(str::to_owned);
        match (status, id) {
            (401, _) => Self::Unauthorized(message),
            (404, Some(id)) => Self::NotFound { id },
            (429, _) => Self::OverQuota {
                quota: body["quota"].as_str().unwrap_or("unknown").to_owned(),
                retry_after,
                message,
            },
            (400 | 413 | 415 | 422, _) => Self::Invalid {
                status,
                field,
                message,
            },
            (409, _) => Self::Conflict(message),
            (503, _) => Self::Unavailable(message),
            _ => Self::Service { status, message },
        }
    }

    /// Whether the same call may succeed if made again later: the service was unreachable,
    /// unavailable, or over a quota that waiting refills.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Transport { retryable, .. } => *retryable,
            Self::Unavailable(_) => true,
            Self::OverQuota { retry_after, .. } => retry_after.is_some(),
            _ => false,
        }
    }
}
