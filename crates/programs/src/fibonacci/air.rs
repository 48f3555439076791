//! The constraints of the Fibonacci proof: the Fibonacci table and the 16-bit range table.

use l2x_air::count::{Multiplicity, lookup};
use p3_air::{Air, AirBuilder, BaseAir, WindowAccess};
use p3_field::PrimeCharacteristicRing;
use p3_lookup::InteractionBuilder;

use super::columns::{
    A, B, CARRY, INDEX, IS_OUTPUT, LIMBS, NUM_PUBLIC_VALUES, OUTPUTS_SEEN, WIDTH,
};
use crate::range::{self, RangeAir};

/// The two tables of a Fibonacci proof.
#[derive(Debug, Clone, Copy)]
pub enum FibonacciAir {
    /// Rows (F(i), F(i + 1)) with limb-wise addition, pinned at the start and the output row.
    Main,
    /// The 16-bit range-check table the B limbs are looked up in.
    Range(RangeAir),
}

impl<F> BaseAir<F> for FibonacciAir {
    fn width(&self) -> usize {
        match self {
            FibonacciAir::Main => WIDTH,
            FibonacciAir::Range(r) => BaseAir::<F>::width(r),
        }
    }

    fn num_public_values(&self) -> usize {
        match self {
            FibonacciAir::Main => NUM_PUBLIC_VALUES,
            FibonacciAir::Range(_) => 0,
        }
    }
}

impl<AB: InteractionBuilder> Air<AB> for FibonacciAir {
    fn eval(&self, builder: &mut AB) {
        match self {
            FibonacciAir::Main => eval_main(builder),
            FibonacciAir::Range(r) => r.eval(builder),
        }
    }
}

fn eval_main<AB: InteractionBuilder>(builder: &mut AB) {
    let main = builder.main();
    let (local, next) = (main.current_slice(), main.next_slice());
    let a: [AB::Var; LIMBS] = std::array::from_fn(|j| local[A + j]);
    let b: [AB::Var; LIMBS] = std::array::from_fn(|j| local[B + j]);
    let carry: [AB::Var; LIMBS] = std::array::from_fn(|j| local[CARRY + j]);
    let next_a: [AB::Var; LIMBS] = std::array::from_fn(|j| next[A + j]);
    let next_b: [AB::Var; LIMBS] = std::array::from_fn(|j| next[B + j]);
    let (index, is_output, seen) = (local[INDEX], local[IS_OUTPUT], local[OUTPUTS_SEEN]);
    let (next_index, next_is_output, next_seen) =
        (next[INDEX], next[IS_OUTPUT], next[OUTPUTS_SEEN]);
    let public = builder.public_values();
    let n: AB::Expr = public[0].into();
    let output: [AB::Expr; LIMBS] = std::array::from_fn(|j| public[1 + j].into());

    // Start: (F(0), F(1)) = (0, 1) on row 0, whose index is 0.
    let mut first = builder.when_first_row();
    for j in 0..LIMBS {
        first.assert_zero(a[j]);
        first.assert_eq(b[j], AB::Expr::from_bool(j == 0));
    }
    first.assert_zero(index);
    first.assert_eq(seen, is_output);

    // Transition: A' = B and B' = A + B mod 2^64, limb by limb:
    // a_j + b_j + carry_{j-1} = b'_j + 2^16 carry_j, with carry_{-1} = 0 and carry_3 dropped.
    // Every term is below 2^18, far below the field's order, so the field equation is the
    // integer equation once the limbs are 16-bit (lookups below) and the carries bits.
    let base = AB::Expr::from_u32(1 << 16);
    let mut transition = builder.when_transition();
    for j in 0..LIMBS {
        transition.assert_eq(next_a[j], b[j]);
        let carry_in = if j == 0 {
            AB::Expr::ZERO
        } else {
            carry[j - 1].into()
        };
        transition.assert_eq(a[j] + b[j] + carry_in, next_b[j] + carry[j] * base.clone());
    }
    transition.assert_eq(next_index, index + AB::Expr::ONE);
    transition.assert_eq(next_seen, seen + next_is_output);
    for c in carry {
        builder.assert_bool(c);
    }

    // Output: exactly one row is flagged (the running count ends at 1), its index is n and its
    // A limbs are the public F(n).
    builder.assert_bool(is_output);
    builder.when(is_output).assert_eq(index, n);
    for (limb, out) in a.into_iter().zip(output) {
        builder.when(is_output).assert_eq(limb, out);
    }
    builder.when_last_row().assert_one(seen);

    // Range: every B limb is in [0, 2^16). A limbs are earlier B limbs, or the constant start.
    for limb in b {
        lookup(builder, &range::BUS, [limb], Multiplicity::constant(1));
    }
}
