use serde::{Deserialize, Serialize};

use crate::backend::BackendId;
use crate::id::ProgramId;

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
