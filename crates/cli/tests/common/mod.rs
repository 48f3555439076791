//! Helpers shared by the CLI's integration tests: run the binary, read what it printed.
#![allow(dead_code)] // each test crate uses its own subset

use std::process::{Command, Output};

use serde_json::Value;

/// Runs `l2x` with these arguments (and never an inherited `L2X_DEV_MODE`).
pub fn l2x(args: &[&str]) -> Output {
    l2x_env(args, &[])
}

/// Runs `l2x` with these environment variables (and never an inherited `L2X_DEV_MODE`).
pub fn l2x_env(args: &[&str], vars: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_l2x"))
        .args(args)
        .env_remove("L2X_DEV_MODE")
        .envs(vars.iter().copied())
        .output()
        .expect("the l2x binary runs")
}

/// What the command printed on stdout.
pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// What the command printed on stderr.
pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Stdout as one JSON value (a test failure if it is not).
pub fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", stdout(out)))
}
