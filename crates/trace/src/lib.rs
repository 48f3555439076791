//! The `trace` backend: dev mode.
//!
//! It executes the program natively and seals the claim with a BLAKE3 hash in derive-key mode
//! (context [`SEAL_CONTEXT`]) over the backend id, the format version, the program id, the public
//! values and the step count. Verification recomputes that hash and checks that the step count
//! is the one the public values imply.
//!
//! **This proves nothing.** Anyone can compute the seal for any claim. The seal only binds the
//! parts of a receipt together, so that a damaged or edited receipt is caught; it is for fast
//! development loops and tests, never for anything that depends on the claim being true. Its
//! receipts say `dev` wherever they are shown, and an executor can be told to refuse them.

use std::sync::OnceLock;

use l2x_core::{
    Backend, BackendId, Claim, FORMAT_VERSION, InputError, Program, ProveError, Receipt,
    VerifyError, check_claim,
};

/// The BLAKE3 derive-key context of the seal; changing it changes every seal.
pub const SEAL_CONTEXT: &str = "l2-executor 2026-11 trace backend receipt seal v1";

/// Length of a trace seal in bytes.
pub const SEAL_LEN: usize = blake3::OUT_LEN;

/// The dev-mode backend. See the [crate docs](crate) for what it does and does not assure.
#[derive(Debug, Clone, Copy, Default)]
pub struct TraceBackend;

/// The seal of `claim`: a domain-separated hash of everything the receipt asserts.
pub fn seal(claim: &Claim) -> [u8; SEAL_LEN] {
    static KEYED: OnceLock<blake3::Hasher> = OnceLock::new();
    let mut hasher = KEYED
        .get_or_init(|| blake3::Hasher::new_derive_key(SEAL_CONTEXT))
        .clone();
    let program = claim.program.as_str().as_bytes();
    hasher.update(&[BackendId::Trace.to_byte()]);
    hasher.update(&FORMAT_VERSION.to_le_bytes());
    hasher.update(&(program.len() as u64).to_le_bytes());
    hasher.update(program);
    hasher.update(&(claim.public_values.len() as u64).to_le_bytes());
    hasher.update(&claim.public_values);
    hasher.update(&claim.steps.to_le_bytes());
    *hasher.finalize().as_bytes()
}

impl Backend for TraceBackend {
    fn id(&self) -> BackendId {
        BackendId::Trace
    }

    /// Native execution keeps the input and a few words: the input's size plus 1 MiB.
    fn estimate_peak_memory(&self, _: &dyn Program, input: &[u8]) -> Result<u64, InputError> {
        Ok(input.len() as u64 + (1 << 20))
    }

    fn prove(&self, program: &dyn Program, input: &[u8]) -> Result<Receipt, ProveError> {
        let execution = program.execute(input)?;
        let claim = Claim {
            program: program.id(),
            public_values: execution.public_values,
            steps: execution.steps,
        };
        let seal = seal(&claim).to_vec();
        Ok(Receipt {
            backend: BackendId::Trace,
            claim,
            seal,
        })
    }

    fn verify<'r>(
        &self,
        program: &dyn Program,
        receipt: &'r Receipt,
    ) -> Result<&'r Claim, VerifyError> {
        let claim = check_claim(BackendId::Trace, program, receipt)?;
        let recomputed = blake3::Hash::from(seal(claim));
        let given: [u8; SEAL_LEN] = receipt
            .seal
            .as_slice()
            .try_into()
            .map_err(|_| VerifyError::SealMismatch)?;
        // `blake3::Hash` compares in constant time.
        if recomputed != blake3::Hash::from(given) {
            return Err(VerifyError::SealMismatch);
        }
        Ok(claim)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use l2x_programs::{Fibonacci, Registry, Sha256};

    fn verify(receipt: &Receipt) -> Result<(), VerifyError> {
        let program = Registry::standard().get(receipt.claim.program.as_str())?;
        TraceBackend.verify(&*program, receipt).map(|_| ())
    }

    fn verify_bytes(bytes: &[u8]) -> Result<(), String> {
        let receipt = Receipt::from_bytes(bytes).map_err(|e| e.to_string())?;
        verify(&receipt).map_err(|e| e.to_string())
    }

    #[test]
    fn proves_and_verifies_both_programs() {
        let fib = TraceBackend.prove(&Fibonacci, b"50").unwrap();
        assert_eq!(TraceBackend.verify(&Fibonacci, &fib).unwrap().steps, 51);
        let sha = TraceBackend.prove(&Sha256, b"abc").unwrap();
        assert_eq!(TraceBackend.verify(&Sha256, &sha).unwrap().steps, 64);
        assert!(fib.is_dev());
    }

    #[test]
    fn every_single_byte_flip_of_an_encoded_receipt_is_rejected() {
        for (program, input) in [(&Fibonacci as &dyn Program, &b"93"[..]), (&Sha256, b"abc")] {
            let bytes = TraceBackend.prove(program, input).unwrap().to_bytes();
            assert_eq!(verify_bytes(&bytes), Ok(()));
            for i in 0..bytes.len() {
                for mask in [0x01, 0x80, 0xff] {
                    let mut tampered = bytes.clone();
                    tampered[i] ^= mask;
                    assert!(
                        verify_bytes(&tampered).is_err(),
                        "flip {mask:#x} at byte {i} verified"
                    );
                }
            }
        }
    }

    #[test]
    fn every_truncation_is_rejected() {
        let bytes = TraceBackend.prove(&Sha256, b"hello").unwrap().to_bytes();
        for len in 0..bytes.len() {
            assert!(
                verify_bytes(&bytes[..len]).is_err(),
                "truncated to {len} verified"
            );
        }
    }

    #[test]
    fn edited_claims_are_rejected_with_the_reason() {
        let good = TraceBackend.prove(&Fibonacci, b"50").unwrap();

        let mut wrong_value = good.clone();
        wrong_value.claim.public_values[8] ^= 1;
        assert_eq!(verify(&wrong_value), Err(VerifyError::SealMismatch));

        let mut wrong_steps = good.clone();
        wrong_steps.claim.steps += 1;
        assert!(matches!(
            verify(&wrong_steps),
            Err(VerifyError::StepMismatch { .. })
        ));

        let mut short_seal = good.clone();
        short_seal.seal.pop();
        assert_eq!(verify(&short_seal), Err(VerifyError::SealMismatch));

        assert!(matches!(
            TraceBackend.verify(&Sha256, &good),
            Err(VerifyError::WrongProgram { .. })
        ));
    }

    #[test]
    fn a_forged_claim_with_a_recomputed_seal_verifies_because_dev_mode_proves_nothing() {
        let mut forged = TraceBackend.prove(&Fibonacci, b"50").unwrap();
        forged.claim.public_values[8..].copy_from_slice(&42u64.to_le_bytes());
        forged.seal = seal(&forged.claim).to_vec();
        assert_eq!(verify(&forged), Ok(()));
        assert!(forged.is_dev());
    }
}
