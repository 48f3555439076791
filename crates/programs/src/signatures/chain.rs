//! The chain table: each row walks one chain of one signature from the position its chunk names
//! to the chain's end, every step a lookup on the Poseidon2 compression bus, and provides
//! `(param, epoch, i, x, end)` on [`CHAIN_BUS`]. Each constraint family is tested by a forged
//! witness in `crates/stark/tests/signatures.rs`.
//!
//! What pins each column: `AT` bits, exactly one set (x = Σ k·AT\[k\], so 0 ≤ x ≤ 7); `VALUE` at
//! positions above x and `REST`: outputs of the steps (bus), step k counted `[k ≥ x]`; the value
//! at x is free (the signature's), those below unused. `PARAM`, `EPOCH`, `CHAIN` are free: they
//! are the step's tweak and parameter, and the provided entry repeats them. So every row, with
//! any multiplicity, provides a true statement — "a value at position x of chain i of this
//! epoch and key walks to this end" — which is all a verification asks of a chain; padding rows
//! start at 7 (no step) with multiplicity 0.

use l2x_air::Val;
use l2x_air::count::{Bit, lookup, provide};
use l2x_sig::hash::Role;
use l2x_sig::params::{CHAIN_LEN, DIGEST_LEN, PARAM_LEN};
use p3_air::{Air, BaseAir, WindowAccess};
use p3_field::PrimeCharacteristicRing;
use p3_lookup::InteractionBuilder;

use super::air::CHAIN_BUS;
use super::columns::chain::*;
use super::columns::{REST_LEN, SLOTS};
use crate::poseidon2::bus::BUS;

/// The chain table. See the [module docs](self).
#[derive(Debug, Clone, Copy)]
pub struct ChainAir;

impl BaseAir<Val> for ChainAir {
    fn width(&self) -> usize {
        WIDTH
    }
}

impl<AB: InteractionBuilder<F = Val>> Air<AB> for ChainAir {
    fn eval(&self, builder: &mut AB) {
        let main = builder.main();
        let local: Vec<AB::Expr> = main.current_slice().iter().map(|&v| v.into()).collect();
        let range = |c: usize, len: usize| -> Vec<AB::Expr> { local[c..c + len].to_vec() };
        let flags = range(AT, CHAIN_LEN);
        for flag in &flags {
            builder.assert_bool(flag.clone());
        }
        builder.assert_one(flags.iter().cloned().sum::<AB::Expr>());
        let start: AB::Expr = flags
            .iter()
            .enumerate()
            .map(|(k, flag)| flag.clone() * AB::Expr::from_usize(k))
            .sum();

        // Step k (position k to k + 1) is taken when k ≥ x: [k ≥ x] = Σ_{m ≤ k} AT[m], a bit
        // since the flags are one-hot.
        let mut reached = AB::Expr::ZERO;
        for (k, flag) in flags.iter().take(SLOTS).enumerate() {
            reached += flag.clone();
            let taken = Bit::new(builder, reached.clone());
            let message = [
                vec![
                    AB::Expr::from_u32(Role::Chain as u32),
                    local[EPOCH].clone(),
                    local[CHAIN].clone(),
                    AB::Expr::from_usize(k),
                ],
                range(PARAM, PARAM_LEN),
                range(VALUE + DIGEST_LEN * k, DIGEST_LEN),
                vec![AB::Expr::ZERO; DIGEST_LEN],
                range(VALUE + DIGEST_LEN * (k + 1), DIGEST_LEN),
                range(REST + REST_LEN * k, REST_LEN),
            ]
            .concat();
            lookup(builder, &BUS, message, taken.count());
        }

        let walk = [
            range(PARAM, PARAM_LEN),
            vec![local[EPOCH].clone(), local[CHAIN].clone(), start],
            range(VALUE + DIGEST_LEN * (CHAIN_LEN - 1), DIGEST_LEN),
        ]
        .concat();
        provide(builder, &CHAIN_BUS, walk, local[MULT].clone());
    }
}
