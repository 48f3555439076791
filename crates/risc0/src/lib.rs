//! The `risc0` backend of l2-executor: programs written as Rust guests for the RISC Zero zkVM
//! (version 3.0), proven by RISC Zero's prover.
//!
//! A guest is a RISC-V ELF (target `riscv32im-risc0-zkvm-elf`) that reads its input from stdin
//! and commits its public values to the journal. [`Guest`] wraps one: the ELF, linked with RISC
//! Zero's v1compat kernel into the program binary the prover takes, and its *image ID*, the
//! digest of its memory image that a receipt is verified against. Two guests ship with the
//! backend, [`fibonacci`](builtin::FIBONACCI) and [`sha256`](builtin::SHA256), with exactly the
//! semantics of the programs of the same names (`guests/` in the repository, image IDs pinned in
//! [`builtin`]); any other guest is the user's ([`Guest::from_elf`]).
//!
//! **What a receipt proves.** The seal is a RISC Zero *composite* receipt (one STARK per segment
//! of up to 2^[`SEGMENT_PO2`] cycles). [`Risc0Backend`]'s `verify` checks it against the image ID of
//! the guest the claim names — taken from the guest this verifier holds, never from the seal —
//! and checks that the journal it proves is the claim's public values. The claim's step count is
//! the run's *user cycles as the prover reported them*: a RISC Zero receipt does not prove a
//! cycle count, so neither does this one. Succinct and Groth16 receipts need RISC Zero's
//! recursion programs, which its build downloads and nothing here may download: this backend
//! makes composite receipts only (their size grows with the number of segments).
//!
//! The prover is behind the cargo feature `prove` (the `risc0` feature of `l2x` and
//! `l2x-executor`), so the default build does not compile RISC Zero. Without it the crate is
//! empty.

// The links above name items of the `prove` feature; without it they have nothing to point to.
#![cfg_attr(not(feature = "prove"), allow(rustdoc::broken_intra_doc_links))]

#[cfg(feature = "prove")]
mod backend;
#[cfg(feature = "prove")]
pub mod builtin;
#[cfg(feature = "prove")]
mod guest;

#[cfg(feature = "prove")]
pub use backend::{PEAK_BYTES_BASE, PEAK_BYTES_PER_ROW, Risc0Backend};
#[cfg(feature = "prove")]
pub use guest::{Guest, GuestError, MAX_CYCLES, MAX_ELF_BYTES, Run, SEGMENT_PO2};
