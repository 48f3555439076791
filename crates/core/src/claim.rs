use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::backend::BackendId;
use crate::id::ProgramId;
use crate::program::ClaimError;

/// What a receipt asserts: this program, run on some input, produced these public values in
/// this many steps. The input itself is not part of the claim.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Claim {
    /// The program that ran.
    pub program: ProgramId,
    /// Its public values, laid out as the program documents.
    pub public_values: Vec<u8>,
    /// Execution steps (trace rows before padding).
    pub steps: u64,
}

/// A claim with the seal that backs it, produced by one backend.
///
/// In memory a receipt is always of the current [`FORMAT_VERSION`](crate::FORMAT_VERSION); the
/// version lives in its encoded envelope ([`Receipt::to_bytes`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Receipt {
    /// The backend that produced the seal and can check it.
    pub backend: BackendId,
    /// What is asserted.
    pub claim: Claim,
    /// The backend's evidence for the claim: a STARK proof, or for the dev backend a binding
    /// hash that proves nothing.
    pub seal: Vec<u8>,
}

impl Receipt {
    /// Whether this receipt comes from a dev backend and so proves nothing.
    pub fn is_dev(&self) -> bool {
        self.backend.is_dev()
    }

    /// The claim's public values decoded as `T`, the typed output of one program (such as
    /// `l2x_programs::fibonacci::Output`). Fails if the receipt is for another program or the
    /// bytes do not have `T`'s layout.
    ///
    /// This reads what the receipt *claims*: verify the receipt first (the executor's
    /// `verify_program` checks the program too), or the values are only an assertion.
    pub fn public_values<T: PublicValues>(&self) -> Result<T, ClaimError> {
        self.claim.decode()
    }
}

impl Claim {
    /// The public values decoded as `T`, after checking that the claim is for `T::PROGRAM`.
    pub fn decode<T: PublicValues>(&self) -> Result<T, ClaimError> {
        if self.program.as_str() != T::PROGRAM {
            return Err(ClaimError {
                program: self.program.clone(),
                reason: format!(
                    "the claim is for '{}', not for '{}'",
                    self.program,
                    T::PROGRAM
                ),
            });
        }
        T::decode(&self.public_values)
    }
}

/// Batches share receipts behind [`Arc`]; this takes one out (without a copy when it is the
/// last reference), so that a batch's receipts go wherever owned receipts are expected.
impl From<Arc<Receipt>> for Receipt {
    fn from(receipt: Arc<Receipt>) -> Self {
        Arc::unwrap_or_clone(receipt)
    }
}

/// The typed public values of one program: what a program's receipts assert, as a Rust value
/// rather than bytes or display strings.
pub trait PublicValues: Sized {
    /// The id of the program whose public values these are.
    const PROGRAM: &'static str;

    /// Decodes the program's public-value bytes, refusing any other layout.
    fn decode(bytes: &[u8]) -> Result<Self, ClaimError>;
}

/// Public values decoded for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicOutput {
    /// The main result as printed: Fibonacci in decimal, digests in lowercase hex.
    pub headline: String,
    /// Every public value by name, in the program's order.
    pub fields: Vec<PublicField>,
}

/// One named public value, already formatted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicField {
    /// The value's name, such as `n` or `digest`.
    pub name: &'static str,
    /// The value as printed.
    pub value: String,
}
