//! The seam between l2-executor's programs and its STARK prover.
//!
//! A program the STARK backend proves implements [`AirProgram`]: from a claim's public values it
//! derives its tables ([`Table`]: constraints, trace height, public inputs), and from an input
//! it generates their traces ([`Witness`]). A table's constraints are any type implementing
//! Plonky3's `Air` for the builders in [`table`]; an AIR written generically over
//! `InteractionBuilder` qualifies, whichever crate defines it, and [`ProgramAir`] holds it.
//!
//! Every table is defined over KoalaBear ([`Val`]), a 31-bit prime field, so values wider than
//! 16 bits are split into 16-bit limbs or bits, and every limb is range-checked by a constraint
//! or a lookup. A proof may consist of several tables that share lookup buses (LogUp).

pub mod columns;
pub mod config;
pub mod count;
pub mod dft;
pub mod forge;
pub mod table;

use l2x_core::{ClaimError, Execution, InputError, Program};
use p3_matrix::dense::RowMajorMatrix;

pub use config::{Challenge, Config, Val, ZkConfig};
pub use table::{ProgramAir, TableAir};
/// The Plonky3 crates a table is written with, at the version the prover uses: depend on these
/// re-exports rather than on `p3-*` directly, and the versions cannot drift apart.
pub use {p3_air, p3_field, p3_lookup, p3_matrix};

/// One table of a proof as the verifier sees it: the AIR, the log2 of its trace height, and
/// its public inputs.
#[derive(Debug, Clone)]
pub struct Table {
    /// The constraints.
    pub air: ProgramAir,
    /// log2 of the trace height, fixed by the claim so that a proof cannot pick its own.
    pub log_height: usize,
    /// Public inputs as field elements, derived from the claim's public values.
    pub public_values: Vec<Val>,
}

/// A program's execution as the prover needs it: the claim's data and one trace per table.
#[derive(Debug, Clone)]
pub struct Witness {
    /// The native result: public values and steps.
    pub execution: Execution,
    /// One trace per table, in the order of [`AirProgram::tables`].
    pub traces: Vec<RowMajorMatrix<Val>>,
}

/// A program the STARK backend can prove.
///
/// The proof binds the program: its id and the shape of every table (widths, constraint
/// counts, heights, the tables' `Debug` names) are hashed into the Fiat–Shamir transcript, so a
/// proof made for one program's tables never verifies as another's, even one of the same shape.
pub trait AirProgram: Program {
    /// The tables that a proof of a claim with these public values consists of. Both the prover
    /// and the verifier derive them from the claim alone. Tables whose height is free are at
    /// least `2^min_log_rows` rows (a hiding commitment scheme needs room for its masks).
    fn tables(&self, public_values: &[u8], min_log_rows: usize) -> Result<Vec<Table>, ClaimError>;

    /// Public values with the shape this input's claim will have (outputs left as zeros): enough
    /// to know the tables' sizes before running anything.
    fn placeholder_public_values(&self, input: &[u8]) -> Result<Vec<u8>, InputError>;

    /// Public values of the smallest and of the largest claim the STARK backends prove (outputs
    /// left as zeros): the two ends of the range a program's security level is stated over.
    fn stark_extremes(&self) -> [Vec<u8>; 2];

    /// Runs the program and generates its traces, one per table, at the heights of [`tables`].
    ///
    /// [`tables`]: AirProgram::tables
    fn witness(&self, input: &[u8], min_log_rows: usize) -> Result<Witness, InputError>;
}

/// log2 of the smallest power of two ≥ `rows`, and at least `min_log`.
pub fn log_height_for(rows: u64, min_log: usize) -> usize {
    (rows.max(1).next_power_of_two().trailing_zeros() as usize).max(min_log)
}
