//! The vocabulary of l2-executor.
//!
//! A [`Program`] is a pure function from input bytes to public values. A [`Backend`] executes a
//! program and returns a [`Receipt`]: a [`Claim`] (program, public values, step count) and a seal
//! that the backend can check again later. Receipts travel as a versioned binary envelope
//! ([`Receipt::to_bytes`], [`Receipt::from_bytes`]) whose decoding never panics on foreign bytes.
//!
//! This crate has no heavy dependencies so that every other crate, and every user, can share it.

mod backend;
mod claim;
mod envelope;
mod id;
mod program;
mod serde_receipt;

pub use backend::{
    Backend, BackendId, NotBuilt, ProveError, UnknownBackend, VerifyError, check_claim,
    check_origin,
};
pub use claim::{Claim, PublicField, PublicOutput, PublicValues, Receipt};
pub use envelope::{DecodeError, FORMAT_VERSION, MAGIC};
pub use id::{InvalidProgramId, ProgramId};
pub use program::{ClaimError, Execution, InputError, Program, UnknownProgram};
