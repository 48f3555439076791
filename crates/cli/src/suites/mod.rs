//! The lab's suites: every stage of l2-executor as [`Case`]s, each beside its reference.
//!
//! The lab itself knows nothing of proofs; this is where it learns what to measure. Quick runs
//! keep the smallest sizes of each group, so a smoke run covers every suite in about a minute.

mod da;
mod executor;
mod memory;
mod poseidon2;
mod programs;
#[cfg(feature = "risc0")]
mod risc0;
mod rollup;
mod signatures;

use std::cell::RefCell;
use std::hint::black_box;
use std::rc::Rc;

use anyhow::{Result, bail};
use l2x_executor::Executor;
use l2x_lab::{Case, Config, Outcome, Samples, Spec, time_pair};

/// Where the prototype's figures come from.
pub const PROTOTYPE: &str = "seeds/000 (prototype report, Windows, trace backend)";

/// A suite: its name, what it measures, and how to build its cases.
pub struct Suite {
    /// The name given on the command line.
    pub name: &'static str,
    /// One line for `--help` and listings.
    pub about: &'static str,
    build: fn(bool) -> Result<Vec<Case<'static>>>,
}

/// Every suite, in the order a full run takes them: `memory` first, so that its RSS readings
/// come from a process that has not yet grown its heap for other suites.
pub const SUITES: &[Suite] = &[
    Suite {
        name: "memory",
        about: "RSS per 1000 receipts and peak RSS per STARK job size",
        build: memory::memory,
    },
    Suite {
        name: "execute",
        about: "native execution against a plain loop and the sha2 crate",
        build: programs::execute,
    },
    Suite {
        name: "prove",
        about: "trace proving against the prototype's published times",
        build: programs::prove,
    },
    Suite {
        name: "verify",
        about: "receipt verification, in memory and through the envelope",
        build: programs::verify,
    },
    Suite {
        name: "aggregate",
        about: "Merkle aggregation and inclusion proofs",
        build: executor::aggregate,
    },
    Suite {
        name: "batch",
        about: "batches against one-by-one and sequential",
        build: executor::batch,
    },
    Suite {
        name: "parallel",
        about: "the worker pool's scheduler KPIs (spawn, queue-to-start, imbalance)",
        build: executor::parallel,
    },
    Suite {
        name: "cache",
        about: "the receipt cache on the prototype's 100-request / 10-unique workload",
        build: executor::cache,
    },
    Suite {
        name: "da",
        about: "EIP-4844 blobs and KZG through l2x beside direct c-kzg calls",
        build: da::da,
    },
    Suite {
        name: "stark",
        about: "real STARK proving and verification (plain and zk)",
        build: programs::stark,
    },
    Suite {
        name: "poseidon2",
        about: "Poseidon2 permutations proven per second, beside Plonky3's AIR alone",
        build: poseidon2::poseidon2,
    },
    Suite {
        name: "rollup",
        about: "L2 blocks (transfers) proven per second, beside their compression table alone",
        build: rollup::rollup,
    },
    Suite {
        name: "signatures",
        about: "hash-based signatures verified in-proof per second, beside their compression table alone",
        build: signatures::signatures,
    },
    #[cfg(feature = "risc0")]
    Suite {
        name: "risc0",
        about: "RISC Zero 3.0 beside our stark backend on the same jobs (the risc0 feature)",
        build: risc0::risc0,
    },
];

/// The cases of the named suites (all when `names` is empty).
pub fn plan(names: &[String], quick: bool) -> Result<Vec<Case<'static>>> {
    for name in names {
        if !SUITES.iter().any(|s| s.name == name) {
            let known: Vec<&str> = SUITES.iter().map(|s| s.name).collect();
            bail!("unknown suite {name:?}; suites: {}", known.join(", "));
        }
    }
    let mut cases = vec![];
    for suite in SUITES
        .iter()
        .filter(|s| names.is_empty() || names.iter().any(|n| n == s.name))
    {
        cases.extend((suite.build)(quick)?);
    }
    Ok(cases)
}

/// An executor on `backend` with `policy`, for suites. The lab measures dev-mode (trace)
/// verification and aggregation on purpose, so it allows dev receipts.
fn executor(backend: l2x_core::BackendId, policy: l2x_executor::Policy) -> Result<Executor> {
    Ok(Executor::builder()
        .backend(backend)
        .allow_dev_receipts(true)
        .policy(policy)
        .cache(0)
        .build()?)
}

/// Turns any displayable error into a case failure.
fn fail(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// Keeps a result alive as far as the optimizer can tell.
fn keep<T>(value: T) {
    black_box(value);
}

/// Work timed by a pair.
type Work = Box<dyn FnMut()>;

/// Two cases timed in alternation (see [`time_pair`]), so that drift on this shared machine
/// (frequency, a neighbour's load) falls on both sides of a ratio alike. `setup` builds the
/// reference's work and ours, untimed, when the reference's case runs; that case times both
/// and hands ours to the second. Each sample of ours is divided by `ours_per` (ours does that
/// many units of the reference's work).
fn paired(
    reference: Spec,
    spec: Spec,
    ours_per: u64,
    setup: impl FnOnce() -> Result<(Work, Work), String> + 'static,
) -> [Case<'static>; 2] {
    paired_with(reference, spec, ours_per, |config| config, setup)
}

/// [`paired`], sampled with the configuration `adjust` makes of the run's (fewer samples for
/// jobs of many seconds).
fn paired_with(
    reference: Spec,
    spec: Spec,
    ours_per: u64,
    adjust: fn(Config) -> Config,
    setup: impl FnOnce() -> Result<(Work, Work), String> + 'static,
) -> [Case<'static>; 2] {
    let stash: Rc<RefCell<Option<Samples>>> = Rc::default();
    let put = Rc::clone(&stash);
    [
        Case::new(reference, move |c| {
            let (direct, ours) = setup()?;
            let (direct, mut ours) = time_pair(&adjust(*c), direct, ours);
            ours.ns.iter_mut().for_each(|ns| *ns /= ours_per as f64);
            *put.borrow_mut() = Some(ours);
            Ok(Outcome::timed(direct))
        }),
        Case::new(spec, move |_| {
            stash
                .borrow_mut()
                .take()
                .map(Outcome::timed)
                .ok_or_else(|| "it is timed with its reference, which did not run".to_string())
        }),
    ]
}
