//! The `stark` backend: real proofs, on Plonky3 0.8.
//!
//! A program's tables ([`l2x_air::Table`]) are proven together in one batch STARK
//! (`p3-batch-stark`), with LogUp lookups between them (`p3-lookup`), under the single
//! configuration in [`config`](mod@config): KoalaBear, Poseidon2 Merkle commitments, FRI with 100 queries at
//! rate 1/2 and proof of work.
//!
//! **Security is per proof.** [`security`] computes the conjectured level of a proof from the
//! shape of the tables its claim implies (heights, constraints, openings, lookups) with
//! Plonky3's estimator, sizes the proof of work to lift the grindable terms, and names the term
//! that binds. A claim whose proof would fall below [`security::MIN_BITS`] is neither proven nor
//! accepted. [`claim_security`] gives the figure for a receipt's claim.
//!
//! The seal of a receipt is the postcard encoding of the `BatchProof`. Verification derives
//! every table, its trace height and its public inputs from the claim, never from the proof;
//! checks the proof's shape (table count, heights, canonical encoding) before handing it to
//! Plonky3's verifier; and returns an error, never a panic, for any seal.
//!
//! **What a proof reveals.** The plain configuration (`stark`) is not zero-knowledge: the
//! queried openings are evaluations of the trace polynomials, which leak information about the
//! witness (for SHA-256, the message); the input is not written into the receipt, but do not
//! rely on such receipts for privacy. The hiding configuration (`stark-zk`, [`Mode::Hiding`])
//! uses Plonky3's `HidingFriPcs`: randomized traces, salted Merkle leaves and random codewords,
//! so openings reveal nothing beyond the public values, at the cost measured in BENCHMARKS.md.

pub mod config;
mod packing;
mod prove;
pub mod security;
mod size;
pub mod statement;
mod system;
mod verify;

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};

use l2x_air::{AirProgram, Table, Val};
use l2x_core::{
    Backend, BackendId, Claim, ClaimError, InputError, Program, ProgramId, ProveError, Receipt,
    VerifyError,
};
use l2x_programs::Registry;

use crate::config::{config, config_zk};
use crate::security::{FriShape, Grinding, ProofSecurity, TableShape};
use crate::system::ProofSystem;

pub use prove::{prove, prove_in, prove_tables, prove_tables_in, prove_tables_with};
pub use size::max_proof_bytes;
pub use verify::{verify, verify_in, verify_tables, verify_tables_in};

/// Which configuration proves: plain, or hiding (zero-knowledge).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// [`config::config`]: not zero-knowledge; the `stark` backend.
    Plain,
    /// [`config::config_zk`]: hiding; the `stark-zk` backend.
    Hiding,
}

impl Mode {
    /// log2 of the fewest rows a table may have: the hiding PCS masks each committed matrix
    /// with 2 × (4 × 2 opening points + 50 queries) = 116 random rows, so tables need 2^7.
    pub const fn min_log_rows(self) -> usize {
        match self {
            Mode::Plain => 0,
            Mode::Hiding => 7,
        }
    }

    /// An upper estimate of the peak memory of proving `program` on `input` in this mode:
    /// 32 MiB plus a factor times the low-degree extensions of all tables (main columns and
    /// 8 auxiliary columns per lookup, 4 bytes per element). The factors are calibrated on peaks
    /// measured here (BENCHMARKS.md): 2.5 covers Fibonacci 2^20 (974 MiB) and SHA-256 64 KiB
    /// (854 MiB); the hiding mode doubles the rows, quadruples the blowup and needs 5 to cover
    /// Fibonacci 2^16 (618 MiB).
    pub fn estimate_peak_memory(
        self,
        program: &dyn AirProgram,
        input: &[u8],
    ) -> Result<u64, InputError> {
        let public_values = program.placeholder_public_values(input)?;
        let tables = program
            .tables(&public_values, self.min_log_rows())
            .map_err(|e| InputError::Malformed {
                program: program.id(),
                reason: e.reason,
            })?;
        let (extra_log_rows, factor) = match self {
            Mode::Plain => (config::LOG_BLOWUP, 5),
            Mode::Hiding => (config::ZK_LOG_BLOWUP + 1, 10),
        };
        let lde_bytes: u64 = tables
            .iter()
            .map(|t| {
                let columns = p3_air::BaseAir::<Val>::width(&t.air) + 8 * t.air.lookups_per_row();
                (columns as u64) << (t.log_height + extra_log_rows + 2)
            })
            .sum();
        Ok((32 << 20) + lde_bytes * factor / 2)
    }

    /// The mode of a STARK backend id (`None` for dev backends).
    pub const fn of(backend: BackendId) -> Option<Mode> {
        match backend {
            BackendId::Stark => Some(Mode::Plain),
            BackendId::StarkZk => Some(Mode::Hiding),
            BackendId::Trace | BackendId::Risc0 => None,
        }
    }

    /// The configuration's parameters.
    pub fn parameters(self) -> config::Parameters {
        match self {
            Mode::Plain => config::parameters(),
            Mode::Hiding => config::parameters_zk(),
        }
    }

    /// The FRI parameters, as the security estimator sees them.
    pub const fn fri(self) -> FriShape {
        match self {
            Mode::Plain => FriShape {
                log_blowup: config::LOG_BLOWUP,
                num_queries: config::NUM_QUERIES,
            },
            Mode::Hiding => FriShape {
                log_blowup: config::ZK_LOG_BLOWUP,
                num_queries: config::ZK_NUM_QUERIES,
            },
        }
    }

    /// The conjectured security of a proof of `tables` in this mode, and the grinding it does.
    pub fn security(self, tables: &[Table]) -> Result<ProofSecurity, String> {
        Ok(ProofSecurity::of(self.fri(), &self.shapes(tables)?))
    }

    /// The shape of each table as the security estimator sees it. A pure function of the
    /// mode, the AIRs and their heights, so it is computed once per process for each (a few
    /// milliseconds of symbolic evaluation) and a verifier of many receipts pays it once.
    pub fn shapes(self, tables: &[Table]) -> Result<Vec<TableShape>, String> {
        static CACHE: LazyLock<Mutex<HashMap<String, Vec<TableShape>>>> =
            LazyLock::new(Default::default);
        let airs: Vec<_> = tables.iter().map(|t| (&t.air, t.log_height)).collect();
        let key = format!("{self:?} {airs:?}");
        let cache = || {
            CACHE
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
        };
        if let Some(hit) = cache().get(&key) {
            return Ok(hit.clone());
        }
        let shapes = match self {
            Mode::Plain => config(Grinding::default(), &[0; 32]).shapes(tables)?,
            Mode::Hiding => config_zk(Grinding::default(), &[0; 32]).shapes(tables)?,
        };
        let mut map = cache();
        if map.len() >= 256 {
            map.clear();
        }
        map.insert(key, shapes.clone());
        Ok(shapes)
    }

    /// The digest of proving `tables` of `program` in this mode, which the proof binds: see
    /// [`statement`].
    pub fn statement(
        self,
        program: &ProgramId,
        tables: &[Table],
    ) -> Result<statement::AirDigest, String> {
        let shapes = self.shapes(tables)?;
        Ok(statement::air_digest(self, program, tables, &shapes))
    }

    /// The backend id receipts of this mode carry.
    pub const fn backend_id(self) -> BackendId {
        match self {
            Mode::Plain => BackendId::Stark,
            Mode::Hiding => BackendId::StarkZk,
        }
    }
}

/// The conjectured security of the proof behind a claim of `program` with `public_values`, in
/// `mode`: the figure a receipt with this claim carries.
pub fn claim_security(
    mode: Mode,
    program: &dyn AirProgram,
    public_values: &[u8],
) -> Result<ProofSecurity, ClaimError> {
    let tables = program.tables(public_values, mode.min_log_rows())?;
    mode.security(&tables).map_err(|reason| ClaimError {
        program: program.id(),
        reason,
    })
}

/// The STARK backend (plain configuration), proving the programs of its registry that have an
/// AIR. See the [crate docs](crate).
#[derive(Debug, Clone, Default)]
pub struct StarkBackend {
    programs: Registry,
}

impl StarkBackend {
    /// The backend for the programs of `programs`.
    pub fn new(programs: Registry) -> Self {
        Self { programs }
    }
}

/// The zero-knowledge STARK backend (hiding configuration), proving the programs of its
/// registry that have an AIR.
#[derive(Debug, Clone, Default)]
pub struct StarkZkBackend {
    programs: Registry,
}

impl StarkZkBackend {
    /// The backend for the programs of `programs`.
    pub fn new(programs: Registry) -> Self {
        Self { programs }
    }
}

/// The AIR of `program` in `programs`, or why there is none. The backend looks the program up
/// by id in its own registry and checks that it is the registered one's id, so it never proves
/// a program under tables registered for another.
fn air_program(
    programs: &Registry,
    program: &dyn Program,
) -> Result<std::sync::Arc<dyn AirProgram>, String> {
    let id = program.id();
    match programs.air_program(id.as_str()) {
        Some(air) => Ok(air),
        None if programs.get(id.as_str()).is_ok() => Err(format!(
            "program '{id}' has no AIR, so the STARK backends cannot prove it (the trace \
             backend can)"
        )),
        None => Err(format!("program '{id}' is not in this backend's registry")),
    }
}

fn prove_dyn(
    mode: Mode,
    programs: &Registry,
    program: &dyn Program,
    input: &[u8],
) -> Result<Receipt, ProveError> {
    let air = air_program(programs, program).map_err(|reason| ProveError::Prover {
        backend: mode.backend_id(),
        reason,
    })?;
    prove_in(mode, &*air, input)
}

fn estimate_dyn(
    mode: Mode,
    programs: &Registry,
    program: &dyn Program,
    input: &[u8],
) -> Result<u64, InputError> {
    let air = air_program(programs, program).map_err(|reason| InputError::Malformed {
        program: program.id(),
        reason,
    })?;
    mode.estimate_peak_memory(&*air, input)
}

fn verify_dyn<'r>(
    mode: Mode,
    programs: &Registry,
    program: &dyn Program,
    receipt: &'r Receipt,
) -> Result<&'r Claim, VerifyError> {
    let air = air_program(programs, program).map_err(VerifyError::MalformedProof)?;
    verify_in(mode, &*air, receipt)
}

macro_rules! stark_backend {
    ($backend:ty, $mode:expr) => {
        impl Backend for $backend {
            fn id(&self) -> BackendId {
                $mode.backend_id()
            }

            fn estimate_peak_memory(
                &self,
                program: &dyn Program,
                input: &[u8],
            ) -> Result<u64, InputError> {
                estimate_dyn($mode, &self.programs, program, input)
            }

            fn prove(&self, program: &dyn Program, input: &[u8]) -> Result<Receipt, ProveError> {
                prove_dyn($mode, &self.programs, program, input)
            }

            fn verify<'r>(
                &self,
                program: &dyn Program,
                receipt: &'r Receipt,
            ) -> Result<&'r Claim, VerifyError> {
                verify_dyn($mode, &self.programs, program, receipt)
            }
        }
    };
}

stark_backend!(StarkBackend, Mode::Plain);
stark_backend!(StarkZkBackend, Mode::Hiding);
