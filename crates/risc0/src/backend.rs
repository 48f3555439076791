//! [`Risc0Backend`]: proves a program by running its guest in RISC Zero's prover.

use std::collections::HashMap;
use std::sync::Arc;

use l2x_core::{
    Backend, BackendId, Claim, InputError, Program, ProgramId, ProveError, Receipt, VerifyError,
    check_origin,
};
use risc0_zkvm::{ProverOpts, Segment, SessionEvents, VerifierContext, get_prover_server};

use crate::builtin;
use crate::guest::Guest;

/// Peak memory of proving, the part that does not grow with the segment: the prover's tables,
/// the program binary, the receipts.
pub const PEAK_BYTES_BASE: u64 = 256 << 20;

/// Peak memory of proving per row of the largest segment (2^po2 rows). An upper estimate fitted
/// above the two measured points in BENCHMARKS.md ("The `risc0` backend"): with
/// [`PEAK_BYTES_BASE`] it gives 864 MiB for a 2^16-row segment, where fib(1000) peaked at
/// 616 MB, and 9.75 GiB for a 2^20-row segment, where fib(65535) peaked at 9.83 GB (9.16 GiB).
/// The first value, 8 KiB, fitted to the first point alone, was 11% under the second.
pub const PEAK_BYTES_PER_ROW: u64 = 9728;

/// The RISC Zero backend: the shipped guests plus those a user adds. Cloning shares them.
#[derive(Debug, Clone, Default)]
pub struct Risc0Backend {
    guests: Arc<HashMap<ProgramId, Guest>>,
}

impl Risc0Backend {
    /// A backend that proves the shipped guests (`fibonacci`, `sha256`) and `guests`.
    pub fn new(guests: impl IntoIterator<Item = Guest>) -> Self {
        let guests = guests.into_iter().map(|g| (g.id().clone(), g)).collect();
        Self {
            guests: Arc::new(guests),
        }
    }

    /// The user's guests this backend holds (not the shipped ones).
    pub fn guests(&self) -> impl Iterator<Item = &Guest> {
        self.guests.values()
    }

    /// The guest that proves program `id`: a user's guest first, then a shipped one.
    pub fn guest(&self, id: &ProgramId) -> Option<&Guest> {
        self.guests
            .get(id)
            .or_else(|| builtin::for_program(id.as_str()))
    }

    fn guest_or_refuse(&self, program: &dyn Program) -> Result<&Guest, InputError> {
        let id = program.id();
        self.guest(&id).ok_or_else(|| InputError::Malformed {
            program: id.clone(),
            reason: format!(
                "the risc0 backend has no guest for program '{id}': it proves fibonacci, \
                 sha256 and guests given as ELF files"
            ),
        })
    }
}

/// Reports each segment as it starts proving: a span `prove segment` with fields `k` and `n`,
/// which progress displays show as "prove segment k of n".
struct SegmentProgress {
    total: usize,
}

impl SessionEvents for SegmentProgress {
    fn on_pre_prove_segment(&self, segment: &Segment) {
        let _shown = tracing::info_span!("prove segment", k = segment.index + 1, n = self.total);
    }
}

/// The peak memory of proving a run whose largest segment has 2^`po2` rows.
pub fn peak_bytes(po2: u32) -> u64 {
    PEAK_BYTES_BASE + (PEAK_BYTES_PER_ROW << po2)
}

impl Backend for Risc0Backend {
    fn id(&self) -> BackendId {
        BackendId::Risc0
    }

    /// Runs the guest on the executor (no proof) to learn its segments: the prover's memory
    /// follows the largest.
    fn estimate_peak_memory(&self, program: &dyn Program, input: &[u8]) -> Result<u64, InputError> {
        let guest = self.guest_or_refuse(program)?;
        Ok(peak_bytes(guest.run(input)?.largest_po2()))
    }

    /// For a shipped guest, executes the program natively first (which refuses a bad input
    /// before the zkVM starts and gives the public values the guest must commit); a user's guest
    /// is its own program, so its run on the executor is its only execution. Then proves the
    /// guest's session.
    fn prove(&self, program: &dyn Program, input: &[u8]) -> Result<Receipt, ProveError> {
        let guest = self.guest_or_refuse(program)?;
        let native = if guest.is_standalone() {
            None
        } else {
            Some(program.execute(input)?.public_values)
        };
        let failed = |reason: String| ProveError::Prover {
            backend: BackendId::Risc0,
            reason,
        };
        let mut session = {
            let _span = tracing::info_span!("execute").entered();
            guest.session(input)?
        };
        session.add_hook(SegmentProgress {
            total: session.segments.len(),
        });
        let info = get_prover_server(&ProverOpts::composite())
            .and_then(|prover| prover.prove_session(&VerifierContext::default(), &session))
            .map_err(|e| failed(format!("{e:#}")))?;
        let journal = &info.receipt.journal.bytes;
        if native.as_ref().is_some_and(|native| native != journal) {
            return Err(failed(format!(
                "the guest of '{}' committed other public values than the program computes \
                 natively: the guest does not implement the program",
                program.id()
            )));
        }
        let seal = postcard::to_allocvec(&info.receipt)
            .map_err(|e| failed(format!("cannot encode the receipt: {e}")))?;
        Ok(Receipt {
            backend: BackendId::Risc0,
            claim: Claim {
                program: program.id(),
                public_values: info.receipt.journal.bytes.clone(),
                steps: info.stats.user_cycles,
            },
            seal,
        })
    }

    /// Checks the seal against the image ID of the guest this backend holds for the claim's
    /// program, and that the journal it proves is the claim's public values. The step count
    /// (user cycles) is not proven by a RISC Zero receipt and is not checked.
    fn verify<'r>(
        &self,
        program: &dyn Program,
        receipt: &'r Receipt,
    ) -> Result<&'r Claim, VerifyError> {
        let claim = check_origin(BackendId::Risc0, program, receipt)?;
        let guest = self
            .guest_or_refuse(program)
            .map_err(|e| VerifyError::MalformedProof(e.to_string()))?;
        let inner = decode_seal(&receipt.seal)?;
        // RISC Zero's verifier is not written for hostile seals: a panic in it is a rejection
        // of this receipt, not the end of the verifying process.
        let image_id = guest.image_id();
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| inner.verify(image_id)))
            .map_err(|_| {
                VerifyError::MalformedProof("RISC Zero's verifier failed on this seal".into())
            })?
            .map_err(|e| VerifyError::ProofRejected(e.to_string()))?;
        if inner.journal.bytes != claim.public_values {
            return Err(VerifyError::SealMismatch);
        }
        program.describe(&claim.public_values)?;
        Ok(claim)
    }
}

/// The RISC Zero receipt in a seal: exactly one postcard encoding, nothing after it (so no
/// other seal decodes to the same receipt).
fn decode_seal(seal: &[u8]) -> Result<risc0_zkvm::Receipt, VerifyError> {
    let malformed = |reason: String| VerifyError::MalformedProof(reason);
    let (inner, rest) = postcard::take_from_bytes(seal)
        .map_err(|e| malformed(format!("not a RISC Zero receipt: {e}")))?;
    if !rest.is_empty() {
        return Err(malformed(format!(
            "{} bytes after the RISC Zero receipt",
            rest.len()
        )));
    }
    Ok(inner)
}
