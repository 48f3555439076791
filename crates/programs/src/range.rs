//! Range-check tables: the provided side of a LogUp bus of small values.
//!
//! Columns: `value` and `multiplicity`. Constraints: `value` is 0 on the first row, grows by
//! one per row, and is 2^bits − 1 on the last row, so the table has exactly 2^bits rows holding
//! 0..2^bits (a longer or shorter table cannot satisfy both ends). Each row offers its value
//! `multiplicity` times on the bus; a table that looks a value up on the bus thereby proves the
//! value lies in [0, 2^bits). The multiplicity is free (each entry is pinned by the table's
//! constraints, and the query counts are bounded): see `l2x_air::count`.
//!
//! Two widths are used: 16 bits (`fibonacci`'s limbs, [`RangeAir::SIXTEEN`]) and 12 bits (the
//! halves of `poseidon2`'s 24-bit message elements, [`RangeAir::TWELVE`]).

use l2x_air::Val;
use l2x_air::count::provide;
use p3_air::{Air, AirBuilder, BaseAir, WindowAccess};
use p3_field::{PrimeCharacteristicRing, PrimeField32};
use p3_lookup::{InteractionBuilder, LookupBus};
use p3_matrix::dense::RowMajorMatrix;

/// The 16-bit bus shared by [`RangeAir::SIXTEEN`] and its users.
pub const BUS: LookupBus<'static> = LookupBus::new("range16");
/// The 12-bit bus shared by [`RangeAir::TWELVE`] and its users.
pub const BUS12: LookupBus<'static> = LookupBus::new("range12");

/// log2 of the 16-bit table's height.
pub const LOG_HEIGHT: usize = 16;

const VALUE: usize = 0;
const MULTIPLICITY: usize = 1;
/// Columns of a range table.
pub const WIDTH: usize = 2;

/// The constraints of a range table of `2^bits` rows.
#[derive(Debug, Clone, Copy)]
pub struct RangeAir {
    bits: usize,
}

impl RangeAir {
    /// The 16-bit table, on [`BUS`].
    pub const SIXTEEN: Self = Self { bits: 16 };
    /// The 12-bit table, on [`BUS12`].
    pub const TWELVE: Self = Self { bits: 12 };

    /// log2 of the table's height: its values' width in bits.
    pub fn bits(&self) -> usize {
        self.bits
    }

    /// The bus the table provides its values on.
    pub fn bus(&self) -> LookupBus<'static> {
        if self.bits == 16 { BUS } else { BUS12 }
    }
}

impl<AB: InteractionBuilder> Air<AB> for RangeAir {
    fn eval(&self, builder: &mut AB) {
        let main = builder.main();
        let (local, next) = (main.current_slice(), main.next_slice());
        let (value, multiplicity, next_value) = (local[VALUE], local[MULTIPLICITY], next[VALUE]);
        builder.when_first_row().assert_zero(value);
        builder
            .when_transition()
            .assert_eq(next_value, value + AB::Expr::ONE);
        builder
            .when_last_row()
            .assert_eq(value, AB::Expr::from_usize((1 << self.bits) - 1));
        provide(builder, &self.bus(), [value], multiplicity);
    }
}

impl<F> BaseAir<F> for RangeAir {
    fn width(&self) -> usize {
        WIDTH
    }
}

/// Counts lookups of values below 2^bits, then becomes the table's trace.
#[derive(Debug, Clone)]
pub struct RangeCounter {
    counts: Vec<u32>,
}

impl Default for RangeCounter {
    /// A counter for the 16-bit table.
    fn default() -> Self {
        Self::new(LOG_HEIGHT)
    }
}

impl RangeCounter {
    /// A counter for the table of `2^bits` rows.
    pub fn new(bits: usize) -> Self {
        Self {
            counts: vec![0; 1 << bits],
        }
    }

    /// Records one lookup of `value` (below 2^bits).
    #[inline]
    pub fn add(&mut self, value: u16) {
        self.counts[value as usize] += 1;
    }

    /// The table's trace: every value with its lookup count.
    pub fn into_trace(self) -> RowMajorMatrix<Val> {
        trace(self.counts.into_iter().map(Val::from_u32))
    }
}

/// The 16-bit table for lookups of `(value, count)`: each value's multiplicity is the sum of
/// its counts, as field elements (a forged witness may count a row −1). A value of 2^16 or
/// more has no row, so its lookup stays unmatched and the proof fails.
pub fn counted_table(lookups: impl IntoIterator<Item = (Val, Val)>) -> RowMajorMatrix<Val> {
    let mut counts = Val::zero_vec(1 << LOG_HEIGHT);
    for (value, count) in lookups {
        if let Some(slot) = counts.get_mut(value.as_canonical_u32() as usize) {
            *slot += count;
        }
    }
    trace(counts.into_iter())
}

/// The table whose row v offers v with the v-th of `multiplicities`.
fn trace(multiplicities: impl ExactSizeIterator<Item = Val>) -> RowMajorMatrix<Val> {
    let mut values = Vec::with_capacity(WIDTH * multiplicities.len());
    for (value, multiplicity) in multiplicities.enumerate() {
        values.push(Val::from_usize(value));
        values.push(multiplicity);
    }
    RowMajorMatrix::new(values, WIDTH)
}
