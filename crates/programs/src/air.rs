//! What the STARK backend needs from a program: its tables (AIRs), their trace heights and
//! public inputs as field elements, and the witness traces.
//!
//! Every program is proven over KoalaBear ([`Val`]), a 31-bit prime field, so values wider than
//! 16 bits are split into 16-bit limbs or bits, and every limb is range-checked by a constraint
//! or a lookup. A proof may consist of several tables that share lookup buses (LogUp).

use l2x_core::{ClaimError, Execution, InputError, Program};
use p3_air::{Air, BaseAir};
use p3_lookup::InteractionBuilder;
use p3_matrix::dense::RowMajorMatrix;

use crate::fibonacci::FibonacciAir;
use crate::sha256::Sha256Air;

/// The field every AIR is defined over.
pub type Val = p3_koala_bear::KoalaBear;

/// The tables of every program, as one type: a batch proof needs one AIR type for all its
/// tables, and one concrete type keeps the prover and verifier free of generic bounds.
#[derive(Debug, Clone, Copy)]
pub enum ProgramAir {
    /// A table of the Fibonacci proof.
    Fibonacci(FibonacciAir),
    /// The SHA-256 table.
    Sha256(Sha256Air),
}

impl<F> BaseAir<F> for ProgramAir {
    fn width(&self) -> usize {
        match self {
            ProgramAir::Fibonacci(air) => BaseAir::<F>::width(air),
            ProgramAir::Sha256(air) => BaseAir::<F>::width(air),
        }
    }

    fn num_public_values(&self) -> usize {
        match self {
            ProgramAir::Fibonacci(air) => BaseAir::<F>::num_public_values(air),
            ProgramAir::Sha256(air) => BaseAir::<F>::num_public_values(air),
        }
    }
}

impl ProgramAir {
    /// Lookups the table makes per row (each becomes auxiliary LogUp columns).
    pub fn lookups_per_row(&self) -> usize {
        match self {
            ProgramAir::Fibonacci(FibonacciAir::Main) => crate::fibonacci::columns::LIMBS,
            ProgramAir::Fibonacci(FibonacciAir::Range(_)) => 1,
            ProgramAir::Sha256(_) => 0,
        }
    }
}

impl<AB: InteractionBuilder> Air<AB> for ProgramAir {
    fn eval(&self, builder: &mut AB) {
        match self {
            ProgramAir::Fibonacci(air) => air.eval(builder),
            ProgramAir::Sha256(air) => air.eval(builder),
        }
    }
}

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
