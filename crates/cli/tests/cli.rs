//! Runs the `l2x` binary: the happy paths, and every error path's exit code and message.
#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::{json, l2x, l2x_env, stderr, stdout};
use serde_json::Value;

/// Asserts exit code 2, a message on stderr containing `needle`, and no panic text.
fn assert_usage_error(args: &[&str], needle: &str) {
    let out = l2x(args);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
    assert!(
        err.contains(needle),
        "{args:?}: stderr lacks {needle:?}: {err}"
    );
    assert!(
        !err.contains("panicked") && !err.contains("RUST_BACKTRACE"),
        "{args:?}: {err}"
    );
}

fn prove_to(dir: &Path, program: &str, input: &str) -> std::path::PathBuf {
    let path = dir.join(format!("{program}.receipt"));
    let out = l2x(&[
        "prove",
        program,
        "--input",
        input,
        "-o",
        path.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    path
}

#[test]
fn run_prints_json_with_the_contract_fields() {
    let v = json(&l2x(&["run", "fibonacci", "--input", "93", "--json"]));
    assert_eq!(v["program"], "fibonacci");
    assert_eq!(v["output"], "12200160415121876738");
    assert_eq!(v["steps"], 94);
    assert!(v["run_ms"].is_f64());
}

#[test]
fn prove_then_verify_round_trip_in_json() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("abc.receipt");
    let out = l2x(&[
        "prove",
        "sha256",
        "--input",
        "abc",
        "-o",
        path.to_str().unwrap(),
        "--json",
    ]);
    let v = json(&out);
    for key in [
        "program",
        "backend",
        "dev",
        "output",
        "steps",
        "prove_ms",
        "proof_bytes",
        "receipt",
    ] {
        assert!(v.get(key).is_some(), "prove --json lacks {key}: {v}");
    }
    assert_eq!(v["dev"], true);
    assert_eq!(
        v["output"],
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );

    assert_eq!(
        v["security_bits"],
        Value::Null,
        "a dev receipt has no security"
    );

    let out = l2x(&["verify", path.to_str().unwrap(), "--json", "--allow-dev"]);
    assert_eq!(out.status.code(), Some(0));
    let v = json(&out);
    assert_eq!(
        (v["valid"].clone(), v["dev"].clone()),
        (Value::Bool(true), Value::Bool(true))
    );
    assert_eq!(v["backend"], "trace");
    assert_eq!(v["steps"], 64);
    assert!(v["verify_ms"].is_f64());
    assert_eq!(v["security_bits"], Value::Null);
}

#[test]
fn dev_receipts_are_refused_unless_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let path = prove_to(dir.path(), "fibonacci", "5");
    let path = path.to_str().unwrap();
    let out = l2x(&["verify", path]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("proves nothing")
            && err.contains("--allow-dev")
            && err.contains("L2X_DEV_MODE=1"),
        "{err}"
    );
    assert_eq!(l2x(&["verify", path, "--allow-dev"]).status.code(), Some(0));
    let env = [("L2X_DEV_MODE", "1")];
    assert_eq!(l2x_env(&["verify", path], &env).status.code(), Some(0));
    let strict = l2x_env(&["verify", path, "--require-proof"], &env);
    assert_eq!(strict.status.code(), Some(1), "--require-proof wins");
    assert_usage_error(
        &["verify", path, "--allow-dev", "--require-proof"],
        "cannot be used",
    );
}

#[test]
fn verify_binds_the_expected_program_and_public_values() {
    let dir = tempfile::tempdir().unwrap();
    let path = prove_to(dir.path(), "fibonacci", "10");
    let path = path.to_str().unwrap();
    let ok = json(&l2x(&[
        "verify",
        path,
        "--allow-dev",
        "--json",
        "--program",
        "fibonacci",
    ]));
    assert_eq!(ok["valid"], true);
    let values = ok["public_values_hex"].as_str().unwrap().to_owned();
    let exact = l2x(&["verify", path, "--allow-dev", "--public-values", &values]);
    assert_eq!(exact.status.code(), Some(0), "{}", stderr(&exact));
    let other = l2x(&["verify", path, "--allow-dev", "--program", "sha256"]);
    assert_eq!(other.status.code(), Some(1));
    assert!(
        stderr(&other).contains("not 'sha256'"),
        "{}",
        stderr(&other)
    );
    let mut wrong = values.clone().into_bytes();
    wrong[0] = if wrong[0] == b'0' { b'1' } else { b'0' };
    let wrong = String::from_utf8(wrong).unwrap();
    let out = l2x(&["verify", path, "--allow-dev", "--public-values", &wrong]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("expected"), "{}", stderr(&out));
}

#[test]
fn input_hex_and_input_file_give_the_same_receipt_as_text() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("msg");
    std::fs::write(&file, b"abc").unwrap();
    let outputs: Vec<Value> = [
        vec!["--input", "abc"],
        vec!["--input-hex", "0x616263"],
        vec!["--input-file", file.to_str().unwrap()],
    ]
    .iter()
    .map(|input| {
        let mut args = vec!["run", "sha256", "--json"];
        args.extend(input);
        json(&l2x(&args))["output"].clone()
    })
    .collect();
    assert!(outputs.windows(2).all(|w| w[0] == w[1]), "{outputs:?}");
}

#[test]
fn human_output_says_dev_mode() {
    let dir = tempfile::tempdir().unwrap();
    let path = prove_to(dir.path(), "fibonacci", "50");
    let out = l2x(&["verify", path.to_str().unwrap(), "--allow-dev"]);
    assert!(out.status.success());
    let text = stdout(&out);
    assert!(
        text.contains("12586269025") && text.contains("proves nothing"),
        "{text}"
    );
}

#[test]
fn a_tampered_receipt_does_not_verify() {
    let dir = tempfile::tempdir().unwrap();
    let path = prove_to(dir.path(), "fibonacci", "50");
    let mut bytes = std::fs::read(&path).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0x40;
    std::fs::write(&path, &bytes).unwrap();
    let out = l2x(&["verify", path.to_str().unwrap(), "--json", "--allow-dev"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let v = json(&out);
    assert_eq!(v["valid"], false);
    assert!(v["error"].as_str().unwrap().contains("seal"), "{v}");
    assert!(!stderr(&out).contains("panicked"));
}

#[test]
fn unknown_program() {
    assert_usage_error(
        &["run", "keccak9", "--input", "1"],
        "unknown program 'keccak9'",
    );
    assert_usage_error(
        &["prove", "nope", "--input", "1"],
        "known programs: fibonacci, sha256",
    );
}

#[test]
fn bad_number() {
    for bad in ["abc", "-1", "+5", " 5", "5 ", "007"] {
        assert_usage_error(&["run", "fibonacci", "--input", bad], "canonical decimal");
    }
    assert_usage_error(
        &["prove", "fibonacci", "--input", "-1"],
        "canonical decimal",
    );
    assert_usage_error(
        &["run", "fibonacci", "--input", "68719476737"],
        "limit is 68719476736",
    );
    assert_usage_error(
        &["run", "fibonacci", "--input", "99999999999999999999"],
        "n = 99999999999999999999 does not fit in 64 bits",
    );
}

#[test]
fn bad_hex() {
    assert_usage_error(&["run", "sha256", "--input-hex", "zz"], "invalid hex");
    assert_usage_error(&["prove", "sha256", "--input-hex", "abc"], "invalid hex");
}

#[test]
fn missing_input_file() {
    assert_usage_error(
        &["run", "sha256", "--input-file", "/no/such/file"],
        "cannot open input file",
    );
}

#[test]
fn missing_or_conflicting_input_arguments() {
    assert_usage_error(&["run", "sha256"], "required");
    assert_usage_error(
        &["run", "sha256", "--input", "a", "--input-hex", "61"],
        "cannot be used",
    );
}

#[test]
fn missing_receipt_file() {
    assert_usage_error(&["verify", "/no/such/receipt"], "cannot open receipt");
}

#[test]
fn unreadable_receipts() {
    let dir = tempfile::tempdir().unwrap();
    let garbage = dir.path().join("garbage.receipt");
    std::fs::write(&garbage, b"this is not a receipt").unwrap();
    assert_usage_error(&["verify", garbage.to_str().unwrap()], "not an l2x receipt");

    let good = prove_to(dir.path(), "sha256", "hello");
    let bytes = std::fs::read(&good).unwrap();
    let truncated = dir.path().join("truncated.receipt");
    std::fs::write(&truncated, &bytes[..bytes.len() - 5]).unwrap();
    assert_usage_error(
        &["verify", truncated.to_str().unwrap()],
        "malformed or truncated",
    );

    let mut newer = bytes.clone();
    newer[4] = 9;
    let newer_path = dir.path().join("newer.receipt");
    std::fs::write(&newer_path, &newer).unwrap();
    assert_usage_error(
        &["verify", newer_path.to_str().unwrap()],
        "newer than this build",
    );

    let out = l2x(&["verify", garbage.to_str().unwrap(), "--json"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(json(&out)["valid"], false);
    assert_eq!(json(&out)["exit_code"], 2);
}

#[test]
fn wrong_backend_name() {
    assert_usage_error(
        &["prove", "fibonacci", "--input", "5", "--backend", "groth16"],
        "invalid value 'groth16' for '--backend <BACKEND>'\n  [possible values: trace, stark, stark-zk, risc0]",
    );
}

/// Every build names `risc0`; one without the feature refuses it at once, saying how to build
/// it in, and writes nothing.
#[cfg(not(feature = "risc0"))]
#[test]
fn a_backend_left_out_of_the_build_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let receipt = dir.path().join("r.receipt");
    assert_usage_error(
        &[
            "prove",
            "fibonacci",
            "--input",
            "5",
            "--backend",
            "risc0",
            "-o",
            receipt.to_str().unwrap(),
        ],
        "the risc0 backend is not in this build: rebuild with the cargo feature `risc0`",
    );
    assert!(!receipt.exists());
    assert_usage_error(
        &["prove", "--elf", "guest.elf", "--input", "5"],
        "--elf guest.elf: the risc0 backend is not in this build",
    );
}

#[test]
fn unwritable_output_leaves_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("no/such/dir/r.receipt");
    assert_usage_error(
        &[
            "prove",
            "fibonacci",
            "--input",
            "5",
            "-o",
            target.to_str().unwrap(),
        ],
        "cannot write",
    );
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn failed_prove_does_not_touch_the_output_file() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("r.receipt");
    assert_usage_error(
        &[
            "prove",
            "fibonacci",
            "--input",
            "x",
            "-o",
            target.to_str().unwrap(),
        ],
        "invalid input",
    );
    assert!(!target.exists());
}

#[test]
fn output_paths_are_checked_before_any_work() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no/such/x.receipt");
    // The input is bad too: the output's error comes first, so nothing was run or proven.
    let out = l2x(&[
        "prove",
        "fibonacci",
        "--input",
        "x",
        "--backend",
        "stark",
        "-o",
        missing.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no/such"), "{}", stderr(&out));
    assert!(!stderr(&out).contains("invalid input"), "{}", stderr(&out));
}

#[test]
fn outputs_that_are_not_regular_files_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("target");
    std::fs::write(&target, b"keep").unwrap();
    let link = dir.path().join("link.receipt");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let fifo = dir.path().join("fifo");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    for path in [link.to_str().unwrap(), fifo.to_str().unwrap(), "/dev/null"] {
        assert_usage_error(
            &["prove", "fibonacci", "--input", "5", "-o", path],
            "refusing to write",
        );
    }
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(std::fs::read(&target).unwrap(), b"keep");
    use std::os::unix::fs::FileTypeExt;
    assert!(std::fs::metadata(&fifo).unwrap().file_type().is_fifo());
}

#[test]
fn a_failed_batch_publishes_none_of_its_outputs() {
    let dir = tempfile::tempdir().unwrap();
    let p = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    std::fs::write(
        p("jobs.jsonl"),
        "{\"program\": \"fibonacci\", \"input\": \"5\"}\n",
    )
    .unwrap();
    std::fs::create_dir(p("receipts")).unwrap();
    let bad_aggregate = dir.path().join("missing/a.agg");
    let bad = bad_aggregate.to_str().unwrap();
    assert_usage_error(
        &[
            "batch",
            &p("jobs.jsonl"),
            "--aggregate",
            bad,
            "--publish",
            &p("pub.blobs"),
        ],
        "missing",
    );
    assert_usage_error(
        &[
            "batch",
            &p("jobs.jsonl"),
            "-o",
            &p("receipts"),
            "--aggregate",
            bad,
        ],
        "missing",
    );
    assert!(!dir.path().join("pub.blobs").exists());
    assert_eq!(std::fs::read_dir(p("receipts")).unwrap().count(), 0);
    // A successful run leaves exactly its outputs, no temporary files.
    let out = l2x(&[
        "batch",
        &p("jobs.jsonl"),
        "-o",
        &p("receipts"),
        "--aggregate",
        &p("a.agg"),
        "--publish",
        &p("pub.blobs"),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["a.agg", "jobs.jsonl", "pub.blobs", "receipts"]);
    assert_eq!(std::fs::read_dir(p("receipts")).unwrap().count(), 1);
}

#[test]
fn thread_counts_are_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let jobs = dir.path().join("jobs.jsonl");
    std::fs::write(&jobs, "{\"program\": \"fibonacci\", \"input\": \"5\"}\n").unwrap();
    assert_usage_error(
        &["batch", jobs.to_str().unwrap(), "--threads", "100000"],
        "at most 1024",
    );
    let out = l2x(&["batch", jobs.to_str().unwrap(), "--threads", "100000"]);
    let err = stderr(&out);
    assert_eq!(err.matches("100000").count(), 1, "said once: {err}");
}

#[test]
fn batch_lines_give_exactly_one_input_and_never_null() {
    let dir = tempfile::tempdir().unwrap();
    let jobs = dir.path().join("jobs.jsonl");
    for line in [
        r#"{"program": "fibonacci", "input": null, "input_hex": "35"}"#,
        r#"{"program": "fibonacci", "input": "5", "input_hex": null}"#,
        r#"{"program": "fibonacci", "input": null}"#,
    ] {
        std::fs::write(&jobs, line).unwrap();
        assert_usage_error(&["batch", jobs.to_str().unwrap()], "exactly one of");
    }
}

#[test]
fn da_encode_writes_only_what_the_other_da_commands_read() {
    let dir = tempfile::tempdir().unwrap();
    let p = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    // One byte more than 64 blobs hold.
    let too_big = 64 * 4096 * 31 - 8 + 1;
    std::fs::write(p("big.bin"), vec![7u8; too_big]).unwrap();
    assert_usage_error(
        &["da", "encode", &p("big.bin"), "-o", &p("big.blobs")],
        "larger than",
    );
    assert!(!dir.path().join("big.blobs").exists());
    std::fs::write(p("fits.bin"), vec![7u8; too_big - 1]).unwrap();
    let out = l2x(&["da", "encode", &p("fits.bin"), "-o", &p("fits.blobs")]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = l2x(&[
        "da",
        "decode",
        "--blob-file",
        &p("fits.blobs"),
        "-o",
        &p("back.bin"),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(std::fs::read(p("back.bin")).unwrap().len(), too_big - 1);
}

#[test]
fn hostile_files_are_refused_by_size_before_they_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big");
    let file = std::fs::File::create(&big).unwrap();
    file.set_len(300 << 20).unwrap();
    assert_usage_error(&["verify", big.to_str().unwrap()], "larger than the 16 MiB");
    let agg = dir.path().join("big.agg");
    std::fs::File::create(&agg)
        .unwrap()
        .set_len((1 << 30) + 1)
        .unwrap();
    assert_usage_error(
        &["verify-aggregate", agg.to_str().unwrap()],
        "larger than the 1024 MiB",
    );
}

#[test]
fn programs_lists_every_program_and_the_dev_backend() {
    let v = json(&l2x(&["programs", "--json"]));
    let ids: Vec<&str> = v["programs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "fibonacci",
            "sha256",
            "poseidon2",
            "merkle",
            "transfers",
            "signatures"
        ]
    );
    assert_eq!(v["backends"][0]["name"], "trace");
    assert_eq!(v["backends"][0]["dev"], true);
}

#[test]
fn demo_runs_both_backends_and_rejects_tampered_receipts() {
    let out = l2x(&["demo", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v = json(&out);
    let jobs = v["jobs"].as_array().unwrap();
    assert_eq!(jobs.len(), 10 + 10 + 4);
    for job in jobs {
        assert_eq!(job["dev"], job["backend"] == "trace", "{job}");
    }
    let blocks: Vec<_> = jobs
        .iter()
        .filter(|j| j["program"] == "transfers")
        .map(|j| (j["backend"].as_str().unwrap(), j["steps"].as_u64().unwrap()))
        .collect();
    assert_eq!(blocks, [("trace", 1024), ("stark", 256)]);
    assert!(
        v["tampered_receipt_rejected"]["trace"]
            .as_str()
            .unwrap()
            .contains("seal")
    );
    assert!(
        !v["tampered_receipt_rejected"]["stark"]
            .as_str()
            .unwrap()
            .is_empty()
    );
    for backend in ["stark", "stark-zk"] {
        assert!(
            !v["tampered_receipt_rejected"][backend]
                .as_str()
                .unwrap()
                .is_empty()
        );
    }
}

#[test]
fn stark_prove_then_verify_is_not_dev() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fib.stark");
    let args = [
        "prove",
        "fibonacci",
        "--input",
        "94",
        "--backend",
        "stark",
        "-o",
        path.to_str().unwrap(),
        "--json",
    ];
    let v = json(&l2x(&args));
    assert_eq!(
        (v["backend"].as_str(), v["dev"].as_bool()),
        (Some("stark"), Some(false))
    );
    assert!(v["proof_bytes"].as_u64().unwrap() > 10_000);
    let proved_bits = v["security_bits"].as_f64().unwrap();
    assert!(proved_bits >= 100.0, "{v}");
    assert!(v["security_binding"].as_str().is_some(), "{v}");
    let out = l2x(&[
        "verify",
        path.to_str().unwrap(),
        "--require-proof",
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v = json(&out);
    assert_eq!(
        (v["valid"].as_bool(), v["dev"].as_bool()),
        (Some(true), Some(false))
    );
    assert_eq!(v["output"], "1293530146158671551");
    assert_eq!(
        v["security_bits"].as_f64(),
        Some(proved_bits),
        "same claim, same level"
    );
    let text = stdout(&l2x(&["verify", path.to_str().unwrap()]));
    assert!(
        text.contains("valid STARK proof")
            && text.contains(&format!("{proved_bits:.1}-bit conjectured security"))
            && !text.contains("proves nothing"),
        "{text}"
    );
}

#[test]
fn stark_input_limits_exit_2() {
    assert_usage_error(
        &[
            "prove",
            "fibonacci",
            "--input",
            "4194304",
            "--backend",
            "stark",
        ],
        "for the STARK backend",
    );
}

#[test]
fn programs_reports_the_security_range_of_every_program() {
    let v = json(&l2x(&["programs", "--json"]));
    for (index, name, zk) in [(1, "stark", false), (2, "stark-zk", true)] {
        let backend = &v["backends"][index];
        assert_eq!(backend["name"], name);
        assert_eq!(backend["dev"], false);
        assert_eq!(backend["parameters"]["zero_knowledge"], zk);
        let programs = backend["security"]["programs"].as_array().unwrap();
        assert_eq!(programs.len(), 6, "{backend}");
        for p in programs {
            let (min, max) = (
                p["min_bits"].as_f64().unwrap(),
                p["max_bits"].as_f64().unwrap(),
            );
            assert!(min >= 100.0 && min <= max, "{p}");
            assert!(p["largest"]["binding"].as_str().is_some(), "{p}");
            // Merkle's tables are as tall for depth 1 as for 32 at the hiding mode's minimum.
            assert!(
                p["largest"]["log_height"].as_u64() >= p["smallest"]["log_height"].as_u64(),
                "{p}"
            );
        }
    }
}

#[test]
fn usage_errors_from_clap_exit_2() {
    assert_usage_error(&["frobnicate"], "unrecognized subcommand");
    assert_usage_error(&["verify"], "required");
}

#[test]
fn aggregate_then_verify_aggregate() {
    let dir = tempfile::tempdir().unwrap();
    let a = prove_to(dir.path(), "fibonacci", "10");
    let b = prove_to(dir.path(), "sha256", "abc");
    let agg = dir.path().join("batch.agg");
    let args = [
        "aggregate",
        a.to_str().unwrap(),
        b.to_str().unwrap(),
        "-o",
        agg.to_str().unwrap(),
        "--json",
    ];
    let refused = l2x(&args);
    assert_eq!(
        refused.status.code(),
        Some(1),
        "dev receipts need --allow-dev"
    );
    assert!(!agg.exists());
    let out = l2x(&[&args[..], &["--allow-dev"]].concat());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v = json(&out);
    assert_eq!(
        (v["receipts"].as_u64(), v["dev_receipts"].as_u64()),
        (Some(2), Some(2))
    );
    let root = v["root"].as_str().unwrap().to_owned();
    assert_eq!(root.len(), 64);

    let out = l2x(&[
        "verify-aggregate",
        agg.to_str().unwrap(),
        "--json",
        "--allow-dev",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(json(&out)["root"], root.as_str());

    let out = l2x(&["verify-aggregate", agg.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("receipt 0 does not verify"),
        "{}",
        stderr(&out)
    );

    let mut bytes = std::fs::read(&agg).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    std::fs::write(&agg, &bytes).unwrap();
    let out = l2x(&["verify-aggregate", agg.to_str().unwrap(), "--allow-dev"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
}

#[test]
fn aggregate_error_paths() {
    let dir = tempfile::tempdir().unwrap();
    let out_path = dir.path().join("x.agg");
    assert_usage_error(
        &[
            "aggregate",
            "/no/such/receipt",
            "-o",
            out_path.to_str().unwrap(),
        ],
        "cannot open receipt",
    );
    assert_usage_error(&["aggregate", "-o", out_path.to_str().unwrap()], "required");
    assert_usage_error(
        &["verify-aggregate", "/no/such/file"],
        "cannot open aggregate",
    );
    let garbage = dir.path().join("garbage");
    std::fs::write(&garbage, b"nope").unwrap();
    assert_usage_error(
        &["verify-aggregate", garbage.to_str().unwrap()],
        "not an l2x aggregate",
    );
    assert!(!out_path.exists());
}

#[test]
fn batch_proves_jobs_in_order_with_the_cache_and_an_aggregate() {
    let dir = tempfile::tempdir().unwrap();
    let jobs = dir.path().join("jobs.jsonl");
    let lines = [
        r#"{"program": "fibonacci", "input": "50"}"#,
        r#"{"program": "sha256", "input_hex": "616263"}"#,
        "",
        r#"{"program": "fibonacci", "input": "50"}"#,
    ];
    std::fs::write(&jobs, lines.join("\n")).unwrap();
    let out_dir = dir.path().join("receipts");
    std::fs::create_dir(&out_dir).unwrap();
    let agg = dir.path().join("batch.agg");
    let args = [
        "batch",
        jobs.to_str().unwrap(),
        "-o",
        out_dir.to_str().unwrap(),
        "--aggregate",
        agg.to_str().unwrap(),
        "--json",
    ];
    let out = l2x(&args);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v = json(&out);
    assert_eq!(
        (v["jobs"].as_u64(), v["proven"].as_u64()),
        (Some(3), Some(2))
    );
    for key in [
        "wall_ms",
        "policy",
        "reason",
        "threads",
        "cache",
        "aggregate",
    ] {
        assert!(v.get(key).is_some(), "batch --json lacks {key}: {v}");
    }
    // Nothing is measured yet, so Auto consults the cache for both unique jobs.
    assert_eq!(v["cache"]["misses"].as_u64(), Some(2), "{v}");
    assert!(v["reason"].as_str().unwrap().contains("calibrate"), "{v}");
    let receipt = out_dir.join("job-0004.receipt");
    let verified = json(&l2x(&[
        "verify",
        receipt.to_str().unwrap(),
        "--json",
        "--allow-dev",
    ]));
    assert_eq!(verified["output"], "12586269025");
    let checked = json(&l2x(&[
        "verify-aggregate",
        agg.to_str().unwrap(),
        "--json",
        "--allow-dev",
    ]));
    assert_eq!(checked["root"], v["aggregate"]);
    assert_eq!(checked["receipts"].as_u64(), Some(3));
}

#[test]
fn batch_names_the_bad_line_and_proves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let jobs = dir.path().join("jobs.jsonl");
    let out_dir = dir.path().join("receipts");
    std::fs::create_dir(&out_dir).unwrap();
    for (content, needle) in [
        (
            "{\"program\": \"fibonacci\", \"input\": \"5\"}\n{\"program\": \"fibonacci\", \"input\": \"five\"}",
            "jobs.jsonl:2",
        ),
        (
            "{\"program\": \"fibonacci\", \"input\": \"5\"}\nnot json",
            "jobs.jsonl:2: not a job",
        ),
        (
            "{\"program\": \"nope\", \"input\": \"5\"}",
            "jobs.jsonl:1: unknown program",
        ),
        (
            "{\"program\": \"sha256\", \"input_hex\": \"zz\"}",
            "jobs.jsonl:1: bad input_hex",
        ),
        ("{\"program\": \"sha256\"}", "exactly one of"),
        ("", "has no jobs"),
    ] {
        std::fs::write(&jobs, content).unwrap();
        assert_usage_error(
            &[
                "batch",
                jobs.to_str().unwrap(),
                "-o",
                out_dir.to_str().unwrap(),
            ],
            needle,
        );
        assert_eq!(std::fs::read_dir(&out_dir).unwrap().count(), 0, "{content}");
    }
    assert_usage_error(
        &["batch", jobs.to_str().unwrap(), "--policy", "fast"],
        "unknown policy",
    );
}

#[test]
fn batch_refuses_a_job_above_the_memory_budget() {
    let dir = tempfile::tempdir().unwrap();
    let jobs = dir.path().join("jobs.jsonl");
    std::fs::write(&jobs, "{\"program\": \"sha256\", \"input\": \"abc\"}\n").unwrap();
    let args = [
        "batch",
        jobs.to_str().unwrap(),
        "--backend",
        "stark",
        "--memory-budget",
        "1M",
    ];
    assert_usage_error(&args, "jobs.jsonl:1: the job needs about");
    let mut tiny = args;
    tiny[5] = "1";
    assert_usage_error(&tiny, "the 1 B memory budget");
    assert_usage_error(
        &["batch", jobs.to_str().unwrap(), "--memory-budget", "lots"],
        "invalid size",
    );
}

/// Runs the quick `verify` suite (two benchmarks, about a second) with extra arguments.
fn bench(dir: &Path, extra: &[&str]) -> Output {
    let out_dir = dir.join("report");
    let baselines = dir.join("baselines");
    let mut args = vec![
        "bench",
        "verify",
        "--quick",
        "--out",
        out_dir.to_str().unwrap(),
        "--baselines",
        baselines.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    l2x(&args)
}

#[test]
fn bench_writes_every_report() {
    // The one live run of the lab here: it asserts that reports are written, never a timing.
    let dir = tempfile::tempdir().unwrap();
    let out = bench(dir.path(), &["--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v = json(&out);
    assert_eq!(v["benchmarks"], 2);
    let report = &v["report"]["measurements"][0];
    assert_eq!(report["spec"]["id"], "verify/trace-fibonacci/50");
    assert!(report["summary"]["median"].as_f64().unwrap() > 0.0);
    for name in ["report.json", "report.csv", "report.md", "report.html"] {
        let path = dir.path().join("report").join(name);
        assert!(path.metadata().unwrap().len() > 100, "{name}");
    }
    let html = std::fs::read_to_string(dir.path().join("report/report.html")).unwrap();
    assert!(html.contains("samples in the order taken"), "detail charts");
    assert!(!html.contains("chart not drawn"));
    let csv = std::fs::read_to_string(dir.path().join("report/report.csv")).unwrap();
    assert!(csv.starts_with("id,suite,group,param,samples"));
}

/// A report with the shape of a real one (a quick run's) whose every benchmark has this median
/// and a 95% interval of ± `half_width`: comparisons and targets on it depend on no clock.
fn synthetic_report(dir: &Path, name: &str, median: f64, half_width: f64) -> std::path::PathBuf {
    let template = dir.join("template/report.json");
    if !template.exists() {
        let out = l2x(&[
            "bench",
            "verify",
            "--quick",
            "--out",
            dir.join("template").to_str().unwrap(),
        ]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    }
    let mut report: Value = serde_json::from_slice(&std::fs::read(&template).unwrap()).unwrap();
    report["quick"] = Value::Bool(false);
    for m in report["measurements"].as_array_mut().unwrap() {
        for key in ["mean", "median", "min", "max", "p90", "p99"] {
            m["summary"][key] = Value::from(median);
        }
        m["summary"]["ci_low"] = Value::from(median - half_width);
        m["summary"]["ci_high"] = Value::from(median + half_width);
    }
    let path = dir.join(format!("{name}.json"));
    std::fs::write(&path, serde_json::to_vec(&report).unwrap()).unwrap();
    path
}

fn compare_reports(current: &Path, baseline: &Path) -> Output {
    l2x(&[
        "bench",
        "--report",
        current.to_str().unwrap(),
        "--baseline",
        baseline.to_str().unwrap(),
        "--threshold",
        "20",
        "--out",
        current.with_extension("out").to_str().unwrap(),
    ])
}

#[test]
fn a_slowdown_against_the_baseline_exits_3_and_noise_does_not() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let base = synthetic_report(d, "base", 1000.0, 10.0);
    let doubled = synthetic_report(d, "doubled", 2000.0, 10.0);
    let out = compare_reports(&doubled, &base);
    assert_eq!(out.status.code(), Some(3), "{}", stdout(&out));
    assert!(stdout(&out).contains("REGRESSION"));

    let slight = synthetic_report(d, "slight", 1050.0, 10.0);
    let out = compare_reports(&slight, &base);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(stdout(&out).contains("slower") && !stdout(&out).contains("REGRESSION"));

    // +100%, but intervals so wide that they overlap: not "unchanged", and not a regression.
    let noisy = synthetic_report(d, "noisy", 2000.0, 1500.0);
    let out = compare_reports(&noisy, &base);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(stdout(&out).contains("inconclusive"), "{}", stdout(&out));
    assert!(!stdout(&out).contains("unchanged"), "{}", stdout(&out));

    let same = compare_reports(&base, &base);
    assert_eq!(same.status.code(), Some(0));
    assert!(stdout(&same).contains("unchanged"));
}

#[test]
fn quick_runs_are_refused_as_baselines() {
    let dir = tempfile::tempdir().unwrap();
    let out = bench(dir.path(), &["--save-baseline", "first"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(!dir.path().join("baselines/first.json").exists());
    synthetic_report(dir.path(), "unused", 1.0, 0.1);
    let quick = dir.path().join("template/report.json");
    assert_usage_error(
        &[
            "bench",
            "--report",
            quick.to_str().unwrap(),
            "--save-baseline",
            dir.path().join("b.json").to_str().unwrap(),
        ],
        "quick run",
    );
}

#[test]
fn targets_pass_or_exit_3() {
    let dir = tempfile::tempdir().unwrap();
    let report = synthetic_report(dir.path(), "r", 5000.0, 100.0);
    let check = |toml: &str| {
        let path = dir.path().join("targets.toml");
        std::fs::write(&path, toml).unwrap();
        l2x(&[
            "bench",
            "--report",
            report.to_str().unwrap(),
            "--targets",
            path.to_str().unwrap(),
            "--out",
            dir.path().join("out").to_str().unwrap(),
        ])
    };
    let out = check("[[target]]\nbench = \"verify/*\"\nmetric = \"median\"\nmax = \"10us\"\n");
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(stdout(&out).contains("| pass |"));
    let out = check(
        "[[target]]\nbench = \"verify/trace-fibonacci/50\"\nmetric = \"median\"\nmax = \"1us\"\n",
    );
    assert_eq!(out.status.code(), Some(3), "{}", stdout(&out));
    assert!(stdout(&out).contains("**MISS**"));
}

#[test]
fn bench_argument_errors_exit_2_before_measuring() {
    let dir = tempfile::tempdir().unwrap();
    assert_usage_error(&["bench", "nosuch", "--quick"], "unknown suite \"nosuch\"");
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "[[target]]\nbench = \"x\"\nmetric = \"median\"\n").unwrap();
    assert_usage_error(
        &["bench", "--targets", bad.to_str().unwrap()],
        "neither max nor min",
    );
    assert_usage_error(
        &["bench", "--baseline", "/nonexistent/b.json"],
        "/nonexistent/b.json",
    );
    let binary = dir.path().join("binary.toml");
    std::fs::write(&binary, [0xff, 0xfe, 0x00]).unwrap();
    let out = l2x(&["bench", "--targets", binary.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("cannot read targets file"), "{err}");
    assert_eq!(
        err.matches("UTF-8").count(),
        1,
        "the reason is said once: {err}"
    );
    let not_report = dir.path().join("not.json");
    std::fs::write(&not_report, "{\"format\": 99}").unwrap();
    assert_usage_error(
        &["bench", "--baseline", not_report.to_str().unwrap()],
        "format 99",
    );
}

#[test]
fn da_round_trip_and_every_failure_has_its_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    let p = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    let data: Vec<u8> = (0..140_000u32).map(|i| (i * 7 % 256) as u8).collect();
    std::fs::write(p("data.bin"), &data).unwrap();
    let out = l2x(&[
        "da",
        "encode",
        &p("data.bin"),
        "-o",
        &p("b.blobs"),
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(json(&out)["blobs"], 2);
    let out = l2x(&[
        "da",
        "commit",
        "--blob-file",
        &p("b.blobs"),
        "-o",
        &p("c.json"),
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v = json(&out);
    let entry = &v["blobs"][1];
    assert_eq!(entry["commitment"].as_str().unwrap().len(), 2 + 96);
    assert!(
        entry["versioned_hash"]
            .as_str()
            .unwrap()
            .starts_with("0x01")
    );
    let ok = l2x(&[
        "da",
        "verify",
        "--blob-file",
        &p("b.blobs"),
        "--commitments",
        &p("c.json"),
    ]);
    assert_eq!(ok.status.code(), Some(0), "{}", stderr(&ok));
    let out = l2x(&[
        "da",
        "decode",
        "--blob-file",
        &p("b.blobs"),
        "-o",
        &p("back.bin"),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(std::fs::read(p("back.bin")).unwrap(), data);

    // A changed data byte in blob 1: its proof no longer verifies (exit 1, names the blob).
    let mut blobs = std::fs::read(p("b.blobs")).unwrap();
    blobs[131_072 + 32 * 40 + 3] ^= 1;
    std::fs::write(p("bad.blobs"), &blobs).unwrap();
    let out = l2x(&[
        "da",
        "verify",
        "--blob-file",
        &p("bad.blobs"),
        "--commitments",
        &p("c.json"),
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(json(&out)["error"], "blob 1: the KZG proof does not verify");
    // A non-canonical element, a wrong size, a proof that is not a point: exit 2.
    blobs[131_072 + 32 * 40] = 0xff;
    std::fs::write(p("noncanonical.blobs"), &blobs).unwrap();
    assert_usage_error(
        &[
            "da",
            "verify",
            "--blob-file",
            &p("noncanonical.blobs"),
            "--commitments",
            &p("c.json"),
        ],
        "blob 1: field element 40 is not canonical",
    );
    std::fs::write(p("short.blobs"), [0u8; 100]).unwrap();
    assert_usage_error(
        &["da", "commit", "--blob-file", &p("short.blobs")],
        "not a whole number",
    );
    let mut doc: Value = serde_json::from_slice(&std::fs::read(p("c.json")).unwrap()).unwrap();
    doc["blobs"][0]["proof"] = Value::from(format!("0x{}", "ab".repeat(48)));
    std::fs::write(p("badproof.json"), serde_json::to_vec(&doc).unwrap()).unwrap();
    assert_usage_error(
        &[
            "da",
            "verify",
            "--blob-file",
            &p("b.blobs"),
            "--commitments",
            &p("badproof.json"),
        ],
        "entry 0",
    );
}

#[test]
fn a_published_batch_links_its_blobs_into_the_aggregate_root() {
    let dir = tempfile::tempdir().unwrap();
    let p = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    std::fs::write(
        p("jobs.jsonl"),
        "{\"program\":\"fibonacci\",\"input\":\"50\"}\n{\"program\":\"sha256\",\"input\":\"abc\"}\n",
    )
    .unwrap();
    let plain = l2x(&[
        "batch",
        &p("jobs.jsonl"),
        "--aggregate",
        &p("plain.l2xa"),
        "--json",
    ]);
    let out = l2x(&[
        "batch",
        &p("jobs.jsonl"),
        "--aggregate",
        &p("agg.l2xa"),
        "--publish",
        &p("pub.blobs"),
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v = json(&out);
    assert_eq!(v["publish"]["blobs"], 1);
    assert_ne!(v["aggregate"], json(&plain)["aggregate"]);
    let out = l2x(&[
        "verify-aggregate",
        &p("agg.l2xa"),
        "--blob-file",
        &p("pub.blobs"),
        "--json",
        "--allow-dev",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        (
            json(&out)["data_blobs"].clone(),
            json(&out)["data_checked"].clone()
        ),
        (Value::from(1), Value::from(true))
    );
    // Other blobs than the published ones: exit 1.
    std::fs::write(p("data.bin"), b"something else").unwrap();
    l2x(&["da", "encode", &p("data.bin"), "-o", &p("other.blobs")]);
    let out = l2x(&[
        "verify-aggregate",
        &p("agg.l2xa"),
        "--blob-file",
        &p("other.blobs"),
        "--allow-dev",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("blob"), "{}", stderr(&out));
    assert_usage_error(
        &["batch", &p("jobs.jsonl"), "--publish", &p("x.blobs")],
        "--aggregate",
    );
}

#[test]
fn a_closed_stdout_ends_quietly() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_l2x"))
        .args(["programs"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(!stderr(&out).contains("panicked"), "{}", stderr(&out));
}
