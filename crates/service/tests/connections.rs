//! The service on a real socket against clients that hold connections: idle sockets beyond the
//! cap, headers or a body sent a byte at a time, a body or a head over its limit, a client that
//! does not read its answers. Every wait is
//! bounded (a bound turns a hang into a failure); the service's deadlines are a second here and
//! the clients wait for it as long as it takes (the bounds, minutes, only turn a hang into a
//! failure), so no timing decides a test.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use l2x_executor::Executor;
use l2x_jobs::{JobStore, SqliteStore};
use l2x_service::{Limits, LocalService, WorkerConfig};

/// A service on a loopback port, stopped on drop.
struct Server {
    address: SocketAddr,
    _service: LocalService,
    _dir: tempfile::TempDir,
}

impl Server {
    fn start(limits: Limits) -> Self {
        let dir = tempfile::tempdir().expect("temporary directory");
        let store: Arc<dyn JobStore> = Arc::new(SqliteStore::open(dir.path()).expect("store"));
        let executor = Executor::builder()
            .allow_dev_receipts(true)
            .threads(1)
            .build()
            .expect("executor");
        let service =
            LocalService::start(store, executor, WorkerConfig::new(1), limits).expect("service");
        Self {
            address: service.address(),
            _service: service,
            _dir: dir,
        }
    }

    fn connect(&self) -> TcpStream {
        let stream = TcpStream::connect(self.address).expect("connect");
        stream.set_read_timeout(Some(HANG)).expect("read timeout");
        stream
    }

    /// Sends one request on a new connection and reads the whole answer: the status and the
    /// body, or `None` if the connection was closed or reset first.
    fn exchange(&self, request: &[u8]) -> Option<(u16, String)> {
        let mut stream = TcpStream::connect(self.address).ok()?;
        stream.set_read_timeout(Some(HANG)).ok()?;
        stream.write_all(request).ok()?;
        answer(&mut stream)
    }
}

/// Reads an answer to its end: the status and the body.
fn answer(stream: &mut TcpStream) -> Option<(u16, String)> {
    let mut bytes = Vec::new();
    let _ = stream.read_to_end(&mut bytes);
    let text = String::from_utf8_lossy(&bytes);
    let status = text.split(' ').nth(1)?.parse().ok()?;
    let body = text
        .split_once("\r\n\r\n")
        .map_or("", |(_, b)| b)
        .to_owned();
    Some((status, body))
}

/// Whether the server closed `stream` (end of stream, or reset) within the read timeout.
fn closed_by_server(stream: &mut TcpStream) -> bool {
    let mut byte = [0u8; 1];
    match stream.read(&mut byte) {
        Ok(0) => true,
        Ok(_) => false,
        Err(e) => !matches!(
            e.kind(),
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
        ),
    }
}

/// How long a client waits before calling the service hung: far beyond its one-second deadlines.
const HANG: Duration = Duration::from_secs(300);

fn limits() -> Limits {
    Limits {
        max_body: 4096,
        body_timeout: Duration::from_secs(1),
        header_timeout: Duration::from_secs(1),
        max_connections: 8,
        ..Limits::default()
    }
}

/// [`limits`] with deadlines no request here can reach: for the tests of sizes, whose answers
/// must not turn into a 408 when a loaded machine keeps the service waiting a second.
fn size_limits() -> Limits {
    Limits {
        body_timeout: HANG,
        header_timeout: HANG,
        ..limits()
    }
}

const HEALTH: &[u8] = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";

fn submit(job: &str) -> Vec<u8> {
    format!(
        "POST /v1/jobs HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{job}",
        job.len()
    )
    .into_bytes()
}

#[test]
fn idle_connections_beyond_the_cap_cannot_stop_the_service_answering() {
    let server = Server::start(limits());
    let mut idle: Vec<TcpStream> = (0..40).map(|_| server.connect()).collect();
    // Those within the cap are closed at their header deadline, those beyond it at once; a
    // client that retries gets through.
    let deadline = Instant::now() + HANG;
    let health = loop {
        if let Some((200, body)) = server.exchange(HEALTH) {
            break body;
        }
        assert!(Instant::now() < deadline, "the service never answered");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(health.contains("\"ok\""), "{health}");
    let (status, body) = server
        .exchange(&submit(r#"{"program": "fibonacci", "input": "5"}"#))
        .expect("an answer");
    assert_eq!(status, 201, "{body}");
    for (i, stream) in idle.iter_mut().enumerate() {
        assert!(closed_by_server(stream), "idle connection {i} still open");
    }
}

/// Sends `head`, then `byte` every 100 ms until the server answers or closes the connection
/// (however long that takes, up to [`HANG`]); returns what a reader of the connection saw.
fn trickle<T: Send + 'static>(
    server: &Server,
    head: &[u8],
    byte: &[u8],
    read: fn(&mut TcpStream) -> T,
) -> T {
    let mut stream = server.connect();
    stream.write_all(head).expect("write");
    let reader = {
        let mut stream = stream.try_clone().expect("clone");
        std::thread::spawn(move || read(&mut stream))
    };
    let hung = Instant::now() + HANG;
    while !reader.is_finished() && stream.write_all(byte).is_ok() {
        assert!(Instant::now() < hung, "the slow client was never cut off");
        std::thread::sleep(Duration::from_millis(100));
    }
    reader.join().expect("reader")
}

#[test]
fn headers_sent_a_byte_at_a_time_are_cut_off() {
    let server = Server::start(limits());
    let head = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ";
    let closed = trickle(&server, head, b"a", closed_by_server);
    assert!(closed, "the connection was closed");
}

#[test]
fn a_body_sent_a_byte_at_a_time_gets_408() {
    let server = Server::start(limits());
    let head = b"POST /v1/jobs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 4000\r\n\r\n{";
    let (status, body) = trickle(&server, head, b" ", answer).expect("an answer");
    assert_eq!(status, 408, "{body}");
    assert!(body.contains("\"error\""), "{body}");
}

#[test]
fn a_chunked_body_over_the_limit_gets_413() {
    let server = Server::start(size_limits());
    let mut request = b"POST /v1/jobs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    for _ in 0..10 {
        request.extend_from_slice(format!("400\r\n{}\r\n", " ".repeat(0x400)).as_bytes());
    }
    request.extend_from_slice(b"0\r\n\r\n");
    let (status, body) = server.exchange(&request).expect("an answer, not a reset");
    assert_eq!(status, 413, "{body}");
    assert!(body.contains("over the limit of 4096 bytes"), "{body}");
}

#[test]
fn a_head_over_its_limit_gets_431() {
    let server = Server::start(size_limits());
    let mut request = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ".to_vec();
    request.extend(std::iter::repeat_n(b'a', 80 << 10));
    request.extend_from_slice(b"\r\nConnection: close\r\n\r\n");
    let (status, _) = server.exchange(&request).expect("an answer, not a reset");
    assert_eq!(status, 431);
}

#[test]
fn a_client_that_stops_reading_is_disconnected() {
    // One connection at a time: while the stalled one is open, every other is closed on accept.
    let server = Server::start(Limits {
        max_connections: 1,
        write_timeout: Duration::from_secs(1),
        ..limits()
    });
    // 4,000 pipelined requests for the 10 KiB OpenAPI document: 40 MiB of answers, far more
    // than the sockets' buffers hold, and the client reads none of it.
    let request = b"GET /v1/openapi.json HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    let mut stalled = server.connect();
    let requests: Vec<u8> = request.repeat(4000);
    let writer = {
        let mut stream = stalled.try_clone().expect("clone");
        std::thread::spawn(move || stream.write_all(&requests))
    };
    // The service answers others again once it has dropped the stalled connection.
    let hung = Instant::now() + HANG;
    while !matches!(server.exchange(HEALTH), Some((200, _))) {
        assert!(
            Instant::now() < hung,
            "the stalled client was never disconnected"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = writer.join();
    let mut received = Vec::new();
    let _ = stalled.read_to_end(&mut received);
    let answered = received
        .windows(b"HTTP/1.1 200".len())
        .filter(|w| w == b"HTTP/1.1 200")
        .count();
    assert!(answered < 4000, "all {answered} answers arrived");
}
