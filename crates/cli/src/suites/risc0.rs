//! The `risc0` backend beside our `stark` backend on the same jobs — fib(1000), fib(65535),
//! SHA-256 of 1 KiB and 16 KiB — timed in alternation (the STARK is the reference); then each
//! risc0 receipt's verify time, size, and the peak RSS of an `l2x prove --backend risc0`
//! process. Built with the `risc0` feature only.

use std::hint::black_box;

use anyhow::Result;
use l2x_core::BackendId;
use l2x_executor::Policy;
use l2x_lab::{Case, Config, Metric, Outcome, Spec, time};

use super::memory::child_peak_rss;
use super::programs::message;
use super::{Work, executor, fail, keep, paired_with};

/// A job of the table: program, size parameter, input, and how it is given on the command line.
struct Job {
    program: &'static str,
    param: u64,
    input: Vec<u8>,
}

fn jobs(quick: bool) -> Vec<Job> {
    let fib = |n: u64| Job {
        program: "fibonacci",
        param: n,
        input: n.to_string().into_bytes(),
    };
    let sha = |len: usize| Job {
        program: "sha256",
        param: len as u64,
        input: message(len),
    };
    if quick {
        vec![fib(1000)]
    } else {
        vec![fib(1000), fib(65535), sha(1024), sha(16384)]
    }
}

/// A RISC Zero proof of these jobs took 17 s to 9.7 min on 2 cores (BENCHMARKS.md): three samples
/// of each side (the run's own configuration would take ten), one call to warm up. `--filter`
/// picks jobs (`'risc0/*/1000'`): fib(65535) alone proves six times, about an hour.
fn few(config: Config) -> Config {
    Config {
        min_samples: 3,
        samples: 3,
        ..config
    }
}

/// Prove (against `stark`) and verify cases of every job.
pub fn risc0(quick: bool) -> Result<Vec<Case<'static>>> {
    let mut cases = vec![];
    for job in jobs(quick) {
        let Job {
            program,
            param,
            input,
        } = job;
        let reference = Spec::new(
            "risc0",
            &format!("stark-{program}"),
            Some(param),
            format!("{program}({param}) proven by our stark backend (reference)"),
        );
        let spec = Spec::new(
            "risc0",
            &format!("prove-{program}"),
            Some(param),
            format!("{program}({param}) proven by RISC Zero 3.0 (composite receipt)"),
        )
        .against(reference.id.clone());
        let both = input.clone();
        cases.extend(paired_with(reference, spec, 1, few, move || {
            let stark = executor(BackendId::Stark, Policy::Sequential).map_err(fail)?;
            let risc0 = executor(BackendId::Risc0, Policy::Sequential).map_err(fail)?;
            let copy = both.clone();
            let direct: Work = Box::new(move || keep(stark.prove(program, black_box(&copy))));
            let ours: Work = Box::new(move || keep(risc0.prove(program, black_box(&both))));
            Ok((direct, ours))
        }));
        let verify = Spec::new(
            "risc0",
            &format!("verify-{program}"),
            Some(param),
            format!(
                "verify the risc0 receipt of {program}({param}); its size; peak RSS of `l2x prove --backend risc0`"
            ),
        )
        .against(format!("risc0/prove-{program}/{param}"));
        cases.push(Case::new(verify, move |c| {
            let ex = executor(BackendId::Risc0, Policy::Sequential).map_err(fail)?;
            let receipt = ex.prove(program, &input).map_err(fail)?;
            let size = receipt.to_bytes().len();
            let hex = hex::encode(&input);
            let peak =
                child_peak_rss(&["prove", program, "--input-hex", &hex, "--backend", "risc0"])?;
            let samples = time(c, || ex.verify(black_box(&receipt)).is_ok());
            Ok(Outcome::timed(samples)
                .with(Metric::new("receipt_bytes", size as f64, "bytes"))
                .with(Metric::new("peak_bytes", peak, "bytes")))
        }));
    }
    Ok(cases)
}
