//! Poseidon2 as a service to other tables: a table of permutations that provides, on the LogUp
//! bus [`BUS`], the message `left ‖ right ‖ Poseidon2(left ‖ right)[0..8]` of each row with a
//! multiplicity. A table that needs a compression looks that message up (`BUS.lookup_key`), and
//! the proof holds only if every message looked up is a row here (the bus balances).

use l2x_air::Val;
use l2x_air::columns::SubBuilder;
use l2x_air::count::provide;
use p3_air::{Air, BaseAir, WindowAccess};
use p3_field::PrimeCharacteristicRing;
use p3_lookup::{InteractionBuilder, LookupBus};
use p3_matrix::dense::RowMajorMatrix;
use p3_maybe_rayon::prelude::*;

use super::columns::{DIGEST, OUTPUT, PERMUTATION, STATE};
use super::{Digest, Permutation, permutation_air};

/// The bus of compressions: messages of 24 elements, left ‖ right ‖ output.
pub const BUS: LookupBus<'static> = LookupBus::new("poseidon2-compress");

/// Elements of a bus message.
pub const MESSAGE: usize = STATE + DIGEST;

/// The multiplicity column: how many times the row's compression is looked up.
pub const MULT: usize = PERMUTATION;
/// Columns of the table.
pub const WIDTH: usize = MULT + 1;

/// The table of compressions other tables look up.
#[derive(Clone)]
pub struct Poseidon2BusAir {
    permutation: Permutation,
}

impl Poseidon2BusAir {
    /// The table, with Plonky3's width-16 KoalaBear round constants.
    pub fn new() -> Self {
        Self {
            permutation: permutation_air(),
        }
    }
}

impl Default for Poseidon2BusAir {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for Poseidon2BusAir {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Poseidon2BusAir(KoalaBear, width 16, x^3, 4+20+4 rounds)")
    }
}

impl BaseAir<Val> for Poseidon2BusAir {
    fn width(&self) -> usize {
        WIDTH
    }

    fn main_next_row_columns(&self) -> Vec<usize> {
        vec![]
    }

    fn max_constraint_degree(&self) -> Option<usize> {
        BaseAir::<Val>::max_constraint_degree(&self.permutation)
    }
}

impl<AB: InteractionBuilder<F = Val>> Air<AB> for Poseidon2BusAir {
    fn eval(&self, builder: &mut AB) {
        self.permutation
            .eval(&mut SubBuilder::new(builder, 0..PERMUTATION));
        let main = builder.main();
        let local = main.current_slice();
        let message: Vec<AB::Expr> = local[..STATE]
            .iter()
            .chain(&local[OUTPUT..OUTPUT + DIGEST])
            .map(|&v| v.into())
            .collect();
        let mult = local[MULT];
        provide(builder, &BUS, message, mult);
    }
}

/// The table for these compressions (`left`, `right`), each looked up once, padded to `rows`
/// with compressions of zeros looked up never.
pub fn generate(compressions: &[(Digest, Digest)], rows: usize) -> RowMajorMatrix<Val> {
    let inputs: Vec<[Val; STATE]> = (0..rows)
        .into_par_iter()
        .map(|i| {
            let mut state = [Val::ZERO; STATE];
            if let Some((left, right)) = compressions.get(i) {
                state[..DIGEST].copy_from_slice(left);
                state[DIGEST..].copy_from_slice(right);
            }
            state
        })
        .collect();
    // The rounds fill a vector with room for the wider rows, which are then widened in place,
    // last row first (a row only moves up, over rows already moved): no second copy of the
    // table (173 MB at 2^18 rows) is allocated and filled.
    let mut values = super::trace::rounds_with_room(inputs, 1).values;
    values.resize(rows * WIDTH, Val::ZERO);
    for i in (0..rows).rev() {
        values.copy_within(i * PERMUTATION..(i + 1) * PERMUTATION, i * WIDTH);
        values[i * WIDTH + MULT] = Val::from_bool(i < compressions.len());
    }
    RowMajorMatrix::new(values, WIDTH)
}
