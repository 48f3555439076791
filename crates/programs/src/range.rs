//! A 16-bit range-check table: the lookup side of the `range16` LogUp bus.
//!
//! Columns: `value` and `multiplicity`. Constraints: `value` is 0 on the first row, grows by
//! one per row, and is 65535 on the last row, so the table has exactly 2^16 rows holding
//! 0..=65535 (a longer or shorter table cannot satisfy both ends). Each row offers its value
//! `multiplicity` times on the bus; a table that looks up a limb on the bus thereby proves the
//! limb lies in [0, 2^16).

use p3_air::{AirBuilder, BaseAir, WindowAccess};
use p3_field::PrimeCharacteristicRing;
use p3_lookup::{InteractionBuilder, LookupBus};
use p3_matrix::dense::RowMajorMatrix;

use l2x_air::Val;

/// The bus name shared by the table and its users.
pub const BUS: LookupBus<'static> = LookupBus::new("range16");

/// log2 of the table height.
pub const LOG_HEIGHT: usize = 16;

const VALUE: usize = 0;
const MULTIPLICITY: usize = 1;
/// Columns of the range table.
pub const WIDTH: usize = 2;

/// The constraints of the range table.
#[derive(Debug, Clone, Copy, Default)]
pub struct RangeAir;

impl<F> BaseAir<F> for RangeAir {
    fn width(&self) -> usize {
        WIDTH
    }
}

impl RangeAir {
    /// Evaluates the table's constraints and its side of the bus.
    pub fn eval<AB: InteractionBuilder>(&self, builder: &mut AB) {
        let main = builder.main();
        let (local, next) = (main.current_slice(), main.next_slice());
        let (value, multiplicity, next_value) = (local[VALUE], local[MULTIPLICITY], next[VALUE]);
        builder.when_first_row().assert_zero(value);
        builder
            .when_transition()
            .assert_eq(next_value, value + AB::Expr::ONE);
        builder
            .when_last_row()
            .assert_eq(value, AB::Expr::from_u32(u16::MAX as u32));
        BUS.table_entry(builder, [value], multiplicity);
    }
}

/// Counts lookups of 16-bit values, then becomes the table's trace.
#[derive(Debug, Clone)]
pub struct RangeCounter {
    counts: Vec<u32>,
}

impl Default for RangeCounter {
    fn default() -> Self {
        Self {
            counts: vec![0; 1 << LOG_HEIGHT],
        }
    }
}

impl RangeCounter {
    /// Records one lookup of `limb`.
    #[inline]
    pub fn add(&mut self, limb: u16) {
        self.counts[limb as usize] += 1;
    }

    /// The table's trace: every value with its lookup count.
    pub fn into_trace(self) -> RowMajorMatrix<Val> {
        let mut values = Vec::with_capacity(WIDTH << LOG_HEIGHT);
        for (value, count) in self.counts.into_iter().enumerate() {
            values.push(Val::from_u32(value as u32));
            values.push(Val::from_u32(count));
        }
        RowMajorMatrix::new(values, WIDTH)
    }
}
