//! A served `l2x` process and an HTTP client for it, shared by the service's CLI tests.
#![allow(dead_code)] // each test crate uses its own subset

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// A started `l2x` process that is killed when dropped.
pub struct Process {
    /// The process.
    pub child: Child,
    /// The JSON line it printed at start.
    pub banner: Value,
}

impl Process {
    /// Starts `l2x ARGS --json` (dev mode off, warnings logged to stderr) and reads its start-up
    /// line.
    pub fn start(args: &[&str]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_l2x"))
            .args(args)
            .arg("--json")
            .env_remove("L2X_DEV_MODE")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("l2x starts");
        let mut line = String::new();
        let stdout = child.stdout.take().expect("piped stdout");
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("a start-up line");
        let banner = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line:?}"));
        Self { child, banner }
    }

    /// Kills it (SIGKILL) and waits for it.
    pub fn kill(&mut self) {
        let _ = self.child.kill(); // SIGKILL
        let _ = self.child.wait();
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.kill();
    }
}

/// How long a wait may take before it counts as a hang: it only turns a hang into a failure, so
/// it is far beyond anything these tests wait for, on any machine.
const HANG: Duration = Duration::from_secs(600);

/// An HTTP client that returns error statuses as answers ([`HANG`] at most per request).
pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(HANG))
        .build()
        .into()
}

/// `GET base+path`, read as JSON whatever its status.
pub fn get_json(base: &str, path: &str) -> Value {
    agent()
        .get(format!("{base}{path}"))
        .call()
        .unwrap()
        .body_mut()
        .read_json()
        .unwrap()
}

/// Waits (a logic wait, bounded only to turn a hang into a failure) until `done` holds.
pub fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + HANG;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}
