//! Suites of single jobs: execution, trace proving, verification, and the STARK backend.

use std::hint::black_box;

use anyhow::Result;
use l2x_core::{BackendId, Receipt};
use l2x_executor::Policy;
use l2x_lab::{Case, Outcome, Spec, time};
use sha2::{Digest, Sha256};

use super::{PROTOTYPE, executor, fail};

/// A plain `wrapping_add` Fibonacci loop: the fastest the native program could be.
fn plain_fibonacci(n: u64) -> u64 {
    let (mut a, mut b) = (0u64, 1u64);
    for _ in 0..n {
        let next = a.wrapping_add(b);
        a = b;
        b = next;
    }
    a
}

/// Deterministic message bytes of `len`.
pub fn message(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 + 7) as u8).collect()
}

/// Native execution of Fibonacci (against a plain loop) and SHA-256 (against the `sha2` crate).
pub fn execute(quick: bool) -> Result<Vec<Case<'static>>> {
    let mut cases = vec![];
    let sizes: &[u64] = if quick {
        &[1_000_000]
    } else {
        &[20, 1000, 1_000_000]
    };
    for &n in sizes {
        let plain = Spec::new(
            "execute",
            "plain-loop",
            Some(n),
            "plain wrapping_add loop (reference)",
        )
        .throughput("steps", n as f64);
        let plain_id = plain.id.clone();
        cases.push(Case::new(plain, move |c| {
            Ok(Outcome::timed(time(c, || plain_fibonacci(black_box(n)))))
        }));
        let spec = Spec::new(
            "execute",
            "fibonacci",
            Some(n),
            format!("fib({n}) executed natively"),
        )
        .throughput("steps", n as f64)
        .against(plain_id);
        cases.push(Case::new(spec, move |c| {
            let ex = executor(BackendId::Trace, Policy::Sequential).map_err(fail)?;
            let input = n.to_string();
            Ok(Outcome::timed(time(c, || {
                ex.run("fibonacci", black_box(input.as_bytes()))
            })))
        }));
    }
    let sizes: &[usize] = if quick { &[1024] } else { &[64, 1024, 65536] };
    for &len in sizes {
        let reference = Spec::new(
            "execute",
            "sha2-crate",
            Some(len as u64),
            "sha2 crate digest (reference)",
        )
        .throughput("bytes", len as f64);
        let reference_id = reference.id.clone();
        let data = message(len);
        let copy = data.clone();
        cases.push(Case::new(reference, move |c| {
            Ok(Outcome::timed(time(c, || Sha256::digest(black_box(&copy)))))
        }));
        let spec = Spec::new(
            "execute",
            "sha256",
            Some(len as u64),
            format!("SHA-256 of {len} bytes executed natively"),
        )
        .throughput("bytes", len as f64)
        .against(reference_id);
        cases.push(Case::new(spec, move |c| {
            let ex = executor(BackendId::Trace, Policy::Sequential).map_err(fail)?;
            Ok(Outcome::timed(time(c, || {
                ex.run("sha256", black_box(&data))
            })))
        }));
    }
    Ok(cases)
}

/// The prototype's published trace proving times, by n (seeds/000).
const PROTOTYPE_FIB: &[(u64, f64)] = &[(5, 31.1e3), (10, 23.9e3), (20, 48.0e3), (50, 94.8e3)];

/// Trace proving: Fibonacci 5 to 100 against the prototype, SHA-256 of 32–128 bytes, and the
/// prove-and-verify round trip of fib(50).
pub fn prove(quick: bool) -> Result<Vec<Case<'static>>> {
    let mut cases = vec![];
    let sizes: &[u64] = if quick { &[20] } else { &[5, 10, 20, 50, 100] };
    for &n in sizes {
        let mut spec = Spec::new(
            "prove",
            "trace-fibonacci",
            Some(n),
            format!("trace prove fib({n}) (dev mode)"),
        )
        .throughput("steps", (n + 1) as f64);
        if let Some(&(_, ns)) = PROTOTYPE_FIB.iter().find(|(m, _)| *m == n) {
            spec = spec.against_published(&format!("prototype fib({n})"), ns, PROTOTYPE);
        }
        cases.push(Case::new(spec, move |c| {
            let ex = executor(BackendId::Trace, Policy::Sequential).map_err(fail)?;
            let input = n.to_string();
            Ok(Outcome::timed(time(c, || {
                ex.prove("fibonacci", black_box(input.as_bytes()))
            })))
        }));
    }
    let sizes: &[usize] = if quick { &[64] } else { &[32, 64, 128] };
    for &len in sizes {
        let spec = Spec::new(
            "prove",
            "trace-sha256",
            Some(len as u64),
            format!("trace prove SHA-256 of {len} bytes (dev mode)"),
        )
        .throughput("bytes", len as f64);
        cases.push(Case::new(spec, move |c| {
            let ex = executor(BackendId::Trace, Policy::Sequential).map_err(fail)?;
            let data = message(len);
            Ok(Outcome::timed(time(c, || {
                ex.prove("sha256", black_box(&data))
            })))
        }));
    }
    let spec = Spec::new(
        "prove",
        "trace-prove-verify",
        Some(50),
        "prove then verify fib(50) in memory (dev mode)",
    )
    .against_published("prototype fib(50) prove", 94.8e3, PROTOTYPE);
    cases.push(Case::new(spec, |c| {
        let ex = executor(BackendId::Trace, Policy::Sequential).map_err(fail)?;
        Ok(Outcome::timed(time(c, || {
            let receipt = ex
                .prove("fibonacci", black_box(b"50"))
                .expect("fib(50) proves");
            ex.verify(&receipt).is_ok()
        })))
    }));
    Ok(cases)
}

/// Verification of trace receipts, in memory and from their encoded envelope.
pub fn verify(_quick: bool) -> Result<Vec<Case<'static>>> {
    let memory = Spec::new(
        "verify",
        "trace-fibonacci",
        Some(50),
        "verify a fib(50) receipt in memory (dev mode)",
    )
    .against_published("prototype verification (\"<1 µs\")", 1e3, PROTOTYPE);
    let envelope = Spec::new(
        "verify",
        "trace-envelope",
        Some(50),
        "decode the envelope of a fib(50) receipt, then verify",
    )
    .against("verify/trace-fibonacci/50");
    Ok(vec![
        Case::new(memory, |c| {
            let ex = executor(BackendId::Trace, Policy::Sequential).map_err(fail)?;
            let receipt = ex.prove("fibonacci", b"50").map_err(fail)?;
            Ok(Outcome::timed(time(c, || {
                ex.verify(black_box(&receipt)).is_ok()
            })))
        }),
        Case::new(envelope, |c| {
            let ex = executor(BackendId::Trace, Policy::Sequential).map_err(fail)?;
            let bytes = ex.prove("fibonacci", b"50").map_err(fail)?.to_bytes();
            Ok(Outcome::timed(time(c, || {
                let receipt = Receipt::from_bytes(black_box(&bytes)).expect("own receipt decodes");
                ex.verify(&receipt).is_ok()
            })))
        }),
    ])
}

/// Real STARKs: Fibonacci at several trace heights and SHA-256 at two message sizes (each with
/// the dev-mode trace proof of the same job as reference: the price of soundness), verification
/// against proving, and zero knowledge against plain.
pub fn stark(quick: bool) -> Result<Vec<Case<'static>>> {
    let mut cases = vec![];
    let heights: &[u64] = if quick {
        &[1023]
    } else {
        &[1023, 4095, 16383, 65535]
    };
    for &n in heights {
        cases.extend(stark_pair(
            "fibonacci",
            n,
            n.to_string().into_bytes(),
            "steps",
            (n + 1) as f64,
        ));
    }
    let sizes: &[usize] = if quick { &[1024] } else { &[1024, 16384] };
    for &len in sizes {
        let blocks = (len + 9).div_ceil(64) as f64;
        cases.extend(stark_pair(
            "sha256",
            len as u64,
            message(len),
            "blocks",
            blocks,
        ));
    }
    let n = heights[0];
    let verify = Spec::new(
        "stark",
        "verify-fibonacci",
        Some(n),
        format!("verify the STARK of fib({n})"),
    )
    .against(format!("stark/prove-fibonacci/{n}"));
    cases.push(Case::new(verify, move |c| {
        let ex = executor(BackendId::Stark, Policy::Sequential).map_err(fail)?;
        let receipt = ex
            .prove("fibonacci", n.to_string().as_bytes())
            .map_err(fail)?;
        Ok(Outcome::timed(time(c, || {
            ex.verify(black_box(&receipt)).is_ok()
        })))
    }));
    let zk = Spec::new(
        "stark",
        "zk-prove-fibonacci",
        Some(n),
        format!("prove fib({n}) with zero knowledge (stark-zk)"),
    )
    .throughput("steps", (n + 1) as f64)
    .against(format!("stark/prove-fibonacci/{n}"));
    cases.push(Case::new(zk, move |c| {
        let ex = executor(BackendId::StarkZk, Policy::Sequential).map_err(fail)?;
        let input = n.to_string();
        Ok(Outcome::timed(time(c, || {
            ex.prove("fibonacci", black_box(input.as_bytes()))
        })))
    }));
    Ok(cases)
}

/// The trace proof (reference) and the STARK proof of one job.
fn stark_pair(
    program: &'static str,
    param: u64,
    input: Vec<u8>,
    unit: &str,
    work: f64,
) -> Vec<Case<'static>> {
    let reference = Spec::new(
        "stark",
        &format!("trace-{program}"),
        Some(param),
        format!("{program} proven by the trace backend (reference, dev mode)"),
    )
    .throughput(unit, work);
    let reference_id = reference.id.clone();
    let spec = Spec::new(
        "stark",
        &format!("prove-{program}"),
        Some(param),
        format!("STARK proof of {program}({param})"),
    )
    .throughput(unit, work)
    .against(reference_id);
    let copy = input.clone();
    vec![
        Case::new(reference, move |c| {
            let ex = executor(BackendId::Trace, Policy::Sequential).map_err(fail)?;
            Ok(Outcome::timed(time(c, || {
                ex.prove(program, black_box(&copy))
            })))
        }),
        Case::new(spec, move |c| {
            let ex = executor(BackendId::Stark, Policy::Sequential).map_err(fail)?;
            Ok(Outcome::timed(time(c, || {
                ex.prove(program, black_box(&input))
            })))
        }),
    ]
}
