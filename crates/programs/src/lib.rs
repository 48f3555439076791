//! The programs l2-executor proves, and the registry that finds them by name.
//!
//! Each program lives in its own module: the [`Program`](l2x_core::Program) implementation with
//! the documentation of its semantics, input and public values (`mod.rs`), and its fast native
//! execution (`native.rs`), and for the STARK backend its columns, witness generation and
//! constraints (`columns.rs`, `trace.rs`, `air.rs`, behind the [`l2x_air::AirProgram`] trait). Both
//! backends share these semantics exactly.

pub mod fibonacci;
pub mod merkle;
pub mod poseidon2;
pub mod range;
mod registry;
pub mod sha256;
pub mod signatures;
pub mod transfers;

pub use fibonacci::Fibonacci;
pub use merkle::Merkle;
pub use poseidon2::Poseidon2;
pub use registry::{Registry, RegistryError};
pub use sha256::Sha256;
pub use signatures::Signatures;
pub use transfers::Transfers;
