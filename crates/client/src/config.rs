//! Where a remote prover is and how to reach it: from code or from the environment.

use std::path::PathBuf;
use std::time::Duration;

use l2x_core::BackendId;

use crate::ClientError;

/// The variable naming the service (`https://prover.example:8443`).
pub const SERVER_VAR: &str = "L2X_SERVER";
/// The variable holding the API key.
pub const API_KEY_VAR: &str = "L2X_API_KEY";
/// The variable naming a CA certificate (PEM) to trust instead of the public roots.
pub const CA_CERT_VAR: &str = "L2X_CA_CERT";
/// The variable choosing local or remote proving: `local` (the default) or `remote`.
pub const PROVER_VAR: &str = "L2X_PROVER";
/// The variable naming the backend jobs are proven on (`stark`, …); unset: the executor's or
/// the service's default.
pub const BACKEND_VAR: &str = "L2X_BACKEND";

/// How to reach a service.
#[derive(Debug, Clone)]
pub struct RemoteConfig {
    /// The service's base URL (`http://127.0.0.1:8080`, `https://…`).
    pub server: String,
    /// The API key, sent as `Authorization: Bearer` (a service without keys needs none).
    pub api_key: Option<String>,
    /// A CA certificate (PEM) trusted instead of the public roots: a private CA's, or a
    /// self-signed service certificate.
    pub ca_cert: Option<PathBuf>,
    /// The backend jobs are proven on (`None`: the service's default).
    pub backend: Option<BackendId>,
    /// The longest one HTTP call may take.
    pub request_timeout: Duration,
    /// Times a call is made again after the service was unreachable, unavailable (503) or
    /// over a quota that waiting refills (429 with `Retry-After`).
    pub retries: u32,
    /// The longest [`RemoteProver::prove`](crate::RemoteProver::prove) waits for a job
    /// (`None`: as long as it takes).
    pub wait: Option<Duration>,
}

impl RemoteConfig {
    /// A service at `server`, without a key, with the defaults: a minute per call, 5 retries,
    /// no bound on waiting.
    pub fn new(server: impl Into<String>) -> Self {
        Self {
            server: server.into(),
            api_key: None,
            ca_cert: None,
            backend: None,
            request_timeout: Duration::from_secs(60),
            retries: 5,
            wait: None,
        }
    }

    /// The service `L2X_SERVER` names, with `L2X_API_KEY`, `L2X_CA_CERT` and `L2X_BACKEND`.
    pub fn from_env() -> Result<Self, ClientError> {
        let server = var(SERVER_VAR)?.ok_or_else(|| {
            ClientError::Config(format!(
                "{SERVER_VAR} is not set: name the service, https://host:port"
            ))
        })?;
        let mut config = Self::new(server);
        config.api_key = api_key_from_env()?;
        config.ca_cert = var(CA_CERT_VAR)?.map(PathBuf::from);
        config.backend = backend_from_env()?;
        Ok(config)
    }

    /// With this API key.
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.api_key = Some(key.into());
        self
    }

    /// Proving on this backend.
    pub fn backend(mut self, backend: BackendId) -> Self {
        self.backend = Some(backend);
        self
    }
}

/// The API key `L2X_API_KEY` holds, trimmed; `None` when it is unset or empty.
pub fn api_key_from_env() -> Result<Option<String>, ClientError> {
    var(API_KEY_VAR)
}

/// A variable's value, trimmed; `None` when unset or empty.
pub(crate) fn var(name: &str) -> Result<Option<String>, ClientError> {
    match std::env::var(name) {
        Ok(value) if value.trim().is_empty() => Ok(None),
        Ok(value) => Ok(Some(value.trim().to_owned())),
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(_)) => {
            Err(ClientError::Config(format!("{name} is not UTF-8")))
        }
    }
}

/// The backend `L2X_BACKEND` names, if it is set.
pub(crate) fn backend_from_env() -> Result<Option<BackendId>, ClientError> {
    var(BACKEND_VAR)?
        .map(|name| {
            name.parse::<BackendId>()
                .map_err(|e| ClientError::Config(format!("{BACKEND_VAR}: {e}")))
        })
        .transpose()
}
