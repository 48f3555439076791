use std::fmt;
use std::str::FromStr;

use crate::claim::{Claim, Receipt};
use crate::id::ProgramId;
use crate::program::{ClaimError, InputError, Program, UnknownProgram};

/// Which backend produced a receipt. Its byte value is written into every receipt envelope, so
/// existing values never change meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BackendId {
    /// Dev mode: native execution and a binding hash. Fast, and proves nothing.
    Trace,
    /// A STARK on Plonky3: sound, verifiable by anyone; not zero-knowledge.
    Stark,
    /// The same STARK with a hiding (zero-knowledge) commitment scheme.
    StarkZk,
    /// RISC Zero 3.0: a RISC-V guest program proven by the RISC Zero zkVM (composite
    /// receipts). Built only with the `risc0` cargo feature; every build can name it.
    Risc0,
}

impl BackendId {
    /// Every backend this build knows, in byte order.
    pub const ALL: &'static [BackendId] = &[
        BackendId::Trace,
        BackendId::Stark,
        BackendId::StarkZk,
        BackendId::Risc0,
    ];

    /// The byte written into receipt envelopes.
    pub const fn to_byte(self) -> u8 {
        match self {
            BackendId::Trace => 0,
            BackendId::Stark => 1,
            BackendId::StarkZk => 2,
            BackendId::Risc0 => 3,
        }
    }

    /// The backend with this envelope byte.
    pub fn from_byte(byte: u8) -> Option<Self> {
        Self::ALL.iter().copied().find(|b| b.to_byte() == byte)
    }

    /// The name used on the command line and in JSON output.
    pub const fn name(self) -> &'static str {
        match self {
            BackendId::Trace => "trace",
            BackendId::Stark => "stark",
            BackendId::StarkZk => "stark-zk",
            BackendId::Risc0 => "risc0",
        }
    }

    /// Whether receipts of this backend prove nothing (dev mode). Anyone can forge a dev
    /// receipt; only use them where nothing depends on their truth.
    pub const fn is_dev(self) -> bool {
        match self {
            BackendId::Trace => true,
            BackendId::Stark | BackendId::StarkZk | BackendId::Risc0 => false,
        }
    }
}

impl fmt::Display for BackendId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.name())
    }
}

/// A backend name that this build does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown backend '{0}' (known backends: {known})", known = known_backends())]
pub struct UnknownBackend(pub String);

fn known_backends() -> String {
    let names: Vec<&str> = BackendId::ALL.iter().map(|b| b.name()).collect();
    names.join(", ")
}

impl FromStr for BackendId {
    type Err = UnknownBackend;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        BackendId::ALL
            .iter()
            .copied()
            .find(|b| b.name() == s)
            .ok_or_else(|| UnknownBackend(s.chars().take(40).collect()))
    }
}

/// A proving system: turns a program run into a receipt and checks receipts it produced.
///
/// Backends are stateless with respect to jobs and shared between threads.
pub trait Backend: Send + Sync {
    /// Which backend this is; written into every receipt it produces.
    fn id(&self) -> BackendId;

    /// Executes `program` on `input` and returns a receipt for the run.
    fn prove(&self, program: &dyn Program, input: &[u8]) -> Result<Receipt, ProveError>;

    /// An upper estimate of the peak memory, in bytes, of proving `program` on `input`, computed
    /// without running it, so that an executor can admit jobs within a memory budget.
    fn estimate_peak_memory(&self, program: &dyn Program, input: &[u8]) -> Result<u64, InputError>;

    /// Checks `receipt` against its seal and returns the claim it establishes. `program` is the
    /// program the claim names, looked up by the caller. Nothing in the receipt is trusted:
    /// the claimed step count and public values are checked against the seal.
    fn verify<'r>(
        &self,
        program: &dyn Program,
        receipt: &'r Receipt,
    ) -> Result<&'r Claim, VerifyError>;
}

/// The checks every backend makes before looking at the seal: the receipt is `backend`'s, it is
/// for `program`, and it claims the step count that its public values imply.
pub fn check_claim<'r>(
    backend: BackendId,
    program: &dyn Program,
    receipt: &'r Receipt,
) -> Result<&'r Claim, VerifyError> {
    let claim = check_origin(backend, program, receipt)?;
    let expected = program.steps_for(&claim.public_values)?;
    if claim.steps != expected {
        return Err(VerifyError::StepMismatch {
            claimed: claim.steps,
            expected,
        });
    }
    Ok(claim)
}

/// The part of [`check_claim`] for backends whose step count does not follow from the public
/// values (`risc0`: user cycles): the receipt is `backend`'s and it is for `program`.
pub fn check_origin<'r>(
    backend: BackendId,
    program: &dyn Program,
    receipt: &'r Receipt,
) -> Result<&'r Claim, VerifyError> {
    if receipt.backend != backend {
        return Err(VerifyError::WrongBackend {
            expected: backend,
            found: receipt.backend,
        });
    }
    if receipt.claim.program != program.id() {
        return Err(VerifyError::WrongProgram {
            expected: program.id(),
            found: receipt.claim.program.clone(),
        });
    }
    Ok(&receipt.claim)
}

/// Why a backend could not produce a receipt.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProveError {
    /// The program rejected its input.
    #[error(transparent)]
    Input(#[from] InputError),
    /// The proving system failed on an accepted input.
    #[error("the {backend} prover failed: {reason}")]
    Prover {
        /// The backend that failed.
        backend: BackendId,
        /// What went wrong, in words.
        reason: String,
    },
    /// The backend is known but was left out of this build (a cargo feature).
    #[error("{0}")]
    NotBuilt(NotBuilt),
}

/// A backend that this binary was built without: its cargo feature was off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "the {0} backend is not in this build: rebuild with the cargo feature `{feature}` \
     (`cargo build --release -p l2x --features {feature}`)",
    feature = .0.name()
)]
pub struct NotBuilt(pub BackendId);

/// Why a receipt does not establish its claim.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// The receipt was produced by another backend than the one asked to check it.
    #[error("receipt is from the {found} backend, not {expected}")]
    WrongBackend {
        /// The backend asked to verify.
        expected: BackendId,
        /// The backend named in the receipt.
        found: BackendId,
    },
    /// The receipt names another program than the one supplied for checking it.
    #[error("receipt is for program '{found}', not '{expected}'")]
    WrongProgram {
        /// The program supplied.
        expected: ProgramId,
        /// The program named in the receipt.
        found: ProgramId,
    },
    /// The receipt names a program this build does not have.
    #[error(transparent)]
    UnknownProgram(#[from] UnknownProgram),
    /// The public values cannot come from any run of the program.
    #[error(transparent)]
    Claim(#[from] ClaimError),
    /// The claimed step count is not the one the public values imply.
    #[error("claimed {claimed} steps, but these public values take {expected}")]
    StepMismatch {
        /// Steps in the claim.
        claimed: u64,
        /// Steps a correct run with these public values takes.
        expected: u64,
    },
    /// The seal is not a well-formed proof for this claim's tables.
    #[error("malformed proof: {0}")]
    MalformedProof(String),
    /// The proof is well formed but the proof system rejects it.
    #[error("proof rejected: {0}")]
    ProofRejected(String),
    /// The seal does not back the claim: the receipt was altered or forged.
    #[error("seal does not match the claim (receipt altered or forged)")]
    SealMismatch,
    /// A dev receipt was offered to a verifier that does not allow them.
    #[error(
        "receipt is from the dev backend '{0}', which proves nothing: dev receipts are refused \
         unless allowed (--allow-dev, L2X_DEV_MODE=1, or ExecutorBuilder::allow_dev_receipts)"
    )]
    DevReceiptRefused(BackendId),
    /// The receipt's backend was left out of this build.
    #[error("{0}")]
    NotBuilt(NotBuilt),
    /// The receipt is valid but its public values are not the ones expected.
    #[error("receipt's public values are not the expected ones")]
    UnexpectedPublicValues,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_and_names_round_trip() {
        for &b in BackendId::ALL {
            assert_eq!(BackendId::from_byte(b.to_byte()), Some(b));
            assert_eq!(b.name().parse::<BackendId>().unwrap(), b);
        }
        assert_eq!(BackendId::from_byte(0xff), None);
    }

    #[test]
    fn unknown_names_are_listed_in_the_error() {
        let err = "groth16".parse::<BackendId>().unwrap_err().to_string();
        assert!(err.contains("groth16") && err.contains("trace"), "{err}");
    }

    #[test]
    fn only_trace_is_dev() {
        assert!(BackendId::Trace.is_dev());
        assert!(!BackendId::Stark.is_dev());
    }
}
