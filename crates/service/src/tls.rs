//! TLS for the service: a rustls server configuration from PEM files.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// Why a TLS configuration could not be made, naming the file.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// The certificate file could not be read or holds no certificate.
    #[error("--tls-cert {path}: {why}")]
    Certificate {
        /// The file.
        path: PathBuf,
        /// Why.
        why: String,
    },
    /// The key file could not be read or holds no private key.
    #[error("--tls-key {path}: {why}")]
    Key {
        /// The file.
        path: PathBuf,
        /// Why.
        why: String,
    },
    /// rustls refused the pair (a key that does not match the certificate, say).
    #[error("TLS: {0}")]
    Config(#[from] rustls::Error),
}

/// The server configuration of a certificate chain (`cert`, PEM, leaf first) and its private
/// key (`key`, PEM: PKCS#8, PKCS#1 or SEC1), on rustls' ring provider, offering HTTP/1.1.
pub fn server_config(cert: &Path, key: &Path) -> Result<Arc<rustls::ServerConfig>, TlsError> {
    let certificate = |why: String| TlsError::Certificate {
        path: cert.to_owned(),
        why,
    };
    let chain = CertificateDer::pem_file_iter(cert)
        .map_err(|e| certificate(e.to_string()))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| certificate(e.to_string()))?;
    if chain.is_empty() {
        return Err(certificate("no PEM certificate in the file".into()));
    }
    let private = PrivateKeyDer::from_pem_file(key).map_err(|e| TlsError::Key {
        path: key.to_owned(),
        why: e.to_string(),
    })?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(chain, private)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}
