//! `l2x keys` and a service that requires them, over TLS: the secret shown once, every client
//! command with and without a key, a revoked key refused, the non-loopback rules.
#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod common;
mod serving;

use std::path::{Path, PathBuf};

use common::{json, l2x, l2x_env, stderr, stdout};
use serde_json::Value;
use serving::{Process, wait_until};

/// Makes a key in the store `dir` and returns its secret.
fn create_key(store: &Path, name: &str, extra: &[&str]) -> String {
    let mut args = vec![
        "keys",
        "create",
        "--name",
        name,
        "--store",
        store.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    args.push("--json");
    let out = l2x(&args);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let made = json(&out);
    made["secret"].as_str().unwrap().to_owned()
}

/// A self-signed certificate for localhost and 127.0.0.1, made now: (cert.pem, key.pem).
fn certificate(dir: &Path) -> (PathBuf, PathBuf) {
    let names = vec!["localhost".to_owned(), "127.0.0.1".to_owned()];
    let made = rcgen::generate_simple_self_signed(names).unwrap();
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert, made.cert.pem()).unwrap();
    std::fs::write(&key, made.signing_key.serialize_pem()).unwrap();
    (cert, key)
}

#[test]
fn keys_are_made_listed_and_revoked_and_the_secret_is_shown_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("data");
    let s = store.to_str().unwrap();
    let out = l2x(&[
        "keys",
        "create",
        "--name",
        "alice",
        "--store",
        s,
        "--max-queued",
        "10",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let secret = stdout(&out).trim().to_owned();
    assert!(secret.starts_with("l2x_") && secret.len() == 68, "{secret}");
    assert!(stderr(&out).contains("shown this once"), "{}", stderr(&out));

    let again = l2x(&["keys", "create", "--name", "alice", "--store", s, "--json"]);
    assert_eq!(again.status.code(), Some(2));
    assert!(
        json(&again)["error"]
            .as_str()
            .unwrap()
            .contains("exists already")
    );

    create_key(&store, "prometheus", &["--role", "scrape"]);
    let listed = l2x(&["keys", "list", "--store", s, "--json"]);
    let listed = json(&listed);
    let keys = listed["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 2);
    assert_eq!(
        (&keys[0]["name"], &keys[0]["max_queued"]),
        (&Value::from("alice"), &Value::from(10))
    );
    assert_eq!(keys[1]["role"], "scrape");
    assert!(
        !listed.to_string().contains(&secret),
        "a listing never shows a secret"
    );

    let out = l2x(&["keys", "revoke", "alice", "--store", s]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = l2x(&["keys", "revoke", "alice", "--store", s, "--json"]);
    assert_eq!(out.status.code(), Some(2), "revoked already");
    let listed = json(&l2x(&["keys", "list", "--store", s, "--json"]));
    assert!(listed["keys"][0]["revoked_ms"].is_i64());

    for bad in [
        vec!["keys", "create", "--name", "", "--store", s],
        vec![
            "keys", "create", "--name", "x", "--role", "root", "--store", s,
        ],
        vec![
            "keys",
            "create",
            "--name",
            "x",
            "--per-minute",
            "0",
            "--store",
            s,
        ],
        vec![
            "keys",
            "create",
            "--name",
            "x",
            "--role",
            "scrape",
            "--max-queued",
            "1",
            "--store",
            s,
        ],
    ] {
        assert_eq!(l2x(&bad).status.code(), Some(2), "{bad:?}");
    }
}

#[test]
fn a_service_with_keys_and_tls_serves_the_key_holder_only() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("data");
    let secret = create_key(&store, "alice", &[]);
    let other = create_key(&store, "bob", &[]);
    let (cert, key) = certificate(dir.path());
    let service = Process::start(&[
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--store",
        store.to_str().unwrap(),
        "--tls-cert",
        cert.to_str().unwrap(),
        "--tls-key",
        key.to_str().unwrap(),
        "--workers",
        "1",
    ]);
    assert_eq!(
        (&service.banner["auth"], &service.banner["tls"]),
        (&Value::from("keys"), &Value::from(true))
    );
    let base = service.banner["listening"].as_str().unwrap().to_owned();
    assert!(base.starts_with("https://127.0.0.1:"), "{base}");
    let ca = cert.to_str().unwrap();
    let submit = |vars: &[(&str, &str)], extra: &[&str]| {
        let mut args = vec![
            "submit",
            "fibonacci",
            "--input",
            "20",
            "--server",
            &base,
            "--json",
        ];
        args.extend_from_slice(extra);
        l2x_env(&args, vars)
    };

    let done = submit(&[("L2X_API_KEY", &secret)], &["--ca-cert", ca, "--wait"]);
    assert_eq!(done.status.code(), Some(0), "{}", stdout(&done));
    let status = json(&done);
    assert_eq!(status["state"], "done", "{status}");
    let id = status["id"].to_string();

    let key_file = dir.path().join("alice.key");
    std::fs::write(&key_file, format!("{secret}\n")).unwrap();
    let receipt = dir.path().join("job.receipt");
    let fetched = l2x_env(
        &[
            "fetch",
            &id,
            "-o",
            receipt.to_str().unwrap(),
            "--server",
            &base,
            "--api-key-file",
            key_file.to_str().unwrap(),
            "--json",
        ],
        &[("L2X_CA_CERT", ca)],
    );
    assert_eq!(fetched.status.code(), Some(0), "{}", stdout(&fetched));
    assert!(receipt.exists());

    let error = |out: &std::process::Output| json(out)["error"].as_str().unwrap().to_owned();
    let anonymous = submit(&[], &["--ca-cert", ca]);
    assert_eq!(anonymous.status.code(), Some(2));
    assert!(error(&anonymous).contains("(401)"), "{}", error(&anonymous));
    let bob = l2x_env(
        &["status", &id, "--server", &base, "--ca-cert", ca, "--json"],
        &[("L2X_API_KEY", &other)],
    );
    assert_eq!(bob.status.code(), Some(2));
    assert!(error(&bob).contains("(404)"), "{}", error(&bob));
    let untrusted = submit(&[("L2X_API_KEY", &secret)], &[]);
    assert_eq!(
        untrusted.status.code(),
        Some(2),
        "a self-signed certificate is not trusted unasked"
    );
    let plain = base.replace("https://", "http://");
    let out = l2x_env(
        &["status", &id, "--server", &plain, "--json"],
        &[("L2X_API_KEY", &secret)],
    );
    assert_eq!(out.status.code(), Some(2), "no plain HTTP on a TLS port");

    let revoked = l2x(&[
        "keys",
        "revoke",
        "alice",
        "--store",
        store.to_str().unwrap(),
    ]);
    assert_eq!(
        revoked.status.code(),
        Some(0),
        "revoked while serving: {}",
        stderr(&revoked)
    );
    wait_until("the revoked key to be refused", || {
        let out = l2x_env(
            &["status", &id, "--server", &base, "--ca-cert", ca, "--json"],
            &[("L2X_API_KEY", &secret)],
        );
        out.status.code() == Some(2) && error(&out).contains("(401)")
    });
}

#[test]
fn beyond_loopback_a_service_needs_keys_and_tls_or_an_explicit_flag() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("data");
    let s = store.to_str().unwrap();
    let (cert, key) = certificate(dir.path());
    let serve = |extra: &[&str]| {
        let mut args = vec!["serve", "--listen", "0.0.0.0:0", "--store", s, "--json"];
        args.extend_from_slice(extra);
        l2x(&args)
    };
    let out = serve(&[]);
    assert_eq!(out.status.code(), Some(2));
    let error = json(&out)["error"].as_str().unwrap().to_owned();
    assert!(
        error.contains("no API keys") && error.contains("--insecure-no-auth"),
        "{error}"
    );
    assert!(!store.exists(), "refused before the store is made");

    create_key(&store, "alice", &[]);
    let out = serve(&[]);
    assert_eq!(out.status.code(), Some(2));
    let error = json(&out)["error"].as_str().unwrap().to_owned();
    assert!(
        error.contains("in clear") && error.contains("--tls-cert"),
        "{error}"
    );

    let out = serve(&[
        "--tls-cert",
        dir.path().join("missing.pem").to_str().unwrap(),
        "--tls-key",
        key.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        json(&out)["error"].as_str().unwrap().contains("--tls-cert"),
        "{}",
        stdout(&out)
    );
    let out = serve(&[
        "--tls-cert",
        key.to_str().unwrap(),
        "--tls-key",
        key.to_str().unwrap(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "a key is not a certificate: {}",
        stdout(&out)
    );

    let served = Process::start(&[
        "serve",
        "--listen",
        "0.0.0.0:0",
        "--store",
        s,
        "--tls-cert",
        cert.to_str().unwrap(),
        "--tls-key",
        key.to_str().unwrap(),
        "--workers",
        "0",
    ]);
    assert_eq!(served.banner["tls"], true, "{}", served.banner);
    let base = served.banner["listening"]
        .as_str()
        .unwrap()
        .replace("0.0.0.0", "127.0.0.1");
    let agent = {
        let certs: Vec<_> = ureq::tls::parse_pem(&std::fs::read(&cert).unwrap())
            .filter_map(|i| match i.unwrap() {
                ureq::tls::PemItem::Certificate(c) => Some(c),
                _ => None,
            })
            .collect();
        let tls = ureq::tls::TlsConfig::builder()
            .root_certs(ureq::tls::RootCerts::new_with_certs(&certs))
            .build();
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .tls_config(tls)
            .build()
            .new_agent()
    };
    let status = |path: &str| {
        agent
            .get(format!("{base}{path}"))
            .call()
            .unwrap()
            .status()
            .as_u16()
    };
    assert_eq!(
        status("/metrics"),
        401,
        "metrics need a scrape key beyond loopback"
    );
    assert_eq!(status("/healthz"), 200);
}
