//! What stands between the network and the handlers: the `Host` check (DNS rebinding), the
//! request body read whole under a size limit and a deadline, the handler's own deadline, and
//! every error answered as the API's JSON object (also those axum and the layers make: 405,
//! bad paths, timeouts).

use std::net::{Ipv4Addr, Ipv6Addr};
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http_body_util::BodyExt;
use serde_json::json;

use super::ApiError;

/// Which `Host` headers the API answers.
///
/// A web page the operator opens can make the browser send requests to the service; a page
/// served from a name the attacker controls can even read the answers once that name resolves to
/// the service's address (DNS rebinding). Such requests carry the attacker's name in `Host`. So
/// the API answers an IP address (`127.0.0.1:8080`, `[::1]:8080`), `localhost`, and the names
/// the operator lists; any other name gets 421. A request without `Host` (HTTP/1.0) passes: no
/// browser sends one.
#[derive(Debug, Clone, Default)]
pub struct AllowedHosts {
    /// Names the service is reached by, besides IP addresses and `localhost` (a reverse proxy's
    /// or a DNS name: `prover.internal`).
    pub names: Vec<String>,
    /// Answer every `Host` (behind a proxy that checks it).
    pub any: bool,
}

impl AllowedHosts {
    /// Whether a `Host` header value may be answered.
    pub fn allows(&self, host: &[u8]) -> bool {
        if self.any {
            return true;
        }
        let Ok(host) = std::str::from_utf8(host) else {
            return false;
        };
        let name = match host.strip_prefix('[') {
            Some(rest) => {
                return rest
                    .split_once(']')
                    .is_some_and(|(ip, port)| ip.parse::<Ipv6Addr>().is_ok() && port_ok(port));
            }
            None => match host.rsplit_once(':') {
                Some((name, port)) if port_ok(&format!(":{port}")) => name,
                Some(_) => return false,
                None => host,
            },
        };
        name.parse::<Ipv4Addr>().is_ok()
            || name.eq_ignore_ascii_case("localhost")
            || self.names.iter().any(|n| n.eq_ignore_ascii_case(name))
    }
}

/// `""` or `:` and a decimal port.
fn port_ok(port: &str) -> bool {
    port.is_empty()
        || port
            .strip_prefix(':')
            .is_some_and(|p| !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()))
}

/// Refuses a request whose `Host` is not allowed (421 Misdirected Request).
pub(super) async fn check_host(
    State(hosts): State<Arc<AllowedHosts>>,
    request: Request,
    next: Next,
) -> Response {
    match request.headers().get(header::HOST) {
        Some(host) if !hosts.allows(host.as_bytes()) => ApiError::field(
            StatusCode::MISDIRECTED_REQUEST,
            "Host",
            format!(
                "Host: {:?} is not a name of this service (allow it with --allowed-host)",
                String::from_utf8_lossy(host.as_bytes())
            ),
        )
        .into_response(),
        _ => next.run(request).await,
    }
}

/// How a request body is read.
#[derive(Debug, Clone, Copy)]
pub(super) struct BodyLimits {
    /// The largest body, in bytes.
    pub(super) max: usize,
    /// The longest the whole body may take to arrive.
    pub(super) timeout: Duration,
}

/// Reads the request body whole before the handler runs: at most `max` bytes (413), arriving
/// within `timeout` (408), so a client sending one byte a second cannot hold a handler. A body
/// over the limit is read on and dropped, up to three times the limit within the deadline, so
/// that the client can read the 413 instead of a reset connection.
pub(super) async fn read_body(
    State(limits): State<BodyLimits>,
    request: Request,
    next: Next,
) -> Response {
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limits.max as u64) {
        return too_large(limits.max);
    }
    let (parts, mut body) = request.into_parts();
    let deadline = tokio::time::Instant::now() + limits.timeout;
    let (mut bytes, mut seen) = (Vec::new(), 0usize);
    loop {
        let frame = match tokio::time::timeout_at(deadline, body.frame()).await {
            Err(_) => return closing(too_slow(limits.timeout)),
            Ok(None) => break,
            Ok(Some(Err(e))) => {
                return closing(ApiError::new(
                    StatusCode::BAD_REQUEST,
                    format!("cannot read the request body: {e}"),
                ));
            }
            Ok(Some(Ok(frame))) => frame,
        };
        let Ok(data) = frame.into_data() else {
            continue;
        };
        seen = seen.saturating_add(data.len());
        if seen <= limits.max {
            bytes.extend_from_slice(&data);
        } else if seen > limits.max.saturating_mul(3) {
            break;
        }
    }
    if seen > limits.max {
        return too_large(limits.max);
    }
    next.run(Request::from_parts(parts, Body::from(Bytes::from(bytes))))
        .await
}

fn too_large(max: usize) -> Response {
    closing(ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!("the request body is over the limit of {max} bytes"),
    ))
}

fn too_slow(timeout: Duration) -> ApiError {
    ApiError::new(
        StatusCode::REQUEST_TIMEOUT,
        format!(
            "the request body did not arrive within {} s",
            timeout.as_secs_f64()
        ),
    )
}

/// An error answer that also closes the connection (its request body may be unread).
fn closing(error: ApiError) -> Response {
    let mut response = error.into_response();
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

/// Whether headers declare a JSON body.
pub(super) fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|media| media.trim().eq_ignore_ascii_case("application/json"))
}

/// Answers 503 (with `Retry-After`) for a request whose handling, once its body has arrived,
/// takes longer than `limit`; the handler is dropped, and work it handed to a thread is bounded
/// by the same deadline.
pub(super) async fn deadline(
    State(limit): State<Duration>,
    request: Request,
    next: Next,
) -> Response {
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "the request was not handled within {} s (--request-timeout); retry later",
                limit.as_secs_f64()
            ),
        )
        .retry_later()
        .into_response(),
    }
}

/// Turns every error answer that is not the API's JSON object into one: `{"error": ...}` with
/// the text axum gave (a bad path) or the status's reason (405, with the allowed methods).
pub(super) async fn json_errors(response: Response) -> Response {
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) || is_json(response.headers()) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let text = match axum::body::to_bytes(body, 64 << 10).await {
        Ok(bytes) => String::from_utf8_lossy(&bytes).trim().to_owned(),
        Err(_) => String::new(),
    };
    let reason = status.canonical_reason().unwrap_or("error").to_lowercase();
    let mut message = if text.is_empty() { reason } else { text };
    if let Some(allow) = parts
        .headers
        .get(header::ALLOW)
        .and_then(|v| v.to_str().ok())
    {
        message = format!("{message}: this route takes {allow}");
    }
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    let body = json!({ "error": message }).to_string();
    Response::from_parts(parts, Body::from(body))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tower::ServiceExt;

    #[tokio::test]
    async fn a_request_not_handled_by_its_deadline_gets_503() {
        let router = axum::Router::new()
            .route("/", axum::routing::get(std::future::pending::<()>))
            .layer(axum::middleware::from_fn_with_state(
                Duration::from_millis(10),
                deadline,
            ));
        let request = axum::http::Request::new(Body::empty());
        let response = router.oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers()[header::RETRY_AFTER], "5");
        let body = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .unwrap();
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert!(
            body["error"]
                .as_str()
                .unwrap()
                .contains("--request-timeout"),
            "{body}"
        );
    }

    #[test]
    fn hosts_are_addresses_localhost_or_listed_names() {
        let hosts = AllowedHosts {
            names: vec!["prover.internal".into()],
            any: false,
        };
        for ok in [
            "127.0.0.1:8080",
            "10.0.0.7",
            "[::1]:8080",
            "[::1]",
            "localhost:8080",
            "LOCALHOST",
            "prover.internal:443",
        ] {
            assert!(hosts.allows(ok.as_bytes()), "{ok}");
        }
        for bad in [
            "evil.example:8080",
            "evil.example",
            "127.0.0.1.evil.example",
            "localhost.evil.example",
            "[::1]evil",
            "[not-an-ip]:80",
            "localhost:80x",
            "localhost:",
            "",
        ] {
            assert!(!hosts.allows(bad.as_bytes()), "{bad}");
        }
        assert!(
            AllowedHosts {
                names: vec![],
                any: true
            }
            .allows(b"evil.example")
        );
    }
}
