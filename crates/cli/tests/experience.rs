//! What a user meets first: `--json` errors from every command, help texts, logs.
#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod common;

use common::{l2x, l2x_env, stderr, stdout};
use serde_json::Value;

/// Every command, made to fail, with `--json`: one JSON object on stdout naming the error and
/// the exit code the process ends with, and nothing else on stdout.
#[test]
fn every_command_reports_errors_as_one_json_object() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing");
    let missing = missing.to_str().unwrap();
    let cases: &[(&[&str], &str)] = &[
        (&["programs", "--json", "--bogus"], "--bogus"),
        (
            &["run", "fibonacci", "--input", "007", "--json"],
            "canonical decimal",
        ),
        (
            &["run", "nope", "--input", "1", "--json"],
            "unknown program 'nope'",
        ),
        (
            &["prove", "fibonacci", "--input", "x", "--json"],
            "invalid input for fibonacci",
        ),
        (
            &[
                "prove",
                "fibonacci",
                "--input",
                "5",
                "--backend",
                "plonk",
                "--json",
            ],
            "possible values: trace, stark, stark-zk",
        ),
        (&["verify", missing, "--json"], "missing"),
        (&["batch", missing, "--json"], "missing"),
        (&["aggregate", missing, "-o", "x.l2xa", "--json"], "missing"),
        (&["verify-aggregate", missing, "--json"], "missing"),
        (
            &["da", "encode", missing, "-o", "x.blobs", "--json"],
            "missing",
        ),
        (
            &[
                "da",
                "decode",
                "--blob-file",
                missing,
                "-o",
                "x.out",
                "--json",
            ],
            "missing",
        ),
        (&["bench", "--threshold=-1", "--json"], "--threshold"),
        (&["demo", "--backend", "groth16", "--json"], "groth16"),
    ];
    for (args, needle) in cases {
        let out = l2x(args);
        let code = out.status.code();
        assert!(matches!(code, Some(1 | 2)), "{args:?}: exit {code:?}");
        let text = stdout(&out);
        assert_eq!(
            text.lines().count(),
            1,
            "{args:?}: one line on stdout: {text}"
        );
        let value: Value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{args:?}: not JSON ({e}): {text}"));
        let error = value["error"]
            .as_str()
            .unwrap_or_else(|| panic!("{args:?}: {value}"));
        assert!(
            error.contains(needle),
            "{args:?}: {error:?} lacks {needle:?}"
        );
        assert_eq!(
            value["exit_code"].as_u64(),
            code.map(|c| c as u64),
            "{args:?}"
        );
        assert!(!stderr(&out).contains("panicked"), "{args:?}");
    }
}

#[test]
fn without_json_errors_stay_on_stderr() {
    let out = l2x(&["run", "fibonacci", "--input", "007"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stdout(&out).is_empty());
    assert!(stderr(&out).starts_with("error: invalid input for fibonacci"));
}

#[test]
fn help_lists_backends_threads_and_examples() {
    let prove = stdout(&l2x(&["prove", "--help"]));
    for needle in [
        "trace:",
        "stark:",
        "stark-zk:",
        "Examples:",
        "l2x prove sha256 --input abc --backend stark",
    ] {
        assert!(
            prove.contains(needle),
            "prove --help lacks {needle:?}:\n{prove}"
        );
    }
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let batch = stdout(&l2x(&["batch", "--help"]));
    assert!(batch.contains(&format!("[default: {cores}]")), "{batch}");
    assert!(batch.contains("Examples:"), "{batch}");
    let top = stdout(&l2x(&["--help"]));
    assert_eq!(top.matches("RUST_LOG (an EnvFilter").count(), 1, "{top}");
    assert!(top.trim_end().ends_with("\"exit_code\": 2}."), "{top}");
    for command in [
        "programs",
        "run",
        "verify",
        "aggregate",
        "verify-aggregate",
        "da",
        "bench",
        "demo",
    ] {
        let help = stdout(&l2x(&[command, "--help"]));
        assert!(
            help.contains("Examples:\n  l2x "),
            "{command} --help:\n{help}"
        );
        assert!(
            !help.contains("RUST_LOG"),
            "{command}: -v's long text only once"
        );
    }
}

#[test]
fn logs_honour_rust_log_and_have_no_colour_off_a_terminal() {
    let out = l2x_env(
        &["prove", "sha256", "--input", "abc", "--backend", "stark"],
        &[("RUST_LOG", "l2x_stark=info")],
    );
    assert!(out.status.success());
    let err = stderr(&out);
    for span in [
        "prove{program=sha256 backend=stark}:",
        ":witness: ",
        ":preprocess: ",
        ":encode: ",
    ] {
        assert!(err.contains(span), "span {span}:\n{err}");
    }
    assert!(err.contains("close time.busy="), "span times:\n{err}");
    assert!(!err.contains('\u{1b}'), "ANSI escapes on a pipe:\n{err}");
    assert!(
        !err.contains("p3_"),
        "RUST_LOG=l2x_stark=info shows only l2x_stark:\n{err}"
    );
}

/// A store URL's password, given on the command line, by `L2X_STORE` or by `--store-file`, is
/// never printed: not in the error of a store that cannot be reached, nor in `--help`.
#[test]
fn a_store_password_is_never_printed() {
    let dir = tempfile::tempdir().unwrap();
    // Port 1 on loopback: nothing listens, the connection is refused at once.
    let url = "postgres://user:hunter2@127.0.0.1:1/l2x";
    let file = dir.path().join("store");
    std::fs::write(&file, format!("{url}\n")).unwrap();
    let file = file.to_str().unwrap();
    let runs = [
        l2x(&["worker", "--store", url, "--json"]),
        l2x_env(&["worker", "--json"], &[("L2X_STORE", url)]),
        l2x(&["worker", "--store-file", file, "--json"]),
        l2x_env(
            &["serve", "--listen", "127.0.0.1:0", "--json"],
            &[("L2X_STORE", url)],
        ),
    ];
    for out in &runs {
        let (stdout, stderr) = (stdout(out), stderr(out));
        assert_eq!(out.status.code(), Some(2), "{stdout}{stderr}");
        assert!(stdout.contains("user:***@127.0.0.1:1"), "{stdout}");
        assert!(
            !format!("{stdout}{stderr}").contains("hunter2"),
            "{stdout}{stderr}"
        );
    }
    let help = l2x_env(&["serve", "--help"], &[("L2X_STORE", url)]);
    assert!(stdout(&help).contains("L2X_STORE"));
    assert!(!stdout(&help).contains("hunter2"));
    let twice = l2x(&["worker", "--store", url, "--store-file", file, "--json"]);
    assert_eq!(twice.status.code(), Some(2));
    assert!(stdout(&twice).contains("given twice"), "{}", stdout(&twice));
}

/// `serve` on an address other than loopback refuses to start without `--insecure-no-auth`
/// (the API has no authentication), saying why, with exit code 2 — before it opens a store.
#[test]
fn serving_beyond_loopback_needs_an_explicit_flag() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("data");
    for listen in ["0.0.0.0:0", "[::]:0", "192.0.2.1:8080"] {
        let out = l2x(&[
            "serve",
            "--listen",
            listen,
            "--store",
            store.to_str().unwrap(),
            "--json",
        ]);
        assert_eq!(out.status.code(), Some(2), "{listen}");
        let answer: Value = serde_json::from_str(&stdout(&out)).unwrap();
        let error = answer["error"].as_str().unwrap();
        assert!(error.contains("--insecure-no-auth"), "{error}");
        assert!(error.contains("not a loopback address"), "{error}");
    }
    assert!(!store.exists(), "nothing was opened");
}
